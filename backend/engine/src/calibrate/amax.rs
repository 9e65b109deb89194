//! Choosing a tensor's amax (its symmetric clipping range) from its histogram.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Histogram;
use crate::Error;

/// The percentile of [`CalibrationMethod::Percentile`] when none is given.
pub const DEFAULT_PERCENTILE: f64 = 99.99;

/// Levels on each side of zero in symmetric INT8.
const INT8_LEVELS: f64 = 127.0;
/// The levels the entropy method quantizes the candidate distribution into (|x| only).
const ENTROPY_LEVELS: usize = 128;
/// The smallest candidate, in bins, of the entropy and MSE searches.
const FIRST_CANDIDATE_BIN: usize = 128;
/// Mass, in counts, given to empty bins when smoothing distributions for KL.
const SMOOTHING_EPSILON: f64 = 1e-4;

/// How a tensor's amax is chosen from its histogram of |x|.
///
/// Written and parsed as `max`, `percentile` (= `percentile:99.99`), `percentile:P`,
/// `entropy` and `mse`; serde uses the same strings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum CalibrationMethod {
    /// The exact max |x|.
    Max,
    /// The smallest bin edge below which this percentage (0 < P <= 100) of |x| lies.
    Percentile(f64),
    /// TensorRT's KL-divergence method.
    Entropy,
    /// The bin edge that minimises the squared error of INT8 fake quantization.
    Mse,
    /// Whichever of [`CalibrationMethod::CANDIDATES`] gives the quantized model the outputs closest to the float
    /// model's ([`super::calibrate_model`] decides and records it; alone, a histogram's
    /// `auto` amax is its max).
    Auto,
}

impl CalibrationMethod {
    /// What `auto` keeps unless another candidate clearly judges better: a 99.999th
    /// percentile, the best or within the judge's noise of it on every fixture family.
    pub const AUTO_DEFAULT: CalibrationMethod = Self::Percentile(99.999);

    /// The methods `auto` chooses among.
    pub const CANDIDATES: [CalibrationMethod; 5] = [
        Self::Max,
        Self::Percentile(DEFAULT_PERCENTILE),
        Self::Percentile(99.999),
        Self::Entropy,
        Self::Mse,
    ];
}

impl fmt::Display for CalibrationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Max => f.write_str("max"),
            Self::Percentile(percentile) => write!(f, "percentile:{percentile}"),
            Self::Entropy => f.write_str("entropy"),
            Self::Mse => f.write_str("mse"),
            Self::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for CalibrationMethod {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "max" => return Ok(Self::Max),
            "percentile" => return Ok(Self::Percentile(DEFAULT_PERCENTILE)),
            "entropy" => return Ok(Self::Entropy),
            "mse" => return Ok(Self::Mse),
            "auto" => return Ok(Self::Auto),
            _ => {}
        }
        let percentile = text
            .strip_prefix("percentile:")
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|&value| value > 0.0 && value <= 100.0);
        match (percentile, text.starts_with("percentile:")) {
            (Some(percentile), _) => Ok(Self::Percentile(percentile)),
            (None, true) => Err(Error::InvalidInput(format!(
                "`{text}`: the percentile must be a number above 0 and at most 100, e.g. `percentile:99.99`"
            ))),
            (None, false) => Err(Error::InvalidInput(format!(
                "unknown calibration method `{text}`: use `auto`, `max`, `percentile`, `percentile:P`, `entropy` or `mse`"
            ))),
        }
    }
}

impl From<CalibrationMethod> for String {
    fn from(method: CalibrationMethod) -> Self {
        method.to_string()
    }
}

impl TryFrom<String> for CalibrationMethod {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

/// The amax of a tensor whose |x| histogram is `histogram`, by `method`.
///
/// Never above the exact max |x| (a wider range only wastes levels), and 0 for an empty or
/// all-zero histogram. A percentile outside (0, 100] is clamped into it.
pub fn compute_amax(histogram: &Histogram, method: &CalibrationMethod) -> f32 {
    if histogram.count() == 0 || histogram.range() == 0.0 {
        return histogram.max();
    }
    let edge = match *method {
        CalibrationMethod::Max | CalibrationMethod::Auto => return histogram.max(),
        CalibrationMethod::Percentile(percentile) => percentile_edge(histogram, percentile),
        CalibrationMethod::Entropy => entropy_edge(histogram),
        CalibrationMethod::Mse => mse_edge(histogram),
    };
    (histogram.edge(edge) as f32).min(histogram.max())
}

/// The first edge at which the cumulative count reaches `percentile`% of all values.
fn percentile_edge(histogram: &Histogram, percentile: f64) -> usize {
    let fraction = if percentile.is_nan() {
        1.0
    } else {
        percentile.clamp(0.0, 100.0) / 100.0
    };
    let target = fraction * histogram.count() as f64;
    let mut cumulative = 0u64;
    for (bin, &count) in histogram.counts().iter().enumerate() {
        cumulative += count;
        if cumulative as f64 >= target {
            return bin + 1;
        }
    }
    histogram.bins()
}

/// TensorRT's entropy calibration: the edge `i` (128 to bins) that minimises KL(P || Q),
/// where P is the first `i` bins with everything beyond added into bin `i - 1`, and Q is the
/// first `i` bins merged into 128 levels, each level's mass spread evenly over its non-zero
/// bins. Both are smoothed (empty bins get [`SMOOTHING_EPSILON`] counts, taken evenly from
/// the others) and normalised. As in pytorch-quantization, bin 0 counts as bin 1 so that a
/// spike of exact zeros (ReLU), which INT8 represents exactly, does not dominate. Ties go to
/// the larger edge. No candidate lies below 128 bins, and when far outliers squeeze the bulk
/// into a few bins, KL cannot see the bulk's rounding error and keeps the outliers.
fn entropy_edge(histogram: &Histogram) -> usize {
    let counts = histogram.counts();
    let bins = counts.len();
    let mut occupied: Vec<(usize, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(bin, &count)| (bin, count as f64))
        .collect();
    if bins > 1 {
        occupied.retain(|&(bin, _)| bin != 0);
        if counts[1] > 0 {
            occupied.insert(0, (0, counts[1] as f64));
        }
    }
    let total: f64 = occupied.iter().map(|&(_, count)| count).sum();

    let mut levels = EntropyLevels::default();
    let mut best: Option<(f64, usize)> = None;
    let mut inside_bins = 0;
    let mut inside = 0.0;
    for candidate in FIRST_CANDIDATE_BIN.min(bins)..=bins {
        while let Some(&(bin, count)) = occupied.get(inside_bins)
            && bin < candidate
        {
            inside += count;
            inside_bins += 1;
        }
        let head = Candidate {
            bins: candidate,
            occupied: &occupied[..inside_bins],
            inside,
            outliers: total - inside,
        };
        if let Some(divergence) = levels.divergence(&head)
            && best.is_none_or(|(lowest, _)| divergence <= lowest)
        {
            best = Some((divergence, candidate));
        }
    }
    best.map_or(bins, |(_, candidate)| candidate)
}

/// The first `bins` bins of a histogram, as the entropy method sees them.
struct Candidate<'a> {
    bins: usize,
    /// The non-empty bins among them and their counts, by bin.
    occupied: &'a [(usize, f64)],
    /// The sum of their counts.
    inside: f64,
    /// The count beyond them.
    outliers: f64,
}

/// Scratch space for one entropy candidate, reused across candidates.
struct EntropyLevels {
    mass: [f64; ENTROPY_LEVELS],
    non_empty: [u32; ENTROPY_LEVELS],
}

impl Default for EntropyLevels {
    fn default() -> Self {
        Self {
            mass: [0.0; ENTROPY_LEVELS],
            non_empty: [0; ENTROPY_LEVELS],
        }
    }
}

impl EntropyLevels {
    /// KL(P || Q) for `head`, `None` when it cannot be formed. Empty bins are handled in
    /// bulk, so the cost grows with the non-empty bins only.
    fn divergence(&mut self, head: &Candidate<'_>) -> Option<f64> {
        let last_bin = head.bins - 1;
        if head.occupied.is_empty() {
            return None;
        }
        self.mass.fill(0.0);
        self.non_empty.fill(0);
        for &(bin, count) in head.occupied {
            let level = bin * ENTROPY_LEVELS / head.bins;
            self.mass[level] += count;
            self.non_empty[level] += 1;
        }

        let q_empty = head.bins - head.occupied.len();
        let outliers_in_empty_bin =
            head.outliers > 0.0 && head.occupied.last().is_none_or(|&(bin, _)| bin != last_bin);
        let p_empty = q_empty - usize::from(outliers_in_empty_bin);
        let p_taken = SMOOTHING_EPSILON * p_empty as f64 / (head.bins - p_empty) as f64;
        let q_taken = SMOOTHING_EPSILON * q_empty as f64 / head.occupied.len() as f64;
        let p_total = head.inside + head.outliers;
        let q_total = head.inside;
        let term = |p_count: f64, q_count: f64| -> Option<f64> {
            let p = p_count / p_total;
            let q = q_count / q_total;
            (p > 0.0 && q > 0.0).then(|| p * (p / q).ln())
        };

        let mut divergence = 0.0;
        for &(bin, count) in head.occupied {
            let level = bin * ENTROPY_LEVELS / head.bins;
            let p_count = if bin == last_bin {
                count + head.outliers
            } else {
                count
            };
            let q_count = self.mass[level] / f64::from(self.non_empty[level]);
            divergence += term(p_count - p_taken, q_count - q_taken)?;
        }
        if outliers_in_empty_bin {
            divergence += term(head.outliers - p_taken, SMOOTHING_EPSILON)?;
        }
        divergence += p_empty as f64 * term(SMOOTHING_EPSILON, SMOOTHING_EPSILON)?;
        Some(divergence)
    }
}

/// The edge (128 to bins, stride 1) that minimises the expected squared error of symmetric
/// INT8 fake quantization (scale amax/127, round half to even as ONNX QuantizeLinear does,
/// clamp to ±127), with each bin's mass at its centre. Ties go to the smaller edge.
fn mse_edge(histogram: &Histogram) -> usize {
    let bins = histogram.bins();
    let width = histogram.edge(1);
    let occupied: Vec<(f64, f64)> = histogram
        .counts()
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(bin, &count)| ((bin as f64 + 0.5) * width, count as f64))
        .collect();
    let mut best = (f64::INFINITY, bins);
    for candidate in FIRST_CANDIDATE_BIN.min(bins)..=bins {
        let scale = histogram.edge(candidate) / INT8_LEVELS;
        let error: f64 = occupied
            .iter()
            .map(|&(centre, count)| {
                let level = (centre / scale).round_ties_even().min(INT8_LEVELS);
                let difference = centre - level * scale;
                count * difference * difference
            })
            .sum();
        if error < best.0 {
            best = (error, candidate);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::test_rng::SplitMix64;

    fn histogram_of(values: &[f32]) -> Histogram {
        let mut histogram = Histogram::new();
        histogram.add(values);
        histogram
    }

    fn normal_samples(count: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..count).map(|_| rng.normal() as f32).collect()
    }

    /// The actual mean squared error of symmetric INT8 fake quantization with `amax`.
    fn fake_quant_mse(values: &[f32], amax: f64) -> f64 {
        let scale = amax / INT8_LEVELS;
        let total: f64 = values
            .iter()
            .map(|&value| {
                let value = f64::from(value);
                let level = (value / scale)
                    .round_ties_even()
                    .clamp(-INT8_LEVELS, INT8_LEVELS);
                (value - level * scale).powi(2)
            })
            .sum();
        total / values.len() as f64
    }

    #[test]
    fn methods_parse_display_and_serialize_as_strings() {
        for (text, method) in [
            ("max", CalibrationMethod::Max),
            ("percentile", CalibrationMethod::Percentile(99.99)),
            ("percentile:99.9", CalibrationMethod::Percentile(99.9)),
            ("Entropy", CalibrationMethod::Entropy),
            ("mse", CalibrationMethod::Mse),
        ] {
            let parsed: CalibrationMethod = text.parse().unwrap();
            assert_eq!(parsed, method);
            assert_eq!(
                parsed.to_string().parse::<CalibrationMethod>().unwrap(),
                method
            );
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{method}\""));
            assert_eq!(
                serde_json::from_str::<CalibrationMethod>(&json).unwrap(),
                method
            );
        }
        assert_eq!(
            CalibrationMethod::Percentile(99.99).to_string(),
            "percentile:99.99"
        );
        for bad in [
            "minmax",
            "percentile:0",
            "percentile:101",
            "percentile:x",
            "",
        ] {
            assert!(bad.parse::<CalibrationMethod>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<CalibrationMethod>("\"kl\"").is_err());
    }

    #[test]
    fn max_is_the_exact_max_magnitude() {
        let histogram = histogram_of(&[0.25, -3.7, 1.5, 3.69]);
        assert_eq!(compute_amax(&histogram, &CalibrationMethod::Max), 3.7);
    }

    #[test]
    fn empty_or_all_zero_data_gives_zero_for_every_method() {
        for method in [
            CalibrationMethod::Max,
            CalibrationMethod::Percentile(99.99),
            CalibrationMethod::Entropy,
            CalibrationMethod::Mse,
        ] {
            assert_eq!(compute_amax(&Histogram::new(), &method), 0.0);
            assert_eq!(compute_amax(&histogram_of(&[0.0; 100]), &method), 0.0);
        }
    }

    #[test]
    fn percentile_of_a_uniform_sample_is_within_a_bin_of_the_true_quantile() {
        let mut rng = SplitMix64::new(1);
        let values: Vec<f32> = (0..1_000_000).map(|_| rng.uniform() as f32).collect();
        let histogram = histogram_of(&values);
        let amax = compute_amax(&histogram, &CalibrationMethod::Percentile(99.99));
        assert!((amax - 0.9999).abs() <= histogram.bin_width(), "{amax}");
        let full = compute_amax(&histogram, &CalibrationMethod::Percentile(100.0));
        assert_eq!(full, histogram.max());
    }

    #[test]
    fn entropy_ignores_a_handful_of_far_outliers() {
        let mut rng = SplitMix64::new(2);
        let bulk: Vec<f32> = (0..200_000).map(|_| rng.uniform() as f32).collect();
        let outliers = [100.0f32; 5];

        // The range grows to 128, and 16384 bins make the first candidate (128 bins) 1.0.
        // With the default 2048 bins the bulk would fill only 16 bins, too few for KL to see
        // its rounding error, and the outliers would be kept.
        let mut histogram = Histogram::with_bins(16384).unwrap();
        histogram.add(&bulk);
        histogram.add(&outliers);
        let amax = compute_amax(&histogram, &CalibrationMethod::Entropy);
        assert!((0.95..=1.05).contains(&amax), "{amax}");
    }

    #[test]
    fn entropy_clips_a_gaussian_between_two_sigma_and_the_max() {
        let values = normal_samples(1_000_000, 3);
        let histogram = histogram_of(&values);
        let amax = compute_amax(&histogram, &CalibrationMethod::Entropy);
        assert!(
            amax > 2.0 && amax < 0.9 * histogram.max(),
            "{amax} of {}",
            histogram.max()
        );
    }

    #[test]
    fn mse_is_within_one_percent_of_a_brute_force_search_on_the_samples() {
        let values = normal_samples(100_000, 4);
        let histogram = histogram_of(&values);
        let amax = compute_amax(&histogram, &CalibrationMethod::Mse);
        let chosen = fake_quant_mse(&values, f64::from(amax));
        let brute_force = (200..=600)
            .map(|step| fake_quant_mse(&values, f64::from(step) * 0.01))
            .fold(f64::INFINITY, f64::min);
        assert!(
            chosen <= 1.01 * brute_force,
            "{chosen} vs {brute_force} at {amax}"
        );
    }

    #[test]
    fn mse_of_a_standard_normal_is_near_the_8_bit_optimum() {
        // Numerical integration of the expected error over N(0, 1) puts the optimum of
        // 127 levels each side at 3.92 sigma (MSE 8.83e-5; 3.8 and 4.0 give 8.99e-5 and
        // 8.88e-5), the curve being flat enough that a sample lands within about 0.15.
        let values = normal_samples(1_000_000, 5);
        let amax = compute_amax(&histogram_of(&values), &CalibrationMethod::Mse);
        assert!((3.77..=4.07).contains(&amax), "{amax}");
    }
}
