#!/usr/bin/env bash
# Reliability benchmarks (issue 10) on `generate --scale national` data, release build, SQLite and
# PostgreSQL (BACKENDS="sqlite" or "postgres" runs one):
#   1. intake alone, POST /api/v1/feedback at 50 clients, fsync-durable (SQLite synchronous=FULL,
#      PostgreSQL synchronous_commit=on): the group-commit writer side by side with one
#      transaction, one insert and one sync per submission (NQTRACK_INTAKE_BATCH=1), same run;
#   2. the national daily sweep (`nqtrack jobs --as-of 2026-07-15`, a second process like a second
#      instance) while 50 clients post feedback: sweep seconds, reminders, mails (one per person),
#      and the intake's requests/s, p99 and errors (any non-2xx, e.g. a 503, counts) meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-15s}
AS_OF=${AS_OF:-2026-07-15}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18083

serve() {
  if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
    echo "port $PORT is taken by another server" >&2; exit 1
  fi
  "$BIN" serve >"$work/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; then
      # The server computes the national feedback figures once at start (seconds over a million
      # items); let that finish so that it does not overlap the measurement.
      curl -fs "http://127.0.0.1:$PORT/api/v1/feedback/stats" >/dev/null; sleep 8
      return
    fi
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$work/serve.log" >&2; exit 1
}
sweep() {
  local t0; t0=$(date +%s.%N)
  NQTRACK_LOG=info "$BIN" jobs --as-of "$AS_OF" >"$work/jobs.out" 2>"$work/jobs.log"
  local total; total=$(echo "$(date +%s.%N) - $t0" | bc)
  local secs; secs=$(sed 's/\x1b\[[0-9;]*m//g' "$work/jobs.log" | grep 'daily sweep done' | grep -o 'seconds=[0-9.]*' | head -1 | cut -d= -f2 || true)
  echo "RESULT $1 sweep_seconds=${secs:-?} jobs_total_seconds=$total ($(cat "$work/jobs.out"))"
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$work"' EXIT
intake() { wrk -t2 -c50 -d"$1" -s bench/post_feedback.lua "http://127.0.0.1:$PORT/api/v1/feedback" | grep RESULT; }

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work/data NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn \
         NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_FEEDBACK_PER_IP_HOUR=100000000
  rm -rf "$work/data"; mkdir -p "$work/data"
  "$BIN" migrate >/dev/null
  echo "== $backend: generate --scale national"
  local t0; t0=$(date +%s.%N)
  "$BIN" generate --scale national >/dev/null
  echo "RESULT generate_seconds=$(echo "$(date +%s.%N) - $t0" | bc)"

  echo "== $backend: intake alone, 50 clients, $DURATION: group commit (batches of up to 128)"
  serve; intake "$DURATION"; stop
  echo "== $backend: intake alone, 50 clients, $DURATION: one transaction and one sync per submission"
  NQTRACK_INTAKE_BATCH=1 serve; intake "$DURATION"; stop

  echo "== $backend: daily sweep as of $AS_OF, nothing else running (on a copy of the database)"
  copy_db "$url"
  NQTRACK_DATABASE_URL=$COPY sweep alone

  echo "== $backend: daily sweep as of $AS_OF inside the server (as serve runs it) while 50 clients post feedback"
  "$BIN" user create --username bench.admin --display-name Bench --unit VN --role administrator \
    --password bench-password-123 >/dev/null
  local token; token=$("$BIN" token create --username bench.admin --name bench | tail -1)
  serve
  wrk -t2 -c50 -d1800s -s bench/post_feedback.lua "http://127.0.0.1:$PORT/api/v1/feedback" >"$work/wrk.out" &
  local wrk_pid=$!
  sleep 3
  local report
  report=$(curl -s -m 3600 -w ' %{time_total}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"as_of\": \"$AS_OF\"}" "http://127.0.0.1:$PORT/api/v1/jobs/run")
  echo "RESULT under_load jobs_run_seconds=${report##* } report=${report% *}"
  kill -INT "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true
  echo "RESULT intake_during_sweep: $(grep RESULT "$work/wrk.out" | sed 's/^RESULT //')"
  grep -E "Non-2xx|timeout" "$work/wrk.out" || true
  stop
}

# A second database like the first, for the sweep without load.
copy_db() {
  if [[ $1 == sqlite://* ]]; then
    sqlite3 "${1#sqlite://}" "VACUUM INTO '$work/copy.db'"
    COPY="sqlite://$work/copy.db"
  else
    psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_sweep_copy WITH (FORCE)' \
      -qc 'CREATE DATABASE bench_nqtrack_sweep_copy TEMPLATE bench_nqtrack_sweep' >/dev/null
    COPY="$PG/bench_nqtrack_sweep_copy"
  fi
}

for b in $BACKENDS; do
  if [ "$b" = sqlite ]; then
    run_backend sqlite "sqlite://$work/bench.db"
  else
    psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_sweep WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_sweep' >/dev/null
    run_backend postgres "$PG/bench_nqtrack_sweep"
  fi
done
