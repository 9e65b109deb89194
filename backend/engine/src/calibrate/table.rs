//! The calibration table: per-tensor ranges saved as JSON and as a TensorRT calibration cache.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CalibrationMethod, Histogram, compute_amax};
use crate::recover::Recovery;
use crate::{Error, Result};

/// The table format this build writes and reads.
pub const CALIBRATION_TABLE_VERSION: u32 = 2;

/// The TensorRT version code of [`CalibrationTable::write_tensorrt_cache`] for TensorRT 10.3.0.
///
/// The code is TensorRT's `NV_TENSORRT_VERSION` (what `getInferLibVersion()` returns):
/// `major·10000 + minor·100 + patch` from TensorRT 10 on (10.3.0 → `100300`), and
/// `major·1000 + minor·100 + patch` before it (8.6.1 → `8601`).
pub const DEFAULT_TENSORRT_VERSION_CODE: &str = "100300";

/// The amax below which a scale is floored: 2^-24, below the smallest normal float16, as
/// pytorch-quantization treats such ranges as zero.
const MIN_AMAX: f32 = 1.0 / 16_777_216.0;

/// Levels on each side of zero in symmetric INT8.
const INT8_LEVELS: f32 = 127.0;

/// The calibrated range of one tensor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TensorRange {
    /// The symmetric clipping range chosen by the table's method.
    pub amax: f32,
    /// The exact max |x| seen.
    pub max: f32,
    /// The smallest value seen (at most 0).
    pub lowest: f32,
    /// The largest value seen (at least 0).
    pub highest: f32,
    /// How many finite values were seen.
    pub count: u64,
    /// The asymmetric bounds `[low, high]` the `ranges` recovery pass chose for a
    /// zero-point quantizer, when it chose any (they replace the method's clip there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<[f32; 2]>,
}

/// What quantization reads from a calibration table: each tensor's range by name, and what
/// the accuracy-recovery passes measured (see [`Recovery`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calibration {
    /// The range of each tensor, by tensor name.
    pub ranges: std::collections::HashMap<String, TensorRange>,
    /// What the recovery passes measured.
    pub recovery: Recovery,
}

impl Calibration {
    /// The range of `tensor`, if it was calibrated.
    pub fn range(&self, tensor: &str) -> Option<&TensorRange> {
        self.ranges.get(tensor)
    }
}

impl FromIterator<(String, TensorRange)> for Calibration {
    /// Ranges alone, with no recovery.
    fn from_iter<I: IntoIterator<Item = (String, TensorRange)>>(iter: I) -> Self {
        Self {
            ranges: iter.into_iter().collect(),
            recovery: Recovery::default(),
        }
    }
}

impl TensorRange {
    /// The range of a tensor whose |x| histogram is `histogram`, by `method`.
    pub fn from_histogram(histogram: &Histogram, method: &CalibrationMethod) -> Self {
        Self {
            amax: compute_amax(histogram, method),
            max: histogram.max(),
            lowest: histogram.lowest(),
            highest: histogram.highest(),
            count: histogram.count(),
            clip: None,
        }
    }

    /// A range whose values were seen in `[-amax, amax]` on both sides.
    pub fn symmetric(amax: f32) -> Self {
        Self {
            amax,
            max: amax,
            lowest: -amax,
            highest: amax,
            count: 0,
            clip: None,
        }
    }

    /// The asymmetric clipping range `[low, high]` for a zero-point quantizer, always
    /// holding 0: the recovery's [`clip`](Self::clip) when there is one, else the values
    /// seen, clipped on each side to the method's `amax`.
    pub fn clipped_bounds(&self) -> (f32, f32) {
        match self.clip {
            Some([low, high]) => (low.min(0.0), high.max(0.0)),
            None => (
                self.lowest.max(-self.amax).min(0.0),
                self.highest.min(self.amax).max(0.0),
            ),
        }
    }

    /// The union of two ranges, for tensors that must share one quantizer; a recovery clip
    /// on either side becomes the union of both sides' clipped bounds.
    pub fn union(&self, other: &Self) -> Self {
        let clip = (self.clip.is_some() || other.clip.is_some()).then(|| {
            let (a, b) = (self.clipped_bounds(), other.clipped_bounds());
            [a.0.min(b.0), a.1.max(b.1)]
        });
        Self {
            amax: self.amax.max(other.amax),
            max: self.max.max(other.max),
            lowest: self.lowest.min(other.lowest),
            highest: self.highest.max(other.highest),
            count: self.count + other.count,
            clip,
        }
    }
}

/// What `auto` calibration chose, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoChoice {
    /// The method whose ranges the table holds.
    pub chosen: CalibrationMethod,
    /// Each candidate method and the output fidelity of the full-INT8 model it gave.
    pub fidelity: Vec<(CalibrationMethod, f64)>,
    /// How many images the candidates were judged on (0 in tables older than this field).
    #[serde(default)]
    pub judged_images: u64,
    /// Whether the candidates' ranges were fitted without the judged images.
    #[serde(default)]
    pub held_out: bool,
    /// Each candidate's score on the even- and on the odd-numbered judged images, in the
    /// order of `fidelity`, when the judge can split its images (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub halves: Vec<[f64; 2]>,
}

/// Per-tensor activation ranges of one model from one calibration run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationTable {
    /// The format version, [`CALIBRATION_TABLE_VERSION`] when written by this build.
    pub version: u32,
    /// How each amax was chosen.
    pub method: CalibrationMethod,
    /// The model calibrated: its sha256 or name, as the caller chooses.
    pub model: String,
    /// How many images were fed.
    pub images: u64,
    /// For `auto`: the method chosen, and each candidate's output fidelity (1 is perfect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoChoice>,
    /// The range of each tensor, by tensor name.
    pub tensors: BTreeMap<String, TensorRange>,
    /// What the accuracy-recovery passes measured (none in tables written without them).
    #[serde(default, skip_serializing_if = "Recovery::is_empty")]
    pub recovery: Recovery,
}

impl CalibrationTable {
    /// An empty table of the current version.
    pub fn new(method: CalibrationMethod, model: impl Into<String>, images: u64) -> Self {
        Self {
            version: CALIBRATION_TABLE_VERSION,
            method,
            model: model.into(),
            images,
            auto: None,
            tensors: BTreeMap::new(),
            recovery: Recovery::default(),
        }
    }

    /// What quantization reads: every tensor's range, by tensor name, and the recovery.
    pub fn calibration(&self) -> Calibration {
        Calibration {
            ranges: self
                .tensors
                .iter()
                .map(|(name, range)| (name.clone(), *range))
                .collect(),
            recovery: self.recovery.clone(),
        }
    }

    /// Reads a table written by [`save`](Self::save) and checks it.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let table: Self = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?;
        if table.version != CALIBRATION_TABLE_VERSION {
            return Err(Error::InvalidInput(format!(
                "`{}` is a calibration table of version {}, this build reads version {}: calibrate the model again",
                path.display(),
                table.version,
                CALIBRATION_TABLE_VERSION
            )));
        }
        table
            .validate()
            .map_err(|reason| Error::InvalidInput(format!("`{}`: {reason}", path.display())))?;
        Ok(table)
    }

    /// Checks the table, then writes it as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate().map_err(Error::InvalidInput)?;
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(|e| Error::io(path, e))
    }

    /// The INT8 scale of tensor `name`, amax/127, floored at 2^-24/127 so that a tensor that
    /// was always 0 still gets a positive scale.
    pub fn scale(&self, name: &str) -> Option<f32> {
        self.tensors.get(name).map(|range| int8_scale(range.amax))
    }

    /// TensorRT's calibration cache text: the header `TRT-<code>-EntropyCalibration2`, then
    /// `name: <scale>` per tensor (by name), the scale as the 8 lowercase hex digits of its
    /// IEEE-754 float32 bits, most significant first. TensorRT reads it with implicit INT8
    /// calibration; see [`DEFAULT_TENSORRT_VERSION_CODE`] for the code.
    pub fn tensorrt_cache(&self, trt_version_code: &str) -> Result<String> {
        if trt_version_code.is_empty() || !trt_version_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidInput(format!(
                "TensorRT version code `{trt_version_code}` must be digits, e.g. `{DEFAULT_TENSORRT_VERSION_CODE}` for TensorRT 10.3.0"
            )));
        }
        let mut text = format!("TRT-{trt_version_code}-EntropyCalibration2\n");
        for (name, range) in &self.tensors {
            if name.contains(['\n', '\r']) {
                return Err(Error::InvalidInput(format!(
                    "tensor name {name:?} has a line break, which a TensorRT cache cannot hold"
                )));
            }
            let _ = writeln!(text, "{name}: {:08x}", int8_scale(range.amax).to_bits());
        }
        Ok(text)
    }

    /// Writes [`tensorrt_cache`](Self::tensorrt_cache) to `path`.
    pub fn write_tensorrt_cache(&self, path: &Path, trt_version_code: &str) -> Result<()> {
        let text = self.tensorrt_cache(trt_version_code)?;
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }

    /// A message naming the first tensor whose ranges are unusable.
    fn validate(&self) -> std::result::Result<(), String> {
        for (name, range) in &self.tensors {
            for (field, value) in [
                ("amax", range.amax),
                ("max", range.max),
                ("highest", range.highest),
                ("-lowest", -range.lowest),
            ] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(format!(
                        "tensor `{name}` has {field} {value}, which must be finite and not negative: calibrate the model again"
                    ));
                }
            }
            if let Some([low, high]) = range.clip
                && !(low.is_finite() && high.is_finite() && low <= 0.0 && high >= 0.0)
            {
                return Err(format!(
                    "tensor `{name}` has clip [{low}, {high}], which must be finite and hold 0: calibrate the model again"
                ));
            }
        }
        Ok(())
    }
}

fn int8_scale(amax: f32) -> f32 {
    amax.max(MIN_AMAX) / INT8_LEVELS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CalibrationTable {
        let mut table =
            CalibrationTable::new(CalibrationMethod::Percentile(99.9), "sha256:ab12", 32);
        for (name, amax) in [("images", 127.0f32), ("conv1.out", 2.54), ("zero", 0.0)] {
            table.tensors.insert(
                name.to_owned(),
                TensorRange {
                    amax,
                    max: amax * 1.5,
                    lowest: -amax,
                    highest: amax * 1.5,
                    count: 1000,
                    clip: None,
                },
            );
        }
        table
    }

    #[test]
    fn a_table_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calib.json");
        let table = table();
        table.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"method\": \"percentile:99.9\""), "{text}");
        assert_eq!(CalibrationTable::load(&path).unwrap(), table);
    }

    #[test]
    fn the_tensorrt_cache_has_the_header_and_big_endian_scale_bits() {
        let mut table = table();
        table.tensors.remove("conv1.out");
        table.tensors.insert(
            "half".to_owned(),
            TensorRange {
                count: 1,
                ..TensorRange::symmetric(63.5)
            },
        );
        let text = table.tensorrt_cache(DEFAULT_TENSORRT_VERSION_CODE).unwrap();
        // 127/127 = 1.0 = 0x3f800000; 63.5/127 = 0.5 = 0x3f000000;
        // 2^-24/127 = 2^-31 · (128/127) → exponent 96 = 0x30, mantissa of 128/127.
        let tiny = (MIN_AMAX / 127.0).to_bits();
        assert_eq!(tiny >> 23, 127 - 31);
        assert_eq!(
            text,
            format!(
                "TRT-100300-EntropyCalibration2\nhalf: 3f000000\nimages: 3f800000\nzero: {tiny:08x}\n"
            )
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calib.cache");
        table.write_tensorrt_cache(&path, "8601").unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with("TRT-8601-EntropyCalibration2\nhalf: 3f000000\n"));
        assert!(table.tensorrt_cache("10.3").is_err());
    }

    #[test]
    fn scale_is_amax_over_127_and_positive_for_zero_ranges() {
        let table = table();
        assert_eq!(table.scale("images"), Some(1.0));
        assert!(
            table
                .scale("conv1.out")
                .is_some_and(|scale| (scale - 0.02).abs() < 1e-8)
        );
        assert!(table.scale("zero").is_some_and(|scale| scale > 0.0));
        assert_eq!(table.scale("missing"), None);
    }

    #[test]
    fn loading_reports_missing_files_bad_json_wrong_versions_and_bad_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let missing = CalibrationTable::load(&dir.path().join("none.json"));
        assert!(matches!(missing, Err(Error::Io { .. })));

        let path = dir.path().join("calib.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            CalibrationTable::load(&path),
            Err(Error::Json { .. })
        ));

        let mut future = table();
        future.version = CALIBRATION_TABLE_VERSION + 1;
        std::fs::write(&path, serde_json::to_string(&future).unwrap()).unwrap();
        let error = CalibrationTable::load(&path).unwrap_err().to_string();
        assert!(error.contains("version 2"), "{error}");

        let mut negative = table();
        negative.tensors.get_mut("images").unwrap().amax = -1.0;
        assert!(negative.save(&path).is_err());
        std::fs::write(&path, serde_json::to_string(&negative).unwrap()).unwrap();
        let error = CalibrationTable::load(&path).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput(m) if m.contains("`images`")),
            "{error}"
        );

        // JSON has no NaN: serde_json writes it as null, which does not parse as a number.
        let mut nan = table();
        nan.tensors.get_mut("images").unwrap().amax = f32::NAN;
        assert!(nan.save(&path).is_err());
        std::fs::write(&path, serde_json::to_string(&nan).unwrap()).unwrap();
        assert!(matches!(
            CalibrationTable::load(&path),
            Err(Error::Json { .. })
        ));
    }

    #[test]
    fn a_tensor_range_comes_from_its_histogram() {
        let mut histogram = Histogram::new();
        histogram.add(&[0.5, -2.0, 1.0]);
        let range = TensorRange::from_histogram(&histogram, &CalibrationMethod::Max);
        assert_eq!(
            range,
            TensorRange {
                amax: 2.0,
                max: 2.0,
                lowest: -2.0,
                highest: 1.0,
                count: 3,
                clip: None,
            }
        );
        assert_eq!(range.clipped_bounds(), (-2.0, 1.0));
    }

    #[test]
    fn clipped_bounds_hold_zero_and_respect_the_method_amax() {
        let range = TensorRange {
            amax: 4.0,
            max: 9.0,
            lowest: -0.25,
            highest: 9.0,
            count: 10,
            clip: None,
        };
        assert_eq!(range.clipped_bounds(), (-0.25, 4.0));
        let positive = TensorRange {
            lowest: 0.5,
            ..range
        };
        assert_eq!(positive.clipped_bounds(), (0.0, 4.0));
        let recovered = TensorRange {
            clip: Some([-0.1, 2.5]),
            ..range
        };
        assert_eq!(recovered.clipped_bounds(), (-0.1, 2.5));
        assert_eq!(recovered.union(&range).clipped_bounds(), (-0.25, 4.0));
    }
}
