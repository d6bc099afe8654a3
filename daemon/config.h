/* config: reads keyprojd.conf (libconfig) into a fresh, fully validated
 * struct config. It never touches the running daemon: reload builds a new
 * struct and the caller swaps it in only when it is valid. */
#ifndef KEYPROJ_CONFIG_H
#define KEYPROJ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <regex.h>
#include <sys/types.h>

#include "holidays.h"
#include "letters.h"
#include "log.h"
#include "rules.h"

/* A principal allowed on the control socket: a user name or "@group". */
struct principal {
    char *name;
    bool is_group;
};

struct principal_list {
    size_t n;
    struct principal *v;
};

/* Receiver matchers: each list empty = any. */
struct matcher {
    size_t n;
    char **v;
};

struct receiver {
    char *name;
    char *type;          /* json | wecom | dingtalk | feishu */
    char *url;           /* may hold a key: never log it */
    char *secret;        /* NULL when unsigned; never log it */
    char *url_file;      /* where url was read from (url_file), or NULL */
    char *secret_file;   /* where secret was read from (secret_file), or NULL */
    char *proxy;         /* NULL: from the environment */
    int max_concurrency;
    int rate_per_minute;
    int timeout_seconds;
    int digest_window_seconds;  /* chat: alerts due within it go out as one message */
    bool reds_only_at_once;     /* chat: reds at once, the rest after the next daily digest */
    /* leader: 分包领导 names; unit: 责任单位 names (the project's, or the
     * milestone's, problem's or approval's own) */
    struct matcher county, sector, level, kind, light, stage, leader, unit;
};

/* letters.KIND (config_letters.c): how a kind of letter is numbered,
 * written and answered. */
struct letter_config {
    char *number;               /* the 文号 pattern, checked: {year}, {n} */
    char *template_file;        /* resolved path, or NULL: the built-in template */
    char *template;             /* the template's text (the file's, read at load), checked */
    int reply_days;             /* days to reply when the letter names no date */
};

struct config {
    char *path;
    char *timezone;
    enum log_level log_level;
    bool log_syslog;            /* log to syslog instead of stderr */
    int log_facility;           /* a syslog facility code (log_facility_parse) */
    char *log_ident;

    char *db_conninfo;          /* may hold a password: never log it */
    int db_reconnect_max;       /* seconds, upper bound of the backoff */

    char *ctl_socket;
    char *ctl_group;            /* NULL: leave the group as created */
    mode_t ctl_mode;
    struct principal_list admins;
    struct principal_list operators;
    int ctl_max_clients;
    size_t ctl_max_line;
    size_t ctl_max_body;
    size_t ctl_max_answer;      /* the largest answer a client may be sent (its pending output) */
    int ctl_max_args;
    int ctl_idle_timeout;       /* seconds for a whole request line, from its first moment */
    int ctl_max_clients_per_user;   /* connections one uid may hold */
    int ctl_admin_reserved;     /* of max_clients, the slots only admins may take */
    int ctl_body_timeout;       /* seconds for a whole body, from the end of its line */
    size_t ctl_max_body_in_flight;  /* body bytes being received, across all clients */

    /* Every rule threshold (doc/alerts.md); due_soon_days and
     * overdue_repeat_days below are copies kept for older readers. */
    struct rules_config rules;
    int scan_interval;          /* seconds between safety scans */
    int scan_batch;             /* rows per scan statement */
    int scan_connections;       /* 1, or 2: a second connection writes half the batches (at start only) */
    int leader_retry;           /* seconds between a standby's tries for the leader lock */
    int due_soon_days[8];
    size_t n_due_soon_days;
    int overdue_repeat_days;
    char *quiet_hours;          /* "" = none */
    int quiet_start_min;        /* minutes after midnight; -1 when none */
    int quiet_end_min;
    char *holidays;             /* path or NULL */
    struct holidays *rest_days; /* the file, read at load; NULL: weekends only */
    bool hold_on_rest_days;     /* hold messages on weekends and holidays */
    int digest_min;             /* daily digest: minutes after local midnight; -1 none */
    int weekly_day;             /* weekly summary: ISO weekday 1-7 (first working day from it); 0 none */
    int drain_seconds;          /* on SIGTERM: how long deliveries in flight may take to finish */
    /* alerts.completing_kinds: milestone kinds whose node, once done,
     * completes its project (竣工验收, 通车, 投产 …); as a PostgreSQL array
     * literal ("{completion,operation}", "{}" for none) for the writes
     * that take it (sql/functions/progress.sql) */
    struct matcher completing_kinds;
    char *completing_kinds_pg;

    size_t n_receivers;
    struct receiver *receivers;

    /* metrics.listen: the listener for /metrics and /healthz (web.c); NULL: off */
    char *metrics_listen;       /* as written, for messages */
    char *metrics_host;         /* numeric IPv4 or IPv6 address, without brackets */
    int metrics_port;

    /* web.listen: the dashboard's listener (web.c), which serves /metrics
     * and /healthz too; NULL: off. The same address as metrics.listen
     * shares its socket. */
    char *web_listen;           /* as written, for messages */
    char *web_host;             /* numeric IPv4 or IPv6 address, without brackets */
    int web_port;

    /* web.base_url: where people read the full lists ("https://…/", ends
     * with '/'); NULL: messages name the keyprojctl command instead */
    char *web_base_url;
    /* web.user_header: the request header the proxy in front puts its
     * user name in (nginx: proxy_set_header X-Remote-User $remote_user);
     * each page requested is then logged at info with that user. NULL:
     * keyprojd asks nobody who they are. Trusted only as far as the
     * listener is reachable by the proxy alone (the loopback). */
    char *web_user_header;

    /* import.code_pattern: the ledger's own project codes (a POSIX
     * extended regex), accepted besides national ones; NULL: any code of
     * letters, digits and - _ . / ( ) (project_code_local_ok) */
    char *import_code_pattern;
    regex_t *import_code_re;
    /* import.new_units = "refuse": an import, problem add --unit or
     * approval add --dept naming a unit the ledger does not know is refused
     * until `unit add` declares it (once the ledger knows any unit);
     * "create" (false, the default): a name near no known unit is created
     * (sql/functions/import.sql, keyproj_unit_check in ledger.sql) */
    bool import_refuse_new_units;

    /* letters: in enum letter_kind order */
    struct letter_config letters[LETTER_KINDS];
};

/* Loads and validates path. Returns a new config (free with config_free), or
 * NULL with "FILE:LINE: what is wrong" in err. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Same, from a string (the name is used in messages); for tests. */
struct config *config_load_string(const char *text, const char *name,
                                  char *err, size_t errlen);
void config_free(struct config *cfg);

#endif
