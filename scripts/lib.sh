# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the project's scripts. Source it; do not run it.
#
# Layout of the cache (outside the work tree, survives clones):
#   $GUNYAH_CACHE/toolchain-<hash>/        Debian 13 chroot, <hash> = sha256 of the package list
#   $GUNYAH_CACHE/kernel-<hash>/           test kernel build (O= tree), <hash> = source + fragments
#   $GUNYAH_CACHE/ccache/                  compiler cache shared by kernel builds

GUNYAH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUNYAH_CACHE=${GUNYAH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gunyah-vm}
TRIXIE_MIRROR=${TRIXIE_MIRROR:-http://deb.debian.org/debian}

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "$1 needs root (it uses mmdebstrap, chroot and mount namespaces)"
}

# hash_files FILE...: short sha256 over the contents of FILEs, in order.
hash_files() {
	cat "$@" | sha256sum | cut -c1-16
}

toolchain_hash() {
	hash_files "$GUNYAH_TOP/scripts/toolchain-packages.txt"
}

toolchain_dir() {
	echo "$GUNYAH_CACHE/toolchain-$(toolchain_hash)"
}

# toolchain_packages: the package list, comments and blank lines removed, comma separated.
toolchain_packages() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$GUNYAH_TOP/scripts/toolchain-packages.txt" |
		tr -d ' \t' | paste -sd, -
}

# in_chroot CMD...: run CMD inside the toolchain chroot, in a private mount namespace, with
# /proc, /dev, /sys, /tmp, the work tree and the cache mounted at the same paths as outside.
# The mounts vanish with the namespace, so nothing needs unmounting, even after a crash.
# CMD sees GUNYAH_IN_CHROOT=1 (see in_toolchain), so a script can re-run itself inside.
in_chroot() {
	local root
	root=$(toolchain_dir)/root
	[ -f "$(toolchain_dir)/complete" ] ||
		die "toolchain missing: run scripts/setup-toolchain.sh (or make toolchain)"
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		root=$1; shift
		top=$1; shift
		cache=$1; shift
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount --rbind /sys "$root/sys"
		mount --bind /tmp "$root/tmp"
		mkdir -p "$root$top" "$root$cache"
		mount --bind "$top" "$root$top"
		mount --bind "$cache" "$root$cache"
		cwd=$(pwd)
		exec chroot "$root" /usr/bin/env -i \
			HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			CCACHE_DIR="$cache/ccache" GUNYAH_CACHE="$cache" CI="${CI:-}" \
			GUNYAH_IN_CHROOT=1 \
			/bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
	' in_chroot "$root" "$GUNYAH_TOP" "$GUNYAH_CACHE" "$@"
}

# in_toolchain: true when running inside the toolchain chroot (in_chroot sets GUNYAH_IN_CHROOT).
in_toolchain() {
	[ "${GUNYAH_IN_CHROOT:-}" = 1 ]
}
