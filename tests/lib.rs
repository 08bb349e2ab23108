//! Shared helpers live in the test files; this crate only hosts integration tests.
