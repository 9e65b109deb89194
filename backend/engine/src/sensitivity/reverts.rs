//! The greedy path from full INT8 toward float shared by the max-drop search and the sweep:
//! groups reverted one at a time, most sensitive first (the cheapest of a few equally ranked
//! ones when their costs are measured), each kept only when it raises the score.

use std::collections::{HashSet, VecDeque};

use super::search::{SearchSpace, SearchStep};
use super::{GroupCosts, Score, Scorer};
use crate::Result;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, Target, quantize_model};

/// At most this many reverts are tried per path: past it the budget is out of reach of a
/// partial model worth shipping.
pub(super) const MAX_TRIALS: usize = 24;

/// Groups this close in the sensitivity ranking count as helping equally: one-at-a-time
/// rankings are noisy (split-half reliability 0.63 on the demo's 67 photos), so the ranking
/// is taken in blocks of this many, each tried cheapest first by the cost table's
/// multiply-accumulates, ties in ranking order (in blocks, so an expensive group waits for at
/// most two cheaper ones).
pub(super) const EQUAL_HELP_WINDOW: usize = 3;

/// The cost table the path orders its reverts by: measured for `ort-cpu`, where the
/// partial models run on this machine's CPU provider; none for other targets.
fn measured_costs(space: &SearchSpace<'_>) -> Result<Option<GroupCosts>> {
    match space.target {
        Target::OrtCpu => Ok(Some(GroupCosts::measure(
            space.model,
            space.ranges,
            space.target,
        )?)),
        Target::TensorRt => Ok(None),
    }
}

/// The model with the `float` groups float and every other group quantized.
pub(super) fn partial_model(space: &SearchSpace<'_>, float: &[String]) -> Result<ModelProto> {
    let set: HashSet<String> = float.iter().cloned().collect();
    let (model, _) = quantize_model(
        space.model,
        GroupSelection::AllExcept(&set),
        space.ranges,
        space.target,
    )?;
    Ok(model)
}

/// Scores the model with the `float` groups float.
pub(super) fn score_with(
    space: &SearchSpace<'_>,
    float: &[String],
    scorer: &mut dyn Scorer,
) -> Result<Score> {
    scorer.score(&partial_model(space, float)?)
}

/// The scored steps, the costs that order the reverts and estimate each step's speed, and
/// who hears of each step.
pub(super) struct Log<'a> {
    pub(super) steps: Vec<SearchStep>,
    pub(super) costs: Option<GroupCosts>,
    on_step: &'a mut dyn FnMut(usize, Score),
}

impl<'a> Log<'a> {
    /// No steps yet; the costs measured for `space` (see [`measured_costs`]).
    pub(super) fn measured(
        space: &SearchSpace<'_>,
        on_step: &'a mut dyn FnMut(usize, Score),
    ) -> Result<Self> {
        Ok(Self {
            steps: Vec::new(),
            costs: measured_costs(space)?,
            on_step,
        })
    }

    pub(super) fn record(
        &mut self,
        group: Option<&String>,
        float: &[String],
        score: Score,
        kept: bool,
        verified: bool,
    ) {
        (self.on_step)(float.len(), score);
        self.steps.push(SearchStep {
            group: group.cloned(),
            float_groups: float.len(),
            score,
            kept,
            verified,
            estimated_speedup: self.costs.as_ref().map(|c| c.estimated_speedup(float)),
        });
    }
}

/// Groups reverted to float so far, and those not tried yet: the current block in the order
/// it is tried, then the rest most sensitive first.
pub(super) struct Reverts<'a> {
    space: &'a SearchSpace<'a>,
    block: VecDeque<&'a String>,
    untried: VecDeque<&'a String>,
    /// The groups kept float, in the order they were reverted.
    pub(super) float: Vec<String>,
    trials: usize,
}

impl<'a> Reverts<'a> {
    /// Nothing reverted yet; the space's ranking gives the order.
    pub(super) fn new(space: &'a SearchSpace<'a>) -> Self {
        Self {
            space,
            block: VecDeque::new(),
            untried: space.ranking.iter().rev().collect(),
            float: Vec::new(),
            trials: 0,
        }
    }

    /// Scores the current float set with `scorer`, then reverts groups until the score
    /// reaches `goal` or no revert helps within [`MAX_TRIALS`] tries (counted afresh);
    /// returns the last kept score.
    pub(super) fn revert_while_short(
        &mut self,
        goal: f64,
        scorer: &mut dyn Scorer,
        verified: bool,
        log: &mut Log<'_>,
    ) -> Result<Score> {
        let mut current = score_with(self.space, &self.float, scorer)?;
        log.record(None, &self.float, current, true, verified);
        self.trials = 0;
        while current.primary < goal {
            match self.revert_one_helpful(current, scorer, verified, log)? {
                Some(score) => current = score,
                None => break,
            }
        }
        Ok(current)
    }

    /// Tries the next groups one at a time until one raises `current`'s score and keeps it
    /// float, returning the new score; `None` when the order runs out or [`MAX_TRIALS`] tries
    /// have been made.
    pub(super) fn revert_one_helpful(
        &mut self,
        current: Score,
        scorer: &mut dyn Scorer,
        verified: bool,
        log: &mut Log<'_>,
    ) -> Result<Option<Score>> {
        while self.trials < MAX_TRIALS {
            let Some(group) = self.take_next(log.costs.as_ref()) else {
                break;
            };
            self.trials += 1;
            self.float.push(group.clone());
            let score = score_with(self.space, &self.float, scorer)?;
            let kept = score.primary > current.primary;
            log.record(Some(group), &self.float, score, kept, verified);
            if kept {
                return Ok(Some(score));
            }
            self.float.pop();
        }
        Ok(None)
    }

    /// The next group to try: the rest of the current block, else a new block of the next
    /// [`EQUAL_HELP_WINDOW`] most sensitive untried groups, cheapest to keep float first by
    /// [`GroupCosts::cheapest_first`] (in ranking order without costs): never by a timing, so
    /// the order is the same on every run.
    fn take_next(&mut self, costs: Option<&GroupCosts>) -> Option<&'a String> {
        if self.block.is_empty() {
            let size = self.untried.len().min(EQUAL_HELP_WINDOW);
            self.block = self.untried.drain(..size).collect();
            if let Some(costs) = costs {
                costs.cheapest_first(self.block.make_contiguous());
            }
        }
        self.block.pop_front()
    }
}
