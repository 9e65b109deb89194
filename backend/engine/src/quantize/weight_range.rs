//! How many levels INT8 weights use: all of them, or seven bits where ONNX Runtime's x86
//! kernels would saturate.

use serde::{Deserialize, Serialize};

/// The range of the INT8 weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightRange {
    /// The full symmetric range, `[-127, 127]`.
    Full,
    /// Seven bits, `[-63, 63]` (ONNX Runtime's `reduce_range`). On x86 CPUs without VNNI,
    /// ONNX Runtime's uint8 x int8 kernels add pairs of products in 16 bits (VPMADDUBSW),
    /// which saturates when full-range weights meet large uint8 activations: PicoDet-layout
    /// at full range keeps 0.19 label mAP of the float model's 0.65 on an AVX2 machine, and
    /// 0.47 with seven-bit weights.
    Reduced,
}

impl WeightRange {
    /// The range that runs exactly on this machine's CPU with ONNX Runtime: seven bits on an
    /// x86-64 CPU without VNNI (AVX-512 VNNI or AVX-VNNI), else the full range.
    pub fn for_this_cpu() -> Self {
        if cpu_saturates_u8s8() {
            Self::Reduced
        } else {
            Self::Full
        }
    }

    /// The largest weight level.
    pub(crate) fn max_level(self) -> f32 {
        match self {
            Self::Full => 127.0,
            Self::Reduced => 63.0,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_saturates_u8s8() -> bool {
    !(std::arch::is_x86_feature_detected!("avx512vnni")
        || std::arch::is_x86_feature_detected!("avxvnni"))
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_saturates_u8s8() -> bool {
    false
}
