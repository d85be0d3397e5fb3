// SPDX-License-Identifier: GPL-2.0
/*
 * The VM functions on guests of the simulated hypervisor: vCPUs (MMIO and status exits,
 * immediate_exit, signals, several vCPUs, fd lifetime), irqfds and ioeventfds (delivery,
 * argument rules, removal while vCPUs run), and the function modules' reference counts.
 *
 * Runs in the test guest with gunyah_sim and gunyah_rsc_mgr loaded (ADD_FUNCTION autoloads the
 * function modules); skips without /dev/gunyah. Each test builds its own VM (gunyah_vm_util.h):
 * one memory region with the VM config DTB and a guest program. Guests check the values they
 * read and crash on a wrong one, so a bad MMIO round trip shows up as a CRASHED status. A
 * watchdog fails a test whose driver call hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"

#define BELL_WAKE	1	/* the doorbell irqfds ring */
#define BELL_IDLE	2	/* a doorbell nobody rings: a vCPU waiting on it idles until exit */
#define MAX_VCPUS	4
#define NR_EFDS		3
#define JOIN_MS		10000
#define WAIT_MS		5000
#define WATCHDOG_S	25
#define EXIT_TYPE	GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF
#define EXIT_REASON	0x600dU

struct ctx;
typedef void (*ack_fn)(struct ctx *c, unsigned int n);

/**
 * struct ctx - one VM of a test
 * @vm: the VM and its memory
 * @vcpu: its vCPUs (fd -1 when not added)
 * @regs: registers at GHV_DEV_ADDR..., read back as written
 * @efd: eventfds for irqfds and ioeventfds
 * @acks: guest writes to GHV_ACK_ADDR (atomic)
 * @on_ack: called by the vCPU thread after each of them, with the new count
 * @ack_arg: for @on_ack
 */
struct ctx {
	struct ghv_vm vm;
	struct ghv_vcpu vcpu[MAX_VCPUS];
	struct ghv_regs regs;
	int efd[NR_EFDS];
	unsigned int acks;
	ack_fn on_ack;
	unsigned int ack_arg;
};

static int ctx_mmio(struct ghv_vcpu *v, struct gunyah_vcpu_mmio_exit *mmio)
{
	struct ctx *c = v->priv;
	unsigned int n;

	if (mmio->phys_addr == GHV_ACK_ADDR && mmio->is_write) {
		n = __atomic_add_fetch(&c->acks, 1, __ATOMIC_ACQ_REL);
		if (c->on_ack)
			c->on_ack(c, n);
		return 0;
	}
	ghv_regs_access(&c->regs, mmio);
	return 0;
}

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c)
{
	int i, ret;

	memset(c, 0, sizeof(*c));
	ghv_vm_init(&c->vm);
	for (i = 0; i < MAX_VCPUS; i++)
		ghv_vcpu_init(&c->vcpu[i]);
	for (i = 0; i < NR_EFDS; i++)
		c->efd[i] = -1;
	ghv_regs_init(&c->regs);
	if (!ghv_have_dev())
		SKIP(return, "no %s", GHV_DEV_PATH);
	ghv_watchdog_arm(WATCHDOG_S, _metadata->name);
	if (ghv_sim_counter("vcpu_runs") >= 0)
		gh_sim_reset_knobs();	/* a knob another program left armed would fail us */

	ret = ghv_vm_create(&c->vm, GHV_MEM_SIZE);
	ASSERT_EQ(0, ret) TH_LOG("creating a VM with memory: %s", strerror(-ret));
	for (i = 0; i < NR_EFDS; i++) {
		c->efd[i] = ghv_eventfd();
		ASSERT_LE(0, c->efd[i]);
	}
}

static void ctx_teardown(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_VCPUS; i++) {
		ghv_vcpu_kick(&c->vcpu[i]);
		ghv_vcpu_join(&c->vcpu[i], 2000);
		ghv_vcpu_close(&c->vcpu[i]);
	}
	for (i = 0; i < NR_EFDS; i++) {
		if (c->efd[i] >= 0)
			close(c->efd[i]);
		c->efd[i] = -1;
	}
	ghv_vm_destroy(&c->vm);
}

/* The VM config (@n vCPUs, doorbells BELL_WAKE and BELL_IDLE), the boot PC and the vCPUs */
static void ctx_vm(struct __test_metadata *_metadata, struct ctx *c, unsigned int n)
{
	static const __u32 labels[] = { BELL_WAKE, BELL_IDLE };
	unsigned int i;
	int ret;

	ret = ghv_vm_configure(&c->vm, n, labels, 2);
	ASSERT_EQ(0, ret) TH_LOG("VM config: %s", strerror(-ret));
	for (i = 0; i < n; i++) {
		ret = ghv_vcpu_add(c->vm.vmfd, i, &c->vcpu[i]);
		ASSERT_EQ(0, ret) TH_LOG("adding vCPU %u: %s", i, strerror(-ret));
		c->vcpu[i].mmio = ctx_mmio;
		c->vcpu[i].priv = c;
	}
}

static const char *status_name(__u32 status)
{
	static const char * const names[] = { "none", "LOAD_FAILED", "EXITED", "CRASHED" };

	return status < 4 ? names[status] : "?";
}

/* The vCPU's run loop ended with a STATUS exit of @status */
static void expect_status(struct __test_metadata *_metadata, struct ghv_vcpu *v, __u32 status)
{
	EXPECT_EQ(0, v->result)
		TH_LOG("vCPU %u: run loop ended with %d (%s)", v->id, v->result,
		       v->result < 0 ? strerror(-v->result) : "MMIO handler");
	EXPECT_EQ(status, v->status)
		TH_LOG("vCPU %u: status %u (%s), expected %s", v->id, v->status,
		       status_name(v->status), status_name(status));
}

static void expect_exit_info(struct __test_metadata *_metadata, struct ghv_vcpu *v, __u16 type,
			     __u64 reason, __u32 len)
{
	__u8 want[8] = {};
	unsigned int i;
	__u64 got;

	if (!len)
		len = 4;
	for (i = 0; i < len; i++)
		want[i] = (__u8)(reason >> (8 * i));
	expect_status(_metadata, v, GUNYAH_VM_STATUS_EXITED);
	EXPECT_EQ(type, v->exit_info.type);
	EXPECT_EQ(0, v->exit_info.padding);
	EXPECT_EQ(len, v->exit_info.reason_size);
	memcpy(&got, v->exit_info.reason, sizeof(got));
	EXPECT_EQ(0, memcmp(want, v->exit_info.reason, sizeof(want)))
		TH_LOG("vCPU %u: reason %#llx, expected %#llx", v->id,
		       (unsigned long long)le64toh(got), (unsigned long long)reason);
}

static void power_off(struct ghv_prog *p)
{
	ghv_power_off(p, EXIT_TYPE, EXIT_REASON, 4);
}

static void expect_exited(struct __test_metadata *_metadata, struct ghv_vcpu *v)
{
	expect_exit_info(_metadata, v, EXIT_TYPE, EXIT_REASON, 4);
}

/* Wait for doorbell BELL_WAKE, report it with a write to GHV_ACK_ADDR, power off */
static void wake_ack_program(struct ghv_prog *p)
{
	ghv_wait_bell(p, BELL_WAKE);
	ghv_mmio_write(p, GHV_ACK_ADDR, 4, 1);
	power_off(p);
}

/* irqfd_wake: after odd acks ring at once, so half the waits find the doorbell already rung */
static void ring_after_odd_acks(struct ctx *c, unsigned int n)
{
	if ((n & 1) && n < c->ack_arg)
		ghv_eventfd_signal(c->efd[0]);
}

/* several_vcpus: wake vCPU 0 once every vCPU has reported */
static void ring_when_all_acked(struct ctx *c, unsigned int n)
{
	if (n == c->ack_arg)
		ghv_eventfd_signal(c->efd[0]);
}

FIXTURE(fn) {
	struct ctx c;
};

FIXTURE_SETUP(fn)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(fn)
{
	ctx_teardown(&self->c);
}

/* vCPU fds: close-on-exec, one page to map, one per id, ENODEV without a vCPU behind them */
TEST_F(fn, vcpu_add_rules)
{
	struct gunyah_fn_vcpu_arg arg = { .id = 0 };
	struct ghv_vcpu *v = &self->c.vcpu[0];
	int vm = self->c.vm.vmfd;
	struct ghv_vcpu extra;
	__u64 big = 0;

	ctx_vm(_metadata, &self->c, 1);
	power_off(&self->c.vm.prog);
	EXPECT_TRUE(fcntl(v->fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ((size_t)sysconf(_SC_PAGESIZE), v->run_size);
	EXPECT_EQ(GUNYAH_VCPU_EXIT_UNKNOWN, v->run->exit_reason);

	EXPECT_EQ(-EEXIST, ghv_fn(vm, true, GUNYAH_FN_VCPU, &arg, sizeof(arg)));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_VCPU, &big, sizeof(big)));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_VCPU, NULL, 0));

	/* An id the VM config lacks: added, but there is no vCPU to run */
	ASSERT_EQ(0, ghv_vcpu_add(vm, 7, &extra));
	EXPECT_EQ(-ENODEV, ghv_vcpu_run(&extra));
	/* Removed: the fd stays open, RUN fails */
	arg.id = 7;
	EXPECT_EQ(0, ghv_fn(vm, false, GUNYAH_FN_VCPU, &arg, sizeof(arg)));
	EXPECT_EQ(-ENOENT, ghv_fn(vm, false, GUNYAH_FN_VCPU, &arg, sizeof(arg)));
	EXPECT_EQ(-ENODEV, ghv_vcpu_run(&extra));
	ghv_vcpu_close(&extra);
}

/* Writes and reads of every size through the VMM; the guest checks each value read */
TEST_F(fn, mmio_round_trips)
{
	static const __u32 lens[] = { 1, 2, 4, 8 };
	static const __u64 vals[] = { 0xa5, 0xbeef, 0x12345678, 0x0123456789abcdefULL };
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	unsigned int i;

	ctx_vm(_metadata, &self->c, 1);
	for (i = 0; i < 4; i++) {
		/* Bits above the access size must not reach the VMM */
		ghv_mmio_write(p, GHV_DEV_ADDR + 8 * i, lens[i],
			       vals[i] | (lens[i] < 8 ? 0xff00000000000000ULL : 0));
		ghv_mmio_read_check(p, GHV_DEV_ADDR + 8 * i, lens[i], vals[i]);
	}
	power_off(p);
	ASSERT_EQ(0, p->err);

	v->result = ghv_vcpu_loop(v);
	expect_exited(_metadata, v);
	ASSERT_EQ(8, v->n_mmio);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(GHV_DEV_ADDR + 8 * (i / 2), v->log[i].addr);
		EXPECT_EQ(lens[i / 2], v->log[i].len);
		EXPECT_EQ(!(i & 1), v->log[i].is_write);
		EXPECT_EQ(vals[i / 2], v->log[i].data) TH_LOG("exit %u", i);
	}
}

/* A read answered with the wrong value crashes the guest: CRASHED, for good */
TEST_F(fn, mmio_wrong_value_crashes)
{
	struct gunyah_vm_exit_info zero = {};
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;

	ctx_vm(_metadata, &self->c, 1);
	ghv_mmio_read_check(p, GHV_DEV_ADDR, 4, 0x1234);	/* the register reads 0 */
	power_off(p);

	v->result = ghv_vcpu_loop(v);
	expect_status(_metadata, v, GUNYAH_VM_STATUS_CRASHED);
	EXPECT_EQ(0, memcmp(&zero, &v->exit_info, sizeof(zero)));
	EXPECT_EQ(1, v->n_mmio);
	v->result = ghv_vcpu_loop(v);
	expect_status(_metadata, v, GUNYAH_VM_STATUS_CRASHED);
	EXPECT_EQ(1, v->n_mmio);
}

TEST_F(fn, guest_crash)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;

	ctx_vm(_metadata, &self->c, 1);
	ghv_yield(p);
	ghv_crash(p, 0xdead);
	power_off(p);

	v->result = ghv_vcpu_loop(v);
	expect_status(_metadata, v, GUNYAH_VM_STATUS_CRASHED);
	EXPECT_EQ(0, v->n_mmio);
}

/*
 * A vCPU's fault is its own and final: vCPU 0 crashes, vCPU 1 runs on and powers the VM off
 * (EXITED, with the exit information); vCPU 0 still reports CRASHED, without it.
 */
TEST_F(fn, vcpu_crash_stays_final)
{
	struct gunyah_vm_exit_info zero = {};
	struct ghv_vcpu *v0 = &self->c.vcpu[0], *v1 = &self->c.vcpu[1];
	struct ghv_prog *p = &self->c.vm.prog;

	ctx_vm(_metadata, &self->c, 2);
	ghv_prog_entry(p);			/* vCPU 0 */
	ghv_crash(p, 0xdead);
	ghv_prog_entry(p);			/* vCPU 1 */
	ghv_yield(p);
	power_off(p);
	ASSERT_EQ(0, p->err);

	v0->result = ghv_vcpu_loop(v0);
	expect_status(_metadata, v0, GUNYAH_VM_STATUS_CRASHED);
	v1->result = ghv_vcpu_loop(v1);
	expect_status(_metadata, v1, GUNYAH_VM_STATUS_EXITED);
	EXPECT_EQ(EXIT_TYPE, v1->exit_info.type);

	v0->result = ghv_vcpu_loop(v0);
	expect_status(_metadata, v0, GUNYAH_VM_STATUS_CRASHED);
	EXPECT_EQ(0, memcmp(&zero, &v0->exit_info, sizeof(zero)));
}

/* Guest writes that hit an ioeventfd signal it in the kernel: no exit to userspace */
TEST_F(fn, ioeventfd_without_exit)
{
	const unsigned int n = 50;
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long before, after;
	unsigned int top;

	ctx_vm(_metadata, &self->c, 1);
	ASSERT_EQ(0, ghv_ioeventfd(self->c.vm.vmfd, true, self->c.efd[0], GHV_IOEV_ADDR, 4, 0, 0));
	top = ghv_here(p);
	ghv_mmio_write(p, GHV_IOEV_ADDR, 4, 1);
	ghv_loop(p, top, n - 1);
	ghv_mmio_write(p, GHV_DEV_ADDR, 4, 0x5555);	/* no ioeventfd: exits */
	power_off(p);

	before = ghv_sim_counter("mmio_exits");
	v->result = ghv_vcpu_loop(v);
	after = ghv_sim_counter("mmio_exits");
	expect_exited(_metadata, v);
	EXPECT_EQ(1, v->n_mmio);
	EXPECT_EQ(GHV_DEV_ADDR, v->log[0].addr);
	EXPECT_EQ(n, ghv_eventfd_take(self->c.efd[0]));
	/* The simulator saw every access; userspace saw one */
	if (before >= 0)
		EXPECT_EQ(n + 1, after - before);
}

/* DATAMATCH takes only writes of its value and size; len 0 takes any size; reads exit */
TEST_F(fn, ioeventfd_datamatch_and_len)
{
	const __u64 a = GHV_IOEV_ADDR, b = GHV_IOEV_ADDR + 0x100;
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	int vm = self->c.vm.vmfd, *efd = self->c.efd;
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;

	ctx_vm(_metadata, &self->c, 1);
	ASSERT_EQ(0, ghv_ioeventfd(vm, true, efd[0], a, 4, dm, 0x1234));
	ASSERT_EQ(0, ghv_ioeventfd(vm, true, efd[1], a, 4, dm, 0x5678));
	ASSERT_EQ(0, ghv_ioeventfd(vm, true, efd[2], b, 0, 0, 0));
	ghv_mmio_write(p, a, 4, 0x1234);	/* efd 0 */
	ghv_mmio_write(p, a, 4, 0x9999);	/* exit */
	ghv_mmio_write(p, a, 4, 0x5678);	/* efd 1 */
	ghv_mmio_write(p, a, 2, 0x1234);	/* exit: other size */
	ghv_mmio_write(p, a, 8, 0x1234);	/* exit: other size */
	ghv_mmio_write(p, a, 4, 0x1234);	/* efd 0 */
	ghv_mmio_read(p, a, 4);			/* exit */
	ghv_mmio_write(p, b, 1, 1);		/* efd 2, four times */
	ghv_mmio_write(p, b, 2, 2);
	ghv_mmio_write(p, b, 4, 3);
	ghv_mmio_write(p, b, 8, 4);
	ghv_mmio_read(p, b, 8);			/* exit */
	power_off(p);

	v->result = ghv_vcpu_loop(v);
	expect_exited(_metadata, v);
	EXPECT_EQ(2, ghv_eventfd_take(efd[0]));
	EXPECT_EQ(1, ghv_eventfd_take(efd[1]));
	EXPECT_EQ(4, ghv_eventfd_take(efd[2]));
	ASSERT_EQ(5, v->n_mmio);
	EXPECT_EQ(0x9999, v->log[0].data);
	EXPECT_EQ(2, v->log[1].len);
	EXPECT_EQ(8, v->log[2].len);
	EXPECT_EQ(0, v->log[3].is_write);
	EXPECT_EQ(a, v->log[3].addr);
	EXPECT_EQ(0, v->log[4].is_write);
	EXPECT_EQ(b, v->log[4].addr);
}

TEST_F(fn, ioeventfd_add_remove_rules)
{
	struct gunyah_fn_ioeventfd_arg arg = {
		.addr = GHV_IOEV_ADDR, .len = 4, .fd = self->c.efd[0], .padding = 1,
	};
	const __u64 a = GHV_IOEV_ADDR, b = GHV_IOEV_ADDR + 8;
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	int vm = self->c.vm.vmfd, efd = self->c.efd[0];

	ctx_vm(_metadata, &self->c, 1);
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, a, 3, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, a, 16, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, a, 0, dm, 1));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, ~0ULL - 1, 4, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, a, 4, 2, 0));	/* crosvm's 1 << 1 */
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd, a, 4, 0x80000000U, 0));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IOEVENTFD, &arg, sizeof(arg)));
	arg.padding = 0;
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IOEVENTFD, &arg, sizeof(arg) - 4));
	EXPECT_EQ(-EBADF, ghv_ioeventfd(vm, true, -1, a, 4, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, self->c.vm.devfd, a, 4, 0, 0));

	/* Collisions: one write must never reach two ioeventfds */
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, a, 4, 0, 0));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, self->c.efd[1], a, 4, 0, 0));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, efd, a, 0, 0, 0));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, efd, a, 4, dm, 7));
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, a, 8, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, b, 4, dm, 1));
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, b, 4, dm, 2));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, efd, b, 4, dm, 1));

	/* Removal: by address, then length if not 0, then value with DATAMATCH; fd ignored */
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, false, efd, a, 3, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, efd, a + 0x100, 0, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, efd, a, 2, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, a, 0, 0, 0));	/* the oldest: len 4 */
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, a, 4, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, a, 8, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, a, 0, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, a, 0, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, b, 0, dm, 3));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, b, 0, dm, 2));
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd, b, 4, dm, 2));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, efd, b, 4, dm, 1));
}

TEST_F(fn, irqfd_add_remove_rules)
{
	struct gunyah_fn_irqfd_arg arg = {
		.fd = self->c.efd[0], .label = BELL_WAKE, .padding = 1,
	};
	int vm = self->c.vm.vmfd, *efd = self->c.efd, closed;

	ctx_vm(_metadata, &self->c, 1);
	closed = dup(efd[0]);
	ASSERT_LE(0, closed);
	close(closed);
	EXPECT_EQ(-EBADF, ghv_irqfd(vm, true, -1, BELL_WAKE, 0));
	EXPECT_EQ(-EBADF, ghv_irqfd(vm, true, closed, BELL_WAKE, 0));
	EXPECT_EQ(-EINVAL, ghv_irqfd(vm, true, self->c.vm.devfd, BELL_WAKE, 0));
	EXPECT_EQ(-EINVAL, ghv_irqfd(vm, true, efd[0], BELL_WAKE, 2));
	EXPECT_EQ(-EINVAL, ghv_irqfd(vm, true, efd[0], BELL_WAKE, 0x80000000U));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IRQFD, &arg, sizeof(arg)));
	arg.padding = 0;
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IRQFD, &arg, sizeof(arg) - 4));

	EXPECT_EQ(0, ghv_irqfd(vm, true, efd[0], BELL_WAKE, 0));
	EXPECT_EQ(-EEXIST, ghv_irqfd(vm, true, efd[1], BELL_WAKE, GUNYAH_IRQFD_FLAGS_LEVEL));
	EXPECT_EQ(0, ghv_irqfd(vm, true, efd[1], 77, 0));	/* no such doorbell: allowed */

	/* Removal matches the label only */
	EXPECT_EQ(-EINVAL, ghv_fn(vm, false, GUNYAH_FN_IRQFD, &arg, sizeof(arg) - 4));
	EXPECT_EQ(-ENOENT, ghv_irqfd(vm, false, efd[0], 3, 0));
	EXPECT_EQ(0, ghv_irqfd(vm, false, -1, BELL_WAKE, 0x80));
	EXPECT_EQ(-ENOENT, ghv_irqfd(vm, false, efd[0], BELL_WAKE, 0));
	EXPECT_EQ(0, ghv_irqfd(vm, true, efd[0], BELL_WAKE, GUNYAH_IRQFD_FLAGS_LEVEL));
	EXPECT_EQ(0, ghv_irqfd(vm, false, efd[0], 77, 0));
}

/* An event already pending on the eventfd when the irqfd is added is delivered once */
TEST_F(fn, irqfd_pending_at_registration)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long bells = ghv_sim_counter("bell_sends");

	ctx_vm(_metadata, &self->c, 1);
	wake_ack_program(p);
	ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	EXPECT_EQ(0, ghv_eventfd_take(self->c.efd[0]));		/* the irqfd took it */
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));

	ASSERT_EQ(0, ghv_vcpu_start(v));
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS)) TH_LOG("the pending event never woke the guest");
	expect_exited(_metadata, v);
	EXPECT_EQ(1, self->c.acks);
	if (bells >= 0)
		EXPECT_EQ(bells + 1, ghv_sim_counter("bell_sends"));
}

/* Signals before the VM has its doorbell are consumed and dropped */
TEST_F(fn, irqfd_signal_before_start_dropped)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long bells;

	ctx_vm(_metadata, &self->c, 1);
	wake_ack_program(p);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	bells = ghv_sim_counter("bell_sends");
	ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	EXPECT_EQ(0, ghv_eventfd_take(self->c.efd[0]));
	EXPECT_EQ(bells, ghv_sim_counter("bell_sends"));
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));

	ASSERT_EQ(0, ghv_vcpu_start(v));
	EXPECT_TRUE(ghv_vcpu_wait_blocked(v, WAIT_MS)) TH_LOG("the guest does not wait");
	ghv_sleep_ms(100);
	EXPECT_EQ(0, __atomic_load_n(&self->c.acks, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS)) TH_LOG("the doorbell never woke the guest");
	expect_exited(_metadata, v);
	EXPECT_EQ(1, self->c.acks);
}

/* Guest stops: STATUS EXITED with the type and reason it gave, on every vCPU, for good */
FIXTURE(vm_exit) {
	struct ctx c;
};

FIXTURE_VARIANT(vm_exit) {
	__u16 type;
	__u64 reason;
	__u32 len;
};

FIXTURE_VARIANT_ADD(vm_exit, psci_off_reason4) {
	.type = GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, .reason = 0xdeadbeef, .len = 4,
};

FIXTURE_VARIANT_ADD(vm_exit, vm_exit_reason8) {
	.type = GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT, .reason = 0x0123456789abcdefULL, .len = 8,
};

FIXTURE_VARIANT_ADD(vm_exit, psci_reset_default_len) {
	.type = GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET, .reason = 0x1122334455667788ULL, .len = 0,
};

FIXTURE_SETUP(vm_exit)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(vm_exit)
{
	ctx_teardown(&self->c);
}

TEST_F(vm_exit, exit_info)
{
	struct ghv_prog *p = &self->c.vm.prog;
	unsigned int i;

	ctx_vm(_metadata, &self->c, 2);
	ghv_prog_entry(p);			/* vCPU 0 */
	ghv_yield(p);
	ghv_power_off(p, variant->type, variant->reason, variant->len);
	ghv_prog_entry(p);			/* vCPU 1 idles */
	ghv_wait_bell(p, BELL_IDLE);
	ASSERT_EQ(0, p->err);

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ghv_vcpu_start(&self->c.vcpu[i]));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ghv_vcpu_join(&self->c.vcpu[i], JOIN_MS)) TH_LOG("vCPU %u", i);
	for (i = 0; i < 2; i++) {
		expect_exit_info(_metadata, &self->c.vcpu[i], variant->type, variant->reason,
				 variant->len);
		/* The exit is final */
		self->c.vcpu[i].result = ghv_vcpu_loop(&self->c.vcpu[i]);
		expect_exit_info(_metadata, &self->c.vcpu[i], variant->type, variant->reason,
				 variant->len);
	}
}

/* An irqfd wakes a guest waiting on its doorbell, edge or level, asleep or not yet */
FIXTURE(irqfd_wake) {
	struct ctx c;
};

FIXTURE_VARIANT(irqfd_wake) {
	__u32 flags;
};

FIXTURE_VARIANT_ADD(irqfd_wake, edge) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(irqfd_wake, level) {
	.flags = GUNYAH_IRQFD_FLAGS_LEVEL,
};

FIXTURE_SETUP(irqfd_wake)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(irqfd_wake)
{
	ctx_teardown(&self->c);
}

TEST_F(irqfd_wake, each_signal_wakes)
{
	const unsigned int k = 6;
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long bells = ghv_sim_counter("bell_sends");
	unsigned int i, top;

	ctx_vm(_metadata, &self->c, 1);
	top = ghv_here(p);
	ghv_wait_bell(p, BELL_WAKE);
	ghv_mmio_write(p, GHV_ACK_ADDR, 4, 0xac);
	ghv_loop(p, top, k - 1);
	power_off(p);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, variant->flags));
	self->c.on_ack = ring_after_odd_acks;
	self->c.ack_arg = k;
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));

	ASSERT_EQ(0, ghv_vcpu_start(v));
	for (i = 0; i < k; i += 2) {
		/* The guest waits for wake-up i; ring while it sleeps */
		ASSERT_EQ(i, ghv_wait_count(&self->c.acks, i, WAIT_MS));
		ghv_vcpu_wait_blocked(v, 2000);
		ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	}
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS))
		TH_LOG("guest stuck after %u wake-ups", self->c.acks);
	expect_exited(_metadata, v);
	EXPECT_EQ(k, self->c.acks);
	if (bells >= 0)
		EXPECT_EQ(bells + k, ghv_sim_counter("bell_sends"));
}

/* RUN with immediate_exit set returns EINTR without running; an answered exit is kept */
TEST_F(fn, immediate_exit)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long runs;

	ctx_vm(_metadata, &self->c, 1);
	ghv_mmio_write(p, GHV_DEV_ADDR, 4, 0x11);
	ghv_mmio_read_check(p, GHV_DEV_ADDR, 4, 0x5a5a);
	power_off(p);
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));
	EXPECT_EQ(-EALREADY, ghv_vm_start(&self->c.vm));

	runs = ghv_sim_counter("vcpu_runs");
	v->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, ghv_vcpu_run(v));
	EXPECT_EQ(1, v->run->immediate_exit);	/* the kernel never clears it */
	if (runs >= 0)
		EXPECT_EQ(runs, ghv_sim_counter("vcpu_runs"));
	v->run->immediate_exit = 0;

	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_MMIO, v->run->exit_reason);
	EXPECT_EQ(1, v->run->mmio.is_write);
	EXPECT_EQ(0x11, ghv_mmio_value(&v->run->mmio));
	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_MMIO, v->run->exit_reason);
	ASSERT_EQ(0, v->run->mmio.is_write);
	ghv_mmio_set_value(&v->run->mmio, 0x5a5a);
	v->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, ghv_vcpu_run(v));
	v->run->immediate_exit = 0;
	/* A lost answer would read 0 and crash the guest */
	v->result = ghv_vcpu_loop(v);
	expect_exited(_metadata, v);
}

/* A signal interrupts a RUN that sleeps (SIGUSR1, no SA_RESTART); the vCPU then goes on */
TEST_F(fn, signal_interrupts_run)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long deadline;

	ctx_vm(_metadata, &self->c, 1);
	ghv_wait_bell(p, BELL_WAKE);
	power_off(p);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));

	ASSERT_EQ(0, ghv_vcpu_start(v));
	EXPECT_TRUE(ghv_vcpu_wait_blocked(v, WAIT_MS));
	deadline = ghv_now_ms() + WAIT_MS;
	while (!ghv_vcpu_done(v) && ghv_now_ms() < deadline) {
		pthread_kill(v->thread, SIGUSR1);
		ghv_sleep_ms(20);
	}
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS)) TH_LOG("SIGUSR1 did not end RUN");
	EXPECT_EQ(-EINTR, v->result);
	EXPECT_EQ(0, v->n_mmio);

	ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	v->result = ghv_vcpu_loop(v);
	expect_exited(_metadata, v);
}

/* Four vCPUs in four threads, each with its own program and registers */
TEST_F(fn, several_vcpus)
{
	const unsigned int n = MAX_VCPUS, k = 8;
	struct ghv_prog *p = &self->c.vm.prog;
	struct ghv_vcpu *v;
	unsigned int i, top;

	ctx_vm(_metadata, &self->c, n);
	for (i = 0; i < n; i++) {
		ghv_prog_entry(p);
		top = ghv_here(p);
		ghv_mmio_write(p, GHV_DEV_ADDR + 8 * i, 4, 0x1000 + i);
		ghv_mmio_read_check(p, GHV_DEV_ADDR + 8 * i, 4, 0x1000 + i);
		ghv_loop(p, top, k - 1);
		ghv_mmio_write(p, GHV_ACK_ADDR, 4, i);
		ghv_wait_bell(p, i ? BELL_IDLE : BELL_WAKE);
		if (!i)
			power_off(p);
	}
	ASSERT_EQ(0, p->err);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	self->c.on_ack = ring_when_all_acked;
	self->c.ack_arg = n;
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, ghv_vcpu_start(&self->c.vcpu[i]));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, ghv_vcpu_join(&self->c.vcpu[i], JOIN_MS))
			TH_LOG("vCPU %u stuck, %u of %u reported", i, self->c.acks, n);
	for (i = 0; i < n; i++) {
		v = &self->c.vcpu[i];
		expect_exited(_metadata, v);
		EXPECT_EQ(2 * k + 1, v->n_mmio) TH_LOG("vCPU %u", i);
		EXPECT_EQ(GHV_DEV_ADDR + 8 * i, v->log[0].addr);
		EXPECT_EQ(0x1000 + i, v->log[2 * k - 1].data);
		EXPECT_EQ(GHV_ACK_ADDR, v->log[2 * k].addr);
	}
}

/* REMOVE of an irqfd while the vCPU runs: no more rings; re-adding delivers a pending event */
TEST_F(fn, irqfd_remove_while_running)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	int vm = self->c.vm.vmfd, efd = self->c.efd[0];
	unsigned int i, top;
	long long bells;

	ctx_vm(_metadata, &self->c, 1);
	top = ghv_here(p);
	ghv_wait_bell(p, BELL_WAKE);
	ghv_mmio_write(p, GHV_ACK_ADDR, 4, 1);
	ghv_loop(p, top, GHV_FOREVER);
	ASSERT_EQ(0, ghv_irqfd(vm, true, efd, BELL_WAKE, 0));
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));
	ASSERT_EQ(0, ghv_vcpu_start(v));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, ghv_eventfd_signal(efd));
		ASSERT_EQ(i, ghv_wait_count(&self->c.acks, i, WAIT_MS));
	}

	ghv_vcpu_wait_blocked(v, 2000);
	ASSERT_EQ(0, ghv_irqfd(vm, false, -1, BELL_WAKE, 0));
	bells = ghv_sim_counter("bell_sends");
	ASSERT_EQ(0, ghv_eventfd_signal(efd));
	EXPECT_EQ(1, ghv_eventfd_take(efd)) TH_LOG("a removed irqfd consumed the event");
	ghv_sleep_ms(100);
	EXPECT_EQ(3, __atomic_load_n(&self->c.acks, __ATOMIC_ACQUIRE));
	if (bells >= 0)
		EXPECT_EQ(bells, ghv_sim_counter("bell_sends"));

	ASSERT_EQ(0, ghv_eventfd_signal(efd));
	ASSERT_EQ(0, ghv_irqfd(vm, true, efd, BELL_WAKE, GUNYAH_IRQFD_FLAGS_LEVEL));
	EXPECT_EQ(4, ghv_wait_count(&self->c.acks, 4, WAIT_MS));
	EXPECT_EQ(0, ghv_eventfd_take(efd));

	ghv_vcpu_wait_blocked(v, 2000);
	ghv_vcpu_kick(v);
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS));
	EXPECT_EQ(-EINTR, v->result);
}

/* REMOVE of an ioeventfd while the vCPU writes to it: from then on the writes exit */
TEST_F(fn, ioeventfd_remove_while_running)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	int efd = self->c.efd[0];
	long long total = 0, deadline;
	unsigned int top;

	ctx_vm(_metadata, &self->c, 1);
	top = ghv_here(p);
	ghv_mmio_write(p, GHV_IOEV_ADDR, 4, 1);
	ghv_loop(p, top, GHV_FOREVER);
	ASSERT_EQ(0, ghv_ioeventfd(self->c.vm.vmfd, true, efd, GHV_IOEV_ADDR, 4, 0, 0));
	ASSERT_EQ(0, ghv_vcpu_start(v));

	deadline = ghv_now_ms() + WAIT_MS;
	while (total < 100 && ghv_now_ms() < deadline) {
		total += ghv_eventfd_take(efd);
		ghv_sleep_ms(2);
	}
	ASSERT_LE(100, total);
	EXPECT_EQ(0, __atomic_load_n(&v->n_mmio, __ATOMIC_ACQUIRE));

	ASSERT_EQ(0, ghv_ioeventfd(self->c.vm.vmfd, false, -1, GHV_IOEV_ADDR, 0, 0, 0));
	ghv_eventfd_take(efd);		/* writes before REMOVE returned */
	EXPECT_LE(50, ghv_wait_count(&v->n_mmio, 50, WAIT_MS));
	EXPECT_EQ(0, ghv_eventfd_take(efd)) TH_LOG("signalled after REMOVE returned");

	ghv_vcpu_kick(v);
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS));
	EXPECT_EQ(-EINTR, v->result);
	EXPECT_EQ(GHV_IOEV_ADDR, v->log[0].addr);
	EXPECT_EQ(1, v->log[0].is_write);
}

/* The vCPU fd keeps the VM: closing the VM fd does not end a RUN or stop the VM */
TEST_F(fn, close_vm_fd_during_run)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long live, t0;

	ctx_vm(_metadata, &self->c, 1);
	ghv_wait_bell(p, BELL_WAKE);
	power_off(p);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));
	ASSERT_EQ(0, ghv_vcpu_start(v));
	ghv_vcpu_wait_blocked(v, WAIT_MS);

	live = ghv_sim_counter("vmids_live");
	t0 = ghv_now_ms();
	ghv_vm_close_fd(&self->c.vm);
	EXPECT_GT(2000, ghv_now_ms() - t0) TH_LOG("close() of the VM fd waited for the vCPU");
	ghv_sleep_ms(100);
	EXPECT_FALSE(ghv_vcpu_done(v)) TH_LOG("RUN ended: %d", v->result);
	if (live >= 0)
		EXPECT_EQ(live, ghv_sim_counter("vmids_live"));

	/* Its irqfd still works: the guest powers off and RUN ends */
	ASSERT_EQ(0, ghv_eventfd_signal(self->c.efd[0]));
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS)) TH_LOG("RUN did not end");
	expect_exited(_metadata, v);
	ghv_vcpu_close(v);		/* the last reference: the VM goes */
	if (live >= 0)
		EXPECT_EQ(live - 1, ghv_sim_counter_wait("vmids_live", live - 1));
}

/* Every fd closed while RUN sleeps: RUN still ends on a signal and the VM then goes */
TEST_F(fn, close_all_fds_during_run)
{
	struct ghv_vcpu *v = &self->c.vcpu[0];
	struct ghv_prog *p = &self->c.vm.prog;
	long long live;

	ctx_vm(_metadata, &self->c, 1);
	ghv_wait_bell(p, BELL_IDLE);
	power_off(p);
	ASSERT_EQ(0, ghv_vm_start(&self->c.vm));
	ASSERT_EQ(0, ghv_vcpu_start(v));
	ghv_vcpu_wait_blocked(v, WAIT_MS);

	live = ghv_sim_counter("vmids_live");
	ghv_vm_close_fd(&self->c.vm);
	close(v->fd);			/* RUN holds the file; the mapping too */
	v->fd = -1;
	ghv_sleep_ms(50);
	EXPECT_FALSE(ghv_vcpu_done(v));
	ghv_vcpu_kick(v);
	ASSERT_EQ(0, ghv_vcpu_join(v, JOIN_MS)) TH_LOG("RUN did not end");
	EXPECT_EQ(-EINTR, v->result);
	ghv_vcpu_close(v);		/* unmaps the run page: the last reference */
	if (live >= 0)
		EXPECT_EQ(live - 1, ghv_sim_counter_wait("vmids_live", live - 1));
}

static bool module_loaded(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, len) && line[len] == ' ';
	fclose(f);
	return found;
}

/* Function modules cannot go while instances live; once unloaded, ADD_FUNCTION loads them */
TEST_F(fn, module_unload_refused_while_in_use)
{
	static const char * const mods[] = { "gunyah_vcpu", "gunyah_irqfd", "gunyah_ioeventfd" };
	long long deadline;
	unsigned int i;
	int ret, err;

	ctx_vm(_metadata, &self->c, 1);
	ASSERT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	ASSERT_EQ(0, ghv_ioeventfd(self->c.vm.vmfd, true, self->c.efd[1], GHV_IOEV_ADDR, 4, 0, 0));
	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		const char *mod = mods[i];

		ret = syscall(SYS_delete_module, mod, O_NONBLOCK);
		err = ret ? errno : 0;
		if (err == ENOENT || err == EPERM)
			SKIP(return, "%s cannot be unloaded: %d", mod, err);
		EXPECT_EQ(-1, ret) TH_LOG("%s unloaded while in use", mod);
		EXPECT_TRUE(err == EAGAIN || err == EBUSY) TH_LOG("errno %d", err);
		EXPECT_TRUE(module_loaded(mod));
	}

	ctx_teardown(&self->c);
	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		const char *mod = mods[i];

		deadline = ghv_now_ms() + WAIT_MS;
		for (;;) {
			ret = syscall(SYS_delete_module, mod, O_NONBLOCK);
			err = ret ? errno : 0;
			if (!ret || (err != EAGAIN && err != EBUSY) || ghv_now_ms() > deadline)
				break;
			ghv_sleep_ms(20);
		}
		EXPECT_EQ(0, ret) TH_LOG("unloading %s: errno %d", mod, err);
		EXPECT_FALSE(module_loaded(mod));
	}

	ctx_setup(_metadata, &self->c);
	ctx_vm(_metadata, &self->c, 1);
	EXPECT_EQ(0, ghv_irqfd(self->c.vm.vmfd, true, self->c.efd[0], BELL_WAKE, 0));
	EXPECT_EQ(0, ghv_ioeventfd(self->c.vm.vmfd, true, self->c.efd[1], GHV_IOEV_ADDR, 4, 0, 0));
	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		const char *mod = mods[i];

		EXPECT_TRUE(module_loaded(mod)) TH_LOG("%s not loaded again", mod);
	}
}

TEST_HARNESS_MAIN
