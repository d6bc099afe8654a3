/* placeholder */
#include "ac_config.h"
#include "ctl_render.h"
