/* json_buf: a jansson value dumped straight into a struct buf. */
#ifndef KEYPROJ_JSON_BUF_H
#define KEYPROJ_JSON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "util.h"

/* Appends v as json_dumpb writes it with flags (JSON_ENCODE_ANY added, so
 * a string or a number is fine too), into b's free room when it fits
 * (buf_reserve first for a large value: it is dumped once). False, b's
 * text unchanged, when jansson cannot dump it. */
bool buf_put_json(struct buf *b, const json_t *v, size_t flags);

#endif
