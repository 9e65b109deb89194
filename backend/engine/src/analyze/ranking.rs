//! The quantizer groups ordered by the error analysis: a group is as sensitive as the worst
//! of its quantizers (by output error alone where it was measured), so the partial search can
//! revert first the groups where the error enters.

use std::collections::HashMap;
use std::fmt::Write;

use super::ErrorAnalysis;
use crate::Result;
use crate::onnx::proto::ModelProto;
use crate::quantize::{QuantConfig, model_group_members, model_groups};

/// The severity of a group none of whose tensors the analysis lists: no error seen.
const NO_ERROR_DB: f64 = 120.0;

/// Every quantizer group of `model` for `config`, least sensitive first, with its severity
/// (dB, lower is worse): the worst [`super::TensorError::severity`] among the tensors its
/// nodes produce, or that its layer reads where no node produces them (the model input).
pub fn group_ranking(
    analysis: &ErrorAnalysis,
    model: &ModelProto,
    config: impl Into<QuantConfig>,
) -> Result<Vec<(String, f64)>> {
    let config = config.into();
    let members = model_group_members(model, config)?;
    let mut worst: HashMap<String, f64> = model_groups(model, config)?
        .into_iter()
        .map(|g| (g.name, NO_ERROR_DB))
        .collect();
    for tensor in &analysis.tensors {
        let groups: Vec<&String> = match members.get(&tensor.tensor) {
            Some(group) => vec![group],
            None => tensor.layers.iter().collect(),
        };
        for group in groups {
            if let Some(db) = worst.get_mut(group) {
                *db = db.min(tensor.severity());
            }
        }
    }
    let mut ranking: Vec<(String, f64)> = worst.into_iter().collect();
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranking)
}

/// `ranking` as a sensitivity file (`qbound quantize --sensitivity-file`): one
/// `group severity-dB` line per group, least sensitive first, under a comment saying what
/// ordered it.
pub fn ranking_text(analysis: &ErrorAnalysis, ranking: &[(String, f64)]) -> String {
    let by = if analysis.output_images > 0 {
        "output error alone"
    } else {
        "local error"
    };
    let mut text = format!(
        "# qbound analyze: groups by the worst {by} (SQNR dB) of their quantizers, least sensitive first\n"
    );
    for (group, db) in ranking {
        let _ = writeln!(text, "{group} {db:.3}");
    }
    text
}
