/* cmd_problems: what is blocking the projects and who must answer —
 * `problem add|list|resolve` (问题清单), `approval list|done` (联审联批
 * items) and `orders` / `order reply` (the 提醒函, 督办函 and 交办函 issued
 * and their replies). Writes are ONE call of a sql/functions/admin.sql function
 * each (change and audit row commit together); this file checks the
 * arguments' shape and maps Chinese or English values, nothing more. */
#include "ac_config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "values.h"

extern const struct cmd_entry cmd_problem_entry, cmd_approval_entry, cmd_orders_entry, cmd_order_entry;

/* ---- vocabularies -------------------------------------------------------- */

static const struct cmd_term category_terms[] = {
    { "funding", "资金|资金问题|融资" },
    { "planning", "规划|规划问题" },
    { "land", "用地|土地|用地问题" },
    { "environment", "环保|环评|生态环保|环境" },
    { "demolition", "征迁|征地拆迁|拆迁|征拆" },
    { "approval", "审批|手续|审批手续" },
    { "construction", "施工|建设|施工问题" },
    { "other", "其他" },
    { NULL, NULL },
};
#define CATEGORY_EXPECTED "资金, 规划, 用地, 环保, 征迁, 审批, 施工, 其他 (or funding, planning, land, " \
    "environment, demolition, approval, construction, other)"

static const struct cmd_term severity_terms[] = {
    { "ordinary", "一般|普通" },
    { "major", "重大|重要" },
    { NULL, NULL },
};
#define SEVERITY_EXPECTED "一般, 重大 (or ordinary, major)"

static const struct cmd_term problem_status_terms[] = {
    { "open", "未解决|待解决|未销号" },
    { "resolved", "已解决|已销号|解决" },
    { "overdue", "逾期|超期" },
    { NULL, NULL },
};
#define PROBLEM_STATUS_EXPECTED "未解决, 已解决, 逾期 (or open, resolved, overdue)"

static const struct cmd_term approval_status_terms[] = {
    { "pending", "未办结|办理中|未完成|待办" },
    { "done", "已办结|已完成|完成|办结" },
    { "waived", "免除|不需办理" },
    { "overdue", "逾期|超期" },
    { NULL, NULL },
};
#define APPROVAL_STATUS_EXPECTED "未办结, 已办结, 免除, 逾期 (or pending, done, waived, overdue)"

static const struct cmd_term order_status_terms[] = {
    { "open", "未回复|待回复" },
    { "replied", "已回复|回复" },
    { "overdue", "逾期|超期" },
    { NULL, NULL },
};
#define ORDER_STATUS_EXPECTED "未回复, 已回复, 逾期 (or open, replied, overdue)"

static const struct cmd_term order_kind_terms[] = {
    { "reminder", "提醒函" },
    { "supervision", "督办函" },
    { "assignment", "交办函" },
    { NULL, NULL },
};
#define ORDER_KIND_EXPECTED "提醒函, 督办函, 交办函 (or reminder, supervision, assignment)"

static const char *term_category(const char *s) { return cmd_term_map(category_terms, s); }
static const char *term_severity(const char *s) { return cmd_term_map(severity_terms, s); }
static const char *term_problem_status(const char *s) { return cmd_term_map(problem_status_terms, s); }
static const char *term_approval_status(const char *s) { return cmd_term_map(approval_status_terms, s); }
static const char *term_order_status(const char *s) { return cmd_term_map(order_status_terms, s); }
static const char *term_order_kind(const char *s) { return cmd_term_map(order_kind_terms, s); }

/* A required enum option (add --category …): absent is a usage error. */
static bool
required_enum(const struct cmd_call *c, const char *opt, const char *(*map)(const char *), const char *expected,
              const char **out)
{
    if (cmd_opt(c->a, opt) == NULL) {
        cmd_usage_error(c, "%s %s needs --%s (one of %s)", c->e->name, c->sub->name, opt, expected);
        return false;
    }
    return cmd_enum_opt(c, opt, map, expected, out);
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
    if (!required_enum(c, "category", term_category, CATEGORY_EXPECTED, &category)
        || !required_enum(c, "severity", term_severity, SEVERITY_EXPECTED, &severity)
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
    if (!cmd_enum_opt(c, "status", term_problem_status, PROBLEM_STATUS_EXPECTED, &status)
        || !cmd_enum_opt(c, "category", term_category, CATEGORY_EXPECTED, &category)
        || !cmd_enum_opt(c, "severity", term_severity, SEVERITY_EXPECTED, &severity)
        || !cmd_enum_opt(c, "sector", map_sector, sector_expected(), &sector))
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

static const char *const problem_add_opts[] = { "category", "severity", "text", "unit", "limit", NULL };
static const char *const problem_list_opts[] = {
    "county", "unit", "status", "category", "severity", "project", "sector", NULL,
};
static const char *const problem_resolve_opts[] = { "note", NULL };

static const struct cmd_sub problem_subs[] = {
    { "add", "add CODE --category C --severity ordinary|major --text TEXT [--unit U] [--limit DATE]",
      LEVEL_ADMIN, 1, 1, problem_add_opts, problem_add },
    { "list", "list [--county C] [--unit U] [--status open|resolved|overdue] [--category C] [--severity S] "
      "[--project CODE] [--sector S]",
      LEVEL_OPERATOR, 0, 0, problem_list_opts, problem_list },
    { "resolve", "resolve ID --note TEXT", LEVEL_ADMIN, 1, 1, problem_resolve_opts, problem_resolve },
    { NULL, NULL, 0, 0, 0, NULL, NULL },
};

static void
problem_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    cmd_run_sub(ctx, &cmd_problem_entry, problem_subs, a, "list");
}

static const struct cmd_opt problem_opts[] = {
    { "category", true }, { "severity", true }, { "text", true }, { "unit", true }, { "limit", true },
    { "county", true }, { "status", true }, { "project", true }, { "sector", true }, { "note", true },
    { NULL, false },
};

const struct cmd_entry cmd_problem_entry = {
    "problem",
    "add CODE --category C --severity ordinary|major --text TEXT [--unit U] [--limit DATE]"
    " | list [--county C] [--unit U] [--status open|resolved|overdue] [--category C] [--severity S]"
    " [--project CODE] [--sector S] | resolve ID --note TEXT",
    "the problem list (问题清单): add (admin; reported today; without --limit the time limit is by "
    "severity, 一般 7 days and 重大 30 unless keyprojd.conf says otherwise), list (overdue first; open = "
    "within its limit), resolve (admin)",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 0, 2, problem_opts, problem_exec,
};

/* ---- approval list | done ------------------------------------------------ */

static void
approval_list(const struct cmd_call *c)
{
    const char *status;
    if (!cmd_enum_opt(c, "status", term_approval_status, APPROVAL_STATUS_EXPECTED, &status))
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

static const char *const approval_list_opts[] = { "county", "status", "overdue", "unit", "project", NULL };
static const char *const approval_done_opts[] = { "date", "note", NULL };

static const struct cmd_sub approval_subs[] = {
    { "list", "list [--county C] [--status pending|done|waived|overdue] [--overdue] [--unit U] [--project CODE]",
      LEVEL_OPERATOR, 0, 0, approval_list_opts, approval_list },
    { "done", "done ID [--date D] [--note TEXT]", LEVEL_ADMIN, 1, 1, approval_done_opts, approval_done },
    { NULL, NULL, 0, 0, 0, NULL, NULL },
};

static void
approval_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    cmd_run_sub(ctx, &cmd_approval_entry, approval_subs, a, "list");
}

static const struct cmd_opt approval_opts[] = {
    { "county", true }, { "status", true }, { "overdue", false }, { "unit", true }, { "project", true },
    { "date", true }, { "note", true }, { NULL, false },
};

const struct cmd_entry cmd_approval_entry = {
    "approval",
    "list [--county C] [--status pending|done|waived|overdue] [--overdue] [--unit U] [--project CODE]"
    " | done ID [--date D] [--note TEXT]",
    "联审联批 items: list (overdue first: pending past the planned date), done (admin; today or --date)",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 0, 2, approval_opts, approval_exec,
};

/* ---- orders, order reply ------------------------------------------------- */

static void
orders_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { ctx, &cmd_orders_entry, NULL, a };
    const char *status, *kind;
    if (!cmd_enum_opt(&c, "status", term_order_status, ORDER_STATUS_EXPECTED, &status)
        || !cmd_enum_opt(&c, "kind", term_order_kind, ORDER_KIND_EXPECTED, &kind))
        return;
    char today[11];
    cmd_today(ctx, today);
    const char *params[] = { today, status, cmd_opt(a, "county"), kind, cmd_opt(a, "project") };
    db_query(ctx->d->db,
             "SELECT o.id, o.kind, o.doc_no, co.name AS county, p.code AS project, p.name AS project_name,"
             " u.name AS to_unit, o.issued_on, o.reply_due, s.status,"
             " CASE WHEN s.status = 'overdue' THEN $1::date - o.reply_due END AS days_overdue,"
             " o.replied_on, o.reply_note, o.reason"
             " FROM supervision_order o JOIN project p ON p.id = o.project_id JOIN county co ON co.id = p.county_id"
             " LEFT JOIN unit u ON u.id = o.to_unit_id"
             " CROSS JOIN LATERAL (SELECT keyproj_order_state(o.replied_on, o.reply_due, $1::date) AS status) s"
             " WHERE ($2::text IS NULL OR s.status = $2) AND ($3::text IS NULL OR co.name = $3)"
             " AND ($4::text IS NULL OR o.kind = $4) AND ($5::text IS NULL OR p.code = $5)"
             " ORDER BY CASE s.status WHEN 'overdue' THEN 0 WHEN 'open' THEN 1 ELSE 2 END,"
             " o.reply_due NULLS LAST, o.issued_on, o.id",
             5, params, cmd_on_rows, ctx);
}

static const struct cmd_opt orders_opts[] = {
    { "status", true }, { "county", true }, { "kind", true }, { "project", true }, { NULL, false },
};

const struct cmd_entry cmd_orders_entry = {
    "orders", "[--status open|replied|overdue] [--county C] [--kind reminder|supervision|assignment] [--project CODE]",
    "supervision orders issued (提醒函, 督办函, 交办函) and their reply state; unanswered past the reply date first",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 0, 0, orders_opts, orders_exec,
};

static void
order_reply(const struct cmd_call *c)
{
    char id[24], on[11];
    const char *note;
    if (!cmd_id_arg(c, "order ID", "orders", c->a->pos[0], id) || !cmd_optional_text(c, "note", &note)
        || !cmd_date_opt_or_today(c, "date", on))
        return;
    const char *args[] = { id, on, note };
    cmd_run_write(c->ctx, "keyproj_order_reply($1::bigint, $2::date, $3::text", 3, args);
}

static const char *const order_reply_opts[] = { "date", "note", NULL };

static const struct cmd_sub order_subs[] = {
    { "reply", "reply ID [--date D] [--note TEXT]", LEVEL_ADMIN, 1, 1, order_reply_opts, order_reply },
    { NULL, NULL, 0, 0, 0, NULL, NULL },
};

static void
order_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    cmd_run_sub(ctx, &cmd_order_entry, order_subs, a, NULL);
}

static const struct cmd_opt order_opts[] = { { "date", true }, { "note", true }, { NULL, false } };

const struct cmd_entry cmd_order_entry = {
    "order", "reply ID [--date D] [--note TEXT]",
    "record that the unit replied to a supervision order, today or on --date (not before it was issued)",
    LEVEL_ADMIN, CMD_NEEDS_DB, 1, 2, order_opts, order_exec,
};
