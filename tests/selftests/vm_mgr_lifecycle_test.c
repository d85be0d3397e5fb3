// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: the life of a VM's memory and of the VM itself, measured from outside.
 *
 * - What a VM pins and charges comes back when it goes: VmLck of the creator, the system's
 *   FOLL_PIN counters, and the simulated RM's VM ids, parcels and shared pages, whether the VM
 *   was started or not, closed or dropped by an exiting process.
 * - Huge regions of scattered pages go to the RM in MEM_APPEND chunks.
 * - Only the creator's address space may add memory; RLIMIT_MEMLOCK is enforced.
 * - A VM fd outlives the process that created it.
 * - A START that fails at any RM call leaves nothing behind once the VM is closed, and the next
 *   VM starts.
 */

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"

#define GH_MEM_PAGES	16
#define GH_BIG_PAGES	2048	/* scattered: about 2048 memory entries, 3 MEM_APPENDs */
#define GH_BIG_GPA	(GH_GUEST_BASE + 0x10000000ULL)
#define GH_BIG_LABEL	0x52
#define GH_RW		(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE)

FIXTURE(life) {
	int devfd;
	int vmfd;
	unsigned int vmid;
	char *mem;
	size_t size;
	struct gh_snapshot before;
};

FIXTURE_SETUP(life)
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
	ASSERT_NE(LLONG_MIN, self->before.pins);
	ASSERT_LE(0, self->before.vmlck_kb);
	self->vmfd = gh_create_vm_vmid(self->devfd, &self->vmid);
	ASSERT_LE(0, self->vmfd);
}

FIXTURE_TEARDOWN(life)
{
	if (self->vmfd >= 0)
		close(self->vmfd);
	munmap(self->mem, self->size);
	close(self->devfd);
}

static void gh_close_vm(int *vmfd)
{
	close(*vmfd);
	*vmfd = -1;
}

/*
 * Two regions (anonymous and memfd), never started: while the VM lives its pages are pinned
 * and charged; closing the VM fd unpins and uncharges every page.
 */
TEST_F(life, close_unstarted_releases)
{
	long long pages = 2 * GH_MEM_PAGES;
	int memfd = memfd_create("gunyah-life", MFD_CLOEXEC);
	char *shm;

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, (off_t)self->size));
	shm = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_TRUE(shm != MAP_FAILED);
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 0, GH_RW, GH_GUEST_BASE, self->size, self->mem));
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 1, GH_RW, GH_BIG_GPA, self->size, shm));
	EXPECT_EQ(self->before.vmlck_kb + pages * (long long)gh_page_size() / 1024,
		  gh_vmlck_kb());
	EXPECT_EQ(self->before.pins + pages, gh_pins_outstanding());
	gh_close_vm(&self->vmfd);
	gh_expect_released(_metadata, &self->before, true);
	munmap(shm, self->size);
	close(memfd);
}

/*
 * The same once started: the RM also holds a VM id, two parcels and their pages, and closing
 * the VM fd stops the VM and gives everything back.
 */
TEST_F(life, close_started_releases)
{
	long long pages = 2 * GH_MEM_PAGES;
	char *mem2 = gh_mmap_anon(self->size);

	ASSERT_TRUE(!!mem2);
	ASSERT_EQ(0, gh_setup_bootable(self->vmfd, self->mem, self->size, 0, GH_RWX, 1));
	ASSERT_EQ(0, gh_set_mem(self->vmfd, 1, GH_RW | GUNYAH_MEM_FORCE_LEND, GH_BIG_GPA,
				self->size, mem2));
	ASSERT_EQ(0, ioctl(self->vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_EQ(self->before.vmids_live + 1, gh_sim_counter("vmids_live"));
	EXPECT_EQ(self->before.parcels_live + 2, gh_sim_counter("parcels_live"));
	EXPECT_EQ(self->before.pages_shared + pages, gh_sim_counter("pages_shared"));
	EXPECT_EQ(self->before.pins + pages, gh_pins_outstanding());
	gh_close_vm(&self->vmfd);
	gh_expect_released(_metadata, &self->before, true);
	munmap(mem2, self->size);
}

/* A process that exits with its VM fd open (started VM) leaves nothing behind */
TEST_F(life, creator_exit_releases)
{
	int status, vmfd;
	unsigned int vmid;
	pid_t pid;

	gh_close_vm(&self->vmfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		vmfd = gh_create_vm_vmid(self->devfd, &vmid);
		if (vmfd < 0 || gh_setup_bootable(vmfd, self->mem, self->size, 0, GH_RWX, 1))
			_exit(1);
		if (ioctl(vmfd, GUNYAH_VM_START, 0UL))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	gh_expect_released(_metadata, &self->before, true);
}

/*
 * A region of scattered pages: one memory entry per run of physically contiguous pages, more
 * than the 512 one message carries, so START sends MEM_APPEND chunks of 512 (the last with
 * END: the parcel is complete). Shared and lent regions alike.
 */
static void gh_noncontiguous(struct __test_metadata *_metadata, int *vmfd, unsigned int vmid,
			     char *mem, size_t mem_size, const struct gh_snapshot *before,
			     __u32 flags)
{
	size_t ps = gh_page_size(), size = GH_BIG_PAGES * ps;
	char *big = gh_mmap_anon(size), *filler = gh_mmap_anon(size);
	long long appends0, appends;
	struct gh_sim_parcel p = { 0 };
	long runs;

	ASSERT_TRUE(big && filler);
	gh_fault_scattered(big, filler, GH_BIG_PAGES);
	munmap(filler, size);
	ASSERT_EQ(0, gh_setup_bootable(*vmfd, mem, mem_size, 0, GH_RWX, 1));
	ASSERT_EQ(0, gh_set_mem(*vmfd, GH_BIG_LABEL, flags, GH_BIG_GPA, size, big));
	/* The frames are pinned now: they are what the driver describes */
	runs = gh_count_phys_runs(big, GH_BIG_PAGES);
	TH_LOG("%ld runs of contiguous frames in %d pages", runs, GH_BIG_PAGES);

	appends0 = gh_sim_counter("mem_append_msgs");
	ASSERT_EQ(0, ioctl(*vmfd, GUNYAH_VM_START, 0UL));
	appends = gh_sim_counter("mem_append_msgs") - appends0;

	ASSERT_EQ(0, gh_sim_find_parcel(vmid, GH_BIG_LABEL, &p));
	if (runs > 0)
		EXPECT_EQ((unsigned int)runs, p.entries);
	/* Precondition of the test, not of the driver: the pages are scattered enough */
	ASSERT_LT((unsigned int)GH_RM_MAX_MEM_ENTRIES, p.entries);
	EXPECT_EQ((long long)((p.entries - 1) / GH_RM_MAX_MEM_ENTRIES), appends);
	EXPECT_EQ((unsigned long long)size, p.bytes);
	EXPECT_EQ(0, p.pending);
	EXPECT_EQ(1, p.accepted);
	EXPECT_EQ(before->pages_shared + GH_MEM_PAGES + GH_BIG_PAGES,
		  gh_sim_counter("pages_shared"));

	gh_close_vm(vmfd);
	gh_expect_released(_metadata, before, true);
	munmap(big, size);
}

TEST_F_TIMEOUT(life, noncontiguous_share, 120)
{
	gh_noncontiguous(_metadata, &self->vmfd, self->vmid, self->mem, self->size, &self->before,
			 GH_RW);
}

TEST_F_TIMEOUT(life, noncontiguous_lend, 120)
{
	gh_noncontiguous(_metadata, &self->vmfd, self->vmid, self->mem, self->size, &self->before,
			 GH_RW | GUNYAH_MEM_FORCE_LEND);
}

/*
 * Another process (a forked child: its own mm) holding the VM fd cannot add memory, neither
 * its own nor at the creator's addresses: EPERM, nothing pinned or charged. The creator can.
 */
TEST_F(life, other_process_eperm)
{
	struct gh_snapshot snap;
	int status, e1, e2;
	char *own;
	pid_t pid;

	gh_snapshot_take(&snap);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		own = gh_mmap_anon(self->size);
		if (!own)
			_exit(10);
		errno = 0;
		e1 = gh_set_mem(self->vmfd, 3, GH_RW, GH_GUEST_BASE, self->size, own) ? errno : 0;
		errno = 0;
		e2 = gh_set_mem(self->vmfd, 4, GH_RW, GH_BIG_GPA, self->size, self->mem) ?
		     errno : 0;
		_exit((e1 == EPERM ? 0 : 1) | (e2 == EPERM ? 0 : 2));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Unchanged: the child pinned, charged and shared nothing */
	gh_expect_released(_metadata, &snap, true);
	EXPECT_EQ(0, gh_set_mem(self->vmfd, 3, GH_RW, GH_GUEST_BASE, self->size, self->mem));
}

struct gh_thread_arg {
	int vmfd;
	void *mem;
	size_t size;
	int err;
};

static void *gh_thread_add_mem(void *data)
{
	struct gh_thread_arg *a = data;

	errno = 0;
	a->err = gh_set_mem(a->vmfd, 5, GH_RW, GH_GUEST_BASE, a->size, a->mem) ? errno : 0;
	return NULL;
}

/* A thread of the creator shares its mm: it may add memory */
TEST_F(life, thread_same_mm)
{
	struct gh_thread_arg a = { .vmfd = self->vmfd, .mem = self->mem, .size = self->size,
				   .err = -1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, gh_thread_add_mem, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(self->before.vmlck_kb + (long long)(self->size / 1024), gh_vmlck_kb());
}

/*
 * Without CAP_IPC_LOCK, regions are charged to RLIMIT_MEMLOCK: a region that would exceed it
 * is ENOMEM and charges and pins nothing; regions up to the limit are accepted.
 */
TEST_F(life, rlimit_memlock)
{
	size_t ps = gh_page_size();
	long long lck0, pins0, kb = (long long)ps / 1024;
	char *mem = gh_mmap_anon(64 * ps);
	struct rlimit rl;

	ASSERT_TRUE(!!mem);
	ASSERT_EQ(0, gh_drop_cap(CAP_IPC_LOCK));
	lck0 = gh_vmlck_kb();
	pins0 = gh_pins_outstanding();
	rl.rlim_cur = (rlim_t)lck0 * 1024 + 32 * ps;
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));

	EXPECT_ERRNO(ENOMEM, gh_set_mem(self->vmfd, 1, GH_RW, GH_GUEST_BASE, 64 * ps, mem));
	EXPECT_EQ(lck0, gh_vmlck_kb());
	EXPECT_EQ(pins0, gh_pins_outstanding());

	EXPECT_EQ(0, gh_set_mem(self->vmfd, 1, GH_RW, GH_GUEST_BASE, 16 * ps, mem));
	EXPECT_EQ(lck0 + 16 * kb, gh_vmlck_kb());
	/* The limit counts every region: 16 + 32 pages exceed 32 */
	EXPECT_ERRNO(ENOMEM, gh_set_mem(self->vmfd, 2, GH_RW, GH_BIG_GPA, 32 * ps,
					mem + 16 * ps));
	EXPECT_EQ(lck0 + 16 * kb, gh_vmlck_kb());
	/* Exactly up to the limit */
	EXPECT_EQ(0, gh_set_mem(self->vmfd, 2, GH_RW, GH_BIG_GPA, 16 * ps, mem + 16 * ps));
	EXPECT_EQ(lck0 + 32 * kb, gh_vmlck_kb());
	EXPECT_ERRNO(ENOMEM, gh_set_mem(self->vmfd, 3, GH_RW, GH_BIG_GPA + 0x100000, ps,
					mem + 32 * ps));
	EXPECT_EQ(pins0 + 32, gh_pins_outstanding());

	gh_close_vm(&self->vmfd);
	EXPECT_EQ(lck0, gh_vmlck_kb());
	EXPECT_EQ(pins0, gh_pins_outstanding());
	munmap(mem, 64 * ps);
}

/* What the grandchild of vm_outlives_its_creator checks, step by step (its exit code) */
static int gh_orphan_uses_vm(int vmfd, unsigned int vmid, char *mem, size_t size)
{
	struct gh_sim_vm info = { 0 };

	errno = 0;
	if (!gh_set_mem(vmfd, 9, GH_RW, GH_BIG_GPA, size, mem) || errno != EPERM)
		return 1;
	if (gh_set_dtb(vmfd, GH_GUEST_BASE + GH_DTB_OFF, gh_dtb_size(mem + GH_DTB_OFF)))
		return 2;
	if (gh_set_boot_reg(vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0, GH_GUEST_BASE))
		return 3;
	if (ioctl(vmfd, GUNYAH_VM_START, 0UL))
		return 4;
	if (gh_sim_vm_info(vmid, &info) || info.state != GH_RM_VM_RUNNING || info.accepted != 1)
		return 5;
	if (close(vmfd))
		return 6;
	return 0;
}

/*
 * A VM fd outlives the process that created it: P creates the VM and its memory, forks C and
 * exits (its mm is gone); C, its own mm, still configures and starts the VM through the fd
 * (but cannot add memory), then closes it. Everything P pinned is released then.
 */
TEST_F(life, vm_outlives_its_creator)
{
	int status, gate[2], vmfd;
	unsigned int vmid;
	pid_t p, c;
	char b;

	gh_close_vm(&self->vmfd);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL));
	p = fork();
	ASSERT_LE(0, p);
	if (!p) {
		char *mem = gh_mmap_anon(self->size);

		vmfd = gh_create_vm_vmid(self->devfd, &vmid);
		if (!mem || vmfd < 0 || gh_setup_bootable(vmfd, mem, self->size, 0, GH_RWX, 1))
			_exit(20);
		if (pipe(gate))
			_exit(21);
		c = fork();
		if (c < 0)
			_exit(22);
		if (!c) {
			/* Wait until P has exited: its end of the gate closes then */
			close(gate[1]);
			while (read(gate[0], &b, 1) > 0)
				;
			_exit(gh_orphan_uses_vm(vmfd, vmid, mem, self->size));
		}
		_exit(0);
	}
	ASSERT_EQ(p, waitpid(p, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* C was reparented to this process, the subreaper */
	c = waitpid(-1, &status, 0);
	ASSERT_LT(0, c);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	gh_expect_released(_metadata, &self->before, true);
}

/* ---- START failures ---- */

FIXTURE(start_fail) {
	int devfd;
	char *mem;
	char *mem2;
	size_t size;
	size_t size2;
};

FIXTURE_VARIANT(start_fail) {
	const char *func;	/* fail_function: this function returns -err once ... */
	unsigned int rpc_nth;	/* ... or the simulated RM answers the rpc_nth-th next ... */
	__u32 rpc_msg_id;	/* ... RPC with this message id ... */
	__u32 rpc_error;	/* ... with this RM error */
	bool lend;		/* the second region is FORCE_LEND */
	bool big;		/* the second region needs MEM_APPEND */
	bool boot_ctx;		/* the PC is set */
	bool bad_config;	/* the VM config has no vCPU: the RM's own VM_INIT fails */
	int err;		/* errno of START */
};

FIXTURE_VARIANT_ADD(start_fail, fi_mem_share) {
	.func = "gunyah_rm_mem_share", .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_mem_lend) {
	.func = "gunyah_rm_mem_lend", .lend = true, .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_vm_configure) {
	.func = "gunyah_rm_vm_configure", .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_vm_init) {
	.func = "gunyah_rm_vm_init", .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_set_boot_context) {
	.func = "gunyah_rm_vm_set_boot_context", .boot_ctx = true, .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_get_hyp_resources) {
	.func = "gunyah_rm_get_hyp_resources", .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_vm_start) {
	.func = "gunyah_rm_vm_start", .err = EIO,
};

FIXTURE_VARIANT_ADD(start_fail, fi_vm_start_big) {
	.func = "gunyah_rm_vm_start", .big = true, .err = ENOMEM,
};

/* RM errors, mapped to errnos */
FIXTURE_VARIANT_ADD(start_fail, rm_share_denied) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_MEM_SHARE, .rpc_error = 3, .err = EPERM,
};

FIXTURE_VARIANT_ADD(start_fail, rm_second_share_denied) {
	.rpc_nth = 2, .rpc_msg_id = GH_RM_MSG_MEM_SHARE, .rpc_error = 3, .err = EPERM,
};

FIXTURE_VARIANT_ADD(start_fail, rm_lend_nomem) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_MEM_LEND, .rpc_error = 1, .lend = true,
	.err = ENOMEM,
};

FIXTURE_VARIANT_ADD(start_fail, rm_first_append_invalid) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_MEM_APPEND, .rpc_error = 0xa, .big = true,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(start_fail, rm_second_append_nomem) {
	.rpc_nth = 2, .rpc_msg_id = GH_RM_MSG_MEM_APPEND, .rpc_error = 1, .big = true,
	.lend = true, .err = ENOMEM,
};

FIXTURE_VARIANT_ADD(start_fail, rm_config_busy) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_CONFIG_IMAGE, .rpc_error = 5, .err = EBUSY,
};

FIXTURE_VARIANT_ADD(start_fail, rm_init_rejects_config) {
	.bad_config = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(start_fail, rm_boot_context_unimplemented) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_SET_BOOT_CTX, .rpc_error = 0xffffffff,
	.boot_ctx = true, .err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(start_fail, rm_hyp_resources_noresource) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_GET_HYP_RES, .rpc_error = 2, .err = ENODEV,
};

FIXTURE_VARIANT_ADD(start_fail, rm_start_nomem) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_VM_START, .rpc_error = 1, .err = ENOMEM,
};

FIXTURE_VARIANT_ADD(start_fail, rm_start_unknown_error) {
	.rpc_nth = 1, .rpc_msg_id = GH_RM_MSG_VM_START, .rpc_error = 0x14, .err = EBADMSG,
};

FIXTURE_SETUP(start_fail)
{
	size_t ps = gh_page_size();
	char *filler;

	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	if (variant->func && !gh_fei_available())
		SKIP(return, "no fail_function in debugfs");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	self->size = GH_MEM_PAGES * ps;
	self->size2 = (variant->big ? GH_BIG_PAGES : GH_MEM_PAGES) * ps;
	self->mem = gh_mmap_anon(self->size);
	self->mem2 = gh_mmap_anon(self->size2);
	ASSERT_TRUE(self->mem && self->mem2);
	if (variant->big) {
		filler = gh_mmap_anon(self->size2);
		ASSERT_TRUE(!!filler);
		gh_fault_scattered(self->mem2, filler, GH_BIG_PAGES);
		munmap(filler, self->size2);
	}
}

FIXTURE_TEARDOWN(start_fail)
{
	gh_fei_clear();
	gh_sim_reset_knobs();
	munmap(self->mem, self->size);
	munmap(self->mem2, self->size2);
	close(self->devfd);
}

/*
 * A VM ready to start: the DTB region (a config with one vCPU, or none if @bad_config), the
 * second region with @flags2, and the PC if @boot_ctx. Returns 0 or a negative errno.
 */
static int gh_start_fail_vm(int vmfd, char *mem, size_t size, char *mem2, size_t size2,
			    __u32 flags2, bool boot_ctx, bool bad_config)
{
	int ret;

	ret = gh_setup_bootable(vmfd, mem, size, 0, GH_RWX, bad_config ? 0 : 1);
	if (ret)
		return ret;
	if (gh_set_mem(vmfd, GH_BIG_LABEL, flags2, GH_BIG_GPA, size2, mem2))
		return -errno;
	if (boot_ctx && gh_set_boot_reg(vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0, GH_GUEST_BASE))
		return -errno;
	return 0;
}

/*
 * START fails with the errno of the failing call; the failed start is final; closing the VM
 * gives back its VM id, parcels, shared pages, pins and charge; then a new VM with the same
 * memory starts.
 */
TEST_F_TIMEOUT(start_fail, leaves_nothing, 120)
{
	__u32 flags2 = GH_RW | (variant->lend ? GUNYAH_MEM_FORCE_LEND : 0);
	struct gh_snapshot before;
	struct gh_sim_parcel p = { 0 }, stale = { 0 };
	bool had_stale;
	long long faults;
	unsigned int vmid;
	int vmfd, ret, err;

	gh_snapshot_take(&before);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_start_fail_vm(vmfd, self->mem, self->size, self->mem2, self->size2, flags2,
				      variant->boot_ctx, variant->bad_config));
	if (variant->func)
		ASSERT_EQ(0, gh_fei_arm(variant->func, -variant->err, 1));
	if (variant->rpc_nth)
		ASSERT_EQ(0, gh_sim_knob("rpc_fail", "%u %#x %#x", variant->rpc_nth,
					 variant->rpc_error, variant->rpc_msg_id));
	faults = gh_sim_counter("faults_injected");
	/* VM ids are reused: a parcel an earlier test left for this id and label is not ours */
	had_stale = !gh_sim_find_parcel(vmid, GH_BIG_LABEL, &stale);

	errno = 0;
	ret = ioctl(vmfd, GUNYAH_VM_START, 0UL);
	err = errno;
	if (variant->func)
		gh_fei_disarm(variant->func);
	gh_sim_reset_knobs();
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(variant->err, err);
	if (variant->rpc_nth)
		EXPECT_EQ(faults + 1, gh_sim_counter("faults_injected"));
	/* A failed MEM_APPEND takes the half-made parcel back at once */
	if (variant->rpc_msg_id == GH_RM_MSG_MEM_APPEND) {
		ret = gh_sim_find_parcel(vmid, GH_BIG_LABEL, &p);
		EXPECT_TRUE(ret == -ENOENT || (had_stale && p.handle == stale.handle))
			TH_LOG("parcel %#x of this START left", p.handle);
	}
	EXPECT_ERRNO(EALREADY, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	gh_expect_released(_metadata, &before, true);

	/* Nothing is stuck: the next VM starts with the same memory */
	gh_snapshot_take(&before);
	vmfd = gh_create_vm(self->devfd);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_start_fail_vm(vmfd, self->mem, self->size, self->mem2, self->size2, flags2,
				      variant->boot_ctx, false));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	gh_expect_released(_metadata, &before, true);
}

TEST_HARNESS_MAIN
