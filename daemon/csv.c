/* placeholder: being written */
#include "ac_config.h"
#include "csv.h"
