// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the VM-function framework (vm_mgr_fn.c) and its stable C ABI (fn_abi.c).
 *
 * gunyah_fn_registry: registering function types, lookup and module autoloading
 *                     (request_module("ghfunc:%u"), helper module gunyah_fn_autoload_mod),
 *                     no use of a type before its module's init has returned (helper module
 *                     gunyah_fn_initfail_mod),
 *                     GUNYAH_CHECK_FUNCTION, module references held by instances, ADD and
 *                     REMOVE (compare(), validate() and key() semantics, argument sizes, the
 *                     instance index of types with a key()).
 * gunyah_fn_tickets:  resource tickets: populate/unpopulate order, tickets registered before
 *                     and after the resources arrive, refusals, duplicates, release of a VM
 *                     with dangling tickets, tickets added from bind(), many tickets.
 * gunyah_fn_io:       IO handlers: the collision rules, invalid handlers, which handler an
 *                     access reaches, removal (waiting or not), a bus that grows.
 * gunyah_fn_abi:      the ABI's version and size negotiation, registration, and instances,
 *                     IO handlers and tickets of a type registered through the ABI.
 *
 * Every test works on a fake VM: a zeroed struct gunyah_vm with only the framework's part
 * initialised (no RM: every resource has no interrupt). Each callback of the test's function
 * types, tickets and handlers appends an event to a log, with which framework locks were held,
 * so the tests check order and locking (DOC: Locking in vm_mgr_fn.c) as well as results.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/kmod.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <gunyah/fn_abi.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "../vm_mgr_fn.h"
#include "fn_autoload_mod.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/*
 * Function types this module registers itself, near the top of the sample range (samples and
 * out-of-tree modules count up from GUNYAH_FN_SAMPLE_FIRST). No module has an alias for any
 * of them, so looking one up while it is not registered runs modprobe, which finds nothing.
 */
#define FN_T_REC	(GUNYAH_FN_SAMPLE_FIRST + 0xe0)	/* recorder, with validate() */
#define FN_T_NOVAL	(GUNYAH_FN_SAMPLE_FIRST + 0xe1)	/* recorder, without validate() */
#define FN_T_TICKET	(GUNYAH_FN_SAMPLE_FIRST + 0xe2)	/* bind() adds a resource ticket */
#define FN_T_SCRATCH	(GUNYAH_FN_SAMPLE_FIRST + 0xe3)	/* registered by single tests */
#define FN_T_ABI	(GUNYAH_FN_SAMPLE_FIRST + 0xe4)	/* registered through the ABI */
#define FN_T_KEYED	(GUNYAH_FN_SAMPLE_FIRST + 0xe5)	/* recorder, with validate() and key() */
#define FN_T_NONE	(GUNYAH_FN_SAMPLE_FIRST + 0xef)	/* nothing provides it */

static_assert(FN_T_NONE < GUNYAH_FN_AUTOLOAD_TYPE);
static_assert(GUNYAH_FN_AUTOLOAD_TYPE <= GUNYAH_FN_SAMPLE_LAST);
static_assert(GUNYAH_FN_SAMPLE_LAST < GUNYAH_FN_TYPE_MAX);

#define FAKE_VMID		0x2a
#define FN_TEST_EVENTS		48
#define FN_TEST_TICKETS		4
#define FN_TEST_IOS		10

/* ---------------------------------------------------------------------------------------- */
/* The fake VM and the event log                                                           */

enum fn_ev_kind {
	EV_BIND = 1,
	EV_UNBIND,
	EV_COMPARE,
	EV_VALIDATE,
	EV_POPULATE,
	EV_UNPOPULATE,
	EV_READ,
	EV_WRITE,
};

/**
 * struct fn_ev - one callback call
 * @kind: which callback
 * @who: the instance, ticket or handler it was called for (the type for validate())
 * @a: bind/unbind/compare: the instance's key; validate: the size; populate/unpopulate: the
 *     capability id; read/write: the address
 * @b: populate/unpopulate: rsc_key() of the resource; read/write: the length; else the size
 * @c: populate/unpopulate: the resource's interrupt; write: the data; compare: the type number
 * @fn_locked: the fake VM's fn_lock was held
 * @rsc_locked: its resources_lock was held
 * @mmio_locked: it ran in a read side IO handlers run in (RCU, or the MMIO SRCU's for a
 *               sleepable handler; always true without lockdep)
 * @in_rcu: it ran in an RCU read-side critical section
 */
struct fn_ev {
	enum fn_ev_kind kind;
	const void *who;
	u64 a;
	u64 b;
	u64 c;
	bool fn_locked;
	bool rsc_locked;
	bool mmio_locked;
	bool in_rcu;
};

/**
 * struct test_ticket - a resource ticket that records its calls
 * @t: the ticket
 * @ghvm: its VM
 * @refuse_capid: populate() refuses the resource with this capability id (0: none)
 */
struct test_ticket {
	struct gunyah_vm_resource_ticket t;
	struct gunyah_vm *ghvm;
	u64 refuse_capid;
};

/**
 * struct test_io - an IO handler that records its calls
 * @io: the handler
 * @ghvm: its VM
 * @ret: what read() and write() return
 * @read_value: what read() reads
 */
struct test_io {
	struct gunyah_vm_io_handler io;
	struct gunyah_vm *ghvm;
	int ret;
	u64 read_value;
};

/**
 * struct fn_test_ctx - one test's world
 * @ghvm: the fake VM
 * @n_ev: events logged
 * @lost_ev: events that did not fit into @ev
 * @ev: the event log
 * @tickets: tickets a test may add (any left are removed at the end)
 * @io: IO handlers a test may add (any left are removed at the end)
 * @scratch: function types a test may register
 * @scratch_registered: which of @scratch are registered (unregistered at the end)
 * @abi_reg: ABI registrations (unregistered at the end)
 * @abi_seen: what the ABI type's last bind() saw through the accessors
 */
struct fn_test_ctx {
	struct gunyah_vm ghvm;
	unsigned int n_ev;
	unsigned int lost_ev;
	struct fn_ev ev[FN_TEST_EVENTS];
	struct test_ticket tickets[FN_TEST_TICKETS];
	struct test_io io[FN_TEST_IOS];
	struct gunyah_vm_function scratch[2];
	bool scratch_registered[2];
	struct gunyah_fn_abi_registration *abi_reg[2];
	struct {
		const void *arg;
		u64 size;
		struct gunyah_fn_abi_vm *vm;
		u16 vmid;
		void *priv;
	} abi_seen;
};

/* The running test's context, for callbacks that have no other way to find it */
static struct fn_test_ctx *fn_test_cur;

static void ev_log(enum fn_ev_kind kind, const void *who, u64 a, u64 b, u64 c)
{
	struct fn_test_ctx *ctx = fn_test_cur;
	struct fn_ev *ev;

	if (!ctx)
		return;
	if (ctx->n_ev >= ARRAY_SIZE(ctx->ev)) {
		ctx->lost_ev++;
		return;
	}

	ev = &ctx->ev[ctx->n_ev++];
	ev->kind = kind;
	ev->who = who;
	ev->a = a;
	ev->b = b;
	ev->c = c;
	ev->fn_locked = mutex_is_locked(&ctx->ghvm.fn_lock);
	ev->rsc_locked = mutex_is_locked(&ctx->ghvm.resources_lock);
	ev->mmio_locked = gunyah_vm_mmio_read_held();
	ev->in_rcu = rcu_read_lock_held();
}

static void ev_reset(struct fn_test_ctx *ctx)
{
	ctx->n_ev = 0;
	ctx->lost_ev = 0;
}

static unsigned int ev_count(struct fn_test_ctx *ctx, enum fn_ev_kind kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < ctx->n_ev; i++)
		n += ctx->ev[i].kind == kind;
	return n;
}

/* Index of the first event of @kind (by @who, unless NULL), or -1 */
static int ev_find(struct fn_test_ctx *ctx, enum fn_ev_kind kind, const void *who)
{
	unsigned int i;

	for (i = 0; i < ctx->n_ev; i++) {
		if (ctx->ev[i].kind == kind && (!who || ctx->ev[i].who == who))
			return i;
	}
	return -1;
}

/*
 * Event @i is @kind by @who with @a, and ran under the framework lock its callback is documented
 * to run under (validate(): without fn_lock).
 */
static void expect_ev(struct kunit *test, int i, enum fn_ev_kind kind, const void *who, u64 a)
{
	struct fn_test_ctx *ctx = test->priv;
	const struct fn_ev *ev;

	KUNIT_ASSERT_GE_MSG(test, i, 0, "no event of kind %d", (int)kind);
	KUNIT_ASSERT_LT_MSG(test, i, (int)ctx->n_ev, "event %d did not happen", i);
	KUNIT_EXPECT_EQ_MSG(test, ctx->lost_ev, 0, "event log overflow");
	ev = &ctx->ev[i];
	KUNIT_EXPECT_EQ_MSG(test, ev->kind, kind, "event %d", i);
	KUNIT_EXPECT_PTR_EQ_MSG(test, ev->who, who, "event %d", i);
	KUNIT_EXPECT_EQ_MSG(test, ev->a, a, "event %d", i);

	switch (kind) {
	case EV_BIND:
	case EV_UNBIND:
	case EV_COMPARE:
		KUNIT_EXPECT_TRUE_MSG(test, ev->fn_locked, "event %d ran without fn_lock", i);
		break;
	case EV_VALIDATE:
		KUNIT_EXPECT_FALSE_MSG(test, ev->fn_locked, "event %d ran under fn_lock", i);
		break;
	case EV_POPULATE:
	case EV_UNPOPULATE:
		KUNIT_EXPECT_TRUE_MSG(test, ev->rsc_locked, "event %d without resources_lock", i);
		break;
	case EV_READ:
	case EV_WRITE:
		KUNIT_EXPECT_TRUE_MSG(test, ev->mmio_locked, "event %d outside the MMIO read side",
				      i);
		break;
	}
}

/* The events of @kind by @who carry exactly @want[0..@n) in @a, in this order */
static void expect_ev_seq(struct kunit *test, enum fn_ev_kind kind, const void *who,
			  const u64 *want, unsigned int n)
{
	struct fn_test_ctx *ctx = test->priv;
	unsigned int i, j = 0;

	KUNIT_EXPECT_EQ_MSG(test, ctx->lost_ev, 0, "event log overflow");
	for (i = 0; i < ctx->n_ev; i++) {
		if (ctx->ev[i].kind != kind || ctx->ev[i].who != who)
			continue;
		if (j < n)
			KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].a, want[j],
					    "event %u (#%u of kind %d of this owner)", i, j,
					    (int)kind);
		j++;
	}
	KUNIT_EXPECT_EQ_MSG(test, j, n, "events of kind %d for this owner", (int)kind);
}

static u64 rsc_key(u32 type, u32 label)
{
	return (u64)type << 32 | label;
}

static int mod_refs(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	return module_refcount(mod);
#else
	return -1;
#endif
}

static void need_refcounts(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_MODULE_UNLOAD))
		kunit_skip(test, "module reference counts need CONFIG_MODULE_UNLOAD");
}

static struct gunyah_vm_function_instance *newest_inst(struct fn_test_ctx *ctx)
{
	if (list_empty(&ctx->ghvm.functions))
		return NULL;
	return list_last_entry(&ctx->ghvm.functions, struct gunyah_vm_function_instance, vm_list);
}

/*
 * Test exit: undo what the test left behind in the order a VM release does, then withdraw the
 * types the test registered (they have no instances any more, so this does not WARN).
 */
static void fn_test_cleanup(void *data)
{
	struct fn_test_ctx *ctx = data;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctx->io); i++)
		gunyah_vm_remove_io_handler(&ctx->ghvm, &ctx->io[i].io);
	gunyah_vm_remove_functions(&ctx->ghvm);
	for (i = 0; i < ARRAY_SIZE(ctx->tickets); i++)
		gunyah_vm_remove_resource_ticket(&ctx->ghvm, &ctx->tickets[i].t);
	gunyah_vm_release_resources(&ctx->ghvm);

	for (i = 0; i < ARRAY_SIZE(ctx->abi_reg); i++) {
		gunyah_fn_abi_unregister(ctx->abi_reg[i]);
		ctx->abi_reg[i] = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(ctx->scratch); i++) {
		if (ctx->scratch_registered[i])
			gunyah_vm_function_unregister(&ctx->scratch[i]);
		ctx->scratch_registered[i] = false;
	}

	fn_test_cur = NULL;
}

static int fn_test_init(struct kunit *test)
{
	struct fn_test_ctx *ctx;
	unsigned int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	ctx->ghvm.vmid = FAKE_VMID;
	gunyah_vm_fn_init(&ctx->ghvm);
	/*
	 * So that the cleanup may remove every one of them, added or not (the IO handlers are
	 * zeroed, which is not added)
	 */
	for (i = 0; i < ARRAY_SIZE(ctx->tickets); i++)
		INIT_LIST_HEAD(&ctx->tickets[i].t.vm_list);

	test->priv = ctx;
	fn_test_cur = ctx;
	return kunit_add_action_or_reset(test, fn_test_cleanup, ctx);
}

/* ---------------------------------------------------------------------------------------- */
/* Recorder function types                                                                  */

/**
 * struct rec_arg - the argument of the recorder types (ADD and REMOVE)
 * @key: what compare() matches
 * @bind_ret: what bind() returns (ADD only)
 */
struct rec_arg {
	u32 key;
	s32 bind_ret;
};

/* rec_validate() returns 1, not an errno, for a REMOVE of this key */
#define REC_KEY_VALIDATE_POSITIVE	0xfffffff0
#define REC_KEY_VALIDATE_NOT_ERRNO	0xfffffff1	/* validate() returns -MAX_ERRNO - 1 */

/* Accepts any argument of at least struct rec_arg (so that the largest size can be added) */
static long rec_bind(struct gunyah_vm_function_instance *f)
{
	const struct rec_arg *arg = f->argp;

	ev_log(EV_BIND, f, f->arg_size >= sizeof(*arg) ? arg->key : U32_MAX, f->arg_size, 0);
	if (f->arg_size < sizeof(*arg))
		return -EINVAL;
	return arg->bind_ret;
}

static void rec_unbind(struct gunyah_vm_function_instance *f)
{
	const struct rec_arg *arg = f->argp;

	ev_log(EV_UNBIND, f, arg->key, f->arg_size, 0);
}

static bool rec_compare(const struct gunyah_vm_function_instance *f, const void *arg, size_t size)
{
	const struct rec_arg *mine = f->argp;
	const struct rec_arg *want = arg;

	ev_log(EV_COMPARE, f, mine->key, size, f->fn->type);
	return want && size == sizeof(*want) && want->key == mine->key;
}

static int rec_validate(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	const struct rec_arg *want = arg;

	ev_log(EV_VALIDATE, fn, size, 0, 0);
	if (!want || size != sizeof(*want))
		return -EINVAL;
	if (want->key == REC_KEY_VALIDATE_NOT_ERRNO)
		return -MAX_ERRNO - 1;
	return want->key == REC_KEY_VALIDATE_POSITIVE ? 1 : 0;
}

static struct gunyah_vm_function rec_fn = {
	.type = FN_T_REC,
	.name = "gunyah_fn_test_rec",
	.mod = THIS_MODULE,
	.bind = rec_bind,
	.unbind = rec_unbind,
	.compare = rec_compare,
	.validate = rec_validate,
};

static struct gunyah_vm_function noval_fn = {
	.type = FN_T_NOVAL,
	.name = "gunyah_fn_test_noval",
	.mod = THIS_MODULE,
	.bind = rec_bind,
	.unbind = rec_unbind,
	.compare = rec_compare,
};

/* The key of an argument rec_bind() or rec_validate() accepted: its key without the low bits */
static u64 rec_key(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	const struct rec_arg *a = arg;

	return a->key >> 4;
}

static struct gunyah_vm_function keyed_fn = {
	.type = FN_T_KEYED,
	.name = "gunyah_fn_test_keyed",
	.mod = THIS_MODULE,
	.bind = rec_bind,
	.unbind = rec_unbind,
	.compare = rec_compare,
	.validate = rec_validate,
	.key = rec_key,
};

/* ADD of a recorder type, with the argument in a kmalloc'ed buffer as the framework wants */
static long add_rec(struct fn_test_ctx *ctx, u32 type, u32 key, s32 bind_ret)
{
	struct rec_arg *arg = kmalloc(sizeof(*arg), GFP_KERNEL);

	if (!arg)
		return -ENOMEM;
	arg->key = key;
	arg->bind_ret = bind_ret;
	return gunyah_vm_add_function_arg(&ctx->ghvm, type, arg, sizeof(*arg));
}

static long rm_rec(struct fn_test_ctx *ctx, u32 type, u32 key)
{
	const struct rec_arg arg = { .key = key };

	return gunyah_vm_rm_function_arg(&ctx->ghvm, type, &arg, sizeof(arg));
}

static void scratch_fill(struct gunyah_vm_function *fn, u32 type)
{
	memset(fn, 0, sizeof(*fn));
	fn->type = type;
	fn->name = "gunyah_fn_test_scratch";
	fn->mod = THIS_MODULE;
	fn->bind = rec_bind;
	fn->unbind = rec_unbind;
	fn->compare = rec_compare;
}

static int scratch_register(struct fn_test_ctx *ctx, unsigned int i)
{
	int ret = gunyah_vm_function_register(&ctx->scratch[i]);

	if (!ret)
		ctx->scratch_registered[i] = true;
	return ret;
}

static void scratch_unregister(struct fn_test_ctx *ctx, unsigned int i)
{
	if (ctx->scratch_registered[i])
		gunyah_vm_function_unregister(&ctx->scratch[i]);
	ctx->scratch_registered[i] = false;
}

/* ---------------------------------------------------------------------------------------- */
/* gunyah_fn_registry                                                                       */

static int fn_registry_suite_init(struct kunit_suite *suite)
{
	int ret;

	ret = gunyah_vm_function_register(&rec_fn);
	if (ret)
		return ret;
	ret = gunyah_vm_function_register(&noval_fn);
	if (ret)
		goto err_rec;
	ret = gunyah_vm_function_register(&keyed_fn);
	if (ret)
		goto err_noval;
	return 0;

err_noval:
	gunyah_vm_function_unregister(&noval_fn);
err_rec:
	gunyah_vm_function_unregister(&rec_fn);
	return ret;
}

static void fn_registry_suite_exit(struct kunit_suite *suite)
{
	gunyah_vm_function_unregister(&keyed_fn);
	gunyah_vm_function_unregister(&noval_fn);
	gunyah_vm_function_unregister(&rec_fn);
}

static void fn_register_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function *a = &ctx->scratch[0], *b = &ctx->scratch[1];
	struct gunyah_vm_function *fn;

	scratch_fill(a, FN_T_SCRATCH);
	scratch_fill(b, FN_T_SCRATCH);

	KUNIT_ASSERT_EQ(test, scratch_register(ctx, 0), 0);
	/* The same structure again, or another one of the same type: the number is taken */
	KUNIT_EXPECT_EQ(test, gunyah_vm_function_register(a), -EEXIST);
	KUNIT_EXPECT_EQ(test, scratch_register(ctx, 1), -EEXIST);

	fn = gunyah_vm_function_get(FN_T_SCRATCH);
	KUNIT_EXPECT_PTR_EQ(test, fn, a);
	gunyah_vm_function_put(fn);

	/* Unregistering a structure that is not the registered one leaves the registered one */
	gunyah_vm_function_unregister(b);
	fn = gunyah_vm_function_get(FN_T_SCRATCH);
	KUNIT_EXPECT_PTR_EQ(test, fn, a);
	gunyah_vm_function_put(fn);

	/* Unregistered: the number is free again */
	scratch_unregister(ctx, 0);
	KUNIT_ASSERT_EQ(test, scratch_register(ctx, 1), 0);
	fn = gunyah_vm_function_get(FN_T_SCRATCH);
	KUNIT_EXPECT_PTR_EQ(test, fn, b);
	gunyah_vm_function_put(fn);

	/* And gone after unregistering: the lookup runs modprobe, which finds nothing */
	scratch_unregister(ctx, 1);
	fn = gunyah_vm_function_get(FN_T_SCRATCH);
	KUNIT_EXPECT_PTR_EQ(test, fn, ERR_PTR(-ENOENT));
	gunyah_vm_function_put(fn);
}

struct reg_case {
	const char *name;
	u32 type;
	bool no_bind;
	bool no_unbind;
	bool no_compare;
	bool key;
	bool validate;
	int ret;
};

static const struct reg_case reg_cases[] = {
	{ .name = "sample type", .type = FN_T_SCRATCH, .ret = 0 },
	{ .name = "last sample type", .type = GUNYAH_FN_SAMPLE_LAST, .ret = 0 },
	{ .name = "type 0", .type = 0, .ret = -EINVAL },
	{ .name = "GUNYAH_FN_TYPE_MAX", .type = GUNYAH_FN_TYPE_MAX, .ret = -EINVAL },
	{ .name = "type 0x10000", .type = 0x10000, .ret = -EINVAL },
	{ .name = "type U32_MAX", .type = U32_MAX, .ret = -EINVAL },
	{ .name = "no bind", .type = FN_T_SCRATCH, .no_bind = true, .ret = -EINVAL },
	{ .name = "no unbind", .type = FN_T_SCRATCH, .no_unbind = true, .ret = -EINVAL },
	{ .name = "no compare", .type = FN_T_SCRATCH, .no_compare = true, .ret = -EINVAL },
	{ .name = "key and validate", .type = FN_T_SCRATCH, .key = true, .validate = true,
	  .ret = 0 },
	{ .name = "key without validate", .type = FN_T_SCRATCH, .key = true, .ret = -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(reg, reg_cases, name);

static void fn_register_param_test(struct kunit *test)
{
	const struct reg_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function *fn = &ctx->scratch[0], *found;

	scratch_fill(fn, c->type);
	if (c->no_bind)
		fn->bind = NULL;
	if (c->no_unbind)
		fn->unbind = NULL;
	if (c->no_compare)
		fn->compare = NULL;
	if (c->key)
		fn->key = rec_key;
	if (c->validate)
		fn->validate = rec_validate;

	KUNIT_ASSERT_EQ(test, scratch_register(ctx, 0), c->ret);

	/* Registered: found; refused with a valid number: not registered (modprobe runs) */
	if (!c->ret || (c->type && c->type < GUNYAH_FN_TYPE_MAX)) {
		found = gunyah_vm_function_get(c->type);
		KUNIT_EXPECT_PTR_EQ(test, found, c->ret ? ERR_PTR(-ENOENT) : fn);
		gunyah_vm_function_put(found);
	}
}

static void fn_get_put_test(struct kunit *test)
{
	struct gunyah_vm_function *fn, *fn2;
	int base;

	need_refcounts(test);
	base = mod_refs(THIS_MODULE);

	fn = gunyah_vm_function_get(FN_T_REC);
	KUNIT_EXPECT_PTR_EQ(test, fn, &rec_fn);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	fn2 = gunyah_vm_function_get(FN_T_NOVAL);
	KUNIT_EXPECT_PTR_EQ(test, fn2, &noval_fn);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 2);

	gunyah_vm_function_put(fn2);
	gunyah_vm_function_put(fn);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);

	/* NULL and error pointers are ignored */
	gunyah_vm_function_put(NULL);
	gunyah_vm_function_put(ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
}

struct type_case {
	const char *name;
	u32 type;
};

static const struct type_case unknown_cases[] = {
	{ "sample type no module provides", FN_T_NONE },
	{ "type 0", 0 },
	{ "GUNYAH_FN_TYPE_MAX", GUNYAH_FN_TYPE_MAX },
	{ "type 0x10000", 0x10000 },
	{ "type U32_MAX", U32_MAX },
};

KUNIT_ARRAY_PARAM_DESC(unknown, unknown_cases, name);

static void fn_get_unknown_test(struct kunit *test)
{
	const struct type_case *c = test->param_value;
	struct gunyah_vm_function *fn;

	fn = gunyah_vm_function_get(c->type);
	KUNIT_EXPECT_PTR_EQ(test, fn, ERR_PTR(-ENOENT));
	gunyah_vm_function_put(fn);
}

struct check_case {
	const char *name;
	u32 type;
	u32 flags;
	long ret;
};

static const struct check_case check_cases[] = {
	{ "registered type", FN_T_REC, 0, 0 },
	{ "registered type without validate", FN_T_NOVAL, 0, 0 },
	{ "sample type no module provides", FN_T_NONE, 0, -ENOENT },
	{ "type 0", 0, 0, -ENOENT },
	{ "GUNYAH_FN_TYPE_MAX", GUNYAH_FN_TYPE_MAX, 0, -ENOENT },
	{ "type U32_MAX", U32_MAX, 0, -ENOENT },
	{ "flags 1", FN_T_REC, 1, -EINVAL },
	{ "flags bit 31", FN_T_REC, BIT(31), -EINVAL },
	{ "flags with an unknown type", FN_T_NONE, 1, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(check, check_cases, name);

static void fn_check_function_test(struct kunit *test)
{
	const struct check_case *c = test->param_value;
	const struct gunyah_fn_check check = { .type = c->type, .flags = c->flags };
	int base = mod_refs(THIS_MODULE);

	KUNIT_EXPECT_EQ(test, gunyah_check_function(&check), c->ret);
	/* It creates nothing and keeps no reference */
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
}

static void fn_autoload_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	const struct gunyah_fn_check check = { .type = GUNYAH_FN_AUTOLOAD_TYPE };
	struct gunyah_vm_function *fn;
	const char *name;
	int refs;

	fn = gunyah_vm_function_get(GUNYAH_FN_AUTOLOAD_TYPE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(fn),
			       "request_module(\"ghfunc:%u\") did not provide the type (%ld): is %s.ko installed and depmod'ed?",
			       (unsigned int)GUNYAH_FN_AUTOLOAD_TYPE, PTR_ERR(fn),
			       GUNYAH_FN_AUTOLOAD_MOD_NAME);

	KUNIT_EXPECT_EQ(test, fn->type, (u32)GUNYAH_FN_AUTOLOAD_TYPE);
	KUNIT_EXPECT_NOT_NULL(test, fn->mod);
	name = module_name(fn->mod);
	KUNIT_EXPECT_STREQ(test, name, GUNYAH_FN_AUTOLOAD_MOD_NAME);
	KUNIT_EXPECT_EQ(test, gunyah_check_function(&check), 0);

	/* An instance of the autoloaded type works, and pins the module that provides it */
	refs = mod_refs(fn->mod);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, GUNYAH_FN_AUTOLOAD_TYPE,
							 NULL, 0),
			GUNYAH_FN_AUTOLOAD_BIND_RET);
	if (IS_ENABLED(CONFIG_MODULE_UNLOAD))
		KUNIT_EXPECT_EQ(test, mod_refs(fn->mod), refs + 1);
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, GUNYAH_FN_AUTOLOAD_TYPE,
							NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, mod_refs(fn->mod), refs);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));

	gunyah_vm_function_put(fn);
}

/* Wait up to 10 s for @type to be (or no longer be) registered: whether it got there */
static bool wait_registered(u32 type, bool registered)
{
	unsigned long deadline = jiffies + 10 * HZ;

	while (gunyah_vm_function_registered(type) != registered) {
		if (time_after(jiffies, deadline))
			return false;
		msleep(20);
	}
	return true;
}

/*
 * A type is not used before its module's init has returned: gunyah_fn_initfail_mod registers
 * its type, waits, and fails its init, after which the kernel frees it whatever references it
 * has. While the init waits, the type is registered but neither found nor given instances,
 * exactly as if it did not exist; afterwards it is gone.
 */
static void fn_init_fail_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function *fn;
	long absent, ret;

	KUNIT_ASSERT_FALSE(test, gunyah_vm_function_registered(GUNYAH_FN_INITFAIL_TYPE));
	absent = gunyah_vm_add_function_arg(&ctx->ghvm, GUNYAH_FN_INITFAIL_TYPE, NULL, 0);
	KUNIT_EXPECT_LT(test, absent, 0);

	KUNIT_ASSERT_EQ(test, request_module_nowait(GUNYAH_FN_INITFAIL_MOD_NAME), 0);
	KUNIT_ASSERT_TRUE_MSG(test, wait_registered(GUNYAH_FN_INITFAIL_TYPE, true),
			      "%s did not register type %u: is %s.ko installed and depmod'ed?",
			      GUNYAH_FN_INITFAIL_MOD_NAME, (unsigned int)GUNYAH_FN_INITFAIL_TYPE,
			      GUNYAH_FN_INITFAIL_MOD_NAME);

	fn = gunyah_vm_function_get(GUNYAH_FN_INITFAIL_TYPE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(fn), -ENOENT);
	gunyah_vm_function_put(fn);
	ret = gunyah_vm_add_function_arg(&ctx->ghvm, GUNYAH_FN_INITFAIL_TYPE, NULL, 0);
	KUNIT_EXPECT_EQ(test, ret, absent);
	/* Had it been made, the instance must go while the module's code is still there */
	if (ret >= 0)
		gunyah_vm_rm_function_arg(&ctx->ghvm, GUNYAH_FN_INITFAIL_TYPE, NULL, 0);
	/* All of that happened while the init was still waiting */
	KUNIT_EXPECT_TRUE(test, gunyah_vm_function_registered(GUNYAH_FN_INITFAIL_TYPE));

	KUNIT_EXPECT_TRUE(test, wait_registered(GUNYAH_FN_INITFAIL_TYPE, false));
}

static void fn_refcount_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	int base, nr;

	need_refcounts(test);
	base = mod_refs(THIS_MODULE);
	nr = atomic_read(&rec_fn.nr_instances);

	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 2, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&rec_fn.nr_instances), nr + 2);

	/* REMOVE drops one */
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 1), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&rec_fn.nr_instances), nr + 1);

	/* The VM's release drops the rest */
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_NOVAL, 3, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 2);
	gunyah_vm_remove_functions(&ctx->ghvm);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
	KUNIT_EXPECT_EQ(test, atomic_read(&rec_fn.nr_instances), nr);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
}

static void fn_instance_list_test(struct kunit *test)
{
	static const u32 keys[] = { 1, 2, 3, 4 };
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *inst;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		KUNIT_ASSERT_EQ(test, add_rec(ctx, i < 3 ? FN_T_REC : FN_T_NOVAL, keys[i], 0), 0);

	/* Oldest first, each filled in by the framework before bind() */
	i = 0;
	list_for_each_entry(inst, &ctx->ghvm.functions, vm_list) {
		const struct rec_arg *arg = inst->argp;

		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(keys));
		KUNIT_EXPECT_EQ_MSG(test, arg->key, keys[i], "instance %u", i);
		KUNIT_EXPECT_EQ_MSG(test, inst->arg_size, sizeof(*arg), "instance %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, inst->fn, i < 3 ? &rec_fn : &noval_fn,
					"instance %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, inst->ghvm, &ctx->ghvm, "instance %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, inst->rm, ctx->ghvm.rm, "instance %u", i);
		expect_ev(test, i, EV_BIND, inst, keys[i]);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(keys));

	/* The VM's release unbinds newest first */
	ev_reset(ctx);
	gunyah_vm_remove_functions(&ctx->ghvm);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].kind, EV_UNBIND, "event %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].a, keys[ARRAY_SIZE(keys) - 1 - i],
				    "event %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, ctx->ev[i].fn_locked, "event %u", i);
	}
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
}

static void fn_bind_result_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	int base = mod_refs(THIS_MODULE);
	int nr = atomic_read(&rec_fn.nr_instances);

	/* bind()'s error: no instance, no reference */
	KUNIT_EXPECT_EQ(test, add_rec(ctx, FN_T_REC, 1, -EBADE), -EBADE);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_BIND), 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
	KUNIT_EXPECT_EQ(test, atomic_read(&rec_fn.nr_instances), nr);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 1), -ENOENT);

	/* bind()'s value >= 0 is what ADD returns (a new fd, for instance) */
	KUNIT_EXPECT_EQ(test, add_rec(ctx, FN_T_REC, 2, 7), 7);
	KUNIT_EXPECT_FALSE(test, list_empty(&ctx->ghvm.functions));
	KUNIT_EXPECT_EQ(test, atomic_read(&rec_fn.nr_instances), nr + 1);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 2), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
}

static void fn_remove_match_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *i1, *i2;

	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 1, 0), 0);
	i1 = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 2, 0), 0);
	i2 = newest_inst(ctx);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 2), 0);
	/* Each instance was compared under fn_lock; the one with the right argument went */
	expect_ev(test, ev_find(ctx, EV_COMPARE, i1), EV_COMPARE, i1, 1);
	expect_ev(test, ev_find(ctx, EV_COMPARE, i2), EV_COMPARE, i2, 2);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, i2, 2);
	KUNIT_EXPECT_PTR_EQ(test, newest_inst(ctx), i1);

	/* No instance matches: nothing is removed */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 3), -ENOENT);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 2), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 0);
	KUNIT_EXPECT_PTR_EQ(test, newest_inst(ctx), i1);

	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 1), 0);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, i1, 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
}

static void fn_remove_oldest_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *a, *b, *c;

	/* a and c are identical as far as compare() can tell; b is in between */
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 5, 0), 0);
	a = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 6, 0), 0);
	b = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 5, 0), 0);
	c = newest_inst(ctx);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 5), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, a, 5);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 5), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, c, 5);

	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 5), -ENOENT);
	KUNIT_EXPECT_PTR_EQ(test, newest_inst(ctx), b);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), 1);
}

static void fn_remove_other_type_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_NOVAL, 1, 0), 0);

	/* Same argument, other type: the instance is not even compared */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 0);

	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 1, 0), 0);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 1), 0);
	for (i = 0; i < ctx->n_ev; i++) {
		if (ctx->ev[i].kind == EV_COMPARE)
			KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].c, FN_T_REC, "event %u", i);
	}
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), 1);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_NOVAL, 1), 0);
}

struct rm_case {
	const char *name;
	u32 type;
	u32 key;
	size_t size;		/* of the REMOVE argument; 0: none (NULL) */
	long ret;
	bool validated;		/* the type's validate() ran */
	bool compared;		/* compare() ran */
};

static const struct rm_case rm_cases[] = {
	{ "validate: accepted, match", FN_T_REC, 1, sizeof(struct rec_arg), 0, true, true },
	{ "validate: accepted, no match", FN_T_REC, 2, sizeof(struct rec_arg), -ENOENT,
	  true, true },
	{ "validate: short", FN_T_REC, 1, sizeof(u32), -EINVAL, true, false },
	{ "validate: long", FN_T_REC, 1, sizeof(struct rec_arg) + 4, -EINVAL, true, false },
	{ "validate: no argument", FN_T_REC, 1, 0, -EINVAL, true, false },
	{ "validate returns > 0", FN_T_REC, REC_KEY_VALIDATE_POSITIVE, sizeof(struct rec_arg),
	  -EINVAL, true, false },
	{ "validate returns no errno", FN_T_REC, REC_KEY_VALIDATE_NOT_ERRNO,
	  sizeof(struct rec_arg), -EINVAL, true, false },
	{ "no validate: short", FN_T_NOVAL, 1, sizeof(u32), -ENOENT, false, true },
	{ "no validate: no argument", FN_T_NOVAL, 1, 0, -ENOENT, false, true },
	{ "no validate: match", FN_T_NOVAL, 1, sizeof(struct rec_arg), 0, false, true },
};

KUNIT_ARRAY_PARAM_DESC(rm, rm_cases, name);

static void fn_remove_validate_test(struct kunit *test)
{
	const struct rm_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	struct {
		struct rec_arg arg;
		u32 more;	/* for the "long" case */
	} buf = { };
	int i;

	static_assert(sizeof(buf) >= sizeof(struct rec_arg) + 4);

	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 1, 0), 0);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_NOVAL, 1, 0), 0);

	buf.arg.key = c->key;
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, c->type,
							c->size ? &buf : NULL, c->size),
			c->ret);

	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), c->validated ? 1 : 0);
	i = ev_find(ctx, EV_VALIDATE, NULL);
	if (c->validated)
		expect_ev(test, i, EV_VALIDATE, c->type == FN_T_REC ? &rec_fn : &noval_fn, c->size);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE) > 0, c->compared);
	/* validate() comes first; only instances of the type are compared */
	for (i = 0; i < (int)ctx->n_ev; i++) {
		if (ctx->ev[i].kind != EV_COMPARE)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].c, c->type, "event %d", i);
		KUNIT_EXPECT_TRUE_MSG(test, ctx->ev[i].fn_locked, "event %d", i);
		if (c->validated)
			KUNIT_EXPECT_GT_MSG(test, i, ev_find(ctx, EV_VALIDATE, NULL),
					    "event %d", i);
	}
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), c->ret ? 0 : 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), c->ret ? 2 : 1);
}

static void fn_arg_size_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *inst;
	struct rec_arg *arg;
	u8 *big, *rm_buf;

	/* Too large: refused before the type is asked (the buffer is consumed) */
	big = kzalloc(GUNYAH_FN_MAX_ARG_SIZE + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_REC, big,
							 GUNYAH_FN_MAX_ARG_SIZE + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_BIND), 0);

	/* The largest size is passed on; the type decides */
	big = kzalloc(GUNYAH_FN_MAX_ARG_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	arg = (struct rec_arg *)big;
	arg->key = 9;
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_REC, big,
							 GUNYAH_FN_MAX_ARG_SIZE),
			0);
	inst = newest_inst(ctx);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	KUNIT_EXPECT_EQ(test, inst->arg_size, GUNYAH_FN_MAX_ARG_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, inst->argp, (void *)big);

	/* A REMOVE argument that is too large never reaches validate() */
	rm_buf = kunit_kzalloc(test, GUNYAH_FN_MAX_ARG_SIZE + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rm_buf);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, FN_T_REC, rm_buf,
							GUNYAH_FN_MAX_ARG_SIZE + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, FN_T_REC, NULL,
							sizeof(struct rec_arg)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), 0);

	/* A size without a buffer, a buffer without a size */
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_REC, NULL,
							 sizeof(struct rec_arg)),
			-EINVAL);
	big = kzalloc(sizeof(*arg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_REC, big, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_BIND), 0);

	/* A type nobody provides */
	KUNIT_EXPECT_EQ(test, add_rec(ctx, FN_T_NONE, 1, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_NONE, 1), -ENOENT);

	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 9), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
}

static void fn_remove_keyed_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *a, *b, *c, *d;

	/* a and c are identical as far as compare() can tell; b has their key, d another */
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_KEYED, 0x10, 0), 0);
	a = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_KEYED, 0x11, 0), 0);
	b = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_KEYED, 0x10, 0), 0);
	c = newest_inst(ctx);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_KEYED, 0x20, 0), 0);
	d = newest_inst(ctx);
	KUNIT_EXPECT_EQ(test, a->key, 1);
	KUNIT_EXPECT_EQ(test, b->key, 1);
	KUNIT_EXPECT_EQ(test, d->key, 2);
	KUNIT_EXPECT_LT(test, a->seq, b->seq);
	KUNIT_EXPECT_LT(test, b->seq, c->seq);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.fn_index.nr, 4);

	/* validate() first; compare() under fn_lock, on the instances with the key only */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x10), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), 1);
	expect_ev(test, ev_find(ctx, EV_COMPARE, a), EV_COMPARE, a, 0x10);
	expect_ev(test, ev_find(ctx, EV_COMPARE, c), EV_COMPARE, c, 0x10);
	KUNIT_EXPECT_EQ(test, ev_find(ctx, EV_COMPARE, d), -1);
	KUNIT_EXPECT_GT(test, ev_find(ctx, EV_COMPARE, NULL), ev_find(ctx, EV_VALIDATE, NULL));
	/* The oldest match goes */
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, a, 0x10);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x10), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, c, 0x10);

	/* No instance has the key: nothing is compared; the key matches, compare() does not */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x30), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 0);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x12), -ENOENT);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x10), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 0);

	/* validate() refuses as it does without a key; key() is not asked */
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, FN_T_KEYED, NULL, 0), -EINVAL);

	/* An instance of another type with the same argument is not looked at */
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_REC, 0x11, 0), 0);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x11), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, b, 0x11);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x20), 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), 1);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.fn_index.nr, 0);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_REC, 0x11), 0);
}

/* More than the instance index's inline chains (1 << GUNYAH_VM_HASH_INLINE_BITS) */
#define FN_TEST_MANY	40

static void fn_keyed_many_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	unsigned int i;

	/* The index grows; every instance is found by its key alone */
	for (i = 0; i < FN_TEST_MANY; i++)
		KUNIT_ASSERT_EQ_MSG(test, add_rec(ctx, FN_T_KEYED, i << 4, 0), 0, "instance %u", i);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.fn_index.nr, FN_TEST_MANY);
	KUNIT_EXPECT_GT(test, ctx->ghvm.fn_index.bits, (unsigned int)GUNYAH_VM_HASH_INLINE_BITS);

	for (i = 0; i < FN_TEST_MANY; i += 2) {
		ev_reset(ctx);
		KUNIT_EXPECT_EQ_MSG(test, rm_rec(ctx, FN_T_KEYED, i << 4), 0, "instance %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ev_count(ctx, EV_COMPARE), 1, "instance %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ev_count(ctx, EV_UNBIND), 1, "instance %u", i);
	}
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0), -ENOENT);
	for (i = 1; i < FN_TEST_MANY; i += 2)
		KUNIT_EXPECT_EQ_MSG(test, rm_rec(ctx, FN_T_KEYED, i << 4), 0, "instance %u", i);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
	KUNIT_EXPECT_EQ(test, ctx->ghvm.fn_index.nr, 0);

	/* The VM's release frees the grown chains; the index stays usable */
	gunyah_vm_remove_functions(&ctx->ghvm);
	KUNIT_EXPECT_PTR_EQ(test, ctx->ghvm.fn_index.buckets,
			    &ctx->ghvm.fn_index.inline_buckets[0]);
	KUNIT_ASSERT_EQ(test, add_rec(ctx, FN_T_KEYED, 0x10, 0), 0);
	KUNIT_EXPECT_EQ(test, rm_rec(ctx, FN_T_KEYED, 0x10), 0);
}

static struct kunit_case fn_registry_cases[] = {
	KUNIT_CASE(fn_register_test),
	KUNIT_CASE_PARAM(fn_register_param_test, reg_gen_params),
	KUNIT_CASE(fn_get_put_test),
	KUNIT_CASE_PARAM(fn_get_unknown_test, unknown_gen_params),
	KUNIT_CASE_PARAM(fn_check_function_test, check_gen_params),
	KUNIT_CASE(fn_autoload_test),
	KUNIT_CASE(fn_init_fail_test),
	KUNIT_CASE(fn_refcount_test),
	KUNIT_CASE(fn_instance_list_test),
	KUNIT_CASE(fn_bind_result_test),
	KUNIT_CASE(fn_remove_match_test),
	KUNIT_CASE(fn_remove_oldest_test),
	KUNIT_CASE(fn_remove_other_type_test),
	KUNIT_CASE_PARAM(fn_remove_validate_test, rm_gen_params),
	KUNIT_CASE(fn_arg_size_test),
	KUNIT_CASE(fn_remove_keyed_test),
	KUNIT_CASE(fn_keyed_many_test),
	{}
};

static struct kunit_suite fn_registry_suite = {
	.name = "gunyah_fn_registry",
	.suite_init = fn_registry_suite_init,
	.suite_exit = fn_registry_suite_exit,
	.init = fn_test_init,
	.test_cases = fn_registry_cases,
};

/* ---------------------------------------------------------------------------------------- */
/* gunyah_fn_tickets                                                                        */

static bool tt_populate(struct gunyah_vm_resource_ticket *ticket, struct gunyah_resource *ghrsc)
{
	struct test_ticket *tt = container_of(ticket, struct test_ticket, t);

	ev_log(EV_POPULATE, tt, ghrsc->capid, rsc_key(ghrsc->type, ghrsc->rm_label), ghrsc->irq);
	return ghrsc->capid != tt->refuse_capid;
}

static void tt_unpopulate(struct gunyah_vm_resource_ticket *ticket,
			  struct gunyah_resource *ghrsc)
{
	struct test_ticket *tt = container_of(ticket, struct test_ticket, t);

	ev_log(EV_UNPOPULATE, tt, ghrsc->capid, rsc_key(ghrsc->type, ghrsc->rm_label),
	       ghrsc->irq);
}

/* Only for a ticket that is not added */
static void tt_init(struct test_ticket *tt, struct gunyah_vm *ghvm,
		    enum gunyah_resource_type type, u32 label)
{
	memset(tt, 0, sizeof(*tt));
	INIT_LIST_HEAD(&tt->t.vm_list);
	INIT_LIST_HEAD(&tt->t.resources);
	tt->t.resource_type = type;
	tt->t.label = label;
	tt->t.owner = THIS_MODULE;
	tt->t.populate = tt_populate;
	tt->t.unpopulate = tt_unpopulate;
	tt->ghvm = ghvm;
}

static int tt_add(struct fn_test_ctx *ctx, unsigned int i, enum gunyah_resource_type type,
		  u32 label)
{
	tt_init(&ctx->tickets[i], &ctx->ghvm, type, label);
	return gunyah_vm_add_resource_ticket(&ctx->ghvm, &ctx->tickets[i].t);
}

struct rsc_desc {
	u8 type;
	u32 label;
	u64 capid;
};

/* VM start: the RM's resources (none with an interrupt) go to the tickets */
static int vm_populate(struct kunit *test, const struct rsc_desc *d, unsigned int n)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_rm_hyp_resources *res;
	unsigned int i;

	res = kunit_kzalloc(test, struct_size(res, entries, n), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, res);
	res->n_entries = n;
	for (i = 0; i < n; i++) {
		res->entries[i].type = d[i].type;
		res->entries[i].resource_label = d[i].label;
		res->entries[i].cap_id = d[i].capid;
		res->entries[i].virq = U32_MAX;
	}
	return gunyah_vm_populate_resources(&ctx->ghvm, res);
}

#define POPULATE(test, array)	vm_populate(test, array, ARRAY_SIZE(array))

static void ticket_populate_order_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 1, 0x11 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
		{ GUNYAH_RESOURCE_TYPE_BELL_TX, 0, 0x20 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x12 },
		{ GUNYAH_RESOURCE_TYPE_BELL_RX, 1, 0x21 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t0 = &ctx->tickets[0], *t1 = &ctx->tickets[1];
	struct test_ticket *t2 = &ctx->tickets[2];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_VCPU, 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);

	/* Tickets registered before the resources get them at VM start, in the RM's order */
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 3);
	expect_ev(test, 0, EV_POPULATE, t1, 0x11);
	expect_ev(test, 1, EV_POPULATE, t0, 0x10);
	expect_ev(test, 2, EV_POPULATE, t0, 0x12);
	KUNIT_EXPECT_EQ(test, ctx->ev[0].b, rsc_key(GUNYAH_RESOURCE_TYPE_VCPU, 1));
	KUNIT_EXPECT_EQ(test, ctx->ev[1].b, rsc_key(GUNYAH_RESOURCE_TYPE_VCPU, 0));
	for (i = 0; i < ctx->n_ev; i++) {
		KUNIT_EXPECT_EQ_MSG(test, ctx->ev[i].c, 0, "event %u: resource without irq", i);
		KUNIT_EXPECT_FALSE_MSG(test, ctx->ev[i].fn_locked, "event %u", i);
	}
	KUNIT_EXPECT_EQ(test, list_count_nodes(&t0->t.resources), 2);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&t1->t.resources), 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 2);

	/* An unclaimed resource waits for a ticket that comes later */
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 2, GUNYAH_RESOURCE_TYPE_BELL_TX, 0), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, EV_POPULATE, t2, 0x20);
	KUNIT_EXPECT_EQ(test, ctx->ev[0].b, rsc_key(GUNYAH_RESOURCE_TYPE_BELL_TX, 0));
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 1);
}

static void ticket_late_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 1, 0x11 },
		{ GUNYAH_RESOURCE_TYPE_MSGQ_TX, 0, 0x30 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x12 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t0 = &ctx->tickets[0];

	/* No ticket yet: every resource is kept */
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), ARRAY_SIZE(rsc));

	/* A late ticket gets the ones with its type and label at once, in arrival order */
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 2);
	expect_ev(test, 0, EV_POPULATE, t0, 0x10);
	expect_ev(test, 1, EV_POPULATE, t0, 0x12);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&t0->t.resources), 2);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 2);
}

static void ticket_duplicate_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t3 = &ctx->tickets[3];
	int base;

	need_refcounts(test);
	base = mod_refs(THIS_MODULE);

	/* Each added ticket holds a reference to its owner */
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_VCPU, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_VCPU, 1), 0);
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 2, GUNYAH_RESOURCE_TYPE_BELL_RX, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 3);

	/* Without populate or unpopulate */
	tt_init(t3, &ctx->ghvm, GUNYAH_RESOURCE_TYPE_VCPU, 2);
	t3->t.populate = NULL;
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_resource_ticket(&ctx->ghvm, &t3->t), -EINVAL);
	tt_init(t3, &ctx->ghvm, GUNYAH_RESOURCE_TYPE_VCPU, 2);
	t3->t.unpopulate = NULL;
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_resource_ticket(&ctx->ghvm, &t3->t), -EINVAL);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 3);

	/* Removing a ticket frees its type and label */
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &ctx->tickets[0].t);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 2);
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 3, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 3);

	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &ctx->tickets[1].t);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &ctx->tickets[2].t);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &ctx->tickets[3].t);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resource_tickets));
}

static void ticket_refuse_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x12 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t0 = &ctx->tickets[0], *t1 = &ctx->tickets[1];

	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	t0->refuse_capid = 0x10;

	/* Both are offered; the refused one stays with the VM */
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 2);
	expect_ev(test, 0, EV_POPULATE, t0, 0x10);
	expect_ev(test, 1, EV_POPULATE, t0, 0x12);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&t0->t.resources), 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 1);

	/* Only what it took is unpopulated */
	ev_reset(ctx);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &t0->t);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, EV_UNPOPULATE, t0, 0x12);

	/* Another ticket for the same type and label gets both */
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 2);
	expect_ev(test, 0, EV_POPULATE, t1, 0x10);
	expect_ev(test, 1, EV_POPULATE, t1, 0x12);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resources));
}

static void ticket_remove_returns_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x12 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x14 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t0 = &ctx->tickets[0];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 3);

	/* Removal unpopulates newest first; the resources go back to the VM */
	ev_reset(ctx);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &t0->t);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 3);
	expect_ev(test, 0, EV_UNPOPULATE, t0, 0x14);
	expect_ev(test, 1, EV_UNPOPULATE, t0, 0x12);
	expect_ev(test, 2, EV_UNPOPULATE, t0, 0x10);
	KUNIT_EXPECT_TRUE(test, list_empty(&t0->t.resources));
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resource_tickets));
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 3);

	/* A second removal does nothing */
	ev_reset(ctx);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &t0->t);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);

	/* Added again, it gets them back in their first order */
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 3);
	for (i = 0; i < 3; i++)
		expect_ev(test, i, EV_POPULATE, t0, rsc[i].capid);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resources));
}

static void ticket_release_dangling_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 1, 0x11 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x12 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 2, 0x13 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x14 },
	};
	static const u64 t0_unpop[] = { 0x14, 0x12, 0x10 };
	static const u64 t1_unpop[] = { 0x11 };
	struct fn_test_ctx *ctx = test->priv;
	struct test_ticket *t0 = &ctx->tickets[0], *t1 = &ctx->tickets[1];
	int base = mod_refs(THIS_MODULE);

	KUNIT_ASSERT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_VCPU, 0), 0);
	KUNIT_ASSERT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_VCPU, 1), 0);
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);

	/*
	 * The VM is released with both tickets still registered (their function "forgot" them):
	 * each is reported (dev_warn), its resources unpopulated newest first, and its owner's
	 * reference dropped; then every resource is freed.
	 */
	ev_reset(ctx);
	gunyah_vm_remove_functions(&ctx->ghvm);
	gunyah_vm_release_resources(&ctx->ghvm);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 4);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNPOPULATE), 4);
	expect_ev_seq(test, EV_UNPOPULATE, t0, t0_unpop, ARRAY_SIZE(t0_unpop));
	expect_ev_seq(test, EV_UNPOPULATE, t1, t1_unpop, ARRAY_SIZE(t1_unpop));
	expect_ev(test, ev_find(ctx, EV_UNPOPULATE, t1), EV_UNPOPULATE, t1, 0x11);
	if (IS_ENABLED(CONFIG_MODULE_UNLOAD))
		KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resource_tickets));
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resources));
	KUNIT_EXPECT_TRUE(test, list_empty(&t0->t.vm_list));
	KUNIT_EXPECT_TRUE(test, list_empty(&t1->t.vm_list));

	/* The function removing its ticket afterwards does nothing */
	ev_reset(ctx);
	gunyah_vm_remove_resource_ticket(&ctx->ghvm, &t0->t);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
}

/* FN_T_TICKET: an instance claims the vCPU resource with the label of its argument */
struct tk_arg {
	u32 label;
};

static long tk_bind(struct gunyah_vm_function_instance *f)
{
	const struct tk_arg *arg = f->argp;
	struct test_ticket *tt;
	int ret;

	if (f->arg_size != sizeof(*arg))
		return -EINVAL;
	ev_log(EV_BIND, f, arg->label, 0, 0);

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return -ENOMEM;
	tt_init(tt, f->ghvm, GUNYAH_RESOURCE_TYPE_VCPU, arg->label);
	ret = gunyah_vm_add_resource_ticket(f->ghvm, &tt->t);
	if (ret) {
		kfree(tt);
		return ret;
	}
	f->data = tt;
	return 0;
}

static void tk_unbind(struct gunyah_vm_function_instance *f)
{
	const struct tk_arg *arg = f->argp;
	struct test_ticket *tt = f->data;

	ev_log(EV_UNBIND, f, arg->label, 0, 0);
	gunyah_vm_remove_resource_ticket(f->ghvm, &tt->t);
	kfree(tt);
}

static bool tk_compare(const struct gunyah_vm_function_instance *f, const void *arg, size_t size)
{
	const struct tk_arg *mine = f->argp;
	const struct tk_arg *want = arg;

	ev_log(EV_COMPARE, f, mine->label, size, f->fn->type);
	return want && size == sizeof(*want) && want->label == mine->label;
}

static struct gunyah_vm_function tk_fn = {
	.type = FN_T_TICKET,
	.name = "gunyah_fn_test_ticket",
	.mod = THIS_MODULE,
	.bind = tk_bind,
	.unbind = tk_unbind,
	.compare = tk_compare,
};

static long add_tk(struct fn_test_ctx *ctx, u32 label)
{
	struct tk_arg *arg = kmalloc(sizeof(*arg), GFP_KERNEL);

	if (!arg)
		return -ENOMEM;
	arg->label = label;
	return gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_TICKET, arg, sizeof(*arg));
}

static void ticket_from_bind_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 0, 0x10 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_vm_function_instance *inst;
	struct test_ticket *tt;

	KUNIT_ASSERT_EQ(test, add_tk(ctx, 0), 0);
	inst = newest_inst(ctx);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	tt = inst->data;
	KUNIT_ASSERT_NOT_NULL(test, tt);

	/* bind()'s ticket clashes with the first instance's: ADD fails with bind()'s error */
	KUNIT_EXPECT_EQ(test, add_tk(ctx, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), 1);

	/* VM start, without fn_lock */
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, EV_POPULATE, tt, 0x10);
	KUNIT_EXPECT_FALSE(test, ctx->ev[0].fn_locked);

	/* VM release: unbind() removes the ticket, which unpopulates under both locks */
	ev_reset(ctx);
	gunyah_vm_remove_functions(&ctx->ghvm);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 2);
	expect_ev(test, 0, EV_UNBIND, inst, 0);
	expect_ev(test, 1, EV_UNPOPULATE, tt, 0x10);
	KUNIT_EXPECT_TRUE(test, ctx->ev[1].fn_locked);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resource_tickets));
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 1);

	/* Nothing dangles: the release only frees the resource */
	ev_reset(ctx);
	gunyah_vm_release_resources(&ctx->ghvm);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resources));
}

/* More than the ticket index's inline chains (1 << GUNYAH_VM_HASH_INLINE_BITS) */
#define TICKETS_MANY	20

static void ticket_many_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct rsc_desc *rsc;
	struct test_ticket *tt;
	unsigned int i;

	static_assert(TICKETS_MANY <= FN_TEST_EVENTS);

	tt = kunit_kcalloc(test, TICKETS_MANY, sizeof(*tt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tt);
	rsc = kunit_kcalloc(test, TICKETS_MANY, sizeof(*rsc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rsc);

	/* The index grows; a duplicate is still refused, the same label of another type is not */
	for (i = 0; i < TICKETS_MANY; i++) {
		tt_init(&tt[i], &ctx->ghvm, GUNYAH_RESOURCE_TYPE_BELL_TX, i);
		KUNIT_ASSERT_EQ_MSG(test, gunyah_vm_add_resource_ticket(&ctx->ghvm, &tt[i].t), 0,
				    "ticket %u", i);
	}
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 0, GUNYAH_RESOURCE_TYPE_BELL_TX, TICKETS_MANY - 1),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, tt_add(ctx, 1, GUNYAH_RESOURCE_TYPE_BELL_RX, TICKETS_MANY - 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.ticket_index.nr, TICKETS_MANY + 1);

	/* VM start: each resource reaches the ticket of its type and label */
	for (i = 0; i < TICKETS_MANY; i++) {
		rsc[i].type = GUNYAH_RESOURCE_TYPE_BELL_TX;
		rsc[i].label = TICKETS_MANY - 1 - i;
		rsc[i].capid = 0x100 + rsc[i].label;
	}
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, vm_populate(test, rsc, TICKETS_MANY), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, TICKETS_MANY);
	for (i = 0; i < TICKETS_MANY; i++)
		expect_ev(test, i, EV_POPULATE, &tt[rsc[i].label], rsc[i].capid);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.resources));

	for (i = 0; i < TICKETS_MANY; i++)
		gunyah_vm_remove_resource_ticket(&ctx->ghvm, &tt[i].t);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.ticket_index.nr, 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), TICKETS_MANY);
}

static int fn_tickets_suite_init(struct kunit_suite *suite)
{
	return gunyah_vm_function_register(&tk_fn);
}

static void fn_tickets_suite_exit(struct kunit_suite *suite)
{
	gunyah_vm_function_unregister(&tk_fn);
}

static struct kunit_case fn_tickets_cases[] = {
	KUNIT_CASE(ticket_populate_order_test),
	KUNIT_CASE(ticket_late_test),
	KUNIT_CASE(ticket_duplicate_test),
	KUNIT_CASE(ticket_refuse_test),
	KUNIT_CASE(ticket_remove_returns_test),
	KUNIT_CASE(ticket_release_dangling_test),
	KUNIT_CASE(ticket_from_bind_test),
	KUNIT_CASE(ticket_many_test),
	{}
};

static struct kunit_suite fn_tickets_suite = {
	.name = "gunyah_fn_tickets",
	.suite_init = fn_tickets_suite_init,
	.suite_exit = fn_tickets_suite_exit,
	.init = fn_test_init,
	.test_cases = fn_tickets_cases,
};

/* ---------------------------------------------------------------------------------------- */
/* gunyah_fn_io                                                                             */

static int tio_read(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 *data)
{
	struct test_io *tio = container_of(io_dev, struct test_io, io);

	ev_log(EV_READ, tio, addr, len, 0);
	*data = tio->read_value;
	return tio->ret;
}

static int tio_write(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 data)
{
	struct test_io *tio = container_of(io_dev, struct test_io, io);

	ev_log(EV_WRITE, tio, addr, len, data);
	return tio->ret;
}

static const struct gunyah_vm_io_handler_ops tio_rw_ops = {
	.read = tio_read,
	.write = tio_write,
};

/* A sleepable handler's callbacks may sleep: they run under the MMIO SRCU, outside RCU */
static int tio_sleep_read(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 *data)
{
	might_sleep();
	usleep_range(100, 200);
	return tio_read(io_dev, addr, len, data);
}

static int tio_sleep_write(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 data)
{
	might_sleep();
	usleep_range(100, 200);
	return tio_write(io_dev, addr, len, data);
}

static const struct gunyah_vm_io_handler_ops tio_sleep_ops = {
	.read = tio_sleep_read,
	.write = tio_sleep_write,
};

static const struct gunyah_vm_io_handler_ops tio_ro_ops = {
	.read = tio_read,
};

static const struct gunyah_vm_io_handler_ops tio_wo_ops = {
	.write = tio_write,
};

static const struct gunyah_vm_io_handler_ops tio_no_ops = { };

struct io_key {
	u64 addr;
	u32 len;
	bool dm;
	u64 data;
};

/* Only for a handler that is not added */
static void tio_fill(struct test_io *tio, struct gunyah_vm *ghvm, const struct io_key *k,
		     const struct gunyah_vm_io_handler_ops *ops, int ret, u64 read_value)
{
	memset(tio, 0, sizeof(*tio));
	tio->io.addr = k->addr;
	tio->io.len = k->len;
	tio->io.datamatch = k->dm;
	tio->io.data = k->data;
	tio->io.ops = ops;
	tio->ghvm = ghvm;
	tio->ret = ret;
	tio->read_value = read_value;
}

/* Only for a handler that is not added */
static struct test_io *tio_init(struct fn_test_ctx *ctx, unsigned int i, const struct io_key *k,
				const struct gunyah_vm_io_handler_ops *ops, int ret)
{
	struct test_io *tio = &ctx->io[i];

	tio_fill(tio, &ctx->ghvm, k, ops, ret, 0xd00d0000ULL | i);
	return tio;
}

struct collide_case {
	const char *name;
	struct io_key a;
	struct io_key b;
	bool collide;
};

static const struct collide_case collide_cases[] = {
	{ "same addr, same len", { 0x1000, 4 }, { 0x1000, 4 }, true },
	{ "same addr, same len, data ignored without datamatch",
	  { 0x1000, 4, false, 1 }, { 0x1000, 4, false, 2 }, true },
	{ "len 0 vs len 4", { 0x1000, 0 }, { 0x1000, 4 }, true },
	{ "len 4 vs len 0", { 0x1000, 4 }, { 0x1000, 0 }, true },
	{ "len 0 vs len 0", { 0x1000, 0 }, { 0x1000, 0 }, true },
	{ "len 0 vs len 8 datamatch", { 0x1000, 0 }, { 0x1000, 8, true, 5 }, true },
	{ "len 4 vs len 8", { 0x1000, 4 }, { 0x1000, 8 }, false },
	{ "len 1 vs len 2", { 0x1000, 1 }, { 0x1000, 2 }, false },
	{ "datamatch, same data", { 0x1000, 4, true, 7 }, { 0x1000, 4, true, 7 }, true },
	{ "datamatch, different data", { 0x1000, 4, true, 7 }, { 0x1000, 4, true, 8 }, false },
	{ "datamatch vs plain, same len", { 0x1000, 4, true, 7 }, { 0x1000, 4 }, true },
	{ "plain vs datamatch, same len", { 0x1000, 4 }, { 0x1000, 4, true, 7 }, true },
	{ "datamatch, same data, different len", { 0x1000, 4, true, 7 }, { 0x1000, 8, true, 7 },
	  false },
	{ "different addr, same len", { 0x1000, 4 }, { 0x1004, 4 }, false },
	{ "different addr, overlapping ranges", { 0x1000, 8 }, { 0x1004, 4 }, false },
	{ "different addr, both len 0", { 0x1000, 0 }, { 0x2000, 0 }, false },
	{ "different addr, same datamatch", { 0x1000, 4, true, 7 }, { 0x2000, 4, true, 7 },
	  false },
};

KUNIT_ARRAY_PARAM_DESC(collide, collide_cases, name);

static void io_collide_test(struct kunit *test)
{
	const struct collide_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *a, *b;

	a = tio_init(ctx, 0, &c->a, &tio_rw_ops, 0);
	b = tio_init(ctx, 1, &c->b, &tio_rw_ops, 0);

	KUNIT_EXPECT_EQ(test, gunyah_vm_io_handlers_collide(&a->io, &b->io), c->collide);
	KUNIT_EXPECT_EQ(test, gunyah_vm_io_handlers_collide(&b->io, &a->io), c->collide);

	/* gunyah_vm_add_io_handler() applies the same rule, whichever comes first */
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &a->io), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &b->io),
			c->collide ? -EEXIST : 0);
	gunyah_vm_remove_io_handler(&ctx->ghvm, &a->io);
	gunyah_vm_remove_io_handler(&ctx->ghvm, &b->io);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 0);

	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &b->io), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &a->io),
			c->collide ? -EEXIST : 0);
}

struct io_add_case {
	const char *name;
	struct io_key k;
	const struct gunyah_vm_io_handler_ops *ops;
	int ret;
};

static const struct io_add_case io_add_cases[] = {
	{ "len 0", { 0x1000, 0 }, &tio_rw_ops, 0 },
	{ "len 1", { 0x1000, 1 }, &tio_rw_ops, 0 },
	{ "len 2", { 0x1000, 2 }, &tio_rw_ops, 0 },
	{ "len 4 datamatch", { 0x1000, 4, true, 3 }, &tio_rw_ops, 0 },
	{ "len 8", { 0x1000, 8 }, &tio_rw_ops, 0 },
	{ "read only", { 0x1000, 4 }, &tio_ro_ops, 0 },
	{ "write only", { 0x1000, 4 }, &tio_wo_ops, 0 },
	{ "highest address for len 4", { U64_MAX - 4, 4 }, &tio_rw_ops, 0 },
	{ "U64_MAX, len 0", { U64_MAX, 0 }, &tio_rw_ops, 0 },
	{ "no ops", { 0x1000, 4 }, NULL, -EINVAL },
	{ "ops without read or write", { 0x1000, 4 }, &tio_no_ops, -EINVAL },
	{ "len 3", { 0x1000, 3 }, &tio_rw_ops, -EINVAL },
	{ "len 16", { 0x1000, 16 }, &tio_rw_ops, -EINVAL },
	{ "datamatch with len 0", { 0x1000, 0, true, 3 }, &tio_rw_ops, -EINVAL },
	{ "addr + len overflows", { U64_MAX - 3, 4 }, &tio_rw_ops, -EINVAL },
	{ "U64_MAX, len 1", { U64_MAX, 1 }, &tio_rw_ops, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(io_add, io_add_cases, name);

static void io_add_test(struct kunit *test)
{
	const struct io_add_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *tio = tio_init(ctx, 0, &c->k, c->ops, 0);

	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio->io), c->ret);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers == 0, c->ret != 0);
	/* Adding it again: it is there already, or still invalid */
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio->io),
			c->ret ? c->ret : -EEXIST);
}

/* Handlers of the lookup test */
#define IO_A	0x1000ULL
#define IO_B	0x2000ULL
#define IO_C	0x3000ULL
#define IO_D	0x4000ULL
#define IO_E	0x5000ULL
#define IO_F	0x6000ULL

enum { H_DM1, H_DM2, H_A8, H_ANY, H_WO, H_RO, H_ERR, H_POS, H_NR };
#define H_NONE	(-1)

static_assert(H_NR <= FN_TEST_IOS);

struct io_cfg {
	struct io_key k;
	const struct gunyah_vm_io_handler_ops *ops;
	int ret;
};

static const struct io_cfg lookup_cfg[H_NR] = {
	[H_DM1] = { { IO_A, 4, true, 0x1 }, &tio_rw_ops, 0 },
	[H_DM2] = { { IO_A, 4, true, 0x2 }, &tio_rw_ops, 0 },
	[H_A8] = { { IO_A, 8, false, 0x1234 }, &tio_rw_ops, 0 },	/* data ignored */
	[H_ANY] = { { IO_B, 0 }, &tio_rw_ops, 0 },
	[H_WO] = { { IO_C, 2 }, &tio_wo_ops, 0 },
	[H_RO] = { { IO_D, 4 }, &tio_ro_ops, 0 },
	[H_ERR] = { { IO_E, 4 }, &tio_rw_ops, -EIO },
	[H_POS] = { { IO_F, 1 }, &tio_rw_ops, 5 },
};

struct lookup_case {
	const char *name;
	bool write;
	u64 addr;
	u32 len;
	u64 data;
	int handler;	/* H_*, or H_NONE */
	int ret;
};

static const struct lookup_case lookup_cases[] = {
	{ "datamatch write, first value", true, IO_A, 4, 0x1, H_DM1, 0 },
	{ "datamatch write, second value", true, IO_A, 4, 0x2, H_DM2, 0 },
	{ "datamatch write, other value", true, IO_A, 4, 0x3, H_NONE, -ENODEV },
	{ "datamatch handlers never take reads", false, IO_A, 4, 0, H_NONE, -ENODEV },
	{ "same len write beside datamatch", true, IO_A, 8, 0x1, H_A8, 0 },
	{ "same len read beside datamatch", false, IO_A, 8, 0, H_A8, 0 },
	{ "no handler of this len", true, IO_A, 2, 0x1, H_NONE, -ENODEV },
	{ "any len: write 1", true, IO_B, 1, 0xff, H_ANY, 0 },
	{ "any len: write 8", true, IO_B, 8, 0x0123456789abcdefULL, H_ANY, 0 },
	{ "any len: read 2", false, IO_B, 2, 0, H_ANY, 0 },
	{ "any len: exact address only", true, IO_B + 4, 4, 0x1, H_NONE, -ENODEV },
	{ "below a handler", true, IO_A - 8, 8, 0x1, H_NONE, -ENODEV },
	{ "access of len 0", true, IO_B, 0, 0x1, H_NONE, -ENODEV },
	{ "write-only handler: write", true, IO_C, 2, 0x7, H_WO, 0 },
	{ "write-only handler: read", false, IO_C, 2, 0, H_NONE, -ENODEV },
	{ "read-only handler: read", false, IO_D, 4, 0, H_RO, 0 },
	{ "read-only handler: write", true, IO_D, 4, 0x7, H_NONE, -ENODEV },
	{ "handler error on write", true, IO_E, 4, 0x7, H_ERR, -EIO },
	{ "handler error on read", false, IO_E, 4, 0, H_ERR, -EIO },
	{ "positive return on write", true, IO_F, 1, 0x7, H_POS, 0 },
	{ "positive return on read", false, IO_F, 1, 0, H_POS, 0 },
};

KUNIT_ARRAY_PARAM_DESC(lookup, lookup_cases, name);

static void io_lookup_test(struct kunit *test)
{
	const struct lookup_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	unsigned int i;
	u64 data = 0;
	int ret;

	for (i = 0; i < H_NR; i++) {
		tio_init(ctx, i, &lookup_cfg[i].k, lookup_cfg[i].ops, lookup_cfg[i].ret);
		KUNIT_ASSERT_EQ_MSG(test, gunyah_vm_add_io_handler(&ctx->ghvm, &ctx->io[i].io), 0,
				    "handler %u", i);
	}

	ev_reset(ctx);
	if (c->write)
		ret = gunyah_vm_mmio_write(&ctx->ghvm, c->addr, c->len, c->data);
	else
		ret = gunyah_vm_mmio_read(&ctx->ghvm, c->addr, c->len, &data);
	KUNIT_EXPECT_EQ(test, ret, c->ret);

	if (c->handler == H_NONE) {
		KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
		return;
	}
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, c->write ? EV_WRITE : EV_READ, &ctx->io[c->handler], c->addr);
	KUNIT_EXPECT_EQ(test, ctx->ev[0].b, c->len);
	if (c->write)
		KUNIT_EXPECT_EQ(test, ctx->ev[0].c, c->data);
	else if (!c->ret)
		KUNIT_EXPECT_EQ(test, data, ctx->io[c->handler].read_value);
}

static void io_remove_test(struct kunit *test)
{
	static const struct io_key any = { IO_B, 0 }, four = { IO_B, 4 };
	static const struct io_key dm1 = { IO_A, 4, true, 1 }, dm2 = { IO_A, 4, true, 2 };
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *h_any, *h_four, *h_dm1, *h_dm2;
	u64 data;

	h_any = tio_init(ctx, 0, &any, &tio_rw_ops, 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_any->io), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_B, 4, 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 1);

	/* Removed: nothing takes the accesses any more; removing again does nothing */
	gunyah_vm_remove_io_handler(&ctx->ghvm, &h_any->io);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_B, 4, 1), -ENODEV);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_read(&ctx->ghvm, IO_B, 4, &data), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	gunyah_vm_remove_io_handler(&ctx->ghvm, &h_any->io);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 0);

	/* What collided with it can be added now, and it cannot come back */
	h_four = tio_init(ctx, 1, &four, &tio_rw_ops, 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_four->io), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_any->io), -EEXIST);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_B, 4, 1), 0);
	expect_ev(test, 0, EV_WRITE, h_four, IO_B);

	/* Removing one datamatch handler leaves the other */
	h_dm1 = tio_init(ctx, 2, &dm1, &tio_rw_ops, 0);
	h_dm2 = tio_init(ctx, 3, &dm2, &tio_rw_ops, 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_dm1->io), 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_dm2->io), 0);
	gunyah_vm_remove_io_handler(&ctx->ghvm, &h_dm1->io);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A, 4, 1), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A, 4, 2), 0);
	expect_ev(test, 0, EV_WRITE, h_dm2, IO_A);

	/* And a removed handler can be added again */
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &h_dm1->io), 0);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A, 4, 1), 0);
	expect_ev(test, 0, EV_WRITE, h_dm1, IO_A);
}

static void io_remove_kfree_test(struct kunit *test)
{
	static const struct io_key k = { IO_C, 4 };
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *tio;

	tio = kzalloc(sizeof(*tio), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tio);
	tio_fill(tio, &ctx->ghvm, &k, &tio_rw_ops, 0, 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio->io), 0);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_C, 4, 1), 0);
	expect_ev(test, 0, EV_WRITE, tio, IO_C);

	/*
	 * Removed without waiting: no access reaches it any more and its address is free at once;
	 * the framework frees it after the grace period (the cleanup's release waits for that).
	 */
	gunyah_vm_remove_io_handler_kfree(&ctx->ghvm, &tio->io, tio);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_C, 4, 1), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 0);
	tio = tio_init(ctx, 0, &k, &tio_rw_ops, 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio->io), 0);

	/* A handler that is not added is freed at once (kmemleak and KASAN watch) */
	tio = kzalloc(sizeof(*tio), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tio);
	gunyah_vm_remove_io_handler_kfree(&ctx->ghvm, &tio->io, tio);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 1);
}

/* More handlers than a new bus has chains, and datamatch handlers sharing one address */
#define IO_MANY		100
#define IO_MANY_DM	8

static void io_many_test(struct kunit *test)
{
	const unsigned int n = IO_MANY + IO_MANY_DM;
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *tio;
	struct io_key k;
	unsigned int i;

	tio = kunit_kcalloc(test, n, sizeof(*tio), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tio);

	/* Plain handlers 8 bytes apart below IO_B, datamatch handlers at IO_F: the bus grows */
	for (i = 0; i < n; i++) {
		if (i < IO_MANY)
			k = (struct io_key){ .addr = IO_A + 8 * i, .len = 4 };
		else
			k = (struct io_key){ .addr = IO_F, .len = 4, .dm = true, .data = i };
		tio_fill(&tio[i], &ctx->ghvm, &k, &tio_rw_ops, 0, i);
		KUNIT_ASSERT_EQ_MSG(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio[i].io), 0,
				    "handler %u", i);
	}
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, n);

	/* Collisions are still found */
	k = (struct io_key){ .addr = IO_A + 8 * (IO_MANY - 1), .len = 0 };
	tio_init(ctx, 0, &k, &tio_rw_ops, 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &ctx->io[0].io), -EEXIST);
	k = (struct io_key){ .addr = IO_F, .len = 4, .dm = true, .data = IO_MANY };
	tio_init(ctx, 0, &k, &tio_rw_ops, 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &ctx->io[0].io), -EEXIST);

	/* Each write reaches its handler and no other; the addresses in between none */
	for (i = 0; i < n; i++) {
		ev_reset(ctx);
		KUNIT_EXPECT_EQ_MSG(test, gunyah_vm_mmio_write(&ctx->ghvm, tio[i].io.addr, 4,
							       tio[i].io.data),
				    0, "handler %u", i);
		KUNIT_ASSERT_EQ_MSG(test, ctx->n_ev, 1, "handler %u", i);
		expect_ev(test, 0, EV_WRITE, &tio[i], tio[i].io.addr);
	}
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A + 4, 4, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_F, 4, n), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);

	/* Every other one removed: the rest still take their writes */
	for (i = 0; i < n; i += 2)
		gunyah_vm_remove_io_handler(&ctx->ghvm, &tio[i].io);
	for (i = 0; i < n; i++) {
		ev_reset(ctx);
		KUNIT_EXPECT_EQ_MSG(test, gunyah_vm_mmio_write(&ctx->ghvm, tio[i].io.addr, 4,
							       tio[i].io.data),
				    i & 1 ? 0 : -ENODEV, "handler %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ctx->n_ev, i & 1, "handler %u", i);
	}

	for (i = 1; i < n; i += 2)
		gunyah_vm_remove_io_handler(&ctx->ghvm, &tio[i].io);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 0);
}

/*
 * A handler marked sleepable runs its callbacks where they may sleep (a sleep under RCU would
 * be reported by might_sleep() and lockdep, and fail the run); removing it waits for both
 * grace periods, after which nothing of it runs. An unmarked handler runs under RCU.
 */
static void io_sleepable_test(struct kunit *test)
{
	static const struct io_key k = { IO_A, 4 }, k2 = { IO_B, 4 };
	struct fn_test_ctx *ctx = test->priv;
	struct test_io *tio, *plain;
	u64 data = 0;

	tio = tio_init(ctx, 0, &k, &tio_sleep_ops, 0);
	tio->io.sleepable = true;
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &tio->io), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A, 4, 7), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_read(&ctx->ghvm, IO_A, 4, &data), 0);
	KUNIT_EXPECT_EQ(test, data, tio->read_value);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_WRITE), 1);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_READ), 1);
	KUNIT_EXPECT_TRUE(test, ctx->ev[0].mmio_locked);

	plain = tio_init(ctx, 1, &k2, &tio_rw_ops, 0);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_io_handler(&ctx->ghvm, &plain->io), 0);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_B, 4, 1), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	KUNIT_EXPECT_TRUE(test, ctx->ev[0].in_rcu);

	gunyah_vm_remove_io_handler(&ctx->ghvm, &tio->io);
	gunyah_vm_remove_io_handler(&ctx->ghvm, &plain->io);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, IO_A, 4, 7), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
	KUNIT_EXPECT_EQ(test, ctx->ghvm.nr_io_handlers, 0);
}

static struct kunit_case fn_io_cases[] = {
	KUNIT_CASE_PARAM(io_collide_test, collide_gen_params),
	KUNIT_CASE_PARAM(io_add_test, io_add_gen_params),
	KUNIT_CASE_PARAM(io_lookup_test, lookup_gen_params),
	KUNIT_CASE(io_remove_test),
	KUNIT_CASE(io_remove_kfree_test),
	KUNIT_CASE(io_many_test),
	KUNIT_CASE(io_sleepable_test),
	{}
};

static struct kunit_suite fn_io_suite = {
	.name = "gunyah_fn_io",
	.init = fn_test_init,
	.test_cases = fn_io_cases,
};

/* ---------------------------------------------------------------------------------------- */
/* gunyah_fn_abi                                                                            */

/**
 * struct abi_arg - the ADD argument of the ABI test type
 * @key: what compare() matches (REMOVE passes a bare u32 key)
 * @flags: ABI_ARG_*
 * @bind_ret: what bind() returns
 * @io_addr: ABI_ARG_IO: address of a 4-byte handler
 * @io_flags: ABI_ARG_IO: its gunyah_fn_abi_io_handler_desc.flags (datamatch value: @key)
 * @label: ABI_ARG_TICKET: label of the vCPU resource to claim
 */
struct abi_arg {
	u32 key;
	u32 flags;
	s64 bind_ret;
	u64 io_addr;
	u32 io_flags;
	u32 label;
};

#define ABI_ARG_IO		BIT(0)	/* bind() adds an IO handler */
#define ABI_ARG_TICKET		BIT(1)	/* bind() adds a resource ticket */
#define ABI_ARG_REFUSE		BIT(2)	/* its populate refuses every resource */

#define ABI_READ_VALUE		0xfeedf00dULL

/**
 * struct abi_priv - an ABI instance's private data
 * @key: its key
 * @refuse: its populate refuses
 * @io: its IO handler, or NULL
 * @ticket: its ticket, or NULL
 */
struct abi_priv {
	u32 key;
	bool refuse;
	struct gunyah_fn_abi_io_handler *io;
	struct gunyah_fn_abi_ticket *ticket;
};

static int abi_io_read(void *ctx, u64 addr, u32 len, u64 *data)
{
	ev_log(EV_READ, ctx, addr, len, 0);
	*data = ABI_READ_VALUE;
	return 0;
}

static int abi_io_write(void *ctx, u64 addr, u32 len, u64 data)
{
	ev_log(EV_WRITE, ctx, addr, len, data);
	return 0;
}

static int abi_populate(void *ctx, struct gunyah_fn_abi_resource *res)
{
	struct abi_priv *priv = ctx;

	ev_log(EV_POPULATE, priv, gunyah_fn_abi_resource_capid(res),
	       rsc_key(gunyah_fn_abi_resource_type(res), gunyah_fn_abi_resource_label(res)),
	       gunyah_fn_abi_resource_irq(res));
	return priv->refuse ? -EBUSY : 0;
}

static void abi_unpopulate(void *ctx, struct gunyah_fn_abi_resource *res)
{
	ev_log(EV_UNPOPULATE, ctx, gunyah_fn_abi_resource_capid(res),
	       rsc_key(gunyah_fn_abi_resource_type(res), gunyah_fn_abi_resource_label(res)),
	       gunyah_fn_abi_resource_irq(res));
}

static s64 abi_bind(struct gunyah_fn_abi_instance *inst)
{
	struct fn_test_ctx *ctx = fn_test_cur;
	const struct abi_arg *arg;
	struct abi_priv *priv;
	u64 size = U64_MAX;
	int ret;

	arg = gunyah_fn_abi_arg(inst, &size);
	ev_log(EV_BIND, inst, size, 0, 0);
	if (ctx) {
		ctx->abi_seen.arg = arg;
		ctx->abi_seen.size = size;
		ctx->abi_seen.vm = gunyah_fn_abi_vm(inst);
		ctx->abi_seen.vmid = gunyah_fn_abi_vmid(ctx->abi_seen.vm);
		ctx->abi_seen.priv = gunyah_fn_abi_get_private(inst);
	}

	if (!size)
		return 0;
	if (size != sizeof(*arg))
		return -EINVAL;
	if (arg->bind_ret < 0)
		return arg->bind_ret;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->key = arg->key;
	priv->refuse = arg->flags & ABI_ARG_REFUSE;
	gunyah_fn_abi_set_private(inst, priv);

	if (arg->flags & ABI_ARG_IO) {
		const struct gunyah_fn_abi_io_handler_desc desc = {
			.addr = arg->io_addr,
			.len = 4,
			.flags = arg->io_flags,
			.data = arg->key,
			.read = abi_io_read,
			.write = abi_io_write,
			.ctx = priv,
		};

		ret = gunyah_fn_abi_add_io_handler(gunyah_fn_abi_vm(inst), &desc, &priv->io);
		if (ret)
			goto err;
	}
	if (arg->flags & ABI_ARG_TICKET) {
		const struct gunyah_fn_abi_ticket_desc desc = {
			.resource_type = GUNYAH_FN_ABI_RESOURCE_VCPU,
			.label = arg->label,
			.populate = abi_populate,
			.unpopulate = abi_unpopulate,
			.ctx = priv,
		};

		ret = gunyah_fn_abi_add_resource_ticket(inst, &desc, &priv->ticket);
		if (ret)
			goto err;
	}

	/* May be out of range on purpose: the framework then undoes the instance with unbind */
	return arg->bind_ret;

err:
	gunyah_fn_abi_remove_io_handler(priv->io);
	gunyah_fn_abi_set_private(inst, NULL);
	kfree(priv);
	return ret;
}

static void abi_unbind(struct gunyah_fn_abi_instance *inst)
{
	struct abi_priv *priv = gunyah_fn_abi_get_private(inst);

	ev_log(EV_UNBIND, inst, priv ? priv->key : U32_MAX, 0, 0);
	if (!priv)
		return;
	gunyah_fn_abi_remove_resource_ticket(priv->ticket);
	gunyah_fn_abi_remove_io_handler(priv->io);
	gunyah_fn_abi_set_private(inst, NULL);
	kfree(priv);
}

static int abi_compare(const struct gunyah_fn_abi_instance *inst, const void *arg, u64 size)
{
	const struct abi_priv *priv = gunyah_fn_abi_get_private(inst);

	ev_log(EV_COMPARE, inst, priv ? priv->key : U32_MAX, size, FN_T_ABI);
	return priv && size == sizeof(u32) && *(const u32 *)arg == priv->key;
}

static int abi_validate(const void *arg, u64 size)
{
	ev_log(EV_VALIDATE, NULL, size, 0, 0);
	return size == sizeof(u32) ? 0 : -EINVAL;
}

/* The key of an ADD argument (struct abi_arg) or a REMOVE argument (u32): the key */
static u64 abi_key(const void *arg, u64 size)
{
	if (size == sizeof(u32))
		return *(const u32 *)arg;
	return ((const struct abi_arg *)arg)->key;
}

static const struct gunyah_fn_abi_ops abi_test_ops = {
	.abi_version = GUNYAH_FN_ABI_VERSION,
	.struct_size = sizeof(struct gunyah_fn_abi_ops),
	.type = FN_T_ABI,
	.name = "gunyah_fn_test_abi",
	.owner = THIS_MODULE,
	.bind = abi_bind,
	.unbind = abi_unbind,
	.compare = abi_compare,
	.validate = abi_validate,
};

/* Registration @i of the test, withdrawn at its end */
static int abi_register(struct fn_test_ctx *ctx, unsigned int i,
			const struct gunyah_fn_abi_ops *ops)
{
	return gunyah_fn_abi_register(ops, &ctx->abi_reg[i]);
}

static long abi_add(struct fn_test_ctx *ctx, const struct abi_arg *arg)
{
	void *copy = kmemdup(arg, sizeof(*arg), GFP_KERNEL);

	if (!copy)
		return -ENOMEM;
	return gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_ABI, copy, sizeof(*arg));
}

static long abi_rm(struct fn_test_ctx *ctx, u32 key)
{
	return gunyah_vm_rm_function_arg(&ctx->ghvm, FN_T_ABI, &key, sizeof(key));
}

struct abi_ops_case {
	const char *name;
	u32 abi_version;
	u32 struct_size;
	u32 reserved;
	bool no_bind;
	bool no_unbind;
	bool no_compare;
	bool no_validate;
	bool with_key;
	bool no_owner;
	int ret;
};

#define ABI_V1		1
#define ABI_V2		2
#define ABI_SIZE_V1	((u32)GUNYAH_FN_ABI_OPS_SIZE_V1)
#define ABI_SIZE_V2	((u32)GUNYAH_FN_ABI_OPS_SIZE_V2)

static const struct abi_ops_case abi_ops_cases[] = {
	{ .name = "version 1, its size", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1 },
	{ .name = "without validate", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1,
	  .no_validate = true },
	{ .name = "larger: a newer module", .abi_version = ABI_V1,
	  .struct_size = ABI_SIZE_V1 + 8 },
	{ .name = "much larger", .abi_version = ABI_V1, .struct_size = U32_MAX },
	{ .name = "version 2, its size", .abi_version = ABI_V2, .struct_size = ABI_SIZE_V2 },
	{ .name = "version 2 with key", .abi_version = ABI_V2, .struct_size = ABI_SIZE_V2,
	  .with_key = true },
	{ .name = "version 2, key without validate", .abi_version = ABI_V2,
	  .struct_size = ABI_SIZE_V2, .with_key = true, .no_validate = true, .ret = -EINVAL },
	{ .name = "version 2, version 1's size", .abi_version = ABI_V2,
	  .struct_size = ABI_SIZE_V1, .ret = -EINVAL },
	{ .name = "version 1: key not read", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V2,
	  .with_key = true, .no_validate = true },
	{ .name = "version 0", .abi_version = 0, .struct_size = ABI_SIZE_V1, .ret = -EINVAL },
	{ .name = "next version", .abi_version = GUNYAH_FN_ABI_VERSION + 1,
	  .struct_size = ABI_SIZE_V2, .ret = -EINVAL },
	{ .name = "version U32_MAX", .abi_version = U32_MAX, .struct_size = ABI_SIZE_V1,
	  .ret = -EINVAL },
	{ .name = "size 0", .abi_version = ABI_V1, .struct_size = 0, .ret = -EINVAL },
	{ .name = "size of the version header", .abi_version = ABI_V1, .struct_size = 8,
	  .ret = -EINVAL },
	{ .name = "one byte short", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1 - 1,
	  .ret = -EINVAL },
	{ .name = "without the last member", .abi_version = ABI_V1,
	  .struct_size = ABI_SIZE_V1 - sizeof(void *), .ret = -EINVAL },
	{ .name = "reserved not 0", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1,
	  .reserved = 1, .ret = -EINVAL },
	{ .name = "no bind", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1, .no_bind = true,
	  .ret = -EINVAL },
	{ .name = "no unbind", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1,
	  .no_unbind = true, .ret = -EINVAL },
	{ .name = "no compare", .abi_version = ABI_V1, .struct_size = ABI_SIZE_V1,
	  .no_compare = true, .ret = -EINVAL },
	{ .name = "no owner, callbacks in a module", .abi_version = ABI_V1,
	  .struct_size = ABI_SIZE_V1, .no_owner = true, .ret = -EINVAL },
	{ .name = "no owner, key in a module", .abi_version = ABI_V2, .struct_size = ABI_SIZE_V2,
	  .no_owner = true, .with_key = true, .ret = -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(abi_ops, abi_ops_cases, name);

static void abi_check_ops_test(struct kunit *test)
{
	const struct abi_ops_case *c = test->param_value;
	struct gunyah_fn_abi_ops ops = abi_test_ops;

	ops.abi_version = c->abi_version;
	ops.struct_size = c->struct_size;
	ops.reserved = c->reserved;
	if (c->no_bind)
		ops.bind = NULL;
	if (c->no_unbind)
		ops.unbind = NULL;
	if (c->no_compare)
		ops.compare = NULL;
	if (c->no_validate)
		ops.validate = NULL;
	if (c->with_key)
		ops.key = abi_key;
	if (c->no_owner)
		ops.owner = NULL;

	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_check_ops(&ops), c->ret);
}

struct abi_unreg {
	struct gunyah_fn_abi_registration *reg;
	struct completion done;
};

static int abi_unreg_thread(void *data)
{
	struct abi_unreg *u = data;

	gunyah_fn_abi_unregister(u->reg);
	complete(&u->done);
	return 0;
}

/*
 * A module may withdraw an ABI registration while an ADD, REMOVE or CHECK has found the type:
 * the registration is freed only once that lookup has let the type go, and no new lookup
 * finds it meanwhile.
 */
static void abi_unregister_waits_test(struct kunit *test)
{
	struct gunyah_vm_function *fn, *again;
	struct task_struct *t;
	struct abi_unreg u;

	KUNIT_ASSERT_EQ(test, gunyah_fn_abi_register(&abi_test_ops, &u.reg), 0);
	fn = gunyah_vm_function_get(FN_T_ABI);
	KUNIT_ASSERT_FALSE(test, IS_ERR(fn));
	init_completion(&u.done);
	t = kthread_run(abi_unreg_thread, &u, "gunyah_unreg_test");
	if (IS_ERR(t)) {
		gunyah_vm_function_put(fn);
		gunyah_fn_abi_unregister(u.reg);
		KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t));
		return;
	}

	/* Out of the registry at once, but the withdrawal waits for the lookup */
	KUNIT_EXPECT_EQ(test, wait_for_completion_timeout(&u.done, msecs_to_jiffies(300)), 0UL);
	KUNIT_EXPECT_FALSE(test, gunyah_vm_function_registered(FN_T_ABI));
	again = gunyah_vm_function_get(FN_T_ABI);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(again), -ENOENT);
	gunyah_vm_function_put(again);
	/* What the lookup found is still the type */
	KUNIT_EXPECT_EQ(test, fn->type, (u32)FN_T_ABI);

	gunyah_vm_function_put(fn);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&u.done, 10 * HZ), 0UL);
}

static void abi_check_ops_truncated_test(struct kunit *test)
{
	struct gunyah_fn_abi_registration *reg = NULL;
	struct gunyah_fn_abi_ops *ops;
	u32 *hdr;

	/*
	 * Only the version and the size are read before both are known good: a module of another
	 * version (or a truncated structure) is refused without reading past them. The buffer
	 * holds nothing else, so KASAN reports any read beyond.
	 */
	hdr = kunit_kzalloc(test, 2 * sizeof(u32), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	ops = (struct gunyah_fn_abi_ops *)hdr;

	hdr[0] = GUNYAH_FN_ABI_VERSION + 1;
	hdr[1] = 2 * sizeof(u32);
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_check_ops(ops), -EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(ops, &reg), -EINVAL);

	hdr[0] = GUNYAH_FN_ABI_VERSION;
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_check_ops(ops), -EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(ops, &reg), -EINVAL);
	KUNIT_EXPECT_NULL(test, reg);
}

static void abi_register_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_fn_abi_ops ops = abi_test_ops;
	struct gunyah_fn_abi_registration *reg = NULL;
	struct gunyah_vm_function *fn;

	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &ops), 0);
	KUNIT_ASSERT_NOT_NULL(test, ctx->abi_reg[0]);

	/* The VM manager sees a type of that number, name and owner */
	fn = gunyah_vm_function_get(FN_T_ABI);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(fn), "lookup: %ld", PTR_ERR(fn));
	KUNIT_EXPECT_EQ(test, fn->type, FN_T_ABI);
	KUNIT_EXPECT_STREQ(test, fn->name, "gunyah_fn_test_abi");
	KUNIT_EXPECT_PTR_EQ(test, fn->mod, THIS_MODULE);
	KUNIT_EXPECT_NOT_NULL(test, fn->validate);
	gunyah_vm_function_put(fn);

	/* Refusals leave *out alone */
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(&ops, &reg), -EEXIST);
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(NULL, &reg), -EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(&ops, NULL), -EINVAL);
	ops.type = 0;
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(&ops, &reg), -EINVAL);
	ops.type = GUNYAH_FN_TYPE_MAX;
	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_register(&ops, &reg), -EINVAL);
	KUNIT_EXPECT_NULL(test, reg);

	/* No validate and no name: the type has no validate(), and some name */
	ops.type = FN_T_SCRATCH;
	ops.validate = NULL;
	ops.name = NULL;
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 1, &ops), 0);
	fn = gunyah_vm_function_get(FN_T_SCRATCH);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(fn), "lookup: %ld", PTR_ERR(fn));
	KUNIT_EXPECT_NULL(test, fn->validate);
	KUNIT_EXPECT_NOT_NULL(test, fn->name);
	gunyah_vm_function_put(fn);

	/* Unregistered: gone (the lookup's modprobe finds nothing) */
	gunyah_fn_abi_unregister(ctx->abi_reg[0]);
	ctx->abi_reg[0] = NULL;
	fn = gunyah_vm_function_get(FN_T_ABI);
	KUNIT_EXPECT_PTR_EQ(test, fn, ERR_PTR(-ENOENT));
	gunyah_vm_function_put(fn);

	gunyah_fn_abi_unregister(NULL);
}

static void abi_larger_struct_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	const size_t size = GUNYAH_FN_ABI_OPS_SIZE_V2 + 32;
	const struct abi_arg arg = { .key = 3 };
	struct gunyah_fn_abi_ops *ops;
	u8 *buf;

	/* A newer module: a larger structure whose members beyond version 2 are not read */
	buf = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0xa5, size);
	memcpy(buf, &abi_test_ops, GUNYAH_FN_ABI_OPS_SIZE_V2);
	ops = (struct gunyah_fn_abi_ops *)buf;
	ops->struct_size = size;

	KUNIT_EXPECT_EQ(test, gunyah_fn_abi_check_ops(ops), 0);
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, ops), 0);

	/* The structure was copied: the module may reuse it */
	memset(buf, 0, size);

	KUNIT_EXPECT_EQ(test, abi_add(ctx, &arg), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_BIND), 1);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 3), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), 1);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
}

/* Version 2's key(): REMOVE calls compare() only on the instances with the argument's key */
static void abi_key_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_fn_abi_ops ops = abi_test_ops;
	const struct abi_arg a = { .key = 3 }, b = { .key = 5 }, c = { .key = 7 };

	ops.key = abi_key;
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &ops), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &a), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &b), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &c), 0);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 5), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), 1);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 1);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);

	/* No instance has the key any more: nothing is compared */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 5), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 0);

	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 7), 0);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 3), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));
}

/*
 * A version 1 module has no key(), even when its structure is as large as version 2's and a
 * key sits where version 2 has it: REMOVE compares every instance of the type, oldest first.
 */
static void abi_v1_no_key_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	struct gunyah_fn_abi_ops ops = abi_test_ops;
	const struct abi_arg a = { .key = 3 }, b = { .key = 5 };

	ops.abi_version = 1;
	ops.key = abi_key;
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &ops), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &a), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &b), 0);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 5), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 2);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 3), 0);
}

static void abi_instance_test(struct kunit *test)
{
	struct fn_test_ctx *ctx = test->priv;
	const struct abi_arg arg = { .key = 7, .bind_ret = 42 };
	struct gunyah_vm_function_instance *inst;
	struct abi_priv *priv;
	struct abi_arg *copy;
	u32 key = 7;
	int base;

	need_refcounts(test);
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &abi_test_ops), 0);
	base = mod_refs(THIS_MODULE);

	/* ADD reaches the module's bind, which sees the argument through the accessors */
	copy = kmemdup(&arg, sizeof(arg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_ABI, copy, sizeof(arg)),
			42);
	inst = newest_inst(ctx);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_BIND), 1);
	expect_ev(test, ev_find(ctx, EV_BIND, NULL), EV_BIND, inst, sizeof(arg));
	KUNIT_EXPECT_PTR_EQ(test, ctx->abi_seen.arg, (const void *)copy);
	KUNIT_EXPECT_EQ(test, ctx->abi_seen.size, sizeof(arg));
	KUNIT_EXPECT_MEMEQ(test, ctx->abi_seen.arg, &arg, sizeof(arg));
	KUNIT_EXPECT_PTR_EQ(test, (void *)ctx->abi_seen.vm, (void *)&ctx->ghvm);
	KUNIT_EXPECT_EQ(test, ctx->abi_seen.vmid, FAKE_VMID);
	KUNIT_EXPECT_NULL(test, ctx->abi_seen.priv);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + 1);
	priv = inst->data;
	KUNIT_ASSERT_NOT_NULL(test, priv);
	KUNIT_EXPECT_EQ(test, priv->key, 7);

	/* REMOVE: validate first, without fn_lock; a bad size goes no further */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_rm_function_arg(&ctx->ghvm, FN_T_ABI, &key, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_VALIDATE), 1);
	expect_ev(test, ev_find(ctx, EV_VALIDATE, NULL), EV_VALIDATE, NULL, 3);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 0);

	/* compare() under fn_lock, with the private data bind stored */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 8), -ENOENT);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_COMPARE), 1);
	expect_ev(test, ev_find(ctx, EV_COMPARE, NULL), EV_COMPARE, inst, 7);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 0);

	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 7), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), 1);
	expect_ev(test, ev_find(ctx, EV_UNBIND, NULL), EV_UNBIND, inst, 7);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->ghvm.functions));

	/* No argument: NULL and size 0 */
	KUNIT_ASSERT_EQ(test, gunyah_vm_add_function_arg(&ctx->ghvm, FN_T_ABI, NULL, 0), 0);
	KUNIT_EXPECT_NULL(test, ctx->abi_seen.arg);
	KUNIT_EXPECT_EQ(test, ctx->abi_seen.size, 0);
}

struct abi_ret_case {
	const char *name;
	s64 bind_ret;
	long ret;
	bool unbind;	/* the framework undoes the instance with unbind */
};

static const struct abi_ret_case abi_ret_cases[] = {
	{ "0", 0, 0, false },
	{ "a file descriptor", 5, 5, false },
	{ "INT_MAX", INT_MAX, INT_MAX, false },
	{ "an errno", -ENOSPC, -ENOSPC, false },
	{ "-MAX_ERRNO", -MAX_ERRNO, -MAX_ERRNO, false },
	{ "INT_MAX + 1", (s64)INT_MAX + 1, -EINVAL, true },
	{ "S64_MAX", S64_MAX, -EINVAL, true },
	{ "-MAX_ERRNO - 1", -MAX_ERRNO - 1, -EINVAL, false },
	{ "S64_MIN", S64_MIN, -EINVAL, false },
};

KUNIT_ARRAY_PARAM_DESC(abi_ret, abi_ret_cases, name);

static void abi_bind_ret_test(struct kunit *test)
{
	const struct abi_ret_case *c = test->param_value;
	struct fn_test_ctx *ctx = test->priv;
	const struct abi_arg arg = { .key = 1, .bind_ret = c->bind_ret };
	int base;

	need_refcounts(test);
	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &abi_test_ops), 0);
	base = mod_refs(THIS_MODULE);

	KUNIT_EXPECT_EQ(test, abi_add(ctx, &arg), c->ret);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNBIND), c->unbind ? 1 : 0);
	KUNIT_EXPECT_EQ(test, list_empty(&ctx->ghvm.functions), c->ret < 0);
	KUNIT_EXPECT_EQ(test, mod_refs(THIS_MODULE), base + (c->ret < 0 ? 0 : 1));
}

static void abi_io_ticket_test(struct kunit *test)
{
	static const struct rsc_desc rsc[] = {
		{ GUNYAH_RESOURCE_TYPE_VCPU, 3, 0x30 },
		{ GUNYAH_RESOURCE_TYPE_VCPU, 4, 0x40 },
	};
	struct fn_test_ctx *ctx = test->priv;
	struct abi_arg arg = {
		.key = 1, .flags = ABI_ARG_IO | ABI_ARG_TICKET, .io_addr = 0x9000, .label = 3,
	};
	struct abi_priv *p1, *p4, *p5;
	u64 data = 0;
	int i;

	KUNIT_ASSERT_EQ(test, abi_register(ctx, 0, &abi_test_ops), 0);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &arg), 0);
	KUNIT_ASSERT_NOT_NULL(test, newest_inst(ctx));
	p1 = newest_inst(ctx)->data;
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_EXPECT_NOT_NULL(test, p1->io);
	KUNIT_EXPECT_NOT_NULL(test, p1->ticket);

	/* MMIO reaches the module's callbacks, with its context */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, 0x9000, 4, 0x55), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_read(&ctx->ghvm, 0x9000, 4, &data), 0);
	KUNIT_EXPECT_EQ(test, data, ABI_READ_VALUE);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 2);
	expect_ev(test, 0, EV_WRITE, p1, 0x9000);
	KUNIT_EXPECT_EQ(test, ctx->ev[0].c, 0x55);
	expect_ev(test, 1, EV_READ, p1, 0x9000);

	/* VM start: the resource reaches the module's ticket, read through the accessors */
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, POPULATE(test, rsc), 0);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, EV_POPULATE, p1, 0x30);
	KUNIT_EXPECT_EQ(test, ctx->ev[0].b, rsc_key(GUNYAH_FN_ABI_RESOURCE_VCPU, 3));
	KUNIT_EXPECT_EQ(test, ctx->ev[0].c, 0);

	/* A colliding handler, an unknown handler flag: bind fails and leaves nothing */
	arg = (struct abi_arg){ .key = 2, .flags = ABI_ARG_IO, .io_addr = 0x9000 };
	KUNIT_EXPECT_EQ(test, abi_add(ctx, &arg), -EEXIST);
	arg = (struct abi_arg){ .key = 3, .flags = ABI_ARG_IO, .io_addr = 0xa000,
				.io_flags = 0x80 };
	KUNIT_EXPECT_EQ(test, abi_add(ctx, &arg), -EINVAL);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.functions), 1);

	/* Datamatch through the ABI: writes of exactly the value, never reads */
	arg = (struct abi_arg){ .key = 4, .flags = ABI_ARG_IO, .io_addr = 0xa000,
				.io_flags = GUNYAH_FN_ABI_IO_DATAMATCH };
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &arg), 0);
	p4 = newest_inst(ctx)->data;
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, 0xa000, 4, 4), 0);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, 0xa000, 4, 5), -ENODEV);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_read(&ctx->ghvm, 0xa000, 4, &data), -ENODEV);
	KUNIT_ASSERT_EQ(test, ctx->n_ev, 1);
	expect_ev(test, 0, EV_WRITE, p4, 0xa000);

	/* A late ticket whose populate refuses: the resource stays with the VM */
	arg = (struct abi_arg){ .key = 5, .flags = ABI_ARG_TICKET | ABI_ARG_REFUSE, .label = 4 };
	ev_reset(ctx);
	KUNIT_ASSERT_EQ(test, abi_add(ctx, &arg), 0);
	p5 = newest_inst(ctx)->data;
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_POPULATE), 1);
	expect_ev(test, ev_find(ctx, EV_POPULATE, NULL), EV_POPULATE, p5, 0x40);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 1);

	/* REMOVE of the first: unbind unpopulates (under both locks) and removes its handler */
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, abi_rm(ctx, 1), 0);
	KUNIT_EXPECT_EQ(test, ev_count(ctx, EV_UNPOPULATE), 1);
	i = ev_find(ctx, EV_UNPOPULATE, NULL);
	expect_ev(test, i, EV_UNPOPULATE, p1, 0x30);
	KUNIT_EXPECT_TRUE(test, ctx->ev[i].fn_locked);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&ctx->ghvm.resources), 2);
	ev_reset(ctx);
	KUNIT_EXPECT_EQ(test, gunyah_vm_mmio_write(&ctx->ghvm, 0x9000, 4, 0x55), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->n_ev, 0);
}

static struct kunit_case fn_abi_cases[] = {
	KUNIT_CASE_PARAM(abi_check_ops_test, abi_ops_gen_params),
	KUNIT_CASE(abi_check_ops_truncated_test),
	KUNIT_CASE(abi_register_test),
	KUNIT_CASE(abi_unregister_waits_test),
	KUNIT_CASE(abi_larger_struct_test),
	KUNIT_CASE(abi_key_test),
	KUNIT_CASE(abi_v1_no_key_test),
	KUNIT_CASE(abi_instance_test),
	KUNIT_CASE_PARAM(abi_bind_ret_test, abi_ret_gen_params),
	KUNIT_CASE(abi_io_ticket_test),
	{}
};

static struct kunit_suite fn_abi_suite = {
	.name = "gunyah_fn_abi",
	.init = fn_test_init,
	.test_cases = fn_abi_cases,
};

kunit_test_suites(&fn_registry_suite, &fn_tickets_suite, &fn_io_suite, &fn_abi_suite);

MODULE_DESCRIPTION("KUnit tests of the Gunyah VM-function framework and its C ABI");
MODULE_LICENSE("GPL");
