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

/* ---- project codes -----------------------------------------------------
 * The national investment project code (全国投资项目在线审批监管平台, GB/T
 * 40058): 2026-410300-04-01-123456, year, 6-digit administrative division,
 * 2-digit industry (or central department), 2-digit type, 6-digit serial.
 * Projects that have none yet carry the city's own code (LY-2026-001). */

/* True when s is meant as a national code: only digits and '-', with at
 * least three '-' (so 2026-41030-04-01-123456, a typo, is one, and
 * 41030020260001 or LY-2026-001 are not). */
bool project_code_looks_national(const char *s);
/* True when s is a national code; otherwise why (if not NULL) gets what is
 * wrong ("the year 1926 is not 2000 to 2099"). The region's first two
 * digits must name a province; the check digit of codes issued since
 * GB/T 40058 is not verified (older codes have none). */
bool project_code_national(const char *s, char *why, size_t whylen);
/* True when s may be a city's own code when no pattern is configured: 1
 * to 64 bytes of ASCII letters and digits, '-', '_', '.', '/', '(' and
 * ')' or non-ASCII characters (Chinese), beginning with a letter, digit or
 * non-ASCII character (never a formula's = + - @). */
bool project_code_local_ok(const char *s);
/* The expected shapes, for messages. */
#define PROJECT_CODE_NATIONAL_SHAPE "a national code like 2026-410300-04-01-123456 " \
    "(year-division-industry-type-serial: 4, 6, 2, 2 and 6 digits)"

/* ---- word lists --------------------------------------------------------
 * Every vocabulary the code spells out is one table here: the canonical
 * name (the schema's enum value, or a payload's type), the Chinese
 * spellings people use, and the rank where order matters. Lookups, the
 * "expected one of …" lists of error messages and the rules read it. */

/* One word: zh[0] is the Chinese label we print, the rest are spellings
 * seen in the sheets and typed at the console. */
struct word {
    const char *name;
    const char *zh[5];
    int rank;           /* lights: severity as enum rules_light (green 0 … red 2) */
};

enum words_style {
    WORDS_ZH_FIRST,     /* any spelling, names in any case; "省, 市 (or province, city)" */
    WORDS_NAME_FIRST,   /* the same; "unit, leader, office (or 责任单位, 分包领导, 项目办)" */
    WORDS_NAMES,        /* the names only, exactly: "milestone.overdue, …" (zh[0] is for display) */
};

/* A vocabulary: the words of base (if any) and then its own. */
struct words {
    const struct words *base;
    const struct word *w;
    size_t n;
    enum words_style style;
};

extern const struct words
    words_level,            /* province | city */
    words_sector,           /* industry | urban | infrastructure | livelihood | ecology | other */
    words_category,         /* new | continuing | preliminary */
    words_status,           /* preliminary | building | suspended | completed | operating */
    words_milestone_kind,   /* start | structure | topping | completion | operation | investment | approval | other */
    words_milestone_status, /* pending | done | waived */
    words_milestone_filter, /* the milestone statuses, and overdue (a --status filter) */
    words_light,            /* red | yellow | green (a project's or an alert's light) */
    words_tier,             /* unit | leader | office, in enum rules_tier order */
    words_alert_kind,       /* the kinds the rules raise, in enum rules_kind order */
    words_alert_kind_digest,/* those and digest (what a delivery carries) */
    words_payload_type,     /* those and test, rank (a payload's "type") */
    /* (the problem categories are rows of problem_category, an office's
     * to extend: sql/0006_office_approvals.sql) */
    words_problem_severity, /* ordinary | major */
    words_problem_status,   /* open | resolved | overdue */
    words_approval_status,  /* pending | done | waived | overdue */
    words_order_status,     /* open | replied | overdue */
    words_order_kind,       /* reminder | supervision | assignment */
    words_db_state,         /* connected | migrating | … | down (status "database") */
    words_daemon_role,      /* leader | standby (status "role") */
    words_campaign_kind,    /* bimonthly | hundred_day | half_year | other */
    words_campaign_state,   /* past | current | upcoming */
    words_county_group;     /* district | county | zone (a county's ranking group, county.grp) */

/* The canonical name s means (surrounding blanks ignored; per the list's
 * style, a name in any case or a Chinese spelling), or NULL. */
const char *words_map(const struct words *ws, const char *s);
/* The word whose canonical name is exactly name, or NULL. */
const struct word *words_named(const struct words *ws, const char *name);
/* How many words, and the i-th (base first); NULL past the end. */
size_t words_count(const struct words *ws);
const struct word *words_at(const struct words *ws, size_t i);
/* The list for error messages, per the list's style, newly allocated:
 * "省, 市 (or province, city)". */
char *words_expected_new(const struct words *ws);
/* Chinese label of a canonical spreadsheet value ("industry" → "产业"),
 * or the name itself when there is none. */
const char *enum_label_zh(const char *canonical);
/* A light's severity (green 0, yellow 1, red 2, as enum rules_light), -1
 * for NULL or a word that is no light. */
int light_rank(const char *light);
#define LIGHT_RANK_RED 2

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
