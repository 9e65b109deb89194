//! The steps from a float model to its exported INT8 files, written once for the command
//! line and the server's worker: calibration (with `auto` judged), the scorer a metric
//! names, the quantizer groups a boundary keeps in float, the export at each batch size, and
//! the per-tensor error analysis of the full-INT8 model.

mod analysis;
mod calibration;
mod export;
mod float_set;
mod scorer;

pub use analysis::{ANALYSIS_IMAGES, OUTPUT_ERROR_IMAGES, analyze_images};
pub use calibration::{CalibrationInput, calibrate_images};
pub use export::{ExportTarget, export_batches};
pub use float_set::{FloatSet, quantize_point};
pub use scorer::{Metric, accuracy_scorer, build_scorer};
