/* tokenize: one control-socket request line → argv, with the quoting a
 * person types into socat and keyprojctl produces. Must never expand
 * anything ($, globs, ~): the bytes inside quotes are the argument. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "tokenize.h"
#include "util.h"

struct lexer {
    const char *p, *end;
    struct buf arg;
    char *err;
    size_t errlen;
};

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* After a backslash inside double quotes; unknown escapes keep the
 * backslash, as sh does, so a Windows path survives being typed. */
static void
dq_escape(struct lexer *lx)
{
    char c = *lx->p++;
    switch (c) {
    case 'n':
        buf_putc(&lx->arg, '\n');
        break;
    case 't':
        buf_putc(&lx->arg, '\t');
        break;
    case 'r':
        buf_putc(&lx->arg, '\r');
        break;
    case '"':
    case '\\':
        buf_putc(&lx->arg, c);
        break;
    default:
        buf_putc(&lx->arg, '\\');
        buf_putc(&lx->arg, c);
        break;
    }
}

/* From just after an opening quote through its closing quote. */
static bool
quoted(struct lexer *lx, char q)
{
    while (lx->p < lx->end) {
        char c = *lx->p++;
        if (c == q)
            return true;
        if (q == '"' && c == '\\' && lx->p < lx->end)
            dq_escape(lx);
        else
            buf_putc(&lx->arg, c);
    }
    snprintf(lx->err, lx->errlen, "unbalanced quote");
    return false;
}

/* One argument, starting at a non-blank byte; quoted and unquoted pieces
 * next to each other join (a"b c"d is one argument). */
static bool
word(struct lexer *lx)
{
    buf_reset(&lx->arg);
    while (lx->p < lx->end && !is_blank(*lx->p)) {
        char c = *lx->p++;
        if (c == '\'' || c == '"') {
            if (!quoted(lx, c))
                return false;
        } else if (c == '\\') {
            if (lx->p == lx->end) {
                snprintf(lx->err, lx->errlen, "backslash at end of line");
                return false;
            }
            buf_putc(&lx->arg, *lx->p++);
        } else {
            buf_putc(&lx->arg, c);
        }
    }
    return true;
}

static bool
check_bytes(const char *line, size_t len, char *err, size_t errlen)
{
    size_t bad;
    if (utf8_valid(line, len, &bad))
        return true;
    if (line[bad] == '\0')
        snprintf(err, errlen, "NUL byte at byte %zu", bad);
    else
        snprintf(err, errlen, "invalid UTF-8 at byte %zu", bad);
    return false;
}

static void
push_arg(struct tokens *t, const struct buf *arg)
{
    t->argv = xreallocarray(t->argv, (size_t)t->argc + 2, sizeof *t->argv);
    t->argv[t->argc++] = xstrndup(arg->data != NULL ? arg->data : "", arg->len);
    t->argv[t->argc] = NULL;
}

int
tokenize(const char *line, size_t len, int max_args, struct tokens *out,
         char *err, size_t errlen)
{
    /* The line end may still be attached; socat sends CRLF. */
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    struct lexer lx = {.p = line, .end = line + len, .err = err, .errlen = errlen};
    bool ok = check_bytes(line, len, err, errlen);

    buf_init(&lx.arg);
    out->argc = 0;
    out->argv = xcalloc(1, sizeof *out->argv);
    while (ok) {
        while (lx.p < lx.end && is_blank(*lx.p))
            lx.p++;
        if (lx.p == lx.end)
            break;
        if (out->argc >= max_args) {
            snprintf(err, errlen, "too many arguments (max %d)", max_args);
            ok = false;
        } else if ((ok = word(&lx))) {
            push_arg(out, &lx.arg);
        }
    }
    buf_free(&lx.arg);
    if (!ok)
        tokens_free(out);
    return ok ? 0 : -1;
}

void
tokens_free(struct tokens *t)
{
    if (t->argv != NULL)
        for (int i = 0; i < t->argc; i++)
            free(t->argv[i]);
    free(t->argv);
    t->argv = NULL;
    t->argc = 0;
}

/* Bytes that need no quoting: they can neither split nor start a quote or
 * escape. Non-ASCII counts as safe because only ASCII blanks separate. */
static bool
plain_byte(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("-_./:=@,+%^", c) != NULL;
}

void
token_quote(struct buf *out, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    bool plain = *u != '\0', single_ok = true;
    for (; *u != '\0'; u++) {
        plain = plain && plain_byte(*u);
        /* A raw line end inside quotes would end the request line. */
        if (*u == '\'' || *u == '\n' || *u == '\r')
            single_ok = false;
    }
    if (plain) {
        buf_puts(out, s);
    } else if (single_ok) {
        buf_putc(out, '\'');
        buf_puts(out, s);
        buf_putc(out, '\'');
    } else {
        buf_putc(out, '"');
        for (; *s != '\0'; s++) {
            if (*s == '"' || *s == '\\')
                buf_putc(out, '\\');
            if (*s == '\n' || *s == '\r') {
                buf_puts(out, *s == '\n' ? "\\n" : "\\r");
                continue;
            }
            buf_putc(out, *s);
        }
        buf_putc(out, '"');
    }
}
