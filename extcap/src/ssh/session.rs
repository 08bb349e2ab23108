//! The SSH connection: russh in a thread of its own (a current-thread tokio
//! runtime), handing the remote command's output to the capture thread
//! through a bounded channel, so the capture side stays synchronous like
//! every other source.
//!
//! Cancel/drop: dropping a [`Session`] tells the thread to close the channel
//! and disconnect; sshd then closes the remote command's pipes, so the
//! remote capture sees its reader gone and exits.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult};
use russh::keys::{load_secret_key, PrivateKeyWithHashAlg, PublicKey};
use russh::ChannelMsg;

use super::known_hosts::{self, HostKeyStatus};

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

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password, tried after the key.
    pub password: Option<String>,
    /// Private key file.
    pub key: Option<PathBuf>,
    /// Its passphrase.
    pub passphrase: Option<String>,
    /// known_hosts file.
    pub known_hosts: PathBuf,
    /// Host key policy.
    pub policy: HostKeyPolicy,
}

/// What can go wrong before the stream starts, each with its own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshError {
    /// TCP or protocol failure.
    #[error("cannot reach {host}:{port}: {detail}")]
    Connect {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// What failed.
        detail: String,
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
    #[error("cannot use the key {path}: {detail}")]
    Key {
        /// The file.
        path: String,
        /// Why (wrong passphrase, encrypted without one, unreadable).
        detail: String,
    },
    /// Every method was refused.
    #[error("authentication as {user}@{host} failed: {tried}")]
    Auth {
        /// User.
        user: String,
        /// Host.
        host: String,
        /// What was tried and refused.
        tried: String,
    },
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
    /// The remote command was killed by this signal (`KILL`, `TERM`, ...).
    Signal(String),
    /// The stream ended: `None` cleanly, else why the link died.
    End(Option<String>),
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
pub fn start(target: Target, command: String) -> Result<Session, SshError> {
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
                        detail: e.to_string(),
                    }));
                    return;
                }
            };
            rt.block_on(run(
                target,
                command,
                ready_tx,
                Counted { tx, counter },
                stop_rx,
            ));
        })
        .map_err(|e| SshError::Connect {
            host: host.clone(),
            port,
            detail: e.to_string(),
        })?;
    let mut session = Session {
        rx,
        queued,
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(session),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            session.stop = None;
            Err(SshError::Connect {
                host,
                port,
                detail: "the SSH thread ended early".into(),
            })
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
    ready: SyncSender<Result<(), SshError>>,
    tx: Counted,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let verdict = Arc::new(Mutex::new(None));
    let config = Arc::new(client::Config {
        // A dead link is noticed within 3 keepalives of 5 s.
        keepalive_interval: Some(Duration::from_secs(5)),
        keepalive_max: 3,
        nodelay: true,
        ..client::Config::default()
    });
    let checker = Checker {
        target: target.clone(),
        verdict: verdict.clone(),
    };
    let connect_err = |detail: String| SshError::Connect {
        host: target.host.clone(),
        port: target.port,
        detail,
    };
    let handle = client::connect(config, (target.host.as_str(), target.port), checker).await;
    let mut handle = match handle {
        Ok(h) => h,
        Err(e) => {
            let v = verdict.lock().ok().and_then(|mut v| v.take());
            let _ = ready.send(Err(v.unwrap_or_else(|| connect_err(e.to_string()))));
            return;
        }
    };
    if let Err(e) = authenticate(&mut handle, &target).await {
        let _ = ready.send(Err(e));
        return;
    }
    let channel = match handle.channel_open_session().await {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(connect_err(format!("opening a session channel: {e}"))));
            return;
        }
    };
    if let Err(e) = channel.exec(true, command.as_bytes()).await {
        let _ = ready.send(Err(connect_err(format!(
            "starting the remote command: {e}"
        ))));
        return;
    }
    let _ = ready.send(Ok(()));
    let mut channel = channel;
    let end = loop {
        tokio::select! {
            msg = channel.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    if tx.send(Chunk::Data(data.to_vec())).is_err() {
                        break None;
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
                    let _ = tx.send(Chunk::Signal(name));
                }
                Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => {
                    // `None`: the connection is gone (keepalives unanswered,
                    // TCP reset) unless the server closed the channel first.
                    break if msg.is_none() && handle.is_closed() {
                        Some("the SSH connection was lost".to_string())
                    } else {
                        None
                    };
                }
                Some(_) => {}
            },
            _ = &mut stop => {
                let _ = channel.close().await;
                break None;
            }
        }
    };
    let _ = tx.send(Chunk::End(end));
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "capture ended", "en")
        .await;
}

async fn authenticate(handle: &mut client::Handle<Checker>, t: &Target) -> Result<(), SshError> {
    let mut tried = Vec::new();
    let refused = |tried: &[&str]| SshError::Auth {
        user: t.user.clone(),
        host: t.host.clone(),
        tried: if tried.is_empty() {
            "no method to try (give --sshkey or --remote-password)".to_string()
        } else {
            format!("the server refused {}", tried.join(", then "))
        },
    };
    let proto = |e: russh::Error| SshError::Connect {
        host: t.host.clone(),
        port: t.port,
        detail: e.to_string(),
    };
    if let Some(path) = &t.key {
        let key = load_secret_key(path, t.passphrase.as_deref()).map_err(|e| SshError::Key {
            path: path.display().to_string(),
            detail: match (&e, &t.passphrase) {
                (russh::keys::Error::KeyIsEncrypted, _) => {
                    "it is encrypted: give --sshkey-passphrase".to_string()
                }
                (_, Some(_)) if e.to_string().contains("crypto") => "wrong passphrase".to_string(),
                _ => e.to_string(),
            },
        })?;
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(proto)?
            .flatten();
        let r = handle
            .authenticate_publickey(&t.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(proto)?;
        if matches!(r, AuthResult::Success) {
            return Ok(());
        }
        tried.push("the key");
    }
    if let Some(pw) = &t.password {
        let r = handle
            .authenticate_password(&t.user, pw)
            .await
            .map_err(proto)?;
        if matches!(r, AuthResult::Success) {
            return Ok(());
        }
        tried.push("the password");
    }
    Err(refused(&tried))
}
