/* render: turns an alert (or a digest of several) into the exact HTTP request
 * a receiver of one type expects — json, wecom, dingtalk, feishu — and judges
 * the receiver's answer. Pure: "now" comes in, nothing is sent or logged. */
#ifndef KEYPROJ_RENDER_H
#define KEYPROJ_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

struct buf;

/* One alert as the renderers see it. Everything is borrowed. */
struct alert_view {
    int64_t id;             /* alert.id (data.alert_id, 编号); not the webhook-id */
    const char *kind;       /* "milestone.overdue", … (the payload "type") */
    const char *stage;      /* "" when the kind has a single stage */
    const char *light;      /* "green" | "yellow" | "red"; NULL for none */
    const char *created_at; /* ISO 8601 with any offset; shown in the process's zone */
    /* The words as of the decision (payload.message): said only when the
     * kind is one wording.c cannot say from data (a test message, a
     * ranking line, a payload missing facts). */
    const char *message;
    /* The moment of sending (the daemon's clock, Unix seconds): every
     * count of days is said as of its business date in the process's
     * zone (clock_set_zone). 0: say message as it is. */
    double sent_at;
    int tier;               /* escalation tier: 0 unit group, 1 leader, 2 project office, … */
    /* { "project": { code, name, county, sector, level, unit, leader,
     *                leader_mobile },
     *   "milestone": { id, title, kind, due, days_overdue, campaign } (optional),
     *   … anything else the kind carries (copied to json payloads as is) } */
    const json_t *data;
    /* The webhook-id of its message to a json receiver: the claim's
     * keyproj_webhook_id (sql/functions/delivery.sql), from the alert's
     * kind, subject and stage, so that an alert made again keeps it and
     * no other alert ever gets it. A test message (`receiver test`) sets
     * its own, so it never looks like a replay of a real alert. NULL: a
     * json receiver's message cannot be rendered (chat robots take none). */
    const char *webhook_id;
    /* New since the receiver's last digest: a digest lists it first and
     * says so. */
    bool fresh;
    /* web.base_url ("https://…/", ending in '/'), or NULL: the message
     * ends with a link to the project's page, 详情：BASE/project/CODE. */
    const char *base_url;
};

/* Several alerts sent as one message (chat robots get one per window). */
struct digest_view {
    const char *id;         /* stable token, [A-Za-z0-9_-]{1,64}; json data.id */
    /* json: the webhook-id, the digest alert's (alert_view.webhook_id);
     * NULL: cannot be rendered for a json receiver. Chat messages (merged
     * alerts, backlog summaries) carry none. */
    const char *webhook_id;
    const char *title;      /* "涧西区每日汇总"; NULL: "重点项目提醒汇总" */
    const char *created_at; /* ISO 8601, the window's end */
    double sent_at;         /* as in alert_view, for every alert listed */
    const struct alert_view *alerts;
    size_t n_alerts;
    /* NULL: the lead line counts the alerts by light; else this line (a
     * backlog summary lists only its worst alerts and says the rest) */
    const char *lead;
    int part, parts;        /* parts > 1: the title says "（part/parts）" */
    /* web.base_url, or NULL: the lead line ends with a link to the
     * dashboard's 总览 (the lines link nothing: they are cut to size). */
    const char *base_url;
    /* The weekly summary's week ("2026-W49"), or NULL: with base_url, the
     * lead links the week's bulletin workbook too (LINK_BULLETIN). */
    const char *bulletin_week;
};

#define RENDER_MAX_HEADERS 8

/* What to send. Free with render_request_free. */
struct render_request {
    char *url;              /* final URL; may carry a key or a signature: never log it */
    /* "Name: value", NULL-terminated; http_post takes it as
     * (const char *const *)rq.headers. */
    char *headers[RENDER_MAX_HEADERS + 1];
    char *body;
    size_t body_len;
    /* How many alerts (digest) or detail lines (alert) made it into the
     * message; the rest are counted in a closing "……另有 N 条未列出". */
    size_t n_listed;
    size_t n_total;
};

/* Size limits of the chat robots, in bytes of UTF-8. */
#define RENDER_WECOM_MARKDOWN_MAX 4096  /* markdown.content */
#define RENDER_WECOM_TEXT_MAX 2048      /* text.content */
#define RENDER_DINGTALK_BODY_MAX 20000  /* the whole request body, "about 20 KB" */
#define RENDER_FEISHU_BODY_MAX 20000    /* the whole request body, "about 20 KB" */

/* Renders one alert for rv (rv->type decides the format) at now_ms (Unix
 * time in milliseconds: webhook-timestamp, DingTalk's and Feishu's signed
 * timestamps). False with a message in err (never a secret) when the type
 * is unknown or the receiver cannot be signed for; out is then empty. */
bool render_alert(const struct receiver *rv, const struct alert_view *a, int64_t now_ms,
                  struct render_request *out, char *err, size_t errlen);

/* The same for a digest: one message listing the alerts, one line per
 * project under its county's heading (render_digest_order), cut by whole
 * lines to the robot's size limit with "……另有 N 条未列出" (json: all of
 * them); n_listed and n_total count alerts. */
bool render_digest(const struct receiver *rv, const struct digest_view *d, int64_t now_ms,
                   struct render_request *out, char *err, size_t errlen);

void render_request_free(struct render_request *rq);


/* The order a digest lists al[0..n-1] in (order gets n indexes): by
 * county, then project, each where its most urgent alert is — new since
 * the last digest first, then reds, then the most days late (as of
 * sent_at) — so that a prefix of the order is whole lines: a caller that
 * splits a digest takes the alerts in this order. */
void render_digest_order(const struct alert_view *al, size_t n, double sent_at, size_t *order);

/* A receiver's answer, as http.c reports it. */
struct render_answer {
    long status;            /* HTTP status; 0 when there was no response */
    const char *body;       /* may be NULL */
    size_t body_len;
    long retry_after;       /* seconds from Retry-After; -1 when absent */
    const char *transport_error;  /* why there was no response; NULL otherwise */
};

/* The verdict on one attempt. ok: delivered. permanent: stop retrying and
 * tell the operators (bad key, bad signature, endpoint gone, refused
 * request). Otherwise retry, not before retry_after seconds when it is >= 0
 * (-1: the sender's own schedule decides). error is for delivery.last_error:
 * "" when ok; it quotes at most a short excerpt of the answer. */
struct render_verdict {
    bool ok;
    bool permanent;
    bool rate_limited;      /* a chat robot said "over its limit" (45009, 130101, 9499, 11232) */
    long retry_after;
    char error[256];
};

/* Longest wait a receiver can impose through Retry-After (a day). */
#define RENDER_RETRY_AFTER_MAX 86400

void render_classify(const char *type, const struct render_answer *ans,
                     struct render_verdict *v);

/* True when type names a format ("json", "wecom", "dingtalk", "feishu"). */
bool render_type_known(const char *type);

#endif
