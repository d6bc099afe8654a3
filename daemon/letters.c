/* letters: number patterns and templates of the office's letters, checked
 * and rendered (see letters.h). A value is copied into the text as it is:
 * a project named "{reason}" prints as that name, never as a reason. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "letters.h"
#include "text.h"
#include "util.h"

static const char *const kind_names[LETTER_KINDS] = { "reminder", "supervision", "assignment" };
static const char *const kind_titles[LETTER_KINDS] = { "提醒函", "督办函", "交办函" };

static const char *const field_names[LETTER_FIELDS] = {
    "doc_no", "kind", "to_unit", "project", "code", "county", "reason", "issued_on", "reply_due", "leader",
};

static const char *const default_numbers[LETTER_KINDS] = {
    "重点提〔{year}〕{n}号", "重点督〔{year}〕{n}号", "重点交〔{year}〕{n}号",
};

/* What the letters share after their own paragraph: the addressee's
 * answer, the leader, the sender and the date. */
#define TEMPLATE_HEAD(title) \
    "重点项目建设" title "\n" \
    "\n" \
    "{doc_no}\n" \
    "\n" \
    "{to_unit}：\n" \
    "\n" \
    "　　你单位负责的{county}{project}（项目代码：{code}）：{reason}\n" \
    "\n"
#define TEMPLATE_TAIL \
    "\n" \
    "　　项目分包领导：{leader}\n" \
    "\n" \
    "市重点项目建设工作领导小组办公室\n" \
    "{issued_on}\n"

static const char *const default_templates[LETTER_KINDS] = {
    TEMPLATE_HEAD("提醒函")
    "　　现予提醒。请你单位对照年度目标和双月攻坚节点，加快推进项目建设，"
    "并于{reply_due}前将推进情况书面反馈市重点项目办。\n"
    TEMPLATE_TAIL,
    TEMPLATE_HEAD("督办函")
    "　　经研究，现予督办。请你单位主要负责同志亲自研究部署，逐项整改落实，"
    "并于{reply_due}前将整改情况书面报送市重点项目办。逾期未反馈或整改不力的，将按程序通报。\n"
    TEMPLATE_TAIL,
    TEMPLATE_HEAD("交办函")
    "　　现将上述事项交由你单位办理。请明确责任人和完成时限，抓紧办理，"
    "并于{reply_due}前将办理结果书面报送市重点项目办。\n"
    TEMPLATE_TAIL,
};

const char *
letter_kind_name(enum letter_kind k)
{
    return k < LETTER_KINDS ? kind_names[k] : "?";
}

const char *
letter_kind_title(enum letter_kind k)
{
    return k < LETTER_KINDS ? kind_titles[k] : "?";
}

bool
letter_kind_parse(const char *name, enum letter_kind *out)
{
    for (int k = 0; k < LETTER_KINDS; k++)
        if (name != NULL && strcmp(name, kind_names[k]) == 0) {
            *out = (enum letter_kind)k;
            return true;
        }
    return false;
}

const char *
letter_field_name(enum letter_field f)
{
    return f < LETTER_FIELDS ? field_names[f] : "?";
}

const char *
letter_default_number(enum letter_kind k)
{
    return k < LETTER_KINDS ? default_numbers[k] : "";
}

const char *
letter_default_template(enum letter_kind k)
{
    return k < LETTER_KINDS ? default_templates[k] : "";
}

/* ---- the scanner both share ---------------------------------------------- */

enum piece_type { PIECE_TEXT, PIECE_NAME, PIECE_END, PIECE_UNCLOSED };

/* One piece of a pattern or template: a run of text (a doubled brace is
 * one brace of text), or the name between braces. */
struct piece {
    enum piece_type type;
    const char *p;
    size_t len;
};

/* The piece at s; *next is where the one after it starts. A name is what
 * lies between '{' and the first '}', whatever it holds. */
static struct piece
next_piece(const char *s, const char **next)
{
    struct piece pc = { PIECE_TEXT, s, 0 };
    if (*s == '\0') {
        pc.type = PIECE_END;
    } else if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
        pc.len = 1;
        s += 2;
    } else if (s[0] == '{') {
        const char *close = strpbrk(s + 1, "{}\n");
        if (close == NULL || *close != '}') {
            pc.type = PIECE_UNCLOSED;
            pc.len = close ? (size_t)(close - s) : strlen(s);
            s += pc.len;
        } else {
            pc.type = PIECE_NAME;
            pc.p = s + 1;
            pc.len = (size_t)(close - s - 1);
            s = close + 1;
        }
    } else {
        pc.len = strcspn(s + 1, "{}") + 1;
        s += pc.len;
    }
    *next = s;
    return pc;
}

/* The index of name (len bytes) in names[0..n), or -1. */
static int
name_index(const char *const *names, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

/* "{a}, {b} or {c}", newly allocated. */
static char *
names_expected_new(const char *const *names, int n)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s{%s}", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
    return buf_steal(&b);
}

/* Text that may be shown in a message: a name cut at 40 bytes (on a
 * character boundary), control characters as '?'. */
static void
shown(const char *p, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < outlen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (n >= 40 && (c & 0xc0) != 0x80) {
            memcpy(out + n, "…", 3);
            n += 3;
            break;
        }
        out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
}

/* Checks the text's encoding and bytes; what = "pattern" or "template". */
static bool
text_ok(const char *s, size_t max, bool newlines, const char *what, char *err, size_t errlen)
{
    size_t len = strlen(s), bad;
    if (len > max) {
        snprintf(err, errlen, "the %s is %zu bytes long (at most %zu)", what, len, max);
        return false;
    }
    if (!utf8_valid(s, len, &bad)) {
        snprintf(err, errlen, "the %s is not valid UTF-8 (at byte %zu)", what, bad);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(newlines && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f) {
            snprintf(err, errlen, "the %s holds a control character (byte 0x%02x at %zu)", what, c, i);
            return false;
        }
    }
    return true;
}

/* ---- number patterns ----------------------------------------------------- */

static const char *const number_names[] = { "year", "n" };

bool
letter_number_check(const char *pattern, char *err, size_t errlen)
{
    if (!text_ok(pattern, LETTER_NUMBER_MAX, false, "pattern", err, errlen))
        return false;
    int seen[2] = { 0, 0 };
    const char *s = pattern;
    char name[64];
    for (;;) {
        struct piece pc = next_piece(s, &s);
        if (pc.type == PIECE_END)
            break;
        if (pc.type == PIECE_TEXT && pc.len == 1 && (*pc.p == '{' || *pc.p == '}') && pc.p[1] == *pc.p) {
            snprintf(err, errlen, "a number has no literal braces (only {year} and {n})");
            return false;
        }
        if (pc.type == PIECE_TEXT && pc.p[0] == '}') {
            snprintf(err, errlen, "'}' without its '{' (only {year} and {n} may use braces)");
            return false;
        }
        if (pc.type == PIECE_UNCLOSED) {
            shown(pc.p, pc.len, name, sizeof name);
            snprintf(err, errlen, "'%s' has no closing '}' (expected {year} or {n})", name);
            return false;
        }
        if (pc.type != PIECE_NAME)
            continue;
        int i = name_index(number_names, 2, pc.p, pc.len);
        if (i < 0) {
            shown(pc.p, pc.len, name, sizeof name);
            snprintf(err, errlen, "unknown placeholder {%s} (expected {year} or {n})", name);
            return false;
        }
        if (seen[i]++) {
            snprintf(err, errlen, "{%s} appears twice", number_names[i]);
            return false;
        }
    }
    if (!seen[1] || !seen[0]) {
        snprintf(err, errlen, "the pattern needs {%s}: numbers restart at 1 each year, so a number is "
                 "its year and its place in it", seen[1] ? "year" : "n");
        return false;
    }
    return true;
}

/* ---- templates ----------------------------------------------------------- */

/* 1 + the newlines in tpl before p. */
static int
line_of(const char *tpl, const char *p)
{
    int line = 1;
    for (const char *q = tpl; q < p; q++)
        line += *q == '\n';
    return line;
}

bool
letter_template_check(const char *tpl, char *err, size_t errlen)
{
    if (!text_ok(tpl, LETTER_TEMPLATE_MAX, true, "template", err, errlen))
        return false;
    const char *s = tpl;
    char name[64];
    for (;;) {
        const char *at = s;
        struct piece pc = next_piece(s, &s);
        if (pc.type == PIECE_END)
            return true;
        if (pc.type == PIECE_UNCLOSED) {
            shown(pc.p, pc.len, name, sizeof name);
            snprintf(err, errlen, "line %d: '%s' has no closing '}' on its line (write {{ for a brace)",
                     line_of(tpl, at), name);
            return false;
        }
        if (pc.type == PIECE_NAME && name_index(field_names, LETTER_FIELDS, pc.p, pc.len) < 0) {
            char *expected = names_expected_new(field_names, LETTER_FIELDS);
            shown(pc.p, pc.len, name, sizeof name);
            snprintf(err, errlen, "line %d: unknown placeholder {%s} (expected %s; {{ for a brace)",
                     line_of(tpl, at), name, expected);
            free(expected);
            return false;
        }
    }
}

char *
letter_render_new(const char *tpl, const char *const values[LETTER_FIELDS])
{
    struct buf b;
    buf_init(&b);
    const char *s = tpl;
    for (;;) {
        struct piece pc = next_piece(s, &s);
        if (pc.type == PIECE_END)
            break;
        int f = pc.type == PIECE_NAME ? name_index(field_names, LETTER_FIELDS, pc.p, pc.len) : -1;
        if (f >= 0) {
            if (values[f] != NULL)
                buf_puts(&b, values[f]);
        } else if (pc.type == PIECE_NAME) {     /* not checked: kept as written */
            buf_putc(&b, '{');
            buf_append(&b, pc.p, pc.len);
            buf_putc(&b, '}');
        } else {
            buf_append(&b, pc.p, pc.len);
        }
    }
    return buf_steal(&b);
}
