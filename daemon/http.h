/* http: HTTP(S) POSTs on the daemon's libevent loop through one libcurl
 * multi handle (connection reuse, TLS verification, proxies, timeouts).
 * It never logs a URL or a header: callers log the receiver's name. */
#ifndef KEYPROJ_HTTP_H
#define KEYPROJ_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct http;

/* Response bodies beyond this many bytes are read and dropped. */
#define HTTP_BODY_MAX (64 * 1024)
/* Request bodies above this are refused by http_post; a file upload may
 * carry up to HTTP_UPLOAD_MAX (a WeCom robot's upload_media takes files of
 * at most 20 MB). */
#define HTTP_REQUEST_MAX (1024 * 1024)
#define HTTP_UPLOAD_MAX (20 * 1024 * 1024)

#define HTTP_CONNECT_TIMEOUT_MS 10000   /* when connect_timeout_ms is 0 */
#define HTTP_TIMEOUT_MS 30000           /* when timeout_ms is 0 */

struct http_request {
    const char *url;                    /* http:// or https:// only */
    const char *const *headers;         /* "Name: value", NULL-terminated; may be NULL */
    const char *body;                   /* copied: may be freed once http_post returns */
    size_t body_len;
    const char *proxy;                  /* NULL: from the environment; "": none */
    long connect_timeout_ms;            /* 0: HTTP_CONNECT_TIMEOUT_MS */
    long timeout_ms;                    /* whole attempt; 0: HTTP_TIMEOUT_MS */
    bool upload;                        /* a file: body up to HTTP_UPLOAD_MAX */
    bool insecure;                      /* tests only: skip TLS peer and host checks */
};

struct http_result {
    long status;                        /* HTTP status; 0 when there was no response */
    const char *body;                   /* NUL-terminated, at most HTTP_BODY_MAX bytes */
    size_t body_len;
    bool body_truncated;                /* the receiver sent more than HTTP_BODY_MAX */
    long retry_after;                   /* seconds from Retry-After (either form); -1 none */
    const char *error;                  /* "" on a response; curl's words otherwise */
    bool cancelled;                     /* http_free ended it before an answer */
    long elapsed_ms;
};

/* done is called exactly once for every request http_post accepted: when
 * it completes or fails, or from http_free (cancelled = true, status 0).
 * Never from inside http_post. The result and its strings live until done
 * returns. done may call http_post again; it must not call http_free. */
typedef void (*http_done_fn)(void *arg, const struct http_result *res);

/* One per daemon (it owns the connection cache). Returns NULL when libcurl
 * cannot be set up. */
struct http *http_new(struct event_base *base);

/* Ends every request still in flight (their done called with cancelled),
 * closes the connections and frees h. Must be called before the event base
 * is freed. NULL is ignored. */
void http_free(struct http *h);

/* Ends every request in flight now (done called with cancelled); h stays
 * usable. Not from inside a done callback. NULL is ignored. */
void http_cancel_all(struct http *h);

/* Starts a POST. Returns 0, or -1 when it cannot start (bad arguments, body
 * too large, shutting down); done is then not called. There is no queue
 * here: callers bound their own concurrency (per receiver). */
int http_post(struct http *h, const struct http_request *rq, http_done_fn done, void *arg);

/* Requests started and not yet done. */
size_t http_in_flight(const struct http *h);

#endif
