//! Safe extraction of dataset archives (zip or tar): only regular files, never absolute
//! paths, `..` or links; files are written under names the server makes, never the client's
//! paths. Images are checked by decoding their headers; a COCO annotation file is optional.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What a dataset archive held, extracted under one folder.
#[derive(Debug, Clone, Default)]
pub(crate) struct DatasetContents {
    /// The extracted images, named by their sanitised base names.
    pub(crate) images: Vec<PathBuf>,
    /// The COCO annotation file, when the archive had one.
    pub(crate) annotations: Option<PathBuf>,
}

/// The name of the annotation file inside a normalised dataset archive.
pub(crate) const ANNOTATIONS_NAME: &str = "annotations.json";
const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// Extracts the zip or tar archive at `archive` into `dest`, rejecting unsafe entries and
/// stopping past `limit` uncompressed bytes.
pub(crate) fn extract_dataset(archive: &Path, dest: &Path, limit: u64) -> Result<DatasetContents> {
    std::fs::create_dir_all(dest)?;
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(archive)?.read(&mut magic)?;
    let mut sink = EntrySink {
        dest,
        limit,
        written: 0,
        names: HashSet::new(),
        contents: DatasetContents::default(),
    };
    if read == 4 && magic == *b"PK\x03\x04" {
        extract_zip(archive, &mut sink)?;
    } else {
        extract_tar(archive, &mut sink)?;
    }
    let mut contents = sink.contents;
    if contents.images.is_empty() {
        return Err(Error::Unprocessable(
            "the archive holds no images (.jpg, .jpeg, .png, .bmp)".into(),
        ));
    }
    contents.images.sort();
    Ok(contents)
}

fn extract_zip(archive: &Path, sink: &mut EntrySink<'_>) -> Result<()> {
    let file = std::fs::File::open(archive)?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| Error::Unprocessable(format!("not a valid zip archive: {e}")))?;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::Unprocessable(format!("broken zip entry: {e}")))?;
        let raw = entry
            .name()
            .map_err(|e| Error::Unprocessable(format!("broken zip entry name: {e}")))?
            .into_owned();
        if entry.is_symlink() {
            return Err(Error::Unprocessable(format!(
                "archive entry `{raw}` is a link; links are not accepted"
            )));
        }
        let Some(name) = safe_entry_name(&raw)? else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        sink.accept(&name, &mut entry)?;
    }
    Ok(())
}

fn extract_tar(archive: &Path, sink: &mut EntrySink<'_>) -> Result<()> {
    let file = std::fs::File::open(archive)?;
    let mut tar = tar::Archive::new(file);
    let entries = tar
        .entries()
        .map_err(|e| Error::Unprocessable(format!("not a valid zip or tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry
            .map_err(|e| Error::Unprocessable(format!("not a valid zip or tar archive: {e}")))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(Error::Unprocessable(format!(
                "archive entry `{raw}` is a link; links are not accepted"
            )));
        }
        let Some(name) = safe_entry_name(&raw)? else {
            continue;
        };
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        sink.accept(&name, &mut entry)?;
    }
    Ok(())
}

/// The base name of a safe archive path; `None` for names that are only directories;
/// an error for absolute paths, drive letters and `..`.
pub(crate) fn safe_entry_name(raw: &str) -> Result<Option<String>> {
    let unsafe_entry = || {
        Error::Unprocessable(format!(
            "archive entry `{raw}` has an unsafe path (absolute or with `..`)"
        ))
    };
    if raw.starts_with('/') || raw.starts_with('\\') || raw.as_bytes().get(1) == Some(&b':') {
        return Err(unsafe_entry());
    }
    let parts: Vec<&str> = raw
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(unsafe_entry());
    }
    if parts
        .iter()
        .any(|p| p.starts_with("__MACOSX") || p.starts_with("._"))
    {
        return Ok(None);
    }
    Ok(parts.last().map(|base| sanitize_file_name(base)))
}

/// `name` with every character outside `[A-Za-z0-9._-]` replaced by `_`, never hidden.
pub(crate) fn sanitize_file_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "file".to_owned()
    } else {
        clean
    }
}

struct EntrySink<'a> {
    dest: &'a Path,
    limit: u64,
    written: u64,
    names: HashSet<String>,
    contents: DatasetContents,
}

impl EntrySink<'_> {
    fn accept(&mut self, name: &str, reader: &mut dyn Read) -> Result<()> {
        let extension = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let is_image = IMAGE_EXTENSIONS.contains(&extension.as_str());
        if !is_image && extension != "json" {
            return Ok(());
        }
        if !is_image && self.contents.annotations.is_some() {
            return Err(Error::Unprocessable(
                "the archive holds more than one .json file; give one COCO annotation file".into(),
            ));
        }
        let stored = if is_image {
            self.unique_name(name)
        } else {
            ANNOTATIONS_NAME.to_owned()
        };
        let path = self.dest.join(&stored);
        let mut out = std::fs::File::create(&path)?;
        let room = self.limit.saturating_sub(self.written);
        let copied = std::io::copy(&mut reader.take(room + 1), &mut out)?;
        self.written += copied;
        if copied > room {
            return Err(Error::PayloadTooLarge(format!(
                "the archive unpacks to more than {} bytes",
                self.limit
            )));
        }
        if is_image {
            check_image(&path, name)?;
            self.contents.images.push(path);
        } else {
            check_coco(&path)?;
            self.contents.annotations = Some(path);
        }
        Ok(())
    }

    fn unique_name(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let mut n = 1;
        while !self.names.insert(candidate.clone()) || candidate == ANNOTATIONS_NAME {
            candidate = format!("{n}-{name}");
            n += 1;
        }
        candidate
    }
}

fn check_image(path: &Path, name: &str) -> Result<()> {
    let reader = image::ImageReader::open(path)?.with_guessed_format()?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| Error::Unprocessable(format!("`{name}` is not a readable image: {e}")))?;
    if width == 0 || height == 0 {
        return Err(Error::Unprocessable(format!("`{name}` is an empty image")));
    }
    Ok(())
}

fn check_coco(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Unprocessable(format!("the annotation file is not JSON: {e}")))?;
    for key in ["images", "annotations", "categories"] {
        if !value.get(key).is_some_and(serde_json::Value::is_array) {
            return Err(Error::Unprocessable(format!(
                "the annotation file is not COCO: it has no `{key}` list"
            )));
        }
    }
    Ok(())
}

/// Writes a normalised tar of `contents` (images by their stored names, and the
/// annotations as [`ANNOTATIONS_NAME`]) into `out`.
pub(crate) fn pack_dataset(contents: &DatasetContents, out: std::fs::File) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    let files = contents.images.iter().chain(contents.annotations.iter());
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Internal("unnamed dataset file".into()))?;
        builder.append_path_with_name(path, name)?;
    }
    builder.into_inner()?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_with_parent_or_absolute_paths_are_rejected() {
        assert!(safe_entry_name("../evil.jpg").is_err());
        assert!(safe_entry_name("a/../../evil.jpg").is_err());
        assert!(safe_entry_name("/etc/passwd").is_err());
        assert!(safe_entry_name("C:\\x.jpg").is_err());
        assert_eq!(
            safe_entry_name("photos/./a b.jpg")
                .ok()
                .flatten()
                .as_deref(),
            Some("a_b.jpg")
        );
        assert_eq!(
            safe_entry_name("photos/").ok().flatten().as_deref(),
            Some("photos")
        );
    }
}
