//! Hard limits on what a rules file may expand to, and the arithmetic that
//! checks them before anything is materialised.
//!
//! A rules file is small, but three of its features multiply: YAML aliases
//! (a 772-byte "billion laughs" file expands to gigabytes), lists naming
//! lists (40 lists each holding the previous one twice: 2^40 items) and
//! macros naming macros (22 macros each using the previous one twice: 4
//! million nodes, and every expanded macro used to be kept). Falco's
//! yaml-cpp and macro resolver have no limits; we refuse such files with one
//! error per cause, naming the limit, the file:line:col and the list, macro
//! or rule. Every size is computed from the sizes of the parts (memoised per
//! list and macro, saturating) before the expansion is built, so a refused
//! file costs no more memory than its text.
//!
//! The limits are far above real rule sets: Falco's stable
//! `falco_rules.yaml` (25 rules, 87 macros, 49 lists) makes 1,547 YAML
//! nodes, no alias; its longest list has 67 items (937 bytes), its largest
//! expanded condition 303 nodes (2.6 KB of text), 1,144 nodes for all 25
//! rules; conditions nest 3 levels deep once expanded and macros 3 deep.

use std::fmt;

use scapbridge_filter::ast::{Expr, Rhs};
use scapbridge_filter::parser::MAX_DEPTH;

/// Most YAML nodes a rules file may build (scalars, sequences, mappings;
/// copies made by aliases and kept for anchors included). Text without
/// aliases needs at least two bytes per node, so only a file of several
/// megabytes reaches it; bounds the tree to a few hundred megabytes.
pub const MAX_YAML_NODES: u64 = 2_000_000;

/// Most YAML nodes aliases (`*name`) may produce in one file. Falco's
/// rules use no alias at all; this stops alias bombs early.
pub const MAX_ALIAS_NODES: u64 = 1_000_000;

/// Deepest YAML nesting accepted (sequences and mappings). Rules files nest
/// a few levels deep; a tree thousands deep overflows the stack when
/// dropped.
/// yaml-rust2 limits flow nesting (`[[[…]]]`) to 255 itself, not block
/// nesting.
pub const MAX_YAML_DEPTH: usize = 256;

/// Most items a list may hold once the lists it names are expanded.
pub const MAX_LIST_ITEMS: u64 = 100_000;

/// Most bytes (the items' text) a list may hold once expanded: a list of a
/// few items can still name a list of one huge item many times. 100,000
/// paths of 40 bytes fit.
pub const MAX_LIST_BYTES: u64 = 4 << 20;

/// Longest condition text (of a macro, or of a rule with its exceptions)
/// once lists are substituted into it: a longest list twice.
pub const MAX_CONDITION_BYTES: u64 = 8 << 20;

/// Longest total of condition text, over every macro and rule, once lists
/// are substituted: each reference to a list copies it, and rules keep
/// their text.
pub const MAX_TOTAL_CONDITION_BYTES: u64 = 32 << 20;

/// Most nodes a condition may have once macros are expanded (every `and`,
/// `or`, `not`, comparison and value of an `in (…)` list counts one): a
/// longest list five times. A node costs about 130 bytes once compiled.
pub const MAX_CONDITION_NODES: u64 = 500_000;

/// Most nodes the conditions of a rule set may have together: the macros'
/// own trees, and each rule's expanded one (a compiled rule keeps its own
/// copy of the macros it uses). About 260 MB once compiled.
pub const MAX_TOTAL_NODES: u64 = 2_000_000;

/// Deepest nesting of a condition once macros are expanded, counted as the
/// parser counts it (parentheses and `not`s a written-out condition would
/// need): the parser's own limit, which keeps the evaluator's recursion
/// within a small thread stack.
pub const MAX_NESTING: usize = MAX_DEPTH;

/// Most macros nested in one another (`a` uses `b` which uses `c`: 3).
/// Falco's rules nest 3 deep; a chain costs stack when it is expanded.
pub const MAX_MACRO_CHAIN: usize = 100;

/// Which limit a rules file exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`MAX_YAML_NODES`].
    YamlNodes,
    /// [`MAX_ALIAS_NODES`].
    AliasNodes,
    /// [`MAX_YAML_DEPTH`].
    YamlDepth,
    /// [`MAX_LIST_ITEMS`].
    ListItems,
    /// [`MAX_LIST_BYTES`].
    ListBytes,
    /// [`MAX_CONDITION_BYTES`].
    ConditionBytes,
    /// [`MAX_TOTAL_CONDITION_BYTES`].
    TotalConditionBytes,
    /// [`MAX_CONDITION_NODES`].
    ConditionNodes,
    /// [`MAX_TOTAL_NODES`].
    TotalNodes,
    /// [`MAX_NESTING`].
    Nesting,
    /// [`MAX_MACRO_CHAIN`].
    MacroChain,
}

impl Limit {
    /// The limit's value.
    pub fn value(self) -> u64 {
        match self {
            Limit::YamlNodes => MAX_YAML_NODES,
            Limit::AliasNodes => MAX_ALIAS_NODES,
            Limit::YamlDepth => MAX_YAML_DEPTH as u64,
            Limit::ListItems => MAX_LIST_ITEMS,
            Limit::ListBytes => MAX_LIST_BYTES,
            Limit::ConditionBytes => MAX_CONDITION_BYTES,
            Limit::TotalConditionBytes => MAX_TOTAL_CONDITION_BYTES,
            Limit::ConditionNodes => MAX_CONDITION_NODES,
            Limit::TotalNodes => MAX_TOTAL_NODES,
            Limit::Nesting => MAX_NESTING as u64,
            Limit::MacroChain => MAX_MACRO_CHAIN as u64,
        }
    }

    /// The limit in words: "100000 items per list".
    fn describe(self) -> String {
        let v = self.value();
        match self {
            Limit::YamlNodes => format!("{v} YAML nodes per file"),
            Limit::AliasNodes => format!("{v} YAML nodes made by aliases per file"),
            Limit::YamlDepth => format!("{v} levels of YAML nesting"),
            Limit::ListItems => format!("{v} items per list"),
            Limit::ListBytes => format!("{v} bytes per list"),
            Limit::ConditionBytes => format!("{v} bytes per condition"),
            Limit::TotalConditionBytes => format!("{v} bytes of conditions per rule set"),
            Limit::ConditionNodes => format!("{v} nodes per condition"),
            Limit::TotalNodes => format!("{v} nodes of conditions per rule set"),
            Limit::Nesting => format!("{v} levels"),
            Limit::MacroChain => format!("{v} macros"),
        }
    }

    /// The error: `{subject}: {what was found}, over the limit of {limit}`.
    pub fn message(self, subject: &str, found: u64) -> String {
        format!("{subject}: {}", self.exceeded(found))
    }

    /// `{what was found}, over the limit of {limit}`.
    pub fn exceeded(self, found: u64) -> String {
        let what = match self {
            Limit::YamlNodes => format!("the file makes at least {found} nodes"),
            Limit::AliasNodes => format!("aliases make at least {found} nodes"),
            Limit::YamlDepth => format!("sequences and mappings nest {found} deep"),
            Limit::ListItems => format!("expands to {found} items"),
            Limit::ListBytes => format!("expands to {found} bytes"),
            Limit::ConditionBytes => {
                format!("is {found} bytes long once lists are substituted")
            }
            Limit::TotalConditionBytes => {
                format!("brings the conditions to {found} bytes once lists are substituted")
            }
            Limit::ConditionNodes => {
                format!("expands to {found} nodes once macros are substituted")
            }
            Limit::TotalNodes => {
                format!("brings the conditions to {found} nodes once macros are substituted")
            }
            Limit::Nesting => {
                format!("nests {found} levels deep once macros are substituted")
            }
            Limit::MacroChain => format!("nests {found} macros in one another"),
        };
        format!("{what}, over the limit of {}", self.describe())
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The size of a list once expanded, without building it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListSize {
    /// Items.
    pub items: u64,
    /// Bytes of the items' text.
    pub bytes: u64,
    /// Bytes of the items quoted as conditions need them, without the
    /// `, ` between them.
    pub quoted: u64,
}

impl ListSize {
    /// One item of `bytes` bytes, `quoted` once quoted.
    pub fn item(bytes: usize, quoted: usize) -> ListSize {
        ListSize {
            items: 1,
            bytes: bytes as u64,
            quoted: quoted as u64,
        }
    }

    /// This list followed by `other`'s items.
    pub fn plus(self, other: ListSize) -> ListSize {
        ListSize {
            items: self.items.saturating_add(other.items),
            bytes: self.bytes.saturating_add(other.bytes),
            quoted: self.quoted.saturating_add(other.quoted),
        }
    }

    /// Length of the text that replaces the list's name in a condition
    /// (`a, b, c`).
    pub fn rendered(self) -> u64 {
        self.quoted
            .saturating_add(self.items.saturating_sub(1).saturating_mul(2))
    }

    /// The first limit it exceeds.
    pub fn check(self) -> Result<(), (Limit, u64)> {
        if self.items > MAX_LIST_ITEMS {
            Err((Limit::ListItems, self.items))
        } else if self.bytes > MAX_LIST_BYTES {
            Err((Limit::ListBytes, self.bytes))
        } else {
            Ok(())
        }
    }
}

/// What the root of a condition tree is: whether it needs parentheses
/// where it is substituted decides the nesting it adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// A comparison, `exists` or an unexpanded macro name.
    #[default]
    Leaf,
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `not`.
    Not,
}

/// The size of a condition tree once macros are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Nodes (saturating).
    pub nodes: u64,
    /// Nesting as the parser counts it: the parentheses and `not`s the
    /// deepest point needs when written out.
    pub nesting: usize,
    /// Macros nested in one another along the deepest chain.
    pub chain: usize,
    /// The root.
    pub kind: Kind,
}

impl Metrics {
    /// A single node: a comparison, or a macro name left unexpanded.
    pub const LEAF: Metrics = Metrics {
        nodes: 1,
        nesting: 0,
        chain: 0,
        kind: Kind::Leaf,
    };

    /// The metrics of a macro whose own tree (its references expanded)
    /// measures `body`: one more level of macro chain.
    pub fn as_macro(self) -> Metrics {
        Metrics {
            chain: self.chain.saturating_add(1),
            ..self
        }
    }

    /// The first limit a condition with these metrics exceeds (the macro
    /// chain is checked on macros only: a rule is not a macro).
    pub fn check(self, is_macro: bool) -> Result<(), (Limit, u64)> {
        if is_macro && self.chain > MAX_MACRO_CHAIN {
            Err((Limit::MacroChain, self.chain as u64))
        } else if self.nesting > MAX_NESTING {
            Err((Limit::Nesting, self.nesting as u64))
        } else if self.nodes > MAX_CONDITION_NODES {
            Err((Limit::ConditionNodes, self.nodes))
        } else {
            Ok(())
        }
    }
}

/// How a macro name in a tree is resolved when measuring it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    /// Replaced by a tree of these metrics.
    Expanded(Metrics),
    /// Left as it is (undefined, or not visible from here).
    Kept,
    /// The macro was refused (its error is reported already).
    Refused,
}

/// Measures `e` with its macro names resolved by `resolve`, without
/// building anything; `None` if it uses a refused macro. Recursion follows
/// the tree as parsed, whose depth the parser bounds.
pub fn measure(e: &Expr, resolve: &mut dyn FnMut(&str) -> Ref) -> Option<Metrics> {
    // The nesting a child adds under its parent: the parentheses it would
    // need written out (`a and (b or c)`, `not (a and b)`, `(a or b) or c`
    // is parsed flat, so an `or` in an `or` was parenthesised).
    fn paren(parent: Kind, child: Kind) -> usize {
        usize::from(match parent {
            Kind::Or => child == Kind::Or,
            Kind::And | Kind::Not => matches!(child, Kind::And | Kind::Or),
            Kind::Leaf => false,
        })
    }
    let group = |items: &[Expr], kind: Kind, resolve: &mut dyn FnMut(&str) -> Ref| {
        let mut m = Metrics {
            kind,
            ..Metrics::LEAF
        };
        for x in items {
            let c = measure(x, resolve)?;
            m.nodes = m.nodes.saturating_add(c.nodes);
            m.nesting = m.nesting.max(c.nesting + paren(kind, c.kind));
            m.chain = m.chain.max(c.chain);
        }
        Some(m)
    };
    match e {
        Expr::And(v) => group(v, Kind::And, resolve),
        Expr::Or(v) => group(v, Kind::Or, resolve),
        Expr::Not(x) => {
            let c = measure(x, resolve)?;
            Some(Metrics {
                nodes: c.nodes.saturating_add(1),
                nesting: c.nesting + 1 + paren(Kind::Not, c.kind),
                chain: c.chain,
                kind: Kind::Not,
            })
        }
        Expr::Macro { name, .. } => match resolve(name) {
            Ref::Expanded(m) => Some(m),
            Ref::Kept => Some(Metrics::LEAF),
            Ref::Refused => None,
        },
        Expr::Compare {
            rhs: Rhs::List(items, _),
            ..
        } => Some(Metrics {
            nodes: 1u64.saturating_add(items.len() as u64),
            ..Metrics::LEAF
        }),
        Expr::Compare { .. } | Expr::Exists { .. } => Some(Metrics::LEAF),
    }
}

/// Running totals over a whole rule set.
#[derive(Debug, Default)]
pub struct Budget {
    bytes: u64,
    nodes: u64,
    /// A total limit was exceeded (reported once): later conditions are
    /// still checked but no longer built.
    pub spent: bool,
}

impl Budget {
    /// Counts `n` more bytes of condition text; the total if that exceeds
    /// [`MAX_TOTAL_CONDITION_BYTES`].
    pub fn bytes(&mut self, n: u64) -> Result<(), u64> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_TOTAL_CONDITION_BYTES {
            return Err(self.bytes);
        }
        Ok(())
    }

    /// Counts `n` more nodes of conditions (a macro's own tree, a rule's
    /// expanded one); the total if that exceeds [`MAX_TOTAL_NODES`].
    pub fn nodes(&mut self, n: u64) -> Result<(), u64> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_TOTAL_NODES {
            return Err(self.nodes);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use scapbridge_filter::parse;

    fn nesting_of(text: &str) -> usize {
        measure(&parse(text).unwrap(), &mut |_| Ref::Kept)
            .unwrap()
            .nesting
    }

    #[test]
    fn nesting_counts_what_the_parser_counts() {
        assert_eq!(nesting_of("f.a = 1"), 0);
        assert_eq!(nesting_of("f.a = 1 or f.b = 2 and f.c = 3"), 0);
        assert_eq!(nesting_of("not f.a = 1"), 1);
        assert_eq!(nesting_of("not not f.a = 1"), 2);
        assert_eq!(nesting_of("f.a = 1 and (f.b = 2 or f.c = 3)"), 1);
        assert_eq!(nesting_of("(f.a = 1 or f.b = 2) or f.c = 3"), 1);
        assert_eq!(nesting_of("not (f.a = 1 and f.b = 2)"), 2);
        assert_eq!(
            nesting_of("((((f.a = 1))))"),
            0,
            "single items are not nodes"
        );
        // The deepest condition the parser takes measures exactly its limit.
        let n = MAX_DEPTH;
        let deep = format!(
            "{}f.a = 1 or f.b = 2{}",
            "f.a = 1 or (".repeat(n),
            ")".repeat(n)
        );
        assert_eq!(nesting_of(&deep), n);
        let nots = format!("{}f.a = 1", "not ".repeat(n));
        assert_eq!(nesting_of(&nots), n);
    }

    #[test]
    fn macros_add_their_size_nesting_and_chain() {
        // m = (x or y), measured: 3 nodes, kind Or.
        let m = measure(&parse("f.x = 1 or f.y = 2").unwrap(), &mut |_| Ref::Kept)
            .unwrap()
            .as_macro();
        assert_eq!((m.nodes, m.nesting, m.chain, m.kind), (3, 0, 1, Kind::Or));
        let mut r = |n: &str| {
            if n == "m" {
                Ref::Expanded(m)
            } else {
                Ref::Kept
            }
        };
        // `m and m`: both copies, and each needs parentheses under `and`.
        let e = measure(&parse("m and m").unwrap(), &mut r).unwrap();
        assert_eq!((e.nodes, e.nesting, e.chain), (7, 1, 1));
        // Under `or` an `or` is parenthesised too.
        let e = measure(&parse("m or f.z = 1").unwrap(), &mut r).unwrap();
        assert_eq!((e.nodes, e.nesting), (5, 1));
        let e = measure(&parse("not m").unwrap(), &mut r).unwrap();
        assert_eq!((e.nodes, e.nesting), (4, 2));
        // A refused macro refuses whatever uses it.
        assert!(measure(&parse("f.a = 1 and bad").unwrap(), &mut |_| Ref::Refused).is_none());
    }

    #[test]
    fn doubling_macros_are_measured_without_building_and_saturate() {
        let text = parse("d or d").unwrap();
        let mut m = Metrics::LEAF.as_macro();
        for level in 1..=100u32 {
            m = measure(&text, &mut |_| Ref::Expanded(m))
                .unwrap()
                .as_macro();
            if level == 20 {
                assert_eq!(m.nodes, (1 << 21) - 1);
                assert_eq!(m.check(true), Err((Limit::ConditionNodes, m.nodes)));
            }
        }
        assert_eq!(m.nodes, u64::MAX, "saturates instead of overflowing");
        assert_eq!(m.chain, 101);
        assert_eq!(m.check(true), Err((Limit::MacroChain, 101)));
        assert_eq!(m.nesting, 99, "an `or` in an `or` needs parentheses");
        assert_eq!(m.check(false), Err((Limit::ConditionNodes, u64::MAX)));
    }

    #[test]
    fn list_sizes_add_and_render_like_the_substitution() {
        let a = ListSize::item(4, 4).plus(ListSize::item(3, 5)); // bash, "a b"
        assert_eq!(a.rendered(), "bash, \"a b\"".len() as u64);
        assert_eq!(ListSize::default().rendered(), 0);
        // 40 lists each holding the previous twice: 2^40 items, no overflow.
        let mut l = ListSize::item(1, 1);
        for _ in 0..40 {
            l = l.plus(l);
        }
        assert_eq!(l.items, 1 << 40);
        assert_eq!(l.check(), Err((Limit::ListItems, 1 << 40)));
        let mut l = ListSize::item(1, 1);
        for _ in 0..70 {
            l = l.plus(l);
        }
        assert_eq!(l.items, u64::MAX);
        let big = ListSize::item(MAX_LIST_BYTES as usize + 1, 0);
        assert_eq!(big.check(), Err((Limit::ListBytes, MAX_LIST_BYTES + 1)));
        assert_eq!(
            ListSize::item(1, 1).plus(ListSize::item(1, 1)).check(),
            Ok(())
        );
    }

    #[test]
    fn budgets_accumulate() {
        let mut b = Budget::default();
        assert!(b.nodes(MAX_TOTAL_NODES).is_ok());
        assert_eq!(b.nodes(1), Err(MAX_TOTAL_NODES + 1));
        assert!(b.bytes(MAX_TOTAL_CONDITION_BYTES).is_ok());
        assert!(b.bytes(u64::MAX).is_err());
        assert_eq!(
            Limit::ListItems.message("list 'l'", 100_001),
            "list 'l': expands to 100001 items, over the limit of 100000 items per list"
        );
    }
}
