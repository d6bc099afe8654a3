/* placeholder: being written */
#include "ac_config.h"
#include "values.h"
