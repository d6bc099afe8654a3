/* values: what a spreadsheet cell may say — dates, months, money in 万元,
 * the enum vocabularies in Chinese and English, campaign codes — mapped to
 * the schema's canonical forms. Must never guess: an unclear value is
 * refused so the importer can name the cell. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "values.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2200
#define AMOUNT_INT_DIGITS 12   /* the schema's numeric(16,4) */

/* ---- scanning helpers ---------------------------------------------- */

/* Length of a blank at s (ASCII blank, U+3000 ideographic space, U+00A0
 * no-break space as Excel pastes it), or 0. */
static size_t
blank_len(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        return 1;
    if (strncmp(s, "\xE3\x80\x80", 3) == 0)
        return 3;
    if (strncmp(s, "\xC2\xA0", 2) == 0)
        return 2;
    return 0;
}

/* Finds s without surrounding blanks: returns its start, *len its length. */
static const char *
trim(const char *s, size_t *len)
{
    size_t n;
    while ((n = blank_len(s)) > 0)
        s += n;
    size_t end = strlen(s), i = 0, keep = 0;
    while (i < end) {
        n = blank_len(s + i);
        if (n == 0) {
            i++;
            keep = i;
        } else {
            i += n;
        }
    }
    *len = keep;
    return s;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads 1..max digits at *p into *v, advancing *p. */
static bool
read_num(const char **p, const char *end, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (*p < end && is_digit(**p) && n < max) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n > 0 && !(*p < end && is_digit(**p));
}

/* Consumes the literal lit at *p when present. */
static bool
eat(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* ---- dates ----------------------------------------------------------- */

int
days_in_month(int year, int month)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return dim[month - 1];
}

bool
ymd_valid(const struct ymd *d)
{
    return d->y >= YEAR_MIN && d->y <= YEAR_MAX && d->m >= 1 && d->m <= 12 &&
           d->d >= 1 && d->d <= days_in_month(d->y, d->m);
}

/* Howard Hinnant's days_from_civil: eras of 400 years make it exact. */
long
ymd_to_days(const struct ymd *d)
{
    long y = d->y - (d->m <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (d->m + (d->m > 2 ? -3 : 9)) + 2) / 5 + d->d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
days_to_ymd(long days, struct ymd *out)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    out->d = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->m = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->y = (int)(yoe + era * 400 + (out->m <= 2));
}

static void
put_digits(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void
format_date(const struct ymd *d, char out[11])
{
    /* Years outside 0..9999 cannot come from parse_date; clamp, never
     * overflow the caller's buffer. */
    int y = d->y < 0 ? 0 : d->y > 9999 ? 9999 : d->y;
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, d->m < 0 ? 0 : d->m % 100, 2);
    out[7] = '-';
    put_digits(out + 8, d->d < 0 ? 0 : d->d % 100, 2);
    out[10] = '\0';
}

bool
parse_date(const char *s, struct ymd *out)
{
    size_t len;
    const char *start = trim(s, &len), *p = start, *end = start + len;
    struct ymd d;

    if (!read_num(&p, end, 4, &d.y) || p - start != 4)
        return false;
    if (p < end && (*p == '-' || *p == '/' || *p == '.')) {
        char sep = *p++;
        if (!read_num(&p, end, 2, &d.m) || p == end || *p++ != sep ||
            !read_num(&p, end, 2, &d.d))
            return false;
    } else if (eat(&p, end, "年")) {
        if (!read_num(&p, end, 2, &d.m) || !eat(&p, end, "月") ||
            !read_num(&p, end, 2, &d.d))
            return false;
        if (!eat(&p, end, "日"))
            eat(&p, end, "号");
    } else {
        return false;
    }
    if (p != end || !ymd_valid(&d))
        return false;
    *out = d;
    return true;
}

bool
parse_month(const char *s, int *year, int *month)
{
    size_t len;
    const char *start = trim(s, &len), *p = start, *end = start + len;
    int y, m;

    if (!read_num(&p, end, 6, &y))
        return false;
    if (p - start == 6) {
        m = y % 100;            /* "202610" */
        y /= 100;
    } else if (p - start == 4 && p < end) {
        if (*p == '-' || *p == '/' || *p == '.') {
            p++;
            if (!read_num(&p, end, 2, &m))
                return false;
        } else if (!eat(&p, end, "年") || !read_num(&p, end, 2, &m) ||
                   !eat(&p, end, "月")) {
            return false;
        }
    } else {
        return false;
    }
    if (p != end || y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12)
        return false;
    *year = y;
    *month = m;
    return true;
}

/* ---- money ----------------------------------------------------------- */

/* The integer part of an amount, with or without thousands commas: either
 * plain digits, or 1–3 digits then groups of exactly three ("1,234,567").
 * Appends the digits to out; returns false on a misplaced comma. */
static bool
amount_int(const char *p, const char *end, char *out, size_t *nout)
{
    const char *comma = memchr(p, ',', (size_t)(end - p));
    size_t group = 0;
    for (const char *c = p; c < end; c++) {
        if (*c == ',') {
            if (group == 0 || group > 3 || (c > comma && group != 3))
                return false;
            group = 0;
            continue;
        }
        if (!is_digit(*c) || *nout >= AMOUNT_INT_DIGITS + 32)
            return false;
        out[(*nout)++] = *c;
        group++;
    }
    return comma == NULL || group == 3;
}

bool
parse_amount(const char *s, char *out, size_t outlen)
{
    size_t len;
    const char *p = trim(s, &len), *end = p + len;
    const char *dot = memchr(p, '.', len);
    const char *int_end = dot != NULL ? dot : end;
    char digits[AMOUNT_INT_DIGITS + 32];
    size_t nint = 0, nfrac = 0;

    if (!amount_int(p, int_end, digits, &nint))
        return false;
    const char *frac = dot != NULL ? dot + 1 : end;
    for (const char *c = frac; c < end; c++)
        if (!is_digit(*c) || ++nfrac > 4)
            return false;
    if (nint + nfrac == 0)
        return false;               /* blank, ".", "," */

    size_t lead = 0;
    while (lead + 1 < nint && digits[lead] == '0')
        lead++;
    while (nfrac > 0 && frac[nfrac - 1] == '0')
        nfrac--;
    size_t ni = nint > 0 ? nint - lead : 0;
    if (ni > AMOUNT_INT_DIGITS)
        return false;
    char canon[AMOUNT_INT_DIGITS + 7];
    size_t n = 0;
    if (ni == 0)
        canon[n++] = '0';           /* ".5" */
    memcpy(canon + n, digits + lead, ni);
    n += ni;
    if (nfrac > 0) {
        canon[n++] = '.';
        memcpy(canon + n, frac, nfrac);
        n += nfrac;
    }
    if (n + 1 > outlen)
        return false;
    memcpy(out, canon, n);
    out[n] = '\0';
    return true;
}

/* ---- vocabularies ---------------------------------------------------- */

/* zh[0] is the label we print; the rest are spellings seen in the sheets. */
struct term {
    const char *name;
    const char *zh[5];
};

struct vocab {
    const struct term *terms;
    size_t n;
    const char *expected;
};

static const struct term level_terms[] = {
    {"province", {"省", "省级", "省重点"}},
    {"city", {"市", "市级", "市重点"}},
};
static const struct term sector_terms[] = {
    {"industry", {"产业", "工业", "产业项目"}},
    {"urban", {"城建", "城市建设"}},
    {"infrastructure", {"基础设施"}},
    {"livelihood", {"民生", "社会民生", "社会事业"}},
    {"ecology", {"生态", "生态环保"}},
    {"other", {"其他"}},
};
static const struct term category_terms[] = {
    {"new", {"新开工", "新建"}},
    {"continuing", {"续建"}},
    {"preliminary", {"前期", "预备", "前期项目"}},
};
static const struct term status_terms[] = {
    {"preliminary", {"前期", "未开工"}},
    {"building", {"在建", "建设中", "续建"}},
    {"suspended", {"停工", "缓建"}},
    {"completed", {"竣工", "已竣工", "完工"}},
    {"operating", {"投产", "投用", "运营", "已投产"}},
};
static const struct term kind_terms[] = {
    {"start", {"开工"}},
    {"structure", {"主体", "主体完工"}},
    {"topping", {"封顶", "主体封顶"}},
    {"completion", {"竣工", "竣工验收"}},
    {"operation", {"投产", "投用", "通车", "投运"}},
    {"investment", {"投资", "完成投资"}},
    {"approval", {"审批", "手续", "要件"}},
    {"other", {"其他"}},
};
static const struct term light_terms[] = {
    {"red", {"红", "红灯"}},
    {"yellow", {"黄", "黄灯"}},
    {"green", {"绿", "绿灯"}},
};
static const struct term mstatus_terms[] = {
    {"pending", {"未完成", "进行中", "待完成", "否"}},
    {"done", {"已完成", "完成", "是"}},
    {"waived", {"免除", "取消", "不再考核"}},
};

#define VOCAB(t, e) {t, ARRAY_LEN(t), e}
static const struct vocab levels = VOCAB(level_terms, "省, 市 (or province, city)");
static const struct vocab sectors = VOCAB(sector_terms,
    "产业, 城建, 基础设施, 民生, 生态, 其他 "
    "(or industry, urban, infrastructure, livelihood, ecology, other)");
static const struct vocab categories = VOCAB(category_terms,
    "新开工, 续建, 前期 (or new, continuing, preliminary)");
static const struct vocab statuses = VOCAB(status_terms,
    "前期, 在建, 停工, 竣工, 投产 "
    "(or preliminary, building, suspended, completed, operating)");
static const struct vocab kinds = VOCAB(kind_terms,
    "开工, 主体, 封顶, 竣工, 投产, 投资, 审批, 其他 (or start, structure, "
    "topping, completion, operation, investment, approval, other)");
static const struct vocab lights = VOCAB(light_terms, "红, 黄, 绿 (or red, yellow, green)");
static const struct vocab mstatuses = VOCAB(mstatus_terms,
    "未完成, 已完成, 免除 (or pending, done, waived)");

static const char *
lookup(const struct vocab *v, const char *s)
{
    size_t len;
    const char *p = trim(s, &len);
    if (len == 0)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct term *t = &v->terms[i];
        if (strlen(t->name) == len && strncasecmp(t->name, p, len) == 0)
            return t->name;
        for (size_t j = 0; j < ARRAY_LEN(t->zh) && t->zh[j] != NULL; j++)
            if (strlen(t->zh[j]) == len && memcmp(t->zh[j], p, len) == 0)
                return t->name;
    }
    return NULL;
}

const char *
map_level(const char *s)
{
    return lookup(&levels, s);
}

const char *
map_sector(const char *s)
{
    return lookup(&sectors, s);
}

const char *
map_category(const char *s)
{
    return lookup(&categories, s);
}

const char *
map_status(const char *s)
{
    return lookup(&statuses, s);
}

const char *
map_milestone_kind(const char *s)
{
    return lookup(&kinds, s);
}

const char *
map_milestone_status(const char *s)
{
    return lookup(&mstatuses, s);
}

const char *
map_project_light(const char *s)
{
    return lookup(&lights, s);
}

const char *
project_light_expected(void)
{
    return lights.expected;
}

const char *
level_expected(void)
{
    return levels.expected;
}

const char *
sector_expected(void)
{
    return sectors.expected;
}

const char *
category_expected(void)
{
    return categories.expected;
}

const char *
status_expected(void)
{
    return statuses.expected;
}

const char *
milestone_kind_expected(void)
{
    return kinds.expected;
}

const char *
milestone_status_expected(void)
{
    return mstatuses.expected;
}

const char *
enum_label_zh(const char *canonical)
{
    /* Names shared by two vocabularies (preliminary, other) have the same
     * label in both, so the first match is the answer. */
    static const struct vocab *const all[] = {
        &levels, &sectors, &categories, &statuses, &kinds, &mstatuses, &lights,
    };
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        for (size_t j = 0; j < all[i]->n; j++)
            if (strcmp(all[i]->terms[j].name, canonical) == 0)
                return all[i]->terms[j].zh[0];
    return canonical;
}

/* ---- campaigns ------------------------------------------------------- */

/* "2026-B6", "2026-b06", "2026年第6期", "2026年第六期" → year and window. */
static bool
campaign_parts(const char *s, int *year, int *n)
{
    static const char *const zh_num[] = {"一", "二", "三", "四", "五", "六"};
    size_t len;
    const char *start = trim(s, &len), *p = start, *end = start + len;

    if (!read_num(&p, end, 4, year) || p - start != 4)
        return false;
    if (eat(&p, end, "-B") || eat(&p, end, "-b")) {
        if (!read_num(&p, end, 2, n))
            return false;
    } else if (eat(&p, end, "年第")) {
        *n = 0;
        for (size_t i = 0; i < ARRAY_LEN(zh_num) && *n == 0; i++)
            if (eat(&p, end, zh_num[i]))
                *n = (int)i + 1;
        if ((*n == 0 && !read_num(&p, end, 2, n)) || !eat(&p, end, "期"))
            return false;
    } else {
        return false;
    }
    return p == end && *year >= YEAR_MIN && *year <= YEAR_MAX && *n >= 1 && *n <= 6;
}

bool
parse_campaign(const char *s, char *out, size_t outlen)
{
    int y, n;
    if (!campaign_parts(s, &y, &n))
        return false;
    int w = snprintf(out, outlen, "%04d-B%d", y, n);
    return w > 0 && (size_t)w < outlen;
}

void
campaign_of_date(const struct ymd *d, char *out, size_t outlen)
{
    snprintf(out, outlen, "%04d-B%d", d->y, (d->m + 1) / 2);
}

bool
campaign_window(const char *code, struct ymd *first, struct ymd *last)
{
    int y, n;
    if (!campaign_parts(code, &y, &n))
        return false;
    first->y = last->y = y;
    first->m = 2 * n - 1;
    first->d = 1;
    last->m = 2 * n;
    last->d = days_in_month(y, last->m);
    return true;
}
