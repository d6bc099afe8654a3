/* cmd_clock: the alert engine's admin commands. `scan` runs a scan now and
 * answers when it has finished, with what it did. `clock set TIME` moves
 * the daemon's clock so tests can walk through dates without sleeping; it
 * is refused unless keyprojd was started in test mode (--now), so that a
 * production clock can never be moved. */
#include "ac_config.h"

#include <stdlib.h>

#include "clock.h"
#include "cmd.h"
#include "daemon.h"
#include "deliver.h"
#include "log.h"
#include "scan.h"
#include "util.h"

static void
on_scanned(void *arg, const struct scan_stats *st)
{
    struct cmd_ctx *ctx = arg;
    if (st->error[0])
        cmd_error(ctx, "internal", scan_stats_json(st), "the scan failed: %s", st->error);
    else
        cmd_reply(ctx, scan_stats_json(st));
}

static void
scan_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    if (!scan_request(ctx->d->scan, on_scanned, ctx))
        cmd_error(ctx, "unavailable", NULL,
                  ctx->d->db_ready ? "this keyprojd is a standby: another instance is the leader and scans"
                                   : "this keyprojd may not scan now (the database is not ready)");
}

const struct cmd_entry cmd_scan_entry = {
    .name = "scan",
    .usage = "",
    .summary = "run the alert engine now; answers when done, with rows examined, alerts and deliveries created",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .exec = scan_exec,
};

static void
clock_set_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct daemon *d = ctx->d;
    if (!d->test_clock) {
        cmd_error(ctx, "denied", NULL,
                  "the clock can be moved only in test mode (keyprojd started with --now); "
                  "this keyprojd follows the system clock");
        return;
    }
    struct kclock c = d->clock;
    if (!clock_set(&c, a->pos[0])) {
        cmd_error(ctx, "usage", NULL, "cannot read the time '%s' (expected 2026-11-25T09:00:00+08:00, "
                  "2026-11-25 09:00 or 2026-11-25)", a->pos[0]);
        return;
    }
    d->clock = c;
    double now = clock_now(&d->clock);
    char iso[32], today[11];
    struct ymd t;
    clock_format(now, iso);
    clock_date_of(now, &t);
    format_date(&t, today);
    log_info("clock moved", "now=%s user=%s", iso, log_q(ctx->user));
    scan_clock_changed(d->scan);
    if (d->deliver)
        deliver_kick(d->deliver);       /* held messages may be due now */
    cmd_reply(ctx, json_pack("{s:s, s:s}", "now", iso, "today", today));
}

static const struct cmd_entry clock_subs[] = {
    { .name = "set", .usage = "TIME", .level = LEVEL_ADMIN, .min_pos = 1, .max_pos = 1, .exec = clock_set_exec },
    { .name = NULL },
};

const struct cmd_entry cmd_clock_entry = {
    .name = "clock",
    .summary = "move the daemon's clock (test mode only: keyprojd --now) and scan",
    .level = LEVEL_ADMIN,
    .subs = clock_subs,
};
