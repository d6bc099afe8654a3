/* Unit tests for pace.c: the robots' published limits, and a robot's id:
 * stable whatever signature a URL carries, different for another key, and
 * never holding the key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pace.h"

static void
test_limits(void **state)
{
    (void)state;
    assert_int_equal(pace_limit("wecom")->per_minute, 20);
    assert_int_equal(pace_limit("wecom")->per_second, 0);
    assert_int_equal(pace_limit("dingtalk")->per_minute, 20);
    assert_int_equal(pace_limit("feishu")->per_minute, 100);
    assert_int_equal(pace_limit("feishu")->per_second, 5);
    assert_null(pace_limit("json"));
    assert_null(pace_limit(NULL));
}

static void
test_id_shape(void **state)
{
    (void)state;
    char id[PACE_ID_MAX];
    assert_true(pace_robot_id("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY", id));
    assert_int_equal(strlen(id), strlen("wecom:") + 32);
    assert_true(strncmp(id, "wecom:", 6) == 0);
    assert_null(strstr(id, "SECRETKEY"));
    for (const char *p = id + 6; *p; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
}

static void
test_id_same_robot(void **state)
{
    (void)state;
    char a[PACE_ID_MAX], b[PACE_ID_MAX], c[PACE_ID_MAX], d[PACE_ID_MAX];
    const char *plain = "https://oapi.dingtalk.com/robot/send?access_token=T1";
    assert_true(pace_robot_id("dingtalk", plain, a));
    /* the signature DingTalk's signed URL adds, in any place */
    assert_true(pace_robot_id("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=T1"
                                          "&timestamp=1700000000000&sign=abc%2B%3D", b));
    assert_true(pace_robot_id("dingtalk", "https://oapi.dingtalk.com/robot/send?timestamp=1&access_token=T1"
                                          "&sign=x", c));
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    /* scheme and host are case-insensitive; a fragment is not sent */
    assert_true(pace_robot_id("dingtalk", "HTTPS://OAPI.DingTalk.com/robot/send?access_token=T1#x", d));
    assert_string_equal(a, d);
}

static void
test_id_other_robot(void **state)
{
    (void)state;
    char a[PACE_ID_MAX], b[PACE_ID_MAX], c[PACE_ID_MAX];
    assert_true(pace_robot_id("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1", a));
    assert_true(pace_robot_id("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K2", b));
    assert_string_not_equal(a, b);
    /* the key's case matters (the path's too): only the host is folded */
    assert_true(pace_robot_id("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1", c));
    assert_string_not_equal(a, c);
    /* Feishu's token is in the path */
    assert_true(pace_robot_id("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/AAA", a));
    assert_true(pace_robot_id("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/BBB", b));
    assert_string_not_equal(a, b);
    /* a parameter merely starting like a signature's is kept */
    assert_true(pace_robot_id("wecom", "https://h/send?key=K1&signature=1", b));
    assert_true(pace_robot_id("wecom", "https://h/send?key=K1", c));
    assert_string_not_equal(b, c);
}

static void
test_id_refused(void **state)
{
    (void)state;
    char id[PACE_ID_MAX];
    assert_false(pace_robot_id("wecom", "no-scheme", id));
    assert_false(pace_robot_id("wecom", "https://", id));
    assert_false(pace_robot_id("wecom", NULL, id));
    assert_string_equal(id, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_id_shape),
        cmocka_unit_test(test_id_same_robot),
        cmocka_unit_test(test_id_other_robot),
        cmocka_unit_test(test_id_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
