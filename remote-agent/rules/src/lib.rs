//! Falco rules files: lists, macros and rules with exceptions, `append`,
//! `override` and `enabled`, compiled into a [`RuleSet`] the way Falco does
//! it (`shared/specs/falco-rules.md` §1.5): exception clauses appended to the
//! condition text, lists substituted textually, the text parsed, macros
//! substituted on the tree.
//!
//! Loading reports every problem at once, each with file:line:col; a file
//! that would expand past the hard limits of [`limits`] is one of them.

pub mod engine;
mod expand;
pub mod limits;
pub mod yaml;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use expand::{condition_text, Lists, Macros};
use limits::{Budget, Limit};
use scapbridge_filter::ast::Expr;
use scapbridge_filter::eval::TypeSet;
use scapbridge_filter::{parse, Filter, FilterError};
use yaml::{Node, Pos};

/// Falco priorities, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// 0.
    Emergency,
    /// 1.
    Alert,
    /// 2.
    Critical,
    /// 3.
    Error,
    /// 4.
    Warning,
    /// 5.
    Notice,
    /// 6.
    Informational,
    /// 7.
    Debug,
}

impl Priority {
    /// Parses a spelling (case-insensitive; `INFO` too).
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// Falco's spelling in alerts (`Warning`, `Informational`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Loading fails.
    Error,
    /// Loading goes on.
    Warning,
}

/// One problem in a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub file: PathBuf,
    /// Line and column.
    pub pos: Pos,
    /// What.
    pub message: String,
    /// The limit exceeded, if that is the error (see [`limits`]).
    pub limit: Option<Limit>,
}

impl Diagnostic {
    /// An error at `file:pos`.
    pub fn error(file: &Path, pos: Pos, message: String) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_path_buf(),
            pos,
            message,
            limit: None,
        }
    }

    /// An error at `file:pos`: `limit` exceeded.
    pub fn limit(file: &Path, pos: Pos, limit: Limit, message: String) -> Self {
        Diagnostic {
            limit: Some(limit),
            ..Diagnostic::error(file, pos, message)
        }
    }

    /// A warning at `file:pos`.
    pub fn warning(file: &Path, pos: Pos, message: String) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            file: file.to_path_buf(),
            pos,
            message,
            limit: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {}",
            self.file.display(),
            self.pos.line,
            self.pos.col,
            self.message
        )
    }
}

/// Loading failed: every error (and the warnings seen on the way).
#[derive(Debug, Clone)]
pub struct RulesError {
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<String> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        write!(
            f,
            "{} error(s) in the rules: {}",
            errors.len(),
            errors.join("; ")
        )
    }
}

impl std::error::Error for RulesError {}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// Priority.
    pub priority: Priority,
    /// Event source (`syscall`, `aws_cloudtrail`, …).
    pub source: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Output format (`%field` substitutions).
    pub output: String,
    /// Condition as compiled (exceptions and lists applied).
    pub condition: String,
    /// The compiled condition (syscall rules only).
    pub filter: Option<Filter>,
    /// The events the condition can match (`None`: any), from its
    /// `evt.type` terms, so the engine evaluates each rule only on them.
    pub event_types: Option<scapbridge_filter::eval::TypeSet>,
    /// `capture: true`: record a window around each alert.
    pub capture: bool,
    /// `capture_duration` in ms, if given.
    pub capture_duration_ms: Option<u64>,
    /// Where the rule was defined.
    pub file: PathBuf,
    /// Its position.
    pub pos: Pos,
}

/// Compiled rules, in load order, with the warnings of loading.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Enabled rules.
    pub rules: Vec<Rule>,
    /// Warnings (unknown keys, …).
    pub warnings: Vec<Diagnostic>,
    /// Macros and lists defined (for `rules check`'s summary).
    pub macros: usize,
    /// Lists defined.
    pub lists: usize,
}

#[derive(Debug, Clone)]
struct ListDef {
    items: Vec<String>,
    /// Where it was (first) defined.
    file: PathBuf,
    pos: Pos,
}

#[derive(Debug, Clone)]
struct MacroDef {
    condition: String,
    file: PathBuf,
    pos: Pos,
    order: usize,
}

#[derive(Debug, Clone)]
struct RuleDef {
    name: String,
    desc: String,
    condition: String,
    output: String,
    priority: Option<Priority>,
    source: String,
    tags: Vec<String>,
    enabled: bool,
    exceptions: Vec<Node>,
    capture: bool,
    capture_duration_ms: Option<u64>,
    skip_if_unknown_filter: bool,
    file: PathBuf,
    pos: Pos,
    cond_pos: Pos,
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "source",
    "tags",
    "enabled",
    "exceptions",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

#[derive(Default)]
struct Loader {
    lists: HashMap<String, ListDef>,
    list_order: Vec<String>,
    macros: HashMap<String, MacroDef>,
    macro_count: usize,
    rules: Vec<RuleDef>,
    diags: Vec<Diagnostic>,
}

impl Loader {
    fn diag(&mut self, severity: Severity, file: &Path, pos: Pos, message: String) {
        self.diags.push(Diagnostic {
            severity,
            file: file.to_path_buf(),
            pos,
            message,
            limit: None,
        });
    }

    fn strings(&mut self, file: &Path, n: &Node, what: &str) -> Vec<String> {
        match n {
            Node::Seq(v, _) => v
                .iter()
                .filter_map(|x| match x {
                    Node::Scalar(s, _, _) => Some(s.clone()),
                    other => {
                        self.diag(
                            Severity::Error,
                            file,
                            other.pos(),
                            format!("{what}: items must be strings"),
                        );
                        None
                    }
                })
                .collect(),
            n if n.is_null() => Vec::new(),
            other => {
                self.diag(
                    Severity::Error,
                    file,
                    other.pos(),
                    format!("{what} must be a list"),
                );
                Vec::new()
            }
        }
    }

    /// `override: {key: append|replace}` → whether `key` appends.
    fn mode(item: &Node, key: &str) -> (bool, bool) {
        let legacy_append = item
            .get("append")
            .and_then(Node::as_str)
            .is_some_and(|v| v == "true");
        let ov = item
            .get("override")
            .and_then(|o| o.get(key))
            .and_then(Node::as_str);
        (legacy_append || ov == Some("append"), ov == Some("replace"))
    }

    fn load_file(&mut self, file: &Path, text: &str) {
        let docs = match yaml::load(text) {
            Ok(d) => d,
            Err(e) => {
                let message = format!("YAML: {}", e.message);
                self.diags.push(match e.limit {
                    Some(l) => Diagnostic::limit(file, e.pos, l, message),
                    None => Diagnostic::error(file, e.pos, message),
                });
                return;
            }
        };
        for doc in docs {
            let items = match doc {
                Node::Seq(v, _) => v,
                n if n.is_null() => continue,
                other => {
                    self.diag(
                        Severity::Error,
                        file,
                        other.pos(),
                        "a rules file is a list of items".into(),
                    );
                    continue;
                }
            };
            for item in items {
                self.load_item(file, &item);
            }
        }
    }

    fn load_item(&mut self, file: &Path, item: &Node) {
        let pos = item.pos();
        if !matches!(item, Node::Map(..)) {
            self.diag(
                Severity::Error,
                file,
                pos,
                "each item must be a mapping (list, macro, rule, …)".into(),
            );
            return;
        }
        if let Some(name) = item.get("list").and_then(Node::as_str) {
            let items = item
                .get("items")
                .map(|n| self.strings(file, n, "items"))
                .unwrap_or_default();
            let (append, _) = Self::mode(item, "items");
            let known = self.lists.contains_key(name);
            if append && !known {
                self.diag(
                    Severity::Error,
                    file,
                    pos,
                    format!("list '{name}' appended to before it is defined"),
                );
            } else if append {
                if let Some(l) = self.lists.get_mut(name) {
                    l.items.extend(items);
                }
            } else {
                if !known {
                    self.list_order.push(name.to_string());
                }
                self.lists.insert(
                    name.to_string(),
                    ListDef {
                        items,
                        file: file.to_path_buf(),
                        pos,
                    },
                );
            }
        } else if let Some(name) = item.get("macro").and_then(Node::as_str) {
            let cond = item
                .get("condition")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            let cond_pos = item.get("condition").map_or(pos, Node::pos);
            let (append, _) = Self::mode(item, "condition");
            if append {
                match self.macros.get_mut(name) {
                    Some(m) => {
                        m.condition.push(' ');
                        m.condition.push_str(&cond);
                    }
                    None => self.diag(
                        Severity::Error,
                        file,
                        pos,
                        format!("macro '{name}' appended to before it is defined"),
                    ),
                }
            } else {
                self.macro_count += 1;
                let order = self.macro_count;
                self.macros.insert(
                    name.to_string(),
                    MacroDef {
                        condition: cond,
                        file: file.to_path_buf(),
                        pos: cond_pos,
                        order,
                    },
                );
            }
        } else if let Some(name) = item.get("rule").and_then(Node::as_str) {
            self.load_rule(file, item, name);
        } else if item.get("required_engine_version").is_some()
            || item.get("required_plugin_versions").is_some()
        {
            // Accepted: we implement the engine features the stock rules need.
        } else {
            self.diag(Severity::Error, file, pos, "unknown item: expected list, macro, rule, required_engine_version or required_plugin_versions".into());
        }
    }

    fn load_rule(&mut self, file: &Path, item: &Node, name: &str) {
        let pos = item.pos();
        if let Node::Map(kv, _) = item {
            for (k, _) in kv {
                if let Some(key) = k.as_str() {
                    if !RULE_KEYS.contains(&key) {
                        self.diag(
                            Severity::Warning,
                            file,
                            k.pos(),
                            format!("rule '{name}': unknown key '{key}'"),
                        );
                    }
                }
            }
        }
        let text = |k: &str| item.get(k).and_then(Node::as_str).map(str::to_string);
        let enabled = item
            .get("enabled")
            .and_then(Node::as_str)
            .map(|v| v == "true");
        let exists = self.rules.iter().position(|r| r.name == name);
        let (append_cond, _) = Self::mode(item, "condition");
        let (append_exc, _) = Self::mode(item, "exceptions");
        let (append_out, _) = Self::mode(item, "output");
        let has_override = item.get("override").is_some()
            || item.get("append").and_then(Node::as_str) == Some("true");
        if let Some(i) = exists {
            // Redefinition, append/override, or just `enabled:`.
            let legacy_append = item.get("append").and_then(Node::as_str) == Some("true");
            let r = &mut self.rules[i];
            if let Some(e) = enabled {
                r.enabled = e;
            }
            if let Some(c) = text("condition") {
                if append_cond || legacy_append {
                    r.condition.push(' ');
                    r.condition.push_str(&c);
                } else {
                    r.condition = c;
                }
            }
            if let Some(o) = text("output") {
                if append_out {
                    r.output.push(' ');
                    r.output.push_str(&o);
                } else {
                    r.output = o;
                }
            }
            if let Some(Node::Seq(ex, _)) = item.get("exceptions") {
                if append_exc || legacy_append {
                    // An appended exception with a known name adds values to it.
                    for e in ex {
                        let name = e.get("name").and_then(Node::as_str);
                        let existing = r.exceptions.iter_mut().find(|x| {
                            name.is_some() && x.get("name").and_then(Node::as_str) == name
                        });
                        match (existing, e.get("values")) {
                            (Some(Node::Map(kv, _)), Some(Node::Seq(new_vals, _))) => {
                                match kv.iter_mut().find(|(k, _)| k.as_str() == Some("values")) {
                                    Some((_, Node::Seq(vals, _))) => {
                                        vals.extend(new_vals.iter().cloned())
                                    }
                                    Some((_, slot)) => {
                                        *slot = Node::Seq(new_vals.clone(), slot.pos())
                                    }
                                    None => kv.push((
                                        Node::Scalar("values".into(), false, e.pos()),
                                        Node::Seq(new_vals.clone(), e.pos()),
                                    )),
                                }
                            }
                            _ => r.exceptions.push(e.clone()),
                        }
                    }
                } else {
                    r.exceptions = ex.clone();
                }
            }
            if let Some(p) = text("priority").and_then(|p| Priority::parse(&p)) {
                r.priority = Some(p);
            }
            if let Some(d) = text("desc") {
                r.desc = d;
            }
            if let Some(t) = item.get("tags") {
                let tags = self.strings(file, t, "tags");
                self.rules[i].tags = tags;
            }
            return;
        }
        if has_override && text("condition").is_none() && enabled.is_none() {
            self.diag(
                Severity::Error,
                file,
                pos,
                format!("rule '{name}' appended to or overridden before it is defined"),
            );
            return;
        }
        if enabled.is_some() && text("condition").is_none() {
            self.diag(
                Severity::Error,
                file,
                pos,
                format!("rule '{name}' enabled/disabled before it is defined"),
            );
            return;
        }
        let mut missing = Vec::new();
        for k in ["condition", "output", "desc", "priority"] {
            if item.get(k).is_none() {
                missing.push(k);
            }
        }
        if !missing.is_empty() {
            self.diag(
                Severity::Error,
                file,
                pos,
                format!("rule '{name}' lacks {}", missing.join(", ")),
            );
            return;
        }
        let priority = match text("priority").as_deref().map(Priority::parse) {
            Some(Some(p)) => Some(p),
            _ => {
                let p = item.get("priority").map_or(pos, Node::pos);
                self.diag(
                    Severity::Error,
                    file,
                    p,
                    format!(
                        "rule '{name}': unknown priority '{}'",
                        text("priority").unwrap_or_default()
                    ),
                );
                None
            }
        };
        let tags = item
            .get("tags")
            .map(|t| self.strings(file, t, "tags"))
            .unwrap_or_default();
        let exceptions = match item.get("exceptions") {
            Some(Node::Seq(v, _)) => v.clone(),
            _ => Vec::new(),
        };
        self.rules.push(RuleDef {
            name: name.to_string(),
            desc: text("desc").unwrap_or_default(),
            condition: text("condition").unwrap_or_default(),
            output: text("output").unwrap_or_default(),
            priority,
            source: text("source").unwrap_or_else(|| "syscall".into()),
            tags,
            enabled: enabled.unwrap_or(true),
            exceptions,
            capture: text("capture").is_some_and(|v| v == "true"),
            capture_duration_ms: text("capture_duration").and_then(|v| v.parse().ok()),
            skip_if_unknown_filter: text("skip-if-unknown-filter").is_some_and(|v| v == "true"),
            file: file.to_path_buf(),
            pos,
            cond_pos: item.get("condition").map_or(pos, Node::pos),
        });
    }
}

/// Quotes a list item or exception value for a condition if it needs it.
fn quote(v: &str) -> String {
    // A parenthesised value is a list (or list reference) already.
    if v.starts_with('(') && v.ends_with(')') {
        return v.to_string();
    }
    let bare = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '"' | '\''));
    if bare
        || (v.starts_with('"') && v.ends_with('"') && v.len() >= 2)
        || (v.starts_with('\'') && v.ends_with('\'') && v.len() >= 2)
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The exception clauses of a rule as condition text (`and not (…)` each).
fn exception_text(rule: &RuleDef, errors: &mut Vec<Diagnostic>) -> String {
    let mut out = String::new();
    for ex in &rule.exceptions {
        let name = ex.get("name").and_then(Node::as_str).unwrap_or("?");
        let Some(values) = ex.get("values") else {
            continue;
        };
        let values = match values {
            Node::Seq(v, _) if !v.is_empty() => v,
            _ => continue,
        };
        let err = |errors: &mut Vec<Diagnostic>, msg: String| {
            errors.push(Diagnostic::error(
                &rule.file,
                ex.pos(),
                format!("rule '{}', exception '{name}': {msg}", rule.name),
            ));
        };
        match ex.get("fields") {
            Some(Node::Seq(fields, _)) => {
                let fields: Vec<&str> = fields.iter().filter_map(Node::as_str).collect();
                let comps: Vec<String> = match ex.get("comps") {
                    Some(Node::Seq(c, _)) => c
                        .iter()
                        .filter_map(Node::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => vec!["=".to_string(); fields.len()],
                };
                if comps.len() != fields.len() {
                    err(
                        errors,
                        format!("{} fields but {} comps", fields.len(), comps.len()),
                    );
                    continue;
                }
                let mut alts = Vec::new();
                for tuple in values {
                    let Node::Seq(vals, _) = tuple else {
                        err(
                            errors,
                            "each value must be a list matching the fields".into(),
                        );
                        continue;
                    };
                    if vals.len() != fields.len() {
                        err(
                            errors,
                            format!(
                                "a value has {} items for {} fields",
                                vals.len(),
                                fields.len()
                            ),
                        );
                        continue;
                    }
                    let terms: Vec<String> = fields
                        .iter()
                        .zip(&comps)
                        .zip(vals)
                        .map(|((f, c), v)| {
                            let rhs = match v {
                                Node::Seq(items, _) => format!(
                                    "({})",
                                    items
                                        .iter()
                                        .filter_map(Node::as_str)
                                        .map(quote)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                                other => {
                                    let s = quote(other.as_str().unwrap_or(""));
                                    if matches!(c.as_str(), "in" | "pmatch" | "intersects")
                                        && !s.starts_with('(')
                                    {
                                        format!("({s})")
                                    } else {
                                        s
                                    }
                                }
                            };
                            format!("{f} {c} {rhs}")
                        })
                        .collect();
                    alts.push(format!("({})", terms.join(" and ")));
                }
                if !alts.is_empty() {
                    out.push_str(&format!(" and not ({})", alts.join(" or ")));
                }
            }
            Some(Node::Scalar(field, _, _)) => {
                let comp = ex.get("comps").and_then(Node::as_str).unwrap_or("in");
                let items: Vec<String> =
                    values.iter().filter_map(Node::as_str).map(quote).collect();
                out.push_str(&format!(" and not {field} {comp} ({})", items.join(", ")));
            }
            _ => err(errors, "needs fields".into()),
        }
    }
    out
}

/// The `evt.type` names a condition requires (`None`: not restricted).
fn evt_types(e: &Expr) -> Option<std::collections::BTreeSet<String>> {
    use scapbridge_filter::ast::{CmpOp, Operand, Rhs};
    match e {
        Expr::And(items) => {
            let mut acc: Option<std::collections::BTreeSet<String>> = None;
            for s in items.iter().filter_map(evt_types) {
                acc = Some(match acc {
                    None => s,
                    Some(a) => a.intersection(&s).cloned().collect(),
                });
            }
            acc
        }
        Expr::Or(items) => {
            let mut acc = std::collections::BTreeSet::new();
            for i in items {
                acc.extend(evt_types(i)?);
            }
            Some(acc)
        }
        Expr::Compare {
            lhs: Operand::Field(f),
            op,
            modifier: None,
            rhs,
            ..
        } if f.name == "evt.type" && f.arg.is_none() => match (op, rhs) {
            (CmpOp::Eq, Rhs::Value(l)) => Some(std::iter::once(l.text.clone()).collect()),
            (CmpOp::In | CmpOp::Intersects, Rhs::List(items, _)) => {
                Some(items.iter().map(|l| l.text.clone()).collect())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Position of byte `at` of a condition that starts at `start` in the file.
fn pos_in(start: Pos, text: &str, at: usize) -> Pos {
    let before = text.get(..at.min(text.len())).unwrap_or("");
    match before.rfind('\n') {
        // Block scalars start on the next line; approximate the column.
        Some(nl) => Pos {
            line: start.line + before.matches('\n').count(),
            col: before.len() - nl,
        },
        None => Pos {
            line: start.line,
            col: start.col + before.chars().count(),
        },
    }
}

/// The outcome of compiling one rule's condition.
enum Condition {
    Compiled(Filter, Option<TypeSet>),
    /// Errors were recorded.
    Failed,
    /// `skip-if-unknown-filter` and an unknown field: left out with a warning.
    Skipped,
}

/// Syntax errors of a condition, positioned in the file.
fn syntax_errors(
    diags: &mut Vec<Diagnostic>,
    file: &Path,
    start: Pos,
    text: &str,
    what: &str,
    e: &scapbridge_filter::ParseErrors,
) {
    for se in &e.errors {
        diags.push(Diagnostic::error(
            file,
            pos_in(start, text, se.span.start),
            format!("{what}: {}", se.message),
        ));
    }
}

/// Event sources whose rules this engine evaluates: system calls, and
/// the CloudTrail plugin's records. Rules of other sources (k8s audit,
/// …) load, so their files are accepted, but never fire.
fn is_known_source(source: &str) -> bool {
    source == "syscall" || scapbridge_filter::provider::is_provided_source(source)
}

/// Parses a rule's condition (lists and exceptions applied), substitutes
/// macros within the limits, compiles it and finds the event types it can
/// match.
fn compile_condition(
    r: &RuleDef,
    text: &str,
    macros: &Macros,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Condition {
    let what = format!("rule '{}'", r.name);
    let ast = match parse(text) {
        Ok(a) => a,
        Err(e) => {
            syntax_errors(diags, &r.file, r.cond_pos, text, &what, &e);
            return Condition::Failed;
        }
    };
    let missing = macros.missing(&ast);
    for (n, span) in &missing {
        diags.push(Diagnostic::error(
            &r.file,
            pos_in(r.cond_pos, text, span.start),
            format!("{what}: undefined macro '{n}'"),
        ));
    }
    if !missing.is_empty() {
        return Condition::Failed;
    }
    // Sized before it is built; a refused macro's error is reported.
    let Some(size) = macros.measure_rule(&ast) else {
        return Condition::Failed;
    };
    if let Err((limit, found)) = size.check(false) {
        diags.push(Diagnostic::limit(
            &r.file,
            r.cond_pos,
            limit,
            limit.message(&what, found),
        ));
        return Condition::Failed;
    }
    if budget.spent {
        return Condition::Failed;
    }
    if let Err(total) = budget.nodes(size.nodes) {
        let l = Limit::TotalNodes;
        diags.push(Diagnostic::limit(
            &r.file,
            r.cond_pos,
            l,
            l.message(&what, total),
        ));
        budget.spent = true;
        return Condition::Failed;
    }
    let full = macros.build_rule(&ast);
    match Filter::from_expr(&full, text) {
        Ok(f) => Condition::Compiled(
            f,
            evt_types(&full).map(|t| TypeSet::from_names(t.iter().map(String::as_str))),
        ),
        Err(FilterError::Compile { errors, .. })
            if r.skip_if_unknown_filter
                && errors
                    .iter()
                    .all(|x| x.message.starts_with("unknown field")) =>
        {
            diags.push(Diagnostic::warning(
                &r.file,
                r.cond_pos,
                format!(
                    "{what} skipped (skip-if-unknown-filter): {}",
                    errors[0].message
                ),
            ));
            Condition::Skipped
        }
        Err(FilterError::Compile { errors, .. }) => {
            for x in errors {
                diags.push(Diagnostic::error(
                    &r.file,
                    r.cond_pos,
                    format!("{what}: {}", x.message),
                ));
            }
            Condition::Failed
        }
        Err(other) => {
            diags.push(Diagnostic::error(
                &r.file,
                r.cond_pos,
                format!("{what}: {other}"),
            ));
            Condition::Failed
        }
    }
}

impl RuleSet {
    /// For each event id, the indexes of the rules that can match it (syscall
    /// rules without an `evt.type` restriction are in every syscall entry;
    /// plugin-source rules in the plugin event's); then, for generic
    /// `syscall` events, the same by the syscall code they carry.
    pub fn index_by_event_type(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let max = usize::from(scapbridge_formats::schema::EVENT_MAX);
        let mut by = vec![Vec::new(); max];
        let codes = scapbridge_formats::schema::SYSCALL_CODE_MAX + 1;
        let mut by_code = vec![Vec::new(); codes];
        // Each type meets the rules of its source only: plugin events
        // those of the plugin sources, whatever their condition names;
        // every other type the syscall rules.
        let plugin = usize::from(scapbridge_formats::schema::PPME_PLUGINEVENT_E);
        for (i, r) in self.rules.iter().enumerate() {
            if r.filter.is_none() {
                continue;
            }
            if r.source != "syscall" {
                if let Some(v) = by.get_mut(plugin) {
                    v.push(i);
                }
                continue;
            }
            let types: Vec<usize> = match &r.event_types {
                None => (0..max).collect(),
                Some(set) => set.event_ids().map(usize::from).collect(),
            };
            for t in types.into_iter().filter(|t| *t != plugin) {
                if let Some(v) = by.get_mut(t) {
                    v.push(i);
                }
            }
            for (c, v) in by_code.iter_mut().enumerate() {
                if r.event_types
                    .as_ref()
                    .is_none_or(|set| set.has_code(c as u64))
                {
                    v.push(i);
                }
            }
        }
        (by, by_code)
    }

    /// The files `paths` stand for, in load order: a directory stands for
    /// its `.yaml`/`.yml` files in name order.
    pub fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                    .map(|rd| {
                        rd.filter_map(|e| e.ok().map(|e| e.path()))
                            .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                            .collect()
                    })
                    .unwrap_or_default();
                v.sort();
                files.extend(v);
            } else {
                files.push(p.clone());
            }
        }
        files
    }

    /// Loads rules files in order (see [`RuleSet::files`]). Errors carry
    /// file:line:col; warnings are kept in the result.
    pub fn load(paths: &[PathBuf]) -> Result<RuleSet, RulesError> {
        let mut ld = Loader::default();
        for f in &Self::files(paths) {
            match std::fs::read_to_string(f) {
                Ok(t) => ld.load_file(f, &t),
                Err(e) => ld.diag(
                    Severity::Error,
                    f,
                    Pos::default(),
                    format!("cannot read: {e}"),
                ),
            }
        }
        Self::compile(ld)
    }

    /// Loads rules from text (tests, `-`).
    pub fn load_str(name: &str, text: &str) -> Result<RuleSet, RulesError> {
        Self::load_texts(&[(name.to_string(), text.to_string())])
    }

    /// Loads rules files given as (name, text) pairs, in order: what the
    /// agent received over the SSH channel. Errors name the files as given.
    pub fn load_texts(files: &[(String, String)]) -> Result<RuleSet, RulesError> {
        let mut ld = Loader::default();
        for (name, text) in files {
            ld.load_file(Path::new(name), text);
        }
        Self::compile(ld)
    }

    fn compile(mut ld: Loader) -> Result<RuleSet, RulesError> {
        let mut diags = std::mem::take(&mut ld.diags);
        let mut budget = Budget::default();
        // Lists may name other lists: expand in definition order.
        let lists = Lists::expand(&ld.list_order, &ld.lists, &mut diags);
        // Macros: parse with lists substituted; a macro sees earlier macros.
        let mut order: Vec<(&String, &MacroDef)> = ld.macros.iter().collect();
        order.sort_by_key(|(_, m)| m.order);
        let mut macros = Macros::default();
        for (name, m) in order {
            let what = format!("macro '{name}'");
            let at = (m.file.as_path(), m.pos);
            let Some(text) =
                condition_text(&lists, &mut budget, &m.condition, at, &what, &mut diags)
            else {
                macros.push(name, None);
                continue;
            };
            match parse(&text) {
                Ok(ast) if !expand::own_nodes_fit(&ast, &mut budget, at, &what, &mut diags) => {
                    macros.push(name, None);
                }
                Ok(ast) => {
                    let mut missing = Vec::new();
                    expand::refs(&ast, &mut |n, span| missing.push((n.to_string(), span)));
                    for (n, span) in missing {
                        // A later macro may define it: rules see all macros.
                        if !ld.macros.contains_key(&n) {
                            diags.push(Diagnostic::error(
                                &m.file,
                                pos_in(m.pos, &text, span.start),
                                format!("{what}: undefined macro '{n}'"),
                            ));
                        }
                    }
                    // Unknown fields and bad values in a macro are its own
                    // errors, used or not; those of the macros it uses are
                    // theirs, so its own tree is compiled, not its expansion.
                    if let Err(FilterError::Compile { errors, .. }) = Filter::from_expr(&ast, &text)
                    {
                        for ce in errors
                            .iter()
                            .filter(|ce| !ce.message.starts_with("undefined macro"))
                        {
                            diags.push(Diagnostic::error(
                                &m.file,
                                pos_in(m.pos, &text, ce.span.start),
                                format!("{what}: {}", ce.message),
                            ));
                        }
                    }
                    macros.push(name, Some(ast));
                }
                Err(e) => syntax_errors(&mut diags, &m.file, m.pos, &text, &what, &e),
            }
        }
        // Macros may use macros defined after them when a rule pulls them
        // in (Falco resolves rule conditions against all): sizes of both
        // passes, each macro's limits reported at its definition.
        macros.measure(&ld.macros, &mut diags);
        let mut rules = Vec::new();
        for r in &ld.rules {
            if !r.enabled {
                continue;
            }
            let mut ex_errors = Vec::new();
            let with_ex = format!("{}{}", r.condition, exception_text(r, &mut ex_errors));
            diags.extend(ex_errors);
            let what = format!("rule '{}'", r.name);
            let at = (r.file.as_path(), r.cond_pos);
            let Some(text) = condition_text(&lists, &mut budget, &with_ex, at, &what, &mut diags)
            else {
                continue;
            };
            let known_source = is_known_source(&r.source);
            let (filter, types) = if known_source {
                match compile_condition(r, &text, &macros, &mut budget, &mut diags) {
                    Condition::Compiled(f, t) => (Some(f), t),
                    Condition::Failed => (None, None),
                    Condition::Skipped => continue,
                }
            } else {
                (None, None)
            };
            // Output fields must be known too.
            if known_source {
                if let Err(m) = scapbridge_filter::eval::OutputFormat::new(&r.output) {
                    diags.push(Diagnostic::error(
                        &r.file,
                        r.pos,
                        format!("rule '{}': output: {m}", r.name),
                    ));
                }
            }
            rules.push(Rule {
                name: r.name.clone(),
                desc: r.desc.clone(),
                priority: r.priority.unwrap_or(Priority::Debug),
                source: r.source.clone(),
                tags: r.tags.clone(),
                output: r.output.clone(),
                condition: text,
                filter,
                event_types: types,
                capture: r.capture,
                capture_duration_ms: r.capture_duration_ms,
                file: r.file.clone(),
                pos: r.pos,
            });
        }
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(RulesError { diagnostics: diags });
        }
        Ok(RuleSet {
            rules,
            warnings: diags,
            macros: ld.macro_count,
            lists: ld.lists.len(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_substituted_textually() {
        let mut l = HashMap::new();
        l.insert(
            "shells".to_string(),
            vec!["bash".to_string(), "sh".to_string(), "a b".to_string()],
        );
        assert_eq!(
            expand::substitute_lists("proc.name in (shells, zsh)", &l),
            "proc.name in (bash, sh, \"a b\", zsh)"
        );
        assert_eq!(
            expand::substitute_lists("proc.name = 'shells'", &l),
            "proc.name = 'shells'"
        );
    }

    #[test]
    fn macros_lists_exceptions_append_override() {
        let y = r#"
- list: shells
  items: [bash, sh]
- list: shells
  items: [zsh]
  override:
    items: append
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- macro: shell_spawned
  condition: spawned and proc.name in (shells)
- rule: Shell
  desc: a shell
  condition: shell_spawned
  output: "shell %proc.name (%user.name)"
  priority: WARNING
  tags: [shell]
  exceptions:
    - name: known
      fields: [proc.pname, proc.cmdline]
      comps: [=, startswith]
      values:
        - [sshd, "bash -c"]
    - name: names
      fields: proc.name
      values: [sh]
- rule: Shell
  condition: and not user.name = root
  override:
    condition: append
- rule: Other
  desc: x
  condition: evt.type = open
  output: o
  priority: info
  enabled: false
"#;
        let rs = RuleSet::load_str("t.yaml", y).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rs.rules.len(), 1, "disabled rule left out");
        let r = &rs.rules[0];
        assert_eq!(r.priority, Priority::Warning);
        assert!(
            r.condition
                .contains("shell_spawned and not user.name = root"),
            "{}",
            r.condition
        );
        assert!(
            r.condition
                .contains("not ((proc.pname = sshd and proc.cmdline startswith \"bash -c\"))"),
            "{}",
            r.condition
        );
        assert!(
            r.condition.contains("not proc.name in (sh)"),
            "{}",
            r.condition
        );
        assert!(r.filter.is_some());
    }

    #[test]
    fn every_error_has_file_line_col() {
        let y = "- macro: m\n  condition: proc.nme = x\n- rule: R\n  desc: d\n  condition: undefined_macro and fd.num > q\n  output: o\n  priority: LOUD\n- rule: S\n  desc: d\n  condition: (evt.type = open\n  output: o\n  priority: info\n";
        let e = RuleSet::load_str("bad.yaml", y).unwrap_err();
        let text: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(
            all.contains("bad.yaml:7:13: error: rule 'R': unknown priority 'LOUD'"),
            "{all}"
        );
        assert!(
            all.contains("bad.yaml:5:43: error: rule 'R': operator '>' needs a number, found 'q'"),
            "{all}"
        );
        assert!(
            all.contains("bad.yaml:2:14: error: macro 'm': unknown field 'proc.nme'"),
            "{all}"
        );
        assert!(all.contains("bad.yaml:10:"), "{all}");
        let y2 = "- rule: R\n  desc: d\n  condition: nope_macro\n  output: o\n  priority: info\n  bogus_key: 1\n";
        let e = RuleSet::load_str("b2.yaml", y2).unwrap_err();
        let all: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            all.iter()
                .any(|d| d == "b2.yaml:3:14: error: rule 'R': undefined macro 'nope_macro'"),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|d| d.contains("warning: rule 'R': unknown key 'bogus_key'")),
            "{all:?}"
        );
        let e = RuleSet::load_str("b3.yaml", "- rule: [unclosed\n").unwrap_err();
        assert!(e.diagnostics[0].to_string().starts_with("b3.yaml:"), "{e}");
    }
}
