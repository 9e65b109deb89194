//! Linear scales and "nice" axis ticks.

/// Maps a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearScale {
    /// Data at the start of the axis.
    pub domain_min: f64,
    /// Data at the end of the axis.
    pub domain_max: f64,
    /// Pixel of `domain_min`.
    pub range_start: f64,
    /// Pixel of `domain_max`.
    pub range_end: f64,
}

impl LinearScale {
    /// A scale from `[min, max]` to `[start, end]`; an empty domain is widened by one unit.
    pub fn new(min: f64, max: f64, start: f64, end: f64) -> Self {
        let (min, max) = if (max - min).abs() < f64::EPSILON {
            (min - 0.5, max + 0.5)
        } else {
            (min, max)
        };
        Self {
            domain_min: min,
            domain_max: max,
            range_start: start,
            range_end: end,
        }
    }

    /// The pixel of `value`.
    pub fn map(&self, value: f64) -> f64 {
        let t = (value - self.domain_min) / (self.domain_max - self.domain_min);
        self.range_start + t * (self.range_end - self.range_start)
    }
}

/// About `count` round tick values (1, 2 or 5 times a power of ten) covering `[min, max]`,
/// and the domain widened to the outer ticks.
pub fn nice_ticks(min: f64, max: f64, count: usize) -> (Vec<f64>, f64, f64) {
    let (min, max) = if !min.is_finite() || !max.is_finite() {
        (0.0, 1.0)
    } else if (max - min).abs() < 1e-12 {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        (min - pad, max + pad)
    } else {
        (min, max)
    };
    let raw = (max - min) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let start = (min / step).floor() * step;
    let end = (max / step).ceil() * step;
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n).map(|i| start + i as f64 * step).collect();
    (ticks, start, end)
}

/// A tick label with as many decimals as the tick step needs.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let (ticks, lo, hi) = nice_ticks(0.13, 0.87, 5);
        assert_eq!(lo, 0.0);
        assert!((hi - 1.0).abs() < 1e-9);
        assert_eq!(ticks.len(), 6);
        assert!((ticks[1] - 0.2).abs() < 1e-9);
    }

    #[test]
    fn a_single_value_still_gets_an_axis() {
        let (ticks, lo, hi) = nice_ticks(40.0, 40.0, 4);
        assert!(lo < 40.0 && hi > 40.0);
        assert!(ticks.len() >= 2);
    }

    #[test]
    fn scales_map_ends_to_ends() {
        let scale = LinearScale::new(0.0, 10.0, 300.0, 20.0);
        assert_eq!(scale.map(0.0), 300.0);
        assert_eq!(scale.map(10.0), 20.0);
        assert_eq!(scale.map(5.0), 160.0);
    }

    #[test]
    fn tick_labels_use_the_step_precision() {
        assert_eq!(tick_label(0.2, 0.2), "0.2");
        assert_eq!(tick_label(150.0, 50.0), "150");
        assert_eq!(tick_label(-0.0, 0.5), "0.0");
    }
}
