/* cmd: argument parsing against each entry's spec, level and database
 * checks, replies, and the commands about the table itself (help,
 * version). The table is cmd_table.c's, reached through the daemon
 * (d->commands): the commands build on this file, not it on them. A
 * command never writes to a socket directly. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_refusal.h"
#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "migrate.h"
#include "status_cache.h"
#include "util.h"

static bool
named(const struct cmd_entry *e, const char *name)
{
    if (strcmp(e->name, name) == 0)
        return true;
    for (const char *const *al = e->aliases; al && *al; al++)
        if (strcmp(*al, name) == 0)
            return true;
    return false;
}

static const struct cmd_entry *
find(const struct cmd_entry *const *table, const char *name)
{
    for (const struct cmd_entry *const *e = table; *e; e++)
        if (named(*e, name))
            return *e;
    return NULL;
}

static const struct cmd_entry *
find_sub(const struct cmd_entry *e, const char *name)
{
    for (const struct cmd_entry *s = e->subs; s && s->name; s++)
        if (named(s, name))
            return s;
    return NULL;
}

char *
cmd_usage_new(const struct cmd_entry *e)
{
    if (e->subs == NULL)
        return xstrdup(e->usage);
    struct buf b;
    buf_init(&b);
    for (const struct cmd_entry *s = e->subs; s->name; s++) {
        char *u = cmd_usage_new(s);
        bool dflt = e->dflt && strcmp(e->dflt, s->name) == 0;
        buf_printf(&b, "%s%s%s%s%s%s", s == e->subs ? "" : " | ", dflt ? "[" : "", s->name, dflt ? "]" : "",
                   u[0] ? " " : "", u);
        free(u);
    }
    return buf_steal(&b);
}

/* "NAME USAGE", newly allocated. */
static char *
usage_of(const char *name, const struct cmd_entry *e)
{
    char *u = cmd_usage_new(e);
    char *full = u[0] ? xasprintf("%s %s", name, u) : xstrdup(name);
    free(u);
    return full;
}

/* An option of e, or of any of its subcommands (which says whether the
 * one named runs takes it once it is known). */
static const struct cmd_opt *
find_opt(const struct cmd_entry *e, const char *name, size_t len)
{
    for (const struct cmd_opt *o = e->opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    for (const struct cmd_entry *s = e->subs; s && s->name; s++) {
        const struct cmd_opt *o = find_opt(s, name, len);
        if (o != NULL)
            return o;
    }
    return NULL;
}

/* Splits argv into positionals and --options per the entry's spec. Returns
 * false with err set on anything the spec does not allow. */
static bool
parse_args(const struct cmd_entry *e, struct tokens *t, struct cmd_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->pos = xcalloc((size_t)t->argc + 1, sizeof(char *));
    for (int i = 1; i < t->argc; i++) {
        const char *arg = t->argv[i];
        if (strcmp(arg, "--") == 0) {
            while (++i < t->argc)
                a->pos[a->npos++] = t->argv[i];
            break;
        }
        if (!str_startswith(arg, "--") || arg[2] == '\0') {
            a->pos[a->npos++] = t->argv[i];
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct cmd_opt *o = find_opt(e, name, nlen);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option --%.*s", (int)nlen, name);
            return false;
        }
        const char *value = "";
        if (o->has_value) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < t->argc)
                value = t->argv[++i];
            else {
                snprintf(err, errlen, "option --%s needs a value", o->name);
                return false;
            }
        } else if (eq) {
            snprintf(err, errlen, "option --%s takes no value", o->name);
            return false;
        }
        if (a->nopt == CMD_MAX_OPTS) {
            snprintf(err, errlen, "too many options");
            return false;
        }
        a->opt[a->nopt].name = o->name;
        a->opt[a->nopt].value = value;
        a->nopt++;
    }
    if (e->subs == NULL && (a->npos < e->min_pos || a->npos > e->max_pos)) {
        snprintf(err, errlen, a->npos < e->min_pos ? "missing argument" : "too many arguments");
        return false;
    }
    return true;
}

const char *
cmd_opt(const struct cmd_args *a, const char *name)
{
    for (int i = a->nopt - 1; i >= 0; i--)   /* the last one given wins */
        if (strcmp(a->opt[i].name, name) == 0)
            return a->opt[i].value;
    return NULL;
}

bool
cmd_flag(const struct cmd_args *a, const char *name)
{
    return cmd_opt(a, name) != NULL;
}

void
cmd_reply(struct cmd_ctx *ctx, json_t *data)
{
    ctx->result = "ok";
    if (ctx->may_write)
        status_cache_invalidate(ctx->d, true);
    json_t *r = json_object();
    json_object_set_new(r, "ok", json_true());
    json_object_set_new(r, "data", data ? data : json_null());
    ctx->out->respond(ctx, r);
}

void
cmd_reply_text(struct cmd_ctx *ctx, const char *data)
{
    ctx->result = "ok";
    if (ctx->may_write)
        status_cache_invalidate(ctx->d, true);
    ctx->out->respond_text(ctx, data);
}

void
cmd_error(struct cmd_ctx *ctx, const char *code, json_t *details, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    ctx->result = code;
    if (ctx->may_write)
        status_cache_invalidate(ctx->d, true);
    if (audit_refusal_code(code) && !ctx->unaudited)
        audit_refusal(ctx->d, ctx->uid, ctx->user, ctx->level, ctx->tok.argc > 0 ? ctx->tok.argv[0] : NULL, code,
                      msg, ctx->request_id);
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (details)
        json_object_set_new(e, "details", details);
    json_t *r = json_pack("{s:b, s:o}", "ok", 0, "error", e);
    free(msg);
    ctx->out->respond(ctx, r);
}

static void usage_error(struct cmd_ctx *ctx, const char *name, const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "<what is wrong>; usage: NAME USAGE" for entry e, named name. */
static void
usage_error(struct cmd_ctx *ctx, const char *name, const struct cmd_entry *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char *u = usage_of(name, e);
    cmd_error(ctx, "usage", NULL, "%s; usage: %s", msg, u);
    free(u);
    free(msg);
}

/* "add, list or resolve", newly allocated. */
static char *
sub_names(const struct cmd_entry *e)
{
    struct buf b;
    buf_init(&b);
    for (const struct cmd_entry *s = e->subs; s->name; s++)
        buf_printf(&b, "%s%s", s == e->subs ? "" : s[1].name ? ", " : " or ", s->name);
    return buf_steal(&b);
}

static bool
takes_opt(const struct cmd_entry *e, const char *opt)
{
    for (const struct cmd_opt *o = e->opts; o && o->name; o++)
        if (strcmp(o->name, opt) == 0)
            return true;
    return false;
}

/* Finds the subcommand of parent that a (its positionals after the
 * parent's name) names, and checks it can run: its level, positionals and
 * options. Writes its name to name and its positionals to sa; NULL after
 * a refusal was sent. */
static const struct cmd_entry *
pick_sub(struct cmd_ctx *ctx, struct buf *name, const struct cmd_entry *parent, struct cmd_args *sa)
{
    const char *word = sa->npos > 0 ? sa->pos[0] : parent->dflt;
    if (word == NULL) {
        usage_error(ctx, name->data, parent, "'%s' needs an action", name->data);
        return NULL;
    }
    const struct cmd_entry *s = find_sub(parent, word);
    if (s == NULL) {
        char *names = sub_names(parent);
        usage_error(ctx, name->data, parent, "unknown %s action '%s' (expected %s)", name->data, word, names);
        free(names);
        return NULL;
    }
    if (sa->npos > 0) {
        sa->pos++;
        sa->npos--;
    }
    buf_printf(name, " %s", s->name);
    if (ctx->level < s->level) {
        cmd_error(ctx, "denied", NULL, "'%s' needs the %s level; user %s has %s", name->data, cmd_level_name(s->level),
                  ctx->user, cmd_level_name(ctx->level));
        return NULL;
    }
    if (s->subs != NULL)
        return pick_sub(ctx, name, s, sa);
    if (sa->npos < s->min_pos || sa->npos > s->max_pos) {
        usage_error(ctx, name->data, s, sa->npos < s->min_pos ? "missing argument" : "too many arguments");
        return NULL;
    }
    for (int i = 0; i < sa->nopt; i++)
        if (!takes_opt(s, sa->opt[i].name)) {
            usage_error(ctx, name->data, s, "'%s' takes no --%s", name->data, sa->opt[i].name);
            return NULL;
        }
    return s;
}

const char *
cmd_body_refusal(const struct cmd_entry *const *table, const struct tokens *t, enum cmd_level level,
                 const char *user, char *err, size_t errlen)
{
    const struct cmd_entry *e = t->argc > 0 ? find(table, t->argv[0]) : NULL;
    if (e == NULL) {
        snprintf(err, errlen, "unknown command '%s' with a body: try 'help'", t->argc > 0 ? t->argv[0] : "");
        return "unknown_command";
    }
    if (level < e->level) {
        snprintf(err, errlen, "'%s' needs the %s level; user %s has %s (its body was not read)", e->name,
                 cmd_level_name(e->level), user, cmd_level_name(level));
        return "denied";
    }
    if (!(e->flags & CMD_BODY)) {
        snprintf(err, errlen, "'%s' takes no body (--bytes)", e->name);
        return "usage";
    }
    return NULL;
}

struct db *
cmd_db(const struct cmd_ctx *ctx)
{
    return ctx->db ? ctx->db : ctx->d->db;
}

void
cmd_dispatch(struct cmd_ctx *ctx)
{
    if (ctx->tok.argc == 0) {
        cmd_error(ctx, "usage", NULL, "empty request: try 'help'");
        return;
    }
    const struct cmd_entry *e = find(ctx->d->commands, ctx->tok.argv[0]);
    if (e == NULL) {
        cmd_error(ctx, "unknown_command", NULL, "unknown command '%s': try 'help'", ctx->tok.argv[0]);
        return;
    }
    if (ctx->level < e->level) {
        cmd_error(ctx, "denied", NULL, "'%s' needs the %s level; user %s has %s", e->name,
                  cmd_level_name(e->level), ctx->user, cmd_level_name(ctx->level));
        return;
    }
    if (ctx->body != NULL && !(e->flags & CMD_BODY)) {
        cmd_error(ctx, "usage", NULL, "'%s' takes no body (--bytes)", e->name);
        return;
    }
    struct cmd_args a;
    char err[200];
    if (!parse_args(e, &ctx->tok, &a, err, sizeof err)) {
        usage_error(ctx, e->name, e, "%s", err);
        free(a.pos);
        return;
    }
    if ((e->flags & CMD_NEEDS_DB) && !ctx->d->db_ready) {
        cmd_error(ctx, "unavailable", NULL, "the database is not available: %s",
                  ctx->d->schema_error ? ctx->d->schema_error : "not connected (keyprojd keeps retrying)");
        free(a.pos);
        return;
    }
    struct cmd_args sa = a;   /* the positionals after the subcommand's name */
    struct buf name;
    buf_init(&name);
    buf_puts(&name, e->name);
    const struct cmd_entry *run = e->subs ? pick_sub(ctx, &name, e, &sa) : e;
    if (run != NULL) {
        /* Whatever an admin runs, and whatever anyone runs against the
         * database at the admin level, may change what status counts: once
         * it answers, the next status waits for counts that include it. */
        ctx->may_write = run->level == LEVEL_ADMIN || e->level == LEVEL_ADMIN ||
                         (ctx->level == LEVEL_ADMIN && (e->flags & CMD_NEEDS_DB));
        /* Positionals point into ctx->tok, which outlives the command. */
        const struct cmd_call c = {
            .ctx = ctx, .e = e, .sub = run != e ? run : NULL, .a = &sa, .name = name.data,
        };
        if (run->run)
            run->run(&c);
        else
            run->exec(ctx, &sa);
    }
    buf_free(&name);
    free(a.pos);
}

/* ---- help, version ---------------------------------------------------- */

/* One subcommand's line of `help COMMAND`: its usage and level, and its
 * own subcommands'. */
static void
help_subs(json_t *rows, const char *name, const struct cmd_entry *e)
{
    for (const struct cmd_entry *s = e->subs; s && s->name; s++) {
        char *sname = xasprintf("%s %s", name, s->name);
        if (s->subs) {
            help_subs(rows, sname, s);
        } else {
            char *u = usage_of(sname, s);
            json_array_append_new(rows, json_pack("{s:s, s:s}", "usage", u, "level", cmd_level_name(s->level)));
            free(u);
        }
        free(sname);
    }
}

static void
help_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    if (a->npos == 1) {
        const struct cmd_entry *e = find(ctx->d->commands, a->pos[0]);
        if (e == NULL) {
            cmd_error(ctx, "not_found", NULL, "no command '%s': try 'help'", a->pos[0]);
            return;
        }
        char *u = usage_of(e->name, e);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "command", e->name, "usage", u,
                              "level", cmd_level_name(e->level), "summary", e->summary);
        free(u);
        if (e->subs) {      /* each with its level: "problem add" is the admin's */
            json_t *subs = json_array();
            help_subs(subs, e->name, e);
            json_object_set_new(o, "subcommands", subs);
        }
        cmd_reply(ctx, o);
        return;
    }
    json_t *rows = json_array();
    for (const struct cmd_entry *const *e = ctx->d->commands; *e; e++) {
        if ((*e)->level > ctx->level)
            continue;   /* list what the caller may run, as HAProxy does */
        char *u = usage_of((*e)->name, *e);
        json_array_append_new(rows, json_pack("{s:s, s:s}", "usage", u, "summary", (*e)->summary));
        free(u);
    }
    cmd_reply(ctx, rows);
}

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .usage = "[COMMAND]",
    .summary = "list the commands you may run, or show one command's usage (and its subcommands', with their levels)",
    .level = LEVEL_OPERATOR,
    .max_pos = 1,
    .exec = help_exec,
};

static void
version_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    cmd_reply(ctx, json_pack("{s:s, s:s, s:i}", "name", PACKAGE_NAME, "version", PACKAGE_VERSION,
                             "schema", migrate_latest()));
}

const struct cmd_entry cmd_version_entry = {
    .name = "version",
    .usage = "",
    .summary = "show keyprojd's version and the schema version it brings",
    .level = LEVEL_OPERATOR,
    .exec = version_exec,
};

void
cmd_list_commands(const struct cmd_entry *const *table, FILE *out)
{
    for (const struct cmd_entry *const *e = table; *e; e++) {
        char *u = cmd_usage_new(*e);
        fprintf(out, "%s\t%s\t%s\t%s\n", (*e)->name, cmd_level_name((*e)->level), u, (*e)->summary);
        free(u);
    }
}
