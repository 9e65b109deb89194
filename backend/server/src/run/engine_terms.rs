//! The one place where the API's words for a setting become the engine's types.

use qbound_engine::batch::BatchSize;
use qbound_engine::calibrate::{CalibrationMethod as EngineMethod, DEFAULT_PERCENTILE};
use qbound_engine::pipeline::Metric as EngineMetric;
use qbound_engine::quantize::Target as EngineTarget;
use qbound_engine::recover::RecoveryPass as EnginePass;
use qbound_engine::runtime::Provider;
use qbound_engine::sensitivity::SensitivityMode;
use qbound_shared::{CalibrationMethod, Capability, ExportBatchSize, Metric, RecoveryPass, Target};

/// A setting of the API as the engine takes it.
pub(crate) trait ToEngine {
    /// The engine's type.
    type Engine;

    /// The same setting, in the engine's type.
    fn to_engine(self) -> Self::Engine;
}

impl ToEngine for Target {
    type Engine = EngineTarget;

    fn to_engine(self) -> EngineTarget {
        match self {
            Self::TensorRt => EngineTarget::TensorRt,
            Self::OrtCpu => EngineTarget::OrtCpu,
        }
    }
}

impl ToEngine for CalibrationMethod {
    type Engine = EngineMethod;

    fn to_engine(self) -> EngineMethod {
        match self {
            Self::Auto => EngineMethod::Auto,
            Self::Percentile(p) => EngineMethod::Percentile(p.unwrap_or(DEFAULT_PERCENTILE)),
            Self::Max => EngineMethod::Max,
            Self::Entropy => EngineMethod::Entropy,
            Self::Mse => EngineMethod::Mse,
        }
    }
}

impl ToEngine for RecoveryPass {
    type Engine = EnginePass;

    fn to_engine(self) -> EnginePass {
        match self {
            Self::Cle => EnginePass::Cle,
            Self::Ranges => EnginePass::Ranges,
            Self::Adaround => EnginePass::Adaround,
            Self::Bias => EnginePass::Bias,
        }
    }
}

impl ToEngine for &[RecoveryPass] {
    type Engine = Vec<EnginePass>;

    fn to_engine(self) -> Vec<EnginePass> {
        self.iter().map(|pass| pass.to_engine()).collect()
    }
}

impl ToEngine for qbound_shared::SensitivityMode {
    type Engine = SensitivityMode;

    fn to_engine(self) -> SensitivityMode {
        match self {
            Self::OneOn => SensitivityMode::OneOn,
            Self::OneOff => SensitivityMode::OneOff,
        }
    }
}

impl ToEngine for Metric {
    type Engine = EngineMetric;

    fn to_engine(self) -> EngineMetric {
        match self {
            Self::Proxy => EngineMetric::Proxy,
            Self::Agreement => EngineMetric::Agreement,
            Self::Map => EngineMetric::Map,
        }
    }
}

impl ToEngine for Capability {
    type Engine = Provider;

    fn to_engine(self) -> Provider {
        match self {
            Self::Cpu => Provider::Cpu,
            Self::Cuda => Provider::Cuda,
            Self::Tensorrt => Provider::TensorRt,
        }
    }
}

impl ToEngine for ExportBatchSize {
    type Engine = BatchSize;

    fn to_engine(self) -> BatchSize {
        match self {
            Self::Fixed(n) => BatchSize::Fixed(i64::from(n)),
            Self::Dynamic => BatchSize::Dynamic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reads_the_same_in_the_engine() {
        for target in Target::ALL {
            assert_eq!(target.to_engine().to_string(), target.as_str());
        }
        for text in ["auto", "max", "percentile:99.9", "entropy", "mse"] {
            let method: CalibrationMethod = text.parse().unwrap();
            assert_eq!(method.to_engine().to_string(), text);
        }
        for metric in Metric::ALL {
            assert_eq!(metric.to_engine().to_string(), metric.as_str());
        }
        for provider in Capability::ALL {
            assert_eq!(provider.to_engine().to_string(), provider.as_str());
        }
    }

    #[test]
    fn the_profiles_the_ui_offers_are_the_engines_built_in_ones() {
        assert_eq!(
            qbound_shared::PROFILES,
            qbound_engine::profile::BUILTIN_PROFILES
        );
    }
}
