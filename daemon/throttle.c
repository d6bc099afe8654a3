/* throttle: a few events per key per window, the rest counted. */
#include "ac_config.h"

#include <string.h>

#include "throttle.h"

bool
throttle_allow(struct throttle *t, unsigned key, double now, unsigned *held)
{
    size_t s = 0;
    for (size_t i = 0; i < THROTTLE_KEYS; i++) {
        if (t->slot[i].window_start > 0 && t->slot[i].key == key) {
            s = i;
            goto found;
        }
        if (t->slot[i].last < t->slot[s].last)
            s = i;              /* the least recently seen, to reuse */
    }
    memset(&t->slot[s], 0, sizeof t->slot[s]);
    t->slot[s].key = key;
found:
    t->slot[s].last = now;
    if (t->slot[s].window_start == 0 || now - t->slot[s].window_start >= t->window) {
        t->slot[s].window_start = now;
        t->slot[s].used = 0;
    }
    if (t->slot[s].used >= t->per_window) {
        t->slot[s].held++;
        return false;
    }
    t->slot[s].used++;
    *held = t->slot[s].held;
    t->slot[s].held = 0;
    return true;
}
