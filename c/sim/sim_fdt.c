// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated Gunyah resource manager: the reader of VM config DTBs.
 *
 * The VMM writes the VM configuration, a flattened devicetree (DTB), into guest memory, and
 * VM_INIT reads it, so the blob is untrusted input. This is the simulator's own reader of the
 * format (Devicetree Specification, "Flattened Devicetree (DTB) Format"); it needs none of the
 * kernel's OF support, so VM configs are read on kernels without CONFIG_OF too.
 *
 * The header is checked first: magic, totalsize within the buffer, version 16 or later and
 * compatible with 17, the memory reservation map and both blocks inside the blob (past the
 * header), the structure block 4-byte aligned, the reservation map 8-byte aligned and
 * terminated. Then one pass over the structure block, without recursion, checks every token:
 * node names and property values inside the structure block, property names NUL-terminated
 * inside the strings block, nodes balanced, at most SIM_FDT_MAX_DEPTH nested, one root node,
 * and FDT_END after it. Any violation makes the blob invalid (ARG_INVALID). The work is linear
 * in the size of the blob.
 *
 * On the same pass it fills struct sim_vm_config with what the simulator reads, with the
 * semantics of the of_* API it used to call on an unflattened tree: a node is looked up by
 * name as of_get_child_by_name() does (the name before any unit address, the first match in
 * node order), and a property is the first one of that name in its node.
 */

#include <linux/export.h>
#include <linux/string.h>
#include <linux/types.h>
#include <kunit/visibility.h>
#include <gunyah/compat.h>

#include "sim_internal.h"

/* Structure block tokens */
#define SIM_FDT_BEGIN_NODE	0x1
#define SIM_FDT_END_NODE	0x2
#define SIM_FDT_PROP		0x3
#define SIM_FDT_NOP		0x4
#define SIM_FDT_END		0x9

/* Header: byte offsets of its big-endian u32 fields */
#define SIM_FDT_HDR_MAGIC		0
#define SIM_FDT_HDR_TOTALSIZE		4
#define SIM_FDT_HDR_OFF_DT_STRUCT	8
#define SIM_FDT_HDR_OFF_DT_STRINGS	12
#define SIM_FDT_HDR_OFF_MEM_RSVMAP	16
#define SIM_FDT_HDR_VERSION		20
#define SIM_FDT_HDR_LAST_COMP_VERSION	24
#define SIM_FDT_HDR_SIZE_DT_STRINGS	32
#define SIM_FDT_HDR_SIZE_DT_STRUCT	36

/* Versions read: 16 and later, as long as they still read as 17 (size_dt_struct from 17 on) */
#define SIM_FDT_MIN_VERSION	16
#define SIM_FDT_VERSION		17

/* A memory reservation entry: be64 address, be64 size; address = size = 0 ends the map */
#define SIM_FDT_RSV_ENTRY_SIZE	16

#define SIM_FDT_DOORBELL	"doorbell"

/**
 * struct sim_fdt - the blocks of a DTB whose header was checked
 * @dt_struct: the structure block
 * @struct_size: its size
 * @strings: the strings block
 * @strings_end: offset in @strings just past its last NUL (0 if it has none): a property name
 *               offset below it names a string terminated inside the block
 * @pos: offset in @dt_struct of the next token
 */
struct sim_fdt {
	const u8 *dt_struct;
	u32 struct_size;
	const char *strings;
	u32 strings_end;
	u32 pos;
};

/**
 * enum sim_cfg_node - what an open node is to the VM config
 * @SIM_CFG_OTHER: nothing the simulator reads
 * @SIM_CFG_ROOT: the root node
 * @SIM_CFG_CPUS: /cpus
 * @SIM_CFG_VMCFG: /qcom,vm-config
 * @SIM_CFG_MEMORY: /qcom,vm-config/memory
 * @SIM_CFG_VDEVICES: /qcom,vm-config/vdevices
 * @SIM_CFG_VDEVICE: a child of /qcom,vm-config/vdevices
 */
enum sim_cfg_node {
	SIM_CFG_OTHER,
	SIM_CFG_ROOT,
	SIM_CFG_CPUS,
	SIM_CFG_VMCFG,
	SIM_CFG_MEMORY,
	SIM_CFG_VDEVICES,
	SIM_CFG_VDEVICE,
};

/**
 * struct sim_cfg_reader - the VM config being read, as the structure block is walked
 * @cfg: filled
 * @node: what each open node is, the root at index 0
 * @depth: open nodes
 * @root_done: the root node was closed
 * @have_cpus: /cpus was found (a later node of that name is ignored)
 * @have_vmcfg: /qcom,vm-config was found
 * @have_memory: /qcom,vm-config/memory was found
 * @have_vdevices: /qcom,vm-config/vdevices was found
 * @have_base: base-address was seen in the memory node
 * @dev_type_seen: the open vdevice had its vdevice-type property
 * @dev_is_bell: that property is "doorbell"
 * @dev_label_seen: the open vdevice had its label property
 * @dev_label_ok: that property holds a u32
 * @dev_label: its value
 * @bell_err: the first doorbell error (RM_OK if none); no doorbell is added after one
 */
struct sim_cfg_reader {
	struct sim_vm_config *cfg;
	u8 node[SIM_FDT_MAX_DEPTH];
	u32 depth;
	bool root_done;
	bool have_cpus;
	bool have_vmcfg;
	bool have_memory;
	bool have_vdevices;
	bool have_base;
	bool dev_type_seen;
	bool dev_is_bell;
	bool dev_label_seen;
	bool dev_label_ok;
	u32 dev_label;
	u32 bell_err;
};

/**
 * sim_fdt_block_ok() - whether a block of a DTB lies inside it, past the header
 * @off: its offset
 * @size: its size
 * @total: the DTB's totalsize
 *
 * Context: any context.
 * Return: true if [@off, @off + @size) is inside [SIM_FDT_HEADER_SIZE, @total).
 */
static bool sim_fdt_block_ok(u32 off, u32 size, u32 total)
{
	return off >= SIM_FDT_HEADER_SIZE && off <= total && size <= total - off;
}

/**
 * sim_fdt_rsvmap_ok() - check the memory reservation map
 * @blob: the DTB
 * @off: offset of the map
 * @total: the DTB's totalsize (at most the size of @blob)
 *
 * The map is not used, but must be 8-byte aligned, past the header, and end with its
 * terminating entry inside the blob.
 *
 * Context: any context.
 * Return: true if it does.
 */
static bool sim_fdt_rsvmap_ok(const u8 *blob, u32 off, u32 total)
{
	if (off < SIM_FDT_HEADER_SIZE || off % 8 || off > total)
		return false;
	for (;;) {
		if (total - off < SIM_FDT_RSV_ENTRY_SIZE)
			return false;
		if (!get_unaligned_be64(blob + off) && !get_unaligned_be64(blob + off + 8))
			return true;
		off += SIM_FDT_RSV_ENTRY_SIZE;
	}
}

/**
 * sim_fdt_init() - check a DTB's header and find its blocks
 * @fdt: filled
 * @blob: the DTB
 * @size: bytes readable at @blob
 *
 * Context: any context.
 * Return: true if the header is valid (see the top of this file), false if not.
 */
static bool sim_fdt_init(struct sim_fdt *fdt, const u8 *blob, size_t size)
{
	u32 total, version, off_struct, size_struct, off_strings, size_strings, i;

	if (size < SIM_FDT_HEADER_SIZE ||
	    get_unaligned_be32(blob + SIM_FDT_HDR_MAGIC) != SIM_FDT_MAGIC)
		return false;
	total = get_unaligned_be32(blob + SIM_FDT_HDR_TOTALSIZE);
	if (total < SIM_FDT_HEADER_SIZE || total > size)
		return false;

	version = get_unaligned_be32(blob + SIM_FDT_HDR_VERSION);
	if (version < SIM_FDT_MIN_VERSION ||
	    get_unaligned_be32(blob + SIM_FDT_HDR_LAST_COMP_VERSION) > SIM_FDT_VERSION)
		return false;

	if (!sim_fdt_rsvmap_ok(blob, get_unaligned_be32(blob + SIM_FDT_HDR_OFF_MEM_RSVMAP), total))
		return false;

	off_struct = get_unaligned_be32(blob + SIM_FDT_HDR_OFF_DT_STRUCT);
	if (off_struct % 4 || off_struct > total)
		return false;
	/* Version 16 has no size_dt_struct: the block may run to the end of the blob */
	if (version >= SIM_FDT_VERSION)
		size_struct = get_unaligned_be32(blob + SIM_FDT_HDR_SIZE_DT_STRUCT);
	else
		size_struct = total - off_struct;
	if (!sim_fdt_block_ok(off_struct, size_struct, total))
		return false;

	off_strings = get_unaligned_be32(blob + SIM_FDT_HDR_OFF_DT_STRINGS);
	size_strings = get_unaligned_be32(blob + SIM_FDT_HDR_SIZE_DT_STRINGS);
	if (!sim_fdt_block_ok(off_strings, size_strings, total))
		return false;

	fdt->dt_struct = blob + off_struct;
	fdt->struct_size = size_struct;
	fdt->strings = (const char *)blob + off_strings;
	fdt->strings_end = 0;
	for (i = size_strings; i > 0; i--) {
		if (!fdt->strings[i - 1]) {
			fdt->strings_end = i;
			break;
		}
	}
	fdt->pos = 0;
	return true;
}

/**
 * sim_fdt_skip() - step over @len bytes of the structure block and the padding after them
 * @fdt: the DTB
 * @len: bytes to step over
 *
 * Context: any context.
 * Return: true, or false if they or their padding (to a multiple of 4) run past the block.
 */
static bool sim_fdt_skip(struct sim_fdt *fdt, u32 len)
{
	u32 pad;

	if (len > fdt->struct_size - fdt->pos)
		return false;
	fdt->pos += len;
	pad = (4 - (fdt->pos & 3)) & 3;
	if (pad > fdt->struct_size - fdt->pos)
		return false;
	fdt->pos += pad;
	return true;
}

/**
 * sim_fdt_u32() - read the next big-endian u32 of the structure block
 * @fdt: the DTB
 * @v: set to it
 *
 * Context: any context.
 * Return: true, or false if the block has no 4 more bytes.
 */
static bool sim_fdt_u32(struct sim_fdt *fdt, u32 *v)
{
	if (fdt->struct_size - fdt->pos < 4)
		return false;
	*v = get_unaligned_be32(fdt->dt_struct + fdt->pos);
	fdt->pos += 4;
	return true;
}

/**
 * sim_fdt_node_name() - read the name after an FDT_BEGIN_NODE token
 * @fdt: the DTB, at the name
 *
 * Context: any context.
 * Return: the name, or NULL if it has no NUL or its padding runs past the structure block.
 */
static const char *sim_fdt_node_name(struct sim_fdt *fdt)
{
	const char *name = (const char *)fdt->dt_struct + fdt->pos;
	const char *nul = memchr(name, 0, fdt->struct_size - fdt->pos);

	if (!nul || !sim_fdt_skip(fdt, nul - name + 1))
		return NULL;
	return name;
}

/**
 * sim_fdt_prop() - read what follows an FDT_PROP token: {be32 len; be32 nameoff; value}
 * @fdt: the DTB, after the token
 * @name: set to the property's name, NUL-terminated inside the strings block
 * @val: set to its value
 * @len: set to the value's size
 *
 * Context: any context.
 * Return: true, or false if the value runs past the structure block or the name is not a
 * string of the strings block.
 */
static bool sim_fdt_prop(struct sim_fdt *fdt, const char **name, const u8 **val, u32 *len)
{
	u32 nameoff;

	if (!sim_fdt_u32(fdt, len) || !sim_fdt_u32(fdt, &nameoff))
		return false;
	if (nameoff >= fdt->strings_end)
		return false;
	*name = fdt->strings + nameoff;
	*val = fdt->dt_struct + fdt->pos;
	return sim_fdt_skip(fdt, *len);
}

/**
 * sim_fdt_name_eq() - compare a node name with a name, ignoring any unit address
 * @name: the node's name ("cpu@0")
 * @want: the name ("cpu")
 *
 * As of_node_name_eq(): the part of @name before '@' must equal @want.
 *
 * Context: any context.
 * Return: true if they match.
 */
static bool sim_fdt_name_eq(const char *name, const char *want)
{
	size_t len = strchrnul(name, '@') - name;

	return len == strlen(want) && !memcmp(name, want, len);
}

/**
 * sim_cfg_begin_node() - a node opens
 * @r: the reader
 * @name: its name
 *
 * Counts a vCPU for a child of /cpus whose name starts with "cpu" (the unit address included,
 * as of_node_name_prefix()), except "cpu-map".
 *
 * Context: any context.
 * Return: true, or false if the node is nested too deep or is a second root node.
 */
static bool sim_cfg_begin_node(struct sim_cfg_reader *r, const char *name)
{
	u8 node = SIM_CFG_OTHER;

	if (r->depth == SIM_FDT_MAX_DEPTH)
		return false;
	if (!r->depth) {
		if (r->root_done)
			return false;
		node = SIM_CFG_ROOT;
	} else {
		switch (r->node[r->depth - 1]) {
		case SIM_CFG_ROOT:
			if (!r->have_cpus && sim_fdt_name_eq(name, "cpus")) {
				r->have_cpus = true;
				node = SIM_CFG_CPUS;
			} else if (!r->have_vmcfg && sim_fdt_name_eq(name, "qcom,vm-config")) {
				r->have_vmcfg = true;
				node = SIM_CFG_VMCFG;
			}
			break;
		case SIM_CFG_CPUS:
			/* Counting stops past the limit: that is enough to refuse the config */
			if (str_has_prefix(name, "cpu") && !sim_fdt_name_eq(name, "cpu-map") &&
			    r->cfg->n_vcpus <= SIM_MAX_VCPUS)
				r->cfg->n_vcpus++;
			break;
		case SIM_CFG_VMCFG:
			if (!r->have_memory && sim_fdt_name_eq(name, "memory")) {
				r->have_memory = true;
				node = SIM_CFG_MEMORY;
			} else if (!r->have_vdevices && sim_fdt_name_eq(name, "vdevices")) {
				r->have_vdevices = true;
				node = SIM_CFG_VDEVICES;
			}
			break;
		case SIM_CFG_VDEVICES:
			node = SIM_CFG_VDEVICE;
			r->dev_type_seen = false;
			r->dev_is_bell = false;
			r->dev_label_seen = false;
			r->dev_label_ok = false;
			break;
		}
	}
	r->node[r->depth++] = node;
	return true;
}

/**
 * sim_cfg_add_bell() - a doorbell vdevice closes: add its label
 * @r: the reader
 *
 * Records the first error in &sim_cfg_reader.bell_err, in the order the of_* reader checked:
 * no label or a duplicate (ARG_INVALID), then too many doorbells (NORESOURCE).
 *
 * Context: any context.
 */
static void sim_cfg_add_bell(struct sim_cfg_reader *r)
{
	struct sim_vm_config *cfg = r->cfg;
	u32 i;

	if (r->bell_err != RM_OK)
		return;
	if (!r->dev_label_ok) {
		r->bell_err = RM_ERR_ARG_INVALID;
		return;
	}
	for (i = 0; i < cfg->n_bells; i++) {
		if (cfg->bell_labels[i] == r->dev_label) {
			r->bell_err = RM_ERR_ARG_INVALID;
			return;
		}
	}
	if (cfg->n_bells == SIM_MAX_BELLS) {
		r->bell_err = RM_ERR_NORESOURCE;
		return;
	}
	cfg->bell_labels[cfg->n_bells++] = r->dev_label;
}

/**
 * sim_cfg_end_node() - a node closes
 * @r: the reader
 *
 * Context: any context.
 * Return: true, or false if no node is open.
 */
static bool sim_cfg_end_node(struct sim_cfg_reader *r)
{
	if (!r->depth)
		return false;
	r->depth--;
	if (r->node[r->depth] == SIM_CFG_VDEVICE && r->dev_is_bell)
		sim_cfg_add_bell(r);
	if (!r->depth)
		r->root_done = true;
	return true;
}

/**
 * sim_cfg_prop() - a property of the innermost open node
 * @r: the reader
 * @name: its name
 * @val: its value
 * @len: the value's size
 *
 * Reads base-address of the memory node (as of_property_read_u64(): at least 8 bytes, the
 * first 8 big-endian; shorter leaves the default 0), and vdevice-type (as
 * of_property_read_string(): its first string) and label (as of_property_read_u32(): at least
 * 4 bytes) of a vdevice.
 *
 * Context: any context.
 * Return: true, or false if no node is open.
 */
static bool sim_cfg_prop(struct sim_cfg_reader *r, const char *name, const u8 *val, u32 len)
{
	if (!r->depth)
		return false;
	switch (r->node[r->depth - 1]) {
	case SIM_CFG_MEMORY:
		if (!r->have_base && !strcmp(name, "base-address")) {
			r->have_base = true;
			if (len >= sizeof(u64))
				r->cfg->base = get_unaligned_be64(val);
		}
		break;
	case SIM_CFG_VDEVICE:
		if (!r->dev_type_seen && !strcmp(name, "vdevice-type")) {
			r->dev_type_seen = true;
			r->dev_is_bell = len >= sizeof(SIM_FDT_DOORBELL) &&
					 !memcmp(val, SIM_FDT_DOORBELL, sizeof(SIM_FDT_DOORBELL));
		} else if (!r->dev_label_seen && !strcmp(name, "label")) {
			r->dev_label_seen = true;
			r->dev_label_ok = len >= sizeof(u32);
			if (r->dev_label_ok)
				r->dev_label = get_unaligned_be32(val);
		}
		break;
	}
	return true;
}

/**
 * sim_cfg_walk() - walk the structure block once, checking every token, and read the config
 * @fdt: the DTB, its header checked
 * @r: the reader
 *
 * Each token moves &sim_fdt.pos forward by at least 4 bytes and never past the structure
 * block, so the walk ends; nesting is tracked in @r, not on the stack.
 *
 * Context: any context.
 * Return: true if the structure block is well-formed and ends with FDT_END, false if not.
 */
static bool sim_cfg_walk(struct sim_fdt *fdt, struct sim_cfg_reader *r)
{
	const char *name;
	const u8 *val;
	u32 token, len;

	while (sim_fdt_u32(fdt, &token)) {
		switch (token) {
		case SIM_FDT_BEGIN_NODE:
			name = sim_fdt_node_name(fdt);
			if (!name || !sim_cfg_begin_node(r, name))
				return false;
			break;
		case SIM_FDT_END_NODE:
			if (!sim_cfg_end_node(r))
				return false;
			break;
		case SIM_FDT_PROP:
			if (!sim_fdt_prop(fdt, &name, &val, &len) ||
			    !sim_cfg_prop(r, name, val, len))
				return false;
			break;
		case SIM_FDT_NOP:
			break;
		case SIM_FDT_END:
			return !r->depth && r->root_done;
		default:
			return false;
		}
	}
	return false;	/* no FDT_END */
}

/**
 * gunyah_sim_fdt_parse_config() - check a VM config DTB and read what the simulator needs
 * @blob: the DTB (any alignment)
 * @size: bytes readable at @blob; the DTB's totalsize must not exceed it
 * @cfg: zeroed, then filled; meaningful only on RM_OK
 *
 * Reads /qcom,vm-config/memory base-address (u64, or two u32 cells; default 0), the doorbells
 * of /qcom,vm-config/vdevices (children with vdevice-type = "doorbell" and a u32 label, labels
 * unique, in node order), and counts the vCPUs: children of /cpus whose name starts with "cpu",
 * except "cpu-map". Only direct children count. Everything else in the tree is checked for
 * well-formedness and otherwise ignored.
 *
 * Context: any context; does not sleep or allocate.
 * Return: RM_OK; ARG_INVALID (not a valid DTB, no vCPU, a doorbell without or with a duplicate
 * label); NORESOURCE (more than SIM_MAX_VCPUS vCPUs or SIM_MAX_BELLS doorbells). A malformed
 * blob is ARG_INVALID whatever else it holds; otherwise a doorbell error comes first.
 */
u32 gunyah_sim_fdt_parse_config(const void *blob, size_t size, struct sim_vm_config *cfg)
{
	struct sim_cfg_reader r = { .cfg = cfg };
	struct sim_fdt fdt;

	memset(cfg, 0, sizeof(*cfg));
	if (!sim_fdt_init(&fdt, blob, size) || !sim_cfg_walk(&fdt, &r))
		return RM_ERR_ARG_INVALID;
	if (r.bell_err != RM_OK)
		return r.bell_err;
	if (!cfg->n_vcpus)
		return RM_ERR_ARG_INVALID;
	if (cfg->n_vcpus > SIM_MAX_VCPUS)
		return RM_ERR_NORESOURCE;
	return RM_OK;
}
EXPORT_SYMBOL_IF_KUNIT(gunyah_sim_fdt_parse_config);
