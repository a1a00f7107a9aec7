/* sockets.c - binding the sockets: section and keeping it open across reloads. */
#include "sockets.h"

#include "fdlimit.h"
#include "log.h"
#include "parse.h"
#include "reexec.h"
#include "safefs.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct listen_socket *open_sockets;

/* "127.0.0.1:8080", "[::]:8080", "/run/app.sock", for messages. */
static void describe_address(const struct socket_config *sc, int port, char *out, size_t size)
{
	if (sc->family == AF_UNIX)
		snprintf(out, size, "%s", sc->path);
	else if (sc->family == AF_INET6)
		snprintf(out, size, "[%s]:%d", sc->host, port);
	else
		snprintf(out, size, "%s:%d", sc->host, port);
}

static char *describe_error(const struct socket_config *sc, const char *step)
{
	char where[160];
	int saved = errno;

	describe_address(sc, sc->port, where, sizeof(where));
	return xasprintf("socket %s: cannot %s %s: %s", sc->name, step, where, strerror(saved));
}

static socklen_t tcp_address(const struct socket_config *sc, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (sc->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)sc->port);
		if (strcmp(sc->host, "localhost") == 0)
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			inet_pton(AF_INET, sc->host, &in->sin_addr);  /* checked by the loader */
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *host = sc->host;  /* without brackets: the loader removed them */
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)sc->port);
	inet_pton(AF_INET6, host, &in6->sin6_addr);
	return sizeof(*in6);
}

/* A unix socket's directory, walked safely (safefs.h): it may belong to the program's user, who
 * must not be able to redirect what root binds, chmods, chowns or removes there. */
struct unix_place {
	struct safe_dir dir;
	char *name;                   /* the last component */
	char why[SAFEFS_WHY];
};

static int place_open(const char *path, struct unix_place *pl)
{
	char *dir = NULL;

	pl->dir.fd = -1;
	pl->why[0] = '\0';
	if (safefs_split(path, &dir, &pl->name) < 0) {
		snprintf(pl->why, sizeof(pl->why), "not a file name");
		return -1;
	}
	int rc = safe_dir_open(dir, false, &pl->dir, pl->why);
	free(dir);
	return rc;
}

static void place_close(struct unix_place *pl)
{
	if (pl->dir.fd >= 0)
		close(pl->dir.fd);
	free(pl->name);
	pl->name = NULL;
	pl->dir.fd = -1;
}

/* Removes the socket file PATH (only a socket), without following a path someone could change. */
static void unlink_socket_file(const char *path)
{
	struct unix_place pl;
	struct stat st;

	if (place_open(path, &pl) == 0 &&
	    fstatat(pl.dir.fd, pl.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
		unlinkat(pl.dir.fd, pl.name, 0);
	place_close(&pl);
}

/* A socket file left by an earlier run is replaced; anything else at that path is not ours. */
static int clear_unix_path(struct unix_place *pl)
{
	struct stat st;

	if (fstatat(pl->dir.fd, pl->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	return unlinkat(pl->dir.fd, pl->name, 0);
}

/* Sets the mode and/or owner of the socket file through a descriptor of it (O_PATH, never a
 * link): what is changed is the socket that is there, never what a name points to. In a
 * directory others can change, only a socket with one name, owned by us or by OWNER_NOW (the
 * owner it was given): never a second name for someone else's socket (docker.sock...). */
static int set_socket_file(struct unix_place *pl, const struct socket_config *sc, bool mode,
			   bool owner, uid_t owner_now)
{
	char proc[64];
	struct stat st;
	int fd, rc = 0;

	fd = openat(pl->dir.fd, pl->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (!pl->dir.trusted && (st.st_nlink != 1 || (st.st_uid != geteuid() &&
							 st.st_uid != owner_now)))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (mode && chmod(proc, (mode_t)sc->mode) < 0)
		rc = -1;
	if (rc == 0 && owner && fchownat(fd, "", sc->owner, sc->group, AT_EMPTY_PATH) < 0)
		rc = -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Binds FD to the place: by its path where nobody else can change the directories on the way,
 * else through our descriptor of the checked directory. */
static int bind_unix(int fd, struct unix_place *pl, const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int n;

	if (pl->dir.trusted)
		n = snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	else
		n = snprintf(un.sun_path, sizeof(un.sun_path), "/proc/self/fd/%d/%s", pl->dir.fd,
			     pl->name);
	if (n < 0 || (size_t)n >= sizeof(un.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return bind(fd, (struct sockaddr *)&un, sizeof(un));
}

static int bind_unix_address(const struct socket_config *sc, int fd, char **error)
{
	struct unix_place pl;
	int rc = -1;

	if (place_open(sc->path, &pl) < 0) {
		*error = xasprintf("socket %s: cannot bind %s: %s", sc->name, sc->path, pl.why);
	} else if (clear_unix_path(&pl) < 0) {
		*error = describe_error(sc, "replace");
	} else if (bind_unix(fd, &pl, sc->path) < 0) {
		*error = describe_error(sc, "bind");
	} else if (set_socket_file(&pl, sc, true, false, geteuid()) < 0) {
		*error = describe_error(sc, "set the mode of");
		unlinkat(pl.dir.fd, pl.name, 0);
	} else if ((sc->owner != (uid_t)-1 || sc->group != (gid_t)-1) &&
		   set_socket_file(&pl, sc, false, true, geteuid()) < 0) {
		*error = describe_error(sc, "set the owner of");
		unlinkat(pl.dir.fd, pl.name, 0);
	} else {
		rc = 0;
	}
	place_close(&pl);
	return rc;
}

static int bind_address(const struct socket_config *sc, int fd, char **error)
{
	if (sc->family == AF_UNIX)
		return bind_unix_address(sc, fd, error);
	struct sockaddr_storage ss;
	socklen_t len = tcp_address(sc, &ss);
	int on = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (sc->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)) {
		*error = describe_error(sc, "set socket options on");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		*error = describe_error(sc, "bind");
		return -1;
	}
	return 0;
}

/* The port the kernel chose for port: 0. */
static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* --- sockets kept by survivors -------------------------------------------------------------- */

static sockets_reclaim_fn reclaimer;

void sockets_set_reclaimer(sockets_reclaim_fn fn)
{
	reclaimer = fn;
}

bool sockets_fd_matches(const struct socket_config *sc, int fd)
{
	struct sockaddr_storage ss, want;
	socklen_t len = sizeof(ss);
	int on = 0;
	socklen_t on_len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &on_len) < 0 || !on ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0 || ss.ss_family != sc->family)
		return false;
	if (sc->family == AF_UNIX)
		return strcmp(((struct sockaddr_un *)&ss)->sun_path, sc->path) == 0;
	socklen_t want_len = tcp_address(sc, &want);
	return sc->port != 0 && want_len == len && memcmp(&ss, &want, len) == 0;
}

/* Binds and listens; the result is blocking, as systemd passes sockets unless told otherwise. */
static struct listen_socket *listen_socket_open(struct socket_config *sc, char **error)
{
	struct listen_socket *ls = xcalloc(1, sizeof(*ls));
	char where[160];
	int fd;

	/* The processes a cirqued that died left running may listen on it still (use_sockets): the
	 * very socket is taken back from them, else the bind would fail (survivors.h). */
	fd = reclaimer ? reclaimer(sc) : -1;
	if (fd >= 0) {
		log_info("socket %s: taken back from the processes of the cirqued that died", sc->name);
		goto listen_on;
	}
	fd = fd_keep(socket(sc->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (fd < 0) {
		*error = describe_error(sc, "create a socket for");
		free(ls);
		return NULL;
	}
	if (bind_address(sc, fd, error) < 0) {
		close(fd);
		free(ls);
		return NULL;
	}
listen_on:
	if (listen(fd, sc->backlog) < 0) {
		*error = describe_error(sc, "listen on");
		if (sc->family == AF_UNIX)
			unlink_socket_file(sc->path);
		close(fd);
		free(ls);
		return NULL;
	}
	ls->config = sc;
	ls->fd = fd;
	ls->port = sc->family == AF_UNIX ? 0 : bound_port(fd);
	describe_address(sc, ls->port, where, sizeof(where));
	log_info("socket %s: listening on %s (fd %d)", sc->name, where, fd);
	return ls;
}

/* Undoes listen_socket_open for sockets bound by a reload that then failed: the configs stay
 * with the caller. */
static void discard_fresh(struct listen_socket *list)
{
	while (list) {
		struct listen_socket *next = list->next;
		if (list->config->family == AF_UNIX)
			unlink_socket_file(list->config->path);
		close(list->fd);
		free(list);
		list = next;
	}
}

/* Closes LS; its socket file goes too, unless KEEP_PATH (a new socket now lives there). */
static void listen_socket_close(struct listen_socket *ls, bool keep_path)
{
	if (ls->config->family == AF_UNIX && !keep_path)
		unlink_socket_file(ls->config->path);
	close(ls->fd);
	socket_config_free(ls->config);
	free(ls);
}

static struct listen_socket *find_open(const char *name)
{
	for (struct listen_socket *ls = open_sockets; ls; ls = ls->next)
		if (strcmp(ls->config->name, name) == 0)
			return ls;
	return NULL;
}

static void push_name(char ***names, int *n, const char *name)
{
	*names = xreallocarray(*names, (size_t)*n + 2, sizeof(char *));
	(*names)[(*n)++] = xstrdup(name);
	(*names)[*n] = NULL;
}

/* An old socket with the same binding keeps serving under the new definition. */
static void adjust_in_place(struct listen_socket *ls, struct socket_config *sc)
{
	if (ls->config->backlog != sc->backlog && listen(ls->fd, sc->backlog) < 0)
		log_warn("socket %s: cannot change the backlog to %d", sc->name,
	     sc->backlog);
	if (sc->family == AF_UNIX) {
		bool mode = ls->config->mode != sc->mode;
		bool owner = ls->config->owner != sc->owner || ls->config->group != sc->group;
		struct unix_place pl = { .dir.fd = -1 };
		if ((mode || owner) && place_open(sc->path, &pl) < 0)
			log_msg(LL_WARNING, "socket %s: cannot change %s: %s", sc->name, sc->path,
				pl.why);
		else if ((mode || owner) &&
			 set_socket_file(&pl, sc, mode, owner, ls->config->owner) < 0)
			log_warn("socket %s: cannot change the mode or owner of %s",
		     sc->name, sc->path);
		if (mode || owner)
			place_close(&pl);
	}
	socket_config_free(ls->config);
	ls->config = sc;
}

static bool path_in_list(const struct listen_socket *list, const char *path)
{
	for (; list; list = list->next)
		if (list->config->family == AF_UNIX && strcmp(list->config->path, path) == 0)
			return true;
	return false;
}

int sockets_apply(struct socket_config **configs, int n, char ***rebound, char **error)
{
	struct listen_socket *fresh = NULL, **tail = &fresh;
	struct listen_socket **reused = xcalloc((size_t)n + 1, sizeof(*reused));
	int nrebound = 0;

	*rebound = NULL;
	*error = NULL;
	/* First bind what is new, touching nothing that is open: a failure changes nothing. */
	for (int i = 0; i < n; i++) {
		struct listen_socket *old = find_open(configs[i]->name);
		if (old && socket_config_same_binding(old->config, configs[i])) {
			reused[i] = old;
			continue;
		}
		struct listen_socket *ls = listen_socket_open(configs[i], error);
		if (ls == NULL) {
			discard_fresh(fresh);
			free_words(*rebound);
			*rebound = NULL;
			free(reused);
			return -1;
		}
		*tail = ls;
		tail = &ls->next;
		if (old)
			push_name(rebound, &nrebound, configs[i]->name);
	}
	/* Then build the new list in definition order and close what is no longer configured. */
	struct listen_socket *list = NULL, **end = &list;
	for (int i = 0; i < n; i++) {
		struct listen_socket *ls = reused[i];
		if (ls) {
			adjust_in_place(ls, configs[i]);
		} else {
			ls = fresh;
			fresh = fresh->next;
		}
		configs[i] = NULL;
		ls->next = NULL;
		*end = ls;
		end = &ls->next;
	}
	for (struct listen_socket *old = open_sockets, *next; old; old = next) {
		bool kept = false;
		next = old->next;
		for (int i = 0; i < n && !kept; i++)
			kept = reused[i] == old;
		if (!kept) {
			log_info("socket %s: closed", old->config->name);
			listen_socket_close(old, old->config->family == AF_UNIX &&
						 path_in_list(list, old->config->path));
		}
	}
	open_sockets = list;
	free(reused);
	return 0;
}

static bool list_has(char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

int sockets_of_watcher(const struct watcher_config *wc, char **names, int *fds, int max,
		       const char **missing)
{
	int n = 0;

	if (wc->use_all_sockets) {
		for (struct listen_socket *ls = open_sockets; ls && n < max; ls = ls->next) {
			names[n] = ls->config->name;
			fds[n++] = ls->fd;
		}
		return n;
	}
	for (char **name = wc->use_sockets; name && *name && n < max; name++) {
		const struct listen_socket *ls = find_open(*name);
		if (ls == NULL) {
			*missing = *name;
			return -1;
		}
		names[n] = ls->config->name;
		fds[n++] = ls->fd;
	}
	return n;
}

bool sockets_watcher_uses(const struct watcher_config *wc, char **rebound)
{
	if (rebound == NULL || rebound[0] == NULL)
		return false;
	if (wc->use_all_sockets)
		return true;
	for (char **name = wc->use_sockets; name && *name; name++)
		if (list_has(rebound, *name))
			return true;
	return false;
}

int sockets_check_watcher(const struct watcher_config *wc, char *problem, size_t size)
{
	char **vars = watcher_socket_vars(wc);
	int rc = 0;

	for (char **name = wc->use_sockets; name && *name && rc == 0; name++)
		if (find_open(*name) == NULL) {
			snprintf(problem, size, "use_sockets: unknown socket '%s'", *name);
			rc = -1;
		}
	for (char **name = vars; name && *name && rc == 0; name++) {
		if (wc->use_all_sockets ? find_open(*name) == NULL
					: !list_has(wc->use_sockets, *name)) {
			snprintf(problem, size, "$(circus.sockets.%s) names a socket the watcher does not "
				 "use", *name);
			rc = -1;
		}
	}
	free_words(vars);
	return rc;
}

json_t *sockets_describe(void)
{
	json_t *list = json_array();

	for (struct listen_socket *ls = open_sockets; ls; ls = ls->next) {
		const struct socket_config *sc = ls->config;
		json_t *item = json_pack("{s:i, s:s, s:i}", "fd", ls->fd, "name", sc->name,
					 "backlog", sc->backlog);
		if (sc->family == AF_UNIX) {
			char mode[8];
			snprintf(mode, sizeof(mode), "%04o", sc->mode);
			json_object_set_new(item, "path", json_string(sc->path));
			json_object_set_new(item, "mode", json_string(mode));
		} else {
			json_object_set_new(item, "host", json_string(sc->host));
			json_object_set_new(item, "port", json_integer(ls->port));
			json_object_set_new(item, "reuseport", json_boolean(sc->reuseport));
		}
		json_array_append_new(list, item);
	}
	return list;
}

static bool text_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* The fields of C that differ from the open socket LS. */
static json_t *socket_fields_changed(const struct listen_socket *ls, const struct socket_config *c)
{
	const struct socket_config *o = ls->config;
	json_t *fields = json_array();
	struct { const char *name; bool differs; } checks[] = {
		{ "family", o->family != c->family },
		{ "host", c->family != AF_UNIX && text_differs(o->host, c->host) },
		/* port 0 is any port: the one bound stays unless a port is named */
		{ "port", c->family != AF_UNIX && (c->port ? c->port != ls->port : o->port != 0) },
		{ "path", c->family == AF_UNIX && text_differs(o->path, c->path) },
		{ "mode", c->family == AF_UNIX && o->mode != c->mode },
		{ "owner", c->family == AF_UNIX && o->owner != c->owner },
		{ "group", c->family == AF_UNIX && o->group != c->group },
		{ "reuseport", o->reuseport != c->reuseport },
		{ "backlog", o->backlog != c->backlog },
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (checks[i].differs && (i == 0 || o->family == c->family))
			json_array_append_new(fields, json_string(checks[i].name));
	return fields;
}

json_t *sockets_compare(struct socket_config **configs, int n)
{
	json_t *out = json_object();

	for (int i = 0; i < n; i++) {
		struct listen_socket *ls = open_sockets;
		while (ls && strcmp(ls->config->name, configs[i]->name) != 0)
			ls = ls->next;
		if (ls == NULL) {
			json_object_set_new(out, configs[i]->name, json_string("added"));
			continue;
		}
		json_t *fields = socket_fields_changed(ls, configs[i]);
		if (json_array_size(fields) > 0)
			json_object_set_new(out, configs[i]->name, fields);
		else
			json_decref(fields);
	}
	for (struct listen_socket *ls = open_sockets; ls; ls = ls->next) {
		int i = 0;
		while (i < n && strcmp(ls->config->name, configs[i]->name) != 0)
			i++;
		if (i == n)
			json_object_set_new(out, ls->config->name, json_string("removed"));
	}
	return out;
}

void sockets_close_all(void)
{
	while (open_sockets) {
		struct listen_socket *next = open_sockets->next;
		listen_socket_close(open_sockets, false);
		open_sockets = next;
	}
}

/* --- re-exec (reexec.h) ------------------------------------------------------------------------ */

static json_t *socket_config_json(const struct socket_config *sc)
{
	return json_pack("{s:s, s:s?, s:i, s:s?, s:i, s:s?, s:i, s:i, s:i, s:i, s:b}", "name",
			 sc->name, "origin", sc->origin, "family", sc->family, "host", sc->host,
			 "port", sc->port, "path", sc->path, "backlog", sc->backlog, "mode",
			 sc->mode, "owner", (int)sc->owner, "group", (int)sc->group, "reuseport",
			 sc->reuseport);
}

struct socket_config *socket_config_from_json(const json_t *o)
{
	struct socket_config *sc = xcalloc(1, sizeof(*sc));
	const char *s;

	sc->name = xstrdup(json_string_value(json_object_get(o, "name")) ?: "?");
	sc->origin = (s = json_string_value(json_object_get(o, "origin"))) ? xstrdup(s) : NULL;
	sc->family = (int)json_integer_value(json_object_get(o, "family"));
	sc->host = (s = json_string_value(json_object_get(o, "host"))) ? xstrdup(s) : NULL;
	sc->port = (int)json_integer_value(json_object_get(o, "port"));
	sc->path = (s = json_string_value(json_object_get(o, "path"))) ? xstrdup(s) : NULL;
	sc->backlog = (int)json_integer_value(json_object_get(o, "backlog"));
	sc->mode = (int)json_integer_value(json_object_get(o, "mode"));
	sc->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
	sc->group = (gid_t)json_integer_value(json_object_get(o, "group"));
	sc->reuseport = json_is_true(json_object_get(o, "reuseport"));
	return sc;
}

json_t *sockets_save(void)
{
	json_t *list = json_array();

	for (const struct listen_socket *ls = open_sockets; ls; ls = ls->next) {
		json_t *one = socket_config_json(ls->config);
		json_object_set_new(one, "fd", json_integer(ls->fd));
		json_object_set_new(one, "bound_port", json_integer(ls->port));
		json_array_append_new(list, one);
		reexec_keep_fd(ls->fd);
	}
	return list;
}

void sockets_restore(const json_t *saved)
{
	struct listen_socket **tail = &open_sockets;
	const json_t *one;
	size_t i;

	json_array_foreach(saved, i, one) {
		struct listen_socket *ls = xcalloc(1, sizeof(*ls));
		ls->config = socket_config_from_json(one);
		ls->fd = (int)json_integer_value(json_object_get(one, "fd"));
		ls->port = (int)json_integer_value(json_object_get(one, "bound_port"));
		*tail = ls;
		tail = &ls->next;
	}
}
