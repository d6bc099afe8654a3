/* render_dingtalk: DingTalk (钉钉) custom robot messages — markdown with
 * at.atMobiles — and its signed URL (&timestamp=ms&sign=…). The final URL
 * carries the token and the signature: it must never be logged. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_format.h"
#include "sign.h"

/* DingTalk's markdown joins lines separated by a single newline. */
#define PARA "\n\n"

static void
markdown_text(const struct render_msg *m, size_t k, struct buf *c)
{
    buf_puts(c, "#### ");
    render_clean(c, m->title, MARKUP_MARKDOWN);
    buf_puts(c, PARA);
    render_clean(c, m->lead, MARKUP_MARKDOWN);
    for (size_t i = 0; i < k; i++) {
        if (render_head(m, i) != NULL) {
            buf_puts(c, PARA "**");
            render_clean(c, render_head(m, i), MARKUP_MARKDOWN);
            buf_puts(c, "**");
        }
        buf_puts(c, m->digest ? PARA : PARA "> ");
        render_clean(c, m->items[i], MARKUP_MARKDOWN);
    }
    char *trailer = render_trailer(m, k);
    if (trailer != NULL) {
        buf_puts(c, PARA);
        render_clean(c, trailer, MARKUP_MARKDOWN);
        free(trailer);
    }
    /* The @ shows only when the text itself names the mobile too. */
    for (size_t i = 0; i < m->n_mentions; i++)
        buf_printf(c, "%s@%s", i == 0 ? PARA : " ", m->mention[i].mobile);
}

static bool
dingtalk_build(const struct render_msg *m, size_t k, const struct receiver *rv,
               int64_t now_ms, struct render_request *out)
{
    struct buf c;
    buf_init(&c);
    markdown_text(m, k, &c);
    json_t *body = json_pack("{s:s, s:{s:s, s:s#}}", "msgtype", "markdown", "markdown",
                             "title", m->title, "text", c.data, c.len);
    if (m->n_mentions > 0) {
        json_t *mobiles = json_array();
        for (size_t i = 0; i < m->n_mentions; i++)
            json_array_append_new(mobiles, json_string(m->mention[i].mobile));
        json_object_set_new(body, "at", json_pack("{s:o, s:b}", "atMobiles", mobiles, "isAtAll", 0));
    }
    buf_free(&c);
    render_set_body(out, body);
    return out->body_len <= RENDER_DINGTALK_BODY_MAX;
}

static bool
dingtalk_finish(const struct receiver *rv, int64_t now_ms, struct render_request *out,
                char *err, size_t errlen)
{
    if (rv->secret == NULL || rv->secret[0] == '\0') {
        out->url = xstrdup(rv->url);
    } else {
        char sig[SIGN_MAX];
        if (!sign_dingtalk(rv->secret, now_ms, sig, sizeof sig)) {
            snprintf(err, errlen, "receiver '%s': cannot sign with its secret", rv->name);
            return false;
        }
        out->url = xasprintf("%s%ctimestamp=%" PRId64 "&sign=%s", rv->url,
                             strchr(rv->url, '?') != NULL ? '&' : '?', now_ms, sig);
    }
    render_add_header(out, "Content-Type: application/json");
    return true;
}

static void
dingtalk_classify(const struct render_answer *ans, struct render_verdict *v)
{
    static const char *const keys[] = { "errcode", NULL };
    static const struct render_code_rule rules[] = {
        { 130101, CODE_RATE_LIMITED, "(sending too fast: throttled for 10 minutes)" },
        { 410100, CODE_RATE_LIMITED, "(sending too fast)" },
        { 310000, CODE_PERMANENT, "(refused: keyword, signature, timestamp or IP whitelist)" },
        { 300001, CODE_PERMANENT, "(invalid access token)" },
        { 400013, CODE_PERMANENT, "(group dissolved)" },
        { 400101, CODE_PERMANENT, "(access token does not exist)" },
        { 400102, CODE_PERMANENT, "(robot disabled)" },
        { -1, CODE_RETRY, "(system busy)" },
    };
    /* DingTalk throttles a robot for 10 minutes after its limit. */
    render_classify_robot("dingtalk", ans, keys, rules, ARRAY_LEN(rules), 600, v);
}

const struct render_format render_format_dingtalk = {
    .type = "dingtalk",
    .build = dingtalk_build,
    .finish = dingtalk_finish,
    .classify = dingtalk_classify,
};
