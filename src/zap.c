/* zap.c - the daemon's ZAP handler (RFC 27): admits the CURVE clients whose key is listed. */
#include "zap.h"

#include "curve.h"
#include "log.h"
#include "zwatch.h"
#include "xmalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_FRAMES 7                  /* version, id, domain, address, identity, mechanism, key */

struct zap {
	void *socket;                 /* ZMQ_REP on inproc://zeromq.zap.01 */
	struct zwatch watch;
	char **keys;                  /* admitted client public keys, Z85 */
};

static bool admitted(const struct zap *zap, const uint8_t *key, size_t len)
{
	char text[CURVE_KEY_LEN + 1];

	if (len != 32 || zmq_z85_encode(text, key, 32) == NULL)
		return false;
	for (char **k = zap->keys; *k; k++)
		if (strcmp(*k, text) == 0)
			return true;
	return false;
}

static void reply(struct zap *zap, zmq_msg_t *version, zmq_msg_t *id, bool ok)
{
	const char *code = ok ? "200" : "400", *text = ok ? "OK" : "client key not allowed";
	int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

	zsend(zap->socket, zmq_msg_data(version), zmq_msg_size(version), more);
	zsend(zap->socket, zmq_msg_data(id), zmq_msg_size(id), more);
	zsend(zap->socket, code, strlen(code), more);
	zsend(zap->socket, text, strlen(text), more);
	zsend(zap->socket, ok ? "client" : "", ok ? 6 : 0, more);
	zsend(zap->socket, "", 0, ZMQ_DONTWAIT);
}

/* One request per call is plenty: clients authenticate once per connection. */
static void on_zap_input(struct zwatch *z)
{
	struct zap *zap = z->data;
	zmq_msg_t frames[ZAP_FRAMES];
	int n = 0, more = 1;
	size_t len = sizeof(more);

	for (int i = 0; i < 16; i++) {
		n = 0;
		more = 1;
		while (more) {
			zmq_msg_t scratch, *frame = n < ZAP_FRAMES ? &frames[n] : &scratch;
			zmq_msg_init(frame);
			if (zrecv(frame, zap->socket, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(frame);
				break;
			}
			zgetsockopt(zap->socket, ZMQ_RCVMORE, &more, &len);
			if (frame == &scratch)
				zmq_msg_close(frame);
			n++;
		}
		if (n == 0)
			return;
		if (n >= 2) {
			bool ok = n == ZAP_FRAMES &&
				  zmq_msg_size(&frames[5]) == 5 &&
				  memcmp(zmq_msg_data(&frames[5]), "CURVE", 5) == 0 &&
				  admitted(zap, zmq_msg_data(&frames[6]), zmq_msg_size(&frames[6]));
			if (!ok)
				log_warnx("control: refused a CURVE client whose key is not allowed");
			reply(zap, &frames[0], &frames[1], ok);
		}
		for (int k = 0; k < n && k < ZAP_FRAMES; k++)
			zmq_msg_close(&frames[k]);
	}
}

struct zap *zap_open(struct ev_loop *loop, void *zmq_context, char **keys)
{
	struct zap *zap = xcalloc(1, sizeof(*zap));
	int count = 0, zero = 0;

	while (keys && keys[count])
		count++;
	zap->keys = xcalloc((size_t)count + 1, sizeof(char *));
	for (int i = 0; i < count; i++)
		zap->keys[i] = xstrdup(keys[i]);
	zap->socket = zmq_socket(zmq_context, ZMQ_REP);
	if (zap->socket == NULL)
		goto fail;
	zmq_setsockopt(zap->socket, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_bind(zap->socket, "inproc://zeromq.zap.01") < 0 ||
	    zwatch_start(&zap->watch, loop, zap->socket, on_zap_input, zap) < 0)
		goto fail;
	return zap;
fail:
	log_errorx("control: cannot start the CURVE authenticator: %s", zmq_strerror(zmq_errno()));
	zap_close(zap);
	return NULL;
}

void zap_close(struct zap *zap)
{
	if (zap == NULL)
		return;
	if (zap->watch.loop)
		zwatch_stop(&zap->watch);
	if (zap->socket)
		zmq_close(zap->socket);
	for (char **k = zap->keys; k && *k; k++)
		free(*k);
	free(zap->keys);
	free(zap);
}
