/* cmd_views: what needs chasing — `overdue` (pending milestones past their
 * date, most overdue first) and `due` (pending milestones coming due in the
 * next days), filtered the way 督查室 divides the work: county, sector,
 * unit, leader, campaign. Read-only; "today" comes from clock.c. */
#include "ac_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "cmd.h"
#include "daemon.h"
#include "db.h"
#include "values.h"

#define MAX_WITHIN_DAYS 366

/* The filters both views take, as SQL parameters $2 … $6 (NULL = any). */
struct view_filters {
    const char *county, *sector, *unit, *leader, *campaign;
    char campaign_code[40];
};

/* Reads the filters, or replies with a usage error and returns false. */
static bool
read_filters(struct cmd_ctx *ctx, const struct cmd_args *a, struct view_filters *f)
{
    f->county = cmd_opt(a, "county");
    f->unit = cmd_opt(a, "unit");
    f->leader = cmd_opt(a, "leader");
    f->campaign = cmd_opt(a, "campaign");
    /* "2026年第6期" means 2026-B6; other codes (百日攻坚 …) are taken as typed. */
    if (f->campaign && parse_campaign(f->campaign, f->campaign_code, sizeof f->campaign_code))
        f->campaign = f->campaign_code;
    const char *s = cmd_opt(a, "sector");
    f->sector = s ? map_sector(s) : NULL;
    if (s && f->sector == NULL) {
        cmd_error(ctx, "usage", NULL, "--sector: unknown value '%s' (expected one of %s)", s,
                  sector_expected());
        return false;
    }
    return true;
}

static void
on_rows(void *arg, const PGresult *res, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (err)
        cmd_error(ctx, "internal", NULL, "query failed: %s", err);
    else
        cmd_reply(ctx, cmd_rows_json(res));
}

/* The unit answerable for a node is its own responsible unit, else the
 * project's; --unit filters on that same unit the rows show. */
#define VIEW_FROM \
    " FROM milestone m JOIN project p ON p.id = m.project_id" \
    " JOIN county co ON co.id = p.county_id JOIN campaign cp ON cp.id = m.campaign_id" \
    " LEFT JOIN unit mu ON mu.id = m.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id" \
    " LEFT JOIN person l ON l.id = p.leader_id"

#define VIEW_FILTERS \
    " AND ($2::text IS NULL OR co.name = $2) AND ($3::text IS NULL OR p.sector = $3)" \
    " AND ($4::text IS NULL OR coalesce(mu.name, pu.name) = $4) AND ($5::text IS NULL OR l.name = $5)" \
    " AND ($6::text IS NULL OR cp.code = $6)"

#define VIEW_COLUMNS \
    " m.due_on AS due, co.name AS county, p.code AS project, p.name AS project_name, m.title," \
    " cp.code AS campaign, coalesce(mu.name, pu.name) AS unit, l.name AS leader"

static void
today_str(const struct cmd_ctx *ctx, char out[11])
{
    struct ymd t;
    clock_today(&ctx->d->clock, &t);
    format_date(&t, out);
}

/* ---- overdue ------------------------------------------------------------ */

static void
overdue_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct view_filters f;
    if (!read_filters(ctx, a, &f))
        return;
    char today[11];
    today_str(ctx, today);
    const char *params[] = { today, f.county, f.sector, f.unit, f.leader, f.campaign };
    /* due_on < today: a node due yesterday is overdue by one day; the
     * partial index on pending nodes by due date serves this. */
    db_query(ctx->d->db,
             "SELECT m.id, $1::date - m.due_on AS days_overdue," VIEW_COLUMNS VIEW_FROM
             " WHERE m.status = 'pending' AND m.due_on < $1::date" VIEW_FILTERS
             " ORDER BY m.due_on, co.name, p.code, m.id",
             6, params, on_rows, ctx);
}

static const struct cmd_opt overdue_opts[] = {
    { "county", true }, { "sector", true }, { "unit", true }, { "leader", true }, { "campaign", true },
    { NULL, false },
};

const struct cmd_entry cmd_overdue_entry = {
    "overdue", "[--county C] [--sector S] [--unit U] [--leader L] [--campaign C]",
    "pending milestones past their due date, most overdue first (逾期节点)",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 0, 0, overdue_opts, overdue_exec,
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
    struct view_filters f;
    char days[8];
    if (!within_days(ctx, a, days) || !read_filters(ctx, a, &f))
        return;
    char today[11];
    today_str(ctx, today);
    const char *params[] = { today, f.county, f.sector, f.unit, f.leader, f.campaign, days };
    db_query(ctx->d->db,
             "SELECT m.id, m.due_on - $1::date AS days_left," VIEW_COLUMNS VIEW_FROM
             " WHERE m.status = 'pending' AND m.due_on BETWEEN $1::date AND $1::date + $7::int" VIEW_FILTERS
             " ORDER BY m.due_on, co.name, p.code, m.id",
             7, params, on_rows, ctx);
}

static const struct cmd_opt due_opts[] = {
    { "within", true }, { "county", true }, { "sector", true }, { "unit", true }, { "leader", true },
    { "campaign", true }, { NULL, false },
};

const struct cmd_entry cmd_due_entry = {
    "due", "[--within DAYS] [--county C] [--sector S] [--unit U] [--leader L] [--campaign C]",
    "pending milestones due from today to today + DAYS (default 7), soonest first",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 0, 0, due_opts, due_exec,
};
