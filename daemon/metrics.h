/* metrics: the counters and histograms keyprojd keeps in memory for
 * Prometheus, and their text exposition (format 0.0.4). Pure: no socket,
 * no database; the listener (web_metrics.c) gathers the gauges and calls
 * metrics_render. Every function takes NULL for "no metrics" and does
 * nothing then. Counters start at zero with each process, as Prometheus
 * expects of a counter. */
#ifndef KEYPROJ_METRICS_H
#define KEYPROJ_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct metrics;

/* The delivery latency buckets, seconds (le), without +Inf. */
#define METRICS_LATENCY_BUCKETS 12

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* A scan inserted n alerts of kind. */
void metrics_alerts(struct metrics *m, const char *kind, long n);
/* The same from a scan batch's by_kind column: a JSON object {kind: n}
 * (empty or SQL NULL: none). */
void metrics_alerts_json(struct metrics *m, const char *by_kind);
/* rows deliveries of receiver ended an attempt with outcome (delivered,
 * retry, dead, silenced). answer_ms: how long the receiver took to answer
 * the request, or < 0 when there was no answer (no latency observed). */
void metrics_delivery(struct metrics *m, const char *receiver, const char *outcome, size_t rows,
                      long answer_ms);
/* Makes the series of these receivers exist (at zero) before their first
 * delivery, so that rate() sees them start. */
void metrics_receiver(struct metrics *m, const char *receiver);

/* What the listener knows at scrape time. Negative or NaN: unknown, the
 * metric is left out. */
struct metrics_gauges {
    const char *version;
    int database_up;                /* 0/1 */
    int leader;                     /* 0/1; -1 unknown */
    double last_scan_at;            /* unix seconds; < 0 none yet */
    double last_scan_seconds;
    int last_scan_ok;               /* 0/1 */
    double start_time;              /* unix seconds */
    long deliveries_in_flight;
    int deliveries_held;            /* 0/1: quiet hours or a rest day */
    bool have_counts;               /* the rest, from status_cache.c */
    long long outbox_pending, outbox_dead;
    double oldest_pending_age;      /* seconds; 0 when nothing is pending */
    long long projects_red, projects_yellow, projects_green, projects_unjudged;
};

/* The exposition text; caller frees. */
char *metrics_render(const struct metrics *m, const struct metrics_gauges *g);

/* Appends s to out escaped as a label value (\\, \", \n). For tests. */
void metrics_escape_label(struct buf *out, const char *s);

#endif
