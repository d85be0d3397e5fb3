// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: giving memory to a VM, GUNYAH_VM_SET_USER_MEM_REGION + GUNYAH_VM_START, for
 * 64 MiB, 256 MiB and 1 GiB, contiguous and fragmented (Documentation/benchmarks.rst).
 *
 * Layouts, anonymous private memory faulted in before the rounds:
 *
 *   contig  the pages touched in address order: the page allocator hands them out in long
 *           physically contiguous runs. How long is measured, not assumed (entries=).
 *   frag    the pages touched in a random order: next to no two neighbours are physically
 *           contiguous, one memory entry per page, the worst case for a parcel.
 *
 * The physical layout is read from /proc/self/pagemap while the region is pinned.
 *
 * Each round makes a VM with a 64 KiB region for its configuration (label 0, the image
 * parcel), times SET_USER_MEM_REGION of the measured region (label 1) and START, which shares
 * both regions with the RM and then has the RM build and start the VM, and destroys the VM
 * again, untimed. Rows:
 *
 *   mem_share <layout>-<size>
 *	SET_USER_MEM_REGION + START over pinning the same memory alone: pin_user_pages_fast()
 *	with the driver's flags and batches, in the kernel (gunyah_bench.ko, on a VM of its own),
 *	in the same round. Target 1.5. START's fixed part (the configuration region,
 *	VM_CONFIG_IMAGE, VM_INIT, GET_HYP_RESOURCES, VM_START) is in: the VMM waits for it too.
 *	set_ns and start_ns split the median; rm_ns is the simulated RM's share of it.
 *   mem_share_host <layout>-<size>
 *	The same, without the time the simulated RM's thread spent on the messages (the
 *	simulator's rm_cycles counter, in the same ticks): what the host itself spends, over the
 *	same floor. No target: the target is mem_share's. Needs a guest with one CPU,
 *	where the host and the RM thread take turns, so that the RM's time is part of the
 *	host's wall-clock time and can be subtracted from it.
 *   mem_msgs <layout>-<size>
 *	The RM's memory messages for the two regions (MEM_SHARE and MEM_APPEND, as the simulator
 *	counts them) over the fewest their physical layout allows: per region, one message per
 *	512 memory entries (GUNYAH_RM_MAX_MEM_ENTRIES), an entry being a physically contiguous
 *	run of pages as pagemap shows them. Target 1. entries= is the measured region's runs,
 *	parcel_entries= the entries the driver sent for it (the simulator's record),
 *	rm_requests= every RM request of SET_USER_MEM_REGION + START.
 */

#include <fcntl.h>
#include <sys/mman.h>

#include "bench_util.h"

#define ROUNDS		5	/* reported; one warm-up round more */
#define N_SIZES		3
#define MEM_LABEL	1
#define MEM_GPA		(GHV_BASE + 0x100000000ULL)
#define ENTRIES_PER_MSG	512	/* GUNYAH_RM_MAX_MEM_ENTRIES */
#define PAGEMAP_CHUNK	65536	/* pagemap entries read at once */

static const struct {
	const char *name;
	size_t size;
} sizes[N_SIZES] = {
	{ "64M", 64UL << 20 },
	{ "256M", 256UL << 20 },
	{ "1G", 1UL << 30 },
};

static size_t page_size;

/**
 * struct mem_round - what one round of the workload saw
 * @set: ticks of SET_USER_MEM_REGION
 * @start: ticks of START
 * @msgs: memory messages (MEM_SHARE + MEM_APPEND), -1 without the simulator's counters
 * @requests: RM requests, -1 without the simulator's counters
 * @rm: ticks the simulated RM's thread spent on SET_USER_MEM_REGION + START, -1 without the
 *      simulator's counters
 * @min_msgs: the fewest memory messages the layout allows
 * @runs: physically contiguous runs of the measured region
 * @parcel_entries: memory entries the driver sent for it, -1 if unknown
 */
struct mem_round {
	__u64 set;
	__u64 start;
	long long msgs;
	long long requests;
	long long rm;
	long min_msgs;
	long runs;
	long parcel_entries;
};

/* Physically contiguous runs of pages in [@addr, @addr + @size), or -errno */
static long mem_runs(const void *addr, size_t size)
{
	static __u64 buf[PAGEMAP_CHUNK];
	size_t n = size / page_size, done = 0, i, chunk;
	off_t off = (off_t)((uintptr_t)addr / page_size * sizeof(__u64));
	__u64 pfn, prev = 0;
	long runs = 0, ret = 0;
	ssize_t got;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (!ret && done < n) {
		chunk = n - done < PAGEMAP_CHUNK ? n - done : PAGEMAP_CHUNK;
		got = pread(fd, buf, chunk * sizeof(__u64), off + done * sizeof(__u64));
		if (got != (ssize_t)(chunk * sizeof(__u64))) {
			ret = got < 0 ? -errno : -EIO;
			break;
		}
		for (i = 0; i < chunk; i++) {
			pfn = buf[i] & ((1ULL << 55) - 1);
			if (!(buf[i] >> 63)) {
				ret = -EFAULT;	/* not present */
				break;
			}
			if (!pfn) {
				ret = -EPERM;	/* PFNs hidden: not CAP_SYS_ADMIN */
				break;
			}
			if (!runs || pfn != prev + 1)
				runs++;
			prev = pfn;
		}
		done += chunk;
	}
	close(fd);
	return ret ? ret : runs;
}

/* The memory entries of the simulator's parcel with label MEM_LABEL, or -1 */
static long mem_parcel_entries(void)
{
	FILE *f = fopen(GHV_SIM_DIR "/parcels", "re");
	char line[512], *e;
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		e = strstr(line, " entries=");
		if (strstr(line, " label=0x1 ") && e)
			n = strtol(e + strlen(" entries="), NULL, 10);
	}
	fclose(f);
	return n;
}

static long long mem_counter(const char *name)
{
	return ghv_sim_counter(name);
}

/* Fault every page in, in address order or in a random one */
static int mem_touch(char *mem, size_t size, bool frag)
{
	size_t n = size / page_size, i;

	if (frag)
		return ghv_touch_shuffled(mem, n, page_size);
	for (i = 0; i < n; i++)
		mem[i * page_size] = 1;
	return 0;
}

/* One round of the workload on a new VM, destroyed again; 0 or -errno */
static int mem_workload(void *mem, size_t size, struct mem_round *out)
{
	long long msgs0, reqs0, rm0;
	__u64 t0, t1, t2;
	struct ghv_vm vm;
	long runs0;
	int ret;

	ret = ghv_vm_create(&vm, GHV_MEM_SIZE);
	if (!ret)
		ret = ghv_vm_configure(&vm, 1, NULL, 0);
	if (ret)
		goto out;
	ghv_power_off(&vm.prog, GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT, 0, 4);

	msgs0 = mem_counter("parcels_total") + mem_counter("mem_append_msgs");
	reqs0 = mem_counter("rm_requests");
	rm0 = mem_counter("rm_cycles");
	t0 = bench_ticks();
	ret = ghv_set_mem(vm.vmfd, MEM_LABEL, GHV_RWX, MEM_GPA, size, mem);
	t1 = bench_ticks();
	if (!ret)
		ret = ghv_vm_start(&vm);
	t2 = bench_ticks();
	if (ret)
		goto out;
	out->set = t1 - t0;
	out->start = t2 - t1;
	out->msgs = -1;
	out->requests = -1;
	out->rm = -1;
	if (reqs0 >= 0) {
		out->msgs = mem_counter("parcels_total") + mem_counter("mem_append_msgs") - msgs0;
		out->requests = mem_counter("rm_requests") - reqs0;
	}
	if (rm0 >= 0)
		out->rm = mem_counter("rm_cycles") - rm0;

	/* The regions are pinned now: their pages stay where they are */
	runs0 = mem_runs(vm.mem, GHV_MEM_SIZE);
	out->runs = mem_runs(mem, size);
	if (runs0 < 0 || out->runs < 0) {
		ret = runs0 < 0 ? runs0 : out->runs;
		goto out;
	}
	out->min_msgs = (runs0 + ENTRIES_PER_MSG - 1) / ENTRIES_PER_MSG +
			(out->runs + ENTRIES_PER_MSG - 1) / ENTRIES_PER_MSG;
	out->parcel_entries = mem_parcel_entries();
out:
	ghv_vm_destroy(&vm);
	return ret;
}

/* Pin the region in the kernel, as the driver does, on @helper: the ticks, or 0 */
static int mem_floor(int helper, void *mem, size_t size, __u64 *ticks)
{
	struct gunyah_bench_arg arg = {
		.op = GUNYAH_BENCH_OP_PIN,
		.rounds = 1,
		.iters = 1,
		.addr = (__u64)(uintptr_t)mem,
		.len = size,
	};
	__u64 res[2] = { 0 };
	int ret;

	ret = bench_kernel(helper, &arg, res);
	*ticks = res[1];
	return ret;
}

static void mem_case(int helper, const char *layout, bool frag, unsigned int s)
{
	size_t size = sizes[s].size;
	double set[ROUNDS], start[ROUNDS], runs[ROUNDS], entries[ROUNDS], reqs[ROUNDS], rm[ROUNDS];
	struct bench_row share = { 0 }, host = { 0 }, msgs = { 0 };
	bool one_cpu = sysconf(_SC_NPROCESSORS_ONLN) == 1;
	char param[32], extra[192];
	struct mem_round mr;
	const char *err = "setup";
	__u64 pin = 0;
	unsigned int r;
	bool counted = true, timed = true;
	void *mem;
	int ret;

	snprintf(param, sizeof(param), "%s-%s", layout, sizes[s].name);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		bench_error("mem_share", param, "mmap: %s", strerror(errno));
		bench_error("mem_share_host", param, "mmap: %s", strerror(errno));
		bench_error("mem_msgs", param, "mmap: %s", strerror(errno));
		return;
	}
	/* Keep transparent huge pages (if the kernel has them) out of the fragmented layout */
	if (frag)
		madvise(mem, size, MADV_NOHUGEPAGE);
	ret = mem_touch(mem, size, frag);
	if (ret)
		err = "touching the memory";

	for (r = 0; !ret && r <= ROUNDS; r++) {
		memset(&mr, 0, sizeof(mr));
		if (r & 1) {
			err = "pinning (floor)";
			ret = mem_floor(helper, mem, size, &pin);
			if (!ret) {
				err = "SET_USER_MEM_REGION + START";
				ret = mem_workload(mem, size, &mr);
			}
		} else {
			err = "SET_USER_MEM_REGION + START";
			ret = mem_workload(mem, size, &mr);
			if (!ret) {
				err = "pinning (floor)";
				ret = mem_floor(helper, mem, size, &pin);
			}
		}
		if (ret || !r)	/* round 0 warms up */
			continue;
		bench_row_add(&share, (double)(mr.set + mr.start), (double)pin);
		bench_row_add(&host, (double)(mr.set + mr.start) - (double)mr.rm, (double)pin);
		bench_row_add(&msgs, (double)mr.msgs, (double)mr.min_msgs);
		counted &= mr.msgs >= 0;
		timed &= mr.rm >= 0 && mr.rm < (long long)(mr.set + mr.start);
		rm[r - 1] = mr.rm;
		set[r - 1] = mr.set;
		start[r - 1] = mr.start;
		runs[r - 1] = mr.runs;
		entries[r - 1] = mr.parcel_entries;
		reqs[r - 1] = mr.requests;
	}
	munmap(mem, size);

	if (ret) {
		bench_error("mem_share", param, "%s: %s", err, strerror(-ret));
		bench_error("mem_share_host", param, "%s: %s", err, strerror(-ret));
		bench_error("mem_msgs", param, "%s: %s", err, strerror(-ret));
		return;
	}
	snprintf(extra, sizeof(extra),
		 "set_ns=%.0f start_ns=%.0f rm_ns=%.0f pages=%zu entries=%.0f",
		 bench_to_ns(bench_median(set, ROUNDS)), bench_to_ns(bench_median(start, ROUNDS)),
		 timed ? bench_to_ns(bench_median(rm, ROUNDS)) : -1.0, size / page_size,
		 bench_median(runs, ROUNDS));
	bench_row_print("mem_share", param, &share, true, "1.5", extra);
	if (!one_cpu)
		bench_error("mem_share_host", param,
			    "needs a guest with one CPU (the RM thread's time is subtracted)");
	else if (!timed)
		bench_error("mem_share_host", param,
			    "no valid rm_cycles from the simulator to subtract");
	else
		bench_row_print("mem_share_host", param, &host, true, "-", "");
	if (!counted) {
		bench_error("mem_msgs", param, "no simulator counters to count RM messages with");
		return;
	}
	snprintf(extra, sizeof(extra), "entries=%.0f parcel_entries=%.0f rm_requests=%.0f",
		 bench_median(runs, ROUNDS), bench_median(entries, ROUNDS),
		 bench_median(reqs, ROUNDS));
	bench_row_print("mem_msgs", param, &msgs, false, "1", extra);
}

int main(void)
{
	static const char *const layouts[] = { "contig", "frag" };
	struct ghv_vm helper;
	char param[32];
	unsigned int l, s;
	int ret;

	page_size = sysconf(_SC_PAGESIZE);
	for (l = 0; l < 2; l++) {
		for (s = 0; s < N_SIZES; s++) {
			snprintf(param, sizeof(param), "%s-%s", layouts[l], sizes[s].name);
			bench_plan("mem_share", param);
			bench_plan("mem_share_host", param);
			bench_plan("mem_msgs", param);
		}
	}

	ghv_vm_init(&helper);
	ret = bench_init();
	if (!ret)
		ret = bench_bare_vm(&helper);
	for (l = 0; l < 2; l++) {
		for (s = 0; s < N_SIZES; s++) {
			if (ret) {
				snprintf(param, sizeof(param), "%s-%s", layouts[l], sizes[s].name);
				bench_error("mem_share", param, "setup failed: %s", strerror(-ret));
				bench_error("mem_share_host", param, "setup failed: %s",
					    strerror(-ret));
				bench_error("mem_msgs", param, "setup failed: %s", strerror(-ret));
				continue;
			}
			mem_case(helper.vmfd, layouts[l], l == 1, s);
		}
	}
	ghv_vm_destroy(&helper);
	return ret ? 1 : 0;
}
