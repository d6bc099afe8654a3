/* web_html: HTML escaping, and the printf every page writes with. Pure but for the evbuffer it appends to; it
 * never lets a byte through that could open markup or break the page's
 * UTF-8. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "util.h"
#include "web_html.h"

#define REPLACEMENT "\xEF\xBF\xBD"      /* U+FFFD */

/* The length of the strict UTF-8 sequence at s (no overlongs, no
 * surrogates, nothing above U+10FFFF), its code point in *cp; 0 when the
 * bytes there are not one. */
static size_t
utf8_seq(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, *cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, *cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, *cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)  /* a NUL ends the string here too */
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

static const char *
entity_of(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static int
is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F);
}

void
web_html_escape(struct evbuffer *out, const char *s)
{
    if (s == NULL)
        return;
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_seq(p, &cp);
        const char *ent = n == 1 ? entity_of(*p) : NULL;
        if (n > 0 && ent == NULL && !is_control(cp)) {
            p += n;
            continue;
        }
        evbuffer_add(out, run, (size_t)(p - run));     /* the clean run before it */
        if (ent)
            evbuffer_add(out, ent, strlen(ent));
        else
            evbuffer_add(out, REPLACEMENT, 3);
        p += n > 0 ? n : 1;
        run = p;
    }
    evbuffer_add(out, run, (size_t)(p - run));
}

/* ---- the writer ------------------------------------------------------------ */

void
web_url_escape(struct evbuffer *out, const char *s)
{
    struct buf b;
    buf_init(&b);
    buf_put_url_part(&b, s);
    evbuffer_add(out, b.data ? b.data : "", b.len);
    buf_free(&b);
}

void
web_html_printf(struct evbuffer *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *run = fmt, *p = fmt;
    while (*p) {
        if (*p != '%') {
            p++;
            continue;
        }
        evbuffer_add(out, run, (size_t)(p - run));
        p++;
        int prec = -1;
        bool plus = *p == '+';
        if (plus)
            p++;
        if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
            prec = p[1] - '0';
            p += 2;
        }
        switch (*p) {
        case 's': web_html_escape(out, va_arg(ap, const char *)); break;
        case 'u': web_url_escape(out, va_arg(ap, const char *)); break;
        case 'd': evbuffer_add_printf(out, "%d", va_arg(ap, int)); break;
        case 'D': evbuffer_add_printf(out, "%lld", va_arg(ap, long long)); break;
        case 'f': evbuffer_add_printf(out, plus ? "%+.*f" : "%.*f", prec < 0 ? 1 : prec, va_arg(ap, double)); break;
        case '%': evbuffer_add(out, "%", 1); break;
        default: abort();       /* a page's own format string is wrong */
        }
        p++;
        run = p;
    }
    evbuffer_add(out, run, (size_t)(p - run));
    va_end(ap);
}
