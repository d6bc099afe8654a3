/* deliver_claim: which rows each receiver may take now (its free slots,
 * its queue, its rate tokens, its merge window), the claim on one of two
 * connections, and what comes back turned into requests: json rows
 * rendered into their receiver's queue (deliver_queue.h), chat rows merged
 * into messages that the deliverer sends at once. It never holds a row
 * whose lease it did not take, and sends nothing itself: deliver.c drives
 * it and sends. */
#ifndef KEYPROJ_DELIVER_CLAIM_H
#define KEYPROJ_DELIVER_CLAIM_H

#include <stdbool.h>

struct attempt;
struct claimer;
struct db;
struct dqueue;
struct receiver;

/* How a claim ended. */
struct claim_outcome {
    const char *error;          /* the claim failed (NULL: answered) */
    int rows;                   /* rows it brought */
    bool again;                 /* claim again now: kicked meanwhile, or rows silenced or released */
};

/* What the claimer asks of the deliverer that drives it. */
struct claim_hooks {
    /* Sends a chat message at once: its token and its slot were counted
     * when it was claimed. */
    void (*post)(void *arg, struct attempt *at, const struct receiver *rv);
    /* A claim ended; what it brought is queued, posted or recorded. */
    void (*answered)(void *arg, const struct claim_outcome *o);
    /* Wakes the deliverer in seconds (the earlier of two wake-ups kept). */
    void (*arm)(void *arg, double seconds);
    void *arg;
};

/* Claims into q on db, and on cdb while a claim runs on db (neither
 * owned), as lease holder worker (copied). */
struct claimer *claimer_new(struct dqueue *q, struct db *db, struct db *cdb, const char *worker,
                            const struct claim_hooks *hooks);
/* Once both connections are freed (which answers the claims in flight). */
void claimer_free(struct claimer *c);

/* Claims what the receivers may take now; the caller has checked that the
 * daemon may send. Outside the allowed hours (quiet hours, rest days) it
 * only arms for their end. */
void claim_run(struct claimer *c);
/* Nothing more is due now: arms for the earliest pending row. */
void claim_sleep(struct claimer *c);
/* Claims in flight (0 to 2). */
int claim_running(const struct claimer *c);
/* Until when deliveries are held (quiet hours, a rest day), or 0. */
double claim_held_until(const struct claimer *c);

#endif
