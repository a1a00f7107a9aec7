/* test_safefs.c - unit tests for src/safefs.c on a real file system: links and hard links that
 * another user planted, group-writable and sticky directories, FIFOs, created directories.
 * Run as root, "another user" is uid 65534 (nobody); as another user the ownership cases are
 * skipped. */
#include "check.h"
#include "safefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY 65534

static char base[PATH_MAX];  /* a private (0700, ours) temporary directory */
static char why[SAFEFS_WHY];

static const char *at(const char *rel)
{
	static char buf[4][2 * PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", base, rel);
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Opens PATH for appending as a log would; returns 0 or the errno. */
static int open_append(const char *path, bool *fixed)
{
	struct safe_file f;

	why[0] = '\0';
	if (safe_file_open(path, O_WRONLY | O_CREAT | O_APPEND, 0640, false, &f, NULL, why) < 0)
		return errno;
	if (fixed)
		*fixed = f.fixed;
	close(f.fd);
	return 0;
}

TEST(plain_file_in_private_directory)
{
	bool fixed = false;

	CHECK_INT(open_append(at("a.log"), &fixed), 0);
	CHECK(fixed);
	CHECK(access(at("a.log"), F_OK) == 0);
}

TEST(link_in_trusted_directory_is_followed)
{
	bool fixed = false;

	mkdir(at("real"), 0755);
	write_file(at("real/target"), "x");
	symlink("real/target", at("rel-link"));
	symlink(at("real/target"), at("abs-link"));
	symlink("../real", at("real/up-and-back"));  /* real/up-and-back -> base/real */
	CHECK_INT(open_append(at("rel-link"), &fixed), 0);
	CHECK(fixed);
	CHECK_INT(open_append(at("abs-link"), NULL), 0);
	CHECK_INT(open_append(at("real/up-and-back/target"), NULL), 0);
	CHECK_INT(open_append(at("real/../real/./target"), NULL), 0);
	struct safe_dir d;
	CHECK_INT(safe_dir_open(at("real/up-and-back"), false, &d, why), 0);
	CHECK(d.trusted);
	if (d.fd >= 0)
		close(d.fd);
}

TEST(link_loop_is_refused)
{
	symlink("loop-b", at("loop-a"));
	symlink("loop-a", at("loop-b"));
	CHECK_INT(open_append(at("loop-a"), NULL), ELOOP);
}

TEST(link_planted_by_another_user_is_refused)
{
	mkdir(at("nobody"), 0755);
	CHECK(chown(at("nobody"), NOBODY, NOBODY) == 0);
	write_file(at("secret"), "root only\n");
	chmod(at("secret"), 0600);
	symlink(at("secret"), at("nobody/app.log"));
	CHECK_INT(open_append(at("nobody/app.log"), NULL), ELOOP);
	CHECK_CONTAINS(why, "is a symbolic link in a directory owned by uid 65534");
	CHECK_INT(file_size(at("secret")), 10);
	/* A dangling link: nothing may be created where it points. */
	symlink(at("created-by-root"), at("nobody/dangling.log"));
	CHECK_INT(open_append(at("nobody/dangling.log"), NULL), ELOOP);
	CHECK(access(at("created-by-root"), F_OK) < 0);
	/* A directory on the way that is a link. */
	symlink(base, at("nobody/sub"));
	CHECK_INT(open_append(at("nobody/sub/x.log"), NULL), ELOOP);
	CHECK(access(at("x.log"), F_OK) < 0);
}

TEST(file_in_another_users_directory_is_not_fixed)
{
	bool fixed = true;

	CHECK_INT(open_append(at("nobody/own.log"), &fixed), 0);
	CHECK(!fixed);
}

TEST(hard_link_planted_by_another_user_is_refused)
{
	struct safe_file f;

	write_file(at("secret2"), "root only\n");
	CHECK(link(at("secret2"), at("nobody/linked.log")) == 0);
	CHECK_INT(open_append(at("nobody/linked.log"), NULL), EPERM);
	CHECK_CONTAINS(why, "hard links");
	/* O_TRUNC must not have cut the file before the refusal. */
	CHECK(safe_file_open(at("nobody/linked.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644, false, &f,
			     NULL, why) < 0);
	CHECK_INT(file_size(at("secret2")), 10);
	/* In a trusted directory a second name is the owner's business. */
	CHECK(link(at("secret2"), at("secret2.alias")) == 0);
	CHECK_INT(open_append(at("secret2.alias"), NULL), 0);
}

TEST(fifo_is_refused_without_blocking)
{
	int reader;

	/* Without a reader the open itself fails at once (ENXIO); with one, it is not a file. */
	mkfifo(at("nobody/fifo.log"), 0666);
	CHECK_INT(open_append(at("nobody/fifo.log"), NULL), ENXIO);
	reader = open(at("nobody/fifo.log"), O_RDONLY | O_NONBLOCK);
	CHECK(reader >= 0);
	CHECK_INT(open_append(at("nobody/fifo.log"), NULL), EINVAL);
	CHECK_CONTAINS(why, "not a regular file");
	close(reader);
}

TEST(group_writable_directory_is_untrusted)
{
	struct safe_dir d;

	mkdir(at("groupw"), 0775);
	chmod(at("groupw"), 0775);
	CHECK_INT(safe_dir_open(at("groupw"), false, &d, why), 0);
	CHECK(!d.trusted);
	close(d.fd);
	symlink(at("secret"), at("groupw/link"));
	CHECK_INT(open_append(at("groupw/link"), NULL), ELOOP);
	CHECK_CONTAINS(why, "writable by group");
	/* Below it, even a directory of ours is reached through something others can change. */
	mkdir(at("groupw/mine"), 0755);
	symlink(at("secret"), at("groupw/mine/link"));
	CHECK_INT(open_append(at("groupw/mine/link"), NULL), ELOOP);
}

TEST(sticky_directory)
{
	struct safe_dir d;

	mkdir(at("tmp"), 01777);
	chmod(at("tmp"), 01777);
	mkdir(at("tmp/ours"), 0700);
	CHECK_INT(safe_dir_open(at("tmp/ours"), false, &d, why), 0);
	CHECK(d.trusted);
	close(d.fd);
	/* Our link in /tmp stays ours; another user's is not followed. */
	symlink(at("real/target"), at("tmp/our-link"));
	CHECK_INT(open_append(at("tmp/our-link"), NULL), 0);
	symlink(at("secret"), at("tmp/their-link"));
	CHECK(lchown(at("tmp/their-link"), NOBODY, NOBODY) == 0);
	/* fs.protected_symlinks=1 makes the kernel refuse it first (EACCES). */
	int err = open_append(at("tmp/their-link"), NULL);
	CHECK(err == ELOOP || err == EACCES);
	CHECK_INT(file_size(at("secret")), 10);
	mkdir(at("tmp/theirs"), 0755);
	CHECK(chown(at("tmp/theirs"), NOBODY, NOBODY) == 0);
	CHECK_INT(safe_dir_open(at("tmp/theirs"), false, &d, why), 0);
	CHECK(!d.trusted);
	close(d.fd);
}

TEST(create_dirs)
{
	struct safe_file f;
	struct safe_dir d;
	struct stat st;

	CHECK(safe_file_open(at("new/deep/er/x.log"), O_WRONLY | O_CREAT | O_APPEND, 0640, false,
			     &f, NULL, why) < 0);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(safe_file_open(at("new/deep/er/x.log"), O_WRONLY | O_CREAT | O_APPEND, 0640, true,
				 &f, &d, why), 0);
	CHECK(f.fixed);
	CHECK(d.fd >= 0 && fstatat(d.fd, "x.log", &st, AT_SYMLINK_NOFOLLOW) == 0);
	close(f.fd);
	close(d.fd);
	CHECK(stat(at("new/deep/er"), &st) == 0 && S_ISDIR(st.st_mode));
	/* A file where a directory should be. */
	CHECK(safe_file_open(at("a.log/x"), O_RDONLY, 0, true, &f, NULL, why) < 0);
	CHECK_INT(errno, ENOTDIR);
}

TEST(split)
{
	char *d, *b;

	CHECK_INT(safefs_split("/var/log/x.log", &d, &b), 0);
	CHECK_STR(d, "/var/log");
	CHECK_STR(b, "x.log");
	free(d);
	free(b);
	CHECK_INT(safefs_split("/x", &d, &b), 0);
	CHECK_STR(d, "/");
	free(d);
	free(b);
	CHECK_INT(safefs_split("x", &d, &b), 0);
	CHECK_STR(d, ".");
	free(d);
	free(b);
	CHECK(safefs_split("/var/log/", &d, &b) < 0);
	CHECK(safefs_split("/var/..", &d, &b) < 0);
	CHECK(safefs_split("", &d, &b) < 0);
}

/* A hard link's name in a sticky directory is anyone's, though its owner is the file's: nobody
 * (on a system with fs.protected_hardlinks=0, the kernel's default) links a root-only file into
 * /tmp, and root truncates or appends to it through that name (a pidfile, a log). Root plants it
 * here to stand for nobody. Only a file with one name is fixed in a sticky directory. */
TEST(sticky_directory_hard_link_is_refused)
{
	struct safe_file f;

	mkdir(at("tmp"), 01777);
	chmod(at("tmp"), 01777);
	write_file(at("secret-sticky"), "root only\n");
	chmod(at("secret-sticky"), 0600);
	CHECK(link(at("secret-sticky"), at("tmp/cirqued.pid")) == 0);
	CHECK_INT(open_append(at("tmp/cirqued.pid"), NULL), EPERM);
	CHECK_CONTAINS(why, "hard links");
	if (safe_file_open(at("tmp/cirqued.pid"), O_WRONLY | O_CREAT | O_TRUNC, 0644, false, &f,
			   NULL, why) == 0)
		close(f.fd);
	CHECK_INT(file_size(at("secret-sticky")), 10);
}

/* The same with a symbolic link: a hard link to one of root's links (any relative or absolute
 * link root made anywhere on that file system) belongs to root, and was followed. */
TEST(sticky_directory_hard_linked_symlink_is_refused)
{
	write_file(at("secret-sticky2"), "root only\n");
	chmod(at("secret-sticky2"), 0600);
	mkdir(at("rootlinks"), 0755);
	symlink(at("secret-sticky2"), at("rootlinks/to-secret"));  /* root's own link */
	/* linkat without AT_SYMLINK_FOLLOW: a second name for the link itself */
	CHECK(linkat(AT_FDCWD, at("rootlinks/to-secret"), AT_FDCWD, at("tmp/app.log"), 0) == 0);
	int err = open_append(at("tmp/app.log"), NULL);
	CHECK(err == ELOOP || err == EPERM);
	CHECK_INT(file_size(at("secret-sticky2")), 10);
}

/* "u/sub/../.." walks back to where it started, a directory only root can change, and safe_dir_open
 * says trusted: the descriptor is right. But callers bind, or let libzmq unlink and bind, by the
 * path itself when the directory is trusted (sockets.c bind_unix, main.c prepare_ipc_dir), and
 * the kernel resolves "sub/../.." through whatever nobody has put at "sub" by then. A path that
 * climbs out of a directory others can change must not be called trusted (or sticky_ok). */
TEST(dotdot_out_of_another_users_directory)
{
	struct safe_dir d;
	struct stat by_fd, by_path;
	char path[2 * PATH_MAX];

	mkdir(at("dd"), 0755);
	mkdir(at("dd/u"), 0755);
	CHECK(chown(at("dd/u"), NOBODY, NOBODY) == 0);
	mkdir(at("dd/u/sub"), 0755);
	CHECK(chown(at("dd/u/sub"), NOBODY, NOBODY) == 0);
	mkdir(at("elsewhere"), 0700);
	mkdir(at("elsewhere/a"), 0700);
	mkdir(at("elsewhere/a/b"), 0700);
	snprintf(path, sizeof(path), "%s", at("dd/u/sub/../.."));
	CHECK_INT(safe_dir_open(path, false, &d, why), 0);
	if (d.fd < 0)
		return;
	/* nobody's move, after the check: sub becomes a link (u is nobody's to change) */
	CHECK(rename(at("dd/u/sub"), at("dd/u/old-sub")) == 0);
	CHECK(symlink(at("elsewhere/a/b"), at("dd/u/sub")) == 0);
	CHECK(lchown(at("dd/u/sub"), NOBODY, NOBODY) == 0);
	CHECK(fstat(d.fd, &by_fd) == 0 && stat(path, &by_path) == 0);
	/* trusted (or sticky_ok) must mean the path still names the checked directory */
	if (d.trusted || d.sticky_ok)
		CHECK(by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev);
	close(d.fd);
}

static void remove_tree(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", base);
}

int main(void)
{
	strcpy(base, "/tmp/cirque-safefs.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	RUN(plain_file_in_private_directory);
	RUN(link_in_trusted_directory_is_followed);
	RUN(link_loop_is_refused);
	RUN(split);
	RUN(create_dirs);
	if (geteuid() == 0) {
		RUN(link_planted_by_another_user_is_refused);
		RUN(file_in_another_users_directory_is_not_fixed);
		RUN(hard_link_planted_by_another_user_is_refused);
		RUN(fifo_is_refused_without_blocking);
		RUN(group_writable_directory_is_untrusted);
		RUN(sticky_directory);
		RUN(sticky_directory_hard_link_is_refused);
		RUN(sticky_directory_hard_linked_symlink_is_refused);
		RUN(dotdot_out_of_another_users_directory);
	} else {
		printf("not root: the cases with another user's files are skipped\n");
	}
	remove_tree();
	return check_summary();
}
