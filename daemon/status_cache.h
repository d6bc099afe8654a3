/* status_cache: the counts `status` and /metrics show (projects and their
 * lights, milestones, alerts, the outbox), kept in memory so that a status call answers without a
 * database round trip. Refreshed in the background at most ~1 s apart while
 * status is being asked; a NOTIFY keyproj_changed refreshes it at once (the
 * old value is served meanwhile); a command that may write through the
 * control socket drops it, so the next status waits for counts that include
 * that write. While a scan runs nothing is refreshed in the background: the
 * counts are those from before it (status says it is scanning) until the
 * first tick after it. */
#ifndef KEYPROJ_STATUS_CACHE_H
#define KEYPROJ_STATUS_CACHE_H

#include <stdbool.h>
#include <jansson.h>

struct daemon;

/* counts is borrowed (copy what you keep); NULL with err on failure. */
typedef void (*status_counts_fn)(void *arg, json_t *counts, const char *err);

/* Calls fn now when a usable value is cached (today: the business date the
 * overdue count is for), else once the refresh it starts is done. The
 * database must be ready. Creates the cache on first use. */
void status_cache_get(struct daemon *d, const char *today, status_counts_fn fn, void *arg);

/* hard: a write through the socket; the next status waits for fresh counts.
 * Otherwise (NOTIFY): keep serving the old value meanwhile. Either way the
 * counts are fetched now only while someone looks (a status within the last
 * minute) and no scan runs. No-op before the first status. */
void status_cache_invalidate(struct daemon *d, bool hard);

/* The last status answer rendered as JSON text (cmd_status.c), kept here
 * with the counts it was rendered from (a reference, so that new counts
 * never share its address) and a key for the rest of what it shows; served
 * again while both are the same. Rendering it each time cost more than the
 * rest of a status round trip. */
#define STATUS_RENDER_KEY 96
struct status_render {
    json_t *counts;
    unsigned char key[STATUS_RENDER_KEY];
    char *text;                 /* NULL: nothing rendered yet */
};
/* The slot, owned by the cache (creates the cache on first use). */
struct status_render *status_cache_render(struct daemon *d);

/* After db_free (which fails the refresh in flight and so answers its
 * waiters). */
void status_cache_free(struct daemon *d);

#endif
