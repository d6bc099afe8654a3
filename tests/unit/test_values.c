/* Unit tests for values.c: how spreadsheet cells (dates, months, 万元,
 * the Chinese and English vocabularies, campaign codes) become canonical
 * values, and what is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"
#include "values.h"

static void
assert_date(const char *s, int y, int m, int d)
{
    struct ymd got = {0, 0, 0};
    if (!parse_date(s, &got))
        fail_msg("parse_date refused '%s'", s);
    assert_int_equal(got.y, y);
    assert_int_equal(got.m, m);
    assert_int_equal(got.d, d);
}

static void
assert_no_date(const char *s)
{
    struct ymd got = {7, 7, 7};
    if (parse_date(s, &got))
        fail_msg("parse_date accepted '%s'", s);
    assert_int_equal(got.y, 7);     /* untouched on failure */
}

static void
test_parse_date_forms(void **state)
{
    (void)state;
    assert_date("2026-03-15", 2026, 3, 15);
    assert_date("2026/3/15", 2026, 3, 15);
    assert_date("2026.3.15", 2026, 3, 15);
    assert_date("2026年3月15日", 2026, 3, 15);
    assert_date("2026年03月05", 2026, 3, 5);
    assert_date("2026-3-5", 2026, 3, 5);
    assert_date("  2026-11-15\t", 2026, 11, 15);
    assert_date("\xE3\x80\x80" "2026年11月15日" "\xE3\x80\x80", 2026, 11, 15);
    assert_date("2024-02-29", 2024, 2, 29);
    assert_date("2000-02-29", 2000, 2, 29);
    assert_date("1900-01-01", 1900, 1, 1);
    assert_date("2200-12-31", 2200, 12, 31);
}

static void
test_parse_date_refuses(void **state)
{
    (void)state;
    assert_no_date("2026-02-30");
    assert_no_date("2026-13-01");
    assert_no_date("2026-00-10");
    assert_no_date("2026-04-31");
    assert_no_date("2100-02-29");
    assert_no_date("2026-03-15x");
    assert_no_date("2026-03-15 08:00");
    assert_no_date("2026年3月15日上午");
    assert_no_date("2026-03/15");
    assert_no_date("26-3-15");
    assert_no_date("02026-3-15");
    assert_no_date("2026-003-15");
    assert_no_date("1899-12-31");
    assert_no_date("2201-01-01");
    assert_no_date("2026年3月");
    assert_no_date("2026-3-");
    assert_no_date("");
    assert_no_date("   ");
    assert_no_date("46096");        /* an Excel serial number */
}

static void
test_parse_month(void **state)
{
    (void)state;
    static const char *const ok[] = {"2026-10", "2026/10", "2026.10", "2026年10月",
                                     "202610", " 2026-10 "};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        int y = 0, m = 0;
        if (!parse_month(ok[i], &y, &m))
            fail_msg("parse_month refused '%s'", ok[i]);
        assert_int_equal(y, 2026);
        assert_int_equal(m, 10);
    }
    int y, m;
    assert_true(parse_month("2026-1", &y, &m));
    assert_int_equal(m, 1);
    static const char *const bad[] = {"2026-13", "2026-0", "202613", "2026",
                                      "2026-10-01", "2026年10", "20261", "", "10/2026"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (parse_month(bad[i], &y, &m))
            fail_msg("parse_month accepted '%s'", bad[i]);
}

static void
test_days_round_trip(void **state)
{
    (void)state;
    struct ymd d = {1970, 1, 1}, back;
    assert_int_equal(ymd_to_days(&d), 0);
    d = (struct ymd){2026, 3, 15};
    assert_int_equal(ymd_to_days(&d), 20527);
    d = (struct ymd){1900, 1, 1};
    assert_int_equal(ymd_to_days(&d), -25567);

    /* every day of the accepted range, in order, with no gaps */
    long n = ymd_to_days(&d);
    for (; n <= 84370; n++) {
        days_to_ymd(n, &back);
        assert_true(ymd_valid(&back));
        assert_int_equal(ymd_to_days(&back), n);
    }
    assert_int_equal(back.y, 2200);
    assert_int_equal(back.m, 12);
    assert_int_equal(back.d, 31);
    assert_int_equal(days_in_month(2026, 2), 28);
    assert_int_equal(days_in_month(2028, 2), 29);
    assert_int_equal(days_in_month(2026, 13), 0);
}

static void
test_format_date(void **state)
{
    (void)state;
    char out[11];
    format_date(&(struct ymd){2026, 3, 5}, out);
    assert_string_equal(out, "2026-03-05");
    format_date(&(struct ymd){2026, 12, 31}, out);
    assert_string_equal(out, "2026-12-31");
}

static void
assert_amount(const char *s, const char *want)
{
    char out[32] = "";
    if (!parse_amount(s, out, sizeof out))
        fail_msg("parse_amount refused '%s'", s);
    assert_string_equal(out, want);
}

static void
test_parse_amount(void **state)
{
    (void)state;
    assert_amount("12345", "12345");
    assert_amount("12,345.67", "12345.67");
    assert_amount("1,234,567", "1234567");
    assert_amount(" 35000 ", "35000");
    assert_amount("0", "0");
    assert_amount("0.0", "0");
    assert_amount("12.", "12");
    assert_amount("12.50", "12.5");
    assert_amount("0.1234", "0.1234");
    assert_amount("007", "7");
    assert_amount(".5", "0.5");
    assert_amount("999,999,999,999.9999", "999999999999.9999");  /* numeric(16,4) */
    assert_amount("000000000000001", "1");

    static const char *const bad[] = {
        "-5", "+5", "1e5", "", "  ", ".", "12万", "1.5万", "1.23456", "12,34",
        "1234,567", ",123", "1,,234", "1.2.3", "abc", "12 345", "1234567890123",
        "NaN", "１２３",
    };
    char out[32];
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (parse_amount(bad[i], out, sizeof out))
            fail_msg("parse_amount accepted '%s'", bad[i]);
    char tiny[4];
    assert_false(parse_amount("12345", tiny, sizeof tiny));
    assert_true(parse_amount("123", tiny, sizeof tiny));
}

static void
assert_maps(const struct words *f, const char *canonical, const char *const *spellings)
{
    for (; *spellings != NULL; spellings++) {
        const char *got = words_map(f, *spellings);
        if (got == NULL || strcmp(got, canonical) != 0)
            fail_msg("'%s' gave %s, want %s", *spellings, got ? got : "NULL", canonical);
    }
}

#define MAPS(f, canonical, ...) \
    assert_maps(f, canonical, (const char *const[]){__VA_ARGS__, NULL})

static void
test_map_vocabularies(void **state)
{
    (void)state;
    MAPS(&words_level, "province", "省", "省级", "省重点", "province", "PROVINCE");
    MAPS(&words_level, "city", "市", "市级", "市重点", "City", " 市 ", "\xE3\x80\x80市级");
    MAPS(&words_sector, "industry", "产业", "工业", "产业项目", "industry");
    MAPS(&words_sector, "urban", "城建", "城市建设", "Urban");
    MAPS(&words_sector, "infrastructure", "基础设施", "INFRASTRUCTURE");
    MAPS(&words_sector, "livelihood", "民生", "社会民生", "社会事业", "livelihood");
    MAPS(&words_sector, "ecology", "生态", "生态环保", "ecology");
    MAPS(&words_sector, "other", "其他", "Other");
    MAPS(&words_category, "new", "新开工", "新建", "New");
    MAPS(&words_category, "continuing", "续建", "continuing");
    MAPS(&words_category, "preliminary", "前期", "预备", "前期项目", "preliminary");
    MAPS(&words_status, "preliminary", "前期", "未开工");
    MAPS(&words_status, "building", "在建", "建设中", "续建", "building");
    MAPS(&words_status, "suspended", "停工", "缓建", "suspended");
    MAPS(&words_status, "completed", "竣工", "已竣工", "完工", "completed");
    MAPS(&words_status, "operating", "投产", "投用", "运营", "已投产", "operating");
    MAPS(&words_milestone_kind, "start", "开工", "start");
    MAPS(&words_milestone_kind, "structure", "主体", "主体完工");
    MAPS(&words_milestone_kind, "topping", "封顶", "主体封顶");
    MAPS(&words_milestone_kind, "completion", "竣工", "竣工验收");
    MAPS(&words_milestone_kind, "operation", "投产", "投用", "通车", "投运");
    MAPS(&words_milestone_kind, "investment", "投资", "完成投资");
    MAPS(&words_milestone_kind, "approval", "审批", "手续", "要件");
    MAPS(&words_milestone_kind, "other", "其他", "OTHER");
    MAPS(&words_milestone_status, "pending", "未完成", "进行中", "待完成", "否", "Pending");
    MAPS(&words_milestone_status, "done", "已完成", "完成", "是", "DONE");
    MAPS(&words_milestone_status, "waived", "免除", "取消", "不再考核", "waived");
    MAPS(&words_light, "red", "红", "红灯", "red", "Red", " 红 ");
    MAPS(&words_light, "yellow", "黄", "黄灯", "YELLOW");
    MAPS(&words_light, "green", "绿", "绿灯", "green");
}

static void
test_map_refuses(void **state)
{
    (void)state;
    assert_null(words_map(&words_sector, "航天"));
    assert_null(words_map(&words_sector, ""));
    assert_null(words_map(&words_sector, "   "));
    assert_null(words_map(&words_sector, "industr"));
    assert_null(words_map(&words_sector, "industry2"));
    assert_null(words_map(&words_level, "区"));
    assert_null(words_map(&words_level, "省市"));
    assert_null(words_map(&words_category, "building"));      /* a status, not a category */
    assert_null(words_map(&words_status, "new"));
    assert_null(words_map(&words_milestone_status, "yes"));
    assert_null(words_map(&words_light, "purple"));
    assert_null(words_map(&words_light, "红黄"));
}

/* Every label an error message offers must be accepted, or the message
 * would send people round in circles. */
static void
assert_expected_consistent(const struct words *f)
{
    char *copy = words_expected_new(f);
    char *open = strstr(copy, " (or ");
    assert_non_null(open);
    assert_int_equal(copy[strlen(copy) - 1], ')');
    copy[strlen(copy) - 1] = '\0';
    *open = '\0';
    const char *zh[16], *en[16];
    size_t nzh = 0, nen = 0;
    for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        zh[nzh++] = t;
    for (char *save = NULL, *t = strtok_r(open + 5, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        en[nen++] = t;
    assert_int_equal(nzh, nen);
    for (size_t i = 0; i < nen; i++) {
        assert_string_equal(words_map(f, en[i]), en[i]);
        assert_string_equal(words_map(f, zh[i]), en[i]);
        assert_string_equal(enum_label_zh(en[i]), zh[i]);
    }
    free(copy);
}

static void
assert_expected(const struct words *ws, const char *want)
{
    char *got = words_expected_new(ws);
    assert_string_equal(got, want);
    free(got);
}

static void
test_expected_lists(void **state)
{
    (void)state;
    assert_expected(&words_level, "省, 市 (or province, city)");
    assert_expected(&words_sector, "产业, 城建, 基础设施, 民生, 生态, 其他 (or industry, urban, "
                                   "infrastructure, livelihood, ecology, other)");
    assert_expected_consistent(&words_level);
    assert_expected_consistent(&words_sector);
    assert_expected_consistent(&words_category);
    assert_expected_consistent(&words_status);
    assert_expected_consistent(&words_milestone_kind);
    assert_expected_consistent(&words_milestone_status);
    assert_expected_consistent(&words_light);
}

/* The lists the commands and the configuration offer read as they did when
 * each was written by hand. */
static void
test_expected_other_lists(void **state)
{
    (void)state;
    assert_expected(&words_light, "红, 黄, 绿 (or red, yellow, green)");
    assert_expected(&words_tier, "unit, leader, office (or 责任单位, 分包领导, 项目办)");
    assert_expected(&words_milestone_filter, "未完成, 已完成, 免除, 逾期 (or pending, done, waived, overdue)");
    assert_expected(&words_problem_severity, "一般, 重大 (or ordinary, major)");
    assert_expected(&words_problem_status, "未解决, 已解决, 逾期 (or open, resolved, overdue)");
    assert_expected(&words_approval_status, "未办结, 已办结, 免除, 逾期 (or pending, done, waived, overdue)");
    assert_expected(&words_order_status, "未回复, 已回复, 逾期 (or open, replied, overdue)");
    assert_expected(&words_order_kind, "提醒函, 督办函, 交办函 (or reminder, supervision, assignment)");
    assert_expected(&words_county_group, "城区组, 县组, 功能区组 (or district, county, zone)");
    assert_expected(&words_alert_kind,
                    "milestone.due_soon, milestone.overdue, milestone.freeze, project.start_overdue, "
                    "project.completion_overdue, investment.lagging, report.missing, progress.stalled, "
                    "approval.overdue, problem.overdue, project.repeated_red, campaign.at_risk, campaign.missed");
    char *with_digest = words_expected_new(&words_alert_kind_digest);
    assert_non_null(strstr(with_digest, "campaign.missed, digest"));
    assert_int_equal(strstr(with_digest, ", digest") + strlen(", digest"), with_digest + strlen(with_digest));
    free(with_digest);
}

/* Every spelling of every list leads back to its own word: no spelling
 * stands for two words of one list. */
static void
test_words_round_trip(void **state)
{
    (void)state;
    static const struct words *const all[] = {
        &words_level, &words_sector, &words_category, &words_status, &words_milestone_kind,
        &words_milestone_status, &words_milestone_filter, &words_light, &words_tier, &words_alert_kind,
        &words_alert_kind_digest, &words_payload_type, &words_problem_severity,
        &words_problem_status, &words_approval_status, &words_order_status, &words_order_kind,
        &words_county_group,
    };
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        assert_true(words_count(all[i]) > 0);
        for (size_t j = 0; j < words_count(all[i]); j++) {
            const struct word *w = words_at(all[i], j);
            assert_ptr_equal(words_named(all[i], w->name), w);
            assert_string_equal(words_map(all[i], w->name), w->name);
            for (size_t k = 0; all[i]->style != WORDS_NAMES && k < ARRAY_LEN(w->zh) && w->zh[k]; k++)
                if (strcmp(words_map(all[i], w->zh[k]), w->name) != 0)
                    fail_msg("'%s' gave %s, want %s", w->zh[k], words_map(all[i], w->zh[k]), w->name);
        }
    }
}

/* A list on a base holds the base's words first; lookups see both. */
static void
test_words_base(void **state)
{
    (void)state;
    assert_int_equal(words_count(&words_milestone_filter), words_count(&words_milestone_status) + 1);
    assert_string_equal(words_at(&words_milestone_filter, 0)->name, "pending");
    assert_string_equal(words_at(&words_milestone_filter, 3)->name, "overdue");
    assert_null(words_at(&words_milestone_filter, 4));
    MAPS(&words_milestone_filter, "overdue", "逾期", "超期", "Overdue");
    MAPS(&words_milestone_filter, "pending", "未完成", "pending");
    assert_null(words_map(&words_milestone_status, "逾期"));
    assert_int_equal(words_count(&words_payload_type), words_count(&words_alert_kind) + 3);
    assert_string_equal(words_named(&words_payload_type, "digest")->zh[0], "汇总");
    assert_string_equal(words_named(&words_payload_type, "milestone.overdue")->zh[0], "节点逾期");
    assert_null(words_named(&words_payload_type, NULL));
    assert_null(words_named(&words_alert_kind, "digest"));
    assert_string_equal(words_map(&words_alert_kind_digest, "digest"), "digest");
}

/* Alert kinds are names, as written: a Chinese label or another case is
 * no kind (a receiver's matcher with a typo would match nothing). */
static void
test_words_names_exact(void **state)
{
    (void)state;
    assert_string_equal(words_map(&words_alert_kind, "milestone.overdue"), "milestone.overdue");
    assert_string_equal(words_map(&words_alert_kind, " milestone.overdue "), "milestone.overdue");
    assert_null(words_map(&words_alert_kind, "Milestone.Overdue"));
    assert_null(words_map(&words_alert_kind, "节点逾期"));
    assert_null(words_map(&words_alert_kind, "milestone"));
    MAPS(&words_tier, "unit", "unit", "UNIT", "责任单位", "单位");
    MAPS(&words_tier, "leader", "Leader", "分包领导", "领导");
    MAPS(&words_tier, "office", "office", "项目办", "办公室");
    assert_null(words_map(&words_tier, "boss"));
    MAPS(&words_problem_severity, "major", "重大", "重要", "\xE3\x80\x80重大\xE3\x80\x80");
    MAPS(&words_order_kind, "supervision", "督办函", "supervision");
    /* `county add --group`: the bulletin's word, its short form or the schema's */
    MAPS(&words_county_group, "district", "城区组", "城区", "district", "District");
    MAPS(&words_county_group, "zone", "功能区组", "功能区", "zone");
    assert_null(words_map(&words_county_group, "省组"));
}

static void
test_light_rank(void **state)
{
    (void)state;
    assert_int_equal(light_rank("red"), LIGHT_RANK_RED);
    assert_int_equal(light_rank("yellow"), 1);
    assert_int_equal(light_rank("green"), 0);
    assert_int_equal(light_rank(NULL), -1);
    assert_int_equal(light_rank(""), -1);
    assert_int_equal(light_rank("红"), -1);      /* canonical names only */
    assert_int_equal(light_rank("Red"), -1);
}

static void
test_enum_label_zh(void **state)
{
    (void)state;
    assert_string_equal(enum_label_zh("industry"), "产业");
    assert_string_equal(enum_label_zh("new"), "新开工");
    assert_string_equal(enum_label_zh("pending"), "未完成");
    assert_string_equal(enum_label_zh("province"), "省");
    assert_string_equal(enum_label_zh("start"), "开工");
    assert_string_equal(enum_label_zh("building"), "在建");
    assert_string_equal(enum_label_zh("preliminary"), "前期");
    assert_string_equal(enum_label_zh("other"), "其他");
    assert_string_equal(enum_label_zh("milestone.overdue"), "milestone.overdue");
}

static void
assert_campaign(const char *s, const char *want)
{
    char out[16] = "";
    if (!parse_campaign(s, out, sizeof out))
        fail_msg("parse_campaign refused '%s'", s);
    assert_string_equal(out, want);
}

static void
test_campaigns(void **state)
{
    (void)state;
    assert_campaign("2026-B1", "2026-B1");
    assert_campaign("2026-b6", "2026-B6");
    assert_campaign("2026-B06", "2026-B6");
    assert_campaign("2026年第6期", "2026-B6");
    assert_campaign("2026年第六期", "2026-B6");
    assert_campaign(" 2026年第3期 ", "2026-B3");

    static const char *const bad[] = {"2026-B0", "2026-B7", "2026-B", "2026B6",
                                      "26-B6", "2026-B6x", "2026-B006", "2026年第7期",
                                      "2026年第6", "百日攻坚", ""};
    char out[16];
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (parse_campaign(bad[i], out, sizeof out))
            fail_msg("parse_campaign accepted '%s'", bad[i]);

    campaign_of_date(&(struct ymd){2026, 11, 3}, out, sizeof out);
    assert_string_equal(out, "2026-B6");
    campaign_of_date(&(struct ymd){2026, 1, 1}, out, sizeof out);
    assert_string_equal(out, "2026-B1");
    campaign_of_date(&(struct ymd){2026, 2, 28}, out, sizeof out);
    assert_string_equal(out, "2026-B1");
    campaign_of_date(&(struct ymd){2026, 3, 1}, out, sizeof out);
    assert_string_equal(out, "2026-B2");
}

static void
assert_window(const char *code, struct ymd first, struct ymd last)
{
    struct ymd f, l;
    assert_true(campaign_window(code, &f, &l));
    assert_memory_equal(&f, &first, sizeof f);
    assert_memory_equal(&l, &last, sizeof l);
}

static void
test_campaign_windows(void **state)
{
    (void)state;
    assert_window("2026-B1", (struct ymd){2026, 1, 1}, (struct ymd){2026, 2, 28});
    assert_window("2028-B1", (struct ymd){2028, 1, 1}, (struct ymd){2028, 2, 29});
    assert_window("2026-B3", (struct ymd){2026, 5, 1}, (struct ymd){2026, 6, 30});
    assert_window("2026-B6", (struct ymd){2026, 11, 1}, (struct ymd){2026, 12, 31});
    struct ymd f, l;
    assert_false(campaign_window("2026-B7", &f, &l));

    /* every day of a year falls inside the window of its own campaign */
    for (struct ymd d = {2028, 1, 1}; d.y == 2028; days_to_ymd(ymd_to_days(&d) + 1, &d)) {
        char code[16];
        campaign_of_date(&d, code, sizeof code);
        assert_true(campaign_window(code, &f, &l));
        assert_true(ymd_to_days(&f) <= ymd_to_days(&d));
        assert_true(ymd_to_days(&d) <= ymd_to_days(&l));
    }
}

static void
test_project_codes(void **state)
{
    (void)state;
    char why[160];
    assert_true(project_code_national("2026-410300-04-01-123456", why, sizeof why));
    assert_true(project_code_national("2022-410307-38-03-098766", NULL, 0));
    assert_true(project_code_national("2019-110105-70-01-000001", NULL, 0));
    assert_false(project_code_national("2026-999999-04-01-123456", why, sizeof why));
    assert_string_equal(why, "the division 999999 is no Chinese administrative division "
                             "(its first two digits name no province)");
    assert_false(project_code_national("1926-410300-04-01-123456", why, sizeof why));
    assert_string_equal(why, "the year 1926 is not 2000 to 2099");
    assert_false(project_code_national("2026-410300-04-01-12345", why, sizeof why));
    assert_string_equal(why, "the serial should be 6 digits at the end");
    assert_false(project_code_national("2026-410300-4-01-123456", why, sizeof why));
    assert_string_equal(why, "the industry should be 2 digits followed by '-'");
    assert_false(project_code_national("2026-410300-04-01-1234567", NULL, 0));
    assert_false(project_code_national("2026-410300-04-01-123456-", NULL, 0));
    assert_false(project_code_national("", NULL, 0));

    assert_true(project_code_looks_national("2026-41030-04-01-123456"));
    assert_true(project_code_looks_national("2026-999999-04-01"));
    assert_false(project_code_looks_national("41030020260001"));
    assert_false(project_code_looks_national("LY-2026-001"));
    assert_false(project_code_looks_national("2026-001"));
    assert_false(project_code_looks_national(""));

    assert_true(project_code_local_ok("LY-2026-001"));
    assert_true(project_code_local_ok("LY-CJ-002"));
    assert_true(project_code_local_ok("P-1"));
    assert_true(project_code_local_ok("41030020260001"));
    assert_true(project_code_local_ok("洛-2026-001"));
    assert_true(project_code_local_ok("A_1.2/3(4)"));
    assert_false(project_code_local_ok(""));
    assert_false(project_code_local_ok("=1+1"));
    assert_false(project_code_local_ok("-1"));
    assert_false(project_code_local_ok("+86"));
    assert_false(project_code_local_ok("@x"));
    assert_false(project_code_local_ok("'x"));
    assert_false(project_code_local_ok("LY 1"));
    assert_false(project_code_local_ok("LY,1"));
    assert_false(project_code_local_ok("LY;1"));
    char long_code[66];
    memset(long_code, 'A', 65);
    long_code[65] = '\0';
    assert_false(project_code_local_ok(long_code));
    long_code[64] = '\0';
    assert_true(project_code_local_ok(long_code));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_date_forms),
        cmocka_unit_test(test_parse_date_refuses),
        cmocka_unit_test(test_parse_month),
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_format_date),
        cmocka_unit_test(test_parse_amount),
        cmocka_unit_test(test_map_vocabularies),
        cmocka_unit_test(test_map_refuses),
        cmocka_unit_test(test_expected_lists),
        cmocka_unit_test(test_enum_label_zh),
        cmocka_unit_test(test_expected_other_lists),
        cmocka_unit_test(test_words_base),
        cmocka_unit_test(test_words_round_trip),
        cmocka_unit_test(test_words_names_exact),
        cmocka_unit_test(test_light_rank),
        cmocka_unit_test(test_campaigns),
        cmocka_unit_test(test_campaign_windows),
        cmocka_unit_test(test_project_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
