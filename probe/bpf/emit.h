/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building one event from its layout (SPECS): each parameter by kind, the
 * header and lengths, and the straight-line writer of simple layouts.
 * Needs task.h.
 *
 * Part of probe.bpf.c's one translation unit (CO-RE relocates one object):
 * included there, after the headers it names, never compiled alone.
 */
#ifndef SCAPBRIDGE_EMIT_H
#define SCAPBRIDGE_EMIT_H

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

/*
 * One of quotactl's exit parameters (QC_* in spec.h) as libs fills them:
 * the quota file only for Q_QUOTAON, the if_dqblk fields for
 * Q_GETQUOTA/SETQUOTA and the if_dqinfo ones for Q_GETINFO/SETINFO, each
 * only when its valid bit is set (the rest of those structs may hold
 * anything), the id only where it names a user or group. cmd, type and the
 * formats are Linux values; user space turns them into PPM_* ones
 * (record.rs, fix_quotactl).
 */
#define Q_SUB(x) (0x800000 | (x)) /* Q_* subcommands */
static __noinline __u64 put_quotactl(__u8 *dst, struct emit_ctx *c, __u8 field)
{
	__u32 sub = (__u32)c->args[0] >> 8;
	const char *addr = (const char *)c->args[3];
	__u64 v = 0;
	__u32 valid = 0, off = 0, bit = 0;
	if (field == QC_QUOTAFILE) {
		if (sub != Q_SUB(2) || !addr)
			return 0;
		long r = read_user_str(dst, (__u64)addr);
		return r > 0 ? r : 0;
	}
	if (field >= QC_DQB_FIRST && field <= QC_DQB_LAST) {
		/* bhardlimit, bsoftlimit (QIF_BLIMITS), curspace (QIF_SPACE),
		 * ihardlimit, isoftlimit (QIF_ILIMITS), btime, itime */
		switch (field) {
		case 1: off = 0; bit = 1; break;
		case 2: off = 8; bit = 1; break;
		case 3: off = 16; bit = 2; break;
		case 4: off = 24; bit = 4; break;
		case 5: off = 32; bit = 4; break;
		case 6: off = 48; bit = 16; break;
		default: off = 56; bit = 32; break;
		}
		if ((sub == Q_SUB(7) || sub == Q_SUB(8)) && addr &&
		    !bpf_probe_read_user(&valid, sizeof(valid), addr + 64) && (valid & bit))
			bpf_probe_read_user(&v, sizeof(v), addr + off);
		return put_width(dst, v, 8);
	}
	switch (field) {
	case QC_DQI_BGRACE:
	case QC_DQI_IGRACE:
	case QC_DQI_FLAGS:
		off = field == QC_DQI_BGRACE ? 0 : field == QC_DQI_IGRACE ? 8 : 16;
		bit = field == QC_DQI_BGRACE ? 1 : field == QC_DQI_IGRACE ? 2 : 4;
		if ((sub == Q_SUB(5) || sub == Q_SUB(6)) && addr &&
		    !bpf_probe_read_user(&valid, sizeof(valid), addr + 20) && (valid & bit))
			bpf_probe_read_user(&v, field == QC_DQI_FLAGS ? 4 : 8, addr + off);
		return put_width(dst, v, field == QC_DQI_FLAGS ? 1 : 8);
	case QC_FMT_OUT:
		if (sub == Q_SUB(4) && addr)
			bpf_probe_read_user(&v, 4, addr);
		return put_width(dst, v, 1);
	case QC_CMD:
		if ((sub & 0xffff00) == 0x800000)
			v = sub & 0xff;
		else if ((sub & 0xffff00) == 0x5800)
			v = sub;
		else
			v = 0xffff;
		return put_width(dst, v, 2);
	case QC_TYPE:
		return put_width(dst, c->args[0] & 0xff, 1);
	case QC_ID:
		/* Q_GETQUOTA, Q_SETQUOTA, Q_XGETQUOTA, Q_XSETQLIM */
		if (sub == Q_SUB(7) || sub == Q_SUB(8) || sub == 0x5803 || sub == 0x5804)
			v = (__u32)c->args[2];
		return put_width(dst, v, 4);
	default: /* QC_FMT */
		if (sub == Q_SUB(2))
			v = c->args[2] & 0xff;
		return put_width(dst, v, 1);
	}
}

/* K_USTR: a NUL-terminated user string. */
static __always_inline __u64 put_ustr(__u8 *dst, struct emit_ctx *c, __u64 arg)
{
	long r = read_user_str(dst, arg);
	if (r <= 0 && arg)
		c->missed = 1;
	return r > 0 ? r : 0;
}

/* K_UDEREF: aux is the offset in the struct (openat2's how.mode at 8, resolve at 16). */
static __always_inline __u64 put_uderef(__u8 *dst, __u64 arg, struct param_spec p)
{
	__u64 v = 0;
	if (arg)
		bpf_probe_read_user(&v, sizeof(v), (const char *)arg + p.aux);
	return put_width(dst, v, p.width);
}

/*
 * One parameter, i, of the event being built. Two callbacks share this
 * body: param_cb knows every kind but the rare ones, param_rare_cb the
 * rare ones (set/getsockopt's value, fsconfig's, quotactl's fields,
 * prctl's arg2) and
 * the few plain kinds beside them in their layouts (EXIT_RARE in spec.h;
 * spec.rs checks which layout uses which). Each callback's stack counts,
 * with sys_exit's and read_user_any's, against the verifier's 512 bytes
 * for the chain; the rare kinds in param_cb took it past them.
 */
static __always_inline long write_param(__u32 i, const bool rare)
{
	struct scratch *s;
	struct syscall_spec *sp = current_spec(&s);
	if (!sp)
		return 1;
	struct emit_ctx *c = &s->c;
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

	/* The kinds both writers know. */
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
		goto set_len;
	case K_USTR:
		len = put_ustr(dst, c, arg);
		goto set_len;
	case K_UDEREF:
		len = put_uderef(dst, arg, p);
		goto set_len;
	default:
		break;
	}
	if (rare) {
		switch (p.kind) {
		case K_SOCKOPT: {
			/*
			 * As libs writes it: at SOL_SOCKET, the options it knows as a
			 * number (errno, a timeval in ns, a u64 cookie, a u32), every
			 * other option and level as its bytes. Linux SO_* numbers
			 * (x86-64); user space turns level and optname into PPM values.
			 */
			__s32 level = (__s32)c->args[1];
			__s32 name = (__s32)c->args[2];
			__u64 optval = c->args[3];
			__u32 optlen = (__u32)c->args[4];
			if (p.aux) {
				optlen = 0;
				bpf_probe_read_user(&optlen, sizeof(optlen), (const void *)c->args[4]);
			}
			optlen &= 0xffff;
			__u8 idx = 0, w = 0;
			__u64 v = 0;
			if (level == 1) {
				switch (name) {
				case 4: { /* SO_ERROR */
					__s32 e = 0;
					bpf_probe_read_user(&e, sizeof(e), (const void *)optval);
					idx = 1, w = 8, v = (__u64)(-(__s64)e);
					break;
				}
				case 20: case 21: case 66: case 67: { /* SO_{RCV,SND}TIMEO_{OLD,NEW} */
					__s64 tv[2] = {};
					bpf_probe_read_user(tv, sizeof(tv), (const void *)optval);
					idx = 4, w = 8, v = (__u64)(tv[0] * 1000000000LL + tv[1] * 1000LL);
					break;
				}
				case 57: /* SO_COOKIE */
					bpf_probe_read_user(&v, sizeof(v), (const void *)optval);
					idx = 3, w = 8;
					break;
				case 1: case 2: case 3: case 5: case 6: case 7: case 8: case 32: case 33:
				case 9: case 10: case 11: case 12: case 14: case 15: case 16: case 18:
				case 19: case 22: case 23: case 24: case 25: case 27: case 29: case 30:
				case 31: case 34: case 35: case 36: case 37: case 38: case 39: case 40:
				case 41: case 42: case 43: case 44: case 45: case 46: case 47: case 48:
				case 49: {
					__u32 u = 0;
					bpf_probe_read_user(&u, sizeof(u), (const void *)optval);
					idx = 2, w = 4, v = u;
					break;
				}
				default: break;
				}
			}
			dst[0] = idx;
			if (w)
				len = 1 + put_width(dst + 1, v, w);
			else
				len = 1 + read_user(dst + 1, optlen, optval);
			break;
		}
		case K_FSCONFIG_VALUE: {
			/* Empty on failure and for the commands without a value, as libs. */
			__u32 cmd = (__u32)c->args[1];
			__u64 val = c->args[3];
			if (c->ret < 0 || !val)
				break;
			if (p.aux == 0 && cmd == 2) { /* FSCONFIG_SET_BINARY: aux bytes */
				len = read_user(dst, (__u32)c->args[4], val);
			} else if (p.aux == 1 && (cmd == 1 || cmd == 3 || cmd == 4)) {
				/* FSCONFIG_SET_STRING, SET_PATH, SET_PATH_EMPTY */
				long r = read_user_str(dst, val);
				len = r > 0 ? r : 0;
			}
			break;
		}
		case K_QUOTACTL:
			len = put_quotactl(dst, c, p.aux);
			break;
		case K_PRCTL_ARG2: {
			/*
			 * As libs writes prctl's exit: PR_SET_NAME and PR_GET_NAME
			 * (15, 16) give the name as arg2_str and 0 as arg2_int;
			 * PR_GET_CHILD_SUBREAPER (37) the int it stored at arg2, which
			 * readers take as whether the caller reaps orphans; every other
			 * option an empty arg2_str and arg2 itself.
			 */
			__u32 option = (__u32)c->args[0];
			__u64 arg2 = c->args[1];
			bool name = option == 15 || option == 16;
			if (p.aux == 0) {
				if (name && arg2) {
					long r = read_user_str(dst, arg2);
					len = r > 0 ? r : 0;
				}
				break;
			}
			__s64 v = (__s64)arg2;
			if (name) {
				v = 0;
			} else if (option == 37) {
				__s32 r = 0;
				if (arg2)
					bpf_probe_read_user(&r, sizeof(r), (const void *)arg2);
				v = r;
			}
			len = put_width(dst, (__u64)v, 8);
			break;
		}
		default:
			break;
		}
	} else {
		switch (p.kind) {
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
		case K_INT_AT: {
			__s32 v = -1;
			if (!arg || bpf_probe_read_user(&v, sizeof(v), (const char *)arg + p.aux))
				v = -1;
			len = put_width(dst, (__u64)(__s64)v, 8);
			break;
		}
		case K_FD_DEV:
		case K_FD_INO: {
			__s64 fd = (__s64)arg;
			if (p.arg == ARG_RET) {
				fd = c->ret;
			} else if (p.aux & AUX_FD_AT_USER) {
				__s32 ufd = -1;
				if (c->ret < 0 || !arg ||
				    bpf_probe_read_user(&ufd, sizeof(ufd), (const char *)arg + p.width))
					ufd = -1;
				fd = ufd;
			}
			struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
			struct inode *ino = f ? BPF_CORE_READ(f, f_inode) : 0;
			if (p.kind == K_FD_INO) {
				len = put_width(dst, ino ? BPF_CORE_READ(ino, i_ino) : 0, 8);
			} else {
				__u32 dev = ino ? BPF_CORE_READ(ino, i_sb, s_dev) : 0;
				__u32 major = dev >> 20, minor = dev & 0xfffff;
				/* new_encode_dev: what stat(2) reports as st_dev. */
				len = put_width(dst, (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12), 4);
			}
			break;
		}
		case K_FD_PATH: {
			/* open_by_handle_at's path: the file the new fd refers to. */
			__s64 fd = p.arg == ARG_RET ? c->ret : (__s64)arg;
			struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
			if (f)
				len = put_path(s, start, &f->f_path);
			break;
		}
		case K_O_FLAGS16: {
			/* Converted here: O_CLOEXEC (0x80000) does not fit the 2-byte parameter. */
			__u16 v = 0;
			if (arg & 0x800)
				v |= 1 << 6; /* PPM_O_NONBLOCK */
			if (arg & 0x80000)
				v |= 1 << 12; /* PPM_O_CLOEXEC */
			len = put_width(dst, v, 2);
			break;
		}
		case K_FDLIST:
			len = put_fdlist(dst, (const void *)arg, c->args[p.aux & 7]);
			break;
		case K_RELTIME: {
			struct {
				__s64 sec;
				__s64 nsec;
			} ts = {};
			__u64 v = 0;
			if (arg && !bpf_probe_read_user(&ts, sizeof(ts), (const void *)arg) && ts.sec >= 0)
				v = (__u64)ts.sec * 1000000000ull + (__u64)ts.nsec;
			len = put_width(dst, v, 8);
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

static long param_cb(__u32 i, void *data)
{
	return write_param(i, false);
}

static long param_rare_cb(__u32 i, void *data)
{
	return write_param(i, true);
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
				       __u32 first, __u32 n, __u64 ts, __u64 tid,
				       bool rare)
{
	__u64 base = c->pos & POS_MASK;
	n &= (SPEC_MAX_PARAMS - 1) | SPEC_MAX_PARAMS;
	if (n > SPEC_MAX_PARAMS)
		n = SPEC_MAX_PARAMS;
	c->base = base;
	c->first = first;
	c->pos = base + HDR_LEN + 2 * n;
	if (rare)
		bpf_loop(n, param_rare_cb, 0, 0);
	else
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
 * sendmmsg and recvmmsg: one exit event per message (EACH_MESSAGE in
 * spec.h), as libs writes them. For message k, argument 1 points at its
 * struct mmsghdr (whose msghdr comes first) and the return value is its
 * msg_len. The loop of messages runs its own small loop of parameters
 * (message_param_cb), not param_cb's: param_cb's stack under one more frame
 * would pass the verifier's 512 bytes for the chain. So message layouts use
 * only the kinds message_param_cb knows (spec.rs checks it).
 */
#define MMSGHDR_SIZE 64 /* struct mmsghdr on x86-64: msghdr (56), msg_len, padding */
#define MMSG_MAX 1024   /* as libs: at most this many events per call */
#define MESSAGE_MAX_PARAMS 8 /* a power of two: indices are masked with it */

static __always_inline void submit(struct scratch *s, struct probe_stats *st);

/* Parameter j of message event being built: the kinds message layouts use. */
static long message_param_cb(__u32 j, void *data)
{
	struct scratch *s;
	struct syscall_spec *sp = current_spec(&s);
	if (!sp)
		return 1;
	struct emit_ctx *c = &s->c;
	struct param_spec p = sp->p[j & (SPEC_MAX_PARAMS - 1)];
	__u64 at = c->pos & POS_MASK;
	__u8 *dst = &s->out[at];
	__u64 len = 0;
	switch (p.kind) {
	case K_RET:
		len = put_width(dst, c->ret, 8);
		break;
	case K_ARG: /* the fd, argument 0, a C int */
		len = put_width(dst, (__s64)(__s32)c->args[0], 8);
		break;
	case K_RET_SIZE:
		len = put_width(dst, c->ret > 0 ? c->ret : 0, 4);
		break;
	case K_MSG_IOV: {
		const void *iov = 0;
		bpf_probe_read_user(&iov, sizeof(iov), (const char *)c->args[1] + 16);
		len = put_iov(dst, iov, c->ret);
		break;
	}
	case K_TUPLE:
		len = put_tuple(dst, (struct task_struct *)bpf_get_current_task(),
				(__s64)(__s32)c->args[0], p.aux & 1);
		break;
	default: /* K_EMPTY */
		break;
	}
	put_u16(&s->out[HDR_LEN + 2 * (j & (MESSAGE_MAX_PARAMS - 1))], (__u16)len);
	c->pos = at + len;
	return 0;
}

/* Message k of the call: its event, sent. The array is in args[6] and the
 * thread id in args[7] (no layout reads arguments 6 and 7). */
static long message_cb(__u32 k, void *data)
{
	struct scratch *s;
	struct syscall_spec *sp = current_spec(&s);
	struct probe_stats *st = stats();
	if (!sp || !st)
		return 1;
	struct emit_ctx *c = &s->c;
	__u64 hdr = c->args[6] + (__u64)k * MMSGHDR_SIZE;
	c->ret = 0; /* msg_len is a u32: read into the low half */
	if (bpf_probe_read_user(&c->ret, 4, (const void *)(hdr + 56)))
		return 1;
	c->args[1] = hdr;
	__u32 n = sp->exit_n & EXIT_N_MASK;
	if (n > MESSAGE_MAX_PARAMS)
		n = MESSAGE_MAX_PARAMS;
	c->pos = HDR_LEN + 2 * n;
	bpf_loop(n, message_param_cb, 0, 0);
	/* Each event its own time, as libs stamps each when it writes it. */
	put_header(&s->out[0], bpf_ktime_get_boot_ns() + BOOT_TIME, c->args[7], c->pos,
		   sp->exit_type, n);
	if (k)
		st->n_evts++; /* the call was counted once, with its first message */
	submit(s, st);
	return 0;
}

static __always_inline void each_message(struct emit_ctx *c, long ret, __u64 tid)
{
	c->args[6] = c->args[1];
	c->args[7] = tid;
	bpf_loop(ret < MMSG_MAX ? (__u32)ret : MMSG_MAX, message_cb, 0, 0);
}

#endif
