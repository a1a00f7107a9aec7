/* prom.h - the reply of the metrics command in Prometheus's text exposition format (0.0.4),
 * for cirque-web's /metrics and `cirquectl metrics`. Pure: JSON in, text out. */
#ifndef CIRQUE_PROM_H
#define CIRQUE_PROM_H

#include <jansson.h>
#include <stddef.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition of REPLY (the metrics command's), malloc'd, with its length in *LEN; NULL
 * when REPLY is not such a reply. Each metric family once, with its HELP and TYPE. */
char *prom_format(json_t *reply, size_t *len);

#endif
