//! Whether a profile fits a model.

use super::layout::grid_cells;
use super::value_info::{dims, find_value, format_dims, graph_inputs, tensor_type};
use super::{OutputLayout, Profile};
use crate::onnx::DataType;
use crate::onnx::proto::{ModelProto, ValueInfoProto};
use crate::{Error, Result};

/// What a profile expects of one dimension of a tensor.
#[derive(Debug, Clone, Copy)]
enum ExpectedDim {
    /// Anything (the batch, or a size the profile does not fix).
    Any,
    /// Exactly this size.
    Exactly(i64),
    /// Four sides times at least two bins.
    FourSides,
}

impl ExpectedDim {
    fn accepts(self, size: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Exactly(expected) => size == expected,
            Self::FourSides => size >= 8 && size % 4 == 0,
        }
    }
}

impl Profile {
    /// The name of the model input this profile feeds: the profile's input name, or the
    /// model's only input when the profile names none.
    pub fn input_name(&self, model: &ModelProto) -> Result<String> {
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
        let input = find_value(&graph_inputs(graph), self.input.name.as_deref(), "input")?;
        Ok(input.name.clone().unwrap_or_default())
    }

    /// Checks that the profile fits `model`: the input it feeds exists, is float and has 3
    /// channels and the profile's height and width where the model fixes them; every output the
    /// layout reads exists, with the rank and (where static) the sizes the layout and the class
    /// count call for. The error names what does not fit.
    pub fn check_model(&self, model: &ModelProto) -> Result<()> {
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
        let input = find_value(&graph_inputs(graph), self.input.name.as_deref(), "input")?;
        let input_name = input.name.as_deref().unwrap_or_default();
        if let Some(elem_type) = tensor_type(input).and_then(|t| t.elem_type)
            && elem_type != DataType::Float as i32
        {
            return Err(Error::InvalidInput(format!(
                "input `{input_name}` is not float32 (ONNX type {elem_type}); profile `{}` feeds float32",
                self.name
            )));
        }
        let (width, height) = (i64::from(self.input.width), i64::from(self.input.height));
        let expected_input = [
            ExpectedDim::Any,
            ExpectedDim::Exactly(3),
            ExpectedDim::Exactly(height),
            ExpectedDim::Exactly(width),
        ];
        check_shape(
            input,
            &expected_input,
            &format!("[B, 3, {height}, {width}]"),
            &self.name,
            "feeds",
        )?;
        if matches!(&self.output, OutputLayout::Gfl { levels } if levels.is_empty()) {
            return Err(Error::InvalidInput(format!(
                "profile `{}` lists no GFL levels: it finds them from the model's outputs once fitted to the model",
                self.name
            )));
        }
        let outputs: Vec<&ValueInfoProto> = graph.output.iter().collect();
        for (name, expected, description) in self.expected_outputs() {
            let output = find_value(&outputs, name.as_deref(), "output")?;
            check_shape(output, &expected, &description, &self.name, "reads")?;
        }
        Ok(())
    }

    /// Each output the layout reads, with the dimensions it expects and how to say them.
    fn expected_outputs(&self) -> Vec<(Option<String>, Vec<ExpectedDim>, String)> {
        use ExpectedDim::{Any, Exactly, FourSides};
        let classes = self.class_count() as i64;
        let (width, height) = (self.input.width, self.input.height);
        match &self.output {
            OutputLayout::BoxesWithObjectness { output } => {
                vec![(
                    output.clone(),
                    vec![Any, Any, Exactly(5 + classes)],
                    format!("[B, N, {}] (5 + {classes} classes)", 5 + classes),
                )]
            }
            OutputLayout::Boxes { output } => {
                vec![(
                    output.clone(),
                    vec![Any, Any, Exactly(4 + classes)],
                    format!("[B, N, {}] (4 + {classes} classes)", 4 + classes),
                )]
            }
            OutputLayout::BoxesChannelsFirst { output } => {
                vec![(
                    output.clone(),
                    vec![Any, Exactly(4 + classes), Any],
                    format!("[B, {}, N] (4 + {classes} classes)", 4 + classes),
                )]
            }
            OutputLayout::YoloxGrid { output, strides } => {
                let cells = grid_cells(width, height, strides) as i64;
                let description = format!(
                    "[B, {cells}, {}] (grid cells of strides {strides:?}, 5 + {classes} classes)",
                    5 + classes
                );
                vec![(
                    output.clone(),
                    vec![Any, Exactly(cells), Exactly(5 + classes)],
                    description,
                )]
            }
            OutputLayout::Gfl { levels } => levels
                .iter()
                .flat_map(|level| {
                    let cells = grid_cells(width, height, &[level.stride]) as i64;
                    [
                        (
                            Some(level.scores.clone()),
                            vec![Any, Exactly(cells), Exactly(classes)],
                            format!(
                                "[B, {cells}, {classes}] (stride {} class scores)",
                                level.stride
                            ),
                        ),
                        (
                            Some(level.distributions.clone()),
                            vec![Any, Exactly(cells), FourSides],
                            format!(
                                "[B, {cells}, 4 x bins] (stride {} box distributions)",
                                level.stride
                            ),
                        ),
                    ]
                })
                .collect(),
        }
    }
}

fn check_shape(
    value: &ValueInfoProto,
    expected: &[ExpectedDim],
    description: &str,
    profile: &str,
    verb: &str,
) -> Result<()> {
    let Some(actual) = dims(value) else {
        return Ok(());
    };
    let fits = actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(size, want)| size.is_none_or(|s| want.accepts(s)));
    if fits {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "`{}` has shape {}, but profile `{profile}` {verb} {description}",
        value.name.as_deref().unwrap_or_default(),
        format_dims(&actual)
    )))
}

#[cfg(test)]
mod tests {
    use super::super::value_info::fixtures::{nanodet_like, single_output};
    use super::*;

    #[test]
    fn the_nanodet_profile_fits_a_model_shaped_like_the_demo() {
        Profile::builtin("nanodet")
            .unwrap()
            .check_model(&nanodet_like())
            .unwrap();
    }

    #[test]
    fn a_missing_output_is_named() {
        let mut model = nanodet_like();
        model.graph.as_mut().unwrap().output.pop();
        let err = Profile::builtin("nanodet")
            .unwrap()
            .check_model(&model)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no output `Identity_5:0`"), "{err}");
    }

    #[test]
    fn a_wrong_class_count_names_the_output_and_its_shape() {
        let err = Profile::builtin("yolov5")
            .unwrap()
            .check_model(&single_output(640, &[1, 25200, 7]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`output0` has shape [1, 25200, 7]"), "{err}");
        assert!(err.contains("85"), "{err}");
    }

    #[test]
    fn a_different_input_size_is_an_error() {
        let err = Profile::builtin("yolov8")
            .unwrap()
            .check_model(&single_output(320, &[1, 84, 2100]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`images` has shape [?, 3, 320, 320]"), "{err}");
    }

    #[test]
    fn a_model_with_several_outputs_needs_named_outputs() {
        let mut profile = Profile::builtin("yolov6").unwrap();
        (profile.input.width, profile.input.height) = (416, 416);
        let err = profile
            .check_model(&nanodet_like())
            .unwrap_err()
            .to_string();
        assert!(err.contains("6 outputs"), "{err}");
    }
}
