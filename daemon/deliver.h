/* deliver: the outbox worker. Claims pending delivery rows (FOR UPDATE SKIP
 * LOCKED, as a lease), renders and sends them, and records the verdict.
 * Nothing is marked delivered unless the receiver said so; a crash leaves
 * a lease that expires and the row is sent again with the same id. */
#ifndef KEYPROJ_DELIVER_H
#define KEYPROJ_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct deliverer;

/* Starts the worker with its own database connection. */
struct deliverer *deliver_new(struct daemon *d);
/* Something new may be due (a scan committed, the clock moved). */
void deliver_kick(struct deliverer *dl);
/* The configuration changed (receivers may have come or gone). */
void deliver_reconfigure(struct deliverer *dl);
/* Stops claiming; in-flight sends end or their leases expire. */
void deliver_free(struct deliverer *dl);

struct deliver_stats {
    bool connected;
    size_t in_flight;
    unsigned long long delivered, retried, dead;
};
void deliver_stats(const struct deliverer *dl, struct deliver_stats *out);

#endif
