/* deliver_bulletin: make → upload_media → file message, for one attempt.
 * The robot's answer to the upload is the attempt's when it is not a
 * media_id (a wrong key, a file refused: render_classify judges it as a
 * message's answer); the file message's answer otherwise. Never logs a URL
 * (it carries the robot's key). */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <jansson.h>

#include "bulletin.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "deliver_bulletin.h"
#include "deliver_queue.h"
#include "util.h"

#define BOUNDARY "keyproj-bulletin-6c1f0b2e9a4d"

struct bsend {
    struct daemon *d;
    struct http *http;
    struct attempt *at;
    http_done_fn done;
    struct bulletin_week week;
    char *url, *upload_url, *proxy;
    long timeout_ms;
    double started;             /* real time */
};

bool
deliver_bulletin_render(const struct receiver *rv, const char *week, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    struct bulletin_week w;
    struct ymd any = { 2026, 1, 1 };
    if (strcmp(rv->type, "wecom") != 0) {
        snprintf(err, errlen, "the weekly bulletin goes to WeCom robots only, not to a %s receiver", rv->type);
        return false;
    }
    if (week == NULL || !bulletin_week_parse(week, &any, &w, err, errlen))
        return false;
    snprintf(out, outlen, "%s", w.name);
    return true;
}

char *
deliver_bulletin_upload_url_new(const char *url)
{
    const char *q = strchr(url, '?');
    size_t path_end = q ? (size_t)(q - url) : strlen(url);
    size_t slash = path_end;
    while (slash > 0 && url[slash - 1] != '/')
        slash--;
    return xasprintf("%.*supload_media%s%s", (int)slash, url, q ? q : "?", q ? "&type=file" : "type=file");
}

static void
bsend_free(struct bsend *bs)
{
    free(bs->url);
    free(bs->upload_url);
    free(bs->proxy);
    free(bs);
}

/* The attempt's verdict comes from res (or, res NULL, a failure saying why). */
static void
finish(struct bsend *bs, const struct http_result *res, const char *why)
{
    struct http_result failed = { .status = 0, .body = "", .retry_after = -1, .error = why };
    failed.elapsed_ms = (long)((clock_now(NULL) - bs->started) * 1000);
    bs->done(bs->at, res ? res : &failed);
    bsend_free(bs);
}

static long
time_left_ms(const struct bsend *bs)
{
    long left = bs->timeout_ms - (long)((clock_now(NULL) - bs->started) * 1000);
    return left < 1000 ? 1000 : left;
}

static void
on_filed(void *arg, const struct http_result *res)
{
    finish(arg, res, NULL);
}

static void
on_uploaded(void *arg, const struct http_result *res)
{
    struct bsend *bs = arg;
    json_t *answer = res->status == 200 && !res->cancelled ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    const char *media_id = json_string_value(json_object_get(answer, "media_id"));
    json_t *code = json_object_get(answer, "errcode");
    if (answer == NULL || (code && json_integer_value(code) != 0)) {
        finish(bs, res, NULL);      /* its error is the attempt's */
    } else if (media_id == NULL || media_id[0] == '\0') {
        /* errcode 0 without a media_id: not a message delivered */
        struct http_result r = *res;
        r.body = "{\"errcode\":-1,\"errmsg\":\"upload_media answered no media_id\"}";
        r.body_len = strlen(r.body);
        finish(bs, &r, NULL);
    } else {
        json_t *msg = json_pack("{s:s, s:{s:s}}", "msgtype", "file", "file", "media_id", media_id);
        char *text = json_dumps(msg, JSON_COMPACT);
        const char *headers[] = { "Content-Type: application/json", NULL };
        struct http_request hr = { .url = bs->url, .headers = headers, .body = text, .body_len = strlen(text),
                                   .proxy = bs->proxy, .timeout_ms = time_left_ms(bs) };
        if (http_post(bs->http, &hr, on_filed, bs) != 0)
            finish(bs, NULL, "the file message could not be started");
        free(text);
        json_decref(msg);
    }
    json_decref(answer);
}

/* multipart/form-data with the one part WeCom reads, "media". */
static void
multipart(struct buf *b, const char *file_name, const struct buf *xlsx)
{
    buf_printf(b, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"%s\"; "
               "filelength=%zu\r\nContent-Type: " BULLETIN_CONTENT_TYPE
               "\r\n\r\n", file_name, xlsx->len);
    buf_append(b, xlsx->data, xlsx->len);
    buf_puts(b, "\r\n--" BOUNDARY "--\r\n");
}

static void
on_made(void *arg, const struct buf *xlsx, const char *err)
{
    struct bsend *bs = arg;
    if (xlsx == NULL) {
        char *why = xasprintf("the bulletin could not be made: %s", err);
        finish(bs, NULL, why);
        free(why);
        return;
    }
    char name[64];
    bulletin_file_name(&bs->week, name, sizeof name);
    struct buf body;
    buf_init(&body);
    multipart(&body, name, xlsx);
    const char *headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct http_request hr = { .url = bs->upload_url, .headers = headers, .body = body.data,
                               .body_len = body.len, .proxy = bs->proxy, .timeout_ms = time_left_ms(bs),
                               .upload = true };
    if (body.len > HTTP_UPLOAD_MAX)
        finish(bs, NULL, "the bulletin's workbook is larger than a robot takes (20 MB)");
    else if (http_post(bs->http, &hr, on_uploaded, bs) != 0)
        finish(bs, NULL, "the upload to the robot's upload_media could not be started");
    buf_free(&body);
}

/* Out of the caller's stack: bulletin_make may answer at once. */
static void
on_start(evutil_socket_t fd, short what, void *arg)
{
    struct bsend *bs = arg;
    bulletin_make(bs->d, &bs->week, on_made, bs);
}

int
deliver_bulletin_send(struct daemon *d, struct http *http, struct attempt *at, const struct receiver *rv,
                      http_done_fn done)
{
    struct bsend *bs = xcalloc(1, sizeof *bs);
    struct ymd any = { 2026, 1, 1 };
    char err[160];
    if (!bulletin_week_parse(at->bulletin, &any, &bs->week, err, sizeof err)) {
        free(bs);
        return -1;
    }
    bs->d = d;
    bs->http = http;
    bs->at = at;
    bs->done = done;
    bs->url = xstrdup(rv->url);
    bs->upload_url = deliver_bulletin_upload_url_new(rv->url);
    bs->proxy = rv->proxy ? xstrdup(rv->proxy) : NULL;
    bs->timeout_ms = rv->timeout_seconds * 1000L;
    bs->started = clock_now(NULL);
    const struct timeval now = { 0, 0 };
    if (event_base_once(d->base, -1, EV_TIMEOUT, on_start, bs, &now) != 0) {
        bsend_free(bs);
        return -1;
    }
    return 0;
}
