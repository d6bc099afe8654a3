/* throttle: at most a few events per key (a peer's uid) in a window of
 * time, with a count of those held back: for the log lines and audit rows
 * that a peer can provoke as fast as it likes. Pure; "now" comes in. */
#ifndef KEYPROJ_THROTTLE_H
#define KEYPROJ_THROTTLE_H

#include <stdbool.h>

#define THROTTLE_KEYS 32

struct throttle {
    double window;              /* seconds */
    unsigned per_window;        /* events allowed per key in a window */
    struct {
        unsigned key;
        double window_start;    /* 0: the slot is free */
        double last;
        unsigned used;          /* events allowed in the current window */
        unsigned held;          /* events held back since the last allowed one */
    } slot[THROTTLE_KEYS];
};

/* Whether the event of key at now may happen; when it may, *held is how
 * many of key's were held back since its last one. The least recently
 * seen key gives way when more than THROTTLE_KEYS keys are about. */
bool throttle_allow(struct throttle *t, unsigned key, double now, unsigned *held);

#endif
