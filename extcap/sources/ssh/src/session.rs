//! The SSH connection: russh in a thread of its own (a current-thread tokio
//! runtime), handing the remote command's output to the capture thread
//! through a bounded channel, so the capture side stays synchronous like
//! every other source.
//!
//! Cancel/drop: dropping a [`Session`] tells the thread to close the channel
//! and disconnect; sshd then closes the remote command's pipes, so the
//! remote capture sees its reader gone and exits.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use russh::ChannelMsg;

use crate::known_hosts::{self, HostKeyStatus};

/// How to treat host keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Only keys known_hosts holds (OpenSSH's `StrictHostKeyChecking yes`).
    #[default]
    Strict,
    /// Unknown hosts are added to known_hosts; changed keys still fail
    /// (`accept-new`).
    AcceptNew,
}

/// How the SSH transport reaches the host.
#[derive(Debug, Clone, Default)]
pub enum Proxy {
    /// A TCP connection.
    #[default]
    Direct,
    /// A command run with `sh -c` whose stdin/stdout are the transport
    /// (ProxyCommand, tokens already expanded). It is killed when the
    /// session ends.
    Command {
        /// The command line, as `sh -c` gets it.
        line: String,
    },
    /// Through these hosts in turn (ProxyJump), each hop a direct-tcpip
    /// channel of the previous one.
    Jump(Vec<Target>),
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address (after ~/.ssh/config's HostName).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password, tried after the key.
    pub password: Option<String>,
    /// Private key file given explicitly (`--sshkey`), tried first.
    pub key: Option<PathBuf>,
    /// Its passphrase (also tried on encrypted identity files).
    pub passphrase: Option<String>,
    /// The ssh-agent socket (`SSH_AUTH_SOCK`), tried after the password.
    pub agent: Option<PathBuf>,
    /// Identity files tried last: ~/.ssh/config's IdentityFile lines, else
    /// OpenSSH's default keys that exist.
    pub identities: Vec<PathBuf>,
    /// known_hosts file.
    pub known_hosts: PathBuf,
    /// Host key policy.
    pub policy: HostKeyPolicy,
    /// How to reach the host.
    pub proxy: Proxy,
    /// Also offer SHA-1 key exchanges (sshdig's `--ssh-sha1`, for old
    /// servers); off by default.
    pub sha1: bool,
}

/// What can go wrong before the stream starts, each with its own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshError {
    /// TCP or protocol failure.
    #[error("cannot reach {host}:{port}: {fault}")]
    Connect {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// What failed.
        fault: ConnectFault,
    },
    /// The host key is in no known_hosts entry.
    #[error("the host key of {name} ({fingerprint}) is not in {known_hosts}; check it and add it (ssh-keyscan), or pass --host-key-policy accept-new")]
    UnknownHostKey {
        /// `host` or `[host]:port`.
        name: String,
        /// SHA256 fingerprint.
        fingerprint: String,
        /// The file.
        known_hosts: String,
    },
    /// The host key differs from the recorded one.
    #[error("the host key of {name} CHANGED ({fingerprint}; {known_hosts} line {line} holds another): someone may be intercepting the connection; refusing")]
    ChangedHostKey {
        /// `host` or `[host]:port`.
        name: String,
        /// SHA256 fingerprint of the key offered.
        fingerprint: String,
        /// The file.
        known_hosts: String,
        /// Line of the recorded key.
        line: usize,
    },
    /// The host key is revoked.
    #[error("the host key of {name} is marked @revoked in {known_hosts} line {line}; refusing")]
    RevokedHostKey {
        /// `host` or `[host]:port`.
        name: String,
        /// The file.
        known_hosts: String,
        /// Line.
        line: usize,
    },
    /// The key file could not be used.
    #[error("cannot use the key {path}: {fault}")]
    Key {
        /// The file.
        path: String,
        /// Why (wrong passphrase, encrypted without one, unreadable).
        fault: KeyFault,
    },
    /// Every method was refused.
    #[error("authentication as {user}@{host} failed: {}", Refused(tried))]
    Auth {
        /// User.
        user: String,
        /// Host.
        host: String,
        /// What was tried and refused, in order (empty: there was nothing
        /// to try).
        tried: Vec<AuthAttempt>,
    },
}

/// One way of authenticating that the server refused (see
/// [`SshError::Auth`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthAttempt {
    /// The key given with `--sshkey`.
    #[error("the key")]
    Key,
    /// The password.
    #[error("the password")]
    Password,
    /// The keys ssh-agent holds.
    #[error("{offered} ssh-agent key(s)")]
    Agent {
        /// How many the agent offered.
        offered: usize,
    },
    /// An identity file (~/.ssh/config's IdentityFile, or a default key).
    #[error("{}", path.display())]
    Identity {
        /// The file.
        path: PathBuf,
    },
    /// An identity file that could not be loaded, so was not offered.
    #[error("{} (not loadable, skipped)", path.display())]
    Unloadable {
        /// The file.
        path: PathBuf,
    },
}

/// The `tried` list of [`SshError::Auth`] as one clause.
struct Refused<'a>(&'a [AuthAttempt]);

impl std::fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return f.write_str(
                "no method to try (give --sshkey or --remote-password, or load a key into ssh-agent)",
            );
        };
        write!(f, "the server refused {first}")?;
        for a in rest {
            write!(f, ", then {a}")?;
        }
        Ok(())
    }
}

/// Why the host could not be reached or the remote command not started
/// (see [`SshError::Connect`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectFault {
    /// The SSH thread's runtime could not be made.
    #[error("{0}")]
    Runtime(std::io::Error),
    /// The SSH thread could not be started.
    #[error("{0}")]
    Thread(std::io::Error),
    /// SIGTERM or SIGINT came while connecting.
    #[error("{}", scapbridge_engine::fsio::Stopped)]
    Stopped,
    /// The SSH thread ended without saying why.
    #[error("the SSH thread ended early")]
    ThreadEnded,
    /// The TCP connection had no answer in time.
    #[error("no answer within 10 s")]
    Timeout,
    /// The TCP connection failed.
    #[error("{0}")]
    Tcp(std::io::Error),
    /// The ProxyCommand could not be started.
    #[error("cannot run the ProxyCommand: {0}")]
    ProxySpawn(std::io::Error),
    /// The ProxyCommand's child came without pipes.
    #[error("the ProxyCommand has no pipes")]
    ProxyNoPipes,
    /// A failure of the connection made through the ProxyCommand.
    #[error("through the ProxyCommand: {0}")]
    ThroughProxy(Box<ConnectFault>),
    /// A ProxyJump host could not open a channel to the next hop.
    #[error("the jump host cannot open a channel to it: {0}")]
    JumpChannel(russh::Error),
    /// A ProxyJump list without hosts.
    #[error("no hop")]
    NoHop,
    /// The SSH protocol failed (handshake, key exchange, transport).
    #[error("{0}")]
    Protocol(russh::Error),
    /// The session channel could not be opened.
    #[error("opening a session channel: {0}")]
    Channel(russh::Error),
    /// The server refused to run the remote command.
    #[error("starting the remote command: {0}")]
    Exec(russh::Error),
    /// The rules could not be sent on the channel's stdin.
    #[error("sending the rules: {0}")]
    SendRules(russh::Error),
}

/// Why a private key file could not be used (see [`SshError::Key`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFault {
    /// The file could not be read.
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// Encrypted, and no passphrase was given.
    #[error("it is encrypted: give --sshkey-passphrase")]
    Encrypted,
    /// The passphrase does not decrypt it.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// Not a private key russh reads.
    #[error("{0}")]
    NotAKey(russh::keys::Error),
}

/// What the thread hands over.
#[derive(Debug)]
pub enum Chunk {
    /// Remote stdout bytes.
    Data(Vec<u8>),
    /// Remote stderr bytes.
    Stderr(Vec<u8>),
    /// The remote command's exit status.
    Exit(u32),
    /// The remote command was killed by a signal.
    Signal {
        /// The signal's name as the server sent it, without `SIG`
        /// (`KILL`, `TERM`, or a name of the server's own).
        name: String,
    },
    /// The stream ended: cleanly, or (`lost`) because the connection died.
    End {
        /// The SSH connection was lost rather than the channel closed.
        lost: bool,
    },
}

struct Checker {
    target: Target,
    verdict: Arc<Mutex<Option<SshError>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // Host certificates are not trusted here (no @cert-authority yet):
        // the check falls back to the certificate's own key.
        let owned;
        let key: &PublicKey = match offered {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => key,
            russh::keys::PublicKeyOrCertificate::Certificate(c) => {
                owned = PublicKey::from(c.public_key().clone());
                &owned
            }
        };
        let t = &self.target;
        let name = known_hosts::lookup_name(&t.host, t.port);
        let kh = t.known_hosts.display().to_string();
        let fingerprint = known_hosts::fingerprint(key);
        let status = known_hosts::check_file(&t.known_hosts, &t.host, t.port, key)
            .unwrap_or(HostKeyStatus::Unknown);
        let err = match status {
            HostKeyStatus::Known => return Ok(true),
            HostKeyStatus::Unknown if t.policy == HostKeyPolicy::AcceptNew => {
                let line = format!("{name} {}\n", key.to_openssh().unwrap_or_default());
                let added = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&t.known_hosts)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
                if added.is_ok() {
                    return Ok(true);
                }
                SshError::UnknownHostKey {
                    name,
                    fingerprint,
                    known_hosts: kh,
                }
            }
            HostKeyStatus::Unknown => SshError::UnknownHostKey {
                name,
                fingerprint,
                known_hosts: kh,
            },
            HostKeyStatus::Changed(line) => SshError::ChangedHostKey {
                name,
                fingerprint,
                known_hosts: kh,
                line,
            },
            HostKeyStatus::Revoked(line) => SshError::RevokedHostKey {
                name,
                known_hosts: kh,
                line,
            },
        };
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(err);
        }
        Ok(false)
    }
}

/// A running remote command. See the module docs for drop.
pub struct Session {
    /// Output of the remote command, in order; ends with [`Chunk::End`].
    pub rx: Receiver<Chunk>,
    /// Chunks sent and not yet received: 0 means a reader of `rx` would
    /// wait, so whatever it holds should reach its output now.
    pub queued: Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Connects, verifies the host key, authenticates and starts `command`.
/// Returns once the command runs, or the first failure.
pub fn start(target: Target, command: String, stdin: Option<Vec<u8>>) -> Result<Session, SshError> {
    let (ready_tx, ready_rx) = sync_channel::<Result<(), SshError>>(1);
    let (tx, rx) = sync_channel::<Chunk>(256);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let host = target.host.clone();
    let port = target.port;
    let queued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = queued.clone();
    let thread = std::thread::Builder::new()
        .name("ssh".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(SshError::Connect {
                        host: target.host.clone(),
                        port: target.port,
                        fault: ConnectFault::Runtime(e),
                    }));
                    return;
                }
            };
            rt.block_on(run(
                target,
                command,
                stdin,
                ready_tx,
                Counted { tx, counter },
                stop_rx,
            ));
        })
        .map_err(|e| SshError::Connect {
            host: host.clone(),
            port,
            fault: ConnectFault::Thread(e),
        })?;
    let mut session = Session {
        rx,
        queued,
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    // Connecting, the handshake and authentication can take as long as the
    // server likes (one that accepts and never speaks): the wait obeys
    // SIGTERM/SIGINT. On a stop the SSH thread is left to end with the
    // process rather than joined, since it may be stuck in the handshake.
    loop {
        match ready_rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Ok(())) => return Ok(session),
            Ok(Err(e)) => return Err(e),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if scapbridge_engine::fsio::stop_requested() {
                    session.stop = None;
                    session.thread = None;
                    return Err(SshError::Connect {
                        host,
                        port,
                        fault: ConnectFault::Stopped,
                    });
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                session.stop = None;
                return Err(SshError::Connect {
                    host,
                    port,
                    fault: ConnectFault::ThreadEnded,
                });
            }
        }
    }
}

/// The sending side, counting what is in flight (see [`Session::queued`]).
struct Counted {
    tx: SyncSender<Chunk>,
    counter: Arc<std::sync::atomic::AtomicUsize>,
}

impl Counted {
    fn send(&self, c: Chunk) -> Result<(), ()> {
        use std::sync::atomic::Ordering;
        self.counter.fetch_add(1, Ordering::AcqRel);
        self.tx.send(c).map_err(|_| {
            self.counter.fetch_sub(1, Ordering::AcqRel);
        })
    }
}

async fn run(
    target: Target,
    command: String,
    stdin: Option<Vec<u8>>,
    ready: SyncSender<Result<(), SshError>>,
    tx: Counted,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut preferred = russh::Preferred::default();
    if target.sha1 {
        // Before the extension pseudo-algorithms, which must come last.
        let mut kex: Vec<russh::kex::Name> = preferred.kex.to_vec();
        let at = kex
            .iter()
            .position(|k| {
                k.as_ref().starts_with("ext-info") || k.as_ref().starts_with("kex-strict")
            })
            .unwrap_or(kex.len());
        for (i, k) in [
            russh::kex::DH_G14_SHA1,
            russh::kex::DH_GEX_SHA1,
            russh::kex::DH_G1_SHA1,
        ]
        .into_iter()
        .enumerate()
        {
            kex.insert(at + i, k);
        }
        preferred.kex = kex.into();
    }
    let config = Arc::new(client::Config {
        // A dead link is noticed within 3 keepalives of 5 s.
        keepalive_interval: Some(Duration::from_secs(5)),
        keepalive_max: 3,
        nodelay: true,
        preferred,
        ..client::Config::default()
    });
    let connect_err = |fault: ConnectFault| SshError::Connect {
        host: target.host.clone(),
        port: target.port,
        fault,
    };
    // The jump hosts' sessions and the ProxyCommand child live as long as
    // the session they carry.
    let (handle, _carriers) = match open(config, &target).await {
        Ok(x) => x,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let channel = match handle.channel_open_session().await {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(connect_err(ConnectFault::Channel(e))));
            return;
        }
    };
    if let Err(e) = channel.exec(true, command.as_bytes()).await {
        let _ = ready.send(Err(connect_err(ConnectFault::Exec(e))));
        return;
    }
    // The channel's stdin stays open after this: the agent takes its end
    // as the rules' end, and nothing else is sent.
    if let Some(bytes) = stdin {
        if let Err(e) = channel.data(&bytes[..]).await {
            let _ = ready.send(Err(connect_err(ConnectFault::SendRules(e))));
            return;
        }
    }
    let _ = ready.send(Ok(()));
    let mut channel = channel;
    // OpenSSH sends the command's exit-status (or exit-signal) after the
    // channel's EOF and before its close: stopping at EOF lost them. After
    // EOF the loop waits for the close, but not forever (a server that
    // never closes the channel).
    let mut after_eof: Option<tokio::time::Instant> = None;
    let end = loop {
        let eof_wait =
            after_eof.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            msg = channel.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    if tx.send(Chunk::Data(data.to_vec())).is_err() {
                        break false;
                    }
                }
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                    let _ = tx.send(Chunk::Stderr(data.to_vec()));
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    let _ = tx.send(Chunk::Exit(exit_status));
                }
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    let name = match signal_name {
                        russh::Sig::Custom(n) => n,
                        known => format!("{known:?}"),
                    };
                    let _ = tx.send(Chunk::Signal { name });
                }
                Some(ChannelMsg::Eof) => {
                    after_eof = Some(tokio::time::Instant::now() + Duration::from_secs(2));
                }
                Some(ChannelMsg::Close) | None => {
                    // `None`: the connection is gone (keepalives unanswered,
                    // TCP reset) unless the server closed the channel first.
                    break msg.is_none() && handle.is_closed();
                }
                Some(_) => {}
            },
            _ = &mut stop => {
                let _ = channel.close().await;
                break false;
            }
            _ = tokio::time::sleep_until(eof_wait), if after_eof.is_some() => break false,
        }
    };
    let _ = tx.send(Chunk::End { lost: end });
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "capture ended", "en")
        .await;
}

/// What must stay alive for a session to work: the jump hosts' sessions
/// and the ProxyCommand child (killed on drop).
#[derive(Default)]
struct Carriers {
    _jumps: Vec<client::Handle<Checker>>,
    _proxy: Option<tokio::process::Child>,
}

/// Connects to `target` the way its [`Proxy`] says, checks its host key and
/// authenticates.
async fn open(
    config: Arc<client::Config>,
    target: &Target,
) -> Result<(client::Handle<Checker>, Carriers), SshError> {
    let err = |t: &Target, fault: ConnectFault| SshError::Connect {
        host: t.host.clone(),
        port: t.port,
        fault,
    };
    let mut carriers = Carriers::default();
    match &target.proxy {
        Proxy::Direct => {
            let tcp = tokio::time::timeout(
                Duration::from_secs(10),
                tokio::net::TcpStream::connect((target.host.as_str(), target.port)),
            )
            .await
            .map_err(|_| err(target, ConnectFault::Timeout))?
            .map_err(|e| err(target, ConnectFault::Tcp(e)))?;
            let _ = tcp.set_nodelay(true);
            Ok((handshake(config, tcp, target).await?, carriers))
        }
        Proxy::Command { line } => {
            let mut child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(line)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| err(target, ConnectFault::ProxySpawn(e)))?;
            let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
                return Err(err(target, ConnectFault::ProxyNoPipes));
            };
            carriers._proxy = Some(child);
            let stream = tokio::io::join(stdout, stdin);
            let handle = handshake(config, stream, target)
                .await
                .map_err(|e| match e {
                    SshError::Connect { host, port, fault } => SshError::Connect {
                        host,
                        port,
                        fault: ConnectFault::ThroughProxy(Box::new(fault)),
                    },
                    other => other,
                })?;
            Ok((handle, carriers))
        }
        Proxy::Jump(hops) => {
            let mut prev: Option<client::Handle<Checker>> = None;
            for hop in hops.iter().chain(std::iter::once(target)) {
                let handle = match prev.take() {
                    None => Box::pin(open(config.clone(), hop)).await?.0,
                    Some(through) => {
                        let ch = through
                            .channel_open_direct_tcpip(
                                hop.host.clone(),
                                u32::from(hop.port),
                                "127.0.0.1",
                                0,
                            )
                            .await
                            .map_err(|e| err(hop, ConnectFault::JumpChannel(e)))?;
                        let handle = handshake(config.clone(), ch.into_stream(), hop).await?;
                        carriers._jumps.push(through);
                        handle
                    }
                };
                prev = Some(handle);
            }
            let handle = prev.ok_or_else(|| err(target, ConnectFault::NoHop))?;
            Ok((handle, carriers))
        }
    }
}

/// The SSH handshake over `stream`: host key check, then authentication.
async fn handshake<S>(
    config: Arc<client::Config>,
    stream: S,
    t: &Target,
) -> Result<client::Handle<Checker>, SshError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let verdict = Arc::new(Mutex::new(None));
    let checker = Checker {
        target: t.clone(),
        verdict: verdict.clone(),
    };
    let mut handle = client::connect_stream(config, stream, checker)
        .await
        .map_err(|e| {
            let v = verdict.lock().ok().and_then(|mut v| v.take());
            v.unwrap_or_else(|| SshError::Connect {
                host: t.host.clone(),
                port: t.port,
                fault: ConnectFault::Protocol(e),
            })
        })?;
    authenticate(&mut handle, t).await?;
    Ok(handle)
}

/// Loads a private key, naming the problem: encrypted without a passphrase,
/// wrong passphrase, or not a key.
fn load_key(path: &Path, passphrase: Option<&str>) -> Result<russh::keys::PrivateKey, SshError> {
    let fail = |fault: KeyFault| SshError::Key {
        path: path.display().to_string(),
        fault,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(KeyFault::Unreadable(e)))?;
    // PEM and PKCS#8 say so in the armour; russh's PKCS#8 reader, given no
    // passphrase, would report an encrypted key as a DER error.
    let armoured_encrypted = text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED");
    if armoured_encrypted && passphrase.is_none() {
        return Err(fail(KeyFault::Encrypted));
    }
    russh::keys::decode_secret_key(&text, passphrase).map_err(|e| {
        fail(match e {
            russh::keys::Error::KeyIsEncrypted => KeyFault::Encrypted,
            // A key that decrypts to garbage was decrypted with the wrong
            // passphrase (no format has an integrity check that says so
            // more directly).
            _ if passphrase.is_some() && (armoured_encrypted || is_decrypt_failure(&e)) => {
                KeyFault::WrongPassphrase
            }
            _ => KeyFault::NotAKey(e),
        })
    })
}

/// Whether `e` is a failed decryption (a wrong passphrase): the formats
/// report it as a crypto, padding or key-derivation failure.
fn is_decrypt_failure(e: &russh::keys::Error) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    ["crypto", "decrypt", "padding", "cipher", "pkcs8", "mac"]
        .iter()
        .any(|k| s.contains(k))
}

/// Offers one private key; whether the server took it.
async fn offer_key(
    handle: &mut client::Handle<Checker>,
    user: &str,
    key: russh::keys::PrivateKey,
    hash: Option<russh::keys::HashAlg>,
) -> Result<bool, russh::Error> {
    let r = handle
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
        .await?;
    Ok(matches!(r, AuthResult::Success))
}

async fn authenticate(handle: &mut client::Handle<Checker>, t: &Target) -> Result<(), SshError> {
    let mut tried = Vec::new();
    let refused = |tried: Vec<AuthAttempt>| SshError::Auth {
        user: t.user.clone(),
        host: t.host.clone(),
        tried,
    };
    let proto = |e: russh::Error| SshError::Connect {
        host: t.host.clone(),
        port: t.port,
        fault: ConnectFault::Protocol(e),
    };
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(proto)?
        .flatten();
    if let Some(path) = &t.key {
        let key = load_key(path, t.passphrase.as_deref())?;
        if offer_key(handle, &t.user, key, hash).await.map_err(proto)? {
            return Ok(());
        }
        tried.push(AuthAttempt::Key);
    }
    if let Some(pw) = &t.password {
        let r = handle
            .authenticate_password(&t.user, pw)
            .await
            .map_err(proto)?;
        if matches!(r, AuthResult::Success) {
            return Ok(());
        }
        tried.push(AuthAttempt::Password);
    }
    #[cfg(unix)]
    if let Some(sock) = &t.agent {
        use russh::keys::agent::{client::AgentClient, AgentIdentity};
        // An agent that cannot be reached is skipped, as OpenSSH does.
        if let Ok(mut agent) = AgentClient::connect_uds(sock).await {
            let ids = agent.request_identities().await.unwrap_or_default();
            let mut offered = 0;
            for id in ids {
                let AgentIdentity::PublicKey { key, .. } = id else {
                    continue;
                };
                offered += 1;
                if let Ok(AuthResult::Success) = handle
                    .authenticate_publickey_with(&t.user, key, hash, &mut agent)
                    .await
                {
                    return Ok(());
                }
            }
            tried.push(AuthAttempt::Agent { offered });
        }
    }
    for path in &t.identities {
        if t.key.as_ref() == Some(path) {
            continue;
        }
        // Identity files nobody named: one that cannot be loaded (encrypted
        // without a passphrase) is skipped, not fatal.
        let Ok(key) = load_key(path, t.passphrase.as_deref()) else {
            tried.push(AuthAttempt::Unloadable { path: path.clone() });
            continue;
        };
        if offer_key(handle, &t.user, key, hash).await.map_err(proto)? {
            return Ok(());
        }
        tried.push(AuthAttempt::Identity { path: path.clone() });
    }
    Err(refused(tried))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failure_names_what_was_refused_in_order() {
        let e = |tried| SshError::Auth {
            user: "u".into(),
            host: "h".into(),
            tried,
        };
        assert_eq!(
            e(vec![
                AuthAttempt::Key,
                AuthAttempt::Password,
                AuthAttempt::Agent { offered: 2 },
                AuthAttempt::Unloadable {
                    path: "/k/id_rsa".into()
                },
                AuthAttempt::Identity {
                    path: "/k/id_ed25519".into()
                },
            ])
            .to_string(),
            "authentication as u@h failed: the server refused the key, then the password, \
             then 2 ssh-agent key(s), then /k/id_rsa (not loadable, skipped), then /k/id_ed25519"
        );
        assert_eq!(
            e(Vec::new()).to_string(),
            "authentication as u@h failed: no method to try (give --sshkey or \
             --remote-password, or load a key into ssh-agent)"
        );
    }
}
