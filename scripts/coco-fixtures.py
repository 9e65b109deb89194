#!/usr/bin/env python3
"""Writes the COCO bbox parity fixtures for backend/engine/tests/coco_parity.rs.

Each case is a ground-truth file, a results file and the 12 numbers (and the printed
summary) that pycocotools' COCOeval produces for them. The cases are random but seeded, so
running the script again writes the same files.

Needs a Python with pycocotools and numpy:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pycocotools numpy
    /tmp/venv/bin/python scripts/coco-fixtures.py
"""

import contextlib
import io
import json
import os
import random

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "backend", "engine", "tests", "fixtures", "coco")


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))


def rounded(values, digits=2):
    return [round(v, digits) for v in values]


class Case:
    """Builds one ground truth and one results list."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.images = []
        self.categories = []
        self.annotations = []
        self.detections = []

    def image(self, image_id, width=640, height=480):
        self.images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": width, "height": height})

    def truth(self, image_id, category_id, bbox, crowd=False, area=None, **extra):
        bbox = rounded(bbox)
        if area is None:
            area = round(bbox[2] * bbox[3], 2)
        annotation = {
            "id": len(self.annotations) + 1,
            "image_id": image_id,
            "category_id": category_id,
            "bbox": bbox,
            "area": area,
            "iscrowd": int(crowd),
        }
        annotation.update(extra)
        self.annotations.append(annotation)

    def detection(self, image_id, category_id, bbox, score):
        self.detections.append(
            {"image_id": image_id, "category_id": category_id, "bbox": rounded(bbox), "score": score}
        )

    def random_box(self, min_side=4, max_side=250):
        w = self.rng.uniform(min_side, max_side)
        h = self.rng.uniform(min_side, max_side)
        return [self.rng.uniform(0, 640 - w), self.rng.uniform(0, 480 - h), w, h]

    def jittered(self, bbox, amount):
        x, y, w, h = bbox
        return [
            x + self.rng.gauss(0, amount * w),
            y + self.rng.gauss(0, amount * h),
            max(1.0, w * (1 + self.rng.gauss(0, amount))),
            max(1.0, h * (1 + self.rng.gauss(0, amount))),
        ]

    def score(self, digits=2):
        return round(self.rng.random(), digits)


def mixed():
    """Many images and classes, crowds, empty images, border areas, >100 dets on one image."""
    case = Case(1)
    category_ids = [1, 3, 7, 12, 20, 44]  # 20: gt but no detections; 44: detections but no gt
    case.categories = [{"id": c, "name": f"class{c}"} for c in category_ids]
    image_ids = case.rng.sample(range(1, 100000), 80)
    for image_id in image_ids:
        case.image(image_id)
    for index, image_id in enumerate(image_ids):
        kind = index % 10
        if kind == 0:
            continue  # no ground truth and no detections
        if kind == 1:
            for _ in range(3):  # detections only
                case.detection(image_id, case.rng.choice(category_ids), case.random_box(), case.score())
            continue
        for _ in range(case.rng.randint(1, 6)):
            category = case.rng.choice(category_ids[:5])
            box = case.random_box()
            crowd = case.rng.random() < 0.07
            x, y, w, h = rounded(box)
            extra = {"segmentation": [rounded([x, y, x + w, y, x + w, y + h, x, y + h])]}
            if case.rng.random() < 0.1:
                extra["ignore"] = 1  # pycocotools overwrites it with iscrowd
            area = round(w * h * case.rng.uniform(0.6, 1.0), 2)  # like a mask area
            case.truth(image_id, category, box, crowd=crowd, area=area, **extra)
            if category == 20:
                continue
            if case.rng.random() < 0.85:
                case.detection(image_id, category, case.jittered(box, 0.08), case.score())
            if case.rng.random() < 0.3:
                case.detection(image_id, category, case.jittered(box, 0.25), case.score())
        for _ in range(case.rng.randint(0, 3)):
            case.detection(image_id, case.rng.choice(category_ids), case.random_box(), case.score())

    border_image = image_ids[2]
    for side_w, side_h in [(32, 32), (16, 64), (96, 96), (48, 192)]:
        x, y = case.rng.randint(0, 300), case.rng.randint(0, 200)
        case.truth(border_image, 3, [x, y, side_w, side_h])  # area exactly 32² or 96²
        case.detection(border_image, 3, [x, y, side_w, side_h], case.score())
        case.detection(border_image, 3, [x + 1, y + 1, side_w, side_h], case.score())
    case.truth(border_image, 7, [10, 10, 40, 40], area=1024)
    case.truth(border_image, 7, [100, 100, 90, 90], area=9216)
    case.detection(border_image, 7, [11, 11, 40, 40], 0.5)
    case.detection(border_image, 7, [101, 100, 90, 90], 0.5)

    crowded_image = image_ids[3]
    for _ in range(8):
        case.truth(crowded_image, 1, case.random_box())
    for _ in range(150):
        case.detection(crowded_image, 1, case.random_box(), case.score(1))
    return case


def dense():
    """Heavily overlapping objects, 120+ detections per image and class, coarse tied scores."""
    case = Case(2)
    case.categories = [{"id": 1, "name": "person"}, {"id": 2, "name": "car"}]
    for image_id in range(1, 9):
        case.image(image_id)
        for category in (1, 2):
            centre = case.random_box(60, 200)
            objects = [case.jittered(centre, 0.3) for _ in range(case.rng.randint(5, 15))]
            for box in objects:
                case.truth(image_id, category, box, crowd=case.rng.random() < 0.05)
            for _ in range(case.rng.randint(120, 170)):
                box = case.jittered(case.rng.choice(objects), case.rng.choice([0.05, 0.15, 0.4]))
                case.detection(image_id, category, box, round(case.rng.randint(0, 20) * 0.05, 2))
    return case


def integer_grid():
    """IoUs that land exactly on the thresholds (0.50, 0.55, ..., 0.95), and an annotation id 0."""
    case = Case(3)
    case.categories = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    for image_id in range(1, 31):
        case.image(image_id)
        category = 1 + image_id % 2
        for slot in range(4):
            x, y = slot * 50, (image_id % 5) * 40
            side = case.rng.choice([20, 40, 100])
            case.truth(image_id, category, [x, y, side, side])
            # IoU = kept / side for a box cut to `kept` rows: exactly k/20 for k in 10..=20.
            kept = side * case.rng.randint(9, 20) // 20
            if kept > 0:
                case.detection(image_id, category, [x, y, side, kept], round(case.rng.randint(1, 10) / 10, 1))
            if case.rng.random() < 0.4:
                case.detection(image_id, category, [x, y, side, side], round(case.rng.randint(1, 10) / 10, 1))
    # pycocotools counts a detection matched to annotation id 0 as unmatched.
    for index, annotation in enumerate(case.annotations):
        annotation["id"] = 0 if index == 0 else index + 1000
    return case


def crowds():
    """Crowd regions with detections inside them and real objects under them."""
    case = Case(4)
    case.categories = [{"id": 5, "name": "person"}]
    for image_id in range(10, 50):
        case.image(image_id)
        region = case.random_box(100, 300)
        case.truth(image_id, 5, region, crowd=True)
        x, y, w, h = region
        for _ in range(case.rng.randint(0, 4)):
            inner = [x + case.rng.uniform(0, w / 2), y + case.rng.uniform(0, h / 2), w / 3, h / 3]
            case.truth(image_id, 5, inner)
            case.detection(image_id, 5, case.jittered(inner, 0.1), case.score(3))
        for _ in range(case.rng.randint(0, 6)):
            inner = [x + case.rng.uniform(0, w / 2), y + case.rng.uniform(0, h / 2), w / 4, h / 4]
            case.detection(image_id, 5, inner, case.score(3))
        case.detection(image_id, 5, case.random_box(), case.score(3))
    return case


def small_only():
    """Only small objects: the medium and large entries are -1. Some detections are perfect."""
    case = Case(5)
    case.categories = [{"id": 1, "name": "dot"}, {"id": 2, "name": "speck"}, {"id": 3, "name": "unused"}]
    for image_id in range(1, 21):
        case.image(image_id)
        for _ in range(case.rng.randint(0, 5)):
            category = case.rng.choice([1, 2])
            box = case.random_box(2, 30)
            case.truth(image_id, category, box)
            if case.rng.random() < 0.5:
                case.detection(image_id, category, rounded(box), case.score())
            else:
                case.detection(image_id, category, case.jittered(box, 0.2), case.score())
    return case


CASES = {"mixed": mixed, "dense": dense, "integer_grid": integer_grid, "crowds": crowds, "small_only": small_only}


def evaluate(gt_path, dt_path):
    with contextlib.redirect_stdout(io.StringIO()):
        ground_truth = COCO(gt_path)
        detections = ground_truth.loadRes(dt_path)
        evaluation = COCOeval(ground_truth, detections, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        evaluation.summarize()
    return [float(s) for s in evaluation.stats], printed.getvalue().rstrip("\n")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, build in CASES.items():
        case = build()
        gt_path = os.path.join(OUT_DIR, f"{name}_gt.json")
        dt_path = os.path.join(OUT_DIR, f"{name}_dt.json")
        write_json(gt_path, {"images": case.images, "annotations": case.annotations, "categories": case.categories})
        write_json(dt_path, case.detections)
        stats, summary = evaluate(gt_path, dt_path)
        # Stats as repr() strings: the test parses them with Rust's correctly rounded parser,
        # as serde_json's default float parsing can be one ulp off for 17-digit numbers.
        expected = {"stats": [repr(s) for s in stats], "summary": summary}
        write_json(os.path.join(OUT_DIR, f"{name}_expected.json"), expected)
        print(f"{name}: {len(case.annotations)} gt, {len(case.detections)} dt, AP {stats[0]:.4f}, AP50 {stats[1]:.4f}")


if __name__ == "__main__":
    main()
