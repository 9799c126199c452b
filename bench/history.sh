#!/usr/bin/env bash
# What `--since` costs: `check --since HEAD~50` against a plain `check` on
# 1,000 engagements with 50 commits of history (issue 7's target: within 2x).
#
#   bench/history.sh              1,000 engagements, 50 commits, 5 runs each
#   bench/history.sh --count 10000 --commits 50 --runs 3
#   KEEP=1 bench/history.sh       keep the generated repository, for profiling
#
# The records come from examples/generate.rs (seed 1). The history is made
# here, deterministically: the generated records are the first commit, then
# each of the next commits edits 6 engagements (different ones each time,
# some of them again later): a due date moved by a year (milestone-slipped,
# so the moves are counted along the history) or an update's summary
# reworded. The timed commands run on the last commit; hyperfine prints the
# means and this script prints the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

COUNT=1000
COMMITS=50
RUNS=5
AS_OF=2026-11-16
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT="$2"; shift ;;
        --commits) COMMITS="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v git >/dev/null || { apt-get update -qq && apt-get install -y -qq git >/dev/null; }

cargo build --release --locked --quiet --bin commonthread --example generate

BIN=$ROOT/target/release/commonthread

WORK=$(mktemp -d)
# KEEP=1 keeps the generated repository (for profiling) and says where.
if [ "${KEEP:-0}" = 1 ]; then echo "== keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
REPO=$WORK/records
"$ROOT/target/release/examples/generate" --count "$COUNT" --seed 1 --out "$REPO" >/dev/null

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
day=0
commit() {
    day=$((day + 1))
    local when
    when=$(date -u -d "2026-06-01 + $day days" +%Y-%m-%dT12:00:00Z)
    GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$REPO" commit -qam "$1"
}
git -C "$REPO" init -q
git -C "$REPO" add -A
day=0
when=2026-06-01T12:00:00Z
GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$REPO" commit -qm "the records"

mapfile -t FILES < <(cd "$REPO" && find . -name '*.md' ! -name README.md | sort)
N=${#FILES[@]}
for ((c = 1; c <= COMMITS; c++)); do
    for ((k = 0; k < 6; k++)); do
        f=$REPO/${FILES[$(((c * 37 + k * 101) % N))]}
        if ((k % 2 == 0)); then
            # The first milestone due in 2026 moves a year later.
            sed -i '0,/due: 2026-/s//due: 2027-/' "$f"
        else
            sed -i "0,/summary: /s//summary: (commit $c) /" "$f"
        fi
    done
    commit "edit $c"
done

echo "== $N engagement files, $((COMMITS + 1)) commits; timing on the last commit" >&2
cd "$REPO"
hyperfine --warmup 1 --runs "$RUNS" -N --ignore-failure \
    --export-json "$WORK/history.json" \
    "$BIN check . --as-of $AS_OF --quiet" \
    "$BIN check . --as-of $AS_OF --quiet --since HEAD~$COMMITS"
python3 - "$WORK/history.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
plain, since = r[0]["mean"], r[1]["mean"]
print(f"check: {plain:.3f} s; check --since: {since:.3f} s; ratio {since / plain:.2f}x (target: at most 2x)")
EOF
