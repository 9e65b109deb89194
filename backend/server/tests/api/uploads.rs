//! Hostile uploads: oversized parts, unexpected parts, archive bombs, unknown formats, and
//! images the engine could not read. Each is refused with its 4xx and stores nothing.

use std::io::Write;

use axum::body::Bytes;
use serde_json::Value;

use crate::helpers::{
    assert_json_error, demo_images, files_under, resident_bytes, spawn_app, tar_of,
};

/// Nothing is stored and nothing is left in the temporary area.
async fn assert_nothing_stored(app: &crate::helpers::TestApp) {
    let models = app.get_json("/api/models").await;
    let datasets = app.get_json("/api/datasets").await;
    assert_eq!(models.as_array().unwrap().len(), 0, "{models}");
    assert_eq!(datasets.as_array().unwrap().len(), 0, "{datasets}");
    assert!(files_under(&app.data_dir.join("blobs")).is_empty());
    assert!(files_under(&app.data_dir.join("tmp")).is_empty());
}

async fn upload_form(
    app: &crate::helpers::TestApp,
    path: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.write_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_256_mib_name_part_is_refused_without_the_server_holding_it() {
    let (app, _dir) = spawn_app().await;
    let before = resident_bytes();
    let chunks = futures_util::stream::iter(
        (0..256).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 1024 * 1024]))),
    );
    let name = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks));
    let form = reqwest::multipart::Form::new().part("name", name).part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("m.onnx"),
    );
    let response = app
        .client
        .post(app.url("/api/models"))
        .bearer_auth(&app.write_token)
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = response {
        let message = assert_json_error(response, 413).await;
        assert!(message.contains("`name`"), "{message}");
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 64 * 1024 * 1024, "the server grew by {grown} bytes");
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_part_header_that_never_ends_is_refused_without_the_server_holding_it() {
    let (app, _dir) = spawn_app().await;
    let before = resident_bytes();
    let head = Bytes::from_static(
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\nX-Pad: ",
    );
    let padding = (0..256).map(|_| Bytes::from(vec![b'a'; 1024 * 1024]));
    let body = futures_util::stream::iter(
        std::iter::once(head)
            .chain(padding)
            .map(Ok::<_, std::io::Error>),
    );
    let response = app
        .client
        .post(app.url("/api/models"))
        .bearer_auth(&app.write_token)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    if let Ok(response) = response {
        let message = assert_json_error(response, 413).await;
        assert!(message.contains("part headers"), "{message}");
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 64 * 1024 * 1024, "the server grew by {grown} bytes");
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn an_unexpected_or_repeated_part_is_refused_and_nothing_is_stored() {
    let (app, _dir) = spawn_app().await;
    let model = std::fs::read(crate::helpers::demo_model()).unwrap();
    let extra = reqwest::multipart::Form::new()
        .text("padding", "x".repeat(1000))
        .part(
            "file",
            reqwest::multipart::Part::bytes(model.clone()).file_name("m.onnx"),
        );
    let message = assert_json_error(upload_form(&app, "/api/models", extra).await, 400).await;
    assert!(message.contains("`padding`"), "{message}");
    let twice = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(model.clone()).file_name("a.onnx"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(model).file_name("b.onnx"),
        );
    assert_json_error(upload_form(&app, "/api/models", twice).await, 400).await;
    assert_nothing_stored(&app).await;
}

/// A zip of one real photo and `zeros` bytes of zeros named like a photo.
fn zip_bomb(zeros: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let photo = &demo_images("calib", 1)[0];
    zip.start_file("photo.jpg", options).unwrap();
    zip.write_all(&std::fs::read(photo).unwrap()).unwrap();
    zip.start_file("zeros.jpg", options).unwrap();
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..zeros / block.len() {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_zip_bomb_is_refused_while_it_unpacks_and_nothing_is_stored() {
    let (app, _dir) = spawn_app().await;
    let bomb = zip_bomb(256 * 1024 * 1024);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let message = assert_json_error(app.upload("/api/datasets", "bomb.zip", bomb).await, 413).await;
    assert!(message.contains("unpacks to too much"), "{message}");
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_gzip_bomb_tar_is_refused_while_it_unpacks() {
    let (app, _dir) = spawn_app().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut header = tar::Header::new_gnu();
    header.set_size(512 * 1024 * 1024);
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o644);
    header.set_path("padding/").unwrap();
    header.set_cksum();
    gz.write_all(header.as_bytes()).unwrap();
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..512 {
        gz.write_all(&block).unwrap();
    }
    let bomb = gz.finish().unwrap();
    let message = assert_json_error(app.upload("/api/datasets", "bomb.tgz", bomb).await, 413).await;
    assert!(message.contains("decompresses to more"), "{message}");
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_tar_gz_dataset_is_accepted_and_an_unknown_format_is_named_plainly() {
    let (app, _dir) = spawn_app().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_of(&demo_images("calib", 3), "photos/"))
        .unwrap();
    let response = app
        .upload("/api/datasets", "photos.tgz", gz.finish().unwrap())
        .await;
    assert_eq!(response.status(), 201);
    let dataset: Value = response.json().await.unwrap();
    assert_eq!(dataset["image_count"], 3);

    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let message = assert_json_error(
        app.upload("/api/datasets", "photos.rar", garbage).await,
        422,
    )
    .await;
    assert!(message.contains(".tar.gz"), "{message}");
    assert!(message.chars().all(|c| !c.is_control()), "{message:?}");
}

/// A PNG header claiming `width` x `height`, with no pixels after it.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn images_too_large_or_corrupt_are_refused_at_upload() {
    let (app, _dir) = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.png");
    std::fs::write(&huge, png_header(20_000, 20_000)).unwrap();
    let message = assert_json_error(
        app.upload("/api/datasets", "huge.tar", tar_of(&[huge], ""))
            .await,
        422,
    )
    .await;
    assert!(message.contains("huge.png"), "{message}");

    let photo = std::fs::read(&demo_images("calib", 1)[0]).unwrap();
    let corrupt = dir.path().join("corrupt.jpg");
    std::fs::write(&corrupt, &photo[..photo.len() / 3]).unwrap();
    let message = assert_json_error(
        app.upload("/api/datasets", "corrupt.tar", tar_of(&[corrupt], ""))
            .await,
        422,
    )
    .await;
    assert!(message.contains("corrupt.jpg"), "{message}");
    assert!(
        !message.contains(&*app.data_dir.to_string_lossy()),
        "{message}"
    );
    assert_nothing_stored(&app).await;
}
