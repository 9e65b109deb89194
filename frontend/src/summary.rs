//! What a run comes to in one line of the history or of a comparison: its recommended point,
//! with that same point's accuracy and speed-ups.

use qbound_shared::{FLOAT_LABEL, Metric, Recommendation, RunRecord, TradeoffPoint, recommend};

/// A run's headline numbers, all of one point: the recommended one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// The point to ship and why; `None` until the float model is measured.
    pub recommendation: Option<Recommendation>,
    /// The float model's accuracy.
    pub float_accuracy: Option<f64>,
    /// The recommended point's accuracy.
    pub accuracy: Option<f64>,
    /// How accuracy was measured (`map`, `agreement`).
    pub metric: Option<Metric>,
    /// The recommended point's throughput over the float one, at batch 1.
    pub speedup_bs1: Option<f64>,
    /// The same at batch 32.
    pub speedup_bs32: Option<f64>,
}

impl RunSummary {
    /// Summarises `run`'s `points` against the run's accuracy budget.
    pub fn of(run: &RunRecord, points: &[TradeoffPoint]) -> Self {
        let recommendation = recommend(
            points,
            run.config.accuracy_budget(),
            &run.config.benchmark.batch_sizes,
        );
        let float = points.iter().find(|p| p.label == FLOAT_LABEL);
        let chosen = recommendation
            .as_ref()
            .and_then(|r| points.iter().find(|p| p.label == r.label));
        let speedup = |batch: i64| {
            let base = float?.images_per_second(batch).filter(|v| *v > 0.0)?;
            chosen?.images_per_second(batch).map(|v| v / base)
        };
        Self {
            float_accuracy: float.and_then(|p| p.accuracy),
            accuracy: chosen.and_then(|p| p.accuracy),
            metric: points.iter().find_map(|p| p.metric),
            speedup_bs1: speedup(1),
            speedup_bs32: speedup(32),
            recommendation,
        }
    }

    /// The recommended point in a few words: its label, or that no partial model met the
    /// budget.
    pub fn headline(&self) -> String {
        match &self.recommendation {
            None => "–".into(),
            Some(r) if r.within_budget => r.label.clone(),
            Some(_) => "no partial model within the budget".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbound_shared::{
        BenchmarkConfig, Boundary, CalibrationMethod, ExportBatchSize, RunConfig, Target,
    };

    fn run(boundary: Boundary) -> RunRecord {
        RunRecord {
            run_id: 1,
            name: "r".into(),
            model_id: 1,
            calibration_dataset_id: 1,
            validation_dataset_id: Some(2),
            config: RunConfig {
                name: None,
                model_id: 1,
                calibration_dataset_id: 1,
                validation_dataset_id: Some(2),
                profile: "nanodet".into(),
                calibration_method: CalibrationMethod::Max,
                calibration_images: None,
                recovery: vec![],
                sensitivity: None,
                boundary,
                target: Target::OrtCpu,
                export_batch_sizes: vec![ExportBatchSize::Fixed(1)],
                benchmark: BenchmarkConfig::default(),
                build_engine: false,
                tags: vec![],
            },
            status: "succeeded".into(),
            tags: vec![],
            notes: String::new(),
            created_at: 0,
            updated_at: 0,
            sensitivity_split_half: None,
            sensitivity_reliability: None,
            recommended: None,
        }
    }

    fn point(label: &str, accuracy: f64, bs1: f64, bs32: f64, quantized: i64) -> TradeoffPoint {
        TradeoffPoint {
            label: label.into(),
            quantized_layer_count: Some(quantized),
            accuracy: Some(accuracy),
            metric: Some(Metric::Agreement),
            throughput: [("1".to_owned(), bs1), ("32".to_owned(), bs32)].into(),
            ..TradeoffPoint::default()
        }
    }

    #[test]
    fn accuracy_and_speedups_come_from_the_same_point() {
        let points = [
            point("fp32", 1.0, 100.0, 200.0, 0),
            point("int8", 0.80, 300.0, 600.0, 34),
            point("int8-keep1", 0.99, 135.0, 312.0, 33),
        ];
        let summary = RunSummary::of(
            &run(Boundary::Sweep {
                keep_float: vec![1],
            }),
            &points,
        );
        assert_eq!(summary.headline(), "int8-keep1");
        assert_eq!(summary.accuracy, Some(0.99));
        assert!((summary.speedup_bs1.unwrap() - 1.35).abs() < 1e-9);
        assert!((summary.speedup_bs32.unwrap() - 1.56).abs() < 1e-9);
        assert_eq!(summary.metric, Some(Metric::Agreement));
    }

    #[test]
    fn a_max_drop_run_that_kept_everything_float_says_so() {
        let points = [
            point("fp32", 1.0, 100.0, 200.0, 0),
            point("int8-maxdrop", 1.0, 100.0, 199.0, 0),
        ];
        let summary = RunSummary::of(&run(Boundary::MaxDrop { max_drop: 0.02 }), &points);
        assert_eq!(summary.headline(), "no partial model within the budget");
        assert_eq!(summary.speedup_bs32, Some(1.0));
    }

    #[test]
    fn nothing_measured_means_nothing_to_say() {
        let summary = RunSummary::of(&run(Boundary::All), &[]);
        assert_eq!(summary.headline(), "–");
        assert_eq!(summary.accuracy, None);
    }
}
