/* Unit tests for sign.c: the three published test vectors exactly, key
 * rotation, and what malformed secrets produce. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sign.h"

#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static char *
webhook(const char *secrets, const char *id, int64_t ts, const char *body, char *err)
{
    return sign_webhook(secrets, id, ts, body, strlen(body), err, 200);
}

static void
test_standard_webhooks_vector(void **state)
{
    (void)state;
    char err[200] = "";
    char *sig = webhook(SW_SECRET, SW_ID, 1614265330, SW_BODY, err);
    assert_non_null(sig);
    assert_string_equal(sig, SW_SIG);
    free(sig);

    /* the key without its prefix is the same key */
    sig = webhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SW_ID, 1614265330, SW_BODY, err);
    assert_string_equal(sig, SW_SIG);
    free(sig);
}

static void
test_standard_webhooks_changes(void **state)
{
    (void)state;
    char err[200];
    /* any change to the id, the timestamp or a byte of the body changes it */
    const char *variants[][3] = {
        {"msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", SW_BODY},
        {SW_ID, "1614265331", SW_BODY},
        {SW_ID, "1614265330", "{\"test\": 2432232315}"},
    };
    for (size_t i = 0; i < 3; i++) {
        char *sig = webhook(SW_SECRET, variants[i][0], atoll(variants[i][1]), variants[i][2], err);
        assert_non_null(sig);
        assert_true(strncmp(sig, "v1,", 3) == 0);
        assert_string_not_equal(sig, SW_SIG);
        free(sig);
    }
}

static void
test_standard_webhooks_rotation(void **state)
{
    (void)state;
    char err[200];
    char *other = webhook("whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLXR3by10d28=", SW_ID, 1614265330,
                          SW_BODY, err);
    assert_non_null(other);
    char *both = webhook("  " SW_SECRET "  whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLXR3by10d28= ",
                         SW_ID, 1614265330, SW_BODY, err);
    assert_non_null(both);
    char want[256];
    snprintf(want, sizeof want, "%s %s", SW_SIG, other);
    assert_string_equal(both, want);
    free(other);
    free(both);
}

/* Signing keeps each secret's keyed HMAC context: the same secret again,
 * more secrets than are kept (40 in turns), an empty body, and after
 * sign_forget must all sign as the first time did. */
static void
test_standard_webhooks_kept_keys(void **state)
{
    (void)state;
    char err[200];
    char *first[40];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++) {
            char secret[64];
            snprintf(secret, sizeof secret, "whsec_c2VjcmV0LW51bWJlci0%03d", i);
            char *sig = webhook(secret, SW_ID, 1614265330 + i, i % 2 ? SW_BODY : "", err);
            assert_non_null(sig);
            if (round == 0)
                first[i] = sig;
            else {
                assert_string_equal(sig, first[i]);
                free(sig);
            }
        }
        char *sig = webhook(SW_SECRET, SW_ID, 1614265330, SW_BODY, err);
        assert_string_equal(sig, SW_SIG);
        free(sig);
        if (round == 1)
            sign_forget();
    }
    for (int i = 1; i < 40; i++)
        assert_string_not_equal(first[i], first[i - 1]);
    for (int i = 0; i < 40; i++)
        free(first[i]);
    sign_forget();
}

static void
test_standard_webhooks_bad_secrets(void **state)
{
    (void)state;
    char err[200];
    assert_null(webhook("whsec_not*base64", SW_ID, 1, "{}", err));
    assert_string_equal(err, "secret 1 of 1 is not valid base64 (whsec_ followed by up to "
                        "256 bytes in base64)");
    assert_null(strstr(err, "not*base64"));     /* the secret is never quoted */
    assert_null(webhook(SW_SECRET " whsec_", SW_ID, 1, "{}", err));
    assert_non_null(strstr(err, "secret 2 of 2"));
    assert_null(webhook("   ", SW_ID, 1, "{}", err));
    assert_null(webhook("whsec_A", SW_ID, 1, "{}", err));  /* 6 bits are no byte */
    assert_null(sign_webhook(NULL, SW_ID, 1, "{}", 2, err, sizeof err));
    assert_null(webhook("a a a a a a a a a", SW_ID, 1, "{}", err));
}

static void
test_dingtalk_vector(void **state)
{
    (void)state;
    char out[SIGN_MAX];
    assert_true(sign_dingtalk("this is secret", 1599360473000LL, out, sizeof out));
    assert_string_equal(out, "hXZTWifRGHclNuZSKxoXc%2F%2Fsh51SWfVfRIhcdeKs63I%3D");
    assert_false(sign_dingtalk("", 1599360473000LL, out, sizeof out));
    assert_false(sign_dingtalk("this is secret", 1599360473000LL, out, 20));
}

static void
test_feishu_vector(void **state)
{
    (void)state;
    char out[SIGN_MAX];
    assert_true(sign_feishu("demo", 1599360473, out, sizeof out));
    assert_string_equal(out, "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
    assert_false(sign_feishu(NULL, 1599360473, out, sizeof out));
}

static void
test_base64(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(sign_base64_encode((const unsigned char *)"f", 1, out, sizeof out), 4);
    assert_string_equal(out, "Zg==");
    assert_int_equal(sign_base64_encode((const unsigned char *)"foob", 4, out, sizeof out), 8);
    assert_string_equal(out, "Zm9vYg==");
    assert_int_equal(sign_base64_encode((const unsigned char *)"foobar", 6, out, 8), 0);

    unsigned char bin[8];
    size_t n = sizeof bin;
    assert_true(sign_base64_decode("Zm9vYmE=", 8, bin, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(bin, "fooba", 5);
    n = sizeof bin;
    assert_true(sign_base64_decode("Zm9vYmE", 7, bin, &n));   /* padding may be left off */
    assert_int_equal(n, 5);
    n = 3;
    assert_false(sign_base64_decode("Zm9vYmE=", 8, bin, &n));  /* no room */
    n = sizeof bin;
    assert_false(sign_base64_decode("Zm9v YmE=", 9, bin, &n));
    n = sizeof bin;
    assert_false(sign_base64_decode("Zm9v-mE=", 8, bin, &n));  /* not the URL alphabet */
}

static void
test_url_encode(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(sign_url_encode("a+b/c=d-_.~", out, sizeof out), 17);
    assert_string_equal(out, "a%2Bb%2Fc%3Dd-_.~");
    assert_int_equal(sign_url_encode("涧", out, sizeof out), 9);
    assert_string_equal(out, "%E6%B6%A7");
    assert_int_equal(sign_url_encode("a+b", out, 4), 0);
}

/* The same ids as SQL's keyproj_webhook_id (test_webhook_id.sh checks the
 * two agree on every alert a receiver gets). */
static void
test_webhook_id(void **state)
{
    (void)state;
    char id[SIGN_WEBHOOK_ID_SIZE];
    sign_webhook_id("milestone.overdue", "milestone:42", "s1", id);
    assert_string_equal(id, "msg_12196ada2fc6bd9fb2dcc86d89");
    sign_webhook_id("project.start_overdue", "project:LY-2026-涧西-007", "2026-11-25", id);
    assert_string_equal(id, "msg_50e9a1719196b8b385e898b304");
    sign_webhook_id("digest", "receiver:city-office", "daily:2026-11-25", id);
    assert_string_equal(id, "msg_bb9345b8735536bfc60f346b76");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_webhooks_vector),
        cmocka_unit_test(test_standard_webhooks_changes),
        cmocka_unit_test(test_standard_webhooks_rotation),
        cmocka_unit_test(test_standard_webhooks_kept_keys),
        cmocka_unit_test(test_standard_webhooks_bad_secrets),
        cmocka_unit_test(test_dingtalk_vector),
        cmocka_unit_test(test_feishu_vector),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_webhook_id),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sign_forget();
    return failed;
}
