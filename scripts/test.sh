#!/usr/bin/env bash
# Every check and every test: formatting, lints, unit and integration tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
cargo fmt --all -- --check
scripts/lint-docker.sh
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
