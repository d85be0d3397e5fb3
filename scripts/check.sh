#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command (make check): every tier, one line per suite, then one summary line
# "N passed, N failed" over all of them. Exits non-zero on any failure or kernel report.
#
# Tiers: static checks (scripts/static-checks.sh); the build matrix (arm64, distro headers:
# scripts/build-matrix.sh); the Rust crate on the host (scripts/cargo-checks.sh); the module
# build against the test kernel;
# the guest (KUnit modules, TAP programs, kmemleak, the console scanned for KASAN / lockdep /
# WARN / BUG / Oops).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need_root "make check"
start=$SECONDS
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT

tier() { printf '\n== %s\n' "$*"; }

"$GUNYAH_TOP/scripts/setup-toolchain.sh" || die "toolchain setup failed"
kbuild=$("$GUNYAH_TOP/scripts/build-kernel.sh" gunyah-test) || die "test kernel build failed"

tier "static checks"
GUNYAH_COUNTS=$counts "$GUNYAH_TOP/scripts/static-checks.sh" "$kbuild"

tier "rust (host)"
GUNYAH_COUNTS=$counts "$GUNYAH_TOP/scripts/cargo-checks.sh"

tier "build matrix"
GUNYAH_COUNTS=$counts "$GUNYAH_TOP/scripts/build-matrix.sh"

tier "build"
if "$GUNYAH_TOP/scripts/build-modules.sh" "$kbuild"; then
	echo "ok   build: modules and test programs (W=1, no warnings)"
	echo "1 0 0" >>"$counts"
	tier "guest (QEMU, $(cat "$kbuild/include/config/kernel.release"))"
	out=$GUNYAH_TOP/build/guest-check
	"$GUNYAH_TOP/scripts/make-initramfs.sh" "$kbuild" "$GUNYAH_TOP/build/initramfs.cpio.gz"
	# GUNYAH_ONLY=a,b: only these KUnit modules and test programs run in the guest
	GUNYAH_GUEST_ARGS=${GUNYAH_ONLY:+gunyah.only=$GUNYAH_ONLY} \
		"$GUNYAH_TOP/scripts/run-guest.sh" "$kbuild" "$GUNYAH_TOP/build/initramfs.cpio.gz" \
		check "$out" "${GUNYAH_GUEST_TIMEOUT:-2400}"
	in_chroot python3 "$GUNYAH_TOP/scripts/guest-report.py" "$out/results.log" \
		"$out/console.log" "$(cat "$out/status")" --counts-file "$out/counts"
	cat "$out/counts" >>"$counts"
	echo "(guest logs: $out/console.log, $out/results.log)"
else
	echo "FAIL build: see above"
	echo "0 1 0" >>"$counts"
fi

read -r passed failed skipped < <(awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }' "$counts")
printf '\n(%d s)\n' $((SECONDS - start))
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
