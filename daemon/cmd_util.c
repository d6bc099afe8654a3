/* cmd_util: shared argument checks and writes of the command
 * files (see cmd_util.h). Knows nothing of what a command means. */
#include "ac_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "log.h"
#include "timearg.h"
#include "util.h"
#include "values.h"

#define WRITE_MAX_ARGS 12

const char *
cmd_call_name(const struct cmd_call *c)
{
    return c->name ? c->name : c->e->name;
}

void
cmd_usage_error(const struct cmd_call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    const char *usage = c->sub ? c->sub->usage : c->e->usage;
    cmd_error(c->ctx, "usage", NULL, "%s; usage: %s%s%s", msg, cmd_call_name(c), usage[0] ? " " : "", usage);
    free(msg);
}

/* ---- argument checks -------------------------------------------------- */

bool
cmd_id_arg(const struct cmd_call *c, const char *what, const char *listing, const char *s, char out[24])
{
    char *end = NULL;
    errno = 0;
    long long v = s[0] >= '0' && s[0] <= '9' ? strtoll(s, &end, 10) : 0;
    if (v <= 0 || errno != 0 || *end != '\0') {
        cmd_usage_error(c, "%s must be a whole number as '%s' shows it (got '%s')", what, listing, s);
        return false;
    }
    snprintf(out, 24, "%lld", v);
    return true;
}

bool
cmd_date_arg(const struct cmd_call *c, const char *what, const char *s, char out[11])
{
    struct ymd d;
    if (!parse_date(s, &d)) {
        cmd_usage_error(c, "%s '%s' is not a date (like 2026-11-02, 2026/11/2 or 2026年11月2日)", what, s);
        return false;
    }
    format_date(&d, out);
    return true;
}

bool
cmd_date_opt_or_today(const struct cmd_call *c, const char *opt, char out[11])
{
    const char *s = cmd_opt(c->a, opt);
    if (s == NULL) {
        cmd_today(c->ctx, out);
        return true;
    }
    char what[40];
    snprintf(what, sizeof what, "--%s", opt);
    return cmd_date_arg(c, what, s, out);
}

bool
cmd_limit_opt(const struct cmd_call *c, long def, long max, char out[16])
{
    const char *s = cmd_opt(c->a, "limit");
    long n = def;
    if (s != NULL) {
        char *end = NULL;
        errno = 0;
        n = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
        if (n < 1 || n > max || errno != 0 || (end && *end != '\0')) {
            cmd_usage_error(c, "--limit: expected a number of rows from 1 to %ld (got '%s')", max, s);
            return false;
        }
    }
    snprintf(out, 16, "%ld", n);
    return true;
}

bool
cmd_since_opt(const struct cmd_call *c, char out[32], const char **param)
{
    const char *s = cmd_opt(c->a, "since");
    *param = NULL;
    if (s == NULL)
        return true;
    double t;
    if (!timearg_parse(s, clock_now(&c->ctx->d->clock), &t)) {
        cmd_usage_error(c, "--since: cannot read '%s' (expected -1d, -12h, 2026-11-01 or 2026-11-01T08:00)", s);
        return false;
    }
    snprintf(out, 32, "%.3f", t);
    *param = out;
    return true;
}

bool
cmd_has_text(const char *s)
{
    while (*s) {
        if (strncmp(s, "\xe3\x80\x80", 3) == 0)
            s += 3;
        else if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        else
            return true;
    }
    return false;
}

bool
cmd_required_text(const struct cmd_call *c, const char *opt, const char *why, const char **out)
{
    *out = cmd_opt(c->a, opt);
    if (*out == NULL || !cmd_has_text(*out)) {
        cmd_usage_error(c, "%s needs --%s TEXT (%s)", cmd_call_name(c), opt, why);
        return false;
    }
    return true;
}

bool
cmd_optional_text(const struct cmd_call *c, const char *opt, const char **out)
{
    *out = cmd_opt(c->a, opt);
    if (*out != NULL && !cmd_has_text(*out)) {
        cmd_usage_error(c, "--%s is blank: leave it out, or say something", opt);
        return false;
    }
    return true;
}

bool
cmd_enum_opt(const struct cmd_call *c, const char *opt, const struct words *words, const char **out)
{
    const char *v = cmd_opt(c->a, opt);
    *out = NULL;
    if (v == NULL)
        return true;
    *out = words_map(words, v);
    if (*out == NULL) {
        char *expected = words_expected_new(words);
        cmd_error(c->ctx, "usage", NULL, "--%s: unknown value '%s' (expected one of %s)", opt, v, expected);
        free(expected);
        return false;
    }
    return true;
}

void
cmd_today(const struct cmd_ctx *ctx, char out[11])
{
    struct ymd t;
    clock_today(&ctx->d->clock, &t);
    format_date(&t, out);
}

/* ---- answers ---------------------------------------------------------- */

void
cmd_usage_for(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    cmd_error(ctx, "usage", NULL, "%s; usage: %s %s", msg, e->name, e->usage);
    free(msg);
}

void
cmd_on_rows(void *arg, const PGresult *res, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (err) {
        cmd_error(ctx, "internal", NULL, "query failed: %s", err);
        return;
    }
    if (!ctx->out->as_text) {
        cmd_reply(ctx, db_rows_json(res));
        return;
    }
    /* Written a value at a time: a whole country's overdue list as a
     * tree took ~140 MB more than its text (doc/performance.md). */
    char *text = db_rows_text(res, CMD_JSON_FLAGS);
    if (text != NULL)
        cmd_reply_text(ctx, text);
    else
        cmd_error(ctx, "internal", NULL, "the answer could not be written as JSON");
    free(text);
}

/* The SQL functions answer {"ok": true, "data": …} or {"ok": false,
 * "code": …, "message": …}: a refusal is data, so its audit row commits. */
void
cmd_on_written(void *arg, const PGresult *res, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (err) {
        cmd_error(ctx, "internal", NULL, "the change failed, nothing was changed: %s", err);
        return;
    }
    json_t *out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *data = json_object_get(out, "data");
    const char *code = json_string_value(json_object_get(out, "code"));
    const char *message = json_string_value(json_object_get(out, "message"));
    if (json_is_true(json_object_get(out, "ok")) && data)
        cmd_reply(ctx, json_incref(data));
    else if (code && message)
        cmd_error(ctx, code, NULL, "%s", message);
    else
        cmd_error(ctx, "internal", NULL, "the database answered something unreadable");
    json_decref(out);
}

/* A write in flight, kept to be sent again when PostgreSQL gave it up as
 * one side of a deadlock (two writers updating the same counts, the
 * ledger's tallies, in different orders): each write is one statement in
 * a transaction of its own, rolled back whole, so sending it again is the
 * same write. */
#define WRITE_TRIES 3
struct write_try {
    struct cmd_ctx *ctx;
    char *sql;
    int n;
    char *params[WRITE_MAX_ARGS + 3];
    int tries;
};

static void
write_try_free(struct write_try *w)
{
    for (int i = 0; i < w->n; i++)
        free(w->params[i]);
    free(w->sql);
    free(w);
}

static void on_write(void *arg, const PGresult *res, const char *err);

static void
write_send(struct write_try *w)
{
    w->tries++;
    db_query(w->ctx->d->db, w->sql, w->n, (const char *const *)w->params, on_write, w);
}

static void
on_write(void *arg, const PGresult *res, const char *err)
{
    struct write_try *w = arg;
    if (err && db_error_is_conflict(w->ctx->d->db) && w->tries < WRITE_TRIES) {
        log_warn("write sent again after a conflict with another", "req=%lu try=%d error=%s",
                 w->ctx->request_id, w->tries + 1, log_q(err));
        write_send(w);
        return;
    }
    struct cmd_ctx *ctx = w->ctx;
    write_try_free(w);
    cmd_on_written(ctx, res, err);
}

void
cmd_run_write(struct cmd_ctx *ctx, const char *call, int n, const char *const *args)
{
    char today[11], req[24];
    if (n < 0 || n > WRITE_MAX_ARGS) {
        cmd_error(ctx, "internal", NULL, "a write with %d parameters (at most %d)", n, WRITE_MAX_ARGS);
        return;
    }
    cmd_today(ctx, today);
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    struct write_try *w = xcalloc(1, sizeof *w);
    w->ctx = ctx;
    w->n = n + 3;
    for (int i = 0; i < n; i++)
        w->params[i] = args[i] ? xstrdup(args[i]) : NULL;
    w->params[n] = xstrdup(today);
    w->params[n + 1] = xstrdup(ctx->user);
    w->params[n + 2] = xstrdup(req);
    w->sql = xasprintf("SELECT %s, $%d::date, $%d::text, $%d::text)::text", call, n + 1, n + 2, n + 3);
    write_send(w);
}
