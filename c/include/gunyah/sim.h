/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test interface of the simulated Gunyah hypervisor and resource manager (gunyah_sim.ko).
 *
 * KUnit suites use these functions to look inside the simulator (what the RM decoded, which
 * VMs, parcels and doorbells exist) and to inject faults. The same knobs exist in debugfs
 * under gunyah_sim/. Only gunyah_sim.ko provides them: code that also runs on real hardware
 * must not call them.
 */
#ifndef _GUNYAH_SIM_H
#define _GUNYAH_SIM_H

#include <linux/types.h>

struct device;

/*
 * GUNYAH_SIM_RM_MSG_PAD_REPLY - an RPC only the simulated RM implements (a real RM answers
 * UNIMPLEMENTED), for measuring how the RM client receives replies of every size. The request
 * is {le32 size}; the reply is successful and carries @size bytes of data after its error
 * word, byte i being (u8)i: up to GUNYAH_SIM_RM_PAD_REPLY_MAX bytes, which with the error word
 * fill 63 fragments, the most a reply can have. A larger size or another request length is
 * ARG_INVALID / MSG_INVALID.
 */
#define GUNYAH_SIM_RM_MSG_PAD_REPLY	0x5600ff10U
#define GUNYAH_SIM_RM_PAD_REPLY_MAX	(63U * 232U - 4U)

/**
 * struct gunyah_sim_counters - a snapshot of the simulator's counters
 * @rm_requests: complete RM requests dispatched
 * @rm_replies: RM replies sent
 * @rm_notifications: RM notifications sent
 * @tx_fragments: fragments the host sent to the RM (msgq_send accepted)
 * @rx_fragments: fragments queued for the host (RM and gunyah_sim_inject_rx())
 * @rx_dropped: RM-to-host fragments dropped (fault injection or shutdown)
 * @tx_dropped: host-to-RM fragments the RM dropped (malformed, unexpected, not a request)
 * @parcels_live: memory parcels that exist
 * @parcels_total: memory parcels ever created
 * @mem_append_msgs: MEM_APPEND requests received
 * @pages_shared: pages in live parcels
 * @vmids_live: allocated VMIDs
 * @bell_sends: successful bell_send hypercalls
 * @vcpu_runs: vcpu_run hypercalls that ran the vCPU (not BUSY, not injected RETRY)
 * @mmio_exits: VMMIO_READ and VMMIO_WRITE exits
 * @faults_injected: faults the knobs injected (each dropped, duplicated, corrupted or delayed
 *                   fragment, failed RPC, refused send, RETRY, injected fragment)
 * @rm_cycles: time the RM thread spent handling what the host sent, in ticks of the CPU's
 *             cycle counter (get_cycles(); 0 on an architecture without one); its waits for
 *             room in the RM-to-host queue are not counted, the rx_delay knob's are. Shows
 *             how much of a host operation's time is the simulated RM's.
 */
struct gunyah_sim_counters {
	u64 rm_requests;
	u64 rm_replies;
	u64 rm_notifications;
	u64 tx_fragments;
	u64 rx_fragments;
	u64 rx_dropped;
	u64 tx_dropped;
	u64 parcels_live;
	u64 parcels_total;
	u64 mem_append_msgs;
	u64 pages_shared;
	u64 vmids_live;
	u64 bell_sends;
	u64 vcpu_runs;
	u64 mmio_exits;
	u64 faults_injected;
	u64 rm_cycles;
};

#define GUNYAH_SIM_BOOT_X_REGS		32
#define GUNYAH_SIM_BOOT_SP_REGS		3

/**
 * struct gunyah_sim_vm_info - what the simulated RM knows about a VM
 * @vmid: the VM
 * @state: RM VM status (NO_STATE 0, INIT 1, READY 2, RUNNING 3, LOAD 5, INIT_FAILED 8,
 *         EXITED 9, RESETTING 10, RESET 11)
 * @image_handle: parcel named by VM_CONFIG_IMAGE (U32_MAX before)
 * @image_offset: from VM_CONFIG_IMAGE
 * @image_size: from VM_CONFIG_IMAGE
 * @dtb_offset: from VM_CONFIG_IMAGE
 * @dtb_size: from VM_CONFIG_IMAGE
 * @base_address: /qcom,vm-config/memory base-address read at VM_INIT (0 if absent)
 * @boot_pc_set: a PC was set with VM_SET_BOOT_CONTEXT
 * @boot_pc: that PC
 * @boot_x: X registers set with VM_SET_BOOT_CONTEXT (0 if not set)
 * @boot_sp: SP registers set with VM_SET_BOOT_CONTEXT (0 if not set)
 * @n_vcpus: vCPUs created at VM_INIT
 * @n_doorbells: doorbells created at VM_INIT
 * @n_accepted: parcels the VM holds (accepted at VM_START, released at VM_RESET)
 * @exited: the VM exited (forced stop or guest POWER_OFF)
 * @exit_type: the VM_EXITED exit type, valid if @exited
 * @exit_reason_size: size of the exit reason, valid if @exited
 * @exit_reason: the reason, little-endian, valid if @exited
 */
struct gunyah_sim_vm_info {
	u16 vmid;
	u8 state;
	u32 image_handle;
	u64 image_offset;
	u64 image_size;
	u64 dtb_offset;
	u64 dtb_size;
	u64 base_address;
	bool boot_pc_set;
	u64 boot_pc;
	u64 boot_x[GUNYAH_SIM_BOOT_X_REGS];
	u64 boot_sp[GUNYAH_SIM_BOOT_SP_REGS];
	u32 n_vcpus;
	u32 n_doorbells;
	u32 n_accepted;
	bool exited;
	u16 exit_type;
	u32 exit_reason_size;
	u8 exit_reason[8];
};

#define GUNYAH_SIM_PARCEL_SHARE		1
#define GUNYAH_SIM_PARCEL_LEND		2
#define GUNYAH_SIM_INFO_MAX_ACL		8

/**
 * struct gunyah_sim_acl_info - one ACL entry of a parcel
 * @vmid: the VM
 * @perms: RM rights (X 1, W 2, R 4)
 * @accepted: that VM holds the parcel
 */
struct gunyah_sim_acl_info {
	u16 vmid;
	u8 perms;
	bool accepted;
};

/**
 * struct gunyah_sim_parcel_info - a memory parcel as the simulated RM recorded it
 * @handle: the parcel's handle
 * @label: its label
 * @trans_type: GUNYAH_SIM_PARCEL_SHARE or GUNYAH_SIM_PARCEL_LEND
 * @mem_type: NORMAL 0 or IO 1
 * @pending: created with the APPEND flag and not yet ended with MEM_APPEND(END)
 * @accepted: some VM of the ACL holds it
 * @n_acl: ACL entries (only the first GUNYAH_SIM_INFO_MAX_ACL are copied to @acl)
 * @acl: the first ACL entries
 * @n_entries: memory entries, over all messages
 * @bytes: total size
 * @first_phys: host physical address of the first entry
 */
struct gunyah_sim_parcel_info {
	u32 handle;
	u32 label;
	u8 trans_type;
	u8 mem_type;
	bool pending;
	bool accepted;
	u32 n_acl;
	struct gunyah_sim_acl_info acl[GUNYAH_SIM_INFO_MAX_ACL];
	u32 n_entries;
	u64 bytes;
	u64 first_phys;
};

#define GUNYAH_SIM_REQ_MAX_FIELDS	8

/**
 * struct gunyah_sim_request - the last RM request, as the simulator decoded it
 * @msg_id: its message id
 * @seq: its sequence number
 * @payload_len: payload size after reassembly (without the 8-byte headers)
 * @rm_error: the error code the RM replied with (0 = OK)
 * @n_fields: decoded fields in @fields; 0 when the request was malformed
 * @fields: decoded fields, in this order per RPC:
 *
 *   ALLOC_VMID, DEALLOC_VMID, START, RESET, VM_INIT, GET_HYP_RESOURCES, GET_STATE:
 *	[vmid, reserved le16]
 *   VM_STOP: [vmid, flags, reserved u8, stop_reason]
 *   VM_CONFIG_IMAGE: [vmid, auth_mech, mem_handle, image_offset, image_size, dtb_offset,
 *	dtb_size]
 *   VM_SET_BOOT_CONTEXT: [vmid, reg_set, reg_index, padding le32, value]
 *   GET_VMID: []
 *   MEM_SHARE, MEM_LEND: [mem_type, flags, label, n_acl, n_mem, n_attr, total bytes,
 *	first ACL entry as vmid | perms << 16]
 *   MEM_APPEND: [mem_handle, flags, n_mem, total bytes]
 *   MEM_RECLAIM: [mem_handle, flags]
 *   anything else: []
 */
struct gunyah_sim_request {
	u32 msg_id;
	u16 seq;
	size_t payload_len;
	u32 rm_error;
	u32 n_fields;
	u64 fields[GUNYAH_SIM_REQ_MAX_FIELDS];
};

/**
 * struct gunyah_sim_doorbell_info - a doorbell of a simulated VM
 * @cap_id: the host's BELL_TX capability
 * @flags: the flag word
 * @enable_mask: flags that assert the guest's interrupt
 * @ack_mask: flags cleared when the guest takes the interrupt
 * @sends: successful bell_send calls on it
 * @taken: times a guest WAIT_BELL took its interrupt
 * @last_taken_flags: the flags the guest saw the last time it took it
 */
struct gunyah_sim_doorbell_info {
	u64 cap_id;
	u64 flags;
	u64 enable_mask;
	u64 ack_mask;
	u64 sends;
	u64 taken;
	u64 last_taken_flags;
};

/**
 * struct gunyah_sim_vcpu_info - a vCPU of a simulated VM
 * @cap_id: its capability
 * @virq: its interrupt (GIC numbering)
 * @pc: index of the next instruction of its program
 * @runs: vcpu_run calls that ran it
 * @powered_off: powered off (VM exited or not started)
 * @faulted: stopped by a guest fault
 * @waiting: waiting for a doorbell (WAIT_BELL returned EXPECTS_WAKEUP)
 * @mmio_read_pending: the next vcpu_run completes an MMIO read
 */
struct gunyah_sim_vcpu_info {
	u64 cap_id;
	u32 virq;
	u32 pc;
	u64 runs;
	bool powered_off;
	bool faulted;
	bool waiting;
	bool mmio_read_pending;
};

struct device *gunyah_sim_rm_device(void);
void gunyah_sim_get_counters(struct gunyah_sim_counters *counters);

/* Fault injection; each call replaces the previous setting of its knob, 0 disarms it. */
void gunyah_sim_fault_rx_drop(unsigned int n);
void gunyah_sim_fault_rx_duplicate(unsigned int n);
void gunyah_sim_fault_rx_corrupt(unsigned int n, unsigned int offset, u8 xor_mask);
void gunyah_sim_fault_rx_delay(unsigned int n, unsigned int delay_ms);
void gunyah_sim_fault_rpc(unsigned int nth, u32 msg_id, u32 rm_error);
void gunyah_sim_fault_rpc_repeat(unsigned int nth, u32 msg_id, u32 rm_error, unsigned int count);
void gunyah_sim_fault_lose_reply(unsigned int nth, u32 msg_id);
void gunyah_sim_fault_tx_full(unsigned int ms);
void gunyah_sim_fault_vcpu_retry(unsigned int n);
void gunyah_sim_fault_rx_retry(unsigned int n);
void gunyah_sim_fault_clear(void);

/* Behaviour switches (see the debugfs files of the same names) */
void gunyah_sim_set_reset_reply_early(bool early);
void gunyah_sim_set_image_lend_only(bool lend_only);

int gunyah_sim_inject_rx(const void *msg, size_t len);
int gunyah_sim_rm_wait_idle(unsigned int timeout_ms);

int gunyah_sim_vm_info(u16 vmid, struct gunyah_sim_vm_info *info);
int gunyah_sim_parcel_info(u32 handle, struct gunyah_sim_parcel_info *info);
int gunyah_sim_last_request(struct gunyah_sim_request *req);
int gunyah_sim_doorbell_info(u16 vmid, u32 label, struct gunyah_sim_doorbell_info *info);
int gunyah_sim_vcpu_info(u16 vmid, u32 index, struct gunyah_sim_vcpu_info *info);

#endif
