/* scan: when the engine scans, and the batch loop of one scan. Each phase
 * (scan_parts.c, scan_project.c) selects at most scan_batch_rows rows whose
 * next_check_on has come, builds their decisions with rules.c, and its one
 * write statement commits the rows' new state, the alerts and their
 * deliveries together: a crash leaves either all of a batch or none of it,
 * and UNIQUE(kind, subject, stage) makes a re-run insert nothing. It must
 * never read the system clock for a decision, nor run two scans at once.
 *
 * Several keyprojd may share one database; only the leader scans. The
 * leader holds a session advisory lock (LEADER_LOCK) on the main
 * connection: it is taken when the database becomes ready, a standby tries
 * again every alerts.leader_retry_seconds, and it is lost with the session
 * (a killed daemon's or a dropped connection's lock is released by
 * PostgreSQL), so that another instance takes over within seconds. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "scan.h"
#include "scan_phase.h"
#include "util.h"

/* Milestones first and fully, then the other parts of a project, then
 * the projects, whose light folds in what the parts just wrote; campaign
 * targets last. The probe in run_begin asks in the same order. */
static const struct scan_phase *const phases[SCAN_PHASES] = {
    &scan_phase_milestones, &scan_phase_problems, &scan_phase_approvals, &scan_phase_projects,
    &scan_phase_campaigns,
};
#define PHASE_PROJECTS 3

/* The leader's advisory lock: not the migration lock (7391001, migrate.c)
 * nor the import's (hashtextextended('keyproj.import', 0)). */
#define LEADER_LOCK "7391002"
#define SCAN_STANDBY_ERROR "this keyprojd is a standby: another instance is the leader and scans"

struct waiter {
    struct waiter *next;
    scan_done_fn fn;
    void *arg;
};

struct scanner {
    struct daemon *d;
    struct event *start_ev;         /* deferred start: never from inside a callback */
    struct event *day_ev;           /* the next business-day boundary */
    struct event *safety_ev;        /* alerts.scan_interval_seconds */
    struct event *leader_ev;        /* a standby's next try for the lock */
    bool leader;                    /* holds LEADER_LOCK on this session */
    struct db_query *lead_q;        /* the try in flight */
    bool running, again;
    struct db_query *inflight;
    struct waiter *waiters;         /* told when the running scan ends */
    struct waiter *next_waiters;    /* told when the next scan ends */

    /* the scan in progress */
    struct scan_ctx ctx;
    size_t phase;
    int batch_rows, batch_limit;
    int retries;                    /* batches redone after a deadlock */
    bool due[SCAN_PHASES];          /* the phase may have rows to check */
    bool warned_campaigns;
    double started;                 /* system clock, for the duration only */
    double t_query, t_select, t_build;  /* the batch's timings (debug log) */
    double t_batch;                 /* when the batch's select was sent */
    struct scan_stats cur, last;
    unsigned long scans;
};

static void select_next(struct scanner *s);

bool
scan_may_run(const struct scanner *s)
{
    return s->d->db_ready && s->leader;
}

const char *
scan_role(const struct scanner *s)
{
    return scan_may_run(s) ? "leader" : "standby";
}

static void try_lead(struct scanner *s);
static void tell(struct waiter **list, const struct scan_stats *st);

static void
arm_leader_retry(struct scanner *s)
{
    struct timeval tv = { s->d->cfg->leader_retry, 0 };
    evtimer_add(s->leader_ev, &tv);
}

static void
on_lead(void *arg, const PGresult *res, const char *err)
{
    struct scanner *s = arg;
    s->lead_q = NULL;
    if (err == NULL && PQgetvalue(res, 0, 0)[0] == 't') {
        s->leader = true;
        log_info("leader: this instance scans", "lock=%s", LEADER_LOCK);
        scan_kick(s, "became leader");
        return;
    }
    if (err)
        log_warn("cannot try for the leader lock", "error=%s", log_q(err));
    else
        log_debug("standby: another instance holds the leader lock", "retry_seconds=%d",
                  s->d->cfg->leader_retry);
    arm_leader_retry(s);
    if (!s->running) {
        /* requests that came while the answer was awaited */
        struct scan_stats st;
        memset(&st, 0, sizeof st);
        strlcpy_k(st.error, SCAN_STANDBY_ERROR, sizeof st.error);
        tell(&s->next_waiters, &st);
    }
}

static void
try_lead(struct scanner *s)
{
    if (s->leader || s->lead_q != NULL || !s->d->db_ready)
        return;
    s->lead_q = db_query(s->d->db, "SELECT pg_try_advisory_lock(" LEADER_LOCK ")", 0, NULL, on_lead, s);
}

static void
on_leader_retry(evutil_socket_t fd, short what, void *arg)
{
    try_lead(arg);
}

/* ---- the end of a scan ---------------------------------------------------- */

static void
tell(struct waiter **list, const struct scan_stats *st)
{
    struct waiter *w = *list;
    *list = NULL;
    while (w) {
        struct waiter *next = w->next;
        w->fn(w->arg, st);
        free(w);
        w = next;
    }
}

static void
run_end(struct scanner *s, const char *err)
{
    struct scan_stats *st = &s->cur;
    st->ms = (clock_now(NULL) - s->started) * 1000.0;
    st->number = ++s->scans;
    strlcpy_k(st->error, err ? err : "", sizeof st->error);
    s->last = *st;
    s->running = false;
    if (err)
        log_warn("scan failed", "today=%s examined=%ld alerts=%ld error=%s", st->today, st->examined,
                 st->alerts, log_q(err));
    else
        log_msg(st->examined > 0 ? LOG_INFO : LOG_DEBUG, "scan finished",
                "today=%s examined=%ld alerts=%ld deliveries=%ld ms=%.1f milestones_ms=%.1f projects_ms=%.1f",
                st->today, st->examined, st->alerts, st->deliveries, st->ms, st->phase_ms[0],
                st->phase_ms[PHASE_PROJECTS]);
    tell(&s->waiters, &s->last);
    if (s->again)
        event_active(s->start_ev, EV_TIMEOUT, 0);
}

/* ---- one batch: select, build, write -------------------------------------- */

static void
on_written(void *arg, const PGresult *res, const char *err)
{
    struct scanner *s = arg;
    s->inflight = NULL;
    if (err && strstr(err, "deadlock detected") != NULL && s->retries < 3) {
        /* Rows locked by another writer (an edit, or a leader being
         * replaced whose last batch is still running): the batch was
         * rolled back whole; read it again. */
        s->retries++;
        log_warn("scan batch redone after a deadlock", "phase=%s", phases[s->phase]->name);
        select_next(s);
        return;
    }
    if (err) {
        run_end(s, err);
        return;
    }
    long written = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    log_debug("scan batch", "phase=%s rows=%d written=%ld alerts=%s select_ms=%.1f build_ms=%.1f write_ms=%.1f",
              phases[s->phase]->name, s->batch_rows, written, PQgetvalue(res, 0, 1), s->t_select * 1000.0,
              s->t_build * 1000.0, (clock_now(NULL) - s->t_query) * 1000.0);
    if (written > 0 && s->phase < PHASE_PROJECTS)
        s->due[PHASE_PROJECTS] = true;     /* a part's light may have moved its project */
    s->cur.alerts += strtol(PQgetvalue(res, 0, 1), NULL, 10);
    metrics_alerts_json(s->d->metrics, PQgetvalue(res, 0, 4));
    s->cur.deliveries += strtol(PQgetvalue(res, 0, 2), NULL, 10);
    s->cur.phase_ms[s->phase] += (clock_now(NULL) - s->t_batch) * 1000.0;
    /* A full batch may have left more behind; one whose every row was
     * edited meanwhile (nothing written) is left to the NOTIFY that edit
     * sent, so that a hot row cannot hold the scan in a loop. */
    if (s->batch_rows < s->batch_limit || written == 0)
        s->phase++;
    select_next(s);
}

static void
write_batch(struct scanner *s, const PGresult *res)
{
    const struct scan_phase *ph = phases[s->phase];
    struct scan_batch b = { json_array(), 0, { { 0 } } };
    double t0 = clock_now(NULL);
    s->ctx.cfg = s->d->cfg;         /* a reload between batches takes effect */
    for (int i = 0; i < SCAN_A_COLS; i++)
        buf_init(&b.a[i]);
    ph->build(&s->ctx, res, &b);
    char *rows = json_dumps(b.rows, JSON_COMPACT);
    json_decref(b.rows);
    char *cols[SCAN_A_COLS];
    for (int i = 0; i < SCAN_A_COLS; i++) {
        cols[i] = xasprintf("{%s}", b.a[i].data ? b.a[i].data : "");
        buf_free(&b.a[i]);
    }
    const char *params[SCAN_WRITE_PARAMS] = {
        rows, cols[SCAN_A_ROW], s->ctx.now_iso, s->ctx.today_s, cols[SCAN_A_KIND], cols[SCAN_A_SUBJECT],
        cols[SCAN_A_STAGE], cols[SCAN_A_LIGHT], cols[SCAN_A_PROJECT], cols[SCAN_A_PAYLOAD],
        cols[SCAN_A_RECEIVERS],
    };
    s->t_query = clock_now(NULL);
    s->t_build = s->t_query - t0;
    s->inflight = db_query(s->d->db, ph->write_sql, SCAN_WRITE_PARAMS, params, on_written, s);
    free(rows);
    for (int i = 0; i < SCAN_A_COLS; i++)
        free(cols[i]);
}

static void
on_selected(void *arg, const PGresult *res, const char *err)
{
    struct scanner *s = arg;
    s->inflight = NULL;
    if (err) {
        run_end(s, err);
        return;
    }
    int n = PQntuples(res);
    s->t_select = clock_now(NULL) - s->t_query;
    s->t_batch = s->t_query;
    s->cur.examined += n;
    s->cur.phase_examined[s->phase] += n;
    s->batch_rows = n;
    if (n == 0) {
        s->cur.phase_ms[s->phase] += s->t_select * 1000.0;
        s->phase++;
        select_next(s);
        return;
    }
    write_batch(s, res);
}

static void
month_start(struct ymd d, int back, char out[11])
{
    int mi = d.y * 12 + (d.m - 1) - back;
    struct ymd f = { mi / 12, mi % 12 + 1, 1 };
    format_date(&f, out);
}

static void
select_next(struct scanner *s)
{
    while (s->phase < SCAN_PHASES && !s->due[s->phase])
        s->phase++;
    if (s->phase == SCAN_PHASES) {
        run_end(s, NULL);
        return;
    }
    if (!scan_may_run(s)) {
        run_end(s, "the database is not ready");
        return;
    }
    const struct scan_phase *ph = phases[s->phase];
    char limit[16], reports[16], this_month[11], last_month[11];
    s->batch_limit = s->d->cfg->scan_batch;
    snprintf(limit, sizeof limit, "%d", s->batch_limit);
    snprintf(reports, sizeof reports, "%zu", rules_reports_needed(&s->d->cfg->rules));
    month_start(s->ctx.today, 0, this_month);
    month_start(s->ctx.today, 1, last_month);
    const char *params[] = { s->ctx.today_s, limit, reports, this_month, last_month };
    s->t_query = clock_now(NULL);
    s->inflight = db_query(s->d->db, ph->select_sql, ph->select_params, params, on_selected, s);
}

static void
on_probed(void *arg, const PGresult *res, const char *err)
{
    struct scanner *s = arg;
    s->inflight = NULL;
    if (err) {
        run_end(s, err);
        return;
    }
    for (int i = 0; i < SCAN_PHASES; i++)
        s->due[i] = PQgetvalue(res, 0, i)[0] == 't';
    if (s->due[SCAN_PHASES - 1] && PQgetvalue(res, 0, SCAN_PHASES)[0] != 't') {
        s->due[SCAN_PHASES - 1] = false;
        if (!s->warned_campaigns)
            log_warn("campaign targets are not judged: the schema lacks keyproj_campaign_actuals", "%s", "");
        s->warned_campaigns = true;
    }
    select_next(s);
}

static void
run_begin(struct scanner *s)
{
    s->running = true;
    s->again = false;
    s->waiters = s->next_waiters;
    s->next_waiters = NULL;
    double now = clock_now(&s->d->clock);
    memset(&s->cur, 0, sizeof s->cur);
    s->cur.at = now;
    s->ctx.cfg = s->d->cfg;
    clock_date_of(now, &s->ctx.today);
    format_date(&s->ctx.today, s->ctx.today_s);
    clock_format(now, s->ctx.now_iso);
    strlcpy_k(s->cur.today, s->ctx.today_s, sizeof s->cur.today);
    s->started = clock_now(NULL);
    s->phase = 0;
    s->retries = 0;
    log_debug("scan started", "today=%s", s->ctx.today_s);
    /* One cheap round trip first: in the steady state nothing is due and
     * the scan ends here, without planning the phases' selects. min() is
     * the first entry of the partial index whatever the statistics say
     * (after a burst, stale ones made EXISTS scan the whole table). */
    const char *params[] = { s->ctx.today_s };
    s->inflight = db_query(s->d->db,
#define DUE_PROBE(table) "coalesce((SELECT min(next_check_on) FROM " table ") <= $1::date, false)"
                           "SELECT " DUE_PROBE("milestone") ", " DUE_PROBE("problem") ", "
                           DUE_PROBE("approval") ", " DUE_PROBE("project") ", " DUE_PROBE("campaign_target") ","
                           /* what campaigns achieved is counted by 0005_admin.sql */
                           " to_regprocedure('keyproj_campaign_actuals(date, date, bigint, text)') IS NOT NULL",
                           1, params, on_probed, s);
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
    struct scanner *s = arg;
    if (s->running) {
        s->again = true;
        return;
    }
    if (!scan_may_run(s)) {
        /* scan_db_ready kicks again; requests cannot wait that long */
        struct scan_stats st;
        memset(&st, 0, sizeof st);
        strlcpy_k(st.error, "the database is not ready", sizeof st.error);
        tell(&s->next_waiters, &st);
        s->again = false;
        return;
    }
    run_begin(s);
}

/* ---- when to scan ----------------------------------------------------------- */

void
scan_kick(struct scanner *s, const char *why)
{
    log_debug("scan wanted", "why=%s running=%s", why, s->running ? "yes" : "no");
    if (s->running)
        s->again = true;
    else
        event_active(s->start_ev, EV_TIMEOUT, 0);
}

static void
arm_day(struct scanner *s)
{
    struct ymd today, next;
    clock_today(&s->d->clock, &today);
    days_to_ymd(ymd_to_days(&today) + 1, &next);
    /* a hair past midnight, so that the scan surely sees the new date */
    double wait = clock_day_start(&next) - clock_now(&s->d->clock) + 0.05;
    if (wait < 0.05)
        wait = 0.05;
    struct timeval tv = { (time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) };
    evtimer_add(s->day_ev, &tv);
}

static void
on_day(evutil_socket_t fd, short what, void *arg)
{
    struct scanner *s = arg;
    arm_day(s);
    scan_kick(s, "new business day");
}

static void
arm_safety(struct scanner *s)
{
    struct timeval tv = { s->d->cfg->scan_interval, 0 };
    evtimer_add(s->safety_ev, &tv);
}

static void
on_safety(evutil_socket_t fd, short what, void *arg)
{
    struct scanner *s = arg;
    arm_safety(s);          /* re-read each time: a reload may change it */
    if (scan_may_run(s))
        scan_kick(s, "safety interval");
}

static void
on_listen(void *arg, const PGresult *res, const char *err)
{
    if (err)
        log_warn("cannot LISTEN for changes: scans rely on the timers", "error=%s", log_q(err));
}

void
scan_db_ready(struct scanner *s)
{
    /* LISTEN and the leader lock last as long as the session: again after
     * each reconnect (a new session holds no lock yet) */
    if (s->leader)
        log_warn("leader no more: the database session was lost", "%s", "");
    s->leader = false;
    db_cancel(s->lead_q);
    s->lead_q = NULL;
    db_query(s->d->db, "LISTEN keyproj_changed", 0, NULL, on_listen, s);
    try_lead(s);
}

void
scan_notify(struct scanner *s, const char *channel)
{
    if (strcmp(channel, "keyproj_changed") == 0 && scan_may_run(s))
        scan_kick(s, "database changed");
}

void
scan_clock_changed(struct scanner *s)
{
    arm_day(s);
    if (scan_may_run(s))
        scan_kick(s, "clock moved");
}

bool
scan_request(struct scanner *s, scan_done_fn fn, void *arg)
{
    /* Just connected, the answer about the lock on its way: wait for it. */
    bool deciding = s->d->db_ready && !s->leader && s->lead_q != NULL;
    if (!scan_may_run(s) && !deciding)
        return false;
    struct waiter *w = xcalloc(1, sizeof *w);
    w->fn = fn;
    w->arg = arg;
    w->next = s->next_waiters;
    s->next_waiters = w;
    if (!deciding)
        scan_kick(s, "requested");
    return true;
}

/* ---- life and status ------------------------------------------------------ */

struct scanner *
scan_new(struct daemon *d)
{
    struct scanner *s = xcalloc(1, sizeof *s);
    s->d = d;
    s->start_ev = event_new(d->base, -1, 0, on_start, s);
    s->day_ev = evtimer_new(d->base, on_day, s);
    s->safety_ev = evtimer_new(d->base, on_safety, s);
    s->leader_ev = evtimer_new(d->base, on_leader_retry, s);
    arm_day(s);
    arm_safety(s);
    return s;
}

void
scan_free(struct scanner *s)
{
    if (s == NULL)
        return;
    db_cancel(s->inflight);
    struct scan_stats st = s->cur;
    strlcpy_k(st.error, "keyprojd is stopping", sizeof st.error);
    tell(&s->waiters, &st);
    tell(&s->next_waiters, &st);
    event_free(s->start_ev);
    event_free(s->day_ev);
    event_free(s->safety_ev);
    event_free(s->leader_ev);
    db_cancel(s->lead_q);
    free(s);
}

const struct scan_stats *
scan_last(const struct scanner *s)
{
    return s->scans > 0 ? &s->last : NULL;
}

bool
scan_running(const struct scanner *s)
{
    return s->running;
}

json_t *
scan_stats_json(const struct scan_stats *st)
{
    char at[32];
    clock_format(st->at, at);
    json_t *by = json_object();
    for (size_t i = 0; i < SCAN_PHASES; i++)
        json_object_set_new(by, phases[i]->name, json_integer(st->phase_examined[i]));
    json_t *ms = json_object();
    for (size_t i = 0; i < SCAN_PHASES; i++)
        json_object_set_new(ms, phases[i]->name, json_real((double)(long)(st->phase_ms[i] * 10.0 + 0.5) / 10.0));
    json_t *o = json_pack("{s:I, s:s, s:s, s:f, s:I, s:I, s:I, s:o}",
                          "number", (json_int_t)st->number, "at", at, "today", st->today,
                          "duration_ms", (double)(long)(st->ms * 10.0 + 0.5) / 10.0,
                          "examined", (json_int_t)st->examined, "alerts", (json_int_t)st->alerts,
                          "deliveries", (json_int_t)st->deliveries, "examined_by_phase", by);
    json_object_set_new(o, "ms_by_phase", ms);
    if (st->error[0])
        json_object_set_new(o, "error", json_string(st->error));
    return o;
}
