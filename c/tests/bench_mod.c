// SPDX-License-Identifier: GPL-2.0
/*
 * gunyah_bench.ko: the in-kernel half of `make bench` (Documentation/benchmarks.rst).
 *
 * Some floors of the benchmarks exist only in the kernel (a bare eventfd_signal(), a bare
 * doorbell hypercall, pin_user_pages_fast() alone) and some workloads are best timed there (the
 * MMIO dispatch without the simulated vCPU around it, RM round trips). This module measures
 * them on demand for the benchmark programs (tests/bench/).
 *
 * It is a VM function type, GUNYAH_BENCH_FN_TYPE (<gunyah_bench.h> in tests/lib/): adding an
 * instance to a VM runs one measurement in bind(), on that VM and its RM, and copies the
 * results to userspace. Being a function gives the measurement the VM (for the MMIO dispatch
 * and the doorbells) and the RM client (for the round trips) through the framework's own
 * interfaces, with no test-only exports, so the module builds and runs on every backend and
 * with or without KUnit.
 *
 * This is not a KUnit module: its name does not end in "_test", so `make check` does not load
 * it. The guest's "bench" plan does.
 */

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timex.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <gunyah/compat.h>

#include <linux/gunyah.h>
#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/sim.h>
#include <gunyah/vm_mgr.h>

#include "gunyah_bench.h"

static_assert(GUNYAH_BENCH_FN_TYPE - GUNYAH_FN_SAMPLE_FIRST == 0xb0);
static_assert(GUNYAH_MSGQ_MAX_MSG_SIZE - GUNYAH_BENCH_RPC_FRAG_PAYLOAD == 8);
static_assert(sizeof(struct gunyah_bench_arg) <= GUNYAH_FN_MAX_ARG_SIZE);

/* The flag an irqfd sends: the doorbell hypercall of the floor is the irqfd's own */
#define GUNYAH_BENCH_BELL_FLAG		BIT_ULL(0)

/* Pages per pin_user_pages_fast() call: the VM manager's batch (GUNYAH_VM_MEM_PIN_BATCH) */
#define GUNYAH_BENCH_PIN_BATCH		512UL

/**
 * struct gunyah_bench_ctx - one measurement
 * @f: the instance being bound: its VM and RM
 * @arg: the argument
 * @efd: GUNYAH_BENCH_OP_MMIO: the floor's eventfd
 * @buf: GUNYAH_BENCH_OP_RPC: the payload (zeros), max(@arg->len, @arg->floor_len) bytes
 * @ticket: GUNYAH_BENCH_OP_BELL: the claim on the doorbell
 * @capid: GUNYAH_BENCH_OP_BELL: the doorbell's capability, valid while @have_bell
 * @have_bell: GUNYAH_BENCH_OP_BELL: the ticket holds the doorbell
 * @pages: GUNYAH_BENCH_OP_PIN: the pinned pages
 * @npages: GUNYAH_BENCH_OP_PIN: pages to pin
 * @pinned: GUNYAH_BENCH_OP_PIN: pages pinned, to unpin after the timing
 *
 * Lives on bind()'s stack: the ticket is withdrawn before bind() returns.
 */
struct gunyah_bench_ctx {
	struct gunyah_vm_function_instance *f;
	const struct gunyah_bench_arg *arg;
	struct eventfd_ctx *efd;
	void *buf;
	struct gunyah_vm_resource_ticket ticket;
	u64 capid;
	bool have_bell;
	struct page **pages;
	unsigned long npages;
	unsigned long pinned;
};

/* @iters operations of a floor or a workload: 0 or a negative errno */
typedef int (*gunyah_bench_fn_t)(struct gunyah_bench_ctx *ctx);

/**
 * gunyah_bench_time() - time one floor or workload
 * @ctx: the measurement
 * @fn: what to time; NULL for an op without a floor (0 ticks)
 * @undo: called after the timing, outside it (e.g. to unpin); may be NULL
 * @ticks: set to the cycle counter ticks @fn took
 *
 * Context: process context; the caller's locks.
 * Return: 0 or the error of @fn.
 */
static int gunyah_bench_time(struct gunyah_bench_ctx *ctx, gunyah_bench_fn_t fn,
			     void (*undo)(struct gunyah_bench_ctx *ctx), u64 *ticks)
{
	cycles_t start, end;
	int ret;

	*ticks = 0;
	if (!fn)
		return 0;
	start = get_cycles();
	ret = fn(ctx);
	end = get_cycles();
	if (undo)
		undo(ctx);
	*ticks = end - start;
	return ret;
}

/**
 * gunyah_bench_rounds() - time the floor and the workload, round by round
 * @ctx: the measurement
 * @floor: the floor (NULL: none)
 * @work: the workload
 * @undo: called after each timing of @work, untimed; may be NULL
 * @res: 2 * @ctx->arg->rounds results (see struct gunyah_bench_arg)
 *
 * Odd rounds time the floor first, even rounds the workload first (the other way round with
 * GUNYAH_BENCH_FLAG_SWAP). Round 0, the warm-up, runs only with GUNYAH_BENCH_FLAG_WARMUP and
 * is not reported.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINTR on a fatal signal, or the first error of @floor or @work.
 */
static int gunyah_bench_rounds(struct gunyah_bench_ctx *ctx, gunyah_bench_fn_t floor,
			       gunyah_bench_fn_t work, void (*undo)(struct gunyah_bench_ctx *ctx),
			       u64 *res)
{
	const struct gunyah_bench_arg *arg = ctx->arg;
	u32 r = (arg->flags & GUNYAH_BENCH_FLAG_WARMUP) ? 0 : 1;
	bool swap = arg->flags & GUNYAH_BENCH_FLAG_SWAP;
	u64 floor_ticks, work_ticks;
	bool floor_first;
	int ret;

	for (; r <= arg->rounds; r++) {
		floor_ticks = 0;
		work_ticks = 0;
		floor_first = (r & 1) ? !swap : swap;
		if (floor_first) {
			ret = gunyah_bench_time(ctx, floor, NULL, &floor_ticks);
			if (!ret)
				ret = gunyah_bench_time(ctx, work, undo, &work_ticks);
		} else {
			ret = gunyah_bench_time(ctx, work, undo, &work_ticks);
			if (!ret)
				ret = gunyah_bench_time(ctx, floor, NULL, &floor_ticks);
		}
		if (ret)
			return ret;
		if (r) {
			res[2 * (r - 1)] = floor_ticks;
			res[2 * (r - 1) + 1] = work_ticks;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_BENCH_OP_MMIO                                                                     */

static int gunyah_bench_eventfd_floor(struct gunyah_bench_ctx *ctx)
{
	u32 i;

	for (i = 0; i < ctx->arg->iters; i++)
		eventfd_signal(ctx->efd);
	return 0;
}

static int gunyah_bench_mmio_work(struct gunyah_bench_ctx *ctx)
{
	const struct gunyah_bench_arg *arg = ctx->arg;
	struct gunyah_vm *ghvm = ctx->f->ghvm;
	u32 i;
	int ret;

	for (i = 0; i < arg->iters; i++) {
		ret = gunyah_vm_mmio_write(ghvm, arg->addr, arg->len, arg->value);
		if (ret)
			return ret == -ENODEV ? -ENXIO : ret;
	}
	return 0;
}

/**
 * gunyah_bench_mmio() - GUNYAH_BENCH_OP_MMIO
 * @ctx: the measurement
 * @res: the results
 *
 * The workload calls gunyah_vm_mmio_write(), the function a vCPU calls for an MMIO write exit
 * (gunyah_vcpu_handle_mmio()): the lookup in the VM's MMIO bus and the handler's write().
 *
 * Context: process context, &gunyah_vm.fn_lock held (bind()); gunyah_vm_mmio_write() enters
 * the MMIO SRCU read side, as from a vCPU.
 * Return: 0; -EINVAL (bad size); -EBADF or -EINVAL (@fd is not an eventfd); -ENXIO (no handler
 * took a write); -EINTR.
 */
static int gunyah_bench_mmio(struct gunyah_bench_ctx *ctx, u64 *res)
{
	const struct gunyah_bench_arg *arg = ctx->arg;
	int ret;

	if (arg->len != 1 && arg->len != 2 && arg->len != 4 && arg->len != 8)
		return -EINVAL;

	ctx->efd = eventfd_ctx_fdget(arg->fd);
	if (IS_ERR(ctx->efd))
		return PTR_ERR(ctx->efd);
	ret = gunyah_bench_rounds(ctx, gunyah_bench_eventfd_floor, gunyah_bench_mmio_work, NULL,
				  res);
	eventfd_ctx_put(ctx->efd);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_BENCH_OP_RPC                                                                      */

static int gunyah_bench_rpc_calls(struct gunyah_bench_ctx *ctx, size_t len)
{
	void *buf = len ? ctx->buf : NULL;
	u32 i;
	int ret;

	for (i = 0; i < ctx->arg->iters; i++) {
		ret = gunyah_rm_call(ctx->f->rm, GUNYAH_BENCH_RPC_MSG_ID, buf, len, NULL, NULL);
		if (ret != -EOPNOTSUPP)
			return ret ? ret : -EPROTO;
	}
	return 0;
}

static int gunyah_bench_rpc_floor(struct gunyah_bench_ctx *ctx)
{
	return gunyah_bench_rpc_calls(ctx, ctx->arg->floor_len);
}

static int gunyah_bench_rpc_work(struct gunyah_bench_ctx *ctx)
{
	return gunyah_bench_rpc_calls(ctx, ctx->arg->len);
}

/**
 * gunyah_bench_rpc() - GUNYAH_BENCH_OP_RPC
 * @ctx: the measurement
 * @res: the results
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held (bind()), which no RM call
 * needs.
 * Return: 0; -EINVAL (a size above GUNYAH_BENCH_RPC_MAX_LEN); -ENOMEM; -EPROTO; -EINTR; or the
 * errno of a failed round trip (-E2BIG: a payload the RM client does not send).
 */
static int gunyah_bench_rpc(struct gunyah_bench_ctx *ctx, u64 *res)
{
	const struct gunyah_bench_arg *arg = ctx->arg;
	int ret;

	if (arg->len > GUNYAH_BENCH_RPC_MAX_LEN || arg->floor_len > GUNYAH_BENCH_RPC_MAX_LEN)
		return -EINVAL;

	ctx->buf = kzalloc(max3(arg->len, arg->floor_len, 1ULL), GFP_KERNEL);
	if (!ctx->buf)
		return -ENOMEM;
	ret = gunyah_bench_rounds(ctx, gunyah_bench_rpc_floor, gunyah_bench_rpc_work, NULL, res);
	kfree(ctx->buf);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_BENCH_OP_RPC_REPLY                                                                */

static_assert(GUNYAH_BENCH_RPC_REPLY_MSG_ID == GUNYAH_SIM_RM_MSG_PAD_REPLY);
static_assert(GUNYAH_BENCH_RPC_REPLY_MAX == GUNYAH_SIM_RM_PAD_REPLY_MAX);

static int gunyah_bench_rpc_reply_calls(struct gunyah_bench_ctx *ctx, u64 len)
{
	__le32 req = cpu_to_le32((u32)len);
	size_t resp_size;
	void *resp;
	u32 i;
	int ret;

	for (i = 0; i < ctx->arg->iters; i++) {
		ret = gunyah_rm_call(ctx->f->rm, GUNYAH_BENCH_RPC_REPLY_MSG_ID, &req, sizeof(req),
				     &resp, &resp_size);
		if (ret)
			return ret;
		kfree(resp);
		if (resp_size != len)
			return -EPROTO;
	}
	return 0;
}

static int gunyah_bench_rpc_reply_floor(struct gunyah_bench_ctx *ctx)
{
	return gunyah_bench_rpc_reply_calls(ctx, ctx->arg->floor_len);
}

static int gunyah_bench_rpc_reply_work(struct gunyah_bench_ctx *ctx)
{
	return gunyah_bench_rpc_reply_calls(ctx, ctx->arg->len);
}

/**
 * gunyah_bench_rpc_reply() - GUNYAH_BENCH_OP_RPC_REPLY
 * @ctx: the measurement
 * @res: the results
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held (bind()), which no RM call
 * needs.
 * Return: 0; -EINVAL (a size above GUNYAH_BENCH_RPC_REPLY_MAX); -EPROTO (a reply of another
 * size); -EINTR; or the errno of a failed round trip (-EOPNOTSUPP: not the simulator's RM).
 */
static int gunyah_bench_rpc_reply(struct gunyah_bench_ctx *ctx, u64 *res)
{
	const struct gunyah_bench_arg *arg = ctx->arg;

	if (arg->len > GUNYAH_BENCH_RPC_REPLY_MAX || arg->floor_len > GUNYAH_BENCH_RPC_REPLY_MAX)
		return -EINVAL;
	return gunyah_bench_rounds(ctx, gunyah_bench_rpc_reply_floor, gunyah_bench_rpc_reply_work,
				   NULL, res);
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_BENCH_OP_BELL                                                                     */

static bool gunyah_bench_bell_populate(struct gunyah_vm_resource_ticket *ticket,
				       struct gunyah_resource *ghrsc)
{
	struct gunyah_bench_ctx *ctx = container_of(ticket, struct gunyah_bench_ctx, ticket);

	if (ctx->have_bell)
		return false;
	ctx->capid = ghrsc->capid;
	ctx->have_bell = true;
	return true;
}

static void gunyah_bench_bell_unpopulate(struct gunyah_vm_resource_ticket *ticket,
					 struct gunyah_resource *ghrsc)
{
	struct gunyah_bench_ctx *ctx = container_of(ticket, struct gunyah_bench_ctx, ticket);

	ctx->have_bell = false;
}

static int gunyah_bench_bell_work(struct gunyah_bench_ctx *ctx)
{
	enum gunyah_error gh_error;
	u32 i;

	for (i = 0; i < ctx->arg->iters; i++) {
		gh_error = gunyah_hypercall_bell_send(ctx->capid, GUNYAH_BENCH_BELL_FLAG, NULL);
		if (gh_error != GUNYAH_ERROR_OK)
			return gunyah_error_remap(gh_error);
	}
	return 0;
}

/**
 * gunyah_bench_bell() - GUNYAH_BENCH_OP_BELL
 * @ctx: the measurement
 * @res: the results
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held (bind()). The ticket's
 * callbacks run under &gunyah_vm.resources_lock, which is not held while timing.
 * Return: 0; -EEXIST (someone claimed the doorbell); -ENXIO (no such doorbell, or the VM has
 * not started); -EINTR; or the errno of a failed hypercall.
 */
static int gunyah_bench_bell(struct gunyah_bench_ctx *ctx, u64 *res)
{
	struct gunyah_vm *ghvm = ctx->f->ghvm;
	int ret;

	ctx->ticket.resource_type = GUNYAH_RESOURCE_TYPE_BELL_TX;
	ctx->ticket.label = ctx->arg->label;
	ctx->ticket.owner = THIS_MODULE;
	ctx->ticket.populate = gunyah_bench_bell_populate;
	ctx->ticket.unpopulate = gunyah_bench_bell_unpopulate;

	ret = gunyah_vm_add_resource_ticket(ghvm, &ctx->ticket);
	if (ret)
		return ret;
	if (ctx->have_bell)
		ret = gunyah_bench_rounds(ctx, NULL, gunyah_bench_bell_work, NULL, res);
	else
		ret = -ENXIO;
	gunyah_vm_remove_resource_ticket(ghvm, &ctx->ticket);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_BENCH_OP_PIN                                                                      */

/* The loop of gunyah_vm_mem_pin(), without its error unwinding (see gunyah_bench_unpin()) */
static int gunyah_bench_pin_work(struct gunyah_bench_ctx *ctx)
{
	unsigned long addr = ctx->arg->addr;
	int nr, ret;

	ctx->pinned = 0;
	while (ctx->pinned < ctx->npages) {
		nr = min_t(unsigned long, ctx->npages - ctx->pinned, GUNYAH_BENCH_PIN_BATCH);
		ret = pin_user_pages_fast(addr + (ctx->pinned << PAGE_SHIFT), nr,
					  FOLL_WRITE | FOLL_LONGTERM, ctx->pages + ctx->pinned);
		if (ret <= 0)
			return ret ? ret : -EFAULT;
		ctx->pinned += ret;

		if (ctx->pinned < ctx->npages) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

static void gunyah_bench_unpin(struct gunyah_bench_ctx *ctx)
{
	unpin_user_pages(ctx->pages, ctx->pinned);
	ctx->pinned = 0;
}

/**
 * gunyah_bench_pin() - GUNYAH_BENCH_OP_PIN
 * @ctx: the measurement
 * @res: the results
 *
 * Context: process context, may sleep; pins from the caller's address space.
 * Return: 0; -EINVAL (@addr or @len not page aligned, @len 0, @iters not 1); -ENOMEM; -EINTR;
 * or the errno of pin_user_pages_fast() (-EFAULT: not mapped or not writable).
 */
static int gunyah_bench_pin(struct gunyah_bench_ctx *ctx, u64 *res)
{
	const struct gunyah_bench_arg *arg = ctx->arg;
	int ret;

	if (arg->iters != 1 || !arg->len || !PAGE_ALIGNED(arg->addr) || !PAGE_ALIGNED(arg->len) ||
	    arg->addr + arg->len < arg->addr || arg->len >> PAGE_SHIFT > INT_MAX)
		return -EINVAL;

	ctx->npages = arg->len >> PAGE_SHIFT;
	ctx->pages = kvcalloc(ctx->npages, sizeof(*ctx->pages), GFP_KERNEL | __GFP_NOWARN);
	if (!ctx->pages)
		return -ENOMEM;
	ret = gunyah_bench_rounds(ctx, NULL, gunyah_bench_pin_work, gunyah_bench_unpin, res);
	kvfree(ctx->pages);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* The function type                                                                        */

/**
 * gunyah_bench_bind() - GUNYAH_VM_ADD_FUNCTION: make one measurement
 * @f: the new instance; @f->argp holds a struct gunyah_bench_arg
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held. Runs in the calling thread,
 * whose memory GUNYAH_BENCH_OP_PIN pins and to which the results are copied.
 * Return: 0 (the results are in userspace); -EINVAL (a bad argument); -EFAULT (the results
 * cannot be written); -ENOMEM; or the op's error.
 */
static long gunyah_bench_bind(struct gunyah_vm_function_instance *f)
{
	const struct gunyah_bench_arg *arg = f->argp;
	struct gunyah_bench_ctx ctx = { .f = f, .arg = arg };
	size_t size;
	u64 *res;
	int ret;

	if (f->arg_size != sizeof(*arg) || !arg)
		return -EINVAL;
	if (!arg->rounds || arg->rounds > GUNYAH_BENCH_MAX_ROUNDS || !arg->iters ||
	    (arg->flags & ~GUNYAH_BENCH_FLAGS))
		return -EINVAL;
	if (!get_cycles())
		return -EOPNOTSUPP;

	size = 2 * arg->rounds * sizeof(*res);
	res = kzalloc(size, GFP_KERNEL);
	if (!res)
		return -ENOMEM;

	switch (arg->op) {
	case GUNYAH_BENCH_OP_MMIO:
		ret = gunyah_bench_mmio(&ctx, res);
		break;
	case GUNYAH_BENCH_OP_RPC:
		ret = gunyah_bench_rpc(&ctx, res);
		break;
	case GUNYAH_BENCH_OP_BELL:
		ret = gunyah_bench_bell(&ctx, res);
		break;
	case GUNYAH_BENCH_OP_PIN:
		ret = gunyah_bench_pin(&ctx, res);
		break;
	case GUNYAH_BENCH_OP_RPC_REPLY:
		ret = gunyah_bench_rpc_reply(&ctx, res);
		break;
	default:
		ret = -EINVAL;
		break;
	}

	if (!ret && copy_to_user(u64_to_user_ptr(arg->results), res, size))
		ret = -EFAULT;
	kfree(res);
	return ret;
}

/* The instance holds nothing: the measurement is over when bind() returns */
static void gunyah_bench_unbind(struct gunyah_vm_function_instance *f)
{
}

/* Every REMOVE of the type removes the oldest instance, whatever its argument */
static bool gunyah_bench_compare(const struct gunyah_vm_function_instance *f, const void *arg,
				 size_t size)
{
	return true;
}

static int gunyah_bench_validate(const struct gunyah_vm_function *fn, const void *arg,
				 size_t size)
{
	return 0;
}

/* 32944 == GUNYAH_BENCH_FN_TYPE, in decimal: the alias request_module() asks for */
DECLARE_GUNYAH_VM_FUNCTION_INIT(gunyah_bench, GUNYAH_BENCH_FN_TYPE, 32944, gunyah_bench_bind,
				gunyah_bench_unbind, gunyah_bench_compare,
				.validate = gunyah_bench_validate);

MODULE_DESCRIPTION("Gunyah benchmarks: in-kernel floors and workloads for make bench");
MODULE_LICENSE("GPL");
