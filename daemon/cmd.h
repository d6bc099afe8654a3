/* cmd: the control command table and what a command sees. Each cmd_*.c file
 * defines entries; one table lists them all, and dispatch, help and usage
 * errors read that table, so they cannot disagree. */
#ifndef KEYPROJ_CMD_H
#define KEYPROJ_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "tokenize.h"

struct daemon;
struct client;

enum cmd_level { LEVEL_NONE = 0, LEVEL_OPERATOR = 1, LEVEL_ADMIN = 2 };

/* "operator", "admin" (or "none"), as peers' levels are named everywhere. */
const char *cmd_level_name(enum cmd_level l);

#define CMD_NEEDS_DB 0x1    /* refused with "unavailable" while the database is not ready */
#define CMD_BODY 0x2        /* carries a --bytes N body */

struct cmd_opt {
    const char *name;       /* without the leading "--" */
    bool has_value;
};

#define CMD_MAX_OPTS 16

struct cmd_args {
    int npos;
    char **pos;             /* positional arguments after the command name */
    int nopt;
    struct {
        const char *name;
        const char *value;  /* "" for flags */
    } opt[CMD_MAX_OPTS];
};

/* One request being served. Owned by control.c until a reply is sent; the
 * client may go away meanwhile (client == NULL), the ctx stays valid. */
struct cmd_ctx {
    struct daemon *d;
    struct client *client;
    struct tokens tok;
    char *body;
    size_t body_len;
    enum cmd_level level;
    uid_t uid;
    char *user;
    unsigned long request_id;
    double started;
    const char *result;     /* for the log line: "ok" or the error code */
    bool may_write;         /* its answer drops status's cached counts (status_cache.h) */
};

struct cmd_entry {
    const char *name;
    const char *usage;      /* arguments after the name */
    const char *summary;
    enum cmd_level level;
    unsigned flags;
    int min_pos, max_pos;
    const struct cmd_opt *opts;   /* NULL-name terminated, or NULL */
    void (*exec)(struct cmd_ctx *ctx, const struct cmd_args *args);
};

/* The table (cmd.c). */
extern const struct cmd_entry *const cmd_table[];

/* Parses, checks the level and the database, and runs the command. */
void cmd_dispatch(struct cmd_ctx *ctx);

const char *cmd_opt(const struct cmd_args *a, const char *name);
bool cmd_flag(const struct cmd_args *a, const char *name);

/* Each command calls exactly one of these, once. data/details are stolen. */
void cmd_reply(struct cmd_ctx *ctx, json_t *data);
/* cmd_reply with data already as compact JSON text (borrowed): for an
 * answer served again from a cache, as status does. */
void cmd_reply_text(struct cmd_ctx *ctx, const char *data);
void cmd_error(struct cmd_ctx *ctx, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Converts a query result to an array of objects (column names as keys,
 * numbers as numbers, booleans, json as json). Returns a new reference. */
struct pg_result;
json_t *cmd_rows_json(const void *pgresult);

/* Ends the imports still running (each on its own connection), answering
 * them that keyprojd is stopping: before the control socket is freed. */
void cmd_import_stop(void);

#endif
