#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the C modules against every kernel our users have, one line per target:
#   arm64-6.12-llvm   an arm64 6.12 tree (LLVM=1, modules_prepare): the real SMCCC backend
#   debian-6.12-gcc   Debian 13's linux-headers-amd64 (GCC, no Rust, with sparse)
#   dkms-debian-6.12  make dkms-install for Debian 13's 6.12 kernel, in the toolchain chroot
#                     (dkms add, build, install; then dkms-uninstall)
#   debian-6.1-gcc    Debian 12's linux-headers-amd64 on the host (GCC 12, no Rust); installed
#                     with apt-get when missing
# Each target builds in its own copy of the sources under build/matrix/, W=1, and fails on any
# warning. Counts go to $GUNYAH_COUNTS like the other tiers.
#
# usage: scripts/build-matrix.sh [TARGET...]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

counts=${GUNYAH_COUNTS:-/dev/null}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(arm64-6.12-llvm debian-6.12-gcc dkms-debian-6.12 debian-6.1-gcc)

# stage DIR: a copy of what kbuild needs, so targets do not share objects.
stage() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -r "$GUNYAH_TOP/Kbuild" "$GUNYAH_TOP/c" "$GUNYAH_TOP/uapi" "$GUNYAH_TOP/tests" \
		"$GUNYAH_TOP/rust" "$GUNYAH_TOP/bindings" "$1/"
	find "$1" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
}

build_target() {
	local target=$1 dir=$GUNYAH_TOP/build/matrix/$1 kdir
	stage "$dir"
	case "$target" in
	arm64-6.12-llvm)
		kdir=$("$GUNYAH_TOP/scripts/build-kernel.sh" arm64) || return 1
		in_chroot make -C "$kdir" M="$dir" ARCH=arm64 LLVM=1 W=1 KBUILD_MODPOST_WARN=1 -j2 modules
		;;
	debian-6.12-gcc)
		kdir=$(in_chroot bash -c 'ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1')
		# sparse too (C=1): the test kernel's sparse pass runs with clang
		in_chroot make -C "$kdir" M="$dir" W=1 C=1 -j2 modules
		;;
	dkms-debian-6.12)
		# What README.md tells a Debian user to do, for the distro kernel of the chroot.
		in_chroot bash -c '
			set -e
			cd "$1"
			kver=$(ls /lib/modules | grep -- "-amd64$" | sort -V | tail -n 1)
			make dkms-install KERNELVER="$kver"
			ls /lib/modules/$kver/updates/dkms/gunyah_rsc_mgr.ko* >/dev/null
			# one line per installed module, as the count of the summary line expects
			for m in /lib/modules/$kver/updates/dkms/gunyah*.ko*; do
				echo "  LD [M]  ${m%.ko*}.ko"
			done
			make dkms-uninstall
		' dkms "$GUNYAH_TOP"
		;;
	debian-6.1-gcc)
		# The host is Debian 12: its own headers package is the 6.1 distro kernel.
		kdir=$(ls -d /usr/src/linux-headers-6.1*-amd64 2>/dev/null | sort -V | tail -n 1)
		if [ -z "$kdir" ]; then
			apt-get update -q >/dev/null &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-headers-amd64 \
				>/dev/null || { echo "cannot install linux-headers-amd64"; return 1; }
			kdir=$(ls -d /usr/src/linux-headers-6.1*-amd64 | sort -V | tail -n 1)
		fi
		[ -d "$kdir" ] || { echo "no 6.1 headers (is the host Debian 12?)"; return 1; }
		make -C "$kdir" M="$dir" W=1 -j2 modules
		;;
	*)
		echo "unknown target $target"
		return 1
		;;
	esac
}

for t in "${targets[@]}"; do
	log=$GUNYAH_TOP/build/matrix/$t.log
	mkdir -p "$(dirname "$log")"
	if build_target "$t" >"$log" 2>&1 && ! grep -qE ': warning:' "$log"; then
		echo "ok   build $t: $(grep -c 'LD \[M\].*\.ko$' "$log") modules, W=1, no warnings"
		echo "1 0 0" >>"$counts"
	else
		echo "FAIL build $t (log: $log)"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/    /'
		echo "0 1 0" >>"$counts"
	fi
done
