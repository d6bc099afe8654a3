/* bulletin: the weekly bulletin's workbook from the commands' own answers.
 * Each sheet is the JSON rows of one command (two for 总览) laid out with
 * Chinese headers by export_xlsx_book; nothing here counts anything the
 * commands do not, so its figures are `keyprojctl stats`, `rank`, `overdue`
 * … of the same day. Never writes; the commands run unaudited, as the
 * dashboard's do (reading is not an action to record). */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "bulletin.h"
#include "clock.h"
#include "cmd.h"
#include "daemon.h"
#include "export_xlsx.h"
#include "log.h"
#include "util.h"
#include "values.h"

/* ---- weeks --------------------------------------------------------------- */

static int
isodow(long days)
{
    return (int)(((days + 3) % 7 + 7) % 7) + 1;    /* 1970-01-01 was a Thursday */
}

/* The Monday of ISO week 1 of year y, in days. */
static long
week1_monday(int y)
{
    struct ymd jan4 = { y, 1, 4 };
    long d = ymd_to_days(&jan4);
    return d - (isodow(d) - 1);
}

static void
week_of_monday(long monday, struct bulletin_week *out)
{
    struct ymd thu;
    days_to_ymd(monday + 3, &thu);  /* the Thursday's year is the week's */
    int w = (int)((monday - week1_monday(thu.y)) / 7) + 1;
    days_to_ymd(monday, &out->monday);
    days_to_ymd(monday + 6, &out->sunday);
    snprintf(out->name, sizeof out->name, "%04d-W%02d", thu.y, w);
}

/* "2026-W49" (or "2026-w49", "2026W49") as year and week; false when s is not shaped so. */
static bool
parse_week_name(const char *s, int *y, int *w)
{
    size_t n = strlen(s), i = 4;
    if (n != 8 && n != 7)
        return false;
    for (size_t k = 0; k < n; k++)
        if (k != 4 && k != n - 3 && (s[k] < '0' || s[k] > '9'))
            return false;
    if (n == 8 && s[i++] != '-')
        return false;
    if (s[i] != 'W' && s[i] != 'w')
        return false;
    *y = atoi(s);
    *w = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    return true;
}

bool
bulletin_week_parse(const char *s, const struct ymd *today, struct bulletin_week *out, char *err, size_t errlen)
{
    struct ymd d;
    int y, w;
    if (s == NULL) {
        d = *today;
    } else if (parse_week_name(s, &y, &w)) {
        char want[16];
        snprintf(want, sizeof want, "%04d-W%02d", y, w);
        if (y >= 1900 && y <= 2200 && w >= 1 && w <= 53)
            week_of_monday(week1_monday(y) + 7L * (w - 1), out);
        if (y < 1900 || y > 2200 || w < 1 || w > 53 || strcmp(out->name, want) != 0) {
            snprintf(err, errlen, "--week: %s is not a week (weeks run from W01 to W52, W53 in some years; "
                     "years 1900 to 2200)", s);
            return false;
        }
        return true;
    } else if (!parse_date(s, &d)) {
        snprintf(err, errlen, "--week: '%s' is neither a week like 2026-W49 nor a date like 2026-12-03", s);
        return false;
    }
    long days = ymd_to_days(&d);
    week_of_monday(days - (isodow(days) - 1), out);
    return true;
}

void
bulletin_file_name(const struct bulletin_week *w, char *out, size_t outlen)
{
    snprintf(out, outlen, "周报-%s.xlsx", w->name);
}

/* ---- the sheets ---------------------------------------------------------- */

enum zh {
    ZH_NONE,
    ZH_ENUM,            /* enum_label_zh: sector, milestone kind … */
    ZH_PROBLEM,         /* problem status, severity */
    ZH_ORDER,           /* order status, kind */
    ZH_GROUP,           /* a county's ranking group */
};

struct bcol {
    const char *key, *header;
    enum export_cell kind;
    enum zh zh;
};

#define COUNT(key, header) { key, header, XCELL_NUMBER, ZH_NONE }
#define TEXT(key, header) { key, header, XCELL_TEXT, ZH_NONE }
#define DATE(key, header) { key, header, XCELL_DATE, ZH_NONE }
#define MONEY(key, header) { key, header, XCELL_MONEY, ZH_NONE }
#define END { NULL, NULL, XCELL_TEXT, ZH_NONE }

/* stats: after the group's column. */
#define STATS_COLS \
    COUNT("projects", "项目数"), { "red", "红灯", XCELL_COUNT_RED, ZH_NONE }, \
    { "yellow", "黄灯", XCELL_COUNT_YELLOW, ZH_NONE }, { "green", "绿灯", XCELL_COUNT_GREEN, ZH_NONE }, \
    COUNT("milestones_due", "应完成节点"), COUNT("milestones_done", "已完成节点"), \
    COUNT("milestones_overdue", "逾期节点"), COUNT("completion_rate", "节点完成率（%）"), \
    MONEY("annual_plan", "年度计划投资（万元）"), MONEY("invested", "已完成投资（万元）"), \
    COUNT("investment_rate", "投资完成率（%）"), COUNT("schedule_rate", "序时进度（%）"), \
    COUNT("points_vs_schedule", "超/落后序时（百分点）"), \
    COUNT("starts_planned", "计划开工"), COUNT("starts_done", "已开工"), \
    COUNT("completions_planned", "计划竣工"), COUNT("completions_done", "已竣工")

static const struct bcol by_county[] = { TEXT("county", "县区"), STATS_COLS, END };
static const struct bcol by_sector[] = { { "sector", "领域", XCELL_TEXT, ZH_ENUM }, STATS_COLS, END };
static const struct bcol rank_cols[] = {
    { "group", "组别", XCELL_TEXT, ZH_GROUP }, COUNT("rank", "名次"), TEXT("county", "县区"), TEXT("month", "月份"),
    COUNT("projects", "项目数"), MONEY("annual_plan", "年度计划投资（万元）"), MONEY("invested", "已完成投资（万元）"),
    COUNT("investment_rate", "投资完成率（%）"), COUNT("schedule_rate", "序时进度（%）"),
    COUNT("points_vs_schedule", "超/落后序时（百分点）"), END,
};
static const struct bcol overdue_cols[] = {
    COUNT("id", "节点ID"), COUNT("days_overdue", "逾期天数"), DATE("due", "完成时限"), TEXT("county", "县区"),
    TEXT("project", "项目编号"), TEXT("project_name", "项目名称"), TEXT("title", "节点内容"),
    TEXT("campaign", "攻坚期"), TEXT("unit", "责任单位"), TEXT("leader", "分包领导"), END,
};
static const struct bcol problem_cols[] = {
    COUNT("id", "问题ID"), TEXT("county", "县区"), TEXT("project", "项目编号"), TEXT("project_name", "项目名称"),
    TEXT("category_name", "问题类别"), { "severity", "严重程度", XCELL_TEXT, ZH_PROBLEM },
    TEXT("description", "问题描述"), TEXT("unit", "责任单位"), DATE("reported_on", "发现时间"),
    DATE("time_limit", "办结时限"), { "status", "状态", XCELL_TEXT, ZH_PROBLEM }, COUNT("days_overdue", "逾期天数"),
    DATE("resolved_on", "解决时间"), TEXT("resolution", "解决情况"), END,
};
static const struct bcol order_cols[] = {
    COUNT("id", "函件ID"), { "kind", "类型", XCELL_TEXT, ZH_ORDER }, TEXT("doc_no", "文号"), TEXT("county", "县区"),
    TEXT("project", "项目编号"), TEXT("project_name", "项目名称"), TEXT("to_unit", "责任单位"),
    DATE("issued_on", "发函日期"), DATE("reply_due", "回复时限"), { "status", "落实情况", XCELL_TEXT, ZH_ORDER },
    COUNT("days_overdue", "逾期天数"), DATE("replied_on", "回复日期"), TEXT("reply_note", "回复内容"),
    TEXT("reason", "督办事由"), END,
};
static const struct bcol done_cols[] = {
    COUNT("id", "节点ID"), DATE("done_on", "完成时间"), TEXT("county", "县区"), TEXT("project", "项目编号"),
    TEXT("project_name", "项目名称"), TEXT("campaign", "攻坚期"), { "kind", "节点类型", XCELL_TEXT, ZH_ENUM },
    TEXT("title", "节点内容"), DATE("due", "完成时限"), TEXT("unit", "责任单位"), END,
};

/* The commands asked, in the order of the slots below. */
enum { Q_COUNTY, Q_SECTOR, Q_RANK, Q_OVERDUE, Q_PROBLEMS, Q_ORDERS, Q_DONE, Q_N };
static const char *const queries[Q_N][5] = {
    [Q_COUNTY] = { "stats", "--by", "county" },
    [Q_SECTOR] = { "stats", "--by", "sector" },
    [Q_RANK] = { "rank" },
    [Q_OVERDUE] = { "overdue" },
    [Q_PROBLEMS] = { "problem", "list" },
    [Q_ORDERS] = { "orders" },
    [Q_DONE] = { "milestones", "--status", "done" },     /* and the week's days (job_ask) */
};

static const char *
zh_of(enum zh zh, const char *v)
{
    const struct word *w = NULL;
    switch (zh) {
    case ZH_NONE:
        return v;
    case ZH_ENUM:
        return enum_label_zh(v);
    case ZH_PROBLEM:
        w = words_named(&words_problem_status, v);
        if (w == NULL)
            w = words_named(&words_problem_severity, v);
        break;
    case ZH_ORDER:
        w = words_named(&words_order_status, v);
        if (w == NULL)
            w = words_named(&words_order_kind, v);
        break;
    case ZH_GROUP:
        w = words_named(&words_county_group, v);
        break;
    }
    return w ? w->zh[0] : v;
}

/* A table's cells as text, made once from the rows. */
struct btable {
    size_t ncols, nrows;
    const char **headers;
    enum export_cell *kinds;
    char **cells;               /* nrows × ncols, NULL when empty */
};

static const char *
btable_cell(const void *arg, size_t row, size_t col)
{
    const struct btable *t = arg;
    return t->cells[row * t->ncols + col];
}

static char *
cell_text_new(const json_t *v, enum zh zh)
{
    if (json_is_string(v))
        return xstrdup(zh_of(zh, json_string_value(v)));
    if (json_is_integer(v))
        return xasprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return xasprintf("%.15g", json_real_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "是" : "否");
    return NULL;
}

static void
btable_fill(struct btable *t, const struct bcol *cols, const json_t *rows, struct export_table *out)
{
    t->ncols = 0;
    while (cols[t->ncols].key)
        t->ncols++;
    t->nrows = json_array_size(rows);
    t->headers = xcalloc(t->ncols + 1, sizeof *t->headers);
    t->kinds = xcalloc(t->ncols + 1, sizeof *t->kinds);
    t->cells = xcalloc(t->nrows * t->ncols + 1, sizeof *t->cells);
    for (size_t c = 0; c < t->ncols; c++) {
        t->headers[c] = cols[c].header;
        t->kinds[c] = cols[c].kind;
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            t->cells[r * t->ncols + c] = cell_text_new(json_object_get(json_array_get(rows, r), cols[c].key),
                                                       cols[c].zh);
    *out = (struct export_table){ NULL, t->ncols, t->nrows, t->headers, t->kinds, btable_cell, t };
}

static void
btable_free(struct btable *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->headers);
    free(t->kinds);
}

/* ---- asking the commands --------------------------------------------------- */

struct job {
    struct daemon *d;
    struct bulletin_week week;
    char today[11];
    bulletin_done_fn done;
    void *arg;
    int pending;
    bool starting;
    json_t *res[Q_N];           /* {"ok": …} answers */
};

/* A command run for the bulletin: the cmd_ctx cmd_dispatch answers through. */
struct job_cmd {
    struct cmd_ctx ctx;         /* first: the replier gets &ctx */
    struct job *job;
    int slot;
};

static void job_finish(struct job *job);

static void
job_respond(struct cmd_ctx *ctx, json_t *resp)
{
    struct job_cmd *jc = (struct job_cmd *)ctx;
    struct job *job = jc->job;
    job->res[jc->slot] = resp;
    tokens_free(&ctx->tok);
    free(ctx->user);
    free(jc);
    if (--job->pending == 0 && !job->starting)
        job_finish(job);
}

static void
job_respond_text(struct cmd_ctx *ctx, const char *data)
{
    json_t *d = json_loads(data, JSON_DECODE_ANY, NULL);
    job_respond(ctx, json_pack("{s:b, s:o}", "ok", 1, "data", d ? d : json_null()));
}

static const struct cmd_replier job_replier = { job_respond, job_respond_text, false };

static void
job_ask(struct job *job, int slot)
{
    struct job_cmd *jc = xcalloc(1, sizeof *jc);
    jc->job = job;
    jc->slot = slot;
    job->pending++;
    struct cmd_ctx *ctx = &jc->ctx;
    ctx->d = job->d;
    ctx->out = &job_replier;
    ctx->level = LEVEL_OPERATOR;
    ctx->uid = (uid_t)-1;
    ctx->user = xstrdup("bulletin");
    ctx->request_id = ++job->d->next_request_id;
    ctx->started = clock_now(NULL);
    ctx->result = "";
    ctx->unaudited = true;
    int argc = 0;
    while (argc < 5 && queries[slot][argc])
        argc++;
    ctx->tok.argv = xcalloc((size_t)argc + 5, sizeof(char *));   /* room for the week's four, and NULL */
    for (int i = 0; i < argc; i++)
        ctx->tok.argv[i] = xstrdup(queries[slot][i]);
    if (slot == Q_DONE) {
        /* 本周完成: the week's, asked of the database (every milestone ever
         * done is ~600k rows at national scale, most of a year's) */
        char from[11], to[11];
        format_date(&job->week.monday, from);
        format_date(&job->week.sunday, to);
        ctx->tok.argv[argc++] = xstrdup("--done-from");
        ctx->tok.argv[argc++] = xstrdup(from);
        ctx->tok.argv[argc++] = xstrdup("--done-to");
        ctx->tok.argv[argc++] = xstrdup(to);
    }
    ctx->tok.argc = argc;
    cmd_dispatch(ctx);          /* may answer at once: jc is gone then */
}

/* "项目例会周报 2026-W49（11月30日至12月6日）· 总览｜数据截至 2026-12-03" */
static char *
title_new(const struct job *job, const char *sheet, const char *more)
{
    const struct bulletin_week *w = &job->week;
    return xasprintf("项目例会周报 %s（%d月%d日至%d月%d日）· %s｜数据截至 %s（keyprojd 当日）%s", w->name,
                     w->monday.m, w->monday.d, w->sunday.m, w->sunday.d, sheet, job->today, more);
}

static void
job_write(struct job *job)
{
    static const struct { const char *name; int q; const struct bcol *cols; } sheets[] = {
        { "总览", Q_COUNTY, by_county }, { "排名", Q_RANK, rank_cols }, { "逾期节点", Q_OVERDUE, overdue_cols },
        { "问题清单", Q_PROBLEMS, problem_cols }, { "督办落实", Q_ORDERS, order_cols },
        { "本周完成", Q_DONE, done_cols },
    };
    enum { NS = ARRAY_LEN(sheets) };
    struct btable bt[NS + 1];
    struct export_table et[NS + 1];
    struct export_sheet es[NS];
    char *titles[NS];
    const char *month = json_string_value(json_object_get(json_array_get(
        json_object_get(job->res[Q_RANK], "data"), 0), "month"));
    char *invest = month ? xasprintf("，投资按 %s 月报", month) : xstrdup("");
    for (size_t i = 0; i < NS; i++) {
        const json_t *rows = json_object_get(job->res[sheets[i].q], "data");
        btable_fill(&bt[i], sheets[i].cols, rows, &et[i]);
        /* its cells are copies: the answer goes now, not after the
         * workbook (逾期节点's is the country's every overdue node) */
        json_decref(job->res[sheets[i].q]);
        job->res[sheets[i].q] = NULL;
        titles[i] = title_new(job, sheets[i].name, i < 2 ? invest : "");
        es[i] = (struct export_sheet){ sheets[i].name, titles[i], 1, &et[i] };
    }
    /* 总览: lights by county, then by sector */
    btable_fill(&bt[NS], by_sector, json_object_get(job->res[Q_SECTOR], "data"), &et[NS]);
    struct export_table overview[2] = { et[0], et[NS] };
    es[0].tables = overview;
    es[0].ntables = 2;
    struct buf b;
    buf_init(&b);
    char err[256];
    bool ok = export_xlsx_book(es, NS, &b, err, sizeof err);
    job->done(job->arg, ok ? &b : NULL, ok ? NULL : err);
    buf_free(&b);
    for (size_t i = 0; i <= NS; i++)
        btable_free(&bt[i]);
    for (size_t i = 0; i < NS; i++)
        free(titles[i]);
    free(invest);
}

static void
job_finish(struct job *job)
{
    int bad = -1;
    for (int i = 0; i < Q_N && bad < 0; i++)
        if (!json_is_true(json_object_get(job->res[i], "ok")) || !json_is_array(json_object_get(job->res[i], "data")))
            bad = i;
    if (bad >= 0) {
        const json_t *e = json_object_get(job->res[bad], "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        char *err = xasprintf("%s %s: %s", queries[bad][0], queries[bad][1] ? queries[bad][1] : "",
                              msg ? msg : "no rows");
        job->done(job->arg, NULL, err);
        free(err);
    } else {
        job_write(job);
    }
    for (int i = 0; i < Q_N; i++)
        json_decref(job->res[i]);
    free(job);
}

void
bulletin_make(struct daemon *d, const struct bulletin_week *week, bulletin_done_fn done, void *arg)
{
    struct job *job = xcalloc(1, sizeof *job);
    job->d = d;
    job->week = *week;
    struct ymd t;
    clock_today(&d->clock, &t);
    format_date(&t, job->today);
    job->done = done;
    job->arg = arg;
    job->starting = true;
    job->pending = 1;           /* until every command is asked */
    for (int i = 0; i < Q_N; i++)
        job_ask(job, i);
    job->starting = false;
    if (--job->pending == 0)
        job_finish(job);
}
