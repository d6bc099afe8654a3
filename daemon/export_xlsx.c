/* export_xlsx: the ledger as an .xlsx workbook. libxlsxwriter 1.1.4 writes
 * only to a file, so the workbook (and libxlsxwriter's own temporary files)
 * go to a directory of our own (mkdtemp, 0700) that is emptied and removed
 * before returning, whatever happened. Never leaves a file behind. */
#include "ac_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "export_xlsx.h"
#include "sign.h"
#include "text.h"
#include "values.h"

#define MAX_WIDTH 60 /* characters: longer text wraps its column no wider */

struct formats {
    lxw_format *header, *money, *date, *light[3], *title;
};

static void
make_formats(lxw_workbook *wb, struct formats *f)
{
    f->header = workbook_add_format(wb);
    format_set_bold(f->header);
    format_set_pattern(f->header, LXW_PATTERN_SOLID);
    format_set_bg_color(f->header, 0xD9E1F2);
    format_set_border(f->header, LXW_BORDER_THIN);
    f->money = workbook_add_format(wb);
    format_set_num_format(f->money, "#,##0.00");
    f->date = workbook_add_format(wb);
    format_set_num_format(f->date, "yyyy-mm-dd");
    static const lxw_color_t colours[] = { 0xC6EFCE, 0xFFEB9C, 0xFFC7CE }; /* green, yellow, red */
    for (size_t i = 0; i < 3; i++) {
        f->light[i] = workbook_add_format(wb);
        format_set_pattern(f->light[i], LXW_PATTERN_SOLID);
        format_set_bg_color(f->light[i], colours[i]);
        format_set_align(f->light[i], LXW_ALIGN_CENTER);
    }
    f->title = workbook_add_format(wb);
    format_set_bold(f->title);
    format_set_font_size(f->title, 14);
}

/* Writes one cell; returns its display width. */
static size_t
write_cell(lxw_worksheet *ws, const struct formats *f, lxw_row_t r, lxw_col_t c, enum export_cell kind,
           const char *v)
{
    struct ymd d;
    static const char *const lights[] = { "green", "yellow", "red" };
    static const char *const shown[] = { "绿", "黄", "红" };
    switch (kind) {
    case XCELL_NUMBER:
        worksheet_write_number(ws, r, c, strtod(v, NULL), NULL);
        return strlen(v);
    case XCELL_MONEY:
        worksheet_write_number(ws, r, c, strtod(v, NULL), f->money);
        return strlen(v) + strlen(v) / 3 + 3; /* thousands separators and decimals */
    case XCELL_DATE:
        if (parse_date(v, &d)) {
            lxw_datetime dt = { d.y, d.m, d.d, 0, 0, 0 };
            worksheet_write_datetime(ws, r, c, &dt, f->date);
            return 10;
        }
        break;
    case XCELL_LIGHT:
        for (size_t i = 0; i < 3; i++)
            if (strcmp(v, lights[i]) == 0) {
                worksheet_write_string(ws, r, c, shown[i], f->light[i]);
                return 2;
            }
        break;
    case XCELL_COUNT_GREEN:
    case XCELL_COUNT_YELLOW:
    case XCELL_COUNT_RED: {
        double n = strtod(v, NULL);
        worksheet_write_number(ws, r, c, n, n != 0 ? f->light[kind - XCELL_COUNT_GREEN] : NULL);
        return strlen(v);
    }
    case XCELL_TEXT:
        break;
    }
    worksheet_write_string(ws, r, c, v, NULL);
    return text_width(v);
}

/* Writes t's header and rows from row r on, widening width[]; returns
 * the row after its last. */
static lxw_row_t
write_table(lxw_worksheet *ws, const struct formats *f, const struct export_table *t, lxw_row_t r,
            size_t *width)
{
    for (size_t c = 0; c < t->ncols; c++) {
        worksheet_write_string(ws, r, (lxw_col_t)c, t->headers[c], f->header);
        if (text_width(t->headers[c]) + 2 > width[c])
            width[c] = text_width(t->headers[c]) + 2; /* room for the filter's button */
    }
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = t->cell(t->ctx, i, c);
            if (v == NULL || v[0] == '\0')
                continue;
            size_t w = write_cell(ws, f, (lxw_row_t)(r + 1 + i), (lxw_col_t)c, t->kinds[c], v);
            if (w > width[c])
                width[c] = w;
        }
    return (lxw_row_t)(r + 1 + t->nrows);
}

static void
write_sheet(lxw_workbook *wb, const struct formats *fm, const struct export_sheet *s)
{
    const struct formats f = *fm;
    lxw_worksheet *ws = workbook_add_worksheet(wb, s->name);
    size_t ncols = 0;
    for (size_t i = 0; i < s->ntables; i++)
        if (s->tables[i].ncols > ncols)
            ncols = s->tables[i].ncols;
    size_t *width = xcalloc(ncols + 1, sizeof *width);
    lxw_row_t r = 0, head = 0;
    if (s->title) {
        if (ncols > 1)
            worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)(ncols - 1), s->title, f.title);
        else
            worksheet_write_string(ws, 0, 0, s->title, f.title);
        worksheet_set_row(ws, 0, 22, NULL);
        r = head = 1;
    }
    for (size_t i = 0; i < s->ntables; i++)
        r = write_table(ws, &f, &s->tables[i], i == 0 ? r : r + 1, width);
    for (size_t c = 0; c < ncols; c++)
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
                             (double)(width[c] > MAX_WIDTH ? MAX_WIDTH : width[c]) + 1, NULL);
    worksheet_freeze_panes(ws, head + 1, 0);
    if (s->ntables > 0 && s->tables[0].ncols > 0)
        worksheet_autofilter(ws, head, 0, (lxw_row_t)(head + s->tables[0].nrows),
                             (lxw_col_t)(s->tables[0].ncols - 1));
    free(width);
}

/* Appends the file's bytes to out. */
static bool
slurp(const char *path, struct buf *out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read the workbook made: %s", strerror(errno));
        return false;
    }
    for (;;) {
        buf_reserve(out, 65536);
        ssize_t n = read(fd, out->data + out->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                snprintf(err, errlen, "cannot read the workbook made: %s", strerror(errno));
            close(fd);
            return n == 0;
        }
        out->len += (size_t)n;
        out->data[out->len] = '\0';
    }
}

bool
export_xlsx(const struct export_table *t, struct buf *out, char *err, size_t errlen)
{
    const struct export_sheet s = { t->sheet, NULL, 1, t };
    return export_xlsx_book(&s, 1, out, err, errlen);
}

bool
export_xlsx_book(const struct export_sheet *sheets, size_t n, struct buf *out, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/keyproj-export-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) { /* mode 0700 */
        snprintf(err, errlen, "cannot make a temporary directory for the workbook: %s", strerror(errno));
        free(dir);
        return false;
    }
    char *path = xasprintf("%s/export.xlsx", dir);
    lxw_workbook_options opt = { .constant_memory = LXW_FALSE, .tmpdir = dir, .use_zip64 = LXW_FALSE };
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    bool ok = false;
    if (wb == NULL) {
        snprintf(err, errlen, "cannot start the workbook");
    } else {
        struct formats f;
        make_formats(wb, &f);
        for (size_t i = 0; i < n; i++)
            write_sheet(wb, &f, &sheets[i]);
        lxw_error e = workbook_close(wb); /* writes the file and frees wb */
        if (e != LXW_NO_ERROR)
            snprintf(err, errlen, "cannot write the workbook: %s", lxw_strerror(e));
        else
            ok = slurp(path, out, err, errlen);
    }
    unlink(path);
    if (rmdir(dir) != 0 && ok) {
        snprintf(err, errlen, "cannot remove the workbook's temporary directory %s: %s", dir,
                 strerror(errno));
        ok = false;
    }
    free(path);
    free(dir);
    return ok;
}

json_t *
export_file_answer_new(const struct buf *xlsx)
{
    size_t cap = (xlsx->len + 2) / 3 * 4 + 1;
    char *b64 = xmalloc(cap);
    size_t len = sign_base64_encode((const unsigned char *)xlsx->data, xlsx->len, b64, cap);
    json_t *answer = json_pack("{s:s%}", "file_base64", b64, len);
    free(b64);
    return answer;
}
