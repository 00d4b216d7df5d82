#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests, integration tests on SQLite AND PostgreSQL,
# and the browser test in headless Chromium. Fails (never skips) when PostgreSQL or Chromium is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export NQTRACK_TEST_PG_URL="${NQTRACK_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "== installing chromium and chromium-driver (Debian packages)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi

echo "== checking PostgreSQL at $NQTRACK_TEST_PG_URL"
if ! psql "$NQTRACK_TEST_PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL is not reachable at $NQTRACK_TEST_PG_URL: the PostgreSQL suite cannot run." >&2
  exit 1
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test (SQLite + PostgreSQL + headless Chromium)"
cargo test --workspace --locked -- --test-threads 4
echo "== every GET route as four roles (bench/crawl.py --check on the demo)"
./scripts/crawl.sh
echo "== API fuzzing (schemathesis)"
./scripts/fuzz.sh
