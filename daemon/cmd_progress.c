/* cmd_progress: the administrators' writes (done, waive, reschedule, reopen,
 * report, start, complete, archive, readmit). Each is ONE call of a sql/functions/progress.sql
 * function, so the change and its audit row commit together; this file checks
 * the arguments' shape only and never decides whether a change is allowed. */
#include "ac_config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_util.h"
#include "config.h"
#include "daemon.h"
#include "values.h"

extern const struct cmd_entry cmd_done_entry, cmd_waive_entry, cmd_reschedule_entry, cmd_reopen_entry,
    cmd_report_entry, cmd_start_entry, cmd_complete_entry, cmd_archive_entry, cmd_readmit_entry;

/* A milestone id as `milestones` shows it. */
static bool
id_arg(const struct cmd_call *c, char out[24])
{
    return cmd_id_arg(c, "milestone ID", "milestones", c->a->pos[0], out);
}

/* ---- milestones ------------------------------------------------------------ */

static void
done_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_done_entry, .a = a };
    char id[24], on[11];
    const char *note;
    /* done today by default, as the daemon's clock sees the day */
    if (!id_arg(&c, id) || !cmd_optional_text(&c, "note", &note) || !cmd_date_opt_or_today(&c, "date", on))
        return;
    /* the configured completing kinds: a 通车 node done completes its project */
    const char *args[] = { id, on, note, ctx->d->cfg->completing_kinds_pg };
    cmd_run_write(ctx, "keyproj_milestone_done($1::bigint, $2::date, $3::text, $4::text[]", 4, args);
}

static const struct cmd_opt done_opts[] = { { "date", true }, { "note", true }, { NULL, false } };

const struct cmd_entry cmd_done_entry = {
    .name = "done",
    .usage = "ID [--date D] [--note TEXT]",
    .summary = "mark a milestone (节点) done, today or on --date (not in the future, not before its campaign); "
        "a node of a completing kind (alerts.completing_kinds: 竣工验收, 通车, 投产 …) completes its project",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .opts = done_opts,
    .exec = done_exec,
};

static void
waive_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_waive_entry, .a = a };
    char id[24];
    const char *reason;
    if (!id_arg(&c, id) || !cmd_required_text(&c, "reason", "why the milestone no longer applies", &reason))
        return;
    const char *args[] = { id, reason };
    cmd_run_write(ctx, "keyproj_milestone_waive($1::bigint, $2::text", 2, args);
}

static const struct cmd_opt reason_opts[] = { { "reason", true }, { NULL, false } };

const struct cmd_entry cmd_waive_entry = {
    .name = "waive",
    .usage = "ID --reason TEXT",
    .summary = "waive a pending milestone that no longer applies (免除); the reason is kept",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .opts = reason_opts,
    .exec = waive_exec,
};

static void
reschedule_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_reschedule_entry, .a = a };
    char id[24], due[11];
    const char *reason;
    if (!id_arg(&c, id) || !cmd_date_arg(&c, "new due date", a->pos[1], due)
        || !cmd_required_text(&c, "reason", "why the deadline moves", &reason))
        return;
    const char *args[] = { id, due, reason, cmd_flag(a, "move") ? "true" : "false" };
    cmd_run_write(ctx, "keyproj_milestone_reschedule($1::bigint, $2::date, $3::text, $4::boolean", 4, args);
}

static const struct cmd_opt reschedule_opts[] = { { "reason", true }, { "move", false }, { NULL, false } };

const struct cmd_entry cmd_reschedule_entry = {
    .name = "reschedule",
    .usage = "ID DATE --reason TEXT [--move]",
    .summary = "give a pending milestone a new due date inside its campaign; --move takes it to the "
        "two-month campaign holding DATE",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 2,
    .max_pos = 2,
    .opts = reschedule_opts,
    .exec = reschedule_exec,
};

static void
reopen_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_reopen_entry, .a = a };
    char id[24];
    if (!id_arg(&c, id))
        return;
    const char *args[] = { id };
    cmd_run_write(ctx, "keyproj_milestone_reopen($1::bigint", 1, args);
}

const struct cmd_entry cmd_reopen_entry = {
    .name = "reopen",
    .usage = "ID",
    .summary = "set a done or waived milestone back to pending (clears its completion date or waiver)",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .exec = reopen_exec,
};

/* ---- investment report ----------------------------------------------------- */

static void
report_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_report_entry, .a = a };
    int y, m;
    char month[11], amount[40];
    const char *progress;
    if (!parse_month(a->pos[1], &y, &m)) {
        cmd_usage_error(&c, "month '%s' is not a month (like 2026-10 or 2026年10月)", a->pos[1]);
        return;
    }
    if (!parse_amount(a->pos[2], amount, sizeof amount)) {
        cmd_usage_error(&c, "amount '%s' is not an amount in 万元 (like 1234.5; no sign, up to 4 decimals)",
                  a->pos[2]);
        return;
    }
    if (!cmd_optional_text(&c, "progress", &progress))
        return;
    snprintf(month, sizeof month, "%04d-%02d-01", y, m);
    const char *args[] = { a->pos[0], month, amount, progress };
    cmd_run_write(ctx, "keyproj_report($1::text, $2::date, $3::numeric, $4::text", 4, args);
}

static const struct cmd_opt report_opts[] = { { "progress", true }, { NULL, false } };

const struct cmd_entry cmd_report_entry = {
    .name = "report",
    .usage = "CODE MONTH AMOUNT [--progress TEXT]",
    .summary = "record a project's investment for a month in 万元 (月报); year-to-date follows, later months too",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 3,
    .max_pos = 3,
    .opts = report_opts,
    .exec = report_exec,
};

/* ---- project start and completion ------------------------------------------ */

static void
project_date_exec(struct cmd_ctx *ctx, const struct cmd_args *a, const struct cmd_entry *e, const char *what,
                  const char *call)
{
    struct cmd_call c = { .ctx = ctx, .e = e, .a = a };
    char on[11];
    if (!cmd_date_arg(&c, what, a->pos[1], on))
        return;
    const char *args[] = { a->pos[0], on };
    cmd_run_write(ctx, call, 2, args);
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
    .name = "start",
    .usage = "CODE DATE",
    .summary = "record that a project started construction (开工) on DATE; its status becomes building",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 2,
    .max_pos = 2,
    .exec = start_exec,
};

const struct cmd_entry cmd_complete_entry = {
    .name = "complete",
    .usage = "CODE DATE",
    .summary = "record that a started project was completed (竣工) on DATE; its status becomes completed",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 2,
    .max_pos = 2,
    .exec = complete_exec,
};

/* ---- the list: a project off it (调出) and back on it (调入) --------------- */

static void
list_change_exec(struct cmd_ctx *ctx, const struct cmd_args *a, const struct cmd_entry *e, const char *why,
                 const char *call)
{
    struct cmd_call c = { .ctx = ctx, .e = e, .a = a };
    char on[11];
    const char *reason;
    /* today by default, as the daemon's clock sees the day */
    if (!cmd_required_text(&c, "reason", why, &reason) || !cmd_date_opt_or_today(&c, "date", on))
        return;
    const char *args[] = { a->pos[0], on, reason };
    cmd_run_write(ctx, call, 3, args);
}

static void
archive_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    list_change_exec(ctx, a, &cmd_archive_entry, "why the project leaves the list",
                     "keyproj_project_archive($1::text, $2::date, $3::text");
}

static void
readmit_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    list_change_exec(ctx, a, &cmd_readmit_entry, "why the project is back on the list",
                     "keyproj_project_readmit($1::text, $2::date, $3::text");
}

static const struct cmd_opt list_change_opts[] = { { "reason", true }, { "date", true }, { NULL, false } };

const struct cmd_entry cmd_archive_entry = {
    .name = "archive",
    .usage = "CODE --reason TEXT [--date D]",
    .summary = "take a project off the list (调出), today or on --date (not in the future): it keeps its rows "
        "and history but leaves projects, stats, rank, status and digests, raises no new alerts, and its "
        "unsent deliveries become dead",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .opts = list_change_opts,
    .exec = archive_exec,
};

const struct cmd_entry cmd_readmit_entry = {
    .name = "readmit",
    .usage = "CODE --reason TEXT [--date D]",
    .summary = "put an archived project back on the list (调入 again), today or on --date; the archive stays "
        "in the audit log",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .min_pos = 1,
    .max_pos = 1,
    .opts = list_change_opts,
    .exec = readmit_exec,
};
