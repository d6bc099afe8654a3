/* deliver: claim → render → POST → verdict, per receiver within its
 * concurrency and rate limit, outside quiet hours and rest days (held, never
 * dropped). A delivery whose alert an active silence covers when it is due
 * is marked silenced, not sent. A slow or dead receiver only fills its own
 * slots; the others keep being claimed and sent. A chat receiver gets
 * what became due within its window merged into one message (one token);
 * json receivers one request per alert. Daily digests and weekly summaries
 * are written too (deliver_digest.c), as alerts. Claims run on two
 * connections (deliver_claim.c) into the receivers' queues
 * (deliver_queue.c), verdicts are written in batches on a third
 * (deliver_batch.c); a row is never sent twice by this daemon while its
 * verdict is unwritten. This file drives the steps, sends, judges the
 * answers and drains. */
#include "ac_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "deliver.h"
#include "deliver_batch.h"
#include "deliver_bulletin.h"
#include "deliver_claim.h"
#include "deliver_digest.h"
#include "deliver_pace.h"
#include "deliver_queue.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "util.h"

/* After each failed attempt, wait this long before the next (Svix's
 * schedule); after the last, the delivery is dead. */
static const int retry_schedule[] = { 5, 300, 1800, 7200, 18000, 36000, 36000 };
#define MAX_AGE_SECONDS (48 * 3600)
#define DRAIN_WRITE_SECONDS 3       /* after the drain bound: for the last verdicts to be written */

struct deliverer {
    struct daemon *d;
    struct db *db;                  /* claims, LISTEN, digests */
    struct db *cdb;                 /* a second claim connection: a claim may start while one runs */
    struct db *vdb;                 /* verdicts (vb) */
    struct vbatch *vb;
    struct http *http;
    bool db_up, vdb_up;
    struct dqueue q;                /* the rows held: attempts, queues, rate limits */
    struct claimer *claim;
    struct event *timer;
    char worker[96];
    struct digester digests;        /* deliver_digest.c */
    struct event *drain_timer;
    int drain_phase;                /* 1: requests may finish; 2: writing the last verdicts */
    void (*drained)(void *arg);
    void *drained_arg;
};

static void
arm(struct deliverer *dl, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    if (evtimer_pending(dl->timer, NULL)) {
        /* keep the earlier of the two wake-ups */
        struct timeval left;
        evtimer_pending(dl->timer, &left);
        if (left.tv_sec + left.tv_usec / 1e6 <= seconds)
            return;
    }
    struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - floor(seconds)) * 1e6) };
    evtimer_add(dl->timer, &tv);
}

/* The deliverer's step, on its timer, a NOTIFY, a kick, an answer or a
 * claim's end: the day's digests once their time has come, then a claim
 * of what the receivers may take now. */
static void
step(struct deliverer *dl)
{
    struct daemon *d = dl->d;
    if (!dl->db_up || !dl->vdb_up || !d->db_ready || d->stopping || dl->q.draining || dl->http == NULL)
        return;
    double next_digest = digest_check(&dl->digests, d->cfg, dq_now(&dl->q));
    if (next_digest >= 0)
        arm(dl, next_digest);
    claim_run(dl->claim);
}

/* ---- verdicts ----------------------------------------------------------- */


static double
retry_delay(int attempts, long retry_after)
{
    int i = attempts - 1;
    if (i < 0 || i >= (int)ARRAY_LEN(retry_schedule))
        return -1;
    double delay = retry_schedule[i] * (0.9 + 0.2 * (random() / (double)RAND_MAX));
    if (retry_after > delay)
        delay = (double)retry_after;
    return delay;
}

/* A robot answered "over the limit" although this message held a slot:
 * our pacing failed, or someone else sends to the same robot (its count is
 * per robot, whoever sends). Not the message's fault: due again once the
 * robot's window frees (after its own backoff), the attempt not counted,
 * and every keyprojd holds off the robot until then. */
static void
rate_limited(struct deliverer *dl, struct attempt *at, const struct receiver *rv, const struct render_verdict *v,
             long http_status)
{
    double now = dq_now(&dl->q);
    double until = now + (v->retry_after > 0 ? (double)v->retry_after : 60.0);
    struct rstate *r = dq_rstate(&dl->q, rv->name);
    dl->q.retried += at->n;
    metrics_delivery(dl->d->metrics, rv->name, "retry", at->n, -1);
    log_warn("robot rate limit answered despite pacing",
             "receiver=%s robot=%s %s rows=%zu retry_in=%.0f error=%s cause=%s", rv->name, r ? r->robot : "",
             dq_attempt_fields(at), at->n, until - now, log_q(v->error),
             log_q("another sender uses the same robot, or keyprojd's pacing is wrong"));
    pace_hold(&dl->q, dl->db, rv, until);
    dq_record(at, V_DEFERRED, until, v->error, http_status);
}

static void
judge(struct attempt *at, const struct receiver *rv, const struct http_result *res)
{
    struct deliverer *dl = at->q->arg;
    struct render_answer ans = { res->status, res->body, res->body_len, res->retry_after,
                                 res->status == 0 ? res->error : NULL };
    struct render_verdict v;
    render_classify(rv->type, &ans, &v);
    double now = dq_now(&dl->q);
    if (v.ok) {
        dl->q.delivered += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "delivered", at->n, res->status ? res->elapsed_ms : -1);
        if (log_get_level() >= LOG_INFO)    /* the one line per delivery: not even formatted when off */
            log_info("delivered", "receiver=%s %s rows=%zu http=%ld ms=%ld", rv->name, dq_attempt_fields(at),
                     at->n, res->status, res->elapsed_ms);
        dq_record(at, V_DELIVERED, now, NULL, res->status);
        return;
    }
    if (v.rate_limited && dq_is_chat(rv)) {
        rate_limited(dl, at, rv, &v, res->status);
        return;
    }
    if (v.retry_after > 0) {
        struct rstate *r = dq_rstate(&dl->q, rv->name);
        if (r)
            r->blocked_until = clock_now(NULL) + (double)v.retry_after;
    }
    double delay = v.permanent ? -1 : retry_delay(at->attempts, v.retry_after);
    if (delay < 0 || now + delay - at->first_attempt > MAX_AGE_SECONDS) {
        dl->q.dead += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "dead", at->n, res->status ? res->elapsed_ms : -1);
        log_error(v.permanent ? "receiver refused the delivery for good: check its configuration"
                              : "delivery given up after its last attempt",
                  "receiver=%s %s rows=%zu http=%ld error=%s", rv->name, dq_attempt_fields(at), at->n,
                  res->status, log_q(v.error));
        dq_record(at, V_DEAD, now, v.error, res->status);
        return;
    }
    dl->q.retried += at->n;
    metrics_delivery(dl->d->metrics, rv->name, "retry", at->n, res->status ? res->elapsed_ms : -1);
    log_warn("delivery failed: will retry", "receiver=%s %s rows=%zu http=%ld retry_in=%.0f error=%s",
             rv->name, dq_attempt_fields(at), at->n, res->status, delay, log_q(v.error));
    dq_record(at, V_PENDING, now + delay, v.error, res->status);
}

/* ---- sending ------------------------------------------------------------ */

static void on_sent(void *arg, const struct http_result *res);
static void check_drained(struct deliverer *dl);

/* Posts at's rendered request (its rows claimed). */
static void
post(struct deliverer *dl, struct attempt *at, const struct receiver *rv)
{
    struct http_request hr = {
        .url = at->rq.url, .headers = (const char *const *)at->rq.headers, .body = at->rq.body,
        .body_len = at->rq.body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    int rc = at->bulletin[0] ? deliver_bulletin_send(dl->d, dl->http, at, rv, on_sent)
                             : http_post(dl->http, &hr, on_sent, at);
    render_request_free(&at->rq);
    at->rendered = false;
    if (rc != 0) {
        log_warn("delivery could not start: will retry", "receiver=%s %s rows=%zu", rv->name,
                 dq_attempt_fields(at), at->n);
        metrics_delivery(dl->d->metrics, at->receiver, "retry", at->n, -1);
        dq_record(at, V_PENDING, dq_now(&dl->q) + 5, "request could not be started", 0);
        return;
    }
    if (log_get_level() >= LOG_DEBUG)
        log_debug("delivery sent", "receiver=%s %s rows=%zu bytes=%zu", rv->name, dq_attempt_fields(at),
                  at->n, hr.body_len);
    dl->q.in_flight++;
    struct rstate *r = dq_rstate(&dl->q, rv->name);
    if (r)
        r->in_flight++;
}

/* Sends from r's queue while rv has free slots. A row whose lease would
 * end before its request could is released instead: no row is ever sent
 * on a lease another daemon may already have taken over. A receiver that
 * asked for a pause (Retry-After) gets nothing more: its queue goes back. */
static void
pump(struct deliverer *dl, struct rstate *r, const struct receiver *rv)
{
    /* No verdict could be recorded: a row sent now would be sent again
     * when its lease ends. The queue waits (its leases stand) until the
     * verdicts' connection is back. */
    if (!dl->vdb_up && !dl->q.draining)
        return;
    bool paused = r->blocked_until > clock_now(NULL);
    while (r->qhead != NULL && (paused || dl->q.draining ||
                                (r->in_flight < rv->max_concurrency && dl->q.in_flight < DQ_MAX_IN_FLIGHT))) {
        struct attempt *at = dq_dequeue(r);
        if (dl->q.draining)
            dq_release(at, "stopping");
        else if (paused)
            dq_release(at, "receiver_paused");
        else if (dq_now(&dl->q) + rv->timeout_seconds + DQ_LEASE_MARGIN_SECONDS / 2.0 > at->lease_end)
            dq_release(at, "lease_too_short");
        else
            post(dl, at, rv);
    }
}

static void
pump_all(struct deliverer *dl)
{
    const struct config *cfg = dl->d->cfg;
    for (size_t i = 0; i < dl->q.nrs && i < cfg->n_receivers; i++)
        pump(dl, &dl->q.rs[i], &cfg->receivers[i]);
}

static void
on_sent(void *arg, const struct http_result *res)
{
    struct attempt *at = arg;
    struct deliverer *dl = at->q->arg;
    dl->q.in_flight--;
    struct rstate *r = dq_rstate(&dl->q, at->receiver);
    if (r)
        r->in_flight--;
    const struct receiver *rv = dq_receiver(&dl->q, at->receiver);
    if (dl->q.closing) {
        dq_attempt_free(at);        /* the lease ends on its own */
    } else if (res->cancelled) {
        dq_release(at, "stopping");
    } else if (rv == NULL) {
        dq_release(at, "receiver_removed");
    } else {
        if (r != NULL)
            r->pace_ms = r->pace_ms <= 0 ? (double)res->elapsed_ms : 0.9 * r->pace_ms + 0.1 * (double)res->elapsed_ms;
        judge(at, rv, res);
        if (r != NULL) {
            pump(dl, r, rv);
            /* Claim again once the queue runs low, not after every answer. */
            if (r->queued <= dq_queue_bound(rv, r) / 2)
                step(dl);
        }
    }
    check_drained(dl);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    step(arg);
}

static void
on_db_state(void *arg, enum db_state state)
{
    struct deliverer *dl = arg;
    dl->db_up = state == DB_UP;
    if (dl->db_up) {
        db_query(dl->db, "LISTEN keyproj_delivery", 0, NULL, NULL, NULL);
        arm(dl, 0);
    }
}

static void
on_vdb_state(void *arg, enum db_state state)
{
    struct deliverer *dl = arg;
    dl->vdb_up = state == DB_UP;
    if (dl->vdb_up) {
        pump_all(dl);
        arm(dl, 0);
    }
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
    step(arg);
}

static void
on_digest_wake(void *arg, double seconds)
{
    arm(arg, seconds);
}

/* ---- what the claimer asks of the deliverer ------------------------------ */

static void
on_claim_post(void *arg, struct attempt *at, const struct receiver *rv)
{
    post(arg, at, rv);
}

static void
on_claim_arm(void *arg, double seconds)
{
    arm(arg, seconds);
}

/* A claim ended: what it queued goes out, then the next claim (or, with
 * nothing claimed, a sleep until the next row is due, left to the other
 * connection's claim when one still runs: its answer claims again or
 * sleeps); stopping, it may have been the last thing to wait for. */
static void
on_claim_answered(void *arg, const struct claim_outcome *o)
{
    struct deliverer *dl = arg;
    if (o->error == NULL)
        pump_all(dl);
    if (o->error != NULL || dl->q.draining)
        check_drained(dl);
    else if (o->again)
        step(dl);
    else if (o->rows == 0 && claim_running(dl->claim) == 0)
        claim_sleep(dl->claim);
}

/* A verdict was written (or could not be): stopping, it may have been the
 * last one; rows put back unsent are claimable again now (a claim made
 * while their release was being written did not see them). */
static void
on_written(void *arg)
{
    struct deliverer *dl = arg;
    if (dl->q.rows_back && !dl->q.draining && !dl->q.closing) {
        dl->q.rows_back = false;
        step(dl);
    }
    check_drained(dl);
}

struct deliverer *
deliver_new(struct daemon *d)
{
    struct deliverer *dl = xcalloc(1, sizeof *dl);
    dl->d = d;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(dl->worker, sizeof dl->worker, "%s:%ld:%ld", host, (long)getpid(), (long)time(NULL));
    dl->http = http_new(d->base);
    if (dl->http == NULL) {
        log_error("cannot start the HTTP client: no deliveries will be sent", "%s", "");
    }
    dl->timer = evtimer_new(d->base, on_timer, dl);
    dq_init(&dl->q, d, on_written, dl);
    dl->db = db_new(d->base, "deliver", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_db_state, on_notify, dl);
    dl->digests.db = dl->db;
    dl->digests.wake = on_digest_wake;
    dl->digests.arg = dl;
    dl->cdb = db_new(d->base, "deliver2", d->cfg->db_conninfo, d->cfg->db_reconnect_max, NULL, NULL, dl);
    dl->vdb = db_new(d->base, "verdicts", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_vdb_state, NULL, dl);
    dl->vb = vbatch_new(d->base, dl->vdb, dl->worker);
    dl->q.vb = dl->vb;
    const struct claim_hooks hooks = { on_claim_post, on_claim_answered, on_claim_arm, dl };
    dl->claim = claimer_new(&dl->q, dl->db, dl->cdb, dl->worker, &hooks);
    db_start(dl->db);
    db_start(dl->cdb);
    db_start(dl->vdb);
    return dl;
}

void
deliver_kick(struct deliverer *dl)
{
    if (dl)
        step(dl);
}

void
deliver_reconfigure(struct deliverer *dl)
{
    dq_reconfigure(&dl->q);
    db_reconfigure(dl->db, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->cdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->vdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    pump_all(dl);
    step(dl);
}

void
deliver_stats(const struct deliverer *dl, struct deliver_stats *out)
{
    out->connected = dl->db_up && dl->vdb_up;
    out->in_flight = dl->q.in_flight;
    out->delivered = dl->q.delivered;
    out->retried = dl->q.retried;
    out->dead = dl->q.dead;
    out->silenced = dl->q.silenced;
    out->held_until = claim_held_until(dl->claim);
}

/* ---- stopping ----------------------------------------------------------- */

/* Drained: no request in flight, no claim unanswered, every verdict and
 * release written (or failed: those rows wait out their lease). */
static void
check_drained(struct deliverer *dl)
{
    if (!dl->q.draining || dl->drained == NULL)
        return;
    if (dl->drain_phase < 3 &&
        (dl->q.in_flight > 0 || claim_running(dl->claim) > 0 || vbatch_waiting(dl->vb) > 0))
        return;
    for (size_t i = 0; i < dl->q.nrs && dl->drain_phase < 3; i++)
        if (dl->q.rs[i].qhead != NULL || dl->q.rs[i].taking > 0)
            return;
    void (*done)(void *) = dl->drained;
    dl->drained = NULL;
    if (dl->drain_timer != NULL)
        evtimer_del(dl->drain_timer);
    log_info("deliveries drained", "delivered=%llu retried=%llu dead=%llu", dl->q.delivered, dl->q.retried,
             dl->q.dead);
    done(dl->drained_arg);
}

static void
on_drain_timer(evutil_socket_t fd, short what, void *arg)
{
    struct deliverer *dl = arg;
    (void)fd;
    (void)what;
    if (dl->drain_phase == 1) {
        /* The bound: what is still in flight is cut off and released (the
         * receiver may have it: the next daemon sends it again with the
         * same webhook-id). The last writes get a little longer. */
        log_warn("stopping: requests still in flight at the drain bound are released", "in_flight=%zu",
                 dl->q.in_flight);
        dl->drain_phase = 2;
        struct timeval tv = { DRAIN_WRITE_SECONDS, 0 };
        evtimer_add(dl->drain_timer, &tv);
        http_cancel_all(dl->http);
    } else {
        log_warn("stopping before every outcome was written: those rows wait out their lease", "waiting=%zu",
                 vbatch_waiting(dl->vb));
        dl->drain_phase = 3;
    }
    check_drained(dl);
}

void
deliver_drain(struct deliverer *dl, int bound_seconds, void (*done)(void *arg), void *arg)
{
    if (dl == NULL || dl->q.draining) {
        if (dl == NULL)
            done(arg);
        return;
    }
    dl->q.draining = true;
    dl->drained = done;
    dl->drained_arg = arg;
    dl->drain_phase = 1;
    evtimer_del(dl->timer);
    log_info("stopping: no more claims; waiting for the requests in flight", "in_flight=%zu bound_seconds=%d",
             dl->q.in_flight, bound_seconds);
    for (size_t i = 0; i < dl->q.nrs; i++) {
        struct attempt *at;
        while ((at = dq_dequeue(&dl->q.rs[i])) != NULL)
            dq_release(at, "stopping");
    }
    dl->drain_timer = evtimer_new(dl->d->base, on_drain_timer, dl);
    struct timeval tv = { bound_seconds, 0 };
    evtimer_add(dl->drain_timer, &tv);
    check_drained(dl);
}

/* ---- receiver test ------------------------------------------------------ */

struct test_send {
    struct deliverer *dl;
    char *receiver, *type, *webhook_id;
    deliver_test_fn done;
    void *arg;
};

static void
on_test_sent(void *arg, const struct http_result *res)
{
    struct test_send *t = arg;
    struct deliver_test_result r = { t->receiver, t->type, res->status, "cancelled", -1, "", res->elapsed_ms,
                                     t->webhook_id };
    struct render_verdict v;
    if (!res->cancelled) {
        struct render_answer ans = { res->status, res->body, res->body_len, res->retry_after,
                                     res->status == 0 ? res->error : NULL };
        render_classify(t->type, &ans, &v);
        r.verdict = v.ok ? "ok" : v.permanent ? "permanent" : "retry";
        r.retry_after = v.retry_after;
        r.error = v.error;
    } else {
        r.error = "keyprojd is stopping";
    }
    log_info("receiver test answered", "receiver=%s verdict=%s http=%ld ms=%ld error=%s", t->receiver,
             r.verdict, r.http_status, r.elapsed_ms, log_q(r.error));
    t->done(t->arg, &r);
    free(t->receiver);
    free(t->type);
    free(t->webhook_id);
    free(t);
}

bool
deliver_test(struct deliverer *dl, const struct receiver *rv, const char *by, deliver_test_fn done, void *arg,
             char *err, size_t errlen)
{
    if (dl == NULL || dl->http == NULL) {
        snprintf(err, errlen, "the HTTP client is not available (see the log at start-up)");
        return false;
    }
    double real = clock_now(NULL);
    char when[32], wid[48];
    clock_format(real, when);
    snprintf(wid, sizeof wid, "msg_test_%lld", (long long)(real * 1000));
    char *message = xasprintf("这是 keyprojd 发给接收端「%s」的测试消息，不是告警：看到它说明地址%s可用。"
                              "（由 %s 用 keyprojctl receiver test 发送）",
                              rv->name, rv->secret ? "和签名" : "", by);
    json_t *data = json_pack("{s:b, s:s}", "test", 1, "requested_by", by);
    struct alert_view v = {
        .id = 0, .kind = "test", .stage = "", .light = NULL, .created_at = when,
        .message = message, .tier = 0, .data = data, .webhook_id = wid,
    };
    struct render_request rq;
    memset(&rq, 0, sizeof rq);
    bool ok = render_alert(rv, &v, (int64_t)(real * 1000), &rq, err, errlen);
    free(message);
    json_decref(data);
    if (!ok)
        return false;
    struct test_send *t = xcalloc(1, sizeof *t);
    t->dl = dl;
    t->receiver = xstrdup(rv->name);
    t->type = xstrdup(rv->type);
    t->webhook_id = strcmp(rv->type, "json") == 0 ? xstrdup(wid) : NULL;
    t->done = done;
    t->arg = arg;
    struct http_request hr = {
        .url = rq.url, .headers = (const char *const *)rq.headers, .body = rq.body,
        .body_len = rq.body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    if (http_post(dl->http, &hr, on_test_sent, t) != 0) {
        snprintf(err, errlen, "the request could not be started");
        free(t->receiver);
        free(t->type);
        free(t->webhook_id);
        free(t);
        render_request_free(&rq);
        return false;
    }
    render_request_free(&rq);
    struct rstate *r = dq_rstate(&dl->q, rv->name);
    if (r && dq_is_chat(rv) && dl->db_up)
        pace_note(&dl->q, dl->db, rv);
    else if (r)
        r->tokens -= 1;
    log_info("receiver test sent", "receiver=%s user=%s", rv->name, log_q(by));
    return true;
}

void
deliver_free(struct deliverer *dl)
{
    if (dl == NULL)
        return;
    dl->q.closing = true;
    /* Nobody waits for a drain any more: an answer that arrives while the
     * connections below are freed must not run the drain's check on a
     * verdict batch already gone. */
    dl->drained = NULL;
    http_free(dl->http);    /* cancels in-flight sends; their leases expire */
    db_free(dl->vdb);       /* answers a verdict write in flight (vb still alive) */
    vbatch_free(dl->vb);
    db_free(dl->cdb);       /* answers the claims in flight (the claimer still alive) */
    db_free(dl->db);
    claimer_free(dl->claim);
    dq_free(&dl->q);
    event_free(dl->timer);
    if (dl->drain_timer)
        event_free(dl->drain_timer);
    free(dl);
}
