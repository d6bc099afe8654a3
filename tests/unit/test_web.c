/* Unit tests for web_html.c: markup in a value is shown as text, quotes
 * cannot end an attribute, Chinese passes through as is, and bytes that
 * are not UTF-8 (or are controls) become U+FFFD instead of reaching the
 * page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "web_html.h"

#define FFFD "\xEF\xBF\xBD"

static void
escapes_to(const char *in, const char *want)
{
    struct evbuffer *b = evbuffer_new();
    web_html_escape(b, in);
    size_t n = evbuffer_get_length(b);
    char *got = calloc(1, n + 1);
    evbuffer_remove(b, got, n);
    evbuffer_free(b);
    assert_string_equal(got, want);
    free(got);
}

static void
test_markup(void **state)
{
    (void)state;
    escapes_to("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    escapes_to("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;");
    escapes_to("plain text", "plain text");
    escapes_to("", "");
}

static void
test_quotes_and_ampersand(void **state)
{
    (void)state;
    escapes_to("\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
    escapes_to("it's", "it&#39;s");
    escapes_to("R&D &amp; more", "R&amp;D &amp;amp; more");
}

static void
test_cjk_passthrough(void **state)
{
    (void)state;
    escapes_to("涧西区<市政>项目：“一期”", "涧西区&lt;市政&gt;项目：“一期”");
    escapes_to("𠀀 emoji 😀", "𠀀 emoji 😀");      /* four-byte sequences */
    escapes_to("tab\tnew\nline\r", "tab\tnew\nline\r");
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    escapes_to("a\xFF" "b", "a" FFFD "b");               /* never a UTF-8 byte */
    escapes_to("\xC0\xBC" "x", FFFD FFFD "x");           /* an overlong '<' */
    escapes_to("\xED\xA0\x80", FFFD FFFD FFFD);          /* a surrogate */
    escapes_to("\xE6\xB6", FFFD FFFD);                   /* cut short at the end */
    escapes_to("\xE6<", FFFD "&lt;");                    /* cut short by markup */
    escapes_to("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
}

static void
test_controls(void **state)
{
    (void)state;
    escapes_to("a\x1b[31mb", "a" FFFD "[31mb");          /* ESC */
    escapes_to("\x7f", FFFD);                            /* DEL */
    escapes_to("\xC2\x85", FFFD);                        /* NEL, a C1 control */
    escapes_to("\xC2\xA0", "\xC2\xA0");                  /* no-break space stays */
}

static void
test_null(void **state)
{
    (void)state;
    struct evbuffer *b = evbuffer_new();
    web_html_escape(b, NULL);
    assert_int_equal(evbuffer_get_length(b), 0);
    evbuffer_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_quotes_and_ampersand),
        cmocka_unit_test(test_cjk_passthrough),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
