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
use scapbridge_formats::schema::{self, Direction, ParamType};
use scapbridge_formats::state::{CaptureState, ThreadEntry};
use scapbridge_formats::{render, Event};

use super::ast::{CmpOp, Expr, FieldRef, Literal, Modifier, Operand, Rhs, Span};
use super::parser::{self, column, ParseErrors};

/// An error found while compiling (after parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// Where.
    pub span: Span,
    /// What.
    pub message: String,
}

/// Why a filter could not be built: every problem, with columns.
#[derive(Debug, Clone, PartialEq, Eq)]
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
                    write!(
                        f,
                        "{} at column {}",
                        e.message,
                        column(source, e.span.start)
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// The fields this engine extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    EvtType,
    EvtDir,
    EvtNum,
    EvtCpu,
    EvtRes,
    EvtRawRes,
    EvtFailed,
    EvtArg(ArgSel),
    EvtRawArg(ArgSel),
    ThreadTid,
    ProcPid,
    ProcPpid,
    ProcName,
    ProcPname,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcCwd,
    UserUid,
    UserName,
    GroupGid,
    GroupName,
    FdNum,
    FdName,
    FdType,
    FdTypechar,
    FdDirectory,
    FdFilename,
    ProcAname(Option<usize>),
    ProcAexepath(usize),
    ProcPcmdline,
    ProcPexe,
    ProcPexepath,
    EvtArgs,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    FdL4proto,
    FdNameraw,
    FdSip,
    FdCip,
    FdSport,
    FdCport,
    FdLport,
    FdRport,
    FdConnected,
    FdNameChanged,
    FdIp,
    FdNet,
    FdSnet,
    ContainerId,
    /// `evt.time.iso8601`.
    EvtTimeIso8601,
    /// A field a source provides (`ct.*`, `json.value[…]`, … for
    /// CloudTrail; see [`crate::provider`]): missing on other events.
    Plugin(crate::provider::Provided),
    /// Fields whose source this engine does not have yet (container
    /// runtime, capabilities, login uid, terminal, inode times): known, so
    /// rules compile, but never extracted, so comparisons on them are false.
    Unavailable(Kind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ArgSel {
    Name(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
    /// IP addresses: compared with an address or a CIDR network.
    Ip,
}

impl Field {
    fn kind(&self) -> Kind {
        use Field::*;
        match self {
            EvtNum | EvtCpu | EvtRawRes | ThreadTid | ProcPid | ProcPpid | UserUid | GroupGid
            | FdNum | FdSport | FdCport | FdLport | FdRport => Kind::Num,
            EvtFailed | EvtIsOpenRead | EvtIsOpenWrite | FdConnected | FdNameChanged => Kind::Bool,
            FdIp | FdNet | FdSnet | FdSip | FdCip => Kind::Ip,
            Unavailable(k) => *k,
            Plugin(f) if f.0.is_numeric() => Kind::Num,
            _ => Kind::Str,
        }
    }
}

fn lookup(r: &FieldRef) -> Result<Field, String> {
    use Field::*;
    let arg_sel = |a: &Option<String>| -> Result<ArgSel, String> {
        match a {
            Some(a) => a
                .parse::<usize>()
                .map(ArgSel::Index)
                .or_else(|_| Ok(ArgSel::Name(a.clone()))),
            None => Err(format!(
                "'{}' needs an argument: {}[N] or {}.NAME",
                r.name, r.name, r.name
            )),
        }
    };
    if let Some(f) = crate::provider::lookup(&r.name, r.arg.as_deref()) {
        return f.map(|f| Plugin(crate::provider::Provided(f)));
    }
    if let Some(name) = r.name.strip_prefix("evt.arg.") {
        return Ok(EvtArg(ArgSel::Name(name.to_string())));
    }
    if let Some(name) = r.name.strip_prefix("evt.rawarg.") {
        return Ok(EvtRawArg(ArgSel::Name(name.to_string())));
    }
    let f =
        match r.name.as_str() {
            "evt.type" => EvtType,
            "evt.dir" => EvtDir,
            "evt.num" => EvtNum,
            "evt.cpu" => EvtCpu,
            "evt.res" => EvtRes,
            "evt.rawres" => EvtRawRes,
            "evt.failed" => EvtFailed,
            "evt.arg" => return arg_sel(&r.arg).map(EvtArg),
            "evt.rawarg" => return arg_sel(&r.arg).map(EvtRawArg),
            "thread.tid" => ThreadTid,
            "proc.pid" => ProcPid,
            "proc.ppid" => ProcPpid,
            "proc.name" => ProcName,
            "proc.pname" => ProcPname,
            "proc.exe" => ProcExe,
            "proc.exepath" => ProcExepath,
            "proc.args" => ProcArgs,
            "proc.cmdline" => ProcCmdline,
            "proc.cwd" => ProcCwd,
            "user.uid" => UserUid,
            "user.name" => UserName,
            "group.gid" => GroupGid,
            "group.name" => GroupName,
            "fd.num" => FdNum,
            "fd.name" => FdName,
            "fd.type" => FdType,
            "fd.typechar" => FdTypechar,
            "fd.directory" => FdDirectory,
            "fd.filename" => FdFilename,
            "proc.aname" => {
                return match &r.arg {
                    None => Ok(ProcAname(None)),
                    Some(a) => a.parse().map(|n| ProcAname(Some(n))).map_err(|_| {
                        format!("proc.aname[{a}]: the argument is an ancestor number")
                    }),
                }
            }
            "proc.aexepath" => {
                return match &r.arg {
                    Some(a) => a.parse().map(ProcAexepath).map_err(|_| {
                        format!("proc.aexepath[{a}]: the argument is an ancestor number")
                    }),
                    None => Err("proc.aexepath needs an ancestor number: proc.aexepath[N]".into()),
                }
            }
            "proc.pcmdline" => ProcPcmdline,
            "proc.pexe" => ProcPexe,
            "proc.pexepath" => ProcPexepath,
            "evt.args" => EvtArgs,
            "evt.is_open_read" => EvtIsOpenRead,
            "evt.is_open_write" => EvtIsOpenWrite,
            "fd.l4proto" => FdL4proto,
            "fd.nameraw" => FdNameraw,
            "fd.sip" => FdSip,
            "fd.cip" => FdCip,
            "fd.sport" => FdSport,
            "fd.cport" => FdCport,
            "fd.lport" => FdLport,
            "fd.rport" => FdRport,
            "fd.connected" => FdConnected,
            "fd.name_changed" => FdNameChanged,
            "fd.ip" => FdIp,
            "fd.net" => FdNet,
            "fd.snet" => FdSnet,
            "container.id" => ContainerId,
            "evt.time.iso8601" => EvtTimeIso8601,
            "proc.tty"
            | "user.loginuid"
            | "proc.duration"
            | "container.start_ts"
            | "proc.exe_ino.ctime"
            | "proc.exe_ino.mtime"
            | "proc.exe_ino.ctime_duration_proc_start"
            | "proc.vpid"
            | "proc.sid" => Unavailable(Kind::Num),
            "container.privileged"
            | "proc.is_exe_upper_layer"
            | "proc.is_exe_from_memfd"
            | "proc.is_exe_writable" => Unavailable(Kind::Bool),
            "proc.sname"
            | "user.loginname"
            | "thread.cap_effective"
            | "thread.cap_permitted"
            | "container.name"
            | "container.image"
            | "container.image.repository"
            | "container.image.tag"
            | "k8s.ns.name"
            | "k8s.pod.name"
            | "fd.sip.name"
            | "fd.cip.name" => Unavailable(Kind::Str),
            other => return Err(format!("unknown field '{other}'")),
        };
    if r.arg.is_some() {
        return Err(format!("field '{}' takes no argument", r.name));
    }
    Ok(f)
}

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
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Exists(Field),
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

/// The events a set of `evt.type` names matches, named as libsinsp names
/// them: by event id, except generic `syscall` events, which take the name
/// of the syscall they carry (`<unknown>` for code 0, `syscall_N` for a
/// code without a name; see [`render::type_name`]).
#[derive(Debug, Clone, Default)]
pub struct TypeSet {
    /// By event id.
    ids: Vec<bool>,
    /// By syscall code, for generic events.
    codes: Vec<bool>,
    /// `syscall_N` names beyond the code table.
    far_codes: Vec<u64>,
}

impl TypeSet {
    /// The set for these names.
    pub fn from_names<'n>(names: impl IntoIterator<Item = &'n str>) -> TypeSet {
        let mut t = TypeSet {
            ids: vec![false; usize::from(schema::EVENT_MAX)],
            codes: Vec::new(),
            far_codes: Vec::new(),
        };
        fn add_code(t: &mut TypeSet, c: u64) {
            match usize::try_from(c) {
                Ok(i) if i < 1 << 16 => {
                    if t.codes.len() <= i {
                        t.codes.resize(i + 1, false);
                    }
                    t.codes[i] = true;
                }
                _ => t.far_codes.push(c),
            }
        }
        for n in names {
            for id in schema::ids_named(n) {
                if let Some(slot) = t.ids.get_mut(usize::from(id)) {
                    *slot = true;
                }
            }
            for c in schema::syscall_codes_named(n) {
                add_code(&mut t, u64::from(c));
            }
            if n == "<unknown>" {
                add_code(&mut t, 0);
            }
            let unnamed = n
                .strip_prefix("syscall_")
                .and_then(|d| d.parse::<u64>().ok());
            if let Some(c) = unnamed.filter(|c| {
                *c != 0
                    && u16::try_from(*c)
                        .ok()
                        .and_then(schema::syscall_name)
                        .is_none()
            }) {
                add_code(&mut t, c);
            }
        }
        t
    }

    /// Whether `ev` has one of the names.
    pub fn matches(&self, ev: &Event<'_>) -> bool {
        match render::generic_code(ev) {
            Some(c) => self.has_code(c),
            None => self
                .ids
                .get(usize::from(ev.event_type()))
                .copied()
                .unwrap_or(false),
        }
    }

    /// Event ids the set can match: its named ids, and the generic event's
    /// when it names syscalls.
    pub fn event_ids(&self) -> impl Iterator<Item = u16> + '_ {
        let generic = self.codes.iter().any(|c| *c) || !self.far_codes.is_empty();
        self.ids
            .iter()
            .enumerate()
            .filter(move |(i, hit)| **hit || (generic && *i <= 1))
            .map(|(i, _)| i as u16)
    }

    /// Whether a generic event carrying syscall code `code` can match.
    pub fn has_code(&self, code: u64) -> bool {
        match usize::try_from(code).ok().and_then(|i| self.codes.get(i)) {
            Some(hit) => *hit,
            None => self.far_codes.contains(&code),
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

    /// Whether `ev` matches (call after applying `ev` to the state).
    pub fn matches(&self, ev: &Event<'_>, cx: EvalContext<'_>) -> bool {
        eval(&self.root, ev, &cx)
    }
}

fn compile(e: &Expr, errors: &mut Vec<CompileError>) -> Option<Node> {
    let mut err = |span: Span, message: String| {
        errors.push(CompileError { span, message });
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
        Expr::Macro { name, span } => err(*span, format!("undefined macro '{name}'")),
        Expr::Exists { lhs, span } => match lhs {
            Operand::Field(r) => lookup(r)
                .map(Node::Exists)
                .or_else(|m| err(r.span, m).ok_or(()))
                .ok(),
            _ => err(*span, "exists takes a field".into()),
        },
        Expr::Compare {
            lhs,
            op,
            modifier,
            rhs,
            span,
        } => {
            let lhs = match lhs {
                Operand::Field(r) => match lookup(r) {
                    Ok(f) => Lhs::Field(f),
                    Err(m) => return err(r.span, m),
                },
                Operand::Transformer {
                    name,
                    args,
                    span: tspan,
                } => {
                    let x = match name.as_str() {
                        "tolower" => Xform::ToLower,
                        "toupper" => Xform::ToUpper,
                        "basename" => Xform::Basename,
                        "len" => Xform::Len,
                        other => {
                            return err(
                                *tspan,
                                format!("transformer '{other}' is not supported yet"),
                            )
                        }
                    };
                    match args.as_slice() {
                        [Operand::Field(r)] => match lookup(r) {
                            Ok(f) => Lhs::Xform(x, f),
                            Err(m) => return err(r.span, m),
                        },
                        _ => return err(*tspan, format!("{name}() takes one field")),
                    }
                }
                Operand::Literal(l) => {
                    return err(l.span, "a condition starts with a field".into())
                }
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
            match want(kind, *op, rhs, *span) {
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

fn num(l: &Literal) -> Result<i64, (Span, String)> {
    let t = l.text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        body.parse::<i64>().ok().or_else(|| {
            body.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
        })
    };
    v.map(|v| if neg { -v } else { v })
        .ok_or_else(|| (l.span, format!("'{}' is not a number", l.text)))
}

fn want(kind: Kind, op: CmpOp, rhs: &Rhs, span: Span) -> Result<Want, (Span, String)> {
    let one = |rhs: &Rhs| -> Result<Literal, (Span, String)> {
        match rhs {
            Rhs::Value(l) => Ok(l.clone()),
            Rhs::List(_, s) => Err((
                *s,
                format!("operator '{}' takes one value, not a list", op.as_str()),
            )),
            Rhs::ListName(n, s) => Err((*s, format!("undefined list '{n}'"))),
            Rhs::Val(r) => Err((r.span, "val() is not supported yet".into())),
            Rhs::Transformer(_) => Err((
                span,
                "a transformer on the right is not supported yet".into(),
            )),
        }
    };
    let list = |rhs: &Rhs| -> Result<Vec<Literal>, (Span, String)> {
        match rhs {
            Rhs::List(v, _) => Ok(v.clone()),
            Rhs::ListName(n, s) => Err((*s, format!("undefined list '{n}'"))),
            _ => Err((
                span,
                format!("operator '{}' takes a list (a, b, …)", op.as_str()),
            )),
        }
    };
    let bad_op = || {
        Err((
            span,
            format!(
                "operator '{}' does not apply to a {} field",
                op.as_str(),
                match kind {
                    Kind::Str => "string",
                    Kind::Num => "numeric",
                    Kind::Bool => "boolean",
                    Kind::Ip => "address",
                }
            ),
        ))
    };
    use CmpOp::*;
    let net = |l: &Literal| -> Result<(std::net::IpAddr, u8), (Span, String)> {
        let (a, p) = match l.text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (l.text.as_str(), None),
        };
        let ip: std::net::IpAddr = a.parse().map_err(|_| {
            (
                l.span,
                format!("'{}' is not an IP address or network", l.text),
            )
        })?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| (l.span, format!("bad prefix length in '{}'", l.text)))?,
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
        (Kind::Str, PMatch) => Ok(Want::Paths(
            list(rhs)?.into_iter().map(|l| l.text).collect(),
        )),
        (Kind::Num, Eq | Ne | Lt | Le | Gt | Ge) => Ok(Want::Num(num(&one(rhs)?)?)),
        (Kind::Bool, Eq | Ne) => {
            let l = one(rhs)?;
            match l.text.as_str() {
                "true" => Ok(Want::Bool(true)),
                "false" => Ok(Want::Bool(false)),
                _ => Err((l.span, format!("'{}' is not true or false", l.text))),
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
                .map_err(|e| {
                    (
                        l.span,
                        format!("bad regex '{}': {}", l.text, first_line(&e.to_string())),
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
        (Kind::Str, Lt | Le | Gt | Ge) => Err((
            span,
            format!(
                "operator '{}' compares numbers; this field is a string",
                op.as_str()
            ),
        )),
        _ => bad_op(),
    }
}

fn rhs_is_list(rhs: &Rhs) -> bool {
    matches!(rhs, Rhs::List(..))
}

/// The last non-blank line of a multi-line message (the regex crate puts
/// the reason there).
fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn eval(n: &Node, ev: &Event<'_>, cx: &EvalContext<'_>) -> bool {
    match n {
        Node::EvtType(t) => t.matches(ev),
        Node::And(v) => v.iter().all(|x| eval(x, ev, cx)),
        Node::Or(v) => v.iter().any(|x| eval(x, ev, cx)),
        Node::Not(x) => !eval(x, ev, cx),
        Node::Exists(f) => extract(f, ev, cx).is_some(),
        Node::Cmp {
            lhs,
            op,
            modifier,
            want,
        } => {
            let value = match lhs {
                Lhs::Field(f) => extract(f, ev, cx),
                Lhs::Xform(x, f) => extract(f, ev, cx).map(|v| transform(*x, v)),
            };
            let Some(value) = value else { return false };
            match (modifier, want) {
                (Some(m), Want::StrList(items)) => {
                    let hits = items.iter().filter(|w| compare_str(&value, *op, w)).count();
                    match m {
                        Modifier::OneOf => hits == 1,
                        Modifier::AnyOf => hits >= 1,
                        Modifier::AllOf => !items.is_empty() && hits == items.len(),
                    }
                }
                (None, Want::StrList(items)) if !matches!(op, CmpOp::In | CmpOp::Intersects) => {
                    items.iter().any(|w| compare_str(&value, *op, w))
                }
                _ => compare(&value, *op, want),
            }
        }
    }
}

/// An extracted value.
#[derive(Debug)]
enum Value<'a> {
    Str(Cow<'a, str>),
    Num(i64),
    Bool(bool),
    /// Several values (`proc.aname` without an argument): a comparison
    /// holds if it holds for one of them (`!=`: for none).
    Multi(Vec<&'a str>),
    /// Addresses of a socket (`fd.ip`: both ends).
    Ips(Vec<std::net::IpAddr>),
}

fn in_net(ip: std::net::IpAddr, (net, prefix): (std::net::IpAddr, u8)) -> bool {
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & m == u32::from(b) & m
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) => {
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

impl<'a> Value<'a> {
    /// The value as text (outputs, transformers).
    fn into_text(self) -> Cow<'a, str> {
        match self {
            Value::Str(s) => s,
            Value::Num(n) => Cow::Owned(n.to_string()),
            Value::Bool(b) => Cow::Owned(b.to_string()),
            Value::Multi(v) => Cow::Owned(v.join(" ")),
            Value::Ips(v) => Cow::Owned(
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

fn transform(x: Xform, v: Value<'_>) -> Value<'_> {
    let s = v.into_text();
    match x {
        Xform::ToLower => Value::Str(Cow::Owned(s.to_lowercase())),
        Xform::ToUpper => Value::Str(Cow::Owned(s.to_uppercase())),
        Xform::Basename => Value::Str(Cow::Owned(s.rsplit('/').next().unwrap_or("").to_string())),
        Xform::Len => Value::Num(s.len() as i64),
    }
}

/// For multi-valued fields: `!=` holds when no value matches, every other
/// operator when one does.
fn any_or_none(op: CmpOp, any: bool) -> bool {
    if op == CmpOp::Ne {
        !any
    } else {
        any
    }
}

/// A string operator on two strings.
fn str_op(s: &str, op: CmpOp, b: &str) -> bool {
    use CmpOp::*;
    match op {
        Eq => s == b,
        Ne => s != b,
        Contains => s.contains(b),
        IContains => s.to_lowercase().contains(b),
        StartsWith => s.starts_with(b),
        EndsWith => s.ends_with(b),
        _ => false,
    }
}

/// A value against one string of a list (modifiers, `=` with a list).
fn compare_str(v: &Value<'_>, op: CmpOp, b: &str) -> bool {
    match v {
        Value::Str(s) => str_op(s, op, b),
        Value::Multi(items) => any_or_none(
            op,
            items
                .iter()
                .any(|s| str_op(s, if op == CmpOp::Ne { CmpOp::Eq } else { op }, b)),
        ),
        Value::Num(n) => str_op(&n.to_string(), op, b),
        _ => false,
    }
}

fn compare(v: &Value<'_>, op: CmpOp, w: &Want) -> bool {
    use CmpOp::*;
    match (v, w) {
        (Value::Multi(items), _) => any_or_none(
            op,
            items.iter().any(|s| {
                compare(
                    &Value::Str(Cow::Borrowed(s)),
                    if op == Ne { Eq } else { op },
                    w,
                )
            }),
        ),
        (Value::Ips(ips), Want::Nets(nets)) => any_or_none(
            op,
            ips.iter().any(|ip| nets.iter().any(|n| in_net(*ip, *n))),
        ),
        (Value::Num(a), Want::Num(b)) => match op {
            Eq => a == b,
            Ne => a != b,
            Lt => a < b,
            Le => a <= b,
            Gt => a > b,
            Ge => a >= b,
            _ => false,
        },
        (Value::Num(a), Want::NumList(l)) => l.contains(a),
        (Value::Bool(a), Want::Bool(b)) => (a == b) == (op == Eq),
        (Value::Str(s), Want::Str(b)) => str_op(s, op, b),
        (Value::Str(s), Want::StrList(l)) => l.iter().any(|x| x == s),
        (Value::Str(s), Want::Regex(r)) => r.is_match(s),
        (Value::Str(s), Want::Glob(g, fold)) => {
            // An iglob pattern was lower-cased when compiled.
            if *fold {
                glob(g.as_bytes(), s.to_lowercase().as_bytes())
            } else {
                glob(g.as_bytes(), s.as_bytes())
            }
        }
        (Value::Str(s), Want::Paths(ps)) => ps.iter().any(|p| pmatch(p, s)),
        // evt.rawarg compared as text: numbers print in decimal.
        (Value::Num(n), Want::Str(b)) => str_op(&n.to_string(), op, b),
        (Value::Num(n), Want::StrList(l)) => {
            let t = n.to_string();
            l.contains(&t)
        }
        _ => false,
    }
}

/// `fnmatch(3)` with flags 0: `*` and `?` also match `/`.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point for the last `*`.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(p, pi, s[si]) {
                        if ok {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() && p[pi + 1] == s[si] => {
                    pi += 2;
                    si += 1;
                    continue;
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A bracket expression at `p[at]`: whether `c` is in it and where it ends;
/// `None` if the bracket is not closed (then `[` is literal).
fn class(p: &[u8], at: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let neg = matches!(p.get(i), Some(b'!' | b'^'));
    if neg {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != neg, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

/// Path-prefix match on whole components; pattern components may be globs.
fn pmatch(pattern: &str, path: &str) -> bool {
    let pc: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let sc: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if pattern.starts_with('/') != path.starts_with('/') || sc.len() < pc.len() {
        return false;
    }
    pc.iter()
        .zip(&sc)
        .all(|(p, s)| glob(p.as_bytes(), s.as_bytes()))
}

/// The event's thread. libsinsp creates an entry for a thread it has not
/// seen (empty name, pid = tid, no parent); so do we, so that comparisons
/// see `""` rather than a missing value.
fn thread<'s>(ev: &Event<'_>, cx: &EvalContext<'s>) -> Option<Cow<'s, ThreadEntry>> {
    if ev.tid() == u64::MAX {
        return None;
    }
    Some(match cx.state.thread(ev.tid()) {
        Some(t) => Cow::Borrowed(t),
        None => Cow::Owned(ThreadEntry {
            pid: ev.tid(),
            ptid: u64::MAX,
            ..ThreadEntry::default()
        }),
    })
}

/// `proc.cmdline`: the name followed by the arguments.
fn cmdline(t: &ThreadEntry) -> String {
    let mut s = t.comm.clone();
    for a in &t.args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// Ancestor `n` of the event's thread (0 = itself), borrowed from the table.
fn ancestor<'s>(ev: &Event<'_>, cx: &EvalContext<'s>, n: usize) -> Option<Cow<'s, ThreadEntry>> {
    let mut t = thread(ev, cx)?;
    for _ in 0..n {
        t = Cow::Borrowed(cx.state.thread(t.ptid)?);
    }
    Some(t)
}

/// A text field of a thread, borrowed when the thread is in the table.
fn owned<'a>(c: Cow<'a, ThreadEntry>, f: fn(&ThreadEntry) -> &str) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(t) => Cow::Borrowed(f(t)),
        Cow::Owned(t) => Cow::Owned(f(&t).to_string()),
    }
}

/// The fd an event works on, as libsinsp picks it: the result of an exit
/// that creates one; otherwise, for events that use an fd, the first
/// parameter when it is an fd (of the event, or of its enter event for an
/// exit). Events whose fd is elsewhere (mmap) have none.
fn event_fd(ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<i64> {
    let info = ev.info()?;
    if info.flags & schema::ef::CREATES_FD != 0 && ev.direction() == Direction::Exit {
        let res = sint(ev.param(0)?)?;
        return (res >= 0).then_some(res);
    }
    if info.flags & schema::ef::USES_FD == 0 {
        return None;
    }
    let fd_first = |e: &Event<'_>| {
        e.info()
            .and_then(|i| i.params.first())
            .is_some_and(|p| matches!(p.ty, ParamType::Fd | ParamType::Fd32))
    };
    if ev.direction() == Direction::Enter {
        return if fd_first(ev) {
            sint(ev.param(0)?)
        } else {
            None
        };
    }
    if fd_first(ev) && ev.info()?.params.first()?.name == "fd" {
        return sint(ev.param(0)?);
    }
    let enter = cx.state.last_enter(ev)?;
    if fd_first(&enter) {
        sint(enter.param(0)?)
    } else {
        None
    }
}

fn param_index(ev: &Event<'_>, sel: &ArgSel) -> Option<usize> {
    match sel {
        ArgSel::Index(i) => (*i < ev.nparams()).then_some(*i),
        ArgSel::Name(n) => ev.info()?.param_index(n).filter(|i| *i < ev.nparams()),
    }
}

fn fd_type_name(c: u8) -> &'static str {
    match c {
        b'f' => "file",
        b'd' => "directory",
        b'4' => "ipv4",
        b'6' => "ipv6",
        b'u' => "unix",
        b'p' => "pipe",
        b'e' => "event",
        b's' => "signalfd",
        b'l' => "eventpoll",
        b'i' => "inotify",
        b't' => "timerfd",
        b'n' => "netlink",
        b'b' => "bpf",
        b'r' => "io_uring",
        b'm' => "memfd",
        b'P' => "pidfd",
        _ => "unknown",
    }
}

fn extract<'a>(f: &Field, ev: &Event<'a>, cx: &EvalContext<'a>) -> Option<Value<'a>> {
    use Field::*;
    // libsinsp's result: the exit event's first parameter when it is a
    // number (`res`, `fd` for socket, the new break for brk).
    let res = || -> Option<i64> {
        if ev.direction() != Direction::Exit {
            return None;
        }
        let p0 = ev.info()?.params.first()?;
        if matches!(
            p0.ty,
            ParamType::Charbuf
                | ParamType::Bytebuf
                | ParamType::Fspath
                | ParamType::Sockaddr
                | ParamType::Socktuple
        ) {
            return None;
        }
        sint(ev.param(0)?)
    };
    Some(match f {
        EvtType => Value::Str(render::type_name(ev)),
        EvtDir => Value::Str(Cow::Borrowed(if ev.direction() == Direction::Enter {
            ">"
        } else {
            "<"
        })),
        EvtNum => Value::Num(cx.num as i64),
        EvtCpu => Value::Num(i64::from(ev.cpu)),
        EvtRawRes => Value::Num(res()?),
        EvtRes => {
            let r = res()?;
            if r >= 0 {
                Value::Str(Cow::Borrowed("SUCCESS"))
            } else {
                Value::Str(Cow::Borrowed(schema::errno_name(r.unsigned_abs())?))
            }
        }
        EvtFailed => Value::Bool(res().is_some_and(|r| r < 0)),
        EvtArg(sel) => {
            let i = param_index(ev, sel)?;
            let info = ev.info()?.params.get(i)?;
            let mut s = String::new();
            render::param(ev, i, info, Some(cx.state), &mut s);
            Value::Str(Cow::Owned(s))
        }
        EvtRawArg(sel) => {
            let i = param_index(ev, sel)?;
            let info = ev.info()?.params.get(i)?;
            let v = ev.param(i)?;
            match info.ty {
                ParamType::Charbuf
                | ParamType::Fspath
                | ParamType::Fsrelpath
                | ParamType::Bytebuf => Value::Str(value_str(v)),
                _ => Value::Num(sint(v)?),
            }
        }
        ThreadTid => Value::Num(ev.tid() as i64),
        ProcPid => Value::Num(thread(ev, cx)?.pid as i64),
        ProcPpid => {
            let t = thread(ev, cx)?;
            if t.ptid == u64::MAX {
                Value::Num(-1)
            } else {
                Value::Num(cx.state.thread(t.ptid).map_or(t.ptid, |p| p.pid) as i64)
            }
        }
        ProcName => Value::Str(owned(thread(ev, cx)?, |t| &t.comm)),
        ProcPname => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.comm)),
        ProcExe => Value::Str(owned(thread(ev, cx)?, |t| &t.exe)),
        ProcExepath => Value::Str(owned(thread(ev, cx)?, |t| &t.exepath)),
        ProcArgs => Value::Str(Cow::Owned(thread(ev, cx)?.args.join(" "))),
        ProcCmdline => Value::Str(Cow::Owned(cmdline(&*thread(ev, cx)?))),
        ProcCwd => Value::Str(owned(thread(ev, cx)?, |t| &t.cwd)),
        UserUid => Value::Num(i64::from(thread(ev, cx)?.uid)),
        UserName => Value::Str(Cow::Borrowed(cx.state.user_name(thread(ev, cx)?.uid)?)),
        GroupGid => Value::Num(i64::from(thread(ev, cx)?.gid)),
        GroupName => Value::Str(Cow::Borrowed(cx.state.group_name(thread(ev, cx)?.gid)?)),
        ProcAname(Some(n)) => Value::Str(owned(ancestor(ev, cx, *n)?, |t| &t.comm)),
        ProcAname(None) => {
            // Every ancestor (not the process itself), borrowed from the
            // table; bounded against loops in a corrupt table.
            let start = thread(ev, cx)?;
            let (mut pid, mut comm, mut ptid) = (start.pid, start.comm.as_str(), start.ptid);
            let mut names = Vec::new();
            for _ in 0..64 {
                match cx.state.thread(ptid) {
                    Some(p) if p.pid != pid || p.comm != comm => {
                        names.push(p.comm.as_str());
                        (pid, comm, ptid) = (p.pid, p.comm.as_str(), p.ptid);
                    }
                    _ => break,
                }
            }
            Value::Multi(names)
        }
        ProcAexepath(n) => Value::Str(owned(ancestor(ev, cx, *n)?, |t| &t.exepath)),
        ProcPcmdline => Value::Str(Cow::Owned(cmdline(&*ancestor(ev, cx, 1)?))),
        ProcPexe => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.exe)),
        ProcPexepath => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.exepath)),
        EvtArgs => {
            let mut s = String::new();
            render::args(ev, Some(cx.state), &mut s);
            Value::Str(Cow::Owned(s.trim_end().to_string()))
        }
        EvtIsOpenRead | EvtIsOpenWrite => {
            let is_open = matches!(
                ev.name(),
                "open" | "openat" | "openat2" | "open_by_handle_at" | "creat"
            ) && ev.direction() == Direction::Exit;
            let flags = if is_open {
                ev.param_by_name("flags").and_then(sint).unwrap_or(0)
            } else {
                0
            };
            // PPM_O_RDONLY = 1, PPM_O_WRONLY = 2 (O_RDWR sets both).
            Value::Bool(is_open && flags & if *f == EvtIsOpenRead { 1 } else { 2 } != 0)
        }
        ContainerId => Value::Str(Cow::Borrowed("host")),
        EvtTimeIso8601 => Value::Str(Cow::Owned(crate::clock::rfc3339(ev.ts()))),
        Plugin(f) => {
            let v = f.0.extract(ev, cx.num)?;
            match v.num {
                Some(n) if f.0.is_numeric() => Value::Num(n),
                _ => Value::Str(v.text),
            }
        }
        Unavailable(_) => return None,
        FdNameraw => {
            if matches!(ev.name(), "open" | "openat" | "openat2" | "creat") {
                if let Some(v) = ev.param_by_name("name") {
                    return Some(Value::Str(value_str(v)));
                }
            }
            let fd = event_fd(ev, cx)?;
            Value::Str(Cow::Borrowed(cx.state.fd(ev.tid(), fd)?.name.as_str()))
        }
        FdL4proto | FdSip | FdCip | FdSport | FdCport | FdLport | FdRport | FdConnected
        | FdNameChanged | FdIp | FdNet | FdSnet => {
            let fd = event_fd(ev, cx)?;
            let e = cx.state.fd(ev.tid(), fd)?;
            if *f == FdNameChanged {
                return Some(Value::Bool(false));
            }
            if *f == FdL4proto {
                return Some(Value::Str(Cow::Borrowed(match e.l4 {
                    b't' => "tcp",
                    b'u' => "udp",
                    b'r' => "raw",
                    b'i' => "icmp",
                    _ => return None,
                })));
            }
            if !matches!(e.typechar, b'4' | b'6') {
                return if *f == FdConnected {
                    Some(Value::Bool(false))
                } else {
                    None
                };
            }
            // fd.name of an inet socket: "cip:cport->sip:sport".
            let tuple = e.name.split_once("->");
            if *f == FdConnected {
                return Some(Value::Bool(tuple.is_some()));
            }
            let (c, srv) = tuple?;
            let split = |ep: &str| -> Option<(std::net::IpAddr, i64)> {
                let (ip, port) = ep.rsplit_once(':')?;
                Some((
                    ip.trim_matches(|ch| ch == '[' || ch == ']').parse().ok()?,
                    port.parse().ok()?,
                ))
            };
            let (cip, cport) = split(c)?;
            let (sip, sport) = split(srv)?;
            match f {
                FdSip => Value::Ips(vec![sip]),
                FdCip => Value::Ips(vec![cip]),
                FdIp | FdNet => Value::Ips(vec![cip, sip]),
                FdSnet => Value::Ips(vec![sip]),
                FdSport | FdRport => Value::Num(sport),
                FdCport | FdLport => Value::Num(cport),
                _ => return None,
            }
        }
        FdNum => Value::Num(event_fd(ev, cx)?),
        FdName | FdType | FdTypechar | FdDirectory | FdFilename => {
            let fd = event_fd(ev, cx)?;
            let e = cx.state.fd(ev.tid(), fd)?;
            match f {
                FdName => Value::Str(Cow::Borrowed(e.name.as_str())),
                FdType => Value::Str(Cow::Borrowed(fd_type_name(e.typechar))),
                FdTypechar => Value::Str(Cow::Owned(char::from(e.typechar).to_string())),
                FdDirectory | FdFilename => {
                    if !matches!(e.typechar, b'f' | b'd') {
                        return None;
                    }
                    let (dir, file) = e.name.rsplit_once('/')?;
                    Value::Str(Cow::Borrowed(if *f == FdDirectory {
                        if dir.is_empty() {
                            "/"
                        } else {
                            dir
                        }
                    } else {
                        file
                    }))
                }
                _ => return None,
            }
        }
    })
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
        assert!(s.contains("unknown field 'proc.nme' at column 1"), "{s}");
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

/// A rule output format: text with `%field` substitutions (missing values
/// print as `<NA>`, as Falco's `*`-prefixed formats do).
#[derive(Debug)]
pub struct OutputFormat {
    parts: Vec<OutPart>,
}

#[derive(Debug)]
enum OutPart {
    Text(String),
    Field { field: Field, name: String },
}

/// Why an output format (`%proc.name opened %fd.name`) does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormatError {
    /// A `%` with no field name after it.
    NoFieldName {
        /// Byte offset of the `%`.
        at: usize,
    },
    /// A field the filter language does not know (or misused).
    Field {
        /// Where the field's name is.
        span: Span,
        /// What is wrong with it.
        message: String,
    },
}

impl fmt::Display for OutputFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputFormatError::NoFieldName { at } => {
                write!(f, "'%' at byte {at} is not followed by a field name")
            }
            OutputFormatError::Field { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for OutputFormatError {}

impl OutputFormat {
    /// Parses a format; an unknown field is an error naming it.
    pub fn new(fmt: &str) -> Result<OutputFormat, OutputFormatError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let b = fmt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let ch = fmt[i..].chars().next().unwrap_or(' ');
                text.push(ch);
                i += ch.len_utf8();
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1; // width: accepted, not applied
            }
            let name_start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            while j > name_start && b[j - 1] == b'.' {
                j -= 1;
            }
            if j == name_start {
                return Err(OutputFormatError::NoFieldName { at: i });
            }
            let name = &fmt[name_start..j];
            let mut arg = None;
            if j < b.len() && b[j] == b'[' {
                if let Some(end) = fmt[j..].find(']') {
                    arg = Some(fmt[j + 1..j + end].to_string());
                    j += end + 1;
                }
            }
            let r = FieldRef {
                name: name.to_string(),
                arg: arg.clone(),
                span: Span::new(start, j),
            };
            let field = lookup(&r).map_err(|message| OutputFormatError::Field {
                span: r.span,
                message,
            })?;
            if !text.is_empty() {
                parts.push(OutPart::Text(std::mem::take(&mut text)));
            }
            let full = match &arg {
                Some(a) => format!("{name}[{a}]"),
                None => name.to_string(),
            };
            parts.push(OutPart::Field { field, name: full });
            i = j;
        }
        if !text.is_empty() {
            parts.push(OutPart::Text(text));
        }
        Ok(OutputFormat { parts })
    }

    /// The formatted text, and each field's value (`None` if missing).
    pub fn render(
        &self,
        ev: &Event<'_>,
        cx: EvalContext<'_>,
    ) -> (String, Vec<(String, Option<String>)>) {
        let mut out = String::new();
        let mut fields = Vec::new();
        for p in &self.parts {
            match p {
                OutPart::Text(t) => out.push_str(t),
                OutPart::Field { field, name } => {
                    let v = extract(field, ev, &cx).map(|v| v.into_text().into_owned());
                    out.push_str(v.as_deref().unwrap_or("<NA>"));
                    fields.push((name.clone(), v));
                }
            }
        }
        (out, fields)
    }
}
