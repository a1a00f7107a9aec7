/* endpoint.c - default endpoints in a private runtime directory (shared by cirqued and cirquectl). */
#include "endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *runtime_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *own = getenv("CIRQUE_RUNTIME_DIR");
	char *dir = NULL;

	if (own && *own == '/')  /* several daemons on one machine (tests, per-user instances) */
		return strdup(own);
	if (geteuid() == 0)
		return strdup("/run/cirque");
	if (xdg && *xdg == '/') {
		if (asprintf(&dir, "%s/cirque", xdg) < 0)
			return NULL;
		return dir;
	}
	if (asprintf(&dir, "/tmp/cirque-%u", (unsigned)geteuid()) < 0)
		return NULL;
	return dir;
}

char *default_endpoint(const char *file)
{
	char *dir = runtime_dir(), *endpoint = NULL;

	if (dir && asprintf(&endpoint, "ipc://%s/%s", dir, file) < 0)
		endpoint = NULL;
	free(dir);
	return endpoint;
}

int prepare_runtime_dir(const char *dir, const char **why)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*why = "cannot create";
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		*why = "cannot stat";
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		*why = "is not a directory owned by the daemon's user";
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700) < 0) {
		*why = "cannot make private (chmod 0700)";
		return -1;
	}
	return 0;
}

bool endpoint_is_local(const char *endpoint)
{
	static const char *const loopback[] = { "tcp://127.", "tcp://localhost:", "tcp://[::1]:",
						"tcp://::1:" };

	if (strncmp(endpoint, "ipc://", 6) == 0)
		return true;
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(endpoint, loopback[i], strlen(loopback[i])) == 0)
			return true;
	return false;
}

char *endpoint_ipc_dir(const char *endpoint)
{
	const char *path, *slash;

	if (strncmp(endpoint, "ipc://", 6) != 0)
		return NULL;
	path = endpoint + 6;
	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return NULL;
	return strndup(path, (size_t)(slash - path));
}
