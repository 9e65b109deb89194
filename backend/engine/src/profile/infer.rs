//! Picking the built-in profile a model needs.

use super::head::{HeadOutput, head_output};
use super::layout::grid_cells;
use super::value_info::{describe_outputs, dims, find_value};
use super::{BUILTIN_PROFILES, OutputLayout, Profile};
use crate::onnx::proto::{GraphProto, ModelProto};
use crate::{Error, Result};

/// The built-in profile that fits `model`, when that is unambiguous. Each built-in is first
/// fitted to the model ([`Profile::fit_to_model`]: input size, GFL levels, class count and
/// names), then checked against it ([`Profile::check_model`]), and kept where the rest of the
/// graph agrees with its layout: boxes decoded in the graph for the decoded layouts, raw head
/// outputs for the YOLOX grid, and a static box count that the input's grids at strides 8-32
/// (or 8-64) can produce, once or three times (anchors).
/// Built-ins that would feed and read the model identically (YOLOv5 and YOLOv6) count as one,
/// and a built-in that names the model's outputs itself (the demo NanoDet) is preferred to one
/// that found them.
pub fn infer_profile(model: &ModelProto) -> Result<Profile> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let candidates: Vec<(Profile, bool)> = BUILTIN_PROFILES
        .iter()
        .filter_map(|name| Profile::builtin(name))
        .filter_map(|builtin| {
            let names = builtin.output.output_names();
            let names_outputs = !names.is_empty() && names.iter().all(Option::is_some);
            let fitted = builtin.fit_to_model(model).ok()?;
            (fitted.check_model(model).is_ok() && graph_agrees(&fitted, graph))
                .then_some((fitted, names_outputs))
        })
        .collect();
    let naming = candidates.iter().filter(|(_, names)| *names).count();
    let fits: Vec<Profile> = candidates
        .into_iter()
        .filter(|(_, names)| naming != 1 || *names)
        .map(|(profile, _)| profile)
        .collect();
    let builtins = BUILTIN_PROFILES.map(|n| format!("`{n}`")).join(", ");
    match fits.as_slice() {
        [] => Err(Error::InvalidInput(format!(
            "no built-in profile fits the model (outputs: {}); pass `--profile` with a TOML file describing it, or one of {builtins}",
            describe_outputs(graph)
        ))),
        [first, rest @ ..] if rest.iter().all(|other| feeds_and_reads_alike(first, other)) => {
            Ok(first.clone())
        }
        _ => Err(Error::InvalidInput(format!(
            "the model fits several built-in profiles ({}); pass `--profile` to say which",
            fits.iter()
                .map(|p| format!("`{}`", p.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn feeds_and_reads_alike(a: &Profile, b: &Profile) -> bool {
    a.input == b.input && a.output == b.output && a.classes == b.classes
}

/// Whether the graph around the output agrees with the fitted profile's layout, where it
/// says anything.
fn graph_agrees(profile: &Profile, graph: &GraphProto) -> bool {
    let outputs: Vec<_> = graph.output.iter().collect();
    let (output, box_axis, decoded) = match &profile.output {
        OutputLayout::BoxesWithObjectness { output } | OutputLayout::Boxes { output } => {
            (output, 1, true)
        }
        OutputLayout::BoxesChannelsFirst { output } => (output, 2, true),
        OutputLayout::YoloxGrid { output, .. } => (output, 1, false),
        OutputLayout::Gfl { .. } => return true,
    };
    let Ok(value) = find_value(&outputs, output.as_deref(), "output") else {
        return false;
    };
    let expected = if decoded {
        HeadOutput::Decoded
    } else {
        HeadOutput::Raw
    };
    if head_output(graph, value.name.as_deref().unwrap_or_default())
        .is_some_and(|found| found != expected)
    {
        return false;
    }
    let (width, height) = (profile.input.width, profile.input.height);
    match dims(value).and_then(|d| d.get(box_axis).copied().flatten()) {
        Some(boxes) => [&[8, 16, 32][..], &[8, 16, 32, 64][..]]
            .iter()
            .map(|strides| grid_cells(width, height, strides) as i64)
            .any(|cells| boxes == cells || boxes == 3 * cells),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::head::tests::node;
    use super::super::value_info::fixtures::{
        nanodet_like, picodet_like, single_output, with_metadata,
    };
    use super::*;

    /// A single-output model whose output `output0` is produced by `nodes`.
    fn with_head(
        side: i64,
        output_shape: &[i64],
        nodes: Vec<crate::onnx::proto::NodeProto>,
    ) -> ModelProto {
        let mut model = single_output(side, output_shape);
        if let Some(graph) = model.graph.as_mut() {
            graph.node = nodes;
        }
        model
    }

    /// YOLOX exported without decoding: per level the box, objectness and class convs
    /// concatenated (sigmoids on the scores), flattened, the levels concatenated, transposed.
    fn raw_yolox_head() -> Vec<crate::onnx::proto::NodeProto> {
        vec![
            node("Conv", &["images", "w"], "features"),
            node("Conv", &["features", "w_reg"], "reg"),
            node("Conv", &["features", "w_obj"], "obj_logit"),
            node("Sigmoid", &["obj_logit"], "obj"),
            node("Conv", &["features", "w_cls"], "cls_logit"),
            node("Sigmoid", &["cls_logit"], "cls"),
            node("Concat", &["reg", "obj", "cls"], "level"),
            node("Reshape", &["level", "shape"], "flat"),
            node("Concat", &["flat"], "levels"),
            node("Transpose", &["levels"], "output0"),
        ]
    }

    /// A YOLOv6-style decoded head: DFL softmax, distances to boxes around anchor points,
    /// times the strides, concatenated with the scores.
    fn decoded_head() -> Vec<crate::onnx::proto::NodeProto> {
        vec![
            node("Conv", &["images", "w"], "reg"),
            node("Softmax", &["reg"], "dfl"),
            node("Conv", &["dfl", "proj"], "distances"),
            node("Sub", &["anchors", "distances"], "corners"),
            node("Mul", &["corners", "strides"], "boxes"),
            node("Conv", &["images", "w_cls"], "cls_logit"),
            node("Sigmoid", &["cls_logit"], "cls"),
            node("Concat", &["boxes", "ones", "cls"], "output0"),
        ]
    }

    #[test]
    fn a_raw_yolox_head_at_416_is_yolox() {
        let model = with_head(416, &[1, 3549, 85], raw_yolox_head());
        let profile = infer_profile(&model).unwrap();
        assert_eq!(profile.name, "yolox");
        assert_eq!((profile.input.width, profile.input.height), (416, 416));
        assert_eq!(profile.classes.len(), 80);
        assert_eq!(profile.classes[0], "person");
        let OutputLayout::YoloxGrid { strides, .. } = &profile.output else {
            panic!("{:?}", profile.output)
        };
        assert_eq!(strides, &[8, 16, 32]);
    }

    #[test]
    fn the_same_shape_decoded_in_the_graph_is_yolov6() {
        let model = with_head(416, &[1, 3549, 85], decoded_head());
        assert_eq!(infer_profile(&model).unwrap().name, "yolov6");
        // Without nodes the graph cannot tell the two apart.
        let err = infer_profile(&single_output(416, &[1, 3549, 85]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`yolox`") && err.contains("`yolov6`"), "{err}");
    }

    #[test]
    fn an_ultralytics_export_with_dynamic_shapes_is_yolov8_sized_by_its_metadata() {
        let model = with_metadata(
            with_head(-1, &[-1, 22, -1], decoded_head()),
            &[
                ("imgsz", "[320, 320]"),
                (
                    "names",
                    "{0: 'a', 1: 'b', 2: 'c', 3: 'd', 4: 'e', 5: 'f', 6: 'g', 7: 'h', 8: 'i', 9: 'j', 10: 'k', 11: 'l', 12: 'm', 13: 'n', 14: 'o', 15: 'p', 16: 'q', 17: 'r'}",
                ),
            ],
        );
        let profile = infer_profile(&model).unwrap();
        assert_eq!(profile.name, "yolov8");
        assert_eq!((profile.input.width, profile.input.height), (320, 320));
        assert_eq!(profile.classes.len(), 18);
        assert_eq!(profile.classes[17], "r");
    }

    #[test]
    fn separate_gfl_maps_are_picodet_and_the_demo_stays_nanodet() {
        let profile = infer_profile(&picodet_like()).unwrap();
        assert_eq!(profile.name, "picodet");
        assert_eq!(profile.classes.len(), 10);
        assert_eq!(profile.output.output_names().len(), 8);
        assert_eq!(
            infer_profile(&nanodet_like()).unwrap(),
            Profile::builtin("nanodet").unwrap()
        );
    }

    #[test]
    fn infers_each_layout_from_its_outputs() {
        assert_eq!(infer_profile(&nanodet_like()).unwrap().name, "nanodet");
        assert_eq!(
            infer_profile(&single_output(640, &[1, 84, 8400]))
                .unwrap()
                .name,
            "yolov8"
        );
        let small = infer_profile(&single_output(320, &[1, 84, 2100])).unwrap();
        assert_eq!(
            (small.name.as_str(), small.input.width, small.input.height),
            ("yolov8", 320, 320)
        );
        // YOLOv5 and YOLOv6 feed and read alike, and 25200 boxes are no YOLOX grid.
        assert_eq!(
            infer_profile(&single_output(640, &[1, 25200, 85]))
                .unwrap()
                .name,
            "yolov6"
        );
    }

    #[test]
    fn ambiguous_or_unknown_outputs_ask_for_a_profile() {
        let err = infer_profile(&single_output(640, &[1, 8400, 85]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`yolov6`") && err.contains("`yolox`") && err.contains("--profile"),
            "{err}"
        );
        let err = infer_profile(&single_output(640, &[1, 100, 6]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--profile") && err.contains("[1, 100, 6]"),
            "{err}"
        );
    }
}
