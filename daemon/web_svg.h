/* web_svg: the dashboard's charts, drawn on the server as inline SVG: no
 * script (the CSP allows none), no network, a few hundred bytes each, and
 * they print. Colours come from attributes and the stylesheet's classes,
 * never a style attribute (the CSP refuses inline styles). Pure but for
 * the evbuffer each appends to; every label is escaped. */
#ifndef KEYPROJ_WEB_SVG_H
#define KEYPROJ_WEB_SVG_H

#include <stddef.h>

struct evbuffer;

/* One row of a progress chart: a bar for value (%), a tick for mark (%). */
struct svg_bar {
    const char *label;
    double value, mark;
    const char *href;           /* where the label links, or NULL */
};
/* Horizontal bars, one row each; caption names the two figures. */
void svg_progress_bars(struct evbuffer *out, const struct svg_bar *bars, size_t n, const char *caption);

/* A small stacked bar of a count of red, yellow and green projects. */
void svg_lights(struct evbuffer *out, long red, long yellow, long green);

/* A point of the milestone timeline: day of the year (0-based, of
 * ndays), its status class (done, pending, overdue, waived) and title. */
struct svg_point {
    int day;
    const char *cls, *title, *date;
};
void svg_timeline(struct evbuffer *out, const struct svg_point *pts, size_t n, int ndays, int year);

/* Twelve months of cumulative investment (万元): bars for what was
 * reported (a negative value: none yet), a line for the plan. */
void svg_months(struct evbuffer *out, const double actual[12], const double plan[12]);

#endif
