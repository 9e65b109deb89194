//! How an image becomes a model input: size, resize mode, channel order and normalisation.

use serde::{Deserialize, Serialize};

/// The model input a profile feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// The input tensor's name; `None` means the model's only input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Input width in pixels (the `W` of `NCHW`).
    pub width: u32,
    /// Input height in pixels (the `H` of `NCHW`).
    pub height: u32,
    /// How the image is fitted into `width` x `height`.
    pub resize: ResizeMode,
    /// The order of the three colour planes the model expects.
    pub channel_order: ChannelOrder,
    /// How 0-255 pixel values are turned into model values.
    pub normalization: Normalization,
}

/// How an image of any size is fitted into the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ResizeMode {
    /// Resize to the input size, ignoring the aspect ratio.
    Stretch,
    /// Scale by `min(W / w, H / h)` (up or down), keeping the aspect ratio, and fill the rest
    /// with a constant pixel value.
    Letterbox {
        /// The 0-255 value of every channel of a padding pixel, before normalisation.
        #[serde(default = "default_letterbox_pad")]
        pad: u8,
        /// Where the scaled image is placed.
        #[serde(default)]
        anchor: LetterboxAnchor,
    },
}

fn default_letterbox_pad() -> u8 {
    114
}

/// Where a letterboxed image sits inside the model input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LetterboxAnchor {
    /// Centred, the padding split between both sides (YOLOv5/v6/v8).
    #[default]
    Center,
    /// In the top-left corner, all padding right and below (YOLOX).
    TopLeft,
}

/// The order of the colour planes in the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (OpenCV's order).
    Bgr,
}

impl ChannelOrder {
    /// The RGB index of the colour that goes to model channel `channel` (0, 1 or 2).
    pub fn rgb_index(self, channel: usize) -> usize {
        match self {
            Self::Rgb => channel,
            Self::Bgr => 2 - channel,
        }
    }
}

/// How a 0-255 pixel value `v` becomes a model value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Normalization {
    /// The model takes 0-255 values as they are.
    None,
    /// `v * factor`, e.g. `1 / 255`.
    Scale {
        /// The multiplier.
        factor: f32,
    },
    /// `(v - mean[c]) / std[c]`, per channel in the model's channel order.
    MeanStd {
        /// Per-channel means, in the model's channel order.
        mean: [f32; 3],
        /// Per-channel standard deviations, in the model's channel order.
        std: [f32; 3],
    },
}

impl Normalization {
    /// `(gain, offset)` for model channel `channel`, so that a model value is
    /// `v * gain + offset`.
    pub fn affine(&self, channel: usize) -> (f32, f32) {
        match *self {
            Self::None => (1.0, 0.0),
            Self::Scale { factor } => (factor, 0.0),
            Self::MeanStd { mean, std } => (1.0 / std[channel], -mean[channel] / std[channel]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgr_reads_blue_into_the_first_channel() {
        assert_eq!(ChannelOrder::Bgr.rgb_index(0), 2);
        assert_eq!(ChannelOrder::Bgr.rgb_index(2), 0);
        assert_eq!(ChannelOrder::Rgb.rgb_index(0), 0);
    }

    #[test]
    fn mean_std_is_an_affine_map() {
        let norm = Normalization::MeanStd {
            mean: [10.0, 20.0, 30.0],
            std: [2.0, 4.0, 5.0],
        };
        let (gain, offset) = norm.affine(1);
        assert_eq!(100.0 * gain + offset, (100.0 - 20.0) / 4.0);
    }
}
