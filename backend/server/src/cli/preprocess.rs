//! `qbound preprocess`: the exact model inputs a profile makes of a folder of images, as a
//! NumPy file, so other tools (ONNX Runtime's own quantizer, a notebook) see what qbound sees.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use qbound_engine::onnx::load_model;

use super::images::{image_files, resolve_profile};

/// Arguments of `qbound preprocess`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// The float ONNX model the inputs are for
    #[arg(long, alias = "weights")]
    model: PathBuf,
    /// Folder of images (JPEG or PNG)
    #[arg(long, alias = "data-root")]
    images: PathBuf,
    /// How to feed the model: a built-in profile or a .toml file (default: inferred)
    #[arg(long)]
    profile: Option<String>,
    /// Use only the first N images
    #[arg(long)]
    limit: Option<usize>,
    /// Where to write the `N x 3 x H x W` float32 array (.npy)
    #[arg(long)]
    out: PathBuf,
}

/// Runs `qbound preprocess`.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let profile = resolve_profile(&model, args.profile.as_deref())?;
    let files = image_files(&args.images, args.limit)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no images in `{}`",
        args.images.display()
    );
    let (batch, _) = profile.load_batch(&files)?;
    let shape = batch.shape().to_vec();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}",
        shape.iter().map(|d| format!("{d},")).collect::<String>()
    );
    // The header pads to a multiple of 64 bytes with spaces and ends with a newline.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + batch.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&u16::try_from(header.len())?.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for value in batch.iter() {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    let mut file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    file.write_all(&bytes)
        .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    println!(
        "wrote {} images as {:?} ({} profile) -> {}",
        files.len(),
        shape,
        profile.name,
        args.out.display()
    );
    Ok(())
}
