#!/usr/bin/env bash
# Build times of the nqtrack binary on this machine: a clean build, then incremental rebuilds after a real
# edit (a comment appended) to (a) one template, (b) one page handler, (c) one domain rule; debug and release.
# usage: bench/build-times.sh [TEMPLATE HANDLER DOMAIN_RULE]   (paths relative to the repository root)
# The edits are undone at the end. Uses its own target directory so that nothing cached is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPLATE="${1:-crates/web/templates/programme.html}"
HANDLER="${2:-crates/web/src/pages/programmes.rs}"
RULE="${3:-crates/domain/src/deadline.rs}"
export CARGO_TARGET_DIR="${BUILD_BENCH_TARGET:-$(pwd)/target/build-bench}"
cargo fetch --locked >/dev/null
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
for profile in debug release; do
  flag=""; [ "$profile" = release ] && flag="--release"
  rm -rf "$CARGO_TARGET_DIR"
  echo "$profile clean: $(secs cargo build $flag --locked --bin nqtrack) s"
  for f in "$TEMPLATE" "$HANDLER" "$RULE"; do
    cp "$f" "$f.bench-orig"
    case "$f" in *.html) echo "{# build bench #}" >>"$f" ;; *) echo "// build bench" >>"$f" ;; esac
    echo "$profile after editing $f: $(secs cargo build $flag --locked --bin nqtrack) s"
    mv "$f.bench-orig" "$f"
  done
done
