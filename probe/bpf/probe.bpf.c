// SPDX-License-Identifier: GPL-2.0
/*
 * scapbridge's syscall probe: one tp_btf/sys_exit program that writes each
 * interesting syscall as scap events (the 26-byte ppm_evt_hdr, u16 parameter
 * lengths, the parameters) into its CPU's ring buffer, plus the scheduler hooks for
 * process lifecycle. Exit events carry every argument, the way current Falco
 * captures; where the exit layout lacks an argument (kill's signal, sendto's
 * destination) the record carries the enter event too, built from the same
 * registers, so the loader can hand both to the writer.
 *
 * Layouts come from user space (SPECS, see spec.h): the kernel side knows how
 * to read an argument, a user buffer, a socket or a task field, not which
 * syscall has which parameters.
 *
 * The licence is GPL because bpf_probe_read_user_str and friends are GPL-only.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "spec.h"

char LICENSE[] SEC("license") = "GPL";

/* Patched by the loader before load (aya's override_global). */
const volatile __u32 IGNORE_TGID = 0;  /* the capture process itself */
const volatile __u8 FILTER_PIDS = 0;   /* only tgids in PIDS (and their children) */
const volatile __u32 SNAPLEN = 80;     /* bytes of I/O data per event */
const volatile __u64 BOOT_TIME = 0;    /* wall-clock ns at boot, added to boot-clock stamps */
const volatile __u64 RB_FLAGS = BPF_RB_NO_WAKEUP; /* the consumer polls */

#define HDR_LEN 26
#define OUT_SIZE 24576
#define POS_MASK 0x3fff /* a parameter starts below 16 KiB... */
#define MAX_POS 16384
#define STR_MAX 4096    /* ...and writes at most 4 KiB (two for exe+args) */
#define NAME_MAX_LEN 256
#define PATH_DEPTH 16
#define EXEC_NAME_MAX 256

/*
 * State of one record being built, shared with the bpf_loop callbacks. It
 * lives in the per-CPU scratch map, not on the stack: the verifier does not
 * track map contents, so each callback is checked once with unknown (masked)
 * offsets instead of once per concrete offset, which would exceed its budget.
 */
struct emit_ctx {
	__u64 args[8]; /* 6 registers; 8 so an index masked with 7 stays inside */
	__s64 ret;
	__u64 base;  /* offset of the current event's header */
	__u64 pos;   /* next free byte */
	__u32 nr;
	__u32 first; /* index in spec->p of this event's first parameter */
	__u32 truncated;
	__u32 missed; /* a user string or address could not be read (not paged in) */
};

struct path_walk {
	__u64 d;      /* struct dentry * */
	__u64 vmnt;   /* struct vfsmount * */
	__u64 mnt;    /* struct mount * */
	__u64 mnt_off;
	__u32 n;      /* dentries collected in scratch->dentries */
	__u32 kernfs; /* they are kernfs nodes (a cgroup path), not dentries */
	__u64 start;  /* where the path is written */
	__u64 rel;    /* bytes written so far */
};

struct scratch {
	__u8 out[OUT_SIZE];
	__u64 dentries[PATH_DEPTH];
	struct emit_ctx c;
	struct path_walk w;
};

struct exec_name {
	char name[EXEC_NAME_MAX];
};

/*
 * Per-CPU ring buffers, as Falco's modern probe has them: one shared ring
 * serialises every producer on its reserve lock. Falco holds its rings in an
 * ARRAY_OF_MAPS; aya 0.14 cannot create a map of maps (no inner map
 * template), so the object declares MAX_RINGS rings and the loader sizes the
 * ones in use (ring_bytes each) and leaves the rest at one page. A CPU
 * writes to ring cpu >> RING_SHIFT; the loader picks RING_SHIFT so that
 * every CPU has a ring (several CPUs share one past MAX_RINGS CPUs). A
 * shift, not a division by a CPU count: a division by a runtime value ran
 * on every event (about 30 ns by elimination on getppid, within this VM's
 * noise in a later A/B).
 */
#define MAX_RINGS 16
const volatile __u32 RING_SHIFT = 0;

#define RING(n)                                 \
	struct {                                \
		__uint(type, BPF_MAP_TYPE_RINGBUF); \
		__uint(max_entries, 4096);          \
	} EVENTS_##n SEC(".maps")
RING(0); RING(1); RING(2); RING(3); RING(4); RING(5); RING(6); RING(7);
RING(8); RING(9); RING(10); RING(11); RING(12); RING(13); RING(14); RING(15);

/* This CPU's ring, as a map pointer the verifier can follow on each path. */
static __always_inline void *cpu_ring(void)
{
	__u32 r = bpf_get_smp_processor_id() >> RING_SHIFT;
	switch (r) {
	case 0: return &EVENTS_0;
	case 1: return &EVENTS_1;
	case 2: return &EVENTS_2;
	case 3: return &EVENTS_3;
	case 4: return &EVENTS_4;
	case 5: return &EVENTS_5;
	case 6: return &EVENTS_6;
	case 7: return &EVENTS_7;
	case 8: return &EVENTS_8;
	case 9: return &EVENTS_9;
	case 10: return &EVENTS_10;
	case 11: return &EVENTS_11;
	case 12: return &EVENTS_12;
	case 13: return &EVENTS_13;
	case 14: return &EVENTS_14;
	default: return &EVENTS_15;
	}
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} SCRATCH SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_stats);
} STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u8);
} INTERESTING SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, struct syscall_spec);
} SPECS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} PIDS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exec_name);
} EXEC_NAMES SEC(".maps");


static __always_inline bool traced(__u32 tgid)
{
	if (tgid == IGNORE_TGID)
		return false;
	if (FILTER_PIDS && !bpf_map_lookup_elem(&PIDS, &tgid))
		return false;
	return true;
}

static __always_inline struct scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&SCRATCH, &zero);
}

static __always_inline struct probe_stats *stats(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&STATS, &zero);
}

/*
 * Plain typed stores, though dst is rarely aligned: memcpy would make clang
 * emit one byte store (and a shift) per byte. The verifier accepts
 * misaligned map and ring accesses where the CPU handles them (x86-64, the
 * only target built), and the JIT emits one mov.
 */
static __always_inline void put_u16(__u8 *dst, __u16 v) { *(__u16 *)dst = v; }
static __always_inline void put_u32(__u8 *dst, __u32 v) { *(__u32 *)dst = v; }
static __always_inline void put_u64(__u8 *dst, __u64 v) { *(__u64 *)dst = v; }

/* Writes `width` low bytes of v (little endian); returns the width written. */
static __always_inline __u64 put_width(__u8 *dst, __u64 v, __u8 width)
{
	switch (width) {
	case 1: *dst = (__u8)v; return 1;
	case 2: put_u16(dst, (__u16)v); return 2;
	case 4: put_u32(dst, (__u32)v); return 4;
	default: put_u64(dst, v); return 8;
	}
}

static __always_inline __u16 ntohs16(__u16 v) { return (v >> 8) | (v << 8); }

/*
 * Paths (cwd, exe) are read by walking dentries up to the root, across
 * mounts, then writing the names top-down. Both loops run under bpf_loop so
 * the verifier checks each step once instead of every unrolled path.
 */

static long walk_cb(__u32 i, void *data)
{
	struct scratch *s = scratch();
	if (!s)
		return 1;
	struct path_walk *w = &s->w;
	struct dentry *d = (struct dentry *)w->d;
	struct vfsmount *vmnt = (struct vfsmount *)w->vmnt;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *root = BPF_CORE_READ(vmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || d != root)
			return 1;
		w->d = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		w->vmnt = (__u64)up + w->mnt_off;
		return 0;
	}
	if (w->n >= PATH_DEPTH)
		return 1;
	s->dentries[w->n & (PATH_DEPTH - 1)] = (__u64)d;
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

static long name_cb(__u32 i, void *data)
{
	struct scratch *s = scratch();
	if (!s)
		return 1;
	struct path_walk *w = &s->w;
	if (i >= w->n)
		return 1;
	__u64 rel = w->rel;
	if (rel > STR_MAX - NAME_MAX_LEN - 2)
		return 1;
	/* Masks keep every offset provably inside the scratch area. */
	__u64 start = w->start & POS_MASK;
	s->out[start + (rel & 0xfff)] = '/';
	rel++;
	__u64 node = s->dentries[(w->n - 1 - i) & (PATH_DEPTH - 1)];
	const unsigned char *name;
	if (w->kernfs)
		name = (const unsigned char *)BPF_CORE_READ((struct kernfs_node *)node, name);
	else
		name = BPF_CORE_READ((struct dentry *)node, d_name.name);
	long r = bpf_probe_read_kernel_str(&s->out[start + (rel & 0xfff)], NAME_MAX_LEN, name);
	if (r > 1 && r <= NAME_MAX_LEN)
		rel += (__u64)r - 1;
	w->rel = rel;
	return 0;
}

/* Writes the path of p at start as "/a/b" with its NUL; returns its length. */
static __always_inline __u64 put_path(struct scratch *s, __u64 start, struct path *p)
{
	struct path_walk *w = &s->w;
	w->mnt_off = bpf_core_field_offset(struct mount, mnt);
	w->d = (__u64)BPF_CORE_READ(p, dentry);
	w->vmnt = (__u64)BPF_CORE_READ(p, mnt);
	w->mnt = w->vmnt - w->mnt_off;
	w->start = start;
	w->n = 0;
	w->rel = 0;
	w->kernfs = 0;
	bpf_loop(PATH_DEPTH * 2, walk_cb, 0, 0);
	if (w->n == 0) {
		s->out[start] = '/';
		s->out[start + 1] = 0;
		return 2;
	}
	bpf_loop(w->n & (PATH_DEPTH * 2 - 1), name_cb, 0, 0);
	__u64 rel = w->rel & 0xfff;
	s->out[start + rel] = 0;
	return rel + 1;
}

static __always_inline struct file *fd_file(struct task_struct *t, __s64 fd)
{
	if (fd < 0)
		return 0;
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((__u64)fd >= max)
		return 0;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

/* scap socket tuple: family, source address and port, destination address and port. */
static __always_inline __u64 put_tuple(__u8 *dst, struct task_struct *t, __s64 fd, bool inbound)
{
	struct file *f = fd_file(t, fd);
	if (!f)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = ntohs16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == 2) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		dst[0] = 2;
		put_u32(dst + 1, inbound ? raddr : laddr);
		put_u16(dst + 5, inbound ? rport : lport);
		put_u32(dst + 7, inbound ? laddr : raddr);
		put_u16(dst + 11, inbound ? lport : rport);
		return 13;
	}
	if (family == 10) {
		dst[0] = 10;
		__u8 *src6 = dst + 1, *dst6 = dst + 19;
		if (inbound) {
			bpf_core_read(src6, 16, &sk->__sk_common.skc_v6_daddr);
			bpf_core_read(dst6, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		} else {
			bpf_core_read(src6, 16, &sk->__sk_common.skc_v6_rcv_saddr);
			bpf_core_read(dst6, 16, &sk->__sk_common.skc_v6_daddr);
		}
		put_u16(dst + 17, inbound ? rport : lport);
		put_u16(dst + 35, inbound ? lport : rport);
		return 37;
	}
	if (family == 1) {
		/* Unix sockets: kernel socket addresses stand for the endpoints. */
		dst[0] = 1;
		put_u64(dst + 1, (__u64)sk);
		put_u64(dst + 9, 0);
		dst[17] = 0;
		return 18;
	}
	return 0;
}

/* scap sockaddr from a user struct sockaddr. */
static __always_inline __u64 put_sockaddr(__u8 *dst, const void *uaddr, __u64 ulen)
{
	__u8 sa[28] = {};
	if (!uaddr || ulen < 2)
		return 0;
	if (bpf_probe_read_user(sa, sizeof(sa), uaddr) < 0 &&
	    bpf_probe_read_user(sa, 16, uaddr) < 0)
		return 0;
	__u16 family = sa[0] | (sa[1] << 8);
	if (family == 2) {
		dst[0] = 2;
		__builtin_memcpy(dst + 1, sa + 4, 4);
		put_u16(dst + 5, (sa[2] << 8) | sa[3]);
		return 7;
	}
	if (family == 10) {
		dst[0] = 10;
		__builtin_memcpy(dst + 1, sa + 8, 16);
		put_u16(dst + 17, (sa[2] << 8) | sa[3]);
		return 19;
	}
	if (family == 1) {
		dst[0] = 1;
		long r = bpf_probe_read_user_str(dst + 1, 108, (const char *)uaddr + 2);
		if (r <= 0) {
			dst[1] = 0;
			r = 1;
		}
		return 1 + r;
	}
	return 0;
}

/*
 * Reads n <= SMALL_UBUF user bytes to dst through a buffer on the BPF stack.
 * Why: bpf_probe_read_user checks its destination (hardened usercopy), and a
 * destination on the stack passes at the first test, while the per-CPU
 * scratch map is vmalloc memory and costs a vmalloc-range and page lookup
 * on every read (perf: is_vmalloc_addr, __virt_addr_valid). dd bs=1, per
 * run, interleaved A/B, medians of 6-7 runs: 341 -> 312 ns on a quiet host,
 * 406 -> 376 ns on a loaded one.
 * The buffer is zeroed so no stale kernel stack reaches the scratch map.
 */
#define SMALL_UBUF 80

static __always_inline __u64 read_small(__u8 *dst, __u64 n, __u64 uaddr)
{
	__u64 tmp[SMALL_UBUF / 8] = {};
	if (n == 0 || n > SMALL_UBUF)
		return 0;
	if (bpf_probe_read_user(tmp, n, (const void *)uaddr) != 0)
		return 0;
#pragma unroll
	for (int i = 0; i < SMALL_UBUF / 8; i++)
		put_u64(dst + 8 * i, tmp[i]);
	return n;
}

/*
 * Reads n <= STR_MAX user bytes to dst; returns n, or 0 if unreadable.
 * Not inlined: as two inlined branches in each of emit_simple's unrolled
 * parameters it multiplied the verifier's states past its budget of 1M
 * instructions; a call is verified as one more frame. The call costs ~10 ns.
 */
static __noinline __u64 read_user_any(__u8 *dst, __u64 n, __u64 uaddr)
{
	if (n <= SMALL_UBUF)
		return read_small(dst, n, uaddr);
	if (n > STR_MAX)
		return 0;
	return bpf_probe_read_user(dst, n, (const void *)uaddr) == 0 ? n : 0;
}

/*
 * Reads the first min(n, SNAPLEN, STR_MAX) of n user bytes (I/O data) to
 * dst; returns how many, or 0 if unreadable. SNAPLEN is fixed at load, so
 * the verifier keeps one branch: at the usual snaplens (up to 80, sysdig's
 * default) the stack buffer's read, inlined without a call; above,
 * read_user_any.
 */
static __always_inline __u64 read_user(__u8 *dst, __u64 n, __u64 uaddr)
{
	if (n > SNAPLEN)
		n = SNAPLEN;
	if (n > STR_MAX)
		n = STR_MAX;
	barrier_var(n);
	if (SNAPLEN <= SMALL_UBUF)
		return read_small(dst, n, uaddr);
	return read_user_any(dst, n, uaddr);
}

/*
 * Reads a NUL-terminated user string of at most STR_MAX bytes to dst;
 * returns its length with the NUL, or <= 0 if unreadable. Strings shorter
 * than SMALL_USTR (most paths) go through a zeroed stack buffer, as I/O
 * data does in read_small and for the same reason: the kernel's copy checks
 * its whole destination range, cheaply on the stack and with a vmalloc-range
 * and page lookup in the scratch map. Longer ones are read again in place.
 * An openat+close loop, sys_exit per run, interleaved A/B, medians of 6:
 * 414 -> 361 ns. 96 bytes, not more: with read_user_any's frame below
 * param_cb's, 128 took the call chain past the 512-byte BPF stack.
 */
#define SMALL_USTR 96
static __always_inline long read_user_str(__u8 *dst, __u64 uaddr)
{
	__u64 tmp[SMALL_USTR / 8] = {};
	long r = bpf_probe_read_user_str(tmp, SMALL_USTR, (const char *)uaddr);
	if (r <= 0)
		return r;
	if (r < SMALL_USTR) {
#pragma unroll
		for (int i = 0; i < SMALL_USTR / 8; i++)
			put_u64(dst + 8 * i, tmp[i]);
		return r;
	}
	return bpf_probe_read_user_str(dst, STR_MAX, (const char *)uaddr);
}

/* Data of the first iovec of an array, cut to the returned size and snaplen. */
static __always_inline __u64 put_iov(__u8 *dst, const void *iov, __s64 ret)
{
	__u64 e[2] = {};
	if (!iov || ret <= 0 || bpf_probe_read_user(e, sizeof(e), iov) < 0)
		return 0;
	__u64 n = e[1];
	if (n > (__u64)ret)
		n = ret;
	return read_user(dst, n, e[0]);
}

static __always_inline __u64 put_user_area(__u8 *dst, unsigned long from, unsigned long to)
{
	__u64 n = to > from ? to - from : 0;
	if (n > STR_MAX)
		n = STR_MAX;
	barrier_var(n);
	if (n == 0 || bpf_probe_read_user(dst, n, (const void *)from) < 0)
		return 0;
	return n;
}

static __always_inline __u64 tty_dev(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline __u64 task_pid_of_type(struct task_struct *t, int type)
{
	struct signal_struct *sig = BPF_CORE_READ(t, group_leader, signal);
	struct pid *p = 0;
	bpf_core_read(&p, sizeof(p), &sig->pids[type]);
	if (!p)
		return 0;
	return BPF_CORE_READ(p, numbers[0].nr);
}

/* The id of pid p in its own (innermost) namespace: numbers[p->level]. */
static __always_inline __u64 pid_vnr(struct pid *p)
{
	if (!p)
		return 0;
	__u32 level = BPF_CORE_READ(p, level);
	if (level > 32)
		return 0;
	int nr = 0;
	__u64 at = bpf_core_field_offset(struct pid, numbers) +
		   (__u64)level * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), (char *)p + at);
	return nr;
}

/* The pid namespace p was allocated in: numbers[p->level].ns. */
static __always_inline struct pid_namespace *pid_ns(struct pid *p)
{
	if (!p)
		return 0;
	__u32 level = BPF_CORE_READ(p, level);
	if (level > 32)
		return 0;
	struct pid_namespace *ns = 0;
	__u64 at = bpf_core_field_offset(struct pid, numbers) +
		   (__u64)level * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, ns);
	bpf_probe_read_kernel(&ns, sizeof(ns), (char *)p + at);
	return ns;
}

/* The struct pid of type PIDTYPE_* of t (PIDTYPE_PID: the thread's own). */
static __always_inline struct pid *task_pid_struct(struct task_struct *t, int type)
{
	struct pid *p = 0;
	if (type == 0)
		return BPF_CORE_READ(t, thread_pid);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	bpf_core_read(&p, sizeof(p), &sig->pids[type & 3]);
	return p;
}

/*
 * cgroups: "subsys=/path\0" for the subsystems Falco's modern probe writes
 * (cpuset, cpu, cpuacct, io, memory; those the kernel has), each path from
 * the root of that subsystem's hierarchy, as /proc/PID/cgroup shows it from
 * the host's cgroup namespace. The kernfs nodes go up to the root into
 * scratch->dentries (walk), then their names are written top-down by
 * name_cb, after what the previous subsystems wrote (w->rel).
 */
static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static long cg_walk_cb(__u32 i, void *data)
{
	struct scratch *s = scratch();
	if (!s)
		return 1;
	struct path_walk *w = &s->w;
	struct kernfs_node *kn = (struct kernfs_node *)w->d;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	/* The root's name is empty: it is the leading '/'. */
	if (!parent || w->n >= PATH_DEPTH)
		return 1;
	s->dentries[w->n & (PATH_DEPTH - 1)] = (__u64)kn;
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

#define CG_SUBSYS_NAME_MAX 32

static __always_inline void put_cgroup_subsys(struct scratch *s, struct css_set *cs, __u32 id)
{
	struct path_walk *w = &s->w;
	struct cgroup_subsys_state *css = 0;
	bpf_core_read(&css, sizeof(css), &cs->subsys[id & 15]);
	if (!css)
		return;
	const char *name = BPF_CORE_READ(css, ss, name);
	__u64 rel = w->rel;
	if (rel > STR_MAX - NAME_MAX_LEN - CG_SUBSYS_NAME_MAX - 2)
		return;
	__u64 start = w->start & POS_MASK;
	long r = bpf_probe_read_kernel_str(&s->out[start + (rel & 0xfff)], CG_SUBSYS_NAME_MAX, name);
	if (r <= 1 || r > CG_SUBSYS_NAME_MAX)
		return;
	rel += (__u64)r - 1;
	s->out[start + (rel & 0xfff)] = '=';
	rel++;
	w->d = (__u64)BPF_CORE_READ(css, cgroup, kn);
	w->n = 0;
	bpf_loop(PATH_DEPTH, cg_walk_cb, 0, 0);
	w->rel = rel;
	if (w->n == 0) {
		s->out[start + (rel & 0xfff)] = '/';
		w->rel = rel + 1;
	} else {
		bpf_loop(w->n & (PATH_DEPTH * 2 - 1), name_cb, 0, 0);
	}
	rel = w->rel;
	s->out[start + (rel & 0xfff)] = 0;
	w->rel = rel + 1;
}

static __always_inline __u64 put_cgroups(struct scratch *s, __u64 start, struct task_struct *t)
{
	struct path_walk *w = &s->w;
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	if (!cs)
		return 0;
	w->start = start;
	w->rel = 0;
	w->kernfs = 1;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		put_cgroup_subsys(s, cs, bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		put_cgroup_subsys(s, cs, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
		put_cgroup_subsys(s, cs, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id))
		put_cgroup_subsys(s, cs, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		put_cgroup_subsys(s, cs, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
	w->kernfs = 0;
	return w->rel & (STR_MAX * 2 - 1);
}

/* The executable's inode (NULL for kernel threads). */
static __always_inline struct inode *exe_inode(struct task_struct *t)
{
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	if (!exe)
		return 0;
	return BPF_CORE_READ(exe, f_inode);
}

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define PPM_EXE_UPPER_LAYER 2
#define PPM_EXE_LOWER_LAYER 8

/*
 * Which overlayfs layer the executable comes from, as Falco's probe tells
 * it: an overlay inode is the vfs_inode member of struct ovl_inode, and the
 * upper layer's dentry (__upperdentry) follows it. Not on overlayfs: 0.
 */
static __always_inline __u32 exe_layer_flags(struct inode *ino)
{
	if (!ino || BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	__u64 size = bpf_core_type_size(struct inode);
	if (!size)
		return 0;
	struct dentry *upper = 0;
	bpf_probe_read_kernel(&upper, sizeof(upper), (char *)ino + size);
	return upper ? PPM_EXE_UPPER_LAYER : PPM_EXE_LOWER_LAYER;
}

/* An inode time in ns since the epoch: ctime, or mtime when `mtime`. */
static __always_inline __u64 inode_time_ns(struct inode *ino, bool mtime)
{
	__s64 sec = 0;
	__u64 nsec = 0;
	if (!ino)
		return 0;
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		if (mtime) {
			sec = BPF_CORE_READ(ino, i_mtime_sec);
			nsec = BPF_CORE_READ(ino, i_mtime_nsec);
		} else {
			sec = BPF_CORE_READ(ino, i_ctime_sec);
			/* Bit 31 is I_CTIME_QUERIED (multigrain timestamps, 6.13+). */
			nsec = BPF_CORE_READ(ino, i_ctime_nsec) & 0x7fffffffu;
		}
	} else {
		struct inode___v6_7 *i67 = (void *)ino;
		struct inode___old *iold = (void *)ino;
		struct timespec64 ts = {};
		if (mtime && bpf_core_field_exists(i67->__i_mtime))
			bpf_core_read(&ts, sizeof(ts), &i67->__i_mtime);
		else if (!mtime && bpf_core_field_exists(i67->__i_ctime))
			bpf_core_read(&ts, sizeof(ts), &i67->__i_ctime);
		else if (mtime)
			bpf_core_read(&ts, sizeof(ts), &iold->i_mtime);
		else
			bpf_core_read(&ts, sizeof(ts), &iold->i_ctime);
		sec = ts.tv_sec;
		nsec = ts.tv_nsec;
	}
	if (sec < 0)
		return 0;
	return (__u64)sec * 1000000000ull + nsec;
}

/* Writes one task field; returns its length. T_EXE_ARGS is handled by the caller. */
static __always_inline __u64 put_task(struct scratch *s, __u64 start, __u8 field, __u8 width)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u8 *dst = &s->out[start];
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 v = 0;
	switch (field) {
	case T_TID: v = (__u32)pt; break;
	case T_PID: v = pt >> 32; break;
	case T_PTID: v = BPF_CORE_READ(t, real_parent, pid); break;
	case T_FDLIMIT: {
		struct signal_struct *sig = BPF_CORE_READ(t, signal);
		bpf_core_read(&v, sizeof(v), &sig->rlim[7].rlim_cur);
		break;
	}
	case T_PGFT_MAJ: v = BPF_CORE_READ(t, maj_flt); break;
	case T_PGFT_MIN: v = BPF_CORE_READ(t, min_flt); break;
	case T_TTY: v = tty_dev(t); break;
	case T_PGID: v = task_pid_of_type(t, 2); break;
	case T_SID: v = task_pid_of_type(t, 3); break;
	case T_VTID: v = pid_vnr(task_pid_struct(t, 0)); break;
	case T_VPID: v = pid_vnr(task_pid_struct(t, 1)); break;
	case T_VPGID: v = pid_vnr(task_pid_struct(t, 2)); break;
	case T_PIDNS_START:
		/* As Falco: the child's clone exit only (its parent's says 0). */
		if (s->c.ret == 0)
			v = BPF_CORE_READ(pid_ns(task_pid_struct(t, 1)), child_reaper, start_time);
		break;
	case T_EXE_FLAGS: v = exe_layer_flags(exe_inode(t)); break;
	case T_EXE_INO: v = BPF_CORE_READ(exe_inode(t), i_ino); break;
	case T_EXE_CTIME: v = inode_time_ns(exe_inode(t), false); break;
	case T_EXE_MTIME: v = inode_time_ns(exe_inode(t), true); break;
	case T_CGROUPS:
		return put_cgroups(s, start, t);
	case T_LOGINUID:
		if (bpf_core_field_exists(t->loginuid))
			v = BPF_CORE_READ(t, loginuid.val);
		else
			v = (__u32)-1;
		break;
	case T_UID: v = BPF_CORE_READ(t, cred, euid.val); break;
	case T_GID: v = BPF_CORE_READ(t, cred, egid.val); break;
	case T_CAP_INH:
	case T_CAP_PERM:
	case T_CAP_EFF: {
		const struct cred *c = BPF_CORE_READ(t, cred);
		if (field == T_CAP_INH)
			bpf_core_read(&v, 8, &c->cap_inheritable);
		else if (field == T_CAP_PERM)
			bpf_core_read(&v, 8, &c->cap_permitted);
		else
			bpf_core_read(&v, 8, &c->cap_effective);
		break;
	}
	case T_COMM: {
		long r = bpf_core_read_str(dst, 16, &t->comm);
		return r > 0 ? r : 0;
	}
	case T_ENV: {
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		if (!mm)
			return 0;
		return put_user_area(dst, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
	}
	case T_CWD: {
		struct fs_struct *fs = BPF_CORE_READ(t, fs);
		if (!fs)
			return 0;
		return put_path(s, start, &fs->pwd);
	}
	case T_EXEPATH: {
		struct file *exe = BPF_CORE_READ(t, mm, exe_file);
		if (!exe)
			return 0;
		return put_path(s, start, &exe->f_path);
	}
	default: break;
	}
	return put_width(dst, v, width);
}

/*
 * One parameter of a simple kind (return value, argument, ids, user bytes)
 * at dst; returns its length. Used by param_cb for these kinds and by
 * emit_simple for layouts made only of them (EXIT_SIMPLE in spec.h).
 */
static __always_inline __u64 put_simple(__u8 *dst, struct emit_ctx *c, struct syscall_spec *sp,
					struct param_spec p)
{
	__u64 arg = c->args[p.arg & 7];
	switch (p.kind) {
	case K_RET:
		return put_width(dst, c->ret, 8);
	case K_ARG:
		if (p.aux == 1) /* a C int: widen with its sign */
			arg = (__s64)(__s32)arg;
		return put_width(dst, arg, p.width);
	case K_ZERO:
		return put_width(dst, 0, p.width);
	case K_SC_ID:
		return put_width(dst, sp->ppm_sc, 2);
	case K_NATIVE_ID:
		return put_width(dst, c->nr, 2);
	case K_RET_SIZE:
		return put_width(dst, c->ret > 0 ? c->ret : 0, 4);
	case K_UBUF: {
		__u64 n;
		if (c->ret < 0)
			return 0;
		n = p.aux == AUX_LEN_RET ? (__u64)c->ret : c->args[p.aux & 7];
		return read_user(dst, n, arg);
	}
	default: /* K_EMPTY */
		return 0;
	}
}

static long param_cb(__u32 i, void *data)
{
	struct scratch *s = scratch();
	if (!s)
		return 1;
	struct emit_ctx *c = &s->c;
	__u32 nr = c->nr;
	struct syscall_spec *sp = bpf_map_lookup_elem(&SPECS, &nr);
	if (!sp)
		return 1;
	struct param_spec p = sp->p[(c->first + i) & (SPEC_MAX_PARAMS - 1)];
	if (p.kind == K_SKIP)
		return 0;

	__u64 start = c->pos;
	__u64 len = 0, len2 = 0;
	/* exe writes the length of args, the next parameter, too */
	bool two = p.kind == K_TASK && p.aux == T_EXE_ARGS;
	if (start >= MAX_POS) {
		c->truncated = 1;
		goto set_len;
	}
	start &= POS_MASK;
	__u8 *dst = &s->out[start];
	__u64 arg = c->args[p.arg & 7];

	switch (p.kind) {
	case K_EMPTY:
	case K_RET:
	case K_ARG:
	case K_ZERO:
	case K_SC_ID:
	case K_NATIVE_ID:
	case K_RET_SIZE:
	case K_UBUF:
		len = put_simple(dst, c, sp, p);
		break;
	case K_USTR: {
		long r = read_user_str(dst, arg);
		len = r > 0 ? r : 0;
		if (r <= 0 && arg)
			c->missed = 1;
		break;
	}
	case K_SOCKADDR:
		len = put_sockaddr(dst, (const void *)arg, c->args[p.aux & 7]);
		if (!len && arg)
			c->missed = 1;
		break;
	case K_TUPLE: {
		__s64 fd = p.arg == ARG_RET ? c->ret : (__s64)arg;
		len = put_tuple(dst, (struct task_struct *)bpf_get_current_task(), fd, p.aux & 1);
		break;
	}
	case K_IOV:
		len = put_iov(dst, (const void *)arg, c->ret);
		break;
	case K_MSG_IOV: {
		const void *iov = 0;
		if (arg)
			bpf_probe_read_user(&iov, sizeof(iov), (const char *)arg + 16);
		len = put_iov(dst, iov, c->ret);
		break;
	}
	case K_UDEREF: {
		__u64 v = 0;
		if (arg)
			bpf_probe_read_user(&v, sizeof(v), (const void *)arg);
		len = put_width(dst, v, p.width);
		break;
	}
	case K_EXEC_NAME: {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		struct exec_name *e = bpf_map_lookup_elem(&EXEC_NAMES, &tgid);
		if (e && c->ret == 0) {
			long r = bpf_probe_read_kernel_str(dst, EXEC_NAME_MAX, e->name);
			len = r > 0 ? r : 0;
			bpf_map_delete_elem(&EXEC_NAMES, &tgid);
		} else {
			/* A failed exec left the caller's memory in place. */
			long r = bpf_probe_read_user_str(dst, STR_MAX, (const char *)arg);
			len = r > 0 ? r : 0;
		}
		break;
	}
	case K_FCNTL_CMD: {
		/* PPM_FCNTL_*: one byte, so translated here, where the full value is. */
		__u8 v = 0;
		switch (arg) {
		case 0: v = 1; break;     /* F_DUPFD */
		case 1: v = 2; break;     /* F_GETFD */
		case 2: v = 3; break;     /* F_SETFD */
		case 3: v = 4; break;     /* F_GETFL */
		case 4: v = 5; break;     /* F_SETFL */
		case 5: v = 6; break;     /* F_GETLK */
		case 6: v = 8; break;     /* F_SETLK */
		case 7: v = 9; break;     /* F_SETLKW */
		case 8: v = 0xa; break;   /* F_SETOWN */
		case 9: v = 0xc; break;   /* F_GETOWN */
		case 10: v = 0xd; break;  /* F_SETSIG */
		case 11: v = 0xf; break;  /* F_GETSIG */
		case 15: v = 0x15; break; /* F_SETOWN_EX */
		case 16: v = 0x16; break; /* F_GETOWN_EX */
		case 36: v = 0x1e; break; /* F_OFD_GETLK */
		case 37: v = 0x1f; break; /* F_OFD_SETLK */
		case 38: v = 0x20; break; /* F_OFD_SETLKW */
		case 1024: v = 0x17; break; /* F_SETLEASE */
		case 1025: v = 0x18; break; /* F_GETLEASE */
		case 1026: v = 0x1b; break; /* F_NOTIFY */
		case 1029: v = 0x19; break; /* F_CANCELLK */
		case 1030: v = 0x1a; break; /* F_DUPFD_CLOEXEC */
		case 1031: v = 0x1c; break; /* F_SETPIPE_SZ */
		case 1032: v = 0x1d; break; /* F_GETPIPE_SZ */
		}
		dst[0] = v;
		len = 1;
		break;
	}
	case K_DYN64:
		dst[0] = 0; /* alternative 0: a u64 */
		put_u64(dst + 1, arg);
		len = 9;
		break;
	case K_TASK:
		if (p.aux == T_EXE_ARGS) {
			if (p.width && c->ret < 0) {
				/* Failed exec: exe is the path asked for, args unknown. */
				long r = bpf_probe_read_user_str(dst, STR_MAX, (const char *)arg);
				len = r > 0 ? r : 0;
				break;
			}
			struct task_struct *t = (struct task_struct *)bpf_get_current_task();
			struct mm_struct *mm = BPF_CORE_READ(t, mm);
			if (!mm)
				break;
			unsigned long a0 = BPF_CORE_READ(mm, arg_start);
			unsigned long a1 = BPF_CORE_READ(mm, arg_end);
			long r = bpf_probe_read_user_str(dst, STR_MAX, (const void *)a0);
			if (r <= 0)
				break;
			__u64 n0 = r;
			if (n0 > STR_MAX)
				n0 = STR_MAX;
			barrier_var(n0);
			len = n0;
			len2 = put_user_area(&s->out[start + n0], a0 + n0, a1);
		} else {
			len = put_task(s, start, p.aux, p.width);
		}
		break;
	default:
		break;
	}

set_len: {
	/* Index of this parameter in the event: the loop index. */
	__u64 at = (c->base + HDR_LEN + 2 * (__u64)(i & (SPEC_MAX_PARAMS - 1))) & POS_MASK;
	put_u16(&s->out[at], (__u16)len);
	if (two)
		put_u16(&s->out[(at + 2) & POS_MASK], (__u16)len2);
	}
	if (start < MAX_POS)
		c->pos = start + len + len2;
	return 0;
}

/* The 26-byte event header: ts, tid, len, type, nparams. */
static __always_inline void put_header(__u8 *h, __u64 ts, __u64 tid, __u64 len, __u16 type,
				       __u32 n)
{
	put_u64(h, ts);
	put_u64(h + 8, tid);
	put_u32(h + 16, (__u32)len);
	put_u16(h + 20, type);
	put_u32(h + 22, n);
}

/* Builds one event (header, lengths, parameters) at c->pos. */
static __always_inline void emit_event(struct scratch *s, struct emit_ctx *c, __u16 type,
				       __u32 first, __u32 n, __u64 ts, __u64 tid)
{
	__u64 base = c->pos & POS_MASK;
	n &= (SPEC_MAX_PARAMS - 1) | SPEC_MAX_PARAMS;
	if (n > SPEC_MAX_PARAMS)
		n = SPEC_MAX_PARAMS;
	c->base = base;
	c->first = first;
	c->pos = base + HDR_LEN + 2 * n;
	bpf_loop(n, param_cb, 0, 0);
	put_header(&s->out[base], ts, tid, c->pos - base, type, n);
}

/*
 * emit_event for layouts of simple kinds only: the parameters are written
 * in an unrolled loop, without a callback and two map lookups per
 * parameter. At most SIMPLE_MAX parameters of at most STR_MAX bytes each,
 * from a position below 2 * (HDR_LEN + SIMPLE_MAX * 8): no truncation.
 */
static __always_inline void emit_simple(struct scratch *s, struct emit_ctx *c,
					struct syscall_spec *sp, __u16 type, __u32 first,
					__u32 n, __u64 ts, __u64 tid)
{
	__u64 base = c->pos & POS_MASK;
	if (n > SIMPLE_MAX)
		n = SIMPLE_MAX;
	__u64 pos = base + HDR_LEN + 2 * n;
#pragma unroll
	for (int i = 0; i < SIMPLE_MAX; i++) {
		if (i < n) {
			struct param_spec p = sp->p[(first + i) & (SPEC_MAX_PARAMS - 1)];
			__u64 len = put_simple(&s->out[pos & POS_MASK], c, sp, p);
			put_u16(&s->out[(base + HDR_LEN + 2 * i) & POS_MASK], (__u16)len);
			pos += len;
		}
	}
	put_header(&s->out[base], ts, tid, pos - base, type, n);
	c->pos = pos;
}

/*
 * The common start of the syscall programs: whether syscall nr of this
 * process is captured, and if so its scratch area, layout and counters.
 */
struct start {
	struct scratch *s;
	struct syscall_spec *sp;
	struct probe_stats *st;
	__u64 pt; /* pid_tgid */
};

static __always_inline bool captured(__u32 nr, struct start *g)
{
	__u8 *on = bpf_map_lookup_elem(&INTERESTING, &nr);
	if (!on || !*on)
		return false;
	g->pt = bpf_get_current_pid_tgid();
	if (!traced(g->pt >> 32))
		return false;
	g->s = scratch();
	g->sp = bpf_map_lookup_elem(&SPECS, &nr);
	g->st = stats();
	return g->s && g->sp && g->st;
}

/* Clears the record being built for syscall nr returning ret. */
static __always_inline void start_record(struct emit_ctx *c, long ret, __u32 nr)
{
	c->args[6] = 0;
	c->args[7] = 0;
	c->ret = ret;
	c->nr = nr;
	c->pos = 0;
	c->truncated = 0;
	c->missed = 0;
}

/* Sends the record built in scratch to this CPU's ring. */
static __always_inline void submit(struct scratch *s, struct probe_stats *st)
{
	__u64 len = s->c.pos;
	if (len > OUT_SIZE)
		len = OUT_SIZE;
	barrier_var(len);
	if (s->c.truncated)
		st->n_truncated++;
	if (len == 0 || bpf_ringbuf_output(cpu_ring(), s->out, len, RB_FLAGS) < 0)
		st->n_drops_buffer++;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 nr64 = regs->orig_ax;
	if (nr64 >= SYSCALL_TABLE_SIZE)
		return 0;
	__u32 nr = nr64;
	struct start g;
	if (!captured(nr, &g))
		return 0;
	struct scratch *s = g.s;
	struct syscall_spec *sp = g.sp;
	struct probe_stats *st = g.st;
	__u64 pt = g.pt;
	st->n_evts++;

	struct emit_ctx *c = &s->c;
	c->args[0] = regs->di;
	c->args[1] = regs->si;
	c->args[2] = regs->dx;
	c->args[3] = regs->r10;
	c->args[4] = regs->r8;
	c->args[5] = regs->r9;
	start_record(c, ret, nr);
	__u64 ts = bpf_ktime_get_boot_ns() + BOOT_TIME;
	__u64 tid = (__u32)pt;
	__u32 enter_n = sp->enter_n & (ENTER_AT_ENTRY - 1);
	__u32 exit_n = sp->exit_n & (EXIT_SIMPLE - 1);
	if (sp->exit_n & EXIT_SIMPLE) {
		/* Never written at entry: the loader flags only such layouts. */
		if (enter_n)
			emit_simple(s, c, sp, sp->enter_type, 0, enter_n, ts, tid);
		emit_simple(s, c, sp, sp->exit_type, enter_n, exit_n, ts, tid);
		submit(s, st);
		return 0;
	}
	/* The exit's parameters follow the enter's in the spec either way. */
	if (enter_n && !(sp->enter_n & ENTER_AT_ENTRY))
		emit_event(s, c, sp->enter_type, 0, enter_n, ts, tid);
	emit_event(s, c, sp->exit_type, enter_n, exit_n, ts, tid);
	submit(s, st);
	return 0;
}

/*
 * Time-of-check copies, as Falco keeps them (its toctou_mitigation
 * programs): for the open family and connect the enter event is written at
 * syscall entry, from the caller's memory just before the kernel reads it.
 * The exit event still carries every argument, but its copy of the path or
 * address is taken after the call, when another thread may have rewritten
 * that memory: an open of /etc/shadow could be reported as /tmp/x.
 *
 * Classic per-syscall tracepoints, as Falco's, so the other syscalls pay
 * nothing (tp_btf/sys_enter would run for every syscall); they need tracefs,
 * which the loader mounts when it is not. fentry on the syscall functions
 * would need neither, but this machine's kernel refuses fentry programs
 * (bpftrace reports kfunc unavailable too). The loader attaches each only
 * when its syscall is in the captured set.
 */
struct sys_enter_args {
	__u64 common;  /* the tracepoint's common fields */
	__s64 id;
	__u64 args[6];
};

/*
 * nargs: the syscall's argument count. The kernel refuses to attach a
 * program that reads past its tracepoint's fields, so each program reads
 * only its own (nargs is a constant in each, the other reads fold away).
 */
static __always_inline int enter_event(struct sys_enter_args *ctx, __u32 nr, int nargs)
{
	struct start g;
	if (!captured(nr, &g) || !(g.sp->enter_n & ENTER_AT_ENTRY))
		return 0;
	struct scratch *s = g.s;
	struct syscall_spec *sp = g.sp;
	struct probe_stats *st = g.st;
	__u64 pt = g.pt;
	struct emit_ctx *c = &s->c;
	c->args[0] = ctx->args[0];
	c->args[1] = nargs > 1 ? ctx->args[1] : 0;
	c->args[2] = nargs > 2 ? ctx->args[2] : 0;
	c->args[3] = nargs > 3 ? ctx->args[3] : 0;
	c->args[4] = 0;
	c->args[5] = 0;
	start_record(c, 0, nr);
	emit_event(s, c, sp->enter_type, 0, sp->enter_n & (ENTER_AT_ENTRY - 1),
		   bpf_ktime_get_boot_ns() + BOOT_TIME, (__u32)pt);
	/*
	 * A path or address not yet paged in cannot be read here (no faults
	 * in this context); the kernel faults it in during the call and the
	 * exit event has it. Sending an enter with an empty path would hide
	 * it, so none is sent and the writer derives the enter from the exit,
	 * as for every other syscall.
	 */
	if (c->missed)
		return 0;
	st->n_evts++;
	submit(s, st);
	return 0;
}

/* x86-64 syscall numbers: the object is built for x86-64 only. */
SEC("tracepoint/syscalls/sys_enter_open")
int open_e(struct sys_enter_args *ctx) { return enter_event(ctx, 2, 3); }
SEC("tracepoint/syscalls/sys_enter_openat")
int openat_e(struct sys_enter_args *ctx) { return enter_event(ctx, 257, 4); }
SEC("tracepoint/syscalls/sys_enter_openat2")
int openat2_e(struct sys_enter_args *ctx) { return enter_event(ctx, 437, 4); }
SEC("tracepoint/syscalls/sys_enter_creat")
int creat_e(struct sys_enter_args *ctx) { return enter_event(ctx, 85, 2); }
SEC("tracepoint/syscalls/sys_enter_connect")
int connect_e(struct sys_enter_args *ctx) { return enter_event(ctx, 42, 3); }

/* procexit: one per exiting thread, as libsinsp expects. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tgid = pt >> 32;
	if (!traced(tgid))
		return 0;
	struct probe_stats *st = stats();
	if (!st)
		return 0;
	st->n_evts++;

	const __u32 size = HDR_LEN + 5 * 2 + 8 + 8 + 1 + 1 + 8;
	__u8 *e = bpf_ringbuf_reserve(cpu_ring(), size, 0);
	if (!e) {
		st->n_drops_buffer++;
	} else {
		__s64 code = BPF_CORE_READ(p, exit_code);
		put_u64(e, bpf_ktime_get_boot_ns() + BOOT_TIME);
		put_u64(e + 8, (__u32)pt);
		put_u32(e + 16, size);
		put_u16(e + 20, 186); /* PPME_PROCEXIT_1_E */
		put_u32(e + 22, 5);
		put_u16(e + 26, 8);
		put_u16(e + 28, 8);
		put_u16(e + 30, 1);
		put_u16(e + 32, 1);
		put_u16(e + 34, 8);
		put_u64(e + 36, code);
		put_u64(e + 44, (code >> 8) & 0xff);
		e[52] = code & 0x7f;
		e[53] = (code & 0x80) ? 1 : 0;
		put_u64(e + 54, 0);
		bpf_ringbuf_submit(e, RB_FLAGS);
	}
	/* The group leader's exit ends the process for the pid filter. */
	if (FILTER_PIDS && (__u32)pt == tgid)
		bpf_map_delete_elem(&PIDS, &tgid);
	return 0;
}

/* Children of traced processes are traced too. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!FILTER_PIDS)
		return 0;
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid || !bpf_map_lookup_elem(&PIDS, &ptgid))
		return 0;
	__u8 one = 1;
	bpf_map_update_elem(&PIDS, &ctgid, &one, BPF_ANY);
	return 0;
}

/* The path the kernel executed, for the execve exit event's `filename`. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!traced(tgid))
		return 0;
	struct scratch *s = scratch();
	if (!s)
		return 0;
	const char *name = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(s->out, EXEC_NAME_MAX, name) <= 0)
		return 0;
	bpf_map_update_elem(&EXEC_NAMES, &tgid, s->out, BPF_ANY);
	return 0;
}
