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

/* The rest of the one object, each part after those it uses. */
#include "maps.h"
#include "read.h"
#include "task.h"
#include "emit.h"
#include "scope.h"

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
	g->st = stats();
	/* Before anything is built: out of scope costs a cgroup walk, no more. */
	if (!scoped_in(g->st))
		return false;
	g->s = scratch();
	g->sp = bpf_map_lookup_elem(&SPECS, &nr);
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
	__u32 enter_n = sp->enter_n & ENTER_N_MASK;
	__u32 exit_n = sp->exit_n & EXIT_N_MASK;
	bool rare = sp->exit_n & EXIT_RARE;
	if (sp->exit_n & EXIT_SIMPLE) {
		/* Never written at entry: the loader flags only such layouts. */
		if (enter_n)
			emit_simple(s, c, sp, sp->enter_type, 0, enter_n, ts, tid);
		emit_simple(s, c, sp, sp->exit_type, enter_n, exit_n, ts, tid);
		submit(s, st);
		return 0;
	}
	if ((sp->enter_n & EACH_MESSAGE) && ret > 0) {
		each_message(c, ret, tid);
		return 0;
	}
	/* The exit's parameters follow the enter's in the spec either way. */
	if (enter_n && !(sp->enter_n & ENTER_AT_ENTRY))
		emit_event(s, c, sp->enter_type, 0, enter_n, ts, tid, rare);
	emit_event(s, c, sp->exit_type, enter_n, exit_n, ts, tid, rare);
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
	emit_event(s, c, sp->enter_type, 0, sp->enter_n & ENTER_N_MASK,
		   bpf_ktime_get_boot_ns() + BOOT_TIME, (__u32)pt, false);
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

/* The procexit event of the current thread, p, into its CPU's ring. */
static __always_inline void put_procexit(struct task_struct *p, __u64 pt, struct probe_stats *st)
{
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
}

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
	if (scoped_in(st))
		put_procexit(p, pt, st);
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
	if (!traced(tgid) || !in_scope())
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
