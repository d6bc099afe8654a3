/* xlsx: one sheet of a workbook, read from memory (libzip over a buffer, no
 * temporary file) and parsed with expat, into rows of text cells: the
 * workbook, its relationships and styles here, each part read through
 * xlsx_part.c (bounded, no DOCTYPE), the sheet and its strings through
 * xlsx_sheet.c. Never writes a file. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xlsx.h"
#include "xlsx_int.h"

/* ---- workbook.xml and its relationships ----------------------------------- */

static void XMLCALL
wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct part *pt = *(struct part **)ud;
    struct wb *wb = pt->wb;
    const char *n = xlsx_local(name);
    if (strcmp(n, "workbookPr") == 0) {
        wb->date1904 = xlsx_truthy(xlsx_attr(atts, "date1904"));
    } else if (strcmp(n, "sheet") == 0) {
        const char *sname = xlsx_attr(atts, "name"), *rid = xlsx_attr(atts, "id"),
                   *state = xlsx_attr(atts, "state");
        if (sname == NULL || rid == NULL)
            return;
        if (wb->nsheets == MAX_SHEETS) {
            xlsx_fail(wb, "the workbook has more than %d sheets", MAX_SHEETS);
            xlsx_stop(pt);
            return;
        }
        wb->sheets = xreallocarray(wb->sheets, wb->nsheets + 1, sizeof *wb->sheets);
        wb->sheets[wb->nsheets++] = (struct sheet_ref){ xstrdup(sname), xstrdup(rid),
                                                        state != NULL && strcmp(state, "visible") != 0 };
    }
}

static void XMLCALL
rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct part *pt = *(struct part **)ud;
    struct wb *wb = pt->wb;
    if (strcmp(xlsx_local(name), "Relationship") != 0)
        return;
    const char *id = xlsx_attr(atts, "Id"), *type = xlsx_attr(atts, "Type"),
               *target = xlsx_attr(atts, "Target");
    const char *mode = xlsx_attr(atts, "TargetMode");
    if (id == NULL || type == NULL || target == NULL || (mode && strcmp(mode, "External") == 0))
        return;
    if (wb->nrels == MAX_SHEETS * 4) {
        xlsx_fail(wb, "the workbook has too many relationships");
        xlsx_stop(pt);
        return;
    }
    wb->rels = xreallocarray(wb->rels, wb->nrels + 1, sizeof *wb->rels);
    wb->rels[wb->nrels++] = (struct rel){ xstrdup(id), xstrdup(type), xstrdup(target) };
}

/* The part a relationship of the workbook points to ("worksheets/sheet1.xml"
 * is relative to xl/), newly allocated; NULL when there is none. */
static char *
rel_part(const struct wb *wb, const char *id, const char *type_suffix)
{
    for (size_t i = 0; i < wb->nrels; i++) {
        const struct rel *r = &wb->rels[i];
        size_t tl = strlen(r->type), sl = type_suffix ? strlen(type_suffix) : 0;
        if (id && strcmp(r->id, id) != 0)
            continue;
        if (type_suffix && (tl < sl || strcmp(r->type + tl - sl, type_suffix) != 0))
            continue;
        const char *t = r->target;
        if (t[0] == '/')
            return xstrdup(t + 1);
        char *path = xasprintf("xl/%s", t);
        char *up;
        while ((up = strstr(path, "/../")) != NULL) { /* "xl/worksheets/../x" → "xl/x" */
            char *slash = up;
            while (slash > path && slash[-1] != '/')
                slash--;
            memmove(slash, up + 4, strlen(up + 4) + 1);
        }
        return path;
    }
    return NULL;
}

/* ---- styles.xml: which cells hold dates --------------------------------- */

struct styles_state {
    struct part *pt;
    bool in_xfs, in_fmts;
};

static int
fmt_kind(const struct wb *wb, int id)
{
    for (size_t i = 0; i < wb->nfmts; i++)
        if (wb->fmt_ids[i] == id)
            return wb->fmt_kinds[i];
    return xlsx_numfmt_kind(id, NULL);
}

static void XMLCALL
styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct styles_state *s = ud;
    struct wb *wb = s->pt->wb;
    const char *n = xlsx_local(name);
    if (strcmp(n, "cellXfs") == 0) {
        s->in_xfs = true;
    } else if (strcmp(n, "numFmts") == 0) {
        s->in_fmts = true;
    } else if (s->in_fmts && strcmp(n, "numFmt") == 0) {
        const char *id = xlsx_attr(atts, "numFmtId"), *code = xlsx_attr(atts, "formatCode");
        int kind = id && code ? xlsx_numfmt_kind(-1, code) : 0;
        if (kind == 0 || wb->nfmts == MAX_XFS)
            return;
        wb->fmt_ids = xreallocarray(wb->fmt_ids, wb->nfmts + 1, sizeof *wb->fmt_ids);
        wb->fmt_kinds = xreallocarray(wb->fmt_kinds, wb->nfmts + 1, 1);
        wb->fmt_ids[wb->nfmts] = atoi(id);
        wb->fmt_kinds[wb->nfmts++] = (uint8_t)kind;
    } else if (s->in_xfs && strcmp(n, "xf") == 0) {
        if (wb->nxf == MAX_XFS) {
            xlsx_fail(wb, "the workbook has more than %d cell styles", MAX_XFS);
            xlsx_stop(s->pt);
            return;
        }
        const char *id = xlsx_attr(atts, "numFmtId");
        wb->xf_kind = xreallocarray(wb->xf_kind, wb->nxf + 1, 1);
        wb->xf_kind[wb->nxf++] = (uint8_t)(id ? fmt_kind(wb, atoi(id)) : 0);
    }
}

static void XMLCALL
styles_end(void *ud, const XML_Char *name)
{
    struct styles_state *s = ud;
    const char *n = xlsx_local(name);
    if (strcmp(n, "cellXfs") == 0)
        s->in_xfs = false;
    else if (strcmp(n, "numFmts") == 0)
        s->in_fmts = false;
}

/* ---- the workbook -------------------------------------------------------- */

static void
wb_free(struct wb *wb)
{
    for (size_t i = 0; i < wb->nsheets; i++) {
        free(wb->sheets[i].name);
        free(wb->sheets[i].rid);
    }
    free(wb->sheets);
    for (size_t i = 0; i < wb->nrels; i++) {
        free(wb->rels[i].id);
        free(wb->rels[i].type);
        free(wb->rels[i].target);
    }
    free(wb->rels);
    free(wb->xf_kind);
    free(wb->fmt_ids);
    free(wb->fmt_kinds);
    buf_free(&wb->text);
    free(wb->sst);
    free(wb->cells);
    free(wb->hidden);
    free(wb->merges);
    if (wb->zip)
        zip_discard(wb->zip); /* read only: frees the archive and its source */
}

/* "台账, 说明 (hidden: 备用)" for messages. */
static char *
sheet_list_new(const struct wb *wb)
{
    struct buf b;
    buf_init(&b);
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        for (size_t i = 0; i < wb->nsheets; i++) {
            if (wb->sheets[i].hidden != (pass == 1))
                continue;
            buf_puts(&b, n++ ? ", " : pass && b.len ? " (hidden: " : pass ? "(hidden: " : "");
            buf_puts(&b, wb->sheets[i].name);
        }
        if (pass == 1 && n > 0)
            buf_putc(&b, ')');
    }
    return buf_steal(&b);
}

static const struct sheet_ref *
pick_sheet(struct wb *wb, const char *want)
{
    for (size_t i = 0; i < wb->nsheets; i++)
        if (want ? strcmp(wb->sheets[i].name, want) == 0 : !wb->sheets[i].hidden)
            return &wb->sheets[i];
    char *list = sheet_list_new(wb);
    if (want)
        xlsx_fail(wb, "the workbook has no sheet named '%s' (its sheets: %s); 工作簿中没有名为“%s”的工作表",
                  want, list, want);
    else
        xlsx_fail(wb, "the workbook has no visible sheet (its sheets: %s); name one with --sheet", list);
    free(list);
    return NULL;
}

/* Says what a zip that is no .xlsx is, when it can tell. */
static void
not_xlsx(struct wb *wb)
{
    if (zip_name_locate(wb->zip, "xl/workbook.bin", 0) >= 0)
        xlsx_fail(
            wb,
            "this is an Excel binary workbook (.xlsb), which keyproj does not read: in Excel, 文件 → 另存为 "
            "→ Excel 工作簿 (*.xlsx) (File → Save As → Excel Workbook), then import the .xlsx");
    else if (zip_name_locate(wb->zip, "content.xml", 0) >= 0)
        xlsx_fail(wb, "this is an OpenDocument spreadsheet (.ods), which keyproj does not read: save it as "
                      "Excel 工作簿 (*.xlsx) (另存为 → .xlsx), then import the .xlsx");
}

static bool
read_workbook(struct wb *wb, const char *want, char **sheet_part, const char **sheet_name)
{
    struct {
        struct part *pt;
    } st = { NULL };
    if (zip_name_locate(wb->zip, "xl/workbook.xml", ZIP_FL_NOCASE) < 0)
        not_xlsx(wb);
    if (!xlsx_parse_part(wb, "xl/workbook.xml", XLSX_MAX_OTHER_XML, true, wb_start, NULL, NULL, &st.pt) ||
        !xlsx_parse_part(wb, "xl/_rels/workbook.xml.rels", XLSX_MAX_OTHER_XML, true, rels_start, NULL, NULL,
                         &st.pt))
        return false;
    const struct sheet_ref *sh = pick_sheet(wb, want);
    if (sh == NULL)
        return false;
    *sheet_name = sh->name;
    *sheet_part = rel_part(wb, sh->rid, "/worksheet");
    if (*sheet_part == NULL) {
        xlsx_fail(wb, "sheet %s is not a table of cells (a chart sheet?); pick another with --sheet",
                  sh->name);
        return false;
    }
    struct styles_state ss = { 0 };
    char *styles = rel_part(wb, NULL, "/styles");
    bool ok = styles == NULL ||
              xlsx_parse_part(wb, styles, XLSX_MAX_OTHER_XML, false, styles_start, styles_end, NULL, &ss.pt);
    free(styles);
    char *strings = rel_part(wb, NULL, "/sharedStrings");
    ok = ok && (strings == NULL || xlsx_read_strings(wb, strings));
    free(strings);
    return ok;
}

bool
xlsx_read(const char *data, size_t len, const char *want, struct xlsx_sheet *out, char *err, size_t errlen)
{
    struct wb wb = { .err = err, .errlen = errlen };
    memset(out, 0, sizeof *out);
    buf_init(&wb.text);
    buf_putc(&wb.text, '\0'); /* offset 0: the empty cell */
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src != NULL) {
        wb.zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
        if (wb.zip == NULL)
            zip_source_free(src);
    }
    if (wb.zip == NULL) {
        xlsx_fail(&wb,
                  "the file begins like an Excel workbook (.xlsx, a zip) but cannot be opened: %s; "
                  "save it again from Excel or WPS",
                  zip_error_strerror(&ze));
        zip_error_fini(&ze);
        wb_free(&wb);
        return false;
    }
    zip_error_fini(&ze);
    if (zip_get_num_entries(wb.zip, 0) > XLSX_MAX_ENTRIES) {
        xlsx_fail(&wb, "the workbook holds more than %d files; refused", XLSX_MAX_ENTRIES);
        wb_free(&wb);
        return false;
    }
    char *part = NULL;
    const char *name = NULL;
    bool ok = read_workbook(&wb, want, &part, &name);
    if (ok) {
        wb.sheet_name = name;
        ok = xlsx_read_cells(&wb, part, out);
    }
    if (ok)
        out->name = xstrdup(name);
    free(part);
    wb_free(&wb);
    if (!ok)
        xlsx_sheet_free(out);
    return ok;
}

void
xlsx_sheet_free(struct xlsx_sheet *s)
{
    free(s->name);
    csv_free(s->table);
    free(s->merges);
    memset(s, 0, sizeof *s);
}
