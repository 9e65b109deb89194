#!/usr/bin/env bash
# Provisions the ONNX Runtime shared library that `ort` loads at run time (load-dynamic):
# takes libonnxruntime.so out of the PyPI `onnxruntime` wheel into .ort/lib (git-ignored).
# Idempotent: does nothing when the library is already there.
# QBOUND_ORT_FLAVOR=gpu takes the `onnxruntime-gpu` wheel instead: the same library plus the
# CUDA and TensorRT provider plugins (libonnxruntime_providers_cuda.so, _tensorrt.so), which
# need CUDA 13, cuDNN 9 and TensorRT 10 on the node's library path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${QBOUND_ORT_VERSION:-1.31.1}
flavor=${QBOUND_ORT_FLAVOR:-cpu}
lib_dir="$root/.ort/lib"
lib="$lib_dir/libonnxruntime.so.$version"
case "$flavor" in
  cpu) package=onnxruntime; marker="$lib" ;;
  gpu) package=onnxruntime-gpu; marker="$lib_dir/libonnxruntime_providers_cuda.so" ;;
  *) echo "setup-ort: QBOUND_ORT_FLAVOR must be \`cpu\` or \`gpu\`, not \`$flavor\`" >&2; exit 2 ;;
esac
if [ -f "$lib" ] && [ -f "$marker" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "setup-ort: downloading $package==$version from PyPI" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
  --python-version 3.11 --implementation cp "$package==$version" -d "$work"
mkdir -p "$lib_dir"
python3 - "$work"/*.whl "$lib_dir" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/") and base.startswith("libonnxruntime"):
            with z.open(name) as src, open(os.path.join(out, base), "wb") as dst:
                dst.write(src.read())
PY
ln -sf "libonnxruntime.so.$version" "$lib_dir/libonnxruntime.so"
echo "setup-ort: ONNX Runtime $version ($flavor) in $lib_dir" >&2
