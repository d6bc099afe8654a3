/* Unit tests for csv.c: the spreadsheet shapes importers meet (CRLF,
 * quoted commas and newlines, blank lines, ragged rows) and the line
 * numbers every import error message depends on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"
#include "util.h"

static struct csv *
parse_ok(const char *s)
{
    char err[200] = "";
    struct csv *csv = csv_parse(s, strlen(s), err, sizeof err);
    assert_non_null(csv);
    assert_string_equal(err, "");
    return csv;
}

static void
assert_row(const struct csv_row *r, size_t line, size_t n, const char *const *want)
{
    assert_int_equal(r->line, line);
    assert_int_equal(r->nfields, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->fields[i], want[i]);
}

static void
test_crlf_and_chinese(void **state)
{
    (void)state;
    struct csv *csv = parse_ok("项目名称,县区,领域\r\n"
                               "洛阳某某智能工厂,涧西区,产业\r\n"
                               "某某路（A—B段）改造提升工程,洛龙区,城建\r\n");
    assert_int_equal(csv->nrows, 3);
    assert_row(&csv->rows[0], 1, 3, (const char *[]){"项目名称", "县区", "领域"});
    assert_row(&csv->rows[1], 2, 3, (const char *[]){"洛阳某某智能工厂", "涧西区", "产业"});
    assert_row(&csv->rows[2], 3, 3,
               (const char *[]){"某某路（A—B段）改造提升工程", "洛龙区", "城建"});
    csv_free(csv);
}

static void
test_quoted_fields(void **state)
{
    (void)state;
    struct csv *csv = parse_ok("code,name,note\n"
                               "A1,\"年产5万吨,一期\",\"他说\"\"好\"\"\"\n"
                               "A2,\"第一行\r\n第二行\nthird\",\"\"\n"
                               "A3,x,y\n");
    assert_int_equal(csv->nrows, 4);
    assert_row(&csv->rows[1], 2, 3, (const char *[]){"A1", "年产5万吨,一期", "他说\"好\""});
    assert_row(&csv->rows[2], 3, 3,
               (const char *[]){"A2", "第一行\r\n第二行\nthird", ""});
    /* the row after a field with two embedded line ends starts on line 6 */
    assert_row(&csv->rows[3], 6, 3, (const char *[]){"A3", "x", "y"});
    csv_free(csv);
}

static void
test_blank_lines_counted_not_kept(void **state)
{
    (void)state;
    struct csv *csv = parse_ok("\r\nh1,h2\r\n\r\n  \r\na,b\n\nc,d");
    assert_int_equal(csv->nrows, 3);
    assert_row(&csv->rows[0], 2, 2, (const char *[]){"h1", "h2"});
    assert_row(&csv->rows[1], 5, 2, (const char *[]){"a", "b"});
    /* last line without a newline */
    assert_row(&csv->rows[2], 7, 2, (const char *[]){"c", "d"});
    csv_free(csv);
}

static void
test_ragged_and_empty_fields(void **state)
{
    (void)state;
    struct csv *csv = parse_ok("a,b,c\n1\n1,2,3,4\n,,\n\"\"\n x , y \n");
    assert_int_equal(csv->nrows, 6);
    assert_row(&csv->rows[1], 2, 1, (const char *[]){"1"});
    assert_row(&csv->rows[2], 3, 4, (const char *[]){"1", "2", "3", "4"});
    assert_row(&csv->rows[3], 4, 3, (const char *[]){"", "", ""});
    assert_row(&csv->rows[4], 5, 1, (const char *[]){""});
    assert_row(&csv->rows[5], 6, 2, (const char *[]){" x ", " y "}); /* not trimmed */
    csv_free(csv);
}

static void
test_lone_cr_and_stray_quote(void **state)
{
    (void)state;
    /* old Mac Excel ends lines with CR alone; a quote inside an unquoted
     * field is an ordinary byte */
    struct csv *csv = parse_ok("a,b\rc,5\"x\r");
    assert_int_equal(csv->nrows, 2);
    assert_row(&csv->rows[1], 2, 2, (const char *[]){"c", "5\"x"});
    csv_free(csv);
}

static void
test_empty_input(void **state)
{
    (void)state;
    struct csv *csv = parse_ok("");
    assert_int_equal(csv->nrows, 0);
    csv_free(csv);
    csv = parse_ok("\n\r\n");
    assert_int_equal(csv->nrows, 0);
    csv_free(csv);
    csv_free(NULL);
}

static void
assert_parse_error(const char *s, size_t len, const char *want)
{
    char err[200] = "";
    assert_null(csv_parse(s, len, err, sizeof err));
    assert_string_equal(err, want);
}

static void
test_errors_name_the_line(void **state)
{
    (void)state;
    const char *s = "a,b\n1,2\n3,\"open\nstill open\n";
    assert_parse_error(s, strlen(s), "line 3: unterminated quoted field");
    s = "a,b\r\n\r\n1,\"x\"y\r\n";
    assert_parse_error(s, strlen(s), "line 3: unexpected character after closing quote");
    s = "a,\"multi\nline\" z\n";
    assert_parse_error(s, strlen(s), "line 2: unexpected character after closing quote");
    assert_parse_error("a\nb\0c\n", 6, "line 2: NUL byte");
}

static void
test_put_field_round_trips(void **state)
{
    (void)state;
    static const char *const fields[] = {
        "plain", "涧西区", "年产5万吨,一期", "他说\"好\"", "第一行\n第二行", "cr\r", "",
    };
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (i > 0)
            buf_putc(&b, ',');
        csv_put_field(&b, fields[i]);
    }
    assert_true(str_startswith(b.data, "plain,涧西区,\"年产5万吨,一期\",\"他说\"\"好\"\"\","));
    buf_puts(&b, "\r\n");

    struct csv *csv = parse_ok(b.data);
    assert_int_equal(csv->nrows, 1);
    assert_row(&csv->rows[0], 1, ARRAY_LEN(fields), (const char *const *)fields);
    csv_free(csv);
    buf_free(&b);
}

/* What a spreadsheet would run as a formula gets a ', and only that;
 * unguarding gives back every field exactly. */
static void
test_formula_guard(void **state)
{
    (void)state;
    static const struct { const char *field, *written; } cases[] = {
        { "=HYPERLINK(\"http://x/\",\"a\")", "\"'=HYPERLINK(\"\"http://x/\"\",\"\"a\"\")\"" },
        { "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0" },
        { "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0" },
        { "+86 138 0000 1111", "'+86 138 0000 1111" },
        { "\t=1+1", "'\t=1+1" },
        { "\r=1+1", "\"'\r=1+1\"" },
        { "'=1+1", "''=1+1" },          /* already quoted text: one more */
        { "''-1", "'''-1" },
        { "'abc", "'abc" },             /* a ' before plain text is text */
        { "'", "'" },
        { "洛阳新材料产业园", "洛阳新材料产业园" },
        { "a=b", "a=b" },
        { " =1", " =1" },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct buf b;
        buf_init(&b);
        csv_put_guarded(&b, cases[i].field);
        buf_putc(&b, '\0');
        assert_string_equal(b.data, cases[i].written);
        /* Read back as the importer does: parse, then unguard. */
        char err[128];
        struct csv *csv = csv_parse(b.data, strlen(b.data), err, sizeof err);
        assert_non_null(csv);
        assert_int_equal(csv->nrows, 1);
        assert_string_equal(csv_unguard(csv->rows[0].fields[0]), cases[i].field);
        csv_free(csv);
        buf_free(&b);
    }
    assert_true(csv_needs_guard("'''@"));
    assert_false(csv_needs_guard("'''"));
    assert_false(csv_needs_guard(""));
    assert_string_equal(csv_unguard("'abc"), "'abc");
    assert_string_equal(csv_unguard("''=x"), "'=x");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crlf_and_chinese),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_blank_lines_counted_not_kept),
        cmocka_unit_test(test_ragged_and_empty_fields),
        cmocka_unit_test(test_lone_cr_and_stray_quote),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_put_field_round_trips),
        cmocka_unit_test(test_formula_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
