//! Picking the built-in profile a model needs.

use super::value_info::{describe_outputs, static_input_size};
use super::{BUILTIN_PROFILES, Profile};
use crate::onnx::proto::ModelProto;
use crate::{Error, Result};

/// The built-in profile whose inputs and outputs fit `model`, when that is unambiguous. Where
/// the model fixes its input height and width, the built-ins are sized to them first.
/// Built-ins that would feed and read the model identically (YOLOv5 and YOLOv6) count as one.
pub fn infer_profile(model: &ModelProto) -> Result<Profile> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let input_size = static_input_size(graph);
    let fits: Vec<Profile> = BUILTIN_PROFILES
        .iter()
        .filter_map(|name| Profile::builtin(name))
        .map(|mut profile| {
            if let Some((width, height)) = input_size {
                profile.input.width = width;
                profile.input.height = height;
            }
            profile
        })
        .filter(|profile| profile.check_model(model).is_ok())
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

#[cfg(test)]
mod tests {
    use super::super::value_info::fixtures::{nanodet_like, single_output};
    use super::*;

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
