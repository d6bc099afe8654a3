/* xlsx: reads one sheet of an Excel workbook (.xlsx, as Excel, WPS and
 * openpyxl save it) from memory into rows of text cells, the way the CSV
 * parser gives them to the importer. libzip opens the container, expat
 * parses the XML; bounded everywhere (zip bombs, billion laughs, DOCTYPEs,
 * too many cells). Pure: no file, no socket, no database. */
#ifndef KEYPROJ_XLSX_H
#define KEYPROJ_XLSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "values.h"

/* What is refused, fixed: an office's ledger is far below every one. */
#define XLSX_MAX_SHEET_XML ((size_t)64 << 20)   /* the sheet's XML, inflated */
#define XLSX_MAX_STRINGS_XML ((size_t)32 << 20) /* sharedStrings.xml, inflated */
#define XLSX_MAX_OTHER_XML ((size_t)4 << 20)    /* workbook, rels, styles */
#define XLSX_MAX_TOTAL ((size_t)100 << 20)      /* all parts read, inflated */
#define XLSX_MAX_RATIO 200                      /* inflated:compressed, past 1 MiB */
#define XLSX_MAX_TEXT ((size_t)64 << 20)        /* every cell's text together */
#define XLSX_MAX_CELL_BYTES 131072              /* Excel's 32,767 characters in UTF-8 */
#define XLSX_MAX_CELLS 2000000                  /* cells with a value */
#define XLSX_MAX_GRID 4000000                   /* rows × columns of the table */
#define XLSX_MAX_COLS 1024
#define XLSX_MAX_ENTRIES 10000 /* files in the container */

/* What the first bytes say the data is. */
enum xlsx_magic {
    XLSX_MAGIC_NONE, /* not a container: text (CSV) */
    XLSX_MAGIC_ZIP,  /* PK\3\4: .xlsx (or another zip) */
    XLSX_MAGIC_OLE2, /* D0 CF 11 E0: .xls, WPS .et, or an encrypted workbook */
};
enum xlsx_magic xlsx_sniff(const char *data, size_t len);

/* A rectangle of cells: rows 1-based as Excel numbers them, columns
 * 0-based (A = 0). */
struct xlsx_range {
    uint32_t r1, c1, r2, c2;
};

struct xlsx_sheet {
    char *name; /* the sheet read */
    /* Its rows with a value, each with the same number of fields, fields[0]
     * being column A; a row's line is its row number. Hidden rows are left
     * out; a vertically merged cell's value is in every row of the group
     * (its first column); horizontal merges are left to the reader. */
    struct csv *table;
    struct xlsx_range *merges; /* every merged range whose top-left cell has a value */
    size_t nmerges;
    size_t hidden_rows; /* hidden rows with a value, left out */
};

/* Reads the sheet named want (NULL: the first visible one) of the workbook
 * data[0..len) into out (free with xlsx_sheet_free). False with a message
 * for a person in err ("sheet 台账, cell C17: …", "no sheet named 'X' (the
 * workbook has 台账, 说明)", "… inflates to more than 64 MiB …"). */
bool xlsx_read(const char *data, size_t len, const char *want, struct xlsx_sheet *out, char *err,
               size_t errlen);
void xlsx_sheet_free(struct xlsx_sheet *s);

/* ---- the pieces, pure (tests/unit/test_xlsx.c) ---- */

/* "C17" → row 17, col 2; false for anything but LETTERS DIGITS within
 * A1..XFD1048576. */
bool xlsx_ref_parse(const char *s, uint32_t *row, uint32_t *col);
/* "A3:B4" or a single "A3". */
bool xlsx_range_parse(const char *s, struct xlsx_range *out);
/* Column 0 → "A", 27 → "AB" (out holds at least 4 bytes). */
void xlsx_col_name(uint32_t col, char out[4]);
/* "C17" (out holds at least 12 bytes). */
void xlsx_ref_format(uint32_t row, uint32_t col, char out[12]);
/* The day of an Excel serial date (the integer part), in the 1900 system
 * (1 = 1900-01-01, with Lotus's 1900-02-29 as 60, which is refused) or the
 * 1904 system (0 = 1904-01-01). False outside 1900..9999. */
bool xlsx_serial_date(double serial, bool date1904, struct ymd *out);
/* A number as a person reads it: 1234.5, 100000, 0.3 (15 significant
 * digits, so no binary noise), never an exponent for money-sized values. */
void xlsx_format_number(double v, char *out, size_t outlen);
/* 0: not a date, 1: a date (maybe with a time), 2: a time of day only;
 * from a built-in id (14–22, 45–47) or a custom format code (y, m, d or h
 * outside quotes, brackets and escapes). */
int xlsx_numfmt_kind(int id, const char *code);

#endif
