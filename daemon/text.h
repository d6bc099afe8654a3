/* text: UTF-8 validation, conversion of spreadsheet bytes (UTF-8 with or
 * without BOM, GB18030) to UTF-8, and display width of UTF-8 text for
 * tables (CJK ideographs and fullwidth forms are two columns). Pure. */
#ifndef KEYPROJ_TEXT_H
#define KEYPROJ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
 * NUL bytes count as invalid. On failure *bad_offset (if not NULL) gets the
 * offset of the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad_offset);

enum text_encoding { ENC_AUTO = 0, ENC_UTF8, ENC_GB18030 };

/* Parses "auto", "utf-8"/"utf8", "gb18030"/"gbk"/"gb2312" (case-insensitive). */
bool text_encoding_parse(const char *s, enum text_encoding *out);
const char *text_encoding_name(enum text_encoding enc);

/* Converts raw file bytes to a newly allocated NUL-terminated UTF-8 string
 * (caller frees), dropping a BOM. ENC_AUTO: a UTF-8 BOM or valid UTF-8 means
 * UTF-8, anything else is tried as GB18030. *used (if not NULL) tells which
 * encoding was used. On failure returns NULL and writes a specific message
 * to err ("byte 1234 (line 7) is not valid UTF-8 or GB18030"; the byte is a
 * 0-based offset as xxd shows it). NUL bytes and UTF-16 files are refused
 * with their own messages. */
char *text_to_utf8(const char *in, size_t len, enum text_encoding enc,
                   size_t *out_len, enum text_encoding *used,
                   char *err, size_t errlen);

/* A character that must not hide in a cell of an imported file: a C0
 * control other than tab, CR and LF, DEL, a C1 control (U+0080–U+009F), a
 * byte order mark (U+FEFF) anywhere but before the file, zero-width
 * characters (U+200B–U+200D, U+2060) and bidirectional controls
 * (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). They either drive a
 * terminal or make two different texts look the same in a table. */
struct text_hidden {
    size_t offset;      /* byte offset in the text */
    size_t nth;         /* 1-based character position */
    unsigned cp;        /* the code point */
    const char *what;   /* "控制字符 (control character)" … */
};
/* True (and *out filled) when s[0..len), valid UTF-8, holds such a
 * character; the first one is reported. */
bool text_find_hidden(const char *s, size_t len, struct text_hidden *out);

/* Display columns of a UTF-8 string (assumed valid): East Asian Wide and
 * Fullwidth code points count 2 (CJK, Hangul, emoji), combining marks,
 * format characters and C0/C1 controls 0, others 1; a stray invalid byte
 * counts 1. Does not depend on the process locale. */
size_t text_width(const char *s);

/* Byte length of the longest prefix of s that fits in max_cols columns;
 * never splits a character, keeps combining marks with their base. */
size_t text_prefix_for_width(const char *s, size_t max_cols);

#endif
