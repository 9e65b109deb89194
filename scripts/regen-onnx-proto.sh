#!/usr/bin/env bash
# Regenerates backend/engine/src/onnx/proto.rs from the onnx.proto shipped in the PyPI `onnx`
# wheel. A normal build needs neither this script nor protoc: the generated file is committed.
# Usage: scripts/regen-onnx-proto.sh [ONNX_VERSION]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-1.23.2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
  --python-version 3.11 --implementation cp "onnx==$version" -d "$work" >/dev/null
(cd "$work" && python3 -m zipfile -e onnx-*.whl wheel >/dev/null)
cp "$work/wheel/onnx/onnx.proto" "$root/backend/engine/proto/onnx.proto"
cargo run --quiet --manifest-path "$root/tools/onnx-codegen/Cargo.toml" -- \
  "$root/backend/engine/proto" "$root/backend/engine/src/onnx/proto.rs"
