/* ctl_lang: the language keyprojctl speaks to a person. GNU gettext
 * (po/zh_CN.po) for its own messages and the column headers, the word
 * lists of values.c for enum values. What programs read (--json, --csv)
 * never goes through it, and the daemon always answers canonically. */
#ifndef KEYPROJ_CTL_LANG_H
#define KEYPROJ_CTL_LANG_H

#include <stdbool.h>

/* How one answer is shown to a person. ctl_render reads only this, so it
 * stays pure; a NULL lang, or a NULL member, means the answer's own
 * canonical English. */
struct ctl_lang {
    const char *command;    /* the command answered: picks a column's word list */
    bool labels;            /* enum values by their Chinese labels (values.c) */
    /* The header of a column or the name of a key in an answer to command
     * ("code" → 项目代码). */
    const char *(*header)(const char *command, const char *key);
    /* The client's own words: "(no rows)", "yes" … */
    const char *(*text)(const char *msgid);
    const char *(*ntext)(const char *one, const char *many, unsigned long n);
    /* keyprojd's error message in the reader's language, newly allocated,
     * or NULL: show it as keyprojd wrote it (ctl_errors.c). */
    char *(*error)(const char *message);
};

/* Sets the process locale from the environment (LC_ALL, LC_MESSAGES, LANG;
 * LANGUAGE as gettext reads it), numbers kept in the C locale, and binds
 * the "keyproj" catalog from $KEYPROJ_LOCALEDIR when set (tests, a
 * relocated install), else from LOCALEDIR. Messages come out in UTF-8,
 * whatever the locale's own code set. Call once, first thing. */
void ctl_lang_setup(void);

/* The language of the catalog gettext chose, for an answer to command. */
void ctl_lang_for(struct ctl_lang *lang, const char *command);

/* gettext's translation of a key in an answer to command: in context
 * "column:COMMAND" where a command gives a key its own sense (campaign's
 * "due" counts what is not yet due), else in context "column"; or key. */
const char *ctl_lang_header(const char *command, const char *key);

/* Pure: the Chinese label of value in column key of a table answered to
 * ctx (the command, or a nested table's key such as "milestones"), or
 * NULL when the column holds no enum or value is none of its words. */
const char *ctl_lang_label(const char *ctx, const char *key, const char *value);

#endif
