//! The greedy path from full INT8 as a value: every revert tried, in order, so that partial
//! models with more float groups are built from its prefixes and never score lower.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::reverts::{Log, Reverts, score_with};
use super::search::{SearchSpace, SearchStep};
use super::{Score, Scorer};
use crate::Result;

/// One greedy path: the full-INT8 score and each revert tried after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GreedyPath {
    /// The full-INT8 model's score.
    pub start: Score,
    /// Each revert tried, in order: kept when it raised the score.
    pub steps: Vec<SearchStep>,
}

impl GreedyPath {
    /// The first `count` groups the path kept float (all of them when it kept fewer).
    pub fn float_groups(&self, count: usize) -> Vec<String> {
        self.kept()
            .take(count)
            .map(|s| s.group.clone().unwrap_or_default())
            .collect()
    }

    /// The score with the first `count` kept groups float.
    pub fn score_at(&self, count: usize) -> Score {
        match count.checked_sub(1) {
            None => self.start,
            Some(last) => self
                .kept()
                .take(last + 1)
                .last()
                .map_or(self.start, |s| s.score),
        }
    }

    /// How many groups the path kept float.
    pub fn kept_count(&self) -> usize {
        self.kept().count()
    }

    /// The groups tried and left INT8 before the `count`-th kept one (before the end when
    /// the path kept fewer).
    pub fn skipped_before(&self, count: usize) -> Vec<String> {
        let mut kept = 0;
        let mut skipped = Vec::new();
        for step in &self.steps {
            if step.kept {
                kept += 1;
                if kept == count {
                    break;
                }
            } else if let Some(group) = &step.group {
                skipped.push(group.clone());
            }
        }
        skipped
    }

    /// The first `count` kept groups as a set, for [`crate::quantize::GroupSelection`].
    pub fn float_set(&self, count: usize) -> HashSet<String> {
        self.float_groups(count).into_iter().collect()
    }

    fn kept(&self) -> impl Iterator<Item = &SearchStep> {
        self.steps.iter().filter(|s| s.kept && s.group.is_some())
    }
}

/// Walks the greedy path (see [`super::search_max_drop`]) until `count` groups are kept float
/// or no further revert helps within the path's tries. `on_step` hears (float groups,
/// score) of each scored model.
pub fn greedy_path(
    space: &SearchSpace<'_>,
    count: usize,
    scorer: &mut dyn Scorer,
    on_step: &mut dyn FnMut(usize, Score),
) -> Result<GreedyPath> {
    let mut log = Log::measured(space, on_step)?;
    let mut reverts = Reverts::new(space);
    let start = score_with(space, &[], scorer)?;
    let mut current = start;
    while reverts.float.len() < count {
        match reverts.revert_one_helpful(current, scorer, false, &mut log)? {
            Some(score) => current = score,
            None => break,
        }
    }
    Ok(GreedyPath {
        start,
        steps: log.steps,
    })
}
