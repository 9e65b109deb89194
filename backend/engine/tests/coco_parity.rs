//! COCO bbox evaluation agrees with pycocotools on the fixtures `scripts/coco-fixtures.py`
//! writes (ground truth, detections, and the stats and summary pycocotools printed).

use std::path::PathBuf;

use qbound_engine::coco::{
    CocoAnnotation, CocoCategory, CocoDetections, CocoGroundTruth, CocoImage, CocoSummary,
    Detection, evaluate,
};

const CASES: [&str; 5] = ["mixed", "dense", "integer_grid", "crowds", "small_only"];
const TOLERANCE: f64 = 1e-12;

/// What pycocotools produced. The stats are `repr()` strings, parsed here with Rust's
/// correctly rounded parser (serde_json's default one can be an ulp off at 17 digits).
#[derive(serde::Deserialize)]
struct Expected {
    stats: [String; 12],
    summary: String,
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coco")
        .join(name)
}

fn evaluate_case(case: &str) -> (CocoSummary, Expected) {
    let ground_truth = CocoGroundTruth::load(fixture(&format!("{case}_gt.json")))
        .expect("fixture ground truth loads");
    let detections = CocoDetections::load(fixture(&format!("{case}_dt.json")), &ground_truth)
        .expect("fixture detections load");
    let summary = evaluate(&ground_truth, &detections).expect("fixture evaluates");
    let expected_json = std::fs::read(fixture(&format!("{case}_expected.json")))
        .expect("fixture expectations exist");
    let expected = serde_json::from_slice(&expected_json).expect("fixture expectations parse");
    (summary, expected)
}

#[test]
fn all_twelve_stats_match_pycocotools_on_every_case() {
    let mut mismatches = Vec::new();
    for case in CASES {
        let (summary, expected) = evaluate_case(case);
        for (index, (got, want)) in summary.stats.iter().zip(&expected.stats).enumerate() {
            let want: f64 = want.parse().unwrap();
            if (got - want).abs() > TOLERANCE {
                mismatches.push(format!(
                    "{case} stats[{index}]: got {got}, pycocotools {want}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn printed_summary_matches_pycocotools_line_for_line() {
    for case in CASES {
        let (summary, expected) = evaluate_case(case);
        assert_eq!(summary.to_string(), expected.summary, "case {case}");
    }
}

#[test]
fn in_memory_ground_truth_and_detections_give_the_same_stats_as_files() {
    let ground_truth = CocoGroundTruth::load(fixture("mixed_gt.json")).unwrap();
    let from_files = CocoDetections::load(fixture("mixed_dt.json"), &ground_truth).unwrap();
    let rebuilt = CocoGroundTruth::from_parts(
        ground_truth.images().to_vec(),
        ground_truth.categories().to_vec(),
        ground_truth.annotations().to_vec(),
    )
    .unwrap();
    let in_memory = CocoDetections::new(from_files.detections().to_vec(), &rebuilt).unwrap();
    assert_eq!(
        evaluate(&rebuilt, &in_memory).unwrap(),
        evaluate(&ground_truth, &from_files).unwrap()
    );
}

#[test]
fn detections_equal_to_the_ground_truth_score_one() {
    let images = vec![CocoImage {
        id: 1,
        file_name: None,
        width: None,
        height: None,
    }];
    let categories = vec![CocoCategory {
        id: 1,
        name: "thing".to_owned(),
    }];
    let boxes = [
        [0.0, 0.0, 20.0, 20.0],
        [50.0, 50.0, 60.0, 60.0],
        [0.0, 200.0, 150.0, 100.0],
    ];
    let annotations: Vec<CocoAnnotation> = boxes
        .iter()
        .enumerate()
        .map(|(index, &bbox)| CocoAnnotation {
            id: index as u64 + 1,
            image_id: 1,
            category_id: 1,
            bbox,
            area: bbox[2] * bbox[3],
            iscrowd: false,
        })
        .collect();
    let ground_truth = CocoGroundTruth::from_parts(images, categories, annotations).unwrap();
    let detections: Vec<Detection> = boxes
        .iter()
        .map(|&bbox| Detection {
            image_id: 1,
            category_id: 1,
            bbox,
            score: 0.9,
        })
        .collect();
    let summary = evaluate(
        &ground_truth,
        &CocoDetections::new(detections, &ground_truth).unwrap(),
    )
    .unwrap();
    assert_eq!(summary.map(), 1.0);
    assert_eq!(summary.map50(), 1.0);
    // One object per area range; AR@1 finds one of the three.
    assert!(
        (summary.stats[6] - 1.0 / 3.0).abs() < 1e-12,
        "{}",
        summary.stats[6]
    );
}

#[test]
fn malformed_ground_truth_is_an_error_naming_file_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken_gt.json");
    std::fs::write(
        &path,
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
            "annotations": [{"id": 9, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1}]}"#,
    )
    .unwrap();
    let message = CocoGroundTruth::load(&path).unwrap_err().to_string();
    assert!(message.contains("broken_gt.json"), "{message}");
    assert!(
        message.contains("annotation 9 refers to image 2, which is not in `images`"),
        "{message}"
    );

    std::fs::write(
        &path,
        r#"{"images": [], "categories": [], "annotations": [{"id": 1}]}"#,
    )
    .unwrap();
    let message = CocoGroundTruth::load(&path).unwrap_err().to_string();
    assert!(
        message.contains("broken_gt.json") && message.contains("missing field"),
        "{message}"
    );

    std::fs::write(&path, "[1, 2, 3]").unwrap();
    assert!(
        CocoGroundTruth::load(&path)
            .unwrap_err()
            .to_string()
            .contains("broken_gt.json")
    );
}

#[test]
fn detections_on_images_outside_the_ground_truth_are_an_error() {
    let ground_truth = CocoGroundTruth::load(fixture("small_only_gt.json")).unwrap();
    let stray = Detection {
        image_id: 424_242,
        category_id: 1,
        bbox: [0.0, 0.0, 5.0, 5.0],
        score: 0.3,
    };
    let message = CocoDetections::new(vec![stray], &ground_truth)
        .unwrap_err()
        .to_string();
    assert!(message.contains("image 424242"), "{message}");
}
