/* Unit tests for render*.c: the exact request each receiver type gets, the
 * robots' size limits with UTF-8-safe cuts, markup injection, and how every
 * documented answer is classified. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "render.h"
#include "render_format.h"
#include "text.h"
#include "util.h"

#define NOW 1762128000999LL         /* 2025-11-03 00:00:00.999 UTC */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define WECOM_URL "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
#define DING_URL "https://oapi.dingtalk.com/robot/send?access_token=T"
#define FEISHU_URL "https://open.feishu.cn/open-apis/bot/v2/hook/H"

static json_t *
fixture_data(void)
{
    json_t *v = json_loads(
        "{\"project\":{\"code\":\"LY-001\",\"name\":\"洛阳新材料产业园\",\"county\":\"涧西区\","
        "\"sector\":\"industry\",\"level\":\"city\",\"unit\":\"市发改委\",\"leader\":\"张伟\","
        "\"leader_mobile\":\"13800000000\"},"
        "\"milestone\":{\"id\":7,\"title\":\"主体封顶\",\"kind\":\"topping\",\"due\":\"2026-10-31\","
        "\"days_overdue\":3,\"campaign\":\"2026-B5\"}}", 0, NULL);
    assert_non_null(v);
    return v;
}

static struct alert_view
fixture_alert(const json_t *data, const char *light, int tier)
{
    return (struct alert_view){
        .id = 42, .kind = "milestone.overdue", .stage = "d3", .light = light,
        .created_at = "2026-11-03T08:00:00+08:00",
        .message = "洛阳新材料产业园「主体封顶」已逾期 3 天", .tier = tier, .data = data,
    };
}

static struct receiver
rcv(const char *type, const char *url, const char *secret)
{
    return (struct receiver){ .name = "test", .type = (char *)type, .url = (char *)url,
                              .secret = (char *)secret };
}

static void
render_ok(const struct receiver *rv, const struct alert_view *a, int64_t now,
          struct render_request *rq)
{
    char err[256] = "";
    if (!render_alert(rv, a, now, rq, err, sizeof err))
        fail_msg("render_alert failed: %s", err);
    assert_true(utf8_valid(rq->body, rq->body_len, NULL));
}

static void
assert_headers(const struct render_request *rq, const char *const *want)
{
    size_t i = 0;
    for (; want[i] != NULL; i++) {
        assert_non_null(rq->headers[i]);
        assert_string_equal(rq->headers[i], want[i]);
    }
    assert_null(rq->headers[i]);
}

/* The content string a robot's limit applies to (wecom: text or markdown). */
static char *
json_path_str(const char *body, const char *a, const char *b)
{
    json_t *v = json_loads(body, 0, NULL);
    assert_non_null(v);
    json_t *s = json_object_get(json_object_get(v, a), b);
    assert_true(json_is_string(s));
    char *out = xstrdup(json_string_value(s));
    json_decref(v);
    return out;
}

/* ---- exact requests ---------------------------------------------------- */

static void
test_json_alert_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "yellow", 0);
    struct receiver rv = rcv("json", "https://hooks.example.org/kp", SW_SECRET);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.url, "https://hooks.example.org/kp");
    assert_string_equal(rq.body,
        "{\"type\":\"milestone.overdue\",\"timestamp\":\"2026-11-03T08:00:00+08:00\","
        "\"data\":{\"alert_id\":42,\"kind\":\"milestone.overdue\",\"stage\":\"d3\",\"light\":\"yellow\","
        "\"tier\":0,\"created_at\":\"2026-11-03T08:00:00+08:00\","
        "\"message\":\"洛阳新材料产业园「主体封顶」已逾期 3 天\","
        "\"project\":{\"code\":\"LY-001\",\"name\":\"洛阳新材料产业园\",\"county\":\"涧西区\","
        "\"sector\":\"industry\",\"level\":\"city\",\"unit\":\"市发改委\",\"leader\":\"张伟\","
        "\"leader_mobile\":\"13800000000\"},"
        "\"milestone\":{\"id\":7,\"title\":\"主体封顶\",\"kind\":\"topping\",\"due\":\"2026-10-31\","
        "\"days_overdue\":3,\"campaign\":\"2026-B5\"}}}");
    /* signature checked independently with Python's hmac module */
    assert_headers(&rq, (const char *const[]){
        "Content-Type: application/json", "webhook-id: msg_42", "webhook-timestamp: 1762128000",
        "webhook-signature: v1,l6h6230RjaQXAd3kL3yM2DG7l7GxanWUMjjU6lwgzSo=", NULL });
    render_request_free(&rq);
    json_decref(data);
}

static void
test_json_retry_keeps_id_and_body(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "red", 1);
    struct receiver rv = rcv("json", "https://hooks.example.org/kp", SW_SECRET);
    struct render_request first, retry;
    render_ok(&rv, &a, NOW, &first);
    render_ok(&rv, &a, NOW + 300000, &retry);
    assert_string_equal(first.body, retry.body);
    assert_string_equal(first.headers[1], retry.headers[1]);          /* webhook-id */
    assert_string_equal(retry.headers[2], "webhook-timestamp: 1762128300");
    assert_string_not_equal(first.headers[3], retry.headers[3]);      /* signature */
    render_request_free(&first);
    render_request_free(&retry);

    /* two secrets (rotation): two signatures */
    rv.secret = SW_SECRET " whsec_c2Vjb25k";
    render_ok(&rv, &a, NOW, &first);
    assert_non_null(strstr(first.headers[3], "webhook-signature: v1,"));
    assert_non_null(strstr(first.headers[3] + 22, " v1,"));
    render_request_free(&first);
    json_decref(data);
}

/* `receiver test`: its own webhook-id, type "test", no alert number. */
static void
test_test_message(void **state)
{
    (void)state;
    json_t *data = json_pack("{s:b}", "test", 1);
    struct alert_view a = { .id = 0, .kind = "test", .stage = "", .created_at = "2026-11-03T08:00:00+08:00",
                            .message = "测试消息", .data = data, .webhook_id = "msg_test_1762128000999" };
    struct receiver rv = rcv("json", "https://hooks.example.org/kp", SW_SECRET);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.headers[1], "webhook-id: msg_test_1762128000999");
    assert_non_null(strstr(rq.body, "{\"type\":\"test\","));
    render_request_free(&rq);
    rv = rcv("wecom", WECOM_URL, NULL);
    render_ok(&rv, &a, NOW, &rq);
    assert_non_null(strstr(rq.body, "测试消息"));
    assert_null(strstr(rq.body, "编号"));
    render_request_free(&rq);
    json_decref(data);
}

static void
test_wecom_markdown_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "yellow", 0);
    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.url, WECOM_URL);
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    assert_string_equal(rq.body,
        "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":\"**【黄灯】节点逾期｜洛阳新材料产业园**\\n"
        "<font color=\\\"warning\\\">洛阳新材料产业园「主体封顶」已逾期 3 天</font>\\n"
        "> 项目：洛阳新材料产业园（LY-001）\\n> 县区：涧西区｜领域：产业｜级别：市重点\\n"
        "> 节点：主体封顶｜时限：2026-10-31｜已逾期 3 天\\n> 攻坚：2026-B5\\n"
        "> 责任单位：市发改委｜分包领导：张伟\\n> 编号：42｜时间：2026-11-03 08:00\"}}");
    assert_int_equal(rq.n_listed, 6);
    assert_int_equal(rq.n_total, 6);
    render_request_free(&rq);
    json_decref(data);
}

static void
test_wecom_text_mentions_leader(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "red", 0);
    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.body,
        "{\"msgtype\":\"text\",\"text\":{\"content\":\"【红灯】节点逾期｜洛阳新材料产业园\\n"
        "洛阳新材料产业园「主体封顶」已逾期 3 天\\n项目：洛阳新材料产业园（LY-001）\\n"
        "县区：涧西区｜领域：产业｜级别：市重点\\n节点：主体封顶｜时限：2026-10-31｜已逾期 3 天\\n"
        "攻坚：2026-B5\\n责任单位：市发改委｜分包领导：张伟\\n编号：42｜时间：2026-11-03 08:00\","
        "\"mentioned_mobile_list\":[\"13800000000\"]}}");
    render_request_free(&rq);

    /* escalated yellow: mention too, and the tier is said */
    a = fixture_alert(data, "yellow", 2);
    render_ok(&rv, &a, NOW, &rq);
    assert_non_null(strstr(rq.body, "\"msgtype\":\"text\""));
    assert_non_null(strstr(rq.body, "督办：已升级至项目办（第 2 级）"));
    render_request_free(&rq);

    /* red without a usable mobile: markdown, nobody mentioned */
    json_object_set_new(json_object_get(data, "project"), "leader_mobile", json_string("n/a"));
    a = fixture_alert(data, "red", 0);
    render_ok(&rv, &a, NOW, &rq);
    assert_non_null(strstr(rq.body, "\"msgtype\":\"markdown\""));
    assert_null(strstr(rq.body, "mentioned"));
    render_request_free(&rq);
    json_decref(data);
}

static void
test_dingtalk_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "red", 0);
    struct receiver rv = rcv("dingtalk", DING_URL, "this is secret");
    struct render_request rq;
    render_ok(&rv, &a, 1599360473000LL, &rq);
    /* The DingTalk test vector, appended as is (not encoded twice) */
    assert_string_equal(rq.url, DING_URL "&timestamp=1599360473000"
                        "&sign=hXZTWifRGHclNuZSKxoXc%2F%2Fsh51SWfVfRIhcdeKs63I%3D");
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    assert_string_equal(rq.body,
        "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"【红灯】节点逾期｜洛阳新材料产业园\","
        "\"text\":\"#### 【红灯】节点逾期｜洛阳新材料产业园\\n\\n洛阳新材料产业园「主体封顶」已逾期 3 天\\n\\n"
        "> 项目：洛阳新材料产业园（LY-001）\\n\\n> 县区：涧西区｜领域：产业｜级别：市重点\\n\\n"
        "> 节点：主体封顶｜时限：2026-10-31｜已逾期 3 天\\n\\n> 攻坚：2026-B5\\n\\n"
        "> 责任单位：市发改委｜分包领导：张伟\\n\\n> 编号：42｜时间：2026-11-03 08:00\\n\\n"
        "@13800000000\"},\"at\":{\"atMobiles\":[\"13800000000\"],\"isAtAll\":false}}");
    render_request_free(&rq);

    /* unsigned robot: the URL as configured; a URL without '?' gets one */
    rv.secret = NULL;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.url, DING_URL);
    render_request_free(&rq);
    rv = rcv("dingtalk", "https://ding.example/hook", "s");
    render_ok(&rv, &a, NOW, &rq);
    assert_true(str_startswith(rq.url, "https://ding.example/hook?timestamp=1762128000999&sign="));
    render_request_free(&rq);
    json_decref(data);
}

static void
test_feishu_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "green", 0);
    struct receiver rv = rcv("feishu", FEISHU_URL, "demo");
    struct render_request rq;
    render_ok(&rv, &a, 1599360473000LL, &rq);
    assert_string_equal(rq.url, FEISHU_URL);
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    /* The Feishu test vector, in the body */
    assert_string_equal(rq.body,
        "{\"timestamp\":\"1599360473\",\"sign\":\"l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=\","
        "\"msg_type\":\"post\",\"content\":{\"post\":{\"zh_cn\":{\"title\":\"【绿灯】节点逾期｜洛阳新材料产业园\","
        "\"content\":[[{\"tag\":\"text\",\"text\":\"洛阳新材料产业园「主体封顶」已逾期 3 天\"}],"
        "[{\"tag\":\"text\",\"text\":\"项目：洛阳新材料产业园（LY-001）\"}],"
        "[{\"tag\":\"text\",\"text\":\"县区：涧西区｜领域：产业｜级别：市重点\"}],"
        "[{\"tag\":\"text\",\"text\":\"节点：主体封顶｜时限：2026-10-31｜已逾期 3 天\"}],"
        "[{\"tag\":\"text\",\"text\":\"攻坚：2026-B5\"}],"
        "[{\"tag\":\"text\",\"text\":\"责任单位：市发改委｜分包领导：张伟\"}],"
        "[{\"tag\":\"text\",\"text\":\"编号：42｜时间：2026-11-03 08:00\"}]]}}}}");
    render_request_free(&rq);

    rv.secret = NULL;
    render_ok(&rv, &a, NOW, &rq);
    assert_true(str_startswith(rq.body, "{\"msg_type\":\"post\","));
    render_request_free(&rq);
    json_decref(data);
}

/* Three alerts, given yellow, red, none: digests list reds first. */
static void
digest_fixture(const json_t *data, struct alert_view al[3])
{
    for (int i = 0; i < 3; i++)
        al[i] = fixture_alert(data, NULL, 0);
    al[0].id = 1;
    al[0].light = "yellow";
    al[1].id = 2;
    al[1].light = "red";
    al[1].message = "伊河生态廊道「开工」已逾期 1 天";
    al[2].id = 3;
    al[2].kind = "report.missing";
    al[2].message = "10 月进度未填报";
}

static void
render_digest_ok(const char *type, const char *secret, const struct digest_view *d,
                 struct render_request *rq)
{
    struct receiver rv = rcv(type, "https://x.example/h", secret);
    char err[256] = "";
    if (!render_digest(&rv, d, NOW, rq, err, sizeof err))
        fail_msg("render_digest failed: %s", err);
    assert_true(utf8_valid(rq->body, rq->body_len, NULL));
}

static void
test_digests_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view al[3];
    digest_fixture(data, al);
    struct digest_view d = { .id = "d_2026_11_03", .title = "涧西区每日汇总",
                             .created_at = "2026-11-03T18:00:00+08:00", .alerts = al, .n_alerts = 3 };
    struct render_request rq;
    /* a red among them: its leader is @-mentioned, as a red sent alone
     * would (WeCom: so a text message, markdown cannot mention) */
    render_digest_ok("wecom", NULL, &d, &rq);
    assert_string_equal(rq.body,
        "{\"msgtype\":\"text\",\"text\":{\"content\":\"涧西区每日汇总\\n"
        "共 3 条：红灯 1 条，黄灯 1 条，绿灯 0 条\\n"
        "1. 【红灯】节点逾期｜涧西区｜伊河生态廊道「开工」已逾期 1 天｜编号：2\\n"
        "2. 【黄灯】节点逾期｜涧西区｜洛阳新材料产业园「主体封顶」已逾期 3 天｜编号：1\\n"
        "3. 未按时填报｜涧西区｜10 月进度未填报｜编号：3\","
        "\"mentioned_mobile_list\":[\"13800000000\"]}}");
    assert_int_equal(rq.n_listed, 3);
    render_request_free(&rq);

    render_digest_ok("dingtalk", NULL, &d, &rq);
    assert_string_equal(rq.body,
        "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"涧西区每日汇总\",\"text\":\"#### 涧西区每日汇总\\n\\n"
        "共 3 条：红灯 1 条，黄灯 1 条，绿灯 0 条\\n\\n"
        "1. 【红灯】节点逾期｜涧西区｜伊河生态廊道「开工」已逾期 1 天｜编号：2\\n\\n"
        "2. 【黄灯】节点逾期｜涧西区｜洛阳新材料产业园「主体封顶」已逾期 3 天｜编号：1\\n\\n"
        "3. 未按时填报｜涧西区｜10 月进度未填报｜编号：3\\n\\n@13800000000\"},"
        "\"at\":{\"atMobiles\":[\"13800000000\"],\"isAtAll\":false}}");
    render_request_free(&rq);

    /* Feishu cannot @ by mobile: named, with the mobile, in the text */
    render_digest_ok("feishu", NULL, &d, &rq);
    assert_string_equal(rq.body,
        "{\"msg_type\":\"post\",\"content\":{\"post\":{\"zh_cn\":{\"title\":\"涧西区每日汇总\",\"content\":["
        "[{\"tag\":\"text\",\"text\":\"共 3 条：红灯 1 条，黄灯 1 条，绿灯 0 条\"}],"
        "[{\"tag\":\"text\",\"text\":\"1. 【红灯】节点逾期｜涧西区｜伊河生态廊道「开工」已逾期 1 天｜编号：2\"}],"
        "[{\"tag\":\"text\",\"text\":\"2. 【黄灯】节点逾期｜涧西区｜洛阳新材料产业园「主体封顶」已逾期 3 天｜编号：1\"}],"
        "[{\"tag\":\"text\",\"text\":\"3. 未按时填报｜涧西区｜10 月进度未填报｜编号：3\"}],"
        "[{\"tag\":\"text\",\"text\":\"请关注：张伟（13800000000）\"}]]}}}}");
    render_request_free(&rq);

    /* no red: no mention, WeCom markdown */
    al[1].light = "yellow";
    render_digest_ok("wecom", NULL, &d, &rq);
    assert_true(str_startswith(rq.body, "{\"msgtype\":\"markdown\","));
    assert_null(strstr(rq.body, "mentioned"));
    render_request_free(&rq);
    al[1].light = "red";

    /* an empty window still says so */
    d.n_alerts = 0;
    render_digest_ok("wecom", NULL, &d, &rq);
    assert_string_equal(rq.body, "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                        "\"**涧西区每日汇总**\\n共 0 条\"}}");
    assert_int_equal(rq.n_listed, 0);
    render_request_free(&rq);
    d.n_alerts = 3;

    render_digest_ok("json", SW_SECRET, &d, &rq);
    assert_string_equal(rq.headers[1], "webhook-id: msg_d_2026_11_03");
    assert_true(str_startswith(rq.body, "{\"type\":\"digest\",\"timestamp\":\"2026-11-03T18:00:00+08:00\","
                               "\"data\":{\"id\":\"d_2026_11_03\",\"title\":\"涧西区每日汇总\",\"count\":3,"
                               "\"alerts\":[{\"alert_id\":1,"));
    assert_non_null(strstr(rq.body, "{\"alert_id\":3,\"kind\":\"report.missing\",\"stage\":\"d3\","
                           "\"light\":null,"));
    render_request_free(&rq);
    json_decref(data);
}

/* A merged message with reds of several projects: every leader and unit
 * contact once, in the order of the reds; yellows call nobody. */
static void
test_digest_mentions_everyone_once(void **state)
{
    (void)state;
    json_t *a = fixture_data(), *b = fixture_data(), *c = fixture_data();
    json_t *pa = json_object_get(a, "project"), *pb = json_object_get(b, "project"),
           *pc = json_object_get(c, "project");
    json_object_set_new(pa, "contact", json_string("李娜"));
    json_object_set_new(pa, "contact_mobile", json_string("13900000001"));
    json_object_set_new(pb, "leader", json_string("王强"));
    json_object_set_new(pb, "leader_mobile", json_string("13800000002"));
    json_object_set_new(pb, "contact", json_string("李娜"));
    json_object_set_new(pb, "contact_mobile", json_string("13900000001"));
    json_object_set_new(pc, "leader", json_string("赵敏"));
    json_object_set_new(pc, "leader_mobile", json_string("13800000003"));
    struct alert_view al[3] = { fixture_alert(a, "red", 0), fixture_alert(b, "red", 0),
                                fixture_alert(c, "yellow", 0) };
    struct digest_view d = { .id = "g1", .created_at = "2026-11-03T18:00:00+08:00", .alerts = al, .n_alerts = 3 };
    struct render_request rq;
    render_digest_ok("dingtalk", NULL, &d, &rq);
    assert_non_null(strstr(rq.body, "\"at\":{\"atMobiles\":[\"13800000000\",\"13900000001\",\"13800000002\"],"));
    assert_non_null(strstr(rq.body, "\\n\\n@13800000000 @13900000001 @13800000002\"}"));
    assert_null(strstr(rq.body, "13800000003"));
    render_request_free(&rq);
    render_digest_ok("wecom", NULL, &d, &rq);
    assert_non_null(strstr(rq.body, "\"mentioned_mobile_list\":[\"13800000000\",\"13900000001\",\"13800000002\"]"));
    render_request_free(&rq);
    render_digest_ok("feishu", NULL, &d, &rq);
    assert_non_null(strstr(rq.body, "请关注：张伟（13800000000）、李娜（13900000001）、王强（13800000002）"));
    render_request_free(&rq);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* ---- limits, truncation, cleaning --------------------------------------- */

/* n alerts with long messages; every 7th red. */
static struct alert_view *
many_alerts(const json_t *data, size_t n, char ***messages)
{
    struct alert_view *al = xcalloc(n, sizeof *al);
    *messages = xcalloc(n, sizeof **messages);
    for (size_t i = 0; i < n; i++) {
        al[i] = fixture_alert(data, i % 7 == 0 ? "red" : "yellow", 0);
        al[i].id = (int64_t)i + 1;
        (*messages)[i] = xasprintf("第%zu号重点项目「主体结构封顶」节点已逾期 %zu 天，请责任单位抓紧推进", i + 1, i % 30 + 1);
        al[i].message = (*messages)[i];
    }
    return al;
}

static void
check_digest_limit(const char *type, const json_t *data, size_t n, size_t limit)
{
    char **msgs;
    struct alert_view *al = many_alerts(data, n, &msgs);
    struct digest_view d = { .id = "big", .created_at = "2026-11-03T18:00:00+08:00",
                             .alerts = al, .n_alerts = n };
    struct render_request rq;
    render_digest_ok(type, NULL, &d, &rq);
    size_t size = rq.body_len;
    if (str_eq(type, "wecom")) {
        /* with reds to mention, a text message (markdown cannot @) */
        bool text = strstr(rq.body, "\"msgtype\":\"text\"") != NULL;
        if (text)
            limit = RENDER_WECOM_TEXT_MAX;
        char *content = json_path_str(rq.body, text ? "text" : "markdown", "content");
        size = strlen(content);
        free(content);
    }
    if (size > limit)
        fail_msg("%s digest of %zu: %zu bytes, limit %zu", type, n, size, limit);
    assert_true(size > limit - 400);            /* and not needlessly short */
    assert_true(rq.n_listed < n);
    assert_int_equal(rq.n_total, n);
    char trailer[64];
    snprintf(trailer, sizeof trailer, "……另有 %zu 条未列出", n - rq.n_listed);
    if (strstr(rq.body, trailer) == NULL)
        fail_msg("%s: no '%s' in the digest", type, trailer);
    /* reds first: what the limit cuts is the least urgent */
    assert_non_null(strstr(rq.body, "1. 【红灯】"));
    render_request_free(&rq);
    for (size_t i = 0; i < n; i++)
        free(msgs[i]);
    free(msgs);
    free(al);
}

static void
test_digest_size_limits(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    check_digest_limit("wecom", data, 300, RENDER_WECOM_TEXT_MAX);
    check_digest_limit("dingtalk", data, 1000, RENDER_DINGTALK_BODY_MAX);
    check_digest_limit("feishu", data, 1000, RENDER_FEISHU_BODY_MAX);
    json_decref(data);
}

static void
test_alert_too_long_is_cut_on_characters(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct buf huge;
    buf_init(&huge);
    for (int i = 0; i < 3000; i++)
        buf_puts(&huge, i % 2 ? "逾" : "期");   /* 3-byte characters */
    struct alert_view a = fixture_alert(data, "red", 0);
    a.message = huge.data;

    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    char *content = json_path_str(rq.body, "text", "content");
    assert_true(strlen(content) <= RENDER_WECOM_TEXT_MAX);
    assert_true(strlen(content) > RENDER_WECOM_TEXT_MAX - 8);
    assert_true(utf8_valid(content, strlen(content), NULL));
    /* the message is cut on a character, the details counted */
    assert_non_null(strstr(content, "…\n……其余 6 项从略"));
    free(content);
    render_request_free(&rq);

    a.light = "yellow";
    render_ok(&rv, &a, NOW, &rq);
    content = json_path_str(rq.body, "markdown", "content");
    assert_true(strlen(content) <= RENDER_WECOM_MARKDOWN_MAX);
    assert_true(utf8_valid(content, strlen(content), NULL));
    free(content);
    render_request_free(&rq);

    rv = rcv("dingtalk", DING_URL, NULL);
    render_ok(&rv, &a, NOW, &rq);
    assert_true(rq.body_len <= RENDER_DINGTALK_BODY_MAX);
    render_request_free(&rq);
    buf_free(&huge);
    json_decref(data);
}

static void
test_utf8_prefix(void **state)
{
    (void)state;
    const char *s = "a涧😀b";            /* 1 + 3 + 4 + 1 bytes */
    const size_t want[] = { 0, 1, 1, 1, 4, 4, 4, 4, 8, 9, 9 };
    for (size_t max = 0; max < ARRAY_LEN(want); max++)
        assert_int_equal(render_utf8_prefix(s, max), want[max]);
}

static void
test_markup_injection_and_bad_bytes(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    json_object_set_new(json_object_get(data, "project"), "name",
                        json_string("**假**<font color=\"info\">[绿](x)</font>\n# 标题 <@all>"));
    struct alert_view a = fixture_alert(data, "yellow", 0);
    a.message = "bad \xff byte\r\nnext line\xe2\x80\xa8!";
    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    char *content = json_path_str(rq.body, "markdown", "content");
    assert_non_null(strstr(content, "**【黄灯】节点逾期｜＊＊假＊＊＜font color=\"info\"＞［绿］(x)＜/font＞ ＃ 标题 ＜@all＞**"));
    assert_non_null(strstr(content, "bad \xef\xbf\xbd byte  next line !"));
    free(content);
    render_request_free(&rq);

    /* plain formats keep the characters, but still no line breaks */
    rv = rcv("feishu", FEISHU_URL, NULL);
    render_ok(&rv, &a, NOW, &rq);
    assert_non_null(strstr(rq.body, "｜**假**<font color=\\\"info\\\">[绿](x)</font> # 标题 <@all>\""));
    render_request_free(&rq);
    json_decref(data);
}

static void
test_render_refusals(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "red", 0);
    struct render_request rq;
    char err[256];
    struct receiver rv = rcv("slack", "https://x.example/", NULL);
    assert_false(render_alert(&rv, &a, NOW, &rq, err, sizeof err));
    assert_string_equal(err, "receiver 'test': unknown type 'slack' (expected json, wecom, "
                        "dingtalk or feishu)");
    assert_null(rq.body);
    assert_false(render_type_known("slack"));
    assert_true(render_type_known("feishu"));

    rv = rcv("json", "https://x.example/", "whsec_%%%%topsecret");
    assert_false(render_alert(&rv, &a, NOW, &rq, err, sizeof err));
    assert_non_null(strstr(err, "receiver 'test': cannot sign: secret 1 of 1"));
    assert_null(strstr(err, "topsecret"));
    assert_null(rq.body);

    rv = rcv("json", "https://x.example/", SW_SECRET);
    struct digest_view d = { .id = "bad id", .alerts = &a, .n_alerts = 1 };
    assert_false(render_digest(&rv, &d, NOW, &rq, err, sizeof err));
    assert_non_null(strstr(err, "digest id"));
    json_decref(data);
}

/* ---- answers ----------------------------------------------------------- */

struct answer_case {
    const char *type;
    long status;
    const char *body;
    long retry_after;
    bool ok, permanent;
    long want_retry_after;
    const char *error_part;
};

static const struct answer_case answers[] = {
    /* json: plain HTTP rules */
    { "json", 200, "", -1, true, false, -1, "" },
    { "json", 204, NULL, -1, true, false, -1, "" },
    { "json", 0, NULL, -1, false, false, -1, "no response: Connection refused" },
    { "json", 301, "", -1, false, false, -1, "HTTP 301: redirects are not followed" },
    { "json", 400, "bad", -1, false, true, -1, "HTTP 400: request refused: bad" },
    { "json", 401, "", -1, false, true, -1, "HTTP 401" },
    { "json", 404, "", 30, false, true, -1, "HTTP 404" },
    { "json", 408, "", -1, false, false, -1, "HTTP 408" },
    { "json", 410, "", -1, false, true, -1, "HTTP 410 Gone" },
    { "json", 429, "", 30, false, false, 30, "HTTP 429 too many requests (Retry-After 30 s)" },
    { "json", 429, "", -1, false, false, -1, "HTTP 429" },
    { "json", 500, "oops", -1, false, false, -1, "HTTP 500: oops" },
    { "json", 502, "", 10, false, false, 10, "HTTP 502" },
    { "json", 503, "", 99999999, false, false, RENDER_RETRY_AFTER_MAX, "HTTP 503" },
    { "json", 504, "", 0, false, false, 0, "HTTP 504" },
    /* wecom */
    { "wecom", 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", -1, true, false, -1, "" },
    { "wecom", 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", -1, false, false, 60,
      "wecom code 45009 (over 20 messages a minute): api freq out of limit" },
    { "wecom", 200, "{\"errcode\":45009}", 120, false, false, 120, "45009" },
    { "wecom", 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}", -1, false, true, -1,
      "wecom code 93000 (invalid webhook key): invalid webhook url" },
    { "wecom", 200, "{\"errcode\":40058}", -1, false, true, -1, "40058 (message too long)" },
    { "wecom", 200, "{\"errcode\":-1,\"errmsg\":\"system busy\"}", -1, false, false, -1, "(system busy)" },
    { "wecom", 200, "{\"errcode\":12345}", -1, false, false, -1, "wecom code 12345" },
    { "wecom", 200, "<html>gateway</html>", -1, false, false, -1,
      "wecom answered HTTP 200 without its JSON error code: <html>gateway</html>" },
    { "wecom", 200, "", -1, false, false, -1, "without its JSON error code" },
    { "wecom", 200, "{}", -1, false, false, -1, "without its JSON error code" },
    { "wecom", 200, "[0]", -1, false, false, -1, "without its JSON error code" },
    { "wecom", 200, "{\"errcode\":\"0\"}", -1, false, false, -1, "without its JSON error code" },
    { "wecom", 502, "", 5, false, false, 5, "HTTP 502" },
    { "wecom", 410, "", -1, false, true, -1, "HTTP 410" },
    { "wecom", 404, "<html/>", -1, false, true, -1, "HTTP 404" },
    { "wecom", 0, NULL, -1, false, false, -1, "no response" },
    /* dingtalk */
    { "dingtalk", 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", -1, true, false, -1, "" },
    { "dingtalk", 200, "{\"errcode\":130101,\"errmsg\":\"send too fast\"}", -1, false, false, 600,
      "dingtalk code 130101 (sending too fast: throttled for 10 minutes): send too fast" },
    { "dingtalk", 200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}", -1, false, true, -1,
      "dingtalk code 310000 (refused: keyword, signature, timestamp or IP whitelist): sign not match" },
    { "dingtalk", 200, "{\"errcode\":300001,\"errmsg\":\"token is not exist\"}", -1, false, true, -1,
      "300001 (invalid access token)" },
    { "dingtalk", 200, "{\"errcode\":410100}", -1, false, false, 600, "410100" },
    { "dingtalk", 200, "not json", -1, false, false, -1, "without its JSON error code" },
    { "dingtalk", 429, "", 7, false, false, 7, "HTTP 429" },
    /* feishu */
    { "feishu", 200, "{\"code\":0,\"data\":{},\"msg\":\"success\"}", -1, true, false, -1, "" },
    { "feishu", 200, "{\"Extra\":null,\"StatusCode\":0,\"StatusMessage\":\"success\"}", -1, true, false, -1, "" },
    { "feishu", 200, "{\"code\":19021,\"msg\":\"sign match fail\"}", -1, false, true, -1,
      "feishu code 19021 (signature mismatch, or timestamp more than an hour off): sign match fail" },
    { "feishu", 200, "{\"code\":19022,\"msg\":\"ip not allowed\"}", -1, false, true, -1, "19022 (IP not allowed)" },
    { "feishu", 200, "{\"code\":19024,\"msg\":\"Key Words Not Found\"}", -1, false, true, -1, "19024 (keyword missing)" },
    { "feishu", 200, "{\"code\":11232,\"msg\":\"frequency limited\"}", -1, false, false, 60, "11232 (rate limited" },
    { "feishu", 429, "{\"code\":11232}", 90, false, false, 90, "11232 (rate limited: 100 a minute, 5 a second) (HTTP 429)" },
    { "feishu", 400, "{\"code\":9499,\"msg\":\"Bad Request\",\"data\":{}}", -1, false, true, -1,
      "feishu code 9499 (bad request) (HTTP 400): Bad Request" },
    { "feishu", 400, "{\"code\":1234,\"msg\":\"odd\"}", -1, false, true, -1, "feishu code 1234: odd; HTTP 400" },
    { "feishu", 500, "{\"code\":1234}", -1, false, false, -1, "feishu code 1234; HTTP 500" },
    { "feishu", 200, "{\"StatusCode\":19021}", -1, false, true, -1, "19021" },
    { "feishu", 200, "garbage", -1, false, false, -1, "feishu answered HTTP 200 without its JSON error code" },
    /* unknown types fall back to the HTTP rules */
    { "other", 200, "whatever", -1, true, false, -1, "" },
};

static void
test_classify_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(answers); i++) {
        const struct answer_case *c = &answers[i];
        struct render_answer ans = { c->status, c->body, c->body != NULL ? strlen(c->body) : 0,
                                     c->retry_after, c->status == 0 ? "Connection refused" : NULL };
        struct render_verdict v;
        render_classify(c->type, &ans, &v);
        if (v.ok != c->ok || v.permanent != c->permanent || v.retry_after != c->want_retry_after ||
            strstr(v.error, c->error_part) == NULL || (c->ok && v.error[0] != '\0'))
            fail_msg("case %zu (%s %ld %s): got ok=%d permanent=%d retry_after=%ld error='%s'",
                     i, c->type, c->status, c->body != NULL ? c->body : "(null)",
                     v.ok, v.permanent, v.retry_after, v.error);
    }
}

static void
test_classify_error_is_bounded_utf8(void **state)
{
    (void)state;
    struct buf body;
    buf_init(&body);
    buf_puts(&body, "{\"errcode\":93000,\"errmsg\":\"");
    for (int i = 0; i < 500; i++)
        buf_puts(&body, "错");
    buf_puts(&body, "\"}");
    struct render_answer ans = { 200, body.data, body.len, -1, NULL };
    struct render_verdict v;
    render_classify("wecom", &ans, &v);
    assert_true(v.permanent);
    assert_true(strlen(v.error) < 200);
    assert_true(utf8_valid(v.error, strlen(v.error), NULL));

    /* a body that is not text at all */
    ans = (struct render_answer){ 500, "\x01\xff\xfe\n<x>", 7, -1, NULL };
    render_classify("json", &ans, &v);
    assert_string_equal(v.error, "HTTP 500:  \xef\xbf\xbd\xef\xbf\xbd <x>");
    buf_free(&body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_alert_exact),
        cmocka_unit_test(test_json_retry_keeps_id_and_body),
        cmocka_unit_test(test_test_message),
        cmocka_unit_test(test_wecom_markdown_exact),
        cmocka_unit_test(test_wecom_text_mentions_leader),
        cmocka_unit_test(test_digest_mentions_everyone_once),
        cmocka_unit_test(test_dingtalk_exact),
        cmocka_unit_test(test_feishu_exact),
        cmocka_unit_test(test_digests_exact),
        cmocka_unit_test(test_digest_size_limits),
        cmocka_unit_test(test_alert_too_long_is_cut_on_characters),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_markup_injection_and_bad_bytes),
        cmocka_unit_test(test_render_refusals),
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_classify_error_is_bounded_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
