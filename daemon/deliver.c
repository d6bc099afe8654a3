/* deliver: claim → render → POST → verdict, per receiver within its
 * concurrency and rate limit, outside quiet hours and rest days (held, never
 * dropped). A delivery whose alert an active silence covers when it is due
 * is marked silenced, not sent. A slow or dead receiver only fills its own
 * slots; the others keep being claimed and sent. A chat receiver gets
 * what became due within its window merged into one message (one token);
 * json receivers one request per alert. Daily digests and weekly summaries
 * are written too (deliver_digest.c), as alerts. Claims run on one
 * connection, verdicts are written in batches on another (deliver_batch.c);
 * a row is never sent twice by this daemon while its verdict is unwritten. */
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
#define MAX_IN_FLIGHT 256
/* A lease is twice the receiver's timeout plus this: a claimed row waits at
 * most one request's time in its receiver's queue (or is released), then
 * takes at most the timeout, and its verdict is written well within it. */
#define LEASE_MARGIN_SECONDS 30
/* json receivers: rows claimed ahead of free slots, so a claim's round
 * trip does not leave the slots idle: what the receiver's slots get through
 * in QUEUE_SECONDS at its recent pace, at least one row per slot. */
#define QUEUE_SECONDS 0.5
#define QUEUE_MAX 512
#define SECOND_CLAIM_MIN 64         /* rows: below that, wait for the running claim instead */
#define POLL_SECONDS 30             /* other daemons' rows, expired leases */
#define GROUP_ROWS_PER_MESSAGE 40   /* chat: rows claimed per message the receiver may take */
#define GROUP_ROWS_MAX 200          /* chat: rows claimed at most per receiver and claim */
#define DRAIN_WRITE_SECONDS 3       /* after the drain bound: for the last verdicts to be written */

struct attempt;

/* Rate limits and Retry-After are about the receiver's real time, so they
 * run on the system clock (real_now); everything about business time —
 * when a row is due, holds, silences, the maximum age — on the daemon's
 * clock (now_of), which tests move. */
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

static void
attempt_free(struct attempt *at)
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
static const char *
attempt_fields(const struct attempt *at)
{
    static char f[128];
    snprintf(f, sizeof f, "delivery=%lld attempt=%d%s%s", at->id, at->attempts, at->webhook_id[0] ? " webhook_id=" : "",
             at->webhook_id);
    return f;
}

static bool
is_chat(const struct receiver *rv)
{
    return strcmp(rv->type, "json") != 0;
}

/* Chat receivers merge what became due within their window. */
static int
window_of(const struct receiver *rv)
{
    return is_chat(rv) ? rv->digest_window_seconds : 0;
}

/* The latest daily digest moment at or before now (alerts.digest_time on
 * a working day), or 0 when there is none in the last 60 days. */
static double
last_digest_at(const struct config *cfg, double now)
{
    if (cfg->digest_min < 0)
        return 0;
    struct ymd day;
    clock_date_of(now, &day);
    for (int i = 0; i < 60; i++) {
        double start = clock_day_start(&day);
        double at = start + cfg->digest_min * 60.0;
        if (at <= now && !holidays_rest_day(cfg->rest_days, &day))
            return at;
        clock_date_of(start - 12 * 3600.0, &day);
    }
    return 0;
}

/* reds_only_at_once: a receiver's non-red rows are claimable only once a
 * daily digest moment has passed since they became due ("NULL": no such
 * hold), as PostgreSQL text of a float8[] element. */
static void
put_cut(struct buf *b, bool first, const struct config *cfg, const struct receiver *rv, double now)
{
    double cut = rv->reds_only_at_once && is_chat(rv) ? last_digest_at(cfg, now) : -1;
    if (cut < 0)
        buf_printf(b, "%sNULL", first ? "" : ",");
    else
        buf_printf(b, "%s%.3f", first ? "" : ",", cut);
}

/* The SQL condition that a row d of receiver w (with its cut) may go now. */
#define NOT_HELD_FOR_DIGEST \
    "(w.cut IS NULL OR d.next_attempt_at <= to_timestamp(w.cut) OR EXISTS (SELECT 1 FROM alert ha" \
    " WHERE ha.id = d.alert_id AND (ha.light = 'red' OR ha.kind = 'digest')))"


static void claim(struct deliverer *dl);
static void arm(struct deliverer *dl, double seconds);
static struct attempt *dequeue(struct rstate *r);
static void release(struct attempt *at, const char *why);

/* The claim's columns: the silence that held the row back (or NULL), and
 * the lease's end. */
#define COL_SILENCE 10
#define COL_LEASE 11

static double
now_of(const struct deliverer *dl)
{
    return clock_now(&dl->d->clock);
}

static double
real_now(void)
{
    return clock_now(NULL);
}

static const struct receiver *
receiver_named(const struct deliverer *dl, const char *name)
{
    const struct config *cfg = dl->d->cfg;
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (strcmp(cfg->receivers[i].name, name) == 0)
            return &cfg->receivers[i];
    return NULL;
}

static struct rstate *
rstate_named(struct deliverer *dl, const char *name)
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
    double now = real_now();
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct rstate *old = rstate_named(dl, cfg->receivers[i].name);
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
            release(at, "receiver_removed");
        free(dl->rs[i].name);
    }
    free(dl->rs);
    dl->rs = rs;
    dl->nrs = cfg->n_receivers;
}

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

/* Seconds until messages may go out (quiet hours, rest days), or 0. Says
 * so in the log once per hold. */
static double
hold_left(struct deliverer *dl, double now)
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

static void
refill(struct rstate *r, const struct receiver *rv, double now)
{
    double rate = rv->rate_per_minute / 60.0;
    if (now > r->refilled_at)       /* the system clock may step back */
        r->tokens += (now - r->refilled_at) * rate;
    if (r->tokens > rv->rate_per_minute)
        r->tokens = rv->rate_per_minute;
    r->refilled_at = now;
}

/* ---- verdicts ----------------------------------------------------------- */

static void check_drained(struct deliverer *dl);

static void
on_recorded(void *arg, const char *err)
{
    struct attempt *at = arg;
    struct deliverer *dl = at->dl;
    if (err && !dl->closing)
        log_warn("could not record a delivery outcome: it will be sent again when its lease ends",
                 "receiver=%s %s rows=%zu error=%s", at->receiver, attempt_fields(at), at->n, log_q(err));
    attempt_free(at);
    check_drained(dl);
}

/* Queues at's verdict for the next batch; at is freed once it is written. */
static void
record(struct attempt *at, enum verdict v, double next, const char *error, long http_status)
{
    vbatch_add(at->dl->vb, at->ids, at->n, v, now_of(at->dl), next, error, http_status, on_recorded, at);
}

/* Rows claimed but not sent (a rate limit, a queue that waited too long,
 * stopping): back to the queue as they were, the attempt not counted. */
static void
release(struct attempt *at, const char *why)
{
    log_info("delivery released unsent", "receiver=%s %s rows=%zu reason=%s", at->receiver, attempt_fields(at),
             at->n, why);
    record(at, V_RELEASED, 0, NULL, 0);
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
    double now = now_of(dl);
    if (v.ok) {
        dl->delivered += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "delivered", at->n, res->status ? res->elapsed_ms : -1);
        if (log_get_level() >= LOG_INFO)    /* the one line per delivery: not even formatted when off */
            log_info("delivered", "receiver=%s %s rows=%zu http=%ld ms=%ld", rv->name, attempt_fields(at), at->n,
                     res->status, res->elapsed_ms);
        record(at, V_DELIVERED, now, NULL, res->status);
        return;
    }
    if (v.retry_after > 0) {
        struct rstate *r = rstate_named(dl, rv->name);
        if (r)
            r->blocked_until = real_now() + (double)v.retry_after;
    }
    double delay = v.permanent ? -1 : retry_delay(at->attempts, v.retry_after);
    if (delay < 0 || now + delay - at->first_attempt > MAX_AGE_SECONDS) {
        dl->dead += at->n;
        metrics_delivery(dl->d->metrics, rv->name, "dead", at->n, res->status ? res->elapsed_ms : -1);
        log_error(v.permanent ? "receiver refused the delivery for good: check its configuration"
                              : "delivery given up after its last attempt",
                  "receiver=%s %s rows=%zu http=%ld error=%s", rv->name, attempt_fields(at), at->n,
                  res->status, log_q(v.error));
        record(at, V_DEAD, now, v.error, res->status);
        return;
    }
    dl->retried += at->n;
    metrics_delivery(dl->d->metrics, rv->name, "retry", at->n, res->status ? res->elapsed_ms : -1);
    log_warn("delivery failed: will retry", "receiver=%s %s rows=%zu http=%ld retry_in=%.0f error=%s", rv->name,
             attempt_fields(at), at->n, res->status, delay, log_q(v.error));
    record(at, V_PENDING, now + delay, v.error, res->status);
}

/* ---- sending ------------------------------------------------------------ */

static int
queue_bound(const struct receiver *rv, const struct rstate *r)
{
    if (is_chat(rv))
        return 0;
    double pace = r->pace_ms > 1 ? r->pace_ms : 1;
    double q = rv->max_concurrency * (QUEUE_SECONDS * 1000 / pace);
    if (r->pace_ms <= 0 || q < rv->max_concurrency)
        q = rv->max_concurrency;
    return q > QUEUE_MAX ? QUEUE_MAX : (int)q;
}

static int
lease_seconds(const struct receiver *rv)
{
    return 2 * rv->timeout_seconds + LEASE_MARGIN_SECONDS;
}

static void
enqueue(struct rstate *r, struct attempt *at)
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
static void
post(struct deliverer *dl, struct attempt *at, const struct receiver *rv)
{
    struct http_request hr = {
        .url = at->rq.url, .headers = (const char *const *)at->rq.headers, .body = at->rq.body,
        .body_len = at->rq.body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    int rc = http_post(dl->http, &hr, on_sent, at);
    render_request_free(&at->rq);
    at->rendered = false;
    if (rc != 0) {
        log_warn("delivery could not start: will retry", "receiver=%s %s rows=%zu", rv->name, attempt_fields(at),
                 at->n);
        metrics_delivery(dl->d->metrics, at->receiver, "retry", at->n, -1);
        record(at, V_PENDING, now_of(dl) + 5, "request could not be started", 0);
        return;
    }
    if (log_get_level() >= LOG_DEBUG)
        log_debug("delivery sent", "receiver=%s %s rows=%zu bytes=%zu", rv->name, attempt_fields(at), at->n,
                  hr.body_len);
    dl->in_flight++;
    struct rstate *r = rstate_named(dl, rv->name);
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
    bool paused = r->blocked_until > real_now();
    while (r->qhead != NULL && (paused || dl->draining ||
                                (r->in_flight < rv->max_concurrency && dl->in_flight < MAX_IN_FLIGHT))) {
        struct attempt *at = dequeue(r);
        if (dl->draining)
            release(at, "stopping");
        else if (paused)
            release(at, "receiver_paused");
        else if (now_of(dl) + rv->timeout_seconds + LEASE_MARGIN_SECONDS / 2.0 > at->lease_end)
            release(at, "lease_too_short");
        else
            post(dl, at, rv);
    }
}

static void
pump_all(struct deliverer *dl)
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
    struct rstate *r = rstate_named(dl, at->receiver);
    if (r)
        r->in_flight--;
    const struct receiver *rv = receiver_named(dl, at->receiver);
    if (dl->closing) {
        attempt_free(at);       /* the lease ends on its own */
    } else if (res->cancelled) {
        release(at, "stopping");
    } else if (rv == NULL) {
        release(at, "receiver_removed");
    } else {
        if (r != NULL)
            r->pace_ms = r->pace_ms <= 0 ? (double)res->elapsed_ms : 0.9 * r->pace_ms + 0.1 * (double)res->elapsed_ms;
        judge(at, rv, res);
        if (r != NULL) {
            pump(dl, r, rv);
            /* Claim again once the queue runs low, not after every answer. */
            if (r->queued <= queue_bound(rv, r) / 2)
                claim(dl);
        }
    }
    check_drained(dl);
}

/* The alert as the renderers see it, from the claimed row's columns; the
 * caller decrefs *payload. */
static void
view_of(const PGresult *res, int row, struct alert_view *v, json_t **payload)
{
    *payload = json_loads(PQgetvalue(res, row, 9), 0, NULL);
    if (*payload == NULL)
        *payload = json_object();
    memset(v, 0, sizeof *v);
    v->id = strtoll(PQgetvalue(res, row, 4), NULL, 10);
    v->kind = PQgetvalue(res, row, 5);
    v->stage = PQgetvalue(res, row, 6);
    v->light = PQgetisnull(res, row, 7) ? NULL : PQgetvalue(res, row, 7);
    v->created_at = PQgetvalue(res, row, 8);
    v->message = json_string_value(json_object_get(*payload, "message"));
    v->tier = (int)json_integer_value(json_object_get(*payload, "tier"));
    v->data = *payload;
    if (v->message == NULL)
        v->message = v->kind;
}

/* The claim's columns: 0 id, 1 receiver, 2 attempts, 3 first attempt,
 * 4 alert id, 5 kind, 6 stage, 7 light, 8 created, 9 payload, 10 silence,
 * 11 lease end (epoch). */
static struct attempt *
attempt_new(struct deliverer *dl, const char *receiver, const PGresult *res, const int *rows, size_t n)
{
    struct attempt *at = xcalloc(1, sizeof *at);
    at->dl = dl;
    at->receiver = xstrdup(receiver);
    at->ids = xreallocarray(NULL, n + 1, sizeof *at->ids);
    at->n = n;
    for (size_t i = 0; i < n; i++) {
        at->ids[i] = strtoll(PQgetvalue(res, rows[i], 0), NULL, 10);
        int a = atoi(PQgetvalue(res, rows[i], 2));
        double f = strtod(PQgetvalue(res, rows[i], 3), NULL);
        double l = strtod(PQgetvalue(res, rows[i], COL_LEASE), NULL);
        if (i == 0 || a > at->attempts)
            at->attempts = a;
        if (i == 0 || f < at->first_attempt)
            at->first_attempt = f;
        if (i == 0 || l < at->lease_end)
            at->lease_end = l;
    }
    at->id = at->ids[0];
    at->lnext = dl->live;
    if (dl->live != NULL)
        dl->live->lprev = at;
    dl->live = at;
    return at;
}

/* "{1,2,3}": the rows this daemon holds (queued, in flight or their
 * verdict unwritten) whose lease has run out by its clock: the claim skips
 * them all the same. Rows with a live lease it skips anyway. */
static char *
held_ids(const struct deliverer *dl)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    bool first = true;
    double now = now_of(dl);
    for (const struct attempt *at = dl->live; at != NULL; at = at->lnext)
        for (size_t i = 0; i < at->n && at->lease_end <= now + 1; i++) {
            buf_printf(&b, "%s%lld", first ? "" : ",", at->ids[i]);
            first = false;
        }
    buf_putc(&b, '}');
    return buf_steal(&b);
}

/* A daily digest alert (kind "digest"): its payload's items as one
 * message; webhook-id "msg_<alert id>" like any alert, so a retry keeps it. */
static bool
render_digest_alert(const struct receiver *rv, const struct alert_view *a, const json_t *payload,
                    struct render_request *rq, char *err, size_t errlen)
{
    const json_t *items = json_object_get(payload, "items");
    size_t n = json_array_size(items);
    struct alert_view *views = xcalloc(n + 1, sizeof *views);
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(items, i);
        views[i].id = 0;
        views[i].kind = json_string_value(json_object_get(it, "kind"));
        views[i].stage = "";
        views[i].light = json_string_value(json_object_get(it, "light"));
        views[i].created_at = a->created_at;
        views[i].message = json_string_value(json_object_get(it, "message"));
        views[i].data = it;
    }
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)a->id);
    const char *title = json_string_value(json_object_get(payload, "title"));
    struct digest_view d = { id, title, a->created_at, views, n };
    bool ok = render_digest(rv, &d, (int64_t)(clock_now(NULL) * 1000), rq, err, errlen);
    free(views);
    return ok;
}

/* Renders one claimed row into its receiver's queue (or records it dead
 * when it cannot be rendered). */
static void
queue_row(struct deliverer *dl, const PGresult *res, int row)
{
    const char *name = PQgetvalue(res, row, 1);
    struct attempt *at = attempt_new(dl, name, res, &row, 1);
    const struct receiver *rv = receiver_named(dl, at->receiver);
    struct rstate *r = rstate_named(dl, at->receiver);
    json_t *payload;
    struct alert_view v;
    view_of(res, row, &v, &payload);
    if (rv != NULL && !is_chat(rv))
        snprintf(at->webhook_id, sizeof at->webhook_id, "msg_%lld", (long long)v.id);
    char err[200];
    /* Signatures carry the real time, whatever the test clock says: the
     * receiver checks them against its own clock. */
    bool ok;
    if (strcmp(v.kind, "digest") == 0)
        ok = rv != NULL && render_digest_alert(rv, &v, payload, &at->rq, err, sizeof err);
    else
        ok = rv != NULL && render_alert(rv, &v, (int64_t)(clock_now(NULL) * 1000), &at->rq, err, sizeof err);
    json_decref(payload);
    if (!ok || r == NULL) {
        if (rv == NULL || r == NULL)
            snprintf(err, sizeof err, "receiver is no longer configured");
        dl->dead++;
        metrics_delivery(dl->d->metrics, at->receiver, "dead", 1, -1);
        log_error("delivery cannot be rendered", "receiver=%s %s error=%s", at->receiver, attempt_fields(at),
                  log_q(err));
        record(at, V_DEAD, now_of(dl), err, 0);
        return;
    }
    at->rendered = true;
    enqueue(r, at);
}

static int
light_rank(const char *light)
{
    if (light == NULL)
        return 3;
    return strcmp(light, "red") == 0 ? 0 : strcmp(light, "yellow") == 0 ? 1 : strcmp(light, "green") == 0 ? 2 : 3;
}

/* A chat receiver's claimed rows (not silenced): reds first, then as many
 * messages as fit the robot's size limit, at most msg_cap of them (one
 * token each); rows beyond that go back to the queue (true then). */
static bool
send_group(struct deliverer *dl, const struct receiver *rv, struct rstate *r, const PGresult *res,
           const int *rows_in, size_t n)
{
    int *rows = xreallocarray(NULL, n + 1, sizeof *rows);
    size_t k = 0;
    for (int rank = 0; rank <= 3; rank++)
        for (size_t i = 0; i < n; i++)
            if (light_rank(PQgetisnull(res, rows_in[i], 7) ? NULL : PQgetvalue(res, rows_in[i], 7)) == rank)
                rows[k++] = rows_in[i];
    struct alert_view *views = xcalloc(n + 1, sizeof *views);
    json_t **payloads = xcalloc(n + 1, sizeof *payloads);
    for (size_t i = 0; i < n; i++)
        view_of(res, rows[i], &views[i], &payloads[i]);
    int64_t now_ms = (int64_t)(clock_now(NULL) * 1000);
    char when[32];
    clock_format(now_of(dl), when);
    size_t at_row = 0;
    int sent = 0;
    while (at_row < n && sent < r->msg_cap) {
        size_t left = n - at_row, take = left;
        struct render_request rq;
        char err[200];
        bool ok;
        if (left == 1) {
            ok = render_alert(rv, &views[at_row], now_ms, &rq, err, sizeof err);
        } else {
            char id[48];
            snprintf(id, sizeof id, "g%s", PQgetvalue(res, rows[at_row], 0));
            struct digest_view d = { id, NULL, when, &views[at_row], left };
            ok = render_digest(rv, &d, now_ms, &rq, err, sizeof err);
            if (ok && rq.n_listed < left) {
                /* Over the robot's limit: this message takes the lines
                 * that fit (without the "另有 N 条" line), the next ones
                 * the rest. */
                take = rq.n_listed > 0 ? rq.n_listed : 1;
                render_request_free(&rq);
                d.n_alerts = take;
                ok = take == 1 ? render_alert(rv, &views[at_row], now_ms, &rq, err, sizeof err)
                               : render_digest(rv, &d, now_ms, &rq, err, sizeof err);
            }
        }
        struct attempt *at = attempt_new(dl, rv->name, res, rows + at_row, take);
        at_row += take;
        if (!ok) {
            dl->dead += at->n;
            metrics_delivery(dl->d->metrics, rv->name, "dead", at->n, -1);
            log_error("delivery cannot be rendered", "receiver=%s %s rows=%zu error=%s", rv->name,
                      attempt_fields(at), at->n, log_q(err));
            record(at, V_DEAD, now_of(dl), err, 0);
            continue;
        }
        if (take > 1)
            log_info("merged deliveries into one message", "receiver=%s %s rows=%zu", rv->name, attempt_fields(at),
                     take);
        r->tokens -= 1;     /* one message, one token */
        sent++;
        at->rq = rq;
        at->rendered = true;
        post(dl, at, rv);
    }
    if (at_row < n) {
        log_info("rate limit: merged deliveries wait for the next message", "receiver=%s rows=%zu", rv->name,
                 n - at_row);
        struct attempt *rest = attempt_new(dl, rv->name, res, rows + at_row, n - at_row);
        record(rest, V_RELEASED, 0, NULL, 0);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(payloads[i]);
    free(payloads);
    free(views);
    free(rows);
    return at_row < n;
}

/* ---- claiming ----------------------------------------------------------- */

static void
on_next_due(void *arg, const PGresult *res, const char *err)
{
    struct deliverer *dl = arg;
    if (err || PQgetisnull(res, 0, 0)) {
        arm(dl, POLL_SECONDS);
        return;
    }
    double wait = strtod(PQgetvalue(res, 0, 0), NULL) - now_of(dl);
    /* Due but not claimable (a lease about to end): do not spin. */
    if (wait < 0.2)
        wait = 0.2;
    arm(dl, wait < POLL_SECONDS ? wait : POLL_SECONDS);
}

/* Nothing more is due now: sleep until the earliest pending row. */
static void
sleep_until_due(struct deliverer *dl)
{
    struct buf names, wins, cuts;
    buf_init(&names);
    buf_init(&wins);
    buf_init(&cuts);
    buf_putc(&names, '{');
    buf_putc(&wins, '{');
    buf_putc(&cuts, '{');
    const struct config *cfg = dl->d->cfg;
    double now = now_of(dl);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        buf_printf(&names, "%s\"%s\"", i ? "," : "", cfg->receivers[i].name);
        buf_printf(&wins, "%s%d", i ? "," : "", window_of(&cfg->receivers[i]));
        put_cut(&cuts, i == 0, cfg, &cfg->receivers[i], now);
    }
    buf_putc(&names, '}');
    buf_putc(&wins, '}');
    buf_putc(&cuts, '}');
    const char *params[] = { names.data, wins.data, cuts.data };
    /* A row leased by another daemon is due again when its lease ends;
     * a chat receiver's row when its window has passed. */
    db_query(dl->db,
             "SELECT extract(epoch FROM min(greatest(d.next_attempt_at + make_interval(secs => w.win),"
             "   coalesce(d.claimed_until, d.next_attempt_at))))"
             " FROM unnest($1::text[], $2::int[], $3::float8[]) AS w(receiver, win, cut)"
             " JOIN delivery d ON d.receiver = w.receiver AND d.status = 'pending'"
             " WHERE " NOT_HELD_FOR_DIGEST,
             3, params, on_next_due, dl);
    buf_free(&names);
    buf_free(&wins);
    buf_free(&cuts);
}

/* A claim in flight: on which connection, and how many rows it asked of
 * each receiver (they count against its room until the answer). */
struct claim_ctx {
    struct deliverer *dl;
    int conn;
    double sent;                    /* real time, for the debug log */
    size_t n;
    char **names;
    int *caps;
    bool has_chat;
};

static void
claim_ctx_end(struct claim_ctx *c)
{
    struct deliverer *dl = c->dl;
    dl->claims--;
    dl->claim_busy[c->conn] = false;
    if (c->has_chat)
        dl->chat_claiming = false;
    for (size_t i = 0; i < c->n; i++) {
        struct rstate *r = rstate_named(dl, c->names[i]);
        if (r != NULL)
            r->claim_rows -= c->caps[i];
        free(c->names[i]);
    }
    free(c->names);
    free(c->caps);
    free(c);
}

static void
on_claimed(void *arg, const PGresult *res, const char *err)
{
    struct claim_ctx *c = arg;
    struct deliverer *dl = c->dl;
    double sent = c->sent;
    claim_ctx_end(c);
    if (err) {
        if (!dl->closing)
            log_warn("claiming deliveries failed", "error=%s", log_q(err));
        if (!dl->draining && !dl->closing)
            arm(dl, 5);
        check_drained(dl);
        return;
    }
    int n = PQntuples(res);
    log_debug("deliveries claimed", "rows=%d ms=%.1f in_flight=%zu", n, (real_now() - sent) * 1000, dl->in_flight);
    bool silenced = false;
    int *group = xreallocarray(NULL, (size_t)n + 1, sizeof *group);
    for (int i = 0; i < n; i++) {
        if (!PQgetisnull(res, i, COL_SILENCE)) {
            /* Not sent: it used no token and no slot, so claim again. */
            dl->silenced++;
            metrics_delivery(dl->d->metrics, PQgetvalue(res, i, 1), "silenced", 1, -1);
            silenced = true;
            log_info("delivery silenced", "receiver=%s delivery=%s alert=%s kind=%s silence=%s",
                     PQgetvalue(res, i, 1), PQgetvalue(res, i, 0), PQgetvalue(res, i, 4),
                     PQgetvalue(res, i, 5), PQgetvalue(res, i, COL_SILENCE));
            continue;
        }
        if (dl->draining) {     /* claimed as the signal came: not sent */
            release(attempt_new(dl, PQgetvalue(res, i, 1), res, &i, 1), "stopping");
            continue;
        }
        const struct receiver *rv = receiver_named(dl, PQgetvalue(res, i, 1));
        if (rv != NULL && is_chat(rv) && strcmp(PQgetvalue(res, i, 5), "digest") != 0)
            continue;           /* sent merged below */
        struct rstate *r = rstate_named(dl, PQgetvalue(res, i, 1));
        if (r)
            r->tokens -= 1;     /* every attempt counts, failed ones too */
        queue_row(dl, res, i);
    }
    /* Chat receivers: one message for what became due within the window. */
    bool released = false;
    for (size_t k = 0; !dl->draining && k < dl->nrs && k < dl->d->cfg->n_receivers; k++) {
        const struct receiver *rv = &dl->d->cfg->receivers[k];
        if (!is_chat(rv))
            continue;
        size_t m = 0;
        for (int i = 0; i < n; i++)
            if (PQgetisnull(res, i, COL_SILENCE) && strcmp(PQgetvalue(res, i, 1), rv->name) == 0 &&
                strcmp(PQgetvalue(res, i, 5), "digest") != 0)
                group[m++] = i;
        if (m == 0)
            continue;
        struct rstate *r = rstate_named(dl, rv->name);
        if (r && send_group(dl, rv, r, res, group, m))
            released = true;
    }
    free(group);
    pump_all(dl);
    if (dl->draining) {
        check_drained(dl);
        return;
    }
    if (released)
        dl->again = true;
    if (dl->again || silenced) {
        dl->again = false;
        claim(dl);
        return;
    }
    if (n == 0)
        sleep_until_due(dl);
}

/* How many rows each receiver may take now, as parallel arrays in
 * PostgreSQL's text form (and in c); returns the total, and the soonest a
 * blocked receiver frees up in *wake. A json receiver takes rows for its
 * free slots and its queue, less what a claim in flight asked for; a chat
 * receiver for the messages it may send, in one claim at a time (its merge
 * takes what one claim brings). */
static int
capacities(struct deliverer *dl, double now, struct buf *names, struct buf *caps, struct buf *wins,
           struct buf *cuts, struct buf *leases, double *wake, struct claim_ctx *c)
{
    const struct config *cfg = dl->d->cfg;
    int total = 0;
    buf_puts(names, "{");
    buf_puts(caps, "{");
    buf_puts(wins, "{");
    buf_puts(cuts, "{");
    buf_puts(leases, "{");
    for (size_t i = 0; i < cfg->n_receivers && i < dl->nrs; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        struct rstate *r = &dl->rs[i];
        if (is_chat(rv) && dl->chat_claiming)
            continue;
        r->msg_cap = 0;
        refill(r, rv, now);
        if (r->blocked_until > now) {
            if (r->blocked_until - now < *wake)
                *wake = r->blocked_until - now;
            continue;
        }
        int cap = rv->max_concurrency - r->in_flight + queue_bound(rv, r) - r->queued - r->claim_rows;
        if (cap > (int)r->tokens - r->claim_rows)
            cap = (int)r->tokens - r->claim_rows;
        if (cap <= 0) {
            double need = (1.0 - r->tokens) * 60.0 / rv->rate_per_minute;
            if (r->in_flight < rv->max_concurrency && need < *wake)
                *wake = need;
            continue;
        }
        r->msg_cap = cap;
        if (is_chat(rv))    /* rows, merged into at most cap messages */
            cap = cap * GROUP_ROWS_PER_MESSAGE < GROUP_ROWS_MAX ? cap * GROUP_ROWS_PER_MESSAGE : GROUP_ROWS_MAX;
        buf_printf(names, "%s\"%s\"", total ? "," : "", rv->name);
        buf_printf(caps, "%s%d", total ? "," : "", cap);
        buf_printf(wins, "%s%d", total ? "," : "", window_of(rv));
        buf_printf(leases, "%s%d", total ? "," : "", lease_seconds(rv));
        put_cut(cuts, total == 0, cfg, rv, now_of(dl));
        total += cap;
        c->names = xreallocarray(c->names, c->n + 1, sizeof *c->names);
        c->caps = xreallocarray(c->caps, c->n + 1, sizeof *c->caps);
        c->names[c->n] = xstrdup(rv->name);
        c->caps[c->n++] = cap;
        c->has_chat = c->has_chat || is_chat(rv);
    }
    buf_puts(names, "}");
    buf_puts(caps, "}");
    buf_puts(wins, "}");
    buf_puts(cuts, "}");
    buf_puts(leases, "}");
    return total;
}

static void
claim(struct deliverer *dl)
{
    struct daemon *d = dl->d;
    if (!dl->db_up || !dl->vdb_up || !d->db_ready || d->stopping || dl->draining || dl->http == NULL)
        return;
    /* A claim on each connection at most (the second only while the first
     * runs, and only when its answer would leave the queues short). */
    int conn = !dl->claim_busy[0] ? 0 : dl->cdb_up && !dl->claim_busy[1] ? 1 : -1;
    if (conn < 0) {
        dl->again = true;
        return;
    }
    double next_digest = digest_check(&dl->digests, dl->d->cfg, now_of(dl));
    if (next_digest >= 0)
        arm(dl, next_digest);
    double now = now_of(dl);
    double held = hold_left(dl, now);
    if (held > 0) {
        arm(dl, held);
        return;
    }
    if (dl->in_flight >= MAX_IN_FLIGHT)
        return;     /* on_sent claims again as slots free up */
    struct buf names, caps, wins, cuts, leases;
    buf_init(&names);
    buf_init(&caps);
    buf_init(&wins);
    buf_init(&cuts);
    buf_init(&leases);
    double wake = POLL_SECONDS;
    struct claim_ctx *c = xcalloc(1, sizeof *c);
    c->dl = dl;
    c->conn = conn;
    int total = capacities(dl, real_now(), &names, &caps, &wins, &cuts, &leases, &wake, c);
    if (total > 0 && dl->claims > 0 && total < SECOND_CLAIM_MIN) {
        dl->again = true;       /* the running claim's answer claims again */
        total = 0;
    }
    if (total == 0) {
        for (size_t i = 0; i < c->n; i++)
            free(c->names[i]);
        free(c->names);
        free(c->caps);
        free(c);
        arm(dl, wake);
    } else {
        char t[32];
        snprintf(t, sizeof t, "%.3f", now);
        char *held_rows = held_ids(dl);
        const char *params[] = { t, names.data, caps.data, dl->worker, leases.data, wins.data, cuts.data, held_rows };
        dl->claims++;
        dl->claim_busy[conn] = true;
        if (c->has_chat)
            dl->chat_claiming = true;
        c->sent = real_now();
        for (size_t i = 0; i < c->n; i++) {
            struct rstate *r = rstate_named(dl, c->names[i]);
            if (r != NULL)
                r->claim_rows += c->caps[i];
        }
        /* The silence is decided here, when the row is due, so a silence
         * added after the alert was written still holds it, and one that
         * ended lets later alerts through. A silenced row takes no lease
         * and no attempt (sql/0010_delivery_batch.sql). */
        db_query(conn == 0 ? dl->db : dl->cdb,
                 "SELECT * FROM keyproj_claim_deliveries(to_timestamp($1::float8), $4, $2::text[], $3::int[],"
                 " $6::int[], $7::float8[], $5::int[], $8::bigint[])",
                 8, params, on_claimed, c);
        free(held_rows);
    }
    buf_free(&names);
    buf_free(&caps);
    buf_free(&wins);
    buf_free(&cuts);
    buf_free(&leases);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    claim(arg);
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
        pump_all(dl);
        arm(dl, 0);
    }
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
    claim(arg);
}

static void
on_digest_wake(void *arg, double seconds)
{
    arm(arg, seconds);
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
        claim(dl);
}

void
deliver_reconfigure(struct deliverer *dl)
{
    rebuild_states(dl);
    db_reconfigure(dl->db, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->cdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    db_reconfigure(dl->vdb, dl->d->cfg->db_conninfo, dl->d->cfg->db_reconnect_max);
    pump_all(dl);
    claim(dl);
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
static void
check_drained(struct deliverer *dl)
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
    check_drained(dl);
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
            release(at, "stopping");
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
    struct rstate *r = rstate_named(dl, rv->name);
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
            attempt_free(at);
    }
    while (dl->live != NULL)
        attempt_free(dl->live);
    event_free(dl->timer);
    if (dl->drain_timer)
        event_free(dl->drain_timer);
    for (size_t i = 0; i < dl->nrs; i++)
        free(dl->rs[i].name);
    free(dl->rs);
    free(dl);
}
