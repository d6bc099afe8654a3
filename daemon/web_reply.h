/* web_reply: writing an HTTP answer with the headers every answer of
 * keyprojd's listeners carries (web_reply.c). */
#ifndef KEYPROJ_WEB_REPLY_H
#define KEYPROJ_WEB_REPLY_H

#include <stddef.h>

struct evhttp_request;

/* Answers req with body (len bytes; none for HEAD), Content-Length, and
 * the headers every answer carries: X-Content-Type-Options: nosniff,
 * Cache-Control: no-store, Referrer-Policy: no-referrer, Connection: close,
 * and a strict Content-Security-Policy for text/html. */
void web_reply(struct evhttp_request *req, int code, const char *reason, const char *ctype, const char *body,
               size_t len);
/* The same with a text/plain body. */
void web_reply_text(struct evhttp_request *req, int code, const char *reason, const char *text);

#endif
