/* config_receivers: the receivers list of keyprojd.conf. */
#ifndef KEYPROJ_CONFIG_RECEIVERS_H
#define KEYPROJ_CONFIG_RECEIVERS_H

#include "config_loader.h"

/* Reads root's "receivers" into cfg (cfg->receivers, n_receivers). */
void load_receivers(struct loader *ld, const config_setting_t *root, struct config *cfg);
void receiver_free(struct receiver *rv);

#endif
