//! When two measured throughputs differ by less than their run-to-run spread, the order
//! between them is noise: such pairs are named instead of ranked.

/// One model's throughput at a batch size: its median and, when recorded, the slowest and
/// fastest timed runs (images per second).
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// The point's label.
    pub label: String,
    /// Median images per second.
    pub median: f64,
    /// Slowest and fastest runs.
    pub spread: Option<(f64, f64)>,
}

/// Pairs of labels whose timings overlap (each one's median lies within the other's range,
/// or their ranges intersect), fastest first.
pub fn indistinct_pairs(timings: &[Timing]) -> Vec<(String, String)> {
    let mut sorted: Vec<&Timing> = timings.iter().filter(|t| t.spread.is_some()).collect();
    sorted.sort_by(|a, b| b.median.total_cmp(&a.median));
    let mut pairs = Vec::new();
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            let (Some((a_lo, a_hi)), Some((b_lo, b_hi))) = (a.spread, b.spread) else {
                continue;
            };
            if a_lo <= b_hi && b_lo <= a_hi {
                pairs.push((a.label.clone(), b.label.clone()));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(label: &str, median: f64, lo: f64, hi: f64) -> Timing {
        Timing {
            label: label.into(),
            median,
            spread: Some((lo, hi)),
        }
    }

    #[test]
    fn overlapping_ranges_are_named_and_separate_ones_are_not() {
        let timings = [
            timing("int8", 250.0, 240.0, 262.0),
            timing("int8-keep4", 258.0, 245.0, 270.0),
            timing("fp32", 100.0, 97.0, 104.0),
        ];
        assert_eq!(
            indistinct_pairs(&timings),
            vec![("int8-keep4".to_owned(), "int8".to_owned())]
        );
    }

    #[test]
    fn timings_without_a_spread_are_not_judged() {
        let timings = [
            Timing {
                label: "a".into(),
                median: 1.0,
                spread: None,
            },
            timing("b", 1.0, 0.9, 1.1),
        ];
        assert!(indistinct_pairs(&timings).is_empty());
    }
}
