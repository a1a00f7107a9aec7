/* safefs.c - safe walks of paths that someone else might change (see safefs.h).
 *
 * The walk keeps a stack of the directories entered, each an O_PATH descriptor with what we
 * know of it, so that ".." goes back to the directory we actually came from and a symbolic
 * link's target is resolved from where the link was. */
#include "safefs.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 128                 /* directories on the stack */
#define MAX_LINKS 40                  /* symbolic links in one walk, as the kernel's MAXSYMLINKS */

struct level {
	int fd;                       /* O_PATH */
	bool chain_ok;                /* its name and every one above cannot be changed by others */
	bool trusted;                 /* chain_ok, owned by root or us, not writable by others */
	bool sticky_ok;               /* chain_ok, owned by root or us, sticky */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	size_t where_len;             /* length of w->where when it was entered */
};

struct walk {
	struct level stack[MAX_DEPTH];
	int depth;
	int links;                    /* symbolic links followed so far */
	bool tainted;                 /* a ".." left a directory others can change: the path no
				       * longer names what was checked, nothing after is trusted */
	char where[PATH_MAX];         /* the directory reached, as a path, for messages */
	char *why;
};

bool safefs_owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static int refuse(struct walk *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct walk *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w->why) {
		va_start(ap, fmt);
		vsnprintf(w->why, SAFEFS_WHY, fmt, ap);
		va_end(ap);
	}
	errno = err;
	return -1;
}

static struct level *top(struct walk *w)
{
	return &w->stack[w->depth - 1];
}

/* Can nobody but root or us replace the entry ST in directory L? In a sticky directory an
 * entry of ours stays ours, unless it is a second name (a hard link anyone may have made to
 * one of our files or links). */
static bool entry_fixed(const struct level *l, const struct stat *st)
{
	return l->trusted || (l->sticky_ok && safefs_owner_ok(st->st_uid) &&
			      (S_ISDIR(st->st_mode) || st->st_nlink == 1));
}

/* Who, besides root and us, can change the entries of L: for messages. */
static const char *who_can_change(const struct level *l, char *buf, size_t len)
{
	if (!l->chain_ok)
		snprintf(buf, len, "a directory others can change (one above it is)");
	else if (!safefs_owner_ok(l->uid))
		snprintf(buf, len, "a directory owned by uid %u", (unsigned)l->uid);
	else if (l->mode & S_IWOTH)
		snprintf(buf, len, "a directory writable by everyone (mode %04o)",
			 (unsigned)(l->mode & 07777));
	else if (l->mode & S_IWGRP)
		snprintf(buf, len, "a directory writable by group %u (mode %04o)", (unsigned)l->gid,
			 (unsigned)(l->mode & 07777));
	else
		snprintf(buf, len, "a sticky directory where it is not root's nor ours");
	return buf;
}

static const char *where(const struct walk *w)
{
	return w->where[0] ? w->where : "/";
}

static int push(struct walk *w, int fd, const struct stat *st, bool chain_ok, const char *name)
{
	struct level *l;
	size_t len = strlen(w->where);

	if (w->depth == MAX_DEPTH) {
		close(fd);
		return refuse(w, ENAMETOOLONG, "%s: too deep", where(w));
	}
	l = &w->stack[w->depth++];
	l->fd = fd;
	chain_ok = chain_ok && !w->tainted;
	l->chain_ok = chain_ok;
	l->uid = st->st_uid;
	l->gid = st->st_gid;
	l->mode = st->st_mode;
	l->trusted = chain_ok && safefs_owner_ok(st->st_uid) && !(st->st_mode & (S_IWGRP | S_IWOTH));
	l->sticky_ok = chain_ok && safefs_owner_ok(st->st_uid) && (st->st_mode & S_ISVTX);
	l->where_len = len;
	if (name && len + 1 + strlen(name) < sizeof(w->where)) {
		w->where[len] = '/';
		strcpy(w->where + len + 1, name);
	}
	return 0;
}

static void pop(struct walk *w)
{
	struct level *l = top(w);

	if (l->fd >= 0)
		close(l->fd);
	w->where[l->where_len] = '\0';
	w->depth--;
}

/* ".." : back to the directory we came from. Leaving one that others can change taints the
 * walk: they could turn what we went through into a link, and the same path string would then
 * name another directory (some callers hand the path, not the descriptor, to bind or libzmq). */
static void leave(struct walk *w)
{
	if (!top(w)->trusted) {
		w->tainted = true;
		pop(w);
		top(w)->chain_ok = top(w)->trusted = top(w)->sticky_ok = false;
		return;
	}
	pop(w);
}

static void pop_to_root(struct walk *w)
{
	while (w->depth > 1)
		pop(w);
}

static void walk_free(struct walk *w)
{
	while (w->depth > 0)
		pop(w);
}

static int walk_init(struct walk *w, char *why)
{
	struct stat st;
	int fd;

	w->depth = 0;
	w->links = 0;
	w->tainted = false;
	w->where[0] = '\0';
	w->why = why;
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return refuse(w, errno, "cannot open /: %s", strerror(errno));
	}
	return push(w, fd, &st, true, NULL);
}

/* Reads the link LFD (an O_PATH descriptor of NAME) into TARGET, counting it. */
static int read_link(struct walk *w, int lfd, const char *name, char *target, size_t size)
{
	ssize_t n;

	if (++w->links > MAX_LINKS)
		return refuse(w, ELOOP, "%s/%s: too many symbolic links", w->where, name);
	n = readlinkat(lfd, "", target, size);
	if (n < 0)
		return refuse(w, errno, "cannot read the link %s/%s: %s", w->where, name,
			      strerror(errno));
	if ((size_t)n >= size)
		return refuse(w, ENAMETOOLONG, "%s/%s: link target too long", w->where, name);
	target[n] = '\0';
	return 0;
}

/* May the link NAME (ST) in the current directory be followed? */
static int check_link(struct walk *w, const char *name, const struct stat *st)
{
	char who[128];

	if (entry_fixed(top(w), st))
		return 0;
	return refuse(w, ELOOP, "%s/%s is a symbolic link in %s: not followed", w->where, name,
		      who_can_change(top(w), who, sizeof(who)));
}

/* Prepends TARGET to TODO (what is left of the path), with a slash between. */
static int splice_target(struct walk *w, char *todo, size_t size, const char *target)
{
	size_t tlen = strlen(target), rlen = strlen(todo);

	if (tlen + 1 + rlen + 1 > size)
		return refuse(w, ENAMETOOLONG, "%s: path too long", target);
	memmove(todo + tlen + 1, todo, rlen + 1);
	memcpy(todo, target, tlen);
	todo[tlen] = '/';
	if (target[0] == '/')
		pop_to_root(w);
	return 0;
}

/* Enters the directory NAME of the current one, following a link if allowed; a link's target
 * is spliced into TODO instead. */
static int enter(struct walk *w, const char *name, bool create, char *todo, size_t size)
{
	char target[PATH_MAX];
	struct stat st;
	int fd;

	fd = openat(top(w)->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(top(w)->fd, name, 0755) < 0 && errno != EEXIST)
			return refuse(w, errno, "cannot create %s/%s: %s", w->where, name,
				      strerror(errno));
		fd = openat(top(w)->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return refuse(w, errno, "%s/%s: %s", w->where, name, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return refuse(w, errno, "%s/%s: %s", w->where, name, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return push(w, fd, &st, entry_fixed(top(w), &st), name);
	if (!S_ISLNK(st.st_mode)) {
		close(fd);
		return refuse(w, ENOTDIR, "%s/%s is not a directory", w->where, name);
	}
	if (check_link(w, name, &st) < 0 || read_link(w, fd, name, target, sizeof(target)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return splice_target(w, todo, size, target);
}

/* Walks PATH from the current directory (from "/" if it is absolute), entering each component. */
static int walk_path(struct walk *w, const char *path, bool create)
{
	char todo[2 * PATH_MAX], *name;

	if (strlen(path) >= sizeof(todo))
		return refuse(w, ENAMETOOLONG, "%.64s...: path too long", path);
	strcpy(todo, path);
	if (todo[0] == '/')
		pop_to_root(w);
	for (;;) {
		size_t skip = strspn(todo, "/"), len;
		memmove(todo, todo + skip, strlen(todo + skip) + 1);
		if (todo[0] == '\0')
			return 0;
		len = strcspn(todo, "/");
		name = xstrndup(todo, len);
		memmove(todo, todo + len, strlen(todo + len) + 1);
		int rc = 0;
		if (strcmp(name, "..") == 0) {
			if (w->depth > 1)
				leave(w);
		} else if (strcmp(name, ".") != 0) {
			rc = enter(w, name, create, todo, sizeof(todo));
		}
		free(name);
		if (rc < 0)
			return -1;
	}
}

/* Starts a walk at "/", or at the working directory for a relative PATH. */
static int walk_start(struct walk *w, const char *path, bool create, char *why)
{
	char cwd[PATH_MAX];

	if (walk_init(w, why) < 0)
		return -1;
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return refuse(w, errno, "cannot find the working directory: %s",
				      strerror(errno));
		if (walk_path(w, cwd, false) < 0)
			return -1;
	}
	return walk_path(w, path, create);
}

/* Hands the current directory over to the caller. */
static void take_top(struct walk *w, struct safe_dir *dir)
{
	struct level *l = top(w);

	dir->fd = l->fd;
	dir->trusted = l->trusted;
	dir->sticky_ok = l->sticky_ok;
	dir->owner = l->uid;
	dir->mode = l->mode;
	l->fd = -1;
}

int safe_dir_open(const char *path, bool create, struct safe_dir *dir, char *why)
{
	struct walk w;
	int rc;

	dir->fd = -1;
	rc = walk_start(&w, path, create, why);
	if (rc == 0)
		take_top(&w, dir);
	walk_free(&w);
	return rc;
}

int safefs_split(const char *path, char **dir, char **base)
{
	size_t len = strlen(path);
	const char *slash;

	*dir = *base = NULL;
	if (len == 0 || path[len - 1] == '/') {
		errno = EINVAL;
		return -1;
	}
	slash = strrchr(path, '/');
	*base = xstrdup(slash ? slash + 1 : path);
	*dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/")
					   : xstrndup(path, (size_t)(slash - path));
	if (strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* What a file found at the end of a walk must not be, or NULL. In a directory others can
 * change: a second name (a hard link to someone's file), and in a sticky one (/tmp) a file
 * another user made there first, as protected_regular=2 would refuse it. */
static const char *foreign_file(const struct walk *w, const struct safe_file *file,
				char *buf, size_t len)
{
	char who[128];

	if (file->fixed)
		return NULL;
	if (file->st.st_nlink > 1) {
		snprintf(buf, len, "has %lu names (hard links) in %s: refused",
			 (unsigned long)file->st.st_nlink,
			 who_can_change(&w->stack[w->depth - 1], who, sizeof(who)));
		return buf;
	}
	if (w->stack[w->depth - 1].sticky_ok && !safefs_owner_ok(file->st.st_uid)) {
		snprintf(buf, len, "belongs to uid %u, in a sticky directory: refused (another user "
			 "made it first)", (unsigned)file->st.st_uid);
		return buf;
	}
	return NULL;
}

/* The last step of a safe open: the open itself, then what the descriptor is (TYPE: S_IFREG,
 * or S_IFSOCK with O_PATH). Returns 0, 1 when NAME is a symbolic link (not opened), or -1 with
 * errno and the reason. */
static int open_last(struct walk *w, const char *name, int flags, mode_t mode, mode_t type,
		     struct safe_file *file)
{
	char problem[200];
	int fd, fl;

	fd = openat(top(w)->fd, name, (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK, mode);
	if (fd < 0 && errno == ELOOP)
		return 1;
	if (fd < 0)
		return refuse(w, errno, "%s/%s: %s", w->where, name, strerror(errno));
	if (fstat(fd, &file->st) < 0)
		goto fail;
	if (S_ISLNK(file->st.st_mode)) {  /* O_PATH opens the link itself */
		close(fd);
		return 1;
	}
	if ((file->st.st_mode & S_IFMT) != type) {
		close(fd);
		return refuse(w, EINVAL, "%s/%s is not a %s", w->where, name,
			      type == S_IFSOCK ? "socket" : "regular file");
	}
	file->fixed = entry_fixed(top(w), &file->st);
	if (foreign_file(w, file, problem, sizeof(problem))) {
		close(fd);
		return refuse(w, EPERM, "%s/%s %s", w->where, name, problem);
	}
	if ((flags & O_TRUNC) && ftruncate(fd, 0) < 0)
		goto fail;
	if (!(flags & (O_NONBLOCK | O_PATH)) &&
	    ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		goto fail;
	snprintf(file->name, sizeof(file->name), "%s", name);
	file->fd = fd;
	return 0;
fail:
	refuse(w, errno, "%s/%s: %s", w->where, name, strerror(errno));
	close(fd);
	return -1;
}

/* NAME in the current directory is a link: checks it and reads its target. */
static int follow_last(struct walk *w, const char *name, char *target, size_t size)
{
	struct stat st;
	int lfd, rc;

	lfd = openat(top(w)->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0 || fstat(lfd, &st) < 0 || !S_ISLNK(st.st_mode)) {
		if (lfd >= 0)
			close(lfd);
		return refuse(w, ELOOP, "%s/%s: %s", w->where, name, strerror(ELOOP));
	}
	rc = check_link(w, name, &st);
	if (rc == 0)
		rc = read_link(w, lfd, name, target, size);
	close(lfd);
	return rc;
}

static int safe_open(const char *path, int flags, mode_t mode, bool create_dirs, mode_t type,
		     struct safe_file *file, struct safe_dir *dir, char *why)
{
	char *dirpart = NULL, *base = NULL, target[PATH_MAX];
	struct walk w;
	int rc = -1;

	file->fd = -1;
	if (dir)
		dir->fd = -1;
	if (safefs_split(path, &dirpart, &base) < 0) {
		if (why)
			snprintf(why, SAFEFS_WHY, "%s: not a file name", path);
		errno = EINVAL;
		return -1;
	}
	if (walk_start(&w, dirpart, create_dirs, why) < 0)
		goto out;
	while ((rc = open_last(&w, base, flags, mode, type, file)) == 1) {
		rc = -1;
		if (follow_last(&w, base, target, sizeof(target)) < 0)
			goto out;
		free(dirpart);
		free(base);
		if (safefs_split(target, &dirpart, &base) < 0) {
			refuse(&w, EINVAL, "%s: a link to a directory, not to a file", target);
			goto out;
		}
		if (walk_path(&w, dirpart, create_dirs) < 0)
			goto out;
	}
	if (rc == 0 && dir)
		take_top(&w, dir);
out:
	walk_free(&w);
	free(dirpart);
	free(base);
	return rc;
}

int safe_file_open(const char *path, int flags, mode_t mode, bool create_dirs,
		   struct safe_file *file, struct safe_dir *dir, char *why)
{
	return safe_open(path, flags, mode, create_dirs, S_IFREG, file, dir, why);
}

int safe_socket_open(const char *path, struct safe_file *file, struct safe_dir *dir, char *why)
{
	return safe_open(path, O_PATH, 0, false, S_IFSOCK, file, dir, why);
}

int safe_mkdir_own(const char *path, mode_t mode, char *why)
{
	char *parent = NULL, *name = NULL;
	struct safe_dir p = { .fd = -1 };
	struct stat st;
	int fd = -1, err = 0;

	if (safefs_split(path, &parent, &name) < 0) {
		snprintf(why, SAFEFS_WHY, "%s: not a directory name", path);
		return -1;
	}
	if (safe_dir_open(parent, false, &p, why) < 0)
		goto out;
	if (!p.trusted && !p.sticky_ok) {
		err = EPERM;
		snprintf(why, SAFEFS_WHY, "%s is in %s (owner uid %u, mode %04o), which others can "
			 "change", path, parent, (unsigned)p.owner, (unsigned)(p.mode & 07777));
		goto out;
	}
	if (mkdirat(p.fd, name, mode) < 0 && errno != EEXIST) {
		err = errno;
		snprintf(why, SAFEFS_WHY, "cannot create %s: %s", path, strerror(err));
		goto out;
	}
	fd = openat(p.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		snprintf(why, SAFEFS_WHY, "%s: %s", path,
			 err == ELOOP || err == ENOTDIR ? "not a directory (a link or a file)" :
			 strerror(err));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		err = EPERM;
		snprintf(why, SAFEFS_WHY, "%s is owned by uid %u, not by the daemon's user (%u)", path,
			 (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		err = errno;
		snprintf(why, SAFEFS_WHY, "cannot chmod %s: %s", path, strerror(err));
	}
out:
	if (err && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (p.fd >= 0)
		close(p.fd);
	free(parent);
	free(name);
	if (err)
		errno = err;
	return fd;
}

const char *safefs_secret_problem(const struct stat *st, char *why)
{
	if (!safefs_owner_ok(st->st_uid)) {
		snprintf(why, SAFEFS_WHY, "owned by uid %u, not by uid %u or root (chown it)",
			 (unsigned)st->st_uid, (unsigned)geteuid());
		return why;
	}
	if (st->st_mode & 077) {
		snprintf(why, SAFEFS_WHY, "group or others have access to this secret key (mode "
			 "%04o; chmod 600 it)", (unsigned)(st->st_mode & 07777));
		return why;
	}
	return NULL;
}
