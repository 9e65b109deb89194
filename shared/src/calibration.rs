//! How activation ranges are chosen, written `auto`, `max`, `percentile`, `percentile:P`,
//! `entropy` or `mse`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text_enum::string_serde;

/// How each tensor's clipping range is chosen from its histogram.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum CalibrationMethod {
    /// Whichever method gives outputs closest to the float model's.
    #[default]
    Auto,
    /// The smallest range holding a percentage of the values (`None`: the engine's 99.99).
    Percentile(Option<f64>),
    /// The exact max |x|.
    Max,
    /// TensorRT's KL-divergence method.
    Entropy,
    /// The range that minimises the squared error of INT8 fake quantization.
    Mse,
}

impl CalibrationMethod {
    /// The methods a form offers, the percentile at its default.
    pub const NAMES: &'static [&'static str] = &["auto", "percentile", "max", "entropy", "mse"];
}

impl fmt::Display for CalibrationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Percentile(None) => f.write_str("percentile"),
            Self::Percentile(Some(p)) => write!(f, "percentile:{p}"),
            Self::Max => f.write_str("max"),
            Self::Entropy => f.write_str("entropy"),
            Self::Mse => f.write_str("mse"),
        }
    }
}

impl FromStr for CalibrationMethod {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "auto" => return Ok(Self::Auto),
            "percentile" => return Ok(Self::Percentile(None)),
            "max" => return Ok(Self::Max),
            "entropy" => return Ok(Self::Entropy),
            "mse" => return Ok(Self::Mse),
            _ => {}
        }
        let Some(value) = text.strip_prefix("percentile:") else {
            return Err(format!(
                "unknown calibration method `{text}`: use `auto`, `max`, `percentile`, `percentile:P`, `entropy` or `mse`"
            ));
        };
        match value.trim().parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Ok(Self::Percentile(Some(p))),
            _ => Err(format!(
                "`{text}`: the percentile must be a number above 0 and at most 100, e.g. `percentile:99.99`"
            )),
        }
    }
}

string_serde!(
    CalibrationMethod,
    "^(auto|max|entropy|mse|percentile(:[0-9.]+)?)$"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentile_keeps_the_way_it_was_written() {
        for text in ["auto", "percentile", "percentile:99.9", "mse"] {
            let method: CalibrationMethod = text.parse().unwrap();
            assert_eq!(method.to_string(), text);
        }
        assert_eq!("MAX".parse(), Ok(CalibrationMethod::Max));
        assert!("percentile:101".parse::<CalibrationMethod>().is_err());
        assert!(
            "kl".parse::<CalibrationMethod>()
                .unwrap_err()
                .contains("entropy")
        );
    }
}
