#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo (make demo): sets up whatever is missing (toolchain, test kernel, modules), boots the
# test kernel in QEMU with the simulator and runs the sample VMM, printing what happens.
# With --shell, boots the same guest with an interactive shell on this terminal instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root "make demo"
"$GUNYAH_TOP/scripts/setup-toolchain.sh"
kbuild=$("$GUNYAH_TOP/scripts/build-kernel.sh" gunyah-test)
"$GUNYAH_TOP/scripts/build-modules.sh" "$kbuild"
initramfs=$GUNYAH_TOP/build/initramfs.cpio.gz
"$GUNYAH_TOP/scripts/make-initramfs.sh" "$kbuild" "$initramfs"

if [ "${1:-}" = --shell ]; then
	log "shell: Ctrl-A X quits QEMU"
	exec bash -c '. "$1/scripts/lib.sh"; shift; in_chroot "$@"' shell "$GUNYAH_TOP" \
		qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 3G \
		-kernel "$kbuild/arch/x86/boot/bzImage" -initrd "$initramfs" \
		-append "console=ttyS0,115200 gunyah.plan=shell" -display none -no-reboot \
		-serial mon:stdio -serial null -device isa-debug-exit,iobase=0xf4,iosize=0x04
fi

out=$GUNYAH_TOP/build/guest-demo
log "demo: booting the test kernel with the simulator"
"$GUNYAH_TOP/scripts/run-guest.sh" "$kbuild" "$initramfs" demo "$out" 600
tr -d '\r' <"$out/results.log" | sed -n '/@@GUNYAH-START/,/@@GUNYAH-DONE@@/p' |
	grep -v '^@@GUNYAH-\(START\|DONE\|DEMO\)'
if [ "$(cat "$out/status")" != 1 ]; then
	tail -n 30 "$out/console.log"
	die "demo: the guest did not finish (status $(cat "$out/status"))"
fi
rc=$(tr -d '\r' <"$out/results.log" | sed -n 's/^@@GUNYAH-DEMO rc=\([0-9]*\)@@$/\1/p')
[ "${rc:-0}" = 0 ] || die "demo: the sample VMM exited with status $rc"
log "demo: done (kernel log: $out/console.log)"
