# attack_lib.sh - helpers for the test_attack_*.sh tests, which play a local attacker (uid 65534,
# nobody) against a cirqued running as root. Sourced after lib.sh.
#
# A "secret" is a root-only file (root:root, mode 0600, known content) made by the test; at the end
# its owner, mode and content must be unchanged. Each finding is recorded with `attack_succeeded`
# and the test goes on, so that one run reports everything the attacker achieved; `finish` fails
# the test if anything was recorded.

NOBODY=65534
FINDINGS=()

if [ "$(id -u)" != 0 ] || ! getent passwd "$NOBODY" >/dev/null || ! command -v setpriv >/dev/null; then
	echo "skipped: needs root, uid $NOBODY and setpriv"
	exit 0
fi
# The attacker has to reach the test's files; the secrets stay 0600.
chmod 755 "$T"

# as_nobody CMD...: runs CMD as the attacker, without root's groups. In the background, use
# "${AS_NOBODY[@]}" CMD... & so that $! is the attacker's own pid.
AS_NOBODY=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups --)
as_nobody() { "${AS_NOBODY[@]}" "$@"; }

attack_succeeded() {
	echo "ATTACK SUCCEEDED: $*" >&2
	FINDINGS+=("$*")
}

# make_secret PATH: a root-only file with content unique to this run.
make_secret() {
	printf 'root-only secret %s %s\n' "$(basename "$1")" "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" >"$1"
	chown 0:0 "$1"
	chmod 600 "$1"
	cp -p "$1" "$1.expected-content"
	chmod 600 "$1.expected-content"
}

# check_secret PATH WHAT: the secret is still a regular root:root 0600 file with its content.
check_secret() {
	local meta
	if [ -L "$1" ] || [ ! -f "$1" ]; then
		attack_succeeded "$2: secret $1 is no longer a regular file"
		return
	fi
	meta=$(stat -c '%u:%g %a' "$1")
	[ "$meta" = "0:0 600" ] || attack_succeeded "$2: secret $1 is now $(stat -c '%U:%G (uid %u) mode %a' "$1") (was root:root 0600)"
	cmp -s "$1" "$1.expected-content" ||
		attack_succeeded "$2: secret $1 content changed: $(head -c 200 "$1" | tr '\n' '|')"
}

# secret_changed PATH: true once the secret's owner, mode or content differ (for wait_for).
secret_changed() {
	[ "$(stat -c '%u:%g %a' "$1" 2>/dev/null)" != "0:0 600" ] || ! cmp -s "$1" "$1.expected-content"
}

finish() {
	if [ "${#FINDINGS[@]}" -gt 0 ]; then
		echo "--- ${#FINDINGS[@]} finding(s) ---" >&2
		printf '  - %s\n' "${FINDINGS[@]}" >&2
		fail "the attacker won (${#FINDINGS[@]} finding(s) above)"
	fi
	echo ok
}
