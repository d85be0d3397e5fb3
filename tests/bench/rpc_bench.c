// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: resource manager round trips against the size of the request, 1 to 62
 * fragments, and against the size of the reply, 1 to 63 fragments
 * (Documentation/benchmarks.rst).
 *
 * gunyah_bench.ko calls the RM client, gunyah_rm_call(), in the kernel. Payloads are whole
 * fragments of 232 bytes.
 *
 *   rpc fragments=F
 *	Requests of F fragments with a message id no RM implements, so that every call is a
 *	whole round trip of the transport and nothing else: the request's fragments through the
 *	message queue (waiting for room when it is full), their reassembly and the dispatch in
 *	the RM, a one-fragment reply (UNIMPLEMENTED), its reassembly in the RX thread and the
 *	caller's wake-up. 62 fragments is the largest request the RM client sends
 *	(GUNYAH_RM_MAX_REQUEST_PAYLOAD, as the Linux postings did).
 *   rpc_reply fragments=F
 *	One-fragment requests answered with replies of F fragments: the simulator's PAD_REPLY,
 *	which only the simulated RM implements, asks for F * 232 - 4 bytes of data (the error
 *	word fills the rest). 63 fragments is the largest reply the protocol has.
 *
 * Each row is the round trip over the round trip of one fragment each way, the two measured
 * in the same rounds (so fragments=1 shows the noise: its ratio should be 1). No target: the
 * rows show the growth, which should be about linear in F; per_fragment_ns is
 * (median - floor) / (F - 1).
 */

#include "bench_util.h"

#define ROUNDS		15	/* reported; one warm-up round more */
#define N_SIZES		7
#define N_KINDS		2

/**
 * struct rpc_kind - one kind of row
 * @workload: the rows' name
 * @op: GUNYAH_BENCH_OP_RPC or GUNYAH_BENCH_OP_RPC_REPLY
 * @n_frags: the sizes measured, in fragments
 */
struct rpc_kind {
	const char *workload;
	__u32 op;
	unsigned int n_frags[N_SIZES];
};

static const struct rpc_kind kinds[N_KINDS] = {
	{ "rpc", GUNYAH_BENCH_OP_RPC, { 1, 2, 4, 8, 16, 32, 62 } },
	{ "rpc_reply", GUNYAH_BENCH_OP_RPC_REPLY, { 1, 2, 4, 8, 16, 32, 63 } },
};

/* The arg's sizes for @frags fragments: request payload bytes, or reply data bytes */
static __u64 rpc_len(const struct rpc_kind *k, unsigned int frags)
{
	if (k->op == GUNYAH_BENCH_OP_RPC)
		return (__u64)frags * GUNYAH_BENCH_RPC_FRAG_PAYLOAD;
	return (__u64)frags * GUNYAH_BENCH_RPC_FRAG_PAYLOAD - 4;
}

/* The rows of one kind; 0, or 1 if a row failed */
static int rpc_rows(int vmfd, const struct rpc_kind *k, int setup_err)
{
	__u64 res[2 * ROUNDS];
	char param[32], extra[64];
	struct bench_row row;
	unsigned int i, r, iters, f;
	double per_frag;
	int ret, status = 0;

	for (i = 0; i < N_SIZES; i++) {
		struct gunyah_bench_arg arg = {
			.op = k->op,
			.rounds = ROUNDS,
			.len = rpc_len(k, k->n_frags[i]),
			.floor_len = k->op == GUNYAH_BENCH_OP_RPC ? rpc_len(k, 1) : 0,
			.flags = GUNYAH_BENCH_FLAG_WARMUP,
		};

		f = k->n_frags[i];
		snprintf(param, sizeof(param), "fragments=%u", f);
		if (setup_err) {
			bench_error(k->workload, param, "setup failed: %s", strerror(-setup_err));
			continue;
		}
		/* Fewer calls for large messages: each timing stays in the same range */
		iters = 128 / f;
		arg.iters = iters < 4 ? 4 : iters;
		ret = bench_kernel(vmfd, &arg, res);
		if (ret) {
			bench_error(k->workload, param, "%s", strerror(-ret));
			status = 1;
			continue;
		}
		memset(&row, 0, sizeof(row));
		for (r = 0; r < ROUNDS; r++)
			bench_row_add(&row, (double)res[2 * r + 1] / arg.iters,
				      (double)res[2 * r] / arg.iters);
		per_frag = 0;
		if (f > 1)
			per_frag = bench_to_ns(bench_median(row.work, row.n) -
					       bench_median(row.floor, row.n)) / (f - 1);
		snprintf(extra, sizeof(extra), "iters=%u per_fragment_ns=%.1f", arg.iters,
			 per_frag);
		bench_row_print(k->workload, param, &row, true, "-", extra);
	}
	return status;
}

int main(void)
{
	struct ghv_vm vm;
	char param[32];
	unsigned int i, k;
	int ret, status = 0;

	for (k = 0; k < N_KINDS; k++) {
		for (i = 0; i < N_SIZES; i++) {
			snprintf(param, sizeof(param), "fragments=%u", kinds[k].n_frags[i]);
			bench_plan(kinds[k].workload, param);
		}
	}

	ghv_vm_init(&vm);
	ret = bench_init();
	if (!ret)
		ret = bench_bare_vm(&vm);
	for (k = 0; k < N_KINDS; k++)
		status |= rpc_rows(vm.vmfd, &kinds[k], ret);

	ghv_vm_destroy(&vm);
	return ret ? 1 : status;
}
