/* deliver_queue: the delivery rows this daemon holds, from the claim that
 * leased them to their written verdict: attempts (one request each), each
 * receiver's queue of rendered attempts, its slots and its rate limit (a
 * token bucket for json receivers; a chat robot's limit is counted in the
 * database, deliver_pace.c), and the verdicts handed to deliver_batch.c.
 * It claims nothing (deliver_claim.c) and sends nothing (deliver.c). */
#ifndef KEYPROJ_DELIVER_QUEUE_H
#define KEYPROJ_DELIVER_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "deliver_batch.h"
#include "pace.h"
#include "render.h"

struct daemon;
struct receiver;
struct dqueue;

#define DQ_MAX_IN_FLIGHT 256        /* requests at once, all receivers together */
/* A lease is twice the receiver's timeout plus this: a claimed row waits at
 * most one request's time in its receiver's queue (or is released), then
 * takes at most the timeout, and its verdict is written well within it. */
#define DQ_LEASE_MARGIN_SECONDS 30

/* One request: one delivery row, or (chat receivers) several rows merged
 * into one message, whose verdict they all share. delivery=ID attempt=N
 * (and webhook_id= for json receivers) tie its log lines together. */
struct attempt {
    struct dqueue *q;
    long long id;                   /* the first row */
    long long *ids;
    size_t n;
    char *receiver;
    int attempts;                   /* the most of any row: it sets the retry schedule */
    double first_attempt;           /* the earliest of any row: the maximum age counts from here */
    double lease_end;               /* daemon clock */
    char webhook_id[32];            /* json: the claim's keyproj_webhook_id; "" otherwise */
    struct render_request rq;       /* queued: what to send */
    /* The weekly bulletin's week ("2026-W49"): made, uploaded and sent as
     * a file when posted (deliver_bulletin.c), rq unused; "" otherwise. */
    char bulletin[16];
    bool rendered;
    bool released;                  /* its verdict puts its rows back unsent */
    /* None of its rows is a digest's: its verdict need not look for the
     * held alerts a digest told (vbatch_add). False unless the claim knew
     * each row's kind. */
    bool digest_free;
    struct attempt *qnext;          /* in its receiver's queue */
    struct attempt *lprev, *lnext;  /* in q->live */
};

/* A json receiver's rate limit and Retry-After are about its real time, so
 * they run on the system clock; everything about business time (when a row
 * is due, holds, silences, the maximum age) and a chat robot's windows on
 * the daemon's clock (dq_now), which tests move, as the slots it took are
 * recorded in the database on that clock. */
struct rstate {
    char *name;
    int in_flight;
    char robot[PACE_ID_MAX];        /* chat: the robot's id (pace.h); "" for json */
    int taking;                     /* chat: takes of slots in flight */
    double robot_free_at;           /* chat: no slot before this (daemon clock); 0: unknown */
    double tokens;                  /* json rate limit: a bucket of rate_per_minute */
    double refilled_at;             /* real time */
    double blocked_until;           /* real time: a receiver said "slow down" */
    int msg_cap;                    /* chat: messages the claim in flight may send */
    struct attempt *qhead, *qtail;  /* claimed and rendered, waiting for a slot */
    int queued;
    double pace_ms;                 /* a request's recent duration (moving average); 0: none yet */
    int claim_rows;                 /* rows asked for by the claims in flight */
};

struct dqueue {
    struct daemon *d;
    struct vbatch *vb;              /* where verdicts are written (not owned) */
    struct rstate *rs;              /* one per configured receiver, in the configuration's order */
    size_t nrs;
    struct attempt *live;           /* every attempt not yet freed: its rows are ours */
    size_t in_flight;               /* requests sent and not answered, all receivers */
    unsigned long long delivered, retried, dead, silenced;
    bool draining;                  /* stopping: what is claimed is released, not sent */
    bool closing;                   /* being freed: a failed write is not worth a warning */
    void (*written)(void *arg);     /* after each verdict was written (or could not be) */
    void *arg;
    /* Rows were put back (released unsent) since the deliverer last
     * looked: once that is written they can be claimed again, and a claim
     * made meanwhile saw them still leased. */
    bool rows_back;
};

/* Empty, with one state per configured receiver; written(arg) is told
 * after each verdict is written. Set q->vb before the first verdict. */
void dq_init(struct dqueue *q, struct daemon *d, void (*written)(void *arg), void *arg);
/* The configuration changed: states follow its receivers (kept by name);
 * a removed receiver's queued rows are released. */
void dq_reconfigure(struct dqueue *q);
/* Frees every attempt (their leases run out) and the states. */
void dq_free(struct dqueue *q);

double dq_now(const struct dqueue *q);      /* the daemon's clock */
const struct receiver *dq_receiver(const struct dqueue *q, const char *name);
struct rstate *dq_rstate(struct dqueue *q, const char *name);
bool dq_is_chat(const struct receiver *rv);
/* Chat receivers merge what became due within their window (seconds). */
int dq_window_of(const struct receiver *rv);
int dq_lease_seconds(const struct receiver *rv);
/* Rows a receiver's queue may hold ahead of its free slots. */
int dq_queue_bound(const struct receiver *rv, const struct rstate *r);
/* Adds the tokens earned since the last refill (real time now). */
void dq_refill(struct rstate *r, const struct receiver *rv, double now);

void dq_enqueue(struct rstate *r, struct attempt *at);
struct attempt *dq_dequeue(struct rstate *r);      /* NULL when empty */

/* A new attempt for n rows of receiver (ids and the rest for the caller to
 * fill), held in q->live until dq_attempt_free or its verdict is written. */
struct attempt *dq_attempt_new(struct dqueue *q, const char *receiver, size_t n);
void dq_attempt_free(struct attempt *at);
/* The log fields that name an attempt: delivery=ID attempt=N [webhook_id=…],
 * in a static buffer valid until the next call. */
const char *dq_attempt_fields(const struct attempt *at);
/* Queues at's verdict for the next batch; at is freed once it is written. */
void dq_record(struct attempt *at, enum verdict v, double next, const char *error, long http_status);
/* Rows claimed but not sent (a rate limit, a queue that waited too long,
 * stopping): back to the queue as they were, the attempt not counted. */
void dq_release(struct attempt *at, const char *why);

#endif
