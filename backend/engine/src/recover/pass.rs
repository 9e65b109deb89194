//! The accuracy-recovery passes, by name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One accuracy-recovery pass, run at calibration; quantization applies what it measured.
///
/// Written and parsed as `cle`, `ranges`, `adaround` and `bias`; serde uses the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryPass {
    /// Cross-layer equalization: Conv pairs (directly or through a ReLU or LeakyReLU) scaled
    /// per channel so that both weights span the same range; runs before the ranges are
    /// calibrated, and the float model computes the same outputs.
    Cle,
    /// Adaptive rounding: each INT8 weight rounds up or down, not to nearest, where that
    /// makes its layer's output error on calibration inputs smaller.
    Adaround,
    /// Empirical bias correction: the per-channel mean shift that INT8 causes at each layer's
    /// output, measured on calibration images, folded back into the layer's bias.
    Bias,
    /// Each activation's uint8 bounds chosen on its own: the low and the high clip that
    /// minimise the squared error of what the tensor feeds (the elementwise function its
    /// consumers compute of it, e.g. a HardSwish or a SiLU), not one symmetric clip.
    Ranges,
}

impl RecoveryPass {
    /// Every pass, in the order they run.
    pub const ALL: [RecoveryPass; 4] = [Self::Cle, Self::Ranges, Self::Adaround, Self::Bias];

    /// The pass's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cle => "cle",
            Self::Adaround => "adaround",
            Self::Bias => "bias",
            Self::Ranges => "ranges",
        }
    }
}

impl fmt::Display for RecoveryPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecoveryPass {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|pass| pass.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown recovery pass `{s}`: use {}, or `none`",
                    Self::ALL
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// Parses a comma-separated list of passes (`bias,ranges`), `none` for no pass; the result is
/// in run order, without repeats.
pub fn parse_passes(text: &str) -> Result<Vec<RecoveryPass>, Error> {
    let mut passes = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "none" => {}
            word => passes.push(word.parse()?),
        }
    }
    Ok(in_run_order(&passes))
}

/// `passes` in [`RecoveryPass::ALL`] order, without repeats.
pub(crate) fn in_run_order(passes: &[RecoveryPass]) -> Vec<RecoveryPass> {
    RecoveryPass::ALL
        .into_iter()
        .filter(|pass| passes.contains(pass))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_read_and_write_the_same_words() {
        for pass in RecoveryPass::ALL {
            assert_eq!(pass.to_string().parse::<RecoveryPass>().ok(), Some(pass));
            let json = serde_json::to_string(&pass).unwrap();
            assert_eq!(json, format!("\"{pass}\""));
        }
        let error = "cle2".parse::<RecoveryPass>().unwrap_err().to_string();
        assert!(
            error.contains("`cle2`") && error.contains("`adaround`"),
            "{error}"
        );
    }

    #[test]
    fn a_list_is_put_in_run_order_without_repeats() {
        assert_eq!(
            parse_passes("bias, ranges,adaround,bias").unwrap(),
            vec![
                RecoveryPass::Ranges,
                RecoveryPass::Adaround,
                RecoveryPass::Bias
            ]
        );
        assert_eq!(parse_passes("none").unwrap(), vec![]);
        assert!(parse_passes("bias,cle2").is_err());
    }
}
