/* deliver_queue: see deliver_queue.h. Each receiver's state lives in an
 * array in the configuration's order (rebuilt on reload, kept by name);
 * the queue is a FIFO of rendered attempts; every attempt, queued, in
 * flight or waiting for its verdict's write, is also on the live list,
 * which the claim reads to skip rows whose lease ran out while held. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "deliver_queue.h"
#include "log.h"
#include "util.h"

/* json receivers: rows claimed ahead of free slots, so a claim's round
 * trip does not leave the slots idle: what the receiver's slots get through
 * in QUEUE_SECONDS at its recent pace, at least one row per slot. */
#define QUEUE_SECONDS 0.5
#define QUEUE_MAX 512

double
dq_now(const struct dqueue *q)
{
    return clock_now(&q->d->clock);
}

const struct receiver *
dq_receiver(const struct dqueue *q, const char *name)
{
    const struct config *cfg = q->d->cfg;
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (strcmp(cfg->receivers[i].name, name) == 0)
            return &cfg->receivers[i];
    return NULL;
}

struct rstate *
dq_rstate(struct dqueue *q, const char *name)
{
    for (size_t i = 0; i < q->nrs; i++)
        if (strcmp(q->rs[i].name, name) == 0)
            return &q->rs[i];
    return NULL;
}

bool
dq_is_chat(const struct receiver *rv)
{
    return strcmp(rv->type, "json") != 0;
}

int
dq_window_of(const struct receiver *rv)
{
    return dq_is_chat(rv) ? rv->digest_window_seconds : 0;
}

int
dq_lease_seconds(const struct receiver *rv)
{
    return 2 * rv->timeout_seconds + DQ_LEASE_MARGIN_SECONDS;
}

int
dq_queue_bound(const struct receiver *rv, const struct rstate *r)
{
    if (dq_is_chat(rv))
        return 0;
    double pace = r->pace_ms > 1 ? r->pace_ms : 1;
    double q = rv->max_concurrency * (QUEUE_SECONDS * 1000 / pace);
    if (r->pace_ms <= 0 || q < rv->max_concurrency)
        q = rv->max_concurrency;
    return q > QUEUE_MAX ? QUEUE_MAX : (int)q;
}

void
dq_refill(struct rstate *r, const struct receiver *rv, double now)
{
    double rate = rv->rate_per_minute / 60.0;
    if (now > r->refilled_at)       /* the system clock may step back */
        r->tokens += (now - r->refilled_at) * rate;
    if (r->tokens > rv->rate_per_minute)
        r->tokens = rv->rate_per_minute;
    r->refilled_at = now;
}

/* ---- queues --------------------------------------------------------------- */

void
dq_enqueue(struct rstate *r, struct attempt *at)
{
    at->qnext = NULL;
    if (r->qtail != NULL)
        r->qtail->qnext = at;
    else
        r->qhead = at;
    r->qtail = at;
    r->queued++;
}

struct attempt *
dq_dequeue(struct rstate *r)
{
    struct attempt *at = r->qhead;
    if (at == NULL)
        return NULL;
    r->qhead = at->qnext;
    if (r->qhead == NULL)
        r->qtail = NULL;
    r->queued--;
    at->qnext = NULL;
    return at;
}

/* ---- attempts and their verdicts ------------------------------------------ */

struct attempt *
dq_attempt_new(struct dqueue *q, const char *receiver, size_t n)
{
    struct attempt *at = xcalloc(1, sizeof *at);
    at->q = q;
    at->receiver = xstrdup(receiver);
    at->ids = xreallocarray(NULL, n + 1, sizeof *at->ids);
    at->n = n;
    at->lnext = q->live;
    if (q->live != NULL)
        q->live->lprev = at;
    q->live = at;
    return at;
}

void
dq_attempt_free(struct attempt *at)
{
    struct dqueue *q = at->q;
    if (at->lprev != NULL)
        at->lprev->lnext = at->lnext;
    else
        q->live = at->lnext;
    if (at->lnext != NULL)
        at->lnext->lprev = at->lprev;
    if (at->rendered)
        render_request_free(&at->rq);
    free(at->receiver);
    free(at->ids);
    free(at);
}

const char *
dq_attempt_fields(const struct attempt *at)
{
    static char f[128];
    snprintf(f, sizeof f, "delivery=%lld attempt=%d%s%s", at->id, at->attempts,
             at->webhook_id[0] ? " webhook_id=" : "", at->webhook_id);
    return f;
}

static void
on_recorded(void *arg, const char *err)
{
    struct attempt *at = arg;
    struct dqueue *q = at->q;
    if (err && !q->closing)
        log_warn("could not record a delivery outcome: it will be sent again when its lease ends",
                 "receiver=%s %s rows=%zu error=%s", at->receiver, dq_attempt_fields(at), at->n, log_q(err));
    if (at->released && !err)
        q->rows_back = true;
    /* A reds_only_at_once receiver's rows held for its daily digest may go
     * once the digest's outcome is written (keyproj_digest_cut): claim
     * again then rather than at the next poll. */
    const struct receiver *rv = err ? NULL : dq_receiver(q, at->receiver);
    if (rv != NULL && rv->reds_only_at_once)
        q->rows_back = true;
    dq_attempt_free(at);
    q->written(q->arg);
}

void
dq_record(struct attempt *at, enum verdict v, double next, const char *error, long http_status)
{
    at->released = v == V_RELEASED;
    vbatch_add(at->q->vb, at->ids, at->n, v, dq_now(at->q), next, error, http_status, at->digest_free,
               on_recorded, at);
}

void
dq_release(struct attempt *at, const char *why)
{
    log_info("delivery released unsent", "receiver=%s %s rows=%zu reason=%s", at->receiver,
             dq_attempt_fields(at), at->n, why);
    dq_record(at, V_RELEASED, 0, NULL, 0);
}

/* ---- the set of states ---------------------------------------------------- */

void
dq_init(struct dqueue *q, struct daemon *d, void (*written)(void *arg), void *arg)
{
    memset(q, 0, sizeof *q);
    q->d = d;
    q->written = written;
    q->arg = arg;
    dq_reconfigure(q);
}

void
dq_reconfigure(struct dqueue *q)
{
    const struct config *cfg = q->d->cfg;
    struct rstate *rs = xcalloc(cfg->n_receivers + 1, sizeof *rs);
    double now = clock_now(NULL);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        const struct rstate *old = dq_rstate(q, rv->name);
        if (old) {
            rs[i] = *old;
            rs[i].name = xstrdup(old->name);
        } else {
            rs[i].name = xstrdup(rv->name);
            rs[i].tokens = rv->rate_per_minute;
            rs[i].refilled_at = now;
        }
        /* The URL may have changed: another robot, another count. */
        char robot[PACE_ID_MAX] = "";
        if (dq_is_chat(rv))
            pace_robot_id(rv->type, rv->url, robot);
        if (strcmp(robot, rs[i].robot) != 0)
            rs[i].robot_free_at = 0;
        memcpy(rs[i].robot, robot, sizeof robot);
    }
    for (size_t i = 0; i < q->nrs; i++) {
        /* A receiver gone from the configuration: its queued rows go back. */
        bool kept = false;
        for (size_t j = 0; j < cfg->n_receivers && !kept; j++)
            kept = strcmp(rs[j].name, q->rs[i].name) == 0;
        struct attempt *at;
        while (!kept && (at = dq_dequeue(&q->rs[i])) != NULL)
            dq_release(at, "receiver_removed");
        free(q->rs[i].name);
    }
    free(q->rs);
    q->rs = rs;
    q->nrs = cfg->n_receivers;
}

void
dq_free(struct dqueue *q)
{
    for (size_t i = 0; i < q->nrs; i++) {
        struct attempt *at;
        while ((at = dq_dequeue(&q->rs[i])) != NULL)
            dq_attempt_free(at);
    }
    while (q->live != NULL)
        dq_attempt_free(q->live);
    for (size_t i = 0; i < q->nrs; i++)
        free(q->rs[i].name);
    free(q->rs);
    q->rs = NULL;
    q->nrs = 0;
}
