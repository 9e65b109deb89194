//! The accuracy-throughput trade-off: partial models at several float-group counts, scored and
//! benchmarked side by side with the float model and the full INT8 model. The partial models
//! lie on one greedy path from full INT8 (a group joins the float set only when it raises the
//! score), so more float groups never score lower on the sweep's own images.

use serde::{Deserialize, Serialize};

use super::path::greedy_path;
use super::reverts::partial_model;
use super::search::SearchSpace;
use super::{Score, Scorer};
use crate::Result;
use crate::bench::{BenchConfig, BenchModel, benchmark};
use crate::fp16::{Fp16Options, convert_to_fp16};

/// What a trade-off point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PointKind {
    /// The float model, the accuracy reference.
    Float,
    /// The float model converted to FP16: the speed reference on GPUs.
    Fp16,
    /// Every layer quantized.
    FullInt8,
    /// The most sensitive layers kept in float.
    Partial,
}

/// Images per second at one batch size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// The batch size.
    pub batch_size: i64,
    /// Images per second at the median batch latency.
    pub images_per_second: f64,
    /// Median latency of one batch, milliseconds.
    pub median_ms: f64,
    /// Fastest batch of the timed runs, milliseconds (0 in results older than this field).
    #[serde(default)]
    pub min_ms: f64,
    /// Slowest batch of the timed runs, milliseconds (0 in results older than this field).
    #[serde(default)]
    pub max_ms: f64,
    /// The device it ran on (GPU or CPU name).
    pub device: String,
}

/// One measured model of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeoffPoint {
    /// `fp32`, `int8` or `partial_k<K>`.
    pub label: String,
    /// What the point is.
    pub kind: PointKind,
    /// Groups kept in float.
    pub keep_float: usize,
    /// Those groups, in the order they were reverted.
    pub float_layers: Vec<String>,
    /// Groups tried on the way to this point whose revert did not raise the score, so they
    /// stay INT8: keeping them float would have lowered accuracy or left it where it was
    /// (within measurement noise, or their error is made again by the quantizers around
    /// them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_groups: Vec<String>,
    /// Its accuracy.
    pub score: Score,
    /// Its throughput at each measured batch size.
    pub throughput: Vec<Throughput>,
    /// Whether no other point is at least as accurate and at least as fast (at the largest
    /// measured batch size) while better in one of the two.
    pub pareto: bool,
}

/// Builds, scores and benchmarks the float model, the full INT8 model and a partial model
/// for each count in `keep_float` (counts of 0 or of every group are those references), and
/// on a GPU provider the FP16 conversion of the float model. The partial models follow the
/// greedy path (see [`super::search_max_drop`]): groups reverted most sensitive first, each
/// kept only when it raises `scorer`'s score; the sweep stops early when no further revert
/// helps within the path's tries. All models are timed in one interleaved benchmark.
/// `on_step` hears a line per step.
pub fn sweep(
    space: &SearchSpace<'_>,
    keep_float: &[usize],
    scorer: &mut dyn Scorer,
    bench: &BenchConfig,
    on_step: &mut dyn FnMut(&str),
) -> Result<Vec<TradeoffPoint>> {
    let n = space.ranking.len();
    let mut counts: Vec<usize> = keep_float
        .iter()
        .copied()
        .filter(|&k| k > 0 && k < n)
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let mut points = Vec::new();
    let mut models = Vec::new();
    let every_group: Vec<String> = space.ranking.iter().rev().cloned().collect();
    on_step("scoring fp32");
    points.push(point(
        "fp32",
        PointKind::Float,
        &every_group,
        scorer.score(space.model)?,
        Vec::new(),
    ));
    models.push(BenchModel {
        label: "fp32".into(),
        model: space.model.clone(),
    });
    if bench.session.provider.is_gpu() {
        on_step("scoring fp16");
        let fp16 = convert_to_fp16(space.model, &Fp16Options::default())?;
        points.push(point(
            "fp16",
            PointKind::Fp16,
            &every_group,
            scorer.score(&fp16)?,
            Vec::new(),
        ));
        models.push(BenchModel {
            label: "fp16".into(),
            model: fp16,
        });
    }
    on_step("walking the greedy path");
    let path = greedy_path(
        space,
        counts.last().copied().unwrap_or(0),
        scorer,
        &mut |_, _| {},
    )?;
    points.push(point(
        "int8",
        PointKind::FullInt8,
        &[],
        path.start,
        Vec::new(),
    ));
    models.push(BenchModel {
        label: "int8".into(),
        model: partial_model(space, &[])?,
    });
    for keep in counts.into_iter().filter(|&k| k <= path.kept_count()) {
        let label = format!("partial_k{keep}");
        let float = path.float_groups(keep);
        points.push(point(
            &label,
            PointKind::Partial,
            &float,
            path.score_at(keep),
            path.skipped_before(keep),
        ));
        models.push(BenchModel {
            label,
            model: partial_model(space, &float)?,
        });
    }
    on_step("benchmarking");
    let results = benchmark(&models, bench, &mut |_, _| {})?;
    for p in &mut points {
        p.throughput = results
            .iter()
            .filter(|r| r.label == p.label)
            .map(|r| Throughput {
                batch_size: r.batch_size,
                images_per_second: r.images_per_second,
                median_ms: r.median_ms,
                min_ms: r.min_ms,
                max_ms: r.max_ms,
                device: r.device.clone(),
            })
            .collect();
    }
    mark_pareto_frontier(&mut points);
    Ok(points)
}

fn point(
    label: &str,
    kind: PointKind,
    float: &[String],
    score: Score,
    skipped_groups: Vec<String>,
) -> TradeoffPoint {
    TradeoffPoint {
        label: label.to_owned(),
        kind,
        keep_float: float.len(),
        float_layers: float.to_vec(),
        skipped_groups,
        score,
        throughput: Vec::new(),
        pareto: false,
    }
}

/// Marks the points on the accuracy-throughput frontier at the largest measured batch size.
pub fn mark_pareto_frontier(points: &mut [TradeoffPoint]) {
    let speed = |p: &TradeoffPoint| {
        p.throughput
            .iter()
            .max_by_key(|t| t.batch_size)
            .map_or(0.0, |t| t.images_per_second)
    };
    let figures: Vec<(f64, f64)> = points.iter().map(|p| (p.score.primary, speed(p))).collect();
    for (i, p) in points.iter_mut().enumerate() {
        let (acc, ips) = figures[i];
        p.pareto = !figures
            .iter()
            .enumerate()
            .any(|(j, &(a, s))| j != i && a >= acc && s >= ips && (a > acc || s > ips));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str, acc: f64, ips: f64) -> TradeoffPoint {
        TradeoffPoint {
            label: label.into(),
            kind: PointKind::Partial,
            keep_float: 0,
            float_layers: vec![],
            skipped_groups: vec![],
            score: Score {
                primary: acc,
                secondary: 0.0,
                halves: None,
            },
            throughput: vec![
                Throughput {
                    batch_size: 1,
                    images_per_second: 1.0,
                    median_ms: 1.0,
                    min_ms: 1.0,
                    max_ms: 1.0,
                    device: "cpu".into(),
                },
                Throughput {
                    batch_size: 32,
                    images_per_second: ips,
                    median_ms: 1.0,
                    min_ms: 1.0,
                    max_ms: 1.0,
                    device: "cpu".into(),
                },
            ],
            pareto: false,
        }
    }

    #[test]
    fn dominated_points_are_off_the_frontier() {
        let mut points = vec![
            p("fp32", 1.0, 50.0),
            p("int8", 0.8, 120.0),
            p("k2", 0.97, 110.0),
            p("k4", 0.96, 100.0),
        ];
        mark_pareto_frontier(&mut points);
        let on: Vec<_> = points
            .iter()
            .filter(|p| p.pareto)
            .map(|p| p.label.as_str())
            .collect();
        assert_eq!(on, ["fp32", "int8", "k2"]);
    }
}
