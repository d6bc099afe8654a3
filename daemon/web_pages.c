/* web_pages: the dashboard's routes, its stylesheet, and the 总览 (also the
 * 大屏). Its figures are the answers of `stats`, `rank`, `campaign show`,
 * `campaign scorecard` and `alerts`, run as keyprojctl runs them: the page
 * never counts anything itself, so it cannot disagree with the CLI. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon.h"
#include "util.h"
#include "web.h"
#include "web_reply.h"
#include "web_html.h"
#include "web_page.h"
#include "web_pages.h"
#include "web_pages_defs.h"
#include "web_svg.h"

/* Mobile first (a leader opens a link from WeCom on a phone), then wider
 * screens, print (no nav, black on white) and the 大屏 (.scr: dark, large,
 * 1920×1080, no nav). Served from memory as /static/app.css: the CSP
 * allows styles from 'self' only, no inline style. */
static const char app_css[] =
    ":root{--red:#d93025;--yellow:#f2a600;--green:#188038;--ink:#202124;--mute:#5f6368;--line:#dadce0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.5 \"WenQuanYi Micro Hei\",\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\","
    "sans-serif;color:var(--ink);background:#f6f7f9}\n"
    "header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5em;padding:.6em 1em;background:#b71c1c;color:#fff}\n"
    "header h1{font-size:1.2em;margin:0;overflow-wrap:anywhere}header .date{opacity:.85;font-size:.9em}\n"
    "nav{display:flex;flex-wrap:wrap;gap:.2em 1em;padding:.4em 1em;background:#fff;border-bottom:1px solid var(--line)}\n"
    "nav a{text-decoration:none;color:#b71c1c;font-weight:bold}\n"
    "main{padding:.6em;max-width:1200px;margin:0 auto}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6em .8em;margin:.6em 0}\n"
    "h2{font-size:1.05em;margin:.2em 0 .5em}h3{font-size:1em;margin:.6em 0 .3em}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9em}\n"
    "th,td{border-bottom:1px solid var(--line);padding:.25em .4em;text-align:left;vertical-align:top}\n"
    "th{background:#f1f3f4;white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "a{color:#1a4fa3}td a{overflow-wrap:anywhere}\n"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.5em}\n"
    ".kpi{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5em}\n"
    ".kpi b{display:block;font-size:1.6em}.kpi span{color:var(--mute);font-size:.85em}\n"
    ".l-red{background:#fce8e6;color:var(--red);font-weight:bold}.l-yellow{background:#fef7e0;color:#b06000}\n"
    ".l-green{background:#e6f4ea;color:var(--green)}.l-0{color:#bbb}\n"
    ".dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.2em}\n"
    ".dot.red{background:var(--red)}.dot.yellow{background:var(--yellow)}.dot.green{background:var(--green)}\n"
    ".f-red{fill:var(--red)}.f-yellow{fill:var(--yellow)}.f-green{fill:var(--green)}\n"
    ".chart{margin:0}.chart svg{max-width:100%;height:auto}figcaption{color:var(--mute);font-size:.85em}\n"
    "svg .lbl{font-size:12px;fill:var(--ink)}svg .val,svg .tick{font-size:11px;fill:var(--mute)}\n"
    "svg .bar.ahead{fill:#34a853}svg .bar.near{fill:var(--yellow)}svg .bar.behind{fill:var(--red)}\n"
    "svg .mark{stroke:#202124;stroke-width:2}svg .axis{stroke:#9aa0a6}svg .plan{fill:none;stroke:#1a4fa3;stroke-width:2}\n"
    "svg .ms{stroke:#fff}svg .ms.done{fill:var(--green)}svg .ms.pending{fill:#9aa0a6}svg .ms.overdue{fill:var(--red)}"
    "svg .ms.waived{fill:#dadce0}\n"
    ".k.done{color:var(--green)}.k.pending{color:#9aa0a6}.k.overdue{color:var(--red)}.k.waived{color:#bbb}\n"
    ".note{color:var(--mute);font-size:.85em}.err{color:var(--red)}.csv{float:right;font-size:.9em}\n"
    "dl.row{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:0}dl.row dt{color:var(--mute)}"
    "dl.row dd{margin:0;overflow-wrap:anywhere}\n"
    ".groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:.6em}\n"
    "footer{color:var(--mute);font-size:.8em;text-align:center;padding:1em}\n"
    "@media (min-width:800px){body{font-size:16px}main{padding:1em}.two{display:grid;grid-template-columns:1fr 1fr;"
    "gap:0 1em}}\n"
    "@media print{nav,.csv,.noprint{display:none}body{background:#fff;font-size:11pt}header{background:none;"
    "color:#000;border-bottom:2px solid #000}section{border:none;break-inside:avoid;padding:0}"
    "a{color:#000;text-decoration:none}.scroll{overflow:visible}}\n"
    "body.scr{background:#0b1a2e;color:#e8eef7;font-size:17px;width:1920px;height:1080px;overflow:hidden}\n"
    ".scr header{background:#10294a;font-size:1.3em;justify-content:space-between;padding:.3em 1em}\n"
    ".scr main{max-width:none;padding:.2em .8em;columns:3;column-gap:.8em}\n"
    ".scr section{background:#132b4c;border-color:#24466f;margin:0 0 .5em;break-inside:avoid;padding:.3em .6em}\n"
    ".scr #totals{column-span:all}.scr #by-sector{display:none}.scr .reds{font-size:.8em;margin:0}.scr table{font-size:.85em}.scr th,.scr td{padding:.1em .4em}\n"
    ".scr .kpi{padding:.2em .5em}.scr .kpi b{font-size:1.4em}\n"
    ".scr th{background:#1b3a63;color:#e8eef7}.scr th,.scr td{border-color:#24466f}.scr a{color:#9ecbff}\n"
    ".scr .kpi{background:#132b4c;border-color:#24466f}.scr .kpi span,.scr figcaption,.scr .note{color:#9fb3cc}\n"
    ".scr svg .lbl{fill:#e8eef7}.scr svg .mark{stroke:#fff}.scr .l-0{color:#52657d}\n"
    ".scr .l-red{background:#4a1a1a;color:#ff8a80}.scr .l-yellow{background:#4a3a10;color:#ffd54f}"
    ".scr .l-green{background:#123a22;color:#81c995}.scr footer{position:fixed;bottom:0;right:1em;padding:.2em}\n";

/* ---- 总览 ------------------------------------------------------------------ */

enum { OV_COUNTY, OV_SECTOR, OV_CAMPAIGN, OV_SCORECARD, OV_RANK, OV_REDS };

/* The bimonthly window before today's ("2026-B5" on 2026-11-25): its
 * scorecard is frozen when it closed. */
static void
previous_window(const char *today, char out[24])
{
    int y = atoi(today), m = atoi(today + 5), b = (m + 1) / 2 - 1;
    if (b == 0) {
        y--;
        b = 6;
    }
    snprintf(out, 24, "%04d-B%d", y % 10000, b);
}

static void
overview_start(struct page *p)
{
    char prev[24];
    previous_window(page_today(p), prev);
    page_cmd(p, "stats", "--by", "county", NULL);
    page_cmd(p, "stats", "--by", "sector", NULL);
    page_optional(p, page_cmd(p, "campaign", "show", NULL));
    page_optional(p, page_cmd(p, "campaign", "scorecard", prev, NULL));
    page_cmd(p, "rank", NULL);
    page_cmd(p, "alerts", "--light", "red", "--since", page_today(p), "--limit", "50", NULL);
}

/* A count cell of the lights matrix, coloured when not zero. */
static void
light_cell(struct evbuffer *out, const char *light, long n)
{
    web_html_printf(out, "<td class=\"n l-%s\" data-k=\"%s\">%D</td>", n ? light : "0", light, (long long)n);
}

/* The lights of each row of a stats answer (by county or by sector). */
static void
lights_table(struct page *p, struct evbuffer *out, const json_t *rows, const char *key, const char *what,
             const char *link)
{
    web_html_printf(out, "<div class=\"scroll\"><table class=\"lights-matrix\" data-by=\"%s\"><thead><tr><th>%s</th>"
                    "<th class=\"n\">项目</th><th class=\"n\">红</th><th class=\"n\">黄</th><th class=\"n\">绿</th>"
                    "<th class=\"n\">逾期节点</th><th>灯</th></tr></thead><tbody>\n", key, what);
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) {
        const char *name = page_str(r, key);
        bool total = strcmp(name, "合计") == 0;
        web_html_printf(out, "<tr data-row=\"%s\"><th>", name);
        if (link && !total)
            web_html_printf(out, "<a href=\"%s%s%u\">%s</a>", page_root(p), link, name, name);
        else
            web_html_printf(out, "%s", strcmp(key, "sector") == 0 ? page_zh(name) : name);
        web_html_printf(out, "</th><td class=\"n\" data-k=\"projects\">%D</td>",
                        (long long)page_num(r, "projects"));
        light_cell(out, "red", (long)page_num(r, "red"));
        light_cell(out, "yellow", (long)page_num(r, "yellow"));
        light_cell(out, "green", (long)page_num(r, "green"));
        web_html_printf(out, "<td class=\"n\" data-k=\"milestones_overdue\">%D</td><td>",
                        (long long)page_num(r, "milestones_overdue"));
        svg_lights(out, (long)page_num(r, "red"), (long)page_num(r, "yellow"), (long)page_num(r, "green"));
        evbuffer_add_printf(out, "</td></tr>\n");
    }
    evbuffer_add_printf(out, "</tbody></table></div>\n");
}

static const json_t *
total_row(const json_t *rows)
{
    size_t n = json_array_size(rows);
    return n ? json_array_get(rows, n - 1) : NULL;
}

static void
campaign_section(struct page *p, struct evbuffer *out)
{
    const json_t *c = page_data(p, OV_CAMPAIGN), *sc = page_data(p, OV_SCORECARD);
    evbuffer_add_printf(out, "<section id=\"campaign\"><h2>双月攻坚</h2>\n");
    if (json_is_object(c)) {
        double m = page_num(c, "milestones"), due = m - page_num(c, "not_yet_due") - page_num(c, "waived");
        web_html_printf(out, "<p><b>%s</b>（%s 至 %s，已过 %D 天，剩 %D 天）</p>\n<div class=\"kpis\">",
                        page_str(c, "name"), page_str(c, "starts_on"), page_str(c, "ends_on"),
                        (long long)page_num(c, "days_gone"),
                        (long long)page_num(c, "days_left"));
        web_html_printf(out, "<div class=\"kpi\" data-k=\"done_pct\"><b>%.1f%%</b><span>节点完成（%D/%D）</span></div>"
                        "<div class=\"kpi\"><b>%.1f%%</b><span>时间过半程度</span></div>",
                        page_num(c, "done_pct"), (long long)page_num(c, "done"), (long long)m,
                        page_num(c, "time_elapsed_pct"));
        if (due > 0)
            web_html_printf(out, "<div class=\"kpi\" data-k=\"on_time_pct\"><b>%.1f%%</b><span>到期节点按时完成"
                            "（%D/%.0f）</span></div>", 100.0 * page_num(c, "on_time") / due,
                            (long long)page_num(c, "on_time"), due);
        web_html_printf(out, "<div class=\"kpi l-red\"><b>%D</b><span>逾期节点</span></div></div>\n",
                        (long long)page_num(c, "overdue"));
    } else {
        evbuffer_add_printf(out, "<p class=\"note\">今天不在任何双月攻坚窗口内。</p>\n");
    }
    const json_t *city = json_array_get(sc, 0);
    if (city && page_has(city, "on_time_pct"))
        web_html_printf(out, "<p>上期成绩（%s 冻结）：按时完成率 <b data-k=\"frozen_on_time_pct\">%.1f%%</b>"
                        "（%D/%D 个节点）</p>\n", page_str(city, "frozen_on"), page_num(city, "on_time_pct"),
                        (long long)page_num(city, "on_time"), (long long)page_num(city, "nodes"));
    evbuffer_add_printf(out, "</section>\n");
}

static void
investment_chart(struct evbuffer *out, const char *root, const json_t *rows)
{
    size_t n = json_array_size(rows), k = 0, i;
    struct svg_bar *bars = xcalloc(n ? n : 1, sizeof *bars);
    char **hrefs = xcalloc(n ? n : 1, sizeof *hrefs);
    const json_t *r;
    json_array_foreach(rows, i, r) {
        if (!page_has(r, "investment_rate") || strcmp(page_str(r, "county"), "合计") == 0)
            continue;
        struct evbuffer *h = evbuffer_new();
        web_html_printf(h, "%scounty/%u", root, page_str(r, "county"));
        evbuffer_add(h, "", 1);
        hrefs[k] = xstrdup((const char *)evbuffer_pullup(h, -1));
        evbuffer_free(h);
        bars[k] = (struct svg_bar){ page_str(r, "county"), page_num(r, "investment_rate"),
                                    page_num(r, "schedule_rate"), hrefs[k] };
        k++;
    }
    evbuffer_add_printf(out, "<section id=\"investment\"><h2>投资完成与序时进度</h2>\n");
    if (k)
        svg_progress_bars(out, bars, k, "各县区年度投资完成率与序时进度");
    else
        evbuffer_add_printf(out, "<p class=\"note\">没有年度投资计划。</p>\n");
    evbuffer_add_printf(out, "</section>\n");
    for (size_t j = 0; j < k; j++)
        free(hrefs[j]);
    free(hrefs);
    free(bars);
}

static void
rank_section(struct evbuffer *out, const char *root, const json_t *rows)
{
    evbuffer_add_printf(out, "<section id=\"rank\"><h2>县区排名（投资完成对序时进度）</h2><div class=\"groups\">\n");
    const char *group = NULL;
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) {
        if (group == NULL || strcmp(group, page_str(r, "group")) != 0) {
            if (group)
                evbuffer_add_printf(out, "</tbody></table></div>\n");
            group = page_str(r, "group");
            web_html_printf(out, "<div class=\"scroll\"><h3>%s <span class=\"note\">%s</span></h3><table "
                            "data-group=\"%s\"><thead><tr><th class=\"n\">名次</th><th>县区</th><th class=\"n\">"
                            "完成率</th><th class=\"n\">对序时</th></tr></thead><tbody>\n", page_zh(group),
                            page_str(r, "month"), group);
        }
        web_html_printf(out,
                        "<tr><td class=\"n\">%D</td><td><a href=\"%scounty/%u\">%s</a></td><td class=\"n\">"
                        "%.1f%%</td><td class=\"n %s\">%+.1f</td></tr>\n",
                        (long long)page_num(r, "rank"), root, page_str(r, "county"), page_str(r, "county"),
                        page_num(r, "investment_rate"),
                        page_num(r, "points_vs_schedule") < 0 ? "l-red" : "l-green",
                        page_num(r, "points_vs_schedule"));
    }
    if (group)
        evbuffer_add_printf(out, "</tbody></table></div>\n");
    else
        evbuffer_add_printf(out, "<p class=\"note\">没有可排名的县区。</p>\n");
    evbuffer_add_printf(out, "</div></section>\n");
}

static void
reds_section(struct page *p, struct evbuffer *out, const json_t *rows)
{
    size_t n = json_array_size(rows), i;
    web_html_printf(out, "<section id=\"reds\"><h2>今日新增红灯 <span class=\"note\">%D 条</span></h2>\n",
                    (long long)n);
    if (n == 0)
        evbuffer_add_printf(out, "<p class=\"note\">今天没有新的红灯。</p>\n");
    else
        evbuffer_add_printf(out, "<ul class=\"reds\">\n");
    const json_t *r;
    json_array_foreach(rows, i, r) {
        if (i >= (page_screen(p) ? 5 : 50))
            break;
        web_html_printf(out, "<li><span class=\"dot red\"></span><a href=\"%sproject/%u\">%s</a></li>\n",
                        page_root(p), page_str(r, "project"), page_str(r, "message"));
    }
    if (n)
        evbuffer_add_printf(out, "</ul>\n");
    evbuffer_add_printf(out, "</section>\n");
}

static void
overview_render(struct page *p, struct evbuffer *out)
{
    const json_t *county = page_data(p, OV_COUNTY), *sector = page_data(p, OV_SECTOR);
    page_head(p, out, page_screen(p) ? "重点项目 大屏" : "重点项目总览");
    evbuffer_add_printf(out, "<section class=\"wide\" id=\"totals\"><h2>全市</h2>\n");
    web_write_kpis(out, total_row(county));
    evbuffer_add_printf(out, "</section>\n");
    campaign_section(p, out);
    evbuffer_add_printf(out, "<section id=\"by-county\"><h2>各县区红黄绿灯</h2>\n");
    lights_table(p, out, county, "county", "县区", "county/");
    evbuffer_add_printf(out, "</section>\n<section id=\"by-sector\"><h2>各领域红黄绿灯</h2>\n");
    lights_table(p, out, sector, "sector", "领域", NULL);
    evbuffer_add_printf(out, "</section>\n");
    investment_chart(out, page_root(p), county);
    rank_section(out, page_root(p), page_data(p, OV_RANK));
    reds_section(p, out, page_data(p, OV_REDS));
    if (!page_screen(p))
        web_html_printf(out, "<p class=\"note noprint\"><a href=\"%sscreen\">大屏模式</a></p>\n", page_root(p));
    page_foot(p, out);
}

static const struct page_def overview = {
    .path = "/", .start = overview_start, .render = overview_render,
};
static const struct page_def screen = {
    .path = "/screen", .start = overview_start, .render = overview_render, .screen = true,
};

/* ---- routes ---------------------------------------------------------------- */

static const struct page_def *const pages[] = {
    &overview, &screen, &web_page_county, &web_page_leader, &web_page_unit, &web_page_project,
    &web_page_overdue, &web_page_due, &web_page_problems, &web_page_orders, &web_page_bulletin,
};

struct web_pages *
web_pages_new(struct daemon *d)
{
    struct web_pages *wp = xcalloc(1, sizeof *wp);
    wp->d = d;
    return wp;
}

static void
not_found(struct evhttp_request *req, const char *path)
{
    page_error_at(req, 404, "Not Found", "没有这个页面", "地址有误，或者页面已不存在。", path);
}

void
web_pages_serve(struct web_pages *wp, const void *owner, struct evhttp_request *req, const char *path)
{
    if (strcmp(path, "/static/app.css") == 0) {
        web_reply(req, 200, "OK", "text/css; charset=utf-8", app_css, sizeof app_css - 1);
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(pages); i++) {
        const struct page_def *def = pages[i];
        size_t n = strlen(def->path);
        if (!def->has_arg) {
            if (strcmp(path, def->path) == 0) {
                page_serve(wp, owner, def, req, NULL);
                return;
            }
            continue;
        }
        if (strncmp(path, def->path, n) != 0 || path[n] == '\0' || strchr(path + n, '/'))
            continue;
        size_t len = 0;
        char *arg = evhttp_uridecode(path + n, 0, &len);
        if (arg == NULL || len != strlen(arg) || len > 200) {   /* a NUL inside, or no name could be that long */
            free(arg);
            not_found(req, path);
            return;
        }
        page_serve(wp, owner, def, req, arg);
        free(arg);
        return;
    }
    not_found(req, path);
}
