//! Prometheus-style metrics: jobs by state, queue wait and job durations.

use std::fmt::Write as _;
use std::sync::Mutex;

use crate::db;
use crate::error::Result;
use qbound_shared::JobRecord;
use qbound_shared::JobState;

#[derive(Debug, Default, Clone, Copy)]
struct Summary {
    count: u64,
    sum_seconds: f64,
}

impl Summary {
    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.sum_seconds += seconds.max(0.0);
    }
}

/// Counters kept in memory since the server started.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<(Summary, Summary)>,
}

impl Metrics {
    /// Notes the queue wait of a job that started, or the duration of one that finished.
    pub(crate) fn observe_transition(&self, job: &JobRecord) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        match (job.state, job.started_at, job.finished_at) {
            (JobState::Running, Some(started), _) => {
                inner.0.observe((started - job.queued_at) as f64 / 1000.0)
            }
            (JobState::Succeeded | JobState::Failed, Some(started), Some(finished)) => {
                inner.1.observe((finished - started) as f64 / 1000.0);
            }
            _ => {}
        }
    }

    /// The metrics page.
    pub(crate) async fn render(&self, pool: &sqlx::AnyPool) -> Result<String> {
        let counts = db::jobs::count_by_state(pool).await?;
        let (wait, duration) = self.inner.lock().map(|g| *g).unwrap_or_default();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP qbound_jobs Jobs by state.\n# TYPE qbound_jobs gauge"
        );
        for state in JobState::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == state.as_str())
                .map_or(0, |(_, n)| *n);
            let _ = writeln!(out, "qbound_jobs{{state=\"{state}\"}} {n}");
        }
        for (name, help, s) in [
            (
                "qbound_job_queue_wait_seconds",
                "Time from queued to claimed.",
                wait,
            ),
            (
                "qbound_job_duration_seconds",
                "Time from claimed to finished.",
                duration,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} summary");
            let _ = writeln!(
                out,
                "{name}_sum {}\n{name}_count {}",
                s.sum_seconds, s.count
            );
        }
        Ok(out)
    }
}
