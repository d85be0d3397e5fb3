// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: the GUNYAH_VM_ADD_FUNCTION + GUNYAH_VM_REMOVE_FUNCTION round trip, with 1, 10,
 * 100 and 1000 live instances in the VM (Documentation/benchmarks.rst).
 *
 * One VM per function type and instance count N: not started, no memory, with N - 1
 * instances of the type already there, each on its own eventfd (kept open): ioeventfds at
 * distinct addresses, irqfds on distinct labels. The round trip adds one more instance, on an
 * eventfd of its own, and removes it again, so that it runs with N live instances. The
 * removal names the newest instance, which the VM manager finds last. Rows:
 *
 *   fn_ioeventfd live=N, fn_irqfd live=N
 *	The round trip (two ioctls) over one no-op ioctl on the same VM fd (an ioctl number the
 *	VM fd does not take: the driver's handler answers -ENOTTY). Target 3: the two system
 *	calls account for 2 of it, so an instance may cost at most one more system call's worth
 *	to add and remove.
 *   fn_ioeventfd_scale 1000/1, fn_irqfd_scale 1000/1 (and 10/1, 100/1)
 *	The round trip with N live instances over with 1. Target 1.25: the cost must stay flat.
 */

#include "bench_util.h"

#define ROUNDS		21	/* reported; one warm-up round more */
#define ITERS		500	/* round trips (and no-op ioctls) per timing */
#define N_LIVE		4
#define N_TYPES		2
#define RT_ADDR		0x20000000ULL	/* the round trip's ioeventfd, above the others */
#define RT_LABEL	0x100000	/* the round trip's irqfd, above the others */

static const unsigned int n_live[N_LIVE] = { 1, 10, 100, 1000 };
static const char *const type_names[N_TYPES] = { "fn_ioeventfd", "fn_irqfd" };

/**
 * struct fn_vm - a VM with N - 1 instances of a type
 * @irqfd: the type is GUNYAH_FN_IRQFD (else GUNYAH_FN_IOEVENTFD)
 * @live: N
 * @vm: the VM
 * @efd: the round trip's eventfd
 * @row: the rounds
 * @err: why the row failed, or ""
 */
struct fn_vm {
	bool irqfd;
	unsigned int live;
	struct ghv_vm vm;
	int efd;
	struct bench_row row;
	char err[128];
};

/* Add (or remove) instance @i of the VM's type on @fd: 0 or -errno */
static int fn_instance(struct fn_vm *m, bool add, int fd, bool rt, unsigned int i)
{
	if (m->irqfd)
		return ghv_irqfd(m->vm.vmfd, add, fd, rt ? RT_LABEL : i, 0);
	return ghv_ioeventfd(m->vm.vmfd, add, fd, rt ? RT_ADDR : GHV_IOEV_ADDR + 8ULL * i, 4, 0,
			     0);
}

static int fn_vm_setup(struct fn_vm *m)
{
	unsigned int i;
	int ret, fd;

	ret = bench_bare_vm(&m->vm);
	for (i = 1; !ret && i < m->live; i++) {
		fd = ghv_eventfd();
		if (fd < 0)
			return fd;
		ret = fn_instance(m, true, fd, false, i);
	}
	if (ret)
		return ret;
	m->efd = ghv_eventfd();
	return m->efd < 0 ? m->efd : 0;
}

static int fn_noops(struct fn_vm *m, __u64 *ticks)
{
	__u64 t0 = bench_ticks();
	int i;

	for (i = 0; i < ITERS; i++)
		if (ioctl(m->vm.vmfd, BENCH_NOOP_IOCTL) != -1 || errno != ENOTTY)
			return -EPROTO;
	*ticks = bench_ticks() - t0;
	return 0;
}

static int fn_round_trips(struct fn_vm *m, __u64 *ticks)
{
	__u64 t0 = bench_ticks();
	int i, ret;

	for (i = 0; i < ITERS; i++) {
		ret = fn_instance(m, true, m->efd, true, 0);
		if (!ret)
			ret = fn_instance(m, false, m->efd, true, 0);
		if (ret)
			return ret;
	}
	*ticks = bench_ticks() - t0;
	return 0;
}

static void fn_round(struct fn_vm *m, unsigned int r)
{
	__u64 noop = 0, rt = 0;
	int ret;

	if (m->err[0])
		return;
	if (r & 1) {
		ret = fn_noops(m, &noop);
		if (!ret)
			ret = fn_round_trips(m, &rt);
	} else {
		ret = fn_round_trips(m, &rt);
		if (!ret)
			ret = fn_noops(m, &noop);
	}
	if (ret) {
		snprintf(m->err, sizeof(m->err), "%s", strerror(-ret));
		return;
	}
	if (r)
		bench_row_add(&m->row, (double)rt / ITERS, (double)noop / ITERS);
}

int main(void)
{
	static struct fn_vm vms[N_TYPES][N_LIVE];
	char param[32];
	unsigned int t, i, r, j;
	int ret;

	for (t = 0; t < N_TYPES; t++) {
		for (i = 0; i < N_LIVE; i++) {
			snprintf(param, sizeof(param), "live=%u", n_live[i]);
			bench_plan(type_names[t], param);
			vms[t][i].irqfd = t == 1;
			vms[t][i].live = n_live[i];
			vms[t][i].efd = -1;
			ghv_vm_init(&vms[t][i].vm);
		}
		for (i = 1; i < N_LIVE; i++) {
			snprintf(param, sizeof(param), "%u/%u", n_live[i], n_live[0]);
			bench_plan(t ? "fn_irqfd_scale" : "fn_ioeventfd_scale", param);
		}
	}

	ret = bench_init();
	for (t = 0; !ret && t < N_TYPES; t++)
		for (i = 0; !ret && i < N_LIVE; i++)
			ret = fn_vm_setup(&vms[t][i]);
	if (ret)
		for (t = 0; t < N_TYPES; t++)
			for (i = 0; i < N_LIVE; i++)
				snprintf(vms[t][i].err, sizeof(vms[t][i].err), "setup failed: %s",
					 strerror(-ret));

	for (r = 0; !ret && r <= ROUNDS; r++) {
		for (j = 0; j < N_TYPES * N_LIVE; j++) {
			unsigned int k = r & 1 ? N_TYPES * N_LIVE - 1 - j : j;

			fn_round(&vms[k / N_LIVE][k % N_LIVE], r);
		}
	}

	for (t = 0; t < N_TYPES; t++) {
		for (i = 0; i < N_LIVE; i++) {
			struct fn_vm *m = &vms[t][i];

			snprintf(param, sizeof(param), "live=%u", n_live[i]);
			m->row.failed = m->err[0] != '\0';
			if (m->row.failed) {
				bench_error(type_names[t], param, "%s", m->err);
				ret = -EIO;
			} else {
				bench_row_print(type_names[t], param, &m->row, true, "3", "");
			}
		}
		for (i = 1; i < N_LIVE; i++) {
			snprintf(param, sizeof(param), "%u/%u", n_live[i], n_live[0]);
			bench_scale_print(t ? "fn_irqfd_scale" : "fn_ioeventfd_scale", param,
					  &vms[t][i].row, &vms[t][0].row, "1.25");
		}
	}

	for (t = 0; t < N_TYPES; t++)
		for (i = 0; i < N_LIVE; i++)
			ghv_vm_destroy(&vms[t][i].vm);
	return ret ? 1 : 0;
}
