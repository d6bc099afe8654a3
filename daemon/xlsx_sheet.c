/* xlsx_sheet: the text and the cells of a workbook — shared strings (rich
 * text runs too), then the sheet's rows, cells and merged ranges — made
 * into the rows of text the importer reads: dates as YYYY-MM-DD, numbers as
 * a person reads them, hidden rows left out, vertically merged cells given
 * to every row of their group. Counts everything it keeps. */
#include "ac_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx_int.h"

/* Collects the text of <t> inside <si> or <is> (rich text runs <r><t>
 * included, phonetic runs <rPh> left out) into wb->text. */
struct text_state {
    struct part *pt;
    int depth_t, depth_rph;
    bool in_item;
    size_t start;      /* where the item's text began in wb->text */
    const char *where; /* for messages: "a shared string" or the cell */
};

static void
text_begin(struct text_state *ts)
{
    ts->in_item = true;
    ts->start = ts->pt->wb->text.len;
}

/* Ends the item: its text, NUL-terminated, starts at ts->start. Excel
 * writes characters XML cannot hold as _xHHHH_; they are decoded. */
static void
text_end(struct text_state *ts)
{
    struct buf *b = &ts->pt->wb->text;
    char *s = b->data + ts->start, *w = s;
    size_t n = b->len - ts->start;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        if (i + 7 <= n && s[i] == '_' && s[i + 1] == 'x' && s[i + 6] == '_' &&
            sscanf(s + i + 2, "%4x", &cp) == 1 && strspn(s + i + 2, "0123456789abcdefABCDEF") >= 4) {
            if (cp < 0x80) {
                *w++ = (char)cp;
            } else if (cp < 0x800) {
                *w++ = (char)(0xC0 | (cp >> 6));
                *w++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *w++ = (char)(0xE0 | (cp >> 12));
                *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *w++ = (char)(0x80 | (cp & 0x3F));
            }
            i += 7;
            continue;
        }
        *w++ = s[i++];
    }
    b->len = ts->start + (size_t)(w - s);
    buf_putc(b, '\0');
    ts->in_item = false;
}

static void
text_start_el(struct text_state *ts, const char *n)
{
    if (strcmp(n, "t") == 0)
        ts->depth_t++;
    else if (strcmp(n, "rPh") == 0)
        ts->depth_rph++;
}

static void
text_end_el(struct text_state *ts, const char *n)
{
    if (strcmp(n, "t") == 0 && ts->depth_t > 0)
        ts->depth_t--;
    else if (strcmp(n, "rPh") == 0 && ts->depth_rph > 0)
        ts->depth_rph--;
}

static void
text_chars(struct text_state *ts, const XML_Char *s, int len)
{
    struct wb *wb = ts->pt->wb;
    if (!ts->in_item || ts->depth_t == 0 || ts->depth_rph > 0)
        return;
    if (wb->text.len - ts->start + (size_t)len > XLSX_MAX_CELL_BYTES) {
        xlsx_fail(wb, "%s holds more than the 32,767 characters a cell can have; refused", ts->where);
        xlsx_stop(ts->pt);
        return;
    }
    if (wb->text.len + (size_t)len > XLSX_MAX_TEXT) {
        xlsx_fail(wb, "the sheet's text is more than %zu MiB; refused: 表格内容过大，已拒绝",
                  XLSX_MAX_TEXT >> 20);
        xlsx_stop(ts->pt);
        return;
    }
    buf_append(&wb->text, s, (size_t)len);
}

static void XMLCALL
sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct text_state *ts = ud;
    struct wb *wb = ts->pt->wb;
    const char *n = xlsx_local(name);
    (void)atts;
    if (strcmp(n, "si") == 0) {
        if (wb->nsst == XLSX_MAX_CELLS) {
            xlsx_fail(wb, "the workbook has more than %d shared strings; refused", XLSX_MAX_CELLS);
            xlsx_stop(ts->pt);
            return;
        }
        text_begin(ts);
    } else {
        text_start_el(ts, n);
    }
}

static void XMLCALL
sst_end(void *ud, const XML_Char *name)
{
    struct text_state *ts = ud;
    struct wb *wb = ts->pt->wb;
    const char *n = xlsx_local(name);
    if (strcmp(n, "si") == 0 && ts->in_item) {
        if ((wb->nsst & (wb->nsst - 1)) == 0) /* grow at powers of two */
            wb->sst = xreallocarray(wb->sst, wb->nsst ? wb->nsst * 2 : 1, sizeof *wb->sst);
        wb->sst[wb->nsst++] = (uint32_t)ts->start;
        text_end(ts);
    } else {
        text_end_el(ts, n);
    }
}

static void XMLCALL
sst_chars(void *ud, const XML_Char *s, int len)
{
    text_chars(ud, s, len);
}

bool
xlsx_read_strings(struct wb *wb, const char *part)
{
    struct text_state ts = { .where = "a shared string" };
    return xlsx_parse_part(wb, part, XLSX_MAX_STRINGS_XML, false, sst_start, sst_end, sst_chars, &ts.pt);
}

/* ---- the sheet ----------------------------------------------------------- */

struct sheet_state {
    struct part *pt;
    struct text_state ts; /* an inline string's text */
    bool in_data, in_c, in_v, in_is, has_f, has_v, row_hidden;
    uint32_t row; /* the current row's number */
    uint32_t col; /* the next cell's column when it has no r */
    uint32_t cell_row, cell_col;
    uint32_t last_row, last_col;
    bool any; /* a cell was stored (last_* are set) */
    char type[16];
    unsigned long style;
    size_t vstart; /* where the <v> text began in wb->text */
};

static void
cell_name(const struct sheet_state *s, char *out, size_t n)
{
    char ref[12];
    xlsx_ref_format(s->cell_row, s->cell_col, ref);
    snprintf(out, n, "sheet %s, cell %s", s->pt->wb->sheet_name, ref);
}

static void
row_start(struct sheet_state *s, const char **atts)
{
    struct wb *wb = s->pt->wb;
    const char *r = xlsx_attr(atts, "r");
    char *end;
    unsigned long n = r ? strtoul(r, &end, 10) : s->row + 1ul;
    if (r && (*end != '\0' || n == 0 || n > 1048576 || n <= s->row)) {
        xlsx_fail(wb, "sheet %s: row number '%s' after row %u is not valid", wb->sheet_name, r, s->row);
        xlsx_stop(s->pt);
        return;
    }
    s->row = (uint32_t)n;
    s->col = 0;
    s->row_hidden = xlsx_truthy(xlsx_attr(atts, "hidden"));
    if (s->row_hidden) {
        if (wb->nhidden == wb->hidden_cap) {
            wb->hidden_cap = wb->hidden_cap ? wb->hidden_cap * 2 : 64;
            wb->hidden = xreallocarray(wb->hidden, wb->hidden_cap, sizeof *wb->hidden);
        }
        wb->hidden[wb->nhidden++] = s->row;
    }
}

static void
cell_start(struct sheet_state *s, const char **atts)
{
    struct wb *wb = s->pt->wb;
    const char *r = xlsx_attr(atts, "r"), *t = xlsx_attr(atts, "t"), *st = xlsx_attr(atts, "s");
    s->cell_row = s->row;
    s->cell_col = s->col;
    if (r && !xlsx_ref_parse(r, &s->cell_row, &s->cell_col)) {
        xlsx_fail(wb, "sheet %s: '%s' is not a cell reference", wb->sheet_name, r);
        xlsx_stop(s->pt);
        return;
    }
    if (s->row == 0 || s->cell_row != s->row) {
        xlsx_fail(wb, "sheet %s: cell %s is outside its row %u", wb->sheet_name, r ? r : "?", s->row);
        xlsx_stop(s->pt);
        return;
    }
    s->col = s->cell_col + 1;
    snprintf(s->type, sizeof s->type, "%s", t ? t : "n");
    s->style = st ? strtoul(st, NULL, 10) : 0;
    s->in_c = true;
    s->has_f = s->has_v = false;
    s->vstart = wb->text.len;
}

static void XMLCALL
sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct sheet_state *s = ud;
    struct wb *wb = s->pt->wb;
    const char *n = xlsx_local(name);
    s->ts.pt = s->pt;
    if (strcmp(n, "sheetData") == 0) {
        s->in_data = true;
    } else if (s->in_data && strcmp(n, "row") == 0) {
        row_start(s, atts);
    } else if (s->in_data && strcmp(n, "c") == 0) {
        cell_start(s, atts);
    } else if (s->in_c && strcmp(n, "v") == 0) {
        s->in_v = s->has_v = true;
        wb->text.len = s->vstart; /* a second <v> replaces the first */
        wb->text.data[wb->text.len] = '\0';
    } else if (s->in_c && strcmp(n, "f") == 0) {
        s->has_f = true;
    } else if (s->in_c && strcmp(n, "is") == 0) {
        s->in_is = s->has_v = true;
        s->ts.depth_t = s->ts.depth_rph = 0;
        text_begin(&s->ts);
    } else if (s->in_is) {
        text_start_el(&s->ts, n);
    } else if (strcmp(n, "mergeCell") == 0) {
        struct xlsx_range m;
        if (!xlsx_range_parse(xlsx_attr(atts, "ref"), &m) || (m.r1 == m.r2 && m.c1 == m.c2))
            return;
        if (wb->nmerges == MAX_MERGES) {
            xlsx_fail(wb, "sheet %s has more than %d merged ranges; refused", wb->sheet_name, MAX_MERGES);
            xlsx_stop(s->pt);
            return;
        }
        if (wb->nmerges == wb->merges_cap) {
            wb->merges_cap = wb->merges_cap ? wb->merges_cap * 2 : 64;
            wb->merges = xreallocarray(wb->merges, wb->merges_cap, sizeof *wb->merges);
        }
        wb->merges[wb->nmerges++] = m;
    }
}

/* The cell's value as text at s->vstart in wb->text; its offset there, or
 * 0 (the empty text) when the cell is empty; false on a bad value. */
static bool
cell_value(struct sheet_state *s, uint32_t *off)
{
    struct wb *wb = s->pt->wb;
    struct buf *b = &wb->text;
    const char *v = b->data + s->vstart;
    char where[200], num[64];
    *off = 0;
    if (!s->has_v) {
        if (s->has_f) {
            cell_name(s, where, sizeof where);
            xlsx_fail(
                wb,
                "%s holds a formula whose result was never saved (the workbook was written by a program, "
                "not Excel): open it in Excel or WPS and save it again; 公式没有保存计算结果，请用 Excel 或 "
                "WPS 打开后重新保存",
                where);
            return false;
        }
        return true;
    }
    if (v[0] == '\0' && strcmp(s->type, "inlineStr") != 0)
        return true; /* <v/>: an empty result */
    if (strcmp(s->type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        b->len = s->vstart;
        if (*end != '\0' || i >= wb->nsst) {
            cell_name(s, where, sizeof where);
            xlsx_fail(wb, "%s refers to shared string %s, which the workbook does not have", where, v);
            return false;
        }
        *off = wb->sst[i];
        return true;
    }
    if (strcmp(s->type, "b") == 0) {
        snprintf(num, sizeof num, "%s", strcmp(v, "1") == 0 ? "TRUE" : "FALSE");
    } else if (strcmp(s->type, "n") == 0) {
        char *end;
        double d = strtod(v, &end);
        int kind = s->style < wb->nxf ? wb->xf_kind[s->style] : 0;
        struct ymd day;
        if (*end != '\0' || !isfinite(d)) {
            cell_name(s, where, sizeof where);
            xlsx_fail(wb, "%s holds '%s', which is not a number", where, v);
            return false;
        }
        if (kind == 1 && xlsx_serial_date(d, wb->date1904, &day)) {
            format_date(&day, num);
        } else if (kind == 2 && d >= 0 && d < 1) {
            long secs = lround(d * 86400);
            snprintf(num, sizeof num, "%02ld:%02ld:%02ld", secs / 3600 % 24, secs / 60 % 60, secs % 60);
        } else {
            xlsx_format_number(d, num, sizeof num);
        }
    } else if (strcmp(s->type, "d") == 0 && strlen(v) >= 10 && v[4] == '-' && v[7] == '-') {
        snprintf(num, sizeof num, "%.10s", v); /* ISO 8601: the day */
    } else {
        if (b->len == s->vstart)
            return true;   /* an empty string */
        buf_putc(b, '\0'); /* str, inlineStr, e (#N/A …): the text as it is */
        *off = (uint32_t)s->vstart;
        return true;
    }
    b->len = s->vstart;
    buf_puts(b, num);
    buf_putc(b, '\0');
    *off = (uint32_t)s->vstart;
    return true;
}

static void
cell_end(struct sheet_state *s)
{
    struct wb *wb = s->pt->wb;
    char where[200];
    s->in_c = false;
    if (s->in_is)
        return;
    uint32_t off;
    if (!cell_value(s, &off)) {
        xlsx_stop(s->pt);
        return;
    }
    if (off == 0) {
        wb->text.len = s->vstart;
        wb->text.data[wb->text.len] = '\0';
        return;
    }
    if (s->any && (s->cell_row < s->last_row || (s->cell_row == s->last_row && s->cell_col <= s->last_col))) {
        cell_name(s, where, sizeof where);
        xlsx_fail(wb, "%s comes after a cell to its right or below: the sheet is damaged", where);
    } else if (s->cell_col >= XLSX_MAX_COLS) {
        cell_name(s, where, sizeof where);
        xlsx_fail(wb, "%s is past column %d; a ledger has fewer columns; refused", where, XLSX_MAX_COLS);
    } else if (wb->ncells == XLSX_MAX_CELLS) {
        xlsx_fail(wb, "sheet %s has more than %d cells with a value; refused: 单元格过多，已拒绝",
                  wb->sheet_name, XLSX_MAX_CELLS);
    } else if (wb->text.len > XLSX_MAX_TEXT) {
        xlsx_fail(wb, "the sheet's text is more than %zu MiB; refused: 表格内容过大，已拒绝",
                  XLSX_MAX_TEXT >> 20);
    }
    if (wb->failed) {
        xlsx_stop(s->pt);
        return;
    }
    if (wb->ncells == wb->cells_cap) {
        wb->cells_cap = wb->cells_cap ? wb->cells_cap * 2 : 1024;
        wb->cells = xreallocarray(wb->cells, wb->cells_cap, sizeof *wb->cells);
    }
    wb->cells[wb->ncells++] = (struct cell){ s->cell_row, s->cell_col, off };
    s->last_row = s->cell_row;
    s->last_col = s->cell_col;
    s->any = true;
}

static void XMLCALL
sheet_end(void *ud, const XML_Char *name)
{
    struct sheet_state *s = ud;
    const char *n = xlsx_local(name);
    if (strcmp(n, "sheetData") == 0) {
        s->in_data = false;
    } else if (s->in_c && strcmp(n, "c") == 0) {
        cell_end(s);
    } else if (s->in_v && strcmp(n, "v") == 0) {
        s->in_v = false;
    } else if (s->in_is && strcmp(n, "is") == 0) {
        s->in_is = false;
        text_end(&s->ts);
        /* text_end added the NUL: take it off, cell_value adds it again */
        s->pt->wb->text.len--;
    } else if (s->in_is) {
        text_end_el(&s->ts, n);
    }
}

static void XMLCALL
sheet_chars(void *ud, const XML_Char *text, int len)
{
    struct sheet_state *s = ud;
    struct wb *wb = s->pt->wb;
    if (s->in_is) {
        text_chars(&s->ts, text, len);
    } else if (s->in_v) {
        if (wb->text.len - s->vstart + (size_t)len > XLSX_MAX_CELL_BYTES || wb->text.len > XLSX_MAX_TEXT) {
            char where[200];
            cell_name(s, where, sizeof where);
            xlsx_fail(wb, "%s holds more than a cell can; refused", where);
            xlsx_stop(s->pt);
            return;
        }
        buf_append(&wb->text, text, (size_t)len);
    }
}

/* ---- the table ------------------------------------------------------------ */

static int
cmp_cell_pos(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

static const struct cell *
find_cell(const struct wb *wb, uint32_t row, uint32_t col)
{
    struct cell key = { row, col, 0 };
    return bsearch(&key, wb->cells, wb->ncells, sizeof *wb->cells, cmp_cell_pos);
}

static bool
row_hidden(const struct wb *wb, uint32_t row)
{
    size_t lo = 0, hi = wb->nhidden;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (wb->hidden[mid] == row)
            return true;
        if (wb->hidden[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The index of the first table row numbered > after (nrows when none). */
static size_t
first_row_after(const struct csv *t, uint32_t after)
{
    size_t lo = 0, hi = t->nrows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->rows[mid].line <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Dense rows from the cells: the rows with a value that are not hidden,
 * every one as wide as the widest. */
static bool
build_table(struct wb *wb, struct xlsx_sheet *out)
{
    uint32_t ncols = 0;
    size_t nrows = 0;
    uint32_t last = 0;
    for (size_t i = 0; i < wb->ncells; i++) {
        const struct cell *c = &wb->cells[i];
        if (c->col + 1 > ncols)
            ncols = c->col + 1;
        if (c->row == last)
            continue;
        last = c->row;
        if (row_hidden(wb, c->row))
            out->hidden_rows++;
        else
            nrows++;
    }
    if (ncols > 0 && nrows > XLSX_MAX_GRID / ncols) {
        xlsx_fail(wb, "sheet %s has %zu rows of %u columns, more than %d cells; refused: 表格过大，已拒绝",
                  wb->sheet_name, nrows, ncols, XLSX_MAX_GRID);
        return false;
    }
    struct csv *t = xcalloc(1, sizeof *t);
    t->text = buf_steal(&wb->text);
    buf_init(&wb->text);
    t->fieldv = xcalloc(nrows * ncols + 1, sizeof *t->fieldv);
    t->rows = xcalloc(nrows + 1, sizeof *t->rows);
    for (size_t i = 0; i < nrows * ncols; i++)
        t->fieldv[i] = t->text; /* "" */
    last = 0;
    for (size_t i = 0; i < wb->ncells; i++) {
        const struct cell *c = &wb->cells[i];
        if (row_hidden(wb, c->row))
            continue;
        if (c->row != last) {
            last = c->row;
            struct csv_row *r = &t->rows[t->nrows];
            r->line = c->row;
            r->nfields = ncols;
            r->fields = t->fieldv + t->nrows * ncols;
            t->nrows++;
        }
        t->rows[t->nrows - 1].fields[c->col] = t->text + c->off;
    }
    out->table = t;
    /* Merged ranges with a value: each row of a vertical group gets it. */
    out->merges = xcalloc(wb->nmerges + 1, sizeof *out->merges);
    for (size_t m = 0; m < wb->nmerges; m++) {
        struct xlsx_range g = wb->merges[m];
        const struct cell *top = find_cell(wb, g.r1, g.c1);
        if (top == NULL || g.c1 >= ncols)
            continue;
        if (g.c2 >= ncols)
            g.c2 = ncols - 1;
        out->merges[out->nmerges++] = g;
        for (size_t i = first_row_after(t, g.r1); i < t->nrows && t->rows[i].line <= g.r2; i++)
            if (t->rows[i].fields[g.c1][0] == '\0')
                t->rows[i].fields[g.c1] = t->text + top->off;
    }
    return true;
}

bool
xlsx_read_cells(struct wb *wb, const char *part, struct xlsx_sheet *out)
{
    struct sheet_state s = { .ts.where = "an inline string" };
    if (!xlsx_parse_part(wb, part, XLSX_MAX_SHEET_XML, true, sheet_start, sheet_end, sheet_chars, &s.pt))
        return false;
    return build_table(wb, out);
}
