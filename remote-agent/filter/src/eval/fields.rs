//! The field table: the names a filter may use, their kinds, and how a
//! name with its argument resolves.

use super::*;

/// The fields this engine extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    EvtType,
    EvtDir,
    EvtNum,
    EvtCpu,
    EvtRes,
    EvtRawRes,
    EvtFailed,
    EvtArg(ArgSel),
    EvtRawArg(ArgSel),
    ThreadTid,
    ProcPid,
    ProcPpid,
    ProcName,
    ProcPname,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcCwd,
    UserUid,
    /// `proc.tty`: the controlling terminal's device number, 0 for none.
    ProcTty,
    /// `user.loginuid`: -1 when unset.
    UserLoginuid,
    /// `proc.is_exe_upper_layer`: the executable is on an overlay's upper
    /// (writable) layer, as the probe's execve `flags` say.
    ProcIsExeUpperLayer,
    UserName,
    GroupGid,
    GroupName,
    FdNum,
    FdName,
    FdType,
    FdTypechar,
    FdDirectory,
    FdFilename,
    ProcAname(Option<usize>),
    ProcAexepath(usize),
    ProcPcmdline,
    ProcPexe,
    ProcPexepath,
    EvtArgs,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    FdL4proto,
    FdNameraw,
    FdSip,
    FdCip,
    FdSport,
    FdCport,
    FdLport,
    FdRport,
    FdConnected,
    FdNameChanged,
    FdIp,
    FdNet,
    FdSnet,
    /// `container.*` and `k8s.*`.
    Container(CField),
    /// `evt.time.iso8601`.
    EvtTimeIso8601,
    /// A field a source provides (`ct.*`, `json.value[…]`, … for
    /// CloudTrail; see [`crate::provider`]): missing on other events.
    Plugin(crate::provider::Provided),
    /// Fields whose source this engine does not have yet (capabilities, login uid, terminal, inode times): known, so
    /// rules compile, but never extracted, so comparisons on them are false.
    Unavailable(Kind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ArgSel {
    Name(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Num,
    Bool,
    /// IP addresses: compared with an address or a CIDR network.
    Ip,
}

impl Field {
    pub(super) fn kind(&self) -> Kind {
        use Field::*;
        match self {
            EvtNum | EvtCpu | EvtRawRes | ThreadTid | ProcPid | ProcPpid | UserUid | GroupGid
            | ProcTty | UserLoginuid | FdNum | FdSport | FdCport | FdLport | FdRport => Kind::Num,
            EvtFailed | EvtIsOpenRead | EvtIsOpenWrite | FdConnected | FdNameChanged
            | ProcIsExeUpperLayer => Kind::Bool,
            FdIp | FdNet | FdSnet | FdSip | FdCip => Kind::Ip,
            Unavailable(k) => *k,
            Container(c) => c.kind(),
            Plugin(f) if f.0.is_numeric() => Kind::Num,
            _ => Kind::Str,
        }
    }
}

/// Every name [`lookup`] resolves (besides `evt.arg.NAME` and
/// `evt.rawarg.NAME`), for suggestions; a test keeps it equal to the names
/// its match takes.
pub(super) const NAMES: &[&str] = &[
    "evt.type",
    "evt.dir",
    "evt.num",
    "evt.cpu",
    "evt.res",
    "evt.rawres",
    "evt.failed",
    "evt.arg",
    "evt.rawarg",
    "thread.tid",
    "proc.pid",
    "proc.ppid",
    "proc.name",
    "proc.pname",
    "proc.exe",
    "proc.exepath",
    "proc.args",
    "proc.cmdline",
    "proc.cwd",
    "user.uid",
    "user.name",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.name",
    "fd.type",
    "fd.typechar",
    "fd.directory",
    "fd.filename",
    "proc.aname",
    "proc.aexepath",
    "proc.pcmdline",
    "proc.pexe",
    "proc.pexepath",
    "evt.args",
    "evt.is_open_read",
    "evt.is_open_write",
    "fd.l4proto",
    "fd.nameraw",
    "fd.sip",
    "fd.cip",
    "fd.sport",
    "fd.cport",
    "fd.lport",
    "fd.rport",
    "fd.connected",
    "fd.name_changed",
    "fd.ip",
    "fd.net",
    "fd.snet",
    "evt.time.iso8601",
    "proc.tty",
    "user.loginuid",
    "proc.is_exe_upper_layer",
    "proc.duration",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.exe_ino.ctime_duration_proc_start",
    "proc.vpid",
    "proc.sid",
    "proc.is_exe_from_memfd",
    "proc.is_exe_writable",
    "proc.sname",
    "user.loginname",
    "thread.cap_effective",
    "thread.cap_permitted",
    "fd.sip.name",
    "fd.cip.name",
];

pub(super) fn lookup(r: &FieldRef) -> Result<Field, String> {
    use Field::*;
    let arg_sel = |a: &Option<String>| -> Result<ArgSel, String> {
        match a {
            Some(a) => a
                .parse::<usize>()
                .map(ArgSel::Index)
                .or_else(|_| Ok(ArgSel::Name(a.clone()))),
            None => Err(format!(
                "'{}' needs an argument: {}[N] or {}.NAME",
                r.name, r.name, r.name
            )),
        }
    };
    if let Some(f) = crate::provider::lookup(&r.name, r.arg.as_deref()) {
        return f.map(|f| Plugin(crate::provider::Provided(f)));
    }
    if let Some(c) = CField::named(&r.name, r.arg.as_deref()) {
        return c.map(Container);
    }
    if let Some(name) = r.name.strip_prefix("evt.arg.") {
        return Ok(EvtArg(ArgSel::Name(name.to_string())));
    }
    if let Some(name) = r.name.strip_prefix("evt.rawarg.") {
        return Ok(EvtRawArg(ArgSel::Name(name.to_string())));
    }
    let f =
        match r.name.as_str() {
            "evt.type" => EvtType,
            "evt.dir" => EvtDir,
            "evt.num" => EvtNum,
            "evt.cpu" => EvtCpu,
            "evt.res" => EvtRes,
            "evt.rawres" => EvtRawRes,
            "evt.failed" => EvtFailed,
            "evt.arg" => return arg_sel(&r.arg).map(EvtArg),
            "evt.rawarg" => return arg_sel(&r.arg).map(EvtRawArg),
            "thread.tid" => ThreadTid,
            "proc.pid" => ProcPid,
            "proc.ppid" => ProcPpid,
            "proc.name" => ProcName,
            "proc.pname" => ProcPname,
            "proc.exe" => ProcExe,
            "proc.exepath" => ProcExepath,
            "proc.args" => ProcArgs,
            "proc.cmdline" => ProcCmdline,
            "proc.cwd" => ProcCwd,
            "user.uid" => UserUid,
            "user.name" => UserName,
            "group.gid" => GroupGid,
            "group.name" => GroupName,
            "fd.num" => FdNum,
            "fd.name" => FdName,
            "fd.type" => FdType,
            "fd.typechar" => FdTypechar,
            "fd.directory" => FdDirectory,
            "fd.filename" => FdFilename,
            "proc.aname" => {
                return match &r.arg {
                    None => Ok(ProcAname(None)),
                    Some(a) => a.parse().map(|n| ProcAname(Some(n))).map_err(|_| {
                        format!("proc.aname[{a}]: the argument is an ancestor number")
                    }),
                }
            }
            "proc.aexepath" => {
                return match &r.arg {
                    Some(a) => a.parse().map(ProcAexepath).map_err(|_| {
                        format!("proc.aexepath[{a}]: the argument is an ancestor number")
                    }),
                    None => Err("proc.aexepath needs an ancestor number: proc.aexepath[N]".into()),
                }
            }
            "proc.pcmdline" => ProcPcmdline,
            "proc.pexe" => ProcPexe,
            "proc.pexepath" => ProcPexepath,
            "evt.args" => EvtArgs,
            "evt.is_open_read" => EvtIsOpenRead,
            "evt.is_open_write" => EvtIsOpenWrite,
            "fd.l4proto" => FdL4proto,
            "fd.nameraw" => FdNameraw,
            "fd.sip" => FdSip,
            "fd.cip" => FdCip,
            "fd.sport" => FdSport,
            "fd.cport" => FdCport,
            "fd.lport" => FdLport,
            "fd.rport" => FdRport,
            "fd.connected" => FdConnected,
            "fd.name_changed" => FdNameChanged,
            "fd.ip" => FdIp,
            "fd.net" => FdNet,
            "fd.snet" => FdSnet,
            "evt.time.iso8601" => EvtTimeIso8601,
            "proc.tty" => ProcTty,
            "user.loginuid" => UserLoginuid,
            "proc.is_exe_upper_layer" => ProcIsExeUpperLayer,
            "proc.duration"
            | "proc.exe_ino.ctime"
            | "proc.exe_ino.mtime"
            | "proc.exe_ino.ctime_duration_proc_start"
            | "proc.vpid"
            | "proc.sid" => Unavailable(Kind::Num),
            // The probe does not compute these flags yet: unknown, not false.
            "proc.is_exe_from_memfd" | "proc.is_exe_writable" => Unavailable(Kind::Bool),
            "proc.sname"
            | "user.loginname"
            | "thread.cap_effective"
            | "thread.cap_permitted"
            | "fd.sip.name"
            | "fd.cip.name" => Unavailable(Kind::Str),
            other => return Err(format!("unknown field '{other}'")),
        };
    if r.arg.is_some() {
        return Err(format!("field '{}' takes no argument", r.name));
    }
    Ok(f)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod names_tests {
    /// `NAMES` is every name the match takes.
    #[test]
    fn names_are_the_names_matched() {
        let src = include_str!("fields.rs");
        let start = src.find("pub(super) fn lookup(r: &FieldRef)").unwrap();
        let end = start + src[start..].find("other => return Err(").unwrap();
        let mut rest = &src[start..end];
        let mut matched = Vec::new();
        while let Some(i) = rest.find('"') {
            let open = &rest[i + 1..];
            let Some(j) = open.find('"') else { break };
            let lit = &open[..j];
            let tail = open[j + 1..].trim_start();
            let is_name = lit.contains('.')
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
            if is_name
                && (tail.starts_with("=>") || tail.starts_with('|'))
                && !matched.contains(&lit)
            {
                matched.push(lit);
            }
            rest = &open[j + 1..];
        }
        let mut names = super::NAMES.to_vec();
        names.sort_unstable();
        matched.sort_unstable();
        assert!(names.len() > 15);
        assert_eq!(names, matched);
    }
}
