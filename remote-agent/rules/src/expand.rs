//! Lists and macros expanded the way Falco does, under the limits of
//! [`super::limits`]: each list's and macro's expanded size is computed
//! from the memoised sizes of what it names, checked, and only then built.
//!
//! Macros keep their own parsed tree only; a rule's expansion is built from
//! those when the rule is compiled, so the macro table costs what the text
//! costs, however deep macros nest (it used to hold every macro expanded).
//!
//! The resolution is the one the loader always had, in two passes: a macro
//! sees the macros defined before it ("pass 1"); then the names it still
//! holds (macros defined after it, itself) are replaced by those macros'
//! pass-1 trees ("pass 2"); a rule's macro names are replaced by pass-2
//! trees. A name nothing resolves stays, and compiling reports it.

use std::collections::{HashMap, HashSet};

use scapbridge_filter::ast::{Expr, Span};

use super::limits::{measure, Budget, Limit, ListSize, Metrics, Ref};
use super::{quote, Diagnostic, ListDef, MacroDef};

/// A piece of a condition, for list substitution.
enum Piece<'a> {
    /// Text kept as it is.
    Text(&'a str),
    /// A word that is replaced if it names a list.
    Word(&'a str),
}

/// Falco's textual list substitution, as pieces: words are bounded by
/// start/end or one of ` \t\n\r(),=` outside quotes (the empty word
/// between two bounds too: a list may be named "").
fn scan<'a>(cond: &'a str, mut f: impl FnMut(Piece<'a>)) {
    let is_bound = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '(' | ')' | ',' | '=');
    let mut start: Option<usize> = None;
    let mut in_quote: Option<char> = None;
    for (i, c) in cond.char_indices() {
        let here = &cond[i..i + c.len_utf8()];
        if let Some(q) = in_quote {
            f(Piece::Text(here));
            if c == q {
                in_quote = None;
            }
            continue;
        }
        if (c == '"' || c == '\'') && start.is_none() {
            in_quote = Some(c);
            f(Piece::Text(here));
            continue;
        }
        if is_bound(c) {
            f(Piece::Word(&cond[start.take().unwrap_or(i)..i]));
            f(Piece::Text(here));
        } else if start.is_none() {
            start = Some(i);
        }
    }
    f(Piece::Word(&cond[start.unwrap_or(cond.len())..]));
}

/// A list name becomes its items joined with `, `.
pub(super) fn substitute_lists(cond: &str, lists: &HashMap<String, Vec<String>>) -> String {
    let mut out = String::with_capacity(cond.len());
    scan(cond, |p| match p {
        Piece::Text(t) => out.push_str(t),
        Piece::Word(w) => match lists.get(w) {
            Some(items) => {
                for (n, i) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&quote(i));
                }
            }
            None => out.push_str(w),
        },
    });
    out
}

/// Why a condition's lists were not substituted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// It names a refused list (that error is reported already).
    UsesRefused,
    /// The text would be this long, over [`super::limits::MAX_CONDITION_BYTES`].
    TooLong(u64),
}

/// The lists of a rule set, expanded.
#[derive(Debug, Default)]
pub(super) struct Lists {
    /// Each list within the limits, the lists it names expanded.
    pub items: HashMap<String, Vec<String>>,
    sizes: HashMap<String, ListSize>,
    /// Over a limit, or naming a list that is.
    refused: HashSet<String>,
}

impl Lists {
    /// Expands lists in definition order: an item naming an earlier list
    /// stands for its items; any other item is itself. A list over a limit
    /// is reported at its definition and left out; lists naming it are
    /// left out silently.
    pub(crate) fn expand(
        order: &[String],
        defs: &HashMap<String, ListDef>,
        diags: &mut Vec<Diagnostic>,
    ) -> Lists {
        let mut out = Lists::default();
        for name in order {
            let Some(def) = defs.get(name) else {
                continue;
            };
            let mut size = ListSize::default();
            let mut uses_refused = false;
            for i in &def.items {
                uses_refused |= out.refused.contains(i);
                size = size.plus(match out.sizes.get(i) {
                    Some(sub) => *sub,
                    None => ListSize::item(i.len(), quote(i).len()),
                });
            }
            if uses_refused {
                out.refused.insert(name.clone());
                continue;
            }
            if let Err((limit, found)) = size.check() {
                diags.push(Diagnostic::limit(
                    &def.file,
                    def.pos,
                    limit,
                    limit.message(&format!("list '{name}'"), found),
                ));
                out.refused.insert(name.clone());
                continue;
            }
            let mut items = Vec::with_capacity(usize::try_from(size.items).unwrap_or(0));
            for i in &def.items {
                match out.items.get(i) {
                    Some(sub) => items.extend(sub.iter().cloned()),
                    None => items.push(i.clone()),
                }
            }
            out.sizes.insert(name.clone(), size);
            out.items.insert(name.clone(), items);
        }
        out
    }

    /// `cond` with its lists substituted, measured first.
    pub(crate) fn substitute(&self, cond: &str) -> Result<String, Refusal> {
        let mut len = 0u64;
        let mut uses_refused = false;
        scan(cond, |p| {
            let n = match p {
                Piece::Text(t) => t.len() as u64,
                Piece::Word(w) => {
                    uses_refused |= self.refused.contains(w);
                    self.sizes.get(w).map_or(w.len() as u64, |s| s.rendered())
                }
            };
            len = len.saturating_add(n);
        });
        if uses_refused {
            return Err(Refusal::UsesRefused);
        }
        if len > super::limits::MAX_CONDITION_BYTES {
            return Err(Refusal::TooLong(len));
        }
        Ok(substitute_lists(cond, &self.items))
    }
}

/// Lists substituted into a condition with every limit checked: `None` if
/// refused (the error, if any is due, pushed with `at` and `what`).
pub(super) fn condition_text(
    lists: &Lists,
    budget: &mut Budget,
    cond: &str,
    at: (&std::path::Path, super::Pos),
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    if budget.spent {
        return None;
    }
    let text = match lists.substitute(cond) {
        Ok(t) => t,
        Err(Refusal::UsesRefused) => return None,
        Err(Refusal::TooLong(n)) => {
            let l = Limit::ConditionBytes;
            diags.push(Diagnostic::limit(at.0, at.1, l, l.message(what, n)));
            return None;
        }
    };
    if let Err(total) = budget.bytes(text.len() as u64) {
        let l = Limit::TotalConditionBytes;
        diags.push(Diagnostic::limit(at.0, at.1, l, l.message(what, total)));
        budget.spent = true;
        return None;
    }
    Some(text)
}

/// Counts a macro's own tree, as the macro table keeps it, in the rule
/// set's budget; false (the error pushed once) if over it.
pub(super) fn own_nodes_fit(
    ast: &Expr,
    budget: &mut Budget,
    at: (&std::path::Path, super::Pos),
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let own = measure(ast, &mut |_| Ref::Kept).map_or(0, |m| m.nodes);
    if budget.spent {
        return false;
    }
    if let Err(total) = budget.nodes(own) {
        let l = Limit::TotalNodes;
        diags.push(Diagnostic::limit(at.0, at.1, l, l.message(what, total)));
        budget.spent = true;
        return false;
    }
    true
}

/// One macro, as defined.
#[derive(Debug)]
struct Macro {
    name: String,
    /// Its own tree (lists substituted, macro names left); `None` if its
    /// text was refused.
    ast: Option<Expr>,
    /// Pass-1 and pass-2 sizes; `None`: refused.
    pass1: Option<Metrics>,
    pass2: Option<Metrics>,
}

/// Macros by definition order, each with its sizes once expanded.
#[derive(Debug, Default)]
pub(super) struct Macros {
    list: Vec<Macro>,
    index: HashMap<String, usize>,
}

impl Macros {
    /// Adds the next macro in definition order; `ast` is `None` if its
    /// text was refused (a macro whose text does not parse is not added:
    /// its name stays unresolved, as it always did).
    pub(crate) fn push(&mut self, name: &str, ast: Option<Expr>) {
        self.index.insert(name.to_string(), self.list.len());
        self.list.push(Macro {
            name: name.to_string(),
            ast,
            pass1: None,
            pass2: None,
        });
    }

    /// Measures every macro (pass 1 for all, then pass 2) and reports, at
    /// each macro's definition, the first limit its expansion exceeds; a
    /// macro using a refused macro is refused silently.
    pub(crate) fn measure(
        &mut self,
        defs: &HashMap<String, MacroDef>,
        diags: &mut Vec<Diagnostic>,
    ) {
        for pass in [1, 2] {
            for i in 0..self.list.len() {
                let Some(ast) = &self.list[i].ast else {
                    continue;
                };
                let m = measure(ast, &mut |n| self.resolve(n, pass, Some(i)));
                let Some(m) = m.map(Metrics::as_macro) else {
                    continue;
                };
                // Pass 2 holds pass 1: report a macro once.
                let reported = pass == 2 && self.list[i].pass1.is_none();
                let ok = match m.check(true) {
                    Ok(()) => Some(m),
                    Err(_) if reported => None,
                    Err((limit, found)) => {
                        let name = &self.list[i].name;
                        if let Some(d) = defs.get(name) {
                            let what = format!("macro '{name}'");
                            diags.push(Diagnostic::limit(
                                &d.file,
                                d.pos,
                                limit,
                                limit.message(&what, found),
                            ));
                        }
                        None
                    }
                };
                let slot = &mut self.list[i];
                if pass == 1 {
                    slot.pass1 = ok;
                } else {
                    slot.pass2 = ok;
                }
            }
        }
    }

    /// How `name` resolves in pass 1 or 2 of macro `at`, or in a rule
    /// (`at` `None`).
    fn resolve(&self, name: &str, pass: u8, at: Option<usize>) -> Ref {
        let Some(&j) = self.index.get(name) else {
            return Ref::Kept;
        };
        let m = &self.list[j];
        let found = match at {
            None => m.pass2,
            Some(i) if j < i && pass == 1 => m.pass1,
            Some(i) if j < i => m.pass2,
            Some(_) if pass == 1 => return Ref::Kept,
            Some(_) => m.pass1,
        };
        found.map_or(Ref::Refused, Ref::Expanded)
    }

    /// Macro names in a rule's condition that no macro resolves.
    pub(crate) fn missing(&self, e: &Expr) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        refs(e, &mut |name, span| {
            if !self.index.contains_key(name) {
                out.push((name.to_string(), span));
            }
        });
        out
    }

    /// A rule condition's size once expanded; `None` if it uses a refused
    /// macro.
    pub(crate) fn measure_rule(&self, e: &Expr) -> Option<Metrics> {
        measure(e, &mut |n| self.resolve(n, 2, None))
    }

    /// A rule condition expanded (measure it first: this builds it whole).
    pub(crate) fn build_rule(&self, e: &Expr) -> Expr {
        self.build(e, 2, None)
    }

    fn build(&self, e: &Expr, pass: u8, at: Option<usize>) -> Expr {
        match e {
            Expr::And(v) => Expr::And(v.iter().map(|x| self.build(x, pass, at)).collect()),
            Expr::Or(v) => Expr::Or(v.iter().map(|x| self.build(x, pass, at)).collect()),
            Expr::Not(x) => Expr::Not(Box::new(self.build(x, pass, at))),
            Expr::Macro { name, .. } => {
                let target = self.index.get(name).and_then(|&j| {
                    let own = self.list[j].ast.as_ref()?;
                    match at {
                        None => Some((own, 2, j)),
                        Some(i) if j < i => Some((own, pass, j)),
                        Some(_) if pass == 1 => None,
                        Some(_) => Some((own, 1, j)),
                    }
                });
                match target {
                    Some((own, p, j)) => self.build(own, p, Some(j)),
                    None => e.clone(),
                }
            }
            other => other.clone(),
        }
    }
}

/// Calls `f` on every macro name in `e`, in order.
pub(super) fn refs(e: &Expr, f: &mut impl FnMut(&str, Span)) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| refs(x, f)),
        Expr::Not(x) => refs(x, f),
        Expr::Macro { name, span } => f(name, *span),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use scapbridge_filter::parse;

    #[test]
    fn measuring_a_substitution_matches_the_substitution() {
        let mut l = HashMap::new();
        l.insert("a".to_string(), vec!["x y".to_string(), "z".to_string()]);
        l.insert("e".to_string(), Vec::new());
        let lists = Lists {
            sizes: l
                .iter()
                .map(|(k, v)| {
                    let s = v.iter().fold(ListSize::default(), |s, i| {
                        s.plus(ListSize::item(i.len(), quote(i).len()))
                    });
                    (k.clone(), s)
                })
                .collect(),
            items: l,
            refused: ["bad".to_string()].into_iter().collect(),
        };
        for cond in [
            "f.p in (a, e, 'a', \"a b\")",
            "a",
            "f.p=a and f.q in (e)",
            "",
        ] {
            let mut len = 0u64;
            scan(cond, |p| {
                len += match p {
                    Piece::Text(t) => t.len() as u64,
                    Piece::Word(w) => lists.sizes.get(w).map_or(w.len() as u64, |s| s.rendered()),
                }
            });
            let out = lists.substitute(cond).unwrap();
            assert_eq!(len, out.len() as u64, "{cond} -> {out}");
        }
        assert_eq!(
            lists.substitute("f.p in (a, bad)"),
            Err(Refusal::UsesRefused)
        );
    }

    fn table(defs: &[(&str, &str)]) -> Macros {
        let mut m = Macros::default();
        for (n, t) in defs {
            m.push(n, Some(parse(t).unwrap()));
        }
        m.measure(&HashMap::new(), &mut Vec::new());
        m
    }

    #[test]
    fn measured_sizes_are_the_built_sizes() {
        // Earlier, later (pass 2) and self references, an undefined name.
        let m = table(&[
            ("a", "f.x = 1 or f.y = 2"),
            ("b", "a and (a or c) and not later"),
            ("later", "f.z = 1 and a"),
            ("c", "c or undefined"),
        ]);
        for rule in ["b", "b or later", "not (c and b)", "a and a and a"] {
            let ast = parse(rule).unwrap();
            let want = m.measure_rule(&ast).unwrap();
            let built = m.build_rule(&ast);
            let got = measure(&built, &mut |_| Ref::Kept).unwrap();
            assert_eq!(
                (want.nodes, want.nesting, want.kind),
                (got.nodes, got.nesting, got.kind),
                "{rule} -> {built}"
            );
        }
        // Pass 2 resolves one level only, as the loader always did.
        let built = m.build_rule(&parse("c").unwrap()).to_string();
        assert_eq!(built, "(c or undefined) or undefined");
    }

    #[test]
    fn a_refused_macro_refuses_its_users_silently() {
        let mut defs = vec![("d0", "f.p = 1".to_string())];
        for i in 1..=25 {
            defs.push((
                Box::leak(format!("d{i}").into_boxed_str()),
                format!("d{} or d{}", i - 1, i - 1),
            ));
        }
        let mut m = Macros::default();
        for (n, t) in &defs {
            m.push(n, Some(parse(t).unwrap()));
        }
        let mut diags = Vec::new();
        let mdefs = defs
            .iter()
            .enumerate()
            .map(|(order, (n, t))| {
                (
                    n.to_string(),
                    MacroDef {
                        condition: t.clone(),
                        file: "t.yaml".into(),
                        pos: super::super::Pos::default(),
                        order,
                    },
                )
            })
            .collect();
        m.measure(&mdefs, &mut diags);
        assert_eq!(diags.len(), 1, "{diags:?}");
        // d_i is 2^(i+1) - 1 nodes: d18 is the first over 500,000.
        assert!(diags[0]
            .message
            .starts_with("macro 'd18': expands to 524287 nodes"));
        assert_eq!(diags[0].limit, Some(Limit::ConditionNodes));
        assert!(m.measure_rule(&parse("d25").unwrap()).is_none());
        assert!(m.measure_rule(&parse("d17").unwrap()).is_some());
    }
}
