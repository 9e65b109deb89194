//! Bad input is an error value with a clear message, never a panic.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use qbound_engine::graph::GraphIndex;
use qbound_engine::images::{list_images, load_image};
use qbound_engine::onnx::proto::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, ValueInfoProto,
};
use qbound_engine::onnx::{decode_model, encode_model};
use qbound_engine::quantize::model_layers;
use qbound_engine::runtime::{SessionConfig, session_from_bytes};

fn demo_bytes() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/nanodet-coco-416.onnx"))
        .unwrap()
}

/// A deterministic byte generator (SplitMix64).
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// Everything the engine does with a freshly loaded model, short of running it.
fn analyse(bytes: &[u8]) {
    if let Ok(model) = decode_model(bytes) {
        if let Some(graph) = model.graph.as_ref() {
            let _ = GraphIndex::new(graph);
        }
        let _ = model_layers(&model);
    }
}

#[test]
fn random_bytes_never_panic_the_loader() {
    for seed in 0..2000u64 {
        analyse(&random_bytes(seed, (seed as usize * 37) % 4096));
    }
}

#[test]
fn mutated_and_truncated_models_are_errors_or_valid_never_panics() {
    let bytes = demo_bytes();
    for cut in [0, 1, 7, 100, 1000, 50_000, bytes.len() / 2, bytes.len() - 1] {
        let result = decode_model(&bytes[..cut]);
        if let Err(err) = &result {
            assert!(err.to_string().contains("not a valid ONNX model"), "{err}");
        }
        analyse(&bytes[..cut]);
    }
    for seed in 0..200u64 {
        let mut mutated = bytes[..20_000].to_vec();
        for (i, b) in random_bytes(seed, 16).into_iter().enumerate() {
            let at = (seed as usize * 997 + i * 1231) % mutated.len();
            mutated[at] = b;
        }
        analyse(&mutated);
    }
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(output.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

fn model(nodes: Vec<NodeProto>) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(13),
        }],
        graph: Some(GraphProto {
            node: nodes,
            input: vec![ValueInfoProto {
                name: Some("x".into()),
                ..Default::default()
            }],
            output: vec![ValueInfoProto {
                name: Some("y".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn a_graph_with_a_cycle_is_a_clear_error() {
    let cyclic = model(vec![node("Relu", &["y"], "a"), node("Relu", &["a"], "y")]);
    let err = model_layers(&cyclic).unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn a_missing_initializer_is_a_clear_error_from_onnx_runtime() {
    let missing = model(vec![node("Conv", &["x", "w_missing"], "y")]);
    let err = session_from_bytes(&encode_model(&missing), &SessionConfig::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("w_missing") || err.to_lowercase().contains("invalid"),
        "{err}"
    );
}

#[test]
fn an_empty_image_folder_and_an_unreadable_image_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = list_images(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("no images") || err.contains("no image"),
        "{err}"
    );
    let bad = dir.path().join("broken.jpg");
    std::fs::write(&bad, b"\xff\xd8\xff not really a jpeg").unwrap();
    let err = load_image(&bad).unwrap_err().to_string();
    assert!(err.contains("broken.jpg"), "{err}");
}
