// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah resource manager (RM) client: the platform driver, the RM device and the message queue
 * transport (framing, fragments, sequence numbers, replies and notifications).
 *
 * The RPCs, one function each, are in rsc_mgr_rpc.c.
 */

#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gunyah/compat.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <asm/byteorder.h>

#include <kunit/visibility.h>

#include "rsc_mgr.h"
#include "vm_mgr_fn.h"

/**
 * DOC: Lifetime
 *
 * Each RM platform device gets its own struct gunyah_rm, which embeds a struct device
 * ("gunyah_rm", a child of the platform device). That device's reference count is the lifetime
 * of the object: probe holds the first reference; every user (a VM, a test) takes its own with
 * gunyah_rm_get() and drops it with gunyah_rm_put(); the device's release callback frees the
 * object when the last reference goes.
 *
 * Unbinding the platform device does not wait for the users. Remove unregisters /dev/gunyah,
 * marks the RM dead (calls in flight fail with -ENODEV, so do new ones), frees the interrupts,
 * drains the notification workqueue, deletes the RM device and drops the probe's reference.
 * A user that still holds a reference keeps a valid object whose calls fail with -ENODEV until
 * it lets go. After remove the object never touches its parent (device_del() dropped the
 * parent reference), only itself.
 *
 * The release callback is code of this module: holders outside the module must pin it (a
 * symbol dependency does; the VM manager's file operations carry THIS_MODULE).
 */

/**
 * DOC: Locking
 *
 * Lock order, outermost first:
 *
 * 1. gunyah_rm.nh's rwsem: read-held by the notification worker while callbacks run,
 *    write-held by gunyah_rm_notifier_register() and gunyah_rm_notifier_unregister().
 * 2. gunyah_rm.send_lock (mutex): held by one sender for all fragments of one request, waits for
 *    a full queue included; never held while waiting for a reply.
 * 3. The xa_lock of gunyah_rm.calls (spinlock, process context only): protects the outstanding
 *    calls, gunyah_rm.next_seq and gunyah_rm.dead. Innermost: nothing sleeps under it; apart
 *    from the xarray itself only complete() of a call being failed happens under it. Never
 *    held together with send_lock: gunyah_rm_call() takes it before and after sending.
 *
 * State without a lock:
 *
 * - gunyah_rm.rx and gunyah_rm.rx_frag belong to the RX thread (one per IRQ action); remove
 *   touches them only after free_irq() has stopped it.
 * - gunyah_rm.tx_flags changes by atomic bit operations only.
 * - An outstanding call lives on its caller's stack. Whoever erases it from gunyah_rm.calls (the
 *   RX thread for a reply or an aborted reply, remove, or the caller itself on timeout or send
 *   error) fills in the result and completes it. A caller that finds its entry already erased
 *   waits for that completion before it returns, so nobody writes to a dead stack frame.
 *
 * Where code runs:
 *
 * - TX interrupt: hard IRQ; sets GUNYAH_RM_TX_READY and wakes gunyah_rm.tx_wq. No lock.
 * - RX interrupt: the hard IRQ only wakes the RX thread; the line stays unmasked (the interrupt
 *   is an edge), so a message that arrives while the thread drains runs it once more. The thread
 *   runs in process context: it allocates with GFP_KERNEL and takes the calls' xa_lock, never
 *   send_lock, and never waits for the RM, so replies keep flowing while senders wait.
 * - Notifier callbacks: process context, on the ordered workqueue gunyah_rm.notif_wq, one at a
 *   time in arrival order, with the chain's rwsem read-held. They may sleep and make RM calls.
 *   They must not register or unregister notifiers of the same RM (the rwsem), nor take the
 *   platform device's device_lock (remove drains the workqueue while holding it).
 * - gunyah_rm_call() and every RPC: process context, may sleep; the caller holds a reference to
 *   the RM and none of the locks above but, in a notifier callback, the chain's rwsem (read).
 */

static unsigned int rpc_timeout_ms = 10000;
module_param(rpc_timeout_ms, uint, 0644);
MODULE_PARM_DESC(rpc_timeout_ms,
		 "How long the RM may take to accept a request and to reply to it, in ms (default 10000)");

/* RM error codes as on the wire (gunyah-abi-facts.md 4.1) */
#define GUNYAH_RM_ERROR_OK			0x0
#define GUNYAH_RM_ERROR_UNIMPLEMENTED		0xFFFFFFFF
#define GUNYAH_RM_ERROR_NOMEM			0x1
#define GUNYAH_RM_ERROR_NORESOURCE		0x2
#define GUNYAH_RM_ERROR_DENIED			0x3
#define GUNYAH_RM_ERROR_INVALID			0x4
#define GUNYAH_RM_ERROR_BUSY			0x5
#define GUNYAH_RM_ERROR_ARGUMENT_INVALID	0x6
#define GUNYAH_RM_ERROR_HANDLE_INVALID		0x7
#define GUNYAH_RM_ERROR_VALIDATE_FAILED		0x8
#define GUNYAH_RM_ERROR_MAP_FAILED		0x9
#define GUNYAH_RM_ERROR_MEM_INVALID		0xA
#define GUNYAH_RM_ERROR_MEM_INUSE		0xB
#define GUNYAH_RM_ERROR_MEM_RELEASED		0xC
#define GUNYAH_RM_ERROR_VMID_INVALID		0xD
#define GUNYAH_RM_ERROR_LOOKUP_FAILED		0xE
#define GUNYAH_RM_ERROR_IRQ_INVALID		0xF
#define GUNYAH_RM_ERROR_IRQ_INUSE		0x10
#define GUNYAH_RM_ERROR_IRQ_RELEASED		0x11
/* 0x12 IN_USE, 0x13 IRQ_NOT_MAPPED and 0x14 VM_STATE exist but are left unmapped (-EBADMSG). */

/*
 * Consecutive GUNYAH_ERROR_RETRY answers after which the RX thread sleeps between tries: from
 * GUNYAH_RM_RX_BACKOFF_MIN_US, doubling up to GUNYAH_RM_RX_BACKOFF_MAX_US
 */
#define GUNYAH_RM_RX_RETRIES			8
#define GUNYAH_RM_RX_BACKOFF_MIN_US		50
#define GUNYAH_RM_RX_BACKOFF_MAX_US		10000

/* GIC binding: shared peripheral interrupts are type 0, GIC INTIDs 32..1019 */
#define GUNYAH_RM_GIC_SPI			0
#define GUNYAH_RM_GIC_SPI_BASE			32
#define GUNYAH_RM_GIC_SPI_LAST			1019

/**
 * struct gunyah_rm_pending_call - an outstanding call; lives on its caller's stack
 * @msg_id: the request's message id; its reply must repeat it. Constant.
 * @seq: the request's sequence number, its index in gunyah_rm.calls. Constant once inserted.
 * @ret: 0 or the call's errno; written by whoever erased the call from gunyah_rm.calls
 * @resp: reply payload after the error code, or NULL; same writer; the caller then owns it
 * @resp_size: size of @resp; same writer
 * @done: completed by whoever erased the call from gunyah_rm.calls
 */
struct gunyah_rm_pending_call {
	u32 msg_id;
	u32 seq;
	int ret;
	void *resp;
	size_t resp_size;
	struct completion done;
};

/**
 * struct gunyah_rm_notif_work - a notification on its way to the notifier chain
 * @work: queued on gunyah_rm.notif_wq
 * @rm: the RM it came from; valid while its notif_wq exists (remove drains it)
 * @msg_id: the notification id
 * @payload: the payload; owned by this work
 * @size: size of @payload
 */
struct gunyah_rm_notif_work {
	struct work_struct work;
	struct gunyah_rm *rm;
	u32 msg_id;
	u8 *payload;
	size_t size;
};

/**
 * to_gunyah_rm() - the RM client that embeds a device
 * @dev: gunyah_rm.dev
 *
 * Context: any context.
 * Return: the RM client.
 */
static inline struct gunyah_rm *to_gunyah_rm(struct device *dev)
{
	return container_of(dev, struct gunyah_rm, dev);
}

/**
 * gunyah_rm_timeout() - rpc_timeout_ms in jiffies
 *
 * Context: any context.
 * Return: the timeout, at least one jiffy.
 */
static inline unsigned long gunyah_rm_timeout(void)
{
	unsigned int ms = READ_ONCE(rpc_timeout_ms);

	return msecs_to_jiffies(max(ms, 1U));
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * gunyah_rm_test_swap_timeout() - set rpc_timeout_ms for a test, returning the old value
 * @ms: the new timeout
 *
 * Context: any context.
 * Return: the previous timeout in ms.
 */
unsigned int gunyah_rm_test_swap_timeout(unsigned int ms)
{
	return xchg(&rpc_timeout_ms, ms);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_test_swap_timeout);
#endif

/**
 * gunyah_rm_num_continuations() - continuation fragments a payload needs
 * @payload_size: payload size in bytes (for a reply: the error code included)
 *
 * Context: any context.
 * Return: the number of fragments after the first one; 0 for an empty payload.
 */
VISIBLE_IF_KUNIT unsigned int gunyah_rm_num_continuations(size_t payload_size)
{
	if (!payload_size)
		return 0;
	return DIV_ROUND_UP(payload_size, GUNYAH_RM_PAYLOAD_PER_FRAGMENT) - 1;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_num_continuations);

/**
 * gunyah_rm_encode_hdr() - write a fragment header
 * @hdr: where to write it
 * @info: its contents; type and num_continuations are truncated to their bit fields
 *
 * Context: any context.
 */
VISIBLE_IF_KUNIT void gunyah_rm_encode_hdr(struct gunyah_rm_rpc_hdr *hdr,
					   const struct gunyah_rm_msg_info *info)
{
	hdr->api = GUNYAH_RM_RPC_API;
	hdr->type = FIELD_PREP(GUNYAH_RM_RPC_TYPE_MASK, info->type) |
		    FIELD_PREP(GUNYAH_RM_RPC_CONTINUATIONS_MASK, info->num_continuations);
	hdr->seq = cpu_to_le16(info->seq);
	hdr->msg_id = cpu_to_le32(info->msg_id);
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_encode_hdr);

/**
 * gunyah_rm_decode_hdr() - check and read the header of a received fragment
 * @msg: the fragment
 * @size: its size
 * @info: filled with the header in host types
 *
 * Context: any context.
 * Return: 0, or -EBADMSG if the fragment is shorter than a header or longer than a message queue
 * message, has an unknown api byte, or announces more than GUNYAH_RM_MAX_CONTINUATIONS.
 */
VISIBLE_IF_KUNIT int gunyah_rm_decode_hdr(const void *msg, size_t size,
					  struct gunyah_rm_msg_info *info)
{
	const struct gunyah_rm_rpc_hdr *hdr = msg;

	if (size < sizeof(*hdr) || size > GUNYAH_MSGQ_MAX_MSG_SIZE)
		return -EBADMSG;
	if (hdr->api != GUNYAH_RM_RPC_API)
		return -EBADMSG;

	info->type = FIELD_GET(GUNYAH_RM_RPC_TYPE_MASK, hdr->type);
	info->num_continuations = FIELD_GET(GUNYAH_RM_RPC_CONTINUATIONS_MASK, hdr->type);
	if (info->num_continuations > GUNYAH_RM_MAX_CONTINUATIONS)
		return -EBADMSG;
	info->seq = le16_to_cpu(hdr->seq);
	info->msg_id = le32_to_cpu(hdr->msg_id);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_decode_hdr);

/**
 * gunyah_rm_remap_error() - translate an RM error code into an errno
 * @rm_error: the error code of a reply
 *
 * Context: any context.
 * Return: 0 for OK; -EOPNOTSUPP (unimplemented), -ENOMEM, -ENODEV (no resource), -EPERM
 * (denied), -EBUSY, -EINVAL (invalid arguments, handles, memory, VMIDs, IRQs), or -EBADMSG for
 * any other code (IN_USE, IRQ_NOT_MAPPED and VM_STATE included).
 */
VISIBLE_IF_KUNIT int gunyah_rm_remap_error(u32 rm_error)
{
	switch (rm_error) {
	case GUNYAH_RM_ERROR_OK:
		return 0;
	case GUNYAH_RM_ERROR_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case GUNYAH_RM_ERROR_NOMEM:
		return -ENOMEM;
	case GUNYAH_RM_ERROR_NORESOURCE:
		return -ENODEV;
	case GUNYAH_RM_ERROR_DENIED:
		return -EPERM;
	case GUNYAH_RM_ERROR_BUSY:
		return -EBUSY;
	case GUNYAH_RM_ERROR_INVALID:
	case GUNYAH_RM_ERROR_ARGUMENT_INVALID:
	case GUNYAH_RM_ERROR_HANDLE_INVALID:
	case GUNYAH_RM_ERROR_VALIDATE_FAILED:
	case GUNYAH_RM_ERROR_MAP_FAILED:
	case GUNYAH_RM_ERROR_MEM_INVALID:
	case GUNYAH_RM_ERROR_MEM_INUSE:
	case GUNYAH_RM_ERROR_MEM_RELEASED:
	case GUNYAH_RM_ERROR_VMID_INVALID:
	case GUNYAH_RM_ERROR_LOOKUP_FAILED:
	case GUNYAH_RM_ERROR_IRQ_INVALID:
	case GUNYAH_RM_ERROR_IRQ_INUSE:
	case GUNYAH_RM_ERROR_IRQ_RELEASED:
		return -EINVAL;
	default:
		return -EBADMSG;
	}
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_remap_error);

/* ---------------------------------------------------------------------------------------- */
/* Outstanding calls                                                                        */

/**
 * gunyah_rm_call_insert() - give a call a sequence number and make it visible to the RX thread
 * @rm: the RM
 * @call: the call; @call->seq is set
 *
 * Uses the locked form of xa_alloc_cyclic(), so the check of @rm->dead and the insertion share
 * one xa_lock section (__xa_alloc_cyclic() may drop the lock to allocate; the check comes after
 * it): either gunyah_rm_mark_dead() finds the call and fails it, or this sees the RM dead.
 *
 * Context: process context, may sleep (allocation); takes @rm->calls' xa_lock.
 * Return: 0, -ENODEV if the RM is unbound, -EBUSY if all 65536 sequence numbers are in use, or
 * -ENOMEM.
 */
static int gunyah_rm_call_insert(struct gunyah_rm *rm, struct gunyah_rm_pending_call *call)
{
	int ret;

	xa_lock(&rm->calls);
	ret = __xa_alloc_cyclic(&rm->calls, &call->seq, call, XA_LIMIT(0, U16_MAX), &rm->next_seq,
				GFP_KERNEL);
	if (ret >= 0 && rm->dead) {
		__xa_erase(&rm->calls, call->seq);
		ret = -ENODEV;
	}
	xa_unlock(&rm->calls);

	return ret < 0 ? ret : 0;
}

/**
 * gunyah_rm_call_claim() - take the outstanding call a reply belongs to
 * @rm: the RM
 * @seq: the reply's sequence number
 * @msg_id: the reply's message id, which must match the request's
 *
 * Context: process context; takes @rm->calls' xa_lock.
 * Return: the call, now erased from @rm->calls (the claimer must gunyah_rm_call_finish() it), or
 * NULL if no call with that @seq and @msg_id is outstanding.
 */
static struct gunyah_rm_pending_call *gunyah_rm_call_claim(struct gunyah_rm *rm, u16 seq,
							   u32 msg_id)
{
	struct gunyah_rm_pending_call *call;

	xa_lock(&rm->calls);
	call = xa_load(&rm->calls, seq);
	if (call && call->msg_id == msg_id)
		__xa_erase(&rm->calls, seq);
	else
		call = NULL;
	xa_unlock(&rm->calls);

	return call;
}

/**
 * gunyah_rm_call_finish() - give a claimed call its result and wake its caller
 * @call: a call erased from gunyah_rm.calls by the current context
 * @ret: 0 or the errno of the call
 * @resp: reply payload (ownership passes to the caller) or NULL; NULL whenever @ret is non-zero
 * @resp_size: size of @resp
 *
 * @call may be gone as soon as this returns.
 *
 * Context: any context.
 */
static void gunyah_rm_call_finish(struct gunyah_rm_pending_call *call, int ret, void *resp,
				  size_t resp_size)
{
	call->ret = ret;
	call->resp = resp;
	call->resp_size = resp_size;
	complete(&call->done);
}

/**
 * gunyah_rm_call_cancel() - take back a call that its caller gives up on
 * @rm: the RM
 * @call: the caller's call
 *
 * Context: process context, may sleep; takes @rm->calls' xa_lock.
 * Return: true if the call was erased here (no result will come); false if the RX thread or
 * remove had claimed it first: then this waited for its result, which stands.
 */
static bool gunyah_rm_call_cancel(struct gunyah_rm *rm, struct gunyah_rm_pending_call *call)
{
	void *entry;

	xa_lock(&rm->calls);
	entry = __xa_cmpxchg(&rm->calls, call->seq, call, NULL, 0);
	xa_unlock(&rm->calls);
	if (entry == call)
		return true;

	wait_for_completion(&call->done);
	return false;
}

/**
 * gunyah_rm_mark_dead() - make every call in flight and every later call fail with -ENODEV
 * @rm: the RM being unbound
 *
 * Context: process context; takes @rm->calls' xa_lock.
 */
static void gunyah_rm_mark_dead(struct gunyah_rm *rm)
{
	struct gunyah_rm_pending_call *call;
	unsigned long seq;

	xa_lock(&rm->calls);
	WRITE_ONCE(rm->dead, true);
	xa_for_each(&rm->calls, seq, call) {
		__xa_erase(&rm->calls, seq);
		gunyah_rm_call_finish(call, -ENODEV, NULL, 0);
	}
	xa_unlock(&rm->calls);

	/* Senders waiting for room in the queue */
	wake_up_all(&rm->tx_wq);
}

/* ---------------------------------------------------------------------------------------- */
/* TX                                                                                       */

/**
 * gunyah_rm_tx_may_retry() - whether a sender waiting for room in the queue should try again
 * @rm: the RM
 *
 * Context: any context.
 * Return: true once the TX interrupt fired since the last attempt, or the RM was unbound.
 */
static inline bool gunyah_rm_tx_may_retry(struct gunyah_rm *rm)
{
	return test_bit(GUNYAH_RM_TX_READY, &rm->tx_flags) || READ_ONCE(rm->dead);
}

/**
 * gunyah_rm_send_fragment() - put the fragment in @rm->tx_frag on the queue to the RM
 * @rm: the RM
 * @size: size of the fragment, header included
 * @push: set PUSH (the last fragment of a message)
 * @deadline: jiffies by which the queue must have taken the fragment
 *
 * While the queue is full, waits for the TX ("not full") interrupt. GUNYAH_RM_TX_READY is
 * cleared before each attempt, so an interrupt that fires between a full attempt and the wait
 * is not lost: the wait then returns at once.
 *
 * Context: process context, may sleep; caller holds @rm->send_lock.
 * Return: 0, -ENODEV if the RM was unbound, -ETIMEDOUT if the queue stayed full until @deadline,
 * or the errno of a failed hypercall (gunyah_error_remap()).
 */
static int gunyah_rm_send_fragment(struct gunyah_rm *rm, size_t size, bool push,
				   unsigned long deadline)
{
	u64 tx_flags = push ? GUNYAH_HYPERCALL_MSGQ_TX_FLAGS_PUSH : 0;
	enum gunyah_error gh_error;
	long remaining;
	bool ready;

	lockdep_assert_held(&rm->send_lock);

	for (;;) {
		if (READ_ONCE(rm->dead))
			return -ENODEV;

		clear_bit(GUNYAH_RM_TX_READY, &rm->tx_flags);
		/* Clear before trying; pairs with set_bit() in the TX IRQ once the queue drained */
		smp_mb__after_atomic();
		gh_error = gunyah_hypercall_msgq_send(rm->tx_cap, size, rm->tx_frag, tx_flags,
						      &ready);
		if (gh_error == GUNYAH_ERROR_OK)
			return 0;
		if (gh_error != GUNYAH_ERROR_MSGQ_FULL && gh_error != GUNYAH_ERROR_RETRY) {
			dev_err_ratelimited(&rm->dev, "failed to send a message: %d\n", gh_error);
			return gunyah_error_remap(gh_error);
		}

		remaining = (long)(deadline - jiffies);
		if (remaining <= 0) {
			dev_err_ratelimited(&rm->dev, "the RM did not take a message in %u ms\n",
					    READ_ONCE(rpc_timeout_ms));
			return -ETIMEDOUT;
		}
		if (gh_error == GUNYAH_ERROR_RETRY) {
			cond_resched();
			continue;
		}
		wait_event_timeout(rm->tx_wq, gunyah_rm_tx_may_retry(rm), remaining);
	}
}

/**
 * gunyah_rm_send_request() - send one request, split into fragments
 * @rm: the RM
 * @msg_id: the RPC id
 * @seq: the call's sequence number
 * @buf: the payload (may be NULL if @size is 0)
 * @size: payload size, at most GUNYAH_RM_MAX_REQUEST_PAYLOAD
 *
 * All fragments together get rpc_timeout_ms to enter the queue.
 *
 * Context: process context, may sleep; caller holds @rm->send_lock.
 * Return: 0 or an errno of gunyah_rm_send_fragment().
 */
static int gunyah_rm_send_request(struct gunyah_rm *rm, u32 msg_id, u16 seq, const void *buf,
				  size_t size)
{
	struct gunyah_rm_rpc_hdr *hdr = (struct gunyah_rm_rpc_hdr *)rm->tx_frag;
	struct gunyah_rm_msg_info info = {
		.type = GUNYAH_RM_RPC_TYPE_REQUEST,
		.num_continuations = gunyah_rm_num_continuations(size),
		.seq = seq,
		.msg_id = msg_id,
	};
	unsigned long deadline = jiffies + gunyah_rm_timeout();
	const u8 *payload = buf;
	unsigned int i;
	size_t chunk;
	int ret;

	lockdep_assert_held(&rm->send_lock);

	for (i = 0; i <= info.num_continuations; i++) {
		chunk = min_t(size_t, size, GUNYAH_RM_PAYLOAD_PER_FRAGMENT);
		gunyah_rm_encode_hdr(hdr, &info);
		if (chunk)
			memcpy(rm->tx_frag + GUNYAH_RM_RPC_HDR_SIZE, payload, chunk);

		ret = gunyah_rm_send_fragment(rm, GUNYAH_RM_RPC_HDR_SIZE + chunk,
					      i == info.num_continuations, deadline);
		if (ret)
			return ret;

		info.type = GUNYAH_RM_RPC_TYPE_CONTINUATION;
		payload += chunk;
		size -= chunk;
	}
	return 0;
}

/**
 * gunyah_rm_tx_irq() - the queue to the RM is no longer full
 * @irq: the TX interrupt
 * @data: the RM
 *
 * Context: hard IRQ.
 * Return: IRQ_HANDLED.
 */
static irqreturn_t gunyah_rm_tx_irq(int irq, void *data)
{
	struct gunyah_rm *rm = data;

	set_bit(GUNYAH_RM_TX_READY, &rm->tx_flags);
	wake_up(&rm->tx_wq);
	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------------------------- */
/* Calls                                                                                    */

/**
 * gunyah_rm_call_wait() - wait for the reply to a sent request
 * @rm: the RM
 * @call: the call, inserted and sent
 *
 * Context: process context, may sleep (uninterruptibly, at most rpc_timeout_ms plus the time a
 * claimer needs to hand over a result).
 * Return: 0 (the result is in @call), or -ETIMEDOUT if no reply came in time.
 */
static int gunyah_rm_call_wait(struct gunyah_rm *rm, struct gunyah_rm_pending_call *call)
{
	if (wait_for_completion_timeout(&call->done, gunyah_rm_timeout()))
		return 0;
	if (!gunyah_rm_call_cancel(rm, call))
		return 0;

	dev_err_ratelimited(&rm->dev, "no reply to message %#x (seq %u) in %u ms\n",
			    call->msg_id, call->seq, READ_ONCE(rpc_timeout_ms));
	return -ETIMEDOUT;
}

/**
 * gunyah_rm_call() - make one RPC to the resource manager
 * @rm: the RM
 * @message_id: the RPC id; 0 is reserved
 * @req_buf: the request payload (may be NULL if @req_buf_size is 0)
 * @req_buf_size: request payload size, at most GUNYAH_RM_MAX_REQUEST_PAYLOAD (14384) bytes
 * @resp_buf: set to the reply payload (after the RM's error code), or NULL if it is empty or the
 *            call failed; the caller kfree()s it. NULL to discard the payload.
 * @resp_buf_size: set to the size of *@resp_buf; NULL exactly when @resp_buf is NULL
 *
 * Sends the request (waiting up to rpc_timeout_ms while the queue is full), then waits up to
 * rpc_timeout_ms for the reply with the same sequence number and message id.
 *
 * Context: process context, may sleep (uninterruptibly). Takes @rm->send_lock.
 * Return: 0; -EINVAL for a zero @message_id or inconsistent arguments; -E2BIG for an oversized
 * request; -ENODEV if the RM is or gets unbound; -EBUSY if 65536 calls are outstanding; -ENOMEM;
 * -ETIMEDOUT if the queue stayed full or no reply came in time; -EIO if the reply was cut short
 * or the message queue failed; -EBADMSG for a malformed reply or an unknown RM error; else the
 * RM's error as gunyah_rm_remap_error() maps it.
 */
int gunyah_rm_call(struct gunyah_rm *rm, u32 message_id, const void *req_buf, size_t req_buf_size,
		   void **resp_buf, size_t *resp_buf_size)
{
	struct gunyah_rm_pending_call call = { .msg_id = message_id };
	int ret;

	if (!message_id || (req_buf_size && !req_buf) || !resp_buf != !resp_buf_size)
		return -EINVAL;
	if (req_buf_size > GUNYAH_RM_MAX_REQUEST_PAYLOAD)
		return -E2BIG;
	if (resp_buf) {
		*resp_buf = NULL;
		*resp_buf_size = 0;
	}

	init_completion(&call.done);
	ret = gunyah_rm_call_insert(rm, &call);
	if (ret)
		return ret;

	mutex_lock(&rm->send_lock);
	ret = gunyah_rm_send_request(rm, message_id, call.seq, req_buf, req_buf_size);
	mutex_unlock(&rm->send_lock);
	if (ret) {
		/* Claimed meanwhile (by remove): the send error still is the answer */
		if (!gunyah_rm_call_cancel(rm, &call))
			kfree(call.resp);
		return ret;
	}

	ret = gunyah_rm_call_wait(rm, &call);
	if (ret)
		return ret;
	if (call.ret)
		return call.ret;

	if (resp_buf) {
		*resp_buf = call.resp;
		*resp_buf_size = call.resp_size;
	} else {
		kfree(call.resp);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_call);
ALLOW_ERROR_INJECTION(gunyah_rm_call, ERRNO);

/* ---------------------------------------------------------------------------------------- */
/* RX                                                                                       */

/**
 * gunyah_rm_rx_reset() - forget the message being reassembled, if any
 * @rm: the RM
 *
 * Context: the RX thread, or remove after free_irq().
 */
static void gunyah_rm_rx_reset(struct gunyah_rm *rm)
{
	kfree(rm->rx.buf);
	memset(&rm->rx, 0, sizeof(rm->rx));
}

/**
 * gunyah_rm_rx_fail_call() - fail the call a lost reply belonged to
 * @rm: the RM
 * @seq: the reply's sequence number
 * @msg_id: the reply's message id
 * @err: the errno for the caller
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_fail_call(struct gunyah_rm *rm, u16 seq, u32 msg_id, int err)
{
	struct gunyah_rm_pending_call *call = gunyah_rm_call_claim(rm, seq, msg_id);

	if (call)
		gunyah_rm_call_finish(call, err, NULL, 0);
}

/**
 * gunyah_rm_rx_abort() - drop a partly reassembled message
 * @rm: the RM, with a message in progress
 *
 * If it was a reply, its caller gets -EIO.
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_abort(struct gunyah_rm *rm)
{
	struct gunyah_rm_rx_msg *rx = &rm->rx;

	dev_err_ratelimited(&rm->dev,
			    "dropping incomplete message %#x (seq %u): %u of %u fragments\n",
			    rx->msg_id, rx->seq, rx->fragments, rx->num_continuations + 1);
	if (rx->type == GUNYAH_RM_RPC_TYPE_REPLY)
		gunyah_rm_rx_fail_call(rm, rx->seq, rx->msg_id, -EIO);
	gunyah_rm_rx_reset(rm);
}

/**
 * gunyah_rm_rx_reply() - hand a complete reply to its caller
 * @rm: the RM
 * @seq: the reply's sequence number
 * @msg_id: the reply's message id
 * @buf: the reply payload, RM error code first; this function takes ownership
 * @size: size of @buf
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_reply(struct gunyah_rm *rm, u16 seq, u32 msg_id, u8 *buf, size_t size)
{
	struct gunyah_rm_pending_call *call;
	int ret;

	call = gunyah_rm_call_claim(rm, seq, msg_id);
	if (!call) {
		if (!READ_ONCE(rm->dead))
			dev_err_ratelimited(&rm->dev,
					    "dropping reply to message %#x (seq %u): nobody waits for it\n",
					    msg_id, seq);
		kfree(buf);
		return;
	}

	if (size < sizeof(__le32)) {
		dev_err_ratelimited(&rm->dev, "reply to message %#x has no error code\n", msg_id);
		ret = -EBADMSG;
	} else {
		ret = gunyah_rm_remap_error(get_unaligned_le32(buf));
		if (ret)
			dev_dbg_ratelimited(&rm->dev, "message %#x: RM error %#x\n", msg_id,
					    get_unaligned_le32(buf));
		size -= sizeof(__le32);
	}

	if (ret || !size) {
		kfree(buf);
		buf = NULL;
		size = 0;
	} else {
		memmove(buf, buf + sizeof(__le32), size);
	}
	gunyah_rm_call_finish(call, ret, buf, size);
}

/**
 * gunyah_rm_notif_work() - run the notifier chain for one notification
 * @work: gunyah_rm_notif_work.work
 *
 * Context: process context on gunyah_rm.notif_wq; takes the chain's rwsem for reading.
 */
static void gunyah_rm_notif_work(struct work_struct *work)
{
	struct gunyah_rm_notif_work *nw = container_of(work, struct gunyah_rm_notif_work, work);
	struct gunyah_rm_notif notif = { .payload = nw->payload, .size = nw->size };

	blocking_notifier_call_chain(&nw->rm->nh, nw->msg_id, &notif);
	kfree(nw->payload);
	kfree(nw);
}

/**
 * gunyah_rm_rx_notif() - queue a complete notification for the notifier chain
 * @rm: the RM
 * @msg_id: the notification id
 * @buf: the payload; this function takes ownership
 * @size: size of @buf
 *
 * The notification is dropped if no memory is left for the work item.
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_notif(struct gunyah_rm *rm, u32 msg_id, u8 *buf, size_t size)
{
	struct gunyah_rm_notif_work *nw;

	nw = kzalloc(sizeof(*nw), GFP_KERNEL);
	if (!nw) {
		kfree(buf);
		return;
	}

	INIT_WORK(&nw->work, gunyah_rm_notif_work);
	nw->rm = rm;
	nw->msg_id = msg_id;
	nw->payload = buf;
	nw->size = size;
	queue_work(rm->notif_wq, &nw->work);
}

/**
 * gunyah_rm_rx_append() - add a fragment's payload to the message in progress
 * @rm: the RM, with a message in progress
 * @payload: the payload
 * @size: its size, at most GUNYAH_RM_PAYLOAD_PER_FRAGMENT
 *
 * A message in progress has room for num_continuations + 1 full fragments and takes no more
 * fragments than that, so the copy always fits. Every fragment but the last must be full, or
 * the message is aborted (its caller gets -EIO). The last fragment completes the message,
 * which goes to its caller or to the notifier chain.
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_append(struct gunyah_rm *rm, const u8 *payload, size_t size)
{
	struct gunyah_rm_rx_msg msg, *rx = &rm->rx;

	/*
	 * The RM fills every fragment but the last: a short one before the last means that the
	 * last one came early (fragments out of order) or that fragments were lost.
	 */
	if (rx->fragments < rx->num_continuations && size != GUNYAH_RM_PAYLOAD_PER_FRAGMENT) {
		dev_err_ratelimited(&rm->dev,
				    "fragment %u of message %#x (seq %u) is short: %zu bytes\n",
				    rx->fragments, rx->msg_id, rx->seq, size);
		gunyah_rm_rx_abort(rm);
		return;
	}

	if (size)
		memcpy(rx->buf + rx->size, payload, size);
	rx->size += size;
	if (++rx->fragments <= rx->num_continuations)
		return;

	/* Complete: hand the buffer on and get ready for the next message */
	msg = *rx;
	memset(rx, 0, sizeof(*rx));
	if (msg.type == GUNYAH_RM_RPC_TYPE_REPLY)
		gunyah_rm_rx_reply(rm, msg.seq, msg.msg_id, msg.buf, msg.size);
	else
		gunyah_rm_rx_notif(rm, msg.msg_id, msg.buf, msg.size);
}

/**
 * gunyah_rm_rx_start() - begin a message with its first fragment
 * @rm: the RM
 * @info: the fragment's header (a reply or a notification)
 * @payload: the fragment's payload
 * @size: payload size
 *
 * A message still in progress is aborted first.
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_start(struct gunyah_rm *rm, const struct gunyah_rm_msg_info *info,
			       const u8 *payload, size_t size)
{
	struct gunyah_rm_rx_msg *rx = &rm->rx;

	if (rx->buf)
		gunyah_rm_rx_abort(rm);

	rx->buf = kzalloc((info->num_continuations + 1) * GUNYAH_RM_PAYLOAD_PER_FRAGMENT,
			  GFP_KERNEL);
	if (!rx->buf) {
		if (info->type == GUNYAH_RM_RPC_TYPE_REPLY)
			gunyah_rm_rx_fail_call(rm, info->seq, info->msg_id, -ENOMEM);
		return;
	}
	rx->msg_id = info->msg_id;
	rx->seq = info->seq;
	rx->type = info->type;
	rx->num_continuations = info->num_continuations;
	gunyah_rm_rx_append(rm, payload, size);
}

/**
 * gunyah_rm_rx_continue() - add a continuation fragment to the message in progress
 * @rm: the RM
 * @info: the fragment's header
 * @payload: the fragment's payload
 * @size: payload size
 *
 * A continuation must repeat the message id, sequence number and continuation count of the
 * message in progress, or the message is aborted. One with nothing in progress is dropped.
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_continue(struct gunyah_rm *rm, const struct gunyah_rm_msg_info *info,
				  const u8 *payload, size_t size)
{
	struct gunyah_rm_rx_msg *rx = &rm->rx;

	if (!rx->buf) {
		dev_err_ratelimited(&rm->dev,
				    "dropping continuation of message %#x (seq %u): none in progress\n",
				    info->msg_id, info->seq);
		return;
	}
	if (info->msg_id != rx->msg_id || info->seq != rx->seq ||
	    info->num_continuations != rx->num_continuations) {
		gunyah_rm_rx_abort(rm);
		return;
	}
	gunyah_rm_rx_append(rm, payload, size);
}

/**
 * gunyah_rm_rx_fragment() - dispatch the fragment in @rm->rx_frag
 * @rm: the RM
 * @size: size of the fragment
 *
 * Context: the RX thread.
 */
static void gunyah_rm_rx_fragment(struct gunyah_rm *rm, size_t size)
{
	const u8 *payload = rm->rx_frag + GUNYAH_RM_RPC_HDR_SIZE;
	struct gunyah_rm_msg_info info;

	if (gunyah_rm_decode_hdr(rm->rx_frag, size, &info)) {
		dev_err_ratelimited(&rm->dev, "dropping a malformed fragment of %zu bytes\n", size);
		return;
	}
	size -= GUNYAH_RM_RPC_HDR_SIZE;

	switch (info.type) {
	case GUNYAH_RM_RPC_TYPE_REPLY:
	case GUNYAH_RM_RPC_TYPE_NOTIFICATION:
		gunyah_rm_rx_start(rm, &info, payload, size);
		break;
	case GUNYAH_RM_RPC_TYPE_CONTINUATION:
		gunyah_rm_rx_continue(rm, &info, payload, size);
		break;
	default:
		dev_err_ratelimited(&rm->dev, "dropping request %#x from the RM\n", info.msg_id);
		break;
	}
}

/**
 * gunyah_rm_rx_irq() - a message is waiting: wake the RX thread
 * @irq: the RX interrupt
 * @data: the RM
 *
 * Context: hard IRQ.
 * Return: IRQ_WAKE_THREAD.
 */
static irqreturn_t gunyah_rm_rx_irq(int irq, void *data)
{
	return IRQ_WAKE_THREAD;
}

/**
 * gunyah_rm_rx_thread() - drain the queue from the RM
 * @irq: the RX interrupt
 * @data: the RM
 *
 * Receives until the queue is empty (or fails for good); each fragment is checked and
 * reassembled. The RX interrupt comes when the queue turns non-empty: a thread that stopped
 * with messages still queued would get no other, and the RM link would be stuck. So RETRY
 * (the hypervisor's "try again") is retried for as long as it comes, at once at first, then
 * with sleeps that double up to 10 ms, until the RM is unbound.
 *
 * Context: the RX interrupt's thread (process context, may sleep).
 * Return: IRQ_HANDLED.
 */
static irqreturn_t gunyah_rm_rx_thread(int irq, void *data)
{
	unsigned int retries = 0, backoff_us = GUNYAH_RM_RX_BACKOFF_MIN_US;
	struct gunyah_rm *rm = data;
	enum gunyah_error gh_error;
	size_t size = 0;
	bool ready;

	for (;;) {
		gh_error = gunyah_hypercall_msgq_recv(rm->rx_cap, rm->rx_frag, sizeof(rm->rx_frag),
						      &size, &ready);
		if (gh_error == GUNYAH_ERROR_RETRY) {
			if (READ_ONCE(rm->dead))
				break;
			if (++retries < GUNYAH_RM_RX_RETRIES) {
				cond_resched();
			} else {
				usleep_range(backoff_us, 2 * backoff_us);
				backoff_us = min(2 * backoff_us, GUNYAH_RM_RX_BACKOFF_MAX_US);
			}
			continue;
		}
		if (gh_error != GUNYAH_ERROR_OK)
			break;

		retries = 0;
		backoff_us = GUNYAH_RM_RX_BACKOFF_MIN_US;
		gunyah_rm_rx_fragment(rm, size);
		cond_resched();
	}

	if (gh_error != GUNYAH_ERROR_MSGQ_EMPTY)
		dev_err_ratelimited(&rm->dev, "failed to receive a message: %d\n", gh_error);
	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                               */

/**
 * gunyah_rm_get() - take a reference to an RM client
 * @rm: the RM
 *
 * Context: any context.
 * Return: @rm.
 */
struct gunyah_rm *gunyah_rm_get(struct gunyah_rm *rm)
{
	get_device(&rm->dev);
	return rm;
}
EXPORT_SYMBOL_GPL(gunyah_rm_get);

/**
 * gunyah_rm_put() - drop a reference to an RM client
 * @rm: the RM, or NULL
 *
 * The last reference frees the RM (see DOC: Lifetime).
 *
 * Context: process context (the release may sleep).
 */
void gunyah_rm_put(struct gunyah_rm *rm)
{
	if (rm)
		put_device(&rm->dev);
}
EXPORT_SYMBOL_GPL(gunyah_rm_put);

/**
 * gunyah_rm_dev() - the RM's own device
 * @rm: the RM
 *
 * For messages and as the parent of the VM manager's devices. Valid while the caller holds a
 * reference to @rm; deleted from sysfs when the platform device is unbound.
 *
 * Context: any context.
 * Return: the device embedded in @rm.
 */
struct device *gunyah_rm_dev(struct gunyah_rm *rm)
{
	return &rm->dev;
}
EXPORT_SYMBOL_GPL(gunyah_rm_dev);

/**
 * gunyah_rm_notifier_register() - get the RM's notifications
 * @rm: the RM
 * @nb: the notifier; its callback gets action = the notification id (unknown ids included: ignore
 *      them) and data = a struct gunyah_rm_notif * valid during the call
 *
 * Callbacks run in process context on an ordered workqueue and may sleep and make RM calls; see
 * DOC: Locking for what they must not do.
 *
 * Context: process context, may sleep; not from a callback of the same RM.
 * Return: 0 (blocking_notifier_chain_register()).
 */
int gunyah_rm_notifier_register(struct gunyah_rm *rm, struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&rm->nh, nb);
}
EXPORT_SYMBOL_GPL(gunyah_rm_notifier_register);

/**
 * gunyah_rm_notifier_unregister() - stop getting the RM's notifications
 * @rm: the RM
 * @nb: a notifier registered with gunyah_rm_notifier_register()
 *
 * When this returns, @nb's callback is not running and will not be called again.
 *
 * Context: process context, may sleep; not from a callback of the same RM.
 * Return: 0, or -ENOENT if @nb was not registered.
 */
int gunyah_rm_notifier_unregister(struct gunyah_rm *rm, struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&rm->nh, nb);
}
EXPORT_SYMBOL_GPL(gunyah_rm_notifier_unregister);

/**
 * gunyah_rm_virq_to_irq() - map an interrupt the RM gave a resource to a Linux IRQ
 * @rm: the RM
 * @virq: the GIC INTID from VM_GET_HYP_RESOURCES; an SPI (32..1019)
 *
 * The interrupt is mapped as an edge-rising SPI in the interrupt domain of the RM's own RX
 * interrupt. Undo with gunyah_rm_irq_dispose().
 *
 * Context: process context, may sleep.
 * Return: the Linux IRQ number; -EINVAL if @virq is not an SPI or cannot be mapped, -ENODEV if
 * the RM is unbound or its interrupt has no domain.
 */
int gunyah_rm_virq_to_irq(struct gunyah_rm *rm, u32 virq)
{
	struct irq_fwspec fwspec = { .param_count = 3 };
	struct irq_data *irqd;
	unsigned int irq;

	if (virq < GUNYAH_RM_GIC_SPI_BASE || virq > GUNYAH_RM_GIC_SPI_LAST)
		return -EINVAL;
	if (READ_ONCE(rm->dead))
		return -ENODEV;

	irqd = irq_get_irq_data(rm->rx_irq);
	if (!irqd || !irqd->domain)
		return -ENODEV;

	fwspec.fwnode = irqd->domain->fwnode;
	fwspec.param[0] = GUNYAH_RM_GIC_SPI;
	fwspec.param[1] = virq - GUNYAH_RM_GIC_SPI_BASE;
	fwspec.param[2] = IRQ_TYPE_EDGE_RISING;

	irq = irq_create_fwspec_mapping(&fwspec);
	if (!irq) {
		dev_err_ratelimited(&rm->dev, "failed to map interrupt %u\n", virq);
		return -EINVAL;
	}
	return irq;
}
EXPORT_SYMBOL_GPL(gunyah_rm_virq_to_irq);

/**
 * gunyah_rm_irq_dispose() - undo gunyah_rm_virq_to_irq()
 * @irq: an IRQ it returned (values <= 0 are ignored)
 *
 * Context: process context, may sleep.
 */
void gunyah_rm_irq_dispose(int irq)
{
	if (irq > 0)
		irq_dispose_mapping(irq);
}
EXPORT_SYMBOL_GPL(gunyah_rm_irq_dispose);

/* ---------------------------------------------------------------------------------------- */
/* Platform driver                                                                          */

/**
 * gunyah_rm_release() - free an RM client when its last reference goes
 * @dev: gunyah_rm.dev
 *
 * Context: process context.
 */
static void gunyah_rm_release(struct device *dev)
{
	struct gunyah_rm *rm = to_gunyah_rm(dev);

	xa_destroy(&rm->calls);
	mutex_destroy(&rm->send_lock);
	kfree(rm);
}

/**
 * gunyah_rm_alloc() - allocate and initialise an RM client
 * @parent: the RM platform device
 *
 * The RM device is initialised (holding the caller's reference) but not added.
 *
 * Context: process context, may sleep.
 * Return: the RM, or ERR_PTR(-ENOMEM).
 */
static struct gunyah_rm *gunyah_rm_alloc(struct device *parent)
{
	struct gunyah_rm *rm;
	int ret;

	rm = kzalloc(sizeof(*rm), GFP_KERNEL);
	if (!rm)
		return ERR_PTR(-ENOMEM);

	mutex_init(&rm->send_lock);
	init_waitqueue_head(&rm->tx_wq);
	xa_init_flags(&rm->calls, XA_FLAGS_ALLOC);
	BLOCKING_INIT_NOTIFIER_HEAD(&rm->nh);

	device_initialize(&rm->dev);
	rm->dev.parent = parent;
	rm->dev.release = gunyah_rm_release;
	ret = dev_set_name(&rm->dev, "gunyah_rm");
	if (ret) {
		put_device(&rm->dev);
		return ERR_PTR(ret);
	}
	return rm;
}

/**
 * gunyah_rm_check_hyp() - check that the hypervisor speaks our API and has message queues
 * @dev: the RM platform device (for messages)
 *
 * Context: process context.
 * Return: 0, or -ENODEV.
 */
static int gunyah_rm_check_hyp(struct device *dev)
{
	struct gunyah_hypercall_hyp_identify_resp id;
	u64 version;

	gunyah_hypercall_hyp_identify(&id);
	version = FIELD_GET(GUNYAH_API_INFO_API_VERSION_MASK, id.api_info);
	if (version != GUNYAH_API_V1)
		return dev_err_probe(dev, -ENODEV, "unsupported Gunyah API version %llu\n",
				     version);
	if (!(id.flags[0] & GUNYAH_API_FEATURE_MSGQUEUE))
		return dev_err_probe(dev, -ENODEV, "Gunyah has no message queues\n");
	return 0;
}

/**
 * gunyah_rm_request_irqs() - install the TX and RX interrupt handlers
 * @rm: the RM, with tx_irq and rx_irq set
 * @dev: the RM platform device (for messages)
 *
 * Context: process context, may sleep.
 * Return: 0 or the errno of request_irq() / request_threaded_irq().
 */
static int gunyah_rm_request_irqs(struct gunyah_rm *rm, struct device *dev)
{
	int ret;

	ret = request_irq(rm->tx_irq, gunyah_rm_tx_irq, 0, "gunyah_rm_tx", rm);
	if (ret)
		return dev_err_probe(dev, ret, "failed to request the TX interrupt\n");

	/* No IRQF_ONESHOT: the edge stays unmasked so none is lost while the thread drains */
	ret = request_threaded_irq(rm->rx_irq, gunyah_rm_rx_irq, gunyah_rm_rx_thread, 0,
				   "gunyah_rm_rx", rm);
	if (ret) {
		free_irq(rm->tx_irq, rm);
		return dev_err_probe(dev, ret, "failed to request the RX interrupt\n");
	}
	return 0;
}

/**
 * gunyah_rm_teardown() - stop an RM client that was fully set up
 * @rm: the RM
 *
 * Marks the RM dead, frees its interrupts, drains its notifications and deletes its device; the
 * caller then drops its reference.
 *
 * Context: process context, may sleep.
 */
static void gunyah_rm_teardown(struct gunyah_rm *rm)
{
	gunyah_rm_mark_dead(rm);
	free_irq(rm->rx_irq, rm);
	free_irq(rm->tx_irq, rm);
	gunyah_rm_rx_reset(rm);
	destroy_workqueue(rm->notif_wq);
	rm->notif_wq = NULL;
	device_del(&rm->dev);
}

/**
 * gunyah_rm_probe() - bind to an RM platform device
 * @pdev: the platform device: "reg" = {TX capability, RX capability} (u64 each), IRQ 0 = TX
 *        ("queue not full"), IRQ 1 = RX ("message waiting")
 *
 * Context: process context, the device lock held.
 * Return: 0; -ENODEV if the hypervisor is not usable; the errno of a missing property or IRQ
 * (-EPROBE_DEFER included); -ENOMEM; or an errno of device_add(), request_irq() or the VM
 * manager.
 */
static int gunyah_rm_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct gunyah_rm *rm;
	int tx_irq, rx_irq;
	u64 caps[2];
	int ret;

	ret = gunyah_rm_check_hyp(dev);
	if (ret)
		return ret;

	ret = device_property_read_u64_array(dev, "reg", caps, ARRAY_SIZE(caps));
	if (ret)
		return dev_err_probe(dev, ret, "failed to read the message queue capabilities\n");

	tx_irq = platform_get_irq(pdev, 0);
	if (tx_irq < 0)
		return dev_err_probe(dev, tx_irq, "no TX interrupt\n");
	rx_irq = platform_get_irq(pdev, 1);
	if (rx_irq < 0)
		return dev_err_probe(dev, rx_irq, "no RX interrupt\n");

	rm = gunyah_rm_alloc(dev);
	if (IS_ERR(rm))
		return PTR_ERR(rm);
	rm->tx_cap = caps[0];
	rm->rx_cap = caps[1];
	rm->tx_irq = tx_irq;
	rm->rx_irq = rx_irq;

	rm->notif_wq = alloc_ordered_workqueue("gunyah_rm_notif", 0);
	if (!rm->notif_wq) {
		ret = -ENOMEM;
		goto err_put;
	}

	ret = device_add(&rm->dev);
	if (ret) {
		dev_err_probe(dev, ret, "failed to add the RM device\n");
		goto err_destroy_wq;
	}

	ret = gunyah_rm_request_irqs(rm, dev);
	if (ret)
		goto err_del;

	platform_set_drvdata(pdev, rm);
	/* Messages queued before the handler existed raised no interrupt we saw */
	irq_wake_thread(rm->rx_irq, rm);

	/* The VM manager: registers /dev/gunyah for this RM */
	ret = gunyah_vm_mgr_register(rm);
	if (ret) {
		dev_err_probe(dev, ret, "failed to register the VM manager\n");
		gunyah_rm_teardown(rm);
		goto err_put;
	}
	return 0;

err_del:
	device_del(&rm->dev);
err_destroy_wq:
	destroy_workqueue(rm->notif_wq);
err_put:
	put_device(&rm->dev);
	return ret;
}

/**
 * gunyah_rm_remove() - unbind from an RM platform device
 * @pdev: the platform device
 *
 * Users holding references keep the RM object; their calls now fail with -ENODEV.
 *
 * Context: process context, the device lock held.
 */
static void gunyah_rm_remove(struct platform_device *pdev)
{
	struct gunyah_rm *rm = platform_get_drvdata(pdev);

	/* The VM manager: unregisters /dev/gunyah; existing VMs keep their references */
	gunyah_vm_mgr_unregister(rm);
	gunyah_rm_teardown(rm);
	put_device(&rm->dev);	/* the probe's reference */
}

GUNYAH_PLATFORM_REMOVE_WRAPPER(gunyah_rm_remove);

static const struct of_device_id gunyah_rm_of_match[] = {
	{ .compatible = "gunyah-resource-manager" },
	{ .compatible = "qcom,resource-manager-1-0" },
	{}
};
MODULE_DEVICE_TABLE(of, gunyah_rm_of_match);

static const struct platform_device_id gunyah_rm_id_table[] = {
	{ .name = "gunyah-rsc-mgr" },
	{}
};
MODULE_DEVICE_TABLE(platform, gunyah_rm_id_table);

static struct platform_driver gunyah_rm_driver = {
	.probe = gunyah_rm_probe,
	GUNYAH_PLATFORM_REMOVE(gunyah_rm_remove),
	.driver = {
		.name = "gunyah_rsc_mgr",
		.of_match_table = gunyah_rm_of_match,
	},
	.id_table = gunyah_rm_id_table,
};

static int __init gunyah_rm_init(void)
{
	return platform_driver_register(&gunyah_rm_driver);
}
module_init(gunyah_rm_init);

static void __exit gunyah_rm_exit(void)
{
	platform_driver_unregister(&gunyah_rm_driver);
	gunyah_vm_fn_exit();
}
module_exit(gunyah_rm_exit);

/**
 * gunyah_rm_get_by_dev() - the RM client of a bound RM platform device, for tests
 * @pdev_dev: the platform device's struct device
 *
 * Context: process context, may sleep (takes @pdev_dev's device lock); not from an RM notifier.
 * Return: a new reference to the RM (drop it with gunyah_rm_put()), or NULL if this driver is
 * not bound to @pdev_dev.
 */
struct gunyah_rm *gunyah_rm_get_by_dev(struct device *pdev_dev)
{
	struct gunyah_rm *rm = NULL;

	device_lock(pdev_dev);
	if (pdev_dev->driver == &gunyah_rm_driver.driver)
		rm = dev_get_drvdata(pdev_dev);
	if (rm)
		gunyah_rm_get(rm);
	device_unlock(pdev_dev);

	return rm;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_rm_get_by_dev);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Gunyah resource manager client");
