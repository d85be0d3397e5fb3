#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the ioctl fuzzer alone in the test guest, for longer than make check runs it.
# FUZZ_CALLS (default 1000000) and FUZZ_SEED (default: random, printed) choose the run; the
# guest log is scanned for sanitizer reports as in make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root "make fuzz"
calls=${FUZZ_CALLS:-1000000}
kbuild=$("$GUNYAH_TOP/scripts/build-kernel.sh" gunyah-test)
"$GUNYAH_TOP/scripts/build-modules.sh" "$kbuild"
initramfs=$GUNYAH_TOP/build/initramfs.cpio.gz
"$GUNYAH_TOP/scripts/make-initramfs.sh" "$kbuild" "$initramfs"
out=$GUNYAH_TOP/build/guest-fuzz
args="gunyah.fuzz_calls=$calls${FUZZ_SEED:+ gunyah.fuzz_seed=$FUZZ_SEED}"
log "fuzz: $calls calls${FUZZ_SEED:+, seed $FUZZ_SEED}"
GUNYAH_GUEST_ARGS=$args "$GUNYAH_TOP/scripts/run-guest.sh" "$kbuild" "$initramfs" fuzz "$out" \
	"${FUZZ_TIMEOUT:-14400}"
grep -h '^# fuzz:' "$out/results.log" | grep -v ': ok' | tr -d '\r' || true
in_chroot python3 "$GUNYAH_TOP/scripts/guest-report.py" "$out/results.log" "$out/console.log" \
	"$(cat "$out/status")"
