/* safefs.h - opening paths that someone else might change.
 *
 * cirqued runs as root and opens paths inside directories that other users may write: a log
 * directory owned by the program's user, /tmp, a conf.d someone forgot to chown. The rule, as
 * OpenSSH's StrictModes: never follow a path that someone else can change. A path is walked one
 * component at a time from "/", each directory opened with O_NOFOLLOW relative to the previous
 * one, and a symbolic link is followed only where nobody but root or the daemon's user could
 * have put it (its directory, and every one above, is theirs and not writable by others; or it
 * sits in a sticky directory and is theirs). Files are opened relative to the directory's
 * descriptor with O_NOFOLLOW, and checked with fstat on their own descriptor.
 *
 * "Trusted" below means: root or the daemon's user owns it, and no one else can write it. */
#ifndef CIRQUE_SAFEFS_H
#define CIRQUE_SAFEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SAFEFS_WHY 320

/* A directory reached by a safe walk. */
struct safe_dir {
	int fd;            /* O_PATH descriptor: a dirfd for the *at() calls, close() when done */
	bool trusted;      /* it and every directory above it are trusted: nobody else can change
			    * its entries */
	bool sticky_ok;    /* reached safely, owned by root or us, sticky: entries owned by root or
			    * us cannot be changed by others (/tmp) */
	uid_t owner;       /* its owner and mode, for messages */
	mode_t mode;
};

/* A file opened by safe_file_open. */
struct safe_file {
	int fd;            /* the open file (-1 on failure) */
	char name[256];    /* its name in the directory reached (a link's target's, if followed) */
	struct stat st;    /* fstat of fd */
	bool fixed;        /* nobody else can replace its name: it and its directories are
			    * trusted, or it is ours in a trusted sticky directory */
};

/* Is UID root or the daemon's (effective) user? */
bool safefs_owner_ok(uid_t uid);

/* Opens directory PATH (absolute, or relative to the working directory). With CREATE, missing
 * directories are made (mode 0755, owned by the daemon's user). Returns 0, or -1 with errno and
 * WHY (SAFEFS_WHY bytes) saying what was refused: "/x/logs is a symbolic link in /x, which uid
 * 65534 can change". */
int safe_dir_open(const char *path, bool create, struct safe_dir *dir, char *why);

/* Opens PATH with open(2)'s FLAGS and MODE through a safe walk (CREATE_DIRS: as above). The last component is never a
 * link that someone else could have planted, nor anything but a regular file; in a directory
 * others can change, a file with more than one name (a planted hard link) is refused, and in a
 * sticky one a file that another user made. O_TRUNC
 * is applied only after these checks; O_NONBLOCK only if asked (a planted FIFO never blocks the
 * open). With DIR, the directory stays open there (its fd is the caller's); otherwise closed. */
int safe_file_open(const char *path, int flags, mode_t mode, bool create_dirs,
		   struct safe_file *file, struct safe_dir *dir, char *why);

/* Opens the unix socket file PATH (O_PATH) as safe_file_open opens a file: for connecting to
 * or changing exactly the socket found there, through /proc/self/fd/N. */
int safe_socket_open(const char *path, struct safe_file *file, struct safe_dir *dir, char *why);

/* Makes the directory PATH with MODE, or checks an existing one: it must be a directory (not a
 * link) owned by the daemon's user, in a directory that nobody else can change (or a sticky
 * one, as /tmp); its mode is then set to MODE. Returns its descriptor (O_RDONLY), or -1 with
 * errno and WHY. For the daemon's runtime directories. */
int safe_mkdir_own(const char *path, mode_t mode, char *why);

/* As OpenSSH with a private key: a secret's file (ST, from a safe_file_open) must be this
 * user's or root's and only theirs to read, or the secret is already out. NULL if it is fine,
 * else why not, written in WHY (SAFEFS_WHY bytes). */
const char *safefs_secret_problem(const struct stat *st, char *why);

/* Splits PATH into its directory ("." for a bare name) and its last component, both allocated.
 * Returns -1 (EINVAL) when the last component is not a name: "", "/", "x/", "x/..". */
int safefs_split(const char *path, char **dir, char **base);

#endif
