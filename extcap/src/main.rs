//! `scapbridge`: read, convert and inspect Falco/sysdig captures, capture
//! from our interfaces, and serve them to Wireshark/Stratoshark as an extcap.
//! A thin binary over the `scapbridge` and `scapbridge-formats` libraries:
//! errors become one human line on stderr here, and nowhere else.

mod capture_cmd;
mod columns;
mod commands;
mod docs;
mod rules_cmd;
mod top;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// Exit status when the input or arguments are bad.
const EXIT_ERROR: u8 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "scapbridge",
    version,
    about = "Falco/sysdig captures for Stratoshark and Wireshark"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the events of a capture, one per line, in sysdig's default layout.
    Read(ReadArgs),
    /// Rewrite a capture as scap or pcapng, in a chosen schema profile.
    Convert(ConvertArgs),
    /// Summarise a capture: sections, blocks, events by type, time span, processes, drops;
    /// or rank processes, files, connections, syscalls or errors (--top).
    Info(InfoArgs),
    /// Every field filters, rules and `-p` formats can use, with its type
    /// and what it reads (sysdig's -l, falco --list).
    Fields(FieldsArgs),
    /// Falco rules files: `scapbridge rules check FILE…`.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
    /// Capture from an interface into a file (`scapbridge capture --help` lists the options).
    #[command(disable_help_flag = true)]
    Capture {
        /// Interface, its options and the output: see `scapbridge capture --help`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print the completion script of a shell (bash, zsh, fish, elvish,
    /// powershell): `scapbridge completions bash > /etc/bash_completion.d/scapbridge`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (scapbridge.1 and one per subcommand) into DIR,
    /// an existing folder; files already there are not overwritten.
    #[command(hide = true)]
    Manpages {
        /// The folder.
        dir: std::path::PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct FieldsArgs {
    /// One JSON object per field (name, type, source, desc).
    #[arg(long)]
    json: bool,
    /// Only the fields of this event source (syscall, aws_cloudtrail).
    #[arg(long)]
    source: Option<String>,
}

#[derive(Subcommand, Debug)]
enum RulesCmd {
    /// Load and compile rules files; print every error with file:line:col,
    /// and which rules the selection (-D/-T/-t) enables.
    Check {
        /// Rules files or directories (their .yaml files, in name order);
        /// without them, the `rules_files` of --config.
        #[arg(required_unless_present_any = ["config", "options"])]
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        falco: FalcoConfigArgs,
    },
    /// Every rule loaded (Falco's -L): enabled ones first, then those the
    /// selection disables, each with its priority, source and tags.
    List {
        /// Rules files or directories; without them, the `rules_files` of
        /// --config.
        #[arg(required_unless_present_any = ["config", "options"])]
        files: Vec<std::path::PathBuf>,
        /// Also each rule's condition as evaluated: macros and lists
        /// expanded, exceptions applied.
        #[arg(long)]
        expanded: bool,
        /// One JSON object per rule (name, enabled, priority, source, tags,
        /// desc, condition, file, line; `expanded` with --expanded).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        falco: FalcoConfigArgs,
    },
}

/// Falco's configuration as `read` and `rules check` take it.
#[derive(clap::Args, Debug, Default)]
struct FalcoConfigArgs {
    /// Falco's configuration file (falco.yaml): its rules_files (unless
    /// rules are given), rules: section, priority, json_output and
    /// json_include_* properties, time_format_iso_8601 and append_output;
    /// other keys are warned about and ignored.
    #[arg(long = "config", short = 'c', value_name = "FALCO_YAML")]
    config: Option<std::path::PathBuf>,
    /// A configuration key set as Falco's -o does, after --config
    /// (json_output=true, priority=error, rules[].enable.tag=T, …;
    /// repeatable).
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
}

/// Falco's rule selection, applied in Falco's order: -D, then -T, then -t.
#[derive(clap::Args, Debug, Default)]
struct SelectArgs {
    /// Disable the rules whose name contains TEXT (Falco's -D; repeatable).
    #[arg(short = 'D', long = "disable-rules", value_name = "TEXT")]
    disable_rules: Vec<String>,
    /// Disable the rules with tag TAG (Falco's -T; repeatable).
    #[arg(short = 'T', long = "disable-tags", value_name = "TAG")]
    disable_tags: Vec<String>,
    /// Run only the rules with tag TAG (Falco's -t; repeatable; not with -D/-T).
    #[arg(short = 't', long = "run-tags", value_name = "TAG")]
    run_tags: Vec<String>,
}

impl SelectArgs {
    fn selection(&self) -> Result<scapbridge::rules::Selection, scapbridge::rules::SelectionError> {
        scapbridge::rules::Selection::from_flags(
            &self.disable_rules,
            &self.disable_tags,
            &self.run_tags,
        )
    }
}

#[derive(clap::Args, Debug)]
struct ReadArgs {
    /// Capture file, or `-` for standard input (gzip is detected); or give
    /// it with -r as sysdig does.
    #[arg(required_unless_present_any = ["read", "list_fields"])]
    file: Option<std::path::PathBuf>,
    /// List the fields filters and -p can use, and exit (sysdig's -l).
    #[arg(short = 'l', long = "list-fields")]
    list_fields: bool,
    /// The capture file, as sysdig's and tshark's -r (then every word that
    /// is not an option is the filter).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    read: Option<std::path::PathBuf>,
    /// Filter in the sysdig/Falco syntax (`proc.name=cat and evt.type=open`);
    /// several words are joined with spaces, as sysdig does. Options may
    /// follow it (`read F evt.type=open -n 5`), as sysdig's getopt allows;
    /// a negative number is a word of the filter (`fd.num = -1`).
    #[arg(allow_negative_numbers = true)]
    filter: Vec<String>,
    /// One JSON object per line instead of text (ours: sysdig's keys plus
    /// `evt.args`, each parameter by name, and `evt.time`).
    #[arg(long)]
    json: bool,
    /// JSON with exactly sysdig's -j keys (evt.cpu, evt.dir, evt.info,
    /// evt.num, evt.outputtime, evt.type, proc.name, thread.tid), so jq
    /// scripts written for sysdig work.
    #[arg(short = 'j')]
    sysdig_json: bool,
    /// Stop after N events (sysdig's -n).
    #[arg(short = 'n', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Skip events whose id is unknown (as libscap does) instead of failing.
    #[arg(long)]
    skip_unknown: bool,
    /// Also print internal events (procinfo, drops) and state-only events.
    #[arg(long)]
    all: bool,
    /// Print byte buffers (read/write data, execve's arguments and
    /// environment) as text only, echoing line ends (sysdig's -A).
    #[arg(short = 'A', long = "print-ascii", group = "buffers")]
    print_ascii: bool,
    /// Print byte buffers in hex (sysdig's -x).
    #[arg(short = 'x', long = "print-hex", group = "buffers")]
    print_hex: bool,
    /// Print byte buffers in hex and ASCII, 16 bytes a row (sysdig's -X).
    #[arg(short = 'X', long = "print-hex-ascii", group = "buffers")]
    print_hex_ascii: bool,
    /// Print byte buffers in base64 (sysdig's -b).
    #[arg(short = 'b', long = "print-base64", group = "buffers")]
    print_base64: bool,
    /// How the time column prints, as sysdig's -t (spelt long here: -t is
    /// Falco's --run-tags): h the time of day, a seconds since the epoch,
    /// r since the capture's first event, d an exit's time since its
    /// enter, D since the previous event printed.
    #[arg(long = "timetype", value_name = "h|a|r|d|D", value_parser = parse_timetype)]
    timetype: Option<commands::TimeType>,
    /// Falco rules file or directory (repeatable): print the alerts instead of events.
    #[arg(long = "rules")]
    rules: Vec<std::path::PathBuf>,
    /// Which of the rules run (with --rules).
    #[command(flatten)]
    select: SelectArgs,
    #[command(flatten)]
    falco: FalcoConfigArgs,
    /// Under each CloudTrail event, every plugin field it has: value, and
    /// byte offset and length in the event (as the plugin API reports them),
    /// or "generated" for computed values.
    #[arg(long)]
    fields: bool,
    /// Each event as this format of `%field`s, as sysdig's -p
    /// (`'%proc.name %container.name'`): a leading `*` prints every event,
    /// missing fields as <NA>; without it, only events that have every field.
    #[arg(long = "print", short = 'p')]
    print: Option<String>,
    /// tshark's -T: `fields` (what -e implies), `json` (as --json) or
    /// `text` (the default layout). Spelt long because -T is Falco's
    /// --disable-tags here.
    #[arg(long = "output-type", value_enum, value_name = "TYPE")]
    output_type: Option<OutputType>,
    /// A column of tshark's `-T fields` output (repeatable, in order): each
    /// event prints its fields' values, as -p does, joined by a tab; a
    /// field the event lacks is an empty column.
    #[arg(short = 'e', value_name = "FIELD",
          conflicts_with_all = ["print", "json", "sysdig_json", "fields", "rules"])]
    columns: Vec<String>,
    /// Options of -e columns, as tshark's -E: `separator=C` (also /t, /s),
    /// `header=y` for a first line of the field names.
    #[arg(short = 'E', value_name = "OPTION=VALUE", requires = "columns")]
    column_options: Vec<String>,
    /// Whose habits -p, -e and filters follow where the readers'
    /// generations disagree (a thread's parent, ids of a thread the reader
    /// made up, sockets learnt from a send, evt.args, categories):
    /// `sysdig-0.41` (libs 0.23, as Stratoshark, Wireshark 4.6 and Falco:
    /// the default) or `sysdig-0.29` (2022, Debian 12's sysdig).
    #[arg(long = "as", value_name = "READER", value_parser = parse_generation)]
    generation: Option<scapbridge_formats::Generation>,
}

/// `--as`'s reader names.
fn parse_generation(s: &str) -> Result<scapbridge_formats::Generation, String> {
    scapbridge_formats::Generation::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = scapbridge_formats::Generation::ALL
            .iter()
            .map(|(n, _)| *n)
            .collect();
        format!("one of {}", names.join(", "))
    })
}

/// sysdig's `-t` letters.
fn parse_timetype(s: &str) -> Result<commands::TimeType, String> {
    use commands::TimeType as T;
    Ok(match s {
        "h" => T::Human,
        "a" => T::Absolute,
        "r" => T::Relative,
        "d" => T::Latency,
        "D" => T::Delta,
        _ => return Err("one of h, a, r, d, D (as sysdig's -t)".into()),
    })
}

/// The time type of a `read` without rules, where `-D`, `-T` and `-t`
/// (Falco's rule selection) would select nothing: `-t` with one of sysdig's
/// letters is sysdig's `-t` (the habit a sysdig user brings); anything
/// else is refused rather than silently ignored.
fn no_rules_time(
    select: &SelectArgs,
    timetype: Option<commands::TimeType>,
) -> Result<commands::TimeType, String> {
    if !select.disable_rules.is_empty() || !select.disable_tags.is_empty() {
        return Err(
            "-D and -T disable rules: they need --rules or --config (without them, tshark's \
             -T takes fields, json or text)"
                .into(),
        );
    }
    match (select.run_tags.as_slice(), timetype) {
        ([], t) => Ok(t.unwrap_or_default()),
        ([t], None) => parse_timetype(t).map_err(|_| {
            format!(
                "-t {t}: without --rules, -t is sysdig's time type, one of h, a, r, d, D \
                 (also --timetype); with --rules, Falco's run-tags"
            )
        }),
        _ => Err("-t selects rules by tag: it needs --rules or --config (sysdig's time type is --timetype)".into()),
    }
}

impl ReadArgs {
    /// The buffer format the flags ask for (one at most: clap's group).
    fn buffer_format(&self) -> scapbridge_formats::render::BufferFormat {
        use scapbridge_formats::render::BufferFormat as B;
        match (
            self.print_ascii,
            self.print_hex,
            self.print_hex_ascii,
            self.print_base64,
        ) {
            (true, ..) => B::Ascii,
            (_, true, ..) => B::Hex,
            (_, _, true, _) => B::HexAscii,
            (.., true) => B::Base64,
            _ => B::Dots,
        }
    }
}

/// tshark's output types `read` has.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum OutputType {
    /// The -e fields in columns.
    Fields,
    /// One JSON object per event (as --json).
    Json,
    /// sysdig's text layout (the default).
    Text,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Plain scap: readable by sysdig, Falco, Stratoshark and Wireshark.
    Scap,
    /// pcapng section with SHB options (hardware, OS, application, comment) for Wireshark.
    Pcapng,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ProfileArg {
    /// libs 0.21 layouts with enter events (sysdig 0.29, tshark 4.0, every libs since).
    Compat,
    /// libs 0.23 layouts, exit events only (Stratoshark, Wireshark 4.6, sysdig 0.41, Falco).
    #[value(alias = "modern")]
    Stratoshark,
    /// Each event in the layout it has (no conversion): exact rewrites.
    Keep,
}

#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// Input capture, or `-` for standard input.
    input: std::path::PathBuf,
    /// Output file, or `-` for standard output.
    #[arg(short = 'w', long = "write")]
    output: std::path::PathBuf,
    /// Output container.
    #[arg(long, value_enum, default_value_t = Format::Scap)]
    format: Format,
    /// Schema profile of the output. `keep` (the default for files) rewrites
    /// events unchanged; `stratoshark` and `compat` convert layouts.
    #[arg(long, value_enum, default_value_t = ProfileArg::Keep)]
    profile: ProfileArg,
    /// gzip-compress the output.
    #[arg(long)]
    gzip: bool,
    /// Comment stored in the pcapng section header (pcapng only).
    #[arg(long)]
    comment: Option<String>,
    /// Skip events whose id is unknown instead of failing.
    #[arg(long)]
    skip_unknown: bool,
}

#[derive(clap::Args, Debug)]
struct InfoArgs {
    /// Capture file, or `-` for standard input.
    file: std::path::PathBuf,
    /// Machine-readable JSON instead of text (with --top: one array of
    /// objects, a key per column).
    #[arg(long)]
    json: bool,
    /// Instead of the summary, the N largest rows of one ranking (figure
    /// descending, then name), counted as sysdig's top chisels count.
    #[arg(long, value_enum, value_name = "KIND")]
    top: Option<top::TopKind>,
    /// With --top: how many rows (default 10).
    #[arg(short = 'n', long = "count", value_name = "N", requires = "top")]
    count: Option<usize>,
    /// With --top: count only the events this filter (sysdig/Falco syntax)
    /// matches; several words are joined with spaces, options may follow.
    #[arg(allow_negative_numbers = true, requires = "top")]
    filter: Vec<String>,
}

fn main() -> ExitCode {
    // Extcap calls come first and bypass clap: Wireshark runs
    // `--extcap-interfaces` at every start-up, in any order of options.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    scapbridge::init();
    let first = raw.first().and_then(|a| a.to_str());
    // Paths are OS strings everywhere: clap's subcommands take them as
    // such, and `capture` and the extcap calls accept any bytes in their
    // path options (other text must be UTF-8, said in one line).
    if matches!(first, Some("--version" | "-V")) && raw.len() == 1 {
        print!("{}", docs::version_text());
        return ExitCode::SUCCESS;
    }
    if first == Some("capture") {
        return capture_cmd::headless_main(&raw[1..]);
    }
    let clap_command = matches!(
        first,
        Some("read" | "convert" | "info" | "rules" | "help" | "completions" | "manpages")
    );
    let lossy: Vec<String> = raw
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if !clap_command && scapbridge::invocation::is_extcap_call(&lossy) {
        return capture_cmd::extcap_main(&raw);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let r = match cli.cmd {
        Cmd::Read(a) if a.list_fields => commands::fields(a.json, None),
        Cmd::Fields(a) => {
            // A source we do not have is a usage error (exit 2), as a bad
            // value of any other option.
            if let Some(msg) = commands::unknown_field_source(a.source.as_deref()) {
                eprintln!("scapbridge: error: {msg} (see scapbridge fields --help)");
                return ExitCode::from(2);
            }
            commands::fields(a.json, a.source.as_deref())
        }
        Cmd::Read(mut a) => {
            // Without rules, one `-T fields|json|text` is tshark's output
            // type (the habit a tshark user brings), not Falco's tag.
            let no_rules =
                a.rules.is_empty() && a.falco.config.is_none() && a.falco.options.is_empty();
            if let ([t], None, true) = (a.select.disable_tags.as_slice(), a.output_type, no_rules) {
                if let Ok(t) = OutputType::from_str(t, false) {
                    a.output_type = Some(t);
                    a.select.disable_tags.clear();
                }
            }
            // With -r FILE, a positional word is the filter's first.
            let buffers = a.buffer_format();
            let (file, words) = match (a.read, a.file) {
                (Some(f), Some(first)) => {
                    let mut w = vec![first.to_string_lossy().into_owned()];
                    w.extend(a.filter);
                    (f, w)
                }
                (Some(f), None) => (f, a.filter),
                (None, Some(f)) => (f, a.filter),
                (None, None) => unreachable!("clap requires a file"),
            };
            // An empty filter is none, as sysdig takes `-r F ""` (scripts
            // pass "$FILTER" unset).
            let filter = Some(words.join(" ")).filter(|f| !f.trim().is_empty());
            let columns = match (a.output_type, a.columns.is_empty()) {
                (Some(OutputType::Fields), true) => Err(anyhow::anyhow!(
                    "--output-type fields needs the fields, each with -e FIELD"
                )),
                (Some(t @ (OutputType::Json | OutputType::Text)), false) => Err(anyhow::anyhow!(
                    "-e columns are the fields output type, not {t:?}"
                )),
                (_, true) => Ok(None),
                (_, false) => columns::Columns::new(a.columns, &a.column_options).map(Some),
            };
            let columns = match columns {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            if no_rules {
                let time = match no_rules_time(&a.select, a.timetype) {
                    Ok(t) => t,
                    Err(msg) => {
                        eprintln!("scapbridge: error: {msg} (see scapbridge read --help)");
                        return ExitCode::from(2);
                    }
                };
                commands::read(
                    &file,
                    filter.as_deref(),
                    commands::ReadStyle {
                        json: a.json || a.output_type == Some(OutputType::Json),
                        sysdig_json: a.sysdig_json,
                        all: a.all,
                        buffers,
                        time,
                        fields: a.fields,
                        print: a.print,
                        columns,
                        count: a.count,
                        generation: a.generation.unwrap_or_default(),
                    },
                    a.skip_unknown,
                )
            } else if a
                .generation
                .is_some_and(|g| g != scapbridge_formats::Generation::Libs023)
            {
                eprintln!(
                    "scapbridge: error: --as prints events as an older reader does; \
                     rules run as Falco runs them (libs 0.23): drop --as or --rules"
                );
                return ExitCode::from(2);
            } else {
                a.select
                    .selection()
                    .map_err(anyhow::Error::new)
                    .and_then(|selection| {
                        let rules = rules_cmd::RulesOpts {
                            files: a.rules,
                            selection,
                            config: a.falco.config,
                            options: a.falco.options,
                        };
                        commands::alerts(&file, filter.as_deref(), &rules, a.json)
                    })
            }
        }
        Cmd::Convert(a) => commands::convert(commands::ConvertOpts {
            input: a.input,
            output: a.output,
            pcapng: a.format == Format::Pcapng,
            profile: match a.profile {
                ProfileArg::Compat => scapbridge_formats::Profile::Compat,
                ProfileArg::Stratoshark => scapbridge_formats::Profile::Stratoshark,
                ProfileArg::Keep => scapbridge_formats::Profile::Keep,
            },
            gzip: a.gzip,
            comment: a.comment,
            skip_unknown: a.skip_unknown,
        }),
        Cmd::Info(InfoArgs {
            file,
            json,
            top: Some(kind),
            count,
            filter,
        }) => {
            let filter = Some(filter.join(" ")).filter(|f| !f.trim().is_empty());
            top::top(
                &file,
                &top::TopOpts {
                    kind,
                    count: count.unwrap_or(10),
                    json,
                    filter: filter.as_deref(),
                },
            )
        }
        Cmd::Info(a) => commands::info(&a.file, a.json),
        Cmd::Completions { shell } => {
            docs::completions(Cli::command(), shell);
            Ok(())
        }
        Cmd::Manpages { dir } => docs::man_pages(Cli::command(), &dir).map(|_| ()),
        Cmd::Capture { args } => {
            let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
            return capture_cmd::headless_main(&args);
        }
        Cmd::Rules {
            cmd:
                RulesCmd::Check {
                    files,
                    select,
                    falco: FalcoConfigArgs { config, options },
                },
        } => match select.selection() {
            Ok(selection) => {
                return rules_cmd::rules_check(&rules_cmd::RulesOpts {
                    files,
                    selection,
                    config,
                    options,
                })
            }
            Err(e) => Err(anyhow::Error::new(e)),
        },
        Cmd::Rules {
            cmd:
                RulesCmd::List {
                    files,
                    expanded,
                    json,
                    select,
                    falco: FalcoConfigArgs { config, options },
                },
        } => match select.selection() {
            Ok(selection) => {
                return rules_cmd::rules_list(
                    &rules_cmd::RulesOpts {
                        files,
                        selection,
                        config,
                        options,
                    },
                    rules_cmd::ListStyle { json, expanded },
                )
            }
            Err(e) => Err(anyhow::Error::new(e)),
        },
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// A filter given as several words whose value starts with a dash
/// (`read F proc.args contains -c`): clap takes the value for an option,
/// as tshark's and sysdig's getopt do. Names the way out.
fn dashed_filter_value(args: &[String]) -> Option<String> {
    args.windows(3).find_map(|w| {
        let value = &w[2];
        (scapbridge_filter::CmpOp::from_word(&w[1]).is_some()
            && value.starts_with('-')
            && value.len() > 1)
            .then(|| {
                format!(
                    "a filter value that starts with '-' reads as an option: \
                 quote the whole filter as one argument, as in '{} {} {}'",
                    w[0], w[1], value
                )
            })
    })
}

/// One human line on stderr, and the error status.
fn fail(e: anyhow::Error) -> ExitCode {
    // One line: the context chain joined, no backtrace; a cause whose text
    // the message before it already ends with (errors that print their
    // source and also return it) is said once.
    let mut msg = String::new();
    for part in e.chain().map(ToString::to_string) {
        if msg.ends_with(&part) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&part);
    }
    eprintln!("scapbridge: error: {msg}");
    ExitCode::from(EXIT_ERROR)
}

/// A command line clap refuses, in the one-line style of every other
/// error (`scapbridge: error: …`, with clap's suggestion when it has one),
/// exit 2; help and version go out as clap prints them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("bad arguments");
    let mut msg = first.strip_prefix("error: ").unwrap_or(first).to_string();
    // "the following required arguments were not provided:" lists them on
    // the lines below: joined onto this one.
    if msg.ends_with(':') {
        let listed: Vec<&str> = rendered
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        msg.push(' ');
        msg.push_str(&listed.join(", "));
    }
    let suggested = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand]
        .into_iter()
        .find_map(|k| match e.get(k) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(v)) => v.first().cloned(),
            _ => None,
        });
    if let Some(like) = suggested {
        msg.push_str(&format!(" (did you mean '{like}'?)"));
    }
    // A bad value of a closed set: clap lists the set on a later line.
    // (A value missing altogether comes with an empty set: nothing to list.)
    if let Some(ContextValue::Strings(valid)) = e
        .get(ContextKind::ValidValue)
        .filter(|v| !matches!(v, ContextValue::Strings(l) if l.is_empty()))
    {
        msg.push_str(&format!(" (one of: {})", valid.join(", ")));
    }
    if let Some(hint) = dashed_filter_value(&std::env::args().skip(1).collect::<Vec<_>>()) {
        msg.push_str(&format!(" ({hint})"));
    }
    // Which command's help to ask for.
    let cmd: Vec<String> = std::env::args()
        .skip(1)
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .filter(|a| {
            matches!(
                a.as_str(),
                "read"
                    | "convert"
                    | "info"
                    | "rules"
                    | "check"
                    | "list"
                    | "fields"
                    | "completions"
                    | "manpages"
                    | "help"
            )
        })
        .collect();
    let help = if cmd.is_empty() {
        "scapbridge --help".to_string()
    } else {
        format!("scapbridge {} --help", cmd.join(" "))
    };
    eprintln!("scapbridge: error: {msg} (see {help})");
    ExitCode::from(2)
}
