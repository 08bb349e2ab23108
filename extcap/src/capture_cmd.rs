//! The extcap calls and `scapbridge capture`: the edge where capture errors
//! become one line on stderr and an exit status.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use scapbridge::capture::{
    group, parse_duration, AlertOutput, CaptureControl, CaptureError, CaptureStats, Level, Logger,
    Output, Pipeline, Progress, RuleWatch, ScapSink, Source, StopReason,
};
use scapbridge::control::Toolbar;
use scapbridge::invocation::{self, Call, Expected, Invocation, OutputFormat, UsageError};
use scapbridge::protocol::{self, InterfaceSpec};
use scapbridge_formats::{Container, PcapngOptions, Profile};

/// Exit status: success.
const EXIT_OK: u8 = 0;
/// Exit status: the capture failed (bad input, output error).
const EXIT_FAILED: u8 = 1;
/// Exit status: wrong arguments.
const EXIT_USAGE: u8 = 2;
/// Headless capture with rules: complete, and at least one rule fired (so a
/// CI job can fail on an alert).
const EXIT_ALERT: u8 = 3;

fn print_stdout(s: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn error_line(msg: &dyn std::fmt::Display) {
    // One line: the host shows the first 1024 bytes of stderr as the error.
    let text = msg.to_string().replace('\n', " ");
    eprintln!("scapbridge: error: {text}");
}

/// A capture that failed, and whether [`run`] wrote its error line already:
/// a source that fails has it printed before the output closes, so the
/// host, which reads our stderr when the FIFO ends, finds it; the exit path
/// must not repeat it.
#[derive(Debug)]
struct RunError {
    error: CaptureError,
    shown: bool,
}

impl From<CaptureError> for RunError {
    fn from(error: CaptureError) -> Self {
        RunError {
            error,
            shown: false,
        }
    }
}

/// Answers an extcap call (argv without the program name).
pub(crate) fn extcap_main(args: &[std::ffi::OsString]) -> ExitCode {
    let inv = invocation::parse_extcap_os(args);
    let mut out = String::new();
    match &inv.call {
        // Query calls: exit 0 and nothing on stderr, whatever else was passed.
        Some(Call::Interfaces) => protocol::interfaces(&mut out),
        Some(Call::Version) => protocol::extcap_sentence(&mut out),
        Some(Call::Dlts) => {
            if let Some(spec) = inv.interface.as_deref().and_then(protocol::interface) {
                protocol::dlts(spec, &mut out);
            }
        }
        Some(Call::Config { reload }) => {
            if let Some(spec) = inv.interface.as_deref().and_then(protocol::interface) {
                protocol::config(spec, reload.as_deref(), &mut out);
            }
        }
        Some(Call::FilterCheck) => {
            // Empty stdout = valid; otherwise the first line is shown as the error.
            if let Err(e) = scapbridge::check_filter(inv.filter.as_deref()) {
                out = format!("{e}\n");
            }
        }
        Some(Call::CleanupPostkill) => {}
        Some(Call::Capture) => return capture(&inv, false),
        Some(_) | None => {
            error_line(&"not an extcap call this program knows (use --extcap-interfaces, or `scapbridge --help`)");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    print_stdout(&out);
    ExitCode::SUCCESS
}

/// `scapbridge capture …` (argv after `capture`).
pub(crate) fn headless_main(args: &[std::ffi::OsString]) -> ExitCode {
    let inv = invocation::parse_headless_os(args);
    if inv.help {
        // `capture -i X --help`: X's options only; an X we do not have is
        // an error, not every interface's help.
        let only = match inv.interface.as_deref() {
            None => None,
            Some(_) => match inv.interface_spec() {
                Ok(spec) => Some(spec),
                Err(e) => {
                    error_line(&e);
                    return ExitCode::from(EXIT_USAGE);
                }
            },
        };
        print_stdout(&help(only));
        return ExitCode::SUCCESS;
    }
    if inv.list {
        let mut s = String::new();
        for i in protocol::INTERFACES {
            s.push_str(&format!("{:<22} {}\n", i.name, i.display));
        }
        print_stdout(&s);
        return ExitCode::SUCCESS;
    }
    capture(&inv, true)
}

/// The text of `capture --help` (`only`: one interface's options).
pub(crate) fn help(only: Option<&protocol::InterfaceSpec>) -> String {
    let mut s = String::from(
        "Capture from a scapbridge interface into a file, the same way the extcap does for Wireshark.\n\n\
         Usage: scapbridge capture -i IFACE [interface options] -w FILE|- [--duration D] [--count N]\n\
         \x20                         [--filter F] [--format scap|pcapng] [-q]\n\
         \x20                         [-- CMD ARGS...]   (exits with CMD's status; 127 when it cannot start)\n\n\
         Options:\n\
         \x20 -i, --interface IFACE   interface (see --list)\n\
         \x20 -w, --write FILE|-      output file, or - for standard output\n\
         \x20 -d, -M, --duration D    stop after D (10, 2.5s, 500ms, 3m, 1h; -M as sysdig's)\n\
         \x20 -c, -n, --count N       stop after N events\n\
         \x20 -a duration:D|packets:N  tshark's autostop: the same as -d D or -c N\n\
         \x20 -f, --filter F          capture filter in the Falco/sysdig syntax (proc.name=cat and evt.type=open)\n\
         \x20 -F, --format scap|pcapng  output container (default scap; -F as tshark's)\n\
         \x20 -q, --quiet             no progress line and no summary\n\
         \x20     --alert-exit        with -- CMD: exit 3 when a rule fired (else CMD's status)\n\
         \x20 -D, --list              list the interfaces (-D as tshark's)\n\
         \x20 -s N                    scapbridge-syscalls' --snaplen (sysdig's -s)\n\n",
    );
    // Rules and trigger options are the same on every interface, so they
    // are listed once.
    let sections = protocol::INTERFACES
        .iter()
        .filter(|i| only.is_none_or(|o| o.name == i.name))
        .map(|i| (format!("Options of {} ({})", i.name, i.display), i.args))
        .chain(std::iter::once((
            "Options of every interface (Falco rules, capture around alerts)".to_string(),
            protocol::RULES_ARGS,
        )));
    for (title, args) in sections {
        s.push_str(&title);
        s.push_str(":\n");
        for a in args {
            let val = if a.ty.takes_value() { " VALUE" } else { "" };
            let def = a
                .default
                .map(|d| format!(" [default: {d}]"))
                .unwrap_or_default();
            let req = if a.required { " (required)" } else { "" };
            s.push_str(&format!(
                "      --{}{val}\n          {}{def}{req}\n",
                a.name, a.tooltip
            ));
        }
        s.push('\n');
    }
    if only.is_none() {
        s.push_str("`scapbridge capture -i NAME --help` shows one interface's options.\n");
    }
    s.push_str("Exit status: 0 capture complete (whatever stopped it), 1 capture failed, 2 wrong arguments, 3 capture complete and a rule fired (with --rules; with -- CMD only with --alert-exit), with -- CMD: CMD's status, 127 not found, 126 not runnable.\n");
    s
}

/// Everything checked before the capture starts.
struct Plan {
    spec: &'static InterfaceSpec,
    source: Box<dyn Source>,
    count: Option<u64>,
    duration: Option<Duration>,
    profile: Profile,
    filter: Option<scapbridge::filter::Filter>,
    rules: Option<scapbridge::capture::RuleWatch>,
    trigger: Option<scapbridge::trigger::TriggerWindow>,
}

/// Loads `--rules` (or the `rules_files` of `--config`), keeps those the
/// config and `--disable-rules`/`--disable-tags`/`--run-tags` select, and
/// opens `--alerts` (stderr by default, headless; the log in an extcap
/// call, whose stderr the host reads as an error).
fn rule_watch(
    inv: &Invocation,
    spec: &InterfaceSpec,
    headless: bool,
) -> Result<Option<RuleWatch>, CaptureError> {
    use scapbridge::rules::config::FalcoConfig;
    let config = inv
        .path(spec, "config")
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| FalcoConfig::load(&p))
        .transpose()?;
    let mut files: Vec<std::path::PathBuf> = inv.rules_paths(spec);
    if let (true, Some(c)) = (files.is_empty(), &config) {
        files.clone_from(&c.rules_files);
    }
    if files.is_empty() {
        return Ok(None);
    }
    if headless {
        for w in config.iter().flat_map(|c| &c.warnings) {
            eprintln!("scapbridge: {w}");
        }
    }
    // --alerts-format as given, else the config's json_output.
    let json = match inv.options.get("alerts-format") {
        Some(f) => f == "json",
        None => config.as_ref().is_some_and(|c| c.style.json),
    };
    let out = match inv
        .path(spec, "alerts")
        .filter(|a| !a.as_os_str().is_empty())
    {
        Some(path) => AlertOutput::append_to(&path, json)?,
        None if headless => AlertOutput::stderr(json),
        // An extcap's stderr is read by the host as an error.
        None => AlertOutput {
            out: Box::new(io::sink()),
            target: "<log>".into(),
            json,
        },
    };
    let selection = inv.rule_selection(spec)?;
    let mut set = scapbridge::rules::RuleSet::load(&files)?;
    let style = match &config {
        Some(c) => {
            c.apply(&mut set, &selection);
            c.style
        }
        None => {
            set.select(&selection);
            scapbridge::rules::config::AlertStyle::default()
        }
    };
    let engine = scapbridge::rules::engine::RuleEngine::new(set);
    Ok(Some(RuleWatch::new(engine, out).with_style(style)))
}

fn plan(inv: &Invocation, headless: bool) -> Result<Plan, CaptureError> {
    let spec = inv.check_capture()?;
    // scapbridge-ssh hands the filter to the remote capture program, as
    // sshdig does: that program evaluates it (with fields we may not know).
    let filter = if spec.name == "scapbridge-ssh" {
        None
    } else {
        scapbridge::check_filter(inv.filter.as_deref())?
    };
    let rules = rule_watch(inv, spec, headless)?;
    // The layout: as asked, else the one the host reads.
    let host =
        (!headless).then(|| scapbridge::host::Host::of_this_process(inv.host_version.as_deref()));
    let profile = scapbridge::host::layout_for(
        spec.name,
        inv.option(spec, "profile")
            .as_deref()
            .and_then(scapbridge::profile_named),
        host,
    );
    let trigger = match scapbridge::trigger::TriggerConfig::from_options(|n| inv.option(spec, n))?
        .map(|mut cfg| {
            // The folder may be any OS string.
            if let Some(d) = inv.os_paths.get("save-dir") {
                cfg.save_dir = Some(d.clone());
            }
            cfg
        }) {
        Some(_) if rules.is_none() => {
            return Err(UsageError::Needs {
                option: "--trigger".into(),
                needs: "rules to fire (--rules FILE)",
            }
            .into())
        }
        Some(cfg) => Some(scapbridge::trigger::TriggerWindow::new(
            scapbridge::trigger::TriggerConfig {
                layout: profile,
                ..cfg
            },
        )?),
        None => None,
    };
    let count = match inv.count.as_deref() {
        None => None,
        Some(c) => Some(
            c.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| UsageError::BadValue {
                    option: "--count".into(),
                    value: c.into(),
                    expected: Expected::Form("a number of events above 0"),
                })?,
        ),
    };
    let duration = match inv.duration.as_deref() {
        None => None,
        Some(d) => Some(parse_duration(d).ok_or_else(|| UsageError::BadValue {
            option: "--duration".into(),
            value: d.into(),
            expected: Expected::Form("a time above 0 such as 10, 2.5s, 500ms, 3m or 1h"),
        })?),
    };
    let mut source = scapbridge::open_source(spec, inv)?;
    // Rules evaluated at the source (the agent on an SSH host): the host
    // raises the alerts and cuts the windows; they reach our alert output.
    let (rules, trigger) = match rules {
        Some(watch) if source.evaluates_rules() => {
            source.set_alert_output(watch.into_output());
            (None, None)
        }
        rules => (rules, trigger),
    };
    Ok(Plan {
        spec,
        source,
        count,
        duration,
        profile,
        filter,
        rules,
        trigger,
    })
}

fn exit_for(e: &CaptureError) -> ExitCode {
    ExitCode::from(match e {
        CaptureError::Usage(_) => EXIT_USAGE,
        // As a shell: 127 not found, 126 found but not runnable.
        CaptureError::Command { reason, .. } if reason.not_found() => 127,
        CaptureError::Command { .. } => 126,
        _ => EXIT_FAILED,
    })
}

/// The exit code of a capture that traced a command: the command's own,
/// or 128 + the signal that ended it (as a shell reports it).
fn command_exit(st: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    let signal = {
        use std::os::unix::process::ExitStatusExt;
        st.signal()
    };
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    match (st.code(), signal) {
        (Some(c), _) => (c & 0xff) as u8,
        (None, Some(sig)) => (128 + (sig & 0x7f)) as u8,
        (None, None) => EXIT_FAILED,
    }
}

fn capture(inv: &Invocation, headless: bool) -> ExitCode {
    // Signals first: a stop request during set-up is honoured too.
    let signal = scapbridge::capture::stop_flag(&[
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]);
    // The path to open may be any OS string; `target` is its text, for
    // messages and the summary.
    let out_path = inv.os_paths.get("write").cloned();
    let Some(target) = inv.output.clone() else {
        // A mistyped option or interface first: it is often why the output
        // seems missing (`--interace x` took `x` as its value).
        error_line(&inv.check_capture().err().unwrap_or(UsageError::NoOutput));
        return ExitCode::from(EXIT_USAGE);
    };
    // The extcap opens the FIFO before anything that can fail: the host
    // blocks until a writer appears and only then reads our error. Headless
    // checks first, so a typo does not clobber an existing file.
    //
    // A FIFO refused by a later step stays open (`held`) until our error
    // line is written: the host reads our stderr when the FIFO ends, and a
    // FIFO closed first raced the line (tshark then showed an empty error).
    let mut held: Option<Output> = None;
    // Binary capture data on a terminal helps nobody (tcpdump refuses too).
    if headless && target == "-" && io::stdout().is_terminal() {
        error_line(&UsageError::BadValue {
            option: "-w".into(),
            value: "-".into(),
            expected: Expected::Form(
                "a file, or - with standard output redirected (it is a terminal)",
            ),
        });
        return ExitCode::from(EXIT_USAGE);
    }
    let prepared = if headless {
        plan(inv, true).and_then(|p| {
            Ok((
                p,
                Output::open(out_path.as_deref().unwrap_or(target.as_ref()))?,
            ))
        })
    } else {
        match Output::open(out_path.as_deref().unwrap_or(target.as_ref())) {
            Ok(o) => match plan(inv, false) {
                Ok(p) => Ok((p, o)),
                Err(e) => {
                    held = Some(o);
                    Err(e)
                }
            },
            Err(e) => Err(e),
        }
    };
    // Control pipes and the log only once the capture can start.
    let level = Level::parse(inv.log_level.as_deref().unwrap_or("message"));
    let log_path = inv
        .os_paths
        .get("log-file")
        .cloned()
        .or_else(|| inv.log_file.clone().map(Into::into));
    let start = |(p, o)| {
        let toolbar = Toolbar::open(inv.control_in.as_deref(), inv.control_out.as_deref());
        Logger::new(level, log_path.as_deref(), toolbar.clone())
            .map(|l| (p, o, toolbar, l))
            .map_err(|source| CaptureError::Output {
                target: inv.log_file.clone().unwrap_or_default(),
                source,
            })
    };
    let (plan, output, toolbar, log) = match prepared.and_then(start) {
        Ok(x) => x,
        // SIGTERM/SIGINT while waiting for a FIFO's other end or the first
        // bytes of the input: a stop like any other (exit 0).
        Err(_) if scapbridge::fsio::stop_requested() => {
            if headless && !inv.quiet {
                eprintln!("scapbridge: stopped (SIGTERM/SIGINT) before the capture started");
            }
            return ExitCode::from(EXIT_OK);
        }
        Err(e) => {
            error_line(&e);
            drop(held);
            // The log file gets the failure too (a refused login, a host
            // key mismatch): whoever reads it must not find silence.
            if let Some(path) = log_path.as_deref() {
                let no_toolbar = Toolbar::open(None, None);
                if let Ok(log) = Logger::new(Level::Warning, Some(path), no_toolbar) {
                    log.log(
                        Level::Warning,
                        &format!("error: {}", e.to_string().replace('\n', " ")),
                    );
                }
            }
            return exit_for(&e);
        }
    };
    let ctl = CaptureControl::new(signal, plan.duration, toolbar, log)
        .with_reader_watch(output.watch_reader());
    let code = match run(inv, plan, output, &target, &ctl, headless) {
        // `capture -- CMD` exits as CMD did, so a CI job wrapping its tests
        // fails when they fail; --alert-exit makes a fired rule win (3).
        Ok((alerts, Some(st))) if headless => ExitCode::from(if alerts > 0 && inv.alert_exit {
            EXIT_ALERT
        } else {
            command_exit(st)
        }),
        Ok((alerts, _)) if headless && alerts > 0 => ExitCode::from(EXIT_ALERT),
        Ok(_) => ExitCode::from(EXIT_OK),
        Err(RunError { error, shown }) => {
            if !shown {
                ctl.log.log(Level::Warning, &error.to_string());
                error_line(&error);
            }
            exit_for(&error)
        }
    };
    // Let the last status and log lines reach the toolbar; bounded, since the
    // host may have closed its end already.
    ctl.toolbar.drain(Duration::from_millis(500));
    code
}

fn run(
    inv: &Invocation,
    mut plan: Plan,
    output: Output,
    target: &str,
    ctl: &CaptureControl,
    headless: bool,
) -> Result<(u64, Option<std::process::ExitStatus>), RunError> {
    let container = match inv.format {
        OutputFormat::Scap => Container::Scap,
        OutputFormat::Pcapng => Container::Pcapng(PcapngOptions {
            hardware: Some(std::env::consts::ARCH.to_string()),
            os: Some(std::env::consts::OS.to_string()),
            application: Some(format!("scapbridge {}", protocol::VERSION)),
            comment: Some(format!("{}: {}", plan.spec.name, plan.source.describe())),
        }),
    };
    let shown = if target == "-" { "<stdout>" } else { target };
    let sink = ScapSink::for_output(output, shown, plan.profile, container)?;
    let show_progress = headless && !inv.quiet && io::stderr().is_terminal();
    let progress: Option<Progress<'_>> = show_progress.then(|| {
        let (count, duration) = (plan.count, plan.duration);
        Box::new(move |s: &CaptureStats| progress_line(s, count, duration)) as Progress<'_>
    });
    let mut pipeline = Pipeline::new(sink, plan.count, progress)
        .with_filter(plan.filter.take())
        .with_rules(plan.rules.take())
        .with_trigger(plan.trigger.take());
    ctl.log.log(
        Level::Message,
        &format!("{}: {}", plan.spec.name, plan.source.describe()),
    );
    let result = plan.source.run(&mut pipeline, ctl);
    if let Err(e) = &result {
        // Before the output closes: see RunError.
        if show_progress {
            eprint!("\r\x1b[2K");
        }
        ctl.log.log(Level::Warning, &e.to_string());
        error_line(e);
    }
    let fired = pipeline.rules().map(|r| r.fired.clone());
    let trigger = pipeline.end_trigger();
    if let Some((_, notices)) = &trigger {
        for n in notices {
            ctl.log.log(Level::Warning, n);
            if headless {
                eprintln!("scapbridge: warning: {n}");
            }
        }
    }
    // Whatever happened, end the output on a whole block.
    let finished = pipeline.finish();
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    let reason = result.map_err(|error| RunError { error, shown: true })?;
    let (stats, dropped_meta) = finished?;
    let mut summary = summary(&plan, shown, inv.format, reason, &stats, dropped_meta);
    if let Some(fired) = &fired {
        let list: Vec<String> = fired.iter().map(|(r, n)| format!("{r} ({n})")).collect();
        summary.push_str(&format!(
            "  alerts     {}{}\n",
            stats.alerts,
            if list.is_empty() {
                String::new()
            } else {
                format!(": {}", list.join(", "))
            }
        ));
    }
    if let Some((t, _)) = &trigger {
        summary.push_str(&format!(
            "  trigger    {} windows, {} events in them, {} left out, ring peak {}{}{}\n",
            t.windows,
            t.in_windows,
            t.outside,
            human_bytes(t.peak_buffer),
            if t.evicted_for_memory > 0 {
                format!(
                    " ({} events left the ring early: --max-buffer full)",
                    t.evicted_for_memory
                )
            } else {
                String::new()
            },
            if t.saved > 0 {
                format!(", {} window files", t.saved)
            } else {
                String::new()
            }
        ));
    }
    ctl.log.log(Level::Message, &summary.replace('\n', "; "));
    ctl.toolbar.status(&format!(
        "{}: {} events, {reason}",
        plan.spec.name, stats.events_written
    ));
    let remote_alerts = plan.source.alerts();
    if remote_alerts > 0 {
        summary.push_str(&format!(
            "  alerts     {remote_alerts} (raised on the host)\n"
        ));
    }
    if headless && !inv.quiet {
        eprint!("{summary}");
    }
    Ok((stats.alerts + remote_alerts, plan.source.command_status()))
}

/// The progress line, with its target when there is one: `of N` events
/// (`--count`), `of MM:SS` (`--duration`).
fn progress_line(s: &CaptureStats, count: Option<u64>, duration: Option<Duration>) {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.events_written as f64 / secs
    } else {
        0.0
    };
    let mmss = |d: u64| format!("{:02}:{:02}", d / 60, d % 60);
    eprint!(
        "\r\x1b[2K{} events{}  {}  {} drops  {} ev/s  {}{}",
        group(s.events_written),
        count
            .map(|c| format!(" of {}", group(c)))
            .unwrap_or_default(),
        human_bytes(s.bytes),
        s.drops,
        group(rate as u64),
        mmss(s.elapsed.as_secs()),
        duration
            .map(|d| format!(" of {}", mmss(d.as_secs_f64().ceil() as u64)))
            .unwrap_or_default()
    );
}

fn human_bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KiB", b as f64 / 1024.0),
        _ => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}

fn summary(
    plan: &Plan,
    target: &str,
    format: OutputFormat,
    reason: StopReason,
    s: &CaptureStats,
    dropped_meta: u64,
) -> String {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.events_written as f64 / secs
    } else {
        0.0
    };
    let fmt = match format {
        OutputFormat::Scap => "scap",
        OutputFormat::Pcapng => "pcapng",
    };
    let mut out = format!(
        "scapbridge: capture finished ({reason})\n\
         \x20 interface  {} ({})\n\
         \x20 output     {target} ({fmt}, layout {}: {})\n\
         \x20 events     {} written{}\n\
         \x20 bytes      {} ({})\n\
         \x20 drops      {} drop periods in the stream\n\
         \x20 time       {secs:.2} s, {} events/s\n",
        plan.spec.name,
        plan.source.describe(),
        plan.profile.name(),
        plan.profile.readers(),
        group(s.events_written),
        {
            // The profile adapter changes the count (compat writes each exit
            // event's enter half beside it, stratoshark merges enters into their
            // exits): say so, or it would not match the source's.
            let mut notes = Vec::new();
            if s.events_written > s.events_out {
                notes.push(format!(
                    "{} captured; the compat layout adds their enter events",
                    group(s.events_out)
                ));
            } else if s.events_written < s.events_out {
                notes.push(format!(
                    "{} captured; the stratoshark layout merges enter events into their exits",
                    group(s.events_out)
                ));
            }
            if s.filtered_out > 0 {
                notes.push(format!("{} left out by the filter", group(s.filtered_out)));
            }
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            }
        },
        group(s.bytes),
        human_bytes(s.bytes),
        s.drops,
        group(rate as u64),
    );
    if let Some(r) = plan.source.report() {
        out.push_str(&r);
    }
    if dropped_meta > 0 {
        out.push_str(&format!(
            "  note       {dropped_meta} metadata block(s) after the first event were not copied\n"
        ));
    }
    out
}
