//! Rules evaluated on a stream of events: each event meets only the rules
//! that can match its type, in load order (the order Falco reports them).
//! The engine keeps no state of its own; the caller owns the capture state
//! and hands it in with each event.

use scapbridge_formats::Event;

use crate::{Rule, RuleSet};
use scapbridge_filter::clock::{rfc3339, TimeText};
use scapbridge_filter::eval::OutputFormat;
use scapbridge_filter::{EvalContext, Filter};

/// What every syscall rule's output gets appended: the container, as Falco
/// appends it by default with its container plugin (`append_output` with
/// `suggested_output: true` in falco.yaml: `container_id`, `container_name`),
/// and the pod, which is what an investigation on Kubernetes starts from
/// (our addition; Falco shows it only where a plugin suggests it). Host
/// events read `container_id=host container_name=host`, as in Falco.
pub const SYSCALL_OUTPUT_SUFFIX: &str = " container_id=%container.id container_name=%container.name k8s_ns=%k8s.ns.name k8s_pod_name=%k8s.pod.name";

/// A compiled rule set, indexed by event type.
#[derive(Debug)]
pub struct RuleEngine {
    set: RuleSet,
    index: Vec<Vec<usize>>,
    /// For generic `syscall` events, by the syscall code they carry.
    by_code: Vec<Vec<usize>>,
    formats: Vec<Option<OutputFormat>>,
    /// Each rule's `extra_fields`, as a format rendered for its fields only.
    extras: Vec<Option<OutputFormat>>,
}

/// One rule firing on one event.
#[derive(Debug)]
pub struct Alert<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// The event's time, ns since the epoch.
    pub ts: u64,
    /// The output with its `%fields` substituted (`<NA>` for missing ones).
    pub text: String,
    /// Each substituted field and its value.
    pub fields: Vec<(String, Option<String>)>,
}

impl RuleEngine {
    /// Indexes a loaded rule set.
    pub fn new(set: RuleSet) -> RuleEngine {
        let (index, by_code) = set.index_by_event_type();
        let formats = set
            .rules
            .iter()
            .map(|r| {
                if r.source == "syscall" {
                    OutputFormat::new(&format!("{}{SYSCALL_OUTPUT_SUFFIX}", r.output)).ok()
                } else {
                    OutputFormat::new(&r.output).ok()
                }
            })
            .collect();
        let extras = set
            .rules
            .iter()
            .map(|r| {
                let f: Vec<String> = r.extra_fields.iter().map(|f| format!("%{f}")).collect();
                (!f.is_empty())
                    .then(|| OutputFormat::new(&f.join(" ")).ok())
                    .flatten()
            })
            .collect();
        RuleEngine {
            set,
            index,
            by_code,
            formats,
            extras,
        }
    }

    /// Whether the rules need [`CaptureState::track_latency`] on the
    /// state they are evaluated over (a condition or output names an
    /// `evt.latency` field).
    ///
    /// [`CaptureState::track_latency`]: scapbridge_formats::state::CaptureState::track_latency
    pub fn needs_latency(&self) -> bool {
        self.set
            .rules
            .iter()
            .any(|r| r.filter.as_ref().is_some_and(Filter::needs_latency))
            || self
                .formats
                .iter()
                .chain(&self.extras)
                .flatten()
                .any(OutputFormat::needs_latency)
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.set
    }

    /// Pushes to `out` the alerts `ev` raises, given the state after it.
    pub fn check<'r>(&'r self, ev: &Event<'_>, cx: EvalContext<'_>, out: &mut Vec<Alert<'r>>) {
        let by_code = scapbridge_formats::render::generic_code(ev)
            .and_then(|c| usize::try_from(c).ok())
            .and_then(|c| self.by_code.get(c));
        let Some(candidates) = by_code.or_else(|| self.index.get(usize::from(ev.event_type())))
        else {
            return;
        };
        // The index gives plugin events the plugin-source rules: only those
        // of a plugin whose fields are registered can match.
        if ev.event_type() == scapbridge_formats::schema::PPME_PLUGINEVENT_E
            && !scapbridge_filter::provider::is_provided_event(ev)
        {
            return;
        }
        for &i in candidates {
            let (Some(rule), Some(Some(fmt))) = (self.set.rules.get(i), self.formats.get(i)) else {
                continue;
            };
            let Some(f) = rule.filter.as_ref() else {
                continue;
            };
            if !f.matches(ev, cx) {
                continue;
            }
            let (text, mut fields) = fmt.render(ev, cx);
            if let Some(Some(extra)) = self.extras.get(i) {
                let (_, more) = extra.render(ev, cx);
                fields.extend(
                    more.into_iter()
                        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
                        .collect::<Vec<_>>(),
                );
            }
            out.push(Alert {
                rule,
                ts: ev.ts(),
                text,
                fields,
            });
        }
    }
}

impl Alert<'_> {
    /// Falco's text line, `HH:MM:SS.nnnnnnnnn: Priority output`.
    pub fn text_line(&self, clock: &mut TimeText) -> String {
        let mut line = String::new();
        clock.push(self.ts, &mut line);
        line.push_str(": ");
        line.push_str(self.rule.priority.as_str());
        line.push(' ');
        line.push_str(&self.text);
        line
    }

    /// The alert as a line in `style` (text or JSON, Falco's output keys),
    /// without its newline.
    pub fn line(
        &self,
        style: &crate::config::AlertStyle,
        hostname: &str,
        clock: &mut TimeText,
    ) -> String {
        let text = if style.iso8601 {
            // Falco's form: 2016-08-04T16:17:57.881781397+0000.
            let t = rfc3339(self.ts);
            let t = t.strip_suffix('Z').unwrap_or(&t);
            format!("{t}+0000: {} {}", self.rule.priority.as_str(), self.text)
        } else {
            self.text_line(clock)
        };
        if !style.json {
            return text;
        }
        let mut v = self.falco_json(hostname, clock);
        if let Some(o) = v.as_object_mut() {
            o.insert("output".into(), serde_json::Value::String(text));
            if !style.include_output {
                o.remove("output");
            }
            if !style.include_output_fields {
                o.remove("output_fields");
            }
            if !style.include_tags {
                o.remove("tags");
            }
            if style.include_message {
                o.insert(
                    "message".into(),
                    serde_json::Value::String(self.text.clone()),
                );
            }
        }
        v.to_string()
    }

    /// Falco's JSON alert object (`time`, `rule`, `priority`, `source`,
    /// `hostname`, `output`, `output_fields`, `tags`).
    pub fn falco_json(&self, hostname: &str, clock: &mut TimeText) -> serde_json::Value {
        let mut of = serde_json::Map::new();
        for (k, v) in &self.fields {
            of.insert(
                k.clone(),
                v.clone()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
            );
        }
        serde_json::json!({
            "hostname": hostname,
            "output": self.text_line(clock),
            "output_fields": of,
            "priority": self.rule.priority.as_str(),
            "rule": self.rule.name,
            "source": self.rule.source,
            "tags": self.rule.tags,
            "time": rfc3339(self.ts),
        })
    }
}
