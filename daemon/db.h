/* db: one asynchronous libpq connection on the event loop. Queries are
 * queued and sent one at a time; the connection is (re)made with backoff
 * and never blocks the loop. It knows nothing of what the queries mean. */
#ifndef KEYPROJ_DB_H
#define KEYPROJ_DB_H

#include <stdbool.h>
#include <event2/event.h>
#include <libpq-fe.h>

struct db;
struct db_query;

enum db_state { DB_DOWN, DB_CONNECTING, DB_UP };

/* Called once per query. On success err is NULL and res is the statement's
 * result (the last one for a multi-statement text); on failure res may be
 * NULL (connection lost) and err says why. res is owned by db: copy what
 * you keep. Not called for a cancelled query. */
typedef void (*db_result_fn)(void *arg, const PGresult *res, const char *err);

/* Inside the callback of a query that failed: whether PostgreSQL gave it
 * up as one side of a conflict with another transaction (SQLSTATE 40P01,
 * deadlock detected; 40001, serialization failure), so that sending the
 * same statement again may well succeed. Read by SQLSTATE, never by the
 * message, which the server may say in another language. */
bool db_error_is_conflict(const struct db *db);
/* Told each time the connection comes up or goes down. */
typedef void (*db_state_fn)(void *arg, enum db_state state);
/* Told of each NOTIFY on a channel this connection LISTENs to. */
typedef void (*db_notify_fn)(void *arg, const char *channel, const char *payload);

/* name tells this connection's log lines apart ("main", "deliver"). */
struct db *db_new(struct event_base *base, const char *name, const char *conninfo, int reconnect_max,
                  db_state_fn on_state, db_notify_fn on_notify, void *arg);
void db_free(struct db *db);
/* Starts connecting now (and keeps retrying with backoff). */
void db_start(struct db *db);
/* Takes a new conninfo; reconnects only when it differs. */
void db_reconfigure(struct db *db, const char *conninfo, int reconnect_max);
enum db_state db_state(const struct db *db);
/* The last connection error, for status ("" when none). */
const char *db_last_error(const struct db *db);

/* Queues a parameterised statement (values copied; NULL value = SQL NULL).
 * Fails at once (callback with err) when the connection is down. Returns a
 * handle valid until the callback runs, for db_cancel. */
struct db_query *db_query(struct db *db, const char *sql, int nparams,
                          const char *const *values, db_result_fn fn, void *arg);
/* As db_query, but takes the values (malloc'd; each freed with the query,
 * and set to NULL in values) instead of copying them: a scan batch's
 * parameters are megabytes. formats[i] 1: values[i] is binary, of
 * lengths[i] bytes (PostgreSQL's binary format of the parameter's type);
 * 0: text, lengths[i] ignored. */
struct db_query *db_query_taken(struct db *db, const char *sql, int nparams, char **values,
                                const int *lengths, const int *formats, db_result_fn fn, void *arg);
/* Queues a text of several statements without parameters (migrations). */
struct db_query *db_exec_script(struct db *db, const char *sql, db_result_fn fn, void *arg);
/* Queues a COPY … FROM STDIN (sql, text format) with its data, which db
 * takes (freed once sent, or with the query); the data is streamed as the
 * socket takes it. The callback gets the COPY's own result. */
struct db_query *db_copy_in(struct db *db, const char *sql, char *data, size_t len,
                            db_result_fn fn, void *arg);
/* Forgets the callback of a queued or running query (its owner is gone);
 * the query itself still completes. */
void db_cancel(struct db_query *q);

/* True for an SQLSTATE that says the server is no longer of use or the
 * connection is broken: 57P01/57P02/57P03 (shutting down, crashed, cannot
 * connect now), class 08, and 25006 (read-only transaction) when want_rw
 * (the conninfo asks for target_session_attrs=read-write: a writable
 * server may be found elsewhere). db drops such a connection and
 * reconnects; libpq then walks the conninfo's hosts to the primary. */
bool db_sqlstate_unusable(const char *sqlstate, bool want_rw);

#endif
