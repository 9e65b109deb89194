//! Argument groups several commands share, flattened into each command's own arguments.

use std::path::{Path, PathBuf};

use clap::builder::ArgPredicate;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::pipeline::{Metric, build_scorer};
use qbound_engine::profile::Profile;
use qbound_engine::sensitivity::Scorer;

use super::images::{image_files, resolve_profile};

/// Where the server's records are, when not SQLite in its data folder.
#[derive(Debug, clap::Args)]
pub(crate) struct DatabaseArgs {
    /// Keep the records in this PostgreSQL database instead of SQLite in `--data`
    /// (`postgres://user:password@host:5432/qbound`); several servers on one database act
    /// as one service.
    #[arg(
        long,
        env = "QBOUND_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,
}

/// The float model and its calibration table.
#[derive(Debug, clap::Args)]
pub(crate) struct CalibratedModelArgs {
    /// The float ONNX model.
    #[arg(long = "model", alias = "weights")]
    pub(crate) model: PathBuf,
    /// The calibration table written by `qbound calibrate`.
    #[arg(long = "calib", alias = "calib-weights")]
    pub(crate) calib: PathBuf,
}

/// A folder of images and how to feed them to the model.
#[derive(Debug, clap::Args)]
pub(crate) struct ImageArgs {
    /// Folder of images (JPEG or PNG).
    #[arg(long = "images", alias = "data-root")]
    pub(crate) images: PathBuf,
    /// How to feed and read the model: a built-in profile or a .toml file (default: inferred).
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Images per batch.
    #[arg(long, default_value_t = 8)]
    pub(crate) batch_size: usize,
}

/// How accuracy is scored, and the labels that may need.
#[derive(Debug, clap::Args)]
pub(crate) struct ScoringArgs {
    /// Accuracy metric: `map`, `agreement` or `proxy` (default: `map` with `--annotations`,
    /// else `agreement`).
    #[arg(
        long,
        default_value = "agreement",
        default_value_if("annotations", ArgPredicate::IsPresent, "map")
    )]
    pub(crate) metric: Metric,
    /// COCO annotations of the images; they imply `--metric map`.
    #[arg(long)]
    pub(crate) annotations: Option<PathBuf>,
}

impl ImageArgs {
    /// The profile for `model` (the one `--profile` names, else inferred) and the first
    /// `limit` images (all when `None`).
    pub(crate) fn load(
        &self,
        model: &ModelProto,
        limit: Option<usize>,
    ) -> anyhow::Result<(Profile, Vec<PathBuf>)> {
        let profile = resolve_profile(model, self.profile.as_deref())?;
        Ok((profile, image_files(&self.images, limit)?))
    }
}

impl ScoringArgs {
    /// The scorer of `--metric` for `model` on `files`.
    pub(crate) fn scorer(
        &self,
        model: &ModelProto,
        profile: &Profile,
        files: &[PathBuf],
        batch_size: usize,
    ) -> anyhow::Result<Box<dyn Scorer>> {
        let annotations = self.checked_annotations()?;
        Ok(build_scorer(
            self.metric,
            model,
            profile,
            files,
            annotations,
            batch_size,
        )?)
    }

    /// The annotations, once checked against the metric: `--annotations` means scoring by
    /// labelled mAP, so any other metric given with it is an error rather than annotations
    /// silently ignored.
    pub(crate) fn checked_annotations(&self) -> anyhow::Result<Option<&Path>> {
        if self.annotations.is_some() && self.metric != Metric::Map {
            anyhow::bail!(
                "`--annotations` scores by labelled mAP (`--metric map`), but `--metric {}` was given: drop one of them",
                self.metric
            );
        }
        Ok(self.annotations.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        scoring: ScoringArgs,
    }

    fn parse(extra: &[&str]) -> ScoringArgs {
        Command::try_parse_from(["scoring"].iter().chain(extra))
            .unwrap()
            .scoring
    }

    #[test]
    fn annotations_imply_the_map_metric() {
        let args = parse(&["--annotations", "gt.json"]);
        assert_eq!(args.metric, Metric::Map);
        assert!(args.checked_annotations().unwrap().is_some());
        assert_eq!(parse(&[]).metric, Metric::Agreement);
    }

    #[test]
    fn another_metric_with_annotations_is_an_error() {
        let args = parse(&["--metric", "agreement", "--annotations", "gt.json"]);
        let err = args.checked_annotations().unwrap_err().to_string();
        assert!(
            err.contains("`--metric agreement`") && err.contains("--annotations"),
            "{err}"
        );
    }
}
