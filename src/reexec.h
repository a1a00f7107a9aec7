/* reexec.h - upgrading cirqued in place (cirquectl reexec, SIGUSR2): the daemon's state is saved
 * as JSON in a memfd, the descriptors it needs are kept open, and the binary on disk (perhaps a
 * new version) is exec'd with the same pid, so the children stay its children. The new process
 * reads the state back (cirqued --resume-fd) instead of starting anything.
 *
 * Each module saves its own part (json_t *X_save(void)) and reads it back (X_restore); a
 * descriptor in a saved part is a plain integer, registered with reexec_keep_fd so that it
 * survives the exec. Saving changes nothing: if the exec fails, the daemon goes on as before. */
#ifndef CIRQUE_REEXEC_H
#define CIRQUE_REEXEC_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* The format of the saved state. A binary reads its own version and the ones before it
 * (cirqued --check-resume VERSION says whether it can). */
#define REEXEC_STATE_VERSION 1
/* What `cirqued --check-resume V` prints (then V) when it can: its exit status is not enough. */
#define REEXEC_CHECK_TOKEN "cirqued-can-resume"

/* While the state is being saved: FD must stay open across the exec (its close-on-exec flag is
 * cleared just before it, and set back if the exec fails). */
void reexec_keep_fd(int fd);
/* The descriptors registered since the last reset, as a JSON array (the new process marks
 * them close-on-exec again once it has read the state). */
json_t *reexec_kept_fds(void);
/* Forgets the list (before a save, and after a failed exec). */
void reexec_keep_reset(void);
/* A list of pids as a JSON array, and back (a malloc'd array in *OUT, its length returned). */
json_t *reexec_pids_json(const pid_t *pids, int n);
int reexec_pids_of_json(const json_t *list, pid_t **out);
/* Clears (KEEP) or sets back (!KEEP) the close-on-exec flag of every registered descriptor. */
void reexec_keep_apply(bool keep);

struct arbiter;
struct request;

/* Closes or opens again the daemon's control plane (main.c); closing keeps the ipc socket
 * files, and opening binds on the descriptors zbind_inherit was given. */
typedef void (*reexec_plane_fn)(struct arbiter *a);

/* Once the daemon runs: BINARY (absolute) is what a re-exec executes, with ARGV's options;
 * GENERATION counts the execs so far (0 for a daemon started afresh). Handles SIGUSR2. */
void reexec_init(struct arbiter *a, const char *binary, int argc, char **argv,
		 unsigned generation, reexec_plane_fn close_plane, reexec_plane_fn open_plane);
/* Re-executes (REQ answered once the exec is certain, or with why not; NULL for SIGUSR2), or
 * with CHECK_ONLY says whether it could. */
void reexec_begin(struct request *req, bool check_only);
/* {generation, binary, busy, last_result} for status. */
json_t *reexec_status(void);
void reexec_shutdown(void);
/* In the new image, once the state is taken up (CONTROL_OPEN: reexec_clock() when the control
 * socket answered again): how long it took is logged and kept for status. */
void reexec_resumed(const json_t *state, double control_open);
/* CLOCK_MONOTONIC in seconds. */
double reexec_clock(void);
/* In the new image: the state read from FD (closed), or NULL with WHY (200 bytes). */
json_t *reexec_read_state(int fd, char *why);

#endif
