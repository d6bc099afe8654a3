/* deliver_digest: daily digests and weekly summaries, written as alerts
 * with their deliveries (the outbox sends them). */
#ifndef KEYPROJ_DELIVER_DIGEST_H
#define KEYPROJ_DELIVER_DIGEST_H

struct config;
struct db;

/* Told to look again in seconds (a write failed). */
typedef void (*digest_wake_fn)(void *arg, double seconds);

struct digester {
    struct db *db;                  /* not owned */
    digest_wake_fn wake;
    void *arg;
    char done[16];                  /* the business date whose daily digests were written */
};

/* Writes the day's digests (and the week's summary) once alerts.digest_time
 * has passed on a working day. Returns the seconds until the next digest
 * moment, or -1 when there are no digests. */
double digest_check(struct digester *g, const struct config *cfg, double now);

#endif
