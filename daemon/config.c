/* placeholder */
#include "ac_config.h"
