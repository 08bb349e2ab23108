//! The syntax tree of a sysdig/Falco condition, with byte spans, and its
//! printing back in filter syntax.

use std::fmt;

/// Deepest nesting of parentheses and `not`s the parser accepts (and of
/// transformers): bounds the recursion of every walk over a tree.
pub const MAX_DEPTH: usize = 256;

/// Byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmpOp {
    /// `=` / `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `glob`.
    Glob,
    /// `iglob`.
    IGlob,
    /// `contains`.
    Contains,
    /// `icontains`.
    IContains,
    /// `bcontains`.
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith`.
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `regex`.
    Regex,
    /// `in`.
    In,
    /// `intersects`.
    Intersects,
    /// `pmatch`.
    PMatch,
}

impl CmpOp {
    /// Spelling in filter syntax.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Glob => "glob",
            CmpOp::IGlob => "iglob",
            CmpOp::Contains => "contains",
            CmpOp::IContains => "icontains",
            CmpOp::BContains => "bcontains",
            CmpOp::StartsWith => "startswith",
            CmpOp::BStartsWith => "bstartswith",
            CmpOp::EndsWith => "endswith",
            CmpOp::Regex => "regex",
            CmpOp::In => "in",
            CmpOp::Intersects => "intersects",
            CmpOp::PMatch => "pmatch",
        }
    }

    /// Every operator, in the order of [`CmpOp::as_str`].
    pub const ALL: &'static [CmpOp] = &[
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Glob,
        CmpOp::IGlob,
        CmpOp::Contains,
        CmpOp::IContains,
        CmpOp::BContains,
        CmpOp::StartsWith,
        CmpOp::BStartsWith,
        CmpOp::EndsWith,
        CmpOp::Regex,
        CmpOp::In,
        CmpOp::Intersects,
        CmpOp::PMatch,
    ];

    /// The operator a word spells, `==` for `=` too (a Falco exception's
    /// `comps`, a filter split into shell words).
    pub fn from_word(word: &str) -> Option<CmpOp> {
        if word == "==" {
            return Some(CmpOp::Eq);
        }
        CmpOp::ALL.iter().copied().find(|op| op.as_str() == word)
    }

    /// Numeric operators take only a number (or a transformer) on the right.
    pub fn is_numeric(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }

    /// List operators take a parenthesised list.
    pub fn is_list(self) -> bool {
        matches!(self, CmpOp::In | CmpOp::Intersects | CmpOp::PMatch)
    }
}

/// `oneof` / `anyof` / `allof` after a string operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// Exactly one of the values compares true.
    OneOf,
    /// At least one.
    AnyOf,
    /// All.
    AllOf,
}

impl Modifier {
    fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// A field reference: `proc.aname[2]`, `evt.arg.fd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// Dotted name.
    pub name: String,
    /// Argument in brackets.
    pub arg: Option<String>,
    /// Where it is.
    pub span: Span,
}

/// Left side of a condition, or a transformer argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A field.
    Field(FieldRef),
    /// `tolower(…)`, `basename(…)`, …
    Transformer {
        /// Transformer name.
        name: String,
        /// Its arguments.
        args: Vec<Operand>,
        /// Where it is.
        span: Span,
    },
    /// A literal transformer argument.
    Literal(Literal),
}

/// A value on the right side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Unescaped text.
    pub text: String,
    /// Whether it was quoted in the source.
    pub quoted: bool,
    /// Where it is.
    pub span: Span,
}

/// Right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// One value.
    Value(Literal),
    /// `(a, b, c)`.
    List(Vec<Literal>, Span),
    /// A list name left unresolved (lists are substituted before parsing).
    ListName(String, Span),
    /// `val(field)`: another field of the same event.
    Val(FieldRef),
    /// A transformer.
    Transformer(Operand),
}

/// A condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// `lhs op rhs`.
    Compare {
        /// Left.
        lhs: Operand,
        /// Operator.
        op: CmpOp,
        /// `oneof`/`anyof`/`allof`.
        modifier: Option<Modifier>,
        /// Right.
        rhs: Rhs,
        /// Whole condition.
        span: Span,
    },
    /// `lhs exists`.
    Exists {
        /// Left.
        lhs: Operand,
        /// Whole condition.
        span: Span,
    },
    /// A macro name.
    Macro {
        /// Its name.
        name: String,
        /// Where it is.
        span: Span,
    },
}

/// Quotes a value if it would not read back as one bare string.
fn literal(f: &mut fmt::Formatter<'_>, l: &Literal) -> fmt::Result {
    let bare_ok = !l.text.is_empty()
        && l.text
            .chars()
            .all(|c| !matches!(c, '(' | ')' | '"' | '\'' | '=' | ',' | '\\') && !c.is_whitespace())
        && !matches!(
            l.text.as_str(),
            "and" | "or" | "not" | "oneof" | "anyof" | "allof"
        );
    if bare_ok {
        return f.write_str(&l.text);
    }
    f.write_str("\"")?;
    for c in l.text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            write!(f, "[{a}]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(r) => write!(f, "{r}"),
            Operand::Transformer { name, args, .. } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Operand::Literal(l) => literal(f, l),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str| -> fmt::Result {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                match e {
                    Expr::And(_) | Expr::Or(_) => write!(f, "({e})")?,
                    _ => write!(f, "{e}")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::And(v) => group(f, v, " and "),
            Expr::Or(v) => group(f, v, " or "),
            Expr::Not(e) => match **e {
                Expr::And(_) | Expr::Or(_) | Expr::Not(_) => write!(f, "not ({e})"),
                _ => write!(f, "not {e}"),
            },
            Expr::Exists { lhs, .. } => write!(f, "{lhs} exists"),
            Expr::Macro { name, .. } => f.write_str(name),
            Expr::Compare {
                lhs,
                op,
                modifier,
                rhs,
                ..
            } => {
                write!(f, "{lhs} {}", op.as_str())?;
                if let Some(m) = modifier {
                    write!(f, " {}", m.as_str())?;
                }
                f.write_str(" ")?;
                match rhs {
                    Rhs::Value(l) => literal(f, l),
                    Rhs::List(items, _) => {
                        f.write_str("(")?;
                        for (i, l) in items.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            literal(f, l)?;
                        }
                        f.write_str(")")
                    }
                    Rhs::ListName(n, _) => f.write_str(n),
                    Rhs::Val(r) => write!(f, "val({r})"),
                    Rhs::Transformer(t) => write!(f, "{t}"),
                }
            }
        }
    }
}

/// Structural equality ignoring spans (for round-trip tests).
pub fn same_shape(a: &Expr, b: &Expr) -> bool {
    a.to_string() == b.to_string()
}
