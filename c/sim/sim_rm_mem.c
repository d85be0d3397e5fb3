// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah resource manager: memory parcels, guest memory, and the VM config DTB.
 *
 * Parcels follow the open-source RM's rules: rights exactly R, RX, RW or RWX; the owner (the
 * host, VMID 3) in the ACL for SHARE and absent for LEND; every other ACL VM must exist; at
 * most 512 entries per list; memory entries page aligned and non-zero; trailing bytes
 * rejected; the attribute list optional (its 4-byte entries are parsed for length only);
 * handles allocated cyclically from 0. Memory may belong to one live parcel only: an entry
 * overlapping another (double share) is MEM_INVALID.
 *
 * A VM holds ("accepts") every complete parcel whose ACL names it when it starts, and
 * releases them at VM_RESET (one MEM_RELEASED each); RECLAIM answers MEM_INUSE in between.
 * Parcels created while the VM runs are not accepted (no simulated guest asks for them).
 *
 * The simulator reads guest memory only in pages that are System RAM and in use
 * (page_count() > 0), so a test that shares made-up addresses gets an error (VM_INIT fails,
 * the guest faults) instead of a read of free or non-existent memory.
 */

#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pfn.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <gunyah/compat.h>

#include "sim_internal.h"

#define RM_MEM_TYPE_NORMAL	0
#define RM_MEM_TYPE_IO		1
#define RM_MEM_FLAG_APPEND	BIT(1)
#define RM_MEM_APPEND_END	BIT(0)
#define RM_MAX_LIST_ENTRIES	512
#define RM_ACL_ENTRY_SIZE	4
#define RM_MEM_ENTRY_SIZE	16
#define RM_ATTR_ENTRY_SIZE	4
#define RM_MEM_RELEASED_SIZE	12

/* ---- wire decoding ---- */

/**
 * rm_read_list() - decode one list: {le16 count; le16 reserved} then count entries
 * @buf: the request
 * @len: its size
 * @off: offset of the list; advanced past it
 * @entry_size: size of one entry
 * @n: set to the number of entries (0 if the list is omitted)
 * @entries: set to the first entry
 *
 * A list is omitted when the request ends where it would start.
 *
 * Context: any context.
 * Return: RM_OK, RM_ERR_MSG_INVALID (truncated) or RM_ERR_ARG_INVALID (more than 512).
 */
static u32 rm_read_list(const u8 *buf, size_t len, size_t *off, size_t entry_size, u32 *n,
			const u8 **entries)
{
	size_t left = len - *off;

	*n = 0;
	*entries = NULL;
	if (!left)
		return RM_OK;
	if (left < 4)
		return RM_ERR_MSG_INVALID;
	*n = get_unaligned_le16(buf + *off);
	if (*n > RM_MAX_LIST_ENTRIES)
		return RM_ERR_ARG_INVALID;
	if (left - 4 < *n * entry_size)
		return RM_ERR_MSG_INVALID;
	*entries = buf + *off + 4;
	*off += 4 + *n * entry_size;
	return RM_OK;
}

static u64 mem_list_bytes(const u8 *mem, u32 n)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < n; i++)
		total += get_unaligned_le64(mem + i * RM_MEM_ENTRY_SIZE + 8);
	return total;
}

static bool rights_valid(u8 perms)
{
	return perms == RM_PERM_R || perms == (RM_PERM_R | RM_PERM_X) ||
	       perms == (RM_PERM_R | RM_PERM_W) || perms == RM_PERM_RWX;
}

/* ---- parcels ---- */

/*
 * The memory in live parcels, which no other parcel may take (double share). Physical memory
 * below &sim_rm.ram_end_pfn, RAM and the holes in it, is tracked page by page in a sparse
 * bitmap: one block of SIM_PFN_BLOCK_PFNS pages, allocated when a parcel first takes one of
 * them and freed when the last is given back. A memory entry costs a word per 64 of its pages,
 * and the blocks never exceed 1/32768 of RAM. The part of an entry above (device memory, or
 * addresses a test made up) is a node of &sim_rm.ranges, a tree of such ranges, whose size
 * the number of entries bounds. The hypervisor keeps its own per-page record of who owns
 * memory: per-entry work in the simulated RM that grows with the parcels already there (a
 * tree of every entry did) would make the RM's time a poor model of it.
 */

/**
 * struct sim_pfn_block - which pages of one block of physical memory are in a parcel
 * @set: how many bits of @bits are set
 * @bits: a bit per page, set while the page is in a parcel
 */
struct sim_pfn_block {
	unsigned int set;
	unsigned long bits[BITS_TO_LONGS(SIM_PFN_BLOCK_PFNS)];
};

/**
 * pfns_next_block() - where the block of a page ends
 * @pfn: the page
 * @end: the end of the range being walked
 *
 * Context: any context.
 * Return: the first page of the next block, or @end if that comes first.
 */
static unsigned long pfns_next_block(unsigned long pfn, unsigned long end)
{
	return min(end, round_down(pfn, SIM_PFN_BLOCK_PFNS) + SIM_PFN_BLOCK_PFNS);
}

/**
 * pfns_busy() - is any page of a range in a parcel?
 * @rm: the RM
 * @pfn: first page, below &sim_rm.ram_end_pfn
 * @end: page after the last, at most &sim_rm.ram_end_pfn
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: true if one is.
 */
static bool pfns_busy(struct sim_rm *rm, unsigned long pfn, unsigned long end)
{
	unsigned long next, first, stop;
	struct sim_pfn_block *b;

	for (; pfn < end; pfn = next) {
		next = pfns_next_block(pfn, end);
		b = xa_load(&rm->pfn_blocks, pfn / SIM_PFN_BLOCK_PFNS);
		if (!b)
			continue;
		first = pfn % SIM_PFN_BLOCK_PFNS;
		stop = first + (next - pfn);
		if (find_next_bit(b->bits, stop, first) < stop)
			return true;
	}
	return false;
}

/**
 * pfns_release() - give the pages of a range back
 * @rm: the RM
 * @pfn: first page; every page of the range is in a parcel (pfns_claim())
 * @end: page after the last, at most &sim_rm.ram_end_pfn
 *
 * Frees the blocks that have no page left in a parcel.
 *
 * Context: &gunyah_sim.rm.lock held.
 */
static void pfns_release(struct sim_rm *rm, unsigned long pfn, unsigned long end)
{
	struct sim_pfn_block *b;
	unsigned long next;

	for (; pfn < end; pfn = next) {
		next = pfns_next_block(pfn, end);
		b = xa_load(&rm->pfn_blocks, pfn / SIM_PFN_BLOCK_PFNS);
		if (WARN_ON_ONCE(!b))
			continue;
		bitmap_clear(b->bits, pfn % SIM_PFN_BLOCK_PFNS, next - pfn);
		b->set -= next - pfn;
		if (!b->set) {
			xa_erase(&rm->pfn_blocks, pfn / SIM_PFN_BLOCK_PFNS);
			kfree(b);
		}
	}
}

/**
 * pfns_claim() - put the pages of a range in a parcel
 * @rm: the RM
 * @pfn: first page, below &sim_rm.ram_end_pfn
 * @end: page after the last, at most &sim_rm.ram_end_pfn
 *
 * Context: process context, &gunyah_sim.rm.lock held; may sleep.
 * Return: 0; -EEXIST if a page of the range is in a parcel already; -ENOMEM. On error no page
 * of the range has changed hands.
 */
static int pfns_claim(struct sim_rm *rm, unsigned long pfn, unsigned long end)
{
	unsigned long start = pfn, next;
	struct sim_pfn_block *b;
	int ret;

	if (pfns_busy(rm, pfn, end))
		return -EEXIST;

	for (; pfn < end; pfn = next) {
		next = pfns_next_block(pfn, end);
		b = xa_load(&rm->pfn_blocks, pfn / SIM_PFN_BLOCK_PFNS);
		if (!b) {
			b = kzalloc(sizeof(*b), GFP_KERNEL);
			if (!b) {
				ret = -ENOMEM;
				goto err;
			}
			ret = xa_err(xa_store(&rm->pfn_blocks, pfn / SIM_PFN_BLOCK_PFNS, b,
					      GFP_KERNEL));
			if (ret) {
				kfree(b);
				goto err;
			}
		}
		bitmap_set(b->bits, pfn % SIM_PFN_BLOCK_PFNS, next - pfn);
		b->set += next - pfn;
	}
	return 0;

err:
	pfns_release(rm, start, pfn);
	return ret;
}

/**
 * range_ram_part() - the pages of a memory entry below &sim_rm.ram_end_pfn
 * @rm: the RM
 * @r: the entry: not empty, not wrapping
 * @first: set to its first page
 * @end: set to the page after its last one below &sim_rm.ram_end_pfn
 *
 * Context: any context.
 * Return: true if there is such a page (the RM's page record holds them while the parcel lives).
 */
static bool range_ram_part(const struct sim_rm *rm, const struct sim_range *r,
			   unsigned long *first, unsigned long *end)
{
	*first = PHYS_PFN(r->start);
	*end = min_t(u64, PHYS_PFN(r->start + r->size), rm->ram_end_pfn);
	return *first < *end;
}

/**
 * range_above_start() - where the part of a memory entry above &sim_rm.ram_end_pfn starts
 * @rm: the RM
 * @r: the entry
 *
 * Context: any context.
 * Return: the entry's start, or the end of RAM if the entry starts below it.
 */
static u64 range_above_start(const struct sim_rm *rm, const struct sim_range *r)
{
	return max(r->start, PFN_PHYS((u64)rm->ram_end_pfn));
}

/**
 * range_has_above() - does a memory entry reach above &sim_rm.ram_end_pfn?
 * @rm: the RM
 * @r: the entry
 *
 * Context: any context.
 * Return: true if it does (that part is then a node of &sim_rm.ranges while its parcel lives).
 */
static bool range_has_above(const struct sim_rm *rm, const struct sim_range *r)
{
	return r->start + r->size > PFN_PHYS((u64)rm->ram_end_pfn);
}

/**
 * range_insert() - add the part above RAM of a memory entry to &sim_rm.ranges
 * @rm: the RM
 * @r: the entry; range_has_above() is true for it
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: true, or false if that part overlaps memory already in a parcel.
 */
static bool range_insert(struct sim_rm *rm, struct sim_range *r)
{
	struct rb_node **link = &rm->ranges.rb_node, *parent = NULL;
	u64 start = range_above_start(rm, r), end = r->start + r->size;
	struct sim_range *cur;

	while (*link) {
		parent = *link;
		cur = rb_entry(parent, struct sim_range, node);
		if (end <= range_above_start(rm, cur))
			link = &parent->rb_left;
		else if (start >= cur->start + cur->size)
			link = &parent->rb_right;
		else
			return false;
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &rm->ranges);
	return true;
}

/**
 * range_claim() - put a memory entry in a parcel
 * @rm: the RM
 * @r: the entry: page aligned, not empty, not wrapping
 *
 * Context: process context, &gunyah_sim.rm.lock held; may sleep.
 * Return: 0; -EEXIST if some of its memory is in a parcel already; -ENOMEM. On error nothing
 * has changed.
 */
static int range_claim(struct sim_rm *rm, struct sim_range *r)
{
	unsigned long first, end;
	bool in_ram;
	int ret;

	in_ram = range_ram_part(rm, r, &first, &end);
	if (in_ram) {
		ret = pfns_claim(rm, first, end);
		if (ret)
			return ret;
	}
	if (range_has_above(rm, r) && !range_insert(rm, r)) {
		if (in_ram)
			pfns_release(rm, first, end);
		return -EEXIST;
	}
	return 0;
}

/**
 * range_release() - take a memory entry out of its parcel
 * @rm: the RM
 * @r: the entry, which range_claim() accepted
 *
 * Context: &gunyah_sim.rm.lock held.
 */
static void range_release(struct sim_rm *rm, struct sim_range *r)
{
	unsigned long first, end;

	if (range_ram_part(rm, r, &first, &end))
		pfns_release(rm, first, end);
	if (range_has_above(rm, r))
		rb_erase(&r->node, &rm->ranges);
}

/**
 * parcel_add_chunk() - add the memory entries of one message to a parcel
 * @sim: the simulator
 * @p: the parcel
 * @mem: the wire entries {le64 phys_addr; le64 size}
 * @n: how many, 1..512
 *
 * Context: process context, &gunyah_sim.rm.lock held.
 * Return: RM_OK; RM_ERR_NOMEM; RM_ERR_ARG_INVALID (unaligned, empty or wrapping entry);
 * RM_ERR_MEM_INVALID (memory already in a parcel). On error the parcel is unchanged.
 */
static u32 parcel_add_chunk(struct gunyah_sim *sim, struct sim_parcel *p, const u8 *mem, u32 n)
{
	struct sim_chunk *c;
	u32 i, err = RM_OK;
	u64 bytes = 0;
	int ret;

	c = kvzalloc(struct_size(c, r, n), GFP_KERNEL);
	if (!c)
		return RM_ERR_NOMEM;
	c->n = n;

	for (i = 0; i < n; i++) {
		c->r[i].start = get_unaligned_le64(mem + i * RM_MEM_ENTRY_SIZE);
		c->r[i].size = get_unaligned_le64(mem + i * RM_MEM_ENTRY_SIZE + 8);
		if (!c->r[i].size || !IS_ALIGNED(c->r[i].start, PAGE_SIZE) ||
		    !IS_ALIGNED(c->r[i].size, PAGE_SIZE) ||
		    c->r[i].start + c->r[i].size < c->r[i].start) {
			err = RM_ERR_ARG_INVALID;
			break;
		}
		ret = range_claim(&sim->rm, &c->r[i]);
		if (ret) {
			err = ret == -EEXIST ? RM_ERR_MEM_INVALID : RM_ERR_NOMEM;
			break;
		}
		bytes += c->r[i].size;
	}
	if (err != RM_OK) {
		while (i--)
			range_release(&sim->rm, &c->r[i]);
		kvfree(c);
		return err;
	}

	list_add_tail(&c->node, &p->chunks);
	p->n_entries += n;
	p->bytes += bytes;
	sim_count_add(sim, SIM_CNT_PAGES_SHARED, bytes >> PAGE_SHIFT);
	return RM_OK;
}

/**
 * parcel_free() - free a parcel that is not (or no longer) in the parcel table
 * @sim: the simulator
 * @p: the parcel
 *
 * Context: process context, &gunyah_sim.rm.lock held.
 */
static void parcel_free(struct gunyah_sim *sim, struct sim_parcel *p)
{
	struct sim_chunk *c, *tmp;
	u32 i;

	list_for_each_entry_safe(c, tmp, &p->chunks, node) {
		for (i = 0; i < c->n; i++)
			range_release(&sim->rm, &c->r[i]);
		list_del(&c->node);
		kvfree(c);
	}
	sim_count_add(sim, SIM_CNT_PAGES_SHARED, -(s64)(p->bytes >> PAGE_SHIFT));
	kfree(p->acl);
	kfree(p);
}

static bool parcel_accepted(const struct sim_parcel *p)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].accepted)
			return true;
	return false;
}

/**
 * sim_parcel_find() - look a parcel up by handle
 * @sim: the simulator
 * @handle: the handle
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: the parcel or NULL.
 */
struct sim_parcel *sim_parcel_find(struct gunyah_sim *sim, u32 handle)
{
	lockdep_assert_held(&sim->rm.lock);
	return xa_load(&sim->rm.parcels, handle);
}

/**
 * sim_parcel_has_vm() - does a parcel's ACL name a VM?
 * @p: the parcel
 * @vmid: the VM
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: true if it does.
 */
bool sim_parcel_has_vm(const struct sim_parcel *p, u16 vmid)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].vmid == vmid)
			return true;
	return false;
}

/**
 * rm_check_acl() - validate a SHARE/LEND ACL
 * @sim: the simulator
 * @acl: wire entries {le16 vmid; u8 perms; u8 reserved}
 * @n: how many, 1..512
 * @mem_type: NORMAL or IO
 * @lend: LEND (owner must be absent) rather than SHARE (owner must be present)
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: RM_OK or RM_ERR_ARG_INVALID.
 */
static u32 rm_check_acl(struct gunyah_sim *sim, const u8 *acl, u32 n, u8 mem_type, bool lend)
{
	bool owner = false;
	u16 vmid;
	u32 i, j;
	u8 perms;

	for (i = 0; i < n; i++) {
		vmid = get_unaligned_le16(acl + i * RM_ACL_ENTRY_SIZE);
		perms = acl[i * RM_ACL_ENTRY_SIZE + 2];
		for (j = 0; j < i; j++)
			if (get_unaligned_le16(acl + j * RM_ACL_ENTRY_SIZE) == vmid)
				return RM_ERR_ARG_INVALID;
		if (vmid == SIM_HOST_VMID)
			owner = true;
		else if (!xa_load(&sim->rm.vms, vmid))
			return RM_ERR_ARG_INVALID;
		if (!rights_valid(perms))
			return RM_ERR_ARG_INVALID;
		if (mem_type == RM_MEM_TYPE_IO && (perms & RM_PERM_X))
			return RM_ERR_ARG_INVALID;
	}
	return owner == lend ? RM_ERR_ARG_INVALID : RM_OK;
}

/**
 * sim_rm_mem_share() - MEM_SHARE / MEM_LEND
 * @sim: the simulator
 * @msg_id: RM_MSG_MEM_SHARE or RM_MSG_MEM_LEND
 * @buf: request: {u8 mem_type; u8 rsvd; u8 flags; u8 rsvd; le32 label}, ACL list, memory
 *       list, optional attribute list
 * @len: request size
 * @out: reply data: le32 handle
 * @out_len: set to 4 on success
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK; MSG_INVALID (truncated, trailing bytes); ARG_INVALID (empty list, bad
 * type, rights, ACL, entries); DENIED (parcel limit); MEM_INVALID (memory already shared);
 * NOMEM.
 */
u32 sim_rm_mem_share(struct gunyah_sim *sim, u32 msg_id, const u8 *buf, size_t len,
		     u8 *out, size_t *out_len)
{
	bool lend = msg_id == RM_MSG_MEM_LEND;
	u32 n_acl, n_mem, n_attr, label, i, err;
	const u8 *acl, *mem, *attr;
	unsigned int limit;
	struct sim_parcel *p;
	unsigned long flags;
	u8 mem_type, mflags;
	size_t off = 8;
	u32 handle;
	int ret;

	lockdep_assert_held(&sim->rm.lock);
	if (len < 8)
		return RM_ERR_MSG_INVALID;
	mem_type = buf[0];
	mflags = buf[2];
	label = get_unaligned_le32(buf + 4);
	err = rm_read_list(buf, len, &off, RM_ACL_ENTRY_SIZE, &n_acl, &acl);
	if (err == RM_OK)
		err = rm_read_list(buf, len, &off, RM_MEM_ENTRY_SIZE, &n_mem, &mem);
	if (err == RM_OK)
		err = rm_read_list(buf, len, &off, RM_ATTR_ENTRY_SIZE, &n_attr, &attr);
	if (err != RM_OK)
		return err;
	if (off != len)
		return RM_ERR_MSG_INVALID;

	sim_rm_record(sim, mem_type);
	sim_rm_record(sim, mflags);
	sim_rm_record(sim, label);
	sim_rm_record(sim, n_acl);
	sim_rm_record(sim, n_mem);
	sim_rm_record(sim, n_attr);
	sim_rm_record(sim, mem_list_bytes(mem, n_mem));
	sim_rm_record(sim, n_acl ? get_unaligned_le16(acl) | (u32)acl[2] << 16 : 0);

	if (!n_acl || !n_mem)
		return RM_ERR_ARG_INVALID;
	if (mem_type != RM_MEM_TYPE_NORMAL && mem_type != RM_MEM_TYPE_IO)
		return RM_ERR_ARG_INVALID;
	spin_lock_irqsave(&sim->lock, flags);
	limit = sim->faults.parcel_limit;
	spin_unlock_irqrestore(&sim->lock, flags);
	if (sim->rm.n_parcels >= limit)
		return RM_ERR_DENIED;
	err = rm_check_acl(sim, acl, n_acl, mem_type, lend);
	if (err != RM_OK)
		return err;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return RM_ERR_NOMEM;
	p->acl = kcalloc(n_acl, sizeof(*p->acl), GFP_KERNEL);
	if (!p->acl) {
		kfree(p);
		return RM_ERR_NOMEM;
	}
	INIT_LIST_HEAD(&p->chunks);
	p->label = label;
	p->trans_type = lend ? GUNYAH_SIM_PARCEL_LEND : GUNYAH_SIM_PARCEL_SHARE;
	p->mem_type = mem_type;
	p->pending = mflags & RM_MEM_FLAG_APPEND;
	p->n_acl = n_acl;
	for (i = 0; i < n_acl; i++) {
		p->acl[i].vmid = get_unaligned_le16(acl + i * RM_ACL_ENTRY_SIZE);
		p->acl[i].perms = acl[i * RM_ACL_ENTRY_SIZE + 2];
	}

	err = parcel_add_chunk(sim, p, mem, n_mem);
	if (err != RM_OK) {
		parcel_free(sim, p);
		return err;
	}
	ret = xa_alloc_cyclic(&sim->rm.parcels, &handle, p, XA_LIMIT(0, U32_MAX - 1),
			      &sim->rm.next_handle, GFP_KERNEL);
	if (ret < 0) {
		parcel_free(sim, p);
		return ret == -ENOMEM ? RM_ERR_NOMEM : RM_ERR_NORESOURCE;
	}
	p->handle = handle;
	p->born = ++sim->rm.generation;
	sim->rm.n_parcels++;
	sim_count(sim, SIM_CNT_PARCELS_LIVE);
	sim_count(sim, SIM_CNT_PARCELS_TOTAL);

	put_unaligned_le32(handle, out);
	*out_len = 4;
	return RM_OK;
}

/**
 * sim_rm_mem_append() - MEM_APPEND: more memory entries for a parcel created with APPEND
 * @sim: the simulator
 * @buf: request: {le32 handle; u8 flags (END 1); u8 rsvd[3]}, memory list
 * @len: request size
 *
 * On error the parcel stays pending; the host is expected to reclaim it.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK; MSG_INVALID; ARG_INVALID; HANDLE_INVALID; DENIED (parcel not pending);
 * MEM_INVALID; NOMEM.
 */
u32 sim_rm_mem_append(struct gunyah_sim *sim, const u8 *buf, size_t len)
{
	struct sim_parcel *p;
	u32 handle, n_mem, err;
	size_t off = 8;
	const u8 *mem;
	u8 flags;

	lockdep_assert_held(&sim->rm.lock);
	sim_count(sim, SIM_CNT_MEM_APPEND_MSGS);
	if (len < 8)
		return RM_ERR_MSG_INVALID;
	handle = get_unaligned_le32(buf);
	flags = buf[4];
	err = rm_read_list(buf, len, &off, RM_MEM_ENTRY_SIZE, &n_mem, &mem);
	if (err != RM_OK)
		return err;
	if (off != len)
		return RM_ERR_MSG_INVALID;

	sim_rm_record(sim, handle);
	sim_rm_record(sim, flags);
	sim_rm_record(sim, n_mem);
	sim_rm_record(sim, mem_list_bytes(mem, n_mem));

	if (!n_mem)
		return RM_ERR_ARG_INVALID;
	p = sim_parcel_find(sim, handle);
	if (!p)
		return RM_ERR_HANDLE_INVALID;
	if (!p->pending)
		return RM_ERR_DENIED;
	err = parcel_add_chunk(sim, p, mem, n_mem);
	if (err != RM_OK)
		return err;
	if (flags & RM_MEM_APPEND_END)
		p->pending = false;
	return RM_OK;
}

/**
 * sim_rm_mem_reclaim() - MEM_RECLAIM: the host takes a parcel back
 * @sim: the simulator
 * @buf: request: {le32 handle; u8 flags; u8 rsvd[3]}
 * @len: request size, exactly 8
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held.
 * Return: RM_OK; MSG_INVALID; HANDLE_INVALID; MEM_INUSE (a VM holds it).
 */
u32 sim_rm_mem_reclaim(struct gunyah_sim *sim, const u8 *buf, size_t len)
{
	struct sim_parcel *p;
	u32 handle;

	lockdep_assert_held(&sim->rm.lock);
	if (len != 8)
		return RM_ERR_MSG_INVALID;
	handle = get_unaligned_le32(buf);
	sim_rm_record(sim, handle);
	sim_rm_record(sim, buf[4]);

	p = sim_parcel_find(sim, handle);
	if (!p)
		return RM_ERR_HANDLE_INVALID;
	if (parcel_accepted(p))
		return RM_ERR_MEM_INUSE;
	xa_erase(&sim->rm.parcels, handle);
	parcel_free(sim, p);
	sim->rm.n_parcels--;
	sim_count_add(sim, SIM_CNT_PARCELS_LIVE, -1);
	return RM_OK;
}

/* ---- guest memory ---- */

/**
 * ram_page() - the page at a host physical address, if the simulator may read it
 * @pa: the address
 *
 * Context: process context (page_is_ram() takes the resource lock).
 * Return: the page if it is System RAM and in use (page_count() > 0), else NULL.
 */
static struct page *ram_page(u64 pa)
{
	unsigned long pfn = PHYS_PFN(pa);
	struct page *page;

	if (!pfn_valid(pfn) || !page_is_ram(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	return page_count(page) ? page : NULL;
}

/**
 * parcel_copy() - copy bytes out of a parcel
 * @p: the parcel; its entries laid end to end form offsets 0..bytes
 * @off: offset in the parcel
 * @dst: destination
 * @len: bytes to copy
 * @checked: @p->readable was established; otherwise each page is checked (may not be
 *           called in atomic context then)
 *
 * Context: any context if @checked, else process context.
 * Return: true if all of @len was copied.
 */
static bool parcel_copy(const struct sim_parcel *p, u64 off, void *dst, size_t len, bool checked)
{
	const struct sim_chunk *c;
	const struct sim_range *r;
	struct page *page;
	u64 pos = 0, pa, n;
	u8 *d = dst;
	void *va;
	u32 i;

	list_for_each_entry(c, &p->chunks, node) {
		for (i = 0; i < c->n && len; i++) {
			r = &c->r[i];
			while (len && off >= pos && off < pos + r->size) {
				pa = r->start + (off - pos);
				n = min_t(u64, len, PAGE_SIZE - offset_in_page(pa));
				n = min_t(u64, n, pos + r->size - off);
				page = checked ? pfn_to_page(PHYS_PFN(pa)) : ram_page(pa);
				if (!page)
					return false;
				va = kmap_local_page(page);
				memcpy(d, va + offset_in_page(pa), n);
				kunmap_local(va);
				d += n;
				off += n;
				len -= n;
			}
			pos += r->size;
		}
		if (!len)
			break;
	}
	return !len;
}

/**
 * parcel_check_ram() - is every page of a parcel in-use System RAM?
 * @p: the parcel
 *
 * Context: process context, may sleep.
 * Return: true if the simulator may read any of it.
 */
static bool parcel_check_ram(const struct sim_parcel *p)
{
	const struct sim_chunk *c;
	unsigned long pfn, end;
	u32 i;

	list_for_each_entry(c, &p->chunks, node) {
		for (i = 0; i < c->n; i++) {
			if (region_intersects(c->r[i].start, c->r[i].size, IORESOURCE_SYSTEM_RAM,
					      IORES_DESC_NONE) != REGION_INTERSECTS)
				return false;
			end = PHYS_PFN(c->r[i].start + c->r[i].size);
			for (pfn = PHYS_PFN(c->r[i].start); pfn < end; pfn++) {
				if (!pfn_valid(pfn) || !page_count(pfn_to_page(pfn)))
					return false;
				if (!(pfn % 1024))
					cond_resched();
			}
		}
	}
	return true;
}

/**
 * sim_guest_read_locked() - read guest memory (the image parcel, mapped at the base address)
 * @vm: the VM
 * @gpa: guest physical address
 * @dst: destination
 * @len: bytes to read
 *
 * Context: &gunyah_sim.lock held (it keeps @vm->image alive).
 * Return: true if the whole range is inside the image parcel and readable.
 */
bool sim_guest_read_locked(struct sim_vm *vm, u64 gpa, void *dst, size_t len)
{
	struct sim_parcel *p = vm->image;
	u64 off;

	if (!p || !p->readable || gpa < vm->base)
		return false;
	off = gpa - vm->base;
	if (off >= p->bytes || len > p->bytes - off)
		return false;
	return parcel_copy(p, off, dst, len, true);
}

/* ---- VM start and reset ---- */

/**
 * sim_mem_vm_start() - the VM takes its memory (VM_START)
 * @sim: the simulator
 * @vm: the VM, READY
 * @image: set to its image parcel
 *
 * The image parcel must exist, be complete and name the VM; with image_lend_only it must be a
 * LEND whose ACL is exactly {VM, RWX}. The VM then accepts every complete parcel naming it.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK, HANDLE_INVALID, ARG_INVALID or DENIED (image_lend_only); nothing is
 * accepted on error.
 */
u32 sim_mem_vm_start(struct gunyah_sim *sim, struct sim_vm *vm, struct sim_parcel **image)
{
	struct sim_parcel *p, *q;
	unsigned long flags, idx;
	bool lend_only;
	u32 i;

	lockdep_assert_held(&sim->rm.lock);
	p = sim_parcel_find(sim, vm->image_handle);
	if (!p)
		return RM_ERR_HANDLE_INVALID;
	if (p->pending || !sim_parcel_has_vm(p, vm->vmid))
		return RM_ERR_ARG_INVALID;

	spin_lock_irqsave(&sim->lock, flags);
	lend_only = sim->faults.image_lend_only;
	spin_unlock_irqrestore(&sim->lock, flags);
	if (lend_only && (p->trans_type != GUNYAH_SIM_PARCEL_LEND || p->n_acl != 1 ||
			  p->acl[0].vmid != vm->vmid || p->acl[0].perms != RM_PERM_RWX))
		return RM_ERR_DENIED;

	xa_for_each(&sim->rm.parcels, idx, q) {
		/* a parcel older than the VM names an earlier VM that had its VMID */
		if (q->pending || q->born < vm->born)
			continue;
		for (i = 0; i < q->n_acl; i++)
			if (q->acl[i].vmid == vm->vmid)
				q->acl[i].accepted = true;
	}
	p->readable = parcel_check_ram(p);
	*image = p;
	return RM_OK;
}

/**
 * sim_mem_vm_release() - the VM gives back every parcel it holds (VM_RESET)
 * @sim: the simulator
 * @vm: the VM; no vCPU of it runs any more
 *
 * Sends MEM_RELEASED {le32 handle; le16 vmid; u8 rsvd[2]; le32 mem_info_tag = 0} for each.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 */
void sim_mem_vm_release(struct gunyah_sim *sim, struct sim_vm *vm)
{
	u8 msg[RM_MEM_RELEASED_SIZE];
	struct sim_parcel *p;
	unsigned long idx;
	bool released;
	u32 i;

	lockdep_assert_held(&sim->rm.lock);
	xa_for_each(&sim->rm.parcels, idx, p) {
		released = false;
		for (i = 0; i < p->n_acl; i++) {
			if (p->acl[i].vmid == vm->vmid && p->acl[i].accepted) {
				p->acl[i].accepted = false;
				released = true;
			}
		}
		if (!released)
			continue;
		memset(msg, 0, sizeof(msg));
		put_unaligned_le32(p->handle, msg);
		put_unaligned_le16(vm->vmid, msg + 4);
		sim_rm_notify(sim, RM_NOTIF_MEM_RELEASED, msg, sizeof(msg));
	}
}

/**
 * sim_mem_vm_accepted() - how many parcels a VM holds
 * @sim: the simulator
 * @vmid: the VM
 *
 * Context: &gunyah_sim.rm.lock held.
 * Return: the count.
 */
u32 sim_mem_vm_accepted(struct gunyah_sim *sim, u16 vmid)
{
	struct sim_parcel *p;
	unsigned long idx;
	u32 i, n = 0;

	lockdep_assert_held(&sim->rm.lock);
	xa_for_each(&sim->rm.parcels, idx, p)
		for (i = 0; i < p->n_acl; i++)
			if (p->acl[i].vmid == vmid && p->acl[i].accepted)
				n++;
	return n;
}

/* ---- the VM config DTB ---- */

/**
 * sim_vm_read_config() - read a VM's config DTB from its image parcel (VM_INIT)
 * @sim: the simulator
 * @vm: the VM; CONFIG_IMAGE named the parcel and the DTB's place in it
 * @cfg: filled (zeroed by the caller)
 *
 * The DTB is copied out of the parcel's pages, checked (magic, total size within dtb_size),
 * and read by the simulator's own DTB reader, gunyah_sim_fdt_parse_config() (sim_fdt.c), which
 * checks the whole blob: it needs no OF support from the kernel.
 *
 * Context: the RM thread, &gunyah_sim.rm.lock held; may sleep.
 * Return: RM_OK; HANDLE_INVALID (parcel gone); MEM_INVALID (DTB not in readable memory);
 * ARG_INVALID (not a valid DTB, or see gunyah_sim_fdt_parse_config()); NORESOURCE; NOMEM.
 */
u32 sim_vm_read_config(struct gunyah_sim *sim, struct sim_vm *vm, struct sim_vm_config *cfg)
{
	struct sim_parcel *p;
	u32 total, err;
	void *blob;

	lockdep_assert_held(&sim->rm.lock);
	p = sim_parcel_find(sim, vm->image_handle);
	if (!p)
		return RM_ERR_HANDLE_INVALID;
	if (vm->dtb_size < SIM_FDT_HEADER_SIZE || vm->dtb_size > SIM_MAX_DTB_SIZE ||
	    vm->dtb_offset > p->bytes || vm->dtb_size > p->bytes - vm->dtb_offset)
		return RM_ERR_ARG_INVALID;

	blob = kvzalloc(vm->dtb_size, GFP_KERNEL);
	if (!blob)
		return RM_ERR_NOMEM;
	if (!parcel_copy(p, vm->dtb_offset, blob, vm->dtb_size, false)) {
		err = RM_ERR_MEM_INVALID;
		goto out;
	}
	total = get_unaligned_be32(blob + 4);
	if (get_unaligned_be32(blob) != SIM_FDT_MAGIC || total < SIM_FDT_HEADER_SIZE ||
	    total > vm->dtb_size) {
		err = RM_ERR_ARG_INVALID;
		goto out;
	}

	err = gunyah_sim_fdt_parse_config(blob, total, cfg);
out:
	kvfree(blob);
	return err;
}

/* ---- test API helpers and teardown ---- */

/**
 * sim_parcel_fill_info() - describe a parcel for the test API
 * @p: the parcel
 * @info: filled
 *
 * Context: &gunyah_sim.rm.lock held.
 */
void sim_parcel_fill_info(const struct sim_parcel *p, struct gunyah_sim_parcel_info *info)
{
	const struct sim_chunk *c;
	u32 i;

	memset(info, 0, sizeof(*info));
	info->handle = p->handle;
	info->label = p->label;
	info->trans_type = p->trans_type;
	info->mem_type = p->mem_type;
	info->pending = p->pending;
	info->accepted = parcel_accepted(p);
	info->n_acl = p->n_acl;
	for (i = 0; i < p->n_acl && i < GUNYAH_SIM_INFO_MAX_ACL; i++) {
		info->acl[i].vmid = p->acl[i].vmid;
		info->acl[i].perms = p->acl[i].perms;
		info->acl[i].accepted = p->acl[i].accepted;
	}
	info->n_entries = p->n_entries;
	info->bytes = p->bytes;
	if (!list_empty(&p->chunks)) {
		c = list_first_entry(&p->chunks, struct sim_chunk, node);
		info->first_phys = c->r[0].start;
	}
}

/**
 * sim_rm_mem_destroy() - free every parcel (module exit)
 * @sim: the simulator; every VM is gone
 *
 * Context: process context, &gunyah_sim.rm.lock held.
 */
void sim_rm_mem_destroy(struct gunyah_sim *sim)
{
	struct sim_parcel *p;
	unsigned long idx;

	lockdep_assert_held(&sim->rm.lock);
	xa_for_each(&sim->rm.parcels, idx, p) {
		xa_erase(&sim->rm.parcels, idx);
		parcel_free(sim, p);
	}
	sim->rm.n_parcels = 0;
	xa_destroy(&sim->rm.parcels);
	/* Every parcel gave its memory back */
	WARN_ON(!xa_empty(&sim->rm.pfn_blocks) || !RB_EMPTY_ROOT(&sim->rm.ranges));
	xa_destroy(&sim->rm.pfn_blocks);
}
