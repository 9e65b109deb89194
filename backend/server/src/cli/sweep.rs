//! `qbound sweep`: partial models at several float-layer counts, scored and benchmarked side
//! by side with FP32 and full INT8; the Pareto frontier marked.

use std::path::PathBuf;

use qbound_engine::bench::BenchConfig;
use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::load_model;
use qbound_engine::quantize::Target;
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{SearchSpace, TradeoffPoint, read_ranking, sweep};

use super::args::{CalibratedModelArgs, ImageArgs, ScoringArgs};
use super::output::{print_json, write_json};
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    model: CalibratedModelArgs,
    /// The layer ranking from `qbound sensitivity`.
    #[arg(long)]
    sensitivity_file: PathBuf,
    #[command(flatten)]
    images: ImageArgs,
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Counts of float groups, comma-separated: the partial models follow one greedy path from
    /// full INT8, most sensitive group first, each kept float only when it raises the score.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    keep_float: Vec<usize>,
    /// Q/DQ placement: `tensorrt` or `ort-cpu`.
    #[arg(long, default_value = "ort-cpu")]
    target: Target,
    /// Batch sizes to benchmark.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    batch_sizes: Vec<i64>,
    /// Timed runs per model and batch size.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the points as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the points as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    args.scoring.checked_annotations()?;
    let model = load_model(&args.model.model)?;
    let amax = CalibrationTable::load(&args.model.calib)?.calibration();
    let ranking = read_ranking(&args.sensitivity_file)?;
    let (profile, files) = args.images.load(&model, None)?;
    let mut scorer = args
        .scoring
        .scorer(&model, &profile, &files, args.images.batch_size)?;
    let bench = BenchConfig {
        batch_sizes: args.batch_sizes,
        warmup_runs: 1,
        timed_runs: args.runs,
        session: SessionConfig::default(),
    };
    let space = SearchSpace {
        model: &model,
        ranges: &amax,
        target: args.target,
        ranking: &ranking,
    };
    let progress = bar("sweep", 0);
    let points = sweep(
        &space,
        &args.keep_float,
        scorer.as_mut(),
        &bench,
        &mut |step| progress.set_message(step.to_owned()),
    )?;
    progress.finish_and_clear();
    if let Some(path) = &args.out {
        write_json(path, &points)?;
    }
    if args.json {
        return print_json(&points);
    }
    print_points(&points, scorer.name());
    Ok(())
}

fn print_points(points: &[TradeoffPoint], metric: &str) {
    let batch_sizes: Vec<i64> = points
        .first()
        .map(|p| p.throughput.iter().map(|t| t.batch_size).collect())
        .unwrap_or_default();
    let reference: Vec<f64> = points
        .first()
        .map(|p| p.throughput.iter().map(|t| t.images_per_second).collect())
        .unwrap_or_default();
    print!("{:<14} {:>6} {:>10}", "model", "float", metric);
    for b in &batch_sizes {
        print!(" {:>22} {:>6}", format!("bs{b} img/s [min-max]"), "x fp32");
    }
    println!("  pareto");
    for p in points {
        print!(
            "{:<14} {:>6} {:>10.4}",
            p.label, p.keep_float, p.score.primary
        );
        for (t, r) in p.throughput.iter().zip(&reference) {
            let per_second = |ms: f64| t.batch_size as f64 * 1000.0 / ms;
            let spread = format!("[{:.1}-{:.1}]", per_second(t.max_ms), per_second(t.min_ms));
            print!(
                " {:>8.1} {:>13} {:>5.2}x",
                t.images_per_second,
                spread,
                t.images_per_second / r
            );
        }
        println!("  {}", if p.pareto { "*" } else { "" });
    }
    if let Some(last) = points.iter().rev().find(|p| !p.skipped_groups.is_empty()) {
        println!(
            "left INT8 on the way (reverting them did not raise {metric}): {}",
            last.skipped_groups.join(", ")
        );
    }
}
