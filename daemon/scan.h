/* scan: the alert engine. Decides when to scan (the database became
 * ready, a NOTIFY keyproj_changed, the next business day, a periodic
 * safety scan, an admin's `scan`) and runs each scan: the rows due for a
 * check, batch by batch, through rules.c, each batch's decisions written
 * in one statement. Never two scans at once; never the system clock (only
 * the daemon's); never a decision held only in memory. */
#ifndef KEYPROJ_SCAN_H
#define KEYPROJ_SCAN_H

#include <stdbool.h>
#include <jansson.h>

struct daemon;
struct scanner;

#define SCAN_PHASES 5       /* milestones, problems, approvals, projects, campaigns */

struct scan_stats {
    unsigned long number;           /* 1 for the first scan since start */
    double at;                      /* the daemon's clock when it began */
    char today[11];                 /* the business date it judged */
    double ms;                      /* how long it took */
    long examined;                  /* rows read (due for a check) */
    long alerts, deliveries;        /* rows inserted */
    long phase_examined[SCAN_PHASES];
    double phase_ms[SCAN_PHASES];   /* time spent in each phase (select, build, write) */
    char error[256];                /* "" when it ran to the end */
};

/* Told when a scan ends (ok or not): the one that includes a request, or
 * (scan_new) every one. */
typedef void (*scan_done_fn)(void *arg, const struct scan_stats *st);

/* on_end (may be NULL) is told each time a scan ends, before the
 * requests waiting for it are: what the scan wrote is committed then. */
struct scanner *scan_new(struct daemon *d, scan_done_fn on_end, void *arg);
/* Cancels the scan in flight; requests still waiting are told it failed. */
void scan_free(struct scanner *s);
/* After a reload: the second lane's connection takes the new conninfo. */
void scan_reconfigure(struct scanner *s);

/* The one place that says whether this instance may scan now: the
 * database is ready and this instance is the leader (holds the leader
 * lock on its session). Digests and other once-per-database work ask it
 * too. */
bool scan_may_run(const struct scanner *s);
/* "leader" or "standby" (for status). */
const char *scan_role(const struct scanner *s);

/* The database is ready (connected and migrated): LISTEN, try for the
 * leader lock, and scan once leader. */
void scan_db_ready(struct scanner *s);
/* The main connection went down: the leader lock went with its session. */
void scan_db_lost(struct scanner *s);
/* A NOTIFY arrived on the daemon's connection. */
void scan_notify(struct scanner *s, const char *channel);
/* Something may have changed: scan now, or once more after the running one. */
void scan_kick(struct scanner *s, const char *why);
/* The daemon's clock moved (test mode): new day boundary, and a scan. */
void scan_clock_changed(struct scanner *s);
/* Runs a scan that starts after this call and calls fn when it ends.
 * False (fn never called) when scan_may_run says no. */
bool scan_request(struct scanner *s, scan_done_fn fn, void *arg);

/* {number, at, today, duration_ms, examined, alerts, deliveries,
 *  examined_by_phase: {milestones, …}, ms_by_phase: {milestones, …}, error?}.
 * New reference. */
json_t *scan_stats_json(const struct scan_stats *st);
/* The last finished scan's stats, or NULL before the first one. */
const struct scan_stats *scan_last(const struct scanner *s);
bool scan_running(const struct scanner *s);

#endif
