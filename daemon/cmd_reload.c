/* cmd_reload: `reload` — re-reads keyprojd.conf as SIGHUP does, and says
 * how it went: a file with an error is reported and the running
 * configuration kept. */
#include "ac_config.h"

#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"

static const char *
level_text(enum log_level l)
{
    return l == LOG_ERROR ? "error" : l == LOG_WARN ? "warn" : l == LOG_INFO ? "info" : "debug";
}

static void
reload_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct daemon *d = ctx->d;
    log_info("reload requested", "req=%lu user=%s", ctx->request_id, log_q(ctx->user));
    notify_send("RELOADING=1");
    char *err = d->reload(d);
    notify_send("READY=1");
    if (err) {
        cmd_error(ctx, "invalid", NULL, "%s; the running configuration is kept", err);
        free(err);
        return;
    }
    const struct config *cfg = d->cfg;
    cmd_reply(ctx, json_pack("{s:b, s:s, s:s, s:s, s:i}", "reloaded", 1, "config", cfg->path,
                             "timezone", cfg->timezone, "log_level", level_text(cfg->log_level),
                             "receivers", (int)cfg->n_receivers));
}

const struct cmd_entry cmd_reload_entry = {
    .name = "reload",
    .usage = "",
    .summary = "re-read keyprojd.conf now, as SIGHUP does; a file with an error is reported and the running one kept",
    .level = LEVEL_ADMIN,
    .exec = reload_exec,
};
