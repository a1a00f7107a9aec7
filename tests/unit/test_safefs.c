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
	} else {
		printf("not root: the cases with another user's files are skipped\n");
	}
	remove_tree();
	return check_summary();
}
