/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM-function framework of the Gunyah VM manager: what the VM lifecycle (vm_mgr.c) calls.
 *
 * Private to gunyah_rsc_mgr.ko. Function modules use <gunyah/vm_mgr.h> (in-tree C) or
 * <gunyah/fn_abi.h> (Rust and out-of-tree); KUnit suites reach the helpers at the bottom through
 * EXPORT_SYMBOL_IF_KUNIT (they need MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)).
 */
#ifndef _GUNYAH_VM_MGR_FN_H
#define _GUNYAH_VM_MGR_FN_H

#include <linux/types.h>

#include <linux/gunyah.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

/* When the VM is allocated, before anything else can see it */
void gunyah_vm_fn_init(struct gunyah_vm *ghvm);

/* The VM fd's function ioctls (the descriptor already copied to the kernel stack) */
long gunyah_vm_add_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc);
long gunyah_vm_rm_function(struct gunyah_vm *ghvm, const struct gunyah_fn_desc *desc);

/* /dev/gunyah's GUNYAH_CHECK_FUNCTION (the argument already copied to the kernel stack) */
long gunyah_check_function(const struct gunyah_fn_check *check);

/* GUNYAH_VM_START: hand the RM's resources to the tickets that wait for them */
int gunyah_vm_populate_resources(struct gunyah_vm *ghvm, struct gunyah_rm_hyp_resources *res);

/* Release of the VM, in this order: functions first, then what they left behind */
void gunyah_vm_remove_functions(struct gunyah_vm *ghvm);
void gunyah_vm_release_resources(struct gunyah_vm *ghvm);

/* Module exit of gunyah_rsc_mgr: wait for the IO handlers still to be freed */
void gunyah_vm_fn_exit(void);

#if IS_ENABLED(CONFIG_KUNIT)
struct gunyah_fn_abi_ops;

/* Helpers visible to KUnit suites only (static otherwise) */
struct gunyah_vm_function *gunyah_vm_function_get(u32 type);
void gunyah_vm_function_put(struct gunyah_vm_function *fn);
bool gunyah_vm_function_registered(u32 type);
long gunyah_vm_add_function_arg(struct gunyah_vm *ghvm, u32 type, void *arg, size_t arg_size);
long gunyah_vm_rm_function_arg(struct gunyah_vm *ghvm, u32 type, const void *arg,
			       size_t arg_size);
bool gunyah_vm_io_handlers_collide(const struct gunyah_vm_io_handler *a,
				   const struct gunyah_vm_io_handler *b);
bool gunyah_vm_mmio_read_held(void);
/* fn_abi.c: the version and size negotiation of gunyah_fn_abi_register() */
int gunyah_fn_abi_check_ops(const struct gunyah_fn_abi_ops *ops);
#endif

#endif
