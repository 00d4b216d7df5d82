# What every benchmark script starts with: sourced after `set -euo pipefail` and `cd` to the
# repository. Builds the release binary and sets BIN, PG (NQTRACK_BENCH_PG, default the local
# server), `work` (a scratch directory) and json(); prints the machine and the date.
cargo build --release --quiet
BIN=$PWD/target/release/nqtrack
PG=${NQTRACK_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); date: $(date -u +%F)"

# json EXPR: prints a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# need_wrk: stops with a clear message when wrk is missing.
need_wrk() { command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }; }
