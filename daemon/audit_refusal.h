/* audit_refusal: every control request refused by keyprojd (at the door,
 * by its level, as unknown or malformed, too large, or for want of a slot)
 * becomes an audit_log row, action control.refused, while the database is
 * up. A peer refused in a loop writes at most AUDIT_REFUSALS_PER_MINUTE
 * rows a minute; the next row written counts those left out. */
#ifndef KEYPROJ_AUDIT_REFUSAL_H
#define KEYPROJ_AUDIT_REFUSAL_H

#include <sys/types.h>

#include <stdbool.h>

#include "level.h"

#define AUDIT_REFUSALS_PER_MINUTE 10

struct daemon;

/* Records one refusal of uid's request: command is its first word (NULL
 * or "" when none was read), code the error code (denied, usage,
 * unknown_command, busy, too_large), message what the peer was told,
 * request_id 0 when there was no request. Never blocks; nothing written
 * when the database is down or uid is over its rate. */
void audit_refusal(struct daemon *d, uid_t uid, const char *user, enum cmd_level level, const char *command,
                   const char *code, const char *message, unsigned long request_id);
/* Whether code is one that audit_refusal records. */
bool audit_refusal_code(const char *code);
void audit_refusals_free(struct daemon *d);

#endif
