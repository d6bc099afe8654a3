/* xlsx: one sheet of a workbook, read from memory (libzip over a buffer, no
 * temporary file) and parsed with expat, into rows of text cells. Every
 * part is inflated a chunk at a time and counted: a declared size, a ratio
 * or a count past its limit stops the read, and so does any DOCTYPE, so a
 * hostile workbook costs bounded memory and time. Never writes a file. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xlsx.h"
#include "xlsx_int.h"

void
xlsx_fail(struct wb *wb, const char *fmt, ...)
{
    if (wb->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wb->err, wb->errlen, fmt, ap);
    va_end(ap);
    wb->failed = true;
}

/* The element or attribute name without its namespace. */
const char *
xlsx_local(const char *name)
{
    const char *s = strrchr(name, NS_SEP);
    return s ? s + 1 : name;
}

const char *
xlsx_attr(const char **atts, const char *name)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(xlsx_local(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

static bool
truthy(const char *v)
{
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* ---- the container ------------------------------------------------------ */

void
xlsx_stop(struct part *pt)
{
    XML_StopParser(pt->p, XML_FALSE);
}

/* No part of a workbook has a DOCTYPE; one that has is refused before any
 * entity it declares can be expanded (billion laughs, external entities). */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid, int has_internal)
{
    struct part *pt = *(struct part **)ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    xlsx_fail(pt->wb,
              "%s has a DOCTYPE declaration, which no workbook has (Excel and WPS never write one); "
              "refused: 工作簿中含有 DOCTYPE 声明，已拒绝",
              pt->name);
    xlsx_stop(pt);
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int vlen, const XML_Char *base,
          const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)vlen, (void)base, (void)sysid, (void)pubid, (void)notation;
    struct part *pt = *(struct part **)ud;
    xlsx_fail(pt->wb, "%s declares an XML entity; refused", pt->name);
    xlsx_stop(pt);
}

/* Parses the part called name through the handlers set by setup, inflating
 * it a chunk at a time within cap bytes. A missing part is fine unless
 * required. ud's first member must be a struct part *. */
bool
xlsx_parse_part(struct wb *wb, const char *name, size_t cap, bool required, XML_StartElementHandler start,
                XML_EndElementHandler end, XML_CharacterDataHandler chars, struct part **ud)
{
    zip_int64_t idx = zip_name_locate(wb->zip, name, 0);
    if (idx < 0)
        idx = zip_name_locate(wb->zip, name, ZIP_FL_NOCASE);
    if (idx < 0) {
        if (required)
            xlsx_fail(wb,
                      "this is a zip file but not an Excel workbook (.xlsx): it has no %s; "
                      "save it from Excel or WPS as Excel 工作簿 (*.xlsx)",
                      name);
        return !required;
    }
    zip_stat_t st;
    if (zip_stat_index(wb->zip, (zip_uint64_t)idx, 0, &st) != 0) {
        xlsx_fail(wb, "cannot read %s in the workbook: %s", name, zip_strerror(wb->zip));
        return false;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > cap) {
        xlsx_fail(wb,
                  "%s declares %llu bytes, more than the %zu MiB it may have (a zip bomb?); refused: "
                  "文件解压后过大，已拒绝",
                  name, (unsigned long long)st.size, cap >> 20);
        return false;
    }
    if ((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) && st.size > ((zip_uint64_t)1 << 20) &&
        st.size / (st.comp_size + 1) > XLSX_MAX_RATIO) {
        xlsx_fail(wb,
                  "%s is compressed %llu:1, more than %d:1 (a zip bomb?); refused: 文件压缩比异常，已拒绝",
                  name, (unsigned long long)(st.size / (st.comp_size + 1)), XLSX_MAX_RATIO);
        return false;
    }
    zip_file_t *zf = zip_fopen_index(wb->zip, (zip_uint64_t)idx, 0);
    if (zf == NULL) {
        zip_error_t *ze = zip_get_error(wb->zip);
        if (zip_error_code_zip(ze) == ZIP_ER_NOPASSWD || zip_error_code_zip(ze) == ZIP_ER_ENCRNOTSUPP)
            xlsx_fail(wb, "%s is encrypted: save the workbook without a password (取消密码后另存为 .xlsx)",
                      name);
        else
            xlsx_fail(wb, "cannot read %s in the workbook: %s", name, zip_strerror(wb->zip));
        return false;
    }
    XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
    struct part pt = { wb, p, name };
    *ud = &pt;
    XML_SetUserData(p, ud);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, chars);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 10.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(p, (unsigned long long)1 << 20);
    char *chunk = xmalloc(CHUNK);
    size_t got = 0;
    bool ok = true;
    for (;;) {
        zip_int64_t n = zip_fread(zf, chunk, CHUNK);
        if (n < 0) {
            xlsx_fail(wb, "%s in the workbook is damaged: %s", name, zip_file_strerror(zf));
            ok = false;
            break;
        }
        got += (size_t)n;
        wb->inflated += (size_t)n;
        if (got > cap || wb->inflated > XLSX_MAX_TOTAL ||
            ((st.valid & ZIP_STAT_COMP_SIZE) && got > ((size_t)1 << 20) &&
             got / (st.comp_size + 1) > XLSX_MAX_RATIO)) {
            xlsx_fail(
                wb,
                "%s inflates to more than %zu MiB (%zu MiB in all parts at most; compression at most %d:1): "
                "a zip bomb?; refused: 文件解压后过大，已拒绝",
                name, cap >> 20, XLSX_MAX_TOTAL >> 20, XLSX_MAX_RATIO);
            ok = false;
            break;
        }
        if (XML_Parse(p, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
            if (!wb->failed)
                xlsx_fail(wb, "%s in the workbook is not well-formed XML: %s at line %lu", name,
                          XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
            ok = false;
            break;
        }
        if (wb->failed) {
            ok = false;
            break;
        }
        if (n == 0)
            break;
    }
    free(chunk);
    XML_ParserFree(p);
    zip_fclose(zf);
    *ud = NULL;
    return ok && !wb->failed;
}

/* ---- workbook.xml and its relationships ----------------------------------- */

static void XMLCALL
wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct part *pt = *(struct part **)ud;
    struct wb *wb = pt->wb;
    const char *n = xlsx_local(name);
    if (strcmp(n, "workbookPr") == 0) {
        wb->date1904 = truthy(xlsx_attr(atts, "date1904"));
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
