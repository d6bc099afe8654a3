/* audit_refusal: refused control requests into audit_log. The hook is
 * called from control.c (refusals before a command runs) and cmd.c
 * (refusals by the command table); it must never delay or fail the
 * answer, and a peer hammering the socket must not flood the table. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit_refusal.h"
#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "text.h"
#include "throttle.h"
#include "util.h"

#define AUDIT_WINDOW_SECONDS 60.0
/* Bytes kept of a command word and of a message (peers choose them). */
#define AUDIT_TEXT_MAX 200

struct audit_refusals {
    struct throttle rows;       /* AUDIT_REFUSALS_PER_MINUTE rows per uid */
};

bool
audit_refusal_code(const char *code)
{
    static const char *const codes[] = { "denied", "usage", "unknown_command", "busy", "too_large", NULL };
    for (const char *const *c = codes; *c; c++)
        if (strcmp(code, *c) == 0)
            return true;
    return false;
}

/* Whether a row for uid may be written now; *suppressed is how many
 * were not since the last one. */
static bool
may_write(struct daemon *d, uid_t uid, unsigned *suppressed)
{
    if (d->refusals == NULL) {
        d->refusals = xcalloc(1, sizeof *d->refusals);
        d->refusals->rows.window = AUDIT_WINDOW_SECONDS;
        d->refusals->rows.per_window = AUDIT_REFUSALS_PER_MINUTE;
    }
    return throttle_allow(&d->refusals->rows, (unsigned)uid, clock_now(NULL), suppressed);
}

/* A peer's text as the database takes it: valid UTF-8 without control
 * characters, at most AUDIT_TEXT_MAX bytes. Newly allocated. */
static char *
clean_text(const char *s)
{
    size_t n = strnlen(s, AUDIT_TEXT_MAX);
    char *t = xstrndup(s, n);
    bool utf8 = utf8_valid(t, n, NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            t[i] = '?';
    }
    /* A cut in the middle of a character: drop its lead bytes. */
    while (utf8 && n > 0 && !utf8_valid(t, n, NULL))
        t[--n] = '\0';
    return t;
}

static void
on_audited(void *arg, const PGresult *res, const char *err)
{
    (void)arg;
    (void)res;
    if (err)
        log_warn("could not audit a refused control request", "error=%s", log_q(err));
}

void
audit_refusal(struct daemon *d, uid_t uid, const char *user, enum cmd_level level, const char *command,
              const char *code, const char *message, unsigned long request_id)
{
    unsigned suppressed = 0;
    if (d->db == NULL || !d->db_ready || !may_write(d, uid, &suppressed))
        return;
    char *cmd = clean_text(command ? command : "");
    char *msg = clean_text(message ? message : "");
    char *result = xasprintf("%s: %s", code, msg);
    char uidbuf[16], supbuf[16], reqbuf[24];
    snprintf(uidbuf, sizeof uidbuf, "%u", (unsigned)uid);
    snprintf(supbuf, sizeof supbuf, "%u", suppressed);
    snprintf(reqbuf, sizeof reqbuf, "%lu", request_id);
    const char *params[] = {
        user ? user : uidbuf, cmd, cmd_level_name(level), uidbuf, code, supbuf, result,
        request_id ? reqbuf : NULL,
    };
    db_query(d->db,
             "SELECT keyproj_audit($1, 'control.refused', CASE WHEN $2::text = '' THEN 'connection' ELSE 'command:' || $2::text END,"
             " NULL, jsonb_build_object('command', NULLIF($2::text, ''), 'level', $3::text, 'uid', $4::bigint,"
             " 'code', $5::text, 'suppressed', $6::int), $7, $8)",
             8, params, on_audited, NULL);
    free(result);
    free(msg);
    free(cmd);
}

void
audit_refusals_free(struct daemon *d)
{
    free(d->refusals);
    d->refusals = NULL;
}
