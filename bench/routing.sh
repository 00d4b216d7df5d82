#!/usr/bin/env bash
# Routing suggestions at national scale (issue 16), both backends, release build. After
# `generate --scale national` (1,000,000 feedback items drawn from topics with known handlers,
# seed/src/topics.rs): `nqtrack routing train` (time, peak memory, model size, top-1/top-3
# accuracy on the held-out tenth, side by side with the routing rules alone), then the
# suggestions endpoint for open items at 10 clients while the server runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18087

run_backend() {
  backend=$1
  local url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work/$backend NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn \
    NQTRACK_JOBS_EVERY_SECS=0
  mkdir -p "$NQTRACK_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national >/dev/null
  echo "== $backend: routing train"
  /usr/bin/time -o "$work/time" -f "RESULT train: %e s wall, %M KB peak memory" "$BIN" routing train 2>/dev/null
  cat "$work/time"
  echo "== $backend: the alternatives, side by side (trained and measured again, not stored)"
  "$BIN" routing train --compare 2>/dev/null | grep -E 'with syllable|own'
  local q="SELECT 'model: ' || items || ' items, counts ' || length(counts) || ' bytes' FROM routing_models ORDER BY id DESC LIMIT 1"
  if [ "$backend" = sqlite ]; then sqlite3 "${url#sqlite://}" "$q"; else psql "$url" -Atc "$q"; fi
  local steering
  steering=$("$BIN" token create --username gen.steering --name bench | tail -1)
  local ids
  ids=$(if [ "$backend" = sqlite ]; then
    sqlite3 "${url#sqlite://}" "SELECT id FROM feedback_items WHERE state = 'received' ORDER BY id LIMIT 2000"
  else
    psql "$url" -Atc "SELECT id FROM feedback_items WHERE state = 'received' ORDER BY id LIMIT 2000"
  fi | paste -sd, -)
  NQTRACK_LOG=info "$BIN" serve >"$work/$backend.log" 2>&1 &
  local pid=$!
  base="http://127.0.0.1:$PORT"
  for _ in $(seq 1 600); do curl -fs "$base/api/v1/feedback/categories" >/dev/null && break; sleep 0.2; done
  sleep 20 # the server warms its caches after a start
  curl -fs -H "Authorization: Bearer $steering" "$base/api/v1/feedback/${ids%%,*}/suggestions" |
    json '"example: " + str([(u["name_vi"], round(u["confidence"], 3)) for u in d["units"]]) + " " + str([(c["code"], round(c["confidence"], 3)) for c in d["categories"]])'
  echo "== $backend: GET /api/v1/feedback/{id}/suggestions over 2,000 open items, Steering Committee, 10 clients, $DURATION"
  IDS=$ids wrk -t2 -c10 -d"$DURATION" -s bench/routing.lua -H "Authorization: Bearer $steering" "$base" | grep RESULT
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/bench.db" ;;
    postgres)
      psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_routing WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_routing' >/dev/null
      run_backend postgres "$PG/bench_nqtrack_routing" ;;
  esac
done
