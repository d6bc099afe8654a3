/* db_rows: see db_rows.h. */
#include "ac_config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db_rows.h"
#include "json_buf.h"
#include "util.h"

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_JSONB 3802

/* One value, or NULL where jansson refuses it (a number that is not
 * finite, text that is not UTF-8): the object then has no such member. */
static json_t *
value_json(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    const char *v = PQgetvalue(res, row, col);
    switch (PQftype(res, col)) {
    case OID_BOOL:
        return json_boolean(v[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return json_real(strtod(v, NULL));
    case OID_JSON:
    case OID_JSONB: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(v);
    }
    default:
        return json_string(v);
    }
}

json_t *
db_rows_json(const PGresult *res)
{
    json_t *rows = json_array();
    int nr = PQntuples(res), nf = PQnfields(res);
    for (int r = 0; r < nr; r++) {
        json_t *o = json_object();
        for (int c = 0; c < nf; c++)
            json_object_set_new(o, PQfname(res, c), value_json(res, r, c));
        json_array_append_new(rows, o);
    }
    return rows;
}

static char *
tree_text(const PGresult *res, size_t flags)
{
    json_t *rows = db_rows_json(res);
    char *s = json_dumps(rows, flags);
    json_decref(rows);
    return s;
}

/* Each column's key as the dump writes it, "\"name\":"; false when the
 * text cannot be written one value at a time the way jansson would write
 * the tree: a name twice (the object keeps the first's place with the
 * last's value), a name jansson refuses, or flags other than compact
 * ones (indented, sorted or embedded). */
static bool
member_keys(const PGresult *res, size_t flags, struct buf *keys, size_t *at)
{
    if ((flags & (JSON_INDENT(31) | JSON_SORT_KEYS | JSON_EMBED)) != 0 || (flags & JSON_COMPACT) == 0)
        return false;
    int nf = PQnfields(res);
    for (int c = 0; c < nf; c++) {
        for (int k = 0; k < c; k++)
            if (strcmp(PQfname(res, c), PQfname(res, k)) == 0)
                return false;
        json_t *name = json_string(PQfname(res, c));
        at[c] = keys->len;
        bool ok = name != NULL && buf_put_json(keys, name, flags);
        json_decref(name);
        if (!ok)
            return false;
        buf_putc(keys, ':');
    }
    return true;
}

char *
db_rows_text(const PGresult *res, size_t flags)
{
    int nr = PQntuples(res), nf = PQnfields(res);
    struct buf keys, out;
    buf_init(&keys);
    buf_init(&out);
    size_t *at = xreallocarray(NULL, (size_t)nf + 1, sizeof *at);
    bool ok = member_keys(res, flags, &keys, at);
    if (ok)
        at[nf] = keys.len;
    buf_putc(&out, '[');
    for (int r = 0; ok && r < nr; r++) {
        buf_puts(&out, r > 0 ? ",{" : "{");
        bool first = true;
        for (int c = 0; ok && c < nf; c++) {
            json_t *v = value_json(res, r, c);
            if (v == NULL)
                continue;       /* json_object_set_new refuses it: no member */
            if (!first)
                buf_putc(&out, ',');
            first = false;
            buf_append(&out, keys.data + at[c], at[c + 1] - at[c]);
            ok = buf_put_json(&out, v, flags);
            json_decref(v);
        }
        buf_putc(&out, '}');
    }
    buf_putc(&out, ']');
    free(at);
    buf_free(&keys);
    if (!ok) {
        buf_free(&out);
        return tree_text(res, flags);
    }
    return buf_steal(&out);
}
