/* import: turns the bytes of a spreadsheet's CSV (any of the header
 * spellings people use, Chinese or English values, UTF-8 or GB18030), or
 * of a sheet of an Excel workbook (.xlsx, read by xlsx.c), into
 * canonical rows for keyproj_import() in SQL. Pure: it validates every row
 * and reports every problem, and never touches the database. */
#ifndef KEYPROJ_IMPORT_H
#define KEYPROJ_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <regex.h>

#include "text.h"

enum import_kind { IMPORT_PROJECTS, IMPORT_MILESTONES, IMPORT_REPORTS, IMPORT_PLANS, IMPORT_APPROVALS, IMPORT_PROBLEMS };

bool import_kind_parse(const char *s, enum import_kind *out);
const char *import_kind_name(enum import_kind kind);
/* "projects, milestones, reports, plans, approvals or problems" for messages. */
const char *import_kinds_expected(void);

#define IMPORT_MAX_ERRORS 200
#define IMPORT_MAX_FIELDS 24   /* the most columns a kind has */

struct import_result {
    char *fatal;            /* file-level problem (encoding, CSV, header), or NULL */
    json_t *rows;           /* array of objects with canonical keys and "line" */
    char *copy;             /* import_parse_copy: the rows as COPY text, or NULL */
    size_t copy_len;
    size_t nrows;
    json_t *errors;         /* array of {line, column, message}; empty when fine */
    size_t nerrors;         /* all errors, even past IMPORT_MAX_ERRORS listed */
    json_t *columns;        /* canonical name → header as written in the file */
    json_t *ignored;        /* headers not used */
    enum text_encoding encoding;
    /* A workbook (.xlsx): the sheet read (NULL for CSV text), its hidden
     * rows left out; errors then name the sheet and the cell ("C17"), a
     * line being the sheet's row number. */
    char *sheet;
    size_t hidden_rows;
    /* Section rows between the data rows ("一、新开工项目", 序号 alone),
     * left out as a reader leaves them (CSV and workbooks alike). */
    size_t section_rows;
    json_t *column_index;   /* canonical name → the column's index (0: A) */
    size_t at_col;          /* private: the column being read, plus 1 */
};

/* What a site adds to the checks (import = { … } in keyprojd.conf). */
struct import_rules {
    /* The ledger's own project codes, besides national ones; NULL: any
     * code project_code_local_ok() takes. */
    const regex_t *code_re;
    const char *code_pattern;   /* code_re as written, for messages */
    /* The business date (YYYY-MM-DD): a problem reported or an item done
     * after it is refused. NULL: no such check. */
    const char *today;
};

/* Fills out (free with import_result_free) from data[0..len). rules may
 * be NULL (no site rules). */
void import_parse(enum import_kind kind, const char *data, size_t len, enum text_encoding enc,
                  const struct import_rules *rules, struct import_result *out);
/* The same, but the rows come as the text of a COPY … FROM STDIN (text
 * format) into the columns "ord, line" and then every column of the kind
 * (import_column), in copy (rows stays NULL); made only when the file has
 * no error. Takes data (malloc'd), freed as soon as it is converted to
 * UTF-8, whose buffer then holds the parsed fields. No JSON object is
 * made: a large file costs about three times its size at the peak. */
void import_parse_copy(enum import_kind kind, char *data, size_t len, enum text_encoding enc,
                       const struct import_rules *rules, struct import_result *out);
/* import_parse_copy for a workbook too: data beginning PK\3\4 is read as
 * .xlsx, from the sheet named sheet (NULL: the first visible one); an .xls
 * (or WPS .et) is refused with what to do instead. A sheet with CSV text
 * is an error. */
void import_parse_copy_sheet(enum import_kind kind, char *data, size_t len, enum text_encoding enc,
                             const char *sheet, const struct import_rules *rules, struct import_result *out);
/* The kind's columns (canonical names), in COPY order: i from 0 until NULL. */
size_t import_ncolumns(enum import_kind kind);
const char *import_column(enum import_kind kind, size_t i);
void import_result_free(struct import_result *r);
/* Adds an error in the same shape as the parser's (for errors found later,
 * by the database), with the column named as the file names it. */
void import_add_error(struct import_result *r, long line, const char *canonical_column,
                      const char *message);

#endif
