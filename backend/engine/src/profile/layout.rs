//! What a detector's outputs look like and which tensors hold them.

use serde::{Deserialize, Serialize};

/// The layout of a detector's outputs. Every shape below has a leading batch axis `B`; `N` is
/// the number of candidate boxes and `C` the number of classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OutputLayout {
    /// `[B, N, 5 + C]`: centre x, centre y, width, height in the input frame, objectness, class
    /// scores; score = objectness x class score (YOLOv5, YOLOv6, YOLOv7).
    BoxesWithObjectness {
        /// The output tensor; `None` means the model's only output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    /// `[B, N, 4 + C]`: centre x, centre y, width, height, class scores; no objectness.
    Boxes {
        /// The output tensor; `None` means the model's only output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    /// `[B, 4 + C, N]`: [`OutputLayout::Boxes`] transposed (YOLOv8).
    BoxesChannelsFirst {
        /// The output tensor; `None` means the model's only output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    /// `[B, N, 5 + C]` raw YOLOX grid outputs, the cells of each stride in row-major order:
    /// centre = (raw + cell) x stride, size = exp(raw) x stride, score = objectness x class.
    YoloxGrid {
        /// The output tensor; `None` means the model's only output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        /// The strides of the grids, in output order.
        strides: Vec<u32>,
    },
    /// GFL/NanoDet heads: per stride a `[B, N, C]` score map (after sigmoid) and a
    /// `[B, N, 4 x bins]` map of distance distributions (left, top, right, bottom).
    Gfl {
        /// One entry per stride, in any order. Empty in a built-in profile that finds them
        /// from the model's outputs when fitted to it ([`crate::profile::Profile::fit_to_model`]).
        #[serde(default)]
        levels: Vec<GflLevel>,
    },
}

/// The two outputs of one stride of a GFL head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GflLevel {
    /// The stride in input pixels.
    pub stride: u32,
    /// The `[B, N, C]` class score tensor.
    pub scores: String,
    /// The `[B, N, 4 x bins]` box distribution tensor.
    pub distributions: String,
}

impl OutputLayout {
    /// The output tensors this layout reads, by name; `None` stands for the model's only output.
    pub fn output_names(&self) -> Vec<Option<&str>> {
        match self {
            Self::BoxesWithObjectness { output }
            | Self::Boxes { output }
            | Self::BoxesChannelsFirst { output }
            | Self::YoloxGrid { output, .. } => vec![output.as_deref()],
            Self::Gfl { levels } => levels
                .iter()
                .flat_map(|l| [Some(l.scores.as_str()), Some(l.distributions.as_str())])
                .collect(),
        }
    }
}

/// The `(columns, rows)` of the feature grid at `stride` for a `width` x `height` input; a
/// partial cell at the edge counts, as with a padded stride-2 convolution.
pub(crate) fn grid_size(width: u32, height: u32, stride: u32) -> (usize, usize) {
    (
        width.div_ceil(stride) as usize,
        height.div_ceil(stride) as usize,
    )
}

/// The number of cells over all `strides` for a `width` x `height` input.
pub(crate) fn grid_cells(width: u32, height: u32, strides: &[u32]) -> usize {
    strides
        .iter()
        .map(|&s| {
            let (cols, rows) = grid_size(width, height, s);
            cols * rows
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_640_input_has_8400_cells_over_strides_8_16_32() {
        assert_eq!(grid_cells(640, 640, &[8, 16, 32]), 8400);
        assert_eq!(grid_size(416, 416, 32), (13, 13));
    }

    #[test]
    fn gfl_layout_reads_both_maps_of_every_level() {
        let layout = OutputLayout::Gfl {
            levels: vec![GflLevel {
                stride: 8,
                scores: "s".into(),
                distributions: "d".into(),
            }],
        };
        assert_eq!(layout.output_names(), [Some("s"), Some("d")]);
    }
}
