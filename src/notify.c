/* notify.c - a small sd_notify client.
 *
 * Why not libsystemd: the protocol is one datagram on a unix socket (an abstract one when the
 * path starts with '@'); writing it ourselves keeps the daemon free of a dependency it would use
 * for ~40 lines, and works the same in containers without systemd's libraries. */
#include "notify.h"

#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static ev_timer watchdog;
static struct ev_loop *watchdog_loop;

static void on_watchdog(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	notify_send("WATCHDOG=1");
}

static double watchdog_interval;

void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");

	if (path && (path[0] == '/' || path[0] == '@') && strlen(path) < sizeof(notify_addr.sun_path)) {
		notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		notify_addr.sun_family = AF_UNIX;
		strcpy(notify_addr.sun_path, path);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';  /* abstract namespace */
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	}
	/* The watchdog is ours only if WATCHDOG_PID is unset or names us. */
	if (notify_fd >= 0 && usec && (wpid == NULL || atol(wpid) == (long)getpid())) {
		watchdog_interval = strtod(usec, NULL) / 1e6 / 2;
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	/* Socket activation meant for cirqued must not reach children through copy_env either:
	 * a watcher gets LISTEN_* only for its own use_sockets. */
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
}

void notify_start_watchdog(struct ev_loop *loop)
{
	if (watchdog_interval <= 0)
		return;
	watchdog_loop = loop;
	ev_timer_init(&watchdog, on_watchdog, watchdog_interval, watchdog_interval);
	ev_timer_start(loop, &watchdog);
}

void notify_send(const char *fmt, ...)
{
	char message[512];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sendto(notify_fd, message, (size_t)n < sizeof(message) ? (size_t)n : sizeof(message) - 1,
		   MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&notify_addr, notify_len) < 0)
		log_errno(LL_DEBUG, "sd_notify: cannot send %.*s", n, message);
}

void notify_close(void)
{
	if (watchdog_loop)
		ev_timer_stop(watchdog_loop, &watchdog);
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}

/* What notify_init took from the environment, for the next image of this process. */
static char exported_path[sizeof(notify_addr.sun_path)];

void notify_export(bool on)
{
	char usec[32];

	if (notify_fd < 0)
		return;
	if (!on) {
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		return;
	}
	memcpy(exported_path, notify_addr.sun_path, sizeof(exported_path));
	if (exported_path[0] == '\0')
		exported_path[0] = '@';
	setenv("NOTIFY_SOCKET", exported_path, 1);
	if (watchdog_interval > 0) {
		snprintf(usec, sizeof(usec), "%.0f", watchdog_interval * 2 * 1e6);
		setenv("WATCHDOG_USEC", usec, 1);
	}
}
