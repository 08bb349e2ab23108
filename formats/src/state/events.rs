//! How each event changes the tables: new processes (execve, clone),
//! opened and closed fds, sockets and their addresses, dup.

use super::*;

/// Parameter `name` of `ev` as a 64-bit number, when it has that size.
fn u64_param(ev: &Event<'_>, name: &str) -> Option<u64> {
    ev.param_by_name(name)
        .filter(|v| v.len() == 8)
        .map(|v| le_u64(v, 0))
}

/// Parameter `name` of `ev` as a 32-bit number, when it has that size.
fn u32_param(ev: &Event<'_>, name: &str) -> Option<u32> {
    ev.param_by_name(name)
        .filter(|v| v.len() == 4)
        .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
}

impl CaptureState {
    pub(super) fn on_execve(&mut self, ev: &Event<'_>) {
        if self.i64_arg(ev, "res") != Some(0) {
            return;
        }
        let tid = ev.tid();
        let (exe, comm) = exe_and_comm(ev);
        let args = ev.param_by_name("args").map(split_args).unwrap_or_default();
        let pid = u64_param(ev, "pid");
        let ptid = u64_param(ev, "ptid");
        // The exit's `cwd` is not taken: libsinsp (0.21 and 0.23) keeps a
        // thread's working directory from the process list, its parent and
        // chdir, so a thread the capture first sees at its execve has none.
        // Without the kernel's trusted path (old layouts), libs 0.23 takes
        // the path the enter asked to run.
        let exepath = ev
            .param_by_name("trusted_exepath")
            .filter(|v| !v.is_empty())
            .or_else(|| self.arg(ev, "filename"))
            .map(lossy);
        let cgroups = ev.param_by_name("cgroups").filter(|c| !c.is_empty());
        // libs 0.23 takes the parent from an execve only for a thread it
        // only made up, and then as a new thread's: 0 when it holds no
        // entry for that parent (`parse_execve_exit`).
        let ptid = ptid
            .filter(|_| !self.threads.contains_key(&tid))
            .map(|p| self.known_parent(p));
        let th = self.threads.entry(tid).or_insert_with(|| ThreadEntry {
            pid: tid,
            ..Default::default()
        });
        th.comm = comm;
        th.exe = exe;
        th.args = args;
        if let Some(p) = pid {
            th.pid = p;
        }
        if let Some(p) = ptid {
            th.ptid = p;
        }
        if let Some(p) = exepath {
            th.exepath = p;
        }
        if let Some(c) = cgroups {
            th.set_cgroups(c);
        }
        let u32_arg = |n: &str| u32_param(ev, n);
        if let Some(t) = u32_arg("tty") {
            th.tty = t;
        }
        if let Some(l) = u32_arg("loginuid") {
            th.loginuid = l;
        }
        // Process groups (the first in the thread's pid namespace, the
        // second in the host's; libs prints both as `pgid`).
        if let Some(v) = u64_param(ev, "vpgid") {
            th.vpgid = v;
        }
        if let Some(v) = u64_param(ev, "pgid") {
            th.pgid = v;
        }
        // libs 0.23 gives a thread it first sees at its execve its pid as
        // its pid in its namespace.
        if th.vpid == u64::MAX {
            th.vpid = th.pid;
        }
        if th.vtid == u64::MAX {
            th.vtid = tid;
        }
        // The new image's user and group (a set-user-id program changes
        // them), as libs 0.23 takes them from the exit's `uid` and `gid`:
        // a thread the capture first sees at its execve is a user's too.
        if let Some(u) = u32_arg("uid") {
            th.uid = u;
        }
        if let Some(g) = u32_arg("gid") {
            th.gid = g;
        }
        th.exe_flags = u32_arg("flags").unwrap_or(0);
        let u64_arg = |n: &str| u64_param(ev, n);
        // The new executable's inode; its ctime against the clone time is
        // computed here, once, as libsinsp does at execve (unsigned).
        if let (Some(i), Some(p), Some(e)) = (
            u64_arg("cap_inheritable"),
            u64_arg("cap_permitted"),
            u64_arg("cap_effective"),
        ) {
            th.caps = Caps {
                inheritable: i,
                permitted: p,
                effective: e,
            };
        }
        if let Some(ino) = u64_arg("exe_ino") {
            let ctime = u64_arg("exe_ino_ctime").unwrap_or(0);
            th.exe_ino = ExeInode {
                ino,
                ctime,
                mtime: u64_arg("exe_ino_mtime").unwrap_or(0),
                ctime_to_clone: if th.clone_ts != 0 {
                    th.clone_ts.wrapping_sub(ctime)
                } else {
                    0
                },
            };
        }
    }

    pub(super) fn on_clone(&mut self, ev: &Event<'_>) {
        let Some(res) = self.i64_arg(ev, "res") else {
            return;
        };
        if res < 0 {
            return;
        }
        let tid = ev.tid();
        let child = if res == 0 { tid } else { res as u64 };
        if res > 0 && self.made_by.get(&child) == Some(&MadeBy::Child) {
            // The child's own exit came first (a busy machine): libs 0.23
            // still fills in the ids of a caller it does not know, but not
            // its names, which it takes only where it makes the child
            // (seen with sysdig 0.41: a shell whose vfork exit was its
            // first event has pid, ppid and vpid, and `<NA>` names).
            self.caller_first_seen(ev, tid, false);
            return;
        }
        let (exe, comm) = exe_and_comm(ev);
        let get = |n: &str| u64_param(ev, n);
        let flags = u32_param(ev, "flags").unwrap_or(0);
        // The caller's result names the child in the caller's pid
        // namespace: inside a container (the caller's vtid is not its tid,
        // or the flags say the child is in one: PPM_CL_CHILD_IN_PIDNS,
        // CLONE_NEWPID, CLONE_PARENT) it is not the child's tid, so the
        // child is made from its own clone exit only, as libsinsp does. A
        // child made from it would be a thread of a wrong id (a bash in a
        // container cloning its `ls` made thread 6, named bash).
        const IN_PIDNS: u32 = 0x2000_0000 | 0x40 | 0x100;
        // After a vfork the caller runs again only once its child has
        // exec'd or exited, so its exit may come after the child's exit
        // (a busy machine): made from it, the child would come back as a
        // thread that never goes (named after its parent, and written so
        // into a trigger window's process list). libsinsp leaves a vfork's
        // child to the child's own exit for this reason.
        const CLONE_VFORK: u32 = 0x0800_0000;
        let vfork = flags & CLONE_VFORK != 0 || ev.name() == "vfork";
        if res > 0 && (vfork || flags & IN_PIDNS != 0 || get("vtid").is_some_and(|v| v != tid)) {
            self.caller_first_seen(ev, tid, false);
            return;
        }
        let is_thread = flags & 0x2000 != 0; // PPM_CL_CLONE_THREAD
        let parent = if res == 0 {
            get("ptid").unwrap_or(0)
        } else {
            tid
        };
        let pid = if res == 0 {
            get("pid").unwrap_or(child)
        } else if is_thread {
            get("pid").unwrap_or(tid)
        } else {
            child
        };
        // Whom the child takes after: a new process its parent, a thread
        // its process (libs looks up the leader for a thread).
        let source = if is_thread { pid } else { parent };
        // The child's working directory is its source's, as libsinsp
        // copies it; the exit's own `cwd` is not taken, so a child of a
        // parent libsinsp does not know has none.
        let cwd = self
            .threads
            .get(&source)
            .map(|p| p.cwd.clone())
            .unwrap_or_default();
        let uid = u32_param(ev, "uid").unwrap_or(u32::MAX);
        let gid = u32_param(ev, "gid").unwrap_or(u32::MAX);
        let args = ev.param_by_name("args").map(split_args).unwrap_or_default();
        // libs copies fds only from a caller or parent it held a valid
        // entry for before this event (not one it made up or makes now).
        // A child its caller's exit already made got its fds (or none,
        // from a made-up caller) then: its own exit copies nothing.
        let mut made_by_caller = res == 0 && self.made_by.get(&child) == Some(&MadeBy::Caller);
        if made_by_caller {
            self.made_by.remove(&child);
            // libsinsp keeps the caller's entry only while it is recent.
            // The child's exit 2 s or more after its caller's (a child
            // scheduled late on a starved host), or with an earlier time
            // (its record went out after newer ones of another CPU), finds
            // it stale, as does an entry a later process list put in its
            // place (no clone time): the child is made again from this
            // exit (replace_stale_child), with its parent's fds as they
            // are now.
            made_by_caller = self
                .threads
                .get(&child)
                .is_some_and(|c| c.clone_ts != 0 && clone_is_recent(ev.ts(), c.clone_ts));
        }
        if !made_by_caller {
            self.replace_stale_child(ev, child, res > 0);
        }
        let parent_known = self.threads.contains_key(&parent) && !made_by_caller;
        if res > 0 {
            self.made_by.insert(child, MadeBy::Caller);
            self.caller_first_seen(ev, tid, true);
        } else if !made_by_caller {
            self.made_by.insert(child, MadeBy::Child);
        }
        // The event's cgroups, or else the parent's (a child starts in
        // them). The parent's are shared (a reference count, no copy) also
        // when the event carries the same list, as a clone exit nearly
        // always does.
        let inherited = self
            .threads
            .get(&source)
            .map(|p| (Arc::clone(&p.cgroups), Arc::clone(&p.container_id)));
        let (cgroups, container_id) = match ev.param_by_name("cgroups").filter(|c| !c.is_empty()) {
            Some(c) => match inherited {
                Some(p) if *p.0 == *c => p,
                _ => (c.into(), containers::container_id_of(c).into()),
            },
            None => inherited.unwrap_or_default(),
        };
        // Terminal, login uid, executable path and its layer, capabilities
        // are the parent's, a thread's its process's (the clone exit carries
        // none of them; libs 0.23 copies the exepath into the child as well).
        let (tty, loginuid, exe_flags, exepath, exe_ino, caps, (sid, vpgid, pgid)) =
            self.threads.get(&source).map_or(
                (
                    0,
                    u32::MAX,
                    0,
                    String::new(),
                    ExeInode::default(),
                    Caps::default(),
                    (u64::MAX, u64::MAX, u64::MAX),
                ),
                |p| {
                    (
                        p.tty,
                        p.loginuid,
                        p.exe_flags,
                        p.exepath.clone(),
                        p.exe_ino,
                        p.caps,
                        (p.sid, p.vpgid, p.pgid),
                    )
                },
            );
        // A new process inherits its parent's fd table (libsinsp copies it),
        // not from a parent libs only made up (its clone exit lost: pid -1,
        // an invalid thread to libs; seen with sysdig 0.41). A thread
        // shares its process's table (keyed by pid): nothing to copy.
        let parent_pid = self.threads.get(&parent).map_or(parent, |t| t.pid);
        if !is_thread && pid != parent_pid && !self.fds.contains_key(&pid) && parent_known {
            if let Some(t) = self.fds.get(&parent_pid).cloned() {
                self.fds.insert(pid, t);
            }
        }
        // libs 0.23 gives a new thread whose parent it does not hold a
        // valid entry for the parent 0 (`create_thread_dependencies`): it
        // stays without one when the parent turns up later (seen with
        // sysdig 0.41: a vfork child whose exit came before its unlisted
        // parent's first event).
        // A thread's parent is its process's: the caller's own parent when
        // its caller's exit makes it (the child's exit names it already).
        let ptid = if self.generation.is_029() {
            // sysdig 0.29: a thread's parent is the thread that made it,
            // known or not, as its caller's exit (when first) set it.
            match self.threads.get(&child) {
                Some(c) if made_by_caller => c.ptid,
                _ => parent,
            }
        } else {
            self.known_parent(if is_thread && res > 0 {
                self.threads.get(&tid).map_or(0, |c| c.ptid)
            } else {
                parent
            })
        };
        self.threads.insert(
            child,
            ThreadEntry {
                pid,
                ptid,
                comm,
                exe,
                exepath,
                args,
                cwd,
                uid,
                gid,
                cgroups,
                container_id,
                tty,
                loginuid,
                exe_flags,
                exe_ino,
                caps,
                sid,
                vpgid,
                pgid,
                // The child's own exit gives its vpid; the caller's (made
                // only outside pid namespaces, above) names the caller's,
                // and the child's is then its pid.
                vpid: if res == 0 {
                    get("vpid").unwrap_or(u64::MAX)
                } else {
                    pid
                },
                vtid: if res == 0 {
                    get("vtid").unwrap_or(u64::MAX)
                } else {
                    child
                },
                // libsinsp's m_clone_ts: the clone exit's time.
                clone_ts: ev.ts(),
            },
        );
    }

    /// The entry a clone exit finds for the child it makes, which neither
    /// side of this clone made: a process that ended unseen (not traced,
    /// or its procexit lost) and whose tid the kernel gave again, listed
    /// by the `/proc` snapshot or made up. libsinsp replaces it, and with
    /// it the fd table: kept, the child would answer with that process's
    /// fds (a shell's pipes read as another process's files). The
    /// caller's exit removes it as a procexit would; the child's own exit
    /// removes it so only when libsinsp knows its clone time (made by an
    /// earlier clone, over 2 s ago: `CLONE_STALE_TIME_NS`), else its new
    /// entry takes the old one's place, children and all. An entry a clone
    /// made under 2 s ago stays, as libsinsp leaves it.
    fn replace_stale_child(&mut self, ev: &Event<'_>, child: u64, by_caller: bool) {
        let Some(old) = self.threads.get(&child) else {
            return;
        };
        let recent = old.clone_ts != 0 && clone_is_recent(ev.ts(), old.clone_ts);
        if by_caller || (old.clone_ts != 0 && !recent) {
            self.remove_thread(child, 0);
        } else if !recent && old.pid == child {
            self.fds.remove(&child);
        }
    }

    /// `ptid` as libs 0.23 links a thread it makes: 0 when it holds no
    /// entry for that parent, and then for good
    /// (`create_thread_dependencies`).
    pub(super) fn known_parent(&self, ptid: u64) -> u64 {
        if self.threads.contains_key(&ptid) {
            ptid
        } else {
            0
        }
    }

    /// A caller seen for the first time (it started before the capture
    /// and is not in its process list): libsinsp fills in the entry it
    /// made up at this event from the clone exit: pid, ptid (0 when it
    /// holds no entry for that parent), vpid; we take the cgroups too.
    /// With `names` (where the caller's exit makes the child) also comm,
    /// exe and arguments, else `<NA>` names and none. No working directory
    /// (libsinsp never takes one from the event), and the made-up entry's
    /// user (-1).
    fn caller_first_seen(&mut self, ev: &Event<'_>, tid: u64, names: bool) {
        if self.threads.contains_key(&tid) {
            return;
        }
        let (exe, comm) = if names {
            exe_and_comm(ev)
        } else {
            ("<NA>".into(), "<NA>".into())
        };
        let get = |n: &str| u64_param(ev, n);
        // A caller libs 0.23 already holds a made-up entry for (its own
        // clone exit lost, a syscall seen since) keeps that entry's user
        // (-1): libs fills in its ids, names and arguments only (seen with
        // sysdig 0.41 on a capture missing every other event).
        let made_up = self.made_up.contains(&tid);
        let id = |n: &str| {
            if made_up {
                u32::MAX
            } else {
                u32_param(ev, n).unwrap_or(u32::MAX)
            }
        };
        let cgroups: Arc<[u8]> = ev.param_by_name("cgroups").unwrap_or_default().into();
        let container_id = containers::container_id_of(&cgroups).into();
        self.threads.insert(
            tid,
            ThreadEntry {
                pid: get("pid").unwrap_or(tid),
                ptid: self.known_parent(get("ptid").unwrap_or(0)),
                comm,
                exe,
                args: ev
                    .param_by_name("args")
                    .filter(|_| names)
                    .map(split_args)
                    .unwrap_or_default(),
                // libsinsp's caller it does not know has no working
                // directory: it never takes one from the event.
                cwd: String::new(),
                uid: id("uid"),
                gid: id("gid"),
                vpid: get("vpid").unwrap_or(u64::MAX),
                vtid: get("vtid").unwrap_or(u64::MAX),
                cgroups,
                container_id,
                // Terminal, login uid, flags, inode, session: not in a
                // clone exit; the defaults, as libsinsp leaves them.
                ..ThreadEntry::default()
            },
        );
    }

    pub(super) fn on_open(&mut self, ev: &Event<'_>) {
        let tid = ev.tid();
        let Some(fd) = self.i64_arg(ev, "fd").filter(|&f| f >= 0) else {
            return;
        };
        let path = self
            .arg(ev, "name")
            .or_else(|| self.arg(ev, "path"))
            .map(lossy)
            .unwrap_or_default();
        let dirfd = self.i64_arg(ev, "dirfd");
        let full = self.resolve_path(tid, dirfd, &path);
        let flags = self
            .arg(ev, "flags")
            .filter(|v| v.len() == 4)
            .map_or(0, |v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]));
        let typechar = if flags & 0x400 != 0 { b'd' } else { b'f' };
        self.fd_table(tid).insert(
            fd,
            FdEntry {
                typechar,
                l4: 0,
                name_raw: (path != full).then(|| path.into_boxed_str()),
                name: full,
                sock_l4: 0,
                learnt: false,
                from_list: false,
            },
        );
    }

    pub(super) fn on_socket(&mut self, ev: &Event<'_>) {
        let Some(fd) = self.i64_arg(ev, "fd").filter(|&f| f >= 0) else {
            return;
        };
        let domain = self
            .arg(ev, "domain")
            .map_or(0, |v| v.first().copied().unwrap_or(0));
        let typechar = match domain {
            2 => b'4',
            10 => b'6',
            1 => b'u',
            16 => b'n',
            _ => b'o',
        };
        let sock_l4 = match self
            .arg(ev, "type")
            .and_then(|v| v.first().copied())
            .map(|t| t & 0xf)
        {
            Some(1) => b't',
            Some(2) => b'u',
            Some(3) => b'r',
            _ => 0,
        };
        let tid = ev.tid();
        self.fd_table(tid).insert(
            fd,
            FdEntry {
                typechar,
                l4: 0,
                name: String::new(),
                sock_l4,
                learnt: false,
                from_list: false,
                name_raw: None,
            },
        );
    }

    pub(super) fn on_tuple(&mut self, ev: &Event<'_>, name: &str) {
        let tid = ev.tid();
        // An old layout's send carries the tuple in its enter.
        let from_enter = ev.param_by_name("tuple").is_none_or(<[u8]>::is_empty);
        let Some(mut tuple) = self.arg(ev, "tuple").map(<[u8]>::to_vec) else {
            return;
        };
        // libsinsp's update_fd: an IPv4 end left 0.0.0.0 (an unbound
        // sender) is the interface the other end is reached through.
        // Layout: family, source address and port, destination's.
        match tuple_side(&tuple) {
            Some(6) => self.infer_ends(&mut tuple, 1, 7, Self::infer_ipv4),
            Some(18) => self.infer_ends(&mut tuple, 1, 19, Self::infer_ipv6),
            _ => {}
        }
        let Some(text) = render::socktuple(&tuple) else {
            return;
        };
        let fam = tuple[0];
        let (fd, creates) = match name {
            "accept" | "accept4" => (self.i64_arg(ev, "fd"), true),
            _ => (self.i64_arg(ev, "fd"), false),
        };
        let Some(fd) = fd.filter(|&f| f >= 0) else {
            return;
        };
        let res = if creates {
            0
        } else {
            self.i64_arg(ev, "res").unwrap_or(0)
        };
        if res < 0 && res != -115 {
            return;
        }
        let typechar = match fam {
            2 => b'4',
            10 => b'6',
            1 => b'u',
            _ => b'o',
        };
        let table = self.fd_table(tid);
        // An entry that is no socket is stale (its close and the socket's
        // creation were lost): libs 0.23's update_fd makes it the socket
        // the tuple shows.
        let stale = table
            .get(&fd)
            .is_some_and(|e| !matches!(e.typechar, b'4' | b'6' | b'u'));
        match table.get_mut(&fd) {
            Some(e) if !creates && !stale => {
                // A datagram socket's send or receive with an address names
                // its peer of the moment (libs 0.23).
                // A receive's tuple runs from the peer: the name keeps this
                // end first.
                let datagram =
                    e.l4 == b'u' && matches!(name, "sendto" | "sendmsg" | "recvfrom" | "recvmsg");
                if datagram && name.starts_with("recv") && !e.name.is_empty() {
                    if let Some(t) = swapped(&tuple).as_deref().and_then(render::socktuple) {
                        e.name = t;
                    }
                } else if name == "connect" || e.name.is_empty() || datagram {
                    e.name = text;
                    e.learnt &= from_enter;
                    if e.l4 == 0 && fam != 1 {
                        e.l4 = if e.sock_l4 != 0 {
                            e.sock_l4
                        } else if name == "connect" || name.starts_with("accept") {
                            b't'
                        } else {
                            b'u'
                        };
                    }
                    if e.l4 == b't' && matches!(name, "sendto" | "recvfrom") {
                        e.l4 = b'u';
                    }
                }
            }
            _ => {
                // A socket first seen in a send or receive with an address
                // is a datagram one to libsinsp.
                let l4 = match fam {
                    1 => 0,
                    _ if matches!(name, "sendto" | "sendmsg" | "recvfrom" | "recvmsg") => b'u',
                    _ => b't',
                };
                table.insert(
                    fd,
                    FdEntry {
                        typechar,
                        l4,
                        name: text,
                        sock_l4: l4,
                        learnt: from_enter,
                        from_list: false,
                        name_raw: None,
                    },
                );
            }
        }
    }

    /// Fills the unspecified address of a tuple's side (source at `s`,
    /// destination at `d`) from the interface the other side is reached by.
    fn infer_ends<const N: usize>(
        &self,
        tuple: &mut [u8],
        s: usize,
        d: usize,
        infer: fn(&Self, [u8; N]) -> Option<[u8; N]>,
    ) {
        let side = |t: &[u8], at: usize| -> [u8; N] { t[at..at + N].try_into().unwrap_or([0; N]) };
        let (src, dst) = (side(tuple, s), side(tuple, d));
        let (unset, peer) = match (src == [0; N], dst == [0; N]) {
            (true, false) => (s, dst),
            (false, true) => (d, src),
            _ => return,
        };
        if let Some(a) = infer(self, peer) {
            tuple[unset..unset + N].copy_from_slice(&a);
        }
    }

    pub(super) fn on_bind(&mut self, ev: &Event<'_>) {
        if self.i64_arg(ev, "res") != Some(0) {
            return;
        }
        let Some(fd) = self.i64_arg(ev, "fd") else {
            return;
        };
        let Some(addr) = ev.param_by_name("addr").filter(|a| !a.is_empty()) else {
            return;
        };
        let mut text = String::new();
        let p = crate::schema::ParamInfo {
            name: "addr",
            ty: crate::schema::ParamType::Sockaddr,
            fmt: crate::schema::PrintFormat::Na,
            aux: crate::schema::ParamAux::None,
        };
        let i = ev.info().and_then(|i| i.param_index("addr")).unwrap_or(1);
        render::param(ev, i, &p, None, &mut text);
        let port = match addr[0] {
            2 if addr.len() >= 7 => crate::bytes::le_u16(addr, 5),
            10 if addr.len() >= 19 => crate::bytes::le_u16(addr, 17),
            _ => 0,
        };
        let tid = ev.tid();
        if let Some(e) = self.fd_table(tid).get_mut(&fd) {
            e.name = text;
            // A socket bound to a port is a server socket: libsinsp shows its protocol.
            e.l4 = if port != 0 { e.sock_l4 } else { 0 };
        }
    }

    pub(super) fn on_newfd(&mut self, ev: &Event<'_>, name: &str) {
        let tid = ev.tid();
        // Every NewFd syscall is in the table; one that is not (a schema's
        // newer name) makes an fd of unknown type.
        let typechar = super::fd_creator(name).map_or(b'o', |c| c.made);
        // A failed pipe's fd1/fd2 are whatever the caller's array held:
        // libs 0.23 adds nothing (seen: a failed pipe2's fd2 resolved as
        // a pipe).
        if self.i64_arg(ev, "res").is_some_and(|r| r < 0) {
            return;
        }
        let mut fds = Vec::new();
        for p in ["fd1", "fd2"] {
            if let Some(f) = self.i64_arg(ev, p) {
                fds.push(f);
            }
        }
        if fds.is_empty() {
            if let Some(f) = self.i64_arg(ev, "res").or_else(|| self.i64_arg(ev, "fd")) {
                fds.push(f);
            }
        }
        // libs 0.23 names a memfd as it was asked for, not as /proc shows
        // it ("memfd:NAME (deleted)").
        let fname = if name == "memfd_create" {
            ev.param_by_name("name").map(lossy)
        } else {
            None
        };
        let table = self.fd_table(tid);
        for f in fds.into_iter().filter(|&f| f >= 0) {
            table.insert(
                f,
                FdEntry {
                    typechar,
                    l4: 0,
                    name: fname.clone().unwrap_or_default(),
                    sock_l4: 0,
                    learnt: false,
                    from_list: false,
                    name_raw: None,
                },
            );
        }
    }

    pub(super) fn on_dup(&mut self, ev: &Event<'_>) {
        // PPM_FCNTL_F_DUPFD and PPM_FCNTL_F_DUPFD_CLOEXEC: the fcntl
        // commands that duplicate, as libsinsp's parser follows them.
        const FCNTL_DUPS: [i64; 2] = [0x1, 0x1a];
        let tid = ev.tid();
        if ev.name() == "fcntl"
            && !self
                .i64_arg(ev, "cmd")
                .is_some_and(|c| FCNTL_DUPS.contains(&c))
        {
            return;
        }
        let Some(res) = self.i64_arg(ev, "res").filter(|&r| r >= 0) else {
            return;
        };
        let old = self.i64_arg(ev, "oldfd").or_else(|| self.i64_arg(ev, "fd"));
        let Some(old) = old else { return };
        let table = self.fd_table(tid);
        match table.get(&old).cloned() {
            Some(e) => {
                table.insert(res, e);
            }
            None => self.dup_missed = Some((tid, ev.ts())),
        }
    }
}

/// Whether an entry a clone made at `clone_ts` is still fresh at `ts`, as
/// libsinsp judges it (`CLONE_STALE_TIME_NS`): under 2 s, in unsigned
/// arithmetic, so an event with an earlier time than the entry's (written
/// out of time order) finds it stale.
fn clone_is_recent(ts: u64, clone_ts: u64) -> bool {
    const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;
    ts.wrapping_sub(clone_ts) < CLONE_STALE_TIME_NS
}

/// The bytes of one side (address and port) of an IPv4 (6) or IPv6 (18)
/// socket tuple: family, then source side, then destination side.
fn tuple_side(tuple: &[u8]) -> Option<usize> {
    match (tuple.len(), tuple.first()) {
        (13, Some(2)) => Some(6),
        (37, Some(10)) => Some(18),
        _ => None,
    }
}

/// An IPv4 or IPv6 tuple with its two ends exchanged.
fn swapped(tuple: &[u8]) -> Option<Vec<u8>> {
    let side = tuple_side(tuple)?;
    let mut t = Vec::with_capacity(tuple.len());
    t.push(tuple[0]);
    t.extend_from_slice(&tuple[1 + side..]);
    t.extend_from_slice(&tuple[1..1 + side]);
    Some(t)
}
