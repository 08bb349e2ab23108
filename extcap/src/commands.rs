//! The `read`, `convert` and `info` commands.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use scapbridge::clock::TimeText;
use scapbridge_formats::schema::{self, cat, Direction};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{
    block, render, Container, Item, PcapngOptions, Profile, ReaderOptions, ScapReader,
};

pub(crate) fn open_input(path: &Path, skip_unknown: bool) -> Result<ScapReader<Box<dyn Read>>> {
    let inner: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?)
    };
    let opts = if skip_unknown {
        ReaderOptions::skipping_unknown_events()
    } else {
        ReaderOptions::default()
    };
    ScapReader::with_options(inner, opts).with_context(|| display(path))
}

pub(crate) fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Whether a write error means the reader went away (`| head`): stop quietly.
/// Writes to standard output; `Ok(false)` when the reader went away.
pub(crate) fn emit<W: Write>(out: &mut W, bytes: &[u8]) -> Result<bool> {
    match out.write_all(bytes) {
        Ok(()) => Ok(true),
        Err(e) if is_broken_pipe(&e) => Ok(false),
        Err(e) => Err(e).context("writing to standard output"),
    }
}

/// Flushes standard output at the end; a reader that went away is fine.
fn finish_output<W: Write>(out: &mut W) -> Result<()> {
    match out.flush() {
        Err(e) if !is_broken_pipe(&e) => Err(e).context("writing to standard output"),
        _ => Ok(()),
    }
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// `HH:MM:SS.nnnnnnnnn` in local time, as sysdig's `%evt.outputtime`.
fn output_time(ts: u64, out: &mut String) {
    TimeText::default().push(ts, out);
}

/// Whether sysdig's default output shows the event.
pub(crate) fn shown_by_default(ev: &scapbridge_formats::Event<'_>) -> bool {
    if ev.dump_flags.is_some_and(|f| f & 1 != 0) {
        return false; // state-only
    }
    match ev.info() {
        // sysdig 0.29 hides internal events and the user/group meta events.
        Some(i) => {
            i.category & cat::INTERNAL == 0
                && !i.is_unused()
                && !matches!(
                    i.name,
                    "useradded" | "userdeleted" | "groupadded" | "groupdeleted"
                )
        }
        None => false,
    }
}

/// sysdig's `-t`: how the default line's time prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum TimeType {
    /// `h`: the local time of day (`16:17:57.881730713`).
    #[default]
    Human,
    /// `a`: seconds since the epoch.
    Absolute,
    /// `r`: since the capture's first event (shown or not).
    Relative,
    /// `d`: the state's latency (an exit's time since its thread's last
    /// enter; see `CaptureState::latency`).
    Latency,
    /// `D`: since the previous event printed (0 for the first).
    Delta,
}

/// The time of the last line printed (`D`).
#[derive(Debug, Default)]
struct Times {
    shown: Option<u64>,
}

impl Times {
    /// Appends the time column of `ev`'s line: the time of day from
    /// `clock`, or seconds and nine digits of nanoseconds. `r` counts from
    /// the state's first event and `d` is the state's latency (see
    /// [`CaptureState::latency`]); as libsinsp, differences are unsigned
    /// 64-bit.
    fn push(
        &mut self,
        ev: &scapbridge_formats::Event<'_>,
        t: TimeType,
        state: &CaptureState,
        clock: &mut TimeText,
        out: &mut String,
    ) {
        use std::fmt::Write as _;
        let ts = ev.ts();
        let prev = self.shown.replace(ts);
        let ns = match t {
            TimeType::Human => return clock.push(ts, out),
            TimeType::Absolute => ts,
            TimeType::Relative => ts.wrapping_sub(state.first_ts().unwrap_or(ts)),
            TimeType::Latency => state.latency().unwrap_or(0),
            TimeType::Delta => prev.map_or(0, |p| ts.wrapping_sub(p)),
        };
        let _ = write!(out, "{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
    }
}

/// How `read` prints.
#[derive(Debug, Clone)]
pub(crate) struct ReadStyle {
    /// JSON lines.
    pub json: bool,
    /// JSON lines with exactly sysdig's -j keys.
    pub sysdig_json: bool,
    /// Stop after this many printed events (sysdig's -n).
    pub count: Option<u64>,
    /// Internal and state-only events too.
    pub all: bool,
    /// How byte buffers print (sysdig's -x, -X, -A, -b).
    pub buffers: scapbridge_formats::render::BufferFormat,
    /// How the default line's time prints (sysdig's -t).
    pub time: TimeType,
    /// CloudTrail fields with their offsets under each event.
    pub fields: bool,
    /// `-p FORMAT`: each event as this `%field` format, as sysdig's `-p`.
    pub print: Option<String>,
    /// `-e FIELD…`: each event as its fields' values in columns (tshark's
    /// `-T fields`).
    pub columns: Option<crate::columns::Columns>,
    /// Whose habits the fields follow (`--as`).
    pub generation: scapbridge_formats::Generation,
}

/// A CloudTrail event's fields: text lines under the event, or a JSON
/// array of `{name, value, offset, length}` (offset and length null for
/// generated values).
fn plugin_fields(
    ev: &scapbridge_formats::Event<'_>,
    num: u64,
    json: bool,
) -> Option<(String, serde_json::Value)> {
    use std::fmt::Write as _;
    let fields = scapbridge::cloudtrail::all_fields(ev, num)?;
    let mut text = String::new();
    let mut arr = Vec::new();
    for (name, v) in fields {
        if json {
            arr.push(serde_json::json!({
                "name": name,
                "value": v.text,
                "offset": v.span.as_ref().map(|s| s.start),
                "length": v.span.as_ref().map(|s| s.len()),
            }));
        } else {
            let at = match &v.span {
                Some(s) => format!("offset {} length {}", s.start, s.len()),
                None => "generated".into(),
            };
            let _ = writeln!(
                text,
                "    {name:<34} {at:<26} {}",
                v.text.replace('\n', "\\n")
            );
        }
    }
    Some((text, serde_json::Value::Array(arr)))
}

/// `evt.plugininfo` of a CloudTrail event.
fn cloudtrail_info(ev: &scapbridge_formats::Event<'_>, num: u64) -> Option<String> {
    use scapbridge::cloudtrail::fields::CtField;
    scapbridge::cloudtrail::extract(&CtField::PluginInfo, ev, num).map(|v| v.text.into_owned())
}

pub(crate) fn read(
    path: &Path,
    filter: Option<&str>,
    style: ReadStyle,
    skip_unknown: bool,
) -> Result<()> {
    let ReadStyle {
        json,
        sysdig_json,
        count,
        all,
        buffers,
        time,
        fields,
        print,
        columns,
        generation,
    } = style;
    let json = json || sysdig_json;
    let mut counted: u64 = 0;
    // sysdig's -p: a leading `*` prints every event, otherwise only those
    // where every field of the format exists.
    let print = match print.as_deref() {
        Some(p) => {
            let (every, text) = match p.strip_prefix('*') {
                Some(t) => (true, t),
                None => (false, p),
            };
            let f = scapbridge::filter::eval::OutputFormat::new_as(text, generation)
                .with_context(|| format!("-p '{}'", scapbridge::filter::Shown(p)))?;
            Some((every, f))
        }
        None => None,
    };
    // sysdig's `-j -p FORMAT`: each printed event as one object of the
    // format's fields (keys sorted, a number for a numeric field, null for
    // a missing one, true or false for a boolean one); the typed fields.
    let typed: std::collections::HashMap<String, bool> = if sysdig_json && print.is_some() {
        scapbridge::filter::eval::fields()
            .into_iter()
            .filter_map(|f| {
                let numeric =
                    f.ty.contains("INT") || matches!(f.ty.as_str(), "RELTIME" | "ABSTIME" | "PID");
                let base = f.name.split('[').next().unwrap_or(&f.name).to_string();
                (numeric || f.ty == "BOOL").then_some((base, numeric))
            })
            .collect()
    } else {
        Default::default()
    };
    // Columns are `-p` with every event printed (`*`) and missing values empty.
    let print = match &columns {
        Some(c) => Some((true, c.format()?)),
        None => print,
    };
    let filter = match filter {
        Some(f) => Some(
            scapbridge::filter::Filter::new(f)
                .with_context(|| format!("filter '{}'", scapbridge::filter::Shown(f)))?,
        ),
        None => None,
    };
    let mut rd = open_input(path, skip_unknown)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(128 * 1024, stdout.lock());
    let mut state = CaptureState::new();
    state.set_buffer_format(buffers);
    state.set_generation(generation);
    if time == TimeType::Latency
        || filter.as_ref().is_some_and(|f| f.needs_latency())
        || print.as_ref().is_some_and(|(_, f)| f.needs_latency())
    {
        state.track_latency();
    }
    let mut num: u64 = 0;
    let mut line = String::with_capacity(512);
    let mut clock = TimeText::default();
    let mut times = Times::default();
    let mut args = String::with_capacity(512);
    let mut kinds: Vec<Option<bool>> = Vec::new();
    if let Some(c) = columns.as_ref().filter(|c| c.header) {
        if !emit(&mut out, c.header_line().as_bytes())? {
            return Ok(());
        }
    }
    // libsinsp consumes the container events a capture opens with as
    // initial state (`consume_initialstate_events`): numbered, not shown.
    let mut opening = true;
    loop {
        let item = match rd.next_item() {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => {
                let _ = out.flush();
                return Err(anyhow::Error::new(e).context(display(path)));
            }
        };
        match item {
            Item::Event(ev) => {
                if scapbridge_formats::state::is_numbered(&ev) || all {
                    num += 1;
                }
                opening = opening
                    && matches!(
                        ev.event_type(),
                        schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E
                    );
                state.update(&ev);
                let passes = filter.as_ref().is_none_or(|f| {
                    f.matches(&ev, scapbridge::filter::EvalContext { state: &state, num })
                });
                // sysdig's -n counts the events its reader returns that pass
                // the filter, the internal ones it does not print included;
                // not those libsinsp consumes as state (a file's user and
                // group lists, the opening container records).
                let returned = scapbridge_formats::state::is_numbered(&ev) && !opening;
                if passes && returned && count.is_some() {
                    if count.is_some_and(|c| counted >= c) {
                        break;
                    }
                    counted += 1;
                }
                if !passes || (!all && (opening || !shown_by_default(&ev))) {
                    continue;
                }
                line.clear();
                if let Some((every, f)) = &print {
                    let cx = scapbridge::filter::EvalContext { state: &state, num };
                    let (text, values) = f.render(&ev, cx);
                    if !every && values.iter().any(|(_, v)| v.is_none()) {
                        continue;
                    }
                    match &columns {
                        Some(c) => c.line(&values, &mut line),
                        None if sysdig_json => {
                            // Each column's type, looked up once: the format's
                            // fields are the same for every event.
                            if kinds.len() != values.len() {
                                kinds = values
                                    .iter()
                                    .map(|(name, _)| {
                                        // `proc.aname[2]` is typed as `proc.aname`;
                                        // an `evt.rawarg` is a number where it
                                        // prints in decimal (sysdig 0.29; libs
                                        // 0.23 prints some in hex, and sysdig
                                        // 0.41's -j stops on them).
                                        let base = name.split('[').next().unwrap_or(name);
                                        typed.get(base).copied().or_else(|| {
                                            (base.starts_with("evt.rawarg") && generation.is_029())
                                                .then_some(true)
                                        })
                                    })
                                    .collect();
                            }
                            let object: serde_json::Map<String, serde_json::Value> = values
                                .iter()
                                .zip(&kinds)
                                .map(|((name, v), kind)| {
                                    let j = match (v, kind) {
                                        (None, _) => serde_json::Value::Null,
                                        (Some(t), Some(true)) => t
                                            .parse::<i64>()
                                            .map(Into::into)
                                            .or_else(|_| t.parse::<u64>().map(Into::into))
                                            .unwrap_or_else(|_| serde_json::json!(t)),
                                        (Some(t), Some(false)) => t
                                            .parse::<bool>()
                                            .map_or_else(|_| serde_json::json!(t), Into::into),
                                        (Some(t), None) => serde_json::json!(t),
                                    };
                                    (name.clone(), j)
                                })
                                .collect();
                            line.push_str(&serde_json::Value::Object(object).to_string());
                            line.push('\n');
                        }
                        None => {
                            line.push_str(&text);
                            line.push('\n');
                        }
                    }
                    if !emit(&mut out, line.as_bytes())? {
                        return Ok(());
                    }
                    continue;
                }
                args.clear();
                render::args(&ev, Some(&state), &mut args);
                let proc_name = state.thread(ev.tid()).map_or("<NA>", |t| t.comm.as_str());
                let dir = ev.direction().as_char();
                let ty = state.type_name(&ev);
                let ct = if fields {
                    plugin_fields(&ev, num, json)
                } else {
                    None
                };
                if sysdig_json {
                    // sysdig's -j, key for key: evt.info with buffers whole,
                    // ending in a space unless empty; proc.name <NA> for a
                    // syscall of a thread it has no name for (libsinsp makes
                    // the thread from the event), null for other events
                    // (a context switch) of an unknown thread.
                    let mut info = String::new();
                    render::args_untruncated(&ev, Some(&state), &mut info);
                    let name = match state.thread(ev.tid()) {
                        Some(t) if !t.comm.is_empty() => serde_json::json!(t.comm),
                        _ if ev.info().is_some_and(|i| i.category & cat::SYSCALL != 0) => {
                            serde_json::json!("<NA>")
                        }
                        _ => serde_json::Value::Null,
                    };
                    let v = serde_json::json!({
                        "evt.cpu": ev.cpu,
                        "evt.dir": dir.to_string(),
                        "evt.info": info,
                        "evt.num": num,
                        "evt.outputtime": ev.ts(),
                        "evt.type": ty,
                        "proc.name": name,
                        "thread.tid": ev.tid() as i64,
                    });
                    line.push_str(&v.to_string());
                } else if json {
                    let mut params = serde_json::Map::new();
                    if let Some(info) = ev.info() {
                        for (i, p) in info.params.iter().enumerate().take(ev.nparams()) {
                            let mut s = String::new();
                            render::param(&ev, i, p, Some(&state), &mut s);
                            params.insert(p.name.to_string(), serde_json::Value::String(s));
                        }
                    }
                    let v = serde_json::json!({
                        "evt.num": num,
                        "evt.time": ev.ts(),
                        "evt.outputtime": ev.ts(),
                        "evt.cpu": ev.cpu,
                        "proc.name": proc_name,
                        "thread.tid": ev.tid() as i64,
                        "evt.dir": dir.to_string(),
                        "evt.type": ty,
                        "evt.info": args.trim_end(),
                        "evt.args": params,
                    });
                    let mut v = v;
                    if let (Some((_, arr)), Some(o)) = (&ct, v.as_object_mut()) {
                        o.insert("fields".into(), arr.clone());
                    }
                    line.push_str(&v.to_string());
                } else if let Some(info) = cloudtrail_info(&ev, num) {
                    // As sysdig and Falco print plugin events with the
                    // plugin loaded: `%evt.num %evt.time [%evt.pluginname]
                    // %evt.plugininfo`.
                    use std::fmt::Write as _;
                    let _ = write!(line, "{num} ");
                    times.push(&ev, time, &state, &mut clock, &mut line);
                    let _ = write!(line, " [cloudtrail] {info}");
                } else {
                    use std::fmt::Write as _;
                    let _ = write!(line, "{num} ");
                    times.push(&ev, time, &state, &mut clock, &mut line);
                    let _ = write!(
                        line,
                        " {} {} ({}) {} {} ",
                        ev.cpu,
                        proc_name,
                        ev.tid() as i64,
                        dir,
                        ty
                    );
                    line.push_str(&args);
                }
                line.push('\n');
                if let (Some((text, _)), false) = (&ct, json) {
                    line.push_str(text);
                }
                if !emit(&mut out, line.as_bytes())? {
                    return Ok(());
                }
            }
            other => state.apply(&other),
        }
    }
    finish_output(&mut out)
}

pub(crate) struct ConvertOpts {
    pub input: PathBuf,
    pub output: PathBuf,
    pub pcapng: bool,
    pub profile: Profile,
    pub gzip: bool,
    pub comment: Option<String>,
    pub skip_unknown: bool,
}

pub(crate) fn convert(o: ConvertOpts) -> Result<()> {
    use scapbridge::capture::{EventSink, Metadata, ScapSink};
    let mut rd = open_input(&o.input, o.skip_unknown)?;
    let out: Box<dyn Write> = if o.output == Path::new("-") {
        Box::new(io::stdout().lock())
    } else {
        Box::new(
            File::create(&o.output)
                .with_context(|| format!("cannot create {}", o.output.display()))?,
        )
    };
    let container = if o.pcapng {
        Container::Pcapng(PcapngOptions {
            hardware: Some(std::env::consts::ARCH.to_string()),
            os: Some(std::env::consts::OS.to_string()),
            application: Some(format!("scapbridge {}", env!("CARGO_PKG_VERSION"))),
            comment: o.comment.clone(),
        })
    } else {
        Container::Scap
    };
    // The same sink as a capture: metadata in libscap's order before the
    // first event of each section, profile conversion, new sections.
    let mut sink = ScapSink::new(out, &display(&o.output), o.profile, container, o.gzip)?;
    let mut skipped_blocks = 0u64;
    loop {
        let item = match rd.next_item() {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => {
                // Leave the output on a whole block: what was written stays valid.
                let _ = sink.finish();
                return Err(anyhow::Error::new(e).context(display(&o.input)));
            }
        };
        match item {
            Item::Section(_) => sink.section()?,
            Item::Event(ev) => {
                let offset = ev.offset;
                sink.event(&ev).with_context(|| {
                    format!("event from byte offset {offset} of {}", display(&o.input))
                })?;
            }
            other => match Metadata::from_item(other) {
                Some(m) => sink.metadata(m)?,
                None => skipped_blocks += 1,
            },
        }
    }
    let dropped = sink.dropped_metadata + skipped_blocks;
    sink.finish()?;
    if dropped > 0 {
        eprintln!(
            "scapbridge: warning: {dropped} block(s) after the first event or of unknown type were not copied (libscap readers reject them there)"
        );
    }
    Ok(())
}

pub(crate) fn info(path: &Path, json: bool) -> Result<()> {
    let mut rd = open_input(path, true)?;
    let mut events_by_type: BTreeMap<(u16, &'static str), u64> = BTreeMap::new();
    let mut generic: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_ts = None;
    let mut last_ts = None;
    let mut procs = 0u64;
    let mut threads_in_events = std::collections::HashSet::new();
    let mut drops = 0u64;
    let mut drop_events = 0u64;
    let mut sections = Vec::new();
    let mut hostname = None;
    loop {
        let item = rd.next_item().with_context(|| display(path))?;
        let Some(item) = item else { break };
        match item {
            Item::Section(s) => sections.push(format!(
                "{}.{}{}",
                s.major,
                s.minor,
                if s.big_endian { " big-endian" } else { "" }
            )),
            Item::MachineInfo(mi) => {
                hostname = Some(String::from_utf8_lossy(&mi.hostname).into_owned())
            }
            Item::Processes(p) => procs += p.len() as u64,
            Item::Event(ev) => {
                let t = ev.ts();
                first_ts = Some(first_ts.map_or(t, |f: u64| f.min(t)));
                last_ts = Some(last_ts.map_or(t, |l: u64| l.max(t)));
                *events_by_type
                    .entry((ev.event_type(), ev.name()))
                    .or_insert(0) += 1;
                threads_in_events.insert(ev.tid());
                if ev.event_type() <= 1 && ev.direction() == Direction::Exit {
                    *generic.entry(generic_syscall(&ev)).or_insert(0u64) += 1;
                }
                if ev.event_type() == schema::PPME_DROP_E || ev.event_type() == schema::PPME_DROP_X
                {
                    drop_events += 1;
                    if ev.direction() == Direction::Enter {
                        drops += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let st = rd.stats();
    let total_events: u64 = events_by_type.values().sum();
    let generic_total: u64 = generic.values().sum();
    let mut generic_by: Vec<(&String, &u64)> = generic.iter().collect();
    generic_by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if json {
        let v = serde_json::json!({
            "file": path,
            "gzip": rd.is_gzip(),
            "bytes": st.bytes,
            "sections": sections,
            "hostname": hostname,
            "blocks": st.blocks_by_type.iter().map(|(k, v)| (format!("{k:#x} {}", block::name(*k)), v)).collect::<BTreeMap<_, _>>(),
            "skipped_blocks": st.skipped_blocks,
            "unknown_events": st.unknown_events.iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>(),
            "events": total_events,
            "events_by_type": events_by_type.iter().map(|((id, n), c)| (format!("{id} {n} {}", Direction::of(*id).as_char()), c)).collect::<BTreeMap<_, _>>(),
            "first_ts": first_ts,
            "last_ts": last_ts,
            "processes_in_lists": procs,
            "threads_in_events": threads_in_events.len(),
            "drop_events": drop_events,
            "drop_periods": drops,
            "generic_events": generic_total,
            "generic_by_syscall": generic,
            // Those libs has an event for: a recorder's gap, not the format's.
            "generic_with_libs_event": generic.keys().filter(|n| schema::ids_named(n).next().is_some()).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(());
    }
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "file:        {} ({} bytes{})",
        display(path),
        st.bytes,
        if rd.is_gzip() { ", gzip" } else { "" }
    );
    let _ = writeln!(
        s,
        "sections:    {} ({})",
        sections.len(),
        sections.join(", ")
    );
    if let Some(h) = hostname {
        let _ = writeln!(s, "host:        {h}");
    }
    let _ = writeln!(s, "blocks:");
    for (k, v) in &st.blocks_by_type {
        let _ = writeln!(s, "  {:>8}  {k:#06x} {}", v, block::name(*k));
    }
    if st.skipped_blocks > 0 {
        let _ = writeln!(s, "  skipped (not interpreted): {}", st.skipped_blocks);
    }
    let _ = writeln!(s, "events:      {total_events}");
    if let (Some(f), Some(l)) = (first_ts, last_ts) {
        let mut a = String::new();
        let mut b = String::new();
        output_time(f, &mut a);
        output_time(l, &mut b);
        let _ = writeln!(s, "time span:   {a} .. {b} ({:.6} s)", (l - f) as f64 / 1e9);
    }
    let _ = writeln!(
        s,
        "processes:   {procs} in process lists, {} threads with events",
        threads_in_events.len()
    );
    let _ = writeln!(
        s,
        "drops:       {drop_events} drop events ({drops} drop periods)"
    );
    if !st.unknown_events.is_empty() {
        let list: Vec<String> = st
            .unknown_events
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect();
        let _ = writeln!(s, "unknown ids: {} (skipped)", list.join(" "));
    }
    if generic_total > 0 {
        // A generic event carries no arguments: readers show a bare row.
        // Why each syscall is generic: libs has no event for it (every
        // reader shows it so), or it has one and this capture did not use
        // it (a recorder's gap: a probe without that layout).
        let (no_event, gap): (Vec<_>, Vec<_>) = generic_by
            .iter()
            .partition(|(n, _)| schema::ids_named(n).next().is_none());
        let list = |v: &[&(&String, &u64)]| {
            let mut l: Vec<String> = v.iter().take(12).map(|(n, c)| format!("{n} {c}")).collect();
            if v.len() > 12 {
                l.push(format!("and {} more", v.len() - 12));
            }
            l.join(", ")
        };
        let _ = writeln!(
            s,
            "generic:     {generic_total} exits ({:.2} % of events), without arguments",
            generic_total as f64 * 100.0 / total_events.max(1) as f64,
        );
        let share = |v: &[&(&String, &u64)]| {
            v.iter().map(|(_, c)| **c).sum::<u64>() as f64 * 100.0 / total_events.max(1) as f64
        };
        if !no_event.is_empty() {
            let _ = writeln!(
                s,
                "  no libs event for these syscalls (every reader shows them generic; {:.2} % of events): {}",
                share(&no_event),
                list(&no_event)
            );
        }
        if !gap.is_empty() {
            let _ = writeln!(
                s,
                "  libs has an event, the recorder wrote generic ({:.2} % of events): {}",
                share(&gap),
                list(&gap)
            );
        }
    }
    let _ = writeln!(s, "events by type:");
    let mut by: Vec<_> = events_by_type.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for ((id, n), c) in by {
        let _ = writeln!(s, "  {c:>8}  {n} {} ({id})", Direction::of(*id).as_char());
    }
    let mut out = io::stdout().lock();
    emit(&mut out, s.as_bytes()).map(drop)
}

/// `scapbridge read FILE --rules R…`: the alerts, as Falco prints them (text
/// `time: Priority output`, or Falco's JSON with `--json` or the config's
/// `json_output`).
pub(crate) fn alerts(
    path: &Path,
    filter: Option<&str>,
    rules: &crate::rules_cmd::RulesOpts,
    json: bool,
) -> Result<()> {
    use scapbridge::filter::EvalContext;
    let (rs, config, _) =
        crate::rules_cmd::load_rules(rules).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut style = config.as_ref().map(|c| c.style).unwrap_or_default();
    style.json |= json;
    let config_warnings = config.as_ref().map_or(&[][..], |c| &c.warnings[..]);
    for w in config_warnings.iter().chain(&rs.warnings) {
        eprintln!("scapbridge: {w}");
    }
    let filter = match filter {
        Some(f) => Some(
            scapbridge::filter::Filter::new(f)
                .with_context(|| format!("filter '{}'", scapbridge::filter::Shown(f)))?,
        ),
        None => None,
    };
    let engine = scapbridge::rules::engine::RuleEngine::new(rs);
    let mut alerts = Vec::new();
    let mut rd = open_input(path, true)?;
    let mut state = CaptureState::new();
    if engine.needs_latency() || filter.as_ref().is_some_and(|f| f.needs_latency()) {
        state.track_latency();
    }
    let mut num = 0u64;
    let mut hostname = String::new();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut clock = TimeText::default();
    loop {
        // A plain match: `with_context` on this large Result showed in
        // profiles (a copy per event).
        let item = match rd.next_item() {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => return Err(anyhow::Error::new(e).context(display(path))),
        };
        match item {
            Item::MachineInfo(mi) => {
                hostname = String::from_utf8_lossy(&mi.hostname)
                    .trim_end_matches('\0')
                    .to_string()
            }
            Item::Event(ev) => {
                if scapbridge_formats::state::is_numbered(&ev) {
                    num += 1;
                }
                state.update(&ev);
                // Rules see every event of the capture, enter and exit, as
                // Falco did with these traces; captures that carry exit
                // events only (current drivers, our probe) give exits only.
                let cx = EvalContext { state: &state, num };
                if filter.as_ref().is_some_and(|f| !f.matches(&ev, cx)) {
                    continue;
                }
                alerts.clear();
                engine.check(&ev, cx, &mut alerts);
                for a in &alerts {
                    let mut line = a.line(&style, &hostname, &mut clock);
                    line.push('\n');
                    if !emit(&mut out, line.as_bytes())? {
                        return Ok(());
                    }
                }
            }
            other => state.apply(&other),
        }
    }
    finish_output(&mut out)
}

/// The syscall a generic event stands for: its PPM code's name, or for code
/// 0 ("unknown", older captures) its native x86-64 number.
fn generic_syscall(ev: &scapbridge_formats::Event<'_>) -> String {
    let u16_at = |i| {
        ev.param(i)
            .filter(|p| p.len() == 2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
    };
    match (u16_at(0), u16_at(1)) {
        (Some(code), _) if code != 0 => {
            schema::syscall_name(code).map_or_else(|| format!("code {code}"), str::to_string)
        }
        (_, Some(native)) => format!("native {native}"),
        _ => "unknown".to_string(),
    }
}

/// Why `--source` names no source of fields, or `None` when it does (or is
/// not given).
pub(crate) fn unknown_field_source(source: Option<&str>) -> Option<String> {
    let s = source?;
    scapbridge::init();
    let fields = scapbridge::filter::eval::fields();
    if fields.iter().any(|f| f.source == s) {
        return None;
    }
    let mut known: Vec<&str> = fields.iter().map(|f| f.source.as_str()).collect();
    known.dedup();
    Some(format!(
        "--source: no fields of source '{s}' ({})",
        known.join(", ")
    ))
}

/// `scapbridge fields` / `read -l`: every field, its type and what it reads,
/// as text lines grouped by source (`name  TYPE  description`) or JSON.
pub(crate) fn fields(json: bool, source: Option<&str>) -> Result<()> {
    scapbridge::init();
    let list: Vec<_> = scapbridge::filter::eval::fields()
        .into_iter()
        .filter(|f| source.is_none_or(|s| f.source == s))
        .collect();
    if let Some(s) = source {
        anyhow::ensure!(
            !list.is_empty(),
            "no fields of source '{s}' (syscall, aws_cloudtrail)"
        );
    }
    let mut out = String::new();
    use std::fmt::Write as _;
    let width = list.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mut last_source = "";
    for f in &list {
        if json {
            let v = serde_json::json!({
                "name": f.name, "type": f.ty, "source": f.source, "desc": f.desc,
            });
            let _ = writeln!(out, "{v}");
            continue;
        }
        if f.source != last_source {
            let _ = writeln!(
                out,
                "{}Fields of source {}:",
                if last_source.is_empty() { "" } else { "\n" },
                f.source
            );
            last_source = &f.source;
        }
        let _ = writeln!(out, "{:<width$}  {:<8} {}", f.name, f.ty, f.desc);
    }
    let mut stdout = io::stdout().lock();
    emit(&mut stdout, out.as_bytes()).map(drop)
}
