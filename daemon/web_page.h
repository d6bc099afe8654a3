/* web_page: what every dashboard page is made of. A page asks its figures
 * of the very commands keyprojctl runs (stats, rank, campaign show,
 * overdue …, through cmd_dispatch with a replier of its own), so the page
 * and the CLI cannot disagree; a few page-only figures come from a query
 * of its own (page_sql). Everything runs on the event loop without
 * blocking, within PAGE_BUDGET_SECONDS; then the page is written from the
 * answers, every value escaped (web_html_printf). Nothing here writes. */
#ifndef KEYPROJ_WEB_PAGE_H
#define KEYPROJ_WEB_PAGE_H

#include <stdbool.h>
#include <jansson.h>

struct daemon;
struct evbuffer;
struct evhttp_request;
struct evkeyvalq;
struct page;

/* A page's whole time: its queries answered and its HTML written. Past
 * it the reader gets a 503 page. */
#define PAGE_BUDGET_SECONDS 5
/* Queries one page may run. */
#define PAGE_MAX_QUERIES 8
/* Rows a list shows; the CSV download has them all. */
#define PAGE_MAX_ROWS 200
/* The 大屏 reloads itself this often (seconds), with no script. */
#define PAGE_SCREEN_REFRESH 300

/* Connections of the dashboard's own: a page's commands go round them and
 * run side by side, so that a page takes its slowest command's time rather
 * than the sum (the 总览 runs six). */
#define PAGE_DBS 3

/* A page written is served again for this long (seconds) to requests for
 * the same address, unless something was written to the database since
 * (web_cache_drop, wherever status's counts are dropped) or the request
 * says Cache-Control: no-cache (a browser's forced reload). At most
 * PAGE_CACHE_MAX pages are kept; CSV downloads never. */
#define PAGE_CACHE_SECONDS 5
#define PAGE_CACHE_MAX 32

struct page_cached;

/* The pages being served (web_pages.c has one). */
struct web_pages {
    struct daemon *d;
    struct page *pages;         /* waiting for their queries */
    struct db *db[PAGE_DBS];    /* made by the first page; NULL before */
    unsigned next_db;
    struct page_cached *cache;  /* newest first */
    unsigned long generation;   /* bumped by each drop: a page started before it is not kept */
};

/* One page: its path prefix ("/county/" takes the rest of the path as its
 * argument, "/overdue" takes none), the query parameters it takes (besides
 * screen and format), the queries it starts, and what it writes once every
 * query has answered without an error. */
struct page_def {
    const char *path;
    bool has_arg;
    const char *const *params;
    void (*start)(struct page *p);
    void (*render)(struct page *p, struct evbuffer *out);
    bool screen;                /* the 大屏 always (/screen) */
    bool csv;                   /* ?format=csv gives the rows of query 0 as CSV */
    const char *csv_name;       /* the download's file name, without .csv */
};

/* ---- what a page's start and render see ------------------------------- */

struct daemon *page_daemon(const struct page *p);
/* The path's argument, decoded ("/county/涧西区" → "涧西区"); "" when none. */
const char *page_arg(const struct page *p);
/* A query parameter's value, NULL when absent or empty. */
const char *page_param(const struct page *p, const char *name);
/* ?screen=1: the 大屏 (large type, dark, no nav, refreshes itself). */
bool page_screen(const struct page *p);
/* What a link from this page puts before a path below the dashboard's
 * root ("./" or "../" …): every link is relative, never "/…". */
const char *page_root(const struct page *p);
/* Today's business date, YYYY-MM-DD. */
const char *page_today(const struct page *p);

/* Runs a keyprojctl command (words, NULL-terminated) at the operator
 * level; its answer's data is page_data(p, slot). Returns the slot. */
int page_cmd(struct page *p, const char *word, ...) __attribute__((sentinel));
/* The same with argv built by the caller (copied). */
int page_cmdv(struct page *p, int argc, const char *const *argv);
/* page_cmd with, after the words, the options the page's query carries
 * for each of names (NULL-terminated): county=涧西区 → --county 涧西区,
 * days → --within. The command checks them as it checks keyprojctl's. */
int page_cmd_filtered(struct page *p, const char *const *names, const char *word, ...) __attribute__((sentinel));
/* Runs a read-only statement of the page's own; its rows are
 * page_data(p, slot) (db_rows_json). */
int page_sql(struct page *p, const char *sql, int nparams, const char *const *params);
/* The query's error (a campaign not there) leaves page_data null rather
 * than answering an error page. */
void page_optional(struct page *p, int slot);
/* The data of a query that answered (never NULL: json null at worst). */
json_t *page_data(const struct page *p, int slot);

/* A download instead of HTML (the weekly bulletin's workbook): start
 * takes a slot with page_wait and fills it later, once, with page_file
 * (the bytes, copied, sent as an attachment named name) or page_fail (an
 * error page: code as a command's, "usage" → 400, else 500). */
int page_wait(struct page *p);
void page_file(struct page *p, int slot, const char *ctype, const char *name, const char *data, size_t len);
void page_fail(struct page *p, int slot, const char *code, const char *message);

/* ---- writing ----------------------------------------------------------- */

/* The document up to the page's own content: head (title, stylesheet, a
 * refresh in the 大屏), header with title and the nav. */
void page_head(struct page *p, struct evbuffer *out, const char *title);
/* The rest: footer and the end of the document. */
void page_foot(struct page *p, struct evbuffer *out);

/* "筛选 县区：涧西区，…" for the filters the query carries (nothing when none). */
void page_filters_note(const struct page *p, struct evbuffer *out);
/* A link to the same page's CSV download (not in the 大屏). */
void page_csv_link(const struct page *p, struct evbuffer *out);

/* Values of an answer's object: a string ("" when absent or not one), a
 * number (0 when absent), and whether it is a number at all. */
const char *page_str(const json_t *o, const char *key);
double page_num(const json_t *o, const char *key);
bool page_has(const json_t *o, const char *key);
/* The Chinese for an enum value (light, sector, level, status …). */
const char *page_zh(const char *value);

/* Serves req with the page def (web_pages.c routes); may answer later. */
struct web_pages;
void page_serve(struct web_pages *wp, const void *owner, const struct page_def *def, struct evhttp_request *req,
                const char *arg);
/* An answer of its own: a Chinese error page (404, 400, 503 …). */
void page_error(struct evhttp_request *req, int code, const char *reason, const char *title, const char *detail);
/* The same naming the path asked for (as text, in <code>). */
void page_error_at(struct evhttp_request *req, int code, const char *reason, const char *title, const char *detail,
                   const char *path);

#endif
