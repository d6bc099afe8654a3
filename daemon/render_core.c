/* render_core: what every format shares — text made safe for a robot
 * (valid UTF-8, no controls, no markup a project name could smuggle in),
 * cut on a character boundary, the request's headers and body, and the
 * alert's wording at the moment of sending. Must never cut a UTF-8
 * character or send text that a project name could turn into markup. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json_buf.h"
#include "render_format.h"
#include "text.h"

#define ELLIPSIS "\xe2\x80\xa6"             /* … */
#define REPLACEMENT "\xef\xbf\xbd"          /* U+FFFD */

/* ---- text helpers ---------------------------------------------------- */

/* A byte append_valid copies as it is whatever follows it: not a control,
 * not the lead byte of a C1 control or of U+2028/2029, not a markdown
 * special. */
static bool
plain_byte(unsigned char c, enum render_markup mk)
{
    if (c < 0x20 || c == 0x7f || c == 0xc2 || c == 0xe2)
        return false;
    if (mk != MARKUP_MARKDOWN)
        return true;
    switch (c) {
    case '*': case '`': case '[': case ']': case '<': case '>': case '#': case '_': case '~':
        return false;
    default:
        return true;
    }
}

/* Appends valid UTF-8, mapping controls to spaces and, for markdown, the
 * ASCII specials to their full-width twins (U+FF01 + c - '!'). Runs of
 * plain bytes go in one copy (byte by byte, this was a tenth of rendering
 * an alert). */
static void
append_valid(struct buf *out, const char *s, size_t len, enum render_markup mk)
{
    for (size_t i = 0; i < len; i++) {
        size_t run = i;
        while (run < len && plain_byte((unsigned char)s[run], mk))
            run++;
        if (run > i) {
            buf_append(out, s + i, run - i);
            i = run;
            if (i == len)
                break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            buf_putc(out, ' ');
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0) {
            buf_putc(out, ' ');             /* C1 control, U+0080..U+009F */
            i++;
        } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            buf_putc(out, ' ');             /* U+2028/2029 line breaks */
            i += 2;
        } else if (mk == MARKUP_MARKDOWN && strchr("*`[]<>#_~", c) != NULL) {
            unsigned cp = 0xff01u + (c - '!');
            char fw[3] = { (char)0xef, (char)(0x80 | ((cp >> 6) & 0x3f)),
                           (char)(0x80 | (cp & 0x3f)) };
            buf_append(out, fw, 3);
        } else {
            buf_putc(out, (char)c);
        }
    }
}

void
render_clean(struct buf *out, const char *s, enum render_markup mk)
{
    if (s == NULL)
        return;
    size_t len = strlen(s), i = 0;
    buf_reserve(out, len);
    while (i < len) {
        size_t bad;
        if (utf8_valid(s + i, len - i, &bad))
            bad = len - i;
        append_valid(out, s + i, bad, mk);
        i += bad;
        if (i < len) {
            buf_puts(out, REPLACEMENT);
            i++;
        }
    }
}

size_t
render_utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    size_t i = max;
    while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    return i;
}

const char *
render_head(const struct render_msg *m, size_t i)
{
    return m->heads != NULL && i < m->n_items ? m->heads[i] : NULL;
}

size_t
render_weight(const struct render_msg *m, size_t k)
{
    if (m->weights == NULL)
        return k;
    size_t n = 0;
    for (size_t i = 0; i < k && i < m->n_items; i++)
        n += m->weights[i];
    return n;
}

char *
render_trailer(const struct render_msg *m, size_t k)
{
    if (k >= m->n_items)
        return NULL;
    return m->digest ? xasprintf(ELLIPSIS ELLIPSIS "另有 %zu 条未列出",
                                 render_weight(m, m->n_items) - render_weight(m, k))
                     : xasprintf(ELLIPSIS ELLIPSIS "其余 %zu 项从略", m->n_items - k);
}

json_t *
render_json_str(const char *s)
{
    struct buf b;
    buf_init(&b);
    render_clean(&b, s, MARKUP_PLAIN);
    /* render_clean's output is valid UTF-8 without NUL: not checked again */
    json_t *v = json_stringn_nocheck(b.data != NULL ? b.data : "", b.len);
    buf_free(&b);
    return v;
}

void
render_add_header(struct render_request *out, const char *fmt, ...)
{
    size_t i = 0;
    while (i < RENDER_MAX_HEADERS && out->headers[i] != NULL)
        i++;
    if (i == RENDER_MAX_HEADERS)
        abort();                            /* a renderer bug, not input */
    va_list ap;
    va_start(ap, fmt);
    out->headers[i] = xvasprintf(fmt, ap);
    va_end(ap);
}

/* Dumped into one block the size of a usual message (json_dumps grows a
 * buffer from 16 bytes, then copies it out: a sixth of rendering an
 * alert); a larger body is dumped again into a block its size. */
#define BODY_ROOM 2048

void
render_set_body(struct render_request *out, json_t *v)
{
    struct buf b;
    buf_init(&b);
    buf_reserve(&b, BODY_ROOM);
    if (!buf_put_json(&b, v, JSON_COMPACT))
        abort();                            /* only on out-of-memory */
    free(out->body);
    out->body_len = b.len;
    out->body = buf_steal(&b);
    json_decref(v);
}

bool
render_finish_plain(const struct receiver *rv, int64_t now_ms, struct render_request *out,
                    char *err, size_t errlen)
{
    out->url = xstrdup(rv->url);
    render_add_header(out, "Content-Type: application/json");
    return true;
}

void
render_request_free(struct render_request *rq)
{
    free(rq->url);
    for (size_t i = 0; i < RENDER_MAX_HEADERS; i++)
        free(rq->headers[i]);
    free(rq->body);
    memset(rq, 0, sizeof *rq);
}

/* ---- the alert's words ------------------------------------------------ */

char *
render_words(const struct alert_view *a, double sent_at, enum wording_form form)
{
    if (sent_at > 0) {
        struct ymd today;
        clock_date_of(sent_at, &today);
        char *w = wording_compose(a->kind, a->light, a->data, &today, form);
        if (w != NULL)
            return w;
    }
    return a->message != NULL && a->message[0] != '\0' ? xstrdup(a->message) : NULL;
}
