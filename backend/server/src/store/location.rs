//! Where the blobs live, from `qbound serve --store <URL>`: a local folder (the default
//! `<data dir>`, or `file:///path`), or a bucket of an object store (`s3://`, `gs://`,
//! `az://`) configured from the provider's standard environment variables.

use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use url::Url;

use crate::error::{Error, Result};

/// The store URLs `--store` accepts, for error messages.
const ACCEPTED: &str = "file:///path, s3://bucket[/prefix], gs://bucket[/prefix] or \
                        az://container[/prefix]";

/// An opened store and the prefix every key goes under.
pub(super) struct Location {
    /// The object store.
    pub(super) objects: Arc<dyn ObjectStore>,
    /// The folder inside it that holds `blobs/`.
    pub(super) prefix: ObjectPath,
}

/// Opens the store `url` names, or the folder `data_dir` when there is none. The cloud
/// builders read credentials, endpoint and region from the environment (`AWS_*`,
/// `GOOGLE_*`, `AZURE_*`); nothing is contacted yet.
pub(super) fn open_location(data_dir: &Path, url: Option<&str>) -> Result<Location> {
    let Some(url) = url else {
        return local_folder(data_dir);
    };
    let parsed = Url::parse(url).map_err(|e| {
        Error::Store(format!(
            "`--store {url}` is not a URL ({e}); use {ACCEPTED}"
        ))
    })?;
    let built = match parsed.scheme() {
        "file" => {
            let path = parsed.to_file_path().map_err(|()| {
                Error::Store(format!(
                    "`--store {url}` is not a local absolute path; write it as file:///path"
                ))
            })?;
            return local_folder(&path);
        }
        "s3" | "s3a" => AmazonS3Builder::from_env()
            .with_url(url)
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        "gs" => GoogleCloudStorageBuilder::from_env()
            .with_url(url)
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        "az" => MicrosoftAzureBuilder::from_env()
            .with_url(url)
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        other => {
            return Err(Error::Store(format!(
                "`--store {url}`: the scheme `{other}` is not supported; use {ACCEPTED}"
            )));
        }
    };
    let objects =
        built.map_err(|e| Error::Store(format!("`--store {url}` cannot be opened: {e}")))?;
    let prefix = ObjectPath::parse(parsed.path().trim_matches('/')).map_err(|e| {
        Error::Store(format!(
            "`--store {url}`: the prefix is not a valid key ({e})"
        ))
    })?;
    Ok(Location { objects, prefix })
}

/// The folder `dir` (created when missing) as a store.
fn local_folder(dir: &Path) -> Result<Location> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Store(format!(
            "the blob folder `{}` cannot be created: {e}",
            dir.display()
        ))
    })?;
    let objects = LocalFileSystem::new_with_prefix(dir).map_err(|e| {
        Error::Store(format!(
            "the blob folder `{}` cannot be opened: {e}",
            dir.display()
        ))
    })?;
    Ok(Location {
        objects: Arc::new(objects),
        prefix: ObjectPath::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<Location>) -> String {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn an_unknown_scheme_names_the_accepted_ones() {
        let dir = tempfile::tempdir().unwrap();
        let message = message(open_location(dir.path(), Some("ftp://host/x")));
        assert!(message.contains("`ftp`"), "{message}");
        assert!(message.contains("s3://bucket"), "{message}");
    }

    #[test]
    fn a_store_that_is_not_a_url_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let message = message(open_location(dir.path(), Some("my-bucket")));
        assert!(message.contains("is not a URL"), "{message}");
    }

    #[test]
    fn an_s3_url_keeps_its_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let location = open_location(dir.path(), Some("s3://bucket/team/qbound/")).unwrap();
        assert_eq!(location.prefix.as_ref(), "team/qbound");
    }

    #[test]
    fn a_file_url_is_a_local_folder_created_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        let url = format!("file://{}", shared.display());
        let location = open_location(dir.path(), Some(&url)).unwrap();
        assert!(shared.is_dir());
        assert_eq!(location.prefix.as_ref(), "");
    }
}
