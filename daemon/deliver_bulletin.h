/* deliver_bulletin: the weekly bulletin's workbook to a WeCom group robot
 * as a file message — made when its delivery is sent (bulletin.c), POSTed
 * to the robot's upload_media (multipart/form-data, part "media"), then
 * {"msgtype":"file","file":{"media_id":…}} to the robot. One attempt of the
 * outbox, judged on the robot's answers like any message; the attempt's
 * whole time is the receiver's timeout. */
#ifndef KEYPROJ_DELIVER_BULLETIN_H
#define KEYPROJ_DELIVER_BULLETIN_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct attempt;
struct daemon;
struct receiver;

/* The claimed bulletin row of rv for week (its payload's): its week, checked, in out;
 * false with why in err (a receiver that is not a WeCom robot, a week that is not one). */
bool deliver_bulletin_render(const struct receiver *rv, const char *week, char *out, size_t outlen, char *err,
                             size_t errlen);

/* The upload URL of rv's robot: its url with the last path segment
 * (send) replaced by upload_media and type=file added to the query (the
 * key kept). Caller frees. */
char *deliver_bulletin_upload_url_new(const char *url);

/* Sends at's bulletin as http_post sends a request: 0, then done(at, the
 * last answer) exactly once, never from inside this call; -1 when it
 * cannot start (done not called). */
int deliver_bulletin_send(struct daemon *d, struct http *http, struct attempt *at, const struct receiver *rv,
                          http_done_fn done);

#endif
