//! `read -e FIELD… [-E separator=,] [-E header=y]`: tshark's `-T fields`
//! habit. Each event is its fields' values joined by a separator; a field
//! the event does not have is an empty column, as tshark prints it. The
//! values are those `-p` prints (the same compiled format, the same
//! extraction), so a line is `-p '*%f1<sep>%f2…'` with `<NA>` emptied.

use anyhow::{bail, Context, Result};
use scapbridge::filter::eval::OutputFormat;

/// The columns asked, and how they are joined.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub fields: Vec<String>,
    pub separator: String,
    /// A first line with the field names (tshark's `-E header=y`).
    pub header: bool,
}

impl Columns {
    /// From the `-e` fields and the `-E OPTION=VALUE`s; tshark's other -E
    /// options (quote, occurrence, aggregator, bom, escape) are refused
    /// rather than silently ignored.
    pub(crate) fn new(fields: Vec<String>, options: &[String]) -> Result<Columns> {
        let mut c = Columns {
            fields,
            separator: "\t".into(),
            header: false,
        };
        for o in options {
            let Some((k, v)) = o.split_once('=') else {
                bail!("-E '{o}': expected OPTION=VALUE (separator=, or header=y)");
            };
            match k {
                // tshark spells tab and space /t and /s.
                "separator" => {
                    c.separator = match v {
                        "/t" => "\t".into(),
                        "/s" => " ".into(),
                        _ => v.into(),
                    }
                }
                "header" => {
                    c.header = match v {
                        "y" | "yes" | "true" => true,
                        "n" | "no" | "false" => false,
                        _ => bail!("-E '{o}': header takes y or n"),
                    }
                }
                _ => bail!("-E '{o}': unsupported option (separator and header are)"),
            }
        }
        Ok(c)
    }

    /// The format rendering every field of every event (`*`: missing
    /// ones too); each `-e` must be one field name, checked on its own so
    /// the error names it.
    pub(crate) fn format(&self) -> Result<OutputFormat> {
        for f in &self.fields {
            let name = f.split('[').next().unwrap_or("");
            let plain = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                && (name.len() == f.len() || f.ends_with(']'));
            if !plain {
                bail!("-e '{}': not a field name", scapbridge::filter::Shown(f));
            }
            OutputFormat::new(&format!("%{f}"))
                .with_context(|| format!("-e '{}'", scapbridge::filter::Shown(f)))?;
        }
        let all: Vec<String> = self.fields.iter().map(|f| format!("%{f}")).collect();
        OutputFormat::new(&all.join(" ")).context("-e fields")
    }

    pub(crate) fn header_line(&self) -> String {
        let mut s = self.fields.join(&self.separator);
        s.push('\n');
        s
    }

    /// One event's line from the values `OutputFormat::render` gave. Some
    /// fields say they have no value with sysdig's `<NA>` (proc.name of a
    /// thread the capture never named): empty too, as any missing value.
    pub(crate) fn line(&self, values: &[(String, Option<String>)], out: &mut String) {
        for (i, (_, v)) in values.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.separator);
            }
            match v.as_deref() {
                None | Some("<NA>") => {}
                Some(v) => out.push_str(v),
            }
        }
        out.push('\n');
    }
}
