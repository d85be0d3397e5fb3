// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah hypervisor: vCPU and doorbell objects, and vcpu_run, which interprets the
 * guest programs described in <gunyah/sim_guest.h>.
 */

#include <linux/align.h>
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <gunyah/compat.h>

#include <gunyah/sim_guest.h>

#include "sim_internal.h"

/**
 * sim_vm_find_bell_locked() - find a VM's doorbell by label
 * @vm: the VM
 * @label: label from the VM config
 *
 * Context: &gunyah_sim.lock or &gunyah_sim.rm.lock held.
 * Return: the doorbell, or NULL.
 */
struct sim_bell *sim_vm_find_bell_locked(struct sim_vm *vm, u32 label)
{
	u32 i;

	for (i = 0; i < vm->n_bells; i++)
		if (vm->bells[i].label == label)
			return &vm->bells[i];
	return NULL;
}

/**
 * sim_bell_update_locked() - wake the vCPUs waiting for a doorbell if it asserts
 * @sim: the simulator
 * @bell: the doorbell whose flags or masks changed
 *
 * The guest's interrupt is asserted while flags & enable mask is non-zero; a vCPU blocked in
 * WAIT_BELL on this doorbell gets its interrupt raised so that the host runs it again.
 *
 * Context: &gunyah_sim.lock held.
 */
void sim_bell_update_locked(struct gunyah_sim *sim, struct sim_bell *bell)
{
	struct sim_vm *vm = bell->vm;
	struct sim_vcpu *vcpu;
	u32 i;

	lockdep_assert_held(&sim->lock);
	if (!(bell->flags & bell->enable))
		return;
	for (i = 0; i < vm->n_vcpus; i++) {
		vcpu = &vm->vcpus[i];
		if (vcpu->waiting && vcpu->wait_label == bell->label) {
			vcpu->waiting = false;
			sim_irq_raise(sim, vcpu->virq);
		}
	}
}

/**
 * sim_vm_power_on_locked() - power on every vCPU of a starting VM
 * @sim: the simulator
 * @vm: the VM
 *
 * Each vCPU restarts its program from its entry and gets its interrupt, so a host thread that
 * was told POWERED_OFF runs it again.
 *
 * Context: &gunyah_sim.lock held.
 */
void sim_vm_power_on_locked(struct gunyah_sim *sim, struct sim_vm *vm)
{
	struct sim_vcpu *vcpu;
	u32 i;

	lockdep_assert_held(&sim->lock);
	vm->exited = false;
	vm->exit_pending = false;
	for (i = 0; i < vm->n_vcpus; i++) {
		vcpu = &vm->vcpus[i];
		vcpu->powered_off = false;
		vcpu->faulted = false;
		vcpu->started = false;
		vcpu->waiting = false;
		vcpu->mmio_read_pending = false;
		vcpu->pc = 0;
		vcpu->loop_count = 0;
		memset(vcpu->fault_data, 0, sizeof(vcpu->fault_data));
		sim_irq_raise(sim, vcpu->virq);
	}
}

/**
 * sim_vm_exit_locked() - a running VM exits
 * @sim: the simulator
 * @vm: the VM, RUNNING
 * @exit_type: VM_EXITED exit type
 * @reason: exit reason, little-endian bytes of this word
 * @reason_size: 4 or 8
 * @defer_notify: the RM thread still has to send VM_STATUS(EXITED) and VM_EXITED (a guest
 *                powered off); false when the RM sends them itself (VM_STOP)
 *
 * Every vCPU powers off and gets its interrupt, so host threads waiting for it re-check.
 *
 * Context: &gunyah_sim.lock held.
 */
void sim_vm_exit_locked(struct gunyah_sim *sim, struct sim_vm *vm, u16 exit_type,
			u64 reason, u32 reason_size, bool defer_notify)
{
	struct sim_vcpu *vcpu;
	u32 i;

	lockdep_assert_held(&sim->lock);
	vm->state = RM_VM_EXITED;
	vm->exited = true;
	vm->exit_type = exit_type;
	vm->exit_reason_size = reason_size;
	put_unaligned_le64(reason, vm->exit_reason);
	if (defer_notify) {
		vm->exit_pending = true;
		sim->exits_pending = true;
	}
	for (i = 0; i < vm->n_vcpus; i++) {
		vcpu = &vm->vcpus[i];
		vcpu->powered_off = true;
		vcpu->waiting = false;
		sim_irq_raise(sim, vcpu->virq);
	}
}

static bool vcpu_is_running(struct gunyah_sim *sim, struct sim_vcpu *vcpu)
{
	unsigned long flags;
	bool running;

	spin_lock_irqsave(&sim->lock, flags);
	running = vcpu->running;
	spin_unlock_irqrestore(&sim->lock, flags);
	return running;
}

/**
 * vm_objects_free() - revoke and free vCPUs and doorbells that are no longer published
 * @sim: the simulator
 * @vcpus: the vCPU array (may be NULL)
 * @n_vcpus: its size
 * @bells: the doorbell array (may be NULL)
 * @n_bells: its size
 *
 * Revokes the capabilities, frees the virqs, waits for vcpu_run calls still executing a vCPU
 * to return (they do not sleep, so the wait is short), then frees the arrays.
 *
 * Context: process context, may sleep; &gunyah_sim.rm.lock may be held.
 */
static void vm_objects_free(struct gunyah_sim *sim, struct sim_vcpu *vcpus, u32 n_vcpus,
			    struct sim_bell *bells, u32 n_bells)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&sim->lock, flags);
	for (i = 0; i < n_vcpus; i++) {
		sim_cap_remove_locked(sim, &vcpus[i].cap);
		sim_virq_free_locked(sim, vcpus[i].virq);
	}
	for (i = 0; i < n_bells; i++)
		sim_cap_remove_locked(sim, &bells[i].cap);
	spin_unlock_irqrestore(&sim->lock, flags);

	for (i = 0; i < n_vcpus; i++)
		wait_event(sim->vcpu_wq, !vcpu_is_running(sim, &vcpus[i]));

	kfree(bells);
	kfree(vcpus);
}

/**
 * sim_vm_create_objects() - create the vCPUs and doorbells a VM config asks for (VM_INIT)
 * @sim: the simulator
 * @vm: the VM; it has none yet
 * @cfg: the config read from the VM's DTB
 *
 * vCPU i gets label i and a virq from SIM_VIRQ_FIRST_DYN up; each doorbell gets the label of
 * its DT node, enable mask ~0 and ack mask 0, and no host interrupt (the host only sends).
 *
 * Context: process context, &gunyah_sim.rm.lock held.
 * Return: RM_OK, RM_ERR_NOMEM, or RM_ERR_NORESOURCE (virqs or capabilities exhausted).
 */
u32 sim_vm_create_objects(struct gunyah_sim *sim, struct sim_vm *vm,
			  const struct sim_vm_config *cfg)
{
	struct sim_bell *bells = NULL;
	struct sim_vcpu *vcpus;
	unsigned long flags;
	u32 i, err;

	lockdep_assert_held(&sim->rm.lock);
	vcpus = kcalloc(cfg->n_vcpus, sizeof(*vcpus), GFP_KERNEL);
	if (!vcpus)
		return RM_ERR_NOMEM;
	if (cfg->n_bells) {
		bells = kcalloc(cfg->n_bells, sizeof(*bells), GFP_KERNEL);
		if (!bells) {
			kfree(vcpus);
			return RM_ERR_NOMEM;
		}
	}

	for (i = 0; i < cfg->n_vcpus; i++) {
		vcpus[i].vm = vm;
		vcpus[i].index = i;
		vcpus[i].virq = SIM_VIRQ_NONE;
		vcpus[i].res_handle = sim->rm.next_res_handle++;
		vcpus[i].powered_off = true;
	}
	for (i = 0; i < cfg->n_bells; i++) {
		bells[i].vm = vm;
		bells[i].label = cfg->bell_labels[i];
		bells[i].res_handle = sim->rm.next_res_handle++;
		bells[i].enable = ~0ULL;
		bells[i].ack = 0;
	}

	err = RM_OK;
	spin_lock_irqsave(&sim->lock, flags);
	for (i = 0; i < cfg->n_vcpus && err == RM_OK; i++) {
		vcpus[i].virq = sim_virq_alloc_locked(sim);
		if (vcpus[i].virq == SIM_VIRQ_NONE)
			err = RM_ERR_NORESOURCE;
	}
	spin_unlock_irqrestore(&sim->lock, flags);

	for (i = 0; i < cfg->n_vcpus && err == RM_OK; i++)
		if (sim_cap_add(sim, &vcpus[i].cap, SIM_OBJ_VCPU))
			err = RM_ERR_NORESOURCE;
	for (i = 0; i < cfg->n_bells && err == RM_OK; i++)
		if (sim_cap_add(sim, &bells[i].cap, SIM_OBJ_BELL))
			err = RM_ERR_NORESOURCE;

	if (err != RM_OK) {
		vm_objects_free(sim, vcpus, cfg->n_vcpus, bells, cfg->n_bells);
		return err;
	}

	spin_lock_irqsave(&sim->lock, flags);
	vm->base = cfg->base;
	vm->vcpus = vcpus;
	vm->n_vcpus = cfg->n_vcpus;
	vm->bells = bells;
	vm->n_bells = cfg->n_bells;
	spin_unlock_irqrestore(&sim->lock, flags);
	return RM_OK;
}

/**
 * sim_vm_destroy_objects() - destroy a VM's vCPUs and doorbells (VM_RESET, teardown)
 * @sim: the simulator
 * @vm: the VM
 *
 * Context: process context, may sleep; &gunyah_sim.rm.lock held.
 */
void sim_vm_destroy_objects(struct gunyah_sim *sim, struct sim_vm *vm)
{
	struct sim_vcpu *vcpus;
	struct sim_bell *bells;
	u32 n_vcpus, n_bells;
	unsigned long flags;

	spin_lock_irqsave(&sim->lock, flags);
	vcpus = vm->vcpus;
	n_vcpus = vm->n_vcpus;
	bells = vm->bells;
	n_bells = vm->n_bells;
	vm->vcpus = NULL;
	vm->n_vcpus = 0;
	vm->bells = NULL;
	vm->n_bells = 0;
	spin_unlock_irqrestore(&sim->lock, flags);

	vm_objects_free(sim, vcpus, n_vcpus, bells, n_bells);
}

/* ---- the guest program interpreter ---- */

static u64 truncate_to(u64 value, u32 len)
{
	return len >= 8 ? value : value & (BIT_ULL(len * 8) - 1);
}

static bool mmio_len_valid(u32 len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

/**
 * vcpu_fault_locked() - stop a vCPU with a guest fault
 * @vcpu: the vCPU
 * @code: GUNYAH_SIM_FAULT_*
 * @detail: fault detail (see <gunyah/sim_guest.h>)
 * @resp: set to FAULT with {code, instruction index, detail}
 *
 * Context: &gunyah_sim.lock held.
 * Return: false (stop executing).
 */
static bool vcpu_fault_locked(struct sim_vcpu *vcpu, u32 code, u64 detail,
			      struct gunyah_hypercall_vcpu_run_resp *resp)
{
	vcpu->faulted = true;
	vcpu->fault_data[0] = code;
	vcpu->fault_data[1] = vcpu->pc;
	vcpu->fault_data[2] = detail;
	resp->state = GUNYAH_VCPU_STATE_FAULT;
	memcpy(resp->state_data, vcpu->fault_data, sizeof(resp->state_data));
	return false;
}

/**
 * vcpu_start_locked() - read the program header and find this vCPU's first instruction
 * @vcpu: the vCPU
 * @resp: set to FAULT if the header is bad
 *
 * Context: &gunyah_sim.lock held.
 * Return: true if the vCPU can execute.
 */
static bool vcpu_start_locked(struct sim_vcpu *vcpu, struct gunyah_hypercall_vcpu_run_resp *resp)
{
	u8 hdr[sizeof(struct gunyah_sim_guest_header)];
	struct sim_vm *vm = vcpu->vm;
	u32 n, idx, entry;

	if (!IS_ALIGNED(vm->entry, GUNYAH_SIM_GUEST_HEADER_ALIGN))
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_HEADER, vm->entry, resp);
	if (!sim_guest_read_locked(vm, vm->entry, hdr, sizeof(hdr)))
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_ADDRESS, vm->entry, resp);

	n = get_unaligned_le32(hdr + offsetof(struct gunyah_sim_guest_header, n_entries));
	if (get_unaligned_le32(hdr + offsetof(struct gunyah_sim_guest_header, magic)) !=
	    GUNYAH_SIM_GUEST_MAGIC ||
	    get_unaligned_le32(hdr + offsetof(struct gunyah_sim_guest_header, version)) !=
	    GUNYAH_SIM_GUEST_VERSION ||
	    !n || n > GUNYAH_SIM_GUEST_MAX_ENTRIES)
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_HEADER, vm->entry, resp);

	idx = min(vcpu->index, n - 1);
	entry = get_unaligned_le32(hdr + offsetof(struct gunyah_sim_guest_header, entry) +
				   idx * sizeof(u32));
	if (!IS_ALIGNED(entry, GUNYAH_SIM_GUEST_INSN_SIZE))
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_HEADER, vm->entry, resp);

	vcpu->prog_gpa = vm->entry + entry;
	vcpu->started = true;
	return true;
}

/**
 * vcpu_wait_bell_locked() - execute WAIT_BELL
 * @sim: the simulator
 * @vcpu: the vCPU
 * @label: the doorbell's label
 * @resp: set to EXPECTS_WAKEUP or FAULT when execution stops
 *
 * Context: &gunyah_sim.lock held.
 * Return: true to continue with the next instruction.
 */
static bool vcpu_wait_bell_locked(struct gunyah_sim *sim, struct sim_vcpu *vcpu, u32 label,
				  struct gunyah_hypercall_vcpu_run_resp *resp)
{
	struct sim_bell *bell = sim_vm_find_bell_locked(vcpu->vm, label);
	u64 seen;

	if (!bell)
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_NO_DOORBELL, label, resp);

	if (!(bell->flags & bell->enable)) {
		vcpu->waiting = true;
		vcpu->wait_label = label;
		resp->state = GUNYAH_VCPU_STATE_EXPECTS_WAKEUP;
		return false;
	}

	/*
	 * Delivery clears flags & ack_mask; the guest then reads and clears what is left, as a
	 * bell_receive with "clear all" would: nothing remains.
	 */
	seen = bell->flags;
	bell->flags = 0;
	bell->taken++;
	bell->last_taken = seen;
	vcpu->waiting = false;
	vcpu->pc++;
	return true;
}

/**
 * vcpu_step_locked() - execute one instruction
 * @sim: the simulator
 * @vcpu: the vCPU, marked running by the caller
 * @resume: resume_data of this vcpu_run for its first step, else NULL
 * @resp: set to the state the vCPU stops in
 * @kick: set to true when the RM thread has exit notifications to send
 *
 * Context: &gunyah_sim.lock held.
 * Return: true to execute the next instruction, false to return @resp to the host.
 */
static bool vcpu_step_locked(struct gunyah_sim *sim, struct sim_vcpu *vcpu, const u64 *resume,
			     struct gunyah_hypercall_vcpu_run_resp *resp, bool *kick)
{
	u8 raw[sizeof(struct gunyah_sim_guest_insn)];
	struct sim_vm *vm = vcpu->vm;
	u64 gpa, addr, value, arg;
	u32 op, len;

	lockdep_assert_held(&sim->lock);
	if (vm->state != RM_VM_RUNNING || vcpu->powered_off) {
		resp->state = GUNYAH_VCPU_STATE_POWERED_OFF;
		return false;
	}
	if (vcpu->faulted) {
		resp->state = GUNYAH_VCPU_STATE_FAULT;
		memcpy(resp->state_data, vcpu->fault_data, sizeof(resp->state_data));
		return false;
	}

	if (vcpu->mmio_read_pending) {
		value = truncate_to(resume ? resume[0] : 0, vcpu->mmio_len);
		vcpu->mmio_read_pending = false;
		if (vcpu->mmio_check && value != truncate_to(vcpu->mmio_expect, vcpu->mmio_len))
			return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_MMIO_MISMATCH, value, resp);
		vcpu->pc++;
		return true;
	}

	if (!vcpu->started && !vcpu_start_locked(vcpu, resp))
		return false;

	gpa = vcpu->prog_gpa + (u64)vcpu->pc * GUNYAH_SIM_GUEST_INSN_SIZE;
	if (gpa < vcpu->prog_gpa || !sim_guest_read_locked(vm, gpa, raw, sizeof(raw)))
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_ADDRESS, gpa, resp);

	op = get_unaligned_le32(raw + offsetof(struct gunyah_sim_guest_insn, op));
	len = get_unaligned_le32(raw + offsetof(struct gunyah_sim_guest_insn, len));
	addr = get_unaligned_le64(raw + offsetof(struct gunyah_sim_guest_insn, addr));
	value = get_unaligned_le64(raw + offsetof(struct gunyah_sim_guest_insn, value));
	arg = get_unaligned_le64(raw + offsetof(struct gunyah_sim_guest_insn, arg));

	switch (op) {
	case GUNYAH_SIM_OP_NOP:
		vcpu->pc++;
		return true;

	case GUNYAH_SIM_OP_MMIO_WRITE:
		if (!mmio_len_valid(len))
			return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_INSN, op, resp);
		resp->state = GUNYAH_VCPU_STATE_MMIO_WRITE;
		resp->state_data[0] = addr;
		resp->state_data[1] = len;
		resp->state_data[2] = truncate_to(value, len);
		vcpu->pc++;
		sim_count(sim, SIM_CNT_MMIO_EXITS);
		return false;

	case GUNYAH_SIM_OP_MMIO_READ:
		if (!mmio_len_valid(len))
			return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_INSN, op, resp);
		resp->state = GUNYAH_VCPU_STATE_MMIO_READ;
		resp->state_data[0] = addr;
		resp->state_data[1] = len;
		vcpu->mmio_read_pending = true;
		vcpu->mmio_check = arg & GUNYAH_SIM_MMIO_READ_CHECK;
		vcpu->mmio_expect = value;
		vcpu->mmio_len = len;
		sim_count(sim, SIM_CNT_MMIO_EXITS);
		return false;

	case GUNYAH_SIM_OP_WAIT_BELL:
		return vcpu_wait_bell_locked(sim, vcpu, lower_32_bits(arg), resp);

	case GUNYAH_SIM_OP_LOOP:
		if (value > U32_MAX)
			return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_INSN, op, resp);
		if (vcpu->loop_count < arg) {
			vcpu->loop_count++;
			vcpu->pc = value;
		} else {
			vcpu->loop_count = 0;
			vcpu->pc++;
		}
		return true;

	case GUNYAH_SIM_OP_POWER_OFF:
		if (!len)
			len = 4;
		if (len != 4 && len != 8)
			return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_INSN, op, resp);
		sim_vm_exit_locked(sim, vm, (u16)value, arg, len, true);
		*kick = true;
		resp->state = GUNYAH_VCPU_STATE_POWERED_OFF;
		return false;

	case GUNYAH_SIM_OP_CRASH:
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_CRASH, value, resp);

	case GUNYAH_SIM_OP_YIELD:
		vcpu->pc++;
		resp->state = GUNYAH_VCPU_STATE_READY;
		return false;

	default:
		return vcpu_fault_locked(vcpu, GUNYAH_SIM_FAULT_BAD_INSN, op, resp);
	}
}

/**
 * gunyah_hypercall_vcpu_run() - run a simulated vCPU
 * @capid: the vCPU's capability
 * @resume_data: resume_data[0] completes a pending MMIO read; may be NULL (zeros)
 * @resp: set to the state the vCPU stopped in
 *
 * Executes at most GUNYAH_SIM_GUEST_MAX_STEPS instructions of the guest program, then returns
 * READY. A vCPU of a VM that is not RUNNING, or that powered off, reports POWERED_OFF.
 *
 * Context: any context; does not sleep.
 * Return: GUNYAH_ERROR_OK with @resp set; BUSY if another vcpu_run executes this vCPU; RETRY
 * when the vcpu_retry knob says so; CSPACE_CAP_NULL; CSPACE_WRONG_OBJ_TYPE.
 */
enum gunyah_error gunyah_hypercall_vcpu_run(u64 capid, const u64 *resume_data,
					    struct gunyah_hypercall_vcpu_run_resp *resp)
{
	struct gunyah_sim *sim = sim_get();
	enum gunyah_error err = GUNYAH_ERROR_OK;
	bool injected = false, kick = false, more;
	struct sim_vcpu *vcpu;
	struct sim_cap *cap;
	unsigned long flags;
	unsigned int step;

	memset(resp, 0, sizeof(*resp));
	if (!sim)
		return GUNYAH_ERROR_CSPACE_CAP_NULL;

	spin_lock_irqsave(&sim->lock, flags);
	cap = sim_cap_lookup_locked(sim, capid, SIM_OBJ_VCPU, &err);
	if (!cap)
		goto out_unlock;
	vcpu = container_of(cap, struct sim_vcpu, cap);
	if (vcpu->running) {
		err = GUNYAH_ERROR_BUSY;
		goto out_unlock;
	}
	if (sim->faults.vcpu_retry) {
		sim->faults.vcpu_retry--;
		injected = true;
		err = GUNYAH_ERROR_RETRY;
		goto out_unlock;
	}
	vcpu->running = true;
	vcpu->runs++;
	spin_unlock_irqrestore(&sim->lock, flags);

	sim_count(sim, SIM_CNT_VCPU_RUNS);
	/* One instruction per lock section; @vcpu stays valid while it is marked running. */
	more = true;
	for (step = 0; more && step < GUNYAH_SIM_GUEST_MAX_STEPS; step++) {
		spin_lock_irqsave(&sim->lock, flags);
		more = vcpu_step_locked(sim, vcpu, step ? NULL : resume_data, resp, &kick);
		spin_unlock_irqrestore(&sim->lock, flags);
	}
	if (more)
		resp->state = GUNYAH_VCPU_STATE_READY;

	spin_lock_irqsave(&sim->lock, flags);
	vcpu->running = false;
	spin_unlock_irqrestore(&sim->lock, flags);
	/* @vcpu may be freed from here on */
	wake_up(&sim->vcpu_wq);
	if (kick)
		wake_up(&sim->rm.wq);
	return GUNYAH_ERROR_OK;

out_unlock:
	spin_unlock_irqrestore(&sim->lock, flags);
	if (injected)
		sim_count(sim, SIM_CNT_FAULTS_INJECTED);
	return err;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_vcpu_run);
