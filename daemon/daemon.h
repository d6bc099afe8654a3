/* daemon: the one struct that holds the running service's state. Every
 * module gets what it needs from here; there is no other mutable global
 * state (beyond the log level). */
#ifndef KEYPROJ_DAEMON_H
#define KEYPROJ_DAEMON_H

#include <stdbool.h>
#include <event2/event.h>

#include "clock.h"
#include "config.h"

struct db;
struct control;
struct deliverer;
struct scanner;
struct status_cache;
struct metrics;
struct web;
struct audit_refusals;
struct cmd_entry;

struct daemon {
    struct event_base *base;
    struct config *cfg;        /* current, valid configuration */
    char *config_path;
    struct kclock clock;
    bool test_clock;           /* started with --now: `clock set` may move it */
    double started_at;

    struct db *db;
    bool db_ready;             /* connected and schema migrated */
    bool migrating;
    int schema_version;        /* -1 until read */
    char *schema_error;        /* why the schema is unusable, or NULL */

    struct control *ctl;
    struct deliverer *deliver;     /* the outbox worker (own connection) */
    struct scanner *scan;          /* the alert engine (scan.c) */
    struct status_cache *stcache;  /* status's counts (status_cache.c), made on first use */
    struct metrics *metrics;       /* Prometheus counters (metrics.c); always kept */
    struct web *web;               /* the HTTP listeners (metrics.listen, web.listen) */
    struct audit_refusals *refusals;   /* refused requests audited lately (audit_refusal.c) */
    unsigned long next_request_id;

    /* Set by main.c: what a module asks of the ones above it without
     * naming them. The command table (cmd_table.c) that requests on the
     * socket, the dashboard's pages and the bulletin run; a reload
     * (daemon_reload) for `reload`; and what else goes stale when
     * status's counts are dropped (the dashboard's kept pages: web.c). */
    const struct cmd_entry *const *commands;
    char *(*reload)(struct daemon *d);
    void (*counts_dropped)(struct daemon *d);

    struct event *sig_hup, *sig_term, *sig_int;
    bool stopping;
};

/* daemon.c: re-reads the configuration file; keeps the old one when the
 * new is bad. Returns NULL on success or an error message (caller frees). */
char *daemon_reload(struct daemon *d);

#endif
