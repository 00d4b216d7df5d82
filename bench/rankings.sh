#!/usr/bin/env bash
# Rankings at national scale (issue 14), both backends, release build. `generate --scale national`
# ends by computing and publishing one edition of each example method nationwide (central
# agencies, provinces, communes, with 1,000 Monte Carlo draws each) and prints each one's time.
# Then, against the server: the public ranking and scorecard API and the ranking pages signed in,
# p95 at 10 clients, and the what-if recomputation for the provinces (20 calls, one at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18084

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work/$backend NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  mkdir -p "$NQTRACK_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | grep -E "^ranked"
  local token
  token=$("$BIN" token create --username gen.steering --name bench | tail -1)
  NQTRACK_LOG=info "$BIN" serve >"$work/$backend.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$PORT" editions province commune dak_lak
  editions=$(curl -fs "$base/api/v1/rankings")
  province=$(echo "$editions" | json '[e["edition"]["id"] for e in d if e["method"]["peer_group"]=="province"][0]')
  commune=$(echo "$editions" | json '[e["edition"]["id"] for e in d if e["method"]["peer_group"]=="commune"][0]')
  dak_lak=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  for path in "/api/v1/rankings/$province" "/api/v1/rankings/$province/units/$dak_lak" "/api/v1/rankings/$commune"; do
    echo "== $backend: GET $path, $(curl -fs -H 'Accept-Encoding: gzip' "$base$path" | wc -c) bytes gzip, 10 clients, $DURATION"
    wrk -t2 -c10 -d"$DURATION" -s bench/p95.lua "$base$path" | grep RESULT
  done
  # The pages as the Committee reads them (a bearer token bypasses the public page cache):
  # the provinces with their map, changes and rank sparklines, the communes a hundred to a page
  # (the first and the twentieth), a province's scorecard and its accountability report.
  for path in "/rankings/$province" "/rankings/$commune" "/rankings/$commune?page=20" \
    "/rankings/$province/units/$dak_lak" "/rankings/$province/units/$dak_lak/report"; do
    echo "== $backend: GET $path signed in, $(curl -fs -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip' "$base$path" | wc -c) bytes gzip, 10 clients, $DURATION"
    wrk -t2 -c10 -d"$DURATION" -s bench/p95.lua -H "Authorization: Bearer $token" "$base$path" | grep RESULT
  done
  echo "== $backend: POST /api/v1/rankings/$province/what-if, 20 calls one at a time (ms)"
  for _ in $(seq 1 20); do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"weights": {"work": 70, "citizens": 20}}' "$base/api/v1/rankings/$province/what-if"
  done | sort -n | awk '{a[NR]=$1*1000} END {printf "median %.1f, max %.1f\n", a[int((NR+1)/2)], a[NR]}'
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/bench.db" ;;
    postgres)
      psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_rankings WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_rankings' >/dev/null
      run_backend postgres "$PG/bench_nqtrack_rankings" ;;
  esac
done
