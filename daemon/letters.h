/* letters: the office's letters (提醒函, 督办函, 交办函) as text — the
 * number (文号) patterns and the letter templates of keyprojd.conf, checked
 * when the file is loaded, and a letter's text rendered from its fields.
 * Pure: no database, no socket; the number itself is taken in SQL
 * (sql/functions/letters.sql), in the transaction that issues the letter. */
#ifndef KEYPROJ_LETTERS_H
#define KEYPROJ_LETTERS_H

#include <stdbool.h>
#include <stddef.h>

/* In the order of words_order_kind (values.c). */
enum letter_kind { LETTER_REMINDER, LETTER_SUPERVISION, LETTER_ASSIGNMENT, LETTER_KINDS };

/* What a template may name, as {doc_no}, {to_unit} … */
enum letter_field {
    LETTER_DOC_NO, LETTER_KIND, LETTER_TO_UNIT, LETTER_PROJECT, LETTER_CODE, LETTER_COUNTY, LETTER_REASON,
    LETTER_ISSUED_ON, LETTER_REPLY_DUE, LETTER_LEADER, LETTER_FIELDS
};

/* "reminder", "supervision", "assignment" (the canonical kind). */
const char *letter_kind_name(enum letter_kind k);
/* "提醒函", "督办函", "交办函". */
const char *letter_kind_title(enum letter_kind k);
/* The kind named name (canonical); false when none is. */
bool letter_kind_parse(const char *name, enum letter_kind *out);
/* "doc_no", "to_unit" … as a template writes it between braces. */
const char *letter_field_name(enum letter_field f);

/* The built-in number pattern of a kind ("重点督〔{year}〕{n}号"). */
const char *letter_default_number(enum letter_kind k);
/* The built-in template of a kind. */
const char *letter_default_template(enum letter_kind k);

/* A number pattern: {year} and {n} once each, no other brace, no control
 * character, valid UTF-8, at most LETTER_NUMBER_MAX bytes. false with
 * what is wrong in err. */
#define LETTER_NUMBER_MAX 120
bool letter_number_check(const char *pattern, char *err, size_t errlen);

/* A template: valid UTF-8, at most LETTER_TEMPLATE_MAX bytes, every {name}
 * one of the fields, {{ and }} for a literal brace. false with "line N:
 * what is wrong" in err. */
#define LETTER_TEMPLATE_MAX 65536
bool letter_template_check(const char *tpl, char *err, size_t errlen);

/* The text of a letter: tpl (checked) with each {field} replaced by
 * values[field] as it is (NULL: empty), never read again for braces.
 * Newly allocated; the caller frees it. */
char *letter_render_new(const char *tpl, const char *const values[LETTER_FIELDS]);

#endif
