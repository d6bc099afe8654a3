/* Unit tests for letters.c and the letters group of keyprojd.conf: number
 * patterns and templates checked with a reason, the built-in ones valid,
 * values copied into the text as they are. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "letters.h"

static void
assert_number_ok(const char *pattern)
{
    char err[300] = "";
    if (!letter_number_check(pattern, err, sizeof err))
        fail_msg("'%s' refused: %s", pattern, err);
}

static void
assert_number_refused(const char *pattern, const char *want)
{
    char err[300] = "";
    if (letter_number_check(pattern, err, sizeof err))
        fail_msg("'%s' accepted, want \"%s\"", pattern, want);
    assert_string_equal(err, want);
}

static void
test_number_patterns(void **state)
{
    (void)state;
    assert_number_ok("洛重点督〔{year}〕{n}号");
    assert_number_ok("{n}/{year}");
    for (int k = 0; k < LETTER_KINDS; k++)
        assert_number_ok(letter_default_number((enum letter_kind)k));
    assert_number_refused("洛督〔{year}〕{no}号", "unknown placeholder {no} (expected {year} or {n})");
    assert_number_refused("洛督〔{YEAR}〕{n}号", "unknown placeholder {YEAR} (expected {year} or {n})");
    assert_number_refused("洛督〔{year}〕号",
                          "the pattern needs {n}: numbers restart at 1 each year, so a number is its year and "
                          "its place in it");
    assert_number_refused("洛督{n}号",
                          "the pattern needs {year}: numbers restart at 1 each year, so a number is its year and "
                          "its place in it");
    assert_number_refused("{year}{n}-{n}", "{n} appears twice");
    assert_number_refused("{year}〔{n", "'{n' has no closing '}' (expected {year} or {n})");
    assert_number_refused("{{year}}{n}", "a number has no literal braces (only {year} and {n})");
    assert_number_refused("{year}}}{n}", "a number has no literal braces (only {year} and {n})");
    assert_number_refused("{year}-{n}}", "'}' without its '{' (only {year} and {n} may use braces)");
    assert_number_refused("{year} }{n}", "'}' without its '{' (only {year} and {n} may use braces)");
    assert_number_refused("{year}\t{n}", "the pattern holds a control character (byte 0x09 at 6)");
    assert_number_refused("{year}\xff{n}", "the pattern is not valid UTF-8 (at byte 6)");
    char long_pattern[200];
    memset(long_pattern, 'x', sizeof long_pattern);
    memcpy(long_pattern, "{year}{n}", 9);
    long_pattern[sizeof long_pattern - 1] = '\0';
    assert_number_refused(long_pattern, "the pattern is 199 bytes long (at most 120)");
}

static void
assert_template_refused(const char *tpl, const char *want)
{
    char err[600] = "";
    if (letter_template_check(tpl, err, sizeof err))
        fail_msg("template accepted, want \"%s\"", want);
    assert_string_equal(err, want);
}

static void
test_templates(void **state)
{
    (void)state;
    char err[600] = "";
    for (int k = 0; k < LETTER_KINDS; k++)
        if (!letter_template_check(letter_default_template((enum letter_kind)k), err, sizeof err))
            fail_msg("the built-in %s template is refused: %s", letter_kind_name((enum letter_kind)k), err);
    assert_true(letter_template_check("", err, sizeof err));
    assert_true(letter_template_check("{{字面}} } {doc_no}\r\n\t{leader}\n", err, sizeof err));
    assert_template_refused("{doc_no}\n致：{to_unit}\n{projcet}\n",
                            "line 3: unknown placeholder {projcet} (expected {doc_no}, {kind}, {to_unit}, "
                            "{project}, {code}, {county}, {reason}, {issued_on}, {reply_due} or {leader}; "
                            "{{ for a brace)");
    assert_template_refused("{doc_no}\n{to_unit\n}", "line 2: '{to_unit' has no closing '}' on its line "
                            "(write {{ for a brace)");
    assert_template_refused("a\n\n{一{doc_no}", "line 3: '{一' has no closing '}' on its line "
                            "(write {{ for a brace)");
    assert_template_refused("{}", "line 1: unknown placeholder {} (expected {doc_no}, {kind}, {to_unit}, "
                            "{project}, {code}, {county}, {reason}, {issued_on}, {reply_due} or {leader}; "
                            "{{ for a brace)");
    assert_template_refused("正文\x1b[2J", "the template holds a control character (byte 0x1b at 6)");
}

static void
test_render_copies_values(void **state)
{
    (void)state;
    const char *values[LETTER_FIELDS] = {
        [LETTER_DOC_NO] = "洛重点督〔2026〕12号",
        [LETTER_PROJECT] = "{reason}项目{{x}}",
        [LETTER_REASON] = "见{doc_no} %s %n",
        [LETTER_TO_UNIT] = "涧西区政府",
    };
    char *text = letter_render_new("{doc_no}\n{to_unit}：{project}；{reason}；{leader}；{{字面}} }\n", values);
    assert_string_equal(text, "洛重点督〔2026〕12号\n涧西区政府：{reason}项目{{x}}；见{doc_no} %s %n；；{字面} }\n");
    free(text);
    text = letter_render_new("", values);
    assert_string_equal(text, "");
    free(text);
}

static void
test_kinds(void **state)
{
    (void)state;
    enum letter_kind k;
    assert_true(letter_kind_parse("assignment", &k));
    assert_int_equal(k, LETTER_ASSIGNMENT);
    assert_false(letter_kind_parse("交办函", &k));     /* values.c maps the Chinese names */
    assert_false(letter_kind_parse(NULL, &k));
    assert_string_equal(letter_kind_title(LETTER_SUPERVISION), "督办函");
    assert_string_equal(letter_field_name(LETTER_REPLY_DUE), "reply_due");
}

/* ---- the letters group of keyprojd.conf ------------------------------------ */

static void
assert_config_refused(const char *text, const char *want)
{
    char err[700] = "";
    struct config *cfg = config_load_string(text, "t.conf", err, sizeof err);
    if (cfg != NULL) {
        config_free(cfg);
        fail_msg("accepted, want \"%s\"", want);
    }
    assert_string_equal(err, want);
}

static void
test_config_defaults_and_patterns(void **state)
{
    (void)state;
    char err[700] = "";
    struct config *cfg = config_load_string("", "t.conf", err, sizeof err);
    assert_non_null(cfg);
    assert_string_equal(cfg->letters[LETTER_SUPERVISION].number, "重点督〔{year}〕{n}号");
    assert_string_equal(cfg->letters[LETTER_REMINDER].template, letter_default_template(LETTER_REMINDER));
    assert_null(cfg->letters[LETTER_ASSIGNMENT].template_file);
    assert_int_equal(cfg->letters[LETTER_ASSIGNMENT].reply_days, 7);
    config_free(cfg);

    cfg = config_load_string("letters = { supervision = { number = \"洛重点督〔{year}〕{n}号\"; reply_days = 3; }; };",
                             "t.conf", err, sizeof err);
    assert_non_null(cfg);
    assert_string_equal(cfg->letters[LETTER_SUPERVISION].number, "洛重点督〔{year}〕{n}号");
    assert_int_equal(cfg->letters[LETTER_SUPERVISION].reply_days, 3);
    assert_string_equal(cfg->letters[LETTER_REMINDER].number, "重点提〔{year}〕{n}号");
    config_free(cfg);

    assert_config_refused("letters = { reminder = { number = \"提〔{year}〕{no}号\"; }; };",
                          "t.conf:1: letters.reminder.number '提〔{year}〕{no}号': unknown placeholder {no} "
                          "(expected {year} or {n})");
    assert_config_refused("letters = { notice = { }; };", "t.conf:1: unknown setting 'letters.notice'");
    assert_config_refused("letters = { reminder = { numbr = \"x\"; }; };",
                          "t.conf:1: unknown setting 'letters.reminder.numbr'");
    assert_config_refused("letters = { assignment = { reply_days = 0; }; };",
                          "t.conf:1: letters.assignment.reply_days must be between 1 and 365 (got 0)");
    assert_config_refused("letters = { assignment = { number = \"重点提〔{year}〕{n}号\"; }; };",
                          "t.conf:1: letters.assignment.number: the same pattern as letters.reminder.number "
                          "('重点提〔{year}〕{n}号'): each kind is numbered on its own, so their numbers would "
                          "collide");
}

static void
test_config_template_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/kp-letters.XXXXXX", path[300], conf[400], err[700] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tpl.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("\xef\xbb\xbf{doc_no}\r\n{to_unit}：\r\n", f);
    fclose(f);
    snprintf(conf, sizeof conf, "letters = { reminder = { template_file = \"%s\"; }; };", path);
    struct config *cfg = config_load_string(conf, "t.conf", err, sizeof err);
    if (cfg == NULL)
        fail_msg("refused: %s", err);
    assert_string_equal(cfg->letters[LETTER_REMINDER].template, "{doc_no}\n{to_unit}：\n");
    assert_string_equal(cfg->letters[LETTER_REMINDER].template_file, path);
    config_free(cfg);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{doc_no}\n{unit}\n", f);
    fclose(f);
    char want[700];
    snprintf(want, sizeof want, "t.conf:1: letters.reminder.template_file %s: line 2: unknown placeholder {unit} "
             "(expected {doc_no}, {kind}, {to_unit}, {project}, {code}, {county}, {reason}, {issued_on}, "
             "{reply_due} or {leader}; {{ for a brace)", path);
    assert_config_refused(conf, want);
    remove(path);
    snprintf(want, sizeof want, "t.conf:1: letters.reminder.template_file %s: No such file or directory", path);
    assert_config_refused(conf, want);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_patterns),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_render_copies_values),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_config_defaults_and_patterns),
        cmocka_unit_test(test_config_template_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
