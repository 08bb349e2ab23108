//! The sysdig/Falco filter language: parsing ([`parser`]), the syntax tree
//! ([`ast`]) and evaluation over events and capture state ([`eval`]).

pub mod ast;
pub mod clock;
pub mod parser;
pub mod provider;

pub use ast::{CmpOp, Expr, Span};
pub use parser::{parse, ParseErrors};
pub mod eval;

pub use eval::{EvalContext, Filter, FilterError};
