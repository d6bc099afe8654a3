/* import_header: where a spreadsheet's header is — below title rows (a
 * ledger's 2026年洛阳市重点项目台账 and its date line), over one row or two
 * (a merged parent over its children) — and the header as the file spells
 * it: "计划投资（万元）/年度" for a child under its parent. Pure; which
 * names are columns is the caller's (a score function). */
#ifndef KEYPROJ_IMPORT_HEADER_H
#define KEYPROJ_IMPORT_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "csv.h"
#include "xlsx.h"

#define IMPORT_HEADER_SCAN 20 /* rows looked at for the header */

/* How many cells of h name a column; *complete when every required
 * column is named. */
typedef size_t (*import_header_score_fn)(const void *ctx, const struct csv_row *h, bool *complete);

struct import_header {
    struct csv_row row; /* line: the header's (first) row; fields owned */
    size_t data_from;   /* index in the table of the first row after it */
};

/* Finds the header in t from row index first on (the first non-blank).
 * merges (of a workbook; NULL for CSV) spread a merged header cell over
 * its columns. When no row makes a complete header, the first row is the
 * header (and the caller reports what it lacks). */
void import_header_find(const struct csv *t, size_t first, const struct xlsx_range *merges, size_t nmerges,
                        import_header_score_fn score, const void *ctx, struct import_header *out);
void import_header_free(struct import_header *h);

#endif
