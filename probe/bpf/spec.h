/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The contract between the kernel program and the loader: how each syscall's
 * event is laid out. User space fills SPECS[nr] from the event schema
 * (probe/src/spec.rs mirrors these numbers); the kernel walks the list and
 * writes each parameter in scap layout. Keeping the layouts in data instead
 * of one C function per syscall means a new syscall is a table row, and the
 * verifier checks one parameter writer instead of fifty event builders.
 */
#ifndef SCAPBRIDGE_SPEC_H
#define SCAPBRIDGE_SPEC_H

#define SPEC_MAX_PARAMS 32
#define SYSCALL_TABLE_SIZE 512

/* Parameter kinds. */
#define K_EMPTY 0      /* zero-length parameter */
#define K_RET 1        /* the return value, 8 bytes */
#define K_ARG 2        /* syscall argument `arg`, `width` bytes (1, 2, 4, 8); aux 1: a C int, sign-extended */
#define K_ZERO 3       /* `width` zero bytes: a value the probe does not read */
#define K_USTR 4       /* NUL-terminated user string at argument `arg` */
#define K_UBUF 5       /* user bytes at `arg`; length from `aux` (AUX_LEN_RET or an argument), snaplen */
#define K_SOCKADDR 6   /* user sockaddr at `arg`, length in argument `aux` */
#define K_TUPLE 7      /* socket tuple of fd `arg` (ARG_RET: the return value); aux 1 = inbound */
#define K_TASK 8       /* a field of the current task, `aux` = T_* */
#define K_SC_ID 9      /* the generic event's ppm syscall code, 2 bytes */
#define K_NATIVE_ID 10 /* the syscall number, 2 bytes */
#define K_IOV 11       /* data of the iovec array at `arg` (count in argument `aux`), snaplen */
#define K_RET_SIZE 12  /* the return value as a u32 size (0 when negative) */
#define K_SKIP 13      /* written by the previous parameter (exe writes args too) */
#define K_MSG_IOV 14   /* data of the iovecs of the msghdr at `arg`, snaplen */
#define K_UDEREF 15    /* `width` bytes read from user memory at argument `arg` */
#define K_EXEC_NAME 16 /* the path the kernel executed (recorded at sched_process_exec) */
#define K_DYN64 17     /* PT_DYN alternative 0 (u64) holding argument `arg` */
#define K_FCNTL_CMD 18 /* fcntl command `arg` as its one-byte PPM_FCNTL_* value */
#define K_FD_DEV 19    /* device of fd `arg` (ARG_RET: the return value), new_encode_dev, 4 bytes */
#define K_FD_INO 20    /* inode number of fd `arg` (ARG_RET: the return value), 8 bytes */
#define K_FDLIST 21    /* poll fds: the pollfd array at `arg`, count in argument `aux` */
#define K_RELTIME 22   /* struct timespec at `arg` in ns, 8 bytes (NULL: 0) */
#define K_O_FLAGS16 24 /* O_NONBLOCK / O_CLOEXEC of argument `arg` as PPM_O_* in 2 bytes (eventfd2, signalfd4, inotify_init1) */
#define K_INT_AT 23    /* the C int at user `arg` + `aux`, sign-extended to 8 bytes */
#define K_FD_PATH 25   /* path of fd `arg` (ARG_RET: the return value), empty when no file */
#define K_FSCONFIG_VALUE 27 /* fsconfig's value by command (cmd in argument 1, value 3, aux 4): aux 0 the binary blob, 1 the string */
#define K_SOCKOPT 26   /* set/getsockopt's PT_DYN value (level, optname, optval, optlen in arguments 1-4; aux 1: optlen is a pointer) */
#define K_QUOTACTL 28  /* one of quotactl's exit parameters, `aux` = QC_* below */
#define K_PRCTL_ARG2 29 /* prctl's arg2 as libs writes it: aux 0 arg2_str, aux 1 arg2_int (see emit.h) */

/* quotactl's exit parameters for K_QUOTACTL (cmd in argument 0, special 1, id 2, addr 3). */
#define QC_QUOTAFILE 0  /* the quota file's path (Q_QUOTAON only) */
#define QC_DQB_FIRST 1  /* 1-7: struct if_dqblk's limits, space and times (Q_GETQUOTA/SETQUOTA) */
#define QC_DQB_LAST 7
#define QC_DQI_BGRACE 8 /* struct if_dqinfo's (Q_GETINFO/SETINFO) */
#define QC_DQI_IGRACE 9
#define QC_DQI_FLAGS 10
#define QC_FMT_OUT 11   /* the format Q_GETFMT returned, Linux QFMT_* */
#define QC_CMD 12       /* the subcommand: Q_*'s low byte or XQM's 0x58xx, 0xffff unknown */
#define QC_TYPE 13      /* USRQUOTA, GRPQUOTA... (Linux) */
#define QC_ID 14        /* the user or group id, for the commands that take one */
#define QC_FMT 15       /* the format asked for by Q_QUOTAON, Linux QFMT_* */

/* K_FD_DEV / K_FD_INO: `aux` AUX_FD_AT_USER: the fd is the C int at user `arg` + `width`. */
#define AUX_FD_AT_USER 1

#define ARG_RET 0xff     /* K_TUPLE: the fd is the return value */
#define AUX_LEN_RET 0xff /* K_UBUF: the length is the return value */

/* Task fields for K_TASK. */
#define T_EXE_ARGS 1 /* exe then args: two parameters */
#define T_TID 2
#define T_PID 3
#define T_PTID 4
#define T_CWD 5
#define T_FDLIMIT 6
#define T_PGFT_MAJ 7
#define T_PGFT_MIN 8
#define T_COMM 9
#define T_ENV 10
#define T_TTY 11
#define T_PGID 12
#define T_LOGINUID 13
#define T_CAP_INH 14
#define T_CAP_PERM 15
#define T_CAP_EFF 16
#define T_UID 17
#define T_GID 18
#define T_EXEPATH 19
#define T_SID 20
#define T_CGROUPS 21     /* subsys=path\0 items, the subsystems Falco's modern probe writes */
#define T_VTID 22        /* thread id in its own pid namespace */
#define T_VPID 23        /* process id in its own pid namespace */
#define T_VPGID 24       /* process group id in its own pid namespace */
#define T_PIDNS_START 25 /* start time of the pid namespace's init (clone child only, else 0) */
#define T_EXE_FLAGS 26   /* execve flags: PPM_EXE_WRITABLE / _UPPER_LAYER / _FROM_MEMFD / _LOWER_LAYER */
#define T_EXE_INO 27     /* inode number of the executable */
#define T_EXE_CTIME 28   /* its ctime, ns since the epoch */
#define T_EXE_MTIME 29   /* its mtime, ns since the epoch */
#define T_VM_SIZE 30     /* total mapped memory, KiB (/proc's VmSize) */
#define T_VM_RSS 31      /* resident memory, KiB (/proc's VmRSS) */
#define T_VM_SWAP 32     /* swapped-out memory, KiB (/proc's VmSwap) */

struct param_spec {
	__u8 kind;
	__u8 arg;
	__u8 aux;
	__u8 width;
};

/*
 * In syscall_spec.enter_n: the enter event is written at syscall entry by
 * the time-of-check hooks (open family, connect), not beside the exit.
 */
#define ENTER_AT_ENTRY 0x80
/*
 * In syscall_spec.enter_n: one exit event per message (sendmmsg, recvmmsg),
 * as libs writes them: argument 1 is moved to each struct mmsghdr in turn
 * and the return value is that message's msg_len.
 */
#define EACH_MESSAGE 0x40
#define ENTER_N_MASK 0x3f

/*
 * In syscall_spec.exit_n: every parameter of both events is a simple kind
 * (return value, argument, zero, ids, user bytes) and there are at most
 * SIMPLE_MAX of them, so the events are written straight-line instead of
 * one bpf_loop callback per parameter (read, write, the generic event: the
 * syscalls a busy process makes most).
 */
#define EXIT_SIMPLE 0x80
/*
 * In syscall_spec.exit_n: the layout uses a rare kind (K_SOCKOPT,
 * K_FSCONFIG_VALUE, K_QUOTACTL), written by param_rare_cb, which knows
 * those and the plain kinds only (emit.h, write_param).
 */
#define EXIT_RARE 0x40
#define EXIT_N_MASK 0x3f
#define SIMPLE_MAX 6

struct syscall_spec {
	__u16 enter_type; /* written only when enter_n > 0 (the generic enter is id 0) */
	__u16 exit_type;
	__u16 ppm_sc;     /* for the generic event */
	__u8 enter_n;
	__u8 exit_n;
	/* enter parameters first, then exit parameters */
	struct param_spec p[SPEC_MAX_PARAMS];
};

/* Per-CPU counters, summed by user space. */
struct probe_stats {
	__u64 n_evts;       /* events the probe tried to emit */
	__u64 n_drops_buffer; /* lost: the ring was full */
	__u64 n_truncated;  /* emitted with parameters cut to fit the event size */
	__u64 n_scoped_out; /* not emitted: the thread's cgroup is outside the scope */
};

#endif
