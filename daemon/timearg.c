/* timearg: command-line times. Strict: "tomorrow", "3d" without a sign or a
 * time without a date are refused rather than guessed. */
#include "ac_config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timearg.h"
#include "util.h"
#include "values.h"

#define RELATIVE_MAX_MINUTES (10L * 366 * 24 * 60)

static bool
relative(const char *s, double now, double *out)
{
    int sign = s[0] == '+' ? 1 : -1;
    const char *p = s + 1;
    if (!isdigit((unsigned char)*p))
        return false;
    long n = 0;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (*p++ - '0');
        if (n > RELATIVE_MAX_MINUTES)
            return false;
    }
    long unit;
    switch (*p++) {
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return false;
    }
    if (*p != '\0' || n * (unit / 60) > RELATIVE_MAX_MINUTES)
        return false;
    *out = now + sign * (double)n * (double)unit;
    return true;
}

static bool
two_digits(const char *p, int max, int *out)
{
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return false;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return *out <= max;
}

/* "HH:MM[:SS][Z|±HH:MM]" → seconds after midnight and the offset, if any. */
static bool
clock_part(const char *p, int *secs, bool *has_zone, int *zone_secs)
{
    int h, m, sec = 0;
    if (!two_digits(p, 23, &h) || p[2] != ':' || !two_digits(p + 3, 59, &m))
        return false;
    p += 5;
    if (*p == ':') {
        if (!two_digits(p + 1, 59, &sec))
            return false;
        p += 3;
    }
    *secs = h * 3600 + m * 60 + sec;
    *has_zone = false;
    if (*p == '\0')
        return true;
    if (strcmp(p, "Z") == 0) {
        *has_zone = true;
        *zone_secs = 0;
        return true;
    }
    int oh, om;
    if ((*p == '+' || *p == '-') && two_digits(p + 1, 14, &oh) && p[3] == ':' && two_digits(p + 4, 59, &om) &&
        p[6] == '\0') {
        *has_zone = true;
        *zone_secs = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        return true;
    }
    return false;
}

bool
timearg_parse(const char *s, double now, double *out)
{
    if (s == NULL || s[0] == '\0')
        return false;
    if (s[0] == '+' || s[0] == '-')
        return relative(s, now, out);
    /* The time starts after a 'T' or the last blank. */
    const char *sep = strchr(s, 'T');
    if (sep == NULL)
        sep = strrchr(s, ' ');
    char *date = sep ? xstrndup(s, (size_t)(sep - s)) : xstrdup(s);
    struct ymd d;
    bool ok = parse_date(date, &d);
    free(date);
    if (!ok)
        return false;
    int secs = 0, zone = 0;
    bool has_zone = false;
    if (sep && !clock_part(sep + 1, &secs, &has_zone, &zone))
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = d.y - 1900;
    tm.tm_mon = d.m - 1;
    tm.tm_mday = d.d;
    tm.tm_hour = secs / 3600;
    tm.tm_min = secs / 60 % 60;
    tm.tm_sec = secs % 60;
    if (has_zone) {
        *out = (double)timegm(&tm) - zone;
        return true;
    }
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return false;
    *out = (double)t;
    return true;
}
