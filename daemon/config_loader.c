/* config_loader: the load state and typed getters that every part of
 * reading keyprojd.conf shares. Never copies a value into a message
 * unless the caller passes it (secrets stay out). */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "util.h"

void
ld_fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    if (ld->failed)
        return;
    ld->failed = true;
    int line = s ? (int)config_setting_source_line(s) : 0;
    const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : ld->name;
    int n = line > 0 ? snprintf(ld->err, ld->errlen, "%s:%d: ", file, line)
                     : snprintf(ld->err, ld->errlen, "%s: ", file);
    if (n < 0 || (size_t)n >= ld->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Dotted path of a setting for messages ("control.mode", "receivers[2].url"). */
void
ld_setting_path(const config_setting_t *s, char *out, size_t outlen)
{
    const config_setting_t *chain[16];
    size_t n = 0;
    for (const config_setting_t *p = s; p && !config_setting_is_root(p) && n < 16; p = config_setting_parent(p))
        chain[n++] = p;
    size_t o = 0;
    out[0] = '\0';
    while (n-- > 0 && o < outlen) {
        const config_setting_t *p = chain[n];
        const char *name = config_setting_name(p);
        int w;
        if (name)
            w = snprintf(out + o, outlen - o, "%s%s", o ? "." : "", name);
        else
            w = snprintf(out + o, outlen - o, "[%d]", config_setting_index(p));
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* Refuses any member of group g not in known (typos must not pass silently). */
void
ld_check_known(struct loader *ld, const config_setting_t *g, const char *const *known)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n && !ld->failed; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            if (name && strcmp(name, *k) == 0)
                ok = true;
        if (!ok) {
            char path[256];
            ld_setting_path(m, path, sizeof path);
            ld_fail(ld, m, "unknown setting '%s'", path);
        }
    }
}

const config_setting_t *
ld_member(struct loader *ld, const config_setting_t *g, const char *name, int type)
{
    if (g == NULL || ld->failed)
        return NULL;
    const config_setting_t *s = config_setting_get_member(g, name);
    if (s == NULL)
        return NULL;
    int t = config_setting_type(s);
    bool ok = t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64);
    if (!ok) {
        static const char *const names[] = {
            [CONFIG_TYPE_GROUP] = "a group { … }", [CONFIG_TYPE_INT] = "an integer",
            [CONFIG_TYPE_INT64] = "an integer", [CONFIG_TYPE_FLOAT] = "a number",
            [CONFIG_TYPE_STRING] = "a string", [CONFIG_TYPE_BOOL] = "true or false",
            [CONFIG_TYPE_ARRAY] = "an array [ … ]", [CONFIG_TYPE_LIST] = "a list ( … )",
        };
        char path[256];
        ld_setting_path(s, path, sizeof path);
        ld_fail(ld, s, "%s must be %s", path, names[type]);
        return NULL;
    }
    return s;
}

char *
ld_string(struct loader *ld, const config_setting_t *g, const char *name, const char *def)
{
    const config_setting_t *s = ld_member(ld, g, name, CONFIG_TYPE_STRING);
    const char *v = s ? config_setting_get_string(s) : def;
    return v ? xstrdup(v) : NULL;
}

int
ld_int(struct loader *ld, const config_setting_t *g, const char *name, int def, int lo, int hi)
{
    const config_setting_t *s = ld_member(ld, g, name, CONFIG_TYPE_INT);
    if (s == NULL)
        return def;
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi) {
        char path[256];
        ld_setting_path(s, path, sizeof path);
        ld_fail(ld, s, "%s must be between %d and %d (got %lld)", path, lo, hi, v);
        return def;
    }
    return (int)v;
}

void
matcher_free(struct matcher *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* Reads an array of strings; normalize (may be NULL) maps each value to its
 * canonical spelling or returns NULL for an unknown one. */
void
ld_strings(struct loader *ld, const config_setting_t *g, const char *name, struct matcher *out,
            const struct words *words)
{
    const config_setting_t *s = ld_member(ld, g, name, CONFIG_TYPE_ARRAY);
    if (s == NULL)
        return;
    int n = config_setting_length(s);
    out->v = xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n && !ld->failed; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char path[256];
        ld_setting_path(s, path, sizeof path);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            ld_fail(ld, s, "%s must hold strings", path);
            return;
        }
        const char *v = config_setting_get_string(e);
        if (words) {
            const char *c = words_map(words, v);
            if (c == NULL) {
                char *expected = words_expected_new(words);
                ld_fail(ld, s, "%s: unknown value '%s' (expected one of %s)", path, v, expected);
                free(expected);
                return;
            }
            v = c;
        }
        out->v[out->n++] = xstrdup(v);
    }
}
