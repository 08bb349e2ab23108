//! `known_hosts` text checked for three hosts (one on another port, one
//! that only a glob or hashed entry can match) against one key. OpenSSH
//! skips lines it cannot parse; so must we, without a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use russh::keys::PublicKey;
use scapbridge_ssh::known_hosts::check_text;

/// A throwaway public key (made once with ssh-keygen; no secret anywhere),
/// the one the seeds hold.
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINaQuoavBTjjjLoru+79dVe4KXmjUn7G3dcGPHNitz8N";

fuzz_target!(|input: &[u8]| {
    static K: OnceLock<PublicKey> = OnceLock::new();
    let key = K.get_or_init(|| PublicKey::from_openssh(KEY).expect("the test key parses"));
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    for (host, port) in [("127.0.0.1", 2222), ("host", 22), ("a.x", 22)] {
        let _ = check_text(text, host, port, key);
    }
});
