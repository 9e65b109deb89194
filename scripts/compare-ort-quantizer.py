#!/usr/bin/env python3
"""qbound's full-INT8 `ort-cpu` model next to ONNX Runtime's own quantizer, on any detector.

For one float model and its image folders, in one run:
  1. the exact inputs qbound's profile makes of the calibration images (`qbound preprocess`);
  2. ONNX Runtime's `quantize_static` (QDQ, per-channel int8 weights, uint8 activations,
     MinMax, those inputs), after `quant_pre_process`; an opset < 13 model is converted first;
     once with full-range weights and once with `reduce_range` (seven-bit weights, what
     ONNX Runtime advises on x86 CPUs without VNNI, where qbound uses seven bits too);
  3. qbound's full INT8 `ort-cpu` model with its default calibration (`qbound calibrate`,
     `qbound quantize`), or with `--method`; with `--recover A --recover B ...`, one model per
     list of accuracy-recovery passes (`none`, `cle`, `ranges`, `adaround`, `bias`, or a
     comma-separated list of them: an ablation);
  4. with `--max-drop D ...`: qbound's `--max-drop` model per budget (one-on sensitivity of
     the groups by `--metric`, default recovery), scored on the validation images;
  5. FP32, ORT's model and qbound's timed interleaved at `--batch-sizes` (`qbound bench`),
     and each INT8 model's agreement mAP with the float model on the validation images
     (`qbound eval --reference`), and its label mAP when `--annotations` are given.
Prints images/s, the speed-up over FP32, agreement and label mAP; `--json FILE` writes them.

Needs: the `qbound` binary (cargo build --release -p qbound-server) and a Python with
onnxruntime==1.31.1 and onnx (scripts/setup-python.sh puts both in .tools/pyenv).

Usage: compare-ort-quantizer.py --model M --calib DIR --val DIR [--profile P] [--runs N]
       [--recover PASSES ...] [--annotations COCO.json] [--max-drop D ...] [--metric M]
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


def ort_quantize(model_path, calib, out_dir, reduce_range=False):
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
    out = os.path.join(out_dir, "ort-int8-reduce-range.onnx" if reduce_range else "ort-int8.onnx")
    quantize_static(
        pre,
        out,
        Inputs(input_name, calib),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        reduce_range=reduce_range,
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
    parser.add_argument("--recover", action="append",
                        help="recovery passes of one qbound model (repeat for an ablation; default: qbound's)")
    parser.add_argument("--annotations", help="COCO labels of the validation images: label mAP too")
    parser.add_argument("--max-drop", action="append", default=[], help="also qbound's --max-drop model at this budget")
    parser.add_argument("--metric", default="agreement", help="the --max-drop search's metric")
    parser.add_argument("--batch-sizes", default="1,32")
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
    ort_reduced = ort_quantize(args.model, np.load(npy), work, reduce_range=True)

    method = ["--method", args.method] if args.method else []
    models = {"fp32": args.model, "ort-quantize-static": ort_model, "ort-reduce-range": ort_reduced}
    tables = {}
    for passes in args.recover or [None]:
        label = "qbound-ort-cpu" if passes is None else f"qbound-{passes.replace(',', '+')}"
        recover = [] if passes is None else ["--recover", passes]
        table = os.path.join(work, f"{label}.calib.json")
        qbound(args.qbound, "calibrate", "--model", args.model, "--images", args.calib, *profile, *method,
               *recover, "--out", table)
        tables[label] = table
        models[label] = os.path.join(work, f"{label}.onnx")
        qbound(args.qbound, "quantize", "--model", args.model, "--calib", table, "--target", "ort-cpu",
               "--export-batch-size", "dynamic", "--out", models[label])
    if args.max_drop:
        # The search starts from the default recovery (the last table when the ablation has it).
        table = tables.get("qbound-ranges+bias") or tables.get("qbound-ort-cpu") or list(tables.values())[-1]
        labels = ["--annotations", args.annotations] if args.metric == "map" else []
        sensitivity = os.path.join(work, "sensitivity.txt")
        qbound(args.qbound, "sensitivity", "--model", args.model, "--calib", table, "--images", args.val,
               *profile, *labels, "--metric", args.metric, "--mode", "one-on", "--target", "ort-cpu",
               "--out", sensitivity)
        for drop in args.max_drop:
            label = f"qbound-max-drop-{drop}"
            models[label] = os.path.join(work, f"{label}.onnx")
            qbound(args.qbound, "quantize", "--model", args.model, "--calib", table, "--target", "ort-cpu",
                   "--sensitivity-file", sensitivity, "--max-drop", drop, "--images", args.val, *profile,
                   *labels, "--metric", args.metric, "--export-batch-size", "dynamic", "--out", models[label])

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    bench_args = ["bench", "--batch-sizes", args.batch_sizes, "--runs", args.runs, "--json"]
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
    label_map = {}
    for label, path in models.items():
        if label != "fp32":
            out = json.loads(qbound(args.qbound, "eval", "--model", path, "--reference", args.model,
                                    "--images", args.val, *profile, "--json"))
            agreement[label] = out["ap"]
        if args.annotations:
            out = json.loads(qbound(args.qbound, "eval", "--model", path, "--annotations", args.annotations,
                                    "--images", args.val, *profile, "--json"))
            label_map[label] = out["ap"]

    results = []
    labelled = " and label mAP (x FP32)" if args.annotations else ""
    print(f"{os.path.basename(args.model)}: images/s (x FP32), agreement mAP@0.5:0.95 with FP32{labelled}")
    header = "".join(f"{'bs' + str(b):>16}" for b in batch_sizes)
    print(f"{'model':<26}{header}{'agreement':>11}" + (f"{'label mAP':>18}" if args.annotations else ""))
    for label in models:
        row = {"model": label, "agreement": agreement[label]}
        cells = []
        for batch in batch_sizes:
            ips = throughput[(label, batch)]
            ratio = ips / throughput[("fp32", batch)]
            row[f"bs{batch}_images_per_second"] = ips
            row[f"bs{batch}_speedup"] = ratio
            cells.append(f"{ips:8.1f} ({ratio:4.2f}x)")
        line = f"{label:<26}{''.join(f'{c:>16}' for c in cells)}{agreement[label]:>11.3f}"
        if args.annotations:
            row["label_map"] = label_map[label]
            share = label_map[label] / label_map["fp32"] if label_map["fp32"] else 0.0
            line += f"{label_map[label]:>10.3f} ({share:4.1%})"
        print(line)
        results.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
