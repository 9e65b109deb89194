//! Fitting a built-in profile to one model: its input size, its GFL levels, its class count
//! and names, from the model's shapes and metadata.

use super::layout::grid_cells;
use super::metadata::{metadata_class_names, metadata_input_size};
use super::value_info::{dims, find_value, graph_inputs, static_input_size};
use super::{GflLevel, OutputLayout, Profile};
use crate::onnx::proto::{GraphProto, ModelProto};
use crate::{Error, Result};

/// The strides a GFL level may have: powers of two from 4 to 128.
const GFL_STRIDES: [u32; 6] = [4, 8, 16, 32, 64, 128];

impl Profile {
    /// The profile for `model`: a built-in by name fitted to it ([`Profile::fit_to_model`]), a
    /// TOML profile by path as it is, or, without a name, the built-in the model implies
    /// ([`super::infer_profile`]); in every case checked against the model
    /// ([`Profile::check_model`]).
    pub fn for_model(name_or_path: Option<&str>, model: &ModelProto) -> Result<Profile> {
        let profile = match name_or_path {
            None => return super::infer_profile(model),
            Some(name) => match Profile::builtin(name) {
                Some(builtin) => builtin.fit_to_model(model)?,
                None => Profile::by_name_or_file(name)?.with_gfl_levels_of(model)?,
            },
        };
        profile.check_model(model)?;
        Ok(profile)
    }

    /// This profile adapted to what `model` says about itself, as a built-in profile is used:
    /// - the input size from a static `[B, 3, H, W]` input, else from Ultralytics' `imgsz`
    ///   metadata;
    /// - GFL levels found from the outputs when the layout lists none (see
    ///   [`OutputLayout::Gfl`]);
    /// - the class count from the output shape, and the class names from the `names` or
    ///   `character` metadata when they have that count; where the model names no classes,
    ///   the profile's own names if the count matches, else `class0`, `class1`, ...
    ///
    /// Whether the result really fits is for [`Profile::check_model`] to say.
    pub fn fit_to_model(&self, model: &ModelProto) -> Result<Profile> {
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
        let mut profile = self.clone();
        if let Some((width, height)) =
            static_input_size(graph).or_else(|| metadata_input_size(model))
        {
            (profile.input.width, profile.input.height) = (width, height);
        }
        let mut profile = profile.with_gfl_levels_of(model)?;
        let named = metadata_class_names(model);
        let count = profile.output_class_count(graph)?;
        profile.classes = match (count, named) {
            (Some(count), Some(names)) if names.len() == count => names,
            (None, Some(names)) => names,
            (Some(count), _) if count == self.classes.len() => self.classes.clone(),
            (Some(count), _) => (0..count).map(|i| format!("class{i}")).collect(),
            (None, None) => self.classes.clone(),
        };
        Ok(profile)
    }

    /// This profile with its GFL levels found from `model`'s outputs where it lists none
    /// (see [`OutputLayout::Gfl`]); otherwise unchanged.
    pub fn with_gfl_levels_of(self, model: &ModelProto) -> Result<Profile> {
        let mut profile = self;
        let OutputLayout::Gfl { levels } = &profile.output else {
            return Ok(profile);
        };
        if !levels.is_empty() {
            return Ok(profile);
        }
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
        let found = gfl_levels(
            graph,
            profile.input.name.as_deref(),
            (profile.input.width, profile.input.height),
            metadata_class_names(model).as_ref().map(Vec::len),
        )
        .map_err(|reason| {
            Error::InvalidInput(format!(
                "profile `{}` cannot find the GFL levels of the model: {reason}",
                profile.name
            ))
        })?;
        profile.output = OutputLayout::Gfl { levels: found };
        Ok(profile)
    }

    /// The number of classes the model's outputs score, where their shapes say it.
    fn output_class_count(&self, graph: &GraphProto) -> Result<Option<usize>> {
        let outputs: Vec<_> = graph.output.iter().collect();
        let static_dim = |name: Option<&str>, axis: usize| -> Result<Option<i64>> {
            let value = find_value(&outputs, name, "output")?;
            Ok(dims(value).and_then(|d| d.get(axis).copied().flatten()))
        };
        let count = match &self.output {
            OutputLayout::BoxesWithObjectness { output }
            | OutputLayout::YoloxGrid { output, .. } => {
                static_dim(output.as_deref(), 2)?.map(|d| d - 5)
            }
            OutputLayout::Boxes { output } => static_dim(output.as_deref(), 2)?.map(|d| d - 4),
            OutputLayout::BoxesChannelsFirst { output } => {
                static_dim(output.as_deref(), 1)?.map(|d| d - 4)
            }
            OutputLayout::Gfl { levels } => match levels.first() {
                Some(level) => static_dim(Some(&level.scores), 2)?,
                None => None,
            },
        };
        Ok(count
            .and_then(|c| usize::try_from(c).ok())
            .filter(|&c| c > 0))
    }
}

/// The GFL levels of a model whose outputs are, per stride, a `[B, N, C]` score map and a
/// `[B, N, 4 x bins]` distribution map, every shape static. The two maps of a level share their
/// cell count `N`, which gives the stride for a `width` x `height` input. Of a level's two
/// maps, the scores are the one whose width is the `class_count` (from metadata) where one is
/// known, else the one whose width cannot be 4 x bins, else the one listed first (as
/// NanoDet and PaddleDetection exports list them).
fn gfl_levels(
    graph: &GraphProto,
    input_name: Option<&str>,
    (width, height): (u32, u32),
    class_count: Option<usize>,
) -> std::result::Result<Vec<GflLevel>, String> {
    let input = find_value(&graph_inputs(graph), input_name, "input").map_err(|e| e.to_string())?;
    let input_name = input.name.as_deref().unwrap_or_default();
    let mut maps: Vec<(usize, &str, i64, i64)> = Vec::new();
    for (position, output) in graph.output.iter().enumerate() {
        let name = output.name.as_deref().unwrap_or_default();
        match dims(output).as_deref() {
            Some([_, Some(cells), Some(values)]) => maps.push((position, name, *cells, *values)),
            _ => {
                return Err(format!(
                    "output `{name}` is not a [B, N, values] map of static shape"
                ));
            }
        }
    }
    let mut levels = Vec::new();
    let mut cell_counts: Vec<i64> = maps.iter().map(|m| m.2).collect();
    cell_counts.sort_unstable();
    cell_counts.dedup();
    for cells in cell_counts {
        let pair: Vec<_> = maps.iter().filter(|m| m.2 == cells).collect();
        let [first, second] = pair.as_slice() else {
            return Err(format!(
                "{} outputs have {cells} cells; a GFL level has two",
                pair.len()
            ));
        };
        let stride = GFL_STRIDES
            .into_iter()
            .find(|&s| grid_cells(width, height, &[s]) as i64 == cells)
            .ok_or_else(|| {
                format!("{cells} cells are no grid of a {width}x{height} `{input_name}` input")
            })?;
        let is_distribution = |values: i64| values >= 8 && values % 4 == 0;
        let first_is_scores = match class_count.map(|c| c as i64) {
            Some(c) if first.3 == c && second.3 != c => true,
            Some(c) if second.3 == c && first.3 != c => false,
            _ => match (is_distribution(first.3), is_distribution(second.3)) {
                (false, true) => true,
                (true, false) => false,
                (true, true) => first.0 < second.0,
                (false, false) => {
                    return Err(format!(
                        "neither `{}` nor `{}` is a map of 4 x bins box distributions",
                        first.1, second.1
                    ));
                }
            },
        };
        let (scores, distributions) = if first_is_scores {
            (first, second)
        } else {
            (second, first)
        };
        levels.push(GflLevel {
            stride,
            scores: scores.1.to_owned(),
            distributions: distributions.1.to_owned(),
        });
    }
    levels.sort_by_key(|l| l.stride);
    let widths = |pick: fn(&GflLevel) -> &str| {
        let mut w: Vec<i64> = levels
            .iter()
            .filter_map(|l| maps.iter().find(|m| m.1 == pick(l)).map(|m| m.3))
            .collect();
        w.dedup();
        w.len()
    };
    if levels.is_empty() || widths(|l| &l.scores) != 1 || widths(|l| &l.distributions) != 1 {
        return Err("the levels do not share one class count and one bin count".into());
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::super::value_info::fixtures::{
        nanodet_like, picodet_like, single_output, with_metadata,
    };
    use super::*;

    #[test]
    fn a_yolov8_export_takes_its_size_and_names_from_metadata() {
        let m = with_metadata(
            single_output(-1, &[-1, 22, -1]),
            &[
                ("imgsz", "[320, 320]"),
                (
                    "names",
                    &format!(
                        "{{{}}}",
                        (0..18)
                            .map(|i| format!("{i}: 'c{i}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            ],
        );
        let profile = Profile::builtin("yolov8")
            .unwrap()
            .fit_to_model(&m)
            .unwrap();
        assert_eq!((profile.input.width, profile.input.height), (320, 320));
        assert_eq!(profile.classes.len(), 18);
        assert_eq!(profile.classes[17], "c17");
        profile.check_model(&m).unwrap();
    }

    #[test]
    fn a_class_count_without_names_gets_numbered_names() {
        let m = single_output(416, &[1, 3549, 7]);
        let profile = Profile::builtin("yolox").unwrap().fit_to_model(&m).unwrap();
        assert_eq!(profile.classes, ["class0", "class1"]);
        assert_eq!((profile.input.width, profile.input.height), (416, 416));
        profile.check_model(&m).unwrap();
    }

    #[test]
    fn gfl_levels_are_found_from_the_output_shapes() {
        let profile = Profile::builtin("picodet")
            .unwrap()
            .fit_to_model(&picodet_like())
            .unwrap();
        let OutputLayout::Gfl { levels } = &profile.output else {
            panic!("{:?}", profile.output)
        };
        let found: Vec<_> = levels
            .iter()
            .map(|l| (l.stride, l.scores.as_str(), l.distributions.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (8, "s0", "d0"),
                (16, "s1", "d1"),
                (32, "s2", "d2"),
                (64, "s3", "d3")
            ]
        );
        assert_eq!(profile.classes.len(), 10);
        profile.check_model(&picodet_like()).unwrap();
    }

    #[test]
    fn gfl_maps_that_are_both_multiples_of_four_go_by_output_order() {
        let profile = Profile::builtin("picodet")
            .unwrap()
            .fit_to_model(&nanodet_like())
            .unwrap();
        let OutputLayout::Gfl { levels } = &profile.output else {
            panic!()
        };
        assert_eq!(levels[0].scores, "Identity:0");
        assert_eq!(levels[2].distributions, "Identity_5:0");
        assert_eq!(profile.classes.len(), 80);
    }

    #[test]
    fn outputs_that_are_no_gfl_levels_are_an_error() {
        let err = Profile::builtin("picodet")
            .unwrap()
            .fit_to_model(&single_output(640, &[1, 8400, 85]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("GFL levels") && err.contains("8400"), "{err}");
    }
}
