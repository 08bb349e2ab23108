//! A YAML tree that keeps the line and column of every node, built from
//! yaml-rust2's event parser (its own tree drops positions, and rule errors
//! must say file:line:col).

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

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

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _, _) => Some(s),
            _ => None,
        }
    }

    /// A mapping's value for `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(kv, _) => kv
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
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

#[derive(Default)]
struct Builder {
    stack: Vec<Node>,
    keys: Vec<Option<Node>>,
    docs: Vec<Node>,
    anchors: Vec<(usize, Node)>,
    anchor_ids: Vec<usize>,
}

impl Builder {
    fn push_value(&mut self, n: Node) {
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
}

impl MarkedEventReceiver for Builder {
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
                if anchor > 0 {
                    self.anchors.push((anchor, n.clone()));
                }
                self.push_value(n);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Node::Seq(Vec::new(), pos(mark)));
                self.anchor_ids.push(anchor);
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Node::Map(Vec::new(), pos(mark)));
                self.keys.push(None);
                self.anchor_ids.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(n) = self.stack.pop() {
                    if matches!(n, Node::Map(..)) {
                        self.keys.pop();
                    }
                    let anchor = self.anchor_ids.pop().unwrap_or(0);
                    if anchor > 0 {
                        self.anchors.push((anchor, n.clone()));
                    }
                    self.push_value(n);
                }
            }
            Event::Alias(id) => {
                let n = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                self.push_value(n.unwrap_or(Node::Scalar(String::new(), false, pos(mark))));
            }
            _ => {}
        }
    }
}

/// A YAML syntax error.
#[derive(Debug, Clone)]
pub struct YamlError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// Parses every document of `text`.
pub fn load(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder::default();
    let mut p = Parser::new_from_str(text);
    p.load(&mut b, true).map_err(|e| YamlError {
        pos: pos(*e.marker()),
        message: e.info().to_string(),
    })?;
    Ok(b.docs)
}
