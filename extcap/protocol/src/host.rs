//! Which analyzer runs us, and so which event layout it reads.
//!
//! Stratoshark and Wireshark ≥ 4.6 decode scap events with libsinsp (libs
//! 0.23 in Stratoshark 0.9.9 and Wireshark 4.6.9): they need the
//! `stratoshark` layout, one libsinsp event per block. Wireshark ≤ 4.4 has
//! its own dissector tables, and sysdig 0.29 beside it wants each exit's
//! enter: the `compat` layout. The host says who it is only indirectly: the
//! folder it runs extcaps from (`…/stratoshark/extcap`, personal or global),
//! its working directory (Stratoshark 0.9.9 runs extcaps from its global
//! extcap folder) and `--extcap-version` (`4.6` from Stratoshark 0.9.9 and
//! Wireshark 4.6 alike).

use std::path::Path;

use scapbridge_formats::Profile;

/// The analyzer that started an extcap capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Stratoshark (any version).
    Stratoshark,
    /// Wireshark (or tshark) of this major and minor version.
    Wireshark(u32, u32),
    /// No version and no Stratoshark folder: an unknown host.
    Unknown,
}

impl Host {
    /// Decides from what the process sees: the host's `--extcap-version`,
    /// the path of our executable and the working directory.
    pub fn detect(version: Option<&str>, exe: Option<&Path>, cwd: Option<&Path>) -> Host {
        let in_stratoshark = |p: Option<&Path>| {
            p.is_some_and(|p| p.components().any(|c| c.as_os_str() == "stratoshark"))
        };
        if in_stratoshark(exe) || in_stratoshark(cwd) {
            return Host::Stratoshark;
        }
        let Some(v) = version else {
            return Host::Unknown;
        };
        let mut parts = v.split('.').map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .ok()
        });
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), minor) => Host::Wireshark(major, minor.unwrap_or(0)),
            _ => Host::Unknown,
        }
    }

    /// [`Host::detect`] for this process.
    pub fn of_this_process(version: Option<&str>) -> Host {
        let exe = std::env::current_exe().ok();
        let cwd = std::env::current_dir().ok();
        Host::detect(version, exe.as_deref(), cwd.as_deref())
    }

    /// The layout this host reads every event of.
    pub fn layout(self) -> Profile {
        match self {
            Host::Stratoshark => Profile::Stratoshark,
            Host::Wireshark(major, minor) if (major, minor) >= (4, 6) => Profile::Stratoshark,
            Host::Wireshark(..) => Profile::Compat,
            // Hosts have passed --extcap-version since Wireshark 2.9; one
            // that does not is old.
            Host::Unknown => Profile::Compat,
        }
    }

    /// The host's name for logs and the summary.
    pub fn describe(self) -> String {
        match self {
            Host::Stratoshark => "Stratoshark".into(),
            Host::Wireshark(a, b) => format!("Wireshark {a}.{b}"),
            Host::Unknown => "an unknown host".into(),
        }
    }
}

/// The layout a capture of `interface` writes: `asked` if the user chose
/// one; else, under a host (`Some`), what that host reads — libs 0.23's
/// for Stratoshark and Wireshark ≥ 4.6, and for older Wireshark `compat`
/// for the live probe (its events are the newest layouts) while the other
/// sources pass on what was recorded or sent; headless (`None`), the live
/// probe writes the `stratoshark` layout (the analyzer this is for) and the
/// other sources keep what they get (our agent already sends that layout).
pub fn layout_for(interface: &str, asked: Option<Profile>, host: Option<Host>) -> Profile {
    let live_probe = interface == "scapbridge-syscalls";
    match (asked, host) {
        (Some(p), _) => p,
        (None, Some(h)) if h.layout() == Profile::Stratoshark => Profile::Stratoshark,
        (None, Some(_)) if live_probe => Profile::Compat,
        (None, None) if live_probe => Profile::Stratoshark,
        (None, _) => Profile::Keep,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_source_writes_what_its_reader_takes() {
        let strato = Some(Host::Stratoshark);
        let ws40 = Some(Host::Wireshark(4, 0));
        for iface in [
            "scapbridge-syscalls",
            "scapbridge-replay",
            "scapbridge-ssh",
            "scapbridge-cloudtrail",
        ] {
            assert_eq!(
                layout_for(iface, None, strato),
                Profile::Stratoshark,
                "{iface}"
            );
            assert_eq!(
                layout_for(iface, Some(Profile::Compat), strato),
                Profile::Compat,
                "{iface}"
            );
        }
        assert_eq!(
            layout_for("scapbridge-syscalls", None, ws40),
            Profile::Compat
        );
        assert_eq!(layout_for("scapbridge-replay", None, ws40), Profile::Keep);
        assert_eq!(
            layout_for("scapbridge-syscalls", None, None),
            Profile::Stratoshark
        );
        assert_eq!(layout_for("scapbridge-ssh", None, None), Profile::Keep);
    }

    #[test]
    fn each_host_gets_the_layout_it_reads() {
        let p = |s: &str| Some(Path::new(s).to_path_buf());
        // (host version, binary path, working directory, layout).
        type Case<'a> = (
            Option<&'a str>,
            Option<std::path::PathBuf>,
            Option<std::path::PathBuf>,
            Profile,
        );
        let cases: &[Case<'_>] = &[
            // Stratoshark 0.9.9: its personal folder, or its global folder as cwd.
            (
                Some("4.6"),
                p("/root/.local/lib/stratoshark/extcap/scapbridge"),
                p("/"),
                Profile::Stratoshark,
            ),
            (
                Some("4.6"),
                p("/opt/x/scapbridge"),
                p("/usr/libexec/stratoshark/extcap"),
                Profile::Stratoshark,
            ),
            // Wireshark 4.6 decodes with libsinsp too.
            (
                Some("4.6"),
                p("/root/.local/lib/wireshark/extcap/scapbridge"),
                p("/"),
                Profile::Stratoshark,
            ),
            (Some("4.6.9"), None, None, Profile::Stratoshark),
            (Some("5.0"), None, None, Profile::Stratoshark),
            // Wireshark 4.0-4.4: its own tables.
            (
                Some("4.0"),
                p("/root/.config/wireshark/extcap/scapbridge"),
                p("/"),
                Profile::Compat,
            ),
            (Some("4.4.2"), None, None, Profile::Compat),
            (None, None, None, Profile::Compat),
        ];
        for (v, exe, cwd, want) in cases {
            let host = Host::detect(*v, exe.as_deref(), cwd.as_deref());
            assert_eq!(host.layout(), *want, "{v:?} {exe:?} {cwd:?}: {host:?}");
        }
    }
}
