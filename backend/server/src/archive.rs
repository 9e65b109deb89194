//! Safe extraction of dataset archives (zip, tar, or gzip-compressed tar): only regular
//! files, never absolute paths, `..` or links; files are written under names the server
//! makes, never the client's paths. Sizes are capped while streaming (per entry, in total,
//! and by compression ratio), and every image is decoded with the engine's own loader.

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

/// How much an archive may unpack to; checked while each entry streams, so no entry is
/// written in full before its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExtractLimits {
    /// All entries together, in bytes.
    pub(crate) total_bytes: u64,
    /// Any one entry, in bytes.
    pub(crate) entry_bytes: u64,
    /// Unpacked bytes per byte of archive (past the first MiB).
    pub(crate) max_ratio: u64,
}

impl ExtractLimits {
    /// What a worker allows when it unpacks a dataset the server already normalised.
    pub(crate) const WORKER: Self = Self {
        total_bytes: 64 * 1024 * 1024 * 1024,
        entry_bytes: 1024 * 1024 * 1024,
        max_ratio: 2,
    };

    fn allowed_total(&self, archive_bytes: u64) -> u64 {
        let by_ratio = archive_bytes
            .saturating_mul(self.max_ratio)
            .saturating_add(1024 * 1024);
        self.total_bytes.min(by_ratio)
    }
}

/// The name of the annotation file inside a normalised dataset archive.
pub(crate) const ANNOTATIONS_NAME: &str = "annotations.json";
const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// The container formats a dataset may come in, sniffed from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveFormat {
    Zip,
    Tar,
    TarGz,
}

fn sniff_format(archive: &Path) -> Result<ArchiveFormat> {
    let mut head = [0u8; 262];
    let mut file = std::fs::File::open(archive)?;
    let mut read = 0;
    while read < head.len() {
        let n = file.read(&mut head[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    if read >= 4 && head[..4] == *b"PK\x03\x04" {
        Ok(ArchiveFormat::Zip)
    } else if read >= 2 && head[..2] == [0x1f, 0x8b] {
        Ok(ArchiveFormat::TarGz)
    } else if read >= 262 && head[257..262] == *b"ustar" {
        Ok(ArchiveFormat::Tar)
    } else {
        Err(Error::Unprocessable(
            "the dataset is not a .zip, .tar, .tar.gz or .tgz archive".into(),
        ))
    }
}

const DECOMPRESSES_TOO_MUCH: &str = "the archive decompresses to more than the server accepts";

/// Bytes a decompressed tar may hold beyond its entries (headers, padding).
const TAR_SLACK: u64 = 16 * 1024 * 1024;

/// A reader that fails with [`std::io::ErrorKind::FileTooLarge`] after `left` bytes, so a
/// decompression bomb stops while it streams, entries skipped or not.
struct CappedReader<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::FileTooLarge, DECOMPRESSES_TOO_MUCH)
        })?;
        Ok(n)
    }
}

/// A read error while unpacking: too large (413), or a broken archive (422) whose message
/// carries no bytes from the file.
fn read_error(err: std::io::Error) -> Error {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::FileTooLarge => Error::PayloadTooLarge(DECOMPRESSES_TOO_MUCH.into()),
        kind @ (ErrorKind::InvalidData
        | ErrorKind::InvalidInput
        | ErrorKind::UnexpectedEof
        | ErrorKind::Other) => Error::Unprocessable(format!("a broken archive: {kind}")),
        _ => Error::Io(err),
    }
}

/// Extracts the zip, tar or tar.gz archive at `archive` into `dest`, rejecting unsafe
/// entries and stopping as soon as `limits` are passed.
pub(crate) fn extract_dataset(
    archive: &Path,
    dest: &Path,
    limits: ExtractLimits,
) -> Result<DatasetContents> {
    std::fs::create_dir_all(dest)?;
    let archive_bytes = std::fs::metadata(archive)?.len();
    let mut sink = EntrySink {
        dest,
        limits,
        allowed_total: limits.allowed_total(archive_bytes),
        written: 0,
        names: HashSet::new(),
        contents: DatasetContents::default(),
    };
    let file = std::fs::File::open(archive)?;
    match sniff_format(archive)? {
        ArchiveFormat::Zip => extract_zip(file, &mut sink)?,
        ArchiveFormat::Tar => extract_tar(file, &mut sink)?,
        ArchiveFormat::TarGz => {
            let unpacked = CappedReader {
                inner: flate2::read::GzDecoder::new(file),
                left: sink.allowed_total.saturating_add(TAR_SLACK),
            };
            extract_tar(unpacked, &mut sink)?;
        }
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

fn extract_zip(file: std::fs::File, sink: &mut EntrySink<'_>) -> Result<()> {
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

fn extract_tar(reader: impl Read, sink: &mut EntrySink<'_>) -> Result<()> {
    let mut tar = tar::Archive::new(reader);
    let entries = tar.entries().map_err(read_error)?;
    for entry in entries {
        let mut entry = entry.map_err(read_error)?;
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
    limits: ExtractLimits,
    allowed_total: u64,
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
        let room = self
            .limits
            .entry_bytes
            .min(self.allowed_total.saturating_sub(self.written));
        let copied = std::io::copy(&mut reader.take(room + 1), &mut out).map_err(read_error)?;
        self.written += copied;
        if copied > room {
            drop(out);
            std::fs::remove_file(&path)?;
            return Err(self.too_large(name));
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

    fn too_large(&self, name: &str) -> Error {
        let ExtractLimits {
            total_bytes,
            entry_bytes,
            max_ratio,
        } = self.limits;
        Error::PayloadTooLarge(format!(
            "the archive unpacks to too much at `{name}`: each file may hold {entry_bytes} bytes, \
             all together {total_bytes} bytes and {max_ratio} times the archive's size"
        ))
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

/// Decodes the image with the engine's own loader and limits, so what is accepted here is
/// what a job can read; a JPEG must also end its last scan with an end-of-image marker (the
/// decoder fills a truncated one with grey).
fn check_image(path: &Path, name: &str) -> Result<()> {
    let bytes = std::fs::read(path)?;
    if bytes.starts_with(&[0xFF, 0xD8]) && !jpeg_is_complete(&bytes) {
        return Err(Error::Unprocessable(format!(
            "`{name}` is a truncated JPEG (no end-of-image marker after its last scan)"
        )));
    }
    drop(bytes);
    match qbound_engine::images::load_image(path) {
        Ok(_) => Ok(()),
        Err(qbound_engine::Error::Image { reason, .. }) => Err(Error::Unprocessable(format!(
            "`{name}` is not a usable image: {reason}"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// Whether an end-of-image marker follows the last start-of-scan marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let marker = |m: u8| bytes.windows(2).rposition(|w| w == [0xFF, m]);
    matches!((marker(0xDA), marker(0xD9)), (Some(scan), Some(end)) if end > scan)
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
    fn a_jpeg_is_complete_only_with_an_end_marker_after_its_last_scan() {
        assert!(jpeg_is_complete(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 0xFF, 0xD9
        ]));
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2]));
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xDA, 1]));
    }

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
