# bench/lib.sh - what bench/run.sh and bench/scale.sh both read off cirqued's log.

# escalations LOGFILE: how many processes got SIGKILL at graceful_timeout. cirqued logs the first
# of a burst ("pid N still running after graceful_timeout ..., sending SIGKILL"), then the others
# in one line ("K more processes were still running after graceful_timeout ...: sent SIGKILL").
escalations() {
	grep -E 'still running after graceful_timeout .*(sending|sent) SIGKILL' "$1" |
		sed -n 's/.*: \([0-9]*\) more process.* still running.*/\1/p;t;s/.*/1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}
