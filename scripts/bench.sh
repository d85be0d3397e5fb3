#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks (make bench; Documentation/benchmarks.rst). Builds the benchmark kernel
# (tests/kernel/gunyah-bench.config: the test kernel without sanitizers, lock checking and
# fault injection), the modules and the benchmark programs against it, boots it in QEMU with
# the guest's "bench" plan and prints the table of scripts/bench-report.py. Every figure is a
# ratio against a floor measured in the same boot, round by round.
#
# Exits 0 when every row was measured, whether or not its ratio is within its target: a ratio
# over its target is reported (OVER), not hidden. With BENCH_STRICT=1 an OVER row fails the
# command too. A row that could not be measured or never came, a benchmark program that
# failed, a guest that did not run to the end or a kernel WARN / BUG / Oops always fail it.
#
# Environment: BENCH_STRICT=1 (see above); GUNYAH_BENCH_TIMEOUT, the guest's time limit in
# seconds (default 3600).
#
# Output: the table on stdout; under build/guest-bench/ the raw results (results.log), the
# kernel log (console.log), the table (table.txt) and the same table in reStructuredText
# (table.rst), ready for Documentation/benchmarks.rst.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root "make bench"
"$GUNYAH_TOP/scripts/setup-toolchain.sh"
kbuild=$("$GUNYAH_TOP/scripts/build-kernel.sh" gunyah-bench)
"$GUNYAH_TOP/scripts/build-modules.sh" "$kbuild"
initramfs=$GUNYAH_TOP/build/initramfs-bench.cpio.gz
"$GUNYAH_TOP/scripts/make-initramfs.sh" "$kbuild" "$initramfs"

out=$GUNYAH_TOP/build/guest-bench
log "bench: booting the benchmark kernel $(cat "$kbuild/include/config/kernel.release") (several minutes under TCG)"
start=$SECONDS
"$GUNYAH_TOP/scripts/run-guest.sh" "$kbuild" "$initramfs" bench "$out" \
	"${GUNYAH_BENCH_TIMEOUT:-3600}"
log "bench: the guest ran for $((SECONDS - start)) s"

# Every program of tests/bench/ must have reported: one that did not is a failure, not a gap.
programs=
for src in "$GUNYAH_TOP"/tests/bench/*.c; do
	programs+="$(basename "$src" .c) "
done
# What the figures were measured on, for the table's header
qemu=$(in_chroot qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') || true
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) || true
mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) || true
host="$(nproc) CPUs (${cpu:-?}), ${mem:-?}, QEMU ${qemu:-?} TCG"
strict=()
[ "${BENCH_STRICT:-0}" = 1 ] && strict=(--strict)

set +e
in_chroot python3 "$GUNYAH_TOP/scripts/bench-report.py" "$out/results.log" "$out/console.log" \
	"$(cat "$out/status")" --programs "$programs" --host "$host" --rst "$out/table.rst" \
	"${strict[@]}" | tee "$out/table.txt"
rc=${PIPESTATUS[0]}
set -e
echo "(raw results: $out/results.log, kernel log: $out/console.log, table: $out/table.rst)"
exit "$rc"
