//! The profiles qbound knows by name.

use super::coco_classes::coco_class_names;
use super::{
    ChannelOrder, GflLevel, InputSpec, LetterboxAnchor, Normalization, OutputLayout, Profile,
    ResizeMode, Thresholds,
};

/// The names of the built-in profiles, in the order [`super::infer_profile`] prefers them.
pub const BUILTIN_PROFILES: [&str; 6] =
    ["nanodet", "picodet", "yolov6", "yolov5", "yolov8", "yolox"];

/// The built-in profile called `name`.
pub(super) fn builtin_profile(name: &str) -> Option<Profile> {
    match name {
        "nanodet" => Some(nanodet()),
        "picodet" => Some(picodet()),
        "yolov6" => Some(yolo_with_objectness("yolov6", 0.65)),
        "yolov5" => Some(yolo_with_objectness("yolov5", 0.6)),
        "yolov8" => Some(yolov8()),
        "yolox" => Some(yolox()),
        _ => None,
    }
}

/// The demo model `data/nanodet-coco-416.onnx`, as data/README.md describes it.
fn nanodet() -> Profile {
    let level = |stride: u32, scores: &str, distributions: &str| GflLevel {
        stride,
        scores: scores.to_owned(),
        distributions: distributions.to_owned(),
    };
    Profile {
        name: "nanodet".to_owned(),
        input: InputSpec {
            name: Some("input_1:0".to_owned()),
            width: 416,
            height: 416,
            resize: ResizeMode::Stretch,
            channel_order: ChannelOrder::Bgr,
            normalization: Normalization::MeanStd {
                mean: [103.53, 116.28, 123.675],
                std: [57.375, 57.12, 58.395],
            },
        },
        output: OutputLayout::Gfl {
            levels: vec![
                level(8, "Identity:0", "Identity_3:0"),
                level(16, "Identity_1:0", "Identity_4:0"),
                level(32, "Identity_2:0", "Identity_5:0"),
            ],
        },
        classes: coco_class_names(),
        thresholds: Thresholds {
            nms_iou: 0.6,
            ..Thresholds::default()
        },
    }
}

/// PaddleDetection's PicoDet exports with separate per-level outputs, fed as RapidAI's
/// rapid-layout feeds its layout models (`rapid_layout/model_handler/pp`): a plain resize to the
/// input size, BGR, `(v / 255 - mean) / std` with ImageNet's mean and deviation listed in RGB
/// order but applied to the B, G, R planes. The GFL levels (a `[B, N, C]` score map after
/// sigmoid and a `[B, N, 4 x bins]` distribution map per stride) are found from the model's
/// outputs; boxes map back by the resize scale; class-wise NMS at IoU 0.5, shown from 0.5.
fn picodet() -> Profile {
    Profile {
        name: "picodet".to_owned(),
        input: InputSpec {
            name: None,
            width: 608,
            height: 800,
            resize: ResizeMode::Stretch,
            channel_order: ChannelOrder::Bgr,
            normalization: Normalization::MeanStd {
                mean: [123.675, 116.28, 103.53],
                std: [58.395, 57.12, 57.375],
            },
        },
        output: OutputLayout::Gfl { levels: Vec::new() },
        classes: coco_class_names(),
        thresholds: Thresholds {
            display_score: 0.5,
            nms_iou: 0.5,
            ..Thresholds::default()
        },
    }
}

/// RGB scaled to 0-1, letterboxed into 640 x 640 with 114 grey, centred.
fn yolo_input() -> InputSpec {
    InputSpec {
        name: None,
        width: 640,
        height: 640,
        resize: ResizeMode::Letterbox {
            pad: 114,
            anchor: LetterboxAnchor::Center,
        },
        channel_order: ChannelOrder::Rgb,
        normalization: Normalization::Scale {
            factor: 1.0 / 255.0,
        },
    }
}

/// YOLOv5/v6 exports with decoded `[N, 5 + C]` boxes in a single output.
fn yolo_with_objectness(name: &str, nms_iou: f32) -> Profile {
    Profile {
        name: name.to_owned(),
        input: yolo_input(),
        output: OutputLayout::BoxesWithObjectness { output: None },
        classes: coco_class_names(),
        thresholds: Thresholds {
            nms_iou,
            ..Thresholds::default()
        },
    }
}

/// Ultralytics YOLOv8 exports: one `[4 + C, N]` output, no objectness.
fn yolov8() -> Profile {
    Profile {
        name: "yolov8".to_owned(),
        input: yolo_input(),
        output: OutputLayout::BoxesChannelsFirst { output: None },
        classes: coco_class_names(),
        thresholds: Thresholds {
            nms_iou: 0.7,
            ..Thresholds::default()
        },
    }
}

/// The official YOLOX ONNX export as its ONNX demo feeds it: BGR 0-255, padded with 114 from
/// the top-left corner, raw grid outputs at strides 8, 16 and 32.
fn yolox() -> Profile {
    Profile {
        name: "yolox".to_owned(),
        input: InputSpec {
            channel_order: ChannelOrder::Bgr,
            normalization: Normalization::None,
            resize: ResizeMode::Letterbox {
                pad: 114,
                anchor: LetterboxAnchor::TopLeft,
            },
            ..yolo_input()
        },
        output: OutputLayout::YoloxGrid {
            output: None,
            strides: vec![8, 16, 32],
        },
        classes: coco_class_names(),
        thresholds: Thresholds {
            nms_iou: 0.65,
            ..Thresholds::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_builtin_exists_is_valid_and_carries_its_name() {
        for name in BUILTIN_PROFILES {
            let profile = builtin_profile(name).unwrap();
            assert_eq!(profile.name, name);
            profile.validate().unwrap();
        }
        assert!(builtin_profile("yolov9").is_none());
    }

    #[test]
    fn nanodet_matches_the_demo_model_description() {
        let profile = builtin_profile("nanodet").unwrap();
        assert_eq!(profile.input.channel_order, ChannelOrder::Bgr);
        assert_eq!(profile.input.resize, ResizeMode::Stretch);
        assert_eq!((profile.input.width, profile.input.height), (416, 416));
        assert_eq!(profile.output.output_names().len(), 6);
        assert_eq!(profile.classes.len(), 80);
    }
}
