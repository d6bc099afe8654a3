/* web_page: one dashboard page from request to answer — its queries (the
 * CLI's commands through cmd_dispatch, or a statement of its own), the
 * time budget, the error pages, the frame every page shares and the CSV
 * download. It never writes to the database (the commands run at the
 * operator level, which reads only) and never blocks the loop. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "csv.h"
#include "daemon.h"
#include "db.h"
#include "db_rows.h"
#include "log.h"
#include "util.h"
#include "values.h"
#include "web.h"
#include "web_reply.h"
#include "web_html.h"
#include "web_page.h"
#include "web_pages.h"

/* A command run for a page: the cmd_ctx cmd_dispatch answers through. */
struct page_cmd {
    struct cmd_ctx ctx;         /* first: the replier gets &ctx */
    struct page *p;
    int slot;
};

struct page_sqlq {
    struct page *p;
    int slot;
};

struct page {
    struct web_pages *wp;       /* NULL: the pages are gone; the last answer frees */
    struct page *next, *prev;
    const void *owner;
    const struct page_def *def;
    struct evhttp_request *req; /* NULL once answered or forgotten */
    struct evkeyvalq query;
    char *arg;
    char today[11];
    const char *root;           /* from this page up to the dashboard's root: "./", "../" … */
    bool screen, csv, starting;
    int nq, pending;
    json_t *res[PAGE_MAX_QUERIES];      /* {"ok":…} answers, or rows */
    bool optional[PAGE_MAX_QUERIES];    /* its error leaves a hole, not an error page */
    double started;             /* real time, for Server-Timing */
    struct event *budget_ev;
    char *cache_key;            /* NULL: not to be kept */
    struct buf file;            /* page_file's bytes: sent instead of render's HTML */
    const char *file_type;      /* NULL: no file */
    char *file_name;
    unsigned long generation;   /* the cache's when the page started */
};

static void page_done(struct page *p);

struct daemon *
page_daemon(const struct page *p)
{
    return p->wp->d;
}

const char *
page_arg(const struct page *p)
{
    return p->arg ? p->arg : "";
}

const char *
page_param(const struct page *p, const char *name)
{
    const char *v = evhttp_find_header(&p->query, name);
    return v && v[0] ? v : NULL;
}

bool
page_screen(const struct page *p)
{
    return p->screen;
}

/* The way up from the raw (still %-encoded) request path to the
 * dashboard's root, by its depth: "/" and "/overdue" are at the root,
 * "/county/X" one below. Links are written relative to it, so that they
 * work wherever the dashboard is mounted (nginx's /keyproj/ as in
 * doc/operations.md) with no address configured for the pages. */
static const char *
root_of(const char *uri)
{
    static const char *const up[] = { "./", "../", "../../", "../../../" };
    size_t depth = 0;
    for (const char *c = uri ? uri : "/"; *c && *c != '?' && *c != '#'; c++)
        depth += *c == '/';
    depth = depth > 0 ? depth - 1 : 0;
    return up[depth < ARRAY_LEN(up) ? depth : ARRAY_LEN(up) - 1];
}

const char *
page_root(const struct page *p)
{
    return p->root;
}

const char *
page_today(const struct page *p)
{
    return p->today;
}

/* ---- queries --------------------------------------------------------------- */

/* A page connection just up: its session settings. JIT compiling costs a
 * national ledger's counts more than it saves (0.1–0.7 s on a statement of
 * 0.5 s: compilation scales with the estimated cost); a hash of a national
 * ledger's milestones spilled to disk at the default work_mem. */
static void
on_page_db_state(void *arg, enum db_state state)
{
    struct db **db = arg;
    if (state == DB_UP)
        db_query(*db, "SELECT set_config('jit', 'off', false), set_config('work_mem', '32MB', false)", 0, NULL,
                 NULL, NULL);
}

/* The connection for a page's next command: the pages' own, in turn, made
 * when the first page is asked for (no connection is held for a dashboard
 * nobody opens); the main one while they are not up. */
static struct db *
page_db(struct page *p)
{
    struct web_pages *wp = p->wp;
    const struct config *cfg = wp->d->cfg;
    if (wp->db[0] == NULL) {
        for (int i = 0; i < PAGE_DBS; i++) {
            char name[16];
            snprintf(name, sizeof name, "web%d", i + 1);
            wp->db[i] = db_new(wp->d->base, name, cfg->db_conninfo, cfg->db_reconnect_max, on_page_db_state, NULL,
                               &wp->db[i]);
            db_start(wp->db[i]);
        }
    }
    struct db *db = wp->db[wp->next_db++ % PAGE_DBS];
    return db_state(db) == DB_UP ? db : NULL;
}

void
web_pages_reconfigure(struct web_pages *wp, const struct config *cfg)
{
    for (int i = 0; wp && i < PAGE_DBS; i++)
        if (wp->db[i])
            db_reconfigure(wp->db[i], cfg->db_conninfo, cfg->db_reconnect_max);
}

static void
page_answered(struct page *p, int slot, json_t *answer)
{
    p->res[slot] = answer;
    p->pending--;
    if (p->pending == 0 && !p->starting)
        page_done(p);
}

static void
cmd_respond(struct cmd_ctx *ctx, json_t *resp)
{
    struct page_cmd *pc = (struct page_cmd *)ctx;
    struct page *p = pc->p;
    int slot = pc->slot;
    tokens_free(&ctx->tok);
    free(ctx->user);
    free(pc);
    page_answered(p, slot, resp);
}

static void
cmd_respond_text(struct cmd_ctx *ctx, const char *data)
{
    json_t *d = json_loads(data, JSON_DECODE_ANY, NULL);
    cmd_respond(ctx, json_pack("{s:b, s:o}", "ok", 1, "data", d ? d : json_null()));
}

static const struct cmd_replier page_replier = { cmd_respond, cmd_respond_text, false };

int
page_cmdv(struct page *p, int argc, const char *const *argv)
{
    if (p->nq == PAGE_MAX_QUERIES)
        abort();                /* a page asking too much: fix the page */
    struct daemon *d = p->wp->d;
    struct page_cmd *pc = xcalloc(1, sizeof *pc);
    pc->p = p;
    pc->slot = p->nq++;
    p->pending++;
    struct cmd_ctx *ctx = &pc->ctx;
    ctx->d = d;
    ctx->out = &page_replier;
    ctx->level = LEVEL_OPERATOR;
    ctx->uid = (uid_t)-1;
    ctx->user = xstrdup("web");
    ctx->request_id = ++d->next_request_id;
    ctx->started = clock_now(NULL);
    ctx->result = "";
    ctx->unaudited = true;
    ctx->db = page_db(p);
    ctx->tok.argc = argc;
    ctx->tok.argv = xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++)
        ctx->tok.argv[i] = xstrdup(argv[i]);
    int slot = pc->slot;
    cmd_dispatch(ctx);          /* may answer at once: pc is gone then */
    return slot;
}

int
page_cmd(struct page *p, const char *word, ...)
{
    const char *argv[24];
    int argc = 0;
    va_list ap;
    va_start(ap, word);
    for (const char *w = word; w && argc < 24; w = va_arg(ap, const char *))
        argv[argc++] = w;
    va_end(ap);
    return page_cmdv(p, argc, argv);
}

int
page_cmd_filtered(struct page *p, const char *const *names, const char *word, ...)
{
    static const struct { const char *param, *opt; } renamed[] = { { "days", "within" } };
    const char *argv[40];
    char opts[16][24];
    int argc = 0, nopt = 0;
    va_list ap;
    va_start(ap, word);
    for (const char *w = word; w && argc < 20; w = va_arg(ap, const char *))
        argv[argc++] = w;
    va_end(ap);
    for (const char *const *n = names; *n && nopt < 16; n++) {
        const char *v = page_param(p, *n), *name = *n;
        if (v == NULL)
            continue;
        for (size_t i = 0; i < ARRAY_LEN(renamed); i++)
            if (strcmp(renamed[i].param, name) == 0)
                name = renamed[i].opt;
        snprintf(opts[nopt], sizeof opts[0], "--%s", name);
        argv[argc++] = opts[nopt++];
        argv[argc++] = v;
    }
    return page_cmdv(p, argc, argv);
}

static void
on_sql(void *arg, const PGresult *res, const char *err)
{
    struct page_sqlq *q = arg;
    json_t *answer;
    if (err)
        answer = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", "internal", "message", err);
    else
        answer = json_pack("{s:b, s:o}", "ok", 1, "data", db_rows_json(res));
    struct page *p = q->p;
    int slot = q->slot;
    free(q);
    page_answered(p, slot, answer);
}

int
page_sql(struct page *p, const char *sql, int nparams, const char *const *params)
{
    if (p->nq == PAGE_MAX_QUERIES)
        abort();
    struct page_sqlq *q = xcalloc(1, sizeof *q);
    q->p = p;
    q->slot = p->nq++;
    p->pending++;
    int slot = q->slot;
    struct db *db = page_db(p);
    db_query(db ? db : p->wp->d->db, sql, nparams, params, on_sql, q);      /* may answer at once */
    return slot;
}

void
page_optional(struct page *p, int slot)
{
    p->optional[slot] = true;
}

json_t *
page_data(const struct page *p, int slot)
{
    static json_t *none;
    if (none == NULL)
        none = json_null();
    json_t *d = slot >= 0 && slot < p->nq ? json_object_get(p->res[slot], "data") : NULL;
    return d ? d : none;
}

/* ---- values ---------------------------------------------------------------- */

const char *
page_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

double
page_num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

bool
page_has(const json_t *o, const char *key)
{
    return json_is_number(json_object_get(o, key));
}

const char *
page_zh(const char *v)
{
    static const char *const zh[][2] = {
        { "red", "红" }, { "yellow", "黄" }, { "green", "绿" },
        { "industry", "产业" }, { "urban", "城建" }, { "infrastructure", "基础设施" }, { "livelihood", "民生" },
        { "ecology", "生态" }, { "other", "其他" }, { "province", "省" }, { "city", "市" },
        { "new", "新开工" }, { "continuing", "续建" }, { "preliminary", "前期" }, { "building", "在建" },
        { "suspended", "停建" }, { "completed", "竣工" }, { "operating", "投运" },
        { "pending", "未到期" }, { "done", "完成" }, { "waived", "免除" }, { "overdue", "逾期" },
        { "open", "未办结" }, { "resolved", "已解决" }, { "replied", "已回复" },
        { "reminder", "提醒函" }, { "supervision", "督办函" }, { "assignment", "交办函" },
        { "start", "开工" }, { "structure", "主体" }, { "topping", "封顶" }, { "completion", "竣工" },
        { "operation", "投运" }, { "investment", "投资" }, { "approval", "审批" },
        { "major", "重大" }, { "ordinary", "一般" }, { "district", "城区组" }, { "county", "县组" },
        { "zone", "功能区组" }, { "milestone", "节点" },
    };
    for (size_t i = 0; v && i < ARRAY_LEN(zh); i++)
        if (strcmp(zh[i][0], v) == 0)
            return zh[i][1];
    return v ? v : "";
}

/* ---- the frame ------------------------------------------------------------- */

static const struct { const char *href, *label; } nav[] = {
    { "", "总览" }, { "overdue", "逾期" }, { "due", "临期" }, { "problems", "问题" }, { "orders", "督办函" },
};

static void
doc_start(struct evbuffer *out, const char *root, const char *title, bool screen)
{
    web_html_printf(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    if (screen)
        web_html_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", PAGE_SCREEN_REFRESH);
    web_html_printf(out, "<title>%s · 重点项目</title>\n<link rel=\"stylesheet\" href=\"%sstatic/app.css\">\n"
                    "<link rel=\"icon\" href=\"data:,\">\n"
                    "</head>\n", title, root);
    evbuffer_add_printf(out, screen ? "<body class=\"scr\">\n" : "<body>\n");
}

void
page_head(struct page *p, struct evbuffer *out, const char *title)
{
    doc_start(out, p->root, title, p->screen);
    web_html_printf(out, "<header><h1>%s</h1><span class=\"date\">%s</span></header>\n", title, p->today);
    if (!p->screen) {
        evbuffer_add_printf(out, "<nav>");
        for (size_t i = 0; i < ARRAY_LEN(nav); i++)
            web_html_printf(out, "<a href=\"%s%s\">%s</a>", p->root, nav[i].href, nav[i].label);
        evbuffer_add_printf(out, "</nav>\n");
    }
    evbuffer_add_printf(out, "<main>\n");
}

void
page_foot(struct page *p, struct evbuffer *out)
{
    if (p->screen) {
        web_html_printf(out, "</main>\n<footer>每%d分钟自动刷新</footer>\n</body>\n</html>\n",
                        PAGE_SCREEN_REFRESH / 60);
        return;
    }
    web_html_printf(out, "</main>\n<footer>数据日期 %s · keyprojd %s · 只读</footer>\n</body>\n</html>\n", p->today,
                    PACKAGE_VERSION);
}

static const char *
param_zh(const char *k)
{
    static const char *const zh[][2] = {
        { "county", "县区" }, { "sector", "领域" }, { "level", "级别" }, { "unit", "责任单位" },
        { "leader", "分包领导" }, { "light", "灯" }, { "campaign", "攻坚期" }, { "days", "天数" },
        { "status", "状态" }, { "category", "类别" }, { "severity", "程度" }, { "project", "项目" },
        { "kind", "类型" },
    };
    for (size_t i = 0; i < ARRAY_LEN(zh); i++)
        if (strcmp(zh[i][0], k) == 0)
            return zh[i][1];
    return k;
}

void
page_filters_note(const struct page *p, struct evbuffer *out)
{
    bool any = false;
    for (const struct evkeyval *kv = p->query.tqh_first; kv; kv = kv->next.tqe_next) {
        if (!kv->value[0] || strcmp(kv->key, "screen") == 0 || strcmp(kv->key, "format") == 0)
            continue;
        web_html_printf(out, any ? "，%s：%s" : "<p class=\"note\">筛选 %s：%s", param_zh(kv->key), kv->value);
        any = true;
    }
    if (any)
        web_html_printf(out, " · <a href=\"%s%s\">全部</a></p>\n", p->root, p->def->path + 1);
}

void
page_csv_link(const struct page *p, struct evbuffer *out)
{
    if (p->screen)
        return;
    web_html_printf(out, "<a class=\"csv\" href=\"%s%s?", p->root, p->def->path + 1);
    for (const struct evkeyval *kv = p->query.tqh_first; kv; kv = kv->next.tqe_next) {
        if (!kv->value[0] || strcmp(kv->key, "screen") == 0 || strcmp(kv->key, "format") == 0)
            continue;
        web_html_printf(out, "%u=%u&amp;", kv->key, kv->value);
    }
    evbuffer_add_printf(out, "format=csv\" download>下载 CSV（全部）</a>\n");
}

static void
reply_page(struct evhttp_request *req, int code, const char *reason, struct evbuffer *body)
{
    size_t len = evbuffer_get_length(body);
    web_reply(req, code, reason, "text/html; charset=utf-8", (const char *)evbuffer_pullup(body, -1), len);
}

void
page_error_at(struct evhttp_request *req, int code, const char *reason, const char *title, const char *detail,
              const char *path)
{
    struct evbuffer *out = evbuffer_new();
    const char *root = root_of(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)));
    doc_start(out, root, title, false);
    web_html_printf(out, "<header><h1>%s</h1></header>\n<main>\n", title);
    if (path)
        web_html_printf(out, "<p><code>%s</code></p>\n", path);
    web_html_printf(out, "<p class=\"err\">%s</p>\n<p><a href=\"%s\">返回总览</a></p>\n</main>\n</body>\n</html>\n",
                    detail, root);
    reply_page(req, code, reason, out);
    evbuffer_free(out);
}

void
page_error(struct evhttp_request *req, int code, const char *reason, const char *title, const char *detail)
{
    page_error_at(req, code, reason, title, detail, NULL);
}

/* ---- CSV -------------------------------------------------------------------- */

static void
put_cell(struct buf *b, const json_t *v)
{
    char num[64];
    if (json_is_string(v)) {
        csv_put_guarded(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        buf_puts(b, num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        buf_puts(b, num);
    } else if (json_is_true(v) || json_is_false(v)) {
        buf_puts(b, json_is_true(v) ? "true" : "false");
    } else if (v && !json_is_null(v)) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        csv_put_guarded(b, s ? s : "");
        free(s);
    }
}

/* The rows of query 0 as CSV: a UTF-8 BOM (Excel reads the Chinese
 * then), the keys of the first row as the header. */
/* "attachment; filename=ASCII; filename*=UTF-8''…" (RFC 6266/5987):
 * ascii for old clients, name in filename*. */
static void
attach(struct evhttp_request *req, const char *ascii, const char *name)
{
    struct evbuffer *cd = evbuffer_new();
    evbuffer_add_printf(cd, "attachment; filename=\"%s\"; filename*=UTF-8''", ascii);
    web_url_escape(cd, name);
    evbuffer_add(cd, "", 1);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Disposition",
                      (const char *)evbuffer_pullup(cd, -1));
    evbuffer_free(cd);
}

static void
reply_csv(struct page *p)
{
    const json_t *rows = page_data(p, 0);
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "\xEF\xBB\xBF");
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        const char *k;
        const json_t *v;
        bool first = true;
        if (i == 0) {
            json_object_foreach((json_t *)row, k, v) {
                if (!first)
                    buf_putc(&b, ',');
                csv_put_guarded(&b, k);
                first = false;
            }
            buf_puts(&b, "\r\n");
            first = true;
        }
        json_object_foreach((json_t *)row, k, v) {
            if (!first)
                buf_putc(&b, ',');
            put_cell(&b, v);
            first = false;
        }
        buf_puts(&b, "\r\n");
    }
    char ascii[64], *name = xasprintf("%s-%s.csv", p->def->csv_name, p->today);
    snprintf(ascii, sizeof ascii, "%s-%s.csv", p->def->path + 1, p->today);
    attach(p->req, ascii, name);
    free(name);
    web_reply(p->req, 200, "OK", "text/csv; charset=utf-8", b.data ? b.data : "", b.len);
    buf_free(&b);
}

static void
reply_file(struct page *p)
{
    char ascii[64];
    snprintf(ascii, sizeof ascii, "%s%s", p->def->path + 1, strrchr(p->file_name, '.') ? "" : ".bin");
    attach(p->req, ascii, p->file_name);
    web_reply(p->req, 200, "OK", p->file_type, p->file.data ? p->file.data : "", p->file.len);
}

int
page_wait(struct page *p)
{
    if (p->nq == PAGE_MAX_QUERIES)
        abort();
    p->pending++;
    return p->nq++;
}

void
page_file(struct page *p, int slot, const char *ctype, const char *name, const char *data, size_t len)
{
    buf_append(&p->file, data, len);
    p->file_type = ctype;
    p->file_name = xstrdup(name);
    page_answered(p, slot, json_pack("{s:b}", "ok", 1));
}

void
page_fail(struct page *p, int slot, const char *code, const char *message)
{
    page_answered(p, slot, json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code, "message", message));
}


/* ---- pages kept ------------------------------------------------------------- */

struct page_cached {
    struct page_cached *next;
    char *key;                  /* the business date and the address asked for */
    char *body;
    size_t len;
    double at;                  /* real time it was written */
};

static void
cached_free(struct page_cached *c)
{
    free(c->key);
    free(c->body);
    free(c);
}

void
web_pages_drop_cache(struct web_pages *wp)
{
    if (wp == NULL)
        return;
    wp->generation++;
    while (wp->cache) {
        struct page_cached *c = wp->cache;
        wp->cache = c->next;
        cached_free(c);
    }
}

/* The kept page for key, still fresh, or NULL; stale ones are freed on the way. */
static struct page_cached *
cache_find(struct web_pages *wp, const char *key, double now)
{
    struct page_cached **pp = &wp->cache;
    while (*pp) {
        struct page_cached *c = *pp;
        if (now - c->at >= PAGE_CACHE_SECONDS) {
            *pp = c->next;
            cached_free(c);
            continue;
        }
        if (strcmp(c->key, key) == 0)
            return c;
        pp = &c->next;
    }
    return NULL;
}

static void
cache_put(struct web_pages *wp, const char *key, struct evbuffer *body, double now)
{
    struct page_cached *old = cache_find(wp, key, now);
    size_t n = 0;
    struct page_cached **pp = &wp->cache;
    for (; *pp; n++) {
        struct page_cached *c = *pp;
        if (c == old || n + 1 >= PAGE_CACHE_MAX) {    /* the same address, or past the bound: the oldest go */
            *pp = c->next;
            cached_free(c);
            continue;
        }
        pp = &c->next;
    }
    struct page_cached *c = xcalloc(1, sizeof *c);
    c->key = xstrdup(key);
    c->len = evbuffer_get_length(body);
    c->body = xmalloc(c->len ? c->len : 1);
    evbuffer_copyout(body, c->body, c->len);
    c->at = now;
    c->next = wp->cache;
    wp->cache = c;
}

/* Whether the request asks for a fresh page (RFC 9111 no-cache, or the old Pragma). */
static bool
wants_fresh(struct evhttp_request *req)
{
    const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *cc = evhttp_find_header(h, "Cache-Control"), *pragma = evhttp_find_header(h, "Pragma");
    return (cc && (strstr(cc, "no-cache") || strstr(cc, "max-age=0"))) || (pragma && strstr(pragma, "no-cache"));
}

/* ---- a page's life ---------------------------------------------------------- */

/* The first error among the answers, as the reader should see it. */
static bool
answer_error(struct page *p)
{
    for (int i = 0; i < p->nq; i++) {
        const json_t *r = p->res[i];
        if (p->optional[i] || json_is_true(json_object_get(r, "ok")))
            continue;
        const json_t *e = json_object_get(r, "error");
        const char *code = page_str(e, "code"), *msg = page_str(e, "message");
        if (strcmp(code, "not_found") == 0)
            page_error(p->req, 404, "Not Found", "没有找到", msg);
        else if (strcmp(code, "usage") == 0)
            page_error(p->req, 400, "Bad Request", "参数有误", msg);
        else if (strcmp(code, "unavailable") == 0)
            page_error(p->req, 503, "Service Unavailable", "数据库暂不可用",
                       "数据库暂时连不上，keyprojd 正在重试。请稍后刷新本页。");
        else {
            log_warn("web: a page's query failed", "path=%s code=%s error=%s", log_q(p->def->path),
                     log_q(code), log_q(msg));
            page_error(p->req, 500, "Internal Server Error", "查询失败", "查询出错，已记入日志。请稍后再试。");
        }
        return true;
    }
    return false;
}

static void
page_free(struct page *p)
{
    if (p->wp) {
        struct web_pages *wp = p->wp;
        if (p->prev)
            p->prev->next = p->next;
        else
            wp->pages = p->next;
        if (p->next)
            p->next->prev = p->prev;
    }
    for (int i = 0; i < p->nq; i++)
        json_decref(p->res[i]);
    if (p->budget_ev)
        event_free(p->budget_ev);
    evhttp_clear_headers(&p->query);
    buf_free(&p->file);
    free(p->file_name);
    free(p->arg);
    free(p->cache_key);
    free(p);
}

static void
server_timing(struct page *p)
{
    char v[64];
    snprintf(v, sizeof v, "page;dur=%.1f", (clock_now(NULL) - p->started) * 1000.0);
    evhttp_add_header(evhttp_request_get_output_headers(p->req), "Server-Timing", v);
}

static void
page_done(struct page *p)
{
    if (p->req && p->wp && !answer_error(p)) {
        if (p->file_type) {
            server_timing(p);
            reply_file(p);
        } else if (p->csv) {
            server_timing(p);
            reply_csv(p);
        } else {
            struct evbuffer *out = evbuffer_new();
            p->def->render(p, out);
            server_timing(p);
            if (p->cache_key && p->generation == p->wp->generation)
                cache_put(p->wp, p->cache_key, out, clock_now(NULL));
            reply_page(p->req, 200, "OK", out);
            log_debug("web page", "path=%s ms=%.1f bytes=%zu", log_q(p->def->path),
                      (clock_now(NULL) - p->started) * 1000.0, evbuffer_get_length(out));
            evbuffer_free(out);
        }
    }
    p->req = NULL;
    page_free(p);
}

static void
on_budget(evutil_socket_t fd, short what, void *arg)
{
    struct page *p = arg;
    log_warn("web: a page ran out of time", "path=%s seconds=%d", log_q(p->def->path), PAGE_BUDGET_SECONDS);
    if (p->req)
        page_error(p->req, 503, "Service Unavailable", "查询超时",
                   "本页的查询超过了时限，数据库可能正忙。请稍后刷新。");
    p->req = NULL;      /* the last answer frees */
}

/* A query string's parameters, each one the page takes. false (and a 400
 * answered) for anything else. */
static bool
read_query(struct page *p, struct evhttp_request *req)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
    TAILQ_INIT(&p->query);
    if (qs && evhttp_parse_query_str(qs, &p->query) != 0) {
        page_error(req, 400, "Bad Request", "参数有误", "查询参数的格式不对。");
        return false;
    }
    for (const struct evkeyval *kv = p->query.tqh_first; kv; kv = kv->next.tqe_next) {
        bool known = strcmp(kv->key, "screen") == 0 || (strcmp(kv->key, "format") == 0 && p->def->csv);
        for (const char *const *n = p->def->params; !known && n && *n; n++)
            known = strcmp(*n, kv->key) == 0;
        if (!known) {
            char *msg = xasprintf("本页不认识参数 '%s'。", kv->key);
            page_error(req, 400, "Bad Request", "参数有误", msg);
            free(msg);
            return false;
        }
    }
    const char *f = page_param(p, "format"), *s = page_param(p, "screen");
    if (f && strcmp(f, "csv") != 0) {
        page_error(req, 400, "Bad Request", "参数有误", "format 只能是 csv。");
        return false;
    }
    p->csv = f != NULL;
    p->screen = p->screen || (s && strcmp(s, "0") != 0);
    return true;
}

void
page_serve(struct web_pages *wp, const void *owner, const struct page_def *def, struct evhttp_request *req,
           const char *arg)
{
    struct daemon *d = wp->d;
    struct page *p = xcalloc(1, sizeof *p);
    p->wp = wp;
    p->owner = owner;
    p->def = def;
    p->arg = arg ? xstrdup(arg) : NULL;
    p->started = clock_now(NULL);
    p->screen = def->screen;
    p->root = root_of(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)));
    struct ymd t;
    clock_today(&d->clock, &t);
    format_date(&t, p->today);
    if (!read_query(p, req)) {
        evhttp_clear_headers(&p->query);
        free(p->arg);
        free(p);
        return;
    }
    if (!p->csv) {
        const char *uri = evhttp_request_get_uri(req);
        p->cache_key = xasprintf("%s %s", p->today, uri ? uri : "");
        p->generation = wp->generation;
        struct page_cached *c = wants_fresh(req) ? NULL : cache_find(wp, p->cache_key, p->started);
        if (c) {
            char v[80];
            snprintf(v, sizeof v, "page;dur=%.1f;desc=\"kept %.1f s\"", (clock_now(NULL) - p->started) * 1000.0,
                     p->started - c->at);
            evhttp_add_header(evhttp_request_get_output_headers(req), "Server-Timing", v);
            web_reply(req, 200, "OK", "text/html; charset=utf-8", c->body, c->len);
            evhttp_clear_headers(&p->query);
            free(p->cache_key);
            free(p->arg);
            free(p);
            return;
        }
    }
    if (!d->db_ready) {
        evhttp_clear_headers(&p->query);
        free(p->cache_key);
        free(p->arg);
        free(p);
        page_error(req, 503, "Service Unavailable", "数据库暂不可用",
                   "数据库暂时连不上，keyprojd 正在重试。请稍后刷新本页。");
        return;
    }
    p->req = req;
    p->next = wp->pages;
    if (wp->pages)
        wp->pages->prev = p;
    wp->pages = p;
    p->budget_ev = evtimer_new(d->base, on_budget, p);
    struct timeval tv = { PAGE_BUDGET_SECONDS, 0 };
    evtimer_add(p->budget_ev, &tv);
    p->starting = true;
    def->start(p);
    p->starting = false;
    if (p->pending == 0)
        page_done(p);
}

void
web_pages_forget(struct web_pages *wp, const void *owner)
{
    for (struct page *p = wp->pages; p; p = p->next) {
        if (owner == NULL || p->owner == owner) {
            p->req = NULL;      /* freed with its connection by evhttp_free */
            event_del(p->budget_ev);
        }
    }
}

void
web_pages_free(struct web_pages *wp)
{
    if (wp == NULL)
        return;
    web_pages_forget(wp, NULL);
    struct page *next;
    for (struct page *p = wp->pages; p; p = next) {
        next = p->next;
        p->wp = NULL;
        p->next = p->prev = NULL;
    }
    web_pages_drop_cache(wp);
    for (int i = 0; i < PAGE_DBS; i++)
        db_free(wp->db[i]);     /* answers what they still hold: the pages, now on their own, free themselves */
    free(wp);
}
