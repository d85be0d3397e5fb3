// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah hypervisor: capabilities, the interrupt controller, message queues,
 * doorbells and the hypercalls that reach them.
 *
 * The interrupt controller is a small irq_domain that decodes the GIC's three-cell format
 * ({0 = SPI, virq - 32, trigger}), so the driver maps RM-reported virqs exactly as it would on
 * arm64. Raising an interrupt sets a pending bit and queues an irq_work, which delivers it in
 * hard interrupt context through generic_handle_domain_irq().
 */

#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/string.h>

#include "sim_internal.h"

/* ---- capabilities ---- */

/**
 * sim_cap_add() - give an object a capability
 * @sim: the simulator
 * @cap: the object's capability entry; the object must be fully initialized
 * @type: what the object is
 *
 * Context: process context, may sleep; do not hold &gunyah_sim.lock.
 * Return: 0, or -ENOMEM / -EBUSY (capability space full).
 */
int sim_cap_add(struct gunyah_sim *sim, struct sim_cap *cap, enum sim_obj_type type)
{
	u32 id;
	int ret;

	cap->type = type;
	ret = xa_alloc_irq(&sim->caps, &id, cap, XA_LIMIT(SIM_CAP_FIRST, SIM_CAP_LAST),
			   GFP_KERNEL);
	if (ret)
		return ret;
	cap->id = id;
	return 0;
}

/**
 * sim_cap_remove_locked() - revoke an object's capability
 * @sim: the simulator
 * @cap: the object's capability entry
 *
 * After &gunyah_sim.lock is dropped no hypercall can reach the object any more.
 *
 * Context: &gunyah_sim.lock held.
 */
void sim_cap_remove_locked(struct gunyah_sim *sim, struct sim_cap *cap)
{
	lockdep_assert_held(&sim->lock);
	if (cap->id)
		xa_erase(&sim->caps, cap->id);
	cap->id = 0;
}

/**
 * sim_cap_lookup_locked() - find the object a capability names
 * @sim: the simulator
 * @capid: the capability id a hypercall got
 * @type: the object type the hypercall needs
 * @err: set to the hypercall's error when there is no such object
 *
 * Context: &gunyah_sim.lock held; the object stays valid while it is.
 * Return: the capability entry, or NULL (@err is CSPACE_CAP_NULL for an unknown capability,
 * CSPACE_WRONG_OBJ_TYPE for an object of another type).
 */
struct sim_cap *sim_cap_lookup_locked(struct gunyah_sim *sim, u64 capid,
				      enum sim_obj_type type, enum gunyah_error *err)
{
	struct sim_cap *cap;

	lockdep_assert_held(&sim->lock);
	if (capid < SIM_CAP_FIRST || capid > SIM_CAP_LAST) {
		*err = GUNYAH_ERROR_CSPACE_CAP_NULL;
		return NULL;
	}
	cap = xa_load(&sim->caps, capid);
	if (!cap) {
		*err = GUNYAH_ERROR_CSPACE_CAP_NULL;
		return NULL;
	}
	if (cap->type != type) {
		*err = GUNYAH_ERROR_CSPACE_WRONG_OBJ_TYPE;
		return NULL;
	}
	return cap;
}

/* ---- interrupts ---- */

static void sim_irq_mask(struct irq_data *d)
{
	struct gunyah_sim *sim = irq_data_get_irq_chip_data(d);

	set_bit(irqd_to_hwirq(d), sim->irq_masked);
}

static void sim_irq_unmask(struct irq_data *d)
{
	struct gunyah_sim *sim = irq_data_get_irq_chip_data(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);

	clear_bit(hwirq, sim->irq_masked);
	/* Pairs with the masked-then-pending checks of sim_irq_work_fn() */
	smp_mb__after_atomic();
	if (test_bit(hwirq, sim->irq_pending))
		irq_work_queue(&sim->irq_work);
}

static int sim_irq_retrigger(struct irq_data *d)
{
	struct gunyah_sim *sim = irq_data_get_irq_chip_data(d);

	set_bit(irqd_to_hwirq(d), sim->irq_pending);
	irq_work_queue(&sim->irq_work);
	return 1;
}

static int sim_irq_set_type(struct irq_data *d, unsigned int type)
{
	/* Like GIC SPIs: rising edge or high level; delivery is always one event per raise. */
	if (type != IRQ_TYPE_EDGE_RISING && type != IRQ_TYPE_LEVEL_HIGH)
		return -EINVAL;
	return IRQ_SET_MASK_OK;
}

static const struct irq_chip sim_irq_chip = {
	.name		= "gunyah-sim",
	.irq_mask	= sim_irq_mask,
	.irq_unmask	= sim_irq_unmask,
	.irq_retrigger	= sim_irq_retrigger,
	.irq_set_type	= sim_irq_set_type,
	.flags		= IRQCHIP_SKIP_SET_WAKE,
};

/**
 * sim_irq_work_fn() - deliver pending, unmasked, mapped interrupts
 * @work: &gunyah_sim.irq_work
 *
 * A pending interrupt that is masked or not mapped stays pending, as on a GIC, and is
 * delivered once it is unmasked.
 *
 * Context: irq_work (hard interrupt context); takes no simulator lock.
 */
static void sim_irq_work_fn(struct irq_work *work)
{
	struct gunyah_sim *sim = container_of(work, struct gunyah_sim, irq_work);
	unsigned long hwirq;

	for_each_set_bit(hwirq, sim->irq_pending, SIM_NR_HWIRQ) {
		if (test_bit(hwirq, sim->irq_masked) || !irq_find_mapping(sim->domain, hwirq))
			continue;
		if (test_and_clear_bit(hwirq, sim->irq_pending))
			generic_handle_domain_irq(sim->domain, hwirq);
	}
}

/**
 * sim_irq_raise() - raise a virtual interrupt toward the host
 * @sim: the simulator
 * @virq: the interrupt (GIC numbering); out-of-range values are ignored
 *
 * Context: any context.
 */
void sim_irq_raise(struct gunyah_sim *sim, u32 virq)
{
	if (virq >= SIM_NR_HWIRQ)
		return;
	set_bit(virq, sim->irq_pending);
	irq_work_queue(&sim->irq_work);
}

/**
 * sim_virq_alloc_locked() - allocate an interrupt for a VM resource
 * @sim: the simulator
 *
 * Context: &gunyah_sim.lock held.
 * Return: the lowest free virq from SIM_VIRQ_FIRST_DYN, or SIM_VIRQ_NONE if none is left.
 */
u32 sim_virq_alloc_locked(struct gunyah_sim *sim)
{
	unsigned long virq;

	lockdep_assert_held(&sim->lock);
	virq = find_next_zero_bit(sim->virq_used, SIM_NR_HWIRQ, SIM_VIRQ_FIRST_DYN);
	if (virq >= SIM_NR_HWIRQ)
		return SIM_VIRQ_NONE;
	__set_bit(virq, sim->virq_used);
	clear_bit(virq, sim->irq_pending);
	return virq;
}

/**
 * sim_virq_free_locked() - free an interrupt of a VM resource
 * @sim: the simulator
 * @virq: from sim_virq_alloc_locked(); anything else is ignored
 *
 * Context: &gunyah_sim.lock held.
 */
void sim_virq_free_locked(struct gunyah_sim *sim, u32 virq)
{
	lockdep_assert_held(&sim->lock);
	if (virq < SIM_VIRQ_FIRST_DYN || virq > SIM_VIRQ_MAX)
		return;
	__clear_bit(virq, sim->virq_used);
	clear_bit(virq, sim->irq_pending);
}

/**
 * sim_irq_map() - set up a new mapping of the simulated GIC
 * @d: the domain
 * @irq: the Linux interrupt
 * @hwirq: the virq
 *
 * The interrupt starts masked; anything raised before it is requested stays pending.
 *
 * Context: process context (irq_create_fwspec_mapping()).
 * Return: 0.
 */
static int sim_irq_map(struct irq_domain *d, unsigned int irq, irq_hw_number_t hwirq)
{
	struct gunyah_sim *sim = d->host_data;

	set_bit(hwirq, sim->irq_masked);
	irq_set_chip_data(irq, sim);
	irq_set_chip_and_handler(irq, &sim_irq_chip, handle_simple_irq);
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN, IRQ_NOPROBE);
	return 0;
}

/**
 * sim_irq_decode() - decode a GIC three-cell interrupt specifier
 * @param: {0 (SPI), virq - 32, trigger type}
 * @count: number of cells
 * @hwirq: set to the virq
 * @type: set to the trigger type
 *
 * Context: any context.
 * Return: 0, or -EINVAL for anything but an SPI in 32..SIM_VIRQ_MAX.
 */
static int sim_irq_decode(const u32 *param, unsigned int count, unsigned long *hwirq,
			  unsigned int *type)
{
	if (count != 3 || param[0] != 0 || param[1] > SIM_VIRQ_MAX - 32)
		return -EINVAL;
	*hwirq = param[1] + 32;
	*type = param[2] & IRQ_TYPE_SENSE_MASK;
	return 0;
}

static int sim_irq_xlate(struct irq_domain *d, struct device_node *node, const u32 *intspec,
			 unsigned int intsize, unsigned long *out_hwirq, unsigned int *out_type)
{
	return sim_irq_decode(intspec, intsize, out_hwirq, out_type);
}

#ifdef CONFIG_IRQ_DOMAIN_HIERARCHY
static int sim_irq_translate(struct irq_domain *d, struct irq_fwspec *fwspec,
			     unsigned long *out_hwirq, unsigned int *out_type)
{
	return sim_irq_decode(fwspec->param, fwspec->param_count, out_hwirq, out_type);
}
#endif

static const struct irq_domain_ops sim_irq_domain_ops = {
	.map		= sim_irq_map,
	.xlate		= sim_irq_xlate,
#ifdef CONFIG_IRQ_DOMAIN_HIERARCHY
	.translate	= sim_irq_translate,
#endif
};

/**
 * sim_map_host_irq() - map one of the RM's own interrupts the way the driver maps the others
 * @sim: the simulator
 * @virq: SIM_VIRQ_RM_TX or SIM_VIRQ_RM_RX
 * @irq: set to the Linux irq number
 *
 * Context: process context.
 * Return: 0, or -ENXIO if the mapping failed.
 */
static int sim_map_host_irq(struct gunyah_sim *sim, u32 virq, unsigned int *irq)
{
	struct irq_fwspec fwspec = {
		.fwnode = sim->fwnode,
		.param_count = 3,
		.param = { 0, virq - 32, IRQ_TYPE_EDGE_RISING },
	};

	*irq = irq_create_fwspec_mapping(&fwspec);
	return *irq ? 0 : -ENXIO;
}

static void sim_dispose_mappings(struct gunyah_sim *sim)
{
	unsigned int hwirq, irq;

	for (hwirq = 0; hwirq < SIM_NR_HWIRQ; hwirq++) {
		irq = irq_find_mapping(sim->domain, hwirq);
		if (irq)
			irq_dispose_mapping(irq);
	}
}

/**
 * sim_tx_full_timer_fn() - end of a forced "queue full" window: tell the host to send again
 * @t: &gunyah_sim.tx_full_timer
 *
 * Context: timer (softirq) context.
 */
void sim_tx_full_timer_fn(struct timer_list *t)
{
	struct gunyah_sim *sim = from_timer(sim, t, tx_full_timer);

	sim_irq_raise(sim, SIM_VIRQ_RM_TX);
}

/**
 * sim_hyp_init() - create the capability table, the irq domain and the RM's queues
 * @sim: the simulator
 *
 * Context: process context (module init).
 * Return: 0 or a negative errno; nothing is left allocated on failure.
 */
int sim_hyp_init(struct gunyah_sim *sim)
{
	int ret;

	xa_init_flags(&sim->caps, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	bitmap_set(sim->virq_used, 0, SIM_VIRQ_FIRST_DYN);
	/* Hard interrupt context even on PREEMPT_RT, as a real interrupt would be */
	sim->irq_work = IRQ_WORK_INIT_HARD(sim_irq_work_fn);
	timer_setup(&sim->tx_full_timer, sim_tx_full_timer_fn, 0);

	sim->fwnode = irq_domain_alloc_named_fwnode("gunyah-sim");
	if (!sim->fwnode) {
		ret = -ENOMEM;
		goto err_xa;
	}
	sim->domain = irq_domain_create_linear(sim->fwnode, SIM_NR_HWIRQ, &sim_irq_domain_ops,
					       sim);
	if (!sim->domain) {
		ret = -ENOMEM;
		goto err_fwnode;
	}

	ret = sim_cap_add(sim, &sim->txq.cap, SIM_OBJ_MSGQ_TX);
	if (ret)
		goto err_domain;
	ret = sim_cap_add(sim, &sim->rxq.cap, SIM_OBJ_MSGQ_RX);
	if (ret)
		goto err_domain;
	ret = sim_map_host_irq(sim, SIM_VIRQ_RM_TX, &sim->host_tx_irq);
	if (ret)
		goto err_domain;
	ret = sim_map_host_irq(sim, SIM_VIRQ_RM_RX, &sim->host_rx_irq);
	if (ret)
		goto err_domain;
	return 0;

err_domain:
	sim_dispose_mappings(sim);
	irq_work_sync(&sim->irq_work);
	irq_domain_remove(sim->domain);
err_fwnode:
	irq_domain_free_fwnode(sim->fwnode);
err_xa:
	xa_destroy(&sim->caps);
	return ret;
}

/**
 * sim_hyp_exit() - undo sim_hyp_init()
 * @sim: the simulator; the RM thread is stopped and every VM object is gone
 *
 * Context: process context (module exit or init failure).
 */
void sim_hyp_exit(struct gunyah_sim *sim)
{
	timer_shutdown_sync(&sim->tx_full_timer);
	sim_dispose_mappings(sim);
	irq_work_sync(&sim->irq_work);
	irq_domain_remove(sim->domain);
	irq_domain_free_fwnode(sim->fwnode);
	xa_destroy(&sim->caps);
}

/* ---- message queues ---- */

static void msgq_put_locked(struct sim_msgq *q, const void *buf, size_t len)
{
	unsigned int tail = (q->head + q->count) % SIM_MSGQ_DEPTH;

	memcpy(q->msg[tail], buf, len);
	q->len[tail] = len;
	q->count++;
}

static size_t msgq_get_locked(struct sim_msgq *q, void *buf)
{
	size_t len = q->len[q->head];

	memcpy(buf, q->msg[q->head], len);
	q->head = (q->head + 1) % SIM_MSGQ_DEPTH;
	q->count--;
	return len;
}

/**
 * sim_txq_pop() - the RM takes the oldest host-to-RM message
 * @sim: the simulator
 * @buf: SIM_MSGQ_MSG_SIZE bytes
 * @len: set to the message size
 *
 * Taking a message from a full queue raises the host's TX ("not full") interrupt.
 *
 * Context: any context; takes &gunyah_sim.lock.
 * Return: true if a message was taken.
 */
bool sim_txq_pop(struct gunyah_sim *sim, u8 *buf, size_t *len)
{
	unsigned long flags;
	bool was_full;

	spin_lock_irqsave(&sim->lock, flags);
	if (!sim->txq.count) {
		spin_unlock_irqrestore(&sim->lock, flags);
		return false;
	}
	was_full = sim->txq.count == SIM_MSGQ_DEPTH;
	*len = msgq_get_locked(&sim->txq, buf);
	spin_unlock_irqrestore(&sim->lock, flags);

	if (was_full)
		sim_irq_raise(sim, SIM_VIRQ_RM_TX);
	return true;
}

/**
 * sim_txq_has_work() - is there something for the RM thread to do?
 * @sim: the simulator
 *
 * Context: any context; lockless snapshot (a wait_event() condition).
 * Return: true if the host-to-RM queue is not empty or a VM exit waits to be reported.
 */
bool sim_txq_has_work(struct gunyah_sim *sim)
{
	return READ_ONCE(sim->txq.count) || READ_ONCE(sim->exits_pending);
}

/**
 * sim_rxq_push() - queue one fragment for the host, raising its RX interrupt when due
 * @sim: the simulator
 * @buf: the fragment
 * @len: its size, 1..SIM_MSGQ_MSG_SIZE
 * @push: the sender's PUSH flag (the last fragment of a message)
 *
 * As the hypervisor's message queue does with a not-empty threshold of one message, the RX
 * interrupt is raised when the queue was empty or the sender pushes: a receiver that drains
 * the queue until it is empty misses nothing, and one interrupt covers a burst of fragments.
 *
 * Context: any context; takes &gunyah_sim.lock.
 * Return: 0, -EINVAL for a bad size, or -EAGAIN if the queue is full.
 */
int sim_rxq_push(struct gunyah_sim *sim, const u8 *buf, size_t len, bool push)
{
	unsigned long flags;
	bool was_empty;

	if (!len || len > SIM_MSGQ_MSG_SIZE)
		return -EINVAL;
	spin_lock_irqsave(&sim->lock, flags);
	if (sim->rxq.count == SIM_MSGQ_DEPTH) {
		spin_unlock_irqrestore(&sim->lock, flags);
		return -EAGAIN;
	}
	was_empty = !sim->rxq.count;
	msgq_put_locked(&sim->rxq, buf, len);
	spin_unlock_irqrestore(&sim->lock, flags);

	sim_count(sim, SIM_CNT_RX_FRAGMENTS);
	if (was_empty || push)
		sim_irq_raise(sim, SIM_VIRQ_RM_RX);
	return 0;
}

/**
 * sim_rxq_has_room() - can the RM push a fragment?
 * @sim: the simulator
 *
 * Context: any context; lockless snapshot (a wait_event() condition).
 * Return: true if the RM-to-host queue is not full.
 */
bool sim_rxq_has_room(struct gunyah_sim *sim)
{
	return READ_ONCE(sim->rxq.count) < SIM_MSGQ_DEPTH;
}

/* ---- hypercalls ---- */

/**
 * gunyah_hypercall_hyp_identify() - report the simulated hypervisor's API and features
 * @hyp_identity: filled with API version 1, 64-bit, little-endian, and the doorbell, message
 *                queue, vCPU, memory extent and vcpu_run features
 *
 * Context: any context.
 */
void gunyah_hypercall_hyp_identify(struct gunyah_hypercall_hyp_identify_resp *hyp_identity)
{
	hyp_identity->api_info = FIELD_PREP(GUNYAH_API_INFO_API_VERSION_MASK, GUNYAH_API_V1) |
				 GUNYAH_API_INFO_IS_64BIT;
	hyp_identity->flags[0] = GUNYAH_API_FEATURE_DOORBELL | GUNYAH_API_FEATURE_MSGQUEUE |
				 GUNYAH_API_FEATURE_VCPU | GUNYAH_API_FEATURE_MEMEXTENT |
				 GUNYAH_API_FEATURE_VCPU_RUN;
	hyp_identity->flags[1] = 0;
	hyp_identity->flags[2] = 0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_hyp_identify);

/**
 * gunyah_hypercall_bell_send() - OR flags into a simulated doorbell
 * @capid: the doorbell's capability
 * @new_flags: flags to OR in
 * @old_flags: if not NULL, set to the flags before the send
 *
 * If the doorbell now asserts (flags & enable mask), vCPUs waiting for it get their interrupt.
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, CSPACE_CAP_NULL or CSPACE_WRONG_OBJ_TYPE.
 */
enum gunyah_error gunyah_hypercall_bell_send(u64 capid, u64 new_flags, u64 *old_flags)
{
	struct gunyah_sim *sim = sim_get();
	enum gunyah_error err = GUNYAH_ERROR_OK;
	struct sim_bell *bell;
	struct sim_cap *cap;
	unsigned long flags;

	if (!sim)
		return GUNYAH_ERROR_CSPACE_CAP_NULL;

	spin_lock_irqsave(&sim->lock, flags);
	cap = sim_cap_lookup_locked(sim, capid, SIM_OBJ_BELL, &err);
	if (cap) {
		bell = container_of(cap, struct sim_bell, cap);
		if (old_flags)
			*old_flags = bell->flags;
		bell->flags |= new_flags;
		bell->sends++;
		sim_bell_update_locked(sim, bell);
	}
	spin_unlock_irqrestore(&sim->lock, flags);

	if (cap)
		sim_count(sim, SIM_CNT_BELL_SENDS);
	return err;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_bell_send);

/**
 * gunyah_hypercall_bell_set_mask() - set a simulated doorbell's enable and ack masks
 * @capid: the doorbell's capability
 * @enable_mask: flags that assert the guest's interrupt
 * @ack_mask: flags cleared when the guest takes it
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, CSPACE_CAP_NULL or CSPACE_WRONG_OBJ_TYPE.
 */
enum gunyah_error gunyah_hypercall_bell_set_mask(u64 capid, u64 enable_mask, u64 ack_mask)
{
	struct gunyah_sim *sim = sim_get();
	enum gunyah_error err = GUNYAH_ERROR_OK;
	struct sim_bell *bell;
	struct sim_cap *cap;
	unsigned long flags;

	if (!sim)
		return GUNYAH_ERROR_CSPACE_CAP_NULL;

	spin_lock_irqsave(&sim->lock, flags);
	cap = sim_cap_lookup_locked(sim, capid, SIM_OBJ_BELL, &err);
	if (cap) {
		bell = container_of(cap, struct sim_bell, cap);
		bell->enable = enable_mask;
		bell->ack = ack_mask;
		sim_bell_update_locked(sim, bell);
	}
	spin_unlock_irqrestore(&sim->lock, flags);
	return err;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_bell_set_mask);

/**
 * gunyah_hypercall_msgq_send() - send one message to the simulated RM
 * @capid: the host's TX capability of the RM link
 * @size: 1..GUNYAH_MSGQ_MAX_MSG_SIZE
 * @buff: the message
 * @tx_flags: ignored (the RM does not depend on PUSH)
 * @ready: set to true if the queue can take another message
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK; MSGQ_FULL (queue full, or the tx_full knob; wait for the TX
 * interrupt); ARG_SIZE; CSPACE_CAP_NULL; CSPACE_WRONG_OBJ_TYPE.
 */
enum gunyah_error gunyah_hypercall_msgq_send(u64 capid, size_t size, const void *buff,
					     u64 tx_flags, bool *ready)
{
	struct gunyah_sim *sim = sim_get();
	enum gunyah_error err = GUNYAH_ERROR_OK;
	bool queued = false, injected = false;
	struct sim_msgq *q;
	struct sim_cap *cap;
	unsigned long flags;

	if (ready)
		*ready = false;
	if (!sim)
		return GUNYAH_ERROR_CSPACE_CAP_NULL;

	spin_lock_irqsave(&sim->lock, flags);
	cap = sim_cap_lookup_locked(sim, capid, SIM_OBJ_MSGQ_TX, &err);
	if (!cap)
		goto out;
	q = container_of(cap, struct sim_msgq, cap);
	if (!size || size > SIM_MSGQ_MSG_SIZE || !buff) {
		err = GUNYAH_ERROR_ARG_SIZE;
		goto out;
	}
	if (sim->faults.tx_full) {
		if (time_before(jiffies, sim->faults.tx_full_until)) {
			injected = true;
			err = GUNYAH_ERROR_MSGQ_FULL;
			goto out;
		}
		sim->faults.tx_full = false;
	}
	if (q->count == SIM_MSGQ_DEPTH) {
		err = GUNYAH_ERROR_MSGQ_FULL;
		goto out;
	}
	msgq_put_locked(q, buff, size);
	if (ready)
		*ready = q->count < SIM_MSGQ_DEPTH;
	queued = true;
out:
	spin_unlock_irqrestore(&sim->lock, flags);

	if (injected)
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
	if (queued) {
		sim_count(sim, SIM_CNT_TX_FRAGMENTS);
		wake_up(&sim->rm.wq);
	}
	return err;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_msgq_send);

/**
 * gunyah_hypercall_msgq_recv() - receive one message from the simulated RM
 * @capid: the host's RX capability of the RM link
 * @buff: where to copy the message
 * @size: size of @buff; must hold the message
 * @recv_size: set to the message size (0 when nothing was received)
 * @ready: set to true if more messages are waiting
 *
 * Receiving from a full queue wakes the RM if it waits for room.
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK; MSGQ_EMPTY; ARG_SIZE (@buff too small, message left queued);
 * RETRY when the rx_retry knob says so (message left queued); CSPACE_CAP_NULL;
 * CSPACE_WRONG_OBJ_TYPE.
 */
enum gunyah_error gunyah_hypercall_msgq_recv(u64 capid, void *buff, size_t size,
					     size_t *recv_size, bool *ready)
{
	struct gunyah_sim *sim = sim_get();
	enum gunyah_error err = GUNYAH_ERROR_OK;
	bool was_full = false, injected = false;
	struct sim_msgq *q;
	struct sim_cap *cap;
	unsigned long flags;
	size_t len = 0;
	bool more = false;

	if (!sim) {
		err = GUNYAH_ERROR_CSPACE_CAP_NULL;
		goto report;
	}

	spin_lock_irqsave(&sim->lock, flags);
	cap = sim_cap_lookup_locked(sim, capid, SIM_OBJ_MSGQ_RX, &err);
	if (!cap)
		goto out;
	q = container_of(cap, struct sim_msgq, cap);
	if (!q->count) {
		err = GUNYAH_ERROR_MSGQ_EMPTY;
		goto out;
	}
	if (sim->faults.rx_retry) {
		sim->faults.rx_retry--;
		injected = true;
		err = GUNYAH_ERROR_RETRY;
		more = true;
		goto out;
	}
	if (!buff || size < q->len[q->head]) {
		err = GUNYAH_ERROR_ARG_SIZE;
		more = true;
		goto out;
	}
	was_full = q->count == SIM_MSGQ_DEPTH;
	len = msgq_get_locked(q, buff);
	more = q->count > 0;
out:
	spin_unlock_irqrestore(&sim->lock, flags);
	if (was_full)
		wake_up(&sim->rm.wq);
	if (injected)
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
report:
	if (recv_size)
		*recv_size = len;
	if (ready)
		*ready = more;
	return err;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_msgq_recv);
