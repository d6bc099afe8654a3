#ifndef KP_config_H
#define KP_config_H
#endif
