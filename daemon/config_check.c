/* config_check: what --check-config warns about in a configuration that
 * loads. A warning never stops the daemon (exit 0): the file is valid, but
 * someone should look. Secrets are never copied into a warning. */
#include "ac_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_check.h"
#include "sign.h"
#include "util.h"

/* The system user the packaged unit runs keyprojd as (User=keyproj): it
 * is in the group that reads the secrets by design. */
#define DAEMON_USER "keyproj"
/* Standard Webhooks asks for secrets of 24 to 64 random bytes. */
#define SECRET_MIN_BYTES 24

static bool
is_robot(const struct receiver *rv)
{
    return strcmp(rv->type, "json") != 0;
}

/* Whether name is one of the users who may read the secrets anyway: root,
 * the daemon's user, and whoever runs this check (the unit's
 * ExecStartPre runs it as the daemon's user). */
static bool
is_daemon_side(const char *name, const char *self)
{
    return strcmp(name, "root") == 0 || strcmp(name, DAEMON_USER) == 0 || (self && strcmp(name, self) == 0);
}

static void
add_person(struct buf *people, const char *name)
{
    /* ",a,b," makes a whole-name search easy; the commas at the ends go
     * when it is printed. */
    if (people->len == 0)
        buf_putc(people, ',');
    char *needle = xasprintf(",%s,", name);
    if (strstr(people->data, needle) == NULL) {
        buf_puts(people, name);
        buf_putc(people, ',');
    }
    free(needle);
}

/* The people in group gid: its listed members and the users whose primary
 * group it is, but for the daemon's side. Returns "a,b" (allocated) or
 * NULL; *gname becomes the group's name (allocated). */
static char *
group_people(gid_t gid, char **gname)
{
    /* Entries in /etc/passwd and /etc/group may be far longer than any
     * fixed buffer. */
    size_t ssize = 4096, gsize = 4096;
    char *sbuf = xmalloc(ssize), *gbuf = xmalloc(gsize);
    struct passwd spw, *sres = NULL;
    int r;
    do
        r = getpwuid_r(geteuid(), &spw, sbuf, ssize, &sres);
    while (lookup_buf_grow(r, &sbuf, &ssize));
    const char *self = r == 0 && sres ? spw.pw_name : NULL;
    struct buf people;
    buf_init(&people);
    *gname = xasprintf("%u", (unsigned)gid);
    struct group gr, *res = NULL;
    do
        r = getgrgid_r(gid, &gr, gbuf, gsize, &res);
    while (lookup_buf_grow(r, &gbuf, &gsize));
    if (r == 0 && res != NULL) {
        free(*gname);
        *gname = xstrdup(gr.gr_name);
        for (char **m = gr.gr_mem; *m; m++)
            if (!is_daemon_side(*m, self))
                add_person(&people, *m);
    }
    free(gbuf);
    setpwent();
    for (struct passwd *pw; (pw = getpwent()) != NULL;)
        if (pw->pw_gid == gid && !is_daemon_side(pw->pw_name, self))
            add_person(&people, pw->pw_name);
    endpwent();
    free(sbuf);
    if (people.len == 0) {
        buf_free(&people);
        return NULL;
    }
    people.data[people.len - 1] = '\0';
    char *s = xstrdup(people.data + 1);
    buf_free(&people);
    return s;
}

/* One secret-bearing file: readable by others, or by a group with people. */
static int
check_file(FILE *out, const char *path, const char *what)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    unsigned mode = (unsigned)(st.st_mode & 07777);
    if (st.st_mode & S_IROTH) {
        fprintf(out, "keyprojd: warning: %s is readable by others (mode %04o) and holds %s: "
                "chmod 0640 it (owner root, group %s)\n", path, mode, what, DAEMON_USER);
        return 1;
    }
    if (!(st.st_mode & S_IRGRP))
        return 0;
    char *gname = NULL;
    char *people = group_people(st.st_gid, &gname);
    int n = 0;
    if (people != NULL) {
        fprintf(out, "keyprojd: warning: %s is readable by group %s (mode %04o), which has people in it (%s), "
                "and holds %s: give it keyprojd's own group (chgrp %s), which nobody else is in\n",
                path, gname, mode, people, what, DAEMON_USER);
        n = 1;
    }
    free(people);
    free(gname);
    return n;
}

/* Whether the configuration itself holds a secret: a password in the
 * conninfo, a receiver's secret or URL written in it (robot URLs carry
 * their key, any URL may carry a token or a password), or a proxy. */
static bool
holds_secrets(const struct config *cfg)
{
    if (cfg->db_conninfo && strcasestr(cfg->db_conninfo, "password") != NULL)
        return true;
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        if ((rv->secret && rv->secret_file == NULL) || rv->proxy)
            return true;
        if (rv->url && rv->url_file == NULL && (is_robot(rv) || strpbrk(rv->url, "?@") != NULL))
            return true;
    }
    return false;
}

static int
check_files(const struct config *cfg, FILE *out)
{
    int n = 0;
    if (holds_secrets(cfg))
        n += check_file(out, cfg->path, "secrets (the database password or receivers' keys)");
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        char what[160];
        if (rv->secret_file) {
            snprintf(what, sizeof what, "the signing secret of receiver '%s' (receivers[%zu].secret_file)", rv->name, i);
            n += check_file(out, rv->secret_file, what);
        }
        if (rv->url_file) {
            snprintf(what, sizeof what, "the URL of receiver '%s' (receivers[%zu].url_file)", rv->name, i);
            n += check_file(out, rv->url_file, what);
        }
    }
    return n;
}

/* Each of the space-separated secrets: whsec_ and base64, or bare base64,
 * of at least SECRET_MIN_BYTES bytes. */
static bool
secret_ok(const char *secrets, size_t *bad, size_t *count)
{
    *bad = *count = 0;
    for (const char *p = secrets; *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            const char *s = p;
            size_t slen = len;
            if (slen > 6 && strncmp(s, "whsec_", 6) == 0) {
                s += 6;
                slen -= 6;
            }
            unsigned char key[512];
            size_t keylen = sizeof key;
            ++*count;
            if (*bad == 0 && (!sign_base64_decode(s, slen, key, &keylen) || keylen < SECRET_MIN_BYTES))
                *bad = *count;
            explicit_bzero(key, sizeof key);
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return *bad == 0;
}

static int
check_receivers(const struct config *cfg, FILE *out)
{
    int n = 0;
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        const char *file = rv->url_file ? rv->url_file : cfg->path;
        if (is_robot(rv) && str_startswith(rv->url, "http://")) {
            fprintf(out, "keyprojd: warning: %s: receivers[%zu].%s (receiver '%s'): the %s robot's URL is http://, "
                    "so its key travels in clear: use https://\n", file, i, rv->url_file ? "url_file" : "url",
                    rv->name, rv->type);
            n++;
        }
        size_t bad, count;
        if (strcmp(rv->type, "json") == 0 && rv->secret && !secret_ok(rv->secret, &bad, &count)) {
            fprintf(out, "keyprojd: warning: %s: receivers[%zu].%s (receiver '%s'): secret %zu of %zu is not "
                    "whsec_ followed by the base64 of at least %d random bytes (Standard Webhooks)\n",
                    rv->secret_file ? rv->secret_file : cfg->path, i, rv->secret_file ? "secret_file" : "secret",
                    rv->name, bad, count, SECRET_MIN_BYTES);
            n++;
        }
    }
    return n;
}

/* 127.0.0.0/8, ::1, or an IPv4-mapped loopback. */
static bool
is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return false;
}

static int
check_listener(FILE *out, const char *path, const char *key, const char *listen, const char *host)
{
    if (host == NULL || is_loopback(host))
        return 0;
    fprintf(out, "keyprojd: warning: %s: %s \"%s\" is not on the loopback: it answers anybody who reaches it, "
            "without TLS or a password: keep it on 127.0.0.1 or [::1] and put a TLS proxy in front\n",
            path, key, listen);
    return 1;
}

static int
check_listeners(const struct config *cfg, FILE *out)
{
    int n = check_listener(out, cfg->path, "metrics.listen", cfg->metrics_listen, cfg->metrics_host) +
            check_listener(out, cfg->path, "web.listen", cfg->web_listen, cfg->web_host);
    if (cfg->web_user_header && cfg->web_listen && cfg->web_host && !is_loopback(cfg->web_host)) {
        fprintf(out, "keyprojd: warning: %s: web.user_header \"%s\" is believed from anybody who reaches "
                "web.listen \"%s\": a user name in the log means something only when the proxy alone can reach "
                "the listener (the loopback)\n", cfg->path, cfg->web_user_header, cfg->web_listen);
        n++;
    }
    if (cfg->web_base_url && str_startswith(cfg->web_base_url, "http://")) {
        fprintf(out, "keyprojd: warning: %s: web.base_url \"%s\" is http://: the links in messages send people "
                "to the dashboard in clear: use https:// (TLS on a proxy in front)\n", cfg->path, cfg->web_base_url);
        n++;
    }
    return n;
}

int
config_check(const struct config *cfg, FILE *out)
{
    return check_files(cfg, out) + check_receivers(cfg, out) + check_listeners(cfg, out);
}
