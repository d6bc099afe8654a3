/* web: the HTTP listeners on evhttp — binding and rebinding, the bounds on
 * connections, and the routing of requests to their pages. It must never
 * write to the database, never answer anything but GET and HEAD, and
 * never let one peer hold the listener: evhttp 2.1 counts no connections
 * and resets its timeout with every byte, so both are done here. A peer on
 * the loopback is the local user holding its socket (peer_uid.c), not its
 * address, which that user may choose among all of 127.0.0.0/8. */
#include "ac_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "peer_uid.h"
#include "throttle.h"
#include "util.h"
#include "web.h"
#include "web_reply.h"
#include "web_html.h"
#include "web_metrics.h"
#include "web_pages.h"

/* Refusals (too many connections, too slow) are logged at most this often
 * per peer, with a count of those held back. */
#define REFUSAL_LOG_SECONDS 10
/* A local peer whose user cannot be found is logged at most this often. */
#define LOOKUP_LOG_SECONDS 600

/* Whom a connection counts against: a remote peer by its address, one on
 * the loopback by the uid holding its socket, and a loopback one whose
 * uid cannot be found with all the others of its kind (one local user
 * could otherwise take 16 connections from each of 127.0.0.1, .2, …). */
enum peer_by { PEER_ADDRESS, PEER_UID, PEER_LOCAL };

/* One bound address: metrics.listen's, or web.listen's own. */
struct web_site {
    struct web *w;
    struct evhttp *http;
    char *listen;               /* as written, for messages */
    char *host;
    int port;
    bool pages;                 /* the dashboard's pages too, not only /metrics and /healthz */
};

/* One accepted connection, from evhttp's bufferevent callback to its close
 * callback. evhttp 2.1 has no hook at accept time that names the
 * connection, so the bufferevent made here is followed: a reference on it
 * keeps it valid until the connection is known (on_check), and the close
 * callback ends the record. */
struct web_conn {
    struct web *w;
    struct web_site *site;
    struct web_conn *next, *prev;
    struct bufferevent *bev;    /* one reference of ours */
    struct evhttp_connection *evcon;    /* NULL until on_check */
    struct event *check_ev;     /* on_check, once evhttp has set the connection up */
    struct event *deadline_ev;  /* the whole request's deadline */
    bool dispatched;            /* its request reached on_request */
    char addr[INET6_ADDRSTRLEN];    /* the peer's, for messages */
    enum peer_by by;
    uid_t uid;                  /* by PEER_UID */
};

struct web {
    struct daemon *d;
    struct web_site *metrics_site;  /* metrics.listen, or NULL */
    struct web_site *web_site;      /* web.listen when it is not metrics.listen, or NULL */
    struct web_conn *conns;
    int nconns;                     /* the ones checked (evcon known) */
    struct web_metrics *metrics;
    struct web_pages *pages;
    struct throttle refusals;       /* log lines, per peer */
    struct throttle lookups;        /* log lines of local peers whose uid is unknown */
};

/* libevent's constructors fail only without memory: like xmalloc, abort. */
static void
no_memory(const char *what)
{
    log_error("web: out of memory", "making=%s", log_q(what));
    abort();
}

/* ---- pages ----------------------------------------------------------------- */

static void
serve_metrics(struct web *w, struct web_site *site, struct evhttp_request *req)
{
    web_metrics_serve(w->metrics, site, req);
}

static void
serve_health(struct web *w, struct web_site *site, struct evhttp_request *req)
{
    web_health_serve(w->metrics, req);
}

/* What each path serves; every other path is the dashboard's
 * (web_pages.c), served only on the dashboard's listener (web.listen),
 * never on a metrics.listen of its own, which may be open to a monitoring
 * network. */
static const struct web_route {
    const char *path;
    void (*serve)(struct web *w, struct web_site *site, struct evhttp_request *req);
} routes[] = {
    { "/metrics", serve_metrics },
    { "/healthz", serve_health },
};

static const struct web_route *
route_of(const char *path)
{
    for (size_t i = 0; i < ARRAY_LEN(routes); i++)
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    return NULL;
}

/* ---- requests -------------------------------------------------------------- */

/* The bytes of the request head as evhttp counts them: the request line
 * and each header line. */
static size_t
head_size(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    size_t n = (uri ? strlen(uri) : 0) + 16;
    for (const struct evkeyval *kv = evhttp_request_get_input_headers(req)->tqh_first; kv; kv = kv->next.tqe_next)
        n += strlen(kv->key) + strlen(kv->value) + 4;
    return n;
}

static struct web_conn *
conn_of(struct web *w, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    for (struct web_conn *c = w->conns; c; c = c->next)
        if (c->evcon != NULL && c->evcon == evcon)
            return c;
    return NULL;
}

/* Who asked for a page, as the proxy in front says (web.user_header):
 * one info line a page, so that the log says who looked at what. */
static void
log_viewer(const struct config *cfg, struct evhttp_request *req, const char *path)
{
    if (cfg->web_user_header == NULL || strcmp(path, "/static/app.css") == 0)
        return;
    const char *user = evhttp_find_header(evhttp_request_get_input_headers(req), cfg->web_user_header);
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    log_info("web page requested", "path=%s query=%s user=%s", log_q(path), log_q(query ? query : ""),
             log_q(user ? user : ""));
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    struct web_site *site = arg;
    struct web *w = site->w;
    struct web_conn *c = conn_of(w, req);
    if (c != NULL) {
        c->dispatched = true;
        event_del(c->deadline_ev);
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    log_debug("web request", "listen=%s method=%d path=%s", log_q(site->listen), (int)cmd,
              log_q(path ? path : ""));
    if (head_size(req) > WEB_MAX_HEAD) {
        web_reply_text(req, 431, "Request Header Fields Too Large", "request head too large\n");
        return;
    }
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        web_reply_text(req, 405, "Method Not Allowed", "method not allowed: use GET or HEAD\n");
        return;
    }
    if (path == NULL || path[0] != '/') {
        web_reply_text(req, 400, "Bad Request", "bad request line\n");
        return;
    }
    const struct web_route *r = route_of(path);
    if (r != NULL) {
        r->serve(w, site, req);
    } else if (site->pages) {
        log_viewer(w->d->cfg, req, path);
        web_pages_serve(w->pages, site, req, path);
    }
    else
        web_reply_text(req, 404, "Not Found", "not found: try /metrics or /healthz\n");
}

/* ---- connections ----------------------------------------------------------- */

/* Writes a whole answer straight to a connection evhttp has not answered
 * yet, then closes it. The answer is small and the socket's send buffer
 * empty, so one send takes it. */
static void
conn_refuse(struct web_conn *c, int code, const char *reason, const char *text)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s",
                     code, reason, strlen(text), text);
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0 && n > 0 && (size_t)n < sizeof msg && send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        log_debug("web: could not send the refusal", "error=%s", log_q(strerror(errno)));
    evhttp_connection_free(c->evcon);     /* on_close ends c */
}

/* Whom c counts against, for the log: "address", "uid:N" or "local". */
static void
peer_key(const struct web_conn *c, char *buf, size_t len)
{
    if (c->by == PEER_UID)
        snprintf(buf, len, "uid:%u", (unsigned)c->uid);
    else
        snprintf(buf, len, "%s", c->by == PEER_LOCAL ? "local" : "address");
}

static void
log_refusal(struct web *w, const struct web_conn *c, const char *what)
{
    char as[32];
    peer_key(c, as, sizeof as);
    /* FNV-1a of what the peer is counted as: its address, or its uid */
    const char *name = c->by == PEER_ADDRESS ? c->addr : as;
    unsigned key = 2166136261u;
    for (const char *p = name; *p; p++)
        key = (key ^ (unsigned char)*p) * 16777619u;
    unsigned held;
    if (throttle_allow(&w->refusals, key, clock_now(NULL), &held))
        log_warn("web: connection refused",
                 "listen=%s peer=%s counted_as=%s reason=%s connections=%d suppressed=%u",
                 log_q(c->site->listen), log_q(c->addr), as, what, w->nconns, held);
}

static void
conn_free(struct web_conn *c)
{
    struct web *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->evcon)
        w->nconns--;
    event_free(c->check_ev);
    event_free(c->deadline_ev);
    bufferevent_decref(c->bev);
    free(c);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
    conn_free(arg);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct web_conn *c = arg;
    if (c->dispatched)
        return;
    log_refusal(c->w, c, "request not received in time");
    conn_refuse(c, 408, "Request Timeout", "request not received in time\n");
}

static bool
same_peer(const struct web_conn *a, const struct web_conn *b)
{
    if (a->by != b->by)
        return false;
    if (a->by == PEER_UID)
        return a->uid == b->uid;
    return a->by == PEER_LOCAL || strcmp(a->addr, b->addr) == 0;
}

/* The connections counted against c's peer, c among them. */
static int
count_like(const struct web *w, const struct web_conn *c)
{
    int n = 0;
    for (const struct web_conn *o = w->conns; o; o = o->next)
        if (o->evcon != NULL && same_peer(o, c))
            n++;
    return n;
}

/* Sets whom c counts against: on the loopback, the uid of the socket at
 * its other end; PEER_LOCAL, logged now and then, when that is unknown. */
static void
conn_identify(struct web *w, struct web_conn *c)
{
    const struct sockaddr *remote = evhttp_connection_get_addr(c->evcon);
    c->by = PEER_ADDRESS;
    if (remote == NULL || !peer_on_loopback(remote))
        return;
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    int err = getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&local, &len) == 0
                  ? peer_uid((struct sockaddr *)&local, remote, &c->uid)
                  : errno;
    if (err == 0) {
        c->by = PEER_UID;
        return;
    }
    c->by = PEER_LOCAL;
    unsigned held;
    if (throttle_allow(&w->lookups, 0, clock_now(NULL), &held))
        log_warn("web: cannot tell which local user holds a connection: counting it with every such one",
                 "listen=%s peer=%s error=%s suppressed=%u", log_q(c->site->listen), log_q(c->addr),
                 log_q(strerror(err)), held);
}

/* Runs once evhttp has made the connection from the accepted socket: the
 * connection is now known, and is counted, refused, or given its deadline. */
static void
on_check(evutil_socket_t fd, short what, void *arg)
{
    struct web_conn *c = arg;
    struct web *w = c->w;
    bufferevent_data_cb readcb;
    void *cbarg;
    bufferevent_getcb(c->bev, &readcb, NULL, NULL, &cbarg);
    if (readcb == NULL) {       /* evhttp gave the connection up already */
        conn_free(c);
        return;
    }
    /* evhttp's own callbacks on the bufferevent carry the connection. */
    c->evcon = cbarg;
    w->nconns++;
    evhttp_connection_set_closecb(c->evcon, on_close, c);
    char *peer = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(c->evcon, &peer, &port);
    snprintf(c->addr, sizeof c->addr, "%s", peer ? peer : "?");
    conn_identify(w, c);
    if (count_like(w, c) > WEB_MAX_PER_PEER || w->nconns > WEB_MAX_CONNECTIONS) {
        log_refusal(w, c, "too many connections");
        conn_refuse(c, 503, "Service Unavailable", "too many connections\n");
        return;
    }
    struct timeval tv = { WEB_REQUEST_SECONDS, 0 };
    evtimer_add(c->deadline_ev, &tv);
}

/* evhttp's hook for a new connection's bufferevent, before the socket is
 * set on it: the record starts here, and is checked once evhttp is done. */
static struct bufferevent *
on_new_bev(struct event_base *base, void *arg)
{
    struct web_site *site = arg;
    struct web *w = site->w;
    struct web_conn *c = xcalloc(1, sizeof *c);
    c->w = w;
    c->site = site;
    c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL)
        no_memory("a bufferevent");
    bufferevent_incref(c->bev);
    c->check_ev = event_new(base, -1, 0, on_check, c);
    c->deadline_ev = evtimer_new(base, on_deadline, c);
    event_active(c->check_ev, EV_TIMEOUT, 1);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    return c->bev;
}

/* ---- listeners ------------------------------------------------------------- */

/* A listening socket on a numeric address (config.c checked it). NULL
 * with errno when it cannot be bound. */
static struct evconnlistener *
listen_on(struct event_base *base, const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (strchr(host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &s6->sin6_addr);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &s4->sin_addr);
        len = sizeof *s4;
    }
    return evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
                                   128, (struct sockaddr *)&ss, (int)len);
}

static struct web_site *
site_new(struct web *w, const char *key, const char *listen, const char *host, int port, bool pages, char *err,
         size_t errlen)
{
    struct evconnlistener *lst = listen_on(w->d->base, host, port);
    if (lst == NULL) {
        snprintf(err, errlen, "%s: cannot listen on %s: %s", key, listen, strerror(errno));
        return NULL;
    }
    struct evhttp *http = evhttp_new(w->d->base);
    if (http == NULL || evhttp_bind_listener(http, lst) == NULL)
        no_memory("an evhttp server");
    struct web_site *s = xcalloc(1, sizeof *s);
    s->w = w;
    s->http = http;
    s->listen = xstrdup(listen);
    s->host = xstrdup(host);
    s->port = port;
    s->pages = pages;
    /* Every method evhttp knows reaches on_request, to be told 405 there. */
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                         EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                         EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(http, WEB_MAX_HEAD_HARD);
    evhttp_set_max_body_size(http, WEB_MAX_BODY);
    evhttp_set_timeout(http, WEB_REQUEST_SECONDS);
    evhttp_set_bevcb(http, on_new_bev, s);
    evhttp_set_gencb(http, on_request, s);
    log_info("web listening", "address=%s serves=%s", log_q(listen), pages ? "pages,metrics" : "metrics");
    return s;
}

static void
site_free(struct web_site *s)
{
    if (s == NULL)
        return;
    struct web *w = s->w;
    web_metrics_forget(w->metrics, s);
    web_pages_forget(w->pages, s);
    evhttp_free(s->http);       /* closes its connections: on_close ends their records */
    struct web_conn *next;
    for (struct web_conn *c = w->conns; c; c = next) {
        next = c->next;
        if (c->site == s)       /* not checked yet (the others ended in on_close) */
            conn_free(c);
    }
    free(s->listen);
    free(s->host);
    free(s);
}

/* Whether two numeric addresses and ports are the same socket address. */
static bool
same_address(const char *h1, int p1, const char *h2, int p2)
{
    unsigned char a[16], b[16];
    if (p1 != p2)
        return false;
    int fam = strchr(h1, ':') ? AF_INET6 : AF_INET;
    if (fam != (strchr(h2, ':') ? AF_INET6 : AF_INET))
        return false;
    return inet_pton(fam, h1, a) == 1 && inet_pton(fam, h2, b) == 1 &&
           memcmp(a, b, fam == AF_INET6 ? 16 : 4) == 0;
}

static bool
shares_metrics(const struct web *w, const char *host, int port)
{
    return w->metrics_site != NULL && same_address(w->metrics_site->host, w->metrics_site->port, host, port);
}

bool
web_start(struct daemon *d, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    struct web *w = xcalloc(1, sizeof *w);
    w->d = d;
    w->metrics = web_metrics_new(d);
    w->pages = web_pages_new(d);
    w->refusals.window = REFUSAL_LOG_SECONDS;
    w->refusals.per_window = 1;
    w->lookups.window = LOOKUP_LOG_SECONDS;
    w->lookups.per_window = 1;
    d->web = w;
    if (cfg->metrics_listen) {
        bool pages = cfg->web_listen && same_address(cfg->metrics_host, cfg->metrics_port, cfg->web_host,
                                                     cfg->web_port);
        w->metrics_site = site_new(w, "metrics.listen", cfg->metrics_listen, cfg->metrics_host, cfg->metrics_port,
                                   pages, err, errlen);
        if (w->metrics_site == NULL)
            return false;
    }
    if (cfg->web_listen && !shares_metrics(w, cfg->web_host, cfg->web_port)) {
        w->web_site = site_new(w, "web.listen", cfg->web_listen, cfg->web_host, cfg->web_port, true, err, errlen);
        if (w->web_site == NULL)
            return false;
    }
    return true;
}

/* cfg's web.listen set back to what is bound. */
static void
keep_web_listen(const struct web *w, struct config *cfg)
{
    free(cfg->web_listen);
    free(cfg->web_host);
    cfg->web_listen = cfg->web_host = NULL;
    cfg->web_port = 0;
    const struct web_site *s = w->web_site;
    if (s == NULL && w->metrics_site && w->metrics_site->pages)
        s = w->metrics_site;
    if (s == NULL)
        return;
    cfg->web_listen = xstrdup(s->listen);
    cfg->web_host = xstrdup(s->host);
    cfg->web_port = s->port;
}

void
web_reload(struct daemon *d, struct config *cfg)
{
    struct web *w = d->web;
    if (w == NULL)
        return;
    web_pages_reconfigure(w->pages, cfg);
    const struct config *old = d->cfg;
    bool was = old->web_listen != NULL, is = cfg->web_listen != NULL;
    if (was == is && (!is || same_address(old->web_host, old->web_port, cfg->web_host, cfg->web_port)))
        return;
    if (is && shares_metrics(w, cfg->web_host, cfg->web_port)) {
        site_free(w->web_site);
        w->web_site = NULL;
        w->metrics_site->pages = true;
        log_info("web listening", "address=%s serves=%s", log_q(w->metrics_site->listen), "pages,metrics");
        return;
    }
    struct web_site *fresh = NULL;
    if (is) {
        char err[512];
        fresh = site_new(w, "web.listen", cfg->web_listen, cfg->web_host, cfg->web_port, true, err, sizeof err);
        if (fresh == NULL) {
            log_error("web.listen: keeping the old address", "error=%s", log_q(err));
            keep_web_listen(w, cfg);
            return;
        }
    }
    if (w->web_site)
        log_info("web stopped listening", "address=%s", log_q(w->web_site->listen));
    site_free(w->web_site);
    w->web_site = fresh;
    if (w->metrics_site)
        w->metrics_site->pages = false;
}

void
web_cache_drop(struct daemon *d)
{
    if (d->web)
        web_pages_drop_cache(d->web->pages);
}

void
web_free(struct web *w)
{
    if (w == NULL)
        return;
    site_free(w->web_site);
    site_free(w->metrics_site);
    web_metrics_free(w->metrics);
    web_pages_free(w->pages);
    free(w);
}
