/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The few kernel types the probe reads, declared by hand instead of a 2.8 MB
 * bpftool dump of vmlinux.h. Every struct carries preserve_access_index, so
 * clang records CO-RE relocations and the loader (aya) moves each field to
 * its offset in the running kernel's BTF: the layouts below need only the
 * field names and types to be right, not their order or the struct sizes.
 * Only struct pt_regs (the x86-64 syscall ABI) is read at fixed offsets.
 */
#ifndef SCAPBRIDGE_KERNEL_TYPES_H
#define SCAPBRIDGE_KERNEL_TYPES_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* From include/uapi/linux/bpf.h (stable ABI numbers). */
enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };
enum { BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

typedef struct { unsigned int val; } kuid_t;
typedef struct { unsigned int val; } kgid_t;
typedef struct { __u64 val; } kernel_cap_t;

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct super_block {
	unsigned long s_magic;
	unsigned long s_flags;
	__u32 s_dev;
};

struct timespec64 {
	__s64 tv_sec;
	long tv_nsec;
};

/* Since 6.11 the times are split in seconds and nanoseconds. */
struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
	__u16 i_mode;
	unsigned int i_flags;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int __i_nlink;
	__s64 i_mtime_sec;
	__s64 i_ctime_sec;
	__u32 i_mtime_nsec;
	__u32 i_ctime_nsec;
};

/* 6.7 to 6.10: every time a struct timespec64 behind accessors. */
struct inode___v6_7 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
};

/* Before 6.6 (i_ctime) and 6.6 (__i_ctime, i_mtime). */
struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

/* mm counters (NR_MM_COUNTERS): MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES. */
struct percpu_counter {
	__s64 count;
};

typedef struct {
	long counter;
} atomic_long_t;

/* Up to 6.1: one struct of atomic counters (gone since 6.2). */
struct mm_rss_stat {
	atomic_long_t count[4];
};

struct mm_struct___v6_1 {
	struct mm_rss_stat rss_stat;
};

struct mm_struct {
	struct {
		unsigned long total_vm;
		struct percpu_counter rss_stat[4];
		unsigned long arg_start;
		unsigned long arg_end;
		unsigned long env_start;
		unsigned long env_end;
		struct file *exe_file;
	};
};

struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};

struct task_struct;

struct pid_namespace {
	struct task_struct *child_reaper;
	unsigned int level;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

/* numbers[] has level + 1 entries: [level] is the id in the pid's own namespace. */
struct pid {
	unsigned int level;
	struct upid numbers[1];
};

/* cgroups: each subsystem's state points at its cgroup, whose kernfs node names it. */
struct kernfs_node {
	struct kernfs_node *__parent; /* `parent` before 6.15 */
	const char *name;
	__u64 id; /* the inode number of a cgroup directory: its cgroup id */
};

struct kernfs_node___old {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys {
	const char *name;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
};

struct css_set {
	struct cgroup_subsys_state *subsys[1];
	struct cgroup *dfl_cgrp; /* the task's cgroup in the default (v2) hierarchy */
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
};

struct signal_struct {
	struct pid *pids[4];
	struct tty_struct *tty;
	struct rlimit rlim[16];
};

struct cred {
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct task_struct {
	int exit_code;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	unsigned long min_flt;
	unsigned long maj_flt;
	const struct cred *cred;
	char comm[16];
	struct fs_struct *fs;
	struct files_struct *files;
	struct signal_struct *signal;
	struct mm_struct *mm;
	kuid_t loginuid;
	struct pid *thread_pid;
	struct css_set *cgroups;
	__u64 start_time;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	union {
		__u64 skc_addrpair;
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		__u32 skc_portpair;
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct socket {
	struct sock *sk;
};

struct linux_binprm {
	const char *filename;
};

#pragma clang attribute pop

/* Subsystem ids: their values come from the running kernel (CO-RE enum relocations). */
enum cgroup_subsys_id {
	cpuset_cgrp_id,
	cpu_cgrp_id,
	cpuacct_cgrp_id,
	io_cgrp_id,
	memory_cgrp_id,
};

#endif
