/* endpoint.c - default endpoints in a runtime directory of the daemon's own (shared by cirqued and cirquectl). */
#include "endpoint.h"

#include "safefs.h"
#include "xmalloc.h"

#include <fcntl.h>
#include <limits.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

char *runtime_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *own = getenv("CIRQUE_RUNTIME_DIR");

	if (own && *own == '/')  /* several daemons on one machine (tests, per-user instances) */
		return xstrdup(own);
	if (geteuid() == 0)
		return xstrdup("/run/cirque");
	if (xdg && *xdg == '/')
		return xasprintf("%s/cirque", xdg);
	return xasprintf("/tmp/cirque-%u", (unsigned)geteuid());
}

char *default_endpoint(const char *file)
{
	char *dir = runtime_dir();
	char *endpoint = xasprintf("ipc://%s/%s", dir, file);

	free(dir);
	return endpoint;
}

int prepare_runtime_dir(const char *dir, char *why)
{
	int fd = safe_mkdir_own(dir, RUNTIME_DIR_MODE, why);

	if (fd < 0)
		return -1;
	close(fd);
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
	return xstrndup(path, (size_t)(slash - path));
}

const char *endpoint_refusal(const char *endpoint, bool is_control, bool curve)
{
	if (strncmp(endpoint, "ipc://@", 7) == 0) {
		if (!is_control)
			return "is an abstract ipc socket, which has no file permissions: every local "
			       "user could read the events, and the children's output with them; use a "
			       "path (the default is in a private directory)";
		if (!curve)
			return "is an abstract ipc socket, which has no file permissions: every local "
			       "user could connect and run programs as this daemon's user; use a path "
			       "(the default is in a private directory), or configure CURVE";
		return NULL;
	}
	if (strncmp(endpoint, "ipc://", 6) == 0 && endpoint[6] != '/')
		return "is a relative ipc path: use an absolute one (ipc:///run/cirque/control.sock)";
	if (is_control && !curve && !endpoint_is_local(endpoint))
		return "is reachable from the network: configure CURVE (cirque.curve_secret_key_file "
		       "and cirque.curve_allowed_clients) or use ipc:// or tcp://127.0.0.1";
	return NULL;
}

int endpoint_check_for_client(const char *endpoint, char *why)
{
	char *dir = NULL, *name = NULL;
	struct safe_dir d = { .fd = -1 };
	struct stat st;
	int rc = 0;

	if (strncmp(endpoint, "ipc:///", 7) != 0 || safefs_split(endpoint + 6, &dir, &name) < 0)
		goto out;
	/* Missing: nothing to trust or distrust, the caller reports it unreachable. */
	if (safe_dir_open(dir, false, &d, why) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	if (fstatat(d.fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		snprintf(why, SAFEFS_WHY, "%s: %s", endpoint + 6, strerror(errno));
		goto out;
	}
	if (!d.trusted && !(d.sticky_ok && safefs_owner_ok(st.st_uid) && st.st_nlink == 1)) {
		snprintf(why, SAFEFS_WHY, "its directory %s (owner uid %u, mode %04o) can be changed "
			 "by others, who could stand in for cirqued", dir, (unsigned)d.owner,
			 (unsigned)(d.mode & 07777));
		rc = -1;
	} else if (!safefs_owner_ok(st.st_uid)) {
		snprintf(why, SAFEFS_WHY, "the socket belongs to uid %u, neither root nor you",
			 (unsigned)st.st_uid);
		rc = -1;
	}
out:
	if (d.fd >= 0)
		close(d.fd);
	free(dir);
	free(name);
	return rc;
}

const char *endpoint_listener_missing(const char *endpoint)
{
	static __thread char why[PATH_MAX + 200];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc, error;

	if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' ||
	    strlen(endpoint + 6) >= sizeof(sun.sun_path))
		return NULL;
	strcpy(sun.sun_path, endpoint + 6);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	error = errno;
	close(fd);
	if (rc == 0 || error == EAGAIN || error == EINPROGRESS)
		return NULL;  /* someone listens (EAGAIN: busy) */
	if (error == EACCES) {
		/* The operator socket beside it is for the members of operator_group. */
		char *dir = endpoint_ipc_dir(endpoint), operator[PATH_MAX];
		snprintf(operator, sizeof(operator), "%s/operator.sock", dir ? dir : ".");
		free(dir);
		if (strcmp(operator, endpoint + 6) != 0 && access(operator, F_OK) == 0)
			snprintf(why, sizeof(why), "permission denied: it is private to the daemon's "
				 "user (run as that user, e.g. with sudo; a member of its "
				 "operator_group uses ipc://%s)", operator);
		else
			snprintf(why, sizeof(why), "permission denied: it is private to the daemon's "
				 "user, or to its operator_group (run as that user, e.g. with sudo)");
		return why;
	}
	if (error == ECONNREFUSED)
		return "nothing listens on the socket there (a cirqued that exited left it; is "
		       "cirqued running?)";
	if (error == ENOENT || error == ENOTDIR)
		return "no socket there (is cirqued running?)";
	return strerror(error);
}
