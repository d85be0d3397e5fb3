/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/types.h>, as far as <gunyah/fn_abi.h> uses it, for bindgen only
 * (scripts/bindgen-flags.txt, section [kernel-clang]).
 *
 * The kernel defines these types the same way on every architecture (asm-generic/int-ll64.h):
 * bindgen sees what a module built against any configuration sees, without a configured
 * kernel tree.
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef signed short __s16;
typedef unsigned short __u16;
typedef signed int __s32;
typedef unsigned int __u32;
typedef signed long long __s64;
typedef unsigned long long __u64;

typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

#endif /* _LINUX_TYPES_H */
