//! The engine's error analysis in the API's shapes, for the worker's result and the command
//! line's `--json` and `--csv` alike.

use qbound_engine::analyze::{self, Cause};
use qbound_shared::{CauseKind, ErrorAnalysis, ErrorCause, TensorError};

/// `analysis` as the API writes it.
pub fn api_analysis(analysis: &analyze::ErrorAnalysis) -> ErrorAnalysis {
    ErrorAnalysis {
        images: analysis.images,
        output_images: analysis.output_images,
        tensors: analysis.tensors.iter().map(api_tensor).collect(),
    }
}

fn api_tensor(t: &analyze::TensorError) -> TensorError {
    TensorError {
        tensor: t.tensor.clone(),
        position: t.position,
        low: t.low,
        high: t.high,
        step: t.step,
        clipped: t.clipped,
        levels_used: t.levels_used,
        channel_spread: t.channel_spread,
        local_sqnr_db: t.local_sqnr_db,
        cumulative_sqnr_db: t.cumulative_sqnr_db,
        output_sqnr_db: t.output_sqnr_db,
        flagged: t.flagged,
        causes: t.causes.iter().map(api_cause).collect(),
        layers: t.layers.clone(),
    }
}

fn api_cause(cause: &Cause) -> ErrorCause {
    let (kind, figure) = match *cause {
        Cause::WideRange { levels_used } => (CauseKind::WideRange, levels_used),
        Cause::HeavyClipping { clipped } => (CauseKind::HeavyClipping, clipped),
        Cause::MixedChannels { spread } => (CauseKind::MixedChannels, spread),
        Cause::Amplified { gain_db } => (CauseKind::Amplified, gain_db),
    };
    ErrorCause {
        kind,
        figure,
        text: cause.to_string(),
    }
}
