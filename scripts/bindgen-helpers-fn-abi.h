/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The header bindgen reads for bindings/kernel/fn_abi.rs (scripts/gen-bindings.sh): the
 * stable C ABI of VM functions, for Rust kernel modules.
 *
 * Macros bindgen cannot evaluate (offsetofend()) come out of clang here, as typed constants;
 * RUST_CONST_HELPER_<NAME> becomes the Rust constant <NAME> (the script strips the prefix).
 */

#include <gunyah/fn_abi.h>

static const u32 RUST_CONST_HELPER_GUNYAH_FN_ABI_OPS_SIZE_V1 = GUNYAH_FN_ABI_OPS_SIZE_V1;
