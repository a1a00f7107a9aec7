/* reexec_fds.c - the descriptors kept across a re-exec (reexec.h). */
#include "reexec.h"

#include "xmalloc.h"

#include <fcntl.h>
#include <stdlib.h>

static int *kept;
static int nkept, kept_cap;

void reexec_keep_fd(int fd)
{
	if (fd < 0)
		return;
	if (nkept == kept_cap) {
		kept_cap = kept_cap ? 2 * kept_cap : 64;
		kept = xreallocarray(kept, (size_t)kept_cap, sizeof(*kept));
	}
	kept[nkept++] = fd;
}

json_t *reexec_kept_fds(void)
{
	json_t *list = json_array();

	for (int i = 0; i < nkept; i++)
		json_array_append_new(list, json_integer(kept[i]));
	return list;
}

void reexec_keep_reset(void)
{
	free(kept);
	kept = NULL;
	nkept = kept_cap = 0;
}

void reexec_keep_apply(bool keep)
{
	for (int i = 0; i < nkept; i++) {
		int flags = fcntl(kept[i], F_GETFD);
		if (flags >= 0)
			fcntl(kept[i], F_SETFD, keep ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC);
	}
}
