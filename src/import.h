/* import.h - `cirquectl import`: another supervisor's INI configuration into a cirque.yaml. The
 * common part (import.c): the INI files (libinih), following includes, and a YAML writer that
 * quotes every string and says in comments what was not carried over. One file per dialect
 * reads the sections and maps them: import_supervisord.c, import_circus.c. */
#ifndef CIRQUE_IMPORT_H
#define CIRQUE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The exit status of the verb. */
enum import_status {
	IMPORT_ALL = 0,               /* everything carried over */
	IMPORT_DROPPED = 1,           /* written, with something dropped (said in comments) */
	IMPORT_FAILED = 2,            /* nothing usable written: the message says why */
};

struct ini_option {
	char *key;                    /* lower-cased, as Python's configparser does */
	char *value;                  /* continuation lines joined with '\n' */
	int line;                     /* where the key is */
	bool used;                    /* read by the importer: the others are reported as dropped */
};

struct ini_section {
	char *name;                   /* "program:web" */
	const char *file;             /* the file it is in (owned by struct ini) */
	const char *dir;              /* that file's directory: supervisord's %(here)s */
	int line;
	struct ini_option *options;
	size_t count;
};

struct ini {
	struct ini_section *sections;
	size_t count;
	char **files;                 /* every file read, and each one's directory after it */
	size_t nfiles;
	char **chain;                 /* the files being read, outermost first: an include loop */
	size_t depth;
	char error[1024];             /* "file:line: message" after a failure */
	/* Circus's parser (set before ini_load): keys keep their case, the first of a key given
	 * twice wins, and only ` ;` starts an inline comment (`#` inside a value stays). */
	bool circus;
	char **unmatched;             /* include patterns that matched no file ("file:line: glob") */
	size_t nunmatched;
};

/* Reads PATH's sections into INI (a section met again, in another file, is continued). Returns
 * 0, or -1 with INI->error. INCLUDE (may be NULL) is called after the file with each of its
 * sections, in order, so that a dialect can read more files (ini_include) from there. */
int ini_load(struct ini *ini, const char *path,
	     int (*include)(struct ini *ini, struct ini_section *section));
/* Reads the files that match the globs (blank-separated) of PATTERNS, relative to DIR, in
 * sorted order; a file already read (a diamond) is skipped, a file that includes itself (a
 * loop) is an error. Returns the number of files matched, or -1 with INI->error. */
int ini_include(struct ini *ini, const char *dir, const char *patterns, const char *file,
		int line, int (*include)(struct ini *ini, struct ini_section *section));
void ini_free(struct ini *ini);
/* TEXT as configparser reads a boolean (true/yes/on/1, false/no/off/0, any case) into *VALUE;
 * false when it is none of them. */
bool ini_truthy(const char *text, bool *value);

/* The section named NAME, or NULL. */
struct ini_section *ini_section(struct ini *ini, const char *name);
/* KEY's value in S (marked used), or NULL. */
const char *ini_get(struct ini_section *s, const char *key);
struct ini_option *ini_option(struct ini_section *s, const char *key);

/* The YAML output: keys and strings always quoted when not plain-safe, comments one line. */
struct yaml_out {
	FILE *out;
	int dropped;                  /* how many options were dropped */
};

/* "# text" at INDENT (levels of two spaces); control characters and newlines made visible. */
void yo_comment(struct yaml_out *y, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The include patterns of INI that matched nothing, each a counted "# dropped" comment (the
 * importer names what it could not read, as supervisord warns of it). */
void yo_unmatched(struct yaml_out *y, int indent, const struct ini *ini);
/* A "# dropped: key = value: why" comment, counted. */
void yo_drop(struct yaml_out *y, int indent, const struct ini_section *s,
	     const struct ini_option *o, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Every option of S that no one read, each with WHY. */
void yo_drop_unused(struct yaml_out *y, int indent, const struct ini_section *s, const char *why);
/* "key:" opening a mapping (or a list). */
void yo_open(struct yaml_out *y, int indent, const char *key);
/* key: "string" (quoted when needed). */
void yo_string(struct yaml_out *y, int indent, const char *key, const char *value);
/* key: token, a number or boolean the caller made (never text from the input). */
void yo_token(struct yaml_out *y, int indent, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "- string" at INDENT. */
void yo_item(struct yaml_out *y, int indent, const char *value);
/* S as a YAML scalar: plain when that is safe, else double-quoted with escapes. */
void yo_scalar(FILE *out, const char *s);

/* The dialects: each reads INI (loaded from PATH) and writes Y. Returns enum import_status. */
int import_supervisord(const char *path, struct yaml_out *y);
int import_circus(const char *path, struct yaml_out *y);

#endif
