//! The compiler: a rule's condition with its exceptions and lists applied,
//! parsed, macros substituted within the limits, compiled, and the event
//! types it can match.

use super::*;
use scapbridge_filter::provider::FieldError;

/// Quotes a list item or exception value for a condition if it needs it.
pub(crate) fn quote(v: &str) -> String {
    // A parenthesised value is a list (or list reference) already.
    if v.starts_with('(') && v.ends_with(')') {
        return v.to_string();
    }
    let bare = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '"' | '\''));
    if bare
        || (v.starts_with('"') && v.ends_with('"') && v.len() >= 2)
        || (v.starts_with('\'') && v.ends_with('\'') && v.len() >= 2)
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The exception clauses of a rule as condition text (`and not (…)` each).
pub(crate) fn exception_text(rule: &RuleDef, errors: &mut Vec<Diagnostic>) -> String {
    let mut out = String::new();
    for ex in &rule.exceptions {
        let name = ex.get("name").and_then(Node::as_str).unwrap_or("?");
        let Some(values) = ex.get("values") else {
            continue;
        };
        let values = match values {
            Node::Seq(v, _) if !v.is_empty() => v,
            _ => continue,
        };
        let err = |errors: &mut Vec<Diagnostic>, msg: String| {
            errors.push(Diagnostic::error(
                &rule.file,
                ex.pos(),
                format!("rule '{}', exception '{name}': {msg}", rule.name),
            ));
        };
        match ex.get("fields") {
            Some(Node::Seq(fields, _)) => {
                let fields: Vec<&str> = fields.iter().filter_map(Node::as_str).collect();
                let comps: Vec<String> = match ex.get("comps") {
                    Some(Node::Seq(c, _)) => c
                        .iter()
                        .filter_map(Node::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => vec!["=".to_string(); fields.len()],
                };
                if comps.len() != fields.len() {
                    err(
                        errors,
                        format!("{} fields but {} comps", fields.len(), comps.len()),
                    );
                    continue;
                }
                let mut alts = Vec::new();
                for tuple in values {
                    let Node::Seq(vals, _) = tuple else {
                        err(
                            errors,
                            "each value must be a list matching the fields".into(),
                        );
                        continue;
                    };
                    if vals.len() != fields.len() {
                        err(
                            errors,
                            format!(
                                "a value has {} items for {} fields",
                                vals.len(),
                                fields.len()
                            ),
                        );
                        continue;
                    }
                    let terms: Vec<String> = fields
                        .iter()
                        .zip(&comps)
                        .zip(vals)
                        .map(|((f, c), v)| {
                            let rhs = match v {
                                Node::Seq(items, _) => format!(
                                    "({})",
                                    items
                                        .iter()
                                        .filter_map(Node::as_str)
                                        .map(quote)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                                other => {
                                    let s = quote(other.as_str().unwrap_or(""));
                                    if matches!(c.as_str(), "in" | "pmatch" | "intersects")
                                        && !s.starts_with('(')
                                    {
                                        format!("({s})")
                                    } else {
                                        s
                                    }
                                }
                            };
                            format!("{f} {c} {rhs}")
                        })
                        .collect();
                    alts.push(format!("({})", terms.join(" and ")));
                }
                if !alts.is_empty() {
                    out.push_str(&format!(" and not ({})", alts.join(" or ")));
                }
            }
            Some(Node::Scalar(field, _, _)) => {
                let comp = ex.get("comps").and_then(Node::as_str).unwrap_or("in");
                let items: Vec<String> =
                    values.iter().filter_map(Node::as_str).map(quote).collect();
                out.push_str(&format!(" and not {field} {comp} ({})", items.join(", ")));
            }
            _ => err(errors, "needs fields".into()),
        }
    }
    out
}

/// The `evt.type` names a condition requires (`None`: not restricted).
pub(crate) fn evt_types(e: &Expr) -> Option<std::collections::BTreeSet<String>> {
    use scapbridge_filter::ast::{CmpOp, Operand, Rhs};
    match e {
        Expr::And(items) => {
            let mut acc: Option<std::collections::BTreeSet<String>> = None;
            for s in items.iter().filter_map(evt_types) {
                acc = Some(match acc {
                    None => s,
                    Some(a) => a.intersection(&s).cloned().collect(),
                });
            }
            acc
        }
        Expr::Or(items) => {
            let mut acc = std::collections::BTreeSet::new();
            for i in items {
                acc.extend(evt_types(i)?);
            }
            Some(acc)
        }
        Expr::Compare {
            lhs: Operand::Field(f),
            op,
            modifier: None,
            rhs,
            ..
        } if f.name == "evt.type" && f.arg.is_none() => match (op, rhs) {
            (CmpOp::Eq, Rhs::Value(l)) => Some(std::iter::once(l.text.clone()).collect()),
            (CmpOp::In | CmpOp::Intersects, Rhs::List(items, _)) => {
                Some(items.iter().map(|l| l.text.clone()).collect())
            }
            _ => None,
        },
        _ => None,
    }
}

/// `message` with a "did you mean" when it names an unknown field close
/// to a known one.
pub(crate) fn hint(message: &str) -> String {
    if message.contains("(did you mean") {
        return message.to_string();
    }
    let unknown = message
        .find("unknown field '")
        .map(|i| &message[i + "unknown field '".len()..])
        .and_then(|r| r.split('\'').next());
    match unknown.and_then(scapbridge_filter::eval::suggest_field) {
        Some(s) => format!("{message} (did you mean '{s}'?)"),
        None => message.to_string(),
    }
}

/// The field a compile fault says is unknown, if that is the fault.
pub(crate) fn unknown_field(fault: &CompileFault) -> Option<&str> {
    match fault {
        CompileFault::Field(FieldError::Unknown { field, .. }) => Some(field),
        _ => None,
    }
}

/// Where the unknown field `name` is written in a rule's own condition
/// (not a macro's, not an exception's): else its start, as for a block
/// scalar (`>` folds its lines, so offsets are not the file's).
fn field_pos(r: &RuleDef, name: Option<&str>) -> Pos {
    if r.condition.contains('\n') {
        return r.cond_pos;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_');
    let at = name.and_then(|n| {
        r.condition.match_indices(n).map(|(i, _)| i).find(|&i| {
            let before = r.condition[..i].chars().next_back();
            let after = r.condition[i + n.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(|c| is_word(c) && c != '.')
        })
    });
    at.map_or(r.cond_pos, |i| pos_in(r.cond_pos, &r.condition, i))
}

/// Values an `evt.type` comparison (`=`, `!=`, `in`, `intersects`) names
/// that are no event or syscall: Falco's "unknown event type", with the
/// comparison's span.
pub(crate) fn unknown_event_types(e: &Expr, out: &mut Vec<(String, scapbridge_filter::ast::Span)>) {
    use scapbridge_filter::ast::{CmpOp, Operand, Rhs};
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| unknown_event_types(x, out)),
        Expr::Not(x) => unknown_event_types(x, out),
        Expr::Compare {
            lhs: Operand::Field(f),
            op: CmpOp::Eq | CmpOp::Ne | CmpOp::In | CmpOp::Intersects,
            rhs,
            span,
            ..
        } if f.name == "evt.type" && f.arg.is_none() => {
            let names: Vec<&str> = match rhs {
                Rhs::Value(l) => vec![l.text.as_str()],
                Rhs::List(items, _) => items.iter().map(|l| l.text.as_str()).collect(),
                _ => Vec::new(),
            };
            for n in names {
                if TypeSet::from_names([n]).event_ids().next().is_none() {
                    out.push((n.to_string(), *span));
                }
            }
        }
        _ => {}
    }
}

/// The loops `deps` (each macro's own references to macros) makes, each
/// once, as the path from the macro where the search first enters it, in
/// `order`. One depth-first pass: linear in macros and references (a chain
/// of thousands of macros costs what it is long).
pub(crate) fn macro_loops(
    order: &[&String],
    deps: &HashMap<String, Vec<String>>,
) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut mark: HashMap<&str, Mark> = HashMap::new();
    let mut loops = Vec::new();
    for start in order {
        if mark.contains_key(start.as_str()) {
            continue;
        }
        // The path being explored, each with the index of its next reference.
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        mark.insert(start.as_str(), Mark::Open);
        while let Some(&mut (at, ref mut next)) = path.last_mut() {
            let refs = deps.get(at).map_or(&[][..], Vec::as_slice);
            let Some(r) = refs.get(*next) else {
                mark.insert(at, Mark::Done);
                path.pop();
                continue;
            };
            *next += 1;
            match mark.get(r.as_str()) {
                None => {
                    mark.insert(r.as_str(), Mark::Open);
                    path.push((r.as_str(), 0));
                }
                Some(Mark::Open) => {
                    let from = path.iter().position(|(n, _)| *n == r).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        path[from..].iter().map(|(n, _)| n.to_string()).collect();
                    cycle.push(r.clone());
                    loops.push(cycle);
                }
                Some(Mark::Done) => {}
            }
        }
    }
    loops
}

/// Position of byte `at` of a condition that starts at `start` in the file.
pub(crate) fn pos_in(start: Pos, text: &str, at: usize) -> Pos {
    let before = text.get(..at.min(text.len())).unwrap_or("");
    match before.rfind('\n') {
        // Block scalars start on the next line; approximate the column.
        Some(nl) => Pos {
            line: start.line + before.matches('\n').count(),
            col: before.len() - nl,
        },
        None => Pos {
            line: start.line,
            col: start.col + before.chars().count(),
        },
    }
}

/// The outcome of compiling one rule's condition.
// A value returned once per rule at load and taken apart at once: boxing
// the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Condition {
    /// The filter, the event types it can match, and the condition with
    /// its macros expanded (as the filter language writes it).
    Compiled(Filter, Option<TypeSet>, String),
    /// Errors were recorded.
    Failed,
    /// `skip-if-unknown-filter` and an unknown field: left out with a warning.
    Skipped,
}

/// Syntax errors of a condition, positioned in the file.
pub(crate) fn syntax_errors(
    diags: &mut Vec<Diagnostic>,
    file: &Path,
    start: Pos,
    text: &str,
    what: &str,
    e: &scapbridge_filter::ParseErrors,
) {
    for se in &e.errors {
        diags.push(Diagnostic::error(
            file,
            pos_in(start, text, se.span.start),
            format!("{what}: {}", se.fault),
        ));
    }
}

/// Event sources whose rules this engine evaluates: system calls, and
/// the CloudTrail plugin's records. Rules of other sources (k8s audit,
/// …) load, so their files are accepted, but never fire.
pub(crate) fn is_known_source(source: &str) -> bool {
    source == "syscall" || scapbridge_filter::provider::is_provided_source(source)
}

/// Parses a rule's condition (lists and exceptions applied), substitutes
/// macros within the limits, compiles it and finds the event types it can
/// match.
pub(crate) fn compile_condition(
    r: &RuleDef,
    text: &str,
    macros: &Macros,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Condition {
    let what = format!("rule '{}'", r.name);
    let ast = match parse(text) {
        Ok(a) => a,
        Err(e) => {
            syntax_errors(diags, &r.file, r.cond_pos, text, &what, &e);
            return Condition::Failed;
        }
    };
    let mut unknown = Vec::new();
    unknown_event_types(&ast, &mut unknown);
    for (n, span) in &unknown {
        diags.push(Diagnostic::error(
            &r.file,
            pos_in(r.cond_pos, text, span.start),
            format!("{what}: unknown event type {n}"),
        ));
    }
    if !unknown.is_empty() {
        return Condition::Failed;
    }
    let missing = macros.missing(&ast);
    for (n, span) in &missing {
        diags.push(Diagnostic::error(
            &r.file,
            pos_in(r.cond_pos, text, span.start),
            format!("{what}: undefined macro '{n}'"),
        ));
    }
    if !missing.is_empty() {
        return Condition::Failed;
    }
    // Sized before it is built; a refused macro's error is reported.
    let Some(size) = macros.measure_rule(&ast) else {
        return Condition::Failed;
    };
    if let Err((limit, found)) = size.check(false) {
        diags.push(Diagnostic::limit(
            &r.file,
            r.cond_pos,
            limit,
            limit.message(&what, found),
        ));
        return Condition::Failed;
    }
    if budget.spent {
        return Condition::Failed;
    }
    if let Err(total) = budget.nodes(size.nodes) {
        let l = Limit::TotalNodes;
        diags.push(Diagnostic::limit(
            &r.file,
            r.cond_pos,
            l,
            l.message(&what, total),
        ));
        budget.spent = true;
        return Condition::Failed;
    }
    let full = macros.build_rule(&ast);
    match Filter::from_expr(&full, text) {
        Ok(f) => Condition::Compiled(
            f,
            evt_types(&full).map(|t| TypeSet::from_names(t.iter().map(String::as_str))),
            full.to_string(),
        ),
        Err(FilterError::Compile { errors, .. })
            if r.skip_if_unknown_filter
                && errors.iter().all(|x| unknown_field(&x.fault).is_some()) =>
        {
            diags.push(Diagnostic::warning(
                &r.file,
                r.cond_pos,
                format!(
                    "{what} skipped (skip-if-unknown-filter): {}",
                    errors[0].fault
                ),
            ));
            Condition::Skipped
        }
        Err(FilterError::Compile { errors, .. }) => {
            for x in errors {
                let d = Diagnostic::error(
                    &r.file,
                    field_pos(r, unknown_field(&x.fault)),
                    format!("{what}: {}", hint(&x.fault.to_string())),
                );
                // A field used twice is one problem.
                if !diags.contains(&d) {
                    diags.push(d);
                }
            }
            Condition::Failed
        }
        Err(other) => {
            diags.push(Diagnostic::error(
                &r.file,
                r.cond_pos,
                format!("{what}: {other}"),
            ));
            Condition::Failed
        }
    }
}
