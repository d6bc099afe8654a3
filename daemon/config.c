/* config: libconfig → struct config, validated as a whole. Every error
 * names FILE:LINE and the key; secrets (URLs with keys, conninfo passwords,
 * signing secrets) are never copied into messages. */
#include "ac_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_letters.h"
#include "config_loader.h"
#include "config_receivers.h"
#include "log.h"
#include "pace.h"
#include "util.h"
#include "values.h"

#define DEFAULT_SOCKET "/run/keyprojd/control.sock"


static void
load_principals(struct loader *ld, const config_setting_t *g, const char *name,
                struct principal_list *out, const char *def)
{
    struct matcher m = { 0, NULL };
    ld_strings(ld, g, name, &m, NULL);
    if (m.n == 0 && def != NULL && ld_member(ld, g, name, CONFIG_TYPE_ARRAY) == NULL) {
        free(m.v);
        m.v = xcalloc(2, sizeof(char *));
        m.v[m.n++] = xstrdup(def);
    }
    out->v = xcalloc(m.n + 1, sizeof(struct principal));
    for (size_t i = 0; i < m.n; i++) {
        const char *v = m.v[i];
        bool grp = v[0] == '@';
        if (v[grp ? 1 : 0] == '\0') {
            ld_fail(ld, config_setting_get_member(g, name), "control.%s: empty user or group name", name);
            break;
        }
        out->v[out->n].is_group = grp;
        out->v[out->n].name = xstrdup(v + (grp ? 1 : 0));
        out->n++;
    }
    matcher_free(&m);
}

static bool
parse_hhmm(const char *s, int *min)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *min = h * 60 + m;
    return true;
}

/* A directory ("Asia") or a table ("zone.tab") under zoneinfo is readable
 * too, yet TZ=Asia makes glibc run on UTC without a word: only a TZif file
 * is a time zone. */
static bool
zone_exists(const char *tz)
{
    if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL)
        return false;
    char path[512];
    int n = snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    if (n < 0 || (size_t)n >= sizeof path)
        return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    char magic[4];
    bool ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

static void
load_timezone(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    cfg->timezone = ld_string(ld, root, "timezone", "Asia/Shanghai");
    if (ld->failed)
        return;
    const char *tz = cfg->timezone;
    if (!zone_exists(tz))
        ld_fail(ld, config_setting_get_member(root, "timezone"),
             "timezone: unknown time zone '%s' (expected a name like Asia/Shanghai from the tz database)", tz);
}

static void
load_database(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "conninfo", "reconnect_max_seconds", NULL };
    const config_setting_t *g = ld_member(ld, root, "database", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    cfg->db_conninfo = ld_string(ld, g, "conninfo", "dbname=keyproj");
    cfg->db_reconnect_max = ld_int(ld, g, "reconnect_max_seconds", 30, 1, 3600);
    if (ld->failed)
        return;
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(cfg->db_conninfo, &perr);
    if (opts == NULL) {
        /* libpq's message quotes the fragment it choked on, which could be a
         * password; say only that the string is malformed. */
        ld_fail(ld, config_setting_get_member(g, "conninfo"),
             "database.conninfo: not a valid libpq connection string");
        PQfreemem(perr);
        return;
    }
    PQconninfoFree(opts);
}

/* Only the string form: libconfig has no octal literals, so a bare 0660 is
 * the decimal 660 and 400 would silently become 0620. */
static void
load_mode(struct loader *ld, const config_setting_t *g, struct config *cfg)
{
    cfg->ctl_mode = 0660;
    const config_setting_t *s = g ? config_setting_get_member(g, "mode") : NULL;
    if (s == NULL || ld->failed)
        return;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        ld_fail(ld, s, "control.mode: write the mode as a string like \"0660\"");
        return;
    }
    const char *v = config_setting_get_string(s);
    size_t n = strlen(v);
    unsigned long m = n > 0 && strspn(v, "01234567") == n ? strtoul(v, NULL, 8) : ~0UL;
    if (n > 4 || m > 0777) {
        ld_fail(ld, s, "control.mode: expected an octal mode like \"0660\" (got '%s')", v);
        return;
    }
    cfg->ctl_mode = (mode_t)m;
    if ((cfg->ctl_mode & 0006) != 0)
        ld_fail(ld, s, "control.mode: the socket must not be open to other users (%04o)", (unsigned)cfg->ctl_mode);
}

static void
load_control(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = {
        "socket", "group", "mode", "admins", "operators", "max_clients",
        "max_line_bytes", "max_body_bytes", "max_answer_bytes", "max_args", "idle_timeout_seconds",
        "max_clients_per_user", "admin_reserved_clients", "body_timeout_seconds", "max_body_bytes_in_flight", NULL,
    };
    const config_setting_t *g = ld_member(ld, root, "control", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    cfg->ctl_socket = ld_string(ld, g, "socket", DEFAULT_SOCKET);
    cfg->ctl_group = ld_string(ld, g, "group", NULL);
    load_mode(ld, g, cfg);
    load_principals(ld, g, "admins", &cfg->admins, "root");
    load_principals(ld, g, "operators", &cfg->operators, NULL);
    cfg->ctl_max_clients = ld_int(ld, g, "max_clients", 64, 1, 10000);
    cfg->ctl_max_line = (size_t)ld_int(ld, g, "max_line_bytes", 8192, 256, 1 << 20);
    cfg->ctl_max_body = (size_t)ld_int(ld, g, "max_body_bytes", 256 << 20, 1024, 1 << 30);
    cfg->ctl_max_answer = (size_t)ld_int(ld, g, "max_answer_bytes", 64 << 20, 1024, 1 << 30);
    cfg->ctl_max_args = ld_int(ld, g, "max_args", 64, 4, 4096);
    cfg->ctl_idle_timeout = ld_int(ld, g, "idle_timeout_seconds", 30, 1, 86400);
    cfg->ctl_max_clients_per_user = ld_int(ld, g, "max_clients_per_user", 8, 1, 10000);
    cfg->ctl_admin_reserved = ld_int(ld, g, "admin_reserved_clients", 4, 0, 10000);
    cfg->ctl_body_timeout = ld_int(ld, g, "body_timeout_seconds", 120, 1, 86400);
    cfg->ctl_max_body_in_flight = (size_t)ld_int(ld, g, "max_body_bytes_in_flight", 512 << 20, 1024, INT_MAX);
    if (ld->failed)
        return;
    if (cfg->ctl_admin_reserved >= cfg->ctl_max_clients)
        ld_fail(ld, config_setting_get_member(g, "admin_reserved_clients"),
             "control.admin_reserved_clients: must be below control.max_clients (%d), or no one but admins "
             "could connect", cfg->ctl_max_clients);
    if (cfg->ctl_max_body_in_flight < cfg->ctl_max_body)
        ld_fail(ld, config_setting_get_member(g, "max_body_bytes_in_flight"),
             "control.max_body_bytes_in_flight: must be at least control.max_body_bytes (%zu), or no body of "
             "the largest size could ever be taken", cfg->ctl_max_body);
    if (cfg->ctl_socket[0] != '/' || strlen(cfg->ctl_socket) >= 108)
        ld_fail(ld, config_setting_get_member(g, "socket"),
             "control.socket: must be an absolute path shorter than 108 bytes");
}

/* A list of whole days like [ 7, 3, 1 ]: strictly decreasing, each in
 * lo..hi. Absent: out keeps its default. */
static void
get_days_list(struct loader *ld, const config_setting_t *g, const char *name, int *out,
              size_t *n, size_t max, int lo, int hi, const char *example)
{
    const config_setting_t *d = ld_member(ld, g, name, CONFIG_TYPE_ARRAY);
    if (d == NULL)
        return;
    int len = config_setting_length(d);
    if (len > (int)max) {
        ld_fail(ld, d, "alerts.%s: at most %zu stages", name, max);
        return;
    }
    *n = 0;
    for (int i = 0; i < len && !ld->failed; i++) {
        const config_setting_t *e = config_setting_get_elem(d, (unsigned)i);
        int v = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e) : lo - 1;
        if (v < lo || v > hi || (i > 0 && v >= out[i - 1]))
            ld_fail(ld, d, "alerts.%s: expected decreasing whole days between %d and %d, like %s",
                 name, hi, lo, example);
        out[(*n)++] = v;
    }
}

/* A number of either libconfig type (10 and 10.5 alike). */
static double
get_number(struct loader *ld, const config_setting_t *g, const char *name, double def)
{
    const config_setting_t *s = g && !ld->failed ? config_setting_get_member(g, name) : NULL;
    if (s == NULL)
        return def;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return (double)config_setting_get_int64(s);
    case CONFIG_TYPE_FLOAT:
        return config_setting_get_float(s);
    default:
        ld_fail(ld, s, "alerts.%s must be a number", name);
        return def;
    }
}

/* A day that recurs every year, "MM-DD" ("10-31"); whether it exists is
 * rules_config_check's to say. */
static void
get_month_day(struct loader *ld, const config_setting_t *g, const char *name, struct rules_md *out)
{
    const config_setting_t *s = ld_member(ld, g, name, CONFIG_TYPE_STRING);
    if (s == NULL)
        return;
    const char *v = config_setting_get_string(s);
    if (strlen(v) != 5 || v[2] != '-' || strspn(v, "0123456789") != 2 ||
        strspn(v + 3, "0123456789") != 2) {
        ld_fail(ld, s, "alerts.%s: expected a day of the year \"MM-DD\" like \"10-31\" (got '%s')", name, v);
        return;
    }
    out->m = (v[0] - '0') * 10 + (v[1] - '0');
    out->d = (v[3] - '0') * 10 + (v[4] - '0');
}

/* rules_config_check names the keys at fault ("alerts.lag_yellow_points,
 * lag_red_points: …"): point at the first of them set in the file, else
 * at the alerts group. */
static void
fail_rules(struct loader *ld, const config_setting_t *g, const char *const *known, const char *msg)
{
    const config_setting_t *at = g;
    const char *best = NULL;
    for (const char *const *k = known; *k; k++) {
        size_t n = strlen(*k);
        for (const char *p = strstr(msg, *k); p; p = strstr(p + 1, *k)) {
            bool word = (p == msg || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
                        !(isalnum((unsigned char)p[n]) || p[n] == '_');
            const config_setting_t *s = g ? config_setting_get_member(g, *k) : NULL;
            if (word && s && (best == NULL || p < best)) {
                best = p;
                at = s;
            }
        }
    }
    ld_fail(ld, at, "%s", msg);
}

static void
load_rules(struct loader *ld, const config_setting_t *g, const char *const *known, struct config *cfg)
{
    struct rules_config *r = &cfg->rules;
    rules_config_default(r);
    get_days_list(ld, g, "due_soon_days", r->due_soon_days, &r->n_due_soon_days,
                  RULES_MAX_DUE_SOON, 0, 365, "[ 7, 3, 1 ]");
    r->overdue_repeat_days = ld_int(ld, g, "overdue_repeat_days", r->overdue_repeat_days, 1, 365);
    r->milestone_red_days = ld_int(ld, g, "milestone_red_days", r->milestone_red_days, 0, 3650);
    get_month_day(ld, g, "freeze_warn", &r->freeze_warn);
    get_month_day(ld, g, "freeze_red", &r->freeze_red);
    get_month_day(ld, g, "freeze_end", &r->freeze_end);
    r->start_red_months = ld_int(ld, g, "start_red_months", r->start_red_months, 1, 120);
    r->lag_yellow_points = get_number(ld, g, "lag_yellow_points", r->lag_yellow_points);
    r->lag_red_points = get_number(ld, g, "lag_red_points", r->lag_red_points);
    r->report_due_day = ld_int(ld, g, "report_due_day", r->report_due_day, 1, 31);
    r->report_red_periods = ld_int(ld, g, "report_red_periods", r->report_red_periods, 1, 12);
    r->stalled_yellow_reports = ld_int(ld, g, "stalled_yellow_reports", r->stalled_yellow_reports, 1, 12);
    r->stalled_red_reports = ld_int(ld, g, "stalled_red_reports", r->stalled_red_reports, 1, 12);
    r->stalled_min_change = get_number(ld, g, "stalled_min_change", r->stalled_min_change);
    r->stalled_min_percent = get_number(ld, g, "stalled_min_percent", r->stalled_min_percent);
    r->approval_red_days = ld_int(ld, g, "approval_red_days", r->approval_red_days, 0, 3650);
    r->problem_days = ld_int(ld, g, "problem_days", r->problem_days, 0, 3650);
    r->problem_major_days = ld_int(ld, g, "problem_major_days", r->problem_major_days, 0, 3650);
    get_days_list(ld, g, "campaign_risk_days", r->campaign_risk_days, &r->n_campaign_risk_days,
                  RULES_MAX_RISK_DAYS, 1, 365, "[ 14, 7 ]");
    r->escalate_leader_days = ld_int(ld, g, "escalate_leader_days", r->escalate_leader_days, 0, 3650);
    r->escalate_office_days = ld_int(ld, g, "escalate_office_days", r->escalate_office_days, 0, 3650);
    if (ld->failed)
        return;
    char msg[256];
    if (!rules_config_check(r, msg, sizeof msg)) {
        fail_rules(ld, g, known, msg);
        return;
    }
    memcpy(cfg->due_soon_days, r->due_soon_days, sizeof cfg->due_soon_days);
    cfg->n_due_soon_days = r->n_due_soon_days;
    cfg->overdue_repeat_days = r->overdue_repeat_days;
}

/* The holiday file is read now, so a bad one is refused like a bad key and a
 * reload (SIGHUP) re-reads it. A relative path is taken from the directory
 * of the configuration file. */
static void
load_holidays(struct loader *ld, const config_setting_t *s, struct config *cfg)
{
    if (ld->failed || cfg->holidays == NULL || cfg->holidays[0] == '\0')
        return;
    const char *slash = strrchr(ld->name, '/');
    char *path = cfg->holidays[0] == '/' || slash == NULL
                     ? xstrdup(cfg->holidays)
                     : xasprintf("%.*s/%s", (int)(slash - ld->name), ld->name, cfg->holidays);
    char err[300];
    cfg->rest_days = holidays_load(path, err, sizeof err);
    if (cfg->rest_days == NULL)
        ld_fail(ld, s, "alerts.holidays: %s", err);
    free(path);
}

/* Which milestone kinds complete their project when done: absent, the
 * kinds the demo's 竣工验收/交工验收 (completion) and 通车/投产/投用
 * (operation) nodes carry; [] turns completion by milestone off. */
static void
load_completing_kinds(struct loader *ld, const config_setting_t *g, struct config *cfg)
{
    static const char *const def[] = { "completion", "operation" };
    ld_strings(ld, g, "completing_kinds", &cfg->completing_kinds, &words_milestone_kind);
    if (ld_member(ld, g, "completing_kinds", CONFIG_TYPE_ARRAY) == NULL) {
        free(cfg->completing_kinds.v);
        cfg->completing_kinds.v = xcalloc(ARRAY_LEN(def) + 1, sizeof(char *));
        cfg->completing_kinds.n = 0;
        for (size_t i = 0; i < ARRAY_LEN(def); i++)
            cfg->completing_kinds.v[cfg->completing_kinds.n++] = xstrdup(def[i]);
    }
    /* canonical kind names are lower-case words: safe inside {…} as is */
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{");
    for (size_t i = 0; i < cfg->completing_kinds.n; i++)
        buf_printf(&b, "%s%s", i ? "," : "", cfg->completing_kinds.v[i]);
    buf_printf(&b, "}");
    cfg->completing_kinds_pg = buf_steal(&b);
}

static void
load_alerts(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = {
        "due_soon_days", "overdue_repeat_days", "quiet_hours", "holidays",
        "milestone_red_days", "freeze_warn", "freeze_red", "freeze_end", "start_red_months",
        "lag_yellow_points", "lag_red_points", "report_due_day", "report_red_periods",
        "stalled_yellow_reports", "stalled_red_reports", "stalled_min_change",
        "stalled_min_percent", "approval_red_days", "problem_days", "problem_major_days",
        "campaign_risk_days", "escalate_leader_days", "escalate_office_days",
        "scan_interval_seconds", "scan_batch_rows", "scan_connections", "hold_on_rest_days", "leader_retry_seconds",
        "digest_time", "weekly_day", "drain_seconds", "completing_kinds", NULL,
    };
    const config_setting_t *g = ld_member(ld, root, "alerts", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    load_rules(ld, g, known, cfg);
    cfg->scan_interval = ld_int(ld, g, "scan_interval_seconds", 300, 1, 86400);
    cfg->scan_batch = ld_int(ld, g, "scan_batch_rows", 5000, 1, 100000);
    cfg->scan_connections = ld_int(ld, g, "scan_connections", 2, 1, 2);
    cfg->leader_retry = ld_int(ld, g, "leader_retry_seconds", 5, 1, 3600);
    cfg->quiet_hours = ld_string(ld, g, "quiet_hours", "22:00-08:00");
    cfg->holidays = ld_string(ld, g, "holidays", NULL);
    const config_setting_t *hold = ld_member(ld, g, "hold_on_rest_days", CONFIG_TYPE_BOOL);
    cfg->hold_on_rest_days = hold ? config_setting_get_bool(hold) : true;
    load_holidays(ld, g ? config_setting_get_member(g, "holidays") : NULL, cfg);
    char *dt = ld_string(ld, g, "digest_time", "");
    cfg->digest_min = -1;
    if (!ld->failed && dt[0] != '\0' && (strlen(dt) != 5 || !parse_hhmm(dt, &cfg->digest_min)))
        ld_fail(ld, config_setting_get_member(g, "digest_time"),
             "alerts.digest_time: expected \"HH:MM\" like \"08:30\", or \"\" for no daily digest (got '%s')", dt);
    free(dt);
    cfg->weekly_day = ld_int(ld, g, "weekly_day", 1, 0, 7);
    cfg->drain_seconds = ld_int(ld, g, "drain_seconds", 10, 0, 300);
    load_completing_kinds(ld, g, cfg);
    cfg->quiet_start_min = cfg->quiet_end_min = -1;
    if (ld->failed || cfg->quiet_hours[0] == '\0')
        return;
    const char *q = cfg->quiet_hours;
    if (strlen(q) != 11 || q[5] != '-' || !parse_hhmm(q, &cfg->quiet_start_min) ||
        !parse_hhmm(q + 6, &cfg->quiet_end_min) || cfg->quiet_start_min == cfg->quiet_end_min)
        ld_fail(ld, config_setting_get_member(g, "quiet_hours"),
             "alerts.quiet_hours: expected \"HH:MM-HH:MM\" like \"22:00-08:00\", or \"\" for none (got '%s')", q);
}


/* "127.0.0.1:9464" or "[::1]:9464" → host (allocated) and port. Numeric
 * addresses only: what is bound is what was written, with no resolver at
 * start-up. */
static bool
parse_listen(const char *s, char **host, int *port)
{
    const char *colon, *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return false;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return false;
        hlen = (size_t)(colon - s);
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen || hlen == 0 || hlen >= 64)
        return false;
    long v = strtol(p, NULL, 10);
    if (v < 1 || v > 65535)
        return false;
    char a[64];
    unsigned char bin[16];
    memcpy(a, h, hlen);
    a[hlen] = '\0';
    if (inet_pton(s[0] == '[' ? AF_INET6 : AF_INET, a, bin) != 1)
        return false;
    *host = xstrdup(a);
    *port = (int)v;
    return true;
}

/* A listen key of group (metrics.listen, web.listen): "" or absent is off
 * (NULL); otherwise a numeric address and port, split into host and port. */
static char *
load_listen(struct loader *ld, const config_setting_t *g, const char *group, const char *example,
            char **host, int *port)
{
    char *listen = ld_string(ld, g, "listen", NULL);
    if (ld->failed || listen == NULL)
        return listen;
    if (listen[0] == '\0') {     /* "": off, like no key */
        free(listen);
        return NULL;
    }
    if (!parse_listen(listen, host, port))
        ld_fail(ld, config_setting_get_member(g, "listen"),
             "%s.listen: expected a numeric address and port like \"127.0.0.1:%s\" or \"[::1]:%s\" (got '%s')",
             group, example, example, listen);
    return listen;
}

static void
load_metrics(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "listen", NULL };
    const config_setting_t *g = ld_member(ld, root, "metrics", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    cfg->metrics_listen = load_listen(ld, g, "metrics", "9464", &cfg->metrics_host, &cfg->metrics_port);
}

/* web = { listen = "127.0.0.1:8080"; base_url = "https://…/"; }; — the
 * dashboard's listener (web.c), and where messages send people for the
 * full lists. */
static void
load_web(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "listen", "base_url", "user_header", NULL };
    const config_setting_t *g = ld_member(ld, root, "web", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    cfg->web_listen = load_listen(ld, g, "web", "8080", &cfg->web_host, &cfg->web_port);
    cfg->web_user_header = ld_string(ld, g, "user_header", NULL);
    if (cfg->web_user_header != NULL && cfg->web_user_header[0] == '\0') {     /* "": none */
        free(cfg->web_user_header);
        cfg->web_user_header = NULL;
    } else if (cfg->web_user_header != NULL) {
        /* an HTTP field name (RFC 9110 token): no blank, colon or control */
        const char *h = cfg->web_user_header;
        size_t n = strlen(h);
        if (n == 0 || n > 64 || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                          "!#$%&'*+-.^_`|~") != n)
            ld_fail(ld, config_setting_get_member(g, "user_header"),
                    "web.user_header: expected an HTTP header name like \"X-Remote-User\" (got %s)", log_q(h));
    }
    cfg->web_base_url = ld_string(ld, g, "base_url", NULL);
    if (ld->failed || cfg->web_base_url == NULL)
        return;
    const char *u = cfg->web_base_url;
    size_t n = strlen(u);
    if (n == 0) {       /* "": none, like no key */
        free(cfg->web_base_url);
        cfg->web_base_url = NULL;
        return;
    }
    if ((!str_startswith(u, "https://") && !str_startswith(u, "http://")) || u[n - 1] != '/' ||
        strcspn(u, " \t\r\n\"<>") != n)
        ld_fail(ld, config_setting_get_member(g, "base_url"),
             "web.base_url: expected an http(s) URL ending in '/', like \"https://xm.example.gov.cn/keyproj/\" "
             "(got '%s')", u);
}

/* import.code_pattern: a POSIX extended regex, compiled; "" or none:
 * none. */
static void
load_code_pattern(struct loader *ld, const config_setting_t *g, struct config *cfg)
{
    char *pat = ld_string(ld, g, "code_pattern", NULL);
    if (ld->failed || pat == NULL || pat[0] == '\0') {     /* "": none, like no key */
        free(pat);
        return;
    }
    regex_t *re = xcalloc(1, sizeof *re);
    int rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        free(re);
        ld_fail(ld, config_setting_get_member(g, "code_pattern"),
             "import.code_pattern: not a POSIX extended regular expression: %s (got '%s')", msg, pat);
        free(pat);
        return;
    }
    cfg->import_code_pattern = pat;
    cfg->import_code_re = re;
}

/* import = { code_pattern = "^LY-[0-9]{4}-[0-9]{3}$"; new_units = "refuse"; };
 * — the ledger's own project codes, besides national ones (import.c), and
 * whether an import may create a unit the ledger does not know. */
static void
load_import(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "code_pattern", "new_units", NULL };
    const config_setting_t *g = ld_member(ld, root, "import", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    char *nu = ld_string(ld, g, "new_units", "create");
    if (!ld->failed && strcmp(nu, "create") != 0 && strcmp(nu, "refuse") != 0)
        ld_fail(ld, config_setting_get_member(g, "new_units"),
             "import.new_units: expected \"create\" or \"refuse\" (got '%s')", nu);
    cfg->import_refuse_new_units = !ld->failed && strcmp(nu, "refuse") == 0;
    free(nu);
    load_code_pattern(ld, g, cfg);
}

/* log = { syslog = true; facility = "daemon"; ident = "keyprojd"; }; —
 * the level stays the top-level log_level. */
static void
load_log(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "syslog", "facility", "ident", NULL };
    const config_setting_t *g = ld_member(ld, root, "log", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    const config_setting_t *on = ld_member(ld, g, "syslog", CONFIG_TYPE_BOOL);
    cfg->log_syslog = on ? config_setting_get_bool(on) : false;
    char *fac = ld_string(ld, g, "facility", "daemon");
    cfg->log_ident = ld_string(ld, g, "ident", "keyprojd");
    if (!ld->failed && !log_facility_parse(fac, &cfg->log_facility))
        ld_fail(ld, config_setting_get_member(g, "facility"), "log.facility: unknown facility '%s' (expected %s)",
             fac, log_facilities_expected());
    free(fac);
    if (!ld->failed && (cfg->log_ident[0] == '\0' || strlen(cfg->log_ident) > 32))
        ld_fail(ld, config_setting_get_member(g, "ident"), "log.ident: expected 1 to 32 bytes (got '%s')",
             cfg->log_ident);
}

static struct config *
load(config_t *lc, bool ok, const char *name, char *err, size_t errlen)
{
    struct loader ld = { name, err, errlen, false };
    if (!ok) {
        const char *f = config_error_file(lc) ? config_error_file(lc) : name;
        snprintf(err, errlen, "%s:%d: %s", f, config_error_line(lc), config_error_text(lc));
        return NULL;
    }
    static const char *const known[] = {
        "timezone", "log_level", "log", "database", "control", "alerts", "receivers", "metrics", "web", "import",
        "letters", NULL,
    };
    const config_setting_t *root = config_root_setting(lc);
    struct config *cfg = xcalloc(1, sizeof *cfg);
    cfg->path = xstrdup(name);
    ld_check_known(&ld, root, known);
    load_timezone(&ld, root, cfg);
    char *lvl = ld_string(&ld, root, "log_level", "info");
    if (!ld.failed && !log_level_parse(lvl, &cfg->log_level))
        ld_fail(&ld, config_setting_get_member(root, "log_level"),
             "log_level: expected error, warn, info or debug (got '%s')", lvl);
    free(lvl);
    load_log(&ld, root, cfg);
    load_database(&ld, root, cfg);
    load_control(&ld, root, cfg);
    load_alerts(&ld, root, cfg);
    load_receivers(&ld, root, cfg);
    load_metrics(&ld, root, cfg);
    load_web(&ld, root, cfg);
    load_import(&ld, root, cfg);
    load_letters(&ld, root, cfg);
    if (ld.failed) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
    config_t lc;
    config_init(&lc);
    bool ok = config_read_file(&lc, path) == CONFIG_TRUE;
    if (!ok && config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        config_destroy(&lc);
        return NULL;
    }
    struct config *cfg = load(&lc, ok, path, err, errlen);
    config_destroy(&lc);
    return cfg;
}

struct config *
config_load_string(const char *text, const char *name, char *err, size_t errlen)
{
    config_t lc;
    config_init(&lc);
    bool ok = config_read_string(&lc, text) == CONFIG_TRUE;
    struct config *cfg = load(&lc, ok, name, err, errlen);
    config_destroy(&lc);
    return cfg;
}

static void
principals_free(struct principal_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
}


void
config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->timezone);
    free(cfg->log_ident);
    free(cfg->db_conninfo);
    free(cfg->ctl_socket);
    free(cfg->ctl_group);
    principals_free(&cfg->admins);
    principals_free(&cfg->operators);
    free(cfg->quiet_hours);
    free(cfg->holidays);
    holidays_free(cfg->rest_days);
    for (size_t i = 0; i < cfg->n_receivers; i++)
        receiver_free(&cfg->receivers[i]);
    free(cfg->receivers);
    free(cfg->metrics_listen);
    free(cfg->metrics_host);
    free(cfg->web_listen);
    free(cfg->web_host);
    free(cfg->web_base_url);
    free(cfg->web_user_header);
    free(cfg->import_code_pattern);
    if (cfg->import_code_re != NULL)
        regfree(cfg->import_code_re);
    free(cfg->import_code_re);
    matcher_free(&cfg->completing_kinds);
    free(cfg->completing_kinds_pg);
    letters_config_free(cfg);
    free(cfg);
}
