/* db_rows: a query's rows as JSON, an array of objects: column names as
 * keys, numbers as numbers, booleans, json and jsonb as json, NULL as
 * null, the rest as strings. */
#ifndef KEYPROJ_DB_ROWS_H
#define KEYPROJ_DB_ROWS_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

/* The rows as a jansson array. Returns a new reference. */
json_t *db_rows_json(const PGresult *res);

/* The same rows as the text json_dumps(db_rows_json(res), flags) gives,
 * byte for byte, written one value at a time: no tree of the whole result
 * is ever built (a whole country's overdue list made one ~140 MB larger
 * than its text). The caller frees it. */
char *db_rows_text(const PGresult *res, size_t flags);

#endif
