/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark programs of `make bench` share (Documentation/benchmarks.rst): the cycle
 * counter and its calibration, the statistics over rounds, the lines scripts/bench-report.py
 * reads, and the in-kernel measurements of gunyah_bench.ko (<gunyah_bench.h>).
 *
 * Output, one RESULT line per row of the table, after a PLAN line for every row the program
 * will produce (printed before anything is measured, so that a row that never comes is
 * reported as missing instead of silently dropped):
 *
 *   PLAN <workload> <param>
 *   RESULT <workload> <param> median=<m> floor=<f> unit=<ns|msgs> ratio=<r> spread=<lo>..<hi>
 *          target=<t|-> rounds=<n> [<key>=<value>...]
 *   RESULT <workload> <param> error=<what went wrong>
 *   NOTE <text>
 *
 * (one line each). median is the median over the rounds of the workload's cost per operation,
 * floor the median of the floor's. Floor and workload are measured back to back in every round,
 * and ratio is the median over the rounds of workload / floor of the same round: a slow
 * moment of the shared host machine slows both and cancels out. spread is the 10th and 90th
 * percentile of those per-round ratios (nearest rank: with 5 rounds, the minimum and the
 * maximum). target is the largest acceptable ratio, "-" for a row that only shows how a cost
 * grows. Extra key=value pairs are details for the raw log.
 *
 * Times come from the CPU's cycle counter (RDTSC), the counter gunyah_bench.ko reads in the
 * kernel: under QEMU TCG the guest's clocksource is only as fine as the timer tick, the cycle
 * counter follows the host's. Ratios are ratios of ticks; ticks become nanoseconds for display
 * only, through a calibration against CLOCK_MONOTONIC over one second.
 *
 * The process runs on CPU 0 only, so that every tick difference is read on one CPU.
 */
#ifndef _GUNYAH_BENCH_UTIL_H
#define _GUNYAH_BENCH_UTIL_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <linux/gunyah.h>

#include "gunyah_bench.h"
#include "gunyah_vm_util.h"

#define BENCH_MAX_ROUNDS	GUNYAH_BENCH_MAX_ROUNDS

/* An ioctl number the VM fd does not take: the no-op ioctl of the floors (ENOTTY) */
#define BENCH_NOOP_IOCTL	_IO(GUNYAH_IOCTL_TYPE, 0xff)

static double bench_ticks_per_ns;

static inline __u64 bench_ticks(void)
{
	return __builtin_ia32_rdtsc();
}

static inline double bench_to_ns(double ticks)
{
	return ticks / bench_ticks_per_ns;
}

/* The workload of a row */
static inline void bench_plan(const char *workload, const char *param)
{
	printf("PLAN %s %s\n", workload, param);
	fflush(stdout);
}

static inline void bench_note(const char *fmt, ...)
{
	va_list ap;

	printf("NOTE ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* A row that could not be measured: reported as an error, never left out */
static inline void bench_error(const char *workload, const char *param, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT %s %s error=", workload, param);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/**
 * struct bench_row - the rounds of one row
 * @work: the workload's cost per operation, per round (ticks, or a count)
 * @floor: the floor's, per round
 * @n: rounds recorded
 * @failed: something failed; the row prints as an error
 */
struct bench_row {
	double work[BENCH_MAX_ROUNDS];
	double floor[BENCH_MAX_ROUNDS];
	int n;
	bool failed;
};

static inline void bench_row_add(struct bench_row *row, double work, double floor)
{
	if (row->n < BENCH_MAX_ROUNDS) {
		row->work[row->n] = work;
		row->floor[row->n] = floor;
		row->n++;
	}
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The value of nearest rank ceil(p * n) (1-based) of @v, @n > 0; sorts @v */
static inline double bench_rank(double *v, int n, double p)
{
	int k = (int)(p * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[k - 1];
}

static inline double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * bench_row_print() - print a row's RESULT line
 * @workload: the workload's name
 * @param: the parameter (the scale it ran at)
 * @row: its rounds
 * @ns: the values are ticks, printed in nanoseconds; else counts ("msgs")
 * @target: the largest acceptable ratio, or "-"
 * @extra: more key=value pairs, or ""
 */
static inline void bench_row_print(const char *workload, const char *param,
				   const struct bench_row *row, bool ns, const char *target,
				   const char *extra)
{
	double ratio[BENCH_MAX_ROUNDS], med, flo;
	int i;

	if (row->failed || !row->n) {
		if (!row->failed)
			bench_error(workload, param, "no rounds");
		return;
	}
	for (i = 0; i < row->n; i++) {
		if (row->floor[i] <= 0) {
			bench_error(workload, param, "floor of round %d is %g", i, row->floor[i]);
			return;
		}
		ratio[i] = row->work[i] / row->floor[i];
	}
	med = bench_median(row->work, row->n);
	flo = bench_median(row->floor, row->n);
	if (ns) {
		med = bench_to_ns(med);
		flo = bench_to_ns(flo);
	}
	printf("RESULT %s %s median=%.1f floor=%.1f unit=%s ratio=%.3f spread=", workload, param,
	       med, flo, ns ? "ns" : "msgs", bench_median(ratio, row->n));
	printf("%.3f..%.3f target=%s rounds=%d%s%s\n", bench_rank(ratio, row->n, 0.1),
	       bench_rank(ratio, row->n, 0.9), target, row->n, *extra ? " " : "", extra);
	fflush(stdout);
}

/*
 * A growth row: the workload of @big over the workload of @small, round by round (both
 * measured in the same rounds). Its floor is @small's workload.
 */
static inline void bench_scale_print(const char *workload, const char *param,
				     const struct bench_row *big, const struct bench_row *small,
				     const char *target)
{
	struct bench_row row = { .failed = big->failed || small->failed };
	int i;

	for (i = 0; i < big->n && i < small->n; i++)
		bench_row_add(&row, big->work[i], small->work[i]);
	if (row.failed)
		bench_error(workload, param, "a row it compares failed");
	else
		bench_row_print(workload, param, &row, true, target, "");
}

/* Calibrate the cycle counter against CLOCK_MONOTONIC over about a second */
static inline int bench_calibrate(void)
{
	struct timespec t0, t1;
	__u64 c0, c1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = bench_ticks();
	ghv_sleep_ms(1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c1 = bench_ticks();
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	if (ns <= 0 || c1 <= c0)
		return -EIO;
	bench_ticks_per_ns = (c1 - c0) / ns;
	bench_note("calibration: %.4f cycle counter ticks per ns over %.0f ms",
		   bench_ticks_per_ns, ns / 1e6);
	return 0;
}

/*
 * Run on CPU 0 only, allow many fds (the scaled workloads keep up to a few thousand eventfds
 * open) and unlimited locked memory, then calibrate. Prints a NOTE for what failed.
 */
static inline int bench_init(void)
{
	struct rlimit nofile = { 16384, 16384 };
	struct rlimit memlock = { RLIM_INFINITY, RLIM_INFINITY };
	cpu_set_t cpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		bench_note("cannot run on CPU 0 alone: %s", strerror(errno));
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		bench_note("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
	if (setrlimit(RLIMIT_MEMLOCK, &memlock))
		bench_note("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));
	if (!ghv_have_dev()) {
		bench_note("no %s: is gunyah_rsc_mgr loaded?", GHV_DEV_PATH);
		return -ENODEV;
	}
	return bench_calibrate();
}

/*
 * One in-kernel measurement (GUNYAH_BENCH_FN_TYPE on @vmfd), then the instance it leaves is
 * removed. @res gets 2 * @arg->rounds values (see struct gunyah_bench_arg). 0 or -errno.
 */
static inline int bench_kernel(int vmfd, struct gunyah_bench_arg *arg, __u64 *res)
{
	int ret;

	arg->results = (__u64)(uintptr_t)res;
	ret = ghv_fn(vmfd, true, GUNYAH_BENCH_FN_TYPE, arg, sizeof(*arg));
	if (ret < 0)
		return ret;
	ret = ghv_fn(vmfd, false, GUNYAH_BENCH_FN_TYPE, NULL, 0);
	return ret < 0 ? ret : 0;
}

/* A VM fd with no memory and nothing else, for measurements that only need a VM or its RM */
static inline int bench_bare_vm(struct ghv_vm *vm)
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
	return 0;
}

#endif /* _GUNYAH_BENCH_UTIL_H */
