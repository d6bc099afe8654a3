/* csv: RFC 4180 as spreadsheets write it, parsed from memory into rows of
 * fields with the physical line each row starts on, and written back with
 * formulas guarded. The parser must never interpret, trim or validate the
 * fields: what the columns mean is the importer's. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

/* The fields are written over the text they are read from: a field never
 * takes more bytes than its source (its quotes and the separator after it
 * pay for its NUL), so the write position w never passes the read position
 * p and the buffer never moves. One buffer for the file and its fields,
 * and one array of field pointers (imports run to 100k rows). */
struct row_acc {
    size_t line;
    size_t first;       /* index of the row's first field in fieldv */
    size_t nfields;
};

struct parser {
    char *p, *end;      /* reading */
    char *w;            /* writing, w <= p */
    size_t line;        /* physical line of *p */
    char **fieldv;
    size_t nfields, fields_cap;
    struct row_acc *rows;
    size_t nrows, rows_cap;
    char *err;
    size_t errlen;
};

static void
end_field(struct parser *ps, char *start)
{
    if (ps->nfields == ps->fields_cap) {
        ps->fields_cap = ps->fields_cap ? ps->fields_cap * 2 : 256;
        ps->fieldv = xreallocarray(ps->fieldv, ps->fields_cap, sizeof *ps->fieldv);
    }
    ps->fieldv[ps->nfields++] = start;
    *ps->w++ = '\0';
    ps->rows[ps->nrows - 1].nfields++;
}

/* Moves n bytes read at p to w. */
static void
put(struct parser *ps, const char *from, size_t n)
{
    if (ps->w != from)
        memmove(ps->w, from, n);
    ps->w += n;
}

static void
begin_row(struct parser *ps)
{
    if (ps->nrows == ps->rows_cap) {
        ps->rows_cap = ps->rows_cap ? ps->rows_cap * 2 : 64;
        ps->rows = xreallocarray(ps->rows, ps->rows_cap, sizeof *ps->rows);
    }
    ps->rows[ps->nrows++] = (struct row_acc){ps->line, ps->nfields, 0};
}

/* Line ends in [s, e) counted as the parser counts them: LF, CRLF, and a
 * lone CR (old Mac Excel) each end one line. */
static size_t
line_ends(const char *s, const char *e)
{
    size_t n = 0;
    for (const char *c = s; c < e; c++)
        if (*c == '\n' || (*c == '\r' && (c + 1 == e || c[1] != '\n')))
            n++;
    return n;
}

/* If *p starts a line end, returns its length, else 0. */
static size_t
eol_len(const struct parser *ps)
{
    if (ps->p >= ps->end)
        return 0;
    if (*ps->p == '\n')
        return 1;
    if (*ps->p == '\r')
        return ps->p + 1 < ps->end && ps->p[1] == '\n' ? 2 : 1;
    return 0;
}

/* A quoted field, from just after its opening quote to its closing quote. */
static bool
quoted_field(struct parser *ps)
{
    size_t start_line = ps->line;
    for (;;) {
        char *q = memchr(ps->p, '"', (size_t)(ps->end - ps->p));
        char *stop = q != NULL ? q : ps->end;
        ps->line += line_ends(ps->p, stop);
        put(ps, ps->p, (size_t)(stop - ps->p));
        if (q == NULL) {
            snprintf(ps->err, ps->errlen, "line %zu: unterminated quoted field",
                     start_line);
            return false;
        }
        ps->p = q + 1;
        if (ps->p < ps->end && *ps->p == '"') {
            *ps->w++ = '"';
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p != ',' && eol_len(ps) == 0) {
            snprintf(ps->err, ps->errlen,
                     "line %zu: unexpected character after closing quote", ps->line);
            return false;
        }
        return true;
    }
}

/* An unquoted field: everything up to a comma or line end. A quote inside
 * one is kept as a literal byte, as spreadsheets read it. */
static void
plain_field(struct parser *ps)
{
    char *s = ps->p;
    while (ps->p < ps->end && *ps->p != ',' && *ps->p != '\n' && *ps->p != '\r')
        ps->p++;
    put(ps, s, (size_t)(ps->p - s));
}

static bool
blank_line(const struct parser *ps)
{
    const char *c = ps->p;
    while (c < ps->end && (*c == ' ' || *c == '\t'))
        c++;
    return c == ps->end || *c == '\n' || *c == '\r';
}

/* One row, from the start of a line through its line end. */
static bool
parse_row(struct parser *ps)
{
    begin_row(ps);
    for (;;) {
        char *start = ps->w;
        if (ps->p < ps->end && *ps->p == '"') {
            ps->p++;
            if (!quoted_field(ps))
                return false;
        } else {
            plain_field(ps);
        }
        /* What ends the field, read before its NUL may overwrite it. */
        bool comma = ps->p < ps->end && *ps->p == ',';
        size_t n = eol_len(ps);
        end_field(ps, start);
        if (comma) {
            ps->p++;
            continue;
        }
        ps->p += n;
        ps->line += n > 0;
        return true;
    }
}

static struct csv *
finish(struct parser *ps, char *text)
{
    struct csv *csv = xcalloc(1, sizeof *csv);
    csv->text = text;
    csv->fieldv = ps->fieldv;
    ps->fieldv = NULL;
    csv->nrows = ps->nrows;
    csv->rows = xreallocarray(NULL, ps->nrows, sizeof *csv->rows);
    for (size_t i = 0; i < ps->nrows; i++) {
        csv->rows[i].line = ps->rows[i].line;
        csv->rows[i].nfields = ps->rows[i].nfields;
        csv->rows[i].fields = csv->fieldv + ps->rows[i].first;
    }
    return csv;
}

struct csv *
csv_parse_owned(char *data, size_t len, char *err, size_t errlen)
{
    struct parser ps = {.p = data, .end = data + len, .w = data, .line = 1,
                        .err = err, .errlen = errlen};
    struct csv *csv = NULL;

    const char *nul = len > 0 ? memchr(data, '\0', len) : NULL;
    if (nul != NULL) {
        /* A field could not carry it: refuse rather than cut text short. */
        snprintf(err, errlen, "line %zu: NUL byte", 1 + line_ends(data, nul));
        goto out;
    }
    while (ps.p < ps.end) {
        if (blank_line(&ps)) {
            while (ps.p < ps.end && eol_len(&ps) == 0)
                ps.p++;
            ps.p += eol_len(&ps);
            ps.line++;
            continue;
        }
        if (!parse_row(&ps))
            goto out;
    }
    csv = finish(&ps, data);
    data = NULL;
out:
    free(data);
    free(ps.fieldv);
    free(ps.rows);
    return csv;
}

struct csv *
csv_parse(const char *data, size_t len, char *err, size_t errlen)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    return csv_parse_owned(copy, len, err, errlen);
}

void
csv_free(struct csv *csv)
{
    if (csv == NULL)
        return;
    free(csv->rows);
    free(csv->fieldv);
    free(csv->text);
    free(csv);
}

void
csv_put_field(struct buf *out, const char *field)
{
    if (strpbrk(field, ",\"\r\n") == NULL) {
        buf_puts(out, field);
        return;
    }
    buf_putc(out, '"');
    for (const char *q; (q = strchr(field, '"')) != NULL; field = q + 1) {
        buf_append(out, field, (size_t)(q - field + 1));
        buf_putc(out, '"');
    }
    buf_puts(out, field);
    buf_putc(out, '"');
}

/* The characters that make a spreadsheet read a cell as a formula. */
static bool
formula_start(char c)
{
    return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

bool
csv_needs_guard(const char *field)
{
    while (*field == '\'')
        field++;
    return formula_start(*field);
}

void
csv_put_guarded(struct buf *out, const char *field)
{
    if (!csv_needs_guard(field)) {
        csv_put_field(out, field);
        return;
    }
    char *guarded = xasprintf("'%s", field);
    csv_put_field(out, guarded);
    free(guarded);
}

const char *
csv_unguard(const char *field)
{
    if (field[0] != '\'')
        return field;
    return csv_needs_guard(field + 1) ? field + 1 : field;
}
