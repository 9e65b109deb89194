//! The job queue's vocabulary: what a run becomes (plan), what workers and the server say to
//! each other (protocol), and what a job does (execute).

pub(crate) mod apply;
pub(crate) mod config;
pub(crate) mod control;
mod engine;
mod evaluate;
pub(crate) mod execute;
pub(crate) mod plan;
pub(crate) mod protocol;
mod quantize;
mod scoring;
mod sensitivity;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The name as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self, Error> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(Error::BadRequest(format!(
                        concat!("unknown ", stringify!($name), " `{}`: use one of {}"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a job does.
    JobKind {
        /// Activation ranges from the calibration images.
        Calibrate = "calibrate",
        /// Per-layer sensitivity ranking.
        Sensitivity = "sensitivity",
        /// The (partially) quantized model of one trade-off point, exported per batch size.
        Quantize = "quantize",
        /// Accuracy of one trade-off point on the validation images.
        Evaluate = "evaluate",
        /// Throughput of one trade-off point against the float model.
        Benchmark = "benchmark",
        /// A TensorRT engine for one trade-off point.
        Engine = "engine",
    }
);

text_enum!(
    /// What a worker must have to run a job.
    Capability {
        /// Any CPU.
        Cpu = "cpu",
        /// An NVIDIA GPU with CUDA.
        Cuda = "cuda",
        /// TensorRT.
        Tensorrt = "tensorrt",
    }
);

text_enum!(
    /// Where a job is in its life.
    JobState {
        /// Waiting for a worker (and for the jobs it depends on).
        Queued = "queued",
        /// Claimed by a worker that holds its lease.
        Running = "running",
        /// Done, results stored.
        Succeeded = "succeeded",
        /// Failed for good (after its retries).
        Failed = "failed",
        /// Cancelled, or abandoned because a job it depends on failed.
        Cancelled = "cancelled",
    }
);

impl JobState {
    /// Whether the job will not change any more (short of a retry).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}
