//! The fixture families beyond the demo (data/README.md): their profiles are inferred from the
//! models alone, and the float models' decoded detections make sense.

#![allow(clippy::unwrap_used)]

mod common;

use common::fixture;
use qbound_engine::coco::CocoGroundTruth;
use qbound_engine::detect::box_iou;
use qbound_engine::evaluate::{DetectionScorer, EvalImages, detect_images};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::{ChannelOrder, OutputLayout, Profile, ResizeMode, infer_profile};
use qbound_engine::runtime::SessionConfig;

#[test]
fn the_yolov8n_export_is_read_as_yolov8_with_its_own_size_and_classes() {
    let model = load_model(&fixture("data/models/yolov8n-320.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    assert_eq!(profile.name, "yolov8");
    assert_eq!((profile.input.width, profile.input.height), (320, 320));
    assert!(matches!(profile.input.resize, ResizeMode::Letterbox { .. }));
    assert_eq!(profile.classes.len(), 18);
    assert_eq!(profile.classes[1], "FACE_FEMALE");
    assert_eq!(profile.classes[17], "BUTTOCKS_COVERED");
    assert_eq!(Profile::for_model(Some("yolov8"), &model).unwrap(), profile);
    for other in ["yolox", "nanodet", "picodet"] {
        assert!(
            Profile::for_model(Some(other), &model).is_err(),
            "`{other}` should not fit the YOLOv8n"
        );
    }
}

#[test]
fn the_yolov8n_finds_the_astronauts_face() {
    let model = load_model(&fixture("data/models/yolov8n-320.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    let files = vec![fixture("data/images/val/sk_astronaut.jpg")];
    let images = EvalImages::load(&profile, &files, 1).unwrap();
    let detections = detect_images(
        &model,
        &profile,
        &images,
        profile.thresholds.display_score,
        &SessionConfig::default(),
    )
    .unwrap();
    // Eileen Collins' face, in the upper middle of the 512 x 512 portrait (checked by eye).
    let top = detections[0][0];
    assert_eq!(
        profile.classes[top.class], "FACE_FEMALE",
        "{:?}",
        detections[0]
    );
    assert!(top.score > 0.6, "{top:?}");
    assert!(
        box_iou(&top.bbox, &[175.0, 82.0, 274.0, 180.0]) > 0.8,
        "{top:?}"
    );
}

#[test]
fn the_picodet_is_read_as_picodet_with_four_levels_and_its_layout_classes() {
    let model = load_model(&fixture("data/models/picodet-layout-cdla.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    assert_eq!(profile.name, "picodet");
    assert_eq!((profile.input.width, profile.input.height), (608, 800));
    assert_eq!(profile.input.resize, ResizeMode::Stretch);
    assert_eq!(profile.input.channel_order, ChannelOrder::Bgr);
    let OutputLayout::Gfl { levels } = &profile.output else {
        panic!("{:?}", profile.output)
    };
    let strides: Vec<u32> = levels.iter().map(|l| l.stride).collect();
    assert_eq!(strides, [8, 16, 32, 64]);
    assert_eq!(
        profile.classes,
        [
            "text",
            "title",
            "figure",
            "figure_caption",
            "table",
            "table_caption",
            "header",
            "footer",
            "reference",
            "equation"
        ]
    );
    assert_eq!(
        Profile::for_model(Some("picodet"), &model).unwrap(),
        profile
    );
    assert!(Profile::for_model(Some("nanodet"), &model).is_err());
}

#[test]
fn the_picodet_finds_the_blocks_the_page_renderer_drew() {
    let model = load_model(&fixture("data/models/picodet-layout-cdla.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    let files = list_images(&fixture("data/pages/val")).unwrap();
    let ground_truth = CocoGroundTruth::load(fixture("data/pages/val/annotations.json")).unwrap();
    let images = EvalImages::load(&profile, &files, 8).unwrap();
    let scorer =
        DetectionScorer::labelled(profile, images, ground_truth, SessionConfig::default()).unwrap();
    let summary = scorer.summary(&model).unwrap();
    eprintln!(
        "float PicoDet on the rendered pages: mAP {:.3}, mAP@0.5 {:.3}",
        summary.map(),
        summary.map50()
    );
    assert!(summary.map50() > 0.75, "{summary}");
    assert!(summary.map() > 0.5, "{summary}");
}
