//! Fields that come from the sources, not from the filter language: a
//! source registers a [`FieldProvider`] (as a libsinsp plugin registers its
//! filter checks), and the filter and rules then resolve its field names,
//! extract them and evaluate rules of its event source. The language itself
//! names no source.
//!
//! Registration is process-wide and permanent (providers are `'static`);
//! registering the same provider twice is harmless. Register before
//! compiling filters or loading rules that name the provider's fields: a
//! filter compiled earlier does not learn them.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

use scapbridge_formats::Event;

use crate::shown::Shown;

/// One field a provider resolved: extracted per event.
pub trait PluginField: fmt::Debug + Send + Sync {
    /// Whether values compare as numbers (`>`, `<`, `in (1, 2)`).
    fn is_numeric(&self) -> bool;
    /// The value on `ev` (numbered `num` in its capture), or `None` when
    /// the event does not have it (another source's event, a missing key).
    fn extract<'a>(&self, ev: &Event<'a>, num: u64) -> Option<FieldValue<'a>>;
}

/// A provided field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldValue<'a> {
    /// As the source renders it.
    pub text: Cow<'a, str>,
    /// The number, for numeric fields.
    pub num: Option<i64>,
}

/// Why a provider refused a field that is its own: the name is the
/// provider's, the way it was used is not. Its text is the one line a
/// filter's or rule's diagnostic shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldError {
    /// No provider and no built-in table has the field.
    Unknown {
        /// The field, as written.
        field: String,
        /// The known field it is likely a misspelling of, found when the
        /// error is made (wherever it is written: a filter, -p, -e, a rule).
        like: Option<&'static str>,
    },
    /// The field needs an argument: `json.value` alone.
    MissingArgument {
        /// The field, as written.
        field: String,
        /// What the argument is ("a JSON pointer").
        what: &'static str,
        /// An example of the whole field with its argument
        /// (`json.value[/userIdentity/type]`).
        example: String,
    },
    /// The field takes no argument: `ct.name[1]`.
    UnexpectedArgument {
        /// The field, as written.
        field: String,
    },
    /// The argument is not of the field's kind: `json.value[userIdentity]`.
    BadArgument {
        /// The field, as written.
        field: String,
        /// The argument, as written.
        arg: String,
        /// What the argument must be ("the argument is an index").
        expected: &'static str,
        /// The argument the user likely meant, when one is obvious
        /// (`/userIdentity` for `userIdentity`).
        did_you_mean: Option<String>,
    },
}

impl FieldError {
    /// The field the error is about.
    pub fn field(&self) -> &str {
        match self {
            FieldError::Unknown { field, .. }
            | FieldError::MissingArgument { field, .. }
            | FieldError::UnexpectedArgument { field }
            | FieldError::BadArgument { field, .. } => field,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Unknown { field, like } => {
                write!(f, "unknown field '{}'", Shown(field))?;
                if let Some(like) = like {
                    write!(f, " (did you mean '{like}'?)")?;
                }
                Ok(())
            }
            FieldError::MissingArgument {
                field,
                what,
                example,
            } => write!(f, "{} needs {what}: {example}", Shown(field)),
            FieldError::UnexpectedArgument { field } => {
                write!(f, "field '{}' takes no argument", Shown(field))
            }
            FieldError::BadArgument {
                field,
                arg,
                expected,
                did_you_mean,
            } => {
                write!(f, "{}[{}]: {expected}", Shown(field), Shown(arg))?;
                if let Some(m) = did_you_mean {
                    write!(f, " (did you mean {}[{m}]?)", Shown(field))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FieldError {}

/// One field filters, rules and `-p` formats can use, as listings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldInfo {
    /// The name, with `[ARG]` where it takes one.
    pub name: String,
    /// Its type, in libsinsp's words (CHARBUF, INT64, BOOL, IPADDR, ...).
    pub ty: String,
    /// The event source it reads (`syscall`, `aws_cloudtrail`).
    pub source: String,
    /// What it reads.
    pub desc: String,
}

impl FieldInfo {
    /// A field of `source`.
    pub fn new(name: &str, ty: &str, source: &str, desc: &str) -> Self {
        FieldInfo {
            name: name.to_string(),
            ty: ty.to_string(),
            source: source.to_string(),
            desc: desc.to_string(),
        }
    }
}

/// A source's fields and event source name.
pub trait FieldProvider: Send + Sync {
    /// The Falco event source whose rules this provider's events meet
    /// (`aws_cloudtrail`).
    fn event_source(&self) -> &'static str;
    /// Resolves `name` (with its `[arg]`): `None` when the field is not
    /// this provider's, `Some(Err(why))` when it is but badly formed.
    fn lookup(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Option<Result<Arc<dyn PluginField>, FieldError>>;
    /// Whether `ev` is an event of this provider's source (a plugin event
    /// of its plugin).
    fn owns(&self, ev: &Event<'_>) -> bool;
    /// Its fields, for listings (`scapbridge fields`); none by default.
    fn fields(&self) -> Vec<FieldInfo> {
        Vec::new()
    }
}

static PROVIDERS: RwLock<Vec<&'static dyn FieldProvider>> = RwLock::new(Vec::new());

/// Runs `f` over the registered providers (none if the lock was poisoned:
/// registration never panics while holding it).
fn with_providers<T>(f: impl FnOnce(&[&'static dyn FieldProvider]) -> T) -> T {
    match PROVIDERS.read() {
        Ok(list) => f(&list),
        Err(_) => f(&[]),
    }
}

/// The registered providers' fields, for listings.
pub fn listed_fields() -> Vec<FieldInfo> {
    with_providers(|ps| ps.iter().flat_map(|p| p.fields()).collect())
}

/// Registers `p` for every filter compiled and rule set loaded after.
pub fn register(p: &'static dyn FieldProvider) {
    if let Ok(mut list) = PROVIDERS.write() {
        let known = list
            .iter()
            .any(|q| std::ptr::addr_eq(*q as *const dyn FieldProvider, p as *const _));
        if !known {
            list.push(p);
        }
    }
}

/// Resolves a field through the registered providers, in registration order.
pub fn lookup(name: &str, arg: Option<&str>) -> Option<Result<Arc<dyn PluginField>, FieldError>> {
    with_providers(|list| list.iter().find_map(|p| p.lookup(name, arg)))
}

/// Whether some registered provider has the event source `source`.
pub fn is_provided_source(source: &str) -> bool {
    with_providers(|list| list.iter().any(|p| p.event_source() == source))
}

/// Whether some registered provider owns `ev`.
pub fn is_provided_event(ev: &Event<'_>) -> bool {
    with_providers(|list| list.iter().any(|p| p.owns(ev)))
}

/// A provided field inside the evaluator's field enum: equal when it is the
/// same resolution (fields are compared only to deduplicate).
#[derive(Debug, Clone)]
pub(crate) struct Provided(pub(crate) Arc<dyn PluginField>);

impl PartialEq for Provided {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}

impl Eq for Provided {}
