//! The demo model and photos, registered on the first start with an empty data directory.

use std::path::Path;

use crate::catalog::{register_image_folder, register_model};
use crate::db;
use crate::error::Result;
use crate::state::AppState;

/// The demo model's file name inside the demo folder.
pub const DEMO_MODEL: &str = "nanodet-coco-416.onnx";

/// Registers `dir/nanodet-coco-416.onnx`, `dir/images/calib` and `dir/images/val` when the
/// database has no model yet; missing files are skipped with a warning. Replicas starting
/// together register them once: each checks and registers holding the database's startup
/// lock.
pub(crate) async fn register_demo_data(state: &AppState, dir: &Path) -> Result<()> {
    let lock = db::startup_lock::acquire(&state.pool).await?;
    if db::models::count_models(&state.pool).await? == 0 {
        register(state, dir).await?;
    }
    lock.release().await
}

async fn register(state: &AppState, dir: &Path) -> Result<()> {
    let model_path = dir.join(DEMO_MODEL);
    if !model_path.is_file() {
        tracing::warn!(path = %model_path.display(), "demo model not found; starting empty");
        return Ok(());
    }
    let temp = state.store.temp_file()?;
    std::fs::copy(&model_path, temp.path())?;
    let pending = state.store.pending_from_file(temp)?;
    register_model(state, "nanodet-coco-416 (demo)", pending).await?;
    for (name, folder) in [
        ("demo calibration photos", "calib"),
        ("demo validation photos", "val"),
    ] {
        let folder = dir.join("images").join(folder);
        if folder.is_dir() {
            register_image_folder(state, name, &folder).await?;
        }
    }
    tracing::info!("registered the demo model and photos");
    Ok(())
}
