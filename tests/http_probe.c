/* http_probe: drives http.c (with render.c and sign.c) against real
 * receivers for tests/integration/test_http.sh: posts N rendered, signed
 * requests per target and prints one line per result. Never installed. */
#include "ac_config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "render.h"
#include "util.h"

struct target {
    size_t index;
    const char *url;
    const char *type;           /* a render type, or "raw" */
    const char *classify;       /* classifier for raw */
    const char *secret;
    const char *light;
    int tier;
    size_t n, concurrency, digest;
    long timeout_ms;
    int64_t id_base;
    size_t sent, in_flight;
};

struct probe {
    struct event_base *base;
    struct http *http;
    struct target *targets;
    size_t n_targets;
    size_t total, finished, n_ok, n_cancelled;
    int64_t started_ms;
    json_t *data;               /* one project and milestone for every alert */
};

struct job {
    struct probe *p;
    struct target *t;
    size_t i;
    size_t listed, total;
};

static int64_t
now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *
sample_data(void)
{
    json_error_t e;
    return json_loads(
        "{\"project\":{\"code\":\"2026-410305-48-01-012345\",\"name\":\"洛阳某某智能制造产业园（一期）\","
        "\"county\":\"涧西区\",\"sector\":\"industry\",\"level\":\"province\",\"unit\":\"涧西区发展改革委\","
        "\"leader\":\"张伟\",\"leader_mobile\":\"13800000000\"},"
        "\"milestone\":{\"id\":77,\"title\":\"主体封顶\",\"kind\":\"topping\",\"due\":\"2026-10-31\","
        "\"days_overdue\":3,\"campaign\":\"2026-B5\"}}", 0, &e);
}

static void
fill_alert(const struct probe *p, const struct target *t, int64_t id, struct alert_view *a, char *wid,
           size_t widlen)
{
    /* keyprojd takes the webhook-id from the alert's identity (the claim);
     * the probe's alert number stands for it */
    snprintf(wid, widlen, "msg_%" PRId64, id);
    *a = (struct alert_view){
        .id = id, .kind = "milestone.overdue", .stage = "d3", .light = t->light,
        .created_at = "2026-11-03T08:00:00+08:00",
        .message = "洛阳某某智能制造产业园（一期）「主体封顶」节点已逾期 3 天",
        .tier = t->tier, .data = p->data, .webhook_id = wid,
    };
}

/* Renders request i of t; false (with a message) when it cannot. */
static bool
build(const struct probe *p, const struct target *t, size_t i, struct render_request *rq)
{
    char err[256];
    if (str_eq(t->type, "raw")) {
        memset(rq, 0, sizeof *rq);
        rq->url = xstrdup(t->url);
        rq->headers[0] = xstrdup("Content-Type: application/json");
        rq->body = xasprintf("{\"probe\":%zu}", i);
        rq->body_len = strlen(rq->body);
        return true;
    }
    struct receiver rv = { .name = "probe", .type = (char *)t->type, .url = (char *)t->url,
                           .secret = (char *)t->secret };
    int64_t id = t->id_base + (int64_t)i;
    bool ok;
    if (t->digest > 0) {
        struct alert_view *alerts = xcalloc(t->digest, sizeof *alerts);
        char (*wids)[32] = xcalloc(t->digest, sizeof *wids);
        for (size_t k = 0; k < t->digest; k++)
            fill_alert(p, t, id * 10000 + (int64_t)k, &alerts[k], wids[k], sizeof wids[k]);
        char did[32], dwid[40];
        snprintf(did, sizeof did, "digest_%" PRId64, id);
        snprintf(dwid, sizeof dwid, "msg_%s", did);
        struct digest_view d = { .id = did, .title = "涧西区每日汇总",
                                 .created_at = "2026-11-03T08:00:00+08:00",
                                 .alerts = alerts, .n_alerts = t->digest, .webhook_id = dwid };
        ok = render_digest(&rv, &d, now_ms(CLOCK_REALTIME), rq, err, sizeof err);
        free(wids);
        free(alerts);
    } else {
        struct alert_view a;
        char wid[32];
        fill_alert(p, t, id, &a, wid, sizeof wid);
        ok = render_alert(&rv, &a, now_ms(CLOCK_REALTIME), rq, err, sizeof err);
    }
    if (!ok)
        fprintf(stderr, "http_probe: target %zu: %s\n", t->index, err);
    return ok;
}

/* What the output may show of a URL: the path without its query and, for
 * rendered types, only its first segment (a Feishu hook is a secret). */
static void
url_path(const struct target *t, char *out, size_t outlen)
{
    const char *s = strstr(t->url, "://");
    s = s != NULL ? strchr(s + 3, '/') : NULL;
    size_t n = s != NULL ? strcspn(s, "?") : 0;
    if (s != NULL && !str_eq(t->type, "raw"))
        n = 1 + strcspn(s + 1, "/?");
    snprintf(out, outlen, "%.*s", (int)n, s != NULL ? s : "/");
}

static void pump(struct probe *p, struct target *t);

static void
on_done(void *arg, const struct http_result *res)
{
    struct job *j = arg;
    struct probe *p = j->p;
    struct target *t = j->t;
    struct render_answer ans = { res->status, res->body, res->body_len, res->retry_after,
                                 res->error[0] != '\0' ? res->error : NULL };
    struct render_verdict v;
    render_classify(str_eq(t->type, "raw") ? t->classify : t->type, &ans, &v);
    char path[256];
    url_path(t, path, sizeof path);
    printf("result target=%zu i=%zu path=%s status=%ld ok=%d permanent=%d retry_after=%ld "
           "elapsed_ms=%ld at_ms=%" PRId64 " listed=%zu/%zu cancelled=%d truncated=%d error=%s\n",
           t->index, j->i, path, res->status, v.ok, v.permanent, v.retry_after,
           res->elapsed_ms, now_ms(CLOCK_MONOTONIC) - p->started_ms, j->listed, j->total,
           res->cancelled, res->body_truncated, log_q(v.error));
    fflush(stdout);
    p->finished++;
    p->n_ok += v.ok;
    p->n_cancelled += res->cancelled;
    t->in_flight--;
    free(j);
    if (!res->cancelled)
        pump(p, t);
    if (p->finished == p->total)
        event_base_loopbreak(p->base);
}

static void
pump(struct probe *p, struct target *t)
{
    while (t->sent < t->n && t->in_flight < t->concurrency) {
        size_t i = t->sent++;
        struct render_request rq;
        if (!build(p, t, i, &rq)) {
            p->finished++;
            continue;
        }
        struct http_request hr = {
            .url = rq.url, .headers = (const char *const *)rq.headers,
            .body = rq.body, .body_len = rq.body_len, .timeout_ms = t->timeout_ms,
            .connect_timeout_ms = t->timeout_ms,
        };
        struct job *j = xcalloc(1, sizeof *j);
        *j = (struct job){ p, t, i, rq.n_listed, rq.n_total };
        if (http_post(p->http, &hr, on_done, j) != 0) {
            fprintf(stderr, "http_probe: target %zu: http_post refused request %zu\n", t->index, i);
            free(j);
            p->finished++;
        } else {
            t->in_flight++;
        }
        render_request_free(&rq);
    }
    if (p->finished == p->total)
        event_base_loopbreak(p->base);
}

static void
on_cancel(evutil_socket_t fd, short events, void *arg)
{
    struct probe *p = arg;
    http_free(p->http);
    p->http = NULL;
    event_base_loopbreak(p->base);
}

static void
usage(void)
{
    fprintf(stderr,
        "usage: http_probe [--cancel-after MS] [OPTIONS] URL [[OPTIONS] URL]...\n"
        "options apply to the URLs after them:\n"
        "  -n N            requests (default 1)\n"
        "  -c N            at most N in flight (default 4)\n"
        "  -t MS           timeout of each attempt (default 5000)\n"
        "  --type T        json, wecom, dingtalk, feishu or raw (default raw: unsigned {\"probe\":i})\n"
        "  --classify T    the classifier for raw (default json)\n"
        "  --secret S      the receiver's secret\n"
        "  --light L       red, yellow or green (default yellow)\n"
        "  --tier N        escalation tier (default 0)\n"
        "  --digest K      send digests of K alerts\n"
        "  --id-base N     first alert id (default 1000)\n");
    exit(2);
}

/* Parses the command line into p->targets; returns the cancel delay (ms, 0 none). */
static long
parse_args(struct probe *p, int argc, char **argv)
{
    struct target cur = { .type = "raw", .classify = "json", .light = "yellow", .n = 1,
                          .concurrency = 4, .timeout_ms = 5000, .id_base = 1000 };
    long cancel_ms = 0;
    p->targets = xcalloc((size_t)argc, sizeof *p->targets);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (a[0] != '-') {
            cur.url = a;
            cur.index = p->n_targets;
            p->targets[p->n_targets++] = cur;
            p->total += cur.n;
            cur.id_base += (int64_t)cur.n;
            continue;
        }
        if (!has_value)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "-n") == 0) cur.n = strtoul(v, NULL, 10);
        else if (strcmp(a, "-c") == 0) cur.concurrency = strtoul(v, NULL, 10);
        else if (strcmp(a, "-t") == 0) cur.timeout_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--type") == 0) cur.type = v;
        else if (strcmp(a, "--classify") == 0) cur.classify = v;
        else if (strcmp(a, "--secret") == 0) cur.secret = v;
        else if (strcmp(a, "--light") == 0) cur.light = v;
        else if (strcmp(a, "--tier") == 0) cur.tier = atoi(v);
        else if (strcmp(a, "--digest") == 0) cur.digest = strtoul(v, NULL, 10);
        else if (strcmp(a, "--id-base") == 0) cur.id_base = strtoll(v, NULL, 10);
        else if (strcmp(a, "--cancel-after") == 0) cancel_ms = strtol(v, NULL, 10);
        else usage();
    }
    if (p->n_targets == 0)
        usage();
    for (size_t k = 0; k < p->n_targets; k++)
        if (p->targets[k].concurrency == 0)
            p->targets[k].concurrency = 1;
    return cancel_ms;
}

int
main(int argc, char **argv)
{
    struct probe p = { 0 };
    long cancel_ms = parse_args(&p, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    p.base = event_base_new();
    p.http = http_new(p.base);
    p.data = sample_data();
    if (p.base == NULL || p.http == NULL || p.data == NULL) {
        fprintf(stderr, "http_probe: cannot set up libevent/libcurl\n");
        return 1;
    }
    struct event *cancel = evtimer_new(p.base, on_cancel, &p);
    if (cancel_ms > 0) {
        struct timeval tv = { cancel_ms / 1000, (cancel_ms % 1000) * 1000 };
        evtimer_add(cancel, &tv);
    }
    p.started_ms = now_ms(CLOCK_MONOTONIC);
    for (size_t k = 0; k < p.n_targets; k++)
        pump(&p, &p.targets[k]);
    if (p.finished < p.total)
        event_base_dispatch(p.base);
    printf("done requests=%zu ok=%zu cancelled=%zu elapsed_ms=%" PRId64 "\n", p.total, p.n_ok,
           p.n_cancelled, now_ms(CLOCK_MONOTONIC) - p.started_ms);
    http_free(p.http);
    event_free(cancel);
    event_base_free(p.base);
    json_decref(p.data);
    free(p.targets);
    /* After --cancel-after, unsent requests are expected. */
    return p.finished == p.total || cancel_ms > 0 ? 0 : 1;
}
