/* cmd_export: `export projects|milestones [filters]` — the ledger as a CSV
 * file that Excel in China opens correctly (UTF-8 with a byte order mark,
 * CRLF line ends) and that `import` takes back unchanged: the headers are
 * the Chinese ones the import knows, the values its vocabulary (省, 产业,
 * 已完成 …). Columns the import does not know (节点ID, 项目名称 of a
 * milestone …) are there for the reader; the import lists them as ignored.
 *
 * Text that a spreadsheet would run as a formula (=HYPERLINK(…), @SUM(…),
 * -2+3+cmd|…, +86 138…) is written with a leading ' so it opens as text;
 * import takes the ' back off (csv_put_guarded, csv_unguard). Numbers and
 * dates are never guarded: the ledger's money is never negative.
 *
 * The answer's data is {"file": "<the CSV>"}: keyprojctl writes a file's
 * bytes as they are (no escaping, no added newline). */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_filter.h"
#include "cmd_util.h"
#include "csv.h"
#include "daemon.h"
#include "db.h"
#include "export_xlsx.h"
#include "util.h"
#include "values.h"

#define UTF8_BOM "\xEF\xBB\xBF"

enum col_kind {
    COL_TEXT,   /* as stored, guarded against formulas */
    COL_PLAIN,  /* a number or a date, as stored */
    COL_ENUM,   /* a canonical enum name, written as its Chinese label */
    COL_BOOL,   /* 是 / 否 */
};

struct col {
    const char *header;
    enum col_kind kind;
};

/* In the order of the SELECT lists below. */
static const struct col project_cols[] = {
    { "项目编号", COL_TEXT }, { "项目名称", COL_TEXT }, { "年度", COL_PLAIN }, { "级别", COL_ENUM },
    { "县区", COL_TEXT }, { "领域", COL_ENUM }, { "类别", COL_ENUM }, { "状态", COL_ENUM },
    { "建设单位", COL_TEXT }, { "责任单位", COL_TEXT }, { "分包领导", COL_TEXT }, { "领导职务", COL_TEXT },
    { "联系电话", COL_TEXT }, { "联系人", COL_TEXT }, { "联系人电话", COL_TEXT },
    { "总投资（万元）", COL_PLAIN }, { "年度计划投资（万元）", COL_PLAIN },
    { "计划开工", COL_PLAIN }, { "计划竣工", COL_PLAIN }, { "实际开工", COL_PLAIN }, { "实际竣工", COL_PLAIN },
    { "当年竣工", COL_BOOL },
    { NULL, 0 },
};

static const struct col milestone_cols[] = {
    { "节点ID", COL_PLAIN }, { "项目编号", COL_TEXT }, { "项目名称", COL_TEXT }, { "县区", COL_TEXT },
    { "攻坚期", COL_TEXT }, { "节点类型", COL_ENUM }, { "节点内容", COL_TEXT }, { "完成时限", COL_PLAIN },
    { "责任单位", COL_TEXT }, { "完成情况", COL_ENUM }, { "实际完成时间", COL_PLAIN }, { "备注", COL_TEXT },
    { "免除原因", COL_TEXT },
    { NULL, 0 },
};

struct export_job {
    struct cmd_ctx *ctx;
    const struct col *cols;
    bool xlsx;                  /* --xlsx: a workbook, with the light when the rows have one */
};

/* ---- --xlsx ------------------------------------------------------------------ */

struct xlsx_rows {
    const PGresult *res;
    const struct col *cols;
    size_t ncols;               /* of cols; a light column may follow */
};

/* The cell as the CSV export writes it (labels, 是/否), NULL when empty. */
static const char *
xlsx_cell(const void *arg, size_t row, size_t col)
{
    const struct xlsx_rows *x = arg;
    if (PQgetisnull(x->res, (int)row, (int)col))
        return NULL;
    const char *v = PQgetvalue(x->res, (int)row, (int)col);
    if (col >= x->ncols)
        return v;               /* the light: green | yellow | red */
    switch (x->cols[col].kind) {
    case COL_ENUM:
        return enum_label_zh(v);
    case COL_BOOL:
        return v[0] == 't' ? "是" : "否";
    default:
        return v;
    }
}

/* A plain column is a number (年度, 节点ID), money (万元) or a date. */
static enum export_cell
xlsx_kind(const struct col *c)
{
    if (c->kind != COL_PLAIN)
        return XCELL_TEXT;
    if (strstr(c->header, "万元"))
        return XCELL_MONEY;
    if (strcmp(c->header, "年度") == 0 || strcmp(c->header, "节点ID") == 0)
        return XCELL_NUMBER;
    return XCELL_DATE;
}

/* Answers {"file_base64": "<the workbook>"}: keyprojctl writes its bytes. */
static void
reply_xlsx(struct export_job *job, const PGresult *res, size_t ncols)
{
    size_t n = ncols + ((size_t)PQnfields(res) > ncols);     /* the light, when selected */
    const char **headers = xcalloc(n + 1, sizeof *headers);
    enum export_cell *kinds = xcalloc(n + 1, sizeof *kinds);
    for (size_t c = 0; c < ncols; c++) {
        headers[c] = job->cols[c].header;
        kinds[c] = xlsx_kind(&job->cols[c]);
    }
    if (n > ncols) {
        headers[ncols] = "亮灯";
        kinds[ncols] = XCELL_LIGHT;
    }
    struct xlsx_rows rows = { res, job->cols, ncols };
    const struct export_table t = { job->cols == project_cols ? "项目" : "节点", n, (size_t)PQntuples(res),
                                    headers, kinds, xlsx_cell, &rows };
    struct buf b;
    buf_init(&b);
    char err[256];
    if (export_xlsx(&t, &b, err, sizeof err))
        cmd_reply(job->ctx, export_file_answer_new(&b));
    else
        cmd_error(job->ctx, "internal", NULL, "the workbook could not be made: %s", err);
    buf_free(&b);
    free(headers);
    free(kinds);
}

static void
on_rows(void *arg, const PGresult *res, const char *err)
{
    struct export_job *job = arg;
    if (err) {
        cmd_error(job->ctx, "internal", NULL, "query failed: %s", err);
        free(job);
        return;
    }
    size_t ncols = 0;
    while (job->cols[ncols].header)
        ncols++;
    if (job->xlsx) {
        reply_xlsx(job, res, ncols);
        free(job);
        return;
    }
    struct buf b;
    buf_init(&b);
    buf_puts(&b, UTF8_BOM);
    for (size_t c = 0; c < ncols; c++) {
        if (c > 0)
            buf_putc(&b, ',');
        csv_put_field(&b, job->cols[c].header);
    }
    buf_puts(&b, "\r\n");
    int nr = PQntuples(res);
    for (int r = 0; r < nr; r++) {
        for (size_t c = 0; c < ncols; c++) {
            if (c > 0)
                buf_putc(&b, ',');
            if (PQgetisnull(res, r, (int)c))
                continue;
            const char *v = PQgetvalue(res, r, (int)c);
            switch (job->cols[c].kind) {
            case COL_ENUM:
                v = enum_label_zh(v);
                break;
            case COL_BOOL:
                v = v[0] == 't' ? "是" : "否";
                break;
            case COL_TEXT:
                csv_put_guarded(&b, v);
                continue;
            case COL_PLAIN:
                break;
            }
            csv_put_field(&b, v);
        }
        buf_puts(&b, "\r\n");
    }
    json_t *file = json_pack("{s:s%}", "file", b.data, b.len);
    if (file)
        cmd_reply(job->ctx, file);
    else    /* the database holds text, so only a bug gets here */
        cmd_error(job->ctx, "internal", NULL, "the exported text is not valid UTF-8");
    buf_free(&b);
    free(job);
}

/* ---- projects ------------------------------------------------------------ */

static void
export_projects(const struct cmd_call *c)
{
    struct export_job *job = xcalloc(1, sizeof *job);
    job->ctx = c->ctx;
    struct cmd_filters f;
    const char *category, *status;
    if (!cmd_filters_read(c, &f)
        || !cmd_enum_opt(c, "category", &words_category, &category)
        || !cmd_enum_opt(c, "status", &words_status, &status)) {
        free(job);
        return;
    }
    job->cols = project_cols;
    job->xlsx = cmd_flag(c->a, "xlsx");
    const char *params[2 + FILTER_N] = { category, status };
    cmd_filters_params(&f, params + 2);
    char *where = cmd_filters_sql_new(FILTER_ON_PROJECTS, 3);
    char *sql = xasprintf(
        "SELECT p.code, p.name, p.year, p.level, co.name, p.sector, p.category, p.status, p.owner, pu.name,"
        " l.name, l.title, l.mobile, k.name, k.mobile,"
        " trim_scale(p.total_investment), trim_scale(p.annual_plan),"
        " to_char(p.planned_start, 'YYYY-MM-DD'), to_char(p.planned_end, 'YYYY-MM-DD'),"
        " to_char(p.actual_start, 'YYYY-MM-DD'), to_char(p.actual_end, 'YYYY-MM-DD'),"
        " p.completes_this_year, p.light"
        " FROM project p JOIN county co ON co.id = p.county_id LEFT JOIN unit pu ON pu.id = p.unit_id"
        " LEFT JOIN person l ON l.id = p.leader_id LEFT JOIN person k ON k.id = p.contact_id"
        " WHERE ($1::text IS NULL OR p.category = $1) AND ($2::text IS NULL OR p.status = $2)%s"
        " ORDER BY co.name, p.code", where);
    cmd_filters_query(c->ctx, &f, sql, 2 + FILTER_N, params, on_rows, job, free);
    free(sql);
    free(where);
}

/* ---- milestones ------------------------------------------------------------ */

static void
export_milestones(const struct cmd_call *c)
{
    struct export_job *job = xcalloc(1, sizeof *job);
    job->ctx = c->ctx;
    struct cmd_filters f;
    const char *status;
    if (!cmd_filters_read(c, &f)
        || !cmd_enum_opt(c, "status", &words_milestone_filter, &status)) {
        free(job);
        return;
    }
    char today[11];
    cmd_today(c->ctx, today);
    job->cols = milestone_cols;
    job->xlsx = cmd_flag(c->a, "xlsx");
    const char *params[2 + FILTER_N] = { today, status };
    cmd_filters_params(&f, params + 2);
    char *where = cmd_filters_sql_new(FILTER_ON_MILESTONES, 3);
    /* The milestone's own unit in the file (not the project's it falls back
     * to in the views): what the import stores is what must come back. The
     * --unit filter is still the unit answerable, as everywhere. */
    char *sql = xasprintf(
        "SELECT m.id, p.code, p.name, co.name, cp.code, m.kind, m.title, to_char(m.due_on, 'YYYY-MM-DD'),"
        " mu.name, m.status, to_char(m.done_on, 'YYYY-MM-DD'), m.note, m.waived_reason"
        " FROM milestone m JOIN project p ON p.id = m.project_id JOIN county co ON co.id = p.county_id"
        " JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit mu ON mu.id = m.unit_id"
        " LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
        " WHERE " CMD_MILESTONE_FILTER_SQL("$1", "$2") "%s"
        " ORDER BY co.name, p.code, m.due_on, m.id", where);
    cmd_filters_query(c->ctx, &f, sql, 2 + FILTER_N, params, on_rows, job, free);
    free(sql);
    free(where);
}

/* ---- the command ----------------------------------------------------------- */

static const struct cmd_opt projects_opts[] = {
    CMD_FILTER_OPTS, { "category", true }, { "status", true }, { "xlsx", false }, { NULL, false },
};
/* A milestone has a kind, not a category. */
static const struct cmd_opt milestones_opts[] = {
    CMD_FILTER_OPTS, { "status", true }, { "xlsx", false }, { NULL, false },
};

static const struct cmd_entry export_subs[] = {
    {
        .name = "projects",
        .usage = CMD_FILTER_USAGE " [--campaign 2026-B6] [--category K] [--status S] [--xlsx]",
        .level = LEVEL_OPERATOR,
        .opts = projects_opts,
        .run = export_projects,
    },
    {
        .name = "milestones",
        .usage = CMD_FILTER_USAGE " [--campaign 2026-B6] [--status pending|done|waived|overdue] [--xlsx]",
        .level = LEVEL_OPERATOR,
        .opts = milestones_opts,
        .run = export_milestones,
    },
    { .name = NULL },
};

const struct cmd_entry cmd_export_entry = {
    .name = "export",
    .summary = "the ledger as a CSV file for Excel (UTF-8 with BOM, Chinese headers), or with --xlsx an Excel "
        "workbook, that import takes back unchanged; keyprojctl export projects [--xlsx] > 项目.csv|项目.xlsx",
    .level = LEVEL_OPERATOR,
    .flags = CMD_NEEDS_DB,
    .subs = export_subs,
};
