//! The name of the device a provider runs on, recorded with every measurement.

use std::process::Command;

use super::Provider;

/// The device `provider` runs on: the CPU model for `cpu`, the name of the first NVIDIA GPU
/// (`nvidia-smi`) for `cuda` and `tensorrt`; `unknown ...` when it cannot be told.
pub fn device_name(provider: Provider) -> String {
    if provider.is_gpu() {
        gpu_name().unwrap_or_else(|| "unknown GPU (`nvidia-smi` not found)".into())
    } else {
        cpu_name().unwrap_or_else(|| "unknown CPU".into())
    }
}

/// The name of the first NVIDIA GPU, as `nvidia-smi` reports it.
pub fn gpu_name() -> Option<String> {
    let out = Command::new("nvidia-smi")
        .args(["--query-gpu=name", "--format=csv,noheader"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// The CPU model from `/proc/cpuinfo`, with the number of logical cores.
pub fn cpu_name() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    Some(format!("{model} ({cores} threads)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_has_a_name() {
        let name = device_name(Provider::Cpu);
        assert!(!name.is_empty());
        if std::path::Path::new("/proc/cpuinfo").exists() {
            assert!(!name.starts_with("unknown"), "{name}");
        }
    }
}
