/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs for the simulated Gunyah hypervisor (gunyah_sim.ko).
 *
 * The simulator cannot run real guest code, so a test places a tiny program in the guest's
 * image parcel instead. This header is shared by the kernel (the simulator, KUnit tests) and by
 * userspace test programs: it uses only the fixed-width types of <linux/types.h>.
 *
 * Layout, all little-endian, in guest memory:
 *
 * - A struct gunyah_sim_guest_header (64 bytes, 64-byte aligned) at the vCPU entry point. The
 *   entry point is the PC given with VM_SET_BOOT_CONTEXT (register set 1, index 0) if one was
 *   set, else the base address of the VM config (/qcom,vm-config/memory, base-address).
 * - Instructions (struct gunyah_sim_guest_insn, 32 bytes each) in arrays. vCPU i starts at
 *   header + entry[min(i, n_entries - 1)], which must be a multiple of 32.
 *   Instruction k of a vCPU is at header + entry[...] + 32 * k.
 *
 * Guest physical addresses map to the image parcel: base address + offset maps to byte
 * "offset" of the parcel, its memory entries laid end to end in the order they were shared.
 * Anything outside the parcel is a guest fault (GUNYAH_SIM_FAULT_BAD_ADDRESS).
 *
 * Each vcpu_run executes at most GUNYAH_SIM_GUEST_MAX_STEPS instructions, then returns READY.
 * A guest fault makes vcpu_run return FAULT with state_data = {fault code
 * (GUNYAH_SIM_FAULT_*), instruction index, detail}; the vCPU stays faulted.
 */
#ifndef _GUNYAH_SIM_GUEST_H
#define _GUNYAH_SIM_GUEST_H

#include <linux/types.h>

/* The four bytes "GSIM" read as a little-endian 32-bit word */
#define GUNYAH_SIM_GUEST_MAGIC		0x4d495347U
#define GUNYAH_SIM_GUEST_VERSION	1U
#define GUNYAH_SIM_GUEST_MAX_ENTRIES	12U
#define GUNYAH_SIM_GUEST_HEADER_ALIGN	64U
#define GUNYAH_SIM_GUEST_INSN_SIZE	32U
#define GUNYAH_SIM_GUEST_MAX_STEPS	64U

/**
 * struct gunyah_sim_guest_header - a guest program header, 64 bytes
 * @magic: GUNYAH_SIM_GUEST_MAGIC
 * @version: GUNYAH_SIM_GUEST_VERSION
 * @n_entries: 1..GUNYAH_SIM_GUEST_MAX_ENTRIES
 * @reserved: 0
 * @entry: byte offset from the header of each entry's first instruction (multiple of 32)
 */
struct gunyah_sim_guest_header {
	__u32 magic;
	__u32 version;
	__u32 n_entries;
	__u32 reserved;
	__u32 entry[GUNYAH_SIM_GUEST_MAX_ENTRIES];
};

/**
 * struct gunyah_sim_guest_insn - one guest instruction, 32 bytes
 * @op: GUNYAH_SIM_OP_*
 * @len: access size (MMIO: 1, 2, 4 or 8) or reason size (POWER_OFF: 4 or 8)
 * @addr: guest physical address (MMIO)
 * @value: value written, expected value, jump target, exit type or crash code (see ops)
 * @arg: flags, doorbell label, loop count or exit reason (see ops)
 *
 * Ops:
 * - NOP: nothing.
 * - MMIO_WRITE: vcpu_run returns VMMIO_WRITE with state_data {@addr, @len, @value truncated
 *   to @len bytes}. The next vcpu_run continues after it.
 * - MMIO_READ: vcpu_run returns VMMIO_READ with state_data {@addr, @len, 0}. The next
 *   vcpu_run passes the value read in resume_data[0]. If @arg has GUNYAH_SIM_MMIO_READ_CHECK,
 *   a value (truncated to @len bytes) different from @value is a guest fault
 *   (GUNYAH_SIM_FAULT_MMIO_MISMATCH, detail = the value read).
 * - WAIT_BELL: waits for the doorbell whose label is @arg (low 32 bits). If its interrupt is
 *   asserted (flags & enable_mask), the guest takes it: flags &= ~ack_mask, then the guest
 *   clears the remaining flags, and execution continues. Otherwise vcpu_run returns
 *   EXPECTS_WAKEUP and the vCPU's interrupt is raised once the doorbell asserts; the next
 *   vcpu_run executes WAIT_BELL again. An unknown label is GUNYAH_SIM_FAULT_NO_DOORBELL.
 * - LOOP: jumps to instruction index @value, @arg times in total, then goes on with the next
 *   instruction. There is one loop counter per vCPU (no nested loops).
 * - POWER_OFF: the VM exits: the RM sends VM_STATUS(EXITED) and VM_EXITED with exit type
 *   @value and a reason of @len bytes (4 or 8; 0 means 4) taken from @arg, little-endian. All
 *   vCPUs of the VM power off; vcpu_run returns POWERED_OFF.
 * - CRASH: guest fault GUNYAH_SIM_FAULT_CRASH, detail = @value.
 * - YIELD: vcpu_run returns READY; the next vcpu_run continues after it.
 * Any other op is GUNYAH_SIM_FAULT_BAD_INSN.
 */
struct gunyah_sim_guest_insn {
	__u32 op;
	__u32 len;
	__u64 addr;
	__u64 value;
	__u64 arg;
};

#define GUNYAH_SIM_OP_NOP		0U
#define GUNYAH_SIM_OP_MMIO_WRITE	1U
#define GUNYAH_SIM_OP_MMIO_READ		2U
#define GUNYAH_SIM_OP_WAIT_BELL		3U
#define GUNYAH_SIM_OP_LOOP		4U
#define GUNYAH_SIM_OP_POWER_OFF		5U
#define GUNYAH_SIM_OP_CRASH		6U
#define GUNYAH_SIM_OP_YIELD		7U

/* MMIO_READ @arg flag: compare the value read with @value */
#define GUNYAH_SIM_MMIO_READ_CHECK	(1U << 0)

/* Guest fault codes: state_data[0] of a FAULT returned by vcpu_run */
#define GUNYAH_SIM_FAULT_CRASH		1U	/* CRASH op; detail = its value */
#define GUNYAH_SIM_FAULT_BAD_ADDRESS	2U	/* outside the image parcel; detail = address */
#define GUNYAH_SIM_FAULT_BAD_INSN	3U	/* unknown op or bad length; detail = op */
#define GUNYAH_SIM_FAULT_MMIO_MISMATCH	4U	/* checked MMIO_READ; detail = value read */
#define GUNYAH_SIM_FAULT_BAD_HEADER	5U	/* bad magic/version/entries; detail = address */
#define GUNYAH_SIM_FAULT_NO_DOORBELL	6U	/* WAIT_BELL on an unknown label; detail = label */

#endif
