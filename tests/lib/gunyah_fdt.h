/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal flattened device tree (DTB, version 17) writer for tests and the sample VMM: enough
 * to build a Gunyah VM config DT. Header only; builds in the kernel (KUnit) and in userspace.
 *
 * Usage: gunyah_fdt_init() with a buffer, then nested gunyah_fdt_begin_node() /
 * gunyah_fdt_prop*() / gunyah_fdt_end_node() calls starting with the root node "", then
 * gunyah_fdt_finish(). Errors (buffer too small, unbalanced nodes) are sticky: finish returns 0.
 */
#ifndef _GUNYAH_TESTS_FDT_H
#define _GUNYAH_TESTS_FDT_H

#ifdef __KERNEL__
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#define gunyah_fdt_be32(x)	cpu_to_be32(x)
typedef u8 gunyah_fdt_u8;
typedef u32 gunyah_fdt_u32;
typedef u64 gunyah_fdt_u64;
typedef __be32 gunyah_fdt_be32_t;
#else
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#define gunyah_fdt_be32(x)	htobe32(x)
typedef uint8_t gunyah_fdt_u8;
typedef uint32_t gunyah_fdt_u32;
typedef uint64_t gunyah_fdt_u64;
typedef uint32_t gunyah_fdt_be32_t;
#endif

#define GUNYAH_FDT_MAGIC	0xd00dfeedU
#define GUNYAH_FDT_BEGIN_NODE	1U
#define GUNYAH_FDT_END_NODE	2U
#define GUNYAH_FDT_PROP		3U
#define GUNYAH_FDT_END		9U
#define GUNYAH_FDT_STRINGS_MAX	1024

/**
 * struct gunyah_fdt - a DTB being written
 * @buf: output buffer; the structure block is built at @buf + 40 + 16
 * @cap: size of @buf
 * @off: end of the structure block so far (offset in @buf)
 * @depth: open nodes
 * @err: set on any error; sticky
 * @strings: the strings block
 * @strings_len: bytes used in @strings
 */
struct gunyah_fdt {
	gunyah_fdt_u8 *buf;
	size_t cap;
	size_t off;
	int depth;
	int err;
	char strings[GUNYAH_FDT_STRINGS_MAX];
	size_t strings_len;
};

static inline void gunyah_fdt_put32(struct gunyah_fdt *f, gunyah_fdt_u32 v)
{
	gunyah_fdt_be32_t be = gunyah_fdt_be32(v);

	if (f->err || f->off + 4 > f->cap) {
		f->err = 1;
		return;
	}
	memcpy(f->buf + f->off, &be, 4);
	f->off += 4;
}

static inline void gunyah_fdt_put_bytes(struct gunyah_fdt *f, const void *p, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (f->err || f->off + padded > f->cap) {
		f->err = 1;
		return;
	}
	memcpy(f->buf + f->off, p, len);
	memset(f->buf + f->off + len, 0, padded - len);
	f->off += padded;
}

static inline void gunyah_fdt_init(struct gunyah_fdt *f, void *buf, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->cap = cap;
	/* 40-byte header, then an empty memory reservation map (one 16-byte terminator) */
	f->off = 40 + 16;
	if (cap < f->off)
		f->err = 1;
	else
		memset(buf, 0, f->off);
}

static inline void gunyah_fdt_begin_node(struct gunyah_fdt *f, const char *name)
{
	gunyah_fdt_put32(f, GUNYAH_FDT_BEGIN_NODE);
	gunyah_fdt_put_bytes(f, name, strlen(name) + 1);
	f->depth++;
}

static inline void gunyah_fdt_end_node(struct gunyah_fdt *f)
{
	if (f->depth-- <= 0)
		f->err = 1;
	gunyah_fdt_put32(f, GUNYAH_FDT_END_NODE);
}

static inline gunyah_fdt_u32 gunyah_fdt_string(struct gunyah_fdt *f, const char *name)
{
	size_t i = 0, len = strlen(name) + 1;

	while (i < f->strings_len) {
		if (!strcmp(f->strings + i, name))
			return (gunyah_fdt_u32)i;
		i += strlen(f->strings + i) + 1;
	}
	if (f->strings_len + len > sizeof(f->strings)) {
		f->err = 1;
		return 0;
	}
	memcpy(f->strings + f->strings_len, name, len);
	f->strings_len += len;
	return (gunyah_fdt_u32)i;
}

static inline void gunyah_fdt_prop(struct gunyah_fdt *f, const char *name, const void *val,
				   size_t len)
{
	gunyah_fdt_u32 nameoff = gunyah_fdt_string(f, name);

	gunyah_fdt_put32(f, GUNYAH_FDT_PROP);
	gunyah_fdt_put32(f, (gunyah_fdt_u32)len);
	gunyah_fdt_put32(f, nameoff);
	gunyah_fdt_put_bytes(f, val, len);
}

static inline void gunyah_fdt_prop_u32(struct gunyah_fdt *f, const char *name, gunyah_fdt_u32 v)
{
	gunyah_fdt_be32_t be = gunyah_fdt_be32(v);

	gunyah_fdt_prop(f, name, &be, 4);
}

/* A 64-bit value as two cells, most significant first. */
static inline void gunyah_fdt_prop_u64(struct gunyah_fdt *f, const char *name, gunyah_fdt_u64 v)
{
	gunyah_fdt_be32_t be[2] = { gunyah_fdt_be32((gunyah_fdt_u32)(v >> 32)),
				 gunyah_fdt_be32((gunyah_fdt_u32)(v & 0xffffffffU)) };

	gunyah_fdt_prop(f, name, be, 8);
}

static inline void gunyah_fdt_prop_str(struct gunyah_fdt *f, const char *name, const char *s)
{
	gunyah_fdt_prop(f, name, s, strlen(s) + 1);
}

static inline void gunyah_fdt_prop_empty(struct gunyah_fdt *f, const char *name)
{
	gunyah_fdt_prop(f, name, NULL, 0);
}

/**
 * gunyah_fdt_finish() - close the tree and write the header
 * @f: the DTB
 *
 * Return: the DTB's total size, or 0 on any error.
 */
static inline size_t gunyah_fdt_finish(struct gunyah_fdt *f)
{
	const size_t struct_off = 40 + 16;
	gunyah_fdt_u32 hdr[10];
	gunyah_fdt_be32_t be[10];
	size_t strings_off, total;
	int i;

	gunyah_fdt_put32(f, GUNYAH_FDT_END);
	if (f->err || f->depth)
		return 0;
	strings_off = f->off;
	total = strings_off + f->strings_len;
	if (total > f->cap)
		return 0;
	memcpy(f->buf + strings_off, f->strings, f->strings_len);
	hdr[0] = GUNYAH_FDT_MAGIC;
	hdr[1] = (gunyah_fdt_u32)total;			/* totalsize */
	hdr[2] = (gunyah_fdt_u32)struct_off;		/* off_dt_struct */
	hdr[3] = (gunyah_fdt_u32)strings_off;		/* off_dt_strings */
	hdr[4] = 40;					/* off_mem_rsvmap */
	hdr[5] = 17;					/* version */
	hdr[6] = 16;					/* last_comp_version */
	hdr[7] = 0;					/* boot_cpuid_phys */
	hdr[8] = (gunyah_fdt_u32)f->strings_len;	/* size_dt_strings */
	hdr[9] = (gunyah_fdt_u32)(strings_off - struct_off);	/* size_dt_struct */
	for (i = 0; i < 10; i++)
		be[i] = gunyah_fdt_be32(hdr[i]);
	memcpy(f->buf, be, sizeof(be));
	return total;
}

/**
 * gunyah_fdt_cpus() - a /cpus-like node of @n vCPUs, cpu@0 .. cpu@N-1
 * @f: the writer
 * @name: the node's name ("cpus" for a VM config)
 * @n: how many vCPU nodes
 */
static inline void gunyah_fdt_cpus(struct gunyah_fdt *f, const char *name, unsigned int n)
{
	char cpu[16];
	unsigned int i;

	gunyah_fdt_begin_node(f, name);
	gunyah_fdt_prop_u32(f, "#address-cells", 1);
	gunyah_fdt_prop_u32(f, "#size-cells", 0);
	for (i = 0; i < n; i++) {
		snprintf(cpu, sizeof(cpu), "cpu@%u", i);
		gunyah_fdt_begin_node(f, cpu);
		gunyah_fdt_prop_str(f, "device_type", "cpu");
		gunyah_fdt_prop_u32(f, "reg", i);
		gunyah_fdt_end_node(f);
	}
	gunyah_fdt_end_node(f);
}

/**
 * gunyah_fdt_vm_config() - write a Gunyah VM config DTB as the simulated RM reads it
 * @f: scratch state (about 1 KiB: callers in the kernel allocate it)
 * @buf: destination
 * @cap: its size
 * @n_vcpus: /cpus/cpu@N nodes
 * @labels: doorbell labels, one /qcom,vm-config/vdevices/bell-N node each
 * @n_bells: how many
 * @base: /qcom,vm-config/memory base-address
 *
 * Return: the DTB's size, or 0 if it does not fit.
 */
static inline size_t gunyah_fdt_vm_config(struct gunyah_fdt *f, void *buf, size_t cap,
					  unsigned int n_vcpus, const gunyah_fdt_u32 *labels,
					  unsigned int n_bells, gunyah_fdt_u64 base)
{
	char name[32];
	unsigned int i;

	gunyah_fdt_init(f, buf, cap);
	gunyah_fdt_begin_node(f, "");
	gunyah_fdt_prop_u32(f, "#address-cells", 2);
	gunyah_fdt_prop_u32(f, "#size-cells", 2);
	gunyah_fdt_cpus(f, "cpus", n_vcpus);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_prop_str(f, "vm-type", "aarch64-guest");
	gunyah_fdt_begin_node(f, "memory");
	gunyah_fdt_prop_u64(f, "base-address", base);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "vdevices");
	for (i = 0; i < n_bells; i++) {
		snprintf(name, sizeof(name), "bell-%u", i);
		gunyah_fdt_begin_node(f, name);
		gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
		gunyah_fdt_prop_u32(f, "label", labels[i]);
		gunyah_fdt_end_node(f);
	}
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	return gunyah_fdt_finish(f);
}

#endif
