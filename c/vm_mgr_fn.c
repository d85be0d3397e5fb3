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
#include <linux/kernel.h>
#include <linux/kmod.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include <kunit/visibility.h>

#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "vm_mgr_fn.h"

/**
 * DOC: Locking
 *
 * The framework has one global lock and three per VM. In acquisition order, outermost first:
 *
 * 1. &gunyah_vm.fn_lock (mutex): protects &gunyah_vm.functions. Held across a type's bind(),
 *    unbind() and compare(), so one VM never binds and unbinds at the same time and REMOVE
 *    walks a stable list. Taken by GUNYAH_VM_ADD_FUNCTION, GUNYAH_VM_REMOVE_FUNCTION and
 *    gunyah_vm_remove_functions(); nothing of the framework holds it while it loads a module.
 * 2. &gunyah_vm.resources_lock (mutex): protects &gunyah_vm.resources,
 *    &gunyah_vm.resource_tickets and every ticket's resource list. Held across every populate()
 *    and unpopulate(). Taken by gunyah_vm_add_resource_ticket() and
 *    gunyah_vm_remove_resource_ticket() (usually from bind() and unbind(), so under fn_lock), by
 *    gunyah_vm_populate_resources() at VM start and by gunyah_vm_release_resources().
 * 3. &gunyah_vm.mmio_bus_lock (rw_semaphore): protects &gunyah_vm.mmio_bus. Taken for writing by
 *    gunyah_vm_add_io_handler() and gunyah_vm_remove_io_handler() (from bind()/unbind() or
 *    populate()/unpopulate(), so under fn_lock or resources_lock); taken for reading by the
 *    vCPUs in gunyah_vm_mmio_write() and gunyah_vm_mmio_read(), across the handler's read() or
 *    write(). vCPUs therefore never wait for each other, and removing a handler waits until no
 *    vCPU runs it any more.
 *
 * So: fn_lock -> resources_lock -> mmio_bus_lock, never the other way round. In particular
 * populate() and unpopulate() must not take fn_lock, add or remove functions, or add or remove
 * tickets; IO handler callbacks must not take fn_lock or resources_lock, nor add or remove IO
 * handlers (the writer would wait for the reader that is itself).
 *
 * The registry of function types is an xarray that uses its own spinlock (xa_lock). It is held
 * only while one type is looked up and its module pinned (try_module_get()), and by the xarray
 * calls that insert and erase; never across bind(), request_module() or anything that sleeps,
 * and no other lock is taken under it, so it may be taken under any of the locks above. What
 * keeps a registered type alive is not this lock but module references: every instance holds
 * one on its type's module from GUNYAH_VM_ADD_FUNCTION until it is removed. The per-type
 * instance count (&gunyah_vm_function.nr_instances) is an atomic_t and needs no lock.
 *
 * Function modules' own locks nest inside the framework lock their callback runs under. The
 * vCPU function's run mutex, for instance, is taken in unbind() (under fn_lock) and in
 * populate()/unpopulate() (under resources_lock). While it holds its run mutex a vCPU takes no
 * framework lock but mmio_bus_lock, for reading, to dispatch MMIO. Hence a vCPU must start the
 * VM (gunyah_vm_ensure_started(), which takes resources_lock through
 * gunyah_vm_populate_resources()) before it takes its run mutex.
 *
 * The VM lifecycle (vm_mgr.c) calls gunyah_vm_add_function(), gunyah_vm_rm_function() and
 * gunyah_vm_remove_functions() without holding any of its own locks, so bind() and unbind() may
 * take them (fn_lock ranks above the lifecycle's locks). It may hold its locks while it calls
 * gunyah_vm_populate_resources() and gunyah_vm_release_resources() (they rank above
 * resources_lock).
 *
 * Which callback runs under what:
 *
 * =================================== ===============================================
 * bind(), unbind(), compare()         fn_lock
 * validate()                          no framework lock
 * populate(), unpopulate()            resources_lock (and fn_lock when the ticket is
 *                                     added or removed from bind() or unbind())
 * IO handler read(), write()          mmio_bus_lock for reading
 * =================================== ===============================================
 *
 * All of them run in process context and may sleep, IO handlers only briefly (they stall the
 * vCPU).
 */

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
 * Return: the type, with a reference to its module (drop it with gunyah_vm_function_put()), or
 * NULL if @type is not registered or its module is being unloaded.
 */
static struct gunyah_vm_function *gunyah_vm_function_find(u32 type)
{
	struct gunyah_vm_function *fn;

	if (!gunyah_vm_function_type_valid(type))
		return NULL;
	type = array_index_nospec(type, GUNYAH_FN_TYPE_MAX);

	xa_lock(&gunyah_vm_function_types);
	fn = xa_load(&gunyah_vm_function_types, type);
	if (fn && !try_module_get(fn->mod))
		fn = NULL;
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
 * gunyah_vm_function_put() - drop the module reference gunyah_vm_function_get() took
 * @fn: the function type; NULL or an error pointer is ignored (so that it also serves as the
 *      scope-based cleanup of a lookup)
 *
 * Context: any context.
 */
VISIBLE_IF_KUNIT void gunyah_vm_function_put(struct gunyah_vm_function *fn)
{
	if (!IS_ERR_OR_NULL(fn))
		module_put(fn->mod);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_function_put);

DEFINE_FREE(gunyah_vm_function_put, struct gunyah_vm_function *, gunyah_vm_function_put(_T))

/**
 * gunyah_vm_function_register() - make a function type available to VMs
 * @fn: the type; must stay valid and unchanged until gunyah_vm_function_unregister(), and
 *      start with @fn->nr_instances zero (a static or zeroed structure does)
 *
 * Usable with module_driver() (see DECLARE_GUNYAH_VM_FUNCTION_INIT()).
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if @fn lacks bind, unbind or compare, or its type is outside
 * [1, GUNYAH_FN_TYPE_MAX); -EEXIST if the type is already registered; -ENOMEM.
 */
int gunyah_vm_function_register(struct gunyah_vm_function *fn)
{
	int ret;

	if (!fn->bind || !fn->unbind || !fn->compare) {
		pr_err("function type %u (%s) lacks bind, unbind or compare\n", fn->type,
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
 * Context: process context.
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

	WARN(atomic_read(&fn->nr_instances), "function type %u (%s) unregistered with %d instances\n",
	     fn->type, fn->name ? fn->name : "?", atomic_read(&fn->nr_instances));
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
/* Function instances                                                                       */

/**
 * gunyah_vm_fn_init() - initialise the framework's part of a new VM
 * @ghvm: the VM, not yet visible to anyone else
 *
 * Context: process context.
 */
void gunyah_vm_fn_init(struct gunyah_vm *ghvm)
{
	mutex_init(&ghvm->fn_lock);
	INIT_LIST_HEAD(&ghvm->functions);

	mutex_init(&ghvm->resources_lock);
	INIT_LIST_HEAD(&ghvm->resources);
	INIT_LIST_HEAD(&ghvm->resource_tickets);

	init_rwsem(&ghvm->mmio_bus_lock);
	ghvm->mmio_bus = RB_ROOT;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_fn_init);

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
	atomic_dec(&fn->nr_instances);
	kfree(inst->argp);
	kfree(inst);
	gunyah_vm_function_put(fn);
}

/**
 * gunyah_vm_add_function_arg() - add a function instance, given the argument in a kernel buffer
 * @ghvm: the VM
 * @type: the function type (from userspace)
 * @arg: the argument, kmalloc'ed, or NULL when @arg_size is 0. Always consumed: on success it
 *       becomes the instance's copy, on failure it is freed.
 * @arg_size: size of @arg, at most GUNYAH_FN_MAX_ARG_SIZE
 *
 * Finds the type (loading its module if needed) before it takes @ghvm->fn_lock, then binds a
 * new instance under the lock and appends it to the VM's list, where it keeps the module
 * reference until it is removed. The type's bind() checks the argument.
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
	struct gunyah_vm_function *fn __free(gunyah_vm_function_put) = NULL;
	struct gunyah_vm_function_instance *inst __free(kfree) = NULL;
	long ret;

	if (arg_size > GUNYAH_FN_MAX_ARG_SIZE || (arg_size && !argp) || (!arg_size && argp))
		return -EINVAL;

	fn = gunyah_vm_function_get(type);
	if (IS_ERR(fn))
		return PTR_ERR(fn);

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;

	inst->arg_size = arg_size;
	inst->argp = argp;
	inst->ghvm = ghvm;
	inst->rm = ghvm->rm;
	inst->fn = fn;
	INIT_LIST_HEAD(&inst->vm_list);

	guard(mutex)(&ghvm->fn_lock);

	ret = fn->bind(inst);
	if (ret < 0)
		return ret;

	/* The instance now owns the argument and the module reference; the VM owns the instance */
	inst->argp = no_free_ptr(argp);
	inst->fn = no_free_ptr(fn);
	atomic_inc(&inst->fn->nr_instances);
	list_add_tail(&inst->vm_list, &ghvm->functions);
	inst = NULL;

	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_add_function_arg);

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
 * Copies the argument into a kernel buffer, then adds the instance as
 * gunyah_vm_add_function_arg() describes.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 * Return: what the type's bind() returned (>= 0); -EINVAL if the argument is larger than
 * GUNYAH_FN_MAX_ARG_SIZE (with a rate-limited message); -EFAULT if it cannot be read; -ENOENT
 * if no module provides the type; -ENOMEM; or bind()'s error.
 */
long gunyah_vm_add_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc)
{
	void *arg __free(kfree) = NULL;

	if (!gunyah_vm_arg_size_ok(ghvm, desc))
		return -EINVAL;

	if (desc->arg_size) {
		arg = memdup_user(u64_to_user_ptr(desc->arg), desc->arg_size);
		if (IS_ERR(arg))
			return PTR_ERR(no_free_ptr(arg));
	}

	return gunyah_vm_add_function_arg(ghvm, desc->type, no_free_ptr(arg), desc->arg_size);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_add_function);

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
 * has one, checks the argument first.
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
		if (ret)
			return ret < 0 ? ret : -EINVAL;
	}

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

/**
 * gunyah_vm_rm_function() - GUNYAH_VM_REMOVE_FUNCTION
 * @ghvm: the VM
 * @desc: the descriptor, already copied to the kernel stack; @desc->arg is always a user pointer
 *        to @desc->arg_size bytes (nothing is read when the size is 0)
 *
 * Copies the argument into a kernel buffer (freed on every path), then removes the oldest
 * matching instance as gunyah_vm_rm_function_arg() describes. Once this returns the instance's
 * unbind() has run: it does nothing more.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 * Return: 0; -EINVAL if the argument is larger than GUNYAH_FN_MAX_ARG_SIZE (with a rate-limited
 * message) or the type's validate() refused it; -EFAULT if it cannot be read; -ENOENT if no
 * instance of the type matches; -ENOMEM.
 */
long gunyah_vm_rm_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc)
{
	void *arg __free(kfree) = NULL;

	if (!gunyah_vm_arg_size_ok(ghvm, desc))
		return -EINVAL;

	if (desc->arg_size) {
		arg = memdup_user(u64_to_user_ptr(desc->arg), desc->arg_size);
		if (IS_ERR(arg))
			return PTR_ERR(no_free_ptr(arg));
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
 * gunyah_vm_release_resources(), called next, deals with any they forgot.
 *
 * Context: process context, may sleep; takes @ghvm->fn_lock. Called with no lock held.
 */
void gunyah_vm_remove_functions(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_function_instance *inst, *tmp;

	guard(mutex)(&ghvm->fn_lock);

	list_for_each_entry_safe_reverse(inst, tmp, &ghvm->functions, vm_list)
		gunyah_vm_remove_instance(ghvm, inst);
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
 * gunyah_vm_add_resource_ticket() - register a function's claim on resources of a type and label
 * @ghvm: the VM
 * @ticket: the ticket, with @resource_type, @label, @owner, @populate and @unpopulate filled in
 *
 * At most one ticket per type and label. The VM takes a reference to @ticket->owner for as long
 * as the ticket is registered. Resources that arrived before the ticket (the VM has started)
 * are offered to populate() at once, in the order they arrived; a refused one stays unclaimed.
 * Later resources are offered by gunyah_vm_populate_resources().
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock and calls populate() under
 * it. Usually called from bind(), under @ghvm->fn_lock.
 * Return: 0; -EINVAL if populate or unpopulate is missing; -EEXIST if a ticket with this type
 * and label is registered; -ENODEV if the owner module is being unloaded.
 */
int gunyah_vm_add_resource_ticket(struct gunyah_vm *ghvm,
				  struct gunyah_vm_resource_ticket *ticket)
{
	struct gunyah_vm_resource_ticket *iter;
	struct gunyah_resource *ghrsc, *tmp;

	if (!ticket->populate || !ticket->unpopulate)
		return -EINVAL;

	guard(mutex)(&ghvm->resources_lock);

	list_for_each_entry(iter, &ghvm->resource_tickets, vm_list) {
		if (iter->resource_type == ticket->resource_type && iter->label == ticket->label)
			return -EEXIST;
	}

	if (!try_module_get(ticket->owner))
		return -ENODEV;

	INIT_LIST_HEAD(&ticket->resources);
	list_add_tail(&ticket->vm_list, &ghvm->resource_tickets);

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
 * type and label. Unclaimed (no such ticket, or populate() refused it), it waits in
 * @ghvm->resources.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock.
 * Return: 0; -ENOMEM; or the error of gunyah_rm_virq_to_irq().
 */
static int gunyah_vm_add_resource(struct gunyah_vm *ghvm,
				  const struct gunyah_rm_hyp_resource *entry)
{
	struct gunyah_resource *ghrsc __free(kfree) = kzalloc(sizeof(*ghrsc), GFP_KERNEL);
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

	list_for_each_entry(ticket, &ghvm->resource_tickets, vm_list) {
		if (gunyah_vm_ticket_matches(ticket, ghrsc) && ticket->populate(ticket, ghrsc)) {
			list_add_tail(&no_free_ptr(ghrsc)->list, &ticket->resources);
			return 0;
		}
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
 * populate() under it. Called once per VM, at start; the caller may hold its own locks but no
 * framework lock.
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
 * is disposed of and the resource freed. IO handlers left behind are reported too; they belong
 * to their function and are not touched.
 *
 * Context: process context, may sleep; takes @ghvm->resources_lock and @ghvm->mmio_bus_lock.
 */
void gunyah_vm_release_resources(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_resource_ticket *ticket, *ttmp;
	struct gunyah_resource *ghrsc, *rtmp;
	LIST_HEAD(resources);

	scoped_guard(mutex, &ghvm->resources_lock) {
		list_for_each_entry_safe(ticket, ttmp, &ghvm->resource_tickets, vm_list) {
			dev_warn(ghvm->parent,
				 "VM %u: dangling resource ticket (type %u, label %u) of %s\n",
				 ghvm->vmid, (u32)ticket->resource_type, ticket->label,
				 module_name(ticket->owner));
			gunyah_vm_drop_ticket(ghvm, ticket);
		}
		list_splice_init(&ghvm->resources, &resources);
	}

	list_for_each_entry_safe(ghrsc, rtmp, &resources, list) {
		list_del(&ghrsc->list);
		gunyah_rm_irq_dispose(ghrsc->irq);
		kfree(ghrsc);
	}

	scoped_guard(rwsem_read, &ghvm->mmio_bus_lock) {
		if (!RB_EMPTY_ROOT(&ghvm->mmio_bus))
			dev_warn(ghvm->parent, "VM %u: IO handlers left registered\n", ghvm->vmid);
	}
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_vm_release_resources);

/* ---------------------------------------------------------------------------------------- */
/* IO handlers                                                                              */

/**
 * struct gunyah_vm_io_key - what the MMIO bus is ordered by
 * @addr: guest physical address
 * @len: access size, 0 for any
 * @datamatch: only writes of @data
 * @data: compared only when @datamatch
 */
struct gunyah_vm_io_key {
	u64 addr;
	u32 len;
	bool datamatch;
	u64 data;
};

/**
 * gunyah_vm_io_cmp() - order a key against a handler
 * @key: the key
 * @io: the handler
 *
 * By address, then length, then datamatch (handlers without it first), then the datamatch
 * value (only when both have datamatch).
 *
 * Context: any context.
 * Return: < 0, 0 or > 0 as @key sorts before, equal to or after @io.
 */
static int gunyah_vm_io_cmp(const struct gunyah_vm_io_key *key,
			    const struct gunyah_vm_io_handler *io)
{
	if (key->addr != io->addr)
		return key->addr < io->addr ? -1 : 1;
	if (key->len != io->len)
		return key->len < io->len ? -1 : 1;
	if (key->datamatch != io->datamatch)
		return key->datamatch ? 1 : -1;
	if (key->datamatch && key->data != io->data)
		return key->data < io->data ? -1 : 1;
	return 0;
}

/**
 * gunyah_vm_io_find_cmp() - rb_find() callback over struct gunyah_vm_io_key
 * @key: a struct gunyah_vm_io_key
 * @node: a handler's node
 *
 * Context: any context.
 * Return: as gunyah_vm_io_cmp().
 */
static int gunyah_vm_io_find_cmp(const void *key, const struct rb_node *node)
{
	return gunyah_vm_io_cmp(key, rb_entry(node, struct gunyah_vm_io_handler, node));
}

/**
 * gunyah_vm_io_less() - rb_add() callback: does handler @a sort before handler @b?
 * @a: a handler's node
 * @b: another handler's node
 *
 * Context: any context.
 * Return: true if @a sorts before @b.
 */
static bool gunyah_vm_io_less(struct rb_node *a, const struct rb_node *b)
{
	const struct gunyah_vm_io_handler *io = rb_entry(a, struct gunyah_vm_io_handler, node);
	const struct gunyah_vm_io_key key = {
		.addr = io->addr,
		.len = io->len,
		.datamatch = io->datamatch,
		.data = io->data,
	};

	return gunyah_vm_io_cmp(&key, rb_entry(b, struct gunyah_vm_io_handler, node)) < 0;
}

/**
 * gunyah_vm_io_addr_cmp() - rb_for_each() callback: order by address only
 * @key: a u64 guest physical address
 * @node: a handler's node
 *
 * Context: any context.
 * Return: < 0, 0 or > 0 as the address sorts before, equal to or after the handler's.
 */
static int gunyah_vm_io_addr_cmp(const void *key, const struct rb_node *node)
{
	const struct gunyah_vm_io_handler *io = rb_entry(node, struct gunyah_vm_io_handler, node);
	u64 addr = *(const u64 *)key;

	if (addr != io->addr)
		return addr < io->addr ? -1 : 1;
	return 0;
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
 * @io_dev: the handler, with @addr, @len, @datamatch, @data and @ops filled in; it stays
 *          owned by the caller, who must not change or free it until it is removed
 *
 * Context: process context, may sleep; takes @ghvm->mmio_bus_lock for writing (so it waits for
 * vCPUs running handlers). Not from an IO handler callback.
 * Return: 0; -EINVAL if @ops is missing or has neither read nor write, @len is not 0, 1, 2, 4
 * or 8, @datamatch is set with @len 0, or @addr + @len overflows; -EEXIST if the handler
 * collides with a registered one (see gunyah_vm_io_handlers_collide()).
 */
int gunyah_vm_add_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev)
{
	struct gunyah_vm_io_handler *iter;
	struct rb_node *node;
	u64 end;

	if (!io_dev->ops || (!io_dev->ops->read && !io_dev->ops->write))
		return -EINVAL;
	if (!gunyah_vm_io_len_valid(io_dev->len))
		return -EINVAL;
	if (io_dev->datamatch && !io_dev->len)
		return -EINVAL;
	if (check_add_overflow(io_dev->addr, (u64)io_dev->len, &end))
		return -EINVAL;

	guard(rwsem_write)(&ghvm->mmio_bus_lock);

	/* Every handler that could collide has the same address: they are next to each other */
	rb_for_each(node, &io_dev->addr, &ghvm->mmio_bus, gunyah_vm_io_addr_cmp) {
		iter = rb_entry(node, struct gunyah_vm_io_handler, node);
		if (gunyah_vm_io_handlers_collide(io_dev, iter))
			return -EEXIST;
	}

	rb_add(&io_dev->node, &ghvm->mmio_bus, gunyah_vm_io_less);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_vm_add_io_handler);

/**
 * gunyah_vm_remove_io_handler() - stop handling accesses with a handler
 * @ghvm: the VM
 * @io_dev: a handler gunyah_vm_add_io_handler() accepted
 *
 * When this returns no vCPU runs the handler any more, and it may be freed. Removing it a
 * second time does nothing.
 *
 * Context: process context, may sleep; takes @ghvm->mmio_bus_lock for writing. Not from an IO
 * handler callback.
 */
void gunyah_vm_remove_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev)
{
	guard(rwsem_write)(&ghvm->mmio_bus_lock);

	if (RB_EMPTY_NODE(&io_dev->node))
		return;

	rb_erase(&io_dev->node, &ghvm->mmio_bus);
	RB_CLEAR_NODE(&io_dev->node);
}
EXPORT_SYMBOL_GPL(gunyah_vm_remove_io_handler);

/**
 * gunyah_vm_io_find() - the handler with exactly this key
 * @ghvm: the VM
 * @addr: address
 * @len: length (0: the handlers for any size)
 * @datamatch: look for a datamatch handler
 * @data: its value
 *
 * Context: @ghvm->mmio_bus_lock held.
 * Return: the handler, or NULL.
 */
static struct gunyah_vm_io_handler *gunyah_vm_io_find(struct gunyah_vm *ghvm, u64 addr, u32 len,
						      bool datamatch, u64 data)
{
	const struct gunyah_vm_io_key key = {
		.addr = addr,
		.len = len,
		.datamatch = datamatch,
		.data = data,
	};
	struct rb_node *node;

	node = rb_find(&key, &ghvm->mmio_bus, gunyah_vm_io_find_cmp);
	return node ? rb_entry(node, struct gunyah_vm_io_handler, node) : NULL;
}

/**
 * gunyah_vm_io_lookup() - the handler a guest access reaches
 * @ghvm: the VM
 * @addr: guest physical address of the access
 * @len: its size
 * @is_write: a write (else a read)
 * @data: the value written
 *
 * At most three exact-key searches of the tree, O(log n) each: for a write, the datamatch
 * handler (@addr, @len, @data); then the handler for @addr and @len without datamatch; then the
 * handler for @addr and any size.
 *
 * Context: @ghvm->mmio_bus_lock held (for reading suffices).
 * Return: the handler, or NULL if none takes the access.
 */
static struct gunyah_vm_io_handler *gunyah_vm_io_lookup(struct gunyah_vm *ghvm, u64 addr, u32 len,
							bool is_write, u64 data)
{
	struct gunyah_vm_io_handler *io;

	lockdep_assert_held(&ghvm->mmio_bus_lock);

	if (!len)
		return NULL;

	if (is_write) {
		io = gunyah_vm_io_find(ghvm, addr, len, true, data);
		if (io)
			return io;
	}

	io = gunyah_vm_io_find(ghvm, addr, len, false, 0);
	if (io)
		return io;

	return gunyah_vm_io_find(ghvm, addr, 0, false, 0);
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
 * any length (length 0). The first that exists is called; since colliding handlers cannot be
 * added (gunyah_vm_add_io_handler()), at most one of them exists, and the order only makes the
 * rule explicit. Each candidate is found in O(log n).
 *
 * Context: the vCPU thread, process context, may sleep; takes @ghvm->mmio_bus_lock for reading
 * across the handler's write() (vCPUs do not serialise against each other). The caller may hold
 * its run mutex.
 * Return: 0 if a handler took the write; -ENODEV if none did (the vCPU then exits to
 * userspace); or the handler's negative error (the same outcome for the vCPU).
 */
int gunyah_vm_mmio_write(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 data)
{
	struct gunyah_vm_io_handler *io;
	int ret;

	guard(rwsem_read)(&ghvm->mmio_bus_lock);

	io = gunyah_vm_io_lookup(ghvm, addr, len, true, data);
	if (!io || !io->ops->write)
		return -ENODEV;

	ret = io->ops->write(io, addr, len, data);
	return ret < 0 ? ret : 0;
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
 * Context: the vCPU thread, process context, may sleep; takes @ghvm->mmio_bus_lock for reading
 * across the handler's read(). The caller may hold its run mutex.
 * Return: 0 if a handler took the read and set *@data; -ENODEV if none did (the vCPU then exits
 * to userspace); or the handler's negative error (the same outcome for the vCPU).
 */
int gunyah_vm_mmio_read(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 *data)
{
	struct gunyah_vm_io_handler *io;
	int ret;

	guard(rwsem_read)(&ghvm->mmio_bus_lock);

	io = gunyah_vm_io_lookup(ghvm, addr, len, false, 0);
	if (!io || !io->ops->read)
		return -ENODEV;

	ret = io->ops->read(io, addr, len, data);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_GPL(gunyah_vm_mmio_read);
