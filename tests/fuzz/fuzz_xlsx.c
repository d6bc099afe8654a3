/* Fuzz target: arbitrary bytes as a workbook through the .xlsx reader (the
 * container, the XML, cells, merges, the table) and then the importer. It
 * must answer with a table or a message, never crash, leak or grow past its
 * limits. The corpus holds small real workbooks for the fuzzer to mutate. */
#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "xlsx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xlsx_sheet s;
    char err[512];
    err[0] = '\0';
    if (xlsx_read((const char *)data, size, NULL, &s, err, sizeof err)) {
        const struct csv *t = s.table;
        for (size_t i = 0; i < t->nrows; i++) {
            if (t->rows[i].nfields != t->rows[0].nfields || (i > 0 && t->rows[i].line <= t->rows[i - 1].line))
                abort(); /* every row as wide, in sheet order */
            for (size_t c = 0; c < t->rows[i].nfields; c++)
                if (t->rows[i].fields[c] == NULL)
                    abort();
        }
        xlsx_sheet_free(&s);
    } else if (err[0] == '\0') {
        abort(); /* refused without a reason */
    }
    char *copy = malloc(size + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    struct import_result r;
    import_parse_copy_sheet(IMPORT_PROJECTS, copy, size, ENC_AUTO, NULL, NULL, &r);
    if (r.fatal == NULL && r.nerrors == 0 && r.nrows == 0)
        abort();
    import_result_free(&r);
    return 0;
}
