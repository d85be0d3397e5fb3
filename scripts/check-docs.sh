#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Documentation checks (make check-docs; also a line of the static checks), one line each:
#
#   - every Documentation/*.rst starts with its SPDX line, and index.rst's toctree lists the
#     others;
#   - the kernel's scripts/kernel-doc, with -none -Wall, finds nothing to warn about in any
#     file that a `.. kernel-doc::` directive names;
#   - every name of an :identifiers: (or :functions:) option and every :doc: title exists in
#     the file of its directive (kernel-doc -rst -function NAME prints it);
#   - every ioctl of uapi/linux/gunyah.h (a GUNYAH_* #define of _IO, _IOR, _IOW or _IOWR) is
#     named in Documentation/vm-manager.rst, so that a new ioctl without documentation fails.
#
# kernel-doc is the one of the kernel source behind KBUILD_DIR, found as static-checks.sh finds
# it (a kernel source tree itself may be given too). It runs on the host when perl is there,
# else the whole script runs again in the toolchain chroot (in_chroot).
#
# usage: scripts/check-docs.sh KBUILD_DIR|KERNEL_SOURCE_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${1:?usage: check-docs.sh KBUILD_DIR|KERNEL_SOURCE_DIR}
if [ -e "$kdir/scripts/kernel-doc" ]; then
	ksrc=$kdir
else
	ksrc=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kdir/Makefile" 2>/dev/null)
fi
kdoc=${ksrc:+$ksrc/scripts/kernel-doc}
[ -n "$kdoc" ] && [ -e "$kdoc" ] || die "no scripts/kernel-doc in the kernel source of $kdir"

# kernel-doc is a perl script up to 6.14 and a python one since; run it with what it asks for,
# on the host if it can (perl-base alone lacks the Pod::Usage it loads), else in the chroot.
case "$(head -n 1 "$kdoc")" in
*python*) interp=python3 probe=(python3 -c '') ;;
*) interp=perl probe=(perl -MPod::Usage -e 1) ;;
esac
if ! in_toolchain && ! "${probe[@]}" 2>/dev/null; then
	in_chroot "$GUNYAH_TOP/scripts/check-docs.sh" "$@"
	exit $?
fi

cd "$GUNYAH_TOP" || exit 1
docs=Documentation
failed=0
ok() { echo "ok   docs $*"; }
fail() {
	echo "FAIL docs $1"
	shift
	local line
	for line in "$@"; do
		echo "    $line"
	done
	failed=1
}

kernel_doc() {
	"$interp" "$kdoc" "$@"
}

# ---- the rst files themselves ----

mapfile -t rsts < <(ls "$docs"/*.rst 2>/dev/null)
[ ${#rsts[@]} -gt 0 ] || die "no $docs/*.rst"

bad=()
for rst in "${rsts[@]}"; do
	[ "$(head -n 1 "$rst")" = ".. SPDX-License-Identifier: GPL-2.0" ] || bad+=("$rst")
done
if [ ${#bad[@]} -eq 0 ]; then
	ok "SPDX line in ${#rsts[@]} rst files"
else
	fail "SPDX line missing or wrong" "${bad[@]}"
fi

bad=()
for rst in "${rsts[@]}"; do
	name=$(basename "$rst" .rst)
	[ "$name" = index ] && continue
	grep -Eq "^[[:space:]]+$name([.]rst)?[[:space:]]*\$" "$docs/index.rst" || bad+=("lacks $name")
done
# and every entry of the toctree (the indented lines after its options) is a document
while read -r entry; do
	[ -f "$docs/${entry%.rst}.rst" ] || bad+=("names $entry, which does not exist")
done < <(awk '/^\.\. toctree::/ { t = 1; next }
	t && /^[ \t]+:/ { next }
	t && /^[ \t]+[^ \t]/ { sub(/^[ \t]+/, ""); print; next }
	t && /^[^ \t]/ { t = 0 }' "$docs/index.rst")
if [ ${#bad[@]} -eq 0 ]; then
	ok "index.rst's toctree lists every document"
else
	fail "index.rst's toctree" "${bad[@]}"
fi

# ---- kernel-doc directives ----

# One record per option of each `.. kernel-doc:: FILE` directive (options are the indented
# ":name: value" lines right after it; a value may go on over more indented lines), or one with
# an empty option for a directive without options:
#   RST<TAB>LINE<TAB>FILE<TAB>OPTION<TAB>VALUE
directives() {
	awk -v OFS='\t' '
	function emit() {
		if (opt != "") { print rst, line, file, opt, val; nopts++ }
		opt = ""
	}
	function flush() {
		emit()
		if (file != "" && !nopts) print rst, line, file, "", ""
		file = ""
	}
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	FNR == 1 { flush() }
	/^\.\. kernel-doc::/ {
		flush(); rst = FILENAME; line = FNR; file = $3; nopts = 0; next
	}
	file != "" && /^[ \t]+:[a-z-]+:/ {
		emit()
		s = trim($0)
		sub(/^:/, "", s)
		opt = s; sub(/:.*/, "", opt)
		val = s; sub(/^[a-z-]+:/, "", val); val = trim(val)
		next
	}
	file != "" && opt != "" && /^[ \t]+[^ \t]/ { val = val " " trim($0); next }
	{ flush() }
	END { flush() }
	' "${rsts[@]}"
}

mapfile -t records < <(directives)
[ ${#records[@]} -gt 0 ] || fail "no kernel-doc directive in $docs/"

# kernel-doc -none -Wall over every file named once
mapfile -t files < <(printf '%s\n' "${records[@]}" | cut -f3 | sort -u)
for f in "${files[@]}"; do
	if [ ! -f "$f" ]; then
		fail "kernel-doc $f: no such file (named in $(printf '%s\n' "${records[@]}" |
			awk -F'\t' -v f="$f" '$3 == f { print $1 ":" $2; exit }'))"
		continue
	fi
	out=$(kernel_doc -none -Wall "$f" 2>&1)
	if [ -z "$out" ]; then
		ok "kernel-doc -Wall $f"
	else
		mapfile -t lines < <(head -n 20 <<<"$out")
		fail "kernel-doc -Wall $f" "${lines[@]}"
	fi
done

# exists NAME FILE: kernel-doc prints NAME (an identifier or a DOC: title) from FILE
exists() {
	local out err
	err=$(mktemp)
	out=$(kernel_doc -rst -function "$1" "$2" 2>"$err")
	! grep -q "warning: '.*' not found" "$err" && grep -q '[^[:space:]]' <<<"$out"
	local rc=$?
	rm -f "$err"
	return $rc
}

# Every named identifier and DOC: section, one line per rst file
for rst in "${rsts[@]}"; do
	n=0
	missing=()
	while IFS=$'\t' read -r r line f opt val; do
		[ "$r" = "$rst" ] && [ -f "$f" ] || continue
		case "$opt" in
		identifiers | functions)
			for id in $val; do
				n=$((n + 1))
				exists "$id" "$f" || missing+=("$r:$line: $f has no kernel-doc for '$id'")
			done
			;;
		doc)
			n=$((n + 1))
			exists "$val" "$f" || missing+=("$r:$line: $f has no 'DOC: $val'")
			;;
		esac
	done < <(printf '%s\n' "${records[@]}")
	[ "$n" -gt 0 ] || continue
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$rst: $n kernel-doc references found"
	else
		fail "$rst: ${#missing[@]} of $n kernel-doc references not found" "${missing[@]}"
	fi
done

# ---- every ioctl documented ----

uapi=uapi/linux/gunyah.h
mapfile -t ioctls < <(sed -n \
	's/^#define[[:space:]]\{1,\}\(GUNYAH_[A-Z0-9_]*\)[[:space:]]\{1,\}_IO[RW]\{0,2\}(.*/\1/p' "$uapi")
if [ ${#ioctls[@]} -eq 0 ]; then
	fail "no ioctl found in $uapi"
else
	missing=()
	for io in "${ioctls[@]}"; do
		grep -qw -- "$io" "$docs/vm-manager.rst" || missing+=("$io")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		ok "vm-manager.rst names all ${#ioctls[@]} ioctls of $uapi"
	else
		fail "ioctls of $uapi that vm-manager.rst does not document" "${missing[@]}"
	fi
fi

exit $failed
