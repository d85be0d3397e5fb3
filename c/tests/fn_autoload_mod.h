/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What gunyah_vm_mgr_fn_test and its helper modules gunyah_fn_autoload_mod and
 * gunyah_fn_initfail_mod agree on.
 */
#ifndef _GUNYAH_TESTS_FN_AUTOLOAD_MOD_H
#define _GUNYAH_TESTS_FN_AUTOLOAD_MOD_H

#include <linux/gunyah.h>

/*
 * The function type gunyah_fn_autoload_mod provides, near the top of the sample range (samples
 * and out-of-tree modules count up from GUNYAH_FN_SAMPLE_FIRST). Its module alias is
 * "ghfunc:33008": fn_autoload_mod.c spells the number out in decimal, as request_module() prints
 * it, and the build fails if the two disagree.
 */
#define GUNYAH_FN_AUTOLOAD_TYPE		(GUNYAH_FN_SAMPLE_FIRST + 0xf0)

/* The module's name: it must not end in "_test", or the guest would run it as a KUnit module */
#define GUNYAH_FN_AUTOLOAD_MOD_NAME	"gunyah_fn_autoload_mod"

/* What its bind() returns for an instance without an argument */
#define GUNYAH_FN_AUTOLOAD_BIND_RET	0x5a

/*
 * The function type gunyah_fn_initfail_mod registers from its init, which then waits
 * GUNYAH_FN_INITFAIL_WAIT_MS and fails. It has no module alias: the test loads the module by
 * name, and looking the type up never loads it.
 */
#define GUNYAH_FN_INITFAIL_TYPE		(GUNYAH_FN_SAMPLE_FIRST + 0xf1)
#define GUNYAH_FN_INITFAIL_MOD_NAME	"gunyah_fn_initfail_mod"
#define GUNYAH_FN_INITFAIL_WAIT_MS	1000

#endif
