/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * arm64's <asm/posix_types.h> for bindgen on an amd64 toolchain (scripts/bindgen-flags.txt): arm64
 * uses the asm-generic one.
 */
#include <asm-generic/posix_types.h>
