# Every YAML example of the documentation is a whole configuration that `cirqued --check`
# accepts: the ```yaml blocks of README.md and the .EX/.EE blocks of the man pages (other
# blocks, such as shell sessions, use another fence or .nf/.fi). Warnings are allowed: the
# examples name programs and directories this machine does not have. The one exception is
# marked ```yaml no-check: a CURVE example needs a key file and keys only its reader has.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$ROOT" "$T/examples" <<'PYEOF'
import os, re, sys
root, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
def save(source, line, text):
    name = "%s-%d.yaml" % (os.path.basename(source), line)
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
n = 0
lines = open(os.path.join(root, "README.md")).read().split("\n")
i = 0
while i < len(lines):
    if lines[i].strip() == "```yaml":  # not "```yaml no-check"
        start, block = i + 1, []
        i += 1
        while lines[i].strip() != "```":
            block.append(lines[i]); i += 1
        save("README.md", start, "\n".join(block) + "\n"); n += 1
    i += 1
mandir = os.path.join(root, "etc/man")
for page in sorted(os.listdir(mandir)):
    lines = open(os.path.join(mandir, page)).read().split("\n")
    for i, l in enumerate(lines):
        if l.strip() == ".EX":
            block = []
            for m in lines[i + 1:]:
                if m.strip() == ".EE":
                    break
                block.append(m.replace("\\-", "-").replace("\\e", "\\").replace("\\&", ""))
            save(page, i + 1, "\n".join(block) + "\n"); n += 1
PYEOF
count=$(ls "$T/examples" | wc -l)
[ "$count" -ge 5 ] || fail "only $count YAML examples found: the extraction is broken"
ls "$T/examples" | grep -q '^cirque.yaml.5-' || fail "no example found in cirque.yaml(5)"
bad=""
for f in "$T"/examples/*.yaml; do
	chmod 644 "$f"
	out=$("$CIRQUED" -c "$f" --check 2>&1) || bad="$bad
--- $(basename "$f") (the block's first line) ---
$(echo "$out" | grep -v ": warning: ")"
done
[ -z "$bad" ] || fail "documented examples that cirqued --check rejects:$bad"
echo ok
