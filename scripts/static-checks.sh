#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks: one line each, counts appended to $GUNYAH_COUNTS ("passed failed skipped").
#
# usage: scripts/static-checks.sh KBUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kbuild=${1:?usage: static-checks.sh KBUILD_DIR}
ksrc=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kbuild/Makefile")
counts=${GUNYAH_COUNTS:-/dev/null}
log=$GUNYAH_TOP/build/static
mkdir -p "$log"

# check NAME CMD...: run CMD, its output to build/static/NAME.log; print one line.
check() {
	local name=$1
	shift
	if "$@" >"$log/$name.log" 2>&1; then
		echo "ok   static $name"
		echo "1 0 0" >>"$counts"
	else
		echo "FAIL static $name"
		sed 's/^/    /' "$log/$name.log" | head -40
		echo "0 1 0" >>"$counts"
	fi
}

c_sources() {
	git -C "$GUNYAH_TOP" ls-files -co --exclude-standard -- 'c/*.[ch]' 'tests/harness/*.c' \
		'tests/selftests/*.[ch]' 'tests/selftests32/*.c' 'tests/guest/*.c' 'uapi/*.h' \
		'tests/bench/*.[ch]' 'tests/lib/gunyah_bench.h' | sed "s|^|$GUNYAH_TOP/|"
}

checkpatch() {
	local files shared=() kernel=() f rc=0
	mapfile -t files < <(c_sources)
	# Headers that userspace or bindgen read cannot use the kernel's BIT() macro (bindgen does
	# not expand function-like macros).
	for f in "${files[@]}"; do
		case "$f" in
		*/uapi/*|*/sim_guest.h|*/fn_abi.h) shared+=("$f") ;;
		*) kernel+=("$f") ;;
		esac
	done
	# MACRO_ARG_REUSE: the only macros that reuse an argument (the VM-function declaration
	# macros in vm_mgr.h) take identifiers and integer literals, which have no side effects.
	local opts=(--no-tree --strict --quiet --terse --max-line-length=100
		--ignore MACRO_ARG_REUSE)
	in_chroot perl "$ksrc/scripts/checkpatch.pl" "${opts[@]}" -f "${kernel[@]}" || rc=1
	in_chroot perl "$ksrc/scripts/checkpatch.pl" "${opts[@]}" --ignore BIT_MACRO \
		-f "${shared[@]}" || rc=1
	return $rc
}

# sparse over every C file of the modules (C=2: even those that are up to date).
sparse() {
	in_chroot make -C "$kbuild" M="$GUNYAH_TOP" LLVM=1 CC="ccache clang" C=2 -j2 modules \
		>"$log/sparse-build.log" 2>&1 || { tail -n 20 "$log/sparse-build.log"; return 1; }
	! grep -E ': (warning|error):' "$log/sparse-build.log"
}

check checkpatch checkpatch
check sparse sparse
[ -x "$GUNYAH_TOP/scripts/check-uapi.sh" ] && check uapi in_chroot "$GUNYAH_TOP/scripts/check-uapi.sh"
# The committed Rust bindings are what bindgen makes of their inputs today.
check bindings "$GUNYAH_TOP/scripts/gen-bindings.sh" --check
# Documentation/: kernel-doc clean where it includes it, every reference found, every ioctl named.
check docs "$GUNYAH_TOP/scripts/check-docs.sh" "$kbuild"
exit 0
