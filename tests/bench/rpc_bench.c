// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: resource manager round trips against the size of the request, 1 to 62
 * fragments (Documentation/benchmarks.rst).
 *
 * gunyah_bench.ko calls the RM client, gunyah_rm_call(), with a message id no RM implements,
 * so that every call is a whole round trip of the transport and nothing else: the request's
 * fragments through the message queue (waiting for room when it is full), their reassembly
 * and the dispatch in the RM, a one-fragment reply (UNIMPLEMENTED), its reassembly in the RX
 * thread and the caller's wake-up. Payloads are whole fragments of 232 bytes. 62 fragments
 * is the largest request the RM client sends (GUNYAH_RM_MAX_REQUEST_PAYLOAD, as the Linux
 * postings did); the protocol's 63rd fragment is only ever used by the RM's replies, which
 * this benchmark cannot make large.
 *
 *   rpc fragments=F
 *	The round trip of an F-fragment request over the round trip of a 1-fragment request,
 *	the two measured in the same rounds (so fragments=1 shows the noise: its ratio should be
 *	1). No target: the rows show the growth, which should be about linear in F;
 *	per_fragment_ns is (median - floor) / (F - 1).
 */

#include "bench_util.h"

#define ROUNDS		15	/* reported; one warm-up round more */
#define N_SIZES		7

static const unsigned int n_frags[N_SIZES] = { 1, 2, 4, 8, 16, 32, 62 };

int main(void)
{
	__u64 res[2 * ROUNDS];
	struct ghv_vm vm;
	char param[32], extra[64];
	struct bench_row row;
	double per_frag;
	unsigned int i, r, iters;
	int ret, status = 0;

	for (i = 0; i < N_SIZES; i++) {
		snprintf(param, sizeof(param), "fragments=%u", n_frags[i]);
		bench_plan("rpc", param);
	}

	ghv_vm_init(&vm);
	ret = bench_init();
	if (!ret)
		ret = bench_bare_vm(&vm);

	for (i = 0; i < N_SIZES; i++) {
		struct gunyah_bench_arg arg = {
			.op = GUNYAH_BENCH_OP_RPC,
			.rounds = ROUNDS,
			.len = (__u64)n_frags[i] * GUNYAH_BENCH_RPC_FRAG_PAYLOAD,
			.floor_len = GUNYAH_BENCH_RPC_FRAG_PAYLOAD,
			.flags = GUNYAH_BENCH_FLAG_WARMUP,
		};

		snprintf(param, sizeof(param), "fragments=%u", n_frags[i]);
		if (ret) {
			bench_error("rpc", param, "setup failed: %s", strerror(-ret));
			continue;
		}
		/* Fewer calls for large requests: each timing stays in the same range */
		iters = 128 / n_frags[i];
		arg.iters = iters < 4 ? 4 : iters;
		ret = bench_kernel(vm.vmfd, &arg, res);
		if (ret) {
			bench_error("rpc", param, "%s", strerror(-ret));
			status = 1;
			ret = 0;
			continue;
		}
		memset(&row, 0, sizeof(row));
		for (r = 0; r < ROUNDS; r++)
			bench_row_add(&row, (double)res[2 * r + 1] / arg.iters,
				      (double)res[2 * r] / arg.iters);
		per_frag = 0;
		if (n_frags[i] > 1)
			per_frag = bench_to_ns(bench_median(row.work, row.n) -
					       bench_median(row.floor, row.n)) / (n_frags[i] - 1);
		snprintf(extra, sizeof(extra), "iters=%u per_fragment_ns=%.1f", arg.iters,
			 per_frag);
		bench_row_print("rpc", param, &row, true, "-", extra);
	}

	ghv_vm_destroy(&vm);
	return ret ? 1 : status;
}
