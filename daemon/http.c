/* http: libcurl's multi interface driven by libevent, the shape of curl's
 * multi-event.c: curl says which sockets to watch and when to wake it, the
 * loop tells curl what happened. It must never block the loop, never call
 * curl from inside curl's own callbacks, and never log a URL or a header. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "util.h"

/* Idle connections kept for reuse, over all receivers. */
#define HTTP_MAX_CACHED_CONNECTIONS 64
/* Easy handles kept for reuse (curl_easy_reset): setting one up costs more
 * than a request to a local receiver. */
#define HTTP_SPARE_HANDLES 64

/* A socket curl asked us to watch. */
struct sock {
    struct http *h;
    curl_socket_t fd;
    struct event *ev;
    struct sock *prev, *next;
};

/* One POST in flight. */
struct xfer {
    struct http *h;
    CURL *easy;
    struct curl_slist *headers;
    http_done_fn done;
    void *arg;
    struct buf body;
    bool truncated;
    long retry_after;
    int64_t started_ms;
    char *url;                      /* only to scrub it out of curl's messages */
    char errbuf[CURL_ERROR_SIZE];
    struct xfer *prev, *next;
};

struct http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct xfer *xfers;
    struct sock *socks;
    size_t n_xfers;
    CURL *spare[HTTP_SPARE_HANDLES];
    size_t n_spare;
    bool closing;
};

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sockets and the timer -------------------------------------------- */

static void on_event(evutil_socket_t fd, short events, void *arg);

static void
sock_free(struct sock *s)
{
    struct http *h = s->h;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        h->socks = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    if (s->ev != NULL)
        event_free(s->ev);
    free(s);
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http *h = userp;
    struct sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL)
            sock_free(s);
        return 0;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof *s);
        s->h = h;
        s->fd = fd;
        s->next = h->socks;
        if (h->socks != NULL)
            h->socks->prev = s;
        h->socks = s;
        curl_multi_assign(h->multi, fd, s);
    }
    short flags = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                  ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (s->ev == NULL) {
        s->ev = event_new(h->base, fd, flags, on_event, s);
    } else {
        /* the same socket, other interests: reuse the event */
        event_del(s->ev);
        event_assign(s->ev, h->base, fd, flags, on_event, s);
    }
    if (s->ev == NULL || event_add(s->ev, NULL) != 0)
        return -1;
    return 0;
}

/* curl asks for one timer; acting on it happens in on_timer, later. */
static int
on_timer_request(CURLM *multi, long timeout_ms, void *userp)
{
    struct http *h = userp;
    if (timeout_ms < 0)
        return evtimer_del(h->timer) == 0 ? 0 : -1;
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

/* ---- completion ------------------------------------------------------- */

static void
unlink_xfer(struct xfer *x)
{
    struct http *h = x->h;
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        h->xfers = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    h->n_xfers--;
    curl_multi_remove_handle(h->multi, x->easy);
}

static void
xfer_free(struct xfer *x)
{
    struct http *h = x->h;
    if (!h->closing && h->n_spare < HTTP_SPARE_HANDLES) {
        curl_easy_reset(x->easy);
        h->spare[h->n_spare++] = x->easy;
    } else {
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    buf_free(&x->body);
    free(x->url);
    free(x);
}

/* curl's messages name hosts, not paths; still, a message that quotes the
 * URL would carry a key or a signature into last_error: cut it there. */
static void
scrub_url(char *msg, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *path = scheme != NULL ? strchr(scheme + 3, '/') : NULL;
    const char *query = strchr(url, '?');
    const char *secret_part = path != NULL ? path : query;
    if (secret_part == NULL || strlen(secret_part) < 2)
        return;
    char *hit = strstr(msg, secret_part);
    if (hit != NULL)
        snprintf(hit, (size_t)(CURL_ERROR_SIZE - (hit - msg)), "[url redacted]");
}

static void
finish(struct xfer *x, CURLcode rc, bool cancelled)
{
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK && x->errbuf[0] == '\0')
        strlcpy_k(x->errbuf, curl_easy_strerror(rc), sizeof x->errbuf);
    if (cancelled)
        strlcpy_k(x->errbuf, "cancelled: shutting down", sizeof x->errbuf);
    scrub_url(x->errbuf, x->url);
    unlink_xfer(x);

    struct http_result r = {
        .status = status,
        .body = x->body.data != NULL ? x->body.data : "",
        .body_len = x->body.len,
        .body_truncated = x->truncated,
        .retry_after = status != 0 ? x->retry_after : -1,
        .error = status != 0 ? "" : x->errbuf,
        .cancelled = cancelled,
        .elapsed_ms = (long)(mono_ms() - x->started_ms),
    };
    /* An answer cut off by a transport error is no answer: status 0. */
    if (status == 0) {
        r.body = "";
        r.body_len = 0;
    }
    x->done(x->arg, &r);
    xfer_free(x);
}

static void
check_done(struct http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg dies with remove_handle: take what we need first. */
        CURLcode rc = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        finish((struct xfer *)(void *)priv, rc, false);
    }
}

static void
act(struct http *h, curl_socket_t fd, int flags)
{
    int running;
    CURLMcode mc = curl_multi_socket_action(h->multi, fd, flags, &running);
    if (mc != CURLM_OK)
        log_error("curl multi failed", "error=%s", log_q(curl_multi_strerror(mc)));
    check_done(h);
}

static void
on_event(evutil_socket_t fd, short events, void *arg)
{
    struct sock *s = arg;
    int flags = ((events & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((events & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    /* s may be freed inside curl (CURL_POLL_REMOVE): only h from here on. */
    act(s->h, fd, flags);
}

static void
on_timer(evutil_socket_t fd, short events, void *arg)
{
    act(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* ---- transfer callbacks ------------------------------------------------ */

static size_t
on_body(char *data, size_t size, size_t n, void *userp)
{
    struct xfer *x = userp;
    size_t len = size * n, room = HTTP_BODY_MAX - x->body.len;
    /* Keep reading past the cap (the connection stays reusable); keep
     * nothing more. The attempt's timeout bounds an endless answer. */
    if (len > room)
        x->truncated = true;
    buf_append(&x->body, data, len < room ? len : room);
    return len;
}

/* Retry-After: delay-seconds or an HTTP-date. */
static long
parse_retry_after(const char *v)
{
    if (v[0] >= '0' && v[0] <= '9') {
        char *end;
        long s = strtol(v, &end, 10);
        return *end == '\0' && s >= 0 ? s : -1;
    }
    time_t t = curl_getdate(v, NULL);
    if (t == -1)
        return -1;
    time_t now = time(NULL);
    return t > now ? (long)(t - now) : 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *userp)
{
    struct xfer *x = userp;
    size_t len = size * n;
    static const char name[] = "Retry-After:";
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        x->retry_after = -1;            /* a new response (after a 1xx) */
    } else if (len > sizeof name - 1 && len < 128 &&
               strncasecmp(data, name, sizeof name - 1) == 0) {
        char v[128];
        size_t i = sizeof name - 1, o = 0;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
            i++;
        while (i < len && data[i] != '\r' && data[i] != '\n')
            v[o++] = data[i++];
        while (o > 0 && (v[o - 1] == ' ' || v[o - 1] == '\t'))
            o--;
        v[o] = '\0';
        x->retry_after = parse_retry_after(v);
    }
    return len;
}

/* ---- the API ----------------------------------------------------------- */

struct http *
http_new(struct event_base *base)
{
    /* Reference-counted by libcurl; the daemon is single-threaded. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    struct http *h = xcalloc(1, sizeof *h);
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    if (h->multi == NULL || h->timer == NULL) {
        if (h->multi != NULL)
            curl_multi_cleanup(h->multi);
        if (h->timer != NULL)
            event_free(h->timer);
        free(h);
        curl_global_cleanup();
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MAX_CACHED_CONNECTIONS);
    return h;
}

void
http_free(struct http *h)
{
    if (h == NULL)
        return;
    h->closing = true;
    http_cancel_all(h);
    /* Closing cached connections may still call on_socket (REMOVE) and
     * on_timer_request: everything they touch is alive until after this. */
    curl_multi_cleanup(h->multi);
    while (h->n_spare > 0)
        curl_easy_cleanup(h->spare[--h->n_spare]);
    while (h->socks != NULL)
        sock_free(h->socks);
    event_free(h->timer);
    free(h);
    curl_global_cleanup();
}

void
http_cancel_all(struct http *h)
{
    if (h == NULL)
        return;
    while (h->xfers != NULL)
        finish(h->xfers, CURLE_ABORTED_BY_CALLBACK, true);
}

size_t
http_in_flight(const struct http *h)
{
    return h->n_xfers;
}

static bool
request_ok(const struct http_request *rq)
{
    if (rq->url == NULL || (strncasecmp(rq->url, "http://", 7) != 0 &&
                            strncasecmp(rq->url, "https://", 8) != 0))
        return false;
    if (rq->body_len > (rq->upload ? HTTP_UPLOAD_MAX : HTTP_REQUEST_MAX) ||
        (rq->body == NULL && rq->body_len > 0))
        return false;
    /* A header with a line break would smuggle another header in. */
    for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
        if (strpbrk(rq->headers[i], "\r\n") != NULL)
            return false;
    return true;
}

static void
set_options(struct xfer *x, const struct http_request *rq)
{
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, rq->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, rq->body != NULL ? rq->body : "");
    for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
        x->headers = curl_slist_append(x->headers, rq->headers[i]);
    /* No "Expect: 100-continue": it costs a round trip, or a second with
     * receivers that ignore it. */
    x->headers = curl_slist_append(x->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "d/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : (long)HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : (long)HTTP_TIMEOUT_MS);
    if (rq->proxy != NULL)
        curl_easy_setopt(e, CURLOPT_PROXY, rq->proxy);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, rq->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, rq->insecure ? 0L : 2L);
}

int
http_post(struct http *h, const struct http_request *rq, http_done_fn done, void *arg)
{
    if (h->closing || done == NULL || !request_ok(rq))
        return -1;
    struct xfer *x = xcalloc(1, sizeof *x);
    x->h = h;
    x->done = done;
    x->arg = arg;
    x->retry_after = -1;
    x->started_ms = mono_ms();
    x->url = xstrdup(rq->url);
    buf_init(&x->body);
    x->easy = h->n_spare > 0 ? h->spare[--h->n_spare] : curl_easy_init();
    if (x->easy == NULL) {
        free(x->url);
        free(x);
        return -1;
    }
    set_options(x, rq);
    if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return -1;
    }
    x->next = h->xfers;
    if (h->xfers != NULL)
        h->xfers->prev = x;
    h->xfers = x;
    h->n_xfers++;
    return 0;
}
