#!/usr/bin/env bash
# Everything qbound needs on a fresh machine besides the Rust toolchain that
# rust-toolchain.toml pins (rustup installs it on first use): the ONNX Runtime library.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-ort.sh"
