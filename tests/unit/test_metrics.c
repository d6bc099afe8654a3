/* Unit tests for metrics.c: label values escaped as the text format 0.0.4
 * requires, counters per kind and per receiver and outcome, histogram
 * buckets cumulative, and the gauges left out when unknown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "util.h"

static void
has(const char *text, const char *line)
{
    char *want = xasprintf("\n%s\n", line);
    if (strstr(text, want) == NULL)
        fail_msg("no line '%s' in:\n%s", line, text);
    free(want);
}

static void
lacks(const char *text, const char *what)
{
    if (strstr(text, what) != NULL)
        fail_msg("did not expect '%s' in:\n%s", what, text);
}

static void
test_escape(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    metrics_escape_label(&b, "a\\b \"q\"\nz 涧西区");
    assert_string_equal(b.data, "a\\\\b \\\"q\\\"\\nz 涧西区");
    buf_free(&b);
}

static void
test_counters(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    metrics_receiver(m, "office");
    metrics_alerts_json(m, "{\"milestone.overdue\": 3, \"project.repeated_red\": 1}");
    metrics_alerts_json(m, "{\"milestone.overdue\": 2}");
    metrics_alerts_json(m, "");             /* a batch that inserted nothing */
    metrics_alerts(m, "odd\"kind", 1);      /* from data: escaped */
    metrics_delivery(m, "audit", "delivered", 2, 40);     /* 0.04 s */
    metrics_delivery(m, "audit", "retry", 1, 300);        /* 0.3 s */
    metrics_delivery(m, "audit", "dead", 1, -1);          /* no answer: no latency */
    metrics_delivery(m, "audit", "silenced", 3, -1);
    struct metrics_gauges g = { .version = "1.2", .database_up = 1, .leader = 1, .last_scan_at = -1 };
    char *t = metrics_render(m, &g);
    has(t, "keyproj_build_info{version=\"1.2\"} 1");
    has(t, "# TYPE keyproj_alerts_generated_total counter");
    has(t, "keyproj_alerts_generated_total{kind=\"milestone.overdue\"} 5");
    has(t, "keyproj_alerts_generated_total{kind=\"project.repeated_red\"} 1");
    has(t, "keyproj_alerts_generated_total{kind=\"campaign.missed\"} 0");
    has(t, "keyproj_alerts_generated_total{kind=\"odd\\\"kind\"} 1");
    has(t, "keyproj_deliveries_total{receiver=\"office\",outcome=\"delivered\"} 0");
    has(t, "keyproj_deliveries_total{receiver=\"audit\",outcome=\"delivered\"} 2");
    has(t, "keyproj_deliveries_total{receiver=\"audit\",outcome=\"retry\"} 1");
    has(t, "keyproj_deliveries_total{receiver=\"audit\",outcome=\"dead\"} 1");
    has(t, "keyproj_deliveries_total{receiver=\"audit\",outcome=\"silenced\"} 3");
    has(t, "keyproj_delivery_duration_seconds_bucket{receiver=\"audit\",le=\"0.025\"} 0");
    has(t, "keyproj_delivery_duration_seconds_bucket{receiver=\"audit\",le=\"0.05\"} 1");
    has(t, "keyproj_delivery_duration_seconds_bucket{receiver=\"audit\",le=\"0.25\"} 1");
    has(t, "keyproj_delivery_duration_seconds_bucket{receiver=\"audit\",le=\"0.5\"} 2");
    has(t, "keyproj_delivery_duration_seconds_bucket{receiver=\"audit\",le=\"+Inf\"} 2");
    has(t, "keyproj_delivery_duration_seconds_sum{receiver=\"audit\"} 0.34");
    has(t, "keyproj_delivery_duration_seconds_count{receiver=\"audit\"} 2");
    has(t, "keyproj_database_up 1");
    has(t, "keyproj_leader 1");
    /* unknown: left out, not shown as 0 */
    lacks(t, "keyproj_last_scan_timestamp_seconds");
    lacks(t, "keyproj_outbox_pending");
    lacks(t, "keyproj_projects");
    free(t);
    metrics_free(m);
}

static void
test_gauges(void **state)
{
    (void)state;
    struct metrics_gauges g = {
        .version = "1.2", .leader = -1, .last_scan_at = 1795564800.25, .last_scan_seconds = 0.5,
        .last_scan_ok = 1, .have_counts = true, .outbox_pending = 7, .oldest_pending_age = 12.5,
        .projects_red = 3, .projects_green = 10, .projects_unjudged = 1,
    };
    char *t = metrics_render(NULL, &g);
    has(t, "keyproj_database_up 0");
    lacks(t, "keyproj_leader");
    has(t, "keyproj_last_scan_timestamp_seconds 1795564800.25");
    has(t, "keyproj_last_scan_duration_seconds 0.5");
    has(t, "keyproj_outbox_pending 7");
    has(t, "keyproj_outbox_oldest_pending_age_seconds 12.5");
    has(t, "keyproj_projects{light=\"red\"} 3");
    has(t, "keyproj_projects{light=\"yellow\"} 0");
    has(t, "keyproj_projects{light=\"unjudged\"} 1");
    assert_int_equal(t[strlen(t) - 1], '\n');
    free(t);
    /* NULL metrics: every call is a no-op */
    metrics_alerts(NULL, "x", 1);
    metrics_delivery(NULL, "a", "delivered", 1, 1);
    metrics_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_gauges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
