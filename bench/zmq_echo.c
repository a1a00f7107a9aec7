/* zmq_echo.c - the floor of part g: a ZMQ ROUTER that sends every message straight back.
 *
 *   zmq_echo ENDPOINT
 *
 * It binds ENDPOINT and returns each message it receives, [identity, frames...], frame by frame
 * and zero-copy, on one thread with blocking calls: no JSON, no event loop, no work. What
 * ctl_throughput measures against it is what the ZMQ transport itself allows, the ceiling of
 * any daemon that speaks Circus's protocol on one socket. It exits on SIGTERM, or when its parent
 * dies (PR_SET_PDEATHSIG). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <zmq.h>

int main(int argc, char **argv)
{
	void *ctx, *sock;
	int zero = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: zmq_echo ENDPOINT\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;
	ctx = zmq_ctx_new();
	sock = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
	if (sock == NULL) {
		fprintf(stderr, "zmq_echo: %s\n", zmq_strerror(zmq_errno()));
		return 2;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_bind(sock, argv[1]) < 0) {
		fprintf(stderr, "zmq_echo: bind %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
		return 2;
	}
	for (;;) {
		zmq_msg_t frame;
		int more = 0;
		size_t len = sizeof(more);

		zmq_msg_init(&frame);
		if (zmq_msg_recv(&frame, sock, 0) < 0) {
			zmq_msg_close(&frame);
			if (zmq_errno() == EINTR)
				continue;
			fprintf(stderr, "zmq_echo: recv: %s\n", zmq_strerror(zmq_errno()));
			return 1;
		}
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len);
		/* The first frame is the peer's identity: sent back first, it routes the reply. */
		if (zmq_msg_send(&frame, sock, more ? ZMQ_SNDMORE : 0) < 0)
			zmq_msg_close(&frame);
	}
}
