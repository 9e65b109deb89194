//! The GPU checks that have no `qbound` command yet, for `scripts/gpu-check.sh`:
//!
//! - `gpu_check capabilities`: the providers that initialise here, as JSON, and the best;
//! - `gpu_check fp16 IN.onnx OUT.onnx`: the FP16 reference of a float model;
//! - `gpu_check engine MODEL.onnx BATCH OUT.engine`: a TensorRT engine, described as JSON.

use std::path::Path;
use std::process::ExitCode;

use qbound_engine::fp16::{Fp16Options, convert_to_fp16};
use qbound_engine::onnx::{SaveOptions, load_model, save_model};
use qbound_engine::runtime::{best_provider, detect_capabilities, device_name};
use qbound_engine::tensorrt::{EngineOptions, build_engine};

const USAGE: &str = "usage: gpu_check capabilities | fp16 IN OUT | engine MODEL BATCH OUT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gpu_check: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[&str]) -> Result<(), String> {
    match args {
        ["capabilities"] => {
            let caps = detect_capabilities();
            let json = serde_json::to_string_pretty(&caps).map_err(|e| e.to_string())?;
            println!("{json}");
            let best = best_provider();
            println!("best provider: {best} on {}", device_name(best));
            Ok(())
        }
        ["fp16", input, output] => {
            let model = load_model(Path::new(input)).map_err(|e| e.to_string())?;
            let half =
                convert_to_fp16(&model, &Fp16Options::default()).map_err(|e| e.to_string())?;
            save_model(&half, Path::new(output), &SaveOptions::default())
                .map_err(|e| e.to_string())?;
            println!("fp16: wrote {output}");
            Ok(())
        }
        ["engine", model, batch, output] => {
            let batch: i64 = batch
                .parse()
                .map_err(|_| format!("batch `{batch}` is not a number"))?;
            let info = build_engine(
                Path::new(model),
                batch,
                Path::new(output),
                &EngineOptions::default(),
            )
            .map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
