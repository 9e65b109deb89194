//! Finding and loading the ONNX Runtime library.

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use ort::environment::Environment;

use crate::{Error, Result};

/// The library file `ort` loads, as provisioned by `scripts/setup-ort.sh`.
const LIBRARY_FILE: &str = "libonnxruntime.so";

struct Loaded {
    environment: Environment,
    path: PathBuf,
}

static LOADED: OnceLock<std::result::Result<Loaded, String>> = OnceLock::new();

fn loaded() -> Result<&'static Loaded> {
    LOADED
        .get_or_init(|| {
            let path = locate_library()?;
            let builder = ort::init_from(&path).map_err(|e| {
                format!(
                    "cannot load `{}`: {e}. Run scripts/setup-ort.sh or set ORT_DYLIB_PATH",
                    path.display()
                )
            })?;
            let environment = builder
                .with_name("qbound")
                .build()
                .map_err(|e| format!("cannot start ONNX Runtime from `{}`: {e}", path.display()))?;
            Ok(Loaded { environment, path })
        })
        .as_ref()
        .map_err(|message| Error::Runtime(message.clone()))
}

/// The process-wide ONNX Runtime environment, loading the library on first use.
///
/// The library is `$ORT_DYLIB_PATH` when set, else the first `libonnxruntime.so` found next
/// to the executable, in `../lib` beside it, or in a `.ort/lib` folder of an enclosing
/// directory (a checkout set up by `scripts/setup-ort.sh`). A missing or unloadable library
/// is an error that says where it looked and how to fix it.
pub fn environment() -> Result<&'static Environment> {
    loaded().map(|l| &l.environment)
}

/// The ONNX Runtime library file in use, loading it on first use.
pub fn library_path() -> Result<&'static Path> {
    loaded().map(|l| l.path.as_path())
}

fn locate_library() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "ORT_DYLIB_PATH is `{}`, which is not a file. Run scripts/setup-ort.sh or fix the variable",
                path.display()
            ))
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .as_deref()
        .and_then(Path::parent)
    {
        candidates.push(dir.join(LIBRARY_FILE));
        candidates.push(dir.join("../lib").join(LIBRARY_FILE));
        candidates.extend(
            dir.ancestors()
                .map(|a| a.join(".ort/lib").join(LIBRARY_FILE)),
        );
    }
    if let Ok(dir) = std::env::current_dir() {
        candidates.extend(
            dir.ancestors()
                .map(|a| a.join(".ort/lib").join(LIBRARY_FILE)),
        );
    }
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "the ONNX Runtime library `{LIBRARY_FILE}` was not found (set ORT_DYLIB_PATH, or run \
             scripts/setup-ort.sh in the qbound checkout); looked next to the executable and in \
             .ort/lib of its parent folders"
        )
    })
}
