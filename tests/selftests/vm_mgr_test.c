// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: the ioctls of /dev/gunyah and of the VM fd, their success paths and every
 * errno <linux/gunyah.h> documents for them. Runs against the simulated hypervisor and RM
 * (gunyah_sim), whose debugfs files show what reached the RM.
 *
 * Memory accounting across processes, huge regions and start failures are in
 * vm_mgr_lifecycle_test.c.
 */

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"

#define GH_MEM_PAGES	16

/* Index of @vmid in a parcel's ACL, or -1 */
static int gh_acl_index(const struct gh_sim_parcel *p, unsigned int vmid)
{
	unsigned int i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl_vmid[i] == vmid)
			return (int)i;
	return -1;
}

/* ---- /dev/gunyah ---- */

FIXTURE(dev) {
	int devfd;
};

FIXTURE_SETUP(dev)
{
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->devfd);
}

/*
 * CREATE_VM with argument 0 returns a VM fd opened O_CLOEXEC, backed by a new VM id in the RM
 * (state LOAD); closing the fd gives the VM id back.
 */
TEST_F(dev, create_vm)
{
	struct gh_sim_vm info = { 0 };
	long long vmids = gh_sim_counter("vmids_live");
	unsigned int vmid;
	int vmfd;

	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(vmfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(vmids + 1, gh_sim_counter("vmids_live"));
	ASSERT_EQ(0, gh_sim_vm_info(vmid, &info));
	EXPECT_EQ((unsigned int)GH_RM_VM_LOAD, info.state);
	close(vmfd);
	EXPECT_EQ(vmids, gh_sim_counter_wait("vmids_live", vmids));
	EXPECT_EQ(-ENOENT, gh_sim_vm_info(vmid, &info));
}

/* Each CREATE_VM makes a distinct VM with its own VM id */
TEST_F(dev, create_two_vms)
{
	unsigned int vmid1, vmid2;
	int fd1, fd2;

	fd1 = gh_create_vm_vmid(self->devfd, &vmid1);
	ASSERT_LE(0, fd1);
	fd2 = gh_create_vm_vmid(self->devfd, &vmid2);
	ASSERT_LE(0, fd2);
	EXPECT_NE(fd1, fd2);
	EXPECT_NE(0U, vmid1);
	EXPECT_NE(0U, vmid2);
	EXPECT_NE(vmid1, vmid2);
	close(fd1);
	close(fd2);
}

/* The VM fd's ioctls, and numbers nobody implements, are ENOTTY on /dev/gunyah */
TEST_F(dev, vm_ioctls_enotty)
{
	struct gunyah_userspace_memory_region region = {};
	struct gunyah_vm_boot_context ctx = {};
	struct gunyah_vm_dtb_config dtb = {};
	struct gunyah_fn_desc desc = {};
	char buf[64] = {};
	long long vmids = gh_sim_counter("vmids_live");
	int fd = self->devfd;

	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_SET_USER_MEM_REGION, &region));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_SET_DTB_CONFIG, &dtb));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_ADD_FUNCTION, &desc));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_REMOVE_FUNCTION, &desc));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VCPU_RUN, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VCPU_MMAP_SIZE, 0UL));
	/* 0x08 CREATE_GUEST_MEM of later postings is not provided */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOW(GUNYAH_IOCTL_TYPE, 0x8, char[64]), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(GUNYAH_IOCTL_TYPE, 0x1f), 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO('A', 0x17), 0UL));
	EXPECT_EQ(vmids, gh_sim_counter("vmids_live"));
}

/*
 * CHECK_FUNCTION: ENOENT for types no module provides (out of range, or in the sample range
 * with no module loaded), EINVAL for flags, EFAULT for a bad pointer.
 */
TEST_F(dev, check_function_errors)
{
	static const __u32 missing[] = { 0, GUNYAH_FN_SAMPLE_LAST - 1, GUNYAH_FN_SAMPLE_LAST + 1,
					 0x7fffffff, 0xffffffff };
	struct gunyah_fn_check check = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(missing); i++) {
		check.type = missing[i];
		TH_LOG("type %#x", check.type);
		EXPECT_ERRNO(ENOENT, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check));
	}
	check.type = GUNYAH_FN_VCPU;
	check.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check));
	check.flags = 0x80000000;
	EXPECT_ERRNO(EINVAL, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check));
	EXPECT_ERRNO(EFAULT, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, NULL));
}

/* The in-tree types are either available (0) or missing (ENOENT): nothing else */
TEST_F(dev, check_function_in_tree)
{
	struct gunyah_fn_check check = {};
	int ret, err;

	for (check.type = GUNYAH_FN_VCPU; check.type <= GUNYAH_FN_IOEVENTFD; check.type++) {
		errno = 0;
		ret = ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check);
		err = errno;
		TH_LOG("type %u: %d (%s)", check.type, ret, ret ? strerror(err) : "available");
		EXPECT_TRUE(ret == 0 || (ret == -1 && err == ENOENT));
	}
}

/* CREATE_VM takes no argument: anything but 0 is EINVAL and creates nothing */
FIXTURE(create_arg) {
	int devfd;
};

FIXTURE_VARIANT(create_arg) {
	unsigned long arg;
	bool pointer;
};

FIXTURE_VARIANT_ADD(create_arg, one) { .arg = 1 };

FIXTURE_VARIANT_ADD(create_arg, all_ones) { .arg = ~0UL };

FIXTURE_VARIANT_ADD(create_arg, high_bit) { .arg = 1UL << 31 };

FIXTURE_VARIANT_ADD(create_arg, pointer) { .pointer = true };

FIXTURE_SETUP(create_arg)
{
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
}

FIXTURE_TEARDOWN(create_arg)
{
	close(self->devfd);
}

TEST_F(create_arg, einval)
{
	long long vmids = gh_sim_counter("vmids_live");
	long zero = 0;
	unsigned long arg = variant->pointer ? (unsigned long)&zero : variant->arg;

	EXPECT_ERRNO(EINVAL, ioctl(self->devfd, GUNYAH_CREATE_VM, arg));
	EXPECT_EQ(vmids, gh_sim_counter("vmids_live"));
}

/* ---- the VM fd ---- */

FIXTURE(vm) {
	int devfd;
	int vmfd;
	unsigned int vmid;
	char *mem;
	size_t size;
	struct gh_snapshot before;
};

FIXTURE_SETUP(vm)
{
	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->size = GH_MEM_PAGES * gh_page_size();
	self->mem = gh_mmap_anon(self->size);
	ASSERT_TRUE(!!self->mem);
	gh_snapshot_take(&self->before);
	self->vmfd = gh_create_vm_vmid(self->devfd, &self->vmid);
	ASSERT_LE(0, self->vmfd);
	ASSERT_NE(0U, self->vmid);
}

FIXTURE_TEARDOWN(vm)
{
	gh_sim_reset_knobs();
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->mem, self->size);
	close(self->devfd);
}

/* /dev/gunyah's ioctls, vCPU ioctls and unknown numbers are ENOTTY on a VM fd */
TEST_F(vm, dev_ioctls_enotty)
{
	struct gunyah_userspace_memory_region region = {};
	struct gunyah_fn_check check = { .type = GUNYAH_FN_VCPU };
	long long vmids = gh_sim_counter("vmids_live");
	char buf[64] = {};
	int fd = self->vmfd;

	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_CREATE_VM, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_CHECK_FUNCTION, &check));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VCPU_RUN, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, GUNYAH_VCPU_MMAP_SIZE, 0UL));
	/* 0x09 MAP_MEM of later postings is not provided */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOW(GUNYAH_IOCTL_TYPE, 0x9, char[32]), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(GUNYAH_IOCTL_TYPE, 0xb), 0UL));
	/* The Android kernels' LEND_USER_MEM ('A' 0x11) is not this driver's */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOW('A', 0x11, struct gunyah_userspace_memory_region),
				   &region));
	EXPECT_EQ(vmids, gh_sim_counter("vmids_live"));
}

/* An argument pointer that cannot be read is EFAULT for every VM ioctl that takes one */
TEST_F(vm, bad_pointer_efault)
{
	void *hole = mmap(NULL, gh_page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(hole != MAP_FAILED);
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_SET_USER_MEM_REGION, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_SET_USER_MEM_REGION, hole));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_SET_DTB_CONFIG, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_SET_DTB_CONFIG, hole));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_ADD_FUNCTION, hole));
	EXPECT_ERRNO(EFAULT, ioctl(self->vmfd, GUNYAH_VM_REMOVE_FUNCTION, NULL));
	munmap(hole, gh_page_size());
}

/* SET_USER_MEM_REGION pins and charges the region at once */
TEST_F(vm, set_user_mem_region)
{
	long long npages = GH_MEM_PAGES;

	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, self->size, self->mem));
	EXPECT_EQ(self->before.vmlck_kb + (long long)(self->size / 1024), gh_vmlck_kb());
	EXPECT_EQ(self->before.pins + npages, gh_pins_outstanding());
	/* Nothing reaches the RM before START */
	EXPECT_EQ(self->before.parcels_live, gh_sim_counter("parcels_live"));
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/*
 * START shares the region, hands the RM the DTB location and starts the VM: the RM holds a
 * running VM with the config's vCPUs and doorbells, and a complete shared parcel with the
 * guest (RWX, accepted) and the host (RWX) in its ACL. Closing the VM fd undoes all of it.
 */
TEST_F(vm, start)
{
	unsigned long long dtb_size;
	struct gh_sim_parcel p = { 0 };
	struct gh_sim_vm info = { 0 };
	long long npages = GH_MEM_PAGES;
	int g, h;

	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	dtb_size = gh_dtb_size(self->mem + GH_DTB_OFF);
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));

	ASSERT_EQ(0, gh_sim_vm_info(self->vmid, &info));
	EXPECT_EQ((unsigned int)GH_RM_VM_RUNNING, info.state);
	EXPECT_EQ(2U, info.vcpus);
	EXPECT_EQ(2U, info.doorbells);
	EXPECT_EQ((unsigned long long)GH_DTB_OFF, info.dtb_offset);
	EXPECT_EQ(dtb_size, info.dtb_size);
	EXPECT_EQ(GH_GUEST_BASE, info.base);
	EXPECT_EQ(1U, info.accepted);

	ASSERT_EQ(0, gh_sim_find_parcel(self->vmid, 0, &p));
	EXPECT_STREQ("share", p.type);
	EXPECT_EQ((unsigned long long)self->size, p.bytes);
	EXPECT_EQ(0, p.pending);
	EXPECT_EQ(2U, p.n_acl);
	g = gh_acl_index(&p, self->vmid);
	h = gh_acl_index(&p, GH_RM_HOST_VMID);
	ASSERT_LE(0, g);
	ASSERT_LE(0, h);
	EXPECT_EQ(7U, p.acl_perms[g]);
	EXPECT_EQ(1, p.acl_accepted[g]);
	EXPECT_EQ(7U, p.acl_perms[h]);

	EXPECT_EQ(self->before.vmids_live + 1, gh_sim_counter("vmids_live"));
	EXPECT_EQ(self->before.parcels_live + 1, gh_sim_counter("parcels_live"));
	EXPECT_EQ(self->before.pages_shared + npages, gh_sim_counter("pages_shared"));

	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
	EXPECT_EQ(-ENOENT, gh_sim_vm_info(self->vmid, &info));
}

/* A VM starts once: a second START is EALREADY */
TEST_F(vm, start_twice_ealready)
{
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(EALREADY, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
}

/* After START the configuration ioctls are EBUSY, and a refused region is not charged */
TEST_F(vm, config_after_start_ebusy)
{
	char *more = gh_mmap_anon(gh_page_size());
	long long vmlck;

	ASSERT_TRUE(!!more);
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	vmlck = gh_vmlck_kb();
	EXPECT_ERRNO(EBUSY, gh_set_mem(self->vmfd, 1, GH_RWX, GH_GUEST_BASE + 0x100000,
				       gh_page_size(), more));
	EXPECT_EQ(vmlck, gh_vmlck_kb());
	EXPECT_ERRNO(EBUSY, gh_set_dtb(self->vmfd, GH_GUEST_BASE, 0x100));
	EXPECT_ERRNO(EBUSY, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0,
					    GH_GUEST_BASE));
	munmap(more, gh_page_size());
}

/* A failed START is final too: START is EALREADY and configuration EBUSY afterwards */
TEST_F(vm, failed_start_is_final)
{
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, self->size, self->mem));
	/* No DTB location */
	EXPECT_ERRNO(EINVAL, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(EALREADY, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(EBUSY, gh_set_dtb(self->vmfd, GH_GUEST_BASE + GH_DTB_OFF, 0x100));
	EXPECT_ERRNO(EBUSY, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 0, 1));
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/* SET_DTB_CONFIG may come before the region that holds the DTB */
TEST_F(vm, dtb_before_region)
{
	size_t dtb_size = gh_build_vm_config(self->mem + GH_DTB_OFF, GH_DTB_MAX, 1, 0,
					     GH_GUEST_BASE);

	ASSERT_NE(0UL, dtb_size);
	ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + GH_DTB_OFF, dtb_size));
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, self->size, self->mem));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
}

/* The last SET_DTB_CONFIG wins, in both directions */
TEST_F(vm, dtb_last_call_wins)
{
	size_t dtb_size = gh_build_vm_config(self->mem + GH_DTB_OFF, GH_DTB_MAX, 1, 0,
					     GH_GUEST_BASE);
	char *mem2 = gh_mmap_anon(self->size);
	unsigned int vmid2;
	int vmfd2;

	ASSERT_NE(0UL, dtb_size);
	ASSERT_TRUE(!!mem2);
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, self->size, self->mem));
	/* Outside every region, then right: starts */
	ASSERT_EQ(0, gh_set_dtb(self->vmfd, 0x1000, dtb_size));
	ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + GH_DTB_OFF, dtb_size));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));

	/* Right, then outside every region: EINVAL */
	vmfd2 = gh_create_vm_vmid(self->devfd, &vmid2);
	ASSERT_LE(0, vmfd2);
	memcpy(mem2 + GH_DTB_OFF, self->mem + GH_DTB_OFF, dtb_size);
	EXPECT_EQ(0, gh_set_mem(vmfd2, 0, GH_RWX, GH_GUEST_BASE, self->size, mem2));
	EXPECT_EQ(0, gh_set_dtb(vmfd2, GH_GUEST_BASE + GH_DTB_OFF, dtb_size));
	EXPECT_EQ(0, gh_set_dtb(vmfd2, 0x1000, dtb_size));
	EXPECT_ERRNO(EINVAL, ioctl(vmfd2, GUNYAH_VM_START, 0UL));
	close(vmfd2);
	munmap(mem2, self->size);
}

/* The DTB location needs no alignment: a DTB at an odd guest address is read from there */
TEST_F(vm, dtb_unaligned)
{
	char *dtb = self->mem + GH_DTB_OFF + 3;
	struct gh_sim_vm info = { 0 };
	size_t dtb_size = gh_build_vm_config(dtb, GH_DTB_MAX - 3, 1, 0, GH_GUEST_BASE);

	ASSERT_NE(0UL, dtb_size);
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RWX, GH_GUEST_BASE, self->size, self->mem));
	ASSERT_EQ(0, gh_set_dtb(self->vmfd, GH_GUEST_BASE + GH_DTB_OFF + 3, dtb_size));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_sim_vm_info(self->vmid, &info));
	EXPECT_EQ((unsigned long long)GH_DTB_OFF + 3, info.dtb_offset);
	EXPECT_EQ((unsigned int)GH_RM_VM_RUNNING, info.state);
}

/*
 * Every register set at its boundaries, and a register set twice, is accepted and passed on:
 * the simulated RM implements VM_SET_BOOT_CONTEXT and would refuse a bad register.
 */
TEST_F(vm, boot_context)
{
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0, 0x1234));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0,
				     GH_GUEST_BASE));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 0, 1));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 31, ~0ULL));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 0, 0x8000));
	EXPECT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 2, 0x9000));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
}

/*
 * The boot context really goes to the RM at START: an RM that does not implement
 * VM_SET_BOOT_CONTEXT makes START fail with EOPNOTSUPP.
 */
TEST_F(vm, boot_context_unsupported)
{
	long long faults = gh_sim_counter("faults_injected");

	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	ASSERT_EQ(0, gh_set_boot_reg(self->vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0,
				     GH_GUEST_BASE));
	ASSERT_EQ(0, gh_sim_knob("rpc_fail", "1 0xffffffff %#x", GH_RM_MSG_SET_BOOT_CTX));
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_EQ(faults + 1, gh_sim_counter("faults_injected"));
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/* Without a boot register set, START sends no VM_SET_BOOT_CONTEXT (such an RM still works) */
TEST_F(vm, no_boot_context_no_rpc)
{
	char knob[64];

	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	ASSERT_EQ(0, gh_sim_knob("rpc_fail", "1 0xffffffff %#x", GH_RM_MSG_SET_BOOT_CTX));
	EXPECT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	/* Still armed: no VM_SET_BOOT_CONTEXT was sent */
	ASSERT_EQ(0, gh_sim_knob_read("rpc_fail", knob, sizeof(knob)));
	EXPECT_EQ(1, atoi(knob));
}

/* A production RM takes the DTB's region only lent, with RWX: shared, START is EPERM */
TEST_F(vm, image_lend_only_rejects_share)
{
	ASSERT_EQ(0, gh_sim_knob("image_lend_only", "1"));
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 2));
	EXPECT_ERRNO(EPERM, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/* ... and a FORCE_LEND RWX region holding the DTB starts, lent to the guest alone */
TEST_F(vm, image_lend_only_accepts_lend)
{
	struct gh_sim_parcel p = { 0 };

	ASSERT_EQ(0, gh_sim_knob("image_lend_only", "1"));
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0,
				       GH_RWX | GUNYAH_MEM_FORCE_LEND, 2));
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_sim_find_parcel(self->vmid, 0, &p));
	EXPECT_STREQ("lend", p.type);
	EXPECT_EQ(1U, p.n_acl);
	EXPECT_EQ(self->vmid, p.acl_vmid[0]);
	EXPECT_EQ(7U, p.acl_perms[0]);
	/* The VMM must not touch lent memory until the VM is gone: close first */
	close(self->vmfd);
	self->vmfd = -1;
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- the RM's view of each region's flags ---- */

FIXTURE(mem_perms) {
	int devfd;
	int vmfd;
	unsigned int vmid;
	char *mem;
	char *mem2;
	size_t size;
};

FIXTURE_VARIANT(mem_perms) {
	__u32 flags;
	const char *type;
	unsigned int guest_perms;	/* RM rights: R 4, W 2, X 1 */
	bool host_in_acl;
};

FIXTURE_VARIANT_ADD(mem_perms, r) {
	.flags = GUNYAH_MEM_ALLOW_READ, .type = "share", .guest_perms = 4, .host_in_acl = true,
};

FIXTURE_VARIANT_ADD(mem_perms, rw) {
	.flags = GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE, .type = "share",
	.guest_perms = 6, .host_in_acl = true,
};

FIXTURE_VARIANT_ADD(mem_perms, rx) {
	.flags = GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_EXEC, .type = "share",
	.guest_perms = 5, .host_in_acl = true,
};

FIXTURE_VARIANT_ADD(mem_perms, rwx) {
	.flags = GH_RWX, .type = "share", .guest_perms = 7, .host_in_acl = true,
};

FIXTURE_VARIANT_ADD(mem_perms, lend_r) {
	.flags = GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_FORCE_LEND, .type = "lend",
	.guest_perms = 4, .host_in_acl = false,
};

FIXTURE_VARIANT_ADD(mem_perms, lend_rwx) {
	.flags = GH_RWX | GUNYAH_MEM_FORCE_LEND, .type = "lend", .guest_perms = 7,
	.host_in_acl = false,
};

FIXTURE_SETUP(mem_perms)
{
	self->vmfd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->size = GH_MEM_PAGES * gh_page_size();
	self->mem = gh_mmap_anon(self->size);
	self->mem2 = gh_mmap_anon(self->size);
	ASSERT_TRUE(self->mem && self->mem2);
	self->vmfd = gh_create_vm_vmid(self->devfd, &self->vmid);
	ASSERT_LE(0, self->vmfd);
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 1));
}

FIXTURE_TEARDOWN(mem_perms)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->mem, self->size);
	munmap(self->mem2, self->size);
	close(self->devfd);
}

/*
 * ALLOW_READ/WRITE/EXEC become the RM's R/W/X rights of the guest; a shared region also
 * lists the host with RWX, a lent one only the guest. The region's label is the parcel's.
 */
TEST_F(mem_perms, acl)
{
	struct gh_sim_parcel p = { 0 };
	int g, h;

	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0x4e, variant->flags, GH_GUEST_BASE + 0x1000000,
				self->size, self->mem2));
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_sim_find_parcel(self->vmid, 0x4e, &p));
	EXPECT_STREQ(variant->type, p.type);
	EXPECT_EQ((unsigned long long)self->size, p.bytes);
	g = gh_acl_index(&p, self->vmid);
	h = gh_acl_index(&p, GH_RM_HOST_VMID);
	ASSERT_LE(0, g);
	EXPECT_EQ(variant->guest_perms, p.acl_perms[g]);
	EXPECT_EQ(1, p.acl_accepted[g]);
	EXPECT_EQ(variant->host_in_acl ? 2U : 1U, p.n_acl);
	if (variant->host_in_acl) {
		ASSERT_LE(0, h);
		EXPECT_EQ(7U, p.acl_perms[h]);
	} else {
		EXPECT_EQ(-1, h);
	}
	close(self->vmfd);
	self->vmfd = -1;
}

/* ---- kinds of memory ---- */

enum gh_backing { GH_ANON_PRIVATE, GH_ANON_SHARED, GH_MEMFD, GH_TMPFS_FILE, GH_RAMFS_FILE };

FIXTURE(mem_kind) {
	int devfd;
	int vmfd;
	unsigned int vmid;
	char *dtb_mem;
	char *mem;
	size_t size;
	int fd;
	char dir[64];
	char file[96];
	bool mounted;
	long long vmlck0;	/* VmLck before the VM existed */
	long long pins0;	/* outstanding pins before the VM existed */
};

FIXTURE_VARIANT(mem_kind) {
	enum gh_backing backing;
	int err;
};

FIXTURE_VARIANT_ADD(mem_kind, anon_private) { .backing = GH_ANON_PRIVATE };

FIXTURE_VARIANT_ADD(mem_kind, anon_shared) { .backing = GH_ANON_SHARED };

FIXTURE_VARIANT_ADD(mem_kind, memfd) { .backing = GH_MEMFD };

FIXTURE_VARIANT_ADD(mem_kind, tmpfs_file) { .backing = GH_TMPFS_FILE };

FIXTURE_VARIANT_ADD(mem_kind, regular_file) { .backing = GH_RAMFS_FILE, .err = EINVAL };

FIXTURE_SETUP(mem_kind)
{
	struct statfs st;
	int flags = MAP_SHARED;

	self->vmfd = -1;
	self->fd = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->size = GH_MEM_PAGES * gh_page_size();
	self->dtb_mem = gh_mmap_anon(self->size);
	ASSERT_TRUE(!!self->dtb_mem);

	switch (variant->backing) {
	case GH_ANON_PRIVATE:
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case GH_ANON_SHARED:
		flags = MAP_SHARED | MAP_ANONYMOUS;
		break;
	case GH_MEMFD:
		self->fd = memfd_create("gunyah-test", MFD_CLOEXEC);
		break;
	case GH_TMPFS_FILE:
		if (statfs("/tmp", &st) || st.f_type != TMPFS_MAGIC)
			SKIP(return, "/tmp is not tmpfs");
		snprintf(self->file, sizeof(self->file), "/tmp/gunyah-test-XXXXXX");
		self->fd = mkstemp(self->file);
		break;
	case GH_RAMFS_FILE:
		/* ramfs: a regular file system that is not shmem */
		snprintf(self->dir, sizeof(self->dir), "/tmp/gunyah-ramfs-XXXXXX");
		ASSERT_TRUE(!!mkdtemp(self->dir));
		if (mount("ramfs", self->dir, "ramfs", 0, NULL)) {
			int err = errno;

			rmdir(self->dir);
			SKIP(return, "cannot mount ramfs: %s", strerror(err));
		}
		self->mounted = true;
		snprintf(self->file, sizeof(self->file), "%s/file", self->dir);
		self->fd = open(self->file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		break;
	}
	if (!(flags & MAP_ANONYMOUS)) {
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, ftruncate(self->fd, (off_t)self->size));
	}
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE, flags, self->fd, 0);
	ASSERT_TRUE(self->mem != MAP_FAILED);
	memset(self->mem, 0x5a, self->size);

	self->vmlck0 = gh_vmlck_kb();
	self->pins0 = gh_pins_outstanding();
	self->vmfd = gh_create_vm_vmid(self->devfd, &self->vmid);
	ASSERT_LE(0, self->vmfd);
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->dtb_mem, self->size, 0, GH_RWX, 1));
}

FIXTURE_TEARDOWN(mem_kind)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, self->size);
	if (self->fd >= 0)
		close(self->fd);
	if (self->file[0])
		unlink(self->file);
	if (self->mounted)
		umount2(self->dir, MNT_DETACH);
	if (self->dir[0])
		rmdir(self->dir);
	munmap(self->dtb_mem, self->size);
	close(self->devfd);
}

/*
 * Anonymous memory and shmem (MAP_SHARED | MAP_ANONYMOUS, memfd, tmpfs files) back guest
 * memory; a mapping of a regular file is EINVAL and charges nothing.
 */
TEST_F(mem_kind, backing)
{
	long long vmlck = gh_vmlck_kb(), pins = gh_pins_outstanding();
	struct gh_sim_parcel p = { 0 };
	int ret, err;

	errno = 0;
	ret = gh_set_mem(self->vmfd, 0x6b, GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE,
			 GH_GUEST_BASE + 0x1000000, self->size, self->mem);
	err = errno;
	if (variant->err) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(variant->err, err);
		EXPECT_EQ(vmlck, gh_vmlck_kb());
		EXPECT_EQ(pins, gh_pins_outstanding());
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(vmlck + (long long)(self->size / 1024), gh_vmlck_kb());
	EXPECT_EQ(pins + GH_MEM_PAGES, gh_pins_outstanding());
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_sim_find_parcel(self->vmid, 0x6b, &p));
	EXPECT_EQ((unsigned long long)self->size, p.bytes);
	EXPECT_EQ(1, p.accepted);
	close(self->vmfd);
	self->vmfd = -1;
	/* Both regions (the fixture's bootable one and this one) are released. */
	EXPECT_EQ(self->vmlck0, gh_vmlck_kb());
	EXPECT_EQ(self->pins0, gh_pins_outstanding());
}

TEST_HARNESS_MAIN
