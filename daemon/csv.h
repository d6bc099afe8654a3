/* csv: RFC 4180 parsing of an in-memory UTF-8 buffer as spreadsheets save
 * it (comma separated, "quoted" fields with "" escapes and embedded newlines,
 * CRLF or LF line ends, blank lines skipped). Pure: knows nothing of what
 * the columns mean. */
#ifndef KEYPROJ_CSV_H
#define KEYPROJ_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv_row {
    size_t line;      /* 1-based physical line where the row starts */
    size_t nfields;
    char **fields;    /* each NUL-terminated, owned by the csv */
};

struct csv {
    size_t nrows;
    struct csv_row *rows;  /* rows[0] is the header row when present */
    /* Storage behind rows[].fields; private to csv.c. */
    char *text;
    char **fieldv;
};

/* Parses data[0..len). Returns a newly allocated csv (free with csv_free),
 * or NULL with a message in err naming the line ("line 12: unterminated
 * quoted field" (the line the field starts on) / "line 3: unexpected
 * character after closing quote" / "line 5: NUL byte"). LF, CRLF and a lone
 * CR each end a line; lines that are empty or only blanks are skipped but
 * counted. Rows keep however many fields they have (the caller checks).
 * Fields keep their bytes as is; trimming is the caller's choice. */
struct csv *csv_parse(const char *data, size_t len, char *err, size_t errlen);
/* The same without a copy: takes data, which must have len + 1 bytes
 * (data[len] is written), parses it in place and keeps it as the fields'
 * storage; freed with the csv, or at once on failure. */
struct csv *csv_parse_owned(char *data, size_t len, char *err, size_t errlen);
void csv_free(struct csv *csv);

/* Writes one field to out, quoted when it holds a comma, quote, CR or LF. */
struct buf;
void csv_put_field(struct buf *out, const char *field);

/* Formulas (CSV injection, as OWASP describes it): Excel and WPS run a cell
 * that begins with '=', '+', '-', '@', a tab or a CR. A guarded cell gets a
 * leading ' so it opens as text; one that already begins with quotes and
 * then such a character gets one more, so unguarding is exact. */
bool csv_needs_guard(const char *field);
/* csv_put_field of the field, guarded when it needs it. */
void csv_put_guarded(struct buf *out, const char *field);
/* The field without the ' a guard added (field + 1), or field itself. */
const char *csv_unguard(const char *field);

#endif
