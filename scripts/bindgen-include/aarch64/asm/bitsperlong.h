/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * arm64's <asm/bitsperlong.h> for bindgen on an amd64 toolchain (scripts/bindgen-flags.txt):
 * 64-bit longs, the rest asm-generic.
 */
#ifndef __ASM_BITSPERLONG_H
#define __ASM_BITSPERLONG_H

#define __BITS_PER_LONG 64

#include <asm-generic/bitsperlong.h>

#endif
