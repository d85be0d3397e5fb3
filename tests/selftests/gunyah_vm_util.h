/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers to run simulated guests through the Gunyah VM manager, shared by the function
 * selftests (functions_test.c) and the sample VMM (tests/vmm/gunyah-demo.c): a VM with one
 * memory region that holds the VM config DTB and the guest program, an assembler for the
 * simulator's guest programs (<gunyah/sim_guest.h>), vCPUs with their run page and a run loop,
 * irqfds, ioeventfds, and a watchdog so that a hang fails instead of blocking.
 *
 * Guest layout: one region (label 0, RWX, shared) at GHV_BASE, which is also the VM config's
 * base-address, so guest address GHV_BASE + X is byte X of the region:
 *
 *   GHV_BASE + GHV_DTB_OFF	the VM config DTB (at most GHV_DTB_MAX bytes)
 *   GHV_BASE + GHV_PROG_OFF	the guest program header, the boot PC (boot context)
 *
 * Header only, every helper static inline. Helpers return 0 (or a count, or an fd) on success
 * and a negative errno on failure; they never abort, the caller decides what a failure means.
 * Self-contained (the demo is no kselftest program): it may be included with or without
 * kselftest_harness.h and gunyah_test_util.h, whose names it does not reuse.
 */
#ifndef _GUNYAH_VM_UTIL_H
#define _GUNYAH_VM_UTIL_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/gunyah.h>
#include <gunyah/sim_guest.h>

#include "../lib/gunyah_fdt.h"

#define GHV_DEV_PATH		"/dev/gunyah"
#define GHV_SIM_DIR		"/sys/kernel/debug/gunyah_sim"

#define GHV_BASE		0x80000000ULL
#define GHV_DTB_OFF		0x1000UL
#define GHV_DTB_MAX		0x1000UL
#define GHV_PROG_OFF		0x2000UL
#define GHV_PROG_GPA		(GHV_BASE + GHV_PROG_OFF)
#define GHV_MEM_SIZE		0x10000UL

/* MMIO addresses, outside guest memory */
#define GHV_DEV_ADDR		0x10000000ULL	/* registers the VMM emulates */
#define GHV_IOEV_ADDR		0x10001000ULL	/* for ioeventfds */
#define GHV_ACK_ADDR		0x10002000ULL	/* the guest reports progress here */

#define GHV_RWX			(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE | \
				 GUNYAH_MEM_ALLOW_EXEC)

/* A loop count the tests never reach: the guest loops until it is stopped */
#define GHV_FOREVER		0x10000000000ULL

static inline void ghv_ignore(ssize_t r)
{
	(void)r;
}

static inline long long ghv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline long long ghv_now_ms(void)
{
	return ghv_now_us() / 1000;
}

static inline void ghv_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline bool ghv_have_dev(void)
{
	return access(GHV_DEV_PATH, F_OK) == 0;
}

/* ---- the simulator's debugfs files ---- */

/* A counter of GHV_SIM_DIR/counters ("name value" lines), or -1 without the simulator */
static inline long long ghv_sim_counter(const char *name)
{
	char line[128], key[64];
	long long val, ret = -1;
	FILE *f = fopen(GHV_SIM_DIR "/counters", "re");

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

/* Poll a counter for up to 10 s until it equals @value; returns the last value read */
static inline long long ghv_sim_counter_wait(const char *name, long long value)
{
	long long deadline = ghv_now_ms() + 10000, v;

	for (;;) {
		v = ghv_sim_counter(name);
		if (v == value || ghv_now_ms() > deadline)
			return v;
		ghv_sleep_ms(20);
	}
}

/* The VM ids in GHV_SIM_DIR/vms ("vmid=N ..." lines); returns how many, at most @max */
static inline int ghv_sim_vmids(unsigned int *ids, int max)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(GHV_SIM_DIR "/vms", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "vmid=%u", &ids[n]) == 1)
			n++;
	fclose(f);
	return n;
}

/* ---- watchdog ---- */

static inline char *ghv_watchdog_msg(void)
{
	static char msg[160];

	return msg;
}

static inline void ghv_watchdog_fire(int sig)
{
	const char *msg = ghv_watchdog_msg();

	ghv_ignore(write(STDERR_FILENO, msg, strlen(msg)));
	_exit(1);	/* KSFT_FAIL, and a failure for the demo */
}

/*
 * End the process with status 1 (a kselftest failure) and a message naming @what if it still
 * runs after @secs: a driver call that never returns fails instead of blocking the guest.
 */
static inline void ghv_watchdog_arm(unsigned int secs, const char *what)
{
	struct sigaction sa = { .sa_handler = ghv_watchdog_fire };

	snprintf(ghv_watchdog_msg(), 160, "# watchdog: %s still running after %u s: hang\n",
		 what, secs);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/* ---- guest programs ---- */

/**
 * struct ghv_prog - a guest program being written into guest memory
 * @hdr: the header, at the entry point
 * @insn: the instructions, right after the header
 * @cap: instructions that fit
 * @n: instructions written
 * @start: index of the current entry's first instruction
 * @n_entries: entries started
 * @err: -ENOSPC once something did not fit; sticky
 */
struct ghv_prog {
	struct gunyah_sim_guest_header *hdr;
	struct gunyah_sim_guest_insn *insn;
	unsigned int cap;
	unsigned int n;
	unsigned int start;
	unsigned int n_entries;
	int err;
};

static inline void ghv_prog_init(struct ghv_prog *p, void *buf, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->hdr = buf;
	p->insn = (struct gunyah_sim_guest_insn *)((char *)buf + sizeof(*p->hdr));
	if (size < sizeof(*p->hdr)) {
		p->err = -ENOSPC;
		return;
	}
	p->cap = (size - sizeof(*p->hdr)) / sizeof(*p->insn);
	memset(buf, 0, sizeof(*p->hdr));
	p->hdr->magic = htole32(GUNYAH_SIM_GUEST_MAGIC);
	p->hdr->version = htole32(GUNYAH_SIM_GUEST_VERSION);
}

/*
 * Start the next entry: the instructions that follow belong to vCPU n_entries (and to every
 * vCPU above it, if it is the last entry). Returns the entry's number.
 */
static inline unsigned int ghv_prog_entry(struct ghv_prog *p)
{
	if (p->n_entries >= GUNYAH_SIM_GUEST_MAX_ENTRIES) {
		p->err = -ENOSPC;
		return p->n_entries;
	}
	p->start = p->n;
	p->hdr->entry[p->n_entries] = htole32(sizeof(*p->hdr) + p->n * sizeof(*p->insn));
	p->hdr->n_entries = htole32(++p->n_entries);
	return p->n_entries - 1;
}

/* Index, within the current entry, of the next instruction (a LOOP target) */
static inline unsigned int ghv_here(const struct ghv_prog *p)
{
	return p->n - p->start;
}

static inline unsigned int ghv_emit(struct ghv_prog *p, __u32 op, __u32 len, __u64 addr,
				    __u64 value, __u64 arg)
{
	struct gunyah_sim_guest_insn *insn;

	if (!p->n_entries)
		ghv_prog_entry(p);
	if (p->n >= p->cap) {
		p->err = -ENOSPC;
		return ghv_here(p);
	}
	insn = &p->insn[p->n++];
	insn->op = htole32(op);
	insn->len = htole32(len);
	insn->addr = htole64(addr);
	insn->value = htole64(value);
	insn->arg = htole64(arg);
	return p->n - 1 - p->start;
}

static inline void ghv_mmio_write(struct ghv_prog *p, __u64 addr, __u32 len, __u64 value)
{
	ghv_emit(p, GUNYAH_SIM_OP_MMIO_WRITE, len, addr, value, 0);
}

/* A read whose value the guest checks: another value makes the guest crash */
static inline void ghv_mmio_read_check(struct ghv_prog *p, __u64 addr, __u32 len, __u64 expect)
{
	ghv_emit(p, GUNYAH_SIM_OP_MMIO_READ, len, addr, expect, GUNYAH_SIM_MMIO_READ_CHECK);
}

static inline void ghv_mmio_read(struct ghv_prog *p, __u64 addr, __u32 len)
{
	ghv_emit(p, GUNYAH_SIM_OP_MMIO_READ, len, addr, 0, 0);
}

static inline void ghv_wait_bell(struct ghv_prog *p, __u32 label)
{
	ghv_emit(p, GUNYAH_SIM_OP_WAIT_BELL, 0, 0, 0, label);
}

/* Jump back to @target @jumps times: the instructions from @target run @jumps + 1 times */
static inline void ghv_loop(struct ghv_prog *p, unsigned int target, __u64 jumps)
{
	ghv_emit(p, GUNYAH_SIM_OP_LOOP, 0, 0, target, jumps);
}

/* The VM exits with @type and a reason of @len bytes (4 or 8): @reason, little-endian */
static inline void ghv_power_off(struct ghv_prog *p, __u16 type, __u64 reason, __u32 len)
{
	ghv_emit(p, GUNYAH_SIM_OP_POWER_OFF, len, 0, type, reason);
}

static inline void ghv_crash(struct ghv_prog *p, __u64 code)
{
	ghv_emit(p, GUNYAH_SIM_OP_CRASH, 0, 0, code, 0);
}

static inline void ghv_yield(struct ghv_prog *p)
{
	ghv_emit(p, GUNYAH_SIM_OP_YIELD, 0, 0, 0, 0);
}

/* ---- the VM ---- */

/**
 * ghv_build_config() - write a VM config DTB
 * @buf: destination
 * @cap: its size
 * @n_vcpus: /cpus/cpu@N nodes
 * @labels: doorbell labels, one /qcom,vm-config/vdevices/bell-N node each
 * @n_bells: how many
 * @base: /qcom,vm-config/memory base-address
 *
 * Return: the DTB's size, or 0 if it does not fit.
 */
static inline size_t ghv_build_config(void *buf, size_t cap, unsigned int n_vcpus,
				      const __u32 *labels, unsigned int n_bells, __u64 base)
{
	struct gunyah_fdt f;

	return gunyah_fdt_vm_config(&f, buf, cap, n_vcpus, labels, n_bells, base);
}

/**
 * struct ghv_vm - a VM and its memory
 * @devfd: /dev/gunyah
 * @vmfd: the VM fd, -1 once closed
 * @vmid: the VM id the simulated RM gave it, 0 if unknown
 * @mem: the guest memory region (anonymous, label 0, RWX)
 * @mem_size: its size
 * @dtb_size: size of the VM config DTB, once written
 * @prog: the guest program, at GHV_PROG_OFF
 */
struct ghv_vm {
	int devfd;
	int vmfd;
	unsigned int vmid;
	void *mem;
	size_t mem_size;
	size_t dtb_size;
	struct ghv_prog prog;
};

/* A VM not created yet: ghv_vm_destroy() does nothing */
static inline void ghv_vm_init(struct ghv_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->devfd = -1;
	vm->vmfd = -1;
}

static inline int ghv_open_dev(void)
{
	int fd = open(GHV_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * GUNYAH_CREATE_VM: the VM fd or -errno. @vmid gets the VM id the simulated RM gave it (the
 * one id that was not there before; programs run one at a time), or 0 if it cannot be told.
 */
static inline int ghv_create_vm(int devfd, unsigned int *vmid)
{
	unsigned int before[64], after[64];
	int nb, na, i, j, fd;

	*vmid = 0;
	nb = ghv_sim_vmids(before, 64);
	fd = ioctl(devfd, GUNYAH_CREATE_VM, 0UL);
	if (fd < 0)
		return -errno;
	na = ghv_sim_vmids(after, 64);
	for (i = 0; i < na && !*vmid; i++) {
		for (j = 0; j < nb && before[j] != after[i]; j++)
			;
		if (j == nb)
			*vmid = after[i];
	}
	return fd;
}

/* Anonymous private read-write memory, or NULL */
static inline void *ghv_mmap_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Fault in the @npages pages of @mem (@page_size bytes each) in a random order (xorshift64 and
 * Fisher-Yates, the same order every time): the page allocator then hands out pages that are
 * next to never physically contiguous with their neighbours, about one memory entry per page.
 * Returns 0 or -ENOMEM.
 */
static inline int ghv_touch_shuffled(char *mem, size_t npages, size_t page_size)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;
	size_t i, j;
	__u32 *order, tmp;

	if (!npages)
		return 0;
	order = malloc(npages * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		order[i] = i;
	for (i = npages - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < npages; i++)
		mem[(size_t)order[i] * page_size] = 1;
	free(order);
	return 0;
}

static inline int ghv_set_mem(int vmfd, __u32 label, __u32 flags, __u64 gpa, __u64 size,
			      const void *uaddr)
{
	struct gunyah_userspace_memory_region region = {
		.label = label,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (__u64)(uintptr_t)uaddr,
	};

	return ioctl(vmfd, GUNYAH_VM_SET_USER_MEM_REGION, &region) ? -errno : 0;
}

static inline int ghv_set_dtb(int vmfd, __u64 gpa, __u64 size)
{
	struct gunyah_vm_dtb_config dtb = { .guest_phys_addr = gpa, .size = size };

	return ioctl(vmfd, GUNYAH_VM_SET_DTB_CONFIG, &dtb) ? -errno : 0;
}

static inline int ghv_set_boot_pc(int vmfd, __u64 pc)
{
	struct gunyah_vm_boot_context ctx = {
		.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0),
		.value = pc,
	};

	return ioctl(vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, &ctx) ? -errno : 0;
}

/* Open /dev/gunyah, create a VM and give it @mem_size bytes of memory at GHV_BASE */
static inline int ghv_vm_create(struct ghv_vm *vm, size_t mem_size)
{
	int ret;

	ghv_vm_init(vm);
	vm->devfd = ghv_open_dev();
	if (vm->devfd < 0)
		return vm->devfd;
	ret = ghv_create_vm(vm->devfd, &vm->vmid);
	if (ret < 0)
		return ret;
	vm->vmfd = ret;
	vm->mem = ghv_mmap_anon(mem_size);
	if (!vm->mem)
		return -ENOMEM;
	vm->mem_size = mem_size;
	ret = ghv_set_mem(vm->vmfd, 0, GHV_RWX, GHV_BASE, mem_size, vm->mem);
	if (ret)
		return ret;
	ghv_prog_init(&vm->prog, (char *)vm->mem + GHV_PROG_OFF, mem_size - GHV_PROG_OFF);
	return 0;
}

/*
 * Write the VM config (@n_vcpus vCPUs, doorbells @labels), tell the VM where it is, and make
 * the guest program's header the boot PC.
 */
static inline int ghv_vm_configure(struct ghv_vm *vm, unsigned int n_vcpus, const __u32 *labels,
				   unsigned int n_bells)
{
	int ret;

	vm->dtb_size = ghv_build_config((char *)vm->mem + GHV_DTB_OFF, GHV_DTB_MAX, n_vcpus,
					labels, n_bells, GHV_BASE);
	if (!vm->dtb_size)
		return -ENOSPC;
	ret = ghv_set_dtb(vm->vmfd, GHV_BASE + GHV_DTB_OFF, vm->dtb_size);
	return ret ? ret : ghv_set_boot_pc(vm->vmfd, GHV_PROG_GPA);
}

static inline int ghv_vm_start(struct ghv_vm *vm)
{
	return ioctl(vm->vmfd, GUNYAH_VM_START) ? -errno : 0;
}

static inline void ghv_vm_close_fd(struct ghv_vm *vm)
{
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	vm->vmfd = -1;
}

/* Close the VM fd and /dev/gunyah and unmap the memory (vCPU fds keep the VM alive) */
static inline void ghv_vm_destroy(struct ghv_vm *vm)
{
	ghv_vm_close_fd(vm);
	if (vm->devfd >= 0)
		close(vm->devfd);
	vm->devfd = -1;
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	vm->mem = NULL;
}

/* ---- functions ---- */

/* GUNYAH_VM_ADD_FUNCTION or GUNYAH_VM_REMOVE_FUNCTION: the ioctl's result, or -errno */
static inline int ghv_fn(int vmfd, bool add, __u32 type, const void *arg, __u32 size)
{
	struct gunyah_fn_desc desc = {
		.type = type,
		.arg_size = size,
		.arg = (__u64)(uintptr_t)arg,
	};
	int ret;

	ret = ioctl(vmfd, add ? GUNYAH_VM_ADD_FUNCTION : GUNYAH_VM_REMOVE_FUNCTION, &desc);
	return ret < 0 ? -errno : ret;
}

static inline int ghv_irqfd(int vmfd, bool add, int fd, __u32 label, __u32 flags)
{
	struct gunyah_fn_irqfd_arg arg = { .fd = fd, .label = label, .flags = flags };

	return ghv_fn(vmfd, add, GUNYAH_FN_IRQFD, &arg, sizeof(arg));
}

static inline int ghv_ioeventfd(int vmfd, bool add, int fd, __u64 addr, __u32 len, __u32 flags,
				__u64 datamatch)
{
	struct gunyah_fn_ioeventfd_arg arg = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = flags,
	};

	return ghv_fn(vmfd, add, GUNYAH_FN_IOEVENTFD, &arg, sizeof(arg));
}

/* A non-blocking eventfd, or -errno */
static inline int ghv_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

static inline int ghv_eventfd_signal(int fd)
{
	__u64 one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Read and reset the counter: its value, 0 if it was 0, or -errno */
static inline long long ghv_eventfd_take(int fd)
{
	__u64 val;
	ssize_t n = read(fd, &val, sizeof(val));

	if (n == sizeof(val))
		return (long long)val;
	if (n < 0 && errno == EAGAIN)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* ---- vCPUs ---- */

#define GHV_LOG_MAX	64

/* One MMIO exit the run loop saw */
struct ghv_exit {
	__u64 addr;
	__u64 data;	/* the value written, or the value the VMM answered a read with */
	__u32 len;
	__u8 is_write;
};

struct ghv_vcpu;

/*
 * An MMIO handler: fills mmio->data for a read (mmio->resume_action is preset to HANDLED).
 * Returns 0 to run the guest on, anything else to end the run loop with that value.
 */
typedef int (*ghv_mmio_fn)(struct ghv_vcpu *v, struct gunyah_vcpu_mmio_exit *mmio);

/**
 * struct ghv_vcpu - a vCPU fd, its run page and what its run loop saw
 * @fd: the vCPU fd, -1 if none
 * @id: the vCPU's id
 * @run: the run page
 * @run_size: its mapped size (GUNYAH_VCPU_MMAP_SIZE)
 * @mmio: MMIO handler; NULL ignores writes and answers reads with 0
 * @priv: for @mmio
 * @n_mmio: MMIO exits seen (all of them; @log keeps the first GHV_LOG_MAX)
 * @log: the MMIO exits, in order, with the value answered to reads
 * @result: what ghv_vcpu_loop() returned
 * @status: GUNYAH_VM_STATUS_* of the STATUS exit that ended the loop
 * @exit_info: its exit information
 * @thread: the thread running the loop, if @joinable
 * @joinable: @thread was started and not joined yet
 * @tid: the thread's id, once it runs (atomic)
 * @done: the thread's loop has returned (atomic)
 */
struct ghv_vcpu {
	int fd;
	__u32 id;
	struct gunyah_vcpu_run *run;
	size_t run_size;
	ghv_mmio_fn mmio;
	void *priv;
	unsigned int n_mmio;
	struct ghv_exit log[GHV_LOG_MAX];
	int result;
	__u32 status;
	struct gunyah_vm_exit_info exit_info;
	pthread_t thread;
	bool joinable;
	int tid;
	int done;
};

static inline void ghv_vcpu_init(struct ghv_vcpu *v)
{
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

/* Add vCPU @id to the VM and map its run page */
static inline int ghv_vcpu_add(int vmfd, __u32 id, struct ghv_vcpu *v)
{
	struct gunyah_fn_vcpu_arg arg = { .id = id };
	int ret, size;
	void *run;

	ghv_vcpu_init(v);
	v->id = id;
	ret = ghv_fn(vmfd, true, GUNYAH_FN_VCPU, &arg, sizeof(arg));
	if (ret < 0)
		return ret;
	v->fd = ret;
	size = ioctl(v->fd, GUNYAH_VCPU_MMAP_SIZE);
	if (size < 0)
		return -errno;
	if ((size_t)size < sizeof(*v->run))
		return -EINVAL;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return -errno;
	v->run = run;
	v->run_size = size;
	return 0;
}

static inline void ghv_vcpu_close(struct ghv_vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

/* GUNYAH_VCPU_RUN once: 0 or -errno */
static inline int ghv_vcpu_run(struct ghv_vcpu *v)
{
	return ioctl(v->fd, GUNYAH_VCPU_RUN) ? -errno : 0;
}

/* The value of an MMIO access: data[0..len), little-endian (the simulated guest's order) */
static inline __u64 ghv_mmio_value(const struct gunyah_vcpu_mmio_exit *mmio)
{
	unsigned int i, len = mmio->len > 8 ? 8 : mmio->len;
	__u64 val = 0;

	for (i = 0; i < len; i++)
		val |= (__u64)mmio->data[i] << (8 * i);
	return val;
}

static inline void ghv_mmio_set_value(struct gunyah_vcpu_mmio_exit *mmio, __u64 val)
{
	unsigned int i;

	for (i = 0; i < sizeof(mmio->data); i++)
		mmio->data[i] = i < mmio->len ? (__u8)(val >> (8 * i)) : 0;
}

/**
 * ghv_vcpu_loop() - run the vCPU until the VM stops or something else ends the loop
 * @v: the vCPU
 *
 * MMIO exits go to @v->mmio and are logged; other exits end the loop.
 *
 * Return: 0 after a STATUS exit (@v->status and @v->exit_info say which); -errno if
 * GUNYAH_VCPU_RUN failed (-EINTR when interrupted); -EPROTO for an unknown exit reason;
 * or the non-zero value the MMIO handler returned.
 */
static inline int ghv_vcpu_loop(struct ghv_vcpu *v)
{
	struct gunyah_vcpu_mmio_exit *mmio = &v->run->mmio;
	struct ghv_exit *log;
	int ret;

	for (;;) {
		ret = ghv_vcpu_run(v);
		if (ret)
			return ret;
		switch (v->run->exit_reason) {
		case GUNYAH_VCPU_EXIT_MMIO:
			mmio->resume_action = GUNYAH_VCPU_RESUME_HANDLED;
			ret = 0;
			if (v->mmio)
				ret = v->mmio(v, mmio);
			else if (!mmio->is_write)
				ghv_mmio_set_value(mmio, 0);
			if (v->n_mmio < GHV_LOG_MAX) {
				log = &v->log[v->n_mmio];
				log->addr = mmio->phys_addr;
				log->len = mmio->len;
				log->is_write = mmio->is_write;
				log->data = ghv_mmio_value(mmio);
			}
			v->n_mmio++;
			if (ret)
				return ret;
			break;
		case GUNYAH_VCPU_EXIT_STATUS:
			v->status = v->run->status.status;
			v->exit_info = v->run->status.exit_info;
			return 0;
		default:
			return -EPROTO;
		}
	}
}

static inline void ghv_kick_handler(int sig)
{
}

/* SIGUSR1 interrupts GUNYAH_VCPU_RUN: a no-op handler, installed without SA_RESTART */
static inline void ghv_kick_signal_init(void)
{
	struct sigaction sa = { .sa_handler = ghv_kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static inline void *ghv_vcpu_thread(void *arg)
{
	struct ghv_vcpu *v = arg;

	__atomic_store_n(&v->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	v->result = ghv_vcpu_loop(v);
	__atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Run ghv_vcpu_loop() in a new thread */
static inline int ghv_vcpu_start(struct ghv_vcpu *v)
{
	int ret;

	ghv_kick_signal_init();
	v->tid = 0;
	v->done = 0;
	ret = pthread_create(&v->thread, NULL, ghv_vcpu_thread, v);
	if (ret)
		return -ret;
	v->joinable = true;
	return 0;
}

static inline bool ghv_vcpu_done(struct ghv_vcpu *v)
{
	return __atomic_load_n(&v->done, __ATOMIC_ACQUIRE);
}

/* Wait up to @timeout_ms for the vCPU thread: 0, or -ETIMEDOUT (the thread still runs) */
static inline int ghv_vcpu_join(struct ghv_vcpu *v, int timeout_ms)
{
	struct timespec ts;
	int ret;

	if (!v->joinable)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	ret = pthread_timedjoin_np(v->thread, NULL, &ts);
	if (ret)
		return -ret;
	v->joinable = false;
	return 0;
}

/*
 * Stop a vCPU thread as a VMM does: set immediate_exit (the next GUNYAH_VCPU_RUN returns
 * EINTR at once) and send SIGUSR1 (interrupts a GUNYAH_VCPU_RUN in progress).
 */
static inline void ghv_vcpu_kick(struct ghv_vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->joinable && !ghv_vcpu_done(v))
		pthread_kill(v->thread, SIGUSR1);
}

/* Is thread @tid of this process asleep in ioctl()? (Only asleep if the kernel cannot say.) */
static inline bool ghv_task_in_ioctl(int tid)
{
	char path[64], buf[512], *p;
	long nr = -1;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 3 || (p[2] != 'S' && p[2] != 'D'))
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr == SYS_ioctl;
}

/*
 * Wait until the vCPU thread sleeps in GUNYAH_VCPU_RUN (the guest waits for a doorbell), seen
 * three times in a row 10 ms apart. Returns false after @timeout_ms or if the loop returned.
 */
static inline bool ghv_vcpu_wait_blocked(struct ghv_vcpu *v, int timeout_ms)
{
	long long deadline = ghv_now_ms() + timeout_ms;
	int stable = 0, tid;

	while (ghv_now_ms() < deadline && !ghv_vcpu_done(v)) {
		tid = __atomic_load_n(&v->tid, __ATOMIC_ACQUIRE);
		if (tid && ghv_task_in_ioctl(tid))
			stable++;
		else
			stable = 0;
		if (stable == 3)
			return true;
		ghv_sleep_ms(10);
	}
	return false;
}

/* Wait up to @timeout_ms until *@counter (atomic) reaches @want; returns its last value */
static inline unsigned int ghv_wait_count(unsigned int *counter, unsigned int want,
					  int timeout_ms)
{
	long long deadline = ghv_now_ms() + timeout_ms;
	unsigned int v;

	for (;;) {
		v = __atomic_load_n(counter, __ATOMIC_ACQUIRE);
		if (v >= want || ghv_now_ms() > deadline)
			return v;
		ghv_sleep_ms(2);
	}
}

/* ---- a register file for MMIO handlers ---- */

#define GHV_REGS_MAX	32

/*
 * Device registers the VMM emulates: a read returns the last value written to the same address
 * (0 if none). @lock protects the rest: vCPU threads share it.
 */
struct ghv_regs {
	pthread_mutex_t lock;
	unsigned int n;
	__u64 addr[GHV_REGS_MAX];
	__u64 val[GHV_REGS_MAX];
};

static inline void ghv_regs_init(struct ghv_regs *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}

/* The register at @addr, created if new; NULL if the file is full */
static inline __u64 *ghv_reg_locked(struct ghv_regs *r, __u64 addr)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->addr[i] == addr)
			return &r->val[i];
	if (r->n == GHV_REGS_MAX)
		return NULL;
	r->addr[r->n] = addr;
	r->val[r->n] = 0;
	return &r->val[r->n++];
}

/* Emulate an MMIO access with the register file: a write stores, a read answers */
static inline void ghv_regs_access(struct ghv_regs *r, struct gunyah_vcpu_mmio_exit *mmio)
{
	__u64 *reg;

	pthread_mutex_lock(&r->lock);
	reg = ghv_reg_locked(r, mmio->phys_addr);
	if (reg && mmio->is_write)
		*reg = ghv_mmio_value(mmio);
	else if (!mmio->is_write)
		ghv_mmio_set_value(mmio, reg ? *reg : 0);
	pthread_mutex_unlock(&r->lock);
}

#endif /* _GUNYAH_VM_UTIL_H */
