/* xlsx_part: one part (file) of the workbook's zip, inflated a chunk at a
 * time into expat, and the helpers every part's handlers share. A
 * declared size, a ratio or a count past its limit stops the read, and so
 * does any DOCTYPE, so a hostile workbook costs bounded memory and time. */
#include "ac_config.h"

#include <stdarg.h>
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

bool
xlsx_truthy(const char *v)
{
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

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
