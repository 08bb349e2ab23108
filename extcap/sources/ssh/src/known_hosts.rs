//! Host key verification against an OpenSSH `known_hosts` file, matched the
//! way OpenSSH matches: `[host]:port` for ports other than 22, `*` and `?`
//! globs, `!` negations, hashed names (`|1|salt|hash`, HMAC-SHA1), and
//! `@revoked` keys. russh's own check knows only exact and hashed names, so
//! a wildcard entry that `ssh` accepts would read as unknown there.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::known_hosts::{Entry, HostPatterns, Marker};
use russh::keys::ssh_key::{HashAlg, PublicKey};

/// What the file says of a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// An entry for the host holds this key.
    Known,
    /// No entry for the host holds a key of this type.
    Unknown,
    /// An entry for the host holds another key of this type (line number).
    Changed(usize),
    /// The key is marked `@revoked` (line number).
    Revoked(usize),
}

/// The name OpenSSH looks up: `host`, or `[host]:port` off port 22.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Checks `key` of `host:port` against the known_hosts text `text`.
pub fn check_text(text: &str, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
    let name = lookup_name(host, port).to_ascii_lowercase();
    let mut known = false;
    let mut changed = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // OpenSSH skips lines it cannot parse; so do we.
        let Ok(entry) = Entry::from_str(line) else {
            continue;
        };
        if !host_matches(entry.host_patterns(), &name) {
            continue;
        }
        let same = entry.public_key().key_data() == key.key_data();
        match entry.marker() {
            Some(Marker::Revoked) if same => return HostKeyStatus::Revoked(i + 1),
            Some(_) => continue,
            None => {}
        }
        if same {
            known = true;
        } else if entry.public_key().algorithm() == key.algorithm() && changed.is_none() {
            changed = Some(i + 1);
        }
    }
    match (known, changed) {
        (true, _) => HostKeyStatus::Known,
        (false, Some(line)) => HostKeyStatus::Changed(line),
        (false, None) => HostKeyStatus::Unknown,
    }
}

/// Checks against the file at `path`; a missing file knows no host.
pub fn check_file(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> std::io::Result<HostKeyStatus> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(check_text(&text, host, port, key)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HostKeyStatus::Unknown),
        Err(e) => Err(e),
    }
}

/// `~/.ssh/known_hosts`.
pub fn default_path() -> Option<PathBuf> {
    std::env::home_dir().map(|h| h.join(".ssh").join("known_hosts"))
}

/// The key's SHA256 fingerprint, as `ssh` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn host_matches(patterns: &HostPatterns, name: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => {
            let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                return false;
            };
            mac.update(name.as_bytes());
            mac.verify_slice(hash).is_ok()
        }
        HostPatterns::Patterns(list) => {
            let mut hit = false;
            for p in list {
                let p = p.to_ascii_lowercase();
                match p.strip_prefix('!') {
                    // A matching negation rules the entry out whatever else matches.
                    Some(neg) if glob(neg, name) => return false,
                    Some(_) => {}
                    None => hit |= glob(&p, name),
                }
            }
            hit
        }
    }
}

/// `*` and `?` globbing over bytes (OpenSSH's `match_pattern`).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const K1: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICH+uBsMw24fW1QLqXwmDwz9fsQT6F1/HO9syBT0dcIF";
    const K2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL9QTMtyP3J0RZVNazw/jsS9dzchnGIFlnSezsrxQq35";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob("*.example.com", "a.example.com"));
        assert!(glob("[127.0.0.?]:2222", "[127.0.0.1]:2222"));
        assert!(!glob("[127.0.0.?]:2222", "[127.0.0.10]:2222"));
        assert!(glob("*", "anything"));
        assert!(!glob("a*b", "acbd"));
    }

    #[test]
    fn statuses() {
        // `ssh-keygen -H` form of "[127.0.0.1]:2222", salt and hash computed here.
        let salt = [7u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash = mac.finalize().into_bytes();
        use base64ct::{Base64, Encoding};
        let hashed = format!(
            "|1|{}|{} {K1}\n",
            Base64::encode_string(&salt),
            Base64::encode_string(&hash)
        );
        let plain = format!("[127.0.0.1]:2222 {K1}\n");
        let wild = format!("# comment\n[127.0.0.*]:2222,!*.bad {K1}\n");
        let neg = format!("*,!host.bad {K1}\n");
        let revoked = format!("host {K1}\n@revoked * {K1}\n");
        // (known_hosts, host, port, the host's key, status)
        let cases = [
            (&plain, "127.0.0.1", 2222, K1, HostKeyStatus::Known),
            (&plain, "127.0.0.1", 22, K1, HostKeyStatus::Unknown),
            (&plain, "127.0.0.1", 2222, K2, HostKeyStatus::Changed(1)),
            (&wild, "127.0.0.1", 2222, K1, HostKeyStatus::Known),
            (&neg, "host.bad", 22, K1, HostKeyStatus::Unknown),
            (&revoked, "host", 22, K1, HostKeyStatus::Revoked(2)),
            (&hashed, "127.0.0.1", 2222, K1, HostKeyStatus::Known),
            (&hashed, "127.0.0.2", 2222, K1, HostKeyStatus::Unknown),
        ];
        for (text, host, port, k, want) in cases {
            assert_eq!(
                check_text(text, host, port, &key(k)),
                want,
                "{host}:{port} in {text:?}"
            );
        }
    }
}
