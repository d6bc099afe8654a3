/* Unit tests for the workbook reader (xlsx*.c): cell references, Excel's
 * serial dates in both systems, number formats that mean dates, numbers as
 * a person reads them, and workbooks built here with libzip (shared
 * strings with rich text, merged and hidden rows, the refusals, and each
 * limit: read just under it, refused just over it, lying headers too). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zip.h>

#include "util.h"
#include "xlsx.h"

static void
test_refs(void **state)
{
    (void)state;
    uint32_t r, c;
    assert_true(xlsx_ref_parse("A1", &r, &c));
    assert_int_equal(r, 1);
    assert_int_equal(c, 0);
    assert_true(xlsx_ref_parse("AA10", &r, &c));
    assert_int_equal(r, 10);
    assert_int_equal(c, 26);
    assert_true(xlsx_ref_parse("XFD1048576", &r, &c));
    assert_int_equal(r, 1048576);
    assert_int_equal(c, 16383);
    static const char *const bad[] = { "",      "A",   "1",   "A0",   "a1",  "XFE1", "A1048577",
                                       "AAAA1", "A01", "A1B", "$A$1", "A-1", " A1" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(xlsx_ref_parse(bad[i], &r, &c));
    char out[12];
    xlsx_ref_format(17, 2, out);
    assert_string_equal(out, "C17");
    xlsx_ref_format(1048576, 16383, out);
    assert_string_equal(out, "XFD1048576");
    xlsx_ref_format(10, 26, out);
    assert_string_equal(out, "AA10");
    xlsx_col_name(701, out);
    assert_string_equal(out, "ZZ");
    xlsx_col_name(702, out);
    assert_string_equal(out, "AAA");
}

static void
test_ranges(void **state)
{
    (void)state;
    struct xlsx_range g;
    assert_true(xlsx_range_parse("A3:B4", &g));
    assert_int_equal(g.r1, 3);
    assert_int_equal(g.c1, 0);
    assert_int_equal(g.r2, 4);
    assert_int_equal(g.c2, 1);
    assert_true(xlsx_range_parse("E5", &g));
    assert_int_equal(g.r2, 5);
    assert_int_equal(g.c2, 4);
    assert_false(xlsx_range_parse("B4:A3", &g)); /* backwards */
    assert_false(xlsx_range_parse("A3:", &g));
    assert_false(xlsx_range_parse("A3:B4:C5", &g));
    assert_false(xlsx_range_parse(NULL, &g));
}

static void
assert_serial(double serial, bool date1904, const char *want)
{
    struct ymd d;
    char out[11];
    if (want == NULL) {
        assert_false(xlsx_serial_date(serial, date1904, &d));
        return;
    }
    assert_true(xlsx_serial_date(serial, date1904, &d));
    format_date(&d, out);
    assert_string_equal(out, want);
}

static void
test_serial_dates(void **state)
{
    (void)state;
    assert_serial(1, false, "1900-01-01");
    assert_serial(59, false, "1900-02-28");
    assert_serial(60, false, NULL); /* Lotus's 1900-02-29 */
    assert_serial(61, false, "1900-03-01");
    assert_serial(0, false, NULL);
    assert_serial(46096, false, "2026-03-15");
    assert_serial(46096.75, false, "2026-03-15"); /* the time does not move the day */
    assert_serial(2958465, false, "9999-12-31");
    assert_serial(2958466, false, NULL);
    assert_serial(-1, false, NULL);
    assert_serial(0, true, "1904-01-01");
    assert_serial(44634, true, "2026-03-15");
}

static void
assert_number(double v, const char *want)
{
    char out[64];
    xlsx_format_number(v, out, sizeof out);
    assert_string_equal(out, want);
}

static void
test_numbers(void **state)
{
    (void)state;
    assert_number(1234.5, "1234.5");
    assert_number(1234.4999999999998, "1234.5");
    assert_number(0.1 + 0.2, "0.3");
    assert_number(100000, "100000");
    assert_number(1e5, "100000");
    assert_number(13800001372.0, "13800001372");
    assert_number(-0.0, "0");
    assert_number(-2.5, "-2.5");
    assert_number(0.00012, "0.00012");
    assert_number(123456789012345678.0, "123456789012345680");
    assert_number(7357.8000000000005, "7357.8");
}

static void
test_number_formats(void **state)
{
    (void)state;
    assert_int_equal(xlsx_numfmt_kind(14, NULL), 1);
    assert_int_equal(xlsx_numfmt_kind(22, NULL), 1);
    assert_int_equal(xlsx_numfmt_kind(20, NULL), 2);
    assert_int_equal(xlsx_numfmt_kind(46, NULL), 2);
    assert_int_equal(xlsx_numfmt_kind(0, NULL), 0);
    assert_int_equal(xlsx_numfmt_kind(4, NULL), 0);
    assert_int_equal(xlsx_numfmt_kind(164, "yyyy/m/d"), 1);
    assert_int_equal(xlsx_numfmt_kind(164, "yyyy\"年\"m\"月\"d\"日\""), 1);
    assert_int_equal(xlsx_numfmt_kind(164, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"), 1);
    assert_int_equal(xlsx_numfmt_kind(164, "h:mm:ss"), 2);
    assert_int_equal(xlsx_numfmt_kind(164, "#,##0.00"), 0);
    assert_int_equal(xlsx_numfmt_kind(164, "#,##0.00\"万元\""), 0); /* quoted letters */
    assert_int_equal(xlsx_numfmt_kind(164, "0.00_);[Red]\\(0.00\\)"), 0);
    assert_int_equal(xlsx_numfmt_kind(164, "General"), 0);
    assert_int_equal(xlsx_numfmt_kind(164, "0%"), 0);
}

/* ---- workbooks --------------------------------------------------------- */

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/* A workbook of the given parts, in memory (free it); deflated, or stored
 * as they are (so no compression ratio stops the read before a count does). */
static char *
make_zip(const char *const *parts, bool stored, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    for (size_t i = 0; parts[i]; i += 2) {
        zip_source_t *s = zip_source_buffer(za, parts[i + 1], strlen(parts[i + 1]), 0);
        zip_int64_t idx = zip_file_add(za, parts[i], s, ZIP_FL_ENC_UTF_8);
        assert_true(idx >= 0);
        if (stored)
            assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    zip_int64_t n = zip_source_tell(src);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    char *buf = xmalloc((size_t)n + 1);
    assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)n), n);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = (size_t)n;
    return buf;
}

static const char workbook[] =
    "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><workbookPr date1904=\"1\"/><sheets>"
    "<sheet name=\"表一\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"备用\" sheetId=\"2\" state=\"hidden\" r:id=\"rId1\"/>"
    "</sheets></workbook>";
static const char rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL_NS "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_NS "/styles\" Target=\"/xl/styles.xml\"/></Relationships>";
static const char styles[] =
    "<styleSheet xmlns=\"" MAIN_NS "\"><numFmts count=\"1\"><numFmt numFmtId=\"164\" "
    "formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/></numFmts>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/><xf numFmtId=\"4\"/></cellXfs>"
    "</styleSheet>";
static const char strings[] =
    "<sst xmlns=\"" MAIN_NS "\"><si><t>县区</t></si>"
    "<si><r><t>涧</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\">西区</t></r><rPh><t>ignored</t></rPh></si>"
    "<si><t>a_x000D_b</t></si></sst>";

static char *
workbook_of(const char *sheet, const char *sst, bool stored, size_t *len)
{
    const char *parts[] = { "xl/workbook.xml",
                            workbook,
                            "xl/_rels/workbook.xml.rels",
                            rels,
                            "xl/styles.xml",
                            styles,
                            "xl/sharedStrings.xml",
                            sst,
                            "xl/worksheets/sheet1.xml",
                            sheet,
                            NULL };
    return make_zip(parts, stored, len);
}

static char *
workbook_with(const char *sheet, size_t *len)
{
    return workbook_of(sheet, strings, false, len);
}

static void
test_workbook(void **state)
{
    (void)state;
    const char *sheet =
        "<x:worksheet xmlns:x=\"" MAIN_NS "\"><x:sheetData>"
        "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B1\" t=\"inlineStr\"><x:is><x:t>日期</x:t>"
        "</x:is></x:c><x:c r=\"D1\" t=\"s\"><x:v>2</x:v></x:c></x:row>"
        "<x:row r=\"2\"><x:c r=\"A2\" t=\"s\"><x:v>1</x:v></x:c><x:c r=\"B2\" s=\"2\"><x:v>44634</x:v></x:c>"
        "<x:c r=\"C2\" s=\"3\"><x:v>1234.4999999999998</x:v></x:c></x:row>"
        "<x:row r=\"3\" hidden=\"1\"><x:c r=\"B3\" t=\"str\"><x:f>A1</x:f><x:v>x</x:v></x:c></x:row>"
        "<x:row r=\"4\"><x:c r=\"B4\" t=\"b\"><x:v>1</x:v></x:c><x:c r=\"C4\" t=\"e\"><x:v>#N/A</x:v></x:c>"
        "<x:c r=\"D4\" s=\"1\"/></x:row>"
        "</x:sheetData><x:mergeCells><x:mergeCell ref=\"A2:A4\"/></x:mergeCells></x:worksheet>";
    size_t len;
    char *data = workbook_with(sheet, &len);
    struct xlsx_sheet s;
    char err[300] = "";
    assert_true(xlsx_read(data, len, NULL, &s, err, sizeof err));
    assert_string_equal(s.name, "表一");
    assert_int_equal(s.hidden_rows, 1);
    assert_int_equal(s.table->nrows, 2 + 1);
    const struct csv_row *r = s.table->rows;
    assert_int_equal(r[0].line, 1);
    assert_int_equal(r[0].nfields, 4);
    assert_string_equal(r[0].fields[0], "县区");
    assert_string_equal(r[0].fields[1], "日期");
    assert_string_equal(r[0].fields[2], "");
    assert_string_equal(r[0].fields[3], "a\rb");
    assert_int_equal(r[1].line, 2);
    assert_string_equal(r[1].fields[0], "涧西区");     /* rich text runs, no phonetic run */
    assert_string_equal(r[1].fields[1], "2026-03-15"); /* 1904 system, custom date format */
    assert_string_equal(r[1].fields[2], "1234.5");
    assert_int_equal(r[2].line, 4);                /* row 3 is hidden */
    assert_string_equal(r[2].fields[0], "涧西区"); /* merged down A2:A4 */
    assert_string_equal(r[2].fields[1], "TRUE");
    assert_string_equal(r[2].fields[2], "#N/A");
    assert_string_equal(r[2].fields[3], ""); /* styled, no value */
    assert_int_equal(s.nmerges, 1);
    xlsx_sheet_free(&s);

    assert_false(xlsx_read(data, len, "没有", &s, err, sizeof err));
    assert_non_null(strstr(err, "no sheet named '没有' (its sheets: 表一 (hidden: 备用))"));
    assert_true(xlsx_read(data, len, "备用", &s, err, sizeof err)); /* hidden, but named */
    xlsx_sheet_free(&s);
    free(data);
}

/* The workbook data[0..len) is refused, saying want; frees data. */
static void
assert_refuses(char *data, size_t len, const char *want)
{
    struct xlsx_sheet s;
    char err[400] = "";
    assert_false(xlsx_read(data, len, NULL, &s, err, sizeof err));
    if (strstr(err, want) == NULL)
        fail_msg("'%s' does not say '%s'", err, want);
    free(data);
}

static void
assert_refused(const char *sheet, const char *want)
{
    size_t len;
    char *data = workbook_with(sheet, &len);
    assert_refuses(data, len, want);
}

static void
test_refusals(void **state)
{
    (void)state;
    assert_refused("<!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                   "<worksheet xmlns=\"" MAIN_NS
                   "\"><sheetData><row><c t=\"inlineStr\"><is><t>&b;</t></is></c>"
                   "</row></sheetData></worksheet>",
                   "xl/worksheets/sheet1.xml has a DOCTYPE declaration");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"7\"><c r=\"C7\"><f>1+1</f></c></row>"
                   "</sheetData></worksheet>",
                   "sheet 表一, cell C7 holds a formula whose result was never saved");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c r=\"B2\"><v>1</v></c>"
                   "<c r=\"A2\"><v>2</v></c></row></sheetData></worksheet>",
                   "sheet 表一, cell A2 comes after a cell to its right");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c r=\"B2\" t=\"s\"><v>9</v></c>"
                   "</row></sheetData></worksheet>",
                   "refers to shared string 9");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c r=\"ZZZ2\"><v>1</v></c>"
                   "</row></sheetData></worksheet>",
                   "'ZZZ2' is not a cell reference");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c r=\"AMK2\"><v>1</v></c>"
                   "</row></sheetData></worksheet>",
                   "past column 1024");
    assert_refused("<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c r=\"A2\"><v>1</v></c>"
                   "</row>",
                   "not well-formed XML");
}

/* ---- the limits: each one just under is read, just over is refused ------ */

static const char small_sheet[] =
    "<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\">"
    "<v>0</v></c></row></sheetData></worksheet>";

/* head, unit n times, tail (free it). */
static char *
repeated(const char *head, const char *unit, size_t n, const char *tail)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, head);
    for (size_t i = 0; i < n; i++)
        buf_puts(&b, unit);
    buf_puts(&b, tail);
    return buf_steal(&b);
}

static void
assert_reads(char *data, size_t len, size_t nrows, size_t nfields)
{
    struct xlsx_sheet s;
    char err[400] = "";
    if (!xlsx_read(data, len, NULL, &s, err, sizeof err))
        fail_msg("refused: %s", err);
    assert_int_equal(s.table->nrows, nrows);
    assert_int_equal(s.table->rows[0].nfields, nfields);
    xlsx_sheet_free(&s);
    free(data);
}

static uint32_t
get_le(const char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

static void
put_le32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (char)(v & 0xFF);
}

/* Makes the part name of the zip in data[0..len) declare size bytes
 * inflated, in its central and its local header, whatever it holds: a zip
 * that lies, as a hand-made bomb does. */
static void
declare_size(char *data, size_t len, const char *name, uint32_t size)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i + 46 + nlen <= len; i++) {
        if (memcmp(data + i, "PK\1\2", 4) != 0 || get_le(data + i + 28, 2) != nlen ||
            memcmp(data + i + 46, name, nlen) != 0)
            continue;
        uint32_t local = get_le(data + i + 42, 4);
        assert_true(local + 30 <= len && memcmp(data + local, "PK\3\4", 4) == 0);
        put_le32(data + i + 24, size);
        put_le32(data + local + 22, size);
        return;
    }
    fail_msg("the zip has no part %s", name);
}

/* sharedStrings.xml: at most 32 MiB inflated, whatever its headers say,
 * and at most 2,000,000 strings. */
static void
test_limit_strings(void **state)
{
    (void)state;
    static const char unit[] = "<si><t>abcdef</t></si>";
    size_t len, n = XLSX_MAX_STRINGS_XML / (sizeof unit - 1) + 1; /* just past 32 MiB */
    char *sst = repeated("<sst xmlns=\"" MAIN_NS "\">", unit, n, "</sst>");
    char want[200];
    snprintf(want, sizeof want, "xl/sharedStrings.xml declares %zu bytes, more than the 32 MiB it may have",
             strlen(sst));
    char *data = workbook_of(small_sheet, sst, false, &len);
    assert_refuses(data, len, want);

    /* The same part saying it is 1,000 bytes: counted as it inflates,
     * refused past 1 MiB for its ratio (deflated) or past 32 MiB (stored). */
    data = workbook_of(small_sheet, sst, false, &len);
    declare_size(data, len, "xl/sharedStrings.xml", 1000);
    assert_refuses(data, len, "xl/sharedStrings.xml inflates to more than 32 MiB");
    data = workbook_of(small_sheet, sst, true, &len);
    declare_size(data, len, "xl/sharedStrings.xml", 1000);
    assert_refuses(data, len, "xl/sharedStrings.xml inflates to more than 32 MiB");
    free(sst);

    /* The table's strings: 2,000,000 are read, one more is refused. */
    sst = repeated("<sst>", "<si/>", XLSX_MAX_CELLS, "</sst>");
    data = workbook_of(small_sheet, sst, true, &len);
    assert_reads(data, len, 1, 1);
    free(sst);
    sst = repeated("<sst>", "<si/>", XLSX_MAX_CELLS + 1, "</sst>");
    data = workbook_of(small_sheet, sst, true, &len);
    assert_refuses(data, len, "the workbook has more than 2000000 shared strings; refused");
    free(sst);
}

/* A sheet of nrows rows of per_row valued cells each; the first row's
 * cell in column wide (0-based) too when wide is not 0. */
static char *
sheet_of(size_t nrows, size_t per_row, uint32_t wide)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "<worksheet xmlns=\"" MAIN_NS "\"><sheetData>");
    for (size_t r = 1; r <= nrows; r++) {
        buf_puts(&b, "<row>"); /* no r: the next row; no c r: the next column */
        for (size_t c = 0; c < per_row; c++)
            buf_puts(&b, "<c><v>1</v></c>");
        if (r == 1 && wide) {
            char ref[12];
            xlsx_ref_format(1, wide, ref);
            buf_printf(&b, "<c r=\"%s\" t=\"str\"><v>wide</v></c>", ref);
        }
        buf_puts(&b, "</row>");
    }
    buf_puts(&b, "</sheetData></worksheet>");
    return buf_steal(&b);
}

/* At most 2,000,000 cells with a value, counted as they are read. */
static void
test_limit_cells(void **state)
{
    (void)state;
    size_t len;
    char *sheet = sheet_of(XLSX_MAX_CELLS / 1000, 1000, 0);
    char *data = workbook_of(sheet, strings, true, &len);
    free(sheet);
    assert_reads(data, len, XLSX_MAX_CELLS / 1000, 1000);
    sheet = sheet_of(XLSX_MAX_CELLS / 1000 + 1, 1000, 0);
    data = workbook_of(sheet, strings, true, &len);
    free(sheet);
    assert_refuses(data, len,
                   "sheet 表一 has more than 2000000 cells with a value; refused: 单元格过多，已拒绝");
}

/* At most 4,000,000 fields in the table the reader makes (rows × the
 * widest row), however few cells have a value. */
static void
test_limit_grid(void **state)
{
    (void)state;
    size_t len;
    char *sheet = sheet_of(4000, 1, 999); /* 4000 rows × 1000 columns */
    char *data = workbook_with(sheet, &len);
    free(sheet);
    assert_reads(data, len, 4000, 1000);
    sheet = sheet_of(4001, 1, 999);
    data = workbook_with(sheet, &len);
    free(sheet);
    assert_refuses(data, len, "sheet 表一 has 4001 rows of 1000 columns, more than 4000000 cells; refused");
}

static void
test_not_a_workbook(void **state)
{
    (void)state;
    struct xlsx_sheet s;
    char err[400] = "";
    const char *parts[] = { "content.xml", "<office/>", "mimetype",
                            "application/vnd.oasis.opendocument.spreadsheet", NULL };
    size_t len;
    char *data = make_zip(parts, false, &len);
    assert_false(xlsx_read(data, len, NULL, &s, err, sizeof err));
    assert_non_null(strstr(err, "OpenDocument spreadsheet (.ods)"));
    free(data);
    assert_false(xlsx_read("PK\3\4 not really", 16, NULL, &s, err, sizeof err));
    assert_non_null(strstr(err, "cannot be opened"));
    assert_int_equal(xlsx_sniff("PK\3\4", 4), XLSX_MAGIC_ZIP);
    assert_int_equal(xlsx_sniff("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8), XLSX_MAGIC_OLE2);
    assert_int_equal(xlsx_sniff("code,name", 9), XLSX_MAGIC_NONE);
    assert_int_equal(xlsx_sniff("PK", 2), XLSX_MAGIC_NONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs),           cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_serial_dates),   cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_formats), cmocka_unit_test(test_workbook),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_limit_strings),
        cmocka_unit_test(test_limit_cells),    cmocka_unit_test(test_limit_grid),
        cmocka_unit_test(test_not_a_workbook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
