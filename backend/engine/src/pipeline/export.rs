//! Writing a quantized model at each batch size it is exported for.

use std::path::{Path, PathBuf};

use crate::Result;
use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::proto::ModelProto;
use crate::onnx::{SaveOptions, save_model};

/// One file to export: the batch size and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTarget {
    /// The batch size the file runs at.
    pub batch: BatchSize,
    /// Where it is written.
    pub path: PathBuf,
}

/// Writes `model` re-targeted to each batch size, in order; `on_written` hears how many are
/// written and the last file, and may stop the export with an error.
pub fn export_batches(
    model: &ModelProto,
    targets: &[ExportTarget],
    on_written: &mut dyn FnMut(usize, &Path) -> Result<()>,
) -> Result<()> {
    for (i, target) in targets.iter().enumerate() {
        let exported = retarget_batch(model, target.batch)?;
        save_model(&exported, &target.path, &SaveOptions::default())?;
        on_written(i + 1, &target.path)?;
    }
    Ok(())
}
