//! ONNX Runtime: finding and loading the library, the providers this machine can use,
//! building sessions on them, running them.

mod capabilities;
mod device;
mod exposed;
mod gpu_libraries;
mod library;
mod profile;
mod provider;
mod session;

pub use capabilities::{Capabilities, MissingProvider, best_provider, detect_capabilities};
pub use device::{cpu_name, device_name, gpu_name};
pub use exposed::{EXPOSED_RUN_BUDGET, ExposedPart, ExposedRuns, exposed_session};
pub use gpu_libraries::tensorrt_version;
pub use library::{environment, library_path};
pub use profile::{node_kernel_times, node_macs};
pub use provider::Provider;
pub use session::{
    GpuOptions, SessionConfig, run_f32, session_from_bytes, session_from_bytes_with,
    write_cpu_optimized_model,
};
