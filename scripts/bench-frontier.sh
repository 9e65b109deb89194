#!/usr/bin/env bash
# The accuracy-speed frontier of every fixture family (NanoDet demo, YOLOv8n, PicoDet layout),
# `ort-cpu` on this CPU, agreement with the float model: default (auto) calibration, the proxy
# sensitivity ranking, `--max-drop 0.02` and `0.05`, and a sweep along the greedy path with
# bs1/bs32 throughput (median and [min-max] over the runs, interleaved with FP32).
# Needs scripts/setup.sh and a release build. OUT (default: a temporary folder) keeps the files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"
cargo build --release --locked -p qbound-server >&2
qbound=target/release/qbound
out=${OUT:-$(mktemp -d)}
runs=${RUNS:-7}
frontier() {
  local name=$1 model=$2 calib=$3 val=$4 dir="$out/$1"
  mkdir -p "$dir"
  echo "== $name"
  "$qbound" calibrate --model "$model" --images "$calib" --out "$dir/calib.json" | tail -1
  "$qbound" sensitivity --model "$model" --calib "$dir/calib.json" --images "$val" \
    --metric proxy --target ort-cpu --out "$dir/sensitivity.txt" | tail -2
  for drop in 0.02 0.05; do
    "$qbound" quantize --model "$model" --calib "$dir/calib.json" --target ort-cpu \
      --sensitivity-file "$dir/sensitivity.txt" --max-drop "$drop" --images "$val" \
      --out-dir "$dir/max-drop-$drop" | tail -1
  done
  "$qbound" sweep --model "$model" --calib "$dir/calib.json" --sensitivity-file "$dir/sensitivity.txt" \
    --images "$val" --target ort-cpu --keep-float 1,2,4,8,16 --batch-sizes 1,32 --runs "$runs" \
    --out "$dir/sweep.json"
}
frontier nanodet data/nanodet-coco-416.onnx data/images/calib data/images/val
frontier yolov8n data/models/yolov8n-320.onnx data/images/calib data/images/val
frontier picodet data/models/picodet-layout-cdla.onnx data/pages/calib data/pages/val
