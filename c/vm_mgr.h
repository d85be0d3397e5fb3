/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gunyah VM manager: declarations shared by vm_mgr.c (VM lifecycle, /dev/gunyah, the VM fd) and
 * vm_mgr_mem.c (guest memory and the platform hooks). Private to gunyah_rsc_mgr.ko.
 *
 * The VM object itself (struct gunyah_vm) and the API for function modules are in
 * <gunyah/vm_mgr.h>; the VM-function framework's entry points are in vm_mgr_fn.h.
 */
#ifndef _GUNYAH_VM_MGR_PRIV_H
#define _GUNYAH_VM_MGR_PRIV_H

#include <linux/list.h>
#include <linux/types.h>

#include <linux/gunyah.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>
struct gunyah_rm_platform_ops;

/**
 * struct gunyah_vm_mem_mapping - one region of guest memory (GUNYAH_VM_SET_USER_MEM_REGION)
 * @list: in gunyah_vm.mem_mappings, sorted by @guest_phys_addr; protected by gunyah_vm.mm_lock
 * @label: the region's label, also the label of its parcel; constant
 * @flags: GUNYAH_MEM_* flags of the region; constant
 * @guest_phys_addr: start in the guest's physical address space; constant
 * @size: size in bytes (page aligned, not 0); constant
 * @userspace_addr: start in the VM creator's address space (gunyah_vm.mm); constant
 * @npages: @size in pages; constant
 * @acl: storage for the parcel's ACL: the guest, then (for a share) the host; constant
 * @parcel: what is shared or lent with the RM at VM start; its memory entries are also the
 *          record of the pinned pages (FOLL_LONGTERM), which are unpinned by them. Everything
 *          but mem_handle is constant once the mapping is made; mem_handle is
 *          GUNYAH_MEM_HANDLE_INVAL unless the RM holds the parcel. Protected by
 *          gunyah_vm.mm_lock
 * @hook_ops: the platform ops registered when the parcel was shared (NULL if none): only
 *            they undo the share; written under the VM's mm_lock at START
 * @leak: the pages are in a state the host must not rely on (a reclaim or a platform hook
 *        failed): they are never unpinned, so they never return to the page allocator.
 *        Protected by gunyah_vm.mm_lock
 */
struct gunyah_vm_mem_mapping {
	struct list_head list;
	u32 label;
	u32 flags;
	u64 guest_phys_addr;
	u64 size;
	u64 userspace_addr;
	unsigned long npages;
	struct gunyah_rm_mem_acl_entry acl[2];
	struct gunyah_rm_mem_parcel parcel;
	const struct gunyah_rm_platform_ops *hook_ops;
	bool leak;
};

/* Teardown (vm_mgr.c) */
bool gunyah_vm_teardown_retry(struct gunyah_vm *ghvm, const char *what, int ret,
			      unsigned int *attempt);

/* Guest memory (vm_mgr_mem.c) */
int gunyah_vm_mem_add_user_region(struct gunyah_vm *ghvm,
				  const struct gunyah_userspace_memory_region *region);
struct gunyah_vm_mem_mapping *gunyah_vm_mem_find(struct gunyah_vm *ghvm, u64 guest_phys_addr,
						 u64 size);
int gunyah_vm_mem_share_all(struct gunyah_vm *ghvm);
void gunyah_vm_mem_reclaim_all(struct gunyah_vm *ghvm);

#endif
