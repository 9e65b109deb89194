//! How alike two sensitivity rankings are.

use std::collections::HashMap;

use super::SensitivityReport;

/// Spearman's rank correlation of two sensitivity reports over the same layers (1: same
/// order, -1: reversed): the Pearson correlation of the layers' ranks, where layers with
/// equal scores share the mean of their ranks instead of being ordered by model position.
/// `None` when the reports do not hold the same layers, hold fewer than two, or one of them
/// scores every layer alike.
pub fn spearman_rank_correlation(a: &SensitivityReport, b: &SensitivityReport) -> Option<f64> {
    let ranks_a = tied_ranks(a);
    let ranks_b = tied_ranks(b);
    if ranks_a.len() < 2 || ranks_a.len() != ranks_b.len() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = ranks_a
        .iter()
        .map(|(name, &x)| ranks_b.get(name).map(|&y| (x, y)))
        .collect::<Option<_>>()?;
    pearson(&pairs)
}

/// Layer name -> rank (0 = least sensitive), ties sharing their mean rank. The report is
/// ordered least sensitive first, so equal scores sit next to each other.
fn tied_ranks(report: &SensitivityReport) -> HashMap<&str, f64> {
    let layers = &report.layers;
    let mut ranks = HashMap::with_capacity(layers.len());
    let mut start = 0;
    while start < layers.len() {
        let end = layers[start..]
            .iter()
            .position(|l| l.score != layers[start].score)
            .map_or(layers.len(), |offset| start + offset);
        let mean = (start + end - 1) as f64 / 2.0;
        for layer in &layers[start..end] {
            ranks.insert(layer.name.as_str(), mean);
        }
        start = end;
    }
    ranks
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        xy += (x - mean_x) * (y - mean_y);
        xx += (x - mean_x) * (x - mean_x);
        yy += (y - mean_y) * (y - mean_y);
    }
    (xx > 0.0 && yy > 0.0).then(|| xy / (xx * yy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::Target;
    use crate::sensitivity::{LayerSensitivity, Score, SensitivityMode};

    /// A one-on report of layers given least sensitive first with their primary scores.
    fn report(layers: &[(&str, f64)]) -> SensitivityReport {
        SensitivityReport {
            mode: SensitivityMode::OneOn,
            metric: "agreement".into(),
            target: Target::OrtCpu,
            layers: layers
                .iter()
                .enumerate()
                .map(|(rank, &(name, primary))| LayerSensitivity {
                    name: name.into(),
                    op: "Conv".into(),
                    position: rank,
                    score: Score {
                        primary,
                        secondary: 0.0,
                    },
                    rank,
                    seconds: 0.0,
                })
                .collect(),
            seconds: 0.0,
        }
    }

    #[test]
    fn identical_reversed_swapped_and_mismatched_reports() {
        let a = report(&[("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6)]);
        let reversed = report(&[("d", 0.9), ("c", 0.8), ("b", 0.7), ("a", 0.6)]);
        let swapped = report(&[("b", 0.9), ("a", 0.8), ("c", 0.7), ("d", 0.6)]);
        let other = report(&[("a", 0.9), ("b", 0.8), ("c", 0.7), ("x", 0.6)]);
        let close = |x: Option<f64>, want: f64| x.is_some_and(|x| (x - want).abs() < 1e-12);
        assert!(close(spearman_rank_correlation(&a, &a), 1.0));
        assert!(close(spearman_rank_correlation(&a, &reversed), -1.0));
        assert!(close(spearman_rank_correlation(&a, &swapped), 0.8));
        assert_eq!(spearman_rank_correlation(&a, &other), None);
    }

    #[test]
    fn tied_layers_share_their_mean_rank_whatever_their_order() {
        let a = report(&[("a", 1.0), ("b", 1.0), ("c", 0.5)]);
        let b = report(&[("b", 1.0), ("a", 1.0), ("c", 0.5)]);
        let ranks = tied_ranks(&a);
        assert_eq!((ranks["a"], ranks["b"], ranks["c"]), (0.5, 0.5, 2.0));
        assert_eq!(spearman_rank_correlation(&a, &b), Some(1.0));
        let flat = report(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        assert_eq!(spearman_rank_correlation(&a, &flat), None);
    }
}
