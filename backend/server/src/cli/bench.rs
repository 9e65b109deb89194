//! `qbound bench --model M [--model M2 ...] --batch-sizes 1,32`.

use std::path::PathBuf;

use anyhow::Context;
use qbound_engine::bench::{BenchConfig, BenchModel, BenchResult, benchmark};
use qbound_engine::fp16::{Fp16Options, convert_to_fp16};
use qbound_engine::onnx::load_model;
use qbound_engine::runtime::{Provider, SessionConfig, best_provider};

use super::output::print_json;
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A model to time; repeat to compare models side by side.
    #[arg(long = "model", alias = "weights", required = true)]
    models: Vec<PathBuf>,
    /// Batch sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    batch_sizes: Vec<i64>,
    /// Where to run: cpu, cuda, tensorrt, or auto (the best that initialises here).
    #[arg(long, default_value = "cpu")]
    provider: String,
    /// Also time the FP16 conversion of the first model, as the float reference on GPUs.
    #[arg(long)]
    fp16_reference: bool,
    /// Timed runs per model and batch size.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Untimed warm-up runs per model and batch size.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Intra-op threads (default: ONNX Runtime's choice).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let provider = match args.provider.as_str() {
        "auto" => best_provider(),
        name => name.parse::<Provider>()?,
    };
    let mut models = args
        .models
        .iter()
        .map(|path| {
            let label = path.file_stem().map_or_else(
                || path.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            Ok(BenchModel {
                label,
                model: load_model(path).with_context(|| format!("`{}`", path.display()))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.fp16_reference {
        let fp16 = convert_to_fp16(&models[0].model, &Fp16Options::default())?;
        models.insert(
            1,
            BenchModel {
                label: format!("{}_fp16", models[0].label),
                model: fp16,
            },
        );
    }
    let config = BenchConfig {
        batch_sizes: args.batch_sizes,
        warmup_runs: args.warmup,
        timed_runs: args.runs,
        session: SessionConfig {
            provider,
            threads: args.threads,
            optimize: true,
        },
    };
    let progress = bar("bench", 0);
    let results = benchmark(&models, &config, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    if args.json {
        return print_json(&results);
    }
    print_table(&results);
    Ok(())
}

fn print_table(results: &[BenchResult]) {
    if let Some(first) = results.first() {
        println!("on {} ({})", first.device, first.provider);
    }
    println!(
        "{:<32} {:>5} {:>11} {:>10} {:>9}",
        "model", "batch", "median ms", "images/s", "vs first"
    );
    for r in results {
        let reference = results
            .iter()
            .find(|x| x.batch_size == r.batch_size)
            .map_or(r.images_per_second, |x| x.images_per_second);
        println!(
            "{:<32} {:>5} {:>11.2} {:>10.1} {:>8.2}x",
            r.label,
            r.batch_size,
            r.median_ms,
            r.images_per_second,
            r.images_per_second / reference
        );
    }
}
