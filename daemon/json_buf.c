/* json_buf: see json_buf.h. */
#include "ac_config.h"

#include "json_buf.h"

bool
buf_put_json(struct buf *b, const json_t *v, size_t flags)
{
    /* the buffer's free room, or 256 bytes; made larger and the dump done
     * again when jansson says it needs more (json_dumpb's way) */
    size_t room = 256;
    if (b->cap > b->len + 2 + room)
        room = b->cap - b->len - 2;
    for (int i = 0; i < 2; i++) {
        buf_reserve(b, room + 1);
        size_t n = json_dumpb(v, b->data + b->len, room, flags | JSON_ENCODE_ANY);
        if (n == 0)
            return false;
        if (n <= room) {
            b->len += n;
            b->data[b->len] = '\0';
            return true;
        }
        room = n;
    }
    return false;
}
