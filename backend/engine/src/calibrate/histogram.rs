//! A streaming histogram of |x|, the input of every calibration method.

use crate::{Error, Result};

/// The number of bins of [`Histogram::new`].
pub const DEFAULT_BINS: usize = 2048;

/// A histogram of absolute values |x| over `[0, range]` for symmetric (zero point 0)
/// quantization, fed batch after batch; one per tensor.
///
/// With `w = range / bins`, bin 0 holds `[0, w]` and bin `i > 0` holds `(i·w, (i+1)·w]`.
/// The first batch with a non-zero value sets `range` to its max |x|. A later batch that
/// exceeds it multiplies `range` by the smallest power of two that covers it and merges each
/// run of 2, 4, ... adjacent bins into one: the bin count stays fixed, and since the bins are
/// closed on the right the counts are exactly those of a histogram that had the final range
/// from the start.
///
/// NaN is skipped and counted ([`nan_count`](Self::nan_count)); ±infinity is skipped and
/// counted apart ([`infinite_count`](Self::infinite_count)). Neither is binned, moves the range
/// or the max, or counts in [`count`](Self::count), so a few non-finite values cannot wreck a
/// tensor's range; callers should report them. An all-zero tensor keeps range 0 and every value
/// in bin 0; its amax is 0, which [`CalibrationTable::scale`](super::CalibrationTable::scale)
/// turns into a tiny positive scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
    // f64 so that repeated doubling can neither overflow nor round.
    range: f64,
    max: f32,
    lowest: f32,
    highest: f32,
    count: u64,
    nan_count: u64,
    infinite_count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram of [`DEFAULT_BINS`] bins whose range the first batch sets.
    pub fn new() -> Self {
        Self::empty(DEFAULT_BINS)
    }

    /// An empty histogram of `bins` bins (at least 1) whose range the first batch sets.
    pub fn with_bins(bins: usize) -> Result<Self> {
        if bins == 0 {
            return Err(Error::InvalidInput(
                "a histogram needs at least one bin".to_owned(),
            ));
        }
        Ok(Self::empty(bins))
    }

    /// An empty histogram of `bins` bins over `[0, range]`; it still grows when a batch
    /// exceeds `range`. `range` must be finite and positive.
    pub fn with_range(bins: usize, range: f32) -> Result<Self> {
        if !(range.is_finite() && range > 0.0) {
            return Err(Error::InvalidInput(format!(
                "a histogram range must be finite and positive, not {range}"
            )));
        }
        let mut histogram = Self::with_bins(bins)?;
        histogram.range = f64::from(range);
        Ok(histogram)
    }

    fn empty(bins: usize) -> Self {
        Self {
            counts: vec![0; bins],
            range: 0.0,
            max: 0.0,
            lowest: 0.0,
            highest: 0.0,
            count: 0,
            nan_count: 0,
            infinite_count: 0,
        }
    }

    /// Adds a batch of values: one pass for the max |x|, one to bin them.
    pub fn add(&mut self, values: &[f32]) {
        let batch_max = values.iter().fold(0.0f32, |max, value| {
            let magnitude = value.abs();
            // NaN and infinity both fail this test.
            if magnitude < f32::INFINITY && magnitude > max {
                magnitude
            } else {
                max
            }
        });
        self.cover(f64::from(batch_max));
        self.max = self.max.max(batch_max);
        let (lowest, highest) = values
            .iter()
            .filter(|value| value.is_finite())
            .fold((self.lowest, self.highest), |(lo, hi), &value| {
                (lo.min(value), hi.max(value))
            });
        (self.lowest, self.highest) = (lowest, highest);

        let inverse_width = self.inverse_width();
        let last = self.counts.len() - 1;
        let mut nan_count = 0u64;
        let mut infinite_count = 0u64;
        for value in values {
            let magnitude = value.abs();
            if magnitude.is_nan() {
                nan_count += 1;
            } else if magnitude == f32::INFINITY {
                infinite_count += 1;
            } else {
                let bin = bin_index(f64::from(magnitude) * inverse_width).min(last);
                self.counts[bin] += 1;
            }
        }
        self.nan_count += nan_count;
        self.infinite_count += infinite_count;
        self.count += values.len() as u64 - nan_count - infinite_count;
    }

    /// Adds everything `other` has seen, e.g. to combine per-thread histograms.
    ///
    /// Exact when both have the same bin count and ranges that differ by a power of two (or
    /// either range is 0); otherwise each of `other`'s bins is spread over the bins it
    /// overlaps in proportion to the overlap, which keeps every count but not every position.
    pub fn merge(&mut self, other: &Histogram) {
        self.max = self.max.max(other.max);
        self.lowest = self.lowest.min(other.lowest);
        self.highest = self.highest.max(other.highest);
        self.count += other.count;
        self.nan_count += other.nan_count;
        self.infinite_count += other.infinite_count;
        if other.range == 0.0 {
            // Only zeros, all in bin 0.
            self.counts[0] += other.counts.iter().sum::<u64>();
            return;
        }
        self.cover(other.range);
        match self.power_of_two_ratio(other) {
            Some(shift) => {
                for (bin, &count) in other.counts.iter().enumerate() {
                    self.counts[bin.checked_shr(shift).unwrap_or(0)] += count;
                }
            }
            None => self.spread(other),
        }
    }

    /// The number of bins.
    pub fn bins(&self) -> usize {
        self.counts.len()
    }

    /// The count of each bin, bin 0 first.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The upper edge of the last bin: 0 until a non-zero value is seen.
    pub fn range(&self) -> f32 {
        self.range as f32
    }

    /// The width of every bin.
    pub fn bin_width(&self) -> f32 {
        (self.range / self.counts.len() as f64) as f32
    }

    /// The `bins + 1` bin edges, `0` first and `range` last.
    pub fn edges(&self) -> Vec<f32> {
        (0..=self.counts.len())
            .map(|index| self.edge(index) as f32)
            .collect()
    }

    /// Edge `index` (0 to `bins`): the upper edge of bin `index - 1`.
    pub(crate) fn edge(&self, index: usize) -> f64 {
        index as f64 * self.range / self.counts.len() as f64
    }

    /// The exact max |x| of the finite values seen.
    pub fn max(&self) -> f32 {
        self.max
    }

    /// The smallest finite value seen, or 0 if it is larger (a range always holds zero).
    pub fn lowest(&self) -> f32 {
        self.lowest
    }

    /// The largest finite value seen, or 0 if it is smaller.
    pub fn highest(&self) -> f32 {
        self.highest
    }

    /// How many finite values were binned.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// How many NaN values were skipped.
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    /// How many ±infinite values were skipped.
    pub fn infinite_count(&self) -> u64 {
        self.infinite_count
    }

    /// Grows the range, if needed, so that it covers `magnitude`.
    fn cover(&mut self, magnitude: f64) {
        if magnitude <= self.range {
            return;
        }
        if self.range == 0.0 {
            // Everything seen so far is 0 and stays in bin 0 whatever the range.
            self.range = magnitude;
            return;
        }
        let mut shift = 0u32;
        while self.range < magnitude {
            self.range *= 2.0;
            shift += 1;
        }
        let mut merged = vec![0u64; self.counts.len()];
        for (bin, &count) in self.counts.iter().enumerate() {
            merged[bin.checked_shr(shift).unwrap_or(0)] += count;
        }
        self.counts = merged;
    }

    /// `k` where `self.range == 2^k · other.range` and both have the same bins.
    fn power_of_two_ratio(&self, other: &Histogram) -> Option<u32> {
        if self.counts.len() != other.counts.len() {
            return None;
        }
        let shift = (self.range / other.range).log2().round();
        let exact = shift >= 0.0 && other.range * shift.exp2() == self.range;
        exact.then_some(shift as u32)
    }

    fn spread(&mut self, other: &Histogram) {
        let width = self.range / self.counts.len() as f64;
        let other_width = other.range / other.counts.len() as f64;
        let last = self.counts.len() - 1;
        for (other_bin, &count) in other.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let low = other_bin as f64 * other_width;
            let high = low + other_width;
            let first = ((low / width).floor() as usize).min(last);
            let final_bin = bin_index(high / width).clamp(first, last);
            let mut assigned = 0u64;
            let mut covered = 0.0;
            for bin in first..=final_bin {
                let overlap = high.min((bin + 1) as f64 * width) - low.max(bin as f64 * width);
                covered += overlap.max(0.0) / other_width;
                let target = if bin == final_bin {
                    count
                } else {
                    ((covered * count as f64).round() as u64).clamp(assigned, count)
                };
                self.counts[bin] += target - assigned;
                assigned = target;
            }
        }
    }

    /// `bins / range`, nudged down so that `range` itself still falls in the last bin.
    fn inverse_width(&self) -> f64 {
        if self.range == 0.0 {
            return 0.0;
        }
        let bins = self.counts.len() as f64;
        let mut inverse = bins / self.range;
        while self.range * inverse > bins {
            inverse = inverse.next_down();
        }
        inverse
    }
}

/// The bin of a value at `position` bin widths from 0, for bins closed on the right.
fn bin_index(position: f64) -> usize {
    (position.ceil() as usize).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::test_rng::SplitMix64;

    #[test]
    fn first_batch_sets_the_range_and_max_lands_in_the_last_bin() {
        let mut histogram = Histogram::with_bins(4).unwrap();
        histogram.add(&[0.0, -0.5, 1.0, 2.0, -4.0]);
        assert_eq!(histogram.range(), 4.0);
        assert_eq!(histogram.max(), 4.0);
        assert_eq!(histogram.bin_width(), 1.0);
        // [0,1], (1,2], (2,3], (3,4]
        assert_eq!(histogram.counts(), &[3, 1, 0, 1]);
        assert_eq!(histogram.edges(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(histogram.count(), 5);
    }

    #[test]
    fn growth_by_powers_of_two_matches_binning_everything_in_the_final_range() {
        let mut rng = SplitMix64::new(7);
        let batches: Vec<Vec<f32>> = [1.0f32, 3.0, 2.5, 37.0, 0.1, 300.0]
            .iter()
            .map(|&scale| (0..5000).map(|_| rng.normal() as f32 * scale).collect())
            .collect();
        let mut grown = Histogram::new();
        for batch in &batches {
            grown.add(batch);
        }
        assert!(grown.range() > 300.0);

        let mut direct = Histogram::with_range(DEFAULT_BINS, grown.range()).unwrap();
        direct.add(&batches.concat());
        assert_eq!(direct.range(), grown.range());
        assert_eq!(grown.counts(), direct.counts());
        assert_eq!(grown.max(), direct.max());
        assert_eq!(grown.count(), 30_000);
    }

    #[test]
    fn nan_and_infinity_are_counted_but_not_binned() {
        let mut histogram = Histogram::new();
        histogram.add(&[1.0, f32::NAN, f32::INFINITY, -f32::INFINITY, -2.0]);
        assert_eq!(histogram.nan_count(), 1);
        assert_eq!(histogram.infinite_count(), 2);
        assert_eq!(histogram.count(), 2);
        assert_eq!(histogram.max(), 2.0);
        assert_eq!(histogram.range(), 2.0);
        assert_eq!(histogram.counts().iter().sum::<u64>(), 2);
    }

    #[test]
    fn all_zero_batches_keep_range_zero_then_a_real_batch_sets_it() {
        let mut histogram = Histogram::new();
        histogram.add(&[0.0; 10]);
        histogram.add(&[]);
        assert_eq!(histogram.range(), 0.0);
        assert_eq!(histogram.counts()[0], 10);
        histogram.add(&[0.5, 1.0]);
        assert_eq!(histogram.range(), 1.0);
        assert_eq!(histogram.counts()[0], 10);
        assert_eq!(histogram.counts()[DEFAULT_BINS - 1], 1);
        assert_eq!(histogram.count(), 12);
    }

    #[test]
    fn merging_per_thread_histograms_equals_feeding_one() {
        let mut rng = SplitMix64::new(11);
        let first: Vec<f32> = (0..4000).map(|_| rng.normal() as f32).collect();
        let second: Vec<f32> = (0..4000).map(|_| rng.normal() as f32 * 9.0).collect();
        let mut one = Histogram::new();
        one.add(&first);
        let mut other = Histogram::new();
        other.add(&second);
        one.merge(&other);

        let mut direct = Histogram::with_range(DEFAULT_BINS, one.range()).unwrap();
        direct.add(&first);
        direct.add(&second);
        assert_eq!(one.max(), direct.max());
        assert_eq!(one.count(), 8000);
        // Ranges from different first batches are not powers of two apart: counts are kept,
        // positions move by at most one bin.
        assert_eq!(one.counts().iter().sum::<u64>(), 8000);
        let cumulative = |h: &Histogram| -> Vec<u64> {
            h.counts()
                .iter()
                .scan(0, |sum, &c| {
                    *sum += c;
                    Some(*sum)
                })
                .collect()
        };
        for (merged, exact) in cumulative(&one)
            .iter()
            .zip(cumulative(&direct).iter().skip(1))
        {
            assert!(merged <= exact);
        }
    }

    #[test]
    fn merging_aligned_histograms_is_exact() {
        let mut rng = SplitMix64::new(5);
        let small: Vec<f32> = (0..3000).map(|_| rng.uniform() as f32).collect();
        let large: Vec<f32> = (0..3000).map(|_| rng.uniform() as f32 * 8.0).collect();
        let mut merged = Histogram::with_range(DEFAULT_BINS, 1.0).unwrap();
        merged.add(&small);
        let mut other = Histogram::with_range(DEFAULT_BINS, 8.0).unwrap();
        other.add(&large);
        merged.merge(&other);

        let mut direct = Histogram::with_range(DEFAULT_BINS, 8.0).unwrap();
        direct.add(&small);
        direct.add(&large);
        assert_eq!(merged, direct);
    }

    #[test]
    fn zero_bins_or_a_bad_range_are_rejected() {
        assert!(Histogram::with_bins(0).is_err());
        assert!(Histogram::with_range(16, 0.0).is_err());
        assert!(Histogram::with_range(16, f32::NAN).is_err());
    }
}
