//! What the integration tests share: where the fixture models and images are.

use std::path::{Path, PathBuf};

/// The repository's `relative` path, which must exist (scripts/setup.sh fetches the fixture
/// families into data/models and renders data/pages).
pub(crate) fn fixture(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    assert!(
        path.exists(),
        "`{relative}` is missing: run scripts/setup.sh (scripts/setup-fixtures.sh) first"
    );
    path
}
