//! `qbound quantize --replay REPORT`: the float set a report recorded, applied again without
//! searching, and checked against what the report says it produced.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use qbound_engine::pipeline::FloatSet;
use qbound_engine::quantize::{QuantizeReport, Target};
use qbound_engine::sensitivity::MaxDropChoice;
use serde::Deserialize;

/// What a quantize report (the CLI's `<stem>_report.json` or a run's point report) records
/// about the model it describes.
#[derive(Debug, Deserialize)]
pub(crate) struct Replayed {
    /// The Q/DQ placement it was quantized for.
    pub(crate) target: Target,
    /// Groups left float, in model order.
    #[serde(default)]
    float_groups: Option<Vec<String>>,
    /// The model's and the calibration table's sha256 (reports older than these fields
    /// lack them).
    #[serde(default)]
    model_sha256: Option<String>,
    #[serde(default)]
    calibration_sha256: Option<String>,
    /// The max-drop search's choice, when a search made it.
    #[serde(default)]
    max_drop: Option<MaxDropChoice>,
}

impl Replayed {
    /// Reads a report.
    pub(crate) fn read(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        serde_json::from_slice(&text).with_context(|| {
            format!(
                "`{}` is not a quantize report (`qbound quantize --out-dir` writes one)",
                path.display()
            )
        })
    }

    /// Refuses inputs other than those the report was made from, when it names them.
    pub(crate) fn check_inputs(
        &self,
        model_sha256: &str,
        calibration_sha256: &str,
    ) -> anyhow::Result<()> {
        for (what, recorded, given) in [
            ("model", &self.model_sha256, model_sha256),
            (
                "calibration table",
                &self.calibration_sha256,
                calibration_sha256,
            ),
        ] {
            if recorded.as_deref().is_some_and(|r| r != given) {
                anyhow::bail!(
                    "the {what} differs from the one the report was made from: give the same `--model` and `--calib`"
                );
            }
        }
        Ok(())
    }

    /// The float set to quantize with: the search's choice, else the recorded groups.
    pub(crate) fn float_set(&self) -> anyhow::Result<FloatSet> {
        if let Some(choice) = &self.max_drop {
            return Ok(FloatSet::from(choice.clone()));
        }
        let groups = self
            .float_groups
            .as_ref()
            .context("the report records neither a max-drop choice nor its float groups")?;
        Ok(if groups.is_empty() {
            FloatSet::None
        } else {
            FloatSet::Ranked(groups.iter().cloned().collect::<HashSet<_>>())
        })
    }

    /// Fails unless `report` leaves float exactly the groups the report recorded.
    pub(crate) fn check_result(&self, report: &QuantizeReport) -> anyhow::Result<()> {
        match &self.float_groups {
            Some(groups) if *groups != report.float_groups => anyhow::bail!(
                "the replayed model keeps {} groups float where the report recorded {}: replay with the model, calibration table and `--quantize-decode-tail` setting it was made with",
                report.float_groups.len(),
                groups.len()
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> Replayed {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_report_without_a_search_replays_its_float_groups() {
        let replayed = report(
            r#"{"target": "ort-cpu", "files": [], "float_groups": ["conv_b", "conv_a"],
                "model_sha256": "aa", "calibration_sha256": "bb"}"#,
        );
        assert_eq!(replayed.target, Target::OrtCpu);
        let FloatSet::Ranked(groups) = replayed.float_set().unwrap() else {
            panic!("a float set");
        };
        assert_eq!(groups, HashSet::from(["conv_a".into(), "conv_b".into()]));
        assert!(replayed.check_inputs("aa", "bb").is_ok());
        let other = replayed.check_inputs("aa", "cc").unwrap_err().to_string();
        assert!(other.contains("calibration table"), "{other}");
        let none = report(r#"{"target": "tensor-rt", "float_groups": []}"#);
        assert!(matches!(none.float_set().unwrap(), FloatSet::None));
    }

    #[test]
    fn a_report_with_neither_choice_nor_groups_is_refused() {
        let error = report(r#"{"target": "tensor-rt"}"#)
            .float_set()
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("neither"), "{error}");
    }
}
