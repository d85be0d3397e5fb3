// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: every RM RPC the driver makes, failed once at every point of a VM's life
 * where it makes it, as userspace sees it.
 *
 * Points and their RPCs (c/vm_mgr.c, c/vm_mgr_mem.c, c/rsc_mgr_rpc.c):
 *   create    GUNYAH_CREATE_VM: VM_GET_VMID, VM_ALLOC_VMID
 *   start     GUNYAH_VM_START: MEM_SHARE, MEM_LEND, MEM_APPEND (a region of more than 512
 *             memory entries), VM_CONFIG_IMAGE, VM_INIT, VM_SET_BOOT_CONTEXT,
 *             VM_GET_HYP_RESOURCES, VM_START
 *   run       the same RPCs, made by the first GUNYAH_VCPU_RUN of a VM nobody started
 *             (gunyah_vm_ensure_started())
 *   teardown  the last close of the VM: VM_STOP, VM_RESET, MEM_RECLAIM, VM_DEALLOC_VMID; one
 *             row each (teardown_test.c covers the teardown steps in depth)
 *
 * Each create, start and run RPC fails once with each of
 *   - fail_function (the RPC is not sent): -EIO, -ENOMEM, -ETIMEDOUT;
 *   - an RM error from the simulator's rpc_fail knob (the RM did nothing), mapped by
 *     gunyah_rm_remap_error(): NOMEM 1 -> ENOMEM, NORESOURCE 2 -> ENODEV, DENIED 3 -> EPERM,
 *     BUSY 5 -> EBUSY, ARGUMENT_INVALID 6 -> EINVAL, UNIMPLEMENTED 0xffffffff -> EOPNOTSUPP,
 *     VM_STATE 0x14 -> EBADMSG;
 * and each time:
 *   - the ioctl fails with that errno: the VM manager passes RPC errors through unchanged
 *     (GUNYAH_VM_START: "Other errors of the RM");
 *   - the fault was injected: fail_function's times went to 0, or the simulator's
 *     faults_injected counter went up by one (the knob matches the RPC's message id);
 *   - a failed start is final: GUNYAH_VM_START answers EALREADY, and after a failed RUN the
 *     next RUN reports GUNYAH_VM_STATUS_LOAD_FAILED (gunyah_vm_ensure_started());
 *   - once the VM is closed nothing is left: pinned pages (nr_foll_pin_acquired - released),
 *     VmLck, the simulated RM's vmids_live, parcels_live and pages_shared, module references
 *     (the refcnt of every /sys/module/gunyah_<name>) and file descriptors;
 *   - the next VM starts, and leaves nothing behind either.
 *
 * MEM_APPEND has no function of its own (gunyah_rm_mem_append() is static), so fail_function
 * fails gunyah_rm_call() with 'space' 3: the first region's MEM_SHARE and the big region's
 * first MEM_SHARE pass, its first MEM_APPEND fails (should_fail() lets calls pass while space
 * is above 1).
 *
 * Teardown rows fail the step with fail_function -ETIMEDOUT (an RM that did not answer), twice
 * each:
 *   - once: the teardown retries a call that failed transiently (c/vm_mgr.c, DOC: VM status),
 *     so nothing is left, as after any other fault; but VM_DEALLOC_VMID, which is not retried
 *     after a lost message (the id might be another VM's by then): its VM id stays;
 *   - on every call (the retries run out): what c/vm_mgr.c (gunyah_vm_destroy(), DOC: Guest
 *     memory) says stays behind, given the RM's rules (VM_RESET needs EXITED, READY or
 *     INIT_FAILED; a VM holds its parcels until reset; VM_DEALLOC_VMID needs LOAD or RESET):
 *     VM_STOP fails:         the VM keeps running: its VM id, both parcels, every page pinned
 *                            and charged, for good;
 *     VM_RESET fails:        the same, the VM EXITED;
 *     MEM_RECLAIM fails:     both regions: their parcels, their pages pinned and charged;
 *     VM_DEALLOC_VMID fails: the VM id (RESET) only.
 *
 * One last row fails a MEM_APPEND (fail_function) and the MEM_RECLAIM that undoes the half-made
 * parcel (RM BUSY). The RM then keeps a parcel of the region's pages that the driver no longer
 * knows (gunyah_rm_mem_share_common() forgets the handle); by DOC: Guest memory those pages
 * must stay pinned and charged. The driver as it is unpins them at teardown (the mapping is not
 * marked to leak), so this row fails until that is fixed. The region is a file in /tmp (tmpfs),
 * left there on purpose: whatever the driver does, its frames never go back to the page
 * allocator while the simulated RM still lists them in a parcel (later VMs would collide with
 * it).
 *
 * What the RM keeps cannot be got back from userspace: a run leaves the simulator a few VM ids
 * and parcels and the kernel a few pinned pages, as teardown_test does.
 *
 * The program ends with "# faults injected: N" (every fault counted, over all tests).
 * Expected runtime: about a minute in the QEMU guest (206 faults, each followed by a second VM).
 */

#include <dirent.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"

#define GH_FI_R0_PAGES		16	/* label 0 at GH_GUEST_BASE: the DTB region */
#define GH_FI_R1_PAGES		16	/* GH_FI_R1_LABEL at GH_FI_R1_GPA */
#define GH_FI_BIG_PAGES		1024	/* scattered: about 1024 memory entries, 1 MEM_APPEND */
#define GH_FI_R1_GPA		(GH_GUEST_BASE + 0x10000000ULL)
#define GH_FI_R1_LABEL		0x52
#define GH_FI_R0		0x1
#define GH_FI_R1		0x2
#define GH_FI_RW		(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE)

/* The RM calls, errors and states this file needs beyond gunyah_test_util.h */
#define GH_FI_MSG_ALLOC_VMID	0x56000001U
#define GH_FI_MSG_GET_VMID	0x56000024U
#define GH_FI_MSG_RECLAIM	0x51000015U
#define GH_FI_RM_BUSY		0x5
#define GH_FI_VM_EXITED		9
#define GH_FI_VM_RESET		11

#define GH_FI_MAX_MODS		32

/* ---- the faults ---- */

enum gh_fi_point {
	GH_FI_CREATE,		/* GUNYAH_CREATE_VM */
	GH_FI_START,		/* GUNYAH_VM_START */
	GH_FI_RUN,		/* the first GUNYAH_VCPU_RUN, nobody started the VM */
	GH_FI_TEARDOWN,		/* the last close */
};

static const struct gh_fi_err {
	const char *name;
	bool rm;	/* an RM error from the simulator, else fail_function */
	__u32 code;	/* the RM error code, or the errno fail_function returns (negated) */
	int err;	/* the errno userspace sees */
} gh_fi_errs[] = {
	{ "fail_function -EIO", false, EIO, EIO },
	{ "fail_function -ENOMEM", false, ENOMEM, ENOMEM },
	{ "fail_function -ETIMEDOUT", false, ETIMEDOUT, ETIMEDOUT },
	{ "RM error NOMEM (1)", true, 0x1, ENOMEM },
	{ "RM error NORESOURCE (2)", true, 0x2, ENODEV },
	{ "RM error DENIED (3)", true, 0x3, EPERM },
	{ "RM error BUSY (5)", true, 0x5, EBUSY },
	{ "RM error ARGUMENT_INVALID (6)", true, 0x6, EINVAL },
	{ "RM error UNIMPLEMENTED (0xffffffff)", true, 0xffffffffU, EOPNOTSUPP },
	{ "RM error VM_STATE (0x14)", true, 0x14, EBADMSG },
};

/* Faults injected by every test of this program: shared by the forked test processes */
static unsigned int *gh_fi_faults;

static void __attribute__((constructor)) gh_fi_faults_init(void)
{
	void *p = mmap(NULL, sizeof(*gh_fi_faults), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	gh_fi_faults = p == MAP_FAILED ? NULL : p;
}

static void gh_fi_count_faults(unsigned int n)
{
	if (gh_fi_faults)
		__atomic_add_fetch(gh_fi_faults, n, __ATOMIC_SEQ_CST);
}

/* ---- small helpers ---- */

/* The first number in a file, or @dflt */
static long long gh_fi_read_ll(const char *path, long long dflt)
{
	long long v = dflt;
	FILE *f = fopen(path, "re");

	if (!f)
		return dflt;
	if (fscanf(f, "%lld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* How many more calls fail_function will fail */
static long long gh_fi_fei_times(void)
{
	return gh_fi_read_ll(GH_FEI_DIR "/times", -1);
}

/* Open file descriptors of this process */
static int gh_fi_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* The reference counts of the loaded gunyah_* modules */
struct gh_fi_mods {
	int n;
	char name[GH_FI_MAX_MODS][64];
	long long ref[GH_FI_MAX_MODS];
};

static void gh_fi_mods_take(struct gh_fi_mods *m)
{
	DIR *d = opendir("/sys/module");
	struct dirent *de;
	char path[sizeof(de->d_name) + 32];
	long long ref;
	size_t len;

	m->n = 0;
	if (!d)
		return;
	while ((de = readdir(d)) && m->n < GH_FI_MAX_MODS) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "gunyah_", 7) || len >= sizeof(m->name[0]))
			continue;
		snprintf(path, sizeof(path), "/sys/module/%s/refcnt", de->d_name);
		ref = gh_fi_read_ll(path, -1);
		if (ref < 0)
			continue;	/* built in, or no module unloading */
		memcpy(m->name[m->n], de->d_name, len + 1);
		m->ref[m->n++] = ref;
	}
	closedir(d);
}

/* Everything a VM may leave behind: gh_snapshot, module references, file descriptors */
struct gh_fi_snap {
	struct gh_snapshot s;
	struct gh_fi_mods mods;
	int fds;
};

static void gh_fi_snap_take(struct gh_fi_snap *snap)
{
	gh_snapshot_take(&snap->s);
	gh_fi_mods_take(&snap->mods);
	snap->fds = gh_fi_count_fds();
}

/*
 * The state is @want: gh_expect_released() (VmLck included: this process created the VMs),
 * every module's reference count as in @want (0 for a module loaded since, on demand), and as
 * many file descriptors.
 */
static void gh_fi_expect_snap(struct __test_metadata *_metadata, const struct gh_fi_snap *want)
{
	struct gh_fi_mods now;
	int i, j;

	gh_expect_released(_metadata, &want->s, true);
	gh_fi_mods_take(&now);
	for (i = 0; i < now.n; i++) {
		for (j = 0; j < want->mods.n && strcmp(want->mods.name[j], now.name[i]); j++)
			;
		EXPECT_EQ(j < want->mods.n ? want->mods.ref[j] : 0, now.ref[i])
			TH_LOG("references to module %s", now.name[i]);
	}
	EXPECT_EQ(want->fds, gh_fi_count_fds());
}

/*
 * A VM ready to start: the DTB region @r0 (GH_FI_R0_PAGES, label 0, RWX, a config with one
 * vCPU), the region @r1 (label GH_FI_R1_LABEL, @flags1) and, if @boot_ctx, the PC.
 * Returns 0 or a negative errno.
 */
static int gh_fi_setup_vm(int vmfd, char *r0, char *r1, size_t r1_size, __u32 flags1,
			  bool boot_ctx)
{
	int ret;

	ret = gh_setup_bootable(vmfd, r0, GH_FI_R0_PAGES * gh_page_size(), 0, GH_RWX, 1);
	if (ret)
		return ret;
	if (gh_set_mem(vmfd, GH_FI_R1_LABEL, flags1, GH_FI_R1_GPA, r1_size, r1))
		return -errno;
	if (boot_ctx && gh_set_boot_reg(vmfd, GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0, GH_GUEST_BASE))
		return -errno;
	return 0;
}

/* Add vCPU 0 and map its run page: the vCPU fd, or a negative errno */
static int gh_fi_vcpu_add(int vmfd, struct gunyah_vcpu_run **run, size_t *run_size)
{
	struct gunyah_fn_vcpu_arg arg = { .id = 0 };
	struct gunyah_fn_desc desc = {
		.type = GUNYAH_FN_VCPU,
		.arg_size = sizeof(arg),
		.arg = (__u64)(uintptr_t)&arg,
	};
	int fd, size, ret;
	void *p;

	fd = ioctl(vmfd, GUNYAH_VM_ADD_FUNCTION, &desc);
	if (fd < 0)
		return -errno;
	size = ioctl(fd, GUNYAH_VCPU_MMAP_SIZE);
	if (size < (int)sizeof(**run)) {
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*run = p;
	*run_size = (size_t)size;
	return fd;
}

/* ---- the fixture ---- */

FIXTURE(fi) {
	int devfd;
	char *r0;		/* GH_FI_R0_PAGES */
	char *r1;		/* GH_FI_R1_PAGES, or GH_FI_BIG_PAGES scattered */
	size_t r1_size;
	bool have_fei;		/* fail_function, with its 'space' attribute */
};

FIXTURE_VARIANT(fi) {
	enum gh_fi_point point;
	const char *func;	/* fail_function: the RPC's function ... */
	unsigned int space;	/* ... and 'space' (N + 1 lets N calls pass first; 0: none) */
	__u32 msg_id;		/* rpc_fail: the RPC's message id */
	bool lend;		/* the second region is FORCE_LEND: START lends it */
	bool big;		/* the second region needs MEM_APPEND */
	bool boot_ctx;		/* the PC is set: START sends VM_SET_BOOT_CONTEXT */
	unsigned int keep_state;	/* teardown, every call failing: the RM keeps the VM, so */
	unsigned int keep;	/* teardown, every call failing: regions whose parcel and pinned
				 * pages stay
				 */
	bool undo;		/* MEM_APPEND fails, and then its undo (MEM_RECLAIM) */
	bool no_retry;		/* teardown: -ETIMEDOUT is not retried: once is for good */
};

/* create */
FIXTURE_VARIANT_ADD(fi, create_get_vmid) {
	.point = GH_FI_CREATE, .func = "gunyah_rm_get_vmid", .msg_id = GH_FI_MSG_GET_VMID,
};

FIXTURE_VARIANT_ADD(fi, create_alloc_vmid) {
	.point = GH_FI_CREATE, .func = "gunyah_rm_alloc_vmid", .msg_id = GH_FI_MSG_ALLOC_VMID,
};

/* start */
FIXTURE_VARIANT_ADD(fi, start_mem_share) {
	.point = GH_FI_START, .func = "gunyah_rm_mem_share", .msg_id = GH_RM_MSG_MEM_SHARE,
};

FIXTURE_VARIANT_ADD(fi, start_mem_lend) {
	.point = GH_FI_START, .func = "gunyah_rm_mem_lend", .msg_id = GH_RM_MSG_MEM_LEND,
	.lend = true,
};

FIXTURE_VARIANT_ADD(fi, start_mem_append) {
	.point = GH_FI_START, .func = "gunyah_rm_call", .space = 3,
	.msg_id = GH_RM_MSG_MEM_APPEND, .big = true,
};

FIXTURE_VARIANT_ADD(fi, start_vm_configure) {
	.point = GH_FI_START, .func = "gunyah_rm_vm_configure", .msg_id = GH_RM_MSG_CONFIG_IMAGE,
};

FIXTURE_VARIANT_ADD(fi, start_vm_init) {
	.point = GH_FI_START, .func = "gunyah_rm_vm_init", .msg_id = GH_RM_MSG_VM_INIT,
};

FIXTURE_VARIANT_ADD(fi, start_set_boot_context) {
	.point = GH_FI_START, .func = "gunyah_rm_vm_set_boot_context",
	.msg_id = GH_RM_MSG_SET_BOOT_CTX, .boot_ctx = true,
};

FIXTURE_VARIANT_ADD(fi, start_get_hyp_resources) {
	.point = GH_FI_START, .func = "gunyah_rm_get_hyp_resources",
	.msg_id = GH_RM_MSG_GET_HYP_RES,
};

FIXTURE_VARIANT_ADD(fi, start_vm_start) {
	.point = GH_FI_START, .func = "gunyah_rm_vm_start", .msg_id = GH_RM_MSG_VM_START,
};

/* run: the same RPCs, from the first GUNYAH_VCPU_RUN */
FIXTURE_VARIANT_ADD(fi, run_mem_share) {
	.point = GH_FI_RUN, .func = "gunyah_rm_mem_share", .msg_id = GH_RM_MSG_MEM_SHARE,
};

FIXTURE_VARIANT_ADD(fi, run_mem_lend) {
	.point = GH_FI_RUN, .func = "gunyah_rm_mem_lend", .msg_id = GH_RM_MSG_MEM_LEND,
	.lend = true,
};

FIXTURE_VARIANT_ADD(fi, run_mem_append) {
	.point = GH_FI_RUN, .func = "gunyah_rm_call", .space = 3,
	.msg_id = GH_RM_MSG_MEM_APPEND, .big = true,
};

FIXTURE_VARIANT_ADD(fi, run_vm_configure) {
	.point = GH_FI_RUN, .func = "gunyah_rm_vm_configure", .msg_id = GH_RM_MSG_CONFIG_IMAGE,
};

FIXTURE_VARIANT_ADD(fi, run_vm_init) {
	.point = GH_FI_RUN, .func = "gunyah_rm_vm_init", .msg_id = GH_RM_MSG_VM_INIT,
};

FIXTURE_VARIANT_ADD(fi, run_set_boot_context) {
	.point = GH_FI_RUN, .func = "gunyah_rm_vm_set_boot_context",
	.msg_id = GH_RM_MSG_SET_BOOT_CTX, .boot_ctx = true,
};

FIXTURE_VARIANT_ADD(fi, run_get_hyp_resources) {
	.point = GH_FI_RUN, .func = "gunyah_rm_get_hyp_resources",
	.msg_id = GH_RM_MSG_GET_HYP_RES,
};

FIXTURE_VARIANT_ADD(fi, run_vm_start) {
	.point = GH_FI_RUN, .func = "gunyah_rm_vm_start", .msg_id = GH_RM_MSG_VM_START,
};

/* teardown: one row each, fail_function -ETIMEDOUT; what stays behind if every call fails */
FIXTURE_VARIANT_ADD(fi, teardown_vm_stop) {
	.point = GH_FI_TEARDOWN, .func = "gunyah_rm_vm_stop",
	.keep_state = GH_RM_VM_RUNNING, .keep = GH_FI_R0 | GH_FI_R1,
};

FIXTURE_VARIANT_ADD(fi, teardown_vm_reset) {
	.point = GH_FI_TEARDOWN, .func = "gunyah_rm_vm_reset",
	.keep_state = GH_FI_VM_EXITED, .keep = GH_FI_R0 | GH_FI_R1,
};

FIXTURE_VARIANT_ADD(fi, teardown_mem_reclaim) {
	.point = GH_FI_TEARDOWN, .func = "gunyah_rm_mem_reclaim", .keep = GH_FI_R0 | GH_FI_R1,
};

FIXTURE_VARIANT_ADD(fi, teardown_dealloc_vmid) {
	.point = GH_FI_TEARDOWN, .func = "gunyah_rm_dealloc_vmid", .keep_state = GH_FI_VM_RESET,
	.no_retry = true,
};

/* MEM_APPEND fails (fail_function), then the MEM_RECLAIM that undoes its parcel (RM BUSY) */
FIXTURE_VARIANT_ADD(fi, start_mem_append_undo_fails) {
	.point = GH_FI_START, .func = "gunyah_rm_call", .space = 3,
	.msg_id = GH_RM_MSG_MEM_APPEND, .big = true, .undo = true,
};

/*
 * The undo row's region: a file in /tmp (tmpfs) that stays after the test, so its frames stay
 * allocated while the RM keeps them in a parcel; an anonymous mapping if /tmp is not tmpfs.
 */
static char *gh_fi_map_leak_file(struct __test_metadata *_metadata, size_t size)
{
	struct statfs st;
	char path[96];
	void *p;
	int fd;

	if (statfs("/tmp", &st) || st.f_type != TMPFS_MAGIC) {
		TH_LOG("/tmp is not tmpfs: the leaked region is anonymous memory");
		return gh_mmap_anon(size);
	}
	snprintf(path, sizeof(path), "/tmp/gunyah_fault_inject.%d.leak", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

FIXTURE_SETUP(fi)
{
	struct gunyah_fn_check vcpu_check = { .type = GUNYAH_FN_VCPU };
	size_t ps = gh_page_size();
	char *filler;
	long runs;

	self->devfd = -1;
	self->r0 = NULL;
	self->r1 = NULL;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	ASSERT_NE(LLONG_MIN, gh_pins_outstanding());
	ASSERT_LE(0, gh_vmlck_kb());
	self->have_fei = gh_fei_available() && access(GH_FEI_DIR "/space", W_OK) == 0;
	if ((variant->point == GH_FI_TEARDOWN || variant->undo) && !self->have_fei)
		SKIP(return, "no fail_function in debugfs");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	/*
	 * The vCPU function's module, loaded now if this is the first test of the boot to use
	 * it: loading it while a row runs would count as references it leaked.
	 */
	ASSERT_EQ(0, ioctl(self->devfd, GUNYAH_CHECK_FUNCTION, &vcpu_check));

	self->r0 = gh_mmap_anon(GH_FI_R0_PAGES * ps);
	ASSERT_TRUE(!!self->r0);
	self->r1_size = (variant->big ? GH_FI_BIG_PAGES : GH_FI_R1_PAGES) * ps;
	if (variant->undo)
		self->r1 = gh_fi_map_leak_file(_metadata, self->r1_size);
	else
		self->r1 = gh_mmap_anon(self->r1_size);
	ASSERT_TRUE(!!self->r1);
	if (variant->big) {
		filler = gh_mmap_anon(self->r1_size);
		ASSERT_TRUE(!!filler);
		gh_fault_scattered(self->r1, filler, GH_FI_BIG_PAGES);
		munmap(filler, self->r1_size);
		/* Precondition of the test: the region takes more than one message */
		runs = gh_count_phys_runs(self->r1, GH_FI_BIG_PAGES);
		if (runs >= 0)
			ASSERT_LT(GH_RM_MAX_MEM_ENTRIES, runs);
	}
}

FIXTURE_TEARDOWN(fi)
{
	size_t ps = gh_page_size();

	gh_fei_clear();
	gh_sim_reset_knobs();
	if (self->r0)
		munmap(self->r0, GH_FI_R0_PAGES * ps);
	if (self->r1)
		munmap(self->r1, self->r1_size);
	if (self->devfd >= 0)
		close(self->devfd);
}

/*
 * ---- arming ----
 *
 * Helpers take the fixture's data and variant as struct _test_data_fi and
 * struct _fixture_variant_fi, what FIXTURE_DATA(fi) and FIXTURE_VARIANT(fi) name.
 */

/* Make the variant's RPC fail once: an RM error (@rm) or fail_function returning -@code */
/* fail_function: the variant's function fails with -@err, @times calls (-1: every call) */
static int gh_fi_arm_times(const struct _fixture_variant_fi *variant, int err, int times)
{
	return gh_fei_arm_skip(variant->func, -(long)err, times,
			       variant->space ? (int)variant->space - 1 : 0);
}

static int gh_fi_arm(const struct _fixture_variant_fi *variant, bool rm, __u32 code)
{
	if (rm)
		return gh_sim_knob("rpc_fail", "1 %#x %#x", code, variant->msg_id);
	return gh_fi_arm_times(variant, (int)code, 1);
}

static void gh_fi_disarm(const struct _fixture_variant_fi *variant)
{
	gh_sim_reset_knobs();
	if (gh_fei_available())
		gh_fei_disarm(variant->func);
}

/*
 * Nothing is stuck: a new VM like the variant's (fresh memory, unless @reuse_big: the
 * fixture's big region, which the failed VM must have given back) starts, and closing it
 * leaves nothing behind.
 */
static void gh_fi_next_vm(struct __test_metadata *_metadata, struct _test_data_fi *self,
			  const struct _fixture_variant_fi *variant, bool reuse_big)
{
	size_t ps = gh_page_size(), r0_size = GH_FI_R0_PAGES * ps;
	size_t r1_size = reuse_big ? self->r1_size : GH_FI_R1_PAGES * ps;
	__u32 flags1 = GH_FI_RW | (variant->lend ? GUNYAH_MEM_FORCE_LEND : 0);
	char *r0 = gh_mmap_anon(r0_size), *r1 = reuse_big ? self->r1 : gh_mmap_anon(r1_size);
	struct gh_sim_parcel p = { 0 };
	struct gh_sim_vm info = { 0 };
	struct gh_fi_snap before;
	long long appends;
	unsigned int vmid;
	int vmfd;

	ASSERT_TRUE(r0 && r1);
	gh_fi_snap_take(&before);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_fi_setup_vm(vmfd, r0, r1, r1_size, flags1, variant->boot_ctx));
	appends = gh_sim_counter("mem_append_msgs");
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_EQ(0, gh_sim_vm_info(vmid, &info));
	EXPECT_EQ(GH_RM_VM_RUNNING, info.state);
	EXPECT_EQ(2, info.accepted);
	if (reuse_big) {
		EXPECT_LT(appends, gh_sim_counter("mem_append_msgs"));
		EXPECT_EQ(0, gh_sim_find_parcel(vmid, GH_FI_R1_LABEL, &p));
		EXPECT_LT(GH_RM_MAX_MEM_ENTRIES, p.entries);
	}
	EXPECT_EQ(0, close(vmfd));
	gh_fi_expect_snap(_metadata, &before);
	munmap(r0, r0_size);
	if (!reuse_big)
		munmap(r1, r1_size);
}

/* ---- the rows ---- */

/* One create, start or run fault: the errno, the injection, the final state, no leak */
static void gh_fi_row(struct __test_metadata *_metadata, struct _test_data_fi *self,
		      const struct _fixture_variant_fi *variant, const struct gh_fi_err *e)
{
	__u32 flags1 = GH_FI_RW | (variant->lend ? GUNYAH_MEM_FORCE_LEND : 0);
	struct gunyah_vcpu_run *run = NULL;
	int vmfd = -1, vcpufd = -1, ret, err;
	long long faults, times = 1;
	struct gh_fi_snap before;
	unsigned int vmid = 0;
	size_t run_size = 0;

	TH_LOG("%s", e->name);
	gh_fi_snap_take(&before);
	if (variant->point != GH_FI_CREATE) {
		vmfd = gh_create_vm_vmid(self->devfd, &vmid);
		ASSERT_LE(0, vmfd);
		ASSERT_EQ(0, gh_fi_setup_vm(vmfd, self->r0, self->r1, self->r1_size, flags1,
					    variant->boot_ctx));
	}
	if (variant->point == GH_FI_RUN) {
		vcpufd = gh_fi_vcpu_add(vmfd, &run, &run_size);
		ASSERT_LE(0, vcpufd);
	}

	faults = gh_sim_counter("faults_injected");
	ASSERT_EQ(0, gh_fi_arm(variant, e->rm, e->code));
	errno = 0;
	if (variant->point == GH_FI_CREATE)
		ret = gh_create_vm(self->devfd);
	else if (variant->point == GH_FI_START)
		ret = ioctl(vmfd, GUNYAH_VM_START, 0UL);
	else
		ret = ioctl(vcpufd, GUNYAH_VCPU_RUN, 0UL);
	err = errno;
	if (!e->rm)
		times = gh_fi_fei_times();
	gh_fi_disarm(variant);

	EXPECT_EQ(-1, ret);
	EXPECT_EQ(e->err, err);
	/* The fault was injected, once: the RM's counter went up, or fail_function's went down */
	EXPECT_EQ(1, e->rm ? gh_sim_counter("faults_injected") - faults : 1 - times);
	gh_fi_count_faults(1);

	if (variant->point == GH_FI_CREATE && ret >= 0)
		close(ret);
	if (variant->point == GH_FI_RUN) {
		/* The failed start is final: the vCPU reports it from now on */
		EXPECT_EQ(0, ioctl(vcpufd, GUNYAH_VCPU_RUN, 0UL));
		EXPECT_EQ(GUNYAH_VCPU_EXIT_STATUS, run->exit_reason);
		EXPECT_EQ(GUNYAH_VM_STATUS_LOAD_FAILED, run->status.status);
		munmap(run, run_size);
		EXPECT_EQ(0, close(vcpufd));
	}
	if (variant->point != GH_FI_CREATE) {
		EXPECT_ERRNO(EALREADY, ioctl(vmfd, GUNYAH_VM_START, 0UL));
		EXPECT_EQ(0, close(vmfd));
	}

	gh_fi_expect_snap(_metadata, &before);
	gh_fi_next_vm(_metadata, self, variant, variant->big);
}

/*
 * One teardown step fails, once (@always false: retried, nothing stays, unless the step is not
 * retried) or on every call: the close still succeeds and leaves exactly what it must
 */
static void gh_fi_teardown_row(struct __test_metadata *_metadata, struct _test_data_fi *self,
			       const struct _fixture_variant_fi *variant, bool always)
{
	static const long long pages[2] = { GH_FI_R0_PAGES, GH_FI_R1_PAGES };
	long long kb_per_page = (long long)gh_page_size() / 1024, times, armed = always ? 100 : 1;
	bool lost = always || variant->no_retry;	/* the step fails for good */
	struct gh_sim_vm info = { 0 };
	struct gh_fi_snap before, want;
	unsigned int vmid, r;
	int vmfd;

	TH_LOG("%s fails %s: fail_function -ETIMEDOUT", variant->func,
	       always ? "on every call" : "once");
	gh_fi_snap_take(&before);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_fi_setup_vm(vmfd, self->r0, self->r1, self->r1_size, GH_FI_RW, false));
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));

	ASSERT_EQ(0, gh_fi_arm_times(variant, ETIMEDOUT, (int)armed));
	EXPECT_EQ(0, close(vmfd));
	times = gh_fi_fei_times();
	gh_fi_disarm(variant);
	/* Once: that one call; always: the first call and every retry (if it is retried) */
	EXPECT_TRUE(variant->no_retry ? armed - times == 1 :
		    always ? armed - times > 1 : times == 0)
		TH_LOG("fail_function failed %lld calls", armed - times);
	gh_fi_count_faults((unsigned int)(armed - times));

	want = before;
	if (lost && variant->keep_state)
		want.s.vmids_live++;
	for (r = 0; lost && r < 2; r++) {
		if (!(variant->keep & (1U << r)))
			continue;
		want.s.parcels_live++;
		want.s.pages_shared += pages[r];
		want.s.pins += pages[r];
		want.s.vmlck_kb += pages[r] * kb_per_page;
	}
	gh_fi_expect_snap(_metadata, &want);
	if (lost && variant->keep_state) {
		EXPECT_EQ(0, gh_sim_vm_info(vmid, &info));
		EXPECT_EQ(variant->keep_state, info.state);
	} else {
		EXPECT_EQ(-ENOENT, gh_sim_vm_info(vmid, &info));
	}

	/* Fresh memory: the RM may still hold the fixture's */
	gh_fi_next_vm(_metadata, self, variant, false);
}

/*
 * The first MEM_APPEND fails (fail_function -ETIMEDOUT), then the MEM_RECLAIM with which
 * gunyah_rm_mem_share_common() undoes the half-made parcel (RM BUSY). START fails with the
 * append's errno; the RM keeps a pending parcel of the region's first 512 entries. The driver
 * keeps its handle (c/rsc_mgr_rpc.c) and keeps the pages pinned while the RM holds them; the
 * teardown reclaims the parcel again, and that reclaim succeeds: after the close everything,
 * the region's pins and charge included, comes back.
 */
static void gh_fi_undo_row(struct __test_metadata *_metadata, struct _test_data_fi *self,
			   const struct _fixture_variant_fi *variant)
{
	long long faults, times;
	struct gh_sim_parcel p = { 0 };
	struct gh_sim_vm info = { 0 };
	struct gh_fi_snap before, want;
	unsigned int vmid;
	int vmfd, ret, err;

	TH_LOG("MEM_APPEND: fail_function -ETIMEDOUT; its undo MEM_RECLAIM: RM error BUSY (5)");
	gh_fi_snap_take(&before);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_fi_setup_vm(vmfd, self->r0, self->r1, self->r1_size, GH_FI_RW, false));

	faults = gh_sim_counter("faults_injected");
	ASSERT_EQ(0, gh_fi_arm(variant, false, ETIMEDOUT));
	ASSERT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x", GH_FI_RM_BUSY, GH_FI_MSG_RECLAIM));
	errno = 0;
	ret = ioctl(vmfd, GUNYAH_VM_START, 0UL);
	err = errno;
	times = gh_fi_fei_times();
	gh_fi_disarm(variant);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_EQ(0, times);
	EXPECT_EQ(faults + 1, gh_sim_counter("faults_injected"));
	gh_fi_count_faults(2);

	/* The RM kept the half-made parcel */
	ASSERT_EQ(0, gh_sim_find_parcel(vmid, GH_FI_R1_LABEL, &p));
	EXPECT_EQ(1, p.pending);
	EXPECT_EQ(0, close(vmfd));

	want = before;
	gh_fi_expect_snap(_metadata, &want);
	EXPECT_EQ(-ENOENT, gh_sim_vm_info(vmid, &info));

	gh_fi_next_vm(_metadata, self, variant, false);
}

TEST_F_TIMEOUT(fi, each_fault, 300)
{
	unsigned int i;

	if (variant->point == GH_FI_TEARDOWN) {
		gh_fi_teardown_row(_metadata, self, variant, false);
		gh_fi_teardown_row(_metadata, self, variant, true);
		return;
	}
	if (variant->undo) {
		gh_fi_undo_row(_metadata, self, variant);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(gh_fi_errs); i++) {
		if (!gh_fi_errs[i].rm && !self->have_fei) {
			TH_LOG("%s: skipped, no fail_function in debugfs", gh_fi_errs[i].name);
			continue;
		}
		gh_fi_row(_metadata, self, variant, &gh_fi_errs[i]);
	}
}

/* ---- the count, after every other test ---- */

FIXTURE(summary) {
	int unused;
};

FIXTURE_SETUP(summary)
{
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, faults_injected)
{
	ksft_print_msg("faults injected: %u\n", gh_fi_faults ? *gh_fi_faults : 0);
}

TEST_HARNESS_MAIN
