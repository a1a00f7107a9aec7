/* fuzz_config.c - libFuzzer target: the YAML configuration loader (main-file semantics, every
 * section) on arbitrary bytes, then the comparisons a reload makes. Includes are not followed,
 * so that an input cannot make it read /proc or a FIFO. */
#include "config.h"
#include "log.h"
#include "parse.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errors = { 0 };
	struct config *config, *again;

	log_set_level(LL_CRITICAL);
	if (config_load_string("fuzz.yaml", (const char *)data, size, &config, &errors) == 0) {
		/* Loading the same text twice gives equal definitions: what reload relies on. */
		if (config_load_string("fuzz.yaml", (const char *)data, size, &again, &errors) != 0)
			__builtin_trap();
		for (int i = 0; i < config->nwatchers; i++) {
			if (!watcher_config_equal(config->watchers[i], again->watchers[i], false) ||
			    !watcher_config_same_processes(config->watchers[i], again->watchers[i]))
				__builtin_trap();
			/* A loaded main file names only sockets it defines. */
			char **vars = watcher_socket_vars(config->watchers[i]);
			for (char **v = vars; v && *v; v++)
				if (config_find_socket(config, *v) == NULL)
					__builtin_trap();
			free_words(vars);
		}
		for (int i = 0; i < config->nsockets; i++)
			if (!socket_config_same_binding(config->sockets[i], again->sockets[i]))
				__builtin_trap();
		config_free(again);
		config_free(config);
	} else if (errors.count == 0) {
		__builtin_trap();  /* a rejection always says why */
	}
	config_errors_free(&errors);
	return 0;
}
