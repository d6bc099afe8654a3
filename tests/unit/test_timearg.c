/* Unit tests for timearg.c: the times administrators type for `silence add
 * --until` and `--since`, in Asia/Shanghai; anything unclear is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "timearg.h"

#define NOW 1795564800.0    /* 2026-11-25T08:00:00+08:00 */

static void
accepted(const char *s, double want)
{
    double got = 0;
    if (!timearg_parse(s, NOW, &got))
        fail_msg("refused: '%s'", s);
    if (got != want)
        fail_msg("'%s': expected %.0f, got %.0f", s, want, got);
}

static void
test_relative(void **state)
{
    (void)state;
    accepted("+3d", NOW + 3 * 86400);
    accepted("+12h", NOW + 12 * 3600);
    accepted("+30m", NOW + 1800);
    accepted("+2w", NOW + 14 * 86400);
    accepted("-1d", NOW - 86400);
    accepted("+0h", NOW);
}

static void
test_absolute(void **state)
{
    (void)state;
    accepted("2026-12-01", 1796054400.0);                   /* 2026-12-01T00:00+08:00 */
    accepted("2026/12/1", 1796054400.0);
    accepted("2026年12月1日", 1796054400.0);
    accepted("2026-12-01T08:00", 1796054400.0 + 8 * 3600);
    accepted("2026-12-01 08:00", 1796054400.0 + 8 * 3600);
    accepted("2026-12-01T08:00:30", 1796054400.0 + 8 * 3600 + 30);
    accepted("2026-12-01T00:00Z", 1796054400.0 + 8 * 3600);
    accepted("2026-12-01T08:00+08:00", 1796054400.0 + 8 * 3600);
    accepted("2026-12-01T08:00-05:00", 1796054400.0 + 21 * 3600);
    accepted("2026年12月1日 08:00", 1796054400.0 + 8 * 3600);
}

static void
test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "3d", "+3", "+d", "+3x", "+3dd", "+ 3d", "tomorrow", "08:00", "2026-12-32", "2026-02-29",
        "2026-12-01T", "2026-12-01T8:00", "2026-12-01T24:00", "2026-12-01T08:60", "2026-12-01T08:00+8",
        "2026-12-01T08:00 +08:00", "2026-12-01x", "+99999999999d", NULL,
    };
    for (const char *const *s = bad; *s; s++) {
        double t;
        if (timearg_parse(*s, NOW, &t))
            fail_msg("accepted: '%s'", *s);
    }
    double t;
    assert_false(timearg_parse(NULL, NOW, &t));
}

int
main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative),
        cmocka_unit_test(test_absolute),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
