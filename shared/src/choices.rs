//! The fixed choices of a run's configuration, in the order the new-run form offers them.

use crate::text_enum::text_enum;

/// The built-in model profiles (how to feed and read a detector), as the engine names them.
pub const PROFILES: &[&str] = &["nanodet", "picodet", "yolov6", "yolov5", "yolov8", "yolox"];

text_enum!(
    /// Which runtime the Q/DQ placement is written for.
    Target("target") {
        /// TensorRT's explicit quantization.
        TensorRt = "tensorrt" | "trt",
        /// ONNX Runtime's CPU provider (runs INT8 kernels).
        OrtCpu = "ort-cpu" | "cpu",
    }
);

text_enum!(
    /// Which layers are quantized while one layer is measured.
    SensitivityMode("sensitivity mode") {
        /// Only the measured layer (YOLOv6's method).
        OneOn = "one-on",
        /// Every layer but the measured one.
        OneOff = "one-off",
    }
);

text_enum!(
    /// How a model's accuracy is scored.
    Metric("sensitivity metric") {
        /// Fidelity of the raw outputs to the float model's, on a few images.
        Proxy = "proxy",
        /// mAP against the float model's own detections.
        Agreement = "agreement",
        /// COCO mAP against the dataset's annotations.
        Map = "map",
    }
);

text_enum!(
    /// An accuracy-recovery pass run at calibration (the engine's `recover` module).
    RecoveryPass("recovery pass") {
        /// Cross-layer equalization of Conv pairs.
        Cle = "cle",
        /// Each activation's uint8 bounds chosen for what the tensor feeds.
        Ranges = "ranges",
        /// Adaptive rounding of every layer's INT8 weights.
        Adaround = "adaround",
        /// Empirical bias correction of every biased layer.
        Bias = "bias",
    }
);

impl Metric {
    /// Whether scoring needs validation images (only the proxy can use calibration images).
    pub fn needs_validation_images(self) -> bool {
        self != Self::Proxy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_spellings_of_a_target_are_still_read() {
        assert_eq!("trt".parse::<Target>(), Ok(Target::TensorRt));
        assert_eq!(Target::OrtCpu.to_string(), "ort-cpu");
        assert_eq!(Metric::NAMES, ["proxy", "agreement", "map"]);
    }
}
