/* migrate: an asynchronous walk lock → ensure schema_version and
 * schema_functions → read the versions applied → apply each missing
 * migration, in order, in its own transaction → apply sql/functions/ again,
 * in one transaction, when its digest differs from the one stored (or a
 * migration was applied: a trigger's column list may have grown) → unlock.
 * A migration is identified by its number, so one numbered below an applied
 * one (merged later) is still applied once. A database already current is
 * only read. A failed step stops the walk; the daemon stays up and says why. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

/* Any constant shared by all keyprojd builds: it serialises migrations. */
#define MIGRATE_LOCK "7391001"

struct run {
    struct db *db;
    migrate_done_fn done;
    void *arg;
    int version;            /* the highest applied */
    size_t next;
    bool *applied;          /* per migrations[] entry */
    size_t n_applied;       /* migrations applied by this run */
    size_t next_function;   /* the schema_functions[] entry being applied */
};

static void step_apply(struct run *r);
static void step_functions(struct run *r);

int
migrate_latest(void)
{
    return n_migrations ? migrations[n_migrations - 1].version : 0;
}

static void
finish(struct run *r, const char *err)
{
    r->done(r->arg, r->version, err);
    free(r->applied);
    free(r);
}

static void
on_unlocked(void *arg, const PGresult *res, const char *err)
{
    finish(arg, NULL);
}

static void
on_unlocked_after_error(void *arg, const PGresult *res, const char *err)
{
    /* The error was reported by the step that failed; nothing to add. */
}

static void
unlock(struct run *r, db_result_fn fn, void *arg)
{
    db_query(r->db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", 0, NULL, fn, arg);
}

static void
fail(struct run *r, const char *what, const char *err)
{
    char *msg = xasprintf("%s: %s", what, err);
    log_error("schema migration failed", "error=%s", log_q(msg));
    /* ROLLBACK first: a failed migration leaves its transaction aborted. */
    db_exec_script(r->db, "ROLLBACK", NULL, NULL);
    unlock(r, on_unlocked_after_error, NULL);
    finish(r, msg);
    free(msg);
}

static void
on_applied(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    const struct migration *m = &migrations[r->next];
    if (err) {
        char what[128];
        snprintf(what, sizeof what, "migration %s", m->name);
        fail(r, what, err);
        return;
    }
    log_info("schema migration applied", "version=%d name=%s", m->version, m->name);
    if (m->version > r->version)
        r->version = m->version;
    r->applied[r->next] = true;
    r->n_applied++;
    r->next++;
    step_apply(r);
}

static void
step_apply(struct run *r)
{
    while (r->next < n_migrations && r->applied[r->next])
        r->next++;
    if (r->next == n_migrations) {
        step_functions(r);
        return;
    }
    const struct migration *m = &migrations[r->next];
    char *sql = xasprintf("BEGIN;\n%s\n;INSERT INTO schema_version (version, name) VALUES (%d, '%s');\nCOMMIT;",
                          m->sql, m->version, m->name);
    db_exec_script(r->db, sql, on_applied, r);
    free(sql);
}

/* ---- sql/functions/: one transaction, every file, then the digest ---- */

static void
on_functions_done(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        fail(r, "recording the functions' digest", err);
        return;
    }
    log_info("schema functions applied", "files=%zu md5=%s", n_schema_functions, schema_functions_md5);
    unlock(r, on_unlocked, r);
}

static void on_function_applied(void *arg, const PGresult *res, const char *err);

static void
apply_next_function(struct run *r)
{
    if (r->next_function < n_schema_functions) {
        db_exec_script(r->db, schema_functions[r->next_function].sql, on_function_applied, r);
        return;
    }
    char *sql = xasprintf("DELETE FROM schema_functions;"
                          " INSERT INTO schema_functions (md5) VALUES ('%s');"
                          " COMMIT;", schema_functions_md5);
    db_exec_script(r->db, sql, on_functions_done, r);
    free(sql);
}

static void
on_function_applied(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        char what[128];
        snprintf(what, sizeof what, "sql/%s.sql", schema_functions[r->next_function].name);
        fail(r, what, err);
        return;
    }
    r->next_function++;
    apply_next_function(r);
}

static void
on_functions_begun(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        fail(r, "starting the functions' transaction", err);
        return;
    }
    r->next_function = 0;
    apply_next_function(r);
}

static void
on_functions_md5(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        fail(r, "reading schema_functions", err);
        return;
    }
    bool current = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), schema_functions_md5) == 0;
    if (current && r->n_applied == 0) {
        log_info("schema functions current", "md5=%s", schema_functions_md5);
        unlock(r, on_unlocked, r);
        return;
    }
    /* Bodies unchecked as pg_restore does: the files go in name order, and
     * a SQL function may call one defined in a later file. */
    db_exec_script(r->db, "BEGIN; SET LOCAL check_function_bodies = off", on_functions_begun, r);
}

static void
step_functions(struct run *r)
{
    db_query(r->db, "SELECT md5 FROM schema_functions", 0, NULL, on_functions_md5, r);
}

static void
on_version(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        fail(r, "reading schema_version", err);
        return;
    }
    r->version = 0;
    r->applied = xcalloc(n_migrations + 1, sizeof(bool));
    for (int i = 0; i < PQntuples(res); i++) {
        int v = atoi(PQgetvalue(res, i, 0));
        if (v > r->version)
            r->version = v;
        for (size_t m = 0; m < n_migrations; m++)
            if (migrations[m].version == v)
                r->applied[m] = true;
    }
    if (r->version > migrate_latest()) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "database schema version %d is newer than this keyprojd knows (%d): upgrade keyprojd",
                 r->version, migrate_latest());
        log_error("refusing to use the database", "error=%s", log_q(msg));
        unlock(r, on_unlocked_after_error, NULL);
        finish(r, msg);
        return;
    }
    step_apply(r);
}

static void
on_ensured(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        fail(r, "creating schema_version and schema_functions", err);
        return;
    }
    db_query(r->db, "SELECT version FROM schema_version", 0, NULL, on_version, r);
}

static void
on_locked(void *arg, const PGresult *res, const char *err)
{
    struct run *r = arg;
    if (err) {
        r->done(r->arg, -1, err);
        free(r);
        return;
    }
    /* Created only when missing: CREATE TABLE IF NOT EXISTS is refused on
     * a read-only database (default_transaction_read_only, a hot standby)
     * even when the table exists, and an up-to-date schema needs no write. */
    db_exec_script(r->db,
                   "DO $$ BEGIN IF to_regclass('schema_version') IS NULL THEN"
                   " CREATE TABLE schema_version ("
                   " version integer PRIMARY KEY,"
                   " name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now());"
                   " END IF;"
                   " IF to_regclass('schema_functions') IS NULL THEN"
                   " CREATE TABLE schema_functions ("
                   " one boolean PRIMARY KEY DEFAULT true CHECK (one),"
                   " md5 text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now());"
                   " END IF; END $$",
                   on_ensured, r);
}

void
migrate_run(struct db *db, migrate_done_fn done, void *arg)
{
    struct run *r = xcalloc(1, sizeof *r);
    r->db = db;
    r->done = done;
    r->arg = arg;
    r->version = -1;
    db_query(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, NULL, on_locked, r);
}
