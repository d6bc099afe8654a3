/* deliver_batch: writes the outbox's verdicts (delivered, pending for a
 * retry, dead, released) in batches, one UPDATE per batch on its own
 * connection, so the database round trips per delivery tend to zero. It
 * never writes a row this daemon does not hold the lease of, and never
 * marks one without being told its outcome. */
#ifndef KEYPROJ_DELIVER_BATCH_H
#define KEYPROJ_DELIVER_BATCH_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct event_base;
struct vbatch;

/* What becomes of a claimed row. RELEASED: back to the queue as it was
 * before the claim (lease ended, the attempt not counted). DEFERRED: a
 * robot said "over the limit": due again at next, with the error, the
 * attempt not counted (it never leads to dead). */
enum verdict { V_DELIVERED, V_PENDING, V_DEAD, V_RELEASED, V_DEFERRED };

/* Told once per vbatch_add, after its rows were written (err NULL) or
 * could not be (err says why: the rows keep their lease until it ends). */
typedef void (*vbatch_fn)(void *arg, const char *err);

/* Writes through db (not owned) as lease holder worker. */
struct vbatch *vbatch_new(struct event_base *base, struct db *db, const char *worker);
/* Calls every callback still waiting (err "daemon stopping"), then frees. */
void vbatch_free(struct vbatch *b);

/* Queues the verdict on rows ids (copied): at is when it was decided
 * (delivered_at), next when a pending row is due again; error and
 * http_status (0: none) describe a failure; digest_free: none of the rows
 * is a digest's (then a batch of only such rows skips the digests' work,
 * keyproj_digest_tells_held). The batch goes out on the next loop pass
 * when no write is running, else when the running one ends. */
void vbatch_add(struct vbatch *b, const long long *ids, size_t n, enum verdict v, double at, double next,
                const char *error, long http_status, bool digest_free, vbatch_fn done, void *arg);

/* Verdicts queued or being written (their callbacks not yet called). */
size_t vbatch_waiting(const struct vbatch *b);

#endif
