/* ctl_render: how keyprojctl shows the daemon's answers — tables aligned by
 * display width (CJK counts two columns), key: value lists, JSON or CSV.
 * Pure and deterministic: it builds text in buffers and never prints. */
#ifndef KEYPROJ_CTL_RENDER_H
#define KEYPROJ_CTL_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct buf;
struct ctl_lang;

/* CTL_CSV is for programs (plain RFC 4180), CTL_EXCEL for people opening
 * the file in Excel or WPS (see ctl_render_data). */
enum ctl_format { CTL_TABLE, CTL_JSON, CTL_CSV, CTL_EXCEL };

/* Table cells wider than this many display columns are cut with "…". */
#define CTL_CELL_MAX_COLS 60

/* Appends what stdout shows for the "data" of a successful answer.
 * CTL_TABLE: an array of objects is a table (columns from the keys, in the
 * order first seen), an object is "key: value" lines (nested objects as
 * parent.child, arrays of objects as tables after them), a string is printed
 * as is (control characters other than newline and tab escaped), an object
 * with a string "document" (a letter) is its other members as key: value
 * lines, a blank line and the document printed as a string is, null
 * prints nothing. CTL_JSON: indented JSON, UTF-8 as is. CTL_CSV: RFC 4180
 * with CRLF line ends (header + rows, or key,value rows with nested tables
 * as JSON). CTL_EXCEL: the same CSV after a UTF-8 byte order mark, with
 * every text cell (headers and keys too) that begins with = + - @, a tab
 * or a CR guarded by a leading ' (csv_put_guarded, as `export` does);
 * JSON numbers are written as numbers, negative ones too. data may be
 * NULL (same as null). A file, {"file": "..."} and nothing else (what
 * `export` answers), is its bytes as they are in CTL_TABLE, CTL_CSV and
 * CTL_EXCEL: no escaping, no newline added. */
/*
 * lang (may be NULL: the answer's canonical English) is the language a
 * person reads: CTL_TABLE and CTL_EXCEL show headers, keys, enum values
 * (only in columns known to hold one), yes/no and the row count in it;
 * CTL_JSON and CTL_CSV, for programs, never use it. */
void ctl_render_data(struct buf *out, const json_t *data, enum ctl_format f,
                     const struct ctl_lang *lang);

/* True when data is a file ({"file": "..."} and nothing else). */
bool ctl_render_is_file(const json_t *data);
/* A file as a terminal may show it: without the byte order mark, CRLF as
 * a newline, other control characters escaped as ctl_put_visible does. */
void ctl_render_file_visible(struct buf *out, const json_t *data);

/* What out got from ctl_render_data or ctl_render_error (s[0..len)),
 * made safe for a terminal: nothing in it may drive one (ESC, OSC, BEL …
 * from a project name). CTL_JSON stays JSON of the same meaning (DEL and
 * C1 controls, which jansson writes raw, become \u007F …); the other
 * formats get control characters escaped as ctl_put_visible does, with
 * CRLF shown as a newline. Output to a pipe or file is never passed
 * through this: there it stays byte for byte. */
void ctl_render_for_terminal(struct buf *out, const char *s, size_t len,
                             enum ctl_format f);

/* Renders the "error" object of a refused request: err gets the text for
 * stderr ("keyprojctl: message" and, except with CTL_JSON, one indented line
 * per detail); with CTL_JSON, out also gets the whole error object as JSON
 * so scripts can read it from stdout. Tolerates any malformed error. The
 * daemon's message is shown as it came; lang gives keyprojctl's own words. */
void ctl_render_error(struct buf *out, struct buf *err, const json_t *error,
                      enum ctl_format f, const struct ctl_lang *lang);

/* Appends s (len bytes) with control characters and invalid UTF-8 escaped
 * (\n, \t, \x1b, \u0085 …), so text from elsewhere can neither break lines
 * nor drive the terminal. keep_newlines leaves \n and \t as they are. */
void ctl_put_visible(struct buf *out, const char *s, size_t len,
                     bool keep_newlines);

#endif
