//! A hand-written recursive-descent parser for the sysdig/Falco condition
//! language (grammar in `shared/specs/falco-rules.md` §1.3).
//!
//! Every node keeps its byte span. A syntax error does not end the parse:
//! the parser records it, skips to the next `and`/`or`/`)` and goes on, so
//! one pass reports every error. Nesting is limited to 256 levels so a
//! hostile condition gives an error, not a stack overflow, even on a 2 MiB
//! thread stack in a debug build (libsinsp allows 100 for filters and Falco
//! 1000 for rules; macros are substituted on the tree, so real rules nest
//! far less).

use std::fmt;

use super::ast::{CmpOp, Expr, FieldRef, Literal, Modifier, Operand, Rhs, Span};

pub use super::ast::MAX_DEPTH;

/// Transformer names.
const TRANSFORMERS: &[&str] = &[
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt",
];

/// One syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub span: Span,
    /// What was wrong or expected.
    pub fault: SyntaxFault,
}

use crate::fault::{Sequence, SyntaxFault};

/// All syntax errors of one condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrors {
    /// The condition text.
    pub source: String,
    /// Errors in source order.
    pub errors: Vec<SyntaxError>,
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{} at column {}",
                e.fault,
                column(&self.source, e.span.start)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// 1-based column (in characters) of byte `at`.
pub fn column(src: &str, at: usize) -> usize {
    src.get(..at.min(src.len()))
        .map_or(at, |s| s.chars().count())
        + 1
}

/// Parses a condition.
pub fn parse(src: &str) -> Result<Expr, ParseErrors> {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        pos: 0,
        errors: Vec::new(),
    };
    p.blanks();
    if p.pos >= p.s.len() {
        return Err(ParseErrors {
            source: src.into(),
            errors: vec![SyntaxError {
                span: Span::new(0, 0),
                fault: SyntaxFault::Empty,
            }],
        });
    }
    let e = p.or_expr(0);
    p.blanks();
    if p.pos < p.s.len() {
        let start = p.pos;
        let found = p.word_at(start).to_string();
        p.err(start, SyntaxFault::Trailing { found });
    }
    match e {
        Some(e) if p.errors.is_empty() => Ok(e),
        _ => {
            if p.errors.is_empty() {
                p.err(p.pos, SyntaxFault::Incomplete);
            }
            Err(ParseErrors {
                source: src.into(),
                errors: p.errors,
            })
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    errors: Vec<SyntaxError>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x08)
}

impl Parser<'_> {
    fn err(&mut self, at: usize, fault: SyntaxFault) {
        let end = (at + self.word_at(at).len()).max(at);
        self.errors.push(SyntaxError {
            span: Span::new(at, end),
            fault,
        });
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// The word at `at`, for messages.
    fn word_at(&self, at: usize) -> &str {
        let rest = self.src.get(at..).unwrap_or("");
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .unwrap_or(rest.len());
        if end == 0 {
            rest.get(..rest.chars().next().map_or(0, char::len_utf8))
                .unwrap_or("")
        } else {
            &rest[..end]
        }
    }

    /// Whether keyword `kw` is at the cursor, followed by a blank, `(` (if
    /// `paren_ok`) or, if `end_ok`, the end of input.
    fn at_keyword(&self, kw: &str, paren_ok: bool, end_ok: bool) -> bool {
        let end = self.pos + kw.len();
        if self.s.get(self.pos..end) != Some(kw.as_bytes()) {
            return false;
        }
        match self.s.get(end) {
            None => end_ok,
            Some(&b) => is_blank(b) || (paren_ok && b == b'('),
        }
    }

    /// Skips to the next `and`/`or` or the `)` closing the current group, after an error.
    fn recover(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'(' => depth += 1,
                b')' if depth == 0 => return,
                b')' => depth -= 1,
                b'"' | b'\'' => {
                    let _ = self.quoted();
                    continue;
                }
                _ if depth == 0
                    && (self.pos == 0 || is_blank(self.s[self.pos - 1]))
                    && (self.at_keyword("and", true, false)
                        || self.at_keyword("or", true, false)) =>
                {
                    return
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn or_expr(&mut self, depth: usize) -> Option<Expr> {
        self.chain(depth, "or", Self::and_expr, Expr::Or)
    }

    fn and_expr(&mut self, depth: usize) -> Option<Expr> {
        self.chain(depth, "and", Self::not_expr, Expr::And)
    }

    /// `operand { keyword operand }`: every operand is parsed even after a
    /// failed one, so all errors are found; one operand stands alone.
    fn chain(
        &mut self,
        depth: usize,
        kw: &str,
        operand: fn(&mut Self, usize) -> Option<Expr>,
        group: fn(Vec<Expr>) -> Expr,
    ) -> Option<Expr> {
        let mut items = vec![operand(self, depth)];
        loop {
            self.blanks();
            if !self.at_keyword(kw, true, false) {
                break;
            }
            self.pos += kw.len();
            items.push(operand(self, depth));
        }
        let mut items = items.into_iter().collect::<Option<Vec<Expr>>>()?;
        Some(if items.len() == 1 {
            items.remove(0)
        } else {
            group(items)
        })
    }

    fn not_expr(&mut self, depth: usize) -> Option<Expr> {
        self.blanks();
        let mut nots = 0usize;
        while self.at_keyword("not", true, false) {
            self.pos += 3;
            nots += 1;
            self.blanks();
            if depth + nots > MAX_DEPTH {
                self.err(self.pos, SyntaxFault::TooDeep);
                self.pos = self.s.len();
                return None;
            }
        }
        let mut e = self.check(depth + nots);
        for _ in 0..nots {
            e = e.map(|x| Expr::Not(Box::new(x)));
        }
        e
    }

    fn check(&mut self, depth: usize) -> Option<Expr> {
        self.blanks();
        let start = self.pos;
        match self.peek() {
            None => {
                self.err(start, SyntaxFault::ExpectedCondition);
                None
            }
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    self.err(start, SyntaxFault::TooDeep);
                    self.pos = self.s.len();
                    return None;
                }
                self.pos += 1;
                let e = self.or_expr(depth + 1);
                self.blanks();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                } else if e.is_some() {
                    let at = self.pos;
                    self.err(at, SyntaxFault::Unclosed);
                    self.recover();
                    return None;
                } else if self.peek() == Some(b')') {
                    self.pos += 1;
                }
                e
            }
            Some(_) => {
                let r = self.comparison(start);
                if r.is_none() {
                    self.recover();
                }
                r
            }
        }
    }

    /// `[a-zA-Z][a-zA-Z0-9_]*` segments joined by dots.
    fn name(&mut self) -> Option<(String, usize)> {
        let start = self.pos;
        let mut segs = 0;
        loop {
            if !self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                break;
            }
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.pos += 1;
            }
            segs += 1;
            if self.peek() == Some(b'.')
                && self
                    .s
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_alphabetic)
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        if segs == 0 {
            return None;
        }
        Some((self.src[start..self.pos].to_string(), segs))
    }

    /// After an item of a parenthesised, comma-separated sequence (a list,
    /// transformer arguments): `Some(false)` past a `,`, `Some(true)` past the
    /// closing `)`, `None` (with the error recorded) on anything else.
    fn item_end(&mut self, inside: impl FnOnce() -> Sequence) -> Option<bool> {
        self.blanks();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Some(false)
            }
            Some(b')') => {
                self.pos += 1;
                Some(true)
            }
            _ => {
                let at = self.pos;
                self.err(at, SyntaxFault::ItemEnd { inside: inside() });
                None
            }
        }
    }

    /// A field or a transformer (or, inside a transformer, a literal).
    /// `in_xform` > 0: inside that many transformer calls (bounded like
    /// parentheses, so `tolower(tolower(…` cannot exhaust the stack).
    fn operand(&mut self, in_xform: usize) -> Option<Operand> {
        self.blanks();
        let start = self.pos;
        if in_xform > 0 && matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.quoted().map(Operand::Literal);
        }
        let Some((name, segs)) = self.name() else {
            if in_xform > 0 {
                if let Some(l) = self.bare() {
                    return Some(Operand::Literal(l));
                }
            }
            let found = self.word_at(start).to_string();
            self.err(start, SyntaxFault::ExpectedField { found });
            return None;
        };
        if segs == 1 && TRANSFORMERS.contains(&name.as_str()) && self.peek() == Some(b'(') {
            self.pos += 1;
            let mut args = Vec::new();
            loop {
                if in_xform >= MAX_DEPTH {
                    self.err(start, SyntaxFault::TransformersTooDeep);
                    self.pos = self.s.len();
                    return None;
                }
                args.push(self.operand(in_xform + 1)?);
                if self.item_end(|| Sequence::Arguments {
                    transformer: name.to_string(),
                })? {
                    break;
                }
            }
            return Some(Operand::Transformer {
                name,
                args,
                span: Span::new(start, self.pos),
            });
        }
        if segs == 1 {
            if in_xform > 0 {
                return Some(Operand::Literal(Literal {
                    text: name,
                    quoted: false,
                    span: Span::new(start, self.pos),
                }));
            }
            // A bare identifier is a macro; the caller handles it.
            self.pos = start;
            return None;
        }
        let arg = self.field_arg()?;
        Some(Operand::Field(FieldRef {
            name,
            arg,
            span: Span::new(start, self.pos),
        }))
    }

    /// `[arg]` right after a field name (no blank before `[`).
    fn field_arg(&mut self) -> Option<Option<String>> {
        if self.peek() != Some(b'[') {
            return Some(None);
        }
        let open = self.pos;
        self.pos += 1;
        let arg = if matches!(self.peek(), Some(b'"' | b'\'')) {
            self.quoted()?.text
        } else {
            let s = self.pos;
            while self
                .peek()
                .is_some_and(|b| !matches!(b, b'[' | b']' | b'"' | b'\'') && !is_blank(b))
            {
                self.pos += 1;
            }
            self.src[s..self.pos].to_string()
        };
        if self.peek() != Some(b']') || arg.is_empty() {
            self.err(open, SyntaxFault::FieldArgument);
            return None;
        }
        self.pos += 1;
        Some(Some(arg))
    }

    fn comparison(&mut self, start: usize) -> Option<Expr> {
        // A macro: one identifier not followed by an operator.
        let save = self.pos;
        if let Some((name, 1)) = self.name() {
            if !(TRANSFORMERS.contains(&name.as_str()) && self.peek() == Some(b'(')) {
                return Some(Expr::Macro {
                    name,
                    span: Span::new(start, self.pos),
                });
            }
        }
        self.pos = save;
        let lhs = self.operand(0)?;
        self.blanks();
        let op_at = self.pos;
        if self.at_keyword("exists", false, true) {
            self.pos += 6;
            return Some(Expr::Exists {
                lhs,
                span: Span::new(start, self.pos),
            });
        }
        let Some(op) = self.operator() else {
            let found = self.word_at(op_at).to_string();
            self.err(
                op_at,
                SyntaxFault::ExpectedOperator {
                    after: lhs.to_string(),
                    found,
                },
            );
            return None;
        };
        self.blanks();
        let mut modifier = None;
        if !op.is_numeric() && !op.is_list() {
            for (kw, m) in [
                ("oneof", Modifier::OneOf),
                ("anyof", Modifier::AnyOf),
                ("allof", Modifier::AllOf),
            ] {
                if self.at_keyword(kw, true, false) {
                    // Only a modifier if a list follows; otherwise a bare value.
                    let save = self.pos;
                    self.pos += kw.len();
                    self.blanks();
                    if self.peek() == Some(b'(') {
                        modifier = Some(m);
                    } else {
                        self.pos = save;
                    }
                    break;
                }
            }
        }
        let rhs = if op.is_list() || modifier.is_some() {
            self.list_rhs()?
        } else {
            self.value_rhs(op)?
        };
        Some(Expr::Compare {
            lhs,
            op,
            modifier,
            rhs,
            span: Span::new(start, self.pos),
        })
    }

    /// The operator at the cursor, from [`CmpOp::ALL`]: a symbol (the
    /// two-character ones first, `==` for `=`), or a word followed by a
    /// blank (a list operator's also by `(`).
    fn operator(&mut self) -> Option<CmpOp> {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        if rest.starts_with(b"==") {
            self.pos += 2;
            return Some(CmpOp::Eq);
        }
        let symbol = |op: &&CmpOp| !op.as_str().starts_with(|c: char| c.is_ascii_alphabetic());
        let symbols = |len: usize| {
            CmpOp::ALL
                .iter()
                .filter(symbol)
                .filter(move |op| op.as_str().len() == len)
        };
        let op = symbols(2)
            .chain(symbols(1))
            .find(|op| rest.starts_with(op.as_str().as_bytes()))
            .or_else(|| {
                CmpOp::ALL
                    .iter()
                    .filter(|op| !symbol(op))
                    .find(|op| self.at_keyword(op.as_str(), op.is_list(), false))
            })
            .copied()?;
        self.pos += op.as_str().len();
        Some(op)
    }

    fn list_rhs(&mut self) -> Option<Rhs> {
        self.blanks();
        let start = self.pos;
        if self.peek() != Some(b'(') {
            if let Some((name, 1)) = self.name() {
                return Some(Rhs::ListName(name, Span::new(start, self.pos)));
            }
            self.pos = start;
            self.err(start, SyntaxFault::ExpectedList);
            return None;
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.blanks();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Some(Rhs::List(items, Span::new(start, self.pos)));
        }
        loop {
            self.blanks();
            // Empty items (an empty list substituted into `(a, , b)` or a
            // trailing comma) are skipped, as Falco does with its stock rules.
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let v = self.strvalue()?;
            items.push(v);
            if self.item_end(|| Sequence::List)? {
                break;
            }
        }
        Some(Rhs::List(items, Span::new(start, self.pos)))
    }

    fn value_rhs(&mut self, op: CmpOp) -> Option<Rhs> {
        self.blanks();
        let start = self.pos;
        // val(field) and transformers.
        if self.s.get(self.pos..self.pos + 4) == Some(b"val(") {
            self.pos += 4;
            self.blanks();
            let f = self.operand(0)?;
            self.blanks();
            let Operand::Field(r) = f else {
                self.err(start, SyntaxFault::ValTakesField);
                return None;
            };
            if self.peek() != Some(b')') {
                let at = self.pos;
                self.err(at, SyntaxFault::ValUnclosed);
                return None;
            }
            self.pos += 1;
            return Some(Rhs::Val(r));
        }
        let save = self.pos;
        if let Some((name, 1)) = self.name() {
            if TRANSFORMERS.contains(&name.as_str()) && self.peek() == Some(b'(') {
                self.pos = save;
                return self.operand(0).map(Rhs::Transformer);
            }
        }
        self.pos = save;
        let v = self.strvalue()?;
        if op.is_numeric() && !is_number(&v.text) {
            self.errors.push(SyntaxError {
                span: v.span,
                fault: SyntaxFault::NeedsNumber {
                    op: op.as_str(),
                    found: v.text.clone(),
                },
            });
            return None;
        }
        Some(Rhs::Value(v))
    }

    fn strvalue(&mut self) -> Option<Literal> {
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.quoted();
        }
        let start = self.pos;
        match self.bare() {
            Some(l) => Some(l),
            None => {
                let found = self.word_at(start).to_string();
                self.err(start, SyntaxFault::ExpectedValue { found });
                None
            }
        }
    }

    /// BARESTR: `[^()"'[:space:]=,]+`.
    fn bare(&mut self) -> Option<Literal> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_blank(b))
        {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        Some(Literal {
            text: self.src[start..self.pos].to_string(),
            quoted: false,
            span: Span::new(start, self.pos),
        })
    }

    /// A quoted string with libsinsp's escapes.
    fn quoted(&mut self) -> Option<Literal> {
        let start = self.pos;
        let q = self.peek()?;
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                self.errors.push(SyntaxError {
                    span: Span::new(start, self.pos),
                    fault: SyntaxFault::Unterminated,
                });
                return None;
            };
            self.pos += 1;
            if b == q {
                break;
            }
            if b != b'\\' {
                out.push(b);
                continue;
            }
            let esc_at = self.pos - 1;
            let Some(e) = self.peek() else { continue };
            self.pos += 1;
            match e {
                b'b' => out.push(0x08),
                b'f' => out.push(0x0c),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'/' => out.push(b'/'),
                b' ' => out.push(b'\\'),
                b'"' if q == b'"' => out.push(b'"'),
                b'\'' if q == b'\'' => out.push(b'\''),
                b'x' => {
                    let hex = self
                        .src
                        .get(self.pos..self.pos + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(v) => {
                            out.push(v);
                            self.pos += 2;
                        }
                        None => self.errors.push(SyntaxError {
                            span: Span::new(esc_at, self.pos),
                            fault: SyntaxFault::BadHexEscape,
                        }),
                    }
                }
                other => self.errors.push(SyntaxError {
                    span: Span::new(esc_at, self.pos),
                    fault: SyntaxFault::UnknownEscape {
                        escape: char::from(other),
                    },
                }),
            }
        }
        Some(Literal {
            text: String::from_utf8_lossy(&out).into_owned(),
            quoted: true,
            span: Span::new(start, self.pos),
        })
    }
}

/// libsinsp's number syntax (decimal, optional sign, fraction, exponent, or hex).
pub fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    !t.is_empty() && t.starts_with(|c: char| c.is_ascii_digit()) && t.parse::<f64>().is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn round(src: &str) -> String {
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let printed = e.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("reparse of {printed}: {e}"));
        assert_eq!(again.to_string(), printed, "printing is a fixed point");
        printed
    }

    #[test]
    fn prints_back() {
        assert_eq!(round("evt.type=open"), "evt.type = open");
        assert_eq!(
            round("proc.name in (bash, 'sh', \"a b\") and not fd.name startswith /etc"),
            "proc.name in (bash, sh, \"a b\") and not fd.name startswith /etc"
        );
        assert_eq!(round("a or b and c"), "a or (b and c)");
        assert_eq!(round("not not (x or y)"), "not (not (x or y))");
        assert_eq!(
            round("proc.aname[2]=sshd and evt.arg[0] exists"),
            "proc.aname[2] = sshd and evt.arg[0] exists"
        );
        assert_eq!(
            round("tolower(proc.name) = bash"),
            "tolower(proc.name) = bash"
        );
        assert_eq!(
            round("proc.name startswith anyof (ba, zs)"),
            "proc.name startswith anyof (ba, zs)"
        );
        assert_eq!(round("proc.name = oneof"), "proc.name = \"oneof\"");
        assert_eq!(
            round("fd.num>=3 and fd.num < 0x10"),
            "fd.num >= 3 and fd.num < 0x10"
        );
        assert_eq!(
            round("proc.name=val(proc.pname)"),
            "proc.name = val(proc.pname)"
        );
        assert_eq!(
            round("fd.name pmatch(/etc, /var/run)"),
            "fd.name pmatch (/etc, /var/run)"
        );
        assert_eq!(
            round("proc.cmdline contains \"a\\\"b\""),
            "proc.cmdline contains \"a\\\"b\""
        );
    }

    #[test]
    fn reports_every_error_with_its_column() {
        let e = parse("proc.name = (x) and fd.num > abc or (evt.type in (a, b").unwrap_err();
        assert!(e.errors.len() >= 3, "{e}");
        let text = e.to_string();
        assert!(text.contains("column 13"), "{text}");
        assert!(text.contains("needs a number, found 'abc'"), "{text}");
    }

    #[test]
    fn an_unended_sequence_says_which() {
        let faults = |src: &str| -> Vec<SyntaxFault> {
            parse(src)
                .unwrap_err()
                .errors
                .into_iter()
                .map(|e| e.fault)
                .collect()
        };
        assert!(
            faults("proc.name in (a b)").contains(&SyntaxFault::ItemEnd {
                inside: Sequence::List
            })
        );
        let e = SyntaxFault::ItemEnd {
            inside: Sequence::Arguments {
                transformer: "tolower".into(),
            },
        };
        assert!(faults("tolower(proc.name x) = a").contains(&e), "{e}");
        assert_eq!(e.to_string(), "expected ',' or ')' in tolower(…)");
    }

    #[test]
    fn rejects_bad_syntax() {
        for bad in [
            "",
            "   ",
            "evt.type",
            "evt.type = 'x",
            "(evt.type=open",
            "evt.type=open)",
            "evt.type open",
            "fd.num < x",
            "a and",
            "proc.name=\"\\q\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}evt.type=open{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.to_string().contains("nested deeper than 256"), "{e}");
        let nots = format!("{}evt.type=open", "not ".repeat(10_000));
        assert!(parse(&nots).is_err());
        let xforms = format!(
            "{}proc.name{} = x",
            "tolower(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(parse(&xforms)
            .unwrap_err()
            .to_string()
            .contains("transformers nested deeper"));
        let ok = format!("{}evt.type=open{}", "(".repeat(250), ")".repeat(250));
        assert!(parse(&ok).is_ok());
    }
}
