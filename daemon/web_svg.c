/* web_svg: server-side SVG charts for the dashboard (web_svg.h says why). */
#include "ac_config.h"

#include <stdio.h>

#include <event2/buffer.h>

#include "web_html.h"
#include "web_svg.h"

#define BAR_W 420
#define LABEL_W 76
#define ROW_H 22

static double
clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void
svg_progress_bars(struct evbuffer *out, const struct svg_bar *bars, size_t n, const char *caption)
{
    double max = 100;
    for (size_t i = 0; i < n; i++) {
        if (bars[i].value > max)
            max = bars[i].value;
        if (bars[i].mark > max)
            max = bars[i].mark;
    }
    int h = (int)n * ROW_H + 28;
    double span = BAR_W - LABEL_W - 48;
    web_html_printf(out, "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
                    "aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">\n", BAR_W, h, caption);
    for (size_t i = 0; i < n; i++) {
        const struct svg_bar *b = &bars[i];
        int y = (int)i * ROW_H + 4;
        double w = span * clamp(b->value, 0, max) / max, m = LABEL_W + span * clamp(b->mark, 0, max) / max;
        const char *cls = b->value >= b->mark ? "ahead" : b->value >= b->mark - 5 ? "near" : "behind";
        if (b->href)
            web_html_printf(out, "<a href=\"%s\">", b->href);
        web_html_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lbl\">%s</text>", LABEL_W - 6,
                        y + 14, b->label);
        if (b->href)
            evbuffer_add_printf(out, "</a>");
        web_html_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" class=\"bar %s\"/>"
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"mark\"/>"
                        "<text x=\"%.1f\" y=\"%d\" class=\"val\">%.1f%%</text>\n",
                        LABEL_W, y + 2, w, cls, m, m, y, y + 18, LABEL_W + w + 4, y + 14, b->value);
    }
    int y = (int)n * ROW_H + 20;
    web_html_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" class=\"bar ahead\"/>"
                    "<text x=\"%d\" y=\"%d\" class=\"lbl\">完成率</text>"
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"mark\"/>"
                    "<text x=\"%d\" y=\"%d\" class=\"lbl\">序时进度</text></svg>"
                    "<figcaption>%s</figcaption></figure>\n",
                    LABEL_W, y - 9, LABEL_W + 16, y, LABEL_W + 80, LABEL_W + 80, y - 10, y + 1, LABEL_W + 86, y,
                    caption);
}

void
svg_lights(struct evbuffer *out, long red, long yellow, long green)
{
    long total = red + yellow + green;
    if (total <= 0)
        return;
    double x = 0, w;
    web_html_printf(out, "<svg viewBox=\"0 0 100 10\" class=\"lights\" width=\"100\" height=\"10\" "
                    "xmlns=\"http://www.w3.org/2000/svg\" aria-hidden=\"true\">");
    const struct { long n; const char *cls; } part[] = { { red, "red" }, { yellow, "yellow" }, { green, "green" } };
    for (size_t i = 0; i < 3; i++) {
        w = 100.0 * (double)part[i].n / (double)total;
        if (w > 0)
            web_html_printf(out, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"10\" class=\"f-%s\"/>", x, w,
                            part[i].cls);
        x += w;
    }
    evbuffer_add_printf(out, "</svg>");
}

void
svg_timeline(struct evbuffer *out, const struct svg_point *pts, size_t n, int ndays, int year)
{
    const int w = 600, left = 10, right = 10;
    double span = w - left - right;
    web_html_printf(out, "<figure class=\"chart\"><svg viewBox=\"0 0 %d 70\" width=\"100%%\" role=\"img\" "
                    "aria-label=\"%d年节点时间轴\" xmlns=\"http://www.w3.org/2000/svg\">\n"
                    "<line x1=\"%d\" x2=\"%d\" y1=\"30\" y2=\"30\" class=\"axis\"/>\n", w, year, left, w - right);
    for (int m = 0; m < 12; m++) {
        double x = left + span * (m * 30.5) / ndays;
        web_html_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"26\" y2=\"34\" class=\"axis\"/>"
                        "<text x=\"%.1f\" y=\"50\" class=\"tick\">%d月</text>", x, x, x + 2, m + 1);
    }
    for (size_t i = 0; i < n; i++) {
        double x = left + span * clamp(pts[i].day, 0, ndays) / ndays;
        web_html_printf(out, "<circle cx=\"%.1f\" cy=\"30\" r=\"6\" class=\"ms %s\"><title>%s %s</title></circle>\n",
                        x, pts[i].cls, pts[i].date, pts[i].title);
    }
    evbuffer_add_printf(out, "</svg><figcaption>节点：<span class=\"k done\">●完成</span> "
                        "<span class=\"k pending\">●未到期</span> <span class=\"k overdue\">●逾期</span> "
                        "<span class=\"k waived\">●免除</span></figcaption></figure>\n");
}

void
svg_months(struct evbuffer *out, const double actual[12], const double plan[12])
{
    const int w = 600, h = 200, left = 54, bottom = 24, top = 10;
    double max = 1;
    for (int m = 0; m < 12; m++) {
        if (actual[m] > max)
            max = actual[m];
        if (plan[m] > max)
            max = plan[m];
    }
    double cw = (double)(w - left - 8) / 12, ph = h - bottom - top;
    web_html_printf(out, "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
                    "aria-label=\"月度累计投资与计划\" xmlns=\"http://www.w3.org/2000/svg\">\n"
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"axis\"/>"
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"tick\">%.0f</text>"
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"tick\">0</text>\n",
                    w, h, left, w - 8, h - bottom, h - bottom, left - 4, top + 8, max, left - 4, h - bottom);
    for (int m = 0; m < 12; m++) {
        double x = left + cw * m;
        if (actual[m] >= 0) {
            double bh = ph * actual[m] / max;
            web_html_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar ahead\">"
                            "<title>%d月 累计完成 %.2f 万元</title></rect>", x + 3, h - bottom - bh, cw - 6, bh,
                            m + 1, actual[m]);
        }
        web_html_printf(out, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%d</text>",
                        x + cw / 2, h - 8, m + 1);
    }
    evbuffer_add_printf(out, "\n<polyline class=\"plan\" points=\"");
    for (int m = 0; m < 12; m++)
        evbuffer_add_printf(out, "%.1f,%.1f ", left + cw * m + cw / 2, h - bottom - ph * clamp(plan[m], 0, max) / max);
    evbuffer_add_printf(out, "\"/></svg><figcaption>柱：月末累计完成投资（万元）；线：累计计划（序时）"
                        "</figcaption></figure>\n");
}
