#!/usr/bin/env python3
"""Full-INT8 accuracy of qbound's models against ONNX Runtime's own quantizer.

Quantizes the demo NanoDet with `onnxruntime.quantization.quantize_static` (QDQ, per-channel,
the same calibration photos, MinMax and Entropy), and compares it with qbound's full-INT8
files by agreement with the float model over the validation photos: the mean cosine of the
class scores and of the box distributions, per image.

Needs: pip install onnxruntime==1.31.1 numpy pillow
Usage: scripts/compare-ort-quantizer.py QBOUND_INT8.onnx [MORE.onnx ...]
"""
import glob
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "data/nanodet-coco-416.onnx")
MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)


def load(path):
    # The nanodet profile: plain bilinear resize to 416x416, BGR, (x - mean) / std.
    rgb = np.asarray(Image.open(path).convert("RGB").resize((416, 416), Image.BILINEAR), dtype=np.float32)
    return ((rgb[:, :, ::-1] - MEAN) / STD).transpose(2, 0, 1)[None].copy()


class Photos(CalibrationDataReader):
    def __init__(self, folder):
        self.files = iter(sorted(glob.glob(os.path.join(folder, "*.jpg"))))

    def get_next(self):
        path = next(self.files, None)
        return None if path is None else {"input_1:0": load(path)}


def outputs(path, images):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return [dict(zip(names, session.run(None, {"input_1:0": x}))) for x in images]


def cosine(a, b):
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def agreement(reference, candidate):
    scores, boxes = [], []
    for ref, out in zip(reference, candidate):
        for name, value in ref.items():
            (scores if value.shape[-1] == 80 else boxes).append(cosine(value, out[name]))
    return np.mean(scores), np.mean(boxes)


def main():
    val = [load(p) for p in sorted(glob.glob(os.path.join(ROOT, "data/images/val/*.jpg")))]
    reference = outputs(MODEL, val)
    candidates = [(os.path.basename(p), p) for p in sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        for method in (CalibrationMethod.MinMax, CalibrationMethod.Entropy):
            out = os.path.join(tmp, f"ort_{method.name}.onnx")
            quantize_static(MODEL, out, Photos(os.path.join(ROOT, "data/images/calib")), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True,
                            calibrate_method=method)
            candidates.append((f"onnxruntime quantize_static QDQ s8s8 per-channel {method.name}", out))
        print(f"{'model':<58} {'class-score cosine':>19} {'box cosine':>11}")
        for label, path in candidates:
            s, b = agreement(reference, outputs(path, val))
            print(f"{label:<58} {s:>19.4f} {b:>11.4f}")


if __name__ == "__main__":
    main()
