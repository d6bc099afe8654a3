/* render_format: what the render_*.c files share and nobody else needs — the
 * markup-free message model, the table entry each chat format provides, and
 * the answer rules chat robots have in common. Private to render*.c. */
#ifndef KEYPROJ_RENDER_FORMAT_H
#define KEYPROJ_RENDER_FORMAT_H

#include "render.h"
#include "util.h"
#include "wording.h"

/* Whom a message @-mentions: a leader (分包领导) or a unit's contact
 * (联系人); mobile is checked, name may be NULL. */
struct render_mention {
    const char *name;
    const char *mobile;
};
#define RENDER_MENTIONS_MAX 16  /* more people than that: the first ones, reds' first */

/* A message before markup: title, lead line, items (the detail lines of an
 * alert, or one line per alert of a digest). Text is clean: valid UTF-8, no
 * control characters, no markup escaping yet. */
struct render_msg {
    char *title;            /* "【红灯】节点逾期｜项目名" */
    char *lead;             /* the alert's message, or the digest's counts */
    char **items;
    size_t n_items;
    /* Digests: heads[i], when not NULL, is a heading said before item i
     * (a county: each item is a project's line); weights[i] is how many
     * alerts item i lists. NULL for an alert's message. */
    char **heads;
    size_t *weights;
    bool digest;
    const char *light;      /* the alert's light; NULL for digests */
    /* whom to @-mention (each mobile once), in the order of the items */
    struct render_mention mention[RENDER_MENTIONS_MAX];
    size_t n_mentions;
};

struct render_format {
    const char *type;
    /* Builds out->body from the title, the lead, the first k items and, when
     * k < n_items, the trailer. Returns whether it fits the robot's limit. */
    bool (*build)(const struct render_msg *m, size_t k, const struct receiver *rv,
                  int64_t now_ms, struct render_request *out);
    /* Sets out->url and the headers; may refuse (a secret it cannot use). */
    bool (*finish)(const struct receiver *rv, int64_t now_ms, struct render_request *out,
                   char *err, size_t errlen);
    void (*classify)(const struct render_answer *ans, struct render_verdict *v);
};

extern const struct render_format render_format_wecom;
extern const struct render_format render_format_dingtalk;
extern const struct render_format render_format_feishu;

/* json has no markup and no size limit: its own entry points. */
bool render_json_alert(const struct receiver *rv, const struct alert_view *a, int64_t now_ms,
                       struct render_request *out, char *err, size_t errlen);
bool render_json_digest(const struct receiver *rv, const struct digest_view *d, int64_t now_ms,
                        struct render_request *out, char *err, size_t errlen);
void render_json_classify(const struct render_answer *ans, struct render_verdict *v);

enum render_markup { MARKUP_PLAIN, MARKUP_MARKDOWN };

#define RENDER_DIGEST_TITLE "重点项目提醒汇总"

/* Appends s with control characters (newlines too) as spaces and invalid
 * UTF-8 as U+FFFD. MARKUP_MARKDOWN also turns * ` [ ] < > # _ ~ into their
 * full-width forms, so a project name cannot inject markup or a fake
 * <font>/@ tag. s may be NULL. */
void render_clean(struct buf *out, const char *s, enum render_markup mk);
/* Byte length of the longest prefix of s, at most max bytes, ending on a
 * UTF-8 character boundary. */
size_t render_utf8_prefix(const char *s, size_t max);
/* "……另有 N 条未列出" (digest: N alerts) or "……其余 N 项从略" (alert)
 * when k < m->n_items, newly allocated; NULL otherwise. */
char *render_trailer(const struct render_msg *m, size_t k);
/* The heading before item i, or NULL. */
const char *render_head(const struct render_msg *m, size_t i);
/* The alerts the first k items list (digests), or k. */
size_t render_weight(const struct render_msg *m, size_t k);
/* The default finish: the receiver's URL as is, a JSON content type. */
bool render_finish_plain(const struct receiver *rv, int64_t now_ms, struct render_request *out,
                         char *err, size_t errlen);
/* Adds "Name: value" in the first free header slot. */
void render_add_header(struct render_request *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* out->body ← compact JSON of v, UTF-8 as is; releases v. */
void render_set_body(struct render_request *out, json_t *v);
/* The words of a as of the business date of sent_at (wording.c), or, when
 * sent_at is 0 or wording cannot say the kind, its stored message (NULL
 * if it has none). Newly allocated, not yet cleaned. */
char *render_words(const struct alert_view *a, double sent_at, enum wording_form form);
/* The JSON string of a C string that may hold bad bytes (cleaned, plain). */
json_t *render_json_str(const char *s);

/* How chat robots' answers are judged. code_keys: NULL-terminated body
 * members holding the error code. rules: what a non-zero code means (codes
 * not listed are retried). rate_backoff: least wait after a rate limit. */
enum render_code_action { CODE_RETRY, CODE_PERMANENT, CODE_RATE_LIMITED };
struct render_code_rule {
    long code;
    enum render_code_action action;
    const char *meaning;
};
void render_classify_robot(const char *robot, const struct render_answer *ans,
                           const char *const *code_keys,
                           const struct render_code_rule *rules, size_t n_rules,
                           long rate_backoff, struct render_verdict *v);
/* Plain HTTP rules: 2xx ok; 410 and 4xx except 408/429 permanent; the rest
 * retried, 429 and 5xx no sooner than Retry-After. */
void render_classify_http(const struct render_answer *ans, struct render_verdict *v);

#endif
