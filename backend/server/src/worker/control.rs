//! What a running job may ask of its worker: to report progress, and whether to stop. The
//! worker raises the cancel flag when the job is cancelled, deleted, loses its lease, or the
//! worker shuts down; jobs look at it between batches and between scored models.

use std::sync::atomic::{AtomicBool, Ordering};

use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::sensitivity::{Score, Scorer};

/// Why a job stopped early.
const CANCELLED: &str = "the job was stopped by its worker";

/// A running job's link to its worker.
pub(crate) struct JobControl<'a> {
    report: &'a (dyn Fn(f64, String) + Sync),
    cancel: &'a AtomicBool,
}

impl<'a> JobControl<'a> {
    /// Reports through `report` (progress 0 to 1 and a log line); stops once `cancel` is set.
    pub(crate) fn new(report: &'a (dyn Fn(f64, String) + Sync), cancel: &'a AtomicBool) -> Self {
        Self { report, cancel }
    }

    /// Reports progress (0 to 1) and a log line (empty for none).
    pub(crate) fn progress(&self, value: f64, line: String) {
        (self.report)(value, line);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// An error once the job should stop.
    pub(crate) fn check(&self) -> qbound_engine::Result<()> {
        if self.cancelled() {
            return Err(qbound_engine::Error::InvalidInput(CANCELLED.into()));
        }
        Ok(())
    }

    /// `batches`, ending in an error at the first batch asked for after the job should stop.
    pub(crate) fn batches<T>(
        &'a self,
        batches: impl Iterator<Item = qbound_engine::Result<T>> + 'a,
    ) -> impl Iterator<Item = qbound_engine::Result<T>> + 'a {
        batches.map(move |batch| self.check().and(batch))
    }

    /// `scorer`, refusing to score once the job should stop.
    pub(crate) fn scorer<'s>(&'s self, scorer: &'s mut dyn Scorer) -> StoppableScorer<'s> {
        StoppableScorer {
            inner: scorer,
            control: self,
        }
    }
}

/// A scorer that checks its job's cancel flag before each model it scores.
pub(crate) struct StoppableScorer<'s> {
    inner: &'s mut dyn Scorer,
    control: &'s JobControl<'s>,
}

impl Scorer for StoppableScorer<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn score(&mut self, model: &ModelProto) -> qbound_engine::Result<Score> {
        self.control.check()?;
        self.inner.score(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stop_with_an_error_once_the_flag_is_raised() {
        let cancel = AtomicBool::new(false);
        let report = |_: f64, _: String| {};
        let control = JobControl::new(&report, &cancel);
        let mut batches = control.batches((0..3).map(Ok));
        assert_eq!(batches.next().and_then(|b| b.ok()), Some(0));
        cancel.store(true, Ordering::Relaxed);
        assert!(matches!(batches.next(), Some(Err(_))));
    }
}
