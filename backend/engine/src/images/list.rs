//! Listing the images of a folder.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// File extensions (lower case) that count as images.
const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The JPEG and PNG files directly inside `dir` (extensions matched case-insensitively, no
/// recursion), sorted by file name.
///
/// Fails when `dir` cannot be read or holds no image.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut images = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if has_image_extension(&path) && path.is_file() {
            images.push(path);
        }
    }
    if images.is_empty() {
        return Err(Error::InvalidInput(format!(
            "no images in `{}`: expected .jpg, .jpeg or .png files directly inside it",
            dir.display()
        )));
    }
    images.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(images)
}

fn has_image_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        IMAGE_EXTENSIONS
            .iter()
            .any(|known| e.eq_ignore_ascii_case(known))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_images_sorted_by_name_without_recursing() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.PNG", "a.jpg", "c.JpEg", "notes.txt", "d.gif"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/e.jpg"), b"x").unwrap();
        let names: Vec<_> = list_images(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.jpg", "b.PNG", "c.JpEg"]);
    }

    #[test]
    fn a_folder_without_images_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("readme.md"), b"x").unwrap();
        let err = list_images(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no images"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn a_missing_folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(matches!(list_images(&missing), Err(Error::Io { .. })));
    }
}
