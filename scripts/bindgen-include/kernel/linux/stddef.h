/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/stddef.h>, as far as <gunyah/fn_abi.h> uses it, for bindgen only
 * (scripts/bindgen-flags.txt, section [kernel-clang]): the kernel's definitions.
 */
#ifndef _LINUX_STDDEF_H
#define _LINUX_STDDEF_H

#undef NULL
#define NULL ((void *)0)

#undef offsetof
#define offsetof(TYPE, MEMBER)	__builtin_offsetof(TYPE, MEMBER)

#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))

#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER)	+ sizeof_field(TYPE, MEMBER))

#endif /* _LINUX_STDDEF_H */
