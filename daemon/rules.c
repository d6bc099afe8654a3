/* rules: which alerts should exist on a business date, each project's
 * light, and when either can next change. Must never read the clock, touch
 * the database or allocate, and a stage must never depend on "today": only
 * on the row and the day the stage began (alert keys are idempotent). */
#include "ac_config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "util.h"

#define NEVER LONG_MAX
/* Shares and points are doubles; the tolerance keeps an exact boundary
 * (10.000 points behind) on the side the published rule puts it, whatever
 * the rounding of 0.25 - 0.15. */
#define EPS 1e-9

/* ---- dates as days since 1970-01-01 and months as y*12 + m-1 ------------ */

static bool
has_date(const struct ymd *d)
{
    return d->y != 0;
}

static long
day_of(const struct ymd *d)
{
    return ymd_to_days(d);
}

static long
month_of(int y, int m)
{
    return (long)y * 12 + (m - 1);
}

static long
month_first(long mi)
{
    struct ymd d = { (int)(mi / 12), (int)(mi % 12) + 1, 1 };
    return ymd_to_days(&d);
}

static long
md_in_year(int y, struct rules_md md)
{
    struct ymd d = { y, md.m, md.d };
    return ymd_to_days(&d);
}

/* The first day on or after `from` that falls on md. */
static long
md_on_or_after(long from, struct rules_md md)
{
    struct ymd f;
    days_to_ymd(from, &f);
    long d = md_in_year(f.y, md);
    return d >= from ? d : md_in_year(f.y + 1, md);
}

static void
date_text(long day, char out[11])
{
    struct ymd d;
    days_to_ymd(day, &d);
    format_date(&d, out);
}

static void
month_text(long mi, char out[8])
{
    char full[11];
    date_text(month_first(mi), full);
    memcpy(out, full, 7);       /* "2026-10" of "2026-10-01" */
    out[7] = '\0';
}

/* ---- configuration ---------------------------------------------------- */

void
rules_config_default(struct rules_config *cfg)
{
    /* the published defaults (doc/alerts.md) */
    *cfg = (struct rules_config){
        .due_soon_days = { 7, 3, 1 },
        .n_due_soon_days = 3,
        .overdue_repeat_days = 3,
        .milestone_red_days = 15,
        .freeze_warn = { 10, 31 },
        .freeze_red = { 11, 15 },
        .freeze_end = { 3, 15 },
        .start_red_months = 3,
        .lag_yellow_points = 10,
        .lag_red_points = 30,
        .report_due_day = 5,
        .report_red_periods = 2,
        .stalled_yellow_reports = 2,
        .stalled_red_reports = 3,
        .stalled_min_change = 1,
        .stalled_min_percent = 0.5,
        .approval_red_days = 15,
        .problem_days = 7,
        .problem_major_days = 30,
        .campaign_risk_days = { 14, 7 },
        .n_campaign_risk_days = 2,
        .escalate_leader_days = 7,
        .escalate_office_days = 15,
    };
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* A recurring month-day: any real day but 02-29, which most years lack. */
static bool
md_ok(struct rules_md md)
{
    struct ymd d = { 2001, md.m, md.d };
    return ymd_valid(&d);
}

/* Where md falls in a heating season that begins at end (0 = that day). */
static int
season_pos(struct rules_md md, struct rules_md end)
{
    int k = md.m * 100 + md.d, e = end.m * 100 + end.d;
    return k >= e ? k - e : k + 1300 - e;
}

/* Whole days lists: each in lo..hi, strictly decreasing. */
static bool
days_list_ok(const int *v, size_t n, size_t max, int lo, int hi)
{
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < lo || v[i] > hi || (i > 0 && v[i] >= v[i - 1]))
            return false;
    return true;
}

static bool
int_ok(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

static bool
check_freeze(const struct rules_config *cfg, char *err, size_t errlen)
{
    if (!md_ok(cfg->freeze_warn) || !md_ok(cfg->freeze_red) || !md_ok(cfg->freeze_end))
        return fail(err, errlen, "alerts.freeze_warn, freeze_red, freeze_end: expected "
                    "\"MM-DD\" days like \"10-31\" (02-29 is not every year)");
    if (season_pos(cfg->freeze_warn, cfg->freeze_end) > season_pos(cfg->freeze_red, cfg->freeze_end))
        return fail(err, errlen, "alerts.freeze_red: must not come before freeze_warn "
                    "in the season that starts at freeze_end");
    return true;
}

bool
rules_config_check(const struct rules_config *cfg, char *err, size_t errlen)
{
    if (!days_list_ok(cfg->due_soon_days, cfg->n_due_soon_days, RULES_MAX_DUE_SOON, 0, 365))
        return fail(err, errlen, "alerts.due_soon_days: expected up to %d decreasing whole "
                    "days between 365 and 0, like [ 7, 3, 1 ]", RULES_MAX_DUE_SOON);
    if (!int_ok(cfg->overdue_repeat_days, 1, 365))
        return fail(err, errlen, "alerts.overdue_repeat_days: expected 1 to 365 days");
    if (!int_ok(cfg->milestone_red_days, 0, 3650) || !int_ok(cfg->approval_red_days, 0, 3650))
        return fail(err, errlen, "alerts.milestone_red_days, approval_red_days: expected 0 to 3650 days");
    if (!check_freeze(cfg, err, errlen))
        return false;
    if (!int_ok(cfg->start_red_months, 1, 120))
        return fail(err, errlen, "alerts.start_red_months: expected 1 to 120 months");
    if (!(cfg->lag_yellow_points >= 0 && cfg->lag_red_points >= cfg->lag_yellow_points &&
          cfg->lag_red_points <= 100))
        return fail(err, errlen, "alerts.lag_yellow_points, lag_red_points: expected "
                    "0 <= yellow <= red <= 100 points");
    if (!int_ok(cfg->report_due_day, 1, 31) || !int_ok(cfg->report_red_periods, 1, 12))
        return fail(err, errlen, "alerts.report_due_day: expected 1 to 31; "
                    "alerts.report_red_periods: expected 1 to 12");
    if (!int_ok(cfg->stalled_yellow_reports, 1, 12) ||
        !int_ok(cfg->stalled_red_reports, cfg->stalled_yellow_reports, 12))
        return fail(err, errlen, "alerts.stalled_yellow_reports, stalled_red_reports: "
                    "expected 1 <= yellow <= red <= 12");
    if (!(cfg->stalled_min_change >= 0) || !(cfg->stalled_min_percent >= 0 && cfg->stalled_min_percent <= 100))
        return fail(err, errlen, "alerts.stalled_min_change: expected >= 0 万元; "
                    "alerts.stalled_min_percent: expected 0 to 100");
    if (!int_ok(cfg->problem_days, 0, 3650) || !int_ok(cfg->problem_major_days, 0, 3650))
        return fail(err, errlen, "alerts.problem_days, problem_major_days: expected 0 to 3650 days");
    if (!days_list_ok(cfg->campaign_risk_days, cfg->n_campaign_risk_days, RULES_MAX_RISK_DAYS, 1, 365))
        return fail(err, errlen, "alerts.campaign_risk_days: expected up to %d decreasing "
                    "whole days between 365 and 1, like [ 14, 7 ]", RULES_MAX_RISK_DAYS);
    if (!int_ok(cfg->escalate_leader_days, 0, 3650) ||
        !int_ok(cfg->escalate_office_days, cfg->escalate_leader_days, 3650))
        return fail(err, errlen, "alerts.escalate_leader_days, escalate_office_days: "
                    "expected 0 <= leader <= office <= 3650 days");
    return true;
}

/* ---- one evaluation: the row's decisions and its earliest change -------- */

struct eval {
    const struct rules_config *cfg;
    struct ymd t;               /* today */
    long today;
    long next;                  /* NEVER: nothing changes with time alone */
    struct rules_out *out;
};

static void
eval_begin(struct eval *ev, const struct rules_config *cfg, struct ymd today,
           struct rules_out *out)
{
    ev->cfg = cfg;
    ev->t = today;
    ev->today = day_of(&today);
    ev->next = NEVER;
    ev->out = out;
    out->n = 0;
    out->light = RULES_GREEN;
    out->next = (struct ymd){ 0, 0, 0 };
}

static void
eval_end(struct eval *ev)
{
    if (ev->next != NEVER)
        days_to_ymd(ev->next, &ev->out->next);
}

static void
next_at(struct eval *ev, long day)
{
    if (day < ev->next)
        ev->next = day;
}

/* Appends a decision; the caller writes its stage. A row runs at most five
 * rules, one decision each; the clamp only keeps a future rule from
 * writing past the array. */
static struct rules_decision *
add(struct eval *ev, enum rules_kind kind, enum rules_light light, long since, long days_late)
{
    struct rules_out *o = ev->out;
    if (o->n == RULES_MAX_DECISIONS)
        o->n--;
    struct rules_decision *d = &o->d[o->n++];
    d->kind = kind;
    d->light = light;
    days_to_ymd(since, &d->since);
    d->days_late = days_late > INT_MAX ? INT_MAX : (int)days_late;
    d->tier = rules_tier(ev->cfg, kind, light, d->days_late);
    d->stage[0] = '\0';
    o->light = rules_light_worst(o->light, light);
    return d;
}

/* ---- deadlines: due soon, then overdue every repeat interval ------------ */

/* Overdue stages fall on days 1, 1 + r, 1 + 2r, … after the due day, plus
 * the first red day (red_days + 1) so that a change of light always starts
 * a stage even when it is off the repeat grid. */
static enum rules_light
overdue_ladder(struct eval *ev, enum rules_kind kind, long due, int red_days)
{
    long off = ev->today - due, r = ev->cfg->overdue_repeat_days, red = (long)red_days + 1;
    if (off < 1) {
        next_at(ev, due + 1);
        return RULES_GREEN;
    }
    long s = 1 + (off - 1) / r * r;
    long n = s + r;
    if (red <= off && red > s)
        s = red;
    if (red > off && red < n)
        n = red;
    enum rules_light light = s >= red ? RULES_RED : RULES_YELLOW;
    char date[11];
    date_text(due, date);
    struct rules_decision *d = add(ev, kind, light, due + s, s);
    snprintf(d->stage, sizeof d->stage, "%s/overdue-%ld", date, s);
    next_at(ev, due + n);
    return light;
}

/* The current due-soon stage is the nearest one already begun (7, 3, 1:
 * five days before is still "due-7"). */
static void
due_soon(struct eval *ev, long due)
{
    const struct rules_config *cfg = ev->cfg;
    long off = ev->today - due, cur = -1, upcoming = -1;
    for (size_t i = 0; i < cfg->n_due_soon_days; i++) {
        long k = cfg->due_soon_days[i];
        if (-k <= off && (cur < 0 || k < cur))
            cur = k;
        if (-k > off && k > upcoming)
            upcoming = k;
    }
    next_at(ev, upcoming >= 0 ? due - upcoming : due + 1);
    if (cur < 0)
        return;
    char date[11];
    date_text(due, date);
    struct rules_decision *d = add(ev, RULES_MILESTONE_DUE_SOON, RULES_GREEN, due - cur, 0);
    snprintf(d->stage, sizeof d->stage, "%s/due-%ld", date, cur);
}

/* ---- the heating season (freeze) ----------------------------------------- */

/* Season Y runs from freeze_end of Y (the thaw) to freeze_end of Y + 1. */
static int
season_of(const struct rules_config *cfg, long day, int year)
{
    return day >= md_in_year(year, cfg->freeze_end) ? year : year - 1;
}

/* A pending structure milestone is judged against the freeze of the season
 * it is due in, or of the current season once that one is later (still not
 * done a year on). Warn, then red, until the thaw. */
static void
freeze(struct eval *ev, const struct ymd *due_on)
{
    const struct rules_config *cfg = ev->cfg;
    int now_season = season_of(cfg, ev->today, ev->t.y);
    int y = season_of(cfg, day_of(due_on), due_on->y);
    if (y < now_season)
        y = now_season;
    long warn = md_on_or_after(md_in_year(y, cfg->freeze_end), cfg->freeze_warn);
    long red = md_on_or_after(warn, cfg->freeze_red);
    if (y > now_season || ev->today < warn) {
        next_at(ev, warn);
        return;
    }
    bool is_red = ev->today >= red;
    struct rules_decision *d = add(ev, RULES_MILESTONE_FREEZE, is_red ? RULES_RED : RULES_YELLOW,
                                   is_red ? red : warn, 0);
    snprintf(d->stage, sizeof d->stage, "%d/%s", y, is_red ? "red" : "warn");
    next_at(ev, is_red ? md_in_year(y + 1, cfg->freeze_end) : red);
}

void
rules_milestone(const struct rules_config *cfg, const struct rules_milestone *m,
                struct ymd today, struct rules_out *out)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    if (str_eq(m->status, "pending") && has_date(&m->due_on)) {
        long due = day_of(&m->due_on);
        /* Only the current stage: a milestone found overdue gets no
         * due-soon stages it was never sent. */
        if (ev.today > due)
            overdue_ladder(&ev, RULES_MILESTONE_OVERDUE, due, cfg->milestone_red_days);
        else
            due_soon(&ev, due);
        if (str_eq(m->kind, "structure"))
            freeze(&ev, &m->due_on);
    }
    eval_end(&ev);
}

void
rules_approval(const struct rules_config *cfg, const struct rules_approval *a,
               struct ymd today, struct rules_out *out)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    if (str_eq(a->status, "pending") && has_date(&a->planned_on))
        overdue_ladder(&ev, RULES_APPROVAL_OVERDUE, day_of(&a->planned_on), cfg->approval_red_days);
    eval_end(&ev);
}

/* Yellow past the time limit, red past twice the time limit counted from
 * the day the problem was reported. */
void
rules_problem(const struct rules_config *cfg, const struct rules_problem *p,
              struct ymd today, struct rules_out *out)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    if (str_eq(p->status, "open") && has_date(&p->reported_on)) {
        long rep = day_of(&p->reported_on);
        long limit = has_date(&p->time_limit) ? day_of(&p->time_limit)
                   : rep + (str_eq(p->severity, "major") ? cfg->problem_major_days : cfg->problem_days);
        long span = limit > rep ? limit - rep : 0;
        long yellow_from = limit + 1, red_from = limit + span + 1;
        if (ev.today < yellow_from) {
            next_at(&ev, yellow_from);
        } else {
            bool red = ev.today >= red_from;
            long since = red ? red_from : yellow_from;
            char date[11];
            date_text(limit, date);
            struct rules_decision *d = add(&ev, RULES_PROBLEM_OVERDUE,
                                           red ? RULES_RED : RULES_YELLOW, since, since - limit);
            snprintf(d->stage, sizeof d->stage, "%s/%s", date, rules_light_name(d->light));
            if (!red)
                next_at(&ev, red_from);
        }
    }
    eval_end(&ev);
}

/* ---- project-level rules -------------------------------------------------- */

static bool
started(const struct rules_project *p)
{
    return has_date(&p->actual_start) || str_eq(p->category, "continuing") ||
           (p->status != NULL && !str_eq(p->status, "preliminary"));
}

static bool
completed(const struct rules_project *p)
{
    return has_date(&p->actual_end) || str_eq(p->status, "completed") ||
           str_eq(p->status, "operating");
}

/* 应开未开: late once the planned start month is over, red from its
 * start_red_months-th month after; one stage per month while late. */
static enum rules_light
rule_start(struct eval *ev, const struct rules_project *p)
{
    if (!has_date(&p->planned_start) || started(p))
        return RULES_GREEN;
    long pm = month_of(p->planned_start.y, p->planned_start.m);
    long tm = month_of(ev->t.y, ev->t.m);
    if (tm - pm < 1) {
        next_at(ev, month_first(pm + 1));
        return RULES_GREEN;
    }
    enum rules_light light = tm - pm >= ev->cfg->start_red_months ? RULES_RED : RULES_YELLOW;
    long since = month_first(tm);
    char date[11], month[8];
    date_text(day_of(&p->planned_start), date);
    month_text(tm, month);
    struct rules_decision *d = add(ev, RULES_START_OVERDUE, light, since,
                                   since - (month_first(pm + 1) - 1));
    snprintf(d->stage, sizeof d->stage, "%s/%s", date, month);
    next_at(ev, month_first(tm + 1));
    return light;
}

/* 应竣未竣: red from the day after the planned end; one stage per month. */
static enum rules_light
rule_completion(struct eval *ev, const struct rules_project *p)
{
    if (!has_date(&p->planned_end) || completed(p))
        return RULES_GREEN;
    long end = day_of(&p->planned_end);
    if (ev->today <= end) {
        next_at(ev, end + 1);
        return RULES_GREEN;
    }
    long tm = month_of(ev->t.y, ev->t.m);
    long since = month_first(tm) > end ? month_first(tm) : end + 1;
    char date[11], month[8];
    date_text(end, date);
    month_text(tm, month);
    struct rules_decision *d = add(ev, RULES_COMPLETION_OVERDUE, RULES_RED, since, since - end);
    snprintf(d->stage, sizeof d->stage, "%s/%s", date, month);
    next_at(ev, month_first(tm + 1));
    return RULES_RED;
}

/* Data-driven stages carry their light: a corrected report that changes
 * the light must be a new alert, not swallowed by the unique key. */
static void
stage_month_light(struct rules_decision *d, int y, int m)
{
    char month[8];
    month_text(month_of(y, m), month);
    snprintf(d->stage, sizeof d->stage, "%s/%s", month, rules_light_name(d->light));
}

/* 序时进度 on the last reported month: the planned cumulative share, or
 * m/12 of the annual plan, against ytd / annual plan, in points. */
static enum rules_light
rule_investment(struct eval *ev, const struct rules_project *p)
{
    const struct rules_config *cfg = ev->cfg;
    if (p->n_reports == 0 || p->annual_plan <= 0)
        return RULES_GREEN;
    const struct rules_report *r = &p->reports[0];
    if (r->y != p->year || r->m < 1 || r->m > 12)
        return RULES_GREEN;
    double expected = p->has_planned_cumulative ? p->planned_cumulative / p->annual_plan
                                                : r->m / 12.0;
    double behind = (expected - r->ytd / p->annual_plan) * 100.0;
    enum rules_light light = behind > cfg->lag_red_points + EPS ? RULES_RED
                           : behind >= cfg->lag_yellow_points - EPS ? RULES_YELLOW
                           : RULES_GREEN;
    if (light == RULES_GREEN)
        return light;
    struct rules_decision *d = add(ev, RULES_INVESTMENT_LAGGING, light,
                                   month_first(month_of(r->y, r->m) + 1), 0);
    stage_month_light(d, r->y, r->m);
    return light;
}

/* The first day the report for month mi is late: the day after
 * report_due_day of the next month (its last day when that is shorter). */
static long
report_late_from(const struct rules_config *cfg, long mi)
{
    struct ymd due = { (int)((mi + 1) / 12), (int)((mi + 1) % 12) + 1, cfg->report_due_day };
    int dim = days_in_month(due.y, due.m);
    if (due.d > dim)
        due.d = dim;
    return day_of(&due) + 1;
}

static bool
has_report(const struct rules_project *p, long mi)
{
    for (size_t i = 0; i < p->n_reports; i++)
        if (month_of(p->reports[i].y, p->reports[i].m) == mi)
            return true;
    return false;
}

/* Reports are owed for the months of the list year (from reports_from);
 * judged on the latest month whose report is late. */
static enum rules_light
rule_report(struct eval *ev, const struct rules_project *p)
{
    const struct rules_config *cfg = ev->cfg;
    if (completed(p))
        return RULES_GREEN;
    long from = month_of(p->year, 1), to = month_of(p->year, 12);
    if (has_date(&p->reports_from) && month_of(p->reports_from.y, p->reports_from.m) > from)
        from = month_of(p->reports_from.y, p->reports_from.m);
    long tm = month_of(ev->t.y, ev->t.m);
    long per = ev->today >= report_late_from(cfg, tm - 1) ? tm - 1 : tm - 2;
    if (per > to)
        return RULES_GREEN;             /* nothing owed any more */
    if (per < from) {
        if (from <= to)
            next_at(ev, report_late_from(cfg, from));
        return RULES_GREEN;
    }
    bool missing_now = !has_report(p, per);
    /* the next period takes over, or this one's alert ends after the last */
    if (per < to || missing_now)
        next_at(ev, report_late_from(cfg, per + 1));
    if (!missing_now)
        return RULES_GREEN;
    int missing = 1;
    while (missing < cfg->report_red_periods && per - missing >= from &&
           !has_report(p, per - missing))
        missing++;
    enum rules_light light = missing >= cfg->report_red_periods ? RULES_RED : RULES_YELLOW;
    struct rules_decision *d = add(ev, RULES_REPORT_MISSING, light, report_late_from(cfg, per), 1);
    stage_month_light(d, (int)(per / 12), (int)(per % 12) + 1);
    return light;
}

/* How many of the latest reports in a row show no real change in ytd over
 * the report before (ytd restarts each January). */
static int
stalled_reports(const struct rules_config *cfg, const struct rules_project *p)
{
    double min = cfg->stalled_min_change;
    if (p->annual_plan * cfg->stalled_min_percent / 100.0 > min)
        min = p->annual_plan * cfg->stalled_min_percent / 100.0;
    int still = 0;
    for (size_t i = 0; i < p->n_reports && still < cfg->stalled_red_reports; i++) {
        const struct rules_report *r = &p->reports[i];
        const struct rules_report *prev = i + 1 < p->n_reports ? &p->reports[i + 1] : NULL;
        double change;
        if (prev != NULL && prev->y == r->y)
            change = r->ytd - prev->ytd;
        else if (prev != NULL || r->m == 1)
            change = r->ytd;
        else
            break;          /* nothing to compare with */
        if (change >= min - EPS)
            break;
        still++;
    }
    return still;
}

static enum rules_light
rule_stalled(struct eval *ev, const struct rules_project *p)
{
    const struct rules_config *cfg = ev->cfg;
    if (!started(p) || completed(p) || p->n_reports == 0)
        return RULES_GREEN;
    int still = stalled_reports(cfg, p);
    enum rules_light light = still >= cfg->stalled_red_reports ? RULES_RED
                           : still >= cfg->stalled_yellow_reports ? RULES_YELLOW
                           : RULES_GREEN;
    if (light == RULES_GREEN)
        return light;
    const struct rules_report *r = &p->reports[0];
    struct rules_decision *d = add(ev, RULES_PROGRESS_STALLED, light,
                                   month_first(month_of(r->y, r->m) + 1), 0);
    stage_month_light(d, r->y, r->m);
    return light;
}

void
rules_project(const struct rules_config *cfg, const struct rules_project *p,
              struct ymd today, struct rules_out *out, struct rules_parts *parts)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    enum rules_light start = rule_start(&ev, p);
    enum rules_light completion = rule_completion(&ev, p);
    enum rules_light investment = rule_investment(&ev, p);
    enum rules_light report = rule_report(&ev, p);
    enum rules_light stalled = rule_stalled(&ev, p);
    eval_end(&ev);
    if (parts != NULL) {
        parts->light[RULES_PART_START] = start;
        parts->light[RULES_PART_COMPLETION] = completion;
        parts->light[RULES_PART_INVESTMENT] = investment;
        parts->light[RULES_PART_REPORT] = report;
        parts->light[RULES_PART_STALLED] = stalled;
    }
}

#define ONE_PROJECT_RULE(name, rule)                                                  \
    void                                                                              \
    name(const struct rules_config *cfg, const struct rules_project *p,              \
         struct ymd today, struct rules_out *out)                                     \
    {                                                                                 \
        struct eval ev;                                                               \
        eval_begin(&ev, cfg, today, out);                                             \
        rule(&ev, p);                                                                 \
        eval_end(&ev);                                                                \
    }

ONE_PROJECT_RULE(rules_start_overdue, rule_start)
ONE_PROJECT_RULE(rules_completion_overdue, rule_completion)
ONE_PROJECT_RULE(rules_investment_lagging, rule_investment)
ONE_PROJECT_RULE(rules_report_missing, rule_report)
ONE_PROJECT_RULE(rules_progress_stalled, rule_stalled)

struct ymd
rules_reports_from(const struct rules_config *cfg, struct ymd entered)
{
    long mi = month_of(entered.y, entered.m) - 1;
    if (report_late_from(cfg, mi) <= day_of(&entered))
        mi++;           /* last month's report was late already */
    struct ymd r = { (int)(mi / 12), (int)(mi % 12) + 1, 1 };
    return r;
}

size_t
rules_reports_needed(const struct rules_config *cfg)
{
    /* report.missing may meet up to two newer months before the late ones */
    int a = cfg->stalled_red_reports + 1, b = cfg->report_red_periods + 2;
    return (size_t)(a > b ? a : b);
}

/* ---- repeated red and campaigns ----------------------------------------- */

void
rules_repeated_red(const struct rules_config *cfg, enum rules_light last,
                   enum rules_light before_last, struct ymd today, struct rules_out *out)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    long tm = month_of(today.y, today.m);
    if (last == RULES_RED && before_last == RULES_RED) {
        struct rules_decision *d = add(&ev, RULES_REPEATED_RED, RULES_RED, month_first(tm), 0);
        month_text(tm - 1, d->stage);
    }
    next_at(&ev, month_first(tm + 1));     /* the periods move on */
    eval_end(&ev);
}

/* At risk on each campaign_risk_days stage before the window's last day
 * when the actual is below the target pro-rated to the days gone before
 * that stage; missed from the day after the window. */
void
rules_campaign(const struct rules_config *cfg, const struct rules_campaign *c,
               struct ymd today, struct rules_out *out)
{
    struct eval ev;
    eval_begin(&ev, cfg, today, out);
    if (has_date(&c->first) && has_date(&c->last) && c->target > 0) {
        long first = day_of(&c->first), last = day_of(&c->last), cur = LONG_MIN;
        int cur_k = 0;
        char date[11];
        date_text(last, date);
        if (ev.today > last) {
            if (c->actual < c->target - EPS) {
                struct rules_decision *d = add(&ev, RULES_CAMPAIGN_MISSED, RULES_RED, last + 1, 1);
                snprintf(d->stage, sizeof d->stage, "%s", date);
            }
            eval_end(&ev);
            return;
        }
        for (size_t i = 0; i < cfg->n_campaign_risk_days; i++) {
            long s = last - cfg->campaign_risk_days[i];
            if (s < first)
                continue;           /* a short window: no stage before it opens */
            if (s > ev.today)
                next_at(&ev, s);
            else if (s > cur)
                cur = s, cur_k = cfg->campaign_risk_days[i];
        }
        next_at(&ev, last + 1);
        if (cur != LONG_MIN &&
            c->actual < c->target * (double)(cur - first) / (double)(last - first + 1) - EPS) {
            struct rules_decision *d = add(&ev, RULES_CAMPAIGN_AT_RISK, RULES_YELLOW, cur, 0);
            snprintf(d->stage, sizeof d->stage, "%s/left-%d", date, cur_k);
        }
    }
    eval_end(&ev);
}

/* ---- lights, escalation, names ------------------------------------------- */

void
rules_parts_init(struct rules_parts *parts)
{
    for (size_t i = 0; i < RULES_PART_COUNT; i++)
        parts->light[i] = RULES_GREEN;
}

enum rules_light
rules_light_worst(enum rules_light a, enum rules_light b)
{
    return a > b ? a : b;
}

enum rules_light
rules_light_fold(const struct rules_parts *parts)
{
    enum rules_light l = RULES_GREEN;
    for (size_t i = 0; i < RULES_PART_COUNT; i++)
        l = rules_light_worst(l, parts->light[i]);
    return l;
}

size_t
rules_light_reasons(const struct rules_parts *parts, enum rules_part out[RULES_PART_COUNT])
{
    static const enum rules_light order[] = { RULES_RED, RULES_YELLOW };
    size_t n = 0;
    for (size_t o = 0; o < ARRAY_LEN(order); o++)
        for (size_t i = 0; i < RULES_PART_COUNT; i++)
            if (parts->light[i] == order[o])
                out[n++] = (enum rules_part)i;
    return n;
}

enum rules_tier
rules_tier(const struct rules_config *cfg, enum rules_kind kind, enum rules_light light,
           int days_late)
{
    if (kind == RULES_REPEATED_RED || days_late > cfg->escalate_office_days)
        return RULES_TIER_OFFICE;
    if (light == RULES_RED || days_late > cfg->escalate_leader_days)
        return RULES_TIER_LEADER;
    return RULES_TIER_UNIT;
}

const char *
rules_light_name(enum rules_light light)
{
    for (size_t i = 0; i < words_count(&words_light); i++)
        if (words_at(&words_light, i)->rank == (int)light)
            return words_at(&words_light, i)->name;
    return "?";
}

/* words_alert_kind lists the kinds in enum order (the names in payloads). */
const char *
rules_kind_name(enum rules_kind kind)
{
    const struct word *w = (size_t)kind < RULES_KIND_COUNT ? words_at(&words_alert_kind, kind) : NULL;
    return w ? w->name : "?";
}

const char *
rules_part_name(enum rules_part part)
{
    static const char *const names[RULES_PART_COUNT] = {
        "milestone", "start", "completion", "investment", "report", "stalled", "problem",
    };
    return (size_t)part < RULES_PART_COUNT ? names[part] : "?";
}

const char *
rules_tier_name(enum rules_tier tier)
{
    const struct word *w = words_at(&words_tier, (size_t)tier);
    return w ? w->name : "?";
}
