#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Rust tier on the host, inside the toolchain chroot, offline: cargo test (unit, layout
# against tests/uapi/layout.golden, builders, doc tests), clippy -D warnings, rustfmt --check for
# the crate and the kernel-side Rust, rustdoc -D warnings. Also builds the crate's guest
# integration test as a static binary for the QEMU guest (build/rust-guest/).
# Counts go to $GUNYAH_COUNTS ("passed failed skipped").
set -uo pipefail
. "$(dirname "$0")/lib.sh"

counts=${GUNYAH_COUNTS:-/dev/null}
log=$GUNYAH_TOP/build/cargo
mkdir -p "$log"
cargo=(cargo --offline --locked)
[ -f "$GUNYAH_TOP/Cargo.lock" ] || cargo=(cargo --offline)

result() { # NAME OK
	if [ "$2" = 0 ]; then
		echo "ok   cargo $1"
		echo "1 0 0" >>"$counts"
	else
		echo "FAIL cargo $1 (log: $log/$1.log)"
		grep -E '^(error|warning)|panicked|FAILED' "$log/$1.log" | head -20 | sed 's/^/    /'
		echo "0 1 0" >>"$counts"
	fi
}

# cargo test: every test counts once.
in_chroot bash -c 'cd "$1" && shift && "$@" test 2>&1' x "$GUNYAH_TOP" "${cargo[@]}" >"$log/test.log"
rc=$?
read -r p f i < <(awk '/^test result:/ { p += $4; f += $6; i += $8 } END { print p + 0, f + 0, i + 0 }' \
	"$log/test.log")
if [ "$rc" = 0 ] && [ "$f" = 0 ]; then
	echo "ok   cargo test: $p passed, $f failed${i:+, $i ignored}"
else
	echo "FAIL cargo test: $p passed, $f failed (exit $rc; log: $log/test.log)"
	grep -E 'FAILED|panicked|^error' "$log/test.log" | head -20 | sed 's/^/    /'
	[ "$f" -gt 0 ] || f=1
fi
echo "$p $f $i" >>"$counts"

in_chroot bash -c 'cd "$1" && shift && "$@" clippy --all-targets -- -D warnings 2>&1' x \
	"$GUNYAH_TOP" "${cargo[@]}" >"$log/clippy.log"
result clippy $?
in_chroot bash -c 'cd "$1" && cargo fmt --check 2>&1' x "$GUNYAH_TOP" >"$log/fmt.log"
result fmt $?
ksrc=$(ls -d "$GUNYAH_CACHE"/src/linux-source-* | head -n 1)
in_chroot rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" \
	"$GUNYAH_TOP"/rust/kernel/*.rs "$GUNYAH_TOP"/rust/samples/*.rs >"$log/kernel-fmt.log" 2>&1
result kernel-fmt $?
in_chroot bash -c 'cd "$1" && shift && RUSTDOCFLAGS="-D warnings" "$@" doc --no-deps 2>&1' x \
	"$GUNYAH_TOP" "${cargo[@]}" >"$log/doc.log"
result doc $?

# The guest integration test, static so the initramfs needs no libraries for it.
rm -rf "$GUNYAH_TOP/build/rust-guest"
mkdir -p "$GUNYAH_TOP/build/rust-guest"
in_chroot bash -c 'cd "$1" && shift && RUSTFLAGS="-C target-feature=+crt-static" \
	"$@" test --test guest --no-run --message-format=json --target x86_64-unknown-linux-gnu \
	2>/dev/null' x "$GUNYAH_TOP" "${cargo[@]}" >"$log/guest-build.json"
exe=$(grep -o '"executable":"[^"]*"' "$log/guest-build.json" | tail -n 1 | cut -d'"' -f4)
if [ -n "$exe" ] && [ -x "$exe" ]; then
	cp "$exe" "$GUNYAH_TOP/build/rust-guest/gunyah-crate-guest"
	in_chroot strip "$GUNYAH_TOP/build/rust-guest/gunyah-crate-guest"
	result guest-build 0
else
	echo "no executable" >"$log/guest-build.log"
	result guest-build 1
fi
