/* deliver_pace: see deliver_pace.h. A slot is a row of robot_send, taken
 * after rendering (so exactly one per message) and before the request.
 * A message whose slot is taken and which then is not sent (stopping, a
 * lease too short, the receiver removed) keeps its slot: the window only
 * errs on the safe side. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "deliver_pace.h"
#include "deliver_queue.h"
#include "log.h"
#include "pace.h"
#include "util.h"

struct take {
    struct dqueue *q;
    char *receiver;
    struct attempt **ats;
    size_t n;
    struct pace_hooks h;
};

static void
take_free(struct take *t)
{
    free(t->receiver);
    free(t->ats);
    free(t);
}

static void
on_taken(void *arg, const PGresult *res, const char *err)
{
    struct take *t = arg;
    struct dqueue *q = t->q;
    struct rstate *r = dq_rstate(q, t->receiver);
    const struct receiver *rv = dq_receiver(q, t->receiver);
    size_t granted = 0;
    double now = dq_now(q), free_at = 0;
    if (err == NULL && PQntuples(res) == 1) {
        granted = (size_t)atoi(PQgetvalue(res, 0, 0));
        if (!PQgetisnull(res, 0, 1))
            free_at = strtod(PQgetvalue(res, 0, 1), NULL);
    } else if (!q->closing) {
        log_warn("could not take a robot's send slot: the messages wait", "receiver=%s error=%s",
                 t->receiver, log_q(err ? err : "no answer"));
        free_at = now + 5;
    }
    if (r != NULL) {
        r->taking--;
        r->robot_free_at = free_at;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (q->closing)
            dq_attempt_free(t->ats[i]);
        else if (q->draining)
            dq_release(t->ats[i], "stopping");
        else if (rv == NULL || r == NULL)
            dq_release(t->ats[i], "receiver_removed");
        else if (i < granted)
            t->h.post(t->h.arg, t->ats[i], rv);
        else
            dq_release(t->ats[i], "robot_limit");
    }
    if (granted < t->n && !q->closing && free_at > 0) {
        char when[32];
        clock_format(free_at, when);
        log_info("robot's limit reached: the rest wait for a free slot", "receiver=%s robot=%s messages=%zu"
                 " sent=%zu next_slot=%s", t->receiver, r ? r->robot : "", t->n, granted, when);
    }
    if (!q->closing)
        t->h.taken(t->h.arg, granted < t->n && free_at > now ? free_at - now : 0);
    take_free(t);
}

void
pace_take(struct dqueue *q, struct db *db, const struct receiver *rv, struct attempt **ats, size_t n,
          const struct pace_hooks *h)
{
    struct rstate *r = dq_rstate(q, rv->name);
    const struct robot_limit *lim = pace_limit(rv->type);
    struct take *t = xcalloc(1, sizeof *t);
    t->q = q;
    t->receiver = xstrdup(rv->name);
    t->ats = ats;
    t->n = n;
    t->h = *h;
    char now[32], want[16], minute[16], second[16];
    snprintf(now, sizeof now, "%.3f", dq_now(q));
    snprintf(want, sizeof want, "%zu", n);
    snprintf(minute, sizeof minute, "%d", rv->rate_per_minute);
    snprintf(second, sizeof second, "%d", lim ? lim->per_second : 0);
    const char *params[] = { r ? r->robot : "", now, want, minute,
                             lim && lim->per_second > 0 ? second : NULL };
    if (r)
        r->taking++;
    db_query(db, "SELECT granted, free_at FROM keyproj_robot_take($1, to_timestamp($2::float8), $3::int,"
             " $4::int, $5::int)", 5, params, on_taken, t);
}

static void
on_held(void *arg, const PGresult *res, const char *err)
{
    char *receiver = arg;
    (void)res;
    if (err)
        log_warn("could not record a robot's hold: other daemons may send to it meanwhile",
                 "receiver=%s error=%s", receiver, log_q(err));
    free(receiver);
}

void
pace_hold(struct dqueue *q, struct db *db, const struct receiver *rv, double until)
{
    /* Every receiver naming the same robot waits, here at once. */
    struct rstate *r = dq_rstate(q, rv->name);
    if (r == NULL || r->robot[0] == '\0')
        return;
    for (size_t i = 0; i < q->nrs; i++)
        if (strcmp(q->rs[i].robot, r->robot) == 0 && q->rs[i].robot_free_at < until)
            q->rs[i].robot_free_at = until;
    char at[32], minute[16];
    snprintf(at, sizeof at, "%.3f", until);
    snprintf(minute, sizeof minute, "%d", rv->rate_per_minute);
    const char *params[] = { r->robot, at, minute };
    db_query(db, "SELECT keyproj_robot_hold($1, to_timestamp($2::float8), $3::int)", 3, params, on_held,
             xstrdup(rv->name));
}

void
pace_note(struct dqueue *q, struct db *db, const struct receiver *rv)
{
    struct rstate *r = dq_rstate(q, rv->name);
    if (r == NULL || r->robot[0] == '\0')
        return;
    char now[32];
    snprintf(now, sizeof now, "%.3f", dq_now(q));
    const char *params[] = { r->robot, now };
    db_query(db, "SELECT keyproj_robot_note($1, to_timestamp($2::float8))", 2, params, on_held,
             xstrdup(rv->name));
}
