/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions of the simulated Gunyah hypervisor and resource manager.
 */
#ifndef _GUNYAH_SIM_INTERNAL_H
#define _GUNYAH_SIM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <gunyah/hypercall.h>
#include <gunyah/sim.h>

struct dentry;
struct fwnode_handle;
struct irq_domain;
struct platform_device;
struct task_struct;

/**
 * DOC: Locking
 *
 * There is one simulator instance (struct gunyah_sim), created at module init: the hypercall
 * API has no context argument, exactly as there is one hypervisor under a real host, so the
 * hypercalls find the instance through a single pointer (sim_get()).
 *
 * Locks, outermost first:
 *
 * 1. &gunyah_sim.rm.lock (mutex): the RM's world: the VM table, parcels, the range tree, the
 *    reassembly state, the last request. Held by the RM thread while it handles one fragment
 *    (including while it waits for room in the RX queue), and by the test helpers and debugfs
 *    readers. Sleeps.
 * 2. &gunyah_sim.lock (spinlock, always taken with irqsave): the hypervisor's world: the
 *    message queues, doorbell flags and masks, vCPU run state, VM run state (state, exit
 *    info, image pointer, object arrays), the virq allocator, the fault knobs, and removals
 *    from the capability table. Hypercalls take only this lock, so they may be called from
 *    any context (bell_send from an eventfd wakeup under a waitqueue lock, msgq_* from
 *    threaded IRQs); it is never held while sleeping.
 * 3. The xarray lock of &gunyah_sim.caps nests inside &gunyah_sim.lock (xa_erase()); it is
 *    only ever taken with interrupts disabled. Lookups are RCU (xa_load()) under
 *    &gunyah_sim.lock, so an object found cannot be freed before the lock is dropped.
 *
 * Interrupt delivery takes no lock: pending and masked bits are atomic bitops, and the
 * irq_work handler (hard interrupt context) calls generic_handle_domain_irq() with no
 * simulator lock held. The irq_chip callbacks run under the irq descriptor's raw lock and
 * only touch those bits.
 *
 * Fields written by the RM under &gunyah_sim.rm.lock that vcpu_run reads (VM state, base
 * address, objects, image parcel) are written with &gunyah_sim.lock held as well. A VM's state
 * goes RUNNING -> EXITED under &gunyah_sim.lock alone when a guest powers off.
 *
 * vcpu_run does not sleep. It executes one instruction per &gunyah_sim.lock section and marks
 * the vCPU running in between; the RM waits on &gunyah_sim.vcpu_wq for running vCPUs to
 * return before it frees them.
 *
 * The image parcel of a RUNNING VM is immutable (complete, accepted, so neither appended to
 * nor reclaimed) until VM_RESET clears &sim_vm.image under &gunyah_sim.lock; this is what
 * lets vcpu_run walk its entries under &gunyah_sim.lock only.
 *
 * The VM and parcel xarrays (&sim_rm.vms, &sim_rm.parcels) are only used under
 * &gunyah_sim.rm.lock, in process context; their internal locks nest inside it.
 *
 * Wake-ups of &sim_rm.wq and &gunyah_sim.vcpu_wq are issued after &gunyah_sim.lock is
 * dropped. &gunyah_sim.tx_full_timer and the irq_work take no simulator lock.
 */

#define SIM_MSGQ_DEPTH		8
#define SIM_MSGQ_MSG_SIZE	GUNYAH_MSGQ_MAX_MSG_SIZE

/* Interrupts, in GIC numbering (hwirq == virq) */
#define SIM_VIRQ_RM_TX		32
#define SIM_VIRQ_RM_RX		33
#define SIM_VIRQ_FIRST_DYN	64
#define SIM_VIRQ_MAX		1019
#define SIM_NR_HWIRQ		(SIM_VIRQ_MAX + 1)
#define SIM_VIRQ_NONE		U32_MAX

/* Capability ids handed out */
#define SIM_CAP_FIRST		0x100
#define SIM_CAP_LAST		0xffffff

#define SIM_HOST_VMID		3
#define SIM_MAX_VCPUS		32
#define SIM_MAX_BELLS		64
#define SIM_DEFAULT_PARCEL_LIMIT 64

/* RM protocol */
#define SIM_RM_HDR_SIZE		8
#define SIM_RM_FRAG_PAYLOAD	(SIM_MSGQ_MSG_SIZE - SIM_RM_HDR_SIZE)
#define SIM_RM_MAX_CONT		62
#define SIM_RM_MAX_PAYLOAD	((SIM_RM_MAX_CONT + 1) * SIM_RM_FRAG_PAYLOAD)

/* RM error codes */
#define RM_OK			0x0
#define RM_ERR_UNIMPLEMENTED	0xffffffff
#define RM_ERR_NOMEM		0x1
#define RM_ERR_NORESOURCE	0x2
#define RM_ERR_DENIED		0x3
#define RM_ERR_MSG_INVALID	0x4
#define RM_ERR_BUSY		0x5
#define RM_ERR_ARG_INVALID	0x6
#define RM_ERR_HANDLE_INVALID	0x7
#define RM_ERR_VALIDATE_FAILED	0x8
#define RM_ERR_MAP_FAILED	0x9
#define RM_ERR_MEM_INVALID	0xa
#define RM_ERR_MEM_INUSE	0xb
#define RM_ERR_MEM_RELEASED	0xc
#define RM_ERR_VMID_INVALID	0xd
#define RM_ERR_LOOKUP_FAILED	0xe
#define RM_ERR_VM_STATE		0x14

/* RM VM status values (VM_STATUS notification, VM_GET_STATE) */
#define RM_VM_NO_STATE		0
#define RM_VM_INIT		1
#define RM_VM_READY		2
#define RM_VM_RUNNING		3
#define RM_VM_PAUSED		4
#define RM_VM_LOAD		5
#define RM_VM_AUTH		6
#define RM_VM_INIT_FAILED	8
#define RM_VM_EXITED		9
#define RM_VM_RESETTING		10
#define RM_VM_RESET		11

/* RM message ids */
#define RM_MSG_VM_ALLOC_VMID	0x56000001
#define RM_MSG_VM_DEALLOC_VMID	0x56000002
#define RM_MSG_VM_START		0x56000004
#define RM_MSG_VM_STOP		0x56000005
#define RM_MSG_VM_RESET		0x56000006
#define RM_MSG_VM_CONFIG_IMAGE	0x56000009
#define RM_MSG_VM_INIT		0x5600000b
#define RM_MSG_VM_GET_STATE	0x56000017
#define RM_MSG_VM_GET_HYP_RES	0x56000020
#define RM_MSG_VM_GET_VMID	0x56000024
#define RM_MSG_VM_SET_BOOT_CTX	0x56000031
#define RM_MSG_MEM_LEND		0x51000012
#define RM_MSG_MEM_SHARE	0x51000013
#define RM_MSG_MEM_RECLAIM	0x51000015
#define RM_MSG_MEM_APPEND	0x51000018
#define RM_NOTIF_VM_EXITED	0x56100001
#define RM_NOTIF_VM_STATUS	0x56100008
#define RM_NOTIF_MEM_RELEASED	0x51100012

/* Largest VM config DTB VM_INIT reads */
#define SIM_MAX_DTB_SIZE	SZ_1M

/* Flattened devicetree (DTB) format, as sim_fdt.c reads it */
#define SIM_FDT_MAGIC		0xd00dfeedU
#define SIM_FDT_HEADER_SIZE	40
#define SIM_FDT_MAX_DEPTH	64	/* nodes open at once, the root included */

#define RM_EXIT_TYPE_FORCE_STOPPED 7

/* RM memory rights */
#define RM_PERM_X		BIT(0)
#define RM_PERM_W		BIT(1)
#define RM_PERM_R		BIT(2)
#define RM_PERM_RWX		(RM_PERM_R | RM_PERM_W | RM_PERM_X)

/**
 * enum sim_counter - indexes of &gunyah_sim.counters, in struct gunyah_sim_counters order
 * @SIM_CNT_RM_REQUESTS: &gunyah_sim_counters.rm_requests
 * @SIM_CNT_RM_REPLIES: &gunyah_sim_counters.rm_replies
 * @SIM_CNT_RM_NOTIFICATIONS: &gunyah_sim_counters.rm_notifications
 * @SIM_CNT_TX_FRAGMENTS: &gunyah_sim_counters.tx_fragments
 * @SIM_CNT_RX_FRAGMENTS: &gunyah_sim_counters.rx_fragments
 * @SIM_CNT_RX_DROPPED: &gunyah_sim_counters.rx_dropped
 * @SIM_CNT_TX_DROPPED: &gunyah_sim_counters.tx_dropped
 * @SIM_CNT_PARCELS_LIVE: &gunyah_sim_counters.parcels_live
 * @SIM_CNT_PARCELS_TOTAL: &gunyah_sim_counters.parcels_total
 * @SIM_CNT_MEM_APPEND_MSGS: &gunyah_sim_counters.mem_append_msgs
 * @SIM_CNT_PAGES_SHARED: &gunyah_sim_counters.pages_shared
 * @SIM_CNT_VMIDS_LIVE: &gunyah_sim_counters.vmids_live
 * @SIM_CNT_BELL_SENDS: &gunyah_sim_counters.bell_sends
 * @SIM_CNT_VCPU_RUNS: &gunyah_sim_counters.vcpu_runs
 * @SIM_CNT_MMIO_EXITS: &gunyah_sim_counters.mmio_exits
 * @SIM_CNT_FAULTS_INJECTED: &gunyah_sim_counters.faults_injected
 * @SIM_CNT_RM_CYCLES: &gunyah_sim_counters.rm_cycles
 * @SIM_CNT_NR: the number of counters
 */
enum sim_counter {
	SIM_CNT_RM_REQUESTS,
	SIM_CNT_RM_REPLIES,
	SIM_CNT_RM_NOTIFICATIONS,
	SIM_CNT_TX_FRAGMENTS,
	SIM_CNT_RX_FRAGMENTS,
	SIM_CNT_RX_DROPPED,
	SIM_CNT_TX_DROPPED,
	SIM_CNT_PARCELS_LIVE,
	SIM_CNT_PARCELS_TOTAL,
	SIM_CNT_MEM_APPEND_MSGS,
	SIM_CNT_PAGES_SHARED,
	SIM_CNT_VMIDS_LIVE,
	SIM_CNT_BELL_SENDS,
	SIM_CNT_VCPU_RUNS,
	SIM_CNT_MMIO_EXITS,
	SIM_CNT_FAULTS_INJECTED,
	SIM_CNT_RM_CYCLES,
	SIM_CNT_NR,
};

/**
 * enum sim_obj_type - kinds of objects a capability names
 * @SIM_OBJ_MSGQ_TX: the sending end of a message queue
 * @SIM_OBJ_MSGQ_RX: the receiving end of a message queue
 * @SIM_OBJ_BELL: a doorbell (send end)
 * @SIM_OBJ_VCPU: a vCPU
 */
enum sim_obj_type {
	SIM_OBJ_MSGQ_TX,
	SIM_OBJ_MSGQ_RX,
	SIM_OBJ_BELL,
	SIM_OBJ_VCPU,
};

/**
 * struct sim_cap - capability table entry, embedded in the object it names
 * @type: what the object is; immutable
 * @id: the capability id; set before the entry is published, then immutable
 */
struct sim_cap {
	enum sim_obj_type type;
	u64 id;
};

/**
 * struct sim_msgq - a message queue of SIM_MSGQ_DEPTH messages; all fields under
 *                   &gunyah_sim.lock except @cap
 * @cap: the host's end (TX end for the host-to-RM queue, RX end for RM-to-host)
 * @msg: the ring
 * @len: size of each message in @msg
 * @head: index of the oldest message
 * @count: messages queued
 */
struct sim_msgq {
	struct sim_cap cap;
	u8 msg[SIM_MSGQ_DEPTH][SIM_MSGQ_MSG_SIZE];
	u16 len[SIM_MSGQ_DEPTH];
	unsigned int head;
	unsigned int count;
};

struct sim_vm;
struct sim_parcel;

/**
 * struct sim_bell - a doorbell; run-time fields under &gunyah_sim.lock
 * @cap: the host's send capability
 * @vm: the VM it belongs to; immutable
 * @label: label from the VM config; immutable
 * @res_handle: RM resource handle; immutable
 * @flags: the flag word
 * @enable: enable mask
 * @ack: ack mask
 * @sends: bell_send calls
 * @taken: times a guest took the interrupt
 * @last_taken: flags seen when it was last taken
 */
struct sim_bell {
	struct sim_cap cap;
	struct sim_vm *vm;
	u32 label;
	u32 res_handle;
	u64 flags;
	u64 enable;
	u64 ack;
	u64 sends;
	u64 taken;
	u64 last_taken;
};

/**
 * struct sim_vcpu - a vCPU; run-time fields under &gunyah_sim.lock
 * @cap: its capability
 * @vm: the VM it belongs to; immutable
 * @index: index in the VM config (its resource label); immutable
 * @virq: its interrupt; immutable
 * @res_handle: RM resource handle; immutable
 * @running: a vcpu_run is executing it; keeps the object alive (see DOC: Locking)
 * @powered_off: off (before VM_START, after the VM exited)
 * @faulted: stopped by a guest fault; @fault_data says why
 * @started: @prog_gpa is valid (the program header was read)
 * @waiting: waiting for doorbell @wait_label
 * @mmio_read_pending: the next vcpu_run completes an MMIO read
 * @mmio_check: that read is checked against @mmio_expect
 * @mmio_len: its size
 * @wait_label: doorbell label waited for
 * @pc: index of the next instruction
 * @prog_gpa: guest address of instruction 0
 * @loop_count: LOOP iterations done
 * @mmio_expect: expected value of the pending read
 * @fault_data: state_data reported with FAULT
 * @runs: vcpu_run calls that ran it
 */
struct sim_vcpu {
	struct sim_cap cap;
	struct sim_vm *vm;
	u32 index;
	u32 virq;
	u32 res_handle;
	bool running;
	bool powered_off;
	bool faulted;
	bool started;
	bool waiting;
	bool mmio_read_pending;
	bool mmio_check;
	u32 mmio_len;
	u32 wait_label;
	u32 pc;
	u64 prog_gpa;
	u64 loop_count;
	u64 mmio_expect;
	u64 fault_data[3];
	u64 runs;
};

/**
 * struct sim_vm_config - what VM_INIT read from the VM config DTB
 * @base: /qcom,vm-config/memory base-address
 * @n_vcpus: number of vCPUs
 * @n_bells: number of doorbells
 * @bell_labels: their labels
 */
struct sim_vm_config {
	u64 base;
	u32 n_vcpus;
	u32 n_bells;
	u32 bell_labels[SIM_MAX_BELLS];
};

/**
 * struct sim_vm - a VM the RM manages
 * @vmid: its VMID; immutable
 * @born: rm.generation when it was allocated: parcels older than it were shared with an earlier
 *        VM that had the same VMID, and it never takes them; immutable
 * @owner: the VM that allocated it (always the host); immutable
 * @state: RM_VM_* (rm.lock and &gunyah_sim.lock to write, except RUNNING -> EXITED by a guest
 *         which holds &gunyah_sim.lock only; read under either for states a guest cannot leave)
 * @notify_off: no more VM_STATUS (after RESET) (rm.lock)
 * @image_handle: parcel named by CONFIG_IMAGE, U32_MAX before (rm.lock)
 * @image_offset: from CONFIG_IMAGE (rm.lock)
 * @image_size: from CONFIG_IMAGE (rm.lock)
 * @dtb_offset: from CONFIG_IMAGE (rm.lock)
 * @dtb_size: from CONFIG_IMAGE (rm.lock)
 * @boot_pc_set: @boot_pc is valid (rm.lock)
 * @boot_pc: PC from SET_BOOT_CONTEXT (rm.lock; copied to @entry under both locks at START)
 * @boot_x: X registers from SET_BOOT_CONTEXT (rm.lock)
 * @boot_sp: SP registers from SET_BOOT_CONTEXT (rm.lock)
 * @base: guest address of the image parcel (both locks to write)
 * @entry: guest address of the program header (both locks to write)
 * @image: the image parcel while the VM holds it (both locks to write)
 * @n_vcpus: entries of @vcpus (both locks to write)
 * @vcpus: the vCPUs (both locks to write)
 * @n_bells: entries of @bells (both locks to write)
 * @bells: the doorbells (both locks to write)
 * @exited: the VM exited (&gunyah_sim.lock)
 * @exit_pending: VM_STATUS(EXITED) + VM_EXITED still to send (&gunyah_sim.lock)
 * @exit_type: exit type (&gunyah_sim.lock)
 * @exit_reason_size: reason size, 4 or 8 (&gunyah_sim.lock)
 * @exit_reason: reason bytes (&gunyah_sim.lock)
 */
struct sim_vm {
	u16 vmid;
	u64 born;
	u16 owner;
	u8 state;
	bool notify_off;
	u32 image_handle;
	u64 image_offset;
	u64 image_size;
	u64 dtb_offset;
	u64 dtb_size;
	bool boot_pc_set;
	u64 boot_pc;
	u64 boot_x[GUNYAH_SIM_BOOT_X_REGS];
	u64 boot_sp[GUNYAH_SIM_BOOT_SP_REGS];
	u64 base;
	u64 entry;
	struct sim_parcel *image;
	u32 n_vcpus;
	struct sim_vcpu *vcpus;
	u32 n_bells;
	struct sim_bell *bells;
	bool exited;
	bool exit_pending;
	u16 exit_type;
	u32 exit_reason_size;
	u8 exit_reason[8];
};

/* Pages per block of the RM's record of the memory in parcels (sim_rm_mem.c): 64 MiB */
#define SIM_PFN_BLOCK_PFNS	(SZ_64M / PAGE_SIZE)

/**
 * struct sim_range - one memory entry of a parcel
 * @node: in &sim_rm.ranges if part of the entry lies above &sim_rm.ram_end_pfn (rm.lock)
 * @start: host physical address
 * @size: size in bytes
 */
struct sim_range {
	struct rb_node node;
	u64 start;
	u64 size;
};

/**
 * struct sim_chunk - the memory entries of one SHARE/LEND/APPEND message; immutable once
 *                    added to its parcel (rm.lock)
 * @node: in &sim_parcel.chunks (rm.lock)
 * @n: entries in @r, at least 1
 * @r: the entries, in message order
 */
struct sim_chunk {
	struct list_head node;
	u32 n;
	struct sim_range r[] __counted_by(n);
};

/**
 * struct sim_acl - one ACL entry of a parcel (rm.lock)
 * @vmid: the VM
 * @perms: RM rights
 * @accepted: the VM holds the parcel
 */
struct sim_acl {
	u16 vmid;
	u8 perms;
	bool accepted;
};

/**
 * struct sim_parcel - a memory parcel (rm.lock; see DOC: Locking for the image parcel)
 * @handle: its handle; immutable
 * @born: rm.generation when it was created; immutable
 * @label: label from the request; immutable
 * @trans_type: GUNYAH_SIM_PARCEL_SHARE or GUNYAH_SIM_PARCEL_LEND; immutable
 * @mem_type: NORMAL 0, IO 1; immutable
 * @pending: APPEND given, END not yet received
 * @readable: every page is in-use System RAM (checked at VM_START); guest reads allowed
 * @n_acl: entries of @acl
 * @acl: the ACL
 * @chunks: list of struct sim_chunk, in order
 * @n_entries: memory entries over all chunks
 * @bytes: total size
 */
struct sim_parcel {
	u32 handle;
	u64 born;
	u32 label;
	u8 trans_type;
	u8 mem_type;
	bool pending;
	bool readable;
	u32 n_acl;
	struct sim_acl *acl;
	struct list_head chunks;
	u32 n_entries;
	u64 bytes;
};

/**
 * struct sim_faults - fault knobs and behaviour switches (&gunyah_sim.lock)
 * @rx_drop: RM-to-host fragments still to drop
 * @rx_dup: fragments still to duplicate
 * @rx_corrupt: fragments still to corrupt
 * @corrupt_offset: byte to corrupt (clamped to the fragment)
 * @corrupt_xor: XOR mask applied to it
 * @rx_delay: fragments still to delay
 * @delay_ms: delay of each
 * @rpc_nth: fail the nth next matching RPC (0 = off)
 * @rpc_msg_id: match only this message id (0 = any)
 * @rpc_error: RM error to reply with
 * @rpc_count: once the nth matched, how many matching RPCs in a row fail (at least 1)
 * @lose_nth: handle the nth next matching RPC but lose its reply (0 = off)
 * @lose_msg_id: match only this message id (0 = any)
 * @tx_full: msgq_send reports FULL until @tx_full_until
 * @tx_full_until: jiffies
 * @vcpu_retry: vcpu_run calls still to answer RETRY
 * @rx_retry: msgq_recv calls on a non-empty RM-to-host queue still to answer RETRY
 * @reset_reply_early: VM_RESET replies after VM_STATUS(RESETTING), before the rest (as the
 *                     open-source RM does); default: everything before the reply
 * @image_lend_only: production RM rule: START accepts the image parcel only as a LEND whose
 *                   ACL is exactly {VM, RWX}
 * @parcel_limit: live parcels allowed (the RM's per-owner limit)
 */
struct sim_faults {
	unsigned int rx_drop;
	unsigned int rx_dup;
	unsigned int rx_corrupt;
	unsigned int corrupt_offset;
	u8 corrupt_xor;
	unsigned int rx_delay;
	unsigned int delay_ms;
	unsigned int rpc_nth;
	u32 rpc_msg_id;
	u32 rpc_error;
	unsigned int rpc_count;
	unsigned int lose_nth;
	u32 lose_msg_id;
	bool tx_full;
	unsigned long tx_full_until;
	unsigned int vcpu_retry;
	unsigned int rx_retry;
	bool reset_reply_early;
	bool image_lend_only;
	unsigned int parcel_limit;
};

/**
 * struct sim_rm - state of the RM emulator (all under @lock unless said otherwise)
 * @lock: see DOC: Locking
 * @thread: the RM thread; immutable while it runs
 * @wq: the RM thread waits here for work or room in the RX queue (no lock)
 * @idle_wq: gunyah_sim_rm_wait_idle() waits here (no lock)
 * @asm_buf: reassembly buffer, SIM_RM_MAX_PAYLOAD bytes
 * @asm_active: a multi-fragment message is being assembled
 * @asm_type: its message type
 * @asm_count: its continuation count
 * @asm_got: continuations received
 * @asm_seq: its sequence number
 * @asm_msg_id: its message id
 * @asm_len: bytes in @asm_buf
 * @out_buf: reply payload buffer (error word + data), SIM_RM_MAX_PAYLOAD bytes
 * @notif_seq: sequence number of the next notification
 * @vms: VMID -> struct sim_vm
 * @parcels: handle -> struct sim_parcel
 * @next_handle: cyclic handle allocator state
 * @generation: counts VM allocations and parcel creations, to order them
 * @ram_end_pfn: the page after the last System RAM when the simulator was loaded; constant
 * @pfn_blocks: the pages below @ram_end_pfn in a live parcel: block index -> struct
 *              sim_pfn_block (sim_rm_mem.c)
 * @ranges: the parts above @ram_end_pfn of the memory entries of live parcels, by address
 *          (no overlaps)
 * @next_res_handle: next resource handle
 * @n_parcels: live parcels
 * @last: the last request
 * @have_last: @last is valid
 * @busy_since: get_cycles() when the RM thread began or resumed handling a fragment (the RM
 *              thread's own, read and written only by it)
 */
struct sim_rm {
	struct mutex lock; /* see above */
	struct task_struct *thread;
	wait_queue_head_t wq;
	wait_queue_head_t idle_wq;
	u8 *asm_buf;
	bool asm_active;
	u8 asm_type;
	u8 asm_count;
	u8 asm_got;
	u16 asm_seq;
	u32 asm_msg_id;
	size_t asm_len;
	u8 *out_buf;
	u16 notif_seq;
	struct xarray vms;
	struct xarray parcels;
	u32 next_handle;
	u64 generation;
	unsigned long ram_end_pfn;
	struct xarray pfn_blocks;
	struct rb_root ranges;
	u32 next_res_handle;
	u32 n_parcels;
	struct gunyah_sim_request last;
	bool have_last;
	cycles_t busy_since;
};

/**
 * struct gunyah_sim - the simulator
 * @lock: see DOC: Locking
 * @caps: capability id -> struct sim_cap (insert: xa_alloc_irq(); erase: under @lock)
 * @txq: host-to-RM queue (@lock)
 * @rxq: RM-to-host queue (@lock)
 * @virq_used: allocated virqs (@lock)
 * @faults: fault knobs (@lock)
 * @exits_pending: some VM has exit notifications to send (@lock)
 * @vcpu_wq: the RM waits here for vCPUs to leave vcpu_run (no lock)
 * @fwnode: the irq domain's fwnode; immutable
 * @domain: the irq domain ("GIC"); immutable
 * @irq_work: delivers pending interrupts (no lock)
 * @irq_pending: raised, not yet delivered (atomic bitops)
 * @irq_masked: masked by the irq_chip (atomic bitops)
 * @host_tx_irq: Linux irq of virq 32; immutable
 * @host_rx_irq: Linux irq of virq 33; immutable
 * @tx_full_timer: raises the TX interrupt when a forced FULL window ends; armed and deleted
 *                 without a simulator lock (the timer core's own), its function takes none
 * @rm: the RM
 * @counters: statistics (atomic)
 * @pdev: the RM platform device; immutable while registered
 * @debugfs: debugfs directory; set at module init, immutable
 */
struct gunyah_sim {
	spinlock_t lock; /* see above */
	struct xarray caps;
	struct sim_msgq txq;
	struct sim_msgq rxq;
	DECLARE_BITMAP(virq_used, SIM_NR_HWIRQ);
	struct sim_faults faults;
	bool exits_pending;
	wait_queue_head_t vcpu_wq;

	struct fwnode_handle *fwnode;
	struct irq_domain *domain;
	struct irq_work irq_work;
	DECLARE_BITMAP(irq_pending, SIM_NR_HWIRQ);
	DECLARE_BITMAP(irq_masked, SIM_NR_HWIRQ);
	unsigned int host_tx_irq;
	unsigned int host_rx_irq;
	struct timer_list tx_full_timer;

	struct sim_rm rm;
	atomic64_t counters[SIM_CNT_NR];

	struct platform_device *pdev;
	struct dentry *debugfs;
};

static inline void sim_count(struct gunyah_sim *sim, enum sim_counter c)
{
	atomic64_inc(&sim->counters[c]);
}

static inline void sim_count_add(struct gunyah_sim *sim, enum sim_counter c, s64 v)
{
	atomic64_add(v, &sim->counters[c]);
}

/* sim_main.c */
struct gunyah_sim *sim_get(void);
const char *sim_counter_name(enum sim_counter c);

/* sim_debugfs.c */
void sim_debugfs_init(struct gunyah_sim *sim);

/* sim_hyp.c */
int sim_hyp_init(struct gunyah_sim *sim);
void sim_hyp_exit(struct gunyah_sim *sim);
int sim_cap_add(struct gunyah_sim *sim, struct sim_cap *cap, enum sim_obj_type type);
void sim_cap_remove_locked(struct gunyah_sim *sim, struct sim_cap *cap);
struct sim_cap *sim_cap_lookup_locked(struct gunyah_sim *sim, u64 capid,
				      enum sim_obj_type type, enum gunyah_error *err);
void sim_irq_raise(struct gunyah_sim *sim, u32 virq);
u32 sim_virq_alloc_locked(struct gunyah_sim *sim);
void sim_virq_free_locked(struct gunyah_sim *sim, u32 virq);
bool sim_txq_pop(struct gunyah_sim *sim, u8 *buf, size_t *len);
bool sim_txq_has_work(struct gunyah_sim *sim);
int sim_rxq_push(struct gunyah_sim *sim, const u8 *buf, size_t len, bool push);
bool sim_rxq_has_room(struct gunyah_sim *sim);
void sim_tx_full_timer_fn(struct timer_list *t);

/**
 * struct sim_rm_req - a reassembled RM request
 * @msg_id: message id
 * @seq: sequence number
 * @buf: payload
 * @len: payload size
 */
struct sim_rm_req {
	u32 msg_id;
	u16 seq;
	const u8 *buf;
	size_t len;
};

/**
 * struct sim_rm_resp - what an RPC handler answers besides its error code
 * @data: reply data buffer (after the error word), SIM_RM_MAX_PAYLOAD - 4 bytes
 * @len: bytes of @data to send (sent only on success)
 * @reset_vm: finish resetting this VM after the reply (reset_reply_early)
 */
struct sim_rm_resp {
	u8 *data;
	size_t len;
	struct sim_vm *reset_vm;
};

/* An RPC handler: decodes @req, acts, fills @resp; returns an RM error code. */
typedef u32 (*sim_rm_handler_t)(struct gunyah_sim *sim, const struct sim_rm_req *req,
				struct sim_rm_resp *resp);

/* sim_rm.c */
int sim_rm_init(struct gunyah_sim *sim);
void sim_rm_exit(struct gunyah_sim *sim);
void sim_rm_record(struct gunyah_sim *sim, u64 value);
void sim_rm_notify(struct gunyah_sim *sim, u32 msg_id, const u8 *payload, size_t len);

/* sim_rm_vm.c */
sim_rm_handler_t sim_rm_find_handler(u32 msg_id);
void sim_rm_flush_exits(struct gunyah_sim *sim);
void sim_rm_reset_finish(struct gunyah_sim *sim, struct sim_vm *vm);
void sim_rm_vm_free(struct gunyah_sim *sim, struct sim_vm *vm);
void sim_rm_fill_vm_info(struct gunyah_sim *sim, struct sim_vm *vm,
			 struct gunyah_sim_vm_info *info);

/* sim_fdt.c (exported to KUnit suites when CONFIG_KUNIT is enabled) */
u32 gunyah_sim_fdt_parse_config(const void *blob, size_t size, struct sim_vm_config *cfg);

/* sim_rm_mem.c */
u32 sim_rm_mem_share(struct gunyah_sim *sim, u32 msg_id, const u8 *buf, size_t len,
		     u8 *out, size_t *out_len);
u32 sim_rm_mem_append(struct gunyah_sim *sim, const u8 *buf, size_t len);
u32 sim_rm_mem_reclaim(struct gunyah_sim *sim, const u8 *buf, size_t len);
struct sim_parcel *sim_parcel_find(struct gunyah_sim *sim, u32 handle);
bool sim_parcel_has_vm(const struct sim_parcel *p, u16 vmid);
u32 sim_mem_vm_start(struct gunyah_sim *sim, struct sim_vm *vm, struct sim_parcel **image);
void sim_mem_vm_release(struct gunyah_sim *sim, struct sim_vm *vm);
u32 sim_mem_vm_accepted(struct gunyah_sim *sim, u16 vmid);
u32 sim_vm_read_config(struct gunyah_sim *sim, struct sim_vm *vm, struct sim_vm_config *cfg);
bool sim_guest_read_locked(struct sim_vm *vm, u64 gpa, void *dst, size_t len);
void sim_rm_mem_destroy(struct gunyah_sim *sim);
void sim_parcel_fill_info(const struct sim_parcel *p, struct gunyah_sim_parcel_info *info);

/* sim_vcpu.c */
u32 sim_vm_create_objects(struct gunyah_sim *sim, struct sim_vm *vm,
			  const struct sim_vm_config *cfg);
void sim_vm_destroy_objects(struct gunyah_sim *sim, struct sim_vm *vm);
void sim_vm_power_on_locked(struct gunyah_sim *sim, struct sim_vm *vm);
void sim_vm_exit_locked(struct gunyah_sim *sim, struct sim_vm *vm, u16 exit_type,
			u64 reason, u32 reason_size, bool defer_notify);
void sim_bell_update_locked(struct gunyah_sim *sim, struct sim_bell *bell);
struct sim_bell *sim_vm_find_bell_locked(struct sim_vm *vm, u32 label);

#endif
