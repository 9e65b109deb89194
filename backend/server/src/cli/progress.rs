//! Progress bars for long steps, drawn only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar for `total` steps of `task`; invisible when stderr is not a terminal.
pub(crate) fn bar(task: &str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}<{eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(task.to_owned());
    bar
}
