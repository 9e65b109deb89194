//! Pieces the pages share.

mod errors;
mod nav;
mod progress;
mod sortable;
mod status;
mod token_prompt;
mod upload;

pub(crate) use errors::{ErrorList, Notice};
pub(crate) use nav::Nav;
pub(crate) use progress::ProgressBar;
pub(crate) use sortable::{SortHeader, row_order};
pub(crate) use status::StatusBadge;
pub(crate) use token_prompt::TokenPrompt;
pub(crate) use upload::UploadForm;
