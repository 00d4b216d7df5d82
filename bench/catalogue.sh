#!/usr/bin/env bash
# The database catalogue at national scale (issue 15), both backends, release build.
# `generate --scale national` writes ≈ 20,000 entries with a year of fortnightly heartbeats. Then,
# against the server, p95 at 10 clients: the catalogue search (API and page, anonymous and signed
# in), CKAN's package_search with facets, the national dashboard (API and page); heartbeats
# accepted per second at 50 clients; and the search again while those heartbeats arrive.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18085

measure() { # label, url, [extra wrk args]
  local label=$1 url=$2; shift 2
  echo "== $backend: $label, 10 clients, $DURATION"
  wrk -t2 -c10 -d"$DURATION" -s bench/p95.lua "$@" "$url" | grep RESULT
}

run_backend() {
  backend=$1
  local url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work/$backend NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  mkdir -p "$NQTRACK_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | grep -E "catalogue"
  NQTRACK_PASSWORD=bench-password-1 "$BIN" user create --username bench.catalogue --display-name "Bench" --unit VN --role administrator >/dev/null
  local token steering
  token=$("$BIN" token create --username bench.catalogue --name bench | tail -1)
  steering=$("$BIN" token create --username gen.steering --name bench | tail -1)
  NQTRACK_LOG=info "$BIN" serve >"$work/$backend.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$PORT" first count
  first=1
  count=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/catalogue/dashboard" | json 'd["total"]["entries"]')
  echo "== $backend: $count entries, first $first"
  local q="q=y%20te&kind=local"
  measure "GET /api/v1/catalogue?$q anonymous" "$base/api/v1/catalogue?$q"
  measure "GET /api/v1/catalogue?$q signed in" "$base/api/v1/catalogue?$q" -H "Authorization: Bearer $steering"
  measure "GET /catalogue?$q anonymous (page cache)" "$base/catalogue?$q"
  measure "GET /catalogue?$q signed in" "$base/catalogue?$q" -H "Authorization: Bearer $steering"
  measure "GET /api/3/action/package_search?q=dat%20dai&rows=20&facet.field=[organization,tags]" \
    "$base/api/3/action/package_search?q=dat%20dai&rows=20&facet.field=%5B%22organization%22,%22tags%22%5D"
  measure "GET /api/3/action/package_search?rows=1000" "$base/api/3/action/package_search?rows=1000"
  measure "GET /api/v1/catalogue/dashboard" "$base/api/v1/catalogue/dashboard"
  measure "GET /catalogue/dashboard signed in" "$base/catalogue/dashboard" -H "Authorization: Bearer $steering"
  measure "GET /catalogue/$first signed in" "$base/catalogue/$first" -H "Authorization: Bearer $steering"
  echo "== $backend: POST /api/v1/catalogue/{id}/heartbeat, 50 clients, $DURATION"
  FIRST=$first COUNT=$count TOKEN=$token wrk -t2 -c50 -d"$DURATION" -s bench/heartbeat.lua "$base" | grep RESULT
  echo "== $backend: the signed-in search while heartbeats arrive (20 clients posting)"
  FIRST=$first COUNT=$count TOKEN=$token wrk -t1 -c20 -d"$DURATION" -s bench/heartbeat.lua "$base" | sed 's/^RESULT/HEARTBEATS/' | grep HEARTBEATS &
  local hb=$!
  sleep 1
  measure "GET /api/v1/catalogue?$q signed in, during heartbeats" "$base/api/v1/catalogue?$q" -H "Authorization: Bearer $steering"
  wait $hb || true
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/bench.db" ;;
    postgres)
      psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_catalogue WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_catalogue' >/dev/null
      run_backend postgres "$PG/bench_nqtrack_catalogue" ;;
  esac
done
