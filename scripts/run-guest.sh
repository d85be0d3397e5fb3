#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the test kernel in QEMU (TCG) with an initramfs and a plan, with a hard time limit.
# The kernel console goes to OUTDIR/console.log, the guest's results to OUTDIR/results.log,
# QEMU's exit status to OUTDIR/status ("1" when the guest ended itself with status 0,
# "timeout" when the limit was hit).
#
# usage: scripts/run-guest.sh KBUILD_DIR INITRAMFS PLAN OUTDIR [TIMEOUT_S]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kbuild=$1 initramfs=$2 plan=$3 outdir=$4 limit=${5:-1800}
# GUNYAH_GUEST_ARGS: more kernel command line arguments (e.g. gunyah.fuzz_calls=N)
mkdir -p "$outdir"
rm -f "$outdir"/{console,results}.log "$outdir/status"
set +e
in_chroot timeout -k 10 "$limit" qemu-system-x86_64 \
	-machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 3G \
	-kernel "$kbuild/arch/x86/boot/bzImage" -initrd "$initramfs" \
	-append "console=ttyS0,115200 loglevel=6 oops=panic panic=-1 kmemleak=on gunyah.plan=$plan ${GUNYAH_GUEST_ARGS:-}" \
	-display none -monitor none -no-reboot \
	-serial "file:$outdir/console.log" -serial "file:$outdir/results.log" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$outdir/qemu.log" 2>&1
rc=$?
set -e
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo timeout >"$outdir/status"
else
	echo "$rc" >"$outdir/status"
fi
