/* timearg: a time as an administrator types it on the command line — "+3d",
 * "-12h", "2026-12-01", "2026-12-01T08:00", "2026-12-01 08:00:30+08:00" —
 * relative to a given now. Pure: local times are in the process's zone
 * (clock_set_zone sets TZ), and nothing here reads the clock. */
#ifndef KEYPROJ_TIMEARG_H
#define KEYPROJ_TIMEARG_H

#include <stdbool.h>

/* Accepts:
 *   +N or -N followed by m (minutes), h (hours), d (days) or w (weeks):
 *     now plus or minus that much ("+3d", "-12h");
 *   a date (any form parse_date reads: 2026-12-01, 2026/12/1, 2026年12月1日):
 *     the start of that day, local time;
 *   a date, 'T' or a blank, and HH:MM or HH:MM:SS: that local time;
 *   either of the last with "Z" or "+HH:MM" / "-HH:MM" after the time: that
 *     instant in UTC or at that offset.
 * Returns false for anything else. */
bool timearg_parse(const char *s, double now, double *out);

/* What timearg_parse accepts, for usage errors. */
#define TIMEARG_EXPECTED "+3d, +12h, 2026-12-01 or 2026-12-01T08:00"

#endif
