/* web_config.c - cirque-web's configuration file and token file. */
#include "web_config.h"

#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

void web_config_defaults(struct web_config *config)
{
	memset(config, 0, sizeof(*config));
	config->listen = xstrdup(WEB_DEFAULT_LISTEN);
	config->refresh_seconds = 5;
}

void web_config_free(struct web_config *config)
{
	free(config->listen);
	free(config->endpoint);
	free(config->token_file);
	free(config->tls_cert);
	free(config->tls_key);
	for (int i = 0; i < config->norigins; i++)
		free(config->origins[i]);
	memset(config, 0, sizeof(*config));
}

struct reader {
	const char *file;
	yaml_document_t *doc;
	char *why;
	size_t size;
};

static int error_at(struct reader *r, const yaml_node_t *node, const char *fmt, const char *arg)
{
	int n = snprintf(r->why, r->size, "%s:%zu:%zu: ", r->file, node->start_mark.line + 1,
			 node->start_mark.column + 1);
	if (n >= 0 && (size_t)n < r->size)
		snprintf(r->why + n, r->size - (size_t)n, fmt, arg);
	return -1;
}

static const char *scalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int get_string(struct reader *r, const char *key, yaml_node_t *node, char **out)
{
	const char *s = scalar(node);

	if (s == NULL || *s == '\0')
		return error_at(r, node, "%s: must be a non-empty string", key);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int get_bool(struct reader *r, const char *key, yaml_node_t *node, bool *out)
{
	const char *s = scalar(node);

	if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0))
		*out = true;
	else if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0))
		*out = false;
	else
		return error_at(r, node, "%s: must be true or false", key);
	return 0;
}

static int get_origins(struct reader *r, yaml_node_t *node, struct web_config *c)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(r, node, "%s: must be a list of origins", "origins");
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(r->doc, *it);
		const char *s = scalar(item);
		if (s == NULL || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
		    strchr(strchr(s, ':') + 3, '/'))
			return error_at(r, item, "origins: '%s' is no origin (scheme://host[:port], "
					"no path)", s ? s : "");
		if (c->norigins == WEB_MAX_ORIGINS)
			return error_at(r, item, "origins: at most %s", "16");
		c->origins[c->norigins++] = xstrdup(s);
	}
	return 0;
}

static int read_key(struct reader *r, const char *key, yaml_node_t *value, struct web_config *c)
{
	if (strcmp(key, "listen") == 0)
		return get_string(r, key, value, &c->listen);
	if (strcmp(key, "endpoint") == 0) {
		const char *s = scalar(value);
		if (s && strncmp(s, "ipc://", 6) != 0 && strncmp(s, "tcp://", 6) != 0)
			return error_at(r, value, "endpoint: '%s' is no endpoint: ipc:///run/cirque/"
					"operator.sock, or tcp://127.0.0.1:PORT", s);
		return get_string(r, key, value, &c->endpoint);
	}
	if (strcmp(key, "token_file") == 0)
		return get_string(r, key, value, &c->token_file);
	if (strcmp(key, "tls_cert") == 0)
		return get_string(r, key, value, &c->tls_cert);
	if (strcmp(key, "tls_key") == 0)
		return get_string(r, key, value, &c->tls_key);
	if (strcmp(key, "actions") == 0)
		return get_bool(r, key, value, &c->actions);
	if (strcmp(key, "origins") == 0)
		return get_origins(r, value, c);
	if (strcmp(key, "refresh") == 0) {
		const char *s = scalar(value);
		char *end;
		long n = s ? strtol(s, &end, 10) : 0;
		if (s == NULL || *end || end == s || n < 1 || n > 3600)
			return error_at(r, value, "refresh: must be %s", "a number of seconds, 1 to 3600");
		c->refresh_seconds = (int)n;
		return 0;
	}
	return -2;
}

static int read_document(struct reader *r, struct web_config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(r->doc);

	if (root == NULL)
		return 0;  /* an empty file: every default */
	if (root->type != YAML_MAPPING_NODE)
		return error_at(r, root, "%s", "top level: must be a mapping");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(r->doc, p->value);
		const char *key = scalar(k);
		if (key == NULL)
			return error_at(r, k, "%s", "a key must be a string");
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
			const char *earlier = scalar(yaml_document_get_node(r->doc, q->key));
			if (earlier && strcmp(earlier, key) == 0)
				return error_at(r, k, "%s: given twice", key);
		}
		int rc = read_key(r, key, v, c);
		if (rc == -2)
			return error_at(r, k, "unknown key '%s' (known: listen, endpoint, token_file, "
					"actions, tls_cert, tls_key, origins, refresh)", key);
		if (rc < 0)
			return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return error_at(r, root, "%s", "tls_cert and tls_key go together");
	if (c->actions && c->token_file == NULL)
		return error_at(r, root, "%s", "actions: true needs a token_file (who may act)");
	return 0;
}

int web_config_load(const char *path, struct web_config *config, char *why, size_t size)
{
	FILE *f = fopen(path, "re");
	yaml_parser_t parser;
	yaml_document_t doc;
	struct web_config c;
	int rc;

	if (f == NULL) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, size, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	web_config_defaults(&c);
	struct reader r = { path, &doc, why, size };
	rc = read_document(&r, &c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc < 0) {
		web_config_free(&c);
		return -1;
	}
	web_config_free(config);
	*config = c;
	return 0;
}

/* --- tokens ----------------------------------------------------------------------------------- */

static int add_token(struct web_tokens *t, char *line, const char *path, int lineno, char *why,
		     size_t size)
{
	char *colon = strchr(line, ':');
	const char *name = "token", *token = line;

	if (colon) {
		*colon = '\0';
		name = line;
		token = colon + 1;
	}
	if (strlen(token) < 16 || *name == '\0') {
		snprintf(why, size, "%s:%d: a token must be at least 16 characters (name:token, or "
			 "the token alone)", path, lineno);
		return -1;
	}
	if (t->count == WEB_MAX_TOKENS) {
		snprintf(why, size, "%s:%d: at most %d tokens", path, lineno, WEB_MAX_TOKENS);
		return -1;
	}
	t->names[t->count] = xstrdup(name);
	t->tokens[t->count++] = xstrdup(token);
	return 0;
}

int web_tokens_load(const char *path, struct web_tokens *out, char *why, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char buf[8192], *line, *save;
	ssize_t n;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		snprintf(why, size, "%s: not a regular file", path);
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		snprintf(why, size, "%s: owned by uid %u, not by this user (uid %u) or root: "
			 "another user could have written its tokens (cirque-web must run as the "
			 "file's owner)", path, (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_mode & 077)
		snprintf(why, size, "%s: mode %03o lets group or others read it (chmod 600)", path,
			 (unsigned)(st.st_mode & 0777));
	else
		why[0] = '\0';
	if (why[0]) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || (size_t)n == sizeof(buf) - 1) {
		snprintf(why, size, "%s: %s", path, n < 0 ? strerror(errno) : "too large");
		return -1;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if (add_token(out, line, path, lineno, why, size) < 0)
			return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	if (out->count == 0) {
		snprintf(why, size, "%s: holds no token", path);
		return -1;
	}
	return 0;
}

void web_tokens_free(struct web_tokens *t)
{
	while (t) {
		struct web_tokens *older = t->replaced;
		for (int i = 0; i < t->count; i++) {
			explicit_bzero(t->tokens[i], strlen(t->tokens[i]));
			free(t->tokens[i]);
			free(t->names[i]);
		}
		free(t);
		t = older;
	}
}

/* Compares in full, whatever the lengths: the time says nothing of where they differ. */
static bool same_secret(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), n = alen > blen ? alen : blen;
	unsigned char diff = (unsigned char)(alen != blen);

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)((i < alen ? a[i] : 0) ^ (i < blen ? b[i] : 0));
	return diff == 0;
}

const char *web_tokens_match(const struct web_tokens *t, const char *token, size_t len)
{
	const char *found = NULL;

	for (int i = 0; i < t->count; i++)  /* no early exit */
		if (same_secret(token, len, t->tokens[i]) && found == NULL)
			found = t->names[i];
	return found;
}
