/* web_page.c - the dashboard's HTML, made from the metrics command's reply. Everything that
 * comes from cirqued or the programs (names, output) is escaped. */
#include "web_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void html(FILE *f, const char *text)
{
	for (const char *p = text ? text : ""; *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n') {
			fprintf(f, "\\x%02x", (unsigned char)*p);  /* an ESC of a colour code */
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*p, f);
		}
	}
}

/* A query parameter's value: everything but unreserved characters %-encoded. */
static void url(FILE *f, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

void page_duration(char *out, size_t size, double seconds)
{
	long s = seconds > 0 ? (long)seconds : 0;

	if (s >= 86400)
		snprintf(out, size, "%ldd %ld:%02ld:%02ld", s / 86400, s % 86400 / 3600,
			 s % 3600 / 60, s % 60);
	else
		snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

void page_bytes(char *out, size_t size, double bytes)
{
	static const char units[] = "BKMGT";
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, size, u == 0 || bytes >= 100 ? "%.0f%c" : "%.1f%c", bytes, units[u]);
}

static void head(FILE *f, const char *title, int refresh_seconds)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>", f);
	html(f, title);
	fputs(" \xe2\x80\x94 ", f);
	html(f, host);
	fputs("</title><link rel=\"stylesheet\" href=\"/style.css\">"
	      "<script src=\"/app.js\" defer></script></head>\n", f);
	fprintf(f, "<body data-refresh=\"%d\"><header><h1>cirque <small>", refresh_seconds);
	html(f, host);
	fputs("</small></h1>", f);
}

static void action_form(FILE *f, const char *name)
{
	fputs("<form class=\"actions\" method=\"post\" action=\"/action\">"
	      "<input type=\"hidden\" name=\"name\" value=\"", f);
	html(f, name);
	fputs("\"><input class=\"token\" type=\"password\" name=\"token\" placeholder=\"token\" "
	      "autocomplete=\"off\" aria-label=\"token\">", f);
	for (const char *const *a = (const char *const[]){ "start", "stop", "restart", "incr",
							   "decr", NULL }; *a; a++)
		fprintf(f, "<button name=\"action\" value=\"%s\">%s</button>", *a, *a);
	fputs("<select name=\"signal\" aria-label=\"signal\">", f);
	for (const char *const *s = (const char *const[]){ "HUP", "TERM", "INT", "QUIT", "USR1",
							   "USR2", "KILL", NULL }; *s; s++)
		fprintf(f, "<option>%s</option>", *s);
	fputs("</select><button name=\"action\" value=\"signal\">signal</button></form>", f);
}

static void process_row(FILE *f, const char *name, json_t *p, bool single,
			const struct page_options *o)
{
	long long wid = json_integer_value(json_object_get(p, "wid"));
	json_t *pid = json_object_get(p, "pid"), *started = json_object_get(p, "started");
	json_t *cpu = json_object_get(p, "cpu_seconds"), *rss = json_object_get(p, "rss_bytes");
	const char *state = json_string_value(json_object_get(p, "state"));
	char uptime[32] = "", cpu_text[32] = "", mem[32] = "";

	if (started) {
		double age = o->now - json_number_value(started);
		page_duration(uptime, sizeof(uptime), age);
		if (cpu && age > 0.5)  /* on average since it started: app.js shows the last seconds */
			snprintf(cpu_text, sizeof(cpu_text), "%.1f%%",
				 100 * json_number_value(cpu) / age);
	}
	if (rss)
		page_bytes(mem, sizeof(mem), json_number_value(rss));
	fputs("<tr data-watcher=\"", f);
	html(f, name);
	fprintf(f, "\" data-wid=\"%lld\"", wid);
	if (pid)
		fprintf(f, " data-pid=\"%lld\"", json_integer_value(pid));
	fputs("><td class=\"proc\">", f);
	html(f, name);
	if (!single)
		fprintf(f, ":%lld", wid);
	if (json_is_true(json_object_get(p, "retiring")))
		fputs(" <small>(retiring)</small>", f);
	fputs("</td><td class=\"pid\">", f);
	if (pid)
		fprintf(f, "%lld", json_integer_value(pid));
	fprintf(f, "</td><td class=\"state %s\"", state ? state : "");
	json_t *exit_code = json_object_get(p, "exit_code");
	const char *error = json_string_value(json_object_get(p, "error"));
	if (error || exit_code) {  /* why: on hover */
		fputs(" title=\"", f);
		if (error)
			html(f, error);
		else
			fprintf(f, "last exit: %s %lld", json_integer_value(exit_code) < 0 ? "signal"
				: "status", llabs(json_integer_value(exit_code)));
		fputc('"', f);
	}
	fputc('>', f);
	html(f, state);
	fprintf(f, "</td><td class=\"uptime\">%s</td><td class=\"cpu\">%s</td>"
		"<td class=\"mem\">%s</td><td class=\"restarts\">%lld</td><td class=\"spark\"></td>"
		"<td class=\"links\"><a class=\"output\" href=\"/output?name=", uptime, cpu_text, mem,
		json_integer_value(json_object_get(p, "restarts")));
	url(f, name);
	fprintf(f, "&amp;wid=%lld\">output</a></td></tr>\n", wid);
}

static void watcher_section(FILE *f, json_t *w, const struct page_options *o)
{
	const char *name = json_string_value(json_object_get(w, "name"));
	const char *status = json_string_value(json_object_get(w, "status"));
	json_t *processes = json_object_get(w, "processes"), *p;
	long long wanted = json_integer_value(json_object_get(w, "numprocesses"));
	size_t i, running = 0, fatal = 0;

	json_array_foreach(processes, i, p) {
		const char *state = json_string_value(json_object_get(p, "state"));
		running += state && strcmp(state, "RUNNING") == 0;
		fatal += state && strcmp(state, "FATAL") == 0;
	}
	fputs("<section class=\"watcher\" data-watcher=\"", f);
	html(f, name);
	fputs("\"><h2>", f);
	html(f, name);
	fprintf(f, " <span class=\"status %s\">", status ? status : "");
	html(f, status);
	fprintf(f, "</span> <small class=\"count\">%zu of %lld running</small>", running, wanted);
	fprintf(f, " <span class=\"fatal\"%s>%zu fatal</span></h2>", fatal ? "" : " hidden", fatal);
	if (o->actions)
		action_form(f, name ? name : "");
	fputs("<table><thead><tr><th>process</th><th>pid</th><th>state</th><th>uptime</th>"
	      "<th>cpu</th><th>memory</th><th>restarts</th><th></th><th></th></tr></thead><tbody>\n",
	      f);
	json_array_foreach(processes, i, p)
		process_row(f, name ? name : "", p, wanted == 1, o);
	if (json_array_size(processes) == 0)
		fputs("<tr class=\"empty\"><td colspan=\"9\">no processes</td></tr>\n", f);
	fputs("</tbody></table></section>\n", f);
}

static void daemon_line(FILE *f, json_t *d, const struct page_options *o)
{
	char up[32], mem[32];

	page_duration(up, sizeof(up), o->now - json_number_value(json_object_get(d, "started")));
	page_bytes(mem, sizeof(mem), json_number_value(json_object_get(d, "rss_bytes")));
	fputs("<p id=\"daemon\">cirqued ", f);
	html(f, json_string_value(json_object_get(d, "version")));
	fprintf(f, ", pid %lld, up %s, memory %s</p>",
		json_integer_value(json_object_get(d, "pid")), up, mem);
}

char *page_dashboard(json_t *metrics, const struct page_options *o, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	json_t *w;
	size_t i;

	if (f == NULL)
		return NULL;
	head(f, "cirque", o->refresh_seconds);
	if (metrics)
		daemon_line(f, json_object_get(metrics, "daemon"), o);
	else
		fputs("<p id=\"daemon\"></p>", f);  /* app.js fills it once cirqued answers */
	fputs("<p id=\"live\" class=\"live\">static page: reload to update</p>", f);
	if (o->actions)
		fputs("<form id=\"auth\"><label>token <input id=\"token\" type=\"password\" "
		      "autocomplete=\"off\"></label></form>", f);
	fputs("</header>\n<p id=\"notice\" role=\"status\">", f);
	html(f, o->notice);
	fputs("</p>\n", f);
	if (o->error) {
		fputs("<p class=\"error\">", f);
		html(f, o->error);
		fputs("</p>\n", f);
	}
	fputs("<main id=\"watchers\">\n", f);
	json_array_foreach(json_object_get(metrics, "watchers"), i, w)
		watcher_section(f, w, o);
	fputs("</main>\n<section id=\"output\" hidden><h2><span id=\"output-title\"></span> "
	      "<button id=\"output-close\" type=\"button\">close</button></h2><pre></pre></section>\n"
	      "</body></html>\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *page_output(const char *name, int wid, const char *stream, json_t *tail, const char *error,
		  size_t *len)
{
	char *text = NULL, title[200];
	FILE *f = open_memstream(&text, len);
	json_t *line;
	size_t i;

	if (f == NULL)
		return NULL;
	if (wid > 0)
		snprintf(title, sizeof(title), "%s:%d %s", name, wid, stream);
	else
		snprintf(title, sizeof(title), "%s %s", name, stream);
	head(f, title, 5);
	fputs("</header><main><h2>", f);
	html(f, title);
	fputs("</h2><p><a href=\"/\">back</a> \xc2\xb7 <a href=\"/output?name=", f);
	url(f, name);
	fprintf(f, "&amp;wid=%d&amp;stream=%s\">%s</a></p>", wid,
		strcmp(stream, "stdout") == 0 ? "stderr" : "stdout",
		strcmp(stream, "stdout") == 0 ? "stderr" : "stdout");
	if (error) {
		fputs("<p class=\"error\">", f);
		html(f, error);
		fputs("</p>", f);
	}
	fputs("<pre class=\"output\">", f);
	json_array_foreach(json_object_get(tail, "lines"), i, line) {
		html(f, json_string_value(line));
		fputc('\n', f);
	}
	fputs("</pre></main></body></html>\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
