/* web_pages_ledger: the pages of one county, one leader (领导分包: the
 * projects he answers for), one unit, and one project (its ledger row,
 * milestones on a timeline, monthly investment against plan, open
 * problems, letters, last audit entries). Their figures are the answers of
 * keyprojctl's stats, projects, overdue, project, problem list, orders and
 * audit; only the project's month-by-month investment is a query of its
 * own. A name nothing bears is a 404 (the commands say not_found). */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "util.h"
#include "values.h"
#include "links.h"
#include "web_html.h"
#include "web_page.h"
#include "web_pages_defs.h"
#include "web_svg.h"

/* ---- county, leader, unit ---------------------------------------------------- */

enum { SC_STATS, SC_SECTOR, SC_PROJECTS, SC_OVERDUE };

static void
scope_start(struct page *p, const char *opt)
{
    const char *name = page_arg(p);
    page_cmd(p, "stats", opt, name, NULL);
    page_cmd(p, "stats", "--by", "sector", opt, name, NULL);
    page_cmd(p, "projects", opt, name, NULL);
    page_cmd(p, "overdue", opt, name, NULL);
}

static const struct web_col project_cols[] = {
    { "light", "灯", COL_LIGHT }, { "code", "项目", COL_PROJECT }, { "county", "县区", COL_COUNTY },
    { "sector", "领域", COL_ZH }, { "status", "状态", COL_ZH }, { "leader", "分包领导", COL_TEXT },
    { "annual_plan", "年度计划(万元)", COL_NUM }, { "ytd_investment", "累计完成(万元)", COL_NUM },
    { NULL, NULL, COL_TEXT },
};
static const struct web_col overdue_cols[] = {
    { "days_overdue", "逾期天数", COL_NUM }, { "due", "应完成", COL_TEXT }, { "project", "项目", COL_PROJECT },
    { "title", "节点", COL_TEXT }, { "unit", "责任单位", COL_TEXT }, { NULL, NULL, COL_TEXT },
};
static const struct web_col sector_cols[] = {
    { "sector", "领域", COL_ZH }, { "projects", "项目", COL_NUM }, { "red", "红", COL_NUM },
    { "yellow", "黄", COL_NUM }, { "green", "绿", COL_NUM }, { "milestones_overdue", "逾期节点", COL_NUM },
    { "investment_rate", "投资完成率%", COL_NUM }, { "schedule_rate", "序时进度%", COL_NUM },
    { NULL, NULL, COL_TEXT },
};

/* The projects red first: the reader's eye goes to them. */
static json_t *
red_first_new(const json_t *rows)
{
    json_t *sorted = json_array();
    static const char *const order[] = { "red", "yellow", "green", NULL };
    for (int k = 0; k <= 3; k++) {
        size_t i;
        const json_t *r;
        json_array_foreach(rows, i, r) {
            const char *l = page_str(r, "light");
            bool known = !strcmp(l, "red") || !strcmp(l, "yellow") || !strcmp(l, "green");
            if (k < 3 ? strcmp(l, order[k]) == 0 : !known)
                json_array_append(sorted, (json_t *)r);
        }
    }
    return sorted;
}

static void
scope_render(struct page *p, struct evbuffer *out, const char *what, const char *list_param)
{
    const json_t *stats = page_data(p, SC_STATS);
    size_t n = json_array_size(stats);
    const json_t *total = n ? json_array_get(stats, n - 1) : NULL;
    struct evbuffer *title = evbuffer_new();
    evbuffer_add_printf(title, "%s%s", page_arg(p), what);
    evbuffer_add(title, "", 1);
    page_head(p, out, (const char *)evbuffer_pullup(title, -1));
    evbuffer_free(title);
    evbuffer_add_printf(out, "<section id=\"totals\"><h2>概况</h2>\n");
    web_write_kpis(out, total);
    evbuffer_add_printf(out, "</section>\n<section id=\"by-sector\"><h2>各领域</h2>\n");
    web_write_table(out, page_root(p), page_data(p, SC_SECTOR), sector_cols, 20);
    json_t *projects = red_first_new(page_data(p, SC_PROJECTS));
    web_html_printf(out, "</section>\n<section id=\"projects\"><h2>项目 <span class=\"note\">%D 个</span></h2>\n",
                    (long long)json_array_size(projects));
    web_write_table(out, page_root(p), projects, project_cols, PAGE_MAX_ROWS);
    json_decref(projects);
    const json_t *od = page_data(p, SC_OVERDUE);
    web_html_printf(out, "</section>\n<section id=\"overdue\"><h2>逾期节点 <span class=\"note\">%D 个</span></h2>\n",
                    (long long)json_array_size(od));
    web_write_table(out, page_root(p), od, overdue_cols, 50);
    if (json_array_size(od) > 50)
        web_html_printf(out, "<p><a href=\"%soverdue?%s=%u\">全部逾期节点</a></p>\n", page_root(p), list_param,
                        page_arg(p));
    evbuffer_add_printf(out, "</section>\n");
    page_foot(p, out);
}

static void county_start(struct page *p) { scope_start(p, "--county"); }
static void leader_start(struct page *p) { scope_start(p, "--leader"); }
static void unit_start(struct page *p) { scope_start(p, "--unit"); }
static void county_render(struct page *p, struct evbuffer *out) { scope_render(p, out, "", "county"); }
static void leader_render(struct page *p, struct evbuffer *out) { scope_render(p, out, " 分包项目", "leader"); }
static void unit_render(struct page *p, struct evbuffer *out) { scope_render(p, out, " 责任项目", "unit"); }

const struct page_def web_page_county = {
    .path = "/county/", .has_arg = true, .start = county_start, .render = county_render,
};
const struct page_def web_page_leader = {
    .path = "/leader/", .has_arg = true, .start = leader_start, .render = leader_render,
};
const struct page_def web_page_unit = {
    .path = "/unit/", .has_arg = true, .start = unit_start, .render = unit_render,
};

/* ---- project ------------------------------------------------------------------ */

enum { PR_PROJECT, PR_PROBLEMS, PR_ORDERS, PR_AUDIT, PR_MONTHS };

/* The project's year month by month: the year-to-date reported for that
 * month (NULL: no report), and the planned cumulative as the rules read
 * it (the monthly plan, else the annual plan spread evenly). */
#define MONTHS_SQL \
    "SELECT g.m AS month," \
    " (SELECT r.ytd FROM investment_report r WHERE r.project_id = p.id" \
    "   AND r.month = make_date(p.year, g.m, 1)) AS ytd," \
    " coalesce((SELECT ip.planned_cumulative FROM investment_plan ip WHERE ip.project_id = p.id" \
    "   AND ip.month = make_date(p.year, g.m, 1)), p.annual_plan * g.m / 12) AS plan" \
    " FROM project p CROSS JOIN generate_series(1, 12) g(m) WHERE p.code = $1 ORDER BY g.m"

static void
project_start(struct page *p)
{
    const char *code = page_arg(p);
    char *subject = xasprintf("project:%s", code);
    page_cmd(p, "project", code, NULL);
    page_cmd(p, "problem", "list", "--project", code, NULL);
    page_cmd(p, "orders", "--project", code, NULL);
    page_cmd(p, "audit", "--subject", subject, "--limit", "10", NULL);
    const char *params[] = { code };
    page_sql(p, MONTHS_SQL, 1, params);
    free(subject);
}

static void
row(struct evbuffer *out, const char *dt, const char *dd)
{
    web_html_printf(out, "<dt>%s</dt><dd>%s</dd>", dt, dd);
}

static void
rown(struct evbuffer *out, const char *dt, const json_t *o, const char *key)
{
    if (page_has(o, key))
        web_html_printf(out, "<dt>%s</dt><dd>%.2f 万元</dd>", dt, page_num(o, key));
}

static void
ledger_row(const struct page *p, struct evbuffer *out, const json_t *pr)
{
    web_html_printf(out, "<section id=\"ledger\"><h2><span class=\"dot %s\"></span>%s灯 · %s</h2><dl class=\"row\">",
                    page_str(pr, "light"), page_zh(page_str(pr, "light")), page_str(pr, "code"));
    web_html_printf(out, "<dt>县区</dt><dd><a href=\"%scounty/%u\">%s</a></dd>", page_root(p), page_str(pr, "county"),
                    page_str(pr, "county"));
    row(out, "级别", page_zh(page_str(pr, "level")));
    row(out, "领域", page_zh(page_str(pr, "sector")));
    row(out, "类别", page_zh(page_str(pr, "category")));
    row(out, "状态", page_zh(page_str(pr, "status")));
    row(out, "业主", page_str(pr, "owner"));
    if (*page_str(pr, "unit"))
        web_html_printf(out, "<dt>责任单位</dt><dd><a href=\"%sunit/%u\">%s</a></dd>", page_root(p), page_str(pr, "unit"),
                        page_str(pr, "unit"));
    if (*page_str(pr, "leader"))
        web_html_printf(out, "<dt>分包领导</dt><dd><a href=\"%sleader/%u\">%s</a> %s</dd>",
                        page_root(p), page_str(pr, "leader"), page_str(pr, "leader"), page_str(pr, "leader_title"));
    rown(out, "总投资", pr, "total_investment");
    rown(out, "年度计划", pr, "annual_plan");
    rown(out, "累计完成", pr, "ytd_investment");
    web_html_printf(out, "<dt>计划工期</dt><dd>%s 至 %s</dd>", page_str(pr, "planned_start"),
                    page_str(pr, "planned_end"));
    if (*page_str(pr, "actual_start"))
        row(out, "实际开工", page_str(pr, "actual_start"));
    if (*page_str(pr, "actual_end"))
        row(out, "实际竣工", page_str(pr, "actual_end"));
    row(out, "在册", page_str(pr, "list"));
    evbuffer_add_printf(out, "</dl></section>\n");
}

static const struct web_col milestone_cols[] = {
    { "due", "应完成", COL_TEXT }, { "title", "节点", COL_TEXT }, { "kind", "类型", COL_ZH },
    { "campaign", "攻坚期", COL_TEXT }, { "status", "状态", COL_ZH }, { "done_on", "完成", COL_TEXT },
    { "unit", "责任单位", COL_TEXT }, { NULL, NULL, COL_TEXT },
};
static const struct web_col problem_cols[] = {
    { "status", "状态", COL_ZH }, { "category_name", "类别", COL_TEXT }, { "severity", "程度", COL_ZH },
    { "description", "问题", COL_TEXT }, { "unit", "责任单位", COL_TEXT }, { "time_limit", "时限", COL_TEXT },
    { NULL, NULL, COL_TEXT },
};
static const struct web_col audit_cols[] = {
    { "at", "时间", COL_TEXT }, { "actor", "操作人", COL_TEXT }, { "action", "操作", COL_TEXT },
    { "result", "结果", COL_TEXT }, { NULL, NULL, COL_TEXT },
};

static void
timeline(struct evbuffer *out, const json_t *pr)
{
    const json_t *ms = json_object_get(pr, "milestones");
    int year = (int)page_num(pr, "year");
    struct ymd jan1 = { year, 1, 1 }, dec31 = { year, 12, 31 };
    long base = ymd_to_days(&jan1);
    int ndays = (int)(ymd_to_days(&dec31) - base + 1);
    size_t n = json_array_size(ms), k = 0, i;
    struct svg_point *pts = xcalloc(n ? n : 1, sizeof *pts);
    const json_t *m;
    json_array_foreach(ms, i, m) {
        struct ymd d;
        if (!parse_date(page_str(m, "due"), &d) || d.y != year)
            continue;
        pts[k++] = (struct svg_point){ (int)(ymd_to_days(&d) - base), page_str(m, "status"),
                                       page_str(m, "title"), page_str(m, "due") };
    }
    svg_timeline(out, pts, k, ndays, year);
    free(pts);
}

static void
months_chart(struct evbuffer *out, const json_t *rows)
{
    double actual[12], plan[12];
    for (int m = 0; m < 12; m++) {
        const json_t *r = json_array_get(rows, (size_t)m);
        actual[m] = page_has(r, "ytd") ? page_num(r, "ytd") : -1;
        plan[m] = page_num(r, "plan");
    }
    svg_months(out, actual, plan);
}

static void
project_render(struct page *p, struct evbuffer *out)
{
    const json_t *pr = page_data(p, PR_PROJECT);
    page_head(p, out, page_str(pr, "name"));
    ledger_row(p, out, pr);
    evbuffer_add_printf(out, "<section id=\"milestones\"><h2>节点</h2>\n");
    timeline(out, pr);
    web_write_table(out, page_root(p), json_object_get(pr, "milestones"), milestone_cols, PAGE_MAX_ROWS);
    evbuffer_add_printf(out, "</section>\n<section id=\"months\"><h2>月度投资与计划</h2>\n");
    months_chart(out, page_data(p, PR_MONTHS));
    evbuffer_add_printf(out, "</section>\n<section id=\"problems\"><h2>问题</h2>\n");
    json_t *open = json_array();
    size_t i;
    const json_t *r;
    json_array_foreach(page_data(p, PR_PROBLEMS), i, r)
        if (strcmp(page_str(r, "status"), "resolved") != 0)
            json_array_append(open, (json_t *)r);
    web_write_table(out, page_root(p), open, problem_cols, 50);
    json_decref(open);
    evbuffer_add_printf(out, "</section>\n<section id=\"orders\"><h2>督办函</h2>\n");
    web_write_table(out, page_root(p), page_data(p, PR_ORDERS), web_order_cols, 50);
    evbuffer_add_printf(out, "</section>\n<section id=\"audit\"><h2>最近操作记录</h2>\n");
    web_write_table(out, page_root(p), page_data(p, PR_AUDIT), audit_cols, 10);
    evbuffer_add_printf(out, "</section>\n");
    page_foot(p, out);
}

const struct page_def web_page_project = {
    .path = "/" LINK_PROJECT, .has_arg = true, .start = project_start, .render = project_render,
};
