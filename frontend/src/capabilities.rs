//! What the server's workers can run, for the new-run form: only providers some worker
//! offers, and defaults that fit them.

use qbound_shared::{Capability, Target, WorkerRecord};

/// The providers of `offered` that some worker in `workers` can run, in `offered`'s order;
/// every one of them while no worker has registered (the form then says jobs will wait).
pub fn runnable<'a>(offered: &[&'a str], workers: &[WorkerRecord]) -> Vec<&'a str> {
    if workers.is_empty() {
        return offered.to_vec();
    }
    offered
        .iter()
        .copied()
        .filter(|p| {
            workers
                .iter()
                .any(|w| w.capabilities.iter().any(|c| c.as_str() == *p))
        })
        .collect()
}

/// Whether some worker can build TensorRT engines.
pub fn can_build_engines(workers: &[WorkerRecord]) -> bool {
    workers
        .iter()
        .any(|w| w.capabilities.contains(&Capability::Tensorrt))
}

/// The quantization target that fits the workers: `tensorrt` when one can run it, else
/// `ort-cpu` (a TensorRT-placed model runs slower than FP32 on ONNX Runtime's CPU provider).
pub fn fitting_target(workers: &[WorkerRecord]) -> Target {
    if can_build_engines(workers) {
        Target::TensorRt
    } else {
        Target::OrtCpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(capabilities: &[&str]) -> WorkerRecord {
        WorkerRecord {
            worker_id: 1,
            name: "w".into(),
            capabilities: capabilities.iter().map(|c| c.parse().unwrap()).collect(),
            last_seen_at: 0,
        }
    }

    #[test]
    fn a_cpu_only_server_offers_the_cpu_provider_and_the_ort_cpu_target() {
        let workers = [worker(&["cpu"])];
        assert_eq!(
            runnable(&["cpu", "cuda", "tensorrt"], &workers),
            vec!["cpu"]
        );
        assert_eq!(fitting_target(&workers), Target::OrtCpu);
        assert!(!can_build_engines(&workers));
    }

    #[test]
    fn a_gpu_worker_adds_its_providers() {
        let workers = [worker(&["cpu"]), worker(&["cpu", "cuda", "tensorrt"])];
        assert_eq!(
            runnable(&["cpu", "cuda", "tensorrt"], &workers),
            vec!["cpu", "cuda", "tensorrt"]
        );
        assert_eq!(fitting_target(&workers), Target::TensorRt);
    }

    #[test]
    fn before_any_worker_registers_everything_is_offered() {
        assert_eq!(runnable(&["cpu", "cuda"], &[]), vec!["cpu", "cuda"]);
    }
}
