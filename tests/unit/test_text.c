/* Unit tests for text.c: strict UTF-8, GB18030 from Excel, BOMs, and the
 * display width tables that keyprojctl's CJK-aware columns rely on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"

/* printf '涧西区' | iconv -f UTF-8 -t GB18030 | xxd -i */
static const char gb_jianxi[] = "\xbd\xa7\xce\xf7\xc7\xf8";

static void
test_utf8_valid_accepts(void **state)
{
    (void)state;
    assert_true(utf8_valid("", 0, NULL));
    assert_true(utf8_valid("plain ascii", 11, NULL));
    assert_true(utf8_valid("涧西区", strlen("涧西区"), NULL));
    assert_true(utf8_valid("\xF0\x9F\x98\x80", 4, NULL));        /* 😀 */
    assert_true(utf8_valid("\xF4\x8F\xBF\xBF", 4, NULL));        /* U+10FFFF */
    assert_true(utf8_valid("\xEF\xBB\xBF", 3, NULL));            /* BOM */
}

static void
assert_bad(const char *s, size_t len, size_t want)
{
    size_t off = 999;
    assert_false(utf8_valid(s, len, &off));
    assert_int_equal(off, want);
}

static void
test_utf8_valid_rejects(void **state)
{
    (void)state;
    assert_bad("ab\xC0\xAF", 4, 2);                 /* overlong '/' */
    assert_bad("\xE0\x80\xAF", 3, 0);               /* overlong 3-byte */
    assert_bad("\xF0\x80\x80\xAF", 4, 0);           /* overlong 4-byte */
    assert_bad("x\xED\xA0\x80", 4, 1);              /* surrogate U+D800 */
    assert_bad("\xF4\x90\x80\x80", 4, 0);           /* above U+10FFFF */
    assert_bad("涧\xE8\xA5", 5, 3);                 /* cut short */
    assert_bad("a\x80", 2, 1);                      /* lone continuation */
    assert_bad("abc\xFF", 4, 3);
    assert_bad("ab\0cd", 5, 2);                     /* NUL counts as bad */
    assert_bad(gb_jianxi, 6, 0);
}

static void
test_encoding_names(void **state)
{
    (void)state;
    enum text_encoding e = ENC_UTF8;
    assert_true(text_encoding_parse("AUTO", &e));
    assert_int_equal(e, ENC_AUTO);
    assert_true(text_encoding_parse("UTF8", &e));
    assert_int_equal(e, ENC_UTF8);
    assert_true(text_encoding_parse("gbk", &e));
    assert_int_equal(e, ENC_GB18030);
    assert_true(text_encoding_parse("GB2312", &e));
    assert_int_equal(e, ENC_GB18030);
    assert_false(text_encoding_parse("latin1", &e));
    assert_false(text_encoding_parse("", &e));
    assert_string_equal(text_encoding_name(ENC_UTF8), "utf-8");
    assert_string_equal(text_encoding_name(ENC_GB18030), "gb18030");
    assert_string_equal(text_encoding_name(ENC_AUTO), "auto");
}

/* Converts and checks success, the result and the encoding used. */
static void
assert_converts(const char *in, size_t len, enum text_encoding enc,
                const char *want, enum text_encoding want_used)
{
    char err[200] = "";
    size_t n = 999;
    enum text_encoding used = ENC_AUTO;
    char *s = text_to_utf8(in, len, enc, &n, &used, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(err, "");
    assert_string_equal(s, want);
    assert_int_equal(n, strlen(want));
    assert_int_equal(used, want_used);
    free(s);
}

static void
assert_refused(const char *in, size_t len, enum text_encoding enc, const char *want)
{
    char err[200] = "";
    assert_null(text_to_utf8(in, len, enc, NULL, NULL, err, sizeof err));
    assert_string_equal(err, want);
}

static void
test_to_utf8_utf8_and_bom(void **state)
{
    (void)state;
    assert_converts("", 0, ENC_AUTO, "", ENC_UTF8);
    assert_converts("\xEF\xBB\xBF", 3, ENC_AUTO, "", ENC_UTF8);
    const char *with_bom = "\xEF\xBB\xBF名称,县区\r\n项目,涧西区\r\n";
    assert_converts(with_bom, strlen(with_bom), ENC_AUTO,
                    "名称,县区\r\n项目,涧西区\r\n", ENC_UTF8);
    assert_converts(with_bom, strlen(with_bom), ENC_UTF8,
                    "名称,县区\r\n项目,涧西区\r\n", ENC_UTF8);
    /* only the leading BOM goes */
    assert_converts("a\xEF\xBB\xBF", 4, ENC_AUTO, "a\xEF\xBB\xBF", ENC_UTF8);
}

static void
test_to_utf8_gb18030(void **state)
{
    (void)state;
    assert_converts(gb_jianxi, 6, ENC_AUTO, "涧西区", ENC_GB18030);
    assert_converts(gb_jianxi, 6, ENC_GB18030, "涧西区", ENC_GB18030);
    /* "名称,县区\r\n" as Chinese Windows Excel saves "CSV" */
    const char sheet[] = "\xc3\xfb\xb3\xc6,\xcf\xd8\xc7\xf8\r\nx,\xbd\xa7\xce\xf7\xc7\xf8\r\n";
    assert_converts(sheet, sizeof sheet - 1, ENC_AUTO,
                    "名称,县区\r\nx,涧西区\r\n", ENC_GB18030);
    /* four-byte sequences (😀) and GB18030's own BOM, which is dropped */
    assert_converts("\x94\x39\xfc\x36", 4, ENC_AUTO, "😀", ENC_GB18030);
    assert_converts("\x84\x31\x95\x33\xa2\xe3", 6, ENC_AUTO, "€", ENC_GB18030);
    /* ASCII is the same in both; an explicit choice is honoured */
    assert_converts("a,b\n", 4, ENC_GB18030, "a,b\n", ENC_GB18030);
}

static void
test_to_utf8_errors_name_byte_and_line(void **state)
{
    (void)state;
    assert_refused(gb_jianxi, 6, ENC_UTF8, "byte 0 (line 1) is not valid UTF-8");
    assert_refused("a,b\nc,\xFF\n", 7, ENC_AUTO,
                   "byte 6 (line 2) is not valid UTF-8 or GB18030");
    assert_refused("a\nb\n\xbd\xa7\xff", 7, ENC_GB18030,
                   "byte 6 (line 3) is not valid GB18030");
    /* a GB18030 file cut in the middle of a character */
    assert_refused("\xbd\xa7\xce", 3, ENC_AUTO,
                   "byte 2 (line 1) is not valid UTF-8 or GB18030");
    /* a UTF-8 BOM settles the encoding: no guessing GB18030 after it */
    assert_refused("\xEF\xBB\xBFok\n\xFF", 7, ENC_AUTO,
                   "byte 6 (line 2) is not valid UTF-8");
    assert_refused("ab\0c", 4, ENC_AUTO, "byte 2 (line 1) is a NUL byte: not a text file");
    assert_refused("ab\0c", 4, ENC_GB18030, "byte 2 (line 1) is a NUL byte: not a text file");
    char err[200];
    assert_null(text_to_utf8("\xFF\xFE" "a\0", 4, ENC_AUTO, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "UTF-16"));
}

static void
test_width(void **state)
{
    (void)state;
    /* The daemon runs under LANG=C: the width must not care. */
    setlocale(LC_ALL, "C");
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("涧西区"), 6);
    assert_int_equal(text_width("涧西区 B6"), 9);
    assert_int_equal(text_width("（一期）"), 8);          /* fullwidth parens */
    assert_int_equal(text_width("、。"), 4);              /* CJK punctuation */
    assert_int_equal(text_width("ＡＢ"), 4);              /* fullwidth Latin */
    assert_int_equal(text_width("ｱｲ"), 2);                /* halfwidth katakana */
    assert_int_equal(text_width("한국"), 4);              /* Hangul */
    assert_int_equal(text_width("😀"), 2);
    assert_int_equal(text_width("\xF0\xA0\x80\x80"), 2);  /* U+20000, ext. B */
    assert_int_equal(text_width("e\xCC\x81"), 1);         /* e + combining acute */
    assert_int_equal(text_width("a\xE2\x80\x8B" "b"), 2); /* zero width space */
    assert_int_equal(text_width("é€—"), 3);
}

static void
test_prefix_for_width(void **state)
{
    (void)state;
    assert_int_equal(text_prefix_for_width("涧西区", 6), 9);
    assert_int_equal(text_prefix_for_width("涧西区", 5), 6);  /* no half ideograph */
    assert_int_equal(text_prefix_for_width("涧西区", 1), 0);
    assert_int_equal(text_prefix_for_width("ab涧", 3), 2);
    assert_int_equal(text_prefix_for_width("ab涧", 4), 5);
    assert_int_equal(text_prefix_for_width("e\xCC\x81x", 1), 3); /* mark stays */
    assert_int_equal(text_prefix_for_width("abc", 0), 0);
    assert_int_equal(text_prefix_for_width("", 10), 0);
}

static void
assert_hidden(const char *s, size_t nth, unsigned cp, const char *what)
{
    struct text_hidden h;
    if (!text_find_hidden(s, strlen(s), &h))
        fail_msg("nothing hidden found in '%s'", s);
    assert_int_equal(h.nth, nth);
    assert_int_equal(h.cp, cp);
    assert_string_equal(h.what, what);
}

static void
test_find_hidden(void **state)
{
    (void)state;
    struct text_hidden h;
    const char *ctl = "控制字符 (control character)";
    const char *fine = "洛阳新材料产业园\t一期\r\n二期 ok";
    assert_false(text_find_hidden(fine, strlen(fine), &h));
    assert_false(text_find_hidden("", 0, &h));
    assert_hidden("a\x1b[31m", 2, 0x1b, ctl);
    assert_hidden("\x07", 1, 0x07, ctl);
    assert_hidden("ab\x7f", 3, 0x7f, ctl);
    assert_hidden("项目\xC2\x85", 3, 0x85, ctl);
    assert_hidden("项目\xC2\x9F", 3, 0x9f, ctl);
    assert_hidden("\xEF\xBB\xBF" "2026", 1, 0xfeff, "字节顺序标记 (byte order mark, BOM)");
    assert_hidden("a\xE2\x80\x8B", 2, 0x200b, "零宽字符 (zero-width character)");
    assert_hidden("a\xE2\x80\x8D", 2, 0x200d, "零宽字符 (zero-width character)");
    assert_hidden("a\xE2\x81\xA0", 2, 0x2060, "零宽字符 (zero-width character)");
    assert_hidden("\xE2\x80\x8F", 1, 0x200f, "双向文本控制符 (bidirectional control)");
    assert_hidden("\xE2\x80\xAA", 1, 0x202a, "双向文本控制符 (bidirectional control)");
    assert_hidden("\xE2\x80\xAE", 1, 0x202e, "双向文本控制符 (bidirectional control)");
    assert_hidden("\xE2\x81\xA6", 1, 0x2066, "双向文本控制符 (bidirectional control)");
    assert_hidden("\xE2\x81\xA9", 1, 0x2069, "双向文本控制符 (bidirectional control)");
    /* Their neighbours are ordinary text: NBSP, hair space, hyphen,
     * U+206A, the ideographic space. */
    const char *near = "\xC2\xA0\xE2\x80\x8A\xE2\x80\x90\xE2\x81\xAA\xE3\x80\x80";
    assert_false(text_find_hidden(near, strlen(near), &h));
    /* A NUL inside the length is a control too. */
    assert_true(text_find_hidden("a\0b", 3, &h));
    assert_int_equal(h.offset, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_accepts),
        cmocka_unit_test(test_utf8_valid_rejects),
        cmocka_unit_test(test_encoding_names),
        cmocka_unit_test(test_to_utf8_utf8_and_bom),
        cmocka_unit_test(test_to_utf8_gb18030),
        cmocka_unit_test(test_to_utf8_errors_name_byte_and_line),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_prefix_for_width),
        cmocka_unit_test(test_find_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
