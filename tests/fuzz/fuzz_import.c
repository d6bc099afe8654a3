/* Fuzz target: arbitrary bytes as each kind of spreadsheet through the
 * importer (encoding detection, CSV, headers, every cell conversion). It
 * must answer with rows or errors, never crash or leak. */
#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* The first byte picks the kind and the encoding, the rest is the file. */
    enum import_kind kind = (enum import_kind)(data[0] % 4);
    enum text_encoding enc = (enum text_encoding)((data[0] >> 2) % 3);
    struct import_result r;
    import_parse(kind, (const char *)data + 1, size - 1, enc, NULL, &r);
    if (r.fatal == NULL && r.nerrors == 0 && json_array_size(r.rows) == 0)
        abort();    /* "nothing and no reason" must never happen */
    /* What the daemon sends (COPY text) agrees with the rows: one line
     * each, when there is no error at all. */
    char *copy = malloc(size);
    if (copy == NULL)
        abort();
    memcpy(copy, data + 1, size - 1);
    struct import_result c;
    import_parse_copy(kind, copy, size - 1, enc, NULL, &c);
    if (c.nrows != json_array_size(r.rows) || c.nerrors != r.nerrors || (c.fatal == NULL) != (r.fatal == NULL))
        abort();
    size_t lines = 0;
    for (size_t i = 0; i < c.copy_len; i++)
        lines += c.copy[i] == '\n';
    if ((c.copy != NULL) != (c.fatal == NULL && c.nerrors == 0) || (c.copy != NULL && lines != c.nrows))
        abort();
    import_result_free(&c);
    import_result_free(&r);
    return 0;
}
