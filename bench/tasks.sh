#!/usr/bin/env bash
# Benchmarks of task monitoring at national scale, on SQLite and PostgreSQL, release build:
#   1. `nqtrack generate --scale national` (20,000 users; 34 provincial plans cascaded to every
#      commune: ~200,000 assignments and ~1,000,000 progress reports), wall time;
#   2. GET the programme overview (counts by lead unit for a deadline window, as of a date) of the
#      national programme 03/NQ-CP and of a provincial plan, p95 at 10 and 50 concurrent clients;
#   3. the worklist page of a province and of a commune, the same way.
# Needs wrk and a PostgreSQL server (NQTRACK_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-15s}
# Concurrent clients for each URL, e.g. CLIENTS="10 50".
CLIENTS=${CLIENTS:-"10 50"}
PORT=18081

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  local start end
  start=$(date +%s.%N)
  "$BIN" generate --scale national | tail -2
  end=$(date +%s.%N)
  echo "RESULT generate_seconds=$(echo "$end - $start" | bc)"
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$PORT"
  local nq03 plan province commune
  nq03=$(curl -fs "$base/api/v1/programmes" | json '[p["id"] for p in d if p["code"]=="03/NQ-CP"][0]')
  province=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  plan=$(curl -fs "$base/api/v1/programmes" | json "[p['id'] for p in d if p['owner_unit_id']==$province][0]")
  commune=$(curl -fs "$base/api/v1/org-units?parent=$province&kind=commune&per_page=1" | json 'd["items"][0]["id"]')
  echo "RESULT lead_assignments_03=$(curl -fs "$base/api/v1/programmes/$nq03/overview?as_of=2026-06-30" | json 'sum(c["total"] for c in d["overview"]["per_unit"].values())') worklist_province=$(curl -fs "$base/api/v1/org-units/$province/worklist" | json 'len(d)') worklist_commune=$(curl -fs "$base/api/v1/org-units/$commune/worklist" | json 'len(d)')"
  for path in "/api/v1/programmes/$nq03/overview?as_of=2026-06-30&due_from=2025-01-01&due_to=2026-12-31" \
              "/api/v1/programmes/$plan/overview?as_of=2026-06-30&due_from=2025-07-01&due_to=2026-12-31" \
              "/org/$province/worklist" "/org/$commune/worklist"; do
    for n in $CLIENTS; do
      echo "== $backend: GET $path, $n clients, $DURATION"
      wrk -t2 -c"$n" -d"$DURATION" -s bench/p95.lua "$base$path" | grep RESULT
    done
  done
  kill $pid; wait $pid 2>/dev/null || true
}

run_backend sqlite "sqlite://$work/bench.db"
psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_tasks WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_tasks' >/dev/null
run_backend postgres "$PG/bench_nqtrack_tasks"
rm -rf "$work"
