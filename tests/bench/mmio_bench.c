// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: guest MMIO writes that an ioeventfd takes in the kernel, with 1, 64 and 1024
 * ioeventfds in the VM (Documentation/benchmarks.rst).
 *
 * Each VM has K ioeventfds of 4 bytes at GHV_IOEV_ADDR + 8 * i, each on its own eventfd (all
 * kept open, as a VMM keeps them), and the writes go to the one at i = K / 2. Rows:
 *
 *   mmio_dispatch ioeventfds=K
 *	In the kernel (gunyah_bench.ko): gunyah_vm_mmio_write() as a vCPU calls it for the
 *	write (the VM's lookup among K handlers, then the handler's eventfd_signal()), over a
 *	bare eventfd_signal() on the same eventfd. Target 1.5.
 *   mmio_dispatch_scale K/1
 *	That dispatch with K ioeventfds over the dispatch with 1, round by round. Target 1.25.
 *   mmio_guest ioeventfds=K
 *	End to end, from userspace: one GUNYAH_VCPU_RUN in which the simulated guest writes
 *	GUEST_WRITES times to the ioeventfd (each write leaves the vCPU, is dispatched in the
 *	kernel and the vCPU runs on) and then exits to userspace; over the same RUN of a guest
 *	that yields instead of writing (a vCPU exit the kernel resumes with no work). Shows what
 *	the dispatch adds to a whole exit; no target: the simulator's interpreter, which stands in
 *	for the hardware, is most of both.
 *   mmio_guest_scale K/1
 *	The guest's write with K ioeventfds over with 1. Target 1.25. The simulator's share is
 *	the same for every K and dilutes the growth; mmio_dispatch_scale is the strict one.
 *
 * Every eventfd signal is counted: the run fails if the target's eventfd was not signalled
 * exactly once per write and per floor operation.
 */

#include "bench_util.h"

#define ROUNDS		31	/* reported; one warm-up round more */
#define KERN_ITERS	5000	/* dispatches (and eventfd_signal()s) per in-kernel timing */
#define GUEST_WRITES	1000	/* guest writes (or yields) per GUNYAH_VCPU_RUN */
#define N_VMS		3

static const unsigned int n_ioeventfds[N_VMS] = { 1, 64, 1024 };

/**
 * struct mmio_vm - a VM with K ioeventfds
 * @k: ioeventfds
 * @vm: the VM
 * @writer: vCPU 0, whose guest writes to the ioeventfd
 * @yielder: vCPU 1, whose guest yields
 * @efd: the eventfd of the ioeventfd written to
 * @target: its address
 * @signals: signals expected on @efd
 * @kern: the in-kernel rounds
 * @guest: the guest rounds
 * @err: why this VM's rows failed, or NULL
 */
struct mmio_vm {
	unsigned int k;
	struct ghv_vm vm;
	struct ghv_vcpu writer;
	struct ghv_vcpu yielder;
	int efd;
	__u64 target;
	long long signals;
	struct bench_row kern;
	struct bench_row guest;
	char err[128];
};

/*
 * One block per RUN for each vCPU: GUEST_WRITES writes (or yields), then a write to
 * GHV_DEV_ADDR, where no ioeventfd is: an MMIO exit to userspace ends the RUN.
 */
static void mmio_program(struct ghv_prog *p, __u64 target, bool write)
{
	unsigned int b, start;

	ghv_prog_entry(p);
	for (b = 0; b <= ROUNDS; b++) {
		start = ghv_here(p);
		if (write)
			ghv_mmio_write(p, target, 4, b);
		else
			ghv_yield(p);
		ghv_loop(p, start, GUEST_WRITES - 1);
		ghv_mmio_write(p, GHV_DEV_ADDR, 4, b);
	}
	ghv_power_off(p, GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT, 0, 4);
}

static int mmio_vm_setup(struct mmio_vm *m)
{
	unsigned int i, k = m->k;
	int ret, fd;

	ret = ghv_vm_create(&m->vm, GHV_MEM_SIZE);
	if (!ret)
		ret = ghv_vm_configure(&m->vm, 2, NULL, 0);
	if (!ret)
		ret = ghv_vcpu_add(m->vm.vmfd, 0, &m->writer);
	if (!ret)
		ret = ghv_vcpu_add(m->vm.vmfd, 1, &m->yielder);
	for (i = 0; !ret && i < k; i++) {
		fd = ghv_eventfd();
		if (fd < 0)
			return fd;
		ret = ghv_ioeventfd(m->vm.vmfd, true, fd, GHV_IOEV_ADDR + 8 * i, 4, 0, 0);
		if (i == k / 2) {
			m->efd = fd;
			m->target = GHV_IOEV_ADDR + 8 * i;
		}
	}
	if (ret)
		return ret;
	mmio_program(&m->vm.prog, m->target, true);
	mmio_program(&m->vm.prog, m->target, false);
	if (m->vm.prog.err)
		return m->vm.prog.err;
	return ghv_vm_start(&m->vm);
}

/* One RUN: @ticks it took; -EPROTO unless it ended with the exit write to GHV_DEV_ADDR */
static int mmio_guest_run(struct ghv_vcpu *v, __u64 *ticks)
{
	__u64 t0 = bench_ticks();
	int ret = ghv_vcpu_run(v);

	*ticks = bench_ticks() - t0;
	if (ret)
		return ret;
	if (v->run->exit_reason != GUNYAH_VCPU_EXIT_MMIO || !v->run->mmio.is_write ||
	    v->run->mmio.phys_addr != GHV_DEV_ADDR)
		return -EPROTO;
	return 0;
}

static void mmio_round(struct mmio_vm *m, unsigned int r)
{
	struct gunyah_bench_arg arg = {
		.op = GUNYAH_BENCH_OP_MMIO,
		.rounds = 1,
		.iters = KERN_ITERS,
		.fd = m->efd,
		.addr = m->target,
		.len = 4,
		.value = r,
		.flags = r & 1 ? 0 : GUNYAH_BENCH_FLAG_SWAP,
	};
	__u64 yield_ticks = 0, write_ticks = 0;
	__u64 res[2] = { 0 };
	int ret;

	if (m->err[0])
		return;
	ret = bench_kernel(m->vm.vmfd, &arg, res);
	if (ret) {
		snprintf(m->err, sizeof(m->err), "in-kernel dispatch: %s", strerror(-ret));
		return;
	}
	m->signals += 2 * KERN_ITERS;

	if (r & 1) {
		ret = mmio_guest_run(&m->yielder, &yield_ticks);
		if (!ret)
			ret = mmio_guest_run(&m->writer, &write_ticks);
	} else {
		ret = mmio_guest_run(&m->writer, &write_ticks);
		if (!ret)
			ret = mmio_guest_run(&m->yielder, &yield_ticks);
	}
	if (ret) {
		snprintf(m->err, sizeof(m->err), "GUNYAH_VCPU_RUN: %s", strerror(-ret));
		return;
	}
	m->signals += GUEST_WRITES;

	if (r) {	/* round 0 warms up */
		bench_row_add(&m->kern, (double)res[1] / KERN_ITERS, (double)res[0] / KERN_ITERS);
		bench_row_add(&m->guest, (double)write_ticks / GUEST_WRITES,
			      (double)yield_ticks / GUEST_WRITES);
	}
}

int main(void)
{
	static struct mmio_vm vms[N_VMS];
	char param[32], extra[64];
	unsigned int i, r;
	long long got;
	int ret;

	for (i = 0; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "ioeventfds=%u", n_ioeventfds[i]);
		bench_plan("mmio_dispatch", param);
		bench_plan("mmio_guest", param);
	}
	for (i = 1; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "%u/%u", n_ioeventfds[i], n_ioeventfds[0]);
		bench_plan("mmio_dispatch_scale", param);
		bench_plan("mmio_guest_scale", param);
	}

	for (i = 0; i < N_VMS; i++) {
		vms[i].k = n_ioeventfds[i];
		vms[i].efd = -1;
		ghv_vm_init(&vms[i].vm);
		ghv_vcpu_init(&vms[i].writer);
		ghv_vcpu_init(&vms[i].yielder);
	}
	ret = bench_init();
	for (i = 0; !ret && i < N_VMS; i++) {
		ret = mmio_vm_setup(&vms[i]);
		if (ret)
			snprintf(vms[i].err, sizeof(vms[i].err), "setting up the VM: %s",
				 strerror(-ret));
	}
	if (ret) {
		for (i = 0; i < N_VMS; i++)
			if (!vms[i].err[0])
				snprintf(vms[i].err, sizeof(vms[i].err), "setup failed: %s",
					 strerror(-ret));
	}

	/* Rounds go over every VM, in alternating order, so that drift hits every K alike */
	for (r = 0; !ret && r <= ROUNDS; r++)
		for (i = 0; i < N_VMS; i++)
			mmio_round(&vms[r & 1 ? N_VMS - 1 - i : i], r);

	for (i = 0; i < N_VMS; i++) {
		struct mmio_vm *m = &vms[i];

		if (!m->err[0]) {
			got = ghv_eventfd_take(m->efd);
			if (got != m->signals)
				snprintf(m->err, sizeof(m->err),
					 "the ioeventfd's eventfd got %lld signals, not %lld", got,
					 m->signals);
		}
		m->kern.failed = m->err[0];
		m->guest.failed = m->err[0];
		snprintf(param, sizeof(param), "ioeventfds=%u", m->k);
		if (m->err[0]) {
			bench_error("mmio_dispatch", param, "%s", m->err);
			bench_error("mmio_guest", param, "%s", m->err);
			ret = -EIO;
			continue;
		}
		snprintf(extra, sizeof(extra), "iters=%d", KERN_ITERS);
		bench_row_print("mmio_dispatch", param, &m->kern, true, "1.5", extra);
		snprintf(extra, sizeof(extra), "writes_per_run=%d", GUEST_WRITES);
		bench_row_print("mmio_guest", param, &m->guest, true, "-", extra);
	}
	for (i = 1; i < N_VMS; i++) {
		snprintf(param, sizeof(param), "%u/%u", n_ioeventfds[i], n_ioeventfds[0]);
		bench_scale_print("mmio_dispatch_scale", param, &vms[i].kern, &vms[0].kern, "1.25");
		bench_scale_print("mmio_guest_scale", param, &vms[i].guest, &vms[0].guest, "1.25");
	}

	for (i = 0; i < N_VMS; i++) {
		ghv_vcpu_close(&vms[i].writer);
		ghv_vcpu_close(&vms[i].yielder);
		ghv_vm_destroy(&vms[i].vm);
	}
	return ret ? 1 : 0;
}
