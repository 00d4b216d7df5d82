#!/usr/bin/env bash
# Every GET route (from the OpenAPI document and the page router) requested once as an anonymous
# visitor, a unit officer, the Steering Committee and an administrator on a fresh demo database (issue 12): any
# server error, timeout or refused connection fails. No timing here; bench/crawl.py without
# --check measures the same routes at national scale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet --bin nqtrack
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_LOG=warn target/debug/nqtrack demo --listen "127.0.0.1:$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 bench/crawl.py --base "http://127.0.0.1:$port" --check
