/* migrate: brings the database schema to the version this keyprojd was
 * built with, one numbered migration per transaction, recorded in
 * schema_version; then applies the functions again, in one transaction,
 * when their text differs from what the database last got (its digest is
 * in schema_functions). Forward only; refuses a schema newer than it knows. */
#ifndef KEYPROJ_MIGRATE_H
#define KEYPROJ_MIGRATE_H

#include <stddef.h>

struct db;

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const size_t n_migrations;

/* The files of sql/functions/ in name order (version 0), and the md5 of their
 * names and texts. */
extern const struct migration schema_functions[];
extern const size_t n_schema_functions;
extern const char schema_functions_md5[];

/* The schema version this build brings the database to. */
int migrate_latest(void);

/* Called once: version is the schema version now in the database (-1 when
 * unknown); err is NULL on success. */
typedef void (*migrate_done_fn)(void *arg, int version, const char *err);

/* Runs asynchronously on db (which must be up). Several daemons may run it
 * at once: an advisory lock makes them take turns. */
void migrate_run(struct db *db, migrate_done_fn done, void *arg);

#endif
