//! qbound's quantization engine: ONNX in and out, a graph IR, calibration, QDQ insertion,
//! batch re-targeting and throughput measurement. No HTTP, no database.

pub mod analyze;
pub mod batch;
pub mod bench;
pub mod calibrate;
pub mod cleanup;
pub mod coco;
pub mod detect;
mod error;
pub mod evaluate;
pub mod fp16;
pub mod graph;
pub mod images;
pub mod layers;
pub mod onnx;
pub mod pipeline;
pub mod profile;
pub mod quantize;
pub mod recover;
pub mod runtime;
pub mod sensitivity;
pub mod tensorrt;

pub use error::{Error, Result};
