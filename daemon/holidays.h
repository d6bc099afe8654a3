/* holidays: the rest-day calendar (weekends, public holidays, adjusted
 * working days — 调休) read from a small text file, and the earliest
 * instant a held message may go out. Pure: dates are local days in the
 * process's zone (clock_set_zone sets TZ); nothing here reads the clock. */
#ifndef KEYPROJ_HOLIDAYS_H
#define KEYPROJ_HOLIDAYS_H

#include <stdbool.h>
#include <stddef.h>

#include "values.h"

struct holidays;

enum day_kind {
    DAY_WORK,           /* Monday to Friday, not listed */
    DAY_WEEKEND,        /* Saturday or Sunday, not listed */
    DAY_HOLIDAY,        /* listed as a holiday (any day of the week) */
    DAY_ADJUSTED_WORK,  /* a Saturday or Sunday listed as a working day (调休上班) */
};

/* Reads the file at path (format: etc/holidays.conf). Returns a new
 * calendar (free with holidays_free), or NULL with "FILE:LINE: what is
 * wrong" (or "FILE: cannot read: …") in err. */
struct holidays *holidays_load(const char *path, char *err, size_t errlen);
/* The same from text; name is used in messages. */
struct holidays *holidays_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);
void holidays_free(struct holidays *h);

/* How many days the file lists (holidays and adjusted working days). */
size_t holidays_count(const struct holidays *h);

/* What kind of day d is. h may be NULL: weekends only. */
enum day_kind holidays_day(const struct holidays *h, const struct ymd *d);
/* A weekend or holiday that is not an adjusted working day. */
bool holidays_rest_day(const struct holidays *h, const struct ymd *d);
/* The name the file gave d ("国庆节"), or NULL. */
const char *holidays_name(const struct holidays *h, const struct ymd *d);

/* When messages may be sent: outside quiet hours [quiet_start_min,
 * quiet_end_min) (minutes after local midnight, -1 for none; the window
 * may wrap midnight) and, when hold_rest_days, not on a rest day. */
struct send_window {
    const struct holidays *h;   /* NULL: weekends only */
    bool hold_rest_days;
    int quiet_start_min;
    int quiet_end_min;
};

/* The earliest instant >= now at which a message may be sent: now itself
 * when nothing holds it; on a rest day, the next working day at the end of
 * quiet hours (its midnight when there are none). */
double holidays_send_at(const struct send_window *w, double now);

#endif
