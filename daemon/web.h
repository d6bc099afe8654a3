/* web: keyprojd's HTTP listeners, on libevent's evhttp: metrics.listen
 * serves /metrics and /healthz; web.listen serves those and the
 * dashboard's pages (one socket when both name the same address). Read
 * only (GET and HEAD), and bounded like the control socket: connections
 * per peer (a remote address, or the local user behind a loopback one) and
 * in all, request head size, and a deadline for a whole request, so that
 * slow clients cannot hold the listener. */
#ifndef KEYPROJ_WEB_H
#define KEYPROJ_WEB_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct daemon;
struct web;

/* Request heads beyond WEB_MAX_HEAD are answered 431; beyond
 * WEB_MAX_HEAD_HARD evhttp itself stops reading and answers 400. */
#define WEB_MAX_HEAD 8192
#define WEB_MAX_HEAD_HARD 16384
/* GET and HEAD carry no body; a little is read so that a POST is told 405. */
#define WEB_MAX_BODY 1024
/* Connections at once from one peer, and in all. A peer is a remote
 * address, or on the loopback the local user holding the socket (all
 * local peers whose user is unknown together): however many addresses it
 * binds, one local user leaves three quarters of the listener to others,
 * a monitor among them. */
#define WEB_MAX_PER_PEER 16
#define WEB_MAX_CONNECTIONS 64
_Static_assert(WEB_MAX_PER_PEER * 4 <= WEB_MAX_CONNECTIONS, "one peer must leave room for others");
/* From accept to a complete request, however the bytes trickle in; also
 * evhttp's idle timeout for reading and writing. */
#define WEB_REQUEST_SECONDS 10
/* /metrics waits at most this long for the outbox and project counts,
 * then answers without them. */
#define WEB_COUNTS_WAIT_SECONDS 5

/* Binds what d->cfg asks for (metrics.listen, web.listen; maybe nothing)
 * and sets d->web. false with err when an address cannot be bound. */
bool web_start(struct daemon *d, char *err, size_t errlen);
/* On reload, before cfg replaces d->cfg: moves the dashboard's listener
 * when web.listen changed (metrics.listen waits for a restart; daemon.c
 * says so). When the new address cannot be bound, the old one stays and
 * cfg's web.listen is set back to it, so that status tells the truth. */
void web_reload(struct daemon *d, struct config *cfg);
/* Closes the listeners and every connection; call it before what the
 * answers read (scan, deliver) is freed. A scrape still waiting for counts
 * is freed when status_cache_free answers it. NULL is ignored. */
void web_free(struct web *w);
/* Forgets the pages kept (web_page.h): something was written. */
void web_cache_drop(struct daemon *d);

#endif
