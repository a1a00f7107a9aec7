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

json_t *reexec_pids_json(const pid_t *pids, int n)
{
	json_t *list = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_integer(pids[i]));
	return list;
}

int reexec_pids_of_json(const json_t *list, pid_t **out)
{
	size_t i, n = json_array_size(list);
	const json_t *pid;

	*out = xmalloc(sizeof(pid_t) * (n ? n : 1));
	json_array_foreach(list, i, pid)
		(*out)[i] = (pid_t)json_integer_value(pid);
	return (int)n;
}
