//! How alike two sensitivity rankings are.

use std::collections::HashMap;

use super::{LayerSensitivity, SensitivityReport};

/// A layer and the key it is ranked by (compared in order; equal keys are ties).
type Keyed<'a> = (&'a str, (f64, f64));

/// Spearman's rank correlation of two sensitivity reports over the same layers (1: same
/// order, -1: reversed): the Pearson correlation of the layers' ranks, where layers with
/// equal scores share the mean of their ranks instead of being ordered by model position.
/// `None` when the reports do not hold the same layers, hold fewer than two, or one of them
/// scores every layer alike.
pub fn spearman_rank_correlation(a: &SensitivityReport, b: &SensitivityReport) -> Option<f64> {
    rank_correlation(&by_score(a), &by_score(b))
}

fn by_score(report: &SensitivityReport) -> Vec<Keyed<'_>> {
    report
        .layers
        .iter()
        .map(|l| (l.name.as_str(), (l.score.primary, l.score.secondary)))
        .collect()
}

/// Spearman's rank correlation between the rankings of `layers` on the even-numbered and on
/// the odd-numbered images alone ([`Score::halves`](super::Score::halves)); `None` when a
/// layer has no halves.
pub(crate) fn split_half_correlation(layers: &[LayerSensitivity]) -> Option<f64> {
    let half = |i: usize| -> Option<Vec<Keyed<'_>>> {
        layers
            .iter()
            .map(|l| Some((l.name.as_str(), (l.score.halves?[i], 0.0))))
            .collect()
    };
    rank_correlation(&half(0)?, &half(1)?)
}

/// The Spearman-Brown estimate of how reliable a measure on all images is, from the
/// correlation `r` of its two halves: `2r / (1 + r)`.
pub(crate) fn spearman_brown(r: f64) -> Option<f64> {
    (r > -1.0).then(|| 2.0 * r / (1.0 + r))
}

fn rank_correlation(a: &[Keyed<'_>], b: &[Keyed<'_>]) -> Option<f64> {
    let ranks_a = average_ranks(a);
    let ranks_b = average_ranks(b);
    if ranks_a.len() < 2 || ranks_a.len() != a.len() || ranks_a.len() != ranks_b.len() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = ranks_a
        .iter()
        .map(|(name, &x)| ranks_b.get(name).map(|&y| (x, y)))
        .collect::<Option<_>>()?;
    pearson(&pairs)
}

/// Layer name -> rank by key (0 = lowest), equal keys sharing their mean rank.
fn average_ranks<'a>(keyed: &[Keyed<'a>]) -> HashMap<&'a str, f64> {
    let mut sorted = keyed.to_vec();
    sorted.sort_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.total_cmp(&b.1.1)));
    let mut ranks = HashMap::with_capacity(sorted.len());
    let mut start = 0;
    while start < sorted.len() {
        let end = sorted[start..]
            .iter()
            .position(|k| k.1 != sorted[start].1)
            .map_or(sorted.len(), |offset| start + offset);
        let mean = (start + end - 1) as f64 / 2.0;
        for (name, _) in &sorted[start..end] {
            ranks.insert(*name, mean);
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
    use crate::sensitivity::{Score, SensitivityMode};

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
                        halves: None,
                    },
                    rank,
                    seconds: 0.0,
                })
                .collect(),
            seconds: 0.0,
            split_half_correlation: None,
            reliability: None,
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
        let ranks = average_ranks(&[("a", (1.0, 0.0)), ("b", (1.0, 0.0)), ("c", (0.5, 0.0))]);
        assert_eq!((ranks["a"], ranks["b"], ranks["c"]), (1.5, 1.5, 0.0));
        assert_eq!(spearman_rank_correlation(&a, &b), Some(1.0));
        let flat = report(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        assert_eq!(spearman_rank_correlation(&a, &flat), None);
    }

    #[test]
    fn split_halves_that_agree_are_reliable_and_unsplit_scores_have_no_figure() {
        let mut layers = report(&[("a", 0.9), ("b", 0.8), ("c", 0.7)]).layers;
        assert_eq!(split_half_correlation(&layers), None);
        for (layer, halves) in layers.iter_mut().zip([[0.9, 0.8], [0.8, 0.9], [0.7, 0.6]]) {
            layer.score.halves = Some(halves);
        }
        let r = split_half_correlation(&layers).unwrap();
        assert!((r - 0.5).abs() < 1e-12, "{r}");
        assert!((spearman_brown(r).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(spearman_brown(1.0), Some(1.0));
        assert_eq!(spearman_brown(-1.0), None);
    }
}
