/* Unit tests for tokenize.c: request lines as people type them into socat
 * and as keyprojctl quotes them, the limits, and the quote round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tokenize.h"
#include "util.h"

/* Tokenizes line and checks argv against the NULL-terminated want. */
static void
assert_tokens(const char *line, const char *const *want)
{
    char err[128] = "";
    struct tokens t;
    if (tokenize(line, strlen(line), 16, &t, err, sizeof err) != 0)
        fail_msg("tokenize('%s') failed: %s", line, err);
    int n = 0;
    while (want[n] != NULL)
        n++;
    assert_int_equal(t.argc, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(t.argv[i], want[i]);
    assert_null(t.argv[t.argc]);
    tokens_free(&t);
}

#define TOKENS(line, ...) assert_tokens(line, (const char *const[]){__VA_ARGS__, NULL})

static void
test_splits_and_quotes(void **state)
{
    (void)state;
    TOKENS("overdue --county 涧西区", "overdue", "--county", "涧西区");
    TOKENS("  status\t ", "status");
    TOKENS("done 'M 12' \"note with \\\"quotes\\\"\"", "done", "M 12", "note with \"quotes\"");
    TOKENS("a\\ b c\\\\d", "a b", "c\\d");
    TOKENS("'it''s' a\"b c\"d", "its", "ab cd");
    TOKENS("say \"x\\ny\\tz\\r\"", "say", "x\ny\tz\r");
    TOKENS("'no \\n escapes here'", "no \\n escapes here");
    TOKENS("\"C:\\path\"", "C:\\path");        /* unknown escape kept */
    TOKENS("set note '' \"\"", "set", "note", "", "");
    TOKENS("silence --until 2026年3月15日 '洛龙区 城建'", "silence", "--until",
           "2026年3月15日", "洛龙区 城建");
    TOKENS("list \xE3\x80\x80x", "list", "\xE3\x80\x80x");  /* U+3000 is not a separator */
}

static void
test_line_ends_and_blank_lines(void **state)
{
    (void)state;
    TOKENS("status\r", "status");                 /* socat sends CRLF */
    TOKENS("status\r\n", "status");
    TOKENS("status\n", "status");
    TOKENS("'a\rb' c", "a\rb", "c");              /* only the trailing one goes */

    struct tokens t;
    char err[64];
    assert_int_equal(tokenize("", 0, 4, &t, err, sizeof err), 0);
    assert_int_equal(t.argc, 0);
    assert_null(t.argv[0]);
    tokens_free(&t);
    assert_int_equal(tokenize(" \t \r\n", 5, 4, &t, err, sizeof err), 0);
    assert_int_equal(t.argc, 0);
    tokens_free(&t);
}

static void
assert_refused(const char *line, size_t len, int max_args, const char *want)
{
    char err[128] = "";
    struct tokens t = {.argc = 99, .argv = NULL};
    assert_int_equal(tokenize(line, len, max_args, &t, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(t.argc, 0);
    assert_null(t.argv);
}

static void
test_errors(void **state)
{
    (void)state;
    assert_refused("note 'open", 10, 8, "unbalanced quote");
    assert_refused("note \"open\\\"", 12, 8, "unbalanced quote");
    assert_refused("note x\\", 7, 8, "backslash at end of line");
    assert_refused("list \xE6\xB6", 7, 8, "invalid UTF-8 at byte 5");
    assert_refused("list \xC0\xAF", 7, 8, "invalid UTF-8 at byte 5");
    assert_refused("ab\0cd", 5, 8, "NUL byte at byte 2");
    assert_refused("a b c d", 7, 3, "too many arguments (max 3)");
    /* exactly at the limit is fine */
    struct tokens t;
    char err[64];
    assert_int_equal(tokenize("a b c", 5, 3, &t, err, sizeof err), 0);
    assert_int_equal(t.argc, 3);
    tokens_free(&t);
}

/* token_quote(s) fed back through tokenize must give s, alone and as part
 * of a whole argv. */
static void
test_quote_round_trip(void **state)
{
    (void)state;
    static const char *const samples[] = {
        "plain", "", " ", "涧西区", "洛龙区 城建", "it's", "say \"hi\"", "back\\slash",
        "\\", "'", "\"", "line1\nline2", "cr\rlf\n", "tab\there", "--county=涧西区",
        "$HOME", "*", "#x", "a'b\"c\\d\ne f", "trailing\\", "末尾 ",
    };
    struct buf line;
    buf_init(&line);
    for (size_t i = 0; i < ARRAY_LEN(samples); i++) {
        buf_reset(&line);
        token_quote(&line, samples[i]);
        assert_null(memchr(line.data, '\n', line.len));   /* stays one line */
        struct tokens t;
        char err[64];
        assert_int_equal(tokenize(line.data, line.len, 4, &t, err, sizeof err), 0);
        assert_int_equal(t.argc, 1);
        assert_string_equal(t.argv[0], samples[i]);
        tokens_free(&t);
    }

    buf_reset(&line);
    for (size_t i = 0; i < ARRAY_LEN(samples); i++) {
        if (i > 0)
            buf_putc(&line, ' ');
        token_quote(&line, samples[i]);
    }
    buf_puts(&line, "\r\n");
    struct tokens t;
    char err[64];
    assert_int_equal(tokenize(line.data, line.len, 64, &t, err, sizeof err), 0);
    assert_int_equal(t.argc, (int)ARRAY_LEN(samples));
    for (size_t i = 0; i < ARRAY_LEN(samples); i++)
        assert_string_equal(t.argv[i], samples[i]);
    tokens_free(&t);
    buf_free(&line);
}

static void
test_quote_leaves_plain_words_alone(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    token_quote(&b, "涧西区");
    buf_putc(&b, ' ');
    token_quote(&b, "--until=2026-03-15");
    buf_putc(&b, ' ');
    token_quote(&b, "");
    buf_putc(&b, ' ');
    token_quote(&b, "a b");
    assert_string_equal(b.data, "涧西区 --until=2026-03-15 '' 'a b'");
    buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits_and_quotes),
        cmocka_unit_test(test_line_ends_and_blank_lines),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_quote_leaves_plain_words_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
