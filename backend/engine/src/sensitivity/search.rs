//! `--max-drop`: the fewest float groups whose accuracy drop stays within a bound, found by
//! reverting groups one at a time from full INT8, most sensitive first, keeping a revert only
//! when it measurably helps; never a model slower than the float one it replaces. No timing
//! decides the order or, unless it is clear beyond its spread, the speed: the same inputs give
//! the same float set on a quiet and on a busy machine.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::reverts::{Log, Reverts, score_with};
use super::speed_check::check_speed;
use super::{GroupCosts, Score, Scorer, SpeedCheck};
use crate::calibrate::Calibration;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, Target};
use crate::{Error, Result};

/// How a max-drop search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaxDropOutcome {
    /// Full INT8 is within the budget.
    FullInt8,
    /// A partial model is within the budget and faster than the float model.
    Partial,
    /// No quantized model within the budget beats the float model: the result is the float
    /// model.
    Float,
}

/// One model the search scored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchStep {
    /// The group reverted to float in this step (none: full INT8).
    pub group: Option<String>,
    /// How many groups were float in the scored model.
    pub float_groups: usize,
    /// Its score.
    pub score: Score,
    /// Whether the step was kept: a revert that helped, or (when pruning) a group that went
    /// back to INT8 because the budget held without it.
    pub kept: bool,
    /// Whether the verifying scorer (the full evaluation) scored it.
    pub verified: bool,
    /// The scored model's bs1 speed-up over the float model estimated from the measured
    /// per-group costs (`ort-cpu` only).
    pub estimated_speedup: Option<f64>,
}

/// The outcome of a max-drop search, with what its decisions were based on (the cost table,
/// the speed check), so that a report read back rebuilds the same model without searching.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaxDropChoice {
    /// How it ended.
    pub outcome: MaxDropOutcome,
    /// How many groups stay float (every ranked one for [`MaxDropOutcome::Float`]).
    pub keep_float: usize,
    /// The float groups, in the order they were reverted (most sensitive first).
    pub float_layers: Vec<String>,
    /// The chosen model's score by the verifying scorer.
    pub score: Score,
    /// The float model's score by the verifying scorer.
    pub float_score: Score,
    /// Relative drop of the primary score: `1 - score / float_score`.
    pub drop: f64,
    /// The chosen model's bs1 throughput over the float model's, measured interleaved
    /// (`ort-cpu` only: other targets are not run where they are deployed).
    pub speedup: Option<f64>,
    /// How it was decided whether the chosen model is faster than the float model
    /// (`ort-cpu` only).
    #[serde(default)]
    pub speed_check: Option<SpeedCheck>,
    /// Every model the search scored, in order.
    pub search_steps: Vec<SearchStep>,
    /// The cost of keeping each group float (`ort-cpu` only): the work that ordered the
    /// reverts, the measured times behind each estimate, the profiled input's seed.
    pub group_costs: Option<GroupCosts>,
    #[serde(skip)]
    float_set: OnceLock<HashSet<String>>,
}

impl MaxDropChoice {
    /// What to quantize for this choice.
    pub fn selection(&self) -> GroupSelection<'_> {
        match self.outcome {
            MaxDropOutcome::Float => GroupSelection::Nothing,
            _ => GroupSelection::AllExcept(
                self.float_set
                    .get_or_init(|| self.float_layers.iter().cloned().collect()),
            ),
        }
    }
}

/// What the search needs: the model, its calibration, the placement and the ranking.
pub struct SearchSpace<'a> {
    /// The float model.
    pub model: &'a ModelProto,
    /// Calibrated ranges by tensor.
    pub ranges: &'a Calibration,
    /// Q/DQ placement.
    pub target: Target,
    /// Group names, least sensitive first.
    pub ranking: &'a [String],
}

/// Searches for the fewest float groups whose score stays at least `(1 - max_drop)` of the
/// float model's. From full INT8, the groups are reverted to float one at a time in order of
/// sensitivity (most sensitive first; for `ort-cpu`, the cheapest of the next
/// few equally ranked by the [`GroupCosts`] work) and a revert is kept only when it
/// raises `search`'s score (a cheaper scorer, e.g. on fewer images); the result is then verified with `verify`
/// (the full evaluation), reverting further with it when the verified drop is too large, and
/// every float group the verified budget does not need goes back to INT8. A
/// model that ends up outside the budget, or (for `ort-cpu`) no faster than the float model
/// at batch 1 by a [`SpeedCheck`], gives way to the float model itself. Equally ranked groups
/// are ordered by [`GroupCosts::cheapest_first`], never by a timing. `on_step` hears (float
/// groups, score).
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
    let within = |score: Score, float: Score| score.primary >= (1.0 - max_drop) * float.primary;
    let mut log = Log::measured(space, on_step)?;
    let mut reverts = Reverts::new(space);
    let search_float = search.score(space.model)?;
    reverts.revert_while_short(
        (1.0 - max_drop) * search_float.primary,
        search,
        false,
        &mut log,
    )?;
    let float_score = verify.score(space.model)?;
    let mut verified = reverts.revert_while_short(
        (1.0 - max_drop) * float_score.primary,
        verify,
        true,
        &mut log,
    )?;
    let mut float = reverts.float;

    // Every float group must be needed: one whose return to INT8 keeps the budget goes back.
    if within(verified, float_score) {
        for position in (0..float.len()).rev() {
            let group = float.remove(position);
            let score = score_with(space, &float, verify)?;
            let needed = !within(score, float_score);
            log.record(Some(&group), &float, score, !needed, true);
            if needed {
                float.insert(position, group);
            } else {
                verified = score;
            }
        }
    }

    let mut outcome = if !within(verified, float_score) {
        MaxDropOutcome::Float
    } else if float.is_empty() {
        MaxDropOutcome::FullInt8
    } else {
        MaxDropOutcome::Partial
    };
    let speed_check = match (outcome, space.target) {
        (MaxDropOutcome::Float, _) | (_, Target::TensorRt) => None,
        (_, Target::OrtCpu) => Some(check_speed(space, &float, log.costs.as_ref())?),
    };
    if speed_check.as_ref().is_some_and(|c| !c.faster) {
        outcome = MaxDropOutcome::Float;
    }
    let (float, score) = match outcome {
        MaxDropOutcome::Float => (space.ranking.iter().rev().cloned().collect(), float_score),
        _ => (float, verified),
    };
    let drop = if float_score.primary > 0.0 {
        1.0 - score.primary / float_score.primary
    } else {
        0.0
    };
    Ok(MaxDropChoice {
        outcome,
        keep_float: float.len(),
        float_set: OnceLock::new(),
        float_layers: float,
        score,
        float_score,
        drop,
        speedup: speed_check.as_ref().map(|c| c.measured_speedup),
        speed_check,
        search_steps: log.steps,
        group_costs: log.costs,
    })
}
