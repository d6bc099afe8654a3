/* status_cache: see status_cache.h. One refresh query at a time on the main
 * connection; waiters queue behind it. No background refresh while a scan
 * runs: its batches are written on the same connection, and the counts
 * (~100 ms at 20,000 projects) once a second and at every NOTIFY slowed a
 * burst's writes. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <event2/event.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "log.h"
#include "scan.h"
#include "status_cache.h"
#include "util.h"

#define REFRESH_SECONDS 1.0   /* the oldest value a status call is served */
#define IDLE_SECONDS 60.0     /* no status for this long: stop refreshing */

struct waiter {
    struct waiter *next;
    status_counts_fn fn;
    void *arg;
};

struct status_cache {
    struct daemon *d;
    struct event *tick;
    json_t *counts;            /* NULL: none usable */
    char today[11];            /* the date counts' overdue figure is for */
    double fetched_at;         /* real time the refresh was sent */
    double last_asked;         /* real time of the last status call */
    bool in_flight;
    bool again;                /* dropped while in flight: refresh once more */
    char want_today[11];
    struct waiter *waiters, **tail;
    struct status_render render;
};

/* The projects by light from their tallies (project_tally, kept by
 * sql/functions/tally.sql in the transaction of every change): a few
 * hundred rows, where counting project itself read the whole table four
 * times (no index on light: sql/0013_project_state.sql). */
#define PROJECTS_LIT(cond) \
    "(SELECT coalesce(sum(n), 0)::bigint FROM project_tally WHERE " cond \
    " keyproj_on_list(archived_on, $1::date))"
static const char COUNTS_SQL[] =
    "SELECT " PROJECTS_LIT("") " AS projects,"
    " " PROJECTS_LIT("light = 'red' AND") " AS projects_red,"
    " " PROJECTS_LIT("light = 'yellow' AND") " AS projects_yellow,"
    " " PROJECTS_LIT("light = 'green' AND") " AS projects_green,"
    " count(*) FILTER (WHERE status = 'pending') AS milestones_pending,"
    " count(*) FILTER (WHERE status = 'done') AS milestones_done,"
    " count(*) FILTER (WHERE status = 'waived') AS milestones_waived,"
    " count(*) FILTER (WHERE status = 'pending' AND due_on < $1::date) AS milestones_overdue,"
    " (SELECT count(*) FROM alert) AS alerts,"
    " (SELECT count(*) FROM alert WHERE light = 'red') AS alerts_red,"
    " (SELECT count(*) FROM delivery WHERE status = 'pending') AS deliveries_pending,"
    " (SELECT count(*) FROM delivery WHERE status = 'dead') AS deliveries_dead,"
    " (SELECT extract(epoch FROM min(created_at))::float8 FROM delivery WHERE status = 'pending')"
    "   AS oldest_pending_epoch"
    /* the milestones of the list as it stands: an archived project's (调出) are out */
    " FROM milestone WHERE project_id NOT IN (SELECT id FROM project WHERE NOT keyproj_on_list(archived_on, $1::date))";

static void refresh(struct status_cache *c);

static bool
scanning(const struct status_cache *c)
{
    return c->d->scan != NULL && scan_running(c->d->scan);
}

/* Someone reads status: one asked within IDLE_SECONDS (real time). */
static bool
watched(const struct status_cache *c, double now)
{
    return c->last_asked > 0 && now - c->last_asked <= IDLE_SECONDS;
}

static void
answer_waiters(struct status_cache *c, json_t *counts, const char *err)
{
    struct waiter *w = c->waiters;
    c->waiters = NULL;
    c->tail = &c->waiters;
    while (w) {
        struct waiter *next = w->next;
        w->fn(w->arg, counts, err);
        free(w);
        w = next;
    }
}

static void
on_counts(void *arg, const PGresult *res, const char *err)
{
    struct status_cache *c = arg;
    c->in_flight = false;
    if (err) {
        json_decref(c->counts);
        c->counts = NULL;
        c->again = false;
        answer_waiters(c, NULL, err);
        return;
    }
    if (c->again) {             /* a write landed after this was sent */
        c->again = false;
        refresh(c);
        return;
    }
    json_t *rows = db_rows_json(res);
    json_decref(c->counts);
    c->counts = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    memcpy(c->today, c->want_today, sizeof c->today);
    answer_waiters(c, c->counts, NULL);
}

static void
refresh(struct status_cache *c)
{
    if (c->in_flight)
        return;
    if (!c->d->db_ready) {
        json_decref(c->counts);
        c->counts = NULL;
        answer_waiters(c, NULL, "the database is not available");
        return;
    }
    c->in_flight = true;
    c->fetched_at = clock_now(NULL);
    const char *params[] = { c->want_today };
    db_query(c->d->db, COUNTS_SQL, 1, params, on_counts, c);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct status_cache *c = arg;
    double now = clock_now(NULL);
    if (!c->d->db_ready || !watched(c, now)) {
        /* nobody is looking (or nothing to look at): the next status
         * fetches afresh rather than being served something old */
        json_decref(c->counts);
        c->counts = NULL;
        return;
    }
    if (c->counts && now - c->fetched_at >= REFRESH_SECONDS * 0.9 && !scanning(c))
        refresh(c);
}

static struct status_cache *
cache_of(struct daemon *d)
{
    if (d->stcache == NULL) {
        struct status_cache *c = xcalloc(1, sizeof *c);
        c->d = d;
        c->tail = &c->waiters;
        c->tick = event_new(d->base, -1, EV_PERSIST, on_tick, c);
        struct timeval tv = { 0, (int)(REFRESH_SECONDS * 1e6) / 2 };
        event_add(c->tick, &tv);
        d->stcache = c;
    }
    return d->stcache;
}

void
status_cache_get(struct daemon *d, const char *today, status_counts_fn fn, void *arg)
{
    struct status_cache *c = cache_of(d);
    double now = clock_now(NULL);
    c->last_asked = now;
    if (c->counts && strcmp(c->today, today) != 0) {
        json_decref(c->counts);     /* a new day (or `clock set`) */
        c->counts = NULL;
    }
    memcpy(c->want_today, today, sizeof c->want_today - 1);
    c->want_today[sizeof c->want_today - 1] = '\0';
    if (c->counts) {
        if (now - c->fetched_at >= REFRESH_SECONDS && !scanning(c))
            refresh(c);             /* in the background */
        fn(arg, c->counts, NULL);
        return;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    w->fn = fn;
    w->arg = arg;
    *c->tail = w;
    c->tail = &w->next;
    if (c->in_flight)
        c->again = true;    /* what is in flight may predate what dropped the value */
    else
        refresh(c);
}

void
status_cache_invalidate(struct daemon *d, bool hard)
{
    struct status_cache *c = d->stcache;
    if (d->counts_dropped != NULL)
        d->counts_dropped(d);   /* the dashboard's pages kept go with the counts, hard or not */
    if (c == NULL)
        return;
    if (hard) {
        json_decref(c->counts);
        c->counts = NULL;
        if (c->in_flight)
            c->again = true;
    }
    /* Fetched again at once only for someone looking (a status call within
     * IDLE_SECONDS) and never while a scan runs: the counts would take the
     * scan's main connection (~100 ms at 20,000 projects) ahead of lane 0's
     * next batch. Dropped by a write, they are fetched by the next status
     * call. */
    if (watched(c, clock_now(NULL)) && d->db_ready && c->want_today[0] && !scanning(c))
        refresh(c);
}

struct status_render *
status_cache_render(struct daemon *d)
{
    return &cache_of(d)->render;
}

void
status_cache_free(struct daemon *d)
{
    struct status_cache *c = d->stcache;
    if (c == NULL)
        return;
    answer_waiters(c, NULL, "daemon stopping");
    event_free(c->tick);
    json_decref(c->counts);
    json_decref(c->render.counts);
    free(c->render.text);
    free(c);
    d->stcache = NULL;
}
