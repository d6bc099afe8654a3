/* values: the vocabulary of the key-project spreadsheets. Maps the Chinese
 * and English spellings people use to the canonical enum names of the
 * schema, and parses dates, months, money and campaign codes. Pure. */
#ifndef KEYPROJ_VALUES_H
#define KEYPROJ_VALUES_H

#include <stdbool.h>
#include <stddef.h>

struct ymd {
    int y, m, d;
};

/* "2026-03-15", "2026/3/15", "2026.3.15", "2026年3月15日" (日 or 号 may be
 * left off; surrounding blanks, ASCII or full-width, ignored). Checks the
 * day exists (2026-02-30 is refused) and the year is 1900..2200. */
bool parse_date(const char *s, struct ymd *out);
/* "2026-10", "2026/10", "2026.10", "2026年10月", "202610". */
bool parse_month(const char *s, int *year, int *month);
void format_date(const struct ymd *d, char out[11]);   /* "2026-03-15" */
bool ymd_valid(const struct ymd *d);    /* a real day in 1900..2200 */
int days_in_month(int year, int month);
/* Days since 1970-01-01 (proleptic Gregorian) and back. */
long ymd_to_days(const struct ymd *d);
void days_to_ymd(long days, struct ymd *out);

/* Money in 万元: "12345", "12,345.67", "1.5万" is NOT accepted (ambiguous);
 * up to 4 decimals and 12 integer digits (numeric(16,4)); commas only as
 * thousands separators; refuses negatives, exponents, blanks, and text.
 * Writes the canonical decimal text to out: no commas, no leading zeros,
 * no trailing fraction zeros or "." ("012,345.670" → "12345.67", "12." →
 * "12"). False also when out is too small. */
bool parse_amount(const char *s, char *out, size_t outlen);

/* Each map function takes a spreadsheet value (Chinese or English, any
 * case, surrounding blanks ignored) and returns the canonical enum name, or
 * NULL if unknown. The *_expected functions return the human list for error
 * messages, e.g. "省, 市 (or province, city)". */
const char *map_level(const char *s);     /* province | city */
const char *map_sector(const char *s);    /* industry | urban | infrastructure | livelihood | ecology | other */
const char *map_category(const char *s);  /* new | continuing | preliminary */
const char *map_status(const char *s);    /* preliminary | building | suspended | completed | operating */
const char *map_milestone_kind(const char *s); /* start | structure | topping | completion | operation | investment | approval | other */
const char *map_milestone_status(const char *s); /* pending | done | waived */
const char *map_project_light(const char *s);     /* red | yellow | green (a project's light) */
const char *project_light_expected(void);
const char *level_expected(void);
const char *sector_expected(void);
const char *category_expected(void);
const char *status_expected(void);
const char *milestone_kind_expected(void);
const char *milestone_status_expected(void);
/* Chinese label of a canonical enum name ("industry" → "产业"), or the name
 * itself when there is none. */
const char *enum_label_zh(const char *canonical);

/* Campaign codes: "2026-B1" … "2026-B6" are the two-month windows
 * (B1 = Jan–Feb … B6 = Nov–Dec). Also accepts "2026年第6期", "2026年第六期",
 * "2026-b6", "2026-B06". Writes the canonical code to out (at least 16
 * bytes). */
bool parse_campaign(const char *s, char *out, size_t outlen);
/* The two-month window containing a date, e.g. 2026-11-03 → "2026-B6". */
void campaign_of_date(const struct ymd *d, char *out, size_t outlen);
/* First and last day of a two-month window code; false if not such a code. */
bool campaign_window(const char *code, struct ymd *first, struct ymd *last);

#endif
