/* web_config.h - cirque-web's configuration file (YAML): where it listens, which cirqued it
 * talks to, who may act. */
#ifndef CIRQUE_WEB_CONFIG_H
#define CIRQUE_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define WEB_DEFAULT_LISTEN "127.0.0.1:8090"
#define WEB_MAX_ORIGINS 16

struct web_config {
	char *listen;                 /* "host:port" or "[v6]:port", as written */
	char *endpoint;               /* cirqued's control endpoint, NULL: cirquectl's default */
	char *token_file;             /* tokens of who may act, NULL: nobody */
	bool actions;                 /* start/stop/... allowed (with a token) */
	char *tls_cert, *tls_key;     /* PEM files: HTTPS; both or neither */
	char *origins[WEB_MAX_ORIGINS];  /* more origins the page is served as (a reverse proxy) */
	int norigins;
	int refresh_seconds;          /* how often the page asks for CPU and memory figures */
};

/* Reads PATH into CONFIG (defaults for what it leaves out). Returns -1 with WHY
 * ("file:line:column: message") on the first error; nothing is half-applied. */
int web_config_load(const char *path, struct web_config *config, char *why, size_t size);
void web_config_defaults(struct web_config *config);
void web_config_free(struct web_config *config);

/* A token file: one token per line, "name:token" or the token alone (named "token"); blank lines
 * and lines starting with '#' ignored. It must be a regular file owned by us or root, with no
 * permission for group or others, and each token at least 16 characters. */
#define WEB_MAX_TOKENS 32
struct web_tokens {
	char *names[WEB_MAX_TOKENS];
	char *tokens[WEB_MAX_TOKENS];
	int count;
	struct web_tokens *replaced;  /* the set this one replaced (SIGHUP), kept until the end */
};
/* Frees T and every set it replaced (tokens wiped first). */
void web_tokens_free(struct web_tokens *t);
int web_tokens_load(const char *path, struct web_tokens *out, char *why, size_t size);
/* The name of the token TOKEN (LEN bytes) is, or NULL. Every token is compared in full, in time
 * that does not depend on where they differ. */
const char *web_tokens_match(const struct web_tokens *t, const char *token, size_t len);

#endif
