/* render_wecom: WeCom (企业微信) group robot messages — markdown normally, a
 * text message when someone must be @-mentioned (markdown cannot @ by
 * mobile; one text message rather than markdown plus a text, because each
 * message costs one of the robot's 20 a minute). The limits count content
 * bytes: markdown 4096, text 2048. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "render_format.h"
#include "values.h"

/* red and yellow in WeCom's orange-red, green in its green. */
static const char *
font_color(const char *light)
{
    int rank = light_rank(light);
    return rank > 0 ? "warning" : rank == 0 ? "info" : NULL;
}

static void
markdown_content(const struct render_msg *m, size_t k, struct buf *c)
{
    buf_puts(c, "**");
    render_clean(c, m->title, MARKUP_MARKDOWN);
    buf_puts(c, "**\n");
    const char *color = font_color(m->light);
    if (color != NULL)
        buf_printf(c, "<font color=\"%s\">", color);
    render_clean(c, m->lead, MARKUP_MARKDOWN);
    buf_puts(c, color != NULL ? "</font>\n" : "\n");
    for (size_t i = 0; i < k; i++) {
        if (render_head(m, i) != NULL) {
            buf_puts(c, "**");
            render_clean(c, render_head(m, i), MARKUP_MARKDOWN);
            buf_puts(c, "**\n");
        }
        /* alert details as a quote block; digest items as plain lines */
        buf_puts(c, m->digest ? "" : "> ");
        render_clean(c, m->items[i], MARKUP_MARKDOWN);
        buf_putc(c, '\n');
    }
    char *trailer = render_trailer(m, k);
    render_clean(c, trailer, MARKUP_MARKDOWN);
    free(trailer);
    while (c->len > 0 && c->data[c->len - 1] == '\n')
        c->data[--c->len] = '\0';
}

static void
text_content(const struct render_msg *m, size_t k, struct buf *c)
{
    buf_puts(c, m->title);
    buf_putc(c, '\n');
    buf_puts(c, m->lead);
    for (size_t i = 0; i < k; i++) {
        if (render_head(m, i) != NULL) {
            buf_putc(c, '\n');
            buf_puts(c, render_head(m, i));
        }
        buf_putc(c, '\n');
        buf_puts(c, m->items[i]);
    }
    char *trailer = render_trailer(m, k);
    if (trailer != NULL) {
        buf_putc(c, '\n');
        buf_puts(c, trailer);
        free(trailer);
    }
}

static bool
wecom_build(const struct render_msg *m, size_t k, const struct receiver *rv,
            int64_t now_ms, struct render_request *out)
{
    struct buf c;
    buf_init(&c);
    json_t *body;
    size_t limit;
    if (m->n_mentions > 0) {
        text_content(m, k, &c);
        limit = RENDER_WECOM_TEXT_MAX;
        json_t *mobiles = json_array();
        for (size_t i = 0; i < m->n_mentions; i++)
            json_array_append_new(mobiles, json_string(m->mention[i].mobile));
        body = json_pack("{s:s, s:{s:s#, s:o}}", "msgtype", "text", "text",
                         "content", c.data, c.len, "mentioned_mobile_list", mobiles);
    } else {
        markdown_content(m, k, &c);
        limit = RENDER_WECOM_MARKDOWN_MAX;
        body = json_pack("{s:s, s:{s:s#}}", "msgtype", "markdown", "markdown",
                         "content", c.data, c.len);
    }
    bool fits = c.len <= limit;
    buf_free(&c);
    render_set_body(out, body);
    return fits;
}

static void
wecom_classify(const struct render_answer *ans, struct render_verdict *v)
{
    static const char *const keys[] = { "errcode", NULL };
    static const struct render_code_rule rules[] = {
        { 45009, CODE_RATE_LIMITED, "(over 20 messages a minute)" },
        { 93000, CODE_PERMANENT, "(invalid webhook key)" },
        { 40058, CODE_PERMANENT, "(message too long)" },
        { 40008, CODE_PERMANENT, "(invalid message type)" },
        { 44004, CODE_PERMANENT, "(empty content)" },
        { -1, CODE_RETRY, "(system busy)" },
    };
    render_classify_robot("wecom", ans, keys, rules, ARRAY_LEN(rules), 60, v);
}

const struct render_format render_format_wecom = {
    .type = "wecom",
    .build = wecom_build,
    .finish = render_finish_plain,
    .classify = wecom_classify,
};
