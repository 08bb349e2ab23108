/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers of one parameter's bytes: plain stores, paths walked from dentries,
 * socket tuples and addresses, and user memory (strings, buffers, iovecs).
 * Needs maps.h.
 *
 * Part of probe.bpf.c's one translation unit (CO-RE relocates one object):
 * included there, after the headers it names, never compiled alone.
 */
#ifndef SCAPBRIDGE_READ_H
#define SCAPBRIDGE_READ_H

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

#endif
