// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah resource manager: the RPC transport.
 *
 * Written from the protocol facts, with its own wire decoding (byte offsets, little-endian
 * accessors): it shares no wire structure with the driver, so a misunderstanding on either
 * side shows up as a failing test.
 *
 * One kernel thread plays the RM. It takes host fragments from the host-to-RM queue,
 * reassembles requests exactly like the real RM (malformed fragments dropped silently, a bad
 * continuation dropped keeping the partial message, a new first fragment discarding a partial
 * one), dispatches requests and sends replies and notifications, waiting for room in the
 * RM-to-host queue when it is full.
 */

#include <linux/bug.h>
#include <linux/err.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <gunyah/compat.h>

#include "sim_internal.h"

#define RM_API			0x21
#define RM_TYPE_CONT		0
#define RM_TYPE_REQUEST		1
#define RM_TYPE_REPLY		2
#define RM_TYPE_NOTIF		3
#define RM_TYPE_MASK		0x3
#define RM_COUNT_SHIFT		2

/* ---- transport ---- */

/**
 * rm_busy_add() - count the RM thread's time since it began or resumed work as busy
 * @sim: the simulator
 *
 * Context: the RM thread.
 */
static void rm_busy_add(struct gunyah_sim *sim)
{
	cycles_t now = get_cycles();

	sim_count_add(sim, SIM_CNT_RM_CYCLES, now - sim->rm.busy_since);
	sim->rm.busy_since = now;
}

/**
 * rm_push_wait() - queue a fragment for the host, waiting for room
 * @sim: the simulator
 * @frag: the fragment
 * @len: its size
 * @push: the last fragment of its message
 *
 * The wait is not the RM's work: it is left out of &gunyah_sim_counters.rm_cycles.
 *
 * Context: the RM thread; sleeps while the RM-to-host queue is full.
 * Return: 0, or -ESHUTDOWN if the thread is being stopped.
 */
static int rm_push_wait(struct gunyah_sim *sim, const u8 *frag, size_t len, bool push)
{
	int ret;

	while (!kthread_should_stop()) {
		ret = sim_rxq_push(sim, frag, len, push);
		if (ret != -EAGAIN)
			return ret;
		rm_busy_add(sim);
		wait_event_interruptible(sim->rm.wq,
					 sim_rxq_has_room(sim) || kthread_should_stop());
		sim->rm.busy_since = get_cycles();
	}
	return -ESHUTDOWN;
}

/**
 * rm_push() - send one fragment to the host, applying the RX fault knobs
 * @sim: the simulator
 * @frag: the fragment (may be corrupted in place)
 * @len: its size
 * @push: the last fragment of its message (the message queue's PUSH flag)
 *
 * Context: the RM thread; may sleep (delay knob, full queue).
 */
static void rm_push(struct gunyah_sim *sim, u8 *frag, size_t len, bool push)
{
	unsigned int delay = 0, offset = 0, copies = 1, injected = 0;
	bool drop = false, corrupt = false;
	struct sim_faults *f = &sim->faults;
	unsigned long flags;
	u8 xor_mask = 0;

	spin_lock_irqsave(&sim->lock, flags);
	if (f->rx_delay) {
		f->rx_delay--;
		delay = f->delay_ms;
		injected++;
	}
	if (f->rx_drop) {
		f->rx_drop--;
		drop = true;
		injected++;
	} else {
		if (f->rx_corrupt) {
			f->rx_corrupt--;
			corrupt = true;
			offset = f->corrupt_offset;
			xor_mask = f->corrupt_xor;
			injected++;
		}
		if (f->rx_dup) {
			f->rx_dup--;
			copies = 2;
			injected++;
		}
	}
	spin_unlock_irqrestore(&sim->lock, flags);
	sim_count_add(sim, SIM_CNT_FAULTS_INJECTED, injected);

	if (delay)
		wait_event_interruptible_timeout(sim->rm.wq, kthread_should_stop(),
						 msecs_to_jiffies(delay));
	if (drop) {
		sim_count(sim, SIM_CNT_RX_DROPPED);
		return;
	}
	if (corrupt)
		frag[min_t(size_t, offset, len - 1)] ^= xor_mask;
	for (; copies; copies--) {
		if (rm_push_wait(sim, frag, len, push)) {
			sim_count(sim, SIM_CNT_RX_DROPPED);
			return;
		}
	}
}

/**
 * rm_send() - fragment a message and send it to the host
 * @sim: the simulator
 * @type: RM_TYPE_REPLY or RM_TYPE_NOTIF
 * @seq: sequence number, repeated in every fragment
 * @msg_id: message id, repeated in every fragment
 * @payload: the payload (a reply's starts with its error word)
 * @len: payload size, at most SIM_RM_MAX_PAYLOAD
 *
 * Every fragment carries the total continuation count, ceil(len / 232) - 1.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
static void rm_send(struct gunyah_sim *sim, u8 type, u16 seq, u32 msg_id, const u8 *payload,
		    size_t len)
{
	unsigned int nfrags = len ? DIV_ROUND_UP(len, SIM_RM_FRAG_PAYLOAD) : 1;
	u8 frag[SIM_MSGQ_MSG_SIZE];
	size_t off = 0, chunk;
	unsigned int i;

	if (WARN_ON_ONCE(nfrags > SIM_RM_MAX_CONT + 1))
		return;
	for (i = 0; i < nfrags; i++) {
		frag[0] = RM_API;
		frag[1] = (i ? RM_TYPE_CONT : type) | ((nfrags - 1) << RM_COUNT_SHIFT);
		put_unaligned_le16(seq, frag + 2);
		put_unaligned_le32(msg_id, frag + 4);
		chunk = min_t(size_t, len - off, SIM_RM_FRAG_PAYLOAD);
		memcpy(frag + SIM_RM_HDR_SIZE, payload + off, chunk);
		off += chunk;
		rm_push(sim, frag, SIM_RM_HDR_SIZE + chunk, i == nfrags - 1);
	}
}

/**
 * sim_rm_notify() - send a notification to the host
 * @sim: the simulator
 * @msg_id: notification id
 * @payload: its payload
 * @len: payload size
 *
 * Notifications take their sequence numbers from one global counter.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
void sim_rm_notify(struct gunyah_sim *sim, u32 msg_id, const u8 *payload, size_t len)
{
	lockdep_assert_held(&sim->rm.lock);
	rm_send(sim, RM_TYPE_NOTIF, sim->rm.notif_seq++, msg_id, payload, len);
	sim_count(sim, SIM_CNT_RM_NOTIFICATIONS);
}

/**
 * sim_rm_record() - append a decoded field to the last request (gunyah_sim_last_request())
 * @sim: the simulator
 * @value: the field
 *
 * Context: &gunyah_sim.rm.lock held.
 */
void sim_rm_record(struct gunyah_sim *sim, u64 value)
{
	struct gunyah_sim_request *last = &sim->rm.last;

	lockdep_assert_held(&sim->rm.lock);
	if (last->n_fields < GUNYAH_SIM_REQ_MAX_FIELDS)
		last->fields[last->n_fields++] = value;
}

/**
 * rm_dispatch() - handle one complete request and reply to it
 * @sim: the simulator
 * @seq: its sequence number
 * @msg_id: its message id
 * @buf: its payload
 * @len: payload size
 *
 * Unknown message ids get a reply whose only payload is the error word 0xffffffff. The
 * rpc fault knob replaces the handler by an error reply. A reply carries data only on
 * success.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
static void rm_dispatch(struct gunyah_sim *sim, u16 seq, u32 msg_id, const u8 *buf, size_t len)
{
	struct sim_rm_req req = { .msg_id = msg_id, .seq = seq, .buf = buf, .len = len };
	struct sim_rm_resp resp = { .data = sim->rm.out_buf + 4 };
	struct gunyah_sim_request *last = &sim->rm.last;
	struct sim_faults *f = &sim->faults;
	u32 err = RM_ERR_UNIMPLEMENTED;
	sim_rm_handler_t handler;
	bool injected = false, lose = false;
	unsigned long flags;

	sim_count(sim, SIM_CNT_RM_REQUESTS);
	memset(last, 0, sizeof(*last));
	last->msg_id = msg_id;
	last->seq = seq;
	last->payload_len = len;
	sim->rm.have_last = true;

	spin_lock_irqsave(&sim->lock, flags);
	if (f->rpc_nth && (!f->rpc_msg_id || f->rpc_msg_id == msg_id) && !--f->rpc_nth) {
		injected = true;
		err = f->rpc_error;
		/* More to fail in a row: the next matching one is the nth again */
		if (f->rpc_count > 1) {
			f->rpc_count--;
			f->rpc_nth = 1;
		}
	}
	if (!injected && f->lose_nth && (!f->lose_msg_id || f->lose_msg_id == msg_id) &&
	    !--f->lose_nth)
		lose = true;
	spin_unlock_irqrestore(&sim->lock, flags);

	if (injected) {
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
	} else {
		handler = sim_rm_find_handler(msg_id);
		if (handler)
			err = handler(sim, &req, &resp);
	}
	if (err != RM_OK)
		resp.len = 0;
	last->rm_error = err;

	if (lose) {
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
	} else {
		put_unaligned_le32(err, sim->rm.out_buf);
		rm_send(sim, RM_TYPE_REPLY, seq, msg_id, sim->rm.out_buf, 4 + resp.len);
		sim_count(sim, SIM_CNT_RM_REPLIES);
	}

	if (resp.reset_vm)
		sim_rm_reset_finish(sim, resp.reset_vm);
}

/**
 * rm_rx_fragment() - take one fragment the host sent
 * @sim: the simulator
 * @frag: the fragment
 * @len: its size
 *
 * Reassembles like the real RM: short fragments, a wrong API byte or more than 62
 * continuations are dropped; a continuation that does not match the partial message (msg_id,
 * seq, count) is dropped and the partial message kept; a new first fragment discards a
 * partial message; only requests are dispatched.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
static void rm_rx_fragment(struct gunyah_sim *sim, const u8 *frag, size_t len)
{
	struct sim_rm *rm = &sim->rm;
	u8 type, count;
	size_t plen;
	u32 msg_id;
	u16 seq;

	if (len < SIM_RM_HDR_SIZE || frag[0] != RM_API)
		goto drop;
	plen = len - SIM_RM_HDR_SIZE;
	type = frag[1] & RM_TYPE_MASK;
	count = frag[1] >> RM_COUNT_SHIFT;
	seq = get_unaligned_le16(frag + 2);
	msg_id = get_unaligned_le32(frag + 4);
	if (count > SIM_RM_MAX_CONT)
		goto drop;

	if (type == RM_TYPE_CONT) {
		if (!rm->asm_active || msg_id != rm->asm_msg_id || seq != rm->asm_seq ||
		    count != rm->asm_count || rm->asm_len + plen > SIM_RM_MAX_PAYLOAD)
			goto drop;
		memcpy(rm->asm_buf + rm->asm_len, frag + SIM_RM_HDR_SIZE, plen);
		rm->asm_len += plen;
		if (++rm->asm_got < rm->asm_count)
			return;
		rm->asm_active = false;
		if (rm->asm_type != RM_TYPE_REQUEST)
			goto drop;
		rm_dispatch(sim, seq, msg_id, rm->asm_buf, rm->asm_len);
		return;
	}

	/* A first fragment: whatever was being assembled is abandoned */
	rm->asm_active = false;
	if (count) {
		memcpy(rm->asm_buf, frag + SIM_RM_HDR_SIZE, plen);
		rm->asm_len = plen;
		rm->asm_type = type;
		rm->asm_count = count;
		rm->asm_got = 0;
		rm->asm_seq = seq;
		rm->asm_msg_id = msg_id;
		rm->asm_active = true;
		return;
	}
	if (type != RM_TYPE_REQUEST)
		goto drop;
	rm_dispatch(sim, seq, msg_id, frag + SIM_RM_HDR_SIZE, plen);
	return;

drop:
	sim_count(sim, SIM_CNT_TX_DROPPED);
}

/**
 * rm_thread_fn() - the RM: handle what the host sends, one fragment at a time
 * @data: the simulator
 *
 * Before each fragment it reports the exits of guests that powered off, so notifications
 * keep the order in which things happened. The time it spends on both is counted in
 * &gunyah_sim_counters.rm_cycles.
 *
 * Context: kernel thread; sleeps (interruptibly) while there is nothing to do.
 * Return: 0 when stopped.
 */
static int rm_thread_fn(void *data)
{
	struct gunyah_sim *sim = data;
	u8 frag[SIM_MSGQ_MSG_SIZE];
	size_t len;

	while (!kthread_should_stop()) {
		wait_event_interruptible(sim->rm.wq,
					 sim_txq_has_work(sim) || kthread_should_stop());
		if (kthread_should_stop())
			break;

		mutex_lock(&sim->rm.lock);
		sim->rm.busy_since = get_cycles();
		sim_rm_flush_exits(sim);
		if (sim_txq_pop(sim, frag, &len))
			rm_rx_fragment(sim, frag, len);
		rm_busy_add(sim);
		mutex_unlock(&sim->rm.lock);

		if (!sim_txq_has_work(sim))
			wake_up_all(&sim->rm.idle_wq);
	}
	return 0;
}

/**
 * sim_rm_ram_end() - walk_iomem_res_desc() callback: note where a System RAM range ends
 * @res: the range
 * @arg: the page after the last System RAM seen so far (unsigned long *), raised to @res's
 *
 * Context: process context, under the resource lock.
 * Return: 0, to go on walking.
 */
static int sim_rm_ram_end(struct resource *res, void *arg)
{
	unsigned long *end_pfn = arg;

	*end_pfn = max_t(unsigned long, *end_pfn, PHYS_PFN(res->end) + 1);
	return 0;
}

/**
 * sim_rm_init() - set up the RM and start its thread
 * @sim: the simulator; its queues exist
 *
 * Context: process context (module init).
 * Return: 0 or a negative errno; nothing is left allocated on failure.
 */
int sim_rm_init(struct gunyah_sim *sim)
{
	struct sim_rm *rm = &sim->rm;
	int ret;

	mutex_init(&rm->lock);
	init_waitqueue_head(&rm->wq);
	init_waitqueue_head(&rm->idle_wq);
	xa_init_flags(&rm->vms, XA_FLAGS_ALLOC);
	xa_init_flags(&rm->parcels, XA_FLAGS_ALLOC);
	xa_init(&rm->pfn_blocks);
	rm->ranges = RB_ROOT;
	/* Where the RM's page-by-page record of the memory in parcels ends (sim_rm_mem.c) */
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, U64_MAX,
			    &rm->ram_end_pfn, sim_rm_ram_end);
	rm->next_res_handle = 1;

	rm->asm_buf = kvzalloc(SIM_RM_MAX_PAYLOAD, GFP_KERNEL);
	rm->out_buf = kvzalloc(SIM_RM_MAX_PAYLOAD, GFP_KERNEL);
	if (!rm->asm_buf || !rm->out_buf) {
		ret = -ENOMEM;
		goto err;
	}
	rm->thread = kthread_run(rm_thread_fn, sim, "gunyah-sim-rm");
	if (IS_ERR(rm->thread)) {
		ret = PTR_ERR(rm->thread);
		goto err;
	}
	return 0;

err:
	kvfree(rm->out_buf);
	kvfree(rm->asm_buf);
	mutex_destroy(&rm->lock);
	return ret;
}

/**
 * sim_rm_exit() - stop the RM thread and free every VM and parcel
 * @sim: the simulator; the host driver is gone
 *
 * Context: process context (module exit).
 */
void sim_rm_exit(struct gunyah_sim *sim)
{
	struct sim_rm *rm = &sim->rm;
	unsigned long idx;
	struct sim_vm *vm;

	kthread_stop(rm->thread);

	mutex_lock(&rm->lock);
	xa_for_each(&rm->vms, idx, vm) {
		xa_erase(&rm->vms, idx);
		sim_rm_vm_free(sim, vm);
	}
	sim_rm_mem_destroy(sim);
	mutex_unlock(&rm->lock);

	xa_destroy(&rm->vms);
	kvfree(rm->out_buf);
	kvfree(rm->asm_buf);
	mutex_destroy(&rm->lock);
}
