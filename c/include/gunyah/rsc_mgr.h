/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Gunyah resource manager (RM) client: host-side types and one function per RPC.
 *
 * Wire formats stay in c/rsc_mgr*.c; callers only ever see the host types below.
 */
#ifndef _GUNYAH_RSC_MGR_H
#define _GUNYAH_RSC_MGR_H

#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/types.h>

struct device;
struct gunyah_rm;

#define GUNYAH_VMID_INVAL	U16_MAX
#define GUNYAH_MEM_HANDLE_INVAL	U32_MAX

/* Notification message ids (payload layouts are decoded by gunyah_rm_notif_*()) */
#define GUNYAH_RM_NOTIFICATION_MEM_RELEASED	0x51100012
#define GUNYAH_RM_NOTIFICATION_VM_EXITED	0x56100001
#define GUNYAH_RM_NOTIFICATION_VM_STATUS	0x56100008

/**
 * enum gunyah_rm_vm_status - VM states the RM reports in VM_STATUS notifications
 */
enum gunyah_rm_vm_status {
	GUNYAH_RM_VM_STATUS_NO_STATE = 0,
	GUNYAH_RM_VM_STATUS_INIT = 1,
	GUNYAH_RM_VM_STATUS_READY = 2,
	GUNYAH_RM_VM_STATUS_RUNNING = 3,
	GUNYAH_RM_VM_STATUS_PAUSED = 4,
	GUNYAH_RM_VM_STATUS_LOAD = 5,
	GUNYAH_RM_VM_STATUS_AUTH = 6,
	GUNYAH_RM_VM_STATUS_INIT_FAILED = 8,
	GUNYAH_RM_VM_STATUS_EXITED = 9,
	GUNYAH_RM_VM_STATUS_RESETTING = 10,
	GUNYAH_RM_VM_STATUS_RESET = 11,
};

/**
 * struct gunyah_rm_vm_status_payload - a decoded VM_STATUS notification
 * @vmid: the VM
 * @vm_status: enum gunyah_rm_vm_status
 * @os_status: the guest OS status
 * @app_status: the guest application status
 */
struct gunyah_rm_vm_status_payload {
	u16 vmid;
	u8 vm_status;
	u8 os_status;
	u16 app_status;
};

#define GUNYAH_RM_VM_EXIT_REASON_MAX	8

/* exit_type of a VM_EXITED notification */
#define GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT			0
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF			1
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET		2
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2	3
#define GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE		4
#define GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR		5
#define GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT		6
#define GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED		7

/**
 * struct gunyah_rm_vm_exited_payload - a decoded VM_EXITED notification
 * @vmid: the VM
 * @exit_type: GUNYAH_RM_VM_EXIT_TYPE_* (VM_EXIT 0 .. VM_FORCE_STOPPED 7)
 * @exit_reason_size: size of the reason the RM sent (may exceed what is kept)
 * @exit_reason: the first GUNYAH_RM_VM_EXIT_REASON_MAX bytes of the reason
 */
struct gunyah_rm_vm_exited_payload {
	u16 vmid;
	u16 exit_type;
	u32 exit_reason_size;
	u8 exit_reason[GUNYAH_RM_VM_EXIT_REASON_MAX];
};

/**
 * struct gunyah_rm_mem_released_payload - a decoded MEM_RELEASED notification
 * @mem_handle: the parcel the VM released
 * @vmid: the VM that released it
 */
struct gunyah_rm_mem_released_payload {
	u32 mem_handle;
	u16 vmid;
};

/**
 * enum gunyah_rm_mem_type - kind of memory in a parcel
 */
enum gunyah_rm_mem_type {
	GUNYAH_RM_MEM_TYPE_NORMAL = 0,
	GUNYAH_RM_MEM_TYPE_IO = 1,
};

/* Access rights of an ACL entry, in the RM's encoding */
#define GUNYAH_RM_ACL_X		BIT(0)
#define GUNYAH_RM_ACL_W		BIT(1)
#define GUNYAH_RM_ACL_R		BIT(2)

/**
 * struct gunyah_rm_mem_acl_entry - one VM's access to a parcel
 * @vmid: the VM
 * @perms: GUNYAH_RM_ACL_* bits; exactly R, RX, RW or RWX
 */
struct gunyah_rm_mem_acl_entry {
	u16 vmid;
	u8 perms;
};

/**
 * struct gunyah_rm_mem_entry - one physically contiguous range of a parcel
 * @phys_addr: start (page aligned)
 * @size: size (page aligned, non-zero)
 */
struct gunyah_rm_mem_entry {
	u64 phys_addr;
	u64 size;
};

/* Most ACL entries one parcel may carry (the RM takes 512; one page of wire entries). */
#define GUNYAH_RM_MAX_ACL_ENTRIES	255
/* Most memory entries per SHARE/LEND/APPEND message. */
#define GUNYAH_RM_MAX_MEM_ENTRIES	512

/**
 * struct gunyah_rm_mem_parcel - memory given to (shared with or lent to) other VMs
 * @mem_type: enum gunyah_rm_mem_type
 * @label: label the guest's VM config refers to
 * @n_acl_entries: entries in @acl_entries, 1..GUNYAH_RM_MAX_ACL_ENTRIES
 * @acl_entries: who gets which access
 * @n_mem_entries: entries in @mem_entries, 1..any (sent in chunks of 512 with MEM_APPEND)
 * @mem_entries: the memory
 * @mem_handle: set by a successful share/lend (and by a failed one after which the RM still
 *              holds the parcel); GUNYAH_MEM_HANDLE_INVAL otherwise
 * @handle_lost: set by a failed share/lend if the RM may hold the parcel although the host got
 *               no handle for it (its request may have gone out but no answer came back, or
 *               the RM said OK without a valid handle): the memory can then never be
 *               reclaimed and must stay out of the host's use
 */
struct gunyah_rm_mem_parcel {
	enum gunyah_rm_mem_type mem_type;
	u32 label;
	size_t n_acl_entries;
	struct gunyah_rm_mem_acl_entry *acl_entries;
	size_t n_mem_entries;
	struct gunyah_rm_mem_entry *mem_entries;
	u32 mem_handle;
	bool handle_lost;
};

/**
 * enum gunyah_resource_type - kinds of hypervisor resources a VM gets
 */
enum gunyah_resource_type {
	GUNYAH_RESOURCE_TYPE_BELL_TX = 0,
	GUNYAH_RESOURCE_TYPE_BELL_RX = 1,
	GUNYAH_RESOURCE_TYPE_MSGQ_TX = 2,
	GUNYAH_RESOURCE_TYPE_MSGQ_RX = 3,
	GUNYAH_RESOURCE_TYPE_VCPU = 4,
	GUNYAH_RESOURCE_TYPE_VPM = 5,
	GUNYAH_RESOURCE_TYPE_VIRTIO_MMIO = 6,
	GUNYAH_RESOURCE_TYPE_VRTC = 7,
	GUNYAH_RESOURCE_TYPE_WATCHDOG = 8,
};

/**
 * struct gunyah_rm_hyp_resource - one entry of VM_GET_HYP_RESOURCES, in host types
 * @type: enum gunyah_resource_type
 * @partner_vmid: the VM at the other end
 * @resource_handle: RM handle of the resource
 * @resource_label: label from the VM config (vCPU: its index)
 * @cap_id: capability the host uses
 * @virq_handle: RM handle of the interrupt
 * @virq: interrupt the host gets for it (GIC numbering), or U32_MAX for none
 * @base: base address (VIRTIO_MMIO and the like)
 * @size: size
 */
struct gunyah_rm_hyp_resource {
	u8 type;
	u16 partner_vmid;
	u32 resource_handle;
	u32 resource_label;
	u64 cap_id;
	u32 virq_handle;
	u32 virq;
	u64 base;
	u64 size;
};

/**
 * struct gunyah_rm_hyp_resources - the answer of VM_GET_HYP_RESOURCES
 * @n_entries: number of @entries
 * @entries: the resources
 */
struct gunyah_rm_hyp_resources {
	u32 n_entries;
	struct gunyah_rm_hyp_resource entries[] __counted_by(n_entries);
};

/* Boot context register sets (GUNYAH_VM_SET_BOOT_CONTEXT) */
#define GUNYAH_RM_BOOT_REG_SET_X	0
#define GUNYAH_RM_BOOT_REG_SET_PC	1
#define GUNYAH_RM_BOOT_REG_SET_SP	2

/* VM_STOP */
#define GUNYAH_RM_VM_STOP_FLAG_FORCE_STOP	BIT(0)
#define GUNYAH_RM_VM_STOP_REASON_FORCE_STOP	3

/* VM_CONFIG_IMAGE */
#define GUNYAH_RM_VM_AUTH_NONE		0

/* Lifetime: the RM is a struct device; every user holds a reference. */
struct gunyah_rm *gunyah_rm_get(struct gunyah_rm *rm);
void gunyah_rm_put(struct gunyah_rm *rm);
struct device *gunyah_rm_dev(struct gunyah_rm *rm);

int gunyah_rm_notifier_register(struct gunyah_rm *rm, struct notifier_block *nb);
int gunyah_rm_notifier_unregister(struct gunyah_rm *rm, struct notifier_block *nb);

/* Generic call: used by the RPC functions below and by tests. */
int gunyah_rm_call(struct gunyah_rm *rm, u32 message_id, const void *req_buf, size_t req_buf_size,
		   void **resp_buf, size_t *resp_buf_size);

/* RPCs */
int gunyah_rm_alloc_vmid(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_dealloc_vmid(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_vm_start(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_vm_stop(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_vm_reset(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_vm_init(struct gunyah_rm *rm, u16 vmid);
int gunyah_rm_vm_get_state(struct gunyah_rm *rm, u16 vmid,
			   struct gunyah_rm_vm_status_payload *state);
int gunyah_rm_vm_configure(struct gunyah_rm *rm, u16 vmid, u16 auth_mechanism, u32 mem_handle,
			   u64 image_offset, u64 image_size, u64 dtb_offset, u64 dtb_size);
int gunyah_rm_get_hyp_resources(struct gunyah_rm *rm, u16 vmid,
				struct gunyah_rm_hyp_resources **resources);
int gunyah_rm_get_vmid(struct gunyah_rm *rm, u16 *vmid);
int gunyah_rm_vm_set_boot_context(struct gunyah_rm *rm, u16 vmid, u8 reg_set, u8 reg_index,
				  u64 value);
int gunyah_rm_mem_share(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel);
int gunyah_rm_mem_lend(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel);
int gunyah_rm_mem_reclaim(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel);

/* Notification decoding (payload as given to the notifier chain) */
int gunyah_rm_notif_vm_status(const void *payload, size_t size,
			      struct gunyah_rm_vm_status_payload *out);
int gunyah_rm_notif_vm_exited(const void *payload, size_t size,
			      struct gunyah_rm_vm_exited_payload *out);
int gunyah_rm_notif_mem_released(const void *payload, size_t size,
				 struct gunyah_rm_mem_released_payload *out);

/* Interrupts for hypervisor resources: virq numbers from VM_GET_HYP_RESOURCES */
int gunyah_rm_virq_to_irq(struct gunyah_rm *rm, u32 virq);
void gunyah_rm_irq_dispose(int irq);

/**
 * struct gunyah_rm_notif - what the notifier chain passes as its data argument
 * @payload: the notification payload (after the 8-byte header)
 * @size: payload size
 *
 * The notifier's action argument is the notification's message id.
 */
struct gunyah_rm_notif {
	const void *payload;
	size_t size;
};

#endif
