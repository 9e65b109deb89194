//! Which files a GPU provider needs, and which of them this machine lacks.

use std::{collections::HashSet, path::PathBuf, process::Command};

use super::{Provider, library_path};

/// The TensorRT libraries ONNX Runtime's TensorRT provider (TensorRT 10) loads.
const TENSORRT_LIBRARIES: [&str; 3] = [
    "libnvinfer.so.10",
    "libnvinfer_plugin.so.10",
    "libnvonnxparser.so.10",
];

/// The ONNX Runtime plugin a provider needs next to `libonnxruntime.so`.
pub(super) fn provider_plugin(provider: Provider) -> Option<&'static str> {
    match provider {
        Provider::Cpu => None,
        Provider::Cuda => Some("libonnxruntime_providers_cuda.so"),
        Provider::TensorRt => Some("libonnxruntime_providers_tensorrt.so"),
    }
}

/// The system libraries (CUDA 13, cuDNN 9, TensorRT 10) a provider loads.
fn system_libraries(provider: Provider) -> Vec<&'static str> {
    let cuda = ort::ep::cuda::CUDA_DYLIBS
        .iter()
        .chain(ort::ep::cuda::CUDNN_DYLIBS);
    match provider {
        Provider::Cpu => Vec::new(),
        Provider::Cuda => cuda.copied().collect(),
        Provider::TensorRt => cuda.chain(&TENSORRT_LIBRARIES).copied().collect(),
    }
}

/// The provider plugin when it is missing next to the loaded ONNX Runtime library, with a
/// sentence on how to get it.
pub(super) fn missing_plugin(provider: Provider) -> Option<String> {
    let plugin = provider_plugin(provider)?;
    let library = match library_path() {
        Ok(path) => path,
        Err(e) => return Some(e.to_string()),
    };
    let dir = library.parent().map(PathBuf::from).unwrap_or_default();
    (!dir.join(plugin).is_file()).then(|| {
        format!(
            "`{plugin}` is not next to `{}` (a CPU-only ONNX Runtime); provision the GPU build \
             with `QBOUND_ORT_FLAVOR=gpu scripts/setup-ort.sh`",
            library.display()
        )
    })
}

/// The system libraries of `provider` that are on no library path of this machine.
pub(super) fn missing_system_libraries(provider: Provider) -> Vec<&'static str> {
    let known = libraries_on_path();
    system_libraries(provider)
        .into_iter()
        .filter(|name| !known.contains(*name))
        .collect()
}

/// The TensorRT version of the `libnvinfer.so.X.Y.Z` the dynamic loader can find, if any.
pub fn tensorrt_version() -> Option<String> {
    libraries_on_path()
        .into_iter()
        .filter_map(|name| name.strip_prefix("libnvinfer.so.").map(str::to_owned))
        .filter(|v| v.split('.').count() >= 3)
        .max_by_key(|v| v.len())
}

/// File names of the shared libraries the dynamic loader can find: `LD_LIBRARY_PATH`, the
/// loader cache (`ldconfig -p`), the usual CUDA folders and the ONNX Runtime folder.
fn libraries_on_path() -> HashSet<String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/local/cuda/lib64",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64",
        ]
        .into_iter()
        .map(PathBuf::from),
    );
    if let Some(dir) = library_path().ok().and_then(|p| p.parent()) {
        dirs.push(dir.to_path_buf());
    }
    let mut names: HashSet<String> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    for ldconfig in ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"] {
        if let Ok(out) = Command::new(ldconfig).arg("-p").output() {
            let text = String::from_utf8_lossy(&out.stdout);
            names.extend(
                text.lines()
                    .filter_map(|l| l.split_whitespace().next())
                    .map(str::to_owned),
            );
            break;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensorrt_needs_everything_cuda_needs_and_its_own_libraries() {
        let cuda = system_libraries(Provider::Cuda);
        let trt = system_libraries(Provider::TensorRt);
        assert!(cuda.contains(&"libcudnn.so.9"));
        assert!(cuda.iter().all(|l| trt.contains(l)));
        assert!(trt.contains(&"libnvinfer.so.10"));
        assert!(system_libraries(Provider::Cpu).is_empty());
        assert_eq!(provider_plugin(Provider::Cpu), None);
    }
}
