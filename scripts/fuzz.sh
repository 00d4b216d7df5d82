#!/usr/bin/env bash
# Schema-driven fuzzing of the JSON API (issue 10): schemathesis, installed from PyPI into a
# virtualenv under target/, runs against /api/v1/openapi.json of a server started on a fresh
# demo database, once with an administrator's token and once without. It passes only with no
# server error, every returned status documented and every response valid against its schema.
# FUZZ_EXAMPLES bounds the examples per operation (default 20). Uses target/debug/nqtrack.
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${FUZZ_EXAMPLES:-20}
SCHEMATHESIS_VERSION=4.32.5
VENV=target/fuzz-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --locked --quiet --bin nqtrack
BIN=$PWD/target/debug/nqtrack
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

# SQLite: the demo (every role, programme 03/NQ-CP with progress, 300 feedback items).
# PostgreSQL: a fresh database with the hierarchy and an administrator.
PG=${NQTRACK_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_FUZZ="${PG%/*}/nqtrack_fuzz"
export NQTRACK_FEEDBACK_PER_IP_HOUR=100000000 NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_LOG=warn

start() {
  if [ "$backend" = sqlite ]; then
    "$BIN" demo --listen "127.0.0.1:$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
  else
    psql "$PG" -qc 'DROP DATABASE IF EXISTS nqtrack_fuzz WITH (FORCE)' -qc 'CREATE DATABASE nqtrack_fuzz' >/dev/null 2>&1
    NQTRACK_DATABASE_URL=$PG_FUZZ NQTRACK_DATA_DIR=$dir "$BIN" migrate >/dev/null
    NQTRACK_DATABASE_URL=$PG_FUZZ NQTRACK_DATA_DIR=$dir "$BIN" user create --username admin \
      --display-name "Quản trị" --unit VN --role administrator --password fuzz-password-123 >/dev/null
    NQTRACK_DATABASE_URL=$PG_FUZZ NQTRACK_DATA_DIR=$dir NQTRACK_LISTEN="127.0.0.1:$port" \
      "$BIN" serve >"$dir/server.log" 2>&1 &
  fi
  server=$!
  for _ in $(seq 1 600); do curl -fs "$base/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the demo server did not start" >&2; cat "$dir/server.log" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# A fresh token for the demo administrator (the fuzzer may revoke the one it holds).
token() {
  local url="sqlite://$dir/nqtrack.db"; [ "$backend" = postgres ] && url=$PG_FUZZ
  NQTRACK_DATABASE_URL=$url NQTRACK_LOG=error "$BIN" token create --username admin --name "fuzz-$1" | tail -1
}

fuzz() {
  local name=$1; shift
  echo "== schemathesis: $name, up to $EXAMPLES examples per operation"
  local rc attempt
  for attempt in 1 2; do
    rc=0
    "$VENV/bin/schemathesis" run "$base/api/v1/openapi.json" \
      --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
      --max-examples "$EXAMPLES" --generation-deterministic --workers 2 --request-timeout 30 \
      --no-color "$@" >"$dir/$name.out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      # The failures with their reproduction (curl commands), and schemathesis's own errors (a
      # request timed out, a connection reset, a crash of the tool), before the summary.
      sed -n '/= \(FAILURES\|ERRORS\) =/,/= \(WARNINGS\|SUMMARY\) =/p' "$dir/$name.out" | sed '$d' | head -n 200 | cut -c1-400
    fi
    # A finding fails at once. An error of the tool alone (seen once: a KeyError inside
    # schemathesis's coverage phase, every generated case passing) gets one more try.
    if [ "$rc" -eq 0 ] || grep -q '= FAILURES =' "$dir/$name.out" || [ "$attempt" -eq 2 ]; then
      break
    fi
    echo "== schemathesis stopped on an error of its own, no failure found: $name once more"
  done
  grep -vE '^\s*$' "$dir/$name.out" | sed -n '/SUMMARY/,$p' 
  if grep -qi "server error" "$dir/server.log"; then
    echo "the server logged errors:" >&2; grep -i "error" "$dir/server.log" | tail -n 20 >&2
  fi
  return "$rc"
}

# Each pass starts on a fresh database, so that what one pass changed (units merged, accounts
# disabled, tokens revoked) cannot hide anything from the next.
tree_is_whole() {
  # The organisation tree must still be whole: the national level is in force and the only root,
  # and no unit in force sits under a closed one.
  local q1="SELECT string_agg(kind || ':' || COALESCE(CAST(valid_to AS TEXT), 'in force'), ',') FROM org_units WHERE parent_id IS NULL"
  local q2="SELECT COUNT(*) FROM org_units u JOIN org_units p ON p.id = u.parent_id WHERE u.valid_to IS NULL AND p.valid_to IS NOT NULL"
  local roots orphans
  if [ "$backend" = sqlite ]; then
    roots=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2].replace('string_agg','group_concat')).fetchone()[0])" "$dir/nqtrack.db" "$q1")
    orphans=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$dir/nqtrack.db" "$q2")
  else
    roots=$(psql "$PG_FUZZ" -Atc "$q1"); orphans=$(psql "$PG_FUZZ" -Atc "$q2")
  fi
  if [ "$roots" != "national:in force" ] || [ "$orphans" != 0 ]; then
    echo "the organisation tree was damaged: roots $roots, $orphans units in force under closed ones" >&2
    exit 1
  fi
  echo "== $backend: the organisation tree is whole after fuzzing"
}

for backend in sqlite postgres; do
  rm -rf "$dir"; mkdir -p "$dir"
  start; fuzz "$backend-anonymous"; stop
  rm -rf "$dir"; mkdir -p "$dir"
  start; fuzz "$backend-administrator" -H "Authorization: Bearer $(token admin)"; stop
  tree_is_whole
done
psql "$PG" -qc 'DROP DATABASE IF EXISTS nqtrack_fuzz WITH (FORCE)' >/dev/null
echo "== fuzzing finished: 0 failures"
