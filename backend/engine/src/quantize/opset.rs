//! Raising a model's default-domain opset to 13, where per-channel DequantizeLinear exists.

use crate::onnx::DEFAULT_DOMAIN;
use crate::onnx::proto::ModelProto;
use crate::{Error, Result};

/// The first opset with per-axis QuantizeLinear/DequantizeLinear.
pub(crate) const MIN_QDQ_OPSET: i64 = 13;

/// Ops whose inputs, attributes or meaning changed at the given opset (up to 13): a model
/// below that version using them cannot simply be relabelled.
const CHANGED_AT: [(&str, i64); 16] = [
    ("Reshape", 5),
    ("Upsample", 10),
    ("Slice", 10),
    ("TopK", 10),
    ("Pad", 11),
    ("Clip", 11),
    ("Resize", 11),
    ("Scatter", 11),
    ("Dropout", 12),
    ("Split", 13),
    ("Squeeze", 13),
    ("Unsqueeze", 13),
    ("ReduceSum", 13),
    ("Softmax", 13),
    ("LogSoftmax", 13),
    ("Hardmax", 13),
];

/// Raises the default-domain opset to 13 when it is lower and every op allows it; returns
/// the previous version when it changed.
pub(crate) fn raise_to_qdq_opset(model: &mut ModelProto) -> Result<Option<i64>> {
    let Some(entry) = model.opset_import.iter_mut().find(|o| {
        matches!(
            o.domain.as_deref(),
            None | Some(DEFAULT_DOMAIN) | Some("ai.onnx")
        )
    }) else {
        return Err(Error::InvalidModel(
            "the model imports no default-domain opset".into(),
        ));
    };
    let version = entry.version.unwrap_or(1);
    if version >= MIN_QDQ_OPSET {
        return Ok(None);
    }
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    for node in &graph.node {
        let op = node.op_type.as_deref().unwrap_or("");
        let default_domain = matches!(node.domain.as_deref(), None | Some("") | Some("ai.onnx"));
        if let Some(&(_, changed)) = CHANGED_AT.iter().find(|(name, _)| *name == op)
            && default_domain
            && version < changed
        {
            return Err(Error::Unsupported(format!(
                "the model uses opset {version}, and per-channel INT8 needs opset {MIN_QDQ_OPSET}; \
                 op `{op}` (node `{}`) changed at opset {changed}, so the model cannot be raised \
                 automatically. Re-export it at opset {MIN_QDQ_OPSET} or later",
                node.name.as_deref().unwrap_or("")
            )));
        }
    }
    entry.version = Some(MIN_QDQ_OPSET);
    if model.ir_version.unwrap_or(0) < 7 {
        model.ir_version = Some(7);
    }
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::proto::{GraphProto, NodeProto, OperatorSetIdProto};

    fn model(version: i64, ops: &[&str]) -> ModelProto {
        ModelProto {
            ir_version: Some(6),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(version),
            }],
            graph: Some(GraphProto {
                node: ops
                    .iter()
                    .map(|op| NodeProto {
                        op_type: Some(op.to_string()),
                        name: Some(format!("{op}_0")),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn raises_opset_when_ops_allow() {
        let mut m = model(11, &["Conv", "Relu", "Resize", "Concat"]);
        assert_eq!(raise_to_qdq_opset(&mut m).unwrap(), Some(11));
        assert_eq!(m.opset_import[0].version, Some(13));
        assert_eq!(m.ir_version, Some(7));
        let mut current = model(17, &["Split"]);
        assert_eq!(raise_to_qdq_opset(&mut current).unwrap(), None);
    }

    #[test]
    fn refuses_and_names_the_op_that_changed() {
        let mut m = model(11, &["Conv", "Split"]);
        let err = raise_to_qdq_opset(&mut m).unwrap_err().to_string();
        assert!(err.contains("`Split`") && err.contains("opset 11"), "{err}");
        assert_eq!(
            m.opset_import[0].version,
            Some(11),
            "the model is left unchanged"
        );
    }
}
