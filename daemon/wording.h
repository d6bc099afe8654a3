/* wording: the words of an alert, composed from its structured payload for
 * the business date it is said on. Scan uses it for the record it keeps
 * (payload.message, as of the scan); render uses it at the moment of
 * sending, so a day count is never stale. Pure: no clock, no database. */
#ifndef KEYPROJ_WORDING_H
#define KEYPROJ_WORDING_H

#include <limits.h>
#include <jansson.h>

#include "values.h"

/* How much of the sentence to say. */
enum wording_form {
    /* "【逾期】孟津区 某项目「消防验收」已逾期25天（完成时限2026-11-10，责任单位：X）":
     * stands alone (payload.message, json's data.message). */
    WORDING_FULL,
    /* The same without the tag and the project, for a message whose title
     * names both ("「消防验收」已逾期25天（完成时限2026-11-10）"); the unit
     * is left out when it is the project's own (a detail line shows it). */
    WORDING_LEAD,
    /* One item of a project's line in a digest: "「消防验收」逾期25天". */
    WORDING_SHORT,
};

/* The sentence for an alert of kind (payload "type", or a digest item's
 * "kind") with light, on the business date today. NULL when the kind is
 * not one wording knows or the payload lacks what it needs: the caller
 * then says payload.message. Caller frees. */
char *wording_compose(const char *kind, const char *light, const json_t *payload,
                      const struct ymd *today, enum wording_form form);

#define WORDING_NO_DAYS LONG_MIN
/* Days past the alert's deadline on today: > 0 late, 0 due today, < 0
 * days left; WORDING_NO_DAYS for a kind without one (investment lagging,
 * a campaign …). */
long wording_days(const char *kind, const json_t *payload, const struct ymd *today);

/* "已逾期25天" / "今天到期" / "还有3天到期" for days as wording_days gives. */
void wording_days_phrase(long days, char *out, size_t outlen);

/* "2026-12-06T10:05:00Z" (any offset) → "2026-12-06 18:05" in the process's
 * time zone (clock_set_zone); iso_out (may be NULL) gets the ISO 8601 form
 * with that zone's offset, "2026-12-06T18:05:00+08:00". False when s is
 * not such a time (the outputs then hold s as is). */
bool wording_local_time(const char *s, char *short_out, size_t short_len, char *iso_out,
                        size_t iso_len);

/* A daily digest's or weekly summary's title as of the business date
 * today: its payload's title_head, then the overdue and due-this-week
 * counts — those due on or after the digest's date (due_by_day, {date:
 * count}) that today has passed count as overdue — and the lights. NULL
 * when the payload lacks those facts (the caller says payload.title).
 * Caller frees. */
char *wording_digest_title(const json_t *payload, const struct ymd *today);

#endif
