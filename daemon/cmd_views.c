/* cmd_views: what needs chasing — `overdue` (pending milestones past their
 * date, most overdue first) and `due` (pending milestones coming due in the
 * next days), filtered the way 督查室 divides the work: county, sector,
 * level, unit, leader, light, campaign. Read-only; "today" comes from clock.c. */
#include "ac_config.h"

#include <errno.h>
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

#define MAX_WITHIN_DAYS 366

/* The unit answerable for a node is its own responsible unit, else the
 * project's; --unit filters on that same unit the rows show (cmd_filter.h). */
#define VIEW_FROM \
    " FROM milestone m JOIN project p ON p.id = m.project_id" \
    " JOIN county co ON co.id = p.county_id JOIN campaign cp ON cp.id = m.campaign_id" \
    " LEFT JOIN unit mu ON mu.id = m.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id" \
    " LEFT JOIN person l ON l.id = p.leader_id"

extern const struct cmd_entry cmd_overdue_entry, cmd_due_entry;

#define VIEW_COLUMNS \
    " m.due_on AS due, co.name AS county, p.code AS project, p.name AS project_name, m.title," \
    " cp.code AS campaign, coalesce(mu.name, pu.name) AS unit, l.name AS leader"

/* ---- overdue ------------------------------------------------------------ */

static void
overdue_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_overdue_entry, .a = a };
    struct cmd_filters f;
    if (!cmd_filters_read(&c, &f))
        return;
    char today[11];
    cmd_today(ctx, today);
    const char *params[1 + FILTER_N] = { today };
    cmd_filters_params(&f, params + 1);
    char *where = cmd_filters_sql_new(FILTER_ON_MILESTONES, 2);
    /* due_on < today: a node due yesterday is overdue by one day; the
     * partial index on pending nodes by due date serves this. */
    char *sql = xasprintf("SELECT m.id, $1::date - m.due_on AS days_overdue," VIEW_COLUMNS VIEW_FROM
                          " WHERE m.status = 'pending' AND m.due_on < $1::date"
                          " AND keyproj_on_list(p.archived_on, $1::date)%s"
                          " ORDER BY m.due_on, co.name, p.code, m.id", where);
    cmd_filters_query(ctx, &f, sql, 1 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

static const struct cmd_opt overdue_opts[] = { CMD_FILTER_OPTS, { NULL, false } };

const struct cmd_entry cmd_overdue_entry = {
    .name = "overdue",
    .usage = CMD_FILTER_USAGE " [--campaign C]",
    .summary = "pending milestones past their due date, most overdue first (逾期节点)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = overdue_opts,
    .exec = overdue_exec,
};

/* ---- due ---------------------------------------------------------------- */

static bool
within_days(struct cmd_ctx *ctx, const struct cmd_args *a, char out[8])
{
    const char *s = cmd_opt(a, "within");
    if (s == NULL)
        s = "7";
    char *end = NULL;
    errno = 0;
    long n = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
    if (n < 0 || n > MAX_WITHIN_DAYS || errno != 0 || *end != '\0') {
        cmd_error(ctx, "usage", NULL, "--within: expected a number of days from 0 to %d (got '%s')",
                  MAX_WITHIN_DAYS, s);
        return false;
    }
    snprintf(out, 8, "%ld", n);
    return true;
}

static void
due_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_due_entry, .a = a };
    struct cmd_filters f;
    char days[8];
    if (!within_days(ctx, a, days) || !cmd_filters_read(&c, &f))
        return;
    char today[11];
    cmd_today(ctx, today);
    const char *params[2 + FILTER_N] = { today, days };
    cmd_filters_params(&f, params + 2);
    char *where = cmd_filters_sql_new(FILTER_ON_MILESTONES, 3);
    char *sql = xasprintf("SELECT m.id, m.due_on - $1::date AS days_left," VIEW_COLUMNS VIEW_FROM
                          " WHERE m.status = 'pending' AND m.due_on BETWEEN $1::date AND $1::date + $2::int"
                          " AND keyproj_on_list(p.archived_on, $1::date)%s"
                          " ORDER BY m.due_on, co.name, p.code, m.id", where);
    cmd_filters_query(ctx, &f, sql, 2 + FILTER_N, params, cmd_on_rows, ctx, NULL);
    free(sql);
    free(where);
}

static const struct cmd_opt due_opts[] = { { "within", true }, CMD_FILTER_OPTS, { NULL, false } };

const struct cmd_entry cmd_due_entry = {
    .name = "due",
    .usage = "[--within DAYS] " CMD_FILTER_USAGE " [--campaign C]",
    .summary = "pending milestones due from today to today + DAYS (default 7), soonest first",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = due_opts,
    .exec = due_exec,
};
