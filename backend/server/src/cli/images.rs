//! Choosing a profile and feeding image folders to commands, batch by batch.

use std::path::{Path, PathBuf};

use anyhow::Context;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::{Profile, infer_profile};

/// The profile named by `--profile` (a built-in or a .toml file), else the one the model's
/// outputs imply; either way checked against the model.
pub(crate) fn resolve_profile(
    model: &ModelProto,
    profile: Option<&str>,
) -> anyhow::Result<Profile> {
    let profile = match profile {
        Some(name) => Profile::for_model(Some(name), model)?,
        None => infer_profile(model).context("no `--profile` given")?,
    };
    profile.check_model(model)?;
    Ok(profile)
}

/// The images of `dir`, at most `limit` of them.
pub(crate) fn image_files(dir: &Path, limit: Option<usize>) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = qbound_engine::images::list_images(dir)?;
    if let Some(limit) = limit {
        files.truncate(limit);
    }
    Ok(files)
}
