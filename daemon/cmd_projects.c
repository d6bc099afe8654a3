/* cmd_projects: the views of the ledger: `projects`, `project CODE` and
 * `milestones`, and its known counties (`county list | add`, the one write
 * here, through sql/functions/ledger.sql). Filters accept the same Chinese
 * or English values as the spreadsheets; everything reaches SQL as
 * parameters. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_filter.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_projects_entry, cmd_milestones_entry, cmd_county_entry, cmd_unit_entry;

/* ---- projects ---------------------------------------------------------- */

#define PROJECT_COLUMNS \
    "SELECT p.code, p.name, co.name AS county, p.level, p.sector, p.category, p.status, p.light," \
    " l.name AS leader, p.total_investment, p.annual_plan," \
    " (SELECT r.ytd FROM investment_report r WHERE r.project_id = p.id" \
    "   AND r.month >= date_trunc('year', $1::date) AND r.month < date_trunc('month', $1::date)" \
    "   ORDER BY r.month DESC LIMIT 1) AS ytd_investment" \
    " FROM project p JOIN county co ON co.id = p.county_id" \
    " LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"

static void
projects_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_projects_entry, .a = a };
    struct cmd_filters f;
    const char *category, *status;
    if (!cmd_filters_read(&c, &f) ||
        !cmd_enum_opt(&c, "category", &words_category, &category) ||
        !cmd_enum_opt(&c, "status", &words_status, &status))
        return;
    char today[11];
    cmd_today(ctx, today);
    const char *params[3 + FILTER_N] = { today, category, status };
    cmd_filters_params(&f, params + 3);
    char *where = cmd_filters_sql_new(FILTER_ON_PROJECTS, 4);
    char *sql = xasprintf(PROJECT_COLUMNS
                          " WHERE keyproj_on_list(p.archived_on, $1::date)"
                          " AND ($2::text IS NULL OR p.category = $2) AND ($3::text IS NULL OR p.status = $3)%s"
                          " ORDER BY co.name, p.code", where);
    cmd_filters_query(ctx, &f, sql, 3 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

static const struct cmd_opt projects_opts[] = {
    CMD_FILTER_OPTS, { "category", true }, { "status", true }, { NULL, false },
};

const struct cmd_entry cmd_projects_entry = {
    .name = "projects",
    .usage = CMD_FILTER_USAGE " [--campaign C] [--category K] [--status S]",
    .summary = "list projects (values in Chinese or English: --sector 产业, --level 省, --light 红); "
        "--campaign: those with a milestone in it",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = projects_opts,
    .exec = projects_exec,
};

/* ---- project CODE ------------------------------------------------------ */

struct project_job {
    struct cmd_ctx *ctx;
    json_t *project;
    char code[80];
};

static void
on_project_milestones(void *arg, const PGresult *res, const char *err)
{
    struct project_job *job = arg;
    if (err) {
        cmd_error(job->ctx, "internal", NULL, "query failed: %s", err);
        json_decref(job->project);
    } else {
        json_object_set_new(job->project, "milestones", db_rows_json(res));
        cmd_reply(job->ctx, job->project);
    }
    free(job);
}

#define MILESTONE_STATUS \
    " CASE WHEN m.status = 'pending' AND m.due_on < $1::date THEN 'overdue' ELSE m.status END"

static void
on_project(void *arg, const PGresult *res, const char *err)
{
    struct project_job *job = arg;
    struct cmd_ctx *ctx = job->ctx;
    if (err || PQntuples(res) == 0) {
        if (err)
            cmd_error(ctx, "internal", NULL, "query failed: %s", err);
        else
            cmd_error(ctx, "not_found", NULL, "no project with code '%s'", job->code);
        free(job);
        return;
    }
    json_t *rows = db_rows_json(res);
    job->project = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    char today[11];
    cmd_today(ctx, today);
    const char *params[] = { today, job->code };
    db_query(cmd_db(ctx),
             "SELECT m.id, cp.code AS campaign, m.kind, m.title, m.due_on AS due," MILESTONE_STATUS " AS status,"
             " m.done_on, u.name AS unit"
             " FROM milestone m JOIN project p ON p.id = m.project_id"
             " JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit u ON u.id = m.unit_id"
             " WHERE p.code = $2 ORDER BY m.due_on, m.id",
             2, params, on_project_milestones, job);
}

static void
project_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct project_job *job = xcalloc(1, sizeof *job);
    job->ctx = ctx;
    strlcpy_k(job->code, a->pos[0], sizeof job->code);
    char today[11];
    cmd_today(ctx, today);
    const char *params[] = { today, a->pos[0] };
    db_query(cmd_db(ctx),
             "SELECT p.code, p.name, p.year, p.level, c.name AS county, p.sector, p.category, p.status,"
             " p.light, to_jsonb(p.light_reasons) AS light_reasons, p.light_at,"
             " p.owner, u.name AS unit, l.name AS leader, l.title AS leader_title, l.mobile AS leader_mobile,"
             " p.total_investment, p.annual_plan, p.planned_start, p.planned_end, p.actual_start, p.actual_end,"
             " (SELECT r.ytd FROM investment_report r WHERE r.project_id = p.id"
             "   AND r.month >= date_trunc('year', $1::date) AND r.month < date_trunc('month', $1::date)"
             "   ORDER BY r.month DESC LIMIT 1) AS ytd_investment,"
             /* an archived project (调出) is still shown, marked */
             " CASE WHEN keyproj_on_list(p.archived_on, $1::date) THEN '在册' ELSE '已调出' END AS list,"
             " p.archived_on, p.archive_reason"
             " FROM project p JOIN county c ON c.id = p.county_id"
             " LEFT JOIN unit u ON u.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
             " WHERE p.code = $2",
             2, params, on_project, job);
}

const struct cmd_entry cmd_project_entry = {
    .name = "project",
    .usage = "CODE",
    .summary = "one project in full, with its milestones",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .exec = project_exec,
};

/* ---- milestones -------------------------------------------------------- */

static void
milestones_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_milestones_entry, .a = a };
    struct cmd_filters f;
    const char *status;
    const char *from_s = cmd_opt(a, "done-from"), *to_s = cmd_opt(a, "done-to");
    char from[11], to[11];
    if (!cmd_filters_read(&c, &f) ||
        !cmd_enum_opt(&c, "status", &words_milestone_filter, &status) ||
        (from_s && !cmd_date_arg(&c, "--done-from", from_s, from)) ||
        (to_s && !cmd_date_arg(&c, "--done-to", to_s, to)))
        return;
    if (from_s && to_s && strcmp(from, to) > 0) {
        cmd_usage_error(&c, "--done-from %s is after --done-to %s: no day is in between", from, to);
        return;
    }
    char today[11];
    cmd_today(ctx, today);
    /* --done-from/--done-to: the milestones done within those days, both
     * counted (the weekly bulletin's 本周完成 asks for its week only, not
     * for every milestone ever done) */
    const char *params[4 + FILTER_N] = { today, status, from_s ? from : NULL, to_s ? to : NULL };
    cmd_filters_params(&f, params + 4);
    char *where = cmd_filters_sql_new(FILTER_ON_MILESTONES, 5);
    char *sql = xasprintf(
        "SELECT m.id, p.code AS project, p.name AS project_name, co.name AS county, cp.code AS campaign,"
        " m.kind, m.title, m.due_on AS due," MILESTONE_STATUS " AS status, m.done_on, mu.name AS unit"
        " FROM milestone m JOIN project p ON p.id = m.project_id JOIN county co ON co.id = p.county_id"
        " JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit mu ON mu.id = m.unit_id"
        " LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
        " WHERE " CMD_MILESTONE_FILTER_SQL("$1", "$2")
        " AND ($3::date IS NULL OR m.done_on >= $3::date) AND ($4::date IS NULL OR m.done_on <= $4::date)%s"
        " ORDER BY m.due_on, p.code, m.id", where);
    cmd_filters_query(ctx, &f, sql, 4 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

static const struct cmd_opt milestones_opts[] = {
    CMD_FILTER_OPTS, { "status", true }, { "done-from", true }, { "done-to", true }, { NULL, false },
};

const struct cmd_entry cmd_milestones_entry = {
    .name = "milestones",
    .usage = CMD_FILTER_USAGE " [--campaign 2026-B6] [--status pending|done|waived|overdue]"
             " [--done-from DATE] [--done-to DATE]",
    .summary = "list milestones (节点); 'pending' means not yet due, 'overdue' past its date; "
        "--unit is the unit answerable (the milestone's, else its project's); "
        "--done-from/--done-to: those done within these days, both counted",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = milestones_opts,
    .exec = milestones_exec,
};

/* ---- county list | add ------------------------------------------------- */

/* --group as the bulletin names the group (城区组) or as the schema does
 * (district). */
static void
county_add(const struct cmd_call *c)
{
    const char *g = cmd_opt(c->a, "group"), *grp = g ? words_map(&words_county_group, g) : NULL;
    if (grp == NULL) {
        if (g)
            cmd_usage_error(c, "--group: unknown value '%s' (expected one of 城区组, 县组, 功能区组)", g);
        else
            cmd_usage_error(c, "--group is required: one of 城区组, 县组, 功能区组");
        return;
    }
    if (!cmd_has_text(c->a->pos[0])) {
        cmd_usage_error(c, "the county needs a name");
        return;
    }
    const char *args[] = { c->a->pos[0], grp };
    cmd_run_write(c->ctx, "keyproj_county_add($1::text, $2::text", 2, args);
}

static void
county_list(const struct cmd_call *c)
{
    char today[11];
    cmd_today(c->ctx, today);
    const char *params[] = { today };
    db_query(cmd_db(c->ctx),
             "SELECT co.name AS county,"
             " co.grp AS \"group\","
             " (SELECT count(*) FROM project p WHERE p.county_id = co.id"
             "   AND keyproj_on_list(p.archived_on, $1::date)) AS projects"
             " FROM county co ORDER BY array_position(ARRAY['district', 'county', 'zone'], co.grp), co.name",
             1, params, cmd_on_rows, c->ctx);
}

/* unit [list] | unit add NAME: the units (责任单位, 牵头部门) the ledger
 * knows, and declaring one that is one character from a known one. */
static void
unit_add(const struct cmd_call *c)
{
    if (!cmd_has_text(c->a->pos[0])) {
        cmd_usage_error(c, "the unit needs a name");
        return;
    }
    const char *args[] = { c->a->pos[0] };
    cmd_run_write(c->ctx, "keyproj_unit_add($1::text", 1, args);
}

static void
unit_list(const struct cmd_call *c)
{
    char today[11];
    cmd_today(c->ctx, today);
    const char *params[] = { today };
    db_query(cmd_db(c->ctx),
             "SELECT u.name AS unit,"
             " (SELECT count(*) FROM project p WHERE p.unit_id = u.id"
             "   AND keyproj_on_list(p.archived_on, $1::date)) AS projects,"
             " (SELECT count(*) FROM milestone m WHERE m.unit_id = u.id) AS milestones"
             " FROM unit u ORDER BY u.name",
             1, params, cmd_on_rows, c->ctx);
}

static const struct cmd_entry unit_subs[] = {
    { .name = "list", .usage = "", .level = LEVEL_OPERATOR, .run = unit_list },
    { .name = "add", .usage = "NAME", .level = LEVEL_ADMIN, .min_pos = 1, .max_pos = 1, .run = unit_add },
    { .name = NULL },
};

const struct cmd_entry cmd_unit_entry = {
    .name = "unit",
    .summary = "the units the ledger knows (责任单位, 牵头部门): list, add (admin). An import or a command naming a "
        "unit one character from a known one (市住健局 for 市住建局) is refused with a suggestion, and with "
        "import.new_units = \"refuse\" an import, problem add --unit or approval add --dept naming any unit the "
        "ledger does not know; add declares such a unit when it is real",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = unit_subs,
    .dflt = "list",
};

static const struct cmd_opt county_add_opts[] = { { "group", true }, { NULL, false } };

static const struct cmd_entry county_subs[] = {
    {
        .name = "list",
        .usage = "",
        .level = LEVEL_OPERATOR,
        .run = county_list,
    },
    {
        .name = "add",
        .usage = "NAME --group 城区组|县组|功能区组",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = county_add_opts,
        .run = county_add,
    },
    { .name = NULL },
};

const struct cmd_entry cmd_county_entry = {
    .name = "county",
    .summary = "the counties and zones the ledger knows (县区, with their ranking group): list, add (admin). "
        "Once the ledger knows any county, an import naming one it does not know is refused, with a "
        "suggestion when one character from a known one (洛龙县 for 洛龙区); add declares a new county first",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = county_subs,
    .dflt = "list",
};
