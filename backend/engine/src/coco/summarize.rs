//! `COCOeval.summarize()`: means over the accumulated arrays, computed as numpy computes them.

use super::accumulate::Accumulated;
use super::params::{IOU_THRESHOLD_COUNT, MAX_DETECTIONS, RECALL_THRESHOLD_COUNT};
use super::summary::{CocoSummary, Measure, STATISTICS, Statistic};

/// The 12 statistics from accumulated precision and recall.
pub(crate) fn summarize(
    accumulated: &Accumulated,
    iou_thresholds: &[f64; IOU_THRESHOLD_COUNT],
) -> CocoSummary {
    CocoSummary {
        stats: STATISTICS
            .map(|definition| statistic_value(accumulated, definition, iou_thresholds)),
    }
}

/// `np.mean(s[s > -1])` over the selected entries, in numpy's C order, or -1 when none.
fn statistic_value(
    accumulated: &Accumulated,
    definition: Statistic,
    iou_thresholds: &[f64; IOU_THRESHOLD_COUNT],
) -> f64 {
    // `np.where(iouThr == p.iouThrs)`: an exact comparison, as in pycocotools.
    let thresholds: Vec<usize> = (0..IOU_THRESHOLD_COUNT)
        .filter(|&t| definition.iou.is_none_or(|iou| iou == iou_thresholds[t]))
        .collect();
    let Some(limit) = MAX_DETECTIONS
        .iter()
        .position(|&limit| limit == definition.max_detections)
    else {
        return -1.0;
    };
    let area = definition.area;
    let categories = 0..accumulated.category_count();
    let mut values = Vec::new();
    for &threshold in &thresholds {
        match definition.measure {
            Measure::Precision => {
                for point in 0..RECALL_THRESHOLD_COUNT {
                    values.extend(categories.clone().map(|category| {
                        accumulated.precision(threshold, point, category, area, limit)
                    }));
                }
            }
            Measure::Recall => {
                values.extend(
                    categories
                        .clone()
                        .map(|category| accumulated.recall(threshold, category, area, limit)),
                );
            }
        }
    }
    values.retain(|&value| value > -1.0);
    if values.is_empty() {
        return -1.0;
    }
    pairwise_sum(&values) / values.len() as f64
}

/// numpy's pairwise summation of a contiguous float64 array (`np.add.reduce`), so means
/// agree with numpy to the last bit.
fn pairwise_sum(values: &[f64]) -> f64 {
    const UNROLL: usize = 8;
    const BLOCK: usize = 128;
    let n = values.len();
    if n < UNROLL {
        values.iter().fold(0.0, |sum, &value| sum + value)
    } else if n <= BLOCK {
        let mut partial = [0.0; UNROLL];
        partial.copy_from_slice(&values[..UNROLL]);
        let whole = n - n % UNROLL;
        for chunk in values[UNROLL..whole].chunks_exact(UNROLL) {
            for (sum, &value) in partial.iter_mut().zip(chunk) {
                *sum += value;
            }
        }
        let mut sum = ((partial[0] + partial[1]) + (partial[2] + partial[3]))
            + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
        for &value in &values[whole..] {
            sum += value;
        }
        sum
    } else {
        let half = n / 2;
        let split = half - half % UNROLL;
        pairwise_sum(&values[..split]) + pairwise_sum(&values[split..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_matches_numpy_where_naive_summation_differs() {
        // numpy prints 188.0 for np.sum(np.array([1e16] + [1.0] * 200 + [-1e16])): its eight
        // running sums keep some of the ones that left-to-right addition loses.
        let mut values = vec![1e16];
        values.extend(std::iter::repeat_n(1.0, 200));
        values.push(-1e16);
        let naive: f64 = values.iter().sum();
        assert_eq!(naive, 0.0);
        assert_eq!(pairwise_sum(&values), 188.0);
    }

    #[test]
    fn pairwise_sum_of_short_arrays_is_plain_addition() {
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[0.1, 0.2, 0.3]), 0.1 + 0.2 + 0.3);
    }
}
