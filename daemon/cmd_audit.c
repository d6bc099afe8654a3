/* cmd_audit: `audit` — the audit trail, newest first: who changed what,
 * the old and new values, the result (refusals included) and the request
 * id that ties a row to keyprojd's log line. Read-only; operators may look. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_util.h"
#include "daemon.h"
#include "db.h"
#include "timearg.h"

extern const struct cmd_entry cmd_audit_entry;

#define AUDIT_DEFAULT_LIMIT 100
#define AUDIT_MAX_LIMIT 10000

/* --since: "-7d" or "-12h" back from now ("7d" too: a --since looks
 * back), a day (from its start in the configured time zone: 2026-11-25,
 * 2026/11/25, 2026年11月25日) or an instant (2026-11-25T09:00, 2026-11-25
 * 09:00:00+08:00), as timearg reads them. Relative to the real time, not
 * the test clock (--now): audit rows carry the database's clock. */
static bool
since_arg(const struct cmd_call *c, char out[32])
{
    const char *s = cmd_opt(c->a, "since");
    if (s == NULL) {
        out[0] = '\0';
        return true;
    }
    char back[40];
    size_t digits = strspn(s, "0123456789");
    if (digits > 0 && digits + 1 == strlen(s) && strchr("mhdw", s[digits]) && digits + 2 < sizeof back) {
        snprintf(back, sizeof back, "-%s", s);
        s = back;
    }
    double t;
    if (!timearg_parse(s, clock_now(NULL), &t)) {
        cmd_usage_error(c, "--since '%s' is not a time (like 7d, -12h, 2026-11-25 or 2026-11-25T09:00)",
                        cmd_opt(c->a, "since"));
        return false;
    }
    snprintf(out, 32, "%.3f", t);
    return true;
}

static void
audit_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct cmd_call c = { .ctx = ctx, .e = &cmd_audit_entry, .a = a };
    char since[32], limit[16];
    if (!since_arg(&c, since) || !cmd_limit_opt(&c, AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, limit))
        return;
    const char *params[] = {
        ctx->d->cfg->timezone, since[0] ? since : NULL, cmd_opt(a, "actor"), cmd_opt(a, "action"),
        cmd_opt(a, "subject"), limit,
    };
    /* --action import matches import.projects …; --subject report:CODE
     * matches report:CODE/2026-10 … (and milestone:CODE the imported
     * milestones of CODE). Newest first: by time, then by id within one
     * transaction (whose rows share its time). */
    db_query(cmd_db(ctx),
             "SELECT a.id, to_char(a.at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS') AS at, a.actor, a.action,"
             " a.subject, a.result, a.old, a.new, a.request_id"
             " FROM audit_log a"
             " WHERE ($2::float8 IS NULL OR a.at >= to_timestamp($2::float8))"
             " AND ($3::text IS NULL OR a.actor = $3)"
             " AND ($4::text IS NULL OR a.action = $4 OR left(a.action, length($4) + 1) = $4 || '.')"
             /* the range finds them on audit_log_subject_idx (sql/0009_audit_subject.sql) */
             " AND ($5::text IS NULL OR (a.subject COLLATE \"C\" >= $5 AND a.subject COLLATE \"C\" < $5 || '0'"
             "   AND (a.subject = $5 OR left(a.subject, length($5) + 1) = $5 || '/')))"
             " ORDER BY a.at DESC, a.id DESC LIMIT $6::int",
             6, params, cmd_on_rows, ctx);
}

static const struct cmd_opt audit_opts[] = {
    { "since", true }, { "actor", true }, { "action", true }, { "subject", true }, { "limit", true },
    { NULL, false },
};

const struct cmd_entry cmd_audit_entry = {
    .name = "audit",
    .usage = "[--since 7d|DATE|TIME] [--actor USER] [--action A] [--subject S] [--limit N]",
    .summary = "the audit trail, newest first (default 100 rows): who changed what, old and new values, result, request id",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .opts = audit_opts,
    .exec = audit_exec,
};
