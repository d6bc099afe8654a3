/* import: header matching, per-cell validation and mapping to canonical
 * values. Every bad cell is reported with its line and the column as the
 * file spells it; a file with any error yields no rows for the database.
 * Text that hides (controls, zero-width characters, a stray byte order
 * mark) is refused, never cleaned: the person should see what was wrong. */
#include "ac_config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import.h"
#include "import_header.h"
#include "text.h"
#include "util.h"
#include "values.h"
#include "xlsx.h"

enum ftype {
    F_TEXT, F_CODE, F_YEAR, F_LEVEL, F_SECTOR, F_CATEGORY, F_STATUS, F_DATE, F_AMOUNT,
    F_PHONE, F_BOOL, F_MONTH, F_CAMPAIGN, F_MKIND, F_MSTATUS, F_ASTATUS, F_PSTATUS, F_SEVERITY,
    F_PAST,     /* a date not after today (import_rules.today) */
};

struct field {
    const char *name;
    enum ftype type;
    bool required;
    const char *aliases;    /* '|'-separated spellings besides the name */
};

static const struct field project_fields[] = {
    { "code", F_CODE, true, "项目编号|项目代码|编号|代码|项目编码" },
    { "name", F_TEXT, true, "项目名称|名称" },
    { "year", F_YEAR, true, "年度|年份" },
    { "level", F_LEVEL, true, "级别|项目级别" },
    { "county", F_TEXT, true, "县区|区县|所属县区|县(市、区)|县（市、区）|县市区" },
    { "sector", F_SECTOR, true, "领域|所属领域|行业领域|项目领域" },
    { "category", F_CATEGORY, true, "类别|项目类别|建设性质" },
    { "status", F_STATUS, false, "状态|项目状态" },
    { "owner", F_TEXT, false, "建设单位|业主单位|项目单位" },
    { "unit", F_TEXT, false, "责任单位" },
    { "leader", F_TEXT, false, "分包领导|分包市领导|联系领导|分包领导/姓名|分包市领导/姓名" },
    { "leader_title", F_TEXT, false, "领导职务|职务|分包领导/职务|分包市领导/职务" },
    { "leader_mobile", F_PHONE, false, "联系电话|领导电话|手机|分包领导/联系电话|分包领导/电话" },
    { "contact", F_TEXT, false, "联系人" },
    { "contact_mobile", F_PHONE, false, "联系人电话|联系人手机|联系人/联系电话|联系人/电话|联系人/手机" },
    { "total_investment", F_AMOUNT, false, "总投资" },
    { "annual_plan", F_AMOUNT, false, "年度计划投资|年度计划|年度投资计划|计划投资/年度|计划投资/全年|计划投资/本年度|"
                                      "年度计划投资/全年|投资计划/年度" },
    { "planned_start", F_DATE, false, "计划开工|计划开工时间|计划开工日期|计划开竣工时间/开工|计划时间/开工" },
    { "planned_end", F_DATE, false, "计划竣工|计划竣工时间|计划竣工日期|计划开竣工时间/竣工|计划时间/竣工" },
    { "actual_start", F_DATE, false, "实际开工|实际开工时间|实际开工日期|实际开竣工时间/开工|实际时间/开工" },
    { "actual_end", F_DATE, false, "实际竣工|实际竣工时间|实际竣工日期|实际开竣工时间/竣工|实际时间/竣工" },
    { "completes_this_year", F_BOOL, false, "当年竣工|是否当年竣工" },
    { NULL, 0, false, NULL },
};

static const struct field milestone_fields[] = {
    { "project", F_CODE, true, "项目编号|项目代码|编号" },
    { "campaign", F_CAMPAIGN, false, "攻坚期|攻坚批次|攻坚阶段" },
    { "kind", F_MKIND, true, "节点类型|类型" },
    { "title", F_TEXT, true, "节点内容|节点名称|节点" },
    { "due", F_DATE, true, "完成时限|计划完成时间|完成时间节点" },
    { "unit", F_TEXT, false, "责任单位" },
    { "status", F_MSTATUS, false, "完成情况|是否完成|状态" },
    { "done_on", F_DATE, false, "实际完成时间|完成日期" },
    { "note", F_TEXT, false, "备注" },
    { NULL, 0, false, NULL },
};

static const struct field report_fields[] = {
    { "project", F_CODE, true, "项目编号|项目代码|编号" },
    { "month", F_MONTH, true, "月份|填报月份" },
    { "amount", F_AMOUNT, true, "本月完成投资|当月完成投资" },
    { "ytd", F_AMOUNT, false, "年初累计完成投资|年度累计完成投资|累计完成投资" },
    { "progress", F_TEXT, false, "形象进度" },
    { NULL, 0, false, NULL },
};

static const struct field plan_fields[] = {
    { "project", F_CODE, true, "项目编号|项目代码|编号" },
    { "month", F_MONTH, true, "月份" },
    { "planned_cumulative", F_AMOUNT, true, "累计计划投资|计划累计投资|累计计划" },
    { NULL, 0, false, NULL },
};

/* 联审联批 sheets: the item, its lead department (牵头部门) and time limit
 * (办理时限); the state is pending unless the sheet says otherwise. */
static const struct field approval_fields[] = {
    { "project", F_CODE, true, "项目代码|项目编号|编号" },
    { "item", F_TEXT, true, "审批事项|事项|审批事项名称|办理事项" },
    { "unit", F_TEXT, true, "牵头部门|牵头单位|责任部门|审批部门" },
    { "due", F_DATE, true, "办理时限|办结时限|计划办结时间|完成时限" },
    { "done_on", F_PAST, false, "办结日期|实际办结日期|办结时间" },
    { "status", F_ASTATUS, false, "状态|办理状态" },
    { "note", F_TEXT, false, "备注" },
    { NULL, 0, false, NULL },
};

/* 问题清单 sheets. The category is checked by the database
 * (problem_category, which an office extends), not here. */
static const struct field problem_fields[] = {
    { "project", F_CODE, true, "项目代码|项目编号|编号" },
    { "category", F_TEXT, true, "问题类别|问题类型|问题分类|类别" },
    { "description", F_TEXT, true, "问题描述|存在问题|问题内容|问题" },
    { "severity", F_SEVERITY, false, "严重程度|问题等级|等级" },
    { "unit", F_TEXT, false, "责任单位|牵头单位" },
    { "reported_on", F_PAST, true, "提出日期|交办日期|发现日期|提出时间" },
    { "time_limit", F_DATE, false, "解决时限|整改时限|办结时限|完成时限" },
    { "status", F_PSTATUS, false, "状态|解决情况|办理状态" },
    { "resolved_on", F_PAST, false, "解决日期|销号日期|办结日期" },
    { "resolution", F_TEXT, false, "解决措施|办理结果|处理结果" },
    { NULL, 0, false, NULL },
};

_Static_assert(ARRAY_LEN(project_fields) - 1 <= IMPORT_MAX_FIELDS &&
               ARRAY_LEN(milestone_fields) - 1 <= IMPORT_MAX_FIELDS &&
               ARRAY_LEN(report_fields) - 1 <= IMPORT_MAX_FIELDS &&
               ARRAY_LEN(plan_fields) - 1 <= IMPORT_MAX_FIELDS &&
               ARRAY_LEN(approval_fields) - 1 <= IMPORT_MAX_FIELDS &&
               ARRAY_LEN(problem_fields) - 1 <= IMPORT_MAX_FIELDS, "raise IMPORT_MAX_FIELDS");

static const char *const kind_names[] = { "projects", "milestones", "reports", "plans", "approvals", "problems" };
static const struct field *const kind_fields[] = {
    project_fields, milestone_fields, report_fields, plan_fields, approval_fields, problem_fields,
};

bool
import_kind_parse(const char *s, enum import_kind *out)
{
    for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum import_kind)i;
            return true;
        }
    return false;
}

const char *
import_kind_name(enum import_kind kind)
{
    return kind_names[kind];
}

const char *
import_kinds_expected(void)
{
    return "projects, milestones, reports, plans, approvals or problems";
}

/* ---- errors ------------------------------------------------------------ */

static void
add_error(struct import_result *r, long line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_error(struct import_result *r, long line, const char *column, const char *fmt, ...)
{
    r->nerrors++;
    if (r->nerrors > IMPORT_MAX_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    json_t *e = json_object();
    json_object_set_new(e, "line", json_integer(line));
    json_object_set_new(e, "column", column ? json_string(column) : json_null());
    json_object_set_new(e, "message", json_string(m));
    if (r->sheet != NULL && r->at_col > 0 && line > 0) {   /* a workbook's cell: "C17" */
        char ref[12];
        xlsx_ref_format((uint32_t)line, (uint32_t)(r->at_col - 1), ref);
        json_object_set_new(e, "sheet", json_string(r->sheet));
        json_object_set_new(e, "cell", json_string(ref));
    }
    json_array_append_new(r->errors, e);
    free(m);
}

void
import_add_error(struct import_result *r, long line, const char *canonical_column, const char *message)
{
    const char *col = NULL;
    size_t at = r->at_col;
    if (canonical_column) {
        json_t *c = json_object_get(r->columns, canonical_column);
        col = c ? json_string_value(c) : canonical_column;
        json_t *i = json_object_get(r->column_index, canonical_column);
        r->at_col = i ? (size_t)json_integer_value(i) + 1 : 0;
    }
    add_error(r, line, col, "%s", message);
    r->at_col = at;
}

/* ---- headers ----------------------------------------------------------- */

/* Header cells as people write them: blanks anywhere, a unit in brackets
 * ("总投资（万元）"), a trailing "*" for required. Returns a new string. */
static char *
normalize_header(const char *h)
{
    struct buf b;
    buf_init(&b);
    for (const char *p = h; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '*' || *p == '\r' || *p == '\n')
            continue;
        if (strncmp(p, "\xe3\x80\x80", 3) == 0) {   /* ideographic space */
            p += 2;
            continue;
        }
        buf_putc(&b, (char)tolower((unsigned char)*p));
    }
    char *s = buf_steal(&b);
    static const char *const units[] = { "（万元）", "(万元)", "（亿元）", "(亿元)" };
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        /* anywhere, for a parent's unit too: 计划投资（万元）/年度 */
        size_t u = strlen(units[i]);
        char *at;
        while ((at = strstr(s, units[i])) != NULL && (at != s || at[u] != '\0'))
            memmove(at, at + u, strlen(at + u) + 1);
    }
    return s;
}

static bool
header_matches(const struct field *f, const char *norm)
{
    if (strcmp(norm, f->name) == 0)
        return true;
    const char *a = f->aliases;
    while (*a) {
        const char *bar = strchr(a, '|');
        size_t n = bar ? (size_t)(bar - a) : strlen(a);
        if (strlen(norm) == n && strncmp(norm, a, n) == 0)
            return true;
        if (bar == NULL)
            break;
        a = bar + 1;
    }
    return false;
}

/* The field a header cell names, by its whole (normalized) name; or, for
 * a child under its parent ("项目基本情况/项目名称"), by the child's name
 * alone: not for a year or a month, which the parent qualifies
 * (计划投资/年度 is no 年度). -1: none. */
static int
field_of(const struct field *fields, const char *norm, bool whole)
{
    const char *name = norm;
    if (!whole) {
        const char *slash = strrchr(norm, '/');
        if (slash == NULL || slash[1] == '\0')
            return -1;
        name = slash + 1;
    }
    for (size_t f = 0; fields[f].name; f++)
        if (header_matches(&fields[f], name) && (whole || (fields[f].type != F_YEAR && fields[f].type != F_MONTH)))
            return (int)f;
    return -1;
}

/* Fills col_field (-1: ignored) for every cell of h: whole names first,
 * then children alone for the fields no whole name took. */
static void
match_header(const struct field *fields, const struct csv_row *h, int *col_field)
{
    bool taken[IMPORT_MAX_FIELDS] = { false };
    char **norm = xcalloc(h->nfields + 1, sizeof *norm);
    for (size_t c = 0; c < h->nfields; c++) {
        norm[c] = normalize_header(h->fields[c]);
        col_field[c] = norm[c][0] ? field_of(fields, norm[c], true) : -1;
        if (col_field[c] >= 0)
            taken[col_field[c]] = true;
    }
    for (size_t c = 0; c < h->nfields; c++) {
        int f = col_field[c] < 0 && norm[c][0] ? field_of(fields, norm[c], false) : -1;
        if (f >= 0 && !taken[f])
            col_field[c] = f;
        free(norm[c]);
    }
    free(norm);
}

/* import_header_find's measure: the cells naming a field, and whether the
 * required ones are all there, once each. */
static size_t
header_score(const void *ctx, const struct csv_row *h, bool *complete)
{
    const struct field *fields = ctx;
    int *col_field = xcalloc(h->nfields + 1, sizeof(int));
    bool seen[IMPORT_MAX_FIELDS] = { false }, dup = false;
    size_t n = 0;
    match_header(fields, h, col_field);
    for (size_t c = 0; c < h->nfields; c++) {
        if (col_field[c] < 0)
            continue;
        dup = dup || seen[col_field[c]];
        seen[col_field[c]] = true;
        n++;
    }
    *complete = !dup;
    for (size_t f = 0; fields[f].name; f++)
        *complete = *complete && (!fields[f].required || seen[f]);
    free(col_field);
    return n;
}

/* "line 3", or in a workbook "sheet 台账, row 3"; new. */
static char *
where_new(const struct import_result *r, size_t line)
{
    return r->sheet ? xasprintf(MSG("sheet %s, row %zu"), r->sheet, line) : xasprintf(MSG("line %zu"), line);
}

/* Maps each header cell to a field index (-1: ignored). Returns false and
 * sets r->fatal when a required column is missing or one appears twice. */
static bool
map_header(const struct field *fields, const struct csv_row *h, int *col_field, struct import_result *r)
{
    size_t nf = 0;
    while (fields[nf].name)
        nf++;
    char *at = where_new(r, h->line);
    for (size_t c = 0; c < h->nfields; c++) {
        struct text_hidden hid;
        if (text_find_hidden(h->fields[c], strlen(h->fields[c]), &hid)) {
            r->fatal = xasprintf("%s, column %zu of the header: character %zu is U+%04X, a %s; "
                                 "it cannot be seen, so it is refused (retype the header)",
                                 at, c + 1, hid.nth, hid.cp, hid.what);
            free(at);
            return false;
        }
    }
    int *seen = xcalloc(nf, sizeof(int));
    bool ok = true;
    match_header(fields, h, col_field);
    for (size_t c = 0; c < h->nfields; c++) {
        int f = col_field[c];
        if (f < 0) {
            if (h->fields[c][0] != '\0')
                json_array_append_new(r->ignored, json_string(h->fields[c]));
            continue;
        }
        if (seen[f] && ok) {
            r->fatal = xasprintf("%s: columns %zu and %zu are both '%s' (%s)", at, (size_t)seen[f], c + 1,
                                 h->fields[c], fields[f].name);
            ok = false;
        }
        seen[f] = (int)c + 1;
        json_object_set_new(r->columns, fields[f].name, json_string(h->fields[c]));
        json_object_set_new(r->column_index, fields[f].name, json_integer((json_int_t)c));
    }
    for (size_t f = 0; f < nf && ok; f++) {
        if (fields[f].required && !seen[f]) {
            const char *a = fields[f].aliases;
            const char *bar = strchr(a, '|');
            r->fatal = xasprintf("%s: missing column %.*s (%s)", at,
                                 (int)(bar ? (size_t)(bar - a) : strlen(a)), a, fields[f].name);
            ok = false;
        }
    }
    free(seen);
    free(at);
    return ok;
}

/* ---- cells ------------------------------------------------------------- */

static bool
blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims ASCII blanks and ideographic spaces; returns a new string. A text
 * cell (lead_spaces_only) loses only spaces in front: a tab or CR there is
 * what makes a spreadsheet run "\t=1+1" as a formula, so it is kept (and
 * guarded on export) rather than trimmed into "=1+1". Typed cells (dates,
 * money, codes, phones …) lose every blank: their value is parsed and
 * written anew, so nothing of a formula survives, and systems that export
 * "\t13800001111" to keep Excel from mangling long numbers still import. A
 * cell of blanks only is empty either way. */
static char *
trim(const char *s, bool lead_spaces_only)
{
    const char *b = s, *e = s + strlen(s);
    const char *p = s;
    while (p < e && (blank_byte(*p) || (e - p >= 3 && strncmp(p, "\xe3\x80\x80", 3) == 0)))
        p += blank_byte(*p) ? 1 : 3;
    if (p == e)
        return xstrdup("");
    for (;;) {
        if (b < e && (*b == ' ' || (!lead_spaces_only && blank_byte(*b))))
            b++;
        else if (e - b >= 3 && strncmp(b, "\xe3\x80\x80", 3) == 0)
            b += 3;
        else
            break;
    }
    for (;;) {
        if (e > b && blank_byte(e[-1]))
            e--;
        else if (e - b >= 3 && strncmp(e - 3, "\xe3\x80\x80", 3) == 0)
            e -= 3;
        else
            break;
    }
    return xstrndup(b, (size_t)(e - b));
}

static bool
phone_ok(const char *s)
{
    size_t digits = 0, n = strlen(s);
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p != '-' && *p != '+' && *p != ' ')
            return false;
    }
    return digits >= 5 && digits <= 20 && n <= 32;
}

static int
parse_bool(const char *s)
{
    static const char *const yes[] = { "是", "yes", "y", "true", "1", "√" };
    static const char *const no[] = { "否", "no", "n", "false", "0", "×" };
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

static char *
mapped(const struct words *words, const char *what, const char *v, struct import_result *r, long line,
       const char *col)
{
    const char *c = words_map(words, v);
    if (c)
        return xstrdup(c);
    char *expected = words_expected_new(words);
    add_error(r, line, col, "unknown %s '%s' (expected one of %s)", what, v, expected);
    free(expected);
    return NULL;
}

/* A state an approval item or a problem is in, as a sheet writes it: not
 * overdue, which is worked out from the time limit (open_word: what to
 * write instead). */
static char *
state(const struct words *words, const char *open_word, const char *v, struct import_result *r, long line,
      const char *col)
{
    char *c = mapped(words, "state", v, r, line, col);
    if (c && strcmp(c, "overdue") == 0) {
        const struct word *w = words_named(words, open_word);
        add_error(r, line, col, "'%s': overdue is worked out from the time limit; write %s (%s)", v, w->zh[0],
                  open_word);
        free(c);
        return NULL;
    }
    return c;
}

/* A project code: a national one, checked part by part, or the city's own
 * (the configured pattern, or project_code_local_ok). */
static char *
code(const char *v, const struct import_rules *rules, struct import_result *r, long line, const char *col)
{
    char why[160];
    if (strlen(v) > 64 || strpbrk(v, " \t\r\n") != NULL || strstr(v, "\xe3\x80\x80") != NULL) {
        add_error(r, line, col, "'%s' is not a project code (at most 64 characters, no blanks)", v);
        return NULL;
    }
    if (project_code_looks_national(v)) {
        if (project_code_national(v, why, sizeof why))
            return xstrdup(v);
        add_error(r, line, col, "'%s' is not a national project code: %s (expected %s)", v, why,
                  PROJECT_CODE_NATIONAL_SHAPE);
        return NULL;
    }
    bool own = rules != NULL && rules->code_re != NULL;
    if (own ? regexec(rules->code_re, v, 0, NULL, 0) == 0 : project_code_local_ok(v))
        return xstrdup(v);
    if (own)
        add_error(r, line, col, "'%s' is not a project code (expected %s, or the ledger's own code matching %s)",
                  v, PROJECT_CODE_NATIONAL_SHAPE, rules->code_pattern);
    else
        add_error(r, line, col, "'%s' is not a project code (expected %s, or the city's own code: letters, "
                  "digits and - _ . / ( ), beginning with a letter or digit, like LY-2026-001)",
                  v, PROJECT_CODE_NATIONAL_SHAPE);
    return NULL;
}

/* Converts one non-blank cell to its canonical text; NULL (with an error
 * recorded) when invalid. */
static char *
convert(const struct field *f, const char *v, const struct import_rules *rules, struct import_result *r,
        long line, const char *col)
{
    char tmp[64];
    struct ymd d;
    int y, m;
    switch (f->type) {
    case F_TEXT:
        if (strlen(v) > 500) {
            add_error(r, line, col, "text longer than 500 bytes");
            return NULL;
        }
        return xstrdup(v);
    case F_CODE:
        return code(v, rules, r, line, col);
    case F_YEAR: {
        char *end;
        long yv = strtol(v, &end, 10);
        if (strcmp(end, "年") == 0)
            end += strlen("年");
        if (*end != '\0' || yv < 2000 || yv > 2100) {
            add_error(r, line, col, "'%s' is not a year like 2026", v);
            return NULL;
        }
        return xasprintf("%ld", yv);
    }
    case F_LEVEL: return mapped(&words_level, "level", v, r, line, col);
    case F_SECTOR: return mapped(&words_sector, "sector", v, r, line, col);
    case F_CATEGORY: return mapped(&words_category, "category", v, r, line, col);
    case F_STATUS: return mapped(&words_status, "status", v, r, line, col);
    case F_MKIND: return mapped(&words_milestone_kind, "node type", v, r, line, col);
    case F_MSTATUS: return mapped(&words_milestone_status, "state", v, r, line, col);
    case F_ASTATUS: return state(&words_approval_status, "pending", v, r, line, col);
    case F_PSTATUS: return state(&words_problem_status, "open", v, r, line, col);
    case F_SEVERITY: return mapped(&words_problem_severity, "severity", v, r, line, col);
    case F_PAST: {
        if (!parse_date(v, &d)) {
            add_error(r, line, col, "'%s' is not a date (expected 2026-03-15, 2026/3/15 or 2026年3月15日)", v);
            return NULL;
        }
        char past[11];
        format_date(&d, past);
        if (rules && rules->today && strcmp(past, rules->today) > 0) {
            add_error(r, line, col, "%s is in the future (today is %s)", past, rules->today);
            return NULL;
        }
        return xstrdup(past);
    }
    case F_DATE: {
        if (!parse_date(v, &d)) {
            add_error(r, line, col, "'%s' is not a date (expected 2026-03-15, 2026/3/15 or 2026年3月15日)", v);
            return NULL;
        }
        char out[11];
        format_date(&d, out);
        return xstrdup(out);
    }
    case F_AMOUNT:
        if (!parse_amount(v, tmp, sizeof tmp)) {
            add_error(r, line, col, "'%s' is not an amount in 万元 (a number ≥ 0, like 12500 or 3,200.50)", v);
            return NULL;
        }
        return xstrdup(tmp);
    case F_PHONE:
        if (!phone_ok(v)) {
            add_error(r, line, col, "'%s' is not a phone number", v);
            return NULL;
        }
        return xstrdup(v);
    case F_BOOL: {
        int b = parse_bool(v);
        if (b < 0) {
            add_error(r, line, col, "'%s' is not 是 or 否 (yes or no)", v);
            return NULL;
        }
        return xstrdup(b ? "true" : "false");
    }
    case F_MONTH:
        if (!parse_month(v, &y, &m)) {
            add_error(r, line, col, "'%s' is not a month (expected 2026-10 or 2026年10月)", v);
            return NULL;
        }
        return xasprintf("%04d-%02d-01", y, m);
    case F_CAMPAIGN:
        if (!parse_campaign(v, tmp, sizeof tmp)) {
            if (strlen(v) > 32) {
                add_error(r, line, col, "'%s' is not a campaign code like 2026-B6", v);
                return NULL;
            }
            /* Not a two-month code: a named push (百日攻坚 …) that must exist. */
            return xstrdup(v);
        }
        return xstrdup(tmp);
    }
    return NULL;
}

static bool
row_blank(const struct csv_row *row)
{
    for (size_t i = 0; i < row->nfields; i++) {
        char *t = trim(row->fields[i], false);
        bool blank = t[0] == '\0';
        free(t);
        if (!blank)
            return false;
    }
    return true;
}

/* One converted row: each field's canonical text (NULL: blank), and
 * whether the field was given at all (a column of the file, or filled in
 * by check_row). */
struct row {
    long line;
    size_t nf;
    char *v[IMPORT_MAX_FIELDS];
    bool set[IMPORT_MAX_FIELDS];
};

static void
row_clear(struct row *w)
{
    for (size_t f = 0; f < w->nf; f++) {
        free(w->v[f]);
        w->v[f] = NULL;
        w->set[f] = false;
    }
}

/* The index of a field of the kind (a name from the tables above). */
static size_t
field_index(enum import_kind kind, const char *name)
{
    const struct field *fields = kind_fields[kind];
    for (size_t f = 0; fields[f].name; f++)
        if (strcmp(fields[f].name, name) == 0)
            return f;
    abort();    /* a typo in this file, caught by the first test */
}

static const char *
row_get(const struct row *w, enum import_kind kind, const char *name)
{
    return w->v[field_index(kind, name)];
}

static void
row_put(struct row *w, enum import_kind kind, const char *name, const char *value)
{
    size_t f = field_index(kind, name);
    free(w->v[f]);
    w->v[f] = xstrdup(value);
    w->set[f] = true;
}

/* A completion date column (done_on, resolved_on) and status: the date
 * alone says done; a date with another status is an error. */
static void
done_with_date(struct row *w, enum import_kind kind, struct import_result *r, const char *date_col,
               const char *done, const char *message)
{
    const char *st = row_get(w, kind, "status");
    bool dated = row_get(w, kind, date_col) != NULL;
    if (dated && st == NULL)
        row_put(w, kind, "status", done);
    else if (st && strcmp(st, done) != 0 && dated)
        import_add_error(r, w->line, date_col, message);
}

/* Cross-field rules a single cell cannot see. */
static void
check_row(enum import_kind kind, struct row *w, struct import_result *r)
{
    if (kind == IMPORT_MILESTONES) {
        const char *due = row_get(w, kind, "due");
        if (row_get(w, kind, "campaign") == NULL && due) {
            struct ymd d;
            char code[16];
            if (parse_date(due, &d)) {
                campaign_of_date(&d, code, sizeof code);
                row_put(w, kind, "campaign", code);
            }
        }
        const char *st = row_get(w, kind, "status");
        bool done_on = row_get(w, kind, "done_on") != NULL;
        if (done_on && st == NULL)
            row_put(w, kind, "status", "done");
        else if (st && strcmp(st, "done") != 0 && done_on)
            import_add_error(r, w->line, "done_on", "a completion date is given but the node is not done");
    }
    if (kind == IMPORT_APPROVALS)
        done_with_date(w, kind, r, "done_on", "done", "a done date is given but the item is not done");
    if (kind == IMPORT_PROBLEMS)
        done_with_date(w, kind, r, "resolved_on", "resolved", "a resolved date is given but the problem is open");
    if (kind == IMPORT_PROJECTS) {
        const char *ps = row_get(w, kind, "planned_start");
        const char *pe = row_get(w, kind, "planned_end");
        if (ps && pe && strcmp(pe, ps) < 0)
            import_add_error(r, w->line, "planned_end", "planned completion is before the planned start");
    }
}

/* The header's columns up to its last named one: what every row must
 * have (an unnamed column after it may be left off). */
static size_t
header_width(const struct csv_row *header)
{
    size_t n = header->nfields;
    for (; n > 0; n--) {
        char *t = trim(header->fields[n - 1], false);
        bool blank = t[0] == '\0';
        free(t);
        if (!blank)
            break;
    }
    return n;
}

/* False (an error recorded) when the cell holds a character that hides. */
static bool
cell_visible(const char *cell, long line, const char *col, struct import_result *r)
{
    struct text_hidden hid;
    if (!text_find_hidden(cell, strlen(cell), &hid))
        return true;
    add_error(r, line, col, "character %zu is U+%04X, a %s; it cannot be seen in a table, "
              "so it is refused (retype the cell)", hid.nth, hid.cp, hid.what);
    return false;
}

/* Fills w from the CSV row; false (errors recorded) when any cell is bad. */
static bool
convert_row(enum import_kind kind, const struct csv_row *row, size_t ncols, const int *col_field,
            const struct csv_row *header, const struct import_rules *rules, struct import_result *r,
            struct row *w)
{
    const struct field *fields = kind_fields[kind];
    size_t before = r->nerrors;
    w->line = (long)row->line;
    /* Spreadsheets often leave trailing empty cells; only text past the
     * header's last column is an error. A row that stops before the
     * header's last named column has lost cells (a cut line, a comma too
     * few): which value belongs to which column is a guess, so refuse. */
    size_t need = header_width(header);
    if (row->nfields < need) {
        add_error(r, w->line, NULL, "%zu field%s but the header has %zu", row->nfields,
                  row->nfields == 1 ? "" : "s", need);
        return false;
    }
    for (size_t c = ncols; c < row->nfields; c++) {
        char *v = trim(row->fields[c], false);
        bool blank = v[0] == '\0';
        free(v);
        if (!blank) {
            add_error(r, w->line, NULL, "%zu fields but the header has %zu", row->nfields, ncols);
            return false;
        }
    }
    for (size_t c = 0; c < ncols; c++) {
        if (col_field[c] < 0)
            continue;
        const struct field *f = &fields[col_field[c]];
        const char *cell = c < row->nfields ? row->fields[c] : "";
        w->set[col_field[c]] = true;
        r->at_col = c + 1;
        if (!cell_visible(cell, w->line, header->fields[c], r))
            continue;
        char *t = trim(cell, f->type == F_TEXT);
        const char *v = csv_unguard(t);     /* what export guarded */
        if (v[0] == '\0') {
            if (f->required)
                add_error(r, w->line, header->fields[c], "required value is empty");
        } else {
            w->v[col_field[c]] = convert(f, v, rules, r, w->line, header->fields[c]);
        }
        free(t);
    }
    r->at_col = 0;
    check_row(kind, w, r);
    return r->nerrors == before;
}

/* The row as a JSON object of the fields given: year an integer, yes/no a
 * boolean, blanks null, everything else a string. */
static json_t *
row_json(enum import_kind kind, const struct row *w)
{
    const struct field *fields = kind_fields[kind];
    json_t *o = json_object();
    json_object_set_new(o, "line", json_integer(w->line));
    for (size_t f = 0; f < w->nf; f++) {
        if (!w->set[f])
            continue;
        const char *v = w->v[f];
        json_t *j = v == NULL ? json_null()
                  : fields[f].type == F_YEAR ? json_integer(strtol(v, NULL, 10))
                  : fields[f].type == F_BOOL ? json_boolean(strcmp(v, "true") == 0)
                  : json_string(v);
        json_object_set_new(o, fields[f].name, j);
    }
    return o;
}

/* The row as one line of COPY text: ord, line, then every field of the
 * kind in order (\N for blank or not given), tab separated, with
 * backslash, tab, newline and carriage return escaped. */
static void
row_copy(const struct row *w, size_t ord, struct buf *out)
{
    buf_printf(out, "%zu\t%ld", ord, w->line);
    for (size_t f = 0; f < w->nf; f++) {
        buf_putc(out, '\t');
        const char *v = w->v[f];
        if (v == NULL) {
            buf_puts(out, "\\N");
            continue;
        }
        const char *run = v;
        for (const char *p = v; *p; p++) {
            char esc = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : 0;
            if (esc == 0)
                continue;
            buf_append(out, run, (size_t)(p - run));
            buf_putc(out, '\\');
            buf_putc(out, esc);
            run = p + 1;
        }
        buf_puts(out, run);
    }
    buf_putc(out, '\n');
}

#define SAVE_AS_XLSX "in Excel, 文件 → 另存为 → Excel 工作簿 (*.xlsx) (File → Save As → Excel Workbook); " \
    "in WPS, 另存为 → Excel 文件 (*.xlsx)"

/* A section row of a ledger between its data rows — "一、新开工项目（85个）",
 * "（二）续建项目", a merged title across the sheet, or a number alone in
 * an ignored column such as 序号 — as a person reading the sheet sees it:
 * one cell with text, and that cell either in a column the import does
 * not read or beginning like a section heading (一、 二、 （一） (1) 1、).
 * A data row always has more than one cell, so a row with only a project
 * code is still read (and refused for what it lacks). */
static bool
section_row(const struct csv_row *row, size_t ncols, const int *col_field)
{
    size_t only = SIZE_MAX;
    for (size_t c = 0; c < row->nfields; c++) {
        const char *f = row->fields[c];
        while (*f == ' ' || *f == '\t')
            f++;
        if (*f == '\0' || strcmp(f, "\xe3\x80\x80") == 0)     /* empty, or one ideographic space */
            continue;
        if (only != SIZE_MAX)
            return false;
        only = c;
    }
    if (only == SIZE_MAX)
        return false;
    if (only >= ncols || col_field[only] < 0)
        return true;
    static const char *const heads[] = { "一", "二", "三", "四", "五", "六", "七", "八", "九", "十" };
    const char *t = row->fields[only];
    while (*t == ' ')
        t++;
    bool paren = strncmp(t, "（", 3) == 0 || *t == '(';
    if (paren)
        t += *t == '(' ? 1 : 3;
    size_t n = 0;
    for (bool more = true; more;) {
        more = false;
        for (size_t k = 0; k < ARRAY_LEN(heads); k++) {
            if (strncmp(t, heads[k], 3) == 0) {
                t += 3;
                n++;
                more = true;
            }
        }
        while (*t >= '0' && *t <= '9') {
            t++;
            n++;
            more = true;
        }
    }
    if (n == 0)
        return false;
    if (paren)
        return strncmp(t, "）", 3) == 0 || *t == ')';
    return strncmp(t, "、", 3) == 0 || strncmp(t, "．", 3) == 0;
}

/* The file as a table: CSV text, or a sheet of a workbook (then r->sheet
 * and r->hidden_rows are set, and *sheet_out holds the merged ranges).
 * NULL with r->fatal set. data is freed as soon as it is read when owned. */
static struct csv *
read_table(const char *data, size_t len, bool owned, enum text_encoding enc, const char *sheet,
           struct import_result *r, struct xlsx_sheet *sheet_out)
{
    char err[512];
    struct csv *csv = NULL;
    enum xlsx_magic magic = xlsx_sniff(data, len);
    if (magic == XLSX_MAGIC_OLE2) {
        r->fatal = xstrdup("this is an Excel 97-2003 workbook (.xls), a WPS table (.et) or a password-protected "
                           "workbook, which keyproj does not read; save it as .xlsx without a password — "
                           SAVE_AS_XLSX " — and import that (这是 .xls/.et 或加密的工作簿，无法导入：请另存为 "
                           ".xlsx 后再导入)");
    } else if (magic == XLSX_MAGIC_ZIP) {
        if (xlsx_read(data, len, sheet, sheet_out, err, sizeof err)) {
            csv = sheet_out->table;
            sheet_out->table = NULL;
            r->sheet = xstrdup(sheet_out->name);
            r->hidden_rows = sheet_out->hidden_rows;
            r->encoding = ENC_UTF8;
        } else {
            r->fatal = xstrdup(err);
        }
    } else if (sheet != NULL) {
        r->fatal = xasprintf("--sheet %s names a sheet of a workbook (.xlsx), but this file is text (CSV)", sheet);
    } else {
        size_t ulen = 0;
        char *text = text_to_utf8(data, len, enc, &ulen, &r->encoding, err, sizeof err);
        if (owned)
            free((char *)data);
        owned = false;
        if (text == NULL)
            r->fatal = xstrdup(err);
        else if ((csv = csv_parse_owned(text, ulen, err, sizeof err)) == NULL)    /* takes text */
            r->fatal = xstrdup(err);
    }
    if (owned)
        free((char *)data);
    return csv;
}

/* data is freed as soon as it is converted when owned is true. */
static void
parse(enum import_kind kind, const char *data, size_t len, bool owned, enum text_encoding enc, const char *sheet,
      const struct import_rules *rules, struct import_result *r, struct buf *copy)
{
    memset(r, 0, sizeof *r);
    r->rows = copy ? NULL : json_array();
    r->errors = json_array();
    r->columns = json_object();
    r->column_index = json_object();
    r->ignored = json_array();
    struct xlsx_sheet wbs = { 0 };
    struct csv *csv = read_table(data, len, owned, enc, sheet, r, &wbs);
    if (csv == NULL) {
        xlsx_sheet_free(&wbs);
        return;
    }
    /* Excel writes an empty sheet row above the table as ",,,,": skip it
     * here as in the data rows, or it would be taken for the header. */
    size_t first = 0;
    while (first < csv->nrows && row_blank(&csv->rows[first]))
        first++;
    if (first == csv->nrows) {
        r->fatal = r->sheet ? xasprintf("sheet %s is empty: expected a header row and data rows", r->sheet)
                            : xstrdup("the file is empty: expected a header row and data rows");
        csv_free(csv);
        xlsx_sheet_free(&wbs);
        return;
    }
    /* The header may sit below title rows, over two rows. */
    struct import_header hd;
    import_header_find(csv, first, wbs.merges, wbs.nmerges, header_score, kind_fields[kind], &hd);
    const struct csv_row *header = &hd.row;
    int *col_field = xcalloc(header->nfields + 1, sizeof(int));
    struct row w = { 0 };
    w.nf = import_ncolumns(kind);
    if (map_header(kind_fields[kind], header, col_field, r)) {
        for (size_t i = hd.data_from; i < csv->nrows; i++) {
            if (row_blank(&csv->rows[i]))
                continue;
            if (section_row(&csv->rows[i], header->nfields, col_field)) {
                r->section_rows++;
                continue;
            }
            bool ok = convert_row(kind, &csv->rows[i], header->nfields, col_field, header, rules, r, &w);
            if (ok) {
                r->nrows++;
                if (copy == NULL)
                    json_array_append_new(r->rows, row_json(kind, &w));
                else if (r->nerrors == 0)   /* a file with errors sends nothing */
                    row_copy(&w, r->nrows, copy);
            }
            row_clear(&w);
        }
        if (r->nrows == 0 && r->nerrors == 0 && r->fatal == NULL)
            r->fatal = xstrdup("the file has a header but no data rows");
    }
    free(col_field);
    import_header_free(&hd);
    csv_free(csv);
    xlsx_sheet_free(&wbs);
}

void
import_parse(enum import_kind kind, const char *data, size_t len, enum text_encoding enc,
             const struct import_rules *rules, struct import_result *r)
{
    parse(kind, data, len, false, enc, NULL, rules, r, NULL);
}

void
import_parse_copy(enum import_kind kind, char *data, size_t len, enum text_encoding enc,
                  const struct import_rules *rules, struct import_result *r)
{
    import_parse_copy_sheet(kind, data, len, enc, NULL, rules, r);
}

void
import_parse_copy_sheet(enum import_kind kind, char *data, size_t len, enum text_encoding enc, const char *sheet,
                        const struct import_rules *rules, struct import_result *r)
{
    struct buf b;
    buf_init(&b);
    parse(kind, data, len, true, enc, sheet, rules, r, &b);
    if (r->nerrors == 0 && r->fatal == NULL) {
        r->copy_len = b.len;
        r->copy = buf_steal(&b);
    } else {
        buf_free(&b);
    }
}

size_t
import_ncolumns(enum import_kind kind)
{
    size_t n = 0;
    while (kind_fields[kind][n].name)
        n++;
    return n;
}

const char *
import_column(enum import_kind kind, size_t i)
{
    return i < import_ncolumns(kind) ? kind_fields[kind][i].name : NULL;
}

void
import_result_free(struct import_result *r)
{
    free(r->fatal);
    free(r->copy);
    free(r->sheet);
    json_decref(r->column_index);
    json_decref(r->rows);
    json_decref(r->errors);
    json_decref(r->columns);
    json_decref(r->ignored);
    memset(r, 0, sizeof *r);
}
