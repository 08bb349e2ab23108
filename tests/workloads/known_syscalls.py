# One of each syscall the probe gives its own layout to, made straight
# through libc's syscall() with known arguments (no wrapper choosing another
# syscall), and what the kernel and /proc say of the objects involved.
# Prints one JSON object: the values a capture of this process must show.
# Used by tests/probe_layouts.rs; x86-64 syscall numbers.
import ctypes, json, os, socket, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
S = lambda *a: libc.syscall(*[ctypes.c_long(x) if isinstance(x, int) else x for x in a])
out = {"pid": os.getpid()}

# Memory: an anonymous private mapping of an odd length, then mprotect and brk.
length = 3 * 4096 + 123
addr = S(9, 0, length, 3, 0x22, -1, 0)  # mmap PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
out["mmap"] = {"addr": addr, "length": length}
out["mprotect"] = {"ret": S(10, addr, 4096, 1), "addr": addr}  # PROT_READ
out["brk"] = {"ret": S(12, 0)}

# Files: access, stat, newfstatat of a known file; lseek on an open one.
path = b"/etc/hostname"
out["access"] = {"ret": S(21, ctypes.c_char_p(path), 4 | 2)}  # R_OK|W_OK
buf = ctypes.create_string_buffer(256)
out["stat"] = {"ret": S(4, ctypes.c_char_p(path), buf)}
out["newfstatat"] = {"ret": S(262, -100, ctypes.c_char_p(path), buf, 0x100)}  # AT_SYMLINK_NOFOLLOW
fd = os.open("/etc/hostname", os.O_RDONLY)
st = os.fstat(fd)
out["openat"] = {"fd": fd, "dev": st.st_dev, "ino": st.st_ino}
out["lseek"] = {"fd": fd, "ret": S(8, fd, 5, 0)}  # SEEK_SET
out["lseek_back"] = {"ret": S(8, fd, -2, 1)}  # SEEK_CUR, a negative offset

# A pipe (pipe2 with O_CLOEXEC), polled with data in it.
fds = (ctypes.c_int * 2)()
S(293, fds, 0o2000000)
r, w = fds[0], fds[1]
out["pipe2"] = {"fd1": r, "fd2": w, "ino": os.fstat(r).st_ino}
os.write(w, b"x")


class PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


pfd = PollFd(r, 1, 0)  # POLLIN
out["poll"] = {"fd": r, "ret": S(7, ctypes.byref(pfd), 1, 10)}

# A futex wake nobody waits on, a nanosleep of a known interval.
word = ctypes.c_int(0)
out["futex"] = {"addr": ctypes.addressof(word), "ret": S(202, ctypes.byref(word), 1, 1)}  # FUTEX_WAKE
ts = (ctypes.c_long * 2)(0, 12345678)
out["nanosleep"] = {"ret": S(35, ts, 0), "ns": 12345678}

# Limits: getrlimit(RLIMIT_NOFILE).
lim = (ctypes.c_ulong * 2)()
S(97, 7, lim)
out["getrlimit"] = {"cur": lim[0], "max": lim[1]}

# An ioctl on a pty: TIOCGWINSZ.
master, slave = os.openpty()
ws = ctypes.create_string_buffer(8)
out["ioctl"] = {"fd": master, "ret": S(16, master, 0x5413, ws)}

# TCP on loopback: connect's source port as getsockname says.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
cli = socket.socket()
cli.connect(srv.getsockname())
out["connect"] = {"sport": cli.getsockname()[1], "dport": srv.getsockname()[1]}
# Socket options: setsockopt SO_RCVBUF (a u32 at SOL_SOCKET), SO_RCVTIMEO
# (a timeval), TCP_NODELAY (another level: its bytes), getsockopt SO_TYPE.
so = socket.socket()
rcvbuf = ctypes.c_int(65536)
out["setsockopt"] = {"fd": so.fileno(), "ret": S(54, so.fileno(), 1, 8, ctypes.byref(rcvbuf), 4)}
tv = (ctypes.c_long * 2)(2, 500000)
S(54, so.fileno(), 1, 20, tv, 16)
one = ctypes.c_int(1)
S(54, so.fileno(), 6, 1, ctypes.byref(one), 4)
val, vlen = ctypes.c_int(0), ctypes.c_uint32(4)
out["getsockopt"] = {"ret": S(55, so.fileno(), 1, 3, ctypes.byref(val), ctypes.byref(vlen)), "type": val.value}
so.close()
cli.close()
srv.close()

# process_vm_readv and process_vm_writev on our own memory: the data shown
# is the local buffer's, as much as moved.
class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


src = ctypes.create_string_buffer(b"read-by-process-vm", 18)
dst = ctypes.create_string_buffer(18)
local, remote = IoVec(ctypes.addressof(dst), 18), IoVec(ctypes.addressof(src), 18)
out["process_vm_readv"] = {"ret": S(310, os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)}
msg = ctypes.create_string_buffer(b"written-by-vm", 13)
local, remote = IoVec(ctypes.addressof(msg), 13), IoVec(ctypes.addressof(dst), 13)
out["process_vm_writev"] = {"ret": S(311, os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)}

# open_by_handle_at of /etc/hostname's handle (name_to_handle_at), with a
# directory of the same file system as the mount fd: the event's path is the
# opened file's.
handle = (ctypes.c_uint32 * 34)(128)  # handle_bytes = 128, then type, then the handle
mount_id = ctypes.c_int(0)
mfd = os.open("/etc", os.O_RDONLY)  # no O_DIRECTORY: libs types it <f>
named = S(303, -100, ctypes.c_char_p(path), handle, ctypes.byref(mount_id), 0)
hfd = S(304, mfd, handle, os.O_RDONLY) if named == 0 else -1
out["open_by_handle_at"] = {"named": named, "fd": hfd, "mountfd": mfd}
if hfd >= 0:
    st = os.fstat(hfd)
    out["open_by_handle_at"].update(dev=st.st_dev, ino=st.st_ino)
    os.close(hfd)
os.close(mfd)

# fsconfig: a tmpfs context (fsopen) given size=1m (FSCONFIG_SET_STRING).
fsfd = S(430, ctypes.c_char_p(b"tmpfs"), 1)  # fsopen, FSOPEN_CLOEXEC
out["fsconfig"] = {
    "fd": fsfd,
    "ret": S(431, fsfd, 1, ctypes.c_char_p(b"size"), ctypes.c_char_p(b"1m"), 0) if fsfd >= 0 else fsfd,
}
if fsfd >= 0:
    os.close(fsfd)

# prctl as libs writes it: PR_GET_NAME and PR_SET_NAME with the name (and
# arg2_int 0), PR_SET_CHILD_SUBREAPER with arg2, PR_GET_CHILD_SUBREAPER
# with the int it stored (readers take it as whether the caller reaps
# orphans). The old name is put back.
old_name = ctypes.create_string_buffer(16)
S(157, 16, old_name, 0, 0, 0)  # PR_GET_NAME
out["prctl"] = {
    "old_name": old_name.value.decode(),
    "set_name": S(157, 15, ctypes.c_char_p(b"sb-renamed"), 0, 0, 0),
    "set_subreaper": S(157, 36, 1, 0, 0, 0),
}
flag = ctypes.c_int(7)
S(157, 37, ctypes.byref(flag), 0, 0, 0)
out["prctl"]["subreaper"] = flag.value
S(157, 36, 0, 0, 0, 0)
S(157, 15, old_name, 0, 0, 0)

# semop of two operations on a private set of two semaphores (then removed):
# {0, +1, IPC_NOWAIT} and {1, +2, SEM_UNDO}.
semid = S(64, 0, 2, 0o600)  # semget(IPC_PRIVATE, 2, 0600)
ops = (ctypes.c_short * 6)(0, 1, 0o4000, 1, 2, 0x1000)
out["semop"] = {"semid": semid, "ret": S(65, semid, ops, 2)}
S(66, semid, 0, 0)  # semctl IPC_RMID

# sendmmsg of two datagrams over connected loopback UDP, then recvmmsg of
# both: one event per message, each with its own length and data.
class MsgHdr(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
        ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
        ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
        ("flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint32)]


rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.connect(rx.getsockname())
datagrams = [b"mmsg-one", b"mmsg-second"]
bufs = [ctypes.create_string_buffer(d, len(d)) for d in datagrams]
iovs = [IoVec(ctypes.addressof(b), len(d)) for b, d in zip(bufs, datagrams)]
vec = (MMsgHdr * 2)()
for m, v in zip(vec, iovs):
    m.hdr.iov, m.hdr.iovlen = ctypes.addressof(v), 1
out["sendmmsg"] = {"fd": tx.fileno(), "ret": S(307, tx.fileno(), vec, 2, 0)}
rbufs = [ctypes.create_string_buffer(32) for _ in datagrams]
riovs = [IoVec(ctypes.addressof(b), 32) for b in rbufs]
rvec = (MMsgHdr * 2)()
for m, v in zip(rvec, riovs):
    m.hdr.iov, m.hdr.iovlen = ctypes.addressof(v), 1
out["recvmmsg"] = {"fd": rx.fileno(), "ret": S(299, rx.fileno(), rvec, 2, 0x40, None)}  # MSG_DONTWAIT
tx.close()
rx.close()

# quotactl on a device that does not exist: Q_GETQUOTA of user 1234 (the id
# shown), Q_QUOTAON with QFMT_VFS_V0 and a quota file (the format and path
# shown, no id); both fail with ENOENT.
Q = lambda cmd, typ: (cmd << 8) | typ
dev = ctypes.c_char_p(b"/dev/scapbridge-no-such-disk")
dq = ctypes.create_string_buffer(72)
out["quotactl"] = {
    "getquota": S(179, Q(0x800007, 0), dev, 1234, dq),
    "quotaon": S(179, Q(0x800002, 1), dev, 2, ctypes.c_char_p(b"/aquota.group")),
}

# io_uring_setup of 4 entries: the kernel fills in the ring sizes and its
# features (struct io_uring_params: 10 u32, then two offset structs).
params = (ctypes.c_uint32 * 30)()
ring = S(425, 4, params)
out["io_uring_setup"] = {
    "ret": ring,
    "sq_entries": params[0],
    "cq_entries": params[1],
    "features": params[5],
}
if ring >= 0:
    os.close(ring)

# An execve stopped before its first instruction (PTRACE_TRACEME): /proc
# then shows the memory the new image has at the execve's exit.
exe = "/usr/bin/true"
pid = os.fork()
if pid == 0:
    libc.ptrace(0, 0, 0, 0)  # PTRACE_TRACEME
    os.execv(exe, [exe])
os.waitpid(pid, 0)
status = {}
with open(f"/proc/{pid}/status") as f:
    for line in f:
        k, _, v = line.partition(":")
        status[k] = v.split()[0] if v.split() else ""
out["execve"] = {
    "pid": pid,
    "vm_size": int(status["VmSize"]),
    "vm_rss": int(status["VmRSS"]),
    "vm_swap": int(status.get("VmSwap", "0")),
    "exe_ino": os.stat(exe).st_ino,
}
libc.ptrace(7, pid, 0, 0)  # PTRACE_CONT
os.waitpid(pid, 0)

# The executable's flags: /usr/bin/true run by root (its owner: writable),
# by nobody (neither owner nor allowed to write: not writable), and from a
# memfd (fileless: an unlinked file named "memfd:...").
st = os.stat(exe)
out["exe_flags"] = {
    "root": pid,
    "owner": st.st_uid,
    "mode": st.st_mode,
    "root_writable": os.access(exe, os.W_OK),
}
pid = os.fork()
if pid == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    os.execv(exe, [exe])
os.waitpid(pid, 0)
out["exe_flags"]["nobody"] = pid
with open(exe, "rb") as f:
    image = f.read()
pid = os.fork()
if pid == 0:
    mfd = os.memfd_create("scapbridge-test", 0)
    os.write(mfd, image)
    os.execv(f"/proc/self/fd/{mfd}", ["memfd-true"])
os.waitpid(pid, 0)
out["exe_flags"]["memfd"] = pid
json.dump(out, sys.stdout)
