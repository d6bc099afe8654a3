/* cmd_orders: the letters — `orders` (the 提醒函, 督办函 and 交办函 issued
 * and their reply state) and `order reply`. Writes are ONE call of a
 * sql/functions/admin.sql function each (change and audit row commit
 * together); this file checks the arguments' shape, nothing more. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
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

static const struct cmd_entry order_subs[] = {
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
    .summary = "record that the unit replied to a supervision order, today or on --date (not before it was issued)",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .subs = order_subs,
};
