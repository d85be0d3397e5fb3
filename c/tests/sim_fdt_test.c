// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the simulator's reader of VM config DTBs (c/sim/sim_fdt.c,
 * gunyah_sim_fdt_parse_config()).
 *
 * gunyah_sim_fdt_config:    what well-formed VM configs yield: vCPUs (cpu-map and nested nodes
 *                           not counted), doorbells, base-address in its encodings, and the RM
 *                           errors of the configs the simulator refuses.
 * gunyah_sim_fdt_malformed: blobs that are not valid DTBs: each header offset and size pointing
 *                           outside, strings without NUL, a property length past the block, a
 *                           name offset past the strings block, no FDT_END, unbalanced nodes,
 *                           nesting past SIM_FDT_MAX_DEPTH; every truncation of a valid blob and
 *                           every byte of it flipped.
 *
 * The blobs are written with the tests' DTB writer (tests/lib/gunyah_fdt.h), whose low-level
 * helpers also write the malformed token streams, and patched afterwards. The reader always
 * gets a copy allocated at exactly the size it is told, so KASAN reports any read past it.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gunyah/compat.h>

#include "../sim/sim_internal.h"
#include "gunyah_fdt.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Header fields: byte offsets (the writer lays out header, empty reservation map, blocks) */
#define HDR_MAGIC		0
#define HDR_TOTALSIZE		4
#define HDR_OFF_STRUCT		8
#define HDR_OFF_STRINGS		12
#define HDR_OFF_RSVMAP		16
#define HDR_VERSION		20
#define HDR_LAST_COMP		24
#define HDR_BOOT_CPUID		28
#define HDR_SIZE_STRINGS	32
#define HDR_SIZE_STRUCT		36
#define HDR_NONE		(-1)

#define TEST_FDT_NOP		4U
#define FDT_BUF_SIZE		SZ_16K
#define LABEL0			100	/* doorbell i of the many-doorbell configs has LABEL0 + i */
#define VM_BASE			0x80000000ULL

/**
 * struct fdt_ctx - per-test state
 * @f: the writer
 * @buf: the DTB written
 * @cfg: what the reader filled
 * @want: what it should fill
 * @prop: offset in @buf of the FDT_PROP token of the label of the base blob's doorbell
 */
struct fdt_ctx {
	struct gunyah_fdt f;
	u8 buf[FDT_BUF_SIZE];
	struct sim_vm_config cfg;
	struct sim_vm_config want;
	size_t prop;
};

static u32 hdr_get(const u8 *blob, int field)
{
	return get_unaligned_be32(blob + field);
}

static void hdr_set(u8 *blob, int field, u32 v)
{
	put_unaligned_be32(v, blob + field);
}

/**
 * parse_exact() - run the reader on a copy of exactly @len bytes of @blob
 * @test: the test
 * @blob: the bytes
 * @len: how many
 * @cfg: filled by the reader
 *
 * Context: process context.
 * Return: the reader's RM error code.
 */
static u32 parse_exact(struct kunit *test, const u8 *blob, size_t len, struct sim_vm_config *cfg)
{
	void *copy = kmemdup(blob, len, GFP_KERNEL);
	u32 err;

	KUNIT_ASSERT_NOT_NULL(test, copy);
	err = gunyah_sim_fdt_parse_config(copy, len, cfg);
	kfree(copy);
	return err;
}

static bool cfg_equal(const struct sim_vm_config *a, const struct sim_vm_config *b)
{
	return a->base == b->base && a->n_vcpus == b->n_vcpus && a->n_bells == b->n_bells &&
	       !memcmp(a->bell_labels, b->bell_labels, a->n_bells * sizeof(a->bell_labels[0]));
}

static int fdt_test_init(struct kunit *test)
{
	struct fdt_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	test->priv = c;
	return 0;
}

/* ---- pieces of trees ---- */

static void w_empty(struct gunyah_fdt *f, const char *name)
{
	gunyah_fdt_begin_node(f, name);
	gunyah_fdt_end_node(f);
}

static void w_cpus(struct gunyah_fdt *f, unsigned int n)
{
	gunyah_fdt_cpus(f, "cpus", n);
}

static void w_bell(struct gunyah_fdt *f, const char *name, u32 label)
{
	gunyah_fdt_begin_node(f, name);
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	gunyah_fdt_prop_u32(f, "label", label);
	gunyah_fdt_end_node(f);
}

/* /qcom,vm-config with vdevices holding @n doorbells labelled LABEL0 + i, the last @last */
static void w_bells(struct gunyah_fdt *f, unsigned int n, u32 last)
{
	char name[16];
	unsigned int i;

	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "vdevices");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bell-%u", i);
		w_bell(f, name, i + 1 == n ? last : LABEL0 + i);
	}
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void w_memory(struct gunyah_fdt *f, const void *val, size_t len)
{
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "memory");
	gunyah_fdt_prop(f, "base-address", val, len);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

/* ---- gunyah_sim_fdt_config: well-formed configs (the root's contents) ---- */

static void b_good(struct gunyah_fdt *f)
{
	__be64 base = cpu_to_be64(VM_BASE);

	gunyah_fdt_prop_u32(f, "#address-cells", 2);
	gunyah_fdt_begin_node(f, "cpus");
	gunyah_fdt_prop_u32(f, "#address-cells", 1);
	w_empty(f, "cpu@0");
	w_empty(f, "cpu@1");
	gunyah_fdt_begin_node(f, "cpu-map");
	gunyah_fdt_begin_node(f, "cluster0");
	gunyah_fdt_begin_node(f, "core0");
	gunyah_fdt_prop_u32(f, "cpu", 1);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	w_empty(f, "l2-cache");
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_prop_str(f, "vm-type", "aarch64-guest");
	gunyah_fdt_begin_node(f, "memory");
	gunyah_fdt_prop(f, "base-address", &base, sizeof(base));
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "vdevices");
	w_bell(f, "bell-0", 7);
	gunyah_fdt_begin_node(f, "msgq-0");		/* not a doorbell: its label is not one */
	gunyah_fdt_prop_str(f, "vdevice-type", "msgq");
	gunyah_fdt_prop_u32(f, "label", 7);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "bell-1");		/* label before type */
	gunyah_fdt_prop_u32(f, "label", 9);
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_base_cells(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "memory");
	gunyah_fdt_prop_u64(f, "base-address", 0x123456789abcdef0ULL);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_base_u64(struct gunyah_fdt *f)
{
	__be64 base = cpu_to_be64(0xfedcba9876543210ULL);

	w_cpus(f, 1);
	w_memory(f, &base, sizeof(base));
}

static void b_base_short(struct gunyah_fdt *f)
{
	__be32 base = cpu_to_be32(0x1000);

	w_cpus(f, 1);
	w_memory(f, &base, sizeof(base));
}

static void b_base_long(struct gunyah_fdt *f)
{
	__be32 base[3] = { cpu_to_be32(0x1), cpu_to_be32(0x2000), cpu_to_be32(0x3) };

	w_cpus(f, 1);
	w_memory(f, base, sizeof(base));
}

static void b_cpus_only(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
}

static void b_no_cpus(struct gunyah_fdt *f)
{
	w_bells(f, 2, 1);
}

static void b_cpu_map_only(struct gunyah_fdt *f)
{
	gunyah_fdt_begin_node(f, "cpus");
	w_empty(f, "cpu-map");
	gunyah_fdt_end_node(f);
}

static void b_cpu_names(struct gunyah_fdt *f)
{
	static const char * const names[] = {
		"cpu", "cpu@1", "cpux", "cpu-map", "cpu-map@0", "acpu", "CPU@2", "cpus",
	};
	unsigned int i;

	gunyah_fdt_begin_node(f, "cpus");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		w_empty(f, names[i]);
	gunyah_fdt_end_node(f);
}

static void b_nested(struct gunyah_fdt *f)
{
	gunyah_fdt_begin_node(f, "cpus");
	w_empty(f, "cpu@0");
	gunyah_fdt_begin_node(f, "cluster0");
	w_empty(f, "cpu@1");
	w_empty(f, "cpu@2");
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "soc");
	w_cpus(f, 2);					/* /soc/cpus: not /cpus */
	gunyah_fdt_end_node(f);
	/* a second /cpus: the first one counts */
	gunyah_fdt_cpus(f, "cpus@1", 3);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	w_bell(f, "bell-5", 5);				/* not under vdevices */
	gunyah_fdt_begin_node(f, "vdevices");
	gunyah_fdt_begin_node(f, "group");
	w_bell(f, "bell-6", 6);				/* nested: not a vdevice */
	gunyah_fdt_end_node(f);
	w_bell(f, "bell-8", 8);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "vdevices");		/* not under qcom,vm-config */
	w_bell(f, "bell-9", 9);
	gunyah_fdt_end_node(f);
}

static void b_unit_addresses(struct gunyah_fdt *f)
{
	gunyah_fdt_cpus(f, "cpus@0", 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config@0");
	gunyah_fdt_begin_node(f, "memory@1000");
	gunyah_fdt_prop_u64(f, "base-address", 0x1000);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "vdevices@0");
	w_bell(f, "bell@3", 3);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_nops(struct gunyah_fdt *f)
{
	gunyah_fdt_put32(f, TEST_FDT_NOP);
	w_cpus(f, 2);
	gunyah_fdt_put32(f, TEST_FDT_NOP);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_put32(f, TEST_FDT_NOP);
	gunyah_fdt_begin_node(f, "vdevices");
	gunyah_fdt_begin_node(f, "bell");
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	gunyah_fdt_put32(f, TEST_FDT_NOP);
	gunyah_fdt_put32(f, TEST_FDT_NOP);
	gunyah_fdt_prop_u32(f, "label", 1);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_put32(f, TEST_FDT_NOP);
}

static void b_dup_label(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	w_bells(f, 3, LABEL0);
}

static void b_no_label(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "vdevices");
	w_bell(f, "bell-0", 1);
	gunyah_fdt_begin_node(f, "bell-1");
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_short_label(struct gunyah_fdt *f)
{
	static const u8 label[2] = { 0, 1 };

	w_cpus(f, 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "vdevices");
	gunyah_fdt_begin_node(f, "bell-0");
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	gunyah_fdt_prop(f, "label", label, sizeof(label));
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_not_doorbells(struct gunyah_fdt *f)
{
	static const char * const types[] = { "doorbell-x", "doorbel", "", "Doorbell" };
	unsigned int i;

	w_cpus(f, 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "vdevices");
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		gunyah_fdt_begin_node(f, types[i][0] ? types[i] : "empty");
		gunyah_fdt_prop_str(f, "vdevice-type", types[i]);
		gunyah_fdt_end_node(f);
	}
	gunyah_fdt_begin_node(f, "unterminated");	/* 8 bytes "doorbell", no NUL */
	gunyah_fdt_prop(f, "vdevice-type", "doorbell", 8);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "untyped");
	gunyah_fdt_prop_u32(f, "label", 1);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
}

static void b_vcpus_max(struct gunyah_fdt *f)
{
	w_cpus(f, SIM_MAX_VCPUS);
}

static void b_vcpus_over(struct gunyah_fdt *f)
{
	w_cpus(f, SIM_MAX_VCPUS + 1);
}

static void b_bells_max(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	w_bells(f, SIM_MAX_BELLS, LABEL0 + SIM_MAX_BELLS - 1);
}

static void b_bells_over(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	w_bells(f, SIM_MAX_BELLS + 1, LABEL0 + SIM_MAX_BELLS);
}

/* Past the limit, a duplicate label is still found first (as the of_* reader checked) */
static void b_bells_over_dup(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	w_bells(f, SIM_MAX_BELLS + 1, LABEL0);
}

/* A doorbell error is returned before a vCPU error */
static void b_bells_over_no_cpus(struct gunyah_fdt *f)
{
	w_bells(f, SIM_MAX_BELLS + 1, LABEL0 + SIM_MAX_BELLS);
}

static void b_dup_label_vcpus_over(struct gunyah_fdt *f)
{
	w_cpus(f, SIM_MAX_VCPUS + 1);
	w_bells(f, 2, LABEL0);
}

static void w_chain(struct gunyah_fdt *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		gunyah_fdt_begin_node(f, "n");
	for (i = 0; i < n; i++)
		gunyah_fdt_end_node(f);
}

/* Nodes SIM_FDT_MAX_DEPTH deep, the root included */
static void b_depth_max(struct gunyah_fdt *f)
{
	w_cpus(f, 1);
	w_chain(f, SIM_FDT_MAX_DEPTH - 1);
}

/**
 * struct cfg_case - a well-formed config and what the reader makes of it
 * @desc: description
 * @build: writes the root node's contents
 * @err: RM error expected
 * @n_vcpus: vCPUs expected (RM_OK only)
 * @n_bells: doorbells expected (RM_OK only)
 * @labels: their labels; past the array's size, doorbell i has label LABEL0 + i
 * @base: base address expected (RM_OK only)
 */
struct cfg_case {
	const char *desc;
	void (*build)(struct gunyah_fdt *f);
	u32 err;
	u32 n_vcpus;
	u32 n_bells;
	u32 labels[4];
	u64 base;
};

static const struct cfg_case cfg_cases[] = {
	{ "2 cpus, cpu-map, 2 doorbells, u64 base", b_good, RM_OK, 2, 2, { 7, 9 }, VM_BASE },
	{ "base-address as two cells", b_base_cells, RM_OK, 1, 0, {}, 0x123456789abcdef0ULL },
	{ "base-address as one u64", b_base_u64, RM_OK, 1, 0, {}, 0xfedcba9876543210ULL },
	{ "base-address of 4 bytes ignored", b_base_short, RM_OK, 1, 0, {}, 0 },
	{ "base-address of 12 bytes: first 8", b_base_long, RM_OK, 1, 0, {}, 0x100002000ULL },
	{ "no vm-config: base 0, no doorbell", b_cpus_only, RM_OK, 1, 0, {}, 0 },
	{ "no /cpus", b_no_cpus, RM_ERR_ARG_INVALID },
	{ "/cpus with cpu-map only", b_cpu_map_only, RM_ERR_ARG_INVALID },
	{ "cpu node names", b_cpu_names, RM_OK, 4, 0, {}, 0 },
	{ "nested cpus and doorbells not counted", b_nested, RM_OK, 1, 1, { 8 }, 0 },
	{ "unit addresses", b_unit_addresses, RM_OK, 1, 1, { 3 }, 0x1000 },
	{ "FDT_NOP anywhere", b_nops, RM_OK, 2, 1, { 1 }, 0 },
	{ "duplicate doorbell label", b_dup_label, RM_ERR_ARG_INVALID },
	{ "doorbell without label", b_no_label, RM_ERR_ARG_INVALID },
	{ "doorbell label of 2 bytes", b_short_label, RM_ERR_ARG_INVALID },
	{ "other vdevice types", b_not_doorbells, RM_OK, 1, 0, {}, 0 },
	{ "SIM_MAX_VCPUS vcpus", b_vcpus_max, RM_OK, SIM_MAX_VCPUS, 0, {}, 0 },
	{ "too many vcpus", b_vcpus_over, RM_ERR_NORESOURCE },
	{ "SIM_MAX_BELLS doorbells", b_bells_max, RM_OK, 1, SIM_MAX_BELLS, {}, 0 },
	{ "too many doorbells", b_bells_over, RM_ERR_NORESOURCE },
	{ "too many doorbells, last a duplicate", b_bells_over_dup, RM_ERR_ARG_INVALID },
	{ "too many doorbells and no cpu", b_bells_over_no_cpus, RM_ERR_NORESOURCE },
	{ "duplicate label and too many vcpus", b_dup_label_vcpus_over, RM_ERR_ARG_INVALID },
	{ "nodes SIM_FDT_MAX_DEPTH deep", b_depth_max, RM_OK, 1, 0, {}, 0 },
};

static void cfg_desc(const struct cfg_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cfg, cfg_cases, cfg_desc);

/* Finish the blob being written; it must fit */
static size_t finish_blob(struct kunit *test, struct fdt_ctx *c)
{
	size_t size = gunyah_fdt_finish(&c->f);

	KUNIT_ASSERT_GT(test, size, 0);
	return size;
}

static size_t build_root(struct kunit *test, struct fdt_ctx *c,
			 void (*build)(struct gunyah_fdt *f))
{
	gunyah_fdt_init(&c->f, c->buf, sizeof(c->buf));
	gunyah_fdt_begin_node(&c->f, "");
	build(&c->f);
	gunyah_fdt_end_node(&c->f);
	return finish_blob(test, c);
}

static void config_test(struct kunit *test)
{
	const struct cfg_case *cc = test->param_value;
	struct fdt_ctx *c = test->priv;
	size_t size = build_root(test, c, cc->build);
	u32 i;

	KUNIT_ASSERT_EQ(test, parse_exact(test, c->buf, size, &c->cfg), cc->err);
	if (cc->err != RM_OK)
		return;
	KUNIT_EXPECT_EQ(test, c->cfg.n_vcpus, cc->n_vcpus);
	KUNIT_EXPECT_EQ(test, c->cfg.base, cc->base);
	KUNIT_ASSERT_EQ(test, c->cfg.n_bells, cc->n_bells);
	for (i = 0; i < cc->n_bells; i++)
		KUNIT_EXPECT_EQ(test, c->cfg.bell_labels[i],
				cc->n_bells <= ARRAY_SIZE(cc->labels) ? cc->labels[i] : LABEL0 + i);
}

/* The config the other suites and the sample VMM write (gunyah_fdt_vm_config()) */
static void writer_config_test(struct kunit *test)
{
	static const u32 labels[] = { 10, 11, 12 };
	struct fdt_ctx *c = test->priv;
	size_t size;

	size = gunyah_fdt_vm_config(&c->f, c->buf, sizeof(c->buf), 4, labels, ARRAY_SIZE(labels),
				    VM_BASE);
	KUNIT_ASSERT_GT(test, size, 0);
	KUNIT_ASSERT_EQ(test, parse_exact(test, c->buf, size, &c->cfg), RM_OK);
	KUNIT_EXPECT_EQ(test, c->cfg.n_vcpus, 4);
	KUNIT_EXPECT_EQ(test, c->cfg.base, VM_BASE);
	KUNIT_ASSERT_EQ(test, c->cfg.n_bells, ARRAY_SIZE(labels));
	KUNIT_EXPECT_EQ(test, c->cfg.bell_labels[0], 10);
	KUNIT_EXPECT_EQ(test, c->cfg.bell_labels[1], 11);
	KUNIT_EXPECT_EQ(test, c->cfg.bell_labels[2], 12);
}

/* ---- gunyah_sim_fdt_malformed ---- */

/*
 * The base blob: / { cpus { cpu@0 }; qcom,vm-config { memory { base-address }; vdevices {
 * bell-0 { vdevice-type; label } } } }, which reads as 1 vCPU, doorbell 1, base VM_BASE.
 */
static size_t build_base(struct kunit *test, struct fdt_ctx *c)
{
	struct gunyah_fdt *f = &c->f;
	size_t size;

	gunyah_fdt_init(f, c->buf, sizeof(c->buf));
	gunyah_fdt_begin_node(f, "");
	w_cpus(f, 1);
	gunyah_fdt_begin_node(f, "qcom,vm-config");
	gunyah_fdt_begin_node(f, "memory");
	gunyah_fdt_prop_u64(f, "base-address", VM_BASE);
	gunyah_fdt_end_node(f);
	gunyah_fdt_begin_node(f, "vdevices");
	gunyah_fdt_begin_node(f, "bell-0");
	gunyah_fdt_prop_str(f, "vdevice-type", "doorbell");
	c->prop = f->off;
	gunyah_fdt_prop_u32(f, "label", 1);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	gunyah_fdt_end_node(f);
	size = gunyah_fdt_finish(f);
	KUNIT_ASSERT_GT(test, size, 0);

	c->want = (struct sim_vm_config){ .base = VM_BASE, .n_vcpus = 1, .n_bells = 1,
					  .bell_labels = { 1 } };
	return size;
}

static void base_valid_test(struct kunit *test)
{
	struct fdt_ctx *c = test->priv;
	size_t size = build_base(test, c);

	KUNIT_ASSERT_EQ(test, parse_exact(test, c->buf, size, &c->cfg), RM_OK);
	KUNIT_EXPECT_TRUE(test, cfg_equal(&c->cfg, &c->want));
	/* A larger buffer than totalsize is fine */
	KUNIT_EXPECT_EQ(test, parse_exact(test, c->buf, size + 13, &c->cfg), RM_OK);
}

/**
 * struct hdr_case - one header field set to (@plus field) - (@minus field) + @add
 * @desc: description
 * @field: the field patched
 * @plus: a field whose value is added, or HDR_NONE
 * @minus: a field whose value is subtracted, or HDR_NONE
 * @add: a constant added
 * @err: expected RM error
 */
struct hdr_case {
	const char *desc;
	int field;
	int plus;
	int minus;
	u32 add;
	u32 err;
};

#define BAD_DTB		RM_ERR_ARG_INVALID
static const struct hdr_case hdr_cases[] = {
	{ "bad magic", HDR_MAGIC, HDR_MAGIC, HDR_NONE, 1, BAD_DTB },
	{ "totalsize past the buffer", HDR_TOTALSIZE, HDR_TOTALSIZE, HDR_NONE, 1, BAD_DTB },
	{ "totalsize 39", HDR_TOTALSIZE, HDR_NONE, HDR_NONE, 39, BAD_DTB },
	{ "totalsize 0xffffffff", HDR_TOTALSIZE, HDR_NONE, HDR_NONE, U32_MAX, BAD_DTB },
	{ "struct block in the header", HDR_OFF_STRUCT, HDR_NONE, HDR_NONE, 0, BAD_DTB },
	{ "struct block misaligned", HDR_OFF_STRUCT, HDR_OFF_STRUCT, HDR_NONE, 2, BAD_DTB },
	{ "struct block at totalsize", HDR_OFF_STRUCT, HDR_TOTALSIZE, HDR_NONE, 0, BAD_DTB },
	{ "struct block end past totalsize", HDR_OFF_STRUCT, HDR_OFF_STRINGS, HDR_NONE, 4,
	  BAD_DTB },
	{ "struct block offset wraps", HDR_OFF_STRUCT, HDR_NONE, HDR_NONE, 0xfffffffc, BAD_DTB },
	{ "struct size past totalsize", HDR_SIZE_STRUCT, HDR_TOTALSIZE, HDR_OFF_STRUCT, 1,
	  BAD_DTB },
	{ "struct size 0xffffffff", HDR_SIZE_STRUCT, HDR_NONE, HDR_NONE, U32_MAX, BAD_DTB },
	{ "struct size 0", HDR_SIZE_STRUCT, HDR_NONE, HDR_NONE, 0, BAD_DTB },
	{ "strings block in the header", HDR_OFF_STRINGS, HDR_NONE, HDR_NONE, 8, BAD_DTB },
	{ "strings block past totalsize", HDR_OFF_STRINGS, HDR_TOTALSIZE, HDR_NONE, 1, BAD_DTB },
	{ "strings block offset wraps", HDR_OFF_STRINGS, HDR_NONE, HDR_NONE, U32_MAX, BAD_DTB },
	{ "strings size past totalsize", HDR_SIZE_STRINGS, HDR_TOTALSIZE, HDR_OFF_STRINGS, 1,
	  BAD_DTB },
	{ "strings size 0xffffffff", HDR_SIZE_STRINGS, HDR_NONE, HDR_NONE, U32_MAX, BAD_DTB },
	{ "strings size 0", HDR_SIZE_STRINGS, HDR_NONE, HDR_NONE, 0, BAD_DTB },
	{ "rsvmap in the header", HDR_OFF_RSVMAP, HDR_NONE, HDR_NONE, 0, BAD_DTB },
	{ "rsvmap misaligned", HDR_OFF_RSVMAP, HDR_NONE, HDR_NONE, 44, BAD_DTB },
	{ "rsvmap past totalsize", HDR_OFF_RSVMAP, HDR_TOTALSIZE, HDR_NONE, 8, BAD_DTB },
	{ "rsvmap entry cut by totalsize", HDR_OFF_RSVMAP, HDR_TOTALSIZE, HDR_NONE, -8U, BAD_DTB },
	{ "rsvmap offset wraps", HDR_OFF_RSVMAP, HDR_NONE, HDR_NONE, 0xfffffff8, BAD_DTB },
	{ "version 15", HDR_VERSION, HDR_NONE, HDR_NONE, 15, BAD_DTB },
	{ "last_comp_version 18", HDR_LAST_COMP, HDR_NONE, HDR_NONE, 18, BAD_DTB },
	{ "version 16", HDR_VERSION, HDR_NONE, HDR_NONE, 16, RM_OK },
	{ "version 16, no size_dt_struct", HDR_SIZE_STRUCT, HDR_NONE, HDR_NONE, U32_MAX, RM_OK },
	{ "version 42, compatible with 16", HDR_VERSION, HDR_NONE, HDR_NONE, 42, RM_OK },
	{ "last_comp_version 17", HDR_LAST_COMP, HDR_NONE, HDR_NONE, 17, RM_OK },
	{ "boot_cpuid_phys ignored", HDR_BOOT_CPUID, HDR_NONE, HDR_NONE, 0xdeadbeef, RM_OK },
};

static void hdr_desc(const struct hdr_case *h, char *desc)
{
	strscpy(desc, h->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hdr, hdr_cases, hdr_desc);

static void header_test(struct kunit *test)
{
	const struct hdr_case *h = test->param_value;
	struct fdt_ctx *c = test->priv;
	size_t size = build_base(test, c);
	u32 v = h->add;

	if (h->plus != HDR_NONE)
		v += hdr_get(c->buf, h->plus);
	if (h->minus != HDR_NONE)
		v -= hdr_get(c->buf, h->minus);
	hdr_set(c->buf, h->field, v);
	/* "version 16, no size_dt_struct": a version 16 blob whose field 36 is garbage */
	if (h->field == HDR_SIZE_STRUCT && h->err == RM_OK)
		hdr_set(c->buf, HDR_VERSION, 16);

	KUNIT_ASSERT_EQ(test, parse_exact(test, c->buf, size, &c->cfg), h->err);
	if (h->err == RM_OK)
		KUNIT_EXPECT_TRUE(test, cfg_equal(&c->cfg, &c->want));
}

/* ---- malformed structure and strings blocks ---- */

/* Start a blob with the root node open and one vCPU in it */
static void begin_root_cpus(struct fdt_ctx *c)
{
	gunyah_fdt_init(&c->f, c->buf, sizeof(c->buf));
	gunyah_fdt_begin_node(&c->f, "");
	w_cpus(&c->f, 1);
}

/* Finish a blob whose open nodes the writer still counts, without closing them */
static size_t finish_unbalanced(struct kunit *test, struct fdt_ctx *c)
{
	c->f.depth = 0;
	return finish_blob(test, c);
}

static size_t bad_name_no_nul(struct kunit *test, struct fdt_ctx *c)
{
	size_t size, end;

	begin_root_cpus(c);
	gunyah_fdt_put32(&c->f, GUNYAH_FDT_BEGIN_NODE);
	gunyah_fdt_put_bytes(&c->f, "abcdefgh", 8);
	end = c->f.off;
	size = finish_unbalanced(test, c);
	/* The structure block ends with the name: its NUL would be past it */
	hdr_set(c->buf, HDR_SIZE_STRUCT, end - hdr_get(c->buf, HDR_OFF_STRUCT));
	return size;
}

static size_t bad_name_padding_cut(struct kunit *test, struct fdt_ctx *c)
{
	size_t size, end;

	begin_root_cpus(c);
	gunyah_fdt_put32(&c->f, GUNYAH_FDT_BEGIN_NODE);
	gunyah_fdt_put_bytes(&c->f, "ab", 3);
	end = c->f.off - 1;	/* the NUL in, the padding byte out */
	size = finish_unbalanced(test, c);
	hdr_set(c->buf, HDR_SIZE_STRUCT, end - hdr_get(c->buf, HDR_OFF_STRUCT));
	return size;
}

static size_t bad_prop_name_no_nul(struct kunit *test, struct fdt_ctx *c)
{
	size_t size;

	begin_root_cpus(c);
	gunyah_fdt_prop_u32(&c->f, "zz-last", 1);	/* the last string of the block */
	gunyah_fdt_end_node(&c->f);
	size = finish_blob(test, c);
	hdr_set(c->buf, HDR_SIZE_STRINGS, hdr_get(c->buf, HDR_SIZE_STRINGS) - 1);
	return size;
}

static size_t patch_label(struct kunit *test, struct fdt_ctx *c, unsigned int word, u32 v)
{
	size_t size = build_base(test, c);

	put_unaligned_be32(v, c->buf + c->prop + 4 * word);
	return size;
}

static size_t bad_prop_len_past_block(struct kunit *test, struct fdt_ctx *c)
{
	size_t size = build_base(test, c);
	u32 end = hdr_get(c->buf, HDR_OFF_STRUCT) + hdr_get(c->buf, HDR_SIZE_STRUCT);

	/* The value starts 12 bytes after the token; make it end 1 byte past the block */
	put_unaligned_be32(end - (c->prop + 12) + 1, c->buf + c->prop + 4);
	return size;
}

static size_t bad_prop_len_huge(struct kunit *test, struct fdt_ctx *c)
{
	return patch_label(test, c, 1, U32_MAX);
}

static size_t bad_prop_len_wraps(struct kunit *test, struct fdt_ctx *c)
{
	return patch_label(test, c, 1, U32_MAX - 2);
}

static size_t bad_nameoff_past_block(struct kunit *test, struct fdt_ctx *c)
{
	size_t size = build_base(test, c);

	put_unaligned_be32(hdr_get(c->buf, HDR_SIZE_STRINGS), c->buf + c->prop + 8);
	return size;
}

static size_t bad_nameoff_huge(struct kunit *test, struct fdt_ctx *c)
{
	return patch_label(test, c, 2, U32_MAX);
}

static size_t bad_unknown_token(struct kunit *test, struct fdt_ctx *c)
{
	return patch_label(test, c, 0, 5);
}

static size_t bad_zero_token(struct kunit *test, struct fdt_ctx *c)
{
	return patch_label(test, c, 0, 0);
}

static size_t bad_end_is_nop(struct kunit *test, struct fdt_ctx *c)
{
	size_t size = build_base(test, c);
	u32 end = hdr_get(c->buf, HDR_OFF_STRUCT) + hdr_get(c->buf, HDR_SIZE_STRUCT);

	put_unaligned_be32(TEST_FDT_NOP, c->buf + end - 4);
	return size;
}

static size_t bad_end_outside_block(struct kunit *test, struct fdt_ctx *c)
{
	size_t size = build_base(test, c);

	hdr_set(c->buf, HDR_SIZE_STRUCT, hdr_get(c->buf, HDR_SIZE_STRUCT) - 4);
	return size;
}

static size_t bad_root_not_closed(struct kunit *test, struct fdt_ctx *c)
{
	begin_root_cpus(c);
	return finish_unbalanced(test, c);
}

static size_t bad_extra_end_node(struct kunit *test, struct fdt_ctx *c)
{
	begin_root_cpus(c);
	gunyah_fdt_end_node(&c->f);
	gunyah_fdt_put32(&c->f, GUNYAH_FDT_END_NODE);
	return finish_blob(test, c);
}

static size_t bad_second_root(struct kunit *test, struct fdt_ctx *c)
{
	begin_root_cpus(c);
	gunyah_fdt_end_node(&c->f);
	w_empty(&c->f, "");
	return finish_blob(test, c);
}

static size_t bad_prop_before_root(struct kunit *test, struct fdt_ctx *c)
{
	size_t size;

	gunyah_fdt_init(&c->f, c->buf, sizeof(c->buf));
	gunyah_fdt_prop_u32(&c->f, "early", 1);
	gunyah_fdt_begin_node(&c->f, "");
	w_cpus(&c->f, 1);
	gunyah_fdt_end_node(&c->f);
	size = finish_blob(test, c);
	return size;
}

static size_t bad_no_root(struct kunit *test, struct fdt_ctx *c)
{
	size_t size;

	gunyah_fdt_init(&c->f, c->buf, sizeof(c->buf));
	gunyah_fdt_put32(&c->f, TEST_FDT_NOP);
	size = finish_blob(test, c);
	return size;
}

static size_t bad_depth(struct kunit *test, struct fdt_ctx *c)
{
	begin_root_cpus(c);
	w_chain(&c->f, SIM_FDT_MAX_DEPTH);	/* SIM_FDT_MAX_DEPTH + 1 with the root */
	gunyah_fdt_end_node(&c->f);
	return finish_blob(test, c);
}

/**
 * struct bad_case - a blob that is not a valid DTB
 * @desc: description
 * @build: writes it in the context's buffer; returns its size
 */
struct bad_case {
	const char *desc;
	size_t (*build)(struct kunit *test, struct fdt_ctx *c);
};

static const struct bad_case bad_cases[] = {
	{ "node name without NUL in the block", bad_name_no_nul },
	{ "node name padding past the block", bad_name_padding_cut },
	{ "property name without NUL in the block", bad_prop_name_no_nul },
	{ "property value 1 byte past the block", bad_prop_len_past_block },
	{ "property length 0xffffffff", bad_prop_len_huge },
	{ "property length 0xfffffffd", bad_prop_len_wraps },
	{ "name offset at the end of the strings", bad_nameoff_past_block },
	{ "name offset 0xffffffff", bad_nameoff_huge },
	{ "unknown token 5", bad_unknown_token },
	{ "token 0", bad_zero_token },
	{ "FDT_END replaced by FDT_NOP", bad_end_is_nop },
	{ "FDT_END outside the block", bad_end_outside_block },
	{ "root node not closed", bad_root_not_closed },
	{ "FDT_END_NODE without a node", bad_extra_end_node },
	{ "second root node", bad_second_root },
	{ "property outside any node", bad_prop_before_root },
	{ "no root node", bad_no_root },
	{ "nodes SIM_FDT_MAX_DEPTH + 1 deep", bad_depth },
};

static void bad_desc(const struct bad_case *b, char *desc)
{
	strscpy(desc, b->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad, bad_cases, bad_desc);

static void malformed_test(struct kunit *test)
{
	const struct bad_case *b = test->param_value;
	struct fdt_ctx *c = test->priv;
	size_t size = b->build(test, c);

	KUNIT_EXPECT_EQ(test, parse_exact(test, c->buf, size, &c->cfg), RM_ERR_ARG_INVALID);
}

/* An error, or exactly what the whole blob reads as */
static void expect_error_or_same(struct kunit *test, struct fdt_ctx *c, size_t len,
				 const char *what, u32 n)
{
	u32 err = parse_exact(test, c->buf, len, &c->cfg);

	KUNIT_EXPECT_TRUE_MSG(test, err != RM_OK || cfg_equal(&c->cfg, &c->want),
			      "%s %u: read as something else", what, n);
}

static void truncation_test(struct kunit *test)
{
	struct fdt_ctx *c = test->priv;
	size_t size = build_base(test, c);
	u32 len, total, size_struct, size_strings;

	size_struct = hdr_get(c->buf, HDR_SIZE_STRUCT);
	size_strings = hdr_get(c->buf, HDR_SIZE_STRINGS);
	total = hdr_get(c->buf, HDR_TOTALSIZE);
	KUNIT_ASSERT_EQ(test, total, size);

	/* Cut buffers: totalsize says more */
	for (len = 0; len < size; len++)
		KUNIT_EXPECT_EQ_MSG(test, parse_exact(test, c->buf, len, &c->cfg),
				    RM_ERR_ARG_INVALID, "cut at %u", len);

	/* Cut blobs: totalsize says as much */
	for (len = SIM_FDT_HEADER_SIZE; len < size; len++) {
		hdr_set(c->buf, HDR_TOTALSIZE, len);
		expect_error_or_same(test, c, len, "totalsize", len);
	}
	hdr_set(c->buf, HDR_TOTALSIZE, total);

	/* Cut blocks */
	for (len = 0; len < size_struct; len++) {
		hdr_set(c->buf, HDR_SIZE_STRUCT, len);
		expect_error_or_same(test, c, size, "size_dt_struct", len);
	}
	hdr_set(c->buf, HDR_SIZE_STRUCT, size_struct);
	for (len = 0; len < size_strings; len++) {
		hdr_set(c->buf, HDR_SIZE_STRINGS, len);
		expect_error_or_same(test, c, size, "size_dt_strings", len);
	}
}

/* Each byte of a valid blob flipped in turn: any result but a crash or a bad error code */
static void byte_flip_test(struct kunit *test)
{
	struct fdt_ctx *c = test->priv;
	size_t size = build_base(test, c);
	unsigned int i, j;
	u32 err;

	for (i = 0; i < size; i++) {
		for (j = 0; j < 2; j++) {
			c->buf[i] ^= j ? 0x01 : 0xff;
			err = parse_exact(test, c->buf, size, &c->cfg);
			c->buf[i] ^= j ? 0x01 : 0xff;
			KUNIT_EXPECT_TRUE_MSG(test, err == RM_OK || err == RM_ERR_ARG_INVALID ||
					      err == RM_ERR_NORESOURCE,
					      "byte %u: error 0x%x", i, err);
		}
	}
}

static struct kunit_case config_cases[] = {
	KUNIT_CASE_PARAM(config_test, cfg_gen_params),
	KUNIT_CASE(writer_config_test),
	{}
};

static struct kunit_suite config_suite = {
	.name = "gunyah_sim_fdt_config",
	.init = fdt_test_init,
	.test_cases = config_cases,
};

static struct kunit_case malformed_cases[] = {
	KUNIT_CASE(base_valid_test),
	KUNIT_CASE_PARAM(header_test, hdr_gen_params),
	KUNIT_CASE_PARAM(malformed_test, bad_gen_params),
	KUNIT_CASE(truncation_test),
	KUNIT_CASE(byte_flip_test),
	{}
};

static struct kunit_suite malformed_suite = {
	.name = "gunyah_sim_fdt_malformed",
	.init = fdt_test_init,
	.test_cases = malformed_cases,
};

kunit_test_suites(&config_suite, &malformed_suite);

MODULE_DESCRIPTION("KUnit tests of the simulated RM's VM config DTB reader");
MODULE_LICENSE("GPL");
