/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Gunyah VM manager selftests: /dev/gunyah and VM fds, guest memory, VM
 * config DTBs, the simulator's debugfs files (counters, vms, parcels, knobs), the kernel's
 * fail_function, and the process-wide accounting a VM must undo (VmLck, FOLL_PIN counters).
 *
 * Header only: every helper is static inline, so a test that does not use one gets no warning.
 * Helpers return 0 or a negative errno (or -1 for "not available") and never abort: the tests
 * decide with ASSERT_* / EXPECT_* what a failure means.
 */
#ifndef _GUNYAH_TEST_UTIL_H
#define _GUNYAH_TEST_UTIL_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>
#include <linux/gunyah.h>

#include "../lib/gunyah_fdt.h"

#ifndef __KSELFTEST_HARNESS_H
#error "include kselftest_harness.h before gunyah_test_util.h"
#endif

/*
 * EXPECT_ERRNO(err, call): @call fails with -1 and errno @err. errno is saved before the
 * checks, whose logging may change it.
 */
#define EXPECT_ERRNO(err, call) do {			\
	int gh_ret_, gh_err_;				\
							\
	errno = 0;					\
	gh_ret_ = (call);				\
	gh_err_ = errno;				\
	EXPECT_EQ(-1, gh_ret_);				\
	EXPECT_EQ(err, gh_err_);			\
} while (0)

/* EXPECT_RESULT(err, call): @call returns 0 if @err is 0, else fails with errno @err */
#define EXPECT_RESULT(err, call) do {			\
	int gh_ret_, gh_err_;				\
							\
	errno = 0;					\
	gh_ret_ = (call);				\
	gh_err_ = gh_ret_ ? errno : 0;			\
	EXPECT_EQ((err) ? -1 : 0, gh_ret_);		\
	EXPECT_EQ(err, gh_err_);			\
} while (0)

#define GH_DEV_PATH		"/dev/gunyah"
#define GH_SIM_DIR		"/sys/kernel/debug/gunyah_sim"
#define GH_FEI_DIR		"/sys/kernel/debug/fail_function"

/* Guest layout used by most tests: the DTB region at GH_GUEST_BASE, the DTB one page in */
#define GH_GUEST_BASE		0x80000000ULL
#define GH_DTB_OFF		0x1000UL
#define GH_DTB_MAX		0x1000UL
#define GH_RWX			(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE | \
				 GUNYAH_MEM_ALLOW_EXEC)

/* The simulated RM's VM states (vms file), its host VM id and message ids */
#define GH_RM_VM_INIT		1
#define GH_RM_VM_READY		2
#define GH_RM_VM_RUNNING	3
#define GH_RM_VM_LOAD		5
#define GH_RM_VM_INIT_FAILED	8
#define GH_RM_HOST_VMID		3
#define GH_RM_MSG_VM_START	0x56000004U
#define GH_RM_MSG_CONFIG_IMAGE	0x56000009U
#define GH_RM_MSG_VM_INIT	0x5600000bU
#define GH_RM_MSG_GET_HYP_RES	0x56000020U
#define GH_RM_MSG_SET_BOOT_CTX	0x56000031U
#define GH_RM_MSG_MEM_LEND	0x51000012U
#define GH_RM_MSG_MEM_SHARE	0x51000013U
#define GH_RM_MSG_MEM_APPEND	0x51000018U
#define GH_RM_MAX_MEM_ENTRIES	512

/* Poll timeout for state the driver or the simulator may settle a little later */
#define GH_SETTLE_MS		10000

static inline size_t gh_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline bool gh_have_dev(void)
{
	return access(GH_DEV_PATH, F_OK) == 0;
}

static inline int gh_open_dev(void)
{
	return open(GH_DEV_PATH, O_RDWR | O_CLOEXEC);
}

static inline int gh_create_vm(int devfd)
{
	return ioctl(devfd, GUNYAH_CREATE_VM, 0UL);
}

/* Anonymous private read-write memory, or NULL */
static inline void *gh_mmap_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline int gh_set_mem(int vmfd, __u32 label, __u32 flags, __u64 gpa, __u64 size,
			     const void *uaddr)
{
	struct gunyah_userspace_memory_region region = {
		.label = label,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (__u64)(uintptr_t)uaddr,
	};

	return ioctl(vmfd, GUNYAH_VM_SET_USER_MEM_REGION, &region);
}

static inline int gh_set_dtb(int vmfd, __u64 gpa, __u64 size)
{
	struct gunyah_vm_dtb_config dtb = { .guest_phys_addr = gpa, .size = size };

	return ioctl(vmfd, GUNYAH_VM_SET_DTB_CONFIG, &dtb);
}

static inline int gh_set_boot_reg(int vmfd, __u32 set, __u32 index, __u64 value)
{
	struct gunyah_vm_boot_context ctx = {
		.reg = GUNYAH_VM_BOOT_CONTEXT_REG(set, index),
		.value = value,
	};

	return ioctl(vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx);
}

/**
 * gh_build_vm_config() - write a VM config DTB the simulator accepts
 * @buf: destination (guest memory)
 * @cap: its size
 * @n_vcpus: /cpus/cpu@N nodes (0 makes the RM's VM_INIT fail)
 * @n_bells: doorbells bell-N with labels 5 + N
 * @base: /qcom,vm-config/memory base-address
 *
 * Return: the DTB's size, or 0 if it does not fit.
 */
static inline size_t gh_build_vm_config(void *buf, size_t cap, unsigned int n_vcpus,
					unsigned int n_bells, __u64 base)
{
	struct gunyah_fdt f;
	char name[32];
	unsigned int i;

	gunyah_fdt_init(&f, buf, cap);
	gunyah_fdt_begin_node(&f, "");
	gunyah_fdt_prop_u32(&f, "#address-cells", 2);
	gunyah_fdt_prop_u32(&f, "#size-cells", 2);
	gunyah_fdt_begin_node(&f, "cpus");
	for (i = 0; i < n_vcpus; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		gunyah_fdt_begin_node(&f, name);
		gunyah_fdt_prop_str(&f, "device_type", "cpu");
		gunyah_fdt_prop_u32(&f, "reg", i);
		gunyah_fdt_end_node(&f);
	}
	gunyah_fdt_end_node(&f);
	gunyah_fdt_begin_node(&f, "qcom,vm-config");
	gunyah_fdt_prop_str(&f, "vm-type", "aarch64-guest");
	gunyah_fdt_begin_node(&f, "memory");
	gunyah_fdt_prop_u64(&f, "base-address", base);
	gunyah_fdt_end_node(&f);
	gunyah_fdt_begin_node(&f, "vdevices");
	for (i = 0; i < n_bells; i++) {
		snprintf(name, sizeof(name), "bell-%u", i);
		gunyah_fdt_begin_node(&f, name);
		gunyah_fdt_prop_str(&f, "vdevice-type", "doorbell");
		gunyah_fdt_prop_u32(&f, "label", 5 + i);
		gunyah_fdt_end_node(&f);
	}
	gunyah_fdt_end_node(&f);
	gunyah_fdt_end_node(&f);
	gunyah_fdt_end_node(&f);
	return gunyah_fdt_finish(&f);
}

/**
 * gh_setup_bootable() - make a VM startable: DTB region, DTB in it, DTB location
 * @vmfd: the VM
 * @mem: user memory of @size bytes (at least GH_DTB_OFF + GH_DTB_MAX)
 * @size: region size
 * @label: region label
 * @flags: region flags
 * @n_vcpus: vCPUs in the config (0: a config the RM rejects at VM_INIT)
 *
 * The region is mapped at GH_GUEST_BASE, the VM config's base address, and holds the DTB at
 * GH_DTB_OFF.
 *
 * Return: 0, -ENOSPC if the DTB does not fit, or the errno of the failing ioctl.
 */
static inline int gh_setup_bootable(int vmfd, void *mem, size_t size, __u32 label, __u32 flags,
				    unsigned int n_vcpus)
{
	size_t dtb_size = gh_build_vm_config((char *)mem + GH_DTB_OFF, GH_DTB_MAX, n_vcpus, 2,
					     GH_GUEST_BASE);

	if (!dtb_size)
		return -ENOSPC;
	if (gh_set_mem(vmfd, label, flags, GH_GUEST_BASE, size, mem))
		return -errno;
	if (gh_set_dtb(vmfd, GH_GUEST_BASE + GH_DTB_OFF, dtb_size))
		return -errno;
	return 0;
}

/* ---- files ---- */

static inline int gh_write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	ssize_t n;
	int fd, len, ret = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -E2BIG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, (size_t)len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static inline void gh_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline long long gh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the simulator ---- */

static inline bool gh_have_sim(void)
{
	return access(GH_SIM_DIR "/counters", R_OK) == 0;
}

/* A counter of GH_SIM_DIR/counters ("name value" lines), or -1 */
static inline long long gh_sim_counter(const char *name)
{
	char line[128], key[64];
	long long val, ret = -1;
	FILE *f;

	f = fopen(GH_SIM_DIR "/counters", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", key, &val) == 2 && !strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Write a knob of GH_SIM_DIR, e.g. gh_sim_knob("rpc_fail", "1 %u %#x", err, msg_id) */
static inline int gh_sim_knob(const char *knob, const char *fmt, ...)
{
	char path[128], val[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(val))
		return -E2BIG;
	snprintf(path, sizeof(path), GH_SIM_DIR "/%s", knob);
	return gh_write_file(path, "%s\n", val);
}

/* The first line of a knob, without the newline */
static inline int gh_sim_knob_read(const char *knob, char *buf, size_t size)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), GH_SIM_DIR "/%s", knob);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* Every fault knob a test may leave armed, back to its default */
static inline void gh_sim_reset_knobs(void)
{
	gh_sim_knob("rpc_fail", "0 0");
	gh_sim_knob("rpc_lose_reply", "0");
	gh_sim_knob("image_lend_only", "0");
}

/* One line of GH_SIM_DIR/vms */
struct gh_sim_vm {
	unsigned int vmid;
	unsigned int state;
	unsigned int image;
	unsigned long long dtb_offset;
	unsigned long long dtb_size;
	unsigned long long base;
	unsigned int vcpus;
	unsigned int doorbells;
	unsigned int accepted;
};

static inline bool gh_sim_parse_vm(const char *line, struct gh_sim_vm *vm)
{
	return sscanf(line,
		      "vmid=%u state=%u image=%x dtb=%llx+%llx base=%llx vcpus=%u doorbells=%u accepted=%u",
		      &vm->vmid, &vm->state, &vm->image, &vm->dtb_offset, &vm->dtb_size, &vm->base,
		      &vm->vcpus, &vm->doorbells, &vm->accepted) == 9;
}

/* The simulator's view of a VM: 0, or -ENOENT if the RM has no such VM */
static inline int gh_sim_vm_info(unsigned int vmid, struct gh_sim_vm *out)
{
	struct gh_sim_vm vm;
	char line[256];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(GH_SIM_DIR "/vms", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (gh_sim_parse_vm(line, &vm) && vm.vmid == vmid) {
			*out = vm;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The VM ids the simulated RM has allocated; returns how many (at most @max) */
static inline int gh_sim_vmids(unsigned int *ids, int max)
{
	struct gh_sim_vm vm;
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen(GH_SIM_DIR "/vms", "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (gh_sim_parse_vm(line, &vm))
			ids[n++] = vm.vmid;
	fclose(f);
	return n;
}

/**
 * gh_create_vm_vmid() - GUNYAH_CREATE_VM, and find the new VM's id in the simulator
 * @devfd: /dev/gunyah
 * @vmid: set to the VM id the RM allocated, or 0 if it cannot be told
 *
 * Tests run one at a time, so the new VM is the one id that was not there before.
 *
 * Return: the VM fd, or -1 with errno set.
 */
static inline int gh_create_vm_vmid(int devfd, unsigned int *vmid)
{
	unsigned int before[128], after[128];
	int nb, na, i, j, fd;

	*vmid = 0;
	nb = gh_sim_vmids(before, 128);
	fd = gh_create_vm(devfd);
	if (fd < 0)
		return fd;
	na = gh_sim_vmids(after, 128);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && before[j] != after[i]; j++)
			;
		if (j == nb) {
			*vmid = after[i];
			break;
		}
	}
	return fd;
}

/* One line of GH_SIM_DIR/parcels */
struct gh_sim_parcel {
	unsigned int handle;
	unsigned int label;
	char type[8];
	unsigned int entries;
	unsigned long long bytes;
	int pending;
	int accepted;
	unsigned int n_acl;
	unsigned int acl_vmid[4];
	unsigned int acl_perms[4];
	int acl_accepted[4];
};

static inline bool gh_sim_parse_parcel(const char *line, struct gh_sim_parcel *p)
{
	unsigned int mem_type;
	const char *s;
	char *end;
	int pos = 0;

	memset(p, 0, sizeof(*p));
	if (sscanf(line,
		   "handle=%u label=%x type=%7s mem_type=%u entries=%u bytes=%llu pending=%d accepted=%d acl=%n",
		   &p->handle, &p->label, p->type, &mem_type, &p->entries, &p->bytes, &p->pending,
		   &p->accepted, &pos) != 8 || !pos)
		return false;
	for (s = line + pos; p->n_acl < 4 && *s >= '0' && *s <= '9'; p->n_acl++) {
		p->acl_vmid[p->n_acl] = (unsigned int)strtoul(s, &end, 0);
		if (*end != ':')
			return false;
		p->acl_perms[p->n_acl] = (unsigned int)strtoul(end + 1, &end, 0);
		p->acl_accepted[p->n_acl] = *end == '*';
		s = end + (*end == '*');
		if (*s == ',')
			s++;
	}
	return true;
}

/*
 * The parcel with @label whose ACL names @vmid: 0, or -ENOENT. VM ids are reused, so if a
 * parcel of an earlier VM was left behind, the newest (highest handle) is taken.
 */
static inline int gh_sim_find_parcel(unsigned int vmid, unsigned int label,
				     struct gh_sim_parcel *out)
{
	struct gh_sim_parcel p;
	char line[512];
	unsigned int i;
	int ret = -ENOENT;
	FILE *f;

	f = fopen(GH_SIM_DIR "/parcels", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!gh_sim_parse_parcel(line, &p) || p.label != label)
			continue;
		for (i = 0; i < p.n_acl; i++) {
			if (p.acl_vmid[i] == vmid && (ret || p.handle > out->handle)) {
				*out = p;
				ret = 0;
				break;
			}
		}
	}
	fclose(f);
	return ret;
}

/* ---- fail_function ---- */

static inline bool gh_fei_available(void)
{
	return access(GH_FEI_DIR "/inject", W_OK) == 0;
}

static inline void gh_fei_disarm(const char *func)
{
	gh_write_file(GH_FEI_DIR "/times", "0");
	gh_write_file(GH_FEI_DIR "/space", "0");
	gh_write_file(GH_FEI_DIR "/inject", "!%s", func);
}

/* Remove every injection point */
static inline void gh_fei_clear(void)
{
	if (!gh_fei_available())
		return;
	gh_write_file(GH_FEI_DIR "/times", "0");
	gh_write_file(GH_FEI_DIR "/space", "0");
	gh_write_file(GH_FEI_DIR "/inject", " ");
}

/**
 * gh_fei_arm_skip() - let @skip calls of @func through, then make @times calls return @retval
 * @func: a function with ALLOW_ERROR_INJECTION
 * @retval: a negative errno
 * @times: how many calls fail (-1: every call)
 * @skip: how many calls succeed first (the fault attribute's space, which each call uses 1 of)
 *
 * Return: 0, or the errno of the debugfs write that failed (everything undone).
 */
static inline int gh_fei_arm_skip(const char *func, long retval, int times, int skip)
{
	char path[256];
	int ret;

	/* No injection while the attributes are half set */
	gh_write_file(GH_FEI_DIR "/times", "0");
	ret = gh_write_file(GH_FEI_DIR "/inject", "%s", func);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), GH_FEI_DIR "/%s/retval", func);
	ret = gh_write_file(path, "%#llx", (unsigned long long)(long long)retval);
	if (!ret)
		ret = gh_write_file(GH_FEI_DIR "/probability", "100");
	if (!ret)
		ret = gh_write_file(GH_FEI_DIR "/interval", "1");
	/* One line per injection, no stack dump */
	gh_write_file(GH_FEI_DIR "/verbose", "1");
	/* A call fails once the space left is not larger than its size, 1 */
	if (!ret)
		ret = gh_write_file(GH_FEI_DIR "/space", "%d", skip ? skip + 1 : 0);
	if (!ret)
		ret = gh_write_file(GH_FEI_DIR "/times", "%d", times);
	if (ret)
		gh_fei_disarm(func);
	return ret;
}

/* gh_fei_arm_skip() without calls let through: the next @times calls fail */
static inline int gh_fei_arm(const char *func, long retval, int times)
{
	return gh_fei_arm_skip(func, retval, times, 0);
}

/* ---- process accounting ---- */

/* VmLck of this process in kB (pages charged with account_locked_vm()), or -1 */
static inline long long gh_vmlck_kb(void)
{
	char line[256];
	long long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static inline long long gh_vmstat(const char *name)
{
	char line[128], key[64];
	long long val, ret = -1;
	FILE *f;

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", key, &val) == 2 && !strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Pages pinned with FOLL_PIN system-wide and not released yet (nr_foll_pin_acquired -
 * nr_foll_pin_released), or LLONG_MIN if the kernel does not count them. The per-CPU deltas are
 * folded first (vm.stat_refresh), so the difference is exact.
 */
static inline long long gh_pins_outstanding(void)
{
	long long acquired, released;

	gh_write_file("/proc/sys/vm/stat_refresh", "1");
	acquired = gh_vmstat("nr_foll_pin_acquired");
	released = gh_vmstat("nr_foll_pin_released");
	if (acquired < 0 || released < 0)
		return LLONG_MIN;
	return acquired - released;
}

/* Everything a VM charges or holds that its destruction must give back */
struct gh_snapshot {
	long long vmids_live;
	long long parcels_live;
	long long pages_shared;
	long long vmlck_kb;
	long long pins;
};

static inline void gh_snapshot_take(struct gh_snapshot *s)
{
	s->vmids_live = gh_sim_counter("vmids_live");
	s->parcels_live = gh_sim_counter("parcels_live");
	s->pages_shared = gh_sim_counter("pages_shared");
	s->vmlck_kb = gh_vmlck_kb();
	s->pins = gh_pins_outstanding();
}

static inline bool gh_snapshot_equal(const struct gh_snapshot *a, const struct gh_snapshot *b,
				     bool with_vmlck)
{
	return a->vmids_live == b->vmids_live && a->parcels_live == b->parcels_live &&
	       a->pages_shared == b->pages_shared && a->pins == b->pins &&
	       (!with_vmlck || a->vmlck_kb == b->vmlck_kb);
}

/*
 * Poll until the state equals @want (VmLck included if @with_vmlck: only the VM creator's
 * process can compare it), or GH_SETTLE_MS pass. @got gets the last state seen.
 */
static inline bool gh_snapshot_wait(const struct gh_snapshot *want, struct gh_snapshot *got,
				    bool with_vmlck)
{
	long long deadline = gh_now_ms() + GH_SETTLE_MS;

	for (;;) {
		gh_snapshot_take(got);
		if (gh_snapshot_equal(want, got, with_vmlck))
			return true;
		if (gh_now_ms() > deadline)
			return false;
		gh_sleep_ms(20);
	}
}

/* Poll until a simulator counter reaches @value; returns the last value read */
static inline long long gh_sim_counter_wait(const char *name, long long value)
{
	long long deadline = gh_now_ms() + GH_SETTLE_MS, v;

	for (;;) {
		v = gh_sim_counter(name);
		if (v == value || gh_now_ms() > deadline)
			return v;
		gh_sleep_ms(20);
	}
}

/* ---- capabilities, physical layout ---- */

/* Drop @cap from this process's effective, permitted and inheritable sets */
static inline int gh_drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	__u32 bit = 1U << (cap % 32);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~bit;
	data[cap / 32].permitted &= ~bit;
	data[cap / 32].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	return (data[cap / 32].effective & bit) ? -EPERM : 0;
}

/*
 * Fault in @npages pages of @mem from the last to the first, each followed by a page of
 * @filler: consecutive pages of @mem then get physical pages that are not consecutive, so the
 * driver cannot coalesce them into fewer memory entries.
 */
static inline void gh_fault_scattered(char *mem, char *filler, size_t npages)
{
	size_t ps = gh_page_size(), i;

	madvise(mem, npages * ps, MADV_NOHUGEPAGE);
	madvise(filler, npages * ps, MADV_NOHUGEPAGE);
	for (i = npages; i-- > 0;) {
		mem[i * ps] = (char)i;
		filler[i * ps] = (char)i;
	}
}

/*
 * Number of runs of physically contiguous pages in [@mem, @mem + @npages pages), as the driver
 * coalesces them into memory entries; -1 if /proc/self/pagemap does not show the frames.
 */
static inline long gh_count_phys_runs(const void *mem, size_t npages)
{
	size_t ps = gh_page_size(), i;
	__u64 *e, pfn, prev = 0;
	long runs = 0;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	e = calloc(npages, sizeof(*e));
	if (!e) {
		close(fd);
		return -1;
	}
	n = pread(fd, e, npages * sizeof(*e), (off_t)((uintptr_t)mem / ps * sizeof(*e)));
	close(fd);
	if (n != (ssize_t)(npages * sizeof(*e)))
		runs = -1;
	for (i = 0; runs >= 0 && i < npages; i++) {
		pfn = e[i] & ((1ULL << 55) - 1);
		if (!(e[i] >> 63) || !pfn) {
			runs = -1;
			break;
		}
		if (!i || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	free(e);
	return runs;
}

/* The size in the header of the DTB at @dtb */
static inline size_t gh_dtb_size(const void *dtb)
{
	__u32 be;

	memcpy(&be, (const char *)dtb + 4, sizeof(be));
	return be32toh(be);
}

/*
 * Check that the state is back to @before (VmLck too if @with_vmlck), waiting up to
 * GH_SETTLE_MS; reports each value that is not.
 */
static inline void gh_expect_released(struct __test_metadata *_metadata,
				      const struct gh_snapshot *before, bool with_vmlck)
{
	struct gh_snapshot now;

	if (gh_snapshot_wait(before, &now, with_vmlck))
		return;
	EXPECT_EQ(before->vmids_live, now.vmids_live);
	EXPECT_EQ(before->parcels_live, now.parcels_live);
	EXPECT_EQ(before->pages_shared, now.pages_shared);
	EXPECT_EQ(before->pins, now.pins);
	if (with_vmlck)
		EXPECT_EQ(before->vmlck_kb, now.vmlck_kb);
}

#endif /* _GUNYAH_TEST_UTIL_H */
