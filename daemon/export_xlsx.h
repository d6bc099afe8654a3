/* export_xlsx: a table (a header and rows of text from the database) as an
 * Excel workbook written with libxlsxwriter: frozen header row, autofilter,
 * columns as wide as their text (CJK counts two), money and dates as real
 * numbers and dates with their formats, lights as red/yellow/green fills.
 * The workbook is made in a private temporary directory that is removed on
 * every path; what comes back is its bytes. */
#ifndef KEYPROJ_EXPORT_XLSX_H
#define KEYPROJ_EXPORT_XLSX_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "util.h"

enum export_cell {
    XCELL_TEXT,   /* as it is */
    XCELL_NUMBER, /* a whole number (年度, an id) */
    XCELL_MONEY,  /* 万元, #,##0.00 */
    XCELL_DATE,   /* YYYY-MM-DD, shown yyyy-mm-dd */
    XCELL_LIGHT,  /* green | yellow | red, shown 绿 黄 红 on its colour */
    XCELL_COUNT_GREEN, XCELL_COUNT_YELLOW, XCELL_COUNT_RED, /* a count of lights, on the light's colour
                                                             * when not 0 */
};

struct export_table {
    const char *sheet;
    size_t ncols, nrows;
    const char *const *headers;
    const enum export_cell *kinds;
    /* The text of a cell, NULL when empty. */
    const char *(*cell)(const void *ctx, size_t row, size_t col);
    const void *ctx;
};

/* Appends the workbook's bytes to out; false with a message in err. */
bool export_xlsx(const struct export_table *t, struct buf *out, char *err, size_t errlen);

/* The answer that carries a workbook, {"file_base64": "…"}: keyprojctl
 * writes its bytes (never to a terminal). New reference. */
json_t *export_file_answer_new(const struct buf *xlsx);

/* A sheet of a workbook of several (the weekly bulletin): an optional
 * title row above (bold, merged across the tables' columns), then its
 * tables one below the other with a blank row between, each with its own
 * header row. The first table's header row is frozen and filtered; the
 * columns are as wide as the widest text any table puts in them. The
 * tables' own sheet member is not read. */
struct export_sheet {
    const char *name;
    const char *title;                  /* NULL: none */
    size_t ntables;
    const struct export_table *tables;
};

/* export_xlsx for a workbook of n sheets, in that order. */
bool export_xlsx_book(const struct export_sheet *sheets, size_t n, struct buf *out, char *err, size_t errlen);

#endif
