/* cmd_problems: what is blocking the projects and who must answer —
 * `problem add|list|resolve|stats|category` (问题清单) and `approval
 * add|list|done` (联审联批 items); the letters are cmd_orders.c's. Writes
 * are ONE call of a sql/functions/admin.sql function each (change and
 * audit row commit together); this file checks the arguments' shape and
 * maps Chinese or English values, nothing more. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_problem_entry, cmd_approval_entry;

/* A required enum option (add --category …): absent is a usage error. */
static bool
required_enum(const struct cmd_call *c, const char *opt, const struct words *words, const char **out)
{
    if (cmd_opt(c->a, opt) == NULL) {
        char *expected = words_expected_new(words);
        cmd_usage_error(c, "%s needs --%s (one of %s)", cmd_call_name(c), opt, expected);
        free(expected);
        return false;
    }
    return cmd_enum_opt(c, opt, words, out);
}

/* The "13710" default time limits as keyprojd.conf sets them (alerts
 * group), so that the lists agree with the alert engine. */
static void
problem_days(const struct cmd_ctx *ctx, char days[12], char major[12])
{
    snprintf(days, 12, "%d", ctx->d->cfg->rules.problem_days);
    snprintf(major, 12, "%d", ctx->d->cfg->rules.problem_major_days);
}

/* import.new_units, which also governs the unit problem add --unit and
 * approval add --dept name: "refuse" keeps the units a known list. */
static const char *
new_units(const struct cmd_ctx *ctx)
{
    return ctx->d->cfg->import_refuse_new_units ? "refuse" : "create";
}

/* ---- --category: problem_category is the one list -------------------------
 * The accepted categories are rows of problem_category (an office adds its
 * own with `problem category add`), so a command with --category first
 * asks the database what the spelling means, then runs its statement with
 * the code in its place; an unknown category is a usage error listing the
 * categories, as for any other enum option, and nothing is written. */

struct category_query {
    struct cmd_call call;   /* .a is not kept: the arguments are copied below */
    char *name;             /* the call's name ("problem add") */
    char *spelling;         /* --category as given */
    const char *sql;        /* a static statement, or a write's call */
    bool write;             /* cmd_run_write(sql …) rather than a query */
    int n, at;              /* parameters, and which one is the category */
    char *params[16];
};

static void
category_query_free(struct category_query *q)
{
    for (int i = 0; i < q->n; i++)
        free(q->params[i]);
    free(q->name);
    free(q->spelling);
    free(q);
}

static void
on_category(void *arg, const PGresult *res, const char *err)
{
    struct category_query *q = arg;
    struct cmd_ctx *ctx = q->call.ctx;
    if (err) {
        cmd_error(ctx, "internal", NULL, "query failed: %s", err);
    } else if (PQgetisnull(res, 0, 0)) {
        cmd_usage_error(&q->call, "--category: unknown value '%s' (expected one of %s)", q->spelling,
                        PQgetvalue(res, 0, 1));
    } else {
        free(q->params[q->at]);
        q->params[q->at] = xstrdup(PQgetvalue(res, 0, 0));
        if (q->write)
            cmd_run_write(ctx, q->sql, q->n, (const char *const *)q->params);
        else
            db_query(cmd_db(ctx), q->sql, q->n, (const char *const *)q->params, cmd_on_rows, ctx);
    }
    category_query_free(q);
}

/* Runs sql (a query answered as rows, or a write's call) with params once
 * params[at], a --category spelling, is resolved; at once when it is NULL. */
static void
with_category(const struct cmd_call *c, bool write, const char *sql, int n, const char *const *params, int at)
{
    if (params[at] == NULL) {
        if (write)
            cmd_run_write(c->ctx, sql, n, params);
        else
            db_query(cmd_db(c->ctx), sql, n, params, cmd_on_rows, c->ctx);
        return;
    }
    struct category_query *q = xcalloc(1, sizeof *q);
    q->call = *c;
    q->call.a = NULL;
    q->name = xstrdup(cmd_call_name(c));
    q->call.name = q->name;
    q->spelling = xstrdup(params[at]);
    q->sql = sql;
    q->write = write;
    q->n = n;
    q->at = at;
    for (int i = 0; i < n && i < (int)ARRAY_LEN(q->params); i++)
        q->params[i] = params[i] ? xstrdup(params[i]) : NULL;
    const char *p[] = { params[at] };
    db_query(cmd_db(c->ctx), "SELECT keyproj_problem_category($1), keyproj_problem_categories_expected()", 1, p,
             on_category, q);
}

/* ---- problem add | list | resolve | stats --------------------------------- */

static void
problem_add(const struct cmd_call *c)
{
    const char *category, *severity, *text, *unit, *limit_s = cmd_opt(c->a, "limit");
    const char *reported_s = cmd_opt(c->a, "reported");
    char limit[11], reported[11], days[12], major[12];
    if (!cmd_required_text(c, "category", "what kind of problem: 资金, 用地, 用电 … (problem category)", &category)
        || !required_enum(c, "severity", &words_problem_severity, &severity)
        || !cmd_required_text(c, "text", "what the problem is", &text)
        || !cmd_optional_text(c, "unit", &unit)
        || (limit_s && !cmd_date_arg(c, "--limit", limit_s, limit))
        || (reported_s && !cmd_date_arg(c, "--reported", reported_s, reported)))
        return;
    problem_days(c->ctx, days, major);
    const char *args[] = {
        c->a->pos[0], category, severity, text, unit, limit_s ? limit : NULL, reported_s ? reported : NULL, days,
        major, new_units(c->ctx),
    };
    with_category(c, true,
                  "keyproj_problem_add($1::text, $2::text, $3::text, $4::text, $5::text, $6::date, $7::date,"
                  " $8::int, $9::int, $10::text",
                  10, args, 1);
}

static void
problem_resolve(const struct cmd_call *c)
{
    char id[24], days[12], major[12];
    const char *note;
    if (!cmd_id_arg(c, "problem ID", "problem list", c->a->pos[0], id)
        || !cmd_required_text(c, "note", "how it was resolved", &note))
        return;
    problem_days(c->ctx, days, major);
    const char *args[] = { id, note, days, major };
    cmd_run_write(c->ctx, "keyproj_problem_resolve($1::bigint, $2::text, $3::int, $4::int", 4, args);
}

static void
problem_list(const struct cmd_call *c)
{
    const char *status, *category = cmd_opt(c->a, "category"), *severity, *sector;
    if (!cmd_enum_opt(c, "status", &words_problem_status, &status)
        || !cmd_enum_opt(c, "severity", &words_problem_severity, &severity)
        || !cmd_enum_opt(c, "sector", &words_sector, &sector))
        return;
    char today[11], days[12], major[12];
    cmd_today(c->ctx, today);
    problem_days(c->ctx, days, major);
    const char *params[] = {
        today, days, major, cmd_opt(c->a, "county"), cmd_opt(c->a, "unit"), status, category, severity,
        cmd_opt(c->a, "project"), sector,
    };
    /* The unit answerable is the problem's own, else the project's; --unit
     * filters on that same unit the rows show. Overdue first, then by limit. */
    with_category(c, false,
             "SELECT x.id, co.name AS county, p.code AS project, p.name AS project_name, x.category,"
             " pc.name AS category_name, x.severity,"
             " x.description, coalesce(u.name, pu.name) AS unit, x.reported_on, l.time_limit, s.status,"
             " CASE WHEN s.status = 'overdue' THEN $1::date - l.time_limit END AS days_overdue,"
             " x.resolved_on, x.resolution"
             " FROM problem x JOIN project p ON p.id = x.project_id JOIN county co ON co.id = p.county_id"
             " JOIN problem_category pc ON pc.code = x.category"
             " LEFT JOIN unit u ON u.id = x.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id"
             " CROSS JOIN LATERAL (SELECT keyproj_problem_limit(x.reported_on, x.time_limit, x.severity,"
             "   $2::int, $3::int) AS time_limit) l"
             " CROSS JOIN LATERAL (SELECT keyproj_problem_state(x.status, l.time_limit, $1::date) AS status) s"
             " WHERE ($4::text IS NULL OR co.name = $4) AND ($5::text IS NULL OR coalesce(u.name, pu.name) = $5)"
             " AND ($6::text IS NULL OR s.status = $6) AND ($7::text IS NULL OR x.category = $7)"
             " AND ($8::text IS NULL OR x.severity = $8) AND ($9::text IS NULL OR p.code = $9)"
             " AND ($10::text IS NULL OR p.sector = $10)"
             " ORDER BY CASE s.status WHEN 'overdue' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, l.time_limit, x.id",
             10, params, 6);
}

/* problem stats [--by category|unit|county]: the problems of the projects
 * on the list, per group with a 合计 row — how many, open (within the
 * limit), overdue, resolved, major. The unit is the problem's own, else its
 * project's, as problem list shows it; by category the rows follow the
 * category list's order and carry its Chinese name. */
static const struct {
    const char *name, *zh;
    const char *grp;        /* the group's expression */
    const char *extra;      /* more columns of the group, or "" */
    const char *order;      /* the groups' order */
} problem_by[] = {
    { "category", "类别", "x.category",
      " CASE WHEN grouping(grp) = 0 THEN min(name) END AS category_name,"
      " CASE WHEN grouping(grp) = 0 THEN min(cgrp) END AS category_group,",
      "min(sort), grp" },
    { "unit", "单位", "coalesce(u.name, pu.name, '(无)')", "", "grp" },
    { "county", "县区", "co.name", "", "grp" },
};

static void
problem_stats(const struct cmd_call *c)
{
    const char *by = cmd_opt(c->a, "by");
    size_t i = 0;
    if (by) {
        while (i < ARRAY_LEN(problem_by) && strcmp(problem_by[i].name, by) != 0 && strcmp(problem_by[i].zh, by) != 0)
            i++;
        if (i == ARRAY_LEN(problem_by)) {
            cmd_usage_error(c, "--by: unknown value '%s' (expected category, unit or county; or 类别, 单位, 县区)", by);
            return;
        }
    }
    char today[11], days[12], major[12];
    cmd_today(c->ctx, today);
    problem_days(c->ctx, days, major);
    char *sql = xasprintf(
        "WITH per AS (SELECT %s AS grp, pc.name, pc.grp AS cgrp, pc.sort, x.severity, s.status"
        "  FROM problem x JOIN project p ON p.id = x.project_id JOIN county co ON co.id = p.county_id"
        "  JOIN problem_category pc ON pc.code = x.category"
        "  LEFT JOIN unit u ON u.id = x.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id"
        "  CROSS JOIN LATERAL (SELECT keyproj_problem_state(x.status, keyproj_problem_limit(x.reported_on,"
        "    x.time_limit, x.severity, $2::int, $3::int), $1::date) AS status) s"
        "  WHERE keyproj_on_list(p.archived_on, $1::date))"
        " SELECT CASE WHEN grouping(grp) = 1 THEN '合计' ELSE grp END AS %s,%s"
        "  count(*) AS problems, count(*) FILTER (WHERE status = 'open') AS open,"
        "  count(*) FILTER (WHERE status = 'overdue') AS overdue,"
        "  count(*) FILTER (WHERE status = 'resolved') AS resolved,"
        "  count(*) FILTER (WHERE severity = 'major') AS major"
        " FROM per GROUP BY GROUPING SETS ((grp), ()) ORDER BY grouping(grp), %s",
        problem_by[i].grp, problem_by[i].name, problem_by[i].extra, problem_by[i].order);
    const char *params[] = { today, days, major };
    db_query(cmd_db(c->ctx), sql, 3, params, cmd_on_rows, c->ctx);
    free(sql);
}

/* problem category [list] | add CODE --name NAME [--aliases A,B] [--group G] */
static void
problem_category_list(const struct cmd_call *c)
{
    db_query(cmd_db(c->ctx),
             "SELECT pc.code, pc.name, pc.grp AS \"group\", array_to_string(pc.aliases, ', ') AS aliases,"
             " (SELECT count(*) FROM problem x WHERE x.category = pc.code) AS problems"
             " FROM problem_category pc ORDER BY pc.sort, pc.code",
             0, NULL, cmd_on_rows, c->ctx);
}

static void
problem_category_add(const struct cmd_call *c)
{
    const char *name, *aliases, *group;
    if (!cmd_required_text(c, "name", "the Chinese name tables print, like 用热", &name)
        || !cmd_optional_text(c, "aliases", &aliases) || !cmd_optional_text(c, "group", &group))
        return;
    const char *args[] = { c->a->pos[0], name, aliases, group };
    cmd_run_write(c->ctx, "keyproj_problem_category_add($1::text, $2::text, $3::text, $4::text", 4, args);
}

static const struct cmd_opt problem_category_add_opts[] = {
    { "name", true }, { "aliases", true }, { "group", true }, { NULL, false },
};

static const struct cmd_entry problem_category_subs[] = {
    { .name = "list", .usage = "", .level = LEVEL_OPERATOR, .run = problem_category_list },
    {
        .name = "add",
        .usage = "CODE --name NAME [--aliases A,B] [--group G]",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = problem_category_add_opts,
        .run = problem_category_add,
    },
    { .name = NULL },
};

static const struct cmd_opt problem_add_opts[] = {
    { "category", true }, { "severity", true }, { "text", true }, { "unit", true }, { "limit", true },
    { "reported", true }, { NULL, false },
};
static const struct cmd_opt problem_list_opts[] = {
    { "county", true }, { "unit", true }, { "status", true }, { "category", true }, { "severity", true },
    { "project", true }, { "sector", true }, { NULL, false },
};
static const struct cmd_opt problem_resolve_opts[] = { { "note", true }, { NULL, false } };
static const struct cmd_opt problem_stats_opts[] = { { "by", true }, { NULL, false } };

static const struct cmd_entry problem_subs[] = {
    {
        .name = "add",
        .usage = "CODE --category C --severity ordinary|major --text TEXT [--unit U] [--limit DATE] "
            "[--reported DATE]",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = problem_add_opts,
        .run = problem_add,
    },
    {
        .name = "list",
        .usage = "[--county C] [--unit U] [--status open|resolved|overdue] [--category C] [--severity S] "
            "[--project CODE] [--sector S]",
        .level = LEVEL_OPERATOR,
        .opts = problem_list_opts,
        .run = problem_list,
    },
    {
        .name = "resolve",
        .usage = "ID --note TEXT",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = problem_resolve_opts,
        .run = problem_resolve,
    },
    {
        .name = "stats",
        .usage = "[--by category|unit|county]",
        .level = LEVEL_OPERATOR,
        .opts = problem_stats_opts,
        .run = problem_stats,
    },
    { .name = "category", .level = LEVEL_OPERATOR, .subs = problem_category_subs, .dflt = "list" },
    { .name = NULL },
};

const struct cmd_entry cmd_problem_entry = {
    .name = "problem",
    .summary = "the problem list (问题清单): add (admin; reported today or on --reported, never later; the time "
        "limit counts from the reported date: without --limit by severity, 一般 7 days and 重大 30 unless "
        "keyprojd.conf says otherwise), list (overdue first; open = within its limit), resolve (admin), stats "
        "(by category, unit or county), category (the accepted categories, 要素保障 among them; add: admin)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = problem_subs,
    .dflt = "list",
};

/* ---- approval add | list | done ------------------------------------------ */

/* approval add CODE ITEM --dept DEPT --due DATE [--note TEXT] */
static void
approval_add(const struct cmd_call *c)
{
    const char *dept, *note, *due_s = cmd_opt(c->a, "due");
    char due[11];
    if (!cmd_has_text(c->a->pos[1])) {
        cmd_usage_error(c, "the item is blank: name it, like 施工许可 or 用地预审");
        return;
    }
    if (!cmd_required_text(c, "dept", "the lead department, 牵头部门", &dept) || !cmd_optional_text(c, "note", &note))
        return;
    if (due_s == NULL) {
        cmd_usage_error(c, "%s needs --due DATE (the time limit, 办理时限)", cmd_call_name(c));
        return;
    }
    if (!cmd_date_arg(c, "--due", due_s, due))
        return;
    const char *args[] = { c->a->pos[0], c->a->pos[1], dept, due, note, new_units(c->ctx) };
    cmd_run_write(c->ctx, "keyproj_approval_add($1::text, $2::text, $3::text, $4::date, $5::text, $6::text", 6,
                  args);
}

static void
approval_list(const struct cmd_call *c)
{
    const char *status;
    if (!cmd_enum_opt(c, "status", &words_approval_status, &status))
        return;
    if (cmd_flag(c->a, "overdue")) {
        if (status && strcmp(status, "overdue") != 0) {
            cmd_usage_error(c, "--overdue and --status %s ask for different items", cmd_opt(c->a, "status"));
            return;
        }
        status = "overdue";
    }
    char today[11];
    cmd_today(c->ctx, today);
    const char *params[] = { today, cmd_opt(c->a, "county"), status, cmd_opt(c->a, "unit"), cmd_opt(c->a, "project") };
    db_query(cmd_db(c->ctx),
             "SELECT a.id, co.name AS county, p.code AS project, p.name AS project_name, a.item, u.name AS unit,"
             " a.planned_on, s.status,"
             " CASE WHEN s.status = 'overdue' THEN $1::date - a.planned_on END AS days_overdue, a.done_on, a.note"
             " FROM approval a JOIN project p ON p.id = a.project_id JOIN county co ON co.id = p.county_id"
             " LEFT JOIN unit u ON u.id = a.unit_id"
             " CROSS JOIN LATERAL (SELECT keyproj_approval_state(a.status, a.planned_on, $1::date) AS status) s"
             " WHERE ($2::text IS NULL OR co.name = $2) AND ($3::text IS NULL OR s.status = $3)"
             " AND ($4::text IS NULL OR u.name = $4) AND ($5::text IS NULL OR p.code = $5)"
             " ORDER BY CASE s.status WHEN 'overdue' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,"
             " a.planned_on NULLS LAST, co.name, p.code, a.id",
             5, params, cmd_on_rows, c->ctx);
}

static void
approval_done(const struct cmd_call *c)
{
    char id[24], on[11];
    const char *note;
    if (!cmd_id_arg(c, "approval ID", "approval list", c->a->pos[0], id) || !cmd_optional_text(c, "note", &note)
        || !cmd_date_opt_or_today(c, "date", on))
        return;
    const char *args[] = { id, on, note };
    cmd_run_write(c->ctx, "keyproj_approval_done($1::bigint, $2::date, $3::text", 3, args);
}

static const struct cmd_opt approval_list_opts[] = {
    { "county", true }, { "status", true }, { "overdue", false }, { "unit", true }, { "project", true },
    { NULL, false },
};
static const struct cmd_opt approval_done_opts[] = { { "date", true }, { "note", true }, { NULL, false } };
static const struct cmd_opt approval_add_opts[] = {
    { "dept", true }, { "due", true }, { "note", true }, { NULL, false },
};

static const struct cmd_entry approval_subs[] = {
    {
        .name = "add",
        .usage = "CODE ITEM --dept DEPT --due DATE [--note TEXT]",
        .level = LEVEL_ADMIN,
        .min_pos = 2,
        .max_pos = 2,
        .opts = approval_add_opts,
        .run = approval_add,
    },
    {
        .name = "list",
        .usage = "[--county C] [--status pending|done|waived|overdue] [--overdue] [--unit U] [--project CODE]",
        .level = LEVEL_OPERATOR,
        .opts = approval_list_opts,
        .run = approval_list,
    },
    {
        .name = "done",
        .usage = "ID [--date D] [--note TEXT]",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = approval_done_opts,
        .run = approval_done,
    },
    { .name = NULL },
};

const struct cmd_entry cmd_approval_entry = {
    .name = "approval",
    .summary = "联审联批 items: add (admin; lead department and time limit), list (overdue first: pending past the "
        "time limit), done (admin; today or --date; an item made from an approval milestone is done with it); "
        "also from `import approvals` and from milestones of kind approval",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = approval_subs,
    .dflt = "list",
};
