/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels the modules build against (6.1 to 6.12), in one place.
 *
 * Code includes this header instead of the moved or changed kernel header and uses the 6.12
 * spelling; the older spelling is provided here. c/Kbuild detects each feature in the kernel's
 * headers (GUNYAH_HAVE_*), rather than trusting version numbers, so distribution kernels with
 * backports build too.
 */
#ifndef _GUNYAH_COMPAT_H
#define _GUNYAH_COMPAT_H

#include <linux/build_bug.h>
#include <linux/compiler.h>

/* <asm/unaligned.h> moved to <linux/unaligned.h> in 6.12. */
#ifdef GUNYAH_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* upper_32_bits() and friends moved to <linux/wordpart.h> in 6.9. */
#ifdef GUNYAH_HAVE_WORDPART_H
#include <linux/wordpart.h>
#else
#include <linux/kernel.h>
#endif

/* hex_to_bin() and friends moved to <linux/hex.h> in 6.7. */
#ifdef GUNYAH_HAVE_HEX_H
#include <linux/hex.h>
#else
#include <linux/kernel.h>
#endif

/* eventfd_signal() lost its count argument in 6.8 (it always added 1). */
#ifndef GUNYAH_HAVE_EVENTFD_SIGNAL_1ARG
#include <linux/eventfd.h>
#define eventfd_signal(ctx)	eventfd_signal((ctx), 1)
#endif

/* vm_flags_mod() appeared in 6.3; before it, vm_flags was written directly. */
#ifndef GUNYAH_HAVE_VM_FLAGS_MOD
#include <linux/mm_types.h>
static inline void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/*
 * platform_driver.remove returns void from 6.11 on (an int before). A driver writes its void
 * remove function, "GUNYAH_PLATFORM_REMOVE_WRAPPER(fn);" after it, and
 * GUNYAH_PLATFORM_REMOVE(fn) in its struct platform_driver.
 */
struct platform_device;
#ifdef GUNYAH_HAVE_PLATFORM_REMOVE_VOID
#define GUNYAH_PLATFORM_REMOVE_WRAPPER(fn)					\
	static_assert(__same_type(&(fn), void (*)(struct platform_device *)))
#define GUNYAH_PLATFORM_REMOVE(fn)		.remove = (fn)
#else
#define GUNYAH_PLATFORM_REMOVE_WRAPPER(fn)					\
	static int fn##_int(struct platform_device *pdev)			\
	{									\
		fn(pdev);							\
		return 0;							\
	}									\
	static_assert(1)
#define GUNYAH_PLATFORM_REMOVE(fn)		.remove = fn##_int
#endif

/*
 * gunyah_in_no_module(): is @p outside every module (built-in code)? is_vmalloc_or_module_addr()
 * is exported from 6.12 on (c/Kbuild finds it in the kernel's Module.symvers); before, there is
 * no way to tell, and the answer is a conservative false.
 */
#include <linux/mm.h>
#ifdef GUNYAH_HAVE_IS_VMALLOC_OR_MODULE_ADDR
static inline bool gunyah_in_no_module(const void *p)
{
	return !is_vmalloc_or_module_addr(p);
}
#else
static inline bool gunyah_in_no_module(const void *p)
{
	return false;
}
#endif

#endif
