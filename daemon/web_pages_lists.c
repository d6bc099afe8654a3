/* web_pages_lists: the lists a leader drills into — 逾期 (overdue), 临期
 * (due within N days), 问题 (problems) and 督办函 (letters) — each the
 * answer of the keyprojctl command of the same name with the same filters
 * as query parameters, at most PAGE_MAX_ROWS rows shown and all of them in
 * the CSV download. Read only. */
#include "ac_config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "links.h"
#include "web_html.h"
#include "web_page.h"
#include "web_pages_defs.h"

/* A list page: the heading, the filters in force, the CSV link, the table. */
static void
list_render(struct page *p, struct evbuffer *out, const char *title, const struct web_col *cols)
{
    const json_t *rows = page_data(p, 0);
    page_head(p, out, title);
    web_html_printf(out, "<section><h2>%s <span class=\"note\" data-k=\"rows\">%D 条</span></h2>", title,
                    (long long)json_array_size(rows));
    page_filters_note(p, out);
    page_csv_link(p, out);
    web_write_table(out, page_root(p), rows, cols, page_screen(p) ? 20 : PAGE_MAX_ROWS);
    evbuffer_add_printf(out, "</section>\n");
    page_foot(p, out);
}

/* ---- 逾期, 临期 --------------------------------------------------------------- */

static const char *const milestone_params[] = {
    "county", "sector", "level", "unit", "leader", "light", "campaign", NULL,
};
static const char *const due_params[] = {
    "days", "county", "sector", "level", "unit", "leader", "light", "campaign", NULL,
};

static void
overdue_start(struct page *p)
{
    page_cmd_filtered(p, milestone_params, "overdue", NULL);
}

static const struct web_col overdue_cols[] = {
    { "days_overdue", "逾期天数", COL_NUM }, { "due", "应完成", COL_TEXT }, { "county", "县区", COL_COUNTY },
    { "project", "项目", COL_PROJECT }, { "title", "节点", COL_TEXT }, { "campaign", "攻坚期", COL_TEXT },
    { "unit", "责任单位", COL_TEXT }, { "leader", "分包领导", COL_TEXT }, { NULL, NULL, COL_TEXT },
};

static void
overdue_render(struct page *p, struct evbuffer *out)
{
    list_render(p, out, "逾期节点", overdue_cols);
}

const struct page_def web_page_overdue = {
    .path = "/" LINK_OVERDUE, .params = milestone_params, .start = overdue_start, .render = overdue_render,
    .csv = true, .csv_name = "逾期节点",
};

static void
due_start(struct page *p)
{
    page_cmd_filtered(p, due_params, "due", NULL);
}

static const struct web_col due_cols[] = {
    { "days_left", "剩余天数", COL_NUM }, { "due", "应完成", COL_TEXT }, { "county", "县区", COL_COUNTY },
    { "project", "项目", COL_PROJECT }, { "title", "节点", COL_TEXT }, { "campaign", "攻坚期", COL_TEXT },
    { "unit", "责任单位", COL_TEXT }, { "leader", "分包领导", COL_TEXT }, { NULL, NULL, COL_TEXT },
};

static void
due_render(struct page *p, struct evbuffer *out)
{
    list_render(p, out, "临期节点", due_cols);
}

const struct page_def web_page_due = {
    .path = "/due", .params = due_params, .start = due_start, .render = due_render,
    .csv = true, .csv_name = "临期节点",
};

/* ---- 问题, 督办函 ------------------------------------------------------------- */

static const char *const problem_params[] = {
    "county", "unit", "status", "category", "severity", "project", "sector", NULL,
};

static void
problems_start(struct page *p)
{
    page_cmd_filtered(p, problem_params, "problem", "list", NULL);
}

static const struct web_col problem_cols[] = {
    { "status", "状态", COL_ZH }, { "county", "县区", COL_COUNTY }, { "project", "项目", COL_PROJECT },
    { "category_name", "类别", COL_TEXT }, { "severity", "程度", COL_ZH }, { "description", "问题", COL_TEXT },
    { "unit", "责任单位", COL_TEXT }, { "time_limit", "时限", COL_TEXT }, { "days_overdue", "超期天数", COL_NUM },
    { NULL, NULL, COL_TEXT },
};

static void
problems_render(struct page *p, struct evbuffer *out)
{
    list_render(p, out, "问题清单", problem_cols);
}

const struct page_def web_page_problems = {
    .path = "/problems", .params = problem_params, .start = problems_start, .render = problems_render,
    .csv = true, .csv_name = "问题清单",
};

static const char *const order_params[] = { "status", "county", "kind", "project", NULL };

static void
orders_start(struct page *p)
{
    page_cmd_filtered(p, order_params, "orders", NULL);
}

static void
orders_render(struct page *p, struct evbuffer *out)
{
    list_render(p, out, "督办函", web_order_cols);
}

const struct page_def web_page_orders = {
    .path = "/orders", .params = order_params, .start = orders_start, .render = orders_render,
    .csv = true, .csv_name = "督办函",
};
