//! Validation images decoded and preprocessed once, to score many models on them.

use std::path::PathBuf;

use ndarray::Array4;

use crate::profile::{ImageTransform, Profile};
use crate::{Error, Result};

/// Preprocessed images in batches, with the transforms that map boxes back to each image.
#[derive(Debug, Clone)]
pub struct EvalImages {
    files: Vec<PathBuf>,
    batches: Vec<(Array4<f32>, Vec<ImageTransform>)>,
}

impl EvalImages {
    /// Decodes and preprocesses `files` with `profile`, `batch_size` images per batch.
    pub fn load(profile: &Profile, files: &[PathBuf], batch_size: usize) -> Result<Self> {
        if files.is_empty() {
            return Err(Error::InvalidInput("no images to evaluate on".into()));
        }
        let batches = files
            .chunks(batch_size.max(1))
            .map(|chunk| profile.load_batch(chunk))
            .collect::<Result<_>>()?;
        Ok(Self {
            files: files.to_vec(),
            batches,
        })
    }

    /// The image files, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The batches, in order.
    pub fn batches(&self) -> &[(Array4<f32>, Vec<ImageTransform>)] {
        &self.batches
    }

    /// The first `count` images only (at least one), for cheaper scoring.
    pub fn first(&self, count: usize) -> Self {
        let mut left = count.max(1);
        let mut batches = Vec::new();
        for (batch, transforms) in &self.batches {
            if left == 0 {
                break;
            }
            let take = left.min(transforms.len());
            batches.push((
                batch
                    .slice_axis(ndarray::Axis(0), (..take).into())
                    .to_owned(),
                transforms[..take].to_vec(),
            ));
            left -= take;
        }
        let taken = self.files.len().min(count.max(1));
        Self {
            files: self.files[..taken].to_vec(),
            batches,
        }
    }
}
