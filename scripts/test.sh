#!/usr/bin/env bash
# Every check and every test: formatting, lints, unit and integration tests, and the API
# suite a second time on PostgreSQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
cargo fmt --all -- --check
scripts/lint-docker.sh
cargo clippy --workspace --all-targets --locked -- -D warnings
# Everything on SQLite first (a QBOUND_TEST_POSTGRES_URL from the caller's shell must not
# leak into this pass), then the API suite again on a throwaway PostgreSQL cluster, each test
# in a database of its own; the replica tests run only in that pass.
env -u QBOUND_TEST_POSTGRES_URL cargo test --workspace --locked
source scripts/test-postgres.sh
start_test_postgres
# `--workspace` keeps the first pass's feature set, so nothing is rebuilt.
cargo test --workspace --locked --test api
