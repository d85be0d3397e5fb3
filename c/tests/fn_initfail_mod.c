// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init fails after it has registered a VM function type.
 *
 * The kernel frees a module whose init fails, whatever references to it were taken meanwhile,
 * so the VM manager must not make instances of a type before its module's init has returned.
 * gunyah_vm_mgr_fn_test loads this module by name and, while the init waits, checks that the
 * type is registered but not found. Not a KUnit module (its name does not end in "_test"): the
 * guest does not load it on its own.
 */
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/module.h>

#include <gunyah/vm_mgr.h>

#include "fn_autoload_mod.h"

static long fn_initfail_bind(struct gunyah_vm_function_instance *f)
{
	return 0;
}

static void fn_initfail_unbind(struct gunyah_vm_function_instance *f)
{
}

static bool fn_initfail_compare(const struct gunyah_vm_function_instance *f, const void *arg,
				size_t size)
{
	return true;
}

static struct gunyah_vm_function fn_initfail = {
	.type = GUNYAH_FN_INITFAIL_TYPE,
	.name = "gunyah_fn_initfail",
	.mod = THIS_MODULE,
	.bind = fn_initfail_bind,
	.unbind = fn_initfail_unbind,
	.compare = fn_initfail_compare,
};

/* Register, give the test time to look the type up, then fail */
static int __init fn_initfail_init(void)
{
	int ret;

	ret = gunyah_vm_function_register(&fn_initfail);
	if (ret)
		return ret;
	msleep(GUNYAH_FN_INITFAIL_WAIT_MS);
	gunyah_vm_function_unregister(&fn_initfail);
	return -EAGAIN;
}
module_init(fn_initfail_init);

MODULE_DESCRIPTION("Gunyah VM function type whose module init fails after registering it");
MODULE_LICENSE("GPL");
