// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM function GUNYAH_FN_IOEVENTFD: an eventfd signalled by guest MMIO writes.
 *
 * An ioeventfd is an in-kernel IO handler of the VM (see gunyah_vm_add_io_handler()): a guest
 * write that reaches it signals the eventfd, and the vCPU goes on without an MMIO exit to
 * userspace. Reads are not handled: they, and writes that match no handler, exit to the VMM.
 */

#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <linux/gunyah.h>
#include <gunyah/compat.h>
#include <gunyah/vm_mgr.h>

/**
 * DOC: Locking
 *
 * Locks, outermost first (1 and 2 are never held together: unbind drops 2 before it takes 1):
 *
 * 1. &gunyah_vm.mmio_bus_lock (mutex, the framework's): gunyah_vm_add_io_handler() and
 *    gunyah_vm_remove_io_handler_kfree() take it (from bind and unbind, under
 *    &gunyah_vm.fn_lock). vCPUs do not: they find the handler and call
 *    gunyah_ioeventfd_write() in an RCU read-side critical section (it is not a sleepable
 *    handler), so
 *    several vCPUs may signal ioeventfds at once, and while ioeventfds are added and removed.
 * 2. &gunyah_ioeventfd.lock (spinlock, never taken in interrupt context): protects
 *    &gunyah_ioeventfd.ctx. Held by gunyah_ioeventfd_write() across eventfd_signal(), and by
 *    unbind while it takes the eventfd away.
 * 3. The eventfd's wait-queue lock (spinlock, irqsave): taken by eventfd_signal() inside
 *    gunyah_ioeventfd_write(). The eventfd's waiters run under it: if an irqfd listens on the
 *    same eventfd, its doorbell is rung from here.
 *
 * Teardown (gunyah_ioeventfd_unbind()) does not wait for a grace period, which would cost
 * REMOVE milliseconds. Instead:
 *
 * 1. Under &gunyah_ioeventfd.lock it takes the eventfd away (&gunyah_ioeventfd.ctx = NULL): a
 *    vCPU that signals it has done so when unbind gets the lock, and a vCPU that gets the lock
 *    afterwards finds no eventfd and lets the write exit to userspace, as if the ioeventfd
 *    were gone. So nothing is signalled once REMOVE returns, and every guest write either
 *    signals the eventfd or exits, never both.
 * 2. It puts the eventfd, which no vCPU uses any more.
 * 3. gunyah_vm_remove_io_handler_kfree() unlinks the handler, so that no vCPU finds it any more,
 *    and frees the ioeventfd after the grace period: a vCPU may still hold the ioeventfd (for
 *    step 1's lock) until then. The module's code outlives it too
 *    (gunyah_vm_function_unregister() waits for a grace period).
 */

/**
 * struct gunyah_ioeventfd - an ioeventfd
 * @lock: protects @ctx (see DOC: Locking)
 * @ctx: the eventfd context, signalled by guest writes; a reference is held from bind to
 *       unbind, which sets it to NULL; @lock
 * @ghvm: the VM; constant. Valid while the instance exists.
 * @io_handler: the IO handler; its links are the framework's, its other members are constant
 *              while it is added
 *
 * Freed by the framework, an RCU grace period after unbind (gunyah_vm_remove_io_handler_kfree()).
 */
struct gunyah_ioeventfd {
	spinlock_t lock; /* see above */
	struct eventfd_ctx *ctx;
	struct gunyah_vm *ghvm;
	struct gunyah_vm_io_handler io_handler;
};

/**
 * gunyah_ioeventfd_write() - IO handler: a guest write reached the ioeventfd
 * @io_dev: &gunyah_ioeventfd.io_handler
 * @addr: guest physical address of the write (the handler's)
 * @len: size of the write (the handler's, when that is not 0)
 * @data: the value written (the handler's datamatch value, when it has one)
 *
 * The framework called it only for a write this handler takes (address, length and
 * datamatch), so it only signals the eventfd, unless unbind has taken it away meanwhile.
 * eventfd_signal() does not sleep.
 *
 * Context: the vCPU thread, in an RCU read-side critical section; takes @io_dev's
 * &gunyah_ioeventfd.lock and the eventfd's wait-queue lock.
 * Return: 0 (handled), or -ENODEV if the ioeventfd is being removed (the write then exits to
 * userspace).
 */
static int gunyah_ioeventfd_write(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len,
				  u64 data)
{
	struct gunyah_ioeventfd *iofd = container_of(io_dev, struct gunyah_ioeventfd, io_handler);
	int ret = -ENODEV;

	spin_lock(&iofd->lock);
	if (iofd->ctx) {
		eventfd_signal(iofd->ctx);
		ret = 0;
	}
	spin_unlock(&iofd->lock);

	return ret;
}

/*
 * No read callback: the framework answers a read that reaches the handler with -ENODEV, so the
 * access exits to userspace as the uapi documents.
 */
static const struct gunyah_vm_io_handler_ops gunyah_ioeventfd_ops = {
	.write = gunyah_ioeventfd_write,
};

/**
 * gunyah_ioeventfd_len_valid() - is this a length an ioeventfd may have?
 * @len: the length
 *
 * Context: any context.
 * Return: true for 0 (any access size), 1, 2, 4 and 8.
 */
static bool gunyah_ioeventfd_len_valid(u32 len)
{
	return len == 0 || len == 1 || len == 2 || len == 4 || len == 8;
}

/**
 * gunyah_ioeventfd_check() - check the fields of an argument that ADD and REMOVE share
 * @arg: the argument
 *
 * Context: any context.
 * Return: 0, or -EINVAL if flags has an unknown bit, len is not 0, 1, 2, 4 or 8, or
 * addr + len overflows.
 */
static int gunyah_ioeventfd_check(const struct gunyah_fn_ioeventfd_arg *arg)
{
	u64 end;

	/* A mask: flags = 2 (1 << DATAMATCH, KVM's bit-number habit) is an unknown flag */
	if (arg->flags & ~GUNYAH_IOEVENTFD_FLAGS_DATAMATCH)
		return -EINVAL;
	if (!gunyah_ioeventfd_len_valid(arg->len))
		return -EINVAL;
	if (check_add_overflow(arg->addr, (u64)arg->len, &end))
		return -EINVAL;

	return 0;
}

/**
 * gunyah_ioeventfd_bind() - GUNYAH_VM_ADD_FUNCTION for GUNYAH_FN_IOEVENTFD
 * @f: the new instance; @f->argp holds a struct gunyah_fn_ioeventfd_arg
 *
 * Checks the argument, takes the eventfd and adds the IO handler. From then on vCPUs may call
 * gunyah_ioeventfd_write().
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held. Takes
 * &gunyah_vm.mmio_bus_lock.
 * Return: 0; -EINVAL if @f->arg_size is not sizeof(struct gunyah_fn_ioeventfd_arg), flags has
 * an unknown bit, padding is not 0, len is not 0, 1, 2, 4 or 8, DATAMATCH is set with len 0,
 * addr + len overflows, or fd is not an eventfd; -EBADF if fd is not an open file; -EEXIST if
 * an ioeventfd at this address could take some write this one takes; -ENOMEM.
 */
static long gunyah_ioeventfd_bind(struct gunyah_vm_function_instance *f)
{
	const struct gunyah_fn_ioeventfd_arg *arg = f->argp;
	struct gunyah_ioeventfd *iofd;
	struct eventfd_ctx *ctx;
	long ret;

	if (f->arg_size != sizeof(*arg) || !arg)
		return -EINVAL;
	ret = gunyah_ioeventfd_check(arg);
	if (ret)
		return ret;
	if (arg->padding)
		return -EINVAL;
	if ((arg->flags & GUNYAH_IOEVENTFD_FLAGS_DATAMATCH) && !arg->len)
		return -EINVAL;

	/* -EBADF if not an open file, -EINVAL if not an eventfd */
	ctx = eventfd_ctx_fdget(arg->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	iofd = kzalloc(sizeof(*iofd), GFP_KERNEL_ACCOUNT);
	if (!iofd) {
		ret = -ENOMEM;
		goto err_put_ctx;
	}

	spin_lock_init(&iofd->lock);
	iofd->ctx = ctx;
	iofd->ghvm = f->ghvm;
	iofd->io_handler.addr = arg->addr;
	iofd->io_handler.len = arg->len;
	iofd->io_handler.datamatch = arg->flags & GUNYAH_IOEVENTFD_FLAGS_DATAMATCH;
	iofd->io_handler.data = arg->datamatch;
	iofd->io_handler.ops = &gunyah_ioeventfd_ops;

	/* -EEXIST on a collision (see gunyah_vm_io_handlers_collide()) */
	ret = gunyah_vm_add_io_handler(f->ghvm, &iofd->io_handler);
	if (ret)
		goto err_free;

	f->data = iofd;
	return 0;

err_free:
	kfree(iofd);
err_put_ctx:
	eventfd_ctx_put(ctx);
	return ret;
}

/**
 * gunyah_ioeventfd_unbind() - remove an ioeventfd
 * @f: the instance
 *
 * In the order DOC: Locking explains, without waiting for vCPUs: takes the eventfd away under
 * &gunyah_ioeventfd.lock (from then on no vCPU signals it: a write that still reaches the
 * handler exits to userspace), puts it, and removes the IO handler, which frees the ioeventfd
 * once no vCPU can hold it any more. O(1).
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held. Takes &gunyah_ioeventfd.lock
 * and &gunyah_vm.mmio_bus_lock.
 */
static void gunyah_ioeventfd_unbind(struct gunyah_vm_function_instance *f)
{
	struct gunyah_ioeventfd *iofd = f->data;
	struct eventfd_ctx *ctx;

	spin_lock(&iofd->lock);
	ctx = iofd->ctx;
	iofd->ctx = NULL;
	spin_unlock(&iofd->lock);
	eventfd_ctx_put(ctx);

	f->data = NULL;
	/* Frees iofd after the grace period: not to be touched from here on */
	gunyah_vm_remove_io_handler_kfree(iofd->ghvm, &iofd->io_handler, iofd);
}

/**
 * gunyah_ioeventfd_key() - the key of an ADD or REMOVE argument: its address
 * @fn: the type (unused)
 * @arg: a struct gunyah_fn_ioeventfd_arg that bind or gunyah_ioeventfd_validate() accepted
 * @size: its size
 *
 * gunyah_ioeventfd_compare() matches only an ioeventfd at the argument's address, so the
 * address is the key: REMOVE compares only the ioeventfds at that address.
 *
 * Context: any context.
 * Return: the argument's addr.
 */
static u64 gunyah_ioeventfd_key(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	const struct gunyah_fn_ioeventfd_arg *ioev_arg = arg;

	return ioev_arg->addr;
}

/**
 * gunyah_ioeventfd_compare() - does a GUNYAH_VM_REMOVE_FUNCTION argument name this ioeventfd?
 * @f: an ioeventfd instance
 * @arg: a struct gunyah_fn_ioeventfd_arg (gunyah_ioeventfd_validate() checked it)
 * @size: size of @arg
 *
 * Matches on addr; then on len if the argument's len is not 0; then on datamatch if the
 * argument has GUNYAH_IOEVENTFD_FLAGS_DATAMATCH (an ioeventfd without datamatch does not match
 * such an argument). fd is ignored. So an argument with only addr set (crosvm's) names every
 * ioeventfd at that address, and the framework removes the oldest.
 *
 * Context: &gunyah_vm.fn_lock held; does not sleep.
 * Return: true if @arg names the ioeventfd.
 */
static bool gunyah_ioeventfd_compare(const struct gunyah_vm_function_instance *f,
				     const void *arg, size_t size)
{
	const struct gunyah_fn_ioeventfd_arg *rm_arg = arg;
	const struct gunyah_ioeventfd *iofd = f->data;
	const struct gunyah_vm_io_handler *io = &iofd->io_handler;

	if (size != sizeof(*rm_arg) || !rm_arg)
		return false;

	if (rm_arg->addr != io->addr)
		return false;
	if (rm_arg->len && rm_arg->len != io->len)
		return false;
	if ((rm_arg->flags & GUNYAH_IOEVENTFD_FLAGS_DATAMATCH) &&
	    (!io->datamatch || rm_arg->datamatch != io->data))
		return false;

	return true;
}

/**
 * gunyah_ioeventfd_validate() - check a GUNYAH_VM_REMOVE_FUNCTION argument
 * @fn: the function type
 * @arg: the argument
 * @size: its size
 *
 * Checks the size and the fields used for matching as ADD does: flags, len and the range.
 * DATAMATCH with len 0 is accepted here (any length, this value); padding and fd are not used
 * for matching and are not checked.
 *
 * Context: process context, no framework lock held.
 * Return: 0, or -EINVAL if @size is not sizeof(struct gunyah_fn_ioeventfd_arg), flags has an
 * unknown bit, len is not 0, 1, 2, 4 or 8, or addr + len overflows.
 */
static int gunyah_ioeventfd_validate(const struct gunyah_vm_function *fn, const void *arg,
				     size_t size)
{
	if (size != sizeof(struct gunyah_fn_ioeventfd_arg) || !arg)
		return -EINVAL;

	return gunyah_ioeventfd_check(arg);
}

DECLARE_GUNYAH_VM_FUNCTION_INIT(ioeventfd, GUNYAH_FN_IOEVENTFD, 3, gunyah_ioeventfd_bind,
				gunyah_ioeventfd_unbind, gunyah_ioeventfd_compare,
				.validate = gunyah_ioeventfd_validate, .key = gunyah_ioeventfd_key);
MODULE_DESCRIPTION("Gunyah ioeventfd: an eventfd signalled by guest MMIO writes");
MODULE_LICENSE("GPL");
