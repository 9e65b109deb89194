//! `qbound engine --model M --export-batch-size 1,32 --out-dir D`: TensorRT engines, with
//! `trtexec` where it is on the PATH, else ONNX Runtime's TensorRT provider.

use std::path::PathBuf;

use anyhow::Context;
use qbound_engine::tensorrt::{EngineOptions, build_engine};

use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The (Q/DQ) ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// Batch sizes to build engines for, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    export_batch_size: Vec<i64>,
    /// Where to write `<model>_bs<N>.engine`.
    #[arg(long)]
    out_dir: PathBuf,
    /// Always use ONNX Runtime's TensorRT provider, even when `trtexec` is on the PATH.
    #[arg(long)]
    no_trtexec: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create `{}`", args.out_dir.display()))?;
    let stem = args
        .model
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    let options = EngineOptions {
        prefer_trtexec: !args.no_trtexec,
        ..EngineOptions::default()
    };
    let engines = args
        .export_batch_size
        .iter()
        .map(|&batch| {
            build_engine(
                &args.model,
                batch,
                &args.out_dir.join(format!("{stem}_bs{batch}.engine")),
                &options,
            )
        })
        .collect::<qbound_engine::Result<Vec<_>>>()?;
    if args.json {
        return print_json(&engines);
    }
    for e in &engines {
        println!(
            "wrote {} (batch {}, TensorRT {}, {})",
            e.path.display(),
            e.batch,
            e.tensorrt_version,
            e.gpu_name
        );
    }
    Ok(())
}
