// SPDX-License-Identifier: GPL-2.0
/*
 * A type-aware ioctl fuzzer for the Gunyah VM manager.
 *
 * Several threads share a table of file descriptors (/dev/gunyah, VM fds, vCPU fds, eventfds)
 * and issue random but well-typed sequences of every ioctl of <linux/gunyah.h> on them:
 * CREATE_VM and CHECK_FUNCTION; SET_USER_MEM_REGION (valid regions, unaligned, overflowing,
 * unmapped, read-only and kernel addresses), SET_DTB_CONFIG, SET_BOOT_CONTEXT, START,
 * ADD_FUNCTION and REMOVE_FUNCTION (types 1, 2, 3 and 0x8000 with shaped or garbage arguments
 * of 0 to 300 bytes, eventfds, closed fds and other files in them); RUN (immediate_exit set most
 * of the time), MMAP_SIZE and mmap() of vCPU fds; unknown ioctl numbers; and closes in the
 * middle of all of it. Every VM has a small guest program and VM config, so a VM that gets a
 * valid region, DTB location and boot PC starts and RUN does real work (MMIO exits, ioeventfds,
 * a final power off). Argument structures are sometimes NULL, kernel addresses, unmapped or cut
 * by a PROT_NONE page.
 *
 * Checked here: every errno is one <linux/gunyah.h> documents for the call (EBADF and ENOTTY
 * always allowed: another thread may have closed or replaced the fd), return values have their
 * documented form, an accepted mmap() is the run page, and once every fd is closed the VM ids,
 * parcels, shared pages, VmLck and FOLL_PIN pins are back where they started. The guest's kernel
 * log is the real verdict: the harness fails the run on any KASAN, lockdep, kmemleak, WARN or
 * BUG report.
 *
 * Reproducible: a seed is printed at the start (and written to the kernel log); the random
 * values of call i of thread t are a function of (seed, t, i) only, so a thread makes the same
 * choices for the same seed whatever the others do (outcomes still depend on the interleaving;
 * GUNYAH_FUZZ_THREADS=1 removes it).
 *
 * Environment:
 *   GUNYAH_FUZZ_SEED	 the seed (decimal or 0x hex); random by default
 *   GUNYAH_FUZZ_CALLS	 calls to issue, and the minimum for the test to pass (default 100000)
 *   GUNYAH_FUZZ_THREADS threads (default 4, at most 16)
 *   GUNYAH_FUZZ_SECONDS deadline of the loop (default 220 under the harness, none standalone)
 *
 * Long runs (make fuzz: GUNYAH_FUZZ_CALLS=1000000 fuzz_test) go without the kselftest harness
 * and its per-test timeout, as does "fuzz_test --standalone": the same fuzzer, one TAP result,
 * exit status 0 (KSFT_PASS), 1 (KSFT_FAIL) or 4 (KSFT_SKIP), no deadline unless
 * GUNYAH_FUZZ_SECONDS gives one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"
#include "../../rust/samples/gunyah_regbank.h"

#define FZ_DEFAULT_CALLS	100000ULL
#define FZ_DEFAULT_THREADS	4U
#define FZ_MAX_THREADS		16U
#define FZ_TAP_SECONDS		220	/* loop deadline under the harness (test timeout 295) */
#define FZ_STALL_S		60	/* no call completed for this long: something hangs */
#define FZ_SLOTS		4	/* VMs at a time */
#define FZ_VCPUS		2	/* vCPU fds kept per VM */
#define FZ_DEVS			2
#define FZ_EFDS			6
#define FZ_CLOSED		16	/* recently closed fd numbers, for "closed fd" arguments */
#define FZ_SLOT_PAGES		8	/* per VM: page 1 the VM config, page 2 the guest program */
#define FZ_IMAGE_PAGES		4	/* the canonical region: pages 0-3 at GHV_BASE */
#define FZ_MEMFD_PAGES		4
#define FZ_MODPROBE_BUDGET	8	/* calls that may run modprobe for a type nobody provides */
#define FZ_MAX_ARG		300	/* largest function argument written (the limit is 256) */
#define FZ_MAX_ERRNO		134	/* errno histogram buckets; larger values share the last */
#define FZ_TRACE		8	/* last calls remembered per thread, for a hang report */
#define FZ_MAX_REPORTS		16
#define FZ_BELL_A		1	/* doorbell labels of the VM config */
#define FZ_BELL_B		2
#define FZ_EXIT_REASON		0xf022
/* Never mapped: mmap() allocates top-down from far above */
#define FZ_HOLE			0x100000000000ULL
#define FZ_KADDR		0xffff888000000000ULL	/* x86-64 direct map */
#define FZ_KTEXT		0xffffffff81000000ULL

/* What is counted: the ioctls, mmap() and close() of the fuzzed fds, plus two helpers */
enum fz_op {
	FZ_CREATE_VM,
	FZ_CHECK_FN,
	FZ_SET_MEM,
	FZ_SET_DTB,
	FZ_SET_BOOT,
	FZ_START,
	FZ_ADD_FN,
	FZ_RM_FN,
	FZ_RUN,
	FZ_MMAP_SIZE,
	FZ_MMAP,
	FZ_CLOSE,
	FZ_BAD_IOCTL,
	FZ_NR_CALLS,		/* the ops above count as calls */
	FZ_EFD_WRITE = FZ_NR_CALLS,
	FZ_OPEN,
	FZ_NR_OPS,
};

static const char * const fz_op_names[FZ_NR_OPS] = {
	[FZ_CREATE_VM] = "CREATE_VM",
	[FZ_CHECK_FN] = "CHECK_FUNCTION",
	[FZ_SET_MEM] = "SET_USER_MEM_REGION",
	[FZ_SET_DTB] = "SET_DTB_CONFIG",
	[FZ_SET_BOOT] = "SET_BOOT_CONTEXT",
	[FZ_START] = "VM_START",
	[FZ_ADD_FN] = "ADD_FUNCTION",
	[FZ_RM_FN] = "REMOVE_FUNCTION",
	[FZ_RUN] = "VCPU_RUN",
	[FZ_MMAP_SIZE] = "VCPU_MMAP_SIZE",
	[FZ_MMAP] = "mmap",
	[FZ_CLOSE] = "close",
	[FZ_BAD_IOCTL] = "unknown ioctl",
	[FZ_EFD_WRITE] = "eventfd write",
	[FZ_OPEN] = "open",
};

/* Every error a call to the RM may end with (DOC of <linux/gunyah.h>, rsc_mgr.c) */
static const int fz_rm_errs[] = {
	ENOMEM, ENODEV, EPERM, EBUSY, EINVAL, EOPNOTSUPP, EIO, EBADMSG, ETIMEDOUT, E2BIG, EACCES,
	EAGAIN, 0
};

/* The errnos each call documents, 0-terminated; EBADF and ENOTTY are always allowed */
static const int fz_errs_create[] = { EINVAL, EMFILE, ENFILE, ENOMEM, ENODEV, 0 };
static const int fz_errs_check[] = { ENOENT, EINVAL, EFAULT, 0 };
/* SET_USER_MEM_REGION: also what pin_user_pages_fast(FOLL_LONGTERM) may return */
static const int fz_errs_mem[] = {
	EINVAL, EEXIST, EPERM, ENOMEM, EFAULT, EBUSY, EINTR, EAGAIN, 0
};

static const int fz_errs_dtb[] = { EINVAL, EBUSY, EFAULT, EINTR, 0 };
static const int fz_errs_boot[] = { EINVAL, EBUSY, EFAULT, ENOMEM, EINTR, 0 };
static const int fz_errs_start[] = { EALREADY, EINVAL, EOPNOTSUPP, EINTR, 0 };
static const int fz_errs_add[] = {
	EINVAL, ENOENT, EFAULT, EEXIST, EBADF, EMFILE, ENFILE, ENOMEM, ENODEV, 0
};

static const int fz_errs_rm[] = { ENOENT, EINVAL, EFAULT, ENOMEM, 0 };
static const int fz_errs_run[] = { EINTR, ENODEV, EINVAL, EIO, EALREADY, 0 };
static const int fz_errs_mmap[] = { EINVAL, EPERM, ENODEV, EACCES, ENOMEM, EAGAIN, 0 };
static const int fz_errs_write[] = { EINVAL, EAGAIN, 0 };
static const int fz_errs_open[] = { EMFILE, ENFILE, ENOMEM, 0 };
static const int fz_errs_none[] = { 0 };

struct fz_rng {
	__u64 s;
};

/* One call of a thread, for the report of a hang */
struct fz_trace {
	unsigned long long i;
	int op;
	int fd;
	long ret;
	int err;
};

/**
 * struct fz_slot - one VM of the table and the memory its regions come from
 * @vm: its VM fd, or -1 (atomic)
 * @vcpu: vCPU fds added to it, or -1 (atomic)
 * @mem: FZ_SLOT_PAGES pages; page 1 holds the VM config DTB, page 2 the guest program; never
 *       written after setup (a region may be lent to a guest)
 */
struct fz_slot {
	int vm;
	int vcpu[FZ_VCPUS];
	char *mem;
};

struct fz;

/**
 * struct fz_thread - one fuzzing thread
 * @fz: the shared state
 * @id: its index
 * @thread: the thread
 * @scratch: 4 pages: read-write, PROT_NONE, read-write, PROT_NONE. Arguments go at the start
 *           of page 0 (structures) and page 2 (function arguments), or across the end of one
 *           of them into the PROT_NONE page after it
 * @argbuf: a function argument being built
 * @calls: calls issued (atomic)
 * @cur: the call in progress (atomic)
 * @trace: its last calls
 * @trace_pos: next slot of @trace
 */
struct fz_thread {
	struct fz *fz;
	unsigned int id;
	pthread_t thread;
	char *scratch;
	unsigned char argbuf[FZ_MAX_ARG + 8];
	unsigned long long calls;
	unsigned long long cur;
	struct fz_trace trace[FZ_TRACE];
	unsigned int trace_pos;
};

/**
 * struct fz - the fuzzer
 * @seed: the seed
 * @target: calls to issue
 * @nthreads: threads
 * @deadline_ms: when the loop gives up (0: never)
 * @ps: page size
 * @dtb_size: size of the VM config DTB in each slot
 * @dev: /dev/gunyah fds (atomic, -1 when closed)
 * @efd: eventfds (atomic, -1 when closed)
 * @closed: recently closed fd numbers (atomic)
 * @closed_pos: next slot of @closed (atomic)
 * @slot: the VMs
 * @memfd: FZ_MEMFD_PAGES pages of a memfd (shmem), shared
 * @rdonly: two read-only pages
 * @none: two PROT_NONE pages
 * @have_type: types 1, 2, 3 and GUNYAH_FN_REGBANK are registered (index 0: regbank)
 * @modprobe_budget: calls left that may make the kernel run modprobe (atomic)
 * @calls: calls issued by all threads (atomic)
 * @stop: the threads stop (atomic)
 * @last_progress_ms: when @calls last moved, as the monitor saw it
 * @stats: per op, results: [0] successes, [e] errno e (atomic)
 * @run_exits: RUN exits by reason: unknown, MMIO, STATUS (atomic)
 * @allowed: per op, the errnos it may return
 * @n_bad: unexpected results (atomic)
 * @bad: the first FZ_MAX_REPORTS of them
 * @thr: the threads
 */
struct fz {
	__u64 seed;
	unsigned long long target;
	unsigned int nthreads;
	long long deadline_ms;
	size_t ps;
	size_t dtb_size;
	int dev[FZ_DEVS];
	int efd[FZ_EFDS];
	int closed[FZ_CLOSED];
	unsigned int closed_pos;
	struct fz_slot slot[FZ_SLOTS];
	char *memfd;
	char *rdonly;
	char *none;
	bool have_type[4];
	int modprobe_budget;
	unsigned long long calls;
	int stop;
	long long last_progress_ms;
	unsigned long long stats[FZ_NR_OPS][FZ_MAX_ERRNO + 1];
	unsigned long long run_exits[3];
	bool allowed[FZ_NR_OPS][FZ_MAX_ERRNO + 1];
	unsigned int n_bad;
	char bad[FZ_MAX_REPORTS][200];
	struct fz_thread thr[FZ_MAX_THREADS];
};

static struct fz fz_state;
static int fz_sink;

/* ---- random numbers ---- */

/* splitmix64 */
static __u64 fz_next(struct fz_rng *r)
{
	__u64 z;

	r->s += 0x9e3779b97f4a7c15ULL;
	z = r->s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int fz_below(struct fz_rng *r, unsigned int n)
{
	return (unsigned int)(fz_next(r) % n);
}

static bool fz_pct(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

/* The random stream of call @i of thread @tid: depends on nothing else */
static void fz_rng_init(struct fz_rng *r, __u64 seed, unsigned int tid, unsigned long long i)
{
	r->s = seed ^ ((__u64)tid << 56) ^ (i * 0xd1b54a32d192ed03ULL);
	fz_next(r);
}

/* ---- errno names ---- */

static const char *fz_errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ EBADMSG, "EBADMSG" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EALREADY, "EALREADY" }, { ENXIO, "ENXIO" },
	};
	static __thread char buf[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* ---- results ---- */

static void fz_allow(struct fz *fz, enum fz_op op, const int *errs)
{
	for (; *errs; errs++)
		if (*errs <= FZ_MAX_ERRNO)
			fz->allowed[op][*errs] = true;
}

static void fz_allowed_init(struct fz *fz)
{
	unsigned int op;

	for (op = 0; op < FZ_NR_OPS; op++) {
		if (op == FZ_CLOSE || op == FZ_OPEN)
			continue;
		/* The fd may have been closed, or its number reused by another kind of file */
		fz->allowed[op][EBADF] = true;
		fz->allowed[op][ENOTTY] = true;
		fz->allowed[op][ENOMEM] = true;
	}
	fz_allow(fz, FZ_CREATE_VM, fz_errs_create);
	fz_allow(fz, FZ_CREATE_VM, fz_rm_errs);
	fz_allow(fz, FZ_CHECK_FN, fz_errs_check);
	fz_allow(fz, FZ_SET_MEM, fz_errs_mem);
	fz_allow(fz, FZ_SET_DTB, fz_errs_dtb);
	fz_allow(fz, FZ_SET_BOOT, fz_errs_boot);
	fz_allow(fz, FZ_START, fz_errs_start);
	fz_allow(fz, FZ_START, fz_rm_errs);
	fz_allow(fz, FZ_ADD_FN, fz_errs_add);
	fz_allow(fz, FZ_RM_FN, fz_errs_rm);
	/* RUN: its own errors, those of a start, and a failed vcpu_run hypercall */
	fz_allow(fz, FZ_RUN, fz_errs_run);
	fz_allow(fz, FZ_RUN, fz_errs_start);
	fz_allow(fz, FZ_RUN, fz_rm_errs);
	fz_allow(fz, FZ_MMAP, fz_errs_mmap);
	fz_allow(fz, FZ_CLOSE, fz_errs_none);
	fz_allow(fz, FZ_EFD_WRITE, fz_errs_write);
	fz_allow(fz, FZ_OPEN, fz_errs_open);
}

static void fz_bad(struct fz_thread *t, const char *fmt, ...)
{
	struct fz *fz = t->fz;
	unsigned int n = __atomic_fetch_add(&fz->n_bad, 1, __ATOMIC_RELAXED);
	char msg[160];
	va_list ap;

	if (n >= FZ_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(fz->bad[n], sizeof(fz->bad[n]), "thread %u call %llu: %s", t->id,
		 __atomic_load_n(&t->cur, __ATOMIC_RELAXED), msg);
}

/*
 * Account one call of @op on @fd that returned @ret with errno @err: the histogram, the trace,
 * the call count, and whether the errno is one the call documents.
 */
static void fz_record(struct fz_thread *t, enum fz_op op, int fd, long ret, int err)
{
	struct fz *fz = t->fz;
	struct fz_trace *tr = &t->trace[t->trace_pos++ % FZ_TRACE];
	unsigned int bucket = 0;

	tr->i = __atomic_load_n(&t->cur, __ATOMIC_RELAXED);
	tr->op = op;
	tr->fd = fd;
	tr->ret = ret;
	tr->err = ret < 0 ? err : 0;
	if (ret < 0) {
		bucket = err > 0 && err < FZ_MAX_ERRNO ? (unsigned int)err : FZ_MAX_ERRNO;
		if (!fz->allowed[op][bucket])
			fz_bad(t, "%s on fd %d: undocumented errno %d (%s)", fz_op_names[op], fd,
			       err, fz_errname(err));
	}
	__atomic_fetch_add(&fz->stats[op][bucket], 1, __ATOMIC_RELAXED);
	if (op < FZ_NR_CALLS) {
		__atomic_fetch_add(&t->calls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&fz->calls, 1, __ATOMIC_RELAXED);
	}
}

/* ---- the fd table ---- */

static void fz_closed_add(struct fz *fz, int fd)
{
	unsigned int pos = __atomic_fetch_add(&fz->closed_pos, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&fz->closed[pos % FZ_CLOSED], fd, __ATOMIC_RELAXED);
}

/* Close the fd in *@entry if there is one: it is ours alone once taken out of the table */
static void fz_close_entry(struct fz_thread *t, int *entry)
{
	int fd = __atomic_exchange_n(entry, -1, __ATOMIC_ACQ_REL);
	long ret;

	if (fd < 0)
		return;
	ret = close(fd);
	fz_record(t, FZ_CLOSE, fd, ret, errno);
	fz_closed_add(t->fz, fd);
}

/* Put a new fd into an empty *@entry; if another thread filled it first, close @fd */
static void fz_put_entry(struct fz_thread *t, int *entry, int fd)
{
	int expected = -1;
	long ret;

	if (__atomic_compare_exchange_n(entry, &expected, fd, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED))
		return;
	ret = close(fd);
	fz_record(t, FZ_CLOSE, fd, ret, errno);
	fz_closed_add(t->fz, fd);
}

static int fz_load(const int *entry)
{
	return __atomic_load_n(entry, __ATOMIC_ACQUIRE);
}

/* A /dev/gunyah fd, opened again if the one picked was closed */
static int fz_dev(struct fz_thread *t, struct fz_rng *r)
{
	int *entry = &t->fz->dev[fz_below(r, FZ_DEVS)];
	int fd = fz_load(entry);

	if (fd >= 0)
		return fd;
	fd = open(GHV_DEV_PATH, O_RDWR | O_CLOEXEC);
	fz_record(t, FZ_OPEN, fd, fd, errno);
	if (fd < 0)
		return -1;
	fz_put_entry(t, entry, fd);
	return fz_load(entry);
}

/* An eventfd of the table, made again if the one picked was closed */
static int fz_efd(struct fz_thread *t, struct fz_rng *r)
{
	int *entry = &t->fz->efd[fz_below(r, FZ_EFDS)];
	int fd = fz_load(entry);

	if (fd >= 0)
		return fd;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fz_record(t, FZ_OPEN, fd, fd, errno);
	if (fd < 0)
		return -1;
	fz_put_entry(t, entry, fd);
	return fz_load(entry);
}

/* Any fd number: of the table (any kind), closed, or never opened; never stdin to stderr */
static int fz_any_fd(struct fz_thread *t, struct fz_rng *r)
{
	struct fz *fz = t->fz;
	struct fz_slot *s = &fz->slot[fz_below(r, FZ_SLOTS)];
	static const int junk[] = { -1, 999, 1023, 4096, INT_MAX, INT_MIN };

	switch (fz_below(r, 7)) {
	case 0:
		return fz_load(&s->vm);
	case 1:
		return fz_load(&s->vcpu[fz_below(r, FZ_VCPUS)]);
	case 2:
		return fz_load(&fz->dev[fz_below(r, FZ_DEVS)]);
	case 3:
		return fz_load(&fz->efd[fz_below(r, FZ_EFDS)]);
	case 4:
	case 5:
		return fz_load(&fz->closed[fz_below(r, FZ_CLOSED)]);
	default:
		return junk[fz_below(r, ARRAY_SIZE(junk))];
	}
}

/* The fd of a function argument: mostly an eventfd, else anything, stdin to stderr included */
static int fz_arg_fd(struct fz_thread *t, struct fz_rng *r)
{
	unsigned int k = fz_below(r, 100);

	if (k < 65)
		return fz_efd(t, r);
	if (k < 70)
		return (int)fz_below(r, 3);
	return fz_any_fd(t, r);
}

/* The fd a VM ioctl goes to: mostly a VM fd of the table */
static int fz_vm_fd(struct fz_thread *t, struct fz_rng *r, struct fz_slot **slot)
{
	*slot = &t->fz->slot[fz_below(r, FZ_SLOTS)];
	return fz_pct(r, 92) ? fz_load(&(*slot)->vm) : fz_any_fd(t, r);
}

static int fz_vcpu_fd(struct fz_thread *t, struct fz_rng *r)
{
	struct fz_slot *s = &t->fz->slot[fz_below(r, FZ_SLOTS)];

	return fz_pct(r, 90) ? fz_load(&s->vcpu[fz_below(r, FZ_VCPUS)]) : fz_any_fd(t, r);
}

/* ---- argument placement ---- */

/**
 * fz_place() - where the kernel is told an argument is
 * @t: the thread
 * @r: its random stream
 * @page: 0 for a structure, 2 for a function argument (a page of @t->scratch)
 * @data: the argument
 * @size: its size
 *
 * Mostly at the start of the page (or a few bytes in); else cut by the PROT_NONE page that
 * follows, NULL, a kernel address or an address nothing is mapped at.
 *
 * Return: the pointer to pass; what fits of @data has been written there.
 */
static __u64 fz_place(struct fz_thread *t, struct fz_rng *r, unsigned int page,
		      const void *data, size_t size)
{
	size_t ps = t->fz->ps;
	char *base = t->scratch + page * ps;
	unsigned int k = fz_below(r, 100);
	char *dst;

	if (size > FZ_MAX_ARG + 8)
		size = FZ_MAX_ARG + 8;
	if (k < 84) {
		dst = base;
	} else if (k < 87) {
		dst = base + 1 + fz_below(r, 7);
	} else if (k < 91 && size >= 2) {
		dst = base + ps - size / 2;
		memcpy(dst, data, size / 2);
		return (uintptr_t)dst;
	} else if (k < 94) {
		return 0;
	} else if (k < 96) {
		return FZ_KADDR + fz_below(r, 4096);
	} else if (k < 97) {
		return FZ_KTEXT;
	} else {
		return FZ_HOLE + (__u64)fz_below(r, 64) * ps;
	}
	memcpy(dst, data, size);
	return (uintptr_t)dst;
}

/* ---- the calls ---- */

static void fz_begin(struct fz_thread *t, unsigned long long i)
{
	__atomic_store_n(&t->cur, i, __ATOMIC_RELAXED);
}

static void fz_create_vm(struct fz_thread *t, struct fz_rng *r)
{
	static const unsigned long bad_args[] = { 1, 2, 0x80000000UL, ~0UL, 0x1000 };
	struct fz_slot *s = &t->fz->slot[fz_below(r, FZ_SLOTS)];
	unsigned long arg = 0;
	int fd, ret;

	fd = fz_pct(r, 92) ? fz_dev(t, r) : fz_any_fd(t, r);
	/* A VM is made only for an empty slot: creations stay few, the rest fails fast */
	if (fz_load(&s->vm) >= 0 || fz_pct(r, 10))
		arg = bad_args[fz_below(r, ARRAY_SIZE(bad_args))];
	ret = ioctl(fd, GUNYAH_CREATE_VM, arg);
	fz_record(t, FZ_CREATE_VM, fd, ret, errno);
	if (ret < 0)
		return;
	if (arg)
		fz_bad(t, "CREATE_VM with argument %#lx returned %d", arg, ret);
	fz_put_entry(t, &s->vm, ret);
}

static bool fz_type_registered(struct fz *fz, __u32 type)
{
	if (type >= GUNYAH_FN_VCPU && type <= GUNYAH_FN_IOEVENTFD)
		return fz->have_type[type];
	if (type == GUNYAH_FN_REGBANK)
		return fz->have_type[0];
	return false;
}

/*
 * A function type: mostly 1, 2, 3 or 0x8000, sometimes one no module provides. A type in
 * [1, GUNYAH_FN_SAMPLE_LAST] that is not registered makes ADD and CHECK run modprobe (slow):
 * with @may_load only while the budget lasts, else it becomes one outside the range.
 */
static __u32 fz_type(struct fz_thread *t, struct fz_rng *r, bool may_load)
{
	static const __u32 in_tree[] = { GUNYAH_FN_VCPU, GUNYAH_FN_IRQFD, GUNYAH_FN_IOEVENTFD };
	static const __u32 outside[] = { 0, GUNYAH_FN_SAMPLE_LAST + 1, 0x10000, 0x80000000U,
					 0xffffffffU };
	struct fz *fz = t->fz;
	unsigned int k = fz_below(r, 100);
	__u32 type;

	if (k < 75)
		type = in_tree[k % 3];
	else if (k < 85)
		type = GUNYAH_FN_REGBANK;
	else if (k < 92)
		type = outside[fz_below(r, ARRAY_SIZE(outside))];
	else if (k < 96)
		type = 4 + fz_below(r, GUNYAH_FN_SAMPLE_LAST - 3);
	else
		type = (__u32)fz_next(r);

	if (!may_load || !type || type > GUNYAH_FN_SAMPLE_LAST || fz_type_registered(fz, type))
		return type;
	if (__atomic_fetch_sub(&fz->modprobe_budget, 1, __ATOMIC_RELAXED) > 0)
		return type;
	return GUNYAH_FN_SAMPLE_LAST + 1 + fz_below(r, 1000);
}

static void fz_check_fn(struct fz_thread *t, struct fz_rng *r)
{
	struct gunyah_fn_check check = {};
	int fd, ret;
	__u64 p;

	check.type = fz_type(t, r, true);
	check.flags = fz_pct(r, 90) ? 0 : (__u32)fz_next(r) | 1;
	fd = fz_pct(r, 92) ? fz_dev(t, r) : fz_any_fd(t, r);
	p = fz_place(t, r, 0, &check, sizeof(check));
	ret = ioctl(fd, GUNYAH_CHECK_FUNCTION, (unsigned long)p);
	fz_record(t, FZ_CHECK_FN, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "CHECK_FUNCTION returned %d", ret);
}

static __u32 fz_label(struct fz_rng *r)
{
	unsigned int k = fz_below(r, 10);

	if (k < 6)
		return fz_below(r, 4);
	if (k < 9)
		return 4 + fz_below(r, 12);
	return (__u32)fz_next(r);
}

static __u32 fz_mem_flags(struct fz_rng *r)
{
	static const __u32 odd[] = { 0, GUNYAH_MEM_ALLOW_WRITE, GUNYAH_MEM_ALLOW_EXEC, 1U << 4,
				     1U << 31, GUNYAH_MEM_FORCE_LEND };
	__u32 flags;

	if (fz_pct(r, 70)) {
		flags = GUNYAH_MEM_ALLOW_READ |
			((__u32)fz_next(r) & (GUNYAH_MEM_ALLOW_WRITE | GUNYAH_MEM_ALLOW_EXEC));
		if (fz_pct(r, 20))
			flags |= GUNYAH_MEM_FORCE_LEND;
		return flags;
	}
	if (fz_pct(r, 50))
		return odd[fz_below(r, ARRAY_SIZE(odd))];
	return (__u32)fz_next(r);
}

/* A region: valid ones over the slots' memory and the memfd, and every kind of invalid one */
static void fz_set_mem(struct fz_thread *t, struct fz_rng *r)
{
	struct fz *fz = t->fz;
	struct gunyah_userspace_memory_region reg = {};
	__u64 ps = fz->ps, p;
	struct fz_slot *s;
	unsigned int k, c;
	int fd, ret;

	fd = fz_vm_fd(t, r, &s);
	reg.label = fz_label(r);
	reg.flags = fz_mem_flags(r);
	k = fz_below(r, 100);
	c = fz_below(r, 2);
	reg.guest_phys_addr = GHV_BASE;
	reg.userspace_addr = (uintptr_t)s->mem;
	reg.memory_size = FZ_IMAGE_PAGES * ps;
	if (k < 35) {
		/* the canonical region: the VM config and the guest program */
	} else if (k < 50) {
		reg.userspace_addr = (uintptr_t)s->mem + (FZ_IMAGE_PAGES + 2 * c) * ps;
		reg.memory_size = 2 * ps;
		reg.guest_phys_addr = GHV_BASE + 0x100000 + c * 0x10000;
	} else if (k < 58) {
		reg.userspace_addr = (uintptr_t)fz->memfd + 2 * c * ps;
		reg.memory_size = 2 * ps;
		reg.guest_phys_addr = GHV_BASE + 0x200000 + c * 0x10000;
	} else if (k < 62) {
		/* memory of another slot: its VM may hold it already */
		reg.userspace_addr = (uintptr_t)fz->slot[fz_below(r, FZ_SLOTS)].mem;
		reg.guest_phys_addr = GHV_BASE + 0x300000;
	} else if (k < 67) {
		p = 1 + fz_below(r, ps - 1);
		if (c)
			reg.userspace_addr += p;
		else if (fz_pct(r, 50))
			reg.guest_phys_addr += p;
		else
			reg.memory_size += p;
	} else if (k < 72) {
		reg.memory_size = 2 * ps;
		if (c)
			reg.guest_phys_addr = 0 - ps;
		else
			reg.userspace_addr = 0 - ps;
	} else if (k < 77) {
		reg.userspace_addr = FZ_HOLE;
		reg.memory_size = (1 + fz_below(r, 4)) * ps;
	} else if (k < 81) {
		reg.userspace_addr = (uintptr_t)fz->rdonly;
		reg.memory_size = (1 + c) * ps;
	} else if (k < 84) {
		reg.userspace_addr = (uintptr_t)fz->none;
		reg.memory_size = (1 + c) * ps;
	} else if (k < 87) {
		reg.userspace_addr = c ? FZ_KADDR : FZ_KTEXT;
		reg.memory_size = ps;
	} else if (k < 90) {
		reg.memory_size = 0;
	} else if (k < 93) {
		reg.memory_size = 1ULL << (32 + fz_below(r, 16));
	} else {
		reg.guest_phys_addr = fz_next(r) & ~(ps - 1);
	}
	p = fz_place(t, r, 0, &reg, sizeof(reg));
	ret = ioctl(fd, GUNYAH_VM_SET_USER_MEM_REGION, (unsigned long)p);
	fz_record(t, FZ_SET_MEM, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "SET_USER_MEM_REGION returned %d", ret);
}

static void fz_set_dtb(struct fz_thread *t, struct fz_rng *r)
{
	struct gunyah_vm_dtb_config dtb = {
		.guest_phys_addr = GHV_BASE + GHV_DTB_OFF,
		.size = t->fz->dtb_size,
	};
	struct fz_slot *s;
	unsigned int k;
	int fd, ret;
	__u64 p;

	fd = fz_vm_fd(t, r, &s);
	k = fz_below(r, 100);
	if (k < 60) {
		/* the real one */
	} else if (k < 68) {
		dtb.size = 0;
	} else if (k < 78) {
		dtb.guest_phys_addr = 0 - (__u64)(1 + fz_below(r, 64));
		dtb.size = 64 + fz_below(r, 64);
	} else if (k < 90) {
		dtb.guest_phys_addr = GHV_BASE + fz_below(r, 0x20000);
		dtb.size = 1 + fz_below(r, 0x10000);
	} else {
		dtb.guest_phys_addr = fz_next(r);
		dtb.size = fz_next(r);
	}
	p = fz_place(t, r, 0, &dtb, sizeof(dtb));
	ret = ioctl(fd, GUNYAH_VM_SET_DTB_CONFIG, (unsigned long)p);
	fz_record(t, FZ_SET_DTB, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "SET_DTB_CONFIG returned %d", ret);
}

static void fz_set_boot(struct fz_thread *t, struct fz_rng *r)
{
	static const __u32 sets[] = { GUNYAH_VM_BOOT_CONTEXT_REG_SET_X,
				      GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC,
				      GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 3, 0xff };
	static const __u32 indexes[] = { 0, 1, 2, 3, 31, 32, 255 };
	struct gunyah_vm_boot_context ctx = {
		.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0),
		.value = GHV_PROG_GPA,
	};
	struct fz_slot *s;
	int fd, ret;
	__u64 p;

	fd = fz_vm_fd(t, r, &s);
	if (!fz_pct(r, 40)) {
		ctx.reg = GUNYAH_VM_BOOT_CONTEXT_REG(sets[fz_below(r, 5)], indexes[fz_below(r, 7)]);
		if (fz_pct(r, 10))
			ctx.reg = (__u32)fz_next(r);
		if (fz_pct(r, 8))
			ctx.reserved = (__u32)fz_next(r) | 1;
		ctx.value = fz_next(r);
	}
	p = fz_place(t, r, 0, &ctx, sizeof(ctx));
	ret = ioctl(fd, GUNYAH_VM_SET_BOOT_CONTEXT, (unsigned long)p);
	fz_record(t, FZ_SET_BOOT, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "SET_BOOT_CONTEXT returned %d", ret);
}

static void fz_start(struct fz_thread *t, struct fz_rng *r)
{
	struct fz_slot *s;
	unsigned long arg;
	int fd, ret;

	fd = fz_vm_fd(t, r, &s);
	arg = fz_pct(r, 90) ? 0UL : (unsigned long)fz_next(r);
	ret = ioctl(fd, GUNYAH_VM_START, arg);
	fz_record(t, FZ_START, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "VM_START returned %d", ret);
}

/* The argument size a type takes (0 if the fuzzer does not know the type) */
static __u32 fz_arg_size(__u32 type)
{
	switch (type) {
	case GUNYAH_FN_VCPU:
		return sizeof(struct gunyah_fn_vcpu_arg);
	case GUNYAH_FN_IRQFD:
		return sizeof(struct gunyah_fn_irqfd_arg);
	case GUNYAH_FN_IOEVENTFD:
		return sizeof(struct gunyah_fn_ioeventfd_arg);
	case GUNYAH_FN_REGBANK:
		return sizeof(struct gunyah_regbank_arg);
	default:
		return 0;
	}
}

static __u64 fz_mmio_addr(struct fz_rng *r)
{
	unsigned int k = fz_below(r, 100);

	if (k < 50)
		return GHV_IOEV_ADDR;
	if (k < 65)
		return GHV_DEV_ADDR;
	if (k < 80)
		return GHV_IOEV_ADDR + 8 * fz_below(r, 4);
	if (k < 90)
		return 0 - (__u64)fz_below(r, 16);
	return fz_next(r);
}

static __u32 fz_vcpu_id(struct fz_rng *r)
{
	unsigned int k = fz_below(r, 100);

	if (k < 70)
		return fz_below(r, FZ_VCPUS);
	if (k < 90)
		return FZ_VCPUS + fz_below(r, 6);
	return (__u32)fz_next(r);
}

static __u32 fz_ioev_len(struct fz_rng *r)
{
	static const __u32 lens[] = { 0, 1, 2, 4, 8, 3, 16 };
	unsigned int k = fz_below(r, 100);

	if (k < 85)
		return lens[fz_below(r, 5)];
	if (k < 93)
		return lens[5 + fz_below(r, 2)];
	return (__u32)fz_next(r);
}

static __u32 fz_ioev_flags(struct fz_rng *r)
{
	unsigned int k = fz_below(r, 100);

	if (k < 70)
		return 0;
	if (k < 90)
		return GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	return (__u32)fz_next(r);
}

static __u64 fz_bank_base(struct fz_rng *r)
{
	unsigned int k = fz_below(r, 100);

	if (k < 60)
		return GHV_DEV_ADDR + 0x800 + 8 * fz_below(r, 4);
	if (k < 80)
		return GHV_DEV_ADDR + 0x801;
	return 0 - 8 * (__u64)fz_below(r, 4);
}

/* Garbage of FZ_MAX_ARG bytes, then, mostly, a well-formed argument of @type over its start */
static void fz_shape_arg(struct fz_thread *t, struct fz_rng *r, __u32 type)
{
	struct gunyah_fn_ioeventfd_arg ioev = {};
	struct gunyah_fn_irqfd_arg irqfd = {};
	struct gunyah_fn_vcpu_arg vcpu = {};
	struct gunyah_regbank_arg bank = {};
	unsigned char *buf = t->argbuf;
	__u64 v = 0;
	unsigned int i;

	for (i = 0; i < sizeof(t->argbuf); i++) {
		if (!(i % 8))
			v = fz_next(r);
		buf[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
	if (fz_pct(r, 15))
		return;

	switch (type) {
	case GUNYAH_FN_VCPU:
		vcpu.id = fz_vcpu_id(r);
		memcpy(buf, &vcpu, sizeof(vcpu));
		break;
	case GUNYAH_FN_IRQFD:
		irqfd.fd = fz_arg_fd(t, r);
		irqfd.label = fz_pct(r, 60) ? FZ_BELL_A + fz_below(r, 2) : fz_label(r);
		irqfd.flags = fz_pct(r, 85) ? fz_below(r, 2) : (__u32)fz_next(r);
		irqfd.padding = fz_pct(r, 95) ? 0 : (__u32)fz_next(r);
		memcpy(buf, &irqfd, sizeof(irqfd));
		break;
	case GUNYAH_FN_IOEVENTFD:
		ioev.addr = fz_mmio_addr(r);
		ioev.len = fz_ioev_len(r);
		ioev.fd = fz_arg_fd(t, r);
		ioev.flags = fz_ioev_flags(r);
		ioev.datamatch = fz_pct(r, 70) ? 1 + fz_below(r, 2) : fz_next(r);
		ioev.padding = fz_pct(r, 95) ? 0 : (__u32)fz_next(r);
		memcpy(buf, &ioev, sizeof(ioev));
		break;
	case GUNYAH_FN_REGBANK:
		bank.base = fz_bank_base(r);
		bank.n_regs = fz_pct(r, 80) ? fz_below(r, GUNYAH_REGBANK_MAX_REGS + 2) :
			      (__u32)fz_next(r);
		bank.flags = fz_pct(r, 90) ? 0 : (__u32)fz_next(r);
		memcpy(buf, &bank, sizeof(bank));
		break;
	default:
		break;
	}
}

static __u32 fz_fn_size(struct fz_rng *r, __u32 type)
{
	static const __u32 huge[] = { GUNYAH_FN_MAX_ARG_SIZE + 1, 0x1000, 0x10000, 0x7fffffff,
				      0xffffffff };
	unsigned int k = fz_below(r, 100);
	__u32 exact = fz_arg_size(type);

	if (k < 72 && exact)
		return exact;
	if (k < 84)
		return fz_below(r, FZ_MAX_ARG + 1);
	if (k < 89)
		return 0;
	if (k < 94)
		return GUNYAH_FN_MAX_ARG_SIZE + 1 +
		       fz_below(r, FZ_MAX_ARG - GUNYAH_FN_MAX_ARG_SIZE);
	return huge[fz_below(r, ARRAY_SIZE(huge))];
}

static void fz_fn(struct fz_thread *t, struct fz_rng *r, bool add)
{
	struct gunyah_fn_desc desc = { .type = fz_type(t, r, add) };
	enum fz_op op = add ? FZ_ADD_FN : FZ_RM_FN;
	struct fz_slot *s;
	int fd, ret, i;
	__u64 p;

	fz_shape_arg(t, r, desc.type);
	desc.arg_size = fz_fn_size(r, desc.type);
	desc.arg = fz_place(t, r, 2, t->argbuf,
			    desc.arg_size < FZ_MAX_ARG ? desc.arg_size : FZ_MAX_ARG);
	if (!desc.arg_size && fz_pct(r, 50))
		desc.arg = 0;
	fd = fz_vm_fd(t, r, &s);
	p = fz_place(t, r, 0, &desc, sizeof(desc));
	ret = ioctl(fd, add ? GUNYAH_VM_ADD_FUNCTION : GUNYAH_VM_REMOVE_FUNCTION,
		    (unsigned long)p);
	fz_record(t, op, fd, ret, errno);
	if (ret <= 0)
		return;
	if (!add || desc.type != GUNYAH_FN_VCPU) {
		fz_bad(t, "%s of type %#x returned %d", fz_op_names[op], desc.type, ret);
		return;
	}
	/* A new vCPU fd: keep it with the slot's VM if there is room */
	i = fz_below(r, FZ_VCPUS);
	fz_put_entry(t, &s->vcpu[i], ret);
}

/* RUN through a run page mapped for the call, with immediate_exit set most of the time */
static void fz_run(struct fz_thread *t, struct fz_rng *r)
{
	struct fz *fz = t->fz;
	struct gunyah_vcpu_run *run = NULL;
	int fd = fz_vcpu_fd(t, r), ret, i;
	__u64 word;
	void *p;

	if (fz_pct(r, 92)) {
		p = mmap(NULL, fz->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		fz_record(t, FZ_MMAP, fd, p == MAP_FAILED ? -1 : 0, errno);
		if (p != MAP_FAILED)
			run = p;
	}
	if (run) {
		__atomic_store_n(&run->immediate_exit, fz_pct(r, 85), __ATOMIC_RELAXED);
		/* Answers to a pending MMIO exit; never a value that looks like a kernel address */
		if (fz_pct(r, 20))
			run->mmio.resume_action = fz_pct(r, 80) ? fz_below(r, 3) :
						  fz_below(r, 0x80);
		if (fz_pct(r, 20)) {
			word = fz_next(r) & 0x00ffffffffffffffULL;
			memcpy(run->mmio.data, &word, sizeof(word));
		}
	}
	ret = ioctl(fd, GUNYAH_VCPU_RUN);
	fz_record(t, FZ_RUN, fd, ret, errno);
	if (ret > 0)
		fz_bad(t, "VCPU_RUN returned %d", ret);
	if (!ret && run) {
		i = run->exit_reason;
		/*
		 * With several threads, another one may have closed fd between the mmap and the
		 * ioctl and a new vCPU taken its number: the page mapped is then the old vCPU's,
		 * which never ran (UNKNOWN). One thread has no such race: there it is a bug.
		 */
		if (i == GUNYAH_VCPU_EXIT_UNKNOWN && fz->nthreads > 1)
			__atomic_fetch_add(&fz->run_exits[i], 1, __ATOMIC_RELAXED);
		else if (i != GUNYAH_VCPU_EXIT_MMIO && i != GUNYAH_VCPU_EXIT_STATUS)
			fz_bad(t, "VCPU_RUN returned 0 with exit_reason %d", i);
		else
			__atomic_fetch_add(&fz->run_exits[i], 1, __ATOMIC_RELAXED);
		/*
		 * Another thread's RUN of the same vCPU may be writing its own exit (the union
		 * is cleared first): 0 is allowed, nothing but a valid length or 0 is.
		 */
		if (i == GUNYAH_VCPU_EXIT_MMIO && (run->mmio.len > 8 ||
						   (run->mmio.len & (run->mmio.len - 1)) ||
						   run->mmio.is_write > 1))
			fz_bad(t, "MMIO exit with len %u is_write %u", run->mmio.len,
			       run->mmio.is_write);
		for (i = 0; i < 5; i++) {
			memcpy(&word, (char *)run + 8 * i, sizeof(word));
			if (word >= 0xff00000000000000ULL)
				fz_bad(t, "run page word %d is %#llx", i, (unsigned long long)word);
		}
	}
	if (run)
		munmap(run, fz->ps);
}

static void fz_mmap_size(struct fz_thread *t, struct fz_rng *r)
{
	int fd = fz_vcpu_fd(t, r), ret;

	ret = ioctl(fd, GUNYAH_VCPU_MMAP_SIZE);
	fz_record(t, FZ_MMAP_SIZE, fd, ret, errno);
	if (ret >= 0 && (size_t)ret != t->fz->ps)
		fz_bad(t, "VCPU_MMAP_SIZE returned %d", ret);
}

/* mmap() of a vCPU fd with random length, offset, protection and sharing */
static void fz_mmap(struct fz_thread *t, struct fz_rng *r)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE,
				     PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | PROT_EXEC,
				     PROT_NONE };
	size_t ps = t->fz->ps;
	size_t lens[] = { ps, 2 * ps, ps / 2, 0, 16 * ps };
	size_t len = lens[fz_pct(r, 60) ? 0 : fz_below(r, 5)];
	off_t off = fz_pct(r, 70) ? 0 : (off_t)(1 + fz_below(r, 4)) * (off_t)ps;
	int prot = prots[fz_pct(r, 60) ? 0 : fz_below(r, 6)];
	int flags = fz_pct(r, 75) ? MAP_SHARED : MAP_PRIVATE;
	int fd = fz_vcpu_fd(t, r);
	char *p;

	p = mmap(NULL, len, prot, flags, fd, off);
	fz_record(t, FZ_MMAP, fd, p == MAP_FAILED ? -1 : 0, errno);
	if (p == MAP_FAILED)
		return;
	if (off || len > ps || flags != MAP_SHARED || (prot & PROT_EXEC))
		fz_bad(t, "mmap of fd %d accepted: len %zu offset %lld prot %#x flags %#x", fd,
		       len, (long long)off, prot, flags);
	else if (prot & PROT_READ)
		__atomic_fetch_add(&fz_sink, p[0], __ATOMIC_RELAXED);	/* fault the page in */
	munmap(p, len);
}

static void fz_close(struct fz_thread *t, struct fz_rng *r)
{
	struct fz *fz = t->fz;
	struct fz_slot *s = &fz->slot[fz_below(r, FZ_SLOTS)];
	unsigned int k = fz_below(r, 100);

	if (k < 20)
		fz_close_entry(t, &s->vm);
	else if (k < 60)
		fz_close_entry(t, &s->vcpu[fz_below(r, FZ_VCPUS)]);
	else if (k < 85)
		fz_close_entry(t, &fz->efd[fz_below(r, FZ_EFDS)]);
	else
		fz_close_entry(t, &fz->dev[fz_below(r, FZ_DEVS)]);
}

static bool fz_cmd_valid(unsigned long cmd)
{
	static const unsigned long valid[] = {
		GUNYAH_CREATE_VM, GUNYAH_VM_SET_USER_MEM_REGION, GUNYAH_VM_SET_DTB_CONFIG,
		GUNYAH_VM_START, GUNYAH_VM_ADD_FUNCTION, GUNYAH_VM_REMOVE_FUNCTION,
		GUNYAH_VM_SET_BOOT_CONTEXT, GUNYAH_CHECK_FUNCTION, GUNYAH_VCPU_RUN,
		GUNYAH_VCPU_MMAP_SIZE,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(valid); i++)
		if (cmd == valid[i])
			return true;
	return false;
}

/* An ioctl number no Gunyah fd takes: the reserved guest_memfd numbers, free ones, wrong sizes */
static void fz_bad_ioctl(struct fz_thread *t, struct fz_rng *r)
{
	static const unsigned long wrong[] = {
		_IO(GUNYAH_IOCTL_TYPE, 0x08), _IO(GUNYAH_IOCTL_TYPE, 0x09),
		_IOW(GUNYAH_IOCTL_TYPE, 0x1, __u64),
		_IOR(GUNYAH_IOCTL_TYPE, 0x20, struct gunyah_fn_check),
		_IOW(GUNYAH_IOCTL_TYPE, 0x4, struct gunyah_fn_check),
		_IOWR(GUNYAH_IOCTL_TYPE, 0x2, struct gunyah_vm_dtb_config),
		_IOW(GUNYAH_IOCTL_TYPE, 0x5, __u32), _IO(GUNYAH_IOCTL_TYPE, 0x7),
	};
	unsigned long cmd, arg;
	int fd = fz_any_fd(t, r), ret, err;

	switch (fz_below(r, 5)) {
	case 0:
		cmd = wrong[fz_below(r, ARRAY_SIZE(wrong))];
		break;
	case 1:
		cmd = _IOW(GUNYAH_IOCTL_TYPE, 0x0b + fz_below(r, 0x15), __u64);
		break;
	case 2:
		cmd = _IOC(fz_below(r, 4), GUNYAH_IOCTL_TYPE, 0x21 + fz_below(r, 0xdf),
			   fz_below(r, 0x4000));
		break;
	case 3:
		cmd = _IO('A', 0x11 + fz_below(r, 7));
		break;
	default:
		cmd = ((unsigned long)(__u32)fz_next(r) & ~0xff00UL) | (GUNYAH_IOCTL_TYPE << 8);
		break;
	}
	while (fz_cmd_valid(cmd))
		cmd ^= 0x80;
	arg = fz_pct(r, 50) ? (unsigned long)t->scratch : (unsigned long)fz_next(r);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	fz_record(t, FZ_BAD_IOCTL, fd, ret, err);
	if (ret >= 0 || (err != ENOTTY && err != EBADF))
		fz_bad(t, "ioctl %#lx on fd %d: %d, errno %d", cmd, fd, ret, ret < 0 ? err : 0);
}

/* Signal an eventfd (an irqfd may ring a doorbell), sometimes with values it refuses */
static void fz_efd_write(struct fz_thread *t, struct fz_rng *r)
{
	int fd = fz_pct(r, 85) ? fz_efd(t, r) : fz_any_fd(t, r);
	__u64 val = fz_pct(r, 85) ? 1 : fz_pct(r, 50) ? ~0ULL : 0;
	ssize_t n;

	/* Never onto stdout or stderr */
	if (fd >= 0 && fd <= 2)
		return;
	n = write(fd, &val, sizeof(val));
	fz_record(t, FZ_EFD_WRITE, fd, n < 0 ? -1 : 0, errno);
	if (n >= 0 && fz_pct(r, 50))
		ghv_ignore(read(fd, &val, sizeof(val)));
}

static void fz_call(struct fz_thread *t, struct fz_rng *r)
{
	unsigned int k = fz_below(r, 1000);

	if (k < 30)
		fz_create_vm(t, r);
	else if (k < 80)
		fz_check_fn(t, r);
	else if (k < 230)
		fz_set_mem(t, r);
	else if (k < 290)
		fz_set_dtb(t, r);
	else if (k < 350)
		fz_set_boot(t, r);
	else if (k < 375)
		fz_start(t, r);
	else if (k < 575)
		fz_fn(t, r, true);
	else if (k < 695)
		fz_fn(t, r, false);
	else if (k < 845)
		fz_run(t, r);
	else if (k < 875)
		fz_mmap_size(t, r);
	else if (k < 915)
		fz_mmap(t, r);
	else if (k < 940)
		fz_close(t, r);
	else if (k < 980)
		fz_bad_ioctl(t, r);
	else
		fz_efd_write(t, r);
}

static void *fz_thread_fn(void *arg)
{
	struct fz_thread *t = arg;
	struct fz *fz = t->fz;
	unsigned long long i;
	struct fz_rng r;

	for (i = 0; !__atomic_load_n(&fz->stop, __ATOMIC_RELAXED); i++) {
		if (__atomic_load_n(&fz->calls, __ATOMIC_RELAXED) >= fz->target)
			break;
		fz_begin(t, i);
		fz_rng_init(&r, fz->seed, t->id, i);
		fz_call(t, &r);
	}
	return NULL;
}

/* ---- setup and teardown ---- */

static void fz_kmsg(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (len > 0)
		ghv_ignore(write(fd, buf, (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf)));
	close(fd);
}

static unsigned long long fz_env(const char *name, unsigned long long dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtoull(v, &end, 0);
	return errno || *end ? dflt : n;
}

static void *fz_map(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Memory, the VM config and the guest program of every slot; the memfd; odd mappings */
static int fz_setup_memory(struct fz *fz, char *why, size_t len)
{
	static const __u32 labels[] = { FZ_BELL_A, FZ_BELL_B };
	size_t ps = fz->ps;
	struct ghv_prog prog;
	unsigned int i, top;
	int mfd;

	for (i = 0; i < FZ_SLOTS; i++) {
		fz->slot[i].mem = fz_map(FZ_SLOT_PAGES * ps, PROT_READ | PROT_WRITE);
		if (!fz->slot[i].mem) {
			snprintf(why, len, "mmap: %s", strerror(errno));
			return -1;
		}
		fz->dtb_size = ghv_build_config(fz->slot[i].mem + GHV_DTB_OFF, GHV_DTB_MAX,
						FZ_VCPUS, labels, 2, GHV_BASE);
		ghv_prog_init(&prog, fz->slot[i].mem + GHV_PROG_OFF, ps);
		top = ghv_here(&prog);
		ghv_mmio_write(&prog, GHV_IOEV_ADDR, 4, 1);
		ghv_mmio_write(&prog, GHV_DEV_ADDR, 4, 2);
		ghv_mmio_read(&prog, GHV_DEV_ADDR, 4);
		ghv_yield(&prog);
		ghv_loop(&prog, top, 7);
		ghv_power_off(&prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, FZ_EXIT_REASON, 4);
		if (!fz->dtb_size || prog.err) {
			snprintf(why, len, "the VM config or the guest program does not fit");
			return -1;
		}
	}

	mfd = memfd_create("gunyah-fuzz", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, FZ_MEMFD_PAGES * ps)) {
		snprintf(why, len, "memfd: %s", strerror(errno));
		return -1;
	}
	fz->memfd = mmap(NULL, FZ_MEMFD_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	fz->rdonly = fz_map(2 * ps, PROT_READ);
	fz->none = fz_map(2 * ps, PROT_NONE);
	if (fz->memfd == MAP_FAILED || !fz->rdonly || !fz->none) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int fz_setup_threads(struct fz *fz, char *why, size_t len)
{
	size_t ps = fz->ps;
	unsigned int i;
	char *s;

	for (i = 0; i < fz->nthreads; i++) {
		s = fz_map(4 * ps, PROT_READ | PROT_WRITE);
		if (!s || mprotect(s + ps, ps, PROT_NONE) || mprotect(s + 3 * ps, ps, PROT_NONE)) {
			snprintf(why, len, "scratch: %s", strerror(errno));
			return -1;
		}
		fz->thr[i].fz = fz;
		fz->thr[i].id = i;
		fz->thr[i].scratch = s;
	}
	return 0;
}

/* Which types are there (loading their modules now, so the loop does not run modprobe) */
static void fz_probe_types(struct fz *fz)
{
	static const __u32 types[] = { GUNYAH_FN_REGBANK, GUNYAH_FN_VCPU, GUNYAH_FN_IRQFD,
				       GUNYAH_FN_IOEVENTFD };
	struct gunyah_fn_check check = {};
	unsigned int i;
	int dev = ghv_open_dev();

	for (i = 0; i < 4 && dev >= 0; i++) {
		check.type = types[i];
		fz->have_type[i] = !ioctl(dev, GUNYAH_CHECK_FUNCTION, &check);
	}
	if (dev >= 0)
		close(dev);
}

static void fz_close_all(struct fz *fz)
{
	struct fz_thread *t = &fz->thr[0];
	unsigned int i, j;

	for (i = 0; i < FZ_SLOTS; i++) {
		for (j = 0; j < FZ_VCPUS; j++)
			fz_close_entry(t, &fz->slot[i].vcpu[j]);
		fz_close_entry(t, &fz->slot[i].vm);
	}
	for (i = 0; i < FZ_EFDS; i++)
		fz_close_entry(t, &fz->efd[i]);
	for (i = 0; i < FZ_DEVS; i++)
		fz_close_entry(t, &fz->dev[i]);
}

static void fz_unmap_all(struct fz *fz)
{
	size_t ps = fz->ps;
	unsigned int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz->slot[i].mem)
			munmap(fz->slot[i].mem, FZ_SLOT_PAGES * ps);
	if (fz->memfd && fz->memfd != MAP_FAILED)
		munmap(fz->memfd, FZ_MEMFD_PAGES * ps);
	if (fz->rdonly)
		munmap(fz->rdonly, 2 * ps);
	if (fz->none)
		munmap(fz->none, 2 * ps);
	for (i = 0; i < fz->nthreads; i++)
		if (fz->thr[i].scratch)
			munmap(fz->thr[i].scratch, 4 * ps);
}

/* ---- reports ---- */

static void fz_print_stats(struct fz *fz)
{
	char line[512];
	unsigned long long total, n;
	unsigned int op, e;
	int len;

	printf("# fuzz: %llu calls (%llu asked), seed %#llx, %u threads\n",
	       __atomic_load_n(&fz->calls, __ATOMIC_RELAXED), fz->target,
	       (unsigned long long)fz->seed, fz->nthreads);
	for (op = 0; op < FZ_NR_OPS; op++) {
		total = 0;
		for (e = 0; e <= FZ_MAX_ERRNO; e++)
			total += fz->stats[op][e];
		if (!total)
			continue;
		len = snprintf(line, sizeof(line), "# %-20s %8llu: ok %llu", fz_op_names[op], total,
			       fz->stats[op][0]);
		for (e = 1; e <= FZ_MAX_ERRNO && len < (int)sizeof(line) - 32; e++) {
			n = fz->stats[op][e];
			if (n)
				len += snprintf(line + len, sizeof(line) - len, ", %s %llu",
						e < FZ_MAX_ERRNO ? fz_errname(e) : "other", n);
		}
		printf("%s\n", line);
	}
	printf("# fuzz: RUN exits: MMIO %llu, STATUS %llu\n", fz->run_exits[GUNYAH_VCPU_EXIT_MMIO],
	       fz->run_exits[GUNYAH_VCPU_EXIT_STATUS]);
	for (e = 0; e < fz->nthreads; e++)
		printf("# fuzz: thread %u: %llu calls\n", e, fz->thr[e].calls);
	fflush(stdout);
}

static void fz_print_traces(struct fz *fz)
{
	struct fz_thread *t;
	struct fz_trace *tr;
	unsigned int i, j;

	for (i = 0; i < fz->nthreads; i++) {
		t = &fz->thr[i];
		printf("# thread %u: in call %llu, last calls:\n", i,
		       __atomic_load_n(&t->cur, __ATOMIC_RELAXED));
		for (j = 0; j < FZ_TRACE; j++) {
			tr = &t->trace[(t->trace_pos + j) % FZ_TRACE];
			if (tr->op < FZ_NR_OPS && (tr->i || tr->ret || tr->fd))
				printf("#   call %llu: %s fd %d -> %ld %s\n", tr->i,
				       fz_op_names[tr->op], tr->fd, tr->ret,
				       tr->ret < 0 ? fz_errname(tr->err) : "");
		}
	}
	fflush(stdout);
}

/* Wait for the threads, watching that calls keep completing */
static void fz_monitor(struct fz *fz)
{
	unsigned long long last = 0, now;
	long long stalled_since = ghv_now_ms();
	bool joined[FZ_MAX_THREADS] = {};
	unsigned int i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < fz->nthreads; i++) {
			if (!joined[i])
				joined[i] = !pthread_tryjoin_np(fz->thr[i].thread, NULL);
			left += !joined[i];
		}
		if (!left)
			return;
		now = __atomic_load_n(&fz->calls, __ATOMIC_RELAXED);
		if (now != last) {
			last = now;
			stalled_since = ghv_now_ms();
		} else if (ghv_now_ms() - stalled_since > FZ_STALL_S * 1000) {
			printf("# fuzz: no call completed for %d s after %llu calls: hang\n",
			       FZ_STALL_S, now);
			fz_print_traces(fz);
			fz_print_stats(fz);
			_exit(KSFT_FAIL);
		}
		if (fz->deadline_ms && ghv_now_ms() > fz->deadline_ms)
			__atomic_store_n(&fz->stop, 1, __ATOMIC_RELAXED);
		ghv_sleep_ms(200);
	}
}

/**
 * fz_main() - run the fuzzer
 * @standalone: without the kselftest harness (no loop deadline unless asked)
 * @why: what failed, for the caller's report
 * @len: size of @why
 *
 * Return: 0 if every check passed, 1 if one failed (see @why), KSFT_SKIP without /dev/gunyah.
 */
static int fz_main(bool standalone, char *why, size_t len)
{
	struct fz *fz = &fz_state;
	struct gh_snapshot before, after;
	unsigned long long secs;
	unsigned int i, j;
	long long t0;
	int ret = 0;

	*why = '\0';
	if (!ghv_have_dev()) {
		snprintf(why, len, "no %s", GHV_DEV_PATH);
		return KSFT_SKIP;
	}
	memset(fz, 0, sizeof(*fz));
	fz->ps = (size_t)sysconf(_SC_PAGESIZE);
	fz->seed = fz_env("GUNYAH_FUZZ_SEED", 0);
	if (!getenv("GUNYAH_FUZZ_SEED"))
		fz->seed = ((__u64)ghv_now_us() << 20) ^ (__u64)getpid() ^ 0x5eed5eed5eedULL;
	fz->target = fz_env("GUNYAH_FUZZ_CALLS", FZ_DEFAULT_CALLS);
	fz->nthreads = (unsigned int)fz_env("GUNYAH_FUZZ_THREADS", FZ_DEFAULT_THREADS);
	if (!fz->nthreads || fz->nthreads > FZ_MAX_THREADS)
		fz->nthreads = FZ_DEFAULT_THREADS;
	secs = fz_env("GUNYAH_FUZZ_SECONDS", standalone ? 0 : FZ_TAP_SECONDS);
	fz->modprobe_budget = FZ_MODPROBE_BUDGET;
	for (i = 0; i < FZ_DEVS; i++)
		fz->dev[i] = -1;
	for (i = 0; i < FZ_EFDS; i++)
		fz->efd[i] = -1;
	for (i = 0; i < FZ_CLOSED; i++)
		fz->closed[i] = -1;
	for (i = 0; i < FZ_SLOTS; i++) {
		fz->slot[i].vm = -1;
		for (j = 0; j < FZ_VCPUS; j++)
			fz->slot[i].vcpu[j] = -1;
	}
	fz_allowed_init(fz);

	printf("# fuzz: seed %#llx (GUNYAH_FUZZ_SEED=%#llx to repeat), %llu calls, %u threads\n",
	       (unsigned long long)fz->seed, (unsigned long long)fz->seed, fz->target,
	       fz->nthreads);
	fflush(stdout);
	fz_kmsg("gunyah fuzz_test: seed %#llx, %llu calls, %u threads: start\n",
		(unsigned long long)fz->seed, fz->target, fz->nthreads);

	if (gh_have_sim())
		gh_sim_reset_knobs();
	fz_probe_types(fz);
	gh_snapshot_take(&before);
	if (fz_setup_memory(fz, why, len) || fz_setup_threads(fz, why, len)) {
		fz_unmap_all(fz);
		return 1;
	}

	t0 = ghv_now_ms();
	fz->deadline_ms = secs ? t0 + (long long)secs * 1000 : 0;
	/* A backstop behind the monitor: a hang in the teardown fails too */
	ghv_watchdog_arm(secs ? (unsigned int)secs + FZ_STALL_S + 10 : 0, "fuzz_test");
	for (i = 0; i < fz->nthreads; i++) {
		if (pthread_create(&fz->thr[i].thread, NULL, fz_thread_fn, &fz->thr[i])) {
			__atomic_store_n(&fz->stop, 1, __ATOMIC_RELAXED);
			fz->nthreads = i;
			snprintf(why, len, "pthread_create failed");
			ret = 1;
			break;
		}
	}
	fz_monitor(fz);
	printf("# fuzz: %llu calls in %lld ms\n", fz->calls, ghv_now_ms() - t0);

	fz_close_all(fz);
	fz_print_stats(fz);
	for (i = 0; i < fz->n_bad && i < FZ_MAX_REPORTS; i++)
		printf("# fuzz: unexpected: %s\n", fz->bad[i]);
	if (fz->n_bad) {
		snprintf(why, len, "%u unexpected results (seed %#llx)", fz->n_bad,
			 (unsigned long long)fz->seed);
		ret = 1;
	}
	if (!ret && fz->calls < fz->target) {
		snprintf(why, len, "only %llu of %llu calls in the %llu s allowed (seed %#llx)",
			 fz->calls, fz->target, secs, (unsigned long long)fz->seed);
		ret = 1;
	}

	if (!gh_snapshot_wait(&before, &after, true)) {
		printf("# fuzz: not released: vmids_live %lld -> %lld, parcels_live %lld -> %lld\n",
		       before.vmids_live, after.vmids_live, before.parcels_live,
		       after.parcels_live);
		printf("# fuzz: pages %lld -> %lld, VmLck %lld -> %lld kB, pins %lld -> %lld\n",
		       before.pages_shared, after.pages_shared, before.vmlck_kb,
		       after.vmlck_kb, before.pins, after.pins);
		if (!ret)
			snprintf(why, len, "not released once every fd was closed (seed %#llx)",
				 (unsigned long long)fz->seed);
		ret = 1;
	}
	alarm(0);
	fz_unmap_all(fz);
	fz_kmsg("gunyah fuzz_test: seed %#llx: %llu calls, %s\n", (unsigned long long)fz->seed,
		fz->calls, ret ? "FAILED" : "done");
	fflush(stdout);
	return ret;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	if (!ghv_have_dev())
		SKIP(return, "no %s", GHV_DEV_PATH);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* GUNYAH_FUZZ_CALLS calls (100000 by default) from several threads; everything released after */
TEST_F_TIMEOUT(fuzz, ioctls, 295)
{
	char why[256];
	int ret = fz_main(false, why, sizeof(why));

	if (ret == KSFT_SKIP)
		SKIP(return, "%s", why);
	EXPECT_EQ(0, ret) TH_LOG("%s", why);
}

/*
 * The kselftest harness; or the fuzzer alone, without the harness's per-test timeout, with
 * --standalone or when GUNYAH_FUZZ_CALLS asks for more than the default (make fuzz).
 */
int main(int argc, char **argv)
{
	bool standalone = argc > 1 && !strcmp(argv[1], "--standalone");
	char why[256];
	int ret;

	if (fz_env("GUNYAH_FUZZ_CALLS", FZ_DEFAULT_CALLS) > FZ_DEFAULT_CALLS)
		standalone = true;
	if (!standalone)
		return test_harness_run(argc, argv);

	printf("TAP version 13\n1..1\n");
	fflush(stdout);
	ret = fz_main(true, why, sizeof(why));
	if (ret == KSFT_SKIP) {
		printf("ok 1 fuzz # SKIP %s\n", why);
		return KSFT_SKIP;
	}
	if (ret)
		printf("# %s\nnot ok 1 fuzz\n", why);
	else
		printf("ok 1 fuzz\n");
	return ret ? KSFT_FAIL : KSFT_PASS;
}
