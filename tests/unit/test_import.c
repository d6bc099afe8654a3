/* Unit tests for import.c: spreadsheet CSVs as the project office saves
 * them (Chinese or English headers, GB18030 or UTF-8, units and stars in
 * the header) become canonical rows, and every bad cell is reported with
 * its line and the column as the file names it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "import.h"
#include "util.h"

#define SECTORS "产业, 城建, 基础设施, 民生, 生态, 其他 (or industry, urban, infrastructure, " \
                "livelihood, ecology, other)"
#define NOT_A_DATE "is not a date (expected 2026-03-15, 2026/3/15 or 2026年3月15日)"
#define NOT_AN_AMOUNT "is not an amount in 万元 (a number ≥ 0, like 12500 or 3,200.50)"
#define NOT_A_MONTH "is not a month (expected 2026-10 or 2026年10月)"
#define KINDS "开工, 主体, 封顶, 竣工, 投产, 投资, 审批, 其他 (or start, structure, topping, " \
              "completion, operation, investment, approval, other)"

/* A JSON value as COPY text (before escaping): what the daemon sends. */
static char *
copy_value(const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return strdup("\\N");
    if (json_is_integer(v))
        return xasprintf("%lld", (long long)json_integer_value(v));
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "true" : "false");
    struct buf b;
    buf_init(&b);
    for (const char *p = json_string_value(v); *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
        if (esc)
            buf_puts(&b, esc);
        else
            buf_putc(&b, *p);
    }
    return buf_steal(&b);
}

/* Parses csv both ways: the rows as objects (r) and as COPY text
 * (import_parse_copy, what the daemon sends), which must agree line by
 * line and column by column. */
static void
parse(enum import_kind kind, const char *csv, struct import_result *r)
{
    import_parse(kind, csv, strlen(csv), ENC_AUTO, NULL, r);
    struct import_result t;
    import_parse_copy(kind, strdup(csv), strlen(csv), ENC_AUTO, NULL, &t);
    assert_null(t.rows);
    assert_int_equal(t.nrows, json_array_size(r->rows));
    assert_int_equal(t.nerrors, r->nerrors);
    assert_true((t.fatal == NULL) == (r->fatal == NULL));
    assert_true(json_equal(t.errors, r->errors));
    if (t.nerrors > 0 || t.fatal != NULL) {
        assert_null(t.copy);
        import_result_free(&t);
        return;
    }
    assert_non_null(t.copy);
    assert_int_equal(strlen(t.copy), t.copy_len);
    struct buf want;
    buf_init(&want);
    size_t i;
    json_t *o;
    json_array_foreach(r->rows, i, o) {
        buf_printf(&want, "%zu\t%lld", i + 1, (long long)json_integer_value(json_object_get(o, "line")));
        for (size_t k = 0; import_column(kind, k); k++) {
            char *v = copy_value(json_object_get(o, import_column(kind, k)));
            buf_printf(&want, "\t%s", v);
            free(v);
        }
        buf_putc(&want, '\n');
    }
    buf_putc(&want, '\0');
    assert_string_equal(t.copy, want.data);
    buf_free(&want);
    import_result_free(&t);
}

/* got must equal the JSON text want (object key order does not matter). */
static void
assert_json(const json_t *got, const char *want)
{
    json_error_t jerr;
    json_t *w = json_loads(want, 0, &jerr);
    if (w == NULL)
        fail_msg("bad expected JSON (%s): %s", jerr.text, want);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *x = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g ? g : "NULL", x);
        free(g);
        free(x);
        json_decref(w);
        fail();
    }
    json_decref(w);
}

struct want_error {
    long line;
    const char *column;     /* NULL: the error is about the whole row */
    const char *message;
};

static void
assert_error_is(const json_t *e, const struct want_error *want)
{
    if (e == NULL)
        fail_msg("missing error: line %ld: %s", want->line, want->message);
    assert_int_equal(json_integer_value(json_object_get(e, "line")), want->line);
    const json_t *c = json_object_get(e, "column");
    if (want->column == NULL)
        assert_true(json_is_null(c));
    else
        assert_string_equal(json_string_value(c), want->column);
    assert_string_equal(json_string_value(json_object_get(e, "message")), want->message);
    assert_int_equal(json_object_size(e), 3);
}

/* The listed errors must be exactly want[0..n), in order. */
static void
assert_errors_(const json_t *errors, const struct want_error *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_error_is(json_array_get(errors, i), &want[i]);
    assert_int_equal(json_array_size(errors), n);
}

#define ERRORS(errors, ...) \
    assert_errors_(errors, (const struct want_error[]){__VA_ARGS__}, \
                   ARRAY_LEN(((const struct want_error[]){__VA_ARGS__})))

static void
assert_clean(const struct import_result *r)
{
    if (r->fatal != NULL)
        fail_msg("fatal: %s", r->fatal);
    if (r->nerrors != 0) {
        char *e = json_dumps(r->errors, JSON_COMPACT);
        print_error("errors: %s\n", e);
        free(e);
        fail();
    }
    assert_int_equal(json_array_size(r->errors), 0);
}

static void
assert_fatal(enum import_kind kind, const char *csv, const char *want)
{
    struct import_result r;
    parse(kind, csv, &r);
    if (r.fatal == NULL)
        fail_msg("no fatal for:\n%s", csv);
    assert_string_equal(r.fatal, want);
    assert_int_equal(json_array_size(r.rows), 0);
    assert_int_equal(r.nerrors, 0);
    import_result_free(&r);
}

static void
test_chinese_headers(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "序号,项目编号,项目名称,年度,级别,县区,领域,类别,建设单位,责任单位,分包领导,联系电话,"
          "总投资（万元）,年度计划投资,计划开工,计划竣工\n"
          "1,41030020260001,洛阳新材料产业园,2026,省,涧西区,产业,新开工,洛阳新材料有限公司,"
          "市发展改革委,张三,13800001111,\"12,345.50\",\"5,000\",2026-03-15,2027年12月31日\n"
          "2,LY-CJ-002,瀛洲大桥改造,2026年,市,洛龙区,城建,续建,市城投集团,市住建局,李四,"
          "0379-63211234,8000,3000,2026/3/1,2026/12/30\n",
          &r);
    assert_clean(&r);
    assert_int_equal(r.encoding, ENC_UTF8);
    assert_json(r.rows,
        "[{\"line\": 2, \"code\": \"41030020260001\", \"name\": \"洛阳新材料产业园\", \"year\": 2026,"
        "  \"level\": \"province\", \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"new\","
        "  \"owner\": \"洛阳新材料有限公司\", \"unit\": \"市发展改革委\", \"leader\": \"张三\","
        "  \"leader_mobile\": \"13800001111\", \"total_investment\": \"12345.5\", \"annual_plan\": \"5000\","
        "  \"planned_start\": \"2026-03-15\", \"planned_end\": \"2027-12-31\"},"
        " {\"line\": 3, \"code\": \"LY-CJ-002\", \"name\": \"瀛洲大桥改造\", \"year\": 2026,"
        "  \"level\": \"city\", \"county\": \"洛龙区\", \"sector\": \"urban\", \"category\": \"continuing\","
        "  \"owner\": \"市城投集团\", \"unit\": \"市住建局\", \"leader\": \"李四\","
        "  \"leader_mobile\": \"0379-63211234\", \"total_investment\": \"8000\", \"annual_plan\": \"3000\","
        "  \"planned_start\": \"2026-03-01\", \"planned_end\": \"2026-12-30\"}]");
    assert_json(r.columns,
        "{\"code\": \"项目编号\", \"name\": \"项目名称\", \"year\": \"年度\", \"level\": \"级别\","
        " \"county\": \"县区\", \"sector\": \"领域\", \"category\": \"类别\", \"owner\": \"建设单位\","
        " \"unit\": \"责任单位\", \"leader\": \"分包领导\", \"leader_mobile\": \"联系电话\","
        " \"total_investment\": \"总投资（万元）\", \"annual_plan\": \"年度计划投资\","
        " \"planned_start\": \"计划开工\", \"planned_end\": \"计划竣工\"}");
    assert_json(r.ignored, "[\"序号\"]");
    import_result_free(&r);
}

static void
test_english_headers(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "code,name,year,level,county,sector,category,status,owner,unit,leader,leader_title,"
          "leader_mobile,contact,contact_mobile,total_investment,annual_plan,planned_start,"
          "planned_end,actual_start,actual_end,completes_this_year\r\n"
          "P-1,Bridge,2026,province,Jianxi,infrastructure,preliminary,building,Owner Co,Unit,"
          "Zhang,Vice Mayor,+86 138 0000 1111,Wang,13900002222,0.5,.5,2026-3-5,2026.12.1,"
          "2026年4月1日,,是\r\n"
          "P-2,Park,2026,City,Laocheng,ECOLOGY,New,停工,,,,,,,,,,,,,,否\r\n",
          &r);
    assert_clean(&r);
    assert_json(r.rows,
        "[{\"line\": 2, \"code\": \"P-1\", \"name\": \"Bridge\", \"year\": 2026, \"level\": \"province\","
        "  \"county\": \"Jianxi\", \"sector\": \"infrastructure\", \"category\": \"preliminary\","
        "  \"status\": \"building\", \"owner\": \"Owner Co\", \"unit\": \"Unit\", \"leader\": \"Zhang\","
        "  \"leader_title\": \"Vice Mayor\", \"leader_mobile\": \"+86 138 0000 1111\", \"contact\": \"Wang\","
        "  \"contact_mobile\": \"13900002222\", \"total_investment\": \"0.5\", \"annual_plan\": \"0.5\","
        "  \"planned_start\": \"2026-03-05\", \"planned_end\": \"2026-12-01\","
        "  \"actual_start\": \"2026-04-01\", \"actual_end\": null, \"completes_this_year\": true},"
        " {\"line\": 3, \"code\": \"P-2\", \"name\": \"Park\", \"year\": 2026, \"level\": \"city\","
        "  \"county\": \"Laocheng\", \"sector\": \"ecology\", \"category\": \"new\", \"status\": \"suspended\","
        "  \"owner\": null, \"unit\": null, \"leader\": null, \"leader_title\": null, \"leader_mobile\": null,"
        "  \"contact\": null, \"contact_mobile\": null, \"total_investment\": null, \"annual_plan\": null,"
        "  \"planned_start\": null, \"planned_end\": null, \"actual_start\": null, \"actual_end\": null,"
        "  \"completes_this_year\": false}]");
    assert_json(r.ignored, "[]");
    assert_int_equal(json_object_size(r.columns), 22);
    import_result_free(&r);
}

/* Header cells as people write them: blanks inside and around, a "*" for
 * required, a unit in full-width or ASCII brackets, ideographic spaces, a
 * line break inside a quoted cell, English in any case. */
static void
test_header_spellings(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          " 项目编号 *,项目 名称,年度*,\"级\n别\",\xE3\x80\x80县区\xE3\x80\x80,领域 ,CATEGORY,"
          "总投资(万元),年度计划投资（万元）*,Leader_Mobile,序号,,备注\n"
          "X1,名,2026,市,涧西区,城建,前期,\"1,000\",200,13800001111,7,,无\n",
          &r);
    assert_clean(&r);
    assert_json(r.columns,
        "{\"code\": \" 项目编号 *\", \"name\": \"项目 名称\", \"year\": \"年度*\", \"level\": \"级\\n别\","
        " \"county\": \"\u3000县区\u3000\", \"sector\": \"领域 \", \"category\": \"CATEGORY\","
        " \"total_investment\": \"总投资(万元)\", \"annual_plan\": \"年度计划投资（万元）*\","
        " \"leader_mobile\": \"Leader_Mobile\"}");
    /* unknown columns are listed as written; a blank header cell is not */
    assert_json(r.ignored, "[\"序号\", \"备注\"]");
    assert_json(r.rows,
        "[{\"line\": 3, \"code\": \"X1\", \"name\": \"名\", \"year\": 2026, \"level\": \"city\","
        "  \"county\": \"涧西区\", \"sector\": \"urban\", \"category\": \"preliminary\","
        "  \"total_investment\": \"1000\", \"annual_plan\": \"200\", \"leader_mobile\": \"13800001111\"}]");
    import_result_free(&r);
}

static void
test_header_fatal(void **state)
{
    (void)state;
    assert_fatal(IMPORT_PROJECTS,
                 "项目编号,项目名称,年度,级别,县区,领域\n"
                 "X1,名,2026,市,涧西区,产业\n",
                 "line 1: missing column 类别 (category)");
    assert_fatal(IMPORT_PROJECTS, "name,year,level,county,sector,category\nn,2026,市,县,产业,续建\n",
                 "line 1: missing column 项目编号 (code)");
    /* the header is the first non-blank row: blank lines and rows of only
     * commas (Excel's empty sheet rows) before it are skipped */
    assert_fatal(IMPORT_PROJECTS, "\n ,\n项目名称,年度\n", "line 3: missing column 项目编号 (code)");
    assert_fatal(IMPORT_PROJECTS, ",,,,\n\n\xE3\x80\x80,\t\n2026年重点项目,,,\n",
                 "line 4: missing column 项目编号 (code)");
    assert_fatal(IMPORT_MILESTONES, "项目编号,节点类型,节点内容\nP1,开工,开工\n",
                 "line 1: missing column 完成时限 (due)");
    assert_fatal(IMPORT_REPORTS, "项目编号,本月完成投资\nP1,100\n", "line 1: missing column 月份 (month)");
    assert_fatal(IMPORT_PLANS, "project,month\nP1,2026-01\n",
                 "line 1: missing column 累计计划投资 (planned_cumulative)");
    /* one field twice, under two of its spellings or the same one */
    assert_fatal(IMPORT_PROJECTS, "code,name,year,level,county,sector,category,编号\n",
                 "line 1: columns 1 and 8 are both '编号' (code)");
    assert_fatal(IMPORT_PROJECTS,
                 "项目编号,项目名称,年度,级别,县区,领域,领域,类别\n"
                 "X,n,2026,市,县,产业,产业,续建\n",
                 "line 1: columns 6 and 7 are both '领域' (sector)");
    assert_fatal(IMPORT_REPORTS, "项目编号,月份,本月完成投资,当月完成投资\n",
                 "line 1: columns 3 and 4 are both '当月完成投资' (amount)");
    /* a duplicate is reported even when a required column is also missing */
    assert_fatal(IMPORT_PROJECTS, "code,code\n", "line 1: columns 1 and 2 are both 'code' (code)");
}

static void
test_empty_and_header_only(void **state)
{
    (void)state;
    const char *empty = "the file is empty: expected a header row and data rows";
    const char *no_rows = "the file has a header but no data rows";
    assert_fatal(IMPORT_PROJECTS, "", empty);
    assert_fatal(IMPORT_PROJECTS, "\xEF\xBB\xBF", empty);
    assert_fatal(IMPORT_PROJECTS, "\r\n\n   \n", empty);
    assert_fatal(IMPORT_PROJECTS, ",,,,,,\r\n , ,\r\n", empty);
    assert_fatal(IMPORT_PROJECTS, "项目编号,项目名称,年度,级别,县区,领域,类别\n", no_rows);
    assert_fatal(IMPORT_PROJECTS, "项目编号,项目名称,年度,级别,县区,领域,类别", no_rows);
    assert_fatal(IMPORT_MILESTONES, "项目编号,节点类型,节点内容,完成时限\n,,,\n , ,\xE3\x80\x80,\n\n",
                 no_rows);
}

static void
test_blank_rows_and_row_shape(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_REPORTS,
          "项目编号,月份,本月完成投资,形象进度\n"      /* 1 */
          ",,,,\n"                                      /* 2: blank, skipped */
          "P1,2026-10,100,\"基础施工，\n主体 3 层\"\n"   /* 3-4: quoted line break */
          "\n"                                          /* 5 */
          "P2,2026-10,50\n"                             /* 6: short row: a cell lost */
          "P3,2026-10,50,ok,extra\n"                    /* 7: one field too many */
          "P4\n"                                        /* 8: short row */
          " , ,\xE3\x80\x80,\t\n"                       /* 9: blank, skipped */
          "P5,2026-10,60,,\n",                          /* 10: trailing empty extra cell: fine */
          &r);
    assert_null(r.fatal);
    assert_json(r.rows,
        "[{\"line\": 3, \"project\": \"P1\", \"month\": \"2026-10-01\", \"amount\": \"100\","
        "  \"progress\": \"基础施工，\\n主体 3 层\"},"
        " {\"line\": 10, \"project\": \"P5\", \"month\": \"2026-10-01\", \"amount\": \"60\", \"progress\": null}]");
    ERRORS(r.errors,
           { 6, NULL, "3 fields but the header has 4" },
           { 7, NULL, "5 fields but the header has 4" },
           { 8, NULL, "1 field but the header has 4" });
    assert_int_equal(r.nerrors, 3);
    import_result_free(&r);
}

/* An empty first sheet row comes out of Excel as ",,,,,,": the header is
 * the row after it, and line numbers stay those of the file. */
static void
test_leading_blank_rows(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          ",,,,,,\r\n"
          "\r\n"
          "项目编号,项目名称,年度,级别,县区,领域,类别\r\n"
          "X1,名,2026,市,涧西区,产业,续建\r\n"
          "X2,名,2026,市,涧西区,航天,续建\r\n",
          &r);
    assert_null(r.fatal);
    assert_json(r.rows,
        "[{\"line\": 4, \"code\": \"X1\", \"name\": \"名\", \"year\": 2026, \"level\": \"city\","
        "  \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"continuing\"}]");
    ERRORS(r.errors, { 5, "领域", "unknown sector '航天' (expected one of " SECTORS ")" });
    assert_json(r.ignored, "[]");
    import_result_free(&r);
}

/* The vocabulary: Chinese and English spellings of each enum become the
 * schema's canonical names. */
static void
test_values_canonical(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号,项目名称,年度,级别,县区,领域,类别,状态,是否当年竣工\n"
          "A1,a,2026,省,涧西区,产业,新开工,前期,是\n"
          "A2,a,2026,市,涧西区,城建,续建,在建,否\n"
          "A3,a,2026,省级,涧西区,基础设施,前期,停工,\n"
          "A4,a,2026,市级,涧西区,民生,新建,竣工,yes\n"
          "A5,a,2026,Province,涧西区,生态,Continuing,投产,0\n"
          "A6,a,2026,CITY,涧西区,其他,preliminary,运营,√\n"
          "A7,a,2026, 市 ,涧西区,\xE3\x80\x80工业\xE3\x80\x80,续建,建设中,×\n",
          &r);
    assert_clean(&r);
    static const char *const want[][5] = {
        { "province", "industry", "new", "preliminary", "true" },
        { "city", "urban", "continuing", "building", "false" },
        { "province", "infrastructure", "preliminary", "suspended", NULL },
        { "city", "livelihood", "new", "completed", "true" },
        { "province", "ecology", "continuing", "operating", "false" },
        { "city", "other", "preliminary", "operating", "true" },
        { "city", "industry", "continuing", "building", "false" },
    };
    assert_int_equal(json_array_size(r.rows), ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        const json_t *o = json_array_get(r.rows, i);
        assert_int_equal(json_integer_value(json_object_get(o, "line")), (json_int_t)i + 2);
        assert_string_equal(json_string_value(json_object_get(o, "level")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(o, "sector")), want[i][1]);
        assert_string_equal(json_string_value(json_object_get(o, "category")), want[i][2]);
        assert_string_equal(json_string_value(json_object_get(o, "status")), want[i][3]);
        const json_t *b = json_object_get(o, "completes_this_year");
        if (want[i][4] == NULL)
            assert_true(json_is_null(b));
        else
            assert_int_equal(json_is_true(b), strcmp(want[i][4], "true") == 0);
    }
    import_result_free(&r);
}

static void
test_dates_and_amounts(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "code,name,year,level,county,sector,category,total_investment,annual_plan,planned_start,planned_end\n"
          "D1,a,2026,市,县,产业,续建,\"1,234,567.8900\",0,2026-03-15,2026-03-15\n"
          "D2,a,2026,市,县,产业,续建,12.,007,2026/3/15,2026/12/31\n"
          "D3,a,2026,市,县,产业,续建,\" 35000 \",0.1234,2026年3月15日,2027年1月5日\n"
          "D4,a,2026,市,县,产业,续建,999999999999.9999,1,2026年03月05,2026.3.5\n",
          &r);
    assert_clean(&r);
    static const char *const want[][4] = {
        { "1234567.89", "0", "2026-03-15", "2026-03-15" },
        { "12", "7", "2026-03-15", "2026-12-31" },
        { "35000", "0.1234", "2026-03-15", "2027-01-05" },
        { "999999999999.9999", "1", "2026-03-05", "2026-03-05" },
    };
    assert_int_equal(json_array_size(r.rows), ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        const json_t *o = json_array_get(r.rows, i);
        assert_string_equal(json_string_value(json_object_get(o, "total_investment")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(o, "annual_plan")), want[i][1]);
        assert_string_equal(json_string_value(json_object_get(o, "planned_start")), want[i][2]);
        assert_string_equal(json_string_value(json_object_get(o, "planned_end")), want[i][3]);
    }
    import_result_free(&r);
}

/* Every bad cell in the file is reported, each with its line and the
 * column as the file spells it. Rows with an error are left out of rows;
 * the rest stay, but nerrors > 0 makes the caller (cmd_import.c) refuse the
 * whole file before the database sees any of it. */
static void
test_bad_cells(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号*,项目名称,年度,级别,县区,领域,类别,联系电话,总投资（万元）,计划开工,计划竣工,当年竣工\n"
          "G1,好项目,2026,省,涧西区,产业,新开工,13800001111,100,2026-03-01,2026-12-31,否\n"
          "B1,航天产业园,2026,市,涧西区,航天,新开工,,,,,\n"
          "B2,,26,区,涧西区,产业,在建,电话,1.5万,2026-02-30,2026年13月1日,也许\n"
          "B 3,a,2026,市,,城建,续建,,-5,2026-06-01,2026-05-31,\n"
          "G2,好项目二,2026,市,洛龙区,城建,续建,,\"3,200.50\",,,\n",
          &r);
    assert_null(r.fatal);
    assert_int_equal(r.nerrors, 14);
    ERRORS(r.errors,
           { 3, "领域", "unknown sector '航天' (expected one of " SECTORS ")" },
           { 4, "项目名称", "required value is empty" },
           { 4, "年度", "'26' is not a year like 2026" },
           { 4, "级别", "unknown level '区' (expected one of 省, 市 (or province, city))" },
           { 4, "类别", "unknown category '在建' (expected one of 新开工, 续建, 前期 "
                      "(or new, continuing, preliminary))" },
           { 4, "联系电话", "'电话' is not a phone number" },
           { 4, "总投资（万元）", "'1.5万' " NOT_AN_AMOUNT },
           { 4, "计划开工", "'2026-02-30' " NOT_A_DATE },
           { 4, "计划竣工", "'2026年13月1日' " NOT_A_DATE },
           { 4, "当年竣工", "'也许' is not 是 or 否 (yes or no)" },
           { 5, "项目编号*", "'B 3' is not a project code (at most 64 characters, no blanks)" },
           { 5, "县区", "required value is empty" },
           { 5, "总投资（万元）", "'-5' " NOT_AN_AMOUNT },
           { 5, "计划竣工", "planned completion is before the planned start" });
    /* only the good rows are kept, and each says where it came from */
    assert_int_equal(json_array_size(r.rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.rows, 0), "code")), "G1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r.rows, 0), "line")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.rows, 1), "code")), "G2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.rows, 1), "total_investment")),
                        "3200.5");
    import_result_free(&r);
}

/* The documented example error, word for word as keyprojctl shows it. */
static void
test_error_shape_from_design(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号,项目名称,年度,级别,县区,领域,类别\n"
          "P1,a,2026,市,涧西区,产业,续建\n"
          "P2,b,2026,市,涧西区,产业,续建\n"
          "P3,c,2026,市,涧西区,产业,续建\n"
          "P4,d,2026,市,涧西区,产业,续建\n"
          "P5,e,2026,市,涧西区,产业,续建\n"
          "P6,卫星城,2026,市,涧西区,航天,续建\n",
          &r);
    assert_int_equal(r.nerrors, 1);
    const json_t *e = json_array_get(r.errors, 0);
    char *shown = xasprintf("line %lld, column %s: %s", (long long)json_integer_value(json_object_get(e, "line")),
                            json_string_value(json_object_get(e, "column")),
                            json_string_value(json_object_get(e, "message")));
    assert_string_equal(shown, "line 7, column 领域: unknown sector '航天' (expected one of " SECTORS ")");
    free(shown);
    assert_int_equal(json_array_size(r.rows), 5);
    import_result_free(&r);
}

static void
test_error_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "项目编号,月份,本月完成投资\n");
    for (int i = 0; i < 150; i++)       /* two errors per row: 300 in all */
        buf_printf(&b, "P%d,2026-13,abc\n", i);
    buf_puts(&b, "OK,2026-12,1\n");
    struct import_result r;
    parse(IMPORT_REPORTS, b.data, &r);
    buf_free(&b);
    assert_null(r.fatal);
    assert_int_equal(r.nerrors, 300);
    assert_int_equal(json_array_size(r.errors), IMPORT_MAX_ERRORS);
    /* the first IMPORT_MAX_ERRORS, in file order: both cells of rows 2..101 */
    for (size_t i = 0; i < IMPORT_MAX_ERRORS; i++) {
        const struct want_error month = { 2 + (long)i / 2, "月份", "'2026-13' " NOT_A_MONTH };
        const struct want_error amount = { 2 + (long)i / 2, "本月完成投资", "'abc' " NOT_AN_AMOUNT };
        assert_error_is(json_array_get(r.errors, i), i % 2 == 0 ? &month : &amount);
    }
    /* rows past the cap are still checked and still dropped */
    assert_int_equal(json_array_size(r.rows), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r.rows, 0), "line")), 152);

    /* later errors (from the database) count too, and stay unlisted */
    import_add_error(&r, 152, "project", "unknown project 'OK'");
    assert_int_equal(r.nerrors, 301);
    assert_int_equal(json_array_size(r.errors), IMPORT_MAX_ERRORS);
    import_result_free(&r);
}

/* Exactly at the cap, every error is listed. */
static void
test_error_cap_boundary(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "project,month,planned_cumulative\n");
    for (int i = 0; i < IMPORT_MAX_ERRORS; i++)
        buf_printf(&b, "P%d,2026-01,x\n", i);
    struct import_result r;
    parse(IMPORT_PLANS, b.data, &r);
    buf_free(&b);
    assert_int_equal(r.nerrors, IMPORT_MAX_ERRORS);
    assert_int_equal(json_array_size(r.errors), IMPORT_MAX_ERRORS);
    assert_int_equal(json_array_size(r.rows), 0);
    assert_null(r.fatal);       /* errors, not "no data rows" */
    import_result_free(&r);
}

/* printf '项目编号,项目名称,年度,级别,县区,领域,类别,总投资（万元）\r\n
 * LY-001,洛阳新材料产业园,2026,省,涧西区,产业,新开工,"1,200"\r\n
 * LY-002,老城区供热管网,2026年,市,老城区,民生,续建,800\r\n
 * LY-003,航天城,2026,市,伊滨区,航天,新开工,100\r\n' | iconv -f UTF-8 -t GB18030 */
static const char gb_projects[] =
    "\xcf\xee\xc4\xbf\xb1\xe0\xba\xc5,\xcf\xee\xc4\xbf\xc3\xfb\xb3\xc6,\xc4\xea\xb6\xc8,\xbc\xb6\xb1\xf0,"
    "\xcf\xd8\xc7\xf8,\xc1\xec\xd3\xf2,\xc0\xe0\xb1\xf0,\xd7\xdc\xcd\xb6\xd7\xca\xa3\xa8\xcd\xf2\xd4\xaa\xa3\xa9\r\n"
    "LY-001,\xc2\xe5\xd1\xf4\xd0\xc2\xb2\xc4\xc1\xcf\xb2\xfa\xd2\xb5\xd4\xb0,2026,\xca\xa1,"
    "\xbd\xa7\xce\xf7\xc7\xf8,\xb2\xfa\xd2\xb5,\xd0\xc2\xbf\xaa\xb9\xa4,\"1,200\"\r\n"
    "LY-002,\xc0\xcf\xb3\xc7\xc7\xf8\xb9\xa9\xc8\xc8\xb9\xdc\xcd\xf8,2026\xc4\xea,\xca\xd0,"
    "\xc0\xcf\xb3\xc7\xc7\xf8,\xc3\xf1\xc9\xfa,\xd0\xf8\xbd\xa8,800\r\n"
    "LY-003,\xba\xbd\xcc\xec\xb3\xc7,2026,\xca\xd0,\xd2\xc1\xb1\xf5\xc7\xf8,\xba\xbd\xcc\xec,"
    "\xd0\xc2\xbf\xaa\xb9\xa4,100\r\n";

static void
assert_gb_projects(const struct import_result *r)
{
    assert_null(r->fatal);
    assert_int_equal(r->encoding, ENC_GB18030);
    assert_json(r->rows,
        "[{\"line\": 2, \"code\": \"LY-001\", \"name\": \"洛阳新材料产业园\", \"year\": 2026,"
        "  \"level\": \"province\", \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"new\","
        "  \"total_investment\": \"1200\"},"
        " {\"line\": 3, \"code\": \"LY-002\", \"name\": \"老城区供热管网\", \"year\": 2026,"
        "  \"level\": \"city\", \"county\": \"老城区\", \"sector\": \"livelihood\", \"category\": \"continuing\","
        "  \"total_investment\": \"800\"}]");
    ERRORS(r->errors, { 4, "领域", "unknown sector '航天' (expected one of " SECTORS ")" });
    assert_int_equal(r->nerrors, 1);
    assert_string_equal(json_string_value(json_object_get(r->columns, "total_investment")), "总投资（万元）");
}

static void
test_gb18030(void **state)
{
    (void)state;
    struct import_result r;
    import_parse(IMPORT_PROJECTS, gb_projects, sizeof gb_projects - 1, ENC_AUTO, NULL, &r);
    assert_gb_projects(&r);
    import_result_free(&r);
    import_parse(IMPORT_PROJECTS, gb_projects, sizeof gb_projects - 1, ENC_GB18030, NULL, &r);
    assert_gb_projects(&r);
    import_result_free(&r);

    /* told it is UTF-8, it is not: say where, and nothing else */
    import_parse(IMPORT_PROJECTS, gb_projects, sizeof gb_projects - 1, ENC_UTF8, NULL, &r);
    assert_string_equal(r.fatal, "byte 0 (line 1) is not valid UTF-8");
    assert_int_equal(json_array_size(r.rows), 0);
    assert_int_equal(r.nerrors, 0);
    import_result_free(&r);
}

static void
test_utf8_bom(void **state)
{
    (void)state;
    struct import_result r;
    static const char csv[] = "\xEF\xBB\xBF项目编号,月份,本月完成投资\r\nP1,2026年10月,\"1,000\"\r\n";
    import_parse(IMPORT_REPORTS, csv, sizeof csv - 1, ENC_AUTO, NULL, &r);
    assert_clean(&r);
    assert_int_equal(r.encoding, ENC_UTF8);
    assert_json(r.columns, "{\"project\": \"项目编号\", \"month\": \"月份\", \"amount\": \"本月完成投资\"}");
    assert_json(r.rows, "[{\"line\": 2, \"project\": \"P1\", \"month\": \"2026-10-01\", \"amount\": \"1000\"}]");
    import_result_free(&r);
    import_parse(IMPORT_REPORTS, csv, sizeof csv - 1, ENC_UTF8, NULL, &r);
    assert_clean(&r);
    assert_int_equal(json_array_size(r.rows), 1);
    import_result_free(&r);
}

static void
test_milestones(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_MILESTONES,
          "项目编号,攻坚期,节点类型,节点内容,完成时限,责任单位,完成情况,实际完成时间,备注\n"
          "P1,,开工,开工建设,2026-11-03,市住建局,,2026-10-30,提前完成\n"     /* 2 */
          "P1,2026年第5期,主体,主体完工,2026/9/30,,未完成,,\n"                /* 3 */
          "P2,2026-b6,竣工,竣工验收,2026年12月31日,,已完成,2026-12-20,\n"      /* 4 */
          "P3,百日攻坚,审批,取得施工许可,2026-01-05,,免除,,\n"                  /* 5 */
          "P4,,投产,投产运营,2026-02-28,,,,\n"                                  /* 6 */
          "P5,,竣工,x,2026-12-01,,未完成,2026-12-01,\n"                         /* 7 */
          "P6,,奠基,x,2026-12-01,,,,\n"                                         /* 8 */
          "P7,,开工,x,2026-02-30,,,,\n",                                        /* 9 */
          &r);
    assert_null(r.fatal);
    assert_json(r.rows,
        "[{\"line\": 2, \"project\": \"P1\", \"campaign\": \"2026-B6\", \"kind\": \"start\", \"title\": \"开工建设\","
        "  \"due\": \"2026-11-03\", \"unit\": \"市住建局\", \"status\": \"done\", \"done_on\": \"2026-10-30\","
        "  \"note\": \"提前完成\"},"
        " {\"line\": 3, \"project\": \"P1\", \"campaign\": \"2026-B5\", \"kind\": \"structure\", \"title\": \"主体完工\","
        "  \"due\": \"2026-09-30\", \"unit\": null, \"status\": \"pending\", \"done_on\": null, \"note\": null},"
        " {\"line\": 4, \"project\": \"P2\", \"campaign\": \"2026-B6\", \"kind\": \"completion\", \"title\": \"竣工验收\","
        "  \"due\": \"2026-12-31\", \"unit\": null, \"status\": \"done\", \"done_on\": \"2026-12-20\", \"note\": null},"
        " {\"line\": 5, \"project\": \"P3\", \"campaign\": \"百日攻坚\", \"kind\": \"approval\", \"title\": \"取得施工许可\","
        "  \"due\": \"2026-01-05\", \"unit\": null, \"status\": \"waived\", \"done_on\": null, \"note\": null},"
        " {\"line\": 6, \"project\": \"P4\", \"campaign\": \"2026-B1\", \"kind\": \"operation\", \"title\": \"投产运营\","
        "  \"due\": \"2026-02-28\", \"unit\": null, \"status\": null, \"done_on\": null, \"note\": null}]");
    ERRORS(r.errors,
           { 7, "实际完成时间", "a completion date is given but the node is not done" },
           { 8, "节点类型", "unknown node type '奠基' (expected one of " KINDS ")" },
           { 9, "完成时限", "'2026-02-30' " NOT_A_DATE });
    assert_int_equal(r.nerrors, 3);
    import_result_free(&r);

    /* no campaign column at all: every campaign comes from its due date */
    parse(IMPORT_MILESTONES,
          "project,kind,title,due,status,done_on\n"
          "P1,start,Start,2026-11-03,,2026-11-01\n"
          "P1,topping,Topping,2027年3月1日,DONE,2027-02-27\n",
          &r);
    assert_clean(&r);
    assert_json(r.rows,
        "[{\"line\": 2, \"project\": \"P1\", \"campaign\": \"2026-B6\", \"kind\": \"start\", \"title\": \"Start\","
        "  \"due\": \"2026-11-03\", \"status\": \"done\", \"done_on\": \"2026-11-01\"},"
        " {\"line\": 3, \"project\": \"P1\", \"campaign\": \"2027-B2\", \"kind\": \"topping\", \"title\": \"Topping\","
        "  \"due\": \"2027-03-01\", \"status\": \"done\", \"done_on\": \"2027-02-27\"}]");
    assert_null(json_object_get(r.columns, "campaign"));
    import_result_free(&r);
}

static void
test_reports(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_REPORTS,
          "项目编号,填报月份,本月完成投资,年初累计完成投资,形象进度\n"
          "P1,2026-10,100,\"1,200.50\",基础施工\n"
          "P2,2026年10月,0,,\n"
          "P3,2026/1,12.5,12.5,\xE3\x80\x80主体封顶\xE3\x80\x80\n"
          "P4,202612,\"2,000\",\"20,000\",\"完成 80%，\"\"样板段\"\"验收\"\n"
          "P5,2026-13,1,,\n"
          "P6,2026-10-01,1,,\n"
          "P7,10月,,,\n",
          &r);
    assert_null(r.fatal);
    assert_json(r.rows,
        "[{\"line\": 2, \"project\": \"P1\", \"month\": \"2026-10-01\", \"amount\": \"100\", \"ytd\": \"1200.5\","
        "  \"progress\": \"基础施工\"},"
        " {\"line\": 3, \"project\": \"P2\", \"month\": \"2026-10-01\", \"amount\": \"0\", \"ytd\": null, \"progress\": null},"
        " {\"line\": 4, \"project\": \"P3\", \"month\": \"2026-01-01\", \"amount\": \"12.5\", \"ytd\": \"12.5\","
        "  \"progress\": \"主体封顶\"},"
        " {\"line\": 5, \"project\": \"P4\", \"month\": \"2026-12-01\", \"amount\": \"2000\", \"ytd\": \"20000\","
        "  \"progress\": \"完成 80%，\\\"样板段\\\"验收\"}]");
    ERRORS(r.errors,
           { 6, "填报月份", "'2026-13' " NOT_A_MONTH },
           { 7, "填报月份", "'2026-10-01' " NOT_A_MONTH },
           { 8, "填报月份", "'10月' " NOT_A_MONTH },
           { 8, "本月完成投资", "required value is empty" });
    import_result_free(&r);
}

static void
test_plans(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PLANS,
          "项目编号,月份,累计计划投资（万元）\n"
          "P1,2026-03,300\n"
          "P1,2026年4月,\"1,400.25\"\n"
          "P1,2026.5,0\n",
          &r);
    assert_clean(&r);
    assert_json(r.rows,
        "[{\"line\": 2, \"project\": \"P1\", \"month\": \"2026-03-01\", \"planned_cumulative\": \"300\"},"
        " {\"line\": 3, \"project\": \"P1\", \"month\": \"2026-04-01\", \"planned_cumulative\": \"1400.25\"},"
        " {\"line\": 4, \"project\": \"P1\", \"month\": \"2026-05-01\", \"planned_cumulative\": \"0\"}]");
    assert_json(r.columns,
        "{\"project\": \"项目编号\", \"month\": \"月份\", \"planned_cumulative\": \"累计计划投资（万元）\"}");
    import_result_free(&r);
}

/* Errors found later (by the database) name the column as the file does. */
static void
test_import_add_error(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号,项目名称,年度,级别,县区 *,领域,类别\n"
          "P1,a,2026,市,涧东区,产业,续建\n",
          &r);
    assert_clean(&r);
    import_add_error(&r, 2, "county", "unknown county '涧东区'");
    import_add_error(&r, 2, "leader", "unknown person");       /* not in the file */
    import_add_error(&r, 0, NULL, "the import was interrupted");
    assert_int_equal(r.nerrors, 3);
    ERRORS(r.errors,
           { 2, "县区 *", "unknown county '涧东区'" },
           { 2, "leader", "unknown person" },
           { 0, NULL, "the import was interrupted" });
    /* a message is taken as text, never as a format */
    import_add_error(&r, 2, "sector", "100% %s %n");
    assert_error_is(json_array_get(r.errors, 3), &(struct want_error){ 2, "领域", "100% %s %n" });
    import_result_free(&r);
    assert_null(r.rows);
    assert_null(r.fatal);
}

static void
test_kinds(void **state)
{
    (void)state;
    static const char *const names[] = { "projects", "milestones", "reports", "plans" };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        enum import_kind k = IMPORT_PLANS;
        assert_true(import_kind_parse(names[i], &k));
        assert_int_equal(k, (enum import_kind)i);
        assert_string_equal(import_kind_name(k), names[i]);
    }
    enum import_kind k = IMPORT_REPORTS;
    assert_false(import_kind_parse("project", &k));
    assert_false(import_kind_parse("Projects", &k));
    assert_false(import_kind_parse("", &k));
    assert_int_equal(k, IMPORT_REPORTS);
    assert_string_equal(import_kinds_expected(), "projects, milestones, reports, plans, approvals or problems");
}

/* File-level problems from the layers below come back as fatal, as is. */
static void
test_file_level_fatal(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS, "项目编号,项目名称\n\"P1,a\n", &r);
    assert_string_equal(r.fatal, "line 2: unterminated quoted field");
    import_result_free(&r);
    import_parse(IMPORT_PROJECTS, "\xFF\xFEx\0", 4, ENC_AUTO, NULL, &r);
    assert_string_equal(r.fatal, "the file is UTF-16 (Excel's \"Unicode text\"); save it as CSV UTF-8 or CSV instead");
    import_result_free(&r);
    import_parse(IMPORT_PROJECTS, "code\nP\0\n", 8, ENC_AUTO, NULL, &r);
    assert_string_equal(r.fatal, "byte 6 (line 2) is a NUL byte: not a text file");
    assert_int_equal(json_array_size(r.rows), 0);
    import_result_free(&r);
}

/* What export guarded against formulas comes back as it was: a ' before
 * = + - @, tab or CR is taken off (one, so ''=x stays '=x); a ' before
 * anything else is text. A tab in front of a text cell is kept, never
 * trimmed into "=1+1"; in front of a typed cell (a phone) it is a blank. */
static void
test_formula_guard_taken_back(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号,项目名称,年度,级别,县区,领域,类别,建设单位,联系电话,联系人\n"
          "LY-1,\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点击\"\")\",2026,市,涧西区,产业,新开工,"
          "'@SUM(1+1)*cmd|' /C calc'!A0,'+86 138 0000 1111,'-2+3+cmd|' /C calc'!A0\n"
          "LY-2,''=1+1,2026,市,涧西区,产业,新开工,'abc,\t13800001111,\"\t=1+1\"\n"
          "LY-3,\"'\t=1+1\",2026,市,涧西区,产业,新开工,\" \t@x\",,'\r\n",
          &r);
    assert_clean(&r);
    assert_json(r.rows,
        "[{\"line\": 2, \"code\": \"LY-1\", \"name\": \"=HYPERLINK(\\\"http://x.example/\\\",\\\"点击\\\")\","
        "  \"year\": 2026, \"level\": \"city\", \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"new\","
        "  \"owner\": \"@SUM(1+1)*cmd|' /C calc'!A0\", \"leader_mobile\": \"+86 138 0000 1111\","
        "  \"contact\": \"-2+3+cmd|' /C calc'!A0\"},"
        " {\"line\": 3, \"code\": \"LY-2\", \"name\": \"'=1+1\","
        "  \"year\": 2026, \"level\": \"city\", \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"new\","
        "  \"owner\": \"'abc\", \"leader_mobile\": \"13800001111\", \"contact\": \"\\t=1+1\"},"
        " {\"line\": 4, \"code\": \"LY-3\", \"name\": \"\\t=1+1\","
        "  \"year\": 2026, \"level\": \"city\", \"county\": \"涧西区\", \"sector\": \"industry\", \"category\": \"new\","
        "  \"owner\": \"\\t@x\", \"leader_mobile\": null, \"contact\": \"'\"}]");
    import_result_free(&r);
}

/* Characters that hide are refused where they are, named and numbered;
 * a file with any of them gives no rows. */
static void
test_hidden_characters(void **state)
{
    (void)state;
    struct import_result r;
    parse(IMPORT_PROJECTS,
          "项目编号,项目名称,年度,级别,县区,领域,类别,备用\n"
          "\xEF\xBB\xBF" "2026-410300-04-01-123456,项目甲,2026,市,涧西区,产业,新开工,\n"  /* 2: ghost code */
          "LY-2,项目\x1b]8;;http://x\x07乙,2026,市,涧西区,产业,新开工,\n"                 /* 3: ESC, OSC */
          "LY-3,项目\xE2\x80\x8B丙,2026,市,涧西区,产业,新开工,\n"                          /* 4: ZWSP */
          "LY-4,\xE2\x80\xAE丁目项,2026,市,涧西区,产业,新开工,\n"                          /* 5: RLO */
          "LY-5,项目\xC2\x9B戊,2026,市,涧西区,产业,新开工,\n"                              /* 6: C1 CSI */
          "LY-6,项目\x7f己,2026,市\xE2\x81\xA0,涧西区,产业,新开工,\n"                      /* 7: DEL, WJ */
          "LY-7,\"项目\t庚\r\n二期\",2026,市,涧西区,产业,新开工,\x01\n",                   /* 8: tab, CRLF fine; an ignored column unread */
          &r);
    assert_null(r.fatal);
    ERRORS(r.errors,
           { 2, "项目编号", "character 1 is U+FEFF, a 字节顺序标记 (byte order mark, BOM); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 3, "项目名称", "character 3 is U+001B, a 控制字符 (control character); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 4, "项目名称", "character 3 is U+200B, a 零宽字符 (zero-width character); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 5, "项目名称", "character 1 is U+202E, a 双向文本控制符 (bidirectional control); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 6, "项目名称", "character 3 is U+009B, a 控制字符 (control character); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 7, "项目名称", "character 3 is U+007F, a 控制字符 (control character); "
                            "it cannot be seen in a table, so it is refused (retype the cell)" },
           { 7, "级别", "character 2 is U+2060, a 零宽字符 (zero-width character); "
                        "it cannot be seen in a table, so it is refused (retype the cell)" });
    assert_int_equal(json_array_size(r.rows), 1);     /* line 8 */
    import_result_free(&r);

    assert_fatal(IMPORT_PROJECTS, "项目编号,项目名称\xE2\x80\x8C,年度\nLY-1,x,2026\n",
                 "line 1, column 2 of the header: character 5 is U+200C, a 零宽字符 (zero-width character); "
                 "it cannot be seen, so it is refused (retype the header)");
    /* A second byte order mark: two files pasted together. */
    assert_fatal(IMPORT_PROJECTS, "\xEF\xBB\xBF\xEF\xBB\xBF" "项目编号,项目名称,年度\nLY-1,x,2026\n",
                 "line 1, column 1 of the header: character 1 is U+FEFF, a 字节顺序标记 (byte order mark, BOM); "
                 "it cannot be seen, so it is refused (retype the header)");
}

static const char project_head[] = "项目编号,项目名称,年度,级别,县区,领域,类别\n";

/* National codes are checked part by part; the city's own are letters and
 * digits, or what import.code_pattern says. */
static void
test_project_codes(void **state)
{
    (void)state;
    struct import_result r;
    char *csv = xasprintf("%s"
        "2026-410300-04-01-123456,甲,2026,市,涧西区,产业,新开工\n"    /* 2 */
        "LY-2026-001,乙,2026,市,涧西区,产业,新开工\n"                 /* 3 */
        "2026-999999-04-01-123456,丙,2026,市,涧西区,产业,新开工\n"    /* 4 */
        "1926-410300-04-01-123456,丁,2026,市,涧西区,产业,新开工\n"    /* 5 */
        "2026-41030-04-01-123456,戊,2026,市,涧西区,产业,新开工\n"     /* 6 */
        "=1+1,己,2026,市,涧西区,产业,新开工\n"                        /* 7 */
        "LY 2026,庚,2026,市,涧西区,产业,新开工\n",                    /* 8 */
        project_head);
    parse(IMPORT_PROJECTS, csv, &r);
    const char *shape = "a national code like 2026-410300-04-01-123456 "
                        "(year-division-industry-type-serial: 4, 6, 2, 2 and 6 digits)";
    char *m4 = xasprintf("'2026-999999-04-01-123456' is not a national project code: the division 999999 is no "
                         "Chinese administrative division (its first two digits name no province) (expected %s)", shape);
    char *m5 = xasprintf("'1926-410300-04-01-123456' is not a national project code: the year 1926 is not "
                         "2000 to 2099 (expected %s)", shape);
    char *m6 = xasprintf("'2026-41030-04-01-123456' is not a national project code: the division should be "
                         "6 digits followed by '-' (expected %s)", shape);
    char *m7 = xasprintf("'=1+1' is not a project code (expected %s, or the city's own code: letters, digits and "
                         "- _ . / ( ), beginning with a letter or digit, like LY-2026-001)", shape);
    ERRORS(r.errors,
           { 4, "项目编号", m4 }, { 5, "项目编号", m5 }, { 6, "项目编号", m6 }, { 7, "项目编号", m7 },
           { 8, "项目编号", "'LY 2026' is not a project code (at most 64 characters, no blanks)" });
    assert_int_equal(json_array_size(r.rows), 2);
    import_result_free(&r);

    /* With the ledger's own format configured, other local codes go. */
    regex_t re;
    assert_int_equal(regcomp(&re, "^LY-[0-9]{4}-[0-9]{3}$", REG_EXTENDED | REG_NOSUB), 0);
    const struct import_rules rules = { &re, "^LY-[0-9]{4}-[0-9]{3}$", NULL };
    free(csv);
    csv = xasprintf("%s"
        "LY-2026-001,乙,2026,市,涧西区,产业,新开工\n"
        "P-1,丙,2026,市,涧西区,产业,新开工\n"
        "2026-410300-04-01-123456,甲,2026,市,涧西区,产业,新开工\n", project_head);
    import_parse(IMPORT_PROJECTS, csv, strlen(csv), ENC_AUTO, &rules, &r);
    char *m = xasprintf("'P-1' is not a project code (expected %s, or the ledger's own code matching "
                        "^LY-[0-9]{4}-[0-9]{3}$)", shape);
    ERRORS(r.errors, { 3, "项目编号", m });
    import_result_free(&r);
    regfree(&re);
    free(m);
    free(m4);
    free(m5);
    free(m6);
    free(m7);
    free(csv);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chinese_headers),
        cmocka_unit_test(test_english_headers),
        cmocka_unit_test(test_header_spellings),
        cmocka_unit_test(test_header_fatal),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_blank_rows_and_row_shape),
        cmocka_unit_test(test_leading_blank_rows),
        cmocka_unit_test(test_values_canonical),
        cmocka_unit_test(test_dates_and_amounts),
        cmocka_unit_test(test_bad_cells),
        cmocka_unit_test(test_error_shape_from_design),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_error_cap_boundary),
        cmocka_unit_test(test_gb18030),
        cmocka_unit_test(test_utf8_bom),
        cmocka_unit_test(test_milestones),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_import_add_error),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_file_level_fatal),
        cmocka_unit_test(test_formula_guard_taken_back),
        cmocka_unit_test(test_hidden_characters),
        cmocka_unit_test(test_project_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
