/* ctl_errors: keyprojd's English errors in the reader's language, by the
 * templates they were made from (ctl_errors.c). */
#ifndef KEYPROJ_CTL_ERRORS_H
#define KEYPROJ_CTL_ERRORS_H

#include <stddef.h>

/* The translation of a template (gettext in context "error"), or the
 * template itself when there is none. */
typedef const char *(*ctl_errors_lookup_fn)(const char *msgid);

/* message in the language lookup gives, newly allocated; NULL when no
 * template matches it or its template is not translated (show it as it
 * is). */
char *ctl_errors_translate(const char *message, ctl_errors_lookup_fn lookup);

/* The templates, for tests: their number, *out the array. */
size_t ctl_errors_templates(const char *const **out);

#endif
