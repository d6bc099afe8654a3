/* config_check: the warnings of `keyprojd --check-config` about a file that
 * loads but is unsafe. Reads the file system and the user and group
 * databases; changes nothing and never quotes a secret. */
#ifndef KEYPROJ_CONFIG_CHECK_H
#define KEYPROJ_CONFIG_CHECK_H

#include <stdio.h>

struct config;

/* Writes one "keyprojd: warning: FILE: KEY: …" line to out for each of:
 * a file holding secrets (the configuration when it holds any, each
 * secret_file and url_file) readable by others or by a group with people
 * in it; a chat robot's URL over http://; metrics.listen or web.listen off
 * the loopback; a web.base_url over http://; a json receiver's secret that
 * is not Standard Webhooks base64. Returns how many lines it wrote. */
int config_check(const struct config *cfg, FILE *out);

#endif
