//! The reader and collector: YAML documents into list, macro and rule
//! definitions, with `append`, `override`, `enabled` and every problem
//! found, each with its place.

use super::*;

#[derive(Debug, Clone)]
pub(crate) struct ListDef {
    pub(crate) items: Vec<String>,
    /// Where it was (first) defined.
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) struct MacroDef {
    pub(crate) condition: String,
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
    pub(crate) order: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct RuleDef {
    pub(crate) name: String,
    pub(crate) desc: String,
    pub(crate) condition: String,
    pub(crate) output: String,
    pub(crate) priority: Option<Priority>,
    pub(crate) source: String,
    pub(crate) tags: Vec<String>,
    pub(crate) enabled: bool,
    pub(crate) exceptions: Vec<Node>,
    pub(crate) capture: bool,
    pub(crate) capture_duration_ms: Option<u64>,
    pub(crate) skip_if_unknown_filter: bool,
    /// `warn_evttypes` (default true).
    pub(crate) warn_evttypes: bool,
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
    pub(crate) cond_pos: Pos,
}

#[derive(Default)]
pub(crate) struct Loader {
    pub(crate) lists: HashMap<String, ListDef>,
    pub(crate) list_order: Vec<String>,
    pub(crate) macros: HashMap<String, MacroDef>,
    pub(crate) macro_count: usize,
    pub(crate) rules: Vec<RuleDef>,
    pub(crate) diags: Vec<Diagnostic>,
}

impl Loader {
    pub(crate) fn diag(&mut self, severity: Severity, file: &Path, pos: Pos, message: String) {
        self.diags.push(Diagnostic {
            severity,
            file: file.to_path_buf(),
            pos,
            message,
            limit: None,
        });
    }

    pub(crate) fn strings(&mut self, file: &Path, n: &Node, what: &str) -> Vec<String> {
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
    pub(crate) fn mode(item: &Node, key: &str) -> (bool, bool) {
        let legacy_append = item.get("append").and_then(Node::as_bool) == Some(true);
        let ov = item
            .get("override")
            .and_then(|o| o.get(key))
            .and_then(Node::as_str);
        (legacy_append || ov == Some("append"), ov == Some("replace"))
    }

    pub(crate) fn load_file(&mut self, file: &Path, text: &str) {
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

    pub(crate) fn load_item(&mut self, file: &Path, item: &Node) {
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
        // The kind is the first of Falco's keys the item has, whatever
        // its value: `- list:` with no name is a list without a name.
        let Some(kind) = validate::KINDS.iter().find(|k| item.get(k).is_some()) else {
            self.diag(
                Severity::Warning,
                file,
                item.start(),
                "unknown item (ignored): expected list, macro, rule, required_engine_version or required_plugin_versions".into(),
            );
            return;
        };
        let (diags, name) = match *kind {
            "required_engine_version" => (validate::engine_version(file, item), None),
            "required_plugin_versions" => (validate::plugin_versions(file, item), None),
            k => validate::item(file, item, k),
        };
        // An item Falco would refuse is left out: its errors are said, and
        // what it would have changed does not add errors of its own.
        let refused = diags.iter().any(|d| d.severity == Severity::Error);
        self.diags.extend(diags);
        let Some(name) = name.filter(|_| !refused) else {
            return;
        };
        match *kind {
            "list" => self.load_list(file, item, name),
            "macro" => self.load_macro(file, item, name),
            _ => self.load_rule(file, item, name),
        }
    }

    fn load_list(&mut self, file: &Path, item: &Node, name: &str) {
        let pos = item.pos();
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
    }

    fn load_macro(&mut self, file: &Path, item: &Node, name: &str) {
        let pos = item.pos();
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
    }

    pub(crate) fn load_rule(&mut self, file: &Path, item: &Node, name: &str) {
        let pos = item.pos();
        let text = |k: &str| item.get(k).and_then(Node::as_str).map(str::to_string);
        let enabled = item.get("enabled").and_then(Node::as_bool);
        let exists = self.rules.iter().position(|r| r.name == name);
        let (append_cond, _) = Self::mode(item, "condition");
        let (append_exc, _) = Self::mode(item, "exceptions");
        let (append_out, _) = Self::mode(item, "output");
        let legacy_append = item.get("append").and_then(Node::as_bool) == Some(true);
        let has_override = item.get("override").is_some() || legacy_append;
        if let Some(i) = exists {
            // Redefinition, append/override, or just `enabled:`.
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
        if has_override {
            self.diag(
                Severity::Error,
                file,
                item.key("rule").map_or(pos, Node::pos),
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
            capture: item.get("capture").and_then(Node::as_bool) == Some(true),
            capture_duration_ms: text("capture_duration").and_then(|v| v.parse().ok()),
            warn_evttypes: item.get("warn_evttypes").and_then(Node::as_bool) != Some(false),
            skip_if_unknown_filter: item.get("skip-if-unknown-filter").and_then(Node::as_bool)
                == Some(true),
            file: file.to_path_buf(),
            pos,
            cond_pos: item.get("condition").map_or(pos, Node::pos),
        });
    }
}
