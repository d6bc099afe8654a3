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
/* The projects a statement counts, as p with its county co, unit pu and
 * leader l; the condition choosing them is the statement's. */
#define PROJECTS_FROM \
    " project p JOIN county co ON co.id = p.county_id" \
    " LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
/* Each project (p) with its investment at M ($2 = M): its plan to date
 * is M/12 of its annual plan (PLAN_TO_DATE, on a sum of them) unless a
 * monthly plan says otherwise (plan_adjust: by how much). Summed as the
 * annual plans' share and the adjustments apart, the figures come out the
 * same whether the projects are counted one by one or from project_tally
 * (which holds the sum of their annual plans); summing each project's
 * own M/12 gave sums that differed in their last digits, enough to order
 * two counties that tie. */
#define INVESTMENT_PER_PROJECT \
    " CASE WHEN p.annual_plan > 0 THEN p.annual_plan END AS plan," \
    " CASE WHEN p.annual_plan > 0 THEN coalesce(rep.ytd, 0) END AS ytd," \
    " CASE WHEN p.annual_plan > 0 THEN ip.planned_cumulative" \
    "   - p.annual_plan * extract(month FROM $2::date) / 12 END AS plan_adjust"
/* The plan to date of projects whose annual plans sum to PLAN, adjusted
 * by ADJUST (NULL: none). */
#define PLAN_TO_DATE(plan, adjust) \
    "(" plan ") * extract(month FROM $2::date) / 12 + coalesce(" adjust ", 0)"
/* Each counted project's latest report of the year up to M; %s, %s: the
 * projects (PROJECTS_FROM, or project p alone when no filter needs the
 * others) and the condition choosing those counted. A join the planner may turn
 * into one pass over the reports (the whole ledger) or an index probe per
 * project (a county's): a LATERAL … LIMIT 1 forced the probes, 100,000 of
 * them on a national ledger. A semi-join of its own rather than a join to
 * a CTE of the projects: a CTE read twice is materialised, and the
 * projects' pass then went through a copy of every row (twice as long). */
#define INVESTMENT_CTE \
    " rep AS (SELECT DISTINCT ON (r.project_id) r.project_id, r.ytd" \
    "   FROM investment_report r" \
    "   WHERE r.month BETWEEN " YEAR_START " AND $2::date" \
    "    AND r.project_id IN (SELECT p.id FROM%s WHERE %s)" \
    "   ORDER BY r.project_id, r.month DESC)"
#define INVESTMENT_JOINS \
    " LEFT JOIN rep ON rep.project_id = p.id" \
    " LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = $2::date"

/* ---- stats -------------------------------------------------------------- */

/* Whether any filter but the campaign narrows the projects counted. Without
 * one, a statement holds no filter condition and takes no filter parameter
 * ($4 …): the conditions' joins and ORs cost the planner a few
 * milliseconds a statement, as much as a demo ledger's counting. */
static bool
projects_filtered(const struct cmd_filters *f)
{
    for (int k = 0; k < FILTER_N; k++)
        if (k != FILTER_CAMPAIGN && f->v[k])
            return true;
    return false;
}

static const struct {
    const char *name, *expr;
} stats_by[] = {
    { "county", "co.name" },
    { "sector", "p.sector" },
    { "level", "p.level" },
    { "unit", "coalesce(pu.name, '(无)')" },
    { "leader", "coalesce(l.name, '(无)')" },
};

/* A statement's figures come one of two ways, chosen by what it groups
 * and filters by, so that a page and keyprojctl asking the same get the
 * same statement.
 *
 * Tallied: by county or sector, filtered at most by county, sector and
 * campaign. The rows of the tallies (sql/0007_tally.sql, kept by
 * sql/functions/tally.sql) that the ledger's would fall in are summed, each
 * tally standing as p (its county, sector, year, archived_on) so that the
 * group's expression (%s) reads as on a project, and the filters as TALLY_FILTERS.
 * Only what depends on the month or on a date after today is read from the
 * ledger: the reports and monthly plans (from their side: none, nothing
 * read) and the projects whose actual start or end is after today (through
 * their indexes: normally none either). On a national ledger the 总览's
 * two statements went from counting 100,000 projects, 812k milestones and
 * 135k items each to summing some 130k narrow rows. */
#define TALLY_WHERE " p.year = " YEAR_OF_M " AND keyproj_on_list(p.archived_on, $1::date)%s"
#define PG_TALLIED \
    " pt AS (SELECT %s AS grp, sum(p.n) AS projects, sum(p.planned) AS planned, sum(p.plan) AS plan," \
    "   coalesce(sum(p.n) FILTER (WHERE p.light = 'red'), 0) AS red," \
    "   coalesce(sum(p.n) FILTER (WHERE p.light = 'yellow'), 0) AS yellow," \
    "   coalesce(sum(p.n) FILTER (WHERE p.light = 'green'), 0) AS green" \
    "  FROM project_tally p JOIN county co ON co.id = p.county_id WHERE" TALLY_WHERE \
    "  GROUP BY 1 HAVING sum(p.n) > 0)," \
    " pd AS (SELECT %s AS grp," \
    "   sum(p.n) FILTER (WHERE p.what = 'start') AS starts," \
    "   sum(p.done) FILTER (WHERE p.what = 'start') AS started," \
    "   sum(p.n) FILTER (WHERE p.what = 'end') AS ends, sum(p.done) FILTER (WHERE p.what = 'end') AS ended" \
    "  FROM project_date_tally p JOIN county co ON co.id = p.county_id CROSS JOIN s" \
    "  WHERE" TALLY_WHERE " AND p.planned_on BETWEEN s.lo AND s.hi GROUP BY 1)," \
    /* started or ended after today: counted by pd as started (ended) */ \
    " ahead AS (SELECT %s AS grp," \
    "   count(*) FILTER (WHERE p.actual_start > $1::date AND p.planned_start BETWEEN s.lo AND s.hi)" \
    "    AS started," \
    "   count(*) FILTER (WHERE p.actual_end > $1::date AND p.planned_end BETWEEN s.lo AND s.hi) AS ended" \
    "  FROM project p JOIN county co ON co.id = p.county_id CROSS JOIN s" \
    "  WHERE (p.actual_start > $1::date OR p.actual_end > $1::date) AND" TALLY_WHERE " GROUP BY 1)," \
    /* rep holds the reports of the projects counted only */ \
    " repg AS (SELECT %s AS grp, sum(rep.ytd) AS ytd" \
    "  FROM rep JOIN project p ON p.id = rep.project_id JOIN county co ON co.id = p.county_id" \
    "  WHERE p.annual_plan > 0 GROUP BY 1)," \
    /* a monthly plan in place of M/12 of the annual one */ \
    " ipg AS (SELECT %s AS grp," \
    "   sum(ip.planned_cumulative - p.annual_plan * extract(month FROM $2::date) / 12) AS plan_adjust" \
    "  FROM investment_plan ip JOIN project p ON p.id = ip.project_id JOIN county co ON co.id = p.county_id" \
    "  WHERE ip.month = $2::date AND p.annual_plan > 0 AND" TALLY_WHERE " GROUP BY 1)," \
    " pg AS (SELECT pt.grp, pt.projects, CASE WHEN pt.planned > 0 THEN pt.plan END AS plan," \
    "   CASE WHEN pt.planned > 0 THEN coalesce(repg.ytd, 0) END AS ytd," \
    "   CASE WHEN pt.planned > 0 THEN " PLAN_TO_DATE("pt.plan", "ipg.plan_adjust") " END AS plan_to_date," \
    "   coalesce(pd.starts, 0) AS starts_planned," \
    "   coalesce(pd.started, 0) - coalesce(ahead.started, 0) AS starts_done," \
    "   coalesce(pd.ends, 0) AS completions_planned," \
    "   coalesce(pd.ended, 0) - coalesce(ahead.ended, 0) AS completions_done, pt.red, pt.yellow, pt.green" \
    "  FROM pt LEFT JOIN pd ON pd.grp = pt.grp LEFT JOIN ahead ON ahead.grp = pt.grp" \
    "  LEFT JOIN repg ON repg.grp = pt.grp LEFT JOIN ipg ON ipg.grp = pt.grp),"
#define MG_TALLIED \
    " mg AS (SELECT %s AS grp, sum(p.n)::bigint AS due," \
    "   coalesce(sum(p.n) FILTER (WHERE p.status = 'done'), 0)::bigint AS done," \
    "   coalesce(sum(p.n) FILTER (WHERE p.status = 'pending'), 0)::bigint AS overdue" \
    "  FROM milestone_tally p JOIN county co ON co.id = p.county_id" \
    "  WHERE" TALLY_WHERE " AND p.status <> 'waived' AND p.due_on < $1::date" \
    "   AND ($3::text IS NULL OR p.campaign_id = (SELECT campaign_id FROM s))" \
    "  GROUP BY 1)," \
    " ag AS (SELECT %s AS grp, sum(p.n)::bigint AS items," \
    "   coalesce(sum(p.n) FILTER (WHERE p.status = 'done'), 0)::bigint AS done," \
    "   coalesce(sum(p.n) FILTER (WHERE p.status = 'pending' AND p.planned_on < $1::date), 0)::bigint" \
    "    AS overdue" \
    "  FROM approval_tally p JOIN county co ON co.id = p.county_id CROSS JOIN s" \
    "  WHERE" TALLY_WHERE " AND p.status <> 'waived'" \
    "   AND (s.campaign_id IS NULL OR p.planned_on BETWEEN s.starts_on AND s.ends_on)" \
    "  GROUP BY 1),"

/* Counted: from the ledger, the projects counted (the CTE proj: id, grp)
 * and their milestones and items. proj: %s the group, %s the condition. */
#define PROJ \
    " proj AS (SELECT p.id, %s AS grp FROM" PROJECTS_FROM " WHERE %s),"
/* per: each project counted, with its group and its figures (%s the
 * group, %s the condition); pg: by group. */
#define PG_COUNTED \
    " per AS (SELECT %s AS grp, p.light," \
    "   p.planned_start BETWEEN s.lo AND s.hi AS start_planned, p.actual_start <= $1::date AS started," \
    "   p.planned_end BETWEEN s.lo AND s.hi AS completion_planned, p.actual_end <= $1::date AS completed," \
    INVESTMENT_PER_PROJECT \
    "  FROM" PROJECTS_FROM " CROSS JOIN s" INVESTMENT_JOINS " WHERE %s)," \
    " pg AS (SELECT grp, count(*) AS projects," \
    "   sum(plan) AS plan, sum(ytd) AS ytd, " PLAN_TO_DATE("sum(plan)", "sum(plan_adjust)") " AS plan_to_date," \
    "   count(*) FILTER (WHERE start_planned) AS starts_planned," \
    "   count(*) FILTER (WHERE start_planned AND started) AS starts_done," \
    "   count(*) FILTER (WHERE completion_planned) AS completions_planned," \
    "   count(*) FILTER (WHERE completion_planned AND completed) AS completions_done," \
    "   count(*) FILTER (WHERE light = 'red') AS red," \
    "   count(*) FILTER (WHERE light = 'yellow') AS yellow," \
    "   count(*) FILTER (WHERE light = 'green') AS green" \
    "  FROM per GROUP BY grp),"
/* Milestones and items of a few projects (a county's, a unit's or a
 * leader's): each project's, through the index on its id, counted where
 * it stands; a join left to the planner hashed all 812k milestones of a
 * national ledger to keep a leader's 40k. */
#define MG_PROBED \
    " mg AS (SELECT p.grp, sum(x.due)::bigint AS due, sum(x.done)::bigint AS done," \
    "   sum(x.overdue)::bigint AS overdue" \
    "  FROM proj p CROSS JOIN LATERAL (SELECT count(*) AS due," \
    "    count(*) FILTER (WHERE m.status = 'done') AS done," \
    "    count(*) FILTER (WHERE m.status = 'pending') AS overdue" \
    "   FROM milestone m WHERE m.project_id = p.id AND m.status <> 'waived' AND m.due_on < $1::date" \
    "    AND ($3::text IS NULL OR m.campaign_id = (SELECT campaign_id FROM s))) x" \
    "  GROUP BY p.grp)," \
    " ag AS (SELECT p.grp, sum(x.items)::bigint AS items, sum(x.done)::bigint AS done," \
    "   sum(x.overdue)::bigint AS overdue" \
    "  FROM proj p CROSS JOIN s CROSS JOIN LATERAL (SELECT count(*) AS items," \
    "    count(*) FILTER (WHERE a.status = 'done') AS done," \
    "    count(*) FILTER (WHERE a.status = 'pending' AND a.planned_on < $1::date) AS overdue" \
    "   FROM approval a WHERE a.project_id = p.id AND a.status <> 'waived'" \
    "    AND (s.campaign_id IS NULL OR a.planned_on BETWEEN s.starts_on AND s.ends_on)) x" \
    "  GROUP BY p.grp),"
/* Of many projects (all of them by unit or leader; a level's, a light's):
 * one pass over each table, joined as the planner chooses. */
#define MG_JOINED \
    " mg AS (SELECT p.grp, count(*) AS due," \
    "   count(*) FILTER (WHERE m.status = 'done') AS done," \
    "   count(*) FILTER (WHERE m.status = 'pending') AS overdue" \
    "  FROM milestone m JOIN proj p ON p.id = m.project_id" \
    "  WHERE m.status <> 'waived' AND m.due_on < $1::date" \
    "   AND ($3::text IS NULL OR m.campaign_id = (SELECT campaign_id FROM s))" \
    "  GROUP BY p.grp)," \
    " ag AS (SELECT p.grp, count(*) AS items," \
    "   count(*) FILTER (WHERE a.status = 'done') AS done," \
    "   count(*) FILTER (WHERE a.status = 'pending' AND a.planned_on < $1::date) AS overdue" \
    "  FROM approval a JOIN proj p ON p.id = a.project_id CROSS JOIN s" \
    "  WHERE a.status <> 'waived'" \
    "   AND (s.campaign_id IS NULL OR a.planned_on BETWEEN s.starts_on AND s.ends_on)" \
    "  GROUP BY p.grp),"

/* The CTEs pg (projects), mg (milestones) and ag (items) by group for a
 * statement grouping by stats_by[by], with filters f on the projects the
 * condition counted chooses (the filters' conditions included). Returns a
 * new string. */
static char *
stats_groups_new(size_t by, const struct cmd_filters *f, const char *counted)
{
    const char *grp = stats_by[by].expr;
    bool tallied = (strcmp(stats_by[by].name, "county") == 0 || strcmp(stats_by[by].name, "sector") == 0)
                   && !f->v[FILTER_LEVEL] && !f->v[FILTER_UNIT] && !f->v[FILTER_LEADER] && !f->v[FILTER_LIGHT];
    if (tallied) {
        /* the filters a tally takes: county and sector ($4 + …, as
         * cmd_filters_sql_new numbers them); the campaign is $3 */
        char *cond = !projects_filtered(f) ? xstrdup("")
            : xasprintf(" AND ($%d::text IS NULL OR co.name = $%d) AND ($%d::text IS NULL OR p.sector = $%d)",
                        4 + FILTER_COUNTY, 4 + FILTER_COUNTY, 4 + FILTER_SECTOR, 4 + FILTER_SECTOR);
        char *sql = xasprintf(PG_TALLIED MG_TALLIED, grp, cond, grp, cond, grp, cond, grp, grp, cond, grp, cond, grp,
                              cond);
        free(cond);
        return sql;
    }
    bool few = f->v[FILTER_COUNTY] || f->v[FILTER_UNIT] || f->v[FILTER_LEADER];
    return xasprintf(PROJ PG_COUNTED "%s", grp, counted, grp, counted, few ? MG_PROBED : MG_JOINED);
}

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
    bool filtered = projects_filtered(&f);
    char *where = filtered ? cmd_filters_sql_new(FILTER_ON_PROJECTS, 4) : xstrdup("");
    char *counted = xasprintf("p.year = " YEAR_OF_M " AND keyproj_on_list(p.archived_on, $1::date)%s", where);
    char *groups = stats_groups_new(i, &f, counted);
    /* s: the campaign, and the window of starts and completions (lo, hi):
     * the year up to today, or the campaign's. pg, mg and ag count the
     * projects, their milestones and their items by group (above), and the
     * groups' sums are summed again for the total: every figure is a sum
     * or a count, so the total is the same as counting it whole. Today and
     * the campaign are parameters where they filter, for the estimates. */
    char *sql = xasprintf(
        "WITH s AS (SELECT c.id AS campaign_id, c.starts_on, c.ends_on,"
        "   coalesce(c.starts_on, " YEAR_START ") AS lo, coalesce(c.ends_on, $1::date) AS hi"
        "   FROM (SELECT 1) one LEFT JOIN campaign c ON c.code = $3::text),"
        INVESTMENT_CTE ",%s"
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
        filtered ? PROJECTS_FROM : " project p", counted, groups, stats_by[i].name);
    cmd_filters_query(ctx, &f, sql, filtered ? 3 + FILTER_N : 3, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(groups);
    free(counted);
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
    bool filtered = projects_filtered(&f);
    char *where = filtered ? cmd_filters_sql_new(FILTER_ON_PROJECTS, 4) : xstrdup("");
    char *counted = xasprintf("p.year = " YEAR_OF_M " AND p.annual_plan > 0"
                              " AND keyproj_on_list(p.archived_on, $3::date)%s", where);
    /* agg: each county's projects (with an annual plan), plans, investment
     * and plan to date; from project_tally when at most the sector is
     * filtered on (as stats reads it, with the reports and monthly plans
     * from their side), else counted one by one */
    char *sector = filtered ? xasprintf(" AND ($%d::text IS NULL OR p.sector = $%d)", 4 + FILTER_SECTOR,
                                        4 + FILTER_SECTOR) : xstrdup("");
    char *agg = f.v[FILTER_LEVEL] || f.v[FILTER_UNIT] || f.v[FILTER_LEADER] || f.v[FILTER_LIGHT]
        ? xasprintf(" per AS (SELECT co.name AS county, co.grp," INVESTMENT_PER_PROJECT
                    "  FROM" PROJECTS_FROM INVESTMENT_JOINS " WHERE %s),"
                    " agg AS (SELECT county, grp, count(*) AS projects, sum(plan) AS annual_plan,"
                    "   sum(ytd) AS invested, " PLAN_TO_DATE("sum(plan)", "sum(plan_adjust)") " AS plan_to_date"
                    "  FROM per GROUP BY county, grp)", counted)
        : xasprintf(" pt AS (SELECT co.name AS county, co.grp, sum(p.planned)::bigint AS projects,"
                    "   sum(p.plan) AS plan"
                    "  FROM project_tally p JOIN county co ON co.id = p.county_id"
                    "  WHERE p.year = " YEAR_OF_M " AND keyproj_on_list(p.archived_on, $3::date)%s"
                    "  GROUP BY 1, 2 HAVING sum(p.planned) > 0),"
                    " repg AS (SELECT co.name AS county, sum(rep.ytd) AS ytd"
                    "  FROM rep JOIN project p ON p.id = rep.project_id JOIN county co ON co.id = p.county_id"
                    "  GROUP BY 1),"
                    " ipg AS (SELECT co.name AS county,"
                    "   sum(ip.planned_cumulative - p.annual_plan * extract(month FROM $2::date) / 12) AS plan_adjust"
                    "  FROM investment_plan ip JOIN project p ON p.id = ip.project_id"
                    "  JOIN county co ON co.id = p.county_id"
                    "  WHERE ip.month = $2::date AND p.year = " YEAR_OF_M " AND p.annual_plan > 0"
                    "   AND keyproj_on_list(p.archived_on, $3::date)%s"
                    "  GROUP BY 1),"
                    " agg AS (SELECT pt.county, pt.grp, pt.projects, pt.plan AS annual_plan,"
                    "   coalesce(repg.ytd, 0) AS invested,"
                    "   " PLAN_TO_DATE("pt.plan", "ipg.plan_adjust") " AS plan_to_date"
                    "  FROM pt LEFT JOIN repg ON repg.county = pt.county"
                    "  LEFT JOIN ipg ON ipg.county = pt.county)",
                    sector, sector);
    char *sql = xasprintf(
        "WITH" INVESTMENT_CTE ",%s"
        " SELECT grp AS \"group\","
        "  rank() OVER (PARTITION BY grp ORDER BY (invested - plan_to_date) / annual_plan DESC,"
        "   invested / annual_plan DESC) AS rank, county,"
        "  to_char($1::date, 'YYYY-MM') AS month, projects, annual_plan, invested,"
        "  round(100 * invested / nullif(annual_plan, 0), 1) AS investment_rate,"
        "  round(100 * plan_to_date / nullif(annual_plan, 0), 1) AS schedule_rate,"
        "  round(100 * (invested - plan_to_date) / nullif(annual_plan, 0), 1) AS points_vs_schedule"
        " FROM agg ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), rank, county",
        filtered ? PROJECTS_FROM : " project p", counted, agg);
    cmd_filters_query(ctx, &f, sql, filtered ? 3 + FILTER_N : 3, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(agg);
    free(sector);
    free(counted);
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
