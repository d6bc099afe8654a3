/* web_metrics: the answers of /metrics (Prometheus text format 0.0.4) and
 * /healthz, from the daemon's state and the status cache (status_cache.c).
 * Nothing here touches the database or a socket: web.c routes requests
 * here and owns the connections. */
#ifndef KEYPROJ_WEB_METRICS_H
#define KEYPROJ_WEB_METRICS_H

struct daemon;
struct evhttp_request;
struct web_metrics;

struct web_metrics *web_metrics_new(struct daemon *d);
/* Scrapes still waiting for counts forget their requests (the listener is
 * going away with them) and are freed when the status cache answers. */
void web_metrics_free(struct web_metrics *m);
/* The same for the scrapes that came through one listener (owner), which
 * is about to be freed. */
void web_metrics_forget(struct web_metrics *m, const void *owner);

/* GET or HEAD /metrics through owner; may answer later (the counts). */
void web_metrics_serve(struct web_metrics *m, const void *owner, struct evhttp_request *req);
/* GET or HEAD /healthz: 200 "ok", or 503 and why. */
void web_health_serve(struct web_metrics *m, struct evhttp_request *req);

#endif
