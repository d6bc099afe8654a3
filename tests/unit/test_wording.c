/* Unit tests for wording.c: the words of each kind as of the day they are
 * said — day counts across month and year ends, Beijing time against UTC
 * at the edges of a day — and local times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>

#include "clock.h"
#include "wording.h"

static json_t *
milestone(const char *due, const char *unit)
{
    json_t *v = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s?}}",
                          "project", "code", "LY-001", "name", "城东工业园", "county", "孟津区",
                          "unit", "孟津区发改委", "leader", "张伟",
                          "milestone", "title", "消防验收", "due", due, "unit", unit);
    assert_non_null(v);
    return v;
}

static struct ymd
day(int y, int m, int d)
{
    return (struct ymd){ y, m, d };
}

static void
assert_says(const char *kind, const char *light, const json_t *p, struct ymd today,
            enum wording_form form, const char *want)
{
    char *got = wording_compose(kind, light, p, &today, form);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void
test_milestone_days_at_send(void **state)
{
    (void)state;
    json_t *p = milestone("2026-11-10", "孟津区住建局");
    /* the alert was raised on 11-11; sent on 12-06 it says 26 days */
    assert_says("milestone.overdue", "red", p, day(2026, 12, 6), WORDING_FULL,
                "【逾期】孟津区 城东工业园「消防验收」已逾期26天（完成时限2026-11-10，责任单位：孟津区住建局）");
    assert_says("milestone.overdue", "red", p, day(2026, 11, 11), WORDING_LEAD,
                "「消防验收」已逾期1天（完成时限2026-11-10，责任单位：孟津区住建局）");
    assert_says("milestone.overdue", "red", p, day(2026, 12, 6), WORDING_SHORT, "「消防验收」逾期26天");
    json_decref(p);

    /* due soon: the stage began 7 days before; the words count from today */
    p = milestone("2026-12-10", NULL);
    assert_says("milestone.due_soon", "green", p, day(2026, 12, 6), WORDING_FULL,
                "【临期】孟津区 城东工业园「消防验收」还有4天到期（完成时限2026-12-10）");
    assert_says("milestone.due_soon", "green", p, day(2026, 12, 10), WORDING_SHORT, "「消防验收」今天到期");
    /* held past its day: a due-soon alert says what is true then */
    assert_says("milestone.due_soon", "green", p, day(2026, 12, 11), WORDING_LEAD,
                "「消防验收」已逾期1天（完成时限2026-12-10）");
    json_decref(p);

    /* the milestone's unit is the project's: a lead leaves it to the details */
    p = milestone("2026-12-06", "孟津区发改委");
    assert_says("milestone.due_soon", "green", p, day(2026, 12, 6), WORDING_LEAD,
                "「消防验收」今天到期（完成时限2026-12-06）");
    assert_says("milestone.due_soon", "green", p, day(2026, 12, 6), WORDING_FULL,
                "【临期】孟津区 城东工业园「消防验收」今天到期（完成时限2026-12-06，责任单位：孟津区发改委）");
    json_decref(p);
}

static void
test_days_across_month_and_year_ends(void **state)
{
    (void)state;
    json_t *p = milestone("2026-12-31", NULL);
    struct ymd t = day(2027, 1, 1);
    assert_int_equal(wording_days("milestone.overdue", p, &t), 1);
    t = day(2027, 3, 1);
    assert_int_equal(wording_days("milestone.overdue", p, &t), 60);
    t = day(2026, 12, 24);
    assert_int_equal(wording_days("milestone.due_soon", p, &t), -7);
    json_decref(p);
    p = milestone("2028-02-28", NULL);      /* leap year */
    t = day(2028, 3, 1);
    assert_int_equal(wording_days("milestone.overdue", p, &t), 2);
    t = day(2028, 2, 21);
    assert_int_equal(wording_days("milestone.due_soon", p, &t), -7);
    json_decref(p);
    /* 应开未开 counts from the end of the planned start month */
    p = json_pack("{s:{s:s}}", "schedule", "planned_start", "2026-02-10");
    t = day(2026, 3, 1);
    assert_int_equal(wording_days("project.start_overdue", p, &t), 1);
    assert_int_equal(wording_days("investment.lagging", p, &t), WORDING_NO_DAYS);
    json_decref(p);
}

/* Beijing's business date of an instant, through the process's zone. */
static void
test_beijing_day_edges(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Shanghai", 1);      /* what clock_set_zone does */
    tzset();
    struct ymd d;
    clock_date_of(1796574600, &d);        /* 2026-12-06T16:30:00Z = 12-07 00:30 Beijing */
    assert_int_equal(d.d, 7);
    clock_date_of(1796572740, &d);        /* 2026-12-06T15:59:00Z = 12-06 23:59 Beijing */
    assert_int_equal(d.d, 6);
    clock_date_of(1796572800, &d);        /* 2026-12-06T16:00:00Z = 12-07 00:00 Beijing */
    assert_int_equal(d.d, 7);
    clock_date_of(1798732800, &d);        /* 2026-12-31T16:00:00Z = 2027-01-01 00:00 */
    assert_int_equal(d.y, 2027);
    assert_int_equal(d.m, 1);
    assert_int_equal(d.d, 1);

    char s[32], iso[40];
    assert_true(wording_local_time("2026-12-06T10:05:00Z", s, sizeof s, iso, sizeof iso));
    assert_string_equal(s, "2026-12-06 18:05");
    assert_string_equal(iso, "2026-12-06T18:05:00+08:00");
    assert_true(wording_local_time("2026-12-06T16:30:00.123Z", s, sizeof s, iso, sizeof iso));
    assert_string_equal(s, "2026-12-07 00:30");
    assert_true(wording_local_time("2026-12-07T00:30:00+08:00", s, sizeof s, NULL, 0));
    assert_string_equal(s, "2026-12-07 00:30");
    assert_true(wording_local_time("2026-12-06T11:30:00-05:00", s, sizeof s, NULL, 0));
    assert_string_equal(s, "2026-12-07 00:30");
    assert_false(wording_local_time("yesterday", s, sizeof s, iso, sizeof iso));
    assert_string_equal(s, "yesterday");
}

static void
test_other_kinds(void **state)
{
    (void)state;
    struct ymd t = day(2026, 12, 6);
    json_t *p = json_loads("{\"project\":{\"name\":\"新区医院\",\"county\":\"洛龙区\",\"unit\":\"卫健委\"},"
                           "\"schedule\":{\"planned_start\":\"2026-09-15\",\"planned_end\":\"2026-11-30\"},"
                           "\"approval\":{\"item\":\"施工许可\",\"planned_on\":\"2026-11-30\",\"unit\":\"住建局\"},"
                           "\"problem\":{\"description\":\"征迁未完成\",\"time_limit\":\"2026-11-20\",\"unit\":null},"
                           "\"investment\":{\"month\":\"2026-11\",\"ytd\":1200.4,\"actual_percent\":40.04,"
                           "\"behind_points\":51.63},"
                           "\"report\":{\"month\":\"2026-11\",\"periods\":2},"
                           "\"progress\":{\"month\":\"2026-11\",\"reports\":3},"
                           "\"red_months\":[\"2026-10\",\"2026-11\"],"
                           "\"supervision\":{\"to_unit\":\"卫健委\",\"reply_due\":\"2026-12-13\"}}", 0, NULL);
    assert_non_null(p);
    assert_says("project.start_overdue", "red", p, t, WORDING_FULL,
                "【应开未开】洛龙区 新区医院 计划2026-09-15开工，至今未开工（已超67天）（责任单位：卫健委）");
    assert_says("project.start_overdue", "red", p, t, WORDING_LEAD, "计划2026-09-15开工，至今未开工（已超67天）");
    assert_says("project.completion_overdue", "red", p, t, WORDING_SHORT, "应竣未竣（计划2026-11-30竣工，已超6天）");
    assert_says("approval.overdue", "yellow", p, t, WORDING_FULL,
                "【审批逾期】洛龙区 新区医院「施工许可」已逾期6天（计划办结2026-11-30，审批单位：住建局）");
    assert_says("problem.overdue", "red", p, t, WORDING_LEAD,
                "问题「征迁未完成」超过办结时限16天仍未解决（时限2026-11-20）");
    assert_says("investment.lagging", "red", p, t, WORDING_LEAD,
                "截至2026-11累计完成投资1200万元，为年度计划的40.0%，落后序时进度51.6个百分点");
    assert_says("report.missing", "red", p, t, WORDING_SHORT, "连续2个月未报投资月报");
    assert_says("report.missing", "yellow", p, t, WORDING_LEAD, "2026-11投资月报逾期未报");
    assert_says("progress.stalled", "yellow", p, t, WORDING_LEAD, "截至2026-11连续3个月投资无实质进展");
    assert_says("project.repeated_red", "red", p, t, WORDING_FULL,
                "【连续红灯】洛龙区 新区医院 2026-10、2026-11连续两个月亮红灯，已向卫健委发督办函，请于2026-12-13前反馈");
    assert_says("rank", NULL, p, t, WORDING_FULL, NULL);
    json_decref(p);

    p = json_loads("{\"campaign\":{\"code\":\"2026-B6\",\"name\":\"2026年第六期双月攻坚\","
                   "\"starts_on\":\"2026-11-01\",\"ends_on\":\"2026-12-31\",\"county\":\"涧西区\","
                   "\"sector\":\"industry\",\"measure\":\"starts\",\"target\":10,\"actual\":4}}", 0, NULL);
    assert_says("campaign.at_risk", "yellow", p, t, WORDING_FULL,
                "【攻坚预警】2026年第六期双月攻坚 涧西区·产业 开工目标10个，目前完成4个，距攻坚期结束还有25天");
    assert_says("campaign.at_risk", "yellow", p, day(2026, 12, 31), WORDING_SHORT,
                "开工目标10个，目前完成4个，攻坚期今天结束");
    assert_says("campaign.missed", "red", p, day(2027, 1, 1), WORDING_LEAD,
                "2026年第六期双月攻坚 涧西区·产业 开工目标10个，实际完成4个（攻坚期2026-11-01至2026-12-31）");
    json_decref(p);
    /* missing facts: nothing said (the caller says the stored message) */
    p = json_pack("{s:{s:s}}", "milestone", "title", "开工");
    assert_says("milestone.overdue", "red", p, t, WORDING_FULL, NULL);
    json_decref(p);
}

/* A digest's title counts what is overdue and due this week on the day it
 * is sent, not on the day it was written. */
static void
test_digest_title_at_send(void **state)
{
    (void)state;
    json_t *p = json_loads("{\"title\":\"每日汇总 2026-11-25｜逾期 10 项，本周到期 5 项｜项目红灯 1 黄灯 2 绿灯 3\","
                           "\"title_head\":\"每日汇总 2026-11-25\",\"overdue\":10,"
                           "\"due_by_day\":{\"2026-11-25\":2,\"2026-11-27\":3},"
                           "\"lights\":{\"red\":1,\"yellow\":2,\"green\":3}}", 0, NULL);
    assert_non_null(p);
    struct ymd d = day(2026, 11, 25);
    char *t = wording_digest_title(p, &d);
    assert_string_equal(t, "每日汇总 2026-11-25｜逾期 10 项，本周到期 5 项｜项目红灯 1 黄灯 2 绿灯 3");
    free(t);
    d = day(2026, 11, 26);      /* held a day: today's two are overdue now */
    t = wording_digest_title(p, &d);
    assert_string_equal(t, "每日汇总 2026-11-25｜逾期 12 项，本周到期 3 项｜项目红灯 1 黄灯 2 绿灯 3");
    free(t);
    d = day(2026, 11, 30);
    t = wording_digest_title(p, &d);
    assert_string_equal(t, "每日汇总 2026-11-25｜逾期 15 项，本周到期 0 项｜项目红灯 1 黄灯 2 绿灯 3");
    free(t);
    json_object_del(p, "due_by_day");       /* written before the facts were kept */
    assert_null(wording_digest_title(p, &d));
    json_decref(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_milestone_days_at_send),
        cmocka_unit_test(test_days_across_month_and_year_ends),
        cmocka_unit_test(test_beijing_day_edges),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_digest_title_at_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
