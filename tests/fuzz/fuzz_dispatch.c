/* Fuzz target: a control request through the tokenizer and cmd_dispatch —
 * argument parsing against every entry's spec, levels, usage errors, and
 * the commands that run without the database (help, version, status,
 * clock, reload, receiver), with a daemon whose database is not connected
 * (every other command must answer "unavailable"). The first byte picks the
 * caller's level and whether a body came with the line; the rest is the
 * line. Every request must be answered exactly once, at once, with JSON
 * that serialises. Links keyprojd's objects (libkeyprojd.a) with what
 * control.c would provide stubbed below, and a reload that re-reads
 * nothing. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "tokenize.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct daemon daemon_;
static int answers;

/* control.c's replier, without a socket: checks the answer and frees the request. */
static void
respond(struct cmd_ctx *ctx, json_t *resp)
{
    if (!json_is_object(resp) || !json_is_boolean(json_object_get(resp, "ok")))
        abort();
    char *s = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (s == NULL)
        abort();        /* an answer that cannot be sent */
    free(s);
    json_decref(resp);
    tokens_free(&ctx->tok);
    free(ctx->body);
    free(ctx->user);
    free(ctx);
    answers++;
}

/* The same for an answer whose data is already JSON text. */
static void
respond_text(struct cmd_ctx *ctx, const char *data)
{
    json_error_t jerr;
    json_t *d = json_loads(data, JSON_DECODE_ANY, &jerr);
    if (d == NULL)
        abort();        /* cached text that is not JSON */
    json_t *r = json_object();
    json_object_set_new(r, "ok", json_true());
    json_object_set_new(r, "data", d);
    respond(ctx, r);
}

static const struct cmd_replier replier = { respond, respond_text, true };    /* rows as text, as on the socket */

int
control_clients(const struct control *c)
{
    return 0;
}

/* main.c hands the daemon daemon_reload: here there is nothing to re-read. */
static char *
reload_nothing(struct daemon *d)
{
    return NULL;
}

static void
setup(void)
{
    char err[256];
    log_set_level(LOG_ERROR);
    daemon_.cfg = config_load_string("database = { conninfo = \"dbname=keyproj_fuzz\"; };\n", "fuzz",
                                     err, sizeof err);
    if (daemon_.cfg == NULL) {
        fprintf(stderr, "fuzz_dispatch: %s\n", err);
        abort();
    }
    daemon_.base = event_base_new();
    /* never started: stays down, and status says so */
    daemon_.db = db_new(daemon_.base, "main", daemon_.cfg->db_conninfo, 1, NULL, NULL, &daemon_);
    daemon_.schema_version = -1;
    daemon_.config_path = "fuzz";
    daemon_.commands = cmd_table;
    daemon_.reload = reload_nothing;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (daemon_.cfg == NULL)
        setup();
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    struct tokens t;
    char err[160];
    if (tokenize((const char *)data + 1, size - 1, 64, &t, err, sizeof err) != 0)
        return 0;       /* control.c answers a protocol error itself */
    struct cmd_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->d = &daemon_;
    ctx->out = &replier;
    ctx->tok = t;
    ctx->level = (enum cmd_level)(flags % 3);
    ctx->user = xstrdup("fuzz");
    ctx->request_id = ++daemon_.next_request_id;
    ctx->started = clock_now(NULL);
    ctx->result = "";
    if (flags & 0x80) {
        ctx->body = xstrdup("项目编号,项目名称\n");
        ctx->body_len = strlen(ctx->body);
    }
    answers = 0;
    cmd_dispatch(ctx);
    if (answers != 1)
        abort();        /* unanswered (or answered twice) with the database down */
    return 0;
}
