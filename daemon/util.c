/* util: allocation wrappers and the growable buffer. Out-of-memory is not a
 * condition a daemon can serve through, so it is reported and aborts here,
 * once, instead of at every call site. */
#include "ac_config.h"

#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
oom(size_t n)
{
    fprintf(stderr, "level=fatal msg=\"out of memory\" bytes=%zu\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        oom(nmemb * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        oom(0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void
buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void
buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            oom(SIZE_MAX);
        cap *= 2;
    }
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void
buf_put_ll(struct buf *b, long long v)
{
    char t[24];
    size_t n = sizeof t;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        t[--n] = '-';
    buf_append(b, t + n, sizeof t - n);
}

void
buf_put_millis(struct buf *b, double v)
{
    double ms = round(v * 1000.0);
    if (!(fabs(ms) < 9007199254740992.0)) {     /* 2^53; NaN too */
        buf_printf(b, "%.3f", v);
        return;
    }
    long long m = (long long)ms;
    unsigned long long u = m < 0 ? 0ULL - (unsigned long long)m : (unsigned long long)m;
    char t[32];
    size_t n = sizeof t;
    for (int i = 0; i < 3; i++) {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    }
    t[--n] = '.';
    do {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (m < 0 || (m == 0 && signbit(v)))
        t[--n] = '-';
    buf_append(b, t + n, sizeof t - n);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
    /* Straight into the room left, formatted again only when it did not
     * fit: the verdicts' and the scan's arrays are built of many small
     * pieces, and measuring each first formatted it twice. */
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    size_t room = b->cap - b->len;      /* 0 for an empty buffer (data NULL) */
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, aq);
    va_end(aq);
    if (n > 0) {
        if ((size_t)n >= room) {
            buf_reserve(b, (size_t)n);
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        }
        b->len += (size_t)n;
    } else if (room) {
        b->data[b->len] = '\0';        /* a truncated attempt wrote nothing past it */
    }
    va_end(ap);
}

void
buf_put_url_part(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            buf_putc(b, (char)*p);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[*p >> 4]);
            buf_putc(b, hex[*p & 15]);
        }
    }
}

void
buf_put_json_str(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p);
        } else if (*p < 0x20) {
            char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], '\0' };
            buf_puts(b, esc);
        } else {
            buf_putc(b, (char)*p);
        }
    }
    buf_putc(b, '"');
}

char *
buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    buf_init(b);
    return p;
}

size_t
strlcpy_k(char *dst, const char *src, size_t dstsize)
{
    size_t len = strlen(src);
    if (dstsize > 0) {
        size_t n = len < dstsize - 1 ? len : dstsize - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

bool
str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool
str_startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
lookup_buf_grow(int r, char **buf, size_t *size)
{
    if (r != ERANGE || *size >= LOOKUP_BUF_MAX)
        return false;
    *size = *size * 4 < LOOKUP_BUF_MAX ? *size * 4 : LOOKUP_BUF_MAX;
    *buf = xrealloc(*buf, *size);
    return true;
}
