#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Creates the toolchain: a Debian 13 (trixie) amd64 chroot made with mmdebstrap from the package
# list in scripts/toolchain-packages.txt. Cached under $GUNYAH_CACHE keyed by that list's hash.
# Idempotent: a complete cache is reused, a half-made one is removed and made again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root "setup-toolchain"
dir=$(toolchain_dir)
if [ -f "$dir/complete" ]; then
	log "toolchain: cached at $dir"
	exit 0
fi

mkdir -p "$GUNYAH_CACHE"
avail=$(df -Pk "$GUNYAH_CACHE" | awk 'NR == 2 { print $4 }')
[ "$avail" -ge $((8 * 1024 * 1024)) ] ||
	die "toolchain: $GUNYAH_CACHE has $((avail / 1024)) MiB free; the chroot needs 8 GiB"

if [ -e "$dir" ]; then
	log "toolchain: removing a half-made chroot at $dir"
	rm -rf --one-file-system "$dir"
fi

if ! command -v mmdebstrap >/dev/null; then
	log "toolchain: installing mmdebstrap from the host's Debian archive"
	apt-get update -q >/dev/null || die "apt-get update failed: is the Debian mirror reachable?"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >/dev/null ||
		die "apt-get install mmdebstrap failed"
fi

# Fail early and clearly when the mirror cannot be reached.
if command -v curl >/dev/null; then
	curl -fsS -o /dev/null --max-time 30 "$TRIXIE_MIRROR/dists/trixie/InRelease" ||
		die "cannot reach $TRIXIE_MIRROR (no network?)"
fi

pkgs=$(toolchain_packages)
log "toolchain: creating a Debian 13 chroot in $dir (about 5 minutes, 3 GB)"
mkdir -p "$dir"
mmdebstrap --variant=apt --include="$pkgs" --aptopt='Acquire::Retries "3"' \
	trixie "$dir/root" "$TRIXIE_MIRROR" >"$dir/mmdebstrap.log" 2>&1 || {
	tail -n 20 "$dir/mmdebstrap.log" >&2
	die "mmdebstrap failed (log: $dir/mmdebstrap.log)"
}

# Record what was installed, for reproducibility and the bindings' provenance.
chroot "$dir/root" dpkg-query -W -f '${Package} ${Version}\n' >"$dir/versions.txt"
touch "$dir/complete"
log "toolchain: ready ($(grep -E '^(rustc|bindgen|clang-19|linux-source-6.12) ' "$dir/versions.txt" | tr '\n' ' '))"

# Drop chroots made from older package lists.
for old in "$GUNYAH_CACHE"/toolchain-*; do
	[ "$old" = "$dir" ] || [ ! -d "$old" ] || { log "toolchain: removing stale $old"; rm -rf --one-file-system "$old"; }
done
