//! Writing to standard output without dying on a closed pipe.
//!
//! `enforce … | head` closes the pipe early; that is not an error worth a
//! message, so it surfaces as [`Error::ClosedPipe`], which exits quietly.

use std::io::{self, Write};

use crate::error::{Error, Result};

/// Writes `text` to standard output.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Error::ClosedPipe,
            _ => Error::io("write to", "standard output", e),
        })
}
