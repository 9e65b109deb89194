//! From a batch of raw outputs to one image's detections in image pixels.

use std::collections::HashMap;

use ndarray::{ArrayBase, ArrayView2, Axis, Data, Ix2, IxDyn};

use super::{
    Detection, decode_boxes, decode_boxes_channels_first, decode_boxes_with_objectness,
    decode_gfl_level, decode_yolox_grid, non_max_suppression,
};
use crate::profile::{ImageTransform, OutputLayout, Profile};
use crate::{Error, Result};

impl Profile {
    /// The detections of image `batch_index` in a batch of raw model outputs (by output name,
    /// each with a leading batch axis): decoded as the profile's layout says, kept from
    /// `score_threshold` up, mapped back to the image through `transform` and clipped to it
    /// (boxes left empty are dropped), then class-wise NMS at the profile's IoU threshold and
    /// at most its maximum number of detections, highest score first.
    pub fn decode<S: Data<Elem = f32>>(
        &self,
        outputs: &HashMap<String, ArrayBase<S, IxDyn>>,
        batch_index: usize,
        transform: &ImageTransform,
        score_threshold: f32,
    ) -> Result<Vec<Detection>> {
        let in_model_frame = self.decode_model_frame(outputs, batch_index, score_threshold)?;
        let in_image: Vec<Detection> = in_model_frame
            .into_iter()
            .map(|d| Detection {
                bbox: transform.clip_to_image(transform.to_original(d.bbox)),
                ..d
            })
            .filter(|d| d.bbox[2] > d.bbox[0] && d.bbox[3] > d.bbox[1])
            .collect();
        Ok(non_max_suppression(
            in_image,
            self.thresholds.nms_iou,
            self.thresholds.max_detections,
        ))
    }

    /// [`Profile::decode`] for every image of a batch, one transform per image.
    pub fn decode_batch<S: Data<Elem = f32>>(
        &self,
        outputs: &HashMap<String, ArrayBase<S, IxDyn>>,
        transforms: &[ImageTransform],
        score_threshold: f32,
    ) -> Result<Vec<Vec<Detection>>> {
        transforms
            .iter()
            .enumerate()
            .map(|(index, transform)| self.decode(outputs, index, transform, score_threshold))
            .collect()
    }

    /// Every candidate of one image in the model's input frame, before NMS.
    fn decode_model_frame<S: Data<Elem = f32>>(
        &self,
        outputs: &HashMap<String, ArrayBase<S, IxDyn>>,
        batch_index: usize,
        score_threshold: f32,
    ) -> Result<Vec<Detection>> {
        let slice = |name: Option<&str>| image_slice(outputs, name, batch_index);
        let (width, height) = (self.input.width, self.input.height);
        match &self.output {
            OutputLayout::BoxesWithObjectness { output } => {
                let rows = slice(output.as_deref())?;
                self.expect_classes(rows.ncols().saturating_sub(5))?;
                decode_boxes_with_objectness(rows, score_threshold)
            }
            OutputLayout::Boxes { output } => {
                let rows = slice(output.as_deref())?;
                self.expect_classes(rows.ncols().saturating_sub(4))?;
                decode_boxes(rows, score_threshold)
            }
            OutputLayout::BoxesChannelsFirst { output } => {
                let channels = slice(output.as_deref())?;
                self.expect_classes(channels.nrows().saturating_sub(4))?;
                decode_boxes_channels_first(channels, score_threshold)
            }
            OutputLayout::YoloxGrid { output, strides } => {
                let rows = slice(output.as_deref())?;
                self.expect_classes(rows.ncols().saturating_sub(5))?;
                decode_yolox_grid(rows, width, height, strides, score_threshold)
            }
            OutputLayout::Gfl { levels } => {
                let mut detections = Vec::new();
                for level in levels {
                    let scores = slice(Some(&level.scores))?;
                    self.expect_classes(scores.ncols())?;
                    let distributions = slice(Some(&level.distributions))?;
                    detections.extend(decode_gfl_level(
                        scores,
                        distributions,
                        level.stride,
                        width,
                        height,
                        score_threshold,
                    )?);
                }
                Ok(detections)
            }
        }
    }

    fn expect_classes(&self, found: usize) -> Result<()> {
        if found == self.class_count() {
            return Ok(());
        }
        Err(Error::InvalidInput(format!(
            "the model scores {found} classes but profile `{}` names {}",
            self.name,
            self.class_count()
        )))
    }
}

/// Image `batch_index` of the 3-D output `name` (the only output when `name` is `None`).
fn image_slice<'a, S: Data<Elem = f32>>(
    outputs: &'a HashMap<String, ArrayBase<S, IxDyn>>,
    name: Option<&str>,
    batch_index: usize,
) -> Result<ArrayView2<'a, f32>> {
    let (name, output) = match name {
        Some(name) => outputs
            .get_key_value(name)
            .ok_or_else(|| Error::InvalidInput(format!("the model outputs have no `{name}`")))?,
        None => match outputs.iter().next() {
            Some(only) if outputs.len() == 1 => only,
            _ => {
                return Err(Error::InvalidInput(format!(
                    "the profile reads the model's only output, but there are {}",
                    outputs.len()
                )));
            }
        },
    };
    if output.ndim() != 3 || batch_index >= output.shape()[0] {
        return Err(Error::InvalidInput(format!(
            "output `{name}` has shape {:?}; expected [batch, rows, columns] with image {batch_index} in it",
            output.shape()
        )));
    }
    output
        .index_axis(Axis(0), batch_index)
        .into_dimensionality::<Ix2>()
        .map_err(|e| Error::InvalidInput(format!("output `{name}`: {e}")))
}

#[cfg(test)]
mod tests {
    use ndarray::{Array3, ArrayD, arr1};

    use super::*;

    /// YOLOv5-style, 64 x 64 input, two classes.
    fn small_yolo() -> Profile {
        let mut profile = Profile::builtin("yolov5").unwrap();
        (profile.input.width, profile.input.height) = (64, 64);
        profile.classes = vec!["a".into(), "b".into()];
        profile.thresholds.nms_iou = 0.5;
        profile
    }

    /// A 128 x 64 image letterboxed into 64 x 64: half size, 16 rows of padding on top.
    fn wide_image() -> ImageTransform {
        ImageTransform {
            scale_x: 0.5,
            scale_y: 0.5,
            pad_x: 0.0,
            pad_y: 16.0,
            original_width: 128,
            original_height: 64,
        }
    }

    fn outputs(name: &str, values: Array3<f32>) -> HashMap<String, ArrayD<f32>> {
        HashMap::from([(name.to_owned(), values.into_dyn())])
    }

    #[test]
    fn decodes_one_image_of_a_batch_back_into_image_pixels() {
        let mut batch = Array3::<f32>::zeros((2, 3, 7));
        let mut image = batch.index_axis_mut(Axis(0), 1);
        image
            .row_mut(0)
            .assign(&arr1(&[32.0, 32.0, 20.0, 10.0, 0.9, 0.1, 0.9]));
        image
            .row_mut(1)
            .assign(&arr1(&[33.0, 32.0, 20.0, 10.0, 0.8, 0.1, 0.9]));
        image
            .row_mut(2)
            .assign(&arr1(&[32.0, 5.0, 10.0, 6.0, 0.9, 0.9, 0.1]));
        let outputs = outputs("output0", batch);
        let detections = small_yolo()
            .decode(&outputs, 1, &wide_image(), 0.3)
            .unwrap();
        assert_eq!(detections.len(), 1, "{detections:?}");
        assert_eq!(detections[0].class, 1);
        assert!((detections[0].score - 0.81).abs() < 1e-6);
        assert_eq!(detections[0].bbox, [44.0, 22.0, 84.0, 42.0]);
        assert!(
            small_yolo()
                .decode(&outputs, 0, &wide_image(), 0.3)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn decode_batch_gives_each_image_its_own_detections() {
        let mut batch = Array3::<f32>::zeros((2, 1, 7));
        batch
            .index_axis_mut(Axis(0), 0)
            .row_mut(0)
            .assign(&arr1(&[32.0, 32.0, 8.0, 8.0, 1.0, 1.0, 0.0]));
        let outputs = outputs("output0", batch);
        let per_image = small_yolo()
            .decode_batch(&outputs, &[wide_image(), wide_image()], 0.3)
            .unwrap();
        assert_eq!(per_image.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0]);
    }

    #[test]
    fn a_class_count_that_differs_from_the_profile_is_an_error() {
        let outputs = outputs("output0", Array3::<f32>::zeros((1, 3, 8)));
        let err = small_yolo()
            .decode(&outputs, 0, &wide_image(), 0.3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("3 classes") && err.contains("names 2"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_output_or_image_is_an_error() {
        let mut profile = small_yolo();
        profile.output = OutputLayout::BoxesWithObjectness {
            output: Some("boxes".into()),
        };
        let outputs = outputs("output0", Array3::<f32>::zeros((1, 3, 7)));
        let err = profile
            .decode(&outputs, 0, &wide_image(), 0.3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `boxes`"), "{err}");
        let err = small_yolo()
            .decode(&outputs, 1, &wide_image(), 0.3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("image 1"), "{err}");
    }

    #[test]
    fn gfl_levels_are_read_by_name() {
        let mut profile = small_yolo();
        profile.output = OutputLayout::Gfl {
            levels: vec![crate::profile::GflLevel {
                stride: 32,
                scores: "s".into(),
                distributions: "d".into(),
            }],
        };
        let mut scores = Array3::<f32>::zeros((1, 4, 2));
        scores[[0, 3, 0]] = 0.7;
        let distributions = Array3::<f32>::zeros((1, 4, 8));
        let outputs = HashMap::from([
            ("s".to_owned(), scores.into_dyn()),
            ("d".to_owned(), distributions.into_dyn()),
        ]);
        let detections = profile.decode(&outputs, 0, &wide_image(), 0.3).unwrap();
        // Cell 3 is column 1, row 1: centre (48, 48); each side 0.5 bins x 32 = 16 px.
        assert_eq!(detections.len(), 1);
        assert_eq!(detections[0].bbox, [64.0, 32.0, 128.0, 64.0]);
    }
}
