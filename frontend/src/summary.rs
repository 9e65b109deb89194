//! What a run's trade-off points come to: the best accuracy and the best speed-up over
//! the float model at each batch size.

use qbound_shared::TradeoffPoint;

/// The label of the float reference point.
pub const FLOAT_LABEL: &str = "fp32";

/// A run's headline numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunSummary {
    /// The float model's accuracy.
    pub float_accuracy: Option<f64>,
    /// The best accuracy of a quantized point.
    pub best_accuracy: Option<f64>,
    /// The best throughput of a quantized point over the float one, at batch 1.
    pub speedup_bs1: Option<f64>,
    /// The same at batch 32.
    pub speedup_bs32: Option<f64>,
}

impl RunSummary {
    /// Summarises `points` (the float point labelled `fp32`).
    pub fn of(points: &[TradeoffPoint]) -> Self {
        let float = points.iter().find(|p| p.label == FLOAT_LABEL);
        let quantized = || points.iter().filter(|p| p.label != FLOAT_LABEL);
        let best = |values: &mut dyn Iterator<Item = f64>| values.reduce(f64::max);
        let speedup = |batch: i64| {
            let base = float?.images_per_second(batch).filter(|v| *v > 0.0)?;
            best(&mut quantized().filter_map(|p| p.images_per_second(batch))).map(|v| v / base)
        };
        Self {
            float_accuracy: float.and_then(|p| p.accuracy),
            best_accuracy: best(&mut quantized().filter_map(|p| p.accuracy)),
            speedup_bs1: speedup(1),
            speedup_bs32: speedup(32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, accuracy: Option<f64>, bs1: f64, bs32: f64) -> TradeoffPoint {
        TradeoffPoint {
            label: label.into(),
            float_layer_count: None,
            quantized_layer_count: None,
            accuracy,
            accuracy50: None,
            metric: None,
            throughput: [("1".to_owned(), bs1), ("32".to_owned(), bs32)]
                .into_iter()
                .collect(),
            pareto: None,
        }
    }

    #[test]
    fn speedups_are_relative_to_the_float_point() {
        let points = [
            point("fp32", Some(42.4), 100.0, 200.0),
            point("int8-keep1", Some(42.1), 135.0, 312.0),
            point("int8-keep2", Some(42.3), 120.0, 300.0),
        ];
        let summary = RunSummary::of(&points);
        assert_eq!(summary.best_accuracy, Some(42.3));
        assert_eq!(summary.float_accuracy, Some(42.4));
        assert!((summary.speedup_bs1.unwrap() - 1.35).abs() < 1e-9);
        assert!((summary.speedup_bs32.unwrap() - 1.56).abs() < 1e-9);
    }

    #[test]
    fn nothing_measured_means_nothing_to_say() {
        assert_eq!(RunSummary::of(&[]), RunSummary::default());
    }
}
