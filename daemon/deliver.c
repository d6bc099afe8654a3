/* deliver: claim → render → POST → verdict, per receiver within its
 * concurrency and rate limit, outside quiet hours and rest days (held, never
 * dropped). A delivery whose alert an active silence covers when it is due
 * is marked silenced, not sent. A slow or dead receiver only fills its own
 * slots; the others keep being claimed and sent. */
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
};

struct attempt {
    struct deliverer *dl;
    long long id;
    char *receiver;
    int attempts;
    double first_attempt;           /* the maximum age counts from here */
};

static void claim(struct deliverer *dl);

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
                 "delivery=%lld receiver=%s error=%s", at->id, at->receiver, log_q(err));
    free(at->receiver);
    free(at);
}

static void
record(struct attempt *at, const char *status, double next, const char *error, long http_status)
{
    struct deliverer *dl = at->dl;
    char id[32], now[32], nxt[32], st[16];
    snprintf(id, sizeof id, "%lld", at->id);
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
             " WHERE id = $1::bigint AND claimed_by = $7",
             7, params, on_recorded, at);
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
        dl->delivered++;
        log_info("delivered", "receiver=%s delivery=%lld attempt=%d http=%ld ms=%ld", rv->name, at->id,
                 at->attempts, res->status, res->elapsed_ms);
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
        dl->dead++;
        log_error(v.permanent ? "receiver refused the delivery for good: check its configuration"
                              : "delivery given up after its last attempt",
                  "receiver=%s delivery=%lld attempt=%d http=%ld error=%s", rv->name, at->id, at->attempts,
                  res->status, log_q(v.error));
        record(at, "dead", now, v.error, res->status);
        return;
    }
    dl->retried++;
    log_warn("delivery failed: will retry", "receiver=%s delivery=%lld attempt=%d http=%ld retry_in=%.0f error=%s",
             rv->name, at->id, at->attempts, res->status, delay, log_q(v.error));
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
        free(at->receiver);
        free(at);
        return;
    }
    judge(at, rv, res);
    claim(dl);
}

/* ---- sending ------------------------------------------------------------ */

/* The alert as the renderers see it, from the claimed row's columns. */
static void
send_row(struct deliverer *dl, const PGresult *res, int row)
{
    struct attempt *at = xcalloc(1, sizeof *at);
    at->dl = dl;
    at->id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    at->receiver = xstrdup(PQgetvalue(res, row, 1));
    at->attempts = atoi(PQgetvalue(res, row, 2));
    at->first_attempt = strtod(PQgetvalue(res, row, 3), NULL);
    const struct receiver *rv = receiver_named(dl, at->receiver);
    json_t *payload = json_loads(PQgetvalue(res, row, 9), 0, NULL);
    if (payload == NULL)
        payload = json_object();
    struct alert_view v = {
        .id = strtoll(PQgetvalue(res, row, 4), NULL, 10),
        .kind = PQgetvalue(res, row, 5),
        .stage = PQgetvalue(res, row, 6),
        .light = PQgetisnull(res, row, 7) ? NULL : PQgetvalue(res, row, 7),
        .created_at = PQgetvalue(res, row, 8),
        .message = json_string_value(json_object_get(payload, "message")),
        .tier = (int)json_integer_value(json_object_get(payload, "tier")),
        .data = payload,
    };
    if (v.message == NULL)
        v.message = v.kind;
    struct render_request rq;
    char err[200];
    memset(&rq, 0, sizeof rq);
    /* Signatures carry the real time, whatever the test clock says: the
     * receiver checks them against its own clock. */
    bool ok = rv != NULL && render_alert(rv, &v, (int64_t)(clock_now(NULL) * 1000), &rq, err, sizeof err);
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
    struct http_request hr = {
        .url = rq.url, .headers = (const char *const *)rq.headers, .body = rq.body,
        .body_len = rq.body_len, .proxy = rv->proxy, .timeout_ms = rv->timeout_seconds * 1000L,
    };
    if (http_post(dl->http, &hr, on_sent, at) != 0) {
        log_warn("delivery could not start: will retry", "receiver=%s delivery=%lld", rv->name, at->id);
        record(at, "pending", now_of(dl) + 5, "request could not be started", 0);
    } else {
        dl->in_flight++;
        struct rstate *r = rstate_named(dl, rv->name);
        if (r)
            r->in_flight++;
    }
    render_request_free(&rq);
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
        struct rstate *r = rstate_named(dl, PQgetvalue(res, i, 1));
        if (r)
            r->tokens -= 1;     /* every attempt counts, failed ones too */
        send_row(dl, res, i);
    }
    if (dl->again || silenced) {
        dl->again = false;
        claim(dl);
        return;
    }
    /* Nothing more is due now: sleep until the earliest pending row. */
    if (n == 0) {
        struct buf names;
        buf_init(&names);
        buf_putc(&names, '{');
        for (size_t i = 0; i < dl->nrs; i++)
            buf_printf(&names, "%s\"%s\"", i ? "," : "", dl->rs[i].name);
        buf_putc(&names, '}');
        const char *params[] = { names.data };
        /* A row leased by another daemon is due again when its lease ends. */
        db_query(dl->db,
                 "SELECT extract(epoch FROM min(greatest(next_attempt_at, coalesce(claimed_until, next_attempt_at))))"
                 " FROM delivery WHERE status = 'pending' AND receiver = ANY($1::text[])",
                 1, params, on_next_due, dl);
        buf_free(&names);
    }
}

/* How many rows each receiver may take now, as two parallel arrays in
 * PostgreSQL's text form; returns the total, and the soonest a blocked
 * receiver frees up in *wake. */
static int
capacities(struct deliverer *dl, double now, struct buf *names, struct buf *caps, double *wake)
{
    const struct config *cfg = dl->d->cfg;
    int total = 0;
    buf_puts(names, "{");
    buf_puts(caps, "{");
    for (size_t i = 0; i < cfg->n_receivers && i < dl->nrs; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        struct rstate *r = &dl->rs[i];
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
        buf_printf(names, "%s\"%s\"", total ? "," : "", rv->name);
        buf_printf(caps, "%s%d", total ? "," : "", cap);
        total += cap;
    }
    buf_puts(names, "}");
    buf_puts(caps, "}");
    return total;
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
    double now = now_of(dl);
    double held = hold_left(dl, now);
    if (held > 0) {
        arm(dl, held);
        return;
    }
    if (dl->in_flight >= MAX_IN_FLIGHT)
        return;     /* on_sent claims again as slots free up */
    struct buf names, caps;
    buf_init(&names);
    buf_init(&caps);
    double wake = POLL_SECONDS;
    int total = capacities(dl, real_now(), &names, &caps, &wake);
    if (total == 0) {
        arm(dl, wake);
    } else {
        char t[32], lease[16];
        snprintf(t, sizeof t, "%.3f", now);
        snprintf(lease, sizeof lease, "%d", 600 + LEASE_MARGIN_SECONDS);
        const char *params[] = { t, names.data, caps.data, dl->worker, lease };
        dl->claiming = true;
        /* The silence is decided here, when the row is due, so a silence
         * added after the alert was written still holds it, and one that
         * ended lets later alerts through. A silenced row takes no lease
         * and no attempt. */
        db_query(dl->db,
                 "WITH want AS (SELECT * FROM unnest($2::text[], $3::int[]) AS w(receiver, cap)),"
                 " c AS (SELECT x.id, x.alert_id FROM want w CROSS JOIN LATERAL ("
                 "   SELECT d.id, d.alert_id FROM delivery d WHERE d.receiver = w.receiver AND d.status = 'pending'"
                 "   AND d.next_attempt_at <= to_timestamp($1::float8)"
                 "   AND (d.claimed_until IS NULL OR d.claimed_until < to_timestamp($1::float8))"
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
                 5, params, on_claimed, dl);
    }
    buf_free(&names);
    buf_free(&caps);
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
