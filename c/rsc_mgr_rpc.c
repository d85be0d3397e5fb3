// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah resource manager (RM) RPCs: one function per call, and the decoders of the
 * notifications. Wire formats (gunyah-abi-facts.md 4.2) stay in this file; callers see the host
 * types of <gunyah/rsc_mgr.h>.
 *
 * Every RPC: process context, may sleep (uninterruptibly, see gunyah_rm_call()); the caller
 * holds a reference to @rm. Reply sizes are checked exactly: a reply of another size is
 * reported (rate-limited) and the call fails with -EBADMSG.
 */

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/error-injection.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#include <asm/byteorder.h>
#include <gunyah/compat.h>

#include "rsc_mgr.h"

/* RPC ids */
#define GUNYAH_RM_RPC_MEM_LEND			0x51000012
#define GUNYAH_RM_RPC_MEM_SHARE			0x51000013
#define GUNYAH_RM_RPC_MEM_RECLAIM		0x51000015
#define GUNYAH_RM_RPC_MEM_APPEND		0x51000018
#define GUNYAH_RM_RPC_VM_ALLOC_VMID		0x56000001
#define GUNYAH_RM_RPC_VM_DEALLOC_VMID		0x56000002
#define GUNYAH_RM_RPC_VM_START			0x56000004
#define GUNYAH_RM_RPC_VM_STOP			0x56000005
#define GUNYAH_RM_RPC_VM_RESET			0x56000006
#define GUNYAH_RM_RPC_VM_CONFIG_IMAGE		0x56000009
#define GUNYAH_RM_RPC_VM_INIT			0x5600000B
#define GUNYAH_RM_RPC_VM_GET_STATE		0x56000017
#define GUNYAH_RM_RPC_VM_GET_HYP_RESOURCES	0x56000020
#define GUNYAH_RM_RPC_VM_GET_VMID		0x56000024
#define GUNYAH_RM_RPC_VM_SET_BOOT_CONTEXT	0x56000031

/* Request of ALLOC_VMID, DEALLOC_VMID, START, RESET, INIT, GET_STATE, GET_HYP_RESOURCES */
struct gunyah_rm_vm_common_vmid_req {
	__le16 vmid;
	__le16 _reserved;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_common_vmid_req) == 4);

/* Reply of ALLOC_VMID when a dynamic VMID (0) was asked for */
struct gunyah_rm_vm_alloc_vmid_resp {
	__le16 vmid;
	__le16 _reserved;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_alloc_vmid_resp) == 4);

/* Reply of VM_GET_STATE (the open-source RM packs it into one le32: vm | os << 8 | app << 16) */
struct gunyah_rm_vm_get_state_resp {
	u8 vm_status;
	u8 os_status;
	__le16 app_status;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_get_state_resp) == 4);

struct gunyah_rm_vm_stop_req {
	__le16 vmid;
	u8 flags;
	u8 _reserved;
	__le32 stop_reason;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_stop_req) == 8);

struct gunyah_rm_vm_config_image_req {
	__le16 vmid;
	__le16 auth_mech;
	__le32 mem_handle;
	__le64 image_offset;
	__le64 image_size;
	__le64 dtb_offset;
	__le64 dtb_size;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_config_image_req) == 40);

struct gunyah_rm_rpc_hyp_resource {
	u8 type;
	u8 _reserved;
	__le16 partner_vmid;
	__le32 resource_handle;
	__le32 resource_label;
	__le64 cap_id;
	__le32 virq_handle;
	__le32 virq;
	__le64 base;
	__le64 size;
} __packed;
static_assert(sizeof(struct gunyah_rm_rpc_hyp_resource) == 44);

struct gunyah_rm_vm_get_hyp_resources_resp {
	__le32 n_entries;
	struct gunyah_rm_rpc_hyp_resource entries[];
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_get_hyp_resources_resp) == 4);

struct gunyah_rm_vm_set_boot_context_req {
	__le16 vmid;
	u8 reg_set;
	u8 reg_index;
	__le32 _reserved;
	__le64 value;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_set_boot_context_req) == 16);

/* LEND / SHARE: this header, an ACL section, a memory section, an attribute section */
#define GUNYAH_RM_MEM_SHARE_REQ_FLAGS_APPEND	BIT(1)

struct gunyah_rm_mem_share_req_header {
	u8 mem_type;
	u8 _reserved0;
	u8 flags;
	u8 _reserved1;
	__le32 label;
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_share_req_header) == 8);

struct gunyah_rm_rpc_acl_entry {
	__le16 vmid;
	u8 perms;
	u8 _reserved;
} __packed;
static_assert(sizeof(struct gunyah_rm_rpc_acl_entry) == 4);

struct gunyah_rm_mem_acl_section {
	__le16 n_entries;
	__le16 _reserved;
	struct gunyah_rm_rpc_acl_entry entries[];
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_acl_section) == 4);

struct gunyah_rm_rpc_mem_entry {
	__le64 phys_addr;
	__le64 size;
} __packed;
static_assert(sizeof(struct gunyah_rm_rpc_mem_entry) == 16);

struct gunyah_rm_mem_mem_section {
	__le16 n_entries;
	__le16 _reserved;
	struct gunyah_rm_rpc_mem_entry entries[];
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_mem_section) == 4);

/* Attribute section: only its count, always 0 */
struct gunyah_rm_mem_attr_section {
	__le32 n_entries;
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_attr_section) == 4);

/* APPEND: this header and a memory section */
#define GUNYAH_RM_MEM_APPEND_REQ_FLAGS_END	BIT(0)

struct gunyah_rm_mem_append_req_header {
	__le32 mem_handle;
	u8 flags;
	u8 _reserved[3];
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_append_req_header) == 8);

struct gunyah_rm_mem_reclaim_req {
	__le32 mem_handle;
	u8 flags;
	u8 _reserved[3];
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_reclaim_req) == 8);

/* Notifications */
struct gunyah_rm_vm_status_notif {
	__le16 vmid;
	__le16 _reserved;
	u8 vm_status;
	u8 os_status;
	__le16 app_status;
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_status_notif) == 8);

struct gunyah_rm_vm_exited_notif {
	__le16 vmid;
	__le16 exit_type;
	__le32 exit_reason_size;
	u8 exit_reason[];
} __packed;
static_assert(sizeof(struct gunyah_rm_vm_exited_notif) == 8);

struct gunyah_rm_mem_released_notif {
	__le32 mem_handle;
	__le16 vmid;
	u8 _reserved[2];
	__le32 mem_info_tag;
} __packed;
static_assert(sizeof(struct gunyah_rm_mem_released_notif) == 12);

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */

/**
 * gunyah_rm_bad_reply() - report a reply of the wrong size
 * @rm: the RM
 * @message_id: the RPC
 * @size: size of the reply payload
 * @expected: the size it should have had
 *
 * Context: any context.
 * Return: -EBADMSG.
 */
static int gunyah_rm_bad_reply(struct gunyah_rm *rm, u32 message_id, size_t size,
			       size_t expected)
{
	dev_err_ratelimited(gunyah_rm_dev(rm), "reply to message %#x: %zu bytes, expected %zu\n",
			    message_id, size, expected);
	return -EBADMSG;
}

/**
 * gunyah_rm_call_sized() - make a call whose reply payload has a fixed size
 * @rm: the RM
 * @message_id: the RPC
 * @req: the request payload
 * @req_size: its size
 * @resp: where to copy the reply payload (may be NULL if @resp_size is 0)
 * @resp_size: the exact reply payload size expected (0: no payload)
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG for a reply of another size, or an errno of gunyah_rm_call().
 */
static int gunyah_rm_call_sized(struct gunyah_rm *rm, u32 message_id, const void *req,
				size_t req_size, void *resp, size_t resp_size)
{
	size_t size;
	void *buf;
	int ret;

	ret = gunyah_rm_call(rm, message_id, req, req_size, &buf, &size);
	if (ret)
		return ret;

	if (size != resp_size)
		ret = gunyah_rm_bad_reply(rm, message_id, size, resp_size);
	else if (resp_size)
		memcpy(resp, buf, resp_size);
	kfree(buf);
	return ret;
}

/**
 * gunyah_rm_common_vmid_call() - make a call that takes a VMID and returns no payload
 * @rm: the RM
 * @message_id: the RPC
 * @vmid: the VM
 *
 * Context: process context, may sleep.
 * Return: 0 or an errno of gunyah_rm_call_sized().
 */
static int gunyah_rm_common_vmid_call(struct gunyah_rm *rm, u32 message_id, u16 vmid)
{
	struct gunyah_rm_vm_common_vmid_req req = { .vmid = cpu_to_le16(vmid) };

	return gunyah_rm_call_sized(rm, message_id, &req, sizeof(req), NULL, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* VM management                                                                            */

/**
 * gunyah_rm_alloc_vmid_result() - check the reply of VM_ALLOC_VMID
 * @rm: the RM
 * @vmid: the VMID asked for (0: any)
 * @resp: the reply payload, or NULL
 * @resp_size: its size
 *
 * A dynamic allocation returns the VMID; a static one returns nothing (or, tolerated, the same
 * VMID).
 *
 * Context: any context.
 * Return: the allocated VMID, or -EBADMSG.
 */
static int gunyah_rm_alloc_vmid_result(struct gunyah_rm *rm, u16 vmid, const void *resp,
				       size_t resp_size)
{
	const struct gunyah_rm_vm_alloc_vmid_resp *r = resp;
	u16 allocated;

	if (!resp_size && vmid)
		return vmid;
	if (resp_size != sizeof(*r))
		return gunyah_rm_bad_reply(rm, GUNYAH_RM_RPC_VM_ALLOC_VMID, resp_size, sizeof(*r));

	allocated = le16_to_cpu(r->vmid);
	if (!allocated || allocated == GUNYAH_VMID_INVAL || (vmid && allocated != vmid)) {
		dev_err_ratelimited(gunyah_rm_dev(rm), "asked for VMID %u, got %u\n", vmid,
				    allocated);
		return -EBADMSG;
	}
	return allocated;
}

/**
 * gunyah_rm_alloc_vmid() - allocate a VMID (VM_ALLOC_VMID)
 * @rm: the RM
 * @vmid: the VMID wanted, or 0 for any free one
 *
 * Context: process context, may sleep.
 * Return: the allocated VMID (> 0), -EBADMSG for a malformed reply, or an errno of
 * gunyah_rm_call().
 */
int gunyah_rm_alloc_vmid(struct gunyah_rm *rm, u16 vmid)
{
	struct gunyah_rm_vm_common_vmid_req req = { .vmid = cpu_to_le16(vmid) };
	size_t resp_size;
	void *resp;
	int ret;

	ret = gunyah_rm_call(rm, GUNYAH_RM_RPC_VM_ALLOC_VMID, &req, sizeof(req), &resp,
			     &resp_size);
	if (ret)
		return ret;

	ret = gunyah_rm_alloc_vmid_result(rm, vmid, resp, resp_size);
	kfree(resp);
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_rm_alloc_vmid);
ALLOW_ERROR_INJECTION(gunyah_rm_alloc_vmid, ERRNO);

/**
 * gunyah_rm_dealloc_vmid() - free a VMID (VM_DEALLOC_VMID)
 * @rm: the RM
 * @vmid: the VM, in state LOAD or RESET
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_dealloc_vmid(struct gunyah_rm *rm, u16 vmid)
{
	return gunyah_rm_common_vmid_call(rm, GUNYAH_RM_RPC_VM_DEALLOC_VMID, vmid);
}
EXPORT_SYMBOL_GPL(gunyah_rm_dealloc_vmid);
ALLOW_ERROR_INJECTION(gunyah_rm_dealloc_vmid, ERRNO);

/**
 * gunyah_rm_vm_start() - start a VM (VM_START)
 * @rm: the RM
 * @vmid: the VM, in state READY
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_vm_start(struct gunyah_rm *rm, u16 vmid)
{
	return gunyah_rm_common_vmid_call(rm, GUNYAH_RM_RPC_VM_START, vmid);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_start);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_start, ERRNO);

/**
 * gunyah_rm_vm_stop() - force a VM to stop (VM_STOP, flag FORCE_STOP, reason FORCE_STOP)
 * @rm: the RM
 * @vmid: the VM
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_vm_stop(struct gunyah_rm *rm, u16 vmid)
{
	struct gunyah_rm_vm_stop_req req = {
		.vmid = cpu_to_le16(vmid),
		.flags = GUNYAH_RM_VM_STOP_FLAG_FORCE_STOP,
		.stop_reason = cpu_to_le32(GUNYAH_RM_VM_STOP_REASON_FORCE_STOP),
	};

	return gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_VM_STOP, &req, sizeof(req), NULL, 0);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_stop);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_stop, ERRNO);

/**
 * gunyah_rm_vm_reset() - reset a stopped VM (VM_RESET)
 * @rm: the RM
 * @vmid: the VM, in state EXITED, READY or INIT_FAILED
 *
 * The RM reports completion with a VM_STATUS notification (RESET).
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_vm_reset(struct gunyah_rm *rm, u16 vmid)
{
	return gunyah_rm_common_vmid_call(rm, GUNYAH_RM_RPC_VM_RESET, vmid);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_reset);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_reset, ERRNO);

/**
 * gunyah_rm_vm_init() - let the RM prepare a configured VM (VM_INIT)
 * @rm: the RM
 * @vmid: the VM, in state INIT
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_vm_init(struct gunyah_rm *rm, u16 vmid)
{
	return gunyah_rm_common_vmid_call(rm, GUNYAH_RM_RPC_VM_INIT, vmid);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_init);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_init, ERRNO);

/**
 * gunyah_rm_vm_get_state() - ask the RM what state a VM is in (VM_GET_STATE)
 * @rm: the RM
 * @vmid: the VM
 * @state: filled in on success (the same fields as a VM_STATUS notification)
 *
 * The teardown uses it to learn whether a VM_STOP or VM_RESET whose reply was lost (or that
 * failed) took effect anyway, and whether a notification it waited for was lost.
 *
 * Context: process context, may sleep.
 * Return: 0; -ENODEV if the RM knows no such VM (NORESOURCE); -EBADMSG; or an errno of
 * gunyah_rm_call().
 */
int gunyah_rm_vm_get_state(struct gunyah_rm *rm, u16 vmid,
			   struct gunyah_rm_vm_status_payload *state)
{
	struct gunyah_rm_vm_common_vmid_req req = { .vmid = cpu_to_le16(vmid) };
	struct gunyah_rm_vm_get_state_resp resp;
	int ret;

	ret = gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_VM_GET_STATE, &req, sizeof(req), &resp,
				   sizeof(resp));
	if (ret)
		return ret;

	state->vmid = vmid;
	state->vm_status = resp.vm_status;
	state->os_status = resp.os_status;
	state->app_status = le16_to_cpu(resp.app_status);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_get_state);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_get_state, ERRNO);

/**
 * gunyah_rm_vm_configure() - tell the RM where a VM's image and DTB are (VM_CONFIG_IMAGE)
 * @rm: the RM
 * @vmid: the VM, in state LOAD
 * @auth_mechanism: GUNYAH_RM_VM_AUTH_*
 * @mem_handle: the parcel holding the image and the DTB
 * @image_offset: offset of the image in the parcel
 * @image_size: size of the image
 * @dtb_offset: offset of the DTB in the parcel
 * @dtb_size: size of the DTB
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_vm_configure(struct gunyah_rm *rm, u16 vmid, u16 auth_mechanism, u32 mem_handle,
			   u64 image_offset, u64 image_size, u64 dtb_offset, u64 dtb_size)
{
	struct gunyah_rm_vm_config_image_req req = {
		.vmid = cpu_to_le16(vmid),
		.auth_mech = cpu_to_le16(auth_mechanism),
		.mem_handle = cpu_to_le32(mem_handle),
		.image_offset = cpu_to_le64(image_offset),
		.image_size = cpu_to_le64(image_size),
		.dtb_offset = cpu_to_le64(dtb_offset),
		.dtb_size = cpu_to_le64(dtb_size),
	};

	return gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_VM_CONFIG_IMAGE, &req, sizeof(req), NULL, 0);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_configure);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_configure, ERRNO);

/**
 * gunyah_rm_hyp_resource_from_wire() - convert one VM_GET_HYP_RESOURCES entry
 * @res: the host entry to fill
 * @w: the wire entry
 *
 * Context: any context.
 */
static void gunyah_rm_hyp_resource_from_wire(struct gunyah_rm_hyp_resource *res,
					     const struct gunyah_rm_rpc_hyp_resource *w)
{
	res->type = w->type;
	res->partner_vmid = le16_to_cpu(w->partner_vmid);
	res->resource_handle = le32_to_cpu(w->resource_handle);
	res->resource_label = le32_to_cpu(w->resource_label);
	res->cap_id = le64_to_cpu(w->cap_id);
	res->virq_handle = le32_to_cpu(w->virq_handle);
	res->virq = le32_to_cpu(w->virq);
	res->base = le64_to_cpu(w->base);
	res->size = le64_to_cpu(w->size);
}

/**
 * gunyah_rm_hyp_resources_from_wire() - check and convert a VM_GET_HYP_RESOURCES reply
 * @rm: the RM
 * @buf: the reply payload, or NULL
 * @size: its size
 * @resources: set to the converted list, which the caller kfree()s
 *
 * Context: process context, may sleep (allocation).
 * Return: 0, -EBADMSG unless @size is exactly 4 + n_entries * 44, or -ENOMEM.
 */
static int gunyah_rm_hyp_resources_from_wire(struct gunyah_rm *rm, const void *buf, size_t size,
					     struct gunyah_rm_hyp_resources **resources)
{
	const struct gunyah_rm_vm_get_hyp_resources_resp *resp = buf;
	struct gunyah_rm_hyp_resources *res;
	u32 i, n;

	if (size < sizeof(*resp))
		return gunyah_rm_bad_reply(rm, GUNYAH_RM_RPC_VM_GET_HYP_RESOURCES, size,
					   sizeof(*resp));
	n = le32_to_cpu(resp->n_entries);
	if (size != struct_size(resp, entries, n))
		return gunyah_rm_bad_reply(rm, GUNYAH_RM_RPC_VM_GET_HYP_RESOURCES, size,
					   struct_size(resp, entries, n));

	res = kzalloc(struct_size(res, entries, n), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	res->n_entries = n;
	for (i = 0; i < n; i++)
		gunyah_rm_hyp_resource_from_wire(&res->entries[i], &resp->entries[i]);

	*resources = res;
	return 0;
}

/**
 * gunyah_rm_get_hyp_resources() - list the hypervisor resources of a VM (VM_GET_HYP_RESOURCES)
 * @rm: the RM
 * @vmid: the VM
 * @resources: set to the list, which the caller kfree()s; NULL on error
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG for a reply of the wrong size, -ENOMEM, or an errno of gunyah_rm_call().
 */
int gunyah_rm_get_hyp_resources(struct gunyah_rm *rm, u16 vmid,
				struct gunyah_rm_hyp_resources **resources)
{
	struct gunyah_rm_vm_common_vmid_req req = { .vmid = cpu_to_le16(vmid) };
	size_t resp_size;
	void *resp;
	int ret;

	*resources = NULL;
	ret = gunyah_rm_call(rm, GUNYAH_RM_RPC_VM_GET_HYP_RESOURCES, &req, sizeof(req), &resp,
			     &resp_size);
	if (ret)
		return ret;

	ret = gunyah_rm_hyp_resources_from_wire(rm, resp, resp_size, resources);
	kfree(resp);
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_rm_get_hyp_resources);
ALLOW_ERROR_INJECTION(gunyah_rm_get_hyp_resources, ERRNO);

/**
 * gunyah_rm_get_vmid() - ask the RM for our own VMID (VM_GET_VMID)
 * @rm: the RM
 * @vmid: set to the VMID on success
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_get_vmid(struct gunyah_rm *rm, u16 *vmid)
{
	__le32 resp;
	int ret;

	ret = gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_VM_GET_VMID, NULL, 0, &resp, sizeof(resp));
	if (ret)
		return ret;

	*vmid = le32_to_cpu(resp) & U16_MAX;
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_get_vmid);
ALLOW_ERROR_INJECTION(gunyah_rm_get_vmid, ERRNO);

/**
 * gunyah_rm_vm_set_boot_context() - set a boot register of a VM (VM_SET_BOOT_CONTEXT)
 * @rm: the RM
 * @vmid: the VM, before VM_START
 * @reg_set: GUNYAH_RM_BOOT_REG_SET_*
 * @reg_index: register index within @reg_set
 * @value: the value
 *
 * Context: process context, may sleep.
 * Return: 0, -EOPNOTSUPP if the RM does not implement it, -EBADMSG, or an errno of
 * gunyah_rm_call().
 */
int gunyah_rm_vm_set_boot_context(struct gunyah_rm *rm, u16 vmid, u8 reg_set, u8 reg_index,
				  u64 value)
{
	struct gunyah_rm_vm_set_boot_context_req req = {
		.vmid = cpu_to_le16(vmid),
		.reg_set = reg_set,
		.reg_index = reg_index,
		.value = cpu_to_le64(value),
	};

	return gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_VM_SET_BOOT_CONTEXT, &req, sizeof(req),
				    NULL, 0);
}
EXPORT_SYMBOL_GPL(gunyah_rm_vm_set_boot_context);
ALLOW_ERROR_INJECTION(gunyah_rm_vm_set_boot_context, ERRNO);

/* ---------------------------------------------------------------------------------------- */
/* Memory parcels                                                                           */

/**
 * gunyah_rm_mem_parcel_check() - check a parcel before it is shared or lent
 * @parcel: the parcel
 *
 * Context: any context.
 * Return: 0, or -EINVAL for an unknown memory type, no or more than GUNYAH_RM_MAX_ACL_ENTRIES ACL
 * entries, or no memory entries.
 */
static int gunyah_rm_mem_parcel_check(const struct gunyah_rm_mem_parcel *parcel)
{
	if (parcel->mem_type != GUNYAH_RM_MEM_TYPE_NORMAL &&
	    parcel->mem_type != GUNYAH_RM_MEM_TYPE_IO)
		return -EINVAL;
	if (!parcel->n_acl_entries || parcel->n_acl_entries > GUNYAH_RM_MAX_ACL_ENTRIES ||
	    !parcel->acl_entries)
		return -EINVAL;
	if (!parcel->n_mem_entries || !parcel->mem_entries)
		return -EINVAL;
	return 0;
}

/**
 * gunyah_rm_mem_share_req_size() - size of a LEND/SHARE request
 * @n_acl: ACL entries
 * @n_mem: memory entries in this message (at most GUNYAH_RM_MAX_MEM_ENTRIES)
 *
 * Context: any context.
 * Return: the size in bytes.
 */
static inline size_t gunyah_rm_mem_share_req_size(size_t n_acl, size_t n_mem)
{
	return sizeof(struct gunyah_rm_mem_share_req_header) +
	       struct_size_t(struct gunyah_rm_mem_acl_section, entries, n_acl) +
	       struct_size_t(struct gunyah_rm_mem_mem_section, entries, n_mem) +
	       sizeof(struct gunyah_rm_mem_attr_section);
}

/**
 * gunyah_rm_mem_append_req_size() - size of a MEM_APPEND request
 * @n_mem: memory entries in this message (at most GUNYAH_RM_MAX_MEM_ENTRIES)
 *
 * Context: any context.
 * Return: the size in bytes.
 */
static inline size_t gunyah_rm_mem_append_req_size(size_t n_mem)
{
	return sizeof(struct gunyah_rm_mem_append_req_header) +
	       struct_size_t(struct gunyah_rm_mem_mem_section, entries, n_mem);
}

/**
 * gunyah_rm_fill_acl() - write the ACL section of a parcel
 * @sec: where the section goes
 * @parcel: the parcel (checked)
 *
 * Context: any context.
 * Return: the byte after the section.
 */
static void *gunyah_rm_fill_acl(struct gunyah_rm_mem_acl_section *sec,
				const struct gunyah_rm_mem_parcel *parcel)
{
	size_t i;

	sec->n_entries = cpu_to_le16(parcel->n_acl_entries);
	for (i = 0; i < parcel->n_acl_entries; i++) {
		sec->entries[i].vmid = cpu_to_le16(parcel->acl_entries[i].vmid);
		sec->entries[i].perms = parcel->acl_entries[i].perms;
	}
	return &sec->entries[parcel->n_acl_entries];
}

/**
 * gunyah_rm_fill_mem() - write a memory section
 * @sec: where the section goes
 * @entries: the memory entries
 * @n: how many, at most GUNYAH_RM_MAX_MEM_ENTRIES
 *
 * Context: any context.
 * Return: the byte after the section.
 */
static void *gunyah_rm_fill_mem(struct gunyah_rm_mem_mem_section *sec,
				const struct gunyah_rm_mem_entry *entries, size_t n)
{
	size_t i;

	sec->n_entries = cpu_to_le16(n);
	for (i = 0; i < n; i++) {
		sec->entries[i].phys_addr = cpu_to_le64(entries[i].phys_addr);
		sec->entries[i].size = cpu_to_le64(entries[i].size);
	}
	return &sec->entries[n];
}

/**
 * gunyah_rm_mem_reclaim_handle() - take a parcel back (MEM_RECLAIM)
 * @rm: the RM
 * @mem_handle: the parcel
 *
 * Context: process context, may sleep.
 * Return: 0, -EBADMSG, or an errno of gunyah_rm_call() (-EINVAL while a VM still holds it).
 */
static int gunyah_rm_mem_reclaim_handle(struct gunyah_rm *rm, u32 mem_handle)
{
	struct gunyah_rm_mem_reclaim_req req = { .mem_handle = cpu_to_le32(mem_handle) };

	return gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_MEM_RECLAIM, &req, sizeof(req), NULL, 0);
}

/**
 * gunyah_rm_mem_append() - send the rest of a parcel's memory entries (MEM_APPEND)
 * @rm: the RM
 * @mem_handle: the parcel, shared or lent with the APPEND flag
 * @entries: the entries not sent yet
 * @n_entries: how many (at least 1)
 *
 * Sends chunks of at most GUNYAH_RM_MAX_MEM_ENTRIES, the last one flagged END.
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOMEM, -EBADMSG, or an errno of gunyah_rm_call().
 */
static int gunyah_rm_mem_append(struct gunyah_rm *rm, u32 mem_handle,
				const struct gunyah_rm_mem_entry *entries, size_t n_entries)
{
	struct gunyah_rm_mem_append_req_header *hdr;
	size_t n;
	int ret = 0;

	hdr = kzalloc(gunyah_rm_mem_append_req_size(GUNYAH_RM_MAX_MEM_ENTRIES), GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	hdr->mem_handle = cpu_to_le32(mem_handle);

	while (n_entries) {
		n = min_t(size_t, n_entries, GUNYAH_RM_MAX_MEM_ENTRIES);
		hdr->flags = n == n_entries ? GUNYAH_RM_MEM_APPEND_REQ_FLAGS_END : 0;
		gunyah_rm_fill_mem((struct gunyah_rm_mem_mem_section *)(hdr + 1), entries, n);

		ret = gunyah_rm_call_sized(rm, GUNYAH_RM_RPC_MEM_APPEND, hdr,
					   gunyah_rm_mem_append_req_size(n), NULL, 0);
		if (ret)
			break;
		entries += n;
		n_entries -= n;
	}

	kfree(hdr);
	return ret;
}

/**
 * gunyah_rm_answer_lost() - may a request that failed so have been carried out?
 * @rm: the RM
 * @err: what gunyah_rm_call() returned
 *
 * Context: any context.
 * Return: true if the request may have reached the RM while no answer came back: none in time,
 * or the queue stayed full part way (-ETIMEDOUT); a reply cut short or a failed message queue
 * (-EIO); the RM unbound meanwhile (-ENODEV with the RM dead). Other errors are the RM's answer
 * (-ENODEV included: NORESOURCE) or a refusal before the request went out.
 */
static bool gunyah_rm_answer_lost(struct gunyah_rm *rm, int err)
{
	return err == -ETIMEDOUT || err == -EIO || (err == -ENODEV && READ_ONCE(rm->dead));
}

/**
 * gunyah_rm_mem_share_first() - send the first message of a LEND/SHARE
 * @rm: the RM
 * @message_id: GUNYAH_RM_RPC_MEM_LEND or GUNYAH_RM_RPC_MEM_SHARE
 * @parcel: the parcel (checked)
 * @n_mem: memory entries in this message; APPEND is flagged if the parcel has more
 * @mem_handle: set to the parcel's handle
 * @handle_lost: set on failure if the RM may hold the parcel without the host having its handle:
 *               no answer came (gunyah_rm_answer_lost()), or the RM said OK with a reply that
 *               holds no valid handle
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOMEM, -EBADMSG (wrong reply size or an invalid handle), or an errno of
 * gunyah_rm_call().
 */
static int gunyah_rm_mem_share_first(struct gunyah_rm *rm, u32 message_id,
				     const struct gunyah_rm_mem_parcel *parcel, size_t n_mem,
				     u32 *mem_handle, bool *handle_lost)
{
	size_t req_size = gunyah_rm_mem_share_req_size(parcel->n_acl_entries, n_mem);
	struct gunyah_rm_mem_share_req_header *hdr;
	size_t resp_size;
	void *resp;
	void *p;
	int ret;

	hdr = kzalloc(req_size, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;

	hdr->mem_type = parcel->mem_type;
	hdr->flags = n_mem < parcel->n_mem_entries ? GUNYAH_RM_MEM_SHARE_REQ_FLAGS_APPEND : 0;
	hdr->label = cpu_to_le32(parcel->label);
	p = gunyah_rm_fill_acl((struct gunyah_rm_mem_acl_section *)(hdr + 1), parcel);
	gunyah_rm_fill_mem(p, parcel->mem_entries, n_mem);
	/* The attribute section (count 0) stays zeroed */

	ret = gunyah_rm_call(rm, message_id, hdr, req_size, &resp, &resp_size);
	kfree(hdr);
	if (ret) {
		*handle_lost = gunyah_rm_answer_lost(rm, ret);
		return ret;
	}

	/* The RM made the parcel: a reply without its handle loses it */
	if (resp_size != sizeof(__le32)) {
		ret = gunyah_rm_bad_reply(rm, message_id, resp_size, sizeof(__le32));
	} else {
		*mem_handle = get_unaligned_le32(resp);
		if (*mem_handle == GUNYAH_MEM_HANDLE_INVAL) {
			dev_err_ratelimited(gunyah_rm_dev(rm),
					    "message %#x returned an invalid handle\n", message_id);
			ret = -EBADMSG;
		}
	}
	kfree(resp);
	*handle_lost = ret != 0;
	return ret;
}

/**
 * gunyah_rm_mem_share_common() - share or lend a parcel, in as many messages as it takes
 * @rm: the RM
 * @message_id: GUNYAH_RM_RPC_MEM_LEND or GUNYAH_RM_RPC_MEM_SHARE
 * @parcel: the parcel; mem_handle is set on success, and on a failure after which the RM still
 *          holds the parcel (a failed MEM_APPEND whose undo failed); GUNYAH_MEM_HANDLE_INVAL
 *          otherwise. handle_lost is set if the first message got no answer, or an OK without
 *          a valid handle: the RM may hold a parcel the host cannot name (see
 *          gunyah_rm_mem_share_first()).
 *
 * If an APPEND fails, the parcel is reclaimed.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for an invalid parcel, -ENOMEM, -EBADMSG, or an errno of gunyah_rm_call().
 */
static int gunyah_rm_mem_share_common(struct gunyah_rm *rm, u32 message_id,
				      struct gunyah_rm_mem_parcel *parcel)
{
	size_t n_mem = min_t(size_t, parcel->n_mem_entries, GUNYAH_RM_MAX_MEM_ENTRIES);
	u32 mem_handle;
	int ret;

	parcel->mem_handle = GUNYAH_MEM_HANDLE_INVAL;
	parcel->handle_lost = false;
	ret = gunyah_rm_mem_parcel_check(parcel);
	if (ret)
		return ret;

	ret = gunyah_rm_mem_share_first(rm, message_id, parcel, n_mem, &mem_handle,
					&parcel->handle_lost);
	if (ret)
		return ret;

	if (n_mem < parcel->n_mem_entries) {
		ret = gunyah_rm_mem_append(rm, mem_handle, parcel->mem_entries + n_mem,
					   parcel->n_mem_entries - n_mem);
		if (ret) {
			/*
			 * If the undo fails too, the RM still holds the (pending) parcel: say so
			 * through mem_handle, so that the caller neither frees nor reuses the
			 * memory before a later reclaim succeeds.
			 */
			if (gunyah_rm_mem_reclaim_handle(rm, mem_handle)) {
				dev_err_ratelimited(gunyah_rm_dev(rm),
						    "failed to reclaim parcel %#x after a failed append\n",
						    mem_handle);
				parcel->mem_handle = mem_handle;
			}
			return ret;
		}
	}

	parcel->mem_handle = mem_handle;
	return 0;
}

/**
 * gunyah_rm_mem_share() - share memory with other VMs (MEM_SHARE)
 * @rm: the RM
 * @parcel: the parcel; its ACL must include the host. mem_handle and handle_lost as for
 *          gunyah_rm_mem_share_common()
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for an invalid parcel, -ENOMEM, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_mem_share(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	return gunyah_rm_mem_share_common(rm, GUNYAH_RM_RPC_MEM_SHARE, parcel);
}
EXPORT_SYMBOL_GPL(gunyah_rm_mem_share);
ALLOW_ERROR_INJECTION(gunyah_rm_mem_share, ERRNO);

/**
 * gunyah_rm_mem_lend() - lend memory to other VMs (MEM_LEND)
 * @rm: the RM
 * @parcel: the parcel; its ACL must not include the host. mem_handle and handle_lost as for
 *          gunyah_rm_mem_share_common()
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for an invalid parcel, -ENOMEM, -EBADMSG, or an errno of gunyah_rm_call().
 */
int gunyah_rm_mem_lend(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	return gunyah_rm_mem_share_common(rm, GUNYAH_RM_RPC_MEM_LEND, parcel);
}
EXPORT_SYMBOL_GPL(gunyah_rm_mem_lend);
ALLOW_ERROR_INJECTION(gunyah_rm_mem_lend, ERRNO);

/**
 * gunyah_rm_mem_reclaim() - take back a shared or lent parcel (MEM_RECLAIM)
 * @rm: the RM
 * @parcel: the parcel; mem_handle becomes GUNYAH_MEM_HANDLE_INVAL on success
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if the parcel has no handle or a VM still holds it; -EBADMSG; or an errno
 * of gunyah_rm_call().
 */
int gunyah_rm_mem_reclaim(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	int ret;

	if (parcel->mem_handle == GUNYAH_MEM_HANDLE_INVAL)
		return -EINVAL;

	ret = gunyah_rm_mem_reclaim_handle(rm, parcel->mem_handle);
	if (!ret)
		parcel->mem_handle = GUNYAH_MEM_HANDLE_INVAL;
	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_rm_mem_reclaim);
ALLOW_ERROR_INJECTION(gunyah_rm_mem_reclaim, ERRNO);

/* ---------------------------------------------------------------------------------------- */
/* Notifications                                                                            */

/**
 * gunyah_rm_notif_vm_status() - decode a VM_STATUS notification
 * @payload: the notification payload (struct gunyah_rm_notif.payload)
 * @size: its size; longer payloads are accepted
 * @out: the decoded notification
 *
 * Context: any context.
 * Return: 0, or -EINVAL if @size is shorter than 8 bytes.
 */
int gunyah_rm_notif_vm_status(const void *payload, size_t size,
			      struct gunyah_rm_vm_status_payload *out)
{
	const struct gunyah_rm_vm_status_notif *n = payload;

	if (size < sizeof(*n))
		return -EINVAL;

	out->vmid = le16_to_cpu(n->vmid);
	out->vm_status = n->vm_status;
	out->os_status = n->os_status;
	out->app_status = le16_to_cpu(n->app_status);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_notif_vm_status);

/**
 * gunyah_rm_notif_vm_exited() - decode a VM_EXITED notification
 * @payload: the notification payload (struct gunyah_rm_notif.payload)
 * @size: its size
 * @out: the decoded notification; the reason is cut to GUNYAH_RM_VM_EXIT_REASON_MAX bytes and
 *       zero-padded
 *
 * Context: any context.
 * Return: 0, or -EINVAL if @size is shorter than 8 bytes plus the reason size it announces.
 */
int gunyah_rm_notif_vm_exited(const void *payload, size_t size,
			      struct gunyah_rm_vm_exited_payload *out)
{
	const struct gunyah_rm_vm_exited_notif *n = payload;
	u32 reason_size;

	if (size < sizeof(*n))
		return -EINVAL;
	reason_size = le32_to_cpu(n->exit_reason_size);
	if (reason_size > size - sizeof(*n))
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->vmid = le16_to_cpu(n->vmid);
	out->exit_type = le16_to_cpu(n->exit_type);
	out->exit_reason_size = reason_size;
	memcpy(out->exit_reason, n->exit_reason,
	       min_t(size_t, reason_size, sizeof(out->exit_reason)));
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_notif_vm_exited);

/**
 * gunyah_rm_notif_mem_released() - decode a MEM_RELEASED notification
 * @payload: the notification payload (struct gunyah_rm_notif.payload)
 * @size: its size; longer payloads are accepted
 * @out: the decoded notification
 *
 * Context: any context.
 * Return: 0, or -EINVAL if @size is shorter than 12 bytes.
 */
int gunyah_rm_notif_mem_released(const void *payload, size_t size,
				 struct gunyah_rm_mem_released_payload *out)
{
	const struct gunyah_rm_mem_released_notif *n = payload;

	if (size < sizeof(*n))
		return -EINVAL;

	out->mem_handle = le32_to_cpu(n->mem_handle);
	out->vmid = le16_to_cpu(n->vmid);
	return 0;
}
EXPORT_SYMBOL_GPL(gunyah_rm_notif_mem_released);
