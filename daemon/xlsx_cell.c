/* xlsx_cell: the small pure pieces of reading a workbook — cell references,
 * Excel's serial dates (both systems, Lotus's 1900 leap-year bug), number
 * formats that mean a date, and numbers written as a person reads them.
 * Must never guess a date from a number whose format is not a date. */
#include "ac_config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xlsx.h"

#define XLSX_LAST_ROW 1048576u
#define XLSX_LAST_COL 16384u /* XFD */

enum xlsx_magic
xlsx_sniff(const char *data, size_t len)
{
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return XLSX_MAGIC_ZIP;
    if (len >= 4 && memcmp(data, "\xD0\xCF\x11\xE0", 4) == 0)
        return XLSX_MAGIC_OLE2;
    return XLSX_MAGIC_NONE;
}

/* Reads "C17" from *p on; advances *p past it. */
static bool
ref_at(const char **p, uint32_t *row, uint32_t *col)
{
    const char *s = *p;
    uint32_t c = 0, r = 0;
    size_t n = 0;
    for (; *s >= 'A' && *s <= 'Z'; s++, n++) {
        if (n == 3)
            return false;
        c = c * 26 + (uint32_t)(*s - 'A' + 1);
    }
    if (n == 0 || c > XLSX_LAST_COL || *s < '1' || *s > '9')
        return false;
    for (n = 0; *s >= '0' && *s <= '9'; s++, n++) {
        if (n == 7)
            return false;
        r = r * 10 + (uint32_t)(*s - '0');
    }
    if (r > XLSX_LAST_ROW)
        return false;
    *row = r;
    *col = c - 1;
    *p = s;
    return true;
}

bool
xlsx_ref_parse(const char *s, uint32_t *row, uint32_t *col)
{
    return s != NULL && ref_at(&s, row, col) && *s == '\0';
}

bool
xlsx_range_parse(const char *s, struct xlsx_range *out)
{
    if (s == NULL || !ref_at(&s, &out->r1, &out->c1))
        return false;
    if (*s == '\0') {
        out->r2 = out->r1;
        out->c2 = out->c1;
        return true;
    }
    if (*s++ != ':' || !ref_at(&s, &out->r2, &out->c2) || *s != '\0')
        return false;
    return out->r2 >= out->r1 && out->c2 >= out->c1;
}

void
xlsx_col_name(uint32_t col, char out[4])
{
    char tmp[4];
    size_t n = 0;
    uint32_t c = col + 1;
    while (c > 0 && n < 3) {
        tmp[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

void
xlsx_ref_format(uint32_t row, uint32_t col, char out[12])
{
    char c[4];
    xlsx_col_name(col, c);
    snprintf(out, 12, "%s%u", c, (unsigned)(row % 10000000u));
}

bool
xlsx_serial_date(double serial, bool date1904, struct ymd *out)
{
    if (!isfinite(serial) || serial < 0 || serial >= 2958466) /* 9999-12-31 is 2958465 */
        return false;
    long s = (long)floor(serial);
    struct ymd base;
    if (date1904) {
        base = (struct ymd){ 1904, 1, 1 };
    } else if (s >= 61) {
        base = (struct ymd){ 1899, 12, 30 }; /* past the day that never was */
    } else if (s >= 1 && s <= 59) {
        base = (struct ymd){ 1899, 12, 31 };
    } else {
        return false; /* 0 is "1900-01-00", 60 is "1900-02-29": no such days */
    }
    days_to_ymd(ymd_to_days(&base) + s, out);
    return out->y >= 1900 && out->y <= 9999;
}

void
xlsx_format_number(double v, char *out, size_t outlen)
{
    if (!isfinite(v)) {
        snprintf(out, outlen, "%s", "NaN");
        return;
    }
    if (v == 0) { /* and -0 */
        snprintf(out, outlen, "0");
        return;
    }
    double a = fabs(v);
    if (a >= 1e15) { /* past 15 digits only the integer part means anything */
        snprintf(out, outlen, "%.0f", v);
        return;
    }
    if (a >= 1e-4) {
        snprintf(out, outlen, "%.15g", v);
        return;
    }
    /* Tiny: fixed notation, 15 significant digits, trailing zeros cut. */
    int decimals = 15 - 1 - (int)floor(log10(a));
    if (decimals > 40)
        decimals = 40;
    snprintf(out, outlen, "%.*f", decimals, v);
    char *dot = strchr(out, '.');
    if (dot != NULL) {
        char *e = out + strlen(out);
        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
}

int
xlsx_numfmt_kind(int id, const char *code)
{
    if ((id >= 14 && id <= 17) || id == 22)
        return 1;
    if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47))
        return 2;
    /* Chinese built-ins Excel writes without their code (27–36, 50–58). */
    if ((id >= 27 && id <= 31) || (id >= 50 && id <= 58))
        return 1;
    if (id >= 32 && id <= 36)
        return 2;
    if (code == NULL)
        return 0;
    bool date = false, time = false;
    for (const char *p = code; *p; p++) {
        switch (*p) {
        case '"': { /* literal text */
            const char *q = strchr(p + 1, '"');
            if (q == NULL)
                return date ? 1 : time ? 2 : 0;
            p = q;
            break;
        }
        case '[': { /* [Red], [$-804], [h] (elapsed: not a clock) */
            const char *q = strchr(p + 1, ']');
            if (q == NULL)
                return date ? 1 : time ? 2 : 0;
            p = q;
            break;
        }
        case '\\':
        case '_':
        case '*': /* an escaped or padding character */
            if (p[1] != '\0')
                p++;
            break;
        case ';': /* only the first section decides */
            return date ? 1 : time ? 2 : 0;
        case 'y':
        case 'Y':
        case 'd':
        case 'D':
            date = true;
            break;
        case 'h':
        case 'H':
        case 's':
        case 'S':
            time = true;
            break;
        case 'm':
        case 'M': /* month, or minute next to h or s: either is a date-time format */
            date = date || !time;
            break;
        default:
            break;
        }
    }
    return date ? 1 : time ? 2 : 0;
}
