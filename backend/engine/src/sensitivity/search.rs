//! `--max-drop`: the smallest set of float layers whose accuracy drop stays within a bound.

use serde::Serialize;

use super::boundary::{FloatSelection, float_groups};
use super::{Score, Scorer};
use crate::calibrate::ActivationRanges;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, Target, quantize_model};
use crate::{Error, Result};

/// The outcome of a max-drop search.
#[derive(Debug, Clone, Serialize)]
pub struct MaxDropChoice {
    /// How many of the most sensitive layers stay float.
    pub keep_float: usize,
    /// The float layers, most sensitive first.
    pub float_layers: Vec<String>,
    /// The chosen model's score by the verifying scorer.
    pub score: Score,
    /// The float model's score by the verifying scorer.
    pub float_score: Score,
    /// Relative drop of the primary score: `1 - score / float_score`.
    pub drop: f64,
    /// Every (keep_float, score) the search evaluated with the searching scorer.
    pub search_steps: Vec<(usize, Score)>,
}

/// What the search needs: the model, its calibration, the placement and the ranking.
pub struct SearchSpace<'a> {
    /// The float model.
    pub model: &'a ModelProto,
    /// Calibrated ranges by tensor.
    pub ranges: &'a ActivationRanges,
    /// Q/DQ placement.
    pub target: Target,
    /// Layer names, least sensitive first.
    pub ranking: &'a [String],
}

/// Bisects along the ranking for the fewest float layers whose score stays at least
/// `(1 - max_drop)` of the float model's with `search` (a cheaper scorer, e.g. on fewer
/// images), then verifies the choice with `verify` (the full evaluation), keeping more
/// layers in float until the verified drop is within bounds.
pub fn search_max_drop(
    space: &SearchSpace<'_>,
    max_drop: f64,
    search: &mut dyn Scorer,
    verify: &mut dyn Scorer,
    on_step: &mut dyn FnMut(usize, Score),
) -> Result<MaxDropChoice> {
    if !(0.0..1.0).contains(&max_drop) {
        return Err(Error::InvalidInput(format!(
            "max drop {max_drop} must be in [0, 1), e.g. 0.02 for 2%"
        )));
    }
    let n = space.ranking.len();
    let search_float = search.score(space.model)?;
    let mut steps = Vec::new();
    let score_at = |keep: usize, scorer: &mut dyn Scorer| -> Result<Score> {
        let float = float_groups(space.ranking, FloatSelection::KeepFloat(keep))?;
        let (candidate, _) = quantize_model(
            space.model,
            GroupSelection::AllExcept(&float),
            space.ranges,
            space.target,
        )?;
        scorer.score(&candidate)
    };
    let within = |score: Score, float: Score| score.primary >= (1.0 - max_drop) * float.primary;
    // Invariant: `hi` float layers are enough; `lo` are not (or lo is -1: nothing tried).
    let (mut lo, mut hi): (isize, usize) = (-1, n);
    while (hi as isize) - lo > 1 {
        let mid = ((lo + hi as isize) / 2) as usize;
        let score = score_at(mid, search)?;
        steps.push((mid, score));
        on_step(mid, score);
        if within(score, search_float) {
            hi = mid;
        } else {
            lo = mid as isize;
        }
    }
    let float_score = verify.score(space.model)?;
    let mut keep = hi;
    let mut score = if keep == n {
        float_score
    } else {
        score_at(keep, verify)?
    };
    while keep < n && !within(score, float_score) {
        keep += 1;
        score = if keep == n {
            float_score
        } else {
            score_at(keep, verify)?
        };
        on_step(keep, score);
    }
    let drop = if float_score.primary > 0.0 {
        1.0 - score.primary / float_score.primary
    } else {
        0.0
    };
    Ok(MaxDropChoice {
        keep_float: keep,
        float_layers: space.ranking[n - keep..].iter().rev().cloned().collect(),
        score,
        float_score,
        drop,
        search_steps: steps,
    })
}
