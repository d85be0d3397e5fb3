// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/gunyah: the device node, CREATE_VM and the capability query.
 *
 * Runs in the test guest with gunyah_sim and gunyah_rsc_mgr loaded; skips without /dev/gunyah.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/gunyah.h>

#include "kselftest_harness.h"

/* Reads one counter of the simulator ("name value" lines); -1 if absent. */
static long long sim_counter(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/gunyah_sim/counters", "r");
	char key[64];
	long long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/gunyah", O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "/dev/gunyah: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A root-only character device: VMs pin memory and talk to the hypervisor. */
TEST_F(dev, node_is_root_only_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/gunyah", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 0777);
}

TEST_F(dev, create_vm_arg_must_be_zero)
{
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_CREATE_VM, 1UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_CREATE_VM, ~0UL));
	EXPECT_EQ(EINVAL, errno);
}

/* The VM fd is close-on-exec, holds a vmid from the RM, and gives it back when closed. */
TEST_F(dev, create_vm_and_close)
{
	long long live = sim_counter("vmids_live");
	int vm, flags;

	ASSERT_GE(live, 0);
	vm = ioctl(self->fd, GUNYAH_CREATE_VM, 0UL);
	ASSERT_GE(vm, 0);
	flags = fcntl(vm, F_GETFD);
	EXPECT_TRUE(flags & FD_CLOEXEC);
	EXPECT_EQ(live + 1, sim_counter("vmids_live"));
	EXPECT_EQ(0, close(vm));
	EXPECT_EQ(live, sim_counter("vmids_live"));
}

/* Each fd takes only its own ioctls. */
TEST_F(dev, wrong_fd_gets_enotty)
{
	int vm = ioctl(self->fd, GUNYAH_CREATE_VM, 0UL);

	ASSERT_GE(vm, 0);
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_VM_START));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm, GUNYAH_CREATE_VM, 0UL));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm, _IO(GUNYAH_IOCTL_TYPE, 0x08)));
	EXPECT_EQ(ENOTTY, errno);
	close(vm);
}

TEST_F(dev, check_function)
{
	struct gunyah_fn_check check = { .type = GUNYAH_FN_SAMPLE_LAST, .flags = 0 };

	/* no module provides the last sample type */
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_CHECK_FUNCTION, &check));
	EXPECT_EQ(ENOENT, errno);
	check.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_CHECK_FUNCTION, &check));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, GUNYAH_CHECK_FUNCTION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_HARNESS_MAIN
