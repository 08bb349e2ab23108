//! S3 and SQS for scapbridge's CloudTrail interface: a small blocking
//! layer over the official AWS SDK.
//!
//! The SDK is async; the capture engine is a plain thread that pushes
//! events into sinks. [`Aws`] owns a tokio runtime and blocks on each call,
//! so the rest of scapbridge stays free of async. Credentials, profile,
//! region and endpoint come from the standard AWS chain (environment,
//! `~/.aws/config`, `~/.aws/credentials`, SSO, IMDS, …) with the overrides
//! of [`AwsSettings`]. This crate is its own compilation unit because the
//! SDK is by far the heaviest dependency: the rest of the workspace builds
//! and tests without recompiling it.
//!
//! Cancel and drop: every call blocks until it returns or fails (bounded
//! by the connect and operation timeouts below); dropping [`Aws`] stops its
//! runtime, abandoning nothing that a caller still waits on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

// The loader still takes these under their old names (the replacement
// lives in aws-runtime, which the loader's signature does not name).
#[allow(deprecated)]
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Where and as whom to reach AWS. Empty fields fall back to the standard
/// chain (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, files in `~/.aws`).
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Profile name (`aws.profile` of the Falco plugin).
    pub profile: Option<String>,
    /// Region (`aws.region`).
    pub region: Option<String>,
    /// Shared config file (`aws.config`).
    pub config_file: Option<PathBuf>,
    /// Shared credentials file (`aws.credentials`).
    pub credentials_file: Option<PathBuf>,
    /// A custom endpoint (an S3/SQS-compatible server such as moto or
    /// MinIO); S3 then uses path-style addressing.
    pub endpoint: Option<String>,
}

/// What went wrong talking to AWS, as one line each.
#[derive(Debug)]
#[non_exhaustive]
pub enum AwsError {
    /// The runtime could not start.
    Runtime(std::io::Error),
    /// SIGTERM/SIGINT came while the call waited (see [`Aws::with_stop`]).
    Stopped,
    /// The bucket does not exist.
    NoSuchBucket {
        /// Bucket name.
        bucket: String,
    },
    /// The object does not exist.
    NoSuchKey {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// The queue does not exist.
    NoSuchQueue {
        /// Queue name.
        queue: String,
    },
    /// The credential chain found no credentials.
    NoCredentials,
    /// No region is configured.
    NoRegion,
    /// AWS (or the credential chain, before anything was sent) refused
    /// the credentials.
    Credentials {
        /// The operation.
        op: &'static str,
        /// AWS's error code as received (`InvalidAccessKeyId`, ...); `None`
        /// when the credential chain refused before a request went out.
        code: Option<String>,
        /// AWS's or the credential chain's own words, as received.
        message: String,
    },
    /// The endpoint could not be reached (connection refused, DNS, timeout),
    /// or an object's body stopped midway.
    Unreachable {
        /// The operation.
        op: &'static str,
        /// The endpoint, when set (else `AWS (region)`).
        endpoint: String,
        /// What failed.
        cause: Transport,
    },
    /// Any other service error.
    Service {
        /// The operation.
        op: &'static str,
        /// AWS's error code as received (`Unknown` when it sent none).
        code: String,
        /// AWS's message as received (or the SDK's innermost cause when
        /// AWS sent none).
        message: String,
    },
    /// A download task of [`Aws::get_each`] ended without a result (it
    /// panicked or was cancelled).
    Task {
        /// The operation.
        op: &'static str,
        /// The runtime's account of it.
        source: tokio::task::JoinError,
    },
}

/// Why AWS could not be reached (see [`AwsError::Unreachable`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Transport {
    /// No answer within the connect and operation timeouts.
    TimedOut,
    /// The connection or the exchange failed.
    Failed {
        /// The innermost cause as the SDK words it (`Connection refused
        /// (os error 111)`, `dns error: ...`): the part a person can act
        /// on, the SDK's Debug dump cut off.
        cause: String,
    },
    /// The body of an object stopped before its end.
    BodyCut {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
        /// The SDK's stream error.
        source: aws_sdk_s3::primitives::ByteStreamError,
    },
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::TimedOut => f.write_str("timed out"),
            Transport::Failed { cause } => f.write_str(cause),
            Transport::BodyCut {
                bucket,
                key,
                source,
            } => write!(f, "body of s3://{bucket}/{key} cut short: {source}"),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsError::Runtime(e) => write!(f, "cannot start the AWS client runtime: {e}"),
            AwsError::Stopped => f.write_str("stopped by a signal while waiting for AWS"),
            AwsError::NoSuchBucket { bucket } => write!(f, "S3 bucket '{bucket}' does not exist"),
            AwsError::NoSuchKey { bucket, key } => {
                write!(f, "S3 object s3://{bucket}/{key} does not exist")
            }
            AwsError::NoSuchQueue { queue } => write!(f, "SQS queue '{queue}' does not exist"),
            AwsError::NoCredentials => f.write_str(
                "no AWS credentials found (environment, shared config and credentials files, SSO, instance metadata): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or name a profile",
            ),
            AwsError::NoRegion => f.write_str(
                "no AWS region set: give --cloudtrail-aws-region, AWS_REGION or a profile with a region",
            ),
            AwsError::Credentials { op, code, message } => {
                write!(f, "AWS refused the credentials ({op}): ")?;
                if let Some(code) = code {
                    write!(f, "{code}: ")?;
                }
                f.write_str(message)
            }
            AwsError::Unreachable {
                op,
                endpoint,
                cause,
            } => write!(f, "cannot reach AWS at {endpoint} ({op}): {cause}"),
            AwsError::Service { op, code, message } => {
                write!(f, "AWS {op} failed: {code}: {message}")
            }
            AwsError::Task { op, source } => {
                write!(f, "AWS {op} failed: its download task ended early: {source}")
            }
        }
    }
}

impl std::error::Error for AwsError {}

impl std::error::Error for Transport {}

/// Error codes that mean "these credentials are not good".
const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidSecurity",
    "MissingAuthenticationToken",
];

/// One S3 object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One SQS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The body.
    pub body: String,
    /// The handle to delete it with.
    pub receipt: String,
}

/// Where [`Aws::get_each`] pours an object's body, chunk by chunk.
pub trait BodySink: Send + 'static {
    /// Takes the next bytes of the body; `false` stops the download (the
    /// sink has seen enough, or too much).
    fn take(&mut self, bytes: &[u8]) -> bool;
}

/// Why one object download failed: the request, or its body midway.
#[non_exhaustive]
enum GetFailure {
    /// The GetObject request failed.
    Request(
        Box<
            SdkError<
                aws_sdk_s3::operation::get_object::GetObjectError,
                aws_sdk_s3::config::http::HttpResponse,
            >,
        >,
    ),
    /// The body stopped before its end.
    Body(aws_sdk_s3::primitives::ByteStreamError),
}

/// A connected S3 and SQS client pair.
pub struct Aws {
    rt: tokio::runtime::Runtime,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    endpoint: String,
    /// Raised by SIGTERM/SIGINT: every call gives up within 50 ms of it
    /// (a stalled endpoint would otherwise hold the capture for the SDK's
    /// 60 s attempt timeout, twice).
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl fmt::Debug for Aws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aws")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl Aws {
    /// Resolves the configuration (profile files, region). Nothing goes
    /// over the network until the first call.
    pub fn connect(s: &AwsSettings) -> Result<Aws, AwsError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(AwsError::Runtime)?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Two tries, and a bounded wait: an unreachable endpoint must
            // become an error in seconds, not after minutes of back-off.
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(p) = &s.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &s.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &s.endpoint {
            loader = loader.endpoint_url(e);
        }
        #[allow(deprecated)]
        if s.config_file.is_some() || s.credentials_file.is_some() {
            let mut b = ProfileFiles::builder();
            b = match &s.config_file {
                Some(p) => b.with_file(ProfileFileKind::Config, p),
                None => b.include_default_config_file(true),
            };
            b = match &s.credentials_file {
                Some(p) => b.with_file(ProfileFileKind::Credentials, p),
                None => b.include_default_credentials_file(true),
            };
            loader = loader.profile_files(b.build());
        }
        let conf = rt.block_on(loader.load());
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            // With a custom endpoint (often a bare address), virtual-hosted
            // names like bucket.127.0.0.1 cannot resolve.
            .force_path_style(s.endpoint.is_some())
            .build();
        let endpoint = conf.endpoint_url().map(str::to_string).unwrap_or_else(|| {
            format!(
                "AWS ({})",
                conf.region().map_or("no region", |r| r.as_ref())
            )
        });
        Ok(Aws {
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            sqs: aws_sdk_sqs::Client::new(&conf),
            rt,
            endpoint,
            stop: None,
        })
    }

    /// Makes every call obey `flag`: when it rises, the call in flight is
    /// dropped (its connection closed) and returns [`AwsError::Stopped`].
    pub fn with_stop(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Aws {
        self.stop = Some(flag);
        self
    }

    /// Runs `f` on the runtime until it ends or the stop flag rises.
    fn block<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let Some(stop) = self.stop.clone() else {
            return self.rt.block_on(f);
        };
        self.rt.block_on(async move {
            let watch = async {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            tokio::select! {
                r = f => r,
                () = watch => Err(AwsError::Stopped),
            }
        })
    }

    /// Where requests go, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn classify<E, R>(&self, op: &'static str, e: SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        let unreachable = |cause: Transport| AwsError::Unreachable {
            op,
            endpoint: self.endpoint.clone(),
            cause,
        };
        let failed = |text: &str| {
            unreachable(Transport::Failed {
                cause: last_cause(text),
            })
        };
        if DisplayErrorContext(&e)
            .to_string()
            .contains("region must be set")
        {
            return AwsError::NoRegion;
        }
        match &e {
            SdkError::DispatchFailure(d) => {
                // No credentials at all surfaces here too, before a byte
                // is sent.
                let text = DisplayErrorContext(&e).to_string();
                if text.contains("loading credentials") || text.contains("no credentials") {
                    return AwsError::NoCredentials;
                }
                if d.is_user() {
                    return AwsError::Credentials {
                        op,
                        code: None,
                        message: last_cause(&text),
                    };
                }
                failed(&text)
            }
            SdkError::TimeoutError(_) => unreachable(Transport::TimedOut),
            SdkError::ResponseError(_) => failed(&DisplayErrorContext(&e).to_string()),
            _ => {
                let code = e.code().unwrap_or("Unknown").to_string();
                let message = e
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| last_cause(&DisplayErrorContext(&e).to_string()));
                if CREDENTIAL_CODES.contains(&code.as_str()) {
                    AwsError::Credentials {
                        op,
                        code: Some(code),
                        message,
                    }
                } else {
                    AwsError::Service { op, code, message }
                }
            }
        }
    }

    /// Lists the objects under `prefix` (every page).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, AwsError> {
        self.block(async {
            let mut out = Vec::new();
            let mut token = None;
            loop {
                let mut req = self.s3.list_objects_v2().bucket(bucket).prefix(prefix);
                if let Some(t) = token.take() {
                    req = req.continuation_token(t);
                }
                let page = req.send().await.map_err(|e| {
                    if e.code() == Some("NoSuchBucket") {
                        return AwsError::NoSuchBucket {
                            bucket: bucket.to_string(),
                        };
                    }
                    self.classify("ListObjectsV2", e)
                })?;
                for o in page.contents() {
                    if let Some(k) = o.key() {
                        out.push(ObjectInfo {
                            key: k.to_string(),
                            size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                        });
                    }
                }
                match page.next_continuation_token() {
                    Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                    _ => return Ok(out),
                }
            }
        })
    }

    /// Downloads objects, `concurrency` at a time, pouring each body into
    /// a sink made by `make` as its bytes arrive (so no body is ever held
    /// whole), then handing the sink to `each` in the order of `keys` (so
    /// results are deterministic). A failed object is handed over as its
    /// error; the others go on.
    pub fn get_each<S: BodySink>(
        &self,
        bucket: &str,
        keys: &[String],
        concurrency: usize,
        make: impl Fn(&str) -> S,
        mut each: impl FnMut(&str, Result<S, AwsError>),
    ) {
        for batch in keys.chunks(concurrency.max(1)) {
            let results: Result<Vec<Result<S, AwsError>>, AwsError> = self.block(async {
                let tasks: Vec<_> = batch
                    .iter()
                    .map(|k| {
                        let req = self.s3.get_object().bucket(bucket).key(k).send();
                        let mut sink = make(k);
                        tokio::spawn(async move {
                            let mut o = req.await.map_err(|e| GetFailure::Request(Box::new(e)))?;
                            while let Some(chunk) = o.body.next().await {
                                let chunk = chunk.map_err(GetFailure::Body)?;
                                if !sink.take(&chunk) {
                                    // The sink has seen enough: the rest of
                                    // the body is not downloaded.
                                    break;
                                }
                            }
                            Ok(sink)
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(tasks.len());
                for (t, key) in tasks.into_iter().zip(batch) {
                    out.push(match t.await {
                        Ok(r) => r.map_err(|f| self.get_error(bucket, key, f)),
                        Err(join) => Err(AwsError::Task {
                            op: "GetObject",
                            source: join,
                        }),
                    });
                }
                Ok(out)
            });
            match results {
                Ok(results) => {
                    for (k, r) in batch.iter().zip(results) {
                        each(k, r);
                    }
                }
                // Stopped: each object of the batch says so; the rest are
                // not fetched.
                Err(_) => {
                    for k in batch {
                        each(k, Err(AwsError::Stopped));
                    }
                    return;
                }
            }
        }
    }

    fn get_error(&self, bucket: &str, key: &str, f: GetFailure) -> AwsError {
        match f {
            GetFailure::Request(e) => match e.code() {
                Some("NoSuchKey") => AwsError::NoSuchKey {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                },
                Some("NoSuchBucket") => AwsError::NoSuchBucket {
                    bucket: bucket.to_string(),
                },
                _ => self.classify("GetObject", *e),
            },
            GetFailure::Body(source) => AwsError::Unreachable {
                op: "GetObject",
                endpoint: self.endpoint.clone(),
                cause: Transport::BodyCut {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    source,
                },
            },
        }
    }

    /// The URL of queue `name` (owned by `owner`, when another account).
    pub fn queue_url(&self, name: &str, owner: Option<&str>) -> Result<String, AwsError> {
        self.block(async {
            let mut req = self.sqs.get_queue_url().queue_name(name);
            if let Some(o) = owner {
                req = req.queue_owner_aws_account_id(o);
            }
            let r = req.send().await.map_err(|e| match e.code() {
                Some(c) if c.contains("NonExistentQueue") || c.contains("QueueDoesNotExist") => {
                    AwsError::NoSuchQueue {
                        queue: name.to_string(),
                    }
                }
                _ => self.classify("GetQueueUrl", e),
            })?;
            r.queue_url()
                .map(str::to_string)
                .ok_or_else(|| AwsError::NoSuchQueue {
                    queue: name.to_string(),
                })
        })
    }

    /// Receives up to `max` messages, waiting up to `wait` for one (long
    /// polling; at most 20 s per AWS).
    pub fn receive(&self, url: &str, wait: Duration, max: i32) -> Result<Vec<Message>, AwsError> {
        self.block(async {
            let r = self
                .sqs
                .receive_message()
                .queue_url(url)
                .wait_time_seconds(wait.as_secs().min(20) as i32)
                .max_number_of_messages(max.clamp(1, 10))
                .send()
                .await
                .map_err(|e| self.classify("ReceiveMessage", e))?;
            Ok(r.messages()
                .iter()
                .map(|m| Message {
                    body: m.body().unwrap_or_default().to_string(),
                    receipt: m.receipt_handle().unwrap_or_default().to_string(),
                })
                .collect())
        })
    }

    /// Deletes a handled message.
    pub fn delete(&self, url: &str, receipt: &str) -> Result<(), AwsError> {
        self.block(async {
            self.sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(receipt)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.classify("DeleteMessage", e))
        })
    }
}

/// The innermost cause of an SDK error text (`a: b: c (Debug…)` → `c`),
/// which is the part a person can act on (`Connection refused (os error
/// 111)`). The SDK's text ends with a Debug dump of the error in
/// parentheses, which is cut first.
fn last_cause(text: &str) -> String {
    let chain = text
        .match_indices(" (")
        .find(|(i, _)| {
            // `(Name(` or `(Name {`: a Debug dump, not `(Connect)`.
            let rest = &text[i + 2..];
            let ident = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            rest.starts_with(|c: char| c.is_ascii_uppercase())
                && (rest[ident..].starts_with('(') || rest[ident..].starts_with(" {"))
        })
        .map_or(text, |(i, _)| &text[..i]);
    chain
        .rsplit(": ")
        .find(|p| !p.trim().is_empty())
        .unwrap_or(chain)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::last_cause;

    #[test]
    fn causes_without_debug_dumps() {
        assert_eq!(
            last_cause("dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111) (DispatchFailure(DispatchFailure { source: x }))"),
            "Connection refused (os error 111)"
        );
        assert_eq!(last_cause("plain"), "plain");
    }
}
