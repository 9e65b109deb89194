//! The likely causes of a large quantization error at one tensor.

use std::fmt;

use serde::Serialize;

/// Clipping above this share of the values is heavy.
pub(crate) const HEAVY_CLIPPING: f64 = 1e-3;
/// Fewer levels than this for the middle 99% of the values: the range is mostly unused.
pub(crate) const FEW_LEVELS: f64 = 24.0;
/// A channel range this many times the median one: channels of mixed purpose share a scale.
pub(crate) const MIXED_CHANNELS: f64 = 16.0;

/// Why a tensor's quantization error is large.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cause {
    /// A wide range with most values near zero: rare extremes set the step.
    WideRange {
        /// Levels holding the middle 99% of the values.
        levels_used: f64,
    },
    /// Many values fall outside the range and are clipped.
    HeavyClipping {
        /// The share of values clipped.
        clipped: f64,
    },
    /// Channels of very different ranges share one per-tensor scale.
    MixedChannels {
        /// The largest channel range over the median one.
        spread: f64,
    },
    /// No range figure stands out, but the layers after the tensor amplify its error: the
    /// outputs' SQNR with its quantizer alone is this far below the tensor's own.
    Amplified {
        /// Local SQNR minus output SQNR, dB.
        gain_db: f64,
    },
}

impl Cause {
    /// The causes that the figures of one tensor show.
    pub(crate) fn of(clipped: f64, levels_used: f64, channel_spread: f64) -> Vec<Cause> {
        let mut causes = Vec::new();
        if levels_used < FEW_LEVELS {
            causes.push(Self::WideRange { levels_used });
        }
        if clipped > HEAVY_CLIPPING {
            causes.push(Self::HeavyClipping { clipped });
        }
        if channel_spread > MIXED_CHANNELS {
            causes.push(Self::MixedChannels {
                spread: channel_spread,
            });
        }
        causes
    }

    /// For a tensor among the worst whose figures pass no threshold: amplification where its
    /// output error alone (`output_sqnr_db`) is worse than its local error, else the cause whose
    /// figure comes nearest its threshold.
    pub(crate) fn unflagged_figures(
        clipped: f64,
        levels_used: f64,
        channel_spread: f64,
        local_sqnr_db: f64,
        output_sqnr_db: Option<f64>,
    ) -> Cause {
        match output_sqnr_db {
            Some(output) if output < local_sqnr_db => Self::Amplified {
                gain_db: local_sqnr_db - output,
            },
            _ => Self::likeliest(clipped, levels_used, channel_spread),
        }
    }

    /// The cause whose figure comes nearest its threshold: without an output error, the
    /// likeliest explanation for a tensor among the worst whose figures pass none (without
    /// clipping, a low SQNR means few levels used, whatever spreads the values).
    fn likeliest(clipped: f64, levels_used: f64, channel_spread: f64) -> Cause {
        let candidates = [
            (
                FEW_LEVELS / levels_used.max(f64::MIN_POSITIVE),
                Self::WideRange { levels_used },
            ),
            (clipped / HEAVY_CLIPPING, Self::HeavyClipping { clipped }),
            (
                channel_spread / MIXED_CHANNELS,
                Self::MixedChannels {
                    spread: channel_spread,
                },
            ),
        ];
        candidates
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(Self::WideRange { levels_used }, |(_, cause)| cause)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Amplified { gain_db } => write!(
                f,
                "amplified downstream: a usual range, but the outputs' SQNR is {gain_db:.1} dB below the tensor's own"
            ),
            Self::WideRange { levels_used } => write!(
                f,
                "wide range, values near zero: 99% of them on {levels_used:.0} levels"
            ),
            Self::HeavyClipping { clipped } => {
                write!(
                    f,
                    "heavy clipping: {:.2}% of values outside the range",
                    clipped * 100.0
                )
            }
            Self::MixedChannels { spread } => write!(
                f,
                "mixed channels: the widest channel spans {spread:.0}x the median one"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_likeliest_cause_is_the_figure_nearest_its_threshold() {
        assert!(Cause::of(0.0, 27.0, 3.0).is_empty());
        assert_eq!(
            Cause::likeliest(0.0, 27.0, 3.0),
            Cause::WideRange { levels_used: 27.0 }
        );
        assert_eq!(
            Cause::likeliest(0.0008, 120.0, 3.0),
            Cause::HeavyClipping { clipped: 0.0008 }
        );
        assert_eq!(
            Cause::likeliest(0.0, 200.0, 12.0),
            Cause::MixedChannels { spread: 12.0 }
        );
        assert_eq!(
            Cause::unflagged_figures(0.0, 50.0, 3.0, 28.8, Some(15.5)),
            Cause::Amplified {
                gain_db: 28.8 - 15.5
            }
        );
        assert_eq!(
            Cause::unflagged_figures(0.0, 50.0, 3.0, 28.8, Some(31.0)),
            Cause::WideRange { levels_used: 50.0 }
        );
    }
}
