//! Falco rules files: lists, macros and rules with exceptions, `append`,
//! `override` and `enabled`, compiled into a [`RuleSet`] the way Falco does
//! it (`shared/specs/falco-rules.md` §1.5): exception clauses appended to the
//! condition text, lists substituted textually, the text parsed, macros
//! substituted on the tree.
//!
//! Loading reports every problem at once, each with file:line:col; a file
//! that would expand past the hard limits of [`limits`] is one of them.

mod compile;
pub mod config;
pub mod engine;
mod expand;
pub mod limits;
mod loader;
mod select;
mod validate;
pub mod yaml;

pub use select::{Matcher, Selection, SelectionError, Step};
pub use validate::ENGINE_VERSION;

use compile::*;
use loader::*;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use expand::{condition_text, Lists, Macros};
use limits::{Budget, Limit};
use scapbridge_filter::ast::Expr;
use scapbridge_filter::eval::TypeSet;
use scapbridge_filter::{parse, CompileFault, Filter, FilterError};
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
        // Line 0: no place in the file (it cannot be read): the file alone,
        // as a compiler names a file it cannot open.
        if self.pos.line == 0 {
            return write!(f, "{}: {sev}: {}", self.file.display(), self.message);
        }
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
#[non_exhaustive]
pub struct RulesError {
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl RulesError {
    /// An error of these diagnostics.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        RulesError { diagnostics }
    }
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
    /// The condition with its macros expanded, as the filter language
    /// writes it (rules whose condition compiled).
    pub expanded: Option<String>,
    /// The compiled condition (syscall rules only).
    pub filter: Option<Filter>,
    /// The events the condition can match (`None`: any), from its
    /// `evt.type` terms, so the engine evaluates each rule only on them.
    pub event_types: Option<scapbridge_filter::eval::TypeSet>,
    /// `capture: true`: record a window around each alert.
    pub capture: bool,
    /// `capture_duration` in ms, if given.
    pub capture_duration_ms: Option<u64>,
    /// Fields added to the JSON `output_fields` but not to the text
    /// (`append_output`'s `extra_fields` of a `falco.yaml`).
    pub extra_fields: Vec<String>,
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
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        let names: Vec<&String> = order.iter().map(|(n, _)| *n).collect();
        for &(name, m) in &order {
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
                    deps.insert(
                        name.clone(),
                        missing
                            .iter()
                            .filter(|(n, _)| ld.macros.contains_key(n))
                            .map(|(n, _)| n.clone())
                            .collect(),
                    );
                    let mut unknown = Vec::new();
                    unknown_event_types(&ast, &mut unknown);
                    for (n, span) in unknown {
                        diags.push(Diagnostic::error(
                            &m.file,
                            pos_in(m.pos, &text, span.start),
                            format!("{what}: unknown event type {n}"),
                        ));
                    }
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
                            .filter(|ce| !matches!(ce.fault, CompileFault::UndefinedMacro { .. }))
                        {
                            diags.push(Diagnostic::error(
                                &m.file,
                                pos_in(m.pos, &text, ce.span.start),
                                format!("{what}: {}", hint(&ce.fault.to_string())),
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
        // Falco refuses a macro that reaches itself.
        for cycle in macro_loops(&names, &deps) {
            if let Some(m) = ld.macros.get(&cycle[0]) {
                diags.push(Diagnostic::error(
                    &m.file,
                    m.pos,
                    format!(
                        "macro '{}': reference loop in macro: {}",
                        cycle[0],
                        cycle
                            .iter()
                            .map(|n| format!("'{n}'"))
                            .collect::<Vec<_>>()
                            .join(" -> ")
                    ),
                ));
            }
        }
        let mut rules = Vec::new();
        // Performance warnings: said only of a set that loads (Falco stops
        // at the first error, and they would bury the errors).
        let mut perf = Vec::new();
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
            let (filter, types, expanded) = if known_source {
                match compile_condition(r, &text, &macros, &mut budget, &mut diags) {
                    Condition::Compiled(f, None, x) if r.source == "syscall" && r.warn_evttypes => {
                        // Falco's LOAD_NO_EVTTYPE: evaluated on every event.
                        perf.push(Diagnostic::warning(
                            &r.file,
                            r.cond_pos,
                            format!(
                                "rule '{}' matches every event type (its condition does not restrict evt.type): a significant performance penalty (warn_evttypes: false silences this)",
                                r.name
                            ),
                        ));
                        (Some(f), None, Some(x))
                    }
                    Condition::Compiled(f, t, x) => (Some(f), t, Some(x)),
                    Condition::Failed => (None, None, None),
                    Condition::Skipped => continue,
                }
            } else {
                (None, None, None)
            };
            // Output fields must be known too.
            if known_source {
                if let Err(m) = scapbridge_filter::eval::OutputFormat::new(&r.output) {
                    diags.push(Diagnostic::error(
                        &r.file,
                        r.pos,
                        format!("rule '{}': output: {}", r.name, hint(&m.to_string())),
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
                expanded,
                filter,
                event_types: types,
                capture: r.capture,
                capture_duration_ms: r.capture_duration_ms,
                extra_fields: Vec::new(),
                file: r.file.clone(),
                pos: r.pos,
            });
        }
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(RulesError { diagnostics: diags });
        }
        diags.extend(perf);
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
        // The appended override, then both exceptions (a tuple, a single field).
        for part in [
            "shell_spawned and not user.name = root",
            "not ((proc.pname = sshd and proc.cmdline startswith \"bash -c\"))",
            "not proc.name in (sh)",
        ] {
            assert!(r.condition.contains(part), "{part:?} in {}", r.condition);
        }
        assert!(r.filter.is_some());
    }

    #[test]
    fn macro_loops_and_unknown_event_types() {
        let y = "- macro: a\n  condition: evt.type=open\n- macro: b\n  condition: a or c\n- macro: c\n  condition: b\n- macro: d\n  condition: a and evt.type in (open, nosuch)\n- rule: r\n  desc: d\n  condition: d and evt.type != bogus\n  output: o\n  priority: INFO\n";
        let e = RuleSet::load_str("l.yaml", y).unwrap_err();
        let all: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            all,
            [
                "l.yaml:8:20: error: macro 'd': unknown event type nosuch",
                "l.yaml:4:14: error: macro 'b': reference loop in macro: 'b' -> 'c' -> 'b'",
                "l.yaml:11:20: error: rule 'r': unknown event type bogus",
            ]
        );
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
        assert!(
            all.contains("macro 'm': unknown field 'proc.nme' (did you mean 'proc.name'?)"),
            "{all}"
        );
        // A rule's own misspelt field: at the field, with the hint.
        let y3 = "- rule: R\n  desc: d\n  condition: evt.type = open and fd.nmae = x\n  output: \"%proc.nme\"\n  priority: info\n";
        let e4 = RuleSet::load_str("b4.yaml", y3).unwrap_err();
        let all4: Vec<String> = e4.diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            all4.iter().any(|d| d == "b4.yaml:3:34: error: rule 'R': unknown field 'fd.nmae' (did you mean 'fd.name'?)"),
            "{all4:?}"
        );
        assert!(
            all4.iter()
                .any(|d| d.ends_with("(did you mean 'proc.name'?)") && d.contains("output")),
            "{all4:?}"
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
