//! The command `scapbridge-ssh` runs on the remote host, built the way
//! sshdig builds it, with every piece of user text shell-quoted: the remote
//! side is a shell (the SSH `exec` request goes through the user's login
//! shell), so a filter such as `'; touch /tmp/pwned; '` must reach the
//! capture program as one argument and run nothing.

/// Which program captures on the remote host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteProgram {
    /// `sysdig`, exactly as sshdig calls it.
    Sysdig,
    /// `scapbridge-agent capture`, with our options (rules, trigger mode).
    Agent,
    /// A command given verbatim by the user (`--remote-capture-command`).
    Other {
        /// The command line, run as given.
        command: String,
    },
}

/// What the remote command must do.
#[derive(Debug, Clone, Default)]
pub struct RemoteCapture {
    /// `none`, `sudo` or `doas -n`.
    pub priv_prefix: Option<String>,
    /// `-u USER` after the privilege prefix.
    pub priv_user: Option<String>,
    /// `--numevents=N` when above 0.
    pub count: u64,
    /// `--snaplen=N` when above 0.
    pub snaplen: u64,
    /// `--modern-bpf`.
    pub modern_bpf: bool,
    /// The capture filter, as one argument.
    pub filter: Option<String>,
    /// Extra arguments for the agent (`--rules FILE`, `--trigger`, ...),
    /// each one argument.
    pub agent_args: Vec<String>,
}

/// Quotes `s` for a POSIX shell: single quotes, each `'` written `'\''`
/// (GLib's `g_shell_quote`, which sshdig uses, does the same). The empty
/// string becomes `''`.
pub fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The remote command line for `program`. For [`RemoteProgram::Sysdig`]
/// it is sshdig's string byte for byte (its spaces included), so a host
/// where sshdig works works here; [`RemoteProgram::Other`] runs verbatim,
/// as in sshdig.
pub fn build(program: &RemoteProgram, c: &RemoteCapture) -> String {
    let privilege = match (&c.priv_prefix, &c.priv_user) {
        (Some(p), Some(u)) if !u.is_empty() => format!("{p} -u {}", shell_quote(u)),
        (Some(p), _) => p.clone(),
        (None, _) => String::new(),
    };
    let modern = if c.modern_bpf { " --modern-bpf" } else { "" };
    let count = if c.count > 0 {
        format!(" --numevents={}", c.count)
    } else {
        String::new()
    };
    let snaplen = if c.snaplen > 0 {
        format!(" --snaplen={}", c.snaplen)
    } else {
        String::new()
    };
    let filter = shell_quote(c.filter.as_deref().unwrap_or(""));
    match program {
        RemoteProgram::Other { command } => command.clone(),
        RemoteProgram::Sysdig => {
            format!("{privilege} sysdig --unbuffered {modern} --write=- {count} {snaplen} {filter}")
        }
        RemoteProgram::Agent => {
            let extra: Vec<String> = c.agent_args.iter().map(|a| shell_quote(a)).collect();
            format!(
                "{privilege} scapbridge-agent capture --write=-{modern}{count}{snaplen} {} -- {filter}",
                extra.join(" ")
            )
        }
    }
}

/// Whether `s` is a privilege prefix sshdig offers.
pub fn priv_prefix(s: &str) -> Option<Option<String>> {
    match s {
        "" | "none" => Some(None),
        "sudo" => Some(Some("sudo".into())),
        "doas" | "doas -n" => Some(Some("doas -n".into())),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sshdig_default_gui_command_byte_for_byte() {
        let c = RemoteCapture {
            modern_bpf: true,
            snaplen: 80,
            ..RemoteCapture::default()
        };
        assert_eq!(
            build(&RemoteProgram::Sysdig, &c),
            " sysdig --unbuffered  --modern-bpf --write=-   --snaplen=80 ''"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(
            shell_quote("'; touch /tmp/x; '"),
            "''\\''; touch /tmp/x; '\\'''"
        );
        let c = RemoteCapture {
            priv_prefix: Some("sudo".into()),
            priv_user: Some("o'neil".into()),
            filter: Some("proc.name=cat".into()),
            count: 5,
            ..RemoteCapture::default()
        };
        assert_eq!(
            build(&RemoteProgram::Sysdig, &c),
            "sudo -u 'o'\\''neil' sysdig --unbuffered  --write=-  --numevents=5  'proc.name=cat'"
        );
    }
}
