/* clock: the one source of "now" and of business dates. Rules take the
 * instant as an argument; only this module reads the system clock, so
 * tests can run the daemon at any date (--now) without sleeping. */
#ifndef KEYPROJ_CLOCK_H
#define KEYPROJ_CLOCK_H

#include <stdbool.h>
#include <time.h>

#include "values.h"

struct kclock {
    double offset;   /* seconds added to the system clock */
};

/* Parses "2026-11-25T09:00:00+08:00", "2026-11-25 09:00", "2026-11-25" (local
 * midnight in the configured zone) or "@EPOCH"; sets the offset so that
 * clock_now() returns that instant now and advances with real time. */
bool clock_set(struct kclock *c, const char *when);
/* The instant such a string names (fractions of a second dropped). */
bool clock_parse(const char *s, double *out);
double clock_now(const struct kclock *c);
/* Applies the configured time zone to the process (TZ). */
void clock_set_zone(const char *tz);
/* The business date of an instant in the configured zone. */
void clock_date_of(double t, struct ymd *out);
void clock_today(const struct kclock *c, struct ymd *out);
/* The instant a business date begins (local midnight in the zone). */
double clock_day_start(const struct ymd *d);
/* ISO 8601 with offset of an instant in the configured zone. */
void clock_format(double t, char out[32]);

#endif
