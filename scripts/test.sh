#!/usr/bin/env bash
# Every check and every test: formatting, lints, unit and integration tests, and the API
# suite a second time on PostgreSQL. Prints how long each phase took at the end, pass or fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

phase_names=()
phase_seconds=()
# Runs the command after the phase's name and records its wall time.
phase() {
    local name=$1 started=$SECONDS
    shift
    phase_names+=("$name")
    phase_seconds+=(-1)
    "$@"
    phase_seconds[-1]=$((SECONDS - started))
}
print_phases() {
    local i
    echo "== test.sh phases (seconds) =="
    for i in "${!phase_names[@]}"; do
        if [ "${phase_seconds[$i]}" -lt 0 ]; then
            printf '%6s  %s\n' "failed" "${phase_names[$i]}"
        else
            printf '%6d  %s\n' "${phase_seconds[$i]}" "${phase_names[$i]}"
        fi
    done
    printf '%6d  total\n' "$SECONDS"
}
trap print_phases EXIT

phase "setup" scripts/setup.sh
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
phase "cargo fmt" cargo fmt --all -- --check
phase "docker lint" scripts/lint-docker.sh
phase "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
# Everything on SQLite first (a QBOUND_TEST_POSTGRES_URL from the caller's shell must not
# leak into this pass), then the API suite again on a throwaway PostgreSQL cluster, each test
# in a database of its own; the replica tests run only in that pass.
phase "build tests" env -u QBOUND_TEST_POSTGRES_URL cargo test --workspace --locked --no-run
phase "tests (SQLite)" env -u QBOUND_TEST_POSTGRES_URL cargo test --workspace --locked
source scripts/test-postgres.sh
# The cluster's trap replaces ours: print the phases before it stops the cluster.
start_test_postgres
trap 'print_phases; stop_test_postgres' EXIT
# `--workspace` keeps the first pass's feature set, so nothing is rebuilt.
phase "API tests (PostgreSQL)" cargo test --workspace --locked --test api
