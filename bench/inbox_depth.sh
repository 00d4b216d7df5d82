#!/usr/bin/env bash
# Issue 12: the officers' inbox costs the same on its first and its last page. On
# `generate --scale national` data, release build, one request at a time, for the unit with the
# most items: page 1, the last page by number (`page=N`, OFFSET) and the same page by cursor
# (`after=…`, keyset), each requested REPEAT times; prints median and p95 in ms.
# The generator spreads its million items thinly (a few hundred per unit at most), so first every
# tenth item is moved to one province (Đắk Lắk, 100,000 items): a unit as deep as a national
# triage desk would be. BACKENDS="sqlite" or "postgres" runs one backend only. The same requests,
# with the public list and a tracking page, are then timed again under load: 50 clients submitting
# feedback (wrk, bench/post_feedback.lua) while a second process runs the daily sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
BACKENDS=${BACKENDS:-"sqlite postgres"}
REPEAT=${REPEAT:-40}
PORT=18083
# time_ms URL TOKEN: median and p95 of REPEAT sequential requests (no TOKEN: anonymous).
time_ms() {
  for _ in $(seq 1 "$REPEAT"); do
    if [ -n "$2" ]; then
      curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $2" "$1"
    else
      curl -s -o /dev/null -w '%{time_total}\n' "$1"
    fi
  done | python3 -c "
import sys
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f'median {t[len(t)//2]:.1f} ms, p95 {t[int(len(t)*0.95)-1]:.1f} ms')"
}

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn \
         NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_FEEDBACK_PER_IP_HOUR=100000000
  "$BIN" migrate >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national >/dev/null
  local sql="UPDATE feedback_items SET unit_id = (SELECT id FROM org_units WHERE code = '66' AND valid_to IS NULL) WHERE id % 10 = 0"
  if [ "$backend" = sqlite ]; then sqlite3 "$work/bench.db" "$sql"; else psql "$url" -qc "$sql"; fi
  "$BIN" user create --username bench.steering --display-name Bench --unit BCDTW --role steering --password bench-password-123 >/dev/null
  local token
  token=$("$BIN" token create --username bench.steering --name bench | tail -1)
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  local base="http://127.0.0.1:$PORT"
  for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
  # The unit with the most items, among the Steering Committee (central triage), the central
  # agencies and the provinces.
  local unit=0 most=0 ids=""
  for kind in national central_agency province; do
    ids="$ids $(curl -fs "$base/api/v1/org-units?kind=$kind&per_page=100" | json '" ".join(str(u["id"]) for u in d["items"])')"
  done
  for id in $ids; do
    local n
    n=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/feedback?unit=$id&per_page=1" | json 'd["total"]')
    if [ "$n" -gt "$most" ]; then most=$n; unit=$id; fi
  done
  local last=$(( (most + 99) / 100 ))
  # The cursor of the last page: walk there by cursor, 100 at a time (the same pages as by number).
  local after="" tail_cursor=""
  while :; do
    local next
    next=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/feedback?unit=$unit&per_page=100${after:+&after=$after}" | json 'd["next"] or ""')
    [ -z "$next" ] && break
    tail_cursor=$next; after=$next
  done
  local code
  code=$(curl -fs "$base/api/v1/feedback/published?unit=$unit&per_page=1" | json 'd["items"][0]["code"]')
  echo "RESULT $backend unit=$unit items=$most last_page=$last"
  measure() {
    echo "RESULT $backend $1 page 1:              $(time_ms "$base/api/v1/feedback?unit=$unit&per_page=100" "$token")"
    echo "RESULT $backend $1 page $last (OFFSET):     $(time_ms "$base/api/v1/feedback?unit=$unit&per_page=100&page=$last" "$token")"
    echo "RESULT $backend $1 same page by cursor:   $(time_ms "$base/api/v1/feedback?unit=$unit&per_page=100&after=$tail_cursor" "$token")"
    echo "RESULT $backend $1 /feedback:             $(time_ms "$base/feedback" "")"
    echo "RESULT $backend $1 /feedback/track/{code}: $(time_ms "$base/feedback/track/$code" "")"
  }
  measure idle
  if command -v wrk >/dev/null; then
    wrk -t1 -c50 -d3600s -s bench/post_feedback.lua "$base/api/v1/feedback" >"$work/intake.out" &
    local intake=$!
    ( while kill -0 $intake 2>/dev/null; do "$BIN" jobs --as-of 2026-07-15 >/dev/null 2>&1 || true; done ) &
    local sweep=$!
    sleep 2
    measure "under load"
    kill -INT $intake; kill $sweep 2>/dev/null; wait $intake $sweep 2>/dev/null || true
    echo "RESULT $backend intake meanwhile: $(grep RESULT "$work/intake.out" | sed 's/^RESULT //')"
  else
    echo "wrk is missing (apt-get install wrk): no figures under load"
  fi
  kill $pid; wait $pid 2>/dev/null || true
}

for b in $BACKENDS; do
  if [ "$b" = sqlite ]; then
    run_backend sqlite "sqlite://$work/bench.db"
  else
    psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_inbox WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_inbox' >/dev/null
    run_backend postgres "$PG/bench_nqtrack_inbox"
  fi
done
rm -rf "$work"
