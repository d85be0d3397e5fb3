/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark function of gunyah_bench.ko (c/tests/bench_mod.c), shared with the benchmark
 * programs in tests/bench/ (make bench, Documentation/benchmarks.rst). Only the fixed-width
 * types of <linux/types.h>: the kernel and userspace both include it.
 *
 * GUNYAH_VM_ADD_FUNCTION of type GUNYAH_BENCH_FN_TYPE with a struct gunyah_bench_arg makes
 * one measurement in the kernel, in the calling thread, and returns 0 once the results are
 * in @results. The instance it leaves behind does nothing; GUNYAH_VM_REMOVE_FUNCTION of the
 * type (with any argument, or none) removes it, and so does the end of the VM.
 *
 * A measurement is @rounds rounds; each round times @iters operations of the floor and then
 * @iters operations of the workload, or the other way round: odd rounds (counting from 1)
 * time the floor first, even rounds the workload, so that neither always runs on a cache the
 * other warmed; GUNYAH_BENCH_FLAG_SWAP swaps the two (for a caller that makes one round per
 * call). With GUNYAH_BENCH_FLAG_WARMUP an extra round 0 runs first and is not reported.
 *
 * Times are in ticks of the CPU's cycle counter (get_cycles(): RDTSC on x86, CNTVCT on arm64),
 * the counter the benchmark programs read in userspace too, so that kernel and userspace
 * figures add up. The programs convert ticks to nanoseconds for display only; every figure
 * they judge is a ratio of ticks.
 */
#ifndef _GUNYAH_TESTS_BENCH_H
#define _GUNYAH_TESTS_BENCH_H

#include <linux/types.h>

/* GUNYAH_FN_SAMPLE_FIRST + 0xb0; decimal 32944 (the module alias "ghfunc:32944") */
#define GUNYAH_BENCH_FN_TYPE		0x80b0U

#define GUNYAH_BENCH_MAX_ROUNDS		64U

/* Largest RPC payload GUNYAH_BENCH_OP_RPC allocates (the RM client refuses more anyway) */
#define GUNYAH_BENCH_RPC_MAX_LEN	65536U

/*
 * Payload bytes of one RM message fragment: the message queue's 240-byte messages less the
 * 8-byte RPC header. A payload of k * GUNYAH_BENCH_RPC_FRAG_PAYLOAD bytes is k fragments.
 */
#define GUNYAH_BENCH_RPC_FRAG_PAYLOAD	232U

/*
 * The message id GUNYAH_BENCH_OP_RPC sends. No RM implements it: each call is a complete round
 * trip (request, reassembly, dispatch, reply) answered with UNIMPLEMENTED.
 */
#define GUNYAH_BENCH_RPC_MSG_ID		0x5600beefU

/*
 * The message id GUNYAH_BENCH_OP_RPC_REPLY sends: the simulator's PAD_REPLY
 * (GUNYAH_SIM_RM_MSG_PAD_REPLY in <gunyah/sim.h>), which only the simulated RM implements. Its
 * request is {le32 size}, its reply @size bytes of data after the error word, at most
 * GUNYAH_BENCH_RPC_REPLY_MAX: with the error word, 63 fragments.
 */
#define GUNYAH_BENCH_RPC_REPLY_MSG_ID	0x5600ff10U
#define GUNYAH_BENCH_RPC_REPLY_MAX	(63U * GUNYAH_BENCH_RPC_FRAG_PAYLOAD - 4U)

/**
 * GUNYAH_BENCH_OP_MMIO - in-kernel MMIO dispatch
 *
 * Floor: @iters eventfd_signal() on the eventfd @fd. Workload: @iters
 * gunyah_vm_mmio_write(VM, @addr, @len, @value), as a vCPU calls it for a guest write; an
 * in-kernel IO handler must take every one of them (else -ENXIO). With an ioeventfd on @fd at
 * @addr, both signal the same eventfd: the difference is the dispatch.
 */
#define GUNYAH_BENCH_OP_MMIO		1U
/**
 * GUNYAH_BENCH_OP_RPC - resource manager round trips
 *
 * Floor: @iters gunyah_rm_call() of GUNYAH_BENCH_RPC_MSG_ID with @floor_len payload bytes.
 * Workload: the same with @len bytes. Both at most GUNYAH_BENCH_RPC_MAX_LEN. Every call must
 * end with the RM's UNIMPLEMENTED (-EOPNOTSUPP), else the measurement fails with the call's
 * errno (-EPROTO if a call succeeded).
 */
#define GUNYAH_BENCH_OP_RPC		2U
/**
 * GUNYAH_BENCH_OP_BELL - doorbell hypercalls
 *
 * No floor (0). Workload: @iters bell_send hypercalls on the VM's doorbell labelled @label,
 * with the flag an irqfd sends. The doorbell is claimed with a resource ticket for the time
 * of the measurement: the VM must have started, its configuration must have a doorbell with
 * this label and no function may have claimed it (else -ENXIO, or -EEXIST).
 */
#define GUNYAH_BENCH_OP_BELL		3U
/**
 * GUNYAH_BENCH_OP_PIN - pinning user memory
 *
 * No floor (0). Workload: pin the @len bytes of the caller's memory at @addr (page aligned)
 * the way GUNYAH_VM_SET_USER_MEM_REGION does: pin_user_pages_fast() with FOLL_WRITE |
 * FOLL_LONGTERM, in the same batches, into an array allocated beforehand. The pages are
 * unpinned after each timing, outside it. @iters must be 1.
 */
#define GUNYAH_BENCH_OP_PIN		4U
/**
 * GUNYAH_BENCH_OP_RPC_REPLY - resource manager round trips against the size of the reply
 *
 * Floor: @iters gunyah_rm_call() of GUNYAH_BENCH_RPC_REPLY_MSG_ID asking for @floor_len bytes
 * of reply data. Workload: the same asking for @len bytes. Both at most
 * GUNYAH_BENCH_RPC_REPLY_MAX. Every call must succeed with a reply of exactly the size asked
 * for, else the measurement fails with the call's errno (-EOPNOTSUPP without the simulator's
 * RM), or -EPROTO for a reply of another size.
 */
#define GUNYAH_BENCH_OP_RPC_REPLY	5U

/* Run one round first and do not report it */
#define GUNYAH_BENCH_FLAG_WARMUP	0x1U
/* Time the workload first in odd rounds, the floor first in even ones */
#define GUNYAH_BENCH_FLAG_SWAP		0x2U
#define GUNYAH_BENCH_FLAGS		(GUNYAH_BENCH_FLAG_WARMUP | GUNYAH_BENCH_FLAG_SWAP)

/**
 * struct gunyah_bench_arg - argument of GUNYAH_BENCH_FN_TYPE
 * @op: GUNYAH_BENCH_OP_*
 * @rounds: rounds reported, 1..GUNYAH_BENCH_MAX_ROUNDS
 * @iters: operations per timing, at least 1
 * @fd: GUNYAH_BENCH_OP_MMIO: the eventfd of the floor
 * @addr: GUNYAH_BENCH_OP_MMIO: guest physical address written; GUNYAH_BENCH_OP_PIN: user
 *        address
 * @len: GUNYAH_BENCH_OP_MMIO: access size (1, 2, 4 or 8); GUNYAH_BENCH_OP_RPC: workload payload
 *       bytes; GUNYAH_BENCH_OP_RPC_REPLY: workload reply data bytes; GUNYAH_BENCH_OP_PIN: bytes
 *       to pin
 * @value: GUNYAH_BENCH_OP_MMIO: value written
 * @floor_len: GUNYAH_BENCH_OP_RPC: floor payload bytes; GUNYAH_BENCH_OP_RPC_REPLY: floor reply
 *             data bytes
 * @label: GUNYAH_BENCH_OP_BELL: the doorbell's label
 * @flags: GUNYAH_BENCH_FLAG_*
 * @results: user pointer to 2 * @rounds __u64: for round r, [2r] the floor's ticks (0 without a
 *           floor) and [2r + 1] the workload's, each for all @iters operations
 *
 * Members an op does not use are ignored.
 */
struct gunyah_bench_arg {
	__u32 op;
	__u32 rounds;
	__u32 iters;
	__s32 fd;
	__u64 addr;
	__u64 len;
	__u64 value;
	__u64 floor_len;
	__u32 label;
	__u32 flags;
	__u64 results;
};

#endif /* _GUNYAH_TESTS_BENCH_H */
