/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scoped captures (--container, --pod): a thread is captured only when its
 * cgroup, or one of its ancestors, is in SCOPE_CGROUPS, which user space
 * fills with the cgroup ids of the containers asked for (and adds to when
 * one starts during the capture). Checked first in every program, before a
 * record is built or ring space reserved; what it keeps out is counted in
 * n_scoped_out, so the capture can show that the rest never left the kernel.
 *
 * SCOPE_CGROUP says which hierarchy the cgroup is read from: 1 the default
 * (cgroup v2) one, 2 the memory controller's (cgroup v1 and hybrid machines,
 * where the default hierarchy may not hold containers). The ids are kernfs
 * ids, which are the cgroup directories' inode numbers user space reads.
 *
 * Part of probe.bpf.c's one translation unit: needs task.h (kn_parent).
 */
#ifndef SCAPBRIDGE_SCOPE_H
#define SCAPBRIDGE_SCOPE_H

#define SCOPE_DEFAULT 1
#define SCOPE_MEMORY 2
/* Ancestors looked at: a container's child cgroups are kept, to this depth. */
#define SCOPE_DEPTH 16

struct scope_walk {
	__u64 kn;
	__u32 hit;
};

static long scope_cb(__u32 i, void *data)
{
	struct scope_walk *w = data;
	struct kernfs_node *kn = (struct kernfs_node *)w->kn;
	if (!kn)
		return 1;
	__u64 id = BPF_CORE_READ(kn, id);
	if (bpf_map_lookup_elem(&SCOPE_CGROUPS, &id)) {
		w->hit = 1;
		return 1;
	}
	w->kn = (__u64)kn_parent(kn);
	return 0;
}

/* Whether the current thread is in the scope (always, when there is none). */
static __always_inline bool in_scope(void)
{
	if (!SCOPE_CGROUP)
		return true;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	struct cgroup *cg = 0;
	if (!cs)
		return false;
	if (SCOPE_CGROUP == SCOPE_MEMORY) {
		struct cgroup_subsys_state *css = 0;
		if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
			return false;
		__u32 mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		bpf_core_read(&css, sizeof(css), &cs->subsys[mem & 15]);
		if (!css)
			return false;
		cg = BPF_CORE_READ(css, cgroup);
	} else {
		cg = BPF_CORE_READ(cs, dfl_cgrp);
	}
	if (!cg)
		return false;
	struct scope_walk w = { .kn = (__u64)BPF_CORE_READ(cg, kn), .hit = 0 };
	bpf_loop(SCOPE_DEPTH, scope_cb, &w, 0);
	return w.hit;
}

/* in_scope, counting a thread kept out in st. */
static __always_inline bool scoped_in(struct probe_stats *st)
{
	if (in_scope())
		return true;
	if (st)
		st->n_scoped_out++;
	return false;
}

#endif
