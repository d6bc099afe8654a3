/* daemon: what changes the running service as a whole on request: a
 * reload, from SIGHUP (main.c) or `reload` (cmd_reload.c). A file with an
 * error never replaces the running configuration. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "scan.h"
#include "sign.h"
#include "util.h"
#include "web.h"

char *
daemon_reload(struct daemon *d)
{
    char err[512];
    struct config *cfg = config_load(d->config_path, err, sizeof err);
    if (cfg == NULL) {
        log_error("reload failed: keeping the running configuration", "error=%s", log_q(err));
        return xstrdup(err);
    }
    if (strcmp(cfg->ctl_socket, d->cfg->ctl_socket) != 0)
        log_warn("control.socket changed: takes effect at the next restart", "path=%s",
                 log_q(d->cfg->ctl_socket));
    /* Like the socket, the metrics address stays what was bound at start. */
    const char *ml_old = d->cfg->metrics_listen ? d->cfg->metrics_listen : "";
    if (strcmp(cfg->metrics_listen ? cfg->metrics_listen : "", ml_old) != 0)
        log_warn("metrics.listen changed: takes effect at the next restart", "listen=%s", log_q(ml_old));
    if (cfg->scan_connections != d->cfg->scan_connections)
        log_warn("alerts.scan_connections changed: takes effect at the next restart", "scan_connections=%d",
                 d->cfg->scan_connections);
    /* The dashboard's listener moves now (or stays, and cfg says so). */
    web_reload(d, cfg);
    struct config *old = d->cfg;
    /* Keep the socket path we actually listen on, so status stays true. */
    free(cfg->ctl_socket);
    cfg->ctl_socket = xstrdup(old->ctl_socket);
    free(cfg->metrics_listen);
    free(cfg->metrics_host);
    cfg->metrics_listen = old->metrics_listen ? xstrdup(old->metrics_listen) : NULL;
    cfg->metrics_host = old->metrics_host ? xstrdup(old->metrics_host) : NULL;
    cfg->metrics_port = old->metrics_port;
    cfg->scan_connections = old->scan_connections;     /* read at start (scan_new) */
    for (size_t i = 0; i < cfg->n_receivers; i++)
        metrics_receiver(d->metrics, cfg->receivers[i].name);
    d->cfg = cfg;
    config_free(old);
    sign_forget();              /* no keyed context outlives a secret the new file dropped */
    log_set_level(cfg->log_level);
    log_set_syslog(cfg->log_syslog, cfg->log_ident, cfg->log_facility);
    clock_set_zone(cfg->timezone);
    control_apply_config(d->ctl);
    db_reconfigure(d->db, cfg->db_conninfo, cfg->db_reconnect_max);
    deliver_reconfigure(d->deliver);
    scan_reconfigure(d->scan);
    log_info("configuration reloaded", "path=%s receivers=%zu", log_q(cfg->path), cfg->n_receivers);
    return NULL;
}
