/* zap.h - the daemon's CURVE authenticator: a ZAP handler that admits only the configured client
 * public keys (daemon only; cirquectl links curve.c alone). */
#ifndef CIRQUE_ZAP_H
#define CIRQUE_ZAP_H

#include <ev.h>

struct zap;

/* Serves ZAP requests (inproc://zeromq.zap.01) on the loop, admitting CURVE clients whose public
 * key is in KEYS (NULL-terminated, Z85; copied). Must exist before the CURVE socket binds. */
struct zap *zap_open(struct ev_loop *loop, void *zmq_context, char **keys);
void zap_close(struct zap *zap);

#endif
