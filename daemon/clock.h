#ifndef KP_clock_H
#define KP_clock_H
#endif
