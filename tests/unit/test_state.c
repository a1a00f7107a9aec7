/* test_state.c - unit tests for src/state.c: the (state, event) -> (next, action) table, the backoff
 * delays and the state names. */
#include "check.h"
#include "state.h"


/* A policy: wanted, respawn (restart: always when true, never when false), failures (counting
 * the one being decided), max_retry. */
static struct proc_policy policy(bool wanted, bool respawn, int failures, int max_retry)
{
	return (struct proc_policy){ .wanted = wanted, .respawn = respawn,
				     .respawn_finished = respawn, .failures = failures,
				     .max_retry = max_retry };
}

/* The same under restart: on-failure (respawned after an unexpected exit only). */
static struct proc_policy on_failure(bool wanted, int failures, int max_retry)
{
	return (struct proc_policy){ .wanted = wanted, .respawn = true, .respawn_finished = false,
				     .failures = failures, .max_retry = max_retry };
}

/* The usual case: wanted, restart: always, first failure, default max_retry 5. */
static const struct proc_policy normal = { .wanted = true, .respawn = true,
					   .respawn_finished = true, .failures = 1,
					   .max_retry = 5 };

/* proc_state_name, safe for an out-of-range state (which would be a bug in the table). */
static const char *state_name(enum proc_state s)
{
	return (int)s >= 0 && (int)s < PS_COUNT ? proc_state_name(s) : "(out of range)";
}

/* Checks one transition; the names of the expected values end up in the failure message. */
#define CHECK_TRANSITION(state, event, pol, want_next, want_action)                        \
	do {                                                                                \
		struct proc_policy p_ = (pol);                                              \
		struct transition t_ = proc_transition((state), (event), &p_);              \
		CHECK_STR(state_name(t_.next), state_name(want_next));                      \
		CHECK_INT(t_.action, (want_action));                                        \
	} while (0)

TEST(starting)
{
	CHECK_TRANSITION(PS_STARTING, PE_READY, normal, PS_RUNNING, PA_BECAME_RUNNING);
	CHECK_TRANSITION(PS_STARTING, PE_READY, policy(false, false, 3, 0), PS_RUNNING,
			 PA_BECAME_RUNNING);
	CHECK_TRANSITION(PS_STARTING, PE_STOP, normal, PS_STOPPING, PA_SEND_STOP);
	CHECK_TRANSITION(PS_STARTING, PE_STOP, policy(false, true, 1, 5), PS_STOPPING, PA_SEND_STOP);
	/* A respawn still waiting for its turn in a spawn storm has no process: it is forgotten. */
	struct proc_policy unspawned = normal;
	unspawned.unspawned = true;
	CHECK_TRANSITION(PS_STARTING, PE_STOP, unspawned, PS_STOPPED, PA_REMOVE);
}

TEST(starting_exited)
{
	/* Within max_retry: back off. failures counts the failure being decided. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 1, 5), PS_BACKOFF, PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 5, 5), PS_BACKOFF, PA_BACKOFF);
	/* Beyond it: give up. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 6, 5), PS_FATAL, PA_GIVE_UP);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 1, 0), PS_FATAL, PA_GIVE_UP);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 0, 0), PS_BACKOFF, PA_BACKOFF);
	/* max_retry -1: never FATAL. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 1, -1), PS_BACKOFF, PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, true, 1000000, -1), PS_BACKOFF,
			 PA_BACKOFF);
	/* respawn off: the exit is noted, whatever the failure count. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, false, 1, 5), PS_EXITED, PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(true, false, 9, 5), PS_EXITED, PA_NOTE_EXIT);
	/* Not wanted any more: just forget it. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(false, true, 1, 5), PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(false, true, 9, 5), PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, policy(false, false, 1, 5), PS_STOPPED, PA_REMOVE);
}

TEST(starting_spawn_failed)
{
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(true, true, 1, 5), PS_BACKOFF,
			 PA_BACKOFF);
	/* A failed exec is a failed start even with respawn off: retried, then given up. */
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(true, false, 1, 5), PS_BACKOFF,
			 PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(true, false, 6, 5), PS_FATAL,
			 PA_GIVE_UP);
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(true, true, 6, 5), PS_FATAL,
			 PA_GIVE_UP);
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(true, true, 50, -1), PS_BACKOFF,
			 PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, policy(false, true, 1, 5), PS_STOPPED,
			 PA_REMOVE);
}

/* An expected exit (a status in exitcodes) is never a failed start, whatever the count. */
TEST(finished)
{
	/* Before ready: restart: always pauses, then restarts; never FATAL, even past max_retry. */
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, policy(true, true, 0, 5), PS_BACKOFF, PA_PAUSE);
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, policy(true, true, 9, 5), PS_BACKOFF, PA_PAUSE);
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, policy(true, true, 1, 0), PS_BACKOFF, PA_PAUSE);
	/* on-failure and never: done. */
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, on_failure(true, 0, 5), PS_EXITED, PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, policy(true, false, 0, 5), PS_EXITED,
			 PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, policy(false, true, 0, 5), PS_STOPPED, PA_REMOVE);
	/* A running process: always respawns at once, the others are done. */
	CHECK_TRANSITION(PS_RUNNING, PE_FINISHED, normal, PS_STARTING, PA_RESPAWN);
	CHECK_TRANSITION(PS_RUNNING, PE_FINISHED, on_failure(true, 0, 5), PS_EXITED, PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_RUNNING, PE_FINISHED, policy(true, false, 0, 5), PS_EXITED,
			 PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_RUNNING, PE_FINISHED, on_failure(false, 0, 5), PS_STOPPED, PA_REMOVE);
	/* Stopping: gone, as for any exit. */
	CHECK_TRANSITION(PS_STOPPING, PE_FINISHED, normal, PS_STOPPED, PA_REMOVE);
	/* on-failure after an unexpected exit: as always. */
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, on_failure(true, 1, 5), PS_BACKOFF, PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, on_failure(true, 6, 5), PS_FATAL, PA_GIVE_UP);
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, on_failure(true, 0, 5), PS_STARTING, PA_RESPAWN);
}

TEST(running)
{
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, normal, PS_STARTING, PA_RESPAWN);
	/* A running process that exits is respawned at once, even past max_retry. */
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, policy(true, true, 9, 5), PS_STARTING, PA_RESPAWN);
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, policy(true, false, 0, 5), PS_EXITED, PA_NOTE_EXIT);
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, policy(false, true, 0, 5), PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, policy(false, false, 0, 5), PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_RUNNING, PE_STOP, normal, PS_STOPPING, PA_SEND_STOP);
	CHECK_TRANSITION(PS_RUNNING, PE_MAX_AGE, normal, PS_RUNNING, PA_REPLACE);
	CHECK_TRANSITION(PS_RUNNING, PE_MAX_AGE, policy(false, true, 0, 5), PS_RUNNING, PA_NONE);
}

/* A RUNNING process that died less than min_uptime after ready: a failed start, as one that
 * died starting (backoff, then FATAL past max_retry). */
TEST(running_early_death)
{
	struct proc_policy early = normal;

	early.early = true;
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, early, PS_BACKOFF, PA_BACKOFF);
	early.failures = 6;
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, early, PS_FATAL, PA_GIVE_UP);
	early.max_retry = -1;
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, early, PS_BACKOFF, PA_BACKOFF);
	/* Not restarted anyway, or not wanted: as before. */
	early.respawn = early.respawn_finished = false;
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, early, PS_EXITED, PA_NOTE_EXIT);
	early.wanted = false;
	CHECK_TRANSITION(PS_RUNNING, PE_EXITED, early, PS_STOPPED, PA_REMOVE);
	/* An expected exit is never early: respawned at once (restart: always). */
	early = normal;
	early.early = true;
	CHECK_TRANSITION(PS_RUNNING, PE_FINISHED, early, PS_STARTING, PA_RESPAWN);
}

/* A new-first successor that dies before ready beside the process it replaces: the slot falls
 * back to stop-first, whatever the failure count or restart policy; never FATAL for it. */
TEST(successor_died_beside_predecessor)
{
	struct proc_policy beside = normal;

	beside.beside_predecessor = true;
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, beside, PS_STOPPED, PA_STOP_FIRST);
	beside.failures = 9;
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, beside, PS_STOPPED, PA_STOP_FIRST);
	beside.respawn = beside.respawn_finished = false;
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, beside, PS_STOPPED, PA_STOP_FIRST);
	/* A stop meanwhile: just gone. */
	beside.wanted = false;
	CHECK_TRANSITION(PS_STARTING, PE_EXITED, beside, PS_STOPPED, PA_REMOVE);
	/* Not an exit: a spawn that failed, or an expected exit, is as without a predecessor. */
	beside = normal;
	beside.beside_predecessor = true;
	CHECK_TRANSITION(PS_STARTING, PE_SPAWN_FAILED, beside, PS_BACKOFF, PA_BACKOFF);
	CHECK_TRANSITION(PS_STARTING, PE_FINISHED, beside, PS_BACKOFF, PA_PAUSE);
	CHECK_TRANSITION(PS_STARTING, PE_READY, beside, PS_RUNNING, PA_BECAME_RUNNING);
}

TEST(stopping)
{
	CHECK_TRANSITION(PS_STOPPING, PE_GRACE_TIMEOUT, normal, PS_STOPPING, PA_KILL);
	CHECK_TRANSITION(PS_STOPPING, PE_EXITED, normal, PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_STOPPING, PE_EXITED, policy(false, false, 0, 5), PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_STOPPING, PE_STOP, normal, PS_STOPPING, PA_NONE);
	CHECK_TRANSITION(PS_STOPPING, PE_MAX_AGE, normal, PS_STOPPING, PA_NONE);
	CHECK_TRANSITION(PS_STOPPING, PE_READY, normal, PS_STOPPING, PA_NONE);
}

TEST(backoff)
{
	CHECK_TRANSITION(PS_BACKOFF, PE_BACKOFF_TIMEOUT, normal, PS_STARTING, PA_RESPAWN);
	CHECK_TRANSITION(PS_BACKOFF, PE_BACKOFF_TIMEOUT, policy(false, true, 1, 5), PS_STOPPED,
			 PA_REMOVE);
	CHECK_TRANSITION(PS_BACKOFF, PE_STOP, normal, PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_BACKOFF, PE_EXITED, normal, PS_BACKOFF, PA_NONE);
}

TEST(resting_states)
{
	CHECK_TRANSITION(PS_FATAL, PE_STOP, normal, PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_EXITED, PE_STOP, normal, PS_STOPPED, PA_REMOVE);
	CHECK_TRANSITION(PS_FATAL, PE_BACKOFF_TIMEOUT, normal, PS_FATAL, PA_NONE);
	CHECK_TRANSITION(PS_EXITED, PE_EXITED, normal, PS_EXITED, PA_NONE);
	CHECK_TRANSITION(PS_STOPPED, PE_STOP, normal, PS_STOPPED, PA_NONE);
	CHECK_TRANSITION(PS_STOPPED, PE_BACKOFF_TIMEOUT, normal, PS_STOPPED, PA_NONE);
}

/* An independent statement of the table, written from state.h's comments rather than from
 * state.c: what each (state, event) pair should do under a policy. */
static struct transition expected(enum proc_state s, enum proc_event e,
				  const struct proc_policy *p)
{
	bool over_retry = p->max_retry >= 0 && p->failures > p->max_retry;
	struct transition none = { s, PA_NONE };

	if (s == PS_STARTING && (e == PE_SPAWN_FAILED || e == PE_EXITED)) {
		if (!p->wanted)
			return (struct transition){ PS_STOPPED, PA_REMOVE };
		if (e == PE_EXITED && !p->respawn)
			return (struct transition){ PS_EXITED, PA_NOTE_EXIT };
		return over_retry ? (struct transition){ PS_FATAL, PA_GIVE_UP }
				  : (struct transition){ PS_BACKOFF, PA_BACKOFF };
	}
	if ((s == PS_STARTING || s == PS_RUNNING) && e == PE_FINISHED) {
		if (!p->wanted)
			return (struct transition){ PS_STOPPED, PA_REMOVE };
		if (!p->respawn_finished)
			return (struct transition){ PS_EXITED, PA_NOTE_EXIT };
		return s == PS_STARTING ? (struct transition){ PS_BACKOFF, PA_PAUSE }
					: (struct transition){ PS_STARTING, PA_RESPAWN };
	}
	if (s == PS_STARTING && e == PE_READY)
		return (struct transition){ PS_RUNNING, PA_BECAME_RUNNING };
	if (s == PS_STARTING && e == PE_READY_TIMEOUT)
		return (struct transition){ PS_STARTING, PA_KILL_UNREADY };
	if ((s == PS_STARTING || s == PS_RUNNING) && e == PE_STOP)
		return (struct transition){ PS_STOPPING, PA_SEND_STOP };
	if (s == PS_RUNNING && e == PE_EXITED) {
		if (!p->wanted)
			return (struct transition){ PS_STOPPED, PA_REMOVE };
		return p->respawn ? (struct transition){ PS_STARTING, PA_RESPAWN }
				  : (struct transition){ PS_EXITED, PA_NOTE_EXIT };
	}
	if (s == PS_RUNNING && e == PE_MAX_AGE)
		return p->wanted ? (struct transition){ PS_RUNNING, PA_REPLACE } : none;
	if (s == PS_STOPPING && (e == PE_EXITED || e == PE_FINISHED))
		return (struct transition){ PS_STOPPED, PA_REMOVE };
	if (s == PS_STOPPING && e == PE_GRACE_TIMEOUT)
		return (struct transition){ PS_STOPPING, PA_KILL };
	if (s == PS_BACKOFF && e == PE_BACKOFF_TIMEOUT)
		return p->wanted ? (struct transition){ PS_STARTING, PA_RESPAWN }
				 : (struct transition){ PS_STOPPED, PA_REMOVE };
	if ((s == PS_BACKOFF || s == PS_FATAL || s == PS_EXITED) && e == PE_STOP)
		return (struct transition){ PS_STOPPED, PA_REMOVE };
	return none;
}

TEST(starting_ready_timeout)
{
	CHECK_TRANSITION(PS_STARTING, PE_READY_TIMEOUT, normal, PS_STARTING, PA_KILL_UNREADY);
	CHECK_TRANSITION(PS_STARTING, PE_READY_TIMEOUT, policy(false, false, 9, 0), PS_STARTING,
			 PA_KILL_UNREADY);
	CHECK_TRANSITION(PS_RUNNING, PE_READY_TIMEOUT, normal, PS_RUNNING, PA_NONE);
	CHECK_TRANSITION(PS_STOPPING, PE_READY_TIMEOUT, normal, PS_STOPPING, PA_NONE);
}

/* Every (state, event) pair under policies that cover each branch, against expected(). */
TEST(every_pair)
{
	const struct proc_policy policies[] = {
		policy(true, true, 1, 5),   policy(true, true, 5, 5),   policy(true, true, 6, 5),
		policy(true, false, 1, 5),  policy(true, false, 6, 5),  policy(false, true, 1, 5),
		policy(false, false, 9, 0), policy(true, true, 99, -1), policy(true, true, 0, 0),
		policy(true, true, 1, 0),   on_failure(true, 1, 5),   on_failure(true, 6, 5),
		on_failure(false, 1, 5),
	};
	int pairs = 0;

	for (int s = 0; s < PS_COUNT; s++) {
		for (int e = 0; e < PE_COUNT; e++, pairs++) {
			for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
				struct transition t = proc_transition(s, e, &policies[i]);
				struct transition want = expected(s, e, &policies[i]);
				bool in_range = (int)t.next >= 0 && (int)t.next < PS_COUNT &&
						(int)t.action >= 0 && (int)t.action < PA_COUNT;

				if (!CHECK(in_range && t.next == want.next && t.action == want.action))
					printf("     state %s event %d policy #%zu -> next %d action %d,"
					       " want %d %d\n", state_name(s), e, i, (int)t.next,
					       (int)t.action, (int)want.next, (int)want.action);
				/* Nothing leads back to STARTING except a respawn. */
				if (in_range && t.next == PS_STARTING && s != PS_STARTING)
					CHECK_INT(t.action, PA_RESPAWN);
				/* An expected exit never gives up. */
				if (in_range && e == PE_FINISHED)
					CHECK((t.next != PS_FATAL || s == PS_FATAL) &&
					      t.action != PA_GIVE_UP);
				/* STOPPED is reached only by forgetting the process. */
				if (in_range && t.next == PS_STOPPED && s != PS_STOPPED)
					CHECK_INT(t.action, PA_REMOVE);
			}
		}
	}
	CHECK_INT(pairs, 7 * 9);  /* a new state or event must be added to expected() too */
}

TEST(backoff_delay)
{
	CHECK_DBL(backoff_delay(1), 0.25);
	CHECK_DBL(backoff_delay(2), 0.5);
	CHECK_DBL(backoff_delay(3), 1);
	CHECK_DBL(backoff_delay(4), 2);
	CHECK_DBL(backoff_delay(5), 4);
	CHECK_DBL(backoff_delay(6), 8);
	CHECK_DBL(backoff_delay(7), 16);
	CHECK_DBL(backoff_delay(8), 30);  /* 32, capped */
	CHECK_DBL(backoff_delay(9), 30);
	CHECK_DBL(backoff_delay(100), 30);
	CHECK_DBL(backoff_delay(1000000), 30);
	CHECK_DBL(backoff_delay(0), 0.25);

	double previous = 0;
	bool monotonic = true, capped = true;
	for (int n = 1; n <= 200; n++) {
		double d = backoff_delay(n);
		monotonic = monotonic && d >= previous;
		capped = capped && d > 0 && d <= 30;
		previous = d;
	}
	CHECK(monotonic);
	CHECK(capped);
}

TEST(state_names)
{
	CHECK_STR(proc_state_name(PS_STARTING), "STARTING");
	CHECK_STR(proc_state_name(PS_RUNNING), "RUNNING");
	CHECK_STR(proc_state_name(PS_STOPPING), "STOPPING");
	CHECK_STR(proc_state_name(PS_BACKOFF), "BACKOFF");
	CHECK_STR(proc_state_name(PS_FATAL), "FATAL");
	CHECK_STR(proc_state_name(PS_EXITED), "EXITED");
	CHECK_STR(proc_state_name(PS_STOPPED), "STOPPED");
}

int main(void)
{
	RUN(starting);
	RUN(starting_exited);
	RUN(starting_spawn_failed);
	RUN(finished);
	RUN(running);
	RUN(running_early_death);
	RUN(successor_died_beside_predecessor);
	RUN(stopping);
	RUN(backoff);
	RUN(resting_states);
	RUN(starting_ready_timeout);
	RUN(every_pair);
	RUN(backoff_delay);
	RUN(state_names);
	return check_summary();
}
