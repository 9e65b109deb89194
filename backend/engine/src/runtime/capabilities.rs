//! Which providers really work on this machine.

use std::sync::OnceLock;

use ndarray::ArrayD;
use serde::Serialize;

use super::{GpuOptions, Provider, SessionConfig, gpu_libraries, run_f32, session_from_bytes_with};
use crate::onnx::proto::{GraphProto, ModelProto, NodeProto, OperatorSetIdProto};
use crate::onnx::{encode_model, float_value_info};

/// A provider this machine cannot use, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingProvider {
    /// The provider.
    pub provider: Provider,
    /// What is missing, naming the files or libraries.
    pub reason: String,
}

/// The providers that initialise on this machine, and the reasons the others do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Providers that built and ran a probe session; `cpu` is always first.
    pub available: Vec<Provider>,
    /// Providers that did not, each with its reason.
    pub missing: Vec<MissingProvider>,
}

impl Capabilities {
    /// Whether `provider` initialised.
    pub fn has(&self, provider: Provider) -> bool {
        self.available.contains(&provider)
    }

    /// The fastest available provider: TensorRT, then CUDA, then the CPU.
    pub fn best(&self) -> Provider {
        Provider::FASTEST_FIRST
            .into_iter()
            .find(|p| self.has(*p))
            .unwrap_or(Provider::Cpu)
    }

    /// Why `provider` is unavailable, `None` when it is available.
    pub fn reason(&self, provider: Provider) -> Option<&str> {
        self.missing
            .iter()
            .find(|m| m.provider == provider)
            .map(|m| m.reason.as_str())
    }
}

static DETECTED: OnceLock<Capabilities> = OnceLock::new();

/// The providers of this machine: `cpu` always, `cuda` and `tensorrt` only when a probe
/// session builds and runs on them. Detected once per process (a TensorRT probe builds an
/// engine, which takes seconds).
pub fn detect_capabilities() -> Capabilities {
    DETECTED.get_or_init(detect_now).clone()
}

/// The fastest provider that initialises here: TensorRT, then CUDA, then the CPU.
pub fn best_provider() -> Provider {
    detect_capabilities().best()
}

fn detect_now() -> Capabilities {
    let mut capabilities = Capabilities {
        available: vec![Provider::Cpu],
        missing: Vec::new(),
    };
    for provider in [Provider::Cuda, Provider::TensorRt] {
        match probe(provider) {
            Ok(()) => capabilities.available.push(provider),
            Err(reason) => capabilities
                .missing
                .push(MissingProvider { provider, reason }),
        }
    }
    capabilities
}

/// Builds and runs a one-node session on `provider`; the error says what is missing.
fn probe(provider: Provider) -> Result<(), String> {
    if let Some(reason) = gpu_libraries::missing_plugin(provider) {
        let libraries = gpu_libraries::missing_system_libraries(provider);
        return Err(if libraries.is_empty() {
            reason
        } else {
            format!(
                "{reason}; also not on the library path: {}",
                libraries.join(", ")
            )
        });
    }
    let config = SessionConfig {
        provider,
        threads: Some(1),
        optimize: true,
    };
    let gpu = GpuOptions {
        tensorrt_cache_dir: None,
        ..GpuOptions::default()
    };
    let mut session =
        session_from_bytes_with(&probe_model(), &config, &gpu).map_err(|e| e.to_string())?;
    let input = ArrayD::from_elem(vec![1, 4], -1.0f32);
    let out = run_f32(&mut session, "x", input.view(), &[]).map_err(|e| e.to_string())?;
    match out.get("y").and_then(|y| y.iter().next()) {
        Some(&0.0) => Ok(()),
        other => Err(format!(
            "the `{provider}` provider ran a Relu probe and returned {other:?}, not 0"
        )),
    }
}

/// `y = Relu(x)` on a float [1, 4].
fn probe_model() -> Vec<u8> {
    let model = ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(13),
        }],
        graph: Some(GraphProto {
            name: Some("qbound_probe".into()),
            node: vec![NodeProto {
                op_type: Some("Relu".into()),
                name: Some("probe".into()),
                input: vec!["x".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            input: vec![float_value_info("x", &[1, 4])],
            output: vec![float_value_info("y", &[1, 4])],
            ..Default::default()
        }),
        ..Default::default()
    };
    encode_model(&model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_provider_is_the_fastest_available() {
        let mut caps = Capabilities {
            available: vec![Provider::Cpu],
            missing: Vec::new(),
        };
        assert_eq!(caps.best(), Provider::Cpu);
        caps.available.push(Provider::Cuda);
        assert_eq!(caps.best(), Provider::Cuda);
        caps.available.push(Provider::TensorRt);
        assert_eq!(caps.best(), Provider::TensorRt);
    }

    #[test]
    fn the_probe_runs_on_the_cpu() {
        let config = SessionConfig::default();
        let mut session =
            session_from_bytes_with(&probe_model(), &config, &GpuOptions::default()).unwrap();
        let input = ArrayD::from_elem(vec![1, 4], 2.0f32);
        let out = run_f32(&mut session, "x", input.view(), &[]).unwrap();
        assert_eq!(out["y"].iter().copied().collect::<Vec<_>>(), [2.0; 4]);
    }
}
