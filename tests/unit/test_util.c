/* Unit tests for util.c: the growable buffer and bounded copies. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>

#include "throttle.h"
#include "util.h"

static void
test_buf_grows_and_terminates(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    assert_int_equal(b.len, strlen(b.data));
    assert_true(str_startswith(b.data, "0,1,2,"));
    assert_string_equal(b.data + b.len - 4, "999,");
    char *s = buf_steal(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

/* buf_printf writes into the room left and formats again only when a
 * piece does not fit: every length around the capacity (64 bytes first)
 * gives the same text, terminated, as one snprintf. */
static void
test_buf_printf_fits_and_overflows(void **state)
{
    (void)state;
    char want[512], piece[200];
    for (size_t first = 0; first < 70; first++) {
        for (size_t len = 0; len < 140; len += 7) {
            struct buf b;
            buf_init(&b);
            memset(piece, 'x', first);
            piece[first] = '\0';
            buf_printf(&b, "%s", piece);
            memset(piece, 'y', len);
            piece[len] = '\0';
            buf_printf(&b, "%s|%.3f", piece, 1764000000.1234);
            buf_printf(&b, "%s", "");
            snprintf(want, sizeof want, "%.*s%s|%.3f", (int)first, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                     piece, 1764000000.1234);
            assert_string_equal(b.data, want);
            assert_int_equal(b.len, strlen(want));
            assert_true(b.cap > b.len);
            buf_free(&b);
        }
    }
}

/* A JSON string (the scan's rows): what jansson reads back is the text
 * written, quotes, backslashes, control characters and UTF-8 included. */
static void
test_buf_put_json_str(void **state)
{
    (void)state;
    static const char *const cases[] = { "", "2026-12-01", "a\"b\\c", "\x01\n\t\x1f end", "涧西区 \"主体\"", NULL };
    for (size_t i = 0; cases[i]; i++) {
        struct buf b;
        buf_init(&b);
        buf_put_json_str(&b, cases[i]);
        json_error_t err;
        json_t *v = json_loads(b.data, JSON_DECODE_ANY, &err);
        assert_non_null(v);
        assert_string_equal(json_string_value(v), cases[i]);
        json_decref(v);
        buf_free(&b);
    }
    struct buf b;
    buf_init(&b);
    buf_put_json_str(&b, "\x01\"");
    assert_string_equal(b.data, "\"\\u0001\\\"\"");
    buf_free(&b);
}

/* One part of a link, the same in messages and pages: unreserved
 * characters as they are, every other byte %XX (a county's UTF-8 too). */
/* buf_put_ll and buf_put_millis write what printf's "%lld" and "%.3f"
 * write, for the values the verdicts and the scan's arrays carry. */
static void
test_buf_put_numbers(void **state)
{
    (void)state;
    const long long lls[] = { 0, 7, -7, 10, 1234567890123LL, -9223372036854775807LL - 1,
                              9223372036854775807LL };
    const double ds[] = { 0.0, 1796624030.971537, 1796624030.9995, 0.25, 1.0, -2.5, 59.999,
                          1e15, -0.0001, NAN, 1e300 };     /* the last two not finite or too large: printf's */
    struct buf got, want;
    buf_init(&got);
    buf_init(&want);
    for (size_t i = 0; i < sizeof lls / sizeof lls[0]; i++) {
        buf_put_ll(&got, lls[i]);
        buf_putc(&got, ' ');
        buf_printf(&want, "%lld ", lls[i]);
    }
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        buf_put_millis(&got, ds[i]);
        buf_putc(&got, ' ');
        buf_printf(&want, "%.3f ", ds[i]);
    }
    assert_string_equal(got.data, want.data);
    buf_free(&got);
    buf_free(&want);
}

static void
test_buf_put_url_part(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_put_url_part(&b, "LY-2026_0.1~");
    buf_put_url_part(&b, "/涧西 区?&");
    buf_put_url_part(&b, NULL);
    assert_string_equal(b.data, "LY-2026_0.1~%2F%E6%B6%A7%E8%A5%BF%20%E5%8C%BA%3F%26");
    buf_free(&b);
}

static void
test_buf_append_binary(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[1], '\0');
    assert_int_equal(b.data[3], '\0');
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void
test_strlcpy_truncates(void **state)
{
    (void)state;
    char dst[4];
    assert_int_equal(strlcpy_k(dst, "abcdef", sizeof dst), 6);
    assert_string_equal(dst, "abc");
    assert_int_equal(strlcpy_k(dst, "ab", sizeof dst), 2);
    assert_string_equal(dst, "ab");
}

static void
test_xasprintf(void **state)
{
    (void)state;
    char *s = xasprintf("%s-%03d", "B", 6);
    assert_string_equal(s, "B-006");
    free(s);
    char *t = xstrndup("涧西区", 3);
    assert_string_equal(t, "涧");
    free(t);
}

/* One event per key per 10 s, the rest counted and reported with the next
 * allowed one; keys apart; the least recently seen key gives way. */
static void
test_throttle(void **state)
{
    (void)state;
    struct throttle t = { .window = 10, .per_window = 1 };
    unsigned held = 99;
    assert_true(throttle_allow(&t, 7, 100.0, &held));
    assert_int_equal(held, 0);
    assert_false(throttle_allow(&t, 7, 101.0, &held));
    assert_false(throttle_allow(&t, 7, 109.9, &held));
    assert_true(throttle_allow(&t, 8, 105.0, &held));      /* another key is apart */
    assert_true(throttle_allow(&t, 7, 110.0, &held));
    assert_int_equal(held, 2);
    struct throttle u = { .window = 60, .per_window = 3 };
    for (int i = 0; i < 3; i++)
        assert_true(throttle_allow(&u, 1, 10.0 + i, &held));
    assert_false(throttle_allow(&u, 1, 20.0, &held));
    for (unsigned k = 2; k < 2 + THROTTLE_KEYS; k++)        /* key 1 is the least recent: it goes */
        assert_true(throttle_allow(&u, k, 30.0 + k, &held));
    assert_true(throttle_allow(&u, 1, 80.0, &held));
    assert_int_equal(held, 0);
}

/* The lookup buffer grows fourfold on ERANGE only, and stops at
 * LOOKUP_BUF_MAX; the grown buffer is usable to its last byte. */
static void
test_lookup_buf_grow(void **state)
{
    (void)state;
    size_t size = 4096;
    char *buf = xmalloc(size);
    assert_false(lookup_buf_grow(0, &buf, &size));
    assert_false(lookup_buf_grow(ENOENT, &buf, &size));
    assert_int_equal(size, 4096);
    assert_true(lookup_buf_grow(ERANGE, &buf, &size));
    assert_int_equal(size, 16384);
    buf[size - 1] = 'x';
    int grown = 1;
    while (lookup_buf_grow(ERANGE, &buf, &size))
        grown++;
    assert_int_equal(size, LOOKUP_BUF_MAX);
    assert_int_equal(grown, 7);         /* 4 KiB → 64 MiB */
    assert_false(lookup_buf_grow(ERANGE, &buf, &size));
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_terminates),
        cmocka_unit_test(test_buf_printf_fits_and_overflows),
        cmocka_unit_test(test_buf_append_binary),
        cmocka_unit_test(test_strlcpy_truncates),
        cmocka_unit_test(test_xasprintf),
        cmocka_unit_test(test_buf_put_url_part),
        cmocka_unit_test(test_buf_put_numbers),
        cmocka_unit_test(test_buf_put_json_str),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_lookup_buf_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
