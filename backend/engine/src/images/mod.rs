//! Finding and decoding the photos a detector is fed.

mod list;
mod load;

pub use list::list_images;
pub use load::{MAX_IMAGE_SIDE, load_image};
