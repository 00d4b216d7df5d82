#!/usr/bin/env bash
# Benchmarks of the platform foundation, on SQLite and PostgreSQL, against the release build:
#   1. `nqtrack generate --scale national` (20,000 users on the real hierarchy), wall time;
#   2. GET /api/v1/org-units?parent=<province> and ?q= searches, 50 concurrent clients (wrk), p95;
#   3. a typical page: transferred size (gzip) and server time p50 with one client.
# Needs wrk (apt-get install wrk) and a PostgreSQL server (NQTRACK_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
# Client and server share the machine, so latencies include wrk's own CPU use.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-15s}
PORT=18080

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn
  "$BIN" migrate >/dev/null
  echo "== $backend: generate --scale national"
  local start end
  start=$(date +%s.%N)
  "$BIN" generate --scale national | tail -1
  end=$(date +%s.%N)
  echo "RESULT generate_seconds=$(echo "$end - $start" | bc)"
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local province
  province=$(curl -fs "http://127.0.0.1:$PORT/api/v1/org-units?kind=province&q=dak%20lak" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  for path in "/api/v1/org-units?parent=$province" "/api/v1/org-units?q=dak%20lak" "/api/v1/org-units?q=phuong%20tan" "/api/v1/org-units?q=xa"; do
    echo "== $backend: GET $path, 50 clients, $DURATION"
    wrk -t2 -c50 -d"$DURATION" -s bench/p95.lua "http://127.0.0.1:$PORT$path" | grep RESULT
  done
  for path in "/org/$province" "/org?q=dak+lak" "/"; do
    echo "== $backend: page $path"
    echo "RESULT bytes_gzip=$(curl -fs --compressed -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT$path") bytes_raw=$(curl -fs -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT$path")"
    wrk -t1 -c1 -d5s -s bench/p95.lua "http://127.0.0.1:$PORT$path" | grep RESULT
  done
  kill $pid; wait $pid 2>/dev/null || true
}

run_backend sqlite "sqlite://$work/bench.db"
psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS nqtrack_bench WITH (FORCE)' -qc 'CREATE DATABASE nqtrack_bench' >/dev/null
run_backend postgres "$PG/nqtrack_bench"
rm -rf "$work"
