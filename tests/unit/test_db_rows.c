/* Unit tests for db_rows.c: db_rows_text writes, a value at a time, the
 * very bytes json_dumps(db_rows_json(res), flags) gives — every column
 * type, values jansson refuses (those members left out), escapes, empty
 * results — and falls back to the tree where it cannot (a column name
 * twice, indented output). The results are made in memory with libpq's
 * own PQmakeEmptyPGresult, PQsetResultAttrs and PQsetvalue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db_rows.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct col {
    const char *name;
    Oid type;
};

/* A result of n columns and the rows' values (NULL: SQL NULL), row by row. */
static PGresult *
result(const struct col *cols, int ncols, const char *const *values, int nrows)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    assert_non_null(res);
    PGresAttDesc att[16];
    assert_true(ncols <= 16);
    for (int c = 0; c < ncols; c++)
        att[c] = (PGresAttDesc){ .name = (char *)cols[c].name, .typid = cols[c].type, .typlen = -1,
                                 .atttypmod = -1 };
    assert_int_equal(PQsetResultAttrs(res, ncols, att), 1);
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncols; c++) {
            const char *v = values[r * ncols + c];
            assert_int_equal(PQsetvalue(res, r, c, (char *)v, v != NULL ? (int)strlen(v) : -1), 1);
        }
    return res;
}

/* db_rows_text(res) is the tree's dump, byte for byte; returns it. */
static char *
same_as_tree(const PGresult *res, size_t flags)
{
    json_t *tree = db_rows_json(res);
    char *want = json_dumps(tree, flags);
    json_decref(tree);
    char *got = db_rows_text(res, flags);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(want);
    return got;
}

static void
test_every_type(void **state)
{
    (void)state;
    static const struct col cols[] = {
        { "id", 20 }, { "small", 21 }, { "n", 23 }, { "ok", 16 }, { "amount", 1700 }, { "ratio", 701 },
        { "f4", 700 }, { "data", 3802 }, { "raw", 114 }, { "name", 25 }, { "due_on", 1082 },
    };
    static const char *const values[] = {
        "9007199254740993", "-7", "0", "t", "12.50", "0.1", "1e+05", "{\"a\": [1, 2.5, \"x\\n\"], \"b\": null}",
        "[true,false]", "涧西区「主体封顶」", "2026-11-25",
        "-1", "32767", "2147483647", "f", "NaN", "Infinity", "-0", "not json", "\"s\"", "q\"uote\\back/slash",
        "2026-12-07",
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        "1", "2", "3", "t", "1e300", "-1.5e-7", "100000", "12345678901234567890", "{}",
        "line\nbreak\ttab\r\x01\x1f\x7f", "",
        "2", "3", "4", "f", "3", "4.0", "5", "{\"deep\": {\"er\": [1e2, -0.0, 3.14159265358979]}}", "7",
        "\xff\xfe not utf-8", "ok",
    };
    _Static_assert(sizeof values / sizeof values[0] == 5 * 11, "five rows of eleven");
    PGresult *res = result(cols, 11, values, 5);
    char *got = same_as_tree(res, FLAGS);
    /* what jansson refuses is left out: NaN, Infinity, invalid UTF-8 */
    assert_null(strstr(got, "NaN"));
    assert_non_null(strstr(got, "\"amount\":12.5,"));
    assert_non_null(strstr(got, "\"name\":\"line\\nbreak\\ttab\\r\\u0001\\u001F\x7f\""));
    assert_non_null(strstr(got, "{\"id\":null,"));
    free(got);
    free(same_as_tree(res, FLAGS | JSON_ENSURE_ASCII));
    free(same_as_tree(res, JSON_COMPACT));
    PQclear(res);
}

static void
test_empty_and_odd(void **state)
{
    (void)state;
    static const struct col one[] = { { "x", 25 } };
    PGresult *res = result(one, 1, NULL, 0);
    char *got = same_as_tree(res, FLAGS);
    assert_string_equal(got, "[]");
    free(got);
    PQclear(res);

    /* a row whose every value is refused: an empty object */
    static const struct col nums[] = { { "a", 701 }, { "b", 1700 } };
    static const char *const bad[] = { "NaN", "-Infinity", "1", "2" };
    res = result(nums, 2, bad, 2);
    got = same_as_tree(res, FLAGS);
    assert_string_equal(got, "[{},{\"a\":1.0,\"b\":2.0}]");
    free(got);
    PQclear(res);
}

static void
test_falls_back_to_the_tree(void **state)
{
    (void)state;
    /* a name twice: the first one's place, the last one's value */
    static const struct col twice[] = { { "v", 23 }, { "w", 25 }, { "v", 25 } };
    static const char *const values[] = { "1", "x", "last", "2", "y", NULL };
    PGresult *res = result(twice, 3, values, 2);
    char *got = same_as_tree(res, FLAGS);
    assert_string_equal(got, "[{\"v\":\"last\",\"w\":\"x\"},{\"v\":null,\"w\":\"y\"}]");
    free(got);
    /* indented, sorted: the tree's dump */
    free(same_as_tree(res, JSON_INDENT(2)));
    free(same_as_tree(res, JSON_COMPACT | JSON_SORT_KEYS));
    PQclear(res);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_empty_and_odd),
        cmocka_unit_test(test_falls_back_to_the_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
