//! The man pages and shell completions, generated from the clap definition
//! (so they say what the CLI takes, never a hand-written copy of it):
//! `scapbridge manpages DIR` and `scapbridge completions SHELL`; and the
//! `--version` text.
//! `install/deb.sh` runs both to fill the package.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Writes `scapbridge.1` and one page per subcommand (`scapbridge-read.1`,
/// `scapbridge-rules-check.1`, …) into `dir`, an existing folder. Each file
/// is created new: a file of that name already there is an error, never
/// overwritten or followed. Returns the files written.
pub(crate) fn man_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_pages(&cmd, dir, &mut written)?;
    // The agent's page: its --help text (it takes sysdig's flags, parsed
    // by hand, not by clap).
    let mut page = format!(
        ".TH SCAPBRIDGE-AGENT 1 \"scapbridge-agent {}\"\n.SH NAME\n\
         scapbridge-agent \\- live system calls of this host as a scap stream\n\
         .SH DESCRIPTION\n.nf\n",
        env!("CARGO_PKG_VERSION")
    );
    page.push_str(&roff_literal(scapbridge_agent::USAGE));
    page.push_str(".fi\n");
    written.push(create_page(dir, "scapbridge-agent", page.as_bytes())?);
    Ok(written)
}

/// Writes `NAME.1` into `dir`, created new (never over a file there, nor
/// through a link).
fn create_page(dir: &Path, name: &str, page: &[u8]) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.1"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(page)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    // clap names a built subcommand `scapbridge-read`, `scapbridge-rules-check`.
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    if name == "scapbridge-capture" {
        // `capture` parses its own options (each interface has its own):
        // its page carries the text `capture --help` prints.
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        man.render_synopsis_section(&mut page)?;
        page.extend_from_slice(b".SH DESCRIPTION\n.nf\n");
        page.extend_from_slice(roff_literal(&crate::capture_cmd::help(None)).as_bytes());
        page.extend_from_slice(b".fi\n");
    } else {
        man.render(&mut page)?;
    }
    written.push(create_page(dir, &name, &page)?);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

/// `text` as lines roff prints as they are (inside `.nf`): backslashes
/// escaped, and a line that starts with a control character kept text.
fn roff_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let line = line.replace('\\', "\\e");
        if line.starts_with('.') || line.starts_with('\'') {
            out.push_str("\\&");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// What `scapbridge --version` prints: the version and git commit, how the
/// probe was built, and the event layouts the writer takes.
pub(crate) fn version_text() -> String {
    scapbridge_engine::version_text(
        "scapbridge",
        env!("CARGO_PKG_VERSION"),
        env!("SCAPBRIDGE_GIT_COMMIT"),
    )
}

/// The completion script of `shell` for `cmd`, on standard output.
pub(crate) fn completions(cmd: clap::Command, shell: clap_complete::Shell) {
    let mut cmd = cmd.mut_subcommand("capture", |_| capture_for_completion());
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "scapbridge", &mut out);
}

/// `capture` as the completion scripts see it. Its arguments go to the
/// extcap's own parser (clap holds them as one trailing list, which
/// completes nothing), so the scripts get a command of its own: the
/// headless options, and every interface's options with the interface
/// names, selector values and file paths to complete.
fn capture_for_completion() -> clap::Command {
    use clap::builder::PossibleValuesParser;
    use clap::{Arg, ArgAction, ValueHint};
    use scapbridge::invocation::HEADLESS_OPTS;
    use scapbridge::protocol::{ArgType, INTERFACES};
    let mut c = clap::Command::new("capture").about("Capture from an interface into a file");
    // A long name's first row gives its short name, later rows aliases
    // (`-d`, and sysdig's `-M`); clap brings its own `--help`.
    for o in HEADLESS_OPTS.iter().filter(|o| o.long != "help") {
        if c.get_arguments().any(|x| x.get_id() == o.long) {
            c = c.mut_arg(o.long, |a| match o.short {
                Some(s) => a.short_alias(s),
                None => a,
            });
            continue;
        }
        let mut arg = Arg::new(o.long).long(o.long);
        if let Some(s) = o.short {
            arg = arg.short(s);
        }
        arg = if !o.takes_value {
            arg.action(ArgAction::SetTrue)
        } else {
            match o.long {
                "interface" => {
                    arg.value_parser(PossibleValuesParser::new(INTERFACES.iter().map(|i| i.name)))
                }
                "write" => arg.value_hint(ValueHint::FilePath),
                "format" => arg.value_parser(["scap", "pcapng"]),
                "autostop" => arg.value_parser(["duration:", "packets:"]),
                _ => arg,
            }
        };
        c = c.arg(arg);
    }
    for a in INTERFACES.iter().flat_map(|i| i.all_args()) {
        if c.get_arguments().any(|x| x.get_id() == a.name) {
            continue;
        }
        let mut arg = Arg::new(a.name).long(a.name).help(a.display);
        if a.name == "snaplen" {
            arg = arg.short('s');
        }
        arg = match a.ty {
            ArgType::Boolflag => arg.action(ArgAction::SetTrue),
            ArgType::Fileselect { .. } => arg.value_hint(ValueHint::FilePath),
            ArgType::Selector => {
                arg.value_parser(PossibleValuesParser::new(a.choices.iter().map(|c| c.value)))
            }
            _ => arg,
        };
        c = c.arg(arg);
    }
    c
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roff_keeps_lines_literal() {
        assert_eq!(
            roff_literal("a\\b\n.x\n'y\n z"),
            "a\\eb\n\\&.x\n\\&'y\n z\n"
        );
    }
}
