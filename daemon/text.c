/* text: strict UTF-8 checks, spreadsheet bytes (UTF-8 with or without BOM,
 * GB18030) to UTF-8, and display columns for tables. Must never consult the
 * process locale (setlocale/wcwidth): the daemon runs under LANG=C. */
#include "ac_config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"
#include "util.h"

struct range {
    uint32_t first, last;
};

/* Generated from Unicode 14 (EastAsianWidth W/F plus the unassigned CJK
 * planes that Unicode reserves as wide; gaps of unassigned code points are
 * merged so new characters in a wide block come out wide). */
static const struct range wide_ranges[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC},
    {0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
    {0x2648, 0x2653}, {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1},
    {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26CE, 0x26CE},
    {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B},
    {0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755},
    {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x3029},
    {0x302E, 0x303E}, {0x3041, 0x3096}, {0x309B, 0x3247}, {0x3250, 0x4DBF},
    {0x4E00, 0xA4C6}, {0xA960, 0xA97C}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
    {0xFE10, 0xFE19}, {0xFE30, 0xFE6B}, {0xFF01, 0xFF60}, {0xFFE0, 0xFFE6},
    {0x16FE0, 0x16FE3}, {0x16FF0, 0x1B2FB}, {0x1F004, 0x1F004},
    {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C},
    {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
    {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
    {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
    {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A},
    {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
    {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
    {0x1F6D5, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAF6}, {0x20000, 0x3FFFD},
};
static const struct range zero_ranges[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0600, 0x0605},
    {0x0610, 0x061A}, {0x061C, 0x061C}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DD}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED},
    {0x070F, 0x070F}, {0x0711, 0x0711}, {0x0730, 0x074A}, {0x07A6, 0x07B0},
    {0x07EB, 0x07F3}, {0x07FD, 0x07FD}, {0x0816, 0x0819}, {0x081B, 0x0823},
    {0x0825, 0x0827}, {0x0829, 0x082D}, {0x0859, 0x085B}, {0x0890, 0x089F},
    {0x08CA, 0x0902}, {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948},
    {0x094D, 0x094D}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0981, 0x0981},
    {0x09BC, 0x09BC}, {0x09C1, 0x09C4}, {0x09CD, 0x09CD}, {0x09E2, 0x09E3},
    {0x09FE, 0x0A02}, {0x0A3C, 0x0A3C}, {0x0A41, 0x0A51}, {0x0A70, 0x0A71},
    {0x0A75, 0x0A75}, {0x0A81, 0x0A82}, {0x0ABC, 0x0ABC}, {0x0AC1, 0x0AC8},
    {0x0ACD, 0x0ACD}, {0x0AE2, 0x0AE3}, {0x0AFA, 0x0B01}, {0x0B3C, 0x0B3C},
    {0x0B3F, 0x0B3F}, {0x0B41, 0x0B44}, {0x0B4D, 0x0B56}, {0x0B62, 0x0B63},
    {0x0B82, 0x0B82}, {0x0BC0, 0x0BC0}, {0x0BCD, 0x0BCD}, {0x0C00, 0x0C00},
    {0x0C04, 0x0C04}, {0x0C3C, 0x0C3C}, {0x0C3E, 0x0C40}, {0x0C46, 0x0C56},
    {0x0C62, 0x0C63}, {0x0C81, 0x0C81}, {0x0CBC, 0x0CBC}, {0x0CBF, 0x0CBF},
    {0x0CC6, 0x0CC6}, {0x0CCC, 0x0CCD}, {0x0CE2, 0x0CE3}, {0x0D00, 0x0D01},
    {0x0D3B, 0x0D3C}, {0x0D41, 0x0D44}, {0x0D4D, 0x0D4D}, {0x0D62, 0x0D63},
    {0x0D81, 0x0D81}, {0x0DCA, 0x0DCA}, {0x0DD2, 0x0DD6}, {0x0E31, 0x0E31},
    {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x0EB1, 0x0EB1}, {0x0EB4, 0x0EBC},
    {0x0EC8, 0x0ECD}, {0x0F18, 0x0F19}, {0x0F35, 0x0F35}, {0x0F37, 0x0F37},
    {0x0F39, 0x0F39}, {0x0F71, 0x0F7E}, {0x0F80, 0x0F84}, {0x0F86, 0x0F87},
    {0x0F8D, 0x0FBC}, {0x0FC6, 0x0FC6}, {0x102D, 0x1030}, {0x1032, 0x1037},
    {0x1039, 0x103A}, {0x103D, 0x103E}, {0x1058, 0x1059}, {0x105E, 0x1060},
    {0x1071, 0x1074}, {0x1082, 0x1082}, {0x1085, 0x1086}, {0x108D, 0x108D},
    {0x109D, 0x109D}, {0x1160, 0x11FF}, {0x135D, 0x135F}, {0x1712, 0x1714},
    {0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773}, {0x17B4, 0x17B5},
    {0x17B7, 0x17BD}, {0x17C6, 0x17C6}, {0x17C9, 0x17D3}, {0x17DD, 0x17DD},
    {0x180B, 0x180F}, {0x1885, 0x1886}, {0x18A9, 0x18A9}, {0x1920, 0x1922},
    {0x1927, 0x1928}, {0x1932, 0x1932}, {0x1939, 0x193B}, {0x1A17, 0x1A18},
    {0x1A1B, 0x1A1B}, {0x1A56, 0x1A56}, {0x1A58, 0x1A60}, {0x1A62, 0x1A62},
    {0x1A65, 0x1A6C}, {0x1A73, 0x1A7F}, {0x1AB0, 0x1B03}, {0x1B34, 0x1B34},
    {0x1B36, 0x1B3A}, {0x1B3C, 0x1B3C}, {0x1B42, 0x1B42}, {0x1B6B, 0x1B73},
    {0x1B80, 0x1B81}, {0x1BA2, 0x1BA5}, {0x1BA8, 0x1BA9}, {0x1BAB, 0x1BAD},
    {0x1BE6, 0x1BE6}, {0x1BE8, 0x1BE9}, {0x1BED, 0x1BED}, {0x1BEF, 0x1BF1},
    {0x1C2C, 0x1C33}, {0x1C36, 0x1C37}, {0x1CD0, 0x1CD2}, {0x1CD4, 0x1CE0},
    {0x1CE2, 0x1CE8}, {0x1CED, 0x1CED}, {0x1CF4, 0x1CF4}, {0x1CF8, 0x1CF9},
    {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F},
    {0x20D0, 0x20F0}, {0x2CEF, 0x2CF1}, {0x2D7F, 0x2D7F}, {0x2DE0, 0x2DFF},
    {0x302A, 0x302D}, {0x3099, 0x309A}, {0xA66F, 0xA672}, {0xA674, 0xA67D},
    {0xA69E, 0xA69F}, {0xA6F0, 0xA6F1}, {0xA802, 0xA802}, {0xA806, 0xA806},
    {0xA80B, 0xA80B}, {0xA825, 0xA826}, {0xA82C, 0xA82C}, {0xA8C4, 0xA8C5},
    {0xA8E0, 0xA8F1}, {0xA8FF, 0xA8FF}, {0xA926, 0xA92D}, {0xA947, 0xA951},
    {0xA980, 0xA982}, {0xA9B3, 0xA9B3}, {0xA9B6, 0xA9B9}, {0xA9BC, 0xA9BD},
    {0xA9E5, 0xA9E5}, {0xAA29, 0xAA2E}, {0xAA31, 0xAA32}, {0xAA35, 0xAA36},
    {0xAA43, 0xAA43}, {0xAA4C, 0xAA4C}, {0xAA7C, 0xAA7C}, {0xAAB0, 0xAAB0},
    {0xAAB2, 0xAAB4}, {0xAAB7, 0xAAB8}, {0xAABE, 0xAABF}, {0xAAC1, 0xAAC1},
    {0xAAEC, 0xAAED}, {0xAAF6, 0xAAF6}, {0xABE5, 0xABE5}, {0xABE8, 0xABE8},
    {0xABED, 0xABED}, {0xD7B0, 0xD7FF}, {0xFB1E, 0xFB1E}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0x101FD, 0x101FD},
    {0x102E0, 0x102E0}, {0x10376, 0x1037A}, {0x10A01, 0x10A0F},
    {0x10A38, 0x10A3F}, {0x10AE5, 0x10AE6}, {0x10D24, 0x10D27},
    {0x10EAB, 0x10EAC}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85},
    {0x11001, 0x11001}, {0x11038, 0x11046}, {0x11070, 0x11070},
    {0x11073, 0x11074}, {0x1107F, 0x11081}, {0x110B3, 0x110B6},
    {0x110B9, 0x110BA}, {0x110BD, 0x110BD}, {0x110C2, 0x110CD},
    {0x11100, 0x11102}, {0x11127, 0x1112B}, {0x1112D, 0x11134},
    {0x11173, 0x11173}, {0x11180, 0x11181}, {0x111B6, 0x111BE},
    {0x111C9, 0x111CC}, {0x111CF, 0x111CF}, {0x1122F, 0x11231},
    {0x11234, 0x11234}, {0x11236, 0x11237}, {0x1123E, 0x1123E},
    {0x112DF, 0x112DF}, {0x112E3, 0x112EA}, {0x11300, 0x11301},
    {0x1133B, 0x1133C}, {0x11340, 0x11340}, {0x11366, 0x11374},
    {0x11438, 0x1143F}, {0x11442, 0x11444}, {0x11446, 0x11446},
    {0x1145E, 0x1145E}, {0x114B3, 0x114B8}, {0x114BA, 0x114BA},
    {0x114BF, 0x114C0}, {0x114C2, 0x114C3}, {0x115B2, 0x115B5},
    {0x115BC, 0x115BD}, {0x115BF, 0x115C0}, {0x115DC, 0x115DD},
    {0x11633, 0x1163A}, {0x1163D, 0x1163D}, {0x1163F, 0x11640},
    {0x116AB, 0x116AB}, {0x116AD, 0x116AD}, {0x116B0, 0x116B5},
    {0x116B7, 0x116B7}, {0x1171D, 0x1171F}, {0x11722, 0x11725},
    {0x11727, 0x1172B}, {0x1182F, 0x11837}, {0x11839, 0x1183A},
    {0x1193B, 0x1193C}, {0x1193E, 0x1193E}, {0x11943, 0x11943},
    {0x119D4, 0x119DB}, {0x119E0, 0x119E0}, {0x11A01, 0x11A0A},
    {0x11A33, 0x11A38}, {0x11A3B, 0x11A3E}, {0x11A47, 0x11A47},
    {0x11A51, 0x11A56}, {0x11A59, 0x11A5B}, {0x11A8A, 0x11A96},
    {0x11A98, 0x11A99}, {0x11C30, 0x11C3D}, {0x11C3F, 0x11C3F},
    {0x11C92, 0x11CA7}, {0x11CAA, 0x11CB0}, {0x11CB2, 0x11CB3},
    {0x11CB5, 0x11CB6}, {0x11D31, 0x11D45}, {0x11D47, 0x11D47},
    {0x11D90, 0x11D91}, {0x11D95, 0x11D95}, {0x11D97, 0x11D97},
    {0x11EF3, 0x11EF4}, {0x13430, 0x13438}, {0x16AF0, 0x16AF4},
    {0x16B30, 0x16B36}, {0x16F4F, 0x16F4F}, {0x16F8F, 0x16F92},
    {0x16FE4, 0x16FE4}, {0x1BC9D, 0x1BC9E}, {0x1BCA0, 0x1CF46},
    {0x1D167, 0x1D169}, {0x1D173, 0x1D182}, {0x1D185, 0x1D18B},
    {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36},
    {0x1DA3B, 0x1DA6C}, {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84},
    {0x1DA9B, 0x1DAAF}, {0x1E000, 0x1E02A}, {0x1E130, 0x1E136},
    {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E8D0, 0x1E8D6},
    {0x1E944, 0x1E94A}, {0xE0001, 0xE01EF},
};

static bool
in_ranges(uint32_t cp, const struct range *r, size_t n)
{
    size_t lo = 0, hi = n;
    if (n == 0 || cp < r[0].first || cp > r[n - 1].last)
        return false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp > r[mid].last)
            lo = mid + 1;
        else if (cp < r[mid].first)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* Decodes one strict UTF-8 sequence at s[0..avail); returns its length and
 * the code point, or 0 when the bytes there are not a valid sequence. */
static size_t
utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
        *cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        *cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0;          /* overlong */
        else if (b == 0xED)
            hi = 0x9F;          /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        *cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;          /* overlong */
        else if (b == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

bool
utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        if (p[i] >= 0x01 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = p[i] == 0 ? 0 : utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            if (bad_offset != NULL)
                *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

bool
text_encoding_parse(const char *s, enum text_encoding *out)
{
    static const struct {
        const char *name;
        enum text_encoding enc;
    } names[] = {
        {"auto", ENC_AUTO},       {"utf-8", ENC_UTF8}, {"utf8", ENC_UTF8},
        {"gb18030", ENC_GB18030}, {"gbk", ENC_GB18030}, {"gb2312", ENC_GB18030},
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].enc;
            return true;
        }
    }
    return false;
}

const char *
text_encoding_name(enum text_encoding enc)
{
    switch (enc) {
    case ENC_UTF8:
        return "utf-8";
    case ENC_GB18030:
        return "gb18030";
    case ENC_AUTO:
        break;
    }
    return "auto";
}

static size_t
line_of(const char *in, size_t off)
{
    size_t line = 1;
    for (const char *p = in; (p = memchr(p, '\n', (size_t)(in + off - p))) != NULL; p++)
        line++;
    return line;
}

enum conv_result { CONV_OK, CONV_BAD, CONV_UNAVAILABLE };

/* GB18030 → UTF-8 with glibc iconv. GB18030 never uses 0x00 inside a
 * multi-byte character, so a NUL byte is refused like any other bad byte:
 * it would otherwise cut the NUL-terminated result short without a word. */
static enum conv_result
gb18030_to_utf8(const char *in, size_t len, struct buf *out, size_t *bad)
{
    const char *nul = len > 0 ? memchr(in, '\0', len) : NULL;
    size_t todo = nul != NULL ? (size_t)(nul - in) : len;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return CONV_UNAVAILABLE;

    char *ip = (char *)in;
    size_t ileft = todo;
    enum conv_result res = CONV_OK;
    buf_reserve(out, todo + todo / 2 + 16);
    while (ileft > 0) {
        char *op = out->data + out->len;
        size_t room = out->cap - out->len - 1, oleft = room;
        size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
        int e = errno;
        out->len += room - oleft;
        out->data[out->len] = '\0';
        if (r != (size_t)-1)
            break;
        if (e == E2BIG) {
            buf_reserve(out, out->cap);
            continue;
        }
        res = CONV_BAD;    /* EILSEQ: bad bytes; EINVAL: a character cut off by EOF */
        *bad = (size_t)(ip - in);
        break;
    }
    iconv_close(cd);
    if (res == CONV_OK && nul != NULL) {
        res = CONV_BAD;
        *bad = todo;
    }
    return res;
}

static bool
has_utf8_bom(const char *in, size_t len)
{
    return len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0;
}

static void
bad_byte_msg(const char *in, size_t len, size_t off, const char *what,
             char *err, size_t errlen)
{
    if (off < len && in[off] == '\0')
        snprintf(err, errlen, "byte %zu (line %zu) is a NUL byte: not a text file",
                 off, line_of(in, off));
    else
        snprintf(err, errlen, "byte %zu (line %zu) is not valid %s",
                 off, line_of(in, off), what);
}

/* Decides the encoding and converts; on failure fills err and returns
 * false. The result (out) may hold a leading U+FEFF, dropped by the caller. */
static bool
convert(const char *in, size_t len, enum text_encoding enc, struct buf *out,
        enum text_encoding *used, char *err, size_t errlen)
{
    size_t bad_utf8 = 0, bad_gb = 0;

    if (len >= 2 && (memcmp(in, "\xFF\xFE", 2) == 0 || memcmp(in, "\xFE\xFF", 2) == 0)) {
        snprintf(err, errlen, "the file is UTF-16 (Excel's \"Unicode text\"); "
                 "save it as CSV UTF-8 or CSV instead");
        return false;
    }
    /* A UTF-8 BOM states the encoding: broken bytes after it are broken
     * UTF-8, not a reason to guess GB18030. */
    if (enc == ENC_UTF8 || (enc == ENC_AUTO && has_utf8_bom(in, len))) {
        if (!utf8_valid(in, len, &bad_utf8)) {
            bad_byte_msg(in, len, bad_utf8, "UTF-8", err, errlen);
            return false;
        }
        buf_append(out, in, len);
        *used = ENC_UTF8;
        return true;
    }
    if (enc == ENC_AUTO && utf8_valid(in, len, &bad_utf8)) {
        buf_append(out, in, len);
        *used = ENC_UTF8;
        return true;
    }
    switch (gb18030_to_utf8(in, len, out, &bad_gb)) {
    case CONV_OK:
        *used = ENC_GB18030;
        return true;
    case CONV_UNAVAILABLE:
        snprintf(err, errlen, "cannot convert from GB18030: %s", strerror(errno));
        return false;
    case CONV_BAD:
        break;
    }
    /* Whichever decoder got further is most likely the file's encoding,
     * so its stopping point is the byte the person should look at. */
    if (enc == ENC_AUTO)
        bad_byte_msg(in, len, bad_gb > bad_utf8 ? bad_gb : bad_utf8,
                     "UTF-8 or GB18030", err, errlen);
    else
        bad_byte_msg(in, len, bad_gb, "GB18030", err, errlen);
    return false;
}

char *
text_to_utf8(const char *in, size_t len, enum text_encoding enc,
             size_t *out_len, enum text_encoding *used,
             char *err, size_t errlen)
{
    struct buf out;
    enum text_encoding got = ENC_UTF8;

    buf_init(&out);
    if (!convert(in, len, enc, &out, &got, err, errlen)) {
        buf_free(&out);
        return NULL;
    }
    size_t n = out.len;
    char *s = buf_steal(&out);
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        memmove(s, s + 3, n - 3 + 1);
        n -= 3;
    }
    if (out_len != NULL)
        *out_len = n;
    if (used != NULL)
        *used = got;
    return s;
}

static int
cp_width(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return 1;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;               /* controls: the renderer replaces them */
    if (in_ranges(cp, zero_ranges, ARRAY_LEN(zero_ranges)))
        return 0;
    if (in_ranges(cp, wide_ranges, ARRAY_LEN(wide_ranges)))
        return 2;
    return 1;
}

/* One step through s: the length of the next character and its columns.
 * A stray invalid byte counts one column so a bad string still lines up. */
static size_t
next_char(const char *s, int *cols)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    size_t n = utf8_decode(p, strnlen(s, 4), &cp);
    if (n == 0) {
        *cols = 1;
        return 1;
    }
    *cols = cp_width(cp);
    return n;
}

size_t
text_width(const char *s)
{
    size_t cols = 0;
    int w;
    while (*s != '\0') {
        s += next_char(s, &w);
        cols += (size_t)w;
    }
    return cols;
}

size_t
text_prefix_for_width(const char *s, size_t max_cols)
{
    size_t cols = 0, off = 0;
    int w;
    while (s[off] != '\0') {
        size_t n = next_char(s + off, &w);
        if (cols + (size_t)w > max_cols)
            break;
        cols += (size_t)w;
        off += n;
    }
    return off;
}

/* ---- characters that hide ----------------------------------------------------- */

static const char *
hidden_kind(uint32_t cp)
{
    if ((cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F))
        return "控制字符 (control character)";
    if (cp == 0xFEFF)
        return "字节顺序标记 (byte order mark, BOM)";
    if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060)
        return "零宽字符 (zero-width character)";
    if (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        return "双向文本控制符 (bidirectional control)";
    return NULL;
}

bool
text_find_hidden(const char *s, size_t len, struct text_hidden *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, nth = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {       /* not valid UTF-8: the converter let nothing such through */
            n = 1;
            cp = 0xFFFD;
        }
        nth++;
        const char *what = hidden_kind(cp);
        if (what != NULL) {
            *out = (struct text_hidden){ i, nth, cp, what };
            return true;
        }
        i += n;
    }
    return false;
}
