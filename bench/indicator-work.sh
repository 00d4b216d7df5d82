#!/usr/bin/env bash
# The work around indicators at national scale (issue 13, second part), SQLite and PostgreSQL,
# release build, on `generate --scale national`: the daily sweep's early warnings (late values,
# figures off their path) with the rest of the sweep; p95 at 10 and 50 clients, signed in, of the
# validation report of a province with its communes and of the nation with its provinces, of a
# province's CSV template of the monthly set, of a province's targets page, of the signed-in
# indicator page and of a province's and the nation's scorecards; and one form save checked
# against rules and history (20 rounds).
# Needs wrk and a PostgreSQL server (NQTRACK_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18094
PASSWORD=bench-indicators-password

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | tail -1
  NQTRACK_PASSWORD=$PASSWORD "$BIN" user create --username bench.steering --display-name bench.steering --unit BCDTW --role steering >/dev/null
  echo "== $backend: the daily sweep (nqtrack jobs), with its indicator warnings"
  local t0 t1
  t0=$(date +%s.%N)
  NQTRACK_LOG=info "$BIN" jobs 2>&1 | grep -E "indicator warnings|job phase done|daily sweep done" | sed -E 's/\x1b\[[0-9;]*m//g; s/^.*INFO [^ ]* ?//'
  t1=$(date +%s.%N)
  echo "whole run: $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s"
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$PORT" jar="$work/cookies" csrf
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" --data-urlencode "username=bench.steering" --data-urlencode "password=$PASSWORD" "$base/login"
  local cookie
  cookie=$(awk '$6 == "nqt_session" {print $7}' "$jar")
  [ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
  local sets kpi monthly dvctt province national
  sets=$(curl -fs "$base/api/v1/indicator-sets")
  kpi=$(echo "$sets" | json '[s["id"] for s in d if s["code"]=="KPI-TINH"][0]')
  monthly=$(echo "$sets" | json '[s["id"] for s in d if s["code"]=="KPI-THANG"][0]')
  dvctt=$(curl -fs "$base/api/v1/indicators" | json '[r["indicator"]["id"] for s in d for r in s["indicators"] if r["indicator"]["code"]=="KPI.DVCTT"][0]')
  province=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  national=$(curl -fs "$base/api/v1/org-units?kind=national" | json 'd["items"][0]["id"]')
  local h="Cookie: nqt_session=$cookie"
  echo "== $backend: first requests, signed in, ms"
  for path in "/api/v1/indicator-sets/$kpi/validation?unit=$province&period=2026Q3&children=true" \
              "/api/v1/indicator-sets/$kpi/validation?unit=$national&period=2026Q3&children=true" \
              "/indicators/validation?set=$kpi&unit=$province&period=2026Q3&children=1" \
              "/indicators/entry/template?set=$monthly&unit=$province&period=202611&format=csv" \
              "/indicators/entry/template?set=$monthly&unit=$province&period=202611&format=xlsx" \
              "/indicators/$dvctt/targets?unit=$province" "/indicators/$dvctt" "/"; do
    echo "$path $(curl -fs -H "$h" -o "$work/out" -w '%{time_total}' "$base$path" | awk '{printf "%.1f", $1*1000}') ms, $(wc -c < "$work/out") bytes"
  done
  for clients in 10 50; do
    for path in "/api/v1/indicator-sets/$kpi/validation?unit=$province&period=2026Q3&children=true" \
                "/api/v1/indicator-sets/$kpi/validation?unit=$national&period=2026Q3&children=true" \
                "/indicators/entry/template?set=$monthly&unit=$province&period=202611&format=csv" \
                "/indicators/$dvctt/targets?unit=$province" "/indicators/$dvctt" \
                "/indicators/units/$province" "/indicators/units/$national" "/"; do
      echo "== $backend: GET $path, signed in, $clients clients, $DURATION"
      wrk -t2 -c"$clients" -d"$DURATION" -H "$h" -s bench/p95.lua "$base$path" | grep RESULT
    done
  done
  echo "== $backend: a commune's sheet saved through the form, checked against rules and its history (20 rounds)"
  local commune page
  commune=$(curl -fs "$base/api/v1/org-units?parent=$province&per_page=1" | json 'd["items"][0]["id"]')
  local kns
  kns=$(curl -fs "$base/api/v1/indicators" | json '[r["indicator"]["id"] for s in d for r in s["indicators"] if r["indicator"]["code"]=="KPI.KNS"][0]')
  for i in $(seq 1 20); do
    page=$(curl -fs -b "$jar" -c "$jar" "$base/indicators/entry?set=$kpi&unit=$commune&period=2026Q4")
    csrf=$(echo "$page" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
    curl -s -b "$jar" -c "$jar" -o /dev/null -w "round $i: %{time_total} s, HTTP %{http_code}\n" --data-urlencode "_csrf=$csrf" \
      --data-urlencode "set=$kpi" --data-urlencode "unit=$commune" --data-urlencode "period=2026Q4" \
      --data-urlencode "v-$kns-0=$((20 + i % 3))" --data-urlencode "confirm=1" "$base/indicators/entry" \
      | awk '{printf "%s %.1f ms, %s %s\n", $1" "$2, $3*1000, $5, $6}'
  done
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/nqtrack.db" ;;
    postgres)
      db=bench_indw_$$
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
      run_backend postgres "$PG/$db"
      psql "$PG/postgres" -qc "DROP DATABASE $db" >/dev/null ;;
  esac
done
rm -rf "$work"
