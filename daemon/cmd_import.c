/* cmd_import: `import projects|milestones|reports|plans` with the file as
 * the request body. Validation happens here in full before the database
 * sees anything; the merge is one SQL call, so one import is one
 * transaction and a bad file changes nothing. */
#include "ac_config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "cmd.h"
#include "daemon.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "util.h"

struct import_job {
    struct cmd_ctx *ctx;
    struct import_result res;
    enum import_kind kind;
    bool dry_run;
};

static void
job_free(struct import_job *job)
{
    import_result_free(&job->res);
    free(job);
    /* A big file leaves the heap full of freed JSON nodes; give the pages
     * back so an idle daemon stays small. */
    malloc_trim(0);
}

static void
reply_errors(struct cmd_ctx *ctx, struct import_result *res)
{
    size_t n = res->nerrors;
    json_t *details = json_incref(res->errors);
    if (n > IMPORT_MAX_ERRORS)
        cmd_error(ctx, "invalid", details, "%zu errors (the first %d listed); nothing was imported", n,
                  IMPORT_MAX_ERRORS);
    else
        cmd_error(ctx, "invalid", details, "%zu error%s; nothing was imported", n, n == 1 ? "" : "s");
}

static void
on_merged(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    struct cmd_ctx *ctx = job->ctx;
    if (err) {
        cmd_error(ctx, "internal", NULL, "import failed, nothing was imported: %s", err);
        job_free(job);
        return;
    }
    json_error_t jerr;
    json_t *out = json_loads(PQgetvalue(pg, 0, 0), 0, &jerr);
    json_t *errors = json_object_get(out, "errors");
    if (out == NULL || !json_is_object(out)) {
        cmd_error(ctx, "internal", NULL, "import returned an unreadable result");
    } else if (json_array_size(errors) > 0) {
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e) {
            import_add_error(&job->res, (long)json_integer_value(json_object_get(e, "line")),
                             json_string_value(json_object_get(e, "column")),
                             json_string_value(json_object_get(e, "message")));
        }
        reply_errors(ctx, &job->res);
    } else {
        json_object_del(out, "errors");
        json_object_set_new(out, "dry_run", json_boolean(job->dry_run));
        json_object_set_new(out, "encoding", json_string(text_encoding_name(job->res.encoding)));
        if (json_array_size(job->res.ignored) > 0)
            json_object_set(out, "ignored_columns", job->res.ignored);
        log_info("import done", "req=%lu user=%s kind=%s dry_run=%d rows=%zu", ctx->request_id,
                 log_q(ctx->user), import_kind_name(job->kind), job->dry_run,
                 json_array_size(job->res.rows));
        cmd_reply(ctx, json_incref(out));
    }
    json_decref(out);
    job_free(job);
}

static void
import_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    enum import_kind kind;
    if (!import_kind_parse(a->pos[0], &kind)) {
        cmd_error(ctx, "usage", NULL, "unknown import kind '%s' (expected %s)", a->pos[0], import_kinds_expected());
        return;
    }
    if (ctx->body == NULL) {
        cmd_error(ctx, "usage", NULL, "import needs the file as a body: send --bytes N and the bytes "
                                      "(keyprojctl import %s FILE does this)", a->pos[0]);
        return;
    }
    enum text_encoding enc = ENC_AUTO;
    const char *e = cmd_opt(a, "encoding");
    if (e && !text_encoding_parse(e, &enc)) {
        cmd_error(ctx, "usage", NULL, "unknown encoding '%s' (expected auto, utf-8 or gb18030)", e);
        return;
    }
    struct import_job *job = xcalloc(1, sizeof *job);
    job->ctx = ctx;
    job->kind = kind;
    job->dry_run = cmd_flag(a, "dry-run");
    import_parse(kind, ctx->body, ctx->body_len, enc, &job->res);
    if (job->res.fatal) {
        cmd_error(ctx, "invalid", NULL, "%s; nothing was imported", job->res.fatal);
        job_free(job);
        return;
    }
    if (job->res.nerrors > 0) {
        reply_errors(ctx, &job->res);
        job_free(job);
        return;
    }
    char *rows = json_dumps(job->res.rows, JSON_COMPACT);
    char req[24];
    snprintf(req, sizeof req, "%lu", ctx->request_id);
    const char *params[] = { import_kind_name(kind), rows, ctx->user, job->dry_run ? "true" : "false", req };
    /* keyproj_import_req sets keyproj.request_id for the audit rows, then
     * imports: one statement, one transaction. */
    db_query(ctx->d->db, "SELECT keyproj_import_req($1, $2::jsonb, $3, $4::boolean, $5)::text", 5, params,
             on_merged, job);
    free(rows);
}

static const struct cmd_opt import_opts[] = {
    { "dry-run", false },
    { "encoding", true },
    { NULL, false },
};

const struct cmd_entry cmd_import_entry = {
    "import", "projects|milestones|reports|plans FILE|- [--dry-run] [--encoding auto|utf-8|gb18030]",
    "load a spreadsheet (CSV); all rows or none, re-importing changes nothing",
    LEVEL_ADMIN, CMD_NEEDS_DB | CMD_BODY, 1, 1, import_opts, import_exec,
};
