/* config_receivers: the receivers list of keyprojd.conf — names, types,
 * URLs and secrets (inline or in files only the daemon reads), matchers,
 * rates within each robot's published limit. A URL or secret is never
 * copied into a message. */
#include "ac_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_loader.h"
#include "config_receivers.h"
#include "pace.h"
#include "util.h"
#include "values.h"

static bool
receiver_name_ok(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

/* A receiver's url_file or secret_file: the value is read from that file
 * (trailing white space dropped) so that the main configuration need hold
 * no secret. *file becomes the resolved path (a relative one is taken from
 * the configuration's directory), for --check-config. Never quotes the
 * file's contents. */
static bool
value_from_file(struct loader *ld, const config_setting_t *r, const char *rname, const char *key, char **value,
                char **file)
{
    if (*file == NULL)
        return true;
    char fkey[16];
    snprintf(fkey, sizeof fkey, "%s_file", key);
    const config_setting_t *s = config_setting_get_member(r, fkey);
    if (*value != NULL) {
        ld_fail(ld, s, "receiver '%s': set %s or %s, not both", rname, key, fkey);
        return false;
    }
    const char *slash = strrchr(ld->name, '/');
    if ((*file)[0] != '/' && slash != NULL) {
        char *abs = xasprintf("%.*s/%s", (int)(slash - ld->name), ld->name, *file);
        free(*file);
        *file = abs;
    }
    FILE *f = fopen(*file, "re");
    if (f == NULL) {
        ld_fail(ld, s, "receiver '%s': %s %s: %s", rname, fkey, *file, strerror(errno));
        return false;
    }
    char buf[4097];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        n--;
    buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
    bool bad = n == 0 || n >= sizeof buf || strlen(buf) != n || strpbrk(buf, "\r\n") != NULL;
    if (bad) {
        ld_fail(ld, s, "receiver '%s': %s %s: expected one line of 1 to 4096 bytes", rname, fkey, *file);
        return false;
    }
    *value = xstrdup(buf);
    explicit_bzero(buf, sizeof buf);
    return true;
}

static void
load_receiver(struct loader *ld, const config_setting_t *r, struct config *cfg, struct receiver *rv)
{
    static const char *const known[] = {
        "name", "type", "url", "url_file", "secret", "secret_file", "proxy", "max_concurrency",
        "rate_per_minute", "timeout_seconds", "match", "digest_window_seconds", "reds_only_at_once", NULL,
    };
    static const char *const match_known[] = {
        "county", "sector", "level", "kind", "light", "stage", "leader", "unit", NULL,
    };
    char path[64];
    ld_setting_path(r, path, sizeof path);
    if (config_setting_type(r) != CONFIG_TYPE_GROUP) {
        ld_fail(ld, r, "%s: each receiver must be a group { name = …; type = …; url = …; }", path);
        return;
    }
    ld_check_known(ld, r, known);
    rv->name = ld_string(ld, r, "name", NULL);
    rv->type = ld_string(ld, r, "type", "json");
    rv->url = ld_string(ld, r, "url", NULL);
    rv->secret = ld_string(ld, r, "secret", NULL);
    rv->url_file = ld_string(ld, r, "url_file", NULL);
    rv->secret_file = ld_string(ld, r, "secret_file", NULL);
    rv->proxy = ld_string(ld, r, "proxy", NULL);
    bool chat = rv->type && strcmp(rv->type, "json") != 0;
    rv->max_concurrency = ld_int(ld, r, "max_concurrency", chat ? 1 : 4, 1, 256);
    /* A chat robot's published limit is the default and the ceiling
     * (pace.h); the check follows once the type is known. */
    const struct robot_limit *lim = pace_limit(rv->type);
    rv->rate_per_minute = ld_int(ld, r, "rate_per_minute", lim ? lim->per_minute : 600, 1, 100000);
    rv->timeout_seconds = ld_int(ld, r, "timeout_seconds", 20, 1, 600);
    rv->digest_window_seconds = ld_int(ld, r, "digest_window_seconds", 60, 0, 3600);
    const config_setting_t *reds = ld_member(ld, r, "reds_only_at_once", CONFIG_TYPE_BOOL);
    rv->reds_only_at_once = reds ? config_setting_get_bool(reds) : false;
    if (rv->reds_only_at_once && cfg->digest_min < 0)
        ld_fail(ld, reds, "%s.reds_only_at_once: the rest would wait for a daily digest: set alerts.digest_time", path);
    const config_setting_t *m = ld_member(ld, r, "match", CONFIG_TYPE_GROUP);
    if (m) {
        ld_check_known(ld, m, match_known);
        ld_strings(ld, m, "county", &rv->county, NULL);
        /* Receivers match alerts by kind (doc/alerts.md) and by escalation
         * tier, the alert's stage on the ladder. */
        ld_strings(ld, m, "sector", &rv->sector, &words_sector);
        ld_strings(ld, m, "level", &rv->level, &words_level);
        ld_strings(ld, m, "kind", &rv->kind, &words_alert_kind);
        ld_strings(ld, m, "light", &rv->light, &words_light);
        ld_strings(ld, m, "stage", &rv->stage, &words_tier);
        /* 领导分包: a leader's own group, or a unit's, by name as imported */
        ld_strings(ld, m, "leader", &rv->leader, NULL);
        ld_strings(ld, m, "unit", &rv->unit, NULL);
    }
    if (ld->failed)
        return;
    if (rv->name == NULL || !receiver_name_ok(rv->name)) {
        ld_fail(ld, r, "%s.name: required, letters, digits, '-', '_' or '.' (at most 64)", path);
        return;
    }
    if (strcmp(rv->type, "json") && strcmp(rv->type, "wecom") && strcmp(rv->type, "dingtalk") &&
        strcmp(rv->type, "feishu")) {
        ld_fail(ld, config_setting_get_member(r, "type"),
             "receiver '%s': unknown type '%s' (expected json, wecom, dingtalk or feishu)", rv->name, rv->type);
        return;
    }
    if (!value_from_file(ld, r, rv->name, "url", &rv->url, &rv->url_file) ||
        !value_from_file(ld, r, rv->name, "secret", &rv->secret, &rv->secret_file))
        return;
    if (rv->url == NULL || (!str_startswith(rv->url, "https://") && !str_startswith(rv->url, "http://"))) {
        ld_fail(ld, r, "receiver '%s': url is required and must start with https:// or http://", rv->name);
        return;
    }
    if (lim != NULL && rv->rate_per_minute > lim->per_minute) {
        ld_fail(ld, config_setting_get_member(r, "rate_per_minute"),
             "receiver '%s': rate_per_minute %d is over the %s's published limit of %d messages a minute"
             " (it answers %s when over): set %d or less",
             rv->name, rv->rate_per_minute, lim->robot, lim->per_minute, lim->answer, lim->per_minute);
        return;
    }
    if (strcmp(rv->type, "json") == 0 && (rv->secret == NULL || rv->secret[0] == '\0'))
        ld_fail(ld, r, "receiver '%s': type json needs a secret (whsec_… base64) to sign its payloads", rv->name);
    for (size_t i = 0; i < cfg->n_receivers && !ld->failed; i++)
        if (strcmp(cfg->receivers[i].name, rv->name) == 0)
            ld_fail(ld, r, "receiver '%s' is defined twice", rv->name);
}

void
load_receivers(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    const config_setting_t *l = config_setting_get_member(root, "receivers");
    if (l == NULL)
        return;
    if (config_setting_type(l) != CONFIG_TYPE_LIST) {
        ld_fail(ld, l, "receivers must be a list ( { … }, { … } )");
        return;
    }
    int n = config_setting_length(l);
    cfg->receivers = xcalloc((size_t)n + 1, sizeof(struct receiver));
    for (int i = 0; i < n && !ld->failed; i++) {
        /* Count first so config_free sees a partly filled receiver too. */
        struct receiver *rv = &cfg->receivers[cfg->n_receivers];
        load_receiver(ld, config_setting_get_elem(l, (unsigned)i), cfg, rv);
        cfg->n_receivers++;
    }
}

void
receiver_free(struct receiver *rv)
{
    free(rv->name);
    free(rv->type);
    free(rv->url);
    free(rv->secret);
    free(rv->url_file);
    free(rv->secret_file);
    free(rv->proxy);
    matcher_free(&rv->county);
    matcher_free(&rv->sector);
    matcher_free(&rv->level);
    matcher_free(&rv->kind);
    matcher_free(&rv->light);
    matcher_free(&rv->stage);
    matcher_free(&rv->leader);
    matcher_free(&rv->unit);
}
