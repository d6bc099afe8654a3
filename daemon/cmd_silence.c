/* cmd_silence: `silence add | list | del`. A silence stops matching alerts
 * from being sent until a time; it is applied when a delivery is due
 * (deliver.c), and every delivery it holds back is kept as 'silenced'.
 * Writes are one call of a sql/functions/silence.sql function, so the
 * change and its audit row commit together; this file checks the shape of
 * the arguments and never decides whether a change is allowed. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "timearg.h"
#include "util.h"
#include "values.h"

/* A silence longer than this hides a project from everyone for a season;
 * add a new one when it ends instead. */
#define SILENCE_MAX_DAYS 90
#define MATCH_VALUES_MAX 32


/* ---- matchers -------------------------------------------------------------- */

/* Splits an option value at ',' or '，' into trimmed items; maps each (map
 * may be NULL) and appends it to the matcher's array. False after a usage
 * error was sent. */
static bool
add_matcher(const struct cmd_call *c, json_t *m, const char *opt, const struct words *words)
{
    const char *v = cmd_opt(c->a, opt);
    if (v == NULL)
        return true;
    json_t *arr = json_array();
    char *copy = xstrdup(v);
    /* full-width commas become ASCII ones first */
    for (char *p; (p = strstr(copy, "\xef\xbc\x8c")) != NULL;)
        memmove(p + 1, p + 3, strlen(p + 3) + 1), *p = ',';
    char *save = NULL;
    bool ok = true;
    for (char *item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        size_t n = strlen(item);
        while (n > 0 && item[n - 1] == ' ')
            item[--n] = '\0';
        if (n == 0)
            continue;
        const char *name = words ? words_map(words, item) : item;
        if (name == NULL) {
            char *expected = words_expected_new(words);
            cmd_usage_error(c, "--%s: unknown value '%s' (expected one of %s)", opt, item, expected);
            free(expected);
            ok = false;
        } else if (json_array_size(arr) >= MATCH_VALUES_MAX) {
            cmd_usage_error(c, "--%s: at most %d values", opt, MATCH_VALUES_MAX);
            ok = false;
        } else {
            json_array_append_new(arr, json_string(name));
        }
    }
    free(copy);
    if (ok && json_array_size(arr) == 0) {
        cmd_usage_error(c, "--%s is empty: leave it out, or name what to silence", opt);
        ok = false;
    }
    if (ok)
        json_object_set_new(m, opt, arr);
    else
        json_decref(arr);
    return ok;
}

/* ---- the command ----------------------------------------------------------- */

static void
silence_add(const struct cmd_call *c)
{
    struct cmd_ctx *ctx = c->ctx;
    const struct cmd_args *a = c->a;
    json_t *m = json_object();
    bool ok = add_matcher(c, m, "project", NULL) && add_matcher(c, m, "county", NULL) &&
              add_matcher(c, m, "sector", &words_sector) && add_matcher(c, m, "level", &words_level) &&
              add_matcher(c, m, "kind", &words_alert_kind_digest) && add_matcher(c, m, "light", &words_light);
    if (!ok) {
        json_decref(m);
        return;
    }
    if (json_object_size(m) == 0) {
        json_decref(m);
        cmd_usage_error(c, "say what to silence: at least one of --project, --county, --sector, --level, --kind, --light");
        return;
    }
    const char *until_s = cmd_opt(a, "until"), *comment = cmd_opt(a, "comment");
    double now = clock_now(&ctx->d->clock), until;
    if (until_s == NULL || !timearg_parse(until_s, now, &until)) {
        json_decref(m);
        if (until_s == NULL)
            cmd_usage_error(c, "a silence needs --until TIME (like " TIMEARG_EXPECTED ")");
        else
            cmd_usage_error(c, "--until: cannot read '%s' (expected " TIMEARG_EXPECTED ")", until_s);
        return;
    }
    char shown[32], now_s[32];
    clock_format(until, shown);
    clock_format(now, now_s);
    if (until <= now || until > now + SILENCE_MAX_DAYS * 86400.0) {
        json_decref(m);
        if (until <= now)
            cmd_error(ctx, "invalid", NULL, "--until %s is not in the future (now is %s)", shown, now_s);
        else
            cmd_error(ctx, "invalid", NULL,
                      "--until %s is more than %d days ahead: a silence that long hides a project from "
                      "everyone; silence for a shorter time and renew it if still needed", shown, SILENCE_MAX_DAYS);
        return;
    }
    if (comment == NULL || !cmd_has_text(comment)) {
        json_decref(m);
        cmd_usage_error(c, "a silence needs --comment TEXT (why, and who asked: it goes into the audit log)");
        return;
    }
    char *matchers = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    char u[32], n[32], req[24];
    snprintf(u, sizeof u, "%.3f", until);
    snprintf(n, sizeof n, "%.3f", now);
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    const char *params[] = { matchers, u, comment, n, ctx->d->cfg->timezone, ctx->user, req };
    db_query(ctx->d->db,
             "SELECT keyproj_silence_add($1::jsonb, to_timestamp($2::float8), $3, to_timestamp($4::float8),"
             " $5, $6, $7)::text",
             7, params, cmd_on_written, ctx);
    free(matchers);
}

/* The columns of `silence list`, in the order people read them. */
#define SILENCE_COLUMNS \
    "s.id, keyproj_silence_state(s, to_timestamp($1::float8)) AS state," \
    " keyproj_silence_describe(s.matchers) AS matchers, keyproj_local(s.starts_at, $2) AS starts," \
    " keyproj_local(s.ends_at, $2) AS until, s.comment, s.created_by AS by," \
    " (SELECT count(*) FROM delivery d WHERE d.silence_id = s.id) AS silenced"

static void
silence_list(const struct cmd_call *c)
{
    struct cmd_ctx *ctx = c->ctx;
    const struct cmd_args *a = c->a;
    char n[32];
    snprintf(n, sizeof n, "%.3f", clock_now(&ctx->d->clock));
    const char *params[] = { n, ctx->d->cfg->timezone, cmd_flag(a, "all") ? "t" : "f" };
    /* Without --all: what holds messages back now or will (not ended, not
     * deleted), so the deleted columns would always be empty. */
    db_query(ctx->d->db,
             cmd_flag(a, "all")
                 ? "SELECT " SILENCE_COLUMNS ", keyproj_local(s.deleted_at, $2) AS deleted, s.deleted_by"
                   " FROM silence s WHERE $3::bool ORDER BY s.id"
                 : "SELECT " SILENCE_COLUMNS " FROM silence s"
                   " WHERE NOT $3::bool AND s.deleted_at IS NULL AND s.ends_at > to_timestamp($1::float8)"
                   " ORDER BY s.id",
             3, params, cmd_on_rows, ctx);
}

static void
silence_del(const struct cmd_call *c)
{
    struct cmd_ctx *ctx = c->ctx;
    char id[24], n[32], req[24];
    if (!cmd_id_arg(c, "silence ID", "silence list", c->a->pos[0], id))
        return;
    snprintf(n, sizeof n, "%.3f", clock_now(&ctx->d->clock));
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    const char *params[] = { id, n, ctx->d->cfg->timezone, ctx->user, req };
    db_query(ctx->d->db, "SELECT keyproj_silence_del($1::bigint, to_timestamp($2::float8), $3, $4, $5)::text", 5,
             params, cmd_on_written, ctx);
}

static const struct cmd_opt add_opts[] = {
    { "project", true }, { "county", true }, { "sector", true }, { "level", true }, { "kind", true },
    { "light", true }, { "until", true }, { "comment", true }, { NULL, false },
};
static const struct cmd_opt list_opts[] = { { "all", false }, { NULL, false } };

static const struct cmd_entry silence_subs[] = {
    {
        .name = "add",
        .usage = "[--project CODE] [--county C] [--sector S] [--level L] [--kind K] [--light L] --until TIME "
            "--comment TEXT",
        .level = LEVEL_ADMIN,
        .opts = add_opts,
        .run = silence_add,
    },
    {
        .name = "list",
        .aliases = (const char *const[]){ "ls", NULL },
        .usage = "[--all]",
        .level = LEVEL_OPERATOR,
        .opts = list_opts,
        .run = silence_list,
    },
    {
        .name = "del",
        .aliases = (const char *const[]){ "delete", "rm", NULL },
        .usage = "ID",
        .level = LEVEL_ADMIN,
        .min_pos = 1,
        .max_pos = 1,
        .run = silence_del,
    },
    { .name = NULL },
};

const struct cmd_entry cmd_silence_entry = {
    .name = "silence",
    .summary = "stop matching alerts from being sent until a time (each held delivery is kept as 'silenced'); "
        "list silences; end one early",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = silence_subs,
};
