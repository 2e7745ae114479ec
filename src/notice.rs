//! Everything enforce says on standard error, in one prefix style.
//!
//! Every line starts with `enforce: `, then the level when there is one
//! (`warning`, `note`, `audit`, `bypass`, `critical`), then the message;
//! a `hint:` line may follow with the next step. Nothing else in the crate
//! writes to standard error, so the wording of a warning is found, changed
//! and tested here.
//!
//! Writes ignore failure on purpose: a hook whose standard error is closed
//! must still decide the commit (`eprintln!` would panic instead).

use std::fmt::Display;
use std::io::{self, Write};

/// How much a notice matters; it is printed after `enforce: `.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Plain information (a file written); no level word.
    Info,
    /// Something worth knowing that changes nothing (files not scanned).
    Note,
    /// Something went wrong but the run goes on (a record that failed).
    Warning,
    /// A rule in audit mode would have blocked.
    Audit,
    /// A rule was skipped with its escape hatch, and the skip recorded.
    Bypass,
    /// A commit skipped the checks the team relies on.
    Critical,
}

impl Level {
    fn word(self) -> Option<&'static str> {
        match self {
            Level::Info => None,
            Level::Note => Some("note"),
            Level::Warning => Some("warning"),
            Level::Audit => Some("audit"),
            Level::Bypass => Some("bypass"),
            Level::Critical => Some("CRITICAL"),
        }
    }
}

/// The notice as it is printed, without the newline.
pub fn render(level: Level, message: impl Display) -> String {
    match level.word() {
        Some(word) => format!("enforce: {word}: {message}"),
        None => format!("enforce: {message}"),
    }
}

/// Prints one notice line.
pub fn emit(level: Level, message: impl Display) {
    raw(&format!("{}\n", render(level, message)));
}

/// A plain notice (a file written).
pub fn info(message: impl Display) {
    emit(Level::Info, message);
}

/// Something went wrong, and the run goes on.
pub fn warning(message: impl Display) {
    emit(Level::Warning, message);
}

/// A `hint:` line under the notice before it.
pub fn hint(text: impl Display) {
    raw(&format!("hint: {text}\n"));
}

/// An indented detail line under the notice before it.
pub fn detail(text: impl Display) {
    raw(&format!("  {text}\n"));
}

/// An error that ends the run, with its hint.
pub fn error(err: &crate::error::Error) {
    emit(Level::Info, err);
    if let Some(text) = err.hint() {
        hint(text);
    }
}

/// Text already laid out (a blocked commit's message), as it is.
pub fn raw(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prefix_style() {
        assert_eq!(render(Level::Info, "wrote x"), "enforce: wrote x");
        assert_eq!(render(Level::Warning, "w"), "enforce: warning: w");
        assert_eq!(render(Level::Audit, "a"), "enforce: audit: a");
        assert_eq!(render(Level::Critical, "c"), "enforce: CRITICAL: c");
    }
}
