/* config_letters: the letters group of keyprojd.conf — per kind of letter
 * (提醒函, 督办函, 交办函) its number pattern, its template and its reply
 * time, each checked when the file is loaded. */
#ifndef KEYPROJ_CONFIG_LETTERS_H
#define KEYPROJ_CONFIG_LETTERS_H

#include "config_loader.h"

/* Reads root's "letters" into cfg->letters (every kind gets its
 * defaults when the group or a member is absent). */
void load_letters(struct loader *ld, const config_setting_t *root, struct config *cfg);
void letters_config_free(struct config *cfg);

#endif
