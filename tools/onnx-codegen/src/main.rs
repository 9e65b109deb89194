//! Regenerates the committed prost types for ONNX, without `protoc`.
//!
//! Usage: `cargo run --manifest-path tools/onnx-codegen/Cargo.toml -- PROTO_DIR OUT_FILE`.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = env::args().skip(1);
    let proto_dir = PathBuf::from(args.next().ok_or("missing PROTO_DIR")?);
    let out_file = PathBuf::from(args.next().ok_or("missing OUT_FILE")?);
    let descriptors = protox::compile([proto_dir.join("onnx.proto")], [&proto_dir])?;
    let tmp = env::temp_dir().join("qbound-onnx-codegen");
    fs::create_dir_all(&tmp)?;
    prost_build::Config::new()
        .out_dir(&tmp)
        .compile_fds(descriptors)?;
    let generated = fs::read_to_string(tmp.join("onnx.rs"))?;
    fs::write(&out_file, generated)?;
    println!("wrote {}", out_file.display());
    Ok(())
}
