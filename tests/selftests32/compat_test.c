// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager through compat_ioctl: this program is built with -m32 (tests/selftests32/;
 * compat_test32 in the guest) and runs on the 64-bit test kernel (CONFIG_IA32_EMULATION).
 *
 * A 32-bit process must get what a 64-bit one gets: the same ioctl numbers and layouts (checked
 * at build time), a whole VM from CREATE_VM to the guest's exit with every field of the run
 * page as the guest produced it, the functions (vCPU, irqfd, ioeventfd) and CHECK_FUNCTION, and
 * the same errnos. The 64-bit fields keep their upper halves: MMIO addresses above 4 GiB,
 * 64-bit data and datamatch values, a user pointer in a __u64 with bits above 31 (EFAULT, never
 * truncated to a valid 32-bit pointer), guest addresses whose sum overflows only in 64 bits.
 *
 * Runs in the test guest as root with gunyah_sim and gunyah_rsc_mgr loaded; skips without
 * /dev/gunyah.
 */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"

static_assert(sizeof(void *) == 4 && sizeof(long) == 4,
	      "compat_test tests compat_ioctl: build it with -m32");

/* The numbers and layouts this process sends are those of a 64-bit process */
#define CT_ABI(expr)	static_assert(expr, #expr)
CT_ABI(GUNYAH_CREATE_VM == 0x4700);
CT_ABI(GUNYAH_VM_SET_USER_MEM_REGION == 0x40204701);
CT_ABI(GUNYAH_VM_SET_DTB_CONFIG == 0x40104702);
CT_ABI(GUNYAH_VM_START == 0x4703);
CT_ABI(GUNYAH_VM_ADD_FUNCTION == 0x40104704);
CT_ABI(GUNYAH_VCPU_RUN == 0x4705);
CT_ABI(GUNYAH_VCPU_MMAP_SIZE == 0x4706);
CT_ABI(GUNYAH_VM_REMOVE_FUNCTION == 0x40104707);
CT_ABI(GUNYAH_VM_SET_BOOT_CONTEXT == 0x4010470a);
CT_ABI(GUNYAH_CHECK_FUNCTION == 0x40084720);
CT_ABI(sizeof(struct gunyah_fn_ioeventfd_arg) == 32);
CT_ABI(offsetof(struct gunyah_fn_ioeventfd_arg, len) == 16);
CT_ABI(offsetof(struct gunyah_fn_desc, arg) == 8);
CT_ABI(offsetof(struct gunyah_vm_boot_context, value) == 8);
CT_ABI(sizeof(struct gunyah_vcpu_run) == 40);
CT_ABI(offsetof(struct gunyah_vcpu_run, exit_reason) == 8);
CT_ABI(offsetof(struct gunyah_vcpu_run, mmio.data) == 24);
CT_ABI(offsetof(struct gunyah_vcpu_run, mmio.len) == 32);
CT_ABI(offsetof(struct gunyah_vcpu_run, status.exit_info.reason) == 28);

#define CT_LABEL	5
#define CT_MMIO_ADDR	0x123456000ULL	/* above 4 GiB */
#define CT_IOEV_ADDR	0x123457000ULL
#define CT_VALUE	0x0123456789abcdefULL
#define CT_ANSWER	0xfedcba9876543210ULL
#define CT_REASON	0x8877665544332211ULL
#define CT_X0		0xa5a5a5a55a5a5a5aULL
#define CT_HIGH		0x100000000ULL	/* bit 32 */
#define CT_MAP_PAGES	3

/* The ELF class of this program (/proc/self/exe), or -1 */
static int ct_elf_class(void)
{
	unsigned char ident[EI_NIDENT];
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, ident, sizeof(ident));
	close(fd);
	if (n != sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG))
		return -1;
	return ident[EI_CLASS];
}

/* The ioctls below really come from a 32-bit process */
TEST(is_32bit)
{
	EXPECT_EQ(ELFCLASS32, ct_elf_class());
}

/**
 * struct compat - one VM of a test
 * @vm: the VM (CREATE_VM, a region at GHV_BASE) and its /dev/gunyah
 * @vcpu: vCPU 0, once added
 * @efd: eventfds for an irqfd and an ioeventfd
 * @map: CT_MAP_PAGES pages: read-write, PROT_NONE, unmapped
 * @ps: the page size
 * @live: the simulated RM's live VM ids before the VM was created
 */
struct compat {
	struct ghv_vm vm;
	struct ghv_vcpu vcpu;
	int efd[2];
	char *map;
	size_t ps;
	long long live;
};

FIXTURE(compat) {
	struct compat c;
};

FIXTURE_SETUP(compat)
{
	struct compat *c = &self->c;
	int ret;

	ghv_vm_init(&c->vm);
	ghv_vcpu_init(&c->vcpu);
	c->efd[0] = -1;
	c->efd[1] = -1;
	c->map = NULL;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	c->live = gh_sim_counter("vmids_live");

	/* CREATE_VM, then SET_USER_MEM_REGION of a 32-bit user address */
	ret = ghv_vm_create(&c->vm, GHV_MEM_SIZE);
	ASSERT_EQ(0, ret) TH_LOG("creating a VM with memory: %s", strerror(-ret));
	ASSERT_NE(0U, c->vm.vmid) TH_LOG("the simulated RM shows no new VM");
	if (c->live >= 0)
		EXPECT_EQ(c->live + 1, gh_sim_counter("vmids_live"));

	c->efd[0] = ghv_eventfd();
	ASSERT_LE(0, c->efd[0]);
	c->efd[1] = ghv_eventfd();
	ASSERT_LE(0, c->efd[1]);

	c->ps = gh_page_size();
	c->map = mmap(NULL, CT_MAP_PAGES * c->ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(c->map != MAP_FAILED);
	ASSERT_EQ(0, mprotect(c->map + c->ps, c->ps, PROT_NONE));
	ASSERT_EQ(0, munmap(c->map + 2 * c->ps, c->ps));
}

FIXTURE_TEARDOWN(compat)
{
	struct compat *c = &self->c;

	ghv_vcpu_close(&c->vcpu);
	if (c->efd[0] >= 0)
		close(c->efd[0]);
	if (c->efd[1] >= 0)
		close(c->efd[1]);
	ghv_vm_destroy(&c->vm);
	if (c->map && c->map != MAP_FAILED)
		munmap(c->map, CT_MAP_PAGES * c->ps);
}

/* ADD or REMOVE with the argument pointer given as a raw __u64: the ioctl's result or -errno */
static int ct_fn_raw(int vmfd, bool add, __u32 type, __u64 arg, __u32 size)
{
	struct gunyah_fn_desc desc = { .type = type, .arg_size = size, .arg = arg };
	int ret;

	ret = ioctl(vmfd, add ? GUNYAH_VM_ADD_FUNCTION : GUNYAH_VM_REMOVE_FUNCTION, &desc);
	return ret < 0 ? -errno : ret;
}

/*
 * A guest from start to exit: DTB, boot PC, vCPU and its run page, START, an ioeventfd taking
 * a 64-bit datamatch write, an MMIO write and read above 4 GiB with 64-bit data, an irqfd
 * waking the guest, the exit with an 8-byte reason. Every field is read by this 32-bit process.
 */
TEST_F(compat, run_guest)
{
	static const __u32 labels[] = { CT_LABEL };
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	struct compat *c = &self->c;
	struct ghv_prog *p = &c->vm.prog;
	struct gunyah_fn_vcpu_arg vcpu_arg = { .id = 0 };
	struct ghv_vcpu *v = &c->vcpu;
	struct gunyah_vcpu_run *run;
	struct gh_sim_parcel parcel = {};
	struct gh_sim_vm info = {};
	__u8 reason[8];
	int vm = c->vm.vmfd;
	unsigned int i;
	int ret;

	EXPECT_TRUE(fcntl(vm, F_GETFD) & FD_CLOEXEC);

	/* SET_DTB_CONFIG, SET_BOOT_CONTEXT: PC (bit 31 set: no sign extension) and X0 */
	ret = ghv_vm_configure(&c->vm, 1, labels, 1);
	ASSERT_EQ(0, ret) TH_LOG("VM config: %s", strerror(-ret));
	EXPECT_EQ(0, gh_set_boot_reg(vm, GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 0, CT_X0));

	ghv_mmio_write(p, CT_IOEV_ADDR, 8, CT_VALUE);		/* the ioeventfd: no exit */
	ghv_mmio_write(p, CT_MMIO_ADDR, 8, CT_VALUE);
	ghv_mmio_read_check(p, CT_MMIO_ADDR + 8, 8, CT_ANSWER);
	ghv_wait_bell(p, CT_LABEL);
	ghv_power_off(p, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, CT_REASON, 8);
	ASSERT_EQ(0, p->err);

	/* ADD_FUNCTION of a vCPU (a 32-bit pointer in the __u64), VCPU_MMAP_SIZE, mmap() */
	ret = ghv_vcpu_add(vm, 0, v);
	ASSERT_EQ(0, ret) TH_LOG("adding vCPU 0: %s", strerror(-ret));
	EXPECT_TRUE(fcntl(v->fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(c->ps, v->run_size);
	run = v->run;
	EXPECT_EQ(GUNYAH_VCPU_EXIT_UNKNOWN, run->exit_reason);

	ASSERT_EQ(0, ghv_irqfd(vm, true, c->efd[0], CT_LABEL, 0));
	ASSERT_EQ(0, ghv_ioeventfd(vm, true, c->efd[1], CT_IOEV_ADDR, 8, dm, CT_VALUE));

	ASSERT_EQ(0, ghv_vm_start(&c->vm));
	EXPECT_EQ(-EALREADY, ghv_vm_start(&c->vm));

	/* What the RM got: the region, the DTB location */
	ASSERT_EQ(0, gh_sim_vm_info(c->vm.vmid, &info));
	EXPECT_EQ((unsigned long long)GHV_DTB_OFF, info.dtb_offset);
	EXPECT_EQ((unsigned long long)c->vm.dtb_size, info.dtb_size);
	EXPECT_EQ(GHV_BASE, info.base);
	EXPECT_EQ(1, info.vcpus);
	EXPECT_EQ(1, info.doorbells);
	ASSERT_EQ(0, gh_sim_find_parcel(c->vm.vmid, 0, &parcel));
	EXPECT_EQ((unsigned long long)GHV_MEM_SIZE, parcel.bytes);

	/* immediate_exit, the first byte of the page */
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, ghv_vcpu_run(v));
	run->immediate_exit = 0;

	/* The write: address and data whole */
	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(CT_MMIO_ADDR, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(GUNYAH_VCPU_RESUME_HANDLED, run->mmio.resume_action);
	EXPECT_EQ(CT_VALUE, ghv_mmio_value(&run->mmio));
	EXPECT_EQ(1, ghv_eventfd_take(c->efd[1])) TH_LOG("the ioeventfd missed the write");

	/* The read: the guest checks the 8 bytes this process answers */
	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(CT_MMIO_ADDR + 8, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	ghv_mmio_set_value(&run->mmio, CT_ANSWER);

	/* The irqfd rings the doorbell the guest waits on next */
	ASSERT_EQ(0, ghv_eventfd_signal(c->efd[0]));
	ASSERT_EQ(0, ghv_vcpu_run(v));
	ASSERT_EQ(GUNYAH_VCPU_EXIT_STATUS, run->exit_reason)
		TH_LOG("exit %u at %#llx", run->exit_reason,
		       (unsigned long long)run->mmio.phys_addr);
	EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, run->status.status)
		TH_LOG("status %u: a wrong answer to the read crashes the guest",
		       run->status.status);
	EXPECT_EQ(GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, run->status.exit_info.type);
	EXPECT_EQ(0, run->status.exit_info.padding);
	EXPECT_EQ(8, run->status.exit_info.reason_size);
	for (i = 0; i < sizeof(reason); i++)
		reason[i] = (__u8)(CT_REASON >> (8 * i));
	EXPECT_EQ(0, memcmp(reason, run->status.exit_info.reason, sizeof(reason)));

	/* The exit is final */
	ASSERT_EQ(0, ghv_vcpu_run(v));
	EXPECT_EQ(GUNYAH_VCPU_EXIT_STATUS, run->exit_reason);
	EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, run->status.status);

	/* REMOVE_FUNCTION of each; the vCPU fd stays, RUN fails */
	EXPECT_EQ(0, ghv_irqfd(vm, false, -1, CT_LABEL, 0));
	EXPECT_EQ(-ENOENT, ghv_irqfd(vm, false, -1, CT_LABEL, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 8, dm, CT_VALUE));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 0, 0, 0));
	EXPECT_EQ(0, ghv_fn(vm, false, GUNYAH_FN_VCPU, &vcpu_arg, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENODEV, ghv_vcpu_run(v));

	/* The last fd gives the VM id back */
	ghv_vcpu_close(v);
	ghv_vm_close_fd(&c->vm);
	if (c->live >= 0)
		EXPECT_EQ(c->live, gh_sim_counter_wait("vmids_live", c->live));
}

/* CHECK_FUNCTION, and ADD/REMOVE of each function with their rules, as for a 64-bit process */
TEST_F(compat, functions)
{
	static const __u32 absent[] = { 0, 4, GUNYAH_FN_SAMPLE_LAST, GUNYAH_FN_SAMPLE_LAST + 1,
					0x10000 + GUNYAH_FN_VCPU, UINT32_MAX };
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	struct gunyah_fn_vcpu_arg vcpu_arg = { .id = 0 };
	struct gunyah_fn_irqfd_arg irqfd_arg = { .fd = self->c.efd[0], .label = CT_LABEL };
	__u8 big[GUNYAH_FN_MAX_ARG_SIZE + 1] = {};
	struct gunyah_fn_check check = {};
	struct compat *c = &self->c;
	int vm = c->vm.vmfd, dev = c->vm.devfd, *efd = c->efd;
	__u64 ptr = (uintptr_t)&vcpu_arg;
	unsigned int i;
	int ret;

	/* CHECK_FUNCTION: the in-tree types load; the rest are ENOENT; flags must be 0 */
	for (check.type = GUNYAH_FN_VCPU; check.type <= GUNYAH_FN_IOEVENTFD; check.type++) {
		errno = 0;
		EXPECT_EQ(0, ioctl(dev, GUNYAH_CHECK_FUNCTION, &check))
			TH_LOG("type %u: %s", check.type, strerror(errno));
	}
	for (i = 0; i < ARRAY_SIZE(absent); i++) {
		check.type = absent[i];
		EXPECT_ERRNO(ENOENT, ioctl(dev, GUNYAH_CHECK_FUNCTION, &check));
	}
	check.type = GUNYAH_FN_VCPU;
	check.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CHECK_FUNCTION, &check));
	check.flags = 0x80000000U;
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CHECK_FUNCTION, &check));

	/* The argument pointer is the whole __u64: bits above 31 are not dropped */
	EXPECT_EQ(-EFAULT, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, CT_HIGH | ptr, sizeof(vcpu_arg)));
	EXPECT_EQ(-EFAULT, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, 0xffffffff00000000ULL | ptr,
				     sizeof(vcpu_arg)));
	EXPECT_EQ(-EFAULT, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, 0, sizeof(vcpu_arg)));
	EXPECT_EQ(-EINVAL, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, ptr, GUNYAH_FN_MAX_ARG_SIZE + 1));
	EXPECT_EQ(-EINVAL, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, ptr, UINT32_MAX));
	EXPECT_EQ(-ENOENT, ct_fn_raw(vm, true, GUNYAH_FN_SAMPLE_LAST, ptr, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENOENT, ct_fn_raw(vm, false, GUNYAH_FN_VCPU, ptr, sizeof(vcpu_arg)));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, false, GUNYAH_FN_VCPU, big, 8));

	/* vCPU: after all that, id 0 is free */
	ret = ct_fn_raw(vm, true, GUNYAH_FN_VCPU, ptr, sizeof(vcpu_arg));
	ASSERT_LE(0, ret) TH_LOG("adding vCPU 0: %s", strerror(-ret));
	c->vcpu.fd = ret;
	EXPECT_EQ(-EEXIST, ct_fn_raw(vm, true, GUNYAH_FN_VCPU, ptr, sizeof(vcpu_arg)));
	EXPECT_EQ((int)c->ps, ioctl(c->vcpu.fd, GUNYAH_VCPU_MMAP_SIZE));

	/* irqfd: the fd is an __s32; removal by label */
	EXPECT_EQ(-EBADF, ghv_irqfd(vm, true, -1, CT_LABEL, 0));
	EXPECT_EQ(-EINVAL, ghv_irqfd(vm, true, dev, CT_LABEL, 0));
	EXPECT_EQ(-EINVAL, ghv_irqfd(vm, true, efd[0], CT_LABEL, 2));
	irqfd_arg.padding = 1;
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IRQFD, &irqfd_arg, sizeof(irqfd_arg)));
	irqfd_arg.padding = 0;
	EXPECT_EQ(-EINVAL, ghv_fn(vm, true, GUNYAH_FN_IRQFD, &irqfd_arg, sizeof(irqfd_arg) - 4));
	EXPECT_EQ(0, ghv_fn(vm, true, GUNYAH_FN_IRQFD, &irqfd_arg, sizeof(irqfd_arg)));
	EXPECT_EQ(-EEXIST, ghv_irqfd(vm, true, efd[1], CT_LABEL, GUNYAH_IRQFD_FLAGS_LEVEL));
	EXPECT_EQ(-EINVAL, ghv_fn(vm, false, GUNYAH_FN_IRQFD, &irqfd_arg, sizeof(irqfd_arg) + 4));
	EXPECT_EQ(0, ghv_irqfd(vm, false, -1, CT_LABEL, 0));
	EXPECT_EQ(-ENOENT, ghv_irqfd(vm, false, -1, CT_LABEL, 0));

	/*
	 * ioeventfd: two datamatch values that differ only in their upper halves do not collide,
	 * and each is removed by its own value
	 */
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd[1], CT_IOEV_ADDR, 8, dm, CT_VALUE));
	EXPECT_EQ(0, ghv_ioeventfd(vm, true, efd[1], CT_IOEV_ADDR, 8, dm, CT_VALUE ^ CT_HIGH));
	EXPECT_EQ(-EEXIST, ghv_ioeventfd(vm, true, efd[1], CT_IOEV_ADDR, 8, dm, CT_VALUE));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, true, efd[1], ~0ULL - 4, 8, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 3, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 8, dm, CT_VALUE ^ 1));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 8, dm, CT_VALUE ^ CT_HIGH));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 8, dm, CT_VALUE ^ CT_HIGH));
	EXPECT_EQ(0, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 8, dm, CT_VALUE));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(vm, false, -1, CT_IOEV_ADDR, 0, 0, 0));

	/* The vCPU last */
	EXPECT_EQ(0, ct_fn_raw(vm, false, GUNYAH_FN_VCPU, ptr, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENOENT, ct_fn_raw(vm, false, GUNYAH_FN_VCPU, ptr, sizeof(vcpu_arg)));
	EXPECT_EQ(-ENODEV, ghv_vcpu_run(&c->vcpu));
}

/* The errnos of a 64-bit process: EINVAL for a CREATE_VM argument, EFAULT for bad pointers */
TEST_F(compat, errors)
{
	struct gunyah_userspace_memory_region region = {
		.label = 1,
		.flags = GHV_RWX,
		.guest_phys_addr = GHV_BASE + GHV_MEM_SIZE,
		.memory_size = self->c.ps,
	};
	struct gunyah_vm_boot_context ctx = {};
	struct gunyah_vm_dtb_config dtb = {};
	struct compat *c = &self->c;
	int vm = c->vm.vmfd, dev = c->vm.devfd;
	char *bad[3] = { NULL, c->map + c->ps, c->map + 2 * c->ps };
	long long live = gh_sim_counter("vmids_live");
	unsigned long zero = 0;
	unsigned int i;
	int ret, err;

	/* CREATE_VM takes no argument: anything but 0, pointers included, is EINVAL */
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CREATE_VM, 1UL));
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CREATE_VM, 1UL << 31));
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CREATE_VM, ~0UL));
	EXPECT_ERRNO(EINVAL, ioctl(dev, GUNYAH_CREATE_VM, (unsigned long)&zero));
	EXPECT_EQ(live, gh_sim_counter("vmids_live"));

	/* NULL, PROT_NONE, unmapped */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("pointer %p", bad[i]);
		EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_SET_USER_MEM_REGION, bad[i]));
		EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_SET_DTB_CONFIG, bad[i]));
		EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_SET_BOOT_CONTEXT, bad[i]));
		EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_ADD_FUNCTION, bad[i]));
		EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_REMOVE_FUNCTION, bad[i]));
		EXPECT_ERRNO(EFAULT, ioctl(dev, GUNYAH_CHECK_FUNCTION, bad[i]));
	}

	/* A user address above 4 GiB is not mapped for this process, not truncated */
	region.userspace_addr = CT_HIGH | (uintptr_t)c->map;
	EXPECT_ERRNO(EFAULT, ioctl(vm, GUNYAH_VM_SET_USER_MEM_REGION, &region));
	/* A guest range that wraps in 64 bits (not in 32) */
	region.userspace_addr = (uintptr_t)c->map;
	region.guest_phys_addr = ~0ULL - c->ps + 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_USER_MEM_REGION, &region));
	/* Nothing was added: the label and the range are free */
	region.guest_phys_addr = GHV_BASE + GHV_MEM_SIZE;
	errno = 0;
	ret = ioctl(vm, GUNYAH_VM_SET_USER_MEM_REGION, &region);
	err = errno;
	EXPECT_EQ(0, ret) TH_LOG("%s", strerror(err));
	EXPECT_ERRNO(EEXIST, ioctl(vm, GUNYAH_VM_SET_USER_MEM_REGION, &region));

	dtb.guest_phys_addr = ~0ULL - 1;
	dtb.size = 4;
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_DTB_CONFIG, &dtb));
	dtb.guest_phys_addr = GHV_BASE + GHV_DTB_OFF;
	dtb.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_DTB_CONFIG, &dtb));

	ctx.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 32);
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx));
	ctx.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 1);
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx));
	ctx.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0);
	ctx.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx));

	/* Numbers the fd does not take */
	EXPECT_ERRNO(ENOTTY, ioctl(vm, GUNYAH_CREATE_VM, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, GUNYAH_CHECK_FUNCTION, &zero));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, GUNYAH_VCPU_RUN, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, GUNYAH_VM_START, 0UL));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IO(GUNYAH_IOCTL_TYPE, 0x1f), 0UL));
}

TEST_HARNESS_MAIN
