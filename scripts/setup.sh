#!/usr/bin/env bash
# Everything qbound needs on a fresh machine besides the Rust toolchain that
# rust-toolchain.toml pins (rustup installs it on first use): the ONNX Runtime library, the
# `onnx` checker the tests validate exported models with (and pycocotools, Pillow), the
# fixture detector families and document pages (data/README.md), the headless browser for
# the end-to-end tests, PostgreSQL for the API suite's second pass, and the built web UI.
# Each step is skipped when already done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-ort.sh"
"$root/scripts/setup-python.sh"
"$root/scripts/setup-fixtures.sh"
"$root/scripts/setup-browser.sh"
"$root/scripts/setup-postgres.sh"
"$root/scripts/build-frontend.sh"
