/* level: what a control-socket peer may do — the level its credentials
 * give it (control.c, from keyprojd.conf's operators and admins) and the
 * level each command needs (cmd.h). */
#ifndef KEYPROJ_LEVEL_H
#define KEYPROJ_LEVEL_H

enum cmd_level { LEVEL_NONE = 0, LEVEL_OPERATOR = 1, LEVEL_ADMIN = 2 };

/* "operator", "admin" (or "none"), as peers' levels are named everywhere. */
static inline const char *
cmd_level_name(enum cmd_level l)
{
    return l == LEVEL_ADMIN ? "admin" : l == LEVEL_OPERATOR ? "operator" : "none";
}

#endif
