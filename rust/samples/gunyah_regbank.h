/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * What userspace (and the C tests) need to use gunyah_regbank, the sample VM function written
 * in Rust (rust/samples/gunyah_regbank.rs, whose module documentation is the reference).
 *
 * GUNYAH_VM_ADD_FUNCTION with type GUNYAH_FN_REGBANK and a struct gunyah_regbank_arg creates a
 * bank of n_regs 64-bit registers at base, base + 8, ...: guest writes store, guest reads return
 * the stored value (an access of 1, 2 or 4 bytes at a register's address reads or replaces its
 * low bytes), all in the kernel, without a vCPU exit to userspace. The module is loaded on
 * demand (alias "ghfunc:32768").
 *
 * ADD returns 0; errno EINVAL (arg_size not 16, base not a multiple of 8, n_regs not in
 * 1..GUNYAH_REGBANK_MAX_REGS, the last register past the end of the address space, flags not
 * 0), EEXIST (a register's address already has an MMIO handler in the VM: another bank, an
 * ioeventfd) or ENOMEM.
 *
 * GUNYAH_VM_REMOVE_FUNCTION takes the same structure and removes the bank at base (n_regs is
 * ignored); errno EINVAL (arg_size not 16, flags not 0, base not a multiple of 8) or ENOENT (no
 * bank at base).
 */
#ifndef _GUNYAH_REGBANK_H
#define _GUNYAH_REGBANK_H

#include <linux/types.h>
#include <linux/gunyah.h>

/* The function type: the first of the sample range; decimal 32768, as in the module alias */
#define GUNYAH_FN_REGBANK		GUNYAH_FN_SAMPLE_FIRST

/* Most registers a bank may have */
#define GUNYAH_REGBANK_MAX_REGS		64

/* Size of a register and distance between two, in bytes */
#define GUNYAH_REGBANK_REG_SIZE		8

/**
 * struct gunyah_regbank_arg - Argument of GUNYAH_FN_REGBANK (16 bytes, host byte order).
 * @base: guest physical address of register 0; a multiple of 8.
 * @n_regs: number of registers, 1 to GUNYAH_REGBANK_MAX_REGS (ignored by REMOVE).
 * @flags: must be 0.
 */
struct gunyah_regbank_arg {
	__u64 base;
	__u32 n_regs;
	__u32 flags;
};

#endif
