/* config_hooks.h - the hooks: option of a watcher (a mapping of points to commands), for the
 * option table of watcher_options.c. */
#ifndef CIRQUE_CONFIG_HOOKS_H
#define CIRQUE_CONFIG_HOOKS_H

#include <jansson.h>

#include "config.h"
#include "yaml_node.h"

/* hooks: V into WC->hooks; errors at file:line:column (an unknown point, before_reap, a bad
 * value). */
int parse_watcher_hooks(struct loader *ld, const char *path, yaml_node_t *v,
			struct watcher_config *wc);
void hook_config_free(struct hook_config *hc);
void watcher_hooks_free(struct watcher_config *wc);
bool watcher_hooks_equal(const struct watcher_config *a, const struct watcher_config *b);
/* Sets "hooks" in OUT: each configured point with its resolved command and settings. */
void watcher_hooks_json(const struct watcher_config *wc, json_t *out);

#endif
