/* cmd_util: what the command files share — argument checks that answer the
 * usage error themselves, the business date, table answers, and the one-statement writes of the
 * sql/functions/progress.sql and admin.sql functions. */
#ifndef KEYPROJ_CMD_UTIL_H
#define KEYPROJ_CMD_UTIL_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "cmd.h"
#include "values.h"

/* The words naming what runs: "problem add", "campaign target set". */
const char *cmd_call_name(const struct cmd_call *c);
/* A usage error with the usage line of the command (or subcommand). */
void cmd_usage_error(const struct cmd_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each check below answers the usage error itself and returns false. */

/* A positive whole number that fits a bigint, canonical in out ("0012" →
 * "12"). what names it ("milestone ID"), listing the command showing ids. */
bool cmd_id_arg(const struct cmd_call *c, const char *what, const char *listing, const char *s, char out[24]);
/* A date as the spreadsheets write it, as YYYY-MM-DD in out. */
bool cmd_date_arg(const struct cmd_call *c, const char *what, const char *s, char out[11]);
/* --opt DATE, or today when absent. */
bool cmd_date_opt_or_today(const struct cmd_call *c, const char *opt, char out[11]);
/* --limit N: a number of rows from 1 to max, def when absent, in out. */
bool cmd_limit_opt(const struct cmd_call *c, long def, long max, char out[16]);
/* --since -1d|-12h|DATE|TIME (timearg.h) as unix seconds in out, *param
 * pointing at it; *param NULL when absent. */
bool cmd_since_opt(const struct cmd_call *c, char out[32], const char **param);
/* True when s has something besides blanks (ASCII or U+3000). */
bool cmd_has_text(const char *s);
/* An option that must say something, like --reason (why: what it is for). */
bool cmd_required_text(const struct cmd_call *c, const char *opt, const char *why, const char **out);
/* A text option that may be absent; given, it must not be blank. */
bool cmd_optional_text(const struct cmd_call *c, const char *opt, const char **out);
/* An enum option mapped to its canonical name in words (NULL when
 * absent); an unknown value is a usage error listing the expected ones. */
bool cmd_enum_opt(const struct cmd_call *c, const char *opt, const struct words *words, const char **out);

/* The business date of the daemon's clock, YYYY-MM-DD. */
void cmd_today(const struct cmd_ctx *ctx, char out[11]);

/* A usage error for entry e: "<what is wrong>; usage: NAME USAGE". */
void cmd_usage_for(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A db_result_fn answering the rows as a table (arg: the cmd_ctx). */
void cmd_on_rows(void *arg, const PGresult *res, const char *err);

/* --status on milestones (`milestones`, `export milestones`, a value of
 * words_milestone_filter): its condition on milestone m, given the
 * parameters holding today and the canonical value (NULL: any). "pending"
 * is pending and not yet overdue. */
#define CMD_MILESTONE_FILTER_SQL(today, value) \
    "(" value "::text IS NULL OR (CASE WHEN " value " = 'overdue' THEN m.status = 'pending' AND m.due_on < " \
    today "::date WHEN " value " = 'pending' THEN m.status = 'pending' AND m.due_on >= " today "::date" \
    " ELSE m.status = " value " END))"

/* The callback of a write function's statement: answers its data, or its
 * refusal ({"ok": false, "code", "message"}) as that error. arg is the ctx. */
void cmd_on_written(void *arg, const PGresult *res, const char *err);

/* Runs call, a write function and its first n (at most 12) parameters
 * with their types ("keyproj_milestone_done($1::bigint, $2::date, $3::text"),
 * completed with the three every write function takes last: today, the
 * actor and the request id. Answers what the function answers: its data,
 * or its refusal ({"ok": false, "code", "message"}) as that error. */
void cmd_run_write(struct cmd_ctx *ctx, const char *call, int n, const char *const *args);

#endif
