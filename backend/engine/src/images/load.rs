//! Decoding one image file to RGB.

use std::path::Path;

use image::{ImageReader, Limits, RgbImage};

use crate::{Error, Result};

/// The largest width or height [`load_image`] accepts, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Decodes a JPEG or PNG file (format sniffed from its bytes) to 8-bit RGB.
///
/// Images wider or taller than [`MAX_IMAGE_SIDE`] are refused from their header, before any
/// pixel is decoded. A file that is not a readable image is an [`Error::Image`] naming it.
pub fn load_image(path: &Path) -> Result<RgbImage> {
    let image_error = |reason: String| Error::Image {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = ImageReader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => image_error(format!(
            "larger than {MAX_IMAGE_SIDE} pixels a side, or too large to decode"
        )),
        other => image_error(other.to_string()),
    })?;
    Ok(image.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_png_to_rgb() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.png");
        let mut source = RgbImage::new(3, 2);
        source.put_pixel(2, 1, image::Rgb([10, 20, 30]));
        source.save(&path).unwrap();
        let image = load_image(&path).unwrap();
        assert_eq!(image.dimensions(), (3, 2));
        assert_eq!(image.get_pixel(2, 1).0, [10, 20, 30]);
    }

    #[test]
    fn a_corrupt_file_is_an_image_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.jpg");
        std::fs::write(&path, b"definitely not a jpeg").unwrap();
        let err = load_image(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Image { path: p, .. } if p == &path),
            "{err}"
        );
        assert!(err.to_string().contains("broken.jpg"));
    }

    #[test]
    fn absurd_dimensions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        // A PNG header claiming 20000 x 1 pixels, followed by nothing decodable.
        let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(&ihdr);
        bytes.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        std::fs::write(&path, bytes).unwrap();
        let err = load_image(&path).unwrap_err().to_string();
        assert!(err.contains("16384"), "{err}");
    }

    /// The CRC-32 PNG chunks carry (IEEE polynomial).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
