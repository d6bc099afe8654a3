/* cmd_silence: `silence add | list | del`. A silence stops matching alerts
 * from being sent until a time; it is applied when a delivery is due
 * (deliver.c), and every delivery it holds back is kept as 'silenced'.
 * Writes are one call of a sql/functions/silence.sql function, so the
 * change and its audit row commit together; this file checks the shape of
 * the arguments and never decides whether a change is allowed. */
#include "ac_config.h"

#include <errno.h>
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
#include "rules.h"
#include "timearg.h"
#include "util.h"
#include "values.h"

/* A silence longer than this hides a project from everyone for a season;
 * add a new one when it ends instead. */
#define SILENCE_MAX_DAYS 90
#define MATCH_VALUES_MAX 32

extern const struct cmd_entry cmd_silence_entry;

static void usage_error(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    cmd_error(ctx, "usage", NULL, "%s; usage: silence %s", msg, cmd_silence_entry.usage);
    free(msg);
}

/* ---- matchers -------------------------------------------------------------- */

static const char *
map_kind_or_digest(const char *s)
{
    for (int k = 0; k < RULES_KIND_COUNT; k++)
        if (strcmp(s, rules_kind_name((enum rules_kind)k)) == 0)
            return rules_kind_name((enum rules_kind)k);
    return strcmp(s, "digest") == 0 ? "digest" : NULL;
}

static const char *
kinds_expected(void)
{
    return "milestone.due_soon, milestone.overdue, milestone.freeze, project.start_overdue, "
           "project.completion_overdue, investment.lagging, report.missing, progress.stalled, "
           "approval.overdue, problem.overdue, project.repeated_red, campaign.at_risk, campaign.missed, digest";
}

static const char *
map_light_word(const char *s)
{
    static const char *const lights[][4] = {
        { "red", "红", "红灯", "Red" }, { "yellow", "黄", "黄灯", "Yellow" }, { "green", "绿", "绿灯", "Green" },
    };
    for (size_t i = 0; i < ARRAY_LEN(lights); i++)
        for (size_t j = 0; j < 4; j++)
            if (strcmp(s, lights[i][j]) == 0)
                return lights[i][0];
    return NULL;
}

static const char *
lights_expected(void)
{
    return "red, yellow, green (or 红, 黄, 绿)";
}

/* Splits an option value at ',' or '，' into trimmed items; maps each (map
 * may be NULL) and appends it to the matcher's array. False after a usage
 * error was sent. */
static bool
add_matcher(struct cmd_ctx *ctx, json_t *m, const struct cmd_args *a, const char *opt,
            const char *(*map)(const char *), const char *(*expected)(void))
{
    const char *v = cmd_opt(a, opt);
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
        const char *c = map ? map(item) : item;
        if (c == NULL) {
            usage_error(ctx, "--%s: unknown value '%s' (expected one of %s)", opt, item, expected());
            ok = false;
        } else if (json_array_size(arr) >= MATCH_VALUES_MAX) {
            usage_error(ctx, "--%s: at most %d values", opt, MATCH_VALUES_MAX);
            ok = false;
        } else {
            json_array_append_new(arr, json_string(c));
        }
    }
    free(copy);
    if (ok && json_array_size(arr) == 0) {
        usage_error(ctx, "--%s is empty: leave it out, or name what to silence", opt);
        ok = false;
    }
    if (ok)
        json_object_set_new(m, opt, arr);
    else
        json_decref(arr);
    return ok;
}

static void
on_listed(void *arg, const PGresult *res, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (err)
        cmd_error(ctx, "internal", NULL, "query failed: %s", err);
    else
        cmd_reply(ctx, cmd_rows_json(res));
}

/* ---- the command ----------------------------------------------------------- */

static bool
only_options(struct cmd_ctx *ctx, const struct cmd_args *a, const char *action, const char *const *allowed)
{
    for (int i = 0; i < a->nopt; i++) {
        bool ok = false;
        for (const char *const *o = allowed; *o; o++)
            ok = ok || strcmp(a->opt[i].name, *o) == 0;
        if (!ok) {
            usage_error(ctx, "'silence %s' takes no --%s", action, a->opt[i].name);
            return false;
        }
    }
    return true;
}

static bool
admin_only(struct cmd_ctx *ctx, const char *action)
{
    if (ctx->level >= LEVEL_ADMIN)
        return true;
    cmd_error(ctx, "denied", NULL, "'silence %s' needs the admin level; user %s has operator", action, ctx->user);
    return false;
}

static void
silence_add(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    static const char *const allowed[] = { "project", "county", "sector", "level", "kind", "light",
                                           "until", "comment", NULL };
    if (a->npos != 1) {
        usage_error(ctx, "'silence add' takes no other argument (got '%s')", a->pos[1]);
        return;
    }
    if (!admin_only(ctx, "add") || !only_options(ctx, a, "add", allowed))
        return;
    json_t *m = json_object();
    bool ok = add_matcher(ctx, m, a, "project", NULL, NULL) && add_matcher(ctx, m, a, "county", NULL, NULL) &&
              add_matcher(ctx, m, a, "sector", map_sector, sector_expected) &&
              add_matcher(ctx, m, a, "level", map_level, level_expected) &&
              add_matcher(ctx, m, a, "kind", map_kind_or_digest, kinds_expected) &&
              add_matcher(ctx, m, a, "light", map_light_word, lights_expected);
    if (!ok) {
        json_decref(m);
        return;
    }
    if (json_object_size(m) == 0) {
        json_decref(m);
        usage_error(ctx, "say what to silence: at least one of --project, --county, --sector, --level, --kind, --light");
        return;
    }
    const char *until_s = cmd_opt(a, "until"), *comment = cmd_opt(a, "comment");
    double now = clock_now(&ctx->d->clock), until;
    if (until_s == NULL || !timearg_parse(until_s, now, &until)) {
        json_decref(m);
        if (until_s == NULL)
            usage_error(ctx, "a silence needs --until TIME (like " TIMEARG_EXPECTED ")");
        else
            usage_error(ctx, "--until: cannot read '%s' (expected " TIMEARG_EXPECTED ")", until_s);
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
        usage_error(ctx, "a silence needs --comment TEXT (why, and who asked: it goes into the audit log)");
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
silence_list(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    static const char *const allowed[] = { "all", NULL };
    if (a->npos != 1) {
        usage_error(ctx, "'silence list' takes no other argument (got '%s')", a->pos[1]);
        return;
    }
    if (!only_options(ctx, a, "list", allowed))
        return;
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
             3, params, on_listed, ctx);
}

static void
silence_del(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    if (!admin_only(ctx, "del") || !only_options(ctx, a, "del", (const char *const[]){ NULL }))
        return;
    if (a->npos != 2) {
        usage_error(ctx, "'silence del' needs the silence ID (see: silence list)");
        return;
    }
    const char *s = a->pos[1];
    char *end = NULL;
    errno = 0;
    long long v = s[0] >= '0' && s[0] <= '9' ? strtoll(s, &end, 10) : 0;
    if (v <= 0 || errno != 0 || *end != '\0') {
        usage_error(ctx, "silence ID must be a whole number as 'silence list' shows it (got '%s')", s);
        return;
    }
    char id[24], n[32], req[24];
    snprintf(id, sizeof id, "%lld", v);
    snprintf(n, sizeof n, "%.3f", clock_now(&ctx->d->clock));
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    const char *params[] = { id, n, ctx->d->cfg->timezone, ctx->user, req };
    db_query(ctx->d->db, "SELECT keyproj_silence_del($1::bigint, to_timestamp($2::float8), $3, $4, $5)::text", 5,
             params, cmd_on_written, ctx);
}

static void
silence_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const char *action = a->pos[0];
    if (strcmp(action, "add") == 0)
        silence_add(ctx, a);
    else if (strcmp(action, "list") == 0 || strcmp(action, "ls") == 0)
        silence_list(ctx, a);
    else if (strcmp(action, "del") == 0 || strcmp(action, "delete") == 0 || strcmp(action, "rm") == 0)
        silence_del(ctx, a);
    else
        usage_error(ctx, "unknown action '%s' (expected add, list or del)", action);
}

static const struct cmd_opt silence_opts[] = {
    { "project", true }, { "county", true }, { "sector", true }, { "level", true }, { "kind", true },
    { "light", true }, { "until", true }, { "comment", true }, { "all", false }, { NULL, false },
};

/* Operator level for `silence list`; add and del check for admin. */
const struct cmd_entry cmd_silence_entry = {
    "silence",
    "add [--project CODE] [--county C] [--sector S] [--level L] [--kind K] [--light L] --until TIME "
    "--comment TEXT | list [--all] | del ID",
    "stop matching alerts from being sent until a time (each held delivery is kept as 'silenced'); "
    "list silences; end one early",
    LEVEL_OPERATOR, CMD_NEEDS_DB, 1, 2, silence_opts, silence_exec,
};
