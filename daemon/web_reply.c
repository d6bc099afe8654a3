/* web_reply: how every HTTP answer keyprojd gives is written — the
 * length, no caching, no sniffing, no referrer, one request per
 * connection, and for HTML a Content-Security-Policy that lets nothing
 * but our own stylesheet and the page's inline SVG load. */
#include "ac_config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "util.h"
#include "web_reply.h"

/* Nothing may be loaded from anywhere but the stylesheet (/static/app.css)
 * and images in the page itself (the charts are inline SVG); no script at
 * all, no inline style, nor the page framed or posted. */
#define HTML_CSP "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; " \
    "form-action 'none'; frame-ancestors 'none'"

void
web_reply(struct evhttp_request *req, int code, const char *reason, const char *ctype, const char *body,
          size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char clen[32];
    snprintf(clen, sizeof clen, "%zu", len);
    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Content-Length", clen);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    if (str_startswith(ctype, "text/html"))
        evhttp_add_header(h, "Content-Security-Policy", HTML_CSP);
    evhttp_add_header(h, "Connection", "close");
    struct evbuffer *out = evbuffer_new();
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

void
web_reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    web_reply(req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}
