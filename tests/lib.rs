//! What the integration tests (in this crate's test targets) and the
//! benchmarks (`tests/bench`, `benches/`) share that is no test: the
//! command lines of `scapbridge capture` both spell out, and how both run
//! podman. The tests' own helpers (fixtures, sshd, skip rules, podman's
//! checks) stay in `common/`.

use std::ffi::OsStr;
use std::process::Command;

/// `scapbridge capture` command lines, added to a [`Command`] that runs the
/// `scapbridge` binary (the caller picks the binary and its environment,
/// e.g. TZ=UTC in the tests), for the caller to add the rest (`-w OUT`, a
/// filter, rules).
pub trait CaptureArgs {
    /// `capture -q -i scapbridge-replay --file FILE`: the file replayed at
    /// its recorded pace.
    fn replay(&mut self, file: impl AsRef<OsStr>) -> &mut Command;

    /// `capture -q -i scapbridge-replay --speed max --file FILE`: the file
    /// replayed as fast as the output takes it.
    fn replay_max(&mut self, file: impl AsRef<OsStr>) -> &mut Command;

    /// `capture -q -i scapbridge-cloudtrail --plugin-source SOURCE`: a
    /// folder of CloudTrail logs, an `s3://` prefix or an `sqs://` queue.
    fn cloudtrail(&mut self, source: impl AsRef<OsStr>) -> &mut Command;

    /// `--alerts ALERTS -w OUT`: where the alerts and the capture go.
    fn alerts_and_capture_to(
        &mut self,
        alerts: impl AsRef<OsStr>,
        out: impl AsRef<OsStr>,
    ) -> &mut Command;
}

/// `--alerts /dev/null --trigger --pre PRE --post POST`: trigger windows of
/// PRE before and POST after each alert, the alerts themselves discarded
/// (the capture's exit status still says whether a rule fired).
pub fn trigger_windows<'a>(pre: &'a str, post: &'a str) -> [&'a str; 7] {
    [
        "--alerts",
        "/dev/null",
        "--trigger",
        "--pre",
        pre,
        "--post",
        post,
    ]
}

impl CaptureArgs for Command {
    fn replay(&mut self, file: impl AsRef<OsStr>) -> &mut Command {
        self.args(["capture", "-q", "-i", "scapbridge-replay", "--file"])
            .arg(file)
    }

    fn replay_max(&mut self, file: impl AsRef<OsStr>) -> &mut Command {
        self.args([
            "capture",
            "-q",
            "-i",
            "scapbridge-replay",
            "--speed",
            "max",
            "--file",
        ])
        .arg(file)
    }

    fn alerts_and_capture_to(
        &mut self,
        alerts: impl AsRef<OsStr>,
        out: impl AsRef<OsStr>,
    ) -> &mut Command {
        self.arg("--alerts").arg(alerts).arg("-w").arg(out)
    }

    fn cloudtrail(&mut self, source: impl AsRef<OsStr>) -> &mut Command {
        self.args([
            "capture",
            "-q",
            "-i",
            "scapbridge-cloudtrail",
            "--plugin-source",
        ])
        .arg(source)
    }
}

/// The image the tests and benchmarks run (`SCAPBRIDGE_IMAGE`, default the
/// one install.sh imports).
pub fn podman_image() -> String {
    std::env::var("SCAPBRIDGE_IMAGE")
        .unwrap_or_else(|_| "localhost/scapbridge-workload:bookworm".into())
}

/// `podman` with the runtime settings the tests need whatever the machine's
/// containers.conf says: runc, cgroupfs, and events to a file (no journald).
pub fn podman() -> Command {
    let mut c = Command::new("podman");
    c.args([
        "--runtime",
        "runc",
        "--cgroup-manager=cgroupfs",
        "--events-backend=file",
    ]);
    c
}

#[cfg(test)]
mod tests {
    use super::{trigger_windows, CaptureArgs};
    use std::process::Command;

    fn args(c: &Command) -> Vec<String> {
        c.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn command_lines_are_the_documented_ones() {
        let mut c = Command::new("scapbridge");
        c.replay_max("in.scap");
        assert_eq!(
            args(&c).join(" "),
            "capture -q -i scapbridge-replay --speed max --file in.scap"
        );
        let mut c = Command::new("scapbridge");
        c.replay("in.scap");
        assert_eq!(
            args(&c).join(" "),
            "capture -q -i scapbridge-replay --file in.scap"
        );
        let mut c = Command::new("scapbridge");
        c.cloudtrail("sqs://q");
        assert_eq!(
            args(&c).join(" "),
            "capture -q -i scapbridge-cloudtrail --plugin-source sqs://q"
        );
        assert_eq!(
            trigger_windows("1s", "2ms").join(" "),
            "--alerts /dev/null --trigger --pre 1s --post 2ms"
        );
    }
}
