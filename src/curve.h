/* curve.h - CURVE authentication for a control socket reachable from the network: the server's
 * key pair, and a ZAP handler that admits only the configured client public keys. */
#ifndef CIRQUE_CURVE_H
#define CIRQUE_CURVE_H

#include <ev.h>

#define CURVE_KEY_LEN 40              /* a Z85-encoded key */

struct zap;

/* Reads a Z85 secret key (the first non-blank line of PATH) and derives its public key; both
 * are CURVE_KEY_LEN+1 buffers. PATH must be a regular file owned by the effective user or root,
 * with no permission for group or others. Returns -1 with *why set on failure. */
int curve_load_secret(const char *path, char *secret, char *public_key, const char **why);
/* True if TEXT is a well-formed Z85 key. */
int curve_key_valid(const char *text);

/* Serves ZAP requests (inproc://zeromq.zap.01) on the loop, admitting CURVE clients whose public
 * key is in KEYS (NULL-terminated, Z85; copied). Must exist before the CURVE socket binds. */
struct zap *zap_open(struct ev_loop *loop, void *zmq_context, char **keys);
void zap_close(struct zap *zap);

#endif
