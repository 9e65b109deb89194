//! Reading and writing ONNX files, external-data models included.

use std::{
    fs,
    io::Write,
    path::{Component, Path, PathBuf},
};

use prost::Message;

use super::proto::{
    GraphProto, ModelProto, StringStringEntryProto, TensorProto, tensor_proto::DataLocation,
};
use crate::{Error, Result};

/// Decodes a model from bytes, without resolving external data.
pub fn decode_model(bytes: &[u8]) -> Result<ModelProto> {
    let model = ModelProto::decode(bytes).map_err(|e| Error::InvalidModel(e.to_string()))?;
    if model.graph.is_none() {
        return Err(Error::InvalidModel("the model has no graph".into()));
    }
    Ok(model)
}

/// Encodes a model to bytes. Decoding then encoding an unchanged model gives the same bytes.
pub fn encode_model(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

/// Loads a model file; tensors stored as external data are read in from the files next to it,
/// so the returned model is self-contained.
pub fn load_model(path: &Path) -> Result<ModelProto> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut model = decode_model(&bytes).map_err(|e| match e {
        Error::InvalidModel(reason) => {
            Error::InvalidModel(format!("`{}`: {reason}", path.display()))
        }
        other => other,
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(graph) = model.graph.as_mut() {
        for tensor in graph_tensors_mut(graph) {
            if tensor.data_location == Some(DataLocation::External as i32) {
                load_external(tensor, dir)?;
            }
        }
    }
    Ok(model)
}

/// How [`save_model`] lays out the file.
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// Store initializers of at least this many bytes in one external data file named
    /// `<model file name>.data` next to the model; `None` keeps everything in the model file.
    pub external_data_threshold: Option<usize>,
}

/// Writes a model file, optionally moving large initializers to an external data file.
pub fn save_model(model: &ModelProto, path: &Path, options: &SaveOptions) -> Result<()> {
    let Some(threshold) = options.external_data_threshold else {
        return write_atomically(path, &encode_model(model));
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::InvalidInput(format!("`{}` is not a file path", path.display())))?
        .to_string_lossy()
        .into_owned();
    let data_name = format!("{file_name}.data");
    let mut model = model.clone();
    let mut data = Vec::new();
    if let Some(graph) = model.graph.as_mut() {
        for tensor in graph_tensors_mut(graph) {
            if tensor
                .raw_data
                .as_ref()
                .is_none_or(|raw| raw.len() < threshold)
            {
                continue;
            }
            let raw = tensor.raw_data.take().unwrap_or_default();
            let offset = data.len();
            data.extend_from_slice(&raw);
            tensor.data_location = Some(DataLocation::External as i32);
            tensor.external_data = vec![
                entry("location", &data_name),
                entry("offset", &offset.to_string()),
                entry("length", &raw.len().to_string()),
            ];
        }
    }
    write_atomically(&path.with_file_name(&data_name), &data)?;
    write_atomically(path, &encode_model(&model))
}

fn entry(key: &str, value: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: Some(key.to_owned()),
        value: Some(value.to_owned()),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    let mut file = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Every tensor a graph stores: initializers and the `value` of Constant nodes, subgraphs
/// included.
fn graph_tensors_mut(graph: &mut GraphProto) -> Vec<&mut TensorProto> {
    let mut out: Vec<&mut TensorProto> = graph.initializer.iter_mut().collect();
    for node in graph.node.iter_mut() {
        for attr in node.attribute.iter_mut() {
            if let Some(t) = attr.t.as_mut() {
                out.push(t);
            }
            for g in attr.g.iter_mut().chain(attr.graphs.iter_mut()) {
                out.extend(graph_tensors_mut(g));
            }
        }
    }
    out
}

fn load_external(tensor: &mut TensorProto, dir: &Path) -> Result<()> {
    let name = tensor.name.clone().unwrap_or_default();
    let get = |key: &str| {
        tensor
            .external_data
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .and_then(|e| e.value.clone())
    };
    let location = get("location").ok_or_else(|| {
        Error::InvalidModel(format!("tensor `{name}` is external but names no location"))
    })?;
    let parse = |key: &str| -> Result<Option<u64>> {
        get(key)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Error::InvalidModel(format!("tensor `{name}` has a bad external {key} `{v}`"))
                })
            })
            .transpose()
    };
    let offset = parse("offset")?.unwrap_or(0);
    let length = parse("length")?;
    let file = safe_join(dir, &location).ok_or_else(|| {
        Error::InvalidModel(format!(
            "tensor `{name}` points outside the model's folder (`{location}`)"
        ))
    })?;
    let bytes = fs::read(&file).map_err(|e| Error::io(&file, e))?;
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let end = match length {
        Some(len) => start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX)),
        None => bytes.len(),
    };
    let slice = bytes.get(start..end).ok_or_else(|| {
        Error::InvalidModel(format!(
            "tensor `{name}` reads bytes {start}..{end} of `{location}`, which has {}",
            bytes.len()
        ))
    })?;
    tensor.raw_data = Some(slice.to_vec());
    tensor.data_location = None;
    tensor.external_data.clear();
    Ok(())
}

/// Joins a relative location to `dir`, refusing absolute paths and `..`.
fn safe_join(dir: &Path, location: &str) -> Option<PathBuf> {
    let rel = Path::new(location);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        .then(|| dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_external_locations_outside_the_model_folder() {
        assert!(safe_join(Path::new("/m"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/m"), "/etc/passwd").is_none());
        assert_eq!(
            safe_join(Path::new("/m"), "w.data"),
            Some(PathBuf::from("/m/w.data"))
        );
    }

    #[test]
    fn random_bytes_are_a_clear_error() {
        let err = decode_model(&[0xff, 0xff, 0xff, 0x01, 0x02]).unwrap_err();
        assert!(matches!(err, Error::InvalidModel(_)), "{err}");
    }
}
