// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: the error paths of the VM fd's configuration ioctls, one table per ioctl
 * (GUNYAH_VM_SET_USER_MEM_REGION, GUNYAH_VM_SET_DTB_CONFIG and the DTB checks of
 * GUNYAH_VM_START, GUNYAH_VM_SET_BOOT_CONTEXT), each with the errno <linux/gunyah.h>
 * documents. Every rejected call must also leave nothing behind: no charge, no pin, and the
 * VM still accepts a valid call afterwards.
 */

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"

#define GH_R	GUNYAH_MEM_ALLOW_READ
#define GH_W	GUNYAH_MEM_ALLOW_WRITE
#define GH_X	GUNYAH_MEM_ALLOW_EXEC

/* ---- SET_USER_MEM_REGION: arguments and mappings ---- */

enum gh_uaddr {
	GH_UA_MAP,	/* the fixture's read-write anonymous mapping (+ uaddr_off) */
	GH_UA_RAW,	/* raw_uaddr */
	GH_UA_HOLE,	/* a range that was unmapped */
	GH_UA_PARTIAL,	/* a mapping with one page unmapped in the middle */
	GH_UA_RDONLY,	/* a read-only anonymous mapping */
	GH_UA_NONE,	/* a PROT_NONE anonymous mapping */
};

#define GH_ERR_PAGES	8

FIXTURE(mem_err) {
	int devfd;
	int vmfd;
	char *map;
	char *fresh;
	long long vmlck;
	long long pins;
};

FIXTURE_VARIANT(mem_err) {
	enum gh_uaddr uaddr;
	__u32 flags;
	__u64 gpa;		/* 0: GH_GUEST_BASE */
	unsigned int pages;	/* size in pages ... */
	unsigned int extra;	/* ... plus this many bytes */
	unsigned int uaddr_off;
	__u64 raw_uaddr;
	int err;
};

FIXTURE_VARIANT_ADD(mem_err, flags_unknown_bit) {
	.flags = GH_R | (1U << 4), .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, flags_bit31) {
	.flags = GH_R | (1U << 31), .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, flags_none) {
	.flags = 0, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, no_read_w) {
	.flags = GH_W, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, no_read_x) {
	.flags = GH_X, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, no_read_wx) {
	.flags = GH_W | GH_X, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, no_read_lend) {
	.flags = GH_W | GH_X | GUNYAH_MEM_FORCE_LEND, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, size_zero) {
	.flags = GH_R, .pages = 0, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, size_unaligned) {
	.flags = GH_R, .pages = 1, .extra = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, size_below_page) {
	.flags = GH_R, .pages = 0, .extra = 512, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, gpa_unaligned) {
	.flags = GH_R, .gpa = GH_GUEST_BASE + 8, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, uaddr_unaligned) {
	.flags = GH_R, .pages = 1, .uaddr_off = 8, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, gpa_overflow) {
	.flags = GH_R, .gpa = 0xffffffffffff0000ULL, .pages = 32, .err = EINVAL,
};

/* gpa + size == 2^64 does not fit in 64 bits: an overflow too */
FIXTURE_VARIANT_ADD(mem_err, gpa_end_2_64) {
	.flags = GH_R, .gpa = 0xfffffffffffff000ULL, .pages = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mem_err, uaddr_overflow) {
	.uaddr = GH_UA_RAW, .flags = GH_R, .pages = 2, .raw_uaddr = 0xfffffffffffff000ULL,
	.err = EINVAL,
};

/* Valid arguments, memory that is not there or not writable */
FIXTURE_VARIANT_ADD(mem_err, uaddr_null) {
	.uaddr = GH_UA_RAW, .flags = GH_R, .pages = 1, .raw_uaddr = 0, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(mem_err, uaddr_kernel) {
	.uaddr = GH_UA_RAW, .flags = GH_R, .pages = 1, .raw_uaddr = 0xffff888000000000ULL,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(mem_err, unmapped) {
	.uaddr = GH_UA_HOLE, .flags = GH_R, .pages = GH_ERR_PAGES, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(mem_err, partly_unmapped) {
	.uaddr = GH_UA_PARTIAL, .flags = GH_R, .pages = GH_ERR_PAGES, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(mem_err, beyond_mapping) {
	.flags = GH_R, .pages = GH_ERR_PAGES + 1, .err = EFAULT,
};

/* Pinned for writing even when the guest may only read */
FIXTURE_VARIANT_ADD(mem_err, read_only) {
	.uaddr = GH_UA_RDONLY, .flags = GH_R, .pages = GH_ERR_PAGES, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(mem_err, prot_none) {
	.uaddr = GH_UA_NONE, .flags = GH_R, .pages = GH_ERR_PAGES, .err = EFAULT,
};

FIXTURE_SETUP(mem_err)
{
	size_t ps = gh_page_size(), size = GH_ERR_PAGES * ps;
	int prot = PROT_READ | PROT_WRITE;

	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
	self->fresh = gh_mmap_anon(ps);
	ASSERT_TRUE(!!self->fresh);

	if (variant->uaddr == GH_UA_RDONLY)
		prot = PROT_READ;
	else if (variant->uaddr == GH_UA_NONE)
		prot = PROT_NONE;
	/* One page more, so that a range one page past the mapping is unmapped */
	self->map = mmap(NULL, size + ps, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->map != MAP_FAILED);
	ASSERT_EQ(0, munmap(self->map + size, ps));
	if (prot & PROT_WRITE)
		memset(self->map, 1, size);
	if (variant->uaddr == GH_UA_HOLE)
		ASSERT_EQ(0, munmap(self->map, size));
	if (variant->uaddr == GH_UA_PARTIAL)
		ASSERT_EQ(0, munmap(self->map + 3 * ps, ps));
	self->vmlck = gh_vmlck_kb();
	self->pins = gh_pins_outstanding();
}

FIXTURE_TEARDOWN(mem_err)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	if (variant->uaddr != GH_UA_HOLE)
		munmap(self->map, GH_ERR_PAGES * gh_page_size());
	munmap(self->fresh, gh_page_size());
	close(self->devfd);
}

TEST_F(mem_err, rejected)
{
	__u64 size = (__u64)variant->pages * gh_page_size() + variant->extra;
	__u64 gpa = variant->gpa ? variant->gpa : GH_GUEST_BASE;
	const void *uaddr;

	if (variant->uaddr == GH_UA_RAW)
		uaddr = (const void *)(uintptr_t)variant->raw_uaddr;
	else
		uaddr = self->map + variant->uaddr_off;

	EXPECT_ERRNO(variant->err, gh_set_mem(self->vmfd, 1, variant->flags, gpa, size, uaddr));
	EXPECT_EQ(self->vmlck, gh_vmlck_kb());
	EXPECT_EQ(self->pins, gh_pins_outstanding());
	/* Nothing was kept: the label and the guest range are still free */
	EXPECT_EQ(0, gh_set_mem(self->vmfd, 1, GH_R, GH_GUEST_BASE, gh_page_size(),
				self->fresh));
}

/* ---- SET_USER_MEM_REGION: failing part way through pinning ---- */

#define GH_GROW_PAGES	2048

/*
 * A region of GH_GROW_PAGES pages touched in a random order, so that next to no two neighbours
 * are physically contiguous and the VM manager needs about one memory entry per page. Its entry
 * array starts with 64 entries and doubles, while the region is pinned 512 pages at a time.
 * fail_function makes one of the array's allocations fail: SET_USER_MEM_REGION fails with
 * ENOMEM, and every page pinned so far (in earlier batches and in the batch at hand) is
 * unpinned again, nothing stays charged, and the same region is accepted afterwards.
 */
FIXTURE(mem_pin_fail) {
	int devfd;
	int vmfd;
	char *map;
	long long vmlck;
	long long pins;
};

FIXTURE_VARIANT(mem_pin_fail) {
	int skip;	/* allocations of the entry array that succeed first */
};

/* The first one: nothing is in the entries yet, the whole first batch is unpinned */
FIXTURE_VARIANT_ADD(mem_pin_fail, first_allocation) {
	.skip = 0,
};

/* 64 -> 128 entries, in the middle of the first batch */
FIXTURE_VARIANT_ADD(mem_pin_fail, first_batch) {
	.skip = 1,
};

/* 64, 128, 256 and 512 entries succeed; 1024 fails in the second batch */
FIXTURE_VARIANT_ADD(mem_pin_fail, second_batch) {
	.skip = 4,
};

FIXTURE_SETUP(mem_pin_fail)
{
	size_t ps = gh_page_size();

	self->devfd = -1;
	self->vmfd = -1;
	self->map = NULL;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	if (!gh_fei_available())
		SKIP(return, "no fail_function in this kernel");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
	self->map = gh_mmap_anon(GH_GROW_PAGES * ps);
	ASSERT_TRUE(!!self->map);

	ASSERT_EQ(0, ghv_touch_shuffled(self->map, GH_GROW_PAGES, ps));

	self->vmlck = gh_vmlck_kb();
	self->pins = gh_pins_outstanding();
}

FIXTURE_TEARDOWN(mem_pin_fail)
{
	gh_fei_clear();
	if (self->vmfd >= 0)
		close(self->vmfd);
	if (self->map)
		munmap(self->map, GH_GROW_PAGES * gh_page_size());
	if (self->devfd >= 0)
		close(self->devfd);
}

TEST_F(mem_pin_fail, unpinned)
{
	__u64 size = (__u64)GH_GROW_PAGES * gh_page_size();

	ASSERT_EQ(0, gh_fei_arm_skip("gunyah_vm_mem_runs_grow", -ENOMEM, 1, variant->skip));
	EXPECT_ERRNO(ENOMEM, gh_set_mem(self->vmfd, 1, GH_R | GH_W, GH_GUEST_BASE, size,
					self->map));
	gh_fei_clear();
	EXPECT_EQ(self->vmlck, gh_vmlck_kb());
	EXPECT_EQ(self->pins, gh_pins_outstanding());

	/* The same region is accepted afterwards, each of its pages pinned once */
	EXPECT_EQ(0, gh_set_mem(self->vmfd, 1, GH_R | GH_W, GH_GUEST_BASE, size, self->map));
	EXPECT_EQ(self->pins + GH_GROW_PAGES, gh_pins_outstanding());
}

/* ---- SET_USER_MEM_REGION: overlaps and labels ---- */

/*
 * The VM has region A: label 1, guest [BASE, BASE + 4 pages), user pages 4-7 of a 16-page
 * mapping. Each variant adds a region B and says whether it conflicts.
 */
FIXTURE(mem_overlap) {
	int devfd;
	int vmfd;
	char *map;
	long long vmlck;
};

FIXTURE_VARIANT(mem_overlap) {
	__u32 label;
	long gpa_pages;		/* B's guest address: BASE + this many pages */
	unsigned int upage;	/* B's first user page in the mapping */
	unsigned int pages;
	int err;
};

FIXTURE_VARIANT_ADD(mem_overlap, same_label) {
	.label = 1, .gpa_pages = 256, .upage = 8, .pages = 4, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, guest_same) {
	.label = 2, .gpa_pages = 0, .upage = 8, .pages = 4, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, guest_head) {
	.label = 2, .gpa_pages = -1, .upage = 8, .pages = 2, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, guest_tail) {
	.label = 2, .gpa_pages = 3, .upage = 8, .pages = 2, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, guest_inside) {
	.label = 2, .gpa_pages = 1, .upage = 8, .pages = 1, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, guest_around) {
	.label = 2, .gpa_pages = -2, .upage = 8, .pages = 8, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, user_same) {
	.label = 2, .gpa_pages = 256, .upage = 4, .pages = 4, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, user_head) {
	.label = 2, .gpa_pages = 256, .upage = 3, .pages = 2, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, user_tail) {
	.label = 2, .gpa_pages = 256, .upage = 7, .pages = 2, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(mem_overlap, user_around) {
	.label = 2, .gpa_pages = 256, .upage = 2, .pages = 8, .err = EEXIST,
};

/* Touching is not overlapping */
FIXTURE_VARIANT_ADD(mem_overlap, adjacent_above) {
	.label = 2, .gpa_pages = 4, .upage = 8, .pages = 4, .err = 0,
};

FIXTURE_VARIANT_ADD(mem_overlap, adjacent_below) {
	.label = 2, .gpa_pages = -4, .upage = 0, .pages = 4, .err = 0,
};

FIXTURE_SETUP(mem_overlap)
{
	size_t ps = gh_page_size();

	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
	self->map = gh_mmap_anon(16 * ps);
	ASSERT_TRUE(!!self->map);
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 1, GH_R | GH_W, GH_GUEST_BASE, 4 * ps,
				self->map + 4 * ps));
	self->vmlck = gh_vmlck_kb();
}

FIXTURE_TEARDOWN(mem_overlap)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->map, 16 * gh_page_size());
	close(self->devfd);
}

TEST_F(mem_overlap, add)
{
	size_t ps = gh_page_size();
	__u64 gpa = GH_GUEST_BASE + (__u64)((long long)variant->gpa_pages * (long long)ps);
	long long charged = variant->err ? 0 : (long long)(variant->pages * ps / 1024);

	EXPECT_RESULT(variant->err, gh_set_mem(self->vmfd, variant->label, GH_R | GH_W, gpa,
					       variant->pages * ps,
					       self->map + variant->upage * ps));
	EXPECT_EQ(self->vmlck + charged, gh_vmlck_kb());
}

/* ---- SET_DTB_CONFIG ---- */

FIXTURE(dtb_arg) {
	int devfd;
	int vmfd;
};

FIXTURE_VARIANT(dtb_arg) {
	__u64 gpa;
	__u64 size;
	int err;
};

FIXTURE_VARIANT_ADD(dtb_arg, size_zero) { .gpa = GH_GUEST_BASE, .size = 0, .err = EINVAL };

FIXTURE_VARIANT_ADD(dtb_arg, overflow) { .gpa = ~0ULL, .size = 2, .err = EINVAL };

FIXTURE_VARIANT_ADD(dtb_arg, end_2_64) {
	.gpa = 0xfffffffffffffff0ULL, .size = 0x10, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(dtb_arg, huge_size) { .gpa = 1, .size = ~0ULL, .err = EINVAL };

/* Only recorded: no alignment, no region needed yet */
FIXTURE_VARIANT_ADD(dtb_arg, unaligned) { .gpa = 0x1001, .size = 1, .err = 0 };

FIXTURE_VARIANT_ADD(dtb_arg, last_byte) {
	.gpa = 0xfffffffffffffff0ULL, .size = 0xf, .err = 0,
};

FIXTURE_VARIANT_ADD(dtb_arg, everything) { .gpa = 0, .size = ~0ULL, .err = 0 };

FIXTURE_SETUP(dtb_arg)
{
	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
}

FIXTURE_TEARDOWN(dtb_arg)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	close(self->devfd);
}

TEST_F(dtb_arg, set)
{
	EXPECT_RESULT(variant->err, gh_set_dtb(self->vmfd, variant->gpa, variant->size));
}

/* ---- the DTB location at START ---- */

enum gh_dtb_where { GH_DTB_UNSET, GH_DTB_OUTSIDE, GH_DTB_BELOW, GH_DTB_PAST_END,
		    GH_DTB_ACROSS };

#define GH_DTB_PAGES	16

FIXTURE(dtb_start) {
	int devfd;
	int vmfd;
	char *mem;
	struct gh_snapshot before;
};

FIXTURE_VARIANT(dtb_start) {
	enum gh_dtb_where where;
};

FIXTURE_VARIANT_ADD(dtb_start, unset) { .where = GH_DTB_UNSET };

FIXTURE_VARIANT_ADD(dtb_start, outside) { .where = GH_DTB_OUTSIDE };

FIXTURE_VARIANT_ADD(dtb_start, starts_below) { .where = GH_DTB_BELOW };

FIXTURE_VARIANT_ADD(dtb_start, ends_past) { .where = GH_DTB_PAST_END };

/* Across two adjacent regions: not inside a single one */
FIXTURE_VARIANT_ADD(dtb_start, across_regions) { .where = GH_DTB_ACROSS };

FIXTURE_SETUP(dtb_start)
{
	size_t size = GH_DTB_PAGES * gh_page_size();

	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->mem = gh_mmap_anon(2 * size);
	ASSERT_TRUE(!!self->mem);
	gh_snapshot_take(&self->before);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
	/* A valid config at the usual place: only the location is wrong */
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, size, 0, GH_RWX, 1));
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 1, GH_RWX, GH_GUEST_BASE + size, size,
				self->mem + size));
}

FIXTURE_TEARDOWN(dtb_start)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->mem, 2 * GH_DTB_PAGES * gh_page_size());
	close(self->devfd);
}

/*
 * START is EINVAL when the DTB range is not inside one region; the failed start is final, and
 * closing the VM releases everything.
 */
TEST_F(dtb_start, einval)
{
	__u64 size = GH_DTB_PAGES * gh_page_size();
	int vmfd;

	if (variant->where == GH_DTB_UNSET) {
		/* A fresh VM that never had a DTB location */
		vmfd = gh_create_vm(self->devfd);
		ASSERT_LE(0, vmfd);
		close(self->vmfd);
		self->vmfd = vmfd;
		ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, size, self->mem));
	} else if (variant->where == GH_DTB_OUTSIDE) {
		ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + 4 * size, 0x100));
	} else if (variant->where == GH_DTB_BELOW) {
		ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE - 0x10, 0x100));
	} else if (variant->where == GH_DTB_PAST_END) {
		ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + 2 * size - 0x10, 0x100));
	} else {
		ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + size - 0x10, 0x100));
	}
	EXPECT_ERRNO(EINVAL, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(EALREADY, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- SET_BOOT_CONTEXT ---- */

FIXTURE(boot_err) {
	int devfd;
	int vmfd;
	char *mem;
	size_t size;
};

FIXTURE_VARIANT(boot_err) {
	__u32 reg;
	__u32 reserved;
	int err;
};

FIXTURE_VARIANT_ADD(boot_err, reserved_1) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(1, 0), .reserved = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, reserved_bit31) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(0, 0), .reserved = 1U << 31, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, set_3) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(3, 0), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, set_ff) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(0xff, 0), .err = EINVAL,
};

/* Bits above the set's byte make the set unknown, not a set modulo 256 */
FIXTURE_VARIANT_ADD(boot_err, set_above_byte) {
	.reg = 0x10000 | GUNYAH_VM_BOOT_CONTEXT_REG(1, 0), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, all_ones) { .reg = 0xffffffff, .err = EINVAL };

FIXTURE_VARIANT_ADD(boot_err, x32) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 32), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, x255) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 255), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, pc1) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 1), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(boot_err, sp3) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 3), .err = EINVAL,
};

/* The boundaries that are valid */
FIXTURE_VARIANT_ADD(boot_err, x31_ok) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 31), .err = 0,
};

FIXTURE_VARIANT_ADD(boot_err, pc0_ok) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0), .err = 0,
};

FIXTURE_VARIANT_ADD(boot_err, sp2_ok) {
	.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 2), .err = 0,
};

FIXTURE_SETUP(boot_err)
{
	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->size = 16 * gh_page_size();
	self->mem = gh_mmap_anon(self->size);
	ASSERT_TRUE(!!self->mem);
	self->vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, self->vmfd);
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 1));
}

FIXTURE_TEARDOWN(boot_err)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->mem, self->size);
	close(self->devfd);
}

/*
 * Invalid registers are EINVAL and not stored: START still works (the simulated RM refuses an
 * invalid register, so a stored one would make START fail). Valid ones reach the RM.
 */
TEST_F(boot_err, set)
{
	struct gunyah_vm_boot_context ctx = {
		.reg = variant->reg,
		.reserved = variant->reserved,
		.value = GH_GUEST_BASE,
	};

	EXPECT_RESULT(variant->err, ioctl(self->vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
}

TEST_HARNESS_MAIN
