//! What is wrong in a filter, as values: a syntax fault (the parser's) or a
//! compile fault (a field, operator or value that does not fit). Each
//! carries what it found, and its `Display` is the line users read; the
//! span lives in the enclosing [`crate::parser::SyntaxError`] or
//! [`crate::eval::CompileError`].

use crate::ast::MAX_DEPTH;
use crate::provider::FieldError;
use crate::shown::Shown;

/// What a [`SyntaxError`] found wrong, or expected instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxFault {
    /// The condition is empty or blank.
    #[error("empty condition")]
    Empty,
    /// The condition ended before it was complete.
    #[error("incomplete condition")]
    Incomplete,
    /// Text after a whole condition.
    #[error("unexpected '{found}' after a complete condition, expecting 'and' or 'or'")]
    Trailing {
        /// The word found there.
        found: String,
    },
    /// Nesting of parentheses and `not` beyond the parser's bound.
    #[error("conditions nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Nesting of transformers beyond the parser's bound.
    #[error("transformers nested deeper than {MAX_DEPTH} levels")]
    TransformersTooDeep,
    /// The end came where a condition must start.
    #[error("expected a condition, found the end")]
    ExpectedCondition,
    /// A `(` never closed.
    #[error("expected ')' to close the '(' opened before")]
    Unclosed,
    /// Neither `,` nor `)` after an item of a list or of transformer
    /// arguments.
    #[error("expected ',' or ')' in {inside}")]
    ItemEnd {
        /// What the items are in.
        inside: Sequence,
    },
    /// No field name where one must be.
    #[error("expected a field name, found '{found}'")]
    ExpectedField {
        /// The word found there.
        found: String,
    },
    /// `field[` without an argument and `]`.
    #[error("expected a field argument and ']'")]
    FieldArgument,
    /// No comparison operator after a field.
    #[error("expected an operator after '{after}'{}", found_suffix(found))]
    ExpectedOperator {
        /// The field (or transformer) before.
        after: String,
        /// The word found instead, empty at the end.
        found: String,
    },
    /// No `(a, b, …)` after a list operator.
    #[error("expected a list '(a, b, …)'")]
    ExpectedList,
    /// `val(` without a field.
    #[error("val() takes a field")]
    ValTakesField,
    /// `val(field` without `)`.
    #[error("expected ')' after val(field")]
    ValUnclosed,
    /// A numeric operator with a value that is not a number.
    #[error("operator '{op}' needs a number, found '{found}'")]
    NeedsNumber {
        /// The operator.
        op: &'static str,
        /// The value given.
        found: String,
    },
    /// No value where one must be.
    #[error("expected a value, found '{found}'")]
    ExpectedValue {
        /// The word found there.
        found: String,
    },
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string")]
    Unterminated,
    /// `\x` not followed by two hex digits.
    #[error("bad \\x escape: two hex digits expected")]
    BadHexEscape,
    /// A backslash escape the language does not have.
    #[error("unknown escape '\\{escape}' in a quoted string")]
    UnknownEscape {
        /// The character after the backslash.
        escape: char,
    },
}

/// A parenthesised, comma-separated sequence (see
/// [`SyntaxFault::ItemEnd`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Sequence {
    /// A list value: `(a, b)`.
    #[error("the list")]
    List,
    /// A transformer's arguments.
    #[error("{transformer}(…)")]
    Arguments {
        /// The transformer, as written (`tolower`).
        transformer: String,
    },
}

/// `, found 'w'` when something was found.
fn found_suffix(found: &str) -> String {
    if found.is_empty() {
        String::new()
    } else {
        format!(", found '{}'", Shown(found))
    }
}

/// What a [`crate::eval::CompileError`] found wrong: a field, an operator
/// the field does not take, or a value of the wrong kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileFault {
    /// An unknown or misused field.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A name that is not a field, used as a macro, with no macro of that
    /// name (the rules engine expands the ones it has).
    #[error("undefined macro '{}'", Shown(name))]
    UndefinedMacro {
        /// The name.
        name: String,
    },
    /// A list name with no list of that name.
    #[error("undefined list '{}'", Shown(name))]
    UndefinedList {
        /// The name.
        name: String,
    },
    /// `exists` after something that is not a field.
    #[error("exists takes a field")]
    ExistsTakesField,
    /// A transformer the evaluator does not have.
    #[error("transformer '{}' is not supported yet", Shown(name))]
    UnsupportedTransformer {
        /// Its name.
        name: String,
    },
    /// A transformer given other than one field.
    #[error("{name}() takes one field")]
    TransformerTakesOneField {
        /// Its name.
        name: String,
    },
    /// A condition whose left side is a value.
    #[error("a condition starts with a field")]
    StartsWithField,
    /// A transformer on a field that takes none (an ancestor field:
    /// libs' `EPF_NO_TRANSFORMER`).
    #[error("field '{}' does not support transformers", Shown(field))]
    NoTransformer {
        /// The field.
        field: String,
    },
    /// A field compared with `val(…)` that takes no right-hand side field,
    /// or one that cannot be one (the ancestor fields: libs'
    /// `EPF_NO_RHS`).
    #[error("field '{}' {}", Shown(field), if *as_rhs { "can't be used as a right-hand side field" } else { "doesn't support right-hand side fields" })]
    NoRhsField {
        /// The field.
        field: String,
        /// Whether it is the one inside `val()`.
        as_rhs: bool,
    },
    /// `val(field)` on the right side.
    #[error("val() is not supported yet")]
    ValUnsupported,
    /// A transformer on the right side.
    #[error("a transformer on the right is not supported yet")]
    RightTransformerUnsupported,
    /// A list given to an operator that takes one value.
    #[error("operator '{op}' takes one value, not a list")]
    TakesOneValue {
        /// The operator.
        op: &'static str,
    },
    /// One value given to an operator that takes a list.
    #[error("operator '{op}' takes a list (a, b, …)")]
    TakesList {
        /// The operator.
        op: &'static str,
    },
    /// An operator the field's type does not take.
    #[error("operator '{op}' does not apply to a {kind} field")]
    OperatorKind {
        /// The operator.
        op: &'static str,
        /// The field's type ("string", "numeric", "boolean", "address").
        kind: &'static str,
    },
    /// An ordering operator on a string field.
    #[error("operator '{op}' compares numbers; this field is a string")]
    StringOrdering {
        /// The operator.
        op: &'static str,
    },
    /// A value that must be a number.
    #[error("'{text}' is not a number")]
    NotANumber {
        /// The value.
        text: String,
    },
    /// A value that must be hex bytes (`bcontains`, `bstartswith`).
    #[error("'{text}' is not hex bytes")]
    NotHexBytes {
        /// The value.
        text: String,
    },
    /// A value that must be `true` or `false`.
    #[error("'{text}' is not true or false")]
    NotABool {
        /// The value.
        text: String,
    },
    /// A value that must be an address or a network.
    #[error("'{text}' is not an IP address or network")]
    NotAnAddress {
        /// The value.
        text: String,
    },
    /// A network whose prefix length is out of range.
    #[error("bad prefix length in '{text}'")]
    BadPrefix {
        /// The value.
        text: String,
    },
    /// A regex that does not compile (or exceeds the size bounds).
    #[error("bad regex '{text}': {}", last_line(&error.to_string()))]
    BadRegex {
        /// The pattern.
        text: String,
        /// The regex compiler's error (its last line is shown: the regex
        /// crate puts the reason there, under a picture of the pattern).
        error: regex::Error,
    },
}

/// The last non-blank line of a multi-line message.
fn last_line(s: &str) -> &str {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
}
