// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency of the Gunyah VM manager, on guests of the simulated hypervisor:
 *
 * - vm_churn: several threads create and destroy many VMs at once, in six ways: bare, with
 *   memory, started and run to power off, started and never run, started with functions,
 *   and with the vCPU fd and VM fd closed while another thread sleeps in GUNYAH_VCPU_RUN.
 * - functions_race_run: ADD and REMOVE of ioeventfds and irqfds from several threads while two
 *   vCPUs run: one writes to the ioeventfd addresses in a loop, one waits for the irqfd's
 *   doorbell. Every guest write is either an eventfd signal or an MMIO exit, never both, never
 *   lost, and two threads racing on one ioeventfd never see it twice.
 * - vcpu_close_during_run: the vCPU fd and the VM fd closed while GUNYAH_VCPU_RUN is in
 *   progress (the guest asleep, spinning in the kernel, or exiting to userspace): RUN returns
 *   (the guest powers off, a signal, or the next call finds the fd gone), and the VM goes
 *   once the last reference (the run page mapping) is dropped.
 * - module_unload_race: gunyah_ioeventfd unloaded with delete_module(O_NONBLOCK) and loaded
 *   again through CHECK_FUNCTION in a loop while other threads add and remove ioeventfds:
 *   every ADD succeeds or fails with ENOENT, every REMOVE of an added one succeeds.
 *
 * Each test ends with the VM ids, parcels, shared pages, VmLck and pins back at their values
 * before it, and prints its iteration counts ("# concurrency iterations: N"). The guest's kernel
 * log (KASAN, lockdep, kmemleak) is checked by the harness.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"

#define CC_THREADS		4
#define CC_VMS			50	/* per thread; GUNYAH_CONC_VMS overrides */
#define CC_MEM_SIZE		0x4000UL	/* DTB at 0x1000, program at 0x2000 */
#define CC_CHURN_S		100	/* vm_churn stops creating VMs after this */
#define CC_RACE_MS		8000
#define CC_UNLOAD_S		15
#define CC_JOIN_MS		10000
#define CC_WAIT_MS		5000
#define CC_BELL			1
#define CC_BELL_IDLE		2
#define CC_IOEV_A		GHV_IOEV_ADDR
#define CC_IOEV_B		(GHV_IOEV_ADDR + 0x10)
#define CC_IOEV_C		(GHV_IOEV_ADDR + 0x20)
#define CC_DATAMATCH		0x1234
#define CC_IOEV_MOD		"gunyah_ioeventfd"

static const __u32 cc_labels[] = { CC_BELL, CC_BELL_IDLE };

/* The first failure a worker thread saw (threads cannot use ASSERT/EXPECT) */
struct cc_err {
	pthread_mutex_t lock;
	unsigned int n;
	char msg[200];
};

static void cc_err_init(struct cc_err *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
}

static void cc_fail(struct cc_err *e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&e->lock);
	if (!e->n++) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

static long long cc_env(const char *name, long long dflt)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return dflt;
	n = strtoll(v, &end, 0);
	return *end || n <= 0 ? dflt : n;
}

/*
 * A VM without the vmid lookup of ghv_vm_create() (threads create VMs at once): the VM fd from
 * @devfd (kept open by the caller) and, with @mem, CC_MEM_SIZE bytes of memory at GHV_BASE.
 */
static int cc_vm_new(int devfd, struct ghv_vm *vm, bool mem)
{
	int ret;

	ghv_vm_init(vm);
	vm->vmfd = ioctl(devfd, GUNYAH_CREATE_VM, 0UL);
	if (vm->vmfd < 0)
		return -errno;
	if (!mem)
		return 0;
	vm->mem = ghv_mmap_anon(CC_MEM_SIZE);
	if (!vm->mem)
		return -ENOMEM;
	vm->mem_size = CC_MEM_SIZE;
	ret = ghv_set_mem(vm->vmfd, 0, GHV_RWX, GHV_BASE, CC_MEM_SIZE, vm->mem);
	if (ret)
		return ret;
	ghv_prog_init(&vm->prog, (char *)vm->mem + GHV_PROG_OFF, CC_MEM_SIZE - GHV_PROG_OFF);
	return 0;
}

static void cc_fixture_setup(struct __test_metadata *_metadata, struct gh_snapshot *before)
{
	if (!ghv_have_dev())
		SKIP(return, "no %s", GHV_DEV_PATH);
	if (!gh_have_sim())
		SKIP(return, "no simulator (%s)", GH_SIM_DIR);
	gh_sim_reset_knobs();
	ghv_kick_signal_init();
	gh_snapshot_take(before);
	ASSERT_NE(LLONG_MIN, before->pins);
	ASSERT_LE(0, before->vmlck_kb);
}

/* ---- vm_churn ---- */

enum cc_mode {
	CC_BARE,		/* create, close */
	CC_MEM,			/* with memory */
	CC_RUN,			/* started and run until the guest powers off */
	CC_STARTED,		/* started, never run: the teardown stops it */
	CC_FUNCTIONS,		/* started with a vCPU, an irqfd and an ioeventfd, never run */
	CC_CLOSE_IN_RUN,	/* both fds closed while another thread sleeps in RUN */
	CC_NR_MODES,
};

struct cc_churn {
	unsigned int id;
	unsigned int planned;
	unsigned int done;
	unsigned int by_mode[CC_NR_MODES];
	long long deadline_ms;
	struct cc_err *err;
};

static int cc_churn_run(struct ghv_vm *vm)
{
	struct ghv_vcpu v;
	int ret;

	ghv_vcpu_init(&v);
	ghv_mmio_write(&vm->prog, GHV_ACK_ADDR, 4, 0xac);
	ghv_power_off(&vm->prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 0x600d, 4);
	ret = ghv_vm_configure(vm, 1, cc_labels, 2);
	if (!ret)
		ret = ghv_vcpu_add(vm->vmfd, 0, &v);
	if (!ret)
		ret = ghv_vcpu_loop(&v);
	if (!ret && (v.status != GUNYAH_VM_STATUS_EXITED || v.n_mmio != 1 ||
		     v.log[0].addr != GHV_ACK_ADDR))
		ret = -EPROTO;
	/* The VM fd first: the vCPU fd holds the VM until it goes too */
	ghv_vm_close_fd(vm);
	ghv_vcpu_close(&v);
	return ret;
}

static int cc_churn_functions(struct ghv_vm *vm)
{
	struct ghv_vcpu v;
	int efd[2], ret;

	ghv_vcpu_init(&v);
	efd[0] = ghv_eventfd();
	efd[1] = ghv_eventfd();
	if (efd[0] < 0 || efd[1] < 0) {
		ret = efd[0] < 0 ? efd[0] : efd[1];
		goto out;
	}
	ghv_wait_bell(&vm->prog, CC_BELL);
	ret = ghv_vm_configure(vm, 1, cc_labels, 2);
	if (!ret)
		ret = ghv_vcpu_add(vm->vmfd, 0, &v);
	if (!ret)
		ret = ghv_irqfd(vm->vmfd, true, efd[0], CC_BELL, 0);
	if (!ret)
		ret = ghv_ioeventfd(vm->vmfd, true, efd[1], CC_IOEV_A, 4, 0, 0);
	if (!ret)
		ret = ghv_vm_start(vm);
	/* A signal after the start rings the doorbell of a vCPU nobody runs */
	if (!ret)
		ret = ghv_eventfd_signal(efd[0]);
out:
	ghv_vcpu_close(&v);
	if (efd[0] >= 0)
		close(efd[0]);
	if (efd[1] >= 0)
		close(efd[1]);
	return ret;
}

/*
 * RUN sleeps in another thread and both fds are closed under it; a signal ends it. The vCPU fd
 * is closed with dup2() of /dev/null over it: other threads open files all the time, and the
 * number must not become another VM's fd while the vCPU thread may still use it.
 */
static int cc_churn_close_in_run(struct ghv_vm *vm, int nullfd)
{
	struct ghv_vcpu v;
	bool asleep;
	int ret;

	ghv_vcpu_init(&v);
	ghv_wait_bell(&vm->prog, CC_BELL_IDLE);
	ret = ghv_vm_configure(vm, 1, cc_labels, 2);
	if (!ret)
		ret = ghv_vcpu_add(vm->vmfd, 0, &v);
	if (!ret)
		ret = ghv_vm_start(vm);
	if (!ret)
		ret = ghv_vcpu_start(&v);
	if (ret) {
		ghv_vcpu_close(&v);
		return ret;
	}
	asleep = ghv_vcpu_wait_blocked(&v, 2000);
	ghv_vm_close_fd(vm);
	if (dup2(nullfd, v.fd) < 0)	/* closes the vCPU file; RUN and the run page keep it */
		ret = -errno;
	ghv_vcpu_kick(&v);
	if (ghv_vcpu_join(&v, CC_JOIN_MS))
		return -ETIMEDOUT;	/* v.run stays mapped: a RUN still in progress may use it */
	/* EINTR from the RUN it slept in; ENOTTY if it had not got there before the dup2() */
	if (!ret && v.result != -EINTR && (asleep || v.result != -ENOTTY))
		ret = v.result ? v.result : -EPROTO;
	ghv_vcpu_close(&v);	/* unmaps the run page, the last reference: the VM goes */
	return ret;
}

static int cc_churn_one(int devfd, int nullfd, enum cc_mode mode)
{
	struct ghv_vm vm;
	int ret;

	ret = cc_vm_new(devfd, &vm, mode != CC_BARE);
	if (ret)
		goto out;
	switch (mode) {
	case CC_RUN:
		ret = cc_churn_run(&vm);
		break;
	case CC_STARTED:
		ghv_wait_bell(&vm.prog, CC_BELL_IDLE);
		ret = ghv_vm_configure(&vm, 1, cc_labels, 2);
		if (!ret)
			ret = ghv_vm_start(&vm);
		break;
	case CC_FUNCTIONS:
		ret = cc_churn_functions(&vm);
		break;
	case CC_CLOSE_IN_RUN:
		ret = cc_churn_close_in_run(&vm, nullfd);
		break;
	default:
		break;
	}
out:
	ghv_vm_destroy(&vm);
	return ret;
}

static void *cc_churn_thread(void *arg)
{
	struct cc_churn *c = arg;
	int devfd, nullfd, ret;
	enum cc_mode mode;

	devfd = ghv_open_dev();
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devfd < 0 || nullfd < 0) {
		cc_fail(c->err, "thread %u: open: %s", c->id,
			devfd < 0 ? strerror(-devfd) : strerror(errno));
		if (devfd >= 0)
			close(devfd);
		return NULL;
	}
	for (c->done = 0; c->done < c->planned && ghv_now_ms() < c->deadline_ms; c->done++) {
		mode = (enum cc_mode)((c->id + c->done) % CC_NR_MODES);
		ret = cc_churn_one(devfd, nullfd, mode);
		if (ret)
			cc_fail(c->err, "thread %u, VM %u (mode %d): %s", c->id, c->done, mode,
				strerror(-ret));
		c->by_mode[mode]++;
	}
	close(nullfd);
	close(devfd);
	return NULL;
}

FIXTURE(cc) {
	struct gh_snapshot before;
};

FIXTURE_SETUP(cc)
{
	cc_fixture_setup(_metadata, &self->before);
}

FIXTURE_TEARDOWN(cc)
{
}

/* CC_THREADS threads create and destroy CC_VMS VMs each, every mode at the same time */
TEST_F_TIMEOUT(cc, vm_churn, 150)
{
	static const char * const names[CC_NR_MODES] = {
		"bare", "memory", "run", "started", "functions", "closed in RUN",
	};
	unsigned int i, m, total = 0, planned = 0, by_mode[CC_NR_MODES] = {};
	struct cc_churn c[CC_THREADS] = {};
	pthread_t tid[CC_THREADS];
	long long t0 = ghv_now_ms();
	unsigned int started;
	struct cc_err err;

	cc_err_init(&err);
	ghv_watchdog_arm(CC_CHURN_S + 40, "vm_churn");
	for (i = 0; i < CC_THREADS; i++) {
		c[i].id = i;
		c[i].planned = (unsigned int)cc_env("GUNYAH_CONC_VMS", CC_VMS);
		c[i].deadline_ms = t0 + CC_CHURN_S * 1000LL;
		c[i].err = &err;
		planned += c[i].planned;
	}
	for (started = 0; started < CC_THREADS; started++)
		if (pthread_create(&tid[started], NULL, cc_churn_thread, &c[started]))
			break;
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	alarm(0);

	for (i = 0; i < CC_THREADS; i++) {
		total += c[i].done;
		for (m = 0; m < CC_NR_MODES; m++)
			by_mode[m] += c[i].by_mode[m];
	}
	printf("# concurrency iterations: %u\n", total);
	printf("# vm_churn: %u of %u VMs from %u threads in %lld ms:", total, planned, started,
	       ghv_now_ms() - t0);
	for (m = 0; m < CC_NR_MODES; m++)
		printf(" %s %u%s", names[m], by_mode[m], m + 1 < CC_NR_MODES ? "," : "\n");
	fflush(stdout);
	EXPECT_EQ(CC_THREADS, started);
	EXPECT_EQ(0, err.n) TH_LOG("%u VMs failed; the first: %s", err.n, err.msg);
	if (total < planned)
		TH_LOG("stopped creating VMs after %d s", CC_CHURN_S);
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- functions_race_run ---- */

/**
 * struct cc_race - the VM, its eventfds and what the threads did
 * @vmfd: the VM
 * @efd: 0: ioeventfd at A, 1: ioeventfd at B (datamatch), 2: irqfd CC_BELL, 3: the ioeventfd at
 *       C and the irqfd CC_BELL_IDLE two threads race on
 * @stop: the adder threads stop (atomic)
 * @err: their failures
 * @ioev_iters: ADD/REMOVE rounds of the A and B ioeventfds
 * @irqfd_iters: ADD/signal/REMOVE rounds of the CC_BELL irqfd
 * @dup_iters: rounds of each of the two racing threads
 * @ioev_added: ADDs of the C ioeventfd that succeeded, per racing thread
 * @ioev_removed: REMOVEs of it that succeeded
 * @irqfd_added: the same for the CC_BELL_IDLE irqfd
 * @irqfd_removed: the same
 */
struct cc_race {
	int vmfd;
	int efd[4];
	int stop;
	struct cc_err *err;
	unsigned int ioev_iters;
	unsigned int irqfd_iters;
	unsigned int dup_iters[2];
	unsigned int ioev_added[2];
	unsigned int ioev_removed[2];
	unsigned int irqfd_added[2];
	unsigned int irqfd_removed[2];
};

struct cc_dup_arg {
	struct cc_race *r;
	unsigned int i;
};

static bool cc_stopped(struct cc_race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

/* ADD and REMOVE the ioeventfds the running guest writes to: only this thread touches them */
static void *cc_race_ioev(void *arg)
{
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	struct cc_race *r = arg;
	int ret;

	while (!cc_stopped(r)) {
		/* Length 4, or 0 (any size), in turn */
		ret = ghv_ioeventfd(r->vmfd, true, r->efd[0], CC_IOEV_A,
				    r->ioev_iters & 1 ? 0 : 4, 0, 0);
		if (!ret)
			ret = ghv_ioeventfd(r->vmfd, true, r->efd[1], CC_IOEV_B, 8, dm,
					    CC_DATAMATCH);
		if (!ret)
			ret = ghv_ioeventfd(r->vmfd, false, -1, CC_IOEV_A, 0, 0, 0);
		if (!ret)
			ret = ghv_ioeventfd(r->vmfd, false, -1, CC_IOEV_B, 8, dm, CC_DATAMATCH);
		if (ret) {
			cc_fail(r->err, "ioeventfd round %u: %s", r->ioev_iters, strerror(-ret));
			break;
		}
		r->ioev_iters++;
	}
	return NULL;
}

/* ADD the irqfd of the doorbell vCPU 1 waits for, ring it, REMOVE it */
static void *cc_race_irqfd(void *arg)
{
	struct cc_race *r = arg;
	int ret;

	while (!cc_stopped(r)) {
		ret = ghv_irqfd(r->vmfd, true, r->efd[2], CC_BELL,
				r->irqfd_iters & 1 ? GUNYAH_IRQFD_FLAGS_LEVEL : 0);
		if (!ret)
			ret = ghv_eventfd_signal(r->efd[2]);
		if (!ret)
			ret = ghv_irqfd(r->vmfd, false, -1, CC_BELL, 0);
		if (ret) {
			cc_fail(r->err, "irqfd round %u: %s", r->irqfd_iters, strerror(-ret));
			break;
		}
		r->irqfd_iters++;
	}
	return NULL;
}

/* Two of these race on one ioeventfd and one irqfd: each ADD and REMOVE wins or loses */
static void *cc_race_dup(void *arg)
{
	struct cc_dup_arg *a = arg;
	struct cc_race *r = a->r;
	unsigned int i = a->i;
	int ret;

	while (!cc_stopped(r)) {
		ret = ghv_ioeventfd(r->vmfd, true, r->efd[3], CC_IOEV_C, 4, 0, 0);
		if (!ret)
			r->ioev_added[i]++;
		else if (ret != -EEXIST)
			cc_fail(r->err, "racing ADD of an ioeventfd: %s", strerror(-ret));
		ret = ghv_irqfd(r->vmfd, true, r->efd[3], CC_BELL_IDLE, 0);
		if (!ret)
			r->irqfd_added[i]++;
		else if (ret != -EEXIST)
			cc_fail(r->err, "racing ADD of an irqfd: %s", strerror(-ret));
		ret = ghv_ioeventfd(r->vmfd, false, -1, CC_IOEV_C, 0, 0, 0);
		if (!ret)
			r->ioev_removed[i]++;
		else if (ret != -ENOENT)
			cc_fail(r->err, "racing REMOVE of an ioeventfd: %s", strerror(-ret));
		ret = ghv_irqfd(r->vmfd, false, -1, CC_BELL_IDLE, 0);
		if (!ret)
			r->irqfd_removed[i]++;
		else if (ret != -ENOENT)
			cc_fail(r->err, "racing REMOVE of an irqfd: %s", strerror(-ret));
		r->dup_iters[i]++;
	}
	return NULL;
}

/*
 * vCPU 0 writes to A (4 bytes) and B (8 bytes, the datamatch value) in a loop; vCPU 1 waits
 * for doorbell CC_BELL and reports each wake-up at GHV_ACK_ADDR. Meanwhile one thread adds and
 * removes the A and B ioeventfds, one the CC_BELL irqfd (ringing it in between), and two race
 * on an ioeventfd at C and an irqfd on CC_BELL_IDLE.
 *
 * The simulator counts every guest MMIO access; each must reach exactly one eventfd or exit to
 * userspace: mmio_exits(after) - mmio_exits(before) == signals + MMIO exits.
 */
TEST_F_TIMEOUT(cc, functions_race_run, 60)
{
	struct cc_dup_arg dup[2] = { { .i = 0 }, { .i = 1 } };
	struct ghv_vcpu v[2];
	struct cc_race r = {};
	pthread_t tid[4];
	long long before, after, signals;
	unsigned int i, top, added, removed;
	struct ghv_vm vm;
	struct cc_err err;
	int ret;

	cc_err_init(&err);
	r.err = &err;
	ghv_vm_init(&vm);
	for (i = 0; i < 2; i++)
		ghv_vcpu_init(&v[i]);
	for (i = 0; i < 4; i++) {
		r.efd[i] = ghv_eventfd();
		ASSERT_LE(0, r.efd[i]);
	}
	ghv_watchdog_arm(50, "functions_race_run");
	ret = ghv_vm_create(&vm, CC_MEM_SIZE);
	ASSERT_EQ(0, ret) TH_LOG("VM: %s", strerror(-ret));
	r.vmfd = vm.vmfd;

	ghv_prog_entry(&vm.prog);		/* vCPU 0 */
	top = ghv_here(&vm.prog);
	ghv_mmio_write(&vm.prog, CC_IOEV_A, 4, 1);
	ghv_mmio_write(&vm.prog, CC_IOEV_B, 8, CC_DATAMATCH);
	ghv_yield(&vm.prog);
	ghv_loop(&vm.prog, top, GHV_FOREVER);
	ghv_prog_entry(&vm.prog);		/* vCPU 1 */
	top = ghv_here(&vm.prog);
	ghv_wait_bell(&vm.prog, CC_BELL);
	ghv_mmio_write(&vm.prog, GHV_ACK_ADDR, 4, 1);
	ghv_loop(&vm.prog, top, GHV_FOREVER);
	ASSERT_EQ(0, vm.prog.err);
	ASSERT_EQ(0, ghv_vm_configure(&vm, 2, cc_labels, 2));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ghv_vcpu_add(vm.vmfd, i, &v[i]));
	ASSERT_EQ(0, ghv_vm_start(&vm));

	before = ghv_sim_counter("mmio_exits");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ghv_vcpu_start(&v[i]));
	for (i = 0; i < 2; i++)
		dup[i].r = &r;
	ASSERT_EQ(0, pthread_create(&tid[0], NULL, cc_race_ioev, &r));
	ASSERT_EQ(0, pthread_create(&tid[1], NULL, cc_race_irqfd, &r));
	ASSERT_EQ(0, pthread_create(&tid[2], NULL, cc_race_dup, &dup[0]));
	ASSERT_EQ(0, pthread_create(&tid[3], NULL, cc_race_dup, &dup[1]));
	ghv_sleep_ms(CC_RACE_MS);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < 2; i++) {
		ghv_vcpu_kick(&v[i]);
		ASSERT_EQ(0, ghv_vcpu_join(&v[i], CC_JOIN_MS)) TH_LOG("vCPU %u did not stop", i);
		EXPECT_EQ(-EINTR, v[i].result) TH_LOG("vCPU %u: run loop ended with %d", i,
						      v[i].result);
	}
	after = ghv_sim_counter("mmio_exits");
	alarm(0);

	printf("# concurrency iterations: %u\n", r.ioev_iters + r.irqfd_iters + r.dup_iters[0] +
	       r.dup_iters[1]);
	printf("# functions_race_run: ioeventfd rounds %u, irqfd rounds %u, races %u + %u\n",
	       r.ioev_iters, r.irqfd_iters, r.dup_iters[0], r.dup_iters[1]);
	printf("# functions_race_run: vCPU 0 MMIO exits %u, vCPU 1 wake-ups %u\n", v[0].n_mmio,
	       v[1].n_mmio);
	fflush(stdout);
	EXPECT_EQ(0, err.n) TH_LOG("%u failures; the first: %s", err.n, err.msg);
	EXPECT_LT(0, r.ioev_iters);
	EXPECT_LT(0, r.irqfd_iters);

	/* Whatever is left of the racing pair: the counts say whether one instance remains */
	added = r.ioev_added[0] + r.ioev_added[1];
	removed = r.ioev_removed[0] + r.ioev_removed[1];
	ASSERT_GE(added, removed);
	EXPECT_GE(1, added - removed);
	EXPECT_EQ(added > removed ? 0 : -ENOENT,
		  ghv_ioeventfd(vm.vmfd, false, -1, CC_IOEV_C, 0, 0, 0));
	added = r.irqfd_added[0] + r.irqfd_added[1];
	removed = r.irqfd_removed[0] + r.irqfd_removed[1];
	ASSERT_GE(added, removed);
	EXPECT_GE(1, added - removed);
	EXPECT_EQ(added > removed ? 0 : -ENOENT, ghv_irqfd(vm.vmfd, false, -1, CC_BELL_IDLE, 0));

	/* Every guest write went to exactly one place */
	signals = ghv_eventfd_take(r.efd[0]) + ghv_eventfd_take(r.efd[1]);
	EXPECT_EQ(0, ghv_eventfd_take(r.efd[3])) TH_LOG("C was never written");
	if (before >= 0)
		EXPECT_EQ(after - before, signals + v[0].n_mmio + v[1].n_mmio)
			TH_LOG("%lld guest accesses, %lld signals, %u + %u MMIO exits",
			       after - before, signals, v[0].n_mmio, v[1].n_mmio);
	for (i = 0; i < v[0].n_mmio && i < GHV_LOG_MAX; i++)
		EXPECT_TRUE(v[0].log[i].addr == CC_IOEV_A || v[0].log[i].addr == CC_IOEV_B)
			TH_LOG("vCPU 0 exit %u at %#llx", i, (unsigned long long)v[0].log[i].addr);

	for (i = 0; i < 2; i++)
		ghv_vcpu_close(&v[i]);
	for (i = 0; i < 4; i++)
		close(r.efd[i]);
	ghv_vm_destroy(&vm);
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- module_unload_race ---- */

struct cc_unload {
	int devfd;
	int vmfd;
	int efd[2];
	int stop;
	struct cc_err *err;
	unsigned int unloaded;
	unsigned int busy;
	unsigned int absent;
	unsigned int checks;
	unsigned int checks_enoent;
	unsigned int added[2];
	unsigned int add_enoent[2];
};

struct cc_adder_arg {
	struct cc_unload *u;
	unsigned int i;
};

static int cc_check_ioeventfd(int devfd)
{
	struct gunyah_fn_check check = { .type = GUNYAH_FN_IOEVENTFD };

	return ioctl(devfd, GUNYAH_CHECK_FUNCTION, &check) ? -errno : 0;
}

/* Unload gunyah_ioeventfd whenever nobody uses it, and load it again with CHECK_FUNCTION */
static void *cc_unloader(void *arg)
{
	struct cc_unload *u = arg;
	int ret;

	while (!__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
		ret = syscall(SYS_delete_module, CC_IOEV_MOD, O_NONBLOCK);
		if (!ret)
			u->unloaded++;
		else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EBUSY)
			u->busy++;
		else if (errno == ENOENT)
			u->absent++;
		else
			cc_fail(u->err, "delete_module: %s", strerror(errno));
		ret = cc_check_ioeventfd(u->devfd);
		if (!ret)
			u->checks++;
		else if (ret == -ENOENT)
			u->checks_enoent++;
		else
			cc_fail(u->err, "CHECK_FUNCTION: %s", strerror(-ret));
	}
	return NULL;
}

/* ADD an ioeventfd (the module may be gone: ENOENT) and REMOVE it (it pins the module) */
static void *cc_adder(void *arg)
{
	struct cc_adder_arg *a = arg;
	struct cc_unload *u = a->u;
	__u64 addr = CC_IOEV_A + 0x100 * a->i;
	int ret;

	while (!__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
		ret = ghv_ioeventfd(u->vmfd, true, u->efd[a->i], addr, 4, 0, 0);
		if (ret == -ENOENT) {
			u->add_enoent[a->i]++;
			continue;
		}
		if (ret) {
			cc_fail(u->err, "ADD while the module comes and goes: %s", strerror(-ret));
			continue;
		}
		u->added[a->i]++;
		ret = ghv_ioeventfd(u->vmfd, false, -1, addr, 0, 0, 0);
		if (ret)
			cc_fail(u->err, "REMOVE of an ioeventfd just added: %s", strerror(-ret));
	}
	return NULL;
}

/*
 * gunyah_ioeventfd is unloaded (delete_module, O_NONBLOCK) and autoloaded (CHECK_FUNCTION) in
 * a loop while two threads add and remove ioeventfds: ADD gets 0 or ENOENT, never anything
 * else, and an instance keeps the module (its REMOVE succeeds).
 */
TEST_F_TIMEOUT(cc, module_unload_race, 90)
{
	struct cc_adder_arg adders[2] = { { .i = 0 }, { .i = 1 } };
	struct cc_unload u = {};
	unsigned int i;
	pthread_t tid[3];
	struct cc_err err;
	struct ghv_vm vm;
	int ret;

	cc_err_init(&err);
	u.err = &err;
	ghv_vm_init(&vm);
	u.devfd = ghv_open_dev();
	ASSERT_LE(0, u.devfd);
	if (cc_check_ioeventfd(u.devfd))
		SKIP(goto out, "no ioeventfd function");
	ret = syscall(SYS_delete_module, CC_IOEV_MOD, O_NONBLOCK);
	if (ret && (errno == EPERM || errno == ENOENT))
		SKIP(goto out, "%s cannot be unloaded: %s", CC_IOEV_MOD, strerror(errno));
	ghv_watchdog_arm(CC_UNLOAD_S + 60, "module_unload_race");
	ASSERT_EQ(0, cc_vm_new(u.devfd, &vm, false));
	u.vmfd = vm.vmfd;
	for (i = 0; i < 2; i++) {
		u.efd[i] = ghv_eventfd();
		ASSERT_LE(0, u.efd[i]);
		adders[i].u = &u;
	}

	ASSERT_EQ(0, pthread_create(&tid[0], NULL, cc_unloader, &u));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&tid[1 + i], NULL, cc_adder, &adders[i]));
	ghv_sleep_ms(CC_UNLOAD_S * 1000);
	__atomic_store_n(&u.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);

	/* Loaded again for whoever comes next */
	ret = cc_check_ioeventfd(u.devfd);
	EXPECT_EQ(0, ret) TH_LOG("%s cannot be loaded again", CC_IOEV_MOD);
	alarm(0);
	printf("# concurrency iterations: %u\n", u.unloaded + u.busy + u.absent);
	printf("# module_unload_race: unloaded %u, busy %u, absent %u; CHECK ok %u, ENOENT %u\n",
	       u.unloaded, u.busy, u.absent, u.checks, u.checks_enoent);
	printf("# module_unload_race: ADD ok %u + %u, ENOENT %u + %u\n", u.added[0], u.added[1],
	       u.add_enoent[0], u.add_enoent[1]);
	fflush(stdout);
	EXPECT_EQ(0, err.n) TH_LOG("%u failures; the first: %s", err.n, err.msg);
	EXPECT_LT(0, u.unloaded) TH_LOG("%s was never unloaded: the race did not happen",
					CC_IOEV_MOD);
	EXPECT_LT(0, u.added[0] + u.added[1]);
	for (i = 0; i < 2; i++)
		close(u.efd[i]);
	ghv_vm_destroy(&vm);
	gh_expect_released(_metadata, &self->before, true);
out:
	close(u.devfd);
}

/* ---- vcpu_close_during_run ---- */

enum cc_guest {
	CC_ASLEEP_RING,		/* waits for a doorbell; the irqfd rings it after the close */
	CC_ASLEEP_SIGNAL,	/* waits for a doorbell nobody rings; a signal ends RUN */
	CC_SPIN_KERNEL,		/* writes an ioeventfd in a loop: no exit; a signal ends RUN */
	CC_SPIN_USER,		/* MMIO exits in a loop: the next RUN finds the fd closed */
};

FIXTURE(close_run) {
	struct gh_snapshot before;
};

FIXTURE_VARIANT(close_run) {
	enum cc_guest guest;
	bool vm_fd_first;
};

FIXTURE_VARIANT_ADD(close_run, asleep_ring) {
	.guest = CC_ASLEEP_RING, .vm_fd_first = true,
};

FIXTURE_VARIANT_ADD(close_run, asleep_signal) {
	.guest = CC_ASLEEP_SIGNAL, .vm_fd_first = false,
};

FIXTURE_VARIANT_ADD(close_run, spin_kernel) {
	.guest = CC_SPIN_KERNEL, .vm_fd_first = true,
};

FIXTURE_VARIANT_ADD(close_run, spin_user) {
	.guest = CC_SPIN_USER, .vm_fd_first = false,
};

FIXTURE_SETUP(close_run)
{
	cc_fixture_setup(_metadata, &self->before);
}

FIXTURE_TEARDOWN(close_run)
{
}

#define CC_CLOSE_ROUNDS	3

/*
 * The vCPU fd and the VM fd are closed (close(), in the order of the variant) while another
 * thread is in GUNYAH_VCPU_RUN. Closing does not end RUN and does not destroy the VM (RUN and
 * the run page hold the vCPU file); RUN then returns for the variant's reason, and the VM goes
 * when the run page, its last reference, is unmapped.
 *
 * Single-threaded apart from the vCPU thread, and nothing opens a file between the close and
 * the end of the loop in spin_user, so the closed number is not reused under the vCPU thread.
 */
TEST_F_TIMEOUT(close_run, vcpu_close_during_run, 90)
{
	long long live, deadline;
	struct ghv_vcpu v;
	struct ghv_vm vm;
	unsigned int round, top;
	int efd, fd;

	ghv_watchdog_arm(80, "vcpu_close_during_run");
	for (round = 0; round < CC_CLOSE_ROUNDS; round++) {
		ghv_vcpu_init(&v);
		ASSERT_EQ(0, ghv_vm_create(&vm, CC_MEM_SIZE));
		efd = ghv_eventfd();
		ASSERT_LE(0, efd);
		top = ghv_here(&vm.prog);
		switch (variant->guest) {
		case CC_ASLEEP_RING:
		case CC_ASLEEP_SIGNAL:
			ghv_wait_bell(&vm.prog, variant->guest == CC_ASLEEP_RING ? CC_BELL :
						CC_BELL_IDLE);
			ghv_power_off(&vm.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 0x600d, 4);
			break;
		case CC_SPIN_KERNEL:
			ghv_mmio_write(&vm.prog, CC_IOEV_A, 4, 1);
			ghv_loop(&vm.prog, top, GHV_FOREVER);
			break;
		case CC_SPIN_USER:
			ghv_mmio_write(&vm.prog, GHV_DEV_ADDR, 4, 1);
			ghv_loop(&vm.prog, top, GHV_FOREVER);
			break;
		}
		ASSERT_EQ(0, ghv_vm_configure(&vm, 1, cc_labels, 2));
		ASSERT_EQ(0, ghv_vcpu_add(vm.vmfd, 0, &v));
		if (variant->guest == CC_ASLEEP_RING)
			ASSERT_EQ(0, ghv_irqfd(vm.vmfd, true, efd, CC_BELL, 0));
		if (variant->guest == CC_SPIN_KERNEL)
			ASSERT_EQ(0, ghv_ioeventfd(vm.vmfd, true, efd, CC_IOEV_A, 4, 0, 0));
		ASSERT_EQ(0, ghv_vm_start(&vm));
		ASSERT_EQ(0, ghv_vcpu_start(&v));

		/* RUN is in progress */
		switch (variant->guest) {
		case CC_ASLEEP_RING:
		case CC_ASLEEP_SIGNAL:
			EXPECT_TRUE(ghv_vcpu_wait_blocked(&v, CC_WAIT_MS));
			break;
		case CC_SPIN_KERNEL:
			deadline = ghv_now_ms() + CC_WAIT_MS;
			while (ghv_eventfd_take(efd) <= 0 && ghv_now_ms() < deadline)
				ghv_sleep_ms(5);
			EXPECT_GT(deadline, ghv_now_ms()) TH_LOG("the guest never wrote");
			break;
		case CC_SPIN_USER:
			EXPECT_LE(1, ghv_wait_count(&v.n_mmio, 1, CC_WAIT_MS));
			break;
		}
		live = ghv_sim_counter("vmids_live");

		fd = v.fd;	/* v.fd stays as it is: the vCPU thread reads it */
		if (variant->vm_fd_first)
			ghv_vm_close_fd(&vm);
		EXPECT_EQ(0, close(fd));
		if (!variant->vm_fd_first)
			ghv_vm_close_fd(&vm);

		if (variant->guest != CC_SPIN_USER) {
			ghv_sleep_ms(100);
			EXPECT_FALSE(ghv_vcpu_done(&v)) TH_LOG("closing the fds ended RUN: %d",
							       v.result);
			EXPECT_EQ(live, ghv_sim_counter("vmids_live"))
				TH_LOG("the VM went while RUN was in progress");
		}

		/* Make RUN return */
		switch (variant->guest) {
		case CC_ASLEEP_RING:
			EXPECT_EQ(0, ghv_eventfd_signal(efd));
			break;
		case CC_ASLEEP_SIGNAL:
		case CC_SPIN_KERNEL:
			ghv_vcpu_kick(&v);
			break;
		case CC_SPIN_USER:
			break;
		}
		ASSERT_EQ(0, ghv_vcpu_join(&v, CC_JOIN_MS)) TH_LOG("RUN did not return");
		switch (variant->guest) {
		case CC_ASLEEP_RING:
			EXPECT_EQ(0, v.result);
			EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, v.status);
			break;
		case CC_ASLEEP_SIGNAL:
		case CC_SPIN_KERNEL:
			EXPECT_EQ(-EINTR, v.result);
			break;
		case CC_SPIN_USER:
			EXPECT_EQ(-EBADF, v.result);
			break;
		}
		v.fd = -1;	/* closed above */

		/* The run page holds the vCPU file, and so the VM, until it is unmapped */
		EXPECT_EQ(live, ghv_sim_counter("vmids_live"));
		ghv_vcpu_close(&v);
		EXPECT_EQ(live - 1, ghv_sim_counter_wait("vmids_live", live - 1))
			TH_LOG("round %u: the VM stayed after its last reference", round);
		close(efd);
		ghv_vm_destroy(&vm);
	}
	alarm(0);
	printf("# concurrency iterations: %u\n", round);
	fflush(stdout);
	gh_expect_released(_metadata, &self->before, true);
}

TEST_HARNESS_MAIN
