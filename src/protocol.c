/* protocol.c - the reply codes' names (protocol.h). */
#include "protocol.h"

#include <stddef.h>
#include <string.h>

static const char *const code_names[REPLY_CODE_COUNT] = {
	[REPLY_EBADMSG] = "EBADMSG", [REPLY_ENOSYS] = "ENOSYS", [REPLY_EINVAL] = "EINVAL",
	[REPLY_ENOENT] = "ENOENT", [REPLY_ESRCH] = "ESRCH", [REPLY_EIO] = "EIO",
	[REPLY_EFAIL] = "EFAIL", [REPLY_EEXIST] = "EEXIST", [REPLY_ESHUTDOWN] = "ESHUTDOWN",
};

const char *reply_code_name(enum reply_code code)
{
	return code < REPLY_CODE_COUNT ? code_names[code] : NULL;
}

enum reply_code reply_code_parse(const char *name)
{
	for (int i = 0; name && i < REPLY_CODE_COUNT; i++)
		if (strcmp(code_names[i], name) == 0)
			return (enum reply_code)i;
	return REPLY_CODE_COUNT;
}
