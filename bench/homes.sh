#!/usr/bin/env bash
# The role homes (issue 11) at national scale, on SQLite and PostgreSQL, release build: on
# `generate --scale national` data with three accounts (a provincial officer and leader of Đắk
# Lắk, a member of the Steering Committee), p95 of GET / for each, of the national overdue list
# and of the province's claims queue, at 10 concurrent clients; each page's size.
# Needs wrk and a PostgreSQL server (NQTRACK_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-15s}
CLIENTS=${CLIENTS:-10}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18083
PASSWORD=bench-homes-password

# Signs in and prints the session cookie.
cookie() {
  local base=$1 user=$2 jar=$work/jar-$2 csrf
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "next=/" "$base/login"
  # Session cookies are written as "#HttpOnly_host …" lines.
  awk '(/^#HttpOnly_/ || !/^#/) && NF >= 7 {printf "%s=%s; ", $6, $7}' "$jar"
}

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | tail -1
  for u in "bench.steering steering BCDTW" "bench.leader unit_leader 66" "bench.officer unit_officer 66"; do
    set -- $u
    NQTRACK_PASSWORD=$PASSWORD "$BIN" user create --username "$1" --display-name "$1" --unit "$3" --role "$2" >/dev/null
  done
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$PORT" nq03 province
  nq03=$(curl -fs "$base/api/v1/programmes" | json '[p["id"] for p in d if p["code"]=="03/NQ-CP"][0]')
  province=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  for spec in "bench.officer /" "bench.leader /" "bench.steering /" "bench.steering /programmes/$nq03/deadlines?list=overdue" "bench.leader /org/$province/claims"; do
    set -- $spec
    local c
    c=$(cookie "$base" "$1")
    echo "== $backend: GET $2 as $1, $(curl -fs -H "Cookie: $c" -H 'Accept-Encoding: gzip' "$base$2" | wc -c) bytes gzip, $CLIENTS clients, $DURATION"
    wrk -t2 -c"$CLIENTS" -d"$DURATION" -s bench/p95.lua -H "Cookie: $c" "$base$2" | grep RESULT
  done
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/bench.db" ;;
    postgres)
      psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_homes WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_homes' >/dev/null
      run_backend postgres "$PG/bench_nqtrack_homes" ;;
  esac
done
rm -rf "$work"
