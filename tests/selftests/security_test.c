// SPDX-License-Identifier: GPL-2.0
/*
 * Security properties of the Gunyah VM manager:
 *
 * - Only the address space (mm) that created a VM adds memory to it: a forked child and a
 *   thread of it, and a thread of an unrelated process that received the VM fd over a socket,
 *   get EPERM and pin or charge nothing; a thread of the creator, and a clone(CLONE_VM) child
 *   (another process in the same mm), may.
 * - VMs are isolated: REMOVE_FUNCTION on VM B never finds VM A's irqfds, ioeventfds or vCPUs;
 *   VM A's irqfds never ring VM B's doorbells, even with the same label; each VM's guest runs
 *   from its own memory at the same guest address, and the RM's parcels name one VM each.
 * - Nothing of the kernel reaches userspace: the run page is zero when first mapped; after an
 *   MMIO write, MMIO read and STATUS (exited, crashed, load failed) exit every byte is a field
 *   value or zero, bytes the kernel does not own are left as userspace wrote them, and no word
 *   looks like a kernel address; a failed RUN writes nothing; the run page cannot be mapped
 *   bigger, at an offset, privately or executable; ioctl arguments are never written back; return
 *   values are what the uapi says.
 * - Sizes and addresses that wrap (guest_phys_addr + memory_size, userspace_addr + memory_size,
 *   the DTB range, ioeventfd addr + len, arg_size up to 4 GiB) are refused with EINVAL or
 *   EFAULT, and nothing is pinned, charged or shared.
 * - /dev/gunyah is a root-only (0600) character device: a process that dropped to uid 65534
 *   cannot open it (EACCES).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"
#include "gunyah_vm_util.h"
#include "../../rust/samples/gunyah_regbank.h"

#define SEC_PAGES		4
#define SEC_RW			(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE)
#define SEC_GPA_OTHER		(GHV_BASE + 0x1000000ULL)
#define SEC_CANARY		0xa5
#define SEC_UNION_OFF		offsetof(struct gunyah_vcpu_run, mmio)
#define SEC_UNION_SIZE		(sizeof(struct gunyah_vcpu_run) - SEC_UNION_OFF)
/* A word at least this looks like a kernel address */
#define SEC_KERNEL_MIN		0xff00000000000000ULL
#define SEC_BELL_L		5
#define SEC_BELL_M		6
#define SEC_QUIET_MS		300
#define SEC_JOIN_MS		10000
#define SEC_WAIT_MS		5000
#define SEC_NOBODY		65534

FIXTURE(sec) {
	int devfd;
	size_t ps;
	struct gh_snapshot before;
};

FIXTURE_SETUP(sec)
{
	self->devfd = -1;
	self->ps = gh_page_size();
	if (!gh_have_dev())
		SKIP(return, "no %s", GH_DEV_PATH);
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	if (gh_have_sim())
		gh_sim_reset_knobs();
	gh_snapshot_take(&self->before);
}

FIXTURE_TEARDOWN(sec)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

/* ---- only the creator's mm adds memory ---- */

struct sec_mem_arg {
	int vmfd;
	__u32 label;
	__u64 gpa;
	void *mem;
	size_t size;
	int err;
};

static int sec_add_mem(struct sec_mem_arg *a)
{
	return gh_set_mem(a->vmfd, a->label, SEC_RW, a->gpa, a->size, a->mem) ? errno : 0;
}

static void *sec_add_mem_thread(void *data)
{
	struct sec_mem_arg *a = data;

	a->err = sec_add_mem(a);
	return NULL;
}

/*
 * In a process other than the creator: add memory of its own from its main thread and from a
 * new thread. Returns 0 if both got EPERM, else a bit per call that did not.
 */
static int sec_other_mm_tries(int vmfd, size_t size)
{
	struct sec_mem_arg a = { .vmfd = vmfd, .label = 10, .gpa = SEC_GPA_OTHER, .size = size };
	struct sec_mem_arg b;
	pthread_t t;
	int ret = 0;

	a.mem = gh_mmap_anon(size);
	if (!a.mem)
		return 4;
	if (sec_add_mem(&a) != EPERM)
		ret |= 1;
	b = a;
	b.label = 11;
	b.gpa = SEC_GPA_OTHER + 0x100000;
	b.err = -1;
	if (pthread_create(&t, NULL, sec_add_mem_thread, &b) || pthread_join(t, NULL))
		return ret | 8;
	if (b.err != EPERM)
		ret |= 2;
	return ret;
}

static int sec_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	char byte = 'v';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int sec_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* An unrelated process (forked before the VM existed): gets the VM fd, reports its tries */
static int sec_helper(int sock, size_t size)
{
	unsigned char result;
	int fd = sec_recv_fd(sock);

	if (fd < 0)
		return 1;
	result = (unsigned char)sec_other_mm_tries(fd, size);
	close(fd);
	return write(sock, &result, 1) == 1 ? 0 : 1;
}

static int sec_clone_fn(void *data)
{
	struct sec_mem_arg *a = data;

	a->err = sec_add_mem(a);
	return 0;
}

TEST_F(sec, mem_only_creator_mm)
{
	size_t size = SEC_PAGES * self->ps, stack_size = 256 * 1024;
	struct sec_mem_arg mine = { .size = size };
	struct gh_snapshot snap;
	unsigned char result = 0xff;
	int sv[2], status, vmfd;
	pid_t helper, pid;
	char *mem, *stack;
	pthread_t t;

	/* The unrelated process exists before the VM: it inherits nothing of it */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		SKIP(return, "no AF_UNIX sockets (CONFIG_UNIX): cannot pass the VM fd");
	helper = fork();
	ASSERT_LE(0, helper);
	if (!helper) {
		close(sv[0]);
		_exit(sec_helper(sv[1], size));
	}
	close(sv[1]);

	vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, vmfd);
	mem = gh_mmap_anon(2 * size);
	ASSERT_TRUE(!!mem);
	gh_snapshot_take(&snap);

	/* A forked child holds the VM fd but has its own mm: EPERM, from any of its threads */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(sec_other_mm_tries(vmfd, size));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("forked child: bits %#x (1 main thread, 2 thread)",
						 WEXITSTATUS(status));

	/* So has a process that received the fd over a socket */
	ASSERT_EQ(0, sec_send_fd(sv[0], vmfd));
	EXPECT_EQ(1, read(sv[0], &result, 1));
	EXPECT_EQ(0, result) TH_LOG("other process: bits %#x (1 main thread, 2 thread)", result);
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(sv[0]);

	/* None of them pinned, charged or shared anything */
	gh_expect_released(_metadata, &snap, true);

	/* A thread of the creator may */
	mine.vmfd = vmfd;
	mine.label = 1;
	mine.gpa = GHV_BASE;
	mine.mem = mem;
	mine.err = -1;
	ASSERT_EQ(0, pthread_create(&t, NULL, sec_add_mem_thread, &mine));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, mine.err);

	/* So may another process in the creator's mm: the rule is the mm, not the process */
	stack = gh_mmap_anon(stack_size);
	ASSERT_TRUE(!!stack);
	mine.label = 2;
	mine.gpa = SEC_GPA_OTHER;
	mine.mem = mem + size;
	mine.err = -1;
	pid = clone(sec_clone_fn, stack + stack_size, CLONE_VM | SIGCHLD, &mine);
	ASSERT_LE(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, mine.err) TH_LOG("clone(CLONE_VM) child: %s", strerror(mine.err));
	munmap(stack, stack_size);

	/* Both regions charged to the creator */
	EXPECT_EQ(snap.vmlck_kb + (long long)(2 * size / 1024), gh_vmlck_kb());
	close(vmfd);
	gh_expect_released(_metadata, &self->before, true);
	munmap(mem, 2 * size);
}

/* ---- one VM cannot reach another's functions, doorbells or memory ---- */

TEST_F(sec, cross_vm_functions)
{
	struct gunyah_regbank_arg bank = { .base = GHV_DEV_ADDR + 0x800, .n_regs = 2 };
	struct gunyah_fn_check check = { .type = GUNYAH_FN_REGBANK };
	struct gunyah_fn_vcpu_arg vcpu = { .id = 0 };
	int a, b, efd, vcpu_a, vcpu_b;

	a = gh_create_vm(self->devfd);
	b = gh_create_vm(self->devfd);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	efd = ghv_eventfd();
	ASSERT_LE(0, efd);

	/* irqfds: B finds nothing of A's label, and may have its own */
	ASSERT_EQ(0, ghv_irqfd(a, true, efd, SEC_BELL_L, 0));
	EXPECT_EQ(-ENOENT, ghv_irqfd(b, false, efd, SEC_BELL_L, 0));
	EXPECT_EQ(0, ghv_irqfd(b, true, efd, SEC_BELL_L, 0));
	EXPECT_EQ(0, ghv_irqfd(b, false, -1, SEC_BELL_L, 0));
	EXPECT_EQ(-ENOENT, ghv_irqfd(b, false, -1, SEC_BELL_L, 0));
	EXPECT_EQ(0, ghv_irqfd(a, false, -1, SEC_BELL_L, 0)) TH_LOG("B removed A's irqfd");

	/* ioeventfds: by address, length and datamatch */
	ASSERT_EQ(0, ghv_ioeventfd(a, true, efd, GHV_IOEV_ADDR, 4, 0, 0));
	ASSERT_EQ(0, ghv_ioeventfd(a, true, efd, GHV_IOEV_ADDR + 8, 4,
				   GUNYAH_IOEVENTFD_FLAGS_DATAMATCH, 7));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(b, false, -1, GHV_IOEV_ADDR, 0, 0, 0));
	EXPECT_EQ(-ENOENT, ghv_ioeventfd(b, false, -1, GHV_IOEV_ADDR + 8, 4,
					 GUNYAH_IOEVENTFD_FLAGS_DATAMATCH, 7));
	EXPECT_EQ(0, ghv_ioeventfd(b, true, efd, GHV_IOEV_ADDR, 4, 0, 0)) TH_LOG("A's collided");
	EXPECT_EQ(0, ghv_ioeventfd(b, false, -1, GHV_IOEV_ADDR, 0, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(a, false, -1, GHV_IOEV_ADDR, 0, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(a, false, -1, GHV_IOEV_ADDR + 8, 0, 0, 0));

	/* vCPUs: ids are per VM */
	vcpu_a = ghv_fn(a, true, GUNYAH_FN_VCPU, &vcpu, sizeof(vcpu));
	ASSERT_LE(0, vcpu_a);
	EXPECT_EQ(-ENOENT, ghv_fn(b, false, GUNYAH_FN_VCPU, &vcpu, sizeof(vcpu)));
	vcpu_b = ghv_fn(b, true, GUNYAH_FN_VCPU, &vcpu, sizeof(vcpu));
	EXPECT_LE(0, vcpu_b);
	EXPECT_EQ(0, ghv_fn(b, false, GUNYAH_FN_VCPU, &vcpu, sizeof(vcpu)));
	EXPECT_EQ(0, ghv_fn(a, false, GUNYAH_FN_VCPU, &vcpu, sizeof(vcpu)));
	if (vcpu_b >= 0)
		close(vcpu_b);
	close(vcpu_a);

	/* A function of another module (the Rust sample), if the kernel has it */
	if (!ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check)) {
		ASSERT_EQ(0, ghv_fn(a, true, GUNYAH_FN_REGBANK, &bank, sizeof(bank)));
		EXPECT_EQ(-ENOENT, ghv_fn(b, false, GUNYAH_FN_REGBANK, &bank, sizeof(bank)));
		EXPECT_EQ(0, ghv_fn(a, false, GUNYAH_FN_REGBANK, &bank, sizeof(bank)));
	}

	close(efd);
	close(a);
	close(b);
	gh_expect_released(_metadata, &self->before, true);
}

/*
 * The parcels @vmid holds (its ACL entry accepted at VM_START): how many, the first in *@p.
 * Parcels that earlier tests leaked on purpose may name a reused vmid, but were never accepted.
 */
static int sec_parcels_of(unsigned int vmid, struct gh_sim_parcel *p)
{
	struct gh_sim_parcel cur;
	char line[512];
	unsigned int i;
	int n = 0;
	FILE *f;

	f = fopen(GH_SIM_DIR "/parcels", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!gh_sim_parse_parcel(line, &cur))
			continue;
		for (i = 0; i < cur.n_acl; i++) {
			if (cur.acl_vmid[i] == vmid && cur.acl_accepted[i]) {
				if (!n++)
					*p = cur;
				break;
			}
		}
	}
	fclose(f);
	return n;
}

/* The one parcel of VM @vmid: its region (label 0), shared with the host only */
static void sec_expect_own_parcel(struct __test_metadata *_metadata, unsigned int vmid,
				  unsigned int other)
{
	struct gh_sim_parcel p;
	unsigned int i;

	ASSERT_EQ(1, sec_parcels_of(vmid, &p)) TH_LOG("parcels of VM %u", vmid);
	EXPECT_EQ(0, p.label);
	EXPECT_EQ(2, p.n_acl);
	for (i = 0; i < p.n_acl; i++) {
		EXPECT_TRUE(p.acl_vmid[i] == vmid || p.acl_vmid[i] == GH_RM_HOST_VMID)
			TH_LOG("the parcel of VM %u names VM %u", vmid, p.acl_vmid[i]);
		EXPECT_NE(other, p.acl_vmid[i]);
	}
	EXPECT_EQ((unsigned long long)GHV_MEM_SIZE, p.bytes);
}

/*
 * VM A (doorbell L) and VM B (doorbells L and M) run at once, from memory at the same guest
 * address. A has irqfds for L and for M (which only B has). Ringing them wakes A's guest and
 * nothing of B's; B's own irqfds then wake B's guests.
 */
TEST_F_TIMEOUT(sec, cross_vm_doorbells_and_memory, 90)
{
	static const __u32 labels_a[] = { SEC_BELL_L };
	static const __u32 labels_b[] = { SEC_BELL_L, SEC_BELL_M };
	struct ghv_vcpu va, vb[2];
	struct ghv_vm a, b;
	long long bells;
	unsigned int i, top;
	int efd[4];

	ghv_vm_init(&a);
	ghv_vm_init(&b);
	ghv_vcpu_init(&va);
	ghv_vcpu_init(&vb[0]);
	ghv_vcpu_init(&vb[1]);
	if (!gh_have_sim())
		SKIP(return, "the guests need the simulator");
	ghv_watchdog_arm(80, "cross_vm_doorbells_and_memory");
	for (i = 0; i < 4; i++) {
		efd[i] = ghv_eventfd();
		ASSERT_LE(0, efd[i]);
	}
	ASSERT_EQ(0, ghv_vm_create(&a, GHV_MEM_SIZE));
	ASSERT_EQ(0, ghv_vm_create(&b, GHV_MEM_SIZE));

	ghv_mmio_write(&a.prog, GHV_DEV_ADDR, 4, 0xa0a0);
	ghv_wait_bell(&a.prog, SEC_BELL_L);
	ghv_mmio_write(&a.prog, GHV_ACK_ADDR, 4, 0xa1);
	ghv_power_off(&a.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 0xa, 4);
	ghv_prog_entry(&b.prog);		/* B's vCPU 0: waits for M */
	ghv_mmio_write(&b.prog, GHV_DEV_ADDR, 4, 0xb0b0);
	ghv_wait_bell(&b.prog, SEC_BELL_M);
	ghv_mmio_write(&b.prog, GHV_ACK_ADDR, 4, 0xb1);
	ghv_power_off(&b.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, 0xb, 4);
	ghv_prog_entry(&b.prog);		/* B's vCPU 1: waits for L, again and again */
	top = ghv_here(&b.prog);
	ghv_wait_bell(&b.prog, SEC_BELL_L);
	ghv_mmio_write(&b.prog, GHV_ACK_ADDR, 4, 0xb2);
	ghv_loop(&b.prog, top, GHV_FOREVER);
	ASSERT_EQ(0, a.prog.err);
	ASSERT_EQ(0, b.prog.err);
	ASSERT_EQ(0, ghv_vm_configure(&a, 1, labels_a, 1));
	ASSERT_EQ(0, ghv_vm_configure(&b, 2, labels_b, 2));
	ASSERT_EQ(0, ghv_vcpu_add(a.vmfd, 0, &va));
	ASSERT_EQ(0, ghv_vcpu_add(b.vmfd, 0, &vb[0]));
	ASSERT_EQ(0, ghv_vcpu_add(b.vmfd, 1, &vb[1]));
	ASSERT_EQ(0, ghv_irqfd(a.vmfd, true, efd[0], SEC_BELL_L, 0));
	ASSERT_EQ(0, ghv_irqfd(a.vmfd, true, efd[1], SEC_BELL_M, 0));
	ASSERT_EQ(0, ghv_vm_start(&a));
	ASSERT_EQ(0, ghv_vm_start(&b));

	/* Each VM's memory is in one parcel, which names that VM and the host only */
	if (a.vmid && b.vmid) {
		sec_expect_own_parcel(_metadata, a.vmid, b.vmid);
		sec_expect_own_parcel(_metadata, b.vmid, a.vmid);
	} else {
		TH_LOG("VM ids unknown: parcels not checked");
	}

	ASSERT_EQ(0, ghv_vcpu_start(&va));
	ASSERT_EQ(0, ghv_vcpu_start(&vb[0]));
	ASSERT_EQ(0, ghv_vcpu_start(&vb[1]));
	EXPECT_TRUE(ghv_vcpu_wait_blocked(&va, SEC_WAIT_MS));
	EXPECT_TRUE(ghv_vcpu_wait_blocked(&vb[0], SEC_WAIT_MS));
	EXPECT_TRUE(ghv_vcpu_wait_blocked(&vb[1], SEC_WAIT_MS));
	/* Same guest address, each VM's own program */
	ASSERT_EQ(1, va.n_mmio);
	EXPECT_EQ(0xa0a0, va.log[0].data);
	ASSERT_EQ(1, vb[0].n_mmio);
	EXPECT_EQ(0xb0b0, vb[0].log[0].data);
	EXPECT_EQ(0, vb[1].n_mmio);

	/* A's irqfd for M: A has no such doorbell, B's M must not ring */
	bells = ghv_sim_counter("bell_sends");
	ASSERT_EQ(0, ghv_eventfd_signal(efd[1]));
	ghv_sleep_ms(SEC_QUIET_MS);
	EXPECT_FALSE(ghv_vcpu_done(&vb[0]));
	EXPECT_EQ(1, __atomic_load_n(&vb[0].n_mmio, __ATOMIC_ACQUIRE)) TH_LOG("A rang B's M");
	EXPECT_EQ(bells, ghv_sim_counter("bell_sends"));

	/* A's irqfd for L wakes A's guest only */
	ASSERT_EQ(0, ghv_eventfd_signal(efd[0]));
	ASSERT_EQ(0, ghv_vcpu_join(&va, SEC_JOIN_MS)) TH_LOG("A's doorbell did not wake A");
	EXPECT_EQ(0, va.result);
	EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, va.status);
	EXPECT_EQ(2, va.n_mmio);
	EXPECT_EQ(bells + 1, ghv_sim_counter("bell_sends"));
	ghv_sleep_ms(SEC_QUIET_MS);
	EXPECT_EQ(0, __atomic_load_n(&vb[1].n_mmio, __ATOMIC_ACQUIRE)) TH_LOG("A rang B's L");
	EXPECT_EQ(1, __atomic_load_n(&vb[0].n_mmio, __ATOMIC_ACQUIRE));
	EXPECT_FALSE(ghv_vcpu_done(&vb[0]));
	EXPECT_FALSE(ghv_vcpu_done(&vb[1]));

	/* B's own irqfds do wake B's guests: the doorbells work */
	ASSERT_EQ(0, ghv_irqfd(b.vmfd, true, efd[2], SEC_BELL_L, 0));
	ASSERT_EQ(0, ghv_eventfd_signal(efd[2]));
	EXPECT_LE(1, ghv_wait_count(&vb[1].n_mmio, 1, SEC_WAIT_MS));
	ASSERT_EQ(0, ghv_irqfd(b.vmfd, true, efd[3], SEC_BELL_M, 0));
	ASSERT_EQ(0, ghv_eventfd_signal(efd[3]));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ghv_vcpu_join(&vb[i], SEC_JOIN_MS)) TH_LOG("B's vCPU %u stuck", i);
		EXPECT_EQ(0, vb[i].result);
		EXPECT_EQ(GUNYAH_VM_STATUS_EXITED, vb[i].status);
	}
	alarm(0);

	ghv_vcpu_close(&va);
	ghv_vcpu_close(&vb[0]);
	ghv_vcpu_close(&vb[1]);
	ghv_vm_destroy(&a);
	ghv_vm_destroy(&b);
	for (i = 0; i < 4; i++)
		close(efd[i]);
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- nothing of the kernel reaches userspace ---- */

/* An 8-byte window anywhere in @buf that looks like a kernel address: its offset, or -1 */
static long sec_kernel_word(const void *buf, size_t size)
{
	const unsigned char *b = buf;
	__u64 v;
	size_t off;

	for (off = 0; off + sizeof(v) <= size; off++) {
		memcpy(&v, b + off, sizeof(v));
		if (v >= SEC_KERNEL_MIN)
			return (long)off;
	}
	return -1;
}

/* The canary everywhere; the fields the kernel reads set to values it accepts */
static void sec_fill(struct gunyah_vcpu_run *run, size_t ps)
{
	memset(run, SEC_CANARY, ps);
	run->immediate_exit = 0;
	run->mmio.resume_action = GUNYAH_VCPU_RESUME_HANDLED;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
}

/*
 * The run page after a RUN. With @image (the SEC_UNION_SIZE bytes of the exit union the kernel
 * must have written) the RUN reported exit @reason: exit_reason and the union must be exactly
 * that. Everything else, and everything when @image is NULL, is not the kernel's to write: it
 * must still be what sec_fill() put there, or zero. No word may look like a kernel address.
 */
static void sec_check_page(struct __test_metadata *_metadata, const struct gunyah_vcpu_run *run,
			   size_t ps, __u32 reason, const unsigned char *image, const char *what)
{
	const size_t reason_off = offsetof(struct gunyah_vcpu_run, exit_reason);
	const unsigned char *b = (const unsigned char *)run;
	size_t off, bad = 0, first = 0;
	unsigned char want;
	long kw;

	for (off = 1; off < ps; off++) {
		if (image && off >= reason_off && off < reason_off + sizeof(run->exit_reason))
			continue;
		if (image && off >= SEC_UNION_OFF && off < SEC_UNION_OFF + SEC_UNION_SIZE) {
			want = image[off - SEC_UNION_OFF];
			if (b[off] == want)
				continue;
		} else if (b[off] == SEC_CANARY || !b[off]) {
			continue;
		}
		if (!bad++)
			first = off;
	}
	EXPECT_EQ(0, b[0]) TH_LOG("%s: immediate_exit changed", what);
	if (image)
		EXPECT_EQ(reason, run->exit_reason) TH_LOG("%s: exit_reason", what);
	EXPECT_EQ(0, bad) TH_LOG("%s: %zu unexpected bytes, the first at offset %zu: %#x", what,
				 bad, first, b[first]);
	kw = sec_kernel_word(run, ps);
	EXPECT_EQ(-1, kw) TH_LOG("%s: a kernel address at offset %ld", what, kw);
}

/* The union of an MMIO exit: the access, its data zero-extended, HANDLED preset, padding 0 */
static void sec_mmio_image(unsigned char *image, __u64 addr, __u32 len, bool is_write,
			   __u64 value)
{
	struct gunyah_vcpu_mmio_exit mmio;
	unsigned int i;

	memset(image, 0, SEC_UNION_SIZE);
	memset(&mmio, 0, sizeof(mmio));
	mmio.phys_addr = addr;
	for (i = 0; i < len && is_write; i++)
		mmio.data[i] = (__u8)(value >> (8 * i));
	mmio.len = len;
	mmio.is_write = is_write;
	mmio.resume_action = GUNYAH_VCPU_RESUME_HANDLED;
	memcpy(image, &mmio, sizeof(mmio));
}

/* The union of a STATUS exit: the status, and for EXITED the type and reason; the rest 0 */
static void sec_status_image(unsigned char *image, __u32 status, __u16 type, __u64 reason,
			     __u32 len)
{
	struct gunyah_vcpu_status_exit st;
	unsigned int i;

	memset(image, 0, SEC_UNION_SIZE);
	memset(&st, 0, sizeof(st));
	st.status = status;
	if (status == GUNYAH_VM_STATUS_EXITED) {
		st.exit_info.type = type;
		st.exit_info.reason_size = len;
		for (i = 0; i < len && i < sizeof(st.exit_info.reason); i++)
			st.exit_info.reason[i] = (__u8)(reason >> (8 * i));
	}
	memcpy(image, &st, sizeof(st));
}

/* RUN with the page filled with the canary; 0 or -errno */
static int sec_run(struct ghv_vcpu *v, size_t ps)
{
	sec_fill(v->run, ps);
	return ghv_vcpu_run(v);
}

/* immediate_exit: EINTR, and not one byte of the page written */
static void sec_check_eintr(struct __test_metadata *_metadata, struct ghv_vcpu *v, size_t ps,
			    unsigned char *copy)
{
	sec_fill(v->run, ps);
	v->run->immediate_exit = 1;
	memcpy(copy, v->run, ps);
	EXPECT_EQ(-EINTR, ghv_vcpu_run(v));
	EXPECT_EQ(0, memcmp(copy, v->run, ps)) TH_LOG("RUN with immediate_exit wrote the page");
	v->run->immediate_exit = 0;
}

#define SEC_REASON	0x0102030405060708ULL

/*
 * MMIO writes of 4, 1 and 8 bytes (the 1-byte one of a value with more bytes set), an MMIO
 * read, a read of an address an ioeventfd takes writes for, a write it takes, then the guest
 * exits: each exit checked byte by byte, the final one twice, and an interrupted RUN before and
 * after.
 */
TEST_F_TIMEOUT(sec, run_page_exits_no_leak, 60)
{
	const __u64 a = GHV_DEV_ADDR;
	unsigned char image[SEC_UNION_SIZE], *copy;
	struct ghv_vcpu v;
	struct ghv_vm vm;
	size_t ps = self->ps;
	long kw;
	int efd;

	ghv_vm_init(&vm);
	ghv_vcpu_init(&v);
	if (!gh_have_sim())
		SKIP(return, "the guest needs the simulator");
	ghv_watchdog_arm(50, "run_page_exits_no_leak");
	copy = malloc(ps);
	ASSERT_TRUE(!!copy);
	efd = ghv_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ghv_vm_create(&vm, GHV_MEM_SIZE));
	ghv_mmio_write(&vm.prog, a, 4, 0x11223344);
	ghv_mmio_write(&vm.prog, a + 8, 1, 0x8877665544332211ULL);
	ghv_mmio_write(&vm.prog, a + 16, 8, 0x0123456789abcdefULL);
	ghv_mmio_read(&vm.prog, a + 24, 2);
	ghv_mmio_read(&vm.prog, GHV_IOEV_ADDR, 8);
	ghv_mmio_write(&vm.prog, GHV_IOEV_ADDR, 8, 5);
	ghv_power_off(&vm.prog, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF, SEC_REASON, 8);
	ASSERT_EQ(0, vm.prog.err);
	ASSERT_EQ(0, ghv_vm_configure(&vm, 1, NULL, 0));
	ASSERT_EQ(0, ghv_vcpu_add(vm.vmfd, 0, &v));
	ASSERT_EQ(0, ghv_ioeventfd(vm.vmfd, true, efd, GHV_IOEV_ADDR, 8, 0, 0));

	/* A new page is zero: nothing of an earlier user of the page */
	memset(copy, 0, ps);
	EXPECT_EQ(0, memcmp(copy, v.run, ps)) TH_LOG("the new run page is not zero");
	kw = sec_kernel_word(v.run, ps);
	EXPECT_EQ(-1, kw);

	sec_check_eintr(_metadata, &v, ps, copy);

	ASSERT_EQ(0, sec_run(&v, ps));
	sec_mmio_image(image, a, 4, true, 0x11223344);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_MMIO, image, "4-byte write");

	ASSERT_EQ(0, sec_run(&v, ps));
	sec_mmio_image(image, a + 8, 1, true, 0x11);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_MMIO, image, "1-byte write");

	ASSERT_EQ(0, sec_run(&v, ps));
	sec_mmio_image(image, a + 16, 8, true, 0x0123456789abcdefULL);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_MMIO, image, "8-byte write");

	ASSERT_EQ(0, sec_run(&v, ps));
	sec_mmio_image(image, a + 24, 2, false, 0);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_MMIO, image, "2-byte read");

	/* An ioeventfd does not take reads: the read exits, with no data */
	ASSERT_EQ(0, sec_run(&v, ps));
	sec_mmio_image(image, GHV_IOEV_ADDR, 8, false, 0);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_MMIO, image, "read at ioeventfd");

	/* The write is the ioeventfd's; then the guest exits */
	ASSERT_EQ(0, sec_run(&v, ps));
	sec_status_image(image, GUNYAH_VM_STATUS_EXITED, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF,
			 SEC_REASON, 8);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_STATUS, image, "exited");
	EXPECT_EQ(1, ghv_eventfd_take(efd));

	/* The exit is final: reported again, the same bytes */
	ASSERT_EQ(0, sec_run(&v, ps));
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_STATUS, image, "exited again");
	sec_check_eintr(_metadata, &v, ps, copy);
	alarm(0);

	ghv_vcpu_close(&v);
	ghv_vm_destroy(&vm);
	close(efd);
	free(copy);
	gh_expect_released(_metadata, &self->before, true);
}

/* CRASHED (a guest fault) and LOAD_FAILED (no VM config): the exit information is all zero */
TEST_F_TIMEOUT(sec, run_page_failures_no_leak, 60)
{
	unsigned char image[SEC_UNION_SIZE];
	struct ghv_vcpu v;
	struct ghv_vm vm;
	size_t ps = self->ps;

	ghv_vm_init(&vm);
	ghv_vcpu_init(&v);
	if (!gh_have_sim())
		SKIP(return, "the guest needs the simulator");
	ghv_watchdog_arm(50, "run_page_failures_no_leak");

	/* A guest that crashes */
	ASSERT_EQ(0, ghv_vm_create(&vm, GHV_MEM_SIZE));
	ghv_crash(&vm.prog, 0xdead);
	ASSERT_EQ(0, ghv_vm_configure(&vm, 1, NULL, 0));
	ASSERT_EQ(0, ghv_vcpu_add(vm.vmfd, 0, &v));
	ASSERT_EQ(0, sec_run(&v, ps));
	sec_status_image(image, GUNYAH_VM_STATUS_CRASHED, 0, 0, 0);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_STATUS, image, "crashed");
	ghv_vcpu_close(&v);
	ghv_vm_destroy(&vm);

	/* A VM without a VM config: the RUN that starts it fails and writes nothing */
	ASSERT_EQ(0, ghv_vm_create(&vm, GHV_MEM_SIZE));
	ASSERT_EQ(0, ghv_vcpu_add(vm.vmfd, 0, &v));
	EXPECT_EQ(-EINVAL, sec_run(&v, ps));
	sec_check_page(_metadata, v.run, ps, 0, NULL, "failed start");
	ASSERT_EQ(0, sec_run(&v, ps));
	sec_status_image(image, GUNYAH_VM_STATUS_LOAD_FAILED, 0, 0, 0);
	sec_check_page(_metadata, v.run, ps, GUNYAH_VCPU_EXIT_STATUS, image, "load failed");
	alarm(0);
	ghv_vcpu_close(&v);
	ghv_vm_destroy(&vm);
	gh_expect_released(_metadata, &self->before, true);
}

/* The run page is one page at offset 0, shared, never executable, never bigger */
TEST_F(sec, run_page_mapping_limits)
{
	struct gunyah_fn_vcpu_arg arg = { .id = 0 };
	size_t ps = self->ps;
	void *p, *q;
	int vmfd, fd;

	vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, vmfd);
	fd = ghv_fn(vmfd, true, GUNYAH_FN_VCPU, &arg, sizeof(arg));
	ASSERT_LE(0, fd);
	EXPECT_EQ((int)ps, ioctl(fd, GUNYAH_VCPU_MMAP_SIZE));

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("two pages mapped");
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, ps);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a page at offset 1 mapped");
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a private mapping");
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("an executable mapping");
	EXPECT_EQ(EPERM, errno);

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, ps, PROT_READ | PROT_EXEC)) TH_LOG("made executable");
	EXPECT_EQ(EACCES, errno);
	q = mremap(p, ps, 2 * ps, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q) TH_LOG("grown to two pages");
	if (q != MAP_FAILED)
		p = q;
	EXPECT_EQ(-1, sec_kernel_word(p, ps));
	munmap(p, q != MAP_FAILED ? 2 * ps : ps);

	close(fd);
	close(vmfd);
	gh_expect_released(_metadata, &self->before, true);
}

/* @buf (2 * SEC_ARG_PAD + @size bytes) still holds the canary around and in the argument copy */
#define SEC_ARG_PAD	64

static unsigned char *sec_arg_buf(unsigned char *buf, const void *arg, size_t size)
{
	memset(buf, SEC_CANARY, 2 * SEC_ARG_PAD + size);
	memcpy(buf + SEC_ARG_PAD, arg, size);
	return buf + SEC_ARG_PAD;
}

static bool sec_arg_intact(const unsigned char *buf, const void *arg, size_t size)
{
	size_t i;

	for (i = 0; i < SEC_ARG_PAD; i++)
		if (buf[i] != SEC_CANARY || buf[SEC_ARG_PAD + size + i] != SEC_CANARY)
			return false;
	return !memcmp(buf + SEC_ARG_PAD, arg, size);
}

/*
 * Every ioctl takes its argument in only: the buffer (and the bytes around it) is unchanged
 * after the call, successful or not; read() of the driver's fds fails and writes nothing; and
 * return values are 0, an fd or the page size.
 */
TEST_F(sec, ioctl_args_not_written)
{
	struct gunyah_fn_check check = { .type = GUNYAH_FN_IRQFD };
	struct gunyah_vm_dtb_config dtb = { .guest_phys_addr = GHV_BASE + 0x1000, .size = 0x100 };
	struct gunyah_vm_boot_context ctx = {
		.reg = GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0),
		.value = GHV_PROG_GPA,
	};
	struct gunyah_userspace_memory_region reg = {
		.label = 0, .flags = GH_RWX, .guest_phys_addr = GHV_BASE,
	};
	struct gunyah_fn_irqfd_arg irqfd = { .label = SEC_BELL_L };
	struct gunyah_fn_vcpu_arg vcpu = { .id = 0 };
	unsigned char buf[2 * SEC_ARG_PAD + 64], abuf[2 * SEC_ARG_PAD + 64], rbuf[64];
	struct gunyah_fn_desc desc;
	int vmfd, vcpufd, efd, ret;
	size_t ps = self->ps;
	void *mem, *p;

	mem = gh_mmap_anon(SEC_PAGES * ps);
	ASSERT_TRUE(!!mem);
	efd = ghv_eventfd();
	ASSERT_LE(0, efd);
	reg.memory_size = SEC_PAGES * ps;
	reg.userspace_addr = (uintptr_t)mem;
	irqfd.fd = efd;

	/* /dev/gunyah */
	p = sec_arg_buf(buf, &check, sizeof(check));
	EXPECT_EQ(0, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, p));
	EXPECT_TRUE(sec_arg_intact(buf, &check, sizeof(check)));
	check.flags = 1;
	p = sec_arg_buf(buf, &check, sizeof(check));
	EXPECT_EQ(-1, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, p));
	EXPECT_TRUE(sec_arg_intact(buf, &check, sizeof(check)));
	vmfd = ioctl(self->devfd, GUNYAH_CREATE_VM, 0UL);
	ASSERT_LE(0, vmfd);
	EXPECT_LE(0, fcntl(vmfd, F_GETFD)) TH_LOG("CREATE_VM returned %d: not an fd", vmfd);

	/* The VM fd */
	p = sec_arg_buf(buf, &reg, sizeof(reg));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_SET_USER_MEM_REGION, p));
	EXPECT_TRUE(sec_arg_intact(buf, &reg, sizeof(reg)));
	p = sec_arg_buf(buf, &reg, sizeof(reg));
	EXPECT_EQ(-1, ioctl(vmfd, GUNYAH_VM_SET_USER_MEM_REGION, p));	/* EEXIST */
	EXPECT_TRUE(sec_arg_intact(buf, &reg, sizeof(reg)));
	p = sec_arg_buf(buf, &dtb, sizeof(dtb));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_SET_DTB_CONFIG, p));
	EXPECT_TRUE(sec_arg_intact(buf, &dtb, sizeof(dtb)));
	p = sec_arg_buf(buf, &ctx, sizeof(ctx));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, p));
	EXPECT_TRUE(sec_arg_intact(buf, &ctx, sizeof(ctx)));
	ctx.reserved = 1;
	p = sec_arg_buf(buf, &ctx, sizeof(ctx));
	EXPECT_EQ(-1, ioctl(vmfd, GUNYAH_VM_SET_BOOT_CONTEXT, p));
	EXPECT_TRUE(sec_arg_intact(buf, &ctx, sizeof(ctx)));

	/* Functions: neither the descriptor nor the argument is written */
	desc.type = GUNYAH_FN_IRQFD;
	desc.arg_size = sizeof(irqfd);
	desc.arg = (uintptr_t)sec_arg_buf(abuf, &irqfd, sizeof(irqfd));
	p = sec_arg_buf(buf, &desc, sizeof(desc));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_ADD_FUNCTION, p));
	EXPECT_TRUE(sec_arg_intact(buf, &desc, sizeof(desc)));
	EXPECT_TRUE(sec_arg_intact(abuf, &irqfd, sizeof(irqfd)));
	p = sec_arg_buf(buf, &desc, sizeof(desc));
	EXPECT_EQ(-1, ioctl(vmfd, GUNYAH_VM_ADD_FUNCTION, p));	/* EEXIST */
	EXPECT_TRUE(sec_arg_intact(buf, &desc, sizeof(desc)));
	EXPECT_TRUE(sec_arg_intact(abuf, &irqfd, sizeof(irqfd)));
	p = sec_arg_buf(buf, &desc, sizeof(desc));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_REMOVE_FUNCTION, p));
	EXPECT_TRUE(sec_arg_intact(buf, &desc, sizeof(desc)));
	EXPECT_TRUE(sec_arg_intact(abuf, &irqfd, sizeof(irqfd)));

	desc.type = GUNYAH_FN_VCPU;
	desc.arg_size = sizeof(vcpu);
	desc.arg = (uintptr_t)sec_arg_buf(abuf, &vcpu, sizeof(vcpu));
	p = sec_arg_buf(buf, &desc, sizeof(desc));
	vcpufd = ioctl(vmfd, GUNYAH_VM_ADD_FUNCTION, p);
	ASSERT_LE(0, vcpufd);
	EXPECT_LE(0, fcntl(vcpufd, F_GETFD)) TH_LOG("ADD_FUNCTION returned %d: not an fd", vcpufd);
	EXPECT_TRUE(sec_arg_intact(buf, &desc, sizeof(desc)));
	EXPECT_TRUE(sec_arg_intact(abuf, &vcpu, sizeof(vcpu)));
	ret = ioctl(vcpufd, GUNYAH_VCPU_MMAP_SIZE);
	EXPECT_EQ((int)ps, ret);

	/* The driver's fds have nothing to read */
	memset(rbuf, SEC_CANARY, sizeof(rbuf));
	EXPECT_GT(0, read(self->devfd, rbuf, sizeof(rbuf)));
	EXPECT_GT(0, read(vmfd, rbuf, sizeof(rbuf)));
	EXPECT_GT(0, read(vcpufd, rbuf, sizeof(rbuf)));
	memset(buf, SEC_CANARY, sizeof(rbuf));
	EXPECT_EQ(0, memcmp(buf, rbuf, sizeof(rbuf)));

	close(vcpufd);
	close(vmfd);
	close(efd);
	munmap(mem, SEC_PAGES * ps);
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- sizes and addresses that wrap ---- */

static int sec_fn_size(int vmfd, bool add, __u32 type, __u64 arg, __u32 size)
{
	struct gunyah_fn_desc desc = { .type = type, .arg_size = size, .arg = arg };

	return ioctl(vmfd, add ? GUNYAH_VM_ADD_FUNCTION : GUNYAH_VM_REMOVE_FUNCTION, &desc) ?
	       -errno : 0;
}

/*
 * Every range that wraps around the end of the 64-bit space is EINVAL, one that runs into
 * unmapped memory EFAULT, an argument size beyond the limit EINVAL whatever the pointer; and
 * after all of it nothing is pinned, charged or shared, and the VM still takes valid calls.
 */
TEST_F(sec, overflows_rejected)
{
	static const __u32 sizes[] = { GUNYAH_FN_MAX_ARG_SIZE + 1, 4096, 0x10000, 0x7fffffff,
				       0x80000000U, 0xffffffffU };
	static const __u32 types[] = { GUNYAH_FN_VCPU, GUNYAH_FN_IRQFD, GUNYAH_FN_IOEVENTFD,
				       GUNYAH_FN_REGBANK, 0x7fff };
	struct gunyah_fn_check check = { .type = GUNYAH_FN_REGBANK };
	const __u32 dm = GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	unsigned char big[GUNYAH_FN_MAX_ARG_SIZE + 8] = {};
	struct gunyah_regbank_arg bank = { .n_regs = 2 };
	size_t ps = self->ps, size = SEC_PAGES * ps;
	__u64 top = ~0ULL, pg = ps;
	struct gh_snapshot snap;
	unsigned int i, j;
	char *mem;
	int vmfd, efd;

	vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, vmfd);
	efd = ghv_eventfd();
	ASSERT_LE(0, efd);
	/* SEC_PAGES pages, then a hole where the next SEC_PAGES were */
	mem = gh_mmap_anon(2 * size);
	ASSERT_TRUE(!!mem);
	ASSERT_EQ(0, munmap(mem + size, size));
	gh_snapshot_take(&snap);

	/* guest_phys_addr + memory_size */
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, top - pg + 1, pg, mem));
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, top - pg + 1, 2 * pg, mem));
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, top - pg + 1, mem));
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, 1ULL << 63, 1ULL << 63, mem));
	/* userspace_addr + memory_size */
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, 2 * pg,
					(void *)(uintptr_t)(top - pg + 1)));
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, 0, top - pg + 1 - (uintptr_t)mem + pg,
					mem));
	/* no wrap, but past the mapping, or in the kernel's half */
	EXPECT_ERRNO(EFAULT, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, size + pg, mem));
	EXPECT_ERRNO(EFAULT, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, 1ULL << 40, mem));
	EXPECT_ERRNO(EFAULT, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, pg,
					(void *)(uintptr_t)0xffff888000000000ULL));
	EXPECT_ERRNO(EINVAL, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, 0, mem));

	/* the DTB range: its end (start + size) must fit in 64 bits */
	EXPECT_ERRNO(EINVAL, gh_set_dtb(vmfd, top - 15, 32));
	EXPECT_ERRNO(EINVAL, gh_set_dtb(vmfd, top - 15, 16));
	EXPECT_ERRNO(EINVAL, gh_set_dtb(vmfd, 1, top));
	EXPECT_EQ(0, gh_set_dtb(vmfd, top - 15, 15));

	/* ioeventfd addr + len (must fit in 64 bits too), for ADD and for REMOVE */
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vmfd, true, efd, top - 3, 8, 0, 0));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vmfd, true, efd, top - 7, 8, dm, 1));
	EXPECT_EQ(-EINVAL, ghv_ioeventfd(vmfd, false, -1, top - 3, 8, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vmfd, true, efd, top - 15, 8, 0, 0));
	EXPECT_EQ(0, ghv_ioeventfd(vmfd, false, -1, top - 15, 8, 0, 0));

	/* arg_size beyond the limit, whatever the type and the pointer */
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			EXPECT_EQ(-EINVAL, sec_fn_size(vmfd, true, types[i], (uintptr_t)big,
						       sizes[j]));
			EXPECT_EQ(-EINVAL, sec_fn_size(vmfd, true, types[i], 0, sizes[j]));
			EXPECT_EQ(-EINVAL, sec_fn_size(vmfd, false, types[i], (uintptr_t)big,
						       sizes[j]));
			EXPECT_EQ(-EINVAL, sec_fn_size(vmfd, false, types[i], top - 7, sizes[j]));
		}
	}
	/* A pointer that wraps with the size: EFAULT, nothing read */
	EXPECT_EQ(-EFAULT, sec_fn_size(vmfd, true, GUNYAH_FN_IOEVENTFD, top - 7,
				       sizeof(struct gunyah_fn_ioeventfd_arg)));

	/* boot context registers out of their sets */
	EXPECT_ERRNO(EINVAL, gh_set_boot_reg(vmfd, 0xffffff, 0xff, 0));
	EXPECT_ERRNO(EINVAL, gh_set_boot_reg(vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 3, 0));
	EXPECT_ERRNO(EINVAL, gh_set_boot_reg(vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 32, 0));

	/* A register bank running past the end of the space (the Rust sample, if present) */
	if (!ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &check)) {
		bank.base = top - 7;
		EXPECT_EQ(-EINVAL, ghv_fn(vmfd, true, GUNYAH_FN_REGBANK, &bank, sizeof(bank)));
		bank.base = top - 15;
		bank.n_regs = GUNYAH_REGBANK_MAX_REGS;
		EXPECT_EQ(-EINVAL, ghv_fn(vmfd, true, GUNYAH_FN_REGBANK, &bank, sizeof(bank)));
	}

	/* Nothing pinned, charged or shared by any of it */
	gh_expect_released(_metadata, &snap, true);
	/* The VM still works, and START finds the DTB outside its memory */
	EXPECT_EQ(0, gh_set_mem(vmfd, 0, GH_RWX, GHV_BASE, size, mem));
	EXPECT_ERRNO(EINVAL, ioctl(vmfd, GUNYAH_VM_START));

	close(vmfd);
	close(efd);
	munmap(mem, size);
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- /dev/gunyah ---- */

/* Drop to nobody and try to open the device every way: 0 if each try failed with EACCES */
static int sec_open_as_nobody(void)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;
	int fd, ret = 0;

	if (setgroups(0, NULL) || setgid(SEC_NOBODY) || setuid(SEC_NOBODY))
		return 0x40;
	if (geteuid() != SEC_NOBODY || !setuid(0))
		return 0x80;
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fd = open(GH_DEV_PATH, modes[i] | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			ret |= 1 << i;
		} else if (errno != EACCES) {
			ret |= 0x10 << i;
		}
	}
	return ret;
}

TEST_F(sec, dev_node_root_only)
{
	struct stat st;
	int status;
	pid_t pid;

	ASSERT_EQ(0, stat(GH_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	if (getuid())
		SKIP(return, "not root: cannot drop to uid %d", SEC_NOBODY);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(sec_open_as_nobody());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 1, 2, 4: opened O_RDWR, O_RDONLY, O_WRONLY; 0x10..: another errno; 0x40, 0x80: setuid */
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("as uid %d: %#x", SEC_NOBODY, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
