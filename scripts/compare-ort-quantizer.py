#!/usr/bin/env python3
"""qbound's full-INT8 `ort-cpu` model next to ONNX Runtime's own quantizer, on any detector.

For one float model and its image folders, in one run:
  1. the exact inputs qbound's profile makes of the calibration images (`qbound preprocess`);
  2. ONNX Runtime's `quantize_static` (QDQ, per-channel int8 weights, uint8 activations,
     MinMax, those inputs), after `quant_pre_process`; an opset < 13 model is converted first;
  3. qbound's full INT8 `ort-cpu` model with its default calibration (`qbound calibrate`,
     `qbound quantize`), or with `--method`;
  4. FP32, ORT's model and qbound's timed interleaved at bs1 and bs32 (`qbound bench`), and
     each INT8 model's agreement mAP with the float model on the validation images
     (`qbound eval --reference`).
Prints images/s, the speed-up over FP32, and agreement; `--json FILE` writes them too.

Needs: the `qbound` binary (cargo build --release -p qbound-server) and a Python with
onnxruntime==1.31.1 and onnx (scripts/setup-python.sh puts both in .tools/pyenv).

Usage: compare-ort-quantizer.py --model M --calib DIR --val DIR [--profile P] [--runs N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def qbound(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"qbound {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


class Inputs(CalibrationDataReader):
    def __init__(self, name, batch):
        self.items = iter([{name: batch[i : i + 1]} for i in range(batch.shape[0])])

    def get_next(self):
        return next(self.items, None)


def ort_quantize(model_path, calib, out_dir):
    model = onnx.load(model_path)
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    source = model_path
    if opset < 13:
        source = os.path.join(out_dir, "opset13.onnx")
        onnx.save(onnx.version_converter.convert_version(model, 13), source)
    pre = os.path.join(out_dir, "ort-pre.onnx")
    quant_pre_process(source, pre, skip_symbolic_shape=True)
    initializers = {t.name for t in model.graph.initializer}
    input_name = next(i.name for i in model.graph.input if i.name not in initializers)
    out = os.path.join(out_dir, "ort-int8.onnx")
    quantize_static(
        pre,
        out,
        Inputs(input_name, calib),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--calib", required=True, help="calibration images")
    parser.add_argument("--val", required=True, help="validation images")
    parser.add_argument("--profile", help="qbound profile (default: inferred)")
    parser.add_argument("--method", help="qbound calibration method (default: qbound's default)")
    parser.add_argument("--runs", default="7")
    parser.add_argument("--threads", help="intra-op threads for the benchmark")
    parser.add_argument("--qbound", default=os.path.join(ROOT, "target/release/qbound"))
    parser.add_argument("--keep", help="folder to keep the models in (default: a temporary one)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    profile = ["--profile", args.profile] if args.profile else []
    work = args.keep or tempfile.mkdtemp(prefix="qbound-compare-")
    os.makedirs(work, exist_ok=True)

    npy = os.path.join(work, "calib.npy")
    qbound(args.qbound, "preprocess", "--model", args.model, "--images", args.calib, *profile, "--out", npy)
    ort_model = ort_quantize(args.model, np.load(npy), work)

    table = os.path.join(work, "qbound.calib.json")
    method = ["--method", args.method] if args.method else []
    qbound(args.qbound, "calibrate", "--model", args.model, "--images", args.calib, *profile, *method, "--out", table)
    ours = os.path.join(work, "qbound-int8.onnx")
    qbound(args.qbound, "quantize", "--model", args.model, "--calib", table, "--target", "ort-cpu",
           "--export-batch-size", "dynamic", "--out", ours)

    models = {"fp32": args.model, "ort-quantize-static": ort_model, "qbound-ort-cpu": ours}
    bench_args = ["bench", "--batch-sizes", "1,32", "--runs", args.runs, "--json"]
    if args.threads:
        bench_args += ["--threads", args.threads]
    for path in models.values():
        bench_args += ["--model", path]
    bench = json.loads(qbound(args.qbound, *bench_args))
    throughput = {}
    stems = {os.path.splitext(os.path.basename(v))[0]: k for k, v in models.items()}
    for row in bench:
        throughput[(stems[row["label"]], row["batch_size"])] = row["images_per_second"]

    agreement = {"fp32": 1.0}
    for label in ("ort-quantize-static", "qbound-ort-cpu"):
        out = json.loads(qbound(args.qbound, "eval", "--model", models[label], "--reference", args.model,
                                "--images", args.val, *profile, "--json"))
        agreement[label] = out["ap"]

    results = []
    print(f"{os.path.basename(args.model)}: images/s (x FP32), agreement mAP@0.5:0.95 with FP32")
    print(f"{'model':<22}{'bs1':>16}{'bs32':>16}{'agreement':>11}")
    for label in models:
        row = {"model": label, "agreement": agreement[label]}
        cells = []
        for batch in (1, 32):
            ips = throughput[(label, batch)]
            ratio = ips / throughput[("fp32", batch)]
            row[f"bs{batch}_images_per_second"] = ips
            row[f"bs{batch}_speedup"] = ratio
            cells.append(f"{ips:8.1f} ({ratio:4.2f}x)")
        print(f"{label:<22}{cells[0]:>16}{cells[1]:>16}{agreement[label]:>11.3f}")
        results.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
