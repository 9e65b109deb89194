//! The `qbound` command line.

fn main() {}
