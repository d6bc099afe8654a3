/* deliver: claim → render → POST → verdict, per receiver within its
 * concurrency and rate limit, outside quiet hours and rest days (held, never
 * dropped). A delivery whose alert an active silence covers when it is due
 * is marked silenced, not sent. A slow or dead receiver only fills its own
 * slots; the others keep being claimed and sent. A chat receiver gets
 * what became due within its window merged into one message (one token);
 * json receivers one request per alert. Daily digests and weekly summaries
 * are written too (deliver_digest.c), as alerts. Claims run on one
 * connection (deliver_claim.c), verdicts are written in batches on another
 * (deliver_batch.c); a row is never sent twice by this daemon while its
 * verdict is unwritten. This file sends, judges the answers and drains. */
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
#include "deliver_digest.h"
#include "deliver_int.h"
#include "holidays.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "util.h"

/* After each failed attempt, wait this long before the next (Svix's
 * schedule); after the last, the delivery is dead. */
static const int retry_schedule[] = { 5, 300, 1800, 7200, 18000, 36000, 36000 };
#define MAX_AGE_SECONDS (48 * 3600)
/* A lease is twice the receiver's timeout plus this: a claimed row waits at
 * most one request's time in its receiver's queue (or is released), then
 * takes at most the timeout, and its verdict is written well within it. */
#define LEASE_MARGIN_SECONDS 30
/* json receivers: rows claimed ahead of free slots, so a claim's round
 * trip does not leave the slots idle: what the receiver's slots get through
 * in QUEUE_SECONDS at its recent pace, at least one row per slot. */
#define QUEUE_SECONDS 0.5
#define QUEUE_MAX 512
#define DRAIN_WRITE_SECONDS 3       /* after the drain bound: for the last verdicts to be written */

void
dlv_attempt_free(struct attempt *at)
{
    struct deliverer *dl = at->dl;
    if (at->lprev != NULL)
        at->lprev->lnext = at->lnext;
    else
        dl->live = at->lnext;
    if (at->lnext != NULL)
        at->lnext->lprev = at->lprev;
    if (at->rendered)
        render_request_free(&at->rq);
    free(at->receiver);
    free(at->ids);
    free(at);
}

/* The log fields that name an attempt: delivery=ID attempt=N [webhook_id=…],
 * in a static buffer valid until the next call. */
const char *
dlv_attempt_fields(const struct attempt *at)
{
    static char f[128];
    snprintf(f, sizeof f, "delivery=%lld attempt=%d%s%s", at->id, at->attempts, at->webhook_id[0] ? " webhook_id=" : "",
             at->webhook_id);
    return f;
}

bool
dlv_is_chat(const struct receiver *rv)
{
    return strcmp(rv->type, "json") != 0;
}

/* Chat receivers merge what became due within their window. */
int
dlv_window_of(const struct receiver *rv)
{
    return dlv_is_chat(rv) ? rv->digest_window_seconds : 0;
}

static struct attempt *dequeue(struct rstate *r);


double
dlv_now_of(const struct deliverer *dl)
{
    return clock_now(&dl->d->clock);
}

double
dlv_real_now(void)
{
    return clock_now(NULL);
}

const struct receiver *
dlv_receiver_named(const struct deliverer *dl, const char *name)
{
    const struct config *cfg = dl->d->cfg;
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (strcmp(cfg->receivers[i].name, name) == 0)
            return &cfg->receivers[i];
    return NULL;
}

struct rstate *
dlv_rstate_named(struct deliverer *dl, const char *name)
{
    for (size_t i = 0; i < dl->nrs; i++)
        if (strcmp(dl->rs[i].name, name) == 0)
            return &dl->rs[i];
    return NULL;
}

static void
rebuild_states(struct deliverer *dl)
{
    const struct config *cfg = dl->d->cfg;
    struct rstate *rs = xcalloc(cfg->n_receivers + 1, sizeof *rs);
    double now = dlv_real_now();
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct rstate *old = dlv_rstate_named(dl, cfg->receivers[i].name);
        if (old) {
            rs[i] = *old;
            rs[i].name = xstrdup(old->name);
        } else {
            rs[i].name = xstrdup(cfg->receivers[i].name);
            rs[i].tokens = cfg->receivers[i].rate_per_minute;
            rs[i].refilled_at = now;
        }
    }
    for (size_t i = 0; i < dl->nrs; i++) {
        /* A receiver gone from the configuration: its queued rows go back. */
        bool kept = false;
        for (size_t j = 0; j < cfg->n_receivers && !kept; j++)
            kept = strcmp(rs[j].name, dl->rs[i].name) == 0;
        struct attempt *at;
        while (!kept && (at = dequeue(&dl->rs[i])) != NULL)
            dlv_release(at, "receiver_removed");
        free(dl->rs[i].name);
    }
    free(dl->rs);
    dl->rs = rs;
    dl->nrs = cfg->n_receivers;
}

void
dlv_arm(struct deliverer *dl, double seconds)
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

/* Seconds until messages may go out (quiet hours, rest days), or 0. Says
 * so in the log once per hold. */
double
dlv_hold_left(struct deliverer *dl, double now)
{
    const struct config *cfg = dl->d->cfg;
    struct send_window w = { cfg->rest_days, cfg->hold_on_rest_days, cfg->quiet_start_min,
                             cfg->quiet_end_min };
    double at = holidays_send_at(&w, now);
    if (at <= now) {
        if (dl->held_until > 0)
            log_info("deliveries resume", "%s", "");
        dl->held_until = 0;
        return 0;
    }
    if (fabs(at - dl->held_until) >= 1) {
        char until[32];
        struct ymd today;
        clock_format(at, until);
        clock_date_of(now, &today);
        bool rest = cfg->hold_on_rest_days && holidays_rest_day(cfg->rest_days, &today);
        const char *name = holidays_name(cfg->rest_days, &today);
        log_info("holding deliveries until the next allowed time", "until=%s reason=%s%s%s", until,
                 rest ? "rest_day" : "quiet_hours", name ? " holiday=" : "", name ? log_q(name) : "");
    }
    dl->held_until = at;
    return at - now;
}

void
dlv_refill(struct rstate *r, const struct receiver *rv, double now)
{
    double rate = rv->rate_per_minute / 60.0;
    if (now > r->refilled_at)       /* the system clock may step back */
        r->tokens += (now - r->refilled_at) * rate;
    if (r->tokens > rv->rate_per_minute)
        r->tokens = rv->rate_per_minute;
    r->refilled_at = now;
}

/* ---- verdicts ----------------------------------------------------------- */


static void
on_recorded(void *arg, const char *err)
{
    struct attempt *at = arg;
    struct deliverer *dl = at->dl;
    if (err && !dl->closing)
        log_warn("could not record a delivery outcome: it will be sent again when its lease ends",
                 "receiver=%s %s rows=%zu error=%s", at->receiver, dlv_attempt_fields(at), at->n, log_q(err));
    dlv_attempt_free(at);
    dlv_check_drained(dl);
}

/* Queues at's verdict for the next batch; at is freed once it is written. */
void
dlv_record(struct attempt *at, enum verdict v, double next, const char *error, long http_status)
{
    vbatch_add(at->dl->vb, at->ids, at->n, v, dlv_now_of(at->dl), next, error, http_status, on_recorded, at);
}

/* Rows claimed but not sent (a rate limit, a queue that waited too long,
 * stopping): back to the queue as they were, the attempt not counted. */
void
dlv_release(struct attempt *at, const char *why)
{
    log_info("delivery released unsent", "receiver=%s %s rows=%zu reason=%s", at->receiver, dlv_attempt_fields(at),
             at->n, why);
    dlv_record(at, V_RELEASED, 0, NULL, 0);
}

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

static void
judge(struct attempt *at, const struct receiver *rv, const struct http_result *res)
{
    struct deliverer *dl = at->dl;
    struct render_answer ans = { res->status, res->body, res->body_len, res->retry_after,
                                 res->status == 0 ? res->error : NULL };
    struct render_verdict v;
    render_classify(rv->type, &ans, &v);
    double now = dlv_now_of(dl);
    if (v.ok) {
        dl->delivered += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "delivered", at->n, res->status ? res->elapsed_ms : -1);
        if (log_get_level() >= LOG_INFO)    /* the one line per delivery: not even formatted when off */
            log_info("delivered", "receiver=%s %s rows=%zu http=%ld ms=%ld", rv->name, dlv_attempt_fields(at), at->n,
                     res->status, res->elapsed_ms);
        dlv_record(at, V_DELIVERED, now, NULL, res->status);
        return;
    }
    if (v.retry_after > 0) {
        struct rstate *r = dlv_rstate_named(dl, rv->name);
        if (r)
            r->blocked_until = dlv_real_now() + (double)v.retry_after;
    }
    double delay = v.permanent ? -1 : retry_delay(at->attempts, v.retry_after);
    if (delay < 0 || now + delay - at->first_attempt > MAX_AGE_SECONDS) {
        dl->dead += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "dead", at->n, res->status ? res->elapsed_ms : -1);
        log_error(v.permanent ? "receiver refused the delivery for good: check its configuration"
                              : "delivery given up after its last attempt",
                  "receiver=%s %s rows=%zu http=%ld error=%s", rv->name, dlv_attempt_fields(at), at->n,
                  res->status, log_q(v.error));
        dlv_record(at, V_DEAD, now, v.error, res->status);
        return;
    }
    dl->retried += at->n;
    metrics_delivery(dl->d->metrics, rv->name, "retry", at->n, res->status ? res->elapsed_ms : -1);
    log_warn("delivery failed: will retry", "receiver=%s %s rows=%zu http=%ld retry_in=%.0f error=%s", rv->name,
             dlv_attempt_fields(at), at->n, res->status, delay, log_q(v.error));
    dlv_record(at, V_PENDING, now + delay, v.error, res->status);
}

/* ---- sending ------------------------------------------------------------ */

int
dlv_queue_bound(const struct receiver *rv, const struct rstate *r)
{
    if (dlv_is_chat(rv))
        return 0;
    double pace = r->pace_ms > 1 ? r->pace_ms : 1;
    double q = rv->max_concurrency * (QUEUE_SECONDS * 1000 / pace);
    if (r->pace_ms <= 0 || q < rv->max_concurrency)
        q = rv->max_concurrency;
    return q > QUEUE_MAX ? QUEUE_MAX : (int)q;
}

int
dlv_lease_seconds(const struct receiver *rv)
{
    return 2 * rv->timeout_seconds + LEASE_MARGIN_SECONDS;
}

void
dlv_enqueue(struct rstate *r, struct attempt *at)
{
    at->qnext = NULL;
    if (r->qtail != NULL)
        r->qtail->qnext = at;
    else
        r->qhead = at;
    r->qtail = at;
    r->queued++;
}

static struct attempt *
dequeue(struct rstate *r)
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

static void on_sent(void *arg, const struct http_result *res);

/* Posts at's rendered request (its rows claimed). */
void
dlv_post(struct deliverer *dl, struct attempt *at, const struct receiver *rv)
{
    struct http_request hr = {
        .url = at->rq.url, .headers = (const char *const *)at->rq.headers, .body = at->rq.body,
        .body_len = at->rq.body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    int rc = http_post(dl->http, &hr, on_sent, at);
    render_request_free(&at->rq);
    at->rendered = false;
    if (rc != 0) {
        log_warn("delivery could not start: will retry", "receiver=%s %s rows=%zu", rv->name, dlv_attempt_fields(at),
                 at->n);
        metrics_delivery(dl->d->metrics, at->receiver, "retry", at->n, -1);
        dlv_record(at, V_PENDING, dlv_now_of(dl) + 5, "request could not be started", 0);
        return;
    }
    if (log_get_level() >= LOG_DEBUG)
        log_debug("delivery sent", "receiver=%s %s rows=%zu bytes=%zu", rv->name, dlv_attempt_fields(at), at->n,
                  hr.body_len);
    dl->in_flight++;
    struct rstate *r = dlv_rstate_named(dl, rv->name);
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
    if (!dl->vdb_up && !dl->draining)
        return;
    bool paused = r->blocked_until > dlv_real_now();
    while (r->qhead != NULL && (paused || dl->draining ||
                                (r->in_flight < rv->max_concurrency && dl->in_flight < MAX_IN_FLIGHT))) {
        struct attempt *at = dequeue(r);
        if (dl->draining)
            dlv_release(at, "stopping");
        else if (paused)
            dlv_release(at, "receiver_paused");
        else if (dlv_now_of(dl) + rv->timeout_seconds + LEASE_MARGIN_SECONDS / 2.0 > at->lease_end)
            dlv_release(at, "lease_too_short");
        else
            dlv_post(dl, at, rv);
    }
}

void
dlv_pump_all(struct deliverer *dl)
{
    const struct config *cfg = dl->d->cfg;
    for (size_t i = 0; i < dl->nrs && i < cfg->n_receivers; i++)
        pump(dl, &dl->rs[i], &cfg->receivers[i]);
}

static void
on_sent(void *arg, const struct http_result *res)
{
    struct attempt *at = arg;
    struct deliverer *dl = at->dl;
    dl->in_flight--;
    struct rstate *r = dlv_rstate_named(dl, at->receiver);
    if (r)
        r->in_flight--;
    const struct receiver *rv = dlv_receiver_named(dl, at->receiver);
    if (dl->closing) {
        dlv_attempt_free(at);       /* the lease ends on its own */
    } else if (res->cancelled) {
        dlv_release(at, "stopping");
    } else if (rv == NULL) {
        dlv_release(at, "receiver_removed");
    } else {
        if (r != NULL)
            r->pace_ms = r->pace_ms <= 0 ? (double)res->elapsed_ms : 0.9 * r->pace_ms + 0.1 * (double)res->elapsed_ms;
        judge(at, rv, res);
        if (r != NULL) {
            pump(dl, r, rv);
            /* Claim again once the queue runs low, not after every answer. */
            if (r->queued <= dlv_queue_bound(rv, r) / 2)
                dlv_claim(dl);
        }
    }
    dlv_check_drained(dl);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    dlv_claim(arg);
}

static void
on_db_state(void *arg, enum db_state state)
{
    struct deliverer *dl = arg;
    dl->db_up = state == DB_UP;
    if (dl->db_up) {
        db_query(dl->db, "LISTEN keyproj_delivery", 0, NULL, NULL, NULL);
        dlv_arm(dl, 0);
    }
}

static void
on_cdb_state(void *arg, enum db_state state)
{
    struct deliverer *dl = arg;
    dl->cdb_up = state == DB_UP;
}

static void
on_vdb_state(void *arg, enum db_state state)
{
    struct deliverer *dl = arg;
    dl->vdb_up = state == DB_UP;
    if (dl->vdb_up) {
        dlv_pump_all(dl);
        dlv_arm(dl, 0);
    }
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
    dlv_claim(arg);
}

static void
on_digest_wake(void *arg, double seconds)
{
    dlv_arm(arg, seconds);
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
    rebuild_states(dl);
    dl->db = db_new(d->base, "deliver", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_db_state, on_notify, dl);
    dl->digests.db = dl->db;
    dl->digests.wake = on_digest_wake;
    dl->digests.arg = dl;
    dl->cdb = db_new(d->base, "deliver2", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_cdb_state, NULL, dl);
    dl->vdb = db_new(d->base, "verdicts", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_vdb_state, NULL, dl);
    dl->vb = vbatch_new(d->base, dl->vdb, dl->worker);
    db_start(dl->db);
    db_start(dl->cdb);
    db_start(dl->vdb);
    return dl;
}

void
deliver_kick(struct deliverer *dl)
{
    if (dl)
        dlv_claim(dl);
}

void
deliver_reconfigure(struct deliverer *dl)
{
    rebuild_states(dl);
    db_reconfigure(dl->db, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->cdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->vdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    dlv_pump_all(dl);
    dlv_claim(dl);
}

void
deliver_stats(const struct deliverer *dl, struct deliver_stats *out)
{
    out->connected = dl->db_up && dl->vdb_up;
    out->in_flight = dl->in_flight;
    out->delivered = dl->delivered;
    out->retried = dl->retried;
    out->dead = dl->dead;
    out->silenced = dl->silenced;
    out->held_until = dl->held_until;
}

/* ---- stopping ----------------------------------------------------------- */

/* Drained: no request in flight, no claim unanswered, every verdict and
 * release written (or failed: those rows wait out their lease). */
void
dlv_check_drained(struct deliverer *dl)
{
    if (!dl->draining || dl->drained == NULL)
        return;
    if (dl->drain_phase < 3 && (dl->in_flight > 0 || dl->claims > 0 || vbatch_waiting(dl->vb) > 0))
        return;
    for (size_t i = 0; i < dl->nrs && dl->drain_phase < 3; i++)
        if (dl->rs[i].qhead != NULL)
            return;
    void (*done)(void *) = dl->drained;
    dl->drained = NULL;
    if (dl->drain_timer != NULL)
        evtimer_del(dl->drain_timer);
    log_info("deliveries drained", "delivered=%llu retried=%llu dead=%llu", dl->delivered, dl->retried, dl->dead);
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
                 dl->in_flight);
        dl->drain_phase = 2;
        struct timeval tv = { DRAIN_WRITE_SECONDS, 0 };
        evtimer_add(dl->drain_timer, &tv);
        http_cancel_all(dl->http);
    } else {
        log_warn("stopping before every outcome was written: those rows wait out their lease", "waiting=%zu",
                 vbatch_waiting(dl->vb));
        dl->drain_phase = 3;
    }
    dlv_check_drained(dl);
}

void
deliver_drain(struct deliverer *dl, int bound_seconds, void (*done)(void *arg), void *arg)
{
    if (dl == NULL || dl->draining) {
        if (dl == NULL)
            done(arg);
        return;
    }
    dl->draining = true;
    dl->drained = done;
    dl->drained_arg = arg;
    dl->drain_phase = 1;
    evtimer_del(dl->timer);
    log_info("stopping: no more claims; waiting for the requests in flight", "in_flight=%zu bound_seconds=%d",
             dl->in_flight, bound_seconds);
    for (size_t i = 0; i < dl->nrs; i++) {
        struct attempt *at;
        while ((at = dequeue(&dl->rs[i])) != NULL)
            dlv_release(at, "stopping");
    }
    dl->drain_timer = evtimer_new(dl->d->base, on_drain_timer, dl);
    struct timeval tv = { bound_seconds, 0 };
    evtimer_add(dl->drain_timer, &tv);
    dlv_check_drained(dl);
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
    struct rstate *r = dlv_rstate_named(dl, rv->name);
    if (r)
        r->tokens -= 1;
    log_info("receiver test sent", "receiver=%s user=%s", rv->name, log_q(by));
    return true;
}

void
deliver_free(struct deliverer *dl)
{
    if (dl == NULL)
        return;
    dl->closing = true;
    http_free(dl->http);    /* cancels in-flight sends; their leases expire */
    db_free(dl->vdb);       /* answers a verdict write in flight (vb still alive) */
    vbatch_free(dl->vb);
    db_free(dl->cdb);
    db_free(dl->db);
    for (size_t i = 0; i < dl->nrs; i++) {
        struct attempt *at;
        while ((at = dequeue(&dl->rs[i])) != NULL)
            dlv_attempt_free(at);
    }
    while (dl->live != NULL)
        dlv_attempt_free(dl->live);
    event_free(dl->timer);
    if (dl->drain_timer)
        event_free(dl->drain_timer);
    for (size_t i = 0; i < dl->nrs; i++)
        free(dl->rs[i].name);
    free(dl->rs);
    free(dl);
}
