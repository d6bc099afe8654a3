/* deliver: the outbox worker. Claims pending delivery rows (FOR UPDATE SKIP
 * LOCKED, as a lease), renders and sends them, and records the verdict.
 * Nothing is marked delivered unless the receiver said so; a crash leaves
 * a lease that expires and the row is sent again with the same id. */
#ifndef KEYPROJ_DELIVER_H
#define KEYPROJ_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct receiver;
struct deliverer;

/* Starts the worker with its own database connection. */
struct deliverer *deliver_new(struct daemon *d);
/* Something new may be due (a scan committed, the clock moved). */
void deliver_kick(struct deliverer *dl);
/* The configuration changed (receivers may have come or gone). */
void deliver_reconfigure(struct deliverer *dl);
/* SIGTERM: stops claiming at once, releases the rows claimed but not sent
 * (lease ended, attempt not counted), lets the requests in flight finish
 * for up to bound_seconds and writes their verdicts; what is still in
 * flight then is cut off and released. Calls done(arg) once all that is
 * written (a few seconds more at most), or at once when dl is NULL. */
void deliver_drain(struct deliverer *dl, int bound_seconds, void (*done)(void *arg), void *arg);
/* Stops claiming; in-flight sends are cut off and their leases expire. */
void deliver_free(struct deliverer *dl);

struct deliver_stats {
    bool connected;
    size_t in_flight;
    unsigned long long delivered, retried, dead, silenced;
    double held_until;          /* quiet hours or a rest day: until then; 0 when not held */
};
void deliver_stats(const struct deliverer *dl, struct deliver_stats *out);

/* `receiver test`: the verdict on one test message. */
struct deliver_test_result {
    const char *receiver;
    const char *type;
    long http_status;           /* 0: no answer */
    const char *verdict;        /* "ok", "retry" or "permanent"; "cancelled" at shutdown */
    long retry_after;           /* seconds the receiver asked for; -1 none */
    const char *error;          /* "" when ok */
    long elapsed_ms;
    const char *webhook_id;     /* json receivers: the test message's id */
};
typedef void (*deliver_test_fn)(void *arg, const struct deliver_test_result *r);

/* Sends a test message to rv right now through the real render and HTTP
 * path, outside the outbox: no row, no hold, no silence, no retry; it takes
 * one token of the receiver's rate limit, as a real message would. by names
 * who asked (shown in the message). done is called exactly once, later.
 * Returns false with err when it cannot start (done is not called then). */
bool deliver_test(struct deliverer *dl, const struct receiver *rv, const char *by, deliver_test_fn done,
                  void *arg, char *err, size_t errlen);

#endif
