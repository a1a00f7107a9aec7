/* watcher_options.h - the table of a watcher's options (tmux's options-table.c is the model).
 *
 * One row per option: its key, the type of its field in struct watcher_config, default, bounds,
 * what a change does (restart the processes, apply in place, change the count) and where it is
 * shown. Defaults, parsing and validation, free, reload diffing (watcher_config_equal and
 * watcher_config_same_processes) and the get/options replies are derived from the rows; an option
 * the types do not cover has hooks in its row. Adding a simple option is its field, one row, and
 * its use. */
#ifndef CIRQUE_WATCHER_OPTIONS_H
#define CIRQUE_WATCHER_OPTIONS_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"

struct loader;
struct yaml_node_s;
struct watcher_draft;

/* The type of an option's field, which says how it is parsed, defaulted, freed, compared and
 * shown, unless a hook of its row says otherwise. */
enum option_type {
	OPT_STRING,                   /* char *, NULL when not set */
	OPT_BOOL,                     /* bool */
	OPT_INT,                      /* int, min .. max */
	OPT_DURATION,                 /* double seconds: 30, 1.5, 500ms, 30s, 5m */
	OPT_SIGNAL,                   /* int signal number: TERM, SIGTERM or 15 */
	OPT_UMASK,                    /* int octal mode, -1 when not set (shown as null) */
	OPT_CUSTOM,                   /* only the row's hooks */
};

/* What a change of the option does, on reloadconfig or set. */
enum option_change {
	CHANGE_RESTART,               /* the processes are replaced (not same_processes) */
	CHANGE_IN_PLACE,              /* the running watcher takes the new value */
	CHANGE_COUNT,                 /* processes are added or stopped (numprocesses) */
};

/* Where an option appears (flags). */
#define OPT_FILE  1u                  /* a key of a watcher in the file, hence of add and set */
#define OPT_SHOWN 2u                  /* in the replies of get and options */

struct watcher_option {
	const char *key;
	const char *alias_prefix;     /* Circus's names of one entry (set): rlimit_X for rlimits.X */
	enum option_type type;
	size_t offset;                /* of its field in struct watcher_config */
	unsigned flags;               /* OPT_FILE, OPT_SHOWN */
	enum option_change change;
	long min, max;                /* OPT_INT bounds */
	bool clamp;                   /* OPT_INT: above max means max (otherwise an error) */
	bool positive;                /* OPT_DURATION: 0 is refused */
	long def;                     /* default of OPT_BOOL, OPT_INT, OPT_SIGNAL and OPT_UMASK */
	double def_seconds;           /* default of OPT_DURATION */
	/* Hooks, each instead of what the type does (NULL: the type's way): */
	int (*parse)(struct loader *ld, const char *path, struct yaml_node_s *v,
		     struct watcher_draft *d);
	void (*init)(struct watcher_config *wc);
	void (*free)(struct watcher_config *wc);
	/* Equal values for the option's change class. */
	bool (*same)(const struct watcher_config *a, const struct watcher_config *b);
	/* The part of a CHANGE_RESTART option that applies in place (ready's delay, port, ...). */
	bool (*same_in_place)(const struct watcher_config *a, const struct watcher_config *b);
	/* Sets the option's keys in OUT (get, options). */
	void (*to_json)(const struct watcher_config *wc, json_t *out);
};

extern const struct watcher_option watcher_option_table[];
extern const size_t watcher_option_count;

/* The row whose alias_prefix begins KEY (rlimit_nofile), *entry set to the rest (nofile); NULL
 * when no row has such a prefix. */
const struct watcher_option *watcher_option_alias(const char *key, const char **entry);
/* Every OPT_SHOWN option of WC, with Circus's names and types, in the table's order. */
json_t *watcher_options_json(const struct watcher_config *wc);

/* Loads the watcher KEY: VALUE of the watchers: section (a pair_fn for walk_mapping). */
void load_watcher(struct loader *ld, const char *parent, struct yaml_node_s *key,
		  struct yaml_node_s *value, void *arg);

#endif
