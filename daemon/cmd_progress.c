/* cmd_progress: the administrators' writes (done, waive, reschedule, reopen,
 * report, start, complete). Each is ONE call of a sql/0002_progress.sql
 * function, so the change and its audit row commit together; this file checks
 * the arguments' shape only and never decides whether a change is allowed. */
#include "ac_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "cmd.h"
#include "daemon.h"
#include "db.h"
#include "util.h"
#include "values.h"

extern const struct cmd_entry cmd_done_entry, cmd_waive_entry, cmd_reschedule_entry, cmd_reopen_entry,
    cmd_report_entry, cmd_start_entry, cmd_complete_entry;

/* ---- argument checks: each replies with a usage error and returns false --- */

static void bad_usage(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad_usage(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    cmd_error(ctx, "usage", NULL, "%s; usage: %s %s", msg, e->name, e->usage);
    free(msg);
}

/* A milestone id as `milestones` shows it: a positive whole number that
 * fits a bigint, copied canonically (no sign, no leading zeros). */
static bool
id_arg(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *s, char out[24])
{
    char *end = NULL;
    errno = 0;
    long long v = s[0] >= '0' && s[0] <= '9' ? strtoll(s, &end, 10) : 0;
    if (v <= 0 || errno != 0 || *end != '\0') {
        bad_usage(ctx, e, "milestone ID must be a whole number as 'milestones' shows it (got '%s')", s);
        return false;
    }
    snprintf(out, 24, "%lld", v);
    return true;
}

static bool
date_arg(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *what, const char *s, char out[11])
{
    struct ymd d;
    if (!parse_date(s, &d)) {
        bad_usage(ctx, e, "%s '%s' is not a date (like 2026-11-02, 2026/11/2 or 2026年11月2日)", what, s);
        return false;
    }
    format_date(&d, out);
    return true;
}

/* True when s has something besides blanks (ASCII or the full-width
 * U+3000 a Chinese IME types). */
static bool
has_text(const char *s)
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

/* An option whose value must say something, like --reason. */
static bool
required_text(struct cmd_ctx *ctx, const struct cmd_entry *e, const struct cmd_args *a, const char *opt,
              const char *why, const char **out)
{
    *out = cmd_opt(a, opt);
    if (*out == NULL || !has_text(*out)) {
        bad_usage(ctx, e, "%s needs --%s TEXT (%s)", e->name, opt, why);
        return false;
    }
    return true;
}

/* A text option that may be absent; given, it must not be blank. */
static bool
optional_text(struct cmd_ctx *ctx, const struct cmd_entry *e, const struct cmd_args *a, const char *opt,
              const char **out)
{
    *out = cmd_opt(a, opt);
    if (*out != NULL && !has_text(*out)) {
        bad_usage(ctx, e, "--%s is blank: leave it out, or say something", opt);
        return false;
    }
    return true;
}

/* ---- running the write --------------------------------------------------- */

/* The SQL functions answer {"ok": true, "data": …} or {"ok": false,
 * "code": …, "message": …}: a refusal is data, so its audit row commits. */
static void
on_written(void *arg, const PGresult *res, const char *err)
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

/* Runs call, the function and its first n parameters with their types
 * ("keyproj_milestone_done($1::bigint, $2::date, $3::text"), completed
 * with the three every write function takes last: today, actor, request. */
static void
run_write(struct cmd_ctx *ctx, const char *call, int n, const char *const *args)
{
    const char *params[4 + 3];   /* at most four of the command's own */
    char today[11], req[24];
    struct ymd t;
    clock_today(&ctx->d->clock, &t);
    format_date(&t, today);
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    for (int i = 0; i < n; i++)
        params[i] = args[i];
    params[n] = today;
    params[n + 1] = ctx->user;
    params[n + 2] = req;
    char *sql = xasprintf("SELECT %s, $%d::date, $%d::text, $%d::text)::text", call, n + 1, n + 2, n + 3);
    db_query(ctx->d->db, sql, n + 3, params, on_written, ctx);
    free(sql);
}

/* ---- milestones ------------------------------------------------------------ */

static void
done_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_done_entry;
    char id[24], on[11];
    const char *note, *date = cmd_opt(a, "date");
    if (!id_arg(ctx, e, a->pos[0], id) || !optional_text(ctx, e, a, "note", &note))
        return;
    if (date == NULL) {   /* done today, as the daemon's clock sees the day */
        struct ymd t;
        clock_today(&ctx->d->clock, &t);
        format_date(&t, on);
    } else if (!date_arg(ctx, e, "--date", date, on)) {
        return;
    }
    const char *args[] = { id, on, note };
    run_write(ctx, "keyproj_milestone_done($1::bigint, $2::date, $3::text", 3, args);
}

static const struct cmd_opt done_opts[] = { { "date", true }, { "note", true }, { NULL, false } };

const struct cmd_entry cmd_done_entry = {
    "done", "ID [--date D] [--note TEXT]",
    "mark a milestone (节点) done, today or on --date (not in the future, not before its campaign)",
    LEVEL_ADMIN, CMD_NEEDS_DB, 1, 1, done_opts, done_exec,
};

static void
waive_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_waive_entry;
    char id[24];
    const char *reason;
    if (!id_arg(ctx, e, a->pos[0], id)
        || !required_text(ctx, e, a, "reason", "why the milestone no longer applies", &reason))
        return;
    const char *args[] = { id, reason };
    run_write(ctx, "keyproj_milestone_waive($1::bigint, $2::text", 2, args);
}

static const struct cmd_opt reason_opts[] = { { "reason", true }, { NULL, false } };

const struct cmd_entry cmd_waive_entry = {
    "waive", "ID --reason TEXT",
    "waive a pending milestone that no longer applies (免除); the reason is kept",
    LEVEL_ADMIN, CMD_NEEDS_DB, 1, 1, reason_opts, waive_exec,
};

static void
reschedule_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_reschedule_entry;
    char id[24], due[11];
    const char *reason;
    if (!id_arg(ctx, e, a->pos[0], id) || !date_arg(ctx, e, "new due date", a->pos[1], due)
        || !required_text(ctx, e, a, "reason", "why the deadline moves", &reason))
        return;
    const char *args[] = { id, due, reason, cmd_flag(a, "move") ? "true" : "false" };
    run_write(ctx, "keyproj_milestone_reschedule($1::bigint, $2::date, $3::text, $4::boolean", 4, args);
}

static const struct cmd_opt reschedule_opts[] = { { "reason", true }, { "move", false }, { NULL, false } };

const struct cmd_entry cmd_reschedule_entry = {
    "reschedule", "ID DATE --reason TEXT [--move]",
    "give a pending milestone a new due date inside its campaign; --move takes it to the "
    "two-month campaign holding DATE",
    LEVEL_ADMIN, CMD_NEEDS_DB, 2, 2, reschedule_opts, reschedule_exec,
};

static void
reopen_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    char id[24];
    if (!id_arg(ctx, &cmd_reopen_entry, a->pos[0], id))
        return;
    const char *args[] = { id };
    run_write(ctx, "keyproj_milestone_reopen($1::bigint", 1, args);
}

const struct cmd_entry cmd_reopen_entry = {
    "reopen", "ID",
    "set a done or waived milestone back to pending (clears its completion date or waiver)",
    LEVEL_ADMIN, CMD_NEEDS_DB, 1, 1, NULL, reopen_exec,
};

/* ---- investment report ----------------------------------------------------- */

static void
report_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_report_entry;
    int y, m;
    char month[11], amount[40];
    const char *progress;
    if (!parse_month(a->pos[1], &y, &m)) {
        bad_usage(ctx, e, "month '%s' is not a month (like 2026-10 or 2026年10月)", a->pos[1]);
        return;
    }
    if (!parse_amount(a->pos[2], amount, sizeof amount)) {
        bad_usage(ctx, e, "amount '%s' is not an amount in 万元 (like 1234.5; no sign, up to 4 decimals)",
                  a->pos[2]);
        return;
    }
    if (!optional_text(ctx, e, a, "progress", &progress))
        return;
    snprintf(month, sizeof month, "%04d-%02d-01", y, m);
    const char *args[] = { a->pos[0], month, amount, progress };
    run_write(ctx, "keyproj_report($1::text, $2::date, $3::numeric, $4::text", 4, args);
}

static const struct cmd_opt report_opts[] = { { "progress", true }, { NULL, false } };

const struct cmd_entry cmd_report_entry = {
    "report", "CODE MONTH AMOUNT [--progress TEXT]",
    "record a project's investment for a month in 万元 (月报); year-to-date follows, later months too",
    LEVEL_ADMIN, CMD_NEEDS_DB, 3, 3, report_opts, report_exec,
};

/* ---- project start and completion ------------------------------------------ */

static void
project_date_exec(struct cmd_ctx *ctx, const struct cmd_args *a, const struct cmd_entry *e, const char *what,
                  const char *call)
{
    char on[11];
    if (!date_arg(ctx, e, what, a->pos[1], on))
        return;
    const char *args[] = { a->pos[0], on };
    run_write(ctx, call, 2, args);
}

static void
start_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    project_date_exec(ctx, a, &cmd_start_entry, "start date", "keyproj_project_start($1::text, $2::date");
}

static void
complete_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    project_date_exec(ctx, a, &cmd_complete_entry, "completion date",
                      "keyproj_project_complete($1::text, $2::date");
}

const struct cmd_entry cmd_start_entry = {
    "start", "CODE DATE",
    "record that a project started construction (开工) on DATE; its status becomes building",
    LEVEL_ADMIN, CMD_NEEDS_DB, 2, 2, NULL, start_exec,
};

const struct cmd_entry cmd_complete_entry = {
    "complete", "CODE DATE",
    "record that a started project was completed (竣工) on DATE; its status becomes completed",
    LEVEL_ADMIN, CMD_NEEDS_DB, 2, 2, NULL, complete_exec,
};
