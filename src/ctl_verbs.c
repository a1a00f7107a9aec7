/* ctl_verbs.c - the verbs operators of supervisorctl and circusctl reach for, beyond the
 * essentials of cirquectl.c: maintail, avail, clear, fg, events, and Circus's names (list,
 * dstats, options, numprocesses, numwatchers, globaloptions). */
#include "ctl.h"
#include "prom.h"

#include "parse.h"
#include "protocol.h"
#include "xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

/* --- maintail: the daemon's own log ------------------------------------------------------------ */

/* A daemon.log message: {"seq", "line"}; its line when it comes after AFTER, else NULL. */
static const char *log_message_line(json_t *message, unsigned long long after)
{
	json_int_t seq = json_integer_value(json_object_get(message, "seq"));

	if (seq <= 0 || (unsigned long long)seq <= after)
		return NULL;
	return json_string_value(json_object_get(message, "line"));
}

int ctl_maintail(struct client *c, int argc, char **argv)
{
	const char *count = NULL, *topics[] = { "daemon.log", NULL };
	struct follower *f = NULL;
	bool follow = false;
	long lines = 10;
	json_t *reply, *line;
	size_t i;
	int rc;

	for (int k = 0; k < argc; k++) {
		if (strcmp(argv[k], "-f") == 0)
			follow = true;
		else if (strcmp(argv[k], "-n") == 0 && k + 1 < argc)
			count = argv[++k];
		else if (strncmp(argv[k], "-n", 2) == 0 && argv[k][2])
			count = argv[k] + 2;
		else
			return usage_error("maintail");
	}
	if (count && (parse_long(count, &lines) < 0 || lines < 0))
		return usage_error("maintail");
	if (follow)
		f = follower_open(c, topics);
	rc = simple(c, "maintail", json_pack("{s:I}", "lines", (json_int_t)lines), &reply);
	if (rc != EXIT_OK && !c->json)
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	if (rc == EXIT_OK && !c->json)
		json_array_foreach(json_object_get(reply, "lines"), i, line)
			printf("%s\n", shown(json_string_value(line)));
	unsigned long long last = (unsigned long long)json_integer_value(json_object_get(reply, "seq"));
	json_decref(reply);
	fflush(stdout);
	if (rc == EXIT_OK && follow) {
		zmq_msg_t topic, body;
		int got;
		fprintf(stderr, "==> Press Ctrl-C to exit <==\n");
		while ((got = follower_next(f, &topic, &body)) > 0) {
			json_t *message = json_loadb(zmq_msg_data(&body), zmq_msg_size(&body), 0, NULL);
			const char *text = log_message_line(message, last);
			if (text) {
				last = (unsigned long long)json_integer_value(
					json_object_get(message, "seq"));
				if (c->json)  /* one object per line: {"seq", "line"} */
					printf("%.*s\n", (int)zmq_msg_size(&body),
					       (const char *)zmq_msg_data(&body));
				else
					printf("%s\n", shown(text));
				fflush(stdout);
			}
			json_decref(message);
			zmq_msg_close(&topic);
			zmq_msg_close(&body);
		}
		rc = got < 0 ? EXIT_UNREACHABLE : EXIT_OK;
	}
	follower_close(f);
	return rc;
}

/* --- avail: the watchers in use and those the file has -------------------------------------- */

int ctl_avail(struct client *c, int argc, char **argv)
{
	json_t *status, *reread, *changes, *state;
	const char *name, *change;
	int rc;

	(void)argc;
	(void)argv;
	bool json = c->json;
	c->json = false;  /* one combined document, below */
	rc = simple(c, "status", NULL, &status);
	if (rc != EXIT_OK) {
		c->json = json;
		fprintf(stderr, "ERROR: %s\n", reply_reason(status));
		json_decref(status);
		return rc;
	}
	/* What the file would change: watchers added there are available, not in use yet. */
	int reread_rc = simple(c, "reread", NULL, &reread);
	c->json = json;
	changes = json_object_get(reread, "changes");
	if (json) {
		json_t *both = json_pack("{s:O, s:o}", "statuses", json_object_get(status, "statuses"),
					 "changes", changes ? json_incref(changes) : json_object());
		print_json(both);
		json_decref(both);
	} else {
		json_object_foreach(json_object_get(status, "statuses"), name, state) {
			change = json_string_value(json_object_get(changes, name));
			printf("%-30s %-8s %s%s\n", shown(name), "in use",
			       shown(json_string_value(state)),
			       change == NULL ? ""
			       : strcmp(change, "changed") == 0 ? " (changed in the file: update applies it)"
			       : strcmp(change, "removed") == 0 ? " (not in the file)" : "");
		}
		json_object_foreach(changes, name, state) {
			if (strcmp(json_string_value(state), "added") == 0)
				printf("%-30s %-8s %s\n", shown(name), "avail",
				       "in the file, not loaded (update adds it)");
		}
		if (reread_rc != EXIT_OK)
			fprintf(stderr, "ERROR: the configuration file: %s\n", reply_reason(reread));
	}
	json_decref(status);
	json_decref(reread);
	return reread_rc;
}

/* --- clear: empty log files ------------------------------------------------------------------ */

int ctl_clear(struct client *c, int argc, char **argv)
{
	int rc = EXIT_OK;

	for (int i = 0; i < argc; i++) {
		json_t *reply, *file;
		size_t k;
		int one = simple(c, "clear", json_pack("{s:s}", "name", argv[i]), &reply);
		if (!c->json && one == EXIT_OK) {
			printf("%s: cleared", shown(argv[i]));
			json_array_foreach(json_object_get(reply, "files"), k, file)
				printf("%s %s", k ? "," : "", shown(json_string_value(file)));
			printf("\n");
		} else if (!c->json) {
			printf("%s: ERROR (%s)\n", shown(argv[i]),
			       is_no_such(reply) ? "no such process" : reply_reason(reply));
		}
		if (one != EXIT_OK)
			rc = one;
		json_decref(reply);
	}
	return rc;
}

/* --- fg: attach to a process ----------------------------------------------------------------- */

/* supervisorctl's fg writes what the operator types to the process's stdin. Every process of
 * cirque reads /dev/null (README: nothing waits on a pipe nobody writes), so there is no stdin
 * to forward to: fg says so (exit 1) rather than pretend, after checking that the process is
 * there (exit 4 if not, as everywhere). */
int ctl_fg(struct client *c, int argc, char **argv)
{
	char *name = xstrdup(argv[0]), *colon = strrchr(name, ':');
	long wid = 0;
	json_t *reply, *proc;
	size_t i;
	int rc;

	(void)argc;
	if (colon) {
		*colon = '\0';
		if (parse_long(colon + 1, &wid) < 0 || wid <= 0) {
			free(name);
			return usage_error("fg");
		}
	}
	bool json = c->json;
	c->json = false;
	rc = simple(c, "status", json_pack("{s:s, s:b}", "name", name, "processes", 1), &reply);
	c->json = json;
	bool found = rc == EXIT_OK && wid == 0;
	json_array_foreach(json_object_get(reply, "processes"), i, proc)
		found = found || json_integer_value(json_object_get(proc, "wid")) == wid;
	if (!found) {
		fprintf(stderr, "%s: ERROR (%s)\n", shown(argv[0]),
			rc == EXIT_OK || is_no_such(reply) ? "no such process" : reply_reason(reply));
		rc = rc == EXIT_OK || is_no_such(reply) ? EXIT_NO_SUCH : rc;
	} else {
		fprintf(stderr, "%s: ERROR (no stdin to forward to: cirque gives every process "
			"/dev/null as its stdin; `cirquectl tail -f %s` follows its output)\n",
			shown(argv[0]), shown(argv[0]));
		rc = EXIT_ERROR;
	}
	json_decref(reply);
	free(name);
	return rc;
}

/* --- events: the PUB stream, one line each --------------------------------------------------- */

/* watcher.<name>.<event>: the name may hold dots, the event does not. */
static void print_event(const char *topic, size_t tlen, json_t *payload, bool json)
{
	char *t = xmalloc(tlen + 1), *dot;
	const char *key;
	json_t *value;

	memcpy(t, topic, tlen);
	t[tlen] = '\0';
	dot = strrchr(t, '.');
	const char *event = dot && dot > t + 8 ? dot + 1 : "";
	if (dot && dot > t + 8)
		*dot = '\0';
	const char *watcher = t + 8;
	if (json) {
		json_t *line = json_pack("{s:s, s:s}", "watcher", watcher, "event", event);
		char *text;
		json_object_update_missing(line, payload);
		text = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(line);
	} else {
		double when = json_real_value(json_object_get(payload, "time"));
		time_t secs = (time_t)when;
		struct tm tm;
		char stamp[32];
		localtime_r(&secs, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s.%03d %s %s", stamp, (int)((when - (double)secs) * 1000), shown(watcher),
		       shown(event));
		json_object_foreach(payload, key, value) {
			if (strcmp(key, "time") == 0)
				continue;
			char *v = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
			printf(" %s=%s", shown(key), json_is_string(value)
				? shown(json_string_value(value)) : shown(v));
			free(v);
		}
		printf("\n");
	}
	fflush(stdout);
	free(t);
}

int ctl_events(struct client *c, int argc, char **argv)
{
	const char *topics[] = { "watcher.", NULL };
	struct follower *f;
	zmq_msg_t topic, body;
	bool json = c->json;
	int got;

	if (argc == 1 && strcmp(argv[0], "--json") == 0)
		json = true;
	else if (argc > 0)
		return usage_error("events");
	f = follower_open(c, topics);  /* asks the daemon its endpoint: exits 7 if it is not there */
	fprintf(stderr, "==> Press Ctrl-C to exit <==\n");
	while ((got = follower_next(f, &topic, &body)) > 0) {
		json_t *payload = json_loadb(zmq_msg_data(&body), zmq_msg_size(&body), 0, NULL);
		if (json_is_object(payload))
			print_event(zmq_msg_data(&topic), zmq_msg_size(&topic), payload, json);
		json_decref(payload);
		zmq_msg_close(&topic);
		zmq_msg_close(&body);
	}
	follower_close(f);
	return got < 0 ? EXIT_UNREACHABLE : EXIT_OK;
}

/* --- Circus's names -------------------------------------------------------------------------- */

/* Prints the reply's KEY (a JSON number) alone: for the scripts that ask for one. */
static int print_number(struct client *c, const char *command, json_t *props, const char *key,
			const char *name)
{
	json_t *reply;
	int rc = simple(c, command, props, &reply);

	if (!c->json && rc == EXIT_OK)
		printf("%lld\n", (long long)json_integer_value(json_object_get(reply, key)));
	else if (!c->json)
		fprintf(stderr, "%s: ERROR (%s)\n", name ? shown(name) : command,
			is_no_such(reply) ? "no such process" : reply_reason(reply));
	json_decref(reply);
	return rc;
}

/* key: value lines of an options object, sorted by key. */
static int print_options(struct client *c, const char *command, json_t *props, const char *name)
{
	json_t *reply, *value;
	const char *key;
	int rc = simple(c, command, props, &reply);

	if (!c->json && rc == EXIT_OK) {
		json_t *options = json_object_get(reply, "options");
		size_t n = json_object_size(options), k = 0;
		const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
		json_object_foreach(options, key, value)
			keys[k++] = key;
		for (size_t a = 1; a < n; a++)  /* a few dozen keys: insertion sort */
			for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
				const char *swap = keys[b];
				keys[b] = keys[b - 1];
				keys[b - 1] = swap;
			}
		for (k = 0; k < n; k++) {
			value = json_object_get(options, keys[k]);
			char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
			printf("%s: %s\n", shown(keys[k]), json_is_string(value)
			       ? shown(json_string_value(value)) : text ? shown(text) : "?");
			free(text);
		}
		free(keys);
	} else if (!c->json) {
		fprintf(stderr, "%s: ERROR (%s)\n", name ? shown(name) : command,
			is_no_such(reply) ? "no such process" : reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

int ctl_list(struct client *c, int argc, char **argv)
{
	json_t *reply, *item;
	size_t i;
	int rc = simple(c, "list", argc ? json_pack("{s:s}", "name", argv[0]) : NULL, &reply);

	if (!c->json && rc == EXIT_OK)
		json_array_foreach(json_object_get(reply, argc ? "pids" : "watchers"), i, item) {
			if (json_is_string(item))
				printf("%s\n", shown(json_string_value(item)));
			else
				printf("%lld\n", (long long)json_integer_value(item));
		}
	else if (!c->json)
		fprintf(stderr, "%s: ERROR (%s)\n", argc ? shown(argv[0]) : "list",
			is_no_such(reply) ? "no such process" : reply_reason(reply));
	json_decref(reply);
	return rc;
}

int ctl_dstats(struct client *c, int argc, char **argv)
{
	json_t *reply, *info;
	char age[64];
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "dstats", NULL, &reply);
	if (!c->json && rc == EXIT_OK) {
		info = json_object_get(reply, "info");
		format_uptime(age, sizeof(age), json_real_value(json_object_get(info, "age")));
		printf("pid %lld, cpu %.1f%%, mem %.1f%%, rss %s, age %s\n",
		       (long long)json_integer_value(json_object_get(info, "pid")),
		       json_real_value(json_object_get(info, "cpu")),
		       json_real_value(json_object_get(info, "mem")),
		       shown(json_string_value(json_object_get(info, "mem_info1"))), age);
		const char *mode = json_string_value(json_object_get(json_object_get(reply,
			"containment"), "text"));
		if (mode)
			printf("containment: %s\n", shown(mode));
	} else if (!c->json) {
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

/* The metrics command's figures in Prometheus's text format: for node_exporter's textfile
 * collector (cirquectl metrics > dir/cirque.prom.tmp && mv ...), or to look at. */
int ctl_metrics(struct client *c, int argc, char **argv)
{
	json_t *reply;
	size_t len;
	char *text;
	int rc;

	(void)argc;
	(void)argv;
	rc = simple(c, "metrics", NULL, &reply);
	if (!c->json && rc == EXIT_OK) {
		if ((text = prom_format(reply, &len)) == NULL) {
			fprintf(stderr, "ERROR: the daemon's answer holds no metrics\n");
			rc = EXIT_ERROR;
		} else {
			fwrite(text, 1, len, stdout);
			free(text);
		}
	} else if (!c->json) {
		fprintf(stderr, "ERROR: %s\n", reply_reason(reply));
	}
	json_decref(reply);
	return rc;
}

int ctl_options(struct client *c, int argc, char **argv)
{
	(void)argc;
	return print_options(c, "options", json_pack("{s:s}", "name", argv[0]), argv[0]);
}

int ctl_globaloptions(struct client *c, int argc, char **argv)
{
	return print_options(c, "globaloptions", argc ? json_pack("{s:s}", "option", argv[0]) : NULL,
			     NULL);
}

int ctl_numprocesses(struct client *c, int argc, char **argv)
{
	return print_number(c, "numprocesses", argc ? json_pack("{s:s}", "name", argv[0]) : NULL,
			    "numprocesses", argc ? argv[0] : NULL);
}

int ctl_numwatchers(struct client *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return print_number(c, "numwatchers", NULL, "numwatchers", NULL);
}
