//! `qbound capabilities`: which providers really initialise on this node, and why not.

use qbound_engine::runtime::{detect_capabilities, device_name};

use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let capabilities = detect_capabilities();
    if args.json {
        return print_json(&capabilities);
    }
    for provider in &capabilities.available {
        println!(
            "{:<9} available on {}",
            provider.to_string(),
            device_name(*provider)
        );
    }
    for missing in &capabilities.missing {
        println!(
            "{:<9} unavailable: {}",
            missing.provider.to_string(),
            missing.reason
        );
    }
    Ok(())
}
