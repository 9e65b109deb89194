//! Times COCO loading and bbox evaluation at val2017 scale: 5000 images, 36k ground-truth
//! boxes in 80 categories (with polygon segmentations, as the real file has), and 100
//! detections per image.
//!
//! `cargo run --release -p qbound-engine --example coco_load_bench [-- KEEP_DIR]`
//!
//! The files go to a temporary folder, or to `KEEP_DIR` when given (to check the numbers
//! against pycocotools).

use std::path::Path;
use std::time::{Duration, Instant};

use qbound_engine::coco::{CocoDetections, CocoGroundTruth, Detection, evaluate};
use serde_json::{Value, json};

const IMAGES: u64 = 5000;
const BOXES: u64 = 36_000;
const CATEGORIES: u64 = 80;
const DETECTIONS_PER_IMAGE: u64 = 100;
const RUNS: usize = 5;

/// splitmix64: a small deterministic generator, so every run times the same files.
struct Random(u64);

impl Random {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }

    fn below(&mut self, bound: u64) -> u64 {
        (self.next_unit() * bound as f64) as u64 % bound
    }

    fn box_on_image(&mut self) -> [f64; 4] {
        let width = 2.0 + self.next_unit().powi(2) * 400.0;
        let height = 2.0 + self.next_unit().powi(2) * 300.0;
        [
            self.next_unit() * (640.0 - width),
            self.next_unit() * (480.0 - height),
            width,
            height,
        ]
        .map(two_decimals)
    }
}

fn two_decimals(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn ground_truth_json(random: &mut Random) -> (Value, Vec<(u64, u64, [f64; 4])>) {
    let images: Vec<Value> = (1..=IMAGES)
        .map(|id| json!({"id": id, "file_name": format!("{id:012}.jpg"), "width": 640, "height": 480}))
        .collect();
    let categories: Vec<Value> = (1..=CATEGORIES)
        .map(|id| json!({"id": id, "name": format!("class{id}")}))
        .collect();
    let mut boxes = Vec::new();
    let annotations: Vec<Value> = (1..=BOXES)
        .map(|id| {
            let (image_id, category_id) = (1 + random.below(IMAGES), 1 + random.below(CATEGORIES));
            let bbox = random.box_on_image();
            boxes.push((image_id, category_id, bbox));
            let [x, y, w, h] = bbox;
            let polygon: Vec<f64> = (0..12)
                .flat_map(|corner| {
                    let angle = corner as f64 * std::f64::consts::TAU / 12.0;
                    [
                        two_decimals(x + w / 2.0 * (1.0 + angle.cos())),
                        two_decimals(y + h / 2.0 * (1.0 + angle.sin())),
                    ]
                })
                .collect();
            json!({
                "id": id, "image_id": image_id, "category_id": category_id, "bbox": bbox,
                "area": two_decimals(w * h * 0.8), "iscrowd": u8::from(random.next_unit() < 0.01),
                "segmentation": [polygon],
            })
        })
        .collect();
    (
        json!({"images": images, "annotations": annotations, "categories": categories}),
        boxes,
    )
}

fn detections(random: &mut Random, boxes: &[(u64, u64, [f64; 4])]) -> Vec<Detection> {
    let mut detections = Vec::new();
    for &(image_id, category_id, [x, y, w, h]) in boxes {
        if random.next_unit() >= 0.8 {
            continue;
        }
        let mut jitter = |size: f64| (random.next_unit() - 0.5) * 0.2 * size;
        let bbox = [x + jitter(w), y + jitter(h), w + jitter(w), h + jitter(h)].map(two_decimals);
        detections.push(Detection {
            image_id,
            category_id,
            bbox,
            score: two_decimals(random.next_unit()),
        });
    }
    let mut per_image = vec![0; IMAGES as usize + 1];
    for detection in &detections {
        per_image[detection.image_id as usize] += 1;
    }
    for image_id in 1..=IMAGES {
        for _ in per_image[image_id as usize]..DETECTIONS_PER_IMAGE {
            detections.push(Detection {
                image_id,
                category_id: 1 + random.below(CATEGORIES),
                bbox: random.box_on_image(),
                score: two_decimals(random.next_unit() * 0.5),
            });
        }
    }
    detections
}

fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(work());
        times.push(start.elapsed());
    }
    times.sort();
    (times[runs / 2], last.expect("at least one run"))
}

fn megabytes(path: &Path) -> f64 {
    std::fs::metadata(path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let temporary = tempfile::tempdir()?;
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| temporary.path().to_path_buf(), Into::into);
    let gt_path = dir.join("instances_bench.json");
    let dt_path = dir.join("detections_bench.json");
    let mut random = Random(2017);
    let (ground_truth, boxes) = ground_truth_json(&mut random);
    std::fs::write(&gt_path, serde_json::to_vec(&ground_truth)?)?;
    std::fs::write(
        &dt_path,
        serde_json::to_vec(&detections(&mut random, &boxes))?,
    )?;
    println!(
        "ground truth: {IMAGES} images, {BOXES} boxes, {CATEGORIES} categories, {:.1} MB",
        megabytes(&gt_path)
    );

    let (gt_time, ground_truth) = median_time(RUNS, || CocoGroundTruth::load(&gt_path));
    let ground_truth = ground_truth?;
    let (dt_time, detections) = median_time(RUNS, || CocoDetections::load(&dt_path, &ground_truth));
    let detections = detections?;
    println!(
        "detections: {} ({} per image), {:.1} MB",
        detections.len(),
        DETECTIONS_PER_IMAGE,
        megabytes(&dt_path)
    );
    let (eval_time, summary) = median_time(RUNS, || evaluate(&ground_truth, &detections));
    let summary = summary?;

    println!("{summary}");
    println!("{}", serde_json::to_string(&summary)?);
    println!("median of {RUNS} runs:");
    println!(
        "  load ground truth  {:>8.1} ms",
        gt_time.as_secs_f64() * 1e3
    );
    println!(
        "  load detections    {:>8.1} ms",
        dt_time.as_secs_f64() * 1e3
    );
    println!(
        "  evaluate           {:>8.1} ms",
        eval_time.as_secs_f64() * 1e3
    );
    Ok(())
}
