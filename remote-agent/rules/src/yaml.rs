//! A YAML tree that keeps the line and column of every node, built from
//! yaml-rust2's event parser (its own tree drops positions, and rule errors
//! must say file:line:col), within the limits of [`super::limits`] on the
//! nodes it makes (aliases included) and its nesting.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::limits::{Limit, MAX_ALIAS_NODES, MAX_YAML_DEPTH, MAX_YAML_NODES};

/// Line and column (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
}

/// A YAML node.
#[derive(Debug, Clone)]
pub enum Node {
    /// A scalar: its text, whether it was a block scalar (`|`/`>`), position.
    Scalar(String, bool, Pos),
    /// A sequence.
    Seq(Vec<Node>, Pos),
    /// A mapping, in order.
    Map(Vec<(Node, Node)>, Pos),
}

impl Node {
    /// Where the node starts.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar(_, _, p) | Node::Seq(_, p) | Node::Map(_, p) => *p,
        }
    }

    /// Where the node's text starts: a block mapping's first key (the
    /// parser places the mapping itself after that key).
    pub fn start(&self) -> Pos {
        match self {
            Node::Map(kv, p) => kv.first().map_or(*p, |(k, _)| k.pos()),
            other => other.pos(),
        }
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _, _) => Some(s),
            _ => None,
        }
    }

    /// A mapping's value for `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// A mapping's key node for `key` (where the key is written).
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(k, _)| k)
    }

    /// A mapping's first entry whose key is the scalar `key`.
    fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match self {
            Node::Map(kv, _) => kv.iter().find(|(k, _)| k.as_str() == Some(key)),
            _ => None,
        }
    }

    /// A plain scalar read as a boolean the way yaml-cpp reads one for
    /// Falco (`true`/`false`, `yes`/`no`, `on`/`off`, `y`/`n`, any case).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Scalar(s, _, _) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" => Some(true),
                "false" | "no" | "off" | "n" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the node is a YAML null (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar(s, false, _) if s.is_empty() || s == "~" || s == "null")
    }
}

fn pos(m: Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

/// Builds the tree from parser events, counting the nodes it makes so an
/// alias bomb is refused before it is expanded (see [`super::limits`]).
#[derive(Default)]
struct Builder {
    stack: Vec<Node>,
    /// Nodes under each open container (itself included).
    sizes: Vec<u64>,
    keys: Vec<Option<Node>>,
    docs: Vec<Node>,
    /// Anchored nodes by anchor id (yaml-rust2 numbers each anchor
    /// definition anew), with their size; a map, as a file may hold many.
    anchors: HashMap<usize, (Node, u64)>,
    anchor_ids: Vec<usize>,
    /// Nodes made so far, copies for anchors and aliases included.
    nodes: u64,
    /// Nodes made by aliases so far.
    alias_nodes: u64,
    /// The first limit exceeded: loading stops there.
    error: Option<YamlError>,
}

impl Builder {
    fn push_value(&mut self, n: Node, size: u64) {
        if let Some(s) = self.sizes.last_mut() {
            *s = s.saturating_add(size);
        }
        match self.stack.last_mut() {
            None => self.docs.push(n),
            Some(Node::Seq(v, _)) => v.push(n),
            Some(Node::Map(kv, _)) => {
                let slot = self.keys.last_mut();
                match slot {
                    Some(k @ None) => *k = Some(n),
                    Some(k) => {
                        if let Some(key) = k.take() {
                            kv.push((key, n));
                        }
                    }
                    None => {}
                }
            }
            Some(Node::Scalar(..)) => {}
        }
    }

    /// Counts `n` more nodes made at `mark` (`alias`: by an alias); false
    /// (and the error recorded) if that exceeds a limit.
    fn count(&mut self, n: u64, alias: bool, mark: Marker) -> bool {
        self.nodes = self.nodes.saturating_add(n);
        if alias {
            self.alias_nodes = self.alias_nodes.saturating_add(n);
        }
        let over = if alias && self.alias_nodes > MAX_ALIAS_NODES {
            Some((Limit::AliasNodes, self.alias_nodes))
        } else if self.nodes > MAX_YAML_NODES {
            Some((Limit::YamlNodes, self.nodes))
        } else {
            None
        };
        match over {
            Some((limit, found)) => {
                self.refuse(mark, limit, limit.exceeded(found));
                false
            }
            None => true,
        }
    }

    fn refuse(&mut self, mark: Marker, limit: Limit, message: String) {
        self.error = Some(YamlError {
            pos: pos(mark),
            message,
            limit: Some(limit),
        });
    }

    fn open(&mut self, n: Node, anchor: usize, mark: Marker) {
        if self.stack.len() >= MAX_YAML_DEPTH {
            let m = Limit::YamlDepth.exceeded(self.stack.len() as u64 + 1);
            self.refuse(mark, Limit::YamlDepth, m);
            return;
        }
        if !self.count(1, false, mark) {
            return;
        }
        if matches!(n, Node::Map(..)) {
            self.keys.push(None);
        }
        self.stack.push(n);
        self.sizes.push(1);
        self.anchor_ids.push(anchor);
    }
}

impl Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(s, style, anchor, _) => {
                let block = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                );
                // Quoted empty strings are not null; mark them as "block" so
                // is_null() does not take them.
                let n = Node::Scalar(s, block || quoted, pos(mark));
                // An anchored node is kept twice: in the tree and for aliases.
                if !self.count(if anchor > 0 { 2 } else { 1 }, false, mark) {
                    return;
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, (n.clone(), 1));
                }
                self.push_value(n, 1);
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Node::Seq(Vec::new(), pos(mark)), anchor, mark);
            }
            Event::MappingStart(anchor, _) => {
                self.open(Node::Map(Vec::new(), pos(mark)), anchor, mark);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(n) = self.stack.pop() {
                    if matches!(n, Node::Map(..)) {
                        self.keys.pop();
                    }
                    let size = self.sizes.pop().unwrap_or(1);
                    let anchor = self.anchor_ids.pop().unwrap_or(0);
                    if anchor > 0 {
                        if !self.count(size, false, mark) {
                            return;
                        }
                        self.anchors.insert(anchor, (n.clone(), size));
                    }
                    self.push_value(n, size);
                }
            }
            // Anchors belong to their document.
            Event::DocumentStart => self.anchors.clear(),
            Event::Alias(id) => {
                let Some(&(_, size)) = self.anchors.get(&id) else {
                    let n = Node::Scalar(String::new(), false, pos(mark));
                    self.push_value(n, 1);
                    return;
                };
                // Sized before it is copied: a bomb never gets built.
                if !self.count(size, true, mark) {
                    return;
                }
                if let Some((n, _)) = self.anchors.get(&id) {
                    let n = n.clone();
                    self.push_value(n, size);
                }
            }
            _ => {}
        }
    }
}

/// A YAML syntax error, or a limit the file exceeds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct YamlError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
    /// The limit exceeded, if that is the error.
    pub limit: Option<Limit>,
}

/// Parses every document of `text`.
pub fn load(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder::default();
    let mut p = Parser::new_from_str(text);
    // Events are pulled one by one rather than with `Parser::load`, which
    // recurses once per nesting level and overflows the stack on a file
    // nested thousands deep; and loading stops at the first limit.
    loop {
        let (ev, mark) = p.next_token().map_err(|e| YamlError {
            pos: pos(*e.marker()),
            message: e.info().to_string(),
            limit: None,
        })?;
        let end = ev == Event::StreamEnd;
        b.on_event(ev, mark);
        if let Some(e) = b.error {
            return Err(e);
        }
        if end {
            return Ok(b.docs);
        }
    }
}
