/* deliver: claim → render → POST → verdict, per receiver within its
 * concurrency and rate limit, outside quiet hours and rest days (held, never
 * dropped). A delivery whose alert an active silence covers when it is due
 * is marked silenced, not sent. A slow or dead receiver only fills its own
 * slots; the others keep being claimed and sent. A chat receiver gets
 * what became due within its window merged into one message (one token);
 * json receivers one request per alert. Daily digests and weekly summaries
 * are written here too, as alerts, at alerts.digest_time. */
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
#include "holidays.h"
#include "http.h"
#include "log.h"
#include "render.h"
#include "util.h"

/* After each failed attempt, wait this long before the next (Svix's
 * schedule); after the last, the delivery is dead. */
static const int retry_schedule[] = { 5, 300, 1800, 7200, 18000, 36000, 36000 };
#define MAX_AGE_SECONDS (48 * 3600)
#define MAX_IN_FLIGHT 256
#define LEASE_MARGIN_SECONDS 60
#define POLL_SECONDS 30             /* other daemons' rows, expired leases */
#define GROUP_ROWS_PER_MESSAGE 40   /* chat: rows claimed per message the receiver may take */
#define GROUP_ROWS_MAX 200          /* chat: rows claimed at most per receiver and claim */
#define DIGEST_LATE_SECONDS (6 * 3600)  /* a daily digest not written by then is skipped */

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
};

struct deliverer {
    struct daemon *d;
    struct db *db;
    struct http *http;
    bool db_up;
    bool claiming;                  /* a claim query is in flight */
    bool again;                     /* kicked during a claim */
    struct event *timer;
    char worker[96];
    struct rstate *rs;
    size_t nrs;
    size_t in_flight;
    unsigned long long delivered, retried, dead, silenced;
    double held_until;              /* 0 when nothing is held */
    char digest_done[16];           /* the business date whose daily digests were written */
};

/* One request: one delivery row, or (chat receivers) several rows merged
 * into one message, whose verdict they all share. */
struct attempt {
    struct deliverer *dl;
    long long id;                   /* the first row */
    long long *ids;
    size_t n;
    char *receiver;
    int attempts;                   /* the most of any row: it sets the retry schedule */
    double first_attempt;           /* the earliest of any row: the maximum age counts from here */
};

static void
attempt_free(struct attempt *at)
{
    free(at->receiver);
    free(at->ids);
    free(at);
}

/* "{1,2,3}": rows as a bigint[] parameter. */
static char *
id_array(const long long *ids, size_t n)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%lld", i ? "," : "", ids[i]);
    buf_putc(&b, '}');
    return buf_steal(&b);
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

/* The claim's last column: the silence that held the row back, or NULL. */
#define COL_SILENCE 10

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
    for (size_t i = 0; i < dl->nrs; i++)
        free(dl->rs[i].name);
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

static void
on_recorded(void *arg, const PGresult *res, const char *err)
{
    struct attempt *at = arg;
    if (err)
        log_warn("could not record a delivery outcome: it will be sent again when its lease ends",
                 "delivery=%lld rows=%zu receiver=%s error=%s", at->id, at->n, at->receiver, log_q(err));
    attempt_free(at);
}

static void
record(struct attempt *at, const char *status, double next, const char *error, long http_status)
{
    struct deliverer *dl = at->dl;
    char now[32], nxt[32], st[16];
    char *id = id_array(at->ids, at->n);
    snprintf(now, sizeof now, "%.3f", now_of(dl));
    snprintf(nxt, sizeof nxt, "%.3f", next);
    snprintf(st, sizeof st, "%ld", http_status);
    const char *params[] = { id, status, now, nxt, error, http_status >= 100 && http_status <= 599 ? st : NULL,
                             dl->worker };
    db_query(dl->db,
             "UPDATE delivery SET status = $2,"
             " delivered_at = CASE WHEN $2 = 'delivered' THEN to_timestamp($3::float8) END,"
             " next_attempt_at = CASE WHEN $2 = 'pending' THEN to_timestamp($4::float8) ELSE next_attempt_at END,"
             " last_error = $5, last_http_status = $6::int, claimed_by = NULL, claimed_until = NULL"
             " WHERE id = ANY($1::bigint[]) AND claimed_by = $7",
             7, params, on_recorded, at);
    free(id);
}

/* Rows claimed but not sent (the receiver's rate allowed fewer messages
 * than the merged rows needed): back to the queue as they were. */
static void
release(struct deliverer *dl, const long long *ids, size_t n)
{
    char *id = id_array(ids, n);
    const char *params[] = { id, dl->worker };
    db_query(dl->db,
             "UPDATE delivery SET claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1,"
             " first_attempt_at = CASE WHEN attempts = 1 THEN NULL ELSE first_attempt_at END"
             " WHERE id = ANY($1::bigint[]) AND claimed_by = $2",
             2, params, NULL, NULL);
    free(id);
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
        log_info("delivered", "receiver=%s delivery=%lld rows=%zu attempt=%d http=%ld ms=%ld", rv->name, at->id,
                 at->n, at->attempts, res->status, res->elapsed_ms);
        record(at, "delivered", now, NULL, res->status);
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
        log_error(v.permanent ? "receiver refused the delivery for good: check its configuration"
                              : "delivery given up after its last attempt",
                  "receiver=%s delivery=%lld rows=%zu attempt=%d http=%ld error=%s", rv->name, at->id, at->n,
                  at->attempts, res->status, log_q(v.error));
        record(at, "dead", now, v.error, res->status);
        return;
    }
    dl->retried += at->n;
    log_warn("delivery failed: will retry",
             "receiver=%s delivery=%lld rows=%zu attempt=%d http=%ld retry_in=%.0f error=%s",
             rv->name, at->id, at->n, at->attempts, res->status, delay, log_q(v.error));
    record(at, "pending", now + delay, v.error, res->status);
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
    if (res->cancelled || rv == NULL) {
        /* Stopping, or the receiver left the config: the lease expires and
         * whoever serves this receiver sends it again. */
        attempt_free(at);
        return;
    }
    judge(at, rv, res);
    claim(dl);
}

/* ---- sending ------------------------------------------------------------ */

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

/* Posts rq for at (its rows already claimed); takes at. */
static void
post(struct deliverer *dl, struct attempt *at, const struct receiver *rv, struct render_request *rq)
{
    struct http_request hr = {
        .url = rq->url, .headers = (const char *const *)rq->headers, .body = rq->body,
        .body_len = rq->body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    if (http_post(dl->http, &hr, on_sent, at) != 0) {
        log_warn("delivery could not start: will retry", "receiver=%s delivery=%lld rows=%zu", rv->name,
                 at->id, at->n);
        record(at, "pending", now_of(dl) + 5, "request could not be started", 0);
    } else {
        dl->in_flight++;
        struct rstate *r = rstate_named(dl, rv->name);
        if (r)
            r->in_flight++;
    }
    render_request_free(rq);
}

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
        if (i == 0 || a > at->attempts)
            at->attempts = a;
        if (i == 0 || f < at->first_attempt)
            at->first_attempt = f;
    }
    at->id = at->ids[0];
    return at;
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

static void
send_row(struct deliverer *dl, const PGresult *res, int row)
{
    const char *name = PQgetvalue(res, row, 1);
    struct attempt *at = attempt_new(dl, name, res, &row, 1);
    const struct receiver *rv = receiver_named(dl, at->receiver);
    json_t *payload;
    struct alert_view v;
    view_of(res, row, &v, &payload);
    struct render_request rq;
    char err[200];
    memset(&rq, 0, sizeof rq);
    /* Signatures carry the real time, whatever the test clock says: the
     * receiver checks them against its own clock. */
    bool ok;
    if (strcmp(v.kind, "digest") == 0)
        ok = rv != NULL && render_digest_alert(rv, &v, payload, &rq, err, sizeof err);
    else
        ok = rv != NULL && render_alert(rv, &v, (int64_t)(clock_now(NULL) * 1000), &rq, err, sizeof err);
    json_decref(payload);
    if (!ok) {
        if (rv == NULL)
            snprintf(err, sizeof err, "receiver is no longer configured");
        dl->dead++;
        log_error("delivery cannot be rendered", "receiver=%s delivery=%lld error=%s", at->receiver, at->id,
                  log_q(err));
        record(at, "dead", now_of(dl), err, 0);
        return;
    }
    post(dl, at, rv, &rq);
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
            log_error("delivery cannot be rendered", "receiver=%s delivery=%lld rows=%zu error=%s", rv->name,
                      at->id, at->n, log_q(err));
            record(at, "dead", now_of(dl), err, 0);
            continue;
        }
        if (take > 1)
            log_info("merged deliveries into one message", "receiver=%s delivery=%lld rows=%zu", rv->name,
                     at->id, take);
        r->tokens -= 1;     /* one message, one token */
        sent++;
        post(dl, at, rv, &rq);
    }
    if (at_row < n) {
        long long *ids = xreallocarray(NULL, n - at_row, sizeof *ids);
        for (size_t i = at_row; i < n; i++)
            ids[i - at_row] = strtoll(PQgetvalue(res, rows[i], 0), NULL, 10);
        log_info("rate limit: merged deliveries wait for the next message", "receiver=%s rows=%zu", rv->name,
                 n - at_row);
        release(dl, ids, n - at_row);
        free(ids);
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

static void
on_claimed(void *arg, const PGresult *res, const char *err)
{
    struct deliverer *dl = arg;
    dl->claiming = false;
    if (err) {
        log_warn("claiming deliveries failed", "error=%s", log_q(err));
        arm(dl, 5);
        return;
    }
    int n = PQntuples(res);
    bool silenced = false;
    int *group = xreallocarray(NULL, (size_t)n + 1, sizeof *group);
    for (int i = 0; i < n; i++) {
        if (!PQgetisnull(res, i, COL_SILENCE)) {
            /* Not sent: it used no token and no slot, so claim again. */
            dl->silenced++;
            silenced = true;
            log_info("delivery silenced", "receiver=%s delivery=%s alert=%s kind=%s silence=%s",
                     PQgetvalue(res, i, 1), PQgetvalue(res, i, 0), PQgetvalue(res, i, 4),
                     PQgetvalue(res, i, 5), PQgetvalue(res, i, COL_SILENCE));
            continue;
        }
        const struct receiver *rv = receiver_named(dl, PQgetvalue(res, i, 1));
        if (rv != NULL && is_chat(rv) && strcmp(PQgetvalue(res, i, 5), "digest") != 0)
            continue;           /* sent merged below */
        struct rstate *r = rstate_named(dl, PQgetvalue(res, i, 1));
        if (r)
            r->tokens -= 1;     /* every attempt counts, failed ones too */
        send_row(dl, res, i);
    }
    /* Chat receivers: one message for what became due within the window. */
    bool released = false;
    for (size_t k = 0; k < dl->nrs && k < dl->d->cfg->n_receivers; k++) {
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
    if (released)
        dl->again = true;
    if (dl->again || silenced) {
        dl->again = false;
        claim(dl);
        return;
    }
    /* Nothing more is due now: sleep until the earliest pending row. */
    if (n == 0) {
        struct buf names;
        buf_init(&names);
        struct buf wins, cuts;
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
}

/* How many rows each receiver may take now, as two parallel arrays in
 * PostgreSQL's text form; returns the total, and the soonest a blocked
 * receiver frees up in *wake. */
static int
capacities(struct deliverer *dl, double now, struct buf *names, struct buf *caps, struct buf *wins,
           struct buf *cuts, double *wake)
{
    const struct config *cfg = dl->d->cfg;
    int total = 0;
    buf_puts(names, "{");
    buf_puts(caps, "{");
    buf_puts(wins, "{");
    buf_puts(cuts, "{");
    for (size_t i = 0; i < cfg->n_receivers && i < dl->nrs; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        struct rstate *r = &dl->rs[i];
        r->msg_cap = 0;
        refill(r, rv, now);
        if (r->blocked_until > now) {
            if (r->blocked_until - now < *wake)
                *wake = r->blocked_until - now;
            continue;
        }
        int cap = rv->max_concurrency - r->in_flight;
        if (cap > (int)r->tokens)
            cap = (int)r->tokens;
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
        put_cut(cuts, total == 0, cfg, rv, now_of(dl));
        total += cap;
    }
    buf_puts(names, "}");
    buf_puts(caps, "}");
    buf_puts(wins, "}");
    buf_puts(cuts, "}");
    return total;
}

/* ---- daily digests ------------------------------------------------------ */

/* A receiver's match list as a text[] ('{}': any). Values are county
 * names and vocabulary words; quoted with their quotes and backslashes
 * escaped. */
static char *
text_array(const struct matcher *m)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    for (size_t i = 0; i < m->n; i++) {
        buf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = m->v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(&b, '\\');
            buf_putc(&b, *p);
        }
        buf_putc(&b, '"');
    }
    buf_putc(&b, '}');
    return buf_steal(&b);
}

static void
on_digest(void *arg, const PGresult *res, const char *err)
{
    struct deliverer *dl = arg;
    if (err) {
        log_warn("could not write the daily digest: will try again", "error=%s", log_q(err));
        dl->digest_done[0] = '\0';
        arm(dl, 60);
        return;
    }
    if (PQntuples(res) > 0)
        log_info("digest written", "receiver=%s alert=%s", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
}

/* The weekly summary, before the project meeting: on the first working
 * day of the ISO week from alerts.weekly_day (Monday by default), at
 * digest_time, one per receiver and week (stage "weekly:IYYY-Www"): the
 * county ranking of last month's investment against 序时进度 (城区组, 县组
 * and 功能区组 apart), and the counts of the receiver's overdue and
 * due-this-week milestones and project lights. */
static void
weekly_write(struct deliverer *dl, const char *t, const char *date)
{
    const struct config *cfg = dl->d->cfg;
    char wd[8], yel[32], red[32];
    snprintf(wd, sizeof wd, "%d", cfg->weekly_day);
    snprintf(yel, sizeof yel, "%g", cfg->rules.lag_yellow_points);
    snprintf(red, sizeof red, "%g", cfg->rules.lag_red_points);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        char *county = text_array(&rv->county), *sector = text_array(&rv->sector), *level = text_array(&rv->level);
        const char *params[] = { rv->name, t, county, sector, level, date, wd, yel, red };
        db_query(dl->db,
                 "WITH s AS (SELECT $6::date AS today, (date_trunc('month', $6::date) - interval '1 month')::date AS month"
                 "   WHERE extract(isodow FROM $6::date) >= $7::int),"
                 " p AS (SELECT p.id, p.light FROM project p JOIN county c ON c.id = p.county_id"
                 "   WHERE (cardinality($3::text[]) = 0 OR c.name = ANY($3::text[]))"
                 "   AND (cardinality($4::text[]) = 0 OR p.sector = ANY($4::text[]))"
                 "   AND (cardinality($5::text[]) = 0 OR p.level = ANY($5::text[]))),"
                 " m AS (SELECT m.due_on < $6::date AS overdue FROM milestone m JOIN p ON p.id = m.project_id"
                 "   WHERE m.status = 'pending' AND m.due_on <= $6::date + (7 - extract(isodow FROM $6::date))::int),"
                 " per AS (SELECT co.name AS county, co.grp, p.annual_plan AS plan, coalesce(rep.ytd, 0) AS ytd,"
                 "   coalesce(ip.planned_cumulative, p.annual_plan * extract(month FROM s.month) / 12) AS plan_to_date"
                 "   FROM s CROSS JOIN project p JOIN county co ON co.id = p.county_id"
                 "   LEFT JOIN LATERAL (SELECT r.ytd FROM investment_report r WHERE r.project_id = p.id"
                 "     AND r.month BETWEEN date_trunc('year', s.month)::date AND s.month ORDER BY r.month DESC LIMIT 1) rep ON true"
                 "   LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = s.month"
                 "   WHERE p.year = extract(year FROM s.month) AND p.annual_plan > 0),"
                 " agg AS (SELECT county, grp, 100 * sum(ytd) / sum(plan) AS rate,"
                 "   100 * sum(plan_to_date) / sum(plan) AS sched, 100 * (sum(ytd) - sum(plan_to_date)) / sum(plan) AS points"
                 "   FROM per GROUP BY county, grp),"
                 " r AS (SELECT *, CASE grp WHEN 'district' THEN '城区组' WHEN 'county' THEN '县组' ELSE '功能区组' END AS gname,"
                 "   rank() OVER (PARTITION BY grp ORDER BY points DESC, rate DESC) AS rk FROM agg),"
                 /* no "light" on a ranking line: a digest lists reds first, a ranking keeps its order */
                 " items AS (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'rank',"
                 "     'lag_light', CASE WHEN points > -$8::numeric THEN 'green' WHEN points > -$9::numeric THEN 'yellow' ELSE 'red' END,"
                 "     'message', format('%s第 %s 名：完成 %s%%，序时 %s%%，%s %s 个百分点', gname, rk,"
                 "        round(rate, 1), round(sched, 1), CASE WHEN points >= 0 THEN '超' ELSE '落后' END, abs(round(points, 1))),"
                 "     'project', jsonb_build_object('county', county), 'group', gname, 'rank', rk,"
                 "     'investment_rate', round(rate, 1), 'schedule_rate', round(sched, 1), 'points_vs_schedule', round(points, 1))"
                 "     ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), rk, county), '[]'::jsonb) AS j FROM r),"
                 " l AS (SELECT count(*) FILTER (WHERE light = 'red') AS r, count(*) FILTER (WHERE light = 'yellow') AS y,"
                 "   count(*) FILTER (WHERE light = 'green') AS g FROM p),"
                 " a AS (INSERT INTO alert (kind, subject, stage, light, created_at, payload)"
                 "   SELECT 'digest', 'receiver:' || $1, 'weekly:' || to_char($6::date, 'IYYY-\"W\"IW'), NULL,"
                 "     to_timestamp($2::float8),"
                 "     jsonb_build_object('title', format('周报 %s｜%s 月投资完成排名｜逾期 %s 项，本周到期 %s 项｜项目红灯 %s 黄灯 %s 绿灯 %s',"
                 "         to_char($6::date, 'IYYY-\"W\"IW'), extract(month FROM s.month),"
                 "         (SELECT count(*) FROM m WHERE overdue), (SELECT count(*) FROM m WHERE NOT overdue), l.r, l.y, l.g),"
                 "       'digest', 'weekly', 'date', $6, 'receiver', $1, 'month', to_char(s.month, 'YYYY-MM'),"
                 "       'overdue', (SELECT count(*) FROM m WHERE overdue),"
                 "       'due_this_week', (SELECT count(*) FROM m WHERE NOT overdue),"
                 "       'lights', jsonb_build_object('red', l.r, 'yellow', l.y, 'green', l.g),"
                 "       'items', items.j)"
                 "   FROM s, items, l"
                 "   ON CONFLICT (kind, subject, stage) DO NOTHING RETURNING id)"
                 " INSERT INTO delivery (alert_id, receiver, next_attempt_at)"
                 " SELECT id, $1, to_timestamp($2::float8) FROM a RETURNING alert_id, receiver",
                 9, params, on_digest, dl);
        free(county);
        free(sector);
        free(level);
    }
}

/* At alerts.digest_time on working days (the holiday calendar decides),
 * one digest alert per receiver for that day — kind "digest", subject
 * "receiver:NAME", stage "daily:DATE" — with its delivery, in one
 * statement; UNIQUE(kind, subject, stage) makes it once per day whatever
 * restarts or other daemons do. Then it goes through the outbox like any
 * alert (holds, silences, retries). Sets the wake-up for the next one. */
static void
digest_check(struct deliverer *dl)
{
    const struct config *cfg = dl->d->cfg;
    if (cfg->digest_min < 0)
        return;
    double now = now_of(dl);
    struct ymd today;
    clock_date_of(now, &today);
    double at = clock_day_start(&today) + cfg->digest_min * 60.0;
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", today.y, today.m, today.d);
    if (now < at) {
        arm(dl, at - now);
        return;
    }
    /* the next one: tomorrow at the same time */
    struct ymd tomorrow;
    clock_date_of(clock_day_start(&today) + 36 * 3600.0, &tomorrow);
    arm(dl, clock_day_start(&tomorrow) + cfg->digest_min * 60.0 - now);
    if (strcmp(dl->digest_done, date) == 0)
        return;
    snprintf(dl->digest_done, sizeof dl->digest_done, "%s", date);
    /* A daemon started (or a database back) later the same morning still
     * writes the day's digest; one started in the evening does not send a
     * stale one: that day is skipped. */
    if (holidays_rest_day(cfg->rest_days, &today) || now - at > DIGEST_LATE_SECONDS)
        return;
    char t[32];
    snprintf(t, sizeof t, "%.3f", now);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        char *county = text_array(&rv->county), *sector = text_array(&rv->sector), *level = text_array(&rv->level);
        const char *params[] = { rv->name, t, county, sector, level, date };
        /* overdue: pending and due before today; due this week: today to
         * Sunday; the lights of the receiver's projects in the title. */
        db_query(dl->db,
                 "WITH p AS (SELECT p.id, p.code, p.name, p.light, c.name AS county FROM project p"
                 "   JOIN county c ON c.id = p.county_id"
                 "   WHERE (cardinality($3::text[]) = 0 OR c.name = ANY($3::text[]))"
                 "   AND (cardinality($4::text[]) = 0 OR p.sector = ANY($4::text[]))"
                 "   AND (cardinality($5::text[]) = 0 OR p.level = ANY($5::text[]))),"
                 " m AS (SELECT m.id, m.title, m.due_on, m.light, p.code, p.name, p.county,"
                 "   m.due_on < $6::date AS overdue FROM milestone m JOIN p ON p.id = m.project_id"
                 "   WHERE m.status = 'pending'"
                 "   AND m.due_on <= $6::date + (7 - extract(isodow FROM $6::date))::int),"
                 " items AS (SELECT coalesce(jsonb_agg(jsonb_build_object("
                 "     'kind', CASE WHEN overdue THEN 'milestone.overdue' ELSE 'milestone.due_soon' END,"
                 "     'light', coalesce(light, CASE WHEN overdue THEN 'red' ELSE 'yellow' END),"
                 "     'message', CASE WHEN overdue THEN format('%s「%s」已逾期 %s 天', name, title, $6::date - due_on)"
                 "       ELSE format('%s「%s」%s 到期', name, title, to_char(due_on, 'MM-DD')) END,"
                 "     'project', jsonb_build_object('code', code, 'name', name, 'county', county),"
                 "     'milestone', jsonb_build_object('id', id, 'title', title, 'due', due_on))"
                 "     ORDER BY NOT overdue, due_on, id), '[]'::jsonb) AS j,"
                 "   count(*) FILTER (WHERE overdue) AS n_over, count(*) FILTER (WHERE NOT overdue) AS n_week"
                 "   FROM (SELECT * FROM m ORDER BY NOT overdue, due_on, id LIMIT 500) x),"
                 " l AS (SELECT count(*) FILTER (WHERE light = 'red') AS r, count(*) FILTER (WHERE light = 'yellow') AS y,"
                 "   count(*) FILTER (WHERE light = 'green') AS g FROM p),"
                 " a AS (INSERT INTO alert (kind, subject, stage, light, created_at, payload)"
                 "   SELECT 'digest', 'receiver:' || $1, 'daily:' || $6, NULL, to_timestamp($2::float8),"
                 "     jsonb_build_object('title', format('每日汇总 %s｜逾期 %s 项，本周到期 %s 项｜项目红灯 %s 黄灯 %s 绿灯 %s',"
                 "         $6, (SELECT count(*) FROM m WHERE overdue), (SELECT count(*) FROM m WHERE NOT overdue),"
                 "         l.r, l.y, l.g),"
                 "       'digest', 'daily', 'date', $6, 'receiver', $1,"
                 "       'overdue', (SELECT count(*) FROM m WHERE overdue),"
                 "       'due_this_week', (SELECT count(*) FROM m WHERE NOT overdue),"
                 "       'lights', jsonb_build_object('red', l.r, 'yellow', l.y, 'green', l.g),"
                 "       'items', items.j)"
                 "   FROM items, l"
                 "   ON CONFLICT (kind, subject, stage) DO NOTHING RETURNING id)"
                 " INSERT INTO delivery (alert_id, receiver, next_attempt_at)"
                 " SELECT id, $1, to_timestamp($2::float8) FROM a RETURNING alert_id, receiver",
                 6, params, on_digest, dl);
        free(county);
        free(sector);
        free(level);
    }
    if (cfg->weekly_day > 0)
        weekly_write(dl, t, date);
}

static void
claim(struct deliverer *dl)
{
    struct daemon *d = dl->d;
    if (!dl->db_up || !d->db_ready || d->stopping || dl->http == NULL)
        return;
    if (dl->claiming) {
        dl->again = true;
        return;
    }
    digest_check(dl);
    double now = now_of(dl);
    double held = hold_left(dl, now);
    if (held > 0) {
        arm(dl, held);
        return;
    }
    if (dl->in_flight >= MAX_IN_FLIGHT)
        return;     /* on_sent claims again as slots free up */
    struct buf names, caps, wins, cuts;
    buf_init(&names);
    buf_init(&caps);
    buf_init(&wins);
    buf_init(&cuts);
    double wake = POLL_SECONDS;
    int total = capacities(dl, real_now(), &names, &caps, &wins, &cuts, &wake);
    if (total == 0) {
        arm(dl, wake);
    } else {
        char t[32], lease[16];
        snprintf(t, sizeof t, "%.3f", now);
        snprintf(lease, sizeof lease, "%d", 600 + LEASE_MARGIN_SECONDS);
        const char *params[] = { t, names.data, caps.data, dl->worker, lease, wins.data, cuts.data };
        dl->claiming = true;
        /* The silence is decided here, when the row is due, so a silence
         * added after the alert was written still holds it, and one that
         * ended lets later alerts through. A silenced row takes no lease
         * and no attempt. */
        db_query(dl->db,
                 "WITH want AS (SELECT * FROM unnest($2::text[], $3::int[], $6::int[], $7::float8[])"
                 "   AS w(receiver, cap, win, cut)),"
                 " c AS (SELECT x.id, x.alert_id FROM want w CROSS JOIN LATERAL ("
                 "   SELECT d.id, d.alert_id FROM delivery d WHERE d.receiver = w.receiver AND d.status = 'pending'"
                 "   AND d.next_attempt_at <= to_timestamp($1::float8)"
                 "   AND (d.claimed_until IS NULL OR d.claimed_until < to_timestamp($1::float8))"
                 "   AND " NOT_HELD_FOR_DIGEST
                 /* a chat receiver: only once its oldest due row has waited out the window */
                 "   AND (w.win = 0 OR EXISTS (SELECT 1 FROM delivery e WHERE e.receiver = w.receiver"
                 "     AND e.status = 'pending' AND e.next_attempt_at <= to_timestamp($1::float8) - make_interval(secs => w.win)"
                 "     AND (e.claimed_until IS NULL OR e.claimed_until < to_timestamp($1::float8))))"
                 "   ORDER BY d.next_attempt_at LIMIT w.cap FOR UPDATE SKIP LOCKED) x),"
                 " s AS (SELECT c.id, keyproj_silence_for(c.alert_id, to_timestamp($1::float8)) AS silence FROM c)"
                 " UPDATE delivery d SET"
                 "   status = CASE WHEN s.silence IS NULL THEN d.status ELSE 'silenced' END,"
                 "   silence_id = s.silence,"
                 "   silenced_at = CASE WHEN s.silence IS NOT NULL THEN to_timestamp($1::float8) END,"
                 "   claimed_by = CASE WHEN s.silence IS NULL THEN $4 END,"
                 "   claimed_until = CASE WHEN s.silence IS NULL"
                 "     THEN to_timestamp($1::float8) + make_interval(secs => $5::int) END,"
                 "   attempts = d.attempts + CASE WHEN s.silence IS NULL THEN 1 ELSE 0 END,"
                 "   first_attempt_at = CASE WHEN s.silence IS NULL"
                 "     THEN coalesce(d.first_attempt_at, to_timestamp($1::float8)) ELSE d.first_attempt_at END"
                 " FROM s, alert a WHERE d.id = s.id AND a.id = d.alert_id"
                 " RETURNING d.id, d.receiver, d.attempts, extract(epoch FROM d.first_attempt_at),"
                 "   a.id, a.kind, a.stage, a.light,"
                 "   to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), a.payload::text,"
                 "   d.silence_id",
                 7, params, on_claimed, dl);
    }
    buf_free(&names);
    buf_free(&caps);
    buf_free(&wins);
    buf_free(&cuts);
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
    dl->claiming = false;
    if (dl->db_up) {
        db_query(dl->db, "LISTEN keyproj_delivery", 0, NULL, NULL, NULL);
        arm(dl, 0);
    }
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
    claim(arg);
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
    db_start(dl->db);
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
    claim(dl);
}

void
deliver_stats(const struct deliverer *dl, struct deliver_stats *out)
{
    out->connected = dl->db_up;
    out->in_flight = dl->in_flight;
    out->delivered = dl->delivered;
    out->retried = dl->retried;
    out->dead = dl->dead;
    out->silenced = dl->silenced;
    out->held_until = dl->held_until;
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
    http_free(dl->http);    /* cancels in-flight sends; their leases expire */
    db_free(dl->db);
    event_free(dl->timer);
    for (size_t i = 0; i < dl->nrs; i++)
        free(dl->rs[i].name);
    free(dl->rs);
    free(dl);
}
