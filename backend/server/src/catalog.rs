//! Registering models and datasets: validate the received file, store it, record it.
//! Used by the upload handlers and by the demo data on first start.

use std::path::Path;

use qbound_engine::onnx::proto::ValueInfoProto;
use qbound_engine::onnx::{decode_model, default_opset, tensor_shape};
use qbound_engine::profile::infer_profile;
use qbound_engine::quantize::model_layers;

use crate::archive::{extract_dataset, pack_dataset};
use crate::db;
use qbound_shared::DatasetRecord;
use qbound_shared::{LayerInfo, ModelRecord, TensorInfo};

use crate::db::models::NewModel;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::PendingBlob;

/// Checks that `pending` is an ONNX model the engine can quantize, stores and records it.
pub(crate) async fn register_model(
    state: &AppState,
    name: &str,
    pending: PendingBlob,
) -> Result<ModelRecord> {
    let path = pending.path().to_path_buf();
    let _permit = validation_permit(state).await?;
    let summary = tokio::task::spawn_blocking(move || inspect_model(&path))
        .await
        .map_err(|e| Error::Internal(format!("model check stopped: {e}")))??;
    let info = state.store.commit(pending).await?;
    let model = NewModel {
        name: name.to_owned(),
        sha256: info.sha256,
        size: info.size as i64,
        ..summary
    };
    db::models::insert_model(&state.pool, &model).await
}

fn inspect_model(path: &Path) -> Result<NewModel> {
    let bytes = std::fs::read(path)?;
    let model = decode_model(&bytes)
        .map_err(|e| Error::Unprocessable(format!("the file is not a usable ONNX model: {e}")))?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::Unprocessable("the ONNX model has no graph".into()))?;
    if graph.node.is_empty() {
        return Err(Error::Unprocessable(
            "the ONNX model's graph has no nodes".into(),
        ));
    }
    let graph_inputs = qbound_engine::onnx::graph_inputs(graph);
    let inputs: Vec<String> = graph_inputs.iter().filter_map(|i| i.name.clone()).collect();
    let outputs: Vec<String> = graph.output.iter().filter_map(|o| o.name.clone()).collect();
    let input_tensors = graph_inputs.into_iter().map(tensor_info).collect();
    let output_tensors = graph.output.iter().map(tensor_info).collect();
    let (profile, profile_error) = match infer_profile(&model) {
        Ok(profile) => (Some(profile.name), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let layers = model_layers(&model)
        .map_err(|e| Error::Unprocessable(format!("the model cannot be analysed: {e}")))?;
    if layers.is_empty() {
        return Err(Error::Unprocessable(
            "the model has no quantizable layers (Conv, ConvTranspose, Gemm, MatMul)".into(),
        ));
    }
    let layers = layers
        .iter()
        .map(|l| LayerInfo {
            position: l.position,
            name: l.name.clone(),
            op: l.op.clone(),
            parameters: l.parameters,
        })
        .collect();
    Ok(NewModel {
        name: String::new(),
        sha256: String::new(),
        size: 0,
        opset: default_opset(&model),
        inputs,
        outputs,
        input_tensors,
        output_tensors,
        profile,
        profile_error,
        layers,
    })
}

/// A graph input or output as the API describes it.
fn tensor_info(value: &ValueInfoProto) -> TensorInfo {
    TensorInfo {
        name: value.name.clone().unwrap_or_default(),
        shape: tensor_shape(value),
    }
}

/// Extracts the archive in `pending` safely, checks its images, stores a normalised tar and
/// records the dataset.
pub(crate) async fn register_dataset(
    state: &AppState,
    name: &str,
    pending: PendingBlob,
) -> Result<DatasetRecord> {
    let store = state.store.clone();
    let _permit = validation_permit(state).await?;
    let limits = state.settings.extract_limits();
    let (normalised, image_count, has_annotations) = tokio::task::spawn_blocking(move || {
        let dir =
            tempfile::tempdir_in(store.temp_file()?.path().parent().unwrap_or(Path::new(".")))?;
        let contents = extract_dataset(pending.path(), dir.path(), limits)?;
        let out = store.temp_file()?;
        pack_dataset(&contents, out.reopen()?)?;
        Ok::<_, Error>((
            store.pending_from_file(out)?,
            contents.images.len(),
            contents.annotations.is_some(),
        ))
    })
    .await
    .map_err(|e| Error::Internal(format!("dataset check stopped: {e}")))??;
    let info = state.store.commit(normalised).await?;
    db::datasets::insert_dataset(
        &state.pool,
        name,
        &info.sha256,
        info.size as i64,
        image_count as i64,
        has_annotations,
    )
    .await
}

async fn validation_permit(state: &AppState) -> Result<tokio::sync::SemaphorePermit<'_>> {
    state
        .validations
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("upload checks stopped: {e}")))
}

/// Registers a folder of images as a dataset (the demo photos), taking at most `limit`.
pub(crate) async fn register_image_folder(
    state: &AppState,
    name: &str,
    dir: &Path,
) -> Result<DatasetRecord> {
    let dir = dir.to_path_buf();
    let store = state.store.clone();
    let archive = tokio::task::spawn_blocking(move || {
        let mut images: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        images.sort();
        let out = store.temp_file()?;
        pack_dataset(
            &crate::archive::DatasetContents {
                images,
                annotations: None,
            },
            out.reopen()?,
        )?;
        store.pending_from_file(out)
    })
    .await
    .map_err(|e| Error::Internal(format!("demo images stopped: {e}")))??;
    register_dataset(state, name, archive).await
}
