/* metrics.h - the daemon's own counters (control requests, their durations, reloads, output
 * dropped), kept as things happen and read by the metrics command. Only the loop's thread
 * counts here, except metrics_output_dropped (the writer thread: atomic). */
#ifndef CIRQUE_METRICS_H
#define CIRQUE_METRICS_H

#include <jansson.h>
#include <stdbool.h>

/* A control request answered: COMMAND is the table's name (a static string), or NULL when the
 * request named none that exists; OK when its reply said "ok"; SECONDS from receipt to reply. */
void metrics_request_done(const char *command, bool ok, double seconds);
/* A reloadconfig: applied, or refused (the running configuration kept). */
void metrics_reload_done(bool ok);
/* A failing log sink dropped LINES lines (BYTES bytes) to make room. */
void metrics_output_dropped(unsigned long long lines, unsigned long long bytes);

/* {"requests": [{command, outcome, count}], "request_seconds": {le: [...], commands:
 * [{command, counts (cumulative, one per bound, the last for +Inf), sum, count}]},
 * "reloads": {ok, failed}, "output_dropped": {lines, bytes}} ("" for an unknown command). */
json_t *metrics_daemon_json(void);

#endif
