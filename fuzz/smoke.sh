#!/usr/bin/env bash
# Fuzz smoke test for CI: builds the fuzz targets and runs each one for a
# short while (30 s by default, FUZZ_SMOKE_SECONDS to change) from its
# checked-in seed corpus. Exits non-zero when a target crashes, panics,
# hangs (10 s on one input) or fails to build.
#
# Needs: the stable Rust toolchain, a C++ compiler (libfuzzer-sys builds
# libFuzzer from source), and cargo-fuzz, which this script installs with
# `cargo install` when it is missing. RUSTC_BOOTSTRAP=1 lets stable rustc
# accept the -Z flags cargo-fuzz passes (sanitizer, coverage).
#
# New inputs go to a throwaway folder, so the seed corpus stays as it is;
# a crashing input is left in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SMOKE_SECONDS:-30}"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2
fi

echo "== cargo fuzz build"
cargo fuzz build

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
for target in $(cargo fuzz list); do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "$work/$target"
  args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1)
  if [[ -f "fuzz/dicts/$target.dict" ]]; then
    args+=(-dict="fuzz/dicts/$target.dict")
  fi
  if ! cargo fuzz run "$target" "$work/$target" "fuzz/corpus/$target" -- "${args[@]}" \
      >"$work/$target.log" 2>&1; then
    failed+=("$target")
    # The crash report: the panic, the input, how to reproduce it.
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' "$work/$target.log" | tail -n 60
  fi
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|Done [0-9]+ runs)' "$work/$target.log" || true
done

if ((${#failed[@]})); then
  echo "fuzz smoke: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz smoke: all targets ran ${seconds}s without a crash"
