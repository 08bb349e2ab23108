/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fields of the current task (K_TASK): ids and their namespace views, the
 * terminal, cgroup paths, the executable's inode and overlayfs layer,
 * credentials, cwd and environment. Needs read.h.
 *
 * Part of probe.bpf.c's one translation unit (CO-RE relocates one object):
 * included there, after the headers it names, never compiled alone.
 */
#ifndef SCAPBRIDGE_TASK_H
#define SCAPBRIDGE_TASK_H

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

#define PPM_EXE_WRITABLE 1
#define PPM_EXE_FROM_MEMFD 4
#define SB_RDONLY_FLAG 1
#define S_IMMUTABLE_FLAG 8
#define S_IFMT_BITS 0170000
#define S_IWGRP_BIT 0020
#define S_IWOTH_BIT 0002
#define CAP_DAC_OVERRIDE_BIT 1

/*
 * Whether the task could write its executable, as Falco's probe judges it
 * (the kernel's own check calls into the file system): not on a read-only
 * mount or an immutable inode; yes for its owner; else by the group or
 * other write bit (the task's fsgid only, not its extra groups); else with
 * CAP_DAC_OVERRIDE.
 */
static __always_inline bool exe_writable(struct task_struct *t, struct inode *ino)
{
	__u16 mode = BPF_CORE_READ(ino, i_mode);
	__u16 fmt = mode & S_IFMT_BITS;
	if ((BPF_CORE_READ(ino, i_sb, s_flags) & SB_RDONLY_FLAG) &&
	    (fmt == 0100000 || fmt == 0040000 || fmt == 0120000))
		return false;
	if (BPF_CORE_READ(ino, i_flags) & S_IMMUTABLE_FLAG)
		return false;
	__u32 iuid = BPF_CORE_READ(ino, i_uid.val);
	__u32 igid = BPF_CORE_READ(ino, i_gid.val);
	if (iuid == (__u32)-1 || igid == (__u32)-1)
		return false;
	const struct cred *c = BPF_CORE_READ(t, cred);
	if (BPF_CORE_READ(c, fsuid.val) == iuid)
		return true;
	if (BPF_CORE_READ(c, fsgid.val) == igid) {
		if (mode & S_IWGRP_BIT)
			return true;
	} else if (mode & S_IWOTH_BIT) {
		return true;
	}
	__u64 eff = 0;
	bpf_core_read(&eff, 8, &c->cap_effective);
	return eff & (1ULL << CAP_DAC_OVERRIDE_BIT);
}

/*
 * Whether the executable is a memfd (fileless execution): its dentry is
 * unlinked and named "memfd:…", as Falco's probe tells it.
 */
static __always_inline bool exe_from_memfd(struct task_struct *t)
{
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	if (!exe)
		return false;
	struct dentry *d = BPF_CORE_READ(exe, f_path.dentry);
	if (BPF_CORE_READ(exe, f_inode, __i_nlink) != 0)
		return false;
	char name[7] = {};
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name)) != 7)
		return false;
	return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	       name[4] == 'd' && name[5] == ':';
}

/* execve's `flags`: PPM_EXE_* of the task's executable. */
static __always_inline __u32 exe_flags(struct task_struct *t)
{
	struct inode *ino = exe_inode(t);
	if (!ino)
		return 0;
	__u32 f = exe_layer_flags(ino);
	if (exe_writable(t, ino))
		f |= PPM_EXE_WRITABLE;
	if (exe_from_memfd(t))
		f |= PPM_EXE_FROM_MEMFD;
	return f;
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

/*
 * One mm counter (MM_FILEPAGES 0, MM_ANONPAGES 1, MM_SWAPENTS 2,
 * MM_SHMEMPAGES 3), in pages, as /proc reads it (the shared count, not the
 * per-CPU deltas). Up to 6.1 the counters are atomics in struct mm_rss_stat,
 * since 6.2 percpu_counters. Each index is a constant so CO-RE relocates the
 * element, whose size differs between kernels.
 */
#define MM_COUNTER(mm, i)                                                           \
	({                                                                          \
		__s64 _v = 0;                                                       \
		if (bpf_core_type_exists(struct mm_rss_stat)) {                     \
			struct mm_struct___v6_1 *_o = (void *)(mm);                 \
			_v = BPF_CORE_READ(_o, rss_stat.count[i].counter);          \
		} else {                                                            \
			_v = BPF_CORE_READ(mm, rss_stat[i].count);                  \
		}                                                                   \
		_v < 0 ? 0 : _v;                                                    \
	})

/* KiB from pages (4 KiB pages: x86-64, the only target built). */
#define PAGES_TO_KB(n) ((__u64)(n) << 2)

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
	case T_EXE_FLAGS: v = exe_flags(t); break;
	case T_EXE_INO: v = BPF_CORE_READ(exe_inode(t), i_ino); break;
	case T_EXE_CTIME: v = inode_time_ns(exe_inode(t), false); break;
	case T_EXE_MTIME: v = inode_time_ns(exe_inode(t), true); break;
	case T_CGROUPS:
		return put_cgroups(s, start, t);
	case T_VM_SIZE:
	case T_VM_RSS:
	case T_VM_SWAP: {
		/* A kernel thread or an exiting task has no mm: 0, as Falco writes. */
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		if (!mm)
			break;
		if (field == T_VM_SIZE)
			v = PAGES_TO_KB(BPF_CORE_READ(mm, total_vm));
		else if (field == T_VM_SWAP)
			v = PAGES_TO_KB(MM_COUNTER(mm, 2));
		else
			v = PAGES_TO_KB(MM_COUNTER(mm, 0) + MM_COUNTER(mm, 1) + MM_COUNTER(mm, 3));
		break;
	}
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

#endif
