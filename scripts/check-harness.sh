#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness's own self-test (make check-harness): boots the test kernel once per failure
# scenario and requires that the report turns red for each: a failing KUnit case, a failing
# TAP test, a KASAN report and a guest that hangs (caught by the time limit).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need_root "make check-harness"
kbuild=$("$GUNYAH_TOP/scripts/build-kernel.sh" gunyah-test) || die "test kernel build failed"
"$GUNYAH_TOP/scripts/build-modules.sh" "$kbuild" || die "module build failed"
initramfs=$GUNYAH_TOP/build/initramfs.cpio.gz
"$GUNYAH_TOP/scripts/make-initramfs.sh" "$kbuild" "$initramfs"

passed=0 failed=0
# scenario PLAN TIMEOUT EXPECTED_LINE DESCRIPTION
scenario() {
	local plan=$1 limit=$2 expect=$3 what=$4 out=$GUNYAH_TOP/build/harness-$1 report
	"$GUNYAH_TOP/scripts/run-guest.sh" "$kbuild" "$initramfs" "$plan" "$out" "$limit"
	report=$(in_chroot python3 "$GUNYAH_TOP/scripts/guest-report.py" "$out/results.log" \
		"$out/console.log" "$(cat "$out/status")")
	local rc=$?
	if [ "$rc" != 0 ] && grep -q "$expect" <<<"$report"; then
		echo "ok   harness turns red on $what"
		passed=$((passed + 1))
	else
		echo "FAIL harness did not turn red on $what (report rc=$rc):"
		sed 's/^/    /' <<<"$report"
		failed=$((failed + 1))
	fi
}

scenario harness-kunit 300 "FAIL kunit gunyah_harness_fail: 1 passed, 1 failed" "a failing KUnit case"
scenario harness-tap 300 "FAIL tap harness-fail: 1 passed, 1 failed" "a failing TAP test"
scenario harness-kasan 300 "FAIL sanitizers: .*KASAN" "a KASAN report"
scenario harness-hang 60 "FAIL guest: did not run to the end (timed out)" "a guest that hangs"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
