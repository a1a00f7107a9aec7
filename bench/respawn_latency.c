/* respawn_latency.c - how fast a supervisor replaces a child killed with SIGKILL.
 *
 *   respawn_latency DPID N [ROUNDS [TIMEOUT_MS [PAUSE_MS [COMM]]]]
 *
 * DPID must have N children running COMM (default "sleep"). Each round picks one of the children
 * that were already running when the program started (never a fresh replacement: a process that
 * dies during its first second counts as a failed start and is backed off, in cirqued as in
 * supervisord's startsecs), snapshots the children list, sends it SIGKILL and polls until the
 * victim is gone (reaped: /proc/VICTIM is no more) and a new child of DPID runs COMM. The time
 * from kill() to that moment is the round's latency. The new child is looked for among the pids
 * allocated since the kill (/proc/sys/kernel/ns_last_pid), not in the whole children list: with
 * 10,000 children, re-reading that list every 50 us would take a core from the supervisor being
 * measured. After the timed part, N children must run COMM again (else the round is a
 * timeout). A round past TIMEOUT_MS (default 5000) counts as a timeout, at TIMEOUT_MS. Rounds
 * are PAUSE_MS apart (default 10).
 *
 * Prints one summary line:
 *   n=R ok=K timeouts=T p50=MS p90=MS p99=MS max=MS min=MS mean=MS
 * (p99 over 100 rounds is the 99th smallest, nearest rank.) */
#include "proc.h"

#include <signal.h>

/* The last pid the kernel handed out in our pid namespace, or -1. */
static long last_pid(void)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return strtol(buf, NULL, 10);
}

static int gone(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/* Looks at the pids allocated after *FROM up to the last one: 1 when one is a child of DPID
 * running COMM. *FROM advances past those that are settled (another's, or running COMM); a
 * child of DPID that has not exec'd yet, or a pid not in /proc (yet: a pid is allocated before
 * its process shows there; or already gone), is looked at again next time. */
static int fresh_child(pid_t dpid, const char *comm, long *from)
{
	long last = last_pid(), settled = *from;
	int found = 0, waiting = 0;

	if (last < *from)  /* the pids wrapped around: from the start */
		*from = settled = 0;
	for (long p = *from + 1; p <= last && p - *from < 4096; p++) {
		pid_t parent = proc_parent((pid_t)p);
		if (parent == dpid && comm_is((pid_t)p, comm))
			found = 1;
		else if (parent == dpid || parent < 0)
			waiting = 1;  /* not exec'd yet, or allocated and not in /proc yet */
		if (!waiting)
			settled = p;
	}
	*from = settled;
	return found;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted V[0..N-1]. */
static double percentile(const double *v, int n, double pct)
{
	int rank = (int)((pct / 100.0) * n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

int main(int argc, char **argv)
{
	pid_t dpid;
	int want, rounds, n, count, done = 0, timeouts = 0, norig = 0;
	double timeout_ms, pause_ms, *lat, start, sum = 0;
	const char *comm;
	struct children kids;
	struct seen seen;
	unsigned *snap;
	pid_t *orig;

	if (argc < 3) {
		fprintf(stderr, "usage: respawn_latency DPID N [ROUNDS [TIMEOUT_MS [PAUSE_MS [COMM]]]]\n");
		return 2;
	}
	dpid = (pid_t)atoi(argv[1]);
	want = atoi(argv[2]);
	rounds = argc > 3 ? atoi(argv[3]) : 100;
	timeout_ms = argc > 4 ? atof(argv[4]) : 5000;
	pause_ms = argc > 5 ? atof(argv[5]) : 10;
	comm = argc > 6 ? argv[6] : "sleep";
	if (children_open(&kids, dpid) < 0) {
		fprintf(stderr, "respawn_latency: no process %d\n", (int)dpid);
		return 1;
	}
	seen_init(&seen);
	snap = calloc((size_t)seen.max, sizeof(unsigned));
	lat = calloc((size_t)rounds + 1, sizeof(double));
	if (snap == NULL || lat == NULL) {
		fprintf(stderr, "respawn_latency: out of memory\n");
		return 2;
	}

	/* The starting point: N children running COMM. */
	start = now_ms();
	for (;;) {
		n = children_read(&kids);
		if (n < 0) {
			fprintf(stderr, "respawn_latency: process %d is gone\n", (int)dpid);
			return 1;
		}
		count = seen_count(&seen, &kids, comm);
		if (count == want)
			break;
		if (now_ms() - start > 30000) {
			fprintf(stderr, "respawn_latency: %d children run %s, not %d\n", count, comm,
				want);
			return 1;
		}
		sleep_us(1000);
	}
	orig = malloc(sizeof(pid_t) * (size_t)kids.n);
	for (int i = 0; i < kids.n; i++)
		if (seen.mark[kids.pids[i]])
			orig[norig++] = kids.pids[i];
	/* A fixed shuffle: victims spread over the daemon's list, the same in every run. */
	srand(12345);
	for (int i = norig - 1; i > 0; i--) {
		int j = rand() % (i + 1);
		pid_t t = orig[i];
		orig[i] = orig[j];
		orig[j] = t;
	}

	for (int r = 0, next = 0; r < rounds && next < norig; r++) {
		unsigned tag = (unsigned)r + 1;
		pid_t victim = -1;
		double t0, t = -1;

		/* Snapshot, and check the victim is still one of the originals. */
		n = children_read(&kids);
		if (n < 0) {
			fprintf(stderr, "respawn_latency: process %d is gone\n", (int)dpid);
			return 1;
		}
		seen_count(&seen, &kids, comm);
		for (int i = 0; i < kids.n; i++)
			snap[kids.pids[i]] = tag;
		while (next < norig && victim < 0) {
			pid_t p = orig[next++];
			if (snap[p] == tag && seen.mark[p])
				victim = p;
		}
		if (victim < 0)
			break;

		long from = last_pid();
		if (kill(victim, SIGKILL) < 0) {
			perror("respawn_latency: kill");
			return 1;
		}
		t0 = now_ms();
		for (int reaped = 0, fresh = 0;;) {
			double el;
			reaped = reaped || gone(victim);
			fresh = fresh || fresh_child(dpid, comm, &from);
			el = now_ms() - t0;
			if (reaped && fresh) {
				t = el;
				break;
			}
			if (el > timeout_ms) {
				fprintf(stderr, "respawn_latency: round %d: victim %d %s, no new %s child seen\n",
					r + 1, (int)victim, reaped ? "reaped" : "not reaped", fresh ? "(but a)" : "(nor a)");
				break;
			}
			sleep_us(50);
		}
		/* Untimed: N children run COMM again (no other went missing on the way). */
		for (double end = now_ms() + timeout_ms; t >= 0;) {
			n = children_read(&kids);
			if (n < 0) {
				fprintf(stderr, "respawn_latency: process %d is gone\n", (int)dpid);
				return 1;
			}
			count = seen_count(&seen, &kids, comm);
			if (count == want)
				break;
			if (now_ms() > end) {
				fprintf(stderr, "respawn_latency: round %d: %d children run %s, not %d\n",
					r + 1, count, comm, want);
				t = -1;
				break;
			}
			sleep_us(1000);
		}
		if (t < 0) {
			timeouts++;
			t = timeout_ms;
		}
		lat[done++] = t;
		sum += t;
		if (pause_ms > 0)
			sleep_us((long)(pause_ms * 1000));
	}
	if (done == 0) {
		fprintf(stderr, "respawn_latency: no round ran\n");
		return 1;
	}
	qsort(lat, (size_t)done, sizeof(double), cmp_double);
	printf("n=%d ok=%d timeouts=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f min=%.3f mean=%.3f\n",
	       done, done - timeouts, timeouts, percentile(lat, done, 50), percentile(lat, done, 90),
	       percentile(lat, done, 99), lat[done - 1], lat[0], sum / done);
	children_close(&kids);
	return 0;
}
