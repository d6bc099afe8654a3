/* cmd_status: `status`, the first thing an operator runs: is the daemon
 * alive, is the database there, which schema, how much it holds. Answers
 * even when the database is down. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "migrate.h"
#include "scan.h"
#include "status_cache.h"
#include "util.h"

static const char *
db_state_name(const struct daemon *d)
{
    switch (db_state(d->db)) {
    case DB_UP: return d->db_ready ? "connected" : d->migrating ? "migrating" : "connected, schema unusable";
    case DB_CONNECTING: return "connecting";
    default: return "down";
    }
}

static json_t *
base_status(const struct daemon *d)
{
    double now = clock_now(&d->clock);
    char iso[32], today[11];
    struct ymd t;
    clock_format(now, iso);
    clock_date_of(now, &t);
    format_date(&t, today);
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(o, "uptime_seconds", json_integer((json_int_t)(now - d->started_at)));
    json_object_set_new(o, "now", json_string(iso));
    json_object_set_new(o, "today", json_string(today));
    json_object_set_new(o, "timezone", json_string(d->cfg->timezone));
    json_object_set_new(o, "database", json_string(db_state_name(d)));
    if (!d->db_ready) {
        const char *why = d->schema_error ? d->schema_error : db_last_error(d->db);
        if (why && why[0])
            json_object_set_new(o, "database_error", json_string(why));
    }
    json_object_set_new(o, "schema_version",
                        d->schema_version >= 0 ? json_integer(d->schema_version) : json_null());
    json_object_set_new(o, "schema_expected", json_integer(migrate_latest()));
    json_object_set_new(o, "control_clients", json_integer(control_clients(d->ctl)));
    if (d->scan) {
        /* flat keys, short enough to keep the status table's layout */
        const struct scan_stats *last = scan_last(d->scan);
        char at[32];
        json_object_set_new(o, "role", json_string(scan_role(d->scan)));
        json_object_set_new(o, "scanning", json_boolean(scan_running(d->scan)));
        if (last) {
            clock_format(last->at, at);
            json_object_set_new(o, "last_scan_at", json_string(at));
            json_object_set_new(o, "last_scan_ms", json_real((double)(long)(last->ms * 10.0 + 0.5) / 10.0));
            json_object_set_new(o, "last_scan_examined", json_integer(last->examined));
            json_object_set_new(o, "last_scan_alerts", json_integer(last->alerts));
            if (last->error[0])
                json_object_set_new(o, "last_scan_error", json_string(last->error));
        }
    }
    return o;
}

struct status_job {
    struct cmd_ctx *ctx;
};

/* What an answer shows besides the counts (status_cache.h keeps the last
 * rendering with its key): whole seconds of the daemon's clock (now,
 * uptime) and of real time (delivery_oldest_s), and the state of the
 * configuration, the socket, the schema and the scanner. */
struct status_key {
    long now_s, real_s;
    const void *cfg, *timezone, *role, *last;
    unsigned long scans;
    int clients, schema_version;
    bool running;
};
_Static_assert(sizeof(struct status_key) <= STATUS_RENDER_KEY, "status_key outgrew its slot");

static void
status_key_of(const struct daemon *d, struct status_key *k)
{
    memset(k, 0, sizeof *k);    /* padding too: keys are compared with memcmp */
    k->now_s = (long)clock_now(&d->clock);
    k->real_s = (long)clock_now(NULL);
    k->cfg = d->cfg;
    k->timezone = d->cfg->timezone;
    k->clients = control_clients(d->ctl);
    k->schema_version = d->schema_version;
    if (d->scan) {
        const struct scan_stats *last = scan_last(d->scan);
        k->role = scan_role(d->scan);
        k->last = last;
        k->scans = last ? last->number : 0;
        k->running = scan_running(d->scan);
    }
}

/* The whole answer's data, counts (borrowed) included; a new reference. */
static json_t *
full_status(const struct daemon *d, json_t *counts)
{
    json_t *out = base_status(d);
    json_object_update(out, counts);
    /* the outbox's oldest pending delivery, aged now, not when counted */
    json_t *epoch = json_object_get(out, "oldest_pending_epoch");
    double age = json_is_number(epoch) ? clock_now(NULL) - json_number_value(epoch) : 0;
    json_object_set_new(out, "delivery_oldest_s",
                        json_is_number(epoch) ? json_integer((json_int_t)(age > 0 ? age : 0)) : json_null());
    json_object_del(out, "oldest_pending_epoch");
    return out;
}

/* The counts come from status_cache.c: no database round trip per call;
 * the answer rendered from them is served again while nothing it shows
 * has changed. */
static void
on_counts(void *arg, json_t *counts, const char *err)
{
    struct status_job *job = arg;
    struct daemon *d = job->ctx->d;
    if (err) {
        json_t *out = base_status(d);
        json_object_set_new(out, "counts_error", json_string(err));
        cmd_reply(job->ctx, out);
        free(job);
        return;
    }
    struct status_key k;
    status_key_of(d, &k);
    struct status_render *r = status_cache_render(d);
    if (r->text == NULL || r->counts != counts || memcmp(r->key, &k, sizeof k) != 0) {
        json_t *out = full_status(d, counts);
        free(r->text);
        r->text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(out);
        json_decref(r->counts);
        r->counts = json_incref(counts);
        memcpy(r->key, &k, sizeof k);
    }
    cmd_reply_text(job->ctx, r->text);
    free(job);
}

static void
status_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
    struct daemon *d = ctx->d;
    if (!d->db_ready) {
        cmd_reply(ctx, base_status(d));
        return;
    }
    char today[11];
    struct ymd t;
    clock_date_of(clock_now(&d->clock), &t);
    format_date(&t, today);
    struct status_job *job = xcalloc(1, sizeof *job);
    job->ctx = ctx;
    status_cache_get(d, today, on_counts, job);
}

const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .usage = "",
    .summary = "daemon, database and schema state; counts of projects and milestones",
    .level = LEVEL_OPERATOR,
    .exec = status_exec,
};
