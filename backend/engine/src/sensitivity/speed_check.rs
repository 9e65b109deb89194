//! Whether a partial model is faster than the float model it would replace: the timing
//! decides only when it is clear beyond its own spread, else the cost table's estimate does,
//! so a busy machine cannot flip the answer.

use serde::{Deserialize, Serialize};

use super::GroupCosts;
use super::reverts::partial_model;
use super::search::SearchSpace;
use crate::bench::{BenchConfig, BenchModel, BenchResult, benchmark};
use crate::{Error, Result};

/// Timed bs1 runs of each model, interleaved.
const TIMED_RUNS: usize = 9;

/// What decided a speed comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpeedEvidence {
    /// The timed runs did not overlap: every run of one model beat every run of the other.
    Measured,
    /// The timed runs overlapped, so the difference was within their spread: the estimate
    /// from the cost table decided.
    Estimated,
}

/// A partial model's bs1 speed against the float model's, and what decided whether it is
/// faster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedCheck {
    /// The float model's fastest, median and slowest timed run, milliseconds.
    pub float_ms: [f64; 3],
    /// The partial model's fastest, median and slowest timed run, milliseconds.
    pub candidate_ms: [f64; 3],
    /// The measured speed-up: the float model's median over the partial model's.
    pub measured_speedup: f64,
    /// The speed-up the cost table estimates.
    pub estimated_speedup: Option<f64>,
    /// What decided.
    pub evidence: SpeedEvidence,
    /// Whether the partial model counts as faster.
    pub faster: bool,
}

impl SpeedCheck {
    /// Decides from the two models' timed runs: faster when every candidate run beat every
    /// float run, slower when every float run beat every candidate run, and otherwise as
    /// `estimated_speedup` says (as the medians say when there is no estimate).
    pub fn decide(
        float: &BenchResult,
        candidate: &BenchResult,
        estimated_speedup: Option<f64>,
    ) -> Self {
        let measured_speedup = float.median_ms / candidate.median_ms;
        let clear = if candidate.max_ms < float.min_ms {
            Some(true)
        } else if candidate.min_ms > float.max_ms {
            Some(false)
        } else {
            None
        };
        let (evidence, faster) = match (clear, estimated_speedup) {
            (Some(faster), _) => (SpeedEvidence::Measured, faster),
            (None, Some(estimate)) => (SpeedEvidence::Estimated, estimate > 1.0),
            (None, None) => (SpeedEvidence::Measured, measured_speedup > 1.0),
        };
        Self {
            float_ms: [float.min_ms, float.median_ms, float.max_ms],
            candidate_ms: [candidate.min_ms, candidate.median_ms, candidate.max_ms],
            measured_speedup,
            estimated_speedup,
            evidence,
            faster,
        }
    }
}

/// Times the model with `float` groups float against the float model at batch 1,
/// interleaved, and decides whether it is faster (see [`SpeedCheck::decide`]).
pub(super) fn check_speed(
    space: &SearchSpace<'_>,
    float: &[String],
    costs: Option<&GroupCosts>,
) -> Result<SpeedCheck> {
    let models = [
        BenchModel {
            label: "float".into(),
            model: space.model.clone(),
        },
        BenchModel {
            label: "candidate".into(),
            model: partial_model(space, float)?,
        },
    ];
    let config = BenchConfig {
        batch_sizes: vec![1],
        timed_runs: TIMED_RUNS,
        ..BenchConfig::default()
    };
    let results = benchmark(&models, &config, &mut |_, _| {})?;
    let timed = |label: &str| {
        results
            .iter()
            .find(|r| r.label == label)
            .ok_or_else(|| Error::Runtime(format!("the benchmark did not time `{label}`")))
    };
    Ok(SpeedCheck::decide(
        timed("float")?,
        timed("candidate")?,
        costs.map(|c| c.estimated_speedup(float)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(min_ms: f64, median_ms: f64, max_ms: f64) -> BenchResult {
        BenchResult {
            label: String::new(),
            batch_size: 1,
            median_ms,
            min_ms,
            max_ms,
            images_per_second: 1000.0 / median_ms,
            runs: TIMED_RUNS,
            provider: "cpu".into(),
            device: "cpu".into(),
        }
    }

    #[test]
    fn separate_timings_decide_whatever_the_estimate() {
        let float = timed(20.0, 21.0, 22.0);
        let check = SpeedCheck::decide(&float, &timed(14.0, 15.0, 19.0), Some(0.9));
        assert_eq!(
            (check.evidence, check.faster),
            (SpeedEvidence::Measured, true)
        );
        assert!((check.measured_speedup - 1.4).abs() < 1e-9);
        let check = SpeedCheck::decide(&float, &timed(23.0, 25.0, 30.0), Some(1.2));
        assert_eq!(
            (check.evidence, check.faster),
            (SpeedEvidence::Measured, false)
        );
    }

    #[test]
    fn overlapping_timings_leave_the_decision_to_the_estimate() {
        let float = timed(20.0, 21.0, 40.0);
        let candidate = timed(15.0, 30.0, 45.0);
        let check = SpeedCheck::decide(&float, &candidate, Some(1.3));
        assert_eq!(
            (check.evidence, check.faster),
            (SpeedEvidence::Estimated, true)
        );
        let check = SpeedCheck::decide(&float, &candidate, Some(0.95));
        assert!(!check.faster);
        let check = SpeedCheck::decide(&float, &candidate, None);
        assert_eq!(
            (check.evidence, check.faster),
            (SpeedEvidence::Measured, false)
        );
    }
}
