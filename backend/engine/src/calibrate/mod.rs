//! INT8 calibration math: streaming |x| histograms, amax by max, percentile, entropy or MSE,
//! and the calibration table with its TensorRT cache.

mod amax;
mod histogram;
mod run;
mod table;
#[cfg(test)]
mod test_rng;

pub use amax::{CalibrationMethod, DEFAULT_PERCENTILE, compute_amax};
pub use histogram::{DEFAULT_BINS, Histogram};
pub use run::{AutoJudge, auto_judge_images, calibrate_model, calibrate_model_judged};
pub use table::{
    AutoChoice, CALIBRATION_TABLE_VERSION, Calibration, CalibrationTable,
    DEFAULT_TENSORRT_VERSION_CODE, TensorRange,
};
