//! The stages in front of the output: count, filter, rules, trigger
//! windows.

use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use scapbridge_formats::schema::{self, Direction};
use scapbridge_formats::Event;

use crate::alerts::AlertOutput;
use crate::error::{CaptureError, StopReason};
use crate::output::is_broken_pipe;
use crate::scap_sink::ScapSink;
use crate::sink::{EventSink, Flow, Metadata};

/// Counters of a running capture.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureStats {
    /// Events the source produced.
    pub events_in: u64,
    /// Events the source passed on (after the filter; in trigger mode,
    /// those inside windows).
    pub events_out: u64,
    /// Event blocks in the output. More than `events_out` when the compat
    /// profile writes each exit event's enter half beside it.
    pub events_written: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Drop periods reported in the stream (drop enter events).
    pub drops: u64,
    /// Events the capture filter left out.
    pub filtered_out: u64,
    /// Alerts the rules raised.
    pub alerts: u64,
    /// Time since the capture started.
    pub elapsed: Duration,
}

/// Progress callback, called at most every 250 ms at a batch boundary.
pub type Progress<'a> = Box<dyn FnMut(&CaptureStats) + 'a>;

/// Rules watching the stream: alerts go to an [`AlertOutput`] and, in a
/// pcapng capture, into the stream beside the event that raised them.
#[derive(Debug)]
pub struct RuleWatch {
    engine: scapbridge_rules::engine::RuleEngine,
    out: AlertOutput,
    clock: scapbridge_filter::clock::TimeText,
    hostname: String,
    /// Alerts per rule, in the order the rules first fired.
    pub fired: Vec<(String, u64)>,
    /// How alerts are written beyond text/JSON (a falco.yaml's output keys).
    style: scapbridge_rules::config::AlertStyle,
}

impl RuleWatch {
    /// Watches with `engine`, writing alerts to `out`.
    pub fn new(engine: scapbridge_rules::engine::RuleEngine, out: AlertOutput) -> Self {
        RuleWatch {
            engine,
            out,
            clock: scapbridge_filter::clock::TimeText::default(),
            hostname: String::new(),
            fired: Vec::new(),
            style: scapbridge_rules::config::AlertStyle::default(),
        }
    }

    /// Writes alerts in `style` (a falco.yaml's `json_include_*_property`
    /// and `time_format_iso_8601`; text or JSON stays the output's choice).
    pub fn with_style(mut self, style: scapbridge_rules::config::AlertStyle) -> Self {
        self.style = style;
        self
    }

    /// Loads the rules `files` (files or directories), keeps those
    /// `selection` enables (Falco's `-D`/`-T`/`-t`) and watches with them,
    /// writing alerts to `out`.
    pub fn load(
        files: &[std::path::PathBuf],
        selection: &scapbridge_rules::Selection,
        out: AlertOutput,
    ) -> Result<Self, CaptureError> {
        Ok(Self::selected(
            scapbridge_rules::RuleSet::load(files)?,
            selection,
            out,
        ))
    }

    /// Watches with rules given as (name, text) pairs (see
    /// [`scapbridge_rules::RuleSet::load_texts`]), those `selection` enables.
    pub fn load_texts(
        files: &[(String, String)],
        selection: &scapbridge_rules::Selection,
        out: AlertOutput,
    ) -> Result<Self, CaptureError> {
        Ok(Self::selected(
            scapbridge_rules::RuleSet::load_texts(files)?,
            selection,
            out,
        ))
    }

    /// Watches with the rules of `set` that `selection` enables: the end of
    /// both loaders, whichever way the rules came.
    fn selected(
        mut set: scapbridge_rules::RuleSet,
        selection: &scapbridge_rules::Selection,
        out: AlertOutput,
    ) -> Self {
        set.select(selection);
        RuleWatch::new(scapbridge_rules::engine::RuleEngine::new(set), out)
    }

    /// Where the alerts went, for a source that raises them itself.
    pub fn into_output(self) -> AlertOutput {
        self.out
    }

    /// Total alerts so far.
    pub fn alerts(&self) -> u64 {
        self.fired.iter().map(|(_, n)| n).sum()
    }
}

/// What the pipeline evaluates on each event, the capture filter and the
/// rules, over one state (thread, fd and user tables) kept from every event
/// and metadata block, filtered or not.
#[derive(Debug)]
pub struct Watch {
    state: scapbridge_formats::state::CaptureState,
    num: u64,
    filter: Option<scapbridge_filter::Filter>,
    rules: Option<RuleWatch>,
    /// The alerts of the last event, for trigger mode.
    fired: Vec<crate::trigger::Fired>,
    /// Events the filter dropped.
    pub dropped: u64,
}

/// One alert as it goes into the stream (pcapng journal entry).
struct JournalAlert {
    ts: u64,
    fields: Vec<(&'static str, String)>,
}

impl Watch {
    fn new() -> Self {
        Watch {
            state: scapbridge_formats::state::CaptureState::new(),
            num: 0,
            filter: None,
            rules: None,
            fired: Vec::new(),
            dropped: 0,
        }
    }

    fn metadata(&mut self, m: &Metadata) {
        match m {
            Metadata::Processes(p) => self.state.add_processes(p),
            Metadata::Fds { tid, fds } => self.state.add_fds(*tid, fds),
            Metadata::Users(u) => self.state.add_users(u),
            Metadata::Interfaces(i) => self.state.add_interfaces(i),
            Metadata::MachineInfo(mi) => {
                if let Some(r) = &mut self.rules {
                    r.hostname = String::from_utf8_lossy(&mi.hostname)
                        .trim_end_matches('\0')
                        .to_string();
                }
            }
        }
    }

    /// Updates the state; returns whether the filter keeps the event, and
    /// pushes the alerts it raised to `journal` when the stream carries them
    /// (rules see every event, kept or not).
    fn pass(
        &mut self,
        ev: &Event<'_>,
        mut journal: Option<&mut Vec<JournalAlert>>,
    ) -> Result<bool, CaptureError> {
        if scapbridge_formats::state::is_numbered(ev) {
            self.num += 1;
        }
        self.state.update(ev);
        let cx = scapbridge_filter::EvalContext {
            state: &self.state,
            num: self.num,
        };
        // A container event is state, not an event of a thread: kept
        // whatever the filter says, so the file names its threads' containers.
        let keep = is_container_event(ev) || self.filter.as_ref().is_none_or(|f| f.matches(ev, cx));
        if !keep {
            self.dropped += 1;
        }
        self.fired.clear();
        if let Some(r) = &mut self.rules {
            let mut alerts = Vec::new();
            r.engine.check(ev, cx, &mut alerts);
            for a in &alerts {
                self.fired.push(crate::trigger::Fired {
                    ts: a.ts,
                    evtnum: self.num,
                    capture: a.rule.capture,
                    duration_ms: a.rule.capture_duration_ms,
                });
                // Falco's JSON is built only where it goes: the alert output
                // in JSON form, or the journal entry's FALCO_JSON.
                let json = (r.out.json || journal.is_some())
                    .then(|| a.falco_json(&r.hostname, &mut r.clock).to_string());
                let mut style = r.style;
                style.json = r.out.json;
                let plain = {
                    let mut d = scapbridge_rules::config::AlertStyle::default();
                    d.json = r.out.json;
                    d == style
                };
                let line = match &json {
                    Some(j) if r.out.json && plain => j.clone(),
                    _ if plain => a.text_line(&mut r.clock),
                    _ => a.line(&style, &r.hostname, &mut r.clock),
                };
                writeln!(r.out.out, "{line}")
                    .and_then(|()| r.out.out.flush())
                    .map_err(|source| CaptureError::Output {
                        target: r.out.target.clone(),
                        source,
                    })?;
                match r.fired.iter_mut().find(|(n, _)| *n == a.rule.name) {
                    Some((_, c)) => *c += 1,
                    None => r.fired.push((a.rule.name.clone(), 1)),
                }
                if let (Some(j), Some(json)) = (journal.as_deref_mut(), json) {
                    j.push(JournalAlert {
                        ts: a.ts,
                        fields: vec![
                            ("MESSAGE", format!("{}: {}", a.rule.name, a.text)),
                            ("PRIORITY", (a.rule.priority as u8).to_string()),
                            ("SYSLOG_IDENTIFIER", "scapbridge".to_string()),
                            ("FALCO_RULE", a.rule.name.clone()),
                            ("FALCO_PRIORITY", a.rule.priority.as_str().to_string()),
                            ("FALCO_SOURCE", a.rule.source.clone()),
                            ("FALCO_TAGS", a.rule.tags.join(",")),
                            ("FALCO_JSON", json),
                        ],
                    });
                }
            }
        }
        Ok(keep)
    }
}

/// Limits and counters in front of the output sink.
pub struct Pipeline<'a, W: Write> {
    out: ScapSink<W>,
    watch: Option<Watch>,
    trigger: Option<crate::trigger::TriggerWindow>,
    journal: Vec<JournalAlert>,
    count: Option<u64>,
    /// Events that reached the output as at least one block: what `count`
    /// limits.
    counted: u64,
    stats: CaptureStats,
    start: Instant,
    last_progress: Instant,
    progress: Option<Progress<'a>>,
}

impl<W: Write> fmt::Debug for Pipeline<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("stats", &self.stats)
            .finish()
    }
}

impl<'a, W: Write> Pipeline<'a, W> {
    /// A pipeline writing into `out`, stopping after `count` events if given.
    pub fn new(out: ScapSink<W>, count: Option<u64>, progress: Option<Progress<'a>>) -> Self {
        let now = Instant::now();
        Pipeline {
            out,
            watch: None,
            trigger: None,
            journal: Vec::new(),
            count,
            counted: 0,
            stats: CaptureStats::default(),
            start: now,
            last_progress: now,
            progress,
        }
    }

    /// Keeps only the events `filter` matches.
    pub fn with_filter(mut self, filter: Option<scapbridge_filter::Filter>) -> Self {
        if let Some(f) = filter {
            let w = self.watch.get_or_insert_with(Watch::new);
            if f.needs_latency() {
                w.state.track_latency();
            }
            w.filter = Some(f);
        }
        self
    }

    /// Evaluates rules on every event; alerts go to their output and, in a
    /// pcapng capture, into the stream after the event that raised them.
    pub fn with_rules(mut self, rules: Option<RuleWatch>) -> Self {
        if let Some(r) = rules {
            let w = self.watch.get_or_insert_with(Watch::new);
            if r.engine.needs_latency() {
                w.state.track_latency();
            }
            w.rules = Some(r);
        }
        self
    }

    /// Writes only windows around alerts (see [`crate::trigger`]). Needs
    /// rules ([`Pipeline::with_rules`]): without them no window opens.
    pub fn with_trigger(mut self, trigger: Option<crate::trigger::TriggerWindow>) -> Self {
        self.trigger = trigger;
        self
    }

    /// Trigger mode's counters, if it runs.
    pub fn trigger(&self) -> Option<crate::trigger::TriggerStats> {
        self.trigger
            .as_ref()
            .map(crate::trigger::TriggerWindow::stats)
    }

    /// Notices of trigger mode (window files that failed), taken.
    pub fn take_notices(&mut self) -> Vec<String> {
        self.trigger
            .as_mut()
            .map(|t| std::mem::take(&mut t.notices))
            .unwrap_or_default()
    }

    /// Ends trigger mode (finishes the open window's file) and returns its
    /// counters and notices; call before [`Pipeline::finish`].
    pub fn end_trigger(&mut self) -> Option<(crate::trigger::TriggerStats, Vec<String>)> {
        let t = self.trigger.as_mut()?;
        t.finish();
        Some((t.stats(), std::mem::take(&mut t.notices)))
    }

    /// The rules' counters, if rules run.
    pub fn rules(&self) -> Option<&RuleWatch> {
        self.watch.as_ref().and_then(|w| w.rules.as_ref())
    }

    /// Counters so far.
    pub fn stats(&self) -> CaptureStats {
        let mut s = self.stats;
        s.filtered_out = self.watch.as_ref().map_or(0, |f| f.dropped);
        s.alerts = self.rules().map_or(0, RuleWatch::alerts);
        s.bytes = self.out.bytes();
        s.events_written = self.out.events();
        s.elapsed = self.start.elapsed();
        if let Some(t) = &self.trigger {
            // Held events reach the output when their window opens.
            s.events_out = t.stats().in_windows;
        }
        s
    }

    /// Ends the capture: flushes and returns the final counters.
    pub fn finish(mut self) -> Result<(CaptureStats, u64), CaptureError> {
        if let Some(t) = &mut self.trigger {
            t.finish();
        }
        let stats = self.stats();
        let dropped = self.out.dropped_metadata;
        let mut stats2 = stats;
        match self.out.finish() {
            Ok(_) => {}
            // The reader left during the last flush: what it took is whole.
            Err(CaptureError::Write { source, .. }) if is_broken_pipe(&source) => {}
            Err(e) => return Err(e),
        }
        stats2.elapsed = self.start.elapsed();
        Ok((stats2, dropped))
    }
}

impl<W: Write> EventSink for Pipeline<'_, W> {
    fn section(&mut self) -> Result<(), CaptureError> {
        if let Some(f) = &mut self.watch {
            f.state.reset();
        }
        self.out.section()
    }

    fn metadata(&mut self, m: Metadata) -> Result<(), CaptureError> {
        if let Some(f) = &mut self.watch {
            f.metadata(&m);
        }
        if let Some(t) = &mut self.trigger {
            t.metadata(&m);
        }
        self.out.metadata(m)
    }

    fn event(&mut self, ev: &Event<'_>) -> Result<Flow, CaptureError> {
        self.stats.events_in += 1;
        if ev.event_type() == schema::PPME_DROP_E && ev.direction() == Direction::Enter {
            self.stats.drops += 1;
        }
        let mut keep = true;
        if let Some(w) = &mut self.watch {
            let journal = self.out.carries_journal().then_some(&mut self.journal);
            keep = w.pass(ev, journal)?;
            if let Some(t) = &mut self.trigger {
                let v = t.event(ev, keep, &w.fired, &w.state, &mut self.out)?;
                if v == crate::trigger::Verdict::Hold {
                    // Alerts outside windows stay out of the stream too.
                    self.journal.clear();
                    keep = false;
                }
            }
        }
        // What `--count` counts is an event the reader gets: an enter the
        // stratoshark layout leaves out (libs 0.23 has none) is not one, as
        // sysdig's `--numevents` counts what it writes.
        let blocks_before = self.out.events();
        if keep {
            let f = self.out.event(ev)?;
            if f != Flow::Continue {
                return Ok(f);
            }
        }
        let enter_tid = (keep && ev.direction() == Direction::Enter).then(|| ev.tid());
        for j in self.journal.drain(..) {
            let fields: Vec<(&str, &str)> =
                j.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.out.journal(j.ts, enter_tid, &fields)?;
        }
        if !keep {
            return Ok(Flow::Continue);
        }
        self.stats.events_out += 1;
        if self.out.events() > blocks_before {
            self.counted += 1;
        }
        if self.count.is_some_and(|c| self.counted >= c) {
            return Ok(Flow::Stop(StopReason::Count));
        }
        Ok(Flow::Continue)
    }

    fn flush(&mut self) -> Result<Flow, CaptureError> {
        let f = self.out.flush()?;
        if self.progress.is_some() && self.last_progress.elapsed() >= Duration::from_millis(250) {
            self.last_progress = Instant::now();
            let s = self.stats();
            if let Some(p) = &mut self.progress {
                p(&s);
            }
        }
        Ok(f)
    }
}

/// A `container` event (272 or 324): a container's JSON.
fn is_container_event(ev: &Event<'_>) -> bool {
    matches!(
        ev.event_type(),
        schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E
    )
}

/// Compiles a capture filter (the sysdig/Falco syntax); a blank filter is
/// no filter.
pub fn check_filter(
    filter: Option<&str>,
) -> Result<Option<scapbridge_filter::Filter>, CaptureError> {
    match filter.map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) => scapbridge_filter::Filter::new(f)
            .map(Some)
            .map_err(|source| CaptureError::Filter {
                text: f.to_string(),
                source,
            }),
    }
}
