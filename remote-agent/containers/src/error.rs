//! Errors of the runtime client.

use std::path::PathBuf;
use std::time::Duration;

/// Why a request to the container runtime failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket does not exist (no runtime, or another one).
    #[error("no container runtime socket at {}", path.display())]
    NoSocket {
        /// The socket asked for.
        path: PathBuf,
    },
    /// Connecting failed (refused, permission…).
    #[error("cannot connect to the container runtime: {0}")]
    Connect(#[source] std::io::Error),
    /// No whole answer within the request's time.
    #[error("the container runtime did not answer within {after:?}")]
    Timeout {
        /// The request's time limit.
        after: Duration,
    },
    /// The request was cancelled (the resolver is stopping).
    #[error("request cancelled")]
    Cancelled,
    /// The body is larger than allowed.
    #[error("the container runtime's answer is larger than {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
    /// Not HTTP, or cut short.
    #[error("bad HTTP answer from the container runtime: {0}")]
    BadResponse(String),
    /// An HTTP status other than 200 (404 is reported as `Ok(None)` by
    /// lookups).
    #[error("the container runtime answered {status}: {message}")]
    Status {
        /// The status code.
        status: u16,
        /// The body's `message`, or the start of the body.
        message: String,
    },
    /// The body is not the JSON expected.
    #[error("bad JSON from the container runtime: {0}")]
    Json(#[from] serde_json::Error),
    /// A read or write on the socket failed.
    #[error("container runtime socket: {0}")]
    Io(#[from] std::io::Error),
}
