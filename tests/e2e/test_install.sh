# make install into a DESTDIR: binaries, man pages, unit file (which systemd-analyze accepts),
# bash completion, a configuration that runs nothing and includes conf.d/ (never overwritten),
# the demo configuration as an example under share/doc; make uninstall keeps the configuration.
. "$(dirname "$0")/lib.sh"

D=$T/dest
# -o all: install what is built (a SANITIZE build stays as it is), do not rebuild.
mk() { make --no-print-directory -s -C "$ROOT" -o all "$@" DESTDIR="$D" PREFIX=/usr >"$T/make.out" 2>&1 ||
	fail "make $*: $(cat "$T/make.out")"; }
mk install
for f in usr/bin/cirqued usr/bin/cirquectl usr/bin/cirque-web usr/share/man/man8/cirqued.8 \
	 usr/share/man/man1/cirquectl.1 usr/share/man/man8/cirque-web.8 etc/cirque/web.yaml \
	 usr/share/man/man5/cirque.yaml.5 lib/systemd/system/cirqued.service lib/systemd/system/cirque-web.service \
	 usr/share/bash-completion/completions/cirquectl etc/cirque/cirque.yaml \
	 usr/share/doc/cirque/example.yaml; do
	[ -f "$D/$f" ] || fail "missing $f after make install"
done
[ -x "$D/usr/bin/cirqued" ] && [ -x "$D/usr/bin/cirquectl" ] || fail "binaries not executable"
"$D/usr/bin/cirqued" --version | grep -q '^cirqued ' || fail "installed cirqued does not run"
out=$("$D/usr/bin/cirqued" -c "$D/etc/cirque/cirque.yaml" --check 2>&1) || fail "installed config invalid: $out"
[ "$out" = "$D/etc/cirque/cirque.yaml: ok (0 watchers)" ] || fail "the installed config runs something: $out"
grep -q '@' "$D/etc/cirque/cirque.yaml" && fail "unsubstituted @VARIABLE@ in the installed config"
grep -q '/usr/share/doc/cirque/example.yaml' "$D/etc/cirque/cirque.yaml" || fail "the installed config does not say where the example is"
"$D/usr/bin/cirqued" -c "$D/usr/share/doc/cirque/example.yaml" --check >/dev/null 2>&1 || fail "installed example invalid"
# A program dropped into conf.d/ is part of the configuration.
[ -d "$D/etc/cirque/conf.d" ] || fail "no conf.d directory"
printf 'watchers:\n  web:\n    cmd: sleep 100\n' >"$D/etc/cirque/conf.d/web.yaml"
out=$("$D/usr/bin/cirqued" -c "$D/etc/cirque/cirque.yaml" --check 2>&1)
[ "$out" = "$D/etc/cirque/cirque.yaml: ok (1 watcher)
  included: $D/etc/cirque/conf.d/web.yaml (1 watcher)" ] || fail "conf.d/web.yaml not included: $out"
rm "$D/etc/cirque/conf.d/web.yaml"
unit=$D/lib/systemd/system/cirqued.service
grep -qx 'Type=notify' "$unit" || fail "unit is not Type=notify"
grep -qx 'ExecStart=/usr/bin/cirqued -c /etc/cirque/cirque.yaml' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -qx 'KillMode=mixed' "$unit" || fail "unit lacks KillMode=mixed"
# systemctl reload waits for the answer, and fails on a file with errors.
grep -qx 'ExecReload=/usr/bin/cirquectl -c /etc/cirque/cirque.yaml update' "$unit" || fail "ExecReload: $(grep ExecReload "$unit")"
grep -q '@' "$unit" && fail "unsubstituted @VARIABLE@ in the unit"
if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart and the man pages exist: point it at the DESTDIR copies.
	sed "s|/usr/bin/|$D/usr/bin/|" "$unit" >"$T/cirqued.service"
	MANPATH=$D/usr/share/man systemd-analyze verify "$T/cirqued.service" >"$T/verify.out" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.out")"
else
	note "systemd-analyze not found: unit not verified"
fi
# cirque-web: its configuration is valid as installed, its unit runs it as its own user.
out=$("$D/usr/bin/cirque-web" -c "$D/etc/cirque/web.yaml" --check 2>&1) || fail "installed web.yaml invalid: $out"
grep -q '@' "$D/etc/cirque/web.yaml" && fail "unsubstituted @VARIABLE@ in web.yaml"
wunit=$D/lib/systemd/system/cirque-web.service
grep -qx 'ExecStart=/usr/bin/cirque-web -c /etc/cirque/web.yaml' "$wunit" || fail "cirque-web ExecStart: $(grep ExecStart "$wunit")"
grep -qx 'User=cirque-web' "$wunit" || fail "cirque-web's unit runs as root"
grep -q '@[A-Z]*@' "$wunit" && fail "unsubstituted @VARIABLE@ in cirque-web.service"
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/bin/|$D/usr/bin/|" "$wunit" >"$T/cirque-web.service"
	MANPATH=$D/usr/share/man systemd-analyze verify "$T/cirque-web.service" >"$T/verify.out" 2>&1 ||
		fail "systemd-analyze verify cirque-web: $(cat "$T/verify.out")"
fi
# The commented operator_group line is what the unit needs: uncommented (with the group), valid.
grep -q '^  #operator_group: cirque-web$' "$D/etc/cirque/cirque.yaml" || fail "no operator_group hint"
bash -n "$D/usr/share/bash-completion/completions/cirquectl" || fail "completion script does not parse"
if command -v man >/dev/null; then
	for page in man8/cirqued.8 man8/cirque-web.8 man1/cirquectl.1 man5/cirque.yaml.5; do
		MANWIDTH=80 man -l "$D/usr/share/man/$page" 2>"$T/man.err" | grep -q . || fail "man $page does not render"
		[ -s "$T/man.err" ] && fail "man $page warns: $(cat "$T/man.err")"
	done
fi

# An operator's configuration survives a reinstall and an uninstall.
echo "# mine" >>"$D/etc/cirque/cirque.yaml"
mk install
tail -n 1 "$D/etc/cirque/cirque.yaml" | grep -qx "# mine" || fail "make install overwrote the configuration"
mk uninstall
[ ! -e "$D/usr/bin/cirqued" ] && [ ! -e "$unit" ] && [ ! -e "$D/usr/share/man/man8/cirqued.8" ] &&
	[ ! -e "$D/usr/bin/cirque-web" ] && [ ! -e "$wunit" ] ||
	fail "make uninstall left files: $(find "$D" -type f)"
[ -f "$D/etc/cirque/cirque.yaml" ] || fail "make uninstall removed the configuration"
echo ok
