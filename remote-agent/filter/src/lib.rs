//! The sysdig/Falco filter language: parsing ([`parser`]), the syntax tree
//! ([`ast`]) and evaluation over events and capture state ([`eval`]).

pub mod ast;
pub mod clock;
pub mod parser;
pub mod provider;
mod shown;
pub use shown::Shown;

pub use ast::{CmpOp, Expr, Span};
pub use fault::{CompileFault, Sequence, SyntaxFault};
pub use parser::{parse, ParseErrors, SyntaxError};
pub mod eval;
pub mod fault;

pub use eval::{EvalContext, Filter, FilterError};
