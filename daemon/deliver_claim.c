/* deliver_claim: which rows each receiver may take now (its free slots,
 * its queue, its rate tokens, its merge window), the claim on one of two
 * connections, and what comes back turned into requests: json rows
 * rendered into their receiver's queue, chat rows merged into messages.
 * It never sends a row whose lease it does not hold; deliver.c sends. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "deliver_int.h"
#include "holidays.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "util.h"

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
    double cut = rv->reds_only_at_once && dlv_is_chat(rv) ? last_digest_at(cfg, now) : -1;
    if (cut < 0)
        buf_printf(b, "%sNULL", first ? "" : ",");
    else
        buf_printf(b, "%s%.3f", first ? "" : ",", cut);
}

/* The SQL condition that a row d of receiver w (with its cut) may go now. */
#define NOT_HELD_FOR_DIGEST \
    "(w.cut IS NULL OR d.next_attempt_at <= to_timestamp(w.cut) OR EXISTS (SELECT 1 FROM alert ha" \
    " WHERE ha.id = d.alert_id AND (ha.light = 'red' OR ha.kind = 'digest')))"



/* The claim's columns: the silence that held the row back (or NULL), and
 * the lease's end. */
#define COL_SILENCE 10
#define COL_LEASE 11

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
    double now = dlv_now_of(dl);
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
    const struct receiver *rv = dlv_receiver_named(dl, at->receiver);
    struct rstate *r = dlv_rstate_named(dl, at->receiver);
    json_t *payload;
    struct alert_view v;
    view_of(res, row, &v, &payload);
    if (rv != NULL && !dlv_is_chat(rv))
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
        log_error("delivery cannot be rendered", "receiver=%s %s error=%s", at->receiver, dlv_attempt_fields(at),
                  log_q(err));
        dlv_record(at, V_DEAD, dlv_now_of(dl), err, 0);
        return;
    }
    at->rendered = true;
    dlv_enqueue(r, at);
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
    clock_format(dlv_now_of(dl), when);
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
                      dlv_attempt_fields(at), at->n, log_q(err));
            dlv_record(at, V_DEAD, dlv_now_of(dl), err, 0);
            continue;
        }
        if (take > 1)
            log_info("merged deliveries into one message", "receiver=%s %s rows=%zu", rv->name, dlv_attempt_fields(at),
                     take);
        r->tokens -= 1;     /* one message, one token */
        sent++;
        at->rq = rq;
        at->rendered = true;
        dlv_post(dl, at, rv);
    }
    if (at_row < n) {
        log_info("rate limit: merged deliveries wait for the next message", "receiver=%s rows=%zu", rv->name,
                 n - at_row);
        struct attempt *rest = attempt_new(dl, rv->name, res, rows + at_row, n - at_row);
        dlv_record(rest, V_RELEASED, 0, NULL, 0);
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
        dlv_arm(dl, POLL_SECONDS);
        return;
    }
    double wait = strtod(PQgetvalue(res, 0, 0), NULL) - dlv_now_of(dl);
    /* Due but not claimable (a lease about to end): do not spin. */
    if (wait < 0.2)
        wait = 0.2;
    dlv_arm(dl, wait < POLL_SECONDS ? wait : POLL_SECONDS);
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
    double now = dlv_now_of(dl);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        buf_printf(&names, "%s\"%s\"", i ? "," : "", cfg->receivers[i].name);
        buf_printf(&wins, "%s%d", i ? "," : "", dlv_window_of(&cfg->receivers[i]));
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
        struct rstate *r = dlv_rstate_named(dl, c->names[i]);
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
            dlv_arm(dl, 5);
        dlv_check_drained(dl);
        return;
    }
    int n = PQntuples(res);
    log_debug("deliveries claimed", "rows=%d ms=%.1f in_flight=%zu", n, (dlv_real_now() - sent) * 1000, dl->in_flight);
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
            dlv_release(attempt_new(dl, PQgetvalue(res, i, 1), res, &i, 1), "stopping");
            continue;
        }
        const struct receiver *rv = dlv_receiver_named(dl, PQgetvalue(res, i, 1));
        if (rv != NULL && dlv_is_chat(rv) && strcmp(PQgetvalue(res, i, 5), "digest") != 0)
            continue;           /* sent merged below */
        struct rstate *r = dlv_rstate_named(dl, PQgetvalue(res, i, 1));
        if (r)
            r->tokens -= 1;     /* every attempt counts, failed ones too */
        queue_row(dl, res, i);
    }
    /* Chat receivers: one message for what became due within the window. */
    bool released = false;
    for (size_t k = 0; !dl->draining && k < dl->nrs && k < dl->d->cfg->n_receivers; k++) {
        const struct receiver *rv = &dl->d->cfg->receivers[k];
        if (!dlv_is_chat(rv))
            continue;
        size_t m = 0;
        for (int i = 0; i < n; i++)
            if (PQgetisnull(res, i, COL_SILENCE) && strcmp(PQgetvalue(res, i, 1), rv->name) == 0 &&
                strcmp(PQgetvalue(res, i, 5), "digest") != 0)
                group[m++] = i;
        if (m == 0)
            continue;
        struct rstate *r = dlv_rstate_named(dl, rv->name);
        if (r && send_group(dl, rv, r, res, group, m))
            released = true;
    }
    free(group);
    dlv_pump_all(dl);
    if (dl->draining) {
        dlv_check_drained(dl);
        return;
    }
    if (released)
        dl->again = true;
    if (dl->again || silenced) {
        dl->again = false;
        dlv_claim(dl);
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
        if (dlv_is_chat(rv) && dl->chat_claiming)
            continue;
        r->msg_cap = 0;
        dlv_refill(r, rv, now);
        if (r->blocked_until > now) {
            if (r->blocked_until - now < *wake)
                *wake = r->blocked_until - now;
            continue;
        }
        int cap = rv->max_concurrency - r->in_flight + dlv_queue_bound(rv, r) - r->queued - r->claim_rows;
        if (cap > (int)r->tokens - r->claim_rows)
            cap = (int)r->tokens - r->claim_rows;
        if (cap <= 0) {
            double need = (1.0 - r->tokens) * 60.0 / rv->rate_per_minute;
            if (r->in_flight < rv->max_concurrency && need < *wake)
                *wake = need;
            continue;
        }
        r->msg_cap = cap;
        if (dlv_is_chat(rv))    /* rows, merged into at most cap messages */
            cap = cap * GROUP_ROWS_PER_MESSAGE < GROUP_ROWS_MAX ? cap * GROUP_ROWS_PER_MESSAGE : GROUP_ROWS_MAX;
        buf_printf(names, "%s\"%s\"", total ? "," : "", rv->name);
        buf_printf(caps, "%s%d", total ? "," : "", cap);
        buf_printf(wins, "%s%d", total ? "," : "", dlv_window_of(rv));
        buf_printf(leases, "%s%d", total ? "," : "", dlv_lease_seconds(rv));
        put_cut(cuts, total == 0, cfg, rv, dlv_now_of(dl));
        total += cap;
        c->names = xreallocarray(c->names, c->n + 1, sizeof *c->names);
        c->caps = xreallocarray(c->caps, c->n + 1, sizeof *c->caps);
        c->names[c->n] = xstrdup(rv->name);
        c->caps[c->n++] = cap;
        c->has_chat = c->has_chat || dlv_is_chat(rv);
    }
    buf_puts(names, "}");
    buf_puts(caps, "}");
    buf_puts(wins, "}");
    buf_puts(cuts, "}");
    buf_puts(leases, "}");
    return total;
}

void
dlv_claim(struct deliverer *dl)
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
    double next_digest = digest_check(&dl->digests, dl->d->cfg, dlv_now_of(dl));
    if (next_digest >= 0)
        dlv_arm(dl, next_digest);
    double now = dlv_now_of(dl);
    double held = dlv_hold_left(dl, now);
    if (held > 0) {
        dlv_arm(dl, held);
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
    int total = capacities(dl, dlv_real_now(), &names, &caps, &wins, &cuts, &leases, &wake, c);
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
        dlv_arm(dl, wake);
    } else {
        char t[32];
        snprintf(t, sizeof t, "%.3f", now);
        char *held_rows = held_ids(dl);
        const char *params[] = { t, names.data, caps.data, dl->worker, leases.data, wins.data, cuts.data, held_rows };
        dl->claims++;
        dl->claim_busy[conn] = true;
        if (c->has_chat)
            dl->chat_claiming = true;
        c->sent = dlv_real_now();
        for (size_t i = 0; i < c->n; i++) {
            struct rstate *r = dlv_rstate_named(dl, c->names[i]);
            if (r != NULL)
                r->claim_rows += c->caps[i];
        }
        /* The silence is decided here, when the row is due, so a silence
         * added after the alert was written still holds it, and one that
         * ended lets later alerts through. A silenced row takes no lease
         * and no attempt (sql/functions/delivery.sql). */
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
