/* cmd_receiver: `receiver test NAME` sends a test message to one receiver
 * right now, through the same rendering, signing and HTTP path as alerts,
 * and answers with what the receiver said. It never touches the outbox, so
 * it works while the database is down. */
#include "ac_config.h"

#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "deliver.h"
#include "util.h"

static void
on_tested(void *arg, const struct deliver_test_result *r)
{
    struct cmd_ctx *ctx = arg;
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:I}", "receiver", r->receiver, "type", r->type,
                          "verdict", r->verdict, "http_status", (int)r->http_status, "error", r->error,
                          "ms", (json_int_t)r->elapsed_ms);
    if (r->retry_after >= 0)
        json_object_set_new(o, "retry_after", json_integer(r->retry_after));
    if (r->webhook_id)
        json_object_set_new(o, "webhook_id", json_string(r->webhook_id));
    cmd_reply(ctx, o);
}

static void
test_receiver(struct cmd_ctx *ctx, const char *name)
{
    const struct config *cfg = ctx->d->cfg;
    const struct receiver *rv = NULL;
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (strcmp(cfg->receivers[i].name, name) == 0)
            rv = &cfg->receivers[i];
    if (rv == NULL) {
        struct buf names;
        buf_init(&names);
        for (size_t i = 0; i < cfg->n_receivers; i++)
            buf_printf(&names, "%s%s", i ? ", " : "", cfg->receivers[i].name);
        if (cfg->n_receivers)
            cmd_error(ctx, "not_found", NULL, "no receiver '%s' in the configuration (it has: %s)", name,
                      names.data);
        else
            cmd_error(ctx, "not_found", NULL, "no receiver '%s' in the configuration (it has none)", name);
        buf_free(&names);
        return;
    }
    char err[256];
    if (!deliver_test(ctx->d->deliver, rv, ctx->user, on_tested, ctx, err, sizeof err))
        cmd_error(ctx, "internal", NULL, "cannot send a test message to '%s': %s", rv->name, err);
}

static void
test_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    test_receiver(ctx, a->pos[0]);
}

static const struct cmd_entry receiver_subs[] = {
    { .name = "test", .usage = "NAME", .level = LEVEL_ADMIN, .min_pos = 1, .max_pos = 1, .exec = test_exec },
    { .name = NULL },
};

/* The verdict is the answer: "ok", "retry" (the outbox would try again) or
 * "permanent" (the outbox would give up: fix the configuration). */
const struct cmd_entry cmd_receiver_entry = {
    .name = "receiver",
    .summary = "send a test message to a receiver now (not through the outbox) and show its answer: "
        "HTTP status, verdict ok / retry / permanent, error",
    .level = LEVEL_ADMIN,
    .subs = receiver_subs,
};

/* The spelling of the same command. */
const struct cmd_entry cmd_test_entry = {
    .name = "test",
    .usage = "RECEIVER",
    .summary = "the same as 'receiver test RECEIVER': send a test message now and show the receiver's answer",
    .level = LEVEL_ADMIN,
    .min_pos = 1,
    .max_pos = 1,
    .exec = test_exec,
};
