/* notify.h - the sd_notify protocol towards our own supervisor (systemd, Type=notify). */
#ifndef CIRQUE_NOTIFY_H
#define CIRQUE_NOTIFY_H

#include <ev.h>
#include <stdbool.h>

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then unsets them so that no child
 * (copy_env) ever talks to systemd as if it were us. Call before the configuration is read. */
void notify_init(void);
/* Starts WATCHDOG=1 pings at half of WATCHDOG_USEC, if systemd asked for them. */
void notify_start_watchdog(struct ev_loop *loop);
/* Sends "KEY=VALUE\n..." as one datagram; nothing when not run by systemd. Never blocks. */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_close(void);
/* Before an exec of ourselves (reexec.h): puts $NOTIFY_SOCKET and $WATCHDOG_USEC back for the
 * new image (ON), or takes them out again after a failed exec. */
void notify_export(bool on);

#endif
