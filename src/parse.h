/* parse.h - pure parsers for configuration values: durations, signals, words, numbers, env. */
#ifndef CIRQUE_PARSE_H
#define CIRQUE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "30", "1.5", "500ms", "30s", "5m", "2h", "1d" -> seconds. -1 on anything else or negative. */
int parse_duration(const char *text, double *seconds);

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1" -> the signal. -1 if unknown or
 * not one a program may be sent (see signal_number_valid). */
int parse_signal(const char *text);
/* 15 -> "TERM", SIGRTMIN+2 -> "RTMIN+2"; NULL if the number has no name. */
const char *signal_name(int signum);
/* 1..31 and SIGRTMIN..SIGRTMAX as the running libc has them (glibc keeps 32 and 33). Takes
 * the number whole, so that 2^32 + 9 is not 9. */
bool signal_number_valid(long long number);

/* "1024", "512k", "10MB", "1GiB" (units of 1024, any case) -> bytes. -1 on junk or overflow. */
int parse_size(const char *text, unsigned long long *bytes);
/* Whole-string base-10 integer; -1 on junk or overflow. */
int parse_long(const char *text, long *value);
/* YAML 1.1 booleans: true/false, yes/no, on/off (any case). */
int parse_bool(const char *text, bool *value);
/* Octal umask such as "022" or "0077"; -1 unless 0..0777. */
int parse_umask(const char *text, int *mask);
/* "nofile", "core", "RLIMIT_NPROC"... -> the RLIMIT_ constant; -1 if unknown. */
int parse_rlimit_name(const char *text);
/* RLIMIT_NOFILE -> "nofile". */
const char *rlimit_name(int resource);
/* A limit value: a non-negative integer or "unlimited"/"infinity". */
int parse_rlimit_value(const char *text, unsigned long long *value);

/* Splits TEXT into words as a POSIX shell would, without expansions: blanks separate words,
 * '...' is literal, "..." allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next
 * character. On success *words is a NULL-terminated array (free with free_words) and the word count
 * is returned; on error returns -1 and sets *error to a static description. */
int split_words(const char *text, char ***words, const char **error);
void free_words(char **words);
/* The same words in the same order (NULL is no list, unlike an empty one). */
bool words_equal(char **a, char **b);
/* True when A and B are both NULL or the same text. */
bool same_text(const char *a, const char *b);
/* Appends the NULL-terminated array EXTRA to *words (both malloc'd by split_words); frees EXTRA's
 * array but moves its strings. Returns the new count, -1 on allocation failure. */
int append_words(char ***words, char **extra);

/* Expands $NAME and ${NAME} with LOOKUP (NULL result: empty, and UNSET, if any, is told),
 * ${NAME:-default} (the default when NAME is unset or empty) and ${NAME-default} (when
 * unset), "$$" -> "$". Returns a malloc'd string, NULL for an unterminated "${" or another
 * form (${NAME:?}...). */
typedef const char *(*env_lookup_fn)(const char *name, void *arg);
typedef void (*env_unset_fn)(const char *name, void *arg);
char *expand_vars(const char *text, env_lookup_fn lookup, env_unset_fn unset, void *arg);

/* The "$(circus.env.NAME)" or "$(cirque.env.NAME)" (prefix in any case; NAME of letters, digits
 * and '_') at P: returns its length and copies NAME into NAME (SIZE bytes); 0 if there is none. */
size_t env_reference_at(const char *p, char *name, size_t size);
/* TEXT with each "$(circus.env.NAME)" replaced by LOOKUP(NAME); a name LOOKUP does not know
 * (NULL) is left as written, as Circus does. Returns a malloc'd string. */
char *substitute_env_references(const char *text, env_lookup_fn lookup, void *arg);

/* Length of "$(circus.sockets." or "$(cirque.sockets." (any case) at P, 0 if neither is there. */
size_t socket_marker_len(const char *p);

/* Replaces "$(circus.wid)" and "$(cirque.wid)" (any case) with WID, and "$(circus.sockets.NAME)"
 * (or cirque.) with the descriptor SOCKETS[i] is passed on: 3 + i, systemd's
 * SD_LISTEN_FDS_START. Unknown names are left as written. Returns a malloc'd string. */
char *substitute_vars(const char *text, int wid, char *const *sockets, int nsockets);

/* Which of the daemon's own descriptors PATH names: 1 for /dev/stdout, /dev/fd/1 and
 * /proc/self/fd/1, 2 for their stderr twins; 0 for any other path. */
int daemon_stream_fd(const char *path);

/* A log file's path may hold {name} and {wid}, or $(circus.name) and $(circus.wid) (cirque.
 * too, any case), as cmd does; $(circus.env.NAME) is resolved at load. Returns 0, or -1 with
 * WHY (SIZE bytes) naming the first other {word} or $(circus.word): an unknown placeholder. */
int log_path_check(const char *path, char *why, size_t size);
/* PATH with its placeholders replaced by NAME and WID. Returns a malloc'd string. */
char *log_path_expand(const char *path, const char *name, int wid);
/* Whether PATH names one file per process (it holds the wid). */
bool log_path_per_process(const char *path);

/* A numeric TCP address for a connection: HOST is an IPv4 or IPv6 address ("[::1]" too), or
 * "localhost" for 127.0.0.1; PORT is 1..65535. No name is resolved (resolving can block). Fills
 * *ADDR and *LEN; -1 with WHY (SIZE bytes) saying what is wrong. */
int parse_tcp_address(const char *host, const char *port, struct sockaddr_storage *addr,
		      socklen_t *len, char *why, size_t size);

#endif
