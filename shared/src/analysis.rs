//! Where the INT8 error enters (`/api/runs/{id}/analysis`, `qbound analyze --json`): for
//! every quantized tensor of a run's full-INT8 model, in graph order, the error its quantizer
//! adds alone and the error the quantized model has gathered by it.

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

/// The per-tensor error analysis of a run's full-INT8 model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorAnalysis {
    /// How many images were analysed.
    pub images: usize,
    /// How many of them also measured each quantizer's output error alone (0: not measured).
    #[serde(default)]
    pub output_images: usize,
    /// Every quantized tensor, in graph order.
    pub tensors: Vec<TensorError>,
}

/// The error at one quantized tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TensorError {
    /// The tensor's name in the model.
    pub tensor: String,
    /// Its place among the quantized tensors, in graph order, from 0.
    pub position: usize,
    /// The quantizer's lowest value.
    pub low: f32,
    /// The quantizer's highest value.
    pub high: f32,
    /// The distance between two levels.
    pub step: f32,
    /// The share (0 to 1) of the float values outside the range.
    pub clipped: f64,
    /// How many levels hold the middle 99% of the float values.
    pub levels_used: f64,
    /// The largest channel range over the median one (1 for one channel).
    pub channel_spread: f64,
    /// Signal-to-quantization-noise ratio (dB) of what the tensor feeds with this quantizer
    /// alone on float values: the error the tensor adds.
    pub local_sqnr_db: f64,
    /// Signal-to-noise ratio (dB) of the full-INT8 model's tensor against the float one: the
    /// error gathered by this point of the graph (120 dB: none).
    pub cumulative_sqnr_db: f64,
    /// Signal-to-noise ratio (dB) of the model's outputs with this activation quantizer alone
    /// (the others bypassed, the weights quantized): the error the detector sees from it;
    /// absent where it was not measured.
    #[serde(default)]
    pub output_sqnr_db: Option<f64>,
    /// Whether it is among the few worst: by output error where it was measured, else by
    /// local error.
    pub flagged: bool,
    /// What makes its error large: each figure past its threshold; a flagged tensor always
    /// has one (when none is past, amplification downstream where its output error is worse
    /// than its local one, else the figure nearest its threshold).
    #[serde(default)]
    pub causes: Vec<ErrorCause>,
    /// The quantizable layers that read it (names as in `/api/runs/{id}/layers`).
    #[serde(default)]
    pub layers: Vec<String>,
}

impl TensorError {
    /// What ranks the tensors, lower being worse: the output error where it was measured,
    /// else the local error (dB).
    pub fn severity(&self) -> f64 {
        self.output_sqnr_db.unwrap_or(self.local_sqnr_db)
    }
}

/// One likely cause of a large error at a tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorCause {
    /// Which cause.
    pub kind: CauseKind,
    /// The figure that shows it: the levels used (`wide-range`), the share clipped
    /// (`heavy-clipping`), the channel spread (`mixed-channels`) or how many dB the outputs'
    /// SQNR falls below the tensor's own (`amplified`).
    pub figure: f64,
    /// The cause in words, with its figure.
    pub text: String,
}

text_enum!(
    /// Why a tensor's quantization error is large.
    CauseKind("cause") {
        /// A wide range with most values near zero: rare extremes set the step.
        WideRange = "wide-range",
        /// Many values fall outside the range and are clipped.
        HeavyClipping = "heavy-clipping",
        /// Channels of very different ranges share one per-tensor scale.
        MixedChannels = "mixed-channels",
        /// No range figure stands out, but the layers after the tensor amplify its error.
        Amplified = "amplified",
    }
);

/// The CSV columns, in order.
const CSV_HEADER: &str = "position,tensor,low,high,step,clipped,levels_used,channel_spread,\
local_sqnr_db,cumulative_sqnr_db,output_sqnr_db,flagged,causes,layers";

/// `text` as a quoted CSV cell.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl ErrorAnalysis {
    /// The table as CSV, one row per tensor in graph order; causes and layers are each one
    /// cell, joined by `; `.
    pub fn to_csv(&self) -> String {
        let mut csv = format!("{CSV_HEADER}\n");
        for t in &self.tensors {
            let causes: Vec<&str> = t.causes.iter().map(|c| c.text.as_str()).collect();
            csv.push_str(&format!(
                "{},{},{},{},{},{:.6},{:.1},{:.2},{:.2},{:.2},{},{},{},{}\n",
                t.position,
                quoted(&t.tensor),
                t.low,
                t.high,
                t.step,
                t.clipped,
                t.levels_used,
                t.channel_spread,
                t.local_sqnr_db,
                t.cumulative_sqnr_db,
                t.output_sqnr_db
                    .map_or_else(String::new, |db| format!("{db:.2}")),
                t.flagged,
                quoted(&causes.join("; ")),
                quoted(&t.layers.join("; ")),
            ));
        }
        csv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, position: usize, causes: Vec<ErrorCause>) -> TensorError {
        TensorError {
            tensor: name.into(),
            position,
            low: -1.5,
            high: 2.0,
            step: 0.25,
            clipped: 0.002,
            levels_used: 12.0,
            channel_spread: 3.0,
            local_sqnr_db: 21.456,
            cumulative_sqnr_db: 9.0,
            output_sqnr_db: Some(14.0),
            flagged: !causes.is_empty(),
            causes,
            layers: vec!["conv 1".into(), "conv 2".into()],
        }
    }

    #[test]
    fn the_csv_has_a_row_per_tensor_with_quoted_names_and_causes() {
        let cause = |kind, figure, text: &str| ErrorCause {
            kind,
            figure,
            text: text.into(),
        };
        let analysis = ErrorAnalysis {
            images: 2,
            output_images: 2,
            tensors: vec![
                tensor("input", 0, vec![]),
                tensor(
                    "a \"quoted\", name",
                    1,
                    vec![
                        cause(CauseKind::WideRange, 12.0, "wide range"),
                        cause(CauseKind::HeavyClipping, 0.002, "heavy clipping"),
                    ],
                ),
            ],
        };
        let csv = analysis.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].split(',').count(), 14);
        assert_eq!(
            lines[1],
            "0,\"input\",-1.5,2,0.25,0.002000,12.0,3.00,21.46,9.00,14.00,false,\"\",\"conv 1; conv 2\""
        );
        assert!(
            lines[2].starts_with("1,\"a \"\"quoted\"\", name\",")
                && lines[2].contains(",true,\"wide range; heavy clipping\","),
            "{}",
            lines[2]
        );
    }
}
