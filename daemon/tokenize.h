/* tokenize: splits one control-socket request line into arguments with
 * shell-like quoting: blanks (space, tab) separate, 'single quotes' are
 * literal, "double quotes" allow \" \\ \n \t \r escapes (any other
 * backslash stays as typed), a backslash outside quotes escapes the next
 * byte; adjacent pieces join ("a"'b'c is abc). Nothing is expanded. Pure;
 * bounded by the caller's limits. */
#ifndef KEYPROJ_TOKENIZE_H
#define KEYPROJ_TOKENIZE_H

#include <stddef.h>

struct tokens {
    int argc;
    char **argv;   /* argv[argc] == NULL; owned by the tokens */
};

/* Returns 0 and fills *out (free with tokens_free), or -1 with a specific
 * message in err and nothing in *out to free: "unbalanced quote",
 * "backslash at end of line", "invalid UTF-8 at byte N", "NUL byte at
 * byte N" (N a 0-based offset), "too many arguments (max M)". One trailing
 * LF and then one trailing CR are dropped first. An empty or blank line
 * gives argc == 0. */
int tokenize(const char *line, size_t len, int max_args, struct tokens *out,
             char *err, size_t errlen);
void tokens_free(struct tokens *t);

/* Appends s to out quoted so that tokenize() gives s back (used by
 * keyprojctl to send its argv). */
struct buf;
void token_quote(struct buf *out, const char *s);

#endif
