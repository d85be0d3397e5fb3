// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: the VM-function framework.
 *
 * A function type (vCPU, irqfd, ioeventfd, or one of another module) registers here.
 * GUNYAH_VM_ADD_FUNCTION makes an instance of a type in one VM, GUNYAH_VM_REMOVE_FUNCTION removes
 * it again, and the VM removes whatever is left when it is destroyed. Instances claim the
 * hypervisor resources the RM creates at VM start through resource tickets, and may take guest
 * MMIO accesses in the kernel through IO handlers. Both are kept here too.
 */

#define pr_fmt(fmt) "gunyah_vm_fn: " fmt

#include <linux/atomic.h>
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/kmod.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#include <kunit/visibility.h>

#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "vm_mgr_fn.h"

/**
 * DOC: Locking
 *
 * The framework has three locks per VM, RCU and one SRCU (for sleepable IO handlers of all
 * VMs) on the MMIO buses' read side, and the registry's lock. The per-VM locks, in acquisition
 * order, outermost first:
 *
 * 1. &gunyah_vm.fn_lock (mutex): protects &gunyah_vm.functions, &gunyah_vm.fn_index and
 *    &gunyah_vm.fn_seq. Held across a type's bind(), unbind() and compare(), and key() of a new
 *    instance, so one VM never binds and unbinds at the same time and REMOVE looks at stable
 *    instances. Taken by GUNYAH_VM_ADD_FUNCTION, GUNYAH_VM_REMOVE_FUNCTION and
 *    gunyah_vm_remove_functions(); nothing of the framework holds it while it loads a module or
 *    copies an argument from userspace.
 * 2. &gunyah_vm.resources_lock (mutex): protects &gunyah_vm.resources,
 *    &gunyah_vm.resource_tickets, &gunyah_vm.ticket_index and every ticket's resource list. Held
 *    across every populate() and unpopulate(). Taken by gunyah_vm_add_resource_ticket() and
 *    gunyah_vm_remove_resource_ticket() (usually from bind() and unbind(), so under fn_lock), by
 *    gunyah_vm_populate_resources() at VM start (under gunyah_vm.mm_lock) and by
 *    gunyah_vm_release_resources().
 * 3. &gunyah_vm.mmio_bus_lock (mutex): serialises the writers of &gunyah_vm.mmio_bus and
 *    protects &gunyah_vm.nr_io_handlers and each handler's &gunyah_vm_io_handler.added. Taken by
 *    gunyah_vm_add_io_handler(), gunyah_vm_remove_io_handler() and
 *    gunyah_vm_remove_io_handler_kfree() (from bind()/unbind() or populate()/unpopulate(), so
 *    under fn_lock or resources_lock) and by gunyah_vm_release_resources(). vCPUs never take
 *    it.
 *
 * So: fn_lock -> resources_lock -> mmio_bus_lock, never the other way round. In particular
 * populate() and unpopulate() must not take fn_lock or gunyah_vm.mm_lock, add or remove
 * functions, or add or remove tickets.
 *
 * The MMIO buses are read without a lock. gunyah_vm_mmio_write() and gunyah_vm_mmio_read() find
 * the handler in an RCU read-side critical section and run its read() or write() there, unless
 * the handler is sleepable (&gunyah_vm_io_handler.sleepable: those of the stable ABI, whose
 * callbacks may sleep briefly): then the vCPU enters a read-side critical section of
 * gunyah_vm_mmio_srcu before it leaves RCU, and runs the callback in that. RCU's read side
 * costs next to nothing, SRCU's two full barriers, so handlers that do not sleep (the
 * ioeventfd) dispatch faster. vCPUs wait neither for each other nor for writers. Writers change
 * a bus with the RCU list primitives under mmio_bus_lock, and free what readers may still see
 * only after the grace periods of the read sides it may be in (RCU, then SRCU for a sleepable
 * handler):
 *
 * - gunyah_vm_remove_io_handler() waits for them (expedited) before it returns: the caller may
 *   then free the handler;
 * - gunyah_vm_remove_io_handler_kfree() does not wait for a handler that does not sleep: an RCU
 *   callback kfree()s the handler's object. A vCPU may still be in the handler's callback when
 *   the remover returns; the owner makes that harmless under a lock of its own (see
 *   fn_ioeventfd.c);
 * - growing a bus publishes the new table and waits for an RCU grace period (buses are only
 *   walked under RCU) before it frees the old one; a bus grows when its handlers double, so the
 *   wait is amortised over them;
 * - gunyah_vm_function_unregister() waits for both grace periods, so that no vCPU still runs
 *   an IO handler callback of a module that is going away, and the module exit of
 *   gunyah_rsc_mgr waits for the pending callbacks (gunyah_vm_fn_exit()), so that none is left
 *   when the code they run goes.
 *
 * A reader takes only the locks of the handler it runs (an ioeventfd's lock, an eventfd's
 * wait-queue lock), none of the framework's, so waiting for a grace period under fn_lock,
 * resources_lock or mmio_bus_lock cannot deadlock. An IO handler callback must not add or
 * remove IO handlers (that waits for the reader that is itself), nor take fn_lock or
 * resources_lock.
 *
 * The registry of function types is an xarray that uses its own spinlock (xa_lock). It is held
 * only while one type is looked up, checked ready, its module pinned (try_module_get()) and its
 * user counted, and by the xarray calls that insert and erase; never across bind(),
 * request_module() or anything that sleeps, and no other lock is taken under it, so it may be
 * taken under any of the locks above. What keeps a registered type alive is not this lock but
 * module references (every instance holds one on its type's module from
 * GUNYAH_VM_ADD_FUNCTION until it is removed) and, for a type withdrawn before its module
 * exits (an ABI registration), its users: gunyah_vm_function_unregister() waits, holding no
 * lock, until every lookup that found the type has let it go. An ADD is a user while it holds
 * fn_lock and runs bind(), so a type must not be withdrawn under fn_lock or under a lock its
 * callbacks take. The per-type counts (&gunyah_vm_function.nr_instances and .users) are
 * atomic_t and need no lock.
 *
 * Function modules' own locks nest inside the framework lock their callback runs under. The
 * vCPU function's run mutex, for instance, is taken in unbind() (under fn_lock) and in
 * populate()/unpopulate() (under resources_lock). While it holds its run mutex a vCPU takes no
 * framework lock; it enters the RCU (or MMIO SRCU) read side to dispatch MMIO. Hence a vCPU
 * must start the VM (gunyah_vm_ensure_started(), which takes resources_lock through
 * gunyah_vm_populate_resources()) before it takes its run mutex.
 *
 * The VM lifecycle (vm_mgr.c) calls gunyah_vm_add_function(), gunyah_vm_rm_function() and
 * gunyah_vm_remove_functions() without holding any of its own locks. fn_lock and the
 * lifecycle's gunyah_vm.mm_lock share a rank and are never nested: bind() and unbind() must not
 * take mm_lock nor call gunyah_vm_ensure_started(). The lifecycle holds mm_lock while it calls
 * gunyah_vm_populate_resources() (mm_lock -> resources_lock), and no lock while it calls
 * gunyah_vm_release_resources().
 *
 * Which callback runs under what:
 *
 * =================================== ===============================================
 * bind(), unbind(), compare()         fn_lock
 * key()                               fn_lock for the argument of a new instance; no
 *                                     framework lock for a REMOVE argument
 * validate()                          no framework lock
 * populate(), unpopulate()            resources_lock (and fn_lock when the ticket is
 *                                     added or removed from bind() or unbind(), or
 *                                     mm_lock for populate() at VM start)
 * IO handler read(), write()          no lock: the RCU read side, or the MMIO SRCU read
 *                                     side for a sleepable handler
 * =================================== ===============================================
 *
 * All of them run in process context and may sleep, except key() and the IO handlers that are
 * not sleepable; sleepable IO handlers only briefly (they stall the vCPU).
 */

/*
 * The read side of the sleepable IO handlers of every VM (see DOC: Locking). One for all VMs:
 * readers are short (one handler call), and a global srcu_struct needs no per-VM allocation or
 * cleanup.
 */
DEFINE_STATIC_SRCU(gunyah_vm_mmio_srcu);

/* ---------------------------------------------------------------------------------------- */
/* The registry of function types                                                          */

/*
 * Function types by type number. Types are module-global by design: the VM manager may be built
 * in while functions are modules, and the type numbers are the uapi's, the same for every RM.
 */
static DEFINE_XARRAY(gunyah_vm_function_types);

/**
 * gunyah_vm_function_type_valid() - can a function type have this number?
 * @type: a type number, possibly from userspace
 *
 * Context: any context.
 * Return: true if 1 <= @type < GUNYAH_FN_TYPE_MAX.
 */
static bool gunyah_vm_function_type_valid(u32 type)
{
	return type && type < GUNYAH_FN_TYPE_MAX;
}

/**
 * gunyah_vm_function_ready() - may instances of a registered type be made?
 * @fn: the type, in the registry (whose lock the caller holds)
 *
 * A module registers its types from its init, which may fail after that: the kernel then frees
 * the module whatever references it has, and an instance made meanwhile would be left with
 * freed code. So a type is used only once its module's init has returned.
 *
 * Context: any context; the registry's lock held.
 * Return: true unless @fn's module is still running its init.
 */
static bool gunyah_vm_function_ready(const struct gunyah_vm_function *fn)
{
#ifdef CONFIG_MODULES
	return !fn->mod || READ_ONCE(fn->mod->state) != MODULE_STATE_COMING;
#else
	return true;
#endif
}

/**
 * gunyah_vm_function_find() - look a registered function type up and pin its module
 * @type: the type number, possibly from userspace
 *
 * No module is loaded: see gunyah_vm_function_get() for that.
 *
 * An xarray lookup is not an array access that a mispredicted bounds check could push out of
 * bounds: xa_load() masks the index at every level of the tree, so it only ever reads slots of
 * existing nodes. What a user-chosen number can steer is which nodes are walked, and so what
 * gets into the cache. The type space is therefore kept small and bounded: a number outside
 * [1, GUNYAH_FN_TYPE_MAX) is refused before anything looks at it, and array_index_nospec()
 * makes that refusal hold under speculation too, so the walk only ever visits the nodes that
 * valid type numbers reach. (A clamp against U32_MAX, the range of the number itself, would
 * let every value through and mean nothing.)
 *
 * Context: any context; takes the registry's spinlock.
 * Return: the type, with a reference to its module and one of its users (drop both with
 * gunyah_vm_function_put()), or
 * NULL if @type is not registered or its module is still loading (gunyah_vm_function_ready())
 * or being unloaded.
 */
static struct gunyah_vm_function *gunyah_vm_function_find(u32 type)
{
	struct gunyah_vm_function *fn;

	if (!gunyah_vm_function_type_valid(type))
		return NULL;
	type = array_index_nospec(type, GUNYAH_FN_TYPE_MAX);

	/*
	 * Under the registry's lock the type cannot be unregistered; once the lock is dropped,
	 * @users keeps gunyah_vm_function_unregister() waiting until gunyah_vm_function_put().
	 */
	xa_lock(&gunyah_vm_function_types);
	fn = xa_load(&gunyah_vm_function_types, type);
	if (fn && (!gunyah_vm_function_ready(fn) || !try_module_get(fn->mod)))
		fn = NULL;
	if (fn)
		atomic_inc(&fn->users);
	xa_unlock(&gunyah_vm_function_types);

	return fn;
}

/**
 * gunyah_vm_function_get() - find a function type, loading its module if needed
 * @type: the type number, possibly from userspace
 *
 * If the type is not registered, asks for the module alias "ghfunc:<type>" and looks again.
 * request_module() waits for modprobe; its result is ignored (modprobe's exit status says
 * nothing about whether the type got registered): the second lookup decides. Numbers no type
 * can have never reach modprobe.
 *
 * Context: process context, may sleep (module loading). Hold no lock of a VM: loading a module
 * can take long.
 * Return: the type with a reference to its module, to drop with gunyah_vm_function_put(), or
 * ERR_PTR(-ENOENT) if no module provides @type.
 */
VISIBLE_IF_KUNIT struct gunyah_vm_function *gunyah_vm_function_get(u32 type)
{
	struct gunyah_vm_function *fn;

	fn = gunyah_vm_function_find(type);
	if (fn)
		return fn;

	if (!gunyah_vm_function_type_valid(type))
		return ERR_PTR(-ENOENT);

	request_module("ghfunc:%u", type);

	fn = gunyah_vm_function_find(type);
	return fn ? fn : ERR_PTR(-ENOENT);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_function_get);

/**
 * gunyah_vm_function_put() - let go of a type gunyah_vm_function_get() found
 * @fn: the function type; NULL or an error pointer is ignored (so that it also serves as the
 *      scope-based cleanup of a lookup)
 *
 * Drops the user and the module reference the lookup took. @fn may be freed as soon as the
 * user is dropped (a registration through the stable ABI whose module withdraws it meanwhile):
 * its module is read before.
 *
 * Context: any context.
 */
VISIBLE_IF_KUNIT void gunyah_vm_function_put(struct gunyah_vm_function *fn)
{
	struct module *mod;

	if (IS_ERR_OR_NULL(fn))
		return;
	mod = fn->mod;
	if (atomic_dec_and_test(&fn->users))
		wake_up_var(&fn->users);
	module_put(mod);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_function_put);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gunyah_vm_function_registered() - is a type in the registry, ready or not?
 * @type: the type number
 *
 * For KUnit suites, which watch a module register a type before its init returns.
 *
 * Context: any context.
 * Return: true if @type is registered.
 */
bool gunyah_vm_function_registered(u32 type)
{
	return gunyah_vm_function_type_valid(type) && xa_load(&gunyah_vm_function_types, type);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_function_registered);
#endif

DEFINE_FREE(gunyah_vm_function_put, struct gunyah_vm_function *, gunyah_vm_function_put(_T))

/**
 * gunyah_vm_function_register() - make a function type available to VMs
 * @fn: the type; must stay valid and unchanged until gunyah_vm_function_unregister(), and
 *      start with @fn->nr_instances and @fn->users zero (a static or zeroed structure does)
 *
 * Usable with module_driver() (see DECLARE_GUNYAH_VM_FUNCTION_INIT()).
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if @fn lacks bind, unbind or compare, has key without validate, or its
 * type is outside [1, GUNYAH_FN_TYPE_MAX); -EEXIST if the type is already registered; -ENOMEM.
 */
int gunyah_vm_function_register(struct gunyah_vm_function *fn)
{
	int ret;

	if (!fn->bind || !fn->unbind || !fn->compare) {
		pr_err("function type %u (%s) lacks bind, unbind or compare\n", fn->type,
		       fn->name ? fn->name : "?");
		return -EINVAL;
	}
	/* key() is only defined on arguments validate() accepted */
	if (fn->key && !fn->validate) {
		pr_err("function type %u (%s) has key but no validate\n", fn->type,
		       fn->name ? fn->name : "?");
		return -EINVAL;
	}
	if (!gunyah_vm_function_type_valid(fn->type)) {
		pr_err("function type %u (%s) is outside 1..%d\n", fn->type,
		       fn->name ? fn->name : "?", GUNYAH_FN_TYPE_MAX - 1);
		return -EINVAL;
	}

	ret = xa_insert(&gunyah_vm_function_types, fn->type, fn, GFP_KERNEL);
	if (ret == -EBUSY) {
		pr_err("function type %u (%s) is already registered\n", fn->type,
		       fn->name ? fn->name : "?");
		return -EEXIST;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_vm_function_register);

/**
 * gunyah_vm_function_unregister() - withdraw a function type
 * @fn: a type registered with gunyah_vm_function_register()
 *
 * Call it from module exit (module_driver() does): once the module's reference count has
 * dropped to zero no instance of the type exists, because each instance holds a reference until
 * it is removed, so instances are never torn down from here. A type that still has instances is
 * a bug of its module and gets a warning: the instances then point to a type that is going away.
 *
 * Once the type is out of the registry, waits for the lookups that found it before to let it
 * go (gunyah_vm_function_put()): an ADD that found the type may be about to call its bind().
 * From module exit there are none (each holds a module reference); a module that withdraws a
 * type earlier waits for them here, so it must not hold a lock those callbacks take.
 *
 * Then waits for an RCU and an SRCU grace period of the MMIO buses: an IO handler removed with
 * gunyah_vm_remove_io_handler_kfree() may still have a vCPU in its callback, in the module's
 * code, after its instance is gone; when this returns none has.
 *
 * Context: process context, may sleep (waits for vCPUs in IO handler callbacks).
 */
void gunyah_vm_function_unregister(struct gunyah_vm_function *fn)
{
	void *old;

	/* Erase the entry only if it is this very type */
	old = xa_cmpxchg(&gunyah_vm_function_types, fn->type, fn, NULL, GFP_KERNEL);
	if (old != fn) {
		pr_warn("function type %u (%s) was not registered\n", fn->type,
			fn->name ? fn->name : "?");
		return;
	}

	/* Lookups in progress may still make an instance: count them once they are done */
	wait_var_event(&fn->users, !atomic_read(&fn->users));

	WARN(atomic_read(&fn->nr_instances), "function type %u (%s) unregistered with %d instances\n",
	     fn->type, fn->name ? fn->name : "?", atomic_read(&fn->nr_instances));

	/* No vCPU runs an IO handler callback of the module after this (DOC: Locking) */
	synchronize_rcu();
	synchronize_srcu(&gunyah_vm_mmio_srcu);
}
EXPORT_SYMBOL_GPL(gunyah_vm_function_unregister);

/**
 * gunyah_check_function() - GUNYAH_CHECK_FUNCTION: is a function type available?
 * @check: the request, already copied from userspace
 *
 * Looks the type up as GUNYAH_VM_ADD_FUNCTION does, loading its module if needed, and creates
 * nothing: the module reference taken for the lookup is dropped at once.
 *
 * Context: process context, may sleep (module loading).
 * Return: 0 if the type is available; -EINVAL if @check->flags is not 0; -ENOENT if no module
 * provides the type.
 */
long gunyah_check_function(const struct gunyah_fn_check *check)
{
	struct gunyah_vm_function *fn;

	if (check->flags)
		return -EINVAL;

	fn = gunyah_vm_function_get(check->type);
	if (IS_ERR(fn))
		return PTR_ERR(fn);

	gunyah_vm_function_put(fn);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_check_function);

/* ---------------------------------------------------------------------------------------- */
/* Hash tables of the VM: instances by key, tickets by type and label                       */

/* The largest table: 1 << 20 chains */
#define GUNYAH_VM_HASH_MAX_BITS		20

/**
 * gunyah_vm_hash_init() - make an empty table, with its inline chains
 * @h: the table
 *
 * Context: any context.
 */
static void gunyah_vm_hash_init(struct gunyah_vm_hash *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(h->inline_buckets); i++)
		INIT_HLIST_HEAD(&h->inline_buckets[i]);
	h->buckets = h->inline_buckets;
	h->bits = GUNYAH_VM_HASH_INLINE_BITS;
	h->nr = 0;
}

/**
 * gunyah_vm_hash_head() - the chain of a hash
 * @h: the table
 * @hash: a 32-bit hash
 *
 * Context: the table's lock held.
 * Return: the chain entries with @hash are in.
 */
static struct hlist_head *gunyah_vm_hash_head(const struct gunyah_vm_hash *h, u32 hash)
{
	return &h->buckets[hash >> (32 - h->bits)];
}

/**
 * gunyah_vm_hash_grow() - double the chains of a table
 * @h: the table
 *
 * Moves every entry to its chain in an array twice as large. If the array cannot be allocated
 * the table keeps its chains: longer chains are slower, not wrong.
 *
 * Context: process context, may sleep; the table's lock held.
 */
static void gunyah_vm_hash_grow(struct gunyah_vm_hash *h)
{
	unsigned int bits = h->bits + 1, i;
	struct gunyah_vm_hash_node *hn;
	struct hlist_head *buckets;
	struct hlist_node *tmp;

	buckets = kvmalloc_array(1U << bits, sizeof(*buckets), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buckets)
		return;

	for (i = 0; i < (1U << bits); i++)
		INIT_HLIST_HEAD(&buckets[i]);
	for (i = 0; i < (1U << h->bits); i++) {
		hlist_for_each_entry_safe(hn, tmp, &h->buckets[i], node)
			hlist_add_head(&hn->node, &buckets[hn->hash >> (32 - bits)]);
	}

	if (h->buckets != h->inline_buckets)
		kvfree(h->buckets);
	h->buckets = buckets;
	h->bits = bits;
}

/**
 * gunyah_vm_hash_add() - add an entry to a table
 * @h: the table
 * @hn: the entry, not in any table
 * @hash: its hash
 *
 * The table grows first if it has as many entries as chains. O(1), amortised.
 *
 * Context: process context, may sleep; the table's lock held.
 */
static void gunyah_vm_hash_add(struct gunyah_vm_hash *h, struct gunyah_vm_hash_node *hn, u32 hash)
{
	if (h->nr >= (1U << h->bits) && h->bits < GUNYAH_VM_HASH_MAX_BITS)
		gunyah_vm_hash_grow(h);

	hn->hash = hash;
	hlist_add_head(&hn->node, gunyah_vm_hash_head(h, hash));
	h->nr++;
}

/**
 * gunyah_vm_hash_del() - remove an entry from its table
 * @h: the table
 * @hn: an entry of @h
 *
 * Context: any context; the table's lock held.
 */
static void gunyah_vm_hash_del(struct gunyah_vm_hash *h, struct gunyah_vm_hash_node *hn)
{
	hlist_del_init(&hn->node);
	h->nr--;
}

/**
 * gunyah_vm_hash_release() - free the chains of an empty table, which stays usable
 * @h: the table
 *
 * A table that still has entries is left as it is (and reported).
 *
 * Context: process context; the table's lock held, or the VM unreachable.
 */
static void gunyah_vm_hash_release(struct gunyah_vm_hash *h)
{
	if (WARN_ON_ONCE(h->nr))
		return;
	if (h->buckets != h->inline_buckets)
		kvfree(h->buckets);
	gunyah_vm_hash_init(h);
}

/**
 * gunyah_vm_fn_hash() - the hash of a function instance's type and key
 * @type: the function type
 * @key: what its key() returned
 *
 * Context: any context.
 * Return: the 32-bit hash.
 */
static u32 gunyah_vm_fn_hash(u32 type, u64 key)
{
	return hash_64(key ^ ((u64)type << 48), 32);
}

/**
 * gunyah_vm_ticket_hash() - the hash of a ticket's (or a resource's) type and label
 * @type: the resource type
 * @label: the label
 *
 * Context: any context.
 * Return: the 32-bit hash.
 */
static u32 gunyah_vm_ticket_hash(u32 type, u32 label)
{
	return hash_64((u64)type << 32 | label, 32);
}

/* ---------------------------------------------------------------------------------------- */
/* Function instances                                                                       */

/**
 * gunyah_vm_fn_init() - initialise the framework's part of a new VM
 * @ghvm: the VM, not yet visible to anyone else
 *
 * Allocates nothing: a VM that is freed without gunyah_vm_remove_functions() and
 * gunyah_vm_release_resources() (a failed GUNYAH_CREATE_VM) leaks nothing.
 *
 * Context: process context.
 */
void gunyah_vm_fn_init(struct gunyah_vm *ghvm)
{
	mutex_init(&ghvm->fn_lock);
	INIT_LIST_HEAD(&ghvm->functions);
	gunyah_vm_hash_init(&ghvm->fn_index);
	ghvm->fn_seq = 0;

	mutex_init(&ghvm->resources_lock);
	INIT_LIST_HEAD(&ghvm->resources);
	INIT_LIST_HEAD(&ghvm->resource_tickets);
	gunyah_vm_hash_init(&ghvm->ticket_index);

	mutex_init(&ghvm->mmio_bus_lock);
	RCU_INIT_POINTER(ghvm->mmio_bus, NULL);
	ghvm->nr_io_handlers = 0;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_fn_init);

/**
 * gunyah_vm_inst_free() - free an instance that is not (or no longer) on its VM
 * @inst: the instance, or NULL
 *
 * Frees its argument too, unless it lies in the instance's own allocation.
 *
 * Context: any context.
 */
static void gunyah_vm_inst_free(struct gunyah_vm_function_instance *inst)
{
	if (!inst)
		return;
	if (!inst->arg_inline)
		kfree(inst->argp);
	kfree(inst);
}

DEFINE_FREE(gunyah_vm_inst_free, struct gunyah_vm_function_instance *, gunyah_vm_inst_free(_T))

/**
 * gunyah_vm_remove_instance() - unbind and free one function instance
 * @ghvm: the VM
 * @inst: one of its instances
 *
 * The module reference of the instance is dropped last, once unbind() has returned.
 *
 * Context: process context, @ghvm->fn_lock held.
 */
static void gunyah_vm_remove_instance(struct gunyah_vm *ghvm,
				      struct gunyah_vm_function_instance *inst)
	__must_hold(&ghvm->fn_lock)
{
	struct gunyah_vm_function *fn = inst->fn;

	lockdep_assert_held(&ghvm->fn_lock);

	fn->unbind(inst);
	list_del(&inst->vm_list);
	if (fn->key)
		gunyah_vm_hash_del(&ghvm->fn_index, &inst->key_node);
	atomic_dec(&fn->nr_instances);
	gunyah_vm_inst_free(inst);
	gunyah_vm_function_put(fn);
}

/**
 * gunyah_vm_add_instance() - bind a new instance and add it to its VM
 * @ghvm: the VM
 * @type: the function type (from userspace)
 * @new_inst: the instance, with arg_size, argp and arg_inline filled in and the rest zeroed.
 *            Always consumed: on success the VM owns it, on failure it is freed with its
 *            argument.
 *
 * Finds the type (loading its module if needed) before it takes @ghvm->fn_lock, then binds the
 * instance under the lock and appends it to the VM's list, and to the VM's index if the type
 * has a key(); the instance keeps the module reference until it is removed.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock.
 * Return: what bind() returned (>= 0, e.g. a new fd); -ENOENT if no module provides @type; or
 * bind()'s error.
 */
static long gunyah_vm_add_instance(struct gunyah_vm *ghvm, u32 type,
				   struct gunyah_vm_function_instance *new_inst)
{
	struct gunyah_vm_function_instance *inst __free(gunyah_vm_inst_free) = new_inst;
	struct gunyah_vm_function *fn __free(gunyah_vm_function_put) = NULL;
	long ret;

	fn = gunyah_vm_function_get(type);
	if (IS_ERR(fn))
		return PTR_ERR(fn);

	inst->ghvm = ghvm;
	inst->rm = ghvm->rm;
	inst->fn = fn;
	INIT_LIST_HEAD(&inst->vm_list);

	guard(mutex)(&ghvm->fn_lock);

	ret = fn->bind(inst);
	if (ret < 0)
		return ret;

	/* The instance now owns the argument and the module reference; the VM owns the instance */
	inst->seq = ghvm->fn_seq++;
	if (fn->key) {
		inst->key = fn->key(fn, inst->argp, inst->arg_size);
		gunyah_vm_hash_add(&ghvm->fn_index, &inst->key_node,
				   gunyah_vm_fn_hash(fn->type, inst->key));
	}
	atomic_inc(&fn->nr_instances);
	list_add_tail(&inst->vm_list, &ghvm->functions);
	inst->fn = no_free_ptr(fn);
	inst = NULL;

	return ret;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gunyah_vm_add_function_arg() - add a function instance, given the argument in a kernel buffer
 * @ghvm: the VM
 * @type: the function type (from userspace)
 * @arg: the argument, kmalloc'ed, or NULL when @arg_size is 0. Always consumed: on success it
 *       becomes the instance's copy (&gunyah_vm_function_instance.argp is @arg), on failure it
 *       is freed.
 * @arg_size: size of @arg, at most GUNYAH_FN_MAX_ARG_SIZE
 *
 * Adds the instance as gunyah_vm_add_instance() describes.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock.
 * Return: what bind() returned (>= 0, e.g. a new fd); -EINVAL if @arg_size is too large, or
 * @arg is NULL for a non-zero size or not NULL for size 0; -ENOENT if no module provides
 * @type; -ENOMEM; or bind()'s error.
 */
VISIBLE_IF_KUNIT long gunyah_vm_add_function_arg(struct gunyah_vm *ghvm, u32 type, void *arg,
						 size_t arg_size)
{
	void *argp __free(kfree) = arg;
	struct gunyah_vm_function_instance *inst;

	if (arg_size > GUNYAH_FN_MAX_ARG_SIZE || (arg_size && !argp) || (!arg_size && argp))
		return -EINVAL;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return -ENOMEM;

	inst->arg_size = arg_size;
	inst->argp = no_free_ptr(argp);
	return gunyah_vm_add_instance(ghvm, type, inst);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_add_function_arg);
#endif

/**
 * gunyah_vm_arg_size_ok() - check a descriptor's argument size, telling why it is refused
 * @ghvm: the VM (its parent device gets the message)
 * @desc: the descriptor from userspace
 *
 * Context: any context.
 * Return: true if @desc->arg_size is at most GUNYAH_FN_MAX_ARG_SIZE.
 */
static bool gunyah_vm_arg_size_ok(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc)
{
	if (desc->arg_size <= GUNYAH_FN_MAX_ARG_SIZE)
		return true;

	dev_err_ratelimited(ghvm->parent,
			    "VM %u: function type %u: argument size %u exceeds the maximum of %d\n",
			    ghvm->vmid, desc->type, desc->arg_size, GUNYAH_FN_MAX_ARG_SIZE);
	return false;
}

/**
 * gunyah_vm_add_function() - GUNYAH_VM_ADD_FUNCTION
 * @ghvm: the VM
 * @desc: the descriptor, already copied to the kernel stack; @desc->arg is always a user pointer
 *        to @desc->arg_size bytes (nothing is read when the size is 0)
 *
 * Allocates the instance and its copy of the argument at once (one allocation, freed with the
 * instance), copies the argument from userspace, then adds the instance as
 * gunyah_vm_add_instance() describes.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 * Return: what the type's bind() returned (>= 0); -EINVAL if the argument is larger than
 * GUNYAH_FN_MAX_ARG_SIZE (with a rate-limited message); -EFAULT if it cannot be read; -ENOENT
 * if no module provides the type; -ENOMEM; or bind()'s error.
 */
long gunyah_vm_add_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc)
{
	struct gunyah_vm_function_instance *inst;

	if (!gunyah_vm_arg_size_ok(ghvm, desc))
		return -EINVAL;

	inst = kmalloc(sizeof(*inst) + desc->arg_size, GFP_KERNEL_ACCOUNT);
	if (!inst)
		return -ENOMEM;
	memset(inst, 0, sizeof(*inst));

	if (desc->arg_size) {
		inst->arg_size = desc->arg_size;
		inst->argp = inst + 1;
		inst->arg_inline = true;
		if (copy_from_user(inst->argp, u64_to_user_ptr(desc->arg), desc->arg_size)) {
			kfree(inst);
			return -EFAULT;
		}
	}

	return gunyah_vm_add_instance(ghvm, desc->type, inst);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_add_function);

/**
 * gunyah_vm_rm_keyed() - remove the oldest matching instance of a type with a key()
 * @ghvm: the VM
 * @fn: the type; it has key() and validate(), and validate() accepted the argument
 * @arg: the argument (NULL when @arg_size is 0)
 * @arg_size: its size
 *
 * Looks at the instances of @ghvm->fn_index's chain for the argument's key only: those of @fn
 * with that key are the only ones compare() can match (see &gunyah_vm_function.key). compare()
 * runs on each that is older than the best match so far, so the oldest match is removed.
 * O(1 + instances of @fn with the key), instead of O(instances of the VM).
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock.
 * Return: 0, or -ENOENT if no instance matches.
 */
static long gunyah_vm_rm_keyed(struct gunyah_vm *ghvm, struct gunyah_vm_function *fn,
			       const void *arg, size_t arg_size)
{
	struct gunyah_vm_function_instance *inst, *oldest = NULL;
	u64 key = fn->key(fn, arg, arg_size);
	u32 hash = gunyah_vm_fn_hash(fn->type, key);

	guard(mutex)(&ghvm->fn_lock);

	hlist_for_each_entry(inst, gunyah_vm_hash_head(&ghvm->fn_index, hash), key_node.node) {
		if (inst->fn != fn || inst->key != key || (oldest && inst->seq > oldest->seq))
			continue;
		if (fn->compare(inst, arg, arg_size))
			oldest = inst;
	}
	if (!oldest)
		return -ENOENT;

	gunyah_vm_remove_instance(ghvm, oldest);
	return 0;
}

/**
 * gunyah_vm_rm_function_arg() - remove a function instance, given the argument in a kernel
 * buffer
 * @ghvm: the VM
 * @type: the function type (from userspace)
 * @arg: the argument (NULL when @arg_size is 0); only read
 * @arg_size: size of @arg, at most GUNYAH_FN_MAX_ARG_SIZE
 *
 * Removes one instance: the oldest of @type for which the type's compare() returns true. Call
 * again to remove further matches (as KVM removes one ioeventfd per deassign). No module is
 * loaded: without a registered type there is no instance of it. The type's validate(), if it
 * has one, checks the argument first. A type with a key() has compare() called only on its
 * instances with the argument's key (gunyah_vm_rm_keyed()); one without, on every instance of
 * the type, oldest first, until one matches.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock.
 * Return: 0; -ENOENT if @type is not registered or no instance of it matches; -EINVAL if
 * @arg_size is too large, or not 0 with @arg NULL, or validate() refused the argument.
 */
VISIBLE_IF_KUNIT long gunyah_vm_rm_function_arg(struct gunyah_vm *ghvm, u32 type, const void *arg,
						size_t arg_size)
{
	struct gunyah_vm_function *fn __free(gunyah_vm_function_put) = NULL;
	struct gunyah_vm_function_instance *inst;
	int ret;

	if (arg_size > GUNYAH_FN_MAX_ARG_SIZE || (arg_size && !arg))
		return -EINVAL;

	fn = gunyah_vm_function_find(type);
	if (!fn)
		return -ENOENT;

	if (fn->validate) {
		ret = fn->validate(fn, arg, arg_size);
		/* Anything but 0 or an errno (positive, or below -MAX_ERRNO) is a refusal too */
		if (ret)
			return ret < 0 && ret >= -MAX_ERRNO ? ret : -EINVAL;
	}

	if (fn->key)
		return gunyah_vm_rm_keyed(ghvm, fn, arg, arg_size);

	guard(mutex)(&ghvm->fn_lock);

	list_for_each_entry(inst, &ghvm->functions, vm_list) {
		if (inst->fn == fn && fn->compare(inst, arg, arg_size)) {
			gunyah_vm_remove_instance(ghvm, inst);
			return 0;
		}
	}

	return -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_rm_function_arg);

/* gunyah_vm_rm_function()'s buffer holds the largest argument exactly */
static_assert(GUNYAH_FN_MAX_ARG_SIZE % sizeof(u64) == 0);

/**
 * gunyah_vm_rm_function() - GUNYAH_VM_REMOVE_FUNCTION
 * @ghvm: the VM
 * @desc: the descriptor, already copied to the kernel stack; @desc->arg is always a user pointer
 *        to @desc->arg_size bytes (nothing is read when the size is 0)
 *
 * Copies the argument into a buffer on the stack (it is at most GUNYAH_FN_MAX_ARG_SIZE bytes
 * and only read while this runs), then removes the oldest matching instance as
 * gunyah_vm_rm_function_arg() describes. Once this returns the instance's unbind() has run: it
 * does nothing more.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 * Return: 0; -EINVAL if the argument is larger than GUNYAH_FN_MAX_ARG_SIZE (with a rate-limited
 * message) or the type's validate() refused it; -EFAULT if it cannot be read; -ENOENT if no
 * instance of the type matches.
 */
long gunyah_vm_rm_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc)
{
	u64 buf[GUNYAH_FN_MAX_ARG_SIZE / sizeof(u64)];
	void *arg = NULL;

	if (!gunyah_vm_arg_size_ok(ghvm, desc))
		return -EINVAL;

	if (desc->arg_size) {
		if (copy_from_user(buf, u64_to_user_ptr(desc->arg), desc->arg_size))
			return -EFAULT;
		arg = buf;
	}

	return gunyah_vm_rm_function_arg(ghvm, desc->type, arg, desc->arg_size);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_rm_function);

/**
 * gunyah_vm_remove_functions() - remove every function instance of a VM
 * @ghvm: the VM, being released: no ioctl can add instances any more
 *
 * Unbinds the instances newest first (the reverse of the order they were added in), frees them
 * and drops their module references. Their unbind() removes their tickets and IO handlers;
 * gunyah_vm_release_resources(), called next, deals with any they forgot. Then frees the
 * chains of the VM's instance index, if it grew.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 */
void gunyah_vm_remove_functions(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_function_instance *inst, *tmp;

	guard(mutex)(&ghvm->fn_lock);

	list_for_each_entry_safe_reverse(inst, tmp, &ghvm->functions, vm_list)
		gunyah_vm_remove_instance(ghvm, inst);

	gunyah_vm_hash_release(&ghvm->fn_index);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_remove_functions);

/* ---------------------------------------------------------------------------------------- */
/* Resource tickets                                                                         */

/**
 * gunyah_vm_ticket_matches() - does a resource have a ticket's type and label?
 * @ticket: the ticket
 * @ghrsc: the resource
 *
 * Context: any context.
 * Return: true if it does.
 */
static bool gunyah_vm_ticket_matches(const struct gunyah_vm_resource_ticket *ticket,
				     const struct gunyah_resource *ghrsc)
{
	return ticket->resource_type == ghrsc->type && ticket->label == ghrsc->rm_label;
}

/**
 * gunyah_vm_ticket_find() - the registered ticket of a type and label
 * @ghvm: the VM
 * @type: the resource type
 * @label: the label
 *
 * O(1): one chain of @ghvm->ticket_index.
 *
 * Context: @ghvm->resources_lock held.
 * Return: the ticket, or NULL if none is registered for @type and @label.
 */
static struct gunyah_vm_resource_ticket *
gunyah_vm_ticket_find(struct gunyah_vm *ghvm, enum gunyah_resource_type type, u32 label)
{
	u32 hash = gunyah_vm_ticket_hash(type, label);
	struct gunyah_vm_resource_ticket *ticket;

	lockdep_assert_held(&ghvm->resources_lock);

	hlist_for_each_entry(ticket, gunyah_vm_hash_head(&ghvm->ticket_index, hash), hnode.node) {
		if (ticket->resource_type == type && ticket->label == label)
			return ticket;
	}
	return NULL;
}

/**
 * gunyah_vm_add_resource_ticket() - register a function's claim on resources of a type and label
 * @ghvm: the VM
 * @ticket: the ticket, with @resource_type, @label, @owner, @populate and @unpopulate filled in
 *
 * At most one ticket per type and label, which @ghvm->ticket_index finds in O(1). The VM takes
 * a reference to @ticket->owner for as long as the ticket is registered. Resources that arrived
 * before the ticket (the VM has started) are offered to populate() at once, in the order they
 * arrived; a refused one stays unclaimed. Later resources are offered by
 * gunyah_vm_populate_resources().
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock and calls populate() under
 * it. Usually called from bind(), under @ghvm->fn_lock.
 * Return: 0; -EINVAL if populate or unpopulate is missing; -EEXIST if a ticket with this type
 * and label is registered; -ENODEV if the owner module is being unloaded.
 */
int gunyah_vm_add_resource_ticket(struct gunyah_vm *ghvm,
				  struct gunyah_vm_resource_ticket *ticket)
{
	struct gunyah_resource *ghrsc, *tmp;

	if (!ticket->populate || !ticket->unpopulate)
		return -EINVAL;

	guard(mutex)(&ghvm->resources_lock);

	if (gunyah_vm_ticket_find(ghvm, ticket->resource_type, ticket->label))
		return -EEXIST;

	if (!try_module_get(ticket->owner))
		return -ENODEV;

	INIT_LIST_HEAD(&ticket->resources);
	list_add_tail(&ticket->vm_list, &ghvm->resource_tickets);
	gunyah_vm_hash_add(&ghvm->ticket_index, &ticket->hnode,
			   gunyah_vm_ticket_hash(ticket->resource_type, ticket->label));

	list_for_each_entry_safe(ghrsc, tmp, &ghvm->resources, list) {
		if (gunyah_vm_ticket_matches(ticket, ghrsc) && ticket->populate(ticket, ghrsc))
			list_move_tail(&ghrsc->list, &ticket->resources);
	}

	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_vm_add_resource_ticket);

/**
 * gunyah_vm_drop_ticket() - unpopulate a ticket's resources and unregister it
 * @ghvm: the VM
 * @ticket: a registered ticket
 *
 * unpopulate() runs for each of the ticket's resources in the reverse order of populate().
 * The resources go back to the end of @ghvm->resources, where a later ticket can claim them;
 * then the ticket is unlinked and its owner's reference dropped.
 *
 * Context: process context, @ghvm->resources_lock held.
 */
static void gunyah_vm_drop_ticket(struct gunyah_vm *ghvm, struct gunyah_vm_resource_ticket *ticket)
	__must_hold(&ghvm->resources_lock)
{
	struct gunyah_resource *ghrsc;

	lockdep_assert_held(&ghvm->resources_lock);

	list_for_each_entry_reverse(ghrsc, &ticket->resources, list)
		ticket->unpopulate(ticket, ghrsc);

	list_splice_tail_init(&ticket->resources, &ghvm->resources);
	list_del_init(&ticket->vm_list);
	gunyah_vm_hash_del(&ghvm->ticket_index, &ticket->hnode);
	module_put(ticket->owner);
}

/**
 * gunyah_vm_remove_resource_ticket() - withdraw a ticket
 * @ghvm: the VM
 * @ticket: a ticket gunyah_vm_add_resource_ticket() accepted
 *
 * Calls unpopulate() for each resource the ticket holds, newest first, and keeps the resources
 * for a later ticket of the same type and label. Removing a ticket that
 * gunyah_vm_release_resources() already dropped does nothing.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock and calls unpopulate()
 * under it. Usually called from unbind(), under @ghvm->fn_lock.
 */
void gunyah_vm_remove_resource_ticket(struct gunyah_vm *ghvm,
				      struct gunyah_vm_resource_ticket *ticket)
{
	guard(mutex)(&ghvm->resources_lock);

	if (list_empty(&ticket->vm_list))
		return;

	gunyah_vm_drop_ticket(ghvm, ticket);
}
EXPORT_SYMBOL_GPL(gunyah_vm_remove_resource_ticket);

/**
 * gunyah_vm_add_resource() - make a resource of an RM entry and hand it to its ticket
 * @ghvm: the VM
 * @entry: one entry of VM_GET_HYP_RESOURCES
 *
 * Maps the entry's interrupt, if it has one, then offers the resource to the ticket with its
 * type and label (found in O(1)). Unclaimed (no such ticket, or populate() refused it), it
 * waits in @ghvm->resources.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock.
 * Return: 0; -ENOMEM; or the error of gunyah_rm_virq_to_irq().
 */
static int gunyah_vm_add_resource(struct gunyah_vm *ghvm,
				  const struct gunyah_rm_hyp_resource *entry)
{
	struct gunyah_resource *ghrsc __free(kfree) = kzalloc(sizeof(*ghrsc), GFP_KERNEL_ACCOUNT);
	struct gunyah_vm_resource_ticket *ticket;
	int irq;

	if (!ghrsc)
		return -ENOMEM;

	ghrsc->type = entry->type;
	ghrsc->capid = entry->cap_id;
	ghrsc->rm_label = entry->resource_label;
	INIT_LIST_HEAD(&ghrsc->list);

	/* U32_MAX: the resource has no interrupt (see struct gunyah_rm_hyp_resource) */
	if (entry->virq != U32_MAX) {
		irq = gunyah_rm_virq_to_irq(ghvm->rm, entry->virq);
		if (irq < 0) {
			dev_err_ratelimited(ghvm->parent,
					    "VM %u: resource type %u label %u: cannot map interrupt %u: %d\n",
					    ghvm->vmid, entry->type, entry->resource_label,
					    entry->virq, irq);
			return irq;
		}
		ghrsc->irq = irq;
	}

	guard(mutex)(&ghvm->resources_lock);

	ticket = gunyah_vm_ticket_find(ghvm, ghrsc->type, ghrsc->rm_label);
	if (ticket && ticket->populate(ticket, ghrsc)) {
		list_add_tail(&no_free_ptr(ghrsc)->list, &ticket->resources);
		return 0;
	}

	list_add_tail(&no_free_ptr(ghrsc)->list, &ghvm->resources);
	return 0;
}

/**
 * gunyah_vm_populate_resources() - hand the resources the RM created to the functions
 * @ghvm: the VM, being started
 * @res: the answer of VM_GET_HYP_RESOURCES; only read (the caller keeps and frees it)
 *
 * For each entry, in the RM's order: builds a struct gunyah_resource (capability id, type,
 * label, and the Linux interrupt mapped from the entry's virq, or 0 when it has none), then
 * offers it to populate() of the ticket with the same type and label. A resource no ticket
 * takes is kept in @ghvm->resources for a ticket that comes later. On failure the resources
 * made so far stay where they went; gunyah_vm_release_resources() frees them.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock for each entry and calls
 * populate() under it. Called once per VM, at start; the caller may hold @ghvm->mm_lock
 * (GUNYAH_VM_START does) but no framework lock.
 * Return: 0; -ENOMEM; or the error of mapping an interrupt (see gunyah_rm_virq_to_irq()).
 */
int gunyah_vm_populate_resources(struct gunyah_vm *ghvm, struct gunyah_rm_hyp_resources *res)
{
	u32 i;
	int ret;

	for (i = 0; i < res->n_entries; i++) {
		ret = gunyah_vm_add_resource(ghvm, &res->entries[i]);
		if (ret)
			return ret;
	}

	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_populate_resources);

/**
 * gunyah_vm_release_resources() - free the resources of a VM being released
 * @ghvm: the VM; gunyah_vm_remove_functions() has run
 *
 * Once every function instance is gone no ticket should be left. A ticket that still is
 * (dangling: its function forgot to remove it) is reported, its resources are unpopulated and
 * it is unregistered, dropping its owner's reference. Then every resource's interrupt mapping
 * is disposed of and the resource freed.
 *
 * Last, the MMIO bus: IO handlers left behind are reported; they belong to their function and
 * are not touched, and the bus they are on is left allocated. An empty bus is freed: no vCPU
 * can be in it any more, since vCPUs hold a reference to the VM while they run. The frees that
 * gunyah_vm_remove_io_handler_kfree() left pending are waited for at module exit
 * (gunyah_vm_fn_exit()), not here.
 *
 * Idempotent: the VM's tables are left empty and usable.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock and @ghvm->mmio_bus_lock.
 */
void gunyah_vm_release_resources(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_resource_ticket *ticket, *ttmp;
	struct gunyah_resource *ghrsc, *rtmp;
	struct gunyah_vm_io_bus *bus = NULL;
	LIST_HEAD(resources);

	scoped_guard(mutex, &ghvm->resources_lock) {
		list_for_each_entry_safe(ticket, ttmp, &ghvm->resource_tickets, vm_list) {
			dev_warn(ghvm->parent,
				 "VM %u: dangling resource ticket (type %u, label %u) of %s\n",
				 ghvm->vmid, (u32)ticket->resource_type, ticket->label,
				 module_name(ticket->owner));
			gunyah_vm_drop_ticket(ghvm, ticket);
		}
		gunyah_vm_hash_release(&ghvm->ticket_index);
		list_splice_init(&ghvm->resources, &resources);
	}

	list_for_each_entry_safe(ghrsc, rtmp, &resources, list) {
		list_del(&ghrsc->list);
		gunyah_rm_irq_dispose(ghrsc->irq);
		kfree(ghrsc);
	}

	scoped_guard(mutex, &ghvm->mmio_bus_lock) {
		if (ghvm->nr_io_handlers)
			dev_warn(ghvm->parent, "VM %u: IO handlers left registered\n", ghvm->vmid);
		else
			bus = rcu_replace_pointer(ghvm->mmio_bus, NULL,
						  lockdep_is_held(&ghvm->mmio_bus_lock));
	}

	/* No vCPU can walk the bus: every vCPU fd holds a VM reference, and the last is gone */
	kvfree(bus);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_release_resources);

/**
 * gunyah_vm_fn_exit() - wait for the frees of removed IO handlers still pending
 *
 * gunyah_vm_remove_io_handler_kfree() frees from RCU and SRCU callbacks, which are code of
 * this module: none may be left when it goes.
 *
 * Context: process context, may sleep; the module exit of gunyah_rsc_mgr, once no VM is left.
 */
void gunyah_vm_fn_exit(void)
{
	rcu_barrier();
	srcu_barrier(&gunyah_vm_mmio_srcu);
}

/* ---------------------------------------------------------------------------------------- */
/* IO handlers                                                                              */

/* A new bus has 1 << 4 chains; a bus grows up to 1 << 20 */
#define GUNYAH_VM_IO_BUS_MIN_BITS	4
#define GUNYAH_VM_IO_BUS_MAX_BITS	20

/**
 * struct gunyah_vm_io_bus - the IO handlers of a VM: a hash table by address
 * @gen: which link of &gunyah_vm_io_handler.node chains the handlers into @buckets (0 or 1);
 *       constant
 * @bits: log2 of the number of chains, GUNYAH_VM_IO_BUS_MIN_BITS or more; constant
 * @buckets: the chains; a handler is in chain hash_64(addr, @bits), newest first. Every handler
 *           that an access, or a colliding handler, can reach is in the same chain, since both
 *           need the same address.
 *
 * vCPUs walk it in an RCU read-side critical section; the writers,
 * serialised by gunyah_vm.mmio_bus_lock, link and unlink handlers with the RCU list primitives.
 * A bus does not change size: to grow, the writer links every handler through its other link
 * into a new bus, publishes it in gunyah_vm.mmio_bus and waits for a grace period before it
 * frees the old bus, whose chains readers may still walk. So a handler is in at most two buses
 * at a time, through a different link in each, and a link is reused only once no reader can
 * walk the bus that last used it.
 */
struct gunyah_vm_io_bus {
	unsigned int gen;
	unsigned int bits;
	struct hlist_head buckets[];
};

/**
 * gunyah_vm_io_entry() - the handler of a chain link
 * @node: &gunyah_vm_io_handler.node[@gen] of a handler
 * @gen: the bus's generation
 *
 * Context: any context.
 * Return: the handler.
 */
static struct gunyah_vm_io_handler *gunyah_vm_io_entry(struct hlist_node *node, unsigned int gen)
{
	return container_of(node - gen, struct gunyah_vm_io_handler, node[0]);
}

/**
 * gunyah_vm_io_bus_get() - a VM's MMIO bus, for a writer
 * @ghvm: the VM
 *
 * Context: @ghvm->mmio_bus_lock held.
 * Return: the bus, or NULL if the VM never had an IO handler.
 */
static struct gunyah_vm_io_bus *gunyah_vm_io_bus_get(struct gunyah_vm *ghvm)
{
	return rcu_dereference_protected(ghvm->mmio_bus, lockdep_is_held(&ghvm->mmio_bus_lock));
}

/**
 * gunyah_vm_io_bus_alloc() - allocate an empty bus
 * @bits: log2 of its number of chains
 * @gen: the link of the handlers it uses
 *
 * Context: process context, may sleep.
 * Return: the bus, or NULL.
 */
static struct gunyah_vm_io_bus *gunyah_vm_io_bus_alloc(unsigned int bits, unsigned int gen)
{
	struct gunyah_vm_io_bus *bus;
	unsigned int i;

	bus = kvmalloc(struct_size(bus, buckets, 1U << bits), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!bus)
		return NULL;

	bus->gen = gen;
	bus->bits = bits;
	for (i = 0; i < (1U << bits); i++)
		INIT_HLIST_HEAD(&bus->buckets[i]);
	return bus;
}

/**
 * gunyah_vm_io_bus_grow() - replace a VM's bus by one with twice the chains
 * @ghvm: the VM
 * @old: its bus
 *
 * Links every handler into the new bus through its other link, publishes the new bus, waits
 * for the readers that may still walk @old and frees it. O(handlers) and one grace period, once
 * per doubling of the handlers. If the new bus cannot be allocated the VM keeps @old: longer
 * chains are slower, not wrong.
 *
 * Context: process context, may sleep (synchronize_rcu_expedited()); @ghvm->mmio_bus_lock
 * held. Not from an IO handler callback.
 */
static void gunyah_vm_io_bus_grow(struct gunyah_vm *ghvm, struct gunyah_vm_io_bus *old)
{
	struct gunyah_vm_io_handler *io;
	struct gunyah_vm_io_bus *new;
	struct hlist_node *node;
	unsigned int i;

	lockdep_assert_held(&ghvm->mmio_bus_lock);

	new = gunyah_vm_io_bus_alloc(old->bits + 1, old->gen ^ 1);
	if (!new)
		return;

	/* The new bus is not published yet: plain list operations are enough */
	for (i = 0; i < (1U << old->bits); i++) {
		hlist_for_each(node, &old->buckets[i]) {
			io = gunyah_vm_io_entry(node, old->gen);
			hlist_add_head(&io->node[new->gen],
				       &new->buckets[hash_64(io->addr, new->bits)]);
		}
	}

	rcu_assign_pointer(ghvm->mmio_bus, new);
	/* Buses are walked under RCU only (gunyah_vm_io_lookup()), sleepable handlers or not */
	synchronize_rcu_expedited();
	kvfree(old);
}

/**
 * gunyah_vm_io_handlers_collide() - could one guest access reach both handlers?
 * @a: a handler
 * @b: another handler
 *
 * An access reaches a handler when it starts at the handler's address, has the handler's
 * length (any length when that is 0) and, for a datamatch handler, is a write of its value. So
 * two handlers collide when they have the same address, their lengths are equal or either is 0,
 * and they are not both datamatch handlers with different values:
 *
 * ==================================== ==============================================
 * the two handlers                     collide?
 * ==================================== ==============================================
 * same addr, one of len 0, any other   yes (a len 0 handler has no datamatch)
 * same addr and len, neither dm        yes
 * same addr and len, one dm            yes (a write of the dm value reaches both)
 * same addr and len, both dm           only if their values are equal
 * same addr, different non-zero len    no
 * different addr                       no
 * ==================================== ==============================================
 *
 * Hence at most one handler ever matches an access (see gunyah_vm_mmio_write()).
 *
 * Context: any context.
 * Return: true if they collide.
 */
VISIBLE_IF_KUNIT bool gunyah_vm_io_handlers_collide(const struct gunyah_vm_io_handler *a,
						    const struct gunyah_vm_io_handler *b)
{
	if (a->addr != b->addr)
		return false;
	if (a->len && b->len && a->len != b->len)
		return false;
	if (a->datamatch && b->datamatch && a->data != b->data)
		return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_io_handlers_collide);

/**
 * gunyah_vm_io_len_valid() - is this a length an IO handler may have?
 * @len: the length
 *
 * Context: any context.
 * Return: true for 0 (any access size), 1, 2, 4 and 8.
 */
static bool gunyah_vm_io_len_valid(u32 len)
{
	return len == 0 || len == 1 || len == 2 || len == 4 || len == 8;
}

/**
 * gunyah_vm_add_io_handler() - have the kernel handle some guest MMIO accesses
 * @ghvm: the VM
 * @io_dev: the handler, zeroed (or at least not added), with @addr, @len, @datamatch, @data and
 *          @ops filled in; it stays owned by the caller, who must not change or free it until
 *          it is removed
 *
 * The collision check looks at the handlers of one chain of the bus (those with the handler's
 * address, and the few others hashed there): O(1) but for many datamatch handlers at one
 * address. The first handler of a VM allocates its bus; the bus doubles (and waits for an RCU
 * grace period, see gunyah_vm_io_bus_grow()) when it has more handlers than chains, which
 * amortises to O(1) per handler. vCPUs see the handler as soon as this returns.
 *
 * Context: process context, may sleep; takes @ghvm->mmio_bus_lock. Not from an IO handler
 * callback.
 * Return: 0; -EINVAL if @ops is missing or has neither read nor write, @len is not 0, 1, 2, 4
 * or 8, @datamatch is set with @len 0, or @addr + @len overflows; -EEXIST if the handler is
 * added already or collides with a registered one (see gunyah_vm_io_handlers_collide());
 * -ENOMEM if the VM's bus cannot be allocated.
 */
int gunyah_vm_add_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev)
{
	struct gunyah_vm_io_bus *bus;
	struct hlist_head *head;
	struct hlist_node *node;
	u64 end;

	if (!io_dev->ops || (!io_dev->ops->read && !io_dev->ops->write))
		return -EINVAL;
	if (!gunyah_vm_io_len_valid(io_dev->len))
		return -EINVAL;
	if (io_dev->datamatch && !io_dev->len)
		return -EINVAL;
	if (check_add_overflow(io_dev->addr, (u64)io_dev->len, &end))
		return -EINVAL;

	guard(mutex)(&ghvm->mmio_bus_lock);

	if (io_dev->added)
		return -EEXIST;

	bus = gunyah_vm_io_bus_get(ghvm);
	if (!bus) {
		bus = gunyah_vm_io_bus_alloc(GUNYAH_VM_IO_BUS_MIN_BITS, 0);
		if (!bus)
			return -ENOMEM;
		rcu_assign_pointer(ghvm->mmio_bus, bus);
	}

	head = &bus->buckets[hash_64(io_dev->addr, bus->bits)];
	hlist_for_each(node, head) {
		if (gunyah_vm_io_handlers_collide(io_dev, gunyah_vm_io_entry(node, bus->gen)))
			return -EEXIST;
	}

	/* The handler's fields are written before it is published (release semantics) */
	hlist_add_head_rcu(&io_dev->node[bus->gen], head);
	io_dev->added = true;
	ghvm->nr_io_handlers++;

	if (ghvm->nr_io_handlers > (1U << bus->bits) && bus->bits < GUNYAH_VM_IO_BUS_MAX_BITS)
		gunyah_vm_io_bus_grow(ghvm, bus);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_vm_add_io_handler);

/**
 * gunyah_vm_io_unlink() - take a handler off its VM's bus
 * @ghvm: the VM
 * @io_dev: a handler
 *
 * O(1). vCPUs that already found the handler may still use it until a grace period has passed;
 * vCPUs that start a lookup now do not find it.
 *
 * Context: @ghvm->mmio_bus_lock held.
 * Return: true if @io_dev was added and is now unlinked; false if it was not added.
 */
static bool gunyah_vm_io_unlink(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev)
	__must_hold(&ghvm->mmio_bus_lock)
{
	struct gunyah_vm_io_bus *bus = gunyah_vm_io_bus_get(ghvm);

	lockdep_assert_held(&ghvm->mmio_bus_lock);

	if (!io_dev->added)
		return false;

	hlist_del_rcu(&io_dev->node[bus->gen]);
	io_dev->added = false;
	ghvm->nr_io_handlers--;
	return true;
}

/**
 * gunyah_vm_remove_io_handler() - stop handling accesses with a handler
 * @ghvm: the VM
 * @io_dev: a handler gunyah_vm_add_io_handler() accepted, or one that is not added
 *
 * Unlinks the handler in O(1), then waits for an RCU grace period, and for a sleepable
 * handler an SRCU one too (expedited, as KVM's unregistration of an IO device does): when this
 * returns no vCPU runs the handler any more, and it may be freed. Removing a handler that is
 * not added does nothing and does not wait. gunyah_vm_remove_io_handler_kfree() removes without
 * waiting.
 *
 * Context: process context, may sleep (synchronize_rcu_expedited(), and
 * synchronize_srcu_expedited() for a sleepable handler); takes @ghvm->mmio_bus_lock. Not from
 * an IO handler callback.
 */
void gunyah_vm_remove_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev)
{
	bool unlinked = false;

	scoped_guard(mutex, &ghvm->mmio_bus_lock)
		unlinked = gunyah_vm_io_unlink(ghvm, io_dev);

	if (!unlinked)
		return;
	/* The vCPUs that found it under RCU, and those that went on into its callback under SRCU */
	synchronize_rcu_expedited();
	if (io_dev->sleepable)
		synchronize_srcu_expedited(&gunyah_vm_mmio_srcu);
}
EXPORT_SYMBOL_GPL(gunyah_vm_remove_io_handler);

/**
 * gunyah_vm_io_free_rcu() - RCU or SRCU callback: kfree() the object of a removed handler
 * @rcu: &gunyah_vm_io_handler.rcu of a handler gunyah_vm_remove_io_handler_kfree() removed
 *
 * Context: an RCU or SRCU callback (bottom halves disabled).
 */
static void gunyah_vm_io_free_rcu(struct rcu_head *rcu)
{
	struct gunyah_vm_io_handler *io = container_of(rcu, struct gunyah_vm_io_handler, rcu);

	kfree(io->free_obj);
}

/**
 * gunyah_vm_remove_io_handler_kfree() - stop handling accesses with a handler; free it later
 * @ghvm: the VM
 * @io_dev: a handler gunyah_vm_add_io_handler() accepted, or one that is not added
 * @obj: the kmalloc'ed object that contains @io_dev (or @io_dev itself), which this takes over
 *
 * Unlinks the handler in O(1) like gunyah_vm_remove_io_handler(), but does not wait for the
 * vCPUs that may still be in its callbacks: it kfree()s @obj once none can be (call_rcu(), the
 * RCU grace period after this call; for a sleepable handler an RCU grace period is waited for
 * and then call_srcu()), or at once if @io_dev was not added. This keeps a grace period, which
 * lasts milliseconds, off the caller's path.
 *
 * The caller must not touch @obj after this. If nothing of the handler may happen once it
 * returns, it makes its callbacks harmless first, under a lock of its own that the callbacks
 * take (fn_ioeventfd.c does), and it must not free anything the callbacks use before the grace
 * period but under that lock. The callbacks' code must stay loaded until the grace period is
 * over: gunyah_vm_function_unregister() waits for one, so a function module that calls this
 * only from its instances' unbind() is safe.
 *
 * Context: process context, may sleep; takes @ghvm->mmio_bus_lock. Does not wait for vCPUs
 * unless the handler is sleepable.
 */
void gunyah_vm_remove_io_handler_kfree(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev,
				       const void *obj)
{
	guard(mutex)(&ghvm->mmio_bus_lock);

	if (!gunyah_vm_io_unlink(ghvm, io_dev)) {
		kfree(obj);
		return;
	}

	io_dev->free_obj = obj;
	if (!io_dev->sleepable) {
		/* Its callbacks run under RCU: an RCU grace period covers them (batched, cheap) */
		call_rcu(&io_dev->rcu, gunyah_vm_io_free_rcu);
		return;
	}
	/* Readers that found it under RCU before they entered SRCU, then those in SRCU */
	synchronize_rcu_expedited();
	call_srcu(&gunyah_vm_mmio_srcu, &io_dev->rcu, gunyah_vm_io_free_rcu);
}
EXPORT_SYMBOL_GPL(gunyah_vm_remove_io_handler_kfree);

/**
 * gunyah_vm_io_lookup() - the handler a guest access reaches
 * @ghvm: the VM
 * @addr: guest physical address of the access
 * @len: its size
 * @is_write: a write (else a read)
 * @data: the value written
 *
 * Walks one chain of the VM's bus, the one of @addr: O(1), the same for 1 handler as for
 * thousands (the bus has at least as many chains as handlers), but for many datamatch handlers
 * at @addr. The first handler that takes the access is the only one (handlers that could both
 * take one access cannot be added).
 *
 * Inline: with the RCU read lock and the handler's call, it is all a dispatch does.
 *
 * Context: an RCU read-side critical section.
 * Return: the handler, or NULL if none takes the access.
 */
static inline struct gunyah_vm_io_handler *gunyah_vm_io_lookup(struct gunyah_vm *ghvm, u64 addr,
							       u32 len, bool is_write, u64 data)
{
	struct gunyah_vm_io_handler *io;
	struct gunyah_vm_io_bus *bus;
	struct hlist_node *node;

	bus = rcu_dereference(ghvm->mmio_bus);
	if (!bus || !len)
		return NULL;

	node = rcu_dereference(hlist_first_rcu(&bus->buckets[hash_64(addr, bus->bits)]));
	for (; node; node = rcu_dereference(hlist_next_rcu(node))) {
		io = gunyah_vm_io_entry(node, bus->gen);
		if (io->addr != addr || (io->len && io->len != len))
			continue;
		if (!io->datamatch || (is_write && io->data == data))
			return io;
	}
	return NULL;
}

/**
 * gunyah_vm_io_dispatch() - find the handler of a guest access and run its callback
 * @ghvm: the VM
 * @addr: guest physical address of the access
 * @len: its size in bytes
 * @is_write: a write of *@data (else a read into *@data)
 * @data: the value written, or where the value read goes
 *
 * Finds the handler under RCU and runs a handler that does not sleep right there; for a
 * sleepable handler it enters the MMIO SRCU before it leaves RCU (the remover waits for both
 * grace periods, in that order) and runs the callback in SRCU's read side.
 *
 * Context: the vCPU thread, process context; see gunyah_vm_mmio_write().
 * Return: 0 if a handler took the access; -ENODEV if none did; or the handler's negative error.
 */
static __always_inline int gunyah_vm_io_dispatch(struct gunyah_vm *ghvm, u64 addr, u32 len,
						 bool is_write, u64 *data)
{
	struct gunyah_vm_io_handler *io;
	bool sleepable;
	int idx = 0, ret;

	rcu_read_lock();
	io = gunyah_vm_io_lookup(ghvm, addr, len, is_write, *data);
	if (!io || (is_write ? !io->ops->write : !io->ops->read)) {
		rcu_read_unlock();
		return -ENODEV;
	}
	sleepable = io->sleepable;
	if (sleepable) {
		idx = srcu_read_lock(&gunyah_vm_mmio_srcu);
		rcu_read_unlock();
	}

	if (is_write)
		ret = io->ops->write(io, addr, len, *data);
	else
		ret = io->ops->read(io, addr, len, data);

	if (sleepable)
		srcu_read_unlock(&gunyah_vm_mmio_srcu, idx);
	else
		rcu_read_unlock();
	return ret < 0 ? ret : 0;
}

/**
 * gunyah_vm_mmio_write() - offer a guest MMIO write to the kernel's IO handlers
 * @ghvm: the VM
 * @addr: guest physical address of the write
 * @len: its size in bytes (1, 2, 4 or 8)
 * @data: the value written, zero-extended
 *
 * Lookup rules: a handler takes an access only at its exact address. The candidates, in order
 * of preference, are: the datamatch handler of this address and length whose value is @data;
 * the handler of this address and length without datamatch; the handler of this address for
 * any length (length 0). Since colliding handlers cannot be added
 * (gunyah_vm_add_io_handler()), at most one of them exists, and the order only makes the rule
 * explicit. The handler is found in O(1) (gunyah_vm_io_lookup()) without a lock.
 *
 * Context: the vCPU thread, process context; enters an RCU read-side critical section across
 * the lookup and the handler's write() (for a sleepable handler, the MMIO SRCU's across the
 * write(): it may sleep); vCPUs do not serialise against each other nor against writers. The
 * caller may hold its run mutex.
 * Return: 0 if a handler took the write; -ENODEV if none did (the vCPU then exits to
 * userspace); or the handler's negative error (the same outcome for the vCPU).
 */
int gunyah_vm_mmio_write(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 data)
{
	return gunyah_vm_io_dispatch(ghvm, addr, len, true, &data);
}
EXPORT_SYMBOL_GPL(gunyah_vm_mmio_write);

/**
 * gunyah_vm_mmio_read() - offer a guest MMIO read to the kernel's IO handlers
 * @ghvm: the VM
 * @addr: guest physical address of the read
 * @len: its size in bytes (1, 2, 4 or 8)
 * @data: where the handler puts the value read
 *
 * Lookup rules as for gunyah_vm_mmio_write(), except that datamatch handlers never take reads:
 * the handler of this address and length, else the handler of this address for any length.
 *
 * Context: the vCPU thread, process context; RCU and SRCU as for gunyah_vm_mmio_write(). The
 * caller may hold its run mutex.
 * Return: 0 if a handler took the read and set *@data; -ENODEV if none did (the vCPU then exits
 * to userspace); or the handler's negative error (the same outcome for the vCPU).
 */
int gunyah_vm_mmio_read(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 *data)
{
	return gunyah_vm_io_dispatch(ghvm, addr, len, false, data);
}
EXPORT_SYMBOL_GPL(gunyah_vm_mmio_read);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gunyah_vm_mmio_read_held() - is the caller in a read side IO handlers run in?
 *
 * For KUnit suites, which check that IO handler callbacks run in one. Without lockdep
 * (CONFIG_DEBUG_LOCK_ALLOC) it cannot tell and returns true, as srcu_read_lock_held() does.
 *
 * Context: any context.
 * Return: true if the caller is in an RCU read-side critical section (where handlers that do
 * not sleep run) or in one of gunyah_vm_mmio_srcu (sleepable handlers).
 */
bool gunyah_vm_mmio_read_held(void)
{
	return rcu_read_lock_held() || srcu_read_lock_held(&gunyah_vm_mmio_srcu);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_mmio_read_held);
#endif
