#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the out-of-tree modules (driver, simulator, KUnit suites, harness modules) against a
# kernel build tree, and the guest's test programs, inside the toolchain chroot.
#
# usage: scripts/build-modules.sh KBUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kbuild=${1:?usage: build-modules.sh KBUILD_DIR}
out=$GUNYAH_TOP/build
mkdir -p "$out/bin"
ksrc=$(readlink -f "$kbuild/source" 2>/dev/null || awk '/^KERNELSRC|^srctree/ {print $3}' "$kbuild/Makefile")
[ -d "$ksrc" ] || ksrc=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kbuild/Makefile")

log "modules: building against $(cat "$kbuild/include/config/kernel.release")"
# Rust modules (rust/) build only when the kernel has CONFIG_RUST; they go through clippy.
rust=()
if grep -q '^CONFIG_RUST=y' "$kbuild/.config"; then
	rust=(CLIPPY=1)
else
	log "modules: $(cat "$kbuild/include/config/kernel.release") has no CONFIG_RUST: Rust modules skipped"
fi
in_chroot make -C "$kbuild" M="$GUNYAH_TOP" LLVM=1 CC="ccache clang" W=1 "${rust[@]}" -j2 modules \
	>"$out/modules.log" 2>&1 || {
	grep -E 'error|warning' "$out/modules.log" | head -40 >&2
	tail -n 20 "$out/modules.log" >&2
	die "module build failed (log: $out/modules.log)"
}
if grep -E -A6 ': warning:|^warning' "$out/modules.log" >&2; then
	die "module build has warnings (log: $out/modules.log)"
fi

# Guest test programs: static, so the initramfs needs no libraries for them.
cflags=(-static -O2 -g0 -Wall -Werror -pthread -D_GNU_SOURCE
	-I"$GUNYAH_TOP/uapi" -I"$GUNYAH_TOP/c/include" -I"$GUNYAH_TOP/tests/lib"
	-I"$GUNYAH_TOP/tests/selftests" -I"$ksrc/tools/testing/selftests")
build_prog() {
	local src=$1 dst=$2
	in_chroot gcc "${cflags[@]}" -o "$dst" "$src" "${@:3}" || die "building $src failed"
}
mkdir -p "$out/tests" "$out/harness"
build_prog "$GUNYAH_TOP/tests/guest/guest-exit.c" "$out/bin/guest-exit"
for src in "$GUNYAH_TOP"/tests/selftests/*_test.c; do
	[ -e "$src" ] || continue
	build_prog "$src" "$out/tests/$(basename "$src" .c)"
done
# 32-bit test programs: the driver's compat_ioctl path.
for src in "$GUNYAH_TOP"/tests/selftests32/*_test.c; do
	[ -e "$src" ] || continue
	build_prog "$src" "$out/tests/$(basename "$src" .c)32" -m32
done
# The sample VMM (make demo runs it in the guest as /tests/gunyah-demo).
for src in "$GUNYAH_TOP"/tests/vmm/*.c; do
	[ -e "$src" ] || continue
	build_prog "$src" "$out/tests/$(basename "$src" .c)"
done
# Benchmark programs (make bench runs them in the guest as /tests/bench/*).
rm -rf "$out/bench"
mkdir -p "$out/bench"
for src in "$GUNYAH_TOP"/tests/bench/*.c; do
	[ -e "$src" ] || continue
	build_prog "$src" "$out/bench/$(basename "$src" .c)"
done
for src in "$GUNYAH_TOP"/tests/harness/*.c; do
	case "$src" in *harness_*) continue ;; esac # kernel modules
	build_prog "$src" "$out/harness/$(basename "$src" .c)"
done
log "modules: $(find "$GUNYAH_TOP/c" "$GUNYAH_TOP/tests" -name '*.ko' | wc -l) modules, $(ls "$out/tests" | wc -l) test programs"
