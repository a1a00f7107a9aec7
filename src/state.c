/* state.c - the process state table (see state.h).
 *
 * As in s6-supervise, the whole behaviour is one literal table, actions[state][event]; each cell
 * names a rule, and a rule only looks at the policy where the answer depends on it (wanted,
 * respawn, respawn_finished, failures against max_retry, beside_predecessor, early). An expected
 * exit (PE_FINISHED) is never a failure: it does not count towards max_retry and never leads to
 * FATAL. */
#include "state.h"

typedef struct transition (*rule)(enum proc_state state, const struct proc_policy *p);

static struct transition to(enum proc_state next, enum proc_action action)
{
	return (struct transition){ next, action };
}

/* Nothing happens: the event does not apply in this state. */
static struct transition stay(enum proc_state s, const struct proc_policy *p)
{
	(void)p;
	return to(s, PA_NONE);
}

/* Forget the process (it is gone, or it had no process to stop). */
static struct transition removed(enum proc_state s, const struct proc_policy *p)
{
	(void)s, (void)p;
	return to(PS_STOPPED, PA_REMOVE);
}

static struct transition send_stop(enum proc_state s, const struct proc_policy *p)
{
	(void)s, (void)p;
	return to(PS_STOPPING, PA_SEND_STOP);
}

/* A respawn still waiting for its turn (a spawn storm) has no process to stop: forgotten. */
static struct transition stop_starting(enum proc_state s, const struct proc_policy *p)
{
	return p->unspawned ? removed(s, p) : send_stop(s, p);
}

/* A start that did not take: exec failed (counts even with respawn off), or died starting. */
static struct transition start_failed(enum proc_state s, const struct proc_policy *p)
{
	(void)s;
	if (!p->wanted)
		return to(PS_STOPPED, PA_REMOVE);
	if (p->max_retry >= 0 && p->failures > p->max_retry)
		return to(PS_FATAL, PA_GIVE_UP);
	return to(PS_BACKOFF, PA_BACKOFF);
}

/* A death before ready. A successor started new-first may have died of its predecessor (the
 * port of its wid taken): that is no failed start, and the slot is replaced stop-first. */
static struct transition start_exited(enum proc_state s, const struct proc_policy *p)
{
	if (p->wanted && p->beside_predecessor)
		return to(PS_STOPPED, PA_STOP_FIRST);
	if (p->wanted && !p->respawn)
		return to(PS_EXITED, PA_NOTE_EXIT);
	return start_failed(s, p);
}

static struct transition became_running(enum proc_state s, const struct proc_policy *p)
{
	(void)s, (void)p;
	return to(PS_RUNNING, PA_BECAME_RUNNING);
}

/* Stays STARTING: its exit, when it comes, is the failed start. */
static struct transition kill_unready(enum proc_state s, const struct proc_policy *p)
{
	(void)s, (void)p;
	return to(PS_STARTING, PA_KILL_UNREADY);
}

/* A running process that exits is respawned at once, unless it died early (less than
 * min_uptime after ready): that counts as a failed start, with backoff and max_retry. */
static struct transition running_exited(enum proc_state s, const struct proc_policy *p)
{
	if (!p->wanted)
		return to(PS_STOPPED, PA_REMOVE);
	if (!p->respawn)
		return to(PS_EXITED, PA_NOTE_EXIT);
	if (p->early)
		return start_failed(s, p);
	return to(PS_STARTING, PA_RESPAWN);
}

/* An expected exit before ready: done (EXITED), or restarted after a pause (always), so that a
 * job that exits at once is not run in a tight loop. Not a failed start. */
static struct transition start_finished(enum proc_state s, const struct proc_policy *p)
{
	(void)s;
	if (!p->wanted)
		return to(PS_STOPPED, PA_REMOVE);
	if (!p->respawn_finished)
		return to(PS_EXITED, PA_NOTE_EXIT);
	return to(PS_BACKOFF, PA_PAUSE);
}

/* An expected exit of a running process: done, or respawned at once (always). */
static struct transition running_finished(enum proc_state s, const struct proc_policy *p)
{
	(void)s;
	if (!p->wanted)
		return to(PS_STOPPED, PA_REMOVE);
	if (!p->respawn_finished)
		return to(PS_EXITED, PA_NOTE_EXIT);
	return to(PS_STARTING, PA_RESPAWN);
}

static struct transition replace(enum proc_state s, const struct proc_policy *p)
{
	return p->wanted ? to(PS_RUNNING, PA_REPLACE) : to(s, PA_NONE);
}

static struct transition kill(enum proc_state s, const struct proc_policy *p)
{
	(void)p;
	return to(s, PA_KILL);
}

static struct transition backoff_over(enum proc_state s, const struct proc_policy *p)
{
	(void)s;
	return p->wanted ? to(PS_STARTING, PA_RESPAWN) : to(PS_STOPPED, PA_REMOVE);
}

/* FATAL and EXITED hold a place (no process) until a stop or an explicit start clears them; a
 * second stop while STOPPING changes nothing. */
static const rule actions[PS_COUNT][PE_COUNT] = {
	/*             SPAWN_FAILED  READY           EXITED          FINISHED
	 *             STOP           GRACE_TIMEOUT  BACKOFF_TIMEOUT  MAX_AGE  READY_TIMEOUT */
	[PS_STARTING] = { start_failed, became_running, start_exited,   start_finished,
			  stop_starting, stay,          stay,           stay,    kill_unready },
	[PS_RUNNING] =  { stay,         stay,           running_exited, running_finished,
			  send_stop,     stay,          stay,           replace, stay },
	[PS_STOPPING] = { stay,         stay,           removed,        removed,
			  stay,          kill,          stay,           stay,    stay },
	[PS_BACKOFF] =  { stay,         stay,           stay,           stay,
			  removed,       stay,          backoff_over,   stay,    stay },
	[PS_FATAL] =    { stay,         stay,           stay,           stay,
			  removed,       stay,          stay,           stay,    stay },
	[PS_EXITED] =   { stay,         stay,           stay,           stay,
			  removed,       stay,          stay,           stay,    stay },
	[PS_STOPPED] =  { stay,         stay,           stay,           stay,
			  stay,          stay,          stay,           stay,    stay },
};

struct transition proc_transition(enum proc_state state, enum proc_event event,
				  const struct proc_policy *policy)
{
	return actions[state][event](state, policy);
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
	static const char *const names[PS_COUNT] = {
		[PS_STARTING] = "STARTING", [PS_RUNNING] = "RUNNING", [PS_STOPPING] = "STOPPING",
		[PS_BACKOFF] = "BACKOFF",   [PS_FATAL] = "FATAL",     [PS_EXITED] = "EXITED",
		[PS_STOPPED] = "STOPPED",
	};
	return names[state];
}
