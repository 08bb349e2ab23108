//! The remote capture agent (Linux only).
//!
//! Nothing here yet: the agent arrives with issue 6. The crate exists so the
//! workspace layout is the final one.
