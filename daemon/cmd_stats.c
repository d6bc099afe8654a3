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

/* Each project of M's year with its investment at M ($2 = M). */
#define INVESTMENT_PER_PROJECT \
    " CASE WHEN p.annual_plan > 0 THEN p.annual_plan END AS plan," \
    " CASE WHEN p.annual_plan > 0 THEN coalesce(rep.ytd, 0) END AS ytd," \
    " CASE WHEN p.annual_plan > 0 THEN coalesce(ip.planned_cumulative," \
    "   p.annual_plan * extract(month FROM $2::date) / 12) END AS plan_to_date"
#define INVESTMENT_JOINS \
    " LEFT JOIN LATERAL (SELECT r.ytd FROM investment_report r WHERE r.project_id = p.id" \
    "   AND r.month BETWEEN date_trunc('year', $2::date)::date AND $2::date" \
    "   ORDER BY r.month DESC LIMIT 1) rep ON true" \
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
    char *sql = xasprintf(
        "WITH s AS (SELECT $1::date AS today, c.id AS campaign_id, c.starts_on, c.ends_on"
        "   FROM (SELECT 1) one LEFT JOIN campaign c ON c.code = $3::text),"
        " per AS (SELECT %s AS grp, p.light,"
        "   coalesce(ms.due, 0) AS due, coalesce(ms.done, 0) AS done, coalesce(ms.overdue, 0) AS overdue,"
        "   CASE WHEN s.campaign_id IS NULL"
        "     THEN p.planned_start BETWEEN date_trunc('year', $2::date)::date AND s.today"
        "     ELSE p.planned_start BETWEEN s.starts_on AND s.ends_on END AS start_planned,"
        "   p.actual_start <= s.today AS started,"
        "   CASE WHEN s.campaign_id IS NULL"
        "     THEN p.planned_end BETWEEN date_trunc('year', $2::date)::date AND s.today"
        "     ELSE p.planned_end BETWEEN s.starts_on AND s.ends_on END AS completion_planned,"
        "   p.actual_end <= s.today AS completed,"
        "   coalesce(ap.items, 0) AS ap_items, coalesce(ap.done, 0) AS ap_done, coalesce(ap.overdue, 0) AS ap_overdue,"
        INVESTMENT_PER_PROJECT
        "  FROM project p CROSS JOIN s JOIN county co ON co.id = p.county_id"
        "  LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
        "  LEFT JOIN LATERAL (SELECT"
        "     count(*) FILTER (WHERE m.status <> 'waived' AND m.due_on < s.today) AS due,"
        "     count(*) FILTER (WHERE m.status = 'done' AND m.due_on < s.today) AS done,"
        "     count(*) FILTER (WHERE m.status = 'pending' AND m.due_on < s.today) AS overdue"
        "    FROM milestone m WHERE m.project_id = p.id"
        "     AND (s.campaign_id IS NULL OR m.campaign_id = s.campaign_id)) ms ON true"
        "  LEFT JOIN LATERAL (SELECT count(*) AS items,"
        "     count(*) FILTER (WHERE a.status = 'done') AS done,"
        "     count(*) FILTER (WHERE a.status = 'pending' AND a.planned_on < s.today) AS overdue"
        "    FROM approval a WHERE a.project_id = p.id AND a.status <> 'waived'"
        "     AND (s.campaign_id IS NULL OR a.planned_on BETWEEN s.starts_on AND s.ends_on)) ap ON true"
        INVESTMENT_JOINS
        "  WHERE p.year = extract(year FROM $2::date) AND keyproj_on_list(p.archived_on, $1::date)%s)"
        " SELECT CASE WHEN grouping(grp) = 1 THEN '合计' ELSE grp END AS %s,"
        "  count(*) AS projects,"
        "  sum(due)::bigint AS milestones_due, sum(done)::bigint AS milestones_done,"
        "  sum(overdue)::bigint AS milestones_overdue,"
        "  round(100.0 * sum(done) / nullif(sum(due), 0), 1) AS completion_rate," INVESTMENT_FIGURES ","
        "  count(*) FILTER (WHERE start_planned) AS starts_planned,"
        "  count(*) FILTER (WHERE start_planned AND started) AS starts_done,"
        "  count(*) FILTER (WHERE completion_planned) AS completions_planned,"
        "  count(*) FILTER (WHERE completion_planned AND completed) AS completions_done,"
        "  sum(ap_items)::bigint AS approvals, sum(ap_done)::bigint AS approvals_done,"
        "  sum(ap_overdue)::bigint AS approvals_overdue,"
        "  count(*) FILTER (WHERE light = 'red') AS red,"
        "  count(*) FILTER (WHERE light = 'yellow') AS yellow,"
        "  count(*) FILTER (WHERE light = 'green') AS green"
        " FROM per GROUP BY GROUPING SETS ((grp), ()) ORDER BY grouping(grp), grp",
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
        "WITH per AS (SELECT co.name AS county, co.grp," INVESTMENT_PER_PROJECT
        "  FROM project p JOIN county co ON co.id = p.county_id"
        "  LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id" INVESTMENT_JOINS
        "  WHERE p.year = extract(year FROM $1::date) AND p.annual_plan > 0"
        "   AND keyproj_on_list(p.archived_on, $3::date)%s),"
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
