/* fuzz_control.c - libFuzzer target: the control socket end to end. Each input is sent as one
 * multipart message (frames separated by "\n\x1e\n") by a DEALER over inproc:// to the daemon's
 * real ROUTER, through control.c's framing and JSON checks, commands.c's dispatch and every
 * handler, against an arbiter with watchers but no real process (spawn_stub.c). Every answer
 * must be a JSON object with a status. The daemon is rebuilt for each input, so that a crash
 * reproduces from its input alone. */
#include "arbiter.h"
#include "commands.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "stream.h"

#include <ev.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define SEPARATOR "\n\x1e\n"
#define MAX_ROUNDS 40

static const char config_text[] =
	"watchers:\n"
	"  web: {cmd: /bin/true --port 80$(circus.wid), numprocesses: 3, priority: 2}\n"
	"  worker: {cmd: /bin/true, autostart: false, max_retry: 1, graceful_timeout: 1}\n"
	"  db: {cmd: /bin/true, priority: 9, ready: {tcp: 1}, stdout: {file: /dev/null}}\n"
	"  stopped: {cmd: /bin/true, autostart: false, singleton: true}\n";

static struct ev_loop *loop;
static void *context, *dealer;
static struct arbiter arbiter;
static char config_path[] = "/tmp/cirque-fuzz-control.XXXXXX";
/* A new name each time: a closed inproc socket releases its name only once libzmq's reaper
 * thread has destroyed it. */
static char endpoint[64];
static unsigned generation;

static void setup_once(void)
{
	int fd = mkstemp(config_path);

	if (fd < 0 || write(fd, config_text, sizeof(config_text) - 1) < 0)
		abort();
	close(fd);
	log_set_level(LL_CRITICAL);
	loop = ev_default_loop(0);
	context = zmq_ctx_new();
	streams_init(loop, NULL);
	dealer = zmq_socket(context, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
}

static void daemon_up(void)
{
	struct config_errors errors = { 0 };
	struct config *config;

	if (config_load(config_path, &config, &errors) < 0 || arbiter_init(&arbiter, loop, config) < 0)
		abort();
	arbiter.zmq = context;
	snprintf(endpoint, sizeof(endpoint), "inproc://cirque-fuzz-%u", generation++);
	arbiter.control = control_open(loop, context, endpoint, NULL, commands_handle, &arbiter);
	if (arbiter.control == NULL || zmq_connect(dealer, endpoint) < 0)
		abort();
	arbiter_start(&arbiter);
}

static void daemon_down(void)
{
	arbiter_free(&arbiter);  /* waiting requests are answered (ok false) */
	commands_shutdown_complete();
	zmq_disconnect(dealer, endpoint);
	control_close(arbiter.control);
}

/* A reply: [json] or, for a REQ-style request, ["", json]. */
static bool reply_is_valid(zmq_msg_t *frames, int n)
{
	zmq_msg_t *body = &frames[n - 1];
	json_t *reply = json_loadb(zmq_msg_data(body), zmq_msg_size(body), 0, NULL);
	bool ok = reply && json_is_object(reply) && json_is_string(json_object_get(reply, "status"));

	if (getenv("FUZZ_VERBOSE"))  /* to see what the corpus exercises */
		fprintf(stderr, "reply: %.*s\n", (int)zmq_msg_size(body), (char *)zmq_msg_data(body));
	json_decref(reply);
	return ok && (n == 1 || (n == 2 && zmq_msg_size(&frames[0]) == 0));
}

/* Reads every reply waiting at the dealer; aborts on a malformed one. Returns how many. */
static int drain_replies(void)
{
	int count = 0;

	for (;;) {
		zmq_msg_t frames[4];
		int n = 0, more = 1;
		while (more) {
			zmq_msg_t *m = &frames[n < 3 ? n : 3];
			zmq_msg_init(m);
			if (zmq_msg_recv(m, dealer, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(m);
				return count;
			}
			more = zmq_msg_more(m);
			if (n < 3)
				n++;
			else
				zmq_msg_close(m);
		}
		if (!reply_is_valid(frames, n)) {
			fprintf(stderr, "malformed reply\n");
			abort();
		}
		for (int i = 0; i < n; i++)
			zmq_msg_close(&frames[i]);
		count++;
	}
}

static void send_frames(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	for (;;) {
		const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		if (sep == NULL) {
			zmq_send(dealer, p, (size_t)(end - p), ZMQ_DONTWAIT);
			return;
		}
		zmq_send(dealer, p, (size_t)(sep - p), ZMQ_SNDMORE | ZMQ_DONTWAIT);
		p = sep + strlen(SEPARATOR);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (loop == NULL)
		setup_once();
	daemon_up();
	send_frames(data, size);
	for (int round = 0; round < MAX_ROUNDS; round++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (drain_replies() > 0)
			break;
	}
	daemon_down();
	for (int round = 0; round < 4; round++) {
		ev_run(loop, EVRUN_NOWAIT);
		drain_replies();
	}
	return 0;
}
