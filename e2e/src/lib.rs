//! Browser tests of qbound's web UI live in `tests/ui/`: they start a real server with the
//! built UI (`frontend/dist`), drive it in headless Chromium through chromedriver, and
//! check what a user sees. Run `scripts/setup-browser.sh` once, then `cargo test -p qbound-e2e`.
