/* deliver_batch: the outbox's verdicts, written in batches — one
 * UPDATE … FROM unnest(…) per batch. A batch goes out once the
 * connection is free and COALESCE_SECONDS have passed since the last write
 * (at once with COALESCE_ROWS waiting); what arrives meanwhile waits for
 * the next one, so under load a batch holds what a round trip lets
 * accumulate and when idle a verdict is written at once. A failed write
 * changes nothing, and is tried again (the connection lost, the disk full)
 * every RETRY_SECONDS for RETRY_FOR_SECONDS — within a lease, so that a
 * short outage sends nothing twice; past that the rows keep their lease
 * and come back when it ends. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "db.h"
#include "deliver_batch.h"
#include "log.h"
#include "util.h"

/* Under load the batches are made larger: a write follows the one before
 * by at least COALESCE_SECONDS unless COALESCE_ROWS are waiting. Each
 * statement costs PostgreSQL ~0.4 ms whatever its size, and written as
 * soon as the connection was free a burst's verdicts went out ~47 rows a
 * statement (bench/run deliver: 212 statements for 10,000 rows). A
 * verdict after a quiet spell is written at once, as before. */
#define COALESCE_SECONDS 0.003
#define COALESCE_ROWS 128
#define RETRY_SECONDS 1
#define RETRY_FOR_SECONDS 45        /* the default lease is 70 s; a later write is still right:
                                     * it touches only rows this daemon still holds */

struct item {
    struct item *next;
    vbatch_fn done;
    void *arg;
};

/* One statement's rows, as PostgreSQL array literals. */
struct batch {
    struct vbatch *owner;
    struct buf ids, verdicts, ats, nexts, errors, https;
    size_t rows;
    bool digests;                   /* a row may be a digest's (vbatch_add's digest_free) */
    struct item *items, *last;
    size_t n_items;
    double sent;                    /* real time, for the debug log */
    double first_sent;              /* real time of the first try */
    bool closed;                    /* the arrays' closing braces are written */
};

struct vbatch {
    struct db *db;
    char *worker;
    struct event *flush_ev;
    struct batch *open;             /* filling */
    struct batch *writing;          /* sent, not answered */
    struct batch *failed;           /* to write again, at retry_ev */
    struct event *retry_ev;
    size_t waiting;
    double last_sent;               /* real time the last write was sent */
};

static const char *const verdict_names[] = { "delivered", "pending", "dead", "released", "deferred" };

static struct batch *
batch_new(struct vbatch *b)
{
    struct batch *t = xcalloc(1, sizeof *t);
    t->owner = b;
    buf_init(&t->ids);
    buf_init(&t->verdicts);
    buf_init(&t->ats);
    buf_init(&t->nexts);
    buf_init(&t->errors);
    buf_init(&t->https);
    return t;
}

/* Tells each item its outcome and frees the batch. */
static void
batch_end(struct batch *t, const char *err)
{
    struct item *it = t->items;
    t->owner->waiting -= t->n_items;
    while (it != NULL) {
        struct item *next = it->next;
        it->done(it->arg, err);
        free(it);
        it = next;
    }
    buf_free(&t->ids);
    buf_free(&t->verdicts);
    buf_free(&t->ats);
    buf_free(&t->nexts);
    buf_free(&t->errors);
    buf_free(&t->https);
    free(t);
}

/* An element of a text[] literal: quoted, with " and \ escaped; NULL bare. */
static void
put_text(struct buf *b, const char *s)
{
    if (s == NULL) {
        buf_puts(b, "NULL");
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static void on_written(void *arg, const PGresult *res, const char *err);

/* The open batch goes out now, or once COALESCE_SECONDS have passed since
 * the last write when it is small (flush checks the connection is free). */
static void
flush_soon(struct vbatch *b)
{
    if (b->open == NULL || b->writing != NULL)
        return;
    double wait = b->last_sent + COALESCE_SECONDS - clock_now(NULL);
    if (b->open->rows >= COALESCE_ROWS || wait <= 0) {
        event_active(b->flush_ev, EV_TIMEOUT, 0);
    } else if (!event_pending(b->flush_ev, EV_TIMEOUT, NULL)) {
        struct timeval tv = { 0, (suseconds_t)(wait * 1e6) + 1 };
        event_add(b->flush_ev, &tv);
    }
}

/* Sends t (not empty), the first time or again. */
static void
write_batch(struct vbatch *b, struct batch *t)
{
    b->writing = t;
    t->sent = clock_now(NULL);
    b->last_sent = t->sent;
    if (!t->closed) {
        struct buf *arrays[] = { &t->ids, &t->verdicts, &t->ats, &t->nexts, &t->errors, &t->https };
        for (size_t i = 0; i < ARRAY_LEN(arrays); i++)
            buf_putc(arrays[i], '}');
        t->closed = true;
        t->first_sent = t->sent;
    }
    const char *params[] = { t->ids.data, t->verdicts.data, t->ats.data, t->nexts.data,
                             t->errors.data, t->https.data, b->worker, t->digests ? "t" : "f" };
    /* Only the lease holder writes (sql/functions/delivery.sql). */
    db_query(b->db,
             "SELECT keyproj_record_deliveries($7, $1::bigint[], $2::text[], $3::float8[], $4::float8[],"
             " $5::text[], $6::int[], $8::boolean)",
             8, params, on_written, t);
}

static void
on_written(void *arg, const PGresult *res, const char *err)
{
    struct batch *t = arg;
    struct vbatch *b = t->owner;
    (void)res;
    b->writing = NULL;
    if (err && clock_now(NULL) - t->first_sent < RETRY_FOR_SECONDS) {
        /* The outcomes stand: write them again shortly (nothing else is
         * written meanwhile, so verdicts keep their order). */
        log_warn("could not record delivery outcomes: trying again", "rows=%zu retry_in=%d error=%s", t->rows,
                 RETRY_SECONDS, log_q(err));
        b->failed = t;
        struct timeval tv = { RETRY_SECONDS, 0 };
        evtimer_add(b->retry_ev, &tv);
        return;
    }
    if (err)
        log_warn("could not record delivery outcomes: their rows are sent again when their lease ends",
                 "rows=%zu error=%s", t->rows, log_q(err));
    else
        log_debug("delivery outcomes recorded", "rows=%zu ms=%.1f", t->rows, (clock_now(NULL) - t->sent) * 1000);
    batch_end(t, err);
    flush_soon(b);
}

static void
flush(struct vbatch *b)
{
    if (b->writing != NULL || b->failed != NULL || b->open == NULL)
        return;
    struct batch *t = b->open;
    b->open = NULL;
    if (t->rows == 0) {
        batch_end(t, NULL);
        return;
    }
    write_batch(b, t);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct vbatch *b = arg;
    (void)fd;
    (void)what;
    struct batch *t = b->failed;
    b->failed = NULL;
    if (t != NULL)
        write_batch(b, t);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    flush(arg);
}

struct vbatch *
vbatch_new(struct event_base *base, struct db *db, const char *worker)
{
    struct vbatch *b = xcalloc(1, sizeof *b);
    b->db = db;
    b->worker = xstrdup(worker);
    b->flush_ev = event_new(base, -1, 0, on_flush, b);
    b->retry_ev = evtimer_new(base, on_retry, b);
    return b;
}

void
vbatch_free(struct vbatch *b)
{
    if (b == NULL)
        return;
    /* Free the connection first: it answers a write in flight, whose
     * batch still points here. */
    if (b->open != NULL)
        batch_end(b->open, "daemon stopping");
    if (b->failed != NULL)
        batch_end(b->failed, "daemon stopping");
    event_free(b->flush_ev);
    event_free(b->retry_ev);
    free(b->worker);
    free(b);
}

void
vbatch_add(struct vbatch *b, const long long *ids, size_t n, enum verdict v, double at, double next,
           const char *error, long http_status, bool digest_free, vbatch_fn done, void *arg)
{
    if (b->open == NULL)
        b->open = batch_new(b);
    struct batch *t = b->open;
    t->digests = t->digests || !digest_free;
    /* the same for every row of the message */
    struct buf at_s, next_s;
    buf_init(&at_s);
    buf_init(&next_s);
    buf_put_millis(&at_s, at);
    buf_put_millis(&next_s, next);
    for (size_t i = 0; i < n; i++) {
        bool first = t->rows == 0;
        const char *sep = first ? "{" : ",";
        buf_puts(&t->ids, sep);
        buf_put_ll(&t->ids, ids[i]);
        buf_puts(&t->verdicts, sep);
        buf_puts(&t->verdicts, verdict_names[v]);
        buf_puts(&t->ats, sep);
        buf_append(&t->ats, at_s.data, at_s.len);
        buf_puts(&t->nexts, sep);
        buf_append(&t->nexts, next_s.data, next_s.len);
        buf_puts(&t->errors, sep);
        put_text(&t->errors, error);
        buf_puts(&t->https, sep);
        if (http_status >= 100 && http_status <= 599)
            buf_put_ll(&t->https, http_status);
        else
            buf_puts(&t->https, "NULL");
        t->rows++;
    }
    buf_free(&at_s);
    buf_free(&next_s);
    struct item *it = xcalloc(1, sizeof *it);
    it->done = done;
    it->arg = arg;
    if (t->last != NULL)
        t->last->next = it;
    else
        t->items = it;
    t->last = it;
    t->n_items++;
    b->waiting++;
    flush_soon(b);
}

size_t
vbatch_waiting(const struct vbatch *b)
{
    return b->waiting;
}
