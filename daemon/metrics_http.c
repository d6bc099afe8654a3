/* metrics_http: a deliberately small HTTP/1.1 server on bufferevents —
 * one request per connection (Connection: close), GET and HEAD only, a
 * bounded request head, a timeout, a cap on connections — rather than a
 * general one: Prometheus and load balancers need nothing more, and every
 * bound is then ours to state. The answers read the daemon's state and the
 * status cache (status_cache.c); nothing here touches the database. */
#include "ac_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "scan.h"
#include "status_cache.h"
#include "util.h"
#include "values.h"

struct mclient {
    struct metrics_http *h;     /* NULL: the listener is gone, the status cache still holds this */
    struct mclient *next, *prev;
    struct bufferevent *bev;    /* NULL: the peer left while counts were awaited */
    struct event *wait_ev;      /* the bound on waiting for counts */
    bool head;                  /* HEAD: the headers only */
    bool waiting;               /* status_cache_get has not called back yet */
    bool answered;
};

struct metrics_http {
    struct daemon *d;
    struct evconnlistener *lst;
    struct mclient *clients;    /* every one not yet freed */
    int nclients;               /* open connections */
    double started;             /* real time */
};

/* The connection is done with. A scrape waiting on the status cache is
 * freed by its callback instead (the cache holds the pointer until then). */
static void
client_close(struct mclient *cl)
{
    struct metrics_http *h = cl->h;
    if (cl->bev) {
        bufferevent_free(cl->bev);
        cl->bev = NULL;
        h->nclients--;
    }
    if (cl->waiting)
        return;
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        h->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    if (cl->wait_ev)
        event_free(cl->wait_ev);
    free(cl);
}

static void
reply(struct mclient *cl, int code, const char *reason, const char *ctype, const char *extra_headers,
      const char *body, size_t len)
{
    cl->answered = true;
    if (cl->bev == NULL)
        return;
    struct evbuffer *out = bufferevent_get_output(cl->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
                        code, reason, ctype, len, extra_headers ? extra_headers : "");
    if (!cl->head)
        evbuffer_add(out, body, len);
    bufferevent_disable(cl->bev, EV_READ);
    bufferevent_enable(cl->bev, EV_WRITE);  /* on_write closes once it is flushed */
}

static void
reply_text(struct mclient *cl, int code, const char *reason, const char *extra_headers, const char *text)
{
    reply(cl, code, reason, "text/plain; charset=utf-8", extra_headers, text, strlen(text));
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

static void
serve_health(struct mclient *cl)
{
    const char *why = unhealthy(cl->h->d);
    char body[128];
    if (why == NULL) {
        reply_text(cl, 200, "OK", NULL, "ok\n");
        return;
    }
    snprintf(body, sizeof body, "%s\n", why);
    reply_text(cl, 503, "Service Unavailable", NULL, body);
}

/* ---- /metrics ------------------------------------------------------------- */

static long long
count_of(const json_t *counts, const char *key)
{
    const json_t *v = json_object_get(counts, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void
gauges_of(const struct metrics_http *h, const json_t *counts, struct metrics_gauges *g)
{
    const struct daemon *d = h->d;
    memset(g, 0, sizeof *g);
    g->version = PACKAGE_VERSION;
    g->database_up = d->db_ready;
    g->leader = d->scan ? strcmp(scan_role(d->scan), "leader") == 0 : -1;
    const struct scan_stats *last = d->scan ? scan_last(d->scan) : NULL;
    g->last_scan_at = last ? last->at : -1;
    g->last_scan_seconds = last ? last->ms / 1000.0 : 0;
    g->last_scan_ok = last && last->error[0] == '\0';
    g->start_time = h->started;
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
answer_metrics(struct mclient *cl, const json_t *counts)
{
    struct metrics_gauges g;
    gauges_of(cl->h, counts, &g);
    char *text = metrics_render(cl->h->d->metrics, &g);
    reply(cl, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
    free(text);
}

static void
on_counts(void *arg, json_t *counts, const char *err)
{
    struct mclient *cl = arg;
    cl->waiting = false;
    if (cl->h == NULL) {        /* stopping: metrics_http_free left it to us */
        free(cl);
        return;
    }
    if (cl->wait_ev)
        event_del(cl->wait_ev);
    if (err)
        log_debug("metrics: outbox and project counts unavailable", "error=%s", log_q(err));
    if (!cl->answered)
        answer_metrics(cl, err ? NULL : counts);
    if (cl->bev == NULL)
        client_close(cl);       /* the peer left meanwhile */
}

static void
on_wait_over(evutil_socket_t fd, short what, void *arg)
{
    struct mclient *cl = arg;
    log_warn("metrics: the counts took too long: answered without them", "seconds=%d",
             METRICS_HTTP_COUNTS_WAIT_SECONDS);
    answer_metrics(cl, NULL);   /* on_counts still comes, and frees */
}

static void
serve_metrics(struct mclient *cl)
{
    struct daemon *d = cl->h->d;
    if (!d->db_ready) {
        answer_metrics(cl, NULL);
        return;
    }
    char today[11];
    struct ymd t;
    clock_date_of(clock_now(&d->clock), &t);
    format_date(&t, today);
    cl->waiting = true;
    cl->wait_ev = evtimer_new(d->base, on_wait_over, cl);
    struct timeval tv = { METRICS_HTTP_COUNTS_WAIT_SECONDS, 0 };
    evtimer_add(cl->wait_ev, &tv);
    status_cache_get(d, today, on_counts, cl);  /* may call back at once */
}

/* ---- requests ------------------------------------------------------------- */

/* "GET /metrics?x HTTP/1.1" → method and path (query dropped). */
static bool
parse_request_line(char *line, char **method, char **path)
{
    char *sp1 = strchr(line, ' ');
    if (sp1 == NULL)
        return false;
    *sp1 = '\0';
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || target[0] != '/')
        return false;
    *sp2 = '\0';
    target[strcspn(target, "?#")] = '\0';
    *method = line;
    *path = target;
    return true;
}

static void
serve(struct mclient *cl, char *line)
{
    char *method, *path;
    if (!parse_request_line(line, &method, &path)) {
        reply_text(cl, 400, "Bad Request", NULL, "bad request line\n");
        return;
    }
    cl->head = strcmp(method, "HEAD") == 0;
    bool is_metrics = strcmp(path, "/metrics") == 0, is_health = strcmp(path, "/healthz") == 0;
    log_debug("metrics request", "method=%s path=%s", log_q(method), log_q(path));
    if (!is_metrics && !is_health) {
        reply_text(cl, 404, "Not Found", NULL, "not found: try /metrics or /healthz\n");
        return;
    }
    if (!cl->head && strcmp(method, "GET") != 0) {
        reply_text(cl, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "method not allowed: use GET or HEAD\n");
        return;
    }
    if (is_health)
        serve_health(cl);
    else
        serve_metrics(cl);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    struct mclient *cl = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    /* The request is answered once its head is complete; headers are
     * not needed, and GET and HEAD have no body to read. */
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0)
        end = evbuffer_search(in, "\n\n", 2, NULL);
    if (end.pos < 0) {
        if (evbuffer_get_length(in) > METRICS_HTTP_MAX_HEAD)
            reply_text(cl, 431, "Request Header Fields Too Large", NULL, "request head too large\n");
        return;
    }
    if ((size_t)end.pos > METRICS_HTTP_MAX_HEAD) {
        reply_text(cl, 431, "Request Header Fields Too Large", NULL, "request head too large\n");
        return;
    }
    bufferevent_disable(bev, EV_READ);
    size_t n;
    char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
    if (line == NULL) {
        reply_text(cl, 400, "Bad Request", NULL, "bad request line\n");
        return;
    }
    serve(cl, line);
    free(line);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct mclient *cl = arg;
    if (cl->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        client_close(cl);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    struct mclient *cl = arg;
    if ((what & BEV_EVENT_TIMEOUT) && !cl->answered && (what & BEV_EVENT_READING)) {
        bufferevent_set_timeouts(bev, NULL, NULL);
        struct timeval tv = { METRICS_HTTP_TIMEOUT_SECONDS, 0 };
        bufferevent_set_timeouts(bev, NULL, &tv);
        reply_text(cl, 408, "Request Timeout", NULL, "request not received in time\n");
        return;
    }
    client_close(cl);
}

static void
on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct metrics_http *h = arg;
    struct mclient *cl = xcalloc(1, sizeof *cl);
    cl->h = h;
    cl->bev = bufferevent_socket_new(h->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
    cl->next = h->clients;
    if (h->clients)
        h->clients->prev = cl;
    h->clients = cl;
    h->nclients++;
    bufferevent_setcb(cl->bev, on_read, on_write, on_event, cl);
    struct timeval tv = { METRICS_HTTP_TIMEOUT_SECONDS, 0 };
    bufferevent_set_timeouts(cl->bev, &tv, &tv);
    /* Room past the bound, so that a head just over it is read whole and
     * the 431 is not lost to a reset for unread bytes. */
    bufferevent_setwatermark(cl->bev, EV_READ, 0, 2 * METRICS_HTTP_MAX_HEAD);
    if (h->nclients > METRICS_HTTP_MAX_CLIENTS) {
        log_warn("metrics: too many connections: refused one", "max=%d", METRICS_HTTP_MAX_CLIENTS);
        reply_text(cl, 503, "Service Unavailable", NULL, "too many connections\n");
        return;
    }
    bufferevent_enable(cl->bev, EV_READ);
}

static void
on_accept_error(struct evconnlistener *lst, void *arg)
{
    /* EMFILE and the like: say so; the listener keeps going. */
    log_warn("metrics: accept failed", "error=%s", log_q(strerror(errno)));
}

struct metrics_http *
metrics_http_new(struct daemon *d, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (strchr(cfg->metrics_host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->metrics_port);
        inet_pton(AF_INET6, cfg->metrics_host, &s6->sin6_addr);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->metrics_port);
        inet_pton(AF_INET, cfg->metrics_host, &s4->sin_addr);
        len = sizeof *s4;
    }
    struct metrics_http *h = xcalloc(1, sizeof *h);
    h->d = d;
    h->started = clock_now(NULL);
    h->lst = evconnlistener_new_bind(d->base, on_accept, h,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 16,
                                     (struct sockaddr *)&ss, (int)len);
    if (h->lst == NULL) {
        snprintf(err, errlen, "metrics.listen: cannot listen on %s: %s", cfg->metrics_listen, strerror(errno));
        free(h);
        return NULL;
    }
    evconnlistener_set_error_cb(h->lst, on_accept_error);
    log_info("metrics listening", "address=%s", log_q(cfg->metrics_listen));
    return h;
}

void
metrics_http_free(struct metrics_http *h)
{
    if (h == NULL)
        return;
    struct mclient *next;
    for (struct mclient *cl = h->clients; cl; cl = next) {
        next = cl->next;
        if (cl->bev)
            bufferevent_free(cl->bev);
        if (cl->wait_ev)
            event_free(cl->wait_ev);
        if (cl->waiting) {
            cl->bev = NULL;
            cl->wait_ev = NULL;
            cl->h = NULL;       /* status_cache_free answers it, and on_counts frees it */
        } else {
            free(cl);
        }
    }
    evconnlistener_free(h->lst);
    free(h);
}
