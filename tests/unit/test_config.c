/* Unit tests for config.c: keyprojd.conf as an administrator writes it
 * becomes a validated struct config; every refusal says "FILE:LINE: what"
 * and never quotes a secret; nothing leaks on the way out (run under ASan). */
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
#include "util.h"

/* The documented example configuration, filled in the way a city's project office would. */
static const char full_conf[] =
    "timezone = \"Asia/Urumqi\";\n"                                          /*  1 */
    "log_level = \"debug\";\n"                                               /*  2 */
    "database = { conninfo = \"host=db.example port=5433 dbname=keyproj "
    "user=keyprojd password=s3cret\";\n"                                     /*  3 */
    "             reconnect_max_seconds = 60; };\n"                          /*  4 */
    "control = {\n"                                                          /*  5 */
    "    socket = \"/run/kp/ctl.sock\";\n"
    "    group = \"keyproj\"; mode = \"0640\";\n"
    "    admins = [ \"root\", \"@keyproj-admin\" ];\n"
    "    operators = [ \"@keyproj\", \"zhangsan\" ];\n"
    "    max_clients = 16; max_line_bytes = 4096; max_body_bytes = 1048576;\n"
    "    max_args = 32; idle_timeout_seconds = 120;\n"
    "};\n"
    "alerts = {\n"
    "    due_soon_days = [ 14, 7, 3, 1 ];\n"
    "    overdue_repeat_days = 2;\n"
    "    quiet_hours = \"21:30-07:45\";\n"
    "    holidays = \"" TOP_SRCDIR "/etc/holidays.conf\"; hold_on_rest_days = false;\n"
    "};\n"
    "receivers = (\n"
    "  { name = \"city-office\"; type = \"wecom\";\n"
    "    url = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY1\"; },\n"
    "  { name = \"jianxi\"; type = \"dingtalk\";\n"
    "    url = \"https://oapi.dingtalk.com/robot/send?access_token=TOK2\"; secret = \"SECabc\";\n"
    "    match = { county = [ \"涧西区\", \"洛龙区\" ];\n"
    "              sector = [ \"产业\", \"城建\", \"infrastructure\", \"社会民生\" ];\n"
    "              level = [ \"省\", \"市级\" ];\n"
    "              light = [ \"红\", \"黄灯\", \"Green\" ]; }; },\n"
    "  { name = \"leaders\"; type = \"feishu\";\n"
    "    url = \"https://open.feishu.cn/open-apis/bot/v2/hook/HOOK3\";\n"
    "    proxy = \"http://proxy.example:3128\";\n"
    "    max_concurrency = 2; rate_per_minute = 10; timeout_seconds = 5;\n"
    "    match = { stage = [ \"leader\", \"office\" ]; }; },\n"
    "  { name = \"audit-feed\"; type = \"json\"; url = \"http://audit.example/hooks/keyproj\";\n"
    "    secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\";\n"
    "    match = { kind = [ \"milestone.overdue\", \"project.repeated_red\" ]; }; }\n"
    ");\n";

static struct config *
load_ok(const char *text)
{
    char err[512] = "";
    struct config *cfg = config_load_string(text, "t.conf", err, sizeof err);
    if (cfg == NULL)
        fail_msg("refused: %s", err);
    return cfg;
}

/* The message must be exactly want, and no secret may leak into it. */
static void
assert_refused(const char *text, const char *want)
{
    char err[512];
    memset(err, 'x', sizeof err - 1);
    err[sizeof err - 1] = '\0';
    struct config *cfg = config_load_string(text, "t.conf", err, sizeof err);
    if (cfg != NULL) {
        config_free(cfg);
        fail_msg("accepted, want \"%s\":\n%s", want, text);
    }
    assert_string_equal(err, want);
    static const char *const secrets[] = {
        "s3cret", "KEY1", "TOK2", "SECabc", "whsec_abc", "MfKQ9r8", "HOOK3", "ftp://", "qyapi",
    };
    for (size_t i = 0; i < ARRAY_LEN(secrets); i++)
        if (strstr(err, secrets[i]) != NULL)
            fail_msg("message leaks '%s': %s", secrets[i], err);
}

static void
assert_matcher(const struct matcher *m, const char *const *want)
{
    size_t n = 0;
    for (; want[n] != NULL; n++) {
        if (n >= m->n)
            fail_msg("matcher has %zu values, want more (next '%s')", m->n, want[n]);
        assert_string_equal(m->v[n], want[n]);
    }
    assert_int_equal(m->n, n);
}

#define MATCHER(m, ...) assert_matcher(m, (const char *const[]){__VA_ARGS__, NULL})
#define MATCHER_EMPTY(m) assert_int_equal((m)->n, 0)

static void
test_full_config(void **state)
{
    (void)state;
    struct config *cfg = load_ok(full_conf);
    assert_string_equal(cfg->path, "t.conf");
    assert_string_equal(cfg->timezone, "Asia/Urumqi");
    assert_int_equal(cfg->log_level, LOG_DEBUG);
    assert_string_equal(cfg->db_conninfo,
                        "host=db.example port=5433 dbname=keyproj user=keyprojd password=s3cret");
    assert_int_equal(cfg->db_reconnect_max, 60);

    assert_string_equal(cfg->ctl_socket, "/run/kp/ctl.sock");
    assert_string_equal(cfg->ctl_group, "keyproj");
    assert_int_equal(cfg->ctl_mode, 0640);
    assert_int_equal(cfg->admins.n, 2);
    assert_string_equal(cfg->admins.v[0].name, "root");
    assert_false(cfg->admins.v[0].is_group);
    assert_string_equal(cfg->admins.v[1].name, "keyproj-admin");
    assert_true(cfg->admins.v[1].is_group);
    assert_int_equal(cfg->operators.n, 2);
    assert_string_equal(cfg->operators.v[0].name, "keyproj");
    assert_true(cfg->operators.v[0].is_group);
    assert_string_equal(cfg->operators.v[1].name, "zhangsan");
    assert_false(cfg->operators.v[1].is_group);
    assert_int_equal(cfg->ctl_max_clients, 16);
    assert_int_equal(cfg->ctl_max_line, 4096);
    assert_int_equal(cfg->ctl_max_body, 1048576);
    assert_int_equal(cfg->ctl_max_args, 32);
    assert_int_equal(cfg->ctl_idle_timeout, 120);

    assert_int_equal(cfg->n_due_soon_days, 4);
    assert_int_equal(cfg->due_soon_days[0], 14);
    assert_int_equal(cfg->due_soon_days[1], 7);
    assert_int_equal(cfg->due_soon_days[2], 3);
    assert_int_equal(cfg->due_soon_days[3], 1);
    assert_int_equal(cfg->overdue_repeat_days, 2);
    assert_string_equal(cfg->quiet_hours, "21:30-07:45");
    assert_int_equal(cfg->quiet_start_min, 21 * 60 + 30);
    assert_int_equal(cfg->quiet_end_min, 7 * 60 + 45);
    assert_string_equal(cfg->holidays, TOP_SRCDIR "/etc/holidays.conf");
    assert_non_null(cfg->rest_days);        /* read at load: a bad file is a bad config */
    assert_false(cfg->hold_on_rest_days);

    assert_int_equal(cfg->n_receivers, 4);
    const struct receiver *r = &cfg->receivers[0];
    assert_string_equal(r->name, "city-office");
    assert_string_equal(r->type, "wecom");
    assert_string_equal(r->url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY1");
    assert_null(r->secret);
    assert_null(r->proxy);
    assert_int_equal(r->max_concurrency, 1);        /* chat robot defaults */
    assert_int_equal(r->rate_per_minute, 20);
    assert_int_equal(r->timeout_seconds, 20);
    MATCHER_EMPTY(&r->county);
    MATCHER_EMPTY(&r->sector);
    MATCHER_EMPTY(&r->level);
    MATCHER_EMPTY(&r->kind);
    MATCHER_EMPTY(&r->light);
    MATCHER_EMPTY(&r->stage);

    r = &cfg->receivers[1];
    assert_string_equal(r->name, "jianxi");
    assert_string_equal(r->type, "dingtalk");
    assert_string_equal(r->url, "https://oapi.dingtalk.com/robot/send?access_token=TOK2");
    assert_string_equal(r->secret, "SECabc");
    MATCHER(&r->county, "涧西区", "洛龙区");
    MATCHER(&r->sector, "industry", "urban", "infrastructure", "livelihood");
    MATCHER(&r->level, "province", "city");
    MATCHER(&r->light, "red", "yellow", "green");
    MATCHER_EMPTY(&r->kind);
    MATCHER_EMPTY(&r->stage);

    r = &cfg->receivers[2];
    assert_string_equal(r->name, "leaders");
    assert_string_equal(r->type, "feishu");
    assert_null(r->secret);
    assert_string_equal(r->proxy, "http://proxy.example:3128");
    assert_int_equal(r->max_concurrency, 2);
    assert_int_equal(r->rate_per_minute, 10);
    assert_int_equal(r->timeout_seconds, 5);
    MATCHER(&r->stage, "leader", "office");
    MATCHER_EMPTY(&r->county);

    r = &cfg->receivers[3];
    assert_string_equal(r->name, "audit-feed");
    assert_string_equal(r->type, "json");
    assert_string_equal(r->url, "http://audit.example/hooks/keyproj");
    assert_string_equal(r->secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_int_equal(r->max_concurrency, 4);        /* generic webhook defaults */
    assert_int_equal(r->rate_per_minute, 600);
    MATCHER(&r->kind, "milestone.overdue", "project.repeated_red");
    config_free(cfg);
}

/* A chat robot's published limit is its receivers' default rate and their
 * ceiling: a higher rate is refused, naming the limit. */
static void
test_robot_rate_limits(void **state)
{
    (void)state;
    struct config *cfg = load_ok("receivers = (\n"
        "  { name = \"w\"; type = \"wecom\"; url = \"https://h/send?key=K\"; },\n"
        "  { name = \"d\"; type = \"dingtalk\"; url = \"https://h/robot/send?access_token=T\"; },\n"
        "  { name = \"f\"; type = \"feishu\"; url = \"https://h/hook/H\"; },\n"
        "  { name = \"f2\"; type = \"feishu\"; url = \"https://h/hook/H\"; rate_per_minute = 30; }\n"
        ");\n");
    assert_int_equal(cfg->receivers[0].rate_per_minute, 20);
    assert_int_equal(cfg->receivers[1].rate_per_minute, 20);
    assert_int_equal(cfg->receivers[2].rate_per_minute, 100);
    assert_int_equal(cfg->receivers[3].rate_per_minute, 30);
    config_free(cfg);
    assert_refused("receivers = ( { name = \"w\"; type = \"wecom\"; url = \"https://h/send?key=K\";"
                   " rate_per_minute = 21; } );\n",
                   "t.conf:1: receiver 'w': rate_per_minute 21 is over the WeCom group robot's published limit"
                   " of 20 messages a minute (it answers errcode 45009 when over): set 20 or less");
    assert_refused("receivers = ( { name = \"f\"; type = \"feishu\"; url = \"https://h/hook/H\";"
                   " rate_per_minute = 101; } );\n",
                   "t.conf:1: receiver 'f': rate_per_minute 101 is over the Feishu custom bot's published limit"
                   " of 100 messages a minute (it answers code 9499 or 11232 when over): set 100 or less");
}

static void
assert_defaults_control(const struct config *cfg)
{
    assert_string_equal(cfg->ctl_socket, "/run/keyprojd/control.sock");
    assert_int_equal(cfg->ctl_mode, 0660);
    assert_int_equal(cfg->admins.n, 1);
    assert_string_equal(cfg->admins.v[0].name, "root");
    assert_false(cfg->admins.v[0].is_group);
    assert_int_equal(cfg->operators.n, 0);
    assert_int_equal(cfg->ctl_max_clients, 64);
    assert_int_equal(cfg->ctl_max_line, 8192);
    assert_int_equal(cfg->ctl_max_body, 256u << 20);
    assert_int_equal(cfg->ctl_max_args, 64);
    assert_int_equal(cfg->ctl_idle_timeout, 30);
}

static void
assert_defaults_alerts(const struct config *cfg)
{
    assert_int_equal(cfg->n_due_soon_days, 3);
    assert_int_equal(cfg->due_soon_days[0], 7);
    assert_int_equal(cfg->due_soon_days[1], 3);
    assert_int_equal(cfg->due_soon_days[2], 1);
    assert_int_equal(cfg->overdue_repeat_days, 3);
    assert_string_equal(cfg->quiet_hours, "22:00-08:00");
    assert_int_equal(cfg->quiet_start_min, 22 * 60);
    assert_int_equal(cfg->quiet_end_min, 8 * 60);
    assert_null(cfg->holidays);
    assert_null(cfg->rest_days);
    assert_true(cfg->hold_on_rest_days);
}

static void
test_defaults(void **state)
{
    (void)state;
    struct config *cfg = load_ok("");
    assert_string_equal(cfg->timezone, "Asia/Shanghai");
    assert_int_equal(cfg->log_level, LOG_INFO);
    assert_string_equal(cfg->db_conninfo, "dbname=keyproj");
    assert_int_equal(cfg->db_reconnect_max, 30);
    assert_null(cfg->ctl_group);
    assert_defaults_control(cfg);
    assert_defaults_alerts(cfg);
    assert_int_equal(cfg->n_receivers, 0);
    config_free(cfg);

    /* groups present but holding only some keys: the rest keep defaults */
    cfg = load_ok("database = { };\n"
                  "control = { group = \"keyproj\"; };\n"
                  "alerts = { holidays = \"" TOP_SRCDIR "/etc/holidays.conf\"; };\n"
                  "receivers = ( );\n");
    assert_string_equal(cfg->ctl_group, "keyproj");
    assert_defaults_control(cfg);
    assert_int_equal(cfg->n_due_soon_days, 3);
    assert_int_equal(cfg->overdue_repeat_days, 3);
    assert_string_equal(cfg->quiet_hours, "22:00-08:00");
    assert_string_equal(cfg->holidays, TOP_SRCDIR "/etc/holidays.conf");
    assert_int_equal(cfg->n_receivers, 0);
    config_free(cfg);
}

/* alerts.completing_kinds: the kinds whose done node completes its project,
 * handed to SQL as an array literal; Chinese names map to canonical ones. */
static void
test_completing_kinds(void **state)
{
    (void)state;
    struct config *cfg = load_ok("");
    MATCHER(&cfg->completing_kinds, "completion", "operation");
    assert_string_equal(cfg->completing_kinds_pg, "{completion,operation}");
    config_free(cfg);
    cfg = load_ok("alerts = { completing_kinds = [ \"竣工\" ]; };\n");
    assert_string_equal(cfg->completing_kinds_pg, "{completion}");
    config_free(cfg);
    cfg = load_ok("alerts = { completing_kinds = [ ]; };\n");
    assert_int_equal(cfg->completing_kinds.n, 0);
    assert_string_equal(cfg->completing_kinds_pg, "{}");
    config_free(cfg);
    char err[512];
    cfg = config_load_string("alerts = { completing_kinds = [ \"剪彩\" ]; };\n", "t.conf", err, sizeof err);
    assert_null(cfg);
    assert_non_null(strstr(err, "unknown value '剪彩'"));
}

static void
test_explicit_empties(void **state)
{
    (void)state;
    /* "" quiet hours = none; an explicit empty list of admins means nobody
     * (the root default is only for a missing key). */
    struct config *cfg = load_ok("control = { admins = [ ]; operators = [ ]; };\n"
                                 "alerts = { quiet_hours = \"\"; };\n");
    assert_int_equal(cfg->admins.n, 0);
    assert_int_equal(cfg->operators.n, 0);
    assert_string_equal(cfg->quiet_hours, "");
    assert_int_equal(cfg->quiet_start_min, -1);
    assert_int_equal(cfg->quiet_end_min, -1);
    config_free(cfg);

    /* quiet hours within one day, and a URI conninfo */
    cfg = load_ok("database = { conninfo = \"postgresql://kp:s3cret@db/keyproj?sslmode=require\"; };\n"
                  "alerts = { quiet_hours = \"12:00-13:30\"; };\n"
                  "log_level = \"warning\";\n");
    assert_int_equal(cfg->quiet_start_min, 12 * 60);
    assert_int_equal(cfg->quiet_end_min, 13 * 60 + 30);
    assert_int_equal(cfg->log_level, LOG_WARN);
    config_free(cfg);
}

static void
test_unknown_keys(void **state)
{
    (void)state;
    assert_refused("timezone = \"Asia/Shanghai\";\nwebhooks = ( );\n",
                   "t.conf:2: unknown setting 'webhooks'");
    assert_refused("alerts = {\n    due_son_days = [ 7, 3, 1 ];\n};\n",
                   "t.conf:2: unknown setting 'alerts.due_son_days'");
    assert_refused("database = { conninfo = \"dbname=keyproj\";\n"
                   "             reconect_max_seconds = 5; };\n",
                   "t.conf:2: unknown setting 'database.reconect_max_seconds'");
    assert_refused("control = {\n  admins = [ \"root\" ];\n  admin = [ \"zhangsan\" ];\n};\n",
                   "t.conf:3: unknown setting 'control.admin'");
    assert_refused("receivers = (\n"
                   "  { name = \"a\"; type = \"wecom\"; url = \"https://x.example/KEY1\"; },\n"
                   "  { name = \"b\"; type = \"wecom\"; url = \"https://y.example/KEY1\";\n"
                   "    secert = \"SECabc\"; }\n"
                   ");\n",
                   "t.conf:4: unknown setting 'receivers[1].secert'");
    assert_refused("receivers = (\n"
                   "  { name = \"a\"; type = \"wecom\"; url = \"https://x.example/KEY1\";\n"
                   "    match = { countys = [ \"涧西区\" ]; }; }\n"
                   ");\n",
                   "t.conf:3: unknown setting 'receivers[0].match.countys'");
}

static void
test_wrong_types(void **state)
{
    (void)state;
    assert_refused("alerts = {\n  overdue_repeat_days = \"3\";\n};\n",
                   "t.conf:2: alerts.overdue_repeat_days must be an integer");
    assert_refused("control = \"/run/keyprojd/control.sock\";\n",
                   "t.conf:1: control must be a group { … }");
    assert_refused("control = { admins = \"root\"; };\n",
                   "t.conf:1: control.admins must be an array [ … ]");
    assert_refused("alerts = { due_soon_days = 7; };\n",
                   "t.conf:1: alerts.due_soon_days must be an array [ … ]");
    assert_refused("timezone = 8;\n", "t.conf:1: timezone must be a string");
    assert_refused("database = { conninfo = true; };\n",
                   "t.conf:1: database.conninfo must be a string");
    assert_refused("control = { operators = [ 1000, 1001 ]; };\n",
                   "t.conf:1: control.operators must hold strings");
    assert_refused("receivers = { name = \"a\"; };\n",
                   "t.conf:1: receivers must be a list ( { … }, { … } )");
    assert_refused("receivers = ( \"https://x.example/KEY1\" );\n",
                   "t.conf:1: receivers[0]: each receiver must be a group { name = …; type = …; url = …; }");
    assert_refused("receivers = (\n  { name = \"a\"; type = \"wecom\"; url = \"https://x.example/KEY1\";\n"
                   "    match = { county = \"涧西区\"; }; }\n);\n",
                   "t.conf:3: receivers[0].match.county must be an array [ … ]");
    /* in range */
    assert_refused("alerts = { overdue_repeat_days = 0; };\n",
                   "t.conf:1: alerts.overdue_repeat_days must be between 1 and 365 (got 0)");
    assert_refused("control = {\n  max_clients = 100000;\n};\n",
                   "t.conf:2: control.max_clients must be between 1 and 10000 (got 100000)");
    assert_refused("log_level = \"verbose\";\n",
                   "t.conf:1: log_level: expected error, warn, info or debug (got 'verbose')");
}

static void
test_control_refusals(void **state)
{
    (void)state;
    assert_refused("control = {\n  mode = \"0666\";\n};\n",
                   "t.conf:2: control.mode: the socket must not be open to other users (0666)");
    assert_refused("control = { mode = \"0664\"; };\n",
                   "t.conf:1: control.mode: the socket must not be open to other users (0664)");
    assert_refused("control = { mode = \"0662\"; };\n",
                   "t.conf:1: control.mode: the socket must not be open to other users (0662)");
    assert_refused("control = { mode = \"99x\"; };\n",
                   "t.conf:1: control.mode: expected an octal mode like \"0660\" (got '99x')");
    assert_refused("control = { mode = \"\"; };\n",
                   "t.conf:1: control.mode: expected an octal mode like \"0660\" (got '')");
    assert_refused("control = { mode = \"01660\"; };\n",
                   "t.conf:1: control.mode: expected an octal mode like \"0660\" (got '01660')");
    assert_refused("control = { mode = \"-0\"; };\n",
                   "t.conf:1: control.mode: expected an octal mode like \"0660\" (got '-0')");
    assert_refused("control = { mode = \" 0660\"; };\n",
                   "t.conf:1: control.mode: expected an octal mode like \"0660\" (got ' 0660')");
    /* libconfig has no octal literals: a bare 0660 is the decimal 660, and
     * 400 would silently be 0620. Only the string form is unambiguous. */
    static const char *const bare[] = {
        "control = { mode = 0660; };\n", "control = { mode = 432; };\n",
        "control = { mode = 400; };\n", "control = { mode = true; };\n",
    };
    for (size_t i = 0; i < ARRAY_LEN(bare); i++)
        assert_refused(bare[i], "t.conf:1: control.mode: write the mode as a string like \"0660\"");

    struct config *cfg = load_ok("control = { mode = \"600\"; };\n");
    assert_int_equal(cfg->ctl_mode, 0600);
    config_free(cfg);
    cfg = load_ok("control = { mode = \"0770\"; };\n");
    assert_int_equal(cfg->ctl_mode, 0770);
    config_free(cfg);

    assert_refused("control = {\n  socket = \"run/keyprojd.sock\";\n};\n",
                   "t.conf:2: control.socket: must be an absolute path shorter than 108 bytes");
    assert_refused("control = { admins = [ \"root\", \"@\" ]; };\n",
                   "t.conf:1: control.admins: empty user or group name");
    assert_refused("control = { operators = [ \"\" ]; };\n",
                   "t.conf:1: control.operators: empty user or group name");
}

static void
test_alert_refusals(void **state)
{
    (void)state;
    static const char *const bad_quiet[] = {
        "25:00-08:00", "22:00-24:00", "22:60-08:00", "22:00-22:00", "8:00-22:00",
        "22:00~08:00", "22:00-08:00 ", "22:00", "晚上十点",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_quiet); i++) {
        char text[128], want[256];
        snprintf(text, sizeof text, "alerts = {\n  quiet_hours = \"%s\";\n};\n", bad_quiet[i]);
        snprintf(want, sizeof want,
                 "t.conf:2: alerts.quiet_hours: expected \"HH:MM-HH:MM\" like \"22:00-08:00\", "
                 "or \"\" for none (got '%s')", bad_quiet[i]);
        assert_refused(text, want);
    }

    static const char *const bad_due[] = {
        "[ 3, 7, 1 ]", "[ 7, 7, 1 ]", "[ 7, 3, 0, 0 ]", "[ 400 ]", "[ -1 ]", "[ 7, 3, 1, 1 ]",
        "[ \"7\" ]",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_due); i++) {
        char text[128];
        snprintf(text, sizeof text, "alerts = {\n  due_soon_days = %s;\n};\n", bad_due[i]);
        assert_refused(text, "t.conf:2: alerts.due_soon_days: expected decreasing whole days "
                             "between 365 and 0, like [ 7, 3, 1 ]");
    }
    assert_refused("alerts = { due_soon_days = [ 9, 8, 7, 6, 5, 4, 3, 2, 1 ]; };\n",
                   "t.conf:1: alerts.due_soon_days: at most 8 stages");
    struct config *cfg = load_ok("alerts = { due_soon_days = [ 8, 7, 6, 5, 4, 3, 2, 1 ]; };\n");
    assert_int_equal(cfg->n_due_soon_days, 8);
    assert_int_equal(cfg->due_soon_days[7], 1);
    config_free(cfg);
    cfg = load_ok("alerts = { due_soon_days = [ 365 ]; };\n");
    assert_int_equal(cfg->n_due_soon_days, 1);
    assert_int_equal(cfg->due_soon_days[0], 365);
    config_free(cfg);
    /* doc/alerts.md: 0 is a stage on the due day itself; [ ] none at all */
    cfg = load_ok("alerts = { due_soon_days = [ 7, 3, 0 ]; };\n");
    assert_int_equal(cfg->rules.n_due_soon_days, 3);
    assert_int_equal(cfg->rules.due_soon_days[2], 0);
    config_free(cfg);
    cfg = load_ok("alerts = { due_soon_days = [ ]; };\n");
    assert_int_equal(cfg->rules.n_due_soon_days, 0);
    config_free(cfg);
}

/* Every threshold of doc/alerts.md, set away from its default. */
static void
test_rule_keys(void **state)
{
    (void)state;
    struct config *cfg = load_ok(
        "alerts = {\n"
        "  due_soon_days = [ 10, 5, 0 ]; overdue_repeat_days = 7; milestone_red_days = 20;\n"
        "  freeze_warn = \"11-01\"; freeze_red = \"01-10\"; freeze_end = \"03-01\";\n"
        "  start_red_months = 2; lag_yellow_points = 12.5; lag_red_points = 40;\n"
        "  report_due_day = 31; report_red_periods = 3;\n"
        "  stalled_yellow_reports = 3; stalled_red_reports = 4;\n"
        "  stalled_min_change = 2; stalled_min_percent = 1.5;\n"
        "  approval_red_days = 10; problem_days = 5; problem_major_days = 20;\n"
        "  campaign_risk_days = [ 21, 10, 3 ];\n"
        "  escalate_leader_days = 3; escalate_office_days = 9;\n"
        "  scan_interval_seconds = 60; scan_batch_rows = 1000;\n"
        "};\n");
    const struct rules_config *r = &cfg->rules;
    assert_int_equal(r->n_due_soon_days, 3);
    assert_int_equal(r->due_soon_days[0], 10);
    assert_int_equal(r->due_soon_days[2], 0);
    assert_int_equal(cfg->n_due_soon_days, 3);      /* the copies follow */
    assert_int_equal(cfg->overdue_repeat_days, 7);
    assert_int_equal(r->overdue_repeat_days, 7);
    assert_int_equal(r->milestone_red_days, 20);
    assert_int_equal(r->freeze_warn.m, 11);
    assert_int_equal(r->freeze_warn.d, 1);
    assert_int_equal(r->freeze_red.m, 1);
    assert_int_equal(r->freeze_red.d, 10);
    assert_int_equal(r->freeze_end.m, 3);
    assert_int_equal(r->start_red_months, 2);
    assert_true(r->lag_yellow_points == 12.5);
    assert_true(r->lag_red_points == 40.0);
    assert_int_equal(r->report_due_day, 31);
    assert_int_equal(r->report_red_periods, 3);
    assert_int_equal(r->stalled_yellow_reports, 3);
    assert_int_equal(r->stalled_red_reports, 4);
    assert_true(r->stalled_min_change == 2.0);
    assert_true(r->stalled_min_percent == 1.5);
    assert_int_equal(r->approval_red_days, 10);
    assert_int_equal(r->problem_days, 5);
    assert_int_equal(r->problem_major_days, 20);
    assert_int_equal(r->n_campaign_risk_days, 3);
    assert_int_equal(r->campaign_risk_days[1], 10);
    assert_int_equal(r->escalate_leader_days, 3);
    assert_int_equal(r->escalate_office_days, 9);
    assert_int_equal(cfg->scan_interval, 60);
    assert_int_equal(cfg->scan_batch, 1000);
    config_free(cfg);

    /* absent: the published defaults, the same as rules_config_default */
    cfg = load_ok("");
    struct rules_config def;
    rules_config_default(&def);
    assert_memory_equal(&cfg->rules, &def, sizeof def);
    assert_int_equal(cfg->scan_interval, 300);
    assert_int_equal(cfg->scan_batch, 5000);
    config_free(cfg);
}

static void
test_rule_refusals(void **state)
{
    (void)state;
    assert_refused("alerts = {\n  milestone_red_days = -1;\n};\n",
                   "t.conf:2: alerts.milestone_red_days must be between 0 and 3650 (got -1)");
    assert_refused("alerts = {\n  lag_yellow_points = \"10\";\n};\n",
                   "t.conf:2: alerts.lag_yellow_points must be a number");
    /* relations between keys: the line of the first key named that is set */
    assert_refused("alerts = {\n  overdue_repeat_days = 3;\n  lag_red_points = 5;\n};\n",
                   "t.conf:3: alerts.lag_yellow_points, lag_red_points: expected "
                   "0 <= yellow <= red <= 100 points");
    assert_refused("alerts = {\n  lag_yellow_points = 50;\n  lag_red_points = 40;\n};\n",
                   "t.conf:2: alerts.lag_yellow_points, lag_red_points: expected "
                   "0 <= yellow <= red <= 100 points");
    assert_refused("alerts = {\n  stalled_yellow_reports = 4;\n};\n",
                   "t.conf:2: alerts.stalled_yellow_reports, stalled_red_reports: "
                   "expected 1 <= yellow <= red <= 12");
    assert_refused("alerts = {\n  escalate_leader_days = 20;\n};\n",
                   "t.conf:2: alerts.escalate_leader_days, escalate_office_days: "
                   "expected 0 <= leader <= office <= 3650 days");
    assert_refused("alerts = {\n  freeze_warn = \"1031\";\n};\n",
                   "t.conf:2: alerts.freeze_warn: expected a day of the year \"MM-DD\" like "
                   "\"10-31\" (got '1031')");
    assert_refused("alerts = {\n  freeze_red = \"02-29\";\n};\n",
                   "t.conf:2: alerts.freeze_warn, freeze_red, freeze_end: expected "
                   "\"MM-DD\" days like \"10-31\" (02-29 is not every year)");
    assert_refused("alerts = {\n  freeze_red = \"10-01\";\n};\n",
                   "t.conf:2: alerts.freeze_red: must not come before freeze_warn "
                   "in the season that starts at freeze_end");
    assert_refused("alerts = {\n  campaign_risk_days = [ 7, 14 ];\n};\n",
                   "t.conf:2: alerts.campaign_risk_days: expected decreasing whole days "
                   "between 365 and 1, like [ 14, 7 ]");
    assert_refused("alerts = {\n  campaign_risk_days = [ 5, 4, 3, 2, 1 ];\n};\n",
                   "t.conf:2: alerts.campaign_risk_days: at most 4 stages");
    assert_refused("alerts = {\n  scan_interval_seconds = 0;\n};\n",
                   "t.conf:2: alerts.scan_interval_seconds must be between 1 and 86400 (got 0)");
    assert_refused("alerts = {\n  scan_intervall_seconds = 60;\n};\n",
                   "t.conf:2: unknown setting 'alerts.scan_intervall_seconds'");
}

static void
test_timezone_refusals(void **state)
{
    (void)state;
    /* A directory ("Asia") or a table (zone.tab) is readable, but glibc
     * would silently run on UTC with TZ=Asia: only a zone file will do. */
    static const char *const bad[] = {
        "Asia/Shangai", "Asia", "Asia/", "zone.tab", "", "/etc/localtime",
        "../../../etc/passwd", "Asia/../Asia/Shanghai", "CST-8", "Beijing",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char text[128], want[256];
        snprintf(text, sizeof text, "log_level = \"info\";\ntimezone = \"%s\";\n", bad[i]);
        snprintf(want, sizeof want,
                 "t.conf:2: timezone: unknown time zone '%s' (expected a name like "
                 "Asia/Shanghai from the tz database)", bad[i]);
        assert_refused(text, want);
    }
    struct config *cfg = load_ok("timezone = \"UTC\";\n");
    assert_string_equal(cfg->timezone, "UTC");
    config_free(cfg);
}

static void
test_conninfo_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "host=x password=s3cret =broken",
        "host=x password='s3cret",
        "host=x password=s3cret bogus_option=1",
        "postgresql://kp:s3cret@[::1/keyproj",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char text[256];
        snprintf(text, sizeof text, "timezone = \"Asia/Shanghai\";\ndatabase = {\n"
                 "  conninfo = \"%s\";\n};\n", bad[i]);
        assert_refused(text, "t.conf:3: database.conninfo: not a valid libpq connection string");
    }
}

/* A receivers list whose last element is `last`; the two before it are
 * valid and fully built, so a refusal must free them too (ASan). */
static void
assert_receiver_refused(const char *last, int want_line, const char *want)
{
    char text[1024], full[512];
    snprintf(text, sizeof text,
             "receivers = (\n"
             "  { name = \"jianxi\"; type = \"dingtalk\"; url = \"https://x.example/?TOK2\";\n"
             "    secret = \"SECabc\"; match = { county = [ \"涧西区\" ]; sector = [ \"产业\" ];\n"
             "    level = [ \"市\" ]; light = [ \"红灯\" ]; kind = [ \"milestone.overdue\" ];\n"
             "    stage = [ \"unit\" ]; }; },\n"
             "  { name = \"audit\"; type = \"json\"; url = \"https://y.example/hooks\";\n"
             "    secret = \"whsec_abc\"; },\n"
             "%s\n"
             ");\n", last);
    snprintf(full, sizeof full, "t.conf:%d: %s", want_line, want);
    assert_refused(text, full);
}

static void
test_receiver_refusals(void **state)
{
    (void)state;
    assert_receiver_refused("  { name = \"jianxi\"; type = \"wecom\"; url = \"https://z.example/KEY1\"; }",
                            8, "receiver 'jianxi' is defined twice");
    assert_receiver_refused("  { name = \"slack\"; type = \"slack\";\n"
                            "    url = \"https://hooks.slack.example/KEY1\"; }",
                            8, "receiver 'slack': unknown type 'slack' (expected json, wecom, dingtalk or feishu)");
    assert_receiver_refused("  { name = \"ftp\"; type = \"wecom\";\n"
                            "    url = \"ftp://qyapi.example/KEY1\"; secret = \"SECabc\"; }",
                            8, "receiver 'ftp': url is required and must start with https:// or http://");
    assert_receiver_refused("  { name = \"rel\"; type = \"feishu\"; url = \"qyapi.example/send?key=KEY1\"; }",
                            8, "receiver 'rel': url is required and must start with https:// or http://");
    assert_receiver_refused("  { name = \"nourl\"; type = \"wecom\"; }",
                            8, "receiver 'nourl': url is required and must start with https:// or http://");
    assert_receiver_refused("  { name = \"unsigned\"; type = \"json\"; url = \"https://w.example/KEY1\"; }",
                            8, "receiver 'unsigned': type json needs a secret (whsec_… base64) to sign its payloads");
    /* type defaults to json, which needs a secret */
    assert_receiver_refused("  { name = \"untyped\"; url = \"https://w.example/KEY1\"; secret = \"\"; }",
                            8, "receiver 'untyped': type json needs a secret (whsec_… base64) to sign its payloads");
    assert_receiver_refused("  { name = \"space\";\n"
                            "    match = { sector = [ \"产业\", \"航天\" ]; }; }",
                            9, "receivers[2].match.sector: unknown value '航天' (expected one of 产业, 城建, "
                               "基础设施, 民生, 生态, 其他 (or industry, urban, infrastructure, livelihood, "
                               "ecology, other))");
    assert_receiver_refused("  { name = \"lvl\"; match = { level = [ \"区\" ]; }; }",
                            8, "receivers[2].match.level: unknown value '区' (expected one of 省, 市 (or "
                               "province, city))");
    assert_receiver_refused("  { name = \"light\"; match = { light = [ \"蓝\" ]; }; }",
                            8, "receivers[2].match.light: unknown value '蓝' (expected one of 红, 黄, 绿 "
                               "(or red, yellow, green))");
    assert_receiver_refused("  { type = \"wecom\"; url = \"https://z.example/KEY1\"; }",
                            8, "receivers[2].name: required, letters, digits, '-', '_' or '.' (at most 64)");
    assert_receiver_refused("  { name = \"市政府\"; type = \"wecom\"; url = \"https://z.example/KEY1\"; }",
                            8, "receivers[2].name: required, letters, digits, '-', '_' or '.' (at most 64)");
    assert_receiver_refused("  { name = \"t\"; type = \"wecom\"; url = \"https://z.example/KEY1\";\n"
                            "    timeout_seconds = 0; }",
                            9, "receivers[2].timeout_seconds must be between 1 and 600 (got 0)");
}

/* A receiver's kind and stage matchers name real kinds and tiers: a typo
 * would silently match nothing. */
static void
test_match_kind_stage(void **state)
{
    (void)state;
    assert_receiver_refused("  { name = \"typo\"; type = \"wecom\"; url = \"https://z.example/KEY1\";\n"
                            "    match = { kind = [ \"milestone.overdue\", \"milestone.overdeu\" ]; }; }",
                            9, "receivers[2].match.kind: unknown value 'milestone.overdeu' (expected one of "
                               "milestone.due_soon, milestone.overdue, milestone.freeze, project.start_overdue, "
                               "project.completion_overdue, investment.lagging, report.missing, progress.stalled, "
                               "approval.overdue, problem.overdue, project.repeated_red, campaign.at_risk, "
                               "campaign.missed)");
    assert_receiver_refused("  { name = \"tier\"; type = \"wecom\"; url = \"https://z.example/KEY1\";\n"
                            "    match = { stage = [ \"boss\" ]; }; }",
                            9, "receivers[2].match.stage: unknown value 'boss' (expected one of unit, leader, "
                               "office (or 责任单位, 分包领导, 项目办))");
    /* every kind the rules raise is accepted, and Chinese tier names map */
    char text[2048];
    int n = snprintf(text, sizeof text, "receivers = ( { name = \"all\"; type = \"wecom\"; "
                     "url = \"https://z.example/KEY1\"; match = { stage = [ \"项目办\", \"Leader\" ]; kind = [ ");
    for (int k = 0; k < RULES_KIND_COUNT; k++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s\"%s\"", k ? ", " : "",
                      rules_kind_name((enum rules_kind)k));
    snprintf(text + n, sizeof text - (size_t)n, " ]; }; } );\n");
    struct config *cfg = load_ok(text);
    assert_int_equal(cfg->receivers[0].kind.n, RULES_KIND_COUNT);
    MATCHER(&cfg->receivers[0].stage, "office", "leader");
    config_free(cfg);
}

/* 领导分包: a receiver matches a leader's or a unit's projects by name;
 * web.base_url is where summaries link to. */
static void
test_match_leader_unit_web(void **state)
{
    (void)state;
    struct config *cfg = load_ok("receivers = (\n"
                                 "  { name = \"wang\"; type = \"dingtalk\"; url = \"https://z.example/KEY1\";\n"
                                 "    match = { leader = [ \"王副市长\" ]; unit = [ \"市交通运输局\", \"涧西区政府\" ]; }; }\n"
                                 ");\nweb = { base_url = \"https://xm.example.gov.cn/keyproj/\"; };\n");
    MATCHER(&cfg->receivers[0].leader, "王副市长");
    MATCHER(&cfg->receivers[0].unit, "市交通运输局", "涧西区政府");
    MATCHER_EMPTY(&cfg->receivers[0].county);
    assert_string_equal(cfg->web_base_url, "https://xm.example.gov.cn/keyproj/");
    config_free(cfg);
    cfg = load_ok("web = { base_url = \"\"; };\n");
    assert_null(cfg->web_base_url);
    config_free(cfg);
    assert_refused("receivers = (\n  { name = \"a\"; type = \"wecom\"; url = \"https://x.example/KEY1\";\n"
                   "    match = { leader = \"王副市长\"; }; }\n);\n",
                   "t.conf:3: receivers[0].match.leader must be an array [ … ]");
    assert_refused("receivers = (\n  { name = \"a\"; type = \"wecom\"; url = \"https://x.example/KEY1\";\n"
                   "    match = { leaders = [ \"王副市长\" ]; }; }\n);\n",
                   "t.conf:3: unknown setting 'receivers[0].match.leaders'");
    assert_refused("web = {\n  base_url = \"https://xm.example.gov.cn/keyproj\";\n};\n",
                   "t.conf:2: web.base_url: expected an http(s) URL ending in '/', like "
                   "\"https://xm.example.gov.cn/keyproj/\" (got 'https://xm.example.gov.cn/keyproj')");
    assert_refused("web = { port = 8080; };\n", "t.conf:1: unknown setting 'web.port'");
}

/* web.listen: off by default, a numeric address like metrics.listen, and
 * a base_url that is not http(s) named as such. */
static void
test_web_listen(void **state)
{
    (void)state;
    struct config *cfg = load_ok("web = { base_url = \"https://xm.example.gov.cn/keyproj/\"; };\n");
    assert_null(cfg->web_listen);
    config_free(cfg);
    cfg = load_ok("web = { listen = \"127.0.0.1:8080\"; };\n");
    assert_string_equal(cfg->web_listen, "127.0.0.1:8080");
    assert_string_equal(cfg->web_host, "127.0.0.1");
    assert_int_equal(cfg->web_port, 8080);
    config_free(cfg);
    cfg = load_ok("web = { listen = \"[::1]:8080\"; };\n");
    assert_string_equal(cfg->web_host, "::1");
    config_free(cfg);
    cfg = load_ok("web = { listen = \"\"; };\n");
    assert_null(cfg->web_listen);
    assert_null(cfg->web_host);
    config_free(cfg);
    assert_refused("web = {\n  listen = \"localhost:8080\";\n};\n",
                   "t.conf:2: web.listen: expected a numeric address and port like \"127.0.0.1:8080\" or "
                   "\"[::1]:8080\" (got 'localhost:8080')");
    assert_refused("web = { listen = \"127.0.0.1:0\"; };\n",
                   "t.conf:1: web.listen: expected a numeric address and port like \"127.0.0.1:8080\" or "
                   "\"[::1]:8080\" (got '127.0.0.1:0')");
    assert_refused("web = { base_url = \"xm.example.gov.cn/keyproj/\"; };\n",
                   "t.conf:1: web.base_url: expected an http(s) URL ending in '/', like "
                   "\"https://xm.example.gov.cn/keyproj/\" (got 'xm.example.gov.cn/keyproj/')");
}

static void
test_syntax_error(void **state)
{
    (void)state;
    assert_refused("timezone = \"Asia/Shanghai\";\nalerts = {\n  due_soon_days = [ 7, 3, 1 ;\n};\n",
                   "t.conf:3: syntax error");
    assert_refused("timezone = ;\n", "t.conf:1: syntax error");
    assert_refused("control = {\n  admins = [ \"root\", 5 ];\n};\n",
                   "t.conf:2: mismatched element type in array");
}

/* Only the first problem is reported, even when later ones exist. */
static void
test_first_error_wins(void **state)
{
    (void)state;
    assert_refused("timezone = \"Mars/Olympus\";\ncontrol = { mode = \"0777\"; };\nbogus = 1;\n",
                   "t.conf:3: unknown setting 'bogus'");
    assert_refused("timezone = \"Mars/Olympus\";\ncontrol = { mode = \"0777\"; };\n",
                   "t.conf:1: timezone: unknown time zone 'Mars/Olympus' (expected a name like "
                   "Asia/Shanghai from the tz database)");
}

static void
test_small_err_buffer(void **state)
{
    (void)state;
    char err[12];
    assert_null(config_load_string("bogus = 1;\n", "keyprojd.conf", err, sizeof err));
    assert_string_equal(err, "keyprojd.co");
    char err2[40];
    assert_null(config_load_string("bogus = 1;\n", "t.conf", err2, sizeof err2));
    assert_string_equal(err2, "t.conf:1: unknown setting 'bogus'");
}

static void
test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/keyproj-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(full_conf, f);
    fclose(f);

    char err[512] = "";
    struct config *cfg = config_load(path, err, sizeof err);
    if (cfg == NULL)
        fail_msg("refused: %s", err);
    assert_string_equal(cfg->path, path);
    assert_int_equal(cfg->n_receivers, 4);
    config_free(cfg);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("timezone = \"Asia/Shanghai\";\n\ncontrol = { mode = \"0666\"; };\n", f);
    fclose(f);
    assert_null(config_load(path, err, sizeof err));
    char want[256];
    snprintf(want, sizeof want, "%s:3: control.mode: the socket must not be open to other users (0666)", path);
    assert_string_equal(err, want);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("timezone = \"Asia/Shanghai\"\n;;\n", f);
    fclose(f);
    assert_null(config_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s:2: syntax error", path);
    assert_string_equal(err, want);

    assert_int_equal(unlink(path), 0);
    assert_null(config_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    assert_string_equal(err, want);
}

/* The annotated sample shipped in etc/ must load as it is. */
static void
test_shipped_sample(void **state)
{
    (void)state;
    const char *top = getenv("top_srcdir");
    if (top == NULL)
        skip();     /* set by `make check`; absent when run by hand */
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/etc/keyprojd.conf", top);
    struct config *cfg = config_load(path, err, sizeof err);
    if (cfg == NULL)
        fail_msg("refused: %s", err);
    assert_string_equal(cfg->timezone, "Asia/Shanghai");
    assert_int_equal(cfg->ctl_mode, 0660);
    assert_int_equal(cfg->admins.n, 2);
    assert_int_equal(cfg->n_receivers, 0);
    config_free(cfg);
}

/* import.code_pattern: the ledger's own codes, a POSIX extended regex
 * compiled at load; one that does not compile is refused with its line. */
static void
test_import_code_pattern(void **state)
{
    (void)state;
    struct config *cfg = load_ok("import = { code_pattern = \"^LY-[0-9]{4}-[0-9]{3}$\"; };\n");
    assert_string_equal(cfg->import_code_pattern, "^LY-[0-9]{4}-[0-9]{3}$");
    assert_non_null(cfg->import_code_re);
    assert_int_equal(regexec(cfg->import_code_re, "LY-2026-001", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(cfg->import_code_re, "LY-2026-01", 0, NULL, 0), 0);
    config_free(cfg);
    cfg = load_ok("import = { code_pattern = \"\"; };\n");
    assert_null(cfg->import_code_pattern);
    assert_null(cfg->import_code_re);
    config_free(cfg);
    cfg = load_ok("");
    assert_null(cfg->import_code_re);
    config_free(cfg);
    assert_refused("import = {\n  code_pattern = \"^LY-[0-9\";\n};\n",
                   "t.conf:2: import.code_pattern: not a POSIX extended regular expression: "
                   "Unmatched [, [^, [:, [., or [= (got '^LY-[0-9')");
    assert_refused("import = { pattern = \"x\"; };\n", "t.conf:1: unknown setting 'import.pattern'");
}

/* import.new_units: "create" by default (an import creates a unit near no
 * known one), "refuse" when set; anything else is refused with its line. */
static void
test_import_new_units(void **state)
{
    (void)state;
    struct config *cfg = load_ok("");
    assert_false(cfg->import_refuse_new_units);
    config_free(cfg);
    cfg = load_ok("import = { new_units = \"create\"; };\n");
    assert_false(cfg->import_refuse_new_units);
    config_free(cfg);
    cfg = load_ok("import = { new_units = \"refuse\"; code_pattern = \"^LY-\"; };\n");
    assert_true(cfg->import_refuse_new_units);
    assert_string_equal(cfg->import_code_pattern, "^LY-");
    config_free(cfg);
    assert_refused("import = {\n  new_units = \"reject\";\n};\n",
                   "t.conf:2: import.new_units: expected \"create\" or \"refuse\" (got 'reject')");
    assert_refused("import = { new_units = true; };\n", "t.conf:1: import.new_units must be a string");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_explicit_empties),
        cmocka_unit_test(test_completing_kinds),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_control_refusals),
        cmocka_unit_test(test_alert_refusals),
        cmocka_unit_test(test_rule_keys),
        cmocka_unit_test(test_rule_refusals),
        cmocka_unit_test(test_timezone_refusals),
        cmocka_unit_test(test_conninfo_refusals),
        cmocka_unit_test(test_receiver_refusals),
        cmocka_unit_test(test_match_kind_stage),
        cmocka_unit_test(test_match_leader_unit_web),
        cmocka_unit_test(test_web_listen),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_small_err_buffer),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_shipped_sample),
        cmocka_unit_test(test_robot_rate_limits),
        cmocka_unit_test(test_import_code_pattern),
        cmocka_unit_test(test_import_new_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
