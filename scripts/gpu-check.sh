#!/usr/bin/env bash
# The GPU checks in one go, for a GPU node (a few minutes): provision the GPU build of ONNX
# Runtime, build release, detect the providers, calibrate and quantize the demo model (full
# and partial INT8), convert it to FP16, time FP32/FP16/INT8/partial at bs1 and bs32 on the
# best provider, and build TensorRT engines where TensorRT is there. Every step that cannot
# run on this node says why and the script goes on; it exits non-zero only when a step that
# should have worked failed. QBOUND_GPU_CHECK_ORT=keep leaves .ort/lib as it is.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${QBOUND_GPU_CHECK_OUT:-"$root/target/gpu-check"}
mkdir -p "$out"
model=data/nanodet-coco-416.onnx
failed=0
step() { echo; echo "== $*"; }
fail() { echo "FAILED: $*"; failed=1; }

step "node"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  || echo "no NVIDIA GPU here (\`nvidia-smi\` not found or failed)"
command -v trtexec >/dev/null && echo "trtexec: $(command -v trtexec)" || echo "trtexec: not on the PATH"

step "ONNX Runtime (GPU build)"
if [ "${QBOUND_GPU_CHECK_ORT:-gpu}" = keep ]; then
  echo "QBOUND_GPU_CHECK_ORT=keep: using .ort/lib as it is"
elif ! QBOUND_ORT_FLAVOR=gpu scripts/setup-ort.sh; then
  echo "could not provision onnxruntime-gpu; going on with whatever is in .ort/lib"
  scripts/setup-ort.sh || { fail "no ONNX Runtime library at all"; exit 1; }
fi
ls .ort/lib
export ORT_DYLIB_PATH="$root/.ort/lib/libonnxruntime.so"

step "build (release)"
cargo build --release -p qbound-server 2>&1 | tail -2 || { fail "cargo build"; exit 1; }
qbound=target/release/qbound

step "inspect"
$qbound inspect "$model" | head -15 || fail "inspect"

step "capabilities"
$qbound capabilities | tee "$out/capabilities.txt" || fail "capability detection"
provider=cpu
for fastest in tensorrt cuda; do
  if grep -q "^$fastest *available" "$out/capabilities.txt"; then provider=$fastest; break; fi
done
echo "best provider: $provider"

step "calibrate, quantize (full and partial INT8), FP16"
$qbound calibrate --model "$model" --images data/images/calib --profile nanodet --method max \
  --batch-size 8 --batch-number 2 --out "$out/calib.json" | tail -3 || fail "calibrate"
$qbound quantize --model "$model" --calib "$out/calib.json" --target tensorrt \
  --export-batch-size 1 --out "$out/int8.onnx" | tail -2 || fail "quantize (full)"
if $qbound sensitivity --model "$model" --calib "$out/calib.json" --images data/images/val \
     --profile nanodet --metric proxy --mode one-on --target tensorrt --batch-size 1 \
     --batch-number 2 --out "$out/sensitivity.txt" | tail -3; then
  $qbound quantize --model "$model" --calib "$out/calib.json" --target tensorrt \
    --sensitivity-file "$out/sensitivity.txt" --keep-float 3 --export-batch-size 1 \
    --out "$out/partial.onnx" | tail -2 || fail "quantize (partial)"
else
  fail "sensitivity"
fi
$qbound convert-fp16 --model "$model" --out "$out/fp16.onnx" || fail "FP16 conversion"

step "throughput on $provider"
models=(--model "$model")
for m in fp16 int8 partial; do
  [ -f "$out/$m.onnx" ] && models+=(--model "$out/$m.onnx")
done
if [ "$provider" = cpu ]; then
  echo "no GPU provider initialised: timing on the CPU at batch 1 only, 3 runs"
  batches=1 runs=3
else
  batches=1,32 runs=20
fi
$qbound bench "${models[@]}" --batch-sizes "$batches" --provider "$provider" --runs "$runs" \
  --warmup 2 --json > "$out/bench.json" && cat "$out/bench.json" || fail "bench"

step "TensorRT engines"
for m in int8 partial fp16; do
  [ -f "$out/$m.onnx" ] || continue
  for bs in 1 32; do
    if ! $qbound engine --model "$out/$m.onnx" --export-batch-size "$bs" --out-dir "$out"; then
      echo "(no engine for $m at batch $bs)"
      command -v trtexec >/dev/null || [ "$provider" = tensorrt ] || break 2
    fi
  done
done

echo
if [ "$failed" = 0 ]; then echo "gpu-check: done, results in $out"; else echo "gpu-check: some steps failed (see above), results in $out"; fi
exit "$failed"
