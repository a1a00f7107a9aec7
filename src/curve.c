/* curve.c - CURVE keys: loading a secret key file, checking a key's form (daemon and client). */
#include "curve.h"

#include "safefs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

int curve_key_valid(const char *text)
{
	uint8_t binary[32];

	return text && strlen(text) == CURVE_KEY_LEN && zmq_z85_decode(binary, text) != NULL;
}

int curve_load_secret(const char *path, char *secret, char *public_key, const char **why)
{
	static char refused[SAFEFS_WHY];  /* start-up only: one caller at a time */
	char line[256];
	struct safe_file f;
	FILE *fp;
	bool found = false;
	int fd;

	secret[0] = '\0';
	/* Never through a link someone else planted (safefs.h); O_NONBLOCK: a FIFO put there must
	 * not hang the open (safefs refuses anything but a regular file). */
	if (safe_file_open(path, O_RDONLY | O_NONBLOCK, 0, false, &f, NULL, refused) < 0) {
		*why = refused;
		return -1;
	}
	fd = f.fd;
	if ((*why = safefs_secret_problem(&f.st, refused)) != NULL ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (*why == NULL)
			*why = strerror(errno);
		close(fd);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), fp)) {
		char *start = line, *end;
		while (isspace((unsigned char)*start))
			start++;
		end = start + strlen(start);
		while (end > start && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*start == '\0' || *start == '#')
			continue;
		found = strlen(start) == CURVE_KEY_LEN;
		if (found)
			memcpy(secret, start, CURVE_KEY_LEN + 1);
		break;
	}
	fclose(fp);
	explicit_bzero(line, sizeof(line));
	if (!found || !curve_key_valid(secret)) {
		*why = "no Z85 secret key (40 characters) in the file";
		return -1;
	}
	if (zmq_curve_public(public_key, secret) < 0) {
		*why = zmq_strerror(zmq_errno());
		return -1;
	}
	return 0;
}
