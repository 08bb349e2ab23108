//! A container cache that never blocks the event path.
//!
//! [`Resolver::lookup`] answers from memory at once: a hit is a read lock, a
//! hash lookup and an `Arc` clone. A miss queues the id (once: it is not
//! asked again while in flight, nor within [`ResolverConfig::retry_after`]
//! of a failure) for a background thread, which asks the runtime's
//! Docker-compatible API and fills the cache. Answers that come late are
//! applied when they come; [`Resolver::take_updates`] hands each newly known
//! container once, so a capture can write it into the stream. At start the
//! thread lists the running containers and inspects each.
//!
//! Failures are reports, not errors: a missing socket is one
//! [`ResolverWarning::NoSocket`] (the socket is tried again on later misses,
//! silently, so a runtime started later is found); a runtime that does not
//! answer within [`ResolverConfig::request_timeout`] gives a
//! [`ResolverWarning::Timeout`], and for `retry_after` after it the worker
//! fails requests at once instead of asking again, so a hung runtime costs
//! one timeout per `retry_after`, never a delay to a lookup.
//!
//! Cancel and drop: dropping the [`Resolver`] sets a stop flag, which ends a
//! request in progress within [`crate::http::SLICE`] (50 ms) and the thread's
//! wait for work within 50 ms; `drop` waits for the thread up to
//! [`STOP_WAIT`] (1 s) and joins it. The one wait the flag cannot cut is
//! `connect` on a socket whose listener's backlog is full (a hung runtime
//! after many requests; the retry delay keeps that far off): `drop` then
//! returns after [`STOP_WAIT`] and the thread ends, detached, when the
//! connect does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cgroup::{self, CgroupMatch};
use crate::docker::{DockerClient, DEFAULT_MAX_RESPONSE, DEFAULT_TIMEOUT};
use crate::error::ClientError;
use crate::info::{short_id, ContainerInfo};

/// Longest `drop` waits for the background thread.
pub const STOP_WAIT: Duration = Duration::from_secs(1);

/// How often the idle thread looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Requests queued at most; a miss beyond that is asked again on a later
/// lookup.
const QUEUE: usize = 1024;

/// Warnings kept at most until taken.
const MAX_WARNINGS: usize = 256;

/// Settings of a [`Resolver`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResolverConfig {
    /// The runtime's Docker-compatible API socket.
    pub socket: PathBuf,
    /// Time for one request.
    pub request_timeout: Duration,
    /// Bound on one response body.
    pub max_response: usize,
    /// After a failed lookup (unknown id, error, timeout), how long before
    /// a miss asks the runtime again; after a timeout, how long the worker
    /// leaves the runtime alone.
    pub retry_after: Duration,
    /// List and inspect the running containers at start.
    pub list_at_start: bool,
}

impl ResolverConfig {
    /// Defaults for `socket`: 2 s per request, 4 MiB per answer, 5 s
    /// between retries, listing at start.
    pub fn new(socket: impl Into<PathBuf>) -> ResolverConfig {
        ResolverConfig {
            socket: socket.into(),
            request_timeout: DEFAULT_TIMEOUT,
            max_response: DEFAULT_MAX_RESPONSE,
            retry_after: Duration::from_secs(5),
            list_at_start: true,
        }
    }

    /// Sets the time for one request.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Sets the retry delay.
    pub fn retry_after(mut self, d: Duration) -> Self {
        self.retry_after = d;
        self
    }

    /// Sets whether running containers are listed at start.
    pub fn list_at_start(mut self, on: bool) -> Self {
        self.list_at_start = on;
        self
    }

    /// Sets the bound on one answer.
    pub fn max_response(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }
}

/// Something the resolver could not do; none stops it.
#[derive(Debug)]
#[non_exhaustive]
pub enum ResolverWarning {
    /// The socket does not exist (reported once).
    NoSocket {
        /// The socket.
        path: PathBuf,
    },
    /// The runtime did not answer in time.
    Timeout {
        /// What was asked (`list` or a container id).
        what: String,
        /// The request's time limit.
        after: Duration,
    },
    /// Another failure (connection refused, bad answer…).
    Failed {
        /// What was asked (`list` or a container id).
        what: String,
        /// The client's error.
        error: ClientError,
    },
}

impl std::fmt::Display for ResolverWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolverWarning::NoSocket { path } => write!(
                f,
                "no container runtime socket at {}: container fields stay empty",
                path.display()
            ),
            ResolverWarning::Timeout { what, after } => write!(
                f,
                "container runtime did not answer for {what} within {after:?}"
            ),
            ResolverWarning::Failed { what, error } => {
                write!(f, "container lookup of {what} failed: {error}")
            }
        }
    }
}

/// Counters of a [`Resolver`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolverStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups not in the cache.
    pub misses: u64,
    /// Ids queued for the worker.
    pub queued: u64,
    /// Containers put in the cache by the worker.
    pub resolved: u64,
    /// Ids the runtime does not know.
    pub unknown: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Requests that failed otherwise (socket missing included).
    pub errors: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    queued: AtomicU64,
    resolved: AtomicU64,
    unknown: AtomicU64,
    timeouts: AtomicU64,
    errors: AtomicU64,
}

/// Where an id not in the cache stands.
#[derive(Clone, Copy)]
enum Pending {
    InFlight,
    FailedAt(Instant),
}

struct Shared {
    cache: RwLock<HashMap<String, Arc<ContainerInfo>>>,
    pending: Mutex<HashMap<String, Pending>>,
    updates: Mutex<Vec<Arc<ContainerInfo>>>,
    warnings: Mutex<Vec<ResolverWarning>>,
    counters: Counters,
    stop: Arc<AtomicBool>,
    retry_after: Duration,
}

/// A lock that a panicking holder did not leave unusable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn warn(&self, w: ResolverWarning) {
        let mut ws = lock(&self.warnings);
        if ws.len() < MAX_WARNINGS {
            ws.push(w);
        }
    }

    fn store(&self, info: ContainerInfo) -> Arc<ContainerInfo> {
        let info = Arc::new(info);
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(info.id.clone(), Arc::clone(&info));
        lock(&self.pending).remove(&info.id);
        lock(&self.updates).push(Arc::clone(&info));
        info
    }

    fn failed(&self, id: &str) {
        lock(&self.pending).insert(id.to_string(), Pending::FailedAt(Instant::now()));
    }
}

/// The container cache and its background thread. See the module docs.
pub struct Resolver {
    shared: Arc<Shared>,
    tx: Option<SyncSender<String>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Resolver {
    /// Starts the background thread (which lists the running containers
    /// first if so configured). Fails only if the thread cannot be spawned.
    pub fn start(config: ResolverConfig) -> std::io::Result<Resolver> {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            cache: RwLock::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            updates: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
            counters: Counters::default(),
            stop: Arc::clone(&stop),
            retry_after: config.retry_after,
        });
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let client = DockerClient::new(config.socket.clone())
            .with_timeout(config.request_timeout)
            .with_max_response(config.max_response)
            .with_cancel(stop);
        let worker = Worker {
            shared: Arc::clone(&shared),
            client,
            list_at_start: config.list_at_start,
            warned_no_socket: false,
            quiet_until: None,
        };
        let thread = std::thread::Builder::new()
            .name("scapbridge-containers".into())
            .spawn(move || worker.run(rx))?;
        Ok(Resolver {
            shared,
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// The container `id` (full or its first 12 hex digits), from the cache,
    /// at once. On a miss the id is queued for the background thread and
    /// `None` returned; a later lookup (or [`Resolver::take_updates`]) sees
    /// the answer.
    #[inline]
    pub fn lookup(&self, id: &str) -> Option<Arc<ContainerInfo>> {
        let key = short_id(id);
        let hit = self
            .shared
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned();
        let c = &self.shared.counters;
        if hit.is_some() {
            c.hits.fetch_add(1, Ordering::Relaxed);
            return hit;
        }
        c.misses.fetch_add(1, Ordering::Relaxed);
        self.request(key);
        None
    }

    /// The container named by a scap `cgroups` parameter (NUL-separated
    /// `subsys=path`): the cgroup match (`None` for a host thread) and what
    /// [`Resolver::lookup`] answers for it.
    #[inline]
    pub fn lookup_cgroups<'a>(
        &self,
        cgroups: &'a [u8],
    ) -> Option<(CgroupMatch<'a>, Option<Arc<ContainerInfo>>)> {
        let m = cgroup::parse_scap_cgroups(cgroups)?;
        Some((m, self.lookup(m.short_id())))
    }

    #[cold]
    fn request(&self, key: &str) {
        let mut pending = lock(&self.shared.pending);
        match pending.get(key) {
            Some(Pending::InFlight) => return,
            Some(Pending::FailedAt(t)) if t.elapsed() < self.shared.retry_after => return,
            _ => {}
        }
        let Some(tx) = &self.tx else { return };
        match tx.try_send(key.to_string()) {
            Ok(()) => {
                pending.insert(key.to_string(), Pending::InFlight);
                self.shared.counters.queued.fetch_add(1, Ordering::Relaxed);
            }
            // Full: asked again on a later miss. Disconnected: stopping.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }

    /// Puts `info` in the cache (a container known otherwise, e.g. from a
    /// capture's container event); it is not reported by `take_updates`.
    pub fn insert(&self, info: ContainerInfo) -> Arc<ContainerInfo> {
        let info = Arc::new(info);
        self.shared
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(info.id.clone(), Arc::clone(&info));
        lock(&self.shared.pending).remove(&info.id);
        info
    }

    /// The containers the background thread resolved since the last call,
    /// each once, in the order they came.
    pub fn take_updates(&self) -> Vec<Arc<ContainerInfo>> {
        std::mem::take(&mut *lock(&self.shared.updates))
    }

    /// The warnings since the last call.
    pub fn take_warnings(&self) -> Vec<ResolverWarning> {
        std::mem::take(&mut *lock(&self.shared.warnings))
    }

    /// Every container in the cache.
    pub fn containers(&self) -> Vec<Arc<ContainerInfo>> {
        self.shared
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Counters so far.
    pub fn stats(&self) -> ResolverStats {
        let c = &self.shared.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ResolverStats {
            hits: g(&c.hits),
            misses: g(&c.misses),
            queued: g(&c.queued),
            resolved: g(&c.resolved),
            unknown: g(&c.unknown),
            timeouts: g(&c.timeouts),
            errors: g(&c.errors),
        }
    }

    /// Stops the background thread; see the module docs (also what `drop`
    /// does). Returns whether the thread ended within [`STOP_WAIT`].
    pub fn stop(&mut self) -> bool {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.tx = None;
        let Some(t) = self.thread.take() else {
            return true;
        };
        let deadline = Instant::now() + STOP_WAIT;
        while !t.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if t.is_finished() {
            let _ = t.join();
            true
        } else {
            false // detached; it ends when its connect does
        }
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    shared: Arc<Shared>,
    client: DockerClient,
    list_at_start: bool,
    warned_no_socket: bool,
    /// After a timeout: until when requests fail at once.
    quiet_until: Option<Instant>,
}

impl Worker {
    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }

    fn run(mut self, rx: Receiver<String>) {
        if self.list_at_start {
            self.list();
        }
        loop {
            if self.stopping() {
                return;
            }
            match rx.recv_timeout(POLL) {
                Ok(id) => self.resolve(&id),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Records a failed request; returns false if the worker must stop.
    fn report(&mut self, what: &str, e: ClientError) -> bool {
        let c = &self.shared.counters;
        match e {
            ClientError::Cancelled => return false,
            ClientError::NoSocket { path } => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                if !self.warned_no_socket {
                    self.warned_no_socket = true;
                    self.shared.warn(ResolverWarning::NoSocket { path });
                }
            }
            ClientError::Timeout { after } => {
                c.timeouts.fetch_add(1, Ordering::Relaxed);
                self.quiet_until = Some(Instant::now() + self.shared.retry_after);
                self.shared.warn(ResolverWarning::Timeout {
                    what: what.to_string(),
                    after,
                });
            }
            e => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                self.shared.warn(ResolverWarning::Failed {
                    what: what.to_string(),
                    error: e,
                });
            }
        }
        true
    }

    fn quiet(&self) -> bool {
        self.quiet_until.is_some_and(|t| Instant::now() < t)
    }

    fn list(&mut self) {
        let ids = match self.client.list() {
            Ok(l) => l,
            Err(e) => {
                self.report("list", e);
                return;
            }
        };
        for s in ids {
            if self.stopping() {
                return;
            }
            let id = short_id(&s.id).to_string();
            if self.known(&id) {
                continue;
            }
            lock(&self.shared.pending).insert(id.clone(), Pending::InFlight);
            self.resolve(&id);
        }
    }

    fn known(&self, id: &str) -> bool {
        self.shared
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(id)
    }

    fn resolve(&mut self, id: &str) {
        if self.known(id) {
            lock(&self.shared.pending).remove(id);
            return;
        }
        if self.quiet() {
            self.shared
                .counters
                .timeouts
                .fetch_add(1, Ordering::Relaxed);
            self.shared.failed(id);
            return;
        }
        match self.client.inspect(id) {
            Ok(Some(mut info)) => {
                self.add_pod_labels(&mut info);
                self.shared.store(info);
                self.shared
                    .counters
                    .resolved
                    .fetch_add(1, Ordering::Relaxed);
            }
            Ok(None) => {
                self.shared.counters.unknown.fetch_add(1, Ordering::Relaxed);
                self.shared.failed(id);
            }
            Err(e) => {
                self.shared.failed(id);
                self.report(id, e);
            }
        }
    }

    /// A Kubernetes container on docker (dockershim) names its pod's sandbox
    /// container in `io.kubernetes.sandbox.id`; the sandbox's labels are the
    /// pod's (`k8s.pod.label*`), as the CRI's pod sandbox status gives them.
    fn add_pod_labels(&mut self, info: &mut ContainerInfo) {
        if info.pod_sandbox_id.is_empty()
            || !info.pod_sandbox_labels.is_empty()
            || info.is_pod_sandbox
        {
            return;
        }
        let sid = short_id(&info.pod_sandbox_id).to_string();
        let cached = self
            .shared
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&sid)
            .cloned();
        let sandbox = match cached {
            Some(s) => Some(s),
            None if !self.quiet() => match self.client.inspect(&info.pod_sandbox_id) {
                Ok(Some(s)) => Some(self.shared.store(s)),
                _ => None,
            },
            None => None,
        };
        if let Some(s) = sandbox {
            info.pod_sandbox_labels = s.labels.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::ContainerType;

    #[test]
    fn a_missing_socket_is_one_warning_and_lookups_return_none() {
        let r = Resolver::start(
            ResolverConfig::new("/nonexistent/docker.sock").retry_after(Duration::ZERO),
        )
        .expect("start");
        let id = "ab".repeat(32);
        for _ in 0..5 {
            assert!(r.lookup(&id).is_none());
            std::thread::sleep(Duration::from_millis(20));
        }
        let t0 = Instant::now();
        let mut ws = Vec::new();
        while t0.elapsed() < Duration::from_secs(2) && r.stats().errors < 2 {
            std::thread::sleep(Duration::from_millis(10));
        }
        ws.extend(r.take_warnings());
        assert!(
            matches!(
                &ws[..],
                [ResolverWarning::NoSocket { path }] if path == std::path::Path::new("/nonexistent/docker.sock")
            ),
            "{ws:?}"
        );
        assert!(r.take_warnings().is_empty());
    }

    #[test]
    fn inserted_containers_are_hits_by_short_or_full_id() {
        let r =
            Resolver::start(ResolverConfig::new("/nonexistent/docker.sock").list_at_start(false))
                .expect("start");
        let id = "cd".repeat(32);
        let mut c = ContainerInfo::new(&id, ContainerType::Docker);
        c.name = "web".into();
        r.insert(c);
        assert_eq!(r.lookup(&id).map(|c| c.name.clone()), Some("web".into()));
        assert_eq!(
            r.lookup(&id[..12]).map(|c| c.name.clone()),
            Some("web".into())
        );
        let cg = format!("cpu=/docker/{id}\0");
        let (m, info) = r.lookup_cgroups(cg.as_bytes()).expect("container");
        assert_eq!(m.full_id, id);
        assert!(info.is_some());
        assert!(r.lookup_cgroups(b"cpu=/\0").is_none());
        assert_eq!(r.stats().hits, 3);
        assert!(r.take_updates().is_empty());
    }
}
