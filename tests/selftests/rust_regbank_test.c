// SPDX-License-Identifier: GPL-2.0
/*
 * The sample Rust VM function (rust/samples/gunyah_regbank.rs): a bank of guest registers
 * emulated in the kernel. ADD_FUNCTION autoloads it by its alias; guest writes and reads of
 * the registers never exit to userspace; its module cannot be unloaded while an instance
 * lives. Skips when the kernel has no Rust (the module is then not built).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gunyah_vm_util.h"
#include "../../rust/samples/gunyah_regbank.h"

#define BANK_BASE	0x20000000ULL
#define N_REGS		8

static bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

FIXTURE(regbank) {
	struct ghv_vm vm;
	struct ghv_vcpu vcpu;
};

FIXTURE_SETUP(regbank)
{
	struct gunyah_fn_check check = { .type = GUNYAH_FN_REGBANK };
	int devfd;

	ghv_vm_init(&self->vm);
	ghv_vcpu_init(&self->vcpu);
	if (!ghv_have_dev())
		SKIP(return, "no /dev/gunyah");
	devfd = ghv_open_dev();
	ASSERT_LE(0, devfd);
	if (ioctl(devfd, GUNYAH_CHECK_FUNCTION, &check)) {
		close(devfd);
		SKIP(return, "no Rust VM function (kernel without CONFIG_RUST?)");
	}
	close(devfd);
	ASSERT_EQ(0, ghv_vm_create(&self->vm, GHV_MEM_SIZE));
	ghv_watchdog_arm(60, "regbank test");
}

FIXTURE_TEARDOWN(regbank)
{
	ghv_vcpu_close(&self->vcpu);
	ghv_vm_destroy(&self->vm);
}

static int add_bank(int vmfd, __u64 base, __u32 n_regs, __u32 flags)
{
	struct gunyah_regbank_arg arg = { .base = base, .n_regs = n_regs, .flags = flags };

	return ghv_fn(vmfd, true, GUNYAH_FN_REGBANK, &arg, sizeof(arg));
}

/* The guest writes every register, reads each back with a check, then powers off. */
TEST_F(regbank, registers_without_exits)
{
	long long exits = ghv_sim_counter("mmio_exits");
	unsigned int i;

	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, N_REGS, 0));
	ASSERT_EQ(0, ghv_vm_configure(&self->vm, 1, NULL, 0));
	for (i = 0; i < N_REGS; i++)
		ghv_mmio_write(&self->vm.prog, BANK_BASE + 8 * i, 8,
			       0x1111111111111111ULL * (i + 1));
	for (i = 0; i < N_REGS; i++)
		ghv_mmio_read_check(&self->vm.prog, BANK_BASE + 8 * i, 8,
				    0x1111111111111111ULL * (i + 1));
	/* a narrower access sees the low bytes */
	ghv_mmio_read_check(&self->vm.prog, BANK_BASE + 8, 4, 0x22222222ULL);
	ghv_power_off(&self->vm.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 0x5a, 4);
	ASSERT_EQ(0, ghv_vcpu_add(self->vm.vmfd, 0, &self->vcpu));
	ASSERT_EQ(0, ghv_vm_start(&self->vm));
	ASSERT_EQ(0, ghv_vcpu_loop(&self->vcpu));
	EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, self->vcpu.status);
	/* every access went to the Rust function: none reached this VMM */
	EXPECT_EQ(0U, self->vcpu.n_mmio);
	/* the hypervisor saw them all as MMIO exits to the host kernel */
	EXPECT_LE(exits + 2 * N_REGS + 1, ghv_sim_counter("mmio_exits"));
}

/* Addresses outside the bank still exit to userspace. */
TEST_F(regbank, outside_the_bank_exits)
{
	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
	ASSERT_EQ(0, ghv_vm_configure(&self->vm, 1, NULL, 0));
	ghv_mmio_write(&self->vm.prog, BANK_BASE + 16, 8, 7);
	ghv_power_off(&self->vm.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 1, 4);
	ASSERT_EQ(0, ghv_vcpu_add(self->vm.vmfd, 0, &self->vcpu));
	ASSERT_EQ(0, ghv_vcpu_loop(&self->vcpu));
	EXPECT_EQ(1U, self->vcpu.n_mmio);
	EXPECT_EQ(BANK_BASE + 16, self->vcpu.log[0].addr);
}

TEST_F(regbank, bad_arguments)
{
	EXPECT_EQ(-EINVAL, add_bank(self->vm.vmfd, BANK_BASE, 0, 0));
	EXPECT_EQ(-EINVAL, add_bank(self->vm.vmfd, BANK_BASE, GUNYAH_REGBANK_MAX_REGS + 1, 0));
	EXPECT_EQ(-EINVAL, add_bank(self->vm.vmfd, BANK_BASE, 1, 1));
	EXPECT_EQ(-EINVAL, add_bank(self->vm.vmfd, BANK_BASE + 1, 1, 0));
	EXPECT_EQ(-EINVAL, ghv_fn(self->vm.vmfd, true, GUNYAH_FN_REGBANK, &self->vm, 4));
	/* two banks over the same registers collide */
	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
	EXPECT_EQ(-EEXIST, add_bank(self->vm.vmfd, BANK_BASE + 8, 2, 0));
}

TEST_F(regbank, remove_by_base)
{
	struct gunyah_regbank_arg arg = { .base = BANK_BASE, .n_regs = 2 };

	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
	EXPECT_EQ(0, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &arg, sizeof(arg)));
	EXPECT_EQ(-ENOENT, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &arg, sizeof(arg)));
	/* the registers are free again */
	EXPECT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
}

/* Several banks: REMOVE finds each by its base, the type's key */
TEST_F(regbank, remove_among_several)
{
	struct gunyah_regbank_arg a = { .base = BANK_BASE, .n_regs = 2 };
	struct gunyah_regbank_arg b = { .base = BANK_BASE + 64, .n_regs = 2 };

	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE + 64, 2, 0));
	EXPECT_EQ(0, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &b, sizeof(b)));
	/* the first bank is still there, the second's registers are free */
	EXPECT_EQ(-EEXIST, add_bank(self->vm.vmfd, BANK_BASE, 2, 0));
	EXPECT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE + 64, 2, 0));
	EXPECT_EQ(0, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &a, sizeof(a)));
	EXPECT_EQ(-ENOENT, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &a, sizeof(a)));
	EXPECT_EQ(0, ghv_fn(self->vm.vmfd, false, GUNYAH_FN_REGBANK, &b, sizeof(b)));
}

/* rmmod is refused while an instance lives, and works once the VM is gone. */
TEST_F(regbank, unload_refused_while_in_use)
{
	int ret, i;

	ASSERT_EQ(0, add_bank(self->vm.vmfd, BANK_BASE, 1, 0));
	ASSERT_TRUE(module_loaded("gunyah_regbank"));
	ret = syscall(SYS_delete_module, "gunyah_regbank", O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EBUSY || errno == EAGAIN);
	EXPECT_TRUE(module_loaded("gunyah_regbank"));

	ghv_vm_destroy(&self->vm);
	for (i = 0; i < 100; i++) {
		ret = syscall(SYS_delete_module, "gunyah_regbank", O_NONBLOCK);
		if (!ret || (errno != EBUSY && errno != EAGAIN))
			break;
		ghv_sleep_ms(20);
	}
	EXPECT_EQ(0, ret);
	EXPECT_FALSE(module_loaded("gunyah_regbank"));
}

TEST_HARNESS_MAIN
