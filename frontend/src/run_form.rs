//! The new-run form's fields as typed text, their defaults, and their checks: the form
//! becomes a [`RunConfig`] or a list of problems to show before anything is sent.

use std::str::FromStr;

use qbound_shared::{
    BenchmarkConfig, Boundary, CalibrationMethod, Capability, ExportBatchSize, Metric,
    RecoveryPass, RunConfig, SensitivityConfig, SensitivityMode, Target,
};

/// The built-in model profiles the server knows.
pub const PROFILES: &[&str] = qbound_shared::PROFILES;
/// Calibration methods.
pub const METHODS: &[&str] = CalibrationMethod::NAMES;
/// Sensitivity metrics.
pub const METRICS: &[&str] = Metric::NAMES;
/// Sensitivity modes.
pub const MODES: &[&str] = SensitivityMode::NAMES;
/// Boundary kinds.
pub const BOUNDARIES: &[&str] = Boundary::KINDS;
/// Quantization targets.
pub const TARGETS: &[&str] = Target::NAMES;
/// Benchmark providers.
pub const PROVIDERS: &[&str] = Capability::NAMES;

/// Every setting of a run, as the form holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunForm {
    /// Display name (optional).
    pub name: String,
    /// The chosen model.
    pub model_id: Option<i64>,
    /// The chosen calibration images.
    pub calibration_dataset_id: Option<i64>,
    /// The chosen validation images (optional).
    pub validation_dataset_id: Option<i64>,
    /// A built-in profile.
    pub profile: String,
    /// A calibration method.
    pub calibration_method: String,
    /// The percentile for `percentile` (blank: the server's 99.99).
    pub percentile: String,
    /// At most this many calibration images (blank: all).
    pub calibration_images: String,
    /// The accuracy-recovery passes to run after calibration.
    pub recovery: Vec<RecoveryPass>,
    /// Whether sensitivity is measured.
    pub sensitivity: bool,
    /// `one-on` or `one-off`.
    pub sensitivity_mode: String,
    /// `proxy`, `agreement` or `map`.
    pub sensitivity_metric: String,
    /// `sweep`, `keep_float`, `max_drop` or `all`.
    pub boundary: String,
    /// Layers kept in float for `keep_float`.
    pub keep_float: String,
    /// The accepted drop for `max_drop`, in percent of the float model's accuracy.
    pub max_drop: String,
    /// Counts of float layers for `sweep`, comma-separated.
    pub sweep: String,
    /// `tensorrt` or `ort-cpu`.
    pub target: String,
    /// Export batch sizes, comma-separated (`1`, `32`, `dynamic`).
    pub export_batch_sizes: String,
    /// Benchmark batch sizes, comma-separated.
    pub bench_batch_sizes: String,
    /// Untimed runs.
    pub warmup_runs: String,
    /// Timed runs.
    pub timed_runs: String,
    /// `cpu`, `cuda` or `tensorrt`.
    pub provider: String,
    /// Also build TensorRT engines.
    pub build_engine: bool,
    /// Tags, comma-separated.
    pub tags: String,
}

impl Default for RunForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            model_id: None,
            calibration_dataset_id: None,
            validation_dataset_id: None,
            profile: "nanodet".into(),
            calibration_method: "auto".into(),
            percentile: String::new(),
            calibration_images: String::new(),
            recovery: Vec::new(),
            sensitivity: true,
            sensitivity_mode: "one-on".into(),
            sensitivity_metric: "proxy".into(),
            boundary: "sweep".into(),
            keep_float: "2".into(),
            max_drop: "2".into(),
            sweep: "0, 1, 2, 4".into(),
            target: "ort-cpu".into(),
            export_batch_sizes: "1, 32".into(),
            bench_batch_sizes: "1, 32".into(),
            warmup_runs: "2".into(),
            timed_runs: "10".into(),
            provider: "cpu".into(),
            build_engine: false,
            tags: String::new(),
        }
    }
}

/// What the form knows about the chosen model and validation data.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context {
    /// Quantizable layers of the chosen model.
    pub layer_count: Option<usize>,
    /// Whether the chosen validation dataset has COCO labels.
    pub validation_has_labels: Option<bool>,
}

/// A problem with the form, and the field it concerns (its input's `name`), under which
/// the form shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The `name` of the field to fix.
    pub field: &'static str,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// `text` of `field` as one of an option list's values; the lists come from the same types,
/// so only a changed form can miss, and then `problems` says so.
fn choice<T: FromStr>(field: &'static str, text: &str, problems: &mut Vec<Problem>) -> Option<T> {
    let parsed = text.parse().ok();
    if parsed.is_none() {
        problems.push(Problem {
            field,
            message: format!("`{text}` is not one of the choices."),
        });
    }
    parsed
}

fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The field that holds `boundary`'s float layer counts.
fn boundary_field(boundary: &Boundary) -> &'static str {
    match boundary {
        Boundary::Sweep { .. } => "sweep",
        Boundary::KeepFloat { .. } => "keep_float",
        _ => "boundary",
    }
}

impl RunForm {
    /// The configuration to send, or every problem found, each with its field.
    pub fn to_config(&self, context: Context) -> Result<RunConfig, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut need = |ok: bool, field: &'static str, message: &str| {
            if !ok {
                problems.push(Problem {
                    field,
                    message: message.to_owned(),
                });
            }
        };
        need(self.model_id.is_some(), "model", "Choose a model.");
        need(
            self.calibration_dataset_id.is_some(),
            "calibration",
            "Choose the calibration images.",
        );
        let method =
            if self.calibration_method == "percentile" && !self.percentile.trim().is_empty() {
                match self.percentile.trim().parse::<f64>() {
                    Ok(p) if p > 50.0 && p <= 100.0 => format!("percentile:{p}"),
                    _ => {
                        need(
                            false,
                            "percentile",
                            "The percentile must be a number above 50 and at most 100.",
                        );
                        String::new()
                    }
                }
            } else {
                self.calibration_method.clone()
            };
        let calibration_images = match self.calibration_images.trim() {
            "" => None,
            text => match text.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    need(
                        false,
                        "calibration_images",
                        "Calibration images must be a whole number of at least 1 (or blank for all).",
                    );
                    None
                }
            },
        };
        let counts = |text: &str| {
            list(text)
                .iter()
                .map(|t| t.parse::<usize>())
                .collect::<Result<Vec<_>, _>>()
        };
        let boundary = match self.boundary.as_str() {
            "all" => Boundary::All,
            "keep_float" => match self.keep_float.trim().parse() {
                Ok(count) => Boundary::KeepFloat { count },
                Err(_) => {
                    need(
                        false,
                        "keep_float",
                        "Layers kept in float must be a whole number.",
                    );
                    Boundary::All
                }
            },
            "max_drop" => match self.max_drop.trim().parse::<f64>() {
                Ok(percent) if (0.0..100.0).contains(&percent) => Boundary::MaxDrop {
                    max_drop: percent / 100.0,
                },
                _ => {
                    need(
                        false,
                        "max_drop",
                        "The maximum drop must be a percentage of the float accuracy, at least 0 and below 100.",
                    );
                    Boundary::All
                }
            },
            _ => match counts(&self.sweep) {
                Ok(keep_float) if !keep_float.is_empty() => Boundary::Sweep { keep_float },
                _ => {
                    need(
                        false,
                        "sweep",
                        "The sweep needs whole numbers of float layers, such as `0, 1, 2, 4`.",
                    );
                    Boundary::All
                }
            },
        };
        let keep = boundary.keep_float_counts();
        if let (Some(layers), Some(&most)) = (context.layer_count, keep.iter().max())
            && most > layers
        {
            need(
                false,
                boundary_field(&boundary),
                &format!(
                    "Cannot keep {most} layers in float: the model has {layers} quantizable layers."
                ),
            );
        }
        let partial = keep.iter().any(|&k| k > 0) || matches!(boundary, Boundary::MaxDrop { .. });
        need(
            !partial || self.sensitivity,
            "boundary",
            "Keeping layers in float needs a sensitivity ranking: turn sensitivity on.",
        );
        need(
            !matches!(boundary, Boundary::MaxDrop { .. }) || self.validation_dataset_id.is_some(),
            "validation",
            "A maximum-drop boundary needs validation images.",
        );
        if self.sensitivity && self.sensitivity_metric != "proxy" {
            need(
                self.validation_dataset_id.is_some(),
                "validation",
                "The `map` and `agreement` metrics need validation images.",
            );
        }
        if self.sensitivity && self.sensitivity_metric == "map" {
            need(
                context.validation_has_labels != Some(false),
                "sensitivity_metric",
                "The `map` metric needs validation images with COCO labels; use `agreement` or `proxy`.",
            );
        }
        let exports: Result<Vec<ExportBatchSize>, _> = list(&self.export_batch_sizes)
            .iter()
            .map(|s| s.parse::<ExportBatchSize>())
            .collect();
        let exports = exports.unwrap_or_default();
        need(
            !exports.is_empty(),
            "export_batch_sizes",
            "Export batch sizes are whole numbers or `dynamic`, such as `1, 32`.",
        );
        let batches: Result<Vec<i64>, _> = list(&self.bench_batch_sizes)
            .iter()
            .map(|s| s.parse::<i64>())
            .collect();
        let batches = batches.unwrap_or_default();
        need(
            !batches.is_empty() && batches.iter().all(|n| (1..=256).contains(n)),
            "bench_batch_sizes",
            "Benchmark batch sizes are whole numbers from 1 to 256, such as `1, 32`.",
        );
        let warmup_runs = self
            .warmup_runs
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 100);
        need(
            warmup_runs.is_some(),
            "warmup_runs",
            "Warm-up runs must be a whole number from 0 to 100.",
        );
        let timed_runs = self
            .timed_runs
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n));
        need(
            timed_runs.is_some(),
            "timed_runs",
            "Timed runs must be a whole number from 1 to 1000.",
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        let method = choice::<CalibrationMethod>("calibration_method", &method, &mut problems);
        let mode =
            choice::<SensitivityMode>("sensitivity_mode", &self.sensitivity_mode, &mut problems);
        let metric = choice::<Metric>(
            "sensitivity_metric",
            &self.sensitivity_metric,
            &mut problems,
        );
        let target = choice::<Target>("target", &self.target, &mut problems);
        let provider = choice::<Capability>("provider", &self.provider, &mut problems);
        let (Some(method), Some(mode), Some(metric), Some(target), Some(provider)) =
            (method, mode, metric, target, provider)
        else {
            return Err(problems);
        };
        Ok(RunConfig {
            name: Some(self.name.trim().to_owned()).filter(|n| !n.is_empty()),
            model_id: self.model_id.unwrap_or_default(),
            calibration_dataset_id: self.calibration_dataset_id.unwrap_or_default(),
            validation_dataset_id: self.validation_dataset_id,
            profile: self.profile.clone(),
            calibration_method: method,
            calibration_images,
            recovery: RecoveryPass::ALL
                .iter()
                .copied()
                .filter(|pass| self.recovery.contains(pass))
                .collect(),
            sensitivity: self.sensitivity.then_some(SensitivityConfig {
                mode,
                metric,
                images: None,
            }),
            boundary,
            target,
            export_batch_sizes: exports,
            benchmark: BenchmarkConfig {
                batch_sizes: batches,
                warmup_runs: warmup_runs.unwrap_or_default(),
                timed_runs: timed_runs.unwrap_or_default(),
                provider,
            },
            build_engine: self.build_engine,
            tags: list(&self.tags).iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The form filled in with `config`, to start a run like it ("clone this run").
    pub fn from_config(config: &RunConfig) -> Self {
        let defaults = Self::default();
        let joined = |items: &[String]| items.join(", ");
        let (method, percentile) = match config.calibration_method {
            CalibrationMethod::Percentile(Some(p)) => ("percentile".to_owned(), p.to_string()),
            method => (method.to_string(), String::new()),
        };
        let mut form = Self {
            name: config.name.clone().unwrap_or_default(),
            model_id: Some(config.model_id),
            calibration_dataset_id: Some(config.calibration_dataset_id),
            validation_dataset_id: config.validation_dataset_id,
            profile: config.profile.clone(),
            calibration_method: method,
            percentile,
            calibration_images: config
                .calibration_images
                .map(|n| n.to_string())
                .unwrap_or_default(),
            recovery: config.recovery.clone(),
            sensitivity: config.sensitivity.is_some(),
            target: config.target.to_string(),
            export_batch_sizes: joined(
                &config
                    .export_batch_sizes
                    .iter()
                    .map(ExportBatchSize::to_string)
                    .collect::<Vec<_>>(),
            ),
            bench_batch_sizes: joined(
                &config
                    .benchmark
                    .batch_sizes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>(),
            ),
            warmup_runs: config.benchmark.warmup_runs.to_string(),
            timed_runs: config.benchmark.timed_runs.to_string(),
            provider: config.benchmark.provider.to_string(),
            build_engine: config.build_engine,
            tags: joined(&config.tags),
            ..defaults
        };
        if let Some(s) = &config.sensitivity {
            form.sensitivity_mode = s.mode.to_string();
            form.sensitivity_metric = s.metric.to_string();
        }
        match &config.boundary {
            Boundary::All => form.boundary = "all".into(),
            Boundary::KeepFloat { count } => {
                form.boundary = "keep_float".into();
                form.keep_float = count.to_string();
            }
            Boundary::MaxDrop { max_drop } => {
                form.boundary = "max_drop".into();
                form.max_drop = (max_drop * 100.0).to_string();
            }
            Boundary::Sweep { keep_float } => {
                form.boundary = "sweep".into();
                form.sweep = keep_float
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
            }
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> RunForm {
        RunForm {
            model_id: Some(1),
            calibration_dataset_id: Some(1),
            validation_dataset_id: Some(2),
            ..RunForm::default()
        }
    }

    #[test]
    fn the_defaults_with_a_model_and_data_make_a_sweep() {
        let config = filled().to_config(Context::default()).unwrap();
        assert_eq!(
            config.boundary,
            Boundary::Sweep {
                keep_float: vec![0, 1, 2, 4]
            }
        );
        assert_eq!(config.benchmark.batch_sizes, vec![1, 32]);
        assert_eq!(config.sensitivity.unwrap().metric, Metric::Proxy);
    }

    #[test]
    fn an_empty_form_lists_what_is_missing() {
        let problems = RunForm::default()
            .to_config(Context::default())
            .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["model", "calibration"], "{problems:?}");
    }

    #[test]
    fn too_many_float_layers_are_refused() {
        let form = RunForm {
            sweep: "1, 90".into(),
            ..filled()
        };
        let context = Context {
            layer_count: Some(50),
            validation_has_labels: None,
        };
        let problems = form.to_config(context).unwrap_err();
        assert_eq!(
            problems[0].field, "sweep",
            "shown under the sweep: {problems:?}"
        );
        assert!(problems[0].message.contains("90"), "{problems:?}");
    }

    #[test]
    fn partial_quantization_needs_sensitivity() {
        let form = RunForm {
            sensitivity: false,
            ..filled()
        };
        assert!(form.to_config(Context::default()).is_err());
        let all = RunForm {
            sensitivity: false,
            boundary: "all".into(),
            ..filled()
        };
        assert_eq!(
            all.to_config(Context::default()).unwrap().boundary,
            Boundary::All
        );
    }

    #[test]
    fn a_max_drop_in_percent_becomes_the_relative_drop_the_server_takes() {
        let form = |max_drop: &str| RunForm {
            boundary: "max_drop".into(),
            max_drop: max_drop.into(),
            ..filled()
        };
        assert_eq!(
            form("2").to_config(Context::default()).unwrap().boundary,
            Boundary::MaxDrop { max_drop: 0.02 }
        );
        for bad in ["100", "-1", "two"] {
            let problems = form(bad).to_config(Context::default()).unwrap_err();
            assert_eq!(problems[0].field, "max_drop", "{bad}: {problems:?}");
            assert!(
                problems[0].message.contains("percentage"),
                "{bad}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_cloned_run_fills_the_form_back_to_the_same_configuration() {
        let config = RunForm {
            calibration_method: "percentile".into(),
            percentile: "99.9".into(),
            sensitivity_metric: "agreement".into(),
            sensitivity_mode: "one-off".into(),
            target: "tensorrt".into(),
            provider: "cuda".into(),
            export_batch_sizes: "1, dynamic".into(),
            ..filled()
        }
        .to_config(Context::default())
        .unwrap();
        let again = RunForm::from_config(&config)
            .to_config(Context::default())
            .unwrap();
        assert_eq!(again, config);
        assert_eq!(again.target, Target::TensorRt);
        assert_eq!(
            again.export_batch_sizes,
            [ExportBatchSize::Fixed(1), ExportBatchSize::Dynamic]
        );
    }

    #[test]
    fn a_percentile_becomes_part_of_the_method() {
        let form = RunForm {
            calibration_method: "percentile".into(),
            percentile: "99.9".into(),
            ..filled()
        };
        assert_eq!(
            form.to_config(Context::default())
                .unwrap()
                .calibration_method,
            CalibrationMethod::Percentile(Some(99.9))
        );
    }
}
