// SPDX-License-Identifier: GPL-2.0
/*
 * Reads one byte past a heap allocation at load time. Only the harness self-test
 * (make check-harness) loads it, to prove that a KASAN report turns the run red.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init harness_kasan_init(void)
{
	size_t size = 24;
	char *p = kmalloc(size, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	OPTIMIZER_HIDE_VAR(p);
	OPTIMIZER_HIDE_VAR(size);
	pr_info("harness: reading past a %zu byte allocation on purpose\n", size);
	pr_info("harness: read %d\n", READ_ONCE(p[size + 8]));
	kfree(p);
	return 0;
}
module_init(harness_kasan_init);

static void __exit harness_kasan_exit(void)
{
}
module_exit(harness_kasan_exit);

MODULE_DESCRIPTION("Harness self-test: a deliberate KASAN report");
MODULE_LICENSE("GPL");
