/* web_pages: the dashboard (issue 15): read-only pages served on
 * web.listen — 总览, county, leader, unit and project pages, the lists
 * (overdue, due, problems, letters) with a CSV download, and the 大屏.
 * web.c routes every path but /metrics and /healthz here. */
#ifndef KEYPROJ_WEB_PAGES_H
#define KEYPROJ_WEB_PAGES_H

struct config;
struct daemon;
struct evhttp_request;
struct web_pages;

struct web_pages *web_pages_new(struct daemon *d);
/* Pages still waiting for their queries forget their requests and are
 * freed when the last query answers (db_free answers them all). */
void web_pages_free(struct web_pages *wp);
/* The same for the pages that came through one listener (owner), about to
 * be freed with its connections. */
void web_pages_forget(struct web_pages *wp, const void *owner);
/* Forgets every page kept (web_page.h, PAGE_CACHE_SECONDS). */
void web_pages_drop_cache(struct web_pages *wp);
/* Takes the new conninfo for the pages' own connections (reload). */
void web_pages_reconfigure(struct web_pages *wp, const struct config *cfg);
/* GET or HEAD of path (not decoded) through owner; may answer later. */
void web_pages_serve(struct web_pages *wp, const void *owner, struct evhttp_request *req, const char *path);

#endif
