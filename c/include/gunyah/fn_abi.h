/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stable, versioned C ABI of Gunyah VM functions, for Rust and out-of-tree function modules.
 *
 * Nothing here depends on the kernel's .config: the kernel's objects are reached only through
 * opaque handles (incomplete types, never dereferenced by the module), every number is a
 * fixed-width integer and every callback a plain function pointer. Pointers are the size of the
 * architecture's pointers on every configuration of it. bindgen can read this header alone (it
 * needs only <linux/types.h> and <linux/stddef.h>), and the bindings it makes hold for any kernel
 * built from this tree.
 *
 * A module fills in a struct gunyah_fn_abi_ops with GUNYAH_FN_ABI_VERSION and the size of the
 * structure it was built with, and registers it; the kernel refuses a version it does not speak
 * and a structure smaller than that version's, and names both numbers in the kernel log. All
 * other structures of this header have the layout of the version the module registered with.
 *
 * Versions: 1, the first; 2 appends &gunyah_fn_abi_ops.key and changes nothing else. This
 * kernel speaks both: a module built for version 1 keeps working unchanged.
 *
 * Errors are negative errno values. Every callback runs in process context and may sleep,
 * unless its description says otherwise.
 */
#ifndef _GUNYAH_FN_ABI_H
#define _GUNYAH_FN_ABI_H

#include <linux/stddef.h>
#include <linux/types.h>

/* The version of this ABI; any change to a layout or a meaning gets a new one. */
#define GUNYAH_FN_ABI_VERSION		2

/* Opaque handles: the kernel owns what they point to; a module only passes them back. */
struct gunyah_fn_abi_registration;	/* a registered function type */
struct gunyah_fn_abi_instance;		/* one instance of it in a VM */
struct gunyah_fn_abi_vm;		/* a VM */
struct gunyah_fn_abi_io_handler;	/* an MMIO handler */
struct gunyah_fn_abi_ticket;		/* a resource ticket */
struct gunyah_fn_abi_resource;		/* a hypervisor resource handed to a ticket */

/**
 * struct gunyah_fn_abi_ops - a function type, as a module registers it
 * @abi_version: GUNYAH_FN_ABI_VERSION as the module saw it when it was built
 * @struct_size: sizeof(struct gunyah_fn_abi_ops) as the module saw it; at least
 *               GUNYAH_FN_ABI_OPS_SIZE_V1 for version 1, GUNYAH_FN_ABI_OPS_SIZE_V2 for
 *               version 2
 * @type: the function type number (struct gunyah_fn_desc.type), in [1, 0x80ff]; out-of-tree
 *        modules use GUNYAH_FN_SAMPLE_FIRST..GUNYAH_FN_SAMPLE_LAST of <linux/gunyah.h>
 * @reserved: must be 0
 * @name: for messages; a string that lives as long as the registration (may be NULL)
 * @owner: the module's struct module (THIS_MODULE), as an opaque pointer; NULL only for code
 *         built into the kernel. Each instance pins it, so the module cannot be unloaded while
 *         an instance exists; every callback must therefore be in its code (registration
 *         fails otherwise).
 * @bind: create an instance. The argument is at gunyah_fn_abi_arg(); check its size and every
 *        field. Return >= 0 (GUNYAH_VM_ADD_FUNCTION returns it to userspace: 0, or a new file
 *        descriptor; it must fit in an int) or a negative errno after undoing everything. Runs
 *        under the VM's function lock: may add tickets and IO handlers.
 * @unbind: destroy an instance: remove its tickets and IO handlers, free its private data.
 *          When it returns nothing of the instance may run any more. Runs under the VM's
 *          function lock.
 * @compare: return non-zero if @inst is the instance a GUNYAH_VM_REMOVE_FUNCTION argument
 *           (@arg, @size bytes; NULL when @size is 0) names, else 0. Runs under the VM's
 *           function lock; should be quick. The oldest matching instance is removed.
 * @validate: optional (may be NULL): check a GUNYAH_VM_REMOVE_FUNCTION argument once, before
 *            any @compare; return 0, or -EINVAL when @size is not the size the type takes or a
 *            field used for matching is invalid. Without it such an argument matches nothing,
 *            and the caller gets -ENOENT. Runs under no lock of the VM.
 * @key: optional (version 2; may be NULL), requires @validate: a number that the argument of
 *       an instance and every GUNYAH_VM_REMOVE_FUNCTION argument @compare matches with it have
 *       in common (an address, a label, an id). Called on the argument of each instance bind
 *       accepted and on each REMOVE argument @validate accepted (@arg, @size bytes; NULL when
 *       @size is 0); must not sleep. With it, REMOVE calls @compare only on the instances with
 *       the argument's key, which the VM finds in O(1); without it, on every instance of the
 *       type in the VM.
 *
 * The kernel copies the structure at registration: it need not outlive the call.
 */
struct gunyah_fn_abi_ops {
	u32 abi_version;
	u32 struct_size;
	u32 type;
	u32 reserved;
	const char *name;
	void *owner;
	s64 (*bind)(struct gunyah_fn_abi_instance *inst);
	void (*unbind)(struct gunyah_fn_abi_instance *inst);
	int (*compare)(const struct gunyah_fn_abi_instance *inst, const void *arg, u64 size);
	int (*validate)(const void *arg, u64 size);
	u64 (*key)(const void *arg, u64 size);
};

/* Size of struct gunyah_fn_abi_ops in version 1 (later versions only append members) */
#define GUNYAH_FN_ABI_OPS_SIZE_V1	offsetofend(struct gunyah_fn_abi_ops, validate)
/* Size of struct gunyah_fn_abi_ops in version 2 */
#define GUNYAH_FN_ABI_OPS_SIZE_V2	offsetofend(struct gunyah_fn_abi_ops, key)

/**
 * gunyah_fn_abi_register() - register a function type
 * @ops: the type; copied
 * @out: where the registration handle goes (on success only)
 *
 * Context: process context, may sleep; typically module init.
 * Return: 0; -EINVAL if @ops->abi_version is not 1 or 2, @ops->struct_size is smaller than that
 * version's size, @reserved is not 0, bind, unbind or compare is missing, key is given without
 * validate, or the type is out of range; -EEXIST if the type is already registered; -ENOMEM.
 */
int gunyah_fn_abi_register(const struct gunyah_fn_abi_ops *ops,
			   struct gunyah_fn_abi_registration **out);

/**
 * gunyah_fn_abi_unregister() - withdraw a function type and free its registration
 * @reg: the handle from gunyah_fn_abi_register() (NULL is ignored)
 *
 * Call it from module exit: while any instance exists the module cannot get there.
 *
 * Context: process context, may sleep.
 */
void gunyah_fn_abi_unregister(struct gunyah_fn_abi_registration *reg);

/* Instances (valid from bind until unbind returns) */

/**
 * gunyah_fn_abi_arg() - the argument userspace gave GUNYAH_VM_ADD_FUNCTION
 * @inst: the instance
 * @size: where its size goes (may be NULL)
 *
 * Context: any context.
 * Return: the kernel's copy of the argument (constant for the instance's life), or NULL when
 * the size is 0.
 */
const void *gunyah_fn_abi_arg(const struct gunyah_fn_abi_instance *inst, u64 *size);

/**
 * gunyah_fn_abi_get_private() - the module's private data of an instance
 * @inst: the instance
 *
 * Context: any context.
 * Return: what gunyah_fn_abi_set_private() stored; NULL before.
 */
void *gunyah_fn_abi_get_private(const struct gunyah_fn_abi_instance *inst);

/**
 * gunyah_fn_abi_set_private() - store the module's private data of an instance
 * @inst: the instance
 * @data: owned by the module (free it in unbind)
 *
 * Context: any context; the module serialises it against its own readers.
 */
void gunyah_fn_abi_set_private(struct gunyah_fn_abi_instance *inst, void *data);

/**
 * gunyah_fn_abi_vm() - the VM of an instance
 * @inst: the instance
 *
 * Context: any context.
 * Return: the VM; valid while the instance exists (or while a reference from
 * gunyah_fn_abi_vm_get() is held).
 */
struct gunyah_fn_abi_vm *gunyah_fn_abi_vm(const struct gunyah_fn_abi_instance *inst);

/* VMs */

/**
 * gunyah_fn_abi_vmid() - the VM id the resource manager gave a VM
 * @vm: the VM
 *
 * Context: any context.
 * Return: the VM id.
 */
u16 gunyah_fn_abi_vmid(const struct gunyah_fn_abi_vm *vm);

/**
 * gunyah_fn_abi_vm_get() - keep a VM alive beyond an instance (e.g. for a file it hands out)
 * @vm: the VM
 *
 * Context: any context.
 * Return: 0, or -ENODEV if the VM is already being destroyed.
 */
int gunyah_fn_abi_vm_get(struct gunyah_fn_abi_vm *vm);

/**
 * gunyah_fn_abi_vm_put() - drop a reference gunyah_fn_abi_vm_get() took
 * @vm: the VM
 *
 * Context: process context, may sleep (the last reference destroys the VM).
 */
void gunyah_fn_abi_vm_put(struct gunyah_fn_abi_vm *vm);

/* IO handlers: guest MMIO handled in the kernel */

/* gunyah_fn_abi_io_handler_desc.flags: take only writes of exactly @data */
#define GUNYAH_FN_ABI_IO_DATAMATCH	(1U << 0)

/**
 * struct gunyah_fn_abi_io_handler_desc - what an MMIO handler takes
 * @addr: guest physical address an access must start at
 * @len: access size taken: 1, 2, 4 or 8, or 0 for any size; @addr + @len must not overflow
 * @flags: GUNYAH_FN_ABI_IO_DATAMATCH or 0
 * @data: the value for GUNYAH_FN_ABI_IO_DATAMATCH; ignored without it
 * @read: complete a guest read: put the @len bytes read in *@data and return 0, or return a
 *        negative errno to let the access go to userspace. May be NULL (reads go to userspace).
 * @write: take a guest write of @data (zero-extended): return 0, or a negative errno to let it
 *         go to userspace. May be NULL.
 * @ctx: passed to @read and @write
 *
 * @read and @write run in a vCPU thread, concurrently with other vCPUs, in a read-side critical
 * section of the VM manager's MMIO SRCU: they must be quick and must not add or remove IO
 * handlers or tickets.
 */
struct gunyah_fn_abi_io_handler_desc {
	u64 addr;
	u32 len;
	u32 flags;
	u64 data;
	int (*read)(void *ctx, u64 addr, u32 len, u64 *data);
	int (*write)(void *ctx, u64 addr, u32 len, u64 data);
	void *ctx;
};

/**
 * gunyah_fn_abi_add_io_handler() - have the kernel handle some MMIO accesses of a VM
 * @vm: the VM
 * @desc: the handler; copied
 * @out: where the handler's handle goes (on success only)
 *
 * An access reaches a handler only at its exact address; two handlers some access could reach
 * both of cannot be added.
 *
 * Context: process context, may sleep (e.g. in bind or populate).
 * Return: 0; -EINVAL if @flags has an unknown bit, @read and @write are both NULL, @len is not
 * 0, 1, 2, 4 or 8, DATAMATCH is set with @len 0, or @addr + @len overflows; -EEXIST if the
 * handler collides with another; -ENOMEM.
 */
int gunyah_fn_abi_add_io_handler(struct gunyah_fn_abi_vm *vm,
				 const struct gunyah_fn_abi_io_handler_desc *desc,
				 struct gunyah_fn_abi_io_handler **out);

/**
 * gunyah_fn_abi_remove_io_handler() - remove and free an MMIO handler
 * @handler: the handle from gunyah_fn_abi_add_io_handler() (NULL is ignored)
 *
 * When it returns, no vCPU runs the handler's callbacks any more.
 *
 * Context: process context, may sleep (e.g. in unbind or unpopulate); not from the handler's
 * own callbacks.
 */
void gunyah_fn_abi_remove_io_handler(struct gunyah_fn_abi_io_handler *handler);

/* Resource tickets: claim the hypervisor resources the RM creates when the VM starts */

/* Resource types (gunyah_fn_abi_ticket_desc.resource_type), the RM's numbers */
#define GUNYAH_FN_ABI_RESOURCE_BELL_TX		0
#define GUNYAH_FN_ABI_RESOURCE_BELL_RX		1
#define GUNYAH_FN_ABI_RESOURCE_MSGQ_TX		2
#define GUNYAH_FN_ABI_RESOURCE_MSGQ_RX		3
#define GUNYAH_FN_ABI_RESOURCE_VCPU		4
#define GUNYAH_FN_ABI_RESOURCE_VPM		5
#define GUNYAH_FN_ABI_RESOURCE_VIRTIO_MMIO	6
#define GUNYAH_FN_ABI_RESOURCE_VRTC		7
#define GUNYAH_FN_ABI_RESOURCE_WATCHDOG		8

/**
 * struct gunyah_fn_abi_ticket_desc - a claim on the resources of one type and label
 * @resource_type: GUNYAH_FN_ABI_RESOURCE_*
 * @label: the label the RM gives the resource (a vCPU: its index; a doorbell: its label in the
 *         VM configuration)
 * @populate: a matching resource arrived (when the VM starts, or at once if it has started):
 *            return 0 to take it, or a negative errno to refuse it (it then waits for another
 *            ticket). The handle is valid until @unpopulate returns.
 * @unpopulate: the resource goes away (ticket removal or VM destruction), in the reverse order
 *              of @populate
 * @ctx: passed to @populate and @unpopulate
 *
 * @populate and @unpopulate run under the VM's resource lock: they may sleep and add or remove
 * IO handlers, but must not add or remove tickets or functions.
 */
struct gunyah_fn_abi_ticket_desc {
	u32 resource_type;
	u32 label;
	int (*populate)(void *ctx, struct gunyah_fn_abi_resource *res);
	void (*unpopulate)(void *ctx, struct gunyah_fn_abi_resource *res);
	void *ctx;
};

/**
 * gunyah_fn_abi_add_resource_ticket() - claim resources for an instance
 * @inst: the instance that claims (its module is the ticket's owner)
 * @desc: the claim; copied
 * @out: where the ticket's handle goes (on success only)
 *
 * Remove the ticket at the latest in the instance's unbind.
 *
 * Context: process context, may sleep (e.g. in bind); calls @desc->populate at once for
 * resources that arrived before.
 * Return: 0; -EINVAL if @populate or @unpopulate is NULL; -EEXIST if the VM has a ticket for
 * this type and label; -ENODEV if the owner module is being unloaded; -ENOMEM.
 */
int gunyah_fn_abi_add_resource_ticket(struct gunyah_fn_abi_instance *inst,
				      const struct gunyah_fn_abi_ticket_desc *desc,
				      struct gunyah_fn_abi_ticket **out);

/**
 * gunyah_fn_abi_remove_resource_ticket() - withdraw a ticket and free it
 * @ticket: the handle from gunyah_fn_abi_add_resource_ticket() (NULL is ignored)
 *
 * Calls @unpopulate for each resource the ticket holds, newest first; the resources stay with
 * the VM for a later ticket.
 *
 * Context: process context, may sleep (e.g. in unbind); not from @populate or @unpopulate.
 */
void gunyah_fn_abi_remove_resource_ticket(struct gunyah_fn_abi_ticket *ticket);

/* Resources (valid from populate until unpopulate returns) */

/**
 * gunyah_fn_abi_resource_capid() - the capability the host uses for a resource
 * @res: the resource
 *
 * Context: any context.
 * Return: the capability id (for hypercalls).
 */
u64 gunyah_fn_abi_resource_capid(const struct gunyah_fn_abi_resource *res);

/**
 * gunyah_fn_abi_resource_irq() - the Linux interrupt of a resource
 * @res: the resource
 *
 * Context: any context.
 * Return: the Linux IRQ number, or 0 if the resource has no interrupt.
 */
u32 gunyah_fn_abi_resource_irq(const struct gunyah_fn_abi_resource *res);

/**
 * gunyah_fn_abi_resource_type() - the type of a resource
 * @res: the resource
 *
 * Context: any context.
 * Return: GUNYAH_FN_ABI_RESOURCE_*.
 */
u32 gunyah_fn_abi_resource_type(const struct gunyah_fn_abi_resource *res);

/**
 * gunyah_fn_abi_resource_label() - the label of a resource
 * @res: the resource
 *
 * Context: any context.
 * Return: the label the RM gave it.
 */
u32 gunyah_fn_abi_resource_label(const struct gunyah_fn_abi_resource *res);

#endif
