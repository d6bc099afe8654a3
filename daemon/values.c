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

/* ---- word lists ----------------------------------------------------- */

#define WORDS(list, st) {NULL, list, ARRAY_LEN(list), st}
#define WORDS_ON(b, list, st) {&b, list, ARRAY_LEN(list), st}
#define W(n, ...) {.name = (n), .zh = {__VA_ARGS__}}

static const struct word level_words[] = {
    W("province", "省", "省级", "省重点"),
    W("city", "市", "市级", "市重点"),
};
static const struct word sector_words[] = {
    W("industry", "产业", "工业", "产业项目"),
    W("urban", "城建", "城市建设"),
    W("infrastructure", "基础设施"),
    W("livelihood", "民生", "社会民生", "社会事业"),
    W("ecology", "生态", "生态环保"),
    W("other", "其他"),
};
static const struct word category_words[] = {
    W("new", "新开工", "新建"),
    W("continuing", "续建"),
    W("preliminary", "前期", "预备", "前期项目"),
};
static const struct word status_words[] = {
    W("preliminary", "前期", "未开工"),
    W("building", "在建", "建设中", "续建"),
    W("suspended", "停工", "缓建"),
    W("completed", "竣工", "已竣工", "完工"),
    W("operating", "投产", "投用", "运营", "已投产"),
};
static const struct word mkind_words[] = {
    W("start", "开工"),
    W("structure", "主体", "主体完工"),
    W("topping", "封顶", "主体封顶"),
    W("completion", "竣工", "竣工验收"),
    W("operation", "投产", "投用", "通车", "投运"),
    W("investment", "投资", "完成投资"),
    W("approval", "审批", "手续", "要件"),
    W("other", "其他"),
};
static const struct word mstatus_words[] = {
    W("pending", "未完成", "进行中", "待完成", "否"),
    W("done", "已完成", "完成", "是"),
    W("waived", "免除", "取消", "不再考核"),
};
static const struct word overdue_word[] = {
    W("overdue", "逾期", "超期"),
};
/* Worst first, as people say it; rank is the severity. */
static const struct word light_words[] = {
    {.name = "red", .zh = {"红", "红灯"}, .rank = 2},
    {.name = "yellow", .zh = {"黄", "黄灯"}, .rank = 1},
    {.name = "green", .zh = {"绿", "绿灯"}, .rank = 0},
};
static const struct word tier_words[] = {
    W("unit", "责任单位", "单位"),
    W("leader", "分包领导", "领导"),
    W("office", "项目办", "办公室"),
};
static const struct word kind_words[] = {
    W("milestone.due_soon", "节点临期"),
    W("milestone.overdue", "节点逾期"),
    W("milestone.freeze", "封冻前主体未完工"),
    W("project.start_overdue", "应开未开"),
    W("project.completion_overdue", "应竣未竣"),
    W("investment.lagging", "投资滞后"),
    W("report.missing", "未按时填报"),
    W("progress.stalled", "进度停滞"),
    W("approval.overdue", "审批逾期"),
    W("problem.overdue", "问题逾期"),
    W("project.repeated_red", "连续红灯"),
    W("campaign.at_risk", "攻坚目标预警"),
    W("campaign.missed", "攻坚目标未完成"),
};
static const struct word digest_word[] = {
    W("digest", "汇总"),
};
static const struct word other_payload_words[] = {
    W("test", "测试消息"),
    W("rank", "排名"),
};
static const struct word severity_words[] = {
    W("ordinary", "一般", "普通"),
    W("major", "重大", "重要"),
};
static const struct word problem_status_words[] = {
    W("open", "未解决", "待解决", "未销号"),
    W("resolved", "已解决", "已销号", "解决"),
    W("overdue", "逾期", "超期"),
};
static const struct word approval_status_words[] = {
    W("pending", "未办结", "办理中", "未完成", "待办"),
    W("done", "已办结", "已完成", "完成", "办结"),
    W("waived", "免除", "不需办理"),
    W("overdue", "逾期", "超期"),
};
static const struct word order_status_words[] = {
    W("open", "未回复", "待回复"),
    W("replied", "已回复", "回复"),
    W("overdue", "逾期", "超期"),
};
/* What keyprojd says of itself and of a campaign (status, campaign list):
 * never typed, only shown, so one label each. */
static const struct word db_state_words[] = {
    W("connected", "已连接"),
    W("migrating", "升级中"),
    W("connected, schema unusable", "已连接，库结构不可用"),
    W("connecting", "连接中"),
    W("down", "未连接"),
};
static const struct word daemon_role_words[] = {
    W("leader", "主实例"),
    W("standby", "备用实例"),
};
static const struct word campaign_kind_words[] = {
    W("bimonthly", "双月攻坚"),
    W("hundred_day", "百日攻坚"),
    W("half_year", "半年攻坚"),
    W("other", "其他"),
};
static const struct word campaign_state_words[] = {
    W("past", "已结束"),
    W("current", "进行中"),
    W("upcoming", "未开始"),
};
/* The bulletin ranks 城区组, 县组 and 功能区组 apart (county.grp). */
static const struct word county_group_words[] = {
    W("district", "城区组", "城区"),
    W("county", "县组", "县"),
    W("zone", "功能区组", "功能区"),
};
static const struct word order_kind_words[] = {
    W("reminder", "提醒函"),
    W("supervision", "督办函"),
    W("assignment", "交办函"),
};

const struct words words_level = WORDS(level_words, WORDS_ZH_FIRST);
const struct words words_sector = WORDS(sector_words, WORDS_ZH_FIRST);
const struct words words_category = WORDS(category_words, WORDS_ZH_FIRST);
const struct words words_status = WORDS(status_words, WORDS_ZH_FIRST);
const struct words words_milestone_kind = WORDS(mkind_words, WORDS_ZH_FIRST);
const struct words words_milestone_status = WORDS(mstatus_words, WORDS_ZH_FIRST);
const struct words words_milestone_filter = WORDS_ON(words_milestone_status, overdue_word, WORDS_ZH_FIRST);
const struct words words_light = WORDS(light_words, WORDS_ZH_FIRST);
const struct words words_tier = WORDS(tier_words, WORDS_NAME_FIRST);
const struct words words_alert_kind = WORDS(kind_words, WORDS_NAMES);
const struct words words_alert_kind_digest = WORDS_ON(words_alert_kind, digest_word, WORDS_NAMES);
const struct words words_payload_type = WORDS_ON(words_alert_kind_digest, other_payload_words, WORDS_NAMES);
const struct words words_problem_severity = WORDS(severity_words, WORDS_ZH_FIRST);
const struct words words_problem_status = WORDS(problem_status_words, WORDS_ZH_FIRST);
const struct words words_approval_status = WORDS(approval_status_words, WORDS_ZH_FIRST);
const struct words words_order_status = WORDS(order_status_words, WORDS_ZH_FIRST);
const struct words words_order_kind = WORDS(order_kind_words, WORDS_ZH_FIRST);
const struct words words_db_state = WORDS(db_state_words, WORDS_NAMES);
const struct words words_daemon_role = WORDS(daemon_role_words, WORDS_NAMES);
const struct words words_campaign_kind = WORDS(campaign_kind_words, WORDS_ZH_FIRST);
const struct words words_campaign_state = WORDS(campaign_state_words, WORDS_NAMES);
const struct words words_county_group = WORDS(county_group_words, WORDS_ZH_FIRST);

size_t
words_count(const struct words *ws)
{
    return (ws->base ? words_count(ws->base) : 0) + ws->n;
}

const struct word *
words_at(const struct words *ws, size_t i)
{
    size_t nb = ws->base ? words_count(ws->base) : 0;
    if (i < nb)
        return words_at(ws->base, i);
    return i - nb < ws->n ? &ws->w[i - nb] : NULL;
}

/* Whether w is spelt p (len bytes) in a list of this style. */
static bool
word_is(const struct word *w, enum words_style style, const char *p, size_t len)
{
    if (style == WORDS_NAMES)
        return strlen(w->name) == len && memcmp(w->name, p, len) == 0;
    if (strlen(w->name) == len && strncasecmp(w->name, p, len) == 0)
        return true;
    for (size_t j = 0; j < ARRAY_LEN(w->zh) && w->zh[j] != NULL; j++)
        if (strlen(w->zh[j]) == len && memcmp(w->zh[j], p, len) == 0)
            return true;
    return false;
}

const char *
words_map(const struct words *ws, const char *s)
{
    size_t len;
    const char *p = trim(s, &len);
    if (len == 0)
        return NULL;
    for (size_t i = 0; i < words_count(ws); i++) {
        const struct word *w = words_at(ws, i);
        if (word_is(w, ws->style, p, len))
            return w->name;
    }
    return NULL;
}

const struct word *
words_named(const struct words *ws, const char *name)
{
    for (size_t i = 0; name != NULL && i < words_count(ws); i++)
        if (strcmp(words_at(ws, i)->name, name) == 0)
            return words_at(ws, i);
    return NULL;
}

static void
put_column(struct buf *b, const struct words *ws, bool zh)
{
    for (size_t i = 0; i < words_count(ws); i++) {
        const struct word *w = words_at(ws, i);
        buf_printf(b, "%s%s", i ? ", " : "", zh && w->zh[0] ? w->zh[0] : w->name);
    }
}

char *
words_expected_new(const struct words *ws)
{
    struct buf b;
    buf_init(&b);
    bool zh_first = ws->style == WORDS_ZH_FIRST;
    put_column(&b, ws, zh_first);
    if (ws->style != WORDS_NAMES) {
        buf_puts(&b, " (or ");
        put_column(&b, ws, !zh_first);
        buf_putc(&b, ')');
    }
    return buf_steal(&b);
}

const char *
enum_label_zh(const char *canonical)
{
    /* The spreadsheet's vocabularies. Names shared by two (preliminary,
     * other) have the same label in both, so the first match is the answer. */
    static const struct words *const all[] = {
        &words_level, &words_sector, &words_category, &words_status, &words_milestone_kind,
        &words_milestone_status, &words_light,
    };
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        const struct word *w = words_named(all[i], canonical);
        if (w != NULL)
            return w->zh[0];
    }
    return canonical;
}

int
light_rank(const char *light)
{
    const struct word *w = words_named(&words_light, light);
    return w ? w->rank : -1;
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

/* ---- project codes --------------------------------------------------------- */

bool
project_code_looks_national(const char *s)
{
    size_t dashes = 0;
    if (*s == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '-')
            dashes++;
        else if (*p < '0' || *p > '9')
            return false;
    }
    return dashes >= 3;
}

/* Province-level divisions (GB/T 2260): the first two digits of a region. */
static bool
province_known(int pp)
{
    static const int provinces[] = {
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65,
    };
    for (size_t i = 0; i < ARRAY_LEN(provinces); i++)
        if (provinces[i] == pp)
            return true;
    return false;
}

bool
project_code_national(const char *s, char *why, size_t whylen)
{
    static const int part_len[] = { 4, 6, 2, 2, 6 };
    static const char *const part_name[] = { "year", "division", "industry", "type", "serial" };
    char scratch[8];
    if (why == NULL || whylen == 0)
        why = scratch, whylen = sizeof scratch;
    const char *p = s;
    for (size_t i = 0; i < ARRAY_LEN(part_len); i++) {
        size_t n = strspn(p, "0123456789");
        if (n != (size_t)part_len[i] || p[n] != (i + 1 < ARRAY_LEN(part_len) ? '-' : '\0')) {
            if (i + 1 < ARRAY_LEN(part_len))
                snprintf(why, whylen, "the %s should be %d digits followed by '-'", part_name[i], part_len[i]);
            else
                snprintf(why, whylen, "the %s should be %d digits at the end", part_name[i], part_len[i]);
            return false;
        }
        p += n + (i + 1 < ARRAY_LEN(part_len));
    }
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (year < 2000 || year > 2099) {
        snprintf(why, whylen, "the year %.4s is not 2000 to 2099", s);
        return false;
    }
    if (!province_known((s[5] - '0') * 10 + (s[6] - '0'))) {
        snprintf(why, whylen, "the division %.6s is no Chinese administrative division "
                 "(its first two digits name no province)", s + 5);
        return false;
    }
    return true;
}

bool
project_code_local_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool alnum = (*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z');
        if (alnum || *p >= 0x80)
            continue;
        if (p == (const unsigned char *)s || strchr("-_./()", *p) == NULL)
            return false;
    }
    return true;
}
