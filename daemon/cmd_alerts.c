/* cmd_alerts: what was decided and where it is going — `alerts` lists the
 * alerts (newest first, filtered by kind, light, county, time), each with
 * how its deliveries stand; `receivers` lists the configured receivers with
 * their backlog, last success and last error (never a URL or a secret). */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "util.h"
#include "values.h"

#define LIST_DEFAULT 100
#define LIST_MAX 10000

extern const struct cmd_entry cmd_alerts_entry, cmd_receivers_entry;

/* ---- alerts ------------------------------------------------------------- */

static void
alerts_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_alerts_entry;
    const char *kind = cmd_opt(a, "kind"), *light = cmd_opt(a, "light"), *county = cmd_opt(a, "county");
    if (kind && (kind = words_map(&words_alert_kind_digest, kind)) == NULL) {
        char *expected = words_expected_new(&words_alert_kind_digest);
        cmd_usage_for(ctx, e, "--kind: unknown kind '%s' (expected %s)", cmd_opt(a, "kind"), expected);
        free(expected);
        return;
    }
    if (light && (light = words_map(&words_light, light)) == NULL) {
        char *expected = words_expected_new(&words_light);
        cmd_usage_for(ctx, e, "--light: unknown light '%s' (expected %s)", cmd_opt(a, "light"), expected);
        free(expected);
        return;
    }
    char since_s[32], limit[16];
    const char *since;
    const struct cmd_call c = { .ctx = ctx, .e = e, .a = a };
    if (!cmd_since_opt(&c, since_s, &since) || !cmd_limit_opt(&c, LIST_DEFAULT, LIST_MAX, limit))
        return;
    const char *params[] = { ctx->d->cfg->timezone, kind, light, county, since, limit };
    /* The project's current county decides; the payload stands in for a
     * project deleted since. "deliveries": how its rows stand, by status. */
    db_query(cmd_db(ctx),
             "SELECT a.id, a.kind, a.stage, a.light,"
             " coalesce(p.code, a.payload #>> '{project,code}') AS project,"
             " coalesce(co.name, a.payload #>> '{project,county}') AS county,"
             " keyproj_local(a.created_at, $1) AS created,"
             " a.payload ->> 'message' AS message,"
             " (SELECT string_agg(x.status || ' ' || x.c, ', ' ORDER BY x.status)"
             "    FROM (SELECT d.status, count(*) AS c FROM delivery d WHERE d.alert_id = a.id"
             "          GROUP BY d.status) x) AS deliveries"
             " FROM alert a LEFT JOIN project p ON p.id = a.project_id LEFT JOIN county co ON co.id = p.county_id"
             " WHERE ($2::text IS NULL OR a.kind = $2) AND ($3::text IS NULL OR a.light = $3)"
             " AND ($4::text IS NULL OR coalesce(co.name, a.payload #>> '{project,county}') = $4)"
             " AND ($5::float8 IS NULL OR a.created_at >= to_timestamp($5::float8))"
             " ORDER BY a.id DESC LIMIT $6::int",
             6, params, cmd_on_rows, ctx);
}

static const struct cmd_opt alerts_opts[] = {
    { "kind", true }, { "light", true }, { "county", true }, { "since", true }, { "limit", true },
    { NULL, false },
};

const struct cmd_entry cmd_alerts_entry = {
    .name = "alerts",
    .usage = "[--kind K] [--light L] [--county C] [--since T] [--limit N]",
    .summary = "the alerts decided, newest first (default 100): kind, stage, light, project, county, "
        "and how their deliveries stand",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = alerts_opts,
    .exec = alerts_exec,
};

/* ---- receivers ---------------------------------------------------------- */

static void
receivers_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    (void)a;
    const struct config *cfg = ctx->d->cfg;
    struct buf names, types, rates, wins;
    buf_init(&names);
    buf_init(&types);
    buf_init(&rates);
    buf_init(&wins);
    buf_putc(&names, '{');
    buf_putc(&types, '{');
    buf_putc(&rates, '{');
    buf_putc(&wins, '{');
    for (size_t i = 0; i < cfg->n_receivers; i++) {   /* names are [A-Za-z0-9._-]: no quoting needed */
        const struct receiver *rv = &cfg->receivers[i];
        bool chat = strcmp(rv->type, "json") != 0;
        buf_printf(&names, "%s\"%s\"", i ? "," : "", rv->name);
        buf_printf(&types, "%s\"%s\"", i ? "," : "", rv->type);
        buf_printf(&rates, "%s%d", i ? "," : "", rv->rate_per_minute);
        if (chat)
            buf_printf(&wins, "%s%d", i ? "," : "", rv->digest_window_seconds);
        else
            buf_printf(&wins, "%sNULL", i ? "," : "");
    }
    buf_putc(&names, '}');
    buf_putc(&types, '}');
    buf_putc(&rates, '}');
    buf_putc(&wins, '}');
    const char *params[] = { cfg->timezone, names.data, types.data, rates.data, wins.data };
    /* In configuration order. last_error: of the newest delivery that has
     * one (pending for a retry, or dead). */
    db_query(cmd_db(ctx),
             "SELECT r.name AS receiver, r.type, r.rate AS rate_per_minute, r.win AS window_seconds,"
             " (SELECT count(*) FROM delivery d WHERE d.receiver = r.name AND d.status = 'pending') AS pending,"
             " (SELECT count(*) FROM delivery d WHERE d.receiver = r.name AND d.status = 'dead') AS dead,"
             " (SELECT count(*) FROM delivery d WHERE d.receiver = r.name AND d.status = 'silenced') AS silenced,"
             " keyproj_local((SELECT max(d.delivered_at) FROM delivery d WHERE d.receiver = r.name"
             "   AND d.status = 'delivered'), $1) AS last_success,"
             " (SELECT d.last_error FROM delivery d WHERE d.receiver = r.name AND d.last_error IS NOT NULL"
             "   AND d.status IN ('pending', 'dead') ORDER BY d.id DESC LIMIT 1) AS last_error"
             " FROM unnest($2::text[], $3::text[], $4::int[], $5::int[]) WITH ORDINALITY AS r(name, type, rate, win, o)"
             " ORDER BY r.o",
             5, params, cmd_on_rows, ctx);
    buf_free(&names);
    buf_free(&types);
    buf_free(&rates);
    buf_free(&wins);
}

const struct cmd_entry cmd_receivers_entry = {
    .name = "receivers",
    .usage = "",
    .summary = "the configured receivers: type, rate, chat window, backlog (pending, dead, silenced), "
        "last success and last error",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .exec = receivers_exec,
};
