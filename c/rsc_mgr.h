/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gunyah resource manager (RM) client: declarations private to gunyah_rsc_mgr.ko and its tests.
 *
 * The public, wire-free API lives in include/gunyah/. This header holds the RM client object, the
 * message framing and the helpers KUnit suites reach through EXPORT_SYMBOL_IF_KUNIT (test modules
 * need MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)).
 */
#ifndef _GUNYAH_RSC_MGR_PRIV_H
#define _GUNYAH_RSC_MGR_PRIV_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>

struct workqueue_struct;

/* Framing of RM messages (gunyah-abi-facts.md 4.1) */
#define GUNYAH_RM_RPC_API			0x21	/* version 1, 2 header words */
#define GUNYAH_RM_RPC_TYPE_MASK			GENMASK(1, 0)
#define GUNYAH_RM_RPC_CONTINUATIONS_MASK	GENMASK(7, 2)

#define GUNYAH_RM_RPC_TYPE_CONTINUATION		0
#define GUNYAH_RM_RPC_TYPE_REQUEST		1
#define GUNYAH_RM_RPC_TYPE_REPLY		2
#define GUNYAH_RM_RPC_TYPE_NOTIFICATION		3

#define GUNYAH_RM_RPC_HDR_SIZE			8
#define GUNYAH_RM_PAYLOAD_PER_FRAGMENT	(GUNYAH_MSGQ_MAX_MSG_SIZE - GUNYAH_RM_RPC_HDR_SIZE)
/* Most continuation fragments a message may announce (received messages are checked against it) */
#define GUNYAH_RM_MAX_CONTINUATIONS		62
/* Largest request payload we send: 62 fragments, as the Linux postings did */
#define GUNYAH_RM_MAX_REQUEST_PAYLOAD		(62 * GUNYAH_RM_PAYLOAD_PER_FRAGMENT)

/**
 * struct gunyah_rm_rpc_hdr - the header of every fragment, as on the wire
 * @api: GUNYAH_RM_RPC_API
 * @type: message type in bits 1:0, total number of continuation fragments in bits 7:2
 * @seq: sequence number; matches a reply to its request
 * @msg_id: the RPC or notification id
 */
struct gunyah_rm_rpc_hdr {
	u8 api;
	u8 type;
	__le16 seq;
	__le32 msg_id;
} __packed;
static_assert(sizeof(struct gunyah_rm_rpc_hdr) == GUNYAH_RM_RPC_HDR_SIZE);

/**
 * struct gunyah_rm_msg_info - a fragment header in host types
 * @type: GUNYAH_RM_RPC_TYPE_*
 * @num_continuations: total number of continuation fragments of the message
 * @seq: sequence number
 * @msg_id: RPC or notification id
 */
struct gunyah_rm_msg_info {
	u8 type;
	u8 num_continuations;
	u16 seq;
	u32 msg_id;
};

/**
 * struct gunyah_rm_rx_msg - the message being reassembled from RX fragments
 * @buf: payloads of the fragments received so far (headers stripped), allocated with room for
 *       num_continuations + 1 full fragments; NULL when idle
 * @size: bytes in @buf
 * @msg_id: message id every fragment must repeat
 * @seq: sequence number every fragment must repeat
 * @type: GUNYAH_RM_RPC_TYPE_REPLY or GUNYAH_RM_RPC_TYPE_NOTIFICATION (from the first fragment)
 * @num_continuations: continuation count every fragment must repeat
 * @fragments: fragments received so far, the first one included
 *
 * Owned by the RX thread; no lock (see DOC: Locking in rsc_mgr.c).
 */
struct gunyah_rm_rx_msg {
	u8 *buf;
	size_t size;
	u32 msg_id;
	u16 seq;
	u8 type;
	u8 num_continuations;
	u8 fragments;
};

/**
 * struct gunyah_rm - a resource manager client, one per RM platform device
 * @dev: the RM's own device; its reference count is the lifetime of this object (DOC: Lifetime)
 * @tx_cap: capability of the queue to the RM; constant after probe
 * @rx_cap: capability of the queue from the RM; constant after probe
 * @tx_irq: "queue not full" interrupt; constant after probe
 * @rx_irq: "message waiting" interrupt; constant after probe
 * @send_lock: serialises senders so that the fragments of two messages never interleave
 * @tx_frag: the fragment being sent; protected by @send_lock
 * @tx_wq: senders wait here for GUNYAH_RM_TX_READY in @tx_flags or for @dead
 * @tx_flags: GUNYAH_RM_TX_READY: set by the TX interrupt, cleared by the sender that holds
 *            @send_lock; atomic bit operations
 * @calls: outstanding calls (struct gunyah_rm_pending_call) indexed by seq; the xarray's xa_lock
 *         protects its entries, @next_seq and @dead
 * @next_seq: where the cyclic seq allocation resumes; protected by @calls' xa_lock
 * @dead: the platform device was unbound; written under @calls' xa_lock, read locklessly
 *        (READ_ONCE) only as an early-out hint
 * @rx: the message being reassembled; owned by the RX thread (by remove once the IRQ is freed)
 * @rx_frag: receive buffer for one fragment; owned by the RX thread
 * @nh: notifier chain for notifications; protected by its own rwsem
 * @notif_wq: ordered workqueue that runs @nh; created in probe, destroyed in remove
 */
struct gunyah_rm {
	struct device dev;
	u64 tx_cap;
	u64 rx_cap;
	int tx_irq;
	int rx_irq;

	struct mutex send_lock;	/* serialises senders; covers tx_frag */
	u8 tx_frag[GUNYAH_MSGQ_MAX_MSG_SIZE];
	wait_queue_head_t tx_wq;
	unsigned long tx_flags;

	struct xarray calls;
	u32 next_seq;
	bool dead;

	struct gunyah_rm_rx_msg rx;
	u8 rx_frag[GUNYAH_MSGQ_MAX_MSG_SIZE];

	struct blocking_notifier_head nh;
	struct workqueue_struct *notif_wq;
};

/* Bits of gunyah_rm.tx_flags */
#define GUNYAH_RM_TX_READY	0

/* The VM manager (vm_mgr.c) registers /dev/gunyah for each bound RM. */
int gunyah_vm_mgr_register(struct gunyah_rm *rm);
void gunyah_vm_mgr_unregister(struct gunyah_rm *rm);

/* For tests: the referenced RM client of a bound RM platform device (EXPORT_SYMBOL_IF_KUNIT) */
struct gunyah_rm *gunyah_rm_get_by_dev(struct device *pdev_dev);

#if IS_ENABLED(CONFIG_KUNIT)
/* Pure helpers of the transport, visible to KUnit (static otherwise) */
void gunyah_rm_encode_hdr(struct gunyah_rm_rpc_hdr *hdr, const struct gunyah_rm_msg_info *info);
int gunyah_rm_decode_hdr(const void *msg, size_t size, struct gunyah_rm_msg_info *info);
int gunyah_rm_remap_error(u32 rm_error);
unsigned int gunyah_rm_num_continuations(size_t payload_size);
unsigned int gunyah_rm_test_swap_timeout(unsigned int ms);
#endif

#endif
