/* config_loader: what the files that read keyprojd.conf share — the load
 * state (the first error wins and names FILE:LINE and the key) and the
 * typed getters. Only config*.c include it. */
#ifndef KEYPROJ_CONFIG_LOADER_H
#define KEYPROJ_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <libconfig.h>

#include "config.h"

/* Load state: the first error wins and stops further checks. */
struct loader {
    const char *name;
    char *err;
    size_t errlen;
    bool failed;
};

void ld_fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Dotted path of a setting for messages ("control.mode", "receivers[2].url"). */
void ld_setting_path(const config_setting_t *s, char *out, size_t outlen);
/* Fails on a member of g whose name is not in known (NULL-terminated). */
void ld_check_known(struct loader *ld, const config_setting_t *g, const char *const *known);
/* g's member name when it has the type; NULL when absent (or g is). */
const config_setting_t *ld_member(struct loader *ld, const config_setting_t *g, const char *name, int type);
/* A string member, newly allocated; def (copied; may be NULL) when absent. */
char *ld_string(struct loader *ld, const config_setting_t *g, const char *name, const char *def);
/* An integer member in lo..hi; def when absent. */
int ld_int(struct loader *ld, const config_setting_t *g, const char *name, int def, int lo, int hi);
/* A list of strings, [ "a", "b" ], into out (matcher_free frees it). */
void ld_strings(struct loader *ld, const config_setting_t *g, const char *name, struct matcher *out, const struct words *words);
void matcher_free(struct matcher *m);

#endif
