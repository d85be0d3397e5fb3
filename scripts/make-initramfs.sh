#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packs the guest's initramfs: busybox, kmod (for modprobe and module autoloading), our
# modules with their modules.dep/alias, the test programs and tests/guest/init.
#
# usage: scripts/make-initramfs.sh KBUILD_DIR OUTPUT.cpio.gz
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kbuild=${1:?usage: make-initramfs.sh KBUILD_DIR OUTPUT}
output=${2:?usage: make-initramfs.sh KBUILD_DIR OUTPUT}
kver=$(cat "$kbuild/include/config/kernel.release")
root=$GUNYAH_TOP/build/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc/gunyah,proc,sys,dev,tmp,tests/harness,lib/modules/"$kver"/extra}

in_chroot bash -c '
	set -e
	root=$1
	cp /bin/busybox "$root/bin/busybox"
	for app in $(busybox --list); do
		[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
	done
	# kmod instead of busybox modprobe: the real module-alias matching request_module() needs.
	cp /usr/bin/kmod "$root/sbin/kmod"
	for tool in modprobe insmod rmmod lsmod depmod modinfo; do
		rm -f "$root/bin/$tool"; ln -s kmod "$root/sbin/$tool"
	done
	for lib in $(ldd /usr/bin/kmod | grep -o "/[^ ]*"); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
' make-initramfs "$root"

find "$GUNYAH_TOP/c" "$GUNYAH_TOP/tests" "$GUNYAH_TOP/rust" -name '*.ko' -exec cp {} "$root/lib/modules/$kver/extra/" \; 2>/dev/null || true
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$kbuild/$f" ] && cp "$kbuild/$f" "$root/lib/modules/$kver/"
done
in_chroot depmod -b "$root" "$kver"

cp "$GUNYAH_TOP/tests/guest/init" "$root/init"
cp "$GUNYAH_TOP/build/bin/guest-exit" "$root/sbin/"
cp "$GUNYAH_TOP"/build/tests/* "$root/tests/" 2>/dev/null || true
cp "$GUNYAH_TOP"/build/harness/* "$root/tests/harness/" 2>/dev/null || true
# The benchmark programs (the guest's "bench" plan runs them; scripts/build-modules.sh builds them).
if [ -d "$GUNYAH_TOP/build/bench" ]; then
	mkdir -p "$root/tests/bench"
	cp "$GUNYAH_TOP"/build/bench/* "$root/tests/bench/" 2>/dev/null || true
fi
# The Rust crate's integration tests (scripts/cargo-checks.sh builds them).
if [ -d "$GUNYAH_TOP/build/rust-guest" ]; then
	mkdir -p "$root/tests/rust"
	cp "$GUNYAH_TOP"/build/rust-guest/* "$root/tests/rust/"
fi

# What /init runs in the "check" plan: every KUnit module (name ends in _test, not harness),
# every test program.
(cd "$root/lib/modules/$kver/extra" && ls *_test.ko 2>/dev/null | grep -v harness | sed 's/\.ko$//') \
	>"$root/etc/gunyah/kunit-modules" || true
(cd "$root/tests" && ls -p | grep -v / | grep -v '^gunyah-demo$') >"$root/etc/gunyah/tap-programs" || true

in_chroot bash -c 'cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1' pack "$root" >"$output"
log "initramfs: $(du -h "$output" | cut -f1) ($(wc -l <"$root/etc/gunyah/kunit-modules") KUnit modules, $(wc -l <"$root/etc/gunyah/tap-programs") test programs)"
