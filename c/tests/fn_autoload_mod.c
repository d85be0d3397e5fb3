// SPDX-License-Identifier: GPL-2.0
/*
 * A VM function type that exists only to be found by module autoloading.
 *
 * gunyah_vm_mgr_fn_test looks GUNYAH_FN_AUTOLOAD_TYPE up; the VM manager, finding it
 * unregistered, runs request_module("ghfunc:33008") and modprobe loads this module by its alias.
 * The type takes no argument, binds to nothing and matches every REMOVE without an argument.
 *
 * This is not a KUnit module: its name (gunyah_fn_autoload_mod) does not end in "_test", so the
 * guest does not load it on its own.
 */
#include <linux/errno.h>
#include <linux/module.h>

#include <gunyah/vm_mgr.h>

#include "fn_autoload_mod.h"

static long fn_autoload_bind(struct gunyah_vm_function_instance *f)
{
	return f->arg_size ? -EINVAL : GUNYAH_FN_AUTOLOAD_BIND_RET;
}

static void fn_autoload_unbind(struct gunyah_vm_function_instance *f)
{
}

static bool fn_autoload_compare(const struct gunyah_vm_function_instance *f, const void *arg,
				size_t size)
{
	return !size;
}

/* 33008 == GUNYAH_FN_AUTOLOAD_TYPE, in decimal: the alias request_module() asks for */
DECLARE_GUNYAH_VM_FUNCTION_INIT(gunyah_fn_autoload, GUNYAH_FN_AUTOLOAD_TYPE, 33008,
				fn_autoload_bind, fn_autoload_unbind, fn_autoload_compare);

MODULE_DESCRIPTION("Gunyah VM function type for the module autoloading test");
MODULE_LICENSE("GPL");
