/* summary: a chat receiver's backlog told in one message instead of a
 * flood. Pure: no socket, no database. */
#ifndef KEYPROJ_SUMMARY_H
#define KEYPROJ_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "render.h"

#define SUMMARY_FLOOD_MESSAGES 3    /* a backlog needing more messages than this goes as one summary */
#define SUMMARY_WORST 5             /* the alerts a summary lists */
#define SUMMARY_PLACES 3            /* the counties whose full list a summary points to */

/* Whether n alerts that would take this many messages go as one summary. */
bool summary_wanted(size_t n, size_t messages);
/* Renders the summary of the n alerts (digest order) into rq (sent at
 * sent_at; a chat message: no webhook-id); false, rq untouched, when it
 * cannot be rendered. */
bool summary_render(const struct config *cfg, const struct receiver *rv, const struct alert_view *views, size_t n,
                    const char *id, const char *when, double sent_at, int64_t now_ms, struct render_request *rq);

#endif
