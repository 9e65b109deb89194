#!/usr/bin/env bash
# The seed's partial-quantization workflow from the command line, on the NanoDet
# COCO detector and the demo photos, on this machine's CPU:
#   calibrate -> per-layer sensitivity -> partial model for a 2% accuracy budget ->
#   bs1/bs32 export -> FP32 vs full INT8 vs partial INT8 benchmark.
# Results land in demo-output/ (git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
cargo build --release --locked -p qbound-server
qbound=target/release/qbound
model=data/nanodet-coco-416.onnx
out=demo-output
mkdir -p "$out"

"$qbound" inspect "$model"
"$qbound" calibrate --model "$model" --images data/images/calib --method entropy \
  --out "$out/calib.json" --trt-cache "$out/calib.cache"
"$qbound" sensitivity --model "$model" --calib "$out/calib.json" --images data/images/val \
  --metric agreement --mode one-on --target ort-cpu --out "$out/sensitivity.txt" \
  --json-out "$out/sensitivity.json"
"$qbound" quantize --model "$model" --calib "$out/calib.json" --target ort-cpu \
  --sensitivity-file "$out/sensitivity.txt" --max-drop 0.02 --images data/images/val \
  --export-batch-size 1,32 --out-dir "$out"
"$qbound" quantize --model "$model" --calib "$out/calib.json" --target ort-cpu \
  --export-batch-size 1 --out "$out/nanodet-coco-416_int8_bs1.onnx"
"$qbound" eval --model "$out/nanodet-coco-416_partial_bs1.onnx" --reference "$model" --images data/images/val
"$qbound" bench --model "$model" --model "$out/nanodet-coco-416_int8_bs1.onnx" \
  --model "$out/nanodet-coco-416_partial_bs1.onnx" --batch-sizes 1,32 --runs 5
