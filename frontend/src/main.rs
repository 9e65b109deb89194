//! Mounts qbound's web UI; the app lives in the library.

fn main() {
    #[cfg(target_arch = "wasm32")]
    qbound_frontend::mount();
}
