/* cmd: the control command table and what a command sees. Each cmd_*.c file
 * defines entries; one table lists them all, and dispatch, help and usage
 * errors read that table, so they cannot disagree. */
#ifndef KEYPROJ_CMD_H
#define KEYPROJ_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "level.h"
#include "tokenize.h"

struct db;

struct daemon;
struct client;


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
struct cmd_ctx;

/* Where a request's answers go: the control socket's (control.c), or a
 * test's own. respond sends resp (taking it) and frees ctx; respond_text
 * the same for {"ok":true,"data":DATA}, DATA already compact JSON text (a
 * cached rendering). as_text: the answer leaves as text (the socket), so
 * a query's rows are best written straight to text (db_rows_text); the
 * dashboard's pages and the weekly workbook read the tree, and get it. */
struct cmd_replier {
    void (*respond)(struct cmd_ctx *ctx, json_t *resp);
    void (*respond_text)(struct cmd_ctx *ctx, const char *data);
    bool as_text;
};

struct cmd_ctx {
    struct daemon *d;
    const struct cmd_replier *out;
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
    bool unaudited;         /* the dashboard's: a bad query parameter is not a refusal to audit, and a page
                             * never writes */
    struct db *db;          /* where its reads go: NULL for the daemon's main connection (the dashboard's
                             * pages read on connections of their own, so their commands run side by side) */
};

/* The connection a command's reads go to; writes always go to the main one. */
struct db *cmd_db(const struct cmd_ctx *ctx);

struct cmd_entry;

/* One command being run: the command named first, the subcommand that runs
 * (NULL when it has none), its arguments (positionals after the
 * subcommand's name) and the words that named it. */
struct cmd_call {
    struct cmd_ctx *ctx;
    const struct cmd_entry *e;
    const struct cmd_entry *sub;
    const struct cmd_args *a;
    const char *name;           /* "campaign target set"; NULL: e->name */
};

/* A command, or a subcommand in its parent's .subs, written with designated
 * initialisers. A parent has .subs instead of an exec function: dispatch
 * picks the child its first positional names (or .dflt), and its usage,
 * options and levels are its children's, so that "problem add" needs the
 * admin level although "problem list" does not, and "problem list --text
 * x" is a usage error. Flags are the command's own (not its children's). */
struct cmd_entry {
    const char *name;
    const char *const *aliases;   /* other names, NULL-terminated, or NULL */
    const char *usage;      /* arguments after the name; NULL for a parent (built from .subs) */
    const char *summary;    /* NULL for a subcommand (its parent's speaks for it) */
    enum cmd_level level;
    unsigned flags;
    int min_pos, max_pos;
    const struct cmd_opt *opts;   /* NULL-name terminated, or NULL */
    /* Exactly one of exec, run (the same with the call, for usage errors
     * naming the subcommand) or subs. */
    void (*exec)(struct cmd_ctx *ctx, const struct cmd_args *args);
    void (*run)(const struct cmd_call *c);
    const struct cmd_entry *subs; /* NULL-name terminated */
    const char *dflt;       /* the child run when no positional names one; NULL: one is required */
};

/* Every command, NULL-terminated (cmd_table.c). main.c hands it to the
 * daemon (d->commands), where dispatch and help find it. */
extern const struct cmd_entry *const cmd_table[];

/* Parses, checks the level and the database, and runs the command, found
 * in ctx->d->commands. */
void cmd_dispatch(struct cmd_ctx *ctx);

/* Before a single byte of a request's body is taken: NULL when the command
 * t names takes a body and a peer of this level may run it; otherwise the
 * error code ("unknown_command", "denied" or "usage"), with the message in
 * err. Dispatch checks the rest once the body is in. */
const char *cmd_body_refusal(const struct cmd_entry *const *table, const struct tokens *t,
                             enum cmd_level level, const char *user, char *err, size_t errlen);

/* The usage of an entry after its name, newly allocated: a parent's is its
 * children's, "[list] | show [C] | target set C …" (the default child in
 * brackets). */
char *cmd_usage_new(const struct cmd_entry *e);
/* The table as `keyprojd --list-commands` prints it, one command a line:
 * name, level, usage, summary, tab-separated (doc/gen-manpage.sh and
 * doc/gen-completion.sh read it). */
void cmd_list_commands(const struct cmd_entry *const *table, FILE *out);

const char *cmd_opt(const struct cmd_args *a, const char *name);
bool cmd_flag(const struct cmd_args *a, const char *name);

/* Each command calls exactly one of these, once. data/details are stolen. */
void cmd_reply(struct cmd_ctx *ctx, json_t *data);
/* cmd_reply with data already as JSON text written with CMD_JSON_FLAGS
 * (borrowed): for an answer served again from a cache, as status does, or
 * written without a tree (db_rows_text). */
void cmd_reply_text(struct cmd_ctx *ctx, const char *data);
/* How an answer's JSON is written (control.c). */
#define CMD_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))
void cmd_error(struct cmd_ctx *ctx, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Ends the imports still running (each on its own connection), answering
 * them that keyprojd is stopping: before the control socket is freed. */
void cmd_import_stop(void);

#endif
