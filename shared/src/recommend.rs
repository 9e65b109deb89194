//! Which point of a run to ship: the fastest measured model whose accuracy drop stays within
//! the budget, or the float model with the reason when none does.

use serde::{Deserialize, Serialize};

use crate::config::{Boundary, RunConfig};
use crate::runs::{FLOAT_LABEL, TradeoffPoint};

/// The accuracy budget of a run that does not set one (a sweep, a fixed count): at least
/// 98% of the float model's accuracy.
pub const DEFAULT_MAX_DROP: f64 = 0.02;

/// The point a run recommends (`GET /api/runs/{id}`, field `recommended`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recommendation {
    /// The recommended point's label; `fp32` when no quantized model meets the budget.
    pub label: String,
    /// Whether a quantized model is within the budget and faster than the float model.
    pub within_budget: bool,
    /// The largest accepted relative accuracy drop it was chosen against (0.02: 2%).
    pub max_drop: f64,
    /// The batch size whose throughput decided "fastest".
    pub batch_size: i64,
    /// The recommended point's relative accuracy drop from the float model.
    pub accuracy_drop: f64,
    /// Its throughput over the float model's at `batch_size` (1 for the float model).
    pub speedup: f64,
    /// Why this point, in one sentence.
    pub reason: String,
}

impl RunConfig {
    /// The run's accuracy budget: its max drop, or [`DEFAULT_MAX_DROP`].
    pub fn accuracy_budget(&self) -> f64 {
        match self.boundary {
            Boundary::MaxDrop { max_drop } => max_drop,
            _ => DEFAULT_MAX_DROP,
        }
    }
}

/// Drops this close to the budget count as within it (rounding of stored scores).
const TOLERANCE: f64 = 1e-9;

/// The recommendation among `points` for a relative `max_drop`, judged by throughput at the
/// largest of `batch_sizes` the float model was measured at; `None` until the float model
/// has both an accuracy and a throughput.
pub fn recommend(
    points: &[TradeoffPoint],
    max_drop: f64,
    batch_sizes: &[i64],
) -> Option<Recommendation> {
    let float = points.iter().find(|p| p.label == FLOAT_LABEL)?;
    let float_accuracy = float.accuracy.filter(|a| *a > 0.0)?;
    let batch_size = batch_sizes
        .iter()
        .copied()
        .filter(|&b| float.images_per_second(b).is_some_and(|v| v > 0.0))
        .max()?;
    let float_speed = float.images_per_second(batch_size)?;
    let drop_of = |accuracy: f64| 1.0 - accuracy / float_accuracy;
    let measured: Vec<(&TradeoffPoint, f64, f64)> = points
        .iter()
        .filter(|p| !p.is_float_model())
        .filter_map(|p| {
            Some((
                p,
                drop_of(p.accuracy?),
                p.images_per_second(batch_size)? / float_speed,
            ))
        })
        .collect();
    let best = measured
        .iter()
        .filter(|(_, drop, speedup)| *drop <= max_drop + TOLERANCE && *speedup > 1.0)
        .max_by(|a, b| a.2.total_cmp(&b.2));
    let budget = format!("{}%", percent(max_drop));
    if let Some(&(point, drop, speedup)) = best {
        return Some(Recommendation {
            label: point.label.clone(),
            within_budget: true,
            max_drop,
            batch_size,
            accuracy_drop: drop,
            speedup,
            reason: format!(
                "the fastest model within the {budget} budget: {speedup:.2}x FP32 at batch {batch_size}, accuracy {}% below the float model",
                percent(drop.max(0.0))
            ),
        });
    }
    let float_only = points
        .iter()
        .any(|p| p.label != FLOAT_LABEL && p.is_float_model());
    let within = measured
        .iter()
        .any(|(_, drop, _)| *drop <= max_drop + TOLERANCE);
    let why = if float_only && measured.is_empty() {
        "the max-drop search kept every layer float"
    } else if within {
        "the quantized models within it are not faster than FP32"
    } else if measured.is_empty() {
        "no quantized model was measured"
    } else {
        "every quantized model loses more accuracy than that"
    };
    Some(Recommendation {
        label: FLOAT_LABEL.to_owned(),
        within_budget: false,
        max_drop,
        batch_size,
        accuracy_drop: 0.0,
        speedup: 1.0,
        reason: format!(
            "no partial model within the {budget} budget ({why}): ship the float model"
        ),
    })
}

/// `0.02` as `2`, `0.005` as `0.5`: a fraction in percent, at most two decimals.
fn percent(fraction: f64) -> String {
    let text = format!("{:.2}", fraction * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, accuracy: f64, bs32: f64, quantized: i64) -> TradeoffPoint {
        TradeoffPoint {
            label: label.into(),
            float_layer_count: Some(34 - quantized),
            quantized_layer_count: Some(quantized),
            accuracy: Some(accuracy),
            throughput: [("1".to_owned(), bs32 / 2.0), ("32".to_owned(), bs32)].into(),
            ..TradeoffPoint::default()
        }
    }

    #[test]
    fn the_fastest_point_within_the_budget_is_recommended() {
        let points = [
            point("fp32", 1.0, 100.0, 0),
            point("int8", 0.90, 250.0, 34),
            point("int8-keep2", 0.985, 180.0, 32),
            point("int8-keep4", 0.99, 150.0, 30),
        ];
        let r = recommend(&points, 0.02, &[1, 32]).unwrap();
        assert_eq!(r.label, "int8-keep2");
        assert!(r.within_budget);
        assert_eq!(r.batch_size, 32);
        assert!((r.speedup - 1.8).abs() < 1e-9);
        assert!(r.reason.contains("2% budget"), "{}", r.reason);
    }

    #[test]
    fn a_max_drop_result_that_kept_every_layer_float_recommends_the_float_model() {
        let points = [
            point("fp32", 1.0, 100.0, 0),
            point("int8-maxdrop", 1.0, 99.0, 0),
        ];
        let r = recommend(&points, 0.02, &[1, 32]).unwrap();
        assert_eq!(r.label, FLOAT_LABEL);
        assert!(!r.within_budget);
        assert!(
            r.reason.contains(
                "no partial model within the 2% budget (the max-drop search kept every layer float)"
            ),
            "{}",
            r.reason
        );
    }

    #[test]
    fn a_model_slower_than_fp32_is_never_recommended() {
        let points = [
            point("fp32", 1.0, 100.0, 0),
            point("int8-keep8", 0.995, 90.0, 26),
        ];
        let r = recommend(&points, 0.01, &[32]).unwrap();
        assert_eq!(r.label, FLOAT_LABEL);
        assert!(r.reason.contains("not faster than FP32"), "{}", r.reason);
    }

    #[test]
    fn nothing_is_recommended_before_the_float_model_is_measured() {
        let mut float = point("fp32", 1.0, 100.0, 0);
        float.accuracy = None;
        assert_eq!(recommend(&[float], 0.02, &[32]), None);
    }
}
