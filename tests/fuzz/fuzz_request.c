/* Fuzz target: one control-socket request line through the tokenizer, and
 * each argument back through token_quote → tokenize (the round trip
 * keyprojctl relies on). Built with libFuzzer by --enable-fuzzing, and as a
 * plain program that replays tests/fuzz/corpus/ in `make check`. */
#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tokens t;
    char err[160];
    if (tokenize((const char *)data, size, 64, &t, err, sizeof err) != 0)
        return 0;
    struct buf line;
    buf_init(&line);
    for (int i = 0; i < t.argc; i++) {
        if (i)
            buf_putc(&line, ' ');
        token_quote(&line, t.argv[i]);
    }
    struct tokens back;
    if (tokenize(line.data ? line.data : "", line.len, 64, &back, err, sizeof err) != 0)
        abort();    /* what we quoted must read back */
    if (back.argc != t.argc)
        abort();
    for (int i = 0; i < t.argc; i++)
        if (strcmp(back.argv[i], t.argv[i]) != 0)
            abort();
    tokens_free(&back);
    tokens_free(&t);
    buf_free(&line);
    return 0;
}
