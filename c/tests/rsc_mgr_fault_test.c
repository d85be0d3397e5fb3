// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the RM client's transport under faults (suite gunyah_rm_fault), one table row per case.
 *
 * Each row of fault_cases[] makes one thing go wrong between the simulated RM and the driver's
 * TX and RX paths and asserts what the call returns (and how long it took), whether a partly
 * reassembled message stays behind in rm->rx, and which test notifications reach the notifier
 * chain. After every row: no call is left in rm->calls, a GET_VMID works, and then the RX
 * reassembly is idle (rm->rx.buf NULL). The last case logs "transport cases: N".
 *
 * Faults come from two sources:
 * - the simulator's knobs: drop, duplicate, corrupt or delay the next RM-to-host fragments, or
 *   refuse the host's sends. They act on the first fragments the RM sends, so they hit a
 *   reply's first fragment or all of its fragments, never the nth one;
 * - a scripted RM, for everything else (the simulator cannot reorder its own replies). The
 *   call runs in a kthread with a sequence number the test chose (rm->next_seq, set under the
 *   calls' xa_lock as gunyah_rm_rpc's seq_wrap_test does), the simulator's own one-fragment
 *   reply is dropped, and the test injects the reply with gunyah_sim_inject_rx(): fragments in
 *   any order, duplicated or corrupted, with notifications and stray replies in between.
 *
 * Replies that span fragments (232 payload bytes each): VM_GET_HYP_RESOURCES of a VM with 8
 * vCPUs and 8 doorbells (built in suite_init like gunyah_rm_vm's vm_lifecycle_test) is
 * 4 + 4 + 16 * 44 = 712 bytes: 232 + 232 + 232 + 16. The scripted reply of an unknown RPC is
 * 4 + 760 = 764 bytes: 232 + 232 + 232 + 68. F is the first fragment, C1..C3 the continuations.
 *
 * What c/rsc_mgr.c does, as the rows pin it down:
 * - fragments carry no index: a continuation that repeats the msg_id, seq and continuation
 *   count of the message in progress is appended to it, and the message completes after
 *   count + 1 fragments, whichever they were (duplicates and reordering of full fragments are
 *   not detected; only the RPC's own size check may notice). Every fragment but the last must
 *   be full: a short one earlier (the last one out of order) aborts the message;
 * - a first fragment (reply or notification) aborts the message in progress, a continuation
 *   that does not match aborts it too; an aborted reply fails its call with -EIO at once;
 * - malformed fragments (api byte), requests from the RM and continuations with nothing in
 *   progress are dropped; a reply is taken only by the call with its seq and msg_id;
 * - a reply that misses a fragment: if the short last fragment then comes in the place of an
 *   earlier one, the message is aborted and the call fails with -EIO at once; if the last one
 *   itself is missing, the message never completes: the call times out (-ETIMEDOUT) and the
 *   partial message stays in rm->rx until the next first fragment aborts it;
 * - rpc_timeout_ms bounds the send (queue full) and the wait for the whole reply.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <gunyah/compat.h>
#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/sim.h>

#include "../rsc_mgr.h"
#include "gunyah_fdt.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FT_MSG_HYP_RES		0x56000020
#define FT_MSG_UNKNOWN		0x5600ff01	/* the simulator answers UNIMPLEMENTED */
#define FT_NOTIF1		0x5610fff4	/* test notification, one fragment of 8 bytes */
#define FT_NOTIF3		0x5610fff5	/* test notification, 232 + 232 + 40 bytes */
#define FT_BOGUS_VMID		0xfffe		/* no such VM: the simulator's reply is short */

#define FT_PER_FRAG		GUNYAH_RM_PAYLOAD_PER_FRAGMENT
#define FT_VCPUS		8
#define FT_BELLS		8
#define FT_RES_SIZE		44
#define FT_HYP_RES_LEN		(8 + (FT_VCPUS + FT_BELLS) * FT_RES_SIZE)	/* 712 */
#define FT_RAW_LEN		(4 + 760)					/* 764 */
#define FT_NOTIF3_LEN		(2 * FT_PER_FRAG + 40)				/* 504 */
#define FT_PARCEL_ORDER		2
#define FT_DTB_OFF		256
#define FT_VM_BASE		0x80000000ULL

#define FT_T_SHORT		300	/* rpc_timeout_ms of rows that expect -ETIMEDOUT */
#define FT_T_LONG		10000	/* of the others: a wrong outcome shows, nothing hangs */
#define FT_SLACK_MS		3000	/* scheduling slack on top of a timeout (QEMU, KASAN) */

/* How a row makes its fault */
enum ft_kind {
	FK_KNOB,	/* arm a simulator knob, make a real call */
	FK_SCRIPT,	/* a call waits; the test plays the RM with injected fragments */
	FK_IDLE,	/* no call waits; injected fragments only */
	FK_SILENT,	/* the RM answers nothing; four callers at once */
	FK_LATE,	/* a reply arrives late, while the next call waits */
};

/* The call a row makes, and which reply a script injects */
enum ft_call {
	FC_GET_VMID,	/* one-fragment reply */
	FC_HYP_RES,	/* four-fragment reply (712 bytes) */
	FC_RAW,		/* gunyah_rm_call() of an unknown RPC; scripted reply of 764 bytes */
	FC_RAW1,	/* the same with a one-fragment scripted reply (8 bytes) */
	FC_RAW_BIG,	/* an unknown RPC with a three-fragment request */
};

enum ft_knob {
	KN_NONE,
	KN_DROP,	/* n fragments */
	KN_DUP,		/* n fragments */
	KN_CORRUPT,	/* n fragments, byte @arg XOR @xor */
	KN_DELAY,	/* n fragments, @arg ms each */
	KN_TX_FULL,	/* the queue to the RM is full for @arg ms */
};

/* What a successful call must have returned */
enum ft_check {
	CHK_NONE,
	CHK_INTACT,	/* FC_HYP_RES: the resources the RM reported in suite_init */
	CHK_SCRAMBLED,	/* FC_HYP_RES: as many entries, but not those */
	CHK_ORDER,	/* FC_RAW*: the fragments in ft_case.order, error word stripped */
};

enum ft_op {
	OP_END,
	OP_FRAG,	/* fragment @idx of the reply, byte @off XOR @xor */
	OP_NOTIF,	/* a one-fragment test notification (FT_NOTIF1) */
	OP_NFRAG,	/* fragment @idx of the three-fragment test notification (FT_NOTIF3) */
	OP_STRAY,	/* a one-fragment reply for a seq nobody waits for */
	OP_WRONG_ID,	/* a one-fragment reply with the call's seq and another msg_id */
};

struct ft_step {
	u8 op;
	u8 idx;
	u8 off;
	u8 xor;
};

/**
 * struct ft_case - one row of the transport fault matrix
 * @name: what goes wrong and what the driver does (the KUnit parameter description)
 * @kind: how the fault is made
 * @call: the call; for FK_SCRIPT and FK_IDLE also the reply the script injects
 * @knob: FK_KNOB: the simulator knob
 * @n: fragments the knob affects
 * @arg: KN_CORRUPT: byte offset; KN_DELAY: ms per fragment; KN_TX_FULL: ms
 * @xor: KN_CORRUPT: XOR mask
 * @timeout_ms: rpc_timeout_ms during the row (0: FT_T_LONG)
 * @script: FK_SCRIPT, FK_IDLE: the fragments injected, in order
 * @ret: what the call returns
 * @partial: fragments of the partial message left in rm->rx after the row (0: none)
 * @notifs: test notifications delivered
 * @notif_size: payload size of the last one (0: not checked)
 * @check: what a successful call returned
 * @order: CHK_ORDER: the fragments the reply was assembled from, as digits
 * @vmid_xor: FC_GET_VMID success: the VMID reported is the host's XOR this
 */
struct ft_case {
	const char *name;
	enum ft_kind kind;
	enum ft_call call;
	enum ft_knob knob;
	unsigned int n;
	unsigned int arg;
	u8 xor;
	unsigned int timeout_ms;
	const struct ft_step *script;
	int ret;
	unsigned int partial;
	unsigned int notifs;
	size_t notif_size;
	enum ft_check check;
	const char *order;
	u16 vmid_xor;
};

#define FT_SCRIPT(...)	((const struct ft_step[]){ __VA_ARGS__, { .op = OP_END } })
#define FR(i)		{ .op = OP_FRAG, .idx = (i) }
#define FRX(i, o, x)	{ .op = OP_FRAG, .idx = (i), .off = (o), .xor = (x) }
#define NOTIF1		{ .op = OP_NOTIF }
#define NF(i)		{ .op = OP_NFRAG, .idx = (i) }
#define STRAY		{ .op = OP_STRAY }
#define WRONG_ID	{ .op = OP_WRONG_ID }

/* Header bytes: 0 api, 1 type | count << 2, 2-3 seq, 4-7 msg_id; then the payload */
#define HDR_API		0
#define HDR_TYPE	1
#define HDR_SEQ		2
#define HDR_MSG_ID	4
#define GET_VMID_VMID	12	/* header, error word, then the VMID */

static const struct ft_case fault_cases[] = {
	/* ---- the simulator's knobs ---- */
	{
		.name = "drop: the only fragment of a reply -> -ETIMEDOUT",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_DROP, .n = 1,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "drop: F of a 4-fragment reply -> -ETIMEDOUT, C1-C3 dropped",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_DROP, .n = 1,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "duplicate: the only fragment -> 0, the copy dropped",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_DUP, .n = 1,
	}, {
		.name = "duplicate: F of 4 -> -EIO (the copy restarts and aborts the reply)",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_DUP, .n = 1, .ret = -EIO,
	}, {
		.name = "corrupt api byte of F of 4 -> -ETIMEDOUT (F dropped)",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_CORRUPT, .n = 1,
		.arg = HDR_API, .xor = 0xff, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "corrupt type of F of 4 to notification -> -ETIMEDOUT, delivered as one",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_CORRUPT, .n = 1,
		.arg = HDR_TYPE, .xor = 0x01, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
		.notifs = 1, .notif_size = FT_HYP_RES_LEN,
	}, {
		.name = "corrupt continuation count of F of 4 -> -EIO (C1 does not match)",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_CORRUPT, .n = 1,
		.arg = HDR_TYPE, .xor = 0x04, .ret = -EIO,
	}, {
		.name = "corrupt msg_id of the only fragment -> -ETIMEDOUT (not taken)",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_CORRUPT, .n = 1,
		.arg = HDR_MSG_ID, .xor = 0x01, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "corrupt seq of the only fragment -> -ETIMEDOUT (unknown seq)",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_CORRUPT, .n = 1,
		.arg = HDR_SEQ, .xor = 0x01, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "corrupt payload (VMID byte) -> 0 with a wrong VMID: no integrity check",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_CORRUPT, .n = 1,
		.arg = GET_VMID_VMID, .xor = 0x01, .vmid_xor = 0x01,
	}, {
		.name = "delay 200 ms, timeout 2000 ms -> 0",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_DELAY, .n = 1, .arg = 200,
		.timeout_ms = 2000,
	}, {
		.name = "delay 900 ms, timeout 300 ms -> -ETIMEDOUT, the late reply dropped",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_DELAY, .n = 1, .arg = 900,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "delay 4 x 200 ms, each < timeout 300 ms -> -ETIMEDOUT (bounds the reply)",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_DELAY, .n = 4, .arg = 200,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "delay 4 x 50 ms, timeout 2000 ms -> 0, resources intact",
		.kind = FK_KNOB, .call = FC_HYP_RES, .knob = KN_DELAY, .n = 4, .arg = 50,
		.timeout_ms = 2000, .check = CHK_INTACT,
	}, {
		.name = "queue full 200 ms, timeout 10 s -> 0",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_TX_FULL, .arg = 200,
	}, {
		.name = "queue full 3000 ms, timeout 300 ms -> -ETIMEDOUT, nothing sent",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_TX_FULL, .arg = 3000,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "queue full 3000 ms, 3-fragment request -> -ETIMEDOUT, nothing sent",
		.kind = FK_KNOB, .call = FC_RAW_BIG, .knob = KN_TX_FULL, .arg = 3000,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "silent RM: every reply dropped -> -ETIMEDOUT within the timeout",
		.kind = FK_KNOB, .call = FC_GET_VMID, .knob = KN_DROP, .n = UINT_MAX,
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "silent RM: four callers at once -> each -ETIMEDOUT within the timeout",
		.kind = FK_SILENT, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	}, {
		.name = "late reply arrives while the next call waits -> -ETIMEDOUT, then 0",
		.kind = FK_LATE, .timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT,
	},
	/* ---- a scripted RM: a call waits, the test injects its reply ---- */
	{
		.name = "drop C1: F C2 C3 -> -EIO (C3, short, comes before the last)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES, .script = FT_SCRIPT(FR(0), FR(2), FR(3)),
		.ret = -EIO,
	}, {
		.name = "drop C3 (last): F C1 C2 -> -ETIMEDOUT, partial message left",
		.kind = FK_SCRIPT, .call = FC_HYP_RES, .script = FT_SCRIPT(FR(0), FR(1), FR(2)),
		.timeout_ms = FT_T_SHORT, .ret = -ETIMEDOUT, .partial = 3,
	}, {
		.name = "duplicate C1: F C1 C1 C2 C3 -> -EBADMSG (GET_HYP_RESOURCES size check)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FR(1), FR(1), FR(2), FR(3)), .ret = -EBADMSG,
	}, {
		.name = "duplicate C1, raw call: F C1 C1 C2 C3 -> 0 with C1 twice and no C3",
		.kind = FK_SCRIPT, .call = FC_RAW,
		.script = FT_SCRIPT(FR(0), FR(1), FR(1), FR(2), FR(3)),
		.check = CHK_ORDER, .order = "0112",
	}, {
		.name = "duplicate C3 (last): F C1 C2 C3 C3 -> 0, the copy dropped",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FR(1), FR(2), FR(3), FR(3)), .check = CHK_INTACT,
	}, {
		.name = "corrupt api byte of C1 -> -EIO (C1 dropped, C3 short before the last)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_API, 0xff), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt type of C1 to reply -> -EIO, C1's reply aborted at C3 (short)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_TYPE, 0x02), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt type of C1 to notification -> -EIO, the notification aborted",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_TYPE, 0x03), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt type of C1 to request -> -EIO (C1 dropped, C3 short)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_TYPE, 0x01), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt continuation count of C1 -> -EIO, C2 C3 dropped",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_TYPE, 0x04), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt msg_id of C1 -> -EIO, C2 C3 dropped",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_MSG_ID, 0x01), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "corrupt seq of C1 -> -EIO, C2 C3 dropped",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FRX(1, HDR_SEQ, 0x01), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "reorder, raw call: F C2 C1 C3 -> 0 with the payload in arrival order",
		.kind = FK_SCRIPT, .call = FC_RAW, .script = FT_SCRIPT(FR(0), FR(2), FR(1), FR(3)),
		.check = CHK_ORDER, .order = "0213",
	}, {
		.name = "reorder: F C2 C1 C3 -> 0 with scrambled resources (size still right)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FR(2), FR(1), FR(3)), .check = CHK_SCRAMBLED,
	}, {
		.name = "reorder: F C1 C3 C2 (short one not last) -> -EIO, C2 dropped",
		.kind = FK_SCRIPT, .call = FC_RAW, .script = FT_SCRIPT(FR(0), FR(1), FR(3), FR(2)),
		.ret = -EIO,
	}, {
		.name = "reorder: C1 F C2 C3 -> -EIO (C1 dropped, C3 short before the last)",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(1), FR(0), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "notification amid a reply: F N C1 C2 C3 -> -EIO, N delivered",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), NOTIF1, FR(1), FR(2), FR(3)),
		.ret = -EIO, .notifs = 1, .notif_size = 8,
	}, {
		.name = "reply amid a notification: n0 R n1 -> 0, the notification lost",
		.kind = FK_SCRIPT, .call = FC_RAW1, .script = FT_SCRIPT(NF(0), FR(0), NF(1)),
		.check = CHK_ORDER, .order = "0",
	}, {
		.name = "reply for another seq amid a reply: F U C1 C2 C3 -> -EIO",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), STRAY, FR(1), FR(2), FR(3)), .ret = -EIO,
	}, {
		.name = "reply for another seq first: U F C1 C2 C3 -> 0",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(STRAY, FR(0), FR(1), FR(2), FR(3)), .check = CHK_INTACT,
	}, {
		.name = "reply with the seq but another msg_id first: W F C1 C2 C3 -> 0",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(WRONG_ID, FR(0), FR(1), FR(2), FR(3)), .check = CHK_INTACT,
	}, {
		.name = "the whole reply twice -> 0, the second copy dropped",
		.kind = FK_SCRIPT, .call = FC_HYP_RES,
		.script = FT_SCRIPT(FR(0), FR(1), FR(2), FR(3), FR(0), FR(1), FR(2), FR(3)),
		.check = CHK_INTACT,
	},
	/* ---- injected while no call waits ---- */
	{
		.name = "idle: a reply for an unknown seq -> dropped",
		.kind = FK_IDLE, .call = FC_RAW1, .script = FT_SCRIPT(FR(0)),
	}, {
		.name = "idle: a 4-fragment reply for an unknown seq -> dropped whole",
		.kind = FK_IDLE, .call = FC_RAW, .script = FT_SCRIPT(FR(0), FR(1), FR(2), FR(3)),
	}, {
		.name = "idle: F alone -> partial left until the next message aborts it",
		.kind = FK_IDLE, .call = FC_RAW, .script = FT_SCRIPT(FR(0)), .partial = 1,
	}, {
		.name = "idle: notification n1 n0 n2 -> n1 dropped, n2 short: none delivered",
		.kind = FK_IDLE, .script = FT_SCRIPT(NF(1), NF(0), NF(2)),
	}, {
		.name = "idle: notification n0 n2 n1 -> n2 short before the last: none delivered",
		.kind = FK_IDLE, .script = FT_SCRIPT(NF(0), NF(2), NF(1)),
	},
};

/**
 * struct ft_fixture - what the whole suite shares
 * @rm: the simulator's RM client (one reference)
 * @host_vmid: what GET_VMID answers
 * @pages: the VM's image parcel: its config DTB at FT_DTB_OFF
 * @acl: the parcel's ACL: the VM and the host, RWX
 * @entry: the parcel's one memory entry
 * @parcel: the parcel
 * @vmid: the VM, initialised (READY), never started; 0 if none
 * @configured: VM_CONFIG_IMAGE succeeded (the VM must be reset)
 * @ref: its resources, as GET_HYP_RESOURCES reported them in suite_init
 * @ref_payload: the reply payload that describes @ref (error word first)
 * @ref_len: its size, FT_HYP_RES_LEN
 * @raw: the scripted reply of FC_RAW: error word 0, then 760 patterned bytes
 * @raw1: the scripted reply of FC_RAW1: error word 0, then 4 bytes
 * @big_req: the request of FC_RAW_BIG: three fragments
 * @ran: rows run
 */
static struct ft_fixture {
	struct gunyah_rm *rm;
	u16 host_vmid;
	struct page *pages;
	struct gunyah_rm_mem_acl_entry acl[2];
	struct gunyah_rm_mem_entry entry;
	struct gunyah_rm_mem_parcel parcel;
	int vmid;
	bool configured;
	struct gunyah_rm_hyp_resources *ref;
	u8 *ref_payload;
	size_t ref_len;
	u8 raw[FT_RAW_LEN];
	u8 raw1[8];
	u8 big_req[3 * FT_PER_FRAG];
	atomic_t ran;
} fx;

/**
 * struct ft_notif_rec - counts the test notifications that reach the notifier chain
 * @nb: on the RM's chain from test init to test exit
 * @count: notifications with the actions of this suite (FT_NOTIF1, FT_NOTIF3, and
 *         FT_MSG_HYP_RES for a reply mistaken for a notification)
 * @last_size: payload size of the last one
 */
struct ft_notif_rec {
	struct notifier_block nb;
	atomic_t count;
	size_t last_size;
};

/**
 * struct ft_ctx - per-test state
 * @rm: fx.rm
 * @old_timeout: rpc_timeout_ms before the test
 * @rec: the notification counter
 * @registered: @rec is on the chain
 */
struct ft_ctx {
	struct gunyah_rm *rm;
	unsigned int old_timeout;
	struct ft_notif_rec rec;
	bool registered;
};

/**
 * struct ft_result - what a call returned
 * @ret: its return value
 * @ms: how long it took
 * @resp: FC_RAW*: the reply payload (owned here)
 * @resp_size: its size
 * @res: FC_HYP_RES: the resources (owned here)
 * @vmid: FC_GET_VMID: the VMID
 */
struct ft_result {
	int ret;
	s64 ms;
	void *resp;
	size_t resp_size;
	struct gunyah_rm_hyp_resources *res;
	u16 vmid;
};

/**
 * struct ft_async - a call made by a kthread
 * @rm: the RM
 * @call: which call
 * @vmid: FC_HYP_RES: the VM
 * @r: its result, valid once @done completed
 * @done: completed by the kthread as it exits
 */
struct ft_async {
	struct gunyah_rm *rm;
	enum ft_call call;
	u16 vmid;
	struct ft_result r;
	struct completion done;
};

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */

static unsigned int ft_timeout(const struct ft_case *c)
{
	return c->timeout_ms ?: FT_T_LONG;
}

/* A sequence number of the row's own, far from those other calls use */
static u16 ft_seq(const struct ft_case *c)
{
	return 0x4000 + 4 * (c - fault_cases);
}

static u32 ft_msg_id(enum ft_call call)
{
	return call == FC_HYP_RES ? FT_MSG_HYP_RES : FT_MSG_UNKNOWN;
}

static void ft_put_hdr(u8 *frag, u8 type, u8 cont, u16 seq, u32 msg_id)
{
	frag[HDR_API] = 0x21;
	frag[HDR_TYPE] = type | (cont << 2);
	put_unaligned_le16(seq, frag + HDR_SEQ);
	put_unaligned_le32(msg_id, frag + HDR_MSG_ID);
}

/**
 * ft_reply_payload() - the reply payload a script injects for a call
 * @call: the row's call
 * @len: set to its size
 *
 * Context: any context.
 * Return: the payload, RM error word first.
 */
static const u8 *ft_reply_payload(enum ft_call call, size_t *len)
{
	switch (call) {
	case FC_HYP_RES:
		*len = fx.ref_len;
		return fx.ref_payload;
	case FC_RAW1:
		*len = sizeof(fx.raw1);
		return fx.raw1;
	default:
		*len = sizeof(fx.raw);
		return fx.raw;
	}
}

/**
 * ft_chunk() - the part of a payload that fragment @idx carries
 * @payload: the payload
 * @len: its size
 * @idx: the fragment
 * @src: set to the start of the part
 *
 * Context: any context.
 * Return: the part's size (0 past the end).
 */
static size_t ft_chunk(const u8 *payload, size_t len, unsigned int idx, const u8 **src)
{
	size_t off = (size_t)idx * FT_PER_FRAG;

	*src = payload + off;
	if (off >= len)
		return 0;
	return min_t(size_t, len - off, FT_PER_FRAG);
}

/**
 * ft_reply_frag() - write fragment @idx of a reply, as the RM would send it
 * @frag: a GUNYAH_MSGQ_MAX_MSG_SIZE buffer
 * @seq: the reply's sequence number
 * @msg_id: its message id
 * @payload: its payload, error word first
 * @len: payload size
 * @idx: the fragment (0: the first, of type REPLY)
 *
 * Context: any context.
 * Return: the fragment's size, header included.
 */
static size_t ft_reply_frag(u8 *frag, u16 seq, u32 msg_id, const u8 *payload, size_t len,
			    unsigned int idx)
{
	unsigned int cont = DIV_ROUND_UP(len, FT_PER_FRAG) - 1;
	const u8 *src;
	size_t n = ft_chunk(payload, len, idx, &src);

	ft_put_hdr(frag, idx ? GUNYAH_RM_RPC_TYPE_CONTINUATION : GUNYAH_RM_RPC_TYPE_REPLY, cont,
		   seq, msg_id);
	memcpy(frag + GUNYAH_RM_RPC_HDR_SIZE, src, n);
	return GUNYAH_RM_RPC_HDR_SIZE + n;
}

/* Fragment @idx of the three-fragment test notification (232 + 232 + 40 bytes) */
static size_t ft_notif3_frag(u8 *frag, unsigned int idx)
{
	size_t n = idx < 2 ? FT_PER_FRAG : FT_NOTIF3_LEN - 2 * FT_PER_FRAG;

	ft_put_hdr(frag, idx ? GUNYAH_RM_RPC_TYPE_CONTINUATION : GUNYAH_RM_RPC_TYPE_NOTIFICATION,
		   2, 0, FT_NOTIF3);
	memset(frag + GUNYAH_RM_RPC_HDR_SIZE, 0xa0 + idx, n);
	return GUNYAH_RM_RPC_HDR_SIZE + n;
}

/**
 * ft_inject() - queue a raw fragment for the host as if the RM had sent it
 * @msg: the fragment
 * @len: its size
 *
 * Retries while the RM-to-host queue (8 deep) is full.
 *
 * Context: process context, sleeps.
 * Return: 0 or the error of gunyah_sim_inject_rx().
 */
static int ft_inject(const void *msg, size_t len)
{
	int i, ret;

	for (i = 0; i < 500; i++) {
		ret = gunyah_sim_inject_rx(msg, len);
		if (ret != -EBUSY)
			return ret;
		usleep_range(5000, 10000);
	}
	return ret;
}

/**
 * ft_play() - inject a row's script
 * @test: the test
 * @c: the row
 * @seq: the sequence number of the reply (the waiting call's, or one nobody waits for)
 * @msg_id: the reply's message id
 *
 * Context: process context, sleeps.
 */
static void ft_play(struct kunit *test, const struct ft_case *c, u16 seq, u32 msg_id)
{
	u8 frag[GUNYAH_MSGQ_MAX_MSG_SIZE];
	const struct ft_step *s;
	const u8 *payload;
	size_t len, n = 0;

	payload = ft_reply_payload(c->call, &len);
	for (s = c->script; s->op != OP_END; s++) {
		memset(frag, 0, sizeof(frag));
		switch (s->op) {
		case OP_FRAG:
			n = ft_reply_frag(frag, seq, msg_id, payload, len, s->idx);
			frag[s->off] ^= s->xor;
			break;
		case OP_NOTIF:
			ft_put_hdr(frag, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 0, 0, FT_NOTIF1);
			memset(frag + GUNYAH_RM_RPC_HDR_SIZE, 0x11, 8);
			n = GUNYAH_RM_RPC_HDR_SIZE + 8;
			break;
		case OP_NFRAG:
			n = ft_notif3_frag(frag, s->idx);
			break;
		case OP_STRAY:
			ft_put_hdr(frag, GUNYAH_RM_RPC_TYPE_REPLY, 0, seq + 0x100, msg_id);
			n = GUNYAH_RM_RPC_HDR_SIZE + 4;	/* error word 0 */
			break;
		case OP_WRONG_ID:
			ft_put_hdr(frag, GUNYAH_RM_RPC_TYPE_REPLY, 0, seq, msg_id ^ 1);
			n = GUNYAH_RM_RPC_HDR_SIZE + 4;
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, ft_inject(frag, n), 0, "step %td", s - c->script);
	}
}

static void ft_set_next_seq(struct gunyah_rm *rm, u16 seq)
{
	xa_lock(&rm->calls);
	rm->next_seq = seq;
	xa_unlock(&rm->calls);
}

static bool ft_call_pending(struct gunyah_rm *rm, u16 seq)
{
	bool pending;

	xa_lock(&rm->calls);
	pending = !!xa_load(&rm->calls, seq);
	xa_unlock(&rm->calls);
	return pending;
}

static bool ft_calls_empty(struct gunyah_rm *rm)
{
	bool empty;

	xa_lock(&rm->calls);
	empty = xa_empty(&rm->calls);
	xa_unlock(&rm->calls);
	return empty;
}

/**
 * ft_wait_partial() - wait until rm->rx holds a partial message of @frags fragments
 * @rm: the RM
 * @frags: fragments received so far, the first included
 *
 * rm->rx belongs to the RX thread: this only reads it, with READ_ONCE(), and gives the thread
 * two seconds to drain what was injected.
 *
 * Context: process context, sleeps.
 * Return: true once seen, false after two seconds.
 */
static bool ft_wait_partial(struct gunyah_rm *rm, unsigned int frags)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(2000);

	for (;;) {
		if (READ_ONCE(rm->rx.buf) && READ_ONCE(rm->rx.fragments) == frags)
			return true;
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(1000, 2000);
	}
}

/**
 * ft_do_call() - make a row's call and time it
 * @rm: the RM
 * @call: which call
 * @vmid: FC_HYP_RES: the VM
 * @r: filled; the caller frees it with ft_free_result()
 *
 * Context: process context, sleeps (at most rpc_timeout_ms, twice when the queue is full).
 */
static void ft_do_call(struct gunyah_rm *rm, enum ft_call call, u16 vmid, struct ft_result *r)
{
	ktime_t start = ktime_get();

	switch (call) {
	case FC_GET_VMID:
		r->ret = gunyah_rm_get_vmid(rm, &r->vmid);
		break;
	case FC_HYP_RES:
		r->ret = gunyah_rm_get_hyp_resources(rm, vmid, &r->res);
		break;
	case FC_RAW:
	case FC_RAW1:
		r->ret = gunyah_rm_call(rm, FT_MSG_UNKNOWN, NULL, 0, &r->resp, &r->resp_size);
		break;
	case FC_RAW_BIG:
		r->ret = gunyah_rm_call(rm, FT_MSG_UNKNOWN, fx.big_req, sizeof(fx.big_req),
					NULL, NULL);
		break;
	}
	r->ms = ktime_ms_delta(ktime_get(), start);
}

static void ft_free_result(struct ft_result *r)
{
	kfree(r->resp);
	kfree(r->res);
	r->resp = NULL;
	r->res = NULL;
}

static int ft_async_fn(void *data)
{
	struct ft_async *ac = data;

	ft_do_call(ac->rm, ac->call, ac->vmid, &ac->r);
	kthread_complete_and_exit(&ac->done, 0);
}

/**
 * ft_async_start() - make a call from a new kthread
 * @rm: the RM
 * @call: which call
 * @vmid: FC_HYP_RES: the VM
 *
 * Not test-managed memory: if the call hangs, the kthread still uses it after the test.
 *
 * Context: process context, may sleep.
 * Return: the call, freed with ft_async_free() once ft_async_wait() saw it done; or NULL.
 */
static struct ft_async *ft_async_start(struct gunyah_rm *rm, enum ft_call call, u16 vmid)
{
	struct task_struct *task;
	struct ft_async *ac;

	ac = kzalloc(sizeof(*ac), GFP_KERNEL);
	if (!ac)
		return NULL;
	ac->rm = rm;
	ac->call = call;
	ac->vmid = vmid;
	init_completion(&ac->done);
	task = kthread_run(ft_async_fn, ac, "gh_rm_fault");
	if (IS_ERR(task)) {
		kfree(ac);
		return NULL;
	}
	return ac;
}

/**
 * ft_async_wait() - wait for a call made with ft_async_start()
 * @test: the test; fails if the call does not return
 * @ac: the call
 * @ms: how long it may take at most
 *
 * Context: process context, sleeps.
 * Return: true if it returned; false if it hangs (then @ac must be leaked).
 */
static bool ft_async_wait(struct kunit *test, struct ft_async *ac, unsigned int ms)
{
	if (wait_for_completion_timeout(&ac->done, msecs_to_jiffies(ms)))
		return true;
	KUNIT_FAIL(test, "the call has not returned after %u ms: it hangs", ms);
	return false;
}

static void ft_async_free(struct ft_async *ac)
{
	ft_free_result(&ac->r);
	kfree(ac);
}

static bool ft_res_equal(const struct gunyah_rm_hyp_resources *a,
			 const struct gunyah_rm_hyp_resources *b)
{
	const struct gunyah_rm_hyp_resource *x, *y;
	u32 i;

	if (!a || !b || a->n_entries != b->n_entries)
		return false;
	for (i = 0; i < a->n_entries; i++) {
		x = &a->entries[i];
		y = &b->entries[i];
		if (x->type != y->type || x->partner_vmid != y->partner_vmid ||
		    x->resource_handle != y->resource_handle ||
		    x->resource_label != y->resource_label || x->cap_id != y->cap_id ||
		    x->virq_handle != y->virq_handle || x->virq != y->virq ||
		    x->base != y->base || x->size != y->size)
			return false;
	}
	return true;
}

/* A successful FC_RAW* call returned the fragments in @c->order, error word stripped */
static void ft_expect_order(struct kunit *test, const struct ft_case *c,
			    const struct ft_result *r)
{
	size_t len, off = 0, n;
	const u8 *payload, *src;
	const char *p;
	u8 *want;

	want = kunit_kzalloc(test, strlen(c->order) * FT_PER_FRAG, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	payload = ft_reply_payload(c->call, &len);
	for (p = c->order; *p; p++) {
		n = ft_chunk(payload, len, *p - '0', &src);
		memcpy(want + off, src, n);
		off += n;
	}
	KUNIT_ASSERT_GE(test, off, 4);
	KUNIT_EXPECT_EQ(test, r->resp_size, off - 4);
	if (r->resp && r->resp_size == off - 4)
		KUNIT_EXPECT_EQ_MSG(test, memcmp(r->resp, want + 4, off - 4), 0,
				    "the payload is not fragments %s in that order", c->order);
}

/**
 * ft_check_result() - what the row's call returned, how long it took, what it read
 * @test: the test
 * @c: the row
 * @r: the result
 *
 * A call that times out took at least half its timeout and at most the timeout plus
 * FT_SLACK_MS; any other outcome came in less than half the timeout (not by a timeout).
 *
 * Context: process context.
 */
static void ft_check_result(struct kunit *test, const struct ft_case *c,
			    const struct ft_result *r)
{
	s64 t = ft_timeout(c);

	KUNIT_EXPECT_EQ(test, r->ret, c->ret);
	if (c->ret == -ETIMEDOUT) {
		KUNIT_EXPECT_GE(test, r->ms, t / 2);
		KUNIT_EXPECT_LE(test, r->ms, t + FT_SLACK_MS);
	} else {
		KUNIT_EXPECT_LT(test, r->ms, t / 2);
	}
	if (r->ret || c->ret)
		return;

	switch (c->call) {
	case FC_GET_VMID:
		KUNIT_EXPECT_EQ(test, r->vmid, fx.host_vmid ^ c->vmid_xor);
		break;
	case FC_HYP_RES:
		KUNIT_ASSERT_NOT_NULL(test, r->res);
		KUNIT_EXPECT_EQ(test, r->res->n_entries, fx.ref->n_entries);
		if (c->check == CHK_INTACT)
			KUNIT_EXPECT_TRUE(test, ft_res_equal(r->res, fx.ref));
		else if (c->check == CHK_SCRAMBLED)
			KUNIT_EXPECT_FALSE(test, ft_res_equal(r->res, fx.ref));
		break;
	case FC_RAW:
	case FC_RAW1:
		if (c->check == CHK_ORDER)
			ft_expect_order(test, c, r);
		break;
	case FC_RAW_BIG:
		break;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Running a row                                                                            */

static void ft_arm_knob(const struct ft_case *c)
{
	switch (c->knob) {
	case KN_DROP:
		gunyah_sim_fault_rx_drop(c->n);
		break;
	case KN_DUP:
		gunyah_sim_fault_rx_duplicate(c->n);
		break;
	case KN_CORRUPT:
		gunyah_sim_fault_rx_corrupt(c->n, c->arg, c->xor);
		break;
	case KN_DELAY:
		gunyah_sim_fault_rx_delay(c->n, c->arg);
		break;
	case KN_TX_FULL:
		gunyah_sim_fault_tx_full(c->arg);
		break;
	case KN_NONE:
		break;
	}
}

/**
 * ft_run_knob() - FK_KNOB: arm the knob, make the call against the simulated RM
 * @test: the test
 * @ctx: the test's state
 * @c: the row
 * @r: the call's result
 *
 * Context: process context, sleeps.
 */
static void ft_run_knob(struct kunit *test, struct ft_ctx *ctx, const struct ft_case *c,
			struct ft_result *r)
{
	struct gunyah_sim_counters before, after;

	gunyah_rm_test_swap_timeout(ft_timeout(c));
	gunyah_sim_get_counters(&before);
	ft_arm_knob(c);
	ft_do_call(ctx->rm, c->call, fx.vmid, r);
	gunyah_sim_get_counters(&after);

	KUNIT_EXPECT_GT_MSG(test, after.faults_injected, before.faults_injected,
			    "the knob did not fire");
	if (c->knob == KN_TX_FULL && c->ret == -ETIMEDOUT)
		KUNIT_EXPECT_EQ_MSG(test, after.tx_fragments, before.tx_fragments,
				    "a fragment reached the RM through a full queue");
}

/**
 * ft_run_script() - FK_SCRIPT: a call waits with a known seq; the test plays the RM
 * @test: the test
 * @ctx: the test's state
 * @c: the row
 * @r: the call's result
 *
 * The simulator's own reply (one fragment: UNIMPLEMENTED, or VMID_INVALID for FT_BOGUS_VMID)
 * is dropped; the script is injected once the simulator has dropped it and the call is in
 * rm->calls under the chosen seq.
 *
 * Context: process context, sleeps.
 * Return: true if the call returned and @r is valid.
 */
static bool ft_run_script(struct kunit *test, struct ft_ctx *ctx, const struct ft_case *c,
			  struct ft_result *r)
{
	struct gunyah_sim_counters before, now = { };
	u16 seq = ft_seq(c);
	struct ft_async *ac;
	int i;

	gunyah_rm_test_swap_timeout(ft_timeout(c));
	gunyah_sim_get_counters(&before);
	gunyah_sim_fault_rx_drop(1);
	ft_set_next_seq(ctx->rm, seq);
	ac = ft_async_start(ctx->rm, c->call, FT_BOGUS_VMID);
	KUNIT_ASSERT_NOT_NULL(test, ac);

	for (i = 0; i < 5000; i++) {
		gunyah_sim_get_counters(&now);
		if (now.rx_dropped > before.rx_dropped &&
		    (ft_call_pending(ctx->rm, seq) || completion_done(&ac->done)))
			break;
		usleep_range(500, 1000);
	}
	KUNIT_EXPECT_GT_MSG(test, now.rx_dropped, before.rx_dropped,
			    "the simulator did not answer the request");
	/* A call that is to time out may have done so already on a slow machine */
	if (c->ret != -ETIMEDOUT)
		KUNIT_EXPECT_TRUE_MSG(test, ft_call_pending(ctx->rm, seq),
				      "no call waits with seq %#x", seq);

	ft_play(test, c, seq, ft_msg_id(c->call));

	if (!ft_async_wait(test, ac, ft_timeout(c) + FT_T_LONG))
		return false;	/* @ac is leaked: its kthread still runs */
	*r = ac->r;
	ac->r.resp = NULL;
	ac->r.res = NULL;
	ft_async_free(ac);
	return true;
}

/**
 * ft_run_silent() - FK_SILENT: four calls at once to an RM that answers nothing
 * @test: the test
 * @ctx: the test's state
 * @c: the row
 *
 * Context: process context, sleeps.
 */
static void ft_run_silent(struct kunit *test, struct ft_ctx *ctx, const struct ft_case *c)
{
	static const enum ft_call calls[] = { FC_GET_VMID, FC_HYP_RES, FC_RAW, FC_GET_VMID };
	struct ft_async *ac[ARRAY_SIZE(calls)] = { };
	s64 t = ft_timeout(c);
	unsigned int i;

	gunyah_rm_test_swap_timeout(t);
	gunyah_sim_fault_rx_drop(UINT_MAX);
	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		ac[i] = ft_async_start(ctx->rm, calls[i], fx.vmid);
		KUNIT_EXPECT_NOT_NULL(test, ac[i]);
	}
	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		if (!ac[i] || !ft_async_wait(test, ac[i], t + FT_T_LONG))
			continue;
		KUNIT_EXPECT_EQ_MSG(test, ac[i]->r.ret, -ETIMEDOUT, "caller %u", i);
		KUNIT_EXPECT_GE_MSG(test, ac[i]->r.ms, t / 2, "caller %u", i);
		KUNIT_EXPECT_LE_MSG(test, ac[i]->r.ms, t + FT_SLACK_MS, "caller %u", i);
		ft_async_free(ac[i]);
	}
}

/**
 * ft_run_late() - FK_LATE: a call times out; its reply comes while the next call waits
 * @test: the test
 * @ctx: the test's state
 * @c: the row
 *
 * The reply is delayed three timeouts. The next call's request waits in the simulator behind
 * it, so the late reply (the old seq) arrives while the next call waits: it is dropped, and the
 * next call gets its own reply.
 *
 * Context: process context, sleeps.
 */
static void ft_run_late(struct kunit *test, struct ft_ctx *ctx, const struct ft_case *c)
{
	struct ft_result first = { }, next = { };

	gunyah_rm_test_swap_timeout(ft_timeout(c));
	gunyah_sim_fault_rx_delay(1, 3 * ft_timeout(c));
	ft_do_call(ctx->rm, FC_GET_VMID, 0, &first);
	gunyah_rm_test_swap_timeout(FT_T_LONG);
	ft_do_call(ctx->rm, FC_GET_VMID, 0, &next);

	KUNIT_EXPECT_EQ(test, first.ret, -ETIMEDOUT);
	KUNIT_EXPECT_LE(test, first.ms, (s64)ft_timeout(c) + FT_SLACK_MS);
	KUNIT_EXPECT_EQ(test, next.ret, 0);
	KUNIT_EXPECT_EQ(test, next.vmid, fx.host_vmid);
}

/**
 * ft_recover() - after a row: clear the faults and check that nothing is stuck
 * @test: the test
 * @ctx: the test's state
 * @c: the row
 *
 * Waits until the simulator has sent everything (delayed fragments included), then checks:
 * no call left in rm->calls, GET_VMID works, the RX reassembly is idle afterwards (its reply
 * came after everything else, so the RX thread has handled all of it), and the notifier chain
 * got exactly the row's test notifications.
 *
 * Context: process context, sleeps.
 */
static void ft_recover(struct kunit *test, struct ft_ctx *ctx, const struct ft_case *c)
{
	struct gunyah_rm *rm = ctx->rm;
	u16 vmid = 0;

	gunyah_sim_fault_clear();
	KUNIT_EXPECT_EQ(test, gunyah_sim_rm_wait_idle(FT_T_LONG), 0);
	gunyah_rm_test_swap_timeout(FT_T_LONG);

	KUNIT_EXPECT_TRUE_MSG(test, ft_calls_empty(rm), "a call was left in rm->calls");
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(rm, &vmid), 0);
	KUNIT_EXPECT_EQ(test, vmid, fx.host_vmid);
	KUNIT_EXPECT_TRUE_MSG(test, !READ_ONCE(rm->rx.buf), "the RX reassembly is not idle");
	KUNIT_EXPECT_TRUE_MSG(test, ft_calls_empty(rm), "a call was left in rm->calls");

	flush_workqueue(rm->notif_wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->rec.count), (int)c->notifs);
	if (c->notifs && c->notif_size)
		KUNIT_EXPECT_EQ(test, ctx->rec.last_size, c->notif_size);
}

static void fault_matrix_test(struct kunit *test)
{
	const struct ft_case *c = test->param_value;
	struct ft_ctx *ctx = test->priv;
	struct ft_result r = { };

	atomic_inc(&fx.ran);
	switch (c->kind) {
	case FK_KNOB:
		ft_run_knob(test, ctx, c, &r);
		ft_check_result(test, c, &r);
		break;
	case FK_SCRIPT:
		if (ft_run_script(test, ctx, c, &r))
			ft_check_result(test, c, &r);
		break;
	case FK_IDLE:
		KUNIT_EXPECT_TRUE(test, ft_calls_empty(ctx->rm));
		ft_play(test, c, ft_seq(c), ft_msg_id(c->call));
		break;
	case FK_SILENT:
		ft_run_silent(test, ctx, c);
		break;
	case FK_LATE:
		ft_run_late(test, ctx, c);
		break;
	}
	ft_free_result(&r);

	if (c->partial)
		KUNIT_EXPECT_TRUE_MSG(test, ft_wait_partial(ctx->rm, c->partial),
				      "no partial message of %u fragments in rm->rx", c->partial);
	ft_recover(test, ctx, c);
}

static void ft_desc(const struct ft_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fault, fault_cases, ft_desc);

/* The number of rows, as a log line; every row ran */
static void fault_count_test(struct kunit *test)
{
	kunit_info(test, "transport cases: %zu\n", ARRAY_SIZE(fault_cases));
	KUNIT_EXPECT_EQ(test, atomic_read(&fx.ran), (int)ARRAY_SIZE(fault_cases));
}

/* ---------------------------------------------------------------------------------------- */
/* Suite and test setup                                                                     */

static int ft_notif_cb(struct notifier_block *nb, unsigned long action, void *data)
{
	struct ft_notif_rec *rec = container_of(nb, struct ft_notif_rec, nb);
	const struct gunyah_rm_notif *notif = data;

	if (action != FT_NOTIF1 && action != FT_NOTIF3 && action != FT_MSG_HYP_RES)
		return NOTIFY_DONE;
	rec->last_size = notif->size;
	atomic_inc(&rec->count);
	return NOTIFY_OK;
}

static int ft_init(struct kunit *test)
{
	struct ft_ctx *ctx;

	if (!fx.rm || !fx.ref_payload)
		return -ENODEV;
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->rm = fx.rm;
	ctx->old_timeout = gunyah_rm_test_swap_timeout(FT_T_LONG);
	gunyah_sim_fault_clear();
	ctx->rec.nb.notifier_call = ft_notif_cb;
	atomic_set(&ctx->rec.count, 0);
	test->priv = ctx;
	if (gunyah_rm_notifier_register(ctx->rm, &ctx->rec.nb))
		return -EINVAL;
	ctx->registered = true;
	return 0;
}

static void ft_exit(struct kunit *test)
{
	struct ft_ctx *ctx = test->priv;

	if (!ctx)
		return;
	gunyah_sim_fault_clear();
	gunyah_sim_rm_wait_idle(FT_T_LONG);
	gunyah_rm_test_swap_timeout(ctx->old_timeout);
	if (ctx->registered)
		gunyah_rm_notifier_unregister(ctx->rm, &ctx->rec.nb);
}

/* The VM config: FT_VCPUS vCPUs, FT_BELLS doorbells (labels 5..), base address FT_VM_BASE */
static size_t ft_build_config(void *buf, size_t cap)
{
	struct gunyah_fdt *f = kzalloc(sizeof(*f), GFP_KERNEL);
	u32 labels[FT_BELLS];
	unsigned int i;
	size_t size;

	if (!f)
		return 0;
	for (i = 0; i < FT_BELLS; i++)
		labels[i] = 5 + i;
	size = gunyah_fdt_vm_config(f, buf, cap, FT_VCPUS, labels, FT_BELLS, FT_VM_BASE);
	kfree(f);
	return size;
}

/**
 * ft_encode_resources() - the GET_HYP_RESOURCES reply payload that describes @res
 * @res: resources
 * @len: set to the payload size
 *
 * Written from the wire format (gunyah-abi-facts 4.2), with the driver's structures unused.
 *
 * Context: process context, may sleep.
 * Return: the payload (error word 0, count, 44-byte entries), or NULL.
 */
static u8 *ft_encode_resources(const struct gunyah_rm_hyp_resources *res, size_t *len)
{
	const struct gunyah_rm_hyp_resource *r;
	u8 *buf, *e;
	u32 i;

	*len = 8 + (size_t)res->n_entries * FT_RES_SIZE;
	buf = kzalloc(*len, GFP_KERNEL);
	if (!buf)
		return NULL;
	put_unaligned_le32(0, buf);
	put_unaligned_le32(res->n_entries, buf + 4);
	for (i = 0, e = buf + 8; i < res->n_entries; i++, e += FT_RES_SIZE) {
		r = &res->entries[i];
		e[0] = r->type;
		put_unaligned_le16(r->partner_vmid, e + 2);
		put_unaligned_le32(r->resource_handle, e + 4);
		put_unaligned_le32(r->resource_label, e + 8);
		put_unaligned_le64(r->cap_id, e + 12);
		put_unaligned_le32(r->virq_handle, e + 20);
		put_unaligned_le32(r->virq, e + 24);
		put_unaligned_le64(r->base, e + 28);
		put_unaligned_le64(r->size, e + 36);
	}
	return buf;
}

static bool ft_wait_sim_state(u16 vmid, u8 state)
{
	struct gunyah_sim_vm_info info;
	int i;

	for (i = 0; i < 500; i++) {
		if (!gunyah_sim_vm_info(vmid, &info) && info.state == state)
			return true;
		usleep_range(10000, 20000);
	}
	return false;
}

/**
 * ft_vm_create() - the VM whose GET_HYP_RESOURCES reply spans four fragments
 *
 * Allocated, its config shared, configured and initialised (READY), never started; its
 * resources are recorded in fx.ref and encoded back into fx.ref_payload.
 *
 * Context: process context, sleeps.
 * Return: 0 or a negative errno (what was done stays for ft_vm_destroy()).
 */
static int ft_vm_create(void)
{
	size_t dtb_size;
	int ret;

	fx.parcel.mem_handle = GUNYAH_MEM_HANDLE_INVAL;
	fx.pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, FT_PARCEL_ORDER);
	if (!fx.pages)
		return -ENOMEM;
	dtb_size = ft_build_config(page_address(fx.pages) + FT_DTB_OFF,
				   (PAGE_SIZE << FT_PARCEL_ORDER) - FT_DTB_OFF);
	if (!dtb_size)
		return -ENOSPC;

	ret = gunyah_rm_alloc_vmid(fx.rm, 0);
	if (ret < 0)
		return ret;
	fx.vmid = ret;

	fx.acl[0] = (struct gunyah_rm_mem_acl_entry){ .vmid = fx.vmid,
		.perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W | GUNYAH_RM_ACL_X };
	fx.acl[1] = (struct gunyah_rm_mem_acl_entry){ .vmid = fx.host_vmid,
		.perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W | GUNYAH_RM_ACL_X };
	fx.entry = (struct gunyah_rm_mem_entry){ .phys_addr = page_to_phys(fx.pages),
						 .size = PAGE_SIZE << FT_PARCEL_ORDER };
	fx.parcel = (struct gunyah_rm_mem_parcel){ .mem_type = GUNYAH_RM_MEM_TYPE_NORMAL,
		.n_acl_entries = 2, .acl_entries = fx.acl, .n_mem_entries = 1,
		.mem_entries = &fx.entry, .mem_handle = GUNYAH_MEM_HANDLE_INVAL };
	ret = gunyah_rm_mem_share(fx.rm, &fx.parcel);
	if (ret)
		return ret;

	ret = gunyah_rm_vm_configure(fx.rm, fx.vmid, GUNYAH_RM_VM_AUTH_NONE,
				     fx.parcel.mem_handle, 0, 0, FT_DTB_OFF, dtb_size);
	if (ret)
		return ret;
	fx.configured = true;
	ret = gunyah_rm_vm_init(fx.rm, fx.vmid);
	if (ret)
		return ret;

	ret = gunyah_rm_get_hyp_resources(fx.rm, fx.vmid, &fx.ref);
	if (ret)
		return ret;
	if (fx.ref->n_entries != FT_VCPUS + FT_BELLS)
		return -EBADMSG;
	fx.ref_payload = ft_encode_resources(fx.ref, &fx.ref_len);
	if (!fx.ref_payload)
		return -ENOMEM;
	return fx.ref_len == FT_HYP_RES_LEN ? 0 : -EBADMSG;
}

/**
 * ft_vm_destroy() - undo ft_vm_create(), whatever it got to
 *
 * The parcel's pages are freed only if the RM gave the parcel back.
 *
 * Context: process context, sleeps.
 */
static void ft_vm_destroy(void)
{
	bool reclaimed = true;

	kfree(fx.ref_payload);
	fx.ref_payload = NULL;
	kfree(fx.ref);
	fx.ref = NULL;
	if (fx.vmid > 0) {
		if (fx.configured && !gunyah_rm_vm_reset(fx.rm, fx.vmid) &&
		    !ft_wait_sim_state(fx.vmid, GUNYAH_RM_VM_STATUS_RESET))
			pr_err("gunyah_rm_fault: VM %d was not reset\n", fx.vmid);
		if (fx.parcel.mem_handle != GUNYAH_MEM_HANDLE_INVAL)
			reclaimed = !gunyah_rm_mem_reclaim(fx.rm, &fx.parcel);
		if (gunyah_rm_dealloc_vmid(fx.rm, fx.vmid))
			pr_err("gunyah_rm_fault: VM %d: its VM id was not freed\n", fx.vmid);
	}
	fx.vmid = 0;
	fx.configured = false;
	if (fx.pages && reclaimed)
		__free_pages(fx.pages, FT_PARCEL_ORDER);
	else if (fx.pages)
		pr_err("gunyah_rm_fault: parcel not reclaimed, leaking its pages\n");
	fx.pages = NULL;
}

static void ft_suite_exit(struct kunit_suite *suite)
{
	if (!fx.rm)
		return;
	gunyah_sim_fault_clear();
	gunyah_sim_rm_wait_idle(FT_T_LONG);
	ft_vm_destroy();
	gunyah_rm_put(fx.rm);
	fx.rm = NULL;
}

static int ft_suite_init(struct kunit_suite *suite)
{
	struct device *dev = gunyah_sim_rm_device();
	unsigned int i;
	int ret;

	atomic_set(&fx.ran, 0);
	put_unaligned_le32(0, fx.raw);
	for (i = 4; i < sizeof(fx.raw); i++)
		fx.raw[i] = (u8)(i * 7 + 1);
	put_unaligned_le32(0, fx.raw1);
	put_unaligned_le32(0xefbeadde, fx.raw1 + 4);
	for (i = 0; i < sizeof(fx.big_req); i++)
		fx.big_req[i] = (u8)(i * 3);

	if (!dev) {
		pr_err("gunyah_rm_fault: the simulator is not loaded\n");
		return -ENODEV;
	}
	fx.rm = gunyah_rm_get_by_dev(dev);
	if (!fx.rm) {
		pr_err("gunyah_rm_fault: gunyah_rsc_mgr is not bound to the simulator\n");
		return -ENODEV;
	}
	gunyah_sim_fault_clear();
	ret = gunyah_rm_get_vmid(fx.rm, &fx.host_vmid);
	if (!ret)
		ret = ft_vm_create();
	if (ret) {
		pr_err("gunyah_rm_fault: setting up the VM failed: %d\n", ret);
		ft_suite_exit(suite);
	}
	return ret;
}

static struct kunit_case ft_test_cases[] = {
	KUNIT_CASE_PARAM(fault_matrix_test, fault_gen_params),
	KUNIT_CASE(fault_count_test),
	{}
};

static struct kunit_suite ft_suite = {
	.name = "gunyah_rm_fault",
	.suite_init = ft_suite_init,
	.suite_exit = ft_suite_exit,
	.init = ft_init,
	.exit = ft_exit,
	.test_cases = ft_test_cases,
};

kunit_test_suite(ft_suite);

MODULE_DESCRIPTION("KUnit transport fault matrix of the Gunyah RM client against the simulator");
MODULE_LICENSE("GPL");
