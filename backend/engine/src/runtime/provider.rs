//! The execution providers qbound knows.

use std::str::FromStr;

use crate::{Error, Result};

/// Where a session runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// ONNX Runtime's CPU provider.
    #[default]
    Cpu,
    /// NVIDIA CUDA.
    Cuda,
    /// NVIDIA TensorRT.
    TensorRt,
}

impl Provider {
    /// Every provider, fastest first: the order [`super::best_provider`] prefers.
    pub const FASTEST_FIRST: [Provider; 3] = [Provider::TensorRt, Provider::Cuda, Provider::Cpu];

    /// Whether the provider runs on an NVIDIA GPU.
    pub fn is_gpu(self) -> bool {
        self != Self::Cpu
    }
}

impl FromStr for Provider {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            "tensorrt" | "trt" => Ok(Self::TensorRt),
            other => Err(Error::InvalidInput(format!(
                "unknown provider `{other}`: use `cpu`, `cuda` or `tensorrt`"
            ))),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::TensorRt => "tensorrt",
        })
    }
}
