/* stubborn.c - a child for the stop benchmarks: it ignores SIGTERM and waits for ever, so that
 * only the supervisor's SIGKILL after its graceful timeout ends it. One small exec (where
 * `sh -c 'trap "" TERM; exec sleep 3600'` costs two, a shell's start-up included), so that
 * starting 10,000 of them does not dominate the benchmark. */
#include <signal.h>
#include <unistd.h>

int main(void)
{
	signal(SIGTERM, SIG_IGN);
	for (;;)
		pause();
}
