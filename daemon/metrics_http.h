/* metrics_http: the optional HTTP listener (metrics.listen) that serves
 * /metrics (Prometheus text format 0.0.4) and /healthz. It only reads the
 * daemon's state; it never writes to the database, and one client can
 * never make it buffer more than a request head or outlive its timeout. */
#ifndef KEYPROJ_METRICS_HTTP_H
#define KEYPROJ_METRICS_HTTP_H

#include <stddef.h>

struct daemon;
struct metrics_http;

/* Request heads beyond this are refused (431); GET and HEAD carry no body. */
#define METRICS_HTTP_MAX_HEAD 8192
#define METRICS_HTTP_MAX_CLIENTS 16
#define METRICS_HTTP_TIMEOUT_SECONDS 10
/* /metrics waits at most this long for the outbox and project counts,
 * then answers without them. */
#define METRICS_HTTP_COUNTS_WAIT_SECONDS 5

/* Listens on the configured address (d->cfg->metrics_host and _port).
 * Returns NULL with err when it cannot (the address is taken, …). */
struct metrics_http *metrics_http_new(struct daemon *d, char *err, size_t errlen);
/* Closes the listener and every connection; call it before what the
 * answers read (scan, deliver) is freed. A scrape still waiting for counts
 * is freed when status_cache_free answers it. NULL is ignored. */
void metrics_http_free(struct metrics_http *h);

#endif
