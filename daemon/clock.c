/* clock: wall time plus a test offset, and business dates in the configured
 * zone. Never called from rules: they get "now" as an argument. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"

static double
system_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
clock_now(const struct kclock *c)
{
    return system_now() + (c ? c->offset : 0.0);
}

void
clock_set_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static bool
parse_instant(const char *s, time_t *out)
{
    if (s[0] == '@') {
        char *end;
        long long v = strtoll(s + 1, &end, 10);
        if (end == s + 1 || *end != '\0')
            return false;
        *out = (time_t)v;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    if (rest == NULL)
        return false;
    if (*rest == 'T' || *rest == ' ') {
        const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
        if (r2 == NULL)
            r2 = strptime(rest + 1, "%H:%M", &tm);
        if (r2 == NULL)
            return false;
        rest = r2;
        if (*rest == '.')                   /* fractions of a second: dropped */
            rest += 1 + strspn(rest + 1, "0123456789");
    }
    if (*rest == '\0') {
        tm.tm_isdst = -1;
        *out = mktime(&tm);
        return *out != (time_t)-1;
    }
    int sign = 0, oh = 0, om = 0;
    if (strcmp(rest, "Z") == 0) {
        sign = 1;
    } else if ((rest[0] == '+' || rest[0] == '-') && sscanf(rest + 1, "%2d:%2d", &oh, &om) == 2 &&
               strlen(rest) == 6) {
        sign = rest[0] == '+' ? 1 : -1;
    } else {
        return false;
    }
    *out = timegm(&tm) - sign * (oh * 3600 + om * 60);
    return true;
}

bool
clock_parse(const char *s, double *out)
{
    time_t t;
    if (s == NULL || !parse_instant(s, &t))
        return false;
    *out = (double)t;
    return true;
}

bool
clock_set(struct kclock *c, const char *when)
{
    time_t t;
    if (!parse_instant(when, &t))
        return false;
    c->offset = (double)t - system_now();
    return true;
}

void
clock_date_of(double t, struct ymd *out)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    out->y = tm.tm_year + 1900;
    out->m = tm.tm_mon + 1;
    out->d = tm.tm_mday;
}

void
clock_today(const struct kclock *c, struct ymd *out)
{
    clock_date_of(clock_now(c), out);
}

double
clock_day_start(const struct ymd *d)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = d->y - 1900;
    tm.tm_mon = d->m - 1;
    tm.tm_mday = d->d;
    tm.tm_isdst = -1;
    return (double)mktime(&tm);
}

void
clock_format(double t, char out[32])
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    char z[8];
    strftime(z, sizeof z, "%z", &tm);   /* +0800 → +08:00 */
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, "%.3s:%.2s", z, z + 3);
}
