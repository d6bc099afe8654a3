/* import_header: the header row (or two) of a spreadsheet, found by what
 * its cells name rather than by its position, since real ledgers put a
 * title and a date line above it. A parent header is only joined to the
 * row below when it names a column itself: a title row never is a parent. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "import_header.h"
#include "util.h"

static bool
blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* Row i's cells with each horizontally merged cell spread over its range
 * (the array is new; the texts are the table's). */
static const char **
spread(const struct csv *t, size_t i, const struct xlsx_range *merges, size_t nmerges, bool *merged)
{
    const struct csv_row *row = &t->rows[i];
    const char **f = xcalloc(row->nfields + 1, sizeof *f);
    for (size_t c = 0; c < row->nfields; c++)
        f[c] = row->fields[c];
    for (size_t m = 0; m < nmerges; m++) {
        const struct xlsx_range *g = &merges[m];
        if (row->line < g->r1 || row->line > g->r2 || g->c2 == g->c1 || g->c1 >= row->nfields)
            continue;
        *merged = true;
        for (size_t c = g->c1 + 1; c <= g->c2 && c < row->nfields; c++)
            if (blank(f[c]))
                f[c] = f[g->c1];
    }
    return f;
}

static void
set_row(struct csv_row *h, size_t line, size_t n, char **fields)
{
    h->line = line;
    h->nfields = n;
    h->fields = fields;
}

/* The header of one row: a copy of its (spread) cells. */
static void
single(const struct csv_row *row, const char **top, struct csv_row *h)
{
    char **f = xcalloc(row->nfields + 1, sizeof *f);
    for (size_t c = 0; c < row->nfields; c++)
        f[c] = xstrdup(top[c]);
    set_row(h, row->line, row->nfields, f);
}

/* The header of two rows: a child under a different parent is
 * "parent/child"; a blank parent over a child is the parent to its left
 * (a merge that CSV lost); a cell merged down both rows is itself. */
static void
joined(const struct csv_row *row, const char **top, const struct csv_row *below, const char **bottom,
       struct csv_row *h)
{
    size_t n = row->nfields > below->nfields ? row->nfields : below->nfields;
    char **f = xcalloc(n + 1, sizeof *f);
    const char *parent = "";
    for (size_t c = 0; c < n; c++) {
        const char *p = c < row->nfields ? top[c] : "";
        const char *q = c < below->nfields ? bottom[c] : "";
        if (!blank(p))
            parent = p;
        else if (!blank(q))
            p = parent;
        if (blank(q) || strcmp(p, q) == 0)
            f[c] = xstrdup(p);
        else if (blank(p))
            f[c] = xstrdup(q);
        else
            f[c] = xasprintf("%s/%s", p, q);
    }
    set_row(h, row->line, n, f);
}

static void
row_free(struct csv_row *h)
{
    for (size_t c = 0; c < h->nfields; c++)
        free(h->fields[c]);
    free(h->fields);
    memset(h, 0, sizeof *h);
}

/* Whether rows i (and i + 1) are the header; fills out when they are. */
static bool
try_row(const struct csv *t, size_t i, const struct xlsx_range *merges, size_t nmerges,
        import_header_score_fn score, const void *ctx, struct import_header *out)
{
    bool merged = false, one_ok = false, two_ok = false;
    const char **top = spread(t, i, merges, nmerges, &merged);
    struct csv_row one, two = { 0 };
    single(&t->rows[i], top, &one);
    size_t n1 = score(ctx, &one, &one_ok), n2 = 0;
    if (n1 > 0 && i + 1 < t->nrows) {
        bool ignored = false;
        const char **bottom = spread(t, i + 1, merges, nmerges, &ignored);
        joined(&t->rows[i], top, &t->rows[i + 1], bottom, &two);
        n2 = score(ctx, &two, &two_ok);
        free(bottom);
    }
    free(top);
    if (two_ok && (!one_ok || n2 > n1 || (n2 == n1 && merged))) {
        row_free(&one);
        out->row = two;
        out->data_from = i + 2;
        return true;
    }
    if (two.fields)
        row_free(&two);
    if (one_ok) {
        out->row = one;
        out->data_from = i + 1;
        return true;
    }
    row_free(&one);
    return false;
}

void
import_header_find(const struct csv *t, size_t first, const struct xlsx_range *merges, size_t nmerges,
                   import_header_score_fn score, const void *ctx, struct import_header *out)
{
    memset(out, 0, sizeof *out);
    size_t looked = 0;
    for (size_t i = first; i < t->nrows && looked < IMPORT_HEADER_SCAN; i++) {
        bool any = false;
        for (size_t c = 0; c < t->rows[i].nfields && !any; c++)
            any = !blank(t->rows[i].fields[c]);
        if (!any)
            continue;
        looked++;
        if (try_row(t, i, merges, nmerges, score, ctx, out))
            return;
    }
    /* None: the first row, as written, so the caller names what it lacks. */
    const struct csv_row *row = &t->rows[first];
    single(row, (const char **)row->fields, &out->row);
    out->data_from = first + 1;
}

void
import_header_free(struct import_header *h)
{
    if (h->row.fields)
        row_free(&h->row);
}
