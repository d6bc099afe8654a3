/* ctl_render: turns the daemon's answer into what keyprojctl prints —
 * tables padded by display width, key: value lists, JSON, CSV. Pure: no I/O,
 * no clock, and no locale but the words a struct ctl_lang hands it; it must
 * never trust the answer's shape or bytes. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "ctl_lang.h"
#include "ctl_render.h"
#include "text.h"
#include "util.h"

#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026, one column */
#define UTF8_BOM "\xef\xbb\xbf"

/* How a table cell is aligned: numbers right, text left; null, missing and
 * the header follow their column (right only when the column is numeric). */
enum cell_kind { CELL_TEXT, CELL_NUMBER, CELL_FOLLOW };

struct cell {
    size_t off;             /* NUL-terminated text at table.text.data + off */
    size_t width;           /* display columns */
    enum cell_kind kind;
};

struct table {
    size_t ncols, nrows;    /* nrows counts data rows, not the header */
    struct buf text;        /* every cell's text, NUL-separated */
    struct cell *cells;     /* (nrows + 1) * ncols; row 0 is the header */
    size_t *colw;
    bool *numeric;
};

/* A flattened object member: "parent.child" (already made visible and in
 * the language shown), and the member's own key ("child") as it came. */
struct entry {
    char *name;
    const char *key;
    const json_t *value;
};

struct entries {
    struct entry *v;
    size_t n, cap;
};

/* jansson's object iterators take a non-const object although they only
 * read it; this is the one place the const is dropped. */
static json_t *
unconst(const json_t *v)
{
    return (json_t *)(uintptr_t)v;
}

static const char *
buf_str(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}

/* ---- words ------------------------------------------------------------ */

/* The client's own words in lang's language (xgettext: tr:2, trn:2,3). */
static const char *tr(const struct ctl_lang *lang, const char *msgid)
    __attribute__((format_arg(2)));
static const char *trn(const struct ctl_lang *lang, const char *one, const char *many,
                       unsigned long n) __attribute__((format_arg(2), format_arg(3)));

static const char *
tr(const struct ctl_lang *lang, const char *msgid)
{
    return lang != NULL && lang->text != NULL ? lang->text(msgid) : msgid;
}

static const char *
trn(const struct ctl_lang *lang, const char *one, const char *many, unsigned long n)
{
    if (lang != NULL && lang->ntext != NULL)
        return lang->ntext(one, many, n);
    return n == 1 ? one : many;
}

/* A column's header or a key's name as lang shows it. */
static const char *
header_of(const struct ctl_lang *lang, const char *key)
{
    return lang != NULL && lang->header != NULL ? lang->header(lang->command, key) : key;
}

/* The label of an enum value in column key of a table of ctx, or NULL when
 * lang shows canonical names or v is no enum value. Only a string in a
 * column known to hold an enum is one: a project named "red" stays. */
static const char *
label_of(const struct ctl_lang *lang, const char *ctx, const char *key, const json_t *v)
{
    if (lang == NULL || !lang->labels || !json_is_string(v))
        return NULL;
    return ctl_lang_label(ctx, key, json_string_value(v));
}

/* ---- text of values ------------------------------------------------- */

static int
dump_to_buf(const char *p, size_t n, void *data)
{
    buf_append(data, p, n);
    return 0;
}

static void
put_json(struct buf *out, const json_t *v, size_t flags)
{
    if (v == NULL)
        v = json_null();
    json_dump_callback(v, dump_to_buf, out, flags | JSON_ENCODE_ANY);
}

/* The shortest of %.15g … %.17g that reads back as the same double, so
 * 12345.67 shows as 12345.67 and not 12345.670000000001. */
static void
put_real(struct buf *out, double d)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    buf_puts(out, tmp);
}

/* Scalars as plain text, arrays and objects as compact JSON. human: null is
 * "-" and booleans yes/no (tables); otherwise "" and true/false (CSV). */
static void
value_text(struct buf *out, const json_t *v, bool human)
{
    switch (v != NULL ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
        if (human)
            buf_puts(out, "-");
        break;
    case JSON_TRUE:
        buf_puts(out, human ? "yes" : "true");
        break;
    case JSON_FALSE:
        buf_puts(out, human ? "no" : "false");
        break;
    case JSON_INTEGER:
        buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(out, json_real_value(v));
        break;
    case JSON_STRING:
        buf_append(out, json_string_value(v), json_string_length(v));
        break;
    default:
        put_json(out, v, JSON_COMPACT);
        break;
    }
}

/* A value as a person reads it (tables, key: value lines): an enum value
 * by its label, a boolean as yes or no, in lang's language. */
static void
human_text(struct buf *out, const json_t *v, const struct ctl_lang *lang, const char *ctx,
           const char *key)
{
    const char *label = label_of(lang, ctx, key, v);
    if (label != NULL)
        buf_puts(out, label);
    else if (json_is_boolean(v))
        buf_puts(out, json_is_true(v) ? tr(lang, "yes") : tr(lang, "no"));
    else
        value_text(out, v, true);
}

/* Length of the valid UTF-8 sequence at s, or 0 when the bytes are not one. */
static size_t
utf8_seq_len(const char *s, size_t avail)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || n > avail || !utf8_valid(s, n, NULL))
        return 0;
    return n;
}

/* Writes the escape for the character at s into esc and returns true when it
 * must not reach the terminal as is; *n gets the character's byte length. */
static bool
needs_escape(const char *s, size_t avail, bool keep_newlines, size_t *n,
             char esc[12])
{
    unsigned char c = (unsigned char)s[0];
    *n = 1;
    if (c >= 0x80) {
        *n = utf8_seq_len(s, avail);
        if (*n == 0) {
            *n = 1;
            snprintf(esc, 12, "\\x%02x", c);
            return true;
        }
        if (c == 0xc2 && (unsigned char)s[1] < 0xa0) {    /* C1 controls */
            snprintf(esc, 12, "\\u%04x", (unsigned char)s[1]);
            return true;
        }
        return false;
    }
    if (c >= 0x20 && c != 0x7f)
        return false;
    if (keep_newlines && (c == '\n' || c == '\t'))
        return false;
    if (c == '\n' || c == '\t' || c == '\r')
        snprintf(esc, 12, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
    else
        snprintf(esc, 12, "\\x%02x", c);
    return true;
}

void
ctl_put_visible(struct buf *out, const char *s, size_t len, bool keep_newlines)
{
    size_t run = 0, i = 0, n;
    char esc[12];
    while (i < len) {
        if (!needs_escape(s + i, len - i, keep_newlines, &n, esc)) {
            i += n;
            continue;
        }
        buf_append(out, s + run, i - run);
        buf_puts(out, esc);
        i += n;
        run = i;
    }
    buf_append(out, s + run, len - run);
}

/* ---- tables ----------------------------------------------------------- */

static bool
is_rows(const json_t *v)
{
    size_t i;
    const json_t *row;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, row) {
        if (!json_is_object(row))
            return false;
    }
    return true;
}

/* The first row's keys in order, then keys only later rows have, so no
 * value is ever hidden. The names point into rows; free the array only. */
/* A value the ledger names itself: row's member "KEY_name" (a problem's
 * category_name, from the office's own list of categories) when it is a
 * string; NULL when there is none. */
static const json_t *
named_value(const json_t *row, const char *key)
{
    char name[96];
    if ((size_t)snprintf(name, sizeof name, "%s_name", key) >= sizeof name)
        return NULL;
    const json_t *v = json_object_get(row, name);
    return json_is_string(v) ? v : NULL;
}

/* Whether column key is the "_name" of another column of the rows: shown
 * in that column's place when values are labelled, so not on its own. */
static bool
is_name_of_column(const json_t *rows, const char *key)
{
    size_t n = strlen(key), i;
    const json_t *row;
    if (n <= 5 || strcmp(key + n - 5, "_name") != 0)
        return false;
    char base[96];
    if (n - 5 >= sizeof base)
        return false;
    memcpy(base, key, n - 5);
    base[n - 5] = '\0';
    json_array_foreach(rows, i, row) {
        if (json_object_get(row, base) != NULL)
            return true;
    }
    return false;
}

static const char **
row_columns(const json_t *rows, const struct ctl_lang *lang, size_t *ncols)
{
    json_t *seen = json_object();
    const char **cols = NULL;
    size_t n = 0, i;
    const json_t *row;
    const char *key;
    json_t *v;

    json_array_foreach(rows, i, row) {
        json_object_foreach(unconst(row), key, v) {
            if (json_object_get(seen, key) != NULL)
                continue;
            if (lang != NULL && lang->labels && is_name_of_column(rows, key))
                continue;
            json_object_set_new(seen, key, json_true());
            cols = xreallocarray(cols, n + 1, sizeof *cols);
            cols[n++] = key;
        }
    }
    json_decref(seen);
    *ncols = n;
    return cols;
}

/* Stores one cell's text, made visible and cut to CTL_CELL_MAX_COLS. */
static void
table_set(struct table *t, size_t row, size_t col, const char *s, size_t len,
          enum cell_kind kind)
{
    struct cell *c = &t->cells[row * t->ncols + col];
    size_t start = t->text.len;

    ctl_put_visible(&t->text, s, len, false);
    buf_putc(&t->text, '\0');
    c->width = text_width(t->text.data + start);
    if (c->width > CTL_CELL_MAX_COLS) {
        t->text.len = start + text_prefix_for_width(t->text.data + start,
                                                    CTL_CELL_MAX_COLS - 1);
        buf_puts(&t->text, ELLIPSIS);
        buf_putc(&t->text, '\0');
        c->width = text_width(t->text.data + start);
    }
    c->off = start;
    c->kind = kind;
    if (c->width > t->colw[col])
        t->colw[col] = c->width;
}

static void
table_fill_row(struct table *t, size_t r, const json_t *row, const char *const *cols,
               const struct ctl_lang *lang, const char *ctx, struct buf *scratch,
               bool *has_text)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const json_t *v = json_object_get(row, cols[c]);
        const json_t *named = lang != NULL && lang->labels && json_is_string(v) ? named_value(row, cols[c]) : NULL;
        if (named != NULL)
            v = named;      /* the ledger's own word for it, in its place */
        enum cell_kind kind = CELL_TEXT;
        buf_reset(scratch);
        if (v == NULL || json_is_null(v))
            kind = CELL_FOLLOW;
        else if (json_is_number(v))
            kind = CELL_NUMBER;
        else
            has_text[c] = true;
        if (v != NULL)
            human_text(scratch, v, lang, ctx, cols[c]);
        table_set(t, r, c, buf_str(scratch), scratch->len, kind);
        if (kind == CELL_NUMBER)
            t->numeric[c] = true;
    }
}

/* Builds the table of an array of objects (is_rows() holds), answered to
 * ctx (the command, or the key of a nested table). */
static void
table_build(struct table *t, const json_t *rows, const struct ctl_lang *lang, const char *ctx)
{
    const char **cols = row_columns(rows, lang, &t->ncols);
    struct buf scratch;
    size_t i;
    const json_t *row;

    t->nrows = json_array_size(rows);
    buf_init(&t->text);
    buf_init(&scratch);
    t->cells = xcalloc(t->nrows + 1, (t->ncols ? t->ncols : 1) * sizeof *t->cells);
    t->colw = xcalloc(t->ncols ? t->ncols : 1, sizeof *t->colw);
    t->numeric = xcalloc(t->ncols ? t->ncols : 1, sizeof *t->numeric);
    bool *has_text = xcalloc(t->ncols ? t->ncols : 1, sizeof *has_text);

    for (size_t c = 0; c < t->ncols; c++) {
        const char *h = header_of(lang, cols[c]);
        table_set(t, 0, c, h, strlen(h), CELL_FOLLOW);
    }
    json_array_foreach(rows, i, row)
        table_fill_row(t, i + 1, row, cols, lang, ctx, &scratch, has_text);
    /* A column is numeric when its values are all numbers (or null). */
    for (size_t c = 0; c < t->ncols; c++)
        t->numeric[c] = t->numeric[c] && !has_text[c];
    free(has_text);
    buf_free(&scratch);
    free(cols);
}

static void
table_free(struct table *t)
{
    buf_free(&t->text);
    free(t->cells);
    free(t->colw);
    free(t->numeric);
}

static void
put_spaces(struct buf *out, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        buf_append(out, spaces, k);
        n -= k;
    }
}

/* One line of the table, without trailing blanks (a last column that is
 * left-aligned or empty would otherwise leave them). */
static void
table_put_row(struct buf *out, const struct table *t, size_t r)
{
    size_t start = out->len;
    for (size_t c = 0; c < t->ncols; c++) {
        const struct cell *cell = &t->cells[r * t->ncols + c];
        size_t pad = t->colw[c] - cell->width;
        bool right = cell->kind == CELL_NUMBER
                     || (cell->kind == CELL_FOLLOW && t->numeric[c]);
        if (c > 0)
            buf_puts(out, "  ");
        if (right)
            put_spaces(out, pad);
        buf_puts(out, t->text.data + cell->off);
        if (!right)
            put_spaces(out, pad);
    }
    while (out->len > start && out->data[out->len - 1] == ' ')
        out->len--;
    buf_putc(out, '\n');
}

static void
table_put_rule(struct buf *out, const struct table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            buf_puts(out, "  ");
        for (size_t k = 0; k < t->colw[c]; k++)
            buf_putc(out, '-');
    }
    buf_putc(out, '\n');
}

/* Header, rule, rows and a row count. Rows of empty objects have no
 * columns to show, only the count. */
static void
render_rows(struct buf *out, const json_t *rows, const struct ctl_lang *lang, const char *ctx)
{
    struct table t;
    size_t n = json_array_size(rows);

    if (n == 0) {
        buf_puts(out, tr(lang, "(no rows)"));
        buf_putc(out, '\n');
        return;
    }
    table_build(&t, rows, lang, ctx);
    if (t.ncols > 0) {
        table_put_row(out, &t, 0);
        table_put_rule(out, &t);
        for (size_t r = 1; r <= t.nrows; r++)
            table_put_row(out, &t, r);
    }
    buf_printf(out, trn(lang, "(%lu row)", "(%lu rows)", n), (unsigned long)n);
    buf_putc(out, '\n');
    table_free(&t);
}

/* ---- objects ---------------------------------------------------------- */

static void
entries_push(struct entries *e, char *name, const char *key, const json_t *value)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 16;
        e->v = xreallocarray(e->v, e->cap, sizeof *e->v);
    }
    e->v[e->n].name = name;
    e->v[e->n].key = key;
    e->v[e->n].value = value;
    e->n++;
}

static void
entries_free(struct entries *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].name);
    free(e->v);
}

/* Flattens obj into "parent.child" entries, each part named as lang shows
 * it. Arrays of objects go to tables when it is given (tables), else they
 * stay values (CSV). */
static void
flatten(const json_t *obj, const char *prefix, const struct ctl_lang *lang,
        struct entries *lines, struct entries *tables)
{
    const char *key;
    json_t *v;

    json_object_foreach(unconst(obj), key, v) {
        struct buf name;
        buf_init(&name);
        if (prefix != NULL)
            buf_printf(&name, "%s.", prefix);
        const char *shown = header_of(lang, key);
        ctl_put_visible(&name, shown, strlen(shown), false);
        if (json_is_object(v) && json_object_size(v) > 0) {
            flatten(v, buf_str(&name), lang, lines, tables);
            buf_free(&name);
        } else if (tables != NULL && is_rows(v)) {
            entries_push(tables, buf_steal(&name), key, v);
        } else {
            entries_push(lines, buf_steal(&name), key, v);
        }
    }
}

static void
put_key_values(struct buf *out, const struct entries *lines, const struct ctl_lang *lang,
               const char *ctx)
{
    size_t maxw = 0;
    struct buf val;

    for (size_t i = 0; i < lines->n; i++) {
        size_t w = text_width(lines->v[i].name);
        maxw = w > maxw ? w : maxw;
    }
    buf_init(&val);
    for (size_t i = 0; i < lines->n; i++) {
        buf_reset(&val);
        human_text(&val, lines->v[i].value, lang, ctx, lines->v[i].key);
        buf_printf(out, "%s:", lines->v[i].name);
        if (val.len > 0) {
            put_spaces(out, maxw - text_width(lines->v[i].name) + 1);
            ctl_put_visible(out, val.data, val.len, false);
        }
        buf_putc(out, '\n');
    }
    buf_free(&val);
}

/* A record answered to the command lang names; its tables' values are
 * read in the context of their own key ("milestones" of a project). */
static void
render_object(struct buf *out, const json_t *obj, const struct ctl_lang *lang)
{
    struct entries lines = { 0 }, tables = { 0 };
    const char *ctx = lang != NULL ? lang->command : NULL;

    flatten(obj, NULL, lang, &lines, &tables);
    put_key_values(out, &lines, lang, ctx);
    for (size_t i = 0; i < tables.n; i++) {
        if (lines.n > 0 || i > 0)
            buf_putc(out, '\n');
        buf_printf(out, "%s:\n", tables.v[i].name);
        render_rows(out, tables.v[i].value, lang, tables.v[i].key);
    }
    entries_free(&lines);
    entries_free(&tables);
}

/* ---- formats ------------------------------------------------------------ */

/* A message from the daemon: as is, one final newline. */
static void
put_text_block(struct buf *out, const json_t *s, bool raw)
{
    size_t len = json_string_length(s);
    const char *p = json_string_value(s);
    if (len == 0)
        return;
    if (raw)
        buf_append(out, p, len);
    else
        ctl_put_visible(out, p, len, true);
    if (p[len - 1] != '\n')
        buf_putc(out, '\n');
}

/* A printable document ({…, "document": "text"}, as `order show`
 * answers): the other members as key: value lines, a blank line, then the
 * text as it is written, line by line. */
static void
render_document(struct buf *out, const json_t *data, const json_t *doc, const struct ctl_lang *lang)
{
    json_t *head = json_deep_copy(data);
    json_object_del(head, "document");
    render_object(out, head, lang);
    json_decref(head);
    buf_putc(out, '\n');
    put_text_block(out, doc, false);
}

static void
render_human(struct buf *out, const json_t *data, const struct ctl_lang *lang)
{
    struct buf line;
    size_t i;
    const json_t *v;

    if (data == NULL || json_is_null(data))
        return;
    if (json_is_string(data)) {
        put_text_block(out, data, false);
    } else if (is_rows(data)) {
        render_rows(out, data, lang, lang != NULL ? lang->command : NULL);
    } else if (json_is_string(json_object_get(data, "document"))) {
        render_document(out, data, json_object_get(data, "document"), lang);
    } else if (json_is_object(data)) {
        render_object(out, data, lang);
    } else if (json_is_array(data)) {
        buf_init(&line);
        json_array_foreach(data, i, v) {
            buf_reset(&line);
            human_text(&line, v, lang, NULL, NULL);
            ctl_put_visible(out, buf_str(&line), line.len, false);
            buf_putc(out, '\n');
        }
        buf_free(&line);
    } else {
        buf_init(&line);
        human_text(&line, data, lang, NULL, NULL);
        ctl_put_visible(out, buf_str(&line), line.len, false);
        buf_putc(out, '\n');
        buf_free(&line);
    }
}

/* How a CSV is written: plain for programs, or for Excel (BOM, formulas
 * guarded, headers and enum values in lang's language). */
struct csv_style {
    bool excel;
    const struct ctl_lang *lang;    /* NULL for plain CSV: canonical */
    const char *ctx;                /* the command answered */
};

/* One CSV field from the value of key; scratch is reused between calls.
 * For Excel, text that a spreadsheet would run as a formula gets the
 * leading ' of csv_put_guarded; a JSON number is a number, even a negative
 * one. */
static void
csv_value(struct buf *out, const json_t *v, const char *key, const struct csv_style *st,
          struct buf *scratch)
{
    const char *label = label_of(st->lang, st->ctx, key, v);
    buf_reset(scratch);
    if (label != NULL)
        buf_puts(scratch, label);
    else if (v != NULL)
        value_text(scratch, v, false);
    if (st->excel && !json_is_number(v))
        csv_put_guarded(out, buf_str(scratch));
    else
        csv_put_field(out, buf_str(scratch));
}

/* A header or a key: our own words, guarded all the same for Excel. */
static void
csv_name(struct buf *out, const char *name, const struct csv_style *st)
{
    if (st->excel)
        csv_put_guarded(out, name);
    else
        csv_put_field(out, name);
}

static void
csv_rows(struct buf *out, const json_t *rows, const struct csv_style *st, struct buf *scratch)
{
    size_t ncols, i;
    const char **cols = row_columns(rows, st->lang, &ncols);
    const json_t *row;

    for (size_t c = 0; c < ncols; c++) {
        if (c > 0)
            buf_putc(out, ',');
        csv_name(out, header_of(st->lang, cols[c]), st);
    }
    if (ncols > 0)
        buf_puts(out, "\r\n");
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < ncols; c++) {
            if (c > 0)
                buf_putc(out, ',');
            const json_t *v = json_object_get(row, cols[c]);
            const json_t *named = st->lang != NULL && st->lang->labels && json_is_string(v)
                                      ? named_value(row, cols[c]) : NULL;
            csv_value(out, named != NULL ? named : v, cols[c], st, scratch);
        }
        buf_puts(out, "\r\n");
    }
    free(cols);
}

/* CSV (RFC 4180, CRLF) for programs; for Excel and WPS the same with a
 * UTF-8 byte order mark first, without which they read the bytes as the
 * system's code page (GBK in China), and formulas guarded. */
static void
render_csv(struct buf *out, const json_t *data, const struct csv_style *st)
{
    struct buf scratch;
    struct entries lines = { 0 };
    size_t i;
    const json_t *v;

    if (data == NULL || json_is_null(data))
        return;
    if (st->excel)
        buf_puts(out, UTF8_BOM);
    if (json_is_string(data) && !st->excel) {
        put_text_block(out, data, true);
        return;
    }
    buf_init(&scratch);
    if (is_rows(data)) {
        csv_rows(out, data, st, &scratch);
    } else if (json_is_object(data)) {
        flatten(data, NULL, st->lang, &lines, NULL);
        for (i = 0; i < lines.n; i++) {
            csv_name(out, lines.v[i].name, st);
            buf_putc(out, ',');
            csv_value(out, lines.v[i].value, lines.v[i].key, st, &scratch);
            buf_puts(out, "\r\n");
        }
        entries_free(&lines);
    } else if (json_is_array(data)) {
        json_array_foreach(data, i, v) {
            csv_value(out, v, NULL, st, &scratch);
            buf_puts(out, "\r\n");
        }
    } else {
        csv_value(out, data, NULL, st, &scratch);
        buf_puts(out, "\r\n");
    }
    buf_free(&scratch);
}

/* A file (export): {"file": "..."} and nothing else. */
static const json_t *
file_of(const json_t *data)
{
    const json_t *file = json_object_get(data, "file");
    return json_object_size(data) == 1 && json_is_string(file) ? file : NULL;
}

bool
ctl_render_is_file(const json_t *data)
{
    return file_of(data) != NULL;
}

void
ctl_render_file_visible(struct buf *out, const json_t *data)
{
    const json_t *file = file_of(data);
    const char *s = json_string_value(file);
    size_t len = json_string_length(file), run = 0;
    if (s == NULL)
        return;
    if (len >= 3 && memcmp(s, UTF8_BOM, 3) == 0)
        s += 3, len -= 3;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            ctl_put_visible(out, s + run, i - run, true);
            run = i + 1;
        }
    ctl_put_visible(out, s + run, len - run, true);
    if (len > 0 && s[len - 1] != '\n')
        buf_putc(out, '\n');
}

/* JSON for a terminal: jansson escapes C0 controls but writes DEL and the
 * C1 controls (U+0080–U+009F, which some terminals obey) as they are. */
static void
json_for_terminal(struct buf *out, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool c1 = c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80
                  && (unsigned char)s[i + 1] <= 0x9f;
        if (c != 0x7f && !c1)
            continue;
        buf_append(out, s + run, i - run);
        buf_printf(out, "\\u%04X", c1 ? (unsigned char)s[i + 1] : c);
        i += c1;
        run = i + 1;
    }
    buf_append(out, s + run, len - run);
}

void
ctl_render_for_terminal(struct buf *out, const char *s, size_t len,
                        enum ctl_format f)
{
    size_t run = 0;
    if (f == CTL_JSON) {
        json_for_terminal(out, s, len);
        return;
    }
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            ctl_put_visible(out, s + run, i - run, true);
            run = i + 1;
        }
    ctl_put_visible(out, s + run, len - run, true);
}

void
ctl_render_data(struct buf *out, const json_t *data, enum ctl_format f,
                const struct ctl_lang *lang)
{
    const json_t *file = f != CTL_JSON ? file_of(data) : NULL;
    struct csv_style st = {
        .excel = f == CTL_EXCEL,
        .lang = f == CTL_EXCEL ? lang : NULL,     /* --csv is for programs */
        .ctx = lang != NULL ? lang->command : NULL,
    };
    if (file) {     /* the bytes as they are: it goes to a file */
        buf_append(out, json_string_value(file), json_string_length(file));
        return;
    }
    switch (f) {
    case CTL_JSON:
        put_json(out, data, JSON_INDENT(2));
        buf_putc(out, '\n');
        break;
    case CTL_CSV:
    case CTL_EXCEL:
        render_csv(out, data, &st);
        break;
    case CTL_TABLE:
    default:
        render_human(out, data, lang);
        break;
    }
}

/* ---- errors -------------------------------------------------------------- */

/* "  line 7, column 领域: unknown sector …"; parts that are absent are left
 * out, and a detail of another shape is shown as it came. */
static void
put_detail(struct buf *err, const json_t *d, const struct ctl_lang *lang, struct buf *scratch)
{
    const json_t *line = json_object_get(d, "line");
    const json_t *col = json_object_get(d, "column");
    const json_t *cell = json_object_get(d, "cell");     /* a workbook's: "sheet 台账, cell C17" */
    const json_t *msg = json_object_get(d, "message");
    bool located = false;

    buf_reset(scratch);
    if (!json_is_object(d)) {
        value_text(scratch, d, true);
    } else {
        if (json_is_string(cell)) {
            buf_puts(scratch, tr(lang, "sheet "));
            value_text(scratch, json_object_get(d, "sheet"), false);
            buf_puts(scratch, tr(lang, ", cell "));
            value_text(scratch, cell, false);
            located = true;
        } else if (line != NULL && !json_is_null(line)) {
            buf_puts(scratch, tr(lang, "line "));
            value_text(scratch, line, false);
            located = true;
        }
        if (col != NULL && !json_is_null(col)) {
            buf_puts(scratch, located ? tr(lang, ", column ") : tr(lang, "column "));
            value_text(scratch, col, false);
            located = true;
        }
        if (located && msg != NULL)
            buf_puts(scratch, ": ");
        char *said = json_is_string(msg) && lang != NULL && lang->error != NULL
                         ? lang->error(json_string_value(msg)) : NULL;
        if (said != NULL)
            buf_puts(scratch, said);
        else
            value_text(scratch, msg != NULL || located ? msg : d, false);
        free(said);
    }
    buf_puts(err, "  ");
    ctl_put_visible(err, buf_str(scratch), scratch->len, false);
    buf_putc(err, '\n');
}

void
ctl_render_error(struct buf *out, struct buf *err, const json_t *error,
                 enum ctl_format f, const struct ctl_lang *lang)
{
    const json_t *msg = json_object_get(error, "message");
    const char *code = json_string_value(json_object_get(error, "code"));
    const json_t *details = json_object_get(error, "details");
    struct buf scratch;
    size_t i;
    const json_t *d;

    buf_puts(err, "keyprojctl: ");
    char *said = json_string_length(msg) > 0 && lang != NULL && lang->error != NULL
                     ? lang->error(json_string_value(msg)) : NULL;
    if (said != NULL) {
        ctl_put_visible(err, said, strlen(said), true);
        free(said);
    } else if (json_string_length(msg) > 0) {
        ctl_put_visible(err, json_string_value(msg), json_string_length(msg),
                        true);
    } else if (code != NULL) {
        struct buf shown;
        buf_init(&shown);
        ctl_put_visible(&shown, code, strlen(code), false);
        buf_printf(err, tr(lang, "request failed (%s)"), buf_str(&shown));
        buf_free(&shown);
    } else {
        buf_puts(err, tr(lang, "the daemon refused the request without saying why"));
    }
    buf_putc(err, '\n');
    if (f == CTL_JSON) {
        put_json(out, error, JSON_INDENT(2));
        buf_putc(out, '\n');
        return;
    }
    buf_init(&scratch);
    json_array_foreach(details, i, d)
        put_detail(err, d, lang, &scratch);
    buf_free(&scratch);
}
