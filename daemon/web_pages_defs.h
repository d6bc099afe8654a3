/* web_pages_defs: the pages web_pages.c routes to, defined in
 * web_pages_ledger.c (county, leader, unit, project),
 * web_pages_lists.c (overdue, due, problems, letters) and
 * web_pages_files.c (the weekly bulletin's workbook), and what they share
 * (web_parts.c). */
#ifndef KEYPROJ_WEB_PAGES_DEFS_H
#define KEYPROJ_WEB_PAGES_DEFS_H

#include <jansson.h>

#include "web_page.h"

struct evbuffer;

extern const struct page_def web_page_county, web_page_leader, web_page_unit, web_page_project;
extern const struct page_def web_page_overdue, web_page_due, web_page_problems, web_page_orders;
extern const struct page_def web_page_bulletin;

/* The headline figures of a stats answer's row (its 合计): projects, red,
 * overdue milestones, completion, investment and 序时进度. */
void web_write_kpis(struct evbuffer *out, const json_t *total);

/* One column of a list: the answer's key, its heading, and how to show
 * it. */
enum web_col_kind { COL_TEXT, COL_NUM, COL_ZH, COL_PROJECT, COL_COUNTY, COL_LIGHT };
struct web_col {
    const char *key, *head;
    enum web_col_kind kind;
};
/* A table of rows (at most max; a note says how many were left out); its
 * links start with root (page_root). */
extern const struct web_col web_order_cols[];
void web_write_table(struct evbuffer *out, const char *root, const json_t *rows, const struct web_col *cols,
                     size_t max);

#endif
