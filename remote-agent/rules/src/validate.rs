//! Falco's rule-loader checks on each item before it is collected
//! (`rule_loader_reader.cpp` and the published JSON schema of rules
//! files): the keys each kind of item takes and the type of each value,
//! the names that must not be empty, `append`/`override` and what each
//! may change, exceptions (`name`, `fields`, `comps`), and the engine and
//! plugin requirements. An error is reported at the offending key or
//! value; the item is then left out, as Falco's load would fail. Unknown
//! keys are warnings (Falco warns `LOAD_UNKNOWN_KEY` and ignores them).

use super::*;

/// The engine version this loader implements, as Falco numbers its rule
/// engine: the version the stock `falco_rules.yaml` (falco-rules 5.x)
/// requires, whose features (exceptions, `override`, the condition
/// language and fields it uses) are implemented here. A rules file that
/// requires a newer engine is refused, as Falco refuses it.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

/// The type of a key's value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// The item's name: a non-empty scalar.
    Name,
    /// A scalar (YAML numbers are text to Falco too).
    Str,
    /// A boolean.
    Bool,
    /// A non-negative integer.
    Int,
    /// A sequence of scalars.
    StrSeq,
    /// A sequence (its items checked on their own).
    Seq,
    /// `override: {key: append|replace}`.
    Override,
}

const LIST_KEYS: &[(&str, Ty)] = &[
    ("list", Ty::Name),
    ("items", Ty::StrSeq),
    ("append", Ty::Bool),
    ("override", Ty::Override),
];

const MACRO_KEYS: &[(&str, Ty)] = &[
    ("macro", Ty::Name),
    ("condition", Ty::Str),
    ("append", Ty::Bool),
    ("override", Ty::Override),
];

const RULE_KEYS: &[(&str, Ty)] = &[
    ("rule", Ty::Name),
    ("desc", Ty::Str),
    ("condition", Ty::Str),
    ("output", Ty::Str),
    ("priority", Ty::Str),
    ("source", Ty::Str),
    ("tags", Ty::StrSeq),
    ("enabled", Ty::Bool),
    ("exceptions", Ty::Seq),
    ("append", Ty::Bool),
    ("override", Ty::Override),
    ("warn_evttypes", Ty::Bool),
    ("skip-if-unknown-filter", Ty::Bool),
    ("capture", Ty::Bool),
    ("capture_duration", Ty::Int),
];

/// Keys a rule's `override` may append to, and replace.
const RULE_APPEND: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

/// The kinds of item, in the order Falco tells them apart.
pub(crate) const KINDS: &[&str] = &[
    "required_engine_version",
    "required_plugin_versions",
    "list",
    "macro",
    "rule",
];

/// Collects the diagnostics of one item.
struct Check<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Check<'_> {
    fn error(&mut self, pos: Pos, message: String) {
        self.diags.push(Diagnostic::error(self.file, pos, message));
    }

    fn warning(&mut self, pos: Pos, message: String) {
        self.diags
            .push(Diagnostic::warning(self.file, pos, message));
    }

    /// Warns of keys not in `known`, and checks the others' value types.
    fn keys(&mut self, item: &Node, what: &str, known: &[(&str, Ty)]) {
        let Node::Map(kv, _) = item else {
            return;
        };
        for (k, v) in kv {
            let Some(key) = k.as_str() else {
                self.error(k.pos(), format!("{what}: a key must be a string"));
                continue;
            };
            match known.iter().find(|(n, _)| *n == key) {
                None => self.warning(k.pos(), format!("{what}: unknown key '{key}' (ignored)")),
                Some((_, ty)) => self.value(k, v, key, *ty, what),
            }
        }
    }

    fn value(&mut self, k: &Node, v: &Node, key: &str, ty: Ty, what: &str) {
        let ok = match ty {
            // The name's emptiness is reported by `name`.
            Ty::Name => true,
            Ty::Str => matches!(v, Node::Scalar(..)) && !v.is_null(),
            Ty::Bool => v.as_bool().is_some(),
            Ty::Int => v.as_str().is_some_and(|s| s.parse::<u64>().is_ok()),
            Ty::StrSeq => match v {
                Node::Seq(items, _) => {
                    for i in items.iter().filter(|i| !matches!(i, Node::Scalar(..))) {
                        self.error(i.pos(), format!("{what}: '{key}' items must be strings"));
                    }
                    true
                }
                _ => false,
            },
            Ty::Seq => matches!(v, Node::Seq(..)),
            Ty::Override => matches!(v, Node::Map(..)),
        };
        if !ok {
            let want = match ty {
                Ty::Name | Ty::Str => "a string",
                Ty::Bool => "true or false",
                Ty::Int => "a number",
                Ty::StrSeq => "a list of strings",
                Ty::Seq => "a list",
                Ty::Override => "a mapping of keys to append or replace",
            };
            let at = if v.is_null() { k.pos() } else { v.pos() };
            self.error(at, format!("{what}: '{key}' must be {want}"));
        }
    }

    /// The item's name (`list:`, `macro:`, `rule:`), or an error at its key.
    fn name<'n>(&mut self, item: &'n Node, kind: &str) -> Option<&'n str> {
        let key_pos = item.key(kind).map_or(item.pos(), Node::pos);
        match item.get(kind) {
            Some(n) if !n.is_null() && n.as_str().is_some_and(|s| !s.is_empty()) => n.as_str(),
            Some(n) if matches!(n, Node::Scalar(..)) || n.is_null() => {
                self.error(key_pos, format!("{kind}: the name is empty"));
                None
            }
            _ => {
                self.error(key_pos, format!("{kind}: the name must be a string"));
                None
            }
        }
    }

    /// `append` and `override`, for an item of `kind` named by `what`.
    fn modes(&mut self, item: &Node, kind: &str, what: &str) {
        let Some(ov) = item.get("override") else {
            return;
        };
        if let Some(k) = item.key("append") {
            self.error(
                k.pos(),
                format!("{what}: 'append' and 'override' cannot be used together"),
            );
        }
        let Node::Map(kv, _) = ov else {
            return;
        };
        let (append_ok, replace_ok): (&[&str], &[&str]) = match kind {
            "list" => (&["items"], &["items"]),
            "macro" => (&["condition"], &["condition"]),
            _ => (RULE_APPEND, RULE_REPLACE),
        };
        for (k, v) in kv {
            let key = k.as_str().unwrap_or("");
            let allowed = match v.as_str() {
                Some("append") => append_ok,
                Some("replace") => replace_ok,
                _ => {
                    self.error(
                        v.pos(),
                        format!("{what}: override of '{key}' must be append or replace"),
                    );
                    continue;
                }
            };
            if !allowed.contains(&key) {
                self.error(
                    k.pos(),
                    format!(
                        "{what}: '{key}' cannot be overridden with {}",
                        v.as_str().unwrap_or("")
                    ),
                );
            } else if item.get(key).is_none() {
                self.error(
                    k.pos(),
                    format!("{what}: override of '{key}' but the item has no '{key}'"),
                );
            }
        }
        // Every overridable key the item gives must say how.
        if let Node::Map(item_kv, _) = item {
            for (k, _) in item_kv {
                let Some(key) = k.as_str() else { continue };
                let overridable = append_ok.contains(&key) || replace_ok.contains(&key);
                if overridable && ov.get(key).is_none() {
                    self.error(
                        k.pos(),
                        format!("{what}: '{key}' is given but not listed under 'override'"),
                    );
                }
            }
        }
    }

    /// One exception of a rule; `append`: the rule's exceptions are
    /// appended to an existing rule (fields may then be the existing ones).
    fn exception(&mut self, ex: &Node, rule: &str, append: bool, known_source: bool) {
        let Node::Map(kv, _) = ex else {
            self.error(
                ex.pos(),
                format!("rule '{rule}': each exception must be a mapping"),
            );
            return;
        };
        let name = match ex.get("name") {
            Some(n) if n.as_str().is_some_and(|s| !s.is_empty()) => n.as_str().unwrap_or(""),
            Some(n) => {
                self.error(
                    n.pos(),
                    format!("rule '{rule}': an exception's name must be a non-empty string"),
                );
                return;
            }
            None => {
                self.error(
                    ex.start(),
                    format!("rule '{rule}': an exception has no 'name'"),
                );
                return;
            }
        };
        let what = format!("rule '{rule}', exception '{name}'");
        for (k, _) in kv {
            let key = k.as_str().unwrap_or("");
            if !matches!(key, "name" | "fields" | "comps" | "values") {
                self.warning(k.pos(), format!("{what}: unknown key '{key}' (ignored)"));
            }
        }
        let fields = match ex.get("fields") {
            None if append => return,
            None => {
                self.error(ex.start(), format!("{what}: no 'fields'"));
                return;
            }
            Some(f) => f,
        };
        let field_nodes: Vec<&Node> = match fields {
            Node::Scalar(..) if !fields.is_null() => vec![fields],
            Node::Seq(v, _) if v.iter().all(|f| matches!(f, Node::Scalar(..))) => {
                v.iter().collect()
            }
            other => {
                self.error(
                    other.pos(),
                    format!("{what}: 'fields' must be a field or a list of fields"),
                );
                return;
            }
        };
        if known_source {
            for f in field_nodes {
                let name = f.as_str().unwrap_or("");
                if scapbridge_filter::eval::OutputFormat::new(&format!("%{name}")).is_err() {
                    let m = compile::hint(&format!("unknown field '{name}'"));
                    self.error(f.pos(), format!("{what}: {m}"));
                }
            }
        }
        let Some(comps) = ex.get("comps") else {
            return;
        };
        let comp_nodes: Vec<&Node> = match (fields, comps) {
            (Node::Seq(f, _), Node::Seq(c, _)) => {
                if f.len() != c.len() {
                    self.error(
                        comps.pos(),
                        format!(
                            "{what}: {} fields but {} comps (they must have equal length)",
                            f.len(),
                            c.len()
                        ),
                    );
                }
                c.iter().collect()
            }
            (Node::Scalar(..), Node::Scalar(..)) => vec![comps],
            _ => {
                self.error(
                    comps.pos(),
                    format!("{what}: 'comps' must be a list as 'fields' is, or one operator as 'fields' is one field"),
                );
                return;
            }
        };
        for c in comp_nodes {
            match c.as_str() {
                // Falco's binary operators.
                Some(op) if scapbridge_filter::CmpOp::from_word(op).is_some() => {}
                _ => self.error(
                    c.pos(),
                    format!(
                        "{what}: '{}' is not a comparison operator",
                        c.as_str().unwrap_or("?")
                    ),
                ),
            }
        }
    }
}

/// Checks a list, macro or rule item (`kind`); the diagnostics, and its
/// name if it has one.
pub(crate) fn item<'n>(
    file: &Path,
    item: &'n Node,
    kind: &str,
) -> (Vec<Diagnostic>, Option<&'n str>) {
    let mut c = Check {
        file,
        diags: Vec::new(),
    };
    let name = c.name(item, kind);
    let what = format!("{kind} '{}'", name.unwrap_or(""));
    let keys = match kind {
        "list" => LIST_KEYS,
        "macro" => MACRO_KEYS,
        _ => RULE_KEYS,
    };
    c.keys(item, &what, keys);
    c.modes(item, kind, &what);
    let name_pos = item.key(kind).map_or(item.start(), Node::pos);
    let legacy_append = item.get("append").and_then(Node::as_bool) == Some(true);
    match kind {
        "list" if item.get("items").is_none() => {
            c.error(name_pos, format!("{what}: no 'items'"));
        }
        "macro" if item.get("condition").is_none() => {
            c.error(name_pos, format!("{what}: no 'condition'"));
        }
        "rule" => {
            if legacy_append && item.get("condition").is_none() && item.get("exceptions").is_none()
            {
                c.error(
                    name_pos,
                    format!("{what}: an appended rule needs a 'condition' or 'exceptions'"),
                );
            }
            let ov_exc = item
                .get("override")
                .and_then(|o| o.get("exceptions"))
                .and_then(Node::as_str);
            let append = legacy_append || ov_exc == Some("append");
            let source = item
                .get("source")
                .and_then(Node::as_str)
                .unwrap_or("syscall");
            let known = compile::is_known_source(source);
            if let (Some(Node::Seq(exs, _)), Some(rule)) = (item.get("exceptions"), name) {
                for ex in exs {
                    c.exception(ex, rule, append, known);
                }
            }
        }
        _ => {}
    }
    (c.diags, name)
}

/// A version `N` (meaning 0.N.0) or `x.y.z`.
fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    if let Ok(n) = s.parse::<u64>() {
        return Some((0, n, 0));
    }
    let mut it = s.split('.').map(str::parse::<u64>);
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(Ok(a)), Some(Ok(b)), Some(Ok(c)), None) => Some((a, b, c)),
        _ => None,
    }
}

/// `required_engine_version`: a version this engine satisfies (same major,
/// not newer).
pub(crate) fn engine_version(file: &Path, item: &Node) -> Vec<Diagnostic> {
    let mut c = Check {
        file,
        diags: Vec::new(),
    };
    let what = "required_engine_version";
    c.keys(item, what, &[(what, Ty::Name)]);
    let key_pos = item.key(what).map_or(item.pos(), Node::pos);
    let v = item.get(what);
    let text = v.and_then(Node::as_str).filter(|s| !s.is_empty());
    let at = v.filter(|v| !v.is_null()).map_or(key_pos, Node::pos);
    let (a, b, d) = ENGINE_VERSION;
    match text.map(|t| (t, parse_version(t))) {
        None => c.error(at, format!("{what}: must be a number or a version x.y.z")),
        Some((t, None)) => c.error(
            at,
            format!("{what}: '{t}' is not a number or a version x.y.z"),
        ),
        Some((t, Some(req))) if req.0 != a || req > ENGINE_VERSION => c.error(
            at,
            format!(
                "the rules require engine version {t} ({}.{}.{}); this engine is {a}.{b}.{d}",
                req.0, req.1, req.2
            ),
        ),
        Some(_) => {}
    }
    c.diags
}

/// `required_plugin_versions`: a list of `{name, version, alternatives}`.
/// Only the form is checked: this engine evaluates the fields of the
/// sources it knows itself, with no plugin to load.
pub(crate) fn plugin_versions(file: &Path, item: &Node) -> Vec<Diagnostic> {
    let mut c = Check {
        file,
        diags: Vec::new(),
    };
    let what = "required_plugin_versions";
    c.keys(item, what, &[(what, Ty::Seq)]);
    let Some(Node::Seq(reqs, _)) = item.get(what) else {
        return c.diags;
    };
    fn one(c: &mut Check<'_>, r: &Node, alternatives: bool) {
        let what = "required_plugin_versions";
        if !matches!(r, Node::Map(..)) {
            c.error(r.pos(), format!("{what}: each entry must be a mapping"));
            return;
        }
        let mut keys: Vec<(&str, Ty)> = vec![("name", Ty::Str), ("version", Ty::Str)];
        if alternatives {
            keys.push(("alternatives", Ty::Seq));
        }
        c.keys(r, what, &keys);
        for k in ["name", "version"] {
            if r.get(k).is_none() {
                c.error(r.start(), format!("{what}: an entry has no '{k}'"));
            }
        }
        if let Some(v) = r.get("version").and_then(Node::as_str) {
            if parse_version(v).is_none() {
                c.error(
                    r.get("version").map_or(r.pos(), Node::pos),
                    format!("{what}: '{v}' is not a version x.y.z"),
                );
            }
        }
        if let Some(Node::Seq(alts, _)) = r.get("alternatives") {
            for a in alts {
                one(c, a, false);
            }
        }
    }
    for r in reqs {
        one(&mut c, r, true);
    }
    c.diags
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn diags(y: &str) -> Vec<String> {
        match RuleSet::load_str("v.yaml", y) {
            Ok(rs) => rs.warnings.iter().map(ToString::to_string).collect(),
            Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
        }
    }

    fn has(all: &[String], want: &str) {
        assert!(all.iter().any(|d| d == want), "no {want:?} in {all:#?}");
    }

    #[test]
    fn names_items_and_conditions_are_required() {
        let all = diags("- list:\n  items: [a]\n- macro:\n  condition: evt.type=open\n- list: l\n  no_items: x\n- macro: m\n  nope: 1\n");
        has(&all, "v.yaml:1:3: error: list: the name is empty");
        has(&all, "v.yaml:3:3: error: macro: the name is empty");
        has(&all, "v.yaml:5:3: error: list 'l': no 'items'");
        has(
            &all,
            "v.yaml:6:3: warning: list 'l': unknown key 'no_items' (ignored)",
        );
        has(&all, "v.yaml:7:3: error: macro 'm': no 'condition'");
        assert_eq!(all.len(), 6, "{all:#?}");
    }

    #[test]
    fn value_types_and_modes() {
        let y = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  enabled: maybe\n  tags: x\n- rule: r\n  append: true\n- rule: r\n  condition: and proc.name=cat\n  append: true\n  override:\n    condition: append\n- rule: r\n  output: o\n  priority: ERROR\n  override:\n    output: replace\n    source: append\n";
        let all = diags(y);
        has(
            &all,
            "v.yaml:6:12: error: rule 'r': 'enabled' must be true or false",
        );
        has(
            &all,
            "v.yaml:7:9: error: rule 'r': 'tags' must be a list of strings",
        );
        has(
            &all,
            "v.yaml:8:3: error: rule 'r': an appended rule needs a 'condition' or 'exceptions'",
        );
        has(
            &all,
            "v.yaml:12:3: error: rule 'r': 'append' and 'override' cannot be used together",
        );
        has(
            &all,
            "v.yaml:17:3: error: rule 'r': 'priority' is given but not listed under 'override'",
        );
        has(
            &all,
            "v.yaml:20:5: error: rule 'r': 'source' cannot be overridden with append",
        );
    }

    #[test]
    fn exceptions_need_name_fields_and_known_comps() {
        let head = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n";
        let all = diags(&format!("{head}    - fields: [proc.name]\n    - name: nf\n    - name: e\n      fields: [proc.name, proc.nme]\n      comps: [=, no-comp, in]\n"));
        has(
            &all,
            "v.yaml:7:7: error: rule 'r': an exception has no 'name'",
        );
        has(
            &all,
            "v.yaml:8:7: error: rule 'r', exception 'nf': no 'fields'",
        );
        has(
            &all,
            "v.yaml:10:27: error: rule 'r', exception 'e': unknown field 'proc.nme' (did you mean 'proc.name'?)",
        );
        has(&all, "v.yaml:11:14: error: rule 'r', exception 'e': 2 fields but 3 comps (they must have equal length)");
        has(
            &all,
            "v.yaml:11:18: error: rule 'r', exception 'e': 'no-comp' is not a comparison operator",
        );
    }

    #[test]
    fn engine_and_plugin_requirements() {
        let all = diags("- required_engine_version: not-a-number\n- required_engine_version: 9999999\n- required_engine_version: 1.0.0\n- required_engine_version: 0.57.0\n- required_engine_version: 10\n- required_plugin_versions:\n  - name: x\n    version: abc\n  - version: 1.0.0\n- whatever: 1\n");
        has(&all, "v.yaml:1:28: error: required_engine_version: 'not-a-number' is not a number or a version x.y.z");
        has(&all, "v.yaml:2:28: error: the rules require engine version 9999999 (0.9999999.0); this engine is 0.57.0");
        has(&all, "v.yaml:3:28: error: the rules require engine version 1.0.0 (1.0.0); this engine is 0.57.0");
        has(
            &all,
            "v.yaml:8:14: error: required_plugin_versions: 'abc' is not a version x.y.z",
        );
        has(
            &all,
            "v.yaml:9:5: error: required_plugin_versions: an entry has no 'name'",
        );
        has(&all, "v.yaml:10:3: warning: unknown item (ignored): expected list, macro, rule, required_engine_version or required_plugin_versions");
        assert_eq!(all.len(), 6, "{all:#?}");
    }
}
