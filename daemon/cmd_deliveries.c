/* cmd_deliveries: the outbox seen from the control socket — `deliveries`
 * lists it (what is pending, delivered, dead or silenced, and why), and
 * `retry` puts dead letters back (one, or a receiver's since a time),
 * audited in the same statement. Never sends anything itself: the
 * outbox worker (deliver.c) is kicked and does. */
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
#include "deliver.h"
#include "util.h"

#define LIST_DEFAULT 100
#define LIST_MAX 10000

extern const struct cmd_entry cmd_deliveries_entry, cmd_retry_entry;

static bool
receiver_known(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (strcmp(cfg->receivers[i].name, name) == 0)
            return true;
    return false;
}

/* ---- deliveries ------------------------------------------------------------ */

static void
deliveries_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_deliveries_entry;
    const char *status = cmd_opt(a, "status"), *receiver = cmd_opt(a, "receiver"), *since;
    if (status && strcmp(status, "pending") && strcmp(status, "delivered") && strcmp(status, "dead") &&
        strcmp(status, "silenced")) {
        cmd_usage_for(ctx, e, "--status: unknown status '%s' (expected pending, delivered, dead or silenced)", status);
        return;
    }
    char since_s[32], limit[16];
    const struct cmd_call c = { .ctx = ctx, .e = e, .a = a };
    if (!cmd_since_opt(&c, since_s, &since) || !cmd_limit_opt(&c, LIST_DEFAULT, LIST_MAX, limit))
        return;
    const char *params[] = { ctx->d->cfg->timezone, status, receiver, since, limit };
    /* Newest first. "next" only means something for pending rows, "done"
     * is when a row stopped moving (delivered, dead or silenced). */
    db_query(ctx->d->db,
             "SELECT d.id, d.alert_id AS alert, a.kind, coalesce(p.code, a.payload #>> '{project,code}') AS project,"
             " d.receiver, d.status, d.attempts,"
             " keyproj_local(d.created_at, $1) AS created,"
             " CASE WHEN d.status = 'pending' THEN keyproj_local(d.next_attempt_at, $1) END AS next,"
             " keyproj_local(coalesce(d.delivered_at, d.silenced_at), $1) AS done,"
             " d.last_http_status AS http, d.silence_id AS silence, d.last_error AS error"
             " FROM delivery d JOIN alert a ON a.id = d.alert_id LEFT JOIN project p ON p.id = a.project_id"
             " WHERE ($2::text IS NULL OR d.status = $2) AND ($3::text IS NULL OR d.receiver = $3)"
             " AND ($4::float8 IS NULL OR d.created_at >= to_timestamp($4::float8))"
             " ORDER BY d.id DESC LIMIT $5::int",
             5, params, cmd_on_rows, ctx);
}

static const struct cmd_opt deliveries_opts[] = {
    { "status", true }, { "receiver", true }, { "since", true }, { "limit", true }, { NULL, false },
};

const struct cmd_entry cmd_deliveries_entry = {
    .name = "deliveries",
    .usage = "[--status pending|delivered|dead|silenced] [--receiver R] [--since T] [--limit N]",
    .summary = "the outbox, newest first (default 100 rows): each delivery's receiver, status, attempts, last answer",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = deliveries_opts,
    .exec = deliveries_exec,
};

/* ---- retry --------------------------------------------------------------------- */

struct retry_job {
    struct cmd_ctx *ctx;
    struct daemon *d;
};

static void
on_retried(void *arg, const PGresult *res, const char *err)
{
    struct retry_job *job = arg;
    struct cmd_ctx *ctx = job->ctx;
    struct daemon *d = job->d;
    free(job);
    if (err) {
        cmd_error(ctx, "internal", NULL, "the retry failed, nothing was changed: %s", err);
        return;
    }
    json_t *out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *data = json_object_get(out, "data");
    const char *code = json_string_value(json_object_get(out, "code"));
    const char *message = json_string_value(json_object_get(out, "message"));
    if (json_is_true(json_object_get(out, "ok")) && data) {
        cmd_reply(ctx, json_incref(data));
        deliver_kick(d->deliver);       /* they are due now */
    } else if (code && message) {
        cmd_error(ctx, code, NULL, "%s", message);
    } else {
        cmd_error(ctx, "internal", NULL, "the database answered something unreadable");
    }
    json_decref(out);
}

static void
retry_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    const struct cmd_entry *e = &cmd_retry_entry;
    const struct config *cfg = ctx->d->cfg;
    const char *receiver = cmd_opt(a, "receiver"), *since;
    char since_s[32], id[24] = "";
    const struct cmd_call c = { .ctx = ctx, .e = e, .a = a };
    if (a->npos == 1) {
        if (a->nopt > 0) {
            cmd_usage_for(ctx, e, "give either a delivery ID or --dead/--receiver/--since, not both");
            return;
        }
        if (!cmd_id_arg(&c, "delivery ID", "deliveries", a->pos[0], id))
            return;
    } else if (a->nopt == 0) {
        cmd_usage_for(ctx, e, "say which deliveries: an ID, or --dead (every dead letter), --receiver R, --since T");
        return;
    }
    if (!cmd_since_opt(&c, since_s, &since))
        return;
    if (receiver && !receiver_known(cfg, receiver)) {
        cmd_error(ctx, "not_found", NULL, "no receiver '%s' in the configuration", receiver);
        return;
    }
    struct buf names;
    buf_init(&names);
    buf_putc(&names, '{');
    for (size_t i = 0; i < cfg->n_receivers; i++)   /* names are [A-Za-z0-9._-]: no quoting needed */
        buf_printf(&names, "%s\"%s\"", i ? "," : "", cfg->receivers[i].name);
    buf_putc(&names, '}');
    char n[32], req[24];
    snprintf(n, sizeof n, "%.3f", clock_now(&ctx->d->clock));
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    const char *params[] = { id[0] ? id : NULL, receiver, since, names.data, n, cfg->timezone, ctx->user, req };
    struct retry_job *job = xcalloc(1, sizeof *job);
    job->ctx = ctx;
    job->d = ctx->d;
    db_query(ctx->d->db,
             "SELECT keyproj_delivery_retry($1::bigint, $2, to_timestamp($3::float8), $4::text[],"
             " to_timestamp($5::float8), $6, $7, $8)::text",
             8, params, on_retried, job);
    buf_free(&names);
}

static const struct cmd_opt retry_opts[] = {
    { "dead", false }, { "receiver", true }, { "since", true }, { NULL, false },
};

const struct cmd_entry cmd_retry_entry = {
    .name = "retry",
    .usage = "ID | --dead [--receiver R] [--since T]",
    .summary = "send a dead (or silenced) delivery again now, or every dead one of a receiver and/or since a time; "
        "attempts are kept",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB,
    .max_pos = 1,
    .opts = retry_opts,
    .exec = retry_exec,
};
