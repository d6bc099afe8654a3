/* Unit tests for holidays.c: the shipped 2026 calendar reads as the State
 * Council published it, every mistake in a holiday file is named by
 * FILE:LINE, and a held message goes out at the next working day's end of
 * quiet hours — never never. Dates in Asia/Shanghai. */
#include "ac_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "holidays.h"
#include "util.h"

static struct holidays *
shipped(void)
{
    char err[512] = "";
    struct holidays *h = holidays_load(TOP_SRCDIR "/etc/holidays.conf", err, sizeof err);
    if (h == NULL)
        fail_msg("etc/holidays.conf refused: %s", err);
    return h;
}

static enum day_kind
kind_of(const struct holidays *h, int y, int m, int d)
{
    struct ymd day = { y, m, d };
    return holidays_day(h, &day);
}

/* 国务院办公厅关于2026年部分节假日安排的通知, every line of it. */
static void
test_shipped_2026(void **state)
{
    (void)state;
    struct holidays *h = shipped();
    /* 元旦 1/1–1/3, work 1/4 (Sun) */
    assert_int_equal(kind_of(h, 2026, 1, 1), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 1, 3), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 1, 4), DAY_ADJUSTED_WORK);
    /* 春节 2/15–2/23, work 2/14 and 2/28 (Sat) */
    assert_int_equal(kind_of(h, 2026, 2, 14), DAY_ADJUSTED_WORK);
    for (int d = 15; d <= 23; d++)
        assert_int_equal(kind_of(h, 2026, 2, d), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 2, 24), DAY_WORK);
    assert_int_equal(kind_of(h, 2026, 2, 28), DAY_ADJUSTED_WORK);
    /* 清明 4/4–4/6, 劳动节 5/1–5/5 with 5/9 (Sat), 端午 6/19–6/21, 中秋 9/25–9/27 */
    assert_int_equal(kind_of(h, 2026, 4, 6), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 4, 7), DAY_WORK);
    assert_int_equal(kind_of(h, 2026, 5, 5), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 5, 9), DAY_ADJUSTED_WORK);
    assert_int_equal(kind_of(h, 2026, 6, 19), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 9, 25), DAY_HOLIDAY);
    /* 国庆 10/1–10/7, work 9/20 (Sun) and 10/10 (Sat) */
    assert_int_equal(kind_of(h, 2026, 9, 20), DAY_ADJUSTED_WORK);
    assert_int_equal(kind_of(h, 2026, 10, 1), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 10, 7), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2026, 10, 8), DAY_WORK);
    assert_int_equal(kind_of(h, 2026, 10, 10), DAY_ADJUSTED_WORK);
    assert_int_equal(kind_of(h, 2026, 10, 11), DAY_WEEKEND);
    /* 3+1+9+2+3+5+1+3+1+3+7+1 days listed */
    assert_int_equal(holidays_count(h), 39);
    struct ymd oct2 = { 2026, 10, 2 }, oct10 = { 2026, 10, 10 }, nov2 = { 2026, 11, 2 };
    assert_string_equal(holidays_name(h, &oct2), "国庆节");
    assert_true(strstr(holidays_name(h, &oct10), "调休") != NULL);
    assert_null(holidays_name(h, &nov2));
    assert_true(holidays_rest_day(h, &oct2));
    assert_false(holidays_rest_day(h, &oct10));
    assert_false(holidays_rest_day(h, &nov2));
    holidays_free(h);
}

static void
test_weekends_without_file(void **state)
{
    (void)state;
    assert_int_equal(kind_of(NULL, 2026, 11, 28), DAY_WEEKEND);    /* Saturday */
    assert_int_equal(kind_of(NULL, 2026, 11, 29), DAY_WEEKEND);    /* Sunday */
    assert_int_equal(kind_of(NULL, 2026, 11, 30), DAY_WORK);
    assert_int_equal(kind_of(NULL, 1969, 12, 31), DAY_WORK);       /* before the epoch: a Wednesday */
    assert_int_equal(kind_of(NULL, 1969, 12, 28), DAY_WEEKEND);
}

static void
test_formats(void **state)
{
    (void)state;
    static const char text[] =
        "\xef\xbb\xbf# a BOM, comments and blanks are fine\r\n"
        "\r\n"
        "2027-01-01 元旦\n"                                  /* the default kind is holiday */
        "2027/2/6\xe3\x80\x80\xe7\x8f\xad  春节调休\n"         /* full-width blank, 班 */
        "2027年2月7日..2027年2月9日  休  春节 # to the end of the line\n"
        "2027-10-09 上班\n"
        "   2027-12-25   holiday   \n";
    char err[256] = "";
    struct holidays *h = holidays_parse(text, strlen(text), "x.conf", err, sizeof err);
    if (h == NULL)
        fail_msg("refused: %s", err);
    assert_int_equal(holidays_count(h), 7);
    assert_int_equal(kind_of(h, 2027, 1, 1), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2027, 2, 6), DAY_ADJUSTED_WORK);
    assert_int_equal(kind_of(h, 2027, 2, 8), DAY_HOLIDAY);
    assert_int_equal(kind_of(h, 2027, 10, 9), DAY_ADJUSTED_WORK);
    assert_int_equal(kind_of(h, 2027, 12, 25), DAY_HOLIDAY);
    struct ymd feb8 = { 2027, 2, 8 }, dec25 = { 2027, 12, 25 };
    assert_string_equal(holidays_name(h, &feb8), "春节");
    assert_null(holidays_name(h, &dec25));
    holidays_free(h);

    h = holidays_parse("", 0, "empty.conf", err, sizeof err);
    assert_non_null(h);
    assert_int_equal(holidays_count(h), 0);
    holidays_free(h);
}

static void
refused(const char *text, const char *want)
{
    char err[256] = "";
    struct holidays *h = holidays_parse(text, strlen(text), "h.conf", err, sizeof err);
    if (h != NULL) {
        holidays_free(h);
        fail_msg("accepted: %s", text);
    }
    assert_string_equal(err, want);
}

static void
test_refusals(void **state)
{
    (void)state;
    refused("2026-10-01 国庆\n2026-13-01 x\n",
            "h.conf:2: '2026-13-01' is not a date (expected YYYY-MM-DD, like 2026-10-01)");
    refused("国庆节 2026-10-01\n", "h.conf:1: '国庆节' is not a date (expected YYYY-MM-DD, like 2026-10-01)");
    refused("2026-10-08..2026-10-01\n", "h.conf:1: the range 2026-10-08..2026-10-01 ends before it starts");
    refused("2026-10-01..2027-10-08\n",
            "h.conf:1: the range 2026-10-01..2027-10-08 is 373 days long; at most 31 (a typo in a year?)");
    refused("2026-10-01..\n", "h.conf:1: '' is not a date (expected YYYY-MM-DD, like 2026-10-01)");
    refused("# 调休\n2026-09-28 workday\n",
            "h.conf:2: 2026-09-28 is a weekday: only a Saturday or Sunday can be an adjusted working day (调休上班)");
    refused("2026-10-01..2026-10-07 国庆\n\n2026-10-03 again\n", "h.conf:3: 2026-10-03 is already listed on line 1");
    refused("2026-10-10 workday\n2026-10-10 holiday\n", "h.conf:2: 2026-10-10 is already listed on line 1");
    refused("2026-10-01 \xb9\xfa\xc7\xec\n", "h.conf:1: not UTF-8 (save the file as UTF-8)");  /* GB18030 国庆 */

    char err[256];
    assert_null(holidays_load("/nonexistent/holidays.conf", err, sizeof err));
    assert_string_equal(err, "/nonexistent/holidays.conf: cannot read: No such file or directory");
}

/* ---- when a held message goes ------------------------------------------ */

static double
at(const char *s)       /* "2026-11-25 10:00" local */
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(s, "%Y-%m-%d %H:%M", &tm));
    tm.tm_isdst = -1;
    return (double)mktime(&tm);
}

static void
expect_send(const struct send_window *w, const char *now, const char *want)
{
    double got = holidays_send_at(w, at(now));
    if (got != at(want)) {
        char buf[32];
        time_t t = (time_t)got;
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", localtime(&t));
        fail_msg("at %s: expected %s, got %s", now, want, buf);
    }
}

static void
test_send_at(void **state)
{
    (void)state;
    struct holidays *h = shipped();
    struct send_window w = { h, true, 22 * 60, 8 * 60 };
    expect_send(&w, "2026-11-25 10:00", "2026-11-25 10:00");   /* a working Wednesday */
    expect_send(&w, "2026-11-25 07:59", "2026-11-25 08:00");
    expect_send(&w, "2026-11-25 22:00", "2026-11-26 08:00");
    expect_send(&w, "2026-11-27 23:30", "2026-11-30 08:00");   /* Friday night: Monday */
    expect_send(&w, "2026-11-28 12:00", "2026-11-30 08:00");   /* Saturday */
    expect_send(&w, "2026-09-30 21:59", "2026-09-30 21:59");
    expect_send(&w, "2026-09-30 22:00", "2026-10-08 08:00");   /* the eve of 国庆 */
    expect_send(&w, "2026-10-01 09:00", "2026-10-08 08:00");
    expect_send(&w, "2026-10-09 23:00", "2026-10-10 08:00");   /* a 调休 Saturday is a working day */
    expect_send(&w, "2026-10-10 09:00", "2026-10-10 09:00");
    expect_send(&w, "2026-10-10 23:00", "2026-10-12 08:00");
    expect_send(&w, "2026-02-13 23:00", "2026-02-14 08:00");   /* 春节: work Sat 2/14, then 9 days */
    expect_send(&w, "2026-02-14 22:00", "2026-02-24 08:00");
    expect_send(&w, "2026-12-31 23:00", "2027-01-01 08:00");   /* not listed yet: a Friday */

    /* no quiet hours: the working day's midnight */
    struct send_window noquiet = { h, true, -1, -1 };
    expect_send(&noquiet, "2026-10-03 15:00", "2026-10-08 00:00");
    expect_send(&noquiet, "2026-11-25 03:00", "2026-11-25 03:00");

    /* holding on rest days turned off: quiet hours only */
    struct send_window quiet_only = { h, false, 22 * 60, 8 * 60 };
    expect_send(&quiet_only, "2026-10-01 09:00", "2026-10-01 09:00");
    expect_send(&quiet_only, "2026-10-01 23:00", "2026-10-02 08:00");

    /* a window that does not wrap midnight */
    struct send_window noon = { NULL, true, 12 * 60, 14 * 60 };
    expect_send(&noon, "2026-11-25 13:00", "2026-11-25 14:00");
    expect_send(&noon, "2026-11-25 14:00", "2026-11-25 14:00");
    expect_send(&noon, "2026-11-28 13:00", "2026-11-30 00:00");   /* no file: weekends only */
    holidays_free(h);

    /* a calendar that never works still lets messages out, eventually */
    struct buf b;
    buf_init(&b);
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 28; d += 14)
            buf_printf(&b, "2026-%02d-%02d..2026-%02d-%02d\n", m, d, m, d + 13);
    buf_puts(&b, "2026-01-29..2026-01-31\n2026-03-29..2026-03-31\n");
    char err[256];
    h = holidays_parse(b.data, b.len, "odd.conf", err, sizeof err);
    buf_free(&b);
    if (h == NULL)
        fail_msg("refused: %s", err);
    struct send_window odd = { h, true, -1, -1 };
    double t = holidays_send_at(&odd, at("2026-01-01 10:00"));
    assert_true(t >= at("2026-01-01 10:00"));
    assert_true(t < at("2028-01-01 00:00"));
    holidays_free(h);
}

/* ---- the holiday file as part of keyprojd.conf --------------------------- */

static void
test_config_reads_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/keyproj-test-holidays-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[256], hol[256], err[512] = "";
    snprintf(conf, sizeof conf, "%s/keyprojd.conf", dir);
    snprintf(hol, sizeof hol, "%s/days.conf", dir);
    FILE *f = fopen(hol, "w");
    assert_non_null(f);
    fputs("2026-10-01..2026-10-07 国庆节\n2026-10-10 workday\n", f);
    fclose(f);
    f = fopen(conf, "w");
    assert_non_null(f);
    fputs("timezone = \"Asia/Shanghai\";\nalerts = {\n  holidays = \"days.conf\";\n};\n", f);   /* relative */
    fclose(f);
    struct config *cfg = config_load(conf, err, sizeof err);
    if (cfg == NULL)
        fail_msg("refused: %s", err);
    assert_int_equal(holidays_count(cfg->rest_days), 8);
    assert_true(cfg->hold_on_rest_days);
    config_free(cfg);

    f = fopen(hol, "w");
    assert_non_null(f);
    fputs("2026-10-01..2026-10-07 国庆节\n2026-10-09 workday\n", f);
    fclose(f);
    assert_null(config_load(conf, err, sizeof err));
    char want[600];
    snprintf(want, sizeof want,
             "%s:3: alerts.holidays: %s/days.conf:2: 2026-10-09 is a weekday: only a Saturday or Sunday "
             "can be an adjusted working day (调休上班)", conf, dir);
    assert_string_equal(err, want);

    unlink(hol);
    assert_null(config_load(conf, err, sizeof err));
    snprintf(want, sizeof want, "%s:3: alerts.holidays: %s/days.conf: cannot read: No such file or directory",
             conf, dir);
    assert_string_equal(err, want);

    f = fopen(conf, "w");
    assert_non_null(f);
    fputs("alerts = { hold_on_rest_days = 1; };\n", f);
    fclose(f);
    assert_null(config_load(conf, err, sizeof err));
    snprintf(want, sizeof want, "%s:1: alerts.hold_on_rest_days must be true or false", conf);
    assert_string_equal(err, want);
    unlink(conf);
    rmdir(dir);
}

int
main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_2026),
        cmocka_unit_test(test_weekends_without_file),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_send_at),
        cmocka_unit_test(test_config_reads_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
