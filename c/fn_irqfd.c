// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM function GUNYAH_FN_IRQFD: an eventfd that rings a doorbell of the guest.
 *
 * Each signal on the eventfd rings the doorbell (a BELL_TX resource) whose label in the VM
 * configuration is the irqfd's label, which raises the doorbell's interrupt in the guest. The
 * doorbell is claimed with a resource ticket: it arrives when the VM starts, or at once when the
 * irqfd is added to a running VM.
 *
 * Signals that come while the irqfd has no doorbell (the VM has not started, or its
 * configuration has no doorbell with this label) are consumed and dropped. The one exception is
 * an event already pending on the eventfd when the irqfd is added: it is delivered once, as
 * soon as the doorbell is there (at once if it already is).
 */

#include <linux/bits.h>
#include <linux/device.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <linux/gunyah.h>
#include <gunyah/compat.h>
#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

/**
 * DOC: Locking
 *
 * Locks, outermost first:
 *
 * 1. &gunyah_vm.resources_lock (mutex, the framework's): held across populate() and
 *    unpopulate(), the only places that hand the irqfd its doorbell or take it away.
 * 2. The eventfd's wait-queue lock (&wait_queue_head.lock, a spinlock taken with interrupts
 *    disabled): held by the eventfd core across every wakeup, so gunyah_irqfd_wakeup() runs
 *    under it, possibly in hard interrupt context (eventfd_signal() from an interrupt
 *    handler). gunyah_irqfd_queue_proc() and eventfd_ctx_remove_wait_queue() take it to link
 *    and unlink &gunyah_irqfd.wait.
 * 3. &gunyah_irqfd.lock (spinlock, always irqsave): protects &gunyah_irqfd.capid,
 *    &gunyah_irqfd.populated and &gunyah_irqfd.pending. Taken inside either of the locks
 *    above, never the other way round; held across the bell_send hypercall, which does not
 *    sleep in either backend (its own lock, in the simulator, nests inside this one).
 *
 * Where the doorbell is rung: directly in the wakeup callback, under locks 2 and 3, not in a
 * work item. bell_send is callable from any context, so deferring would only add latency and a
 * work item to flush at teardown. Holding lock 3 across the hypercall is what makes
 * unpopulate() synchronous: once it has cleared &gunyah_irqfd.populated no ring of the old
 * capability is in flight.
 *
 * Teardown (gunyah_irqfd_unbind(), under &gunyah_vm.fn_lock):
 *
 * 1. eventfd_ctx_remove_wait_queue() unlinks &gunyah_irqfd.wait under lock 2. A wakeup running
 *    on another CPU holds that lock, so when it returns no wakeup is running and none can start.
 * 2. There is no deferred work to flush (see above).
 * 3. gunyah_vm_remove_resource_ticket() unpopulates the doorbell under lock 1; populate() can no
 *    longer run for this irqfd, so nothing rings the doorbell any more.
 * 4. eventfd_ctx_put() drops the eventfd; the irqfd is freed.
 *
 * When userspace closes the last file of the eventfd, its release wakes the queue with
 * EPOLLHUP: gunyah_irqfd_wakeup() then unlinks its entry itself (under lock 2, as
 * autoremove_wake_function() does). The irqfd stays until GUNYAH_VM_REMOVE_FUNCTION or the VM's
 * teardown, holding a reference to the eventfd context but no wait-queue entry; step 1 above
 * then finds the entry self-linked and unlinking it again changes nothing.
 */

/* The flag an irqfd sends (bell_send ORs it into the doorbell's flags) */
#define GUNYAH_IRQFD_BELL_FLAG			BIT_ULL(0)
/* A doorbell's masks after reset, which a level irqfd restores when it lets the doorbell go */
#define GUNYAH_IRQFD_BELL_DEFAULT_ENABLE	(~0ULL)
#define GUNYAH_IRQFD_BELL_DEFAULT_ACK		0ULL

/**
 * struct gunyah_irqfd - an irqfd: an eventfd that rings a doorbell of the guest
 * @ghvm: the VM; constant. Valid while the instance exists (the VM removes its instances
 *        before it goes away).
 * @ctx: the eventfd context; a reference is held from bind to unbind; constant
 * @label: label of the doorbell in the VM configuration; constant
 * @level: GUNYAH_IRQFD_FLAGS_LEVEL was given; constant
 * @ticket: claim on the BELL_TX resource labelled @label; its lists are protected by
 *          &gunyah_vm.resources_lock
 * @wait: entry on the eventfd's wait queue; linked and unlinked under the eventfd's wait-queue
 *        lock
 * @pt: poll table that queues @wait; used only by vfs_poll() in bind
 * @lock: protects @capid, @populated and @pending (see DOC: Locking)
 * @capid: the doorbell's capability; meaningful only while @populated; @lock
 * @populated: a doorbell has been handed over. Written under &gunyah_vm.resources_lock and
 *             @lock (populate and unpopulate); read under either
 * @pending: an event pending on the eventfd when the irqfd was added waits for the doorbell,
 *           to be delivered when it arrives; @lock
 */
struct gunyah_irqfd {
	struct gunyah_vm *ghvm;
	struct eventfd_ctx *ctx;
	u32 label;
	bool level;

	struct gunyah_vm_resource_ticket ticket;

	wait_queue_entry_t wait;
	poll_table pt;

	spinlock_t lock; /* see above */
	u64 capid;
	bool populated;
	bool pending;
};

/**
 * gunyah_irqfd_ring_locked() - ring the irqfd's doorbell
 * @irqfd: the irqfd; @irqfd->populated must be true
 *
 * A failure of the hypercall is reported (rate-limited: the guest's and userspace's actions
 * trigger it) and otherwise ignored: the event is lost, as it would be with no doorbell.
 *
 * Context: any context, @irqfd->lock held (interrupts disabled).
 */
static void gunyah_irqfd_ring_locked(struct gunyah_irqfd *irqfd)
	__must_hold(&irqfd->lock)
{
	enum gunyah_error gh_error;

	lockdep_assert_held(&irqfd->lock);

	gh_error = gunyah_hypercall_bell_send(irqfd->capid, GUNYAH_IRQFD_BELL_FLAG, NULL);
	if (gh_error != GUNYAH_ERROR_OK)
		dev_err_ratelimited(irqfd->ghvm->parent,
				    "VM %u: irqfd label %u: cannot ring the doorbell: %d\n",
				    irqfd->ghvm->vmid, irqfd->label, gunyah_error_remap(gh_error));
}

/**
 * gunyah_irqfd_event() - deliver one event of the eventfd
 * @irqfd: the irqfd
 * @keep: if no doorbell has arrived yet, remember the event and deliver it when one does
 *        (for an event pending at registration); else drop it
 *
 * Context: any context (also hard interrupt context); takes @irqfd->lock. Called under the
 * eventfd's wait-queue lock.
 */
static void gunyah_irqfd_event(struct gunyah_irqfd *irqfd, bool keep)
{
	unsigned long flags;

	spin_lock_irqsave(&irqfd->lock, flags);
	if (irqfd->populated)
		gunyah_irqfd_ring_locked(irqfd);
	else if (keep)
		irqfd->pending = true;
	spin_unlock_irqrestore(&irqfd->lock, flags);
}

/**
 * gunyah_irqfd_wakeup() - wake function of the irqfd's entry on the eventfd's wait queue
 * @wait: &gunyah_irqfd.wait
 * @mode: unused
 * @sync: unused
 * @key: the poll events of the wakeup
 *
 * EPOLLIN (the eventfd was signalled): consume the counter and ring the doorbell, or drop the
 * event if the irqfd has no doorbell yet (the VM has not started, or its configuration has no
 * doorbell with this label). Every EPOLLIN wakeup rings, even when the counter was already
 * consumed (by another irqfd on the same eventfd): the entry is not exclusive, so each irqfd
 * of an eventfd sees each signal. Writers blocked on a full counter are not woken, as in KVM;
 * the counter only gets there if nobody consumes it.
 *
 * EPOLLHUP (the eventfd's last file is being released): unlink the entry, leaving it
 * self-linked for the eventfd_ctx_remove_wait_queue() of unbind. Safe here: the wakeup loop
 * has already fetched the next entry.
 *
 * Context: the eventfd's wait-queue lock held, interrupts disabled; any context.
 * Return: 0 (the entry is not exclusive, the return value does not stop the wakeup).
 */
static int gunyah_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct gunyah_irqfd *irqfd = container_of(wait, struct gunyah_irqfd, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		gunyah_irqfd_event(irqfd, false);
	}

	if (events & EPOLLHUP)
		list_del_init(&wait->entry);

	return 0;
}

/**
 * gunyah_irqfd_queue_proc() - poll_table callback: link the irqfd to the eventfd's wait queue
 * @file: the eventfd's file
 * @wqh: the eventfd's wait queue
 * @pt: &gunyah_irqfd.pt
 *
 * Links &gunyah_irqfd.wait (non-exclusive) and, in the same critical section of the wait-queue
 * lock, consumes the counter: an event pending at registration is then delivered exactly once,
 * now if the doorbell is there, else when it arrives (see gunyah_irqfd_populate()). No wakeup
 * can slip in between, so it is neither lost nor delivered twice.
 *
 * Context: process context, from vfs_poll() in bind; takes the eventfd's wait-queue lock and
 * @irqfd->lock.
 */
static void gunyah_irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct gunyah_irqfd *irqfd = container_of(pt, struct gunyah_irqfd, pt);
	unsigned long flags;
	u64 cnt;

	spin_lock_irqsave(&wqh->lock, flags);
	/* eventfd_poll() queues once; a second queue would link the entry twice */
	if (!WARN_ON_ONCE(!list_empty(&irqfd->wait.entry))) {
		__add_wait_queue(wqh, &irqfd->wait);
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		if (cnt)
			gunyah_irqfd_event(irqfd, true);
	}
	spin_unlock_irqrestore(&wqh->lock, flags);
}

/**
 * gunyah_irqfd_populate() - resource ticket callback: the doorbell has arrived
 * @ticket: &gunyah_irqfd.ticket
 * @ghrsc: a BELL_TX resource with the irqfd's label
 *
 * In level mode, sets the doorbell's masks so that the flag asserts the interrupt and is
 * cleared when the guest takes it. Then publishes the capability and delivers an event that
 * was pending at registration.
 *
 * Context: process context, &gunyah_vm.resources_lock held (at VM start, under
 * &gunyah_vm.mm_lock, or in bind, under &gunyah_vm.fn_lock, when the VM has started); takes
 * @irqfd->lock.
 * Return: true if the irqfd took the doorbell; false if it already has one (the VM
 * configuration repeats the label) or the masks could not be set.
 */
static bool gunyah_irqfd_populate(struct gunyah_vm_resource_ticket *ticket,
				  struct gunyah_resource *ghrsc)
{
	struct gunyah_irqfd *irqfd = container_of(ticket, struct gunyah_irqfd, ticket);
	enum gunyah_error gh_error;
	unsigned long flags;

	/* Written only under resources_lock, which is held: no need for irqfd->lock to read it */
	if (irqfd->populated) {
		dev_warn_ratelimited(irqfd->ghvm->parent,
				     "VM %u: irqfd label %u: another doorbell has this label, ignored\n",
				     irqfd->ghvm->vmid, irqfd->label);
		return false;
	}

	if (irqfd->level) {
		gh_error = gunyah_hypercall_bell_set_mask(ghrsc->capid, GUNYAH_IRQFD_BELL_FLAG,
							  GUNYAH_IRQFD_BELL_FLAG);
		if (gh_error != GUNYAH_ERROR_OK) {
			dev_err_ratelimited(irqfd->ghvm->parent,
					    "VM %u: irqfd label %u: cannot set the doorbell to level mode: %d\n",
					    irqfd->ghvm->vmid, irqfd->label,
					    gunyah_error_remap(gh_error));
			return false;
		}
	}

	spin_lock_irqsave(&irqfd->lock, flags);
	irqfd->capid = ghrsc->capid;
	irqfd->populated = true;
	if (irqfd->pending) {
		irqfd->pending = false;
		gunyah_irqfd_ring_locked(irqfd);
	}
	spin_unlock_irqrestore(&irqfd->lock, flags);

	return true;
}

/**
 * gunyah_irqfd_unpopulate() - resource ticket callback: the doorbell goes away
 * @ticket: &gunyah_irqfd.ticket
 * @ghrsc: the doorbell gunyah_irqfd_populate() took
 *
 * Withdraws the capability under @irqfd->lock: when this returns no ring of it is in flight
 * and none will start. A level irqfd then puts the doorbell's masks back to their reset values,
 * for whoever claims the doorbell next; that may fail harmlessly while the VM is torn down.
 *
 * Context: process context, &gunyah_vm.resources_lock held (ticket removal in unbind, under
 * &gunyah_vm.fn_lock, or the VM's teardown); takes @irqfd->lock.
 */
static void gunyah_irqfd_unpopulate(struct gunyah_vm_resource_ticket *ticket,
				    struct gunyah_resource *ghrsc)
{
	struct gunyah_irqfd *irqfd = container_of(ticket, struct gunyah_irqfd, ticket);
	enum gunyah_error gh_error;
	unsigned long flags;

	spin_lock_irqsave(&irqfd->lock, flags);
	irqfd->populated = false;
	irqfd->capid = 0;
	spin_unlock_irqrestore(&irqfd->lock, flags);

	if (irqfd->level) {
		gh_error = gunyah_hypercall_bell_set_mask(ghrsc->capid,
							  GUNYAH_IRQFD_BELL_DEFAULT_ENABLE,
							  GUNYAH_IRQFD_BELL_DEFAULT_ACK);
		if (gh_error != GUNYAH_ERROR_OK)
			dev_dbg(irqfd->ghvm->parent,
				"VM %u: irqfd label %u: cannot reset the doorbell's masks: %d\n",
				irqfd->ghvm->vmid, irqfd->label, gunyah_error_remap(gh_error));
	}
}

/**
 * gunyah_irqfd_bind() - GUNYAH_VM_ADD_FUNCTION for GUNYAH_FN_IRQFD
 * @f: the new instance; @f->argp holds a struct gunyah_fn_irqfd_arg
 *
 * Checks the argument, takes the eventfd, claims the doorbell with a resource ticket (which
 * hands it over at once if the VM has started), then hooks into the eventfd's wait queue. An
 * event pending on the eventfd at that point is delivered once (see
 * gunyah_irqfd_queue_proc()). Nothing can fail after the wait-queue entry is linked, so an
 * error leaves the eventfd untouched.
 *
 * The duplicate check is the ticket's: gunyah_vm_add_resource_ticket() finds a ticket of the
 * same type and label in O(1).
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held. Takes
 * &gunyah_vm.resources_lock and the eventfd's wait-queue lock.
 * Return: 0; -EINVAL if @f->arg_size is not sizeof(struct gunyah_fn_irqfd_arg), flags has an
 * unknown bit, padding is not 0 or fd is not an eventfd; -EBADF if fd is not an open file;
 * -EEXIST if an irqfd (or another ticket for a doorbell) with this label exists; -ENOMEM.
 */
static long gunyah_irqfd_bind(struct gunyah_vm_function_instance *f)
{
	const struct gunyah_fn_irqfd_arg *arg = f->argp;
	struct gunyah_irqfd *irqfd;
	struct file *file;
	long ret;

	if (f->arg_size != sizeof(*arg) || !arg)
		return -EINVAL;
	if (arg->flags & ~GUNYAH_IRQFD_FLAGS_LEVEL)
		return -EINVAL;
	if (arg->padding)
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;

	/* -EBADF if not an open file, -EINVAL if not an eventfd */
	file = eventfd_fget(arg->fd);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_free;
	}

	irqfd->ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(irqfd->ctx)) {
		ret = PTR_ERR(irqfd->ctx);
		goto err_fput;
	}

	irqfd->ghvm = f->ghvm;
	irqfd->label = arg->label;
	irqfd->level = arg->flags & GUNYAH_IRQFD_FLAGS_LEVEL;
	spin_lock_init(&irqfd->lock);

	init_waitqueue_func_entry(&irqfd->wait, gunyah_irqfd_wakeup);
	/* Self-linked until queued: unlinking it in unbind is then always safe */
	INIT_LIST_HEAD(&irqfd->wait.entry);
	init_poll_funcptr(&irqfd->pt, gunyah_irqfd_queue_proc);

	INIT_LIST_HEAD(&irqfd->ticket.vm_list);
	INIT_LIST_HEAD(&irqfd->ticket.resources);
	irqfd->ticket.resource_type = GUNYAH_RESOURCE_TYPE_BELL_TX;
	irqfd->ticket.label = arg->label;
	irqfd->ticket.owner = THIS_MODULE;
	irqfd->ticket.populate = gunyah_irqfd_populate;
	irqfd->ticket.unpopulate = gunyah_irqfd_unpopulate;

	ret = gunyah_vm_add_resource_ticket(f->ghvm, &irqfd->ticket);
	if (ret)
		goto err_put_ctx;

	/*
	 * Queues irqfd->wait through gunyah_irqfd_queue_proc(), which also takes care of an event
	 * already pending. The returned mask is therefore not needed: it was sampled after that
	 * and says nothing gunyah_irqfd_queue_proc() did not see under the wait-queue lock.
	 */
	vfs_poll(file, &irqfd->pt);

	fput(file);
	f->data = irqfd;
	return 0;

err_put_ctx:
	eventfd_ctx_put(irqfd->ctx);
err_fput:
	fput(file);
err_free:
	kfree(irqfd);
	return ret;
}

/**
 * gunyah_irqfd_unbind() - remove an irqfd
 * @f: the instance
 *
 * In the order DOC: Locking explains: unhook from the eventfd, drop the doorbell, put the
 * eventfd. Once this returns the doorbell is not rung by this irqfd any more.
 *
 * Context: process context, may sleep; &gunyah_vm.fn_lock held. Takes the eventfd's
 * wait-queue lock and &gunyah_vm.resources_lock.
 */
static void gunyah_irqfd_unbind(struct gunyah_vm_function_instance *f)
{
	struct gunyah_irqfd *irqfd = f->data;
	u64 cnt;

	/* 1. No wakeup runs or starts once this returns (it takes the wait-queue lock) */
	eventfd_ctx_remove_wait_queue(irqfd->ctx, &irqfd->wait, &cnt);

	/* 2. Nothing deferred to flush: the doorbell is rung in the wakeup itself */

	/* 3. populate() cannot run any more; unpopulate() withdraws the capability */
	gunyah_vm_remove_resource_ticket(irqfd->ghvm, &irqfd->ticket);

	/* 4. */
	eventfd_ctx_put(irqfd->ctx);
	kfree(irqfd);
	f->data = NULL;
}

/**
 * gunyah_irqfd_compare() - does a GUNYAH_VM_REMOVE_FUNCTION argument name this irqfd?
 * @f: an irqfd instance
 * @arg: a struct gunyah_fn_irqfd_arg (gunyah_irqfd_validate() checked its size)
 * @size: size of @arg
 *
 * Matches on the label only; fd and flags are ignored (crosvm removes by label).
 *
 * Context: &gunyah_vm.fn_lock held; does not sleep.
 * Return: true if @arg's label is the irqfd's.
 */
static bool gunyah_irqfd_compare(const struct gunyah_vm_function_instance *f, const void *arg,
				 size_t size)
{
	const struct gunyah_fn_irqfd_arg *rm_arg = arg;
	const struct gunyah_irqfd *irqfd = f->data;

	if (size != sizeof(*rm_arg) || !rm_arg)
		return false;

	return rm_arg->label == irqfd->label;
}

/**
 * gunyah_irqfd_validate() - check a GUNYAH_VM_REMOVE_FUNCTION argument
 * @fn: the function type
 * @arg: the argument
 * @size: its size
 *
 * Only the size: the label, the one field used for matching, can take any value.
 *
 * Context: process context, no framework lock held.
 * Return: 0, or -EINVAL if @size is not sizeof(struct gunyah_fn_irqfd_arg).
 */
static int gunyah_irqfd_validate(const struct gunyah_vm_function *fn, const void *arg,
				 size_t size)
{
	return (size == sizeof(struct gunyah_fn_irqfd_arg) && arg) ? 0 : -EINVAL;
}

/**
 * gunyah_irqfd_key() - the key of an ADD or REMOVE argument: its label
 * @fn: the type (unused)
 * @arg: a struct gunyah_fn_irqfd_arg that bind or gunyah_irqfd_validate() accepted
 * @size: its size
 *
 * gunyah_irqfd_compare() matches on the label alone, so the label is the key: REMOVE finds the
 * irqfd of a label in O(1) instead of comparing every irqfd of the VM.
 *
 * Context: any context.
 * Return: the argument's label.
 */
static u64 gunyah_irqfd_key(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	const struct gunyah_fn_irqfd_arg *irqfd_arg = arg;

	return irqfd_arg->label;
}

DECLARE_GUNYAH_VM_FUNCTION_INIT(irqfd, GUNYAH_FN_IRQFD, 2, gunyah_irqfd_bind, gunyah_irqfd_unbind,
				gunyah_irqfd_compare, .validate = gunyah_irqfd_validate,
				.key = gunyah_irqfd_key);
MODULE_DESCRIPTION("Gunyah irqfd: an eventfd that rings a guest doorbell");
MODULE_LICENSE("GPL");
