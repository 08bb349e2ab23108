//! The command a capture traces (`capture -- CMD`), started stopped so its
//! pid joins the probe's filter before it runs anything, and then exec'd
//! directly: no shell in between (a shell's PATH search made one failed
//! execve per PATH entry, all in the capture), the PATH searched here, in
//! our process, as a shell would.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use scapbridge_engine::capture::CaptureError;
use scapbridge_engine::capture::CommandFault;

/// A started command, stopped (SIGSTOP, as our tracee) until
/// [`HeldCommand::resume`].
///
/// Drop: a command still running is left running (the capture ended, the
/// command did not); one never resumed is killed, so no stopped process is
/// left behind.
#[derive(Debug)]
pub(crate) struct HeldCommand {
    pid: libc::pid_t,
    /// It stopped as our tracee (else in a plain stop).
    traced: bool,
    resumed: bool,
    status: Option<ExitStatus>,
    /// Read end of a close-on-exec pipe: the child writes execv's errno
    /// there when the exec itself fails (then exits 127).
    exec_error: Option<std::fs::File>,
}

/// Where `program` is run from: itself when it names a path, else the first
/// executable file of that name in `PATH` (as `execvp` and shells search).
fn resolve(program: &str, path_var: Option<&OsStr>) -> Result<PathBuf, CaptureError> {
    let err = |reason: CommandFault| CaptureError::Command {
        program: program.to_string(),
        reason,
    };
    if program.is_empty() {
        return Err(err(CommandFault::NotFound));
    }
    let runnable = |p: &Path| {
        let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: access(2) reads the NUL-terminated string we own.
        #[allow(unsafe_code)]
        let ok = unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0;
        ok && p.is_file()
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return if !p.exists() {
            Err(err(CommandFault::NoSuchFile))
        } else if runnable(&p) {
            Ok(p)
        } else {
            Err(err(CommandFault::PermissionDenied))
        };
    }
    let path_var = path_var.unwrap_or_else(|| OsStr::new("/usr/local/bin:/usr/bin:/bin"));
    let mut found_unrunnable = false;
    for dir in std::env::split_paths(path_var) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let p = dir.join(program);
        if runnable(&p) {
            return Ok(p);
        }
        found_unrunnable |= p.is_file();
    }
    if found_unrunnable {
        Err(err(CommandFault::PermissionDenied))
    } else {
        Err(err(CommandFault::NotFound))
    }
}

/// `ptrace(request, pid, 0, data)` on our own child; whether it succeeded.
fn ptrace_child(request: libc::c_uint, pid: libc::pid_t, data: *mut libc::c_void) -> bool {
    // SAFETY: ptrace(2) with plain integers; `data` is null, a signal
    // number, or a siginfo_t the caller owns (PTRACE_GETSIGINFO).
    #[allow(unsafe_code)]
    let r = unsafe { libc::ptrace(request, pid, std::ptr::null_mut::<libc::c_void>(), data) };
    r == 0
}

impl HeldCommand {
    /// Starts `argv` stopped: the child stops itself right after the fork,
    /// and execs `argv[0]` (resolved in `PATH`, `argv[0]` kept as given)
    /// once resumed. With `stdout_to_stderr`, its standard output goes to
    /// our standard error (the capture's own stdout is the stream).
    pub(crate) fn start(argv: &[String], stdout_to_stderr: bool) -> Result<Self, CaptureError> {
        let program = argv.first().map(String::as_str).unwrap_or_default();
        let path = resolve(program, std::env::var_os("PATH").as_deref())?;
        let bad_arg = || CaptureError::Command {
            program: program.to_string(),
            reason: CommandFault::NulInArgument,
        };
        // Everything the child needs is allocated before the fork: after it,
        // only async-signal-safe calls (ptrace, raise, dup2, execv, write, _exit).
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| bad_arg())?;
        let c_args: Vec<CString> = argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<_, _>>()
            .map_err(|_| bad_arg())?;
        let mut c_argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
        c_argv.push(std::ptr::null());
        let mut fds = [-1 as libc::c_int; 2];
        // SAFETY: pipe2(2) fills our two-int array.
        #[allow(unsafe_code)]
        let piped = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == 0;
        // SAFETY: fork(2); the child only calls async-signal-safe functions
        // on memory prepared above, and ends in execv or _exit.
        #[allow(unsafe_code)]
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(CaptureError::Command {
                program: program.to_string(),
                reason: CommandFault::Fork(std::io::Error::last_os_error()),
            });
        }
        if pid == 0 {
            // SAFETY: in the child, async-signal-safe calls only.
            #[allow(unsafe_code)]
            unsafe {
                if stdout_to_stderr {
                    libc::dup2(2, 1);
                }
                // Stopped as our tracee, not in a group stop: a process
                // group that turns orphaned while one of its members is in
                // a group stop gets SIGHUP and SIGCONT from the kernel (the
                // shell that started us exits: nohup, CI runners), and the
                // SIGCONT let the command run before the probe attached
                // (a capture of 0 events, exit 0). A tracee's stop is not
                // a group stop, and SIGCONT does not end it. Where tracing
                // is refused (Yama, seccomp, an outside tracer), a plain
                // stop.
                libc::ptrace(
                    libc::PTRACE_TRACEME,
                    0,
                    std::ptr::null_mut::<libc::c_void>(),
                    std::ptr::null_mut::<libc::c_void>(),
                );
                libc::raise(libc::SIGSTOP);
                libc::execv(c_path.as_ptr(), c_argv.as_ptr());
                // As a shell: 127 when the exec itself failed; why, to the
                // parent through the pipe.
                if piped {
                    let errno = *libc::__errno_location();
                    libc::write(fds[1], (&errno as *const libc::c_int).cast(), 4);
                }
                libc::_exit(127);
            }
        }
        let exec_error = piped.then(|| {
            use std::os::fd::FromRawFd;
            // SAFETY: closing our copy of the write end; the read end is
            // ours alone from here, owned by the File.
            #[allow(unsafe_code)]
            unsafe {
                libc::close(fds[1]);
                std::fs::File::from_raw_fd(fds[0])
            }
        });
        let mut held = HeldCommand {
            pid,
            traced: false,
            resumed: false,
            status: None,
            exec_error,
        };
        // Wait until it stopped at its own SIGSTOP (or died before: then
        // say so). A tracee stops at any signal it gets, even one ignored
        // (SIGWINCH): such a stop is passed on, not taken for the hold.
        let mut st: libc::c_int = 0;
        loop {
            // SAFETY: waitpid(2) writes the status into our local.
            #[allow(unsafe_code)]
            let r = unsafe { libc::waitpid(pid, &mut st, libc::WUNTRACED) };
            if r != pid {
                if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                    return Err(CaptureError::Command {
                        program: program.to_string(),
                        reason: CommandFault::Wait(std::io::Error::last_os_error()),
                    });
                }
                continue;
            }
            if !libc::WIFSTOPPED(st) || libc::WSTOPSIG(st) == libc::SIGSTOP {
                break;
            }
            // Not our tracee: the call fails and the stop is the hold.
            let signal = libc::WSTOPSIG(st) as usize as *mut libc::c_void;
            if !ptrace_child(libc::PTRACE_CONT, pid, signal) {
                break;
            }
        }
        if !libc::WIFSTOPPED(st) {
            held.resumed = true;
            held.status = Some(ExitStatus::from_raw(st));
            return Err(CaptureError::Command {
                program: program.to_string(),
                reason: CommandFault::EndedEarly,
            });
        }
        // Whether it is our tracee (tracing can be refused: Yama, seccomp,
        // an outside tracer such as `strace -f`): resume() detaches it, or
        // else continues it.
        // SAFETY: an all-zero siginfo_t is a valid value to be overwritten.
        #[allow(unsafe_code)]
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let info_ptr = (&mut info as *mut libc::siginfo_t).cast::<libc::c_void>();
        held.traced = ptrace_child(libc::PTRACE_GETSIGINFO, pid, info_ptr);
        Ok(held)
    }

    /// Its process id.
    pub(crate) fn id(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// Lets it run (it execs the command at once). Called from the thread
    /// that started it: that thread is its tracer.
    pub(crate) fn resume(&mut self) -> Result<(), CaptureError> {
        // Detaching with signal 0 drops the SIGSTOP it stopped at.
        let ok = if self.traced {
            ptrace_child(libc::PTRACE_DETACH, self.pid, std::ptr::null_mut())
        } else {
            // Tracing was refused: a plain stop.
            // SAFETY: kill(2) takes plain integers.
            #[allow(unsafe_code)]
            let r = unsafe { libc::kill(self.pid, libc::SIGCONT) };
            r == 0
        };
        if !ok {
            return Err(CaptureError::Command {
                program: format!("pid {}", self.pid),
                reason: CommandFault::Resume(std::io::Error::last_os_error()),
            });
        }
        self.resumed = true;
        Ok(())
    }

    /// Its exit status once it ended (without blocking).
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            let mut st: libc::c_int = 0;
            // SAFETY: waitpid(2) writes the status into our local.
            #[allow(unsafe_code)]
            let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
            if r == self.pid && (libc::WIFEXITED(st) || libc::WIFSIGNALED(st)) {
                self.status = Some(ExitStatus::from_raw(st));
            }
        }
        self.status
    }

    /// Why the command could not be exec'd, once it ended that way (exit
    /// 127 from the child before any exec).
    pub(crate) fn exec_error(&mut self) -> Option<std::io::Error> {
        use std::io::Read;
        self.status?;
        let mut b = [0u8; 4];
        let f = self.exec_error.as_mut()?;
        // The write end closed at exec or exit: this read does not block.
        f.read_exact(&mut b).ok()?;
        Some(std::io::Error::from_raw_os_error(i32::from_ne_bytes(b)))
    }

    /// Kills it and reaps it (a capture that failed to start).
    pub(crate) fn kill(&mut self) {
        if self.status.is_none() {
            // SAFETY: kill(2) and waitpid(2) on our own child.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                let mut st: libc::c_int = 0;
                libc::waitpid(self.pid, &mut st, 0);
            }
            self.resumed = true;
        }
    }
}

impl Drop for HeldCommand {
    fn drop(&mut self) {
        if !self.resumed {
            self.kill();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// The tests fork held commands and write files they then exec: a
    /// child stopped before its exec keeps every fd open at the fork,
    /// so a file being written meanwhile would be busy (ETXTBSY) for the
    /// other test's exec. One at a time.
    static FORKS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        FORKS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[test]
    fn the_path_is_searched_as_a_shell_does() {
        let _one = one_at_a_time();
        let path = Some(OsStr::new("/nonexistent:/usr/bin:/bin"));
        assert_eq!(
            resolve("sh", path).map(|p| p.is_absolute()).ok(),
            Some(true)
        );
        let e = resolve("no-such-command-xyz", path).unwrap_err();
        assert!(
            matches!(
                e,
                CaptureError::Command {
                    reason: CommandFault::NotFound,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "cannot run no-such-command-xyz: command not found"
        );
        let f =
            std::env::temp_dir().join(format!("scapbridge-not-runnable-{}", std::process::id()));
        std::fs::write(&f, "data").expect("write");
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        let e = resolve(&f.to_string_lossy(), path).unwrap_err();
        let _ = std::fs::remove_file(&f);
        assert!(
            matches!(
                e,
                CaptureError::Command {
                    reason: CommandFault::PermissionDenied,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().ends_with("permission denied"), "{e}");
    }

    #[test]
    fn a_held_command_runs_only_when_resumed_and_reports_its_status() {
        let _one = one_at_a_time();
        let mut c = HeldCommand::start(&["sh".into(), "-c".into(), "exit 7".into()], false)
            .expect("started");
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(c.try_wait(), None, "stopped until resumed");
        c.resume().expect("resumed");
        let t = std::time::Instant::now();
        while c.try_wait().is_none() && t.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(c.try_wait().and_then(|s| s.code()), Some(7));
        assert!(c.exec_error().is_none(), "sh was exec'd");
    }

    #[test]
    fn a_file_the_kernel_cannot_exec_says_why() {
        let _one = one_at_a_time();
        let f =
            std::env::temp_dir().join(format!("scapbridge-not-a-program-{}", std::process::id()));
        let _ = std::fs::remove_file(&f);
        std::fs::write(&f, "\0\0\0\0garbage").expect("write");
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let mut c =
            HeldCommand::start(&[f.to_string_lossy().into_owned()], false).expect("started");
        c.resume().expect("resumed");
        let t = std::time::Instant::now();
        while c.try_wait().is_none() && t.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(c.try_wait().and_then(|s| s.code()), Some(127));
        let e = c.exec_error().expect("the exec's errno");
        assert_eq!(e.raw_os_error(), Some(libc::ENOEXEC), "{e}");
        let _ = std::fs::remove_file(&f);
    }
}
