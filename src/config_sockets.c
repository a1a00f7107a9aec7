/* config_sockets.c - the sockets: section and the watchers' use_sockets option.
 *
 *   sockets:
 *     web: { host: 0.0.0.0, port: 8080, backlog: 1024, reuseport: false }
 *     api: { path: /run/app/api.sock, mode: "0660" }
 *   watchers:
 *     app: { cmd: "gunicorn --bind fd://$(circus.sockets.web) app:wsgi", use_sockets: [web] }
 *
 * Addresses must be numeric, as with systemd's ListenStream=: the daemon never waits on a
 * resolver, and a reload must not depend on DNS. */
#include "config_sockets.h"

#include "parse.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#define DEFAULT_BACKLOG 2048
#define DEFAULT_SOCKET_MODE 0666
#define MAX_SOCKET_NAME 64

/* A socket named by a watcher (use_sockets, or $(circus.sockets.NAME)), checked once every file
 * has been read, since sockets: may come after the watchers that use them. */
struct socket_ref {
	char *where;                  /* "file:line:column: watchers.web.use_sockets" */
	char *name;
};

struct socket_draft {
	struct socket_config *sc;
	yaml_node_t *host_node, *port_node, *path_node, *mode_node, *owner_node;
};

/* A user or group name or number -> its id; -1 when unknown. Resolved at load time, like a
 * watcher's uid and gid, so that the loop never waits on NSS. */
static long resolve_id(const char *text, bool group)
{
	char buf[4096];
	long number;

	if (parse_long(text, &number) == 0)
		return number >= 0 && number < (long)(uid_t)-1 ? number : -1;
	if (group) {
		struct group gr, *found = NULL;
		getgrnam_r(text, &gr, buf, sizeof(buf), &found);
		return found ? (long)found->gr_gid : -1;
	}
	struct passwd pw, *found = NULL;
	getpwnam_r(text, &pw, buf, sizeof(buf), &found);
	return found ? (long)found->pw_uid : -1;
}

static void get_owner(struct loader *ld, const char *path, yaml_node_t *value, bool group,
		      struct socket_draft *d)
{
	char *text = NULL;
	long id;

	d->owner_node = value;
	if (get_string(ld, path, value, &text) < 0)
		return;
	if ((id = resolve_id(text, group)) < 0)
		add_error(ld, value, "%s: unknown %s '%s'", path, group ? "group" : "user", text);
	else if (group)
		d->sc->group = (gid_t)id;
	else
		d->sc->owner = (uid_t)id;
	free(text);
}

static bool valid_socket_name(const char *name)
{
	if (*name == '\0' || strlen(name) > MAX_SOCKET_NAME)
		return false;
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("-_.", *p)))
			return false;
	return true;
}

/* "127.0.0.1", "::", "[::1]", "localhost" -> family; -1 when not a numeric address. */
static int address_family(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char inner[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(host);

	if (strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, buf) == 1)
		return AF_INET;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(inner)) {
		memcpy(inner, host + 1, len - 2);
		inner[len - 2] = '\0';
		host = inner;
	}
	return inet_pton(AF_INET6, host, buf) == 1 ? AF_INET6 : -1;
}

static void visit_socket_key(struct loader *ld, const char *parent, yaml_node_t *key,
			     yaml_node_t *value, void *arg)
{
	struct socket_draft *d = arg;
	struct socket_config *sc = d->sc;
	const char *name = scalar(key);
	char path[256];
	long number = -1;

	if (name == NULL)
		return;
	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (strcmp(name, "host") == 0) {
		d->host_node = value;
		get_string(ld, path, value, &sc->host);
	} else if (strcmp(name, "port") == 0) {
		d->port_node = value;
		if (get_int(ld, path, value, 0, &number) == 0 && number > 65535)
			add_error(ld, value, "%s: must be at most 65535, not %ld", path, number);
		else if (number >= 0)
			sc->port = (int)number;
	} else if (strcmp(name, "path") == 0) {
		d->path_node = value;
		get_string(ld, path, value, &sc->path);
	} else if (strcmp(name, "backlog") == 0) {
		if (get_int(ld, path, value, 1, &number) == 0)
			sc->backlog = number > 65535 ? 65535 : (int)number;
	} else if (strcmp(name, "mode") == 0) {
		d->mode_node = value;
		get_umask(ld, path, value, &sc->mode);
	} else if (strcmp(name, "reuseport") == 0 || strcmp(name, "so_reuseport") == 0) {
		get_bool(ld, path, value, &sc->reuseport);
	} else if (strcmp(name, "user") == 0 || strcmp(name, "group") == 0) {
		get_owner(ld, path, value, name[0] == 'g', d);
	} else {
		static const char *const keys[] = { "host", "port", "path", "backlog", "mode",
						    "user", "group", "reuseport" };
		add_error(ld, key, "%s: unknown key '%s'%s (expected host, port, path, backlog, mode, "
			  "user, group, reuseport)", parent, name,
			  did_you_mean(name, keys, sizeof(keys) / sizeof(keys[0])));
	}
}

/* One of host/port or path, each valid; the family follows from them. */
static void resolve_socket(struct loader *ld, const char *path, yaml_node_t *key,
			   struct socket_draft *d)
{
	struct socket_config *sc = d->sc;

	if (sc->path && (d->port_node || d->host_node)) {
		add_error(ld, d->path_node, "%s: a socket has either path (unix) or host and port "
			  "(tcp), not both", path);
	} else if (sc->path) {
		sc->family = AF_UNIX;
		if (sc->path[0] != '/')
			add_error(ld, d->path_node, "%s.path: must be an absolute path", path);
		else if (strlen(sc->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			add_error(ld, d->path_node, "%s.path: longer than the %zu bytes a unix socket "
				  "path may have", path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	} else if (d->port_node == NULL) {
		add_error(ld, key, "%s: needs port (with an optional host) or path", path);
	} else {
		if (sc->host == NULL)
			sc->host = xstrdup("127.0.0.1");
		size_t len = strlen(sc->host);
		if (len > 2 && sc->host[0] == '[' && sc->host[len - 1] == ']') {  /* "[::1]" -> "::1" */
			memmove(sc->host, sc->host + 1, len - 2);
			sc->host[len - 2] = '\0';
		}
		if (sc->host && (sc->family = address_family(sc->host)) < 0)
			add_error(ld, d->host_node, "%s.host: '%s' is not a numeric IPv4 or IPv6 address "
				  "(names are not resolved; use 0.0.0.0 or :: for every interface)",
				  path, sc->host);
	}
	if (d->mode_node && sc->family != AF_UNIX)
		add_error(ld, d->mode_node, "%s.mode: only for a unix socket (path)", path);
	if (d->owner_node && sc->family != AF_UNIX)
		add_error(ld, d->owner_node, "%s: user and group are only for a unix socket (path)",
			  path);
}

static void visit_socket(struct loader *ld, const char *parent, yaml_node_t *key,
			 yaml_node_t *value, void *arg)
{
	const char *name = scalar(key);
	struct config *config = ld->config;
	struct socket_draft d = { 0 };
	char path[256];

	(void)arg;
	if (name == NULL)
		return;
	snprintf(path, sizeof(path), "%s.%s", parent, name);
	if (!valid_socket_name(name)) {
		add_error(ld, key, "%s: invalid socket name '%s' (letters, digits, '-', '_', '.'; at "
			  "most %d)", parent, name, MAX_SOCKET_NAME);
		return;
	}
	if (value->type != YAML_MAPPING_NODE) {
		add_error(ld, value, "%s: must be a mapping (host and port, or path)", path);
		return;
	}
	d.sc = xcalloc(1, sizeof(*d.sc));
	d.sc->name = xstrdup(name);
	d.sc->origin = strdup_printf("%s:%zu", ld->file, key->start_mark.line + 1);
	d.sc->backlog = DEFAULT_BACKLOG;
	d.sc->mode = DEFAULT_SOCKET_MODE;
	d.sc->owner = (uid_t)-1;
	d.sc->group = (gid_t)-1;
	walk_mapping(ld, path, value, visit_socket_key, &d);
	resolve_socket(ld, path, key, &d);
	config->sockets = xreallocarray(config->sockets, (size_t)config->nsockets + 1,
				       sizeof(*config->sockets));
	config->sockets[config->nsockets++] = d.sc;
}

void load_sockets_section(struct loader *ld, yaml_node_t *map)
{
	walk_mapping(ld, "sockets", map, visit_socket, NULL);
}

static void remember_ref(struct loader *ld, const yaml_node_t *node, const char *path,
			 const char *name)
{
	ld->refs = xreallocarray(ld->refs, (size_t)ld->nrefs + 1, sizeof(*ld->refs));
	ld->refs[ld->nrefs].where = strdup_printf("%s:%zu:%zu: %s", ld->file,
						  node->start_mark.line + 1,
						  node->start_mark.column + 1, path);
	ld->refs[ld->nrefs].name = xstrdup(name);
	ld->nrefs++;
}

static bool words_contain(char **words, const char *name)
{
	for (; words && *words; words++)
		if (strcmp(*words, name) == 0)
			return true;
	return false;
}

static int add_socket_name(struct loader *ld, const char *path, yaml_node_t *item,
			   struct watcher_config *wc, int *count)
{
	const char *name = scalar(item);

	if (name == NULL || is_null(item)) {
		add_error(ld, item, "%s: each entry must be a socket name", path);
		return -1;
	}
	if (words_contain(wc->use_sockets, name)) {
		add_error(ld, item, "%s: socket '%s' is listed twice", path, name);
		return -1;
	}
	wc->use_sockets = xreallocarray(wc->use_sockets, (size_t)*count + 2, sizeof(char *));
	wc->use_sockets[(*count)++] = xstrdup(name);
	wc->use_sockets[*count] = NULL;
	remember_ref(ld, item, path, name);
	return 0;
}

int parse_use_sockets(struct loader *ld, const char *path, yaml_node_t *v,
		      struct watcher_config *wc)
{
	int count = 0;
	bool all;

	if (v->type == YAML_SCALAR_NODE && parse_bool(scalar(v), &all) == 0) {
		wc->use_all_sockets = all;
		return 0;
	}
	if (v->type == YAML_SCALAR_NODE)
		return add_socket_name(ld, path, v, wc, &count);
	if (v->type != YAML_SEQUENCE_NODE) {
		add_error(ld, v, "%s: must be a list of socket names, or true for every socket", path);
		return -1;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		if (add_socket_name(ld, path, node_at(ld, *it), wc, &count) < 0)
			return -1;
	return 0;
}

/* Appends to *NAMES (count *N) the socket names WORD mentions. */
static void collect_socket_vars(const char *word, char ***names, int *n)
{
	for (const char *p = word; (p = strchr(p, '$')); p++) {
		const size_t marker_len = socket_marker_len(p);
		if (marker_len == 0)
			continue;
		const char *start = p + marker_len, *end = strchr(start, ')');
		if (end == NULL)
			return;
		*names = xreallocarray(*names, (size_t)*n + 2, sizeof(char *));
		(*names)[(*n)++] = xstrndup(start, (size_t)(end - start));
		(*names)[*n] = NULL;
	}
}

char **watcher_socket_vars(const struct watcher_config *wc)
{
	char **names = NULL;
	int n = 0;

	for (char **w = wc->argv; w && *w; w++)
		collect_socket_vars(*w, &names, &n);
	for (char **w = wc->env; w && *w; w++)
		collect_socket_vars(*w, &names, &n);
	return names;
}

void check_socket_vars(struct loader *ld, const char *path, yaml_node_t *node,
		       struct watcher_config *wc)
{
	char **names = watcher_socket_vars(wc);

	for (char **name = names; name && *name; name++) {
		if (wc->use_all_sockets)
			remember_ref(ld, node, path, *name);
		else if (!words_contain(wc->use_sockets, *name))
			add_error(ld, node, "%s: $(circus.sockets.%s) names a socket the watcher does "
				  "not list in use_sockets", path, *name);
	}
	free_words(names);
}

void resolve_socket_refs(struct loader *ld)
{
	for (int i = 0; i < ld->nrefs; i++)
		if (config_find_socket(ld->config, ld->refs[i].name) == NULL)
			add_error_line(ld->errors, strdup_printf("%s: unknown socket '%s' (not defined "
								 "under sockets:)", ld->refs[i].where,
								 ld->refs[i].name));
}

void free_socket_refs(struct loader *ld)
{
	for (int i = 0; i < ld->nrefs; i++) {
		free(ld->refs[i].where);
		free(ld->refs[i].name);
	}
	free(ld->refs);
	ld->refs = NULL;
	ld->nrefs = 0;
}

struct socket_config *config_find_socket(const struct config *config, const char *name)
{
	for (int i = 0; i < config->nsockets; i++)
		if (strcmp(config->sockets[i]->name, name) == 0)
			return config->sockets[i];
	return NULL;
}

bool socket_config_same_binding(const struct socket_config *a, const struct socket_config *b)
{
	return a->family == b->family && same_text(a->host, b->host) && a->port == b->port &&
	       same_text(a->path, b->path) && a->reuseport == b->reuseport;
}

void socket_config_free(struct socket_config *sc)
{
	if (sc == NULL)
		return;
	free(sc->name);
	free(sc->origin);
	free(sc->host);
	free(sc->path);
	free(sc);
}
