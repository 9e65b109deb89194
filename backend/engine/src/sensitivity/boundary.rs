//! Which layers stay in float: the seed's quant boundary, a fixed count, and the seed's
//! sensitivity text file.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use super::SensitivityReport;
use crate::{Error, Result};

/// How many of the most sensitive layers stay in float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatSelection {
    /// The seed's `--quant-boundary N`: the first N+1 layers of the least-sensitive-first
    /// ranking are quantized, the rest stay float.
    QuantBoundary(usize),
    /// The K most sensitive layers stay float.
    KeepFloat(usize),
}

/// The groups that stay float under `selection`, given a least-sensitive-first ranking;
/// groups the ranking does not name are quantized.
pub fn float_groups(ranking: &[String], selection: FloatSelection) -> Result<HashSet<String>> {
    let count = match selection {
        FloatSelection::QuantBoundary(boundary) => {
            if boundary >= ranking.len() {
                return Err(Error::InvalidInput(format!(
                    "quant boundary {boundary} needs at least {} ranked layers; the ranking has {}",
                    boundary + 1,
                    ranking.len()
                )));
            }
            boundary + 1
        }
        FloatSelection::KeepFloat(keep) => {
            if keep > ranking.len() {
                return Err(Error::InvalidInput(format!(
                    "cannot keep {keep} layers in float: the ranking has {}",
                    ranking.len()
                )));
            }
            ranking.len() - keep
        }
    };
    Ok(ranking[count..].iter().cloned().collect())
}

/// The seed's sensitivity file: one `layer mAP@0.5 mAP@0.5:0.95` line per layer, least
/// sensitive first (for the proxy metric: `layer SNR-dB fidelity`).
pub fn sensitivity_text(report: &SensitivityReport) -> String {
    let mut text = String::new();
    for layer in &report.layers {
        let _ = writeln!(
            text,
            "{} {:.6} {:.6}",
            layer.name, layer.score.secondary, layer.score.primary
        );
    }
    text
}

/// Reads the layer ranking (the first word of each line) from a sensitivity file.
pub fn read_ranking(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let ranking: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let unique: HashSet<&String> = ranking.iter().collect();
    if ranking.is_empty() {
        return Err(Error::InvalidInput(format!(
            "`{}` lists no layers",
            path.display()
        )));
    }
    if unique.len() != ranking.len() {
        return Err(Error::InvalidInput(format!(
            "`{}` lists a layer twice",
            path.display()
        )));
    }
    Ok(ranking)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking() -> Vec<String> {
        ["least", "b", "c", "most"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn quant_boundary_quantizes_the_first_boundary_plus_one_layers() {
        let float = float_groups(&ranking(), FloatSelection::QuantBoundary(1)).unwrap();
        assert_eq!(float, HashSet::from(["c".to_string(), "most".to_string()]));
        let none = float_groups(&ranking(), FloatSelection::QuantBoundary(3)).unwrap();
        assert!(none.is_empty());
        assert!(float_groups(&ranking(), FloatSelection::QuantBoundary(4)).is_err());
    }

    #[test]
    fn keep_float_leaves_the_most_sensitive_layers_out() {
        let float = float_groups(&ranking(), FloatSelection::KeepFloat(1)).unwrap();
        assert_eq!(float, HashSet::from(["most".to_string()]));
        assert!(
            float_groups(&ranking(), FloatSelection::KeepFloat(0))
                .unwrap()
                .is_empty()
        );
        assert!(float_groups(&ranking(), FloatSelection::KeepFloat(5)).is_err());
    }

    #[test]
    fn reads_the_seed_file_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sens.txt");
        std::fs::write(&path, "conv_a 0.61 0.42\n\nconv_b 0.60 0.40\n").unwrap();
        assert_eq!(read_ranking(&path).unwrap(), ["conv_a", "conv_b"]);
        std::fs::write(&path, "conv_a 1 1\nconv_a 1 1\n").unwrap();
        assert!(
            read_ranking(&path)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }
}
