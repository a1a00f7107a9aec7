/* ctl_throughput.c - request rate of a Circus-protocol control socket over one connection.
 *
 *   ctl_throughput [-c COMMAND] [-j PROPERTIES] [-n SEQ] [-m TOTAL] [-w WINDOW] [-W WARMUP]
 *                  [-t TIMEOUT_MS] [-p DPID] [-E] ENDPOINT
 *
 * A ZMQ DEALER connects to ENDPOINT and sends one-frame JSON requests
 * {"id": "...", "command": COMMAND (list), "properties": PROPERTIES ({})}:
 *
 *   warm-up     WARMUP (100; 0: none) requests one at a time, not counted: the connection is up
 *   sequential  SEQ (20000) requests one at a time, each sent once the previous reply is in:
 *               the round-trip rate, and each round trip's time
 *   pipelined   TOTAL (50000) requests with up to WINDOW (100) in flight: a new one is sent as
 *               each reply comes in; the throughput
 *
 * Every reply must carry the id of a request still unanswered ("id" is looked up in the reply's
 * text, the last "id" key, so no JSON library is needed) and "status": "ok"; -E (for an echo
 * server, which sends the request back) skips the status check. A reply with "status": "error" is
 * an error, one with an unknown or already answered id is unmatched, and the requests still
 * unanswered after TIMEOUT_MS (5000) without any reply are lost (the phase then ends).
 *
 * With -p, DPID's CPU time (utime + stime from /proc/DPID/stat) is read around each phase.
 *
 * Prints one summary line (times in ms unless named _us; rates in requests/s; -1: not measured):
 *   seq_n= seq_ok= seq_rate= rtt_p50_us= rtt_p90_us= rtt_p99_us= rtt_max_us= pipe_n= pipe_sent=
 *   pipe_ok= pipe_rate= window= errors= unmatched= lost= reply_bytes= dcpu_seq= dcpu_pipe= ccpu=
 * (pipe_sent: pipelined requests sent, pipe_ok: good replies to them).
 * Exits 0 when every request got a good reply, 1 otherwise, 2 on a usage or set-up error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "proc.h"

struct client {
	void *ctx, *socket;
	const char *command, *properties;
	int echo;                     /* the server echoes requests: no "status" to check */
	long errors, unmatched, lost;
	double reply_bytes, replies;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted V[0..N-1]. */
static double percentile(const double *v, long n, double pct)
{
	long rank = (long)((pct / 100.0) * (double)n + 0.999999);

	if (n == 0)
		return -1;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void send_request(struct client *c, char tag, long seq)
{
	char buf[4096];
	int len = snprintf(buf, sizeof(buf), "{\"id\":\"%c%ld\",\"command\":\"%s\",\"properties\":%s}",
			   tag, seq, c->command, c->properties);

	if (len < 0 || len >= (int)sizeof(buf)) {
		fprintf(stderr, "ctl_throughput: request too long\n");
		exit(2);
	}
	while (zmq_send(c->socket, buf, (size_t)len, 0) < 0) {
		if (zmq_errno() == EINTR)
			continue;
		fprintf(stderr, "ctl_throughput: send: %s\n", zmq_strerror(zmq_errno()));
		exit(2);
	}
}

/* Receives one reply within the socket's receive timeout. Returns 1 with *TAG and *SEQ set to the
 * reply's id ('?' and -1 when it has none that we could have sent), 0 on a timeout. A reply that
 * is not ok is counted as an error here. */
static int receive_reply(struct client *c, char *tag, long *seq)
{
	zmq_msg_t msg;
	const char *data, *p, *id = NULL;
	size_t size;
	int more = 0;
	size_t optlen = sizeof(more);

	zmq_msg_init(&msg);
	for (;;) {
		if (zmq_msg_recv(&msg, c->socket, 0) >= 0)
			break;
		if (zmq_errno() == EINTR)
			continue;
		zmq_msg_close(&msg);
		return 0;
	}
	if (zmq_getsockopt(c->socket, ZMQ_RCVMORE, &more, &optlen) == 0 && more) {
		/* A DEALER gets one frame per reply: more is a broken envelope. Drop the rest. */
		zmq_msg_t rest;
		do {
			zmq_msg_init(&rest);
			zmq_msg_recv(&rest, c->socket, 0);
			zmq_msg_close(&rest);
			optlen = sizeof(more);
		} while (zmq_getsockopt(c->socket, ZMQ_RCVMORE, &more, &optlen) == 0 && more);
		c->errors++;
	}
	size = zmq_msg_size(&msg);
	c->reply_bytes += (double)size;
	c->replies++;
	/* A NUL-terminated copy only when needed: the frame is not a C string. */
	char small[512], *text = size < sizeof(small) ? small : malloc(size + 1);
	if (text == NULL) {
		fprintf(stderr, "ctl_throughput: out of memory\n");
		exit(2);
	}
	data = zmq_msg_data(&msg);
	memcpy(text, data, size);
	text[size] = '\0';
	zmq_msg_close(&msg);

	for (p = text; (p = strstr(p, "\"id\":")) != NULL; p += 5)
		id = p + 5;
	*tag = '?';
	*seq = -1;
	if (id) {
		while (*id == ' ')
			id++;
		if (id[0] == '"' && (id[1] == 'w' || id[1] == 's' || id[1] == 'p')) {
			char *end;
			long v = strtol(id + 2, &end, 10);
			if (end != id + 2 && *end == '"' && v >= 0) {
				*tag = id[1];
				*seq = v;
			}
		}
	}
	if (!c->echo && strstr(text, "\"status\":\"ok\"") == NULL &&
	    strstr(text, "\"status\": \"ok\"") == NULL) {
		c->errors++;
		if (c->errors <= 3)
			fprintf(stderr, "ctl_throughput: reply not ok: %.200s\n", text);
	}
	if (text != small)
		free(text);
	return 1;
}

/* One request at a time; times each round trip into RTT (may be NULL). Returns the number of
 * requests answered. */
static long one_at_a_time(struct client *c, char tag, long n, double *rtt)
{
	long ok = 0;

	for (long i = 0; i < n; i++) {
		double t0 = now_us();
		char rtag;
		long rseq;

		send_request(c, tag, i);
		for (;;) {
			if (!receive_reply(c, &rtag, &rseq)) {
				c->lost += n - i;
				return ok;
			}
			if (rtag == tag && rseq == i)
				break;
			c->unmatched++;   /* not the request we wait for: keep waiting for it */
		}
		if (rtt)
			rtt[ok] = now_us() - t0;
		ok++;
	}
	return ok;
}

/* TOTAL requests, up to WINDOW in flight. Returns the number answered; *SENT_OUT is the number
 * sent. */
static long pipelined(struct client *c, long total, long window, long *sent_out)
{
	unsigned char *answered = calloc((size_t)total + 1, 1);
	long sent = 0, ok = 0, inflight = 0;

	if (answered == NULL) {
		fprintf(stderr, "ctl_throughput: out of memory\n");
		exit(2);
	}
	while (ok < total) {
		char rtag;
		long rseq;

		while (inflight < window && sent < total) {
			send_request(c, 'p', sent++);
			inflight++;
		}
		if (!receive_reply(c, &rtag, &rseq)) {
			c->lost += sent - ok;   /* (the ones never sent are not counted) */
			break;
		}
		if (rtag != 'p' || rseq >= sent || answered[rseq]) {
			c->unmatched++;
			continue;
		}
		answered[rseq] = 1;
		ok++;
		inflight--;
	}
	free(answered);
	*sent_out = sent;
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: ctl_throughput [-c COMMAND] [-j PROPERTIES] [-n SEQ] [-m TOTAL] "
			"[-w WINDOW] [-W WARMUP] [-t TIMEOUT_MS] [-p DPID] [-E] ENDPOINT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct client c = { .command = "list", .properties = "{}" };
	long nseq = 20000, total = 50000, window = 100, warmup = 100;
	int timeout_ms = 5000, zero = 0, opt;
	pid_t dpid = 0;
	double *rtt, t0, t1, c0, c1, seq_rate = -1, pipe_rate = -1;
	double dcpu_seq = -1, dcpu_pipe = -1, ccpu0;
	long seq_ok = 0, pipe_ok = 0, pipe_sent = 0, w_ok;
	char identity[64];

	while ((opt = getopt(argc, argv, "c:j:n:m:w:W:t:p:E")) != -1) {
		switch (opt) {
		case 'c': c.command = optarg; break;
		case 'j': c.properties = optarg; break;
		case 'n': nseq = atol(optarg); break;
		case 'm': total = atol(optarg); break;
		case 'w': window = atol(optarg); break;
		case 'W': warmup = atol(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'p': dpid = (pid_t)atoi(optarg); break;
		case 'E': c.echo = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || nseq < 0 || total < 0 || window < 1 || warmup < 0)
		usage();
	prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive the benchmark script */

	c.ctx = zmq_ctx_new();
	c.socket = c.ctx ? zmq_socket(c.ctx, ZMQ_DEALER) : NULL;
	if (c.socket == NULL) {
		fprintf(stderr, "ctl_throughput: zmq: %s\n", zmq_strerror(zmq_errno()));
		return 2;
	}
	snprintf(identity, sizeof(identity), "ctl-throughput-%d", (int)getpid());
	zmq_setsockopt(c.socket, ZMQ_IDENTITY, identity, strlen(identity));
	zmq_setsockopt(c.socket, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(c.socket, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	if (zmq_connect(c.socket, argv[optind]) < 0) {
		fprintf(stderr, "ctl_throughput: connect %s: %s\n", argv[optind], zmq_strerror(zmq_errno()));
		return 2;
	}
	rtt = malloc(sizeof(double) * (size_t)(nseq + 1));
	if (rtt == NULL) {
		fprintf(stderr, "ctl_throughput: out of memory\n");
		return 2;
	}

	ccpu0 = self_cpu_ms();
	w_ok = one_at_a_time(&c, 'w', warmup, NULL);
	if (w_ok < warmup) {
		fprintf(stderr, "ctl_throughput: no reply from %s within %d ms\n", argv[optind], timeout_ms);
		return 2;
	}
	/* The warm-up's counters are not the measurement's. */
	c.errors = c.unmatched = c.lost = 0;
	c.reply_bytes = c.replies = 0;

	if (nseq > 0) {
		c0 = proc_cpu_ms(dpid);
		t0 = now_us();
		seq_ok = one_at_a_time(&c, 's', nseq, rtt);
		t1 = now_us();
		c1 = proc_cpu_ms(dpid);
		seq_rate = seq_ok / ((t1 - t0) / 1e6);
		if (c0 >= 0 && c1 >= 0)
			dcpu_seq = c1 - c0;
		qsort(rtt, (size_t)seq_ok, sizeof(double), cmp_double);
	}
	if (total > 0) {
		c0 = proc_cpu_ms(dpid);
		t0 = now_us();
		pipe_ok = pipelined(&c, total, window, &pipe_sent);
		t1 = now_us();
		c1 = proc_cpu_ms(dpid);
		pipe_rate = pipe_ok / ((t1 - t0) / 1e6);
		if (c0 >= 0 && c1 >= 0)
			dcpu_pipe = c1 - c0;
	}
	printf("seq_n=%ld seq_ok=%ld seq_rate=%.0f rtt_p50_us=%.1f rtt_p90_us=%.1f rtt_p99_us=%.1f "
	       "rtt_max_us=%.1f pipe_n=%ld pipe_sent=%ld pipe_ok=%ld pipe_rate=%.0f window=%ld errors=%ld "
	       "unmatched=%ld lost=%ld reply_bytes=%.0f dcpu_seq=%.0f dcpu_pipe=%.0f ccpu=%.0f\n",
	       nseq, seq_ok, seq_rate, percentile(rtt, seq_ok, 50), percentile(rtt, seq_ok, 90),
	       percentile(rtt, seq_ok, 99), seq_ok ? rtt[seq_ok - 1] : -1.0, total, pipe_sent, pipe_ok,
	       pipe_rate, window, c.errors, c.unmatched, c.lost,
	       c.replies ? c.reply_bytes / c.replies : 0.0, dcpu_seq, dcpu_pipe,
	       self_cpu_ms() - ccpu0);
	fflush(stdout);
	free(rtt);
	zmq_close(c.socket);
	zmq_ctx_term(c.ctx);
	return seq_ok == nseq && pipe_ok == total && c.errors == 0 && c.unmatched == 0 ? 0 : 1;
}
