//! The geometry between an original image and the model input it was fitted into.

use super::{InputSpec, LetterboxAnchor, ResizeMode};

/// How an original image was placed into the model input, so that boxes found in the model
/// frame can be mapped back: `model = original x scale + pad`, per axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageTransform {
    /// Model pixels per original pixel, horizontally.
    pub scale_x: f32,
    /// Model pixels per original pixel, vertically.
    pub scale_y: f32,
    /// Model-frame x of the image's left edge (the left padding).
    pub pad_x: f32,
    /// Model-frame y of the image's top edge (the top padding).
    pub pad_y: f32,
    /// Width of the original image in pixels.
    pub original_width: u32,
    /// Height of the original image in pixels.
    pub original_height: u32,
}

impl ImageTransform {
    /// Maps an `[x1, y1, x2, y2]` box from original-image pixels to the model frame.
    pub fn to_model(&self, bbox: [f32; 4]) -> [f32; 4] {
        let [x1, y1, x2, y2] = bbox;
        let x = |v: f32| v * self.scale_x + self.pad_x;
        let y = |v: f32| v * self.scale_y + self.pad_y;
        [x(x1), y(y1), x(x2), y(y2)]
    }

    /// Maps an `[x1, y1, x2, y2]` box from the model frame to original-image pixels, without
    /// clipping: the exact inverse of [`ImageTransform::to_model`].
    pub fn to_original(&self, bbox: [f32; 4]) -> [f32; 4] {
        let [x1, y1, x2, y2] = bbox;
        let x = |v: f32| (v - self.pad_x) / self.scale_x;
        let y = |v: f32| (v - self.pad_y) / self.scale_y;
        [x(x1), y(y1), x(x2), y(y2)]
    }

    /// Clips an `[x1, y1, x2, y2]` box in original-image pixels to the image.
    pub fn clip_to_image(&self, bbox: [f32; 4]) -> [f32; 4] {
        let width = self.original_width as f32;
        let height = self.original_height as f32;
        let [x1, y1, x2, y2] = bbox;
        [
            x1.clamp(0.0, width),
            y1.clamp(0.0, height),
            x2.clamp(0.0, width),
            y2.clamp(0.0, height),
        ]
    }
}

/// Where the resized image lands inside the model input, in whole model pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Placement {
    pub(super) left: u32,
    pub(super) top: u32,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Where a `width` x `height` image goes in the input `input` describes, and the transform
/// that maps the model frame back to it. An empty image places nothing.
pub(super) fn place_image(
    input: &InputSpec,
    width: u32,
    height: u32,
) -> (Placement, ImageTransform) {
    let (model_w, model_h) = (input.width, input.height);
    let placement = if width == 0 || height == 0 {
        Placement {
            left: 0,
            top: 0,
            width: 0,
            height: 0,
        }
    } else {
        match input.resize {
            ResizeMode::Stretch => Placement {
                left: 0,
                top: 0,
                width: model_w,
                height: model_h,
            },
            ResizeMode::Letterbox { anchor, .. } => {
                let scale = (f64::from(model_w) / f64::from(width))
                    .min(f64::from(model_h) / f64::from(height));
                let fit = |side: u32, limit: u32| {
                    ((f64::from(side) * scale).round() as u32).clamp(1, limit)
                };
                let (resized_w, resized_h) = (fit(width, model_w), fit(height, model_h));
                let (left, top) = match anchor {
                    LetterboxAnchor::Center => {
                        ((model_w - resized_w) / 2, (model_h - resized_h) / 2)
                    }
                    LetterboxAnchor::TopLeft => (0, 0),
                };
                Placement {
                    left,
                    top,
                    width: resized_w,
                    height: resized_h,
                }
            }
        }
    };
    let scale = |placed: u32, original: u32| {
        if original == 0 {
            1.0
        } else {
            placed as f32 / original as f32
        }
    };
    let transform = ImageTransform {
        scale_x: scale(placement.width, width),
        scale_y: scale(placement.height, height),
        pad_x: placement.left as f32,
        pad_y: placement.top as f32,
        original_width: width,
        original_height: height,
    };
    (placement, transform)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ChannelOrder, Normalization};

    fn input(resize: ResizeMode) -> InputSpec {
        InputSpec {
            name: None,
            width: 640,
            height: 640,
            resize,
            channel_order: ChannelOrder::Rgb,
            normalization: Normalization::None,
        }
    }

    #[test]
    fn a_centred_letterbox_splits_the_padding_and_scales_up() {
        let letterbox = input(ResizeMode::Letterbox {
            pad: 114,
            anchor: LetterboxAnchor::Center,
        });
        let (placement, transform) = place_image(&letterbox, 320, 160);
        assert_eq!(
            placement,
            Placement {
                left: 0,
                top: 160,
                width: 640,
                height: 320
            }
        );
        assert_eq!((transform.scale_x, transform.scale_y), (2.0, 2.0));
        assert_eq!(
            transform.to_model([0.0, 0.0, 320.0, 160.0]),
            [0.0, 160.0, 640.0, 480.0]
        );
    }

    #[test]
    fn a_top_left_letterbox_pads_only_right_and_below() {
        let letterbox = input(ResizeMode::Letterbox {
            pad: 114,
            anchor: LetterboxAnchor::TopLeft,
        });
        let (placement, transform) = place_image(&letterbox, 480, 1280);
        assert_eq!(
            placement,
            Placement {
                left: 0,
                top: 0,
                width: 240,
                height: 640
            }
        );
        assert_eq!((transform.pad_x, transform.pad_y), (0.0, 0.0));
    }

    #[test]
    fn stretch_scales_each_axis_on_its_own() {
        let (placement, transform) = place_image(&input(ResizeMode::Stretch), 1280, 320);
        assert_eq!(
            placement,
            Placement {
                left: 0,
                top: 0,
                width: 640,
                height: 640
            }
        );
        assert_eq!((transform.scale_x, transform.scale_y), (0.5, 2.0));
    }

    #[test]
    fn to_original_inverts_to_model() {
        let letterbox = input(ResizeMode::Letterbox {
            pad: 114,
            anchor: LetterboxAnchor::Center,
        });
        let (_, transform) = place_image(&letterbox, 500, 375);
        let bbox = [12.5, 40.0, 480.0, 375.0];
        let back = transform.to_original(transform.to_model(bbox));
        for (a, b) in back.iter().zip(bbox) {
            assert!((a - b).abs() < 1e-3, "{back:?} != {bbox:?}");
        }
        assert_eq!(
            transform.to_model([0.0, 0.0, 500.0, 375.0]),
            [0.0, 80.0, 640.0, 560.0]
        );
    }

    #[test]
    fn clipping_keeps_boxes_inside_the_image() {
        let (_, transform) = place_image(&input(ResizeMode::Stretch), 100, 50);
        assert_eq!(
            transform.clip_to_image([-5.0, -1.0, 120.0, 60.0]),
            [0.0, 0.0, 100.0, 50.0]
        );
    }
}
