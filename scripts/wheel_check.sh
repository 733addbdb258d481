#!/usr/bin/env bash
# Build the wheel (from the sdist, as `python -m build` does), install it into a fresh venv and
# run it the way a user would: an editable install reads files from the source tree, so a data
# file missing from the wheel (a migration, a stylesheet) passes every other test and breaks
# every real install. Run by .ci/run; needs the network only for what pip's cache lacks.
#
#   scripts/wheel_check.sh [PYTHON]     # default: .venv/bin/python (needs the `build` package)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${1:-$ROOT/.venv/bin/python}
START=$SECONDS

TMP=$(mktemp -d "${TMPDIR:-/tmp}/reverb-tui-wheel.XXXXXX")
DEMO_PID=
cleanup() {
    if [[ -n $DEMO_PID ]] && kill -0 "$DEMO_PID" 2>/dev/null; then
        kill -INT "$DEMO_PID" 2>/dev/null || true
        wait "$DEMO_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }
step() { echo "wheel check [$((SECONDS - START)) s]: $*"; }

step "building the sdist and the wheel from it"
# From a copy of the files git knows (tracked, or new and not ignored): the reverb_tui.egg-info
# an editable install leaves behind lists every file it saw, and setuptools would quietly put
# those in the sdist whatever pyproject.toml says.
mkdir "$TMP/src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [[ -e $f ]] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$TMP/src"
"$PY" -m build --quiet --outdir "$TMP/dist" "$TMP/src" >"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log" >&2; fail "build"; }
WHEEL=$(ls "$TMP"/dist/reverb_tui-*-py3-none-any.whl)
VERSION=$(basename "$WHEEL" | cut -d- -f2)

step "checking the wheel holds every file of the package and the licence"
"$PY" - "$WHEEL" "$TMP/src" <<'PYEOF'
import sys, zipfile
from pathlib import Path

wheel, root = sys.argv[1], Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
wanted = {
    p.relative_to(root).as_posix()
    for p in (root / "reverb_tui").rglob("*")
    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
}
missing = sorted(wanted - names)
if missing:
    sys.exit("missing from the wheel: " + ", ".join(missing))
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    sys.exit("the wheel carries no LICENSE")
print(f"  {len(wanted)} package files, LICENSE: ok")
PYEOF

step "installing $(basename "$WHEEL") into a fresh venv"
"$PY" -m venv "$TMP/venv"
# --no-compile: the first run compiles what it imports; installing saves ~15 s here.
"$TMP/venv/bin/pip" install --quiet --no-compile --disable-pip-version-check "$WHEEL" \
    || fail "pip install"
BIN=$TMP/venv/bin

# Run from outside the checkout, with every user location in the scratch folder.
cd "$TMP"
unset REVERB_TUI_DB REVERB_TOKEN
export XDG_DATA_HOME=$TMP/data XDG_CONFIG_HOME=$TMP/config XDG_CACHE_HOME=$TMP/cache \
    XDG_STATE_HOME=$TMP/state HOME=$TMP/home
mkdir -p "$HOME"

where=$("$BIN/python" -c 'import reverb_tui; print(reverb_tui.__file__)')
[[ $where == "$TMP/venv/"* ]] || fail "reverb_tui was imported from $where, not the installed wheel"

got=$("$BIN/reverb-tui" --version)
[[ $got == "reverb-tui $VERSION" ]] || fail "--version printed '$got', expected 'reverb-tui $VERSION'"
step "--version: $got"

got=$("$BIN/reverb-tui" channels list --json)
[[ $got == "[]" ]] || fail "channels list --json on a fresh database printed '$got'"
[[ -f $XDG_DATA_HOME/reverb-tui/reverb.db ]] || fail "no database in the user data dir"
step "channels list --json on a fresh database: $got"

step "one sync against the demo simulator"
# Job control on: a background job of a script otherwise ignores SIGINT, and the demo stops
# cleanly on SIGINT (Ctrl-C) only.
set -m
"$BIN/reverb-tui" demo --no-tui --db "$TMP/demo.db" --orders 30 --listings 12 --activity 0 \
    --latency 0 --serve-seconds 120 >"$TMP/demo.out" 2>&1 &
DEMO_PID=$!
set +m
for _ in $(seq 1 300); do
    grep -q "Press Ctrl-C" "$TMP/demo.out" && break
    kill -0 "$DEMO_PID" 2>/dev/null || { cat "$TMP/demo.out" >&2; fail "the demo exited early"; }
    sleep 0.1
done
grep -q "Press Ctrl-C" "$TMP/demo.out" || { cat "$TMP/demo.out" >&2; fail "the demo did not start in 30 s"; }
"$BIN/reverb-tui" --db "$TMP/demo.db" sync --json >"$TMP/sync.json" || fail "sync exited $?"
"$BIN/python" - "$TMP/sync.json" <<'PYEOF' || fail "sync --json"
import json, sys

summaries = json.load(open(sys.argv[1]))
assert len(summaries) == 2, summaries
for s in summaries:
    assert s["orders_new"] > 0 and s["listings_seen"] > 0 and not s["errors"], s
    print(f"  {s['channel']}: {s['orders_new']} new orders, {s['listings_seen']} listings seen")
PYEOF
kill -INT "$DEMO_PID"
wait "$DEMO_PID" || fail "the demo exited $? on Ctrl-C"
DEMO_PID=

step "passed in $((SECONDS - START)) s"
