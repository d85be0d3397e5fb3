#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the x86_64 test kernel from Debian's linux-source-6.12 inside the toolchain chroot:
# tinyconfig + tests/kernel/<variant>.config, LLVM=1, bzImage + modules.
# Cached under $GUNYAH_CACHE/kernel-<variant>-<hash>, <hash> over the source version, the fragment
# and this recipe's version. Prints the build directory (the O= tree) on stdout.
#
# The arm64 variant is only configured and prepared for out-of-tree modules (modules_prepare):
# it is where the real SMCCC hypercall backend is built.
#
# usage: scripts/build-kernel.sh [gunyah-test|gunyah-bench|arm64]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Bump when the steps below change in a way that changes the result.
RECIPE=1
variant=${1:-gunyah-test}
frag=$GUNYAH_TOP/tests/kernel/$variant.config
[ -f "$frag" ] || die "no config fragment $frag"

need_root "build-kernel"
"$GUNYAH_TOP/scripts/setup-toolchain.sh"
tc=$(toolchain_dir)
srcver=$(awk '$1 == "linux-source-6.12" { print $2 }' "$tc/versions.txt")
[ -n "$srcver" ] || die "linux-source-6.12 is not in the toolchain"

# Test-kernel-only fixes, applied in order (tests/kernel/patches/*.patch, each explains itself).
patches=("$GUNYAH_TOP"/tests/kernel/patches/*.patch)
[ -e "${patches[0]}" ] || patches=()
phash=$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-8)

src=$GUNYAH_CACHE/src/linux-source-$srcver-p$phash
if [ ! -f "$src/.complete" ]; then
	log "kernel: unpacking linux-source-6.12 $srcver (${#patches[@]} patches)"
	rm -rf --one-file-system "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	in_chroot tar -C "$src.tmp" --strip-components=1 -xf /usr/src/linux-source-6.12.tar.xz
	for p in "${patches[@]}"; do
		in_chroot patch -d "$src.tmp" -p1 --quiet --forward -i "$p" ||
			die "kernel: patch $(basename "$p") does not apply"
	done
	touch "$src.tmp/.complete"
	mv "$src.tmp" "$src"
fi

hash=$( (echo "$srcver $RECIPE $phash"; cat "$frag") | sha256sum | cut -c1-16)
out=$GUNYAH_CACHE/kernel-$variant-$hash
if [ -f "$out/complete" ]; then
	log "kernel: cached at $out"
	echo "$out/build"
	exit 0
fi
rm -rf --one-file-system "$out"
mkdir -p "$out/build" "$GUNYAH_CACHE/ccache"

arch=x86_64
targets=(bzImage modules)
if [ "$variant" = arm64 ]; then
	arch=arm64
	targets=(modules_prepare)
fi
kmake() {
	in_chroot make -C "$src" O="$out/build" ARCH=$arch LLVM=1 CC="ccache clang" "$@"
}

log "kernel: configuring $variant (tinyconfig + $(basename "$frag"))"
kmake -s tinyconfig >/dev/null
in_chroot "$src/scripts/kconfig/merge_config.sh" -m -O "$out/build" \
	"$out/build/.config" "$frag" >"$out/merge.log" 2>&1 || die "merge_config failed ($out/merge.log)"
kmake -s olddefconfig >/dev/null

# Every option of the fragment must have survived olddefconfig: a dependency that is not met
# silently drops an option, and a test kernel without KASAN would pass for the wrong reason.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qxF "$line" "$out/build/.config" || { echo "  not set: $line" >&2; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$out/build/.config" || { echo "  set: $opt" >&2; missing=1; } ;;
	esac
done <"$frag"
[ "$missing" = 0 ] || die "kernel: the config fragment did not apply (see above)"

log "kernel: building ${targets[*]} ($arch) with -j2 (up to 20 minutes cold; log: $out/build.log)"
start=$SECONDS
if ! kmake -j2 "${targets[@]}" >"$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -n 20 >&2
	die "kernel build failed (log: $out/build.log)"
fi
touch "$out/complete"
log "kernel: built in $((SECONDS - start)) s"
# Drop kernel builds of this variant made from older inputs.
for old in "$GUNYAH_CACHE"/kernel-"$variant"-*; do
	[ "$old" = "$out" ] || rm -rf --one-file-system "$old"
done
echo "$out/build"
