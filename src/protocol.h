/* protocol.h - what cirqued and cirquectl share about the control protocol: the command table's
 * flags (the rows are in commands.def) and the machine code every error reply carries. Nothing
 * here is daemon code: cirquectl links protocol.o too. */
#ifndef CIRQUE_PROTOCOL_H
#define CIRQUE_PROTOCOL_H

/* A command's flags (commands.def): the daemon's dispatcher makes the checks of the first three,
 * cirquectl gives a waiting request of a CMD_WAITABLE command an hour to answer. */
enum command_flags {
	CMD_WATCHER = 1 << 0,          /* "name" is required and must name a watcher */
	CMD_WATCHER_IF_NAMED = 1 << 1, /* a "name", when given, must name a watcher */
	CMD_NOT_SHUTTING_DOWN = 1 << 2,/* refused while the daemon shuts down */
	CMD_WAITABLE = 1 << 3,         /* honours properties.waiting */
	CMD_OPERATOR = 1 << 4,         /* allowed on the operator socket: it runs nothing that is
					* not configured, changes no configuration, and shows no
					* watcher's environment */
};

/* The type a command's required property (commands.def) must have. */
enum prop_type {
	PROP_NONE,                     /* no required property besides name */
	PROP_ANY,                      /* present, of any type (checked by the handler) */
	PROP_LIST,
	PROP_OBJECT,
};

/* The "code" field of an error reply, next to Circus's numeric "errno" (kept as Circus has it):
 * errno-style names a client can act on without reading the reason's text. */
enum reply_code {
	REPLY_EBADMSG,                 /* not a request: bad framing, JSON, or properties (errno 1, 6) */
	REPLY_ENOSYS,                  /* unknown command (errno 2) */
	REPLY_EINVAL,                  /* a property is missing or invalid (errno 3) */
	REPLY_ENOENT,                  /* no such watcher (errno 3) */
	REPLY_ESRCH,                   /* no such process (errno 3) */
	REPLY_EIO,                     /* a system call failed, or no memory (errno 4) */
	REPLY_EFAIL,                   /* the command failed (errno 5) */
	REPLY_EEXIST,                  /* the watcher exists already (errno 5) */
	REPLY_ESHUTDOWN,               /* the daemon is shutting down (errno 5) */
	REPLY_CODE_COUNT,
};

const char *reply_code_name(enum reply_code code);
/* The code named NAME; REPLY_CODE_COUNT for NULL or a name it does not know. */
enum reply_code reply_code_parse(const char *name);

#endif
