#ifndef KP_notify_H
#define KP_notify_H
#endif
