/* util: allocation wrappers that never return NULL (they log and abort on
 * out-of-memory) and a growable byte buffer. Real errors (I/O, input) are
 * returned by the callers' own functions, never hidden here. */
#ifndef KEYPROJ_UTIL_H
#define KEYPROJ_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A text keyprojctl may show a person, outside the calls that make an
 * error (cmd_error and the like): scripts/error-templates collects it so
 * that keyprojctl can say it in the reader's language (ctl_errors.c). */
#define MSG(s) s

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable buffer, always NUL-terminated after the last byte written.
 * Owner frees with buf_free(); buf_steal() hands the bytes to the caller. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, as "%lld" gives it; without printf's machinery, for the
 * many numbers of a batch's arrays. */
void buf_put_ll(struct buf *b, long long v);
/* v with three decimals like "%.3f" (a time in seconds, to the
 * millisecond), a half rounded away from zero; what is not finite, or
 * beyond 2^53 milliseconds, goes through printf. */
void buf_put_millis(struct buf *b, double v);
/* Appends s percent-encoded but for RFC 3986's unreserved characters: one
 * part of a link (a project code, a county's name), the same in messages
 * and in the dashboard's pages. */
void buf_put_url_part(struct buf *b, const char *s);
/* Appends s as a JSON string: quotes, backslashes and control characters
 * escaped, every other byte (UTF-8 included) as it is. */
void buf_put_json_str(struct buf *b, const char *s);
char *buf_steal(struct buf *b);

/* For getpwuid_r, getgrnam_r and their kind, whose entries outgrow any
 * fixed buffer (a group of hundreds of members, a long comment field):
 * when r, the lookup's result, is ERANGE, *buf (from xmalloc, *size
 * bytes) is grown fourfold, up to LOOKUP_BUF_MAX, and true says to call
 * the lookup again; otherwise false, and *buf is left as it is:
 *     do r = getpwuid_r(uid, &pw, buf, size, &res);
 *     while (lookup_buf_grow(r, &buf, &size)); */
#define LOOKUP_BUF_MAX ((size_t)1 << 26)
bool lookup_buf_grow(int r, char **buf, size_t *size);

/* Bounded copy that always terminates dst (when dstsize > 0). */
size_t strlcpy_k(char *dst, const char *src, size_t dstsize);
bool str_eq(const char *a, const char *b);
bool str_startswith(const char *s, const char *prefix);

#endif
