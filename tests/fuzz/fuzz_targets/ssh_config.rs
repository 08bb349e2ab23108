//! `~/.ssh/config` text, looked up for a few host names (plain, matching a
//! glob, negated, none) and the values expanded as a connection would.
//! `Include` is live: it reads files, so `HOME` points at an empty folder
//! made for this process, and relative includes find nothing; absolute
//! ones read what they name, within the lookup's own limits.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scapbridge_ssh::config::{expand_command_tokens, expand_tokens, lookup_text};

fn init() {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = tempfile::tempdir().expect("a temporary folder");
        // Before any lookup, in the one thread libFuzzer runs targets on.
        std::env::set_var("HOME", home.path());
        home
    });
}

fuzz_target!(|input: &[u8]| {
    init();
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    for host in ["box", "a.example.com", "bad", "x"] {
        let Ok(c) = lookup_text(text, "fuzz_config", host) else {
            continue;
        };
        let name = c.host_name.as_deref().unwrap_or(host);
        let user = c.user.as_deref().unwrap_or("u");
        let port = c.port.unwrap_or(22);
        for f in &c.identity_files {
            let _ = expand_tokens(f, name, port, user, host);
        }
        if let Some(p) = &c.proxy_command {
            let _ = expand_command_tokens(p, name, port, user, host);
        }
    }
});
