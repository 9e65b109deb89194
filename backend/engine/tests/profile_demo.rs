//! Profiles on the real demo detector: inferring its profile and feeding it real photos.

use std::path::{Path, PathBuf};

use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::{Profile, infer_profile};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

#[test]
fn the_demo_model_is_recognised_as_nanodet() {
    let model = load_model(&data_dir().join("nanodet-coco-416.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    assert_eq!(profile.name, "nanodet");
    assert_eq!(profile, Profile::builtin("nanodet").unwrap());
    Profile::builtin("nanodet")
        .unwrap()
        .check_model(&model)
        .unwrap();
    let err = Profile::builtin("yolov8")
        .unwrap()
        .check_model(&model)
        .unwrap_err();
    assert!(err.to_string().contains("input_1:0"), "{err}");
}

#[test]
fn two_validation_photos_load_as_one_normalised_batch() {
    let profile = Profile::builtin("nanodet").unwrap();
    let paths: Vec<PathBuf> = list_images(&data_dir().join("images/val"))
        .unwrap()
        .into_iter()
        .take(2)
        .collect();
    let (batch, transforms) = profile.load_batch(&paths).unwrap();
    assert_eq!(batch.shape(), [2, 3, 416, 416]);
    assert_eq!(transforms.len(), 2);
    // (0 - 123.675) / 58.395 and (255 - 103.53) / 57.375 bound BGR mean/std values.
    let (min, max) = batch
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert!(min >= -2.12 && max <= 2.65, "values in [{min}, {max}]");
    assert!(
        max - min > 1.0,
        "a real photo spans a range of values, got [{min}, {max}]"
    );
    let mean = batch.mean().unwrap();
    assert!(mean.abs() < 1.5, "mean {mean}");
    for (path, transform) in paths.iter().zip(&transforms) {
        let image = qbound_engine::images::load_image(path).unwrap();
        assert_eq!(
            (transform.original_width, transform.original_height),
            image.dimensions()
        );
        let whole = transform.to_original([0.0, 0.0, 416.0, 416.0]);
        assert_eq!(
            whole,
            [0.0, 0.0, image.width() as f32, image.height() as f32]
        );
    }
}

#[test]
fn the_demo_model_finds_the_people_and_the_ball_in_real_photos() {
    use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

    let model = std::fs::read(data_dir().join("nanodet-coco-416.onnx")).unwrap();
    let mut session = session_from_bytes(&model, &SessionConfig::default()).unwrap();
    let profile = Profile::builtin("nanodet").unwrap();
    let input = profile.input.name.as_deref().unwrap();
    let paths = [
        data_dir().join("images/val/vtest_0012.jpg"),
        data_dir().join("images/val/ocv_messi5.jpg"),
    ];
    let mut per_image = Vec::new();
    for path in &paths {
        let (batch, transforms) = profile.load_batch(std::slice::from_ref(path)).unwrap();
        let outputs = run_f32(&mut session, input, batch.view().into_dyn(), &[]).unwrap();
        let detections = profile
            .decode(
                &outputs,
                0,
                &transforms[0],
                profile.thresholds.display_score,
            )
            .unwrap();
        let (width, height) = (
            transforms[0].original_width as f32,
            transforms[0].original_height as f32,
        );
        for d in &detections {
            let [x1, y1, x2, y2] = d.bbox;
            assert!(
                0.0 <= x1 && x1 < x2 && x2 <= width && 0.0 <= y1 && y1 < y2 && y2 <= height,
                "{d:?}"
            );
            assert!(d.score >= profile.thresholds.display_score);
        }
        per_image.push(detections);
    }
    let person = profile.classes.iter().position(|c| c == "person").unwrap();
    let ball = profile
        .classes
        .iter()
        .position(|c| c == "sports ball")
        .unwrap();

    // Four pedestrians walk through the street scene (checked by eye on a drawing of the boxes).
    let people = per_image[0]
        .iter()
        .filter(|d| d.class == person && d.score >= 0.5)
        .count();
    assert!(people >= 3, "{:?}", per_image[0]);

    // The footballer dominates the photo; the ball lies at his feet, low in the middle.
    let top = per_image[1][0];
    assert_eq!(top.class, person, "{:?}", per_image[1]);
    assert!(
        top.score > 0.7 && (top.bbox[2] - top.bbox[0]) > 300.0,
        "{top:?}"
    );
    let ball_at_feet = per_image[1].iter().any(|d| {
        let (cx, cy) = ((d.bbox[0] + d.bbox[2]) / 2.0, (d.bbox[1] + d.bbox[3]) / 2.0);
        d.class == ball && (330.0..400.0).contains(&cx) && (280.0..340.0).contains(&cy)
    });
    assert!(ball_at_feet, "{:?}", per_image[1]);
}
