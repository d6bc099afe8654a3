/* deliver_int: what deliver.c (sending, verdicts, draining) and
 * deliver_claim.c (claiming rows and turning them into requests) share.
 * Private to those two files: nothing else includes it. */
#ifndef KEYPROJ_DELIVER_INT_H
#define KEYPROJ_DELIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "deliver_batch.h"
#include "deliver_digest.h"
#include "render.h"

#define MAX_IN_FLIGHT 256              /* requests at once, all receivers together */
#define SECOND_CLAIM_MIN 64         /* rows: below that, wait for the running claim instead */
#define POLL_SECONDS 30             /* other daemons' rows, expired leases */
#define GROUP_ROWS_PER_MESSAGE 40   /* chat: rows claimed per message the receiver may take */
#define GROUP_ROWS_MAX 200          /* chat: rows claimed at most per receiver and claim */

struct attempt;

/* Rate limits and Retry-After are about the receiver's real time, so they
 * run on the system clock (dlv_real_now); everything about business time —
 * when a row is due, holds, silences, the maximum age — on the daemon's
 * clock (dlv_now_of), which tests move. */
struct rstate {
    char *name;
    int in_flight;
    double tokens;                  /* rate limit: a bucket of rate_per_minute */
    double refilled_at;             /* real time */
    double blocked_until;           /* real time: a receiver said "slow down" */
    int msg_cap;                    /* chat: messages the claim in flight may send */
    struct attempt *qhead, *qtail;  /* claimed and rendered, waiting for a slot */
    int queued;
    double pace_ms;                 /* a request's recent duration (moving average); 0: none yet */
    int claim_rows;                 /* rows asked for by the claims in flight */
};

struct deliverer {
    struct daemon *d;
    struct db *db;                  /* claims, LISTEN, digests */
    struct db *vdb;                 /* verdicts (vb) */
    struct vbatch *vb;
    struct http *http;
    bool db_up, vdb_up;
    struct db *cdb;                 /* a second claim connection: a claim may start while one runs */
    bool cdb_up;
    int claims;                     /* claim queries in flight, 0 to 2 */
    bool claim_busy[2];             /* per claim connection: db, cdb */
    bool chat_claiming;             /* a claim in flight takes chat receivers' rows */
    bool again;                     /* kicked during a claim */
    struct event *timer;
    char worker[96];
    struct rstate *rs;
    size_t nrs;
    size_t in_flight;
    struct attempt *live;           /* every attempt not yet freed: its rows are ours */
    unsigned long long delivered, retried, dead, silenced;
    double held_until;              /* 0 when nothing is held */
    struct digester digests;        /* deliver_digest.c */
    bool draining, closing;
    struct event *drain_timer;
    int drain_phase;                /* 1: requests may finish; 2: writing the last verdicts */
    void (*drained)(void *arg);
    void *drained_arg;
};

/* One request: one delivery row, or (chat receivers) several rows merged
 * into one message, whose verdict they all share. delivery=ID attempt=N
 * (and webhook_id= for json receivers) tie its log lines together. */
struct attempt {
    struct deliverer *dl;
    long long id;                   /* the first row */
    long long *ids;
    size_t n;
    char *receiver;
    int attempts;                   /* the most of any row: it sets the retry schedule */
    double first_attempt;           /* the earliest of any row: the maximum age counts from here */
    double lease_end;               /* daemon clock */
    char webhook_id[32];            /* json: "msg_<alert id>"; "" otherwise */
    struct render_request rq;       /* queued: what to send */
    bool rendered;
    struct attempt *qnext;          /* in its receiver's queue */
    struct attempt *lprev, *lnext;  /* in dl->live */
};

/* deliver.c */
double dlv_now_of(const struct deliverer *dl);         /* the daemon's clock */
double dlv_real_now(void);                              /* the system clock */
const struct receiver *dlv_receiver_named(const struct deliverer *dl, const char *name);
struct rstate *dlv_rstate_named(struct deliverer *dl, const char *name);
bool dlv_is_chat(const struct receiver *rv);
int dlv_window_of(const struct receiver *rv);
const char *dlv_attempt_fields(const struct attempt *at);
void dlv_attempt_free(struct attempt *at);
void dlv_arm(struct deliverer *dl, double seconds);
double dlv_hold_left(struct deliverer *dl, double now);
void dlv_refill(struct rstate *r, const struct receiver *rv, double now);
void dlv_record(struct attempt *at, enum verdict v, double next, const char *error, long http_status);
void dlv_release(struct attempt *at, const char *why);
int dlv_queue_bound(const struct receiver *rv, const struct rstate *r);
int dlv_lease_seconds(const struct receiver *rv);
void dlv_enqueue(struct rstate *r, struct attempt *at);
void dlv_post(struct deliverer *dl, struct attempt *at, const struct receiver *rv);
void dlv_pump_all(struct deliverer *dl);
void dlv_check_drained(struct deliverer *dl);

/* deliver_claim.c */
void dlv_claim(struct deliverer *dl);

#endif
