#!/usr/bin/env bash
# Indicators at national scale (issue 13), SQLite and PostgreSQL, release build, on
# `generate --scale national` (about 4.6 million indicator values): p95 of an indicator's national
# page and of a province's scorecard (page and API) at 10 and 50 clients; the first request after a
# value is entered (the roll-up computed again) against the cached one; a 100,000-value
# dataValueSets import; and side by side, the batch way: a plain SQL GROUP BY over the same values.
# Needs wrk and a PostgreSQL server (NQTRACK_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_wrk
DURATION=${BENCH_DURATION:-10s}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=18093
PASSWORD=bench-indicators-password

run_backend() {
  local backend=$1 url=$2
  export NQTRACK_DATABASE_URL=$url NQTRACK_DATA_DIR=$work NQTRACK_LISTEN=127.0.0.1:$PORT NQTRACK_LOG=warn NQTRACK_JOBS_EVERY_SECS=0
  "$BIN" migrate >/dev/null
  "$BIN" import annex >/dev/null
  echo "== $backend: generate --scale national"
  "$BIN" generate --scale national | tail -1
  NQTRACK_PASSWORD=$PASSWORD "$BIN" user create --username bench.steering --display-name bench.steering --unit BCDTW --role steering >/dev/null
  local token
  token=$("$BIN" token create --username bench.steering --name bench | tail -1)
  "$BIN" serve >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$PORT" dvctt hstn province
  dvctt=$(curl -fs "$base/api/v1/indicators" | json '[r["indicator"]["id"] for s in d for r in s["indicators"] if r["indicator"]["code"]=="KPI.DVCTT"][0]')
  hstn=$(curl -fs "$base/api/v1/indicators" | json '[r["indicator"]["id"] for s in d for r in s["indicators"] if r["indicator"]["code"]=="TH.HSTN"][0]')
  province=$(curl -fs "$base/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
  echo "== $backend: first requests (roll-ups computed), ms"
  for path in "/indicators" "/indicators/$dvctt" "/indicators/$hstn" "/indicators/units/$province"; do
    echo "$path $(curl -fs -o /dev/null -w '%{time_total}' "$base$path" | awk '{printf "%.1f", $1*1000}') ms, $(curl -fs -H 'Accept-Encoding: gzip' "$base$path" | wc -c) bytes"
  done
  for clients in 10 50; do
    for path in "/indicators/$dvctt" "/api/v1/indicators/$dvctt/figures" "/indicators/$hstn" "/indicators/units/$province" "/api/v1/indicators/units/$province" "/indicators"; do
      echo "== $backend: GET $path, $clients clients, $DURATION"
      wrk -t2 -c"$clients" -d"$DURATION" -s bench/p95.lua "$base$path" | grep RESULT
    done
  done
  echo "== $backend: entry → dashboard: a value entered, then the national figure (10 rounds)"
  local commune
  commune=$(curl -fs "$base/api/v1/org-units?parent=$province&per_page=1" | json 'd["items"][0]["code"]')
  for i in $(seq 1 10); do
    curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"dataSet\":\"KPI-TINH\",\"period\":\"2026Q3\",\"dataValues\":[{\"dataElement\":\"KPI.KNS\",\"orgUnit\":\"$commune\",\"value\":\"$((100 + i))\"}]}" "$base/api/v1/dataValueSets"
    local kns first second
    kns=$(curl -fs "$base/api/v1/indicators" | json '[r["indicator"]["id"] for s in d for r in s["indicators"] if r["indicator"]["code"]=="KPI.KNS"][0]')
    first=$(curl -fs -o /tmp/bench-fig.json -w '%{time_total}' "$base/api/v1/indicators/$kns/figures?unit=$province&period=2026Q3")
    second=$(curl -fs -o /dev/null -w '%{time_total}' "$base/api/v1/indicators/$kns/figures?unit=$province&period=2026Q3")
    echo "round $i: first $(awk "BEGIN{printf \"%.1f\", $first*1000}") ms, then $(awk "BEGIN{printf \"%.1f\", $second*1000}") ms; province figure $(json 'd["unit"]["value"]' < /tmp/bench-fig.json)"
  done
  echo "== $backend: dataValueSets import of 100,000 values (updates of existing ones, with history and audit)"
  python3 - "$base" > "$work/dvs.json" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
units = []
page = 1
provinces = json.load(urllib.request.urlopen(f"{base}/api/v1/org-units?kind=province&per_page=200"))["items"]
for p in provinces:
    units += [u["code"] for u in json.load(urllib.request.urlopen(f"{base}/api/v1/org-units?parent={p['id']}&per_page=200"))["items"]]
sets = json.load(urllib.request.urlopen(f"{base}/api/v1/indicators"))
monthly = [r["indicator"] for s in sets if s["set"]["code"] == "KPI-THANG" for r in s["indicators"]]
values = []
for u in units:
    for ind in monthly:
        for b in (ind["disaggregations"].split("|") if ind["disaggregations"] else [""]):
            values.append({"dataElement": ind["code"], "orgUnit": u, "categoryOptionCombo": b, "value": str(len(values) % 97)})
            if len(values) == 100000:
                break
        if len(values) == 100000: break
    if len(values) == 100000: break
print(json.dumps({"dataSet": "KPI-THANG", "period": "202611", "dataValues": values}))
PY
  for dry in true false; do
    local t
    t=$(curl -fs -o "$work/dvs-out.json" -w '%{time_total}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary @"$work/dvs.json" "$base/api/v1/dataValueSets?dryRun=$dry")
    echo "dryRun=$dry: $(awk "BEGIN{printf \"%.2f\", $t}") s, $(json 'd["importCount"]' < "$work/dvs-out.json"), $(json 'len(d["conflicts"])' < "$work/dvs-out.json") conflicts"
  done
  kill $pid; wait $pid 2>/dev/null || true
  echo "== $backend: the batch way, a GROUP BY over the same values (one province's communes and the nation, one quarter)"
  if [ "$backend" = sqlite ]; then
    python3 - "$work/nqtrack.db" "$dvctt" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); ind = int(sys.argv[2])
q = """SELECT p.id, SUM(v.numerator) * 100.0 / SUM(v.denominator) FROM indicator_values v
       JOIN org_units u ON u.id = v.unit_id JOIN org_units p ON p.id = u.parent_id
       WHERE v.indicator_id = ? AND v.period = '2026Q3' GROUP BY p.id"""
for i in range(3):
    t = time.perf_counter(); rows = db.execute(q, (ind,)).fetchall(); dt = time.perf_counter() - t
    print(f"GROUP BY by province: {len(rows)} rows in {dt*1000:.1f} ms")
PY
  else
    psql "$url" -qAt -c '\timing on' -c "SELECT count(*) FROM (SELECT p.id, SUM(v.numerator) * 100.0 / SUM(v.denominator) FROM indicator_values v JOIN org_units u ON u.id = v.unit_id JOIN org_units p ON p.id = u.parent_id WHERE v.indicator_id = $dvctt AND v.period = '2026Q3' GROUP BY p.id) x" \
      -c "SELECT count(*) FROM (SELECT p.id, SUM(v.numerator) * 100.0 / SUM(v.denominator) FROM indicator_values v JOIN org_units u ON u.id = v.unit_id JOIN org_units p ON p.id = u.parent_id WHERE v.indicator_id = $dvctt AND v.period = '2026Q3' GROUP BY p.id) x" | sed 's/^/GROUP BY by province: /'
  fi
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "sqlite://$work/nqtrack.db" ;;
    postgres)
      db=bench_ind_$$
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
      run_backend postgres "$PG/$db"
      psql "$PG/postgres" -qc "DROP DATABASE $db" >/dev/null ;;
  esac
done
rm -rf "$work"
