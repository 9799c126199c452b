#!/usr/bin/env bash
# Benchmarks commonthread against its floors and against Hugo.
#
#   bench/run.sh                 1,000, 10,000 and 100,000 engagements (about 10 minutes on
#                                2 cores when nothing else runs; Hugo is skipped at 100,000)
#   bench/run.sh --quick         1,000 and 10,000 only (about 5 minutes)
#   bench/run.sh --full          the same as the default (kept for older notes)
#   bench/run.sh --sizes 1000    only the sizes given (quote a list: --sizes "1000 10000")
#   bench/run.sh --runs 2        timed runs per command (default: 5 at 1k, 3 at 10k, 1 at 100k)
#   bench/run.sh --no-hugo       skip the Hugo comparison
#   bench/run.sh --hugo-anyway   run Hugo even where its memory estimate exceeds the machine
#
# For each size it generates the records once (examples/generate.rs, seed 1,
# cached under $BENCH_CACHE, default /tmp/commonthread-bench, keyed by the
# generator's hash), checks that they pass `commonthread check` with no
# error, then times with hyperfine and measures peak RSS with /usr/bin/time:
#
#   read      find DIR -name '*.md' -print0 | xargs -0 cat > /dev/null   (the read floor)
#   parse     examples/parse_only.rs: split + serde_yaml into the model   (the parse floor)
#   check     commonthread check DIR --as-of 2026-11-16
#   build     commonthread build DIR --out OUT --as-of 2026-11-16 (a rebuild over the last OUT,
#             nothing changed: every client's pages are linked from it, not rendered)
#   build-rerender  the same rebuild with every page rendered (the reuse manifest removed first)
#   build-fresh  the same into an absent OUT (the previous run's moved aside, not removed)
#   copy-out  cp -r of that OUT into an absent folder, the same way (the write floor:
#             what the file system alone takes to create every page and folder of a build)
#   build-commit  in a git repository of the same records (a copy), a rebuild after one
#             engagement file was edited and committed just before each run: every footer
#             names the new commit (1,000 and 10,000 only: `git add` of 100,000 files is slow)
#   build-edit  the same after one engagement file was edited and not committed
#   hugo      hugo on the same .md files, one single-page template        (when hugo is present)
#
# It prints a Markdown table and writes it, with the machine and versions,
# to bench/last-run.md. Raw hyperfine JSON stays in the cache folder.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."
ROOT=$PWD

AS_OF=2026-11-16
SEED=1
CACHE=${BENCH_CACHE:-/tmp/commonthread-bench}
SIZES="1000 10000 100000"
RUNS=""
HUGO=1
HUGO_ANYWAY=0
ARGS="$*"

while [ $# -gt 0 ]; do
    case "$1" in
        --full) SIZES="1000 10000 100000" ;;
        --quick) SIZES="1000 10000" ;;
        --sizes) SIZES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --no-hugo) HUGO=0 ;;
        --hugo-anyway) HUGO_ANYWAY=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '== %s\n' "$*" >&2; }

# --- Tools ------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || return 1
        sudo="sudo"
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}

if ! command -v hyperfine >/dev/null; then
    say "installing hyperfine"
    apt_install hyperfine || { echo "error: hyperfine is missing and could not be installed" >&2; exit 2; }
fi
if [ ! -x /usr/bin/time ]; then
    say "installing GNU time"
    apt_install time || { echo "error: /usr/bin/time is missing and could not be installed" >&2; exit 2; }
fi
if ! command -v git >/dev/null; then
    say "installing git"
    apt_install git || { echo "error: git is missing and could not be installed" >&2; exit 2; }
fi
if [ "$HUGO" -eq 1 ] && ! command -v hugo >/dev/null; then
    say "installing hugo"
    if ! apt_install hugo || ! command -v hugo >/dev/null; then
        echo "note: hugo could not be installed; skipping the Hugo comparison" >&2
        HUGO=0
    fi
fi

say "building release binaries"
# The tool's state as built, not as it is when the report is written: the
# tree may change while the benchmark runs.
if COMMIT=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD -- src templates Cargo.toml Cargo.lock || COMMIT="$COMMIT with uncommitted changes to the tool"
else
    COMMIT="not a git checkout"
fi
cargo build --release --locked --quiet --bin commonthread --example generate --example parse_only
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

GEN_HASH=$(sha256sum examples/generate.rs | cut -c1-12)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$CACHE/results-$STAMP
mkdir -p "$RESULTS/bin"
# Run copies, so that another build in this tree cannot swap a binary mid-run.
cp "$TARGET/release/commonthread" "$TARGET/release/examples/generate" \
    "$TARGET/release/examples/parse_only" "$RESULTS/bin/"
BIN=$RESULTS/bin/commonthread
GEN=$RESULTS/bin/generate
PARSE=$RESULTS/bin/parse_only
ROWS=$RESULTS/rows.tsv
: >"$ROWS"
NOTES=$RESULTS/notes.md
: >"$NOTES"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Inputs -----------------------------------------------------------------

# Generates (or reuses) the records for one size; prints their folder.
records_for() {
    local size=$1
    local dir=$CACHE/records-$size-seed$SEED-$GEN_HASH
    if [ -f "$dir/.complete" ]; then
        say "reusing $dir (generated in $(cat "$dir/.generate-seconds") s)"
    else
        say "generating $size engagements into $dir"
        rm -rf "$dir" "$dir.tmp"
        local t0 t1
        t0=$(date +%s.%N)
        "$GEN" --count "$size" --seed "$SEED" --out "$dir.tmp" --as-of "$AS_OF" >&2
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$dir.tmp/.generate-seconds"
        # The gate: every generated repository passes check with no error.
        if ! "$BIN" check "$dir.tmp" --as-of "$AS_OF" >"$dir.tmp/.check.txt" 2>&1; then
            tail -5 "$dir.tmp/.check.txt" >&2
            echo "error: the generated records do not pass commonthread check (see $dir.tmp/.check.txt)" >&2
            exit 1
        fi
        touch "$dir.tmp/.complete"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# The records as a git repository (a copy: the benchmark commits edits to
# it), committed once; reset to that commit after each use.
git_records_for() {
    local size=$1 records=$2
    local repo=$CACHE/git-$size-seed$SEED-$GEN_HASH
    if [ -f "$repo/.git/commonthread-bench-complete" ]; then
        echo "$repo"
        return
    fi
    say "committing the $size engagements to a git repository"
    rm -rf "$repo"
    cp -a "$records" "$repo"
    git -C "$repo" init -q -b main
    git -C "$repo" config user.name bench
    git -C "$repo" config user.email bench@invalid
    git -C "$repo" add -A
    git -C "$repo" commit -q -m records
    touch "$repo/.git/commonthread-bench-complete"
    echo "$repo"
}

# A minimal Hugo site over the same .md files (hard links, else copies).
hugo_site_for() {
    local size=$1 records=$2
    local site=$CACHE/hugo-$size-seed$SEED-$GEN_HASH
    if [ -f "$site/.complete" ]; then
        echo "$site"
        return
    fi
    say "laying out the Hugo site for $size engagements"
    rm -rf "$site"
    mkdir -p "$site/layouts/_default"
    cp -al "$records" "$site/content" 2>/dev/null || cp -a "$records" "$site/content"
    # Only the engagement files are content: drop client.yaml, commonthread.yaml, dotfiles.
    find "$site/content" -type f \( -name '*.yaml' -o -name '.*' \) -delete
    cat >"$site/config.toml" <<'EOF'
baseURL = "http://bench.invalid/"
title = "commonthread benchmark"
# One page per engagement and nothing else.
disableKinds = ["home", "section", "taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
EOF
    # Our field names are plain front matter to Hugo: they land in .Params.
    cat >"$site/layouts/_default/single.html" <<'EOF'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>
<h1>{{ .Title }}</h1>
<p>Status: {{ .Params.status }}. Owner: {{ .Params.owner }}.{{ with .Params.start }} Start {{ . }}.{{ end }}{{ with .Params.end }} End {{ . }}.{{ end }}</p>
<h2>Milestones</h2>
<ul>{{ range .Params.milestones }}<li>{{ .id }}. {{ .title | markdownify }}, due {{ .due }}{{ with .done }}, done {{ . }}{{ end }}: {{ .outcome | markdownify }}{{ with .result }} ({{ . | markdownify }}){{ end }}</li>{{ end }}</ul>
<h2>Metrics</h2>
{{ with .Params.success }}{{ range .metrics }}<h3>{{ .name | markdownify }} ({{ .id }})</h3>
<p>Baseline {{ .baseline }}, target {{ .target }} {{ .unit }}</p>
<table>{{ range .measurements }}<tr><td>{{ .date }}</td><td>{{ .value }}</td><td>{{ with .note }}{{ . | markdownify }}{{ end }}</td></tr>{{ end }}</table>{{ end }}{{ end }}
<h2>Updates</h2>
<ul>{{ with .Params.updates }}{{ range .log }}<li>{{ .date }}{{ with .channel }} ({{ . }}){{ end }}: {{ .summary | markdownify }}{{ with .milestone }} [{{ . }}]{{ end }}</li>{{ end }}{{ end }}</ul>
<h2>Wins</h2>
<ul>{{ range .Params.wins }}<li>{{ .date }}: {{ .title | markdownify }}{{ with .celebrated }}; celebrated: {{ . | markdownify }}{{ end }}</li>{{ end }}</ul>
<h2>Concerns</h2>
<ul>{{ range .Params.concerns }}<li>{{ .date }}: {{ .concern | markdownify }}{{ with .response }} Response: {{ . | markdownify }}{{ end }}{{ with .resolved }} Resolved {{ . }}.{{ end }}</li>{{ end }}</ul>
{{ with .Params.review }}<h2>Review</h2>
<p>{{ .date }}: {{ .decision }}, refund {{ .refund }}</p>
{{ with .went_wrong }}<h3>What went wrong</h3>{{ . | markdownify }}{{ end }}
{{ with .went_right }}<h3>What went right</h3>{{ . | markdownify }}{{ end }}
{{ with .new_problems }}<h3>New problems</h3>{{ . | markdownify }}{{ end }}
{{ with .after_the_book }}<h3>After the book</h3>{{ . | markdownify }}{{ end }}{{ end }}
<h2>Notes</h2>
{{ .Content }}
</body></html>
EOF
    touch "$site/.complete"
    echo "$site"
}

# --- Measuring ----------------------------------------------------------------

json_number() { # FIELD FILE: the first numeric value of "FIELD" in hyperfine's JSON
    grep -o "\"$1\": *[-0-9.eE+]*" "$2" | head -1 | sed 's/.*: *//'
}

# measure SIZE NAME RUNS WARMUP COMMAND [PREPARE]: hyperfine for the wall
# time, with /usr/bin/time around every run for the peak RSS (the largest of
# the runs); PREPARE runs before each run, untimed.
measure() {
    local size=$1 name=$2 runs=$3 warmup=$4 cmd=$5 prepare=${6:-true}
    local json=$RESULTS/$size-$name.json rss=$RESULTS/$size-$name.rss
    rm -f "$rss"
    say "$size engagements: $name ($runs runs, $warmup warm-up): $cmd"
    if ! hyperfine --style basic --runs "$runs" --warmup "$warmup" --export-json "$json" \
        --prepare "$prepare" \
        --command-name "$name" "/usr/bin/time -f %M -a -o $rss $cmd" >&2; then
        echo "note: $name failed at $size engagements; left out of the table" >&2
        echo "- $name failed at $size engagements (see $RESULTS)." >>"$NOTES"
        return 0
    fi
    local mean stddev user system peak
    mean=$(json_number mean "$json")
    stddev=$(json_number stddev "$json")
    user=$(json_number user "$json")
    system=$(json_number system "$json")
    peak=$(sort -n "$rss" | tail -1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "$mean" "${stddev:-0}" \
        "$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')" "$peak" >>"$ROWS"
}

runs_for() {
    if [ -n "$RUNS" ]; then echo "$RUNS"; return; fi
    case "$1" in
        1000) echo 5 ;;
        10000) echo 3 ;;
        *) echo 1 ;;
    esac
}

mem_available_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

GEN_SECONDS=""
for size in $SIZES; do
    records=$(records_for "$size")
    GEN_SECONDS="$GEN_SECONDS $size:$(cat "$records/.generate-seconds")"
    echo "- $size engagements: $(tail -1 "$records/.check.txt"); $(du -sh "$records" | cut -f1) on disk, generated in $(cat "$records/.generate-seconds") s." >>"$NOTES"
    runs=$(runs_for "$size")
    warmup=1
    [ "$size" -ge 100000 ] && warmup=0
    out=$CACHE/out-$size
    rm -rf "$out" "$out-hugo"

    # The read row always warms up once, even at 100,000: its warm-up puts
    # the records in the page cache, so that it and the parse and check
    # rows after it time warm reads at every size, and the 100,000 rows
    # compare with the 10,000 ones like for like (in session 12 they read
    # 1.4 GB partly from disk: 71.7x the 10,000 read row, not 10x).
    measure "$size" read "$runs" 1 \
        "sh -c \"find $records -name '*.md' -print0 | xargs -0 cat > /dev/null\""
    measure "$size" parse "$runs" "$warmup" "$PARSE $records"
    measure "$size" check "$runs" "$warmup" "$BIN check $records --as-of $AS_OF -q"
    # A rebuild over the previous OUT (what CI caches and `serve` see, and
    # how Hugo is run below), then a build into an OUT removed just before.
    # At least one warm-up, even at 100,000: without a previous OUT this
    # row would time a build into an empty folder.
    measure "$size" build "$runs" 1 "$BIN build $records --out $out --as-of $AS_OF -q"
    # The same rebuild with every page rendered again, as after a new commit
    # or another as-of date: the manifest of reusable pages removed first.
    measure "$size" build-rerender "$runs" 0 "$BIN build $records --out $out --as-of $AS_OF -q" \
        "rm -f $out/.commonthread-pages"
    # The previous run's folder is moved aside, not removed, before each run
    # (and the lot removed after the next row): on ext4 without a journal,
    # as here, creating files within a minute of removing tens of thousands
    # steps over every inode just freed (`recently_deleted`, 21% of a fresh
    # 10,000 build's samples when its OUT was removed just before: finding
    # 24 in RESULTS.md). A fresh clone in CI has no such folder to remove.
    trash=$CACHE/trash-$size
    mkdir -p "$trash"
    aside() { echo "if [ -e $1 ]; then mv $1 $trash/\$(date +%s%N); fi"; }
    measure "$size" build-fresh "$runs" 0 "$BIN build $records --out $out-fresh --as-of $AS_OF -q" \
        "$(aside "$out-fresh")"
    # No computing at all: the pages a build writes, copied into an empty
    # folder. A build into an empty OUT cannot take less.
    measure "$size" copy-out "$runs" 0 "cp -r $out $out-copy" "$(aside "$out-copy")"
    rm -rf "$out-fresh" "$out-copy" "$trash"
    if [ "$size" -le 10000 ]; then
        repo=$(git_records_for "$size" "$records")
        edited=$(find "$repo" -name '*.md' -not -path '*/.git/*' | sort | sed -n 1p)
        edit="date +%s%N | sed 's/^/Edited at /' >> $edited"
        # A line added to one engagement's body, then committed: the footer
        # of every page names the new commit.
        measure "$size" build-commit "$runs" 1 "$BIN build $repo --out $out-git --as-of $AS_OF -q" \
            "$edit && git -C $repo commit -q -a -m edited"
        # A line added and not committed (after the commit above).
        measure "$size" build-edit "$runs" 1 "$BIN build $repo --out $out-git --as-of $AS_OF -q" \
            "$edit"
        git -C "$repo" checkout -q -- . && git -C "$repo" reset -q --hard "$(git -C "$repo" rev-list --max-parents=0 HEAD)"
        rm -rf "$out-git"
    fi
    pages=$(find "$out" -name '*.html' 2>/dev/null | wc -l)
    echo "- $size engagements: \`build\` wrote $pages HTML pages ($(du -sh "$out" 2>/dev/null | cut -f1))." >>"$NOTES"

    if [ "$HUGO" -eq 1 ]; then
        # Hugo holds every page in memory: about 0.22 MB per engagement here.
        need_kb=$((300000 + size * 230))
        if [ "$HUGO_ANYWAY" -eq 0 ] && [ "$need_kb" -gt $(( $(mem_available_kb) * 8 / 10 )) ]; then
            msg="Hugo skipped at $size engagements: it would need about $(awk -v k="$need_kb" 'BEGIN { printf "%.1f", k / 1048576 }') GiB, more than 80% of the $(awk -v k="$(mem_available_kb)" 'BEGIN { printf "%.1f", k / 1048576 }') GiB available (--hugo-anyway to try)."
            echo "note: $msg" >&2
            echo "- $msg" >>"$NOTES"
        else
            site=$(hugo_site_for "$size" "$records")
            measure "$size" hugo "$runs" "$warmup" \
                "hugo --source $site --destination $out-hugo --quiet"
            hpages=$(find "$out-hugo" -name '*.html' 2>/dev/null | wc -l)
            echo "- $size engagements: Hugo wrote $hpages HTML pages ($(du -sh "$out-hugo" 2>/dev/null | cut -f1))." >>"$NOTES"
        fi
    fi
    # The outputs are large (about 85 MB per 1,000 engagements); keep the disk free.
    rm -rf "$out" "$out-hugo"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report -------------------------------------------------------------------

TABLE=$RESULTS/table.md
awk -F'\t' '
    function ratio(a, b,    x) {
        if (b <= 0 || a == "") return "–"
        x = a / b
        return sprintf(x >= 100 ? "%.0f×" : x >= 10 ? "%.1f×" : x >= 0.1 ? "%.2f×" : "%.3f×", x)
    }
    function grouped(n,    t, out) { t = sprintf("%d", n); out = ""
        while (length(t) > 3) { out = "," substr(t, length(t) - 2) out; t = substr(t, 1, length(t) - 3) }
        return t out }
    { size[NR] = $1; name[NR] = $2; mean[NR] = $3; sd[NR] = $4; cpu[NR] = $5; rss[NR] = $6
      key = $1 SUBSEP $2; m[key] = $3; c[key] = $5; r[key] = $6 }
    END {
        print "| engagements | command | mean wall time | CPU time | peak RSS | × read floor | × parse floor | × Hugo wall | × Hugo CPU | × Hugo RSS |"
        print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= NR; i++) {
            s = size[i]; n = name[i]
            wall = (sd[i] > 0) ? sprintf("%.3f s ± %.3f", mean[i], sd[i]) : sprintf("%.3f s", mean[i])
            read = (n == "read") ? "1.0×" : ratio(mean[i], m[s SUBSEP "read"])
            parse = (n == "read") ? "–" : (n == "parse") ? "1.0×" : ratio(mean[i], m[s SUBSEP "parse"])
            ht = "–"; hc = "–"; hr = "–"
            if ((n == "check" || n ~ /^build/) && ((s, "hugo") in m)) {
                ht = ratio(mean[i], m[s SUBSEP "hugo"])
                hc = ratio(cpu[i], c[s SUBSEP "hugo"])
                hr = ratio(rss[i], r[s SUBSEP "hugo"])
            }
            printf "| %s | %s | %s | %.2f s | %.1f MB | %s | %s | %s | %s | %s |\n", grouped(s), n, wall, cpu[i], rss[i] / 1024, read, parse, ht, hc, hr
        }
    }' "$ROWS" >"$TABLE"

REPORT=$ROOT/bench/last-run.md
{
    echo "# Benchmark: last run"
    echo
    echo "Written by \`bench/run.sh${ARGS:+ $ARGS}\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT."
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory."
    echo "Load average before: $LOAD_BEFORE; after: $LOAD_AFTER (anything above 0 is other work sharing the cores)."
    echo "Tools: $(rustc --version), $(hyperfine --version)$( [ "$HUGO" -eq 1 ] && echo ", $(hugo version | cut -d' ' -f1-2)")."
    echo "Records: \`examples/generate.rs --seed $SEED --as-of $AS_OF\`, about 10 KB per engagement, 4 per client. Warm page cache."
    echo
    cat "$TABLE"
    echo
    echo "- *read*: \`find DIR -name '*.md' -print0 | xargs -0 cat > /dev/null\`; *copy-out*: \`cp -r\` of the build's OUT into an absent folder (the file system's share of writing every page); *build-fresh* and *copy-out* move the previous run's folder aside rather than remove it, as removing tens of thousands of files just before slows the next creations on ext4 without a journal (finding 24 in RESULTS.md); *parse*: \`examples/parse_only.rs\` (split + serde_yaml into \`model::Engagement\`, on every core); *check* and *build*: \`commonthread check|build DIR --as-of $AS_OF -q\`; *hugo*: \`hugo --quiet\` on the same \`.md\` files with one single-page template (every text field through \`markdownify\`), everything else disabled."
    echo "- Wall time is hyperfine's mean (± standard deviation) over the timed runs (diagnostics go to /dev/null, as hyperfine discards output); CPU time is user + system per run; peak RSS is GNU time's maximum resident set size, the largest of the runs."
    echo "- × columns divide our figure by the floor's or Hugo's at the same size. Hugo renders one page per engagement; \`build\` renders every report (client pages, scorecards, reviews, portfolio, audit, engagements.json)."
    cat "$NOTES"
    echo
    echo "Raw hyperfine JSON: \`$RESULTS\`."
} >"$REPORT"

rm -rf "$RESULTS/bin"
echo
cat "$TABLE"
echo
cat "$NOTES"
echo
echo "written to bench/last-run.md"
