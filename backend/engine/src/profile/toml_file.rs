//! Profiles written as TOML files.

use std::path::Path;

use super::Profile;
use crate::{Error, Result};

impl Profile {
    /// Reads a TOML profile. Unknown keys, missing fields and values out of range are errors
    /// naming the file and the key; a profile without a `name` is named after the file.
    pub fn from_toml_file(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let default_name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_toml_str(&text, &default_name).map_err(|e| match e {
            Error::InvalidInput(reason) => Error::InvalidInput(format!(
                "invalid profile file `{}`: {reason}",
                path.display()
            )),
            other => other,
        })
    }

    /// Parses and validates a TOML profile; `default_name` names it when it has no `name`.
    pub fn from_toml_str(text: &str, default_name: &str) -> Result<Profile> {
        let mut profile: Profile =
            toml::from_str(text).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if profile.name.is_empty() {
            default_name.clone_into(&mut profile.name);
        }
        profile.validate()?;
        Ok(profile)
    }

    /// The profile as TOML, in the form [`Profile::from_toml_str`] reads.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self)
            .map_err(|e| Error::InvalidInput(format!("profile `{}`: {e}", self.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ChannelOrder, LetterboxAnchor, Normalization, OutputLayout, ResizeMode};

    const CUSTOM: &str = r#"
        name = "helmets"
        classes = ["helmet", "head"]

        [input]
        name = "images"
        width = 320
        height = 256
        resize = { kind = "letterbox", pad = 0, anchor = "top-left" }
        channel_order = "bgr"
        normalization = { kind = "mean-std", mean = [1.0, 2.0, 3.0], std = [4.0, 5.0, 6.0] }

        [output]
        kind = "boxes-with-objectness"
        output = "output0"

        [thresholds]
        nms_iou = 0.5
    "#;

    #[test]
    fn a_custom_profile_parses_with_defaults_for_what_it_leaves_out() {
        let profile = Profile::from_toml_str(CUSTOM, "fallback").unwrap();
        assert_eq!(profile.name, "helmets");
        assert_eq!(profile.input.name.as_deref(), Some("images"));
        assert_eq!((profile.input.width, profile.input.height), (320, 256));
        assert_eq!(
            profile.input.resize,
            ResizeMode::Letterbox {
                pad: 0,
                anchor: LetterboxAnchor::TopLeft
            }
        );
        assert_eq!(profile.input.channel_order, ChannelOrder::Bgr);
        assert_eq!(
            profile.input.normalization,
            Normalization::MeanStd {
                mean: [1.0, 2.0, 3.0],
                std: [4.0, 5.0, 6.0]
            }
        );
        assert_eq!(
            profile.output,
            OutputLayout::BoxesWithObjectness {
                output: Some("output0".into())
            }
        );
        assert_eq!(profile.classes, ["helmet", "head"]);
        assert_eq!(profile.thresholds.nms_iou, 0.5);
        assert_eq!(profile.thresholds.max_detections, 100);
    }

    #[test]
    fn a_letterbox_without_pad_or_anchor_pads_114_centred_and_classes_default_to_coco() {
        let text = r#"
            [input]
            width = 640
            height = 640
            resize = { kind = "letterbox" }
            channel_order = "rgb"
            normalization = { kind = "scale", factor = 0.00392156862745098 }
            [output]
            kind = "yolox-grid"
            strides = [8, 16, 32]
        "#;
        let profile = Profile::from_toml_str(text, "my-yolox").unwrap();
        assert_eq!(profile.name, "my-yolox");
        assert_eq!(
            profile.input.resize,
            ResizeMode::Letterbox {
                pad: 114,
                anchor: LetterboxAnchor::Center
            }
        );
        assert_eq!(profile.classes.len(), 80);
    }

    #[test]
    fn every_builtin_round_trips_through_toml() {
        for name in crate::profile::BUILTIN_PROFILES {
            let profile = Profile::builtin(name).unwrap();
            let text = profile.to_toml_string().unwrap();
            assert_eq!(
                Profile::from_toml_str(&text, "other").unwrap(),
                profile,
                "{text}"
            );
        }
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let text = CUSTOM.replace("nms_iou = 0.5", "nms_iou = 0.5\nnms_iuo = 0.4");
        let err = Profile::from_toml_str(&text, "x").unwrap_err().to_string();
        assert!(err.contains("nms_iuo"), "{err}");
    }

    #[test]
    fn an_unknown_resize_kind_is_an_error() {
        let text = CUSTOM.replace("kind = \"letterbox\"", "kind = \"crop\"");
        let err = Profile::from_toml_str(&text, "x").unwrap_err().to_string();
        assert!(err.contains("crop"), "{err}");
    }

    #[test]
    fn a_zero_std_is_an_error_naming_the_key() {
        let text = CUSTOM.replace("std = [4.0, 5.0, 6.0]", "std = [4.0, 0.0, 6.0]");
        let err = Profile::from_toml_str(&text, "x").unwrap_err().to_string();
        assert!(err.contains("input.normalization.std"), "{err}");
    }

    #[test]
    fn an_out_of_range_pad_is_an_error() {
        let text = CUSTOM.replace("pad = 0", "pad = 300");
        assert!(Profile::from_toml_str(&text, "x").is_err());
    }

    #[test]
    fn a_file_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.toml");
        std::fs::write(&path, "[input]\nwidth = \"wide\"\n").unwrap();
        let err = Profile::from_toml_file(&path).unwrap_err().to_string();
        assert!(err.contains("broken.toml"), "{err}");
    }

    #[test]
    fn by_name_or_file_reads_a_file_and_lists_builtins_for_an_unknown_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("helmets.toml");
        std::fs::write(&path, CUSTOM).unwrap();
        let profile = Profile::by_name_or_file(path.to_str().unwrap()).unwrap();
        assert_eq!(profile.name, "helmets");
        assert_eq!(Profile::by_name_or_file("yolox").unwrap().name, "yolox");
        let err = Profile::by_name_or_file("yolo-nas")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`nanodet`") && err.contains("`yolov8`"),
            "{err}"
        );
    }
}
