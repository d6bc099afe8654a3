/* cmd_problems: what is blocking the projects and who must answer —
 * `problem add|list|resolve` (问题清单) and `approval list|done` (联审联批
 * items); the letters are cmd_orders.c's. Writes are ONE call of a
 * sql/functions/admin.sql function each (change and audit row commit
 * together); this file checks the arguments' shape and maps Chinese or
 * English values, nothing more. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
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

/* ---- problem add | list | resolve ---------------------------------------- */

static void
problem_add(const struct cmd_call *c)
{
    const char *category, *severity, *text, *unit, *limit_s = cmd_opt(c->a, "limit");
    char limit[11], days[12], major[12];
    if (!required_enum(c, "category", &words_problem_category, &category)
        || !required_enum(c, "severity", &words_problem_severity, &severity)
        || !cmd_required_text(c, "text", "what the problem is", &text)
        || !cmd_optional_text(c, "unit", &unit)
        || (limit_s && !cmd_date_arg(c, "--limit", limit_s, limit)))
        return;
    problem_days(c->ctx, days, major);
    const char *args[] = { c->a->pos[0], category, severity, text, unit, limit_s ? limit : NULL, days, major };
    cmd_run_write(c->ctx,
                  "keyproj_problem_add($1::text, $2::text, $3::text, $4::text, $5::text, $6::date, $7::int, $8::int",
                  8, args);
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
    const char *status, *category, *severity, *sector;
    if (!cmd_enum_opt(c, "status", &words_problem_status, &status)
        || !cmd_enum_opt(c, "category", &words_problem_category, &category)
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
    db_query(c->ctx->d->db,
             "SELECT x.id, co.name AS county, p.code AS project, p.name AS project_name, x.category, x.severity,"
             " x.description, coalesce(u.name, pu.name) AS unit, x.reported_on, l.time_limit, s.status,"
             " CASE WHEN s.status = 'overdue' THEN $1::date - l.time_limit END AS days_overdue,"
             " x.resolved_on, x.resolution"
             " FROM problem x JOIN project p ON p.id = x.project_id JOIN county co ON co.id = p.county_id"
             " LEFT JOIN unit u ON u.id = x.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id"
             " CROSS JOIN LATERAL (SELECT keyproj_problem_limit(x.reported_on, x.time_limit, x.severity,"
             "   $2::int, $3::int) AS time_limit) l"
             " CROSS JOIN LATERAL (SELECT keyproj_problem_state(x.status, l.time_limit, $1::date) AS status) s"
             " WHERE ($4::text IS NULL OR co.name = $4) AND ($5::text IS NULL OR coalesce(u.name, pu.name) = $5)"
             " AND ($6::text IS NULL OR s.status = $6) AND ($7::text IS NULL OR x.category = $7)"
             " AND ($8::text IS NULL OR x.severity = $8) AND ($9::text IS NULL OR p.code = $9)"
             " AND ($10::text IS NULL OR p.sector = $10)"
             " ORDER BY CASE s.status WHEN 'overdue' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, l.time_limit, x.id",
             10, params, cmd_on_rows, c->ctx);
}

static const struct cmd_opt problem_add_opts[] = {
    { "category", true }, { "severity", true }, { "text", true }, { "unit", true }, { "limit", true },
    { NULL, false },
};
static const struct cmd_opt problem_list_opts[] = {
    { "county", true }, { "unit", true }, { "status", true }, { "category", true }, { "severity", true },
    { "project", true }, { "sector", true }, { NULL, false },
};
static const struct cmd_opt problem_resolve_opts[] = { { "note", true }, { NULL, false } };

static const struct cmd_entry problem_subs[] = {
    {
        .name = "add",
        .usage = "CODE --category C --severity ordinary|major --text TEXT [--unit U] [--limit DATE]",
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
    { .name = NULL },
};

const struct cmd_entry cmd_problem_entry = {
    .name = "problem",
    .summary = "the problem list (问题清单): add (admin; reported today; without --limit the time limit is by "
        "severity, 一般 7 days and 重大 30 unless keyprojd.conf says otherwise), list (overdue first; open = "
        "within its limit), resolve (admin)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = problem_subs,
    .dflt = "list",
};

/* ---- approval list | done ------------------------------------------------ */

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
    db_query(c->ctx->d->db,
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

static const struct cmd_entry approval_subs[] = {
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
    .summary = "联审联批 items: list (overdue first: pending past the planned date), done (admin; today or --date)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = approval_subs,
    .dflt = "list",
};
