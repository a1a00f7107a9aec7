# The command table (src/commands.def) is the one list of cirquectl's verbs: `help` and
# `--help` print each of them once, the bash completion offers exactly them (it asks
# `cirquectl --list-commands`), and the man page documents each of them and no other. Adding a
# row without its man page line, or a man page line without its row, fails here.
. "$(dirname "$0")/lib.sh"

verbs=$("$CTL" --list-commands) || fail "--list-commands: exit $?"
n=$(echo "$verbs" | wc -l)
[ "$n" -ge 20 ] || fail "--list-commands lists $n verbs: $verbs"
[ "$(echo "$verbs" | sort | uniq -d)" = "" ] || fail "a verb listed twice: $verbs"

help=$("$CTL" help) || fail "help: exit $?"
usage=$("$CTL" --help) || fail "--help: exit $?"
# (Counted by bash itself: a grep per verb costs seconds on a busy machine.)
declare -A in_help in_usage
while IFS= read -r line; do
	[[ $line =~ ^\ \ ([a-z]+)(\ |$) ]] && in_help[${BASH_REMATCH[1]}]=$((${in_help[${BASH_REMATCH[1]}]:-0} + 1))
done <<<"$help"
while IFS= read -r line; do
	[[ $line =~ ^\ \ ([a-z]+)(\ |$) ]] && in_usage[${BASH_REMATCH[1]}]=$((${in_usage[${BASH_REMATCH[1]}]:-0} + 1))
done <<<"$usage"
for v in $verbs; do
	[ "${in_help[$v]:-0}" -eq 1 ] || fail "help lists $v other than once: $help"
	[ "${in_usage[$v]:-0}" -eq 1 ] || fail "--help lists $v other than once"
done
[ "$(echo "$help" | grep -c '^  ')" -eq "$n" ] || fail "help lists other lines: $help"

# The completion, as an interactive bash runs it (without set -u), with this cirquectl first in
# PATH.
PATH=$ROOT/src:$PATH
set +u
. "$ROOT/etc/bash-completion/cirquectl"
COMP_WORDS=(cirquectl "") COMP_CWORD=1
_cirquectl
offered=$(printf '%s\n' "${COMPREPLY[@]}" | grep -v '^-')
[ "$offered" = "$verbs" ] || fail "the completion offers $(echo $offered), not $(echo $verbs)"
COMP_WORDS=(cirquectl --timeout 3 re) COMP_CWORD=3
_cirquectl
[ "$(printf '%s ' "${COMPREPLY[@]}")" = "restart reload reread remove reopen reexec " ] ||
	fail "completion of 're': ${COMPREPLY[*]}"
set -u

# The man page: the first line of each item of COMMANDS names verbs (outside its quotes:
# `.BR start | stop | restart " name..."`; set is in the quotes of get's item).
items=$(awk '/^\.SH COMMANDS/ { f = 1; next } /^\.SH/ { f = 0 } f && prev == ".TP" { print } { prev = $0 }' \
	"$ROOT/etc/man/cirquectl.1")
[ -n "$items" ] || fail "no items in the man page's COMMANDS"
for word in $(echo "$items" | sed -e 's/"[^"]*"//g' -e 's/^\.[BIR]* //' | tr ' |,' '\n' | grep -E '^[a-z]+$'); do
	[[ $'\n'$verbs$'\n' == *$'\n'$word$'\n'* ]] || fail "the man page documents '$word', which is no verb"
done
for v in $verbs; do
	re='(^\.[BIR]+ |[ |"]|\\fP)'"$v"'([ "]|$)' documented=no
	while IFS= read -r line; do
		[[ $line =~ $re ]] && documented=yes && break
	done <<<"$items"
	[ "$documented" = yes ] || fail "the man page does not document $v"
done
note "$n verbs, in help, --help, the completion and the man page"
echo ok
