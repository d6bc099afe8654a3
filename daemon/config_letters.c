/* config_letters: letters = { supervision = { number = "…"; template_file =
 * "…"; reply_days = 7; }; … }; — read, checked (an unknown placeholder is
 * refused here, never found out when a letter is printed) and owned by
 * struct config. */
#include "ac_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_letters.h"
#include "letters.h"
#include "util.h"

#define DEFAULT_REPLY_DAYS 7

/* The file's text, newly allocated, without a byte order mark and with
 * CRLF as LF (a template saved by Notepad prints as one written on Linux);
 * NULL with the reason in err. */
static char *
read_template(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= LETTER_TEMPLATE_MAX)
        buf_append(&b, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    const char *why = failed ? "cannot read it"
                      : b.len > LETTER_TEMPLATE_MAX ? "larger than the 65536 bytes a template may have"
                      : b.len > 0 && memchr(b.data, '\0', b.len) != NULL ? "it holds a NUL byte: not a text file"
                      : NULL;
    if (why != NULL) {
        snprintf(err, errlen, "%s", why);
        buf_free(&b);
        return NULL;
    }
    char *text = buf_steal(&b);
    char *from = text, *to = text;
    if (strncmp(from, "\xef\xbb\xbf", 3) == 0)
        from += 3;
    for (; *from; from++)
        if (!(from[0] == '\r' && from[1] == '\n'))
            *to++ = *from;
    *to = '\0';
    return text;
}

/* A relative path is taken from the directory of the configuration file,
 * as alerts.holidays is. Newly allocated. */
static char *
resolve(const struct loader *ld, const char *path)
{
    const char *slash = strrchr(ld->name, '/');
    return path[0] == '/' || slash == NULL ? xstrdup(path)
                                           : xasprintf("%.*s/%s", (int)(slash - ld->name), ld->name, path);
}

static void
load_template(struct loader *ld, const config_setting_t *g, enum letter_kind k, struct letter_config *lc)
{
    char err[600];
    const char *name = letter_kind_name(k);
    char *file = ld_string(ld, g, "template_file", NULL);
    if (ld->failed)
        goto out;
    if (file == NULL || file[0] == '\0') {
        lc->template = xstrdup(letter_default_template(k));
        goto out;
    }
    const config_setting_t *s = config_setting_get_member(g, "template_file");
    lc->template_file = resolve(ld, file);
    lc->template = read_template(lc->template_file, err, sizeof err);
    if (lc->template == NULL)
        ld_fail(ld, s, "letters.%s.template_file %s: %s", name, lc->template_file, err);
    else if (!letter_template_check(lc->template, err, sizeof err))
        ld_fail(ld, s, "letters.%s.template_file %s: %s", name, lc->template_file, err);
out:
    free(file);
}

static void
load_kind(struct loader *ld, const config_setting_t *letters, enum letter_kind k, struct letter_config *lc)
{
    static const char *const known[] = { "number", "template_file", "reply_days", NULL };
    const char *name = letter_kind_name(k);
    const config_setting_t *g = ld_member(ld, letters, name, CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    lc->number = ld_string(ld, g, "number", letter_default_number(k));
    lc->reply_days = ld_int(ld, g, "reply_days", DEFAULT_REPLY_DAYS, 1, 365);
    char err[300];
    if (!ld->failed && !letter_number_check(lc->number, err, sizeof err))
        ld_fail(ld, config_setting_get_member(g, "number"), "letters.%s.number '%s': %s", name, lc->number, err);
    load_template(ld, g, k, lc);
}

void
load_letters(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
    static const char *const known[] = { "reminder", "supervision", "assignment", NULL };
    const config_setting_t *g = ld_member(ld, root, "letters", CONFIG_TYPE_GROUP);
    if (g)
        ld_check_known(ld, g, known);
    for (int k = 0; k < LETTER_KINDS; k++)
        load_kind(ld, g, (enum letter_kind)k, &cfg->letters[k]);
    /* Two kinds numbered alike would print one 文号 on two letters. */
    for (int a = 0; a < LETTER_KINDS && !ld->failed; a++)
        for (int b = a + 1; b < LETTER_KINDS && !ld->failed; b++)
            if (strcmp(cfg->letters[a].number, cfg->letters[b].number) == 0)
                ld_fail(ld, g ? config_setting_get_member(g, letter_kind_name(b)) : NULL,
                        "letters.%s.number: the same pattern as letters.%s.number ('%s'): each kind is numbered "
                        "on its own, so their numbers would collide", letter_kind_name(b), letter_kind_name(a),
                        cfg->letters[a].number);
}

void
letters_config_free(struct config *cfg)
{
    for (int k = 0; k < LETTER_KINDS; k++) {
        free(cfg->letters[k].number);
        free(cfg->letters[k].template_file);
        free(cfg->letters[k].template);
    }
}
