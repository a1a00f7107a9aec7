/* state.c - the process state table (see state.h). */
#include "state.h"

static struct transition ignore(enum proc_state state)
{
	return (struct transition){ state, PA_NONE };
}

/* A start that did not take (exec failed, or died during the start grace). */
static struct transition failed_start(const struct proc_policy *p, bool exited)
{
	if (!p->wanted)
		return (struct transition){ PS_STOPPED, PA_REMOVE };
	if (exited && !p->respawn)
		return (struct transition){ PS_EXITED, PA_NOTE_EXIT };
	if (p->max_retry >= 0 && p->failures > p->max_retry)
		return (struct transition){ PS_FATAL, PA_GIVE_UP };
	return (struct transition){ PS_BACKOFF, PA_BACKOFF };
}

static struct transition from_starting(enum proc_event e, const struct proc_policy *p)
{
	switch (e) {
	case PE_SPAWN_FAILED: return failed_start(p, false);
	case PE_EXITED: return failed_start(p, true);
	case PE_READY: return (struct transition){ PS_RUNNING, PA_BECAME_RUNNING };
	case PE_READY_TIMEOUT: return (struct transition){ PS_STARTING, PA_KILL_UNREADY };
	case PE_STOP: return (struct transition){ PS_STOPPING, PA_SEND_STOP };
	default: return ignore(PS_STARTING);
	}
}

static struct transition from_running(enum proc_event e, const struct proc_policy *p)
{
	switch (e) {
	case PE_EXITED:
		if (!p->wanted)
			return (struct transition){ PS_STOPPED, PA_REMOVE };
		if (!p->respawn)
			return (struct transition){ PS_EXITED, PA_NOTE_EXIT };
		return (struct transition){ PS_STARTING, PA_RESPAWN };
	case PE_STOP: return (struct transition){ PS_STOPPING, PA_SEND_STOP };
	case PE_MAX_AGE:
		return p->wanted ? (struct transition){ PS_RUNNING, PA_REPLACE } : ignore(PS_RUNNING);
	default: return ignore(PS_RUNNING);
	}
}

static struct transition from_stopping(enum proc_event e)
{
	switch (e) {
	case PE_EXITED: return (struct transition){ PS_STOPPED, PA_REMOVE };
	case PE_GRACE_TIMEOUT: return (struct transition){ PS_STOPPING, PA_KILL };
	default: return ignore(PS_STOPPING);  /* a second stop changes nothing */
	}
}

static struct transition from_backoff(enum proc_event e, const struct proc_policy *p)
{
	switch (e) {
	case PE_BACKOFF_TIMEOUT:
		return p->wanted ? (struct transition){ PS_STARTING, PA_RESPAWN }
				 : (struct transition){ PS_STOPPED, PA_REMOVE };
	case PE_STOP: return (struct transition){ PS_STOPPED, PA_REMOVE };
	default: return ignore(PS_BACKOFF);
	}
}

/* FATAL and EXITED hold a place (no process) until a stop or an explicit start clears them. */
static struct transition from_resting(enum proc_state s, enum proc_event e)
{
	return e == PE_STOP ? (struct transition){ PS_STOPPED, PA_REMOVE } : ignore(s);
}

struct transition proc_transition(enum proc_state state, enum proc_event event,
				  const struct proc_policy *policy)
{
	switch (state) {
	case PS_STARTING: return from_starting(event, policy);
	case PS_RUNNING: return from_running(event, policy);
	case PS_STOPPING: return from_stopping(event);
	case PS_BACKOFF: return from_backoff(event, policy);
	case PS_FATAL:
	case PS_EXITED: return from_resting(state, event);
	case PS_STOPPED: break;
	}
	return ignore(PS_STOPPED);
}

double backoff_delay(int failures)
{
	double delay = 0.25;

	for (int i = 1; i < failures && delay < 30; i++)
		delay *= 2;
	return delay < 30 ? delay : 30;
}

const char *proc_state_name(enum proc_state state)
{
	static const char *const names[] = { "STARTING", "RUNNING", "STOPPING", "BACKOFF",
					     "FATAL", "EXITED", "STOPPED" };
	return names[state];
}
