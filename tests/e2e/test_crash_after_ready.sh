# A program that crashes just after it became ready is a crash loop too: a death less than
# min_uptime after ready is a failed start (backoff, max_retry, FATAL); one after min_uptime
# starts the count anew; status shows how often a slot was restarted; a healthy process is not
# affected.
. "$(dirname "$0")/lib.sh"
S=$(sleeper healthy)

cat >"$CONF" <<YAML
watchers:
  slowcrash:          # ready after 0.2 s, dead at 0.4 s: never up min_uptime (default 10 s)
    cmd: /bin/sh -c 'echo run >> $T/slow; sleep 0.4; exit 3'
    ready: {delay: 0.2s}
    max_retry: 2
  flaky:              # crashes twice just after ready, then stays up
    cmd: /bin/sh -c 'echo run >> $T/flaky; [ \$(wc -l < $T/flaky) -ge 3 ] && exec sleep 3600; sleep 0.3; exit 3'
    ready: {delay: 0.1s}
  alternating:        # an early death, then one after min_uptime, and so on: never FATAL
    cmd: /bin/sh -c 'echo run >> $T/alt; if [ \$((\$(wc -l < $T/alt) % 2)) = 1 ]; then sleep 0.2; else sleep 1.2; fi; exit 3'
    ready: {delay: 0.1s}
    min_uptime: 0.4s
    max_retry: 1
  healthy:
    cmd: $S 3600
    ready: {delay: 0.1s}
YAML
start_daemon
wait_count "$S" 1
healthy=$(children_matching "$S")

# --- the crash loop after ready ends FATAL after 1 + max_retry runs ---------------------------
wait_for 20 '"$CTL" status slowcrash | grep -q FATAL' || fail "slowcrash never FATAL: $("$CTL" status slowcrash)"
[ "$(wc -l <"$T/slow")" -eq 3 ] || fail "slowcrash ran $(wc -l <"$T/slow") times, expected 3 (1 + max_retry 2)"
grep -q "slowcrash\[1\]: died [0-9.]*s after it was ready, less than min_uptime 10s: a failed start" "$DLOG" ||
	fail "the early death was not explained in the log"
[ "$(log_count 'slowcrash\[1\]: start failed, retry')" -eq 2 ] || fail "not backed off twice"
grep -q "slowcrash\[1\]: gave up after 3 failed starts" "$DLOG" || fail "give-up not logged"
"$CTL" status slowcrash | grep -q "Exited too quickly: gave up after 3 failed starts" ||
	fail "status: $("$CTL" status slowcrash)"

# --- status counts the restarts of a slot -----------------------------------------------------
wait_for 20 '"$CTL" status flaky | grep -q RUNNING && [ "$(wc -l <"$T/flaky")" -ge 3 ]' ||
	fail "flaky never settled: $("$CTL" status flaky)"
out=$("$CTL" status flaky)
echo "$out" | grep -qE "RUNNING +pid [0-9]+, uptime [0-9:]+, 2 restarts \(last exit: status 3\)\$" ||
	fail "status does not show the restarts: $out"
"$CTL" --json status flaky | grep -q '"restarts": *2' || fail "no restarts in the JSON: $("$CTL" --json status flaky)"

# --- a process that stays up min_uptime starts the count anew ---------------------------------
# Without the reset, the third run (early again) would be the second failure: FATAL.
wait_for 20 '[ "$(wc -l <"$T/alt")" -ge 4 ] || "$CTL" status alternating | grep -q FATAL' ||
	fail "alternating did not run 4 times"
"$CTL" status alternating | grep -q FATAL && fail "alternating gave up: an exit after min_uptime did not reset the count"
grep -q "alternating\[1\]: gave up" "$DLOG" && fail "alternating gave up"

# --- a healthy process is not affected ---------------------------------------------------------
[ "$(children_matching "$S")" = "$healthy" ] || fail "healthy process was replaced"
"$CTL" status healthy | grep -qE "RUNNING +pid $healthy, uptime [0-9:]+\$" || fail "healthy: $("$CTL" status healthy)"
stop_daemon TERM
echo ok
