/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The header bindgen reads for bindings/uapi/<arch>.rs (scripts/gen-bindings.sh).
 *
 * bindgen evaluates plain #defines itself, but not function-like macros: the ioctl numbers
 * (_IO(), _IOW()) and GUNYAH_VM_BOOT_CONTEXT_REG() come out of clang here, as typed constants,
 * so no number is ever copied by hand.
 *
 * RUST_CONST_HELPER_<NAME> becomes the Rust constant <NAME> (the script strips the prefix, as
 * Rust-for-Linux does), of the C type given here: an ioctl request is an unsigned long.
 * GUNYAH_BINDGEN_CHECK_* are no C names: they are values of function-like macros for fixed
 * arguments, against which the crate checks its const fn versions of those macros at build
 * time.
 *
 * Add a line here for every new ioctl, in the order of <linux/gunyah.h>.
 */

#include <linux/gunyah.h>

/* ioctls of /dev/gunyah */
static const unsigned long RUST_CONST_HELPER_GUNYAH_CREATE_VM = GUNYAH_CREATE_VM;
static const unsigned long RUST_CONST_HELPER_GUNYAH_CHECK_FUNCTION = GUNYAH_CHECK_FUNCTION;

/* ioctls of a VM fd */
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_SET_USER_MEM_REGION =
	GUNYAH_VM_SET_USER_MEM_REGION;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_SET_DTB_CONFIG = GUNYAH_VM_SET_DTB_CONFIG;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_START = GUNYAH_VM_START;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_ADD_FUNCTION = GUNYAH_VM_ADD_FUNCTION;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_REMOVE_FUNCTION =
	GUNYAH_VM_REMOVE_FUNCTION;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VM_SET_BOOT_CONTEXT =
	GUNYAH_VM_SET_BOOT_CONTEXT;

/* ioctls of a vCPU fd */
static const unsigned long RUST_CONST_HELPER_GUNYAH_VCPU_RUN = GUNYAH_VCPU_RUN;
static const unsigned long RUST_CONST_HELPER_GUNYAH_VCPU_MMAP_SIZE = GUNYAH_VCPU_MMAP_SIZE;

/* GUNYAH_VM_BOOT_CONTEXT_REG(set, index): one encoding per register set and its last index */
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_0 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 0);
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_31 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, 31);
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_PC_0 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0);
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_0 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 0);
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_1 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 1);
static const __u32 GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_2 =
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 2);
