/* web_parts: what the pages share beyond web_page.c's frame — the
 * headline figures of a stats answer, and a list as a table with its
 * columns (the letters' columns are one such list, shown on the letters
 * page and on a project's). */
#include "ac_config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "web_html.h"
#include "web_page.h"
#include "web_pages_defs.h"

static void
kpi(struct evbuffer *out, const char *id, const char *label, const json_t *o, const char *key, const char *unit)
{
    web_html_printf(out, "<div class=\"kpi\" data-k=\"%s\"><b>", id);
    if (page_has(o, key))
        web_html_printf(out, "%.1f%s", page_num(o, key), unit);
    else
        evbuffer_add_printf(out, "—");
    web_html_printf(out, "</b><span>%s</span></div>", label);
}

void
web_write_kpis(struct evbuffer *out, const json_t *t)
{
    evbuffer_add_printf(out, "<div class=\"kpis\" id=\"kpis\">");
    web_html_printf(out, "<div class=\"kpi\" data-k=\"projects\"><b>%D</b><span>项目</span></div>",
                    (long long)page_num(t, "projects"));
    web_html_printf(out, "<div class=\"kpi l-red\" data-k=\"red\"><b>%D</b><span>红灯</span></div>",
                    (long long)page_num(t, "red"));
    web_html_printf(out, "<div class=\"kpi\" data-k=\"milestones_overdue\"><b>%D</b><span>逾期节点</span></div>",
                    (long long)page_num(t, "milestones_overdue"));
    kpi(out, "completion_rate", "节点完成率", t, "completion_rate", "%");
    kpi(out, "investment_rate", "投资完成率", t, "investment_rate", "%");
    kpi(out, "schedule_rate", "序时进度", t, "schedule_rate", "%");
    evbuffer_add_printf(out, "</div>\n");
}

static void
cell(struct evbuffer *out, const char *root, const json_t *row, const struct web_col *c)
{
    const json_t *v = json_object_get(row, c->key);
    const char *s = page_str(row, c->key);
    switch (c->kind) {
    case COL_NUM:
        if (json_is_integer(v))
            web_html_printf(out, "<td class=\"n\">%D</td>", (long long)json_integer_value(v));
        else if (json_is_number(v))
            web_html_printf(out, "<td class=\"n\">%.2f</td>", json_number_value(v));
        else
            evbuffer_add_printf(out, "<td class=\"n\"></td>");
        return;
    case COL_ZH:
        web_html_printf(out, "<td>%s</td>", page_zh(s));
        return;
    case COL_LIGHT:
        web_html_printf(out, "<td><span class=\"dot %s\"></span>%s</td>", s, page_zh(s));
        return;
    case COL_PROJECT: {
        const char *name = page_str(row, "project_name");
        if (!*name)
            name = page_str(row, "name");
        web_html_printf(out, "<td><a href=\"%sproject/%u\">%s</a></td>", root, s, *name ? name : s);
        return;
    }
    case COL_COUNTY:
        web_html_printf(out, "<td><a href=\"%scounty/%u\">%s</a></td>", root, s, s);
        return;
    default:
        if (json_is_string(v) || json_is_null(v) || v == NULL)
            web_html_printf(out, "<td>%s</td>", s);
        else if (json_is_integer(v))
            web_html_printf(out, "<td>%D</td>", (long long)json_integer_value(v));
        else
            web_html_printf(out, "<td>%.2f</td>", json_number_value(v));
    }
}

void
web_write_table(struct evbuffer *out, const char *root, const json_t *rows, const struct web_col *cols,
                size_t max)
{
    size_t n = json_array_size(rows), i;
    if (n == 0) {
        evbuffer_add_printf(out, "<p class=\"note\">没有。</p>\n");
        return;
    }
    evbuffer_add_printf(out, "<div class=\"scroll\"><table><thead><tr>");
    for (const struct web_col *c = cols; c->key; c++)
        web_html_printf(out, c->kind == COL_NUM ? "<th class=\"n\">%s</th>" : "<th>%s</th>", c->head);
    evbuffer_add_printf(out, "</tr></thead><tbody>\n");
    const json_t *r;
    json_array_foreach(rows, i, r) {
        if (i >= max)
            break;
        evbuffer_add_printf(out, "<tr>");
        for (const struct web_col *c = cols; c->key; c++)
            cell(out, root, r, c);
        evbuffer_add_printf(out, "</tr>\n");
    }
    evbuffer_add_printf(out, "</tbody></table></div>\n");
    if (n > max)
        web_html_printf(out, "<p class=\"note\">共 %D 行，这里只列出前 %D 行；全部请下载 CSV。</p>\n", (long long)n,
                        (long long)max);
}

const struct web_col web_order_cols[] = {
    { "status", "状态", COL_ZH }, { "kind", "类型", COL_ZH }, { "doc_no", "文号", COL_TEXT },
    { "county", "县区", COL_COUNTY }, { "project", "项目", COL_PROJECT }, { "to_unit", "致", COL_TEXT },
    { "issued_on", "发出", COL_TEXT }, { "reply_due", "回复期限", COL_TEXT }, { "replied_on", "回复", COL_TEXT },
    { "days_overdue", "超期天数", COL_NUM }, { NULL, NULL, COL_TEXT },
};
