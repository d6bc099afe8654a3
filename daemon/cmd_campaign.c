/* cmd_campaign: the 双月攻坚 windows — `campaign [list]`, `campaign show
 * [C]` (the current two-month window by default: days left, milestones
 * done, not yet due and overdue, by county and by sector), `campaign
 * scorecard [C]` (the 按期完成率 frozen at the close, sql/functions/
 * scorecard.sql), `campaign targets [C]` (each
 * target against what was actually achieved in the window) and `campaign
 * target set C …` (admin). What counts as achieved is one SQL function,
 * keyproj_campaign_actuals() in sql/functions/admin.sql. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_campaign_entry;

#define CODE_MAX 32     /* campaign.code */

struct campaign_job {
    struct cmd_ctx *ctx;
    char code[CODE_MAX * 4 + 1];
    bool current;       /* no C given: the window holding today */
};

/* The campaign a positional names ("2026年第6期" is 2026-B6; other codes
 * as typed), or, without one, the two-month window holding today. */
static struct campaign_job *
campaign_job(const struct cmd_call *c, int pos)
{
    struct campaign_job *job = xcalloc(1, sizeof *job);
    job->ctx = c->ctx;
    if (c->a->npos > pos) {
        const char *s = c->a->pos[pos];
        if (!parse_campaign(s, job->code, sizeof job->code)) {
            if (strlen(s) > CODE_MAX * 4) {
                cmd_usage_error(c, "'%.40s…' is not a campaign code", s);
                free(job);
                return NULL;
            }
            strlcpy_k(job->code, s, sizeof job->code);
        }
    } else {
        struct ymd t;
        clock_today(&c->ctx->d->clock, &t);
        campaign_of_date(&t, job->code, sizeof job->code);
        job->current = true;
    }
    return job;
}

static void
reply_not_found(struct campaign_job *job)
{
    if (job->current)
        cmd_error(job->ctx, "not_found", NULL,
                  "no campaign %s (the two-month window holding today) yet: import its milestones or set "
                  "its targets (campaign target set %s …)", job->code, job->code);
    else
        cmd_error(job->ctx, "not_found", NULL, "no campaign '%s' (campaign list shows them)", job->code);
}

/* A window counts the milestones of projects on the list on its last day,
 * or today while it is open: one taken off it (调出) before then is out, as
 * in its frozen scorecard (sql/functions/scorecard.sql). TODAY: a date
 * parameter; c: the campaign, P: the milestone's project (or its tally row,
 * which carries the project's archived_on). */
#define ON_LIST_IN_WINDOW(P, today) "keyproj_on_list(" P ".archived_on, least(" today "::date, c.ends_on))"

/* ---- list ------------------------------------------------------------------ */

static void
campaign_list(const struct cmd_call *c)
{
    char today[11];
    cmd_today(c->ctx, today);
    const char *params[] = { today };
    /* the milestones as campaign show counts them: its tally rows (m) */
    db_query(cmd_db(c->ctx),
             "SELECT c.code, c.name, c.kind, c.starts_on, c.ends_on,"
             " CASE WHEN $1::date < c.starts_on THEN 'upcoming' WHEN $1::date > c.ends_on THEN 'past'"
             "      ELSE 'current' END AS state,"
             " coalesce(sum(m.n), 0)::bigint AS milestones,"
             " coalesce(sum(m.n) FILTER (WHERE m.status = 'done'), 0)::bigint AS done,"
             " coalesce(sum(m.n) FILTER (WHERE m.status = 'pending' AND m.due_on < $1::date), 0)::bigint AS overdue,"
             " (SELECT count(*) FROM campaign_target t WHERE t.campaign_id = c.id) AS targets"
             " FROM campaign c LEFT JOIN milestone_tally m"
             "   ON m.campaign_id = c.id AND " ON_LIST_IN_WINDOW("m", "$1")
             " GROUP BY c.id ORDER BY c.starts_on, c.code",
             1, params, cmd_on_rows, c->ctx);
}

/* ---- show -------------------------------------------------------------------- */

static void
on_show(void *arg, const PGresult *res, const char *err)
{
    struct campaign_job *job = arg;
    if (err)
        cmd_error(job->ctx, "internal", NULL, "query failed: %s", err);
    else if (PQntuples(res) == 0)
        reply_not_found(job);
    else {
        json_t *o = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        if (o)
            cmd_reply(job->ctx, o);
        else
            cmd_error(job->ctx, "internal", NULL, "the database answered something unreadable");
    }
    free(job);
}

/* Milestone counts of the window's rows of milestone_tally t (sql/0007_tally.sql:
 * its milestones by project county, sector and archived_on, due date and
 * status; kept by sql/functions/tally.sql), summed in place of counting
 * the window's milestones (135k in a national one) on every request. */
#define MILESTONE_COUNTS \
    " coalesce(sum(t.n), 0)::bigint AS milestones," \
    " coalesce(sum(t.n) FILTER (WHERE t.status = 'done'), 0)::bigint AS done," \
    " coalesce(sum(t.on_time), 0)::bigint AS on_time," \
    " coalesce(sum(t.n) FILTER (WHERE t.status = 'pending' AND t.due_on >= $2::date), 0)::bigint" \
    "  AS not_yet_due," \
    " coalesce(sum(t.n) FILTER (WHERE t.status = 'pending' AND t.due_on < $2::date), 0)::bigint AS overdue," \
    " coalesce(sum(t.n) FILTER (WHERE t.status = 'waived'), 0)::bigint AS waived," \
    " round(100.0 * sum(t.n) FILTER (WHERE t.status = 'done')" \
    "       / nullif(sum(t.n) FILTER (WHERE t.status <> 'waived'), 0), 1) AS done_pct"

static void
campaign_show(const struct cmd_call *c)
{
    struct campaign_job *job = campaign_job(c, 0);
    if (job == NULL)
        return;
    char today[11];
    cmd_today(c->ctx, today);
    const char *params[] = { job->code, today };
    /* days_gone: the window's days before today; days_left: today and the
     * days after it up to the last day (so on the last day, 1). done_pct
     * leaves waived milestones out; on_time: done by the due date;
     * not_yet_due: pending, due today or later. frozen_*: the scorecard
     * frozen when the window closed (campaign scorecard), else null. */
    /* g: the window's milestones in all, by county and by sector, in one
     * pass over its tally rows; a county or sector whose rows have all
     * fallen to 0 (its milestones moved to another window) is not listed,
     * as it was not when the milestones were counted. */
    db_query(cmd_db(c->ctx),
             "WITH c AS (SELECT * FROM campaign WHERE code = $1),"
             " g AS (SELECT grouping(co.name) AS by_county, grouping(t.sector) AS by_sector,"
             "   co.name AS county, t.sector," MILESTONE_COUNTS
             "  FROM c JOIN milestone_tally t ON t.campaign_id = c.id JOIN county co ON co.id = t.county_id"
             "  WHERE " ON_LIST_IN_WINDOW("t", "$2")
             "  GROUP BY GROUPING SETS ((), (co.name), (t.sector))"
             "  HAVING sum(t.n) > 0 OR grouping(co.name, t.sector) = 3)"
             "SELECT json_build_object("
             "  'code', c.code, 'name', c.name, 'kind', c.kind, 'starts_on', c.starts_on, 'ends_on', c.ends_on,"
             "  'today', $2::date,"
             "  'state', CASE WHEN $2::date < c.starts_on THEN 'upcoming' WHEN $2::date > c.ends_on THEN 'past'"
             "               ELSE 'current' END,"
             "  'days_total', d.total, 'days_gone', d.gone, 'days_left', d.total - d.gone,"
             "  'time_elapsed_pct', round(100.0 * d.gone / d.total, 1),"
             "  'milestones', mc.milestones, 'done', mc.done, 'on_time', mc.on_time,"
             "  'not_yet_due', mc.not_yet_due, 'overdue', mc.overdue, 'waived', mc.waived, 'done_pct', mc.done_pct,"
             "  'frozen_on', f.frozen_on, 'frozen_on_time_pct', round(100.0 * f.on_time / nullif(f.nodes, 0), 1),"
             "  'targets', (SELECT count(*) FROM campaign_target t WHERE t.campaign_id = c.id),"
             "  'by_county', coalesce((SELECT json_agg(b ORDER BY b.county) FROM (SELECT county, milestones, done,"
             "     on_time, not_yet_due, overdue, waived, done_pct FROM g WHERE by_county = 0) b), '[]'::json),"
             "  'by_sector', coalesce((SELECT json_agg(b ORDER BY b.sector) FROM (SELECT sector, milestones, done,"
             "     on_time, not_yet_due, overdue, waived, done_pct FROM g WHERE by_sector = 0) b), '[]'::json))::text"
             " FROM c"
             " CROSS JOIN LATERAL (SELECT c.ends_on - c.starts_on + 1 AS total,"
             "   least(greatest($2::date - c.starts_on, 0), c.ends_on - c.starts_on + 1) AS gone) d"
             " JOIN g mc ON mc.by_county = 1 AND mc.by_sector = 1"
             " LEFT JOIN scorecard f ON f.campaign_id = c.id AND f.scope = 'city'",
             2, params, on_show, job);
}

/* ---- targets, scorecard ------------------------------------------------------ */

/* Rows of a campaign's list: one row with the marker _row null stands for
 * a campaign that exists but has nothing to list; no row at all, for no
 * such campaign. Columns named _… are the query's own and not shown. */
static void
on_campaign_rows(void *arg, const PGresult *res, const char *err)
{
    struct campaign_job *job = arg;
    if (err) {
        cmd_error(job->ctx, "internal", NULL, "query failed: %s", err);
    } else if (PQntuples(res) == 0) {
        reply_not_found(job);
    } else {
        json_t *rows = db_rows_json(res), *out = json_array();
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            if (json_is_null(json_object_get(row, "_row")))
                continue;
            const char *key;
            json_t *v;
            void *tmp;
            json_object_foreach_safe(row, tmp, key, v) {
                if (key[0] == '_')      /* the query's own columns: markers, sort keys */
                    json_object_del(row, key);
            }
            json_array_append(out, row);
        }
        json_decref(rows);
        cmd_reply(job->ctx, out);
    }
    free(job);
}

static void
campaign_targets(const struct cmd_call *c)
{
    struct campaign_job *job = campaign_job(c, 0);
    if (job == NULL)
        return;
    const char *params[] = { job->code };
    /* City-wide first, then the counties; all sectors before each sector. */
    db_query(cmd_db(c->ctx),
             "SELECT co.name AS county, t.sector,"
             " a.starts, t.starts AS starts_target, a.completions, t.completions AS completions_target,"
             " a.investment, trim_scale(t.investment) AS investment_target,"
             " CASE WHEN t.investment > 0 THEN round(100 * a.investment / t.investment, 1) END AS investment_pct,"
             " a.approvals, trim_scale(t.approvals) AS approvals_target, a.approval_items, t.id AS _row"
             " FROM campaign c LEFT JOIN campaign_target t ON t.campaign_id = c.id"
             " LEFT JOIN county co ON co.id = t.county_id"
             " LEFT JOIN LATERAL keyproj_campaign_actuals(c.starts_on, c.ends_on, t.county_id, t.sector) a"
             "   ON t.id IS NOT NULL"
             " WHERE c.code = $1"
             " ORDER BY t.county_id IS NOT NULL, co.name, t.sector IS NOT NULL, t.sector",
             1, params, on_campaign_rows, job);
}

/* campaign scorecard [C] [--by county|sector|unit]: the window's 按期完成率
 * as frozen when it closed, and beside it the same count on today's
 * ledger; correction_pts is how far later changes (a node done late with
 * an earlier date, one moved to another window) would move the rate. The
 * city-wide row first (全市), then the best rate first. A window still
 * open has only today's figures. */
static void
campaign_scorecard(const struct cmd_call *c)
{
    static const char *const by_words[] = { "county", "sector", "unit" };
    const char *by = cmd_opt(c->a, "by");
    if (by == NULL)
        by = "county";
    size_t k = 0;
    while (k < ARRAY_LEN(by_words) && strcmp(by, by_words[k]) != 0)
        k++;
    if (k == ARRAY_LEN(by_words)) {
        cmd_usage_error(c, "--by '%s': expected county, sector or unit", by);
        return;
    }
    struct campaign_job *job = campaign_job(c, 0);
    if (job == NULL)
        return;
    /* now: only the scopes shown (the function is inlined, and the scope
     * filter reaches its rows before they are counted: a window's
     * milestones were counted four times over, by city, county, sector and
     * unit, for two of them to be shown). */
    char sql[2048];
    snprintf(sql, sizeof sql,
             "WITH now AS (SELECT r.* FROM campaign c, keyproj_scorecard_rows(c.id) r"
             "   WHERE c.code = $1 AND r.scope IN ('city', $2)),"
             " frozen AS (SELECT s.* FROM campaign c JOIN scorecard s ON s.campaign_id = c.id WHERE c.code = $1),"
             " k AS (SELECT scope, name FROM now UNION SELECT scope, name FROM frozen)"
             "SELECT r.* FROM campaign c LEFT JOIN LATERAL ("
             " SELECT CASE WHEN k.scope = 'city' THEN '全市' ELSE k.name END AS %s,"
             "  f.nodes, f.on_time, f.late, f.open, round(100.0 * f.on_time / nullif(f.nodes, 0), 1) AS on_time_pct,"
             "  f.frozen_on, n.nodes AS nodes_now, n.on_time AS on_time_now,"
             "  round(100.0 * n.on_time / nullif(n.nodes, 0), 1) AS on_time_pct_now,"
             "  round(round(100.0 * n.on_time / nullif(n.nodes, 0), 1)"
             "        - round(100.0 * f.on_time / nullif(f.nodes, 0), 1), 1) AS correction_pts,"
             "  k.scope = 'city' AS _city, true AS _row"
             " FROM k LEFT JOIN frozen f USING (scope, name) LEFT JOIN now n USING (scope, name)"
             " WHERE k.scope IN ('city', $2)) r ON true"
             " WHERE c.code = $1"
             " ORDER BY r._city DESC, coalesce(r.on_time_pct, r.on_time_pct_now) DESC NULLS LAST, 1",
             by_words[k]);
    const char *params[] = { job->code, by_words[k] };
    db_query(cmd_db(c->ctx), sql, 2, params, on_campaign_rows, job);
}

/* ---- target set ------------------------------------------------------------- */

static bool
is_none(const char *s)
{
    return strcmp(s, "none") == 0 || strcmp(s, "无") == 0;
}

/* A count target: a whole number, or none (no target). */
static bool
count_value(const struct cmd_call *c, const char *opt, char out[16], const char **val)
{
    const char *s = cmd_opt(c->a, opt);
    *val = NULL;
    if (s == NULL)
        return true;
    size_t n = strspn(s, "0123456789");
    if (is_none(s)) {
        *val = "none";
        return true;
    }
    if (n == 0 || n > 9 || s[n] != '\0') {
        cmd_usage_error(c, "--%s '%s' is not a number of projects (or none)", opt, s);
        return false;
    }
    snprintf(out, 16, "%ld", strtol(s, NULL, 10));
    *val = out;
    return true;
}

static bool
investment_value(const struct cmd_call *c, char out[40], const char **val)
{
    const char *s = cmd_opt(c->a, "investment");
    *val = NULL;
    if (s == NULL)
        return true;
    if (is_none(s)) {
        *val = "none";
        return true;
    }
    if (!parse_amount(s, out, 40)) {
        cmd_usage_error(c, "--investment '%s' is not an amount in 万元 (like 52000 or 1,234.5; or none)", s);
        return false;
    }
    *val = out;
    return true;
}

/* A share in percent: 0 to 100, up to 2 decimals, "85", "85.5%" or "85.5％". */
static bool
percent_value(const struct cmd_call *c, char out[40], const char **val)
{
    const char *s = cmd_opt(c->a, "approvals");
    *val = NULL;
    if (s == NULL)
        return true;
    if (is_none(s)) {
        *val = "none";
        return true;
    }
    char tmp[40];
    strlcpy_k(tmp, s, sizeof tmp);
    size_t n = strlen(tmp);
    if (n >= 1 && tmp[n - 1] == '%')
        tmp[n - 1] = '\0';
    else if (n >= 3 && strcmp(tmp + n - 3, "％") == 0)
        tmp[n - 3] = '\0';
    const char *dot;
    if (strlen(s) >= sizeof tmp - 1 || !parse_amount(tmp, out, 40) || strtod(out, NULL) > 100
        || ((dot = strchr(out, '.')) != NULL && strlen(dot + 1) > 2)) {
        cmd_usage_error(c, "--approvals '%s' is not a percentage from 0 to 100 (like 85 or 92.5; or none)", s);
        return false;
    }
    *val = out;
    return true;
}

static void
campaign_target_set(const struct cmd_call *c)
{
    struct campaign_job *job = campaign_job(c, 0);
    if (job == NULL)
        return;
    char starts_b[16], completions_b[16], investment_b[40], approvals_b[40];
    const char *sector, *starts, *completions, *investment, *approvals, *county = cmd_opt(c->a, "county");
    bool ok = cmd_enum_opt(c, "sector", &words_sector, &sector)
              && count_value(c, "starts", starts_b, &starts)
              && count_value(c, "completions", completions_b, &completions)
              && investment_value(c, investment_b, &investment) && percent_value(c, approvals_b, &approvals);
    if (ok && !starts && !completions && !investment && !approvals) {
        cmd_usage_error(c, "give at least one target: --starts, --completions, --investment or --approvals");
        ok = false;
    }
    if (ok) {
        const char *args[] = { job->code, county, sector, starts, completions, investment, approvals };
        cmd_run_write(c->ctx,
                      "keyproj_campaign_target_set($1::text, $2::text, $3::text, $4::text, $5::text, $6::text,"
                      " $7::text",
                      7, args);
    }
    free(job);
}

/* ---- the command ---------------------------------------------------------- */

static const struct cmd_opt target_set_opts[] = {
    { "county", true }, { "sector", true }, { "starts", true }, { "completions", true },
    { "investment", true }, { "approvals", true }, { NULL, false },
};

static const struct cmd_entry target_subs[] = {
    {
        .name = "set",
        .usage = "C [--county X] [--sector S] [--starts N] [--completions N] [--investment AMOUNT] "
            "[--approvals PCT]",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .opts = target_set_opts,
        .run = campaign_target_set,
    },
    { .name = NULL },
};

static const struct cmd_opt scorecard_opts[] = { { "by", true }, { NULL, false } };

static const struct cmd_entry campaign_subs[] = {
    { .name = "list", .usage = "", .level = LEVEL_OPERATOR, .run = campaign_list },
    { .name = "show", .usage = "[C]", .level = LEVEL_OPERATOR, .max_pos = 1, .run = campaign_show },
    { .name = "targets", .usage = "[C]", .level = LEVEL_OPERATOR, .max_pos = 1, .run = campaign_targets },
    {
        .name = "scorecard",
        .usage = "[C] [--by county|sector|unit]",
        .level = LEVEL_OPERATOR,
        .max_pos = 1,
        .opts = scorecard_opts,
        .run = campaign_scorecard,
    },
    { .name = "target", .level = LEVEL_ADMIN, .subs = target_subs },
    { .name = NULL },
};

const struct cmd_entry cmd_campaign_entry = {
    .name = "campaign",
    .summary = "双月攻坚 windows: list, show (the current window by default: days left, milestones done, not yet "
        "due, overdue, by county and sector), targets (actual against target), scorecard (按期完成率 frozen at "
        "the close, today's count and the correction beside it), target set (admin; none removes one)",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = campaign_subs,
    .dflt = "list",
};
