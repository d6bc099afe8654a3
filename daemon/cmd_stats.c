/* cmd_stats: the figures the monthly bulletin and the 督查 meetings quote —
 * `stats` (milestones, investment against plan and against 序时进度,
 * starts and completions against plan, lights; by county, sector, level,
 * unit or leader, with a total row) and `rank` (counties ranked by
 * investment against 序时进度, 城区组, 县组 and 功能区组 apart). Read-only.
 *
 * Definitions (doc/protocol.md repeats them):
 *   the month M: --month, else the month before today's (the bulletin
 *     reports the last whole month); the year is M's; projects of that year;
 *   milestones due: not waived and due before today; done: of those, done;
 *   overdue: pending and due before today; completion_rate = done / due;
 *   investment: projects with an annual plan > 0; invested = each project's
 *     year-to-date at M (its latest report of the year up to M);
 *     investment_rate = invested / annual plan; schedule_rate (序时进度) =
 *     planned cumulative at M (the monthly plan, else M/12 of the annual
 *     plan, as the alert rules read it) / annual plan; points_vs_schedule =
 *     the difference, in percentage points;
 *   starts: projects planned to start this year by today (with --campaign:
 *     within the campaign's window), and of those the ones started;
 *     completions likewise with the planned and actual end;
 *   approvals: the 联审联批 items of the projects counted, not waived (with
 *     --campaign: planned within its window); done; overdue: pending and
 *     past the time limit;
 *   lights: projects by their current light;
 *   --campaign narrows milestones to the campaign and starts/completions to
 *     its window; the investment figures stay year-to-date;
 *   --county, --sector, --level, --unit (the project's), --leader and
 *     --light narrow the projects counted, on top of --by;
 *   rank takes the same filters but --county (it ranks the counties) and
 *     --campaign (its figures are the year's investment: --month chooses
 *     the month). */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_filter.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_stats_entry, cmd_rank_entry;

/* The month M as YYYY-MM-01: --month, or the month before today's. */
static bool
report_month(const struct cmd_call *c, char out[11])
{
    const char *s = cmd_opt(c->a, "month");
    int y, m;
    if (s) {
        if (!parse_month(s, &y, &m)) {
            cmd_usage_error(c, "--month: '%s' is not a month (like 2026-10 or 2026年10月)", s);
            return false;
        }
    } else {
        struct ymd t;
        clock_today(&c->ctx->d->clock, &t);
        y = t.m == 1 ? t.y - 1 : t.y;
        m = t.m == 1 ? 12 : t.m - 1;
    }
    snprintf(out, 11, "%04d-%02d-01", y, m);
    return true;
}

/* M's year, as an integer: compared as numeric (what extract returns),
 * project.year was cast row by row and its estimate lost. */
#define YEAR_OF_M "extract(year FROM $2::date)::int"
/* Its first day: make_date is folded once; date_trunc of a date (through
 * timestamptz, which depends on the time zone) was run row by row. */
#define YEAR_START "make_date(" YEAR_OF_M ", 1, 1)"
/* Each project of M's year (in proj) with its investment at M ($2 = M). */
#define INVESTMENT_PER_PROJECT \
    " CASE WHEN p.annual_plan > 0 THEN p.annual_plan END AS plan," \
    " CASE WHEN p.annual_plan > 0 THEN coalesce(rep.ytd, 0) END AS ytd," \
    " CASE WHEN p.annual_plan > 0 THEN coalesce(ip.planned_cumulative," \
    "   p.annual_plan * extract(month FROM $2::date) / 12) END AS plan_to_date"
/* The projects counted are the CTE proj (id, annual_plan, …); each one's
 * latest report of the year up to M. A join the planner may turn into one
 * pass over the reports (the whole ledger) or an index probe per project
 * (a county's): a LATERAL … LIMIT 1 forced the probes, 100,000 of them on
 * a national ledger. */
#define INVESTMENT_CTE \
    " rep AS (SELECT DISTINCT ON (r.project_id) r.project_id, r.ytd" \
    "   FROM investment_report r JOIN proj ON proj.id = r.project_id" \
    "   WHERE r.month BETWEEN " YEAR_START " AND $2::date" \
    "   ORDER BY r.project_id, r.month DESC)"
#define INVESTMENT_JOINS \
    " LEFT JOIN rep ON rep.project_id = p.id" \
    " LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = $2::date"
#define INVESTMENT_FIGURES \
    " sum(plan) AS annual_plan, sum(ytd) AS invested," \
    " round(100 * sum(ytd) / nullif(sum(plan), 0), 1) AS investment_rate," \
    " round(100 * sum(plan_to_date) / nullif(sum(plan), 0), 1) AS schedule_rate," \
    " round(100 * (sum(ytd) - sum(plan_to_date)) / nullif(sum(plan), 0), 1) AS points_vs_schedule"

/* ---- stats -------------------------------------------------------------- */

static const struct {
    const char *name, *expr;
} stats_by[] = {
    { "county", "co.name" },
    { "sector", "p.sector" },
    { "level", "p.level" },
    { "unit", "coalesce(pu.name, '(无)')" },
    { "leader", "coalesce(l.name, '(无)')" },
};

static void
stats_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_stats_entry, .a = a };
    const char *by = cmd_opt(a, "by");
    size_t i = 0, n = sizeof stats_by / sizeof stats_by[0];
    if (by) {
        while (i < n && strcmp(stats_by[i].name, by) != 0)
            i++;
        if (i == n) {
            cmd_usage_error(&c, "--by: unknown value '%s' (expected county, sector, level, unit or leader)", by);
            return;
        }
    }
    struct cmd_filters f;
    char today[11], month[11];
    if (!cmd_filters_read(&c, &f) || !report_month(&c, month))
        return;
    cmd_today(ctx, today);
    /* $1 today, $2 the month M, $3 the campaign code or NULL, $4 … the
     * filters on projects but the campaign's, which narrows milestones and
     * the windows of starts and completions instead. */
    const char *params[3 + FILTER_N] = { today, month, f.v[FILTER_CAMPAIGN] };
    cmd_filters_params(&f, params + 3);
    params[3 + FILTER_CAMPAIGN] = NULL;
    char *where = cmd_filters_sql_new(FILTER_ON_PROJECTS, 4);
    /* proj: the projects counted, with the group each falls in. Each
     * table is then counted by group in one pass (pg: the projects, mg
     * their milestones, ag their approvals), and the groups' sums summed
     * again for the total: every figure is a sum or a count, so the total
     * is the same as counting it whole. A per-project LATERAL forced an
     * index probe per project (100,000 on a national ledger); today and
     * the campaign are parameters where they filter, for the estimates. */
    char *sql = xasprintf(
        "WITH s AS (SELECT c.id AS campaign_id, c.starts_on, c.ends_on"
        "   FROM (SELECT 1) one LEFT JOIN campaign c ON c.code = $3::text),"
        " proj AS (SELECT p.id, %s AS grp, p.light, p.annual_plan, p.planned_start, p.actual_start,"
        "   p.planned_end, p.actual_end"
        "  FROM project p JOIN county co ON co.id = p.county_id"
        "  LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
        "  WHERE p.year = " YEAR_OF_M " AND keyproj_on_list(p.archived_on, $1::date)%s),"
        INVESTMENT_CTE ","
        " per AS (SELECT p.grp, p.light,"
        "   CASE WHEN s.campaign_id IS NULL"
        "     THEN p.planned_start BETWEEN " YEAR_START " AND $1::date"
        "     ELSE p.planned_start BETWEEN s.starts_on AND s.ends_on END AS start_planned,"
        "   p.actual_start <= $1::date AS started,"
        "   CASE WHEN s.campaign_id IS NULL"
        "     THEN p.planned_end BETWEEN " YEAR_START " AND $1::date"
        "     ELSE p.planned_end BETWEEN s.starts_on AND s.ends_on END AS completion_planned,"
        "   p.actual_end <= $1::date AS completed," INVESTMENT_PER_PROJECT
        "  FROM proj p CROSS JOIN s" INVESTMENT_JOINS "),"
        " pg AS (SELECT grp, count(*) AS projects,"
        "   sum(plan) AS plan, sum(ytd) AS ytd, sum(plan_to_date) AS plan_to_date,"
        "   count(*) FILTER (WHERE start_planned) AS starts_planned,"
        "   count(*) FILTER (WHERE start_planned AND started) AS starts_done,"
        "   count(*) FILTER (WHERE completion_planned) AS completions_planned,"
        "   count(*) FILTER (WHERE completion_planned AND completed) AS completions_done,"
        "   count(*) FILTER (WHERE light = 'red') AS red,"
        "   count(*) FILTER (WHERE light = 'yellow') AS yellow,"
        "   count(*) FILTER (WHERE light = 'green') AS green"
        "  FROM per GROUP BY grp),"
        " mg AS (SELECT p.grp, count(*) AS due,"
        "   count(*) FILTER (WHERE m.status = 'done') AS done,"
        "   count(*) FILTER (WHERE m.status = 'pending') AS overdue"
        "  FROM milestone m JOIN proj p ON p.id = m.project_id"
        "  WHERE m.status <> 'waived' AND m.due_on < $1::date"
        "   AND ($3::text IS NULL OR m.campaign_id = (SELECT campaign_id FROM s))"
        "  GROUP BY p.grp),"
        " ag AS (SELECT p.grp, count(*) AS items,"
        "   count(*) FILTER (WHERE a.status = 'done') AS done,"
        "   count(*) FILTER (WHERE a.status = 'pending' AND a.planned_on < $1::date) AS overdue"
        "  FROM approval a JOIN proj p ON p.id = a.project_id CROSS JOIN s"
        "  WHERE a.status <> 'waived'"
        "   AND (s.campaign_id IS NULL OR a.planned_on BETWEEN s.starts_on AND s.ends_on)"
        "  GROUP BY p.grp),"
        /* a sum over no group is NULL: counts say 0, as count(*) did, and
         * milestone and approval sums say NULL only when no project is
         * counted at all, as the per-project sums did */
        " g AS (SELECT pg.*, coalesce(mg.due, 0) AS due, coalesce(mg.done, 0) AS done,"
        "   coalesce(mg.overdue, 0) AS overdue, coalesce(ag.items, 0) AS ap_items,"
        "   coalesce(ag.done, 0) AS ap_done, coalesce(ag.overdue, 0) AS ap_overdue"
        "  FROM pg LEFT JOIN mg ON mg.grp = pg.grp LEFT JOIN ag ON ag.grp = pg.grp)"
        " SELECT CASE WHEN grouping(grp) = 1 THEN '合计' ELSE grp END AS %s,"
        "  coalesce(sum(projects), 0)::bigint AS projects,"
        "  sum(due)::bigint AS milestones_due, sum(done)::bigint AS milestones_done,"
        "  sum(overdue)::bigint AS milestones_overdue,"
        "  round(100.0 * sum(done) / nullif(sum(due), 0), 1) AS completion_rate,"
        "  sum(plan) AS annual_plan, sum(ytd) AS invested,"
        "  round(100 * sum(ytd) / nullif(sum(plan), 0), 1) AS investment_rate,"
        "  round(100 * sum(plan_to_date) / nullif(sum(plan), 0), 1) AS schedule_rate,"
        "  round(100 * (sum(ytd) - sum(plan_to_date)) / nullif(sum(plan), 0), 1) AS points_vs_schedule,"
        "  coalesce(sum(starts_planned), 0)::bigint AS starts_planned,"
        "  coalesce(sum(starts_done), 0)::bigint AS starts_done,"
        "  coalesce(sum(completions_planned), 0)::bigint AS completions_planned,"
        "  coalesce(sum(completions_done), 0)::bigint AS completions_done,"
        "  sum(ap_items)::bigint AS approvals, sum(ap_done)::bigint AS approvals_done,"
        "  sum(ap_overdue)::bigint AS approvals_overdue,"
        "  coalesce(sum(red), 0)::bigint AS red,"
        "  coalesce(sum(yellow), 0)::bigint AS yellow,"
        "  coalesce(sum(green), 0)::bigint AS green"
        " FROM g GROUP BY GROUPING SETS ((grp), ()) ORDER BY grouping(grp), grp",
        stats_by[i].expr, where, stats_by[i].name);
    cmd_filters_query(ctx, &f, sql, 3 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

static const struct cmd_opt stats_opts[] = {
    { "by", true }, CMD_FILTER_OPTS, { "month", true }, { NULL, false },
};

const struct cmd_entry cmd_stats_entry = {
    .name = "stats",
    .usage = "[--by county|sector|level|unit|leader] " CMD_FILTER_USAGE " [--campaign C] [--month M]",
    .summary = "milestones due/done/overdue, investment against plan and 序时进度, starts, completions, 联审联批 "
        "items (approvals, done, overdue) and lights, "
        "by county (or sector, level, unit, leader) with a total; the filters narrow the projects counted",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = stats_opts,
    .exec = stats_exec,
};

/* ---- rank --------------------------------------------------------------- */

/* Counties with planned investment in M's year, ranked by points against
 * 序时进度 (then by completion rate, then by name) within their group:
 * 城区组 (district), 县组 (county) and 功能区组 (zone: functional zones
 * have neither a district's nor a county's means, and the bulletin lists
 * them apart, as the county table's grp says). */
static void
rank_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_rank_entry, .a = a };
    struct cmd_filters f;
    char month[11];
    if (!cmd_filters_read(&c, &f) || !report_month(&c, month))
        return;
    char today[11];
    cmd_today(ctx, today);
    /* $2: as the shared fragments read it; $3 today, for the list as it stands (an archived project, 调出,
     * is out of the ranking) */
    const char *params[3 + FILTER_N] = { month, month, today };
    cmd_filters_params(&f, params + 3);
    char *where = cmd_filters_sql_new(FILTER_ON_PROJECTS, 4);
    char *sql = xasprintf(
        "WITH proj AS (SELECT p.id, p.annual_plan, co.name AS county, co.grp"
        "  FROM project p JOIN county co ON co.id = p.county_id"
        "  LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
        "  WHERE p.year = " YEAR_OF_M " AND p.annual_plan > 0"
        "   AND keyproj_on_list(p.archived_on, $3::date)%s),"
        INVESTMENT_CTE ","
        " per AS (SELECT p.county, p.grp," INVESTMENT_PER_PROJECT " FROM proj p" INVESTMENT_JOINS "),"
        " agg AS (SELECT county, grp, count(*) AS projects," INVESTMENT_FIGURES ","
        "   sum(ytd) / sum(plan) AS rate, (sum(ytd) - sum(plan_to_date)) / sum(plan) AS points"
        "  FROM per GROUP BY county, grp)"
        " SELECT CASE grp WHEN 'district' THEN '城区组' WHEN 'county' THEN '县组' ELSE '功能区组' END"
        "   AS \"group\","
        "  rank() OVER (PARTITION BY grp ORDER BY points DESC, rate DESC) AS rank, county,"
        "  to_char($1::date, 'YYYY-MM') AS month, projects, annual_plan, invested,"
        "  investment_rate, schedule_rate, points_vs_schedule"
        " FROM agg ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), rank, county",
        where);
    cmd_filters_query(ctx, &f, sql, 3 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

/* Not --county: rank ranks the counties (stats --county shows one); not
 * --campaign: the figures are the year's investment, --month picks M. */
static const struct cmd_opt rank_opts[] = {
    { "sector", true }, { "level", true }, { "unit", true }, { "leader", true }, { "light", true },
    { "month", true }, { NULL, false },
};

const struct cmd_entry cmd_rank_entry = {
    .name = "rank",
    .usage = "[--sector S] [--level L] [--unit U] [--leader L] [--light red|yellow|green] [--month M]",
    .summary = "the monthly bulletin: counties ranked by investment against 序时进度, 城区组, 县组 and 功能区组 apart; "
        "the filters narrow the projects counted",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = rank_opts,
    .exec = rank_exec,
};
