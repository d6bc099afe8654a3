/* Unit tests for ctl_render.c: what keyprojctl prints for each shape of
 * answer. Expected output is exact text, so a column off by one fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "ctl_errors.h"
#include "ctl_lang.h"
#include "ctl_render.h"
#include "util.h"

static json_t *
parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (v == NULL)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

static void
check_data(const char *json, enum ctl_format f, const char *expected)
{
    json_t *v = parse(json);
    struct buf out;
    buf_init(&out);
    ctl_render_data(&out, v, f, NULL);
    assert_string_equal(out.data != NULL ? out.data : "", expected);
    buf_free(&out);
    json_decref(v);
}

static void
check_error(const char *json, enum ctl_format f, const char *want_out,
            const char *want_err)
{
    json_t *v = parse(json);
    struct buf out, err;
    buf_init(&out);
    buf_init(&err);
    ctl_render_error(&out, &err, v, f, NULL);
    assert_string_equal(out.data != NULL ? out.data : "", want_out);
    assert_string_equal(err.data != NULL ? err.data : "", want_err);
    buf_free(&out);
    buf_free(&err);
    json_decref(v);
}

static void
test_table_cjk_lines_up(void **state)
{
    (void)state;
    check_data("[{\"code\":\"LY-001\",\"name\":\"洛阳新材料产业园\","
               "\"county\":\"涧西区\",\"invest\":12500,\"light\":\"red\"},"
               "{\"code\":\"LY-002\",\"name\":\"伊河生态廊道\","
               "\"county\":\"洛龙区\",\"invest\":880.5,\"light\":null}]",
               CTL_TABLE,
               "code    name              county  invest  light\n"
               "------  ----------------  ------  ------  -----\n"
               "LY-001  洛阳新材料产业园  涧西区   12500  red\n"
               "LY-002  伊河生态廊道      洛龙区   880.5  -\n"
               "(2 rows)\n");
}

static void
test_table_numbers_right_aligned(void **state)
{
    (void)state;
    /* A numeric column aligns its header and its nulls right as well. */
    check_data("[{\"id\":1,\"amount\":-3.25,\"unit\":\"市发改委\"},"
               "{\"id\":12345,\"amount\":100,\"unit\":\"涧西区住建局\"},"
               "{\"id\":7,\"amount\":null,\"unit\":\"x\"}]",
               CTL_TABLE,
               "   id  amount  unit\n"
               "-----  ------  ------------\n"
               "    1   -3.25  市发改委\n"
               "12345     100  涧西区住建局\n"
               "    7       -  x\n"
               "(3 rows)\n");
    /* 0.1 reads back as itself with 15 digits: no 0.10000000000000001. */
    check_data("[{\"v\":0.1},{\"v\":12345.67}]", CTL_TABLE,
               "       v\n"
               "--------\n"
               "     0.1\n"
               "12345.67\n"
               "(2 rows)\n");
}

static void
test_table_null_bool_missing(void **state)
{
    (void)state;
    /* "note" only exists in the second row: it still gets a column. */
    check_data("[{\"name\":\"A\",\"done\":true,\"waived\":false,\"due\":null},"
               "{\"name\":\"B\",\"done\":false,\"due\":\"2026-12-31\","
               "\"note\":\"延期\"}]",
               CTL_TABLE,
               "name  done  waived  due         note\n"
               "----  ----  ------  ----------  ----\n"
               "A     yes   no      -\n"
               "B     no            2026-12-31  延期\n"
               "(2 rows)\n");
    check_data("[{\"only\":1}]", CTL_TABLE,
               "only\n----\n   1\n(1 row)\n");
    check_data("[]", CTL_TABLE, "(no rows)\n");
    check_data("[{},{}]", CTL_TABLE, "(2 rows)\n");
}

static void
test_table_truncates_wide_cells(void **state)
{
    (void)state;
    struct buf json, want;
    buf_init(&json);
    buf_init(&want);

    buf_puts(&json, "[{\"title\":\"");
    for (int i = 0; i < 70; i++)
        buf_putc(&json, 'a');
    buf_puts(&json, "\"},{\"title\":\"");
    for (int i = 0; i < 40; i++)
        buf_puts(&json, "项");
    buf_puts(&json, "\"},{\"title\":\"");
    for (int i = 0; i < 30; i++)      /* exactly 60 columns: kept whole */
        buf_puts(&json, "目");
    buf_puts(&json, "\"},{\"title\":{\"k\":[1,2]}}]");

    buf_puts(&want, "title\n");
    for (int i = 0; i < 60; i++)
        buf_putc(&want, '-');
    buf_putc(&want, '\n');
    for (int i = 0; i < 59; i++)
        buf_putc(&want, 'a');
    buf_puts(&want, "…\n");
    for (int i = 0; i < 29; i++)      /* 58 columns; a 30th would make 61 */
        buf_puts(&want, "项");
    buf_puts(&want, "…\n");
    for (int i = 0; i < 30; i++)
        buf_puts(&want, "目");
    buf_puts(&want, "\n{\"k\":[1,2]}\n(4 rows)\n");

    check_data(json.data, CTL_TABLE, want.data);
    buf_free(&json);
    buf_free(&want);
}

static void
test_table_escapes_control_characters(void **state)
{
    (void)state;
    /* A newline or an escape sequence in a cell must not break the table
     * or reach the terminal. */
    check_data("[{\"a\":\"x\\ny\",\"b\":\"\\u001b[31mred\"}]", CTL_TABLE,
               "a     b\n"
               "----  -----------\n"
               "x\\ny  \\x1b[31mred\n"
               "(1 row)\n");
}

static void
test_object_with_nested_table(void **state)
{
    (void)state;
    check_data("{\"daemon\":\"keyprojd\",\"version\":\"0.1.0\","
               "\"database\":{\"state\":\"connected\",\"latency_ms\":3},"
               "\"receivers\":[{\"name\":\"city-office\",\"pending\":2},"
               "{\"name\":\"涧西区\",\"pending\":0}],"
               "\"leader\":true,\"tags\":[\"a\",1],\"note\":null}",
               CTL_TABLE,
               "daemon:              keyprojd\n"
               "version:             0.1.0\n"
               "database.state:      connected\n"
               "database.latency_ms: 3\n"
               "leader:              yes\n"
               "tags:                [\"a\",1]\n"
               "note:                -\n"
               "\n"
               "receivers:\n"
               "name         pending\n"
               "-----------  -------\n"
               "city-office        2\n"
               "涧西区             0\n"
               "(2 rows)\n");
    /* Keys pad by display width too. */
    check_data("{\"重点项目总数\":515,\"county\":\"涧西区\"}", CTL_TABLE,
               "重点项目总数: 515\n"
               "county:       涧西区\n");
    /* Only tables: no leading blank line. */
    check_data("{\"overdue\":[],\"due_soon\":[{\"id\":1}]}", CTL_TABLE,
               "overdue:\n"
               "(no rows)\n"
               "\n"
               "due_soon:\n"
               "id\n"
               "--\n"
               " 1\n"
               "(1 row)\n");
}

static void
test_scalars(void **state)
{
    (void)state;
    check_data("null", CTL_TABLE, "");
    check_data("\"imported 515 projects\"", CTL_TABLE,
               "imported 515 projects\n");
    check_data("\"usage:\\n\\toverdue [--county C]\\n\"", CTL_TABLE,
               "usage:\n\toverdue [--county C]\n");
    check_data("\"\\u001b]0;pwned\\u0007\"", CTL_TABLE, "\\x1b]0;pwned\\x07\n");
    check_data("42", CTL_TABLE, "42\n");
    check_data("[\"a\",1,null,true]", CTL_TABLE, "a\n1\n-\nyes\n");
    check_data("\"\"", CTL_TABLE, "");
}

static void
test_csv_quoting(void **state)
{
    (void)state;
    check_data("[{\"code\":\"LY-001\",\"name\":\"洛阳, \\\"新\\\" 材料\","
               "\"note\":\"第一行\\n第二行\",\"invest\":12500,\"ok\":true,"
               "\"due\":null},{\"code\":\"LY-002\",\"extra\":\"x\"}]",
               CTL_CSV,
               "code,name,note,invest,ok,due,extra\r\n"
               "LY-001,\"洛阳, \"\"新\"\" 材料\",\"第一行\n第二行\",12500,true,,\r\n"
               "LY-002,,,,,,x\r\n");
    check_data("{\"a\":1,\"b\":{\"c\":\"x,y\"},\"rows\":[{\"k\":1}]}", CTL_CSV,
               "a,1\r\n"
               "b.c,\"x,y\"\r\n"
               "rows,\"[{\"\"k\"\":1}]\"\r\n");
    check_data("[]", CTL_CSV, "");
    check_data("null", CTL_CSV, "");
    check_data("[\"a,b\",2]", CTL_CSV, "\"a,b\"\r\n2\r\n");
}

/* --excel: the CSV above after a byte order mark, CRLF line ends, text
 * that a spreadsheet would run guarded with ' (OWASP's rule, the one
 * `export` follows), numbers left numbers even when negative. */
static void
test_excel_bom_crlf_guard(void **state)
{
    (void)state;
    check_data("[{\"name\":\"=HYPERLINK(\\\"http://x\\\")\",\"a\":\"@SUM(1+1)\","
               "\"b\":\"+86 138\",\"c\":\"-2+3\",\"d\":\"\\tx\",\"e\":\"\\r=1\","
               "\"n\":-3.5,\"i\":-7,\"t\":\"涧西区\",\"q\":\"'=1\",\"z\":null,\"ok\":true}]",
               CTL_EXCEL,
               "\xef\xbb\xbfname,a,b,c,d,e,n,i,t,q,z,ok\r\n"
               "\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(1+1),'+86 138,'-2+3,'\tx,\"'\r=1\","
               "-3.5,-7,涧西区,''=1,,true\r\n");
    /* a key: value answer, a key that looks like a formula guarded too */
    check_data("{\"-k\":\"=1\",\"n\":-1}", CTL_EXCEL,
               "\xef\xbb\xbf'-k,'=1\r\nn,-1\r\n");
    /* a message is one guarded cell */
    check_data("\"=cmd\"", CTL_EXCEL, "\xef\xbb\xbf'=cmd\r\n");
    check_data("null", CTL_EXCEL, "");
    /* --csv is for programs: the same cells as they are, no BOM */
    check_data("[{\"c\":\"-2+3\",\"n\":-1}]", CTL_CSV, "c,n\r\n-2+3,-1\r\n");
}

/* ---- language: a fake catalog stands in for gettext ------------------- */

static const char *
fake_header(const char *command, const char *key)
{
    static const char *const pairs[][2] = {
        { "code", "项目代码" }, { "name", "名称" }, { "sector", "领域" }, { "light", "亮灯" },
        { "status", "状态" }, { "amount", "金额" }, { "ok", "正常" }, { "milestones", "节点" },
        { "database", "数据库" }, { "role", "角色" }, { "category", "类别" },
    };
    if (str_eq(command, "campaign") && strcmp(key, "not_yet_due") == 0)
        return "未到期";
    for (size_t i = 0; i < ARRAY_LEN(pairs); i++)
        if (strcmp(pairs[i][0], key) == 0)
            return pairs[i][1];
    return key;
}

static const char *
fake_text(const char *msgid)
{
    if (strcmp(msgid, "yes") == 0)
        return "是";
    if (strcmp(msgid, "(no rows)") == 0)
        return "（无记录）";
    if (strcmp(msgid, "line ") == 0)
        return "第 ";
    return msgid;
}

static const char *
fake_ntext(const char *one, const char *many, unsigned long n)
{
    (void)one, (void)many, (void)n;
    return "（共 %lu 条）";
}

static const char *fake_error_catalog(const char *msgid);

static char *
fake_error(const char *message)
{
    return ctl_errors_translate(message, fake_error_catalog);
}

static const struct ctl_lang zh_projects = {
    .command = "projects", .labels = true,
    .header = fake_header, .text = fake_text, .ntext = fake_ntext,
};

static void
check_lang(const char *json, enum ctl_format f, const struct ctl_lang *lang,
           const char *expected)
{
    json_t *v = parse(json);
    struct buf out;
    buf_init(&out);
    ctl_render_data(&out, v, f, lang);
    assert_string_equal(out.data != NULL ? out.data : "", expected);
    buf_free(&out);
    json_decref(v);
}

/* Headers and enum values in the language; a name that happens to be an
 * enum word, numbers and codes stay as they are. */
static void
test_lang_table_headers_and_values(void **state)
{
    (void)state;
    const char *rows = "[{\"code\":\"LY-1\",\"name\":\"red\",\"sector\":\"industry\","
                       "\"light\":\"red\",\"amount\":-3,\"ok\":true},"
                       "{\"code\":\"LY-2\",\"name\":\"城东\",\"sector\":\"航天\","
                       "\"light\":null,\"amount\":12.5,\"ok\":false}]";
    check_lang(rows, CTL_TABLE, &zh_projects,
               "项目代码  名称  领域  亮灯  金额  正常\n"
               "--------  ----  ----  ----  ----  ----\n"
               "LY-1      red   产业  红      -3  是\n"
               "LY-2      城东  航天  -     12.5  no\n"
               "（共 2 条）\n");
    check_lang("[]", CTL_TABLE, &zh_projects, "（无记录）\n");
    /* a language that keeps canonical values still translates headers */
    struct ctl_lang headers_only = zh_projects;
    headers_only.labels = false;
    check_lang("[{\"light\":\"red\"}]", CTL_TABLE, &headers_only,
               "亮灯\n----\nred\n（共 1 条）\n");
}

/* The command chooses among word lists: a problem's status and category
 * are not a project's; a nested table reads its values by its own key. */
static void
test_lang_values_by_command(void **state)
{
    (void)state;
    struct ctl_lang problem = zh_projects;
    problem.command = "problem";
    /* a category is the office's own word (category_name), in its place */
    check_lang("[{\"category\":\"land\",\"category_name\":\"用地\",\"status\":\"open\"}]", CTL_TABLE, &problem,
               "类别  状态\n----  ------\n用地  未解决\n（共 1 条）\n");
    check_lang("{\"status\":\"building\",\"category\":\"continuing\","
               "\"milestones\":[{\"status\":\"overdue\",\"kind\":\"topping\"}]}",
               CTL_TABLE, &zh_projects,
               "状态: 在建\n类别: 续建\n\n节点:\n状态  kind\n----  ----\n逾期  封顶\n（共 1 条）\n");
    struct ctl_lang status = zh_projects;
    status.command = "status";
    check_lang("{\"database\":\"connected\",\"role\":\"leader\"}", CTL_TABLE, &status,
               "数据库: 已连接\n角色:   主实例\n");
    struct ctl_lang campaign = zh_projects;
    campaign.command = "campaign";
    check_lang("{\"not_yet_due\":553}", CTL_TABLE, &campaign, "未到期: 553\n");
    assert_null(ctl_lang_label("projects", "name", "red"));
    assert_null(ctl_lang_label("projects", "light", "purple"));
    assert_string_equal(ctl_lang_label("stats", "sector", "ecology"), "生态");
    assert_string_equal(ctl_lang_label("approval", "status", "done"), "已办结");
    assert_string_equal(ctl_lang_label("milestones", "status", "done"), "已完成");
    /* a county's ranking group, in rank and county list; a problem
     * category's group is the office's own word */
    struct ctl_lang rank = zh_projects;
    rank.command = "rank";
    check_lang("[{\"group\":\"district\",\"county\":\"涧西区\"}]", CTL_TABLE, &rank,
               "group   county\n------  ------\n城区组  涧西区\n（共 1 条）\n");
    assert_string_equal(ctl_lang_label("county", "group", "zone"), "功能区组");
    assert_null(ctl_lang_label("problem", "group", "county"));
}

/* --json and --csv are for programs: canonical whatever the language;
 * --excel is for people: headers and values in it. */
static void
test_lang_formats(void **state)
{
    (void)state;
    const char *rows = "[{\"code\":\"=LY\",\"light\":\"red\",\"amount\":-3}]";
    check_lang(rows, CTL_JSON, &zh_projects,
               "[\n  {\n    \"code\": \"=LY\",\n    \"light\": \"red\",\n    \"amount\": -3\n  }\n]\n");
    check_lang(rows, CTL_CSV, &zh_projects, "code,light,amount\r\n=LY,red,-3\r\n");
    check_lang(rows, CTL_EXCEL, &zh_projects,
               "\xef\xbb\xbf项目代码,亮灯,金额\r\n'=LY,红,-3\r\n");
    check_lang("{\"light\":\"yellow\"}", CTL_EXCEL, &zh_projects, "\xef\xbb\xbf亮灯,黄\r\n");
}

static void
test_lang_error_details(void **state)
{
    (void)state;
    json_t *v = parse("{\"code\":\"invalid\",\"message\":\"1 row refused\","
                      "\"details\":[{\"line\":7,\"message\":\"bad\"}]}");
    struct buf out, err;
    buf_init(&out);
    buf_init(&err);
    ctl_render_error(&out, &err, v, CTL_TABLE, &zh_projects);
    assert_string_equal(err.data, "keyprojctl: 1 row refused\n  第 7: bad\n");
    buf_free(&out);
    buf_free(&err);
    json_decref(v);
}

static void
test_json_keeps_utf8(void **state)
{
    (void)state;
    check_data("{\"county\":\"涧西区\",\"n\":[1,2]}", CTL_JSON,
               "{\n"
               "  \"county\": \"涧西区\",\n"
               "  \"n\": [\n"
               "    1,\n"
               "    2\n"
               "  ]\n"
               "}\n");
    check_data("null", CTL_JSON, "null\n");
    check_data("\"ok\"", CTL_JSON, "\"ok\"\n");
}

/* keyprojd's English errors in Chinese (ctl_errors.c), with a catalog of
 * a few templates: pieces put back in the translation's order, a piece
 * that is itself a message translated too, numbers only where the
 * template has a number, and no translation where none matches. */
static const char *
fake_error_catalog(const char *msgid)
{
    static const char *const zh[][2] = {
        { "no project with code '%s'", "没有代码为“%s”的项目" },
        { "'%s' needs the %s level; user %s has %s", "“%1$s”需要%2$s权限；用户 %3$s 只有%4$s权限" },
        { "the change failed, nothing was changed: %s", "更改失败，未作任何更改：%s" },
        { "%zu errors (the first %d listed); nothing was imported", "共 %zu 处错误（列出前 %d 处）；未导入任何数据" },
        { "year '%s' is not a year between 2000 and 2100", "年份“%s”不在 2000 至 2100 之间" },
        { "unknown option --%.*s", "未知选项 --%.*s" },
        { "%zu error%s; nothing was imported", "共 %1$zu 处错误%2$.0s；未导入任何数据" },
        { "milestone %s is already %s%s", "节点 %s 已%s%s" },
        { "milestone %s is already %s: reopen it first", "节点 %s 已%s：请先重新打开" },
    };
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++)
        if (strcmp(zh[i][0], msgid) == 0)
            return zh[i][1];
    return msgid;
}

static void
check_error_zh(const char *message, const char *expected)
{
    char *got = ctl_errors_translate(message, fake_error_catalog);
    if (expected == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, expected);
    }
    free(got);
}

static void
test_errors_in_chinese(void **state)
{
    (void)state;
    check_error_zh("no project with code 'LY-2026-001'", "没有代码为“LY-2026-001”的项目");
    check_error_zh("'import' needs the admin level; user wang has operator",
                   "“import”需要admin权限；用户 wang 只有operator权限");
    check_error_zh("the change failed, nothing was changed: no project with code 'X'",
                   "更改失败，未作任何更改：没有代码为“X”的项目");
    check_error_zh("the change failed, nothing was changed: disk full", "更改失败，未作任何更改：disk full");
    check_error_zh("12 errors (the first 10 listed); nothing was imported", "共 12 处错误（列出前 10 处）；未导入任何数据");
    check_error_zh("twelve errors (the first 10 listed); nothing was imported", NULL);   /* %zu: digits only */
    check_error_zh("no project with code 'X' and more", NULL);     /* the whole message, not a prefix */
    check_error_zh("query failed: timeout", NULL);                 /* a template, not translated here */
    check_error_zh("something keyprojd never says", NULL);
    check_error_zh("unknown option --since", "未知选项 --since");              /* %.*s: one piece */
    check_error_zh("3 errors; nothing was imported", "共 3 处错误；未导入任何数据");   /* %.0s: dropped */
    /* of two templates that fit, the one that says more */
    check_error_zh("milestone 5 is already waived: reopen it first", "节点 5 已waived：请先重新打开");
    /* and in an answer: the message and each detail's */
    json_t *v = parse("{\"code\":\"invalid\",\"message\":\"no project with code 'A'\","
                      "\"details\":[{\"line\":7,\"message\":\"year '1999' is not a year between 2000 and 2100\"}]}");
    struct ctl_lang zh = zh_projects;
    zh.error = fake_error;
    struct buf out, err;
    buf_init(&out);
    buf_init(&err);
    ctl_render_error(&out, &err, v, CTL_TABLE, &zh);
    assert_string_equal(err.data, "keyprojctl: 没有代码为“A”的项目\n  第 7: 年份“1999”不在 2000 至 2100 之间\n");
    buf_free(&out);
    buf_free(&err);
    json_decref(v);
    /* every template of the table is a message, and unique */
    const char *const *t;
    size_t n = ctl_errors_templates(&t);
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(t[i]) >= 8);
        for (size_t j = i + 1; j < n; j++)
            assert_true(strcmp(t[i], t[j]) != 0);
    }
}

static const char error_json[] =
    "{\"code\":\"invalid\",\"message\":\"2 rows refused\",\"details\":["
    "{\"line\":7,\"column\":\"领域\",\"message\":\"unknown sector '航天' "
    "(expected one of 产业, 城建, 基础设施, 民生, 生态, 其他)\"},"
    "{\"line\":9,\"message\":\"duplicate code\"},"
    "{\"column\":\"年份\",\"message\":\"not a year\"},"
    "\"plain\",{\"line\":3},{\"other\":1}]}";

static void
test_error_with_details(void **state)
{
    (void)state;
    check_error(error_json, CTL_TABLE, "",
                "keyprojctl: 2 rows refused\n"
                "  line 7, column 领域: unknown sector '航天' "
                "(expected one of 产业, 城建, 基础设施, 民生, 生态, 其他)\n"
                "  line 9: duplicate code\n"
                "  column 年份: not a year\n"
                "  plain\n"
                "  line 3\n"
                "  {\"other\":1}\n");
    check_error("{\"code\":\"denied\",\"message\":\"admin level needed\"}",
                CTL_JSON,
                "{\n"
                "  \"code\": \"denied\",\n"
                "  \"message\": \"admin level needed\"\n"
                "}\n",
                "keyprojctl: admin level needed\n");
    check_error("{\"code\":\"usage\",\"message\":\"a\"}", CTL_CSV, "",
                "keyprojctl: a\n");
}

static void
test_error_malformed(void **state)
{
    (void)state;
    check_error("\"boom\"", CTL_TABLE, "",
                "keyprojctl: the daemon refused the request without saying why\n");
    check_error("{\"code\":\"denied\"}", CTL_TABLE, "",
                "keyprojctl: request failed (denied)\n");
    check_error("{\"message\":\"m\",\"details\":\"x\"}", CTL_TABLE, "",
                "keyprojctl: m\n");
    check_error("{\"message\":\"bad\\u001b[2J\",\"details\":[\"\\n\"]}",
                CTL_TABLE, "", "keyprojctl: bad\\x1b[2J\n  \\n\n");

    struct buf out, err;
    buf_init(&out);
    buf_init(&err);
    ctl_render_error(&out, &err, NULL, CTL_TABLE, NULL);
    assert_string_equal(err.data,
                        "keyprojctl: the daemon refused the request without saying why\n");
    buf_free(&out);
    buf_free(&err);
}

static void
test_put_visible(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    ctl_put_visible(&b, "ok \xff\xc2\x9b\xe6\xb6\xa7\t\r\x7f", 12, false);
    assert_string_equal(b.data, "ok \\xff\\u009b涧\\t\\r\\x7f");
    buf_reset(&b);
    ctl_put_visible(&b, "a\n\tb\xe6\xb6", 6, true);   /* cut sequence */
    assert_string_equal(b.data, "a\n\tb\\xe6\\xb6");
    buf_free(&b);
}

/* {"file": …} (export) is its bytes as they are, except with --json; any
 * other object with a "file" member is an ordinary object. */
static void
test_file_is_raw(void **state)
{
    (void)state;
    const char *file = "{\"file\":\"\ufeff项目编号,备注\\r\\nA,\\\"x\\ny\\\"\\r\\n\"}";
    const char *bytes = "\xef\xbb\xbf项目编号,备注\r\nA,\"x\ny\"\r\n";
    check_data(file, CTL_TABLE, bytes);
    check_data(file, CTL_CSV, bytes);
    check_data(file, CTL_EXCEL, bytes);     /* export's own BOM, not a second */
    check_data(file, CTL_JSON, "{\n  \"file\": \"\ufeff项目编号,备注\\r\\nA,\\\"x\\ny\\\"\\r\\n\"\n}\n");
    check_data("{\"file\":\"a\\rb\",\"rows\":2}", CTL_TABLE, "file: a\\rb\nrows: 2\n");

    /* on a terminal: no BOM, CRLF as newlines, other controls escaped */
    json_t *v = parse("{\"file\":\"\ufeffa,b\\r\\n\\u001b[2J,\\r\\\"c\\nd\\\"\"}");
    struct buf out;
    buf_init(&out);
    assert_true(ctl_render_is_file(v));
    ctl_render_file_visible(&out, v);
    assert_string_equal(out.data, "a,b\n\\x1b[2J,\\r\"c\nd\"\n");
    buf_free(&out);
    json_decref(v);
}

static void
check_terminal(const char *rendered, enum ctl_format f, const char *expected)
{
    struct buf out;
    buf_init(&out);
    ctl_render_for_terminal(&out, rendered, strlen(rendered), f);
    buf_putc(&out, '\0');
    assert_string_equal(out.data, expected);
    buf_free(&out);
}

/* ESC, OSC, BEL, DEL and C1 controls from a project name never reach a
 * terminal raw, in any format; to a pipe the bytes stay as they are. */
static void
test_terminal_escapes_every_format(void **state)
{
    (void)state;
    json_t *v = parse("[{\"code\":\"LY-1\",\"name\":\"项目\\u001b]8;;http://x\\u0007甲\\u009b2J\\u007f\"}]");
    struct buf out, safe;

    buf_init(&out);
    ctl_render_data(&out, v, CTL_CSV, NULL);
    buf_putc(&out, '\0');
    assert_string_equal(out.data, "code,name\r\nLY-1,项目\x1b]8;;http://x\x07甲\xC2\x9B" "2J\x7f\r\n");
    check_terminal(out.data, CTL_CSV, "code,name\nLY-1,项目\\x1b]8;;http://x\\x07甲\\u009b2J\\x7f\n");
    buf_free(&out);

    buf_init(&out);
    ctl_render_data(&out, v, CTL_JSON, NULL);
    buf_putc(&out, '\0');
    assert_non_null(strstr(out.data, "\xC2\x9B"));      /* jansson leaves C1 raw */
    buf_init(&safe);
    ctl_render_for_terminal(&safe, out.data, strlen(out.data), CTL_JSON);
    buf_putc(&safe, '\0');
    assert_non_null(strstr(safe.data, "\"项目\\u001B]8;;http://x\\u0007甲\\u009B2J\\u007F\""));
    json_error_t e;
    json_t *back = json_loads(safe.data, 0, &e);        /* still the same JSON */
    assert_non_null(back);
    assert_true(json_equal(back, v));
    json_decref(back);
    buf_free(&safe);
    buf_free(&out);

    buf_init(&out);
    ctl_render_data(&out, v, CTL_TABLE, NULL);
    buf_putc(&out, '\0');
    assert_null(strchr(out.data, '\x1b'));
    check_terminal(out.data, CTL_TABLE, out.data);      /* already visible: unchanged */
    buf_free(&out);
    json_decref(v);

    check_terminal("plain 中文\ttab\n", CTL_CSV, "plain 中文\ttab\n");
    check_terminal("{\"a\": \"中文\"}\n", CTL_JSON, "{\"a\": \"中文\"}\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_cjk_lines_up),
        cmocka_unit_test(test_table_numbers_right_aligned),
        cmocka_unit_test(test_table_null_bool_missing),
        cmocka_unit_test(test_table_truncates_wide_cells),
        cmocka_unit_test(test_table_escapes_control_characters),
        cmocka_unit_test(test_object_with_nested_table),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_excel_bom_crlf_guard),
        cmocka_unit_test(test_lang_table_headers_and_values),
        cmocka_unit_test(test_lang_values_by_command),
        cmocka_unit_test(test_lang_formats),
        cmocka_unit_test(test_lang_error_details),
        cmocka_unit_test(test_errors_in_chinese),
        cmocka_unit_test(test_json_keeps_utf8),
        cmocka_unit_test(test_error_with_details),
        cmocka_unit_test(test_error_malformed),
        cmocka_unit_test(test_put_visible),
        cmocka_unit_test(test_file_is_raw),
        cmocka_unit_test(test_terminal_escapes_every_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
