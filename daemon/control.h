/* control: the Unix control socket. Frames requests (a line, then an
 * optional --bytes N body), decides each peer's level from its credentials,
 * and writes one JSON line per reply. Bounded everywhere: line length, body
 * size, argument count, clients, idle time. */
#ifndef KEYPROJ_CONTROL_H
#define KEYPROJ_CONTROL_H

#include <jansson.h>

struct daemon;
struct cmd_ctx;
struct control;

/* Creates the socket (replacing a stale file, refusing a live one).
 * Returns NULL with a message in err. */
struct control *control_new(struct daemon *d, char *err, size_t errlen);
/* Applies mode and group from the current config (after reload). */
void control_apply_config(struct control *c);
/* Closes every client and removes the socket file. */
void control_free(struct control *c);
int control_clients(const struct control *c);
/* Body bytes announced by the requests being received (0 when none). */
size_t control_body_in_flight(const struct control *c);

#endif
