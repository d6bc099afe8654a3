/* deliver_pace: a chat robot's messages within its published limit, counted
 * in PostgreSQL (table robot_send) over any window, on the daemon's clock,
 * by every keyprojd sharing the database and across restarts. A rendered
 * message is sent only once it holds a slot; one that gets none goes back
 * unsent. It never sends (its caller posts) and never logs a robot's key. */
#ifndef KEYPROJ_DELIVER_PACE_H
#define KEYPROJ_DELIVER_PACE_H

#include <stddef.h>

struct attempt;
struct db;
struct dqueue;
struct receiver;

struct pace_hooks {
    /* Sends a message that holds its slot. */
    void (*post)(void *arg, struct attempt *at, const struct receiver *rv);
    /* The take was answered (every message posted or released); wake in
     * seconds to claim again. */
    void (*taken)(void *arg, double seconds);
    void *arg;
};

/* Takes slots for the n rendered messages ats (taken over) of receiver rv
 * on db: the first ones granted are posted, the rest released. The
 * receiver claims nothing more until the answer (its rstate's taking). */
void pace_take(struct dqueue *q, struct db *db, const struct receiver *rv, struct attempt **ats, size_t n,
               const struct pace_hooks *h);
/* The robot answered "over the limit": every keyprojd treats its window as
 * full until until (daemon clock), this one at once. */
void pace_hold(struct dqueue *q, struct db *db, const struct receiver *rv, double until);
/* A message sent by hand (receiver test) counts against the robot. */
void pace_note(struct dqueue *q, struct db *db, const struct receiver *rv);

#endif
