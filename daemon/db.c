/* db: libpq's asynchronous API driven by libevent. One statement in flight;
 * the rest wait in a FIFO. A lost connection fails what was queued (callers
 * decide whether to retry) and reconnects with capped exponential backoff.
 * A server that is not (or no longer) the primary — in recovery, shutting
 * down, or read-only when the conninfo asks for read-write — is treated as
 * lost, so that the next attempt (libpq walking a multi-host conninfo,
 * target_session_attrs=primary by default) finds the primary after a
 * failover. Nothing here may block: no PQexec, no PQconnectdb; the conninfo
 * is libpq's to parse, never ours. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "util.h"

struct db_query {
    struct db_query *next;
    char *sql;
    int nparams;
    char **values;
    int *lengths;              /* db_query_taken: each value's length … */
    int *formats;              /* … and format (1: binary); else NULL */
    bool script;
    char *copy;                /* db_copy_in: the data, until sent */
    size_t copy_len, copy_off;
    db_result_fn fn;
    void *arg;
};

struct db {
    struct event_base *base;
    char name[16];
    char *conninfo;
    int reconnect_max;
    db_state_fn on_state;
    db_notify_fn on_notify;
    void *arg;

    PGconn *conn;
    enum db_state state;
    struct event *io;          /* current socket event (connect poll or reads) */
    struct event *flush_ev;    /* write readiness while PQflush has output */
    struct event *retry;       /* reconnect timer */
    struct event *fail_ev;     /* fails queued queries while down, off-stack */
    int backoff;               /* seconds before the next attempt */
    bool started;
    bool checking;             /* connected; asking whether the server is a primary */
    char unusable[256];        /* why the server is no use: drop it ("" while it is) */
    bool want_rw;              /* target_session_attrs=read-write: a read-only primary is no use */

    struct db_query *head, *tail;
    struct db_query *inflight;
    bool copying;              /* the in-flight query is sending COPY data */
    PGresult *result;          /* kept result of the in-flight query */
    char *error;               /* first error of the in-flight query */
    char error_state[6];       /* its SQLSTATE; "" when none (the connection lost) */
    char last_error[256];
};

/* COPY data goes to libpq this much at a time. */
#define DB_COPY_CHUNK (256 * 1024)

static void on_io(evutil_socket_t fd, short what, void *arg);
static void send_next(struct db *db);
static void flush(struct db *db);

static void
query_free(struct db_query *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->values[i]);
    free(q->values);
    free(q->lengths);
    free(q->formats);
    free(q->sql);
    free(q->copy);
    free(q);
}

/* libpq messages end in newlines and may span lines: one line per host or
 * address tried, each followed by indented hints. Keep the former, joined
 * by "; ", so that a multi-host conninfo's status says why each failed. */
static void
set_last_error(struct db *db, const char *msg)
{
    size_t n = 0, cap = sizeof db->last_error;
    const char *line = msg ? msg : "";
    db->last_error[0] = '\0';
    while (*line != '\0' && n + 1 < cap) {
        size_t len = strcspn(line, "\n");
        if (len > 0 && line[0] != '\t' && line[0] != ' ') {
            if (n > 0 && n + 2 < cap) {
                memcpy(db->last_error + n, "; ", 2);
                n += 2;
            }
            size_t take = len < cap - 1 - n ? len : cap - 1 - n;
            memcpy(db->last_error + n, line, take);
            n += take;
            db->last_error[n] = '\0';
        }
        line += len;
        if (*line == '\n')
            line++;
    }
}

bool
db_sqlstate_unusable(const char *sqlstate, bool want_rw)
{
    if (sqlstate == NULL)
        return false;
    return (want_rw && strcmp(sqlstate, "25006") == 0) /* read_only_sql_transaction */
           || strcmp(sqlstate, "57P01") == 0       /* admin_shutdown */
           || strcmp(sqlstate, "57P02") == 0       /* crash_shutdown */
           || strcmp(sqlstate, "57P03") == 0       /* cannot_connect_now */
           || strncmp(sqlstate, "08", 2) == 0;     /* connection_exception */
}

static void
finish_query(struct db *db, const char *err)
{
    struct db_query *q = db->inflight;
    db->inflight = NULL;
    const char *e = err ? err : db->error;
    if (err != NULL)
        db->error_state[0] = '\0';     /* the connection's fate, not the statement's own error */
    if (q->fn)
        q->fn(q->arg, e ? NULL : db->result, e);
    if (db->result)
        PQclear(db->result);
    db->result = NULL;
    free(db->error);
    db->error = NULL;
    db->error_state[0] = '\0';
    query_free(q);
}

bool
db_error_is_conflict(const struct db *db)
{
    return db != NULL && (strcmp(db->error_state, "40P01") == 0 || strcmp(db->error_state, "40001") == 0);
}

static void
fail_all(struct db *db, const char *err)
{
    if (db->inflight)
        finish_query(db, err);
    while (db->head) {
        struct db_query *q = db->head;
        db->head = q->next;
        if (db->head == NULL)
            db->tail = NULL;
        if (q->fn)
            q->fn(q->arg, NULL, err);
        query_free(q);
    }
}

static void
schedule_retry(struct db *db)
{
    int delay = db->backoff;
    db->backoff = db->backoff * 2 > db->reconnect_max ? db->reconnect_max : db->backoff * 2;
    struct timeval tv = { delay, (suseconds_t)(random() % 250000) };
    evtimer_add(db->retry, &tv);
    log_info("database reconnect scheduled", "conn=%s in_seconds=%d", db->name, delay);
}

static void
close_conn(struct db *db)
{
    if (db->io) {
        event_free(db->io);
        db->io = NULL;
    }
    event_del(db->flush_ev);
    db->copying = false;
    db->checking = false;
    db->unusable[0] = '\0';
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
}

static void
lost(struct db *db, const char *why)
{
    enum db_state was = db->state;
    set_last_error(db, why);
    log_warn(was == DB_UP ? "database connection lost" : "database connection failed",
             "conn=%s error=%s", db->name, log_q(db->last_error));
    close_conn(db);
    db->state = DB_DOWN;
    fail_all(db, "database connection lost");
    if (was == DB_UP && db->on_state)
        db->on_state(db->arg, DB_DOWN);
    schedule_retry(db);
}

static void
arm(struct db *db, short what)
{
    if (db->io)
        event_free(db->io);
    db->io = event_new(db->base, PQsocket(db->conn), what, on_io, db);
    event_add(db->io, NULL);
}

/* Server notices (e.g. "already exists, skipping") are not events worth a
 * line on stderr of their own; keep them for debugging. */
static void
on_notice(void *arg, const char *message)
{
    char line[256];
    strlcpy_k(line, message, sizeof line);
    line[strcspn(line, "\n")] = '\0';
    log_debug("database notice", "notice=%s", log_q(line));
}

/* Where this connection went: with a multi-host conninfo, which host and
 * port libpq settled on (never the password: PQhost/PQport hold none). */
static void
log_connected(struct db *db)
{
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    log_info("database connected", "conn=%s host=%s port=%s server_version=%d", db->name,
             log_q(host ? host : ""), log_q(port ? port : ""), PQserverVersion(db->conn));
}

static void
connected(struct db *db)
{
    db->checking = false;
    db->state = DB_UP;
    db->backoff = 1;
    db->last_error[0] = '\0';
    arm(db, EV_READ | EV_PERSIST);
    log_connected(db);
    if (db->on_state)
        db->on_state(db->arg, DB_UP);
    send_next(db);
}

/* The connection's target_session_attrs, as libpq took it ("" if none). */
static void
target_attrs(PGconn *conn, char *out, size_t size)
{
    out[0] = '\0';
    PQconninfoOption *opts = PQconninfo(conn);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "target_session_attrs") == 0 && o->val != NULL)
            strlcpy_k(out, o->val, size);
    PQconninfoFree(opts);
}

#define PRIMARY_CHECK_SQL "SELECT pg_is_in_recovery()"

/* The connection is made: make sure that it is the primary before anyone
 * is told it is up. libpq has checked when target_session_attrs is
 * primary (keyprojd's default) or read-write; with anything else in the
 * conninfo ("any" …) keyprojd asks. A standby is refused like a server
 * that is down, and tried again with backoff: after a promotion it is the
 * primary. A primary read-only by configuration (default_transaction_
 * read_only) is taken, its refusals reported per statement, unless the
 * conninfo asks for read-write. */
static void
connect_done(struct db *db)
{
    PQsetnonblocking(db->conn, 1);
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    char attrs[32];
    target_attrs(db->conn, attrs, sizeof attrs);
    db->want_rw = strcmp(attrs, "read-write") == 0;
    if (db->want_rw || strcmp(attrs, "primary") == 0) {
        connected(db);
        return;
    }
    if (!PQsendQuery(db->conn, PRIMARY_CHECK_SQL)) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    db->checking = true;
    arm(db, EV_READ | EV_PERSIST);
    flush(db);
}

/* The answer to PRIMARY_CHECK_SQL. */
static void
check_readable(struct db *db)
{
    if (!PQconsumeInput(db->conn)) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    if (PQisBusy(db->conn))
        return;
    PGresult *res;
    bool ok = false, standby = false;
    char why[256] = "";
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            ok = true;
            standby = PQgetvalue(res, 0, 0)[0] == 't';
        } else if (why[0] == '\0') {
            strlcpy_k(why, PQresultErrorMessage(res), sizeof why);
        }
        PQclear(res);
    }
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    if (!ok) {
        lost(db, why[0] ? why : PQerrorMessage(db->conn));
        return;
    }
    if (standby) {
        char msg[512];
        snprintf(msg, sizeof msg, "server %s port %s is a standby (in recovery): keyprojd needs the primary"
                 " (list every server in database.conninfo, without target_session_attrs or with"
                 " target_session_attrs=primary or read-write)", host ? host : "", port ? port : "");
        log_warn("database server refused: a standby, not the primary", "conn=%s host=%s port=%s",
                 db->name, log_q(host ? host : ""), log_q(port ? port : ""));
        lost(db, msg);
        return;
    }
    connected(db);
}

static void
connect_poll(struct db *db)
{
    switch (PQconnectPoll(db->conn)) {
    case PGRES_POLLING_READING:
        arm(db, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        arm(db, EV_WRITE);
        break;
    case PGRES_POLLING_OK:
        connect_done(db);
        break;
    default:
        lost(db, PQerrorMessage(db->conn));
        break;
    }
}

static void
connect_begin(struct db *db)
{
    /* keyprojd writes on every connection: unless the conninfo says
     * otherwise, ask libpq for the primary, so that with several hosts it
     * walks them to the one not in recovery (put before the conninfo,
     * which overrides it: libpq takes the last value of a keyword). And
     * no JIT: it compiles a statement the planner costs high, 50–150 ms
     * each time, and keyprojd's statements are short ones sent unnamed,
     * so planned, and compiled, on every call (a scan's select of 5,000
     * rows ran in 15 ms and was compiled for 107 ms). pg_stat_activity
     * tells the connections apart by name ("keyprojd/scan2") unless the
     * conninfo names an application_name. */
    static const char *const keywords[] = { "target_session_attrs", "options", "fallback_application_name",
                                            "dbname", NULL };
    char app[64];
    snprintf(app, sizeof app, "keyprojd/%s", db->name);
    const char *const values[] = { "primary", "-c jit=off", app, db->conninfo, NULL };
    db->conn = PQconnectStartParams(keywords, values, 1);
    if (db->conn == NULL) {
        db->state = DB_CONNECTING;
        lost(db, "out of memory starting a connection");
        return;
    }
    db->state = DB_CONNECTING;
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    arm(db, EV_WRITE);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_begin(arg);
}

static void
drain_notifies(struct db *db)
{
    PGnotify *n;
    while ((n = PQnotifies(db->conn)) != NULL) {
        if (db->on_notify)
            db->on_notify(db->arg, n->relname, n->extra);
        PQfreemem(n);
    }
}

static void
wait_writable(struct db *db)
{
    event_assign(db->flush_ev, db->base, PQsocket(db->conn), EV_WRITE, on_io, db);
    event_add(db->flush_ev, NULL);
}

/* Sends the in-flight COPY's data, a chunk at a time and only while
 * libpq's output buffer is empty, so that the buffer never holds more than
 * a chunk (libpq would otherwise grow it to the whole data); then ends the
 * COPY. Waits for the socket when it is full. */
static void
copy_push(struct db *db)
{
    struct db_query *q = db->inflight;
    for (;;) {
        int r = PQflush(db->conn);
        if (r < 0) {
            lost(db, PQerrorMessage(db->conn));
            return;
        }
        if (r == 1) {
            wait_writable(db);
            return;
        }
        if (q->copy_off == q->copy_len)
            break;
        size_t n = q->copy_len - q->copy_off;
        if (n > DB_COPY_CHUNK)
            n = DB_COPY_CHUNK;
        if (PQputCopyData(db->conn, q->copy + q->copy_off, (int)n) != 1) {
            lost(db, PQerrorMessage(db->conn));
            return;
        }
        q->copy_off += n;
    }
    if (PQputCopyEnd(db->conn, NULL) != 1) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    free(q->copy);
    q->copy = NULL;
    db->copying = false;
    flush(db);
}

static void
take_result(struct db *db, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COPY_IN) {
        PQclear(res);
        if (db->inflight->copy == NULL) {   /* a COPY nobody gave data for */
            PQputCopyEnd(db->conn, "keyprojd: no data for this COPY");
            flush(db);
            return;
        }
        db->copying = true;
        copy_push(db);
        return;
    }
    if (st == PGRES_FATAL_ERROR) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (db->unusable[0] == '\0' && db_sqlstate_unusable(state, db->want_rw)) {
            const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            snprintf(db->unusable, sizeof db->unusable, "SQLSTATE %s: %s", state, m ? m : "");
        }
        if (db->error == NULL) {
            strlcpy_k(db->error_state, state ? state : "", sizeof db->error_state);
            const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
            db->error = detail ? xasprintf("%s (%s)", m ? m : "error", detail)
                               : xstrdup(m ? m : PQresultErrorMessage(res));
        }
        PQclear(res);
        return;
    }
    if (db->result)
        PQclear(db->result);
    db->result = res;
}

/* A statement failed because the server cannot take writes any more
 * (read-only, shutting down, the connection broken): a failover may have
 * happened. Drop it; the reconnect finds the primary (libpq walks the
 * conninfo's hosts, target_session_attrs picks the writable one), and
 * everything the session held — LISTEN, the leader lock — is gone with it. */
static void
drop_unusable(struct db *db)
{
    char why[sizeof db->unusable];
    strlcpy_k(why, db->unusable, sizeof why);
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    log_warn("database server no longer a usable primary: reconnecting", "conn=%s host=%s port=%s why=%s",
             db->name, log_q(host ? host : ""), log_q(port ? port : ""), log_q(why));
    lost(db, why);
}

static void
on_readable(struct db *db)
{
    if (!PQconsumeInput(db->conn)) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    drain_notifies(db);
    while (db->inflight && !db->copying && !PQisBusy(db->conn)) {
        PGresult *res = PQgetResult(db->conn);
        if (res == NULL) {
            finish_query(db, NULL);
            send_next(db);
            /* A callback may have queued and sent more; keep draining. */
            continue;
        }
        take_result(db, res);
    }
    /* A callback above may already have lost the connection (conn NULL). */
    if (db->conn == NULL)
        return;
    if (PQstatus(db->conn) == CONNECTION_BAD)
        lost(db, PQerrorMessage(db->conn));
    else if (db->unusable[0] && db->inflight == NULL)
        drop_unusable(db);
}

static void
flush(struct db *db)
{
    int r = PQflush(db->conn);
    if (r < 0)
        lost(db, PQerrorMessage(db->conn));
    else if (r == 1) {
        event_assign(db->flush_ev, db->base, PQsocket(db->conn), EV_WRITE, on_io, db);
        event_add(db->flush_ev, NULL);
    }
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
    struct db *db = arg;
    if (db->state == DB_CONNECTING) {
        if (!db->checking)
            connect_poll(db);
        else if (what & EV_WRITE)
            flush(db);
        else
            check_readable(db);
        return;
    }
    if (what & EV_WRITE) {
        if (db->copying) {
            copy_push(db);
            if (db->state != DB_UP)
                return;
            if (!db->copying)       /* its result may be read already */
                what |= EV_READ;
        } else {
            flush(db);
        }
        if (db->state != DB_UP)
            return;
    }
    if (what & EV_READ)
        on_readable(db);
}

static void
send_next(struct db *db)
{
    if (db->state != DB_UP || db->inflight || db->head == NULL || db->unusable[0])
        return;
    struct db_query *q = db->head;
    db->head = q->next;
    if (db->head == NULL)
        db->tail = NULL;
    db->inflight = q;
    int ok = q->script ? PQsendQuery(db->conn, q->sql)
                       : PQsendQueryParams(db->conn, q->sql, q->nparams, NULL,
                                           (const char *const *)q->values, q->lengths, q->formats, 0);
    if (!ok) {
        lost(db, PQerrorMessage(db->conn));
        return;
    }
    flush(db);
}

static void
on_fail(evutil_socket_t fd, short what, void *arg)
{
    struct db *db = arg;
    if (db->state != DB_UP)
        fail_all(db, db->last_error[0] ? db->last_error : "database is not connected");
}

static struct db_query *
enqueue(struct db *db, struct db_query *q)
{
    if (db->tail)
        db->tail->next = q;
    else
        db->head = q;
    db->tail = q;
    if (db->state == DB_UP)
        send_next(db);
    else
        event_active(db->fail_ev, EV_TIMEOUT, 0);
    return q;
}

struct db_query *
db_query(struct db *db, const char *sql, int nparams, const char *const *values,
         db_result_fn fn, void *arg)
{
    struct db_query *q = xcalloc(1, sizeof *q);
    q->sql = xstrdup(sql);
    q->nparams = nparams;
    q->values = xcalloc((size_t)nparams + 1, sizeof(char *));
    for (int i = 0; i < nparams; i++)
        q->values[i] = values[i] ? xstrdup(values[i]) : NULL;
    q->fn = fn;
    q->arg = arg;
    return enqueue(db, q);
}

struct db_query *
db_query_taken(struct db *db, const char *sql, int nparams, char **values, const int *lengths,
               const int *formats, db_result_fn fn, void *arg)
{
    struct db_query *q = xcalloc(1, sizeof *q);
    q->sql = xstrdup(sql);
    q->nparams = nparams;
    q->values = xcalloc((size_t)nparams + 1, sizeof(char *));
    q->lengths = xcalloc((size_t)nparams + 1, sizeof(int));
    q->formats = xcalloc((size_t)nparams + 1, sizeof(int));
    for (int i = 0; i < nparams; i++) {
        q->values[i] = values[i];
        values[i] = NULL;
        q->lengths[i] = lengths[i];
        q->formats[i] = formats[i];
    }
    q->fn = fn;
    q->arg = arg;
    return enqueue(db, q);
}

struct db_query *
db_exec_script(struct db *db, const char *sql, db_result_fn fn, void *arg)
{
    struct db_query *q = xcalloc(1, sizeof *q);
    q->sql = xstrdup(sql);
    q->script = true;
    q->fn = fn;
    q->arg = arg;
    return enqueue(db, q);
}

struct db_query *
db_copy_in(struct db *db, const char *sql, char *data, size_t len, db_result_fn fn, void *arg)
{
    struct db_query *q = xcalloc(1, sizeof *q);
    q->sql = xstrdup(sql);
    q->script = true;
    q->copy = data;
    q->copy_len = len;
    q->fn = fn;
    q->arg = arg;
    return enqueue(db, q);
}

void
db_cancel(struct db_query *q)
{
    if (q)
        q->fn = NULL;
}

struct db *
db_new(struct event_base *base, const char *name, const char *conninfo, int reconnect_max,
       db_state_fn on_state, db_notify_fn on_notify, void *arg)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->base = base;
    strlcpy_k(db->name, name, sizeof db->name);
    db->conninfo = xstrdup(conninfo);
    db->reconnect_max = reconnect_max;
    db->on_state = on_state;
    db->on_notify = on_notify;
    db->arg = arg;
    db->state = DB_DOWN;
    db->backoff = 1;
    db->retry = evtimer_new(base, on_retry, db);
    db->fail_ev = event_new(base, -1, 0, on_fail, db);
    db->flush_ev = event_new(base, -1, 0, on_io, db);
    return db;
}

void
db_start(struct db *db)
{
    if (db->started)
        return;
    db->started = true;
    connect_begin(db);
}

void
db_reconfigure(struct db *db, const char *conninfo, int reconnect_max)
{
    db->reconnect_max = reconnect_max;
    if (strcmp(conninfo, db->conninfo) == 0)
        return;
    free(db->conninfo);
    db->conninfo = xstrdup(conninfo);
    log_info("database settings changed: reconnecting", "conn=%s", db->name);
    bool was_up = db->state == DB_UP;
    close_conn(db);
    db->state = DB_DOWN;
    fail_all(db, "database connection closed for reconfiguration");
    if (was_up && db->on_state)
        db->on_state(db->arg, DB_DOWN);
    evtimer_del(db->retry);
    db->backoff = 1;
    connect_begin(db);
}

enum db_state
db_state(const struct db *db)
{
    return db->state;
}

const char *
db_last_error(const struct db *db)
{
    return db->last_error;
}

void
db_free(struct db *db)
{
    if (db == NULL)
        return;
    close_conn(db);
    db->state = DB_DOWN;
    fail_all(db, "daemon stopping");
    event_free(db->retry);
    event_free(db->fail_ev);
    event_free(db->flush_ev);
    free(db->conninfo);
    free(db);
}
