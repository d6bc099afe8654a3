/* xlsx_int: what the parts of the workbook reader (xlsx_part.c: one part
 * of the container through expat; xlsx.c: the workbook, its styles;
 * xlsx_sheet.c: strings, cells, the table) share.
 * Not for use outside daemon/xlsx*.c. */
#ifndef KEYPROJ_XLSX_INT_H
#define KEYPROJ_XLSX_INT_H

/* Debian's expat is built with DTD support, which its billion-laughs
 * limits are declared under. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <zip.h>

#include "util.h"
#include "xlsx.h"

#define NS_SEP '\x01'
#define CHUNK 65536
#define MAX_SHEETS 1000
#define MAX_XFS 65536
#define MAX_MERGES 100000

struct sheet_ref {
    char *name, *rid;
    bool hidden;
};

struct rel {
    char *id, *type, *target;
};

/* One cell with a value, its text at text[off]. */
struct cell {
    uint32_t row, col;
    uint32_t off;
};

/* The whole read: the container, what the workbook says, and the cells. */
struct wb {
    zip_t *zip;
    size_t inflated; /* bytes of every part read so far */
    char *err;
    size_t errlen;
    bool failed;
    /* workbook.xml and its rels */
    struct sheet_ref *sheets;
    size_t nsheets;
    bool date1904;
    struct rel *rels;
    size_t nrels;
    /* styles.xml: each cellXfs entry's kind of number (xlsx_numfmt_kind) */
    uint8_t *xf_kind;
    size_t nxf;
    int *fmt_ids; /* custom numFmts that are dates or times */
    uint8_t *fmt_kinds;
    size_t nfmts;
    /* sharedStrings.xml and the cells' own text, one buffer */
    struct buf text;
    uint32_t *sst;
    size_t nsst;
    /* the sheet */
    const char *sheet_name;
    struct cell *cells;
    size_t ncells, cells_cap;
    uint32_t *hidden; /* row numbers of hidden rows, ascending */
    size_t nhidden, hidden_cap;
    struct xlsx_range *merges;
    size_t nmerges, merges_cap;
};

/* A parse in progress: the parser, whose userData points at the part's own
 * state, whose first member is a struct part *. */
struct part {
    struct wb *wb;
    XML_Parser p;
    const char *name;
};

void xlsx_fail(struct wb *wb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void xlsx_stop(struct part *pt);
const char *xlsx_local(const char *name);
const char *xlsx_attr(const char **atts, const char *name);
/* "1" or "true": an attribute that is on. */
bool xlsx_truthy(const char *v);
bool xlsx_parse_part(struct wb *wb, const char *name, size_t cap, bool required,
                     XML_StartElementHandler start, XML_EndElementHandler end, XML_CharacterDataHandler chars,
                     struct part **ud);
/* sharedStrings.xml (xlsx_sheet.c). */
bool xlsx_read_strings(struct wb *wb, const char *part);
/* The sheet's part into out's table (xlsx_sheet.c). */
bool xlsx_read_cells(struct wb *wb, const char *part, struct xlsx_sheet *out);

#endif
