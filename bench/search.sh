#!/usr/bin/env bash
# Search at national scale (issue 16), both backends, release build. After `generate --scale
# national` (1,000,000 feedback items, 200,000 assignments and their reports, the units, the
# indicators, the catalogue): `nqtrack search reindex` (time and size of the index); the search
# API at 10 clients over eight queries typed with and without diacritics, all types (with the
# counts per type) and feedback only, repeated (answers then come from the cache) and drawn at
# random (from the index); how long a new submission takes to become searchable; and,
# on PostgreSQL, the same queries through PostgreSQL full-text search (tsvector of unaccented
# title and body, GIN index, ranked by ts_rank) with pgbench, 10 clients, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
SECS=${DURATION%s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18086

measure() { # label, [extra wrk args]
  local label=$1; shift
  echo "== $backend: $label, 10 clients, $DURATION"
  wrk -t2 -c10 -d"$DURATION" -s bench/search.lua "$@" "$base" | grep RESULT
}

run_backend() {
  backend=$1
  local url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work/$backend NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn \
    NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_FEEDBACK_PER_IP_HOUR=100000
  mkdir -p "$NQTRACK_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national >/dev/null
  echo "== $backend: search reindex"
  "$BIN" search reindex 2>/dev/null
  echo "index size: $(du -sh "$NQTRACK_DATA_DIR/search" | cut -f1)"
  local steering
  steering=$("$BIN" token create --username gen.steering --name bench | tail -1)
  NQTRACK_LOG=info "$BIN" serve >"$work/$backend.log" 2>&1 &
  local pid=$!
  base="http://127.0.0.1:$PORT"
  for _ in $(seq 1 600); do curl -fs "$base/api/v1/search?q=so" >/dev/null && break; sleep 0.2; done
  sleep 20 # the server warms its indicator caches after a start
  curl -fs -H "Authorization: Bearer $steering" "$base/api/v1/search?q=chu%20ky%20so" |
    json '"hits for chu ky so: " + str(d["total"]) + " " + str([(f["type"], f["count"]) for f in d["facets"]])'
  measure "GET /api/v1/search (all types, counts per type), Steering Committee" -H "Authorization: Bearer $steering"
  SEARCH_TYPE=feedback measure "GET /api/v1/search?type=feedback, anonymous"
  SEARCH_TYPE=feedback measure "GET /api/v1/search?type=feedback, Steering Committee (token)" -H "Authorization: Bearer $steering"
  measure "GET /api/v1/search (all types), anonymous"
  # The same without the cache of answers: a query of its own at nearly every request.
  SEARCH_DISTINCT=1 measure "GET /api/v1/search (all types), Steering Committee, queries drawn at random" -H "Authorization: Bearer $steering"
  SEARCH_DISTINCT=1 measure "GET /api/v1/search (all types), anonymous, queries drawn at random"
  SEARCH_TYPE=feedback SEARCH_DISTINCT=1 measure "GET /api/v1/search?type=feedback, anonymous, queries drawn at random"
  echo "== $backend: a new submission until the Steering Committee finds it, 20 times"
  BASE=$base TOKEN=$steering python3 - <<'PY'
import json, os, time, urllib.request
base, token = os.environ["BASE"], os.environ["TOKEN"]
waits = []
for i in range(20):
    word = f"kiemtra{int(time.time() * 1000)}x{i}"
    body = json.dumps({"kind": "report", "category": "data", "title": f"Phản ánh {word}",
                       "body": "Đèn đường trên tỉnh lộ không sáng, đề nghị kiểm tra.", "submitter_kind": "citizen"}).encode()
    req = urllib.request.Request(base + "/api/v1/feedback", body, {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    t = time.monotonic()
    while True:
        r = urllib.request.Request(base + f"/api/v1/search?type=feedback&q={word}", headers={"Authorization": "Bearer " + token})
        if json.load(urllib.request.urlopen(r))["total"] > 0:
            break
        if time.monotonic() - t > 30:
            raise SystemExit(f"{word} not found in 30 s")
        time.sleep(0.01)
    waits.append((time.monotonic() - t) * 1000)
waits.sort()
print(f"RESULT searchable after submission: p50={waits[10]:.0f}ms p95={waits[18]:.0f}ms max={waits[-1]:.0f}ms")
PY
  kill $pid; wait $pid 2>/dev/null || true
  if [ "$backend" = postgres ]; then
    echo "== postgres: full-text search over feedback_items (tsvector of unaccent(title || body), GIN)"
    psql "$url" -q -c 'CREATE EXTENSION IF NOT EXISTS unaccent' -c '\timing on' \
      -c "DROP TABLE IF EXISTS bench_fts" \
      -c "CREATE TABLE bench_fts AS SELECT id, to_tsvector('simple', unaccent(title || ' ' || body)) AS v FROM feedback_items" \
      -c 'CREATE INDEX bench_fts_v ON bench_fts USING gin (v)' -c 'ANALYZE bench_fts' | grep -i time
    psql "$url" -Atc "SELECT 'fts table and index: ' || pg_size_pretty(pg_total_relation_size('bench_fts'))"
    (cd "$work" && pgbench -n -c 10 -j 2 -T "$SECS" -f "$OLDPWD/bench/search_fts.sql" -l --log-prefix=fts "$url" |
      grep -E "tps|latency average")
    cat "$work"/fts* | awk '{print $3/1000}' | sort -n | awk '{a[NR]=$1} END {printf "RESULT pg fts: requests=%d p50=%.2fms p95=%.2fms\n", NR, a[int(NR*0.5)], a[int(NR*0.95)]}'
  fi
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/bench.db" ;;
    postgres)
      psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_nqtrack_search WITH (FORCE)' -qc 'CREATE DATABASE bench_nqtrack_search' >/dev/null
      run_backend postgres "$PG/bench_nqtrack_search" ;;
  esac
done
