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

start() {
  NQTRACK_FEEDBACK_PER_IP_HOUR=100000000 NQTRACK_JOBS_EVERY_SECS=0 NQTRACK_LOG=warn \
    "$BIN" demo --listen "127.0.0.1:$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -fs "$base/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the demo server did not start" >&2; cat "$dir/server.log" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# A fresh token for the demo administrator (the fuzzer may revoke the one it holds).
token() {
  NQTRACK_DATABASE_URL="sqlite://$dir/nqtrack.db" NQTRACK_LOG=error \
    "$BIN" token create --username admin --name "fuzz-$1" | tail -1
}

fuzz() {
  local name=$1; shift
  echo "== schemathesis: $name, up to $EXAMPLES examples per operation"
  local rc=0
  "$VENV/bin/schemathesis" run "$base/api/v1/openapi.json" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --max-examples "$EXAMPLES" --generation-deterministic --workers 2 --request-timeout 30 \
    --no-color "$@" >"$dir/$name.out" 2>&1 || rc=$?
  grep -vE '^\s*$' "$dir/$name.out" | tail -n 25
  if grep -qi "server error" "$dir/server.log"; then
    echo "the server logged errors:" >&2; grep -i "error" "$dir/server.log" | tail -n 20 >&2
  fi
  return "$rc"
}

# Each pass starts on a fresh demo database, so that what one pass changed (units merged, accounts
# disabled, tokens revoked) cannot hide anything from the next.
start
fuzz anonymous
stop
rm -rf "$dir"; mkdir -p "$dir"
start
fuzz administrator -H "Authorization: Bearer $(token admin)"
stop
# After the administrator's pass the organisation tree must still be whole: the national level
# is in force and the only root, and no unit in force sits under a closed one.
python3 - "$dir/nqtrack.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
roots = db.execute("SELECT kind, valid_to FROM org_units WHERE parent_id IS NULL").fetchall()
orphans = db.execute("""SELECT COUNT(*) FROM org_units u JOIN org_units p ON p.id = u.parent_id
                        WHERE u.valid_to IS NULL AND p.valid_to IS NOT NULL""").fetchone()[0]
assert roots == [("national", None)], f"roots after fuzzing: {roots}"
assert orphans == 0, f"{orphans} units in force under closed units after fuzzing"
print("== the organisation tree is whole after fuzzing")
PY
echo "== fuzzing finished: 0 failures"
