/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe's configuration (patched by the loader), the per-CPU scratch
 * record, the rings, the maps user space fills or reads, and the pid filter.
 * Needs kernel_types.h, the libbpf headers and spec.h.
 *
 * Part of probe.bpf.c's one translation unit (CO-RE relocates one object):
 * included there, after the headers it names, never compiled alone.
 */
#ifndef SCAPBRIDGE_MAPS_H
#define SCAPBRIDGE_MAPS_H

/* Patched by the loader before load (aya's override_global). */
const volatile __u32 IGNORE_TGID = 0;  /* the capture process itself */
const volatile __u8 FILTER_PIDS = 0;   /* only tgids in PIDS (and their children) */
const volatile __u32 SNAPLEN = 80;     /* bytes of I/O data per event */
const volatile __u64 BOOT_TIME = 0;    /* wall-clock ns at boot, added to boot-clock stamps */
const volatile __u64 RB_FLAGS = BPF_RB_NO_WAKEUP; /* the consumer polls */
/* Only threads in SCOPE_CGROUPS (or below): 0 off, else the hierarchy read (scope.h). */
const volatile __u8 SCOPE_CGROUP = 0;

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

/* Cgroup ids (kernfs ids: the directories' inode numbers) of a scoped capture. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} SCOPE_CGROUPS SEC(".maps");

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

/* The layout of the syscall being written (the scratch space's), and that
 * scratch space in *out; NULL when either lookup fails. */
static __always_inline struct syscall_spec *current_spec(struct scratch **out)
{
	struct scratch *s = scratch();
	if (!s)
		return NULL;
	*out = s;
	__u32 nr = s->c.nr;
	return bpf_map_lookup_elem(&SPECS, &nr);
}

static __always_inline struct probe_stats *stats(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&STATS, &zero);
}

#endif
