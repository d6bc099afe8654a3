/* web_metrics: /metrics and /healthz. Their bodies, status codes and
 * content types are part of what Prometheus and load balancers rely on:
 * change them only on purpose. A scrape waits a bounded time for the
 * status cache's counts; nothing here ever writes to the database. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "scan.h"
#include "status_cache.h"
#include "util.h"
#include "values.h"
#include "web.h"
#include "web_reply.h"
#include "web_metrics.h"

#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* A /metrics request waiting for the status cache. The cache holds the
 * pointer until it calls back, so the scrape lives until then even when
 * its request was answered (after WEB_COUNTS_WAIT_SECONDS) or dropped. */
struct scrape {
    struct web_metrics *m;      /* NULL: the listeners are gone; on_counts frees */
    struct scrape *next, *prev;
    const void *owner;          /* the listener the request came through */
    struct evhttp_request *req; /* NULL once answered or forgotten */
    struct event *wait_ev;      /* the bound on waiting for counts */
};

struct web_metrics {
    struct daemon *d;
    double started;             /* real time */
    struct scrape *scrapes;     /* every one the status cache has not answered yet */
};

struct web_metrics *
web_metrics_new(struct daemon *d)
{
    struct web_metrics *m = xcalloc(1, sizeof *m);
    m->d = d;
    m->started = clock_now(NULL);
    return m;
}

static void
scrape_unlink(struct scrape *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        s->m->scrapes = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

void
web_metrics_forget(struct web_metrics *m, const void *owner)
{
    for (struct scrape *s = m->scrapes; s; s = s->next) {
        if (owner == NULL || s->owner == owner) {
            s->req = NULL;      /* freed with its connection by evhttp_free */
            if (s->wait_ev)
                event_del(s->wait_ev);
        }
    }
}

void
web_metrics_free(struct web_metrics *m)
{
    if (m == NULL)
        return;
    struct scrape *next;
    for (struct scrape *s = m->scrapes; s; s = next) {
        next = s->next;
        s->m = NULL;
        s->req = NULL;
        s->next = s->prev = NULL;
        if (s->wait_ev)
            event_free(s->wait_ev);
        s->wait_ev = NULL;
    }
    free(m);
}

/* ---- /healthz ------------------------------------------------------------- */

/* Why the daemon is not healthy, or NULL. The loop is live: it is running
 * this. The database's own error is not shown: this port may be reachable
 * by more people than the control socket. */
static const char *
unhealthy(const struct daemon *d)
{
    if (d->stopping)
        return "stopping";
    if (d->db_ready)
        return NULL;
    switch (db_state(d->db)) {
    case DB_UP: return d->migrating ? "database schema is being migrated" : "database schema is unusable";
    case DB_CONNECTING: return "database connecting";
    default: return "database down";
    }
}

void
web_health_serve(struct web_metrics *m, struct evhttp_request *req)
{
    const char *why = unhealthy(m->d);
    char body[128];
    if (why == NULL) {
        web_reply_text(req, 200, "OK", "ok\n");
        return;
    }
    snprintf(body, sizeof body, "%s\n", why);
    web_reply_text(req, 503, "Service Unavailable", body);
}

/* ---- /metrics ------------------------------------------------------------- */

static long long
count_of(const json_t *counts, const char *key)
{
    const json_t *v = json_object_get(counts, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void
gauges_of(const struct web_metrics *m, const json_t *counts, struct metrics_gauges *g)
{
    const struct daemon *d = m->d;
    memset(g, 0, sizeof *g);
    g->version = PACKAGE_VERSION;
    g->database_up = d->db_ready;
    g->leader = d->scan ? strcmp(scan_role(d->scan), "leader") == 0 : -1;
    const struct scan_stats *last = d->scan ? scan_last(d->scan) : NULL;
    g->last_scan_at = last ? last->at : -1;
    g->last_scan_seconds = last ? last->ms / 1000.0 : 0;
    g->last_scan_ok = last && last->error[0] == '\0';
    g->start_time = m->started;
    if (d->deliver) {
        struct deliver_stats ds;
        deliver_stats(d->deliver, &ds);
        g->deliveries_in_flight = (long)ds.in_flight;
        g->deliveries_held = ds.held_until > 0;
    }
    if (counts == NULL)
        return;
    g->have_counts = true;
    g->outbox_pending = count_of(counts, "deliveries_pending");
    g->outbox_dead = count_of(counts, "deliveries_dead");
    /* aged now, not when counted (as status does) */
    const json_t *epoch = json_object_get(counts, "oldest_pending_epoch");
    double age = json_is_number(epoch) ? clock_now(NULL) - json_number_value(epoch) : 0;
    g->oldest_pending_age = age > 0 ? age : 0;
    g->projects_red = count_of(counts, "projects_red");
    g->projects_yellow = count_of(counts, "projects_yellow");
    g->projects_green = count_of(counts, "projects_green");
    g->projects_unjudged = count_of(counts, "projects") - g->projects_red - g->projects_yellow - g->projects_green;
}

static void
answer_metrics(struct web_metrics *m, struct evhttp_request *req, const json_t *counts)
{
    struct metrics_gauges g;
    gauges_of(m, counts, &g);
    char *text = metrics_render(m->d->metrics, &g);
    web_reply(req, 200, "OK", METRICS_CTYPE, text, strlen(text));
    free(text);
}

static void
on_counts(void *arg, json_t *counts, const char *err)
{
    struct scrape *s = arg;
    if (s->m == NULL) {         /* stopping: web_metrics_free left it to us */
        free(s);
        return;
    }
    if (err)
        log_debug("metrics: outbox and project counts unavailable", "error=%s", log_q(err));
    if (s->req)
        answer_metrics(s->m, s->req, err ? NULL : counts);
    scrape_unlink(s);
    if (s->wait_ev)
        event_free(s->wait_ev);
    free(s);
}

static void
on_wait_over(evutil_socket_t fd, short what, void *arg)
{
    struct scrape *s = arg;
    log_warn("metrics: the counts took too long: answered without them", "seconds=%d",
             WEB_COUNTS_WAIT_SECONDS);
    struct evhttp_request *req = s->req;
    s->req = NULL;              /* on_counts still comes, and frees */
    if (req)
        answer_metrics(s->m, req, NULL);
}

void
web_metrics_serve(struct web_metrics *m, const void *owner, struct evhttp_request *req)
{
    struct daemon *d = m->d;
    if (!d->db_ready) {
        answer_metrics(m, req, NULL);
        return;
    }
    char today[11];
    struct ymd t;
    clock_date_of(clock_now(&d->clock), &t);
    format_date(&t, today);
    struct scrape *s = xcalloc(1, sizeof *s);
    s->m = m;
    s->owner = owner;
    s->req = req;
    s->next = m->scrapes;
    if (m->scrapes)
        m->scrapes->prev = s;
    m->scrapes = s;
    s->wait_ev = evtimer_new(d->base, on_wait_over, s);
    struct timeval tv = { WEB_COUNTS_WAIT_SECONDS, 0 };
    evtimer_add(s->wait_ev, &tv);
    status_cache_get(d, today, on_counts, s);  /* may call back at once */
}
