//! Falco's configuration file (`falco.yaml`), the keys that apply to a
//! rules engine over captures: `rules_files` (and the older `rules_file`),
//! the `rules:` enable/disable section, `priority`, `json_output`, the
//! `json_include_*_property` switches, `time_format_iso_8601` and
//! `append_output`. Every other key is accepted with a warning saying it is
//! not supported, so a stock `falco.yaml` loads.

use super::*;
use select::Matcher;

/// One `append_output` entry: what it matches and what it adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendOutput {
    /// `match.source`: only rules of this source.
    pub source: Option<String>,
    /// `match.tags`: only rules with every one of these tags.
    pub tags: Vec<String>,
    /// `match.rule`: only the rule of this name.
    pub rule: Option<String>,
    /// `extra_output`: appended to the output text, after a space.
    pub extra_output: Option<String>,
    /// `extra_fields`: field names added to the JSON `output_fields` only.
    pub extra_fields: Vec<String>,
}

impl AppendOutput {
    fn matches(&self, r: &Rule) -> bool {
        self.source.as_ref().is_none_or(|s| *s == r.source)
            && self.rule.as_ref().is_none_or(|n| *n == r.name)
            && self.tags.iter().all(|t| r.tags.contains(t))
    }
}

/// How alerts are written (Falco's output keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlertStyle {
    /// `json_output`.
    pub json: bool,
    /// `json_include_output_property` (default true).
    pub include_output: bool,
    /// `json_include_output_fields_property` (default true).
    pub include_output_fields: bool,
    /// `json_include_tags_property` (default true).
    pub include_tags: bool,
    /// `json_include_message_property` (default false): the output without
    /// its time and priority, as `message`.
    pub include_message: bool,
    /// `time_format_iso_8601`: text times as `2016-08-04T16:17:57.881781397+0000`.
    pub iso8601: bool,
}

impl Default for AlertStyle {
    fn default() -> Self {
        AlertStyle {
            json: false,
            include_output: true,
            include_output_fields: true,
            include_tags: true,
            include_message: false,
            iso8601: false,
        }
    }
}

/// What a `falco.yaml` says, for us.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FalcoConfig {
    /// `rules_files` (or `rules_file`), in order, as written.
    pub rules_files: Vec<PathBuf>,
    /// The `rules:` section's steps, in order.
    pub selection: Selection,
    /// `priority`: rules less severe are not loaded.
    pub min_priority: Option<Priority>,
    /// The output keys.
    pub style: AlertStyle,
    /// `append_output`, in order.
    pub append_output: Vec<AppendOutput>,
    /// Keys accepted but not supported, each a warning.
    pub warnings: Vec<Diagnostic>,
}

impl FalcoConfig {
    /// Reads a `falco.yaml`.
    pub fn load(path: &Path) -> Result<FalcoConfig, RulesError> {
        match std::fs::read_to_string(path) {
            Ok(t) => Self::parse(path, &t),
            Err(e) => Err(RulesError {
                diagnostics: vec![Diagnostic::error(
                    path,
                    Pos::default(),
                    format!("cannot read: {e}"),
                )],
            }),
        }
    }

    /// Parses the text of `file`: every problem at once, with its place.
    pub fn parse(file: &Path, text: &str) -> Result<FalcoConfig, RulesError> {
        let mut c = FalcoConfig::default();
        let mut diags = Vec::new();
        let docs = yaml::load(text).map_err(|e| RulesError {
            diagnostics: vec![Diagnostic::error(
                file,
                e.pos,
                format!("YAML: {}", e.message),
            )],
        })?;
        let err = |diags: &mut Vec<Diagnostic>, n: &Node, m: String| {
            diags.push(Diagnostic::error(file, n.pos(), m));
        };
        let bool_of = |diags: &mut Vec<Diagnostic>, k: &str, v: &Node| -> bool {
            v.as_bool().unwrap_or_else(|| {
                diags.push(Diagnostic::error(
                    file,
                    v.pos(),
                    format!("{k} must be true or false"),
                ));
                false
            })
        };
        for doc in &docs {
            let Node::Map(kv, _) = doc else {
                if !doc.is_null() {
                    err(
                        &mut diags,
                        doc,
                        "a configuration is a mapping of keys".into(),
                    );
                }
                continue;
            };
            for (k, v) in kv {
                let key = k.as_str().unwrap_or("");
                match key {
                    "rules_files" | "rules_file" => match v {
                        Node::Scalar(s, _, _) if !v.is_null() => c.rules_files.push(s.into()),
                        Node::Seq(items, _) => {
                            for i in items {
                                match i.as_str() {
                                    Some(s) => c.rules_files.push(s.into()),
                                    None => err(&mut diags, i, format!("{key}: a path")),
                                }
                            }
                        }
                        _ => err(
                            &mut diags,
                            v,
                            format!("{key} must be a path or a list of paths"),
                        ),
                    },
                    "rules" => selection_section(file, v, &mut c.selection, &mut diags),
                    "priority" => match v.as_str().and_then(Priority::parse) {
                        Some(p) => c.min_priority = Some(p),
                        None => err(&mut diags, v, "priority: not a Falco priority".into()),
                    },
                    "json_output" => c.style.json = bool_of(&mut diags, key, v),
                    "json_include_output_property" => {
                        c.style.include_output = bool_of(&mut diags, key, v)
                    }
                    "json_include_output_fields_property" => {
                        c.style.include_output_fields = bool_of(&mut diags, key, v)
                    }
                    "json_include_tags_property" => {
                        c.style.include_tags = bool_of(&mut diags, key, v)
                    }
                    "json_include_message_property" => {
                        c.style.include_message = bool_of(&mut diags, key, v)
                    }
                    "time_format_iso_8601" => c.style.iso8601 = bool_of(&mut diags, key, v),
                    "append_output" => append_section(file, v, &mut c.append_output, &mut diags),
                    other => c.warnings.push(Diagnostic::warning(
                        file,
                        k.pos(),
                        format!("'{other}' is not supported here (ignored)"),
                    )),
                }
            }
        }
        if diags.iter().any(|d| d.severity == Severity::Error) {
            diags.extend(c.warnings);
            return Err(RulesError { diagnostics: diags });
        }
        Ok(c)
    }

    /// Applies one `-o KEY=VALUE` as Falco takes it, after the file: a
    /// top-level key (`priority=error`, `json_output=true`, …),
    /// `rules_files[]=PATH` (appended) or `rules_files=PATH` (replacing),
    /// `rules[].enable.rule=NAME`, `rules[].disable.tag=TAG` (a selection
    /// step after the file's). Returns the key, ignored, when we do not
    /// support it (a warning); an error for a bad value.
    pub fn set(&mut self, option: &str) -> Result<Option<IgnoredOption>, OptionError> {
        let bad = |fault: OptionFault| OptionError {
            option: option.to_string(),
            fault,
        };
        let Some((key, value)) = option.split_once('=') else {
            return Err(bad(OptionFault::NoValue));
        };
        let flag = |v: &str| match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(true),
            "false" | "no" | "off" => Ok(false),
            _ => Err(bad(OptionFault::NotAFlag {
                key: key.to_string(),
            })),
        };
        match key {
            "priority" => {
                self.min_priority =
                    Some(Priority::parse(value).ok_or_else(|| bad(OptionFault::NotAPriority))?)
            }
            "json_output" => self.style.json = flag(value)?,
            "json_include_output_property" => self.style.include_output = flag(value)?,
            "json_include_output_fields_property" => {
                self.style.include_output_fields = flag(value)?
            }
            "json_include_tags_property" => self.style.include_tags = flag(value)?,
            "json_include_message_property" => self.style.include_message = flag(value)?,
            "time_format_iso_8601" => self.style.iso8601 = flag(value)?,
            "rules_files[]" | "rules_file[]" => self.rules_files.push(value.into()),
            "rules_files" | "rules_file" => self.rules_files = vec![value.into()],
            k if k.starts_with("rules[].") => {
                let what = |m: &str| match m {
                    "rule" if value == "*" => Some(Matcher::All),
                    "rule" => Some(Matcher::NameGlob(value.to_string())),
                    "tag" => Some(Matcher::Tag(value.to_string())),
                    _ => None,
                };
                let step = match k.trim_start_matches("rules[].").split_once('.') {
                    Some(("enable", m)) => what(m).map(|w| (true, w)),
                    Some(("disable", m)) => what(m).map(|w| (false, w)),
                    _ => None,
                };
                let (enable, w) = step.ok_or_else(|| bad(OptionFault::NotARulesStep))?;
                self.selection.push(enable, w);
            }
            other => {
                return Ok(Some(IgnoredOption {
                    key: other.to_string(),
                }))
            }
        }
        Ok(None)
    }

    /// Applies the configuration to loaded rules: rules below `priority`
    /// are dropped, then the `rules:` steps and after them `flags`
    /// (Falco's `-D`/`-T`/`-t`, which Falco appends to that section as
    /// `rules[]` entries) choose, then `append_output` extends the outputs.
    /// Returns the rules left out.
    pub fn apply(&self, set: &mut RuleSet, flags: &Selection) -> Vec<Rule> {
        let mut off = Vec::new();
        if let Some(min) = self.min_priority {
            let (keep, low): (Vec<Rule>, Vec<Rule>) = std::mem::take(&mut set.rules)
                .into_iter()
                .partition(|r| r.priority <= min);
            set.rules = keep;
            off.extend(low);
        }
        let mut steps = self.selection.clone();
        for s in flags.steps() {
            steps.push(s.enable, s.what.clone());
        }
        off.extend(set.select(&steps));
        for r in &mut set.rules {
            let matching: Vec<&AppendOutput> =
                self.append_output.iter().filter(|a| a.matches(r)).collect();
            for a in matching {
                if let Some(extra) = &a.extra_output {
                    r.output.push(' ');
                    r.output.push_str(extra);
                }
                r.extra_fields.extend(a.extra_fields.iter().cloned());
            }
        }
        off
    }
}

/// `rules:` — a list of `enable:`/`disable:` each with `rule:` (a name
/// or glob) or `tag:`.
fn selection_section(file: &Path, v: &Node, sel: &mut Selection, diags: &mut Vec<Diagnostic>) {
    let Node::Seq(items, _) = v else {
        diags.push(Diagnostic::error(
            file,
            v.pos(),
            "rules: a list of enable:/disable: entries".into(),
        ));
        return;
    };
    for i in items {
        let (enable, body) = match (i.get("enable"), i.get("disable")) {
            (Some(b), None) => (true, b),
            (None, Some(b)) => (false, b),
            _ => {
                diags.push(Diagnostic::error(
                    file,
                    i.start(),
                    "rules: each entry is enable: or disable:".into(),
                ));
                continue;
            }
        };
        let what = match (
            body.get("rule").and_then(Node::as_str),
            body.get("tag").and_then(Node::as_str),
        ) {
            (Some("*"), None) => Matcher::All,
            (Some(r), None) => Matcher::NameGlob(r.to_string()),
            (None, Some(t)) => Matcher::Tag(t.to_string()),
            _ => {
                diags.push(Diagnostic::error(
                    file,
                    body.start(),
                    "rules: an entry names one rule: or one tag:".into(),
                ));
                continue;
            }
        };
        sel.push(enable, what);
    }
}

/// `append_output:` — a list of `{match: {source, tags, rule},
/// extra_output, extra_fields}`.
fn append_section(file: &Path, v: &Node, out: &mut Vec<AppendOutput>, diags: &mut Vec<Diagnostic>) {
    let Node::Seq(items, _) = v else {
        diags.push(Diagnostic::error(
            file,
            v.pos(),
            "append_output: a list of entries".into(),
        ));
        return;
    };
    for i in items {
        let mut a = AppendOutput::default();
        if let Some(m) = i.get("match") {
            a.source = m.get("source").and_then(Node::as_str).map(str::to_string);
            a.rule = m.get("rule").and_then(Node::as_str).map(str::to_string);
            if let Some(Node::Seq(tags, _)) = m.get("tags") {
                a.tags = tags
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string)
                    .collect();
            }
        }
        a.extra_output = i
            .get("extra_output")
            .and_then(Node::as_str)
            .map(str::to_string);
        if let Some(Node::Seq(fields, _)) = i.get("extra_fields") {
            for f in fields {
                match f.as_str() {
                    Some(name) => a.extra_fields.push(name.trim_start_matches('%').to_string()),
                    None => diags.push(Diagnostic::error(
                        file,
                        f.pos(),
                        "append_output: extra_fields are field names (name: value entries are not supported)".into(),
                    )),
                }
            }
        }
        if let Node::Map(kv, _) = i {
            for (k, _) in kv {
                let key = k.as_str().unwrap_or("");
                if !matches!(key, "match" | "extra_output" | "extra_fields") {
                    diags.push(Diagnostic::warning(
                        file,
                        k.pos(),
                        format!("append_output: '{key}' is not supported (ignored)"),
                    ));
                }
            }
        }
        out.push(a);
    }
}

/// A `-o KEY=VALUE` that cannot be applied (see [`FalcoConfig::set`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("-o {option}: {fault}")]
#[non_exhaustive]
pub struct OptionError {
    /// The option as given.
    pub option: String,
    /// What is wrong with it.
    pub fault: OptionFault,
}

/// What is wrong with a `-o` option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionFault {
    /// No `=`.
    #[error("expected KEY=VALUE")]
    NoValue,
    /// A flag whose value is not a boolean.
    #[error("{key} must be true or false")]
    NotAFlag {
        /// The key.
        key: String,
    },
    /// `priority=` with a value that is not a Falco priority.
    #[error("not a Falco priority")]
    NotAPriority,
    /// A `rules[]` key that is not an enable or disable step.
    #[error("expected rules[].enable|disable.rule|tag=VALUE")]
    NotARulesStep,
}

/// A `-o` key Falco has and we do not apply (a warning, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("-o {key}: not supported here (ignored)")]
#[non_exhaustive]
pub struct IgnoredOption {
    /// The key.
    pub key: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const RULES: &str = "- rule: a\n  desc: d\n  condition: evt.type=open\n  output: A\n  priority: WARNING\n  tags: [net]\n- rule: b\n  desc: d\n  condition: evt.type=open\n  output: B\n  priority: DEBUG\n- rule: c\n  desc: d\n  condition: evt.type=open\n  output: C\n  priority: ERROR\n  tags: [net, x]\n";

    #[test]
    fn priority_rules_section_and_append_output() {
        let y = "rules_files: [/etc/falco/falco_rules.yaml, r2.yaml]\npriority: notice\nrules:\n  - disable:\n      rule: \"*\"\n  - enable:\n      tag: net\n  - disable:\n      rule: c\njson_output: true\njson_include_tags_property: false\nappend_output:\n  - match:\n      tags: [net]\n    extra_output: \"on %proc.name\"\n    extra_fields: [proc.pid]\nload_plugins: [container]\n";
        let c = FalcoConfig::parse(Path::new("falco.yaml"), y).unwrap();
        assert_eq!(c.rules_files.len(), 2);
        assert!(c.style.json && !c.style.include_tags && c.style.include_output);
        assert_eq!(
            c.warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["falco.yaml:17:1: warning: 'load_plugins' is not supported here (ignored)"]
        );
        let mut rs = RuleSet::load_str("r.yaml", RULES).unwrap();
        let off = c.apply(&mut rs, &Selection::default());
        let names: Vec<&str> = rs.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a"], "b below notice, c disabled by the last step");
        assert_eq!(off.len(), 2);
        assert_eq!(rs.rules[0].output, "A on %proc.name");
        assert_eq!(rs.rules[0].extra_fields, ["proc.pid"]);
    }

    #[test]
    fn overrides_as_falco_takes_them() {
        let mut c = FalcoConfig::default();
        for o in [
            "priority=ERROR",
            "json_output=true",
            "json_include_tags_property=false",
            "rules_files[]=a.yaml",
            "rules_files[]=b.yaml",
            "rules[].disable.rule=*",
            "rules[].enable.tag=net",
        ] {
            assert_eq!(c.set(o), Ok(None), "{o}");
        }
        assert_eq!(c.min_priority, Some(Priority::Error));
        assert!(c.style.json && !c.style.include_tags);
        assert_eq!(c.rules_files.len(), 2);
        assert!(c.selection.enables("x", &["net".to_string()]));
        assert!(!c.selection.enables("x", &[]));
        assert_eq!(
            c.set("buffered_outputs=true")
                .map(|w| w.map(|w| w.to_string())),
            Ok(Some(
                "-o buffered_outputs: not supported here (ignored)".into()
            ))
        );
        assert!(c.set("priority=loud").is_err());
        assert!(c.set("rules[].enable.who=x").is_err());
        assert!(c.set("json_output").is_err());
    }

    #[test]
    fn errors_have_places() {
        let e = FalcoConfig::parse(
            Path::new("f.yaml"),
            "priority: loud\njson_output: maybe\nrules:\n  - enable:\n      who: x\n",
        )
        .unwrap_err();
        let all: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            all,
            [
                "f.yaml:1:11: error: priority: not a Falco priority",
                "f.yaml:2:14: error: json_output must be true or false",
                "f.yaml:5:7: error: rules: an entry names one rule: or one tag:",
            ]
        );
    }
}
