/* curve.h - CURVE keys for a control socket reachable from the network: the key pair files both
 * cirqued and cirquectl read. The daemon's ZAP handler is in zap.h. */
#ifndef CIRQUE_CURVE_H
#define CIRQUE_CURVE_H

#define CURVE_KEY_LEN 40              /* a Z85-encoded key */

/* Reads a Z85 secret key (the first non-blank line of PATH) and derives its public key; both
 * are CURVE_KEY_LEN+1 buffers. PATH must be a regular file owned by the effective user or root,
 * with no permission for group or others. Returns -1 with *why set on failure. */
int curve_load_secret(const char *path, char *secret, char *public_key, const char **why);
/* True if TEXT is a well-formed Z85 key. */
int curve_key_valid(const char *text);

#endif
