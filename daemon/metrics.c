/* metrics: see metrics.h. Series are kept in small arrays in the order
 * they first appear (every alert kind from the start, then receivers):
 * their number is bounded by the rules and the configuration, and a
 * receiver name read from the database is refused past MAX_RECEIVERS so
 * that no data can grow the exposition without bound. */
#include "ac_config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "rules.h"
#include "util.h"

#define MAX_KINDS 64
#define MAX_RECEIVERS 1024

static const double latency_le[METRICS_LATENCY_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

/* What deliver.c records, in the order they are shown. */
static const char *const outcomes[] = { "delivered", "retry", "dead", "silenced" };
#define N_OUTCOMES (sizeof outcomes / sizeof outcomes[0])

struct kind_count {
    char *kind;
    unsigned long long n;
};

struct rcv_series {
    char *receiver;
    unsigned long long outcome[N_OUTCOMES];
    unsigned long long bucket[METRICS_LATENCY_BUCKETS];     /* not cumulative */
    unsigned long long count;
    double sum;
};

struct metrics {
    struct kind_count *kinds;
    size_t nkinds;
    struct rcv_series *rcv;
    size_t nrcv, caprcv;
};

static struct kind_count *
kind_of(struct metrics *m, const char *kind)
{
    for (size_t i = 0; i < m->nkinds; i++)
        if (strcmp(m->kinds[i].kind, kind) == 0)
            return &m->kinds[i];
    if (m->nkinds >= MAX_KINDS)
        return NULL;
    struct kind_count *k = &m->kinds[m->nkinds++];
    k->kind = xstrdup(kind);
    k->n = 0;
    return k;
}

static struct rcv_series *
receiver_of(struct metrics *m, const char *name)
{
    for (size_t i = 0; i < m->nrcv; i++)
        if (strcmp(m->rcv[i].receiver, name) == 0)
            return &m->rcv[i];
    if (m->nrcv >= MAX_RECEIVERS)
        return NULL;
    if (m->nrcv == m->caprcv) {
        m->caprcv = m->caprcv ? m->caprcv * 2 : 8;
        m->rcv = xreallocarray(m->rcv, m->caprcv, sizeof *m->rcv);
    }
    struct rcv_series *r = &m->rcv[m->nrcv++];
    memset(r, 0, sizeof *r);
    r->receiver = xstrdup(name);
    return r;
}

struct metrics *
metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->kinds = xcalloc(MAX_KINDS, sizeof *m->kinds);
    for (int k = 0; k < RULES_KIND_COUNT; k++)
        kind_of(m, rules_kind_name((enum rules_kind)k));
    return m;
}

void
metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nkinds; i++)
        free(m->kinds[i].kind);
    free(m->kinds);
    for (size_t i = 0; i < m->nrcv; i++)
        free(m->rcv[i].receiver);
    free(m->rcv);
    free(m);
}

void
metrics_alerts(struct metrics *m, const char *kind, long n)
{
    if (m == NULL || kind == NULL || n <= 0)
        return;
    struct kind_count *k = kind_of(m, kind);
    if (k)
        k->n += (unsigned long long)n;
}

void
metrics_alerts_json(struct metrics *m, const char *by_kind)
{
    if (m == NULL || by_kind == NULL || by_kind[0] == '\0')
        return;
    json_t *o = json_loads(by_kind, 0, NULL);
    const char *kind;
    json_t *v;
    json_object_foreach(o, kind, v)
        metrics_alerts(m, kind, (long)json_integer_value(v));
    json_decref(o);
}

void
metrics_receiver(struct metrics *m, const char *receiver)
{
    if (m && receiver)
        receiver_of(m, receiver);
}

void
metrics_delivery(struct metrics *m, const char *receiver, const char *outcome, size_t rows, long answer_ms)
{
    if (m == NULL || receiver == NULL)
        return;
    struct rcv_series *r = receiver_of(m, receiver);
    if (r == NULL)
        return;
    for (size_t i = 0; i < N_OUTCOMES; i++)
        if (strcmp(outcomes[i], outcome) == 0)
            r->outcome[i] += rows;
    if (answer_ms < 0)
        return;
    double s = answer_ms / 1000.0;
    r->count++;
    r->sum += s;
    for (size_t i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        if (s <= latency_le[i]) {
            r->bucket[i]++;
            break;
        }
}

/* ---- exposition ---------------------------------------------------------- */

void
metrics_escape_label(struct buf *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            buf_puts(out, "\\\\");
        else if (*p == '"')
            buf_puts(out, "\\\"");
        else if (*p == '\n')
            buf_puts(out, "\\n");
        else
            buf_putc(out, *p);
    }
}

static void
put_num(struct buf *b, double v)
{
    if (isnan(v))
        buf_puts(b, "NaN");
    else if (isinf(v))
        buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else if (fabs(v) < 1e15 && v == (double)(long long)v)
        buf_printf(b, "%.0f", v);
    else
        buf_printf(b, "%.15g", v);
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v — label NULL: no labels. */
static void
sample(struct buf *b, const char *name, const char *label, const char *value, double v)
{
    buf_puts(b, name);
    if (label) {
        buf_printf(b, "{%s=\"", label);
        metrics_escape_label(b, value);
        buf_puts(b, "\"}");
    }
    buf_putc(b, ' ');
    put_num(b, v);
    buf_putc(b, '\n');
}

static void
gauge(struct buf *b, const char *name, const char *help, double v)
{
    family(b, name, "gauge", help);
    sample(b, name, NULL, NULL, v);
}

static void
render_deliveries(struct buf *b, const struct metrics *m)
{
    family(b, "keyproj_deliveries_total", "counter",
           "Deliveries whose attempt ended, by receiver and outcome (delivered, retry, dead, silenced).");
    for (size_t i = 0; i < m->nrcv; i++)
        for (size_t o = 0; o < N_OUTCOMES; o++) {
            buf_puts(b, "keyproj_deliveries_total{receiver=\"");
            metrics_escape_label(b, m->rcv[i].receiver);
            buf_printf(b, "\",outcome=\"%s\"} %llu\n", outcomes[o], m->rcv[i].outcome[o]);
        }
    family(b, "keyproj_delivery_duration_seconds", "histogram",
           "Time from sending a delivery's request to the receiver's answer, by receiver.");
    for (size_t i = 0; i < m->nrcv; i++) {
        const struct rcv_series *r = &m->rcv[i];
        unsigned long long cum = 0;
        for (size_t k = 0; k <= METRICS_LATENCY_BUCKETS; k++) {
            buf_puts(b, "keyproj_delivery_duration_seconds_bucket{receiver=\"");
            metrics_escape_label(b, r->receiver);
            if (k < METRICS_LATENCY_BUCKETS) {
                cum += r->bucket[k];
                buf_printf(b, "\",le=\"%g\"} %llu\n", latency_le[k], cum);
            } else {
                buf_printf(b, "\",le=\"+Inf\"} %llu\n", r->count);
            }
        }
        sample(b, "keyproj_delivery_duration_seconds_sum", "receiver", r->receiver, r->sum);
        sample(b, "keyproj_delivery_duration_seconds_count", "receiver", r->receiver, (double)r->count);
    }
}

static void
render_state(struct buf *b, const struct metrics_gauges *g)
{
    gauge(b, "keyproj_database_up", "1 when the database is connected and its schema usable.", g->database_up);
    if (g->leader >= 0)
        gauge(b, "keyproj_leader", "1 when this instance is the leader (it scans); 0 on a standby.", g->leader);
    gauge(b, "keyproj_start_time_seconds", "When this keyprojd started, unix seconds.", g->start_time);
    if (g->last_scan_at >= 0) {
        gauge(b, "keyproj_last_scan_timestamp_seconds",
              "When the last finished scan began, unix seconds (the daemon's clock).", g->last_scan_at);
        gauge(b, "keyproj_last_scan_duration_seconds", "How long the last finished scan took.",
              g->last_scan_seconds);
        gauge(b, "keyproj_last_scan_success", "1 when the last scan ran to its end, 0 when it failed.",
              g->last_scan_ok);
    }
    gauge(b, "keyproj_deliveries_in_flight", "Requests to receivers sent and not yet answered.",
          (double)g->deliveries_in_flight);
    gauge(b, "keyproj_deliveries_held", "1 while quiet hours or a rest day hold messages back.",
          g->deliveries_held);
    if (!g->have_counts)
        return;
    gauge(b, "keyproj_outbox_pending", "Deliveries waiting in the outbox (pending).", (double)g->outbox_pending);
    gauge(b, "keyproj_outbox_dead", "Dead deliveries (given up, replayable).", (double)g->outbox_dead);
    gauge(b, "keyproj_outbox_oldest_pending_age_seconds",
          "Age of the oldest pending delivery; 0 when nothing is pending.", g->oldest_pending_age);
    family(b, "keyproj_projects", "gauge", "Projects by light (unjudged: not yet judged by a scan).");
    sample(b, "keyproj_projects", "light", "red", (double)g->projects_red);
    sample(b, "keyproj_projects", "light", "yellow", (double)g->projects_yellow);
    sample(b, "keyproj_projects", "light", "green", (double)g->projects_green);
    sample(b, "keyproj_projects", "light", "unjudged", (double)g->projects_unjudged);
}

char *
metrics_render(const struct metrics *m, const struct metrics_gauges *g)
{
    struct buf b;
    buf_init(&b);
    family(&b, "keyproj_build_info", "gauge", "Always 1; the version is in the label.");
    sample(&b, "keyproj_build_info", "version", g->version ? g->version : "", 1);
    render_state(&b, g);
    if (m) {
        family(&b, "keyproj_alerts_generated_total", "counter", "Alerts this instance's scans inserted, by kind.");
        for (size_t i = 0; i < m->nkinds; i++)
            sample(&b, "keyproj_alerts_generated_total", "kind", m->kinds[i].kind, (double)m->kinds[i].n);
        render_deliveries(&b, m);
    }
    return buf_steal(&b);
}
