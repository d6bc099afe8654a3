/* ctl_errors: keyprojd's errors in the reader's language. keyprojd answers
 * in English, always (programs and logs read it); keyprojctl finds the
 * template a message was made from among those of ctl_errors_table.h
 * (generated from keyprojd's sources by scripts/error-templates), takes
 * the pieces that filled its %s, %d … and writes them into the template's
 * translation (po/zh_CN.po, context "error"), where %1$s, %2$s … may put
 * them in another order. A piece that is itself a message is translated
 * the same way ("the change failed, nothing was changed: %s"). A message
 * no template matches, or whose template has no translation, is shown as
 * keyprojd wrote it. Pure but for the catalog lookup passed in. */
#include "ac_config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_errors.h"
#include "util.h"

#define NC_(ctx, s) s

static const char *const templates[] = {
#include "ctl_errors_table.h"
};

#define MAX_PIECES 12
#define MAX_DEPTH 2

/* One conversion of a template at t ("%s", "%zu", "%.40s", "%04X", "%1$s"):
 * its length, and whether it takes a piece ("%%" does not); *digits, when
 * it is a number's, so that a piece of it is made of digits. */
static size_t
conversion(const char *t, bool *takes, bool *digits)
{
    size_t i = 1;
    *takes = true;
    *digits = false;
    if (t[1] == '%') {
        *takes = false;
        return 2;
    }
    while (t[i] >= '0' && t[i] <= '9')
        i++;
    if (t[i] == '$')
        i++;
    else
        i = 1;
    while (t[i] && strchr("-+ #0123456789.*", t[i]))
        i++;
    while (t[i] && strchr("hlzjtL", t[i]))
        i++;
    if (t[i] == '\0')
        return i;
    *digits = strchr("diu", t[i]) != NULL;
    return i + 1;
}

/* Whether msg (from m) is made from template t (from ti); the pieces found
 * go to pieces[np…]. Backtracks over where each piece ends: templates are
 * short and pieces few. */
static bool
match(const char *t, const char *m, const char **start, size_t *len, size_t np, size_t *n_out)
{
    while (*t && *t != '%') {
        if (*t != *m)
            return false;
        t++;
        m++;
    }
    if (*t == '\0') {
        if (*m != '\0')
            return false;
        *n_out = np;
        return true;
    }
    bool takes, digits;
    size_t cl = conversion(t, &takes, &digits);
    if (!takes) {
        if (*m != '%')
            return false;
        return match(t + cl, m + 1, start, len, np, n_out);
    }
    if (np == MAX_PIECES)
        return false;
    size_t rest = strlen(m);
    for (size_t k = digits ? 1 : 0; k <= rest; k++) {
        if (digits && k > 0 && !(m[k - 1] >= '0' && m[k - 1] <= '9') && !(k == 1 && m[0] == '-'))
            break;
        start[np] = m;
        len[np] = k;
        if (match(t + cl, m + k, start, len, np + 1, n_out))
            return true;
    }
    return false;
}

static char *translate(const char *msg, ctl_errors_lookup_fn lookup, int depth);

/* Writes translation tr with pieces[0..n), each translated in turn when it
 * is a message itself. */
static char *
fill(const char *tr, const char *const *start, const size_t *len, size_t n, ctl_errors_lookup_fn lookup,
     int depth)
{
    struct buf b;
    buf_init(&b);
    size_t next = 0;
    for (const char *p = tr; *p;) {
        if (*p != '%') {
            buf_putc(&b, *p++);
            continue;
        }
        bool takes, digits;
        size_t cl = conversion(p, &takes, &digits);
        if (!takes) {
            buf_putc(&b, '%');
            p += cl;
            continue;
        }
        size_t which = next++;
        char *end;
        unsigned long pos = strtoul(p + 1, &end, 10);
        if (end > p + 1 && *end == '$' && pos >= 1)
            which = pos - 1;
        /* A precision cuts the piece, on a character: "%2$.0s" drops
         * what a language has no use for (English's plural "s"). */
        const char *dot = memchr(p, '.', cl);
        long most = dot != NULL && dot[1] >= '0' && dot[1] <= '9' ? strtol(dot + 1, NULL, 10) : -1;
        if (which < n) {
            char *piece = xstrndup(start[which], len[which]);
            char *said = depth < MAX_DEPTH ? translate(piece, lookup, depth + 1) : NULL;
            const char *text = said ? said : piece;
            size_t tl = strlen(text);
            if (most >= 0 && (size_t)most < tl) {
                tl = (size_t)most;
                while (tl > 0 && ((unsigned char)text[tl] & 0xc0) == 0x80)
                    tl--;
            }
            buf_append(&b, text, tl);
            free(said);
            free(piece);
        }
        p += cl;
    }
    return buf_steal(&b);
}

/* How much of t is its own text (not conversions): of the templates a
 * message matches, the one that says the most is the one it was made
 * from ("milestone %s is already %s: reopen it first" over "milestone %s
 * is already %s%s"). */
static size_t
literal_length(const char *t)
{
    size_t n = 0;
    while (*t) {
        if (*t == '%') {
            bool takes, digits;
            t += conversion(t, &takes, &digits);
            n += !takes;
        } else {
            t++;
            n++;
        }
    }
    return n;
}

static char *
translate(const char *msg, ctl_errors_lookup_fn lookup, int depth)
{
    const char *start[MAX_PIECES], *best_start[MAX_PIECES];
    size_t len[MAX_PIECES], best_len[MAX_PIECES], n, best_n = 0, best_lit = 0;
    const char *best = NULL;
    for (size_t i = 0; i < ARRAY_LEN(templates); i++) {
        if (!match(templates[i], msg, start, len, 0, &n))
            continue;
        size_t lit = literal_length(templates[i]);
        if (best != NULL && lit <= best_lit)
            continue;
        best = templates[i];
        best_lit = lit;
        best_n = n;
        memcpy(best_start, start, n * sizeof *start);
        memcpy(best_len, len, n * sizeof *len);
    }
    if (best == NULL)
        return NULL;
    const char *tr = lookup(best);
    if (tr == NULL || tr == best || strcmp(tr, best) == 0)
        return NULL;        /* matched, but not translated */
    return fill(tr, best_start, best_len, best_n, lookup, depth);
}

char *
ctl_errors_translate(const char *message, ctl_errors_lookup_fn lookup)
{
    if (message == NULL || lookup == NULL)
        return NULL;
    return translate(message, lookup, 0);
}

size_t
ctl_errors_templates(const char *const **out)
{
    *out = templates;
    return ARRAY_LEN(templates);
}
