//! Names and tokens as error lines show them.

use std::fmt;

/// A name as an error line shows it: whole up to 80 characters, else its
/// first 64 and its length, so a hostile megabyte-long name makes a line
/// that still fits a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const WHOLE: usize = 80;
        const HEAD: usize = 64;
        match self.0.char_indices().nth(WHOLE) {
            None => f.write_str(self.0),
            Some(_) => {
                let end = self
                    .0
                    .char_indices()
                    .nth(HEAD)
                    .map_or(self.0.len(), |(i, _)| i);
                write!(f, "{}... ({} bytes)", &self.0[..end], self.0.len())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shown;

    #[test]
    fn a_huge_name_is_shown_cut_with_its_length() {
        let long = format!("proc.{}", "x".repeat(1 << 20));
        let line = format!("unknown field '{}'", Shown(&long));
        assert!(line.len() < 120, "{}", &line[..200]);
        assert!(
            line.contains(&format!("... ({} bytes)'", long.len())),
            "{line}"
        );
        let eighty = "é".repeat(80);
        assert_eq!(
            Shown(&eighty).to_string(),
            eighty,
            "80 characters are shown whole"
        );
        assert_eq!(Shown("proc.nme").to_string(), "proc.nme");
    }
}
