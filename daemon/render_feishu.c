/* render_feishu: Feishu (飞书) custom bot messages — a "post" (rich text,
 * one paragraph per line), signed in the body (timestamp in seconds, sign).
 * Custom bots cannot @ by mobile (an <at> needs the user's open_id, which
 * the ledger does not hold): the people a red concerns are named with
 * their mobiles in a closing line instead. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_format.h"
#include "sign.h"

static void
add_paragraph(json_t *content, const char *text)
{
    json_array_append_new(content, json_pack("[{s:s, s:o}]", "tag", "text",
                                             "text", render_json_str(text)));
}

static bool
feishu_build(const struct render_msg *m, size_t k, const struct receiver *rv,
             int64_t now_ms, struct render_request *out)
{
    json_t *content = json_array();
    add_paragraph(content, m->lead);
    for (size_t i = 0; i < k; i++) {
        if (render_head(m, i) != NULL) {
            char *h = xasprintf("◆ %s", render_head(m, i));
            add_paragraph(content, h);
            free(h);
        }
        add_paragraph(content, m->items[i]);
    }
    char *trailer = render_trailer(m, k);
    if (trailer != NULL)
        add_paragraph(content, trailer);
    free(trailer);
    if (m->n_mentions > 0) {
        struct buf who;
        buf_init(&who);
        buf_puts(&who, "请关注：");
        for (size_t i = 0; i < m->n_mentions; i++) {
            const struct render_mention *p = &m->mention[i];
            buf_printf(&who, "%s%s%s%s%s", i ? "、" : "", p->name ? p->name : "", p->name ? "（" : "",
                       p->mobile, p->name ? "）" : "");
        }
        add_paragraph(content, who.data);
        buf_free(&who);
    }

    json_t *body = json_object();
    char sig[SIGN_MAX];
    if (rv->secret != NULL && rv->secret[0] != '\0' &&
        sign_feishu(rv->secret, now_ms / 1000, sig, sizeof sig)) {
        char ts[24];
        snprintf(ts, sizeof ts, "%" PRId64, now_ms / 1000);
        json_object_set_new(body, "timestamp", json_string(ts));
        json_object_set_new(body, "sign", json_string(sig));
    }
    json_object_set_new(body, "msg_type", json_string("post"));
    json_object_set_new(body, "content",
                        json_pack("{s:{s:{s:o, s:o}}}", "post", "zh_cn",
                                  "title", render_json_str(m->title), "content", content));
    render_set_body(out, body);
    return out->body_len <= RENDER_FEISHU_BODY_MAX;
}

static bool
feishu_finish(const struct receiver *rv, int64_t now_ms, struct render_request *out,
              char *err, size_t errlen)
{
    /* build() leaves the signature out only if HMAC failed: never send that. */
    char sig[SIGN_MAX];
    if (rv->secret != NULL && rv->secret[0] != '\0' &&
        !sign_feishu(rv->secret, now_ms / 1000, sig, sizeof sig)) {
        snprintf(err, errlen, "receiver '%s': cannot sign with its secret", rv->name);
        return false;
    }
    return render_finish_plain(rv, now_ms, out, err, errlen);
}

static void
feishu_classify(const struct render_answer *ans, struct render_verdict *v)
{
    /* "code" in current answers, "StatusCode" in older ones. */
    static const char *const keys[] = { "code", "StatusCode", NULL };
    static const struct render_code_rule rules[] = {
        { 11232, CODE_RATE_LIMITED, "(rate limited: 100 a minute, 5 a second)" },
        { 19021, CODE_PERMANENT, "(signature mismatch, or timestamp more than an hour off)" },
        { 19022, CODE_PERMANENT, "(IP not allowed)" },
        { 19024, CODE_PERMANENT, "(keyword missing)" },
        { 19001, CODE_PERMANENT, "(invalid webhook)" },
        { 9499, CODE_PERMANENT, "(bad request)" },
    };
    /* 9499 is Feishu's "Bad Request" for any malformed call, and its answer
     * to a bot over 100 a minute, then saying "too many request". */
    static const struct render_code_rule too_many[] = {
        { 9499, CODE_RATE_LIMITED, "(rate limited: 100 a minute, 5 a second)" },
    };
    static const char needle[] = "too many request";
    if (ans->body != NULL && memmem(ans->body, ans->body_len, needle, sizeof needle - 1) != NULL) {
        render_classify_robot("feishu", ans, keys, too_many, ARRAY_LEN(too_many), 60, v);
        return;
    }
    render_classify_robot("feishu", ans, keys, rules, ARRAY_LEN(rules), 60, v);
}

const struct render_format render_format_feishu = {
    .type = "feishu",
    .build = feishu_build,
    .finish = feishu_finish,
    .classify = feishu_classify,
};
