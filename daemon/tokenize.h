/* tokenize: splits one control-socket request line into arguments with
 * shell-like quoting: blanks separate, 'single quotes' are literal,
 * "double quotes" allow \" \\ \n \t escapes, a backslash outside quotes
 * escapes the next byte. Pure; bounded by the caller's limits. */
#ifndef KEYPROJ_TOKENIZE_H
#define KEYPROJ_TOKENIZE_H

#include <stddef.h>

struct tokens {
    int argc;
    char **argv;   /* argv[argc] == NULL; owned by the tokens */
};

/* Returns 0 and fills *out (free with tokens_free), or -1 with a specific
 * message in err: "unbalanced quote", "invalid UTF-8 at byte N",
 * "NUL byte at byte N", "too many arguments (max M)". An empty or blank line
 * gives argc == 0. */
int tokenize(const char *line, size_t len, int max_args, struct tokens *out,
             char *err, size_t errlen);
void tokens_free(struct tokens *t);

/* Appends s to out quoted so that tokenize() gives s back (used by
 * keyprojctl to send its argv). */
struct buf;
void token_quote(struct buf *out, const char *s);

#endif
