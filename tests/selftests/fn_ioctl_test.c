// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: every error path of GUNYAH_VM_ADD_FUNCTION, GUNYAH_VM_REMOVE_FUNCTION and
 * GUNYAH_CHECK_FUNCTION through the ioctls, one table per ioctl, each row with the errno
 * <linux/gunyah.h> documents.
 *
 * A failed call must leave nothing behind: the reference counts of the function modules
 * (/sys/module/<mod>/refcnt) are unchanged, and the same valid ADD then succeeds (no stale vCPU
 * id, doorbell ticket or IO handler answers EEXIST). A failed REMOVE leaves the instance it did
 * not remove in place. Besides the tables: the rate-limited message for an oversized argument,
 * type numbers outside [1, GUNYAH_FN_SAMPLE_LAST] never reaching modprobe, and a VM fd that
 * outlives its /dev/gunyah.
 *
 * Runs in the test guest as root with gunyah_sim and gunyah_rsc_mgr loaded; the function
 * modules (gunyah_vcpu, gunyah_irqfd, gunyah_ioeventfd) autoload. Skips without /dev/gunyah.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"

#define VCPU		GUNYAH_FN_VCPU
#define IRQFD		GUNYAH_FN_IRQFD
#define IOEVFD		GUNYAH_FN_IOEVENTFD
#define NR_FN		3			/* types 1..3 are the in-tree functions */
#define FN_ABSENT	4			/* in range, no module provides it */
#define FN_NO_MOD	GUNYAH_FN_SAMPLE_LAST	/* in the sample range, no module provides it */
#define FN_OUT		(GUNYAH_FN_SAMPLE_LAST + 1)	/* outside the range */

#define FN_LABEL	5
#define FN_IOEV_ADDR	0x10001000ULL
#define FN_KERNEL_ADDR	0xffff888000000000ULL	/* kernel half: never a user pointer */
#define FN_MAX_FDS	4
#define FN_MAP_PAGES	4

static const char * const fn_mods[NR_FN + 1] = {
	[VCPU] = "gunyah_vcpu",
	[IRQFD] = "gunyah_irqfd",
	[IOEVFD] = "gunyah_ioeventfd",
};

/* The reference count of module @mod, or -1 if it is not loaded */
static int mod_refcnt(const char *mod)
{
	char path[96];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static void fn_refcnts(int cnt[NR_FN + 1])
{
	int i;

	cnt[0] = 0;
	for (i = 1; i <= NR_FN; i++)
		cnt[i] = mod_refcnt(fn_mods[i]);
}

/* GUNYAH_CHECK_FUNCTION: 0 or -errno */
static int fn_check(int devfd, __u32 type, __u32 flags)
{
	struct gunyah_fn_check check = { .type = type, .flags = flags };

	return ioctl(devfd, GUNYAH_CHECK_FUNCTION, &check) ? -errno : 0;
}

/* Load the three function modules (CHECK_FUNCTION autoloads them) */
static void fn_load_all(struct __test_metadata *_metadata, int devfd)
{
	__u32 type;
	int ret;

	for (type = 1; type <= NR_FN; type++) {
		ret = fn_check(devfd, type, 0);
		ASSERT_EQ(0, ret) TH_LOG("CHECK_FUNCTION %u: %s", type, strerror(-ret));
		ASSERT_LE(0, mod_refcnt(fn_mods[type])) TH_LOG("%s not loaded", fn_mods[type]);
	}
}

/*
 * Memory for arguments, FN_MAP_PAGES pages: page 0 read-write (the arguments, the descriptor
 * at the middle), page 1 PROT_NONE, page 2 unmapped, page 3 read-write (keeps page 2 a hole
 * between two mappings).
 */
enum where {
	AT_VALID,	/* in page 0 */
	AT_NULL,
	AT_UNMAPPED,	/* page 2 */
	AT_PROT_NONE,	/* page 1 */
	AT_STRADDLE,	/* the first half at the end of page 0, the rest in page 1 */
	AT_KERNEL,	/* FN_KERNEL_ADDR */
};

static char *fn_map_args(struct __test_metadata *_metadata, size_t ps)
{
	char *map = mmap(NULL, FN_MAP_PAGES * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(map != MAP_FAILED);
	ASSERT_EQ(0, mprotect(map + ps, ps, PROT_NONE));
	ASSERT_EQ(0, munmap(map + 2 * ps, ps));
	return map;
}

/* Put @size bytes of @src where @w says (at @off into page 0 for AT_VALID); the address */
static __u64 fn_place(char *map, size_t ps, enum where w, size_t off, const void *src,
		      size_t size)
{
	char *p;

	switch (w) {
	case AT_VALID:
		memcpy(map + off, src, size);
		return (uintptr_t)(map + off);
	case AT_NULL:
		return 0;
	case AT_UNMAPPED:
		return (uintptr_t)(map + 2 * ps);
	case AT_PROT_NONE:
		return (uintptr_t)(map + ps);
	case AT_STRADDLE:
		p = map + ps - size / 2;
		memcpy(p, src, size / 2);
		return (uintptr_t)p;
	case AT_KERNEL:
		return FN_KERNEL_ADDR;
	}
	return 0;
}

/* ---- ADD_FUNCTION and REMOVE_FUNCTION ---- */

union fn_arg {
	struct gunyah_fn_vcpu_arg vcpu;
	struct gunyah_fn_irqfd_arg irqfd;
	struct gunyah_fn_ioeventfd_arg ioeventfd;
};

/* How the argument differs from the valid one of its type */
enum tweak {
	TWEAK_NONE,
	TWEAK_OTHER,		/* valid, names another instance: vCPU 1, label + 1, addr + 0x100 */
	TWEAK_BAD,		/* a field is invalid: irqfd flags 2, ioeventfd len 3 */
	TWEAK_BADFD,		/* fd -1 */
	TWEAK_NOT_EVENTFD,	/* fd is /dev/gunyah */
	TWEAK_PADDING,		/* padding 1 */
};

/* What the VM holds before the call */
enum prior {
	PRIOR_NONE,
	PRIOR_ADDED,		/* the valid instance of @fn */
	PRIOR_REMOVED,		/* the valid instance of @fn, added and removed again */
};

/**
 * struct fn_vm - a VM to add functions to
 * @devfd: /dev/gunyah
 * @vmfd: the VM
 * @efd: an eventfd for irqfds and ioeventfds
 * @map: memory for arguments (fn_map_args())
 * @ps: the page size
 * @fds: vCPU fds to close
 * @n_fds: how many
 * @base: the function modules' reference counts once the VM exists
 */
struct fn_vm {
	int devfd;
	int vmfd;
	int efd;
	char *map;
	size_t ps;
	int fds[FN_MAX_FDS];
	int n_fds;
	int base[NR_FN + 1];
};

FIXTURE(fn_err) {
	struct fn_vm c;
};

/*
 * One failing ADD_FUNCTION or REMOVE_FUNCTION. @fn is the in-tree type whose valid instance the
 * VM gets before (@prior) and after the call; the descriptor has @type and the argument of @fn,
 * changed by @tweak, of @fn's size unless @raw_size.
 */
FIXTURE_VARIANT(fn_err) {
	bool remove;
	__u32 fn;
	__u32 type;
	bool raw_size;
	__u32 size;
	enum where arg;
	enum where desc;
	enum tweak tweak;
	enum prior prior;
	int err;
};

/* ADD: arg_size above GUNYAH_FN_MAX_ARG_SIZE */
FIXTURE_VARIANT_ADD(fn_err, add_size_257) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = GUNYAH_FN_MAX_ARG_SIZE + 1,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_size_u32_max) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = UINT32_MAX, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_size_257) {
	.fn = IRQFD, .type = IRQFD, .raw_size = true, .size = GUNYAH_FN_MAX_ARG_SIZE + 1,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_size_u32_max) {
	.fn = IOEVFD, .type = IOEVFD, .raw_size = true, .size = UINT32_MAX, .err = EINVAL,
};

/* ADD: an argument that cannot be read */
FIXTURE_VARIANT_ADD(fn_err, add_arg_null) {
	.fn = VCPU, .type = VCPU, .arg = AT_NULL, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_arg_null) {
	.fn = IRQFD, .type = IRQFD, .arg = AT_NULL, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_arg_null) {
	.fn = IOEVFD, .type = IOEVFD, .arg = AT_NULL, .err = EFAULT,
};

/* 256 passes the size check: the NULL pointer is what fails */
FIXTURE_VARIANT_ADD(fn_err, add_arg_null_size_256) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = GUNYAH_FN_MAX_ARG_SIZE,
	.arg = AT_NULL, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_arg_unmapped) {
	.fn = VCPU, .type = VCPU, .arg = AT_UNMAPPED, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_arg_unmapped) {
	.fn = IRQFD, .type = IRQFD, .arg = AT_UNMAPPED, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_arg_prot_none) {
	.fn = IRQFD, .type = IRQFD, .arg = AT_PROT_NONE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_arg_straddle) {
	.fn = IOEVFD, .type = IOEVFD, .arg = AT_STRADDLE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_vcpu_arg_straddle) {
	.fn = VCPU, .type = VCPU, .arg = AT_STRADDLE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_arg_kernel) {
	.fn = IRQFD, .type = IRQFD, .arg = AT_KERNEL, .err = EFAULT,
};

/* ADD: a descriptor that cannot be read */
FIXTURE_VARIANT_ADD(fn_err, add_desc_null) {
	.fn = VCPU, .type = VCPU, .desc = AT_NULL, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_desc_unmapped) {
	.fn = IRQFD, .type = IRQFD, .desc = AT_UNMAPPED, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_desc_prot_none) {
	.fn = VCPU, .type = VCPU, .desc = AT_PROT_NONE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, add_desc_straddle) {
	.fn = IOEVFD, .type = IOEVFD, .desc = AT_STRADDLE, .err = EFAULT,
};

/* ADD: types no module provides (with a vCPU's argument) */
FIXTURE_VARIANT_ADD(fn_err, add_type_0) {
	.fn = VCPU, .type = 0, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_0_no_arg) {
	.fn = VCPU, .type = 0, .raw_size = true, .size = 0, .arg = AT_NULL, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_4) {
	.fn = VCPU, .type = FN_ABSENT, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_0x80ff) {
	.fn = VCPU, .type = FN_NO_MOD, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_0x8100) {
	.fn = VCPU, .type = FN_OUT, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_0x80000000) {
	.fn = IRQFD, .type = 0x80000000U, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, add_type_u32_max) {
	.fn = VCPU, .type = UINT32_MAX, .err = ENOENT,
};

/* ADD: arguments the type refuses (after its module was found: the reference must go back) */
FIXTURE_VARIANT_ADD(fn_err, add_vcpu_size_0) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = 0, .arg = AT_NULL, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_vcpu_size_8) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = 8, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_vcpu_size_256) {
	.fn = VCPU, .type = VCPU, .raw_size = true, .size = GUNYAH_FN_MAX_ARG_SIZE,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_size_12) {
	.fn = IRQFD, .type = IRQFD, .raw_size = true, .size = 12, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_size_36) {
	.fn = IOEVFD, .type = IOEVFD, .raw_size = true, .size = 36, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_bad_flags) {
	.fn = IRQFD, .type = IRQFD, .tweak = TWEAK_BAD, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_padding) {
	.fn = IRQFD, .type = IRQFD, .tweak = TWEAK_PADDING, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_bad_fd) {
	.fn = IRQFD, .type = IRQFD, .tweak = TWEAK_BADFD, .err = EBADF,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_not_eventfd) {
	.fn = IRQFD, .type = IRQFD, .tweak = TWEAK_NOT_EVENTFD, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_bad_len) {
	.fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_BAD, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_padding) {
	.fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_PADDING, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_bad_fd) {
	.fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_BADFD, .err = EBADF,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_not_eventfd) {
	.fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_NOT_EVENTFD, .err = EINVAL,
};

/* ADD: duplicates (one instance must remain, not two) */
FIXTURE_VARIANT_ADD(fn_err, add_vcpu_twice) {
	.fn = VCPU, .type = VCPU, .prior = PRIOR_ADDED, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(fn_err, add_irqfd_twice) {
	.fn = IRQFD, .type = IRQFD, .prior = PRIOR_ADDED, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(fn_err, add_ioeventfd_twice) {
	.fn = IOEVFD, .type = IOEVFD, .prior = PRIOR_ADDED, .err = EEXIST,
};

/* REMOVE: arg_size above GUNYAH_FN_MAX_ARG_SIZE */
FIXTURE_VARIANT_ADD(fn_err, rm_size_257) {
	.remove = true, .fn = VCPU, .type = VCPU, .raw_size = true,
	.size = GUNYAH_FN_MAX_ARG_SIZE + 1, .prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_size_u32_max) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .raw_size = true, .size = UINT32_MAX,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

/* REMOVE: an argument or descriptor that cannot be read */
FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_arg_null) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .arg = AT_NULL, .prior = PRIOR_ADDED,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_arg_unmapped) {
	.remove = true, .fn = VCPU, .type = VCPU, .arg = AT_UNMAPPED, .prior = PRIOR_ADDED,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_arg_straddle) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .arg = AT_STRADDLE, .prior = PRIOR_ADDED,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_desc_null) {
	.remove = true, .fn = VCPU, .type = VCPU, .desc = AT_NULL, .prior = PRIOR_ADDED,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_desc_unmapped) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .desc = AT_UNMAPPED, .prior = PRIOR_ADDED,
	.err = EFAULT,
};

/* REMOVE: nothing of the type was added */
FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_never_added) {
	.remove = true, .fn = VCPU, .type = VCPU, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_never_added) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_never_added) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .err = ENOENT,
};

/* REMOVE: types no module provides; the vCPU that exists is not touched */
FIXTURE_VARIANT_ADD(fn_err, rm_type_0) {
	.remove = true, .fn = VCPU, .type = 0, .prior = PRIOR_ADDED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_type_4) {
	.remove = true, .fn = VCPU, .type = FN_ABSENT, .prior = PRIOR_ADDED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_type_0x80ff) {
	.remove = true, .fn = VCPU, .type = FN_NO_MOD, .prior = PRIOR_ADDED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_type_0x8100) {
	.remove = true, .fn = VCPU, .type = FN_OUT, .prior = PRIOR_ADDED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_type_u32_max) {
	.remove = true, .fn = VCPU, .type = UINT32_MAX, .prior = PRIOR_ADDED, .err = ENOENT,
};

/* REMOVE: the wrong size, which each in-tree type's validate() refuses */
FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_size_0) {
	.remove = true, .fn = VCPU, .type = VCPU, .raw_size = true, .size = 0, .arg = AT_NULL,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_size_8) {
	.remove = true, .fn = VCPU, .type = VCPU, .raw_size = true, .size = 8,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_size_12) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .raw_size = true, .size = 12,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_size_20) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .raw_size = true, .size = 20,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_size_24) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .raw_size = true, .size = 24,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_size_40) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .raw_size = true, .size = 40,
	.prior = PRIOR_ADDED, .err = EINVAL,
};

/* validate() runs whether or not an instance exists */
FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_size_12_none_added) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .raw_size = true, .size = 12,
	.err = EINVAL,
};

/* ioeventfd's validate() also checks the fields used for matching */
FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_bad_len) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_BAD, .prior = PRIOR_ADDED,
	.err = EINVAL,
};

/* REMOVE: a valid argument that matches no instance */
FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_other_id) {
	.remove = true, .fn = VCPU, .type = VCPU, .tweak = TWEAK_OTHER, .prior = PRIOR_ADDED,
	.err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_other_label) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .tweak = TWEAK_OTHER, .prior = PRIOR_ADDED,
	.err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_other_addr) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .tweak = TWEAK_OTHER,
	.prior = PRIOR_ADDED, .err = ENOENT,
};

/* REMOVE: the matching argument a second time */
FIXTURE_VARIANT_ADD(fn_err, rm_vcpu_twice) {
	.remove = true, .fn = VCPU, .type = VCPU, .prior = PRIOR_REMOVED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_irqfd_twice) {
	.remove = true, .fn = IRQFD, .type = IRQFD, .prior = PRIOR_REMOVED, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(fn_err, rm_ioeventfd_twice) {
	.remove = true, .fn = IOEVFD, .type = IOEVFD, .prior = PRIOR_REMOVED, .err = ENOENT,
};

/* The argument of @fn, changed by @t; returns its size */
static size_t fn_arg_make(struct fn_vm *c, __u32 fn, enum tweak t, union fn_arg *a)
{
	int fd = c->efd;

	if (t == TWEAK_BADFD)
		fd = -1;
	else if (t == TWEAK_NOT_EVENTFD)
		fd = c->devfd;

	memset(a, 0, sizeof(*a));
	switch (fn) {
	case VCPU:
		a->vcpu.id = t == TWEAK_OTHER ? 1 : 0;
		return sizeof(a->vcpu);
	case IRQFD:
		a->irqfd.fd = fd;
		a->irqfd.label = t == TWEAK_OTHER ? FN_LABEL + 1 : FN_LABEL;
		a->irqfd.flags = t == TWEAK_BAD ? 2 : 0;
		a->irqfd.padding = t == TWEAK_PADDING;
		return sizeof(a->irqfd);
	default:
		a->ioeventfd.fd = fd;
		a->ioeventfd.addr = t == TWEAK_OTHER ? FN_IOEV_ADDR + 0x100 : FN_IOEV_ADDR;
		a->ioeventfd.len = t == TWEAK_BAD ? 3 : 4;
		a->ioeventfd.padding = t == TWEAK_PADDING;
		return sizeof(a->ioeventfd);
	}
}

/* ADD (@add) or REMOVE the valid instance of @fn: the ioctl's result or -errno */
static int fn_valid(struct fn_vm *c, bool add, __u32 fn)
{
	union fn_arg a;
	size_t size = fn_arg_make(c, fn, TWEAK_NONE, &a);
	int ret = ghv_fn(c->vmfd, add, fn, &a, size);

	if (add && fn == VCPU && ret >= 0 && c->n_fds < FN_MAX_FDS)
		c->fds[c->n_fds++] = ret;
	return ret;
}

static void fn_close_fds(struct fn_vm *c)
{
	while (c->n_fds > 0)
		close(c->fds[--c->n_fds]);
}

FIXTURE_SETUP(fn_err)
{
	struct fn_vm *c = &self->c;

	c->devfd = -1;
	c->vmfd = -1;
	c->efd = -1;
	c->map = NULL;
	c->n_fds = 0;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	c->devfd = gh_open_dev();
	ASSERT_LE(0, c->devfd);
	fn_load_all(_metadata, c->devfd);
	c->vmfd = gh_create_vm(c->devfd);
	ASSERT_LE(0, c->vmfd) TH_LOG("CREATE_VM: %s", strerror(errno));
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, c->efd);
	c->ps = gh_page_size();
	c->map = fn_map_args(_metadata, c->ps);
	fn_refcnts(c->base);
}

FIXTURE_TEARDOWN(fn_err)
{
	struct fn_vm *c = &self->c;

	fn_close_fds(c);
	if (c->map)
		munmap(c->map, FN_MAP_PAGES * c->ps);
	if (c->efd >= 0)
		close(c->efd);
	if (c->vmfd >= 0)
		close(c->vmfd);
	if (c->devfd >= 0)
		close(c->devfd);
}

TEST_F(fn_err, fails_cleanly)
{
	unsigned long cmd = variant->remove ? GUNYAH_VM_REMOVE_FUNCTION : GUNYAH_VM_ADD_FUNCTION;
	int before[NR_FN + 1], now[NR_FN + 1];
	struct gunyah_fn_desc desc = {};
	const __u32 fn = variant->fn;
	struct fn_vm *c = &self->c;
	union fn_arg arg;
	size_t natural;
	void *descp;
	int i, ret, err;

	if (variant->prior != PRIOR_NONE) {
		ret = fn_valid(c, true, fn);
		ASSERT_LE(0, ret) TH_LOG("adding %s: %s", fn_mods[fn], strerror(-ret));
	}
	if (variant->prior == PRIOR_REMOVED)
		ASSERT_EQ(0, fn_valid(c, false, fn));

	natural = fn_arg_make(c, fn, variant->tweak, &arg);
	desc.type = variant->type;
	desc.arg_size = variant->raw_size ? variant->size : natural;
	desc.arg = fn_place(c->map, c->ps, variant->arg, 0, &arg, natural);
	descp = (void *)(uintptr_t)fn_place(c->map, c->ps, variant->desc, c->ps / 2, &desc,
					    sizeof(desc));

	fn_refcnts(before);
	errno = 0;
	ret = ioctl(c->vmfd, cmd, descp);
	err = errno;
	if (ret >= 0 && !variant->remove && variant->type == VCPU && c->n_fds < FN_MAX_FDS)
		c->fds[c->n_fds++] = ret;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(variant->err, err) TH_LOG("errno %d (%s), expected %d (%s)", err, strerror(err),
					    variant->err, strerror(variant->err));

	/* Nothing taken */
	fn_refcnts(now);
	for (i = 1; i <= NR_FN; i++) {
		EXPECT_EQ(before[i], now[i]) TH_LOG("%s: refcnt %d, was %d", fn_mods[i], now[i],
						    before[i]);
	}

	/* Nothing left, nothing lost: the VM holds what it held before the call */
	if (variant->prior == PRIOR_ADDED) {
		EXPECT_EQ(0, fn_valid(c, false, fn)) TH_LOG("the %s instance is gone", fn_mods[fn]);
	} else {
		ret = fn_valid(c, true, fn);
		EXPECT_LE(0, ret) TH_LOG("the valid ADD of %s after the failure: %s", fn_mods[fn],
					 strerror(-ret));
		fn_refcnts(now);
		EXPECT_LT(before[fn], now[fn]) TH_LOG("%s: an instance holds no reference",
						      fn_mods[fn]);
		EXPECT_EQ(0, fn_valid(c, false, fn));
	}
	EXPECT_EQ(-ENOENT, fn_valid(c, false, fn)) TH_LOG("a second %s instance", fn_mods[fn]);

	/* Every reference back once the vCPU fds are closed */
	fn_close_fds(c);
	fn_refcnts(now);
	for (i = 1; i <= NR_FN; i++) {
		EXPECT_EQ(c->base[i], now[i]) TH_LOG("%s: refcnt %d, was %d at the start",
						     fn_mods[i], now[i], c->base[i]);
	}
}

/* ---- CHECK_FUNCTION ---- */

FIXTURE(check) {
	int devfd;
	char *map;
	size_t ps;
	int base[NR_FN + 1];
};

FIXTURE_VARIANT(check) {
	__u32 type;
	__u32 flags;
	enum where at;
	bool unload;	/* unload the type's module first: CHECK_FUNCTION must load it */
	int err;
};

FIXTURE_VARIANT_ADD(check, vcpu) {
	.type = VCPU, .unload = true, .err = 0,
};

FIXTURE_VARIANT_ADD(check, irqfd) {
	.type = IRQFD, .unload = true, .err = 0,
};

FIXTURE_VARIANT_ADD(check, ioeventfd) {
	.type = IOEVFD, .unload = true, .err = 0,
};

FIXTURE_VARIANT_ADD(check, vcpu_loaded) {
	.type = VCPU, .err = 0,
};

FIXTURE_VARIANT_ADD(check, type_0) {
	.type = 0, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(check, type_4) {
	.type = FN_ABSENT, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(check, type_0x80ff) {
	.type = FN_NO_MOD, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(check, type_0x8100) {
	.type = FN_OUT, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(check, type_0x10001) {
	.type = 0x10000 + VCPU, .err = ENOENT,	/* not truncated to 16 bits */
};

FIXTURE_VARIANT_ADD(check, type_u32_max) {
	.type = UINT32_MAX, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(check, flags_1) {
	.type = VCPU, .flags = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(check, flags_bit31) {
	.type = IRQFD, .flags = 0x80000000U, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(check, arg_null) {
	.type = VCPU, .at = AT_NULL, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(check, arg_unmapped) {
	.type = VCPU, .at = AT_UNMAPPED, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(check, arg_prot_none) {
	.type = VCPU, .at = AT_PROT_NONE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(check, arg_straddle) {
	.type = VCPU, .at = AT_STRADDLE, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(check, arg_kernel) {
	.type = VCPU, .at = AT_KERNEL, .err = EFAULT,
};

FIXTURE_SETUP(check)
{
	self->devfd = -1;
	self->map = NULL;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	fn_load_all(_metadata, self->devfd);
	self->ps = gh_page_size();
	self->map = fn_map_args(_metadata, self->ps);
	fn_refcnts(self->base);
}

FIXTURE_TEARDOWN(check)
{
	if (self->map)
		munmap(self->map, FN_MAP_PAGES * self->ps);
	if (self->devfd >= 0)
		close(self->devfd);
}

/* Unload @mod if nobody uses it; true once it is gone */
static bool fn_unload(const char *mod)
{
	long long deadline = gh_now_ms() + 2000;

	for (;;) {
		if (!syscall(SYS_delete_module, mod, O_NONBLOCK))
			return true;
		if ((errno != EAGAIN && errno != EBUSY) || gh_now_ms() > deadline)
			return false;
		gh_sleep_ms(20);
	}
}

/* The answer, and no module reference kept: CHECK_FUNCTION creates nothing */
TEST_F(check, answer)
{
	struct gunyah_fn_check check = { .type = variant->type, .flags = variant->flags };
	const char *mod = variant->type >= 1 && variant->type <= NR_FN ? fn_mods[variant->type] :
			  NULL;
	bool unloaded = false;
	int now[NR_FN + 1];
	void *p;
	int i, ret, err;

	if (variant->unload && self->base[variant->type] == 0) {
		unloaded = fn_unload(mod);
		if (unloaded) {
			EXPECT_EQ(-1, mod_refcnt(mod)) TH_LOG("%s unloaded, still in sysfs", mod);
		} else {
			TH_LOG("%s cannot be unloaded (%s): autoload not exercised", mod,
			       strerror(errno));
		}
	} else if (variant->unload) {
		TH_LOG("%s is in use (refcnt %d): autoload not exercised", mod,
		       self->base[variant->type]);
	}

	p = (void *)(uintptr_t)fn_place(self->map, self->ps, variant->at, 0, &check,
					sizeof(check));
	errno = 0;
	ret = ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, p);
	err = errno;
	EXPECT_EQ(variant->err ? -1 : 0, ret);
	EXPECT_EQ(variant->err, ret ? err : 0) TH_LOG("errno %d (%s)", err, strerror(err));

	if (unloaded)
		EXPECT_LE(0, mod_refcnt(mod)) TH_LOG("CHECK_FUNCTION did not load %s", mod);

	/* A second time, the same answer */
	if (variant->at == AT_VALID)
		EXPECT_EQ(-variant->err, fn_check(self->devfd, variant->type, variant->flags));

	fn_refcnts(now);
	for (i = 1; i <= NR_FN; i++) {
		EXPECT_EQ(self->base[i], now[i]) TH_LOG("%s: refcnt %d, was %d", fn_mods[i], now[i],
							self->base[i]);
	}
}

/* ---- the message for an oversized argument ---- */

#define KMSG_MAX_NEEDLES	2

/* /dev/kmsg positioned after the newest record, or -1 */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Read every record that came after kmsg_open(); found[i]: a record contains needle[i] */
static void kmsg_scan(int fd, char needle[][128], bool *found, int n)
{
	char rec[8192];
	ssize_t len;
	int i;

	for (i = 0; i < n; i++)
		found[i] = false;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten while we read: go on with the next */
		if (len <= 0)
			return;
		rec[len] = '\0';
		for (i = 0; i < n; i++)
			if (strstr(rec, needle[i]))
				found[i] = true;
	}
}

FIXTURE(vm) {
	int devfd;
	int vmfd;
};

FIXTURE_SETUP(vm)
{
	self->devfd = -1;
	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	if (self->devfd >= 0)
		close(self->devfd);
}

/*
 * An arg_size above GUNYAH_FN_MAX_ARG_SIZE is logged (the kernel says why it refused), for ADD
 * and REMOVE. The message is rate limited (dev_err_ratelimited(): 10 per 5 s): if other calls
 * used up the burst, the second attempt comes after the interval.
 */
TEST_F(vm, oversized_arg_logged)
{
	static const struct {
		unsigned long cmd;
		__u32 type;
		__u32 size;
	} calls[KMSG_MAX_NEEDLES] = {
		{ GUNYAH_VM_ADD_FUNCTION, 0x7ab1, GUNYAH_FN_MAX_ARG_SIZE + 1 },
		{ GUNYAH_VM_REMOVE_FUNCTION, 0x7ab2, UINT32_MAX },
	};
	char needle[KMSG_MAX_NEEDLES][128];
	bool found[KMSG_MAX_NEEDLES] = {};
	__u8 buf[GUNYAH_FN_MAX_ARG_SIZE + 1] = {};
	struct gunyah_fn_desc desc;
	int attempt, i, fd;

	for (i = 0; i < KMSG_MAX_NEEDLES; i++)
		snprintf(needle[i], sizeof(needle[i]),
			 "function type %u: argument size %u exceeds the maximum of %d",
			 calls[i].type, calls[i].size, GUNYAH_FN_MAX_ARG_SIZE);

	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt)
			gh_sleep_ms(5500);
		fd = kmsg_open();
		if (fd < 0)
			SKIP(return, "/dev/kmsg: %s", strerror(errno));
		for (i = 0; i < KMSG_MAX_NEEDLES; i++) {
			desc.type = calls[i].type;
			desc.arg_size = calls[i].size;
			desc.arg = (uintptr_t)buf;
			EXPECT_ERRNO(EINVAL, ioctl(self->vmfd, calls[i].cmd, &desc));
		}
		kmsg_scan(fd, needle, found, KMSG_MAX_NEEDLES);
		close(fd);
		if (found[0] && found[1])
			break;
	}
	for (i = 0; i < KMSG_MAX_NEEDLES; i++) {
		if (!found[i])
			TH_LOG("no \"%s\" in /dev/kmsg", needle[i]);
		EXPECT_TRUE(found[i]);
	}
}

/* ---- which types reach modprobe ---- */

#define MP_SYSCTL	"/proc/sys/kernel/modprobe"
#define MP_WRAPPER	"/tmp/fn_ioctl_test-modprobe"
#define MP_LOG		"/tmp/fn_ioctl_test-modprobe.log"

/*
 * /proc/sys/kernel/modprobe points at a wrapper that logs its arguments and runs the real
 * modprobe, so autoloading keeps working even if the teardown never runs. The wrapper stays.
 */
FIXTURE(modprobe) {
	int devfd;
	int vmfd;
	char orig[256];
	bool changed;
};

static int mp_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* The whole log, NUL-terminated, in @buf */
static void mp_log_read(char *buf, size_t size)
{
	FILE *f = fopen(MP_LOG, "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static int mp_log_clear(void)
{
	int fd = open(MP_LOG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

FIXTURE_SETUP(modprobe)
{
	FILE *f;

	self->devfd = -1;
	self->vmfd = -1;
	self->changed = false;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	if (mp_read_line(MP_SYSCTL, self->orig, sizeof(self->orig)) || !self->orig[0])
		SKIP(return, MP_SYSCTL " cannot be read or is empty");
	/* Left behind by a run that did not restore it */
	if (!strcmp(self->orig, MP_WRAPPER))
		snprintf(self->orig, sizeof(self->orig), "/sbin/modprobe");

	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	fn_load_all(_metadata, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);

	f = fopen(MP_WRAPPER, "we");
	ASSERT_TRUE(!!f) TH_LOG(MP_WRAPPER ": %s", strerror(errno));
	fprintf(f, "#!/bin/sh\necho \"$*\" >>%s\nexec %s \"$@\"\n", MP_LOG, self->orig);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, chmod(MP_WRAPPER, 0755));
	ASSERT_EQ(0, mp_log_clear());
	if (gh_write_file(MP_SYSCTL, "%s", MP_WRAPPER))
		SKIP(return, MP_SYSCTL " cannot be written");
	self->changed = true;
}

FIXTURE_TEARDOWN(modprobe)
{
	if (self->changed)
		gh_write_file(MP_SYSCTL, "%s", self->orig);
	if (self->vmfd >= 0)
		close(self->vmfd);
	if (self->devfd >= 0)
		close(self->devfd);
}

/*
 * ADD_FUNCTION and CHECK_FUNCTION ask modprobe for "ghfunc:<type>" only for a type in
 * [1, GUNYAH_FN_SAMPLE_LAST]; any other number is ENOENT at once.
 */
TEST_F(modprobe, only_valid_types_asked)
{
	static const __u32 out[] = { 0, FN_OUT, 0x10000 + VCPU, 0x80000000U, UINT32_MAX };
	struct gunyah_fn_vcpu_arg arg = { .id = 0 };
	char log[4096], want[64];
	unsigned int i;

	/* In range without a module: modprobe is asked, through the wrapper */
	EXPECT_EQ(-ENOENT, fn_check(self->devfd, FN_NO_MOD, 0));
	mp_log_read(log, sizeof(log));
	snprintf(want, sizeof(want), " ghfunc:%u\n", FN_NO_MOD);
	if (!strstr(log, want))
		SKIP(return, "the modprobe wrapper did not run (log: \"%.200s\")", log);

	ASSERT_EQ(0, mp_log_clear());
	EXPECT_EQ(-ENOENT, ghv_fn(self->vmfd, true, FN_ABSENT, &arg, sizeof(arg)));
	mp_log_read(log, sizeof(log));
	snprintf(want, sizeof(want), " ghfunc:%u\n", FN_ABSENT);
	EXPECT_TRUE(!!strstr(log, want)) TH_LOG("ADD_FUNCTION did not ask for%s", want);

	ASSERT_EQ(0, mp_log_clear());
	for (i = 0; i < ARRAY_SIZE(out); i++) {
		EXPECT_EQ(-ENOENT, fn_check(self->devfd, out[i], 0)) TH_LOG("type %#x", out[i]);
		EXPECT_EQ(-ENOENT, ghv_fn(self->vmfd, true, out[i], &arg, sizeof(arg)))
			TH_LOG("type %#x", out[i]);
	}
	mp_log_read(log, sizeof(log));
	EXPECT_STREQ("", log) TH_LOG("modprobe was asked for a type outside the range");
}

/* ---- a VM fd outlives /dev/gunyah ---- */

#define CD_DEV_VALUE	0x12345678U
#define CD_EXIT_REASON	0xc105edU

FIXTURE(closed_dev) {
	struct ghv_vm vm;
	struct ghv_vcpu vcpu;
	int efd[2];
};

FIXTURE_SETUP(closed_dev)
{
	int ret;

	ghv_vm_init(&self->vm);
	ghv_vcpu_init(&self->vcpu);
	self->efd[0] = -1;
	self->efd[1] = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ret = ghv_vm_create(&self->vm, GHV_MEM_SIZE);
	ASSERT_EQ(0, ret) TH_LOG("creating a VM with memory: %s", strerror(-ret));
	fn_load_all(_metadata, self->vm.devfd);	/* REMOVE does not load modules */
	self->efd[0] = ghv_eventfd();
	ASSERT_LE(0, self->efd[0]);
	self->efd[1] = ghv_eventfd();
	ASSERT_LE(0, self->efd[1]);
}

FIXTURE_TEARDOWN(closed_dev)
{
	ghv_vcpu_close(&self->vcpu);
	if (self->efd[0] >= 0)
		close(self->efd[0]);
	if (self->efd[1] >= 0)
		close(self->efd[1]);
	ghv_vm_destroy(&self->vm);
}

/*
 * With /dev/gunyah closed, the VM fd still takes every function ioctl, with the same errors,
 * and the VM runs: an MMIO exit, an ioeventfd, an irqfd waking the guest, the exit.
 */
TEST_F(closed_dev, vm_fd_still_works)
{
	static const __u32 labels[] = { FN_LABEL };
	struct gunyah_fn_vcpu_arg vcpu_arg = { .id = 0 };
	__u8 big[GUNYAH_FN_MAX_ARG_SIZE + 1] = {};
	struct ghv_prog *p = &self->vm.prog;
	struct ghv_vcpu *v = &self->vcpu;
	int vm = self->vm.vmfd, *efd = self->efd;
	long long live;
	int ret;

	ASSERT_EQ(0, close(self->vm.devfd));
	self->vm.devfd = -1;
	live = gh_sim_counter("vmids_live");

	/* The errors are those of a VM whose /dev/gunyah is open */
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, VCPU, big, sizeof(big)));
	EXPECT_EQ(-EFAULT, ghv_fn(vm, true, VCPU, NULL, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENOENT, ghv_fn(vm, true, FN_NO_MOD, &vcpu_arg, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENOENT, ghv_fn(vm, false, VCPU, &vcpu_arg, sizeof(vcpu_arg)));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, false, VCPU, big, 8));
	EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_ADD_FUNCTION, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_REMOVE_FUNCTION, NULL));

	/* Functions, and a guest that uses them */
	ret = ghv_vm_configure(&self->vm, 1, labels, 1);
	ASSERT_EQ(0, ret) TH_LOG("VM config: %s", strerror(-ret));
	ret = ghv_vcpu_add(vm, 0, v);
	ASSERT_EQ(0, ret) TH_LOG("adding vCPU 0: %s", strerror(-ret));
	ASSERT_EQ(0, ghv_irqfd(vm, true, efd[0], FN_LABEL, 0));
	ASSERT_EQ(0, ghv_ioeventfd(vm, true, efd[1], GHV_IOEV_ADDR, 4, 0, 0));
	EXPECT_EQ(-EEXIST, ghv_irqfd(vm, true, efd[1], FN_LABEL, 0));
	EXPECT_EQ(-EEXIST, ghv_fn(vm, true, VCPU, &vcpu_arg, sizeof(vcpu_arg)));

	ghv_mmio_write(p, GHV_IOEV_ADDR, 4, 1);		/* the ioeventfd: no exit */
	ghv_mmio_write(p, GHV_DEV_ADDR, 4, CD_DEV_VALUE);
	ghv_wait_bell(p, FN_LABEL);
	ghv_power_off(p, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, CD_EXIT_REASON, 4);
	ASSERT_EQ(0, p->err);
	ASSERT_EQ(0, ghv_vm_start(&self->vm));

	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_MMIO, v->run->exit_reason);
	EXPECT_EQ(GHV_DEV_ADDR, v->run->mmio.phys_addr);
	EXPECT_EQ(4, v->run->mmio.len);
	EXPECT_EQ(1, v->run->mmio.is_write);
	EXPECT_EQ(CD_DEV_VALUE, ghv_mmio_value(&v->run->mmio));
	EXPECT_EQ(1, ghv_eventfd_take(efd[1]));

	ASSERT_EQ(0, ghv_eventfd_signal(efd[0]));
	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_STATUS, v->run->exit_reason);
	EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, v->run->status.status);
	EXPECT_EQ(GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, v->run->status.exit_info.type);
	EXPECT_EQ(4, v->run->status.exit_info.reason_size);

	EXPECT_EQ(0, ghv_irqfd(vm, false, -1, FN_LABEL, 0));
	EXPECT_EQ(-ENOENT, ghv_irqfd(vm, false, -1, FN_LABEL, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, GHV_IOEV_ADDR, 0, 0, 0));
	EXPECT_EQ(0, ghv_fn(vm, false, VCPU, &vcpu_arg, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENODEV, ghv_vcpu_run(v));

	/* The last fd gives the VM id back */
	ghv_vcpu_close(v);
	ghv_vm_close_fd(&self->vm);
	if (live >= 0)
		EXPECT_EQ(live - 1, gh_sim_counter_wait("vmids_live", live - 1));
}

TEST_HARNESS_MAIN
