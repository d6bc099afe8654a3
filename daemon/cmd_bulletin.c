/* cmd_bulletin: `bulletin [--week 2026-W49|DATE]` — the weekly bulletin
 * (项目例会周报) as an Excel workbook, answered as export --xlsx answers:
 * {"file_base64": …}, which keyprojctl writes to a file, never to a
 * terminal. The week defaults to today's (the daemon's clock); the figures
 * are today's whatever the week (bulletin.c). Read-only. */
#include "ac_config.h"

#include <stdlib.h>

#include "bulletin.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "export_xlsx.h"
#include "util.h"

extern const struct cmd_entry cmd_bulletin_entry;

static void
on_bulletin(void *arg, const struct buf *xlsx, const char *err)
{
    struct cmd_ctx *ctx = arg;
    if (xlsx)
        cmd_reply(ctx, export_file_answer_new(xlsx));
    else
        cmd_error(ctx, "internal", NULL, "the bulletin could not be made: %s", err);
}

static void
bulletin_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_bulletin_entry, .a = a };
    struct ymd today;
    struct bulletin_week w;
    char err[200];
    clock_today(&ctx->d->clock, &today);
    if (!bulletin_week_parse(cmd_opt(a, "week"), &today, &w, err, sizeof err)) {
        cmd_usage_error(&c, "%s", err);
        return;
    }
    bulletin_make(ctx->d, &w, on_bulletin, ctx);
}

static const struct cmd_opt bulletin_opts[] = { { "week", true }, { NULL, false } };

const struct cmd_entry cmd_bulletin_entry = {
    .name = "bulletin",
    .usage = "[--week 2026-W49|DATE]",
    .summary = "the weekly bulletin (项目例会周报) as an Excel workbook: 总览 (lights by county and sector), 排名, "
        "逾期节点, 问题清单, 督办落实, 本周完成, the figures of stats, rank, overdue, problem list and orders as of "
        "today; keyprojctl bulletin > 周报.xlsx",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = bulletin_opts,
    .exec = bulletin_exec,
};
