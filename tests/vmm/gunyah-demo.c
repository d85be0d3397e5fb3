// SPDX-License-Identifier: GPL-2.0
/*
 * gunyah-demo: a sample VMM for the Gunyah VM manager (/dev/gunyah).
 *
 * Takes one small VM through its whole life and reports each event on a line of its own:
 * create the VM, give it memory, write its config DT and a guest program into that memory,
 * set the boot PC, add two vCPUs, an irqfd and an ioeventfd, start the VM, run both vCPUs in
 * threads, watch it power off, and destroy it.
 *
 * The hypervisor is simulated (gunyah_sim), so the guest is a program for the simulator
 * (<gunyah/sim_guest.h>) rather than machine code:
 *
 *   vCPU 0: writes 1 to the "doorbell request" register, which is an ioeventfd: the kernel
 *           signals the eventfd and the vCPU goes on without an exit to this VMM. It then
 *           writes the device register and reads it back (both emulated here, the guest checks
 *           the value), waits for doorbell 1, which this VMM rings through the irqfd once it
 *           has seen the ioeventfd fire, and powers the VM off with a reason.
 *   vCPU 1: yields a few times, reports that it is idle, then waits on doorbell 2, which
 *           nobody rings, until the VM exits.
 *
 * Exit status: 0 if the VM lived exactly as described, 1 with a message otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gunyah_vm_util.h"

#define DEMO_MEM_SIZE	(2UL << 20)
#define BELL_IRQFD	1		/* rung through the irqfd */
#define BELL_IDLE	2		/* never rung: vCPU 1 idles on it */
#define REG_DATA	GHV_DEV_ADDR		/* device register: reads return the last write */
#define REG_IDLE	(GHV_DEV_ADDR + 8)	/* vCPU 1 writes 1 here before it idles */
#define REG_BELL_REQ	GHV_IOEV_ADDR		/* ioeventfd: a write of 1 asks for doorbell 1 */
#define DATA_VALUE	0x12345678ULL
#define EXIT_TYPE	GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF
#define EXIT_REASON	0x2aULL
#define TIMEOUT_MS	20000
#define WATCHDOG_S	60

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif
#ifndef __noreturn
#define __noreturn	__attribute__((__noreturn__))
#endif

static long long t_start;
static pthread_mutex_t say_lock = PTHREAD_MUTEX_INITIALIZER;

static __printf(1, 2) void say(const char *fmt, ...)
{
	long long t = ghv_now_us() - t_start;
	va_list ap;

	pthread_mutex_lock(&say_lock);
	printf("[%3lld.%06lld] ", t / 1000000, t % 1000000);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&say_lock);
}

static __noreturn __printf(1, 2) void die(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&say_lock);
	printf("gunyah-demo: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

/**
 * struct demo - the VMM's state
 * @vm: the VM and its memory
 * @vcpu: the two vCPUs
 * @irqfd: eventfd of the irqfd (doorbell BELL_IRQFD)
 * @ioeventfd: eventfd of the ioeventfd (REG_BELL_REQ)
 * @reg_data: the device register at REG_DATA (only vCPU 0 uses it)
 * @unexpected: MMIO accesses no device of this VMM takes (atomic)
 */
struct demo {
	struct ghv_vm vm;
	struct ghv_vcpu vcpu[2];
	int irqfd;
	int ioeventfd;
	__u64 reg_data;
	unsigned int unexpected;
};

static const char *exit_type_name(__u16 type)
{
	static const char * const names[] = {
		"VM_EXIT", "PSCI_OFF", "PSCI_RESET", "PSCI_SYSTEM_RESET2", "WATCHDOG_BITE",
		"HYP_ERROR", "ASYNC_EXT_ABORT", "VM_FORCE_STOPPED",
	};

	return type < 8 ? names[type] : "unknown";
}

static __u64 exit_reason(const struct gunyah_vm_exit_info *info)
{
	unsigned int i, n = info->reason_size < 8 ? info->reason_size : 8;
	__u64 reason = 0;

	for (i = 0; i < n; i++)
		reason |= (__u64)info->reason[i] << (8 * i);
	return reason;
}

/* "EXITED, type 1 (PSCI_OFF), reason 0x2a (4 bytes)" and the like */
static const char *describe(const struct ghv_vcpu *v, char *buf, size_t size)
{
	const struct gunyah_vm_exit_info *info = &v->exit_info;

	switch (v->status) {
	case GUNYAH_VM_STATUS_EXITED:
		snprintf(buf, size, "EXITED, type %u (%s), reason %#llx (%u bytes)", info->type,
			 exit_type_name(info->type), (unsigned long long)exit_reason(info),
			 info->reason_size);
		break;
	case GUNYAH_VM_STATUS_CRASHED:
		snprintf(buf, size, "CRASHED (the guest faulted, or the VM stopped unannounced)");
		break;
	case GUNYAH_VM_STATUS_LOAD_FAILED:
		snprintf(buf, size, "LOAD_FAILED (the VM did not start)");
		break;
	default:
		snprintf(buf, size, "unknown status %u", v->status);
	}
	return buf;
}

/* The devices of this VMM, called by the vCPU threads on MMIO exits */
static int demo_mmio(struct ghv_vcpu *v, struct gunyah_vcpu_mmio_exit *mmio)
{
	unsigned long long addr = mmio->phys_addr, val = ghv_mmio_value(mmio);
	struct demo *d = v->priv;

	if (addr == REG_DATA && mmio->is_write) {
		d->reg_data = val;
		say("vCPU %u: MMIO exit: write %#llx (%u bytes) = %#llx: device register set",
		    v->id, addr, mmio->len, val);
	} else if (addr == REG_DATA) {
		ghv_mmio_set_value(mmio, d->reg_data);
		say("vCPU %u: MMIO exit: read %#llx (%u bytes): device register is %#llx",
		    v->id, addr, mmio->len, (unsigned long long)d->reg_data);
	} else if (addr == REG_IDLE && mmio->is_write) {
		say("vCPU %u: MMIO exit: write %#llx = %#llx: idle, waiting on doorbell %u",
		    v->id, addr, val, BELL_IDLE);
	} else {
		__atomic_add_fetch(&d->unexpected, 1, __ATOMIC_RELAXED);
		say("vCPU %u: MMIO exit: %s %#llx (%u bytes): no device there",
		    v->id, mmio->is_write ? "write" : "read", addr, mmio->len);
		if (!mmio->is_write)
			ghv_mmio_set_value(mmio, 0);
	}
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct ghv_vcpu *v = arg;
	char buf[128];

	say("vCPU %u: thread started, calling GUNYAH_VCPU_RUN", v->id);
	v->result = ghv_vcpu_loop(v);
	if (!v->result)
		say("vCPU %u: RUN returned a status exit: %s", v->id,
		    describe(v, buf, sizeof(buf)));
	else
		say("vCPU %u: run loop failed: %s", v->id, strerror(-v->result));
	__atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* vCPU 0 and vCPU 1, as the header comment tells; returns the instruction count of vCPU 0 */
static unsigned int write_program(struct ghv_prog *p)
{
	unsigned int n0, top;

	ghv_prog_entry(p);
	ghv_mmio_write(p, REG_BELL_REQ, 4, 1);
	ghv_mmio_write(p, REG_DATA, 4, DATA_VALUE);
	ghv_mmio_read_check(p, REG_DATA, 4, DATA_VALUE);
	ghv_wait_bell(p, BELL_IRQFD);
	ghv_power_off(p, EXIT_TYPE, EXIT_REASON, 4);
	n0 = p->n;

	ghv_prog_entry(p);
	top = ghv_here(p);
	ghv_yield(p);
	ghv_loop(p, top, 3);
	ghv_mmio_write(p, REG_IDLE, 4, 1);
	ghv_wait_bell(p, BELL_IDLE);
	return n0;
}

static void setup_vm(struct demo *d)
{
	static const __u32 labels[] = { BELL_IRQFD, BELL_IDLE };
	struct ghv_vm *vm = &d->vm;
	unsigned int n0;
	int ret;

	ghv_vm_init(vm);
	vm->devfd = ghv_open_dev();
	if (vm->devfd < 0)
		die("cannot open %s: %s (are gunyah_sim and gunyah_rsc_mgr loaded?)",
		    GHV_DEV_PATH, strerror(-vm->devfd));
	say("opened %s", GHV_DEV_PATH);

	ret = ghv_create_vm(vm->devfd, &vm->vmid);
	if (ret < 0)
		die("GUNYAH_CREATE_VM: %s", strerror(-ret));
	vm->vmfd = ret;
	if (vm->vmid)
		say("GUNYAH_CREATE_VM: VM fd %d, VM id %#x at the resource manager", vm->vmfd,
		    vm->vmid);
	else
		say("GUNYAH_CREATE_VM: VM fd %d", vm->vmfd);

	vm->mem = ghv_mmap_anon(DEMO_MEM_SIZE);
	if (!vm->mem)
		die("cannot allocate %lu bytes of guest memory", DEMO_MEM_SIZE);
	vm->mem_size = DEMO_MEM_SIZE;
	ret = ghv_set_mem(vm->vmfd, 0, GHV_RWX, GHV_BASE, DEMO_MEM_SIZE, vm->mem);
	if (ret)
		die("GUNYAH_VM_SET_USER_MEM_REGION: %s", strerror(-ret));
	say("GUNYAH_VM_SET_USER_MEM_REGION: %lu KiB anonymous at guest %#llx, label 0, RWX",
	    DEMO_MEM_SIZE >> 10, GHV_BASE);

	vm->dtb_size = ghv_build_config((char *)vm->mem + GHV_DTB_OFF, GHV_DTB_MAX, 2, labels, 2,
					GHV_BASE);
	if (!vm->dtb_size)
		die("the VM config DT does not fit in %lu bytes", GHV_DTB_MAX);
	ret = ghv_set_dtb(vm->vmfd, GHV_BASE + GHV_DTB_OFF, vm->dtb_size);
	if (ret)
		die("GUNYAH_VM_SET_DTB_CONFIG: %s", strerror(-ret));
	say("VM config DT: 2 vCPUs, doorbells %u and %u, memory base-address %#llx",
	    BELL_IRQFD, BELL_IDLE, GHV_BASE);
	say("GUNYAH_VM_SET_DTB_CONFIG: the DT is %zu bytes at guest %#llx", vm->dtb_size,
	    GHV_BASE + GHV_DTB_OFF);

	ghv_prog_init(&vm->prog, (char *)vm->mem + GHV_PROG_OFF, DEMO_MEM_SIZE - GHV_PROG_OFF);
	n0 = write_program(&vm->prog);
	if (vm->prog.err)
		die("the guest program does not fit");
	say("guest program at guest %#llx: %u instructions for vCPU 0, %u for vCPU 1",
	    GHV_PROG_GPA, n0, vm->prog.n - n0);
	ret = ghv_set_boot_pc(vm->vmfd, GHV_PROG_GPA);
	if (ret)
		die("GUNYAH_VM_SET_BOOT_CONTEXT: %s", strerror(-ret));
	say("GUNYAH_VM_SET_BOOT_CONTEXT: PC = %#llx", GHV_PROG_GPA);
}

static void add_functions(struct demo *d)
{
	unsigned int i;
	int ret;

	for (i = 0; i < 2; i++) {
		ret = ghv_vcpu_add(d->vm.vmfd, i, &d->vcpu[i]);
		if (ret)
			die("adding vCPU %u: %s", i, strerror(-ret));
		d->vcpu[i].mmio = demo_mmio;
		d->vcpu[i].priv = d;
		say("GUNYAH_VM_ADD_FUNCTION: vCPU %u, fd %d, run page of %zu bytes mapped", i,
		    d->vcpu[i].fd, d->vcpu[i].run_size);
	}

	d->irqfd = ghv_eventfd();
	if (d->irqfd < 0)
		die("eventfd: %s", strerror(-d->irqfd));
	ret = ghv_irqfd(d->vm.vmfd, true, d->irqfd, BELL_IRQFD, 0);
	if (ret)
		die("adding the irqfd: %s", strerror(-ret));
	say("GUNYAH_VM_ADD_FUNCTION: irqfd, eventfd %d rings doorbell %u (edge)", d->irqfd,
	    BELL_IRQFD);

	d->ioeventfd = ghv_eventfd();
	if (d->ioeventfd < 0)
		die("eventfd: %s", strerror(-d->ioeventfd));
	ret = ghv_ioeventfd(d->vm.vmfd, true, d->ioeventfd, REG_BELL_REQ, 4,
			    GUNYAH_IOEVENTFD_FLAGS_DATAMATCH, 1);
	if (ret)
		die("adding the ioeventfd: %s", strerror(-ret));
	say("GUNYAH_VM_ADD_FUNCTION: ioeventfd, eventfd %d takes 4-byte writes of 1 to %#llx",
	    d->ioeventfd, REG_BELL_REQ);
}

/* The ioeventfd fires when vCPU 0 asks for its doorbell: ring it through the irqfd */
static void serve_doorbell_request(struct demo *d)
{
	struct pollfd pfd = { .fd = d->ioeventfd, .events = POLLIN };
	long long count;
	int ret;

	ret = poll(&pfd, 1, TIMEOUT_MS);
	if (ret < 0)
		die("poll: %s", strerror(errno));
	if (!ret)
		die("the ioeventfd did not fire within %d ms", TIMEOUT_MS);
	count = ghv_eventfd_take(d->ioeventfd);
	if (count != 1)
		die("the ioeventfd counted %lld writes, expected 1", count);
	say("ioeventfd: eventfd %d fired (count %lld): guest wrote 1 to %#llx, no exit to the VMM",
	    d->ioeventfd, count, REG_BELL_REQ);
	say("irqfd: signalling eventfd %d: the kernel rings doorbell %u, waking vCPU 0",
	    d->irqfd, BELL_IRQFD);
	ret = ghv_eventfd_signal(d->irqfd);
	if (ret)
		die("signalling the irqfd: %s", strerror(-ret));
}

static void check_vcpu(struct ghv_vcpu *v, unsigned int n_mmio)
{
	const struct gunyah_vm_exit_info *info = &v->exit_info;
	char buf[128];

	if (v->result)
		die("vCPU %u: the run loop ended with %d (%s)", v->id, v->result,
		    v->result < 0 ? strerror(-v->result) : "handler");
	if (v->status != GUNYAH_VM_STATUS_EXITED || info->type != EXIT_TYPE ||
	    info->reason_size != 4 || exit_reason(info) != EXIT_REASON)
		die("vCPU %u: %s; expected EXITED, type %u (%s), reason %#llx (4 bytes)", v->id,
		    describe(v, buf, sizeof(buf)), EXIT_TYPE, exit_type_name(EXIT_TYPE),
		    EXIT_REASON);
	if (v->n_mmio != n_mmio)
		die("vCPU %u: %u MMIO exits, expected %u", v->id, v->n_mmio, n_mmio);
}

int main(void)
{
	long long mmio0, bells0, live0, mmio1, bells1, live1;
	struct demo d = { .irqfd = -1, .ioeventfd = -1 };
	char buf[128];
	unsigned int i;
	int ret;

	t_start = ghv_now_us();
	ghv_watchdog_arm(WATCHDOG_S, "gunyah-demo");
	ghv_kick_signal_init();
	say("gunyah-demo: one VM, from creation to exit, on the Gunyah VM manager");
	mmio0 = ghv_sim_counter("mmio_exits");
	bells0 = ghv_sim_counter("bell_sends");
	live0 = ghv_sim_counter("vmids_live");

	setup_vm(&d);
	add_functions(&d);
	ret = ghv_vm_start(&d.vm);
	if (ret)
		die("GUNYAH_VM_START: %s", strerror(-ret));
	say("GUNYAH_VM_START: the VM runs");

	for (i = 0; i < 2; i++) {
		ret = pthread_create(&d.vcpu[i].thread, NULL, vcpu_thread, &d.vcpu[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
		d.vcpu[i].joinable = true;
	}
	serve_doorbell_request(&d);
	for (i = 0; i < 2; i++)
		if (ghv_vcpu_join(&d.vcpu[i], TIMEOUT_MS))
			die("vCPU %u still runs after %d ms", i, TIMEOUT_MS);

	/* What happened must be exactly what the guest program says */
	check_vcpu(&d.vcpu[0], 2);
	check_vcpu(&d.vcpu[1], 1);
	if (d.vcpu[0].log[0].addr != REG_DATA || !d.vcpu[0].log[0].is_write ||
	    d.vcpu[0].log[0].data != DATA_VALUE || d.vcpu[0].log[1].addr != REG_DATA ||
	    d.vcpu[0].log[1].is_write || d.vcpu[0].log[1].data != DATA_VALUE)
		die("vCPU 0: not the MMIO exits of its program");
	if (d.vcpu[1].log[0].addr != REG_IDLE)
		die("vCPU 1: not the MMIO exit of its program");
	if (d.unexpected)
		die("%u MMIO accesses to no device", d.unexpected);
	if (ghv_eventfd_take(d.ioeventfd))
		die("the ioeventfd fired more than once");
	mmio1 = ghv_sim_counter("mmio_exits");
	bells1 = ghv_sim_counter("bell_sends");
	if (mmio0 >= 0 && mmio1 >= 0) {
		say("simulator: %lld guest MMIO accesses (3 emulated here, 1 by the ioeventfd)",
		    mmio1 - mmio0);
		say("simulator: %lld doorbell ring", bells1 - bells0);
		if (mmio1 - mmio0 != 4 || bells1 - bells0 != 1)
			die("the simulator counted %lld MMIO accesses, %lld rings; expected 4, 1",
			    mmio1 - mmio0, bells1 - bells0);
	}

	for (i = 0; i < 2; i++)
		ghv_vcpu_close(&d.vcpu[i]);
	close(d.irqfd);
	close(d.ioeventfd);
	ghv_vm_destroy(&d.vm);
	say("closed the vCPU fds, the eventfds and the VM fd: the VM is destroyed");
	if (live0 >= 0) {
		live1 = ghv_sim_counter_wait("vmids_live", live0);
		if (live1 != live0)
			die("%lld VM ids in use at the RM after the teardown, %lld before the demo",
			    live1, live0);
		say("resource manager: the VM id is free again (%lld in use, as before)", live1);
	}

	say("VM life complete: %s", describe(&d.vcpu[0], buf, sizeof(buf)));
	return 0;
}
