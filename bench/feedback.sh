#!/usr/bin/env bash
# Benchmarks of feedback at national scale (1,000,000 items), on SQLite and PostgreSQL, release build:
#   1. intake: POST /api/v1/feedback, 50 concurrent clients, sustained requests per second;
#   2. tracking-page lookup, a unit's inbox (signed-in officer), the public statistics page: p95 at
#      10 and 50 concurrent clients.
# Durability of acknowledged submissions under SIGKILL is a test (tests/durability.rs), not a figure.
# BACKENDS="sqlite" or "postgres" runs one backend only.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-15s}
CLIENTS=${CLIENTS:-"10 50"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18082
run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn \
         NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_FEEDBACK_PER_IP_HOUR=100000000
  "$BIN" migrate >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | grep feedback
  local province
  "$BIN" user create --username bench.officer --display-name Bench --unit 66 --role unit_officer --password bench-password-123 >/dev/null
  local token
  token=$("$BIN" token create --username bench.officer --name bench | tail -1)
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  local base="http://127.0.0.1:$PORT"
  for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
  province=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  local code
  code=$(curl -fs "$base/api/v1/feedback/published?unit=$province&per_page=1" | json 'd["items"][0]["code"]')
  echo "RESULT inbox_items=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/feedback?unit=$province&per_page=1" | json 'd["total"]')"
  echo "== $backend: intake POST /api/v1/feedback, 50 clients, $DURATION"
  wrk -t2 -c50 -d"$DURATION" -s bench/post_feedback.lua "$base/api/v1/feedback" | grep RESULT
  # The national figures right after a change: one full computation (later requests hit the cache).
  echo "RESULT all_units_stats_after_a_change=$(curl -s -o /dev/null -w '%{time_total}' "$base/api/v1/feedback/stats")s"
  for n in $CLIENTS; do
    for path in "/api/v1/feedback/track/$code?secret=$code" "/feedback/track/$code" "/feedback/stats?unit=$province" "/feedback/stats"; do
      echo "== $backend: GET $path, $n clients, $DURATION"
      wrk -t2 -c"$n" -d"$DURATION" -s bench/p95.lua "$base$path" | grep RESULT
    done
    echo "== $backend: GET /api/v1/feedback?unit=$province (inbox, officer), $n clients, $DURATION"
    wrk -t2 -c"$n" -d"$DURATION" -H "Authorization: Bearer $token" -s bench/p95.lua "$base/api/v1/feedback?unit=$province" | grep RESULT
  done
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  if [ "$b" = sqlite ]; then
    run_backend sqlite "sqlite://$work/bench.db"
  else
    psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_feedback WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_feedback' >/dev/null
    run_backend postgres "$PG/bench_nqtrack_feedback"
  fi
done
rm -rf "$work"
