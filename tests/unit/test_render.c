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
#include <time.h>
#include <cmocka.h>

#include <jansson.h>

#include "render.h"
#include "render_format.h"
#include "text.h"
#include "util.h"

#define NOW 1762128000999LL         /* 2025-11-03 00:00:00.999 UTC: signatures */
#define SENT 1793667600.0           /* 2026-11-03 09:00 Beijing: the words are said as of then */
#define GOLDEN_SENT 1796551500.0    /* 2026-12-06 18:05 Beijing */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define WECOM_URL "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
/* webhook-ids as the claim gives them (keyproj_webhook_id): of the fixture
 * alert (milestone.overdue, milestone:7, d3) and of a daily digest
 * (digest, receiver:jianxi, daily:2026-11-03) */
#define ALERT_WID "msg_093df11cca4f297b6c66057094"
#define DIGEST_WID "msg_03a176d9b497a2f7f8a3b0f08d"
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
        /* keyproj_webhook_id('milestone.overdue', 'milestone:7', 'd3'): the
         * claim gives it (sql/functions/delivery.sql) */
        .webhook_id = ALERT_WID,
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

/* ---- golden files ---------------------------------------------------------
 * tests/golden/NAME holds the exact body of one rendered message. A
 * difference fails; KEYPROJ_GOLDEN_UPDATE=1 writes the files instead:
 *   KEYPROJ_GOLDEN_UPDATE=1 make check TESTS=tests/unit/test_render */

static void
assert_golden(const char *name, const char *body)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/%s", TOP_SRCDIR, name);
    if (getenv("KEYPROJ_GOLDEN_UPDATE") != NULL && getenv("KEYPROJ_GOLDEN_UPDATE")[0] == '1') {
        FILE *f = fopen(path, "w");
        if (f == NULL)
            fail_msg("cannot write %s", path);
        fprintf(f, "%s\n", body);
        fclose(f);
        return;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("no golden file %s (make it: KEYPROJ_GOLDEN_UPDATE=1 make check TESTS=tests/unit/test_render)",
                 path);
    struct buf want;
    buf_init(&want);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&want, chunk, n);
    fclose(f);
    if (want.len > 0 && want.data[want.len - 1] == '\n')
        want.data[--want.len] = '\0';
    if (want.data == NULL || strcmp(want.data, body) != 0)
        fail_msg("%s differs (KEYPROJ_GOLDEN_UPDATE=1 make check TESTS=tests/unit/test_render to accept)\n"
                 "want: %s\ngot:  %s", name, want.data ? want.data : "", body);
    buf_free(&want);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    struct buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    while (b.len > 0 && b.data[b.len - 1] == '\n')
        b.data[--b.len] = '\0';
    return buf_steal(&b);
}

/* doc/webhooks.md shows these messages as they are rendered. */
static void
test_doc_shows_golden_messages(void **state)
{
    (void)state;
    static const char *const shown[] = {
        "milestone.overdue.json.json", "exact-milestone.overdue.wecom-markdown.json",
        "exact-milestone.overdue.wecom-text.json", "exact-milestone.overdue.dingtalk.json",
        "exact-milestone.overdue.feishu.json",
    };
    char *doc = slurp(TOP_SRCDIR "/doc/webhooks.md");
    for (size_t i = 0; i < ARRAY_LEN(shown); i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/golden/%s", TOP_SRCDIR, shown[i]);
        char *body = slurp(path);
        if (strstr(doc, body) == NULL)
            fail_msg("doc/webhooks.md does not show tests/golden/%s as it is", shown[i]);
        free(body);
    }
    free(doc);
}

/* ---- exact requests ---------------------------------------------------- */

static void
test_json_alert_exact(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "yellow", 0);
    a.sent_at = SENT;
    struct receiver rv = rcv("json", "https://hooks.example.org/kp", SW_SECRET);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.url, "https://hooks.example.org/kp");
    assert_golden("exact-milestone.overdue.json", rq.body);
    assert_string_equal(rq.headers[0], "Content-Type: application/json");
    assert_string_equal(rq.headers[1], "webhook-id: " ALERT_WID);
    assert_string_equal(rq.headers[2], "webhook-timestamp: 1762128000");
    assert_true(str_startswith(rq.headers[3], "webhook-signature: v1,"));   /* test_sign checks the HMAC */
    assert_null(rq.headers[4]);
    render_request_free(&rq);
    json_decref(data);
}

/* A json alert's body is written without jansson's tree; it must still be
 * what jansson's compact dump gives: loaded and dumped again it comes back
 * byte for byte, for payload members of every kind (reals, arrays,
 * escapes in values), and for a payload whose keys need escaping (the
 * tree is built then). The alert's own members shadow the payload's. */
static void
test_json_alert_as_jansson_dumps(void **state)
{
    (void)state;
    const char *payloads[] = {
        "{\"message\": \"payload's words\", \"tier\": 9, \"alert_id\": 1, \"amount\": 1234.5,"
        " \"ratio\": 1e-07, \"list\": [1, \"二\", null, true, false, {}], \"text\": \"a\\nb\\t\\\"c\\\\ \\u0001 \\u007f 涧西\","
        " \"nested\": {\"k\": [[], {\"x\": -0.0}]}}",
        "{\"quo\\\"te\": 1, \"新\": \"键\", \"ctl\\u0002\": 2}",
        "{}",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        json_error_t jerr;
        json_t *data = json_loads(payloads[i], 0, &jerr);
        assert_non_null(data);
        struct alert_view a = fixture_alert(data, i == 2 ? NULL : "red", 1);
        a.sent_at = SENT;
        struct receiver rv = rcv("json", "https://hooks.example.org/kp", SW_SECRET);
        struct render_request rq;
        render_ok(&rv, &a, NOW, &rq);
        json_t *back = json_loads(rq.body, 0, &jerr);
        assert_non_null(back);
        char *again = json_dumps(back, JSON_COMPACT);
        assert_string_equal(rq.body, again);
        json_t *d = json_object_get(back, "data");
        assert_int_equal(json_integer_value(json_object_get(d, "tier")), 1);
        assert_int_equal(json_integer_value(json_object_get(d, "alert_id")), a.id);
        json_t *v;
        const char *key;
        json_object_foreach(data, key, v)
            if (strcmp(key, "tier") != 0 && strcmp(key, "alert_id") != 0 && strcmp(key, "message") != 0)
                assert_true(json_equal(json_object_get(d, key), v));
        free(again);
        json_decref(back);
        render_request_free(&rq);
        json_decref(data);
    }
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
    a.sent_at = SENT;
    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_string_equal(rq.url, WECOM_URL);
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    assert_golden("exact-milestone.overdue.wecom-markdown.json", rq.body);
    assert_int_equal(rq.n_listed, 4);
    assert_int_equal(rq.n_total, 4);
    render_request_free(&rq);
    json_decref(data);
}

static void
test_wecom_text_mentions_leader(void **state)
{
    (void)state;
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "red", 0);
    a.sent_at = SENT;
    struct receiver rv = rcv("wecom", WECOM_URL, NULL);
    struct render_request rq;
    render_ok(&rv, &a, NOW, &rq);
    assert_golden("exact-milestone.overdue.wecom-text.json", rq.body);
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
    a.sent_at = SENT;
    struct receiver rv = rcv("dingtalk", DING_URL, "this is secret");
    struct render_request rq;
    render_ok(&rv, &a, 1599360473000LL, &rq);
    /* The DingTalk test vector, appended as is (not encoded twice) */
    assert_string_equal(rq.url, DING_URL "&timestamp=1599360473000"
                        "&sign=hXZTWifRGHclNuZSKxoXc%2F%2Fsh51SWfVfRIhcdeKs63I%3D");
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    assert_golden("exact-milestone.overdue.dingtalk.json", rq.body);
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
    a.sent_at = SENT;
    struct receiver rv = rcv("feishu", FEISHU_URL, "demo");
    struct render_request rq;
    render_ok(&rv, &a, 1599360473000LL, &rq);
    assert_string_equal(rq.url, FEISHU_URL);
    assert_headers(&rq, (const char *const[]){ "Content-Type: application/json", NULL });
    /* The Feishu test vector, in the body */
    assert_golden("exact-milestone.overdue.feishu.json", rq.body);
    render_request_free(&rq);

    rv.secret = NULL;
    render_ok(&rv, &a, NOW, &rq);
    assert_true(str_startswith(rq.body, "{\"msg_type\":\"post\","));
    render_request_free(&rq);
    json_decref(data);
}

/* web.base_url set: an alert ends with its project's page, a digest's
 * lead line with the 总览 (the goldens above have none). */
static void digest_fixture(const json_t *data, struct alert_view al[3]);
static void render_digest_ok(const char *type, const char *secret, const struct digest_view *d,
                             struct render_request *rq);

static void
test_links_to_the_dashboard(void **state)
{
    (void)state;
    static const char *const types[] = { "wecom", "dingtalk", "feishu", "json" };
    json_t *data = fixture_data();
    struct alert_view a = fixture_alert(data, "yellow", 0);
    a.sent_at = SENT;
    a.base_url = "https://xm.example.gov.cn/keyproj/";
    for (size_t i = 0; i < 4; i++) {
        struct receiver rv = rcv(types[i], strcmp(types[i], "wecom") == 0 ? WECOM_URL : "https://x.example/h",
                                 strcmp(types[i], "json") == 0 ? SW_SECRET : NULL);
        struct render_request rq;
        render_ok(&rv, &a, NOW, &rq);
        char name[64];
        snprintf(name, sizeof name, "link-milestone.overdue.%s.json", types[i]);
        if (strcmp(types[i], "json") != 0)
            assert_non_null(strstr(rq.body, "详情：https://xm.example.gov.cn/keyproj/project/"));
        assert_golden(name, rq.body);
        render_request_free(&rq);
    }
    struct alert_view al[3];
    digest_fixture(data, al);
    struct digest_view d = { .id = "d_2026_11_03", .title = "涧西区每日汇总",
                             .created_at = "2026-11-03T10:00:00Z", .sent_at = SENT,
                             .alerts = al, .n_alerts = 3, .base_url = "https://xm.example.gov.cn/keyproj/" };
    struct render_request rq;
    render_digest_ok("dingtalk", NULL, &d, &rq);
    assert_non_null(strstr(rq.body, "｜详情：https://xm.example.gov.cn/keyproj/"));
    assert_null(strstr(rq.body, "周报下载"));
    assert_golden("link-digest.dingtalk.json", rq.body);
    render_request_free(&rq);
    /* the weekly summary's lead links the week's bulletin workbook too */
    d.title = "周报 2026-W49｜11 月投资完成排名";
    d.bulletin_week = "2026-W49";
    render_digest_ok("feishu", NULL, &d, &rq);
    assert_non_null(strstr(rq.body, "｜详情：https://xm.example.gov.cn/keyproj/｜周报下载："
                                    "https://xm.example.gov.cn/keyproj/bulletin.xlsx?week=2026-W49"));
    render_request_free(&rq);
    d.base_url = NULL;      /* no dashboard, no link */
    render_digest_ok("feishu", NULL, &d, &rq);
    assert_null(strstr(rq.body, "bulletin.xlsx"));
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
                             .created_at = "2026-11-03T10:00:00Z", .sent_at = SENT,
                             .alerts = al, .n_alerts = 3, .webhook_id = DIGEST_WID };
    struct render_request rq;
    /* a red among them: its leader is @-mentioned, as a red sent alone
     * would (WeCom: so a text message, markdown cannot mention) */
    render_digest_ok("wecom", NULL, &d, &rq);
    assert_golden("exact-digest.wecom.json", rq.body);
    assert_int_equal(rq.n_listed, 3);
    render_request_free(&rq);

    render_digest_ok("dingtalk", NULL, &d, &rq);
    assert_golden("exact-digest.dingtalk.json", rq.body);
    render_request_free(&rq);

    /* Feishu cannot @ by mobile: named, with the mobile, in the text */
    render_digest_ok("feishu", NULL, &d, &rq);
    assert_golden("exact-digest.feishu.json", rq.body);
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
    assert_string_equal(rq.headers[1], "webhook-id: " DIGEST_WID);     /* the digest alert's, not its id */
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

/* ---- one golden message per kind and receiver type, and per digest ----- */

#define PROJ(code, name, county) \
    "\"project\":{\"code\":\"" code "\",\"name\":\"" name "\",\"county\":\"" county "\"," \
    "\"sector\":\"industry\",\"level\":\"city\",\"unit\":\"孟津区发改委\",\"leader\":\"王磊\"," \
    "\"leader_mobile\":\"13900000001\"}"

struct kind_case {
    const char *kind, *stage, *light, *payload;
};

static const struct kind_case kind_cases[] = {
    { "milestone.due_soon", "2026-12-10/due-7", "green",
      "{" PROJ("MJ-001", "孟津区城东工业园", "孟津区") ",\"milestone\":{\"id\":11,\"title\":\"机电安装\","
      "\"kind\":\"other\",\"due\":\"2026-12-10\",\"days_overdue\":-7,\"campaign\":\"2026-B6\",\"unit\":\"孟津区发改委\"}}" },
    { "milestone.overdue", "2026-11-10/overdue-16", "red",
      "{" PROJ("MJ-001", "孟津区城东工业园", "孟津区") ",\"milestone\":{\"id\":12,\"title\":\"消防验收\","
      "\"kind\":\"completion\",\"due\":\"2026-11-10\",\"days_overdue\":16,\"campaign\":\"2026-B6\",\"unit\":\"孟津区消防大队\"}}" },
    { "milestone.freeze", "2026/red", "red",
      "{" PROJ("MJ-002", "孟津区实验高中", "孟津区") ",\"milestone\":{\"id\":13,\"title\":\"主体完工\","
      "\"kind\":\"structure\",\"due\":\"2026-11-10\",\"days_overdue\":0,\"campaign\":\"2026-B6\",\"unit\":null}}" },
    { "project.start_overdue", "2026-09-15/2026-12", "red",
      "{" PROJ("MJ-003", "孟津区污水处理厂二期扩建工程", "孟津区") ",\"light_reasons\":[\"start\"],"
      "\"project_light\":\"red\",\"schedule\":{\"planned_start\":\"2026-09-15\",\"planned_end\":\"2027-12-31\"}}" },
    { "project.completion_overdue", "2026-11-30/2026-12", "red",
      "{" PROJ("MJ-004", "孟津区全民健身中心", "孟津区") ",\"light_reasons\":[\"completion\"],"
      "\"project_light\":\"red\",\"schedule\":{\"planned_start\":\"2025-03-01\",\"planned_end\":\"2026-11-30\"}}" },
    { "investment.lagging", "2026-11", "yellow",
      "{" PROJ("MJ-005", "孟津区智能工厂", "孟津区") ",\"light_reasons\":[\"investment\"],"
      "\"project_light\":\"yellow\",\"investment\":{\"month\":\"2026-11\",\"ytd\":8200.0,\"annual_plan\":12000.0,"
      "\"planned_percent\":91.7,\"actual_percent\":68.3,\"behind_points\":23.4}}" },
    { "report.missing", "2026-11/red", "red",
      "{" PROJ("MJ-006", "孟津区养老服务中心", "孟津区") ",\"light_reasons\":[\"report\"],"
      "\"project_light\":\"red\",\"report\":{\"month\":\"2026-11\",\"periods\":2}}" },
    { "progress.stalled", "2026-11/yellow", "yellow",
      "{" PROJ("MJ-007", "孟津区老旧小区改造项目", "孟津区") ",\"light_reasons\":[\"stalled\"],"
      "\"project_light\":\"yellow\",\"progress\":{\"month\":\"2026-11\",\"reports\":2}}" },
    { "approval.overdue", "2026-11-30/overdue-4", "yellow",
      "{" PROJ("MJ-008", "孟津区110千伏输变电工程", "孟津区") ",\"approval\":{\"id\":21,\"item\":\"施工许可\","
      "\"planned_on\":\"2026-11-30\",\"days_overdue\":4,\"unit\":\"孟津区住建局\"}}" },
    { "problem.overdue", "2026-11-20/red", "red",
      "{" PROJ("MJ-009", "孟津区新材料产业园", "孟津区") ",\"problem\":{\"id\":31,\"category\":\"land\","
      "\"severity\":\"normal\",\"description\":\"用地指标未落实\",\"time_limit\":\"2026-11-20\",\"unit\":\"孟津区自然资源局\"}}" },
    { "project.repeated_red", "2026-11", "red",
      "{" PROJ("MJ-010", "孟津区抽水蓄能电站", "孟津区") ",\"light_reasons\":[\"milestone\"],"
      "\"project_light\":\"red\",\"supervision\":{\"kind\":\"supervision\",\"to_unit\":\"孟津区发改委\","
      "\"reply_due\":\"2026-12-08\"},\"red_months\":[\"2026-10\",\"2026-11\"]}" },
    { "campaign.at_risk", "2026-12-17", "yellow",
      "{\"campaign\":{\"code\":\"2026-B6\",\"name\":\"2026年第六期双月攻坚\",\"starts_on\":\"2026-11-01\","
      "\"ends_on\":\"2026-12-31\",\"county\":\"孟津区\",\"sector\":\"industry\",\"measure\":\"starts\","
      "\"target\":12.0,\"actual\":5.0}}" },
    { "campaign.missed", "2026-10-31", "red",
      "{\"campaign\":{\"code\":\"2026-B5\",\"name\":\"2026年第五期双月攻坚\",\"starts_on\":\"2026-09-01\","
      "\"ends_on\":\"2026-10-31\",\"county\":null,\"sector\":null,\"measure\":\"investment\","
      "\"target\":50000.0,\"actual\":41230.0}}" },
};

static const char *const golden_types[] = { "json", "wecom", "dingtalk", "feishu" };

static json_t *
case_payload(const struct kind_case *k)
{
    json_error_t e;
    json_t *p = json_loads(k->payload, 0, &e);
    if (p == NULL)
        fail_msg("%s: %s", k->kind, e.text);
    /* what scan adds to every payload (the stored words are stale on purpose) */
    json_object_set_new(p, "type", json_string(k->kind));
    json_object_set_new(p, "stage", json_string(k->stage));
    json_object_set_new(p, "light", json_string(k->light));
    json_object_set_new(p, "message", json_string("（扫描时的文字，发送时不再使用）"));
    return p;
}

static void
render_any(const char *type, const struct alert_view *a, const struct digest_view *d,
           struct render_request *rq)
{
    struct receiver rv = rcv(type, "https://x.example/h", str_eq(type, "json") ? SW_SECRET : NULL);
    char err[256] = "";
    bool ok = a != NULL ? render_alert(&rv, a, NOW, rq, err, sizeof err)
                        : render_digest(&rv, d, NOW, rq, err, sizeof err);
    if (!ok)
        fail_msg("render failed: %s", err);
    assert_true(utf8_valid(rq->body, rq->body_len, NULL));
}

static void
test_golden_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(kind_cases); i++) {
        const struct kind_case *k = &kind_cases[i];
        json_t *p = case_payload(k);
        struct alert_view a = {
            .id = 780 + (int64_t)i, .kind = k->kind, .stage = k->stage, .light = k->light,
            .created_at = "2026-12-06T02:00:00Z", .message = json_string_value(json_object_get(p, "message")),
            .tier = str_eq(k->light, "red") ? 1 : 0, .data = p, .sent_at = GOLDEN_SENT,
            .webhook_id = ALERT_WID,
        };
        for (size_t t = 0; t < ARRAY_LEN(golden_types); t++) {
            struct render_request rq;
            render_any(golden_types[t], &a, NULL, &rq);
            char name[128];
            snprintf(name, sizeof name, "%s.%s.json", k->kind, golden_types[t]);
            assert_golden(name, rq.body);
            /* said once: the stored words never, the project's name once */
            assert_null(strstr(rq.body, "扫描时的文字"));
            const char *pname = json_string_value(json_object_get(json_object_get(p, "project"), "name"));
            if (pname != NULL && !str_eq(golden_types[t], "json")) {
                const char *first = strstr(rq.body, pname);
                assert_non_null(first);
                /* the title; dingtalk repeats it as its own "title" field */
                const char *again = strstr(first + strlen(pname), pname);
                if (str_eq(golden_types[t], "dingtalk") && again != NULL)
                    again = strstr(again + strlen(pname), pname);
                if (again != NULL)
                    fail_msg("%s.%s names the project twice", k->kind, golden_types[t]);
            }
            render_request_free(&rq);
        }
        json_decref(p);
    }
}

/* A daily digest as deliver_digest.c writes its items. */
static json_t *
daily_items(void)
{
    json_t *v = json_loads(
        "[{\"kind\":\"milestone.overdue\",\"light\":\"red\",\"new\":false,\"message\":\"旧\","
        "\"project\":{\"code\":\"MJ-001\",\"name\":\"孟津区城东工业园\",\"county\":\"孟津区\"},"
        "\"milestone\":{\"id\":12,\"title\":\"消防验收\",\"due\":\"2026-11-10\"}},"
        "{\"kind\":\"milestone.overdue\",\"light\":\"yellow\",\"new\":true,\"message\":\"旧\","
        "\"project\":{\"code\":\"JX-001\",\"name\":\"洛阳新材料产业园\",\"county\":\"涧西区\"},"
        "\"milestone\":{\"id\":7,\"title\":\"施工许可\",\"due\":\"2026-12-05\"}},"
        "{\"kind\":\"milestone.overdue\",\"light\":\"red\",\"new\":false,\"message\":\"旧\","
        "\"project\":{\"code\":\"MJ-002\",\"name\":\"孟津区实验高中\",\"county\":\"孟津区\"},"
        "\"milestone\":{\"id\":14,\"title\":\"主体完工\",\"due\":\"2026-11-14\"}},"
        "{\"kind\":\"milestone.due_soon\",\"light\":\"yellow\",\"new\":false,\"message\":\"旧\","
        "\"project\":{\"code\":\"MJ-001\",\"name\":\"孟津区城东工业园\",\"county\":\"孟津区\"},"
        "\"milestone\":{\"id\":11,\"title\":\"机电安装\",\"due\":\"2026-12-10\"}},"
        "{\"kind\":\"milestone.due_soon\",\"light\":\"yellow\",\"new\":false,\"message\":\"旧\","
        "\"project\":{\"code\":\"YS-001\",\"name\":\"偃师区全民健身中心\",\"county\":\"偃师区\"},"
        "\"milestone\":{\"id\":21,\"title\":\"竣工验收\",\"due\":\"2026-12-06\"}}]", 0, NULL);
    assert_non_null(v);
    return v;
}

static size_t
views_of_items(const json_t *items, struct alert_view *views)
{
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        views[i] = (struct alert_view){
            .kind = json_string_value(json_object_get(it, "kind")), .stage = "",
            .light = json_string_value(json_object_get(it, "light")),
            .created_at = "2026-12-06T00:30:00Z", .message = json_string_value(json_object_get(it, "message")),
            .data = it, .sent_at = GOLDEN_SENT, .fresh = json_is_true(json_object_get(it, "new")),
        };
    }
    return json_array_size(items);
}

static void
test_golden_digests(void **state)
{
    (void)state;
    json_t *items = daily_items();
    struct alert_view views[8];
    size_t n = views_of_items(items, views);
    struct digest_view d = { .id = "1042", .title = "每日汇总 2026-12-06｜逾期 3 项，本周到期 2 项｜项目红灯 2 黄灯 3 绿灯 41",
                             .created_at = "2026-12-06T00:30:00Z", .sent_at = GOLDEN_SENT,
                             .alerts = views, .n_alerts = n, .webhook_id = DIGEST_WID };
    for (size_t t = 0; t < ARRAY_LEN(golden_types); t++) {
        struct render_request rq;
        render_any(golden_types[t], NULL, &d, &rq);
        char name[128];
        snprintf(name, sizeof name, "digest-daily.%s.json", golden_types[t]);
        assert_golden(name, rq.body);
        if (!str_eq(golden_types[t], "json")) {
            /* grouped: each county and each project once; new first, then reds, then days */
            const char *mj = strstr(rq.body, "孟津区城东工业园");
            assert_non_null(mj);
            assert_null(strstr(mj + 1, "孟津区城东工业园"));
            assert_non_null(strstr(rq.body, "孟津区城东工业园：「消防验收」逾期26天、「机电安装」还有4天"));
            const char *jx = strstr(rq.body, "涧西区"), *mjc = strstr(rq.body, "实验高中"),
                       *ys = strstr(rq.body, "偃师区全民健身中心：「竣工验收」今天到期");
            assert_true(jx != NULL && mjc != NULL && ys != NULL);
            assert_true(jx < mj && mj < mjc && mjc < ys);
            assert_non_null(strstr(rq.body, "「施工许可」逾期1天（新）"));
            assert_null(strstr(rq.body, "节点逾期"));    /* the kind is in the words */
            assert_null(strstr(rq.body, "旧"));
        }
        render_request_free(&rq);
    }
    json_decref(items);

    /* the weekly summary: ranking lines keep their order */
    items = json_loads("[{\"kind\":\"rank\",\"lag_light\":\"green\",\"message\":\"城区组第 1 名 涧西区：完成 95.2%，序时 91.7%，超 3.5 个百分点\","
                       "\"project\":{\"county\":\"涧西区\"}},"
                       "{\"kind\":\"rank\",\"lag_light\":\"red\",\"message\":\"城区组第 2 名 西工区：完成 60.1%，序时 91.7%，落后 31.6 个百分点\","
                       "\"project\":{\"county\":\"西工区\"}},"
                       "{\"kind\":\"rank\",\"lag_light\":\"yellow\",\"message\":\"县组第 1 名 孟津区：完成 80.0%，序时 91.7%，落后 11.7 个百分点\","
                       "\"project\":{\"county\":\"孟津区\"}},"
                       "{\"kind\":\"rank\",\"message\":\"11月月报未报齐：老城区、嵩县\","
                       "\"unreported\":[{\"county\":\"老城区\",\"missing\":2,\"projects\":31},"
                       "{\"county\":\"嵩县\",\"missing\":30,\"projects\":30}]}]", 0, NULL);
    assert_non_null(items);
    n = views_of_items(items, views);
    d.id = "1043";
    d.title = "周报 2026-W49｜11 月投资完成排名｜逾期 3 项，本周到期 2 项｜项目红灯 2 黄灯 3 绿灯 41";
    d.n_alerts = n;
    for (size_t t = 0; t < ARRAY_LEN(golden_types); t++) {
        struct render_request rq;
        render_any(golden_types[t], NULL, &d, &rq);
        char name[128];
        snprintf(name, sizeof name, "digest-weekly.%s.json", golden_types[t]);
        assert_golden(name, rq.body);
        const char *a = strstr(rq.body, "城区组第 1 名 涧西区"), *b = strstr(rq.body, "城区组第 2 名 西工区"),
                   *c = strstr(rq.body, "县组第 1 名 孟津区");
        const char *u = strstr(rq.body, "11月月报未报齐：老城区、嵩县");    /* named, not ranked */
        assert_true(a != NULL && b != NULL && c != NULL && u != NULL && a < b && b < c && c < u);
        render_request_free(&rq);
    }
    json_decref(items);

    /* a chat receiver's merged window, in two parts */
    json_t *ps[ARRAY_LEN(kind_cases)];
    struct alert_view al[ARRAY_LEN(kind_cases)];
    for (size_t i = 0; i < ARRAY_LEN(kind_cases); i++) {
        ps[i] = case_payload(&kind_cases[i]);
        al[i] = (struct alert_view){
            .id = 780 + (int64_t)i, .kind = kind_cases[i].kind, .stage = kind_cases[i].stage,
            .light = kind_cases[i].light, .created_at = "2026-12-06T02:00:00Z",
            .message = "（扫描时的文字，发送时不再使用）", .data = ps[i], .sent_at = GOLDEN_SENT,
        };
    }
    size_t order[ARRAY_LEN(kind_cases)];
    render_digest_order(al, ARRAY_LEN(al), GOLDEN_SENT, order);
    struct alert_view sorted[ARRAY_LEN(kind_cases)];
    for (size_t i = 0; i < ARRAY_LEN(al); i++)
        sorted[i] = al[order[i]];
    struct digest_view g = { .id = "g780", .created_at = "2026-12-06T18:05:00+08:00", .sent_at = GOLDEN_SENT,
                             .alerts = sorted, .n_alerts = ARRAY_LEN(sorted), .part = 1, .parts = 2,
                             .webhook_id = DIGEST_WID };
    for (size_t t = 0; t < ARRAY_LEN(golden_types); t++) {
        struct render_request rq;
        render_any(golden_types[t], NULL, &g, &rq);
        char name[128];
        snprintf(name, sizeof name, "digest-merged.%s.json", golden_types[t]);
        assert_golden(name, rq.body);
        if (!str_eq(golden_types[t], "json"))
            assert_non_null(strstr(rq.body, "重点项目提醒汇总（1/2）"));
        assert_null(strstr(rq.body, "扫描时的文字"));
        render_request_free(&rq);
    }
    for (size_t i = 0; i < ARRAY_LEN(kind_cases); i++)
        json_decref(ps[i]);
}

/* ---- limits, truncation, cleaning --------------------------------------- */

/* n alerts, each about a project of its own with a long name, in one of
 * five counties; every 7th red. Their payloads are kept in *datas. */
static struct alert_view *
many_alerts(size_t n, json_t **datas)
{
    static const char *const counties[] = { "涧西区", "洛龙区", "孟津区", "偃师区", "伊川县" };
    struct alert_view *al = xcalloc(n, sizeof *al);
    *datas = json_array();
    for (size_t i = 0; i < n; i++) {
        char code[32], name[160], due[16];
        snprintf(code, sizeof code, "LY-%04zu", i + 1);
        snprintf(name, sizeof name, "第%zu号重点项目产业园标准化厂房及配套基础设施建设项目", i + 1);
        snprintf(due, sizeof due, "2026-10-%02zu", i % 28 + 1);
        json_t *d = json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s}}", "project", "code", code, "name", name,
                              "county", counties[i % 5], "milestone", "title", "主体结构封顶", "due", due);
        json_array_append_new(*datas, d);
        al[i] = fixture_alert(d, i % 7 == 0 ? "red" : "yellow", 0);
        al[i].id = (int64_t)i + 1;
        al[i].sent_at = SENT;
    }
    return al;
}

static void
check_digest_limit(const char *type, size_t n, size_t limit)
{
    json_t *datas;
    struct alert_view *al = many_alerts(n, &datas);
    struct digest_view d = { .id = "big", .created_at = "2026-11-03T18:00:00+08:00", .sent_at = SENT,
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
    json_decref(datas);
    free(al);
}

static void
test_digest_size_limits(void **state)
{
    (void)state;
    check_digest_limit("wecom", 300, RENDER_WECOM_MARKDOWN_MAX);
    check_digest_limit("dingtalk", 1000, RENDER_DINGTALK_BODY_MAX);
    check_digest_limit("feishu", 1000, RENDER_FEISHU_BODY_MAX);
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
    assert_non_null(strstr(content, "…\n……其余 4 项从略"));
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
    struct digest_view d = { .id = "bad id", .alerts = &a, .n_alerts = 1, .webhook_id = DIGEST_WID };
    assert_false(render_digest(&rv, &d, NOW, &rq, err, sizeof err));
    assert_non_null(strstr(err, "digest id"));

    /* no webhook-id from the claim: nothing made up (a row id would not
     * survive a failover), nothing sent */
    a.webhook_id = NULL;
    assert_false(render_alert(&rv, &a, NOW, &rq, err, sizeof err));
    assert_string_equal(err, "receiver 'test': no webhook-id for the message");
    assert_null(rq.body);
    d.id = "d1";
    d.webhook_id = NULL;
    assert_false(render_digest(&rv, &d, NOW, &rq, err, sizeof err));
    assert_string_equal(err, "receiver 'test': no webhook-id for the message");
    assert_null(rq.body);
    /* a chat robot's message carries none, and needs none */
    rv = rcv("wecom", WECOM_URL, NULL);
    assert_true(render_alert(&rv, &a, NOW, &rq, err, sizeof err));
    render_request_free(&rq);
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
    setenv("TZ", "Asia/Shanghai", 1);       /* what clock_set_zone does in the daemon */
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_alert_exact),
        cmocka_unit_test(test_json_alert_as_jansson_dumps),
        cmocka_unit_test(test_json_retry_keeps_id_and_body),
        cmocka_unit_test(test_test_message),
        cmocka_unit_test(test_wecom_markdown_exact),
        cmocka_unit_test(test_links_to_the_dashboard),
        cmocka_unit_test(test_wecom_text_mentions_leader),
        cmocka_unit_test(test_digest_mentions_everyone_once),
        cmocka_unit_test(test_dingtalk_exact),
        cmocka_unit_test(test_feishu_exact),
        cmocka_unit_test(test_digests_exact),
        cmocka_unit_test(test_golden_kinds),
        cmocka_unit_test(test_golden_digests),
        cmocka_unit_test(test_doc_shows_golden_messages),
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
