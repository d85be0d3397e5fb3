// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: guest memory (GUNYAH_VM_SET_USER_MEM_REGION, pinning and accounting, memory
 * parcels, share/lend/reclaim) and the platform hooks around sharing.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/error-injection.h>
#include <linux/hugetlb_inline.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pfn.h>
#include <linux/printk.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/types.h>

#include <gunyah/platform_hooks.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "vm_mgr.h"

/**
 * DOC: Guest memory
 *
 * GUNYAH_VM_SET_USER_MEM_REGION records a region of the VM creator's memory. It checks the
 * arguments and the mappings behind the user range (anonymous, shmem or hugetlbfs; regular files
 * are refused), charges the pages to the creator's RLIMIT_MEMLOCK with account_locked_vm(), pins
 * them with pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM) (which also moves them out of
 * ZONE_MOVABLE and CMA), checks every pinned folio again (anonymous, swap-backed or hugetlb: the
 * mapping may have changed since the first check) and describes the pages as a memory parcel:
 * physically contiguous pages coalesced into one entry, the region's label, normal memory, and
 * the ACL below. The pages stay pinned until the VM is destroyed. The memory entries are the
 * record of what is pinned: the pages are pinned in small batches, each turned into entries at
 * once, no array of the pages is kept, and unpinning goes by the entries.
 *
 * Nothing is given to the RM at that point. GUNYAH_VM_START shares every region (lends it, with
 * GUNYAH_MEM_FORCE_LEND), in guest address order, each after the platform's pre_mem_share hook;
 * only then is it known which region holds the DTB and therefore which parcel is the VM's image
 * parcel. Handing the regions over in one place keeps the RM's parcel rules in one place: every
 * region goes over once, with the ACL the VMM asked for. (A production RM takes the image parcel
 * only as a lend to the guest alone with RWX; a debug RM, and the simulator, also take a share.
 * Which one a region gets is the VMM's choice through GUNYAH_MEM_FORCE_LEND.)
 *
 * ACLs: a shared parcel lists {guest, perms} and {host, RWX}; a lent one only {guest, perms}.
 * The uapi's READ 1 / WRITE 2 / EXEC 4 become the RM's R 4 / W 2 / X 1; ALLOW_READ is required,
 * so the rights are always R, RW, RX or RWX, the only ones the RM accepts.
 *
 * When the VM is destroyed, after the RM has reset it, every parcel the RM holds is reclaimed
 * and passed to the platform's post_mem_reclaim hook, and the pages are unpinned (marked dirty:
 * the guest may have written them) and uncharged. If the reclaim or the hook fails, the state of
 * the pages is unknown (the guest may still reach them, a firewall may still bar the host): they
 * are leaked, pinned and charged for good, rather than handed back to the page allocator. The
 * same goes for a region whose share or lend at START got no answer: the RM may have made the
 * parcel, which the host, without its handle, can never reclaim.
 */

/**
 * DOC: Platform hooks
 *
 * An SoC may need to act on memory around the time the RM owns it (struct
 * gunyah_rm_platform_ops in <gunyah/platform_hooks.h>). Such hooks are a property of the
 * platform, not of a VM or an RM, so they are the one global object of the VM manager: one set
 * at most, registered by the platform's driver.
 *
 * gunyah_rm_platform_ops_lock protects gunyah_rm_platform_ops. The hooks are called with it
 * held for reading, so VMs share and reclaim concurrently; registering and unregistering take
 * it for writing. Once gunyah_rm_unregister_platform_ops() has returned, no hook of the old ops
 * runs or will run, so the module that provided them may go: no module reference is needed and
 * none is taken. The lock ranks below gunyah_vm.mm_lock (the hooks are called under it) and
 * above the RM's send_lock: the VM manager makes no RM call under it, but a hook, which is
 * handed the RM, may call it (platform_ops_lock -> send_lock).
 */
static const struct gunyah_rm_platform_ops *gunyah_rm_platform_ops;
static DECLARE_RWSEM(gunyah_rm_platform_ops_lock);

#define GUNYAH_VM_MEM_VALID_FLAGS	(GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE | \
					 GUNYAH_MEM_ALLOW_EXEC | GUNYAH_MEM_FORCE_LEND)

/*
 * Pages pinned per pin_user_pages_fast() call: each batch is turned into memory entries while
 * its struct pages are still in the cache, and a fatal signal is looked for in between.
 */
#define GUNYAH_VM_MEM_PIN_BATCH		512UL
/* Memory entries a mapping's array starts with; it doubles when full */
#define GUNYAH_VM_MEM_MIN_ENTRIES	64UL

/* ---------------------------------------------------------------------------------------- */
/* Platform hooks                                                                           */

/**
 * gunyah_rm_platform_hook_ret() - normalise what a platform hook returned
 * @ret: the hook's return value
 *
 * Context: any context.
 * Return: 0, @ret if it is a negative errno, -EINVAL for a positive value (a buggy hook must not
 * turn into a positive ioctl return).
 */
static int gunyah_rm_platform_hook_ret(int ret)
{
	return ret > 0 ? -EINVAL : ret;
}

/**
 * gunyah_rm_platform_pre_mem_share() - run the platform's pre_mem_share hook, if any
 * @rm: the RM the parcel is about to be given to
 * @parcel: the parcel
 * @seen_by: set to the ops registered now (NULL if none): only they may undo the share later
 *
 * Context: process context, may sleep; takes gunyah_rm_platform_ops_lock for reading.
 * Return: 0 (also when no hook is registered) or the hook's negative errno.
 */
static int gunyah_rm_platform_pre_mem_share(struct gunyah_rm *rm,
					    struct gunyah_rm_mem_parcel *parcel,
					    const struct gunyah_rm_platform_ops **seen_by)
{
	int ret = 0;

	down_read(&gunyah_rm_platform_ops_lock);
	*seen_by = gunyah_rm_platform_ops;
	if (gunyah_rm_platform_ops && gunyah_rm_platform_ops->pre_mem_share)
		ret = gunyah_rm_platform_ops->pre_mem_share(rm, parcel);
	up_read(&gunyah_rm_platform_ops_lock);

	return gunyah_rm_platform_hook_ret(ret);
}

/**
 * gunyah_rm_platform_post_mem_reclaim() - run the platform's post_mem_reclaim hook, if any
 * @rm: the RM the parcel was taken back from
 * @parcel: the parcel
 * @seen_by: the ops that were registered when the parcel was shared
 *
 * Only the ops that saw the share undo it: ops registered later, or another set of ops, are
 * not called.
 *
 * Context: process context, may sleep; takes gunyah_rm_platform_ops_lock for reading.
 * Return: 0 (also when no hook is to be called) or the hook's negative errno.
 */
static int gunyah_rm_platform_post_mem_reclaim(struct gunyah_rm *rm,
					       struct gunyah_rm_mem_parcel *parcel,
					       const struct gunyah_rm_platform_ops *seen_by)
{
	int ret = 0;

	down_read(&gunyah_rm_platform_ops_lock);
	if (gunyah_rm_platform_ops && gunyah_rm_platform_ops == seen_by &&
	    gunyah_rm_platform_ops->post_mem_reclaim)
		ret = gunyah_rm_platform_ops->post_mem_reclaim(rm, parcel);
	up_read(&gunyah_rm_platform_ops_lock);

	return gunyah_rm_platform_hook_ret(ret);
}

/**
 * gunyah_rm_register_platform_ops() - install the platform's memory hooks
 * @platform_ops: the hooks; must stay valid until gunyah_rm_unregister_platform_ops()
 *
 * Parcels shared from now on go through @platform_ops (see DOC: Platform hooks).
 *
 * Context: process context, may sleep; not from a hook.
 * Return: 0, -EINVAL if @platform_ops is NULL, or -EEXIST if ops are registered already.
 */
int gunyah_rm_register_platform_ops(const struct gunyah_rm_platform_ops *platform_ops)
{
	int ret = 0;

	if (!platform_ops)
		return -EINVAL;

	down_write(&gunyah_rm_platform_ops_lock);
	if (gunyah_rm_platform_ops)
		ret = -EEXIST;
	else
		gunyah_rm_platform_ops = platform_ops;
	up_write(&gunyah_rm_platform_ops_lock);

	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_rm_register_platform_ops);

/**
 * gunyah_rm_unregister_platform_ops() - remove the platform's memory hooks
 * @platform_ops: the hooks gunyah_rm_register_platform_ops() installed
 *
 * Waits for hooks that are running. Ops other than the registered ones are left alone (with a
 * warning: that is a bug of the caller).
 *
 * Context: process context, may sleep; not from a hook.
 */
void gunyah_rm_unregister_platform_ops(const struct gunyah_rm_platform_ops *platform_ops)
{
	down_write(&gunyah_rm_platform_ops_lock);
	if (gunyah_rm_platform_ops == platform_ops)
		gunyah_rm_platform_ops = NULL;
	else
		pr_warn("gunyah: unregistering platform ops that are not registered\n");
	up_write(&gunyah_rm_platform_ops_lock);
}
EXPORT_SYMBOL_GPL(gunyah_rm_unregister_platform_ops);

/**
 * devm_gunyah_rm_unregister_platform_ops() - devres action: unregister the ops
 * @data: the registered struct gunyah_rm_platform_ops
 *
 * Context: process context (driver detach or probe failure).
 */
static void devm_gunyah_rm_unregister_platform_ops(void *data)
{
	gunyah_rm_unregister_platform_ops(data);
}

/**
 * devm_gunyah_rm_register_platform_ops() - gunyah_rm_register_platform_ops() undone on detach
 * @dev: the platform driver's device; the ops are unregistered when it is unbound
 * @platform_ops: the hooks; must stay valid while @dev is bound
 *
 * Context: process context, may sleep (typically probe).
 * Return: 0, -EINVAL, -EEXIST (see gunyah_rm_register_platform_ops()) or -ENOMEM.
 */
int devm_gunyah_rm_register_platform_ops(struct device *dev,
					 const struct gunyah_rm_platform_ops *platform_ops)
{
	int ret;

	ret = gunyah_rm_register_platform_ops(platform_ops);
	if (ret)
		return ret;

	return devm_add_action_or_reset(dev, devm_gunyah_rm_unregister_platform_ops,
					(void *)platform_ops);
}
EXPORT_SYMBOL_GPL(devm_gunyah_rm_register_platform_ops);

/* ---------------------------------------------------------------------------------------- */
/* Regions: checks                                                                          */

/**
 * gunyah_vm_mem_check_region() - check a region's arguments
 * @region: the region, as userspace passed it
 *
 * Context: any context.
 * Return: 0, or -EINVAL if a flag is unknown, ALLOW_READ is missing, the size is 0, an address
 * or the size is not page aligned, or the guest or user range overflows.
 */
static int gunyah_vm_mem_check_region(const struct gunyah_userspace_memory_region *region)
{
	u64 end;

	if (region->flags & ~GUNYAH_VM_MEM_VALID_FLAGS)
		return -EINVAL;
	if (!(region->flags & GUNYAH_MEM_ALLOW_READ))
		return -EINVAL;
	if (!region->memory_size)
		return -EINVAL;
	if (!IS_ALIGNED(region->guest_phys_addr, PAGE_SIZE) ||
	    !IS_ALIGNED(region->memory_size, PAGE_SIZE) ||
	    !IS_ALIGNED(region->userspace_addr, PAGE_SIZE))
		return -EINVAL;
	if (check_add_overflow(region->guest_phys_addr, region->memory_size, &end) ||
	    check_add_overflow(region->userspace_addr, region->memory_size, &end))
		return -EINVAL;
	return 0;
}

/**
 * gunyah_vm_mem_overlap() - do two ranges overlap?
 * @a: start of the first range
 * @a_size: its size (the range does not overflow)
 * @b: start of the second range
 * @b_size: its size (the range does not overflow)
 *
 * Context: any context.
 * Return: true if [@a, @a + @a_size) and [@b, @b + @b_size) share a byte.
 */
static bool gunyah_vm_mem_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
	return a < b + b_size && b < a + a_size;
}

/**
 * gunyah_vm_mem_check_conflicts() - may this region be added to the VM now?
 * @ghvm: the VM
 * @region: the new region (its arguments checked)
 *
 * Context: process context; @ghvm's mm_lock held.
 * Return: 0; -EBUSY if the VM has been started; -EEXIST if the region overlaps an existing one
 * in guest or user addresses, or reuses its label.
 */
static int gunyah_vm_mem_check_conflicts(struct gunyah_vm *ghvm,
					 const struct gunyah_userspace_memory_region *region)
{
	struct gunyah_vm_mem_mapping *mapping;

	lockdep_assert_held(&ghvm->mm_lock);

	if (ghvm->started)
		return -EBUSY;

	list_for_each_entry(mapping, &ghvm->mem_mappings, list) {
		if (mapping->label == region->label ||
		    gunyah_vm_mem_overlap(mapping->guest_phys_addr, mapping->size,
					  region->guest_phys_addr, region->memory_size) ||
		    gunyah_vm_mem_overlap(mapping->userspace_addr, mapping->size,
					  region->userspace_addr, region->memory_size))
			return -EEXIST;
	}
	return 0;
}

/**
 * gunyah_vm_mem_vma_allowed() - may guest memory come from this mapping?
 * @vma: a mapping of the VM creator
 *
 * Anonymous memory, shmem (memfd, MAP_SHARED | MAP_ANONYMOUS) and hugetlbfs are never written
 * back to a file, so pinning them for the lifetime of a VM is safe. Mappings of regular files
 * (and of devices) are refused.
 *
 * Context: the mm's mmap_lock held.
 * Return: true if the mapping may back guest memory.
 */
static bool gunyah_vm_mem_vma_allowed(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) || is_vm_hugetlb_page(vma) || shmem_file(vma->vm_file);
}

/**
 * gunyah_vm_mem_check_vmas() - check the mappings behind a user range
 * @mm: the VM creator's address space (the caller's)
 * @start: start of the range (page aligned)
 * @size: size of the range (page aligned, no overflow)
 *
 * A first, friendly check, so that a mapping of a regular file gets -EINVAL rather than GUP's
 * -EFAULT. The mappings may change before the pages are pinned: gunyah_vm_mem_runs_add()
 * checks the pinned pages again.
 *
 * Context: process context, may sleep; takes @mm's mmap_lock for reading.
 * Return: 0; -EFAULT if part of the range is not mapped; -EINVAL if a mapping is not anonymous,
 * shmem or hugetlbfs memory; -EINTR if a fatal signal arrived while waiting for the mmap_lock.
 */
static int gunyah_vm_mem_check_vmas(struct mm_struct *mm, u64 start, u64 size)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;
	unsigned long end = start + size;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;

	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			ret = -EFAULT;
			break;
		}
		if (!gunyah_vm_mem_vma_allowed(vma)) {
			ret = -EINVAL;
			break;
		}
		addr = vma->vm_end;
	}

	mmap_read_unlock(mm);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* Regions: pinning and parcels                                                             */

/**
 * struct gunyah_vm_mem_runs - the memory entries of a mapping being pinned
 * @entries: the entries so far (kvmalloc'ed; NULL before the first page)
 * @n: entries in use
 * @cap: entries allocated
 * @max: the most entries the mapping can need: one per page
 * @last_pfn: the page added last
 * @last_folio: its folio, whose kind was checked
 *
 * Local to gunyah_vm_mem_pin(): no lock.
 */
struct gunyah_vm_mem_runs {
	struct gunyah_rm_mem_entry *entries;
	unsigned long n;
	unsigned long cap;
	unsigned long max;
	unsigned long last_pfn;
	struct folio *last_folio;
};

/**
 * gunyah_vm_mem_runs_grow() - make room for more memory entries
 * @r: the entries
 *
 * Doubles the array (GUNYAH_VM_MEM_MIN_ENTRIES at first, never more than one entry per page):
 * the entries copied along the way add up to fewer than the final array holds. Not inlined,
 * so that fail_function can make it fail part way through pinning a region (selftests).
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
static noinline int gunyah_vm_mem_runs_grow(struct gunyah_vm_mem_runs *r)
{
	struct gunyah_rm_mem_entry *entries;
	unsigned long cap;

	cap = min(max(r->cap * 2, GUNYAH_VM_MEM_MIN_ENTRIES), r->max);
	entries = kvmalloc_array(cap, sizeof(*entries), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!entries)
		return -ENOMEM;
	if (r->n)
		memcpy(entries, r->entries, r->n * sizeof(*entries));
	kvfree(r->entries);
	r->entries = entries;
	r->cap = cap;
	return 0;
}
ALLOW_ERROR_INJECTION(gunyah_vm_mem_runs_grow, ERRNO);

/**
 * gunyah_vm_mem_runs_add() - check a batch of pinned pages and add them to the memory entries
 * @r: the entries so far
 * @pages: the batch, the pages that follow those already added in the user range
 * @nr: how many
 * @added: set to how many pages of the batch are in the entries (@nr on success)
 *
 * Every page must be anonymous, swap-backed (shmem) or hugetlb; a page in the folio of the
 * page before it needs no second look. A page physically right after the page before it
 * lengthens the last entry; any other page starts a new one. One pass over each batch, right
 * after it is pinned: the mapping keeps no array of its pages.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if a page is of another kind; -ENOMEM.
 */
static int gunyah_vm_mem_runs_add(struct gunyah_vm_mem_runs *r, struct page **pages,
				  unsigned long nr, unsigned long *added)
{
	struct gunyah_rm_mem_entry *last;
	struct folio *folio;
	unsigned long i, pfn;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		folio = page_folio(pages[i]);
		if (folio != r->last_folio) {
			if (!folio_test_anon(folio) && !folio_test_swapbacked(folio) &&
			    !folio_test_hugetlb(folio)) {
				ret = -EINVAL;
				break;
			}
			r->last_folio = folio;
		}

		pfn = page_to_pfn(pages[i]);
		if (r->n && pfn == r->last_pfn + 1) {
			r->entries[r->n - 1].size += PAGE_SIZE;
		} else {
			if (r->n == r->cap) {
				ret = gunyah_vm_mem_runs_grow(r);
				if (ret)
					break;
			}
			last = &r->entries[r->n++];
			last->phys_addr = PFN_PHYS(pfn);
			last->size = PAGE_SIZE;
		}
		r->last_pfn = pfn;
	}
	*added = i;
	return ret;
}

/**
 * gunyah_vm_mem_unpin_entries() - unpin the pages that memory entries describe
 * @entries: entries of pinned pages, each page pinned once per entry it is in
 * @n: how many
 * @dirty: mark the pages dirty (the guest may have written them)
 *
 * The entries are the record of what was pinned: each is a physically contiguous range of
 * pinned pages, which unpin_user_page_range_dirty_lock() unpins folio by folio.
 *
 * Context: process context, may sleep.
 */
static void gunyah_vm_mem_unpin_entries(const struct gunyah_rm_mem_entry *entries,
					unsigned long n, bool dirty)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(entries[i].phys_addr)),
						 entries[i].size >> PAGE_SHIFT, dirty);
		if (!((i + 1) % 1024))
			cond_resched();
	}
}

/**
 * gunyah_vm_mem_pin() - pin the pages of a mapping, check them and make its memory entries
 * @mapping: the mapping, with userspace_addr and npages; its parcel gets the entries
 *
 * Pins GUNYAH_VM_MEM_PIN_BATCH pages at a time into a small buffer (pin_user_pages_fast() may
 * pin fewer than asked: it is called until all are pinned) and turns each batch into memory
 * entries at once (gunyah_vm_mem_runs_add()): consecutive pages that are physically contiguous
 * become one entry. On error, the pages pinned so far are unpinned and there are no entries.
 *
 * Context: process context, may sleep; the caller's mm is the one to pin from.
 * Return: 0; -EFAULT if part of the range is not mapped, or not writable, or cannot be pinned
 * for a long time (a mapping of a regular file); -EINVAL if a pinned page is not anonymous,
 * shmem or hugetlb (the mapping changed since it was checked); -ENOMEM; -EINTR on a fatal
 * signal; or another errno of pin_user_pages_fast().
 */
static int gunyah_vm_mem_pin(struct gunyah_vm_mem_mapping *mapping)
{
	struct gunyah_vm_mem_runs r = { .max = mapping->npages };
	unsigned long pinned = 0, added;
	struct page **batch;
	int nr, ret;

	batch = kmalloc_array(min_t(unsigned long, mapping->npages, GUNYAH_VM_MEM_PIN_BATCH),
			      sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;

	while (pinned < mapping->npages) {
		nr = min_t(unsigned long, mapping->npages - pinned, GUNYAH_VM_MEM_PIN_BATCH);
		ret = pin_user_pages_fast(mapping->userspace_addr + (pinned << PAGE_SHIFT), nr,
					  FOLL_WRITE | FOLL_LONGTERM, batch);
		if (ret <= 0) {
			/* 0 pages pinned and no error: do not loop forever */
			if (!ret)
				ret = -EFAULT;
			goto err_unpin;
		}
		nr = ret;

		ret = gunyah_vm_mem_runs_add(&r, batch, nr, &added);
		if (ret) {
			unpin_user_pages(batch + added, nr - added);
			goto err_unpin;
		}
		pinned += nr;

		if (pinned < mapping->npages) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				goto err_unpin;
			}
			cond_resched();
		}
	}
	kfree(batch);

	mapping->parcel.mem_entries = r.entries;
	mapping->parcel.n_mem_entries = r.n;
	return 0;

err_unpin:
	gunyah_vm_mem_unpin_entries(r.entries, r.n, false);
	kvfree(r.entries);
	kfree(batch);
	return ret;
}

/**
 * gunyah_vm_mem_acl_perms() - the RM's access rights for a region's flags
 * @flags: GUNYAH_MEM_* flags (ALLOW_READ set)
 *
 * Context: any context.
 * Return: GUNYAH_RM_ACL_* bits: R, RW, RX or RWX.
 */
static u8 gunyah_vm_mem_acl_perms(u32 flags)
{
	u8 perms = 0;

	if (flags & GUNYAH_MEM_ALLOW_READ)
		perms |= GUNYAH_RM_ACL_R;
	if (flags & GUNYAH_MEM_ALLOW_WRITE)
		perms |= GUNYAH_RM_ACL_W;
	if (flags & GUNYAH_MEM_ALLOW_EXEC)
		perms |= GUNYAH_RM_ACL_X;
	return perms;
}

/**
 * gunyah_vm_mem_init_parcel() - describe a mapping's pinned pages as a memory parcel
 * @ghvm: the VM (for the guest's and the host's VM ids)
 * @mapping: the mapping, its pages pinned and its memory entries made (gunyah_vm_mem_pin())
 *
 * Context: any context.
 */
static void gunyah_vm_mem_init_parcel(struct gunyah_vm *ghvm,
				      struct gunyah_vm_mem_mapping *mapping)
{
	struct gunyah_rm_mem_parcel *parcel = &mapping->parcel;

	mapping->acl[0].vmid = ghvm->vmid;
	mapping->acl[0].perms = gunyah_vm_mem_acl_perms(mapping->flags);
	mapping->acl[1].vmid = ghvm->host_vmid;
	mapping->acl[1].perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W | GUNYAH_RM_ACL_X;

	parcel->mem_type = GUNYAH_RM_MEM_TYPE_NORMAL;
	parcel->label = mapping->label;
	parcel->acl_entries = mapping->acl;
	/* A lend gives the guest sole access: the host is not in the ACL */
	parcel->n_acl_entries = (mapping->flags & GUNYAH_MEM_FORCE_LEND) ? 1 : 2;
	parcel->mem_handle = GUNYAH_MEM_HANDLE_INVAL;
}

/**
 * gunyah_vm_mem_unpin() - unpin and uncharge a mapping's pages
 * @ghvm: the VM (its mm was charged)
 * @mapping: the mapping, its pages pinned and charged
 * @dirty: mark the pages dirty (the guest may have written them)
 *
 * Context: process context, may sleep; takes the mm's mmap_lock for writing.
 */
static void gunyah_vm_mem_unpin(struct gunyah_vm *ghvm, struct gunyah_vm_mem_mapping *mapping,
				bool dirty)
{
	gunyah_vm_mem_unpin_entries(mapping->parcel.mem_entries, mapping->parcel.n_mem_entries,
				    dirty);
	account_locked_vm(ghvm->mm, mapping->npages, false);
}

/**
 * gunyah_vm_mem_mapping_free() - free a mapping's bookkeeping (not its pages)
 * @mapping: the mapping, not in any list; its pages unpinned or leaked
 *
 * Context: process context.
 */
static void gunyah_vm_mem_mapping_free(struct gunyah_vm_mem_mapping *mapping)
{
	kvfree(mapping->parcel.mem_entries);
	kfree(mapping);
}

/**
 * gunyah_vm_mem_mapping_create() - check, charge and pin a region and build its parcel
 * @ghvm: the VM; the caller runs in its mm
 * @region: the region (arguments checked)
 *
 * Context: process context, may sleep; no VM lock held (pinning may fault pages in for long).
 * Return: the mapping, not yet in the VM's list; or ERR_PTR() of -EFAULT or -EINVAL (see
 * gunyah_vm_mem_check_vmas() and gunyah_vm_mem_pin()), -ENOMEM
 * (RLIMIT_MEMLOCK, or no memory for the bookkeeping) or -EINTR.
 */
static struct gunyah_vm_mem_mapping *
gunyah_vm_mem_mapping_create(struct gunyah_vm *ghvm,
			     const struct gunyah_userspace_memory_region *region)
{
	struct gunyah_vm_mem_mapping *mapping;
	int ret;

	mapping = kzalloc(sizeof(*mapping), GFP_KERNEL_ACCOUNT);
	if (!mapping)
		return ERR_PTR(-ENOMEM);

	INIT_LIST_HEAD(&mapping->list);
	mapping->label = region->label;
	mapping->flags = region->flags;
	mapping->guest_phys_addr = region->guest_phys_addr;
	mapping->size = region->memory_size;
	mapping->userspace_addr = region->userspace_addr;
	mapping->npages = region->memory_size >> PAGE_SHIFT;

	ret = gunyah_vm_mem_check_vmas(ghvm->mm, mapping->userspace_addr, mapping->size);
	if (ret) {
		if (ret == -EINVAL)
			dev_err_ratelimited(ghvm->parent,
					    "VM %u: region %u: memory at %#llx is not anonymous, shmem or hugetlbfs\n",
					    ghvm->vmid, mapping->label, mapping->userspace_addr);
		goto err_free;
	}

	ret = account_locked_vm(ghvm->mm, mapping->npages, true);
	if (ret) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: region %u: %lu pages exceed RLIMIT_MEMLOCK\n",
				    ghvm->vmid, mapping->label, mapping->npages);
		goto err_free;
	}

	/* Too many memory entries fail with -ENOMEM (kvmalloc() refuses more than INT_MAX bytes) */
	ret = gunyah_vm_mem_pin(mapping);
	if (ret == -EINVAL) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: region %u: memory at %#llx is not anonymous, shmem or hugetlbfs\n",
				    ghvm->vmid, mapping->label, mapping->userspace_addr);
		goto err_unaccount;
	} else if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: region %u: failed to pin memory: %d\n",
				    ghvm->vmid, mapping->label, ret);
		goto err_unaccount;
	}

	gunyah_vm_mem_init_parcel(ghvm, mapping);
	return mapping;

err_unaccount:
	account_locked_vm(ghvm->mm, mapping->npages, false);
err_free:
	kfree(mapping);
	return ERR_PTR(ret);
}

/**
 * gunyah_vm_mem_insert() - add a mapping to the VM's list, in guest address order
 * @ghvm: the VM
 * @new: the mapping (checked against the others)
 *
 * Context: @ghvm's mm_lock held.
 */
static void gunyah_vm_mem_insert(struct gunyah_vm *ghvm, struct gunyah_vm_mem_mapping *new)
{
	struct gunyah_vm_mem_mapping *mapping;

	lockdep_assert_held(&ghvm->mm_lock);

	list_for_each_entry(mapping, &ghvm->mem_mappings, list) {
		if (mapping->guest_phys_addr > new->guest_phys_addr) {
			/* Before @mapping */
			list_add_tail(&new->list, &mapping->list);
			return;
		}
	}
	list_add_tail(&new->list, &ghvm->mem_mappings);
}

/**
 * gunyah_vm_mem_add_user_region() - GUNYAH_VM_SET_USER_MEM_REGION
 * @ghvm: the VM
 * @region: the region, copied from userspace
 *
 * The cheap checks (arguments, caller's mm, VM not started, no overlap) come first; then the
 * pages are pinned without the VM's lock (faulting in a large region takes long, and a
 * userfaultfd behind it could even wait for a thread that uses this VM); then the conflicts are
 * checked again under the lock, since another thread may have added a region or started the VM
 * meanwhile.
 *
 * Context: process context, may sleep; takes @ghvm's mm_lock.
 * Return: 0, or the errnos GUNYAH_VM_SET_USER_MEM_REGION documents: -EINVAL (arguments, or
 * memory that is not anonymous, shmem or hugetlbfs), -EEXIST (overlap or label in use), -EPERM
 * (not the creator's mm), -ENOMEM (RLIMIT_MEMLOCK or allocation), -EFAULT (range not mapped or
 * not writable), -EBUSY (VM started); -EINTR on a fatal signal.
 */
int gunyah_vm_mem_add_user_region(struct gunyah_vm *ghvm,
				  const struct gunyah_userspace_memory_region *region)
{
	struct gunyah_vm_mem_mapping *mapping;
	int ret;

	ret = gunyah_vm_mem_check_region(region);
	if (ret)
		return ret;

	if (current->mm != ghvm->mm)
		return -EPERM;

	/* Answer -EBUSY and -EEXIST before pinning anything */
	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		return ret;
	ret = gunyah_vm_mem_check_conflicts(ghvm, region);
	mutex_unlock(&ghvm->mm_lock);
	if (ret)
		return ret;

	mapping = gunyah_vm_mem_mapping_create(ghvm, region);
	if (IS_ERR(mapping))
		return PTR_ERR(mapping);

	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		goto err_destroy;
	ret = gunyah_vm_mem_check_conflicts(ghvm, region);
	if (!ret)
		gunyah_vm_mem_insert(ghvm, mapping);
	mutex_unlock(&ghvm->mm_lock);
	if (ret)
		goto err_destroy;

	return 0;

err_destroy:
	gunyah_vm_mem_unpin(ghvm, mapping, false);
	gunyah_vm_mem_mapping_free(mapping);
	return ret;
}

/**
 * gunyah_vm_mem_find() - the region that holds a whole guest physical range
 * @ghvm: the VM
 * @guest_phys_addr: start of the range
 * @size: size of the range (no overflow)
 *
 * Context: @ghvm's mm_lock held.
 * Return: the mapping that contains [@guest_phys_addr, @guest_phys_addr + @size), or NULL.
 */
struct gunyah_vm_mem_mapping *gunyah_vm_mem_find(struct gunyah_vm *ghvm, u64 guest_phys_addr,
						 u64 size)
{
	struct gunyah_vm_mem_mapping *mapping;
	u64 offset;

	lockdep_assert_held(&ghvm->mm_lock);

	list_for_each_entry(mapping, &ghvm->mem_mappings, list) {
		if (guest_phys_addr < mapping->guest_phys_addr)
			continue;
		offset = guest_phys_addr - mapping->guest_phys_addr;
		if (offset < mapping->size && size <= mapping->size - offset)
			return mapping;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Sharing and reclaiming                                                                   */

/**
 * gunyah_vm_mem_share() - give one region to the RM
 * @ghvm: the VM
 * @mapping: the region, not held by the RM
 *
 * Runs the platform's pre_mem_share hook, then shares the parcel, or lends it with
 * GUNYAH_MEM_FORCE_LEND. If the share fails, the hook is undone with post_mem_reclaim; if that
 * fails too, the region's pages are leaked at teardown. So are they, without the undo, if the
 * share got no answer (the RM may hold a parcel the host cannot reclaim).
 *
 * Context: process context, may sleep; @ghvm's mm_lock held.
 * Return: 0 (the parcel's mem_handle is set), the hook's errno, or an errno of
 * gunyah_rm_mem_share() / gunyah_rm_mem_lend().
 */
static int gunyah_vm_mem_share(struct gunyah_vm *ghvm, struct gunyah_vm_mem_mapping *mapping)
{
	bool lend = mapping->flags & GUNYAH_MEM_FORCE_LEND;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	ret = gunyah_rm_platform_pre_mem_share(ghvm->rm, &mapping->parcel,
					       &mapping->hook_ops);
	if (ret) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: the platform refused to give region %u to the VM: %d\n",
				    ghvm->vmid, mapping->label, ret);
		return ret;
	}

	if (lend)
		ret = gunyah_rm_mem_lend(ghvm->rm, &mapping->parcel);
	else
		ret = gunyah_rm_mem_share(ghvm->rm, &mapping->parcel);
	if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to %s region %u: %d\n",
				    ghvm->vmid, lend ? "lend" : "share", mapping->label, ret);
		/*
		 * A half-made parcel the RM could not take back is still the RM's: the teardown
		 * reclaims it like any other (and leaks the pages if that fails again).
		 */
		if (mapping->parcel.mem_handle != GUNYAH_MEM_HANDLE_INVAL)
			return ret;
		/*
		 * The RM may have made the parcel, and the host has no handle to reclaim it with:
		 * for all it knows the VM may reach the pages (and, lent, the host may not). They
		 * stay pinned for good, and the platform's preparation stays as it is.
		 */
		if (mapping->parcel.handle_lost) {
			dev_err_ratelimited(ghvm->parent,
					    "VM %u: no answer to the %s of region %u; leaking its %lu pages\n",
					    ghvm->vmid, lend ? "lend" : "share", mapping->label,
					    mapping->npages);
			mapping->leak = true;
			return ret;
		}
		if (gunyah_rm_platform_post_mem_reclaim(ghvm->rm, &mapping->parcel,
							mapping->hook_ops)) {
			dev_err_ratelimited(ghvm->parent,
					    "VM %u: the platform failed to take region %u back; its pages will be leaked\n",
					    ghvm->vmid, mapping->label);
			mapping->leak = true;
		}
		return ret;
	}
	return 0;
}

/**
 * gunyah_vm_mem_share_all() - give every region of the VM to the RM (GUNYAH_VM_START)
 * @ghvm: the VM, being started
 *
 * Regions go in guest address order; regions the RM already holds are skipped. On error the
 * regions shared so far stay shared: the VM's teardown reclaims them.
 *
 * Context: process context, may sleep; @ghvm's mm_lock held.
 * Return: 0 or the errno of the first region that failed (see gunyah_vm_mem_share()).
 */
int gunyah_vm_mem_share_all(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_mem_mapping *mapping;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	list_for_each_entry(mapping, &ghvm->mem_mappings, list) {
		if (mapping->parcel.mem_handle != GUNYAH_MEM_HANDLE_INVAL)
			continue;
		ret = gunyah_vm_mem_share(ghvm, mapping);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * gunyah_vm_mem_reclaim() - take one region back from the RM
 * @ghvm: the VM, reset (or never started far enough for the RM to accept its memory)
 * @mapping: the region, held by the RM
 *
 * MEM_RECLAIM is retried while it fails transiently (gunyah_vm_teardown_retry()). On failure
 * the region is marked to be leaked. That includes a retry refused because the reply to an
 * earlier attempt was lost after the RM had reclaimed the parcel: the RM's answer (an invalid
 * handle) cannot be told from a parcel still in use, so the pages stay pinned rather than be
 * freed while a VM might still reach them.
 *
 * Context: process context, may sleep; @ghvm's mm_lock held.
 */
static void gunyah_vm_mem_reclaim(struct gunyah_vm *ghvm, struct gunyah_vm_mem_mapping *mapping)
{
	u32 mem_handle = mapping->parcel.mem_handle;
	unsigned int attempt = 0;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	do {
		ret = gunyah_rm_mem_reclaim(ghvm->rm, &mapping->parcel);
	} while (ret && gunyah_vm_teardown_retry(ghvm, "MEM_RECLAIM", ret, &attempt));
	if (ret) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: failed to reclaim region %u (parcel %#x): %d; leaking its %lu pages\n",
				    ghvm->vmid, mapping->label, mem_handle, ret, mapping->npages);
		mapping->leak = true;
		return;
	}

	ret = gunyah_rm_platform_post_mem_reclaim(ghvm->rm, &mapping->parcel,
						  mapping->hook_ops);
	if (ret) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: the platform failed to take region %u back: %d; leaking its %lu pages\n",
				    ghvm->vmid, mapping->label, ret, mapping->npages);
		mapping->leak = true;
	}
}

/**
 * gunyah_vm_mem_reclaim_all() - reclaim, unpin and forget every region (VM teardown)
 * @ghvm: the VM, unreachable (last reference gone) and reset by the RM if it had accepted
 *        memory
 *
 * Every failure is logged and the next region is still handled. A region whose reclaim (or
 * platform hook) failed keeps its pages pinned and charged for good (see DOC: Guest memory).
 *
 * Context: process context, may sleep; takes @ghvm's mm_lock.
 */
void gunyah_vm_mem_reclaim_all(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_mem_mapping *mapping, *tmp;

	mutex_lock(&ghvm->mm_lock);
	list_for_each_entry_safe(mapping, tmp, &ghvm->mem_mappings, list) {
		list_del(&mapping->list);

		if (mapping->parcel.mem_handle != GUNYAH_MEM_HANDLE_INVAL)
			gunyah_vm_mem_reclaim(ghvm, mapping);

		if (!mapping->leak)
			gunyah_vm_mem_unpin(ghvm, mapping, true);

		gunyah_vm_mem_mapping_free(mapping);
	}
	mutex_unlock(&ghvm->mm_lock);
}
