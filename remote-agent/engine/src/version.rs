//! What `--version` prints, the same for each binary.

/// `NAME VERSION (git COMMIT)`, how the probe was built, and the event
/// layouts the writer takes: `scapbridge --version` and
/// `scapbridge-agent --version`.
pub fn version_text(name: &str, version: &str, commit: &str) -> String {
    format!(
        "{name} {version} (git {commit})\n\
         probe: {}\n\
         layouts: stratoshark (libs 0.23: Stratoshark, Wireshark 4.6, sysdig 0.41, Falco), \
         compat (libs 0.21 with enter events: sysdig 0.29, Wireshark 4.0-4.4), keep (as read)\n",
        scapbridge_probe::BUILD,
    )
}
