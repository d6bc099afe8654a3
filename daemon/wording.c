/* wording: one place that says what an alert means in Chinese, from the
 * facts its payload carries and the day it is said on. It must never read
 * the clock or quote a count computed on another day: every number that
 * depends on the date is computed here from the date passed in. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "util.h"
#include "wording.h"

/* ---- payload access ------------------------------------------------------ */

static const char *
jstr(const json_t *p, const char *obj, const char *key)
{
    const json_t *o = obj != NULL ? json_object_get(p, obj) : p;
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static bool
jnum(const json_t *p, const char *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(json_object_get(p, obj), key);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static bool
jdate(const json_t *p, const char *obj, const char *key, long *days)
{
    const char *s = jstr(p, obj, key);
    struct ymd d;
    if (s == NULL || strlen(s) < 10)
        return false;
    char ten[11];
    memcpy(ten, s, 10);
    ten[10] = '\0';
    if (!parse_date(ten, &d))
        return false;
    *days = ymd_to_days(&d);
    return true;
}

/* The last day of the month of a date. */
static long
month_end(long day)
{
    struct ymd d;
    days_to_ymd(day, &d);
    d.d = days_in_month(d.y, d.m);
    return ymd_to_days(&d);
}

static bool
kind_is(const char *kind, const char *name)
{
    return kind != NULL && strcmp(kind, name) == 0;
}

long
wording_days(const char *kind, const json_t *p, const struct ymd *today)
{
    long t = ymd_to_days(today), d;
    if ((kind_is(kind, "milestone.overdue") || kind_is(kind, "milestone.due_soon")) &&
        jdate(p, "milestone", "due", &d))
        return t - d;
    if (kind_is(kind, "approval.overdue") && jdate(p, "approval", "planned_on", &d))
        return t - d;
    if (kind_is(kind, "problem.overdue") && jdate(p, "problem", "time_limit", &d))
        return t - d;
    /* 应开未开 counts from the end of the planned start month (rules.c) */
    if (kind_is(kind, "project.start_overdue") && jdate(p, "schedule", "planned_start", &d))
        return t - month_end(d);
    if (kind_is(kind, "project.completion_overdue") && jdate(p, "schedule", "planned_end", &d))
        return t - d;
    return WORDING_NO_DAYS;
}

void
wording_days_phrase(long days, char *out, size_t outlen)
{
    if (days > 0)
        snprintf(out, outlen, "已逾期%ld天", days);
    else if (days == 0)
        snprintf(out, outlen, "今天到期");
    else
        snprintf(out, outlen, "还有%ld天到期", -days);
}

/* "逾期25天" / "今天到期" / "还有3天": a digest item says less. */
static void
days_short(long days, char *out, size_t outlen)
{
    if (days > 0)
        snprintf(out, outlen, "逾期%ld天", days);
    else if (days == 0)
        snprintf(out, outlen, "今天到期");
    else
        snprintf(out, outlen, "还有%ld天", -days);
}

/* ---- the sentence --------------------------------------------------------- */

struct say {
    const char *kind, *light;
    const json_t *p;
    enum wording_form form;
    long days;
    struct buf b;
};

/* "【逾期】涧西区 某项目" before the facts (FULL only); sep after the label. */
static void
head(struct say *s, const char *tag, const char *sep)
{
    if (s->form != WORDING_FULL)
        return;
    const char *county = jstr(s->p, "project", "county"), *name = jstr(s->p, "project", "name");
    buf_printf(&s->b, "【%s】%s%s%s%s", tag, county ? county : "", county && name ? " " : "",
               name ? name : "", county || name ? sep : "");
}

/* "，责任单位：X" inside a parenthesis; said unless a LEAD's detail lines
 * name the same unit. */
static void
unit_tail(struct say *s, const char *label, const char *unit)
{
    if (unit == NULL || s->form == WORDING_SHORT)
        return;
    if (s->form == WORDING_LEAD && str_eq(unit, jstr(s->p, "project", "unit")))
        return;
    buf_printf(&s->b, "，%s：%s", label, unit);
}

/* "（责任单位：X）" after a project-level sentence (FULL only: elsewhere
 * the detail lines say it). */
static void
unit_paren(struct say *s)
{
    const char *unit = jstr(s->p, "project", "unit");
    if (unit != NULL && s->form == WORDING_FULL)
        buf_printf(&s->b, "（责任单位：%s）", unit);
}

static bool
say_milestone(struct say *s)
{
    const char *title = jstr(s->p, "milestone", "title"), *due = jstr(s->p, "milestone", "due");
    if (title == NULL || due == NULL)
        return false;
    char ph[48];
    if (kind_is(s->kind, "milestone.freeze")) {
        bool red = str_eq(s->light, "red");
        if (s->form == WORDING_SHORT) {
            buf_printf(&s->b, "「%s」%s", title, red ? "未完工，已入冬季停工期" : "未完工，冬季停工期将至");
            return true;
        }
        head(s, red ? "封冻" : "封冻预警", "");
        buf_printf(&s->b, "「%s」%s（完成时限%.10s", title,
                   red ? "主体仍未完工，已进入冬季停工期" : "尚未完成，冬季停工期将至", due);
    } else {
        if (s->days == WORDING_NO_DAYS)
            return false;
        if (s->form == WORDING_SHORT) {
            days_short(s->days, ph, sizeof ph);
            buf_printf(&s->b, "「%s」%s", title, ph);
            return true;
        }
        wording_days_phrase(s->days, ph, sizeof ph);
        head(s, s->days > 0 ? "逾期" : "临期", "");
        buf_printf(&s->b, "「%s」%s（完成时限%.10s", title, ph, due);
    }
    unit_tail(s, "责任单位", jstr(s->p, "milestone", "unit"));
    buf_puts(&s->b, "）");
    return true;
}

static bool
say_approval(struct say *s)
{
    const char *item = jstr(s->p, "approval", "item"), *planned = jstr(s->p, "approval", "planned_on");
    if (item == NULL || planned == NULL || s->days == WORDING_NO_DAYS)
        return false;
    char ph[48];
    if (s->form == WORDING_SHORT) {
        days_short(s->days, ph, sizeof ph);
        buf_printf(&s->b, "审批「%s」%s", item, ph);
        return true;
    }
    wording_days_phrase(s->days, ph, sizeof ph);
    head(s, "审批逾期", "");
    buf_printf(&s->b, "「%s」%s（计划办结%s", item, ph, planned);
    unit_tail(s, "审批单位", jstr(s->p, "approval", "unit"));
    buf_puts(&s->b, "）");
    return true;
}

static bool
say_problem(struct say *s)
{
    const char *what = jstr(s->p, "problem", "description"), *limit = jstr(s->p, "problem", "time_limit");
    if (what == NULL || limit == NULL || s->days == WORDING_NO_DAYS)
        return false;
    bool red = str_eq(s->light, "red");
    if (s->form == WORDING_SHORT) {
        buf_printf(&s->b, "问题「%s」超过办结时限%ld天", what, s->days);
        return true;
    }
    head(s, "问题逾期", " ");
    if (red)
        buf_printf(&s->b, "问题「%s」超过办结时限%ld天仍未解决（时限%s", what, s->days, limit);
    else
        buf_printf(&s->b, "问题「%s」已超过办结时限%ld天（时限%s", what, s->days, limit);
    unit_tail(s, "责任单位", jstr(s->p, "problem", "unit"));
    buf_puts(&s->b, "）");
    return true;
}

static bool
say_schedule(struct say *s, bool start)
{
    const char *when = jstr(s->p, "schedule", start ? "planned_start" : "planned_end");
    if (when == NULL || s->days == WORDING_NO_DAYS)
        return false;
    const char *verb = start ? "开工" : "竣工";
    if (s->form == WORDING_SHORT) {
        buf_printf(&s->b, "%s（计划%s%s，已超%ld天）", start ? "应开未开" : "应竣未竣", when, verb, s->days);
        return true;
    }
    head(s, start ? "应开未开" : "应竣未竣", " ");
    buf_printf(&s->b, "计划%s%s，至今未%s（已超%ld天）", when, verb, verb, s->days);
    unit_paren(s);
    return true;
}

static bool
say_investment(struct say *s)
{
    const char *month = jstr(s->p, "investment", "month");
    double ytd, actual, behind;
    if (month == NULL || !jnum(s->p, "investment", "ytd", &ytd) ||
        !jnum(s->p, "investment", "actual_percent", &actual) ||
        !jnum(s->p, "investment", "behind_points", &behind))
        return false;
    if (s->form == WORDING_SHORT) {
        buf_printf(&s->b, "投资落后序时进度%.1f个百分点（截至%s）", behind, month);
        return true;
    }
    head(s, "投资滞后", " ");
    buf_printf(&s->b, "截至%s累计完成投资%.0f万元，为年度计划的%.1f%%，落后序时进度%.1f个百分点",
               month, ytd, actual, behind);
    unit_paren(s);
    return true;
}

static bool
say_report(struct say *s)
{
    const char *month = jstr(s->p, "report", "month");
    double periods = 0;
    if (month == NULL)
        return false;
    bool red = str_eq(s->light, "red") && jnum(s->p, "report", "periods", &periods);
    if (s->form == WORDING_SHORT) {
        if (red)
            buf_printf(&s->b, "连续%.0f个月未报投资月报", periods);
        else
            buf_printf(&s->b, "%s投资月报未报", month);
        return true;
    }
    head(s, "月报未报", " ");
    if (red)
        buf_printf(&s->b, "已连续%.0f个月未报投资月报（最近应报：%s）", periods, month);
    else
        buf_printf(&s->b, "%s投资月报逾期未报", month);
    unit_paren(s);
    return true;
}

static bool
say_stalled(struct say *s)
{
    const char *month = jstr(s->p, "progress", "month");
    double reports;
    if (month == NULL || !jnum(s->p, "progress", "reports", &reports))
        return false;
    if (s->form == WORDING_SHORT) {
        buf_printf(&s->b, "连续%.0f个月投资无实质进展", reports);
        return true;
    }
    head(s, "进度停滞", " ");
    buf_printf(&s->b, "截至%s连续%.0f个月投资无实质进展", month, reports);
    unit_paren(s);
    return true;
}

static bool
say_repeated_red(struct say *s)
{
    const json_t *months = json_object_get(s->p, "red_months");
    const char *m0 = json_string_value(json_array_get(months, 0));
    const char *m1 = json_string_value(json_array_get(months, 1));
    const char *reply = jstr(s->p, "supervision", "reply_due");
    const char *unit = jstr(s->p, "supervision", "to_unit");
    if (m0 == NULL || m1 == NULL || reply == NULL)
        return false;
    if (s->form == WORDING_SHORT) {
        buf_printf(&s->b, "连续两个月红灯，已发督办函（%s前反馈）", reply);
        return true;
    }
    head(s, "连续红灯", " ");
    buf_printf(&s->b, "%s、%s连续两个月亮红灯，已向%s发督办函，请于%s前反馈", m0, m1,
               unit ? unit : "责任单位", reply);
    return true;
}

/* ---- campaigns: no project; the scope is a county and a sector ---------- */

struct measure_words {
    const char *name, *label, *unit;
    int decimals;
};

static const struct measure_words measures[] = {
    { "starts", "开工", "个", 0 },
    { "completions", "竣工", "个", 0 },
    { "investment", "完成投资", "万元", 0 },
    { "approvals", "联审联批办结率", "%", 1 },
};

static bool
say_campaign(struct say *s, const struct ymd *today)
{
    const char *name = jstr(s->p, "campaign", "name"), *measure = jstr(s->p, "campaign", "measure");
    const char *first = jstr(s->p, "campaign", "starts_on"), *last = jstr(s->p, "campaign", "ends_on");
    const char *county = jstr(s->p, "campaign", "county"), *sector = jstr(s->p, "campaign", "sector");
    double target, actual;
    long end;
    const struct measure_words *m = NULL;
    for (size_t i = 0; measure != NULL && i < ARRAY_LEN(measures); i++)
        if (strcmp(measures[i].name, measure) == 0)
            m = &measures[i];
    if (name == NULL || m == NULL || first == NULL || last == NULL ||
        !jnum(s->p, "campaign", "target", &target) || !jnum(s->p, "campaign", "actual", &actual) ||
        !jdate(s->p, "campaign", "ends_on", &end))
        return false;
    bool missed = kind_is(s->kind, "campaign.missed");
    char scope[200];
    snprintf(scope, sizeof scope, "%s%s%s", county ? county : "全市", sector ? "·" : "",
             sector ? enum_label_zh(sector) : "");
    if (s->form == WORDING_FULL)
        buf_printf(&s->b, "【%s】", missed ? "攻坚未完成" : "攻坚预警");
    if (s->form != WORDING_SHORT)
        buf_printf(&s->b, "%s %s ", name, scope);
    buf_printf(&s->b, "%s目标%.*f%s，%s%.*f%s", m->label, m->decimals, target, m->unit,
               missed ? "实际完成" : "目前完成", m->decimals, actual, m->unit);
    if (missed) {
        if (s->form != WORDING_SHORT)
            buf_printf(&s->b, "（攻坚期%s至%s）", first, last);
        return true;
    }
    long left = end - ymd_to_days(today);
    if (left > 0)
        buf_printf(&s->b, "，距攻坚期结束还有%ld天", left);
    else if (left == 0)
        buf_puts(&s->b, "，攻坚期今天结束");
    else
        buf_puts(&s->b, "，攻坚期已结束");
    return true;
}

char *
wording_compose(const char *kind, const char *light, const json_t *payload,
                const struct ymd *today, enum wording_form form)
{
    if (kind == NULL || !json_is_object(payload) || today == NULL || !ymd_valid(today))
        return NULL;
    struct say s = { kind, light, payload, form, wording_days(kind, payload, today), { 0 } };
    buf_init(&s.b);
    bool ok;
    if (strncmp(kind, "milestone.", 10) == 0)
        ok = say_milestone(&s);
    else if (kind_is(kind, "approval.overdue"))
        ok = say_approval(&s);
    else if (kind_is(kind, "problem.overdue"))
        ok = say_problem(&s);
    else if (kind_is(kind, "project.start_overdue") || kind_is(kind, "project.completion_overdue"))
        ok = say_schedule(&s, kind_is(kind, "project.start_overdue"));
    else if (kind_is(kind, "investment.lagging"))
        ok = say_investment(&s);
    else if (kind_is(kind, "report.missing"))
        ok = say_report(&s);
    else if (kind_is(kind, "progress.stalled"))
        ok = say_stalled(&s);
    else if (kind_is(kind, "project.repeated_red"))
        ok = say_repeated_red(&s);
    else if (strncmp(kind, "campaign.", 9) == 0)
        ok = say_campaign(&s, today);
    else
        ok = false;
    if (!ok) {
        buf_free(&s.b);
        return NULL;
    }
    return buf_steal(&s.b);
}

/* ---- times ------------------------------------------------------------------ */

bool
wording_local_time(const char *s, char *short_out, size_t short_len, char *iso_out, size_t iso_len)
{
    double t;
    if (!clock_parse(s, &t)) {
        if (short_out != NULL)
            snprintf(short_out, short_len, "%s", s != NULL ? s : "");
        if (iso_out != NULL)
            snprintf(iso_out, iso_len, "%s", s != NULL ? s : "");
        return false;
    }
    if (short_out != NULL) {
        time_t x = (time_t)t;
        struct tm lt;
        localtime_r(&x, &lt);
        strftime(short_out, short_len, "%Y-%m-%d %H:%M", &lt);
    }
    if (iso_out != NULL) {
        char iso[32];
        clock_format(t, iso);
        snprintf(iso_out, iso_len, "%s", iso);
    }
    return true;
}

/* ---- a digest's title ---------------------------------------------------- */

char *
wording_digest_title(const json_t *p, const struct ymd *today)
{
    const char *head = jstr(p, NULL, "title_head");
    const json_t *by_day = json_object_get(p, "due_by_day");
    const json_t *over = json_object_get(p, "overdue"), *lights = json_object_get(p, "lights");
    if (head == NULL || !json_is_object(by_day) || !json_is_integer(over) || !json_is_object(lights))
        return NULL;
    /* what was due on or after the digest's date: overdue by today, or still to come */
    long t = ymd_to_days(today), late = (long)json_integer_value(over), week = 0;
    const char *day;
    const json_t *n;
    json_object_foreach((json_t *)by_day, day, n) {
        struct ymd d;
        if (!parse_date(day, &d) || !json_is_integer(n))
            return NULL;
        if (ymd_to_days(&d) < t)
            late += (long)json_integer_value(n);
        else
            week += (long)json_integer_value(n);
    }
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s｜逾期 %ld 项，本周到期 %ld 项｜项目红灯 %lld 黄灯 %lld 绿灯 %lld", head, late, week,
               (long long)json_integer_value(json_object_get(lights, "red")),
               (long long)json_integer_value(json_object_get(lights, "yellow")),
               (long long)json_integer_value(json_object_get(lights, "green")));
    return buf_steal(&b);
}
