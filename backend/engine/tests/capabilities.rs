//! Capability detection on the machine running the tests. On a CPU-only machine (no GPU
//! build of ONNX Runtime, or no NVIDIA libraries) only `cpu` is reported, with reasons.
#![allow(clippy::unwrap_used)]

use qbound_engine::runtime::{
    Provider, SessionConfig, best_provider, detect_capabilities, gpu_name, session_from_bytes,
};

fn machine_has_a_gpu() -> bool {
    gpu_name().is_some()
}

#[test]
fn cpu_is_always_available_and_every_other_provider_is_available_or_explained() {
    let caps = detect_capabilities();
    assert_eq!(caps.available.first(), Some(&Provider::Cpu));
    for provider in [Provider::Cuda, Provider::TensorRt] {
        assert!(
            caps.has(provider) != caps.reason(provider).is_some(),
            "{provider}: {caps:?}"
        );
    }
    eprintln!("{}", serde_json::to_string_pretty(&caps).unwrap());
}

#[test]
fn a_cpu_only_machine_reports_cpu_only_and_names_what_is_missing() {
    if machine_has_a_gpu() {
        eprintln!("skipped: this machine has an NVIDIA GPU");
        return;
    }
    let caps = detect_capabilities();
    assert_eq!(caps.available, [Provider::Cpu]);
    assert_eq!(best_provider(), Provider::Cpu);
    let cuda = caps.reason(Provider::Cuda).unwrap();
    let trt = caps.reason(Provider::TensorRt).unwrap();
    assert!(
        cuda.contains("libonnxruntime_providers_cuda.so") || cuda.contains("libcudart"),
        "{cuda}"
    );
    assert!(
        trt.contains("libonnxruntime_providers_tensorrt.so") || trt.contains("libnvinfer"),
        "{trt}"
    );
}

#[test]
fn asking_for_a_missing_gpu_provider_is_an_error_not_a_cpu_session() {
    if machine_has_a_gpu() {
        eprintln!("skipped: this machine has an NVIDIA GPU");
        return;
    }
    let config = SessionConfig {
        provider: Provider::Cuda,
        ..SessionConfig::default()
    };
    let model = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/nanodet-coco-416.onnx"
    ))
    .unwrap();
    let err = session_from_bytes(&model, &config).unwrap_err().to_string();
    assert!(err.contains("`cuda` provider did not initialise"), "{err}");
    assert!(err.contains("libonnxruntime_providers_cuda.so"), "{err}");
}
