//! The batch size a quantized model is exported at, written `1`, `32` or `dynamic`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text_enum::string_serde;

/// A fixed batch size, or a symbolic batch dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ExportBatchSize {
    /// A fixed batch size, at least 1.
    Fixed(u32),
    /// A symbolic `batch` dimension.
    Dynamic,
}

impl fmt::Display for ExportBatchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(n) => write!(f, "{n}"),
            Self::Dynamic => f.write_str("dynamic"),
        }
    }
}

impl FromStr for ExportBatchSize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "dynamic" => Ok(Self::Dynamic),
            number => match number.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Self::Fixed(n)),
                _ => Err(format!(
                    "batch size `{text}` is neither a positive integer nor `dynamic`"
                )),
            },
        }
    }
}

string_serde!(ExportBatchSize, "^([1-9][0-9]*|dynamic)$");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_as_strings() {
        let sizes: Vec<ExportBatchSize> = serde_json::from_str(r#"["1", "dynamic"]"#).unwrap();
        assert_eq!(sizes, [ExportBatchSize::Fixed(1), ExportBatchSize::Dynamic]);
        assert_eq!(serde_json::to_string(&sizes).unwrap(), r#"["1","dynamic"]"#);
        assert!("0".parse::<ExportBatchSize>().is_err());
    }
}
