/* placeholder: being written */
#include "ac_config.h"
#include "tokenize.h"
