//! A job's folder on the worker: its inputs, downloaded under their names, and the files its
//! task writes. Every path a task reads or writes comes from here.

use std::path::{Path, PathBuf};

use crate::archive::{DatasetContents, ExtractLimits, extract_dataset};
use crate::error::{Error, Result};
use crate::run::files::JobFile;

/// Which of a run's datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dataset {
    /// The images the activation ranges come from.
    Calibration,
    /// The images accuracy is measured on.
    Validation,
}

impl Dataset {
    fn archive(self) -> JobFile {
        match self {
            Self::Calibration => JobFile::CalibrationImages,
            Self::Validation => JobFile::ValidationImages,
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Self::Calibration => "calibration",
            Self::Validation => "validation",
        }
    }
}

/// The folder one claimed job runs in.
#[derive(Debug, Clone)]
pub(crate) struct JobDir {
    root: PathBuf,
}

impl JobDir {
    /// The job folder at `root`.
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The folder itself.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Where a fixed-name file lies.
    pub(crate) fn path(&self, file: JobFile) -> PathBuf {
        self.root.join(file.name())
    }

    /// Where the file called `name` (an input or an output) lies.
    pub(crate) fn named(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The dataset, extracted beside its archive, when the job has it as an input.
    pub(crate) fn dataset(&self, which: Dataset) -> Result<Option<DatasetContents>> {
        let archive = self.path(which.archive());
        if !archive.is_file() {
            return Ok(None);
        }
        let folder = self.root.join(which.folder());
        extract_dataset(&archive, &folder, ExtractLimits::WORKER).map(Some)
    }

    /// The dataset, which the job must have.
    pub(crate) fn required_dataset(
        &self,
        which: Dataset,
        purpose: &str,
    ) -> Result<DatasetContents> {
        self.dataset(which)?.ok_or_else(|| {
            Error::Unprocessable(format!("{purpose} needs {} images", which.folder()))
        })
    }

    /// The validation images when the job has them, else the calibration images.
    pub(crate) fn scoring_images(&self) -> Result<DatasetContents> {
        if let Some(validation) = self.dataset(Dataset::Validation)? {
            return Ok(validation);
        }
        self.required_dataset(Dataset::Calibration, "scoring")
    }
}

/// The first `limit` images of `contents` (all when `None`), at least one.
pub(crate) fn first_images(
    contents: &DatasetContents,
    limit: Option<usize>,
) -> Result<Vec<PathBuf>> {
    let mut files = contents.images.clone();
    files.truncate(limit.unwrap_or(usize::MAX).max(1));
    if files.is_empty() {
        return Err(Error::Unprocessable("the dataset has no images".into()));
    }
    Ok(files)
}
