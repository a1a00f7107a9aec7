/* import.c - `cirquectl import [--from supervisord|circus] [-o OUT] FILE`: the common part. The
 * INI files are read by libinih (Debian's libinih, built with its defaults), which already
 * speaks most of supervisord's dialect: `;` and `#` start a comment line (indented too), an
 * inline `;` comment needs a blank before it (`a;b` stays, as in supervisord), `:` works as
 * `=`, indented lines continue the value above. What it does not do is handled around it, here:
 *   - supervisord (on Python 3) also takes an inline `#` after a blank as a comment
 *     (inline_comment_prefixes ';' and '#'); inih keeps it in the value: our reader cuts both,
 *     as configparser does (the first ';' or '#' at the start or after a blank);
 *   - continuation lines come as separate calls with the same key: joined with '\n', as
 *     configparser joins them;
 *   - its handler gets no line number (Debian builds it without INI_HANDLER_LINENO): our reader
 *     counts the lines it hands over;
 *   - a line longer than INI_MAX_LINE (200) would be cut in two, the rest read as a line of its
 *     own (an error, or a silently shortened command): our reader hands inih a short stand-in
 *     ("key=\x01N") and keeps the real value aside;
 *   - keys are lower-cased, as configparser's optionxform does.
 * Interpolation (%(here)s...) is the dialect's. */
#include "import.h"

#include "ctl.h"
#include "parse.h"
#include "xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* What inih reads through: the file, the line number, the long values kept aside. */
struct ini_reader {
	FILE *f;
	int line;                     /* of the line last handed to inih */
	bool continuation;            /* that line is indented: it continues the value above */
	char **long_values;           /* values too long for inih, by index */
	size_t nlong;
	struct ini *ini;
	const char *path, *dir;
	long current;                 /* the index of the section of the lines read, or -1 */
	int bad_utf8;                 /* the first line that is not UTF-8, or 0 */
	bool ignoring;                /* Circus: the key above was given before, its lines skipped */
};

/* The length of the UTF-8 character at P (1 to 4), or 0 when it is not one (overlong forms,
 * surrogates and code points past U+10FFFF included). *CODE gets its code point. */
static int utf8_char(const unsigned char *p, unsigned *code)
{
	int n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : p[0] >= 0xe0 && p[0] < 0xf0 ? 3
		: p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : 0;
	unsigned c = n == 1 ? p[0] : n == 2 ? p[0] & 0x1f : n == 3 ? p[0] & 0x0f : p[0] & 0x07;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) || (n == 4 && (c < 0x10000 ||
								      c > 0x10ffff)))
		return 0;
	*code = c;
	return n;
}

static bool is_utf8(const char *text)
{
	unsigned code;
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		int n = utf8_char(p, &code);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

#define LONG_MARK '\x01'

/* The value of a long line (its comment cut already): after the first '=' or ':', trimmed; for a
 * continuation line, all of it. */
static char *long_value(const char *line, bool continuation)
{
	const char *v = line;
	if (!continuation) {
		v = line + strcspn(line, "=:");
		if (*v)
			v++;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n > 0 && strchr(" \t\r\n", v[n - 1]))
		n--;
	return xstrndup(v, n);
}

/* configparser's inline comments: from the first ';' or '#' that starts the line or follows a
 * blank (a whole-line comment becomes an empty line). */
static void cut_comment(char *line, bool circus)
{
	if (circus && (line[0] == '#' || line[0] == ';')) {
		strcpy(line, "\n");
		return;
	}
	for (char *p = line; *p; p++) {
		if ((*p == ';' || (*p == '#' && !circus)) && (p == line || isspace((unsigned char)p[-1]))) {
			strcpy(p, "\n");
			return;
		}
	}
}

/* A "[name]" line makes its section at once (inih tells only of sections with keys). */
static void note_section(struct ini_reader *r, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	const char *end = strchr(line, ']');
	if (*line != '[' || end == NULL || r->continuation)
		return;
	char *name = xstrndup(line + 1, (size_t)(end - line - 1));
	char *p = name, *q = name + strlen(name);
	while (*p == ' ' || *p == '\t')  /* as inih trims it */
		p++;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		*--q = '\0';
	struct ini_section *s = ini_section(r->ini, p);
	/* a section met again is continued (configparser merges them), but an [include] is
	 * each file's own */
	if (s == NULL || (strcmp(p, "include") == 0 && s->file != r->path)) {
		r->ini->sections = xreallocarray(r->ini->sections, r->ini->count + 1,
						 sizeof(*r->ini->sections));
		s = &r->ini->sections[r->ini->count++];
		*s = (struct ini_section){ .name = xstrdup(p), .file = r->path, .dir = r->dir,
					   .line = r->line };
	}
	r->current = s - r->ini->sections;
	free(name);
}

/* inih's fgets: one line, counted; a long one replaced by a stand-in "key=\x01N". */
static char *read_line(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, r->f);

	if (len < 0) {
		free(line);
		return NULL;
	}
	r->line++;
	if (r->bad_utf8 == 0 && !is_utf8(line))
		r->bad_utf8 = r->line;  /* supervisord (Python) cannot decode it either */
	cut_comment(line, r->ini->circus);
	len = (ssize_t)strlen(line);
	r->continuation = line[0] == ' ' || line[0] == '\t';
	note_section(r, line);
	if (len < num) {
		memcpy(str, line, (size_t)len + 1);
	} else if (!r->continuation && (line[strcspn(line, "=:")] == '\0' ||
					strcspn(line, "=:") + 24 > (size_t)num)) {
		/* no key to keep, or a key too long itself: an error of this line */
		snprintf(str, (size_t)num, "line too long\n");
	} else {
		r->long_values = xreallocarray(r->long_values, r->nlong + 1, sizeof(char *));
		r->long_values[r->nlong] = long_value(line, r->continuation);
		if (r->continuation)
			snprintf(str, (size_t)num, " %c%zu\n", LONG_MARK, r->nlong);
		else
			snprintf(str, (size_t)num, "%.*s=%c%zu\n", (int)strcspn(line, "=:"), line,
				 LONG_MARK, r->nlong);
		r->nlong++;
	}
	free(line);
	return str;
}

struct ini_option *ini_option(struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->options[i].key, key) == 0)
			return &s->options[i];
	return NULL;
}

const char *ini_get(struct ini_section *s, const char *key)
{
	struct ini_option *o = s ? ini_option(s, key) : NULL;
	if (o == NULL)
		return NULL;
	o->used = true;
	return o->value;
}

struct ini_section *ini_section(struct ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->count; i++)
		if (strcmp(ini->sections[i].name, name) == 0)
			return &ini->sections[i];
	return NULL;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ini_reader *r = user;

	if (name == NULL)
		return 1;
	if (r->current < 0)
		return 0;  /* a key before any section: an error of its line */
	struct ini_section *s = &r->ini->sections[r->current];
	(void)section;
	if (value && value[0] == LONG_MARK)
		value = r->long_values[strtoul(value + 1, NULL, 10)];
	if (value && r->ini->circus && strcmp(value, "\"\"") == 0)
		value = "";  /* Circus's parser: "" is an empty value */
	char *key = xstrdup(name);
	for (char *p = key; *p && !r->ini->circus; p++)
		*p = (char)tolower((unsigned char)*p);
	struct ini_option *o = ini_option(s, key);
	if (!r->continuation)
		r->ignoring = o && r->ini->circus;
	if (r->ignoring) {  /* Circus keeps the first, continuation lines and all */
	} else if (o && r->continuation) {  /* configparser joins continuation lines with '\n' */
		size_t n = strlen(o->value);
		o->value = xreallocarray(o->value, n + strlen(value) + 2, 1);
		sprintf(o->value + n, "%s%s", n ? "\n" : "", value);
	} else if (o) {  /* a key given twice: the last one wins */
		free(o->value);
		o->value = xstrdup(value);
		o->line = r->line;
	} else {
		s->options = xreallocarray(s->options, s->count + 1, sizeof(*s->options));
		s->options[s->count++] = (struct ini_option){ .key = key, .value = xstrdup(value),
							      .line = r->line };
		key = NULL;
	}
	free(key);
	return 1;
}

/* Every file any import read (real paths), so that -o never writes over one of them. */
static char **inputs;
static size_t ninputs;

static void remember_input(const char *real)
{
	inputs = xreallocarray(inputs, ninputs + 1, sizeof(char *));
	inputs[ninputs++] = xstrdup(real);
}

/* PATH is a file the import read: "-o cirque.conf cirque.conf" would destroy the original. */
static bool is_input(const char *path)
{
	char real[PATH_MAX];

	if (realpath(path, real) == NULL)
		return false;  /* does not exist yet */
	for (size_t i = 0; i < ninputs; i++)
		if (strcmp(inputs[i], real) == 0)
			return true;
	return false;
}

static char *remember_file(struct ini *ini, const char *text)
{
	ini->files = xreallocarray(ini->files, ini->nfiles + 1, sizeof(char *));
	return ini->files[ini->nfiles++] = xstrdup(text);
}

static bool was_read(const struct ini *ini, const char *real)
{
	for (size_t i = 0; i < ini->nfiles; i += 2)
		if (strcmp(ini->files[i], real) == 0)
			return true;
	return false;
}

int ini_load(struct ini *ini, const char *path,
	     int (*include)(struct ini *ini, struct ini_section *section))
{
	char real[PATH_MAX];
	struct ini_reader r = { .ini = ini, .current = -1 };

	if (realpath(path, real) == NULL || (r.f = fopen(real, "r")) == NULL) {
		snprintf(ini->error, sizeof(ini->error), "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ini->depth; i++) {
		if (strcmp(ini->chain[i], real) == 0) {
			snprintf(ini->error, sizeof(ini->error), "%s: include loop: %s includes it "
				 "again", path, ini->chain[ini->depth - 1]);
			fclose(r.f);
			return -1;
		}
	}
	remember_input(real);
	r.path = remember_file(ini, real);
	r.dir = remember_file(ini, real);
	dirname((char *)r.dir);
	size_t first = ini->count;
	int rc = ini_parse_stream(read_line, &r, on_entry, &r);
	fclose(r.f);
	for (size_t i = 0; i < r.nlong; i++)
		free(r.long_values[i]);
	free(r.long_values);
	if (r.bad_utf8) {
		snprintf(ini->error, sizeof(ini->error), "%s:%d: not UTF-8", path, r.bad_utf8);
		return -1;
	}
	if (rc != 0) {
		snprintf(ini->error, sizeof(ini->error), "%s:%d: %s", path, rc,
			 rc < 0 ? "cannot read it" : "not a section, a `key = value` or a comment");
		return -1;
	}
	if (include == NULL)
		return 0;
	ini->chain = xreallocarray(ini->chain, ini->depth + 1, sizeof(char *));
	ini->chain[ini->depth++] = (char *)r.path;
	/* index, not pointer: sections move as more are read */
	for (size_t i = first; i < ini->count && rc == 0; i++)
		if (ini->sections[i].file == r.path && strcmp(ini->sections[i].name, "include") == 0)
			rc = include(ini, &ini->sections[i]);
	ini->depth--;
	return rc;
}

int ini_include(struct ini *ini, const char *dir, const char *patterns, const char *file,
		int line, int (*include)(struct ini *ini, struct ini_section *section))
{
	char **words;
	const char *why;
	int matched = 0;

	if (split_words(patterns, &words, &why) < 0) {
		snprintf(ini->error, sizeof(ini->error), "%s:%d: files: %s", file, line, why);
		return -1;
	}
	for (char **w = words; *w && matched >= 0; w++) {
		char *pattern = xasprintf("%s%s%s", **w == '/' ? "" : dir, **w == '/' ? "" : "/", *w);
		glob_t g;
		int globbed = glob(pattern, 0, NULL, &g);
		if (globbed != 0) {
			ini->unmatched = xreallocarray(ini->unmatched, ini->nunmatched + 1,
						       sizeof(char *));
			ini->unmatched[ini->nunmatched++] = xasprintf("%s:%d: %s", file, line, *w);
		}
		if (globbed == 0) {  /* sorted, as supervisord sorts them */
			for (size_t i = 0; i < g.gl_pathc && matched >= 0; i++) {
				char real[PATH_MAX];
				matched++;
				if (realpath(g.gl_pathv[i], real) && was_read(ini, real)) {
					bool in_chain = false;
					for (size_t k = 0; k < ini->depth; k++)
						in_chain |= strcmp(ini->chain[k], real) == 0;
					if (!in_chain)
						continue;  /* read already, through another include */
				}
				if (ini_load(ini, g.gl_pathv[i], include) < 0)
					matched = -1;
			}
			globfree(&g);
		}
		free(pattern);
	}
	free_words(words);
	return matched;
}

void yo_unmatched(struct yaml_out *y, int indent, const struct ini *ini)
{
	for (size_t i = 0; i < ini->nunmatched; i++) {
		yo_comment(y, indent, "dropped: include %s: no file matches it (nothing read from it)",
			   ini->unmatched[i]);
		y->dropped++;
	}
}

void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->nunmatched; i++)
		free(ini->unmatched[i]);
	free(ini->unmatched);
	for (size_t i = 0; i < ini->count; i++) {
		for (size_t k = 0; k < ini->sections[i].count; k++) {
			free(ini->sections[i].options[k].key);
			free(ini->sections[i].options[k].value);
		}
		free(ini->sections[i].options);
		free(ini->sections[i].name);
	}
	free(ini->sections);
	for (size_t i = 0; i < ini->nfiles; i++)
		free(ini->files[i]);
	free(ini->files);
	free(ini->chain);
	*ini = (struct ini){ 0 };
}

/* ---- the YAML writer ---- */

static void indent_to(FILE *out, int indent)
{
	fprintf(out, "%*s", indent * 2, "");
}

/* A comment's text on one line: newlines as "\n", other control characters as "\xNN". */
static void comment_text(FILE *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

void yo_comment(struct yaml_out *y, int indent, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	indent_to(y->out, indent);
	fputs("# ", y->out);
	comment_text(y->out, text);
	fputc('\n', y->out);
	free(text);
}

void yo_drop(struct yaml_out *y, int indent, const struct ini_section *s,
	     const struct ini_option *o, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	indent_to(y->out, indent);
	fprintf(y->out, "# dropped: ");
	comment_text(y->out, o->key);
	fputs(" = ", y->out);
	comment_text(y->out, o->value);
	fprintf(y->out, " (%s:%d): ", strrchr(s->file, '/') ? strrchr(s->file, '/') + 1 : s->file,
		o->line);
	comment_text(y->out, why);
	fputc('\n', y->out);
	free(why);
	y->dropped++;
}

void yo_drop_unused(struct yaml_out *y, int indent, const struct ini_section *s, const char *why)
{
	for (size_t i = 0; i < s->count; i++)
		if (!s->options[i].used)
			yo_drop(y, indent, s, &s->options[i], "%s", why);
}

/* Plain is safe for words of letters, digits and a few marks that YAML gives no meaning to,
 * starting with a letter or '/', and not one of YAML 1.1's booleans or null. */
static bool plain_safe(const char *s)
{
	static const char *const special[] = { "true", "false", "yes", "no", "on", "off", "y", "n",
					       "null", "~" };
	if (!(isalpha((unsigned char)s[0]) || s[0] == '/'))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-./@+", *p))
			return false;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcasecmp(s, special[i]) == 0)
			return false;
	return true;
}

void yo_scalar(FILE *out, const char *s)
{
	if (plain_safe(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		default: {
			unsigned code = *p;
			int n = *p < 0x80 ? 1 : utf8_char(p, &code);
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(out, "\\x%02x", *p);
			} else if (n == 0) {  /* not UTF-8 (the reader refuses it): never raw */
				fprintf(out, "\\x%02x", *p);
			} else if ((code >= 0x80 && code < 0xa0) || code == 0xfeff || code == 0xfffe ||
				   code == 0xffff) {  /* not YAML's printable characters */
				fprintf(out, "\\u%04x", code);
				p += n - 1;
			} else {
				fwrite(p, 1, (size_t)n, out);
				p += n - 1;
			}
		}
		}
	}
	fputc('"', out);
}

void yo_open(struct yaml_out *y, int indent, const char *key)
{
	indent_to(y->out, indent);
	yo_scalar(y->out, key);
	fputs(":\n", y->out);
}

void yo_string(struct yaml_out *y, int indent, const char *key, const char *value)
{
	indent_to(y->out, indent);
	yo_scalar(y->out, key);
	fputs(": ", y->out);
	yo_scalar(y->out, value);
	fputc('\n', y->out);
}

void yo_token(struct yaml_out *y, int indent, const char *key, const char *fmt, ...)
{
	va_list ap;

	indent_to(y->out, indent);
	yo_scalar(y->out, key);
	fputs(": ", y->out);
	va_start(ap, fmt);
	vfprintf(y->out, fmt, ap);
	va_end(ap);
	fputc('\n', y->out);
}

void yo_item(struct yaml_out *y, int indent, const char *value)
{
	indent_to(y->out, indent);
	fputs("- ", y->out);
	yo_scalar(y->out, value);
	fputc('\n', y->out);
}

/* ---- the verb ---- */

/* Which dialect PATH is, by its sections: "supervisord", "circus" or NULL. */
static const char *detect(const char *path, char *error, size_t size)
{
	struct ini ini = { 0 };
	const char *found = NULL;

	if (ini_load(&ini, path, NULL) < 0) {
		snprintf(error, size, "%s", ini.error);
		ini_free(&ini);
		return NULL;
	}
	for (size_t i = 0; i < ini.count && found == NULL; i++) {
		const char *n = ini.sections[i].name;
		if (strcmp(n, "circus") == 0 || strncmp(n, "watcher:", 8) == 0 ||
		    strncmp(n, "socket:", 7) == 0 || strncmp(n, "plugin:", 7) == 0)
			found = "circus";
		else if (strcmp(n, "supervisord") == 0 || strncmp(n, "program:", 8) == 0 ||
			 strncmp(n, "group:", 6) == 0 || strncmp(n, "eventlistener:", 14) == 0 ||
			 strncmp(n, "fcgi-program:", 13) == 0 || strcmp(n, "unix_http_server") == 0 ||
			 strcmp(n, "inet_http_server") == 0 || strcmp(n, "supervisorctl") == 0)
			found = "supervisord";
	}
	if (found == NULL)
		snprintf(error, size, "%s: neither supervisord's sections ([supervisord], "
			 "[program:x]...) nor Circus's ([circus], [watcher:x]): use --from", path);
	ini_free(&ini);
	return found;
}

/* TEXT to stdout, or to PATH through a temporary file renamed over it. Returns 0 or -1 (said). */
static int write_output(const char *path, const char *text, size_t size)
{
	if (path == NULL) {
		if (fwrite(text, 1, size, stdout) == size && fflush(stdout) == 0)
			return 0;
		fprintf(stderr, "cirquectl: import: cannot write to stdout: %s\n", strerror(errno));
		return -1;
	}
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	bool written = f && fwrite(text, 1, size, f) == size;
	if (f && fclose(f) != 0)
		written = false;
	if (!written) {
		fprintf(stderr, "cirquectl: import: cannot write %s: %s\n", tmp, strerror(errno));
		rc = -1;
	} else if (rename(tmp, path) < 0) {
		fprintf(stderr, "cirquectl: import: cannot rename %s to %s: %s\n", tmp, path,
			strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int import_usage(void)
{
	fprintf(stderr, "usage: cirquectl import [--from supervisord|circus] [-o OUT] FILE\n");
	return IMPORT_FAILED;
}

int ctl_import(struct client *c, int argc, char **argv)
{
	const char *from = NULL, *out_path = NULL, *path = NULL;
	char error[1200];

	(void)c;
	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc) {
			*(argv[i][1] == 'o' ? &out_path : &from) = argv[i + 1];
			i++;
		} else if (strncmp(argv[i], "--from=", 7) == 0) {
			from = argv[i] + 7;
		} else if (strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "-o") == 0) {
			fprintf(stderr, "cirquectl: import: %s needs a value\n", argv[i]);
			return import_usage();
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "cirquectl: import: unknown option '%s'\n", shown(argv[i]));
			return import_usage();
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return import_usage();
		}
	}
	if (path == NULL)
		return import_usage();
	if (from == NULL && (from = detect(path, error, sizeof(error))) == NULL) {
		fprintf(stderr, "cirquectl: import: %s\n", error);
		return IMPORT_FAILED;
	}
	if (strcmp(from, "supervisord") != 0 && strcmp(from, "circus") != 0) {
		fprintf(stderr, "cirquectl: import: --from %s: supervisord or circus\n", shown(from));
		return import_usage();
	}
	/* Made in memory: a failed import writes nothing, to stdout or OUT. */
	char *text = NULL;
	size_t size = 0;
	struct yaml_out y = { .out = open_memstream(&text, &size) };
	if (y.out == NULL)
		abort();
	int rc = strcmp(from, "circus") == 0 ? import_circus(path, &y) : import_supervisord(path, &y);
	fclose(y.out);
	if (rc != IMPORT_FAILED && out_path && is_input(out_path)) {
		fprintf(stderr, "cirquectl: import: %s is a file of the configuration being imported: "
			"writing the result there would destroy it (choose another -o)\n", out_path);
		rc = IMPORT_FAILED;
		free(text);
		text = NULL;
		size = 0;
	}
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i]);
	free(inputs);
	inputs = NULL;
	ninputs = 0;
	if (rc != IMPORT_FAILED && write_output(out_path, text, size) < 0)
		rc = IMPORT_FAILED;
	free(text);
	if (rc == IMPORT_DROPPED)
		fprintf(stderr, "cirquectl: import: %d thing%s not carried over: see the comments in "
			"%s ('# dropped:' and the others)\n", y.dropped, y.dropped == 1 ? "" : "s",
			out_path ? out_path : "the output");
	return rc;
}

bool ini_truthy(const char *text, bool *value)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *value = true;
		if (strcasecmp(text, no[i]) == 0)
			return !(*value = false);
	}
	return false;
}
