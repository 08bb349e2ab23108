//! Compiling a condition against the field table and evaluating it on
//! events with the capture's thread and fd state.
//!
//! Semantics follow libsinsp (`shared/specs/falco-rules.md` §1.4): a
//! comparison on a field that cannot be extracted for an event is false (so
//! `not` of it is true), `exists` tells whether it can be; evaluation
//! short-circuits left to right. Values on the right are parsed once, at
//! compile time (numbers, regexes, lists); evaluating allocates only for
//! rendered `evt.arg.*` values and transformers.

use std::borrow::Cow;
use std::fmt;

use scapbridge_formats::event::{value_i64 as sint, value_str};
use scapbridge_formats::schema::{self, Direction, EventInfo, ParamInfo, ParamType, PrintFormat};
use scapbridge_formats::state::{CaptureState, FdEntry, Libs023Names, ThreadEntry};
use scapbridge_formats::{render, Event, Generation};

use super::ast::{CmpOp, Expr, FieldRef, Literal, Modifier, Operand, Rhs, Span};
use super::parser::{self, column, ParseErrors};
use crate::fault::CompileFault;
use crate::provider::FieldError;

mod ancestors;
mod compare;
mod container;
mod extract;
mod fds;
mod fields;
mod groups;
mod number;
mod output;
mod type_set;

pub use compare::glob;
use compare::*;
use container::CField;
use extract::*;
use fds::*;
use fields::*;
use groups::{Group, LeaderPart};
use number::{num, num_wide};
pub use output::{OutputFormat, OutputFormatError};
pub use type_set::TypeSet;

pub use crate::provider::FieldInfo;

/// Every field this engine knows: the syscall fields, the container and
/// Kubernetes fields, and those of the registered providers (CloudTrail's
/// once its crate registered them), in that order.
pub fn fields() -> Vec<FieldInfo> {
    let kind_name = |k: fields::Kind| match k {
        fields::Kind::Str => "CHARBUF",
        fields::Kind::Num => "INT64",
        fields::Kind::Bool => "BOOL",
        fields::Kind::Ip => "IPADDR",
        fields::Kind::Bytes => "BYTEBUF",
    };
    let mut v: Vec<FieldInfo> = fields::PLAIN
        .iter()
        .map(|(n, f, d)| FieldInfo::new(n, kind_name(f.kind()), "syscall", d))
        .collect();
    v.extend(
        fields::WITH_ARG
            .iter()
            .map(|(n, t, d)| FieldInfo::new(n, t, "syscall", d)),
    );
    v.extend(
        ancestors::Attr::NAMED
            .iter()
            .map(|(_, n, a, d)| FieldInfo::new(n, kind_name(a.kind()), "syscall", d)),
    );
    v.extend(container::docs().map(|(n, t, d)| FieldInfo::new(n, t, "syscall", d)));
    v.extend(crate::provider::listed_fields());
    v
}

/// Every field name this engine resolves for system-call events (plugin
/// sources' fields aside; `evt.arg.NAME` and `evt.rawarg.NAME` besides).
pub fn field_names() -> impl Iterator<Item = &'static str> {
    fields::names().chain(container::names())
}

/// The known field closest to a misspelt `name`, if one is close: at most
/// two edits away, and fewer than a third of its length.
pub fn suggest_field(name: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    let len = name.chars().count();
    let limit = 2.min(len.saturating_sub(1) / 3).max(1);
    // A name whose length is further than `limit` from a field's cannot be
    // that close to it: skipped before the quadratic distance, so a huge
    // name (a hostile rules file) costs nothing.
    field_names()
        .filter(|f| f.chars().count().abs_diff(len) <= limit)
        .map(|f| (distance(name, f), f))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, f)| f)
}

/// An error found while compiling (after parsing).
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Where.
    pub span: Span,
    /// What.
    pub fault: CompileFault,
}

/// Why a filter could not be built: every problem, with columns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FilterError {
    /// Syntax errors.
    Syntax(ParseErrors),
    /// Unknown fields, operators a field does not take, bad values.
    Compile {
        /// The condition text.
        source: String,
        /// Every problem.
        errors: Vec<CompileError>,
    },
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Syntax(e) => write!(f, "{e}"),
            FilterError::Compile { source, errors } => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{} at column {}", e.fault, column(source, e.span.start))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// A compiled right-hand side.
#[derive(Debug)]
enum Want {
    Str(String),
    Num(i64),
    Bool(bool),
    Regex(regex::Regex),
    Glob(String, bool),
    StrList(Vec<String>),
    NumList(Vec<i64>),
    Paths(Vec<String>),
    Nets(Vec<(std::net::IpAddr, u8)>),
    /// `bcontains` / `bstartswith`: bytes given in hex.
    Bytes(Vec<u8>),
    /// A number an `evt.rawarg` is compared with, read both ways libsinsp
    /// reads one: as an unsigned parameter takes it (64 bits, `-2`
    /// wrapping) and as a signed one does (saturated to i64).
    RawNum {
        wrapped: i64,
        saturated: i64,
    },
}

#[derive(Debug)]
enum Lhs {
    Field(Field),
    Xform(Xform, Field),
}

#[derive(Debug, Clone, Copy)]
enum Xform {
    ToLower,
    ToUpper,
    Basename,
    Len,
    /// `b64()`: the base64 decoding (missing where it is not base64).
    B64,
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Exists(Field),
    /// `tolower(f) exists`: the field exists and transforms.
    ExistsX(Xform, Field),
    /// `lhs op val(field)`: another field of the same event on the right.
    CmpField {
        lhs: Lhs,
        op: CmpOp,
        rhs: Field,
    },
    /// `evt.type = X` / `evt.type in (...)`: a table lookup instead of
    /// rendering the type name and comparing strings.
    EvtType(TypeSet),
    Cmp {
        lhs: Lhs,
        op: CmpOp,
        modifier: Option<Modifier>,
        want: Want,
    },
}

impl Node {
    /// Whether a field of the condition is one `pred` takes.
    fn any_field(&self, pred: &dyn Fn(&Field) -> bool) -> bool {
        let lhs = |l: &Lhs| match l {
            Lhs::Field(f) | Lhs::Xform(_, f) => pred(f),
        };
        match self {
            Node::And(v) | Node::Or(v) => v.iter().any(|n| n.any_field(pred)),
            Node::Not(n) => n.any_field(pred),
            Node::Exists(f) | Node::ExistsX(_, f) => pred(f),
            Node::CmpField { lhs: l, rhs, .. } => lhs(l) || pred(rhs),
            Node::EvtType(_) => false,
            Node::Cmp { lhs: l, .. } => lhs(l),
        }
    }
}

/// A compiled filter.
#[derive(Debug)]
pub struct Filter {
    root: Node,
    text: String,
}

/// Per-event inputs besides the event: the state after the event was
/// applied, and the event's number in the capture (1-based).
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'s> {
    /// Thread, fd and user tables.
    pub state: &'s CaptureState,
    /// `evt.num`.
    pub num: u64,
}

impl Filter {
    /// Parses and compiles `text`, reporting every problem.
    pub fn new(text: &str) -> Result<Filter, FilterError> {
        let ast = parser::parse(text).map_err(FilterError::Syntax)?;
        Self::from_expr(&ast, text)
    }

    /// Compiles a tree (macros already substituted); `text` is what spans
    /// refer to, for messages.
    pub fn from_expr(ast: &Expr, text: &str) -> Result<Filter, FilterError> {
        let mut errors = Vec::new();
        let root = compile(ast, &mut errors);
        match root {
            Some(root) if errors.is_empty() => Ok(Filter {
                root,
                text: text.to_string(),
            }),
            _ => Err(FilterError::Compile {
                source: text.to_string(),
                errors,
            }),
        }
    }

    /// The condition as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether evaluating needs [`CaptureState::track_latency`] (the
    /// condition names an `evt.latency` field).
    pub fn needs_latency(&self) -> bool {
        self.root
            .any_field(&|f| matches!(f, Field::Time(t) if t.is_latency()))
    }

    /// Whether `ev` matches (call after applying `ev` to the state).
    pub fn matches(&self, ev: &Event<'_>, cx: EvalContext<'_>) -> bool {
        eval(&self.root, ev, &cx)
    }
}

fn compile(e: &Expr, errors: &mut Vec<CompileError>) -> Option<Node> {
    let mut err = |span: Span, fault: CompileFault| {
        errors.push(CompileError { span, fault });
        None
    };
    match e {
        Expr::And(v) => {
            let nodes: Vec<Option<Node>> = v.iter().map(|x| compile(x, errors)).collect();
            nodes.into_iter().collect::<Option<Vec<_>>>().map(Node::And)
        }
        Expr::Or(v) => {
            let nodes: Vec<Option<Node>> = v.iter().map(|x| compile(x, errors)).collect();
            nodes.into_iter().collect::<Option<Vec<_>>>().map(Node::Or)
        }
        Expr::Not(x) => compile(x, errors).map(|n| Node::Not(Box::new(n))),
        Expr::Macro { name, span } => {
            err(*span, CompileFault::UndefinedMacro { name: name.clone() })
        }
        Expr::Exists { lhs, span } => match lhs {
            Operand::Field(r) => lookup(r)
                .map(Node::Exists)
                .or_else(|m| err(r.span, m.into()).ok_or(()))
                .ok(),
            // libs 0.23 takes a transformed field too (`b64(x) exists`).
            Operand::Transformer { name, args, span } => match xform(name, args, *span) {
                Ok((x, f)) => Some(Node::ExistsX(x, f)),
                Err((s, m)) => err(s, m),
            },
            _ => err(*span, CompileFault::ExistsTakesField),
        },
        Expr::Compare {
            lhs: lhs_operand,
            op,
            modifier,
            rhs,
            span,
        } => {
            let lhs = match lhs_operand {
                Operand::Field(r) => match lookup(r) {
                    Ok(f) => Lhs::Field(f),
                    Err(m) => return err(r.span, m.into()),
                },
                Operand::Transformer { name, args, span } => match xform(name, args, *span) {
                    Ok((x, f)) => Lhs::Xform(x, f),
                    Err((s, m)) => return err(s, m),
                },
                Operand::Literal(l) => return err(l.span, CompileFault::StartsWithField),
            };
            let kind = match &lhs {
                // evt.rawarg is a number or a string depending on the event:
                // take the right side's word for it.
                Lhs::Field(Field::EvtRawArg(_)) => match rhs {
                    Rhs::Value(l) if parser::is_number(&l.text) => Kind::Num,
                    Rhs::List(items, _)
                        if !items.is_empty()
                            && items.iter().all(|l| parser::is_number(&l.text)) =>
                    {
                        Kind::Num
                    }
                    _ => Kind::Str,
                },
                Lhs::Field(f) => f.kind(),
                Lhs::Xform(Xform::Len, _) => Kind::Num,
                Lhs::Xform(..) => Kind::Str,
            };
            if let Rhs::Val(r) = rhs {
                // The ancestor fields are neither side of a field
                // comparison (libs' EPF_NO_RHS).
                if let (Lhs::Field(Field::Ancestor(..)), Operand::Field(l)) = (&lhs, lhs_operand) {
                    let field = l.name.clone();
                    return err(
                        l.span,
                        CompileFault::NoRhsField {
                            field,
                            as_rhs: false,
                        },
                    );
                }
                return match lookup(r) {
                    Ok(Field::Ancestor(..)) => {
                        let field = r.name.clone();
                        err(
                            r.span,
                            CompileFault::NoRhsField {
                                field,
                                as_rhs: true,
                            },
                        )
                    }
                    Ok(f) => Some(Node::CmpField {
                        lhs,
                        op: *op,
                        rhs: f,
                    }),
                    Err(m) => err(r.span, m.into()),
                };
            }
            // evt.type always exists, so `!=` is the negation of `=`.
            if let (Lhs::Field(Field::EvtType), None) = (&lhs, modifier) {
                let names: Option<Vec<&str>> = match (op, rhs) {
                    (CmpOp::Eq | CmpOp::Ne, Rhs::Value(l)) => Some(vec![l.text.as_str()]),
                    (CmpOp::In | CmpOp::Intersects, Rhs::List(items, _)) => {
                        Some(items.iter().map(|l| l.text.as_str()).collect())
                    }
                    _ => None,
                };
                if let Some(names) = names {
                    let set = Node::EvtType(TypeSet::from_names(names));
                    return Some(if *op == CmpOp::Ne {
                        Node::Not(Box::new(set))
                    } else {
                        set
                    });
                }
            }
            let raw = matches!(lhs, Lhs::Field(Field::EvtRawArg(_)));
            match want(kind, *op, rhs, *span, raw) {
                Ok(w) => Some(Node::Cmp {
                    lhs,
                    op: *op,
                    modifier: *modifier,
                    want: w,
                }),
                Err((s, m)) => err(s, m),
            }
        }
    }
}

/// What a comparison's right side must be. `raw`: the left side is an
/// `evt.rawarg`, whose type each event decides.
fn want(
    kind: Kind,
    op: CmpOp,
    rhs: &Rhs,
    span: Span,
    raw: bool,
) -> Result<Want, (Span, CompileFault)> {
    let undefined_list = |n: &str| CompileFault::UndefinedList {
        name: n.to_string(),
    };
    let one = |rhs: &Rhs| -> Result<Literal, (Span, CompileFault)> {
        match rhs {
            Rhs::Value(l) => Ok(l.clone()),
            Rhs::List(_, s) => Err((*s, CompileFault::TakesOneValue { op: op.as_str() })),
            Rhs::ListName(n, s) => Err((*s, undefined_list(n))),
            Rhs::Val(r) => Err((r.span, CompileFault::ValUnsupported)),
            Rhs::Transformer(_) => Err((span, CompileFault::RightTransformerUnsupported)),
        }
    };
    let list = |rhs: &Rhs| -> Result<Vec<Literal>, (Span, CompileFault)> {
        match rhs {
            Rhs::List(v, _) => Ok(v.clone()),
            Rhs::ListName(n, s) => Err((*s, undefined_list(n))),
            _ => Err((span, CompileFault::TakesList { op: op.as_str() })),
        }
    };
    let bad_op = || {
        Err((
            span,
            CompileFault::OperatorKind {
                op: op.as_str(),
                kind: match kind {
                    Kind::Str => "string",
                    Kind::Num => "numeric",
                    Kind::Bool => "boolean",
                    Kind::Ip => "address",
                    Kind::Bytes => "byte buffer",
                },
            },
        ))
    };
    use CmpOp::*;
    let net = |l: &Literal| -> Result<(std::net::IpAddr, u8), (Span, CompileFault)> {
        let (a, p) = match l.text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (l.text.as_str(), None),
        };
        let ip: std::net::IpAddr = a.parse().map_err(|_| {
            (
                l.span,
                CompileFault::NotAnAddress {
                    text: l.text.clone(),
                },
            )
        })?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|n| *n <= max).ok_or_else(|| {
                (
                    l.span,
                    CompileFault::BadPrefix {
                        text: l.text.clone(),
                    },
                )
            })?,
            None => max,
        };
        Ok((ip, prefix))
    };
    match (kind, op) {
        (Kind::Ip, Eq | Ne) => Ok(Want::Nets(vec![net(&one(rhs)?)?])),
        (Kind::Ip, In | Intersects) => Ok(Want::Nets(
            list(rhs)?.iter().map(net).collect::<Result<_, _>>()?,
        )),
        (_, In | Intersects) => {
            let items = list(rhs)?;
            match kind {
                Kind::Num => Ok(Want::NumList(
                    items.iter().map(num).collect::<Result<_, _>>()?,
                )),
                _ => Ok(Want::StrList(items.into_iter().map(|l| l.text).collect())),
            }
        }
        // libs 0.23: "'bcontains' operator not supported for string filters".
        (Kind::Bytes, BContains | BStartsWith) => {
            let l = one(rhs)?;
            hex(&l.text).map(Want::Bytes).ok_or_else(|| {
                (
                    l.span,
                    CompileFault::NotHexBytes {
                        text: l.text.clone(),
                    },
                )
            })
        }
        (Kind::Bytes, Eq | Ne | Contains | StartsWith) => {
            Ok(Want::Bytes(one(rhs)?.text.into_bytes()))
        }
        (Kind::Str, PMatch) => Ok(Want::Paths(
            list(rhs)?.into_iter().map(|l| l.text).collect(),
        )),
        (Kind::Num, Eq | Ne | Lt | Le | Gt | Ge) if raw => {
            let l = one(rhs)?;
            Ok(Want::RawNum {
                // The low 64 bits: stoull's wrap of `-2` and of a number
                // above i64::MAX alike.
                wrapped: num_wide(&l)? as i64,
                saturated: num(&l)?,
            })
        }
        (Kind::Num, Eq | Ne | Lt | Le | Gt | Ge) => Ok(Want::Num(num(&one(rhs)?)?)),
        (Kind::Bool, Eq | Ne) => {
            let l = one(rhs)?;
            match l.text.as_str() {
                "true" => Ok(Want::Bool(true)),
                "false" => Ok(Want::Bool(false)),
                _ => Err((l.span, CompileFault::NotABool { text: l.text })),
            }
        }
        (Kind::Str, Regex) => {
            let l = one(rhs)?;
            // libsinsp's regex is a full (anchored) match.
            regex::RegexBuilder::new(&format!("^(?:{})$", l.text))
                // Bounded nesting and size: the regex compiler recurses per
                // nesting level, and a condition may come from anywhere.
                .nest_limit(64)
                .size_limit(1 << 20)
                .build()
                .map(Want::Regex)
                .map_err(|error| {
                    (
                        l.span,
                        CompileFault::BadRegex {
                            text: l.text.clone(),
                            error,
                        },
                    )
                })
        }
        (Kind::Str, Glob) => Ok(Want::Glob(one(rhs)?.text, false)),
        (Kind::Str, IGlob) => Ok(Want::Glob(one(rhs)?.text.to_lowercase(), true)),
        (Kind::Str, Eq | Ne | Contains | IContains | StartsWith | EndsWith) if rhs_is_list(rhs) => {
            Ok(Want::StrList(
                list(rhs)?.into_iter().map(|l| l.text).collect(),
            ))
        }
        (Kind::Str, Eq | Ne | Contains | StartsWith | EndsWith) => Ok(Want::Str(one(rhs)?.text)),
        (Kind::Str, IContains) => Ok(Want::Str(one(rhs)?.text.to_lowercase())),
        (Kind::Str, Lt | Le | Gt | Ge) => {
            Err((span, CompileFault::StringOrdering { op: op.as_str() }))
        }
        _ => bad_op(),
    }
}

/// `2f41` as bytes (libs takes an even number of hex digits).
fn hex(t: &str) -> Option<Vec<u8>> {
    if t.is_empty() || !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A transformer of one field: which, and the field.
fn xform(name: &str, args: &[Operand], span: Span) -> Result<(Xform, Field), (Span, CompileFault)> {
    let x = match name {
        "tolower" => Xform::ToLower,
        "toupper" => Xform::ToUpper,
        "basename" => Xform::Basename,
        "len" => Xform::Len,
        "b64" => Xform::B64,
        other => {
            return Err((
                span,
                CompileFault::UnsupportedTransformer {
                    name: other.to_string(),
                },
            ))
        }
    };
    match args {
        [Operand::Field(r)] => match lookup(r) {
            Ok(Field::Ancestor(..)) => Err((
                r.span,
                CompileFault::NoTransformer {
                    field: r.name.clone(),
                },
            )),
            Ok(f) => Ok((x, f)),
            Err(m) => Err((r.span, m.into())),
        },
        _ => Err((
            span,
            CompileFault::TransformerTakesOneField {
                name: name.to_string(),
            },
        )),
    }
}

fn rhs_is_list(rhs: &Rhs) -> bool {
    matches!(rhs, Rhs::List(..))
}

fn eval(n: &Node, ev: &Event<'_>, cx: &EvalContext<'_>) -> bool {
    match n {
        Node::EvtType(t) => t.matches(ev, cx.state),
        Node::And(v) => v.iter().all(|x| eval(x, ev, cx)),
        Node::Or(v) => v.iter().any(|x| eval(x, ev, cx)),
        Node::Not(x) => !eval(x, ev, cx),
        Node::Exists(f) => extract(f, ev, cx).is_some(),
        Node::ExistsX(x, f) => extract(f, ev, cx).and_then(|v| transform(*x, v)).is_some(),
        Node::CmpField { lhs, op, rhs } => {
            let value = match lhs {
                Lhs::Field(f) => extract(f, ev, cx),
                Lhs::Xform(x, f) => extract(f, ev, cx).and_then(|v| transform(*x, v)),
            };
            match (value, extract(rhs, ev, cx)) {
                (Some(a), Some(b)) => compare_values(&a, *op, &b),
                _ => false,
            }
        }
        Node::Cmp {
            lhs,
            op,
            modifier,
            want,
        } => {
            let test = |value: &Value<'_>| match (modifier, want) {
                (Some(m), Want::StrList(items)) => {
                    let hits = items.iter().filter(|w| compare_str(value, *op, w)).count();
                    match m {
                        Modifier::OneOf => hits == 1,
                        Modifier::AnyOf => hits >= 1,
                        Modifier::AllOf => !items.is_empty() && hits == items.len(),
                    }
                }
                (None, Want::StrList(items)) if !matches!(op, CmpOp::In | CmpOp::Intersects) => {
                    items.iter().any(|w| compare_str(value, *op, w))
                }
                _ => compare(value, *op, want),
            };
            match lhs {
                Lhs::Field(Field::Ancestor(attr, None)) => {
                    ancestors::any_holds(*attr, ev, cx, test)
                }
                Lhs::Field(f) => extract(f, ev, cx).is_some_and(|v| test(&v)),
                Lhs::Xform(x, f) => extract(f, ev, cx)
                    .and_then(|v| transform(*x, v))
                    .is_some_and(|v| test(&v)),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_fnmatch_without_pathname() {
        assert!(glob(b"/var/*", b"/var/run/file.txt"));
        assert!(glob(b"*.txt", b"a.txt"));
        assert!(!glob(b"*.txt", b"a.txd"));
        assert!(glob(b"a?c", b"abc"));
        assert!(glob(b"[a-c]x", b"bx"));
        assert!(!glob(b"[!a-c]x", b"bx"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"a", b""));
    }

    #[test]
    fn pmatch_whole_components() {
        assert!(pmatch("/var/run", "/var/run"));
        assert!(pmatch("/var/run", "/var/run/x"));
        assert!(!pmatch("/var/run", "/var/runx"));
        assert!(pmatch("/var/*/x", "/var/lib/x/y"));
    }

    #[test]
    fn compile_errors_are_all_reported() {
        let e = Filter::new(
            "proc.nme = bash and fd.num = abc or proc.pid regex x or proc.name regex '('",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("unknown field 'proc.nme' (did you mean 'proc.name'?) at column 1"),
            "{s}"
        );
        assert_eq!(suggest_field("proc.nme"), Some("proc.name"));
        assert_eq!(suggest_field("fd.nmae"), Some("fd.name"));
        assert_eq!(suggest_field("container.imag"), Some("container.image"));
        assert_eq!(suggest_field("not.exist"), None);
        assert_eq!(suggest_field("proc.nobody"), None);
        assert!(s.contains("'abc' is not a number at column 30"), "{s}");
        assert!(
            s.contains("operator 'regex' does not apply to a numeric field"),
            "{s}"
        );
        assert!(s.contains("bad regex"), "{s}");
        let e = Filter::new("proc.name regex '(' and x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad regex"), "{e}");
        assert!(e.contains("undefined macro 'x'"), "{e}");
        assert!(Filter::new("fd.num regex 3").is_err());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod libs023_tests {
    use super::*;

    #[test]
    fn b64_hex_and_field_comparisons() {
        let text = |v: Option<Value<'_>>| v.map(|v| v.into_text().into_owned());
        let b64 = |s: &'static str| text(transform(Xform::B64, Value::Str(Cow::Borrowed(s))));
        assert_eq!(b64("Y2F0").as_deref(), Some("cat"));
        assert_eq!(b64("Y2E=").as_deref(), Some("ca"));
        assert_eq!(b64("Yw==").as_deref(), Some("c"));
        assert_eq!(b64("sh"), None, "not a multiple of 4");
        assert_eq!(b64("Y2F*"), None, "not base64");
        assert_eq!(hex("7f454c46"), Some(b"\x7fELF".to_vec()));
        assert_eq!(hex("7f4"), None);
        let n = |v| Value::Num(v);
        assert!(compare_values(&n(3), CmpOp::Lt, &n(4)));
        assert!(!compare_values(&n(4), CmpOp::Ne, &n(4)));
        let s = |v: &'static str| Value::Str(Cow::Borrowed(v));
        assert!(compare_values(&s("bash"), CmpOp::Eq, &s("bash")));
        assert!(compare_values(
            &s("/usr/bin/cat"),
            CmpOp::EndsWith,
            &s("cat")
        ));
        assert!(!compare_values(&s("cat"), CmpOp::Eq, &n(3)));
        let b = Value::Bytes(Cow::Borrowed(b"\x7fELF\x02"));
        assert!(compare(
            &b,
            CmpOp::BStartsWith,
            &Want::Bytes(hex("7f454c46").unwrap())
        ));
        assert!(compare(
            &b,
            CmpOp::BContains,
            &Want::Bytes(hex("4c46").unwrap())
        ));
        assert!(!compare(
            &b,
            CmpOp::BContains,
            &Want::Bytes(hex("4646").unwrap())
        ));
    }

    #[test]
    fn libs023_syntax_compiles() {
        for f in [
            "proc.name = val(proc.pname)",
            "b64(evt.arg.data) exists",
            "evt.buffer bcontains 2f",
            "evt.buffer bstartswith 7f454c46",
        ] {
            assert!(Filter::new(f).is_ok(), "{f}");
        }
        // libs 0.23 rejects bytes operators on strings, and odd hex.
        for f in ["proc.name bcontains 63", "evt.buffer bcontains 2"] {
            assert!(Filter::new(f).is_err(), "{f}");
        }
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    /// Every name suggestions offer is one the engine resolves (the field
    /// tables are the lookup, so no name can be matched and missing here).
    #[test]
    fn names_are_the_names_matched() {
        let names: Vec<&str> = field_names().collect();
        assert!(names.len() > 30);
        for n in names {
            let arg = match n {
                "k8s.pod.label" => "[app]",
                "evt.arg" | "evt.rawarg" => "[1]",
                _ => "",
            };
            let expr = format!("{n}{arg} exists");
            assert!(Filter::new(&expr).is_ok(), "{expr}");
        }
    }

    #[test]
    fn every_listed_field_compiles_and_every_name_is_listed_once() {
        let list = fields();
        let mut seen = std::collections::BTreeSet::new();
        for f in &list {
            assert!(seen.insert(f.name.clone()), "{} listed twice", f.name);
            let name = f.name.replace("[N]", "[1]").replace("[KEY]", "[app]");
            let expr = format!("{name} exists");
            assert!(
                Filter::new(&expr).is_ok(),
                "{expr}: {:?}",
                Filter::new(&expr).err()
            );
        }
        assert!(list.len() > 80, "{} fields", list.len());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod depth_tests {
    use super::*;

    #[test]
    fn nested_regex_repetitions_are_refused_not_a_stack_overflow() {
        let text = format!("proc.name regex 'x{}'", "*".repeat(5000));
        let h = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Filter::new(&text).is_err())
            .unwrap();
        assert!(h.join().expect("no stack overflow"));
    }

    #[test]
    fn deepest_accepted_condition_compiles_and_drops_on_a_small_stack() {
        for (open, close) in [("(", ")"), ("not (", ")"), ("(not ", ")")] {
            let n = 250;
            let text = format!("{}proc.name = cat{}", open.repeat(n), close.repeat(n));
            let h = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    Filter::new(&text)
                        .map(|f| f.text().len())
                        .map_err(|e| e.to_string())
                })
                .unwrap();
            let r = h.join().expect("no stack overflow");
            let _ = r;
        }
    }
}
