//! qbound's quantization engine: ONNX in and out, a graph IR, calibration, QDQ insertion,
//! batch re-targeting and throughput measurement. No HTTP, no database.

pub mod batch;
pub mod bench;
mod error;
pub mod graph;
pub mod layers;
pub mod onnx;
pub mod quantize;
pub mod runtime;

pub use error::{Error, Result};
