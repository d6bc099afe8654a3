/* Unit tests for rules.c: for each rule, a row and a business date in, the
 * exact decisions (kind, stage, light, since, days late, tier), part-light
 * and next date out — at every threshold the day before, of and after,
 * across month ends, year ends and leap days — and sweeps over three years
 * that check the promises scan.c builds on: nothing changes before `next`,
 * and a stage is a function of the row and the day it began. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules.h"
#include "util.h"

#define D(y, m, d) ((struct ymd){ (y), (m), (d) })
#define NEVER D(0, 0, 0)
#define G RULES_GREEN
#define Y RULES_YELLOW
#define R RULES_RED
#define UNIT RULES_TIER_UNIT
#define LEADER RULES_TIER_LEADER
#define OFFICE RULES_TIER_OFFICE
/* One expected decision: kind (without RULES_), stage, light, since,
 * days late, tier. */
#define W(k, stage, light, since, late, tier) { RULES_##k, stage, light, since, late, tier }
#define REPORTS(...) \
    .reports = (const struct rules_report[]){ __VA_ARGS__ }, \
    .n_reports = sizeof((const struct rules_report[]){ __VA_ARGS__ }) / sizeof(struct rules_report)

struct want {
    enum rules_kind kind;
    const char *stage;
    enum rules_light light;
    struct ymd since;
    int days_late;
    enum rules_tier tier;
};

struct expect {
    enum rules_light light;
    struct ymd next;
    size_t n;
    struct want d[RULES_MAX_DECISIONS];
};

typedef void tweak_fn(struct rules_config *cfg);

static struct rules_config
config(tweak_fn *tweak)
{
    struct rules_config cfg;
    rules_config_default(&cfg);
    if (tweak != NULL)
        tweak(&cfg);
    char err[256];
    if (!rules_config_check(&cfg, err, sizeof err))
        fail_msg("test configuration refused: %s", err);
    return cfg;
}

static bool
same_date(struct ymd a, struct ymd b)
{
    return a.y == b.y && a.m == b.m && a.d == b.d;
}

static const char *
show(struct ymd d, char buf[16])
{
    if (d.y == 0)
        return "never";
    format_date(&d, buf);
    return buf;
}

static void
dump(const struct rules_out *o)
{
    char b[16];
    print_message("  got light=%s next=%s n=%zu\n", rules_light_name(o->light),
                  show(o->next, b), o->n);
    for (size_t i = 0; i < o->n; i++) {
        const struct rules_decision *d = &o->d[i];
        print_message("    %s %s %s since=%s late=%d tier=%s\n", rules_kind_name(d->kind),
                      d->stage, rules_light_name(d->light), show(d->since, b),
                      d->days_late, rules_tier_name(d->tier));
    }
}

static void
check(int line, const struct rules_out *got, const struct expect *e)
{
    bool ok = got->light == e->light && same_date(got->next, e->next) && got->n == e->n;
    for (size_t i = 0; ok && i < e->n; i++) {
        const struct rules_decision *g = &got->d[i];
        const struct want *w = &e->d[i];
        ok = g->kind == w->kind && strcmp(g->stage, w->stage) == 0 && g->light == w->light &&
             same_date(g->since, w->since) && g->days_late == w->days_late && g->tier == w->tier;
    }
    if (ok)
        return;
    char b[16];
    print_message("case at line %d: want light=%s next=%s n=%zu\n", line,
                  rules_light_name(e->light), show(e->next, b), e->n);
    for (size_t i = 0; i < e->n; i++)
        print_message("    %s %s %s since=%s late=%d tier=%s\n", rules_kind_name(e->d[i].kind),
                      e->d[i].stage, rules_light_name(e->d[i].light), show(e->d[i].since, b),
                      e->d[i].days_late, rules_tier_name(e->d[i].tier));
    dump(got);
    fail_msg("case at line %d", line);
}

/* ---- milestones ------------------------------------------------------------ */

struct milestone_case {
    int line;
    tweak_fn *tweak;
    struct rules_milestone m;
    struct ymd today;
    struct expect e;
};

static void
run_milestones(const struct milestone_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rules_config cfg = config(c[i].tweak);
        struct rules_out out;
        memset(&out, 0x5a, sizeof out);     /* the rule must fill all of it */
        rules_milestone(&cfg, &c[i].m, c[i].today, &out);
        check(c[i].line, &out, &c[i].e);
    }
}

#define MS(kind, status, due) { kind, status, due }
#define PENDING(due) MS("start", "pending", due)

static void
test_milestone_stages(void **state)
{
    (void)state;
    const struct milestone_case cases[] = {
        /* due 2026-11-20: due-7, due-3, due-1, then overdue-1, -4, -7 … */
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 12), { G, D(2026, 11, 13), 0, { { 0 } } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 13), { G, D(2026, 11, 17), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-7", G, D(2026, 11, 13), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 14), { G, D(2026, 11, 17), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-7", G, D(2026, 11, 13), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 16), { G, D(2026, 11, 17), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-7", G, D(2026, 11, 13), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 17), { G, D(2026, 11, 19), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-3", G, D(2026, 11, 17), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 18), { G, D(2026, 11, 19), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-3", G, D(2026, 11, 17), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 19), { G, D(2026, 11, 21), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-1", G, D(2026, 11, 19), 0, UNIT) } } },
        /* the due day itself is not late yet */
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 20), { G, D(2026, 11, 21), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-1", G, D(2026, 11, 19), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 21), { Y, D(2026, 11, 24), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-1", Y, D(2026, 11, 21), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 23), { Y, D(2026, 11, 24), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-1", Y, D(2026, 11, 21), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 24), { Y, D(2026, 11, 27), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-4", Y, D(2026, 11, 24), 4, UNIT) } } },
        /* 7 days late is not yet "more than 7": still the unit's */
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 27), { Y, D(2026, 11, 30), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-7", Y, D(2026, 11, 27), 7, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 30), { Y, D(2026, 12, 3), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-10", Y, D(2026, 11, 30), 10, LEADER) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 12, 3), { Y, D(2026, 12, 6), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-13", Y, D(2026, 12, 3), 13, LEADER) } } },
        /* 15 days: still yellow; 16: red, and the project office's */
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 12, 5), { Y, D(2026, 12, 6), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-13", Y, D(2026, 12, 3), 13, LEADER) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 12, 6), { R, D(2026, 12, 9), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-16", R, D(2026, 12, 6), 16, OFFICE) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 12, 7), { R, D(2026, 12, 9), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-16", R, D(2026, 12, 6), 16, OFFICE) } } },
        /* found late after weeks down: only the current stage, no due-soon */
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2027, 1, 10), { R, D(2027, 1, 11), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-49", R, D(2027, 1, 8), 49, OFFICE) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 12, 1), { Y, D(2026, 12, 3), 1, {
            W(MILESTONE_OVERDUE, "2026-11-20/overdue-10", Y, D(2026, 11, 30), 10, LEADER) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 20)), D(2026, 11, 20), { G, D(2026, 11, 21), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-20/due-1", G, D(2026, 11, 19), 0, UNIT) } } },
        /* settled milestones say nothing, ever: green, never again (the
         * state of a node born settled is written so at its insert,
         * keyproj_milestone_state_new in sql/functions/engine.sql) */
        { __LINE__, NULL, MS("start", "done", D(2026, 11, 20)), D(2026, 12, 6), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, MS("start", "waived", D(2026, 11, 20)), D(2026, 11, 19), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, MS("structure", "done", D(2026, 12, 20)), D(2026, 11, 20), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, MS("structure", "waived", D(2026, 12, 20)), D(2026, 12, 21), { G, NEVER, 0, { { 0 } } } },
    };
    run_milestones(cases, ARRAY_LEN(cases));
}

static void
test_milestone_calendar(void **state)
{
    (void)state;
    const struct milestone_case cases[] = {
        /* due-soon across the year end */
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2026, 12, 23), { G, D(2026, 12, 27), 1, {
            W(MILESTONE_DUE_SOON, "2026-12-30/due-7", G, D(2026, 12, 23), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2027, 1, 2)), D(2026, 12, 25), { G, D(2026, 12, 26), 0, { { 0 } } } },
        { __LINE__, NULL, PENDING(D(2027, 1, 2)), D(2026, 12, 26), { G, D(2026, 12, 30), 1, {
            W(MILESTONE_DUE_SOON, "2027-01-02/due-7", G, D(2026, 12, 26), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2027, 1, 2)), D(2026, 12, 31), { G, D(2027, 1, 1), 1, {
            W(MILESTONE_DUE_SOON, "2027-01-02/due-3", G, D(2026, 12, 30), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2027, 1, 2)), D(2027, 1, 1), { G, D(2027, 1, 3), 1, {
            W(MILESTONE_DUE_SOON, "2027-01-02/due-1", G, D(2027, 1, 1), 0, UNIT) } } },
        /* due 12-30, overdue in January */
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2026, 12, 31), { Y, D(2027, 1, 3), 1, {
            W(MILESTONE_OVERDUE, "2026-12-30/overdue-1", Y, D(2026, 12, 31), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2027, 1, 2), { Y, D(2027, 1, 3), 1, {
            W(MILESTONE_OVERDUE, "2026-12-30/overdue-1", Y, D(2026, 12, 31), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2027, 1, 3), { Y, D(2027, 1, 6), 1, {
            W(MILESTONE_OVERDUE, "2026-12-30/overdue-4", Y, D(2027, 1, 3), 4, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2027, 1, 14), { Y, D(2027, 1, 15), 1, {
            W(MILESTONE_OVERDUE, "2026-12-30/overdue-13", Y, D(2027, 1, 12), 13, LEADER) } } },
        { __LINE__, NULL, PENDING(D(2026, 12, 30)), D(2027, 1, 15), { R, D(2027, 1, 18), 1, {
            W(MILESTONE_OVERDUE, "2026-12-30/overdue-16", R, D(2027, 1, 15), 16, OFFICE) } } },
        /* leap day as the due day, and counted inside an overdue span */
        { __LINE__, NULL, PENDING(D(2028, 2, 29)), D(2028, 2, 22), { G, D(2028, 2, 26), 1, {
            W(MILESTONE_DUE_SOON, "2028-02-29/due-7", G, D(2028, 2, 22), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 2, 29)), D(2028, 2, 28), { G, D(2028, 3, 1), 1, {
            W(MILESTONE_DUE_SOON, "2028-02-29/due-1", G, D(2028, 2, 28), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 2, 29)), D(2028, 3, 1), { Y, D(2028, 3, 4), 1, {
            W(MILESTONE_OVERDUE, "2028-02-29/overdue-1", Y, D(2028, 3, 1), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 2, 28)), D(2028, 2, 29), { Y, D(2028, 3, 3), 1, {
            W(MILESTONE_OVERDUE, "2028-02-28/overdue-1", Y, D(2028, 2, 29), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2027, 2, 28)), D(2027, 3, 1), { Y, D(2027, 3, 4), 1, {
            W(MILESTONE_OVERDUE, "2027-02-28/overdue-1", Y, D(2027, 3, 1), 1, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 3, 1)), D(2028, 2, 23), { G, D(2028, 2, 27), 1, {
            W(MILESTONE_DUE_SOON, "2028-03-01/due-7", G, D(2028, 2, 23), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 3, 1)), D(2028, 2, 29), { G, D(2028, 3, 2), 1, {
            W(MILESTONE_DUE_SOON, "2028-03-01/due-1", G, D(2028, 2, 29), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2028, 2, 14)), D(2028, 3, 1), { R, D(2028, 3, 4), 1, {
            W(MILESTONE_OVERDUE, "2028-02-14/overdue-16", R, D(2028, 3, 1), 16, OFFICE) } } },
        { __LINE__, NULL, PENDING(D(2027, 2, 14)), D(2027, 3, 1), { Y, D(2027, 3, 2), 1, {
            W(MILESTONE_OVERDUE, "2027-02-14/overdue-13", Y, D(2027, 2, 27), 13, LEADER) } } },
        /* 2100 is no leap year */
        { __LINE__, NULL, PENDING(D(2100, 2, 28)), D(2100, 3, 1), { Y, D(2100, 3, 4), 1, {
            W(MILESTONE_OVERDUE, "2100-02-28/overdue-1", Y, D(2100, 3, 1), 1, UNIT) } } },
        /* rescheduled (same row, new due_on): stages start over from the new
         * date and cannot collide with the old alerts */
        { __LINE__, NULL, PENDING(D(2026, 12, 10)), D(2026, 11, 25), { G, D(2026, 12, 3), 0, { { 0 } } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 28)), D(2026, 11, 25), { G, D(2026, 11, 27), 1, {
            W(MILESTONE_DUE_SOON, "2026-11-28/due-3", G, D(2026, 11, 25), 0, UNIT) } } },
        { __LINE__, NULL, PENDING(D(2026, 11, 22)), D(2026, 11, 25), { Y, D(2026, 11, 26), 1, {
            W(MILESTONE_OVERDUE, "2026-11-22/overdue-1", Y, D(2026, 11, 23), 1, UNIT) } } },
    };
    run_milestones(cases, ARRAY_LEN(cases));
}

static void
red_after_5_repeat_7(struct rules_config *cfg)
{
    cfg->milestone_red_days = 5;
    cfg->overdue_repeat_days = 7;
}

static void
due_soon_10_5_0(struct rules_config *cfg)
{
    cfg->due_soon_days[0] = 10;
    cfg->due_soon_days[1] = 5;
    cfg->due_soon_days[2] = 0;
    cfg->n_due_soon_days = 3;
}

static void
no_due_soon(struct rules_config *cfg)
{
    cfg->n_due_soon_days = 0;
}

static void
red_at_once(struct rules_config *cfg)
{
    cfg->milestone_red_days = 0;
}

static void
test_milestone_config(void **state)
{
    (void)state;
    const struct milestone_case cases[] = {
        /* the first red day starts a stage even off the repeat grid (1, 8, 15 …) */
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 5, 15), { Y, D(2026, 5, 16), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-1", Y, D(2026, 5, 11), 1, UNIT) } } },
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 5, 16), { R, D(2026, 5, 18), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-6", R, D(2026, 5, 16), 6, LEADER) } } },
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 5, 17), { R, D(2026, 5, 18), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-6", R, D(2026, 5, 16), 6, LEADER) } } },
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 5, 18), { R, D(2026, 5, 25), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-8", R, D(2026, 5, 18), 8, LEADER) } } },
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 5, 26), { R, D(2026, 6, 1), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-15", R, D(2026, 5, 25), 15, LEADER) } } },
        { __LINE__, red_after_5_repeat_7, PENDING(D(2026, 5, 10)), D(2026, 6, 1), { R, D(2026, 6, 8), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-22", R, D(2026, 6, 1), 22, OFFICE) } } },
        { __LINE__, red_at_once, PENDING(D(2026, 5, 10)), D(2026, 5, 11), { R, D(2026, 5, 14), 1, {
            W(MILESTONE_OVERDUE, "2026-05-10/overdue-1", R, D(2026, 5, 11), 1, LEADER) } } },
        /* a due-soon list of its own, with a stage on the due day */
        { __LINE__, due_soon_10_5_0, PENDING(D(2026, 3, 3)), D(2026, 2, 20), { G, D(2026, 2, 21), 0, { { 0 } } } },
        { __LINE__, due_soon_10_5_0, PENDING(D(2026, 3, 3)), D(2026, 2, 21), { G, D(2026, 2, 26), 1, {
            W(MILESTONE_DUE_SOON, "2026-03-03/due-10", G, D(2026, 2, 21), 0, UNIT) } } },
        { __LINE__, due_soon_10_5_0, PENDING(D(2026, 3, 3)), D(2026, 3, 2), { G, D(2026, 3, 3), 1, {
            W(MILESTONE_DUE_SOON, "2026-03-03/due-5", G, D(2026, 2, 26), 0, UNIT) } } },
        { __LINE__, due_soon_10_5_0, PENDING(D(2026, 3, 3)), D(2026, 3, 3), { G, D(2026, 3, 4), 1, {
            W(MILESTONE_DUE_SOON, "2026-03-03/due-0", G, D(2026, 3, 3), 0, UNIT) } } },
        { __LINE__, no_due_soon, PENDING(D(2026, 3, 3)), D(2026, 3, 3), { G, D(2026, 3, 4), 0, { { 0 } } } },
        { __LINE__, no_due_soon, PENDING(D(2026, 3, 3)), D(2026, 1, 3), { G, D(2026, 3, 4), 0, { { 0 } } } },
    };
    run_milestones(cases, ARRAY_LEN(cases));
}

#define STRUCTURE(due) MS("structure", "pending", due)

static void
freeze_crosses_year(struct rules_config *cfg)
{
    cfg->freeze_warn = (struct rules_md){ 12, 20 };
    cfg->freeze_red = (struct rules_md){ 1, 10 };
}

static void
test_milestone_freeze(void **state)
{
    (void)state;
    const struct milestone_case cases[] = {
        /* due after the freeze: warn 10-31, red 11-15 */
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 10, 30), { G, D(2026, 10, 31), 0, { { 0 } } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 10, 31), { Y, D(2026, 11, 15), 1, {
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 10, 31), 0, UNIT) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 11, 14), { Y, D(2026, 11, 15), 1, {
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 10, 31), 0, UNIT) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 11, 15), { R, D(2026, 12, 13), 1, {
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 11, 16), { R, D(2026, 12, 13), 1, {
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        /* with its own due-soon and overdue stages beside it */
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 12, 13), { R, D(2026, 12, 17), 2, {
            W(MILESTONE_DUE_SOON, "2026-12-20/due-7", G, D(2026, 12, 13), 0, UNIT),
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2026, 12, 21), { R, D(2026, 12, 24), 2, {
            W(MILESTONE_OVERDUE, "2026-12-20/overdue-1", Y, D(2026, 12, 21), 1, UNIT),
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        /* red through the winter until the season ends (03-15) */
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2027, 3, 14), { R, D(2027, 3, 15), 2, {
            W(MILESTONE_OVERDUE, "2026-12-20/overdue-82", R, D(2027, 3, 12), 82, OFFICE),
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2027, 3, 15), { R, D(2027, 3, 18), 1, {
            W(MILESTONE_OVERDUE, "2026-12-20/overdue-85", R, D(2027, 3, 15), 85, OFFICE) } } },
        /* still not done a season later: next year's freeze, a new stage */
        { __LINE__, NULL, STRUCTURE(D(2026, 12, 20)), D(2027, 10, 31), { R, D(2027, 11, 1), 2, {
            W(MILESTONE_OVERDUE, "2026-12-20/overdue-313", R, D(2027, 10, 29), 313, OFFICE),
            W(MILESTONE_FREEZE, "2027/warn", Y, D(2027, 10, 31), 0, UNIT) } } },
        /* due before the warning but not done by it */
        { __LINE__, NULL, STRUCTURE(D(2026, 10, 20)), D(2026, 10, 31), { Y, D(2026, 11, 2), 2, {
            W(MILESTONE_OVERDUE, "2026-10-20/overdue-10", Y, D(2026, 10, 30), 10, LEADER),
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 10, 31), 0, UNIT) } } },
        { __LINE__, NULL, STRUCTURE(D(2026, 11, 5)), D(2026, 10, 31), { Y, D(2026, 11, 2), 2, {
            W(MILESTONE_DUE_SOON, "2026-11-05/due-7", G, D(2026, 10, 29), 0, UNIT),
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 10, 31), 0, UNIT) } } },
        /* due in the heating season belongs to the season before it */
        { __LINE__, NULL, STRUCTURE(D(2027, 2, 10)), D(2026, 10, 31), { Y, D(2026, 11, 15), 1, {
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 10, 31), 0, UNIT) } } },
        { __LINE__, NULL, STRUCTURE(D(2027, 3, 14)), D(2026, 11, 20), { R, D(2027, 3, 7), 1, {
            W(MILESTONE_FREEZE, "2026/red", R, D(2026, 11, 15), 0, LEADER) } } },
        /* due after the thaw: next season's business */
        { __LINE__, NULL, STRUCTURE(D(2027, 3, 15)), D(2026, 11, 20), { G, D(2027, 3, 8), 0, { { 0 } } } },
        { __LINE__, NULL, STRUCTURE(D(2027, 5, 1)), D(2026, 11, 20), { G, D(2027, 4, 24), 0, { { 0 } } } },
        { __LINE__, NULL, STRUCTURE(D(2027, 12, 1)), D(2027, 7, 1), { G, D(2027, 10, 31), 0, { { 0 } } } },
        /* only structure milestones */
        { __LINE__, NULL, MS("topping", "pending", D(2026, 12, 20)), D(2026, 11, 20), { G, D(2026, 12, 13), 0, { { 0 } } } },
        { __LINE__, NULL, MS("completion", "pending", D(2026, 12, 20)), D(2026, 10, 31), { G, D(2026, 12, 13), 0, { { 0 } } } },
        /* a configured season whose red day is in the new year */
        { __LINE__, freeze_crosses_year, STRUCTURE(D(2027, 1, 20)), D(2026, 12, 19), { G, D(2026, 12, 20), 0, { { 0 } } } },
        { __LINE__, freeze_crosses_year, STRUCTURE(D(2027, 1, 20)), D(2027, 1, 9), { Y, D(2027, 1, 10), 1, {
            W(MILESTONE_FREEZE, "2026/warn", Y, D(2026, 12, 20), 0, UNIT) } } },
        { __LINE__, freeze_crosses_year, STRUCTURE(D(2027, 1, 20)), D(2027, 1, 10), { R, D(2027, 1, 13), 1, {
            W(MILESTONE_FREEZE, "2026/red", R, D(2027, 1, 10), 0, LEADER) } } },
        /* leap year: nothing moves */
        { __LINE__, NULL, STRUCTURE(D(2028, 12, 1)), D(2028, 11, 15), { R, D(2028, 11, 24), 1, {
            W(MILESTONE_FREEZE, "2028/red", R, D(2028, 11, 15), 0, LEADER) } } },
    };
    run_milestones(cases, ARRAY_LEN(cases));
}

/* ---- approvals and problems --------------------------------------------- */

static void
approval_red_10(struct rules_config *cfg)
{
    cfg->approval_red_days = 10;
}

static void
test_approvals(void **state)
{
    (void)state;
    const struct {
        int line;
        tweak_fn *tweak;
        struct rules_approval a;
        struct ymd today;
        struct expect e;
    } cases[] = {
        { __LINE__, NULL, { "pending", D(2026, 5, 31) }, D(2026, 5, 31), { G, D(2026, 6, 1), 0, { { 0 } } } },
        { __LINE__, NULL, { "pending", D(2026, 5, 31) }, D(2026, 1, 1), { G, D(2026, 6, 1), 0, { { 0 } } } },
        { __LINE__, NULL, { "pending", D(2026, 5, 31) }, D(2026, 6, 1), { Y, D(2026, 6, 4), 1, {
            W(APPROVAL_OVERDUE, "2026-05-31/overdue-1", Y, D(2026, 6, 1), 1, UNIT) } } },
        { __LINE__, NULL, { "pending", D(2026, 5, 31) }, D(2026, 6, 15), { Y, D(2026, 6, 16), 1, {
            W(APPROVAL_OVERDUE, "2026-05-31/overdue-13", Y, D(2026, 6, 13), 13, LEADER) } } },
        { __LINE__, NULL, { "pending", D(2026, 5, 31) }, D(2026, 6, 16), { R, D(2026, 6, 19), 1, {
            W(APPROVAL_OVERDUE, "2026-05-31/overdue-16", R, D(2026, 6, 16), 16, OFFICE) } } },
        { __LINE__, approval_red_10, { "pending", D(2026, 10, 31) }, D(2026, 11, 10), { Y, D(2026, 11, 11), 1, {
            W(APPROVAL_OVERDUE, "2026-10-31/overdue-10", Y, D(2026, 11, 10), 10, LEADER) } } },
        { __LINE__, approval_red_10, { "pending", D(2026, 10, 31) }, D(2026, 11, 11), { R, D(2026, 11, 13), 1, {
            W(APPROVAL_OVERDUE, "2026-10-31/overdue-11", R, D(2026, 11, 11), 11, LEADER) } } },
        { __LINE__, approval_red_10, { "pending", D(2026, 10, 31) }, D(2026, 11, 13), { R, D(2026, 11, 16), 1, {
            W(APPROVAL_OVERDUE, "2026-10-31/overdue-13", R, D(2026, 11, 13), 13, LEADER) } } },
        { __LINE__, NULL, { "done", D(2026, 5, 31) }, D(2026, 6, 16), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { "waived", D(2026, 5, 31) }, D(2026, 6, 16), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { "pending", NEVER }, D(2026, 6, 16), { G, NEVER, 0, { { 0 } } } },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_config cfg = config(cases[i].tweak);
        struct rules_out out;
        rules_approval(&cfg, &cases[i].a, cases[i].today, &out);
        check(cases[i].line, &out, &cases[i].e);
    }
}

static void
test_problems(void **state)
{
    (void)state;
    const struct {
        int line;
        struct rules_problem p;
        struct ymd today;
        struct expect e;
    } cases[] = {
        /* ordinary, no limit given: 7 days → limit 11-08, red after 11-15 */
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), NEVER }, D(2026, 11, 8), { G, D(2026, 11, 9), 0, { { 0 } } } },
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), NEVER }, D(2026, 11, 9), { Y, D(2026, 11, 16), 1, {
            W(PROBLEM_OVERDUE, "2026-11-08/yellow", Y, D(2026, 11, 9), 1, UNIT) } } },
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), NEVER }, D(2026, 11, 15), { Y, D(2026, 11, 16), 1, {
            W(PROBLEM_OVERDUE, "2026-11-08/yellow", Y, D(2026, 11, 9), 1, UNIT) } } },
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), NEVER }, D(2026, 11, 16), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2026-11-08/red", R, D(2026, 11, 16), 8, LEADER) } } },
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), NEVER }, D(2027, 6, 1), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2026-11-08/red", R, D(2026, 11, 16), 8, LEADER) } } },
        /* major: a month, across the year end */
        { __LINE__, { "major", "open", D(2026, 12, 15), NEVER }, D(2027, 1, 14), { G, D(2027, 1, 15), 0, { { 0 } } } },
        { __LINE__, { "major", "open", D(2026, 12, 15), NEVER }, D(2027, 1, 15), { Y, D(2027, 2, 14), 1, {
            W(PROBLEM_OVERDUE, "2027-01-14/yellow", Y, D(2027, 1, 15), 1, UNIT) } } },
        { __LINE__, { "major", "open", D(2026, 12, 15), NEVER }, D(2027, 2, 13), { Y, D(2027, 2, 14), 1, {
            W(PROBLEM_OVERDUE, "2027-01-14/yellow", Y, D(2027, 1, 15), 1, UNIT) } } },
        { __LINE__, { "major", "open", D(2026, 12, 15), NEVER }, D(2027, 2, 14), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2027-01-14/red", R, D(2027, 2, 14), 31, OFFICE) } } },
        /* a limit given: twice the limit counted from reported_on */
        { __LINE__, { "major", "open", D(2026, 11, 1), D(2026, 11, 3) }, D(2026, 11, 4), { Y, D(2026, 11, 6), 1, {
            W(PROBLEM_OVERDUE, "2026-11-03/yellow", Y, D(2026, 11, 4), 1, UNIT) } } },
        { __LINE__, { "major", "open", D(2026, 11, 1), D(2026, 11, 3) }, D(2026, 11, 5), { Y, D(2026, 11, 6), 1, {
            W(PROBLEM_OVERDUE, "2026-11-03/yellow", Y, D(2026, 11, 4), 1, UNIT) } } },
        { __LINE__, { "major", "open", D(2026, 11, 1), D(2026, 11, 3) }, D(2026, 11, 6), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2026-11-03/red", R, D(2026, 11, 6), 3, LEADER) } } },
        /* a limit of the same day: red at once */
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), D(2026, 11, 1) }, D(2026, 11, 1), { G, D(2026, 11, 2), 0, { { 0 } } } },
        { __LINE__, { "ordinary", "open", D(2026, 11, 1), D(2026, 11, 1) }, D(2026, 11, 2), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2026-11-01/red", R, D(2026, 11, 2), 1, LEADER) } } },
        /* the limit on a leap day */
        { __LINE__, { "ordinary", "open", D(2028, 2, 22), NEVER }, D(2028, 2, 29), { G, D(2028, 3, 1), 0, { { 0 } } } },
        { __LINE__, { "ordinary", "open", D(2028, 2, 22), NEVER }, D(2028, 3, 1), { Y, D(2028, 3, 8), 1, {
            W(PROBLEM_OVERDUE, "2028-02-29/yellow", Y, D(2028, 3, 1), 1, UNIT) } } },
        { __LINE__, { "ordinary", "open", D(2028, 2, 22), NEVER }, D(2028, 3, 8), { R, NEVER, 1, {
            W(PROBLEM_OVERDUE, "2028-02-29/red", R, D(2028, 3, 8), 8, LEADER) } } },
        { __LINE__, { "ordinary", "resolved", D(2026, 11, 1), NEVER }, D(2026, 11, 20), { G, NEVER, 0, { { 0 } } } },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_config cfg = config(NULL);
        struct rules_out out;
        rules_problem(&cfg, &cases[i].p, cases[i].today, &out);
        check(cases[i].line, &out, &cases[i].e);
    }
}

/* ---- project rules ------------------------------------------------------- */

typedef void project_rule_fn(const struct rules_config *, const struct rules_project *,
                             struct ymd, struct rules_out *);

struct project_case {
    int line;
    tweak_fn *tweak;
    struct rules_project p;
    struct ymd today;
    struct expect e;
};

static void
run_projects(project_rule_fn *rule, const struct project_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rules_config cfg = config(c[i].tweak);
        struct rules_out out;
        memset(&out, 0x5a, sizeof out);
        rule(&cfg, &c[i].p, c[i].today, &out);
        check(c[i].line, &out, &c[i].e);
    }
}

#define NOT_STARTED(start) { .year = 2026, .status = "preliminary", .category = "new", .planned_start = start }

static void
test_start_overdue(void **state)
{
    (void)state;
    const struct project_case cases[] = {
        /* planned 03-10: yellow from 04-01, red from 06-01 (3 months), monthly stages */
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 3, 9), { G, D(2026, 4, 1), 0, { { 0 } } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 3, 31), { G, D(2026, 4, 1), 0, { { 0 } } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 4, 1), { Y, D(2026, 5, 1), 1, {
            W(START_OVERDUE, "2026-03-10/2026-04", Y, D(2026, 4, 1), 1, UNIT) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 4, 30), { Y, D(2026, 5, 1), 1, {
            W(START_OVERDUE, "2026-03-10/2026-04", Y, D(2026, 4, 1), 1, UNIT) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 5, 1), { Y, D(2026, 6, 1), 1, {
            W(START_OVERDUE, "2026-03-10/2026-05", Y, D(2026, 5, 1), 31, OFFICE) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 5, 31), { Y, D(2026, 6, 1), 1, {
            W(START_OVERDUE, "2026-03-10/2026-05", Y, D(2026, 5, 1), 31, OFFICE) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 3, 10)), D(2026, 6, 1), { R, D(2026, 7, 1), 1, {
            W(START_OVERDUE, "2026-03-10/2026-06", R, D(2026, 6, 1), 62, OFFICE) } } },
        /* across the year end: planned November, red in February */
        { __LINE__, NULL, NOT_STARTED(D(2026, 11, 15)), D(2026, 12, 1), { Y, D(2027, 1, 1), 1, {
            W(START_OVERDUE, "2026-11-15/2026-12", Y, D(2026, 12, 1), 1, UNIT) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 11, 15)), D(2027, 1, 31), { Y, D(2027, 2, 1), 1, {
            W(START_OVERDUE, "2026-11-15/2027-01", Y, D(2027, 1, 1), 32, OFFICE) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 11, 15)), D(2027, 2, 1), { R, D(2027, 3, 1), 1, {
            W(START_OVERDUE, "2026-11-15/2027-02", R, D(2027, 2, 1), 63, OFFICE) } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 12, 31)), D(2026, 12, 31), { G, D(2027, 1, 1), 0, { { 0 } } } },
        { __LINE__, NULL, NOT_STARTED(D(2026, 12, 31)), D(2027, 1, 1), { Y, D(2027, 2, 1), 1, {
            W(START_OVERDUE, "2026-12-31/2027-01", Y, D(2027, 1, 1), 1, UNIT) } } },
        /* leap day as the last day of the planned month */
        { __LINE__, NULL, NOT_STARTED(D(2028, 2, 29)), D(2028, 2, 29), { G, D(2028, 3, 1), 0, { { 0 } } } },
        { __LINE__, NULL, NOT_STARTED(D(2028, 2, 1)), D(2028, 3, 1), { Y, D(2028, 4, 1), 1, {
            W(START_OVERDUE, "2028-02-01/2028-03", Y, D(2028, 3, 1), 1, UNIT) } } },
        /* started, one way or another */
        { __LINE__, NULL, { .year = 2026, .status = "preliminary", .category = "new",
                            .planned_start = D(2026, 3, 10), .actual_start = D(2026, 4, 2) },
          D(2026, 6, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "building", .category = "new", .planned_start = D(2026, 3, 10) },
          D(2026, 6, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "preliminary", .category = "continuing",
                            .planned_start = D(2024, 3, 10) },
          D(2026, 6, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "preliminary", .category = "new" },
          D(2026, 6, 1), { G, NEVER, 0, { { 0 } } } },
    };
    run_projects(rules_start_overdue, cases, ARRAY_LEN(cases));
}

#define BUILDING_TO(end) { .year = 2026, .status = "building", .category = "new", .planned_end = end }

static void
test_completion_overdue(void **state)
{
    (void)state;
    const struct project_case cases[] = {
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 30)), D(2026, 6, 30), { G, D(2026, 7, 1), 0, { { 0 } } } },
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 30)), D(2026, 7, 1), { R, D(2026, 8, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-06-30/2026-07", R, D(2026, 7, 1), 1, LEADER) } } },
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 30)), D(2026, 7, 31), { R, D(2026, 8, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-06-30/2026-07", R, D(2026, 7, 1), 1, LEADER) } } },
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 30)), D(2026, 8, 1), { R, D(2026, 9, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-06-30/2026-08", R, D(2026, 8, 1), 32, OFFICE) } } },
        /* mid-month end: the first stage starts the day after */
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 15)), D(2026, 6, 16), { R, D(2026, 7, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-06-15/2026-06", R, D(2026, 6, 16), 1, LEADER) } } },
        { __LINE__, NULL, BUILDING_TO(D(2026, 6, 15)), D(2026, 7, 1), { R, D(2026, 8, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-06-15/2026-07", R, D(2026, 7, 1), 16, OFFICE) } } },
        { __LINE__, NULL, BUILDING_TO(D(2026, 12, 31)), D(2027, 1, 1), { R, D(2027, 2, 1), 1, {
            W(COMPLETION_OVERDUE, "2026-12-31/2027-01", R, D(2027, 1, 1), 1, LEADER) } } },
        { __LINE__, NULL, BUILDING_TO(D(2028, 2, 28)), D(2028, 2, 29), { R, D(2028, 3, 1), 1, {
            W(COMPLETION_OVERDUE, "2028-02-28/2028-02", R, D(2028, 2, 29), 1, LEADER) } } },
        { __LINE__, NULL, BUILDING_TO(D(2028, 2, 28)), D(2028, 3, 1), { R, D(2028, 4, 1), 1, {
            W(COMPLETION_OVERDUE, "2028-02-28/2028-03", R, D(2028, 3, 1), 2, LEADER) } } },
        { __LINE__, NULL, { .year = 2026, .status = "completed", .category = "new", .planned_end = D(2026, 6, 30) },
          D(2026, 8, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "operating", .category = "new", .planned_end = D(2026, 6, 30) },
          D(2026, 8, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "building", .category = "new", .planned_end = D(2026, 6, 30),
                            .actual_end = D(2026, 7, 20) },
          D(2026, 8, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "building", .category = "new" },
          D(2026, 8, 1), { G, NEVER, 0, { { 0 } } } },
    };
    run_projects(rules_completion_overdue, cases, ARRAY_LEN(cases));
}

#define PLAN(annual) .year = 2026, .status = "building", .category = "new", .annual_plan = annual

static void
test_investment_lagging(void **state)
{
    (void)state;
    const struct project_case cases[] = {
        /* even spread: March = 25% of 1200 */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 3, 300 }) }, D(2026, 4, 10), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 3, 181.2 }) }, D(2026, 4, 10), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 3, 180 }) }, D(2026, 4, 10), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-03/yellow", Y, D(2026, 4, 1), 0, UNIT) } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 3, 178.8 }) }, D(2026, 4, 10), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-03/yellow", Y, D(2026, 4, 1), 0, UNIT) } } },
        /* June = 50%: 30 points behind is yellow, 30.01 red */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 6, 240.12 }) }, D(2026, 7, 6), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-06/yellow", Y, D(2026, 7, 1), 0, UNIT) } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 6, 240 }) }, D(2026, 7, 6), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-06/yellow", Y, D(2026, 7, 1), 0, UNIT) } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 6, 239.88 }) }, D(2026, 7, 6), { R, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-06/red", R, D(2026, 7, 1), 0, LEADER) } } },
        /* January and February */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 1, 0 }) }, D(2026, 2, 10), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 2, 0 }) }, D(2026, 3, 10), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-02/yellow", Y, D(2026, 3, 1), 0, UNIT) } } },
        /* December, evaluated in January: the period is still 2026-12 */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 12, 840 }, { 2026, 11, 800 }) }, D(2027, 1, 8), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-12/yellow", Y, D(2027, 1, 1), 0, UNIT) } } },
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 12, 839 }) }, D(2027, 3, 8), { R, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-12/red", R, D(2027, 1, 1), 0, LEADER) } } },
        /* the last reported month counts, not the calendar */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2026, 3, 300 }) }, D(2026, 10, 10), { G, NEVER, 0, { { 0 } } } },
        /* a monthly plan: March planned 600 of 1200 (50%) */
        { __LINE__, NULL, { PLAN(1200), .has_planned_cumulative = true, .planned_cumulative = 600,
                            REPORTS({ 2026, 3, 300 }) }, D(2026, 4, 10), { Y, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-03/yellow", Y, D(2026, 4, 1), 0, UNIT) } } },
        { __LINE__, NULL, { PLAN(1200), .has_planned_cumulative = true, .planned_cumulative = 600,
                            REPORTS({ 2026, 3, 239.88 }) }, D(2026, 4, 10), { R, NEVER, 1, {
            W(INVESTMENT_LAGGING, "2026-03/red", R, D(2026, 4, 1), 0, LEADER) } } },
        { __LINE__, NULL, { PLAN(1200), .has_planned_cumulative = true, .planned_cumulative = 600,
                            REPORTS({ 2026, 3, 481.2 }) }, D(2026, 4, 10), { G, NEVER, 0, { { 0 } } } },
        /* a plan of 0 so far (a late new start) is never behind */
        { __LINE__, NULL, { PLAN(1200), .has_planned_cumulative = true, .planned_cumulative = 0,
                            REPORTS({ 2026, 6, 0 }) }, D(2026, 7, 10), { G, NEVER, 0, { { 0 } } } },
        /* nothing to judge */
        { __LINE__, NULL, { PLAN(1200), REPORTS({ 2025, 12, 0 }) }, D(2026, 2, 10), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { PLAN(0), REPORTS({ 2026, 6, 0 }) }, D(2026, 7, 10), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { PLAN(1200) }, D(2026, 7, 10), { G, NEVER, 0, { { 0 } } } },
    };
    run_projects(rules_investment_lagging, cases, ARRAY_LEN(cases));
}

#define REPORTING .year = 2026, .status = "building", .category = "new", .annual_plan = 1200

static void
report_due_30(struct rules_config *cfg)
{
    cfg->report_due_day = 30;
}

static void
report_due_31(struct rules_config *cfg)
{
    cfg->report_due_day = 31;
}

static void
report_red_3(struct rules_config *cfg)
{
    cfg->report_red_periods = 3;
}

static void
test_report_missing(void **state)
{
    (void)state;
    const struct project_case cases[] = {
        /* October's report is due by 11-05 */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 9, 500 }, { 2026, 8, 400 }) }, D(2026, 11, 5),
          { G, D(2026, 11, 6), 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 9, 500 }, { 2026, 8, 400 }) }, D(2026, 11, 6),
          { Y, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/yellow", Y, D(2026, 11, 6), 1, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 9, 500 }, { 2026, 8, 400 }) }, D(2026, 12, 5),
          { Y, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/yellow", Y, D(2026, 11, 6), 1, UNIT) } } },
        /* two periods in a row: red */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 8, 400 }) }, D(2026, 11, 6),
          { R, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/red", R, D(2026, 11, 6), 1, LEADER) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 9, 500 }, { 2026, 8, 400 }) }, D(2026, 12, 6),
          { R, D(2027, 1, 6), 1, { W(REPORT_MISSING, "2026-11/red", R, D(2026, 12, 6), 1, LEADER) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 600 }, { 2026, 9, 500 }) }, D(2026, 11, 6),
          { G, D(2026, 12, 6), 0, { { 0 } } } },
        /* found by month, not by position (November's came early) */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 11, 700 }, { 2026, 9, 500 }) }, D(2026, 11, 30),
          { Y, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/yellow", Y, D(2026, 11, 6), 1, UNIT) } } },
        /* the year end: December's report is owed in January, then nothing */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 11, 700 }, { 2026, 10, 600 }) }, D(2027, 1, 5),
          { G, D(2027, 1, 6), 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 11, 700 }, { 2026, 10, 600 }) }, D(2027, 1, 6),
          { Y, D(2027, 2, 6), 1, { W(REPORT_MISSING, "2026-12/yellow", Y, D(2027, 1, 6), 1, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 11, 700 }, { 2026, 10, 600 }) }, D(2027, 2, 5),
          { Y, D(2027, 2, 6), 1, { W(REPORT_MISSING, "2026-12/yellow", Y, D(2027, 1, 6), 1, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 11, 700 }, { 2026, 10, 600 }) }, D(2027, 2, 6),
          { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 12, 800 }, { 2026, 11, 700 }) }, D(2027, 1, 6),
          { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING }, D(2027, 2, 6), { G, NEVER, 0, { { 0 } } } },
        /* the year start: nothing owed for last December */
        { __LINE__, NULL, { REPORTING }, D(2026, 1, 20), { G, D(2026, 2, 6), 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING }, D(2026, 2, 5), { G, D(2026, 2, 6), 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING }, D(2026, 2, 6),
          { Y, D(2026, 3, 6), 1, { W(REPORT_MISSING, "2026-01/yellow", Y, D(2026, 2, 6), 1, UNIT) } } },
        { __LINE__, NULL, { REPORTING }, D(2026, 3, 6),
          { R, D(2026, 4, 6), 1, { W(REPORT_MISSING, "2026-02/red", R, D(2026, 3, 6), 1, LEADER) } } },
        /* a due day past the month's end is its last day: Feb 28, or 29 */
        { __LINE__, report_due_30, { REPORTING }, D(2026, 2, 28), { G, D(2026, 3, 1), 0, { { 0 } } } },
        { __LINE__, report_due_30, { REPORTING }, D(2026, 3, 1),
          { Y, D(2026, 3, 31), 1, { W(REPORT_MISSING, "2026-01/yellow", Y, D(2026, 3, 1), 1, UNIT) } } },
        { __LINE__, report_due_30, { REPORTING }, D(2026, 3, 30),
          { Y, D(2026, 3, 31), 1, { W(REPORT_MISSING, "2026-01/yellow", Y, D(2026, 3, 1), 1, UNIT) } } },
        { __LINE__, report_due_30, { REPORTING }, D(2026, 3, 31),
          { R, D(2026, 5, 1), 1, { W(REPORT_MISSING, "2026-02/red", R, D(2026, 3, 31), 1, LEADER) } } },
        { __LINE__, report_due_30, { .year = 2028, .status = "building", .category = "new" }, D(2028, 2, 29),
          { G, D(2028, 3, 1), 0, { { 0 } } } },
        { __LINE__, report_due_30, { .year = 2028, .status = "building", .category = "new" }, D(2028, 3, 1),
          { Y, D(2028, 3, 31), 1, { W(REPORT_MISSING, "2028-01/yellow", Y, D(2028, 3, 1), 1, UNIT) } } },
        { __LINE__, report_due_31, { REPORTING, REPORTS({ 2026, 1, 100 }) }, D(2026, 4, 30),
          { Y, D(2026, 5, 1), 1, { W(REPORT_MISSING, "2026-02/yellow", Y, D(2026, 4, 1), 1, UNIT) } } },
        { __LINE__, report_due_31, { REPORTING, REPORTS({ 2026, 1, 100 }) }, D(2026, 5, 1),
          { R, D(2026, 6, 1), 1, { W(REPORT_MISSING, "2026-03/red", R, D(2026, 5, 1), 1, LEADER) } } },
        /* a project listed in April owes reports from April */
        { __LINE__, NULL, { REPORTING, .reports_from = D(2026, 4, 1) }, D(2026, 4, 10), { G, D(2026, 5, 6), 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, .reports_from = D(2026, 4, 1) }, D(2026, 5, 6),
          { Y, D(2026, 6, 6), 1, { W(REPORT_MISSING, "2026-04/yellow", Y, D(2026, 5, 6), 1, UNIT) } } },
        { __LINE__, NULL, { REPORTING, .reports_from = D(2026, 4, 17) }, D(2026, 6, 6),
          { R, D(2026, 7, 6), 1, { W(REPORT_MISSING, "2026-05/red", R, D(2026, 6, 6), 1, LEADER) } } },
        /* three periods for red */
        { __LINE__, report_red_3, { REPORTING, REPORTS({ 2026, 8, 400 }) }, D(2026, 11, 6),
          { Y, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/yellow", Y, D(2026, 11, 6), 1, UNIT) } } },
        { __LINE__, report_red_3, { REPORTING, REPORTS({ 2026, 7, 400 }) }, D(2026, 11, 6),
          { R, D(2026, 12, 6), 1, { W(REPORT_MISSING, "2026-10/red", R, D(2026, 11, 6), 1, LEADER) } } },
        /* done projects owe nothing */
        { __LINE__, NULL, { .year = 2026, .status = "completed", .category = "new" }, D(2026, 11, 6),
          { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "building", .category = "new", .actual_end = D(2026, 9, 30) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
    };
    run_projects(rules_report_missing, cases, ARRAY_LEN(cases));
}

/* A project enters the ledger late in the year (the demo's projects, imported
 * on 2026-11-25 before their reports): no report whose due day had already
 * passed is owed; the first one owed is the one still to come. */
static void
test_reports_from_entry(void **state)
{
    (void)state;
    const struct {
        int line;
        tweak_fn *tweak;
        struct ymd entered, from;
    } cases[] = {
        /* October's report is due by 11-05: owed by a project entered on 11-05, not 11-06 */
        { __LINE__, NULL, D(2026, 11, 3), D(2026, 10, 1) },
        { __LINE__, NULL, D(2026, 11, 5), D(2026, 10, 1) },
        { __LINE__, NULL, D(2026, 11, 6), D(2026, 11, 1) },
        { __LINE__, NULL, D(2026, 11, 25), D(2026, 11, 1) },
        /* the year turns: December's report (due 01-05) */
        { __LINE__, NULL, D(2027, 1, 1), D(2026, 12, 1) },
        { __LINE__, NULL, D(2027, 1, 6), D(2027, 1, 1) },
        /* a due day past the month's end: February's last day */
        { __LINE__, report_due_30, D(2026, 2, 28), D(2026, 1, 1) },
        { __LINE__, report_due_30, D(2026, 3, 1), D(2026, 2, 1) },
        { __LINE__, report_due_31, D(2026, 4, 30), D(2026, 3, 1) },
        { __LINE__, report_due_31, D(2026, 5, 1), D(2026, 4, 1) },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_config cfg = config(cases[i].tweak);
        struct ymd got = rules_reports_from(&cfg, cases[i].entered);
        if (got.y != cases[i].from.y || got.m != cases[i].from.m || got.d != 1)
            fail_msg("line %d: reports_from %04d-%02d-%02d", cases[i].line, got.y, got.m, got.d);
    }
    /* The half-imported ledger: projects entered 2026-11-25 with no report
     * yet owe nothing until December 6 (November's report), and then only
     * yellow — never red for the months before they arrived. */
    struct rules_config cfg = config(NULL);
    struct rules_project p = { .year = 2026, .status = "building", .category = "new", .annual_plan = 1000,
                               .reports_from = rules_reports_from(&cfg, D(2026, 11, 25)) };
    struct rules_out out;
    struct rules_parts parts;
    rules_parts_init(&parts);
    rules_project(&cfg, &p, D(2026, 11, 25), &out, &parts);
    assert_int_equal(out.n, 0);
    assert_int_equal(parts.light[RULES_PART_REPORT], RULES_GREEN);
    assert_int_equal(parts.light[RULES_PART_INVESTMENT], RULES_GREEN);   /* no report: nothing to judge */
    assert_int_equal(out.next.y, 2026);
    assert_int_equal(out.next.m, 12);
    assert_int_equal(out.next.d, 6);
    rules_report_missing(&cfg, &p, D(2026, 12, 6), &out);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.d[0].stage, "2026-11/yellow");
    assert_int_equal(out.d[0].light, RULES_YELLOW);
}

static void
stalled_abs_only(struct rules_config *cfg)
{
    cfg->stalled_min_percent = 0;
}

static void
test_progress_stalled(void **state)
{
    (void)state;
    /* annual plan 1200: a real change is at least 0.5% = 6 万元 */
    const struct project_case cases[] = {
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 500 }, { 2026, 9, 500 }, { 2026, 8, 500 }, { 2026, 7, 400 }) },
          D(2026, 11, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/yellow", Y, D(2026, 11, 1), 0, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 500 }, { 2026, 9, 500 }, { 2026, 8, 500 }, { 2026, 7, 500 }) },
          D(2026, 11, 6), { R, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/red", R, D(2026, 11, 1), 0, LEADER) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 500 }, { 2026, 9, 500 }, { 2026, 8, 400 }, { 2026, 7, 300 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
        /* exactly the minimum is a real change; just under is not */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 512 }, { 2026, 9, 506 }, { 2026, 8, 500.5 }, { 2026, 7, 400 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 511.9 }, { 2026, 9, 506 }, { 2026, 8, 500.5 }, { 2026, 7, 400 }) },
          D(2026, 11, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/yellow", Y, D(2026, 11, 1), 0, UNIT) } } },
        /* without the share, 1 万元 is enough */
        { __LINE__, stalled_abs_only, { REPORTING, REPORTS({ 2026, 10, 512 }, { 2026, 9, 506 }, { 2026, 8, 500.5 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, stalled_abs_only, { REPORTING, REPORTS({ 2026, 10, 500.9 }, { 2026, 9, 500 }, { 2026, 8, 499.5 }, { 2026, 7, 400 }) },
          D(2026, 11, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/yellow", Y, D(2026, 11, 1), 0, UNIT) } } },
        /* a ytd corrected down is no progress */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 400 }, { 2026, 9, 500 }, { 2026, 8, 500 }, { 2026, 7, 500 }) },
          D(2026, 11, 6), { R, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/red", R, D(2026, 11, 1), 0, LEADER) } } },
        /* ytd restarts in January */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2027, 1, 0 }, { 2026, 12, 900 }, { 2026, 11, 900 }, { 2026, 10, 800 }) },
          D(2027, 2, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2027-01/yellow", Y, D(2027, 2, 1), 0, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2027, 1, 50 }, { 2026, 12, 900 }, { 2026, 11, 900 }, { 2026, 10, 900 }) },
          D(2027, 2, 6), { G, NEVER, 0, { { 0 } } } },
        /* … also when the months between are missing (March against last November) */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2027, 3, 0 }, { 2026, 11, 900 }, { 2026, 10, 900 }, { 2026, 9, 800 }) },
          D(2027, 4, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2027-03/yellow", Y, D(2027, 4, 1), 0, UNIT) } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2027, 3, 60 }, { 2026, 11, 900 }, { 2026, 10, 900 }, { 2026, 9, 900 }) },
          D(2027, 4, 6), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { REPORTING, REPORTS({ 2027, 2, 0 }, { 2027, 1, 0 }) },
          D(2027, 3, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2027-02/yellow", Y, D(2027, 3, 1), 0, UNIT) } } },
        /* a gap in the reports: compared with the one before */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 500 }, { 2026, 7, 500 }, { 2026, 5, 500 }, { 2026, 3, 100 }) },
          D(2026, 11, 6), { Y, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/yellow", Y, D(2026, 11, 1), 0, UNIT) } } },
        /* too few reports to tell */
        { __LINE__, NULL, { REPORTING, REPORTS({ 2026, 10, 500 }, { 2026, 9, 500 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
        /* not started (start_overdue's business) or done */
        { __LINE__, NULL, { .year = 2026, .status = "preliminary", .category = "new", .annual_plan = 1200,
                            REPORTS({ 2026, 10, 0 }, { 2026, 9, 0 }, { 2026, 8, 0 }, { 2026, 7, 0 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, NULL, { .year = 2026, .status = "preliminary", .category = "new", .annual_plan = 1200,
                            .actual_start = D(2026, 6, 1),
                            REPORTS({ 2026, 10, 0 }, { 2026, 9, 0 }, { 2026, 8, 0 }, { 2026, 7, 0 }) },
          D(2026, 11, 6), { R, NEVER, 1, { W(PROGRESS_STALLED, "2026-10/red", R, D(2026, 11, 1), 0, LEADER) } } },
        { __LINE__, NULL, { .year = 2026, .status = "completed", .category = "new", .annual_plan = 1200,
                            REPORTS({ 2026, 10, 0 }, { 2026, 9, 0 }, { 2026, 8, 0 }, { 2026, 7, 0 }) },
          D(2026, 11, 6), { G, NEVER, 0, { { 0 } } } },
    };
    run_projects(rules_progress_stalled, cases, ARRAY_LEN(cases));
}

/* All project rules at once; the parts of other rows are left alone. */
static void
test_project_all_rules(void **state)
{
    (void)state;
    struct rules_config cfg = config(NULL);
    const struct rules_project late = {
        .year = 2026, .status = "preliminary", .category = "new",
        .planned_start = D(2026, 3, 10), .planned_end = D(2026, 10, 31), .annual_plan = 1200,
        REPORTS({ 2026, 10, 0 }, { 2026, 9, 0 }, { 2026, 8, 0 }, { 2026, 7, 0 }),
    };
    struct rules_parts parts;
    struct rules_out out;
    rules_parts_init(&parts);
    parts.light[RULES_PART_MILESTONE] = Y;
    parts.light[RULES_PART_PROBLEM] = Y;
    rules_project(&cfg, &late, D(2026, 11, 6), &out, &parts);
    const struct expect e1 = { R, D(2026, 12, 1), 3, {
        W(START_OVERDUE, "2026-03-10/2026-11", R, D(2026, 11, 1), 215, OFFICE),
        W(COMPLETION_OVERDUE, "2026-10-31/2026-11", R, D(2026, 11, 1), 1, LEADER),
        W(INVESTMENT_LAGGING, "2026-10/red", R, D(2026, 11, 1), 0, LEADER) } };
    check(__LINE__, &out, &e1);
    const enum rules_light want1[RULES_PART_COUNT] = { Y, R, R, R, G, G, Y };
    for (size_t i = 0; i < RULES_PART_COUNT; i++)
        assert_int_equal(parts.light[i], want1[i]);
    assert_int_equal(rules_light_fold(&parts), R);

    const struct rules_project behind = {
        .year = 2026, .status = "building", .category = "new", .planned_end = D(2027, 6, 30),
        .annual_plan = 1200, .has_planned_cumulative = true, .planned_cumulative = 900,
        REPORTS({ 2026, 10, 700 }, { 2026, 9, 700 }, { 2026, 8, 650 }, { 2026, 7, 600 }),
    };
    rules_parts_init(&parts);
    rules_project(&cfg, &behind, D(2026, 11, 6), &out, &parts);
    const struct expect e2 = { Y, D(2026, 12, 6), 1, {
        W(INVESTMENT_LAGGING, "2026-10/yellow", Y, D(2026, 11, 1), 0, UNIT) } };
    check(__LINE__, &out, &e2);
    const enum rules_light want2[RULES_PART_COUNT] = { G, G, G, Y, G, G, G };
    for (size_t i = 0; i < RULES_PART_COUNT; i++)
        assert_int_equal(parts.light[i], want2[i]);

    /* everything at once: five decisions, in rule order */
    const struct rules_project all = {
        .year = 2026, .status = "preliminary", .category = "new", .actual_start = D(2026, 5, 1),
        .planned_start = D(2026, 3, 10), .planned_end = D(2026, 9, 30), .annual_plan = 1200,
        REPORTS({ 2026, 9, 100 }, { 2026, 8, 100 }, { 2026, 7, 100 }, { 2026, 6, 100 }),
    };
    rules_project(&cfg, &all, D(2026, 11, 6), &out, NULL);
    const struct expect e3 = { R, D(2026, 12, 1), 4, {
        W(COMPLETION_OVERDUE, "2026-09-30/2026-11", R, D(2026, 11, 1), 32, OFFICE),
        W(INVESTMENT_LAGGING, "2026-09/red", R, D(2026, 10, 1), 0, LEADER),
        W(REPORT_MISSING, "2026-10/yellow", Y, D(2026, 11, 6), 1, UNIT),
        W(PROGRESS_STALLED, "2026-09/red", R, D(2026, 10, 1), 0, LEADER) } };
    check(__LINE__, &out, &e3);
    assert_int_equal(rules_reports_needed(&cfg), 4);
}

/* ---- repeated red, campaigns --------------------------------------------- */

static void
test_repeated_red(void **state)
{
    (void)state;
    const struct {
        int line;
        enum rules_light last, before;
        struct ymd today;
        struct expect e;
    } cases[] = {
        { __LINE__, R, R, D(2026, 11, 1), { R, D(2026, 12, 1), 1, {
            W(REPEATED_RED, "2026-10", R, D(2026, 11, 1), 0, OFFICE) } } },
        { __LINE__, R, R, D(2026, 11, 30), { R, D(2026, 12, 1), 1, {
            W(REPEATED_RED, "2026-10", R, D(2026, 11, 1), 0, OFFICE) } } },
        { __LINE__, R, R, D(2027, 1, 15), { R, D(2027, 2, 1), 1, {
            W(REPEATED_RED, "2026-12", R, D(2027, 1, 1), 0, OFFICE) } } },
        { __LINE__, R, R, D(2028, 3, 1), { R, D(2028, 4, 1), 1, {
            W(REPEATED_RED, "2028-02", R, D(2028, 3, 1), 0, OFFICE) } } },
        { __LINE__, R, Y, D(2026, 11, 1), { G, D(2026, 12, 1), 0, { { 0 } } } },
        { __LINE__, Y, R, D(2026, 11, 1), { G, D(2026, 12, 1), 0, { { 0 } } } },
        { __LINE__, G, G, D(2026, 12, 31), { G, D(2027, 1, 1), 0, { { 0 } } } },
    };
    struct rules_config cfg = config(NULL);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_out out;
        rules_repeated_red(&cfg, cases[i].last, cases[i].before, cases[i].today, &out);
        check(cases[i].line, &out, &cases[i].e);
    }
}

#define B6(target, actual) { D(2026, 11, 1), D(2026, 12, 31), target, actual }

static void
test_campaigns(void **state)
{
    (void)state;
    /* 2026-B6: 61 days; at 12-17 (14 left) 46 days are gone, at 12-24, 53 */
    const struct {
        int line;
        struct rules_campaign c;
        struct ymd today;
        struct expect e;
    } cases[] = {
        { __LINE__, B6(61, 0), D(2026, 10, 15), { G, D(2026, 12, 17), 0, { { 0 } } } },
        { __LINE__, B6(61, 0), D(2026, 12, 16), { G, D(2026, 12, 17), 0, { { 0 } } } },
        { __LINE__, B6(61, 45.9), D(2026, 12, 17), { Y, D(2026, 12, 24), 1, {
            W(CAMPAIGN_AT_RISK, "2026-12-31/left-14", Y, D(2026, 12, 17), 0, UNIT) } } },
        { __LINE__, B6(61, 46), D(2026, 12, 17), { G, D(2026, 12, 24), 0, { { 0 } } } },
        { __LINE__, B6(61, 45), D(2026, 12, 23), { Y, D(2026, 12, 24), 1, {
            W(CAMPAIGN_AT_RISK, "2026-12-31/left-14", Y, D(2026, 12, 17), 0, UNIT) } } },
        { __LINE__, B6(61, 52), D(2026, 12, 24), { Y, D(2027, 1, 1), 1, {
            W(CAMPAIGN_AT_RISK, "2026-12-31/left-7", Y, D(2026, 12, 24), 0, UNIT) } } },
        { __LINE__, B6(61, 53), D(2026, 12, 24), { G, D(2027, 1, 1), 0, { { 0 } } } },
        { __LINE__, B6(61, 52), D(2026, 12, 31), { Y, D(2027, 1, 1), 1, {
            W(CAMPAIGN_AT_RISK, "2026-12-31/left-7", Y, D(2026, 12, 24), 0, UNIT) } } },
        { __LINE__, B6(61, 60.5), D(2027, 1, 1), { R, NEVER, 1, {
            W(CAMPAIGN_MISSED, "2026-12-31", R, D(2027, 1, 1), 1, LEADER) } } },
        { __LINE__, B6(61, 0), D(2027, 3, 1), { R, NEVER, 1, {
            W(CAMPAIGN_MISSED, "2026-12-31", R, D(2027, 1, 1), 1, LEADER) } } },
        { __LINE__, B6(61, 61), D(2027, 1, 1), { G, NEVER, 0, { { 0 } } } },
        { __LINE__, B6(61, 70), D(2027, 1, 1), { G, NEVER, 0, { { 0 } } } },
        /* a window shorter than 14 days has no 14-day stage */
        { __LINE__, { D(2026, 12, 20), D(2026, 12, 31), 12, 0 }, D(2026, 12, 20), { G, D(2026, 12, 24), 0, { { 0 } } } },
        { __LINE__, { D(2026, 12, 20), D(2026, 12, 31), 12, 3.9 }, D(2026, 12, 24), { Y, D(2027, 1, 1), 1, {
            W(CAMPAIGN_AT_RISK, "2026-12-31/left-7", Y, D(2026, 12, 24), 0, UNIT) } } },
        { __LINE__, { D(2026, 12, 20), D(2026, 12, 31), 12, 4 }, D(2026, 12, 24), { G, D(2027, 1, 1), 0, { { 0 } } } },
        /* 2028-B1 ends on a leap day: 60 days, 45 gone at 02-15 */
        { __LINE__, { D(2028, 1, 1), D(2028, 2, 29), 60, 44.5 }, D(2028, 2, 15), { Y, D(2028, 2, 22), 1, {
            W(CAMPAIGN_AT_RISK, "2028-02-29/left-14", Y, D(2028, 2, 15), 0, UNIT) } } },
        { __LINE__, { D(2028, 1, 1), D(2028, 2, 29), 60, 45 }, D(2028, 2, 15), { G, D(2028, 2, 22), 0, { { 0 } } } },
        { __LINE__, { D(2028, 1, 1), D(2028, 2, 29), 60, 51.9 }, D(2028, 2, 29), { Y, D(2028, 3, 1), 1, {
            W(CAMPAIGN_AT_RISK, "2028-02-29/left-7", Y, D(2028, 2, 22), 0, UNIT) } } },
        { __LINE__, { D(2028, 1, 1), D(2028, 2, 29), 60, 52 }, D(2028, 2, 22), { G, D(2028, 3, 1), 0, { { 0 } } } },
        { __LINE__, { D(2028, 1, 1), D(2028, 2, 29), 60, 59.9 }, D(2028, 3, 1), { R, NEVER, 1, {
            W(CAMPAIGN_MISSED, "2028-02-29", R, D(2028, 3, 1), 1, LEADER) } } },
        { __LINE__, B6(0, 0), D(2027, 1, 1), { G, NEVER, 0, { { 0 } } } },
    };
    struct rules_config cfg = config(NULL);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_out out;
        rules_campaign(&cfg, &cases[i].c, cases[i].today, &out);
        check(cases[i].line, &out, &cases[i].e);
    }
}

/* ---- lights, escalation, configuration ---------------------------------- */

static void
test_light_fold_and_reasons(void **state)
{
    (void)state;
    struct rules_parts parts;
    enum rules_part why[RULES_PART_COUNT];

    rules_parts_init(&parts);
    assert_int_equal(rules_light_fold(&parts), G);
    assert_int_equal(rules_light_reasons(&parts, why), 0);

    parts.light[RULES_PART_INVESTMENT] = Y;
    assert_int_equal(rules_light_fold(&parts), Y);
    assert_int_equal(rules_light_reasons(&parts, why), 1);
    assert_int_equal(why[0], RULES_PART_INVESTMENT);

    parts.light[RULES_PART_MILESTONE] = Y;
    parts.light[RULES_PART_REPORT] = R;
    parts.light[RULES_PART_PROBLEM] = R;
    parts.light[RULES_PART_STALLED] = Y;
    assert_int_equal(rules_light_fold(&parts), R);
    assert_int_equal(rules_light_reasons(&parts, why), 5);
    const enum rules_part order[] = { RULES_PART_REPORT, RULES_PART_PROBLEM, RULES_PART_MILESTONE,
                                      RULES_PART_INVESTMENT, RULES_PART_STALLED };
    for (size_t i = 0; i < ARRAY_LEN(order); i++)
        assert_int_equal(why[i], order[i]);

    /* each part alone decides */
    for (size_t p = 0; p < RULES_PART_COUNT; p++) {
        rules_parts_init(&parts);
        parts.light[p] = R;
        assert_int_equal(rules_light_fold(&parts), R);
        assert_int_equal(rules_light_reasons(&parts, why), 1);
        assert_int_equal(why[0], p);
    }
    const enum rules_light l[] = { G, Y, R };
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 3; b++)
            assert_int_equal(rules_light_worst(l[a], l[b]), l[a > b ? a : b]);
}

static void
leader_3_office_10(struct rules_config *cfg)
{
    cfg->escalate_leader_days = 3;
    cfg->escalate_office_days = 10;
}

static void
test_escalation(void **state)
{
    (void)state;
    const struct {
        int line;
        tweak_fn *tweak;
        enum rules_kind kind;
        enum rules_light light;
        int days_late;
        enum rules_tier want;
    } cases[] = {
        { __LINE__, NULL, RULES_MILESTONE_DUE_SOON, G, 0, UNIT },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, Y, 1, UNIT },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, Y, 7, UNIT },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, Y, 8, LEADER },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, Y, 15, LEADER },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, Y, 16, OFFICE },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, R, 1, LEADER },
        { __LINE__, NULL, RULES_MILESTONE_OVERDUE, R, 16, OFFICE },
        { __LINE__, NULL, RULES_INVESTMENT_LAGGING, Y, 0, UNIT },
        { __LINE__, NULL, RULES_INVESTMENT_LAGGING, R, 0, LEADER },
        { __LINE__, NULL, RULES_REPEATED_RED, R, 0, OFFICE },
        { __LINE__, NULL, RULES_REPEATED_RED, G, 0, OFFICE },
        { __LINE__, leader_3_office_10, RULES_PROBLEM_OVERDUE, Y, 3, UNIT },
        { __LINE__, leader_3_office_10, RULES_PROBLEM_OVERDUE, Y, 4, LEADER },
        { __LINE__, leader_3_office_10, RULES_PROBLEM_OVERDUE, Y, 10, LEADER },
        { __LINE__, leader_3_office_10, RULES_PROBLEM_OVERDUE, Y, 11, OFFICE },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rules_config cfg = config(cases[i].tweak);
        enum rules_tier got = rules_tier(&cfg, cases[i].kind, cases[i].light, cases[i].days_late);
        if (got != cases[i].want)
            fail_msg("case at line %d: tier %s, want %s", cases[i].line, rules_tier_name(got),
                     rules_tier_name(cases[i].want));
    }
}

static void
test_config(void **state)
{
    (void)state;
    struct rules_config def, cfg;
    char err[256];
    rules_config_default(&def);
    assert_true(rules_config_check(&def, err, sizeof err));
    assert_int_equal(def.n_due_soon_days, 3);
    assert_int_equal(def.due_soon_days[0], 7);
    assert_int_equal(def.overdue_repeat_days, 3);
    assert_int_equal(def.milestone_red_days, 15);
    assert_int_equal(def.report_due_day, 5);

#define BAD(field_change, key)                                          \
    do {                                                                \
        cfg = def;                                                      \
        field_change;                                                   \
        err[0] = '\0';                                                  \
        assert_false(rules_config_check(&cfg, err, sizeof err));        \
        if (strstr(err, key) == NULL)                                   \
            fail_msg("'%s' does not name %s", err, key);                \
    } while (0)

    BAD(cfg.due_soon_days[1] = 7, "alerts.due_soon_days");
    BAD(cfg.due_soon_days[2] = -1, "alerts.due_soon_days");
    BAD(cfg.n_due_soon_days = RULES_MAX_DUE_SOON + 1, "alerts.due_soon_days");
    BAD(cfg.overdue_repeat_days = 0, "alerts.overdue_repeat_days");
    BAD(cfg.milestone_red_days = -1, "alerts.milestone_red_days");
    BAD(cfg.approval_red_days = -1, "approval_red_days");
    BAD(cfg.freeze_warn = ((struct rules_md){ 2, 29 }), "alerts.freeze_warn");
    BAD(cfg.freeze_red = ((struct rules_md){ 11, 31 }), "freeze_red");
    BAD(cfg.freeze_red = ((struct rules_md){ 10, 30 }), "alerts.freeze_red");
    BAD(cfg.freeze_end = ((struct rules_md){ 13, 1 }), "freeze_end");
    BAD(cfg.start_red_months = 0, "alerts.start_red_months");
    BAD(cfg.lag_red_points = 5, "alerts.lag_yellow_points");
    BAD(cfg.lag_yellow_points = -1, "alerts.lag_yellow_points");
    BAD(cfg.report_due_day = 0, "alerts.report_due_day");
    BAD(cfg.report_due_day = 32, "alerts.report_due_day");
    BAD(cfg.report_red_periods = 0, "alerts.report_red_periods");
    BAD(cfg.stalled_red_reports = 1, "alerts.stalled_yellow_reports");
    BAD(cfg.stalled_min_change = -1, "alerts.stalled_min_change");
    BAD(cfg.stalled_min_percent = 101, "alerts.stalled_min_percent");
    BAD(cfg.problem_days = -1, "alerts.problem_days");
    BAD(cfg.campaign_risk_days[1] = 14, "alerts.campaign_risk_days");
    BAD(cfg.campaign_risk_days[1] = 0, "alerts.campaign_risk_days");
    BAD(cfg.escalate_office_days = 6, "alerts.escalate_leader_days");
#undef BAD

    /* a season whose red day is in the next calendar year is fine */
    cfg = def;
    cfg.freeze_warn = (struct rules_md){ 12, 20 };
    cfg.freeze_red = (struct rules_md){ 1, 10 };
    assert_true(rules_config_check(&cfg, err, sizeof err));
    /* … but not one whose red day comes after the season's end */
    cfg.freeze_red = (struct rules_md){ 3, 20 };
    assert_false(rules_config_check(&cfg, err, sizeof err));
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(rules_kind_name(RULES_MILESTONE_DUE_SOON), "milestone.due_soon");
    assert_string_equal(rules_kind_name(RULES_MILESTONE_OVERDUE), "milestone.overdue");
    assert_string_equal(rules_kind_name(RULES_MILESTONE_FREEZE), "milestone.freeze");
    assert_string_equal(rules_kind_name(RULES_START_OVERDUE), "project.start_overdue");
    assert_string_equal(rules_kind_name(RULES_COMPLETION_OVERDUE), "project.completion_overdue");
    assert_string_equal(rules_kind_name(RULES_INVESTMENT_LAGGING), "investment.lagging");
    assert_string_equal(rules_kind_name(RULES_REPORT_MISSING), "report.missing");
    assert_string_equal(rules_kind_name(RULES_PROGRESS_STALLED), "progress.stalled");
    assert_string_equal(rules_kind_name(RULES_APPROVAL_OVERDUE), "approval.overdue");
    assert_string_equal(rules_kind_name(RULES_PROBLEM_OVERDUE), "problem.overdue");
    assert_string_equal(rules_kind_name(RULES_REPEATED_RED), "project.repeated_red");
    assert_string_equal(rules_kind_name(RULES_CAMPAIGN_AT_RISK), "campaign.at_risk");
    assert_string_equal(rules_kind_name(RULES_CAMPAIGN_MISSED), "campaign.missed");
    assert_string_equal(rules_kind_name(RULES_KIND_COUNT), "?");
    assert_string_equal(rules_light_name(G), "green");
    assert_string_equal(rules_light_name(Y), "yellow");
    assert_string_equal(rules_light_name(R), "red");
    assert_string_equal(rules_part_name(RULES_PART_MILESTONE), "milestone");
    assert_string_equal(rules_part_name(RULES_PART_STALLED), "stalled");
    assert_string_equal(rules_part_name(RULES_PART_PROBLEM), "problem");
    assert_string_equal(rules_tier_name(UNIT), "unit");
    assert_string_equal(rules_tier_name(LEADER), "leader");
    assert_string_equal(rules_tier_name(OFFICE), "office");
}

/* ---- sweeps: the promises scan.c relies on -------------------------------- */

/* Every stage seen in one sweep, to check that a stage always comes with
 * the same light, since, days late and tier, and never comes back once
 * left (an alert key that did would be swallowed by ON CONFLICT). */
struct seen {
    struct rules_decision d;
    long last_day;
};

struct sweep {
    struct seen v[1024];
    size_t n;
};

typedef void eval_fn(const struct rules_config *cfg, const void *row, struct ymd today,
                     struct rules_out *out);

static bool
same_decision(const struct rules_decision *a, const struct rules_decision *b)
{
    return a->kind == b->kind && strcmp(a->stage, b->stage) == 0 && a->light == b->light &&
           same_date(a->since, b->since) && a->days_late == b->days_late && a->tier == b->tier;
}

static bool
same_out(const struct rules_out *a, const struct rules_out *b)
{
    if (a->n != b->n || a->light != b->light || !same_date(a->next, b->next))
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!same_decision(&a->d[i], &b->d[i]))
            return false;
    return true;
}

static void
remember(struct sweep *s, const struct rules_decision *d, long day, const char *what)
{
    for (size_t i = 0; i < s->n; i++) {
        struct seen *e = &s->v[i];
        if (e->d.kind != d->kind || strcmp(e->d.stage, d->stage) != 0)
            continue;
        if (!same_decision(&e->d, d))
            fail_msg("%s: stage %s %s changed its light, since or tier", what,
                     rules_kind_name(d->kind), d->stage);
        if (e->last_day != day - 1)
            fail_msg("%s: stage %s %s came back after it was left", what,
                     rules_kind_name(d->kind), d->stage);
        e->last_day = day;
        return;
    }
    assert_true(s->n < ARRAY_LEN(s->v));
    s->v[s->n++] = (struct seen){ *d, day };
}

/* From `from` for `days` days: out(t) may differ from out(t-1) only when
 * out(t-1).next == t (scan.c skips the row until then); next is always in
 * the future; each decision is reproduced by evaluating on its `since`. */
static void
sweep(eval_fn *fn, const struct rules_config *cfg, const void *row, struct ymd from,
      int days, bool tight, const char *what)
{
    static struct sweep s;
    struct rules_out prev, cur, at_since;
    long d0 = ymd_to_days(&from);
    s.n = 0;
    for (long t = d0; t < d0 + days; t++) {
        struct ymd today;
        days_to_ymd(t, &today);
        fn(cfg, row, today, &cur);
        char b[16];
        if (cur.next.y != 0 && ymd_to_days(&cur.next) <= t)
            fail_msg("%s on %s: next %s is not in the future", what, show(today, b),
                     show(cur.next, b));
        if (t > d0) {
            bool changed = !same_out(&prev, &cur);
            long announced = prev.next.y != 0 ? ymd_to_days(&prev.next) : -1;
            if (changed && announced != t) {
                dump(&prev);
                dump(&cur);
                fail_msg("%s on %s: changed without being announced", what, show(today, b));
            }
            if (tight && !changed && announced == t)
                fail_msg("%s on %s: announced but nothing changed", what, show(today, b));
        }
        for (size_t i = 0; i < cur.n; i++) {
            remember(&s, &cur.d[i], t, what);
            fn(cfg, row, cur.d[i].since, &at_since);
            bool found = false;
            for (size_t j = 0; j < at_since.n; j++)
                found = found || same_decision(&at_since.d[j], &cur.d[i]);
            if (!found)
                fail_msg("%s on %s: %s %s is not reproduced on its since day", what,
                         show(today, b), rules_kind_name(cur.d[i].kind), cur.d[i].stage);
        }
        prev = cur;
    }
}

static void
eval_milestone(const struct rules_config *cfg, const void *row, struct ymd today,
               struct rules_out *out)
{
    rules_milestone(cfg, row, today, out);
}

static void
eval_project(const struct rules_config *cfg, const void *row, struct ymd today,
             struct rules_out *out)
{
    rules_project(cfg, row, today, out, NULL);
}

static void
eval_problem(const struct rules_config *cfg, const void *row, struct ymd today,
             struct rules_out *out)
{
    rules_problem(cfg, row, today, out);
}

static void
eval_approval(const struct rules_config *cfg, const void *row, struct ymd today,
              struct rules_out *out)
{
    rules_approval(cfg, row, today, out);
}

static void
eval_campaign(const struct rules_config *cfg, const void *row, struct ymd today,
              struct rules_out *out)
{
    rules_campaign(cfg, row, today, out);
}

static void
eval_repeated_red(const struct rules_config *cfg, const void *row, struct ymd today,
                  struct rules_out *out)
{
    (void)row;
    rules_repeated_red(cfg, RULES_RED, RULES_RED, today, out);
}

static void
test_sweeps(void **state)
{
    (void)state;
    tweak_fn *tweaks[] = { NULL, red_after_5_repeat_7, due_soon_10_5_0, freeze_crosses_year,
                           report_due_30, report_due_31, report_red_3 };
    const struct rules_milestone ms[] = {
        PENDING(D(2026, 11, 20)), PENDING(D(2026, 12, 30)), PENDING(D(2028, 2, 29)),
        STRUCTURE(D(2026, 12, 20)), STRUCTURE(D(2026, 6, 30)), STRUCTURE(D(2027, 2, 10)),
        STRUCTURE(D(2027, 3, 15)), STRUCTURE(D(2028, 1, 31)), MS("structure", "done", D(2026, 12, 20)),
    };
    const struct rules_project ps[] = {
        { .year = 2026, .status = "preliminary", .category = "new", .planned_start = D(2026, 3, 10),
          .planned_end = D(2026, 10, 31), .annual_plan = 1200,
          REPORTS({ 2026, 3, 0 }, { 2026, 2, 0 }) },
        { .year = 2027, .status = "building", .category = "new", .planned_end = D(2028, 2, 29),
          .annual_plan = 1200, .reports_from = D(2027, 4, 1), REPORTS({ 2027, 6, 100 }) },
        { .year = 2026, .status = "completed", .category = "new", .planned_end = D(2026, 6, 30) },
    };
    const struct rules_problem pr[] = {
        { "ordinary", "open", D(2026, 11, 1), NEVER }, { "major", "open", D(2026, 12, 15), NEVER },
        { "ordinary", "open", D(2028, 2, 22), D(2028, 2, 22) },
    };
    const struct rules_approval ap[] = { { "pending", D(2026, 5, 31) }, { "pending", D(2027, 12, 31) } };
    const struct rules_campaign cs[] = {
        B6(61, 0), { D(2028, 1, 1), D(2028, 2, 29), 60, 30 }, { D(2026, 12, 20), D(2026, 12, 31), 12, 0 },
    };
    const struct ymd from = D(2025, 12, 1);
    const int days = 3 * 366 + 60;

    for (size_t t = 0; t < ARRAY_LEN(tweaks); t++) {
        struct rules_config cfg = config(tweaks[t]);
        char what[64];
        for (size_t i = 0; i < ARRAY_LEN(ms); i++) {
            snprintf(what, sizeof what, "config %zu, milestone %zu", t, i);
            sweep(eval_milestone, &cfg, &ms[i], from, days, true, what);
        }
        for (size_t i = 0; i < ARRAY_LEN(ps); i++) {
            snprintf(what, sizeof what, "config %zu, project %zu", t, i);
            sweep(eval_project, &cfg, &ps[i], from, days, false, what);
        }
        for (size_t i = 0; i < ARRAY_LEN(pr); i++) {
            snprintf(what, sizeof what, "config %zu, problem %zu", t, i);
            sweep(eval_problem, &cfg, &pr[i], from, days, true, what);
        }
        for (size_t i = 0; i < ARRAY_LEN(ap); i++) {
            snprintf(what, sizeof what, "config %zu, approval %zu", t, i);
            sweep(eval_approval, &cfg, &ap[i], from, days, true, what);
        }
        for (size_t i = 0; i < ARRAY_LEN(cs); i++) {
            snprintf(what, sizeof what, "config %zu, campaign %zu", t, i);
            sweep(eval_campaign, &cfg, &cs[i], from, days, false, what);
        }
        sweep(eval_repeated_red, &cfg, NULL, from, days, true, "repeated red");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_milestone_stages),
        cmocka_unit_test(test_milestone_calendar),
        cmocka_unit_test(test_milestone_config),
        cmocka_unit_test(test_milestone_freeze),
        cmocka_unit_test(test_approvals),
        cmocka_unit_test(test_problems),
        cmocka_unit_test(test_start_overdue),
        cmocka_unit_test(test_completion_overdue),
        cmocka_unit_test(test_investment_lagging),
        cmocka_unit_test(test_report_missing),
        cmocka_unit_test(test_reports_from_entry),
        cmocka_unit_test(test_progress_stalled),
        cmocka_unit_test(test_project_all_rules),
        cmocka_unit_test(test_repeated_red),
        cmocka_unit_test(test_campaigns),
        cmocka_unit_test(test_light_fold_and_reasons),
        cmocka_unit_test(test_escalation),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sweeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
