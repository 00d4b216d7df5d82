#!/usr/bin/env bash
# Two builds side by side on the same PostgreSQL data, alternately, two rounds: the ranking pages
# signed in (a bearer token bypasses the public page cache) and the national overview as a
# control. Usage: bench/rankings-side-by-side.sh OLD_BIN OLD_DB NEW_BIN NEW_DB (databases made by
# bench/rankings.sh; for an older build, a copy without the newer migrations).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh >/dev/null
PORT=18085
# In data from `generate --scale national`, edition 1 is the provinces', 3 the communes'; unit 66 is Đắk Lắk.
OLD_BIN=$1 OLD_DB=$2 NEW_BIN=$3 NEW_DB=$4
one() {
  local name=$1 bin=$2 db=$3
  export NQTRACK_DATABASE_URL=$PG/$db NQTRACK_DATA_DIR=$work/$name NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  mkdir -p $NQTRACK_DATA_DIR
  local token; token=$("$bin" token create --username gen.steering --name sbs | tail -1)
  "$bin" serve >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  sleep 20  # the indicator warm-up at start
  local base=http://127.0.0.1:$PORT
  for path in "/rankings/3" "/rankings/3?page=20" "/rankings/1" "/rankings/1/units/66" "/api/v1/programmes/1/overview"; do
    echo "$name $path $(wrk -t2 -c10 -d10s -s bench/p95.lua -H "Authorization: Bearer $token" "$base$path" | grep RESULT)"
  done
  kill $pid; wait $pid 2>/dev/null || true
}
for round in 1 2; do
  one old "$OLD_BIN" "$OLD_DB"
  one new "$NEW_BIN" "$NEW_DB"
done
