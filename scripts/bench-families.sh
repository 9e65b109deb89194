#!/usr/bin/env bash
# Full-INT8 `ort-cpu` against ONNX Runtime's own quantize_static on every fixture family
# (NanoDet demo, YOLOv8n, PicoDet layout): FP32, ORT and qbound interleaved at bs1 and bs32,
# and agreement with the float model. Needs scripts/setup.sh and a release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
cargo build --release --locked -p qbound-server >&2
python=.tools/pyenv/bin/python
runs=${RUNS:-7}
"$python" scripts/compare-ort-quantizer.py --runs "$runs" \
  --model data/nanodet-coco-416.onnx --calib data/images/calib --val data/images/val
"$python" scripts/compare-ort-quantizer.py --runs "$runs" \
  --model data/models/yolov8n-320.onnx --calib data/images/calib --val data/images/val
"$python" scripts/compare-ort-quantizer.py --runs "$runs" \
  --model data/models/picodet-layout-cdla.onnx --calib data/pages/calib --val data/pages/val
