/* cmd_orders: the letters — `orders` (the 提醒函, 督办函 and 交办函 issued
 * and their reply state), `order issue` (by hand, numbered as it is
 * written), `order show` (the letter's text from keyprojd.conf's template)
 * and `order reply`. Writes are ONE call of a sql/functions/ function each
 * (change, number and audit row commit together); this file checks the
 * arguments' shape and renders the text, nothing more. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "letters.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_orders_entry, cmd_order_entry;

/* ---- orders, order reply ------------------------------------------------- */

static void
orders_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_orders_entry, .a = a };
    const char *status, *kind;
    if (!cmd_enum_opt(&c, "status", &words_order_status, &status)
        || !cmd_enum_opt(&c, "kind", &words_order_kind, &kind))
        return;
    char today[11];
    cmd_today(ctx, today);
    const char *params[] = { today, status, cmd_opt(a, "county"), kind, cmd_opt(a, "project") };
    db_query(cmd_db(ctx),
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
    .name = "orders",
    .usage = "[--status open|replied|overdue] [--county C] [--kind reminder|supervision|assignment] [--project CODE]",
    .summary = "supervision orders issued (提醒函, 督办函, 交办函) and their reply state; unanswered past the reply date first",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = orders_opts,
    .exec = orders_exec,
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

static const struct cmd_opt order_reply_opts[] = { { "date", true }, { "note", true }, { NULL, false } };

/* ---- order issue ----------------------------------------------------------- */

/* --reply-days N: whole days from 1 to 365, in out. */
static bool
reply_days_arg(const struct cmd_call *c, const char *s, char out[12])
{
    char *end = NULL;
    long n = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
    if (n < 1 || n > 365 || (end && *end != '\0')) {
        cmd_usage_error(c, "--reply-days: expected whole days from 1 to 365 (got '%s')", s);
        return false;
    }
    snprintf(out, 12, "%ld", n);
    return true;
}

/* The reply date: --reply-due D, or --reply-days N after the issue date,
 * or letters.KIND.reply_days of keyprojd.conf; due NULL when by days. */
static bool
reply_args(const struct cmd_call *c, enum letter_kind k, char due[11], const char **due_p, char days[12])
{
    const char *due_s = cmd_opt(c->a, "reply-due"), *days_s = cmd_opt(c->a, "reply-days");
    *due_p = NULL;
    if (due_s && days_s) {
        cmd_usage_error(c, "--reply-due and --reply-days both say when to reply: give one");
        return false;
    }
    snprintf(days, 12, "%d", c->ctx->d->cfg->letters[k].reply_days);
    if (days_s)
        return reply_days_arg(c, days_s, days);
    if (due_s) {
        if (!cmd_date_arg(c, "--reply-due", due_s, due))
            return false;
        *due_p = due;
    }
    return true;
}

static void
order_issue(const struct cmd_call *c)
{
    const char *kind_s = words_map(&words_order_kind, c->a->pos[0]), *unit, *reason, *due_p;
    enum letter_kind k;
    if (kind_s == NULL || !letter_kind_parse(kind_s, &k)) {
        char *expected = words_expected_new(&words_order_kind);
        cmd_usage_error(c, "unknown kind of letter '%s' (expected one of %s)", c->a->pos[0], expected);
        free(expected);
        return;
    }
    char due[11], days[12], on[11];
    if (!cmd_optional_text(c, "to", &unit)
        || !cmd_required_text(c, "reason", "what the letter is about: its text says it", &reason)
        || !reply_args(c, k, due, &due_p, days) || !cmd_date_opt_or_today(c, "date", on))
        return;
    const char *args[] = {
        kind_s, c->a->pos[1], unit, reason, due_p, days, on, c->ctx->d->cfg->letters[k].number,
    };
    cmd_run_write(c->ctx,
                  "keyproj_order_issue($1::text, $2::text, $3::text, $4::text, $5::date, $6::int, $7::date, $8::text",
                  8, args);
}

static const struct cmd_opt order_issue_opts[] = {
    { "to", true }, { "reason", true }, { "reply-due", true }, { "reply-days", true }, { "date", true },
    { NULL, false },
};

/* ---- order show ------------------------------------------------------------ */

/* The columns order show selects, in this order. */
enum { SHOW_ID, SHOW_KIND, SHOW_DOC_NO, SHOW_PROJECT, SHOW_PROJECT_NAME, SHOW_COUNTY, SHOW_TO_UNIT, SHOW_LEADER,
       SHOW_ISSUED_ON, SHOW_REPLY_DUE, SHOW_STATUS, SHOW_REPLIED_ON, SHOW_REPLY_NOTE, SHOW_REASON };

/* "2026-11-05" → "2026年11月5日", as a letter dates itself; "" for NULL. */
static void
chinese_date(const char *iso, char out[40])
{
    struct ymd d;
    if (iso == NULL || !parse_date(iso, &d))
        out[0] = '\0';
    else
        snprintf(out, 40, "%d年%d月%d日", d.y, d.m, d.d);
}

static const char *
col(const PGresult *res, int c)
{
    return PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c);
}

/* The letter's text from the template of its kind. Newly allocated. */
static char *
letter_text_new(const struct config *cfg, const PGresult *res)
{
    enum letter_kind k = LETTER_SUPERVISION;
    letter_kind_parse(col(res, SHOW_KIND), &k);
    char issued[40], due[40];
    chinese_date(col(res, SHOW_ISSUED_ON), issued);
    chinese_date(col(res, SHOW_REPLY_DUE), due);
    const char *values[LETTER_FIELDS] = {
        [LETTER_DOC_NO] = col(res, SHOW_DOC_NO), [LETTER_KIND] = letter_kind_title(k),
        [LETTER_TO_UNIT] = col(res, SHOW_TO_UNIT), [LETTER_PROJECT] = col(res, SHOW_PROJECT_NAME),
        [LETTER_CODE] = col(res, SHOW_PROJECT), [LETTER_COUNTY] = col(res, SHOW_COUNTY),
        [LETTER_REASON] = col(res, SHOW_REASON), [LETTER_ISSUED_ON] = issued, [LETTER_REPLY_DUE] = due,
        [LETTER_LEADER] = col(res, SHOW_LEADER),
    };
    return letter_render_new(cfg->letters[k].template, values);
}

static void
on_order_shown(void *arg, const PGresult *res, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (err) {
        cmd_error(ctx, "internal", NULL, "query failed: %s", err);
        return;
    }
    if (PQntuples(res) == 0) {
        cmd_error(ctx, "not_found", NULL, "no letter %s ('orders' lists them)", ctx->tok.argv[ctx->tok.argc - 1]);
        return;
    }
    json_t *rows = db_rows_json(res);
    json_t *o = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    char *text = letter_text_new(ctx->d->cfg, res);
    json_object_set_new(o, "document", json_string(text));
    free(text);
    cmd_reply(ctx, o);
}

static void
order_show(const struct cmd_call *c)
{
    char id[24], today[11];
    if (!cmd_id_arg(c, "letter ID", "orders", c->a->pos[0], id))
        return;
    cmd_today(c->ctx, today);
    const char *params[] = { id, today };
    db_query(cmd_db(c->ctx),
             "SELECT o.id, o.kind, o.doc_no, p.code AS project, p.name AS project_name, co.name AS county,"
             " u.name AS to_unit, l.name AS leader, o.issued_on, o.reply_due,"
             " keyproj_order_state(o.replied_on, o.reply_due, $2::date) AS status, o.replied_on, o.reply_note,"
             " o.reason"
             " FROM supervision_order o JOIN project p ON p.id = o.project_id JOIN county co ON co.id = p.county_id"
             " LEFT JOIN unit u ON u.id = o.to_unit_id LEFT JOIN person l ON l.id = p.leader_id"
             " WHERE o.id = $1::bigint",
             2, params, on_order_shown, c->ctx);
}

static const struct cmd_entry order_subs[] = {
    {
        .name = "issue",
        .usage = "reminder|supervision|assignment CODE --reason TEXT [--to UNIT] "
            "[--reply-due D | --reply-days N] [--date D]",
        .level = LEVEL_ADMIN,
        .min_pos = 2,
        .max_pos = 2,
        .opts = order_issue_opts,
        .run = order_issue,
    },
    {
        .name = "show",
        .usage = "ID",
        .level = LEVEL_OPERATOR,
        .min_pos = 1,
        .max_pos = 1,
        .run = order_show,
    },
    {
        .name = "reply",
        .usage = "ID [--date D] [--note TEXT]",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = order_reply_opts,
        .run = order_reply,
    },
    { .name = NULL },
};

const struct cmd_entry cmd_order_entry = {
    .name = "order",
    .summary = "letters (提醒函, 督办函, 交办函): issue one by hand (admin; numbered per kind and year from "
        "keyprojd.conf's pattern, to the project's unit unless --to), show one as printable text, record the "
        "unit's reply (admin; today or --date, not before it was issued)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = order_subs,
};
