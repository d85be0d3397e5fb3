#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check uapi/linux/gunyah.h with host compilers only (no kernel build):
#
#  1. tests/uapi/layout.golden still holds the deployed ABI values (a few are
#     pinned here, independently of the golden file, so that a "fix" of the
#     golden file to match a broken header fails too);
#  2. the golden file lists every structure, member, ioctl and constant of
#     the header;
#  3. the header compiles alone: gcc and clang, -std=c90 -Wall -Werror
#     -pedantic -fsyntax-only, 64-bit and -m32; included twice; as C++;
#  4. its kernel-doc has no warnings (when a kernel source tree is around);
#  5. tests/uapi/layout.c, built from the header, prints exactly the golden
#     file: run natively with gcc and clang; for -m32, arm64 and arm, run if
#     the target can be linked and run, else read from the assembly output.
#
# One line per check: PASS, FAIL or SKIP (a toolchain or target that is
# missing). Exits 1 if any check failed.
#
# Environment:
#   UAPI_INCLUDE  directory holding the kernel uapi headers <linux/types.h>
#                 and <linux/ioctl.h> (default /usr/include)
#   KERNEL_DOC    path of scripts/kernel-doc (default: found in the cache's
#                 linux-source tree, else the check is skipped)
#   CC_LIST       compilers to try (default "gcc clang")

set -u

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hdr=$GUNYAH_TOP/uapi/linux/gunyah.h
golden=$GUNYAH_TOP/tests/uapi/layout.golden
layout_c=$GUNYAH_TOP/tests/uapi/layout.c
UAPI_INCLUDE=${UAPI_INCLUDE:-/usr/include}
CC_LIST=${CC_LIST:-gcc clang}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
skip() { echo "SKIP: $*"; }

# The golden file without comments and blank lines.
grep -v -e '^#' -e '^[[:space:]]*$' "$golden" >"$tmp/golden"

# --- 1. deployed ABI values ---------------------------------------------------

# From the deployed drivers (arm64 and x86 values of the 'G' ioctls, and the
# layouts and constants that crosvm and QEMU rely on; FORCE_LEND is the old
# LENT bit). Never edit these lines.
cat >"$tmp/deployed" <<'EOF'
ioctl GUNYAH_CREATE_VM 0x00004700
ioctl GUNYAH_VM_SET_USER_MEM_REGION 0x40204701
ioctl GUNYAH_VM_SET_DTB_CONFIG 0x40104702
ioctl GUNYAH_VM_START 0x00004703
ioctl GUNYAH_VM_ADD_FUNCTION 0x40104704
ioctl GUNYAH_VCPU_RUN 0x00004705
ioctl GUNYAH_VCPU_MMAP_SIZE 0x00004706
ioctl GUNYAH_VM_REMOVE_FUNCTION 0x40104707
ioctl GUNYAH_VM_SET_BOOT_CONTEXT 0x4010470a
sizeof gunyah_userspace_memory_region 32
sizeof gunyah_vm_dtb_config 16
sizeof gunyah_fn_desc 16
sizeof gunyah_fn_vcpu_arg 4
sizeof gunyah_fn_irqfd_arg 16
sizeof gunyah_fn_ioeventfd_arg 32
sizeof gunyah_vm_boot_context 16
sizeof gunyah_vm_exit_info 16
sizeof gunyah_vcpu_run 40
offsetof gunyah_vcpu_run.exit_reason 8
offsetof gunyah_vcpu_run.mmio 16
offsetof gunyah_vcpu_run.mmio.len 32
offsetof gunyah_vcpu_run.mmio.is_write 36
offsetof gunyah_vcpu_run.status.exit_info 20
value GUNYAH_MEM_ALLOW_READ 1
value GUNYAH_MEM_ALLOW_WRITE 2
value GUNYAH_MEM_ALLOW_EXEC 4
value GUNYAH_FN_VCPU 1
value GUNYAH_FN_IRQFD 2
value GUNYAH_FN_IOEVENTFD 3
value GUNYAH_MEM_FORCE_LEND 8
value GUNYAH_FN_MAX_ARG_SIZE 256
value GUNYAH_IRQFD_FLAGS_LEVEL 1
value GUNYAH_IOEVENTFD_FLAGS_DATAMATCH 1
value GUNYAH_VM_BOOT_CONTEXT_REG_SET_X 0
value GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC 1
value GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP 2
value GUNYAH_VCPU_EXIT_UNKNOWN 0
value GUNYAH_VCPU_EXIT_MMIO 1
value GUNYAH_VCPU_EXIT_STATUS 2
value GUNYAH_VCPU_RESUME_HANDLED 0
value GUNYAH_VCPU_RESUME_FAULT 1
value GUNYAH_VCPU_RESUME_RETRY 2
value GUNYAH_VM_STATUS_LOAD_FAILED 1
value GUNYAH_VM_STATUS_EXITED 2
value GUNYAH_VM_STATUS_CRASHED 3
value GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT 0
value GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF 1
value GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET 2
value GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2 3
value GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE 4
value GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR 5
value GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT 6
value GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED 7
EOF
missing=$(grep -vxF -f "$tmp/golden" "$tmp/deployed")
if [ -z "$missing" ]; then
	pass "golden file keeps the deployed ABI values"
else
	fail "golden file lost deployed ABI values:"
	printf '%s\n' "$missing" | sed 's/^/    /' >&2
fi

# --- 2. the golden file covers the whole header -------------------------------

# Expected golden keys (first two fields) from the header's own text:
# structures and their members (nested members of named struct types are
# listed by layout.c explicitly), ioctls, and plain numeric constants.
awk '
	/^(__extension__ )?struct gunyah_[a-z0-9_]+ \{/ {
		s = $0; sub(/^(__extension__ )?struct /, "", s); sub(/ \{.*/, "", s)
		print "sizeof " s; next
	}
	/^\};/ { s = ""; next }
	s != "" && /^\t+(__[us](8|16|32|64)|struct [a-z0-9_]+) [a-z0-9_]+(\[[0-9]+\])?;/ {
		m = $0; sub(/;.*/, "", m); sub(/\[.*/, "", m); sub(/.* /, "", m)
		print "offsetof " s "." m; next
	}
	/^#define GUNYAH_[A-Z0-9_]+[ \t]+_IO/ { print "ioctl " $2; next }
	/^#define GUNYAH_[A-Z0-9_]+[ \t]+(\(1UL << [0-9]+\)|0x[0-9a-f]+|[0-9]+|'\''.'\'')$/ {
		print "value " $2; next
	}
' "$hdr" | sort >"$tmp/header-keys"
cut -d' ' -f1,2 "$tmp/golden" | sort >"$tmp/golden-keys"
missing=$(comm -23 "$tmp/header-keys" "$tmp/golden-keys")
if [ -z "$missing" ]; then
	n=$(wc -l <"$tmp/header-keys")
	pass "golden file lists every structure, member, ioctl and constant ($n in the header)"
else
	fail "golden file (and tests/uapi/layout.c) miss entries for:"
	printf '%s\n' "$missing" | sed 's/^/    /' >&2
fi

# --- helpers ------------------------------------------------------------------

have() { command -v "$1" >/dev/null 2>&1; }

# probe CC FLAGS...: can CC compile the uapi includes of the header with FLAGS?
probe() {
	local cc=$1
	shift
	printf '#include <linux/types.h>\n#include <linux/ioctl.h>\n' |
		$cc "$@" -fsyntax-only -x c - >/dev/null 2>&1
}

# target_flags CC TARGET: set the array flags to what makes CC compile for TARGET
# ("native", "m32", or a clang triple) against the uapi headers, and $note to
# a description of any stand-in headers used. Fails if no headers fit.
target_flags() {
	local cc=$1 target=$2 tflags res h
	flags=()
	note=
	case $target in
	native) tflags=() ;;
	m32) tflags=(-m32) ;;
	*)
		case $cc in clang*) ;; *) return 1 ;; esac
		tflags=(--target="$target")
		;;
	esac
	if probe "$cc" "${tflags[@]}" -I"$UAPI_INCLUDE"; then
		flags=("${tflags[@]}" -I"$UAPI_INCLUDE")
		return 0
	fi
	case $target in
	m32)
		# Debian's 64-bit x86 asm headers serve both x86 ABIs (they test
		# __x86_64__ / __i386__ themselves).
		h=$UAPI_INCLUDE/x86_64-linux-gnu
		if [ -d "$h/asm" ] && probe "$cc" -m32 -I"$UAPI_INCLUDE" -idirafter "$h"; then
			flags=(-m32 -I"$UAPI_INCLUDE" -idirafter "$h")
			note=" (bi-arch x86_64-linux-gnu/asm headers)"
			return 0
		fi
		;;
	aarch64-*|arm-*)
		# arm64's and arm's <asm/types.h> and <asm/ioctl.h> are the
		# asm-generic ones; their <asm/bitsperlong.h> and
		# <asm/posix_types.h> differ only in what this header does not use.
		mkdir -p "$tmp/shim/asm"
		for h in types ioctl bitsperlong posix_types; do
			echo "#include <asm-generic/$h.h>" >"$tmp/shim/asm/$h.h"
		done
		res=$($cc -print-resource-dir 2>/dev/null) || return 1
		if probe "$cc" "${tflags[@]}" -nostdinc -isystem "$res/include" \
			-I"$tmp/shim" -I"$UAPI_INCLUDE"; then
			flags=("${tflags[@]}" -nostdinc -isystem "$res/include"
			       -I"$tmp/shim" -I"$UAPI_INCLUDE")
			note=" (asm-generic stand-ins for <asm/*.h>)"
			return 0
		fi
		;;
	esac
	return 1
}

label() { # CC TARGET
	case $2 in
	native) echo "$1" ;;
	m32) echo "$1 -m32" ;;
	*) echo "$1 --target=$2" ;;
	esac
}

# --- 3. the header compiles alone ---------------------------------------------

for cc in $CC_LIST; do
	if ! have "$cc"; then
		skip "$cc: not installed"
		continue
	fi
	for target in native m32; do
		name=$(label "$cc" $target)
		if ! target_flags "$cc" $target; then
			skip "$name: no headers for this target (install gcc-multilib)"
			continue
		fi
		if $cc "${flags[@]}" -std=c90 -Wall -Werror -pedantic -fsyntax-only -x c "$hdr" \
			2>"$tmp/err"; then
			pass "$name: header compiles alone, -std=c90 -Wall -Werror -pedantic$note"
		else
			fail "$name: header does not compile alone," \
				"-std=c90 -Wall -Werror -pedantic"
			sed 's/^/    /' "$tmp/err" >&2
		fi
	done
	# Included twice, by its installed name: the include guard works.
	printf '#include <linux/gunyah.h>\n#include <linux/gunyah.h>\n' >"$tmp/twice.c"
	if $cc -std=c90 -Wall -Werror -pedantic -fsyntax-only -I"$GUNYAH_TOP/uapi" \
		-I"$UAPI_INCLUDE" "$tmp/twice.c" 2>"$tmp/err"; then
		pass "$cc: header included twice"
	else
		fail "$cc: header included twice does not compile"
		sed 's/^/    /' "$tmp/err" >&2
	fi
done

for cxx in g++ clang++; do
	have "$cxx" || { skip "$cxx: not installed"; continue; }
	if $cxx -std=c++98 -Wall -Werror -pedantic -fsyntax-only -I"$UAPI_INCLUDE" \
		-x c++ "$hdr" 2>"$tmp/err"; then
		pass "$cxx: header compiles as C++98"
	else
		fail "$cxx: header does not compile as C++98"
		sed 's/^/    /' "$tmp/err" >&2
	fi
done

# --- 4. kernel-doc ------------------------------------------------------------

kdoc=${KERNEL_DOC:-}
if [ -z "$kdoc" ]; then
	for f in "$GUNYAH_CACHE"/src/linux-source-*/scripts/kernel-doc; do
		[ -f "$f" ] && kdoc=$f
	done
fi
if [ -z "$kdoc" ] || ! have perl; then
	skip "kernel-doc: no kernel source tree (set KERNEL_DOC=/path/to/scripts/kernel-doc)"
elif perl "$kdoc" -none -Wall "$hdr" >"$tmp/err" 2>&1 && [ ! -s "$tmp/err" ]; then
	pass "kernel-doc: no warnings"
else
	fail "kernel-doc: warnings"
	sed 's/^/    /' "$tmp/err" >&2
fi

# --- 5. layout ----------------------------------------------------------------

# asm_to_layout FILE.s: the golden-format lines embedded by -DLAYOUT_ASM.
asm_to_layout() {
	sed -n 's/.*"@@LAYOUT \([^"]*\)".*/\1/p' "$1" | tr -d '$#' |
	while read -r kind name lo hi; do
		v=$((hi * 65536 + lo))
		if [ "$kind" = ioctl ]; then
			printf '%s %s 0x%08x\n' "$kind" "$name" "$v"
		else
			printf '%s %s %d\n' "$kind" "$name" "$v"
		fi
	done
}

# check_layout NAME FILE: compare FILE with the golden file.
check_layout() {
	if [ ! -s "$2" ]; then
		fail "$1: layout program printed nothing"
	elif diff -u --label layout.golden --label "$1" "$tmp/golden" "$2" >"$tmp/diff"; then
		pass "$1: layout matches tests/uapi/layout.golden ($(wc -l <"$2") lines)"
	else
		fail "$1: layout differs from tests/uapi/layout.golden (- golden, + this build):"
		sed -n '3,$p' "$tmp/diff" | grep '^[-+]' | sed 's/^/    /' >&2
	fi
}

cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -I"$GUNYAH_TOP/uapi")
for cc in $CC_LIST; do
	have "$cc" || continue
	for target in native m32 aarch64-linux-gnu arm-linux-gnueabihf; do
		case $target in
		aarch64-*|arm-*) case $cc in clang*) ;; *) continue ;; esac ;;
		esac
		name=$(label "$cc" $target)
		if ! target_flags "$cc" $target; then
			skip "$name: layout not checked, no headers for this target"
			continue
		fi
		out=$tmp/layout-${cc}-$target
		# Run it if we can link and execute for this target.
		if $cc "${flags[@]}" "${cflags[@]}" "$layout_c" -o "$out" 2>"$tmp/err-link" &&
		   "$out" >"$out.txt" 2>/dev/null; then
			check_layout "$name$note" "$out.txt"
			continue
		fi
		if [ $target = native ]; then
			fail "$name: cannot build or run tests/uapi/layout.c:"
			sed 's/^/    /' "$tmp/err-link" >&2
			continue
		fi
		# Else read the values from the assembly: no libc needed.
		if $cc "${flags[@]}" "${cflags[@]}" -DLAYOUT_ASM -S "$layout_c" -o "$out.s" 2>"$tmp/err"; then
			asm_to_layout "$out.s" >"$out.txt"
			check_layout "$name$note, from assembly" "$out.txt"
		else
			fail "$name: tests/uapi/layout.c does not compile:"
			sed 's/^/    /' "$tmp/err" >&2
		fi
	done
done

if [ $failed = 0 ]; then
	echo "uapi: all checks passed"
else
	echo "uapi: some checks FAILED"
fi
exit $failed
