//! The names of the files in a job's folder: the inputs the server hands out under fixed
//! names, the files the tasks write, and the exports of a point named by batch size.

/// A file a job's folder holds under a fixed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobFile {
    /// The float model (an input of every job).
    Model,
    /// The calibration images, a normalised tar.
    CalibrationImages,
    /// The validation images, a normalised tar.
    ValidationImages,
    /// The calibration table the calibrate job writes.
    CalibrationTable,
    /// The TensorRT calibration cache the calibrate job writes.
    CalibrationCache,
    /// The ranking in the seed's text format the sensitivity job writes.
    SensitivityText,
    /// The full sensitivity report the sensitivity job writes.
    SensitivityReport,
    /// The greedy path a sweep's points are taken from, which the sensitivity job walks.
    GreedyPath,
}

impl JobFile {
    /// The file's name in the folder.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Model => "model.onnx",
            Self::CalibrationImages => "calibration.tar",
            Self::ValidationImages => "validation.tar",
            Self::CalibrationTable => "calibration.json",
            Self::CalibrationCache => "calibration.cache",
            Self::SensitivityText => "sensitivity.txt",
            Self::SensitivityReport => "sensitivity.json",
            Self::GreedyPath => "greedy_path.json",
        }
    }
}

/// The name of a point's export at a batch size: `<stem>_<tag>_bs<batch>.onnx`.
pub(crate) fn export_name(stem: &str, tag: &str, batch: impl std::fmt::Display) -> String {
    format!("{stem}_{tag}_bs{batch}.onnx")
}

/// The name of a point's report: `<stem>_<tag>_report.json`.
pub(crate) fn report_name(stem: &str, tag: &str) -> String {
    format!("{stem}_{tag}_report.json")
}

/// Whether `name` is an export of a point (any ONNX file but the float model).
pub(crate) fn is_export(name: &str) -> bool {
    name.ends_with(".onnx") && name != JobFile::Model.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_the_onnx_files_but_the_float_model() {
        assert!(is_export(&export_name("nanodet", "partial_k2", 32)));
        assert!(!is_export(JobFile::CalibrationTable.name()));
        assert!(!is_export(JobFile::Model.name()));
    }
}
