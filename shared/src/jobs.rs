//! The job queue's words: what a job does, where it is, what a worker must have, and what
//! kind of file it produced.

use crate::text_enum::text_enum;

text_enum!(
    /// What a job does.
    JobKind("job kind") {
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
        /// Where the INT8 error enters: the per-tensor error of the full-INT8 model.
        Analyze = "analyze",
    }
);

text_enum!(
    /// What a worker must have to run a job; also where a benchmark runs.
    Capability("capability") {
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
    JobState("job state") {
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

impl JobKind {
    /// Whether a job of this kind works on one trade-off point (its label names the point),
    /// rather than on the run as a whole (calibration, sensitivity, the error analysis).
    pub fn is_per_point(self) -> bool {
        !matches!(self, Self::Calibrate | Self::Sensitivity | Self::Analyze)
    }
}

text_enum!(
    /// What a file a job produced is.
    ArtifactKind("artifact kind") {
        /// An exported ONNX model.
        Onnx = "onnx",
        /// The calibration table (JSON).
        Calibration = "calibration",
        /// The TensorRT calibration cache.
        CalibrationCache = "calibration-cache",
        /// The sensitivity ranking (text or JSON).
        Sensitivity = "sensitivity",
        /// A TensorRT engine.
        Engine = "engine",
        /// A point's JSON report.
        Report = "report",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_ones_name_the_choices() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(*kind));
        }
        let json = serde_json::to_string(&ArtifactKind::CalibrationCache).unwrap();
        assert_eq!(json, r#""calibration-cache""#);
        let error = "gpu".parse::<Capability>().unwrap_err().to_string();
        assert_eq!(
            error,
            "unknown capability `gpu`: use one of cpu, cuda, tensorrt"
        );
        assert!(serde_json::from_str::<JobState>(r#""done""#).is_err());
    }
}
