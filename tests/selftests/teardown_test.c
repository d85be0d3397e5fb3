// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: what a VM's teardown leaves behind when one of its steps fails, and the
 * platform hooks around sharing and reclaiming guest memory.
 *
 * teardown: gunyah_vm_destroy() (c/vm_mgr.c) stops the VM if VM_START was sent (VM_STOP, then
 * waits for its exit), removes its functions, releases its resources, resets it if
 * VM_CONFIG_IMAGE was sent (VM_RESET, then waits for RESET), reclaims every parcel the RM holds
 * (MEM_RECLAIM) and unpins its pages, and frees the VM id (VM_DEALLOC_VMID). A call that fails
 * with an error that can go away (-EBUSY, -EAGAIN, -ENOMEM, -ETIMEDOUT, -EIO) is retried
 * teardown_retries times; after a failed VM_STOP or VM_RESET the driver asks the RM for the VM's
 * state (VM_GET_STATE), since a lost reply can hide a call that took effect; VM_RESET of a VM
 * whose VM_INIT never completed is preceded by VM_INIT. A step that still fails is logged and
 * the later steps run anyway. VM_DEALLOC_VMID is retried only on the RM's "not yet" (BUSY,
 * NOMEM): after -EIO or -ETIMEDOUT the id may already be another VM's. Each test makes one of
 * those RPCs fail:
 *  - once, with fail_function (-EIO: the RPC is not sent) or an RM BUSY: the retry succeeds
 *    and nothing is lost (VM_DEALLOC_VMID with -EIO: not retried, the VM id stays);
 *  - by losing its reply (the simulator's rpc_lose_reply: the RM did it, the driver times out):
 *    the retry is refused, and the driver finds out what happened;
 *  - on every call (fail_function), so that the retries run out, or with an RM error that is
 *    the RM's answer (DENIED, not retried);
 * closes the VM and checks:
 *  - whether the driver made the call at all for a VM that got that far;
 *  - that the close returned within a bound (alarm) and without waiting out
 *    vm_status_timeout_ms: no wait for a notification that cannot come;
 *  - exactly what stays behind when the step fails for good, which follows from the RM's rules
 *    (the simulator's, as the open-source RM's: VM_RESET needs EXITED, READY or INIT_FAILED;
 *    MEM_RECLAIM needs the parcel not to be held by a VM, and a VM releases its parcels only
 *    when it is reset; VM_DEALLOC_VMID needs LOAD or RESET):
 *      VM_STOP fails:     the VM keeps running. VM_RESET and VM_DEALLOC_VMID are refused
 *                         (VM_STATE), MEM_RECLAIM too (the VM holds the parcels): the RM keeps
 *                         the VM id, the running VM and both parcels for good, and every page
 *                         stays pinned and charged to the VMM.
 *      VM_RESET fails:    the same, the VM EXITED. If START had failed after VM_INIT (READY,
 *                         no parcel accepted) the memory comes back and only the VM id stays.
 *                         If VM_INIT never completed, a refused VM_RESET is recovered from (by
 *                         VM_INIT); failing both rounds leaves the VM id (READY).
 *      MEM_RECLAIM fails: that region's parcel stays in the RM and its pages stay pinned and
 *                         charged for good (DOC: Guest memory); the VM id comes back. A lost
 *                         reply leaves the pages pinned too: the refused retry (HANDLE_INVALID)
 *                         cannot be told from a parcel still in use.
 *      VM_DEALLOC_VMID fails: only the VM id stays (RESET, or LOAD if never started).
 *  - that the driver logged the failure (dev_err) when the step had to succeed, and only then;
 *  - that the next VM, on fresh memory, starts and leaves nothing behind.
 * What the RM keeps cannot be got back from userspace: the driver forgets the VM id and the
 * parcel handles. A run of this program leaves the simulator a few VM ids and parcels, and the
 * kernel a few pinned pages, for good.
 *
 * hooks: gunyah_platform_hooks_mod (c/tests/platform_hooks_mod.c) registers platform ops that
 * count, per label, what they see and fail when told. Every parcel shared is reclaimed and
 * passed to post_mem_reclaim; a refused pre_mem_share fails START with its errno and the
 * regions shared before it are reclaimed at teardown; a failed share is undone at once, unless
 * its reply was lost (the RM may hold the parcel: the region is leaked); a failed
 * post_mem_reclaim leaks the region's pages; a parcel whose reclaim fails never reaches
 * post_mem_reclaim; unregistered ops are not called; the module can go while VMs live.
 *
 * The driver's messages are dev_err_ratelimited() (10 per 5 s per call site): the variants that
 * check a message come before the ones that only cause it as a side effect.
 */

#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "gunyah_test_util.h"

#define GH_R0_PAGES		16	/* label 0 at GH_GUEST_BASE: the DTB region */
#define GH_R1_PAGES		8	/* GH_R1_LABEL at GH_R1_GPA */
#define GH_R1_LABEL		0x52
#define GH_R1_GPA		(GH_GUEST_BASE + 0x10000000ULL)
#define GH_R0			0x1
#define GH_R1			0x2
#define GH_RW			(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE)

/* The RM's teardown calls, errors and states this file needs beyond gunyah_test_util.h */
#define GH_TD_MSG_DEALLOC	0x56000002U
#define GH_TD_MSG_STOP		0x56000005U
#define GH_TD_MSG_RESET		0x56000006U
#define GH_TD_MSG_RECLAIM	0x51000015U
#define GH_TD_MSG_GET_STATE	0x56000017U
#define GH_TD_RM_NORESOURCE	0x2
#define GH_TD_RM_DENIED		0x3
#define GH_TD_RM_BUSY		0x5
#define GH_TD_VM_EXITED		9
#define GH_TD_VM_RESET		11

#define GH_RSC_MGR_PARAMS	"/sys/module/gunyah_rsc_mgr/parameters"
#define GH_TD_FI_TIMES		100	/* fail_function's times for "every call": more than made */
#define GH_TD_LOST_TIMEOUT_MS	300	/* rpc_timeout_ms while a reply is lost */
#define GH_HOOKS_MOD		"gunyah_platform_hooks_mod"
#define GH_HOOKS_DIR		"/sys/kernel/debug/gunyah_platform_hooks"

/* ---- small helpers ---- */

/* The first number in a file, or @dflt */
static long long gh_read_ll(const char *path, long long dflt)
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
static long long gh_fei_times(void)
{
	return gh_read_ll(GH_FEI_DIR "/times", -1);
}

static long long gh_status_timeout_ms(void)
{
	return gh_read_ll(GH_RSC_MGR_PARAMS "/vm_status_timeout_ms", 10000);
}

static long long gh_rpc_timeout_ms(void)
{
	return gh_read_ll(GH_RSC_MGR_PARAMS "/rpc_timeout_ms", 10000);
}

static long long gh_kb(long long pages)
{
	return pages * (long long)gh_page_size() / 1024;
}

static char gh_watchdog_msg[160];

static void gh_watchdog_fire(int sig)
{
	ssize_t n = write(STDERR_FILENO, gh_watchdog_msg, strlen(gh_watchdog_msg));

	(void)n;
	_exit(1);	/* KSFT_FAIL */
}

/* Fail the test, rather than block the run, if it still runs @secs from now */
static void gh_watchdog_arm(unsigned int secs, const char *what)
{
	struct sigaction sa = { .sa_handler = gh_watchdog_fire };

	snprintf(gh_watchdog_msg, sizeof(gh_watchdog_msg),
		 "# watchdog: %s did not return within %u s\n", what, secs);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/* /dev/kmsg, positioned after the last record: gh_kmsg_find() sees what comes later */
static int gh_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a kernel log record written since gh_kmsg_open() (or the last call) has @needle */
static bool gh_kmsg_find(int fd, const char *needle)
{
	char rec[8192];
	bool found = false;
	ssize_t n;

	if (fd < 0)
		return false;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the oldest left */
		if (n <= 0)
			break;		/* EAGAIN: no more records */
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

/* Run a program, its output discarded; its exit status, or -1 */
static int gh_run(const char *const argv[])
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool gh_module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Whether the simulated RM still has the parcel with @handle */
static bool gh_sim_parcel_exists(unsigned int handle)
{
	struct gh_sim_parcel p;
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen(GH_SIM_DIR "/parcels", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = gh_sim_parse_parcel(line, &p) && p.handle == handle;
	fclose(f);
	return found;
}

/*
 * The usual two regions: label 0, RWX, @mem[0] (GH_R0_PAGES) at GH_GUEST_BASE with a VM config
 * of one vCPU in it; GH_R1_LABEL, @flags1, @mem[1] (GH_R1_PAGES) at GH_R1_GPA.
 */
static int gh_two_regions(int vmfd, char *const mem[2], __u32 flags1)
{
	size_t ps = gh_page_size();
	int ret;

	ret = gh_setup_bootable(vmfd, mem[0], GH_R0_PAGES * ps, 0, GH_RWX, 1);
	if (ret)
		return ret;
	if (gh_set_mem(vmfd, GH_R1_LABEL, flags1, GH_R1_GPA, GH_R1_PAGES * ps, mem[1]))
		return -errno;
	return 0;
}

static int gh_map_regions(char *mem[2])
{
	size_t ps = gh_page_size();

	mem[0] = gh_mmap_anon(GH_R0_PAGES * ps);
	mem[1] = gh_mmap_anon(GH_R1_PAGES * ps);
	return mem[0] && mem[1] ? 0 : -ENOMEM;
}

static void gh_unmap_regions(char *mem[2])
{
	size_t ps = gh_page_size();

	if (mem[0])
		munmap(mem[0], GH_R0_PAGES * ps);
	if (mem[1])
		munmap(mem[1], GH_R1_PAGES * ps);
	mem[0] = NULL;
	mem[1] = NULL;
}

/* @want plus what the regions in @parcels (RM side) and @pinned (pins, VmLck) add */
static void gh_add_regions(struct gh_snapshot *want, unsigned int parcels, unsigned int pinned)
{
	static const long long pages[2] = { GH_R0_PAGES, GH_R1_PAGES };
	int r;

	for (r = 0; r < 2; r++) {
		if (parcels & (1U << r)) {
			want->parcels_live++;
			want->pages_shared += pages[r];
		}
		if (pinned & (1U << r)) {
			want->pins += pages[r];
			want->vmlck_kb += gh_kb(pages[r]);
		}
	}
}

/*
 * Nothing is stuck: a new VM on fresh memory starts (with a VM id other than @leaked_vmid, which
 * the RM still holds, unless it is 0), its VM takes both parcels, and closing it leaves
 * nothing behind.
 */
static void gh_next_vm_works(struct __test_metadata *_metadata, int devfd,
			     unsigned int leaked_vmid)
{
	struct gh_sim_vm info = { 0 };
	struct gh_snapshot before;
	char *mem[2] = { NULL, NULL };
	unsigned int vmid;
	int vmfd;

	ASSERT_EQ(0, gh_map_regions(mem));
	gh_snapshot_take(&before);
	vmfd = gh_create_vm_vmid(devfd, &vmid);
	ASSERT_LE(0, vmfd);
	if (leaked_vmid)
		EXPECT_NE(leaked_vmid, vmid);
	ASSERT_EQ(0, gh_two_regions(vmfd, mem, GH_RW));
	EXPECT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_EQ(0, gh_sim_vm_info(vmid, &info));
	EXPECT_EQ(GH_RM_VM_RUNNING, info.state);
	EXPECT_EQ(2, info.accepted);
	close(vmfd);
	gh_expect_released(_metadata, &before, true);
	gh_unmap_regions(mem);
}

/* ---- teardown steps that fail ---- */

enum gh_td_step {
	GH_TD_STOP,
	GH_TD_RESET,
	GH_TD_RECLAIM,
	GH_TD_DEALLOC,
};

static const struct {
	const char *func;	/* the RPC's function in c/rsc_mgr_rpc.c */
	__u32 msg_id;		/* its message id */
	const char *log;	/* the driver's message when it fails, after "VM %u: " */
} gh_td_steps[] = {
	[GH_TD_STOP] = { "gunyah_rm_vm_stop", GH_TD_MSG_STOP, "failed to stop" },
	[GH_TD_RESET] = { "gunyah_rm_vm_reset", GH_TD_MSG_RESET, "failed to reset" },
	[GH_TD_RECLAIM] = { "gunyah_rm_mem_reclaim", GH_TD_MSG_RECLAIM,
			    "failed to reclaim region" },
	[GH_TD_DEALLOC] = { "gunyah_rm_dealloc_vmid", GH_TD_MSG_DEALLOC,
			    "failed to free the VM id" },
};

/* How far the VM got before it is closed */
enum gh_td_vm {
	GH_TD_NEVER_STARTED,		/* LOAD, nothing shared; boot_step NONE */
	GH_TD_STARTED,			/* RUNNING, both parcels accepted; STARTED */
	GH_TD_START_FAILED_READY,	/* VM_GET_HYP_RESOURCES failed: READY; INIT_DONE */
	GH_TD_START_FAILED_INIT,	/* VM_INIT refused (BUSY): INIT; CONFIG_SENT */
};

FIXTURE(teardown) {
	int devfd;
	char *mem[2];
	long long rpc_timeout_ms;	/* to restore: GH_TDF_LOST_REPLY lowers it */
};

/* How the step fails */
enum gh_td_fault {
	GH_TDF_FI_ONCE,		/* fail_function -EIO once (not sent): retried, nothing lost */
	GH_TDF_RM_BUSY_ONCE,	/* the RM answers BUSY once: retried, nothing lost */
	GH_TDF_LOST_REPLY,	/* the RM does it, its reply is lost: -ETIMEDOUT, then retried */
	GH_TDF_FI_ALWAYS,	/* fail_function -EIO on every call: the retries run out */
	GH_TDF_RM_DENIED,	/* the RM answers DENIED once: its answer, not retried */
};

FIXTURE_VARIANT(teardown) {
	enum gh_td_step step;	/* the teardown RPC that fails ... */
	enum gh_td_fault fault;	/* ... and how */
	enum gh_td_vm vm;	/* how far the VM got */
	bool used;		/* the driver makes that call for such a VM */
	unsigned int rounds;	/* GH_TDF_FI_ALWAYS: retry rounds of the call (0: 1) */
	bool not_retried;	/* the fault's error is not retried: one call */
	bool logged;		/* the driver logs the step's failure (dev_err) */
	int err;		/* with this errno (0: that of the fault) */
	unsigned int vmid_state; /* 0: the VM id comes back; else the RM keeps the VM, so */
	unsigned int parcels;	/* GH_R0, GH_R1: regions whose parcel the RM keeps */
	unsigned int pinned;	/* regions whose pages stay pinned and charged */
	bool state_denied;	/* and the RM answers every VM_GET_STATE with DENIED */
};

/*
 * VM_DEALLOC_VMID: the last step; only the VM id can be lost. -EIO is not retried (the id might
 * be another VM's by then): the RM keeps the VM id, and that is logged.
 */
FIXTURE_VARIANT_ADD(teardown, fi_once_dealloc_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_TD_VM_RESET,
};

FIXTURE_VARIANT_ADD(teardown, rm_busy_once_dealloc_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_RM_BUSY_ONCE, .vm = GH_TD_STARTED, .used = true,
};

/* Not retried; the RM knows no such VM (it freed the id): nothing to report */
FIXTURE_VARIANT_ADD(teardown, lost_reply_dealloc_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_LOST_REPLY, .vm = GH_TD_STARTED, .used = true,
};

FIXTURE_VARIANT_ADD(teardown, fi_always_dealloc_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_STARTED, .used = true,
	.not_retried = true, .logged = true, .vmid_state = GH_TD_VM_RESET,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_dealloc_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_TD_VM_RESET,
};

FIXTURE_VARIANT_ADD(teardown, fi_once_dealloc_never_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_NEVER_STARTED, .used = true,
	.logged = true, .vmid_state = GH_RM_VM_LOAD,
};

FIXTURE_VARIANT_ADD(teardown, fi_always_dealloc_never_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_NEVER_STARTED, .used = true,
	.not_retried = true, .logged = true, .vmid_state = GH_RM_VM_LOAD,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_dealloc_never_started) {
	.step = GH_TD_DEALLOC, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_NEVER_STARTED, .used = true,
	.logged = true, .vmid_state = GH_RM_VM_LOAD,
};

/* MEM_RECLAIM: one region (the first in guest address order, label 0) or both are leaked */
FIXTURE_VARIANT_ADD(teardown, fi_once_reclaim_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_STARTED, .used = true,
};

FIXTURE_VARIANT_ADD(teardown, rm_busy_once_reclaim_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_RM_BUSY_ONCE, .vm = GH_TD_STARTED, .used = true,
};

/*
 * The RM reclaimed the parcel, the reply was lost, the retry is refused (HANDLE_INVALID, as
 * for a parcel still in use): the driver cannot tell, so it keeps the pages pinned.
 */
FIXTURE_VARIANT_ADD(teardown, lost_reply_reclaim_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_LOST_REPLY, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .err = -EINVAL, .pinned = GH_R0,
};

/* Every reclaim fails: both regions, each with its retries */
FIXTURE_VARIANT_ADD(teardown, fi_always_reclaim_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_STARTED, .used = true,
	.rounds = 2, .logged = true, .parcels = GH_R0 | GH_R1, .pinned = GH_R0 | GH_R1,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_reclaim_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .parcels = GH_R0, .pinned = GH_R0,
};

/* Nothing was shared: nothing to reclaim */
FIXTURE_VARIANT_ADD(teardown, fi_always_reclaim_never_started) {
	.step = GH_TD_RECLAIM, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_NEVER_STARTED,
};

/* VM_RESET */
FIXTURE_VARIANT_ADD(teardown, fi_once_reset_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_STARTED, .used = true,
};

FIXTURE_VARIANT_ADD(teardown, rm_busy_once_reset_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_RM_BUSY_ONCE, .vm = GH_TD_STARTED, .used = true,
};

/* The retry is refused (VM_STATE); VM_GET_STATE says RESET: the teardown goes on */
FIXTURE_VARIANT_ADD(teardown, lost_reply_reset_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_LOST_REPLY, .vm = GH_TD_STARTED, .used = true,
};

/* An EXITED VM that is not reset keeps its parcels, so everything is lost */
FIXTURE_VARIANT_ADD(teardown, fi_always_reset_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_TD_VM_EXITED, .parcels = GH_R0 | GH_R1,
	.pinned = GH_R0 | GH_R1,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_reset_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_TD_VM_EXITED, .parcels = GH_R0 | GH_R1,
	.pinned = GH_R0 | GH_R1,
};

FIXTURE_VARIANT_ADD(teardown, fi_once_reset_start_failed_ready) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_START_FAILED_READY,
	.used = true,
};

/* READY: the parcels were never accepted and come back; the VM id stays */
FIXTURE_VARIANT_ADD(teardown, fi_always_reset_start_failed_ready) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_START_FAILED_READY,
	.used = true, .logged = true, .vmid_state = GH_RM_VM_READY,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_reset_start_failed_ready) {
	.step = GH_TD_RESET, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_START_FAILED_READY,
	.used = true, .logged = true, .vmid_state = GH_RM_VM_READY,
};

/* INIT: the retry is refused (VM_STATE), so VM_INIT is sent, and VM_RESET again succeeds */
FIXTURE_VARIANT_ADD(teardown, fi_once_reset_start_failed_init) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_START_FAILED_INIT,
	.used = true,
};

FIXTURE_VARIANT_ADD(teardown, rm_busy_once_reset_start_failed_init) {
	.step = GH_TD_RESET, .fault = GH_TDF_RM_BUSY_ONCE, .vm = GH_TD_START_FAILED_INIT,
	.used = true,
};

/* Not retried, but VM_INIT and VM_RESET again succeed */
FIXTURE_VARIANT_ADD(teardown, rm_denied_reset_start_failed_init) {
	.step = GH_TD_RESET, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_START_FAILED_INIT,
	.used = true,
};

/* Both rounds of VM_RESET (before and after VM_INIT) fail: the VM, READY, keeps its id */
FIXTURE_VARIANT_ADD(teardown, fi_always_reset_start_failed_init) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_START_FAILED_INIT,
	.used = true, .rounds = 2, .logged = true, .vmid_state = GH_RM_VM_READY,
};

/* VM_CONFIG_IMAGE never sent: the RM is in LOAD and is not asked to reset */
FIXTURE_VARIANT_ADD(teardown, fi_always_reset_never_started) {
	.step = GH_TD_RESET, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_NEVER_STARTED,
};

/* VM_STOP */
FIXTURE_VARIANT_ADD(teardown, fi_once_stop_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_FI_ONCE, .vm = GH_TD_STARTED, .used = true,
};

FIXTURE_VARIANT_ADD(teardown, rm_busy_once_stop_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_RM_BUSY_ONCE, .vm = GH_TD_STARTED, .used = true,
};

/* The retry is refused (VM_STATE); VM_GET_STATE says EXITED: the teardown goes on */
FIXTURE_VARIANT_ADD(teardown, lost_reply_stop_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_LOST_REPLY, .vm = GH_TD_STARTED, .used = true,
};

/* The VM keeps running, so every later step is refused and everything is lost */
FIXTURE_VARIANT_ADD(teardown, fi_always_stop_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_RM_VM_RUNNING, .parcels = GH_R0 | GH_R1,
	.pinned = GH_R0 | GH_R1,
};

/*
 * The same, and the RM will not tell the VM's state either: the driver cannot learn that the VM
 * still runs, and leaves the same behind. VM_GET_STATE is asked three times and refused (not
 * retried): after the failed VM_STOP, after the refused VM_RESET, and after the refused
 * VM_DEALLOC_VMID (whether the RM still knows the VM).
 */
FIXTURE_VARIANT_ADD(teardown, fi_always_stop_state_denied_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_RM_VM_RUNNING, .parcels = GH_R0 | GH_R1,
	.pinned = GH_R0 | GH_R1, .state_denied = true,
};

FIXTURE_VARIANT_ADD(teardown, rm_denied_stop_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_RM_DENIED, .vm = GH_TD_STARTED, .used = true,
	.logged = true, .vmid_state = GH_RM_VM_RUNNING, .parcels = GH_R0 | GH_R1,
	.pinned = GH_R0 | GH_R1,
};

/* VM_START never sent: nothing to stop */
FIXTURE_VARIANT_ADD(teardown, fi_always_stop_start_failed_ready) {
	.step = GH_TD_STOP, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_START_FAILED_READY,
};

FIXTURE_VARIANT_ADD(teardown, fi_always_stop_never_started) {
	.step = GH_TD_STOP, .fault = GH_TDF_FI_ALWAYS, .vm = GH_TD_NEVER_STARTED,
};

FIXTURE_SETUP(teardown)
{
	self->devfd = -1;
	self->mem[0] = NULL;
	self->mem[1] = NULL;
	self->rpc_timeout_ms = gh_rpc_timeout_ms();
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	if ((variant->fault == GH_TDF_FI_ONCE || variant->fault == GH_TDF_FI_ALWAYS) &&
	    !gh_fei_available())
		SKIP(return, "no fail_function in debugfs");
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(0, gh_map_regions(self->mem));
}

FIXTURE_TEARDOWN(teardown)
{
	alarm(0);
	gh_fei_clear();
	gh_sim_reset_knobs();
	gh_write_file(GH_RSC_MGR_PARAMS "/rpc_timeout_ms", "%lld", self->rpc_timeout_ms);
	gh_unmap_regions(self->mem);
	if (self->devfd >= 0)
		close(self->devfd);
}

/* Take the VM as far as @kind says; the simulated RM's state is checked */
static void gh_td_bring_up(struct __test_metadata *_metadata, int vmfd, unsigned int vmid,
			   enum gh_td_vm kind)
{
	struct gh_sim_vm info = { 0 };
	unsigned int state = GH_RM_VM_LOAD;

	switch (kind) {
	case GH_TD_NEVER_STARTED:
		break;
	case GH_TD_STARTED:
		ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
		state = GH_RM_VM_RUNNING;
		break;
	case GH_TD_START_FAILED_READY:
		ASSERT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x", GH_TD_RM_NORESOURCE,
					 GH_RM_MSG_GET_HYP_RES));
		EXPECT_ERRNO(ENODEV, ioctl(vmfd, GUNYAH_VM_START, 0UL));
		state = GH_RM_VM_READY;
		break;
	case GH_TD_START_FAILED_INIT:
		ASSERT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x", GH_TD_RM_BUSY,
					 GH_RM_MSG_VM_INIT));
		EXPECT_ERRNO(EBUSY, ioctl(vmfd, GUNYAH_VM_START, 0UL));
		state = GH_RM_VM_INIT;
		break;
	}
	gh_sim_reset_knobs();
	ASSERT_EQ(0, gh_sim_vm_info(vmid, &info));
	ASSERT_EQ(state, info.state);
}

/* How often the driver retries a teardown call that failed transiently */
static long long gh_teardown_retries(void)
{
	return gh_read_ll(GH_RSC_MGR_PARAMS "/teardown_retries", -1);
}

/* Make the step fail as @variant says; the RM's fault count before, for gh_td_injected() */
static long long gh_td_arm(struct __test_metadata *_metadata,
			   const struct _fixture_variant_teardown *variant)
{
	__u32 msg_id = gh_td_steps[variant->step].msg_id;
	long long faults = gh_sim_counter("faults_injected");

	switch (variant->fault) {
	case GH_TDF_FI_ONCE:
		EXPECT_EQ(0, gh_fei_arm(gh_td_steps[variant->step].func, -EIO, 1));
		break;
	case GH_TDF_FI_ALWAYS:
		EXPECT_EQ(0, gh_fei_arm(gh_td_steps[variant->step].func, -EIO, GH_TD_FI_TIMES));
		break;
	case GH_TDF_RM_BUSY_ONCE:
		EXPECT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x", GH_TD_RM_BUSY, msg_id));
		break;
	case GH_TDF_RM_DENIED:
		EXPECT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x", GH_TD_RM_DENIED, msg_id));
		break;
	case GH_TDF_LOST_REPLY:
		/* The driver waits the RPC timeout for the lost reply: make it short */
		EXPECT_EQ(0, gh_write_file(GH_RSC_MGR_PARAMS "/rpc_timeout_ms", "%d",
					   GH_TD_LOST_TIMEOUT_MS));
		EXPECT_EQ(0, gh_sim_knob("rpc_lose_reply", "1 %#x", msg_id));
		break;
	}
	/* With fail_function: the simulator's rpc_fail knob is free for VM_GET_STATE */
	if (variant->state_denied)
		EXPECT_EQ(0, gh_sim_knob("rpc_fail", "1 %#x %#x 100", GH_TD_RM_DENIED,
					 GH_TD_MSG_GET_STATE));
	return faults;
}

/* How many calls of the step the fault hit */
static long long gh_td_injected(const struct _fixture_variant_teardown *variant,
				long long faults)
{
	switch (variant->fault) {
	case GH_TDF_FI_ONCE:
		return 1 - gh_fei_times();
	case GH_TDF_FI_ALWAYS:
		return GH_TD_FI_TIMES - gh_fei_times();
	default:
		return gh_sim_counter("faults_injected") - faults;
	}
}

/*
 * One teardown RPC fails: the close returns in bounded time, leaves behind exactly what the
 * variant says, logs the failure if the step had to succeed, and the next VM works.
 */
TEST_F_TIMEOUT(teardown, step_fails, 180)
{
	unsigned int handle[2] = { 0, 0 }, vmid, rounds = variant->rounds ? variant->rounds : 1;
	const char *what = gh_td_steps[variant->step].log;
	long long retries = gh_teardown_retries(), faults, injected, want_calls, t0, ms;
	unsigned int bound_s;
	struct gh_sim_parcel p = { 0 };
	struct gh_sim_vm info = { 0 };
	struct gh_snapshot before, want;
	bool shared = variant->vm != GH_TD_NEVER_STARTED;
	int err = variant->err, vmfd, kmsg, r;
	char msg[192];

	ASSERT_LE(0, retries);
	if (!err)
		err = variant->fault == GH_TDF_RM_DENIED ? -EPERM : -EIO;

	gh_snapshot_take(&before);
	ASSERT_NE(LLONG_MIN, before.pins);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_NE(0, vmid);
	ASSERT_EQ(0, gh_two_regions(vmfd, self->mem, GH_RW));
	gh_td_bring_up(_metadata, vmfd, vmid, variant->vm);

	/* The parcels this VM's START made (the newest of its VM id and label) */
	for (r = 0; shared && r < 2; r++) {
		ASSERT_EQ(0, gh_sim_find_parcel(vmid, r ? GH_R1_LABEL : 0, &p));
		handle[r] = p.handle;
	}

	faults = gh_td_arm(_metadata, variant);
	bound_s = (unsigned int)((2 * gh_status_timeout_ms() +
				  (4 + 8 * retries) * gh_rpc_timeout_ms()) / 1000 + 10);

	kmsg = gh_kmsg_open();
	EXPECT_LE(0, kmsg);
	gh_watchdog_arm(bound_s, "closing the VM");
	t0 = gh_now_ms();
	close(vmfd);
	ms = gh_now_ms() - t0;
	alarm(0);

	/*
	 * Whether the driver made the call for such a VM, and how often: once for a fault that
	 * hits once, 1 + teardown_retries times per round when every call fails
	 */
	injected = gh_td_injected(variant, faults);
	want_calls = variant->fault == GH_TDF_FI_ALWAYS && !variant->not_retried ?
		     rounds * (1 + retries) : 1;
	EXPECT_EQ(variant->used ? want_calls : 0, injected);
	if (variant->state_denied)
		EXPECT_EQ(3, gh_sim_counter("faults_injected") - faults);
	gh_fei_clear();
	gh_sim_reset_knobs();

	/* A failed step waits for nothing: no wait for a notification ran into its timeout */
	EXPECT_LT(ms, gh_status_timeout_ms());

	/* Exactly what the RM and the kernel keep */
	want = before;
	if (variant->vmid_state)
		want.vmids_live++;
	gh_add_regions(&want, variant->parcels, variant->pinned);
	gh_expect_released(_metadata, &want, true);

	if (variant->vmid_state) {
		/* The RM keeps the VM: the driver never asks again */
		EXPECT_EQ(0, gh_sim_vm_info(vmid, &info));
		EXPECT_EQ(variant->vmid_state, info.state);
		/* A VM that ran releases its parcels only when it is reset */
		EXPECT_EQ((variant->vmid_state == GH_RM_VM_RUNNING ||
			   variant->vmid_state == GH_TD_VM_EXITED) ? 2U : 0U, info.accepted);
	} else {
		EXPECT_EQ(-ENOENT, gh_sim_vm_info(vmid, &info));
	}
	for (r = 0; shared && r < 2; r++) {
		bool kept = gh_sim_parcel_exists(handle[r]);

		EXPECT_EQ(!!(variant->parcels & (1U << r)), kept)
			TH_LOG("region %d, parcel %#x", r, handle[r]);
	}

	/* The failure is logged if and only if the step had to succeed and did not */
	if (variant->logged && variant->step == GH_TD_RECLAIM)
		snprintf(msg, sizeof(msg), "VM %u: %s 0 (parcel %#x): %d; leaking its %d pages",
			 vmid, what, handle[0], err, GH_R0_PAGES);
	else if (variant->logged)
		snprintf(msg, sizeof(msg), "VM %u: %s: %d", vmid, what, err);
	else
		snprintf(msg, sizeof(msg), "VM %u: %s", vmid, what);
	EXPECT_EQ(variant->logged, gh_kmsg_find(kmsg, msg))
		TH_LOG("kernel log line \"%s\"", msg);
	if (kmsg >= 0)
		close(kmsg);

	gh_next_vm_works(_metadata, self->devfd, variant->vmid_state ? vmid : 0);
}

/* ---- lost notifications ---- */

/*
 * The RM stops the VM but both of its exit notifications (VM_STATUS(EXITED), VM_EXITED) are
 * lost: the teardown waits vm_status_timeout_ms for them, then asks the RM (VM_GET_STATE),
 * learns that the VM exited and goes on. Nothing is left behind and no error is logged.
 */
FIXTURE(lost) {
	int devfd;
	char *mem[2];
	long long status_timeout_ms;	/* to restore */
};

FIXTURE_SETUP(lost)
{
	self->devfd = -1;
	self->mem[0] = NULL;
	self->mem[1] = NULL;
	self->status_timeout_ms = gh_status_timeout_ms();
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(0, gh_map_regions(self->mem));
}

FIXTURE_TEARDOWN(lost)
{
	gh_sim_knob("rx_drop", "0");
	gh_write_file(GH_RSC_MGR_PARAMS "/vm_status_timeout_ms", "%lld", self->status_timeout_ms);
	gh_unmap_regions(self->mem);
	if (self->devfd >= 0)
		close(self->devfd);
}

TEST_F(lost, exit_notifications)
{
	long long faults, t0, ms;
	struct gh_sim_vm info = { 0 };
	struct gh_snapshot before;
	unsigned int vmid;
	int vmfd, kmsg;
	char msg[128];

	gh_snapshot_take(&before);
	vmfd = gh_create_vm_vmid(self->devfd, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_two_regions(vmfd, self->mem, GH_RW));
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_sim_vm_info(vmid, &info));
	ASSERT_EQ(GH_RM_VM_RUNNING, info.state);
	/* Let the start's notifications arrive before the knob is armed */
	usleep(200 * 1000);

	ASSERT_EQ(0, gh_write_file(GH_RSC_MGR_PARAMS "/vm_status_timeout_ms", "%d", 300));
	faults = gh_sim_counter("faults_injected");
	/* The first two RM-to-host fragments after this: VM_STOP's two notifications */
	ASSERT_EQ(0, gh_sim_knob("rx_drop", "2"));
	kmsg = gh_kmsg_open();
	t0 = gh_now_ms();
	EXPECT_EQ(0, close(vmfd));
	ms = gh_now_ms() - t0;

	EXPECT_EQ(2, gh_sim_counter("faults_injected") - faults);
	/* It waited for the notifications, then asked */
	EXPECT_LE(300, ms);
	gh_expect_released(_metadata, &before, true);
	EXPECT_EQ(-ENOENT, gh_sim_vm_info(vmid, &info));
	snprintf(msg, sizeof(msg), "VM %u: no exit notification", vmid);
	EXPECT_FALSE(gh_kmsg_find(kmsg, msg)) TH_LOG("kernel log line \"%s\"", msg);
	if (kmsg >= 0)
		close(kmsg);
}

/* ---- platform hooks ---- */

struct gh_hooks_label {
	unsigned int label;
	long long pre_share;
	long long pre_share_refused;
	long long pre_share_pages;
	long long post_reclaim;
	long long post_reclaim_refused;
	long long post_reclaim_pages;
};

/* GH_HOOKS_DIR/counts */
struct gh_hooks {
	long long pre_share;		/* calls, refused ones included */
	long long post_reclaim;
	long long pre_share_refused;
	long long post_reclaim_refused;
	long long bad_handle;
	long long other_ops_calls;
	long long label_overflow;
	int n_labels;
	struct gh_hooks_label labels[16];
};

static int gh_hooks_read(struct gh_hooks *h)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "pre_share", offsetof(struct gh_hooks, pre_share) },
		{ "post_reclaim", offsetof(struct gh_hooks, post_reclaim) },
		{ "pre_share_refused", offsetof(struct gh_hooks, pre_share_refused) },
		{ "post_reclaim_refused", offsetof(struct gh_hooks, post_reclaim_refused) },
		{ "bad_handle", offsetof(struct gh_hooks, bad_handle) },
		{ "other_ops_calls", offsetof(struct gh_hooks, other_ops_calls) },
		{ "label_overflow", offsetof(struct gh_hooks, label_overflow) },
	};
	struct gh_hooks_label *l;
	char line[512], key[64];
	long long val;
	size_t i;
	FILE *f;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		*(long long *)((char *)h + keys[i].off) = -1;
	f = fopen(GH_HOOKS_DIR "/counts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		l = &h->labels[h->n_labels];
		if (h->n_labels < 16 &&
		    sscanf(line,
			   "label %x pre_share %lld pre_share_refused %lld pre_share_pages %lld post_reclaim %lld post_reclaim_refused %lld post_reclaim_pages %lld",
			   &l->label, &l->pre_share, &l->pre_share_refused, &l->pre_share_pages,
			   &l->post_reclaim, &l->post_reclaim_refused,
			   &l->post_reclaim_pages) == 7) {
			h->n_labels++;
			continue;
		}
		if (sscanf(line, "%63s %lld", key, &val) != 2)
			continue;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcmp(key, keys[i].name))
				*(long long *)((char *)h + keys[i].off) = val;
	}
	fclose(f);
	return 0;
}

/* What the hooks saw of @label (all 0 if nothing) */
static struct gh_hooks_label gh_hooks_for(const struct gh_hooks *h, unsigned int label)
{
	struct gh_hooks_label none = { .label = label };
	int i;

	for (i = 0; i < h->n_labels; i++)
		if (h->labels[i].label == label)
			return h->labels[i];
	return none;
}

/* Write a file of GH_HOOKS_DIR: 0 or a negative errno */
static int gh_hooks_set(const char *file, const char *fmt, ...)
{
	char path[128], val[64];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(val))
		return -E2BIG;
	snprintf(path, sizeof(path), GH_HOOKS_DIR "/%s", file);
	return gh_write_file(path, "%s\n", val);
}

/* The module, loaded afresh: 0; -ENOENT if it is not installed; -EIO if it did not load */
static int gh_hooks_load(void)
{
	static const char *const rmmod[] = { "rmmod", GH_HOOKS_MOD, NULL };
	static const char *const modprobe[] = { "modprobe", GH_HOOKS_MOD, NULL };
	static const char *const dry_run[] = { "modprobe", "-n", "-q", GH_HOOKS_MOD, NULL };

	if (gh_module_loaded(GH_HOOKS_MOD) && gh_run(rmmod))
		return -EIO;
	if (!gh_run(modprobe))
		return 0;
	return gh_run(dry_run) ? -ENOENT : -EIO;
}

static int gh_hooks_unload(void)
{
	static const char *const rmmod[] = { "rmmod", GH_HOOKS_MOD, NULL };

	return gh_run(rmmod) ? -EIO : 0;
}

/* A VM with the usual two regions, the second with @flags1; its VM fd or -1 */
static int gh_hooks_vm(int devfd, char *const mem[2], __u32 flags1, unsigned int *vmid)
{
	int vmfd = gh_create_vm_vmid(devfd, vmid);

	if (vmfd < 0)
		return vmfd;
	if (gh_two_regions(vmfd, mem, flags1)) {
		close(vmfd);
		return -1;
	}
	return vmfd;
}

/* What the hooks promise whatever happens: handles as documented, refused ops never called */
static void gh_hooks_expect_sane(struct __test_metadata *_metadata, const struct gh_hooks *h)
{
	EXPECT_EQ(0, h->bad_handle);
	EXPECT_EQ(0, h->other_ops_calls);
	EXPECT_EQ(0, h->label_overflow);
}

/*
 * After a VM of gh_hooks_vm() is closed: post_mem_reclaim ran once, for the region not in @kept
 * (GH_R0 or GH_R1) only; nothing of the hooks went wrong; the region in @kept stays with the
 * RM, pinned and charged; everything else came back; and the next VM works.
 */
static void gh_hooks_expect_one_region_kept(struct __test_metadata *_metadata, int devfd,
					    const struct gh_snapshot *before, unsigned int kept)
{
	struct gh_snapshot want = *before;
	struct gh_hooks h;

	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(1, h.post_reclaim);
	EXPECT_EQ(kept == GH_R0 ? 0 : 1, gh_hooks_for(&h, 0).post_reclaim);
	EXPECT_EQ(kept == GH_R1 ? 0 : 1, gh_hooks_for(&h, GH_R1_LABEL).post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_add_regions(&want, kept, kept);
	gh_expect_released(_metadata, &want, true);
	gh_next_vm_works(_metadata, devfd, 0);
}

FIXTURE(hooks) {
	int devfd;
	char *mem[2];
	long long rpc_timeout_ms;	/* to restore: a lost reply lowers it */
};

FIXTURE_SETUP(hooks)
{
	int ret;

	self->devfd = -1;
	self->mem[0] = NULL;
	self->mem[1] = NULL;
	self->rpc_timeout_ms = -1;
	if (!gh_have_dev())
		SKIP(return, GH_DEV_PATH " is absent");
	ASSERT_TRUE(gh_have_sim());
	self->rpc_timeout_ms = gh_rpc_timeout_ms();
	ret = gh_hooks_load();
	if (ret == -ENOENT)
		SKIP(return, GH_HOOKS_MOD " is not installed");
	/* Its init checks that a second registration is refused: see the kernel log */
	ASSERT_EQ(0, ret) TH_LOG("modprobe " GH_HOOKS_MOD " failed");
	ASSERT_EQ(0, access(GH_HOOKS_DIR "/counts", R_OK));
	self->devfd = gh_open_dev();
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(0, gh_map_regions(self->mem));
}

FIXTURE_TEARDOWN(hooks)
{
	gh_fei_clear();
	gh_sim_reset_knobs();
	if (self->rpc_timeout_ms >= 0)
		gh_write_file(GH_RSC_MGR_PARAMS "/rpc_timeout_ms", "%lld", self->rpc_timeout_ms);
	gh_unmap_regions(self->mem);
	if (self->devfd >= 0)
		close(self->devfd);
	/* Unloading unregisters the ops */
	if (gh_module_loaded(GH_HOOKS_MOD))
		EXPECT_EQ(0, gh_hooks_unload());
}

/*
 * START passes each region to pre_mem_share (with its pages, handle not set yet); closing the
 * VM passes each to post_mem_reclaim; nothing is left behind. Shared and lent regions alike.
 */
TEST_F(hooks, share_and_reclaim_paired)
{
	struct gh_hooks_label l0, l1;
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	int vmfd;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW | GUNYAH_MEM_FORCE_LEND, &vmid);
	ASSERT_LE(0, vmfd);
	/* Adding memory gives the RM nothing yet */
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(0, h.pre_share);

	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(0, h.pre_share_refused);
	EXPECT_EQ(0, h.post_reclaim);
	l0 = gh_hooks_for(&h, 0);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(1, l0.pre_share);
	EXPECT_EQ(GH_R0_PAGES, l0.pre_share_pages);
	EXPECT_EQ(1, l1.pre_share);
	EXPECT_EQ(GH_R1_PAGES, l1.pre_share_pages);

	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(2, h.post_reclaim);
	EXPECT_EQ(0, h.post_reclaim_refused);
	l0 = gh_hooks_for(&h, 0);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(1, l0.post_reclaim);
	EXPECT_EQ(GH_R0_PAGES, l0.post_reclaim_pages);
	EXPECT_EQ(1, l1.post_reclaim);
	EXPECT_EQ(GH_R1_PAGES, l1.post_reclaim_pages);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

/*
 * pre_mem_share refuses the first region (-EPERM): START fails with EPERM, nothing reaches the
 * RM, the other region is not offered, nothing needs undoing and nothing is left behind.
 */
TEST_F(hooks, refused_first_region)
{
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	char msg[128];
	int vmfd, kmsg;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_hooks_set("fail_pre_share", "%d 0", -EPERM));
	kmsg = gh_kmsg_open();
	EXPECT_ERRNO(EPERM, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	snprintf(msg, sizeof(msg), "VM %u: the platform refused to give region 0 to the VM: %d",
		 vmid, -EPERM);
	EXPECT_TRUE(gh_kmsg_find(kmsg, msg)) TH_LOG("kernel log line \"%s\"", msg);
	close(kmsg);
	EXPECT_EQ(before.parcels_live, gh_sim_counter("parcels_live"));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(1, h.pre_share);
	EXPECT_EQ(1, h.pre_share_refused);
	EXPECT_EQ(0, h.post_reclaim);
	EXPECT_EQ(0, gh_hooks_for(&h, 0).pre_share_pages);

	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(1, h.pre_share);
	EXPECT_EQ(0, h.post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

/*
 * pre_mem_share refuses the second region: START fails with EPERM; the first region, shared
 * already, stays with the RM until the teardown reclaims it and hands it to post_mem_reclaim,
 * which thus undoes the pre_mem_share that succeeded. The refused region gets no
 * post_mem_reclaim. Nothing is left behind.
 */
TEST_F(hooks, refused_second_region_first_undone)
{
	struct gh_hooks_label l0, l1;
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	int vmfd;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_hooks_set("fail_pre_share", "%d %#x", -EPERM, GH_R1_LABEL));
	EXPECT_ERRNO(EPERM, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	EXPECT_EQ(before.parcels_live + 1, gh_sim_counter("parcels_live"));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(1, h.pre_share_refused);
	EXPECT_EQ(0, h.post_reclaim);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(1, l1.pre_share_refused);
	EXPECT_EQ(0, l1.pre_share_pages);

	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(1, h.post_reclaim);
	l0 = gh_hooks_for(&h, 0);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(l0.pre_share_pages, l0.post_reclaim_pages);
	EXPECT_EQ(1, l0.post_reclaim);
	EXPECT_EQ(0, l1.post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

/* A hook that returns a positive value fails START with EINVAL (never a positive ioctl return) */
TEST_F(hooks, positive_return_is_einval)
{
	struct gh_snapshot before;
	unsigned int vmid;
	int vmfd;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_hooks_set("fail_pre_share", "1"));
	EXPECT_ERRNO(EINVAL, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	gh_expect_released(_metadata, &before, true);
}

/*
 * The RM refuses the second share (DENIED): START fails with EPERM and post_mem_reclaim undoes
 * that region's pre_mem_share at once, before the VM is closed; the teardown reclaims the first.
 */
TEST_F(hooks, failed_share_undone_at_once)
{
	struct gh_hooks_label l0, l1;
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	long long faults;
	int vmfd;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	faults = gh_sim_counter("faults_injected");
	ASSERT_EQ(0, gh_sim_knob("rpc_fail", "2 %#x %#x", GH_TD_RM_DENIED, GH_RM_MSG_MEM_SHARE));
	EXPECT_ERRNO(EPERM, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	gh_sim_reset_knobs();
	EXPECT_EQ(faults + 1, gh_sim_counter("faults_injected"));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(0, h.pre_share_refused);
	EXPECT_EQ(1, h.post_reclaim);
	l0 = gh_hooks_for(&h, 0);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(0, l0.post_reclaim);
	EXPECT_EQ(1, l1.post_reclaim);
	EXPECT_EQ(GH_R1_PAGES, l1.post_reclaim_pages);

	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.post_reclaim);
	EXPECT_EQ(1, gh_hooks_for(&h, 0).post_reclaim);
	EXPECT_EQ(1, gh_hooks_for(&h, GH_R1_LABEL).post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

/*
 * post_mem_reclaim fails for one region at teardown: the RM has the parcel back (VM id,
 * parcels, shared pages all come back), but the region's pages, in a state the platform could
 * not undo, stay pinned and charged for good (DOC: Guest memory). The other region is released.
 */
TEST_F(hooks, failed_post_reclaim_leaks_region)
{
	struct gh_snapshot before, want;
	struct gh_hooks_label l1;
	struct gh_hooks h;
	unsigned int vmid;
	char msg[160];
	int vmfd, kmsg;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_hooks_set("fail_post_reclaim", "%d %#x", -EIO, GH_R1_LABEL));
	kmsg = gh_kmsg_open();
	close(vmfd);
	snprintf(msg, sizeof(msg),
		 "VM %u: the platform failed to take region %u back: %d; leaking its %d pages",
		 vmid, GH_R1_LABEL, -EIO, GH_R1_PAGES);
	EXPECT_TRUE(gh_kmsg_find(kmsg, msg)) TH_LOG("kernel log line \"%s\"", msg);
	close(kmsg);

	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.post_reclaim);
	EXPECT_EQ(1, h.post_reclaim_refused);
	l1 = gh_hooks_for(&h, GH_R1_LABEL);
	EXPECT_EQ(1, l1.post_reclaim_refused);
	EXPECT_EQ(GH_R0_PAGES, gh_hooks_for(&h, 0).post_reclaim_pages);
	gh_hooks_expect_sane(_metadata, &h);
	want = before;
	gh_add_regions(&want, 0, GH_R1);
	gh_expect_released(_metadata, &want, true);

	ASSERT_EQ(0, gh_hooks_set("fail_post_reclaim", "0"));
	gh_next_vm_works(_metadata, self->devfd, 0);
}

/*
 * The share fails and so does post_mem_reclaim undoing its pre_mem_share: START fails with
 * EPERM, the region's pages are leaked (pinned and charged for good), the other region is
 * released at teardown.
 */
TEST_F(hooks, failed_undo_leaks_region)
{
	struct gh_snapshot before, want;
	struct gh_hooks h;
	unsigned int vmid;
	char msg[160];
	int vmfd, kmsg;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, gh_hooks_set("fail_post_reclaim", "%d %#x", -EIO, GH_R1_LABEL));
	ASSERT_EQ(0, gh_sim_knob("rpc_fail", "2 %#x %#x", GH_TD_RM_DENIED, GH_RM_MSG_MEM_SHARE));
	kmsg = gh_kmsg_open();
	EXPECT_ERRNO(EPERM, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	gh_sim_reset_knobs();
	snprintf(msg, sizeof(msg),
		 "VM %u: the platform failed to take region %u back; its pages will be leaked",
		 vmid, GH_R1_LABEL);
	EXPECT_TRUE(gh_kmsg_find(kmsg, msg)) TH_LOG("kernel log line \"%s\"", msg);
	close(kmsg);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(1, h.post_reclaim);
	EXPECT_EQ(1, h.post_reclaim_refused);

	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.post_reclaim);
	EXPECT_EQ(GH_R0_PAGES, gh_hooks_for(&h, 0).post_reclaim_pages);
	gh_hooks_expect_sane(_metadata, &h);
	want = before;
	gh_add_regions(&want, 0, GH_R1);
	gh_expect_released(_metadata, &want, true);

	ASSERT_EQ(0, gh_hooks_set("fail_post_reclaim", "0"));
	gh_next_vm_works(_metadata, self->devfd, 0);
}

/*
 * The RM makes the second region's parcel but its reply is lost: START fails with ETIMEDOUT.
 * The RM may hold a parcel the driver has no handle for (here it does), so the region is
 * leaked at once: no post_mem_reclaim undoes its pre_mem_share, now or at teardown, and its
 * pages stay pinned and charged for good, the parcel in the RM. The first region is released
 * at teardown as usual, and the next VM works.
 */
TEST_F(hooks, lost_share_reply_leaks_region)
{
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	long long faults;
	char msg[160];
	int vmfd, kmsg;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	faults = gh_sim_counter("faults_injected");
	ASSERT_EQ(0, gh_write_file(GH_RSC_MGR_PARAMS "/rpc_timeout_ms", "%d",
				   GH_TD_LOST_TIMEOUT_MS));
	ASSERT_EQ(0, gh_sim_knob("rpc_lose_reply", "2 %#x", GH_RM_MSG_MEM_SHARE));
	kmsg = gh_kmsg_open();
	EXPECT_ERRNO(ETIMEDOUT, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	gh_sim_reset_knobs();
	EXPECT_EQ(faults + 1, gh_sim_counter("faults_injected"));
	snprintf(msg, sizeof(msg),
		 "VM %u: no answer to the share of region %u; leaking its %d pages", vmid,
		 GH_R1_LABEL, GH_R1_PAGES);
	EXPECT_TRUE(gh_kmsg_find(kmsg, msg)) TH_LOG("kernel log line \"%s\"", msg);
	close(kmsg);
	EXPECT_EQ(before.parcels_live + 2, gh_sim_counter("parcels_live"));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(0, h.post_reclaim);

	close(vmfd);
	gh_hooks_expect_one_region_kept(_metadata, self->devfd, &before, GH_R1);
}

/*
 * A parcel the RM does not give back never reaches post_mem_reclaim (the platform keeps it as
 * given, consistent with the pages being leaked); the other region does.
 */
TEST_F(hooks, failed_reclaim_skips_post_reclaim)
{
	struct gh_snapshot before;
	unsigned int vmid;
	int vmfd;

	if (!gh_fei_available())
		SKIP(return, "no fail_function in debugfs");
	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	/* -EINVAL: the RM's answer, not retried (a transient error would be) */
	ASSERT_EQ(0, gh_fei_arm("gunyah_rm_mem_reclaim", -EINVAL, 1));
	close(vmfd);
	EXPECT_EQ(0, gh_fei_times());
	gh_fei_clear();

	gh_hooks_expect_one_region_kept(_metadata, self->devfd, &before, GH_R0);
}

/*
 * Only one set of ops: registering them again is -EEXIST. Once unregistered, the ops are not
 * called, not even for a parcel they saw shared (<gunyah/platform_hooks.h>: "a parcel shared
 * under ops that are unregistered before it is reclaimed gets none"); registered again, they
 * are called for new VMs.
 */
TEST_F(hooks, unregistered_ops_not_called)
{
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	int vmfd;

	EXPECT_EQ(-EEXIST, gh_hooks_set("registered", "1"));
	EXPECT_EQ(1, gh_read_ll(GH_HOOKS_DIR "/registered", -1));

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_hooks_set("registered", "0"));
	EXPECT_EQ(0, gh_read_ll(GH_HOOKS_DIR "/registered", -1));
	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(0, h.post_reclaim);
	gh_expect_released(_metadata, &before, true);

	/* A whole VM life without ops: the counts do not move */
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(0, h.post_reclaim);
	gh_expect_released(_metadata, &before, true);

	ASSERT_EQ(0, gh_hooks_set("registered", "1"));
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(4, h.pre_share);
	EXPECT_EQ(2, h.post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

/*
 * <gunyah/platform_hooks.h>: "A parcel shared while no ops (or other ops) were registered gets
 * no @post_mem_reclaim call from ops registered later". vm_mgr_mem.c calls whatever ops are
 * registered at reclaim time and does not record which ops (if any) saw the share, so this
 * checks the documented contract against that code.
 */
TEST_F(hooks, late_registration_gets_no_post_reclaim)
{
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	int vmfd;

	ASSERT_EQ(0, gh_hooks_set("registered", "0"));
	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_hooks_set("registered", "1"));
	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(0, h.pre_share);
	EXPECT_EQ(0, h.post_reclaim);
	gh_expect_released(_metadata, &before, true);
}

/*
 * The module can go while a VM holds memory it saw shared (no module reference is taken):
 * unloading unregisters the ops, so closing the VM calls nothing of the module (a call would
 * oops), and VMs work without hooks afterwards.
 */
TEST_F(hooks, rmmod_with_live_vm)
{
	struct gh_snapshot before;
	struct gh_hooks h;
	unsigned int vmid;
	int vmfd;

	gh_snapshot_take(&before);
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);

	ASSERT_EQ(0, gh_hooks_unload());
	EXPECT_FALSE(gh_module_loaded(GH_HOOKS_MOD));
	EXPECT_NE(0, access(GH_HOOKS_DIR, F_OK));
	close(vmfd);
	gh_expect_released(_metadata, &before, true);
	gh_next_vm_works(_metadata, self->devfd, 0);

	/* Loaded again: fresh counts, and a VM's life is counted from its start */
	ASSERT_EQ(0, gh_hooks_load());
	vmfd = gh_hooks_vm(self->devfd, self->mem, GH_RW, &vmid);
	ASSERT_LE(0, vmfd);
	ASSERT_EQ(0, ioctl(vmfd, GUNYAH_VM_START, 0UL));
	close(vmfd);
	ASSERT_EQ(0, gh_hooks_read(&h));
	EXPECT_EQ(2, h.pre_share);
	EXPECT_EQ(2, h.post_reclaim);
	gh_hooks_expect_sane(_metadata, &h);
	gh_expect_released(_metadata, &before, true);
}

TEST_HARNESS_MAIN
