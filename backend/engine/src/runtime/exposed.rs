//! Sessions that return intermediate tensors as well as the model's outputs.

use ort::session::Session;

use super::{SessionConfig, session_from_bytes};
use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::encode_model;
use crate::onnx::proto::{ModelProto, ValueInfoProto};
use crate::{Error, Result};

/// A batch-dynamic CPU session of `model` with each of `tensors` also a graph output, so
/// that one run returns them (a model input among them is left out: callers have it).
pub fn exposed_session(model: &ModelProto, tensors: &[String]) -> Result<Session> {
    let mut exposed = retarget_batch(model, BatchSize::Dynamic)?;
    let graph = exposed
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let inputs: Vec<String> = graph.input.iter().filter_map(|i| i.name.clone()).collect();
    for name in tensors {
        let known = graph.output.iter().any(|o| o.name.as_deref() == Some(name));
        if !known && !inputs.contains(name) {
            graph.output.push(ValueInfoProto {
                name: Some(name.clone()),
                ..Default::default()
            });
        }
    }
    session_from_bytes(&encode_model(&exposed), &SessionConfig::default())
}
