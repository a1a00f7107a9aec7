# Higher priority starts first; shutdown goes lowest priority first, level by level.
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
watchers:
  low:
    cmd: /bin/sh -c 'echo start-low >> $T/order; trap "echo stop-low >> $T/order; exit 0" TERM; while :; do sleep 0.05; done'
    priority: 1
  high:
    cmd: /bin/sh -c 'echo start-high >> $T/order; trap "echo stop-high >> $T/order; exit 0" TERM; while :; do sleep 0.05; done'
    priority: 10
  middle:
    cmd: /bin/sh -c 'echo start-middle >> $T/order; trap "echo stop-middle >> $T/order; exit 0" TERM; while :; do sleep 0.05; done'
    priority: 5
YAML
start_daemon
wait_for 15 '[ "$(grep -c start "$T/order" 2>/dev/null)" = 3 ]' || fail "not all started: $(cat "$T/order")"
stop_daemon TERM
expected=$(printf '%s\n' start-high start-middle start-low stop-low stop-middle stop-high)
[ "$(cat "$T/order")" = "$expected" ] || fail "order was: $(cat "$T/order" | tr '\n' ' ')"
echo ok
