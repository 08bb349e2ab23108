//! Where alerts go: a text or JSON file, standard error, the journal.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use crate::error::CaptureError;

/// Where alerts go and in which form.
pub struct AlertOutput {
    /// The destination (stderr, a file).
    pub out: Box<dyn Write + Send>,
    /// Its name, for errors.
    pub target: String,
    /// Falco's JSON objects instead of text lines.
    pub json: bool,
}

impl AlertOutput {
    /// Alerts appended to the file at `path` (created if missing).
    pub fn append_to(path: &Path, json: bool) -> Result<AlertOutput, CaptureError> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| CaptureError::Output {
                target: path.display().to_string(),
                source,
            })?;
        Ok(AlertOutput {
            out: Box::new(f),
            target: path.display().to_string(),
            json,
        })
    }

    /// Alerts on standard error.
    pub fn stderr(json: bool) -> AlertOutput {
        AlertOutput {
            out: Box::new(io::stderr()),
            target: "<stderr>".into(),
            json,
        }
    }
}

impl fmt::Debug for AlertOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertOutput")
            .field("target", &self.target)
            .field("json", &self.json)
            .finish()
    }
}
