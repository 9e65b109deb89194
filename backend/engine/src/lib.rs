//! qbound's quantization engine: ONNX in and out, a graph IR, calibration, QDQ insertion,
//! batch re-targeting and throughput measurement. No HTTP, no database.

mod error;
pub mod onnx;

pub use error::{Error, Result};
