/* web.c - cirque-web: the dashboard, /metrics and actions over HTTP, beside cirqued.
 *
 * A separate program, like circus-web beside circusd: the daemon that runs as root carries no
 * HTTP parser, and this one talks to it only as a client of its control and event sockets.
 * HTTP is libmicrohttpd's, on a pool of epoll threads: a browser's event stream is suspended
 * while it waits for the relay (web_cirqued.c), so it holds no thread; a request waits on
 * cirqued in its pool thread (cirqued answers at once, and fails at once when it is gone).
 *
 * Security: it listens on loopback unless told otherwise, and then only with TLS and tokens.
 * Every request must name a host it is served as (DNS rebinding). Actions need actions: true
 * and a token (a Bearer header or a form field: never a cookie, so a browser never sends it on
 * its own), and a browser's request from another origin is refused; each is logged with who. */
#include "web_config.h"
#include "web_cirqued.h"
#include "web_page.h"

#include "endpoint.h"
#include "prom.h"
#include "version.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1000            /* each costs its memory pool, never a thread */
#define MAX_PER_IP 500
#define HTTP_THREADS 4                 /* libmicrohttpd's pool: each an epoll loop */
#define IDLE_TIMEOUT 20               /* seconds a connection may stay silent */
#define MEMORY_PER_CONNECTION (32 * 1024)  /* larger headers get 431 */
#define MAX_FORM 4096                 /* an action is a few short fields */
#define CALL_TIMEOUT 10.0

extern const char web_app_js[], web_style_css[];
extern const size_t web_app_js_len, web_style_css_len;

static struct web_config config;
static struct web_tokens no_tokens;
/* Swapped whole on SIGHUP (the old set is never freed: a request may be comparing with it). */
static struct web_tokens *tokens = &no_tokens;
static bool need_auth_to_read;        /* beyond loopback: every request needs a token */
static char *allowed_hosts[WEB_MAX_ORIGINS + 4];
static int nallowed_hosts;
static char *allowed_origins[WEB_MAX_ORIGINS + 4];
static int nallowed_origins;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fputs("cirque-web: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static double now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* --- responses -------------------------------------------------------------------------------- */

static enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status,
				     const char *type, void *body, size_t len,
				     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"img-src 'self'; connect-src 'self'; form-action 'self'; "
				"frame-ancestors 'none'; base-uri 'none'");
	if (status == MHD_HTTP_UNAUTHORIZED && need_auth_to_read)
		MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"cirque\"");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return send_response(conn, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
			     MHD_RESPMEM_MUST_COPY);
}

/* JSON (consumed) as the reply. */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *value)
{
	char *body = value ? json_dumps(value, JSON_COMPACT) : NULL;

	json_decref(value);
	if (body == NULL)
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return send_response(conn, status, "application/json", body, strlen(body),
			     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_error_json(struct MHD_Connection *conn, unsigned status,
				       const char *reason)
{
	return send_json(conn, status, json_pack("{s:s, s:s}", "status", "error", "reason", reason));
}

/* --- who is asking ---------------------------------------------------------------------------- */

static void peer_of(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (info && info->client_addr)
		getnameinfo(info->client_addr, info->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
			    sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(out, size, "%s port %s", host, port);
}

static const struct web_tokens *current_tokens(void)
{
	return __atomic_load_n(&tokens, __ATOMIC_ACQUIRE);
}

static bool in_list(char *const *list, int n, const char *value)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(list[i], value) == 0)
			return true;
	return false;
}

/* The Host header names this server (as listened on, or an origin of the configuration): a
 * page of another site whose name was made to point here (DNS rebinding) is refused. */
static bool host_allowed(struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

	return host == NULL || in_list(allowed_hosts, nallowed_hosts, host);
}

/* A browser's request that another site's page made: Origin is not ours, or the browser says
 * it is cross-site (Sec-Fetch-Site). A client that is no browser sends neither. */
static bool cross_site(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");

	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return true;
	return origin && !in_list(allowed_origins, nallowed_origins, origin);
}

/* The token of "Authorization: Bearer T" (or, with BASIC, of Basic's password), or NULL. */
static const char *token_name_of_header(struct MHD_Connection *conn, bool basic)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		return web_tokens_match(current_tokens(), auth + 7, strlen(auth + 7));
	if (auth && basic) {
		char *password = NULL;
		char *user = MHD_basic_auth_get_username_password(conn, &password);
		const char *name = password ? web_tokens_match(current_tokens(), password, strlen(password))
					    : NULL;
		if (password) {
			explicit_bzero(password, strlen(password));
			MHD_free(password);
		}
		if (user)
			MHD_free(user);
		return name;
	}
	return NULL;
}

/* The HTTP status for cirqued's refusal REPLY: 404 for no such watcher or process, 409 for
 * another refusal, 502 when cirqued did not answer (NULL). */
static unsigned refusal_status(json_t *reply)
{
	const char *code = json_string_value(json_object_get(reply, "code"));

	if (reply == NULL)
		return MHD_HTTP_BAD_GATEWAY;
	if (code && (strcmp(code, "ENOENT") == 0 || strcmp(code, "ESRCH") == 0))
		return MHD_HTTP_NOT_FOUND;
	return MHD_HTTP_CONFLICT;
}

/* --- actions ---------------------------------------------------------------------------------- */

struct form {
	struct MHD_PostProcessor *parser;
	size_t size;                  /* bytes received */
	bool too_large, bad;
	char action[16], name[160], wid[16], signal[16], count[16], token[256];
	bool is_form;                 /* a POST we parse (not a GET) */
};

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *content_type,
				  const char *encoding, const char *data, uint64_t off, size_t size)
{
	struct form *f = cls;
	struct { const char *key; char *value; size_t size; } fields[] = {
		{ "action", f->action, sizeof(f->action) }, { "name", f->name, sizeof(f->name) },
		{ "wid", f->wid, sizeof(f->wid) }, { "signal", f->signal, sizeof(f->signal) },
		{ "count", f->count, sizeof(f->count) }, { "token", f->token, sizeof(f->token) },
	};

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)encoding;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key) != 0)
			continue;
		if (off + size >= fields[i].size) {
			f->bad = true;
			return MHD_NO;
		}
		memcpy(fields[i].value + off, data, size);
		fields[i].value[off + size] = '\0';
	}
	return MHD_YES;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 128 && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-_.@") == n;
}

/* A positive integer of at most 7 digits, or 0 for the empty string; -1 if bad. */
static long small_number(const char *text)
{
	char *end;
	long n;

	if (*text == '\0')
		return 0;
	if (strlen(text) > 7 || strspn(text, "0123456789") != strlen(text))
		return -1;
	n = strtol(text, &end, 10);
	return n > 0 ? n : -1;
}

/* The request to cirqued for F's action, or NULL with WHY. */
static json_t *action_request(const struct form *f, const char **command, const char **why)
{
	static const char *const signals[] = { "HUP", "TERM", "INT", "QUIT", "USR1", "USR2",
					       "KILL", "CONT", "STOP", "WINCH", "TTIN", "TTOU",
					       NULL };
	long wid = small_number(f->wid), count = small_number(f->count);
	json_t *props;

	*why = NULL;
	if (!valid_name(f->name))
		*why = "no such watcher name";
	else if (wid < 0 || count < 0)
		*why = "wid and count must be positive integers";
	if (*why)
		return NULL;
	props = json_pack("{s:s, s:b}", "name", f->name, "waiting", 0);
	if (strcmp(f->action, "start") == 0 || strcmp(f->action, "stop") == 0 ||
	    strcmp(f->action, "restart") == 0) {
		*command = strcmp(f->action, "start") == 0 ? "start" :
			   strcmp(f->action, "stop") == 0 ? "stop" : "restart";
	} else if (strcmp(f->action, "incr") == 0 || strcmp(f->action, "decr") == 0) {
		*command = f->action[0] == 'i' ? "incr" : "decr";
		json_object_set_new(props, "nb", json_integer(count ? count : 1));
		wid = 0;
	} else if (strcmp(f->action, "signal") == 0) {
		const char *sig = *f->signal ? f->signal : "TERM";
		bool known = false;
		for (const char *const *s = signals; *s; s++)
			known = known || strcmp(*s, sig) == 0;
		if (!known) {
			json_decref(props);
			*why = "unknown signal";
			return NULL;
		}
		*command = "signal";
		json_object_set_new(props, "signum", json_string(sig));
	} else {
		json_decref(props);
		*why = "unknown action (start, stop, restart, incr, decr, signal)";
		return NULL;
	}
	if (wid > 0)
		json_object_set_new(props, "wid", json_integer(wid));
	return props;
}

/* A browser without JavaScript posted a form: back to the dashboard, saying how it went. */
static enum MHD_Result redirect_with_notice(struct MHD_Connection *conn, const char *notice)
{
	char location[600], *p = location + snprintf(location, sizeof(location), "/?notice=");
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	for (const unsigned char *s = (const unsigned char *)notice;
	     *s && p < location + sizeof(location) - 4; s++)
		p += isalnum(*s) ? (*p = (char)*s, 1) : sprintf(p, "%%%02X", *s);
	*p = '\0';
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Location", location);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	rc = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return rc;
}

/* JSON for app.js and scripts (they ask for it, or authenticate with a header); a plain form
 * of a browser without JavaScript is sent back to the page. */
static bool wants_json(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");

	return (accept && strstr(accept, "application/json")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
}

/* Refused or failed: JSON for app.js, the dashboard with a notice for a plain form. */
static enum MHD_Result action_outcome(struct MHD_Connection *conn, unsigned status,
				      const char *text)
{
	if (wants_json(conn))
		return status == MHD_HTTP_OK
			? send_json(conn, status, json_pack("{s:s, s:s}", "status", "ok", "reason",
							    text))
			: send_error_json(conn, status, text);
	return redirect_with_notice(conn, text);
}

static enum MHD_Result do_action(struct MHD_Connection *conn, struct form *f)
{
	char peer[96], why[512], what[256];
	const char *command = NULL, *invalid, *who;
	json_t *props, *reply;

	peer_of(conn, peer, sizeof(peer));
	if (!config.actions) {
		say("refused an action from %s: actions are disabled", peer);
		return action_outcome(conn, MHD_HTTP_FORBIDDEN, "actions are disabled (actions: "
				      "true in cirque-web's configuration)");
	}
	if (cross_site(conn)) {
		say("refused an action from %s: a request from another site (Origin %s)", peer,
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin") ?: "none");
		return send_error_json(conn, MHD_HTTP_FORBIDDEN, "cross-site request refused");
	}
	if (f->too_large || f->bad)
		return send_error_json(conn, MHD_HTTP_BAD_REQUEST, "malformed form");
	who = *f->token ? web_tokens_match(current_tokens(), f->token, strlen(f->token))
			: token_name_of_header(conn, false);
	explicit_bzero(f->token, sizeof(f->token));
	if (who == NULL) {
		say("refused an action from %s: no valid token", peer);
		return action_outcome(conn, MHD_HTTP_UNAUTHORIZED, "a valid token is needed");
	}
	if ((props = action_request(f, &command, &invalid)) == NULL)
		return action_outcome(conn, MHD_HTTP_BAD_REQUEST, invalid);
	snprintf(what, sizeof(what), "%s %s%s%s%s%s", command, f->name, *f->wid ? ":" : "",
		 f->wid, strcmp(command, "signal") == 0 ? " " : "",
		 strcmp(command, "signal") == 0 ? json_string_value(json_object_get(props,
										     "signum"))
						: "");
	reply = cirqued_call(command, props, CALL_TIMEOUT, why, sizeof(why));
	const char *status = json_string_value(json_object_get(reply, "status"));
	if (status && strcmp(status, "ok") == 0) {
		say("%s by %s from %s: ok", what, who, peer);
		json_decref(reply);
		return action_outcome(conn, MHD_HTTP_OK, what);
	}
	if (reply)
		snprintf(why, sizeof(why), "%s", json_string_value(json_object_get(reply, "reason"))
						 ?: "refused");
	say("%s by %s from %s: failed: %s", what, who, peer, why);
	unsigned http_status = refusal_status(reply);
	json_decref(reply);
	char text[800];
	snprintf(text, sizeof(text), "%s: %s", what, why);
	return action_outcome(conn, http_status, text);
}

/* --- pages ------------------------------------------------------------------------------------ */

static json_t *metrics_or_why(char *why, size_t size)
{
	json_t *reply = cirqued_call("metrics", NULL, CALL_TIMEOUT, why, size);
	const char *status = json_string_value(json_object_get(reply, "status"));

	if (reply && !(status && strcmp(status, "ok") == 0)) {
		snprintf(why, size, "cirqued: %s", json_string_value(json_object_get(reply, "reason"))
						   ?: "refused");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static enum MHD_Result serve_dashboard(struct MHD_Connection *conn)
{
	char why[512];
	json_t *metrics = metrics_or_why(why, sizeof(why));
	struct page_options o = {
		.actions = config.actions, .refresh_seconds = config.refresh_seconds,
		.notice = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "notice"),
		.error = metrics ? NULL : why, .now = now(),
	};
	size_t len;
	char *page = page_dashboard(metrics, &o, &len);

	json_decref(metrics);
	if (page == NULL)
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return send_response(conn, metrics ? MHD_HTTP_OK : MHD_HTTP_BAD_GATEWAY,
			     "text/html; charset=utf-8", page, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn, bool as_json)
{
	char why[512];
	json_t *metrics = metrics_or_why(why, sizeof(why));
	size_t len;
	char *text;

	if (metrics == NULL)
		return as_json ? send_error_json(conn, MHD_HTTP_BAD_GATEWAY, why)
			       : send_text(conn, MHD_HTTP_BAD_GATEWAY, why);
	if (as_json) {
		json_object_set_new(metrics, "now", json_real(now()));
		return send_json(conn, MHD_HTTP_OK, metrics);
	}
	text = prom_format(metrics, &len);
	json_decref(metrics);
	if (text == NULL)
		return send_text(conn, MHD_HTTP_BAD_GATEWAY, "cirqued's reply holds no metrics\n");
	return send_response(conn, MHD_HTTP_OK, PROM_CONTENT_TYPE, text, len,
			     MHD_RESPMEM_MUST_FREE);
}

/* A process's last lines (tail), as JSON or as a page. */
static enum MHD_Result serve_output(struct MHD_Connection *conn, bool as_json)
{
	const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	const char *wid_text = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "wid");
	const char *stream = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "stream");
	const char *lines_text = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lines");
	long wid = small_number(wid_text ? wid_text : ""), lines = small_number(lines_text ?: "");
	char why[512];

	if (name == NULL || !valid_name(name) || wid < 0 || lines < 0 || lines > 10000 ||
	    (stream && strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0))
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "name (a watcher), wid, stream (stdout or stderr), lines (<= 10000)\n");
	stream = stream ? stream : "stdout";
	json_t *props = json_pack("{s:s, s:i, s:s, s:i}", "name", name, "wid", (int)wid, "stream",
				  stream, "lines", (int)(lines ? lines : 200));
	json_t *reply = cirqued_call("tail", props, CALL_TIMEOUT, why, sizeof(why));
	const char *status = json_string_value(json_object_get(reply, "status"));
	if (reply && !(status && strcmp(status, "ok") == 0))
		snprintf(why, sizeof(why), "%s", json_string_value(json_object_get(reply, "reason"))
						 ?: "refused");
	bool ok = status && strcmp(status, "ok") == 0;
	unsigned http_status = ok ? MHD_HTTP_OK : refusal_status(reply);
	if (as_json) {
		if (!ok) {
			json_decref(reply);
			return send_error_json(conn, http_status, why);
		}
		return send_json(conn, MHD_HTTP_OK, reply);
	}
	size_t len;
	char *page = page_output(name, (int)wid, stream, ok ? reply : NULL, ok ? NULL : why, &len);
	json_decref(reply);
	if (page == NULL)
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return send_response(conn, http_status,
			     "text/html; charset=utf-8", page, len, MHD_RESPMEM_MUST_FREE);
}

/* A browser's event stream: its place in the relay, and its connection, suspended while it
 * waits (it then holds no thread: a thousand open dashboards cost memory only). */
struct event_stream {
	struct relay_cursor cursor;
	struct MHD_Connection *conn;
};

static void stream_suspend(void *arg)
{
	MHD_suspend_connection(((struct event_stream *)arg)->conn);
}

static void stream_resume(void *arg)
{
	MHD_resume_connection(((struct event_stream *)arg)->conn);
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct event_stream *s = cls;
	size_t n = relay_read(&s->cursor, buf, max);

	(void)pos;
	if (n == RELAY_PARKED)
		return 0;  /* suspended: called again once resumed */
	return n != RELAY_END ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void end_events(void *cls)
{
	struct event_stream *s = cls;

	relay_cursor_done(&s->cursor);
	free(s);
}

static enum MHD_Result serve_events(struct MHD_Connection *conn)
{
	struct event_stream *s = xmalloc(sizeof(*s));
	struct MHD_Response *r;
	enum MHD_Result rc;

	s->conn = conn;
	relay_cursor_init(&s->cursor, stream_suspend, stream_resume, s);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_events, s,
					      end_events);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");  /* nginx: pass it on at once */
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result serve_asset(struct MHD_Connection *conn, const char *type,
				   const char *data, size_t len)
{
	return send_response(conn, MHD_HTTP_OK, type, (void *)data, len, MHD_RESPMEM_PERSISTENT);
}

/* --- dispatch --------------------------------------------------------------------------------- */

static enum MHD_Result route_get(struct MHD_Connection *conn, const char *url)
{
	if (strcmp(url, "/") == 0)
		return serve_dashboard(conn);
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(conn, false);
	if (strcmp(url, "/api/metrics") == 0)
		return serve_metrics(conn, true);
	if (strcmp(url, "/api/output") == 0)
		return serve_output(conn, true);
	if (strcmp(url, "/output") == 0)
		return serve_output(conn, false);
	if (strcmp(url, "/events") == 0)
		return serve_events(conn);
	if (strcmp(url, "/app.js") == 0)
		return serve_asset(conn, "text/javascript; charset=utf-8", web_app_js,
				   web_app_js_len);
	if (strcmp(url, "/style.css") == 0)
		return serve_asset(conn, "text/css; charset=utf-8", web_style_css,
				   web_style_css_len);
	if (strcmp(url, "/healthz") == 0)
		return send_text(conn, MHD_HTTP_OK, "ok\n");
	return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct form *f = *state;

	(void)cls;
	(void)version;
	if (f == NULL) {  /* the headers are in: decide what may go on */
		if (!host_allowed(conn))
			return send_text(conn, MHD_HTTP_MISDIRECTED_REQUEST,
					 "this server is not known by that name (Host)\n");
		if (need_auth_to_read && token_name_of_header(conn, true) == NULL)
			return send_text(conn, MHD_HTTP_UNAUTHORIZED, "a token is needed\n");
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return route_get(conn, url);
		if (strcmp(method, "POST") != 0 || strcmp(url, "/action") != 0)
			return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "not allowed\n");
		f = *state = xcalloc(1, sizeof(*f));
		f->is_form = true;
		f->parser = MHD_create_post_processor(conn, 1024, form_field, f);
		if (f->parser == NULL)  /* not application/x-www-form-urlencoded */
			f->bad = true;
		return MHD_YES;
	}
	if (*upload_size > 0) {  /* more of the body */
		f->size += *upload_size;
		if (f->size > MAX_FORM)
			f->too_large = true;
		else if (!f->bad && MHD_post_process(f->parser, upload, *upload_size) != MHD_YES)
			f->bad = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (f->too_large)
		return send_error_json(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the form is too large");
	return do_action(conn, f);
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
		      enum MHD_RequestTerminationCode why)
{
	struct form *f = *state;

	(void)cls;
	(void)conn;
	(void)why;
	if (f) {
		if (f->parser)
			MHD_destroy_post_processor(f->parser);
		explicit_bzero(f, sizeof(*f));
		free(f);
		*state = NULL;
	}
}

/* --- start-up --------------------------------------------------------------------------------- */

struct listen_address {
	struct sockaddr_storage addr;
	char host[INET6_ADDRSTRLEN + 2];  /* as in a Host header: [::1] for IPv6 */
	int port;
	bool loopback, any, ipv6;
};

/* "127.0.0.1:8090", "[::1]:8090": numeric addresses only (a name could resolve elsewhere). */
static int parse_listen(const char *text, struct listen_address *out, char *why, size_t size)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon = strrchr(text, ':'), *h = text;
	size_t hlen = colon ? (size_t)(colon - text) : 0;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM }, *res;

	memset(out, 0, sizeof(*out));
	if (colon && *text == '[' && hlen >= 2 && colon[-1] == ']') {
		h++;
		hlen -= 2;
	}
	if (colon == NULL || hlen == 0 || hlen >= sizeof(host) || small_number(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		snprintf(why, size, "listen: '%s' is no address:port (127.0.0.1:8090, [::1]:8090)",
			 text);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
		snprintf(why, size, "listen: '%s' is not a numeric address", host);
		return -1;
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->ipv6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	out->port = atoi(colon + 1);
	snprintf(out->host, sizeof(out->host), out->ipv6 ? "[%s]" : "%s", host);
	if (out->ipv6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&out->addr)->sin6_addr;
		out->loopback = IN6_IS_ADDR_LOOPBACK(a);
		out->any = IN6_IS_ADDR_UNSPECIFIED(a);
	} else {
		uint32_t a = ntohl(((struct sockaddr_in *)&out->addr)->sin_addr.s_addr);
		out->loopback = (a >> 24) == 127;
		out->any = a == INADDR_ANY;
	}
	return 0;
}

static void allow_host(const char *scheme, const char *host, int port)
{
	char text[300];

	if (nallowed_hosts == (int)(sizeof(allowed_hosts) / sizeof(allowed_hosts[0])))
		return;
	snprintf(text, sizeof(text), "%s:%d", host, port);
	allowed_hosts[nallowed_hosts++] = xstrdup(text);
	snprintf(text, sizeof(text), "%s://%s:%d", scheme, host, port);
	allowed_origins[nallowed_origins++] = xstrdup(text);
}

/* The names the server answers to: its address (and localhost on loopback), and those of the
 * origins configured (a reverse proxy's public name). */
static void allow_names(const struct listen_address *l, bool tls)
{
	const char *scheme = tls ? "https" : "http";

	if (!l->any)
		allow_host(scheme, l->host, l->port);
	if (l->loopback || l->any) {
		allow_host(scheme, "localhost", l->port);
		allow_host(scheme, "127.0.0.1", l->port);
		allow_host(scheme, "[::1]", l->port);
	}
	for (int i = 0; i < config.norigins; i++) {
		const char *o = config.origins[i], *host = strstr(o, "://") + 3;
		bool https = strncmp(o, "https", 5) == 0;
		allowed_origins[nallowed_origins++] = xstrdup(o);
		if (nallowed_hosts < (int)(sizeof(allowed_hosts) / sizeof(allowed_hosts[0]))) {
			/* the Host header leaves out the scheme's default port */
			char text[300];
			bool has_port = strrchr(host, ':') > strrchr(host, ']');
			snprintf(text, sizeof(text), "%s", host);
			allowed_hosts[nallowed_hosts++] = xstrdup(text);
			if (!has_port && nallowed_hosts < (int)(sizeof(allowed_hosts) /
							       sizeof(allowed_hosts[0]))) {
				snprintf(text, sizeof(text), "%s:%d", host, https ? 443 : 80);
				allowed_hosts[nallowed_hosts++] = xstrdup(text);
			}
		}
	}
}

static char *read_pem(const char *path, char *why, size_t size)
{
	FILE *f = fopen(path, "re");
	char *data = NULL;
	size_t len = 0;

	if (f == NULL) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(256 * 1024);
	len = fread(data, 1, 256 * 1024 - 1, f);
	fclose(f);
	data[len] = '\0';
	if (strstr(data, "-----BEGIN ") == NULL) {
		snprintf(why, size, "%s: no PEM data", path);
		free(data);
		return NULL;
	}
	return data;
}

/* Refuses what would expose cirqued: beyond loopback, TLS and tokens are required. */
static int check_exposure(const struct listen_address *l, char *why, size_t size)
{
	if (l->loopback)
		return 0;
	if (config.tls_cert == NULL || config.token_file == NULL) {
		snprintf(why, size, "listen: %s is not loopback: cirque-web then needs tls_cert, "
			 "tls_key and token_file (every request is authenticated), or listen on "
			 "127.0.0.1 behind a reverse proxy that does TLS and authentication",
			 config.listen);
		return -1;
	}
	if (l->any && config.norigins == 0) {
		snprintf(why, size, "listen: %s is every address: list in origins the names "
			 "browsers reach it by (https://host:port)", config.listen);
		return -1;
	}
	need_auth_to_read = true;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cirque-web [-c FILE] [--check] [--version] [--new-token NAME]\n"
		"  -c FILE           configuration (default /etc/cirque/web.yaml if it exists)\n"
		"  --check           validate the configuration, the token file and TLS files\n"
		"  --new-token NAME  print a line for the token file: NAME and a new random token\n");
}

/* "NAME:<32 random hex digits>" for the token file. */
static int new_token(const char *name)
{
	unsigned char bytes[16];

	if (*name == '\0' || strpbrk(name, ":\n\r#") || strlen(name) > 64) {
		say("--new-token: a name without ':', '#' or newlines, at most 64 characters");
		return 2;
	}
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
		say("getrandom: %s", strerror(errno));
		return 1;
	}
	printf("%s:", name);
	for (size_t i = 0; i < sizeof(bytes); i++)
		printf("%02x", bytes[i]);
	printf("\n");
	explicit_bzero(bytes, sizeof(bytes));
	return 0;
}

static void load_tokens_or_exit(void)
{
	char why[512];

	struct web_tokens *loaded = xcalloc(1, sizeof(*loaded));

	if (config.token_file && web_tokens_load(config.token_file, loaded, why,
						 sizeof(why)) < 0) {
		say("%s", why);
		web_tokens_free(loaded);
		exit(1);
	}
	tokens = loaded;
}

/* Room for MAX_CONNECTIONS: the soft limit raised to the hard one (1024 is the usual soft). */
static void raise_descriptor_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct MHD_Daemon *start_http(const struct listen_address *l, char *cert, char *key)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG | (l->ipv6 ? MHD_USE_IPv6 : 0) | (cert ? MHD_USE_TLS : 0);
	struct MHD_OptionItem tls[] = {
		{ cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, key },
		{ MHD_OPTION_END, 0, NULL },
	};

	return MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, handle, NULL,
				MHD_OPTION_SOCK_ADDR, &l->addr,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_PER_CONNECTION,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_ARRAY, tls,
				MHD_OPTION_END);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool check = false;
	char why[1024], *cert = NULL, *key = NULL;
	struct listen_address l;
	sigset_t signals;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (strcmp(argv[i], "--new-token") == 0 && i + 1 < argc)
			return new_token(argv[i + 1]);
		else if (strcmp(argv[i], "--version") == 0)
			return printf("cirque-web %s\n", CIRQUE_VERSION) < 0;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(stdout), 0;
		else
			return usage(stderr), 2;
	}
	if (path == NULL && access("/etc/cirque/web.yaml", F_OK) == 0)
		path = "/etc/cirque/web.yaml";
	web_config_defaults(&config);
	if (path && web_config_load(path, &config, why, sizeof(why)) < 0) {
		say("%s", why);
		return 1;
	}
	if (config.endpoint == NULL)
		config.endpoint = default_endpoint("control.sock");
	if (parse_listen(config.listen, &l, why, sizeof(why)) < 0 ||
	    check_exposure(&l, why, sizeof(why)) < 0) {
		say("%s%s%s", path ? path : "", path ? ": " : "", why);
		return 1;
	}
	load_tokens_or_exit();
	if (config.tls_cert && ((cert = read_pem(config.tls_cert, why, sizeof(why))) == NULL ||
				(key = read_pem(config.tls_key, why, sizeof(why))) == NULL)) {
		say("%s", why);
		return 1;
	}
	if (check) {
		printf("%s: ok (listen %s, %s, actions %s, %d token%s)\n", path ? path : "defaults",
		       config.listen, cert ? "https" : "http", config.actions ? "on" : "off",
		       tokens->count, tokens->count == 1 ? "" : "s");
		return 0;
	}
	allow_names(&l, cert != NULL);
	/* Blocked in every thread (they inherit the mask): only sigwait below takes them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_descriptor_limit();
	if (cirqued_init(config.endpoint) < 0 || relay_start() < 0) {
		say("cannot start: %s", strerror(errno));
		return 1;
	}
	struct MHD_Daemon *http = start_http(&l, cert, key);
	if (http == NULL) {
		say("cannot listen on %s: %s", config.listen, strerror(errno));
		return 1;
	}
	say("%s serving %s://%s:%d for cirqued at %s; actions %s", CIRQUE_VERSION,
	    cert ? "https" : "http", l.host, l.port, config.endpoint,
	    config.actions ? "enabled (with a token)" : "disabled");
	const char *missing = endpoint_listener_missing(config.endpoint);
	if (missing)  /* the pages say so too, until it is there */
		say("cirqued is not reachable at %s yet: %s%s", config.endpoint, missing,
		    strstr(config.endpoint, "/operator.sock") ? " (the operator socket exists only "
		    "with operator_group in cirque.yaml, from cirqued's next start)" : "");
	while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
		/* A new token file, without a restart (a token revoked). Only this thread reads
		 * the file; the request threads may be comparing: the old set stays allocated. */
		struct web_tokens *fresh = xcalloc(1, sizeof(*fresh));
		if (config.token_file && web_tokens_load(config.token_file, fresh, why,
							 sizeof(why)) == 0) {
			/* a request may still be comparing with the old set: freed at the end */
			fresh->replaced = tokens != &no_tokens ? tokens : NULL;
			__atomic_store_n(&tokens, fresh, __ATOMIC_RELEASE);
			say("SIGHUP: %d token%s loaded (other settings apply at a restart)",
			    fresh->count, fresh->count == 1 ? "" : "s");
		} else {
			if (config.token_file)
				say("SIGHUP: %s; keeping the tokens loaded", why);
			web_tokens_free(fresh);
		}
	}
	say("stopping");
	relay_stop();
	MHD_stop_daemon(http);
	cirqued_shutdown();
	if (tokens != &no_tokens)
		web_tokens_free(tokens);
	for (int i = 0; i < nallowed_hosts; i++)
		free(allowed_hosts[i]);
	for (int i = 0; i < nallowed_origins; i++)
		free(allowed_origins[i]);
	web_config_free(&config);
	free(cert);
	free(key);
	return 0;
}
