/* main: arguments, start-up, signals and shutdown of keyprojd. Runs in the
 * foreground as service managers expect; start-up fails only for what an
 * operator must fix (bad config, unusable socket), never for a database
 * that is down. */
#include "ac_config.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "config_check.h"
#include "audit_refusal.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "notify.h"
#include "scan.h"
#include "sign.h"
#include "status_cache.h"
#include "util.h"
#include "web.h"

#define DEFAULT_CONFIG SYSCONFDIR "/keyproj/keyprojd.conf"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: keyprojd [-c FILE] [--migrate] [--check-config] [--now TIME] [--list-commands] [-v] [-h]\n"
            "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
            "      --migrate       bring the database schema up to date, then exit\n"
            "      --check-config  validate the configuration file, then exit\n"
            "      --now TIME      run as if the clock read TIME (2026-11-25T09:00:00+08:00); for tests\n"
            "      --list-commands print the control commands (name, level, usage, summary; tab-separated)\n"
            "  -v, --version       print the version\n"
            "  -h, --help          this help\n");
}

/* The command table as data, for the man page and the shell completion that
 * the build generates from it: no config file, no database. */
static void
list_commands(void)
{
    cmd_list_commands(cmd_table, stdout);
}

static void
on_migrated(void *arg, int version, const char *err)
{
    struct daemon *d = arg;
    d->migrating = false;
    d->schema_version = version;
    free(d->schema_error);
    d->schema_error = err ? xstrdup(err) : NULL;
    d->db_ready = err == NULL && db_state(d->db) == DB_UP;
    if (d->db_ready) {
        log_info("database ready", "schema_version=%d", version);
        notify_send("STATUS=database ready");
        deliver_kick(d->deliver);
        scan_db_ready(d->scan);
    }
}

static void
on_db_state(void *arg, enum db_state state)
{
    struct daemon *d = arg;
    if (state == DB_UP) {
        if (!d->migrating) {
            d->migrating = true;
            migrate_run(d->db, on_migrated, d);
        }
    } else {
        d->db_ready = false;
        if (d->scan)
            scan_db_lost(d->scan);
        notify_send("STATUS=database down, reconnecting");
    }
}

static void
on_db_notify(void *arg, const char *channel, const char *payload)
{
    struct daemon *d = arg;
    log_debug("database notification", "channel=%s payload=%s", log_q(channel), log_q(payload));
    scan_notify(d->scan, channel);
    status_cache_invalidate(d, false);
}

/* The status counts are not refreshed while a scan runs (status_cache.h):
 * they catch up once it has ended. */
static void
on_scan_end(void *arg, const struct scan_stats *st)
{
    status_cache_invalidate(arg, false);
}

static void
on_drained(void *arg)
{
    struct daemon *d = arg;
    event_base_loopexit(d->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;
    if (sig == SIGHUP) {
        notify_send("RELOADING=1");
        free(daemon_reload(d));
        notify_send("READY=1");
        return;
    }
    if (d->stopping) {      /* a second signal: do not wait for the drain */
        log_info("stopping now", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
        event_base_loopexit(d->base, NULL);
        return;
    }
    log_info("stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
    notify_send("STOPPING=1");
    d->stopping = true;
    /* An import not yet committed is rolled back and its client told so
     * now, while the loop still runs to send the answer. */
    cmd_import_stop();
    /* Deliveries in flight finish (within alerts.drain_seconds) and their
     * outcomes are written before the loop ends. */
    deliver_drain(d->deliver, d->cfg->drain_seconds, on_drained, d);
}

/* --migrate: the same asynchronous walk, with the loop run until it ends. */
static void
on_migrate_only(void *arg, int version, const char *err)
{
    struct daemon *d = arg;
    d->schema_version = version;
    d->schema_error = err ? xstrdup(err) : NULL;
    event_base_loopexit(d->base, NULL);
}

static void
on_db_state_migrate_only(void *arg, enum db_state state)
{
    struct daemon *d = arg;
    if (state == DB_UP)
        migrate_run(d->db, on_migrate_only, d);
}

static int
run_migrate_only(struct daemon *d)
{
    d->db = db_new(d->base, "main", d->cfg->db_conninfo, 1, on_db_state_migrate_only, NULL, d);
    /* Give a down database a few seconds, then say so rather than hang. */
    struct timeval limit = { 30, 0 };
    event_base_loopexit(d->base, &limit);
    db_start(d->db);
    event_base_dispatch(d->base);
    int rc = 0;
    if (d->schema_error) {
        fprintf(stderr, "keyprojd: migration failed: %s\n", d->schema_error);
        rc = 1;
    } else if (d->schema_version < 0) {
        fprintf(stderr, "keyprojd: could not reach the database: %s\n", db_last_error(d->db));
        rc = 1;
    } else {
        printf("schema version %d\n", d->schema_version);
    }
    db_free(d->db);
    return rc;
}

static void
daemon_free(struct daemon *d)
{
    web_free(d->web);
    cmd_import_stop();
    control_free(d->ctl);
    d->ctl = NULL;              /* commands answered from here on have no client (control.c logs them) */
    deliver_free(d->deliver);
    scan_free(d->scan);
    db_free(d->db);
    status_cache_free(d);
    audit_refusals_free(d);
    metrics_free(d->metrics);
    if (d->sig_hup) {
        event_free(d->sig_hup);
        event_free(d->sig_term);
        event_free(d->sig_int);
    }
    config_free(d->cfg);
    sign_forget();
    free(d->schema_error);
    if (d->base)
        event_base_free(d->base);
}

static int
run(struct daemon *d)
{
    char err[512];
    d->ctl = control_new(d, err, sizeof err);
    if (d->ctl == NULL) {
        log_error("cannot start", "error=%s", log_q(err));
        return 1;
    }
    d->metrics = metrics_new();
    for (size_t i = 0; i < d->cfg->n_receivers; i++)
        metrics_receiver(d->metrics, d->cfg->receivers[i].name);
    if (!web_start(d, err, sizeof err)) {
        log_error("cannot start", "error=%s", log_q(err));
        return 1;
    }
    d->sig_hup = evsignal_new(d->base, SIGHUP, on_signal, d);
    d->sig_term = evsignal_new(d->base, SIGTERM, on_signal, d);
    d->sig_int = evsignal_new(d->base, SIGINT, on_signal, d);
    event_add(d->sig_hup, NULL);
    event_add(d->sig_term, NULL);
    event_add(d->sig_int, NULL);

    d->db = db_new(d->base, "main", d->cfg->db_conninfo, d->cfg->db_reconnect_max, on_db_state, on_db_notify, d);
    db_start(d->db);
    d->deliver = deliver_new(d);
    d->scan = scan_new(d, on_scan_end, d);
    log_info("keyprojd started", "version=%s pid=%ld schema=%d", PACKAGE_VERSION, (long)getpid(),
             migrate_latest());
    notify_send("READY=1");
    event_base_dispatch(d->base);
    log_info("keyprojd stopped", "%s", "");
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "migrate", no_argument, NULL, 'm' },
        { "check-config", no_argument, NULL, 'k' },
        { "now", required_argument, NULL, 'n' },
        { "list-commands", no_argument, NULL, 'L' },
        { "version", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct daemon d;
    memset(&d, 0, sizeof d);
    d.config_path = DEFAULT_CONFIG;
    d.schema_version = -1;
    d.commands = cmd_table;
    d.reload = daemon_reload;
    d.counts_dropped = web_cache_drop;
    bool migrate_only = false, check_only = false;
    const char *now = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': d.config_path = optarg; break;
        case 'm': migrate_only = true; break;
        case 'k': check_only = true; break;
        case 'n': now = optarg; break;
        case 'L': list_commands(); return 0;
        case 'v': printf("keyprojd %s\n", PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log_set_journal(getenv("JOURNAL_STREAM") != NULL);
    /* Blocks of 1 MiB and more (an import's file, a country's overdue
     * list) are mapped on their own and go back to the system when freed.
     * glibc would otherwise raise this threshold to the largest block
     * freed so far (up to 32 MiB), and later large blocks would come from
     * the heap and keep their pages after use. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);

    char err[512];
    d.cfg = config_load(d.config_path, err, sizeof err);
    if (d.cfg == NULL) {
        fprintf(stderr, "keyprojd: %s\n", err);
        return 1;
    }
    if (check_only) {
        config_check(d.cfg, stderr);
        printf("%s: ok\n", d.config_path);
        config_free(d.cfg);
        return 0;
    }
    log_set_level(d.cfg->log_level);
    log_set_syslog(d.cfg->log_syslog, d.cfg->log_ident, d.cfg->log_facility);
    clock_set_zone(d.cfg->timezone);
    if (now && !clock_set(&d.clock, now)) {
        fprintf(stderr, "keyprojd: --now: cannot read '%s' (expected 2026-11-25T09:00:00+08:00)\n", now);
        config_free(d.cfg);
        return 2;
    }
    d.test_clock = now != NULL;
    d.started_at = clock_now(&d.clock);
    d.base = event_base_new();
    if (d.base == NULL) {
        fprintf(stderr, "keyprojd: cannot create the event loop\n");
        config_free(d.cfg);
        return 1;
    }
    int rc = migrate_only ? run_migrate_only(&d) : run(&d);
    if (migrate_only)
        d.db = NULL;
    daemon_free(&d);
    return rc;
}
