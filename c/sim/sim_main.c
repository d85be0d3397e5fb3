// SPDX-License-Identifier: GPL-2.0
/*
 * gunyah_sim.ko: a software Gunyah hypervisor and resource manager, so that the Gunyah driver
 * runs unchanged on machines without Gunyah.
 *
 * At load it creates its interrupt domain, the RM's message queues and the RM thread, then
 * registers the "gunyah-rsc-mgr" platform device the RM driver binds to: a software
 * node with reg = <TX capability, RX capability> (u64 each) and IRQ resources 0 (TX) and
 * 1 (RX). Test hooks live in debugfs (gunyah_sim/) and in <gunyah/sim.h>.
 */

#include <linux/array_size.h>
#include <linux/build_bug.h>
#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "sim_internal.h"

/* The one simulator; see DOC: Locking in sim_internal.h for why there is only one. */
static struct gunyah_sim *sim_instance;

/**
 * sim_get() - the simulator instance
 *
 * Context: any context.
 * Return: the instance, or NULL before module init published it / after exit withdrew it.
 */
struct gunyah_sim *sim_get(void)
{
	return READ_ONCE(sim_instance);
}

#define SIM_COUNTER(idx, field) \
	[idx] = { #field, offsetof(struct gunyah_sim_counters, field) }

static const struct {
	const char *name;
	size_t offset;
} sim_counters[SIM_CNT_NR] = {
	SIM_COUNTER(SIM_CNT_RM_REQUESTS, rm_requests),
	SIM_COUNTER(SIM_CNT_RM_REPLIES, rm_replies),
	SIM_COUNTER(SIM_CNT_RM_NOTIFICATIONS, rm_notifications),
	SIM_COUNTER(SIM_CNT_TX_FRAGMENTS, tx_fragments),
	SIM_COUNTER(SIM_CNT_RX_FRAGMENTS, rx_fragments),
	SIM_COUNTER(SIM_CNT_RX_DROPPED, rx_dropped),
	SIM_COUNTER(SIM_CNT_TX_DROPPED, tx_dropped),
	SIM_COUNTER(SIM_CNT_PARCELS_LIVE, parcels_live),
	SIM_COUNTER(SIM_CNT_PARCELS_TOTAL, parcels_total),
	SIM_COUNTER(SIM_CNT_MEM_APPEND_MSGS, mem_append_msgs),
	SIM_COUNTER(SIM_CNT_PAGES_SHARED, pages_shared),
	SIM_COUNTER(SIM_CNT_VMIDS_LIVE, vmids_live),
	SIM_COUNTER(SIM_CNT_BELL_SENDS, bell_sends),
	SIM_COUNTER(SIM_CNT_VCPU_RUNS, vcpu_runs),
	SIM_COUNTER(SIM_CNT_MMIO_EXITS, mmio_exits),
	SIM_COUNTER(SIM_CNT_FAULTS_INJECTED, faults_injected),
	SIM_COUNTER(SIM_CNT_RM_CYCLES, rm_cycles),
};

/**
 * sim_counter_name() - name of a counter, as in struct gunyah_sim_counters
 * @c: the counter
 *
 * Context: any context.
 * Return: the name.
 */
const char *sim_counter_name(enum sim_counter c)
{
	return sim_counters[c].name;
}

/* ---- test API ---- */

/**
 * gunyah_sim_rm_device() - the RM platform device the simulator registered
 *
 * Context: any context.
 * Return: the device, or NULL if the simulator is not loaded.
 */
struct device *gunyah_sim_rm_device(void)
{
	struct gunyah_sim *sim = sim_get();

	return sim && sim->pdev ? &sim->pdev->dev : NULL;
}
EXPORT_SYMBOL_GPL(gunyah_sim_rm_device);

/**
 * gunyah_sim_get_counters() - snapshot the counters
 * @counters: filled (zeros if the simulator is not loaded)
 *
 * Context: any context.
 */
void gunyah_sim_get_counters(struct gunyah_sim_counters *counters)
{
	struct gunyah_sim *sim = sim_get();
	unsigned int i;

	memset(counters, 0, sizeof(*counters));
	if (!sim)
		return;
	for (i = 0; i < SIM_CNT_NR; i++)
		*(u64 *)((u8 *)counters + sim_counters[i].offset) =
			atomic64_read(&sim->counters[i]);
}
EXPORT_SYMBOL_GPL(gunyah_sim_get_counters);

/*
 * The offset of an unsigned int knob of struct sim_faults, for sim_fault_set_count(); the build
 * fails for a member of another type.
 */
#define SIM_FAULT_COUNT(member)								\
	(offsetof(struct sim_faults, member) +						\
	 BUILD_BUG_ON_ZERO(!__same_type(((struct sim_faults *)NULL)->member, unsigned int)))

/**
 * sim_fault_set_count() - set a knob that counts the operations it still affects
 * @knob: SIM_FAULT_COUNT() of its member of struct sim_faults
 * @n: how many (0 disarms)
 *
 * Context: any context; takes &gunyah_sim.lock.
 */
static void sim_fault_set_count(size_t knob, unsigned int n)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	*(unsigned int *)((u8 *)&sim->faults + knob) = n;
	spin_unlock_irqrestore(&sim->lock, flags);
}

/**
 * gunyah_sim_fault_rx_drop() - drop the next RM-to-host fragments
 * @n: how many (0 disarms)
 *
 * Context: any context.
 */
void gunyah_sim_fault_rx_drop(unsigned int n)
{
	sim_fault_set_count(SIM_FAULT_COUNT(rx_drop), n);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rx_drop);

/**
 * gunyah_sim_fault_rx_duplicate() - send the next RM-to-host fragments twice
 * @n: how many (0 disarms)
 *
 * Context: any context.
 */
void gunyah_sim_fault_rx_duplicate(unsigned int n)
{
	sim_fault_set_count(SIM_FAULT_COUNT(rx_dup), n);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rx_duplicate);

/**
 * gunyah_sim_fault_rx_corrupt() - corrupt one byte of the next RM-to-host fragments
 * @n: how many (0 disarms)
 * @offset: byte to corrupt (clamped to the last byte; 0 is the API byte of the header)
 * @xor_mask: XOR applied to it
 *
 * Context: any context.
 */
void gunyah_sim_fault_rx_corrupt(unsigned int n, unsigned int offset, u8 xor_mask)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.rx_corrupt = n;
	sim->faults.corrupt_offset = offset;
	sim->faults.corrupt_xor = xor_mask;
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rx_corrupt);

/**
 * gunyah_sim_fault_rx_delay() - delay the next RM-to-host fragments
 * @n: how many (0 disarms)
 * @delay_ms: delay before each (everything the RM sends after it waits too)
 *
 * Context: any context.
 */
void gunyah_sim_fault_rx_delay(unsigned int n, unsigned int delay_ms)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.rx_delay = n;
	sim->faults.delay_ms = delay_ms;
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rx_delay);

/**
 * gunyah_sim_fault_rpc_repeat() - answer matching RPCs with an error instead of handling them
 * @nth: 1 = starting with the next matching RPC (0 disarms)
 * @msg_id: count only this message id (0 = any)
 * @rm_error: the RM error code to reply with (0xffffffff = UNIMPLEMENTED)
 * @count: how many matching RPCs in a row fail, from the nth on (0 is taken as 1)
 *
 * Context: any context.
 */
void gunyah_sim_fault_rpc_repeat(unsigned int nth, u32 msg_id, u32 rm_error, unsigned int count)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.rpc_nth = nth;
	sim->faults.rpc_msg_id = msg_id;
	sim->faults.rpc_error = rm_error;
	sim->faults.rpc_count = max(count, 1U);
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rpc_repeat);

/**
 * gunyah_sim_fault_rpc() - answer the nth next RPC with an error instead of handling it
 * @nth: 1 = the next matching RPC (0 disarms)
 * @msg_id: count only this message id (0 = any)
 * @rm_error: the RM error code to reply with (0xffffffff = UNIMPLEMENTED)
 *
 * Context: any context.
 */
void gunyah_sim_fault_rpc(unsigned int nth, u32 msg_id, u32 rm_error)
{
	gunyah_sim_fault_rpc_repeat(nth, msg_id, rm_error, 1);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rpc);

/**
 * gunyah_sim_fault_lose_reply() - handle the nth next RPC, but lose its reply
 * @nth: 1 = the next matching RPC (0 disarms)
 * @msg_id: count only this message id (0 = any)
 *
 * The RM does what was asked (notifications included) and the reply never reaches the host,
 * as when the RM-to-host queue loses a message: the host times out on a call that succeeded.
 *
 * Context: any context.
 */
void gunyah_sim_fault_lose_reply(unsigned int nth, u32 msg_id)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.lose_nth = nth;
	sim->faults.lose_msg_id = msg_id;
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_lose_reply);

/**
 * gunyah_sim_fault_tx_full() - msgq_send reports MSGQ_FULL for a while
 * @ms: how long from now (0 ends it at once)
 *
 * When the window ends the host's TX ("not full") interrupt is raised.
 *
 * Context: any context.
 */
void gunyah_sim_fault_tx_full(unsigned int ms)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags, until;

	if (!sim)
		return;
	until = jiffies + msecs_to_jiffies(ms);
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.tx_full = ms != 0;
	sim->faults.tx_full_until = until;
	spin_unlock_irqrestore(&sim->lock, flags);

	if (ms) {
		mod_timer(&sim->tx_full_timer, until + 1);
	} else {
		timer_delete(&sim->tx_full_timer);
		sim_irq_raise(sim, SIM_VIRQ_RM_TX);
	}
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_tx_full);

/**
 * gunyah_sim_fault_vcpu_retry() - make the next vcpu_run calls return RETRY
 * @n: how many (0 disarms)
 *
 * Context: any context.
 */
void gunyah_sim_fault_vcpu_retry(unsigned int n)
{
	sim_fault_set_count(SIM_FAULT_COUNT(vcpu_retry), n);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_vcpu_retry);

/**
 * gunyah_sim_fault_rx_retry() - make the host's next receives from the RM return RETRY
 * @n: how many msgq_recv calls, among those that find a message queued (0 disarms); the
 *     message stays queued, and no interrupt comes for it again
 *
 * Context: any context.
 */
void gunyah_sim_fault_rx_retry(unsigned int n)
{
	sim_fault_set_count(SIM_FAULT_COUNT(rx_retry), n);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_rx_retry);

/**
 * gunyah_sim_fault_clear() - disarm every fault knob
 *
 * Behaviour switches (reset_reply_early, image_lend_only, parcel_limit) are kept.
 *
 * Context: any context.
 */
void gunyah_sim_fault_clear(void)
{
	struct gunyah_sim *sim = sim_get();
	struct sim_faults *f;
	unsigned long flags;

	if (!sim)
		return;
	f = &sim->faults;
	spin_lock_irqsave(&sim->lock, flags);
	f->rx_drop = 0;
	f->rx_dup = 0;
	f->rx_corrupt = 0;
	f->rx_delay = 0;
	f->rpc_nth = 0;
	f->lose_nth = 0;
	f->vcpu_retry = 0;
	f->rx_retry = 0;
	spin_unlock_irqrestore(&sim->lock, flags);
	gunyah_sim_fault_tx_full(0);
}
EXPORT_SYMBOL_GPL(gunyah_sim_fault_clear);

/**
 * gunyah_sim_set_reset_reply_early() - choose where VM_RESET's reply goes
 * @early: true: VM_STATUS(RESETTING), reply, MEM_RELEASED..., VM_STATUS(RESET) (the
 *         open-source RM's order); false (default): all notifications, then the reply
 *
 * Context: any context.
 */
void gunyah_sim_set_reset_reply_early(bool early)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.reset_reply_early = early;
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_set_reset_reply_early);

/**
 * gunyah_sim_set_image_lend_only() - apply the production RM's rule to the image parcel
 * @lend_only: true: VM_START fails with DENIED unless the image parcel is a LEND whose ACL is
 *             exactly {VM, RWX}; false (default): a SHARE works too, as on debug RM builds
 *
 * Context: any context.
 */
void gunyah_sim_set_image_lend_only(bool lend_only)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.image_lend_only = lend_only;
	spin_unlock_irqrestore(&sim->lock, flags);
}
EXPORT_SYMBOL_GPL(gunyah_sim_set_image_lend_only);

/**
 * gunyah_sim_inject_rx() - queue a raw fragment for the host as if the RM had sent it
 * @msg: the fragment, header included
 * @len: its size, 1..GUNYAH_MSGQ_MAX_MSG_SIZE
 *
 * Context: any context.
 * Return: 0; -ENODEV (not loaded); -EINVAL (size); -EBUSY (RM-to-host queue full).
 */
int gunyah_sim_inject_rx(const void *msg, size_t len)
{
	struct gunyah_sim *sim = sim_get();
	int ret;

	if (!sim)
		return -ENODEV;
	ret = sim_rxq_push(sim, msg, len, true);
	if (ret == -EAGAIN)
		return -EBUSY;
	if (!ret)
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_sim_inject_rx);

/**
 * gunyah_sim_rm_wait_idle() - wait until the RM has handled everything the host sent
 * @timeout_ms: how long to wait at most
 *
 * Context: process context, sleeps.
 * Return: 0; -ENODEV; -ETIMEDOUT; -ERESTARTSYS.
 */
int gunyah_sim_rm_wait_idle(unsigned int timeout_ms)
{
	struct gunyah_sim *sim = sim_get();
	long ret;

	if (!sim)
		return -ENODEV;
	ret = wait_event_interruptible_timeout(sim->rm.idle_wq, !sim_txq_has_work(sim),
					       msecs_to_jiffies(timeout_ms));
	if (ret < 0)
		return ret;
	if (!ret)
		return -ETIMEDOUT;
	/* The RM thread handles a fragment it took under rm.lock: let it finish */
	mutex_lock(&sim->rm.lock);
	mutex_unlock(&sim->rm.lock);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_sim_rm_wait_idle);

/**
 * gunyah_sim_vm_info() - what the RM knows about a VM
 * @vmid: the VM
 * @info: filled
 *
 * Context: process context, sleeps (waits for the RM thread).
 * Return: 0, -ENODEV or -ENOENT (no such VM).
 */
int gunyah_sim_vm_info(u16 vmid, struct gunyah_sim_vm_info *info)
{
	struct gunyah_sim *sim = sim_get();
	struct sim_vm *vm;

	if (!sim)
		return -ENODEV;
	guard(mutex)(&sim->rm.lock);
	vm = xa_load(&sim->rm.vms, vmid);
	if (!vm)
		return -ENOENT;
	sim_rm_fill_vm_info(sim, vm, info);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_sim_vm_info);

/**
 * gunyah_sim_parcel_info() - what the RM recorded about a parcel
 * @handle: its handle
 * @info: filled
 *
 * Context: process context, sleeps.
 * Return: 0, -ENODEV or -ENOENT (no such parcel).
 */
int gunyah_sim_parcel_info(u32 handle, struct gunyah_sim_parcel_info *info)
{
	struct gunyah_sim *sim = sim_get();
	struct sim_parcel *p;

	if (!sim)
		return -ENODEV;
	guard(mutex)(&sim->rm.lock);
	p = sim_parcel_find(sim, handle);
	if (!p)
		return -ENOENT;
	sim_parcel_fill_info(p, info);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_sim_parcel_info);

/**
 * gunyah_sim_last_request() - the last request the RM dispatched, as it decoded it
 * @req: filled (see struct gunyah_sim_request for the field order of each RPC)
 *
 * Context: process context, sleeps.
 * Return: 0, -ENODEV or -ENOENT (no request yet).
 */
int gunyah_sim_last_request(struct gunyah_sim_request *req)
{
	struct gunyah_sim *sim = sim_get();

	if (!sim)
		return -ENODEV;
	guard(mutex)(&sim->rm.lock);
	if (!sim->rm.have_last)
		return -ENOENT;
	*req = sim->rm.last;
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_sim_last_request);

/**
 * gunyah_sim_doorbell_info() - state of a VM's doorbell
 * @vmid: the VM
 * @label: the doorbell's label
 * @info: filled
 *
 * Context: process context, sleeps.
 * Return: 0, -ENODEV or -ENOENT (no such VM or doorbell).
 */
int gunyah_sim_doorbell_info(u16 vmid, u32 label, struct gunyah_sim_doorbell_info *info)
{
	struct gunyah_sim *sim = sim_get();
	struct sim_bell *bell;
	unsigned long flags;
	struct sim_vm *vm;
	int ret = -ENOENT;

	if (!sim)
		return -ENODEV;
	guard(mutex)(&sim->rm.lock);
	vm = xa_load(&sim->rm.vms, vmid);
	if (!vm)
		return -ENOENT;
	spin_lock_irqsave(&sim->lock, flags);
	bell = sim_vm_find_bell_locked(vm, label);
	if (bell) {
		info->cap_id = bell->cap.id;
		info->flags = bell->flags;
		info->enable_mask = bell->enable;
		info->ack_mask = bell->ack;
		info->sends = bell->sends;
		info->taken = bell->taken;
		info->last_taken_flags = bell->last_taken;
		ret = 0;
	}
	spin_unlock_irqrestore(&sim->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_sim_doorbell_info);

/**
 * gunyah_sim_vcpu_info() - state of a VM's vCPU
 * @vmid: the VM
 * @index: the vCPU's index (its resource label)
 * @info: filled
 *
 * Context: process context, sleeps.
 * Return: 0, -ENODEV or -ENOENT (no such VM or vCPU).
 */
int gunyah_sim_vcpu_info(u16 vmid, u32 index, struct gunyah_sim_vcpu_info *info)
{
	struct gunyah_sim *sim = sim_get();
	struct sim_vcpu *vcpu;
	unsigned long flags;
	struct sim_vm *vm;

	if (!sim)
		return -ENODEV;
	guard(mutex)(&sim->rm.lock);
	vm = xa_load(&sim->rm.vms, vmid);
	if (!vm || index >= vm->n_vcpus)
		return -ENOENT;
	spin_lock_irqsave(&sim->lock, flags);
	vcpu = &vm->vcpus[index];
	info->cap_id = vcpu->cap.id;
	info->virq = vcpu->virq;
	info->pc = vcpu->pc;
	info->runs = vcpu->runs;
	info->powered_off = vcpu->powered_off;
	info->faulted = vcpu->faulted;
	info->waiting = vcpu->waiting;
	info->mmio_read_pending = vcpu->mmio_read_pending;
	spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_sim_vcpu_info);

/* ---- module ---- */

/**
 * sim_register_pdev() - register the RM platform device the driver binds to
 * @sim: the simulator; queues and interrupts exist
 *
 * Context: process context (module init); the driver may probe synchronously.
 * Return: 0 or a negative errno.
 */
static int sim_register_pdev(struct gunyah_sim *sim)
{
	u64 caps[2] = { sim->txq.cap.id, sim->rxq.cap.id };
	const struct property_entry props[] = {
		PROPERTY_ENTRY_U64_ARRAY("reg", caps),
		{ }
	};
	const struct resource res[] = {
		DEFINE_RES_NAMED(sim->host_tx_irq, 1, "tx",
				 IORESOURCE_IRQ | IORESOURCE_IRQ_HIGHEDGE),
		DEFINE_RES_NAMED(sim->host_rx_irq, 1, "rx",
				 IORESOURCE_IRQ | IORESOURCE_IRQ_HIGHEDGE),
	};
	const struct platform_device_info info = {
		.name = "gunyah-rsc-mgr",
		.id = PLATFORM_DEVID_NONE,
		.res = res,
		.num_res = ARRAY_SIZE(res),
		.properties = props,
	};
	struct platform_device *pdev;

	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	sim->pdev = pdev;
	return 0;
}

static int __init gunyah_sim_init(void)
{
	struct gunyah_sim *sim;
	int ret;

	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	spin_lock_init(&sim->lock);
	init_waitqueue_head(&sim->vcpu_wq);
	sim->faults.parcel_limit = SIM_DEFAULT_PARCEL_LIMIT;

	ret = sim_hyp_init(sim);
	if (ret)
		goto err_free;
	ret = sim_rm_init(sim);
	if (ret)
		goto err_hyp;
	sim_debugfs_init(sim);

	/* Published before the device exists: its driver may probe and issue hypercalls. */
	WRITE_ONCE(sim_instance, sim);
	ret = sim_register_pdev(sim);
	if (ret)
		goto err_unpublish;
	return 0;

err_unpublish:
	WRITE_ONCE(sim_instance, NULL);
	debugfs_remove_recursive(sim->debugfs);
	sim_rm_exit(sim);
err_hyp:
	sim_hyp_exit(sim);
err_free:
	kfree(sim);
	return ret;
}
module_init(gunyah_sim_init);

static void __exit gunyah_sim_exit(void)
{
	struct gunyah_sim *sim = sim_instance;

	/* The driver unbinds here; modules using our symbols are already gone. */
	platform_device_unregister(sim->pdev);
	debugfs_remove_recursive(sim->debugfs);
	sim_rm_exit(sim);
	WRITE_ONCE(sim_instance, NULL);
	sim_hyp_exit(sim);
	kfree(sim);
}
module_exit(gunyah_sim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Simulated Gunyah hypervisor and resource manager");
