/* cmd_import: `import projects|milestones|reports|plans|approvals|problems` with the file as
 * the request body (CSV text, or an .xlsx workbook: import.c tells). Validation happens here in full before the database
 * sees anything; then, in one transaction on a connection of the import's
 * own (sql/functions/import.sql):
 *
 *   BEGIN; SELECT keyproj_import_open(…)      -- the staging table
 *   COPY pg_temp.kp_src (…) FROM STDIN          -- the rows, streamed
 *   SELECT keyproj_import_staged(…)             -- checked, classified, written
 *   COMMIT                                      -- only when nothing was refused
 *
 * so one import is one transaction and a bad file changes nothing. The
 * rows go as COPY text about the file's own size, streamed a chunk at a
 * time (db_copy_in); the connection is closed when the import ends, so
 * whatever libpq allocated for it goes too, and the main connection's
 * queue (scans, other commands) does not wait for a long import. */
#include "ac_config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <event2/event.h>

#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "util.h"

struct import_job {
    struct import_job *next;        /* the imports running (shutdown ends them) */
    struct cmd_ctx *ctx;
    struct import_result res;
    enum import_kind kind;
    bool dry_run;
    size_t nrows;
    char *copy;                     /* the rows as COPY text, until handed to db */
    size_t copy_len;
    struct db *db;                  /* the import's own connection */
    bool sent, answered, closing;
    json_t *out;                    /* the import's result, until committed */
    struct event *end_ev;           /* frees the job outside db's callbacks */
};

static struct import_job *running;

static void
job_free(struct import_job *job)
{
    for (struct import_job **p = &running; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            break;
        }
    if (!job->closing)
        db_free(job->db);
    if (job->end_ev)
        event_free(job->end_ev);
    free(job->copy);
    json_decref(job->out);
    import_result_free(&job->res);
    free(job);
    /* A big file leaves the heap full of freed JSON nodes; give the pages
     * back so an idle daemon stays small. */
    malloc_trim(0);
}

static void
on_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_free(arg);
}

/* The answer is given: free the job and its connection from the loop (not
 * from inside the connection's own callback), or at once when the
 * connection is being freed already. */
static void
job_end(struct import_job *job)
{
    if (job->closing || job->end_ev == NULL) {
        job_free(job);
        return;
    }
    event_active(job->end_ev, EV_TIMEOUT, 0);
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
reply_done(struct import_job *job, json_t *out)
{
    struct cmd_ctx *ctx = job->ctx;
    json_object_del(out, "errors");
    json_object_set_new(out, "dry_run", json_boolean(job->dry_run));
    json_object_set_new(out, "encoding", json_string(text_encoding_name(job->res.encoding)));
    if (json_array_size(job->res.ignored) > 0)
        json_object_set(out, "ignored_columns", job->res.ignored);
    json_object_set_new(out, "section_rows_skipped", json_integer((json_int_t)job->res.section_rows));
    if (job->res.sheet) {           /* a workbook: which sheet, and the hidden rows left out */
        json_object_set_new(out, "format", json_string("xlsx"));
        json_object_set_new(out, "sheet", json_string(job->res.sheet));
        json_object_set_new(out, "hidden_rows_skipped", json_integer((json_int_t)job->res.hidden_rows));
    }
    log_info("import done", "req=%lu user=%s kind=%s dry_run=%d rows=%zu", ctx->request_id,
             log_q(ctx->user), import_kind_name(job->kind), job->dry_run, job->nrows);
    cmd_reply(ctx, json_incref(out));
}

/* A step failed before COMMIT was sent: the transaction is not committed
 * and ends with the connection. */
static void
fail(struct import_job *job, const char *err)
{
    job->answered = true;
    if (job->closing)
        cmd_error(job->ctx, "unavailable", NULL, "keyprojd is stopping; nothing was imported");
    else
        cmd_error(job->ctx, "internal", NULL, "import failed, nothing was imported: %s", err);
    job_end(job);
}

static void
on_analyzed(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    (void)pg;
    if (err)
        log_warn("import: ANALYZE after it failed", "req=%lu error=%s", job->ctx->request_id, log_q(err));
    job->answered = true;
    reply_done(job, job->out);
    job_end(job);
}

/* The planner's statistics of the tables the import wrote, at once rather
 * than when autovacuum next looks (a minute or more): until then the
 * dashboard's and stats' counts are planned blind, the 总览 on a fresh demo
 * ledger 4-7 times slower. After the COMMIT, on the import's own
 * connection, bounded (keyproj_import_analyze, sql/functions/import.sql,
 * says which tables and why never an empty one). Answered after it, so
 * that the next command is planned on them; a failure only loses that. */
static void
analyze_written(struct import_job *job)
{
    json_int_t n = json_integer_value(json_object_get(job->out, "inserted")) +
                   json_integer_value(json_object_get(job->out, "updated"));
    if (n == 0) {
        on_analyzed(job, NULL, NULL);
        return;
    }
    const char *params[] = { import_kind_name(job->kind) };
    db_exec_script(job->db, "SET statement_timeout = '60s'", NULL, NULL);
    db_query(job->db, "SELECT keyproj_import_analyze($1)", 1, params, on_analyzed, job);
}

static void
on_committed(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    (void)pg;
    if (!err) {
        analyze_written(job);
        return;
    }
    job->answered = true;
    /* A COMMIT that failed with an answer rolled back; one whose
     * connection went away may have committed or not. */
    if (!job->closing && db_state(job->db) == DB_UP)
        cmd_error(job->ctx, "internal", NULL, "import failed, nothing was imported: %s", err);
    else
        cmd_error(job->ctx, "unavailable", NULL,
                  "the database connection was lost while the import committed (%s): whether it was "
                  "applied is unknown; run the import again (an import already applied changes nothing)",
                  err);
    job_end(job);
}

static void
on_staged(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    if (err) {
        fail(job, err);
        return;
    }
    json_error_t jerr;
    json_t *out = json_loads(PQgetvalue(pg, 0, 0), 0, &jerr);
    json_t *errors = json_object_get(out, "errors");
    if (out == NULL || !json_is_object(out)) {
        json_decref(out);
        fail(job, "the import returned an unreadable result");
        return;
    }
    if (json_array_size(errors) > 0) {
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e) {
            import_add_error(&job->res, (long)json_integer_value(json_object_get(e, "line")),
                             json_string_value(json_object_get(e, "column")),
                             json_string_value(json_object_get(e, "message")));
        }
        json_decref(out);
        job->answered = true;
        reply_errors(job->ctx, &job->res);
        job_end(job);
        return;
    }
    if (job->dry_run) {             /* nothing to commit: the connection's end rolls back */
        job->answered = true;
        reply_done(job, out);
        json_decref(out);
        job_end(job);
        return;
    }
    job->out = out;
    db_exec_script(job->db, "COMMIT", on_committed, job);
}

static void
on_copied(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    (void)pg;
    if (err) {
        fail(job, err);
        return;
    }
    char req[24];
    snprintf(req, sizeof req, "%lu", job->ctx->request_id);
    /* the completing kinds: a 通车 node imported as done completes its
     * project; import.new_units: whether a unit near no known one is created */
    const struct config *cfg = job->ctx->d->cfg;
    const char *params[] = { import_kind_name(job->kind), job->ctx->user, job->dry_run ? "true" : "false", req,
                             cfg->completing_kinds_pg, cfg->import_refuse_new_units ? "refuse" : "create" };
    db_query(job->db, "SELECT keyproj_import_staged($1, $2, $3::boolean, $4, $5::text[], $6)::text", 6, params,
             on_staged, job);
}

static void
on_opened(void *arg, const PGresult *pg, const char *err)
{
    struct import_job *job = arg;
    if (err) {
        fail(job, err);
        return;
    }
    char *sql = xasprintf("COPY pg_temp.kp_src (%s) FROM STDIN", PQgetvalue(pg, 0, 0));
    db_copy_in(job->db, sql, job->copy, job->copy_len, on_copied, job);
    job->copy = NULL;               /* db's now */
    free(sql);
}

/* The import's connection came up (start the transaction) or could not
 * be made. */
static void
on_import_db(void *arg, enum db_state state)
{
    struct import_job *job = arg;
    if (job->sent || job->answered || job->closing)
        return;                     /* a loss after sending: the step's callback hears of it */
    if (state == DB_UP) {
        /* The kind's columns as a text[] literal: plain ASCII names. */
        struct buf cols;
        buf_init(&cols);
        for (size_t i = 0; import_column(job->kind, i); i++)
            buf_printf(&cols, "%s%s", i ? "," : "{", import_column(job->kind, i));
        buf_putc(&cols, '}');
        const char *params[] = { import_kind_name(job->kind), cols.data };
        db_exec_script(job->db, "BEGIN", NULL, NULL);
        db_query(job->db, "SELECT keyproj_import_open($1, $2::text[])", 2, params, on_opened, job);
        buf_free(&cols);
        job->sent = true;
    } else if (state == DB_DOWN) {
        cmd_error(job->ctx, "unavailable", NULL, "the database is not available: %s; nothing was imported",
                  db_last_error(job->db));
        job->answered = true;
        job_end(job);
    }
}

void
cmd_import_stop(void)
{
    while (running != NULL) {
        struct import_job *job = running;
        running = job->next;
        job->next = NULL;
        job->closing = true;
        struct db *db = job->db;
        if (job->sent && !job->answered) {
            db_free(db);            /* the step's callback hears "daemon stopping" and frees the job */
        } else {
            db_free(db);
            if (!job->answered)
                cmd_error(job->ctx, "unavailable", NULL, "keyprojd is stopping; nothing was imported");
            job_free(job);
        }
    }
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
    if (ctx->d->stopping) {
        cmd_error(ctx, "unavailable", NULL, "keyprojd is stopping; nothing was imported");
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
    char *body = ctx->body;         /* the parser's now: freed once converted */
    ctx->body = NULL;
    char today[11];
    cmd_today(ctx, today);
    const struct import_rules rules = { ctx->d->cfg->import_code_re, ctx->d->cfg->import_code_pattern, today };
    import_parse_copy_sheet(kind, body, ctx->body_len, enc, cmd_opt(a, "sheet"), &rules, &job->res);
    ctx->body_len = 0;
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
    job->nrows = job->res.nrows;
    job->copy = job->res.copy;
    job->copy_len = job->res.copy_len;
    job->res.copy = NULL;
    malloc_trim(0);
    const struct config *cfg = ctx->d->cfg;
    job->end_ev = event_new(ctx->d->base, -1, 0, on_end, job);
    job->db = db_new(ctx->d->base, "import", cfg->db_conninfo, cfg->db_reconnect_max, on_import_db, NULL, job);
    job->next = running;
    running = job;
    db_start(job->db);
}

static const struct cmd_opt import_opts[] = {
    { "dry-run", false },
    { "encoding", true },
    { "sheet", true },
    { NULL, false },
};

const struct cmd_entry cmd_import_entry = {
    .name = "import",
    .usage = "projects|milestones|reports|plans|approvals|problems FILE|- [--dry-run] "
        "[--encoding auto|utf-8|gb18030] [--sheet NAME]",
    .summary = "load a spreadsheet (CSV, or an Excel .xlsx: its first visible sheet or --sheet NAME); "
        "all rows or none, re-importing changes nothing",
    .level = LEVEL_ADMIN,
    .flags = CMD_NEEDS_DB | CMD_BODY,
    .min_pos = 1,
    .max_pos = 1,
    .opts = import_opts,
    .exec = import_exec,
};
