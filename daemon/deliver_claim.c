/* deliver_claim: see deliver_claim.h. A claim asks each receiver for the
 * rows it may take now (deliver_queue.h keeps its slots, queue and tokens);
 * its answer is rendered at once: json rows into their receiver's queue,
 * chat rows merged into messages, each of which takes a slot of its robot
 * (deliver_pace.c) before the deliverer sends it. */
#include "ac_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "deliver_bulletin.h"
#include "deliver_claim.h"
#include "deliver_pace.h"
#include "deliver_queue.h"
#include "holidays.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "sign.h"
#include "summary.h"
#include "util.h"
#include "values.h"
#include "wording.h"

#define SECOND_CLAIM_MIN 64         /* rows: below that, wait for the running claim instead */
#define POLL_SECONDS 30             /* other daemons' rows, expired leases */
/* chat: rows claimed at most per receiver and claim; a backlog summary
 * sums up one claim, so a backlog beyond this goes as several summaries */
#define GROUP_ROWS_MAX 1000

struct claimer {
    struct dqueue *q;
    struct db *db, *cdb;            /* not owned */
    char worker[96];
    struct claim_hooks h;
    int claims;                     /* claim queries in flight, 0 to 2 */
    bool claim_busy[2];             /* per claim connection: db, cdb */
    bool chat_claiming;             /* a claim in flight takes chat receivers' rows */
    bool again;                     /* kicked during a claim */
    double held_until;              /* 0 when nothing is held */
};

static void
arm(struct claimer *cl, double seconds)
{
    cl->h.arm(cl->h.arg, seconds);
}

static void
on_slot_post(void *arg, struct attempt *at, const struct receiver *rv)
{
    struct claimer *cl = arg;
    cl->h.post(cl->h.arg, at, rv);
}

static void
on_slots_taken(void *arg, double seconds)
{
    arm(arg, seconds);
}

/* Chat messages go out once each holds a slot of its robot. */
static void
take_slots(struct claimer *cl, const struct receiver *rv, struct attempt **ats, size_t n)
{
    const struct pace_hooks h = { on_slot_post, on_slots_taken, cl };
    pace_take(cl->q, cl->db, rv, ats, n, &h);
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
    double cut = rv->reds_only_at_once && dq_is_chat(rv) ? last_digest_at(cfg, now) : -1;
    if (cut < 0)
        buf_printf(b, "%sNULL", first ? "" : ",");
    else
        buf_printf(b, "%s%.3f", first ? "" : ",", cut);
}

/* The SQL condition that a row d of receiver w (with its cut, as
 * keyproj_digest_cut makes it: w.ecut) may go now. */
#define NOT_HELD_FOR_DIGEST \
    "(w.ecut IS NULL OR d.next_attempt_at <= w.ecut OR EXISTS (SELECT 1 FROM alert ha" \
    " WHERE ha.id = d.alert_id AND (ha.light = 'red' OR ha.kind = 'digest')))"



/* The claim's columns: the silence that held the row back (or NULL), the
 * lease's end, and the alert's subject (with kind and stage, its identity:
 * the webhook-id of a json receiver's message, never its row id). */
#define COL_SILENCE 10
#define COL_LEASE 11
#define COL_SUBJECT 12

/* The alert as the renderers see it, from the claimed row's columns; the
 * caller decrefs *payload. wid (NULL: chat, which carries none) holds the
 * view's webhook-id (sign_webhook_id, as SQL's keyproj_webhook_id). */
static void
view_of(const PGresult *res, int row, struct alert_view *v, json_t **payload, char *wid)
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
    v->webhook_id = "";
    if (wid != NULL) {
        sign_webhook_id(v->kind, PQgetvalue(res, row, COL_SUBJECT), v->stage, wid);
        v->webhook_id = wid;
    }
    if (v->message == NULL)
        v->message = v->kind;
}

/* The claim's columns: 0 id, 1 receiver, 2 attempts, 3 first attempt,
 * 4 alert id, 5 kind, 6 stage, 7 light, 8 created, 9 payload, 10 silence,
 * 11 lease end (epoch), 12 webhook-id. */
static struct attempt *
attempt_new(struct claimer *cl, const char *receiver, const PGresult *res, const int *rows, size_t n)
{
    struct attempt *at = dq_attempt_new(cl->q, receiver, n);
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
    return at;
}

/* "{1,2,3}": the rows this daemon holds (queued, in flight or their
 * verdict unwritten) whose lease has run out by its clock: the claim skips
 * them all the same. Rows with a live lease it skips anyway. */
static char *
held_ids(const struct claimer *cl)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    bool first = true;
    double now = dq_now(cl->q);
    for (const struct attempt *at = cl->q->live; at != NULL; at = at->lnext)
        for (size_t i = 0; i < at->n && at->lease_end <= now + 1; i++) {
            buf_printf(&b, "%s%lld", first ? "" : ",", at->ids[i]);
            first = false;
        }
    buf_putc(&b, '}');
    return buf_steal(&b);
}

/* A digest alert (kind "digest", daily or weekly): its payload's items as
 * one message; its webhook-id is the digest alert's, like any alert's, so a
 * retry keeps it and a digest made again after a failover has it too. */
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
        views[i].fresh = json_is_true(json_object_get(it, "new"));
    }
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)a->id);
    /* its counts as of the sending day, like every word in it; payload.title
     * keeps them as of the writing */
    struct ymd today;
    clock_date_of(a->sent_at, &today);
    char *said = wording_digest_title(payload, &today);
    const char *title = said != NULL ? said : json_string_value(json_object_get(payload, "title"));
    struct digest_view d = { .id = id, .title = title, .created_at = a->created_at, .sent_at = a->sent_at,
                             .alerts = views, .n_alerts = n, .base_url = a->base_url,
                             .webhook_id = a->webhook_id };
    if (a->stage != NULL && str_startswith(a->stage, "weekly:"))
        d.bulletin_week = a->stage + strlen("weekly:");        /* "weekly:2026-W49" */
    bool ok = render_digest(rv, &d, (int64_t)(clock_now(NULL) * 1000), rq, err, errlen);
    free(said);
    free(views);
    return ok;
}

/* Renders one claimed row: the attempt, or NULL when it cannot be
 * rendered (recorded dead then). */
static struct attempt *
render_row(struct claimer *cl, const PGresult *res, int row)
{
    const char *name = PQgetvalue(res, row, 1);
    struct attempt *at = attempt_new(cl, name, res, &row, 1);
    const struct receiver *rv = dq_receiver(cl->q, at->receiver);
    struct rstate *r = dq_rstate(cl->q, at->receiver);
    json_t *payload;
    struct alert_view v;
    char wid[SIGN_WEBHOOK_ID_SIZE];
    view_of(res, row, &v, &payload, wid);
    at->digest_free = strcmp(v.kind, "digest") != 0;
    v.sent_at = dq_now(cl->q);      /* the words are said as of the daemon's clock */
    v.base_url = cl->q->d->cfg->web_base_url;
    if (rv != NULL && !dq_is_chat(rv))
        strlcpy_k(at->webhook_id, v.webhook_id, sizeof at->webhook_id);
    char err[200];
    /* Signatures carry the real time, whatever the test clock says: the
     * receiver checks them against its own clock. */
    bool ok;
    const char *week = json_string_value(json_object_get(payload, "week"));
    if (strcmp(v.kind, "digest") == 0 && str_eq(json_string_value(json_object_get(payload, "digest")), "bulletin"))
        ok = rv != NULL && deliver_bulletin_render(rv, week, at->bulletin, sizeof at->bulletin, err, sizeof err);
    else if (strcmp(v.kind, "digest") == 0)
        ok = rv != NULL && render_digest_alert(rv, &v, payload, &at->rq, err, sizeof err);
    else
        ok = rv != NULL && render_alert(rv, &v, (int64_t)(clock_now(NULL) * 1000), &at->rq, err, sizeof err);
    json_decref(payload);
    if (!ok || r == NULL) {
        if (rv == NULL || r == NULL)
            snprintf(err, sizeof err, "receiver is no longer configured");
        cl->q->dead++;
        metrics_delivery(cl->q->d->metrics, at->receiver, "dead", 1, -1);
        log_error("delivery cannot be rendered", "receiver=%s %s error=%s", at->receiver,
                  dq_attempt_fields(at), log_q(err));
        dq_record(at, V_DEAD, dq_now(cl->q), err, 0);
        return NULL;
    }
    at->rendered = true;
    return at;
}

static void
on_summary_audit(void *arg, const PGresult *res, const char *err)
{
    (void)arg;
    (void)res;
    if (err)
        log_warn("could not audit a backlog summary", "error=%s", log_q(err));
}

/* ---- a chat receiver's backlog: one summary instead of a flood ---------- */

/* A chat receiver's backlog that would take more than a few messages goes
 * out as ONE summary (summary.c says what it holds). Every row it sums up is
 * sent (and so marked delivered) with it, and an audit row
 * (delivery.summarised) names them; later rows go out as usual. Returns
 * the summary's attempt, rendered, to be sent like any message; NULL when
 * it cannot be rendered (the rows then go as they are). */
static struct attempt *
backlog_summary(struct claimer *cl, const struct receiver *rv, const PGresult *res, const int *rows,
                const struct alert_view *views, size_t n, const char *when, double sent_at, int64_t now_ms)
{
    char id[48];
    snprintf(id, sizeof id, "s%s", PQgetvalue(res, rows[0], 0));
    struct render_request rq;
    if (!summary_render(cl->q->d->cfg, rv, views, n, id, when, sent_at, now_ms, &rq))
        return NULL;            /* sent as it is (send_group reports what cannot be rendered) */
    struct attempt *at = attempt_new(cl, rv->name, res, rows, n);
    log_info("backlog sent as one summary", "receiver=%s %s rows=%zu", rv->name, dq_attempt_fields(at), n);
    struct buf ids;
    buf_init(&ids);
    buf_putc(&ids, '{');
    for (size_t i = 0; i < n; i++)
        buf_printf(&ids, "%s%lld", i ? "," : "", at->ids[i]);
    buf_putc(&ids, '}');
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    const char *params[] = { rv->name, ids.data, count, id };
    db_query(cl->db,
             "SELECT keyproj_audit('keyprojd', 'delivery.summarised', 'receiver:' || $1, NULL,"
             " jsonb_build_object('deliveries', $2::bigint[], 'rows', $3::int, 'message', $4::text), 'ok', NULL)",
             4, params, on_summary_audit, NULL);
    buf_free(&ids);
    at->rq = rq;
    at->rendered = true;
    return at;
}

/* How many of views[0..left-1] (in digest order) one message of the
 * receiver takes: all when they fit, else the whole lines that do (at
 * least one alert). The title keeps room for a "（n/m）". */
static size_t
group_take(const struct receiver *rv, const struct alert_view *views, size_t left, const char *when,
           double sent_at, int64_t now_ms)
{
    if (left == 1)
        return 1;
    struct digest_view d = { .id = "g", .created_at = when, .sent_at = sent_at, .alerts = views, .n_alerts = left,
                             .part = 99, .parts = 99, .base_url = views[0].base_url };
    struct render_request rq;
    char err[200];
    size_t take = left;
    if (render_digest(rv, &d, now_ms, &rq, err, sizeof err)) {
        if (rq.n_listed < left)
            take = rq.n_listed > 0 ? rq.n_listed : 1;
        render_request_free(&rq);
    }
    return take;
}

/* Renders one claimed json row into its receiver's queue. */
static void
queue_row(struct claimer *cl, const PGresult *res, int row)
{
    struct attempt *at = render_row(cl, res, row);
    struct rstate *r = at ? dq_rstate(cl->q, at->receiver) : NULL;
    if (r != NULL)
        dq_enqueue(r, at);
}

/* A chat receiver's claimed rows (not silenced): its daily digests one
 * message each, then the rest in digest order (by county and project, the
 * most urgent first) as many messages as fit the robot's size limit, at
 * most msg_cap messages in all, titled "（1/3）" … when there are several,
 * or one summary when they would be a flood; each is sent once it holds a
 * slot of the robot. Rows beyond that go back to the queue (true then). */
static bool
send_group(struct claimer *cl, const struct receiver *rv, struct rstate *r, const PGresult *res,
           const int *rows_in, size_t n, const int *digests, size_t nd)
{
    struct attempt **msgs = xcalloc((size_t)(r->msg_cap > 0 ? r->msg_cap : 0) + nd + 2, sizeof *msgs);
    int sent = 0;
    bool released = false;
    for (size_t i = 0; i < nd; i++) {
        if (sent >= r->msg_cap) {
            dq_release(attempt_new(cl, rv->name, res, &digests[i], 1), "robot_limit");
            released = true;
            continue;
        }
        struct attempt *at = render_row(cl, res, digests[i]);
        if (at != NULL)
            msgs[sent++] = at;
    }
    struct alert_view *vin = xcalloc(n + 1, sizeof *vin);
    json_t **payloads = xcalloc(n + 1, sizeof *payloads);
    double sent_at = dq_now(cl->q);
    for (size_t i = 0; i < n; i++) {
        view_of(res, rows_in[i], &vin[i], &payloads[i], NULL);
        vin[i].sent_at = sent_at;
        vin[i].base_url = cl->q->d->cfg->web_base_url;
    }
    size_t *order = xreallocarray(NULL, n + 1, sizeof *order);
    render_digest_order(vin, n, sent_at, order);
    int *rows = xreallocarray(NULL, n + 1, sizeof *rows);
    struct alert_view *views = xcalloc(n + 1, sizeof *views);
    for (size_t i = 0; i < n; i++) {
        rows[i] = rows_in[order[i]];
        views[i] = vin[order[i]];
    }
    free(order);
    free(vin);
    int64_t now_ms = (int64_t)(clock_now(NULL) * 1000);
    char when[32];
    clock_format(sent_at, when);
    /* The messages first, so that each can say which part it is, and as
     * many as tell a flood (then one summary goes instead), even beyond
     * what may be sent now. */
    int room = r->msg_cap - sent > SUMMARY_FLOOD_MESSAGES ? r->msg_cap - sent : SUMMARY_FLOOD_MESSAGES + 1;
    size_t *takes = xreallocarray(NULL, (size_t)room + 1, sizeof *takes);
    int parts = 0;
    size_t counted = 0;
    for (; counted < n && parts < room; parts++) {
        takes[parts] = group_take(rv, &views[counted], n - counted, when, sent_at, now_ms);
        counted += takes[parts];
    }
    size_t needed = (size_t)parts + (counted < n);
    size_t at_row = 0;
    struct attempt *summary = summary_wanted(n, needed)
                                  ? backlog_summary(cl, rv, res, rows, views, n, when, sent_at, now_ms) : NULL;
    if (summary != NULL) {
        msgs[sent++] = summary;
        parts = 0;          /* all of them went in the summary */
        at_row = n;
    } else if (parts > r->msg_cap - sent) {
        parts = r->msg_cap - sent > 0 ? r->msg_cap - sent : 0;   /* what may go now; the rest waits */
    }
    for (int part = 0; part < parts && sent < r->msg_cap; part++) {
        size_t take = takes[part];
        struct render_request rq;
        char err[200];
        bool ok;
        if (take == 1) {
            ok = render_alert(rv, &views[at_row], now_ms, &rq, err, sizeof err);
        } else {
            char id[48];
            snprintf(id, sizeof id, "g%s", PQgetvalue(res, rows[at_row], 0));
            struct digest_view d = { .id = id, .created_at = when, .sent_at = sent_at, .alerts = &views[at_row],
                                     .n_alerts = take, .part = part + 1, .parts = parts,
                                     .base_url = views[at_row].base_url };
            ok = render_digest(rv, &d, now_ms, &rq, err, sizeof err);
        }
        struct attempt *at = attempt_new(cl, rv->name, res, rows + at_row, take);
        at_row += take;
        if (!ok) {
            cl->q->dead += at->n;
            metrics_delivery(cl->q->d->metrics, rv->name, "dead", at->n, -1);
            log_error("delivery cannot be rendered", "receiver=%s %s rows=%zu error=%s", rv->name,
                      dq_attempt_fields(at), at->n, log_q(err));
            dq_record(at, V_DEAD, dq_now(cl->q), err, 0);
            continue;
        }
        if (take > 1)
            log_info("merged deliveries into one message", "receiver=%s %s rows=%zu", rv->name,
                     dq_attempt_fields(at), take);
        at->rq = rq;
        at->rendered = true;
        msgs[sent++] = at;
    }
    if (sent > 0)
        take_slots(cl, rv, msgs, (size_t)sent);
    else
        free(msgs);
    if (at_row < n) {
        log_info("rate limit: merged deliveries wait for the next message", "receiver=%s rows=%zu", rv->name,
                 n - at_row);
        struct attempt *rest = attempt_new(cl, rv->name, res, rows + at_row, n - at_row);
        dq_record(rest, V_RELEASED, 0, NULL, 0);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(payloads[i]);
    free(payloads);
    free(views);
    free(rows);
    free(takes);
    return released || at_row < n;
}

/* ---- claiming ----------------------------------------------------------- */

/* Seconds until messages may go out (quiet hours, rest days), or 0. Says
 * so in the log once per hold. */
static double
hold_left(struct claimer *cl, double now)
{
    const struct config *cfg = cl->q->d->cfg;
    struct send_window w = { cfg->rest_days, cfg->hold_on_rest_days, cfg->quiet_start_min,
                             cfg->quiet_end_min };
    double at = holidays_send_at(&w, now);
    if (at <= now) {
        if (cl->held_until > 0)
            log_info("deliveries resume", "%s", "");
        cl->held_until = 0;
        return 0;
    }
    if (fabs(at - cl->held_until) >= 1) {
        char until[32];
        struct ymd today;
        clock_format(at, until);
        clock_date_of(now, &today);
        bool rest = cfg->hold_on_rest_days && holidays_rest_day(cfg->rest_days, &today);
        const char *name = holidays_name(cfg->rest_days, &today);
        log_info("holding deliveries until the next allowed time", "until=%s reason=%s%s%s", until,
                 rest ? "rest_day" : "quiet_hours", name ? " holiday=" : "", name ? log_q(name) : "");
    }
    cl->held_until = at;
    return at - now;
}


static void
on_next_due(void *arg, const PGresult *res, const char *err)
{
    struct claimer *cl = arg;
    if (err || PQgetisnull(res, 0, 0)) {
        arm(cl, POLL_SECONDS);
        return;
    }
    double wait = strtod(PQgetvalue(res, 0, 0), NULL) - dq_now(cl->q);
    /* Due but not claimable (a lease about to end): do not spin. */
    if (wait < 0.2)
        wait = 0.2;
    arm(cl, wait < POLL_SECONDS ? wait : POLL_SECONDS);
}

void
claim_sleep(struct claimer *cl)
{
    struct buf names, wins, cuts;
    buf_init(&names);
    buf_init(&wins);
    buf_init(&cuts);
    buf_putc(&names, '{');
    buf_putc(&wins, '{');
    buf_putc(&cuts, '{');
    const struct config *cfg = cl->q->d->cfg;
    double now = dq_now(cl->q);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        buf_printf(&names, "%s\"%s\"", i ? "," : "", cfg->receivers[i].name);
        buf_printf(&wins, "%s%d", i ? "," : "", dq_window_of(&cfg->receivers[i]));
        put_cut(&cuts, i == 0, cfg, &cfg->receivers[i], now);
    }
    buf_putc(&names, '}');
    buf_putc(&wins, '}');
    buf_putc(&cuts, '}');
    char now_s[32];
    snprintf(now_s, sizeof now_s, "%.3f", now);
    const char *params[] = { names.data, wins.data, cuts.data, now_s };
    /* A row leased by another daemon is due again when its lease ends;
     * a chat receiver's row when its window has passed. Each receiver's
     * digest cut is worked out once (MATERIALIZED, and only where it holds
     * rows back): inlined, keyproj_digest_cut ran for every pending row,
     * 12 ms a call with 10,000 of them. */
    db_query(cl->db,
             "WITH w AS MATERIALIZED (SELECT u.receiver, u.win, CASE WHEN u.cut IS NOT NULL"
             "   THEN keyproj_digest_cut(u.receiver, u.cut, to_timestamp($4::float8)) END AS ecut"
             "   FROM unnest($1::text[], $2::int[], $3::float8[]) AS u(receiver, win, cut))"
             " SELECT extract(epoch FROM min(greatest(d.next_attempt_at + make_interval(secs => w.win),"
             "   coalesce(d.claimed_until, d.next_attempt_at))))"
             " FROM w JOIN delivery d ON d.receiver = w.receiver AND d.status = 'pending'"
             " WHERE " NOT_HELD_FOR_DIGEST,
             4, params, on_next_due, cl);
    buf_free(&names);
    buf_free(&wins);
    buf_free(&cuts);
}

/* A claim in flight: on which connection, and how many rows it asked of
 * each receiver (they count against its room until the answer). */
struct claim_ctx {
    struct claimer *cl;
    int conn;
    double sent;                    /* real time, for the debug log */
    size_t n;
    char **names;
    int *caps;
    bool has_chat;
};

static void
claim_ctx_free(struct claim_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->caps);
    free(c);
}

/* The claim was answered: its rows no longer count against the room. */
static void
claim_ctx_end(struct claim_ctx *c)
{
    struct claimer *cl = c->cl;
    cl->claims--;
    cl->claim_busy[c->conn] = false;
    if (c->has_chat)
        cl->chat_claiming = false;
    for (size_t i = 0; i < c->n; i++) {
        struct rstate *r = dq_rstate(cl->q, c->names[i]);
        if (r != NULL)
            r->claim_rows -= c->caps[i];
    }
    claim_ctx_free(c);
}

/* The claimed rows one by one: silenced ones counted, json rows (and
 * digests) rendered into their receiver's queue; chat rows are left for
 * send_groups. True when a row was silenced. */
static bool
take_rows(struct claimer *cl, const PGresult *res)
{
    bool silenced = false;
    for (int i = 0; i < PQntuples(res); i++) {
        if (!PQgetisnull(res, i, COL_SILENCE)) {
            /* Not sent: it used no token and no slot, so claim again. */
            cl->q->silenced++;
            metrics_delivery(cl->q->d->metrics, PQgetvalue(res, i, 1), "silenced", 1, -1);
            silenced = true;
            log_info("delivery silenced", "receiver=%s delivery=%s alert=%s kind=%s silence=%s",
                     PQgetvalue(res, i, 1), PQgetvalue(res, i, 0), PQgetvalue(res, i, 4),
                     PQgetvalue(res, i, 5), PQgetvalue(res, i, COL_SILENCE));
            continue;
        }
        if (cl->q->draining) {     /* claimed as the signal came: not sent */
            dq_release(attempt_new(cl, PQgetvalue(res, i, 1), res, &i, 1), "stopping");
            continue;
        }
        const struct receiver *rv = dq_receiver(cl->q, PQgetvalue(res, i, 1));
        if (rv != NULL && dq_is_chat(rv))
            continue;           /* sent by send_groups, each message once it holds a robot's slot */
        struct rstate *r = dq_rstate(cl->q, PQgetvalue(res, i, 1));
        if (r && (rv == NULL || !dq_is_chat(rv)))
            r->tokens -= 1;     /* every attempt counts, failed ones too */
        queue_row(cl, res, i);
    }
    return silenced;
}

/* Chat receivers: one message for what became due within the window. True
 * when rows went back (more than the receiver's tokens allowed). */
static bool
send_groups(struct claimer *cl, const PGresult *res)
{
    int n = PQntuples(res);
    bool released = false;
    int *group = xreallocarray(NULL, (size_t)n + 1, sizeof *group);
    int *digests = xreallocarray(NULL, (size_t)n + 1, sizeof *digests);
    for (size_t k = 0; k < cl->q->nrs && k < cl->q->d->cfg->n_receivers; k++) {
        const struct receiver *rv = &cl->q->d->cfg->receivers[k];
        if (!dq_is_chat(rv))
            continue;
        size_t m = 0, nd = 0;
        for (int i = 0; i < n; i++) {
            if (!PQgetisnull(res, i, COL_SILENCE) || strcmp(PQgetvalue(res, i, 1), rv->name) != 0)
                continue;
            if (strcmp(PQgetvalue(res, i, 5), "digest") == 0)
                digests[nd++] = i;
            else
                group[m++] = i;
        }
        if (m + nd == 0)
            continue;
        struct rstate *r = dq_rstate(cl->q, rv->name);
        if (r && send_group(cl, rv, r, res, group, m, digests, nd))
            released = true;
    }
    free(group);
    free(digests);
    return released;
}

static void
on_claimed(void *arg, const PGresult *res, const char *err)
{
    struct claim_ctx *c = arg;
    struct claimer *cl = c->cl;
    double sent = c->sent;
    claim_ctx_end(c);
    struct claim_outcome o = { err, 0, false };
    if (err) {
        if (!cl->q->closing)
            log_warn("claiming deliveries failed", "error=%s", log_q(err));
        if (!cl->q->draining && !cl->q->closing)
            arm(cl, 5);
        cl->h.answered(cl->h.arg, &o);
        return;
    }
    o.rows = PQntuples(res);
    double t0 = clock_now(NULL);
    size_t in_flight = cl->q->in_flight;
    bool silenced = take_rows(cl, res);
    bool released = !cl->q->draining && send_groups(cl, res);
    /* render_ms: the rows rendered into their queues, the loop busy all along */
    log_debug("deliveries claimed", "rows=%d ms=%.1f render_ms=%.1f in_flight=%zu", o.rows,
              (t0 - sent) * 1000, (clock_now(NULL) - t0) * 1000, in_flight);
    o.again = cl->again || silenced || released;
    cl->again = false;
    cl->h.answered(cl->h.arg, &o);
}

/* A chat receiver may claim unless a take of its slots is in flight or its
 * robot's windows are full (then *wake says when they free). */
static bool
chat_room(struct claimer *cl, const struct receiver *rv, const struct rstate *r, double *wake)
{
    (void)rv;
    if (r->taking > 0)
        return false;
    double left = r->robot_free_at - dq_now(cl->q);
    if (left > 0) {
        if (left < *wake)
            *wake = left;
        return false;
    }
    return true;
}

/* How many rows each receiver may take now, as parallel arrays in
 * PostgreSQL's text form (and in c); returns the total, and the soonest a
 * blocked receiver frees up in *wake. A json receiver takes rows for its
 * free slots and its queue, less what a claim in flight asked for; a chat
 * receiver for the messages it may send, in one claim at a time (its merge
 * takes what one claim brings). */
static int
capacities(struct claimer *cl, double now, struct buf *names, struct buf *caps, struct buf *wins,
           struct buf *cuts, struct buf *leases, double *wake, struct claim_ctx *c)
{
    const struct config *cfg = cl->q->d->cfg;
    int total = 0;
    buf_puts(names, "{");
    buf_puts(caps, "{");
    buf_puts(wins, "{");
    buf_puts(cuts, "{");
    buf_puts(leases, "{");
    for (size_t i = 0; i < cfg->n_receivers && i < cl->q->nrs; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        struct rstate *r = &cl->q->rs[i];
        if (dq_is_chat(rv) && cl->chat_claiming)
            continue;
        r->msg_cap = 0;
        if (dq_is_chat(rv) && !chat_room(cl, rv, r, wake))
            continue;
        dq_refill(r, rv, now);
        if (r->blocked_until > now) {
            if (r->blocked_until - now < *wake)
                *wake = r->blocked_until - now;
            continue;
        }
        int cap = rv->max_concurrency - r->in_flight + dq_queue_bound(rv, r) - r->queued - r->claim_rows;
        if (dq_is_chat(rv)) {
            /* The robot's slots are taken after rendering (deliver_pace.c):
             * no more messages than one window allows. */
            const struct robot_limit *lim = pace_limit(rv->type);
            int most = lim && lim->per_second > 0 && lim->per_second < rv->rate_per_minute ? lim->per_second
                                                                                            : rv->rate_per_minute;
            if (cap > most)
                cap = most;
        } else if (cap > (int)r->tokens - r->claim_rows) {
            cap = (int)r->tokens - r->claim_rows;
        }
        if (cap <= 0 && dq_is_chat(rv)) {
            continue;       /* a message in flight: its answer claims again */
        } else if (cap <= 0) {
            double need = (1.0 - r->tokens) * 60.0 / rv->rate_per_minute;
            if (r->in_flight < rv->max_concurrency && need < *wake)
                *wake = need;
            continue;
        }
        r->msg_cap = cap;
        /* chat: rows, merged into at most cap messages; as many as one
         * claim takes, so that send_backlog_summary sees the backlog
         * (what the messages cannot take goes back) */
        if (dq_is_chat(rv))
            cap = GROUP_ROWS_MAX;
        buf_printf(names, "%s\"%s\"", total ? "," : "", rv->name);
        buf_printf(caps, "%s%d", total ? "," : "", cap);
        buf_printf(wins, "%s%d", total ? "," : "", dq_window_of(rv));
        buf_printf(leases, "%s%d", total ? "," : "", dq_lease_seconds(rv));
        put_cut(cuts, total == 0, cfg, rv, dq_now(cl->q));
        total += cap;
        c->names = xreallocarray(c->names, c->n + 1, sizeof *c->names);
        c->caps = xreallocarray(c->caps, c->n + 1, sizeof *c->caps);
        c->names[c->n] = xstrdup(rv->name);
        c->caps[c->n++] = cap;
        c->has_chat = c->has_chat || dq_is_chat(rv);
    }
    buf_puts(names, "}");
    buf_puts(caps, "}");
    buf_puts(wins, "}");
    buf_puts(cuts, "}");
    buf_puts(leases, "}");
    return total;
}

/* Sends the claim c (its receivers' rooms in the arrays) on connection
 * conn; c is freed when it is answered. */
static void
send_claim(struct claimer *cl, struct claim_ctx *c, double now, const char *names, const char *caps,
           const char *wins, const char *cuts, const char *leases)
{
    char t[32];
    snprintf(t, sizeof t, "%.3f", now);
    char *held_rows = held_ids(cl);
    const char *params[] = { t, names, caps, cl->worker, leases, wins, cuts, held_rows };
    cl->claims++;
    cl->claim_busy[c->conn] = true;
    if (c->has_chat)
        cl->chat_claiming = true;
    c->sent = clock_now(NULL);
    for (size_t i = 0; i < c->n; i++) {
        struct rstate *r = dq_rstate(cl->q, c->names[i]);
        if (r != NULL)
            r->claim_rows += c->caps[i];
    }
    /* The silence is decided here, when the row is due, so a silence
     * added after the alert was written still holds it, and one that
     * ended lets later alerts through. A silenced row takes no lease
     * and no attempt (sql/functions/delivery.sql). */
    db_query(c->conn == 0 ? cl->db : cl->cdb,
             "SELECT * FROM keyproj_claim_due(to_timestamp($1::float8), $4, $2::text[], $3::int[],"
             " $6::int[], $7::float8[], $5::int[], $8::bigint[])",
             8, params, on_claimed, c);
    free(held_rows);
}

void
claim_run(struct claimer *cl)
{
    /* A claim on each connection at most (the second only while the first
     * runs, and only when its answer would leave the queues short). */
    int conn = !cl->claim_busy[0] ? 0 : db_state(cl->cdb) == DB_UP && !cl->claim_busy[1] ? 1 : -1;
    if (conn < 0) {
        cl->again = true;
        return;
    }
    double now = dq_now(cl->q);
    double held = hold_left(cl, now);
    if (held > 0) {
        arm(cl, held);
        return;
    }
    if (cl->q->in_flight >= DQ_MAX_IN_FLIGHT)
        return;     /* the deliverer claims again as slots free up */
    struct buf names, caps, wins, cuts, leases;
    buf_init(&names);
    buf_init(&caps);
    buf_init(&wins);
    buf_init(&cuts);
    buf_init(&leases);
    double wake = POLL_SECONDS;
    struct claim_ctx *c = xcalloc(1, sizeof *c);
    c->cl = cl;
    c->conn = conn;
    int total = capacities(cl, clock_now(NULL), &names, &caps, &wins, &cuts, &leases, &wake, c);
    if (total > 0 && cl->claims > 0 && total < SECOND_CLAIM_MIN) {
        cl->again = true;       /* the running claim's answer claims again */
        total = 0;
    }
    if (total == 0) {
        claim_ctx_free(c);
        arm(cl, wake);
    } else {
        send_claim(cl, c, now, names.data, caps.data, wins.data, cuts.data, leases.data);
    }
    buf_free(&names);
    buf_free(&caps);
    buf_free(&wins);
    buf_free(&cuts);
    buf_free(&leases);
}

int
claim_running(const struct claimer *cl)
{
    return cl->claims;
}

double
claim_held_until(const struct claimer *cl)
{
    return cl->held_until;
}

struct claimer *
claimer_new(struct dqueue *q, struct db *db, struct db *cdb, const char *worker,
            const struct claim_hooks *hooks)
{
    struct claimer *cl = xcalloc(1, sizeof *cl);
    cl->q = q;
    cl->db = db;
    cl->cdb = cdb;
    strlcpy_k(cl->worker, worker, sizeof cl->worker);
    cl->h = *hooks;
    return cl;
}

void
claimer_free(struct claimer *cl)
{
    free(cl);
}
