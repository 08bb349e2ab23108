//! `scapbridge info --top KIND`: the summaries of sysdig's "top" chisels
//! (topprocs, topfiles_bytes, topconns, topscalls, and failures by errno)
//! as one table, computed with the same capture state and field extraction
//! `read` uses for filters and `-p`, so a figure here is what counting
//! `read -p` lines gives.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;
use scapbridge::filter::eval::OutputFormat;
use scapbridge::filter::{EvalContext, Filter};
use scapbridge_formats::schema::{self, Direction};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::Item;

use crate::commands::{display, emit, open_input, shown_by_default};

/// What `--top` ranks.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum TopKind {
    /// Events per process (proc.name, proc.pid): the events `read` prints
    /// by default, each counted as `read -p '%proc.name %proc.pid'` prints
    /// it (a thread the capture never named is `<NA>`, pid -1).
    Procs,
    /// Bytes read and written per file (fd.name): the positive result of
    /// every I/O exit (evt.is_io) on an fd of type file, as sysdig's
    /// topfiles_bytes.
    Files,
    /// Bytes sent and received per connection (fd.l4proto, fd.name): the
    /// positive result of every I/O exit on an ipv4 or ipv6 fd, as sysdig's
    /// topconns.
    Connections,
    /// Calls per syscall (evt.type): exit events, and the events that have
    /// no exit (procinfo, signaldeliver…); context switches left out.
    Syscalls,
    /// Failures per syscall and errno (evt.type, evt.res): exits whose
    /// result is an error (evt.failed), e.g. `access ENOENT`.
    Errors,
}

/// How a row's figure grows with each event counted.
#[derive(Clone, Copy)]
enum Figure {
    /// One per event.
    Count,
    /// The exit's result when positive (bytes moved), as sysdig's
    /// table_generator sums `evt.rawarg.res` and skips values ≤ 0.
    Bytes,
}

/// A ranking: which events count, what identifies a row, what it sums.
struct Spec {
    /// The events counted, in the filter language (besides the user's).
    filter: Option<&'static str>,
    /// Row keys: (field, column header, printed as a JSON number).
    keys: &'static [(&'static str, &'static str, bool)],
    figure: Figure,
    /// Header of the figure's column (and its JSON key).
    figure_name: &'static str,
}

impl TopKind {
    fn spec(self) -> Spec {
        match self {
            TopKind::Procs => Spec {
                filter: None,
                keys: &[("proc.name", "process", false), ("proc.pid", "pid", true)],
                figure: Figure::Count,
                figure_name: "events",
            },
            TopKind::Files => Spec {
                filter: Some("fd.type=file and evt.is_io=true"),
                keys: &[("fd.name", "file", false)],
                figure: Figure::Bytes,
                figure_name: "bytes",
            },
            TopKind::Connections => Spec {
                filter: Some("(fd.type=ipv4 or fd.type=ipv6) and evt.is_io=true"),
                keys: &[
                    ("fd.l4proto", "proto", false),
                    ("fd.name", "connection", false),
                ],
                figure: Figure::Bytes,
                figure_name: "bytes",
            },
            TopKind::Syscalls => Spec {
                filter: Some("evt.type!=switch"),
                keys: &[("evt.type", "syscall", false)],
                figure: Figure::Count,
                figure_name: "calls",
            },
            TopKind::Errors => Spec {
                filter: Some("evt.failed=true and evt.dir='<'"),
                keys: &[("evt.type", "syscall", false), ("evt.res", "errno", false)],
                figure: Figure::Count,
                figure_name: "failures",
            },
        }
    }
}

/// An exit, or an event that has no exit: a call counted once whether the
/// capture has enter events (libs 0.21 layouts) or not (0.23).
fn is_call(ev: &scapbridge_formats::Event<'_>) -> bool {
    let id = ev.event_type();
    ev.direction() == Direction::Exit
        || schema::event_info(id + 1)
            .is_none_or(|i| i.is_unused() || Direction::of(id + 1) != Direction::Exit)
}

/// What `--top` was asked.
pub(crate) struct TopOpts<'a> {
    pub kind: TopKind,
    /// Rows printed (the N largest).
    pub count: usize,
    pub json: bool,
    /// The user's filter, and-ed with the kind's.
    pub filter: Option<&'a str>,
}

pub(crate) fn top(path: &Path, o: &TopOpts<'_>) -> Result<()> {
    let spec = o.kind.spec();
    let user = match o.filter {
        Some(f) => Some(
            Filter::new(f).with_context(|| format!("filter '{}'", scapbridge::filter::Shown(f)))?,
        ),
        None => None,
    };
    let own = spec
        .filter
        .map(|f| Filter::new(f).with_context(|| format!("built-in filter '{f}'")))
        .transpose()?;
    let key_format = spec
        .keys
        .iter()
        .map(|(f, _, _)| format!("%{f}"))
        .collect::<Vec<_>>()
        .join(" ");
    let keys = OutputFormat::new(&key_format).with_context(|| key_format.clone())?;
    let res = OutputFormat::new("%evt.rawarg.res").context("%evt.rawarg.res")?;
    let mut rd = open_input(path, true)?;
    let mut state = CaptureState::new();
    if user.as_ref().is_some_and(Filter::needs_latency) {
        state.track_latency();
    }
    let mut num: u64 = 0;
    let mut table: HashMap<Vec<String>, u64> = HashMap::new();
    while let Some(item) = rd.next_item().with_context(|| display(path))? {
        let ev = match item {
            Item::Event(ev) => ev,
            other => {
                state.apply(&other);
                continue;
            }
        };
        // Numbered and state-updated exactly as `read` does, so evt.num
        // and fd names agree with what `read` prints.
        if scapbridge_formats::state::is_numbered(&ev) {
            num += 1;
        }
        state.update(&ev);
        let cx = || EvalContext { state: &state, num };
        let counted = match o.kind {
            TopKind::Procs => shown_by_default(&ev),
            TopKind::Syscalls => is_call(&ev),
            _ => true,
        };
        if !counted
            || !own.as_ref().is_none_or(|f| f.matches(&ev, cx()))
            || !user.as_ref().is_none_or(|f| f.matches(&ev, cx()))
        {
            continue;
        }
        let add = match spec.figure {
            Figure::Count => 1,
            Figure::Bytes => {
                let (_, v) = res.render(&ev, cx());
                match v
                    .first()
                    .and_then(|(_, v)| v.as_deref()?.parse::<i64>().ok())
                {
                    Some(n) if n > 0 => n as u64,
                    _ => continue,
                }
            }
        };
        // A row needs every key: an event without one is not counted.
        let (_, values) = keys.render(&ev, cx());
        let Some(key) = values
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        *table.entry(key).or_insert(0) += add;
    }
    let mut rows: Vec<(Vec<String>, u64)> = table.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(o.count);
    let text = if o.json {
        json_rows(&spec, &rows)
    } else {
        text_table(&spec, &rows)
    };
    let mut out = std::io::stdout().lock();
    emit(&mut out, text.as_bytes()).map(drop)
}

/// One JSON array: an object per row, keys by column name, the figure a
/// number (and the pid too).
fn json_rows(spec: &Spec, rows: &[(Vec<String>, u64)]) -> String {
    let arr: Vec<serde_json::Value> = rows
        .iter()
        .map(|(key, n)| {
            let mut o = serde_json::Map::new();
            for ((_, name, numeric), v) in spec.keys.iter().zip(key) {
                let val = match v.parse::<i64>() {
                    Ok(i) if *numeric => serde_json::json!(i),
                    _ => serde_json::json!(v),
                };
                o.insert((*name).to_string(), val);
            }
            o.insert(spec.figure_name.to_string(), serde_json::json!(n));
            serde_json::Value::Object(o)
        })
        .collect();
    format!("{}\n", serde_json::Value::Array(arr))
}

/// The figure right-aligned first, then the keys left-aligned, as sysdig's
/// chisels lay out their tables; the header names the columns in capitals.
fn text_table(spec: &Spec, rows: &[(Vec<String>, u64)]) -> String {
    let mut header = vec![spec.figure_name.to_uppercase()];
    header.extend(spec.keys.iter().map(|(_, h, _)| h.to_uppercase()));
    let mut lines = vec![header];
    for (key, n) in rows {
        let mut l = vec![n.to_string()];
        l.extend(key.iter().cloned());
        lines.push(l);
    }
    let cols = lines[0].len();
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for l in &lines {
        let mut line = format!("{:>w$}", l[0], w = width[0]);
        for (c, cell) in l.iter().enumerate().skip(1) {
            line.push_str("  ");
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}", w = width[c]));
            }
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}
