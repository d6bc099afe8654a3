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

#include <malloc.h>
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

/* Rows a scan must have judged for the heap to be trimmed after it. */
#define SCAN_TRIM_ROWS 10000

/* The leader's advisory lock: not the migration lock (7391001, migrate.c)
 * nor the import's (hashtextextended('keyproj.import', 0)). */
#define LEADER_LOCK "7391002"
#define SCAN_STANDBY_ERROR "this keyprojd is a standby: another instance is the leader and scans"

struct waiter {
    struct waiter *next;
    scan_done_fn fn;
    void *arg;
};

/* A batch's write sent and not answered yet, with its timings (debug log). */
struct pending_write {
    struct db_query *q;
    int rows;
    double select_ms, build_ms, sent_at;
};

/* One pipeline of a phase's batches on one connection (see "the batches
 * of a phase" below). A phase with lanes runs two, each on the projects of
 * its own parity; others run lane 0 alone. */
struct lane {
    struct scanner *s;
    int k;                          /* its number: 0 on the main connection */
    struct db *db;                  /* not owned */
    struct event *build_ev;         /* builds the next slice of to_build */
    struct db_query *inflight;      /* the select in flight (at most one) */
    int batch_limit;
    bool last_select;               /* the lane sends no further select (see on_written) */
    bool reread;                    /* a write was rolled back: select once more */
    struct pending_write writes[2]; /* oldest first; the connection answers in order */
    int n_writes;
    PGresult *to_build;             /* a copy of the rows read last, built by build_ev */
    PGresult *stash;                /* rows read while to_build was being built */
    double stash_select_ms;
    int built;                      /* its rows in batch so far */
    struct scan_batch batch;        /* the batch being built */
    double to_build_select_ms, build_ms;
    double t_select_sent;
};

#define SCAN_LANES 2

struct scanner {
    struct daemon *d;
    scan_done_fn on_end;            /* told of every scan's end (scan_new) */
    void *on_end_arg;
    struct event *start_ev;         /* deferred start: never from inside a callback */
    struct event *day_ev;           /* the next business-day boundary */
    struct event *safety_ev;        /* alerts.scan_interval_seconds */
    struct event *leader_ev;        /* a standby's next try for the lock */
    struct db *db2;                 /* the second lane's connection (owned; NULL: one lane) */
    bool leader;                    /* holds LEADER_LOCK on this session */
    struct db_query *lead_q;        /* the try in flight */
    bool running, again;
    struct db_query *probe_q;       /* the probe in flight */
    struct waiter *waiters;         /* told when the running scan ends */
    struct waiter *next_waiters;    /* told when the next scan ends */

    /* the scan in progress */
    struct scan_ctx ctx;
    size_t phase;
    int retries;                    /* batches redone after a deadlock */
    bool due[SCAN_PHASES];          /* the phase may have rows to check */
    struct lane lanes[SCAN_LANES];
    int n_lanes;                    /* lanes of the phase in progress */
    bool warned_campaigns;
    double started;                 /* system clock, for the duration only */
    double t_phase;                 /* when the phase's first select was sent */
    struct scan_stats cur, last;
    unsigned long scans;
};

static void select_next(struct scanner *s);
static bool send_select(struct lane *l, const char *exclude, bool first);
static void batch_discard(struct lane *l);
static void selected(struct lane *l, PGresult *own, double select_ms);
static void on_written(void *arg, const PGresult *res, const char *err);

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
    if (s->on_end)
        s->on_end(s->on_end_arg, &s->last);
    if (err)
        log_warn("scan failed", "today=%s examined=%ld alerts=%ld error=%s", st->today, st->examined,
                 st->alerts, log_q(err));
    else
        log_msg(st->examined > 0 ? LOG_INFO : LOG_DEBUG, "scan finished",
                "today=%s examined=%ld alerts=%ld deliveries=%ld ms=%.1f milestones_ms=%.1f projects_ms=%.1f",
                st->today, st->examined, st->alerts, st->deliveries, st->ms, st->phase_ms[0],
                st->phase_ms[PHASE_PROJECTS]);
    tell(&s->waiters, &s->last);
    /* A scan that judged many rows leaves the heap full of freed result
     * rows and payloads: give the pages back, as an import does, so an
     * idle daemon stays small (a 30,000-project ledger's first scan: 15.4
     * MB of private memory kept, 6.5 MB after the trim). */
    if (st->examined >= SCAN_TRIM_ROWS)
        malloc_trim(0);
    if (s->again)
        event_active(s->start_ev, EV_TIMEOUT, 0);
}

/* ---- the batches of a phase: select, build, write ------------------------
 *
 * A lane's batches are pipelined on its connection, which runs its
 * statements one at a time in the order they were sent: when batch k's
 * rows are taken (on arrival, or once the write of batch k-1, still being
 * built, has been sent), the select of batch k+1 is sent at once, then
 * batch k is built and its write sent. PostgreSQL so runs S(k+1), W(k),
 * S(k+2), W(k+1), … while keyprojd builds batch k+1 during W(k). Why the
 * rows written are the same as with one batch at a time:
 *  - S(k+1) runs after W(k-1) has committed and before W(k): batch k's
 *    rows still look due to it, so it leaves out their ids. Rows of
 *    earlier batches were written, or (rolled back, or edited so that the
 *    xmin check skipped them) are still due and read again, as before.
 *  - a write changes nothing that a later batch of its phase reads: its
 *    own batch's rows, engine columns of their projects, the alerts,
 *    deliveries and light history of its own rows. So the xmin a write
 *    checks is still the one its select saw, unless someone else edited
 *    the row — what the check is for.
 *  - a phase's first select is sent only once every write before it, on
 *    every lane, has been answered: the project phase sees all the marks
 *    of the parts.
 *
 * A phase with lanes runs two such pipelines at once, lane 0 on the main
 * connection and lane 1 on a second one, when that one is up: PostgreSQL
 * then writes two batches at a time, on two cores. Each lane reads only
 * the rows of its own projects (even or odd ids, LANE_OF), so the two
 * never write the same row, alert or mark, and neither excludes the
 * other's ids. What they share are counters (the tallies, a 督办函's
 * number), which their statements take in one order. Lane 1's session
 * holds no leader lock: the leader sends its selects, and a lost leader
 * session ends the scan (scan_may_run); a write still in flight on lane 1
 * then commits or not as any writer's, the xmin check as ever deciding. */

static bool
lane_busy(const struct lane *l)
{
    return l->inflight != NULL || l->n_writes > 0 || l->to_build != NULL || l->stash != NULL;
}

static void
lane_forget(struct lane *l)
{
    /* Statements already sent still run, each whole or not at all; only
     * their answers are no longer awaited. */
    db_cancel(l->inflight);
    l->inflight = NULL;
    for (int i = 0; i < l->n_writes; i++)
        db_cancel(l->writes[i].q);
    l->n_writes = 0;
    if (l->to_build)
        batch_discard(l);
    PQclear(l->stash);
    l->stash = NULL;
}

static void
forget_pending(struct scanner *s)
{
    db_cancel(s->probe_q);
    s->probe_q = NULL;
    for (int i = 0; i < SCAN_LANES; i++)
        lane_forget(&s->lanes[i]);
}

static void
fail_run(struct scanner *s, const char *err)
{
    forget_pending(s);
    run_end(s, err);
}

/* A statement of lane l failed. When that was lane 1's connection going
 * away, the scan runs again at once, on the main connection alone (the
 * second reconnects meanwhile): nothing else would start it before the
 * next change, midnight or safety interval. */
static void
lane_failed(struct lane *l, const char *err)
{
    if (l->k > 0 && db_state(l->db) != DB_UP)
        l->s->again = true;
    fail_run(l->s, err);
}

/* The lane goes on while a select or a write is awaited; then it reads
 * once more (a batch was rolled back); once every lane is done, the next
 * phase begins. */
static void
phase_step(struct lane *l)
{
    struct scanner *s = l->s;
    if (lane_busy(l))
        return;
    if (l->reread) {
        l->reread = false;
        send_select(l, NULL, false);
        return;
    }
    for (int i = 0; i < s->n_lanes; i++)
        if (lane_busy(&s->lanes[i]))
            return;
    s->cur.phase_ms[s->phase] += (clock_now(NULL) - s->t_phase) * 1000.0;
    s->phase++;
    select_next(s);
}

static void
on_written(void *arg, const PGresult *res, const char *err)
{
    struct lane *l = arg;
    struct scanner *s = l->s;
    struct pending_write w = l->writes[0];      /* answers come in the order sent */
    l->writes[0] = l->writes[1];
    l->n_writes--;
    const char *name = phases[s->phase]->name;
    if (err && db_error_is_conflict(l->db) && s->retries < 3) {
        /* Rows locked by another writer (an edit, or a leader being
         * replaced whose last batch is still running): the batch was
         * rolled back whole; its rows are due again and read again. */
        s->retries++;
        l->reread = true;
        log_warn("scan batch redone after a deadlock", "phase=%s lane=%d", name, l->k);
        phase_step(l);
        return;
    }
    if (err) {
        lane_failed(l, err);
        return;
    }
    long written = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    log_debug("scan batch", "phase=%s lane=%d rows=%d written=%ld alerts=%s select_ms=%.1f build_ms=%.1f write_ms=%.1f",
              name, l->k, w.rows, written, PQgetvalue(res, 0, 1), w.select_ms, w.build_ms,
              (clock_now(NULL) - w.sent_at) * 1000.0);
    if (written > 0 && s->phase < PHASE_PROJECTS)
        s->due[PHASE_PROJECTS] = true;     /* a part's light may have moved its project */
    s->cur.alerts += strtol(PQgetvalue(res, 0, 1), NULL, 10);
    metrics_alerts_json(s->d->metrics, PQgetvalue(res, 0, 4));
    s->cur.deliveries += strtol(PQgetvalue(res, 0, 2), NULL, 10);
    /* A batch whose every row was edited meanwhile (nothing written) ends
     * the lane: those rows are left to the NOTIFY the edit sent, so that
     * a hot row cannot hold the scan in a loop. */
    if (written == 0)
        l->last_select = true;
    phase_step(l);
}

/* ---- building a batch, slice by slice --------------------------------------
 *
 * A batch is built BUILD_SLICE_ROWS rows at a time, the event loop running
 * between slices: the write sent just before (several MB of parameters)
 * goes out while keyprojd builds, instead of waiting in libpq's buffer
 * until the whole batch is built, with PostgreSQL idle meanwhile; and an
 * answer that arrives during the build is taken at once (the other lane's
 * too). */
#define BUILD_SLICE_ROWS 500

static void
batch_discard(struct lane *l)
{
    event_del(l->build_ev);
    PQclear(l->to_build);
    l->to_build = NULL;
    scan_batch_free(&l->batch);
}

/* Starts building a batch of the rows in res (taken). */
static void
batch_begin(struct lane *l, PGresult *res, double select_ms)
{
    l->to_build = res;
    l->built = 0;
    l->to_build_select_ms = select_ms;
    l->build_ms = 0;
    scan_batch_init(&l->batch);
    struct timeval now = { 0, 0 };
    evtimer_add(l->build_ev, &now);
}

/* The batch is built: its one write statement. */
static void
batch_send(struct lane *l)
{
    struct scanner *s = l->s;
    const struct scan_phase *ph = phases[s->phase];
    struct scan_batch *b = &l->batch;
    double t0 = clock_now(NULL);
    scan_rows_text(b);
    int payload_len = scan_batch_close(b);
    /* the batch's buffers go to the query as they are (db_query_taken) */
    char *params[SCAN_WRITE_PARAMS + 1] = {
        buf_steal(&b->rows), buf_steal(&b->a[SCAN_A_ROW]), xstrdup(s->ctx.now_iso),
        xstrdup(s->ctx.today_s), buf_steal(&b->a[SCAN_A_KIND]), buf_steal(&b->a[SCAN_A_SUBJECT]),
        buf_steal(&b->a[SCAN_A_STAGE]), buf_steal(&b->a[SCAN_A_LIGHT]), buf_steal(&b->a[SCAN_A_PROJECT]),
        buf_steal(&b->a[SCAN_A_PAYLOAD]), buf_steal(&b->a[SCAN_A_RECEIVERS]),
        NULL,
    };
    const char *number = s->ctx.cfg->letters[LETTER_SUPERVISION].number;
    if (number)
        params[SCAN_WRITE_PARAMS] = xstrdup(number);
    int lengths[SCAN_WRITE_PARAMS + 1] = { 0 }, formats[SCAN_WRITE_PARAMS + 1] = { 0 };
    lengths[SCAN_WRITE_PAYLOADS] = payload_len;
    formats[SCAN_WRITE_PAYLOADS] = 1;
    if (l->n_writes == 2) {
        /* S(k+1) is answered after W(k-1): never a third */
        log_error("scan: a third write in flight", "phase=%s lane=%d", ph->name, l->k);
        abort();
    }
    struct pending_write *w = &l->writes[l->n_writes++];
    w->rows = PQntuples(l->to_build);
    w->select_ms = l->to_build_select_ms;
    w->sent_at = clock_now(NULL);
    w->build_ms = l->build_ms + (w->sent_at - t0) * 1000.0;
    /* Only the project phase issues letters: the others' statements do
     * not name $12, and PostgreSQL refuses a parameter it cannot type. */
    int n = SCAN_WRITE_PARAMS + (ph == &scan_phase_projects);
    w->q = db_query_taken(l->db, ph->write_sql, n, params, lengths, formats, on_written, l);
    for (int i = n; i < SCAN_WRITE_PARAMS + 1; i++)
        free(params[i]);
    batch_discard(l);
    if (l->stash) {
        PGresult *next = l->stash;
        l->stash = NULL;
        selected(l, next, l->stash_select_ms);
    }
}

static void
on_build(evutil_socket_t fd, short what, void *arg)
{
    struct lane *l = arg;
    struct scanner *s = l->s;
    if (l->to_build == NULL)
        return;
    int n = PQntuples(l->to_build);
    int to = n - l->built > BUILD_SLICE_ROWS ? l->built + BUILD_SLICE_ROWS : n;
    double t0 = clock_now(NULL);
    s->ctx.cfg = s->d->cfg;         /* a reload takes effect from the next slice */
    phases[s->phase]->build(&s->ctx, l->to_build, l->built, to, &l->batch);
    l->built = to;
    l->build_ms += (clock_now(NULL) - t0) * 1000.0;
    if (l->built < n) {
        struct timeval now = { 0, 0 };
        evtimer_add(l->build_ev, &now);     /* a timer: the loop polls sockets first */
        return;
    }
    batch_send(l);
}

/* The batch's ids as an array literal "{1,2,3}". Caller frees. */
static char *
batch_ids_new(const PGresult *res)
{
    int id = scan_col(res, "id");
    struct buf ids;
    buf_init(&ids);
    buf_putc(&ids, '{');
    for (int i = 0; i < PQntuples(res); i++) {
        if (i > 0)
            buf_putc(&ids, ',');
        buf_puts(&ids, PQgetvalue(res, i, id));
    }
    buf_putc(&ids, '}');
    return buf_steal(&ids);
}

static void
on_selected(void *arg, const PGresult *res, const char *err)
{
    struct lane *l = arg;
    l->inflight = NULL;
    if (err) {
        lane_failed(l, err);
        return;
    }
    double select_ms = (clock_now(NULL) - l->t_select_sent) * 1000.0;
    PGresult *own = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (own == NULL) {
        log_error("scan: out of memory copying a batch", "rows=%d", PQntuples(res));
        abort();
    }
    if (l->to_build != NULL) {
        /* Taken once the batch being built is sent: the next select must
         * come after that batch's write (see above). */
        l->stash = own;
        l->stash_select_ms = select_ms;
        return;
    }
    selected(l, own, select_ms);
}

/* The rows of a select (own: the caller's copy, now the batch's). */
static void
selected(struct lane *l, PGresult *own, double select_ms)
{
    struct scanner *s = l->s;
    int n = PQntuples(own);
    s->cur.examined += n;
    s->cur.phase_examined[s->phase] += n;
    if (n > 0 && n >= l->batch_limit && !l->last_select) {
        /* a full batch may have left more behind: ask for them now */
        char *ids = batch_ids_new(own);
        bool sent = send_select(l, ids, false);
        free(ids);
        if (!sent) {
            PQclear(own);
            return;
        }
    }
    if (n > 0)
        batch_begin(l, own, select_ms);
    else
        PQclear(own);
    phase_step(l);
}

static void
month_start(struct ymd d, int back, char out[11])
{
    int mi = d.y * 12 + (d.m - 1) - back;
    struct ymd f = { mi / 12, mi % 12 + 1, 1 };
    format_date(&f, out);
}

/* The rows of a phase's first batch: PostgreSQL has nothing to do while
 * keyprojd builds it (20–40 µs a row), so it is kept small. */
#define FIRST_BATCH_ROWS 1000

/* The lane's select; exclude ("{…}" or NULL) the ids of a batch selected
 * but perhaps not written yet. False when the run has ended. */
static bool
send_select(struct lane *l, const char *exclude, bool first)
{
    struct scanner *s = l->s;
    if (!scan_may_run(s)) {
        fail_run(s, "the database is not ready");
        return false;
    }
    const struct scan_phase *ph = phases[s->phase];
    char limit[16], reports[16], this_month[11], last_month[11], n_lanes[8], k[8];
    l->batch_limit = s->d->cfg->scan_batch;
    if (first && l->batch_limit > FIRST_BATCH_ROWS)
        l->batch_limit = FIRST_BATCH_ROWS;
    snprintf(limit, sizeof limit, "%d", l->batch_limit);
    snprintf(reports, sizeof reports, "%zu", rules_reports_needed(&s->d->cfg->rules));
    snprintf(n_lanes, sizeof n_lanes, "%d", s->n_lanes);
    snprintf(k, sizeof k, "%d", l->k);
    month_start(s->ctx.today, 0, this_month);
    month_start(s->ctx.today, 1, last_month);
    const char *own[SCAN_SELECT_PARAMS] = { s->ctx.today_s, limit, reports, this_month, last_month };
    const char *params[SCAN_SELECT_PARAMS + 3];
    int n = 0;
    for (int i = 0; i < ph->select_params; i++)
        params[n++] = own[i];
    params[n++] = exclude ? exclude : "{}";
    if (ph->lanes) {
        params[n++] = n_lanes;
        params[n++] = k;
    }
    l->t_select_sent = clock_now(NULL);
    l->inflight = db_query(l->db, ph->select_sql, n, params, on_selected, l);
    return true;
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
    /* The second lane when the phase has lanes and its connection is up;
     * else lane 0 reads every row. */
    s->n_lanes = phases[s->phase]->lanes && s->db2 && db_state(s->db2) == DB_UP ? SCAN_LANES : 1;
    s->t_phase = clock_now(NULL);
    for (int i = 0; i < s->n_lanes; i++) {
        s->lanes[i].last_select = false;
        s->lanes[i].reread = false;
    }
    for (int i = 0; i < s->n_lanes; i++)
        if (!send_select(&s->lanes[i], NULL, true))
            return;
}

static void
on_probed(void *arg, const PGresult *res, const char *err)
{
    struct scanner *s = arg;
    s->probe_q = NULL;
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
     * the scan ends here, without planning the phases' selects. It also
     * freezes the scorecards of windows that have closed. min() is
     * the first entry of the partial index whatever the statistics say
     * (after a burst, stale ones made EXISTS scan the whole table). */
    const char *params[] = { s->ctx.today_s };
    s->probe_q = db_query(s->d->db,
#define DUE_PROBE(table) "coalesce((SELECT min(next_check_on) FROM " table ") <= $1::date, false)"
                           "SELECT " DUE_PROBE("milestone_state") ", " DUE_PROBE("problem") ", "
                           DUE_PROBE("approval") ", (" DUE_PROBE("project_state")
                           " OR EXISTS (SELECT FROM project_mark)), " DUE_PROBE("campaign_target") ","
                           /* what campaigns achieved is counted by sql/functions/admin.sql */
                           " to_regprocedure('keyproj_campaign_actuals(date, date, bigint, text)') IS NOT NULL,"
                           /* windows closed before today get their frozen scorecard
                            * (sql/functions/scorecard.sql): at most a few a year */
                           " keyproj_scorecards_freeze($1::date)",
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
scan_db_lost(struct scanner *s)
{
    /* Whether the lock outlived the session cannot be known from here, and
     * after a failover it did not (a promoted standby holds no session
     * locks): stop acting as leader now; only the normal path, a try for
     * the lock on the new session, makes this instance leader again. */
    if (s->leader)
        log_warn("leader no more: the database session was lost", "lock=%s", LEADER_LOCK);
    s->leader = false;
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

void
scan_reconfigure(struct scanner *s)
{
    if (s->db2)
        db_reconfigure(s->db2, s->d->cfg->db_conninfo, s->d->cfg->db_reconnect_max);
}

struct scanner *
scan_new(struct daemon *d, scan_done_fn on_end, void *arg)
{
    struct scanner *s = xcalloc(1, sizeof *s);
    s->d = d;
    s->on_end = on_end;
    s->on_end_arg = arg;
    s->start_ev = event_new(d->base, -1, 0, on_start, s);
    s->day_ev = evtimer_new(d->base, on_day, s);
    s->safety_ev = evtimer_new(d->base, on_safety, s);
    s->leader_ev = evtimer_new(d->base, on_leader_retry, s);
    /* The second lane's connection: no state or notify callbacks, a phase
     * simply runs on one lane while it is down. */
    if (d->cfg->scan_connections > 1) {
        s->db2 = db_new(d->base, "scan2", d->cfg->db_conninfo, d->cfg->db_reconnect_max, NULL, NULL, s);
        db_start(s->db2);
    }
    for (int i = 0; i < SCAN_LANES; i++) {
        struct lane *l = &s->lanes[i];
        l->s = s;
        l->k = i;
        l->db = i == 0 ? d->db : s->db2;   /* NULL: lane 1 never runs */
        l->build_ev = evtimer_new(d->base, on_build, l);
    }
    arm_day(s);
    arm_safety(s);
    return s;
}

void
scan_free(struct scanner *s)
{
    if (s == NULL)
        return;
    forget_pending(s);
    struct scan_stats st = s->cur;
    strlcpy_k(st.error, "keyprojd is stopping", sizeof st.error);
    tell(&s->waiters, &st);
    tell(&s->next_waiters, &st);
    event_free(s->start_ev);
    event_free(s->day_ev);
    event_free(s->safety_ev);
    event_free(s->leader_ev);
    for (int i = 0; i < SCAN_LANES; i++)
        event_free(s->lanes[i].build_ev);
    db_cancel(s->lead_q);
    db_free(s->db2);
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
