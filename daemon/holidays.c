/* holidays: parses the holiday file into a sorted list of days and answers
 * "is this a rest day" and "when may a held message go". Must never drop a
 * message: whatever the file says, holidays_send_at returns a finite time. */
#include "ac_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holidays.h"
#include "text.h"
#include "util.h"

#define FILE_MAX (1 << 20)      /* a century of holidays is a few KB */
#define RANGE_MAX_DAYS 31       /* longer is a typo (2026-10-01..2027-10-08) */
/* A calendar that rests for more than a year on end is wrong; stop looking
 * for a working day after that and send rather than hold forever. */
#define SEARCH_DAYS 400

struct listed {
    long day;                   /* days since 1970-01-01 */
    bool work;                  /* an adjusted working day (调休上班) */
    int line;
    char *name;                 /* shared by the days of one range: owned by names */
};

struct holidays {
    struct listed *v;
    size_t n;
    char **names;
    size_t n_names;
};

/* ---- the calendar ------------------------------------------------------ */

static int
weekday(long days)
{
    return (int)(((days + 4) % 7 + 7) % 7);    /* 1970-01-01 was a Thursday; 0 = Sunday */
}

static const struct listed *
find(const struct holidays *h, long day)
{
    size_t lo = 0, hi = h ? h->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->v[mid].day == day)
            return &h->v[mid];
        if (h->v[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

enum day_kind
holidays_day(const struct holidays *h, const struct ymd *d)
{
    long day = ymd_to_days(d);
    const struct listed *l = find(h, day);
    if (l)
        return l->work ? DAY_ADJUSTED_WORK : DAY_HOLIDAY;
    int w = weekday(day);
    return w == 0 || w == 6 ? DAY_WEEKEND : DAY_WORK;
}

bool
holidays_rest_day(const struct holidays *h, const struct ymd *d)
{
    enum day_kind k = holidays_day(h, d);
    return k == DAY_WEEKEND || k == DAY_HOLIDAY;
}

const char *
holidays_name(const struct holidays *h, const struct ymd *d)
{
    const struct listed *l = find(h, ymd_to_days(d));
    return l && l->name && l->name[0] ? l->name : NULL;
}

size_t
holidays_count(const struct holidays *h)
{
    return h ? h->n : 0;
}

void
holidays_free(struct holidays *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n_names; i++)
        free(h->names[i]);
    free(h->names);
    free(h->v);
    free(h);
}

/* ---- sending times ----------------------------------------------------- */

static double
local_instant(const struct ymd *d, int minute)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = d->y - 1900;
    tm.tm_mon = d->m - 1;
    tm.tm_mday = d->d;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_isdst = -1;
    return (double)mktime(&tm);
}

static void
next_day(struct ymd *d)
{
    days_to_ymd(ymd_to_days(d) + 1, d);
}

double
holidays_send_at(const struct send_window *w, double now)
{
    double t = now;
    int qs = w->quiet_start_min, qe = w->quiet_end_min;
    for (int i = 0; i < 2 * SEARCH_DAYS; i++) {
        time_t s = (time_t)t;
        struct tm tm;
        localtime_r(&s, &tm);
        struct ymd d = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
        if (w->hold_rest_days && holidays_rest_day(w->h, &d)) {
            next_day(&d);
            t = local_instant(&d, 0);           /* quiet hours are checked next */
            continue;
        }
        if (qs >= 0 && qe >= 0 && qs != qe) {
            int m = tm.tm_hour * 60 + tm.tm_min;
            bool quiet = qs < qe ? (m >= qs && m < qe) : (m >= qs || m < qe);
            if (quiet) {
                if (m >= qe)
                    next_day(&d);               /* 22:00-08:00 at 23:00: tomorrow 08:00 */
                double end = local_instant(&d, qe);
                t = end > t ? end : t + 60;     /* a zone's clock change cannot stall us */
                continue;
            }
        }
        return t;
    }
    return t;
}

/* ---- the file ---------------------------------------------------------- */

struct parser {
    const char *name;
    char *err;
    size_t errlen;
    int line;
    bool failed;
    struct holidays *h;
    size_t cap;
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Blanks: ASCII and the full-width U+3000 an IME types. */
static size_t
blank_len(const char *s)
{
    if (*s == ' ' || *s == '\t')
        return 1;
    if (strncmp(s, "\xe3\x80\x80", 3) == 0)
        return 3;
    return 0;
}

static const char *
skip_blanks(const char *s)
{
    size_t n;
    while ((n = blank_len(s)) > 0)
        s += n;
    return s;
}

/* The next blank-separated word of *s, copied into out (cut to outlen - 1
 * bytes: a word that long is neither a date nor a kind). False at the end. */
static bool
word(const char **s, char *out, size_t outlen)
{
    const char *p = skip_blanks(*s), *start = p;
    while (*p && blank_len(p) == 0)
        p++;
    size_t n = (size_t)(p - start);
    if (n == 0)
        return false;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, start, n);
    out[n] = '\0';
    *s = p;
    return true;
}

static bool
kind_word(const char *w, bool *work)
{
    static const char *const rest[] = { "holiday", "rest", "休", "放假", "假", NULL };
    static const char *const worky[] = { "workday", "work", "班", "上班", "补班", "调休上班", NULL };
    for (const char *const *k = rest; *k; k++)
        if (strcmp(w, *k) == 0) {
            *work = false;
            return true;
        }
    for (const char *const *k = worky; *k; k++)
        if (strcmp(w, *k) == 0) {
            *work = true;
            return true;
        }
    return false;
}

static bool
date_word(struct parser *p, const char *s, long *out)
{
    struct ymd d;
    if (!parse_date(s, &d)) {
        perr(p, "'%s' is not a date (expected YYYY-MM-DD, like 2026-10-01)", s);
        return false;
    }
    *out = ymd_to_days(&d);
    return true;
}

static void
add_day(struct parser *p, long day, bool work, char *name)
{
    struct holidays *h = p->h;
    if (work) {
        int w = weekday(day);
        if (w != 0 && w != 6) {
            struct ymd d;
            char ds[11];
            days_to_ymd(day, &d);
            format_date(&d, ds);
            perr(p, "%s is a weekday: only a Saturday or Sunday can be an adjusted working day (调休上班)", ds);
            return;
        }
    }
    if (h->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        h->v = xreallocarray(h->v, p->cap, sizeof *h->v);
    }
    h->v[h->n++] = (struct listed){ day, work, p->line, name };
}

static void
parse_line(struct parser *p, char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    const char *s = skip_blanks(line);
    if (*s == '\0')
        return;
    char when[64], w2[64];
    if (!word(&s, when, sizeof when)) {
        perr(p, "expected a date or a range like 2026-10-01..2026-10-07");
        return;
    }
    long first, last;
    char *dots = strstr(when, "..");
    if (dots) {
        *dots = '\0';
        if (!date_word(p, when, &first) || !date_word(p, dots + 2, &last))
            return;
        if (last < first) {
            perr(p, "the range %s..%s ends before it starts", when, dots + 2);
            return;
        }
        if (last - first + 1 > RANGE_MAX_DAYS) {
            perr(p, "the range %s..%s is %ld days long; at most %d (a typo in a year?)", when, dots + 2,
                 last - first + 1, RANGE_MAX_DAYS);
            return;
        }
    } else {
        if (!date_word(p, when, &first))
            return;
        last = first;
    }
    bool work = false;
    const char *after_date = s;
    if (word(&s, w2, sizeof w2) && kind_word(w2, &work))
        after_date = s;
    const char *name = skip_blanks(after_date);
    size_t nlen = strlen(name);
    while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
        nlen--;
    struct holidays *h = p->h;
    h->names = xreallocarray(h->names, h->n_names + 1, sizeof *h->names);
    char *owned = xstrndup(name, nlen);
    h->names[h->n_names++] = owned;
    for (long day = first; day <= last && !p->failed; day++)
        add_day(p, day, work, owned);
}

static int
by_day(const void *a, const void *b)
{
    const struct listed *x = a, *y = b;
    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return (x->line > y->line) - (x->line < y->line);
}

/* Sorted: a day listed twice sits next to itself. */
static void
check_twice(struct parser *p)
{
    const struct holidays *h = p->h;
    for (size_t i = 1; i < h->n && !p->failed; i++)
        if (h->v[i].day == h->v[i - 1].day) {
            struct ymd d;
            char ds[11];
            days_to_ymd(h->v[i].day, &d);
            format_date(&d, ds);
            p->line = h->v[i].line;
            perr(p, "%s is already listed on line %d", ds, h->v[i - 1].line);
        }
}

struct holidays *
holidays_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct parser p = { name, err, errlen, 0, false, xcalloc(1, sizeof(struct holidays)), 0 };
    size_t bad;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (!utf8_valid(text, len, &bad)) {
        p.line = 1;
        for (size_t i = 0; i < bad; i++)
            p.line += text[i] == '\n';
        perr(&p, "not UTF-8 (save the file as UTF-8)");
    }
    const char *s = text, *end = text + len;
    while (s < end && !p.failed) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        char *line = xstrndup(s, n);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        p.line++;
        parse_line(&p, line);
        free(line);
        s += n + 1;
    }
    if (!p.failed && p.h->n > 0) {
        qsort(p.h->v, p.h->n, sizeof *p.h->v, by_day);
        check_twice(&p);
    }
    if (p.failed) {
        holidays_free(p.h);
        return NULL;
    }
    return p.h;
}

struct holidays *
holidays_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= FILE_MAX)
        buf_append(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    struct holidays *h = NULL;
    if (failed)
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    else if (b.len > FILE_MAX)
        snprintf(err, errlen, "%s: larger than %d bytes: not a holiday list", path, FILE_MAX);
    else
        h = holidays_parse(b.data ? b.data : "", b.len, path, err, errlen);
    buf_free(&b);
    return h;
}
