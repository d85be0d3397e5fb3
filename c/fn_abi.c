// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: the stable C ABI of VM functions (<gunyah/fn_abi.h>), for Rust and
 * out-of-tree function modules, on top of the in-kernel API (<gunyah/vm_mgr.h>).
 *
 * Each opaque handle of the ABI is, inside this file only, either the kernel's own object seen
 * through a cast (instance, VM, resource), or a container this file allocates that embeds the
 * kernel object next to the module's callbacks (registration, IO handler, ticket). The kernel
 * object's callbacks are trampolines that find the container and call the module. No layout of
 * a kernel structure crosses the boundary, so modules built against the ABI do not depend on
 * the kernel's .config. Locking is that of the in-kernel API (DOC: Locking in vm_mgr_fn.c); this
 * file adds none.
 */

#define pr_fmt(fmt) "gunyah_fn_abi: " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/cleanup.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>

#include <kunit/visibility.h>

#include <gunyah/compat.h>
#include <gunyah/fn_abi.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "vm_mgr_fn.h"

/* The ABI's resource numbers are the RM's, which enum gunyah_resource_type has too */
static_assert(GUNYAH_FN_ABI_RESOURCE_BELL_TX == GUNYAH_RESOURCE_TYPE_BELL_TX);
static_assert(GUNYAH_FN_ABI_RESOURCE_BELL_RX == GUNYAH_RESOURCE_TYPE_BELL_RX);
static_assert(GUNYAH_FN_ABI_RESOURCE_MSGQ_TX == GUNYAH_RESOURCE_TYPE_MSGQ_TX);
static_assert(GUNYAH_FN_ABI_RESOURCE_MSGQ_RX == GUNYAH_RESOURCE_TYPE_MSGQ_RX);
static_assert(GUNYAH_FN_ABI_RESOURCE_VCPU == GUNYAH_RESOURCE_TYPE_VCPU);
static_assert(GUNYAH_FN_ABI_RESOURCE_VPM == GUNYAH_RESOURCE_TYPE_VPM);
static_assert(GUNYAH_FN_ABI_RESOURCE_VIRTIO_MMIO == GUNYAH_RESOURCE_TYPE_VIRTIO_MMIO);
static_assert(GUNYAH_FN_ABI_RESOURCE_VRTC == GUNYAH_RESOURCE_TYPE_VRTC);
static_assert(GUNYAH_FN_ABI_RESOURCE_WATCHDOG == GUNYAH_RESOURCE_TYPE_WATCHDOG);

/*
 * The layouts of versions 1 and 2. They never change: a change is a new version. abi_version
 * and struct_size stay the first two members in every version, so that any module can be told
 * why it is refused.
 */
static_assert(offsetof(struct gunyah_fn_abi_ops, abi_version) == 0);
static_assert(offsetof(struct gunyah_fn_abi_ops, struct_size) == 4);
static_assert(offsetof(struct gunyah_fn_abi_ops, type) == 8);
static_assert(offsetof(struct gunyah_fn_abi_ops, reserved) == 12);
static_assert(offsetof(struct gunyah_fn_abi_ops, name) == 16);
static_assert(GUNYAH_FN_ABI_OPS_SIZE_V1 == 16 + 6 * sizeof(void *));
static_assert(GUNYAH_FN_ABI_OPS_SIZE_V2 == 16 + 7 * sizeof(void *));
static_assert(sizeof(struct gunyah_fn_abi_ops) == GUNYAH_FN_ABI_OPS_SIZE_V2);
static_assert(offsetof(struct gunyah_fn_abi_io_handler_desc, len) == 8);
static_assert(offsetof(struct gunyah_fn_abi_io_handler_desc, flags) == 12);
static_assert(offsetof(struct gunyah_fn_abi_io_handler_desc, data) == 16);
static_assert(offsetof(struct gunyah_fn_abi_io_handler_desc, read) == 24);
static_assert(offsetof(struct gunyah_fn_abi_io_handler_desc, ctx) == 24 + 2 * sizeof(void *));
static_assert(offsetof(struct gunyah_fn_abi_ticket_desc, label) == 4);
static_assert(offsetof(struct gunyah_fn_abi_ticket_desc, populate) == 8);
static_assert(offsetof(struct gunyah_fn_abi_ticket_desc, ctx) == 8 + 2 * sizeof(void *));

/**
 * struct gunyah_fn_abi_registration - a function type registered through the ABI
 * @fn: the type as the VM manager knows it; its callbacks are this file's trampolines;
 *      constant once registered (but for its atomic instance count)
 * @ops: this file's copy of the module's struct gunyah_fn_abi_ops; constant
 */
struct gunyah_fn_abi_registration {
	struct gunyah_vm_function fn;
	struct gunyah_fn_abi_ops ops;
};

/**
 * struct gunyah_fn_abi_io_handler - an MMIO handler added through the ABI
 * @io: the handler as the VM manager knows it; its links are in gunyah_vm.mmio_bus while
 *      added, written under gunyah_vm.mmio_bus_lock; the rest is constant
 * @ghvm: its VM; constant
 * @read: the module's read callback (may be NULL); constant
 * @write: the module's write callback (may be NULL); constant
 * @ctx: the module's argument for them; constant
 */
struct gunyah_fn_abi_io_handler {
	struct gunyah_vm_io_handler io;
	struct gunyah_vm *ghvm;
	int (*read)(void *ctx, u64 addr, u32 len, u64 *data);
	int (*write)(void *ctx, u64 addr, u32 len, u64 data);
	void *ctx;
};

/**
 * struct gunyah_fn_abi_ticket - a resource ticket added through the ABI
 * @ticket: the ticket as the VM manager knows it; its lists are protected by
 *          gunyah_vm.resources_lock while added; the rest is constant
 * @ghvm: its VM; constant
 * @populate: the module's populate callback; constant
 * @unpopulate: the module's unpopulate callback; constant
 * @ctx: the module's argument for them; constant
 */
struct gunyah_fn_abi_ticket {
	struct gunyah_vm_resource_ticket ticket;
	struct gunyah_vm *ghvm;
	int (*populate)(void *ctx, struct gunyah_fn_abi_resource *res);
	void (*unpopulate)(void *ctx, struct gunyah_fn_abi_resource *res);
	void *ctx;
};

/* The handles that are plain casts of kernel objects, in both directions */

static struct gunyah_fn_abi_instance *inst_to_abi(struct gunyah_vm_function_instance *inst)
{
	return (void *)inst;
}

static const struct gunyah_fn_abi_instance *
inst_to_abi_const(const struct gunyah_vm_function_instance *inst)
{
	return (const void *)inst;
}

static struct gunyah_vm_function_instance *abi_to_inst(struct gunyah_fn_abi_instance *inst)
{
	return (void *)inst;
}

static const struct gunyah_vm_function_instance *
abi_to_inst_const(const struct gunyah_fn_abi_instance *inst)
{
	return (const void *)inst;
}

static struct gunyah_vm *abi_to_vm(struct gunyah_fn_abi_vm *vm)
{
	return (void *)vm;
}

static const struct gunyah_vm *abi_to_vm_const(const struct gunyah_fn_abi_vm *vm)
{
	return (const void *)vm;
}

static struct gunyah_fn_abi_resource *rsc_to_abi(struct gunyah_resource *ghrsc)
{
	return (void *)ghrsc;
}

static const struct gunyah_resource *abi_to_rsc_const(const struct gunyah_fn_abi_resource *res)
{
	return (const void *)res;
}

static struct gunyah_fn_abi_registration *to_registration(const struct gunyah_vm_function *fn)
{
	return container_of(fn, struct gunyah_fn_abi_registration, fn);
}

/* ---------------------------------------------------------------------------------------- */
/* Function types                                                                           */

/**
 * gunyah_fn_abi_bind() - bind() trampoline
 * @inst: the new instance
 *
 * The module returns an s64; an ioctl can only return an int. A value that is neither an int
 * nor an errno is a bug of the module: a "successful" one is undone with unbind().
 *
 * Context: process context, gunyah_vm.fn_lock held.
 * Return: what the module returned, or -EINVAL if it cannot be passed on.
 */
static long gunyah_fn_abi_bind(struct gunyah_vm_function_instance *inst)
{
	struct gunyah_fn_abi_registration *reg = to_registration(inst->fn);
	s64 ret;

	ret = reg->ops.bind(inst_to_abi(inst));
	if (ret >= -MAX_ERRNO && ret <= INT_MAX)
		return ret;

	pr_err_ratelimited("function type %u (%s): bind returned %lld, neither an int nor an errno\n",
			   reg->fn.type, reg->fn.name, ret);
	if (ret > 0)
		reg->ops.unbind(inst_to_abi(inst));
	return -EINVAL;
}

/**
 * gunyah_fn_abi_unbind() - unbind() trampoline
 * @inst: the instance going away
 *
 * Context: process context, gunyah_vm.fn_lock held.
 */
static void gunyah_fn_abi_unbind(struct gunyah_vm_function_instance *inst)
{
	to_registration(inst->fn)->ops.unbind(inst_to_abi(inst));
}

/**
 * gunyah_fn_abi_compare() - compare() trampoline
 * @inst: an instance
 * @arg: the REMOVE argument
 * @size: its size
 *
 * Context: process context, gunyah_vm.fn_lock held.
 * Return: true if the module says @inst matches.
 */
static bool gunyah_fn_abi_compare(const struct gunyah_vm_function_instance *inst,
				  const void *arg, size_t size)
{
	return to_registration(inst->fn)->ops.compare(inst_to_abi_const(inst), arg, size) != 0;
}

/**
 * gunyah_fn_abi_validate() - validate() trampoline
 * @fn: the type
 * @arg: the REMOVE argument
 * @size: its size
 *
 * Context: process context, no lock held.
 * Return: what the module returned (0 or a negative errno).
 */
static int gunyah_fn_abi_validate(const struct gunyah_vm_function *fn, const void *arg,
				  size_t size)
{
	return to_registration(fn)->ops.validate(arg, size);
}

/**
 * gunyah_fn_abi_key() - key() trampoline (version 2)
 * @fn: the type
 * @arg: an ADD argument bind() accepted, or a REMOVE argument validate() accepted
 * @size: its size
 *
 * Context: process context, does not sleep.
 * Return: what the module returned.
 */
static u64 gunyah_fn_abi_key(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	return to_registration(fn)->ops.key(arg, size);
}

/**
 * gunyah_fn_abi_ops_size() - the size of struct gunyah_fn_abi_ops in a version of the ABI
 * @version: the version a module registers with
 *
 * Context: any context.
 * Return: the size, or 0 for a version this kernel does not speak.
 */
static size_t gunyah_fn_abi_ops_size(u32 version)
{
	switch (version) {
	case 1:
		return GUNYAH_FN_ABI_OPS_SIZE_V1;
	case 2:
		return GUNYAH_FN_ABI_OPS_SIZE_V2;
	default:
		return 0;
	}
}

/**
 * gunyah_fn_abi_in_owner() - is a callback in the code of the module that registers it?
 * @owner: the registration's owner: a struct module, or NULL for code built into the kernel
 * @cb: the callback, or NULL
 *
 * An instance pins only @owner: a callback elsewhere (a module that forgot to set its owner)
 * could be unloaded under a live instance. Without an owner, the callbacks must be in no
 * module; kernels that do not export is_vmalloc_or_module_addr() (before 6.12) cannot tell
 * (gunyah_in_no_module()), and there an owner is required.
 *
 * Context: any context.
 * Return: true if @cb is NULL, lies in @owner's (core) memory, or, without an owner, in no
 * module.
 */
static bool gunyah_fn_abi_in_owner(const void *owner, const void *cb)
{
	if (!cb)
		return true;
	if (owner)
		return within_module_core((unsigned long)cb, owner);
	return gunyah_in_no_module(cb);
}

/**
 * gunyah_fn_abi_check_ops() - the version and size negotiation of a registration
 * @ops: what the module passed
 *
 * The version is checked first and alone, then the size, and only then any other member: a
 * module built for another version has another layout, of which only the first two members are
 * known. Members that the module's version does not have are not read (a version 1 module has
 * no key). Each refusal names the numbers involved in the kernel log.
 *
 * Context: any context.
 * Return: 0; -EINVAL if @ops->abi_version is not 1 or 2, @ops->struct_size is smaller than that
 * version's structure, @ops->reserved is not 0, bind, unbind or compare is missing, (version
 * 2) key is given without validate, or a callback lies outside the code of @ops->owner (any
 * module's code when there is no owner: gunyah_fn_abi_in_owner()).
 */
VISIBLE_IF_KUNIT int gunyah_fn_abi_check_ops(const struct gunyah_fn_abi_ops *ops)
{
	size_t size = gunyah_fn_abi_ops_size(ops->abi_version);

	if (!size) {
		pr_err("module built for function ABI version %u; this kernel provides versions 1 to %u\n",
		       ops->abi_version, GUNYAH_FN_ABI_VERSION);
		return -EINVAL;
	}
	if (ops->struct_size < size) {
		pr_err("struct gunyah_fn_abi_ops of %u bytes; function ABI version %u needs at least %zu\n",
		       ops->struct_size, ops->abi_version, size);
		return -EINVAL;
	}
	if (ops->reserved) {
		pr_err("function type %u (%s): reserved is %u, not 0\n", ops->type,
		       ops->name ? ops->name : "?", ops->reserved);
		return -EINVAL;
	}
	if (!ops->bind || !ops->unbind || !ops->compare) {
		pr_err("function type %u (%s) lacks bind, unbind or compare\n", ops->type,
		       ops->name ? ops->name : "?");
		return -EINVAL;
	}
	if (ops->abi_version >= 2 && ops->key && !ops->validate) {
		pr_err("function type %u (%s) has key but no validate\n", ops->type,
		       ops->name ? ops->name : "?");
		return -EINVAL;
	}
	if (!gunyah_fn_abi_in_owner(ops->owner, ops->bind) ||
	    !gunyah_fn_abi_in_owner(ops->owner, ops->unbind) ||
	    !gunyah_fn_abi_in_owner(ops->owner, ops->compare) ||
	    !gunyah_fn_abi_in_owner(ops->owner, ops->validate) ||
	    (ops->abi_version >= 2 && !gunyah_fn_abi_in_owner(ops->owner, ops->key))) {
		pr_err("function type %u (%s): callbacks outside the code of its owner %s\n",
		       ops->type, ops->name ? ops->name : "?",
		       ops->owner ? module_name(ops->owner) : "(built in)");
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_fn_abi_check_ops);

/**
 * gunyah_fn_abi_register() - register a function type given through the ABI
 * @ops: the module's description of the type; copied
 * @out: where the registration goes, on success
 *
 * Negotiates the version and size (gunyah_fn_abi_check_ops()), copies the part of @ops that
 * the module's version has (a larger @ops->struct_size is accepted; the bytes beyond are not
 * read; a version 1 module has no key), and registers a struct gunyah_vm_function whose
 * callbacks are trampolines to the module's.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (@ops or @out NULL, or see gunyah_fn_abi_check_ops() and
 * gunyah_vm_function_register()); -EEXIST if the type is registered; -ENOMEM.
 */
int gunyah_fn_abi_register(const struct gunyah_fn_abi_ops *ops,
			   struct gunyah_fn_abi_registration **out)
{
	struct gunyah_fn_abi_registration *reg __free(kfree) = NULL;
	int ret;

	if (!ops || !out)
		return -EINVAL;

	ret = gunyah_fn_abi_check_ops(ops);
	if (ret)
		return ret;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg)
		return -ENOMEM;

	memcpy(&reg->ops, ops, gunyah_fn_abi_ops_size(ops->abi_version));

	reg->fn.type = reg->ops.type;
	reg->fn.name = reg->ops.name ? reg->ops.name : "gunyah_fn_abi";
	reg->fn.mod = reg->ops.owner;
	reg->fn.bind = gunyah_fn_abi_bind;
	reg->fn.unbind = gunyah_fn_abi_unbind;
	reg->fn.compare = gunyah_fn_abi_compare;
	if (reg->ops.validate)
		reg->fn.validate = gunyah_fn_abi_validate;
	if (reg->ops.key)
		reg->fn.key = gunyah_fn_abi_key;

	ret = gunyah_vm_function_register(&reg->fn);
	if (ret)
		return ret;

	*out = no_free_ptr(reg);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_register);

/**
 * gunyah_fn_abi_unregister() - withdraw a type registered through the ABI and free it
 * @reg: the registration (NULL is ignored)
 *
 * If instances of the type are still alive (a bug of the module, which
 * gunyah_vm_function_unregister() warns about) the registration is left allocated, so that
 * those instances do not point to freed memory.
 *
 * Context: process context, may sleep.
 */
void gunyah_fn_abi_unregister(struct gunyah_fn_abi_registration *reg)
{
	if (!reg)
		return;

	gunyah_vm_function_unregister(&reg->fn);
	if (atomic_read(&reg->fn.nr_instances))
		return;

	kfree(reg);
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_unregister);

/* ---------------------------------------------------------------------------------------- */
/* Instances and VMs: accessors (documented in <gunyah/fn_abi.h>)                           */

const void *gunyah_fn_abi_arg(const struct gunyah_fn_abi_instance *inst, u64 *size)
{
	const struct gunyah_vm_function_instance *f = abi_to_inst_const(inst);

	if (size)
		*size = f->arg_size;
	return f->argp;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_arg);

void *gunyah_fn_abi_get_private(const struct gunyah_fn_abi_instance *inst)
{
	return abi_to_inst_const(inst)->data;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_get_private);

void gunyah_fn_abi_set_private(struct gunyah_fn_abi_instance *inst, void *data)
{
	abi_to_inst(inst)->data = data;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_set_private);

struct gunyah_fn_abi_vm *gunyah_fn_abi_vm(const struct gunyah_fn_abi_instance *inst)
{
	return (void *)abi_to_inst_const(inst)->ghvm;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_vm);

u16 gunyah_fn_abi_vmid(const struct gunyah_fn_abi_vm *vm)
{
	return abi_to_vm_const(vm)->vmid;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_vmid);

int gunyah_fn_abi_vm_get(struct gunyah_fn_abi_vm *vm)
{
	return gunyah_vm_get(abi_to_vm(vm)) ? 0 : -ENODEV;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_vm_get);

void gunyah_fn_abi_vm_put(struct gunyah_fn_abi_vm *vm)
{
	gunyah_vm_put(abi_to_vm(vm));
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_vm_put);

/* ---------------------------------------------------------------------------------------- */
/* IO handlers                                                                              */

/**
 * gunyah_fn_abi_io_read() - IO handler read() trampoline
 * @io_dev: the handler
 * @addr: guest physical address
 * @len: access size
 * @data: where the value read goes
 *
 * Context: vCPU thread, in the framework's MMIO SRCU read side (the handler is sleepable).
 * Return: the module's answer; -EOPNOTSUPP (to userspace) if it has no read callback.
 */
static int gunyah_fn_abi_io_read(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len,
				 u64 *data)
{
	struct gunyah_fn_abi_io_handler *handler =
		container_of(io_dev, struct gunyah_fn_abi_io_handler, io);

	if (!handler->read)
		return -EOPNOTSUPP;
	return handler->read(handler->ctx, addr, len, data);
}

/**
 * gunyah_fn_abi_io_write() - IO handler write() trampoline
 * @io_dev: the handler
 * @addr: guest physical address
 * @len: access size
 * @data: the value written
 *
 * Context: vCPU thread, in the framework's MMIO SRCU read side (the handler is sleepable).
 * Return: the module's answer; -EOPNOTSUPP (to userspace) if it has no write callback.
 */
static int gunyah_fn_abi_io_write(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len,
				  u64 data)
{
	struct gunyah_fn_abi_io_handler *handler =
		container_of(io_dev, struct gunyah_fn_abi_io_handler, io);

	if (!handler->write)
		return -EOPNOTSUPP;
	return handler->write(handler->ctx, addr, len, data);
}

static const struct gunyah_vm_io_handler_ops gunyah_fn_abi_io_ops = {
	.read = gunyah_fn_abi_io_read,
	.write = gunyah_fn_abi_io_write,
};

/**
 * gunyah_fn_abi_add_io_handler() - add an MMIO handler given through the ABI
 * @vm: the VM
 * @desc: the module's description of the handler; copied
 * @out: where the handler goes, on success
 *
 * Allocates a struct gunyah_fn_abi_io_handler around a struct gunyah_vm_io_handler and adds
 * that with gunyah_vm_add_io_handler(), which checks address, length and collisions.
 *
 * Context: process context, may sleep; takes gunyah_vm.mmio_bus_lock.
 * Return: 0; -EINVAL (an argument NULL, an unknown flag, no callback, or see
 * gunyah_vm_add_io_handler()); -EEXIST on a collision; -ENOMEM.
 */
int gunyah_fn_abi_add_io_handler(struct gunyah_fn_abi_vm *vm,
				 const struct gunyah_fn_abi_io_handler_desc *desc,
				 struct gunyah_fn_abi_io_handler **out)
{
	struct gunyah_fn_abi_io_handler *handler __free(kfree) = NULL;
	int ret;

	if (!vm || !desc || !out)
		return -EINVAL;
	if (desc->flags & ~GUNYAH_FN_ABI_IO_DATAMATCH)
		return -EINVAL;
	if (!desc->read && !desc->write)
		return -EINVAL;

	handler = kzalloc(sizeof(*handler), GFP_KERNEL_ACCOUNT);
	if (!handler)
		return -ENOMEM;

	handler->ghvm = abi_to_vm(vm);
	handler->read = desc->read;
	handler->write = desc->write;
	handler->ctx = desc->ctx;
	handler->io.addr = desc->addr;
	handler->io.len = desc->len;
	handler->io.datamatch = desc->flags & GUNYAH_FN_ABI_IO_DATAMATCH;
	handler->io.data = desc->data;
	handler->io.ops = &gunyah_fn_abi_io_ops;
	/* The ABI lets its callbacks sleep */
	handler->io.sleepable = true;

	ret = gunyah_vm_add_io_handler(handler->ghvm, &handler->io);
	if (ret)
		return ret;

	*out = no_free_ptr(handler);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_add_io_handler);

/**
 * gunyah_fn_abi_remove_io_handler() - remove and free an MMIO handler added through the ABI
 * @handler: the handler (NULL is ignored)
 *
 * The ABI promises that no callback runs once this returns (the module may then free what its
 * context points to), so it waits for vCPUs running the handler: gunyah_vm_remove_io_handler()
 * waits for an RCU and (the handler is sleepable) an SRCU grace period.
 *
 * Context: process context, may sleep; takes gunyah_vm.mmio_bus_lock, then waits for the
 * readers.
 */
void gunyah_fn_abi_remove_io_handler(struct gunyah_fn_abi_io_handler *handler)
{
	if (!handler)
		return;

	gunyah_vm_remove_io_handler(handler->ghvm, &handler->io);
	kfree(handler);
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_remove_io_handler);

/* ---------------------------------------------------------------------------------------- */
/* Resource tickets and resources                                                           */

/**
 * gunyah_fn_abi_populate() - ticket populate() trampoline
 * @ticket: the ticket
 * @ghrsc: a resource of its type and label
 *
 * Context: process context, gunyah_vm.resources_lock held.
 * Return: true if the module took the resource (its callback returned 0).
 */
static bool gunyah_fn_abi_populate(struct gunyah_vm_resource_ticket *ticket,
				   struct gunyah_resource *ghrsc)
{
	struct gunyah_fn_abi_ticket *abi_ticket =
		container_of(ticket, struct gunyah_fn_abi_ticket, ticket);

	return abi_ticket->populate(abi_ticket->ctx, rsc_to_abi(ghrsc)) == 0;
}

/**
 * gunyah_fn_abi_unpopulate() - ticket unpopulate() trampoline
 * @ticket: the ticket
 * @ghrsc: a resource it took
 *
 * Context: process context, gunyah_vm.resources_lock held.
 */
static void gunyah_fn_abi_unpopulate(struct gunyah_vm_resource_ticket *ticket,
				     struct gunyah_resource *ghrsc)
{
	struct gunyah_fn_abi_ticket *abi_ticket =
		container_of(ticket, struct gunyah_fn_abi_ticket, ticket);

	abi_ticket->unpopulate(abi_ticket->ctx, rsc_to_abi(ghrsc));
}

/**
 * gunyah_fn_abi_add_resource_ticket() - add a resource ticket given through the ABI
 * @inst: the instance that claims; its type's module becomes the ticket's owner
 * @desc: the module's description of the ticket; copied
 * @out: where the ticket goes, on success
 *
 * Allocates a struct gunyah_fn_abi_ticket around a struct gunyah_vm_resource_ticket and adds
 * that with gunyah_vm_add_resource_ticket(), which may call the module's populate at once.
 *
 * Context: process context, may sleep; takes gunyah_vm.resources_lock.
 * Return: 0; -EINVAL if an argument or callback is NULL; -EEXIST if the VM has a ticket for
 * this type and label; -ENODEV if the owner module is going away; -ENOMEM.
 */
int gunyah_fn_abi_add_resource_ticket(struct gunyah_fn_abi_instance *inst,
				      const struct gunyah_fn_abi_ticket_desc *desc,
				      struct gunyah_fn_abi_ticket **out)
{
	struct gunyah_fn_abi_ticket *abi_ticket __free(kfree) = NULL;
	struct gunyah_vm_function_instance *f;
	int ret;

	if (!inst || !desc || !out)
		return -EINVAL;
	if (!desc->populate || !desc->unpopulate)
		return -EINVAL;

	f = abi_to_inst(inst);

	abi_ticket = kzalloc(sizeof(*abi_ticket), GFP_KERNEL_ACCOUNT);
	if (!abi_ticket)
		return -ENOMEM;

	abi_ticket->ghvm = f->ghvm;
	abi_ticket->populate = desc->populate;
	abi_ticket->unpopulate = desc->unpopulate;
	abi_ticket->ctx = desc->ctx;
	abi_ticket->ticket.resource_type = desc->resource_type;
	abi_ticket->ticket.label = desc->label;
	abi_ticket->ticket.owner = f->fn->mod;
	abi_ticket->ticket.populate = gunyah_fn_abi_populate;
	abi_ticket->ticket.unpopulate = gunyah_fn_abi_unpopulate;

	ret = gunyah_vm_add_resource_ticket(abi_ticket->ghvm, &abi_ticket->ticket);
	if (ret)
		return ret;

	*out = no_free_ptr(abi_ticket);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_add_resource_ticket);

/**
 * gunyah_fn_abi_remove_resource_ticket() - withdraw and free a ticket added through the ABI
 * @ticket: the ticket (NULL is ignored)
 *
 * Context: process context, may sleep; takes gunyah_vm.resources_lock and calls the module's
 * unpopulate under it.
 */
void gunyah_fn_abi_remove_resource_ticket(struct gunyah_fn_abi_ticket *ticket)
{
	if (!ticket)
		return;

	gunyah_vm_remove_resource_ticket(ticket->ghvm, &ticket->ticket);
	kfree(ticket);
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_remove_resource_ticket);

u64 gunyah_fn_abi_resource_capid(const struct gunyah_fn_abi_resource *res)
{
	return abi_to_rsc_const(res)->capid;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_resource_capid);

u32 gunyah_fn_abi_resource_irq(const struct gunyah_fn_abi_resource *res)
{
	return abi_to_rsc_const(res)->irq;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_resource_irq);

u32 gunyah_fn_abi_resource_type(const struct gunyah_fn_abi_resource *res)
{
	return abi_to_rsc_const(res)->type;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_resource_type);

u32 gunyah_fn_abi_resource_label(const struct gunyah_fn_abi_resource *res)
{
	return abi_to_rsc_const(res)->rm_label;
}
EXPORT_SYMBOL_GPL(gunyah_fn_abi_resource_label);
