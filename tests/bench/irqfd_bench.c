// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: an eventfd write that an irqfd delivers to a doorbell, with 1, 64 and 1024
 * irqfds in the VM (Documentation/benchmarks.rst).
 *
 * Each VM is started with two doorbells, labels 1 and 2. It has an irqfd on label 1, the one
 * written to, and K - 1 more on labels without a doorbell, each on its own eventfd (all kept
 * open). Rows:
 *
 *   irqfd irqfds=K
 *	write() of 1 to the irqfd's eventfd, which rings doorbell 1 before write() returns (the
 *	irqfd rings from the eventfd's wakeup, in the writer's context), over a bare write() of 1
 *	to an eventfd nobody waits on plus one doorbell hypercall, made in the kernel by
 *	gunyah_bench.ko on doorbell 2 with the irqfd's flag. The floor's two parts are timed one
 *	after the other, in the same round as the workload. Target 1.5.
 *   irqfd_scale K/1
 *	The delivery with K irqfds over with 1. No target: an irqfd's delivery does not look at
 *	the other irqfds, and this row shows that it stays so.
 *
 * Delivery is checked: the simulator's bell_sends counter must grow by exactly one for every
 * write to an irqfd and every hypercall of the floor.
 */

#include "bench_util.h"

#define ROUNDS		31	/* reported; one warm-up round more */
#define ITERS		2000	/* writes (and hypercalls) per timing */
#define N_VMS		3
#define LABEL_IRQFD	1
#define LABEL_FLOOR	2
#define LABEL_OTHERS	1000	/* labels of the other irqfds, no doorbell behind them */

static const unsigned int n_irqfds[N_VMS] = { 1, 64, 1024 };

/**
 * struct irqfd_vm - a started VM with K irqfds
 * @k: irqfds
 * @vm: the VM
 * @efd: the eventfd of the irqfd on LABEL_IRQFD
 * @rings: doorbell rings of the rounds that went through
 * @row: the rounds
 * @err: why this VM's row failed, or ""
 */
struct irqfd_vm {
	unsigned int k;
	struct ghv_vm vm;
	int efd;
	long long rings;
	struct bench_row row;
	char err[128];
};

static int irqfd_vm_setup(struct irqfd_vm *m)
{
	static const __u32 labels[] = { LABEL_IRQFD, LABEL_FLOOR };
	unsigned int i;
	int ret, fd;

	ret = ghv_vm_create(&m->vm, GHV_MEM_SIZE);
	if (!ret)
		ret = ghv_vm_configure(&m->vm, 1, labels, 2);
	if (!ret) {
		ghv_power_off(&m->vm.prog, GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT, 0, 4);
		ret = ghv_vm_start(&m->vm);
	}
	if (ret)
		return ret;
	m->efd = ghv_eventfd();
	if (m->efd < 0)
		return m->efd;
	ret = ghv_irqfd(m->vm.vmfd, true, m->efd, LABEL_IRQFD, 0);
	for (i = 1; !ret && i < m->k; i++) {
		fd = ghv_eventfd();
		if (fd < 0)
			return fd;
		ret = ghv_irqfd(m->vm.vmfd, true, fd, LABEL_OTHERS + i, 0);
	}
	return ret;
}

/* ITERS writes of 1 to @fd: the @ticks they took; 0 or -errno */
static int irqfd_writes(int fd, __u64 *ticks)
{
	__u64 t0 = bench_ticks();
	__u64 one = 1;
	int i;

	for (i = 0; i < ITERS; i++)
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			return -errno;
	*ticks = bench_ticks() - t0;
	return 0;
}

static void irqfd_round(struct irqfd_vm *m, int bare, unsigned int r)
{
	struct gunyah_bench_arg arg = {
		.op = GUNYAH_BENCH_OP_BELL,
		.rounds = 1,
		.iters = ITERS,
		.label = LABEL_FLOOR,
	};
	__u64 work = 0, bare_ticks = 0;
	__u64 res[2] = { 0 };
	int ret;

	if (m->err[0])
		return;
	if (r & 1) {
		ret = irqfd_writes(bare, &bare_ticks);
		if (!ret)
			ret = bench_kernel(m->vm.vmfd, &arg, res);
		if (!ret)
			ret = irqfd_writes(m->efd, &work);
	} else {
		ret = irqfd_writes(m->efd, &work);
		if (!ret)
			ret = irqfd_writes(bare, &bare_ticks);
		if (!ret)
			ret = bench_kernel(m->vm.vmfd, &arg, res);
	}
	if (ret) {
		snprintf(m->err, sizeof(m->err), "%s", strerror(-ret));
		return;
	}
	m->rings += 2 * ITERS;
	/* Empty the bare eventfd, untimed: its counter must not creep up to the limit */
	ghv_eventfd_take(bare);
	if (r)
		bench_row_add(&m->row, (double)work / ITERS, (double)(bare_ticks + res[1]) / ITERS);
}

int main(void)
{
	static struct irqfd_vm vms[N_VMS];
	long long sends_before, sends, want;
	char param[32];
	unsigned int i, r;
	int ret, bare = -1;
	bool failed;

	for (i = 0; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "irqfds=%u", n_irqfds[i]);
		bench_plan("irqfd", param);
		vms[i].k = n_irqfds[i];
		vms[i].efd = -1;
		ghv_vm_init(&vms[i].vm);
	}
	for (i = 1; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "%u/%u", n_irqfds[i], n_irqfds[0]);
		bench_plan("irqfd_scale", param);
	}

	ret = bench_init();
	for (i = 0; !ret && i < N_VMS; i++)
		ret = irqfd_vm_setup(&vms[i]);
	if (!ret) {
		bare = ghv_eventfd();
		if (bare < 0)
			ret = bare;
	}
	for (i = 0; ret && i < N_VMS; i++)
		snprintf(vms[i].err, sizeof(vms[i].err), "setup failed: %s", strerror(-ret));

	sends_before = ghv_sim_counter("bell_sends");
	for (r = 0; !ret && r <= ROUNDS; r++)
		for (i = 0; i < N_VMS; i++)
			irqfd_round(&vms[r & 1 ? N_VMS - 1 - i : i], bare, r);

	/* Every write to an irqfd and every hypercall of the floor rang a doorbell once */
	sends = ghv_sim_counter("bell_sends") - sends_before;
	want = 0;
	failed = false;
	for (i = 0; i < N_VMS; i++) {
		want += vms[i].rings;
		failed |= vms[i].err[0] != '\0';
	}
	if (sends_before < 0)
		bench_note("no simulator: doorbell rings not counted");
	else if (failed)
		bench_note("doorbell rings not counted: a VM failed");
	else if (sends != want)
		for (i = 0; i < N_VMS; i++)
			snprintf(vms[i].err, sizeof(vms[i].err),
				 "%lld doorbell rings, %lld expected", sends, want);

	for (i = 0; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "irqfds=%u", n_irqfds[i]);
		vms[i].row.failed = vms[i].err[0] != '\0';
		if (vms[i].row.failed) {
			bench_error("irqfd", param, "%s", vms[i].err);
			ret = -EIO;
		} else {
			bench_row_print("irqfd", param, &vms[i].row, true, "1.5", "");
		}
	}
	for (i = 1; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "%u/%u", n_irqfds[i], n_irqfds[0]);
		bench_scale_print("irqfd_scale", param, &vms[i].row, &vms[0].row, "-");
	}

	for (i = 0; i < N_VMS; i++)
		ghv_vm_destroy(&vms[i].vm);
	return ret ? 1 : 0;
}
