// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah resource manager: the VM lifecycle calls.
 *
 * State machine, as the open-source RM: LOAD -(CONFIG_IMAGE)-> INIT -(VM_INIT)-> READY
 * -(START)-> RUNNING -> EXITED -(RESET)-> RESETTING -> RESET, with INIT_FAILED when VM_INIT or
 * START fails. A call in the wrong state gets VM_STATE. Every state change from CONFIG_IMAGE
 * on is reported to the owner with VM_STATUS before the reply (after RESET, nothing more).
 *
 * VM_SET_BOOT_CONTEXT: the open-source RM defines the call but answers UNIMPLEMENTED. The
 * simulator implements it (the registers are kept per VM and the PC becomes the guest entry
 * point), so that the VMM path that uses it can be tested; gunyah_sim_fault_rpc() with
 * RM error 0xffffffff reproduces the open-source RM's answer.
 */

#include <linux/array_size.h>
#include <linux/build_bug.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gunyah/compat.h>

#include "sim_internal.h"

#define RM_STOP_FLAG_FORCE	BIT(0)
#define RM_HYP_RES_ENTRY_SIZE	44
#define RM_RES_TYPE_BELL_TX	0
#define RM_RES_TYPE_VCPU	4

/* ---- VM state and notifications ---- */

/* VM_STATUS {le16 vmid; u16 reserved; u8 vm_status; u8 os_status; le16 app_status} */
static void rm_notify_status(struct gunyah_sim *sim, struct sim_vm *vm, u8 status)
{
	u8 p[8] = {};

	if (vm->notify_off)
		return;
	put_unaligned_le16(vm->vmid, p);
	p[4] = status;
	sim_rm_notify(sim, RM_NOTIF_VM_STATUS, p, sizeof(p));
}

/* VM_EXITED {le16 vmid; le16 exit_type; le32 reason_size; u8 reason[]} */
static void rm_notify_exited(struct gunyah_sim *sim, struct sim_vm *vm, u16 type,
			     const u8 *reason, u32 reason_size)
{
	u8 p[8 + sizeof(vm->exit_reason)] = {};

	reason_size = min_t(u32, reason_size, sizeof(vm->exit_reason));
	put_unaligned_le16(vm->vmid, p);
	put_unaligned_le16(type, p + 2);
	put_unaligned_le32(reason_size, p + 4);
	memcpy(p + 8, reason, reason_size);
	sim_rm_notify(sim, RM_NOTIF_VM_EXITED, p, 8 + reason_size);
}

/**
 * rm_set_state() - change a VM's state and tell its owner
 * @sim: the simulator
 * @vm: the VM
 * @state: RM_VM_*
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
static void rm_set_state(struct gunyah_sim *sim, struct sim_vm *vm, u8 state)
{
	unsigned long flags;

	spin_lock_irqsave(&sim->lock, flags);
	vm->state = state;
	spin_unlock_irqrestore(&sim->lock, flags);
	rm_notify_status(sim, vm, state);
}

/**
 * rm_vm_state() - a VM's state, after reporting an exit its guest caused
 * @sim: the simulator
 * @vm: the VM
 *
 * If a guest powered the VM off and the notifications are still owed, they are sent first,
 * so that nothing the RM does next can overtake them.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_VM_*; only RUNNING may change behind the caller's back (to EXITED).
 */
static u8 rm_vm_state(struct gunyah_sim *sim, struct sim_vm *vm)
{
	u8 reason[sizeof(vm->exit_reason)];
	unsigned long flags;
	u32 reason_size;
	bool pending;
	u16 type;
	u8 state;

	spin_lock_irqsave(&sim->lock, flags);
	state = vm->state;
	pending = vm->exit_pending;
	vm->exit_pending = false;
	type = vm->exit_type;
	reason_size = vm->exit_reason_size;
	memcpy(reason, vm->exit_reason, sizeof(reason));
	spin_unlock_irqrestore(&sim->lock, flags);

	if (pending) {
		rm_notify_status(sim, vm, RM_VM_EXITED);
		rm_notify_exited(sim, vm, type, reason, reason_size);
	}
	return state;
}

/**
 * sim_rm_flush_exits() - send the notifications of every guest that powered off
 * @sim: the simulator
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
void sim_rm_flush_exits(struct gunyah_sim *sim)
{
	unsigned long flags, idx;
	struct sim_vm *vm;
	bool pending;

	spin_lock_irqsave(&sim->lock, flags);
	pending = sim->exits_pending;
	sim->exits_pending = false;
	spin_unlock_irqrestore(&sim->lock, flags);
	if (!pending)
		return;
	xa_for_each(&sim->rm.vms, idx, vm)
		rm_vm_state(sim, vm);
}

/**
 * rm_vmid_req() - decode a request that is exactly {le16 vmid; le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @vm: set to the VM
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: RM_OK, RM_ERR_MSG_INVALID (length) or RM_ERR_VMID_INVALID (no such VM).
 */
static u32 rm_vmid_req(struct gunyah_sim *sim, const struct sim_rm_req *req, struct sim_vm **vm)
{
	if (req->len != 4)
		return RM_ERR_MSG_INVALID;
	sim_rm_record(sim, get_unaligned_le16(req->buf));
	sim_rm_record(sim, get_unaligned_le16(req->buf + 2));
	*vm = xa_load(&sim->rm.vms, get_unaligned_le16(req->buf));
	return *vm ? RM_OK : RM_ERR_VMID_INVALID;
}

/**
 * sim_rm_vm_free() - free a VM that is no longer in the VM table
 * @sim: the simulator
 * @vm: the VM
 *
 * Context: process context, &gunyah_sim.rm.lock held; may sleep.
 */
void sim_rm_vm_free(struct gunyah_sim *sim, struct sim_vm *vm)
{
	sim_vm_destroy_objects(sim, vm);
	kfree(vm);
}

/* ---- VM lifecycle calls ---- */

/**
 * rm_vm_alloc() - VM_ALLOC_VMID {le16 vmid (0 = any); le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: le32 vmid when the RM chose it; nothing when the host asked for a VMID
 *
 * A VMID the host asks for must be 1..63 and free (3 is the host); the RM chooses the lowest
 * free one of 0x80..0xbf. The new VM is in LOAD; no VM_STATUS is sent.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK, MSG_INVALID, NORESOURCE (taken, out of range, exhausted) or NOMEM.
 */
static u32 rm_vm_alloc(struct gunyah_sim *sim, const struct sim_rm_req *req,
		       struct sim_rm_resp *resp)
{
	struct sim_vm *vm;
	u32 id = 0;
	u16 vmid;
	int ret;

	if (req->len != 4)
		return RM_ERR_MSG_INVALID;
	vmid = get_unaligned_le16(req->buf);
	sim_rm_record(sim, vmid);
	sim_rm_record(sim, get_unaligned_le16(req->buf + 2));

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return RM_ERR_NOMEM;
	vm->owner = SIM_HOST_VMID;
	vm->state = RM_VM_LOAD;
	vm->image_handle = U32_MAX;
	vm->born = ++sim->rm.generation;

	if (!vmid) {
		/* Dynamic VMIDs: the lowest free one from 0x80, 64 of them */
		ret = xa_alloc(&sim->rm.vms, &id, vm, XA_LIMIT(0x80, 0xbf), GFP_KERNEL);
		vm->vmid = id;
	} else if (vmid < 64 && vmid != SIM_HOST_VMID) {
		ret = xa_insert(&sim->rm.vms, vmid, vm, GFP_KERNEL);
		vm->vmid = vmid;
	} else {
		ret = -EBUSY;
	}
	if (ret) {
		kfree(vm);
		return ret == -ENOMEM ? RM_ERR_NOMEM : RM_ERR_NORESOURCE;
	}
	sim_count(sim, SIM_CNT_VMIDS_LIVE);

	/* The real RM answers with the VMID only when it chose it */
	if (!vmid) {
		put_unaligned_le32(vm->vmid, resp->data);
		resp->len = 4;
	}
	return RM_OK;
}

/**
 * rm_vm_dealloc() - VM_DEALLOC_VMID {le16 vmid; le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID, VMID_INVALID or VM_STATE (not LOAD or RESET).
 */
static u32 rm_vm_dealloc(struct gunyah_sim *sim, const struct sim_rm_req *req,
			 struct sim_rm_resp *resp)
{
	struct sim_vm *vm;
	u32 err;
	u8 state;

	err = rm_vmid_req(sim, req, &vm);
	if (err)
		return err;
	state = rm_vm_state(sim, vm);
	if (state != RM_VM_LOAD && state != RM_VM_RESET)
		return RM_ERR_VM_STATE;
	xa_erase(&sim->rm.vms, vm->vmid);
	sim_rm_vm_free(sim, vm);
	sim_count_add(sim, SIM_CNT_VMIDS_LIVE, -1);
	return RM_OK;
}

/**
 * rm_vm_config_image() - VM_CONFIG_IMAGE, 40 bytes: {le16 vmid; le16 auth_mech;
 *                        le32 mem_handle; le64 image_offset; le64 image_size;
 *                        le64 dtb_offset; le64 dtb_size}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * Names the parcel holding the VM config DTB; LOAD (or RESET) -> INIT, with VM_STATUS(INIT).
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK; MSG_INVALID; VMID_INVALID; VM_STATE; HANDLE_INVALID; ARG_INVALID (auth
 * mechanism other than NONE, parcel not for this VM, empty/too big/out-of-parcel ranges).
 */
static u32 rm_vm_config_image(struct gunyah_sim *sim, const struct sim_rm_req *req,
			      struct sim_rm_resp *resp)
{
	u64 image_offset, image_size, dtb_offset, dtb_size;
	const u8 *b = req->buf;
	struct sim_parcel *p;
	struct sim_vm *vm;
	u16 vmid, auth;
	u32 handle;
	u8 state;

	if (req->len != 40)
		return RM_ERR_MSG_INVALID;
	vmid = get_unaligned_le16(b);
	auth = get_unaligned_le16(b + 2);
	handle = get_unaligned_le32(b + 4);
	image_offset = get_unaligned_le64(b + 8);
	image_size = get_unaligned_le64(b + 16);
	dtb_offset = get_unaligned_le64(b + 24);
	dtb_size = get_unaligned_le64(b + 32);
	sim_rm_record(sim, vmid);
	sim_rm_record(sim, auth);
	sim_rm_record(sim, handle);
	sim_rm_record(sim, image_offset);
	sim_rm_record(sim, image_size);
	sim_rm_record(sim, dtb_offset);
	sim_rm_record(sim, dtb_size);

	vm = xa_load(&sim->rm.vms, vmid);
	if (!vm)
		return RM_ERR_VMID_INVALID;
	state = rm_vm_state(sim, vm);
	if (state != RM_VM_LOAD && state != RM_VM_RESET)
		return RM_ERR_VM_STATE;
	if (auth != 0)
		return RM_ERR_ARG_INVALID;
	p = sim_parcel_find(sim, handle);
	if (!p)
		return RM_ERR_HANDLE_INVALID;
	if (!sim_parcel_has_vm(p, vm->vmid))
		return RM_ERR_ARG_INVALID;
	if (!dtb_size || dtb_size > SIM_MAX_DTB_SIZE || dtb_offset > p->bytes ||
	    dtb_size > p->bytes - dtb_offset)
		return RM_ERR_ARG_INVALID;
	if (image_offset > p->bytes || image_size > p->bytes - image_offset)
		return RM_ERR_ARG_INVALID;

	vm->image_handle = handle;
	vm->image_offset = image_offset;
	vm->image_size = image_size;
	vm->dtb_offset = dtb_offset;
	vm->dtb_size = dtb_size;
	rm_set_state(sim, vm, RM_VM_INIT);
	return RM_OK;
}

/**
 * rm_vm_init() - VM_INIT {le16 vmid; le16 reserved = 0}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * Reads the VM config DTB and creates the vCPUs and doorbells it describes: INIT -> READY,
 * or INIT_FAILED (with VM_STATUS either way).
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK; MSG_INVALID (length, reserved field); VMID_INVALID; VM_STATE; or the error of
 * sim_vm_read_config() / sim_vm_create_objects().
 */
static u32 rm_vm_init(struct gunyah_sim *sim, const struct sim_rm_req *req,
		      struct sim_rm_resp *resp)
{
	struct sim_vm_config cfg = {};
	struct sim_vm *vm;
	u32 err;

	err = rm_vmid_req(sim, req, &vm);
	if (err)
		return err;
	if (get_unaligned_le16(req->buf + 2))
		return RM_ERR_MSG_INVALID;
	if (rm_vm_state(sim, vm) != RM_VM_INIT)
		return RM_ERR_VM_STATE;

	err = sim_vm_read_config(sim, vm, &cfg);
	if (err == RM_OK)
		err = sim_vm_create_objects(sim, vm, &cfg);
	rm_set_state(sim, vm, err == RM_OK ? RM_VM_READY : RM_VM_INIT_FAILED);
	return err;
}

/**
 * rm_vm_start() - VM_START {le16 vmid; le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * The VM takes its parcels, every vCPU powers on at the entry point (boot context PC, else
 * the config's base address): READY -> RUNNING, or INIT_FAILED.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK; MSG_INVALID; VMID_INVALID; VM_STATE; or the error of sim_mem_vm_start().
 */
static u32 rm_vm_start(struct gunyah_sim *sim, const struct sim_rm_req *req,
		       struct sim_rm_resp *resp)
{
	struct sim_parcel *image;
	unsigned long flags;
	struct sim_vm *vm;
	u32 err;

	err = rm_vmid_req(sim, req, &vm);
	if (err)
		return err;
	if (rm_vm_state(sim, vm) != RM_VM_READY)
		return RM_ERR_VM_STATE;

	err = sim_mem_vm_start(sim, vm, &image);
	if (err) {
		rm_set_state(sim, vm, RM_VM_INIT_FAILED);
		return err;
	}

	spin_lock_irqsave(&sim->lock, flags);
	vm->image = image;
	vm->entry = vm->boot_pc_set ? vm->boot_pc : vm->base;
	vm->state = RM_VM_RUNNING;
	sim_vm_power_on_locked(sim, vm);
	spin_unlock_irqrestore(&sim->lock, flags);
	rm_notify_status(sim, vm, RM_VM_RUNNING);
	return RM_OK;
}

/**
 * rm_vm_stop() - VM_STOP {le16 vmid; u8 flags (FORCE 1); u8 reserved; le32 stop_reason}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * FORCE: every vCPU stops, VM_STATUS(EXITED), VM_EXITED(type 7, 4-byte reason 0), then the
 * reply. Without FORCE the request is for the guest, which the simulated guests ignore.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID, VMID_INVALID or VM_STATE (not RUNNING).
 */
static u32 rm_vm_stop(struct gunyah_sim *sim, const struct sim_rm_req *req,
		      struct sim_rm_resp *resp)
{
	static const u8 no_reason[4];
	const u8 *b = req->buf;
	unsigned long flags;
	struct sim_vm *vm;
	bool running;
	u8 stop_flags;

	if (req->len != 8)
		return RM_ERR_MSG_INVALID;
	stop_flags = b[2];
	sim_rm_record(sim, get_unaligned_le16(b));
	sim_rm_record(sim, stop_flags);
	sim_rm_record(sim, b[3]);
	sim_rm_record(sim, get_unaligned_le32(b + 4));

	vm = xa_load(&sim->rm.vms, get_unaligned_le16(b));
	if (!vm)
		return RM_ERR_VMID_INVALID;
	rm_vm_state(sim, vm);

	spin_lock_irqsave(&sim->lock, flags);
	running = vm->state == RM_VM_RUNNING;
	if (running && (stop_flags & RM_STOP_FLAG_FORCE))
		sim_vm_exit_locked(sim, vm, RM_EXIT_TYPE_FORCE_STOPPED, 0, 4, false);
	spin_unlock_irqrestore(&sim->lock, flags);

	if (!running)
		return RM_ERR_VM_STATE;
	/* Without FORCE the RM only forwards a stop request to the guest, which ignores it. */
	if (!(stop_flags & RM_STOP_FLAG_FORCE))
		return RM_OK;

	rm_notify_status(sim, vm, RM_VM_EXITED);
	rm_notify_exited(sim, vm, RM_EXIT_TYPE_FORCE_STOPPED, no_reason, sizeof(no_reason));
	return RM_OK;
}

/**
 * sim_rm_reset_finish() - second half of VM_RESET: free the VM's resources, report RESET
 * @sim: the simulator
 * @vm: the VM, RESETTING
 *
 * Destroys the vCPUs and doorbells, releases every parcel the VM held (one MEM_RELEASED
 * each), then reports VM_STATUS(RESET), after which the owner hears nothing more of this VM.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
void sim_rm_reset_finish(struct gunyah_sim *sim, struct sim_vm *vm)
{
	unsigned long flags;

	sim_vm_destroy_objects(sim, vm);
	spin_lock_irqsave(&sim->lock, flags);
	vm->image = NULL;
	vm->exit_pending = false;
	spin_unlock_irqrestore(&sim->lock, flags);
	sim_mem_vm_release(sim, vm);
	rm_set_state(sim, vm, RM_VM_RESET);
	vm->notify_off = true;
}

/**
 * rm_vm_reset() - VM_RESET {le16 vmid; le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: with reset_reply_early, the VM to finish resetting after the reply
 *
 * EXITED, READY or INIT_FAILED -> RESETTING (VM_STATUS), then sim_rm_reset_finish(), before
 * the reply by default.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID, VMID_INVALID or VM_STATE.
 */
static u32 rm_vm_reset(struct gunyah_sim *sim, const struct sim_rm_req *req,
		       struct sim_rm_resp *resp)
{
	unsigned long flags;
	struct sim_vm *vm;
	bool early;
	u32 err;
	u8 state;

	err = rm_vmid_req(sim, req, &vm);
	if (err)
		return err;
	state = rm_vm_state(sim, vm);
	if (state != RM_VM_EXITED && state != RM_VM_READY && state != RM_VM_INIT_FAILED)
		return RM_ERR_VM_STATE;

	rm_set_state(sim, vm, RM_VM_RESETTING);
	spin_lock_irqsave(&sim->lock, flags);
	early = sim->faults.reset_reply_early;
	spin_unlock_irqrestore(&sim->lock, flags);
	if (early)
		resp->reset_vm = vm;
	else
		sim_rm_reset_finish(sim, vm);
	return RM_OK;
}

/* One 44-byte VM_GET_HYP_RESOURCES entry; base (28) and size (36) stay 0 */
static void rm_put_res(u8 *e, u8 type, u16 vmid, u32 handle, u32 label, u64 cap, u32 virq)
{
	memset(e, 0, RM_HYP_RES_ENTRY_SIZE);
	e[0] = type;
	put_unaligned_le16(vmid, e + 2);
	put_unaligned_le32(handle, e + 4);
	put_unaligned_le32(label, e + 8);
	put_unaligned_le64(cap, e + 12);
	put_unaligned_le32(virq, e + 20);	/* virq_handle: the virq itself */
	put_unaligned_le32(virq, e + 24);
}

/**
 * rm_vm_get_hyp_res() - VM_GET_HYP_RESOURCES {le16 vmid; le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: {le32 n; n entries of 44 bytes}: one VCPU (4) entry per vCPU (label = index, its
 *        virq), then one BELL_TX (0) entry per doorbell (label from the DT, no virq:
 *        0xffffffff in virq and virq_handle)
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID, VMID_INVALID or VM_STATE (no resources yet or any more).
 */
static u32 rm_vm_get_hyp_res(struct gunyah_sim *sim, const struct sim_rm_req *req,
			     struct sim_rm_resp *resp)
{
	struct sim_vcpu *vcpu;
	struct sim_bell *bell;
	struct sim_vm *vm;
	u8 *e = resp->data + 4;
	u32 err, i;
	u8 state;

	err = rm_vmid_req(sim, req, &vm);
	if (err)
		return err;
	state = rm_vm_state(sim, vm);
	if (state != RM_VM_READY && state != RM_VM_RUNNING && state != RM_VM_PAUSED &&
	    state != RM_VM_EXITED)
		return RM_ERR_VM_STATE;

	/* At most SIM_MAX_VCPUS + SIM_MAX_BELLS entries: well within one message */
	for (i = 0; i < vm->n_vcpus; i++, e += RM_HYP_RES_ENTRY_SIZE) {
		vcpu = &vm->vcpus[i];
		rm_put_res(e, RM_RES_TYPE_VCPU, vm->vmid, vcpu->res_handle, vcpu->index,
			   vcpu->cap.id, vcpu->virq);
	}
	for (i = 0; i < vm->n_bells; i++, e += RM_HYP_RES_ENTRY_SIZE) {
		bell = &vm->bells[i];
		rm_put_res(e, RM_RES_TYPE_BELL_TX, vm->vmid, bell->res_handle, bell->label,
			   bell->cap.id, SIM_VIRQ_NONE);
	}
	put_unaligned_le32(vm->n_vcpus + vm->n_bells, resp->data);
	resp->len = e - resp->data;
	return RM_OK;
}

/**
 * rm_vm_get_vmid() - VM_GET_VMID, no payload
 * @sim: the simulator
 * @req: the request
 * @resp: le32 3 (the host's VMID)
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK or MSG_INVALID.
 */
static u32 rm_vm_get_vmid(struct gunyah_sim *sim, const struct sim_rm_req *req,
			  struct sim_rm_resp *resp)
{
	if (req->len != 0)
		return RM_ERR_MSG_INVALID;
	put_unaligned_le32(SIM_HOST_VMID, resp->data);
	resp->len = 4;
	return RM_OK;
}

/* The largest reply: the error word and the data fill every byte the RM can send */
static_assert(GUNYAH_SIM_RM_PAD_REPLY_MAX + 4 == SIM_RM_MAX_PAYLOAD);

/**
 * rm_pad_reply() - the simulator's PAD_REPLY {le32 size}: a reply of @size data bytes
 * @sim: the simulator
 * @req: the request
 * @resp: the reply; its data is filled with byte i = (u8)i
 *
 * Not an RM call: see GUNYAH_SIM_RM_MSG_PAD_REPLY.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK; RM_ERR_MSG_INVALID (not 4 bytes); RM_ERR_ARG_INVALID (more than
 * GUNYAH_SIM_RM_PAD_REPLY_MAX bytes).
 */
static u32 rm_pad_reply(struct gunyah_sim *sim, const struct sim_rm_req *req,
			struct sim_rm_resp *resp)
{
	u32 size, i;

	if (req->len != 4)
		return RM_ERR_MSG_INVALID;
	size = get_unaligned_le32(req->buf);
	sim_rm_record(sim, size);
	if (size > GUNYAH_SIM_RM_PAD_REPLY_MAX)
		return RM_ERR_ARG_INVALID;
	for (i = 0; i < size; i++)
		resp->data[i] = (u8)i;
	resp->len = size;
	return RM_OK;
}

/**
 * rm_vm_get_state() - VM_GET_STATE {le16 vmid (0 = the caller); le16 reserved}
 * @sim: the simulator
 * @req: the request
 * @resp: le32 vm_state | os_state << 8 | app_status << 16 (OS and app status are 0)
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID or NORESOURCE (no such VM).
 */
static u32 rm_vm_get_state(struct gunyah_sim *sim, const struct sim_rm_req *req,
			   struct sim_rm_resp *resp)
{
	struct sim_vm *vm;
	u8 state;
	u16 vmid;

	if (req->len != 4)
		return RM_ERR_MSG_INVALID;
	vmid = get_unaligned_le16(req->buf);
	sim_rm_record(sim, vmid);
	sim_rm_record(sim, get_unaligned_le16(req->buf + 2));

	if (!vmid || vmid == SIM_HOST_VMID) {
		state = RM_VM_RUNNING;
	} else {
		vm = xa_load(&sim->rm.vms, vmid);
		if (!vm)
			return RM_ERR_NORESOURCE;
		state = rm_vm_state(sim, vm);
	}
	/* vm_state | os_state << 8 | app_status << 16; the simulated guests report no OS state */
	put_unaligned_le32(state, resp->data);
	resp->len = 4;
	return RM_OK;
}

/**
 * rm_vm_set_boot_ctx() - VM_SET_BOOT_CONTEXT {le16 vmid; u8 reg_set; u8 reg_index;
 *                        le32 padding; le64 value}
 * @sim: the simulator
 * @req: the request
 * @resp: nothing
 *
 * Register sets: X 0 (index 0..31), PC 1 (index 0), SP 2 (index 0..2). Accepted before
 * VM_START (LOAD, INIT, READY). See the comment at the top of this file.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, MSG_INVALID, VMID_INVALID, VM_STATE or ARG_INVALID (register).
 */
static u32 rm_vm_set_boot_ctx(struct gunyah_sim *sim, const struct sim_rm_req *req,
			      struct sim_rm_resp *resp)
{
	const u8 *b = req->buf;
	u8 reg_set, index, state;
	struct sim_vm *vm;
	u64 value;

	if (req->len != 16)
		return RM_ERR_MSG_INVALID;
	reg_set = b[2];
	index = b[3];
	value = get_unaligned_le64(b + 8);
	sim_rm_record(sim, get_unaligned_le16(b));
	sim_rm_record(sim, reg_set);
	sim_rm_record(sim, index);
	sim_rm_record(sim, get_unaligned_le32(b + 4));
	sim_rm_record(sim, value);

	vm = xa_load(&sim->rm.vms, get_unaligned_le16(b));
	if (!vm)
		return RM_ERR_VMID_INVALID;
	state = rm_vm_state(sim, vm);
	if (state != RM_VM_LOAD && state != RM_VM_INIT && state != RM_VM_READY)
		return RM_ERR_VM_STATE;

	switch (reg_set) {
	case 0:		/* X registers */
		if (index >= GUNYAH_SIM_BOOT_X_REGS)
			return RM_ERR_ARG_INVALID;
		vm->boot_x[index] = value;
		return RM_OK;
	case 1:		/* PC */
		if (index != 0)
			return RM_ERR_ARG_INVALID;
		vm->boot_pc = value;
		vm->boot_pc_set = true;
		return RM_OK;
	case 2:		/* SP_EL0..SP_EL2 */
		if (index >= GUNYAH_SIM_BOOT_SP_REGS)
			return RM_ERR_ARG_INVALID;
		vm->boot_sp[index] = value;
		return RM_OK;
	default:
		return RM_ERR_ARG_INVALID;
	}
}

static u32 rm_mem_share(struct gunyah_sim *sim, const struct sim_rm_req *req,
			struct sim_rm_resp *resp)
{
	return sim_rm_mem_share(sim, req->msg_id, req->buf, req->len, resp->data, &resp->len);
}

static u32 rm_mem_append(struct gunyah_sim *sim, const struct sim_rm_req *req,
			 struct sim_rm_resp *resp)
{
	return sim_rm_mem_append(sim, req->buf, req->len);
}

static u32 rm_mem_reclaim(struct gunyah_sim *sim, const struct sim_rm_req *req,
			  struct sim_rm_resp *resp)
{
	return sim_rm_mem_reclaim(sim, req->buf, req->len);
}

static const struct {
	u32 msg_id;
	sim_rm_handler_t fn;
} rm_handlers[] = {
	{ RM_MSG_VM_ALLOC_VMID,		rm_vm_alloc },
	{ RM_MSG_VM_DEALLOC_VMID,	rm_vm_dealloc },
	{ RM_MSG_VM_START,		rm_vm_start },
	{ RM_MSG_VM_STOP,		rm_vm_stop },
	{ RM_MSG_VM_RESET,		rm_vm_reset },
	{ RM_MSG_VM_CONFIG_IMAGE,	rm_vm_config_image },
	{ RM_MSG_VM_INIT,		rm_vm_init },
	{ RM_MSG_VM_GET_STATE,		rm_vm_get_state },
	{ RM_MSG_VM_GET_HYP_RES,	rm_vm_get_hyp_res },
	{ RM_MSG_VM_GET_VMID,		rm_vm_get_vmid },
	{ RM_MSG_VM_SET_BOOT_CTX,	rm_vm_set_boot_ctx },
	{ RM_MSG_MEM_LEND,		rm_mem_share },
	{ RM_MSG_MEM_SHARE,		rm_mem_share },
	{ RM_MSG_MEM_APPEND,		rm_mem_append },
	{ RM_MSG_MEM_RECLAIM,		rm_mem_reclaim },
	{ GUNYAH_SIM_RM_MSG_PAD_REPLY,	rm_pad_reply },
};

/**
 * sim_rm_find_handler() - the handler of an RPC
 * @msg_id: the request's message id
 *
 * Context: any context.
 * Return: the handler, or NULL for a message id the RM does not implement.
 */
sim_rm_handler_t sim_rm_find_handler(u32 msg_id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rm_handlers); i++)
		if (rm_handlers[i].msg_id == msg_id)
			return rm_handlers[i].fn;
	return NULL;
}

/**
 * sim_rm_fill_vm_info() - describe a VM for the test API
 * @sim: the simulator
 * @vm: the VM
 * @info: filled
 *
 * Context: process context, &gunyah_sim.rm.lock held.
 */
void sim_rm_fill_vm_info(struct gunyah_sim *sim, struct sim_vm *vm,
			 struct gunyah_sim_vm_info *info)
{
	unsigned long flags;

	lockdep_assert_held(&sim->rm.lock);
	memset(info, 0, sizeof(*info));
	info->vmid = vm->vmid;
	info->image_handle = vm->image_handle;
	info->image_offset = vm->image_offset;
	info->image_size = vm->image_size;
	info->dtb_offset = vm->dtb_offset;
	info->dtb_size = vm->dtb_size;
	info->boot_pc_set = vm->boot_pc_set;
	info->boot_pc = vm->boot_pc;
	memcpy(info->boot_x, vm->boot_x, sizeof(info->boot_x));
	memcpy(info->boot_sp, vm->boot_sp, sizeof(info->boot_sp));
	info->n_accepted = sim_mem_vm_accepted(sim, vm->vmid);

	spin_lock_irqsave(&sim->lock, flags);
	info->state = vm->state;
	info->base_address = vm->base;
	info->n_vcpus = vm->n_vcpus;
	info->n_doorbells = vm->n_bells;
	info->exited = vm->exited;
	info->exit_type = vm->exit_type;
	info->exit_reason_size = vm->exit_reason_size;
	memcpy(info->exit_reason, vm->exit_reason, sizeof(info->exit_reason));
	spin_unlock_irqrestore(&sim->lock, flags);
}
