//! Turning decoded images into model input tensors.

use std::path::PathBuf;

use image::{RgbImage, imageops::FilterType};
use ndarray::{Array4, ArrayD};
use rayon::prelude::*;

use super::transform::place_image;
use super::{ImageTransform, Profile, ResizeMode};
use crate::images::load_image;
use crate::{Error, Result};

impl Profile {
    /// One image as the model's input: a `3 x H x W` (CHW) buffer, resized or letterboxed
    /// (bilinear filtering), in the model's channel order and normalisation, with the transform
    /// that maps model-frame boxes back to the image.
    pub fn preprocess(&self, image: &RgbImage) -> (Vec<f32>, ImageTransform) {
        let input = &self.input;
        let (model_w, model_h) = (input.width as usize, input.height as usize);
        let (placement, transform) = place_image(input, image.width(), image.height());
        let pad = match input.resize {
            ResizeMode::Letterbox { pad, .. } => f32::from(pad),
            ResizeMode::Stretch => 0.0,
        };
        let resized_storage;
        let resized = if image.dimensions() == (placement.width, placement.height) {
            image
        } else {
            resized_storage = image::imageops::resize(
                image,
                placement.width,
                placement.height,
                FilterType::Triangle,
            );
            &resized_storage
        };
        let plane = model_w * model_h;
        let mut chw = vec![0.0f32; 3 * plane];
        for (channel, values) in chw.chunks_exact_mut(plane).enumerate() {
            let (gain, offset) = input.normalization.affine(channel);
            values.fill(pad * gain + offset);
            let source = input.channel_order.rgb_index(channel);
            for (y, row) in resized.rows().enumerate() {
                let start = (y + placement.top as usize) * model_w + placement.left as usize;
                for (value, pixel) in values[start..start + placement.width as usize]
                    .iter_mut()
                    .zip(row)
                {
                    *value = f32::from(pixel.0[source]) * gain + offset;
                }
            }
        }
        (chw, transform)
    }

    /// The model inputs for `paths`, `batch_size` images at a time (the last batch may be
    /// smaller), decoded lazily as the iterator is consumed.
    pub fn input_batches<'a>(
        &'a self,
        paths: &'a [PathBuf],
        batch_size: usize,
    ) -> impl Iterator<Item = Result<ArrayD<f32>>> + 'a {
        paths
            .chunks(batch_size.max(1))
            .map(move |chunk| self.load_batch(chunk).map(|(batch, _)| batch.into_dyn()))
    }

    /// Decodes and preprocesses `paths` in parallel into one `N x 3 x H x W` batch, with one
    /// transform per image, in the order of `paths`.
    pub fn load_batch(&self, paths: &[PathBuf]) -> Result<(Array4<f32>, Vec<ImageTransform>)> {
        let images: Vec<(Vec<f32>, ImageTransform)> = paths
            .par_iter()
            .map(|path| load_image(path).map(|image| self.preprocess(&image)))
            .collect::<Result<_>>()?;
        let (height, width) = (self.input.height as usize, self.input.width as usize);
        let mut values = Vec::with_capacity(images.len() * 3 * height * width);
        let mut transforms = Vec::with_capacity(images.len());
        for (chw, transform) in images {
            values.extend_from_slice(&chw);
            transforms.push(transform);
        }
        let batch =
            Array4::from_shape_vec((transforms.len(), 3, height, width), values).map_err(|e| {
                Error::InvalidInput(format!(
                    "profile `{}`: cannot shape the batch: {e}",
                    self.name
                ))
            })?;
        Ok((batch, transforms))
    }
}

#[cfg(test)]
mod tests {
    use image::Rgb;

    use super::*;
    use crate::profile::{ChannelOrder, LetterboxAnchor, Normalization};

    fn profile(
        width: u32,
        height: u32,
        resize: ResizeMode,
        order: ChannelOrder,
        norm: Normalization,
    ) -> Profile {
        let mut profile = Profile::builtin("yolov5").unwrap();
        profile.input.width = width;
        profile.input.height = height;
        profile.input.resize = resize;
        profile.input.channel_order = order;
        profile.input.normalization = norm;
        profile
    }

    fn at(chw: &[f32], width: usize, height: usize, c: usize, y: usize, x: usize) -> f32 {
        chw[(c * height + y) * width + x]
    }

    #[test]
    fn bgr_mean_std_puts_normalised_blue_first() {
        let image = RgbImage::from_pixel(2, 2, Rgb([10, 20, 30]));
        let norm = Normalization::MeanStd {
            mean: [30.0, 20.0, 10.0],
            std: [2.0, 4.0, 5.0],
        };
        let p = profile(2, 2, ResizeMode::Stretch, ChannelOrder::Bgr, norm);
        let (chw, _) = p.preprocess(&image);
        assert_eq!(chw.len(), 12);
        assert_eq!(at(&chw, 2, 2, 0, 1, 1), (30.0 - 30.0) / 2.0);
        assert_eq!(at(&chw, 2, 2, 1, 0, 0), (20.0 - 20.0) / 4.0);
        assert_eq!(at(&chw, 2, 2, 2, 0, 1), (10.0 - 10.0) / 5.0);
        let rgb = profile(
            2,
            2,
            ResizeMode::Stretch,
            ChannelOrder::Rgb,
            Normalization::Scale { factor: 0.5 },
        );
        let (chw, _) = rgb.preprocess(&image);
        assert_eq!([chw[0], chw[4], chw[8]], [5.0, 10.0, 15.0]);
    }

    #[test]
    fn a_centred_letterbox_pads_above_and_below_a_wide_image() {
        let image = RgbImage::from_pixel(8, 4, Rgb([200, 100, 50]));
        let resize = ResizeMode::Letterbox {
            pad: 114,
            anchor: LetterboxAnchor::Center,
        };
        let p = profile(4, 4, resize, ChannelOrder::Rgb, Normalization::None);
        let (chw, transform) = p.preprocess(&image);
        for x in 0..4 {
            assert_eq!(at(&chw, 4, 4, 0, 0, x), 114.0);
            assert_eq!(at(&chw, 4, 4, 0, 1, x), 200.0);
            assert_eq!(at(&chw, 4, 4, 2, 2, x), 50.0);
            assert_eq!(at(&chw, 4, 4, 1, 3, x), 114.0);
        }
        assert_eq!(
            transform.to_original([0.0, 1.0, 4.0, 3.0]),
            [0.0, 0.0, 8.0, 4.0]
        );
    }

    #[test]
    fn a_top_left_letterbox_pads_right_of_a_tall_image_and_normalises_the_pad() {
        let image = RgbImage::from_pixel(3, 6, Rgb([0, 0, 0]));
        let resize = ResizeMode::Letterbox {
            pad: 100,
            anchor: LetterboxAnchor::TopLeft,
        };
        let p = profile(
            4,
            4,
            resize,
            ChannelOrder::Rgb,
            Normalization::Scale { factor: 0.01 },
        );
        let (chw, transform) = p.preprocess(&image);
        for y in 0..4 {
            assert_eq!(at(&chw, 4, 4, 0, y, 0), 0.0);
            assert_eq!(at(&chw, 4, 4, 0, y, 1), 0.0);
            assert_eq!(at(&chw, 4, 4, 0, y, 2), 1.0);
            assert_eq!(at(&chw, 4, 4, 2, y, 3), 1.0);
        }
        assert_eq!((transform.pad_x, transform.pad_y), (0.0, 0.0));
        assert_eq!(
            transform.to_original([0.0, 0.0, 2.0, 4.0]),
            [0.0, 0.0, 3.0, 6.0]
        );
    }

    #[test]
    fn stretch_resizes_to_the_input_size() {
        let image = RgbImage::from_pixel(10, 3, Rgb([7, 7, 7]));
        let p = profile(
            5,
            6,
            ResizeMode::Stretch,
            ChannelOrder::Rgb,
            Normalization::None,
        );
        let (chw, transform) = p.preprocess(&image);
        assert_eq!(chw.len(), 3 * 5 * 6);
        assert!(chw.iter().all(|&v| v == 7.0));
        assert_eq!((transform.scale_x, transform.scale_y), (0.5, 2.0));
    }

    #[test]
    fn load_batch_fails_on_the_first_unreadable_image() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.png");
        RgbImage::from_pixel(4, 4, Rgb([1, 2, 3]))
            .save(&good)
            .unwrap();
        let bad = dir.path().join("bad.png");
        std::fs::write(&bad, b"nope").unwrap();
        let p = profile(
            4,
            4,
            ResizeMode::Stretch,
            ChannelOrder::Rgb,
            Normalization::None,
        );
        let (batch, transforms) = p.load_batch(std::slice::from_ref(&good)).unwrap();
        assert_eq!(batch.shape(), [1, 3, 4, 4]);
        assert_eq!(transforms.len(), 1);
        let err = p.load_batch(&[good, bad]).unwrap_err();
        assert!(err.to_string().contains("bad.png"), "{err}");
    }
}
