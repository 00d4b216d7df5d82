#!/usr/bin/env bash
# Every GET route at national scale (issue 12): bench/crawl.py against a running server on
# `generate --scale national` data, idle and then under load (50 clients submitting feedback with
# wrk and bench/post_feedback.lua, while a second process runs the daily sweep, `nqtrack jobs`).
# Usage: bench/crawl.sh BASE_URL DATABASE_URL, with the accounts bench.officer (Đắk Lắk),
# bench.steering and bench.admin created with password $PASSWORD (see bench/homes.sh for how), and the server
# started with NQTRACK_FEEDBACK_PER_IP_HOUR=100000000 (else the submitters get 429 after the first
# few hundred, all coming from one address).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/crawl.sh BASE_URL DATABASE_URL}
DB=${2:?usage: bench/crawl.sh BASE_URL DATABASE_URL}
PASSWORD=${PASSWORD:-bench-password-1}
REQUESTS=${REQUESTS:-30}
BIN=${BIN:-$PWD/target/release/nqtrack}
# The day the sweep judges: its first run on a day does the work (about 9,500 reminders at
# national scale), later runs find nothing left. A day not swept before gives the harder case.
SWEEP_AS_OF=${SWEEP_AS_OF:-2026-07-15}
crawl() {
  python3 bench/crawl.py --base "$BASE" --officer bench.officer --steering bench.steering --admin bench.admin \
    --password "$PASSWORD" --requests "$REQUESTS" --clients 10
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; date: $(date -u +%F); $DB"
echo "== idle"
crawl
echo "== under load: 50 submitting clients and the daily sweep in a second process"
wrk -t1 -c50 -d3600s -s bench/post_feedback.lua "$BASE/api/v1/feedback" >/tmp/crawl-intake.out &
intake=$!
( while kill -0 $intake 2>/dev/null; do
    NQTRACK_DATABASE_URL=$DB NQTRACK_LOG=error "$BIN" jobs --as-of "$SWEEP_AS_OF" >/dev/null 2>&1 || true
  done ) &
sweep=$!
trap 'kill -INT $intake 2>/dev/null; kill $sweep 2>/dev/null; wait 2>/dev/null; true' EXIT
crawl
kill -INT $intake; wait $intake 2>/dev/null || true
echo "intake meanwhile: $(grep RESULT /tmp/crawl-intake.out | sed 's/^RESULT //')"
